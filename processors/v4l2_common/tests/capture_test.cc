// Capture driven by the fake device: YUYV frames without a copy, buffers given back exactly
// once, the whole capture loop, timestamps, drops, corrupt buffers, lifetime.
#include "v4l2_common/capture.h"

#include <time.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "v4l2_common/fake_device.h"

namespace streamlib::v4l2 {
namespace {

using std::chrono::milliseconds;

constexpr std::uint32_t kWidth = 320;
constexpr std::uint32_t kHeight = 240;

FakeDeviceConfig yuyv_camera() {
  FakeDeviceConfig config;
  config.formats = {{kFourccYuyv, "YUYV 4:2:2", false, {{kWidth, kHeight, {{1, 30}, {1, 15}}}, {640, 480, {{1, 30}}}}}};
  return config;
}

struct Rig {
  std::unique_ptr<Capture> capture;
  std::shared_ptr<FakeDeviceState> state;
};

Rig start_rig(FakeDeviceConfig config, std::uint32_t buffers = 4) {
  auto device = std::make_unique<FakeDevice>(std::move(config));
  Rig rig;
  rig.state = device->state();
  rig.capture = Capture::open(std::move(device), "/dev/video0").value();
  rig.capture->configure({.width = kWidth, .height = kHeight, .fps = 30}).value();
  rig.capture->start(buffers).value();
  return rig;
}

VideoFrame next(Capture& capture) {
  std::optional<VideoFrame> f = capture.next_frame(milliseconds(1000)).value();
  if (!f) throw std::runtime_error("no frame within a second");
  return std::move(*f);
}

// Index of the device buffer a zero-copy frame points into.
std::size_t buffer_of(const VideoFrame& frame, const FakeDeviceState& state) {
  const auto it = std::find(state.buffer_addresses.begin(), state.buffer_addresses.end(), frame.plane(0).data());
  return static_cast<std::size_t>(it - state.buffer_addresses.begin());
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

TEST(Capture, ConfigureSetsTheSelectedModeOnTheDevice) {
  auto device = std::make_unique<FakeDevice>(yuyv_camera());
  const auto state = device->state();
  auto capture = Capture::open(std::move(device), "/dev/video0").value();
  EXPECT_EQ(capture->capabilities().card, "StreamLib Fake Camera");
  const FormatSelection s = capture->configure({.width = 320, .height = 240, .fps = 15}).value();
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_EQ(s.interval, (Fraction{1, 15}));
  EXPECT_EQ(capture->format().width, 320U);
  EXPECT_EQ(capture->format().bytes_per_line, 640U);
  EXPECT_EQ(capture->frame_interval(), (Fraction{1, 15}));
  std::lock_guard lock(state->mu);
  EXPECT_EQ(state->format.fourcc, kFourccYuyv);
  EXPECT_EQ(state->interval, (Fraction{1, 15}));
}

TEST(Capture, AYuyvBufferBecomesAFrameWithoutACopy) {
  Rig rig = start_rig(yuyv_camera());
  const VideoFrame frame = next(*rig.capture);
  ASSERT_EQ(frame.format(), PixelFormat::kYuyv);
  ASSERT_EQ(frame.width(), static_cast<int>(kWidth));
  ASSERT_EQ(frame.height(), static_cast<int>(kHeight));
  EXPECT_TRUE(frame.is_external());
  EXPECT_EQ(frame.stride(0), static_cast<int>(kWidth * 2));
  EXPECT_EQ(frame.color_range(), ColorRange::kLimited);
  EXPECT_EQ(frame.color_matrix(), ColorMatrix::kBt601);

  // The plane is the device buffer itself.
  const std::size_t index = buffer_of(frame, *rig.state);
  ASSERT_LT(index, rig.state->buffer_addresses.size()) << "frame memory is not a device buffer: copied";
  EXPECT_EQ(frame.plane(0).data(), rig.state->buffer_addresses[index]);

  // And holds what the device wrote.
  std::vector<std::uint8_t> want(kWidth * 2 * kHeight);
  fill_yuyv_pattern(want, kWidth, kHeight, kWidth * 2, 0);
  ASSERT_EQ(frame.plane(0).size(), want.size());
  EXPECT_TRUE(std::equal(want.begin(), want.end(), frame.plane(0).begin()));
  EXPECT_EQ(frame.plane(0)[0], 0);                  // Y at (0,0), frame 0
  EXPECT_EQ(frame.plane(0)[2 * 10 + 640 * 3], 13);  // Y at (10,3)
  EXPECT_EQ(frame.plane(0)[1], 64);                 // U
  EXPECT_EQ(frame.plane(0)[3], 192);                // V
}

TEST(Capture, ABufferIsQueuedAgainExactlyOnceWhenTheLastFrameHandleIsReleased) {
  Rig rig = start_rig(yuyv_camera());
  std::optional<VideoFrame> frame = next(*rig.capture);
  const std::size_t index = buffer_of(*frame, *rig.state);
  EXPECT_EQ(rig.state->queue_counts()[index], 1U);  // queued once by start()
  EXPECT_EQ(rig.capture->frames_held(), 1U);

  std::optional<VideoFrame> copy = frame;  // a second reader, same buffer
  EXPECT_EQ(copy->plane(0).data(), frame->plane(0).data());
  frame.reset();
  EXPECT_EQ(rig.state->queue_counts()[index], 1U) << "queued while a reader still holds it";
  copy.reset();
  EXPECT_EQ(rig.state->queue_counts()[index], 2U);
  EXPECT_EQ(rig.capture->frames_held(), 0U);
  EXPECT_EQ(rig.capture->stats().requeue_errors, 0U);
}

TEST(Capture, AFrameReleasedOnAnotherThreadIsQueuedAgainExactlyOnce) {
  Rig rig = start_rig(yuyv_camera());
  VideoFrame frame = next(*rig.capture);
  const std::size_t index = buffer_of(frame, *rig.state);
  std::thread consumer([f = std::move(frame)]() mutable { f = VideoFrame(); });
  consumer.join();
  EXPECT_EQ(rig.state->queue_counts()[index], 2U);
  EXPECT_EQ(rig.capture->frames_held(), 0U);
}

TEST(Capture, HandlesReleasedConcurrentlyOnManyThreadsQueueEachBufferOnce) {
  Rig rig = start_rig(yuyv_camera(), 6);
  for (int round = 0; round < 20; ++round) {
    std::vector<VideoFrame> frames;
    for (int i = 0; i < 4; ++i) frames.push_back(next(*rig.capture));
    const std::vector<std::uint64_t> before = rig.state->queue_counts();
    std::vector<std::size_t> indexes;
    for (const VideoFrame& f : frames) indexes.push_back(buffer_of(f, *rig.state));
    // Every frame has four readers on four threads, dropping their handles at the same moment.
    constexpr int kThreads = 4;
    std::barrier sync(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([copies = frames, &sync]() mutable {
        sync.arrive_and_wait();
        copies.clear();
      });
    }
    frames.clear();
    for (std::thread& t : threads) t.join();
    const std::vector<std::uint64_t> after = rig.state->queue_counts();
    for (std::size_t i = 0; i < after.size(); ++i) {
      const auto times = static_cast<std::uint64_t>(std::count(indexes.begin(), indexes.end(), i));
      ASSERT_EQ(after[i], before[i] + times) << "buffer " << i << " round " << round;
    }
  }
  EXPECT_EQ(rig.capture->stats().requeue_errors, 0U);
}

TEST(Capture, HoldingEveryBufferStarvesCaptureUntilOneIsReleased) {
  Rig rig = start_rig(yuyv_camera(), 3);
  ASSERT_EQ(rig.capture->buffer_count(), 3U);
  std::vector<VideoFrame> held;
  for (int i = 0; i < 3; ++i) held.push_back(next(*rig.capture));
  EXPECT_FALSE(rig.capture->next_frame(milliseconds(30)).value().has_value());  // timed out
  held.erase(held.begin());
  EXPECT_TRUE(rig.capture->next_frame(milliseconds(1000)).value().has_value());
}

TEST(Capture, RunsTheWholeLoopStreamOnFramesStreamOffCloseWithBuffersRecycled) {
  auto device = std::make_unique<FakeDevice>(yuyv_camera());
  const auto state = device->state();
  auto capture = Capture::open(std::move(device), "/dev/video0").value();
  EXPECT_TRUE(state->is_open());
  capture->configure({.width = kWidth, .height = kHeight, .fps = 30}).value();
  capture->start(4).value();
  EXPECT_TRUE(capture->streaming());
  EXPECT_TRUE(state->is_streaming());

  constexpr int kFrames = 100;
  std::int64_t last_pts = 0;
  for (int i = 0; i < kFrames; ++i) {
    const VideoFrame f = next(*capture);
    EXPECT_EQ(f.frame_number(), static_cast<std::uint64_t>(i));
    EXPECT_GT(f.timestamp_ns(), last_pts);
    EXPECT_EQ(f.duration_ns(), 33'333'333);
    EXPECT_EQ(f.plane(0)[0], static_cast<std::uint8_t>(i));  // Y(0,0) of frame i
    last_pts = f.timestamp_ns();
  }  // each frame released at the end of its iteration

  capture->stop().value();
  EXPECT_FALSE(capture->streaming());
  EXPECT_FALSE(state->is_streaming());
  const CaptureStats stats = capture->stats();
  EXPECT_EQ(stats.frames, static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_EQ(stats.corrupt, 0U);
  EXPECT_EQ(stats.requeue_errors, 0U);

  // Four buffers carried 100 frames: each was queued at start and again after every frame.
  const std::vector<std::uint64_t> counts = state->queue_counts();
  ASSERT_EQ(counts.size(), 4U);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}), 4U + kFrames);
  for (std::uint64_t c : counts) EXPECT_EQ(c, 1U + kFrames / 4);

