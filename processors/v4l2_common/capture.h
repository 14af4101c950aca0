// Capturing VideoFrames from a V4L2 device: what the Camera processor wraps.
//
//   auto cam = Capture::open("/dev/video0").value();            // or open(make_unique<FakeDevice>(..), path)
//   FormatSelection mode = cam->configure({.width = 1280, .height = 720, .fps = 30}).value();
//   cam->start(4).value();                                      // 4 mmap buffers, stream on
//   while (running) {
//     std::optional<VideoFrame> f = cam->next_frame(std::chrono::milliseconds(100)).value();
//     if (f) out.push(*f);                                      // nothing: timed out
//   }
//   cam->stop().value();
//   cam->close();
//
// Frames.
//  - YUYV: the frame's plane IS the device buffer (no copy): VideoFramePool::wrap() with a
//    release that queues the buffer again (VIDIOC_QBUF) when the last handle goes, on whatever
//    thread that is. While the application holds a frame its buffer is out of the driver's
//    queue, so holding more frames than there are buffers starves the capture (next_frame()
//    then times out); start() with enough buffers for the pipeline's depth.
//  - MJPEG: decoded (MjpegDecoder) into a pooled I420 frame, full range; the device buffer is
//    queued again right after decoding.
//  - timestamp_ns: the driver's capture time when the buffer says it is on the monotonic clock
//    (V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC), else the monotonic time of dequeueing; duration_ns the
//    frame interval; frame_number the driver's sequence number, continued across stop()/start()
//    (drivers count from 0 again at each stream on, so a restart adds the numbers before). Gaps in the sequence are
//    frames the driver dropped, counted in stats().dropped.
//  - Corrupt buffers (V4L2_BUF_FLAG_ERROR, empty, or shorter than a YUYV picture) and JPEGs
//    that do not decode are skipped (counted) and their buffers queued again.
//
// Lifetime: stop() and close() may come while frames are still held. Their buffers then stay
// mapped and the device open until the last of them is released (which no longer queues
// them); so a frame is always safe to read.
//
// Threads: every member on one thread (the capture thread); frames may be released on any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"
#include "v4l2_common/device.h"
#include "v4l2_common/format_selection.h"
#include "v4l2_common/mjpeg_decoder.h"

namespace streamlib::v4l2 {

struct CaptureStats {
  std::uint64_t frames = 0;          // frames delivered
  std::uint64_t dropped = 0;         // frames the driver skipped (sequence gaps)
  std::uint64_t corrupt = 0;         // buffers flagged as errors, empty, or too short
  std::uint64_t decode_errors = 0;   // MJPEG buffers that did not decode
  std::uint64_t requeue_errors = 0;  // VIDIOC_QBUF failures when a frame was released
};

class Capture {
 public:
  // Opens a real device node.
  static Result<std::unique_ptr<Capture>> open(const std::string& path);
  // Opens `path` through `device` (a FakeDevice in tests). Errors: the device's own ("no such
  // device /dev/video9", "device busy", "/dev/null is not a V4L2 device"), and
  // "/dev/videoN is not a capture device" / "... cannot stream" from the capabilities.
  static Result<std::unique_ptr<Capture>> open(std::unique_ptr<Device> device, const std::string& path);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  const std::string& path() const { return path_; }
  const Capabilities& capabilities() const { return caps_; }

  // What the device can capture.
  Result<DeviceDescription> describe();
  // Picks the mode for `request` (select_format), sets it (VIDIOC_S_FMT, VIDIOC_S_PARM) and
  // returns it as the driver settled it. Not while streaming.
  Result<FormatSelection> configure(const FormatRequest& request);
  // Valid after configure().
  const ActiveFormat& format() const { return format_; }
  Fraction frame_interval() const { return interval_; }

  // Requests `buffer_count` mmap buffers (the first time), queues them and streams on.
  Result<void> start(std::uint32_t buffer_count = 4);
  bool streaming() const;
  // The next frame, or nothing if none came within `timeout`. Needs start().
  Result<std::optional<VideoFrame>> next_frame(std::chrono::milliseconds timeout);
  // Streams off; frames still held stay valid.
  Result<void> stop();
  // Stops and lets the device go (now, or when the last held frame is released).
  void close();

  CaptureStats stats() const;
  // YUYV frames the application still holds (device buffers out of the driver's queue).
  std::size_t frames_held() const;
  // Device buffers in use (0 before start()).
  std::size_t buffer_count() const;

 private:
  struct Shared;
  Capture() = default;
  void requeue(std::uint32_t index);
  Result<std::optional<VideoFrame>> produce(const DequeuedBuffer& buffer);

  std::string path_;
  Capabilities caps_;
  Shared* shared_ = nullptr;  // device + buffers; also referenced by every YUYV frame out
  bool configured_ = false;
  ActiveFormat format_;
  Fraction interval_;
  std::unique_ptr<MjpegDecoder> decoder_;
  VideoFramePool pool_;
  std::optional<std::uint32_t> last_sequence_;
  std::uint64_t sequence_base_ = 0;  // added to the driver's sequence (restarted at each start())
  std::uint64_t next_number_ = 0;    // the frame number after the last buffer dequeued
  std::atomic<std::uint64_t> frames_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> decode_errors_{0};
};

}  // namespace streamlib::v4l2
