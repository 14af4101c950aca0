// Opening a device that is not there, not V4L2, not a camera, or busy: one clear sentence each.
// The first two go to the real kernel (no camera needed); the others through the fake device.
#include <linux/videodev2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "v4l2_common/capture.h"
#include "v4l2_common/fake_device.h"
#include "v4l2_common/linux_device.h"

namespace streamlib::v4l2 {
namespace {

bool exists(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0;
}

FakeDeviceConfig camera_config() {
  FakeDeviceConfig config;
  config.formats = {{kFourccYuyv, "YUYV 4:2:2", false, {{320, 240, {{1, 30}}}}}};
  return config;
}

TEST(DeviceErrors, AMissingDeviceIsNoSuchDevice) {
  if (exists("/dev/video9")) GTEST_SKIP() << "this machine has a /dev/video9";
  const auto capture = Capture::open("/dev/video9");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(capture.error().message(), "no such device /dev/video9");
}

TEST(DeviceErrors, DevNullIsNotAV4l2DeviceBecauseQuerycapFails) {
  const auto capture = Capture::open("/dev/null");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(capture.error().message(), "/dev/null is not a V4L2 device");

  // The same through the device alone: open works, VIDIOC_QUERYCAP does not.
  LinuxDevice device;
  ASSERT_TRUE(device.open("/dev/null").has_value());
  EXPECT_TRUE(device.is_open());
  const Result<Capabilities> caps = device.query_capabilities();
  ASSERT_FALSE(caps.has_value());
  EXPECT_EQ(caps.error().message(), "/dev/null is not a V4L2 device");
  device.close();
  EXPECT_FALSE(device.is_open());
}

TEST(DeviceErrors, DevZeroIsNotAV4l2Device) {
  const auto capture = Capture::open("/dev/zero");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().message(), "/dev/zero is not a V4L2 device");
}

TEST(DeviceErrors, ARegularFileIsNotAV4l2Device) {
  const std::string path = ::testing::TempDir() + "/not_a_camera_" + std::to_string(::getpid());
  std::ofstream(path) << "hello";
  const auto capture = Capture::open(path);
  std::remove(path.c_str());
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().message(), path + " is not a V4L2 device");
}

TEST(DeviceErrors, ALinuxDeviceThatIsNotOpenRefusesEverything) {
  LinuxDevice device;
  EXPECT_EQ(device.query_capabilities().error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(device.stream_on().has_value());
  EXPECT_FALSE(device.queue_buffer(0).has_value());
}

TEST(DeviceErrors, AV4l2DeviceWithoutCaptureIsNotACaptureDevice) {
  FakeDeviceConfig config = camera_config();
  config.caps.card = "Fake Encoder";
  config.caps.device_caps = V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING;
  auto device = std::make_unique<FakeDevice>(config);
  const auto state = device->state();
  const auto capture = Capture::open(std::move(device), "/dev/video3");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(capture.error().message(), "/dev/video3 is not a capture device (Fake Encoder, driver fake)");
  EXPECT_FALSE(state->is_open());  // closed again
}

TEST(DeviceErrors, AMultiplanarOnlyDeviceIsNotACaptureDeviceWeSupport) {
  FakeDeviceConfig config = camera_config();
  config.caps.device_caps = V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_STREAMING;
  const auto capture = Capture::open(std::make_unique<FakeDevice>(config), "/dev/video4");
  ASSERT_FALSE(capture.has_value());
  EXPECT_NE(capture.error().message().find("/dev/video4 is not a capture device"), std::string::npos);
  EXPECT_NE(capture.error().message().find("multi-planar"), std::string::npos) << capture.error().message();
}

TEST(DeviceErrors, ACaptureDeviceWithoutStreamingIsRefused) {
  FakeDeviceConfig config = camera_config();
  config.caps.device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_READWRITE;
  const auto capture = Capture::open(std::make_unique<FakeDevice>(config), "/dev/video5");
  ASSERT_FALSE(capture.has_value());
  EXPECT_NE(capture.error().message().find("/dev/video5 cannot stream"), std::string::npos);
}

TEST(DeviceErrors, ABusyDeviceSaysDeviceBusyAtOpen) {
  FakeDeviceConfig config = camera_config();
  config.busy = true;
  const auto capture = Capture::open(std::make_unique<FakeDevice>(config), "/dev/video0");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().code(), ErrorCode::kIo);
  EXPECT_NE(capture.error().message().find("device busy"), std::string::npos) << capture.error().message();
  EXPECT_NE(capture.error().message().find("/dev/video0"), std::string::npos);
}

TEST(DeviceErrors, ADeviceAnotherProgramStreamsFromSaysDeviceBusyAtConfigure) {
  FakeDeviceConfig config = camera_config();
  config.busy_on_set_format = true;
  auto capture = Capture::open(std::make_unique<FakeDevice>(config), "/dev/video0").value();
  const Result<FormatSelection> s = capture->configure({.width = 320, .height = 240, .fps = 30});
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("device busy"), std::string::npos) << s.error().message();
}

TEST(DeviceErrors, AMissingFakeDeviceSaysNoSuchDeviceLikeARealOne) {
  FakeDeviceConfig config = camera_config();
  config.missing = true;
  const auto capture = Capture::open(std::make_unique<FakeDevice>(config), "/dev/video7");
  ASSERT_FALSE(capture.has_value());
  EXPECT_EQ(capture.error().message(), "no such device /dev/video7");
}

}  // namespace
}  // namespace streamlib::v4l2
