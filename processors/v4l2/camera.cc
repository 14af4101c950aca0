#include "v4l2/camera.h"

#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "v4l2_common/linux_device.h"

namespace streamlib {
namespace {

// How long the capture thread waits for a buffer before it looks at running_ again.
constexpr std::chrono::milliseconds kPollInterval(50);

std::mutex& factory_mutex() {
  static std::mutex mu;
  return mu;
}
CameraDeviceFactory& factory_slot() {
  static CameraDeviceFactory factory;
  return factory;
}

std::unique_ptr<v4l2::Device> make_device(const std::string& path) {
  CameraDeviceFactory factory;
  {
    std::lock_guard lock(factory_mutex());
    factory = factory_slot();
  }
  if (factory) return factory(path);
  return std::make_unique<v4l2::LinuxDevice>();
}

// Errors name the device: the layer's own already do; others get it as context.
Error with_path(const Error& error, const std::string& path) {
  return error.message().find(path) == std::string::npos ? error.with_context(path) : error;
}

}  // namespace

CameraDeviceFactory set_camera_device_factory(CameraDeviceFactory factory) {
  std::lock_guard lock(factory_mutex());
  return std::exchange(factory_slot(), std::move(factory));
}

Camera::~Camera() { teardown(); }

Error Camera::named(const Error& error) const {
  return error.with_context(fmt::format("{} '{}'", type_name(), context().processor_id()));
}

Result<void> Camera::setup(RuntimeContext&) {
  const CameraConfig& c = config();
  auto capture = v4l2::Capture::open(make_device(c.device), c.device);
  if (!capture) return make_error(named(with_path(capture.error(), c.device)));
  const v4l2::FormatRequest request{.width = static_cast<std::uint32_t>(c.width),
                                    .height = static_cast<std::uint32_t>(c.height),
                                    .fps = c.fps,
                                    .pixel_format = c.format};
  auto mode = (*capture)->configure(request);
  if (!mode) return make_error(named(with_path(mode.error(), c.device)));
  {
    std::lock_guard lock(error_mu_);
    error_.reset();
  }
  std::lock_guard lock(stats_mu_);
  mode_ = std::move(*mode);
  capture_ = std::move(*capture);
  return {};
}

Result<void> Camera::start_streaming() {
  if (!capture_) return make_error(ErrorCode::kFailedPrecondition, "Camera: start_streaming() before setup()");
  if (thread_.joinable()) return {};
  if (auto r = capture_->start(static_cast<std::uint32_t>(config().buffers)); !r) {
    return make_error(named(with_path(r.error(), config().device)));
  }
  running_.store(true, std::memory_order_release);
  thread_ = std::thread([this] { capture_loop(); });
  return {};
}

void Camera::join_capture_thread() {
  running_.store(false, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void Camera::stop_streaming() {
  join_capture_thread();
  if (capture_) (void)capture_->stop();
}

Result<void> Camera::process() {
  std::lock_guard lock(error_mu_);
  if (error_) return make_error(*error_);
  return {};
}

void Camera::teardown() {
  join_capture_thread();
  std::unique_ptr<v4l2::Capture> capture;
  {
    std::lock_guard lock(stats_mu_);
    if (capture_) last_stats_ = capture_->stats();
    capture = std::move(capture_);
  }
  // Frames still held downstream keep their buffers mapped until released (see Capture).
  if (capture) capture->close();
}

void Camera::capture_loop() {
  while (running_.load(std::memory_order_acquire)) {
    auto next = capture_->next_frame(kPollInterval);
    if (!next) {
      {
        std::lock_guard lock(error_mu_);
        error_ = named(with_path(next.error(), capture_->path()));
      }
      context().request_process();  // process() reports it: the processor goes to Error
      return;
    }
    if (!*next) continue;  // no frame yet
    DrivenCycle cycle = context().begin_cycle();
    if (!cycle) {
      // Not streaming any more, or the runtime is busy with the processor: the frame is lost
      // (its buffer goes back to the driver as it is released here).
      skipped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    video.push(std::move(**next));
    captured_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t Camera::frames_dropped() const {
  std::lock_guard lock(stats_mu_);
  return capture_ ? capture_->stats().dropped : last_stats_.dropped;
}

nlohmann::json Camera::metrics() const {
  v4l2::CaptureStats s;
  std::string mode;
  {
    std::lock_guard lock(stats_mu_);
    s = capture_ ? capture_->stats() : last_stats_;
    mode = mode_.reason;
  }
  return {{"frames_captured", captured_.load(std::memory_order_relaxed)},
          {"frames_dropped", s.dropped},
          {"frames_skipped", skipped_.load(std::memory_order_relaxed)},
          {"corrupt_buffers", s.corrupt},
          {"decode_errors", s.decode_errors},
          {"requeue_errors", s.requeue_errors},
          {"mode", mode}};
}

}  // namespace streamlib
