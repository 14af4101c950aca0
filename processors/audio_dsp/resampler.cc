#include "audio_dsp/resampler.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <array>
#include <cstring>

namespace streamlib::dsp {

namespace {
std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}
constexpr std::size_t kSilenceFrames = 1024;
}  // namespace

Result<std::unique_ptr<Resampler>> Resampler::create(const ResamplerConfig& config) {
  if (config.in_rate <= 0 || config.in_rate > 768000 || config.out_rate <= 0 || config.out_rate > 768000) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: rates must be 1..768000 Hz, got {} -> {}",
                      config.in_rate, config.out_rate);
  }
  if (config.channels < 1 || config.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: channels must be 1..{}, got {}", kMaxAudioChannels,
                      config.channels);
  }
  if (config.max_gap_frames < 0) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: max_gap_frames must not be negative");
  }
  std::unique_ptr<Resampler> r(new Resampler());
  r->config_ = config;
  STREAMLIB_RETURN_IF_ERROR(r->init());
  return r;
}

Resampler::~Resampler() { swr_free(&swr_); }

Result<void> Resampler::init() {
  swr_free(&swr_);
  AVChannelLayout layout;
  av_channel_layout_default(&layout, config_.channels);
  int rc = swr_alloc_set_opts2(&swr_, &layout, AV_SAMPLE_FMT_FLT, config_.out_rate, &layout, AV_SAMPLE_FMT_FLT,
                               config_.in_rate, 0, nullptr);
  av_channel_layout_uninit(&layout);
  if (rc < 0 || swr_ == nullptr) {
    return make_error(ErrorCode::kInternal, "resampler: swr_alloc_set_opts2 failed: {}", av_error(rc));
  }
  switch (config_.quality) {
    case ResampleQuality::kFast:
      av_opt_set_int(swr_, "filter_size", 16, 0);
      av_opt_set_int(swr_, "phase_shift", 8, 0);
      av_opt_set_int(swr_, "linear_interp", 1, 0);
      break;
    case ResampleQuality::kMedium:
      break;  // defaults: filter_size 32, phase_shift 10
    case ResampleQuality::kHigh:
      av_opt_set_int(swr_, "filter_size", 64, 0);
      av_opt_set_int(swr_, "phase_shift", 12, 0);
      av_opt_set_int(swr_, "linear_interp", 1, 0);
      av_opt_set_double(swr_, "cutoff", 0.97, 0);
      break;
  }
  rc = swr_init(swr_);
  if (rc < 0) return make_error(ErrorCode::kInternal, "resampler: swr_init failed: {}", av_error(rc));
  return {};
}

void Resampler::reset() {
  // A fresh context is the only complete reset libswresample offers; init() cannot fail for a
  // config that worked once.
  (void)init();
  timeline_.clear();
  out_produced_ = 0;
  scratch_frames_ = 0;
}

std::size_t Resampler::max_output_frames(std::size_t in_frames) const {
  const int n = swr_get_out_samples(swr_, static_cast<int>(in_frames));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::int64_t Resampler::delay_frames() const { return swr_get_delay(swr_, config_.out_rate); }

Result<std::size_t> Resampler::convert(const float* in, std::size_t in_frames, std::span<float> out) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  std::array<const std::uint8_t*, 1> in_planes{reinterpret_cast<const std::uint8_t*>(in)};  // NOLINT
  std::array<std::uint8_t*, 1> out_planes{reinterpret_cast<std::uint8_t*>(out.data())};     // NOLINT
  const int rc = swr_convert(swr_, out_planes.data(), static_cast<int>(out.size() / channels),
                             in == nullptr ? nullptr : in_planes.data(), static_cast<int>(in_frames));
  if (rc < 0) return make_error(ErrorCode::kInternal, "resampler: swr_convert failed: {}", av_error(rc));
  return static_cast<std::size_t>(rc);
}

Result<std::size_t> Resampler::process(std::span<const float> in, std::span<float> out) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  if (in.size() % channels != 0) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: {} samples are not whole {}-channel frames", in.size(),
                      channels);
  }
  const std::size_t frames = in.size() / channels;
  if (out.size() < max_output_frames(frames) * channels) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: output room for {} frames, {} may come",
                      out.size() / channels, max_output_frames(frames));
  }
  return convert(in.data(), frames, out);
}

