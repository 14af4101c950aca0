// Test helpers shared by the audio, lv2 and sdl component tests: audio frames made in the test,
// a finite block source and a collecting sink for runs in a real StreamRuntime, and
// measurements (level, frequency) of interleaved samples.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/processor.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib::audio_testing {

// Links in runtime tests lose nothing however slow a loaded machine makes a consumer: `block`,
// with a minute before a blocked producer would give up.
inline const LinkConfig kLossless{.policy = LinkPolicy::kBlock, .block_timeout = std::chrono::milliseconds(60'000)};

inline float db_to_amplitude(double db) { return static_cast<float>(std::pow(10.0, db / 20.0)); }

// One block of a sine (every channel the same) starting at `position`.
inline AudioFrame sine_block(int channels, int rate, std::size_t frames, std::int64_t position, double frequency,
                             float amplitude, std::int64_t start_ns = 0) {
  WritableAudioFrame w(channels, rate, frames);
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(position + static_cast<std::int64_t>(i)) / rate;
    const float v = amplitude * static_cast<float>(std::sin(2.0 * std::numbers::pi * frequency * t));
    for (int c = 0; c < channels; ++c)
      w.samples()[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = v;
  }
  w.set_sample_position(position);
  w.set_timestamp_ns(start_ns + position * 1'000'000'000 / rate);
  return std::move(w).freeze();
}

// A block where channel c of frame i holds `fn(c, position + i)`.
template <class F>
AudioFrame block_of(int channels, int rate, std::size_t frames, std::int64_t position, F fn) {
  WritableAudioFrame w(channels, rate, frames);
  for (std::size_t i = 0; i < frames; ++i) {
    for (int c = 0; c < channels; ++c) {
      w.samples()[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          fn(c, position + static_cast<std::int64_t>(i));
    }
  }
  w.set_sample_position(position);
  w.set_timestamp_ns(position * 1'000'000'000 / rate);
  return std::move(w).freeze();
}

inline AudioFrame constant_block(int channels, int rate, std::size_t frames, std::int64_t position, float value) {
  return block_of(channels, rate, frames, position, [value](int, std::int64_t) { return value; });
}

// Channel `channel` of every frame, concatenated.
inline std::vector<float> channel_of(const std::vector<AudioFrame>& frames, int channel) {
  std::vector<float> out;
  for (const AudioFrame& f : frames) {
    auto s = f.samples();
    for (std::size_t i = 0; i < f.frame_count(); ++i) {
      out.push_back(s[i * static_cast<std::size_t>(f.channels()) + static_cast<std::size_t>(channel)]);
    }
  }
  return out;
}

inline double rms(const std::vector<float>& x, std::size_t begin, std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum / static_cast<double>(end - begin));
}

inline float peak(const std::vector<float>& x, std::size_t begin, std::size_t end) {
  float p = 0;
  for (std::size_t i = begin; i < end; ++i) p = std::max(p, std::abs(x[i]));
  return p;
}

// Frequency from the rising zero crossings in [begin, end), interpolated: exact to a fraction
// of a hertz over a second of a clean tone.
inline double frequency(const std::vector<float>& x, std::size_t begin, std::size_t end, int rate) {
  double first = -1;
  double last = -1;
  int crossings = 0;
  for (std::size_t i = begin + 1; i < end; ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double at = static_cast<double>(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = at;
      last = at;
      ++crossings;
    }
  }
  if (crossings < 2) return 0;
  return (crossings - 1) * static_cast<double>(rate) / (last - first);
}

// --- Processors for runtime tests --------------------------------------------------------------

struct BlockSourceConfig {
  int sample_rate = 48000;
  int channels = 2;
  std::uint32_t frames_per_buffer = 480;
  std::uint32_t blocks = 100;  // then end of stream
  double frequency = 440.0;    // 0: a constant `amplitude`
  float amplitude = 0.5f;
  std::int64_t start_position = 0;
  std::uint32_t interval_us = 0;  // pacing between blocks
  std::uint32_t stall_ms = 0;     // after the last block: send nothing this long, then end
};
STREAMLIB_CONFIG(BlockSourceConfig, sample_rate, channels, frames_per_buffer, blocks, frequency, amplitude,
                 start_position, interval_us, stall_ms);

class TestBlockSource : public Processor<BlockSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(TestBlockSource, "Test audio source of a fixed number of blocks", Continuous{});
  LinkOutput<AudioFrame> audio{this, "audio"};
  ExecutionConfig execution_config() const override {
    return {Continuous{std::chrono::microseconds(config().interval_us)}, ThreadPriority::kNormal};
  }
  Result<void> process() override {
    const auto& c = config();
    if (sent_ >= c.blocks) {
      if (context().now_ns() - last_ns_ >= std::int64_t{c.stall_ms} * 1'000'000) end_stream();
      return {};
    }
    const std::int64_t pos = c.start_position + static_cast<std::int64_t>(sent_) * c.frames_per_buffer;
    if (c.frequency > 0) {
      audio.push(sine_block(c.channels, c.sample_rate, c.frames_per_buffer, pos, c.frequency, c.amplitude));
    } else {
      audio.push(constant_block(c.channels, c.sample_rate, c.frames_per_buffer, pos, c.amplitude));
    }
    last_ns_ = context().now_ns();
    if (++sent_ == c.blocks && c.stall_ms == 0) end_stream();
    return {};
  }

 private:
  std::uint32_t sent_ = 0;
  std::int64_t last_ns_ = 0;
};

// What a TestAudioSink received, by processor id.
struct Collected {
  std::mutex mutex;
  std::vector<AudioFrame> frames;
  bool finished = false;
  static std::shared_ptr<Collected> get(const std::string& id) {
    static std::mutex m;
    static std::map<std::string, std::shared_ptr<Collected>> all;
    std::lock_guard lock(m);
    auto& p = all[id];
    if (!p) p = std::make_shared<Collected>();
    return p;
  }
  std::vector<AudioFrame> snapshot() {
    std::lock_guard lock(mutex);
    return frames;
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
};

// Woken by each arrival (Reactive), as a real sink is.
class TestAudioSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TestAudioSink, "Test sink keeping the audio it receives", Reactive{});
  LinkInput<AudioFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    store_ = Collected::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    in.drain([&](AudioFrame&& f) {
      std::lock_guard lock(store_->mutex);
      store_->frames.push_back(std::move(f));
    });
    return {};
  }
  Result<void> finish() override {
    std::lock_guard lock(store_->mutex);
    store_->finished = true;
    return {};
  }

 private:
  std::shared_ptr<Collected> store_;
};

inline void register_audio_test_processors() {
  (void)ProcessorFactory::global().register_type<TestBlockSource>();
  (void)ProcessorFactory::global().register_type<TestAudioSink>();
}

// Polls `pred` until it holds or `timeout` passes (for live, device-paced runs).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

// Waits until the runtime reports that every sink has finished (StreamRuntime's own end of
// stream), then checks that every processor did.
inline ::testing::AssertionResult all_finished(StreamRuntime& rt,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  if (auto done = rt.wait_until_finished(timeout); !done) {
    return ::testing::AssertionFailure() << done.error().message() << ": " << rt.stats().to_json().dump();
  }
  for (const ProcessorStats& p : rt.stats().processors) {
    if (p.state != ProcessorState::kFinished) {
      return ::testing::AssertionFailure() << p.id.str() << " is " << enum_name(p.state);
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace streamlib::audio_testing
