// Link throughput: messages per second from a Continuous source (interval 0, one message per
// process() call) to a Reactive sink through the real StreamRuntime, measured in the same run
// as two peers:
//   * a raw boost::lockfree::spsc_queue between two busy-spinning threads, carrying the same
//     message type and with the same capacity — the ceiling for a lock-free SPSC ring here;
//   * GStreamer, `gst-launch-1.0 fakesrc num-buffers=N ! queue ! fakesink`, run as a
//     subprocess. Its start-up cost is removed by timing a short run too and dividing the
//     difference in buffers by the difference in time.
// Two message types: BenchTick (16 bytes, trivially copyable; bench_common.h) shows the cost
// of the link and the executor alone; DataFrame (pooled, reference-counted, as the built-in
// SequenceSource makes it) shows what a real frame type adds. Each is compared with a boost
// queue carrying the same type, filled by a producer that does what the StreamLib source does.
// BenchTick also runs with both a `block` and a `drop_newest` link, and with a deliberately
// slow sink, which separates the link's own cost from the cost of its full-link handshake.
//
// Rates are taken over a wall-clock window while the pipeline runs: the main thread reads the
// sink's counter, sleeps for the window, reads it again. It sleeps, so the two pipeline
// threads have the machine's two cores to themselves.
//
// The last group is single-threaded diagnostics: BM_PushPop* is the cost of one push plus one
// pop on an uncontended LinkChannel (by policy) against the bare SpscRing under it — what the
// channel's bookkeeping (counters, latency sampling, notifier fences) costs per message — and
// BM_DataFrame_AcquireRelease what one pooled DataFrame costs when no other thread shares its
// pool.
//
// The runtime cases (BM_StreamLib_*) run once per executor: BM_StreamLib_Tick/threads/... and
// BM_StreamLib_Tick/pool/... (bench_common.h). Under the pool the source and sink run on pool
// workers, not threads named "src" and "sink", so src_sleeps_per_msg / sink_sleeps_per_msg
// stay 0 there; all_sleeps_per_msg (every thread of the process) compares the two.
#include <benchmark/benchmark.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/lockfree/spsc_queue.hpp>

#include "bench_common.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::DataFrame;
using streamlib::LinkConfig;
using streamlib::LinkPolicy;
using streamlib::StreamRuntime;

// Each repetition builds a fresh pipeline, lets it run kWarmUp, then counts over one kWindow.
// Which side of a link is faster — and so whether it runs empty or full — can differ from one
// pipeline to the next on a 2-core VM, so every figure is the median over kRepetitions fresh
// pipelines, with min and max kept beside it.
constexpr auto kWarmUp = std::chrono::milliseconds(200);
constexpr auto kWindow = std::chrono::milliseconds(500);
constexpr int kRepetitions = 5;

// Written only by the sink thread of the pipeline under test (one at a time), read by the
// main thread. Own cache line: the producer never touches it.
struct alignas(64) SinkProbe {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> reordered{0};          // a sequence number below the previous one
  std::atomic<std::int64_t> longest_process_ns{0};  // the longest single process() call
};
SinkProbe g_probe;

void reset_probe() {
  g_probe.received.store(0);
  g_probe.reordered.store(0);
  g_probe.longest_process_ns.store(0);
}

// Sink side, per message: counted at once (not after the batch), so a window's count does not
// depend on how long one drain() lasts. `expected` is the sequence number expected next; a gap
// (a message dropped by a drop_newest link) is not a reorder.
void count_received(std::uint64_t seq, std::uint64_t& expected) {
  g_probe.received.store(g_probe.received.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (seq < expected) g_probe.reordered.fetch_add(1, std::memory_order_relaxed);
  expected = seq + 1;
}

// Sink side, per process() call that started at `start_ns`.
void note_process_call(std::int64_t start_ns) {
  const std::int64_t took = now_ns() - start_ns;
  if (took > g_probe.longest_process_ns.load(std::memory_order_relaxed)) {
    g_probe.longest_process_ns.store(took, std::memory_order_relaxed);
  }
}

// --- StreamLib processors ---------------------------------------------------------------------

class TickSource : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TickSource, "Benchmark: one BenchTick per process() call", streamlib::Continuous{});
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    out.push(BenchTick{next_++, 0});
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

