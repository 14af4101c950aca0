// Branch add: adding one more sink to a running source that already fans out to N sinks, in
// GStreamer's own shape (a tee with N `queue ! fakesink` branches), StreamLib and GStreamer in
// the same run. N = 10, 100 and 1,000 running sinks.
//
// The source sends one small message per 100 us on both sides, paced the same way: it sleeps
// until its next due time, pushes, and when it falls behind it skips rather than bursts.
//
//   StreamLib   a Continuous{100 us} BranchSource pushing BenchTicks (16 bytes) into one output
//               linked to N Reactive BranchSinks (every link the BenchTick default: capacity
//               1024, `block`). Auto commit mode. Once per executor (BM_StreamLib_BranchAdd/
//               threads/N, /pool/N): one thread per processor (N + 1 threads), or the pool's
//               workers.
//   GStreamer   fakesrc is-live=true sizetype=fixed sizemax=16 (16-byte buffers), paced from its
//               "handoff" signal (emitted on the streaming thread just before each push), into
//               a tee with N branches of `queue ! fakesink sync=false async=false` (queue at its
//               defaults: 200 buffers, not leaky, so a full queue blocks the tee as a full
//               `block` link blocks the StreamLib source). One streaming thread for the source,
//               one per queue: N + 1 threads.
//
// Before the trials each side measures its source's achieved rate over 1 s (messages pushed
// per second while the N sinks run): 10,000/s if the source keeps its pace. Then 20 trials;
// each adds ONE sink and its link to the running graph and times, from the first call:
//
//   StreamLib   add    add_processor<BranchSink>()     (spawn + setup, acknowledged)
//               connect connect(source.out, sink.in)   (the link attached at both ends'
//                                                       safe points)
//   GStreamer   add    request a tee "src_%u" pad, create queue + fakesink, add them to the
//                      pipeline, sync_state_with_parent (fakesink first)
//               connect link queue -> fakesink, then tee pad -> queue
//
// and until the new sink's first message (StreamLib: recorded in its process(); GStreamer: the
// new fakesink's "handoff" signal). Up to 100 us of that is waiting for the source's next
// message. The trial's sink is then removed (not timed) — StreamLib: remove_processor();
// GStreamer: the tee pad unlinked from an IDLE probe, queue and fakesink set to NULL and
// removed, the request pad released — and the graph left alone for 5 ms, so every trial adds
// into the same N-sink graph.
//
// Counters (per benchmark, over the 20 trials): first_message_p50_us / _p90_us / max_us,
// add_p50_us / _p90_us, connect_p50_us / _p90_us, source_rate_hz, plus sinks, threads,
// start_ms and stop_ms; StreamLib also reports source_process_mean_us (one process() call: a
// push to all N links, measured over the rate window) and links_dropped. bench/summarize.py turns them into the
// "branch_add" lines of results.jsonl.
#include <benchmark/benchmark.h>
#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_common.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::StreamRuntime;

constexpr int kTrials = 20;
constexpr std::int64_t kIntervalNs = 100'000;  // one message per 100 us on both sides
constexpr auto kSettle = std::chrono::milliseconds(200);
constexpr auto kRateWindow = std::chrono::seconds(1);
constexpr auto kBetweenTrials = std::chrono::milliseconds(5);
constexpr auto kFirstMessageTimeout = std::chrono::seconds(10);
constexpr const char* kProbeId = "probe";

// The time (monotonic ns) the current trial's sink saw its first message; 0 until then. The
// sink's thread records it, the benchmark's thread waits for it.
class FirstArrival {
 public:
  void reset() {
    std::lock_guard lock(mutex_);
    at_ns_ = 0;
  }
  void record(std::int64_t at_ns) {
    std::lock_guard lock(mutex_);
    if (at_ns_ != 0) return;
    at_ns_ = at_ns;
    cv_.notify_all();  // under the lock: the waiter cannot return (and the trial end) before this
  }
  // The arrival time, or 0 if none came within `timeout`.
  std::int64_t wait(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return at_ns_ != 0; });
    return at_ns_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t at_ns_ = 0;
};

FirstArrival g_arrival;

double us(double ns) { return ns * 1e-3; }
double pct(std::vector<std::int64_t> v, double p) { return percentile(v, p); }

