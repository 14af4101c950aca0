#include "lv2_host/effect.h"

#include <algorithm>

namespace streamlib::lv2 {

std::string_view to_string(ChannelMapping mapping) {
  switch (mapping) {
    case ChannelMapping::kDirect:
      return "direct";
    case ChannelMapping::kPerChannel:
      return "per_channel";
    case ChannelMapping::kSpread:
      break;
  }
  return "spread";
}

Result<std::unique_ptr<Effect>> Effect::create(std::string_view uri, const EffectOptions& options) {
  if (options.channels < 1 || options.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channels must be 1..{}, got {}", kMaxAudioChannels,
                      options.channels);
  }
  const InstanceOptions instance_options{
      .sample_rate = options.sample_rate, .max_block = options.max_block, .log = options.log};
  STREAMLIB_ASSIGN_OR_RETURN(std::unique_ptr<Instance> first, Instance::create(uri, instance_options));
  const std::size_t ins = first->audio_input_count();
  const std::size_t outs = first->audio_output_count();
  if (outs == 0) {
    return make_error(ErrorCode::kUnsupported, "LV2 plugin {} has no audio output, so it cannot be an audio effect",
                      first->info().uri);
  }
  const auto c = static_cast<std::size_t>(options.channels);

  std::unique_ptr<Effect> fx(new Effect());
  fx->channels_ = options.channels;
  fx->sample_rate_ = options.sample_rate;
  fx->block_ = first->fixed_block().value_or(first->max_block());
  fx->fixed_ = first->fixed_block().has_value();
  if (ins == c && outs == c) {
    fx->mapping_ = ChannelMapping::kDirect;
  } else if (ins == 1 && outs == 1) {
    fx->mapping_ = ChannelMapping::kPerChannel;
  } else {
    fx->mapping_ = ChannelMapping::kSpread;
  }
  fx->instances_.push_back(std::move(first));
  if (fx->mapping_ == ChannelMapping::kPerChannel) {
    for (std::size_t i = 1; i < c; ++i) {
      STREAMLIB_ASSIGN_OR_RETURN(std::unique_ptr<Instance> more, Instance::create(uri, instance_options));
      fx->instances_.push_back(std::move(more));
    }
  }
  if (fx->fixed_) {
    fx->fifo_in_.assign(static_cast<std::size_t>(fx->block_) * c, 0.0f);
    fx->fifo_out_.assign(static_cast<std::size_t>(fx->block_) * c, 0.0f);
  }
  return fx;
}

Result<float> Effect::set_control(std::string_view symbol, float value) {
  float applied = value;
  for (auto& instance : instances_) {
    STREAMLIB_ASSIGN_OR_RETURN(applied, instance->set_control(symbol, value));
  }
  return applied;
}

Result<float> Effect::control(std::string_view symbol) const { return instances_.front()->control(symbol); }

Result<float> Effect::control_output(std::string_view symbol) const {
  return instances_.front()->control_output(symbol);
}

std::uint32_t Effect::latency() const { return (fixed_ ? block_ : 0) + instances_.front()->latency(); }

void Effect::activate() {
  std::fill(fifo_in_.begin(), fifo_in_.end(), 0.0f);
  std::fill(fifo_out_.begin(), fifo_out_.end(), 0.0f);
  fifo_pos_ = 0;
  for (auto& instance : instances_) instance->activate();
}

void Effect::deactivate() {
  for (auto& instance : instances_) instance->deactivate();
}

Result<void> Effect::run_block(const float* in, float* out, std::uint32_t n) {
  const auto c = static_cast<std::size_t>(channels_);
  if (mapping_ == ChannelMapping::kPerChannel) {
    // Channel by channel: writing channel ch only overwrites samples already read.
    for (std::size_t ch = 0; ch < c; ++ch) {
      Instance& inst = *instances_[ch];
      float* dst = inst.audio_input(0).data();
      for (std::uint32_t f = 0; f < n; ++f) dst[f] = in[f * c + ch];
      STREAMLIB_RETURN_IF_ERROR(inst.run(n));
      const float* src = inst.audio_output(0).data();
      for (std::uint32_t f = 0; f < n; ++f) out[f * c + ch] = src[f];
    }
    return {};
  }
  Instance& inst = *instances_.front();
  for (std::size_t port = 0; port < inst.audio_input_count(); ++port) {
    float* dst = inst.audio_input(port).data();
    const std::size_t ch = port % c;
    for (std::uint32_t f = 0; f < n; ++f) dst[f] = in[f * c + ch];
  }
  STREAMLIB_RETURN_IF_ERROR(inst.run(n));
  const std::size_t outs = inst.audio_output_count();
  for (std::size_t ch = 0; ch < c; ++ch) {
    const float* src = inst.audio_output(ch % outs).data();
    for (std::uint32_t f = 0; f < n; ++f) out[f * c + ch] = src[f];
  }
  return {};
}

Result<void> Effect::process(std::span<const float> in, std::span<float> out) {
  const auto c = static_cast<std::size_t>(channels_);
  if (in.size() != out.size() || in.size() % c != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "interleaved buffers must be the same size and a multiple of {} channels (in {}, out {})", c,
                      in.size(), out.size());
  }
  const std::size_t frames = in.size() / c;
  std::size_t done = 0;
  while (done < frames) {
    if (!fixed_) {
      const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(frames - done, block_));
      STREAMLIB_RETURN_IF_ERROR(run_block(in.data() + done * c, out.data() + done * c, n));
      done += n;
      continue;
    }
    // Fixed blocks: take input into the FIFO, hand out the block processed before.
    const std::size_t n = std::min<std::size_t>(frames - done, block_ - fifo_pos_);
    std::copy_n(in.data() + done * c, n * c, fifo_in_.data() + fifo_pos_ * c);
    std::copy_n(fifo_out_.data() + fifo_pos_ * c, n * c, out.data() + done * c);
    fifo_pos_ += static_cast<std::uint32_t>(n);
    done += n;
    if (fifo_pos_ == block_) {
      STREAMLIB_RETURN_IF_ERROR(run_block(fifo_in_.data(), fifo_out_.data(), block_));
      fifo_pos_ = 0;
    }
  }
  return {};
}

Result<AudioFrame> Effect::process(const AudioFrame& in, AudioFramePool& pool) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "empty audio frame");
  if (in.channels() != channels_) {
    return make_error(ErrorCode::kInvalidArgument, "{} is set up for {} channels, the frame has {}", info().uri,
                      channels_, in.channels());
  }
  if (static_cast<double>(in.sample_rate()) != sample_rate_) {
    return make_error(ErrorCode::kInvalidArgument, "{} runs at {} Hz, the frame is at {} Hz", info().uri, sample_rate_,
                      in.sample_rate());
  }
  WritableAudioFrame w = pool.acquire(in.channels(), in.sample_rate(), in.frame_count());
  STREAMLIB_RETURN_IF_ERROR(process(in.samples(), w.samples()));
  w.set_timestamp_ns(in.timestamp_ns());
  w.set_sample_position(in.sample_position());
  w.set_frame_number(in.frame_number());
  for (const auto& [key, value] : in.metadata().entries()) w.metadata().set(key, value);
  return std::move(w).freeze();
}

}  // namespace streamlib::lv2
