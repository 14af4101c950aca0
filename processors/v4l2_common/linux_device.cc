#include "v4l2_common/linux_device.h"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace streamlib::v4l2 {

namespace {

std::string c_string(const std::uint8_t* bytes, std::size_t max) {
  std::size_t n = 0;
  while (n < max && bytes[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(bytes), n);
}

Fraction fraction(const v4l2_fract& f) { return {f.numerator, f.denominator}; }

ColorRange range_of(std::uint32_t quantization, std::uint32_t fourcc) {
  switch (quantization) {
    case V4L2_QUANTIZATION_FULL_RANGE:
      return ColorRange::kFull;
    case V4L2_QUANTIZATION_LIM_RANGE:
      return ColorRange::kLimited;
    default:
      // The V4L2 default: JPEG is full range, other YUV limited.
      return is_jpeg(fourcc) ? ColorRange::kFull : ColorRange::kLimited;
  }
}

ColorMatrix matrix_of(std::uint32_t ycbcr_enc) {
  switch (ycbcr_enc) {
    case V4L2_YCBCR_ENC_709:
      return ColorMatrix::kBt709;
    case V4L2_YCBCR_ENC_BT2020:
      return ColorMatrix::kBt2020;
    default:
      return ColorMatrix::kBt601;  // cameras' default (sRGB colorspace uses 601 for YUV)
  }
}

}  // namespace

LinuxDevice::~LinuxDevice() { close(); }

int LinuxDevice::xioctl(unsigned long request, void* arg) const {
  int r = 0;
  do {
    r = ::ioctl(fd_, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

Error LinuxDevice::ioctl_error(const char* what, int err) const {
  if (err == EBUSY) return device_busy(path_);
  if (err == ENODEV) return device_disconnected(path_);
  return Error(ErrorCode::kIo, fmt::format("{}: {} failed: {}", path_, what, std::strerror(err)));
}

Result<void> LinuxDevice::require_open() const {
  if (fd_ < 0) return make_error(ErrorCode::kFailedPrecondition, "V4L2 device is not open");
  return {};
}

Result<void> LinuxDevice::open(const std::string& path) {
  close();
  path_ = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return make_error(no_such_device(path));
    if (err == EACCES) return make_error(permission_denied(path));
    return make_error(ErrorCode::kIo, "{}: {}", path, std::strerror(err));
  }
  if (!S_ISCHR(st.st_mode)) return make_error(not_v4l2_device(path));
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENXIO || err == ENODEV) return make_error(no_such_device(path));
    if (err == EBUSY) return make_error(device_busy(path));
    if (err == EACCES || err == EPERM) return make_error(permission_denied(path));
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path, std::strerror(err));
  }
  fd_ = fd;
  return {};
}

void LinuxDevice::close() {
  if (fd_ < 0) return;
  (void)release_buffers();
  ::close(fd_);
  fd_ = -1;
}

Result<Capabilities> LinuxDevice::query_capabilities() {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  v4l2_capability cap{};
  if (xioctl(VIDIOC_QUERYCAP, &cap) != 0) {
    const int err = errno;
    if (err == ENOTTY || err == EINVAL) return make_error(not_v4l2_device(path_));
    return make_error(ioctl_error("VIDIOC_QUERYCAP", err));
  }
  Capabilities caps;
  caps.driver = c_string(cap.driver, sizeof(cap.driver));
  caps.card = c_string(cap.card, sizeof(cap.card));
  caps.bus_info = c_string(cap.bus_info, sizeof(cap.bus_info));
  caps.capabilities = cap.capabilities;
  caps.device_caps = cap.device_caps;
  return caps;
}

Result<std::vector<FormatDesc>> LinuxDevice::enumerate_formats() {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  std::vector<FormatDesc> out;
  for (std::uint32_t i = 0;; ++i) {
    v4l2_fmtdesc desc{};
    desc.index = i;
    desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(VIDIOC_ENUM_FMT, &desc) != 0) {
      if (errno == EINVAL) break;
      return make_error(ioctl_error("VIDIOC_ENUM_FMT", errno));
    }
    out.push_back({desc.pixelformat, c_string(desc.description, sizeof(desc.description)),
                   (desc.flags & V4L2_FMT_FLAG_COMPRESSED) != 0, (desc.flags & V4L2_FMT_FLAG_EMULATED) != 0});
  }
  return out;
}

