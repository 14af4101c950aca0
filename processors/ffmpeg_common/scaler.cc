#include "ffmpeg_common/scaler.h"

#include <algorithm>
#include <cmath>

#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/sws_convert.h"

namespace streamlib::ffmpeg {

namespace {

constexpr int kMaxDimension = 16384;

// How far the chroma of `format` is subsampled (log2, horizontally and vertically).
std::pair<int, int> chroma_shift(PixelFormat format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(to_av_pixel_format(format));
  if (desc == nullptr) return {0, 0};
  return {desc->log2_chroma_w, desc->log2_chroma_h};
}

int round_down(int v, int shift) { return v & ~((1 << shift) - 1); }
// Rounds a size onto the grid (to nearest), at least one grid step.
int round_size(double v, int shift) {
  const int step = 1 << shift;
  const int n = static_cast<int>(std::lround(v / step)) * step;
  return std::max(n, step);
}

}  // namespace

int sws_flags_for(ScaleQuality quality) {
  switch (quality) {
    case ScaleQuality::kNearest:
      return SWS_POINT;
    case ScaleQuality::kFastBilinear:
      return SWS_FAST_BILINEAR;
    case ScaleQuality::kBilinear:
      return SWS_BILINEAR;
    case ScaleQuality::kArea:
      return SWS_AREA;
    case ScaleQuality::kBicubic:
      return SWS_BICUBIC;
    case ScaleQuality::kLanczos:
      return SWS_LANCZOS | SWS_ACCURATE_RND;
  }
  return SWS_BILINEAR;
}

ScaleGeometry scale_geometry(int in_width, int in_height, int out_width, int out_height, ScaleMode mode,
                             PixelFormat in_format, PixelFormat out_format) {
  ScaleGeometry g{{0, 0, in_width, in_height}, {0, 0, out_width, out_height}};
  if (in_width <= 0 || in_height <= 0 || out_width <= 0 || out_height <= 0) return g;
  const double in_aspect = static_cast<double>(in_width) / in_height;
  const double out_aspect = static_cast<double>(out_width) / out_height;
  switch (mode) {
    case ScaleMode::kStretch:
      break;
    case ScaleMode::kLetterbox: {
      const auto [sx, sy] = chroma_shift(out_format);
      if (in_aspect > out_aspect) {  // bars top and bottom
        const int h = std::min(round_size(out_width / in_aspect, sy), out_height);
        g.target = {0, round_down((out_height - h) / 2, sy), out_width, h};
      } else {  // bars left and right
        const int w = std::min(round_size(out_height * in_aspect, sx), out_width);
        g.target = {round_down((out_width - w) / 2, sx), 0, w, out_height};
      }
      break;
    }
    case ScaleMode::kCrop: {
      const auto [sx, sy] = chroma_shift(in_format);
      if (in_aspect > out_aspect) {  // cut left and right
        const int w = std::min(round_size(in_height * out_aspect, sx), in_width);
        g.source = {round_down((in_width - w) / 2, sx), 0, w, in_height};
      } else {  // cut top and bottom
        const int h = std::min(round_size(in_width / out_aspect, sy), in_height);
        g.source = {0, round_down((in_height - h) / 2, sy), in_width, h};
      }
      break;
    }
  }
  return g;
}

Result<void> ScalerOptions::validate() const {
  if (width < 0 || height < 0 || width > kMaxDimension || height > kMaxDimension) {
    return make_error(ErrorCode::kInvalidArgument, "size {}x{} is out of range (0..{} each; 0: from the input)", width,
                      height, kMaxDimension);
  }
  return {};
}

struct Scaler::Impl {
  ScalerOptions options;
  VideoFramePool pool;
  detail::SwsConverter converter;
};

Scaler::Scaler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scaler::Scaler(Scaler&&) noexcept = default;
Scaler& Scaler::operator=(Scaler&&) noexcept = default;
Scaler::~Scaler() = default;

Result<Scaler> Scaler::create(ScalerOptions options) {
  ensure_initialized();
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  auto impl = std::make_unique<Impl>();
  impl->pool.set_max_in_flight(options.max_in_flight);
  impl->options = std::move(options);
  return Scaler(std::move(impl));
}

Result<void> Scaler::reconfigure(ScalerOptions options) {
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  impl_->pool.set_max_in_flight(options.max_in_flight);
  impl_->options = std::move(options);
  return {};
}

const ScalerOptions& Scaler::options() const { return impl_->options; }
VideoFramePool& Scaler::pool() { return impl_->pool; }

std::pair<int, int> Scaler::output_size(int in_width, int in_height) const {
  const auto& o = impl_->options;
  if (o.width > 0 && o.height > 0) return {o.width, o.height};
  if (o.width == 0 && o.height == 0) return {in_width, in_height};
  if (in_width <= 0 || in_height <= 0) return {o.width, o.height};
  if (o.width == 0) {
    return {std::clamp(round_size(static_cast<double>(o.height) * in_width / in_height, 1), 2, kMaxDimension),
            o.height};
  }
  return {o.width, std::clamp(round_size(static_cast<double>(o.width) * in_height / in_width, 1), 2, kMaxDimension)};
}

Result<VideoFrame> Scaler::convert(const VideoFrame& in) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot scale an empty frame");
  const auto [w, h] = output_size(in.width(), in.height());
  const PixelFormat format = impl_->options.format.value_or(in.format());
  if (w == in.width() && h == in.height() && format == in.format()) return in;  // nothing to do
  WritableVideoFrame out = impl_->pool.acquire(w, h, format);
  STREAMLIB_RETURN_IF_ERROR(convert_into(in, out));
  return std::move(out).freeze();
}