// Messages per second the source pushed over `window`, from its push counter.
double measure_rate(const std::atomic<std::uint64_t>& pushed, std::chrono::steady_clock::duration window) {
  const std::uint64_t c0 = pushed.load(std::memory_order_relaxed);
  const std::int64_t t0 = now_ns();
  std::this_thread::sleep_for(window);
  const std::uint64_t c1 = pushed.load(std::memory_order_relaxed);
  const std::int64_t t1 = now_ns();
  return static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(t1 - t0);
}

struct TrialSamples {
  std::vector<std::int64_t> first_message_ns, add_ns, connect_ns;

  void report(benchmark::State& state) const {
    state.counters["first_message_p50_us"] = us(pct(first_message_ns, 0.5));
    state.counters["first_message_p90_us"] = us(pct(first_message_ns, 0.9));
    state.counters["max_us"] = us(pct(first_message_ns, 1.0));
    state.counters["add_p50_us"] = us(pct(add_ns, 0.5));
    state.counters["add_p90_us"] = us(pct(add_ns, 0.9));
    state.counters["connect_p50_us"] = us(pct(connect_ns, 0.5));
    state.counters["connect_p90_us"] = us(pct(connect_ns, 0.9));
    state.counters["trials"] = static_cast<double>(first_message_ns.size());
  }
};

// --- StreamLib ------------------------------------------------------------------------------

std::atomic<std::uint64_t> g_streamlib_pushed{0};
std::atomic<std::int64_t> g_streamlib_process_ns{0};  // total time inside BranchSource::process()

class BranchSource : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(BranchSource, "Benchmark: one BenchTick per 100 us to every link",
                      streamlib::Continuous{std::chrono::microseconds(kIntervalNs / 1000)});
  streamlib::LinkOutput<BenchTick> out{this, "out"};

  streamlib::Result<void> process() override {
    const std::int64_t begin = now_ns();
    out.push(BenchTick{next_++, begin});
    g_streamlib_process_ns.fetch_add(now_ns() - begin, std::memory_order_relaxed);
    g_streamlib_pushed.fetch_add(1, std::memory_order_relaxed);
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

// Every sink is this type; the one with id kProbeId (the trial's) records its first message.
class BranchSink : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(BranchSink, "Benchmark: takes BenchTicks; the probe records its first", streamlib::Reactive{});
  streamlib::LinkInput<BenchTick> in{this, "in"};

  streamlib::Result<void> setup(streamlib::RuntimeContext& ctx) override {
    probe_ = ctx.processor_id().str() == kProbeId;
    return {};
  }

  streamlib::Result<void> process() override {
    const std::size_t n = in.drain([](BenchTick&&) {});
    if (probe_ && n > 0 && !seen_) {
      seen_ = true;
      g_arrival.record(now_ns());
    }
    return {};
  }

 private:
  bool probe_ = false;
  bool seen_ = false;
};

