// Per-hop wake-up latency: one message every millisecond through a chain of 8 Reactive
// processors, so each hop's consumer is asleep when its message arrives and every hop pays a
// full wake-up (push -> notifier -> futex wake -> scheduler -> the consumer's drain()).
// Measured in the same run as its floor, a raw two-thread futex ping-pong paced the same way.
//
//   PacedSource --> relay0 --> relay1 --> ... --> relay7        (8 hops, 8 links)
//
// Each relay stamps a message just before pushing it on and the next relay measures arrival
// minus stamp, so a sample is exactly one hop: the push, the wake-up of a sleeping thread, and
// the runtime's way from its futex to the processor's drain(). Samples of all 8 hops are
// pooled for p50/p99. The link's own enqueue->dequeue percentiles from rt.stats() (sampled
// for every message pushed while the consumer sleeps) are reported beside them as a check.
//
// The ping-pong: thread A sleeps 1 ms, stamps, bumps a futex word and FUTEX_WAKEs B, then
// FUTEX_WAITs; B, woken, measures now minus A's stamp, stamps, and wakes A the same way, which
// measures its side. Both directions are one-way wake-ups of a sleeping thread — the same
// thing a hop is, minus the runtime.
//
// The StreamLib chain runs once per executor (BM_StreamLibHop/threads, BM_StreamLibHop/pool):
// under the pool a hop is a notify that queues the relay on a worker, which may already be
// awake. Counter `threads`: the process's thread count while the chain runs.
#include <benchmark/benchmark.h>
#include <linux/futex.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_common.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::StreamRuntime;

constexpr int kHops = 8;
constexpr int kWarmUpMessages = 200;
constexpr int kMessages = 3000;  // at 1 kHz: 3 s
constexpr std::int64_t kPeriodUs = 1000;

// One sample buffer per relay, written only by that relay's thread while the runtime runs and
// read by the main thread after stop() has joined it. Reserved up front: no allocation on the
// processor thread.
std::array<std::vector<std::int64_t>, kHops> g_hop_samples;

class PacedSource : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(PacedSource, "Benchmark: one BenchTick per millisecond",
                      streamlib::Continuous{std::chrono::microseconds(kPeriodUs)});
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    out.push(BenchTick{next_++, now_ns()});
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

struct RelayConfig {
  std::uint32_t index = 0;  // which g_hop_samples buffer this relay fills
};
STREAMLIB_CONFIG(RelayConfig, index);

class HopRelay : public streamlib::Processor<RelayConfig> {
 public:
  STREAMLIB_PROCESSOR(HopRelay, "Benchmark: records each message's hop latency and forwards it", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    const std::int64_t arrived = now_ns();
    std::vector<std::int64_t>& samples = g_hop_samples[config().index];
    in.drain([&](BenchTick&& t) {
      if (samples.size() < samples.capacity()) samples.push_back(arrived - t.sent_ns);
      t.sent_ns = now_ns();
      out.push(t);
    });
    return {};
  }
};

void BM_StreamLibHop(benchmark::State& state, streamlib::ExecutorKind executor) {
  for (auto& s : g_hop_samples) {
    s.clear();
    s.reserve(kWarmUpMessages + kMessages + 64);
  }
  StreamRuntime rt(with_executor(executor));
  auto src = rt.add_processor<PacedSource>({}, "src");
  if (!src) return state.SkipWithError(src.error().message().c_str());
  streamlib::OutputRef<BenchTick> upstream = src->output(&PacedSource::out);
  for (std::uint32_t i = 0; i < kHops; ++i) {
    auto relay = rt.add_processor<HopRelay>(RelayConfig{i}, fmt::format("relay{}", i));
    if (!relay) return state.SkipWithError(relay.error().message().c_str());
    if (auto l = rt.connect(upstream, relay->input(&HopRelay::in)); !l) {
      return state.SkipWithError(l.error().message().c_str());
    }
    upstream = relay->output(&HopRelay::out);
  }
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
    // Done when the last relay has seen every message (or after a generous timeout).
    const auto deadline = t0 + std::chrono::seconds(3 * (kWarmUpMessages + kMessages) / 1000 + 5);
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      // Only a progress check; the samples themselves are read after stop().
      const streamlib::RuntimeStats progress = rt.stats();
      const streamlib::ProcessorStats* last = progress.find_processor(streamlib::ProcessorId("relay7"));
      if (last != nullptr && last->process_calls >= kWarmUpMessages + kMessages) break;
    }
    const streamlib::RuntimeStats stats = rt.stats();
    state.counters["threads"] = thread_count();
    (void)rt.stop();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(seconds);

    std::vector<std::int64_t> pooled;
    std::vector<double> hop_p50;
    for (std::size_t hop = 0; hop < g_hop_samples.size(); ++hop) {
      const auto& s = g_hop_samples[hop];
      std::vector<std::int64_t> steady(s.begin() + std::min<std::size_t>(s.size(), kWarmUpMessages), s.end());
      pooled.insert(pooled.end(), steady.begin(), steady.end());
      hop_p50.push_back(percentile(steady, 0.5));
      state.counters[fmt::format("hop{}_p50_ns", hop)] = hop_p50.back();
    }
    std::vector<std::int64_t> link_p50;
    std::vector<std::int64_t> link_p99;
    for (const streamlib::LinkStats& l : stats.links) {
      link_p50.push_back(l.latency_p50_ns);
      link_p99.push_back(l.latency_p99_ns);
    }
    state.counters["samples"] = static_cast<double>(pooled.size());
    state.counters["p50_ns"] = percentile(pooled, 0.5);
    state.counters["p90_ns"] = percentile(pooled, 0.9);
    state.counters["p99_ns"] = percentile(pooled, 0.99);
    state.counters["max_ns"] = pooled.empty() ? 0 : static_cast<double>(pooled.back());
    state.counters["hop_p50_min_ns"] = *std::min_element(hop_p50.begin(), hop_p50.end());
    state.counters["hop_p50_max_ns"] = *std::max_element(hop_p50.begin(), hop_p50.end());
    state.counters["linkstats_p50_ns"] = percentile(link_p50, 0.5);  // median over the 8 links
    state.counters["linkstats_p99_ns"] = percentile(link_p99, 0.5);
  }
}

