// Camera driven by a FakeDevice (no camera on this machine): through ProcessorHarness and a real
// StreamRuntime, YUYV zero-copy and MJPEG decoded; and the real device errors (/dev/video99,
// /dev/null) at start.
#include "v4l2/camera.h"

#include <linux/videodev2.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"
#include "v4l2_common/fake_device.h"

namespace streamlib {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using v4l2::FakeDevice;
using v4l2::FakeDeviceConfig;
using v4l2::FakeDeviceState;

constexpr int kWidth = 320;
constexpr int kHeight = 240;

template <class Pred>
bool eventually(Pred pred, milliseconds timeout = milliseconds(20000)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return pred();
}

// The driver's timestamp of sequence number `seq` (monotonic clock).
std::int64_t stamp(std::uint32_t seq) { return 5'000'000'000LL + static_cast<std::int64_t>(seq) * 33'333'333LL; }

// A YUYV camera at 320x240 and 640x480, about 500 frames a second (so the tests stay cheap).
FakeDeviceConfig yuyv_camera() {
  FakeDeviceConfig config;
  config.formats = {
      {v4l2::kFourccYuyv, "YUYV 4:2:2", false, {{kWidth, kHeight, {{1, 30}, {1, 15}}}, {640, 480, {{1, 30}}}}}};
  config.timestamp = stamp;
  config.fill = [](const v4l2::FakeFill& f) {
    std::this_thread::sleep_for(milliseconds(2));
    return v4l2::fill_yuyv_pattern(f.buffer, f.format.width, f.format.height, f.format.bytes_per_line, f.frame_index);
  };
  return config;
}

// Installs a factory of FakeDevices for the test's lifetime; remembers each device's state.
class FakeCameras {
 public:
  explicit FakeCameras(FakeDeviceConfig config) : config_(std::move(config)) {
    previous_ = set_camera_device_factory([this](const std::string& path) {
      auto device = std::make_unique<FakeDevice>(config_);
      std::lock_guard lock(mu_);
      states_.push_back(device->state());
      paths_.push_back(path);
      return device;
    });
  }
  ~FakeCameras() { (void)set_camera_device_factory(std::move(previous_)); }
  std::shared_ptr<FakeDeviceState> last() {
    std::lock_guard lock(mu_);
    return states_.empty() ? nullptr : states_.back();
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mu_);
    return paths_;
  }

 private:
  FakeDeviceConfig config_;
  CameraDeviceFactory previous_;
  std::mutex mu_;
  std::vector<std::shared_ptr<FakeDeviceState>> states_;
  std::vector<std::string> paths_;
};

// What a TestVideoSink saw of each frame (the frames themselves are released at once).
struct SeenFrame {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgba;
  std::int64_t timestamp_ns = 0;
  std::uint64_t frame_number = 0;
  bool external = false;
  std::uint8_t y0 = 0;
};

struct SinkStore {
  std::mutex mu;
  std::vector<SeenFrame> frames;
  bool finished = false;
  static std::shared_ptr<SinkStore> get(const std::string& id) {
    static std::mutex m;
    static std::map<std::string, std::shared_ptr<SinkStore>> all;
    std::lock_guard lock(m);
    auto& p = all[id];
    if (!p) p = std::make_shared<SinkStore>();
    return p;
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return frames.size();
  }
  void clear() {
    std::lock_guard lock(mu);
    frames.clear();
    finished = false;
  }
  std::vector<SeenFrame> snapshot() {
    std::lock_guard lock(mu);
    return frames;
  }
};

class TestVideoSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TestVideoSink, "Test sink noting the video frames it receives", Reactive{});
  LinkInput<VideoFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    store_ = SinkStore::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    in.drain([&](VideoFrame&& f) {
      std::lock_guard lock(store_->mu);
      store_->frames.push_back(
          {f.width(), f.height(), f.format(), f.timestamp_ns(), f.frame_number(), f.is_external(), f.plane(0)[0]});
    });
    return {};
  }
  Result<void> finish() override {
    std::lock_guard lock(store_->mu);
    store_->finished = true;
    return {};
  }

 private:
  std::shared_ptr<SinkStore> store_;
};

class CameraTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { (void)ProcessorFactory::global().register_type<TestVideoSink>(); }
};

CameraConfig yuyv_config(const std::string& device = "/dev/video0") {
  return {.device = device, .width = kWidth, .height = kHeight, .fps = 30, .format = v4l2::PixelPreference::kYuyv};
}

// Index of the device buffer a zero-copy frame points into (buffer_addresses.size() if none).
std::size_t buffer_of(const VideoFrame& frame, const FakeDeviceState& state) {
  std::lock_guard lock(state.mu);
  const auto it = std::find(state.buffer_addresses.begin(), state.buffer_addresses.end(), frame.plane(0).data());
  return static_cast<std::size_t>(it - state.buffer_addresses.begin());
}

int stream_on_calls(const FakeDeviceState& state) {
  std::lock_guard lock(state.mu);
  return state.stream_on_calls;
}
int stream_off_calls(const FakeDeviceState& state) {
  std::lock_guard lock(state.mu);
  return state.stream_off_calls;
}

TEST_F(CameraTest, IsRegisteredWithTheSpecNames) {
  const ProcessorDescriptor* d = ProcessorFactory::global().find("Camera");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->outputs.size(), 1u);
  EXPECT_EQ(d->outputs[0].name, "video");
  EXPECT_TRUE(d->inputs.empty());
  EXPECT_EQ(d->default_config.at("device"), "/dev/video0");
  for (const char* field : {"width", "height", "fps", "format"})
    EXPECT_TRUE(d->default_config.contains(field)) << field;
  EXPECT_EQ(d->default_config.at("format"), "auto");
  auto c = config_from_json<CameraConfig>({{"device", "/dev/video2"}, {"format", "mjpeg"}, {"fps", 60}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->format, v4l2::PixelPreference::kMjpeg);
  EXPECT_FALSE(config_from_json<CameraConfig>({{"format", "h264"}}));
  EXPECT_FALSE(config_from_json<CameraConfig>({{"width", 0}}));
}

TEST_F(CameraTest, YuyvFramesWrapTheDeviceBuffersAndGoBackWhenReleased) {
  FakeCameras fake(yuyv_camera());
  ProcessorHarness<Camera> h(yuyv_config(), "cam");
  ASSERT_TRUE(h.start());
  const auto state = fake.last();
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->is_streaming());
  EXPECT_EQ(h.processor().mode().width, static_cast<std::uint32_t>(kWidth));
  EXPECT_EQ(h.processor().mode().fourcc, v4l2::kFourccYuyv);

  // Take frames as they come and check each one.
  std::size_t seen = 0;
  std::uint64_t last_number = 0;
  ASSERT_TRUE(eventually([&] {
    for (VideoFrame& f : h.take<VideoFrame>("video")) {
      EXPECT_EQ(f.width(), kWidth);
      EXPECT_EQ(f.height(), kHeight);
      EXPECT_EQ(f.format(), PixelFormat::kYuyv);
      EXPECT_TRUE(f.is_external());
      EXPECT_LT(buffer_of(f, *state), 4u) << "not a device buffer";
      EXPECT_EQ(f.timestamp_ns(), stamp(static_cast<std::uint32_t>(f.frame_number())));
      if (seen > 0) {
        EXPECT_GT(f.frame_number(), last_number);
      }
      last_number = f.frame_number();
      // The fake's pattern: Y = (x + y + frame) & 0xFF.
      EXPECT_EQ(f.plane(0)[0], static_cast<std::uint8_t>(f.frame_number() & 0xFF));
      EXPECT_EQ(f.plane(0)[2], static_cast<std::uint8_t>((f.frame_number() + 1) & 0xFF));
      ++seen;
    }
    return seen >= 30;
  }));

  // A held frame keeps its buffer out of the driver's queue; releasing it queues it again.
  std::optional<VideoFrame> held;
  ASSERT_TRUE(eventually([&] {
    auto frames = h.take<VideoFrame>("video");
    if (!frames.empty()) held = std::move(frames.back());
    return held.has_value();
  }));
  const std::size_t index = buffer_of(*held, *state);
  ASSERT_LT(index, 4u);
  const std::uint64_t queued = state->queue_counts()[index];
  std::this_thread::sleep_for(milliseconds(50));
  (void)h.take<VideoFrame>("video");
  EXPECT_EQ(state->queue_counts()[index], queued);
  held.reset();
  EXPECT_TRUE(eventually([&] {
    (void)h.take<VideoFrame>("video");
    return state->queue_counts()[index] > queued;
  }));

  EXPECT_GE(h.processor().frames_captured(), seen);
  ASSERT_TRUE(h.stop());
  (void)h.take<VideoFrame>("video");
  EXPECT_FALSE(state->is_streaming());
  EXPECT_FALSE(state->is_open());
  EXPECT_GE(stream_off_calls(*state), 1);
  const nlohmann::json m = h.processor().metrics();
  EXPECT_GE(m.at("frames_captured").get<std::uint64_t>(), seen);
  EXPECT_EQ(m.at("frames_dropped"), 0);
}

