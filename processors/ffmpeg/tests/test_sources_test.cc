#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include <algorithm>
#include <cmath>

#include "ffmpeg/test_sources.h"
#include "ffmpeg_test_util.h"

namespace streamlib {
namespace {

using std::chrono::milliseconds;
using testing::run_to_end;

TEST(VideoTestSource, SendsExactlyTheFramesAskedForNumberedAndTimedThenEnds) {
  ProcessorHarness<VideoTestSource> h({.width = 160, .height = 120, .fps = 25, .live = false, .frames = 12});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  std::vector<VideoFrame> frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 12u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].frame_number(), i);
    EXPECT_EQ(frames[i].timestamp_ns(), static_cast<std::int64_t>(i) * 40'000'000);
    EXPECT_EQ(frames[i].duration_ns(), 40'000'000);
    EXPECT_EQ(frames[i].width(), 160);
    EXPECT_EQ(frames[i].format(), PixelFormat::kRgba);
    EXPECT_EQ(read_frame_counter(frames[i]), i);
  }
  EXPECT_TRUE(h.output_ended("video"));
}

TEST(VideoTestSource, EveryPatternAndFormatCarriesAReadableCounter) {
  for (VideoPattern pattern : {VideoPattern::kBars, VideoPattern::kBall, VideoPattern::kGradient}) {
    for (PixelFormat format : {PixelFormat::kRgba, PixelFormat::kI420, PixelFormat::kNv12, PixelFormat::kBgra}) {
      ProcessorHarness<VideoTestSource> h(
          {.width = 320, .height = 240, .pattern = pattern, .format = format, .live = false, .frames = 3});
      ASSERT_TRUE(h.start());
      run_to_end(h);
      auto frames = h.take<VideoFrame>("video");
      ASSERT_EQ(frames.size(), 3u);
      for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(frames[i].format(), format);
        EXPECT_EQ(read_frame_counter(frames[i]), i) << enum_name(pattern) << " " << enum_name(format);
      }
    }
  }
}

TEST(VideoTestSource, PatternsDifferAndTheBallMoves) {
  auto first_two = [](VideoPattern p) {
    ProcessorHarness<VideoTestSource> h({.width = 128, .height = 96, .pattern = p, .live = false, .frames = 2});
    EXPECT_TRUE(h.start());
    run_to_end(h);
    return h.take<VideoFrame>("video");
  };
  auto bytes = [](const VideoFrame& f) {
    auto p = f.plane(0);
    return std::vector<std::uint8_t>(p.begin(), p.end());
  };
  auto bars = first_two(VideoPattern::kBars);
  auto ball = first_two(VideoPattern::kBall);
  auto gradient = first_two(VideoPattern::kGradient);
  EXPECT_NE(bytes(bars[0]), bytes(ball[0]));
  EXPECT_NE(bytes(ball[0]), bytes(gradient[0]));
  // Below the counter band the ball picture changes from frame to frame; the bars do not.
  const std::size_t below_band = static_cast<std::size_t>(bars[0].stride(0)) * 20;
  auto tail = [&](const VideoFrame& f) {
    auto b = bytes(f);
    return std::vector<std::uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(below_band), b.end());
  };
  EXPECT_EQ(tail(bars[0]), tail(bars[1]));
  EXPECT_NE(tail(ball[0]), tail(ball[1]));
  // SMPTE bars: the first bar is 75% white, the second 75% yellow.
  auto px = [](const VideoFrame& f, int x, int y) {
    return f.plane(0)[static_cast<std::size_t>(y * f.stride(0) + x * 4)];
  };
  EXPECT_EQ(px(bars[0], 5, 50), 191);
}

TEST(VideoTestSource, LiveSendsEachFrameWhenItsTimeComesOnTheClock) {
  ProcessorHarness<VideoTestSource> h({.width = 64, .height = 32, .fps = 10, .live = true, .frames = 5});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<VideoFrame>("video").size(), 1u);  // frame 0 at once
  h.advance(milliseconds(99));
  ASSERT_TRUE(h.run());
  EXPECT_TRUE(h.take<VideoFrame>("video").empty());  // frame 1 is due at 100 ms
  h.advance(milliseconds(151));                      // now 250 ms: frames 1 and 2
  ASSERT_TRUE(h.run());
  auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].timestamp_ns(), 100'000'000);
  EXPECT_EQ(frames[1].timestamp_ns(), 200'000'000);
  h.advance(milliseconds(1000));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<VideoFrame>("video").size(), 2u);  // 3 and 4, then the end
  EXPECT_TRUE(h.finished());
}

