// VideoFrame: an immutable, reference-counted picture.
//
//   VideoFramePool pool;                                     // one per producer
//   WritableVideoFrame w = pool.acquire(1280, 720, PixelFormat::kRgba);
//   std::memset(w.plane(0).data(), 0, w.plane(0).size());
//   w.set_timestamp_ns(pts); w.set_duration_ns(33'333'333); w.set_frame_number(n);
//   VideoFrame frame = std::move(w).freeze();                // now read-only, shareable
//   out.push(frame);                                          // fan-out shares, never copies
//
// Planes: RGBA/BGRA have one (4 bytes a pixel); I420 three (Y, U, V; chroma halved both
// ways); NV12 two (Y, interleaved UV); YUYV one (packed 4:2:2, 2 bytes a pixel, as V4L2
// cameras give it); RGB24 one (3 bytes a pixel); GRAY8 one. I422 and I444 are planar like I420
// with chroma halved only across (4:2:2) or not at all (4:4:4). The 10-bit formats keep each
// sample in a little-endian 16-bit word: YUV420P10, YUV422P10 and YUV444P10 are the planar
// 4:2:0/4:2:2/4:4:4 layouts with the value in the low 10 bits (FFmpeg's yuv420p10le, ...);
// P010 is NV12's layout with the value in the high 10 bits (FFmpeg's p010le, as hardware
// decoders give it). Chroma of an odd width or height rounds up. Strides of frames the pool
// lays out are rounded up to 32 bytes.
//
// Media time: timestamp_ns is the presentation time (pts) in nanoseconds on the monotonic
// clock for live sources, or on the stream's own timeline from zero for files; duration_ns
// how long the frame is shown. Colour range and matrix say how to read YUV; a keyframe flag
// marks frames a decoder can start from.
//
// Rotation: rotation_degrees() is how far the picture is to be turned, counterclockwise, to be
// seen upright — the container's display matrix (phones store their videos sideways with one),
// as ffprobe's "rotation" names it, normalised to 0, 90, 180 or 270. The pixels stay as stored:
// a display turns them (SDL Display), a writer stores the rotation again (FileWriter in MP4/MOV),
// and FileSource's `autorotate` turns the pixels instead (rotation 0). Re-timing keeps it.
//
// Memory owned elsewhere — a decoder's frame, a device buffer — can travel without a copy:
// pool.wrap(planes, release) makes a frame whose planes point at it; `release` runs exactly
// once, when the last reader lets go.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "streamlib/config.h"
#include "streamlib/frames/frame_pool.h"
#include "streamlib/frames/message.h"