TEST_F(CameraTest, CountsFramesTheDriverDropped) {
  FakeDeviceConfig config = yuyv_camera();
  config.dropped_sequences = {3, 4, 10};
  FakeCameras fake(config);
  ProcessorHarness<Camera> h(yuyv_config(), "cam");
  ASSERT_TRUE(h.start());
  std::vector<std::uint64_t> numbers;
  ASSERT_TRUE(eventually([&] {
    for (VideoFrame& f : h.take<VideoFrame>("video")) numbers.push_back(f.frame_number());
    return numbers.size() >= 20;
  }));
  EXPECT_EQ(std::count(numbers.begin(), numbers.end(), 3u), 0);
  EXPECT_EQ(std::count(numbers.begin(), numbers.end(), 10u), 0);
  EXPECT_EQ(h.processor().frames_dropped(), 3u);
  ASSERT_TRUE(h.stop());
  EXPECT_EQ(h.processor().metrics().at("frames_dropped"), 3);
}

TEST_F(CameraTest, PauseStopsTheStreamAndResumeRestartsIt) {
  FakeCameras fake(yuyv_camera());
  ProcessorHarness<Camera> h(yuyv_config(), "cam");
  // Rebuild-free pause: stop_streaming / start_streaming directly, as the runtime does.
  ASSERT_TRUE(h.start());
  const auto state = fake.last();
  ASSERT_TRUE(eventually([&] { return !h.take<VideoFrame>("video").empty(); }));
  h.processor().stop_streaming();
  EXPECT_FALSE(state->is_streaming());
  (void)h.take<VideoFrame>("video");
  const std::uint64_t captured = h.processor().frames_captured();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(h.processor().frames_captured(), captured);
  ASSERT_TRUE(h.processor().start_streaming());
  EXPECT_TRUE(state->is_streaming());
  ASSERT_TRUE(eventually([&] {
    (void)h.take<VideoFrame>("video");
    return h.processor().frames_captured() > captured + 5;
  }));
  ASSERT_TRUE(h.stop());
  EXPECT_EQ(stream_on_calls(*state), 2);
}