struct TickSinkConfig {
  // Extra work per message: this many dependent multiply-adds (0: none; 256 is some 300 ns
  // here). A slow sink keeps the link full, which is the case the `block` policy's wake-up
  // handshake is for. Plain arithmetic rather than `pause`, whose latency differs between CPUs
  // and which a hypervisor may trap when it is spun on.
  std::uint32_t spin = 0;
};
STREAMLIB_CONFIG(TickSinkConfig, spin);

class TickSink : public streamlib::Processor<TickSinkConfig> {
 public:
  STREAMLIB_PROCESSOR(TickSink, "Benchmark: counts BenchTicks", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};

  streamlib::Result<void> process() override {
    // The longest-call diagnostic reads the clock twice; on every 256th call only, so the sink
    // does per message what the raw-queue peer's consumer does (count_received).
    const bool timed = (calls_++ & 255) == 0;
    const std::int64_t start = timed ? now_ns() : 0;
    const std::uint32_t spin = config().spin;
    in.drain([&](BenchTick&& t) {
      count_received(t.seq, expected_);
      for (std::uint32_t i = 0; i < spin; ++i) {
        work_ = work_ * 6364136223846793005ULL + 1442695040888963407ULL;
        benchmark::DoNotOptimize(work_);
      }
    });
    if (timed) note_process_call(start);
    return {};
  }

 private:
  std::uint64_t calls_ = 0;
  std::uint64_t expected_ = 0;
  std::uint64_t work_ = 1;
};

class FrameSink : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(FrameSink, "Benchmark: counts DataFrames", streamlib::Reactive{});
  streamlib::LinkInput<DataFrame> in{this, "in"};

  streamlib::Result<void> process() override {
    const std::int64_t start = now_ns();
    in.drain([&](DataFrame&& f) { count_received(f.frame_number(), expected_); });
    note_process_call(start);
    return {};
  }

 private:
  std::uint64_t expected_ = 0;
};