// `batched`: the same trial as one Manual-commit batch (add, connect, commit), so the new
// processor is spawned, set up, wired and released in one delta: one wait for its thread
// instead of one per call. "add" is then add + connect (both only edit the graph) and
// "connect" is the commit.
void run_streamlib_branch_add(benchmark::State& state, bool batched, streamlib::ExecutorKind executor) {
  const auto sinks = static_cast<std::uint32_t>(state.range(0));
  StreamRuntime rt(with_executor(executor));  // Auto commit mode
  auto src = rt.add_processor<BranchSource>({}, "src");
  if (!src) return state.SkipWithError(src.error().message().c_str());
  for (std::uint32_t i = 0; i < sinks; ++i) {
    auto sink = rt.add_processor<BranchSink>({}, fmt::format("sink{}", i));
    if (!sink) return state.SkipWithError(sink.error().message().c_str());
    auto link = rt.connect(src->output(&BranchSource::out), sink->input(&BranchSink::in));
    if (!link) return state.SkipWithError(link.error().message().c_str());
  }
  const std::int64_t start_begin = now_ns();
  if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
  const std::int64_t start_ns = now_ns() - start_begin;
  std::this_thread::sleep_for(kSettle);
  const std::uint64_t pushed0 = g_streamlib_pushed.load();
  const std::int64_t process0 = g_streamlib_process_ns.load();
  const double rate = measure_rate(g_streamlib_pushed, kRateWindow);
  // Mean duration of one process() call (one push to all N links) over the rate window: the
  // time a control command posted to the source waits for its next safe point is up to this.
  const double process_mean_us =
      us(static_cast<double>(g_streamlib_process_ns.load() - process0) /
         static_cast<double>(std::max<std::uint64_t>(1, g_streamlib_pushed.load() - pushed0)));

  TrialSamples samples;
  std::string error;
  if (batched) {
    if (auto r = rt.set_commit_mode(streamlib::CommitMode::kManual); !r) return state.SkipWithError("commit mode");
  }
  for (auto _ : state) {
    g_arrival.reset();
    const std::int64_t t0 = now_ns();
    auto sink = rt.add_processor<BranchSink>({}, kProbeId);
    std::int64_t t1 = now_ns();
    if (!sink) {
      error = "add_processor: " + sink.error().message();
      break;
    }
    auto link = rt.connect(src->output(&BranchSource::out), sink->input(&BranchSink::in));
    if (batched) {
      t1 = now_ns();
      if (auto r = rt.commit(); !r) {
        error = "commit: " + r.error().message();
        break;
      }
    }
    const std::int64_t t2 = now_ns();
    if (!link) {
      error = "connect: " + link.error().message();
      break;
    }
    const std::int64_t arrival = g_arrival.wait(kFirstMessageTimeout);
    if (arrival == 0) {
      error = "the new sink got no message within 10 s";
      break;
    }
    state.SetIterationTime(static_cast<double>(arrival - t0) * 1e-9);
    samples.first_message_ns.push_back(arrival - t0);
    samples.add_ns.push_back(t1 - t0);
    samples.connect_ns.push_back(t2 - t1);
    if (auto r = rt.remove_processor(*sink); !r || (batched && !rt.commit())) {
      error = "remove_processor failed";
      break;
    }
    std::this_thread::sleep_for(kBetweenTrials);
  }
  const streamlib::RuntimeStats stats = rt.stats();
  const double threads = thread_count();
  const std::int64_t stop_begin = now_ns();
  (void)rt.stop();
  const std::int64_t stop_ns = now_ns() - stop_begin;
  if (!error.empty()) return state.SkipWithError(error.c_str());

  double dropped = 0;
  for (const auto& l : stats.links) dropped += static_cast<double>(l.dropped);
  samples.report(state);
  state.counters["sinks"] = sinks;
  state.counters["threads"] = threads;  // the process's, while the graph ran
  state.counters["source_rate_hz"] = rate;
  state.counters["source_process_mean_us"] = process_mean_us;
  state.counters["start_ms"] = static_cast<double>(start_ns) * 1e-6;
  state.counters["stop_ms"] = static_cast<double>(stop_ns) * 1e-6;
  state.counters["links_dropped"] = dropped;  // `block` links: only after a 500 ms block timeout
}

// --- GStreamer ------------------------------------------------------------------------------

void ensure_gst_init() {
  static const bool once = [] {
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)once;
}

GObject* obj(void* p) { return static_cast<GObject*>(p); }
GstBin* bin(GstElement* e) { return reinterpret_cast<GstBin*>(e); }

// Paces fakesrc: called on its streaming thread just before each buffer is pushed; sleeps until
// the buffer's due time, as StreamLib's Continuous loop does (due += interval; if that is
// already past, due = now + interval: skip, don't burst).
struct GstPacer {
  std::int64_t next_due_ns = 0;  // streaming thread only
  std::atomic<std::uint64_t> pushed{0};
};

