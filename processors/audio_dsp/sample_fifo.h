// SampleFifo: a growable FIFO of interleaved float frames that stops allocating once it has
// held its largest fill (used by Rechunker and Mixer; internal to audio_dsp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace streamlib::dsp::internal {

class SampleFifo {
 public:
  explicit SampleFifo(int channels = 1) : channels_(static_cast<std::size_t>(channels)) {}
  void set_channels(int channels) {
    channels_ = static_cast<std::size_t>(channels);
    clear();
  }
  std::size_t frames() const { return (end_ - begin_) / channels_; }
  bool empty() const { return end_ == begin_; }
  const float* data() const { return buf_.data() + begin_; }
  // Makes room for `frames` more and returns where they go.
  float* extend(std::size_t frames) {
    const std::size_t n = frames * channels_;
    if (end_ + n > buf_.size()) {
      // Move the live part to the front; grow only if that is not enough.
      if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, (end_ - begin_) * sizeof(float));
        end_ -= begin_;
        begin_ = 0;
      }
      if (end_ + n > buf_.size()) buf_.resize(std::max(end_ + n, buf_.size() * 2));
    }
    float* out = buf_.data() + end_;
    end_ += n;
    return out;
  }
  void append(const float* samples, std::size_t frames) {
    if (frames == 0) return;
    std::memcpy(extend(frames), samples, frames * channels_ * sizeof(float));
  }
  void append_silence(std::size_t frames) {
    if (frames == 0) return;
    std::fill_n(extend(frames), frames * channels_, 0.0f);
  }
  void consume(std::size_t frames) {
    begin_ += std::min(frames * channels_, end_ - begin_);
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Reserves room for `frames` (setup, so the first blocks do not allocate).
  void reserve(std::size_t frames) {
    if (buf_.size() < frames * channels_) buf_.resize(frames * channels_);
  }

 private:
  std::size_t channels_;
  std::vector<float> buf_;
  std::size_t begin_ = 0;  // in samples
  std::size_t end_ = 0;
};

}  // namespace streamlib::dsp::internal
