#include "ffmpeg_common/resampler.h"

#include <cstring>
#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/swr_setup.h"

namespace streamlib::ffmpeg {

Result<void> ResamplerOptions::validate() const {
  if (sample_rate < 1000 || sample_rate > 768000) {
    return make_error(ErrorCode::kInvalidArgument, "sample_rate: {} is out of range (1000..768000)", sample_rate);
  }
  if (channels < 1 || channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channels: {} is out of range (1..{})", channels, kMaxAudioChannels);
  }
  return {};
}

struct Resampler::Impl {
  ResamplerOptions options;
  AudioFramePool pool;
  SwrPtr swr;
  int in_rate = 0;
  int in_channels = 0;
  // Timing of the current segment.
  bool started = false;
  std::int64_t next_in_position = 0;  // sample_position the next input should have
  std::int64_t base_ns = 0;           // timestamp of output sample 0 of the segment
  std::int64_t base_position = 0;     // its sample_position at the output rate
  std::int64_t produced = 0;          // output samples of the segment so far
  std::uint64_t frame_number = 0;
  std::vector<float> scratch;

  void drop() {
    swr.reset();
    started = false;
  }

  // Wraps `count` samples of `scratch` as the next output block.
  AudioFrame emit(int count, const FrameMetadata* metadata) {
    WritableAudioFrame w = pool.acquire(options.channels, options.sample_rate, static_cast<std::size_t>(count));
    std::memcpy(w.samples().data(), scratch.data(), w.samples().size_bytes());
    w.set_sample_position(base_position + produced);
    w.set_timestamp_ns(base_ns + samples_to_ns(produced, options.sample_rate));
    w.set_frame_number(frame_number++);
    if (metadata != nullptr) w.metadata() = *metadata;
    produced += count;
    return std::move(w).freeze();
  }
};

Resampler::Resampler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;
Resampler::~Resampler() = default;

Result<Resampler> Resampler::create(ResamplerOptions options) {
  ensure_initialized();
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  auto impl = std::make_unique<Impl>();
  impl->pool.set_max_in_flight(options.max_in_flight);
  impl->options = std::move(options);
  return Resampler(std::move(impl));
}

Result<void> Resampler::reconfigure(ResamplerOptions options) {
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  impl_->drop();
  impl_->pool.set_max_in_flight(options.max_in_flight);
  impl_->options = std::move(options);
  return {};
}

const ResamplerOptions& Resampler::options() const { return impl_->options; }
AudioFramePool& Resampler::pool() { return impl_->pool; }
void Resampler::reset() { impl_->drop(); }

std::int64_t Resampler::buffered_samples() const {
  return impl_->swr ? swr_get_delay(impl_->swr.get(), impl_->options.sample_rate) : 0;
}

Result<AudioFrame> Resampler::process(const AudioFrame& in) {
  Impl& s = *impl_;
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot resample an empty audio frame");
  const bool same_format = in.sample_rate() == s.in_rate && in.channels() == s.in_channels;
  if (s.started && (!same_format || in.sample_position() != s.next_in_position)) s.drop();  // new segment
  if (!s.swr && in.sample_rate() == s.options.sample_rate && in.channels() == s.options.channels) {
    return in;  // already what is asked for
  }
  if (!s.swr) {
    const AVChannelLayout layout = detail::default_layout(in.channels());
    STREAMLIB_ASSIGN_OR_RETURN(s.swr, detail::make_swr(layout, AV_SAMPLE_FMT_FLT, in.sample_rate(), s.options.channels,
                                                       AV_SAMPLE_FMT_FLT, s.options.sample_rate, s.options.quality));
    s.in_rate = in.sample_rate();
    s.in_channels = in.channels();
  }
  if (!s.started) {
    s.started = true;
    s.base_ns = in.timestamp_ns();
    s.base_position = av_rescale(in.sample_position(), s.options.sample_rate, in.sample_rate());
    s.produced = 0;
  }
  s.next_in_position = in.sample_position() + static_cast<std::int64_t>(in.frame_count());

  const int in_count = static_cast<int>(in.frame_count());
  const int max_out = swr_get_out_samples(s.swr.get(), in_count);
  if (max_out < 0) return make_error(av_error(max_out, "swresample"));
  s.scratch.resize(static_cast<std::size_t>(max_out) * static_cast<std::size_t>(s.options.channels));
  auto* out_ptr = reinterpret_cast<std::uint8_t*>(s.scratch.data());
  const auto* in_ptr = reinterpret_cast<const std::uint8_t*>(in.samples().data());
  const int got = swr_convert(s.swr.get(), &out_ptr, max_out, &in_ptr, in_count);
  if (got < 0) return make_error(av_error(got, "swresample"));
  if (got == 0) return AudioFrame{};
  return s.emit(got, &in.metadata());
}

Result<AudioFrame> Resampler::flush() {
  Impl& s = *impl_;
  if (!s.swr || !s.started) {
    s.drop();
    return AudioFrame{};
  }
  const int max_out = swr_get_out_samples(s.swr.get(), 0);
  AudioFrame out;
  if (max_out > 0) {
    s.scratch.resize(static_cast<std::size_t>(max_out) * static_cast<std::size_t>(s.options.channels));
    auto* out_ptr = reinterpret_cast<std::uint8_t*>(s.scratch.data());
    const int got = swr_convert(s.swr.get(), &out_ptr, max_out, nullptr, 0);
    if (got < 0) return make_error(av_error(got, "swresample"));
    if (got > 0) out = s.emit(got, nullptr);
  }
  s.drop();
  return out;
}

}  // namespace streamlib::ffmpeg
