#include "audio_dsp/rechunker.h"

#include <algorithm>

namespace streamlib::dsp {

Result<std::unique_ptr<Rechunker>> Rechunker::create(const RechunkerConfig& config) {
  if (config.channels < 1 || config.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: channels must be 1..{}, got {}", kMaxAudioChannels,
                      config.channels);
  }
  if (config.sample_rate <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: sample rate must be positive, got {}",
                      config.sample_rate);
  }
  if (config.frames_per_buffer == 0 || config.frames_per_buffer > (1u << 24)) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: frames_per_buffer must be 1..16777216, got {}",
                      config.frames_per_buffer);
  }
  if (config.max_gap_frames < 0) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: max_gap_frames must not be negative");
  }
  std::unique_ptr<Rechunker> r(new Rechunker());
  r->config_ = config;
  r->fifo_.set_channels(config.channels);
  r->fifo_.reserve(config.frames_per_buffer * 2);
  return r;
}

Result<void> Rechunker::write(std::span<const float> samples) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  if (samples.size() % channels != 0) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: {} samples are not whole {}-channel frames",
                      samples.size(), channels);
  }
  fifo_.append(samples.data(), samples.size() / channels);
  return {};
}

bool Rechunker::read(std::span<float> out) {
  const std::size_t n = config_.frames_per_buffer * static_cast<std::size_t>(config_.channels);
  if (fifo_.frames() < config_.frames_per_buffer || out.size() < n) return false;
  std::copy_n(fifo_.data(), n, out.data());
  fifo_.consume(config_.frames_per_buffer);
  return true;
}

Result<void> Rechunker::push(const AudioFrame& in) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "rechunker: empty frame");
  if (in.sample_rate() != config_.sample_rate || in.channels() != config_.channels) {
    return make_error(ErrorCode::kInvalidArgument, "rechunker: expects {} Hz {} ch, got {} Hz {} ch",
                      config_.sample_rate, config_.channels, in.sample_rate(), in.channels());
  }
  if (!timeline_.anchored()) {
    timeline_.anchor(in.sample_position(), in.timestamp_ns());
    next_in_position_ = in.sample_position();
    out_position_ = in.sample_position();
  }
  const std::int64_t gap = in.sample_position() - next_in_position_;
  if (gap < 0 || gap > config_.max_gap_frames) {
    return make_error(ErrorCode::kInvalidArgument,
                      "rechunker: input at sample {} but {} expected ({}); flush() and reset() at a seek",
                      in.sample_position(), next_in_position_, gap < 0 ? "overlap" : "gap too large");
  }
  fifo_.append_silence(static_cast<std::size_t>(gap));
  gap_frames_ += gap;
  fifo_.append(in.samples().data(), in.frame_count());
  next_in_position_ = in.sample_position() + static_cast<std::int64_t>(in.frame_count());
  return {};
}

AudioFrame Rechunker::make_block(std::size_t take, std::size_t frames) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  WritableAudioFrame w = pool_.acquire(config_.channels, config_.sample_rate, frames);
  auto out = w.samples();
  std::copy_n(fifo_.data(), take * channels, out.data());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(take * channels), out.end(), 0.0f);
  fifo_.consume(take);
  w.set_sample_position(out_position_);
  w.set_timestamp_ns(timeline_.ns_at(out_position_, config_.sample_rate));
  w.set_frame_number(frame_number_++);
  out_position_ += static_cast<std::int64_t>(frames);
  return std::move(w).freeze();
}

std::optional<AudioFrame> Rechunker::pop() {
  if (!timeline_.anchored() || fifo_.frames() < config_.frames_per_buffer) return std::nullopt;
  return make_block(config_.frames_per_buffer, config_.frames_per_buffer);
}

std::optional<AudioFrame> Rechunker::flush() {
  if (!timeline_.anchored()) return std::nullopt;
  const std::size_t left = fifo_.frames();
  if (left >= config_.frames_per_buffer) return make_block(config_.frames_per_buffer, config_.frames_per_buffer);
  std::optional<AudioFrame> out;
  if (left > 0) {
    switch (config_.flush) {
      case FlushMode::kPad:
        out = make_block(left, config_.frames_per_buffer);
        break;
      case FlushMode::kShort:
        out = make_block(left, left);
        break;
      case FlushMode::kDrop:
        break;
    }
  }
  fifo_.clear();
  timeline_.clear();
  return out;
}

void Rechunker::reset() {
  fifo_.clear();
  timeline_.clear();
}

}  // namespace streamlib::dsp
