#include "audio_dsp/mixer.h"

#include <algorithm>
#include <cmath>

namespace streamlib::dsp {

float soft_clip(float x, float knee) {
  const float a = std::abs(x);
  if (a <= knee) return x;
  const float range = 1.0f - knee;
  const float y = knee + range * std::tanh((a - knee) / range);
  return x < 0.0f ? -y : y;
}

namespace {
Result<void> check_inputs(int inputs) {
  if (inputs < 1 || inputs > 64) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: inputs must be 1..64, got {}", inputs);
  }
  return {};
}
Result<void> check_frames_per_block(std::size_t frames) {
  if (frames == 0 || frames > (1u << 24)) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: frames_per_block must be 1..16777216, got {}", frames);
  }
  return {};
}
Result<void> check_knee(float knee) {
  if (!(knee > 0.0f && knee < 1.0f)) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: soft_clip_knee must be in (0, 1), got {}", knee);
  }
  return {};
}
}  // namespace

Result<std::unique_ptr<Mixer>> Mixer::create(const MixerConfig& config) {
  STREAMLIB_RETURN_IF_ERROR(check_inputs(config.inputs));
  if (config.channels < 1 || config.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: channels must be 1..{}, got {}", kMaxAudioChannels,
                      config.channels);
  }
  if (config.sample_rate <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: sample rate must be positive, got {}", config.sample_rate);
  }
  STREAMLIB_RETURN_IF_ERROR(check_frames_per_block(config.frames_per_block));
  STREAMLIB_RETURN_IF_ERROR(check_knee(config.soft_clip_knee));
  if (config.max_ahead_frames < 0) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: max_ahead_frames must not be negative");
  }
  std::unique_ptr<Mixer> m(new Mixer());
  m->config_ = config;
  m->inputs_.resize(static_cast<std::size_t>(config.inputs));
  for (auto& in : m->inputs_) {
    in.fifo.set_channels(config.channels);
    in.fifo.reserve(config.frames_per_block * 2);
  }
  return m;
}

Result<void> Mixer::check_input(int input) const {
  if (input < 0 || input >= config_.inputs) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: no input {} (inputs 0..{})", input, config_.inputs - 1);
  }
  return {};
}

void Mixer::drop_before(Input& in, std::int64_t position) {
  if (in.fifo.empty() || in.start >= position) return;
  const auto n = static_cast<std::size_t>(position - in.start);
  in.fifo.consume(n);
  in.start = position;
}

Result<void> Mixer::set_inputs(int inputs) {
  STREAMLIB_RETURN_IF_ERROR(check_inputs(inputs));
  const std::size_t before = inputs_.size();
  inputs_.resize(static_cast<std::size_t>(inputs));
  for (std::size_t i = before; i < inputs_.size(); ++i) {
    inputs_[i].fifo.set_channels(config_.channels);
    inputs_[i].fifo.reserve(config_.frames_per_block * 2);
  }
  config_.inputs = inputs;
  return {};
}

Result<void> Mixer::set_frames_per_block(std::size_t frames) {
  STREAMLIB_RETURN_IF_ERROR(check_frames_per_block(frames));
  for (auto& in : inputs_) in.fifo.reserve(frames * 2);
  config_.frames_per_block = frames;
  return {};
}

Result<void> Mixer::set_mode(MixMode mode, float soft_clip_knee) {
  STREAMLIB_RETURN_IF_ERROR(check_knee(soft_clip_knee));
  config_.mode = mode;
  config_.soft_clip_knee = soft_clip_knee;
  return {};
}

void Mixer::set_position(std::int64_t position) {
  started_ = true;
  position_ = position;
  for (auto& in : inputs_) drop_before(in, position);
}

Result<void> Mixer::push(int input, std::int64_t position, std::span<const float> samples) {
  STREAMLIB_RETURN_IF_ERROR(check_input(input));
  const auto channels = static_cast<std::size_t>(config_.channels);
  if (samples.size() % channels != 0) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: {} samples are not whole {}-channel frames", samples.size(),
                      channels);
  }
  if (!started_) {
    started_ = true;
    position_ = position;
  }
  Input& in = inputs_[static_cast<std::size_t>(input)];
  std::int64_t pos = position;
  std::size_t skip = 0;
  auto frames = static_cast<std::int64_t>(samples.size() / channels);
  // Where this input's data ends now (or the mix position, if it holds nothing).
  const std::int64_t end = in.fifo.empty() ? position_ : in.start + static_cast<std::int64_t>(in.fifo.frames());
  if (pos < end) {  // already mixed or already held: drop the overlap
    const std::int64_t drop = std::min(end - pos, frames);
    in.stats.late_frames += drop;
    skip = static_cast<std::size_t>(drop);
    pos += drop;
    frames -= drop;
  }
  if (frames == 0) return {};
  if (pos - position_ > config_.max_ahead_frames) {
    return make_error(ErrorCode::kInvalidArgument,
                      "mixer: input {} at sample {} is {} frames ahead of the mix (at most {})", input, pos,
                      pos - position_, config_.max_ahead_frames);
  }
  if (in.fifo.empty()) {
    in.start = pos;
  } else if (pos > end) {
    in.fifo.append_silence(static_cast<std::size_t>(pos - end));  // a hole inside the input
  }
  in.fifo.append(samples.data() + skip * channels, static_cast<std::size_t>(frames));
  return {};
}

