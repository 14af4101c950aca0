// Audio chain: 64-frame blocks of 48 kHz stereo through eight DSP stages, as fast as possible,
// StreamLib and GStreamer in the same run; then the same StreamLib chain paced in real time.
//
//   StreamLib   AudioTestSource {frames_per_buffer 64, live false, duration N blocks}
//               -> 8 x Gain {gain_db -1}            (BM_StreamLib_GainChain/8)
//               -> 8 x Lv2Effect eg-amp {gain -1}   (BM_StreamLib_Lv2AmpChain/8)
//               -> NullSink
//               built through the public API (StreamRuntime, processors of the ffmpeg, audio and
//               lv2 components), every link at its default (AudioFrame: capacity 32, `block`).
//               Timed from start() until wait_until_finished() returns: the source ends its
//               stream after N blocks and the runtime is finished when the sink has it all.
//               Once per executor (BM_StreamLib_GainChain/threads/8, /pool/8; bench_common.h):
//               one thread per processor, 10 threads on this machine's 2 CPUs, or the pool's
//               workers (one per core).
//   GStreamer   gst_parse_launch("audiotestsrc samplesperbuffer=64 num-buffers=N !
//               audio/x-raw,format=F32LE,rate=48000,channels=2,layout=interleaved !
//               volume volume=0.891251 ! ... (8) ! fakesink sync=false"), in this process,
//               timed from set_state(PLAYING) until the EOS message. No queue: one streaming
//               thread runs the whole chain.
//   The limit   the same 8 DSP calls on one 64-frame stereo block in a plain loop on one thread:
//               dsp::Gain::process(in, out) (processors/audio_dsp/gain.h, what the Gain processor
//               runs) or lv2::Effect::process(in, out) (processors/lv2_host/effect.h, what
//               Lv2Effect runs), out of place, each stage reading the previous one's output
//               (BM_PlainLoop_Gain/8/0, BM_PlainLoop_Lv2Amp/8/0). /8/1 makes a new AudioFrame
//               per stage from a pool as the processors do (a diagnostic).
//
// Every level is -1 dB (linear 0.891251) per stage: a unity GStreamer `volume` is passthrough
// and would do no work. eg-amp is a mono plugin, so each Lv2Effect runs two instances (one per
// channel) and the plain loop does the same through lv2::Effect.
//
// Per-stage overhead: (ns per block of the chain - ns per block of the plain loop) / 8, reported
// by each 8-stage chain run as overhead_ns_per_stage (the plain loops run first in the same
// process; bench/summarize.py computes the same in us from the two runs' figures). The 0-stage runs (source -> sink
// alone) are diagnostics: with them the slope (8-stage - 0-stage) / 8 is the cost of one stage with the source and sink
// taken out.
//
// Live (BM_StreamLib_GainChainLive): the same 8 x Gain chain with AudioTestSource `live: true`
// for AUDIO_CHAIN_LIVE_SECONDS (default 30) into LiveSink, a bench-local sink that discards
// frames like NullSink and records, per block, arrival - due time: the due time is the block's
// timestamp (the source's start + sample_position / rate, the moment it may be sent) and the
// arrival is the monotonic clock when the sink takes it off its link. A block is LATE when that
// is more than one block period (64 / 48000 s = 1,333 us): an audio device holding one block of
// buffer would have run dry waiting for it. In the same seconds a bare thread sleeps to each
// block's due time with clock_nanosleep and records how late it wakes (raw_timer_*): what the
// machine does to a single thread woken once per block, without any runtime.
//
// Environment: AUDIO_CHAIN_BLOCKS (default 100000 blocks per fast run, 133 s of audio),
// AUDIO_CHAIN_LIVE_SECONDS (default 30).
//
// Counters: blocks_per_s, us_per_block, overhead_ns_per_stage (StreamLib, 8 stages), threads
// (StreamLib: the process's thread count just after start()), cpu_us_per_block (process CPU time, all threads, from
// getrusage), ctx_switches_per_block (voluntary + involuntary, all threads), start_ms (the
// start() / set_state call); StreamLib also blocks_per_call (blocks one stage's process() takes
// per call, averaged over the stages). Live: blocks, late_blocks, late_episodes (runs of
// consecutive late blocks), lateness_p50_us / p99_us / p999_us / max_us, over_half_period (blocks
// later than 667 us), raw_timer_late / _p50_us / _p99_us / _max_us, steal_ms (the hypervisor's
// steal time over the run, all vCPUs, from /proc/stat).
#include <benchmark/benchmark.h>
#include <gst/gst.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <numbers>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "audio/audio_processors.h"
#include "audio_dsp/gain.h"
#include "bench_common.h"
#include "ffmpeg/test_sources.h"
#include "lv2/lv2_effect.h"
#include "lv2_host/effect.h"
#include "streamlib/processors.h"
#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::StreamRuntime;