namespace streamlib {

enum class PixelFormat {
  kRgba,
  kBgra,
  kI420,
  kNv12,
  kYuyv,
  kRgb24,
  kGray8,
  kI422,
  kI444,
  kP010,
  kYuv420p10,
  kYuv422p10,
  kYuv444p10
};
STREAMLIB_ENUM_NAMES(PixelFormat, {PixelFormat::kRgba, "rgba"}, {PixelFormat::kBgra, "bgra"},
                     {PixelFormat::kI420, "i420"}, {PixelFormat::kNv12, "nv12"}, {PixelFormat::kYuyv, "yuyv"},
                     {PixelFormat::kRgb24, "rgb24"}, {PixelFormat::kGray8, "gray8"}, {PixelFormat::kI422, "i422"},
                     {PixelFormat::kI444, "i444"}, {PixelFormat::kP010, "p010"}, {PixelFormat::kYuv420p10, "yuv420p10"},
                     {PixelFormat::kYuv422p10, "yuv422p10"}, {PixelFormat::kYuv444p10, "yuv444p10"});

// How YUV values map to light: the range of the code values...
enum class ColorRange { kUnknown, kLimited, kFull };
STREAMLIB_ENUM_NAMES(ColorRange, {ColorRange::kUnknown, "unknown"}, {ColorRange::kLimited, "limited"},
                     {ColorRange::kFull, "full"});
// ...and the matrix between RGB and YUV.
enum class ColorMatrix { kUnknown, kBt601, kBt709, kBt2020 };
STREAMLIB_ENUM_NAMES(ColorMatrix, {ColorMatrix::kUnknown, "unknown"}, {ColorMatrix::kBt601, "bt601"},
                     {ColorMatrix::kBt709, "bt709"}, {ColorMatrix::kBt2020, "bt2020"});

int plane_count(PixelFormat format);
// Bits of each sample: 8, or 10 for P010 and the YUV...P10 formats (stored in 16-bit words).
int bit_depth(PixelFormat format);
// Bytes of plane `plane` for a picture of `height` rows at `stride` bytes a row.
std::size_t plane_size(PixelFormat format, int plane, int height, int stride);

// Planes of memory owned elsewhere, for VideoFramePool::wrap.
struct ExternalPlanes {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgba;
  std::array<std::uint8_t*, 4> data{};
  std::array<int, 4> strides{};
};

namespace internal {
struct VideoFrameStorage final : FrameStorageBase {
  void reset() override;
  // Lays out planes for the given geometry and sizes the buffer.
  void configure(int w, int h, PixelFormat f);
  // Points the planes at external memory.
  void configure_external(const ExternalPlanes& planes);
  std::uint8_t* plane_data(int index);

  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgba;
  int planes = 0;
  std::array<int, 4> strides{};
  std::array<std::size_t, 4> offsets{};
  std::array<std::size_t, 4> sizes{};
  std::array<std::uint8_t*, 4> external_planes{};  // set: planes are external memory
  AlignedBuffer buffer;
  ColorRange color_range = ColorRange::kUnknown;
  ColorMatrix color_matrix = ColorMatrix::kUnknown;
  bool keyframe = true;
  int rotation_degrees = 0;  // 0, 90, 180, 270 (counterclockwise), see VideoFrame
};
}  // namespace internal

// `degrees` (any integer, e.g. ffprobe's -90) as 0, 90, 180 or 270: the nearest quarter turn
// counterclockwise.
int normalize_rotation(double degrees);

class VideoFrame {
 public:
  VideoFrame() = default;

  explicit operator bool() const { return static_cast<bool>(ref_); }
  int width() const { return ref_->width; }
  int height() const { return ref_->height; }
  PixelFormat format() const { return ref_->format; }
  int plane_count() const { return ref_->planes; }
  std::span<const std::uint8_t> plane(int index) const;
  int stride(int index) const { return ref_->strides[static_cast<std::size_t>(index)]; }
  std::int64_t timestamp_ns() const { return ref_->timestamp_ns; }
  std::int64_t duration_ns() const { return ref_->duration_ns; }
  std::uint64_t frame_number() const { return ref_->frame_number; }
  ColorRange color_range() const { return ref_->color_range; }
  ColorMatrix color_matrix() const { return ref_->color_matrix; }
  bool keyframe() const { return ref_->keyframe; }
  // Counterclockwise quarter turns to show the picture upright, in degrees (see the top).
  int rotation_degrees() const { return ref_->rotation_degrees; }
  const FrameMetadata& metadata() const { return ref_->metadata; }
  // True if the planes are memory owned elsewhere (see VideoFramePool::wrap).
  bool is_external() const { return ref_->external_planes[0] != nullptr; }

  // Handles to the same frame share one buffer: equal ids mean no copy was made.
  const void* buffer_id() const { return ref_.get(); }
  std::uint32_t use_count() const { return ref_.use_count(); }

 private:
  friend class WritableVideoFrame;
  friend struct internal::MediaTime<VideoFrame>;
  explicit VideoFrame(internal::FrameRef<internal::VideoFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::VideoFrameStorage> ref_;
};

// A frame being filled: the only handle to its buffer, so writing is safe.
class WritableVideoFrame {
 public:
  // Allocates outside any pool (tests, one-off frames).
  WritableVideoFrame(int width, int height, PixelFormat format);

