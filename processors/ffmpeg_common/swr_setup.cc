#include "ffmpeg_common/swr_setup.h"

#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"

namespace streamlib::ffmpeg::detail {

AVChannelLayout default_layout(int channels) {
  AVChannelLayout layout{};
  av_channel_layout_default(&layout, channels);
  return layout;
}

namespace {
Result<void> apply_quality(SwrContext* swr, ResampleQuality quality, bool soxr) {
  switch (quality) {
    case ResampleQuality::kFast:
      av_opt_set_int(swr, "filter_size", 8, 0);
      av_opt_set_int(swr, "phase_shift", 6, 0);
      break;
    case ResampleQuality::kDefault:
      break;
    case ResampleQuality::kHigh:
      if (soxr) {
        if (av_opt_set(swr, "resampler", "soxr", 0) < 0) return make_error(ErrorCode::kUnsupported, "no soxr");
        av_opt_set_int(swr, "precision", 28, 0);
      } else {
        av_opt_set_int(swr, "filter_size", 64, 0);
        av_opt_set_int(swr, "phase_shift", 12, 0);
        av_opt_set_double(swr, "cutoff", 0.97, 0);
      }
      break;
  }
  return {};
}

Result<SwrPtr> try_make(const AVChannelLayout& in_layout, AVSampleFormat in_format, int in_rate, int out_channels,
                        AVSampleFormat out_format, int out_rate, ResampleQuality quality, bool soxr) {
  AVChannelLayout in = in_layout;
  if (in.order == AV_CHANNEL_ORDER_UNSPEC) in = default_layout(in_layout.nb_channels);
  AVChannelLayout out = default_layout(out_channels);
  SwrContext* raw = nullptr;
  clear_last_log_error();
  int ret = swr_alloc_set_opts2(&raw, &out, out_format, out_rate, &in, in_format, in_rate, 0, nullptr);
  SwrPtr swr(raw);
  if (ret < 0) return make_error(av_error(ret, "swresample"));
  STREAMLIB_RETURN_IF_ERROR(apply_quality(swr.get(), quality, soxr));
  // Downmixes are scaled so they cannot clip (stereo to mono is the average of the two).
  av_opt_set_double(swr.get(), "rematrix_maxval", 1.0, 0);
  if (in.nb_channels == 1 && out_channels >= 2) {
    std::vector<double> matrix(static_cast<std::size_t>(out_channels), 0.0);
    matrix[0] = 1.0;  // FL
    matrix[1] = 1.0;  // FR
    swr_set_matrix(swr.get(), matrix.data(), 1);
  }
  if (ret = swr_init(swr.get()); ret < 0) {
    return make_error(av_error(
        ret,
        fmt::format("swresample: cannot convert {} Hz {} channels {} to {} Hz {} channels {}", in_rate, in.nb_channels,
                    sample_format_name(in_format), out_rate, out_channels, sample_format_name(out_format))));
  }
  return swr;
}
}  // namespace

Result<SwrPtr> make_swr(const AVChannelLayout& in_layout, AVSampleFormat in_format, int in_rate, int out_channels,
                        AVSampleFormat out_format, int out_rate, ResampleQuality quality) {
  auto swr = try_make(in_layout, in_format, in_rate, out_channels, out_format, out_rate, quality, true);
  if (!swr && quality == ResampleQuality::kHigh) {  // no SoX resampler in this FFmpeg
    swr = try_make(in_layout, in_format, in_rate, out_channels, out_format, out_rate, quality, false);
  }
  return swr;
}

}  // namespace streamlib::ffmpeg::detail
