#include "ffmpeg_common/sws_convert.h"

#include <cstddef>

#include "ffmpeg_common/ffmpeg_error.h"

namespace streamlib::ffmpeg::detail {

namespace {

ColorRange range_of(const AVFrame& frame) {
  ColorRange implied = ColorRange::kUnknown;
  from_av_pixel_format(static_cast<AVPixelFormat>(frame.format), &implied);
  if (implied != ColorRange::kUnknown) return implied;
  return from_av_color_range(frame.color_range);
}

int sws_colorspace(ColorMatrix m) {
  switch (m) {
    case ColorMatrix::kBt709:
      return SWS_CS_ITU709;
    case ColorMatrix::kBt2020:
      return SWS_CS_BT2020;
    case ColorMatrix::kBt601:
    case ColorMatrix::kUnknown:
      break;
  }
  return SWS_CS_ITU601;
}

// Plane `p` of `format`: how far right/down its samples are subsampled (log2).
std::pair<int, int> plane_shift(const AVPixFmtDescriptor* desc, int p) {
  const bool chroma = (p == 1 || p == 2) && (desc->flags & AV_PIX_FMT_FLAG_RGB) == 0;
  return chroma ? std::pair<int, int>{desc->log2_chroma_w, desc->log2_chroma_h} : std::pair<int, int>{0, 0};
}

// Byte offsets of pixel (x, y) in each plane; x and y already on the chroma grid.
template <class View>
View offset_view(const View& image, Rect rect) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(image.format);
  View out = image;
  if (desc == nullptr) return out;
  const int xmask = (1 << desc->log2_chroma_w) - 1;
  const int ymask = (1 << desc->log2_chroma_h) - 1;
  const int x = rect.x & ~xmask;
  const int y = rect.y & ~ymask;
  out.width = rect.width + (rect.x - x);
  out.height = rect.height + (rect.y - y);
  int x_bytes[4] = {};
  av_image_fill_linesizes(x_bytes, image.format, x);
  for (int p = 0; p < 4; ++p) {
    const auto i = static_cast<std::size_t>(p);
    if (image.data[i] == nullptr) continue;
    const int rows = y >> plane_shift(desc, p).second;
    out.data[i] = image.data[i] + static_cast<std::ptrdiff_t>(rows) * image.strides[i] + x_bytes[p];
  }
  return out;
}

}  // namespace

ImageView view_of(const VideoFrame& frame) {
  ImageView v;
  for (int p = 0; p < frame.plane_count(); ++p) {
    const auto i = static_cast<std::size_t>(p);
    v.data[i] = frame.plane(p).data();
    v.strides[i] = frame.stride(p);
  }
  v.width = frame.width();
  v.height = frame.height();
  v.format = to_av_pixel_format(frame.format());
  v.range = frame.color_range();
  v.matrix = frame.color_matrix();
  return v;
}

ImageView view_of(const AVFrame& frame) {
  ImageView v;
  for (std::size_t i = 0; i < 4; ++i) {
    v.data[i] = frame.data[i];
    v.strides[i] = frame.linesize[i];
  }
  v.width = frame.width;
  v.height = frame.height;
  v.format = static_cast<AVPixelFormat>(frame.format);
  v.range = range_of(frame);
  v.matrix = from_av_color_space(frame.colorspace);
  return v;
}

MutableImageView view_of(WritableVideoFrame& frame) {
  MutableImageView v;
  for (int p = 0; p < frame.plane_count(); ++p) {
    const auto i = static_cast<std::size_t>(p);
    v.data[i] = frame.plane(p).data();
    v.strides[i] = frame.stride(p);
  }
  v.width = frame.width();
  v.height = frame.height();
  v.format = to_av_pixel_format(frame.format());
  return v;
}

MutableImageView view_of(AVFrame& frame) {
  MutableImageView v;
  for (std::size_t i = 0; i < 4; ++i) {
    v.data[i] = frame.data[i];
    v.strides[i] = frame.linesize[i];
  }
  v.width = frame.width;
  v.height = frame.height;
  v.format = static_cast<AVPixelFormat>(frame.format);
  v.range = range_of(frame);
  v.matrix = from_av_color_space(frame.colorspace);
  return v;
}

ImageView sub_image(const ImageView& image, Rect rect) { return offset_view(image, rect); }
MutableImageView sub_image(const MutableImageView& image, Rect rect) { return offset_view(image, rect); }

