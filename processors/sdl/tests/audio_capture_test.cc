// AudioCapture through SDL's disk driver: a known file comes in as frames.
#include <gtest/gtest.h>

#include <cmath>

#include "audio_test_support.h"
#include "sdl/sdl_processors.h"
#include "sdl_test_support.h"
#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)

class AudioCaptureTest : public sdl_testing::DiskAudioTest {
 protected:
  static void SetUpTestSuite() { register_audio_test_processors(); }
  // 1 s of stereo: a 330 Hz sine on the left, a ramp on the right.
  std::vector<float> write_input() {
    std::vector<float> file(48000 * 2);
    for (std::size_t i = 0; i < 48000; ++i) {
      file[i * 2] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 330.0 * static_cast<double>(i) / 48000));
      file[i * 2 + 1] = static_cast<float>(i) / 48000.0f - 0.5f;
    }
    sdl_testing::write_floats(dir_ / "in.raw", file);
    return file;
  }
};

TEST_F(AudioCaptureTest, CapturesAKnownFileAsContinuousFrames) {
  use_disk_audio(1);
  const std::vector<float> file = write_input();
  ProcessorHarness<AudioCapture> h({.sample_rate = 48000, .channels = 2, .frames_per_buffer = 512});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(eventually([&] { return h.processor().frames_captured() >= 48000; }));
  ASSERT_TRUE(h.stop());
  const std::vector<AudioFrame> frames = h.take<AudioFrame>("audio");
  ASSERT_GE(frames.size(), 94u);
  std::vector<float> got;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(frames[k].frame_count(), 512u);
    EXPECT_EQ(frames[k].sample_rate(), 48000);
    EXPECT_EQ(frames[k].sample_position(), static_cast<std::int64_t>(k) * 512);
    EXPECT_EQ(frames[k].timestamp_ns() - frames[0].timestamp_ns(),
              static_cast<std::int64_t>(k) * 512 * 1'000'000'000 / 48000);
    got.insert(got.end(), frames[k].samples().begin(), frames[k].samples().end());
  }
  ASSERT_GE(got.size(), file.size());
  for (std::size_t i = 0; i < file.size(); ++i) ASSERT_EQ(got[i], file[i]) << i;
}

TEST_F(AudioCaptureTest, FeedsAGraphInAStreamRuntime) {
  use_disk_audio(2);
  const std::vector<float> file = write_input();
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor("AudioCapture", {{"frames_per_buffer", 480}}, "mic"));
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_mic"));
  ASSERT_TRUE(rt.connect("mic.audio", "sink_mic.in"));
  ASSERT_TRUE(rt.start());
  auto got = Collected::get("sink_mic");
  ASSERT_TRUE(eventually([&] { return got->size() >= 100; }));
  ASSERT_TRUE(rt.stop());
  const std::vector<AudioFrame> frames = got->snapshot();
  std::int64_t next = 0;
  for (const AudioFrame& f : frames) {
    ASSERT_EQ(f.sample_position(), next);
    next += static_cast<std::int64_t>(f.frame_count());
  }
  const std::vector<float> left = channel_of(frames, 0);
  ASSERT_GE(left.size(), 48000u);
  for (std::size_t i = 0; i < 48000; ++i) ASSERT_EQ(left[i], file[i * 2]) << i;
  EXPECT_NEAR(frequency(left, 0, 48000, 48000), 330.0, 0.05);
}

}  // namespace
}  // namespace streamlib