constexpr int kFrames = 64;
constexpr int kRate = 48000;
constexpr int kChannels = 2;
constexpr int kStages = 8;
constexpr float kGainDb = -1.0f;
constexpr const char* kAmpUri = "http://lv2plug.in/plugins/eg-amp";
constexpr std::int64_t kBlockPeriodNs = std::int64_t{kFrames} * 1'000'000'000 / kRate;  // 1,333,333

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::max<std::int64_t>(1, std::atoll(v));
}
std::int64_t blocks_per_run() { return env_int("AUDIO_CHAIN_BLOCKS", 100'000); }
std::int64_t live_seconds() { return env_int("AUDIO_CHAIN_LIVE_SECONDS", 30); }

// Process-wide CPU time and context switches (every thread), for the per-block counters.
struct Usage {
  double cpu_s = 0;
  double switches = 0;
  static Usage now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
    };
    return {sec(ru.ru_utime) + sec(ru.ru_stime), static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw)};
  }
};

void report_run(benchmark::State& state, double blocks, double seconds, const Usage& before, const Usage& after,
                double start_ms) {
  state.SetIterationTime(seconds);
  state.counters["blocks"] = blocks;
  state.counters["blocks_per_s"] = blocks / seconds;
  state.counters["us_per_block"] = seconds * 1e6 / blocks;
  state.counters["cpu_us_per_block"] = (after.cpu_s - before.cpu_s) * 1e6 / blocks;
  state.counters["ctx_switches_per_block"] = (after.switches - before.switches) / blocks;
  state.counters["start_ms"] = start_ms;
}

// --- StreamLib ------------------------------------------------------------------------------

enum class StageKind { kGain, kLv2Amp };

// ns per block of the plain loop's span form (BM_PlainLoop_*/8/0) by stage kind, set by those
// runs (registered first) and read by the chain runs for overhead_ns_per_stage; 0 until run.
double g_plain_loop_ns[2] = {0, 0};

// What the live run's sink saw: arrival - due time per block (written on the sink's thread,
// read after stop()).
std::vector<std::int64_t> g_lateness_ns;

class LiveSink : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(LiveSink, "Benchmark: discards audio like NullSink, recording arrival - due time per block",
                      streamlib::Reactive{});
  streamlib::LinkInput<streamlib::AudioFrame> in{this, "in"};

  streamlib::Result<void> process() override {
    in.drain(
        [&](streamlib::AudioFrame&& frame) { g_lateness_ns.push_back(context().now_ns() - frame.timestamp_ns()); });
    return {};
  }
};

// src -> s0 -> ... -> s{stages-1} -> sink. The sink is NullSink, or LiveSink for the live run.
streamlib::Result<void> build_chain(StreamRuntime& rt, StageKind kind, int stages,
                                    const streamlib::AudioTestSourceConfig& source, bool live_sink) {
  STREAMLIB_RETURN_IF_ERROR(rt.add_processor<streamlib::AudioTestSource>(source, "src"));
  for (int i = 0; i < stages; ++i) {
    const std::string id = fmt::format("s{}", i);
    if (kind == StageKind::kGain) {
      STREAMLIB_RETURN_IF_ERROR(rt.add_processor<streamlib::Gain>({.gain_db = kGainDb}, id));
    } else {
      STREAMLIB_RETURN_IF_ERROR(
          rt.add_processor<streamlib::Lv2Effect>({.plugin = kAmpUri, .controls = {{"gain", kGainDb}}}, id));
    }
  }
  if (live_sink) {
    STREAMLIB_RETURN_IF_ERROR(rt.add_processor<LiveSink>({}, "sink"));
  } else {
    STREAMLIB_RETURN_IF_ERROR(rt.add_processor<streamlib::NullSink>({}, "sink"));
  }
  std::string from = "src.audio";
  for (int i = 0; i < stages; ++i) {
    STREAMLIB_RETURN_IF_ERROR(rt.connect(from, fmt::format("s{}.in", i)));
    from = fmt::format("s{}.out", i);
  }
  STREAMLIB_RETURN_IF_ERROR(rt.connect(from, "sink.in"));
  return {};
}

