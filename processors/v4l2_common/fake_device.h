// A Device that behaves like a camera, in memory: for tests, and for running camera pipelines
// on machines without one.
//
//   FakeDeviceConfig config;
//   config.formats = {{kFourccYuyv, "YUYV 4:2:2", false, {{640, 480, {{1, 30}, {1, 15}}}}}};
//   config.fill = [](const FakeFill& f) { ...write f.buffer...; return bytes_used; };
//   auto device = std::make_unique<FakeDevice>(config);
//   std::shared_ptr<FakeDeviceState> state = device->state();   // outlives the device
//   auto capture = Capture::open(std::move(device), "/dev/video0").value();
//
// Like a driver it adjusts a requested size to the nearest it offers, gives between
// min_buffers and max_buffers buffers, refuses to queue a buffer twice, hands buffers back in
// the order they were queued, and waits (up to the timeout) when none is queued. Each dequeued
// buffer is filled by `fill` and stamped with a sequence number (skipping `dropped_sequences`,
// as a driver does when it drops frames) and a timestamp. `state()` records what was done to the
// device (buffers queued per index, stream on/off, open/closed) for tests to check.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "v4l2_common/device.h"

namespace streamlib::v4l2 {

struct FakeSize {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<Fraction> intervals;  // discrete frame intervals
};

struct FakeFormat {
  std::uint32_t fourcc = kFourccYuyv;
  std::string description;
  bool compressed = false;
  std::vector<FakeSize> sizes;
};

// What `fill` gets for each frame the device produces.
struct FakeFill {
  std::uint32_t sequence = 0;
  std::uint32_t frame_index = 0;   // frames produced before this one
  std::span<std::uint8_t> buffer;  // the whole device buffer
  ActiveFormat format;
};

struct FakeDeviceConfig {
  Capabilities caps = default_caps();
  std::vector<FakeFormat> formats;
  // Fills a buffer and returns the bytes used. Default: a gradient of the right size for YUYV.
  std::function<std::size_t(const FakeFill&)> fill;
  // Open fails: "no such device", or EBUSY.
  bool missing = false;
  bool busy = false;
  // set_format() fails with EBUSY (another program streams from the device).
  bool busy_on_set_format = false;
  std::uint32_t min_buffers = 2;
  std::uint32_t max_buffers = 32;
  // Bytes a buffer holds; 0: what the format needs (width*height*2; for JPEG width*height).
  std::size_t buffer_size = 0;
  // Timestamps on the monotonic clock (flag set), else on an unknown clock.
  bool monotonic_timestamps = true;
  // The timestamp for a sequence number; default: the monotonic clock at dequeue minus 1 ms.
  std::function<std::int64_t(std::uint32_t sequence)> timestamp;
  // Sequence numbers the "driver" skips, as if those frames were dropped.
  std::set<std::uint32_t> dropped_sequences;
  // After this many frames the device produces nothing more (dequeue times out).
  std::uint32_t frame_limit = 0xFFFFFFFFU;
  // Buffers with these frame indexes are flagged V4L2_BUF_FLAG_ERROR.
  std::set<std::uint32_t> error_frames;

  static Capabilities default_caps();
};

// What happened to a FakeDevice; shared with the test, so it outlives the device.
struct FakeDeviceState {
  mutable std::mutex mu;
  bool open = false;
  bool streaming = false;
  bool buffers_mapped = false;
  int open_calls = 0;
  int close_calls = 0;
  int stream_on_calls = 0;
  int stream_off_calls = 0;
  ActiveFormat format;
  Fraction interval{1, 30};
  std::vector<std::uint64_t> queued_per_buffer;  // VIDIOC_QBUF per index, since the buffers were made
  std::vector<const std::uint8_t*> buffer_addresses;
  std::uint64_t dequeued = 0;
  std::uint32_t frames_produced = 0;

  // Snapshots under the lock.
  std::vector<std::uint64_t> queue_counts() const;
  std::uint64_t total_queued() const;
  bool is_open() const;
  bool is_streaming() const;
  bool are_buffers_mapped() const;
};

class FakeDevice final : public Device {
 public:
  explicit FakeDevice(FakeDeviceConfig config);
  ~FakeDevice() override;

  std::shared_ptr<FakeDeviceState> state() const { return state_; }

  Result<void> open(const std::string& path) override;
  void close() override;
  bool is_open() const override;
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
  const FakeFormat* find_format(std::uint32_t fourcc) const;
  Result<void> require_open_locked() const;
  void release_buffers_locked();

  FakeDeviceConfig config_;
  std::string path_;
  std::shared_ptr<FakeDeviceState> state_;
  std::condition_variable cv_;  // with state_->mu: a buffer was queued or streaming changed
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::vector<bool> queued_;
  std::deque<std::uint32_t> queue_;  // queued buffers, oldest first
  std::uint32_t next_sequence_ = 0;
};

// A YUYV test pattern: Y = (x + y + frame) & 0xFF, U = 64 + frame, V = 192 - frame (mod 256).
// Fills `buffer` row by row at `bytes_per_line` and returns the bytes used.
std::size_t fill_yuyv_pattern(std::span<std::uint8_t> buffer, std::uint32_t width, std::uint32_t height,
                              std::uint32_t bytes_per_line, std::uint32_t frame);

}  // namespace streamlib::v4l2