Result<void> Mixer::push(int input, const AudioFrame& frame) {
  STREAMLIB_RETURN_IF_ERROR(check_input(input));
  if (!frame) return make_error(ErrorCode::kInvalidArgument, "mixer: empty frame on input {}", input);
  if (frame.channels() != config_.channels || frame.sample_rate() != config_.sample_rate) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: input {} must be {} Hz {} ch, got {} Hz {} ch", input,
                      config_.sample_rate, config_.channels, frame.sample_rate(), frame.channels());
  }
  if (!timeline_.anchored()) timeline_.anchor(frame.sample_position(), frame.timestamp_ns());
  return push(input, frame.sample_position(), frame.samples());
}

bool Mixer::ready() const {
  if (!started_) return false;
  const auto block_end = position_ + static_cast<std::int64_t>(config_.frames_per_block);
  for (const auto& in : inputs_) {
    if (in.fifo.empty() || in.start > position_ || in.start + static_cast<std::int64_t>(in.fifo.frames()) < block_end) {
      return false;
    }
  }
  return true;
}

std::int64_t Mixer::buffered_frames(int input) const {
  const Input& in = inputs_[static_cast<std::size_t>(input)];
  if (in.fifo.empty()) return 0;
  return in.start + static_cast<std::int64_t>(in.fifo.frames()) - std::max(in.start, position_);
}

Result<std::int64_t> Mixer::mix(std::span<float> out) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  const std::size_t block = config_.frames_per_block;
  if (out.size() < block * channels) {
    return make_error(ErrorCode::kInvalidArgument, "mixer: room for {} samples, a block is {}", out.size(),
                      block * channels);
  }
  std::fill_n(out.data(), block * channels, 0.0f);
  const std::int64_t block_start = position_;
  const std::int64_t block_end = block_start + static_cast<std::int64_t>(block);
  for (auto& in : inputs_) {
    std::int64_t covered = 0;
    if (!in.fifo.empty()) {
      const std::int64_t from = std::max(in.start, block_start);
      const std::int64_t to = std::min(in.start + static_cast<std::int64_t>(in.fifo.frames()), block_end);
      if (to > from) {
        covered = to - from;
        const float* src = in.fifo.data() + static_cast<std::size_t>(from - in.start) * channels;
        float* dst = out.data() + static_cast<std::size_t>(from - block_start) * channels;
        const auto n = static_cast<std::size_t>(covered) * channels;
        for (std::size_t s = 0; s < n; ++s) dst[s] += src[s];
      }
      drop_before(in, block_end);
    }
    if (covered < static_cast<std::int64_t>(block)) {
      ++in.stats.starved_blocks;
      in.stats.missing_frames += static_cast<std::int64_t>(block) - covered;
    }
  }
  const std::size_t n = block * channels;
  switch (config_.mode) {
    case MixMode::kSum:
      break;
    case MixMode::kNormalized: {
      const float scale = 1.0f / static_cast<float>(config_.inputs);
      for (std::size_t s = 0; s < n; ++s) out[s] *= scale;
      break;
    }
    case MixMode::kSoftClip:
      for (std::size_t s = 0; s < n; ++s) out[s] = soft_clip(out[s], config_.soft_clip_knee);
      break;
  }
  started_ = true;
  position_ = block_end;
  return block_start;
}

Result<AudioFrame> Mixer::mix() {
  WritableAudioFrame w = pool_.acquire(config_.channels, config_.sample_rate, config_.frames_per_block);
  STREAMLIB_ASSIGN_OR_RETURN(const std::int64_t position, mix(w.samples()));
  w.set_sample_position(position);
  w.set_timestamp_ns(timeline_.anchored() ? timeline_.ns_at(position, config_.sample_rate) : 0);
  w.set_frame_number(frame_number_++);
  return std::move(w).freeze();
}

}  // namespace streamlib::dsp
