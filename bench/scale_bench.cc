// Scale: graphs of N = 1,000, 10,000 and 100,000 processors, once per executor, and what the
// process pays for them: start-up, first message through every chain, CPU while running, RSS,
// threads and stop.
//
//   N / 10 chains of 10:  ScaleSource (Continuous, one 16-byte BenchTick per 10 ms, a live
//                          rate) -> 9 x ScaleStage (Reactive, forwards what it gets)
//
// Every link is the BenchTick default (capacity 1024, `block`). The graph is built through the
// public API while the runtime is idle (build_ms, not part of the figures), then:
//
//   start_ms            rt.start() returning: every processor set up and released
//   first_message_ms    from the start() call until the last stage of EVERY chain has had its
//                       first message (-1 if that took longer than SCALE_BENCH_TIMEOUT_S)
//   cpu_pct             process CPU time (getrusage, all threads) over 2 s of running with every
//                       source sending, as % of one core
//   cpu_pct_quiet       the same over 2 s after the sources stop sending (process() returns
//                       without a push): nothing flows, only the sources' 10 ms ticks remain
//   cpu_pct_idle        the same over 2 s with the runtime paused: no process() call and no
//                       tick anywhere, only what the executor costs for N waiting processors
//   rss_mb              VmRSS of /proc/self/status after the first two windows
//   threads             Threads of /proc/self/status while running (this thread included)
//   stop_ms             rt.stop() returning
//
// The threads executor needs one thread per processor. A size the kernel cannot give that many
// threads (the lowest of kernel.pid_max, kernel.threads-max, RLIMIT_NPROC and
// vm.max_map_count / 2, less what already runs) is not attempted: its run reports skipped = 1
// and the reason as its label ("skipped: 100000 threads > pid_max 32768"). The pool case checks
// first that the pool is in effect (a 20-processor graph under it makes fewer than 20 threads)
// and is skipped the same way if not, so a build whose pool still runs threads does not try
// 100,000 threads. The 10,000-processor threads case runs last: starting 10,000 threads can
// take minutes on a small machine (the kernel's futex hash; docs/PERFORMANCE.md).
//
// The figures are the process's: a case that follows a 10,000-thread one in the same process
// inherits its heap and a slower kernel (bench/run_benchmarks.sh runs each case in a process of
// its own; by hand: --benchmark_filter='^BM_Scale/pool/10000/').
//
// Environment: SCALE_BENCH_TIMEOUT_S (default 900): how long to wait for the first messages.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_common.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::ExecutorKind;
using streamlib::StreamRuntime;

constexpr std::uint32_t kChainLength = 10;  // a source and 9 stages
constexpr auto kSourceInterval = std::chrono::milliseconds(10);
constexpr auto kCpuWindow = std::chrono::seconds(2);
constexpr auto kSettle = std::chrono::milliseconds(500);

// Set by the chains' last stages on their first message; read by the main thread.
std::atomic<std::uint64_t> g_chains_reached{0};
std::atomic<std::int64_t> g_all_reached_ns{0};
std::uint64_t g_chains = 0;  // written before start()
// While set, sources push nothing (the quiet window).
std::atomic<bool> g_quiet{false};

class ScaleSource : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(ScaleSource, "Benchmark: one BenchTick per 10 ms", streamlib::Continuous{kSourceInterval});
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    if (!g_quiet.load(std::memory_order_relaxed)) out.push(BenchTick{next_++, 0});
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

struct ScaleStageConfig {
  std::uint32_t last = 0;  // 1: the chain's last stage, which reports its first message
};
STREAMLIB_CONFIG(ScaleStageConfig, last);

class ScaleStage : public streamlib::Processor<ScaleStageConfig> {
 public:
  STREAMLIB_PROCESSOR(ScaleStage, "Benchmark: forwards BenchTicks", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    const std::size_t n = in.drain([&](BenchTick&& t) { out.push(t); });
    if (n > 0 && config().last != 0 && !seen_) {
      seen_ = true;
      if (g_chains_reached.fetch_add(1, std::memory_order_acq_rel) + 1 == g_chains) {
        g_all_reached_ns.store(now_ns(), std::memory_order_release);
      }
    }
    return {};
  }

