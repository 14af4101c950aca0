#include "sdl_common/scaling.h"

#include <gtest/gtest.h>

#include <cmath>

namespace streamlib::sdl {
namespace {

TEST(Scaling, StretchFillsTheWindowWithTheWholePicture) {
  const auto r = compute_scaling(320, 180, 400, 400, ScalingMode::kStretch);
  EXPECT_EQ(r.src, (Rect{0, 0, 320, 180}));
  EXPECT_EQ(r.dst, (Rect{0, 0, 400, 400}));
}

TEST(Scaling, LetterboxAddsBarsAboveAndBelowInATallerWindow) {
  // 1920x1080 in 800x800: scale 800/1920, height 450, bars of 175.
  const auto r = compute_scaling(1920, 1080, 800, 800, ScalingMode::kLetterbox);
  EXPECT_EQ(r.src, (Rect{0, 0, 1920, 1080}));
  EXPECT_EQ(r.dst, (Rect{0, 175, 800, 450}));
}

TEST(Scaling, LetterboxAddsBarsLeftAndRightInAWiderWindow) {
  // 4:3 in 16:9: 640x480 in 1280x720 -> 960x720 at x = 160.
  const auto r = compute_scaling(640, 480, 1280, 720, ScalingMode::kLetterbox);
  EXPECT_EQ(r.dst, (Rect{160, 0, 960, 720}));
}

TEST(Scaling, LetterboxRoundsToTheNearestPixelAndSplitsTheOddPixel) {
  // 320x180 in 400x400: height 225 (exact), bars 87 above and 88 below.
  EXPECT_EQ(compute_scaling(320, 180, 400, 400, ScalingMode::kLetterbox).dst, (Rect{0, 87, 400, 225}));
  // 100x30 in 64x64: height 19.2 -> 19, top bar (64-19)/2 = 22.
  EXPECT_EQ(compute_scaling(100, 30, 64, 64, ScalingMode::kLetterbox).dst, (Rect{0, 22, 64, 19}));
  // 30x100 in 64x64: width 19.2 -> 19.
  EXPECT_EQ(compute_scaling(30, 100, 64, 64, ScalingMode::kLetterbox).dst, (Rect{22, 0, 19, 64}));
}

TEST(Scaling, ARotatedPictureIsScaledByItsTurnedSize) {
  // 320x180 turned a quarter is 180x320: in 400x300, letterboxed to 169x300 at x = 115. Drawn
  // 300x169 about the same centre, then turned.
  for (int rotation : {90, 270}) {
    const auto r = compute_rotated_scaling(320, 180, 400, 300, ScalingMode::kLetterbox, rotation);
    EXPECT_EQ(r.src, (Rect{0, 0, 320, 180})) << rotation;
    EXPECT_EQ(r.dst, (Rect{115 + (169 - 300) / 2, (300 - 169) / 2, 300, 169})) << rotation;
  }
  const auto half = compute_rotated_scaling(320, 180, 400, 400, ScalingMode::kLetterbox, 180);
  EXPECT_EQ(half, compute_scaling(320, 180, 400, 400, ScalingMode::kLetterbox));
  EXPECT_EQ(compute_rotated_scaling(320, 180, 400, 400, ScalingMode::kCrop, 0),
            compute_scaling(320, 180, 400, 400, ScalingMode::kCrop));
}

TEST(Scaling, ARotatedPictureCroppedKeepsTheMiddleOfTheStoredPicture) {
  // 200x100 turned a quarter is 100x200; cropped into 100x100 the turned picture's rows 50..150
  // are shown: the stored picture's columns 50..150 (the middle), all its rows.
  for (int rotation : {90, 270}) {
    const auto r = compute_rotated_scaling(200, 100, 100, 100, ScalingMode::kCrop, rotation);
    EXPECT_EQ(r.src, (Rect{50, 0, 100, 100})) << rotation;
    EXPECT_EQ(r.dst, (Rect{0, 0, 100, 100})) << rotation;
  }
  // Half a turn: the crop stays in the middle of the stored picture.
  const auto r = compute_rotated_scaling(300, 100, 100, 100, ScalingMode::kCrop, 180);
  EXPECT_EQ(r.src, (Rect{100, 0, 100, 100}));
}

TEST(Scaling, SameAspectIsTheSameInEveryMode) {
  for (auto mode : {ScalingMode::kStretch, ScalingMode::kLetterbox, ScalingMode::kCrop}) {
    const auto r = compute_scaling(1280, 720, 640, 360, mode);
    EXPECT_EQ(r.src, (Rect{0, 0, 1280, 720}));
    EXPECT_EQ(r.dst, (Rect{0, 0, 640, 360}));
  }
}

TEST(Scaling, CropCutsTheSidesInATallerWindow) {
  // 320x180 in 400x400: a square window shows a 180x180 square from the picture's middle.
  const auto r = compute_scaling(320, 180, 400, 400, ScalingMode::kCrop);
  EXPECT_EQ(r.src, (Rect{70, 0, 180, 180}));
  EXPECT_EQ(r.dst, (Rect{0, 0, 400, 400}));
}

TEST(Scaling, CropCutsTopAndBottomInAWiderWindow) {
  // 640x480 in 1280x720: shows 640x360 from rows 60..419.
  const auto r = compute_scaling(640, 480, 1280, 720, ScalingMode::kCrop);
  EXPECT_EQ(r.src, (Rect{0, 60, 640, 360}));
  EXPECT_EQ(r.dst, (Rect{0, 0, 1280, 720}));
}

TEST(Scaling, KeepsAspectWithinHalfAPixel) {
  for (int sw : {1, 7, 160, 333, 1920, 4096}) {
    for (int sh : {1, 9, 90, 241, 1080, 2160}) {
      for (int dw : {1, 50, 401, 1280}) {
        for (int dh : {1, 33, 400, 721}) {
          const auto lb = compute_scaling(sw, sh, dw, dh, ScalingMode::kLetterbox);
          ASSERT_GE(lb.dst.x, 0);
          ASSERT_GE(lb.dst.y, 0);
          ASSERT_LE(lb.dst.x + lb.dst.w, dw);
          ASSERT_LE(lb.dst.y + lb.dst.h, dh);
          ASSERT_TRUE(lb.dst.w == dw || lb.dst.h == dh);
          // The computed side is within half a pixel of the exact one (unless clamped to 1).
          const double exact_h = static_cast<double>(lb.dst.w) * sh / sw;
          const double exact_w = static_cast<double>(lb.dst.h) * sw / sh;
          ASSERT_TRUE(std::abs(exact_h - lb.dst.h) <= 0.5 + 1e-9 || std::abs(exact_w - lb.dst.w) <= 0.5 + 1e-9 ||
                      lb.dst.w == 1 || lb.dst.h == 1)
              << sw << "x" << sh << " in " << dw << "x" << dh;
          const auto cr = compute_scaling(sw, sh, dw, dh, ScalingMode::kCrop);
          ASSERT_EQ(cr.dst, (Rect{0, 0, dw, dh}));
          ASSERT_GE(cr.src.x, 0);
          ASSERT_GE(cr.src.y, 0);
          ASSERT_LE(cr.src.x + cr.src.w, sw);
          ASSERT_LE(cr.src.y + cr.src.h, sh);
          ASSERT_TRUE(cr.src.w == sw || cr.src.h == sh);
        }
      }
    }
  }
}

TEST(Scaling, EmptySizesGiveEmptyRects) {
  EXPECT_EQ(compute_scaling(0, 10, 10, 10, ScalingMode::kLetterbox), ScaledRects{});
  EXPECT_EQ(compute_scaling(10, 10, 10, 0, ScalingMode::kCrop), ScaledRects{});
  EXPECT_EQ(compute_scaling(10, -1, 10, 10, ScalingMode::kStretch), ScaledRects{});
}

TEST(Scaling, ModesHaveConfigNames) {
  EXPECT_EQ(enum_name(ScalingMode::kLetterbox), "letterbox");
  EXPECT_EQ(enum_name(ScalingMode::kCrop), "crop");
  EXPECT_EQ(enum_name(ScalingMode::kStretch), "stretch");
}

}  // namespace
}  // namespace streamlib::sdl
