// Gain: a level change in dB that never clicks.
//
//   auto gain = dsp::Gain::create({.channels = 2, .sample_rate = 48000, .gain_db = -6}).value();
//   gain->process(samples);              // in place, interleaved
//   gain->set_gain_db(-20);              // any thread; ramps over ramp_ms from the next block on
//   AudioFrame out = gain->process(frame).value();   // or frame in, frame out (same time)
//
// A change ramps the linear gain per sample frame from where it is to the target over
// `ramp_ms` (10 ms by default), so a live change makes no step in the waveform. A change during
// a ramp starts a new ramp from the gain reached. -inf dB (or anything at or below -144 dB)
// is silence.
#pragma once

#include <atomic>
#include <memory>
#include <span>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::dsp {

struct GainConfig {
  int channels = 2;
  int sample_rate = 48000;
  float gain_db = 0.0f;
  float ramp_ms = 10.0f;  // 0: changes are instant
};

// 10^(db/20); 0 at or below -144 dB (and for -inf).
float db_to_linear(float db);

class Gain {
 public:
  static Result<std::unique_ptr<Gain>> create(const GainConfig& config);

  // Any thread. Takes effect at the start of the next process() call.
  void set_gain_db(float db) { target_db_.store(db, std::memory_order_relaxed); }
  float gain_db() const { return target_db_.load(std::memory_order_relaxed); }
  // The linear gain applied to the last frame processed.
  float current_linear() const { return current_; }
  bool ramping() const { return ramp_left_ > 0; }

  // --- interleaved floats ---
  Result<void> process(std::span<float> samples);
  Result<void> process(std::span<const float> in, std::span<float> out);

  // --- AudioFrames --- a new frame (from the pool) with the same position and timestamp.
  Result<AudioFrame> process(const AudioFrame& in);

  const GainConfig& config() const { return config_; }
  AudioFramePool& pool() { return pool_; }

 private:
  Gain() = default;
  void update_target();

  GainConfig config_;
  std::atomic<float> target_db_{0.0f};
  float applied_db_ = 0.0f;  // the target the ramp heads to
  float current_ = 1.0f;     // linear gain now
  float ramp_from_ = 1.0f;
  float ramp_to_ = 1.0f;
  std::int64_t ramp_frames_ = 0;  // length of a ramp
  std::int64_t ramp_left_ = 0;    // frames left in the current ramp
  AudioFramePool pool_;
};

}  // namespace streamlib::dsp