streamlib::AudioTestSourceConfig source_config(bool live, double seconds) {
  return {.wave = streamlib::AudioWave::kSine,
          .frequency = 440.0,
          .amplitude = 0.5,
          .sample_rate = kRate,
          .channels = kChannels,
          .frames_per_buffer = kFrames,
          .duration = seconds,
          .live = live};
}

void run_streamlib_chain(benchmark::State& state, StageKind kind, streamlib::ExecutorKind executor) {
  const int stages = static_cast<int>(state.range(0));
  const std::int64_t blocks = blocks_per_run();
  const double seconds_of_audio = static_cast<double>(blocks * kFrames) / kRate;
  for (auto _ : state) {
    StreamRuntime rt(with_executor(executor));
    if (auto r = build_chain(rt, kind, stages, source_config(false, seconds_of_audio), false); !r) {
      return state.SkipWithError(r.error().message().c_str());
    }
    const Usage u0 = Usage::now();
    const std::int64_t t0 = now_ns();
    if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
    const std::int64_t t_started = now_ns();
    const double threads = thread_count();
    auto finished = rt.wait_until_finished(std::chrono::minutes(10));
    const std::int64_t t1 = now_ns();
    const Usage u1 = Usage::now();
    const streamlib::RuntimeStats stats = rt.stats();
    (void)rt.stop();
    if (!finished) return state.SkipWithError(finished.error().message().c_str());

    const auto* sink = stats.find_processor(streamlib::ProcessorId("sink"));
    const std::uint64_t received = sink == nullptr ? 0 : sink->metrics.value("received", std::uint64_t{0});
    if (received != static_cast<std::uint64_t>(blocks)) {
      return state.SkipWithError(fmt::format("NullSink received {} blocks of {}", received, blocks).c_str());
    }
    double calls = 0;
    for (const auto& p : stats.processors) {
      if (p.id.str() != "src" && p.id.str() != "sink") calls += static_cast<double>(p.process_calls);
    }
    report_run(state, static_cast<double>(blocks), static_cast<double>(t1 - t0) * 1e-9, u0, u1,
               static_cast<double>(t_started - t0) * 1e-6);
    state.counters["stages"] = stages;
    state.counters["threads"] = threads;
    if (stages > 0) state.counters["blocks_per_call"] = static_cast<double>(blocks) * stages / std::max(1.0, calls);
    const double loop_ns = g_plain_loop_ns[static_cast<int>(kind)];
    if (stages > 0 && loop_ns > 0) {
      const double chain_ns = static_cast<double>(t1 - t0) / static_cast<double>(blocks);
      state.counters["overhead_ns_per_stage"] = (chain_ns - loop_ns) / stages;
    }
  }
}

void BM_StreamLib_GainChain(benchmark::State& state, streamlib::ExecutorKind executor) {
  run_streamlib_chain(state, StageKind::kGain, executor);
}
void BM_StreamLib_Lv2AmpChain(benchmark::State& state, streamlib::ExecutorKind executor) {
  run_streamlib_chain(state, StageKind::kLv2Amp, executor);
}