Result<void> Scaler::convert_into(const VideoFrame& in, WritableVideoFrame& out) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot scale an empty frame");
  const ScalerOptions& o = impl_->options;
  const AVPixelFormat in_av = to_av_pixel_format(in.format());
  const AVPixelFormat out_av = to_av_pixel_format(out.format());

  // Colour of the output.
  ColorRange range = ColorRange::kFull;
  ColorMatrix matrix = ColorMatrix::kUnknown;
  if (detail::is_yuv(out_av)) {
    const bool in_yuv = detail::is_yuv(in_av);
    range = o.range != ColorRange::kUnknown                      ? o.range
            : in_yuv && in.color_range() != ColorRange::kUnknown ? in.color_range()
                                                                 : ColorRange::kLimited;
    matrix = o.matrix != ColorMatrix::kUnknown ? o.matrix
             : in_yuv                          ? detail::effective_matrix(in.color_matrix(), in.height())
                                               : detail::effective_matrix(ColorMatrix::kUnknown, out.height());
  }

  const ScaleGeometry g =
      scale_geometry(in.width(), in.height(), out.width(), out.height(), o.mode, in.format(), out.format());
  detail::MutableImageView dst = detail::view_of(out);
  dst.range = range;
  dst.matrix = matrix;
  if (!(g.target == Rect{0, 0, out.width(), out.height()})) {
    const Rect t = g.target;
    const Rect bars[] = {{0, 0, out.width(), t.y},
                         {0, t.y + t.height, out.width(), out.height() - t.y - t.height},
                         {0, t.y, t.x, t.height},
                         {t.x + t.width, t.y, out.width() - t.x - t.width, t.height}};
    for (const Rect& bar : bars) {
      if (bar.width > 0 && bar.height > 0) detail::fill_black(detail::sub_image(dst, bar));
    }
  }
  STREAMLIB_RETURN_IF_ERROR(impl_->converter.convert(detail::sub_image(detail::view_of(in), g.source),
                                                     detail::sub_image(dst, g.target), sws_flags_for(o.quality)));
  out.set_color(range, matrix);
  out.set_timestamp_ns(in.timestamp_ns());
  out.set_duration_ns(in.duration_ns());
  out.set_frame_number(in.frame_number());
  out.set_keyframe(in.keyframe());
  out.set_rotation_degrees(in.rotation_degrees());
  out.metadata() = in.metadata();
  return {};
}

}  // namespace streamlib::ffmpeg