  capture->close();
  EXPECT_FALSE(state->is_open());
  EXPECT_FALSE(state->are_buffers_mapped());
  std::lock_guard lock(state->mu);
  EXPECT_EQ(state->stream_on_calls, 1);
  EXPECT_EQ(state->stream_off_calls, 1);
  EXPECT_EQ(state->close_calls, 1);
}

TEST(Capture, CanStopAndStartAgain) {
  Rig rig = start_rig(yuyv_camera());
  VideoFrame held = next(*rig.capture);
  rig.capture->stop().value();
  EXPECT_FALSE(rig.capture->next_frame(milliseconds(10)).has_value());  // not streaming: an error
  held = VideoFrame();                                                  // released while stopped: not queued
  rig.capture->start().value();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rig.capture->next_frame(milliseconds(1000)).value().has_value());
  EXPECT_EQ(rig.capture->stats().requeue_errors, 0U);
}

TEST(Capture, ClosingWhileAFrameIsHeldKeepsItsMemoryUntilItIsReleased) {
  Rig rig = start_rig(yuyv_camera());
  std::optional<VideoFrame> frame = next(*rig.capture);
  const std::size_t index = buffer_of(*frame, *rig.state);
  const std::uint64_t queued = rig.state->queue_counts()[index];
  rig.capture->close();
  rig.capture.reset();  // even the Capture object is gone
  EXPECT_TRUE(rig.state->is_open());
  EXPECT_TRUE(rig.state->are_buffers_mapped());
  std::vector<std::uint8_t> want(kWidth * 2 * kHeight);
  fill_yuyv_pattern(want, kWidth, kHeight, kWidth * 2, 0);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), frame->plane(0).begin()));  // still readable
  frame.reset();
  EXPECT_FALSE(rig.state->is_open());
  EXPECT_FALSE(rig.state->are_buffers_mapped());
  EXPECT_EQ(rig.state->queue_counts()[index], queued);  // not queued after close
}

