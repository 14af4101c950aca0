#include "ffmpeg_common/orientation.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
}

namespace streamlib::ffmpeg {

int stream_rotation(const AVStream& stream) {
  std::size_t size = 0;
  const std::uint8_t* sd = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);  // NOLINT: 5.1 API
  if (sd == nullptr || size < 9 * sizeof(std::int32_t)) return 0;
  std::array<std::int32_t, 9> matrix{};
  std::memcpy(matrix.data(), sd, sizeof(matrix));
  return normalize_rotation(av_display_rotation_get(matrix.data()));
}

Result<void> set_stream_rotation(AVStream& stream, int degrees) {
  degrees = normalize_rotation(degrees);
  if (degrees == 0) return {};
  auto* matrix = reinterpret_cast<std::int32_t*>(
      av_stream_new_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(std::int32_t)));
  if (matrix == nullptr) return make_error(ErrorCode::kInternal, "out of memory for a display matrix");
  av_display_rotation_set(matrix, -degrees);  // it takes clockwise degrees; _get gives counterclockwise
  return {};
}

namespace {

// Element size (bytes a sample) and subsampling of plane `p` of `format`; 0 bytes: cannot turn.
struct PlaneShape {
  int bytes = 0;
  bool halved = false;  // chroma of 4:2:0: half the width and height, rounded up
};

PlaneShape plane_shape(PixelFormat format, int p) {
  switch (format) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
      return {4, false};
    case PixelFormat::kRgb24:
      return {3, false};
    case PixelFormat::kGray8:
      return {1, false};
    case PixelFormat::kI420:
      return {1, p > 0};
    case PixelFormat::kNv12:
      return p == 0 ? PlaneShape{1, false} : PlaneShape{2, true};
    case PixelFormat::kI444:
      return {1, false};
    case PixelFormat::kYuv420p10:
      return {2, p > 0};
    case PixelFormat::kYuv444p10:
      return {2, false};
    case PixelFormat::kP010:
      return p == 0 ? PlaneShape{2, false} : PlaneShape{4, true};
    default:
      return {};  // 4:2:2 (packed or planar: a quarter turn would halve chroma vertically)
  }
}

// Turns one plane of w x h samples of `bytes` each counterclockwise by `degrees`.
void rotate_plane(const std::uint8_t* src, int src_stride, int w, int h, int bytes, std::uint8_t* dst, int dst_stride,
                  int degrees) {
  const auto bytes_n = static_cast<std::size_t>(bytes);
  const int dw = degrees == 180 ? w : h;
  const int dh = degrees == 180 ? h : w;
  for (int y = 0; y < dh; ++y) {
    std::uint8_t* row = dst + static_cast<std::ptrdiff_t>(y) * dst_stride;
    for (int x = 0; x < dw; ++x) {
      int sx = 0;
      int sy = 0;
      if (degrees == 90) {  // (sx, sy) -> (sy, w - 1 - sx)
        sx = w - 1 - y;
        sy = x;
      } else if (degrees == 270) {  // (sx, sy) -> (h - 1 - sy, sx)
        sx = y;
        sy = h - 1 - x;
      } else {
        sx = w - 1 - x;
        sy = h - 1 - y;
      }
      std::memcpy(row + static_cast<std::ptrdiff_t>(x) * bytes,
                  src + static_cast<std::ptrdiff_t>(sy) * src_stride + static_cast<std::ptrdiff_t>(sx) * bytes,
                  bytes_n);
    }
  }
}

}  // namespace

Result<VideoFrame> rotate_picture(const VideoFrame& frame, VideoFramePool& pool) {
  const int degrees = frame.rotation_degrees();
  if (degrees == 0) return frame;
  for (int p = 0; p < frame.plane_count(); ++p) {
    if (plane_shape(frame.format(), p).bytes == 0) {
      return make_error(ErrorCode::kUnsupported, "cannot turn a {} picture (convert it to i420 first)",
                        enum_name(frame.format()));
    }
  }
  const bool swap = degrees != 180;
  WritableVideoFrame out =
      pool.acquire(swap ? frame.height() : frame.width(), swap ? frame.width() : frame.height(), frame.format());
  for (int p = 0; p < frame.plane_count(); ++p) {
    const PlaneShape shape = plane_shape(frame.format(), p);
    const int w = shape.halved ? (frame.width() + 1) / 2 : frame.width();
    const int h = shape.halved ? (frame.height() + 1) / 2 : frame.height();
    rotate_plane(frame.plane(p).data(), frame.stride(p), w, h, shape.bytes, out.plane(p).data(), out.stride(p),
                 degrees);
  }
  out.set_timestamp_ns(frame.timestamp_ns());
  out.set_duration_ns(frame.duration_ns());
  out.set_frame_number(frame.frame_number());
  out.set_color(frame.color_range(), frame.color_matrix());
  out.set_keyframe(frame.keyframe());
  out.metadata() = frame.metadata();
  return std::move(out).freeze();
}

}  // namespace streamlib::ffmpeg
