// Resampler: AudioFrame -> AudioFrame at another sample rate and/or channel count, with
// libswresample. For AudioResampler and AudioOutput.
//
//   auto rs = ffmpeg::Resampler::create({.sample_rate = 48000, .channels = 2}).value();
//   for (...) if (auto out = rs.process(frame).value()) push(out);   // empty: nothing yet
//   if (auto tail = rs.flush().value()) push(tail);                    // at end of stream
//
// Media time is sample-accurate: the first output block starts at the first input's
// timestamp, its sample_position is that position converted to the output rate, and every
// later block follows on from the samples already produced (output sample n is at
// timestamp_0 + n / rate). The filter's latency shows as a shorter first block, not as a
// shift in time. A jump in the input's sample_position (a gap or an overlap) or a change of
// its rate or channel count starts a new segment: the few samples still inside the filter are
// dropped and timing restarts from that frame.
//
// Channels: FFmpeg's standard layouts for 1..8 channels and its downmix/upmix matrices, except
// that mono goes to both front channels at full level (not -3 dB), and downmixes are scaled
// so they cannot clip (stereo to mono is the average of the two).
//
// Input already at the output rate and channel count is passed through as is (no copy).
#pragma once

#include <cstddef>
#include <memory>

#include "streamlib/config.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

// kFast: short filter (cheap, some aliasing); kDefault: swresample's defaults; kHigh: SoX's
// resampler at 28-bit precision when FFmpeg has it, else a long swresample filter.
enum class ResampleQuality { kFast, kDefault, kHigh };
STREAMLIB_ENUM_NAMES(ResampleQuality, {ResampleQuality::kFast, "fast"}, {ResampleQuality::kDefault, "default"},
                     {ResampleQuality::kHigh, "high"});

struct ResamplerOptions {
  int sample_rate = 48000;  // output
  int channels = 2;         // output, 1..8
  ResampleQuality quality = ResampleQuality::kDefault;
  std::size_t max_in_flight = 0;  // bound on output blocks out at once (pool backpressure); 0: none

  Result<void> validate() const;
};

class Resampler {
 public:
  static Result<Resampler> create(ResamplerOptions options = {});
  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;
  ~Resampler();

  // The samples converted so far: an empty AudioFrame (operator bool false) while the filter
  // is still filling. `in` with the output's rate and channels comes back unchanged.
  Result<AudioFrame> process(const AudioFrame& in);
  // The samples still inside the filter (empty if none); the next process() starts afresh.
  Result<AudioFrame> flush();
  // Forgets the stream without emitting what is buffered.
  void reset();

  // Changes the output between two blocks: what is buffered is dropped.
  Result<void> reconfigure(ResamplerOptions options);
  const ResamplerOptions& options() const;
  // Samples (at the output rate) inside the filter now.
  std::int64_t buffered_samples() const;

  AudioFramePool& pool();

 private:
  struct Impl;
  explicit Resampler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamlib::ffmpeg
