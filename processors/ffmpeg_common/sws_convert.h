// Internal to the layer: pictures as FFmpeg sees them (plane pointers, strides, format,
// colour) over StreamLib frames or AVFrames, and a cached swscale context converting one into
// another. Scaler, MediaReader and VideoEncoder are built on it.
#pragma once

#include <array>
#include <cstdint>

#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/scaler.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg::detail {

// A picture to read from.
struct ImageView {
  std::array<const std::uint8_t*, 4> data{};
  std::array<int, 4> strides{};
  int width = 0;
  int height = 0;
  AVPixelFormat format = AV_PIX_FMT_NONE;
  ColorRange range = ColorRange::kUnknown;
  ColorMatrix matrix = ColorMatrix::kUnknown;
};

// A picture to write to.
struct MutableImageView {
  std::array<std::uint8_t*, 4> data{};
  std::array<int, 4> strides{};
  int width = 0;
  int height = 0;
  AVPixelFormat format = AV_PIX_FMT_NONE;
  ColorRange range = ColorRange::kUnknown;
  ColorMatrix matrix = ColorMatrix::kUnknown;
};

ImageView view_of(const VideoFrame& frame);
ImageView view_of(const AVFrame& frame);
MutableImageView view_of(WritableVideoFrame& frame);
MutableImageView view_of(AVFrame& frame);

// The part of a picture inside `rect`; x and y are first rounded down onto the chroma grid
// (even for 4:2:0 and 4:2:2), so the result may start a pixel left/up of the asked rectangle.
ImageView sub_image(const ImageView& image, Rect rect);
MutableImageView sub_image(const MutableImageView& image, Rect rect);

// Paints the picture black (in its range). False for formats FFmpeg cannot fill.
bool fill_black(const MutableImageView& image);

bool is_yuv(AVPixelFormat format);
// What a YUV picture that does not say uses: BT.709 from 720 lines up, BT.601 below.
ColorMatrix effective_matrix(ColorMatrix matrix, int height);

// One swscale context, rebuilt only when the geometry, formats, flags or colour change.
class SwsConverter {
 public:
  // Scales/converts `src` into `dst` (both whole pictures; use sub_image() for rectangles).
  // `sws_flags` is SWS_BILINEAR etc.
  Result<void> convert(const ImageView& src, const MutableImageView& dst, int sws_flags);

 private:
  struct ColorKey {
    int src_matrix = -1;
    int dst_matrix = -1;
    int src_full = -1;
    int dst_full = -1;
    bool operator==(const ColorKey&) const = default;
  };
  SwsPtr ctx_;
  ColorKey color_;
};

}  // namespace streamlib::ffmpeg::detail
