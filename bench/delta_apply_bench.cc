// Delta apply: how long it takes to add one processor to a running graph and connect it to an
// already-running source, from the add_processor() call until the new processor's first
// message arrives — in running graphs of 10, 100 and 1,000 processors.
//
// The running graph: one LiveSource plus N - 1 IdleRelay processors linked in chains of 10
// with no traffic. Every case runs once per executor (BM_AddAndConnect/threads/..., /pool/...).
// With the threads executor every processor is a thread, so N = 1,000 is 1,000 threads; the
// idle ones sleep on their notifier and cost no CPU. With the pool they are parked processors
// and a few workers. Counter `threads`: the process's thread count. The source runs in one of
// two ways (the second benchmark argument):
//   interval 100   one message per 100 us, as a live source does (10 kHz is faster than any
//                  video or audio buffer rate): it sleeps between messages, and up to 100 us
//                  (50 on average) of waiting for its next message is part of the figure.
//                  This is the headline figure.
//   interval 0     it pushes as fast as it can (into its output's plug while nothing is
//                  connected), so the first message follows the wiring at once — but the
//                  source keeps one of the two cores busy, and whether the new processor's
//                  thread is woken on the other core or queued behind the spinning source
//                  (until the next scheduler tick, ~4 ms) is up to the kernel. Kept as a
//                  diagnostic: its p50 flips between tens of microseconds and ~4 ms from run
//                  to run on a 2-core machine.
//
// Each iteration, in the runtime's default Auto commit mode:
//   t0; add_processor<FirstArrivalSink>(); connect(source.out, sink.in); ... first message
// and the sink's process() records the arrival time of its first message. The sink is then
// removed and the runtime left alone for a millisecond (not timed), so every iteration adds
// into the same, settled N-processor graph. Reported:
// p50 / mean / max of t0 -> first message over the iterations, and the p50 of the two calls'
// own durations (add_processor: spawn + setup; connect: wiring at both ends' safe points).
// Beside it, BM_FutexWakeWithSleepers measures what 10 and 1,000 sleeping threads do to one
// raw futex wake-up, the kernel's share of any growth with size.
#include <benchmark/benchmark.h>
#include <linux/futex.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_common.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::StreamRuntime;

constexpr int kIterations = 100;
constexpr std::uint32_t kChainLength = 10;

// Arrival time (monotonic ns) of the current probe's first message; 0 until it comes. Written
// by the probe's thread, waited for by the main thread.
std::atomic<std::int64_t> g_first_arrival{0};

struct SourceConfig {
  std::uint32_t interval_us = 0;  // 0: push as fast as possible
};
STREAMLIB_CONFIG(SourceConfig, interval_us);

class LiveSource : public streamlib::Processor<SourceConfig> {
 public:
  STREAMLIB_PROCESSOR(LiveSource, "Benchmark: pushes BenchTicks, as fast as it can or paced", streamlib::Continuous{});
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::ExecutionConfig execution_config() const override {
    return {streamlib::Continuous{std::chrono::microseconds(config().interval_us)}, streamlib::ThreadPriority::kNormal};
  }

  streamlib::Result<void> process() override {
    out.push(BenchTick{next_++, 0});
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

class IdleRelay : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(IdleRelay, "Benchmark: forwards BenchTicks (idle: nothing feeds it)", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    in.drain([&](BenchTick&& t) { out.push(t); });
    return {};
  }
};

class FirstArrivalSink : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(FirstArrivalSink, "Benchmark: records when its first message arrives", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};

  streamlib::Result<void> process() override {
    const std::size_t n = in.drain([](BenchTick&&) {});
    if (n > 0 && !seen_) {
      seen_ = true;
      g_first_arrival.store(now_ns(), std::memory_order_release);
      g_first_arrival.notify_all();
    }
    return {};
  }

 private:
  bool seen_ = false;
};

double p50(std::vector<std::int64_t> v) { return percentile(v, 0.5); }

