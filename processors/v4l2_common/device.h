// The seam between StreamLib's camera code and a V4L2 device.
//
// `Device` is the handful of operations a capture needs — open, query capabilities, enumerate
// formats / frame sizes / frame intervals, set format and frame rate, request mmap buffers,
// queue/dequeue them with a timeout, stream on/off, close. `LinuxDevice` (linux_device.h) does
// them with ioctl() on /dev/videoN; `FakeDevice` (fake_device.h) behaves like a camera in
// memory, for tests on machines without one. Everything above (format selection, frame
// production, Capture) is written against this interface only.
//
// Threads: queue_buffer() may be called from any thread (a frame's last reader gives its buffer
// back) concurrently with dequeue_buffer() on the capture thread; everything else belongs to
// the thread that owns the device.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::v4l2 {

constexpr std::uint32_t make_fourcc(char a, char b, char c, char d) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(a)) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b)) << 8) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(c)) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(d)) << 24);
}
inline constexpr std::uint32_t kFourccYuyv = make_fourcc('Y', 'U', 'Y', 'V');   // V4L2_PIX_FMT_YUYV
inline constexpr std::uint32_t kFourccMjpeg = make_fourcc('M', 'J', 'P', 'G');  // V4L2_PIX_FMT_MJPEG
inline constexpr std::uint32_t kFourccJpeg = make_fourcc('J', 'P', 'E', 'G');   // V4L2_PIX_FMT_JPEG
// "YUYV", "MJPG"; unprintable bytes as '?'.
std::string fourcc_to_string(std::uint32_t fourcc);
// MJPG and JPEG: both are a JPEG per frame.
inline bool is_jpeg(std::uint32_t fourcc) { return fourcc == kFourccMjpeg || fourcc == kFourccJpeg; }

// A frame interval in seconds, numerator / denominator (1/30: 30 frames a second).
struct Fraction {
  std::uint32_t numerator = 0;
  std::uint32_t denominator = 1;
  double seconds() const { return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator; }
  // Frames per second for an interval; 0 for a zero interval.
  double fps() const { return numerator == 0 ? 0.0 : static_cast<double>(denominator) / numerator; }
  friend bool operator==(const Fraction&, const Fraction&) = default;
};

// VIDIOC_QUERYCAP.
struct Capabilities {
  std::string driver;
  std::string card;
  std::string bus_info;
  std::uint32_t capabilities = 0;  // V4L2_CAP_* of the whole device
  std::uint32_t device_caps = 0;   // V4L2_CAP_* of this node (valid with V4L2_CAP_DEVICE_CAPS)
  // The node's own capabilities.
  std::uint32_t node_caps() const;
  bool can_capture() const;         // single-planar video capture
  bool can_capture_mplane() const;  // multi-planar video capture
  bool can_stream() const;          // streaming (mmap) I/O
};

// VIDIOC_ENUM_FMT.
struct FormatDesc {
  std::uint32_t fourcc = 0;
  std::string description;
  bool compressed = false;
  bool emulated = false;  // made by libv4l, not the hardware
};

enum class RangeKind { kDiscrete, kStepwise, kContinuous };

// VIDIOC_ENUM_FRAMESIZES: a discrete size, or the one stepwise/continuous range.
struct FrameSizeDesc {
  RangeKind kind = RangeKind::kDiscrete;
  std::uint32_t width = 0;  // discrete
  std::uint32_t height = 0;
  std::uint32_t min_width = 0, max_width = 0, step_width = 1;  // stepwise/continuous
  std::uint32_t min_height = 0, max_height = 0, step_height = 1;
};

// VIDIOC_ENUM_FRAMEINTERVALS: a discrete interval, or the one stepwise/continuous range.
struct FrameIntervalDesc {
  RangeKind kind = RangeKind::kDiscrete;
  Fraction interval;  // discrete
  Fraction min, max, step;
};

// What VIDIOC_S_FMT settled on.
struct ActiveFormat {
  std::uint32_t fourcc = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t bytes_per_line = 0;  // 0 for compressed formats
  std::uint32_t size_image = 0;      // bytes a buffer must hold
  ColorRange color_range = ColorRange::kUnknown;
  ColorMatrix color_matrix = ColorMatrix::kUnknown;
};

// One mmap'ed device buffer; memory valid until release_buffers() or close().
struct MappedBuffer {
  std::uint32_t index = 0;
  std::uint8_t* data = nullptr;
  std::size_t length = 0;
};

// VIDIOC_DQBUF.
struct DequeuedBuffer {
  std::uint32_t index = 0;
  std::uint32_t bytes_used = 0;
  std::uint32_t sequence = 0;
  std::uint32_t flags = 0;        // V4L2_BUF_FLAG_*
  std::int64_t timestamp_ns = 0;  // the buffer's timestamp (see flags for its clock)
  bool monotonic_timestamp() const;
  bool has_error() const;  // V4L2_BUF_FLAG_ERROR: the data may be corrupt
};

class Device {
 public:
  virtual ~Device() = default;

  // Errors: no_such_device(), device_busy(), permission, not_v4l2_device().
  virtual Result<void> open(const std::string& path) = 0;
  // Unmaps buffers and closes; safe to call twice.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  virtual const std::string& path() const = 0;

  virtual Result<Capabilities> query_capabilities() = 0;
  virtual Result<std::vector<FormatDesc>> enumerate_formats() = 0;
  virtual Result<std::vector<FrameSizeDesc>> enumerate_frame_sizes(std::uint32_t fourcc) = 0;
  virtual Result<std::vector<FrameIntervalDesc>> enumerate_frame_intervals(std::uint32_t fourcc, std::uint32_t width,
                                                                           std::uint32_t height) = 0;
  // The driver may adjust the size; the result says what it chose.
  virtual Result<ActiveFormat> set_format(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height) = 0;
  // The driver may adjust the interval; the result says what it chose ({0, 1}: the driver does
  // not let the rate be set or read).
  virtual Result<Fraction> set_frame_interval(Fraction interval) = 0;

  // VIDIOC_REQBUFS + VIDIOC_QUERYBUF + mmap. The driver may give more or fewer than `count`.
  virtual Result<std::vector<MappedBuffer>> request_buffers(std::uint32_t count) = 0;
  // munmap + VIDIOC_REQBUFS(0).
  virtual Result<void> release_buffers() = 0;
  // VIDIOC_QBUF. Any thread.
  virtual Result<void> queue_buffer(std::uint32_t index) = 0;
  // poll() up to `timeout`, then VIDIOC_DQBUF; nothing when no buffer was ready in time.
  virtual Result<std::optional<DequeuedBuffer>> dequeue_buffer(std::chrono::milliseconds timeout) = 0;
  virtual Result<void> stream_on() = 0;
  // Also takes every queued buffer back from the driver.
  virtual Result<void> stream_off() = 0;
};

// The errors both implementations (and Capture) give, so they read the same everywhere.
Error no_such_device(std::string_view path);  // kNotFound  "no such device /dev/video9"
Error device_busy(std::string_view path);     // kIo        "/dev/video0: device busy (...)"
Error permission_denied(std::string_view path);
Error not_v4l2_device(std::string_view path);  // kUnsupported "/dev/null is not a V4L2 device"
Error not_capture_device(std::string_view path, const Capabilities& caps);  // "... is not a capture device"
Error device_disconnected(std::string_view path);

}  // namespace streamlib::v4l2