// Counts what the sink receives over one window and reports msgs_per_s; the manual time is the
// window. Also reports how often the producer ("src") and consumer ("sink") threads went to
// sleep per message — a wake-up is a syscall on one side and a context switch on the other,
// and is what a message costs when a link runs empty or full — and, for a StreamLib sink
// (`rt` given), how many messages one process() call took and the longest call.
void measure_windows(benchmark::State& state, const StreamRuntime* rt = nullptr) {
  auto sink_calls = [rt]() -> std::uint64_t {
    if (rt == nullptr) return 0;
    const streamlib::RuntimeStats stats = rt->stats();
    const streamlib::ProcessorStats* sink = stats.find_processor(streamlib::ProcessorId("sink"));
    return sink ? sink->process_calls : 0;
  };
  std::this_thread::sleep_for(kWarmUp);
  std::uint64_t total = 0;
  double seconds = 0;
  std::uint64_t src_sleeps = 0;
  std::uint64_t sink_sleeps = 0;
  std::uint64_t all_sleeps = 0;
  std::uint64_t calls = 0;
  for (auto _ : state) {
    auto s0 = voluntary_switches_by_thread();
    const std::uint64_t calls0 = sink_calls();
    const std::uint64_t c0 = g_probe.received.load(std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(kWindow);
    const std::uint64_t c1 = g_probe.received.load(std::memory_order_relaxed);
    const auto t1 = std::chrono::steady_clock::now();
    calls += sink_calls() - calls0;
    auto s1 = voluntary_switches_by_thread();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    total += c1 - c0;
    seconds += s;
    src_sleeps += s1["src"] - s0["src"];
    sink_sleeps += s1["sink"] - s0["sink"];
    for (const auto& [name, n] : s1) all_sleeps += n - std::min(n, s0[name]);
  }
  const auto per_msg = [total](std::uint64_t n) {
    return total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
  };
  state.counters["msgs_per_s"] = static_cast<double>(total) / seconds;
  state.counters["reordered"] = static_cast<double>(g_probe.reordered.load());
  state.counters["src_sleeps_per_msg"] = per_msg(src_sleeps);
  state.counters["sink_sleeps_per_msg"] = per_msg(sink_sleeps);
  state.counters["all_sleeps_per_msg"] = per_msg(all_sleeps);
  if (rt != nullptr) {
    // A call that began before the window and is still running is not counted: 0 calls with
    // messages flowing means one drain() spanned the whole window.
    state.counters["msgs_per_process_call"] = calls ? static_cast<double>(total) / static_cast<double>(calls) : -1;
  }
}

void fail(benchmark::State& state, const streamlib::Error& e) { state.SkipWithError(e.message().c_str()); }

// Starts the wired src -> sink pipeline, measures it (measure_windows), reports its link and
// stops it.
void run_pipeline(benchmark::State& state, StreamRuntime& rt) {
  if (auto r = rt.start(); !r) return fail(state, r.error());
  measure_windows(state, &rt);
  const streamlib::RuntimeStats stats = rt.stats();
  if (!stats.links.empty()) {
    state.counters["link_pushed"] = static_cast<double>(stats.links.front().pushed);
    state.counters["link_dropped"] = static_cast<double>(stats.links.front().dropped);
    state.counters["capacity"] = static_cast<double>(stats.links.front().config.capacity.value_or(0));
  }
  (void)rt.stop();
  // After stop(): a drain() that outlasted the window has returned by now and is counted.
  state.counters["longest_process_ms"] = static_cast<double>(g_probe.longest_process_ns.load()) * 1e-6;
}

// TickSource -> TickSink; arguments: the link's capacity, its policy, and the sink's extra
// work per message (TickSinkConfig::spin). With drop_newest the producer never waits for
// room, so msgs_per_s (what the sink received) is the consumer's rate and link_dropped counts
// the rest.
void BM_StreamLib_Tick(benchmark::State& state, streamlib::ExecutorKind executor) {
  reset_probe();
  StreamRuntime rt(with_executor(executor));
  auto src = rt.add_processor<TickSource>({}, "src");
  auto sink = rt.add_processor<TickSink>(TickSinkConfig{static_cast<std::uint32_t>(state.range(2))}, "sink");
  if (!src || !sink) return fail(state, src ? sink.error() : src.error());
  const auto policy = static_cast<LinkPolicy>(state.range(1));
  auto link = rt.connect(src->output(&TickSource::out), sink->input(&TickSink::in),
                         LinkConfig{static_cast<std::uint32_t>(state.range(0)), policy, {}, {}});
  if (!link) return fail(state, link.error());
  run_pipeline(state, rt);
  state.SetLabel(fmt::format("{}{}", streamlib::enum_name(policy), state.range(2) ? ", slow sink" : ""));
}

// The built-in SequenceSource (interval 0, 8-byte payload) -> FrameSink.
void BM_StreamLib_DataFrame(benchmark::State& state, streamlib::ExecutorKind executor) {
  reset_probe();
  StreamRuntime rt(with_executor(executor));
  streamlib::SequenceSourceConfig config;
  config.interval_us = 0;
  config.payload_bytes = 8;
  auto src = rt.add_processor<streamlib::SequenceSource>(config, "src");
  auto sink = rt.add_processor<FrameSink>({}, "sink");
  if (!src || !sink) return fail(state, src ? sink.error() : src.error());
  auto link = rt.connect(src->output(&streamlib::SequenceSource::out), sink->input(&FrameSink::in),
                         LinkConfig{static_cast<std::uint32_t>(state.range(0)), LinkPolicy::kBlock, {}, {}});
  if (!link) return fail(state, link.error());
  run_pipeline(state, rt);
}

// --- Raw boost::lockfree::spsc_queue peer --------------------------------------------------------

// Runs `produce(stop)` and `consume(stop, expected)` — which polls once and returns how many
// messages it took, counting each with count_received() — on two threads named like the
// pipeline's ("src", "sink"), and measures the sink's rate. The consumer busy-spins.
template <class Produce, class Consume>
void run_pair(benchmark::State& state, Produce produce, Consume consume) {
  reset_probe();
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    pthread_setname_np(pthread_self(), "sink");
    std::uint64_t expected = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (consume(expected) == 0) streamlib::internal::cpu_relax();
    }
  });
  std::thread producer([&] {
    pthread_setname_np(pthread_self(), "src");
    produce(stop);
  });
  measure_windows(state);
  stop.store(true);
  producer.join();
  consumer.join();
  state.counters["capacity"] = static_cast<double>(state.range(0));
}

