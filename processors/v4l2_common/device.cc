#include "v4l2_common/device.h"

#include <linux/videodev2.h>

#include <fmt/format.h>

namespace streamlib::v4l2 {

std::string fourcc_to_string(std::uint32_t fourcc) {
  std::string s(4, '?');
  for (std::size_t i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((fourcc >> (8 * i)) & 0xFFU);
    if (c >= 0x20 && c < 0x7F) s[i] = c;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::uint32_t Capabilities::node_caps() const {
  return (capabilities & V4L2_CAP_DEVICE_CAPS) != 0 ? device_caps : capabilities;
}
bool Capabilities::can_capture() const { return (node_caps() & V4L2_CAP_VIDEO_CAPTURE) != 0; }
bool Capabilities::can_capture_mplane() const { return (node_caps() & V4L2_CAP_VIDEO_CAPTURE_MPLANE) != 0; }
bool Capabilities::can_stream() const { return (node_caps() & V4L2_CAP_STREAMING) != 0; }

bool DequeuedBuffer::monotonic_timestamp() const {
  return (flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
}
bool DequeuedBuffer::has_error() const { return (flags & V4L2_BUF_FLAG_ERROR) != 0; }

Error no_such_device(std::string_view path) {
  return Error(ErrorCode::kNotFound, fmt::format("no such device {}", path));
}

Error device_busy(std::string_view path) {
  return Error(ErrorCode::kIo, fmt::format("{}: device busy (another program is using the camera)", path));
}

Error permission_denied(std::string_view path) {
  return Error(ErrorCode::kIo, fmt::format("permission denied opening {} (is the user in the 'video' group?)", path));
}

Error not_v4l2_device(std::string_view path) {
  return Error(ErrorCode::kUnsupported, fmt::format("{} is not a V4L2 device", path));
}

Error not_capture_device(std::string_view path, const Capabilities& caps) {
  const std::string who = caps.card.empty() ? caps.driver : fmt::format("{}, driver {}", caps.card, caps.driver);
  if (caps.can_capture_mplane()) {
    return Error(
        ErrorCode::kUnsupported,
        fmt::format("{} is not a capture device StreamLib supports ({}: multi-planar capture only)", path, who));
  }
  return Error(ErrorCode::kUnsupported, fmt::format("{} is not a capture device ({})", path, who));
}

Error device_disconnected(std::string_view path) {
  return Error(ErrorCode::kIo, fmt::format("{} was disconnected", path));
}

}  // namespace streamlib::v4l2