// The same 8 x Gain chain, live, for AUDIO_CHAIN_LIVE_SECONDS: how many blocks reach the sink
// more than one block period after they were due.
// Steal time of all CPUs (ms) from /proc/stat: time the hypervisor ran something else while
// this VM's vCPUs wanted to run.
double steal_ms() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(steal) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct LatenessSummary {
  std::int64_t late = 0;      // blocks later than one block period
  std::int64_t episodes = 0;  // runs of consecutive late blocks
  std::int64_t over_half = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

LatenessSummary summarize_lateness(std::vector<std::int64_t> lateness) {
  LatenessSummary s;
  bool in_episode = false;
  for (const std::int64_t l : lateness) {
    const bool late = l > kBlockPeriodNs;
    s.late += late ? 1 : 0;
    s.episodes += late && !in_episode ? 1 : 0;
    in_episode = late;
    s.over_half += l > kBlockPeriodNs / 2 ? 1 : 0;
  }
  s.p50_us = percentile(lateness, 0.5) * 1e-3;
  s.p99_us = percentile(lateness, 0.99) * 1e-3;
  s.p999_us = percentile(lateness, 0.999) * 1e-3;
  s.max_us = percentile(lateness, 1.0) * 1e-3;
  return s;
}

// The due time of block k from `start`, sample-accurate as the source stamps it.
std::int64_t due_ns(std::int64_t start, std::int64_t k) { return start + k * kFrames * 1'000'000'000 / kRate; }

// The same 8 x Gain chain, live, for AUDIO_CHAIN_LIVE_SECONDS: how many blocks reach the sink
// more than one block period after they were due. Beside it, in the same seconds, a bare thread
// (the "raw timer") sleeps with clock_nanosleep to each block's due time and records how late
// it wakes: what the machine alone does to one thread woken once per block.
void BM_StreamLib_GainChainLive(benchmark::State& state, streamlib::ExecutorKind executor) {
  const std::int64_t seconds = live_seconds();
  const std::int64_t expected = seconds * kRate / kFrames;
  for (auto _ : state) {
    g_lateness_ns.clear();
    g_lateness_ns.reserve(static_cast<std::size_t>(expected) + 16);
    StreamRuntime rt(with_executor(executor));
    if (auto r = build_chain(rt, StageKind::kGain, kStages, source_config(true, static_cast<double>(seconds)), true);
        !r) {
      return state.SkipWithError(r.error().message().c_str());
    }
    std::vector<std::int64_t> timer_lateness;
    timer_lateness.reserve(static_cast<std::size_t>(expected));
    const double steal0 = steal_ms();
    const Usage u0 = Usage::now();
    const std::int64_t t0 = now_ns();
    if (auto r = rt.start(); !r) return state.SkipWithError(r.error().message().c_str());
    const std::int64_t t_started = now_ns();
    std::thread timer([&] {
      const std::int64_t start = now_ns();
      for (std::int64_t k = 0; k < expected; ++k) {
        const std::int64_t due = due_ns(start, k);
        const timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
        }
        timer_lateness.push_back(now_ns() - due);
      }
    });
    auto finished = rt.wait_until_finished(std::chrono::seconds(seconds + 60));
    const std::int64_t t1 = now_ns();
    const Usage u1 = Usage::now();
    timer.join();
    const double steal1 = steal_ms();
    (void)rt.stop();
    if (!finished) return state.SkipWithError(finished.error().message().c_str());
    if (static_cast<std::int64_t>(g_lateness_ns.size()) != expected) {
      return state.SkipWithError(fmt::format("the sink got {} blocks of {}", g_lateness_ns.size(), expected).c_str());
    }
    const LatenessSummary chain = summarize_lateness(g_lateness_ns);
    const LatenessSummary raw = summarize_lateness(std::move(timer_lateness));
    report_run(state, static_cast<double>(expected), static_cast<double>(t1 - t0) * 1e-9, u0, u1,
               static_cast<double>(t_started - t0) * 1e-6);
    state.counters["late_blocks"] = static_cast<double>(chain.late);
    state.counters["late_episodes"] = static_cast<double>(chain.episodes);
    state.counters["over_half_period"] = static_cast<double>(chain.over_half);
    state.counters["late_threshold_us"] = static_cast<double>(kBlockPeriodNs) * 1e-3;
    state.counters["lateness_p50_us"] = chain.p50_us;
    state.counters["lateness_p99_us"] = chain.p99_us;
    state.counters["lateness_p999_us"] = chain.p999_us;
    state.counters["lateness_max_us"] = chain.max_us;
    state.counters["raw_timer_late"] = static_cast<double>(raw.late);
    state.counters["raw_timer_p50_us"] = raw.p50_us;
    state.counters["raw_timer_p99_us"] = raw.p99_us;
    state.counters["raw_timer_max_us"] = raw.max_us;
    state.counters["steal_ms"] = steal1 - steal0;
    state.counters["seconds"] = static_cast<double>(seconds);
  }
}

// --- The limit: the same DSP calls in one plain loop -------------------------------------------

// One 64-frame stereo block of the source's sine (440 Hz, amplitude 0.5).
std::vector<float> sine_block() {
  std::vector<float> block(static_cast<std::size_t>(kFrames) * kChannels);
  for (int i = 0; i < kFrames; ++i) {
    const auto v = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * 440.0 * i / kRate));
    for (int c = 0; c < kChannels; ++c) block[static_cast<std::size_t>(i * kChannels + c)] = v;
  }
  return block;
}

