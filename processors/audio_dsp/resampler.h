// Resampler: interleaved float audio from one sample rate to another (libswresample).
//
//   auto rs = dsp::Resampler::create({.in_rate = 44100, .out_rate = 48000, .channels = 2}).value();
//   for (const AudioFrame& in : stream) {
//     if (auto out = rs->process(in).value()) push(*out);   // one frame out per frame in, or none
//   }
//   if (auto tail = rs->flush().value()) push(*tail);      // what the filter still holds
//
// Time: the first input anchors the output. Output sample position q (at out_rate) is
// round(first_in_position * out_rate / in_rate) + the count of samples put out before it, and
// its timestamp is first_in_timestamp + (q - first_out_position) * 1e9 / out_rate: no drift,
// however long the stream. The output is aligned with the input: libswresample compensates its
// filter delay, so output sample k is the signal at time k / out_rate (the last samples come
// out of flush()). Over a whole stream, in_frames * out_rate / in_rate samples come out
// (when that is whole; rounded otherwise), flush() included.
//
// Inputs must follow on each other by sample_position. A forward gap of up to `max_gap_frames`
// is filled with silence (counted in gap_frames()); an overlap, a step back or a larger gap is
// kInvalidArgument: flush() and reset() at a seek or a restart.
//
// Allocation: none per block once the largest block has been seen (output frames come from
// the resampler's own AudioFramePool; give frames back to reuse them).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "audio_dsp/timeline.h"
#include "streamlib/config.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

struct SwrContext;

namespace streamlib::dsp {

enum class ResampleQuality {
  kFast,    // 16-tap filter, linear interpolation between phases: cheapest
  kMedium,  // libswresample's default: 32 taps, 1024 phases
  kHigh,    // 64 taps, 4096 phases, linear interpolation, cutoff 0.97: the cleanest
};
STREAMLIB_ENUM_NAMES(ResampleQuality, {ResampleQuality::kFast, "fast"}, {ResampleQuality::kMedium, "medium"},
                     {ResampleQuality::kHigh, "high"});

struct ResamplerConfig {
  int in_rate = 48000;
  int out_rate = 48000;
  int channels = 2;  // 1..8
  ResampleQuality quality = ResampleQuality::kMedium;
  std::int64_t max_gap_frames = 48000;  // input gaps up to this many frames are filled with silence
};

class Resampler {
 public:
  // kInvalidArgument for rates outside 1..768000 Hz or channels outside 1..8; kInternal if
  // libswresample refuses.
  static Result<std::unique_ptr<Resampler>> create(const ResamplerConfig& config);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // --- interleaved floats ---
  // At most this many frames come out of the next process() of `in_frames` frames (or of a
  // flush() when `in_frames` is 0).
  std::size_t max_output_frames(std::size_t in_frames) const;
  // Converts `in` (frames * channels) into `out`, which must hold max_output_frames(frames);
  // returns the frames written.
  Result<std::size_t> process(std::span<const float> in, std::span<float> out);
  // Puts out what the filter still holds; afterwards the resampler starts afresh.
  Result<std::size_t> flush(std::span<float> out);

  // --- AudioFrames ---
  // One output frame (from the pool) with what `in` produced, or nothing if it produced
  // nothing yet. kInvalidArgument for another rate or channel count, or a discontinuity.
  Result<std::optional<AudioFrame>> process(const AudioFrame& in);
  // The last samples, at the positions that follow; then the timeline starts afresh.
  Result<std::optional<AudioFrame>> flush();
  // Forgets everything (filter state, timeline): for a seek. Keeps buffers.
  void reset();

  const ResamplerConfig& config() const { return config_; }
  std::int64_t gap_frames() const { return gap_frames_; }
  // Frames the filter holds back now (output-rate frames that flush() would add, roughly).
  std::int64_t delay_frames() const;
  AudioFramePool& pool() { return pool_; }

 private:
  Resampler() = default;
  Result<void> init();
  Result<std::size_t> convert(const float* in, std::size_t in_frames, std::span<float> out);
  Result<std::optional<AudioFrame>> emit(std::size_t frames);
  Result<void> feed(const float* in, std::size_t frames);

  ResamplerConfig config_;
  SwrContext* swr_ = nullptr;
  AudioFramePool pool_;
  std::vector<float> scratch_;  // output of one process() before it goes into a frame
  std::size_t scratch_frames_ = 0;
  Timeline timeline_;                  // anchored on the first input (at in_rate)
  std::int64_t next_in_position_ = 0;  // the position the next input must start at
  std::int64_t out_start_position_ = 0;
  std::int64_t out_produced_ = 0;
  std::int64_t gap_frames_ = 0;
  std::uint64_t frame_number_ = 0;
};

}  // namespace streamlib::dsp