void on_source_handoff(GstElement*, GstBuffer*, GstPad*, gpointer data) {
  auto* p = static_cast<GstPacer*>(data);
  std::int64_t now = now_ns();
  if (p->next_due_ns == 0) p->next_due_ns = now;
  while (now < p->next_due_ns) {
    const timespec ts{static_cast<time_t>(p->next_due_ns / 1'000'000'000),
                      static_cast<long>(p->next_due_ns % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);  // steady_clock is CLOCK_MONOTONIC
    now = now_ns();
  }
  p->next_due_ns += kIntervalNs;
  if (p->next_due_ns < now) p->next_due_ns = now + kIntervalNs;
  p->pushed.fetch_add(1, std::memory_order_relaxed);
}

void on_probe_handoff(GstElement*, GstBuffer*, GstPad*, gpointer) { g_arrival.record(now_ns()); }

struct Branch {
  GstPad* tee_pad = nullptr;  // the request pad (we hold a reference)
  GstElement* queue = nullptr;
  GstElement* sink = nullptr;
};

// Request pad + queue + fakesink, added to `pipeline` and brought to its state (the "add" part
// of a trial). Elements are owned by the pipeline once added.
Branch add_branch(GstElement* pipeline, GstElement* tee, bool probe) {
  Branch b;
  b.tee_pad = gst_element_request_pad_simple(tee, "src_%u");
  b.queue = gst_element_factory_make("queue", nullptr);
  b.sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(obj(b.sink), "sync", FALSE, "async", FALSE, "signal-handoffs", probe ? TRUE : FALSE, nullptr);
  if (probe) {
    g_signal_connect_data(b.sink, "handoff", reinterpret_cast<GCallback>(&on_probe_handoff), nullptr, nullptr,
                          GConnectFlags{});
  }
  gst_bin_add_many(bin(pipeline), b.queue, b.sink, nullptr);
  gst_element_sync_state_with_parent(b.sink);
  gst_element_sync_state_with_parent(b.queue);
  return b;
}

// The "connect" part: queue -> fakesink, then tee pad -> queue (data can flow only after this).
bool link_branch(const Branch& b) {
  if (!gst_element_link(b.queue, b.sink)) return false;
  GstPad* queue_in = gst_element_get_static_pad(b.queue, "sink");
  const GstPadLinkReturn r = gst_pad_link(b.tee_pad, queue_in);
  gst_object_unref(queue_in);
  return r == GST_PAD_LINK_OK;
}

struct IdleUnlink {
  GstPad* peer = nullptr;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};

GstPadProbeReturn unlink_when_idle(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* u = static_cast<IdleUnlink*>(data);
  gst_pad_unlink(pad, u->peer);
  std::lock_guard lock(u->mutex);
  u->done = true;
  u->cv.notify_all();  // under the lock: `u` lives until the waiter sees `done`
  return GST_PAD_PROBE_REMOVE;
}

// Removes a branch while the tee keeps pushing: unlink the tee pad when it is idle (between
// pushes), stop and remove queue + fakesink, release the request pad.
bool remove_branch(GstElement* pipeline, GstElement* tee, Branch& b) {
  auto u = std::make_unique<IdleUnlink>();
  u->peer = gst_element_get_static_pad(b.queue, "sink");
  gst_pad_add_probe(b.tee_pad, GST_PAD_PROBE_TYPE_IDLE, &unlink_when_idle, u.get(), nullptr);
  bool ok = false;
  {
    std::unique_lock lock(u->mutex);
    ok = u->cv.wait_for(lock, std::chrono::seconds(10), [&] { return u->done; });
  }
  if (!ok) {
    (void)u.release();  // the probe may still fire: leak it rather than leave it dangling
    return false;       // the benchmark reports an error
  }
  gst_object_unref(u->peer);
  gst_element_set_state(b.sink, GST_STATE_NULL);
  gst_element_set_state(b.queue, GST_STATE_NULL);
  gst_bin_remove_many(bin(pipeline), b.queue, b.sink, nullptr);
  gst_element_release_request_pad(tee, b.tee_pad);
  gst_object_unref(b.tee_pad);
  b = {};
  return true;
}

std::string bus_error(GstElement* pipeline) {
  std::string out;
  GstBus* bus = gst_element_get_bus(pipeline);
  while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    if (out.empty()) out = err ? err->message : "GStreamer error";
    if (err) g_error_free(err);
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  return out;
}

void BM_GStreamer_BranchAdd(benchmark::State& state) {
  ensure_gst_init();
  const auto sinks = static_cast<std::uint32_t>(state.range(0));
  GstPacer pacer;
  GstElement* pipeline = gst_pipeline_new("branch_add");
  GstElement* src = gst_element_factory_make("fakesrc", "src");
  GstElement* tee = gst_element_factory_make("tee", "tee");
  if (pipeline == nullptr || src == nullptr || tee == nullptr) {
    return state.SkipWithError("cannot create fakesrc/tee (gstreamer1.0 core plugins installed?)");
  }
  g_object_set(obj(src), "is-live", TRUE, "sizemax", 16, "signal-handoffs", TRUE, "silent", TRUE, nullptr);
  gst_util_set_object_arg(obj(src), "sizetype", "fixed");
  g_signal_connect_data(src, "handoff", reinterpret_cast<GCallback>(&on_source_handoff), &pacer, nullptr,
                        GConnectFlags{});
  gst_bin_add_many(bin(pipeline), src, tee, nullptr);
  std::string error;
  if (!gst_element_link(src, tee)) error = "cannot link fakesrc -> tee";
  for (std::uint32_t i = 0; i < sinks && error.empty(); ++i) {
    if (!link_branch(add_branch(pipeline, tee, false))) error = "cannot link a tee branch";
  }
  const std::int64_t start_begin = now_ns();
  if (error.empty() && gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "pipeline refused PLAYING";
  }
  if (error.empty() && gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) == GST_STATE_CHANGE_FAILURE) {
    error = "pipeline did not reach PLAYING";
  }
  const std::int64_t start_ns = now_ns() - start_begin;
  double rate = 0;
  if (error.empty()) {
    std::this_thread::sleep_for(kSettle);
    rate = measure_rate(pacer.pushed, kRateWindow);
  }

  TrialSamples samples;
  for (auto _ : state) {
    if (!error.empty()) break;
    g_arrival.reset();
    const std::int64_t t0 = now_ns();
    Branch b = add_branch(pipeline, tee, true);
    const std::int64_t t1 = now_ns();
    const bool linked = link_branch(b);
    const std::int64_t t2 = now_ns();
    if (!linked) {
      error = "cannot link the new branch";
      break;
    }
    const std::int64_t arrival = g_arrival.wait(kFirstMessageTimeout);
    if (arrival == 0) {
      error = "the new fakesink got no buffer within 10 s";
      break;
    }
    state.SetIterationTime(static_cast<double>(arrival - t0) * 1e-9);
    samples.first_message_ns.push_back(arrival - t0);
    samples.add_ns.push_back(t1 - t0);
    samples.connect_ns.push_back(t2 - t1);
    if (!remove_branch(pipeline, tee, b)) {
      error = "removing the branch: the tee pad never went idle";
      break;
    }
    std::this_thread::sleep_for(kBetweenTrials);
  }
  if (error.empty()) error = bus_error(pipeline);
  const std::int64_t stop_begin = now_ns();
  gst_element_set_state(pipeline, GST_STATE_NULL);
  const std::int64_t stop_ns = now_ns() - stop_begin;
  gst_object_unref(pipeline);
  if (!error.empty()) return state.SkipWithError(error.c_str());

  samples.report(state);
  state.counters["sinks"] = sinks;
  state.counters["threads"] = sinks + 1;  // fakesrc's streaming thread + one per queue
  state.counters["source_rate_hz"] = rate;
  state.counters["start_ms"] = static_cast<double>(start_ns) * 1e-6;
  state.counters["stop_ms"] = static_cast<double>(stop_ns) * 1e-6;
}

// One run of 20 trials per size (no repetitions: the whole program stays well under 2 minutes).
void configure(benchmark::internal::Benchmark* b) {
  b->Arg(10)->Arg(100)->Arg(1000)->Iterations(kTrials)->UseManualTime()->Unit(benchmark::kMicrosecond);
}
void BM_StreamLib_BranchAdd(benchmark::State& state, streamlib::ExecutorKind executor) {
  run_streamlib_branch_add(state, false, executor);
}
void BM_StreamLib_BranchAddBatched(benchmark::State& state, streamlib::ExecutorKind executor) {
  run_streamlib_branch_add(state, true, executor);
}
BENCHMARK_CAPTURE(BM_StreamLib_BranchAdd, threads, streamlib::ExecutorKind::kThreads)->Apply(configure);
BENCHMARK_CAPTURE(BM_StreamLib_BranchAdd, pool, streamlib::ExecutorKind::kPool)->Apply(configure);
BENCHMARK_CAPTURE(BM_StreamLib_BranchAddBatched, threads, streamlib::ExecutorKind::kThreads)->Apply(configure);
BENCHMARK_CAPTURE(BM_StreamLib_BranchAddBatched, pool, streamlib::ExecutorKind::kPool)->Apply(configure);
BENCHMARK(BM_GStreamer_BranchAdd)->Apply(configure);

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
