// VideoFrame: an immutable, reference-counted picture.
//
//   VideoFramePool pool;                                     // one per producer
//   WritableVideoFrame w = pool.acquire(1280, 720, PixelFormat::kRgba);
//   std::memset(w.plane(0).data(), 0, w.plane(0).size());
//   w.set_timestamp_ns(now); w.set_frame_number(n);
//   VideoFrame frame = std::move(w).freeze();                // now read-only, shareable
//   out.push(frame);                                          // fan-out shares, never copies
//
// Planes: RGBA/BGRA have one (4 bytes a pixel); I420 three (Y, U, V; chroma halved both
// ways); NV12 two (Y, interleaved UV). Strides are rounded up to 32 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "streamlib/config.h"
#include "streamlib/frames/frame_pool.h"
#include "streamlib/frames/message.h"

namespace streamlib {

enum class PixelFormat { kRgba, kBgra, kI420, kNv12 };
STREAMLIB_ENUM_NAMES(PixelFormat, {PixelFormat::kRgba, "rgba"}, {PixelFormat::kBgra, "bgra"},
                     {PixelFormat::kI420, "i420"}, {PixelFormat::kNv12, "nv12"});

int plane_count(PixelFormat format);

namespace internal {
struct VideoFrameStorage final : FrameStorageBase {
  void reset() override;
  // Lays out planes for the given geometry and sizes the buffer.
  void configure(int w, int h, PixelFormat f);

  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgba;
  int planes = 0;
  std::array<int, 4> strides{};
  std::array<std::size_t, 4> offsets{};
  std::array<std::size_t, 4> sizes{};
  AlignedBuffer buffer;
};
}  // namespace internal

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
  std::uint64_t frame_number() const { return ref_->frame_number; }
  const FrameMetadata& metadata() const { return ref_->metadata; }

  // Handles to the same frame share one buffer: equal ids mean no copy was made.
  const void* buffer_id() const { return ref_.get(); }
  std::uint32_t use_count() const { return ref_.use_count(); }

 private:
  friend class WritableVideoFrame;
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
  void set_frame_number(std::uint64_t n) { ref_->frame_number = n; }
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
  // buffer it made for reuse.
  VideoFramePool() = default;
  WritableVideoFrame acquire(int width, int height, PixelFormat format);
  std::uint64_t allocated() const { return impl_.allocated(); }
  std::uint64_t reused() const { return impl_.reused(); }

 private:
  internal::FramePoolImpl<internal::VideoFrameStorage> impl_;
};

STREAMLIB_MESSAGE_TYPE(VideoFrame, 3, LinkPolicy::kDropOldest);

}  // namespace streamlib
