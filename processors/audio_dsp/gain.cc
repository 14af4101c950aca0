#include "audio_dsp/gain.h"

#include <cmath>

namespace streamlib::dsp {

float db_to_linear(float db) {
  if (!(db > -144.0f)) return 0.0f;  // also NaN and -inf
  return std::pow(10.0f, db / 20.0f);
}

Result<std::unique_ptr<Gain>> Gain::create(const GainConfig& config) {
  if (config.channels < 1 || config.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "gain: channels must be 1..{}, got {}", kMaxAudioChannels,
                      config.channels);
  }
  if (config.sample_rate <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "gain: sample rate must be positive, got {}", config.sample_rate);
  }
  if (!(config.ramp_ms >= 0.0f) || config.ramp_ms > 10'000.0f) {
    return make_error(ErrorCode::kInvalidArgument, "gain: ramp_ms must be 0..10000, got {}", config.ramp_ms);
  }
  if (std::isnan(config.gain_db) || config.gain_db > 96.0f) {
    return make_error(ErrorCode::kInvalidArgument, "gain: gain_db must be at most 96 dB, got {}", config.gain_db);
  }
  std::unique_ptr<Gain> g(new Gain());
  g->config_ = config;
  g->target_db_.store(config.gain_db);
  g->applied_db_ = config.gain_db;
  g->current_ = db_to_linear(config.gain_db);
  g->ramp_to_ = g->current_;
  g->ramp_frames_ = std::llround(static_cast<double>(config.ramp_ms) * config.sample_rate / 1000.0);
  return g;
}

void Gain::update_target() {
  const float db = target_db_.load(std::memory_order_relaxed);
  if (db == applied_db_) return;
  applied_db_ = db;
  const float target = db_to_linear(db);
  if (ramp_frames_ == 0) {
    current_ = ramp_to_ = target;
    ramp_left_ = 0;
    return;
  }
  ramp_from_ = current_;
  ramp_to_ = target;
  ramp_left_ = ramp_frames_;
}

Result<void> Gain::process(std::span<const float> in, std::span<float> out) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  if (in.size() % channels != 0 || out.size() < in.size()) {
    return make_error(ErrorCode::kInvalidArgument, "gain: {} samples in, room for {}, {} channels", in.size(),
                      out.size(), channels);
  }
  update_target();
  const std::size_t frames = in.size() / channels;
  std::size_t i = 0;
  // Ramp part: the gain of frame k of the ramp is from + (to - from) * (k + 1) / N, computed
  // from k (no accumulated error); the last frame lands exactly on the target.
  for (; i < frames && ramp_left_ > 0; ++i) {
    const std::int64_t k = ramp_frames_ - ramp_left_ + 1;
    --ramp_left_;
    current_ = ramp_left_ == 0
                   ? ramp_to_
                   : ramp_from_ + (ramp_to_ - ramp_from_) *
                                      static_cast<float>(static_cast<double>(k) / static_cast<double>(ramp_frames_));
    for (std::size_t c = 0; c < channels; ++c) out[i * channels + c] = in[i * channels + c] * current_;
  }
  // Steady part.
  const float g = current_;
  for (std::size_t s = i * channels; s < frames * channels; ++s) out[s] = in[s] * g;
  return {};
}

Result<void> Gain::process(std::span<float> samples) { return process(std::span<const float>(samples), samples); }

Result<AudioFrame> Gain::process(const AudioFrame& in) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "gain: empty frame");
  if (in.channels() != config_.channels || in.sample_rate() != config_.sample_rate) {
    return make_error(ErrorCode::kInvalidArgument, "gain: expects {} Hz {} ch, got {} Hz {} ch", config_.sample_rate,
                      config_.channels, in.sample_rate(), in.channels());
  }
  WritableAudioFrame w = pool_.acquire(in.channels(), in.sample_rate(), in.frame_count());
  STREAMLIB_RETURN_IF_ERROR(process(in.samples(), w.samples()));
  w.set_sample_position(in.sample_position());
  w.set_timestamp_ns(in.timestamp_ns());
  w.set_frame_number(in.frame_number());
  return std::move(w).freeze();
}

}  // namespace streamlib::dsp