TEST(Capture, GapsInTheSequenceAreCountedAsDroppedFrames) {
  FakeDeviceConfig config = yuyv_camera();
  config.dropped_sequences = {3, 4, 10};
  Rig rig = start_rig(config);
  std::vector<std::uint64_t> numbers;
  for (int i = 0; i < 10; ++i) numbers.push_back(next(*rig.capture).frame_number());
  EXPECT_EQ(numbers, (std::vector<std::uint64_t>{0, 1, 2, 5, 6, 7, 8, 9, 11, 12}));
  EXPECT_EQ(rig.capture->stats().dropped, 3U);
  EXPECT_EQ(rig.capture->stats().frames, 10U);
}

TEST(Capture, FrameNumbersGoOnAcrossAStopAndStart) {
  Rig rig = start_rig(yuyv_camera());
  for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(next(*rig.capture).frame_number(), i);
  rig.capture->stop().value();
  rig.capture->start().value();  // the driver counts from 0 again
  for (std::uint64_t i = 3; i < 6; ++i) EXPECT_EQ(next(*rig.capture).frame_number(), i);
}

TEST(Capture, TakesTheBuffersTimestampWhenItIsOnTheMonotonicClock) {
  FakeDeviceConfig config = yuyv_camera();
  config.timestamp = [](std::uint32_t sequence) { return 5'000'000'000LL + sequence * 33'333'333LL; };
  Rig rig = start_rig(config);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(next(*rig.capture).timestamp_ns(), 5'000'000'000LL + i * 33'333'333LL);
}

TEST(Capture, StampsFramesWithNowWhenTheBuffersClockIsNotMonotonic) {
  FakeDeviceConfig config = yuyv_camera();
  config.monotonic_timestamps = false;
  config.timestamp = [](std::uint32_t sequence) { return 7LL * sequence; };  // some other clock
  Rig rig = start_rig(config);
  const std::int64_t before = monotonic_ns();
  const VideoFrame f = next(*rig.capture);
  const std::int64_t after = monotonic_ns();
  EXPECT_GE(f.timestamp_ns(), before);
  EXPECT_LE(f.timestamp_ns(), after);
}

TEST(Capture, SkipsCorruptAndShortBuffersAndQueuesThemAgain) {
  FakeDeviceConfig config = yuyv_camera();
  config.error_frames = {1};
  config.fill = [](const FakeFill& f) -> std::size_t {
    const std::size_t full =
        fill_yuyv_pattern(f.buffer, f.format.width, f.format.height, f.format.bytes_per_line, f.frame_index);
    return f.frame_index == 3 ? full / 2 : full;  // frame 3 is cut short
  };
  Rig rig = start_rig(config);
  std::vector<std::uint64_t> numbers;
  for (int i = 0; i < 3; ++i) numbers.push_back(next(*rig.capture).frame_number());
  EXPECT_EQ(numbers, (std::vector<std::uint64_t>{0, 2, 4}));
  EXPECT_EQ(rig.capture->stats().corrupt, 2U);
  EXPECT_EQ(rig.capture->frames_held(), 0U);
  EXPECT_EQ(rig.state->total_queued(), 4U + 5U);  // every buffer dequeued went back
}

TEST(Capture, NextFrameTimesOutWhenTheDeviceSendsNothing) {
  FakeDeviceConfig config = yuyv_camera();
  config.frame_limit = 2;
  Rig rig = start_rig(config);
  next(*rig.capture);
  next(*rig.capture);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(rig.capture->next_frame(milliseconds(50)).value().has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(45));
}

TEST(Capture, RefusesToRunOutOfOrder) {
  auto capture = Capture::open(std::make_unique<FakeDevice>(yuyv_camera()), "/dev/video0").value();
  EXPECT_EQ(capture->start().error().code(), ErrorCode::kFailedPrecondition);  // configure first
  EXPECT_EQ(capture->next_frame(milliseconds(1)).error().code(), ErrorCode::kFailedPrecondition);
  capture->configure({.width = kWidth, .height = kHeight}).value();
  capture->start().value();
  EXPECT_EQ(capture->configure({}).error().code(), ErrorCode::kFailedPrecondition);  // while streaming
  capture->close();
  EXPECT_EQ(capture->start().error().code(), ErrorCode::kFailedPrecondition);  // closed
}

TEST(Capture, ReconfiguresBetweenRunsOnceNoFrameIsHeld) {
  Rig rig = start_rig(yuyv_camera());
  std::optional<VideoFrame> held = next(*rig.capture);
  rig.capture->stop().value();
  EXPECT_FALSE(rig.capture->configure({.width = 640, .height = 480}).has_value());  // a frame is held
  held.reset();
  const FormatSelection s = rig.capture->configure({.width = 640, .height = 480}).value();
  EXPECT_EQ(s.width, 640U);
  rig.capture->start().value();
  EXPECT_EQ(next(*rig.capture).width(), 640);
}

}  // namespace
}  // namespace streamlib::v4l2
