// Helpers shared by the StreamLib benchmark programs: the small message type some of them
// send, a monotonic clock, percentiles over raw samples, the raw futex call, repeated runs,
// running a peer program (GStreamer) as a timed subprocess, the executor a runtime benchmark
// runs under, and this process's CPU time, RSS and thread count.
//
// Executors: every benchmark that runs a StreamRuntime runs each StreamLib case once per
// executor (RuntimeOptions::executor), registered with BENCHMARK_CAPTURE so the executor is
// the first part of the name after the function: BM_StreamLib_Tick/threads/1024/2/0 and
// BM_StreamLib_Tick/pool/1024/2/0. Peers run once, as before.
//
// Every benchmark reports its figures as Google Benchmark user counters; bench/summarize.py
// turns those into build/bench/results.jsonl and the table run_benchmarks.sh prints. A
// counter is always a plain value computed here (never a kIsRate counter): Google Benchmark
// divides rate counters by CPU time, which is meaningless when the work happens on other
// threads.
#pragma once

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "streamlib/frames/message.h"
#include "streamlib/link/link_config.h"
#include "streamlib/runtime/stream_runtime.h"

extern char** environ;

namespace streamlib_bench {

// The trivially-copyable message the link benchmarks send: a sequence number and the time the
// producer made it. Registered as a message type so it travels on real links; its default
// link is 1024 deep and blocking (no loss: every message is counted at the sink).
struct BenchTick {
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;
};
STREAMLIB_MESSAGE_TYPE(BenchTick, 1024, streamlib::LinkPolicy::kBlock);

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Nearest-rank percentile (0 <= p <= 1) of `samples`, which it sorts; 0 if empty.
inline double percentile(std::vector<std::int64_t>& samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
  return static_cast<double>(samples[std::min(rank, samples.size() - 1)]);
}

// The raw futex(2) call (FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE on `word`), for the peers that
// measure what the kernel alone costs: they must not go through the library's own wrappers.
inline long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr, 0);
}

// Runs a manually timed benchmark `repetitions` times and reports the median run, with the
// min and max kept beside it (Google Benchmark applies them to every counter): one unlucky
// scheduling run on a shared 2-core VM should not decide a comparison.
inline benchmark::internal::Benchmark* repeated(benchmark::internal::Benchmark* b, int repetitions,
                                                benchmark::TimeUnit unit = benchmark::kMillisecond,
                                                benchmark::IterationCount iterations = 1) {
  return b->Iterations(iterations)
      ->Repetitions(repetitions)
      ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
      ->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); })
      ->DisplayAggregatesOnly(true)
      ->UseManualTime()
      ->Unit(unit);
}

// Voluntary context switches (times a thread went to sleep) of this process's threads, by
// thread name — the runtime names each processor's thread after its id. Summed over threads
// that share a name.
inline std::map<std::string, std::uint64_t> voluntary_switches_by_thread() {
  std::map<std::string, std::uint64_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        out[name] += std::stoull(line.substr(line.find(':') + 1));
        break;
      }
    }
  }
  return out;
}

// Runs `argv` (argv[0] looked up in PATH) with stdout/stderr discarded and returns its wall
// time in seconds, or a negative value if it could not be started or did not exit with 0.
inline double time_subprocess(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  const auto end = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::chrono::duration<double>(end - start).count();
}

// The options a runtime benchmark builds its StreamRuntime with: `base` with the executor set,
// so the STREAMLIB_EXECUTOR environment variable cannot change what a named case measures.
inline streamlib::RuntimeOptions with_executor(streamlib::ExecutorKind executor, streamlib::RuntimeOptions base = {}) {
  base.executor = executor;
  return base;
}

// Process-wide CPU time (user + system, every thread) in seconds, from getrusage.
inline double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// A numeric field of /proc/self/status ("VmRSS" in kB, "Threads"), or -1 if absent.
inline double proc_status_field(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':') {
      return std::stod(line.substr(field.size() + 1));
    }
  }
  return -1;
}
inline double rss_mb() { return proc_status_field("VmRSS") / 1024.0; }
inline double thread_count() { return proc_status_field("Threads"); }

}  // namespace streamlib_bench
