// Camera: captures video from a V4L2 device (/dev/videoN) into `video`.
//
//   {"type": "Camera", "config": {"device": "/dev/video0", "width": 1280, "height": 720,
//                                 "fps": 30, "format": "auto"}}
//
// Config (SPEC §5 names): `device` (the node), `width`, `height`, `fps` (what is asked for: the
// mode is chosen by v4l2::select_format and the driver may settle on another; metrics say
// which), `format` — the pixel format preferred: "yuyv", "mjpeg" or "auto" — and `buffers`
// (mmap buffers; the frames downstream may hold at once).
//
// Frames: YUYV frames ARE the device buffers (zero copy; a buffer goes back to the driver when
// the last reader lets go); MJPEG is decoded to I420 (full range). timestamp_ns is the driver's
// capture time on the monotonic clock, frame_number the driver's sequence number.
//
// Lifecycle: setup() opens the device, checks that it is a capture device and sets the mode (a
// missing, busy or non-capture device is an error naming the path); start_streaming() streams
// on and starts the capture thread; stop_streaming() (pause, stop) joins it and streams off;
// teardown() closes the device. Device-driven (Manual): the capture thread pushes each frame
// inside RuntimeContext::begin_cycle(); a frame that arrives while the runtime is busy with the
// processor is skipped (its buffer re-queued) and counted. A capture error fails the processor.
//
// Tests inject the device: set_camera_device_factory() (a v4l2::FakeDevice drives the whole
// processor on a machine without a camera).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"
#include "v4l2_common/capture.h"
#include "v4l2_common/device.h"
#include "v4l2_common/format_selection.h"

namespace streamlib {

struct CameraConfig {
  std::string device = "/dev/video0";
  int width = 640;
  int height = 480;
  double fps = 30.0;
  v4l2::PixelPreference format = v4l2::PixelPreference::kAuto;
  int buffers = 4;
  Result<void> validate() const {
    if (device.empty()) return make_error(ErrorCode::kInvalidArgument, "device: must not be empty");
    STREAMLIB_RETURN_IF_ERROR(check_range("width", width, 1, 16384));
    STREAMLIB_RETURN_IF_ERROR(check_range("height", height, 1, 16384));
    STREAMLIB_RETURN_IF_ERROR(check_range("fps", fps, 0.1, 1000.0));
    return check_range("buffers", buffers, 2, 32);
  }
};
STREAMLIB_CONFIG(CameraConfig, device, width, height, fps, format, buffers);
STREAMLIB_CONFIG_DOCS(CameraConfig, {"device", "V4L2 device node (/dev/videoN)", "not empty", ConfigReload::kRestart},
                      {"width", "Width asked for in pixels (the driver may settle on another; metrics say)",
                       "[1, 16384]", ConfigReload::kRestart},
                      {"height", "Height asked for in pixels (the driver may settle on another; metrics say)",
                       "[1, 16384]", ConfigReload::kRestart},
                      {"fps", "Frame rate asked for in frames per second", "[0.1, 1000]", ConfigReload::kRestart},
                      {"format", "Preferred pixel format: yuyv (zero copy), mjpeg (decoded to I420) or auto", "",
                       ConfigReload::kRestart},
                      {"buffers", "Driver (mmap) buffers: how many frames downstream may hold at once", "[2, 32]",
                       ConfigReload::kRestart});

// Makes the Device a Camera opens for `path`. Empty (the default): the real device
// (v4l2::LinuxDevice). A test seam: tests install a factory of v4l2::FakeDevice.
using CameraDeviceFactory = std::function<std::unique_ptr<v4l2::Device>(const std::string& path)>;
// Installs `factory` for Cameras set up from now on; returns the previous one.
CameraDeviceFactory set_camera_device_factory(CameraDeviceFactory factory);

class Camera : public Processor<CameraConfig> {
 public:
  STREAMLIB_PROCESSOR(Camera, "Captures video from a V4L2 camera (/dev/videoN, YUYV or MJPEG)", Manual{});
  LinkOutput<VideoFrame> video{this, "video", "captured frames (YUYV zero-copy, or I420 decoded from MJPEG)"};

  ~Camera() override;

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> start_streaming() override;
  void stop_streaming() override;
  // Reports a capture error the capture thread met (Manual: requested by that thread).
  Result<void> process() override;
  void teardown() override;
  // {"frames_captured", "frames_dropped", "frames_skipped", "corrupt_buffers", "decode_errors",
  //  "requeue_errors", "mode"}
  nlohmann::json metrics() const override;

  std::uint64_t frames_captured() const { return captured_.load(std::memory_order_relaxed); }
  // Frames the driver dropped (gaps in its sequence numbers).
  std::uint64_t frames_dropped() const;
  // Frames captured but not delivered: the runtime was busy with the processor.
  std::uint64_t frames_skipped() const { return skipped_.load(std::memory_order_relaxed); }
  // The mode set in setup(), as the driver settled it (call on the processor's thread, or
  // while it runs no callback).
  const v4l2::FormatSelection& mode() const { return mode_; }

 private:
  Error named(const Error& error) const;
  void capture_loop();
  void join_capture_thread();

  std::unique_ptr<v4l2::Capture> capture_;
  v4l2::FormatSelection mode_;  // written under stats_mu_ (metrics() reads it from any thread)
  std::thread thread_;
  std::atomic<bool> running_{false};
  mutable std::mutex error_mu_;
  std::optional<Error> error_;  // GUARDED_BY(error_mu_): from the capture thread
  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> skipped_{0};
  // The Capture's counters, kept when it closes.
  v4l2::CaptureStats last_stats_;
  mutable std::mutex stats_mu_;
};

}  // namespace streamlib