Result<std::size_t> Resampler::flush(std::span<float> out) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  std::size_t total = 0;
  // Drain until libswresample has nothing left (it may need more than one call).
  for (;;) {
    if (out.size() / channels == total) break;
    STREAMLIB_ASSIGN_OR_RETURN(const std::size_t n, convert(nullptr, 0, out.subspan(total * channels)));
    if (n == 0) break;
    total += n;
  }
  STREAMLIB_RETURN_IF_ERROR(init());
  return total;
}

Result<void> Resampler::feed(const float* in, std::size_t frames) {
  const auto channels = static_cast<std::size_t>(config_.channels);
  const std::size_t room = max_output_frames(frames);
  const std::size_t need = (scratch_frames_ + room) * channels;
  if (scratch_.size() < need) scratch_.resize(need);
  STREAMLIB_ASSIGN_OR_RETURN(const std::size_t n,
                             convert(in, frames, std::span<float>(scratch_).subspan(scratch_frames_ * channels)));
  scratch_frames_ += n;
  return {};
}

Result<std::optional<AudioFrame>> Resampler::emit(std::size_t frames) {
  if (frames == 0) return std::optional<AudioFrame>();
  const auto channels = static_cast<std::size_t>(config_.channels);
  WritableAudioFrame w = pool_.acquire(config_.channels, config_.out_rate, frames);
  std::memcpy(w.samples().data(), scratch_.data(), frames * channels * sizeof(float));
  const std::int64_t position = out_start_position_ + out_produced_;
  w.set_sample_position(position);
  w.set_timestamp_ns(timeline_.anchor_ns() + frames_to_ns(out_produced_, config_.out_rate));
  w.set_frame_number(frame_number_++);
  out_produced_ += static_cast<std::int64_t>(frames);
  scratch_frames_ = 0;
  return std::optional<AudioFrame>(std::move(w).freeze());
}

Result<std::optional<AudioFrame>> Resampler::process(const AudioFrame& in) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "resampler: empty frame");
  if (in.sample_rate() != config_.in_rate || in.channels() != config_.channels) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: expects {} Hz {} ch, got {} Hz {} ch", config_.in_rate,
                      config_.channels, in.sample_rate(), in.channels());
  }
  if (!timeline_.anchored()) {
    timeline_.anchor(in.sample_position(), in.timestamp_ns());
    next_in_position_ = in.sample_position();
    out_start_position_ = rescale_position(in.sample_position(), config_.in_rate, config_.out_rate);
    out_produced_ = 0;
  }
  const std::int64_t gap = in.sample_position() - next_in_position_;
  if (gap < 0 || gap > config_.max_gap_frames) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resampler: input at sample {} but {} expected ({}); flush() and reset() at a seek",
                      in.sample_position(), next_in_position_, gap < 0 ? "overlap" : "gap too large");
  }
  if (gap > 0) {
    static const std::vector<float> silence(kSilenceFrames * kMaxAudioChannels, 0.0f);
    for (std::int64_t left = gap; left > 0;) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(left, kSilenceFrames));
      STREAMLIB_RETURN_IF_ERROR(feed(silence.data(), n));
      left -= static_cast<std::int64_t>(n);
    }
    gap_frames_ += gap;
  }
  STREAMLIB_RETURN_IF_ERROR(feed(in.samples().data(), in.frame_count()));
  next_in_position_ = in.sample_position() + static_cast<std::int64_t>(in.frame_count());
  return emit(scratch_frames_);
}

Result<std::optional<AudioFrame>> Resampler::flush() {
  if (!timeline_.anchored()) return std::optional<AudioFrame>();
  const auto channels = static_cast<std::size_t>(config_.channels);
  const std::size_t room = max_output_frames(0) + 64;
  if (scratch_.size() < room * channels) scratch_.resize(room * channels);
  STREAMLIB_ASSIGN_OR_RETURN(const std::size_t n, flush(std::span<float>(scratch_).first(room * channels)));
  scratch_frames_ = n;
  auto out = emit(n);
  timeline_.clear();
  return out;
}

}  // namespace streamlib::dsp