// A boost::lockfree::spsc_queue<T> between `produce(queue, stop)` and a consumer that checks
// order with `check` (a message's sequence number).
template <class T, class Produce, class Check>
void run_boost_pair(benchmark::State& state, Produce produce, Check check) {
  boost::lockfree::spsc_queue<T> queue(static_cast<std::size_t>(state.range(0)));
  run_pair(
      state, [&](std::atomic<bool>& stop) { produce(queue, stop); },
      [&](std::uint64_t& expected) {
        return queue.consume_all([&](const T& v) { count_received(check(v), expected); });
      });
}

void BM_BoostSpsc_Tick(benchmark::State& state) {
  run_boost_pair<BenchTick>(
      state,
      [](boost::lockfree::spsc_queue<BenchTick>& q, std::atomic<bool>& stop) {
        std::uint64_t seq = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          if (q.push(BenchTick{seq, 0})) {
            ++seq;
          } else {
            streamlib::internal::cpu_relax();
          }
        }
      },
      [](const BenchTick& t) { return t.seq; });
}

// --- Diagnostic ladder: the same two spinning threads on StreamLib's own link pieces -----------
//
// Between the raw boost queue and the full runtime, each rung adds one piece: StreamLib's
// SpscRing alone; the ring plus the Notifier::notify() a LinkChannel push makes (the consumer
// never sleeps, so it is the seq_cst fence and a load); the whole LinkChannel (counters,
// latency sampling, policy, notify) with the given policy. What is left between the last rung
// and BM_StreamLib_Tick is the executor: the process() loop and the Reactive sink's sleeping.

void BM_Ring_Tick(benchmark::State& state) {
  const bool notify = state.range(1) != 0;
  streamlib::SpscRing<BenchTick> ring(static_cast<std::size_t>(state.range(0)));
  streamlib::Notifier notifier;
  run_pair(
      state,
      [&](std::atomic<bool>& stop) {
        std::uint64_t seq = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          if (ring.try_push(BenchTick{seq, 0})) {
            ++seq;
            if (notify) notifier.notify();
          } else {
            streamlib::internal::cpu_relax();
          }
        }
      },
      [&](std::uint64_t& expected) {
        std::size_t n = 0;
        BenchTick t;
        while (ring.try_pop(t)) {
          count_received(t.seq, expected);
          ++n;
        }
        return n;
      });
  state.SetLabel(notify ? "SpscRing + Notifier::notify per push" : "SpscRing");
}