TEST_F(CameraTest, FeedsASinkInAStreamRuntimeWithPauseAndResume) {
  // Timestamps: the fake's default, the monotonic clock at dequeue (minus 1 ms).
  FakeDeviceConfig config = yuyv_camera();
  config.timestamp = nullptr;
  FakeCameras fake(config);
  const std::int64_t t0 = monotonic_now_ns();
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor("Camera",
                               {{"device", "/dev/video3"},
                                {"width", kWidth},
                                {"height", kHeight},
                                {"fps", 30},
                                {"format", "yuyv"},
                                {"buffers", 6}},
                               "cam"));
  ASSERT_TRUE(rt.add_processor<TestVideoSink>({}, "rt_sink"));
  ASSERT_TRUE(rt.connect("cam.video", "rt_sink.in"));
  auto got = SinkStore::get("rt_sink");
  got->clear();  // (--gtest_repeat)
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return got->size() >= 30; })) << rt.stats().to_json().dump();
  const auto state = fake.last();
  ASSERT_TRUE(state);
  EXPECT_EQ(fake.paths().back(), "/dev/video3");

  ASSERT_TRUE(rt.pause());
  EXPECT_TRUE(eventually([&] { return !state->is_streaming(); }));
  std::this_thread::sleep_for(milliseconds(50));
  const std::size_t paused_at = got->size();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(got->size(), paused_at);

  ASSERT_TRUE(rt.resume());
  EXPECT_TRUE(eventually([&] { return got->size() >= paused_at + 30; }));
  EXPECT_TRUE(state->is_streaming());

  const RuntimeStats stats = rt.stats();
  const ProcessorStats* cam = stats.find_processor(ProcessorId("cam"));
  ASSERT_NE(cam, nullptr);
  EXPECT_EQ(cam->state, ProcessorState::kRunning);
  EXPECT_GE(cam->metrics.at("frames_captured").get<std::uint64_t>(), 60u);

  ASSERT_TRUE(rt.stop());
  EXPECT_FALSE(state->is_streaming());
  EXPECT_TRUE(eventually([&] { return !state->is_open(); }));  // closed once the last frame went
  EXPECT_GE(stream_on_calls(*state), 2);

  const std::vector<SeenFrame> frames = got->snapshot();
  ASSERT_GE(frames.size(), 60u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const SeenFrame& f = frames[i];
    ASSERT_EQ(f.width, kWidth);
    ASSERT_EQ(f.height, kHeight);
    ASSERT_EQ(f.format, PixelFormat::kYuyv);
    ASSERT_TRUE(f.external);
    ASSERT_GT(f.timestamp_ns, t0 - 2'000'000);
    ASSERT_LT(f.timestamp_ns, monotonic_now_ns());
    ASSERT_EQ(f.y0, static_cast<std::uint8_t>(f.frame_number & 0xFF));
    if (i > 0) {
      ASSERT_GT(f.frame_number, frames[i - 1].frame_number);  // going on across the pause
      ASSERT_GT(f.timestamp_ns, frames[i - 1].timestamp_ns);
    }
  }
  std::lock_guard lock(got->mu);
  EXPECT_TRUE(got->finished);
}

TEST_F(CameraTest, DecodesMjpegThroughTheHarness) {
  const std::string ffmpeg = STREAMLIB_FFMPEG_EXECUTABLE;
  if (ffmpeg.empty()) GTEST_SKIP() << "the ffmpeg tool is not installed";
  const auto path = std::filesystem::path(::testing::TempDir()) / fmt::format("streamlib_camera_{}.jpg", ::getpid());
  const std::string command = fmt::format(
      "'{}' -hide_banner -loglevel error -y -f lavfi -i testsrc2=size={}x{}:rate=30 -frames:v 1 "
      "-pix_fmt yuvj422p -f mjpeg '{}'",
      ffmpeg, kWidth, kHeight, path.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  ASSERT_GT(jpeg.size(), 500u);

  FakeDeviceConfig config;
  config.formats = {{v4l2::kFourccMjpeg, "Motion-JPEG", true, {{kWidth, kHeight, {{1, 30}}}}}};
  config.timestamp = stamp;
  config.buffer_size = std::max<std::size_t>(jpeg.size(), 4096);
  config.fill = [jpeg](const v4l2::FakeFill& f) {
    std::this_thread::sleep_for(milliseconds(2));
    std::copy(jpeg.begin(), jpeg.end(), f.buffer.begin());
    return jpeg.size();
  };
  FakeCameras fake(config);
  ProcessorHarness<Camera> h({.width = kWidth, .height = kHeight, .format = v4l2::PixelPreference::kMjpeg}, "cam");
  ASSERT_TRUE(h.start());
  EXPECT_EQ(h.processor().mode().fourcc, v4l2::kFourccMjpeg);
  std::vector<VideoFrame> frames;
  ASSERT_TRUE(eventually([&] {
    for (VideoFrame& f : h.take<VideoFrame>("video")) frames.push_back(std::move(f));
    return frames.size() >= 5;
  }));
  ASSERT_TRUE(h.stop());
  for (const VideoFrame& f : frames) {
    EXPECT_EQ(f.width(), kWidth);
    EXPECT_EQ(f.height(), kHeight);
    EXPECT_EQ(f.format(), PixelFormat::kI420);
    EXPECT_EQ(f.color_range(), ColorRange::kFull);
    EXPECT_FALSE(f.is_external());
    EXPECT_EQ(f.timestamp_ns(), stamp(static_cast<std::uint32_t>(f.frame_number())));
  }
  // Every frame decodes the same JPEG.
  ASSERT_TRUE(std::equal(frames[0].plane(0).begin(), frames[0].plane(0).end(), frames[4].plane(0).begin()));
  EXPECT_EQ(h.processor().metrics().at("decode_errors"), 0);
}

// --- Errors ------------------------------------------------------------------------------------

TEST_F(CameraTest, AMissingDeviceIsAnErrorNamingThePathAtStart) {
  ProcessorHarness<Camera> h(yuyv_config("/dev/video99"), "cam");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("/dev/video99"));
  EXPECT_THAT(r.error().message(), HasSubstr("Camera 'cam'"));
  EXPECT_THAT(r.error().message(), HasSubstr("no such device"));
}

