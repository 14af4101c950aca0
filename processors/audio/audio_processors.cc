#include "audio/audio_processors.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace streamlib {

// --- AudioResampler ------------------------------------------------------------------------

Result<void> AudioResampler::process() {
  // Stops at the first frame that fails: the frames after it stay queued on the link.
  auto drained = in.drain([&](AudioFrame&& frame) -> Result<void> {
    if (frame.sample_rate() == config().sample_rate && !resampler_) {
      out.push(std::move(frame));  // already at the rate: passed on untouched
      return {};
    }
    if (resampler_ &&
        (resampler_->config().in_rate != frame.sample_rate() || resampler_->config().channels != frame.channels())) {
      // The input's shape changed: the old filter's tail, then a new one.
      STREAMLIB_RETURN_IF_ERROR(flush());
    }
    if (!resampler_) {
      auto made = dsp::Resampler::create({.in_rate = frame.sample_rate(),
                                          .out_rate = config().sample_rate,
                                          .channels = frame.channels(),
                                          .quality = config().quality});
      if (!made) return make_error(made.error().with_context("AudioResampler"));
      resampler_ = std::move(*made);
    }
    auto converted = resampler_->process(frame);
    if (!converted) return make_error(converted.error().with_context("AudioResampler: in"));
    if (*converted) out.push(std::move(**converted));
    gap_frames_.store(resampler_->gap_frames(), std::memory_order_relaxed);
    return {};
  });
  if (!drained) return make_error(std::move(drained).error());
  return {};
}

Result<void> AudioResampler::flush() {
  if (!resampler_) return {};
  auto tail = resampler_->flush();
  resampler_.reset();
  if (!tail) return make_error(tail.error().with_context("AudioResampler"));
  if (*tail) out.push(std::move(**tail));
  return {};
}

Result<void> AudioResampler::finish() { return flush(); }

Result<void> AudioResampler::on_config_change(const AudioResamplerConfig& next) {
  if (next.sample_rate != config().sample_rate || next.quality != config().quality) return flush();
  return {};
}

nlohmann::json AudioResampler::metrics() const { return {{"gap_frames", gap_frames_.load(std::memory_order_relaxed)}}; }

// --- AudioChannelConverter -------------------------------------------------------------------

Result<void> AudioChannelConverter::process() {
  // Stops at the first frame that fails: the frames after it stay queued on the link.
  auto drained = in.drain([&](AudioFrame&& frame) -> Result<void> {
    if (converter_ && converter_->in_channels() != frame.channels()) converter_.reset();
    if (!converter_) {
      const auto& c = config();
      auto made = dsp::ChannelConverter::create({.in_channels = frame.channels(),
                                                 .out_channels = c.channels,
                                                 .sample_rate = frame.sample_rate(),
                                                 .mode = c.mode,
                                                 .upmix = c.upmix,
                                                 .lfe_gain = c.lfe_gain,
                                                 .normalize = c.normalize});
      if (!made) return make_error(made.error().with_context("AudioChannelConverter"));
      converter_ = std::move(*made);
    }
    if (frame.channels() == config().channels && config().mode == dsp::ChannelMode::kAuto) {
      out.push(std::move(frame));  // identity: passed on untouched
      return {};
    }
    auto converted = converter_->process(frame);
    if (!converted) {
      // A rate change: the helper checks the rate it was made for; make it again.
      converter_.reset();
      return make_error(converted.error().with_context("AudioChannelConverter: in"));
    }
    out.push(std::move(*converted));
    return {};
  });
  if (!drained) return make_error(std::move(drained).error());
  return {};
}

Result<void> AudioChannelConverter::on_config_change(const AudioChannelConverterConfig&) {
  converter_.reset();  // remade with the new matrix at the next frame
  return {};
}

// --- BufferRechunker -------------------------------------------------------------------------

Result<void> BufferRechunker::process() {
  Result<void> status;
  in.drain([&](AudioFrame&& frame) {
    if (!status) return;
    if (rechunker_ && (rechunker_->config().channels != frame.channels() ||
                       rechunker_->config().sample_rate != frame.sample_rate())) {
      flush_all(dsp::FlushMode::kShort);  // mid-stream: nothing added, nothing lost
    }
    if (!rechunker_) {
      auto made = dsp::Rechunker::create({.channels = frame.channels(),
                                          .sample_rate = frame.sample_rate(),
                                          .frames_per_buffer = config().frames_per_buffer,
                                          .flush = config().flush});
      if (!made) {
        status = make_error(made.error().with_context("BufferRechunker"));
        return;
      }
      rechunker_ = std::move(*made);
    }
    if (auto r = rechunker_->push(frame); !r) {
      status = make_error(r.error().with_context("BufferRechunker: in"));
      return;
    }
    while (auto block = rechunker_->pop()) out.push(std::move(*block));
    gap_frames_.store(rechunker_->gap_frames(), std::memory_order_relaxed);
  });
  return status;
}