streamlib::AudioFrame sine_frame(streamlib::AudioFramePool& pool) {
  streamlib::WritableAudioFrame w = pool.acquire(kChannels, kRate, kFrames);
  const std::vector<float> block = sine_block();
  std::copy(block.begin(), block.end(), w.samples().begin());
  return std::move(w).freeze();
}

// state.range(1): 0 = spans, out of place, ping-pong between two buffers (the pure DSP);
// 1 = AudioFrame in, new AudioFrame from the stage's pool out (what the processors call).
template <class Stage, class Make>
void run_plain_loop(benchmark::State& state, Make make) {
  const int stages = static_cast<int>(state.range(0));
  const bool frames = state.range(1) != 0;
  std::vector<std::unique_ptr<Stage>> dsp;
  for (int i = 0; i < stages; ++i) {
    auto made = make();
    if (!made) return state.SkipWithError(made.error().message().c_str());
    dsp.push_back(std::move(*made));
  }
  const std::vector<float> src = sine_block();
  std::vector<float> a(src.size()), b(src.size());
  streamlib::AudioFramePool source_pool;
  std::vector<streamlib::AudioFramePool> pools(static_cast<std::size_t>(stages));
  const streamlib::AudioFrame first = sine_frame(source_pool);
  std::string error;
  const std::int64_t t0 = now_ns();
  for (auto _ : state) {
    if (!frames) {
      const float* in = src.data();
      for (int i = 0; i < stages; ++i) {
        float* out = (i % 2 == 0 ? a : b).data();
        if (!dsp[static_cast<std::size_t>(i)]->process(std::span<const float>(in, src.size()),
                                                       std::span<float>(out, src.size()))) {
          error = "process failed";
        }
        in = out;
      }
      benchmark::DoNotOptimize(in);
    } else {
      streamlib::AudioFrame f = first;
      for (int i = 0; i < stages; ++i) {
        auto next = [&] {
          if constexpr (std::is_same_v<Stage, streamlib::dsp::Gain>) {
            return dsp[static_cast<std::size_t>(i)]->process(f);
          } else {
            return dsp[static_cast<std::size_t>(i)]->process(f, pools[static_cast<std::size_t>(i)]);
          }
        }();
        if (!next) {
          error = "process failed";
          break;
        }
        f = std::move(*next);
      }
      benchmark::DoNotOptimize(f);
    }
    benchmark::ClobberMemory();
  }
  const std::int64_t t1 = now_ns();
  if (!error.empty()) return state.SkipWithError(error.c_str());
  state.counters["stages"] = stages;
  // Google Benchmark calls this with growing iteration counts; the last (longest) call stays.
  if (!frames && stages == kStages && state.iterations() > 0) {
    const StageKind kind = std::is_same_v<Stage, streamlib::dsp::Gain> ? StageKind::kGain : StageKind::kLv2Amp;
    g_plain_loop_ns[static_cast<int>(kind)] = static_cast<double>(t1 - t0) / static_cast<double>(state.iterations());
  }
}

void BM_PlainLoop_Gain(benchmark::State& state) {
  run_plain_loop<streamlib::dsp::Gain>(state, [] {
    return streamlib::dsp::Gain::create({.channels = kChannels, .sample_rate = kRate, .gain_db = kGainDb});
  });
}

void BM_PlainLoop_Lv2Amp(benchmark::State& state) {
  run_plain_loop<streamlib::lv2::Effect>(state, []() -> streamlib::Result<std::unique_ptr<streamlib::lv2::Effect>> {
    STREAMLIB_ASSIGN_OR_RETURN(auto fx,
                               streamlib::lv2::Effect::create(kAmpUri, {.channels = kChannels, .sample_rate = kRate}));
    STREAMLIB_RETURN_IF_ERROR(fx->set_control("gain", kGainDb));
    fx->activate();
    return fx;
  });
}

// --- GStreamer ------------------------------------------------------------------------------

void ensure_gst_init() {
  static const bool once = [] {
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)once;
}

