#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ffmpeg/file_source.h"
#include "ffmpeg_test_util.h"

namespace streamlib {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using testing::media;
using testing::run_to_end;

TEST(FileSource, PlaysEveryFrameOfAFileAsFastAsTakenThenEnds) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  ASSERT_EQ(video.size(), 60u);  // 2 s at 30 fps
  EXPECT_EQ(video.front().width(), 320);
  for (std::size_t i = 1; i < video.size(); ++i) EXPECT_GT(video[i].timestamp_ns(), video[i - 1].timestamp_ns());
  ASSERT_FALSE(audio.empty());
  std::int64_t samples = 0;
  for (const AudioFrame& a : audio) {
    EXPECT_EQ(a.sample_position(), samples);
    samples += static_cast<std::int64_t>(a.frame_count());
  }
  EXPECT_NEAR(static_cast<double>(samples), 96000.0, 2048.0);
  EXPECT_TRUE(h.output_ended("video"));
  EXPECT_TRUE(h.output_ended("audio"));
}

TEST(FileSource, ConvertsToTheAskedFormatRateAndChannels) {
  ProcessorHarness<FileSource> h(
      {.path = media("av.mp4"), .live = false, .format = PixelFormat::kRgba, .sample_rate = 16000, .channels = 1});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  ASSERT_FALSE(video.empty());
  ASSERT_FALSE(audio.empty());
  EXPECT_EQ(video.front().format(), PixelFormat::kRgba);
  EXPECT_EQ(audio.front().sample_rate(), 16000);
  EXPECT_EQ(audio.front().channels(), 1);
}

TEST(FileSource, LiveSendsEachFrameWhenItsTimeComes) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = true, .audio = false});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<VideoFrame>("video").size(), 1u);  // the first at once
  h.advance(milliseconds(100));                       // frames at 33, 67 and 100 ms
  ASSERT_TRUE(h.run());
  auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_LE(frames.back().timestamp_ns(), 100'000'000);
  EXPECT_FALSE(h.finished());
}

TEST(FileSource, LoopGoesOnWithTheTimelineContinuing) {
  ProcessorHarness<FileSource> h({.path = media("video_only.mp4"), .loop = true, .live = false});
  ASSERT_TRUE(h.start());
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(h.run());  // one frame a call; the file has 30
  auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 70u);
  for (std::size_t i = 1; i < frames.size(); ++i) EXPECT_GT(frames[i].timestamp_ns(), frames[i - 1].timestamp_ns());
  EXPECT_FALSE(h.finished());
}

TEST(FileSource, StartSBeginsAtThatPositionWithFileTimestamps) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false, .start_s = 1.0});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  // The second half of a 2 s, 30 fps file: frames 30..59, stamped where they are in the file.
  ASSERT_EQ(video.size(), 30u);
  EXPECT_NEAR(static_cast<double>(video.front().timestamp_ns()), 1e9, 1e6);
  ASSERT_FALSE(audio.empty());
  EXPECT_NEAR(static_cast<double>(audio.front().timestamp_ns()), 1e9, 25e6);
  std::int64_t samples = 0;
  for (const AudioFrame& a : audio) samples += static_cast<std::int64_t>(a.frame_count());
  EXPECT_NEAR(static_cast<double>(samples), 48000.0, 2048.0);
}

TEST(FileSource, AStartPastTheEndIsAnErrorNamingTheFile) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .start_s = 5.0}, "src");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileSource 'src'"));
  EXPECT_THAT(r.error().message(), HasSubstr(".mp4: start_s 5 is past the end of the file (2.000 s)"));
}

TEST(FileSource, AMissingFileIsAnErrorNamingTheProcessorAndTheFile) {
  ProcessorHarness<FileSource> h({.path = "/nonexistent/in.mp4"}, "src");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileSource 'src'"));
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/in.mp4"));
}

}  // namespace
}  // namespace streamlib
