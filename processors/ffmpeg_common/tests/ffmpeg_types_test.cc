// Error helpers, format mapping and time conversion.
#include <gtest/gtest.h>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/media_reader.h"

namespace streamlib::ffmpeg {
namespace {

TEST(FormatMapping, EveryStreamlibPixelFormatMapsToFfmpegAndBack) {
  for (PixelFormat f :
       {PixelFormat::kRgba, PixelFormat::kBgra, PixelFormat::kI420, PixelFormat::kNv12, PixelFormat::kYuyv,
        PixelFormat::kRgb24, PixelFormat::kGray8, PixelFormat::kI422, PixelFormat::kI444, PixelFormat::kP010,
        PixelFormat::kYuv420p10, PixelFormat::kYuv422p10, PixelFormat::kYuv444p10}) {
    const AVPixelFormat av = to_av_pixel_format(f);
    ASSERT_NE(av, AV_PIX_FMT_NONE) << enum_name(f);
    ColorRange implied = ColorRange::kFull;
    EXPECT_EQ(from_av_pixel_format(av, &implied), f) << enum_name(f);
    EXPECT_EQ(implied, ColorRange::kUnknown);
  }
  EXPECT_EQ(to_av_pixel_format(PixelFormat::kI420), AV_PIX_FMT_YUV420P);
  EXPECT_EQ(to_av_pixel_format(PixelFormat::kYuyv), AV_PIX_FMT_YUYV422);
  EXPECT_EQ(to_av_pixel_format(PixelFormat::kP010), AV_PIX_FMT_P010LE);
  EXPECT_EQ(to_av_pixel_format(PixelFormat::kYuv420p10), AV_PIX_FMT_YUV420P10LE);
  EXPECT_EQ(to_av_pixel_format(PixelFormat::kI444), AV_PIX_FMT_YUV444P);
}

TEST(FormatMapping, JpegRangeYuvMapsToI420WithFullRange) {
  ColorRange implied = ColorRange::kUnknown;
  EXPECT_EQ(from_av_pixel_format(AV_PIX_FMT_YUVJ420P, &implied), PixelFormat::kI420);
  EXPECT_EQ(implied, ColorRange::kFull);
  implied = ColorRange::kUnknown;
  EXPECT_EQ(from_av_pixel_format(AV_PIX_FMT_YUVJ444P, &implied), PixelFormat::kI444);
  EXPECT_EQ(implied, ColorRange::kFull);
}

TEST(FormatMapping, FormatsStreamlibLacksMapToNothing) {
  EXPECT_EQ(from_av_pixel_format(AV_PIX_FMT_YUV420P12LE), std::nullopt);
  EXPECT_EQ(from_av_pixel_format(AV_PIX_FMT_YUV420P10BE), std::nullopt);  // big-endian words
  EXPECT_EQ(from_av_pixel_format(AV_PIX_FMT_NONE), std::nullopt);
}

TEST(FormatMapping, TheNearestKeptFormatKeepsDepthAndChromaAsFfmpegPicks) {
  EXPECT_EQ(nearest_pixel_format(AV_PIX_FMT_YUV444P), AV_PIX_FMT_YUV444P);  // kept: itself
  EXPECT_EQ(nearest_pixel_format(AV_PIX_FMT_YUV420P12LE), AV_PIX_FMT_YUV420P10LE);
  EXPECT_EQ(nearest_pixel_format(AV_PIX_FMT_YUV444P12LE), AV_PIX_FMT_YUV444P10LE);
  EXPECT_EQ(nearest_pixel_format(AV_PIX_FMT_YUV420P10BE), AV_PIX_FMT_YUV420P10LE);
  EXPECT_EQ(nearest_pixel_format(AV_PIX_FMT_YUV440P), AV_PIX_FMT_YUV444P);  // no chroma lost
}

TEST(FormatMapping, ColourRangeAndMatrixMapBothWays) {
  for (ColorRange r : {ColorRange::kUnknown, ColorRange::kLimited, ColorRange::kFull}) {
    EXPECT_EQ(from_av_color_range(to_av_color_range(r)), r);
  }
  for (ColorMatrix m : {ColorMatrix::kUnknown, ColorMatrix::kBt601, ColorMatrix::kBt709, ColorMatrix::kBt2020}) {
    EXPECT_EQ(from_av_color_space(to_av_color_space(m)), m);
  }
  EXPECT_EQ(from_av_color_space(AVCOL_SPC_BT470BG), ColorMatrix::kBt601);
  EXPECT_EQ(to_av_color_range(ColorRange::kLimited), AVCOL_RANGE_MPEG);
}

TEST(TimeConversion, NanosecondsRoundTripThroughCommonTimeBases) {
  for (AVRational tb : {AVRational{1, 90000}, AVRational{1, 1000}, AVRational{1, 48000}, AVRational{1001, 30000},
                        AVRational{1, 1'000'000'000}}) {
    for (std::int64_t ticks :
         {std::int64_t{0}, std::int64_t{1}, std::int64_t{12345}, std::int64_t{-7}, std::int64_t{1} << 32}) {
      EXPECT_EQ(from_ns(to_ns(ticks, tb), tb), ticks) << tb.num << "/" << tb.den;
    }
  }
  EXPECT_EQ(to_ns(3000, AVRational{1, 90000}), 33'333'333);
  EXPECT_EQ(to_ns(1, AVRational{1001, 30000}), 33'366'667);
  EXPECT_EQ(from_ns(1'000'000'000, AVRational{1, 48000}), 48000);
}

TEST(TimeConversion, NoTimestampPassesThroughUnchanged) {
  EXPECT_EQ(to_ns(kNoTimestamp, AVRational{1, 90000}), kNoTimestamp);
  EXPECT_EQ(from_ns(kNoTimestamp, AVRational{1, 90000}), kNoTimestamp);
}

TEST(TimeConversion, SampleCountsConvertToNanosecondsAndBack) {
  EXPECT_EQ(samples_to_ns(48000, 48000), 1'000'000'000);
  EXPECT_EQ(samples_to_ns(1024, 44100), 23'219'955);
  EXPECT_EQ(ns_to_samples(1'000'000'000, 44100), 44100);
  EXPECT_EQ(ns_to_samples(samples_to_ns(12345, 44100), 44100), 12345);
}

TEST(Errors, MissingFileNamesTheFileAndSaysWhy) {
  clear_last_log_error();
  const Error e = av_error(AVERROR(ENOENT), "in.mp4");
  EXPECT_EQ(e.message(), "in.mp4: No such file or directory");
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(is_input_error(e));
}

TEST(Errors, CodesMapToStreamlibErrorKinds) {
  EXPECT_EQ(av_error_code(kErrorInvalidData), ErrorCode::kParse);
  EXPECT_EQ(av_error_code(AVERROR(EACCES)), ErrorCode::kIo);
  EXPECT_EQ(av_error_code(AVERROR(EINVAL)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(av_error_text(kErrorEof), "End of file");
}

TEST(Errors, FfmpegsLoggedReasonIsAppended) {
  clear_last_log_error();
  av_log(nullptr, AV_LOG_ERROR, "moov atom not found\n");
  const Error e = av_error(kErrorInvalidData, "bad.mp4");
  EXPECT_EQ(e.message(), "bad.mp4: Invalid data found when processing input (moov atom not found)");
  clear_last_log_error();
  EXPECT_EQ(last_log_error(), "");
}

TEST(Errors, UnknownEncoderListsTheAvailableOnes) {
  const Error e = codec_not_available("libfoo", MediaKind::kVideo, true);
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(e.message().find("codec 'libfoo' is not available (video encoders: "), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("libx264"), std::string::npos);
  EXPECT_EQ(e.message().find("aac"), std::string::npos) << "audio encoders are not listed for video";
  EXPECT_NE(available_codecs(MediaKind::kAudio, true).find("libopus"), std::string::npos);
}

TEST(NativeParameters, AreRecognisedOnlyWhenThisLayerMadeThem) {
  CodecParametersPtr par(avcodec_parameters_alloc());
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = AV_CODEC_ID_H264;
  par->width = 640;
  std::shared_ptr<const void> native = make_native_parameters(*par);
  const AVCodecParameters* back = native_parameters(native);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->codec_id, AV_CODEC_ID_H264);
  EXPECT_EQ(back->width, 640);
  EXPECT_NE(back, par.get()) << "a copy, not the original";

  auto foreign = std::make_shared<int>(42);
  EXPECT_EQ(native_parameters(foreign), nullptr);
  EXPECT_EQ(native_parameters(nullptr), nullptr);
}

}  // namespace
}  // namespace streamlib::ffmpeg