TEST(VideoTestSource, RejectsSizesItCannotDraw) {
  auto r = config_from_json<VideoTestSourceConfig>({{"width", 10}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), ::testing::HasSubstr("width"));
}

TEST(AudioTestSource, SineIsSampleAccurateAndEndsAfterItsDuration) {
  // 0.105 s at 48 kHz = 5040 samples: ten blocks of 480 and one of 240.
  ProcessorHarness<AudioTestSource> h({.frequency = 1000.0,
                                       .amplitude = 0.5,
                                       .channels = 2,
                                       .frames_per_buffer = 480,
                                       .duration = 0.105,
                                       .live = false});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto blocks = h.take<AudioFrame>("audio");
  ASSERT_EQ(blocks.size(), 11u);
  std::int64_t position = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(blocks[i].sample_position(), position);
    EXPECT_EQ(blocks[i].timestamp_ns(), position * 1'000'000'000 / 48000);
    EXPECT_EQ(blocks[i].frame_number(), i);
    EXPECT_EQ(blocks[i].channels(), 2);
    position += static_cast<std::int64_t>(blocks[i].frame_count());
  }
  EXPECT_EQ(position, 5040);
  EXPECT_EQ(blocks.back().frame_count(), 240u);
  auto all = testing::concat(blocks);
  EXPECT_NEAR(ffmpeg::testing::frequency(all, 2, 0, 48000), 1000.0, 5.0);
  EXPECT_NEAR(ffmpeg::testing::rms(all, 2, 1), 0.5 / std::sqrt(2.0), 0.01);
  const float peak = *std::max_element(all.begin(), all.end());
  EXPECT_NEAR(peak, 0.5f, 0.001f);
  EXPECT_TRUE(h.output_ended("audio"));
}

TEST(AudioTestSource, EverySampleIsTheSineAtItsAbsolutePosition) {
  // 3 s of 997 Hz in 64-frame blocks: each sample within float rounding of
  // amplitude * sin(2 pi f n / rate), so blocks join without a click however long the run.
  ProcessorHarness<AudioTestSource> h(
      {.frequency = 997.0, .amplitude = 0.5, .channels = 1, .frames_per_buffer = 64, .duration = 3.0, .live = false});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto all = testing::concat(h.take<AudioFrame>("audio"));
  ASSERT_EQ(all.size(), 144000u);
  double worst = 0;
  for (std::size_t n = 0; n < all.size(); ++n) {
    const double expected = 0.5 * std::sin(2.0 * std::numbers::pi * 997.0 * static_cast<double>(n) / 48000.0);
    worst = std::max(worst, std::abs(static_cast<double>(all[n]) - expected));
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(AudioTestSource, ChordNoiseAndSilenceSoundAsNamed) {
  auto render = [](AudioWave wave) {
    ProcessorHarness<AudioTestSource> h(
        {.wave = wave, .amplitude = 0.6, .channels = 1, .duration = 0.5, .live = false});
    EXPECT_TRUE(h.start());
    run_to_end(h);
    return testing::concat(h.take<AudioFrame>("audio"));
  };
  auto silence = render(AudioWave::kSilence);
  ASSERT_EQ(silence.size(), 24000u);
  EXPECT_TRUE(std::all_of(silence.begin(), silence.end(), [](float v) { return v == 0.0f; }));
  auto noise = render(AudioWave::kNoise);
  EXPECT_TRUE(std::all_of(noise.begin(), noise.end(), [](float v) { return std::abs(v) <= 0.6f; }));
  EXPECT_NEAR(ffmpeg::testing::rms(noise, 1, 0), 0.6 / std::sqrt(3.0), 0.02);  // uniform
  auto chord = render(AudioWave::kChord);
  // The chord's lowest common period is not short, but its energy is three equal tones'.
  EXPECT_NEAR(ffmpeg::testing::rms(chord, 1, 0), 0.6 / 3.0 * std::sqrt(1.5), 0.02);
  EXPECT_NE(chord, noise);
}

TEST(AudioTestSource, LiveSendsEachBlockWhenItsTimeComes) {
  ProcessorHarness<AudioTestSource> h({.frames_per_buffer = 480, .live = true});  // 10 ms blocks
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<AudioFrame>("audio").size(), 1u);
  h.advance(milliseconds(35));  // blocks at 10, 20, 30 ms
  ASSERT_TRUE(h.run());
  auto blocks = h.take<AudioFrame>("audio");
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[2].sample_position(), 3 * 480);
  EXPECT_EQ(blocks[2].timestamp_ns(), 30'000'000);
  EXPECT_FALSE(h.finished());  // no duration: endless
}

}  // namespace
}  // namespace streamlib