bool fill_black(const MutableImageView& image) {
  if (image.width <= 0 || image.height <= 0) return true;
  std::ptrdiff_t linesizes[4] = {};
  uint8_t* data[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    linesizes[i] = image.strides[i];
    data[i] = image.data[i];
  }
  const AVColorRange range = is_yuv(image.format) && image.range == ColorRange::kFull ? AVCOL_RANGE_JPEG
                             : is_yuv(image.format)                                   ? AVCOL_RANGE_MPEG
                                                                                      : AVCOL_RANGE_JPEG;
  if (av_image_fill_black(data, linesizes, image.format, range, image.width, image.height) < 0) return false;
  // FFmpeg leaves alpha at 0 in its "black"; a letterbox bar should be opaque.
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(image.format);
  if (desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0 && (desc->flags & AV_PIX_FMT_FLAG_PLANAR) == 0 &&
      desc->comp[3].depth == 8) {
    const int step = desc->comp[3].step;
    const int offset = desc->comp[3].offset;
    for (int y = 0; y < image.height; ++y) {
      std::uint8_t* row = image.data[0] + static_cast<std::ptrdiff_t>(y) * image.strides[0];
      for (int x = 0; x < image.width; ++x) row[x * step + offset] = 255;
    }
  }
  return true;
}

bool is_yuv(AVPixelFormat format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  return desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_RGB) == 0 && desc->nb_components >= 3;
}

ColorMatrix effective_matrix(ColorMatrix matrix, int height) {
  if (matrix != ColorMatrix::kUnknown) return matrix;
  return height >= 720 ? ColorMatrix::kBt709 : ColorMatrix::kBt601;
}

Result<void> SwsConverter::convert(const ImageView& src, const MutableImageView& dst, int sws_flags) {
  if (src.width <= 0 || src.height <= 0 || dst.width <= 0 || dst.height <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "cannot scale {}x{} to {}x{}", src.width, src.height, dst.width,
                      dst.height);
  }
  clear_last_log_error();
  SwsContext* before = ctx_.get();
  SwsContext* ctx = sws_getCachedContext(ctx_.release(), src.width, src.height, src.format, dst.width, dst.height,
                                         dst.format, sws_flags, nullptr, nullptr, nullptr);
  ctx_.reset(ctx);
  if (ctx == nullptr) {
    return make_error(ErrorCode::kUnsupported, "swscale cannot convert {} {}x{} to {} {}x{}{}",
                      pixel_format_name(src.format), src.width, src.height, pixel_format_name(dst.format), dst.width,
                      dst.height, last_log_error().empty() ? "" : " (" + last_log_error() + ")");
  }
  // Colour: the matrix matters between YUV and RGB, the range for both sides.
  const bool src_yuv = is_yuv(src.format);
  const bool dst_yuv = is_yuv(dst.format);
  ColorKey key;
  key.src_matrix = sws_colorspace(effective_matrix(src.matrix, src.height));
  key.dst_matrix = dst_yuv ? sws_colorspace(effective_matrix(dst.matrix, dst.height)) : key.src_matrix;
  key.src_full = src_yuv ? (src.range == ColorRange::kFull ? 1 : 0) : 1;
  key.dst_full = dst_yuv ? (dst.range == ColorRange::kFull ? 1 : 0) : 1;
  if (ctx != before || !(key == color_)) {
    int* inv_table = nullptr;
    int* table = nullptr;
    int src_range = 0;
    int dst_range = 0;
    int brightness = 0;
    int contrast = 0;
    int saturation = 0;
    if (sws_getColorspaceDetails(ctx, &inv_table, &src_range, &table, &dst_range, &brightness, &contrast,
                                 &saturation) >= 0) {
      sws_setColorspaceDetails(ctx, sws_getCoefficients(key.src_matrix), key.src_full,
                               sws_getCoefficients(key.dst_matrix), key.dst_full, brightness, contrast, saturation);
    }
    color_ = key;
  }
  const int out =
      sws_scale(ctx, src.data.data(), src.strides.data(), 0, src.height, dst.data.data(), dst.strides.data());
  if (out < 0) return make_error(av_error(out, "swscale"));
  return {};
}

}  // namespace streamlib::ffmpeg::detail
