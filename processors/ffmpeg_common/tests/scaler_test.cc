// Scaler: sizes, formats, modes, colours, pooling.
#include "ffmpeg_common/scaler.h"

#include <gtest/gtest.h>

#include "test_media.h"

namespace streamlib::ffmpeg {
namespace {

using testing::rgba_at;
using testing::solid_frame;

constexpr PixelFormat kAllFormats[] = {
    PixelFormat::kRgba,      PixelFormat::kBgra,      PixelFormat::kI420,     PixelFormat::kNv12, PixelFormat::kYuyv,
    PixelFormat::kRgb24,     PixelFormat::kGray8,     PixelFormat::kI422,     PixelFormat::kI444, PixelFormat::kP010,
    PixelFormat::kYuv420p10, PixelFormat::kYuv422p10, PixelFormat::kYuv444p10};

Scaler make(ScalerOptions options) {
  auto s = Scaler::create(std::move(options));
  if (!s) throw std::runtime_error(s.error().message());
  return std::move(s).value();
}

// Three vertical bands: `edge` colour on the outer quarters, `middle` in the centre half.
VideoFrame bands(int width, int height, std::array<std::uint8_t, 3> edge, std::array<std::uint8_t, 3> middle) {
  WritableVideoFrame w(width, height, PixelFormat::kRgba);
  for (int y = 0; y < height; ++y) {
    std::uint8_t* row = w.plane(0).data() + static_cast<std::size_t>(y * w.stride(0));
    for (int x = 0; x < width; ++x) {
      const auto& c = (x < width / 4 || x >= width * 3 / 4) ? edge : middle;
      row[4 * x + 0] = c[0];
      row[4 * x + 1] = c[1];
      row[4 * x + 2] = c[2];
      row[4 * x + 3] = 255;
    }
  }
  return std::move(w).freeze();
}

TEST(Scaler, StretchesToTheRequestedSizeAndFormat) {
  Scaler scaler = make({.width = 640, .height = 360, .format = PixelFormat::kI420});
  auto out = scaler.convert(solid_frame(320, 240, PixelFormat::kRgba, 0, 0, 255));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->width(), 640);
  EXPECT_EQ(out->height(), 360);
  EXPECT_EQ(out->format(), PixelFormat::kI420);
  EXPECT_EQ(out->color_range(), ColorRange::kLimited);
  EXPECT_EQ(out->color_matrix(), ColorMatrix::kBt601);
}

TEST(Scaler, RgbToYuvUsesBt601LimitedRangeForStandardDefinition) {
  Scaler scaler = make({.format = PixelFormat::kI420});
  auto out = scaler.convert(solid_frame(64, 48, PixelFormat::kRgba, 255, 0, 0));
  ASSERT_TRUE(out);
  EXPECT_NEAR(out->plane(0)[0], 81, 2);
  EXPECT_NEAR(out->plane(1)[0], 90, 2);
  EXPECT_NEAR(out->plane(2)[0], 240, 2);
}

TEST(Scaler, HighDefinitionYuvUsesBt709) {
  Scaler to_yuv = make({.format = PixelFormat::kI420});
  auto yuv = to_yuv.convert(solid_frame(1280, 720, PixelFormat::kRgba, 255, 0, 0));
  ASSERT_TRUE(yuv);
  EXPECT_EQ(yuv->color_matrix(), ColorMatrix::kBt709);
  EXPECT_NEAR(yuv->plane(0)[0], 63, 2);  // BT.709 red: Y 63, not BT.601's 81
  Scaler to_rgb = make({.format = PixelFormat::kRgba});
  auto rgb = to_rgb.convert(*yuv);
  ASSERT_TRUE(rgb);
  const auto px = rgba_at(*rgb, 100, 100);
  EXPECT_NEAR(px[0], 255, 3);
  EXPECT_NEAR(px[1], 0, 3);
  EXPECT_NEAR(px[2], 0, 3);
}

TEST(Scaler, EveryFormatConvertsToEveryOtherKeepingTheColour) {
  for (PixelFormat from : kAllFormats) {
    for (PixelFormat to : kAllFormats) {
      Scaler there = make({.format = to});
      Scaler back = make({.format = PixelFormat::kRgba});
      const bool gray = from == PixelFormat::kGray8 || to == PixelFormat::kGray8;
      const std::uint8_t r = gray ? 128 : 200;
      const std::uint8_t g = gray ? 128 : 100;
      const std::uint8_t b = gray ? 128 : 50;
      auto mid = there.convert(solid_frame(64, 48, from, r, g, b));
      ASSERT_TRUE(mid) << enum_name(from) << " -> " << enum_name(to) << ": " << mid.error().message();
      EXPECT_EQ(mid->format(), to);
      auto out = back.convert(*mid);
      ASSERT_TRUE(out);
      const auto px = rgba_at(*out, 20, 20);
      EXPECT_NEAR(px[0], r, 6) << enum_name(from) << " -> " << enum_name(to);
      EXPECT_NEAR(px[1], g, 6) << enum_name(from) << " -> " << enum_name(to);
      EXPECT_NEAR(px[2], b, 6) << enum_name(from) << " -> " << enum_name(to);
    }
  }
}

TEST(Scaler, LetterboxKeepsTheAspectWithOpaqueBlackBars) {
  Scaler scaler = make({.width = 640, .height = 240, .format = PixelFormat::kRgba, .mode = ScaleMode::kLetterbox});
  auto out = scaler.convert(solid_frame(320, 240, PixelFormat::kRgba, 255, 255, 255));
  ASSERT_TRUE(out);
  // 4:3 into 640x240: a 320x240 picture centred, 160-pixel bars left and right.
  for (int x : {0, 100, 159, 480, 639}) {
    const auto px = rgba_at(*out, x, 120);
    EXPECT_EQ(px[0], 0) << x;
    EXPECT_EQ(px[3], 255) << x;
  }
  for (int x : {161, 320, 478}) EXPECT_GE(rgba_at(*out, x, 120)[0], 250) << x;
}

TEST(Scaler, LetterboxBarsAreVideoBlackInYuv) {
  Scaler scaler = make({.width = 320, .height = 320, .format = PixelFormat::kI420, .mode = ScaleMode::kLetterbox});
  auto out = scaler.convert(solid_frame(320, 240, PixelFormat::kRgba, 255, 255, 255));
  ASSERT_TRUE(out);
  // 320x240 into 320x320: bars of 40 rows top and bottom.
  EXPECT_EQ(testing::luma_at(*out, 10, 5), 16);
  EXPECT_EQ(testing::luma_at(*out, 10, 315), 16);
  EXPECT_EQ(out->plane(1)[0], 128);
  EXPECT_GE(testing::luma_at(*out, 10, 160), 230);
}

TEST(Scaler, CropFillsTheOutputAndCutsBothSidesEvenly) {
  // 400x200 red|green|red (green is the middle 200 columns) cropped to a square: all green.
  Scaler scaler = make({.width = 100, .height = 100, .format = PixelFormat::kRgba, .mode = ScaleMode::kCrop});
  auto out = scaler.convert(bands(400, 200, {255, 0, 0}, {0, 255, 0}));
  ASSERT_TRUE(out);
  for (int x : {0, 50, 99}) {
    const auto px = rgba_at(*out, x, 50);
    EXPECT_LE(px[0], 10) << x;
    EXPECT_GE(px[1], 245) << x;
  }
}

TEST(Scaler, StretchKeepsEverythingAndIgnoresTheAspect) {
  Scaler scaler = make({.width = 100, .height = 100, .format = PixelFormat::kRgba});
  auto out = scaler.convert(bands(400, 200, {255, 0, 0}, {0, 255, 0}));
  ASSERT_TRUE(out);
  EXPECT_GE(rgba_at(*out, 5, 50)[0], 245);
  EXPECT_GE(rgba_at(*out, 50, 50)[1], 245);
  EXPECT_GE(rgba_at(*out, 95, 50)[0], 245);
}

TEST(Scaler, GeometrySaysWhereThePictureLands) {
  const ScaleGeometry box = scale_geometry(1920, 1080, 1000, 1000, ScaleMode::kLetterbox);
  EXPECT_EQ(box.source, (Rect{0, 0, 1920, 1080}));
  EXPECT_EQ(box.target, (Rect{0, 218, 1000, 563}));
  const ScaleGeometry even =
      scale_geometry(1920, 1080, 1000, 1000, ScaleMode::kLetterbox, PixelFormat::kRgba, PixelFormat::kI420);
  EXPECT_EQ(even.target, (Rect{0, 218, 1000, 562}));
  const ScaleGeometry crop = scale_geometry(1920, 1080, 1000, 1000, ScaleMode::kCrop, PixelFormat::kI420);
  EXPECT_EQ(crop.source, (Rect{420, 0, 1080, 1080}));
  EXPECT_EQ(crop.target, (Rect{0, 0, 1000, 1000}));
  const ScaleGeometry stretch = scale_geometry(1920, 1080, 1000, 1000, ScaleMode::kStretch);
  EXPECT_EQ(stretch.target, (Rect{0, 0, 1000, 1000}));
}

TEST(Scaler, AFrameThatAlreadyFitsIsPassedThroughWithoutACopy) {
  Scaler scaler = make({.width = 64, .height = 48, .format = PixelFormat::kI420});
  VideoFrame in = solid_frame(64, 48, PixelFormat::kI420, 10, 20, 30);
  auto out = scaler.convert(in);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->buffer_id(), in.buffer_id());
  EXPECT_EQ(scaler.pool().allocated(), 0u);
}

