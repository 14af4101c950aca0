// Mixer: N inputs of one rate and channel count mixed into one stream, aligned by position.
//
//   auto mix = dsp::Mixer::create({.inputs = 3, .channels = 2, .sample_rate = 48000,
//                                  .frames_per_block = 480, .mode = dsp::MixMode::kSoftClip}).value();
//   mix->push(0, frame_a).value();                 // each input's frames, any block sizes
//   mix->push(2, frame_c).value();
//   while (mix->ready()) out.push(mix->mix().value());   // every input has the next block
//   // or, on a deadline (live): out.push(mix->mix().value()) — missing data is silence
//
// Alignment: each input's frames are placed by sample_position. The mixer's position starts at
// the first position pushed (or set_position()) and advances by frames_per_block per mix().
// Samples an input sends for positions already mixed are dropped (late_frames); a gap inside
// an input is silence. An input with no data (or only part) for a block contributes silence
// there and is counted (starved_blocks, missing_frames) — and, in kNormalized, still counts in
// the divisor N: the level of the others does not jump when one input drops out.
//
// Modes: kSum adds; kNormalized adds and divides by N; kSoftClip adds, then passes |x| up to
// `soft_clip_knee` unchanged and bends what is above smoothly towards 1 (tanh), so a loud mix
// never exceeds full scale and quiet mixes are untouched.
//
// Time: output blocks carry their position; the timestamp is anchored on the first frame pushed
// (any input): anchor_ns + (position - anchor_position) * 1e9 / rate.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "audio_dsp/sample_fifo.h"
#include "audio_dsp/timeline.h"
#include "streamlib/config.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::dsp {

enum class MixMode { kSum, kNormalized, kSoftClip };
STREAMLIB_ENUM_NAMES(MixMode, {MixMode::kSum, "sum"}, {MixMode::kNormalized, "normalized"},
                     {MixMode::kSoftClip, "soft_clip"});

struct MixerConfig {
  int inputs = 2;  // 1..64
  int channels = 2;
  int sample_rate = 48000;
  std::size_t frames_per_block = 480;
  MixMode mode = MixMode::kSum;
  float soft_clip_knee = 0.5f;            // 0 < knee < 1
  std::int64_t max_ahead_frames = 48000;  // an input may run at most this far ahead of the mix
};

// |x| <= knee: x; above: knee + (1 - knee) * tanh((|x| - knee) / (1 - knee)), sign kept.
float soft_clip(float x, float knee);

struct MixerInputStats {
  std::uint64_t starved_blocks = 0;  // blocks mixed without all of this input's samples
  std::int64_t missing_frames = 0;   // frames of silence put in for it
  std::int64_t late_frames = 0;      // frames it sent for positions already mixed (dropped)
};

class Mixer {
 public:
  static Result<std::unique_ptr<Mixer>> create(const MixerConfig& config);

  // --- interleaved floats ---
  // Samples for input `input` starting at sample `position`.
  Result<void> push(int input, std::int64_t position, std::span<const float> samples);
  // Mixes the block at position() into `out` (frames_per_block * channels); returns its position.
  Result<std::int64_t> mix(std::span<float> out);

  // --- AudioFrames ---
  Result<void> push(int input, const AudioFrame& frame);
  // The next block, from the pool.
  Result<AudioFrame> mix();

  // True when every input has data through the end of the next block.
  bool ready() const;
  // Frames input `input` holds from position() on.
  std::int64_t buffered_frames(int input) const;
  // Start of the next block; unset (0) until the first push or set_position().
  std::int64_t position() const { return position_; }
  // Moves the mix to `position` (drops what inputs hold before it).
  void set_position(std::int64_t position);
  // Live changes between two blocks; the mix goes on at position() with what the inputs hold.
  // More inputs: the new ones start empty (silence until their samples come); fewer: the last
  // ones are dropped with what they held.
  Result<void> set_inputs(int inputs);
  Result<void> set_frames_per_block(std::size_t frames);
  Result<void> set_mode(MixMode mode, float soft_clip_knee);
  MixerInputStats input_stats(int input) const { return inputs_[static_cast<std::size_t>(input)].stats; }
  const MixerConfig& config() const { return config_; }
  AudioFramePool& pool() { return pool_; }

 private:
  struct Input {
    internal::SampleFifo fifo;
    std::int64_t start = 0;  // position of fifo's first frame (when not empty)
    MixerInputStats stats;
  };
  Mixer() = default;
  Result<void> check_input(int input) const;
  void drop_before(Input& in, std::int64_t position);

  MixerConfig config_;
  std::vector<Input> inputs_;
  bool started_ = false;
  std::int64_t position_ = 0;
  Timeline timeline_;
  AudioFramePool pool_;
  std::uint64_t frame_number_ = 0;
};

}  // namespace streamlib::dsp