std::string gst_chain(int stages, std::int64_t blocks) {
  std::string desc = fmt::format(
      "audiotestsrc samplesperbuffer={} num-buffers={} ! "
      "audio/x-raw,format=F32LE,rate={},channels={},layout=interleaved",
      kFrames, blocks, kRate, kChannels);
  const double volume = streamlib::dsp::db_to_linear(kGainDb);
  for (int i = 0; i < stages; ++i) desc += fmt::format(" ! volume volume={:.6f}", volume);
  return desc + " ! fakesink sync=false";
}

void BM_GStreamer_VolumeChain(benchmark::State& state) {
  ensure_gst_init();
  const int stages = static_cast<int>(state.range(0));
  const std::int64_t blocks = blocks_per_run();
  const std::string desc = gst_chain(stages, blocks);
  for (auto _ : state) {
    GError* err = nullptr;
    GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
    if (pipeline == nullptr || err != nullptr) {
      const std::string message = err != nullptr ? err->message : "gst_parse_launch failed";
      if (err != nullptr) g_error_free(err);
      if (pipeline != nullptr) gst_object_unref(pipeline);
      return state.SkipWithError(("GStreamer: " + message).c_str());
    }
    GstBus* bus = gst_element_get_bus(pipeline);
    const Usage u0 = Usage::now();
    const std::int64_t t0 = now_ns();
    const bool playing = gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
    const std::int64_t t_started = now_ns();
    GstMessage* msg = playing
                          ? gst_bus_timed_pop_filtered(bus, 600 * GST_SECOND,
                                                       static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR))
                          : nullptr;
    const std::int64_t t1 = now_ns();
    const Usage u1 = Usage::now();
    std::string error;
    if (!playing) {
      error = "GStreamer: the pipeline refused PLAYING";
    } else if (msg == nullptr) {
      error = "GStreamer: no EOS within 600 s";
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      error = std::string("GStreamer: ") + (e != nullptr ? e->message : "error");
      if (e != nullptr) g_error_free(e);
    }
    if (msg != nullptr) gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    if (!error.empty()) return state.SkipWithError(error.c_str());
    report_run(state, static_cast<double>(blocks), static_cast<double>(t1 - t0) * 1e-9, u0, u1,
               static_cast<double>(t_started - t0) * 1e-6);
    state.counters["stages"] = stages;
  }
}

// Fast runs: 3 repetitions each (median reported, min and max beside it), 8 stages and, as a
// diagnostic, 0 (source -> sink alone). The plain loops run first (Google Benchmark's own
// iteration count, at least 0.2 s each).
void chain_args(benchmark::internal::Benchmark* b) { repeated(b->Arg(kStages)->Arg(0), 3); }
void loop_args(benchmark::internal::Benchmark* b) {
  b->Args({kStages, 0})->Args({kStages, 1})->Unit(benchmark::kNanosecond)->MinTime(0.2);
}

BENCHMARK(BM_PlainLoop_Gain)->Apply(loop_args);
BENCHMARK(BM_PlainLoop_Lv2Amp)->Apply(loop_args);
void lv2_args(benchmark::internal::Benchmark* b) { repeated(b->Arg(kStages), 3); }
void live_args(benchmark::internal::Benchmark* b) { b->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond); }
BENCHMARK_CAPTURE(BM_StreamLib_GainChain, threads, streamlib::ExecutorKind::kThreads)->Apply(chain_args);
BENCHMARK_CAPTURE(BM_StreamLib_GainChain, pool, streamlib::ExecutorKind::kPool)->Apply(chain_args);
BENCHMARK(BM_GStreamer_VolumeChain)->Apply(chain_args);
BENCHMARK_CAPTURE(BM_StreamLib_Lv2AmpChain, threads, streamlib::ExecutorKind::kThreads)->Apply(lv2_args);
BENCHMARK_CAPTURE(BM_StreamLib_Lv2AmpChain, pool, streamlib::ExecutorKind::kPool)->Apply(lv2_args);
BENCHMARK_CAPTURE(BM_StreamLib_GainChainLive, threads, streamlib::ExecutorKind::kThreads)->Apply(live_args);
BENCHMARK_CAPTURE(BM_StreamLib_GainChainLive, pool, streamlib::ExecutorKind::kPool)->Apply(live_args);

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
