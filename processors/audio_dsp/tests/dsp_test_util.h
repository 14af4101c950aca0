#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "streamlib/frames/audio_frame.h"

namespace streamlib::dsp::testing {

inline AudioFrame make_frame(std::span<const float> samples, int channels, int rate, std::int64_t position,
                             std::int64_t timestamp_ns) {
  WritableAudioFrame w(channels, rate, samples.size() / static_cast<std::size_t>(channels));
  std::copy(samples.begin(), samples.end(), w.samples().begin());
  w.set_sample_position(position);
  w.set_timestamp_ns(timestamp_ns);
  return std::move(w).freeze();
}

// `frames` frames of a sine (same on every channel unless `per_channel_phase`).
inline std::vector<float> sine(std::size_t frames, int channels, double freq, int rate, double amplitude,
                               std::int64_t start = 0) {
  std::vector<float> out(frames * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(static_cast<std::int64_t>(i) + start) / rate;
    const auto v = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * freq * t));
    for (int c = 0; c < channels; ++c) out[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = v;
  }
  return out;
}

// Deterministic pseudo-random block sizes in [lo, hi].
class Sizes {
 public:
  Sizes(std::size_t lo, std::size_t hi, std::uint32_t seed = 12345) : lo_(lo), hi_(hi), state_(seed) {}
  std::size_t next() {
    state_ = state_ * 1664525u + 1013904223u;
    return lo_ + (state_ >> 8) % (hi_ - lo_ + 1);
  }

 private:
  std::size_t lo_;
  std::size_t hi_;
  std::uint32_t state_;
};

}  // namespace streamlib::dsp::testing
