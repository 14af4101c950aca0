// Device over a real /dev/videoN: ioctl(), mmap() and poll().
//
// Single-planar video capture with mmap streaming I/O (what UVC webcams offer). The file is
// opened non-blocking, so dequeue_buffer() waits in poll() and a timeout is a normal result.
// Errors name the device: "no such device /dev/video9", "/dev/null is not a V4L2 device",
// "/dev/video0: device busy (...)", "/dev/video0 was disconnected" (ENODEV).
#pragma once

#include <string>
#include <vector>

#include "v4l2_common/device.h"

namespace streamlib::v4l2 {

class LinuxDevice final : public Device {
 public:
  LinuxDevice() = default;
  ~LinuxDevice() override;
  LinuxDevice(const LinuxDevice&) = delete;
  LinuxDevice& operator=(const LinuxDevice&) = delete;

  Result<void> open(const std::string& path) override;
  void close() override;
  bool is_open() const override { return fd_ >= 0; }
  const std::string& path() const override { return path_; }

  Result<Capabilities> query_capabilities() override;
  Result<std::vector<FormatDesc>> enumerate_formats() override;
  Result<std::vector<FrameSizeDesc>> enumerate_frame_sizes(std::uint32_t fourcc) override;
  Result<std::vector<FrameIntervalDesc>> enumerate_frame_intervals(std::uint32_t fourcc, std::uint32_t width,
                                                                   std::uint32_t height) override;
  Result<ActiveFormat> set_format(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height) override;
  Result<Fraction> set_frame_interval(Fraction interval) override;
  Result<std::vector<MappedBuffer>> request_buffers(std::uint32_t count) override;
  Result<void> release_buffers() override;
  Result<void> queue_buffer(std::uint32_t index) override;
  Result<std::optional<DequeuedBuffer>> dequeue_buffer(std::chrono::milliseconds timeout) override;
  Result<void> stream_on() override;
  Result<void> stream_off() override;

 private:
  // ioctl() retried on EINTR; -1 with errno set on failure.
  int xioctl(unsigned long request, void* arg) const;
  // The error for a failed ioctl named `what`, from errno.
  Error ioctl_error(const char* what, int err) const;
  Result<void> require_open() const;

  std::string path_;
  int fd_ = -1;
  std::vector<MappedBuffer> buffers_;
};

}  // namespace streamlib::v4l2
