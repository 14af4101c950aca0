#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ffmpeg/video_convert.h"
#include "ffmpeg_test_util.h"

namespace streamlib {
namespace {

using ffmpeg::testing::luma_at;
using ffmpeg::testing::rgba_at;
using ffmpeg::testing::solid_frame;

TEST(VideoConvert, ScalesAndConvertsKeepingTimesAndNumbers) {
  ProcessorHarness<VideoConvert> h({.width = 160, .height = 120, .format = PixelFormat::kI420});
  ASSERT_TRUE(h.start());
  WritableVideoFrame w(320, 240, PixelFormat::kRgba);
  std::fill(w.plane(0).begin(), w.plane(0).end(), std::uint8_t{255});
  w.set_timestamp_ns(123);
  w.set_duration_ns(456);
  w.set_frame_number(7);
  ASSERT_TRUE(h.push("in", std::move(w).freeze()));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto out = h.take<VideoFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].width(), 160);
  EXPECT_EQ(out[0].height(), 120);
  EXPECT_EQ(out[0].format(), PixelFormat::kI420);
  EXPECT_EQ(out[0].timestamp_ns(), 123);
  EXPECT_EQ(out[0].duration_ns(), 456);
  EXPECT_EQ(out[0].frame_number(), 7u);
  EXPECT_GT(luma_at(out[0], 80, 60), 230);  // white stays white
  EXPECT_TRUE(h.output_ended("out"));
}

TEST(VideoConvert, LetterboxKeepsTheAspectWithBlackBarsAndCropFills) {
  for (auto mode : {ffmpeg::ScaleMode::kLetterbox, ffmpeg::ScaleMode::kCrop, ffmpeg::ScaleMode::kStretch}) {
    ProcessorHarness<VideoConvert> h({.width = 320, .height = 120, .format = PixelFormat::kRgba, .scaling = mode});
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(h.push("in", solid_frame(160, 120, PixelFormat::kRgba, 200, 30, 30)));  // 4:3 red
    ASSERT_TRUE(h.run());
    auto out = h.take<VideoFrame>("out");
    ASSERT_EQ(out.size(), 1u);
    const auto edge = rgba_at(out[0], 2, 60);
    const auto centre = rgba_at(out[0], 160, 60);
    EXPECT_GT(centre[0], 180) << enum_name(mode);
    if (mode == ffmpeg::ScaleMode::kLetterbox) {
      EXPECT_LT(edge[0], 20);  // a black bar at the side
    } else {
      EXPECT_GT(edge[0], 180) << enum_name(mode);  // filled to the edge
    }
  }
}

TEST(VideoConvert, AFrameAlreadyRightPassesWithoutACopy) {
  ProcessorHarness<VideoConvert> h;
  ASSERT_TRUE(h.start());
  VideoFrame in = solid_frame(64, 48, PixelFormat::kI420, 10, 20, 30);
  ASSERT_TRUE(h.push("in", in));
  ASSERT_TRUE(h.run());
  auto out = h.take<VideoFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].buffer_id(), in.buffer_id());
}

TEST(VideoConvert, ALiveConfigChangeTakesEffectAtTheNextFrame) {
  ProcessorHarness<VideoConvert> h({.width = 64, .height = 48});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in", solid_frame(128, 96, PixelFormat::kRgba, 1, 2, 3)));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.set_config({.width = 32, .height = 24}));
  ASSERT_TRUE(h.push("in", solid_frame(128, 96, PixelFormat::kRgba, 1, 2, 3)));
  ASSERT_TRUE(h.run());
  auto out = h.take<VideoFrame>("out");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].width(), 64);
  EXPECT_EQ(out[1].width(), 32);
}

}  // namespace
}  // namespace streamlib