TEST(Scaler, TimingAndMetadataAreCarriedOver) {
  WritableVideoFrame w(64, 48, PixelFormat::kRgba);
  w.set_timestamp_ns(123'456'789);
  w.set_duration_ns(40'000'000);
  w.set_frame_number(77);
  w.set_keyframe(false);
  w.metadata().set("source", "camera_0");
  Scaler scaler = make({.width = 32, .height = 24});
  auto out = scaler.convert(std::move(w).freeze());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->timestamp_ns(), 123'456'789);
  EXPECT_EQ(out->duration_ns(), 40'000'000);
  EXPECT_EQ(out->frame_number(), 77u);
  EXPECT_FALSE(out->keyframe());
  EXPECT_EQ(out->metadata().get("source"), "camera_0");
  EXPECT_EQ(out->format(), PixelFormat::kRgba) << "no format asked: the input's";
}

TEST(Scaler, EveryQualitySettingProducesThePicture) {
  for (ScaleQuality q : {ScaleQuality::kNearest, ScaleQuality::kFastBilinear, ScaleQuality::kBilinear,
                         ScaleQuality::kArea, ScaleQuality::kBicubic, ScaleQuality::kLanczos}) {
    Scaler scaler = make({.width = 100, .height = 75, .format = PixelFormat::kRgba, .quality = q});
    auto out = scaler.convert(solid_frame(320, 240, PixelFormat::kI420, 0, 0, 255));
    ASSERT_TRUE(out) << enum_name(q);
    EXPECT_NEAR(rgba_at(*out, 50, 37)[2], 255, 4) << enum_name(q);
  }
}