void BM_AddAndConnect(benchmark::State& state, streamlib::ExecutorKind executor) {
  const auto processors = static_cast<std::uint32_t>(state.range(0));
  const auto interval_us = static_cast<std::uint32_t>(state.range(1));
  StreamRuntime rt(with_executor(executor));
  auto src = rt.add_processor<LiveSource>(SourceConfig{interval_us}, "src");
  if (!src) return state.SkipWithError(src.error().message().c_str());
  // Background: processors - 1 idle relays in chains of kChainLength.
  for (std::uint32_t i = 1; i < processors; ++i) {
    auto relay = rt.add_processor<IdleRelay>({}, fmt::format("idle{}", i));
    if (!relay) return state.SkipWithError(relay.error().message().c_str());
    if ((i - 1) % kChainLength != 0) {
      auto l = rt.connect(fmt::format("idle{}.out", i - 1), fmt::format("idle{}.in", i));
      if (!l) return state.SkipWithError(l.error().message().c_str());
    }
  }
  const auto start_begin = std::chrono::steady_clock::now();
  if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
  const double start_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_begin).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let every thread settle into its sleep

  std::vector<std::int64_t> total_ns;
  std::vector<std::int64_t> add_ns;
  std::vector<std::int64_t> connect_ns;
  for (auto _ : state) {
    g_first_arrival.store(0);
    const std::int64_t t0 = now_ns();
    auto sink = rt.add_processor<FirstArrivalSink>({}, "probe");
    const std::int64_t t1 = now_ns();
    if (!sink) return state.SkipWithError(sink.error().message().c_str());
    auto link = rt.connect(src->output(&LiveSource::out), sink->input(&FirstArrivalSink::in));
    const std::int64_t t2 = now_ns();
    if (!link) return state.SkipWithError(link.error().message().c_str());
    g_first_arrival.wait(0, std::memory_order_acquire);
    const std::int64_t arrival = g_first_arrival.load(std::memory_order_acquire);
    state.SetIterationTime(static_cast<double>(arrival - t0) * 1e-9);
    total_ns.push_back(arrival - t0);
    add_ns.push_back(t1 - t0);
    connect_ns.push_back(t2 - t1);
    if (auto r = rt.remove_processor(*sink); !r) return state.SkipWithError(r.error().message().c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double threads = thread_count();
  (void)rt.stop();

  state.counters["processors"] = processors;
  state.counters["source_interval_us"] = interval_us;
  state.counters["threads"] = threads;  // the process's, while the graph ran
  state.counters["start_ms"] = start_ms;
  state.counters["p50_us"] = p50(total_ns) * 1e-3;
  state.counters["mean_us"] = static_cast<double>(std::accumulate(total_ns.begin(), total_ns.end(), std::int64_t{0})) *
                              1e-3 / static_cast<double>(total_ns.size());
  state.counters["max_us"] = static_cast<double>(*std::max_element(total_ns.begin(), total_ns.end())) * 1e-3;
  state.counters["add_p50_us"] = p50(add_ns) * 1e-3;
  state.counters["connect_p50_us"] = p50(connect_ns) * 1e-3;
}

// --- Peer for the scaling: the kernel alone ----------------------------------------------------
//
// Adding and connecting a processor is a handful of cross-thread wake-ups (the new thread
// starting, commands posted to two processors, completions back to the caller). This measures
// one raw futex wake-up of a sleeping thread (paced, one-way, as in hop_latency_bench) while N
// other threads of the process sleep on futexes of their own — what 10 or 1,000 idle
// processors are to the kernel — so the runtime's growth from 10 to 1,000 processors can be
// set against the kernel's.

void BM_FutexWakeWithSleepers(benchmark::State& state) {
  const auto sleepers = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<std::atomic<std::uint32_t>>> words;
  std::vector<std::thread> idle;
  for (std::size_t i = 0; i < sleepers; ++i) {
    words.push_back(std::make_unique<std::atomic<std::uint32_t>>(0));
    idle.emplace_back([w = words.back().get()] {
      while (w->load() == 0) futex(*w, FUTEX_WAIT_PRIVATE, 0);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  alignas(64) std::atomic<std::uint32_t> word{0};
  alignas(64) std::atomic<std::int64_t> stamp{0};
  std::vector<std::int64_t> samples;
  constexpr std::uint32_t kRounds = 2000;
  samples.reserve(kRounds);
  for (auto _ : state) {
    std::thread waiter([&] {
      std::uint32_t seen = 0;
      while (seen < kRounds) {
        std::uint32_t v;
        while ((v = word.load(std::memory_order_acquire)) == seen) futex(word, FUTEX_WAIT_PRIVATE, seen);
        samples.push_back(now_ns() - stamp.load(std::memory_order_relaxed));
        seen = v;
      }
    });
    for (std::uint32_t i = 0; i < kRounds; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      stamp.store(now_ns(), std::memory_order_relaxed);
      word.fetch_add(1, std::memory_order_release);
      futex(word, FUTEX_WAKE_PRIVATE, 1);
    }
    waiter.join();
    state.SetIterationTime(static_cast<double>(kRounds) * 500e-6);
  }
  for (auto& w : words) {
    w->store(1);
    futex(*w, FUTEX_WAKE_PRIVATE, 1);
  }
  for (auto& t : idle) t.join();
  state.counters["sleepers"] = static_cast<double>(sleepers);
  state.counters["p50_ns"] = percentile(samples, 0.5);
  state.counters["p90_ns"] = percentile(samples, 0.9);
}

// Each case is repeated on a fresh runtime and reported as the median run (min and max kept).
// Once per executor: BM_AddAndConnect/threads/N/interval and BM_AddAndConnect/pool/N/interval.
void add_connect_args(benchmark::internal::Benchmark* b) {
  repeated(b->ArgsProduct({{10, 100, 1000}, {100, 0}}), 3, benchmark::kMicrosecond, kIterations);
}
BENCHMARK_CAPTURE(BM_AddAndConnect, threads, streamlib::ExecutorKind::kThreads)->Apply(add_connect_args);
BENCHMARK_CAPTURE(BM_AddAndConnect, pool, streamlib::ExecutorKind::kPool)->Apply(add_connect_args);
BENCHMARK(BM_FutexWakeWithSleepers)->Arg(10)->Arg(1000)->Apply([](benchmark::internal::Benchmark* b) {
  repeated(b, 3);
});

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