 private:
  bool seen_ = false;
};

double read_number(const char* path) {
  std::ifstream f(path);
  double v = -1;
  f >> v;
  return v;
}

// Why `threads_needed` more threads cannot be made, or "" if they can.
std::string thread_limit_reason(double threads_needed) {
  const double running = thread_count();
  rlimit nproc{};
  getrlimit(RLIMIT_NPROC, &nproc);
  const std::vector<std::pair<std::string, double>> limits = {
      {"pid_max", read_number("/proc/sys/kernel/pid_max")},
      {"threads-max", read_number("/proc/sys/kernel/threads-max")},
      {"RLIMIT_NPROC", nproc.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(nproc.rlim_cur)},
      // Each thread's stack is two mappings (the stack and its guard page).
      {"vm.max_map_count / 2", read_number("/proc/sys/vm/max_map_count") / 2}};
  for (const auto& [name, limit] : limits) {
    // Other processes and this one's own threads share pid_max and threads-max: keep a margin.
    if (limit > 0 && threads_needed + running + 512 > limit) {
      return fmt::format("skipped: {:.0f} threads > {} {:.0f}", threads_needed, name, limit);
    }
  }
  return {};
}

// How many threads a 20-processor graph (two chains) adds under `executor`.
double threads_for_small_graph(ExecutorKind executor) {
  StreamRuntime rt(with_executor(executor));
  for (int c = 0; c < 2; ++c) {
    auto src = rt.add_processor<ScaleSource>({}, fmt::format("probe{}_0", c));
    if (!src) return -1;
    streamlib::OutputRef<BenchTick> upstream = src->output(&ScaleSource::out);
    for (std::uint32_t s = 1; s < kChainLength; ++s) {
      auto stage = rt.add_processor<ScaleStage>({}, fmt::format("probe{}_{}", c, s));
      if (!stage || !rt.connect(upstream, stage->input(&ScaleStage::in))) return -1;
      upstream = stage->output(&ScaleStage::out);
    }
  }
  const double before = thread_count();
  if (!rt.start()) return -1;
  const double added = thread_count() - before;
  (void)rt.stop();
  return added;
}

double ms_between(std::int64_t from_ns, std::int64_t to_ns) { return static_cast<double>(to_ns - from_ns) * 1e-6; }

void skip(benchmark::State& state, const std::string& reason) {
  for (auto _ : state) state.SetIterationTime(0);
  state.counters["skipped"] = 1;
  state.SetLabel(reason);
}

