// AudioFrame: an immutable, reference-counted block of interleaved float samples.
//
//   AudioFramePool pool;
//   WritableAudioFrame w = pool.acquire(/*channels=*/2, /*sample_rate=*/48000, /*frames=*/480);
//   for (std::size_t i = 0; i < w.samples().size(); ++i) w.samples()[i] = 0.0f;
//   w.set_sample_position(position);          // where this block starts, in samples
//   w.set_timestamp_ns(start_ns + position * 1'000'000'000 / 48000);
//   out.push(std::move(w).freeze());
//
// Media time: sample_position counts sample frames (one sample per channel) from the start of
// the stream, so rechunking and mixing stay sample-accurate; timestamp_ns is the presentation
// time of the first sample and duration_ns() follows from frame_count() and sample_rate().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "streamlib/frames/frame_pool.h"
#include "streamlib/frames/message.h"

namespace streamlib {

inline constexpr int kMaxAudioChannels = 8;

namespace internal {
struct AudioFrameStorage final : FrameStorageBase {
  void reset() override;
  int channels = 0;
  int sample_rate = 0;
  std::size_t frames = 0;  // samples per channel
  std::int64_t sample_position = 0;
  std::vector<float> samples;  // frames * channels, interleaved
};
}  // namespace internal

class AudioFrame {
 public:
  AudioFrame() = default;

  explicit operator bool() const { return static_cast<bool>(ref_); }
  int channels() const { return ref_->channels; }
  int sample_rate() const { return ref_->sample_rate; }
  std::size_t frame_count() const { return ref_->frames; }
  std::span<const float> samples() const {
    return {ref_->samples.data(), ref_->frames * static_cast<std::size_t>(ref_->channels)};
  }
  std::int64_t timestamp_ns() const { return ref_->timestamp_ns; }
  std::int64_t sample_position() const { return ref_->sample_position; }
  std::uint64_t frame_number() const { return ref_->frame_number; }
  const FrameMetadata& metadata() const { return ref_->metadata; }
  // Duration of this block in nanoseconds.
  std::int64_t duration_ns() const;

  const void* buffer_id() const { return ref_.get(); }
  std::uint32_t use_count() const { return ref_.use_count(); }

 private:
  friend class WritableAudioFrame;
  friend struct internal::MediaTime<AudioFrame>;
  explicit AudioFrame(internal::FrameRef<internal::AudioFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::AudioFrameStorage> ref_;
};

class WritableAudioFrame {
 public:
  // Allocates outside any pool. channels must be 1..8.
  WritableAudioFrame(int channels, int sample_rate, std::size_t frames);

  int channels() const { return ref_->channels; }
  int sample_rate() const { return ref_->sample_rate; }
  std::size_t frame_count() const { return ref_->frames; }
  std::span<float> samples() { return {ref_->samples.data(), ref_->frames * static_cast<std::size_t>(ref_->channels)}; }
  void set_timestamp_ns(std::int64_t ns) { ref_->timestamp_ns = ns; }
  void set_sample_position(std::int64_t position) { ref_->sample_position = position; }
  void set_frame_number(std::uint64_t n) { ref_->frame_number = n; }
  FrameMetadata& metadata() { return ref_->metadata; }

  AudioFrame freeze() && { return AudioFrame(std::move(ref_)); }

 private:
  friend class AudioFramePool;
  explicit WritableAudioFrame(internal::FrameRef<internal::AudioFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::AudioFrameStorage> ref_;
};

class AudioFramePool {
 public:
  // Acquire from one thread (the producer); frames may be released anywhere. Keeps every
  // buffer it made for reuse. With `max_in_flight` > 0 at most that many blocks are out at
  // once: acquire() then waits for one to come back (backpressure).
  explicit AudioFramePool(std::size_t max_in_flight = 0) { impl_.set_max_in_flight(max_in_flight); }
  WritableAudioFrame acquire(int channels, int sample_rate, std::size_t frames);
  std::optional<WritableAudioFrame> try_acquire(int channels, int sample_rate, std::size_t frames);
  // Makes `count` blocks of this shape now, their pages touched (setup(), not the hot path).
  void reserve(std::size_t count, int channels, int sample_rate, std::size_t frames);
  void set_max_in_flight(std::size_t max) { impl_.set_max_in_flight(max); }
  std::size_t in_flight() const { return impl_.in_flight(); }
  std::uint64_t allocated() const { return impl_.allocated(); }
  std::uint64_t reused() const { return impl_.reused(); }

 private:
  internal::FramePoolImpl<internal::AudioFrameStorage> impl_;
};

STREAMLIB_MESSAGE_TYPE(AudioFrame, 32, LinkPolicy::kBlock);

namespace internal {
template <>
struct MediaTime<AudioFrame> {
  static constexpr bool kTimed = true;
  static constexpr bool kHasPosition = true;
  static std::int64_t timestamp_ns(const AudioFrame& f) { return f.timestamp_ns(); }
  static std::int64_t duration_ns(const AudioFrame& f) { return f.duration_ns(); }
  static std::int64_t sample_position(const AudioFrame& f) { return f.sample_position(); }
  static std::int64_t frame_count(const AudioFrame& f) { return static_cast<std::int64_t>(f.frame_count()); }
  static int sample_rate(const AudioFrame& f) { return f.sample_rate(); }
  // `f` stamped `timestamp_ns` and starting at `sample_position`: in place when `f` is the only
  // handle to its block, else a copy, so no other reader sees the change.
  static AudioFrame retimed(AudioFrame f, std::int64_t timestamp_ns, std::int64_t sample_position);
};
}  // namespace internal

}  // namespace streamlib
