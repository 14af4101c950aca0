// Encoder names and settings checked with no media, as the encoders themselves take them.
#include "ffmpeg_common/encoder_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ffmpeg_common/encoder.h"

namespace streamlib::ffmpeg {
namespace {

using ::testing::HasSubstr;

TEST(EncoderCheck, KnowsEncodersByEncoderOrCodecNameAndKind) {
  EXPECT_TRUE(check_encoder("libx264", MediaKind::kVideo));
  EXPECT_TRUE(check_encoder("h264", MediaKind::kVideo));
  EXPECT_TRUE(check_encoder("aac", MediaKind::kAudio));
  auto wrong_kind = check_encoder("aac", MediaKind::kVideo);
  ASSERT_FALSE(wrong_kind);
  EXPECT_EQ(wrong_kind.error().code(), ErrorCode::kNotFound);
  auto typo = check_encoder("libx246", MediaKind::kVideo);
  ASSERT_FALSE(typo);
  EXPECT_THAT(typo.error().message(), HasSubstr("codec 'libx246' is not available (video encoders: libx264"));
  EXPECT_THAT(typo.error().message(), HasSubstr("(did you mean 'libx264'?)"));
}

// An option with named values (libvpx-vp9's `deadline`) is checked as the encoder parses it,
// and the names are listed; the same verdict as opening the encoder with it.
TEST(EncoderCheck, AnOptionWithNamedValuesTakesTheNamesOrANumberAndListsTheNames) {
  EXPECT_TRUE(check_encoder_setting("libvpx-vp9", "deadline", "realtime"));
  EXPECT_TRUE(check_encoder_setting("libvpx-vp9", "deadline", "1000000"));
  auto typo = check_encoder_setting("libvpx-vp9", "deadline", "realtim");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().message(),
            "'realtim' is not a libvpx-vp9 deadline (did you mean 'realtime'?; accepted: best, good, realtime)");
  for (const std::string value : {"realtime", "realtim"}) {
    const bool opens =
        VideoEncoder::create(
            {.codec = "libvpx-vp9", .width = 64, .height = 64, .frame_rate_num = 30, .options = {{"deadline", value}}})
            .has_value();
    EXPECT_EQ(opens, check_encoder_setting("libvpx-vp9", "deadline", value).has_value()) << value;
  }
  auto none = check_encoder_setting("libvpx-vp9", "preset", "fast");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "libvpx-vp9 has no option 'preset'");
}

}  // namespace
}  // namespace streamlib::ffmpeg
