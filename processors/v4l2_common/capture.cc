#include "v4l2_common/capture.h"

#include <time.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "v4l2_common/linux_device.h"

namespace streamlib::v4l2 {

namespace {

std::int64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

// The device and its buffers, shared by the Capture and every YUYV frame it handed out; the
// last of them to let go closes the device (intrusive count: a frame's release captures one
// pointer and an index, which fits std::function's small buffer).
struct Capture::Shared {
  enum class BufferState : std::uint8_t { kIdle, kQueued, kOut };

  explicit Shared(std::unique_ptr<Device> d) : device(std::move(d)) {}
  ~Shared() {
    (void)device->release_buffers();
    device->close();
  }

  void ref() { refs.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // With `mu` held: buffer `index` goes back to the driver while streaming, else rests.
  void give_back_locked(std::uint32_t index) noexcept {
    if (streaming) {
      if (device->queue_buffer(index).has_value()) {
        states[index] = BufferState::kQueued;
        return;
      }
      requeue_errors.fetch_add(1, std::memory_order_relaxed);
    }
    states[index] = BufferState::kIdle;
  }

  // A YUYV frame's last reader let go (any thread).
  void release_frame(std::uint32_t index) noexcept {
    {
      std::lock_guard lock(mu);
      give_back_locked(index);
    }
    held.fetch_sub(1, std::memory_order_acq_rel);
    unref();
  }

  std::unique_ptr<Device> device;
  std::mutex mu;           // streaming, states, and queueing from releases vs. stream on/off
  bool streaming = false;  // written by the capture thread under mu
  std::vector<MappedBuffer> buffers;
  std::vector<BufferState> states;
  std::atomic<std::uint32_t> refs{1};
  std::atomic<std::size_t> held{0};
  std::atomic<std::uint64_t> requeue_errors{0};
};

Result<std::unique_ptr<Capture>> Capture::open(const std::string& path) {
  return open(std::make_unique<LinuxDevice>(), path);
}

Result<std::unique_ptr<Capture>> Capture::open(std::unique_ptr<Device> device, const std::string& path) {
  if (!device) return make_error(ErrorCode::kInvalidArgument, "no device given for {}", path);
  STREAMLIB_RETURN_IF_ERROR(device->open(path));
  auto caps = device->query_capabilities();
  if (!caps) {
    device->close();
    return make_error(caps.error());
  }
  if (!caps->can_capture()) {
    device->close();
    return make_error(not_capture_device(path, *caps));
  }
  if (!caps->can_stream()) {
    device->close();
    return make_error(ErrorCode::kUnsupported, "{} cannot stream (no mmap streaming I/O)", path);
  }
  std::unique_ptr<Capture> capture(new Capture());
  capture->path_ = path;
  capture->caps_ = std::move(*caps);
  capture->shared_ = new Shared(std::move(device));
  return capture;
}

Capture::~Capture() { close(); }

Result<DeviceDescription> Capture::describe() {
  if (shared_ == nullptr) return make_error(ErrorCode::kFailedPrecondition, "{} is closed", path_);
  return describe_device(*shared_->device);
}

Result<FormatSelection> Capture::configure(const FormatRequest& request) {
  if (shared_ == nullptr) return make_error(ErrorCode::kFailedPrecondition, "{} is closed", path_);
  if (streaming()) return make_error(ErrorCode::kFailedPrecondition, "{}: stop() before configure()", path_);
  Shared& s = *shared_;
  if (!s.buffers.empty()) {
    if (s.held.load() != 0) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "{}: {} frames of the current format are still held; release them before configure()", path_,
                        s.held.load());
    }
    std::lock_guard lock(s.mu);
    STREAMLIB_RETURN_IF_ERROR(s.device->release_buffers());
    s.buffers.clear();
    s.states.clear();
  }
  STREAMLIB_ASSIGN_OR_RETURN(const DeviceDescription description, describe_device(*s.device));
  STREAMLIB_ASSIGN_OR_RETURN(FormatSelection selection, select_format(description, request));
  STREAMLIB_ASSIGN_OR_RETURN(ActiveFormat format,
                             s.device->set_format(selection.fourcc, selection.width, selection.height));
  if (format.fourcc == kFourccYuyv && format.bytes_per_line == 0) format.bytes_per_line = format.width * 2;
  STREAMLIB_ASSIGN_OR_RETURN(const Fraction interval, s.device->set_frame_interval(selection.interval));
  if (format.width != selection.width || format.height != selection.height) {
    selection.reason += fmt::format("; the driver set {}x{}", format.width, format.height);
    selection.width = format.width;
    selection.height = format.height;
  }
  if (interval.numerator != 0 && !(interval == selection.interval)) {
    selection.reason += fmt::format("; the driver set {:g} fps", interval.fps());
  }
  if (interval.numerator != 0) selection.interval = interval;
  if (is_jpeg(format.fourcc) && !decoder_) {
    STREAMLIB_ASSIGN_OR_RETURN(decoder_, MjpegDecoder::create());
  }
  format_ = format;
  interval_ = selection.interval;
  configured_ = true;
  return selection;
}

bool Capture::streaming() const { return shared_ != nullptr && shared_->streaming; }

Result<void> Capture::start(std::uint32_t buffer_count) {
  if (shared_ == nullptr) return make_error(ErrorCode::kFailedPrecondition, "{} is closed", path_);
  if (!configured_) return make_error(ErrorCode::kFailedPrecondition, "{}: configure() before start()", path_);
  if (streaming()) return {};
  if (buffer_count == 0) return make_error(ErrorCode::kInvalidArgument, "{}: need at least one buffer", path_);
  Shared& s = *shared_;
  std::lock_guard lock(s.mu);
  if (s.buffers.empty()) {
    STREAMLIB_ASSIGN_OR_RETURN(s.buffers, s.device->request_buffers(buffer_count));
    s.states.assign(s.buffers.size(), Shared::BufferState::kIdle);
  }
  for (std::uint32_t i = 0; i < s.buffers.size(); ++i) {
    if (s.states[i] != Shared::BufferState::kIdle) continue;  // a held frame's: queued when released
    STREAMLIB_RETURN_IF_ERROR(s.device->queue_buffer(i));
    s.states[i] = Shared::BufferState::kQueued;
  }
  if (auto on = s.device->stream_on(); !on) {
    (void)s.device->stream_off();  // takes the queued buffers back
    for (auto& state : s.states) {
      if (state == Shared::BufferState::kQueued) state = Shared::BufferState::kIdle;
    }
    return make_error(on.error());
  }
  s.streaming = true;
  last_sequence_.reset();
  // Drivers count sequence numbers from 0 again at each stream on: frame numbers go on.
  sequence_base_ = next_number_;
  return {};
}

Result<void> Capture::stop() {
  if (!streaming()) return {};
  Shared& s = *shared_;
  std::lock_guard lock(s.mu);
  s.streaming = false;
  const Result<void> off = s.device->stream_off();
  for (auto& state : s.states) {
    if (state == Shared::BufferState::kQueued) state = Shared::BufferState::kIdle;
  }
  return off;
}

void Capture::close() {
  if (shared_ == nullptr) return;
  (void)stop();
  std::exchange(shared_, nullptr)->unref();  // the last held frame may close the device later
}

void Capture::requeue(std::uint32_t index) {
  std::lock_guard lock(shared_->mu);
  shared_->give_back_locked(index);
}

Result<std::optional<VideoFrame>> Capture::next_frame(std::chrono::milliseconds timeout) {
  if (!streaming()) return make_error(ErrorCode::kFailedPrecondition, "{}: start() before next_frame()", path_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    STREAMLIB_ASSIGN_OR_RETURN(const std::optional<DequeuedBuffer> buffer, shared_->device->dequeue_buffer(left));
    if (!buffer) return std::optional<VideoFrame>();
    if (buffer->index >= shared_->buffers.size()) {
      return make_error(ErrorCode::kInternal, "{}: the driver returned unknown buffer {}", path_, buffer->index);
    }
    {
      std::lock_guard lock(shared_->mu);
      shared_->states[buffer->index] = Shared::BufferState::kOut;
    }
    if (last_sequence_ && buffer->sequence > *last_sequence_ + 1) {
      bump(dropped_, buffer->sequence - *last_sequence_ - 1);
    }
    last_sequence_ = buffer->sequence;
    next_number_ = std::max(next_number_, sequence_base_ + buffer->sequence + 1);
    STREAMLIB_ASSIGN_OR_RETURN(std::optional<VideoFrame> frame, produce(*buffer));
    if (frame) {
      bump(frames_);
      return frame;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::optional<VideoFrame>();
  }
}

Result<std::optional<VideoFrame>> Capture::produce(const DequeuedBuffer& buffer) {
  const MappedBuffer& mapped = shared_->buffers[buffer.index];
  const std::size_t used = std::min<std::size_t>(buffer.bytes_used, mapped.length);
  const std::int64_t pts = buffer.monotonic_timestamp() ? buffer.timestamp_ns : monotonic_now_ns();
  const auto duration = static_cast<std::int64_t>(interval_.seconds() * 1e9);
  if (buffer.has_error() || used == 0) {
    bump(corrupt_);
    requeue(buffer.index);
    return std::optional<VideoFrame>();
  }

  if (is_jpeg(format_.fourcc)) {
    Result<WritableVideoFrame> decoded = decoder_->decode({mapped.data, used}, pool_);
    requeue(buffer.index);  // decoded (or not): the device may have its buffer back
    if (!decoded) {
      bump(decode_errors_);
      return std::optional<VideoFrame>();
    }
    decoded->set_timestamp_ns(pts);
    decoded->set_duration_ns(duration);
    decoded->set_frame_number(sequence_base_ + buffer.sequence);
    return std::optional<VideoFrame>(std::move(*decoded).freeze());
  }

  // YUYV: the device buffer itself becomes the frame.
  const std::size_t picture = static_cast<std::size_t>(format_.bytes_per_line) * format_.height;
  if (used < picture || format_.width == 0 || format_.height == 0) {
    bump(corrupt_);
    requeue(buffer.index);
    return std::optional<VideoFrame>();
  }
  ExternalPlanes planes;
  planes.width = static_cast<int>(format_.width);
  planes.height = static_cast<int>(format_.height);
  planes.format = PixelFormat::kYuyv;
  planes.data[0] = mapped.data;
  planes.strides[0] = static_cast<int>(format_.bytes_per_line);
  Shared* shared = shared_;
  const std::uint32_t index = buffer.index;
  shared->ref();
  shared->held.fetch_add(1, std::memory_order_acq_rel);
  std::optional<WritableVideoFrame> w;
  try {
    w.emplace(pool_.wrap(planes, [shared, index] { shared->release_frame(index); }));
  } catch (const std::exception&) {
    // wrap() already ran the release (buffer queued again, references dropped).
    bump(corrupt_);
    return std::optional<VideoFrame>();
  }
  w->set_timestamp_ns(pts);
  w->set_duration_ns(duration);
  w->set_frame_number(sequence_base_ + buffer.sequence);
  w->set_color(format_.color_range, format_.color_matrix);
  w->set_keyframe(true);
  return std::optional<VideoFrame>(std::move(*w).freeze());
}

CaptureStats Capture::stats() const {
  CaptureStats s;
  s.frames = frames_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.corrupt = corrupt_.load(std::memory_order_relaxed);
  s.decode_errors = decode_errors_.load(std::memory_order_relaxed);
  s.requeue_errors = shared_ != nullptr ? shared_->requeue_errors.load(std::memory_order_relaxed) : 0;
  return s;
}

std::size_t Capture::frames_held() const { return shared_ != nullptr ? shared_->held.load() : 0; }

std::size_t Capture::buffer_count() const { return shared_ != nullptr ? shared_->buffers.size() : 0; }

}  // namespace streamlib::v4l2
