// Sample-accurate media time shared by the audio_dsp classes.
//
// A stream's time is anchored at its first block: (anchor_position, anchor_ns). The timestamp
// of sample position P is anchor_ns + (P - anchor_position) * 1e9 / rate, computed from the
// position every time (exactly, without overflow), never by adding up rounded durations.
#pragma once

#include <cstdint>

namespace streamlib::dsp {

// floor(frames * 1e9 / rate), exact for any int64 `frames` and rate in 1..2^31.
constexpr std::int64_t frames_to_ns(std::int64_t frames, int rate) {
  std::int64_t q = frames / rate;
  std::int64_t r = frames % rate;
  if (r < 0) {  // floor division
    q -= 1;
    r += rate;
  }
  return q * 1'000'000'000 + (r * 1'000'000'000) / rate;
}

// round(position * to_rate / from_rate) for non-negative positions, without overflow.
constexpr std::int64_t rescale_position(std::int64_t position, int from_rate, int to_rate) {
  const std::int64_t q = position / from_rate;
  const std::int64_t r = position % from_rate;
  return q * to_rate + (2 * r * to_rate + from_rate) / (2 * static_cast<std::int64_t>(from_rate));
}

class Timeline {
 public:
  bool anchored() const { return anchored_; }
  void anchor(std::int64_t position, std::int64_t timestamp_ns) {
    anchored_ = true;
    position_ = position;
    ns_ = timestamp_ns;
  }
  void clear() { anchored_ = false; }
  std::int64_t anchor_position() const { return position_; }
  std::int64_t anchor_ns() const { return ns_; }
  // Timestamp of sample `position` at `rate`.
  std::int64_t ns_at(std::int64_t position, int rate) const { return ns_ + frames_to_ns(position - position_, rate); }

 private:
  bool anchored_ = false;
  std::int64_t position_ = 0;
  std::int64_t ns_ = 0;
};

}  // namespace streamlib::dsp
