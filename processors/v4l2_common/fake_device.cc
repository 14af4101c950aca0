#include "v4l2_common/fake_device.h"

#include <linux/videodev2.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace streamlib::v4l2 {

Capabilities FakeDeviceConfig::default_caps() {
  Capabilities caps;
  caps.driver = "fake";
  caps.card = "StreamLib Fake Camera";
  caps.bus_info = "platform:fake";
  caps.device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
  caps.capabilities = caps.device_caps | V4L2_CAP_DEVICE_CAPS;
  return caps;
}

std::vector<std::uint64_t> FakeDeviceState::queue_counts() const {
  std::lock_guard lock(mu);
  return queued_per_buffer;
}

std::uint64_t FakeDeviceState::total_queued() const {
  std::lock_guard lock(mu);
  std::uint64_t n = 0;
  for (std::uint64_t c : queued_per_buffer) n += c;
  return n;
}

bool FakeDeviceState::is_open() const {
  std::lock_guard lock(mu);
  return open;
}

bool FakeDeviceState::is_streaming() const {
  std::lock_guard lock(mu);
  return streaming;
}

bool FakeDeviceState::are_buffers_mapped() const {
  std::lock_guard lock(mu);
  return buffers_mapped;
}

std::size_t fill_yuyv_pattern(std::span<std::uint8_t> buffer, std::uint32_t width, std::uint32_t height,
                              std::uint32_t bytes_per_line, std::uint32_t frame) {
  const std::size_t needed = static_cast<std::size_t>(bytes_per_line) * height;
  if (buffer.size() < needed) return 0;
  for (std::uint32_t y = 0; y < height; ++y) {
    std::uint8_t* row = buffer.data() + static_cast<std::size_t>(y) * bytes_per_line;
    for (std::uint32_t x = 0; x < width; ++x) {
      row[2 * x] = static_cast<std::uint8_t>((x + y + frame) & 0xFFU);
      row[2 * x + 1] = static_cast<std::uint8_t>(x % 2 == 0 ? (64 + frame) & 0xFFU : (192 - frame) & 0xFFU);
    }
  }
  return needed;
}

FakeDevice::FakeDevice(FakeDeviceConfig config)
    : config_(std::move(config)), state_(std::make_shared<FakeDeviceState>()) {}

FakeDevice::~FakeDevice() { close(); }

Result<void> FakeDevice::open(const std::string& path) {
  path_ = path;
  if (config_.missing) return make_error(no_such_device(path));
  if (config_.busy) return make_error(device_busy(path));
  std::lock_guard lock(state_->mu);
  state_->open = true;
  ++state_->open_calls;
  return {};
}

void FakeDevice::close() {
  std::lock_guard lock(state_->mu);
  if (!state_->open) return;
  release_buffers_locked();
  state_->streaming = false;
  state_->open = false;
  ++state_->close_calls;
  cv_.notify_all();
}

bool FakeDevice::is_open() const { return state_->is_open(); }

Result<void> FakeDevice::require_open_locked() const {
  if (!state_->open) return make_error(ErrorCode::kFailedPrecondition, "V4L2 device is not open");
  return {};
}

const FakeFormat* FakeDevice::find_format(std::uint32_t fourcc) const {
  for (const FakeFormat& f : config_.formats) {
    if (f.fourcc == fourcc) return &f;
  }
  return nullptr;
}

Result<Capabilities> FakeDevice::query_capabilities() {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  return config_.caps;
}

Result<std::vector<FormatDesc>> FakeDevice::enumerate_formats() {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  std::vector<FormatDesc> out;
  for (const FakeFormat& f : config_.formats) out.push_back({f.fourcc, f.description, f.compressed, false});
  return out;
}

Result<std::vector<FrameSizeDesc>> FakeDevice::enumerate_frame_sizes(std::uint32_t fourcc) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  std::vector<FrameSizeDesc> out;
  if (const FakeFormat* f = find_format(fourcc)) {
    for (const FakeSize& s : f->sizes) {
      FrameSizeDesc d;
      d.width = s.width;
      d.height = s.height;
      out.push_back(d);
    }
  }
  return out;
}

Result<std::vector<FrameIntervalDesc>> FakeDevice::enumerate_frame_intervals(std::uint32_t fourcc, std::uint32_t width,
                                                                             std::uint32_t height) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  std::vector<FrameIntervalDesc> out;
  if (const FakeFormat* f = find_format(fourcc)) {
    for (const FakeSize& s : f->sizes) {
      if (s.width != width || s.height != height) continue;
      for (const Fraction& i : s.intervals) {
        FrameIntervalDesc d;
        d.interval = i;
        out.push_back(d);
      }
    }
  }
  return out;
}

Result<ActiveFormat> FakeDevice::set_format(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  if (config_.busy_on_set_format || state_->streaming) return make_error(device_busy(path_));
  const FakeFormat* f = find_format(fourcc);
  if (f == nullptr) f = config_.formats.empty() ? nullptr : &config_.formats.front();  // as drivers do
  if (f == nullptr || f->sizes.empty()) return make_error(ErrorCode::kIo, "{}: VIDIOC_S_FMT failed", path_);
  // The nearest size, as a driver picks it.
  const FakeSize* best = &f->sizes.front();
  auto distance = [&](const FakeSize& s) {
    return std::llabs(static_cast<long long>(s.width) - width) + std::llabs(static_cast<long long>(s.height) - height);
  };
  for (const FakeSize& s : f->sizes) {
    if (distance(s) < distance(*best)) best = &s;
  }
  ActiveFormat a;
  a.fourcc = f->fourcc;
  a.width = best->width;
  a.height = best->height;
  a.bytes_per_line = is_jpeg(f->fourcc) ? 0 : best->width * 2;
  a.size_image = is_jpeg(f->fourcc) ? best->width * best->height : best->width * best->height * 2;
  if (config_.buffer_size != 0) a.size_image = static_cast<std::uint32_t>(config_.buffer_size);
  a.color_range = is_jpeg(f->fourcc) ? ColorRange::kFull : ColorRange::kLimited;
  a.color_matrix = ColorMatrix::kBt601;
  state_->format = a;
  if (!best->intervals.empty()) state_->interval = best->intervals.front();
  return a;
}