TEST(Scaler, OneDimensionFollowsTheAspectWhenTheOtherIsZero) {
  Scaler scaler = make({.width = 0, .height = 360});
  EXPECT_EQ(scaler.output_size(1920, 1080), (std::pair{640, 360}));
  auto out = scaler.convert(solid_frame(1920, 1080, PixelFormat::kNv12, 1, 2, 3));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->width(), 640);
  EXPECT_EQ(out->format(), PixelFormat::kNv12);
}

TEST(Scaler, ConvertIntoFillsTheCallersFrame) {
  Scaler scaler = make({.mode = ScaleMode::kLetterbox});
  WritableVideoFrame target(200, 100, PixelFormat::kBgra);
  ASSERT_TRUE(scaler.convert_into(solid_frame(100, 100, PixelFormat::kRgba, 255, 0, 0), target));
  VideoFrame out = std::move(target).freeze();
  const std::uint8_t* centre = out.plane(0).data() + 50 * out.stride(0) + 4 * 100;
  EXPECT_GE(centre[2], 250);      // BGRA: red is the third byte
  EXPECT_EQ(out.plane(0)[2], 0);  // bar
}

TEST(Scaler, SteadyStateScalingAllocatesNoNewPooledFrames) {
  Scaler scaler = make({.width = 160, .height = 120, .format = PixelFormat::kRgba, .mode = ScaleMode::kLetterbox});
  VideoFrame in = solid_frame(320, 200, PixelFormat::kI420, 9, 9, 9);
  std::uint64_t after_warmup = 0;
  for (int i = 0; i < 100; ++i) {
    auto out = scaler.convert(in);
    ASSERT_TRUE(out);
    if (i == 4) after_warmup = scaler.pool().allocated();
  }
  EXPECT_EQ(after_warmup, 1u);
  EXPECT_EQ(scaler.pool().allocated(), after_warmup);
  EXPECT_GE(scaler.pool().reused(), 99u);
}

TEST(Scaler, ReconfigureChangesTheOutputBetweenFrames) {
  Scaler scaler = make({.width = 32, .height = 32});
  VideoFrame in = solid_frame(64, 64, PixelFormat::kRgba, 1, 2, 3);
  EXPECT_EQ(scaler.convert(in)->width(), 32);
  ASSERT_TRUE(scaler.reconfigure({.width = 16, .height = 16, .format = PixelFormat::kGray8}));
  auto out = scaler.convert(in);
  EXPECT_EQ(out->width(), 16);
  EXPECT_EQ(out->format(), PixelFormat::kGray8);
}

TEST(Scaler, InvalidOptionsAreRejected) {
  auto s = Scaler::create({.width = -1, .height = 10});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("out of range"), std::string::npos);
  Scaler ok = make({});
  EXPECT_FALSE(ok.convert(VideoFrame{}));
}

}  // namespace
}  // namespace streamlib::ffmpeg