Result<std::vector<FrameSizeDesc>> LinuxDevice::enumerate_frame_sizes(std::uint32_t fourcc) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  std::vector<FrameSizeDesc> out;
  for (std::uint32_t i = 0;; ++i) {
    v4l2_frmsizeenum e{};
    e.index = i;
    e.pixel_format = fourcc;
    if (xioctl(VIDIOC_ENUM_FRAMESIZES, &e) != 0) {
      if (errno == EINVAL) break;
      return make_error(ioctl_error("VIDIOC_ENUM_FRAMESIZES", errno));
    }
    FrameSizeDesc d;
    if (e.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
      d.kind = RangeKind::kDiscrete;
      d.width = e.discrete.width;
      d.height = e.discrete.height;
      out.push_back(d);
      continue;
    }
    d.kind = e.type == V4L2_FRMSIZE_TYPE_STEPWISE ? RangeKind::kStepwise : RangeKind::kContinuous;
    d.min_width = e.stepwise.min_width;
    d.max_width = e.stepwise.max_width;
    d.step_width = e.stepwise.step_width == 0 ? 1 : e.stepwise.step_width;
    d.min_height = e.stepwise.min_height;
    d.max_height = e.stepwise.max_height;
    d.step_height = e.stepwise.step_height == 0 ? 1 : e.stepwise.step_height;
    out.push_back(d);
    break;  // a range is the only entry
  }
  return out;
}

Result<std::vector<FrameIntervalDesc>> LinuxDevice::enumerate_frame_intervals(std::uint32_t fourcc, std::uint32_t width,
                                                                              std::uint32_t height) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  std::vector<FrameIntervalDesc> out;
  for (std::uint32_t i = 0;; ++i) {
    v4l2_frmivalenum e{};
    e.index = i;
    e.pixel_format = fourcc;
    e.width = width;
    e.height = height;
    if (xioctl(VIDIOC_ENUM_FRAMEINTERVALS, &e) != 0) {
      if (errno == EINVAL) break;
      return make_error(ioctl_error("VIDIOC_ENUM_FRAMEINTERVALS", errno));
    }
    FrameIntervalDesc d;
    if (e.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
      d.kind = RangeKind::kDiscrete;
      d.interval = fraction(e.discrete);
      out.push_back(d);
      continue;
    }
    d.kind = e.type == V4L2_FRMIVAL_TYPE_STEPWISE ? RangeKind::kStepwise : RangeKind::kContinuous;
    d.min = fraction(e.stepwise.min);
    d.max = fraction(e.stepwise.max);
    d.step = fraction(e.stepwise.step);
    out.push_back(d);
    break;
  }
  return out;
}

Result<ActiveFormat> LinuxDevice::set_format(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  v4l2_format f{};
  f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  f.fmt.pix.width = width;
  f.fmt.pix.height = height;
  f.fmt.pix.pixelformat = fourcc;
  f.fmt.pix.field = V4L2_FIELD_NONE;
  if (xioctl(VIDIOC_S_FMT, &f) != 0) return make_error(ioctl_error("VIDIOC_S_FMT", errno));
  if (f.fmt.pix.pixelformat != fourcc) {
    return make_error(ErrorCode::kUnsupported, "{}: the driver refused {} and offered {}", path_,
                      fourcc_to_string(fourcc), fourcc_to_string(f.fmt.pix.pixelformat));
  }
  ActiveFormat a;
  a.fourcc = f.fmt.pix.pixelformat;
  a.width = f.fmt.pix.width;
  a.height = f.fmt.pix.height;
  a.bytes_per_line = f.fmt.pix.bytesperline;
  a.size_image = f.fmt.pix.sizeimage;
  a.color_range = range_of(f.fmt.pix.quantization, a.fourcc);
  a.color_matrix = matrix_of(f.fmt.pix.ycbcr_enc);
  return a;
}

Result<Fraction> LinuxDevice::set_frame_interval(Fraction interval) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  v4l2_streamparm p{};
  p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(VIDIOC_G_PARM, &p) != 0) {
    if (errno == ENOTTY || errno == EINVAL) return Fraction{0, 1};  // the driver has no say in the rate
    return make_error(ioctl_error("VIDIOC_G_PARM", errno));
  }
  if ((p.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) == 0) {
    return fraction(p.parm.capture.timeperframe);  // fixed by the driver
  }
  p.parm.capture.timeperframe.numerator = interval.numerator;
  p.parm.capture.timeperframe.denominator = interval.denominator;
  if (xioctl(VIDIOC_S_PARM, &p) != 0) return make_error(ioctl_error("VIDIOC_S_PARM", errno));
  return fraction(p.parm.capture.timeperframe);
}