// --- Raw futex ping-pong ----------------------------------------------------------------------

// Sleeps until `word` differs from `seen`; returns its new value.
std::uint32_t wait_change(std::atomic<std::uint32_t>& word, std::uint32_t seen) {
  std::uint32_t v;
  while ((v = word.load(std::memory_order_acquire)) == seen) futex(word, FUTEX_WAIT_PRIVATE, seen);
  return v;
}

void bump_and_wake(std::atomic<std::uint32_t>& word) {
  word.fetch_add(1, std::memory_order_release);
  futex(word, FUTEX_WAKE_PRIVATE, 1);
}

void BM_FutexPingPong(benchmark::State& state) {
  std::vector<std::int64_t> samples;
  samples.reserve(2 * (kWarmUpMessages + kMessages));
  alignas(64) std::atomic<std::uint32_t> to_b{0};
  alignas(64) std::atomic<std::uint32_t> to_a{0};
  alignas(64) std::atomic<std::int64_t> stamp{0};
  std::atomic<bool> stop{false};
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::int64_t> b_samples;
    b_samples.reserve(kWarmUpMessages + kMessages);
    std::thread b([&] {
      std::uint32_t seen = 0;
      for (;;) {
        seen = wait_change(to_b, seen);
        if (stop.load(std::memory_order_relaxed)) return;
        b_samples.push_back(now_ns() - stamp.load(std::memory_order_relaxed));
        stamp.store(now_ns(), std::memory_order_relaxed);
        bump_and_wake(to_a);
      }
    });
    std::uint32_t seen = 0;
    for (int i = 0; i < kWarmUpMessages + kMessages; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(kPeriodUs));
      stamp.store(now_ns(), std::memory_order_relaxed);
      bump_and_wake(to_b);
      seen = wait_change(to_a, seen);
      const std::int64_t back = now_ns() - stamp.load(std::memory_order_relaxed);
      if (i >= kWarmUpMessages) samples.push_back(back);
    }
    stop.store(true);
    bump_and_wake(to_b);
    b.join();
    samples.insert(samples.end(), b_samples.begin() + kWarmUpMessages, b_samples.end());
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(seconds);
  }
  state.counters["samples"] = static_cast<double>(samples.size());
  state.counters["p50_ns"] = percentile(samples, 0.5);
  state.counters["p90_ns"] = percentile(samples, 0.9);
  state.counters["p99_ns"] = percentile(samples, 0.99);
  state.counters["max_ns"] = samples.empty() ? 0 : static_cast<double>(samples.back());
}

// Each is repeated three times and reported as the median run (min and max kept).
void repeated_3(benchmark::internal::Benchmark* b) { repeated(b, 3); }

BENCHMARK(BM_FutexPingPong)->Apply(repeated_3);
BENCHMARK_CAPTURE(BM_StreamLibHop, threads, streamlib::ExecutorKind::kThreads)->Apply(repeated_3);
BENCHMARK_CAPTURE(BM_StreamLibHop, pool, streamlib::ExecutorKind::kPool)->Apply(repeated_3);

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