  int width() const { return ref_->width; }
  int height() const { return ref_->height; }
  PixelFormat format() const { return ref_->format; }
  int plane_count() const { return ref_->planes; }
  std::span<std::uint8_t> plane(int index);
  int stride(int index) const { return ref_->strides[static_cast<std::size_t>(index)]; }
  void set_timestamp_ns(std::int64_t ns) { ref_->timestamp_ns = ns; }
  void set_duration_ns(std::int64_t ns) { ref_->duration_ns = ns; }
  void set_frame_number(std::uint64_t n) { ref_->frame_number = n; }
  void set_color(ColorRange range, ColorMatrix matrix) {
    ref_->color_range = range;
    ref_->color_matrix = matrix;
  }
  void set_keyframe(bool keyframe) { ref_->keyframe = keyframe; }
  // Any angle; kept as the nearest quarter turn (normalize_rotation).
  void set_rotation_degrees(double degrees) { ref_->rotation_degrees = normalize_rotation(degrees); }
  int rotation_degrees() const { return ref_->rotation_degrees; }
  FrameMetadata& metadata() { return ref_->metadata; }

  // Ends writing: the frame becomes immutable and shareable.
  VideoFrame freeze() && { return VideoFrame(std::move(ref_)); }

 private:
  friend class VideoFramePool;
  explicit WritableVideoFrame(internal::FrameRef<internal::VideoFrameStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::VideoFrameStorage> ref_;
};

class VideoFramePool {
 public:
  // Acquire from one thread (the producer); frames may be released anywhere. Keeps every
  // buffer it made for reuse. With `max_in_flight` > 0 at most that many frames are out at
  // once: acquire() then waits for one to come back (backpressure) instead of allocating.
  explicit VideoFramePool(std::size_t max_in_flight = 0) { impl_.set_max_in_flight(max_in_flight); }

  WritableVideoFrame acquire(int width, int height, PixelFormat format);
  // Nothing when a bounded pool is at its bound.
  std::optional<WritableVideoFrame> try_acquire(int width, int height, PixelFormat format);
  // Makes `count` frames of this geometry now, their pages touched (setup(), not the hot path).
  void reserve(std::size_t count, int width, int height, PixelFormat format);
  // A frame whose planes are memory owned elsewhere; `release` runs exactly once, on whichever
  // thread drops the last reference. Pooled like any frame: no allocation in steady state when
  // `release` captures little (a pointer or two).
  WritableVideoFrame wrap(const ExternalPlanes& planes, std::function<void()> release);

  void set_max_in_flight(std::size_t max) { impl_.set_max_in_flight(max); }
  std::size_t in_flight() const { return impl_.in_flight(); }
  std::uint64_t allocated() const { return impl_.allocated(); }
  std::uint64_t reused() const { return impl_.reused(); }

 private:
  internal::FramePoolImpl<internal::VideoFrameStorage> impl_;
};

STREAMLIB_MESSAGE_TYPE(VideoFrame, 3, LinkPolicy::kDropOldest);

namespace internal {
template <>
struct MediaTime<VideoFrame> {
  static constexpr bool kTimed = true;
  static constexpr bool kHasPosition = false;
  static std::int64_t timestamp_ns(const VideoFrame& f) { return f.timestamp_ns(); }
  static std::int64_t duration_ns(const VideoFrame& f) { return f.duration_ns(); }
  // `f` stamped `timestamp_ns`: in place when `f` is the only handle to its frame (a producer's
  // fresh frame), else a new handle over the same pixels (no copy), so no other reader sees
  // the change.
  static VideoFrame retimed(VideoFrame f, std::int64_t timestamp_ns);
};
}  // namespace internal

}  // namespace streamlib