void BM_Scale(benchmark::State& state, ExecutorKind executor) {
  const auto processors = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t chains = processors / kChainLength;
  if (executor == ExecutorKind::kThreads) {
    if (std::string reason = thread_limit_reason(processors); !reason.empty()) return skip(state, reason);
  } else {
    const double added = threads_for_small_graph(executor);
    if (added < 0) return state.SkipWithError("the 20-processor probe graph failed");
    if (added >= 2 * kChainLength) {
      if (std::string reason = thread_limit_reason(processors); !reason.empty()) {
        return skip(state,
                    fmt::format("{} (the pool is not in effect: 20 processors made {:.0f} threads)", reason, added));
      }
    }
  }
  const char* timeout_env = std::getenv("SCALE_BENCH_TIMEOUT_S");
  const auto timeout = std::chrono::seconds(timeout_env != nullptr ? std::max(1, std::atoi(timeout_env)) : 900);

  for (auto _ : state) {
    g_chains_reached.store(0);
    g_all_reached_ns.store(0);
    g_quiet.store(false);
    g_chains = chains;
    const double rss_before = rss_mb();

    const std::int64_t b0 = now_ns();
    StreamRuntime rt(with_executor(executor));
    for (std::uint32_t c = 0; c < chains; ++c) {
      auto src = rt.add_processor<ScaleSource>({}, fmt::format("c{}_0", c));
      if (!src) return state.SkipWithError(src.error().message().c_str());
      streamlib::OutputRef<BenchTick> upstream = src->output(&ScaleSource::out);
      for (std::uint32_t s = 1; s < kChainLength; ++s) {
        auto stage = rt.add_processor<ScaleStage>(ScaleStageConfig{s + 1 == kChainLength ? 1u : 0u},
                                                  fmt::format("c{}_{}", c, s));
        if (!stage) return state.SkipWithError(stage.error().message().c_str());
        if (auto l = rt.connect(upstream, stage->input(&ScaleStage::in)); !l) {
          return state.SkipWithError(l.error().message().c_str());
        }
        upstream = stage->output(&ScaleStage::out);
      }
    }
    const double build_ms = ms_between(b0, now_ns());

    const std::int64_t t0 = now_ns();
    if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
    const std::int64_t t_started = now_ns();
    const double threads = thread_count();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (g_all_reached_ns.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::int64_t reached_ns = g_all_reached_ns.load(std::memory_order_acquire);
    const std::uint64_t reached = g_chains_reached.load();

    std::this_thread::sleep_for(kSettle);
    const double cpu0 = process_cpu_s();
    const std::int64_t w0 = now_ns();
    std::this_thread::sleep_for(kCpuWindow);
    const double cpu_pct = (process_cpu_s() - cpu0) * 1e2 / (static_cast<double>(now_ns() - w0) * 1e-9);

    g_quiet.store(true);
    std::this_thread::sleep_for(kSettle);  // what is in flight drains
    const double cpu1 = process_cpu_s();
    const std::int64_t w1 = now_ns();
    std::this_thread::sleep_for(kCpuWindow);
    const double cpu_pct_quiet = (process_cpu_s() - cpu1) * 1e2 / (static_cast<double>(now_ns() - w1) * 1e-9);
    const double rss = rss_mb();
    const double threads_late = thread_count();

    // Idle: the runtime paused, so no processor has anything to do, not even a tick. What the
    // executor itself costs for N processors that wait.
    (void)rt.pause();
    std::this_thread::sleep_for(kSettle);
    const double cpu2 = process_cpu_s();
    const std::int64_t w2 = now_ns();
    std::this_thread::sleep_for(kCpuWindow);
    const double cpu_pct_idle = (process_cpu_s() - cpu2) * 1e2 / (static_cast<double>(now_ns() - w2) * 1e-9);
    (void)rt.resume();

    const std::int64_t s0 = now_ns();
    (void)rt.stop();
    const double stop_ms = ms_between(s0, now_ns());

    state.SetIterationTime(static_cast<double>((reached_ns != 0 ? reached_ns : t_started) - t0) * 1e-9);
    state.counters["processors"] = processors;
    state.counters["build_ms"] = build_ms;
    state.counters["start_ms"] = ms_between(t0, t_started);
    state.counters["first_message_ms"] = reached_ns != 0 ? ms_between(t0, reached_ns) : -1;
    state.counters["chains_reached"] = static_cast<double>(reached);
    state.counters["cpu_pct"] = cpu_pct;
    state.counters["cpu_pct_quiet"] = cpu_pct_quiet;
    state.counters["cpu_pct_idle"] = cpu_pct_idle;
    state.counters["rss_mb"] = rss;
    state.counters["rss_growth_mb"] = rss - rss_before;
    state.counters["threads"] = std::max(threads, threads_late);
    state.counters["stop_ms"] = stop_ms;
    state.counters["cores"] = static_cast<double>(std::thread::hardware_concurrency());
    state.counters["skipped"] = 0;
  }
}

void one_run(benchmark::internal::Benchmark* b) { b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond); }

// The pool first, then threads; the 10,000-processor threads case last (it can take minutes).
BENCHMARK_CAPTURE(BM_Scale, pool, ExecutorKind::kPool)->Arg(1000)->Arg(10000)->Arg(100000)->Apply(one_run);
BENCHMARK_CAPTURE(BM_Scale, threads, ExecutorKind::kThreads)->Arg(1000)->Arg(100000)->Apply(one_run);
BENCHMARK_CAPTURE(BM_Scale, threads, ExecutorKind::kThreads)->Arg(10000)->Apply(one_run);

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