void BM_LinkChannel_Tick(benchmark::State& state) {
  const auto policy = static_cast<LinkPolicy>(state.range(1));
  streamlib::internal::LinkChannel<BenchTick> channel(
      {streamlib::LinkId("bench"), "src.out", "sink.in"},
      LinkConfig{static_cast<std::uint32_t>(state.range(0)), policy, streamlib::ReadMode::kSequential,
                 streamlib::kDefaultBlockTimeout},
      std::make_shared<streamlib::Notifier>());
  run_pair(
      state,
      [&](std::atomic<bool>& stop) {
        std::uint64_t seq = 0;
        while (!stop.load(std::memory_order_relaxed)) channel.push(BenchTick{seq++, 0});
      },
      [&](std::uint64_t& expected) {
        return channel.drain([&](BenchTick&& t) { count_received(t.seq, expected); }, [] { return true; });
      });
  state.SetLabel(fmt::format("LinkChannel, {}", streamlib::enum_name(policy)));
}

// The producer does per message what SequenceSource::process() does: a pooled frame, the
// sequence number in its first 8 bytes, frame number and timestamp.
// Also reports how many frames the pool had to allocate (rather than reuse) per message.
void BM_BoostSpsc_DataFrame(benchmark::State& state) {
  std::uint64_t allocated = 0;
  std::uint64_t made = 0;
  run_boost_pair<DataFrame>(
      state,
      [&](boost::lockfree::spsc_queue<DataFrame>& q, std::atomic<bool>& stop) {
        streamlib::DataFramePool pool;
        struct Tally {  // read the pool's counters however the loop ends
          streamlib::DataFramePool& pool;
          std::uint64_t& allocated;
          std::uint64_t& made;
          ~Tally() {
            allocated = pool.allocated();
            made = pool.allocated() + pool.reused();
          }
        } tally{pool, allocated, made};
        std::uint64_t seq = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          streamlib::WritableDataFrame w = pool.acquire("sequence", 8);
          std::memcpy(w.bytes().data(), &seq, sizeof seq);
          w.set_frame_number(seq);
          w.set_timestamp_ns(now_ns());
          DataFrame f = std::move(w).freeze();
          while (!q.push(f)) {
            if (stop.load(std::memory_order_relaxed)) return;
            streamlib::internal::cpu_relax();
          }
          ++seq;
        }
      },
      [](const DataFrame& f) { return f.frame_number(); });
  state.counters["pool_allocs_per_msg"] = made ? static_cast<double>(allocated) / static_cast<double>(made) : 0;
}

// --- GStreamer peer ---------------------------------------------------------------------------

void BM_GStreamerQueue(benchmark::State& state) {
  const std::int64_t big = state.range(0);
  const std::int64_t small = 1000;
  auto run = [](std::int64_t buffers) {
    return time_subprocess(
        {"gst-launch-1.0", "-q", "fakesrc", fmt::format("num-buffers={}", buffers), "!", "queue", "!", "fakesink"});
  };
  if (run(small) < 0) {  // also warms the plugin registry cache
    state.SkipWithError("gst-launch-1.0 fakesrc ! queue ! fakesink did not run (gstreamer1.0-tools installed?)");
    return;
  }
  double buffers = 0;
  double seconds = 0;
  for (auto _ : state) {
    const double t_small = run(small);
    const double t_big = run(big);
    if (t_small < 0 || t_big < 0 || t_big <= t_small) {
      state.SkipWithError("gst-launch-1.0 failed during the measurement");
      return;
    }
    state.SetIterationTime(t_big - t_small);
    buffers += static_cast<double>(big - small);
    seconds += t_big - t_small;
  }
  state.counters["msgs_per_s"] = buffers / seconds;
}

// --- Single-threaded diagnostic: what one push + pop costs ------------------------------------

void BM_PushPop_SpscRing(benchmark::State& state) {
  streamlib::SpscRing<BenchTick> ring(1024);
  std::uint64_t seq = 0;
  BenchTick out;
  for (auto _ : state) {
    (void)ring.try_push(BenchTick{seq++, 0});
    (void)ring.try_pop(out);
    benchmark::DoNotOptimize(out);
  }
}