Result<Fraction> FakeDevice::set_frame_interval(Fraction interval) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  // The nearest interval offered for the current size.
  const FakeFormat* f = find_format(state_->format.fourcc);
  Fraction chosen = state_->interval;
  double best = std::numeric_limits<double>::infinity();
  if (f != nullptr) {
    for (const FakeSize& s : f->sizes) {
      if (s.width != state_->format.width || s.height != state_->format.height) continue;
      for (const Fraction& i : s.intervals) {
        const double d = std::abs(i.seconds() - interval.seconds());
        if (d < best) {
          best = d;
          chosen = i;
        }
      }
    }
  }
  state_->interval = chosen;
  return chosen;
}

Result<std::vector<MappedBuffer>> FakeDevice::request_buffers(std::uint32_t count) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  if (state_->streaming) return make_error(device_busy(path_));
  release_buffers_locked();
  if (count == 0) return std::vector<MappedBuffer>();
  count = std::clamp(count, config_.min_buffers, config_.max_buffers);
  const std::size_t size = std::max<std::size_t>(state_->format.size_image, 1);
  buffers_.assign(count, std::vector<std::uint8_t>(size, 0));
  queued_.assign(count, false);
  state_->queued_per_buffer.assign(count, 0);
  state_->buffer_addresses.clear();
  std::vector<MappedBuffer> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    out.push_back({i, buffers_[i].data(), buffers_[i].size()});
    state_->buffer_addresses.push_back(buffers_[i].data());
  }
  state_->buffers_mapped = true;
  return out;
}

void FakeDevice::release_buffers_locked() {
  buffers_.clear();
  queued_.clear();
  queue_.clear();
  state_->buffers_mapped = false;
}

Result<void> FakeDevice::release_buffers() {
  std::lock_guard lock(state_->mu);
  release_buffers_locked();
  return {};
}

Result<void> FakeDevice::queue_buffer(std::uint32_t index) {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  if (index >= buffers_.size()) {
    return make_error(ErrorCode::kIo, "{}: VIDIOC_QBUF failed: no buffer {}", path_, index);
  }
  if (queued_[index]) {
    return make_error(ErrorCode::kIo, "{}: VIDIOC_QBUF failed: buffer {} is already queued", path_, index);
  }
  queued_[index] = true;
  queue_.push_back(index);
  ++state_->queued_per_buffer[index];
  cv_.notify_all();
  return {};
}

Result<std::optional<DequeuedBuffer>> FakeDevice::dequeue_buffer(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  const bool ready = cv_.wait_for(lock, timeout, [&] {
    return !state_->open || (state_->streaming && !queue_.empty() && state_->frames_produced < config_.frame_limit);
  });
  if (!state_->open) return make_error(device_disconnected(path_));
  if (!ready) return std::optional<DequeuedBuffer>();
  const std::uint32_t index = queue_.front();
  queue_.pop_front();
  queued_[index] = false;

  while (config_.dropped_sequences.count(next_sequence_) != 0) ++next_sequence_;
  FakeFill fill;
  fill.sequence = next_sequence_++;
  fill.frame_index = state_->frames_produced++;
  fill.buffer = buffers_[index];
  fill.format = state_->format;
  std::size_t used = 0;
  if (config_.fill) {
    used = config_.fill(fill);
  } else if (!is_jpeg(fill.format.fourcc)) {
    used = fill_yuyv_pattern(fill.buffer, fill.format.width, fill.format.height, fill.format.bytes_per_line,
                             fill.frame_index);
  }
  DequeuedBuffer d;
  d.index = index;
  d.bytes_used = static_cast<std::uint32_t>(std::min(used, fill.buffer.size()));
  d.sequence = fill.sequence;
  if (config_.timestamp) {
    d.timestamp_ns = config_.timestamp(fill.sequence);
    d.flags |= config_.monotonic_timestamps ? V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC : V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN;
  } else if (config_.monotonic_timestamps) {
    // Like a driver: when the frame was captured (1 ms ago), on CLOCK_MONOTONIC, in microseconds.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    d.timestamp_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec / 1000 * 1000 - 1'000'000;
    d.flags |= V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
  } else {
    d.timestamp_ns = 1'000'000'000LL * fill.sequence;  // some other clock
    d.flags |= V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN;
  }
  if (config_.error_frames.count(fill.frame_index) != 0) d.flags |= V4L2_BUF_FLAG_ERROR;
  ++state_->dequeued;
  return std::optional<DequeuedBuffer>(d);
}

Result<void> FakeDevice::stream_on() {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  if (buffers_.empty()) return make_error(ErrorCode::kIo, "{}: VIDIOC_STREAMON failed: no buffers", path_);
  state_->streaming = true;
  ++state_->stream_on_calls;
  next_sequence_ = 0;
  cv_.notify_all();
  return {};
}

Result<void> FakeDevice::stream_off() {
  std::lock_guard lock(state_->mu);
  STREAMLIB_RETURN_IF_ERROR(require_open_locked());
  state_->streaming = false;
  ++state_->stream_off_calls;
  // Like VIDIOC_STREAMOFF: every queued buffer comes back.
  queue_.clear();
  std::fill(queued_.begin(), queued_.end(), false);
  cv_.notify_all();
  return {};
}

}  // namespace streamlib::v4l2