TEST_F(CameraTest, ANonCaptureDeviceIsAnErrorNamingThePathAtStart) {
  ProcessorHarness<Camera> h(yuyv_config("/dev/null"), "cam");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("/dev/null is not a V4L2 device"));
  EXPECT_THAT(r.error().message(), HasSubstr("Camera 'cam'"));
}

TEST_F(CameraTest, AMissingDeviceInARuntimeIsAnErrorEventNamingThePath) {
  StreamRuntime rt;
  std::mutex mu;
  std::vector<std::string> errors;
  rt.subscribe([&](const Event& e) {
    if (e.kind != EventKind::kError) return;
    std::lock_guard lock(mu);
    errors.push_back(e.message);
  });
  ASSERT_TRUE(rt.add_processor("Camera", {{"device", "/dev/video99"}}, "cam"));
  ASSERT_TRUE(rt.add_processor<TestVideoSink>({}, "err_sink"));
  ASSERT_TRUE(rt.connect("cam.video", "err_sink.in"));
  (void)rt.start();
  ASSERT_TRUE(eventually([&] {
    const auto p = rt.stats().find_processor(ProcessorId("cam"));
    return p && p->state == ProcessorState::kError;
  }));
  const RuntimeStats stats = rt.stats();
  ASSERT_NE(stats.find_processor(ProcessorId("cam")), nullptr);
  EXPECT_THAT(stats.find_processor(ProcessorId("cam"))->last_error, HasSubstr("/dev/video99"));
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return std::any_of(errors.begin(), errors.end(),
                       [](const std::string& m) { return m.find("/dev/video99") != std::string::npos; });
  }));
  (void)rt.stop();
}