void BM_PushPop_LinkChannel(benchmark::State& state) {
  const auto policy = static_cast<LinkPolicy>(state.range(0));
  auto notifier = std::make_shared<streamlib::Notifier>();
  streamlib::internal::LinkChannel<BenchTick> channel(
      {streamlib::LinkId("bench"), "a.out", "b.in"},
      LinkConfig{1024, policy, streamlib::ReadMode::kSequential, streamlib::kDefaultBlockTimeout}, notifier);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    channel.push(BenchTick{seq++, 0});
    auto v = channel.pop();
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(std::string(streamlib::enum_name(policy)));
}

// What one pooled DataFrame costs on one thread, uncontended: acquire, fill as SequenceSource
// does, freeze, release back to the pool. Beside the two-thread DataFrame rates it separates
// the frame's own cost from what sharing its pool between two threads adds.
void BM_DataFrame_AcquireRelease(benchmark::State& state) {
  streamlib::DataFramePool pool;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    streamlib::WritableDataFrame w = pool.acquire("sequence", 8);
    std::memcpy(w.bytes().data(), &seq, sizeof seq);
    w.set_frame_number(seq++);
    w.set_timestamp_ns(now_ns());
    DataFrame f = std::move(w).freeze();
    benchmark::DoNotOptimize(f);
  }
}

// Median, min and max over kRepetitions fresh pipelines.
void repeated_n(benchmark::internal::Benchmark* b) { repeated(b, kRepetitions); }

constexpr int kSlowSinkSpin = 256;  // multiply-adds per message in the slow sink

void tick_args(benchmark::internal::Benchmark* b) {
  repeated(b->Args({1024, static_cast<int>(LinkPolicy::kBlock), 0})
               ->Args({1024, static_cast<int>(LinkPolicy::kDropNewest), 0})
               ->Args({1024, static_cast<int>(LinkPolicy::kBlock), kSlowSinkSpin})
               ->Args({1024, static_cast<int>(LinkPolicy::kDropNewest), kSlowSinkSpin}),
           kRepetitions);
}

BENCHMARK_CAPTURE(BM_StreamLib_Tick, threads, streamlib::ExecutorKind::kThreads)->Apply(tick_args);
BENCHMARK_CAPTURE(BM_StreamLib_Tick, pool, streamlib::ExecutorKind::kPool)->Apply(tick_args);
BENCHMARK(BM_BoostSpsc_Tick)->Arg(1024)->Apply(repeated_n);
BENCHMARK(BM_Ring_Tick)->Args({1024, 0})->Args({1024, 1})->Apply(repeated_n);
BENCHMARK(BM_LinkChannel_Tick)
    ->Args({1024, static_cast<int>(LinkPolicy::kBlock)})
    ->Args({1024, static_cast<int>(LinkPolicy::kDropNewest)})
    ->Apply(repeated_n);
BENCHMARK_CAPTURE(BM_StreamLib_DataFrame, threads, streamlib::ExecutorKind::kThreads)
    ->Arg(16)
    ->Arg(1024)
    ->Apply(repeated_n);
BENCHMARK_CAPTURE(BM_StreamLib_DataFrame, pool, streamlib::ExecutorKind::kPool)->Arg(16)->Arg(1024)->Apply(repeated_n);
BENCHMARK(BM_BoostSpsc_DataFrame)->Arg(16)->Arg(1024)->Apply(repeated_n);
BENCHMARK(BM_GStreamerQueue)->Arg(500000)->Apply(repeated_n);
BENCHMARK(BM_PushPop_SpscRing);
BENCHMARK(BM_DataFrame_AcquireRelease);
BENCHMARK(BM_PushPop_LinkChannel)
    ->Arg(static_cast<int>(LinkPolicy::kBlock))
    ->Arg(static_cast<int>(LinkPolicy::kDropNewest))
    ->Arg(static_cast<int>(LinkPolicy::kDropOldest));

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
