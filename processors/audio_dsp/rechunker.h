// Rechunker: audio in blocks of any size -> blocks of exactly `frames_per_buffer` frames.
//
//   auto rc = dsp::Rechunker::create({.channels = 2, .sample_rate = 48000, .frames_per_buffer = 480}).value();
//   rc->push(in).value();                          // any size
//   while (auto block = rc->pop()) out.push(*block);  // every full 480-frame block there is
//   while (auto tail = rc->flush()) out.push(*tail);  // at the end: whatever is left
//
// Time: the first input anchors the stream at (sample_position, timestamp_ns). Block k starts at
// position anchor + k * frames_per_buffer and its timestamp is computed from that position
// (anchor_ns + (position - anchor) * 1e9 / rate), never by adding durations.
//
// Inputs must follow on each other by sample_position: a forward gap up to `max_gap_frames` is
// filled with silence (gap_frames() counts it); an overlap or a larger gap is kInvalidArgument
// (flush() and reset() at a seek).
//
// The remainder at flush(): FlushMode::kPad pads it with silence to a full block, kShort puts it
// out as a shorter block, kDrop discards it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "audio_dsp/sample_fifo.h"
#include "audio_dsp/timeline.h"
#include "streamlib/config.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::dsp {

enum class FlushMode { kPad, kShort, kDrop };
STREAMLIB_ENUM_NAMES(FlushMode, {FlushMode::kPad, "pad"}, {FlushMode::kShort, "short"}, {FlushMode::kDrop, "drop"});

struct RechunkerConfig {
  int channels = 2;
  int sample_rate = 48000;
  std::size_t frames_per_buffer = 480;
  FlushMode flush = FlushMode::kPad;
  std::int64_t max_gap_frames = 48000;
};

class Rechunker {
 public:
  static Result<std::unique_ptr<Rechunker>> create(const RechunkerConfig& config);

  // --- interleaved floats (no timeline) ---
  // Appends whole frames.
  Result<void> write(std::span<const float> samples);
  // Copies the next full block into `out` (frames_per_buffer * channels) and returns true, or
  // returns false if there is not a full block yet.
  bool read(std::span<float> out);

  // --- AudioFrames ---
  Result<void> push(const AudioFrame& in);
  // The next full block, from the pool.
  std::optional<AudioFrame> pop();
  // At the end of the stream: the next full block if one is left, else the remainder per
  // FlushMode, else nothing. Call until it returns nothing; then the timeline starts afresh.
  std::optional<AudioFrame> flush();
  void reset();
  // What flush() does with the last partial block, from the next flush() on.
  void set_flush_mode(FlushMode mode) { config_.flush = mode; }

  std::size_t buffered_frames() const { return fifo_.frames(); }
  std::int64_t gap_frames() const { return gap_frames_; }
  const RechunkerConfig& config() const { return config_; }
  AudioFramePool& pool() { return pool_; }

 private:
  Rechunker() = default;
  AudioFrame make_block(std::size_t take, std::size_t frames);

  RechunkerConfig config_;
  internal::SampleFifo fifo_;
  AudioFramePool pool_;
  Timeline timeline_;
  std::int64_t next_in_position_ = 0;
  std::int64_t out_position_ = 0;  // position of the next block
  std::int64_t gap_frames_ = 0;
  std::uint64_t frame_number_ = 0;
};

}  // namespace streamlib::dsp