// A FakeDevice that is unplugged after `frames` buffers: dequeue_buffer() then fails.
class UnpluggedDevice final : public v4l2::Device {
 public:
  UnpluggedDevice(FakeDeviceConfig config, std::uint64_t frames) : fake_(std::move(config)), frames_(frames) {}
  Result<void> open(const std::string& path) override { return fake_.open(path); }
  void close() override { fake_.close(); }
  bool is_open() const override { return fake_.is_open(); }
  const std::string& path() const override { return fake_.path(); }
  Result<v4l2::Capabilities> query_capabilities() override { return fake_.query_capabilities(); }
  Result<std::vector<v4l2::FormatDesc>> enumerate_formats() override { return fake_.enumerate_formats(); }
  Result<std::vector<v4l2::FrameSizeDesc>> enumerate_frame_sizes(std::uint32_t fourcc) override {
    return fake_.enumerate_frame_sizes(fourcc);
  }
  Result<std::vector<v4l2::FrameIntervalDesc>> enumerate_frame_intervals(std::uint32_t fourcc, std::uint32_t width,
                                                                         std::uint32_t height) override {
    return fake_.enumerate_frame_intervals(fourcc, width, height);
  }
  Result<v4l2::ActiveFormat> set_format(std::uint32_t fourcc, std::uint32_t width, std::uint32_t height) override {
    return fake_.set_format(fourcc, width, height);
  }
  Result<v4l2::Fraction> set_frame_interval(v4l2::Fraction interval) override {
    return fake_.set_frame_interval(interval);
  }
  Result<std::vector<v4l2::MappedBuffer>> request_buffers(std::uint32_t count) override {
    return fake_.request_buffers(count);
  }
  Result<void> release_buffers() override { return fake_.release_buffers(); }
  Result<void> queue_buffer(std::uint32_t index) override { return fake_.queue_buffer(index); }
  Result<std::optional<v4l2::DequeuedBuffer>> dequeue_buffer(milliseconds timeout) override {
    if (dequeued_ >= frames_) return make_error(v4l2::device_disconnected(fake_.path()));
    auto r = fake_.dequeue_buffer(timeout);
    if (r && *r) ++dequeued_;
    return r;
  }
  Result<void> stream_on() override { return fake_.stream_on(); }
  Result<void> stream_off() override { return fake_.stream_off(); }

 private:
  FakeDevice fake_;
  std::uint64_t frames_;
  std::uint64_t dequeued_ = 0;  // capture thread only
};

TEST_F(CameraTest, ADeviceUnpluggedWhileStreamingFailsTheProcessorNamingThePath) {
  const CameraDeviceFactory previous = set_camera_device_factory(
      [](const std::string&) { return std::make_unique<UnpluggedDevice>(yuyv_camera(), 10); });
  ProcessorHarness<Camera> h(yuyv_config("/dev/video7"), "cam");
  ASSERT_TRUE(h.start());
  std::optional<Error> error;
  EXPECT_TRUE(eventually([&] {
    (void)h.take<VideoFrame>("video");
    auto r = h.run();
    if (!r) error = r.error();
    return error.has_value();
  }));
  (void)set_camera_device_factory(previous);
  ASSERT_TRUE(error);
  EXPECT_THAT(error->message(), HasSubstr("Camera 'cam'"));
  EXPECT_THAT(error->message(), HasSubstr("/dev/video7"));
  EXPECT_EQ(h.processor().frames_captured(), 10u);
}

TEST_F(CameraTest, FakeDeviceErrorsNameThePath) {
  {
    FakeDeviceConfig config = yuyv_camera();
    config.busy = true;
    FakeCameras fake(config);
    ProcessorHarness<Camera> h(yuyv_config("/dev/video4"), "cam");
    auto r = h.start();
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("/dev/video4"));
    EXPECT_THAT(r.error().message(), HasSubstr("busy"));
  }
  {
    FakeDeviceConfig config = yuyv_camera();
    config.caps.capabilities &= ~static_cast<std::uint32_t>(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE);
    config.caps.device_caps &= ~static_cast<std::uint32_t>(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE);
    config.caps.capabilities |= V4L2_CAP_VIDEO_OUTPUT;
    config.caps.device_caps |= V4L2_CAP_VIDEO_OUTPUT;
    FakeCameras fake(config);
    ProcessorHarness<Camera> h(yuyv_config("/dev/video5"), "cam");
    auto r = h.start();
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("/dev/video5"));
    EXPECT_THAT(r.error().message(), HasSubstr("not a capture device"));
    EXPECT_FALSE(fake.last()->is_open());
  }
  {
    FakeDeviceConfig config = yuyv_camera();
    config.formats = {{v4l2::make_fourcc('H', '2', '6', '4'), "H.264", true, {{kWidth, kHeight, {{1, 30}}}}}};
    FakeCameras fake(config);
    ProcessorHarness<Camera> h(yuyv_config("/dev/video6"), "cam");
    auto r = h.start();
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("/dev/video6"));
    EXPECT_THAT(r.error().message(), HasSubstr("H264"));
  }
}

}  // namespace
}  // namespace streamlib