void BufferRechunker::flush_all(dsp::FlushMode mode) {
  if (!rechunker_) return;
  rechunker_->set_flush_mode(mode);
  while (auto block = rechunker_->flush()) out.push(std::move(*block));
  rechunker_.reset();
}

Result<void> BufferRechunker::finish() {
  flush_all(config().flush);
  return {};
}

Result<void> BufferRechunker::on_config_change(const BufferRechunkerConfig& next) {
  // Mid-stream the remainder goes out as a short block: padding here would put silence in the
  // middle of the stream, over samples still to come. `flush` applies at the end of the stream.
  if (next.frames_per_buffer != config().frames_per_buffer) {
    flush_all(dsp::FlushMode::kShort);
  } else if (rechunker_) {
    rechunker_->set_flush_mode(next.flush);
  }
  return {};
}

nlohmann::json BufferRechunker::metrics() const {
  return {{"gap_frames", gap_frames_.load(std::memory_order_relaxed)}};
}

// --- Gain ------------------------------------------------------------------------------------

Result<void> Gain::process() {
  Result<void> status;
  in.drain([&](AudioFrame&& frame) {
    if (!status) return;
    if (gain_ && (gain_->config().channels != frame.channels() || gain_->config().sample_rate != frame.sample_rate())) {
      // A new shape: keep the level reached (the target), start from it without a ramp.
      const float db = gain_->gain_db();
      gain_.reset();
      auto made = dsp::Gain::create({.channels = frame.channels(),
                                     .sample_rate = frame.sample_rate(),
                                     .gain_db = db,
                                     .ramp_ms = config().ramp_ms});
      if (!made) {
        status = make_error(made.error().with_context("Gain"));
        return;
      }
      gain_ = std::move(*made);
    }
    if (!gain_) {
      auto made = dsp::Gain::create({.channels = frame.channels(),
                                     .sample_rate = frame.sample_rate(),
                                     .gain_db = config().gain_db,
                                     .ramp_ms = config().ramp_ms});
      if (!made) {
        status = make_error(made.error().with_context("Gain"));
        return;
      }
      gain_ = std::move(*made);
    }
    auto scaled = gain_->process(frame);
    if (!scaled) {
      status = make_error(scaled.error().with_context("Gain: in"));
      return;
    }
    out.push(std::move(*scaled));
  });
  return status;
}

Result<void> Gain::on_config_change(const GainConfig& next) {
  if (gain_ && next.ramp_ms != config().ramp_ms) {
    // The ramp length is fixed at creation: remake at the current level, then ramp to the new one.
    const float reached = gain_->gain_db();
    auto made = dsp::Gain::create({.channels = gain_->config().channels,
                                   .sample_rate = gain_->config().sample_rate,
                                   .gain_db = reached,
                                   .ramp_ms = next.ramp_ms});
    if (!made) return make_error(made.error().with_context("Gain"));
    gain_ = std::move(*made);
  }
  if (gain_) gain_->set_gain_db(next.gain_db);
  return {};
}

// --- AudioMixer ------------------------------------------------------------------------------

Result<void> AudioMixer::declare_ports() {
  for (std::uint32_t i = 0; i < config().inputs; ++i) {
    add_input<AudioFrame>(fmt::format("in_{}", i), "one input of the mix");
  }
  return {};
}

Reactive AudioMixer::synchronization() const {
  return Reactive{.inputs = InputsReady::kSynchronized, .timeout = std::chrono::milliseconds(config().timeout_ms)};
}

AggregateSpan AudioMixer::span(const AudioFrame& frame) const {
  return {frame.sample_position(), frame.sample_position() + static_cast<std::int64_t>(frame.frame_count())};
}