Result<std::vector<MappedBuffer>> LinuxDevice::request_buffers(std::uint32_t count) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  STREAMLIB_RETURN_IF_ERROR(release_buffers());
  v4l2_requestbuffers req{};
  req.count = count;
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  if (xioctl(VIDIOC_REQBUFS, &req) != 0) {
    if (errno == EINVAL) return make_error(ErrorCode::kUnsupported, "{} does not support mmap streaming", path_);
    return make_error(ioctl_error("VIDIOC_REQBUFS", errno));
  }
  if (req.count == 0) return make_error(ErrorCode::kIo, "{}: the driver gave no buffers", path_);
  for (std::uint32_t i = 0; i < req.count; ++i) {
    v4l2_buffer b{};
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = i;
    if (xioctl(VIDIOC_QUERYBUF, &b) != 0) {
      const Error e = ioctl_error("VIDIOC_QUERYBUF", errno);
      (void)release_buffers();
      return make_error(e);
    }
    void* p = ::mmap(nullptr, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, b.m.offset);
    if (p == MAP_FAILED) {
      const Error e =
          Error(ErrorCode::kIo, fmt::format("{}: mmap of buffer {} failed: {}", path_, i, std::strerror(errno)));
      (void)release_buffers();
      return make_error(e);
    }
    buffers_.push_back({i, static_cast<std::uint8_t*>(p), b.length});
  }
  return buffers_;
}

Result<void> LinuxDevice::release_buffers() {
  if (buffers_.empty()) return {};
  for (const MappedBuffer& b : buffers_) ::munmap(b.data, b.length);
  buffers_.clear();
  v4l2_requestbuffers req{};
  req.count = 0;
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  if (fd_ >= 0 && xioctl(VIDIOC_REQBUFS, &req) != 0) return make_error(ioctl_error("VIDIOC_REQBUFS(0)", errno));
  return {};
}

Result<void> LinuxDevice::queue_buffer(std::uint32_t index) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  v4l2_buffer b{};
  b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  b.memory = V4L2_MEMORY_MMAP;
  b.index = index;
  if (xioctl(VIDIOC_QBUF, &b) != 0) return make_error(ioctl_error("VIDIOC_QBUF", errno));
  return {};
}

Result<std::optional<DequeuedBuffer>> LinuxDevice::dequeue_buffer(std::chrono::milliseconds timeout) {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "{}: poll failed: {}", path_, std::strerror(errno));
    }
    if (ready == 0) return std::optional<DequeuedBuffer>();
    if ((pfd.revents & POLLERR) != 0 && (pfd.revents & POLLIN) == 0) {
      return make_error(ErrorCode::kIo, "{}: the device reported an error (not streaming, or gone)", path_);
    }
    v4l2_buffer b{};
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    if (xioctl(VIDIOC_DQBUF, &b) != 0) {
      if (errno == EAGAIN) {
        if (std::chrono::steady_clock::now() >= deadline) return std::optional<DequeuedBuffer>();
        continue;
      }
      return make_error(ioctl_error("VIDIOC_DQBUF", errno));
    }
    DequeuedBuffer d;
    d.index = b.index;
    d.bytes_used = b.bytesused;
    d.sequence = b.sequence;
    d.flags = b.flags;
    d.timestamp_ns = static_cast<std::int64_t>(b.timestamp.tv_sec) * 1'000'000'000 +
                     static_cast<std::int64_t>(b.timestamp.tv_usec) * 1'000;
    return std::optional<DequeuedBuffer>(d);
  }
}

Result<void> LinuxDevice::stream_on() {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(VIDIOC_STREAMON, &type) != 0) return make_error(ioctl_error("VIDIOC_STREAMON", errno));
  return {};
}

Result<void> LinuxDevice::stream_off() {
  STREAMLIB_RETURN_IF_ERROR(require_open());
  int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(VIDIOC_STREAMOFF, &type) != 0) return make_error(ioctl_error("VIDIOC_STREAMOFF", errno));
  return {};
}

}  // namespace streamlib::v4l2