Result<void> AudioMixer::on_arrival(const InputPortBase& port, const AudioFrame& frame) {
  if (!mixer_) {
    auto made = dsp::Mixer::create({.inputs = static_cast<int>(config().inputs),
                                    .channels = frame.channels(),
                                    .sample_rate = frame.sample_rate(),
                                    .frames_per_block = config().frames_per_buffer,
                                    .mode = config().mode,
                                    .soft_clip_knee = config().soft_clip_knee});
    if (!made) return make_error(made.error().with_context("AudioMixer"));
    mixer_ = std::move(*made);
    rate_ = frame.sample_rate();
    channels_ = frame.channels();
  }
  if (frame.sample_rate() != rate_) {
    return make_error(ErrorCode::kInvalidArgument,
                      "AudioMixer: input {} carries {} Hz audio but the mix runs at {} Hz (the rate of the first "
                      "frame); put an AudioResampler before {}",
                      port.name(), frame.sample_rate(), rate_, port.name());
  }
  if (frame.channels() != channels_) {
    return make_error(ErrorCode::kInvalidArgument,
                      "AudioMixer: input {} carries {} channels but the mix has {} (the first frame's); put an "
                      "AudioChannelConverter before {}",
                      port.name(), frame.channels(), channels_, port.name());
  }
  return {};
}

Result<void> AudioMixer::aggregate(const AggregateInterval& interval, std::span<AggregatorInput<AudioFrame>> inputs) {
  if (!mixer_) return {};  // made at the first frame taken; none yet
  // The mix is at the interval (a no-op but for the first block, which starts at the earliest
  // frame of any input, not at whichever input is pushed first).
  mixer_->set_position(interval.start);
  for (AggregatorInput<AudioFrame>& in : inputs) {
    for (const AudioFrame& frame : in.messages) {
      if (auto r = mixer_->push(static_cast<int>(in.index), frame); !r) {
        return make_error(r.error().with_context(fmt::format("AudioMixer: {}", in.port->name())));
      }
    }
  }
  auto mixed = mixer_->mix();
  if (!mixed) return make_error(mixed.error().with_context("AudioMixer"));
  out.push(std::move(*mixed));
  publish_stats();
  return {};
}

Result<void> AudioMixer::on_end() {
  if (!mixer_) return {};
  for (;;) {
    bool left = false;
    for (int i = 0; i < mixer_->config().inputs; ++i) left = left || mixer_->buffered_frames(i) > 0;
    if (!left) break;
    auto mixed = mixer_->mix();
    if (!mixed) return make_error(mixed.error().with_context("AudioMixer"));
    out.push(std::move(*mixed));
  }
  publish_stats();
  return {};
}

void AudioMixer::publish_stats() {
  if (!mixer_) return;
  for (int i = 0; i < mixer_->config().inputs && i < static_cast<int>(kMaxInputs); ++i) {
    const dsp::MixerInputStats s = mixer_->input_stats(i);
    starved_[static_cast<std::size_t>(i)].store(s.starved_blocks, std::memory_order_relaxed);
    missing_[static_cast<std::size_t>(i)].store(s.missing_frames, std::memory_order_relaxed);
    late_[static_cast<std::size_t>(i)].store(s.late_frames, std::memory_order_relaxed);
  }
}

Result<void> AudioMixer::on_config_change(const AudioMixerConfig& next) {
  if (!mixer_) return {};  // made at the first frame, from the config then in force
  // Between two blocks, on the running mix: no drain, no gap, the timeline goes on. The
  // aggregator sees the new inputs at its next call and times their wait from then.
  auto fail = [](const Error& e) { return make_error(e.with_context("AudioMixer")); };
  if (auto r = mixer_->set_mode(next.mode, next.soft_clip_knee); !r) return fail(r.error());
  if (auto r = mixer_->set_frames_per_block(next.frames_per_buffer); !r) return fail(r.error());
  if (next.inputs != config().inputs) {
    if (auto r = mixer_->set_inputs(static_cast<int>(next.inputs)); !r) return fail(r.error());
  }
  return {};
}

std::uint64_t AudioMixer::starved_blocks(std::size_t input) const {
  return input < kMaxInputs ? starved_[input].load(std::memory_order_relaxed) : 0;
}

nlohmann::json AudioMixer::metrics() const {
  nlohmann::json starved = nlohmann::json::array();
  nlohmann::json missing = nlohmann::json::array();
  nlohmann::json late = nlohmann::json::array();
  const std::size_t n = std::min<std::size_t>(config().inputs, kMaxInputs);
  for (std::size_t i = 0; i < n; ++i) {
    starved.push_back(starved_[i].load(std::memory_order_relaxed));
    missing.push_back(missing_[i].load(std::memory_order_relaxed));
    late.push_back(late_[i].load(std::memory_order_relaxed));
  }
  return {{"starved_blocks", starved}, {"missing_frames", missing}, {"late_frames", late}};
}

}  // namespace streamlib
