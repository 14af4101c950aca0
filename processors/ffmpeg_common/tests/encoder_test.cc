// VideoEncoder and AudioEncoder with the real libx264, libvpx, aac and libopus.
#include "ffmpeg_common/encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

#include "ffmpeg_common/ffmpeg_types.h"
#include "test_media.h"

namespace streamlib::ffmpeg {
namespace {

using testing::sine_frame;

constexpr std::int64_t kFrameNs = 33'333'333;

VideoEncoder make_video(VideoEncoderOptions options) {
  auto e = VideoEncoder::create(std::move(options));
  if (!e) throw std::runtime_error(e.error().message());
  return std::move(e).value();
}

AudioEncoder make_audio(AudioEncoderOptions options) {
  auto e = AudioEncoder::create(std::move(options));
  if (!e) throw std::runtime_error(e.error().message());
  return std::move(e).value();
}

VideoFrame picture(int n, int width = 320, int height = 240, std::int64_t t0 = 0) {
  return testing::moving_picture(n, width, height, t0);
}

std::vector<EncodedPacket> encode_all(VideoEncoder& enc, int frames, std::function<VideoFrame(int)> make) {
  std::vector<EncodedPacket> out;
  for (int i = 0; i < frames; ++i) {
    auto r = enc.encode(make(i), out);
    EXPECT_TRUE(r) << r.error().message();
  }
  auto r = enc.flush(out);
  EXPECT_TRUE(r) << r.error().message();
  return out;
}

TEST(VideoEncoder, H264EncodesEveryFrameAndFlushDrainsTheRest) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast"});
  EXPECT_FALSE(enc.is_open()) << "no size given: opens at the first frame";
  std::vector<EncodedPacket> packets;
  std::size_t before_flush = 0;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(enc.encode(picture(i), packets));
  before_flush = packets.size();
  ASSERT_TRUE(enc.flush(packets));
  EXPECT_EQ(packets.size(), 60u);
  EXPECT_LT(before_flush, 60u) << "the encoder looks ahead";
  ASSERT_TRUE(enc.parameters());
  const CodecParameters& p = *enc.parameters();
  EXPECT_EQ(p.codec, "h264");
  EXPECT_EQ(p.kind, MediaKind::kVideo);
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 240);
  EXPECT_EQ(p.pixel_format, "yuv420p");
  EXPECT_EQ(p.frame_rate_num, 30);
  EXPECT_FALSE(p.extradata.empty()) << "global header: SPS/PPS in extradata";
  ASSERT_NE(native_parameters(p.native), nullptr);
  EXPECT_EQ(native_parameters(p.native)->codec_id, AV_CODEC_ID_H264);
  EXPECT_TRUE(packets.front().keyframe());
  for (const EncodedPacket& pkt : packets) {
    EXPECT_EQ(pkt.params().get(), enc.parameters().get()) << "one shared CodecParameters";
    EXPECT_FALSE(pkt.bytes().empty());
  }
  EXPECT_EQ(enc.encoder_name(), "libx264");
}

TEST(VideoEncoder, PacketTimesAreTheFramesTimesInDecodeOrder) {
  VideoEncoder enc = make_video({.codec = "h264", .preset = "fast", .max_b_frames = 2});
  const std::int64_t t0 = 1'234'000'000'000;  // a live clock
  auto packets = encode_all(enc, 30, [&](int i) { return picture(i, 320, 240, t0); });
  ASSERT_EQ(packets.size(), 30u);
  std::set<std::int64_t> pts;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const EncodedPacket& p = packets[i];
    pts.insert(p.pts_ns());
    EXPECT_LE(p.dts_ns(), p.pts_ns());
    EXPECT_NEAR(p.duration_ns(), kFrameNs, 20'000);
    if (i > 0) {
      EXPECT_GT(p.dts_ns(), packets[i - 1].dts_ns());
    }
  }
  std::int64_t i = 0;
  for (std::int64_t t : pts) EXPECT_NEAR(t, t0 + (i++) * kFrameNs, 20'000);  // 90 kHz rounding
  const bool reordered =
      std::any_of(packets.begin(), packets.end(), [](const auto& p) { return p.pts_ns() != p.dts_ns(); });
  EXPECT_TRUE(reordered) << "B-frames reorder";
}

TEST(VideoEncoder, KeyframeIntervalIsRespected) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast", .keyframe_interval = 10});
  auto packets = encode_all(enc, 40, [](int i) { return picture(i); });
  ASSERT_EQ(packets.size(), 40u);
  std::sort(packets.begin(), packets.end(), [](const auto& a, const auto& b) { return a.pts_ns() < b.pts_ns(); });
  for (std::size_t i = 0; i < packets.size(); i += 10) EXPECT_TRUE(packets[i].keyframe()) << i;
}

TEST(VideoEncoder, ARequestedKeyframeComesOnTheNextFrame) {
  VideoEncoder enc = make_video({.codec = "libx264", .width = 320, .height = 240, .realtime = true});
  EXPECT_TRUE(enc.is_open());
  std::vector<EncodedPacket> packets;
  for (int i = 0; i < 20; ++i) {
    if (i == 13) enc.request_keyframe();
    ASSERT_TRUE(enc.encode(picture(i), packets));
  }
  EXPECT_EQ(packets.size(), 20u) << "realtime: no lookahead, a packet per frame";
  ASSERT_TRUE(enc.flush(packets));
  ASSERT_EQ(packets.size(), 20u);
  EXPECT_TRUE(packets[13].keyframe());
  EXPECT_FALSE(packets[12].keyframe());
}

TEST(VideoEncoder, FramesOfAnyFormatAndSizeAreConvertedForTheEncoder) {
  VideoEncoder enc = make_video({.codec = "libx264", .width = 160, .height = 120, .preset = "ultrafast"});
  const PixelFormat formats[] = {PixelFormat::kRgba,  PixelFormat::kBgra,  PixelFormat::kNv12, PixelFormat::kYuyv,
                                 PixelFormat::kRgb24, PixelFormat::kGray8, PixelFormat::kI420};
  auto packets = encode_all(enc, 14, [&](int i) {
    WritableVideoFrame w(320, 240, formats[i % 7]);
    std::fill(w.plane(0).begin(), w.plane(0).end(), static_cast<std::uint8_t>(i * 10));
    w.set_timestamp_ns(i * kFrameNs);
    return std::move(w).freeze();
  });
  EXPECT_EQ(packets.size(), 14u);
  EXPECT_EQ(enc.parameters()->width, 160);
}

TEST(VideoEncoder, Vp9EncodesInRealtimeAndGoodModes) {
  for (bool realtime : {true, false}) {
    VideoEncoder enc = make_video({.codec = "libvpx-vp9", .crf = 40, .realtime = realtime, .speed = 8});
    auto packets = encode_all(enc, 30, [](int i) { return picture(i); });
    EXPECT_EQ(packets.size(), 30u) << (realtime ? "realtime" : "good");
    EXPECT_EQ(enc.parameters()->codec, "vp9");
    EXPECT_TRUE(packets.front().keyframe());
  }
}

TEST(VideoEncoder, BitrateModeAimsAtTheBitrate) {
  VideoEncoder enc = make_video({.codec = "libx264", .bit_rate = 300'000, .preset = "ultrafast"});
  auto packets = encode_all(enc, 60, [](int i) { return picture(i); });
  ASSERT_EQ(packets.size(), 60u);
  std::size_t bytes = 0;
  for (const auto& p : packets) bytes += p.bytes().size();
  const double bits_per_second = static_cast<double>(bytes) * 8 / 2.0;
  EXPECT_LT(bits_per_second, 300'000 * 2.0);
  EXPECT_EQ(enc.parameters()->bit_rate, 300'000);
}

TEST(VideoEncoder, WithoutGlobalHeaderTheConfigurationTravelsInBand) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast", .global_header = false});
  auto packets = encode_all(enc, 5, [](int i) { return picture(i); });
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(enc.parameters()->extradata.empty());
  const auto b = packets.front().bytes();
  ASSERT_GT(b.size(), 5u);
  EXPECT_TRUE(b[0] == 0 && b[1] == 0 && (b[2] == 1 || (b[2] == 0 && b[3] == 1))) << "Annex B start code";
}

TEST(VideoEncoder, AnUnknownCodecListsTheAvailableEncoders) {
  auto e = VideoEncoder::create({.codec = "libfoo"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(e.error().message().find("codec 'libfoo' is not available (video encoders: "), std::string::npos);
  EXPECT_NE(e.error().message().find("libx264"), std::string::npos);
  auto audio_as_video = VideoEncoder::create({.codec = "aac"});
  ASSERT_FALSE(audio_as_video);
  EXPECT_NE(audio_as_video.error().message().find("codec 'aac' is not available"), std::string::npos);
}

TEST(VideoEncoder, UnknownOptionsAndBadValuesAreNamed) {
  auto unknown = VideoEncoder::create({.codec = "libx264", .options = {{"foo", "1"}}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("libx264 has no option 'foo' ("), std::string::npos)
      << unknown.error().message();
  EXPECT_NE(unknown.error().message().find("x264-params"), std::string::npos) << "lists the codec's options";

  auto bad = VideoEncoder::create({.codec = "libx264", .options = {{"crf", "abc"}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("libx264 option 'crf': 'abc' is refused"), std::string::npos)
      << bad.error().message();

  auto no_preset = VideoEncoder::create({.codec = "libvpx-vp9", .width = 64, .height = 64, .preset = "fast"});
  ASSERT_FALSE(no_preset);
  EXPECT_NE(no_preset.error().message().find("has no option 'preset'"), std::string::npos)
      << no_preset.error().message();

  auto bad_preset = VideoEncoder::create({.codec = "libx264", .width = 64, .height = 64, .preset = "warp9"});
  ASSERT_FALSE(bad_preset);
  EXPECT_NE(bad_preset.error().message().find("codec 'libx264'"), std::string::npos) << bad_preset.error().message();
}

TEST(VideoEncoder, AnUnsupportedPixelFormatIsReportedAtCreate) {
  auto e = VideoEncoder::create({.codec = "libx264", .pixel_format = "rgb48"});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("codec 'libx264': pixel format 'rgb48' is not supported (supported: yuv420p"),
            std::string::npos)
      << e.error().message();
  VideoEncoder yuv444 = make_video({.codec = "libx264", .pixel_format = "yuv444p", .preset = "ultrafast"});
  auto packets = encode_all(yuv444, 3, [](int i) { return picture(i); });
  EXPECT_EQ(packets.size(), 3u);
  EXPECT_EQ(yuv444.parameters()->pixel_format, "yuv444p");
}

// A solid frame of `format` (ten-bit formats included), 320x240 unless said.
VideoFrame solid(PixelFormat format, int i, int width = 320, int height = 240) {
  VideoFrame f = testing::solid_frame(width, height, format, 40 + i, 120, 200);
  return ::streamlib::internal::MediaTime<VideoFrame>::retimed(std::move(f), i * kFrameNs);
}

struct FormatCase {
  const char* codec;
  PixelFormat frames;
  const char* encoded;  // the encoder's format (FFmpeg's name)
  std::uint64_t conversions;
};

TEST(VideoEncoder, TheFramesFormatIsKeptWhenTheCodecTakesItElseTheNearestAsFfmpegPicks) {
  const FormatCase cases[] = {
      {"libx264", PixelFormat::kYuv420p10, "yuv420p10le", 0},  // High 10
      {"libx264", PixelFormat::kI422, "yuv422p", 0},           // High 4:2:2
      {"libx264", PixelFormat::kI444, "yuv444p", 0},           // High 4:4:4
      {"libx264", PixelFormat::kYuv444p10, "yuv444p10le", 0},
      {"libx264", PixelFormat::kP010, "yuv420p10le", 3},          // x264 has no p010: converted, depth kept
      {"libvpx-vp9", PixelFormat::kYuv420p10, "yuv420p10le", 0},  // profile 2
      {"libvpx-vp9", PixelFormat::kI444, "yuv444p", 0},           // profile 1
      {"libvpx", PixelFormat::kYuv422p10, "yuv420p", 3},          // VP8 is 8-bit 4:2:0 only
      {"libx264", PixelFormat::kRgba, "yuv420p", 3},              // drawn pictures: what players read
  };
  for (const FormatCase& c : cases) {
    SCOPED_TRACE(fmt::format("{} {}", c.codec, enum_name(c.frames)));
    VideoEncoder enc = make_video(
        {.codec = c.codec, .crf = 30, .preset = std::string(c.codec) == "libx264" ? "ultrafast" : "", .speed = 8});
    auto packets = encode_all(enc, 3, [&](int i) { return solid(c.frames, i); });
    EXPECT_EQ(packets.size(), 3u);
    ASSERT_TRUE(enc.parameters());
    EXPECT_EQ(enc.parameters()->pixel_format, c.encoded);
    EXPECT_EQ(enc.pixel_format_conversions(), c.conversions);
    if (c.conversions > 0) {
      EXPECT_EQ(enc.pixel_format_conversion(),
                fmt::format("{} 320x240 -> {} 320x240", pixel_format_name(to_av_pixel_format(c.frames)), c.encoded));
    }
  }
}

TEST(VideoEncoder, AnOddSizeInAFormatThatHalvesChromaIsKeptWholeInsteadOfFailingInLibx264) {
  // 641x361 4:2:0: libx264 refuses it ("width not divisible by 2"); 4:4:4 keeps every pixel.
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast"});
  auto packets = encode_all(enc, 3, [&](int i) { return solid(PixelFormat::kI420, i, 641, 361); });
  EXPECT_EQ(packets.size(), 3u);
  EXPECT_EQ(enc.parameters()->pixel_format, "yuv444p");
  EXPECT_EQ(enc.parameters()->width, 641);
  EXPECT_EQ(enc.parameters()->height, 361);
  EXPECT_EQ(enc.pixel_format_conversions(), 3u);
  EXPECT_EQ(enc.pixel_format_conversion(), "yuv420p 641x361 -> yuv444p 641x361");

  // An asked 4:2:0 wins over the format: the size is rounded up to even instead.
  VideoEncoder asked = make_video({.codec = "libx264", .pixel_format = "yuv420p", .preset = "ultrafast"});
  packets = encode_all(asked, 3, [&](int i) { return solid(PixelFormat::kI444, i, 641, 361); });
  EXPECT_EQ(packets.size(), 3u);
  EXPECT_EQ(asked.parameters()->pixel_format, "yuv420p");
  EXPECT_EQ(asked.parameters()->width, 642);
  EXPECT_EQ(asked.parameters()->height, 362);
  EXPECT_EQ(asked.pixel_format_conversion(), "yuv444p 641x361 -> yuv420p 642x362");
}

TEST(VideoEncoder, ALiveChangeOfATenBitEncoderKeepsItsFormat) {
  // A preset change opens a new encoder for the same picture (format included): its headers
  // differ, so it is refused as for 8-bit; a CRF change is taken in place.
  VideoEncoder enc = make_video({.codec = "libx264", .crf = 30, .preset = "ultrafast"});
  std::vector<EncodedPacket> out;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(enc.encode(solid(PixelFormat::kYuv420p10, i), out));
  VideoEncoderOptions next = enc.options();
  next.crf = 20;
  ASSERT_TRUE(enc.reconfigure(next, out));
  next.preset = "veryslow";
  auto refused = enc.reconfigure(next, out);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("SPS/PPS"), std::string::npos) << refused.error().message();
  for (int i = 3; i < 6; ++i) ASSERT_TRUE(enc.encode(solid(PixelFormat::kYuv420p10, i), out));
  ASSERT_TRUE(enc.flush(out));
  EXPECT_EQ(out.size(), 6u);
  EXPECT_EQ(enc.parameters()->pixel_format, "yuv420p10le");
  EXPECT_EQ(enc.pixel_format_conversions(), 0u);
}

TEST(VideoEncoder, ExtraOptionsReachTheEncoder) {
  VideoEncoder enc =
      make_video({.codec = "libx264", .width = 64, .height = 64, .options = {{"x264-params", "keyint=5"}}});
  auto packets = encode_all(enc, 11, [](int i) { return picture(i, 64, 64); });
  ASSERT_EQ(packets.size(), 11u);
  std::sort(packets.begin(), packets.end(), [](const auto& a, const auto& b) { return a.pts_ns() < b.pts_ns(); });
  EXPECT_TRUE(packets[5].keyframe());
  EXPECT_TRUE(packets[10].keyframe());
}

TEST(VideoEncoder, EncodingAfterFlushIsAnError) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast"});
  std::vector<EncodedPacket> out;
  ASSERT_TRUE(enc.encode(picture(0), out));
  ASSERT_TRUE(enc.flush(out));
  auto again = enc.encode(picture(1), out);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
}

// --- Live changes (reconfigure) ---

// moving_picture() with fresh noise in every frame: hard to compress, so the bits an encoder
// spends follow its rate settings (a clean picture costs next to nothing at any setting).
VideoFrame busy_picture(int n) {
  VideoFrame clean = picture(n);
  WritableVideoFrame w(clean.width(), clean.height(), PixelFormat::kI420);
  std::uint32_t state = 2654435761u * static_cast<std::uint32_t>(n + 1);
  for (int p = 0; p < 3; ++p) {
    auto dst = w.plane(p);
    const auto src = clean.plane(p);
    for (std::size_t i = 0; i < dst.size(); ++i) {
      state = state * 1664525u + 1013904223u;
      dst[i] = static_cast<std::uint8_t>(std::clamp(src[i] + static_cast<int>(state >> 28) - 8, 16, 235));
    }
  }
  w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
  w.set_timestamp_ns(clean.timestamp_ns());
  w.set_duration_ns(clean.duration_ns());
  return std::move(w).freeze();
}

// Encodes `frames` pictures, calling `change` before frame `at`; flushes at the end.
std::vector<EncodedPacket> encode_with_change(VideoEncoder& enc, int frames, int at,
                                              const std::function<void(std::vector<EncodedPacket>&)>& change) {
  std::vector<EncodedPacket> out;
  for (int i = 0; i < frames; ++i) {
    if (i == at) change(out);
    auto r = enc.encode(busy_picture(i), out);
    EXPECT_TRUE(r) << r.error().message();
  }
  auto r = enc.flush(out);
  EXPECT_TRUE(r) << r.error().message();
  return out;
}

// Every frame came out once, at its own time, in one stream whose decode times only go forward.
void expect_one_whole_stream(const std::vector<EncodedPacket>& packets, int frames) {
  ASSERT_EQ(packets.size(), static_cast<std::size_t>(frames));
  std::set<std::int64_t> pts;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    pts.insert(packets[i].pts_ns());
    EXPECT_EQ(packets[i].params(), packets.front().params()) << "packet " << i << ": one stream";
    EXPECT_LE(packets[i].dts_ns(), packets[i].pts_ns()) << i;
    if (i > 0) {
      EXPECT_GT(packets[i].dts_ns(), packets[i - 1].dts_ns()) << "decode time goes back at packet " << i;
    }
  }
  std::int64_t i = 0;
  for (std::int64_t t : pts) EXPECT_NEAR(t, (i++) * kFrameNs, 20'000);
}

// Bytes of the packets whose frames are [from, to).
std::size_t bytes_of_frames(const std::vector<EncodedPacket>& packets, int from, int to) {
  std::size_t bytes = 0;
  for (const auto& p : packets) {
    const auto n = static_cast<int>((p.pts_ns() + kFrameNs / 2) / kFrameNs);
    if (n >= from && n < to) bytes += p.bytes().size();
  }
  return bytes;
}

// Frame numbers of the keyframes.
std::vector<int> keyframes(const std::vector<EncodedPacket>& packets) {
  std::vector<int> out;
  for (const auto& p : packets) {
    if (p.keyframe()) out.push_back(static_cast<int>((p.pts_ns() + kFrameNs / 2) / kFrameNs));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Bytes of frames 80..119 of 120 encoded with `first` throughout, and with `next` from frame 60
// on (reconfigure() there, in place: nothing drained if `in_place`). The second stream is checked
// whole. The same pictures both times, so the difference is the setting's alone.
std::pair<std::size_t, std::size_t> bytes_without_and_with_change(const VideoEncoderOptions& first,
                                                                  const VideoEncoderOptions& next, bool in_place) {
  VideoEncoder unchanged = make_video(first);
  const std::size_t control = bytes_of_frames(encode_all(unchanged, 120, busy_picture), 80, 120);
  VideoEncoder enc = make_video(first);
  auto packets = encode_with_change(enc, 120, 60, [&](std::vector<EncodedPacket>& out) {
    const std::size_t before = out.size();
    auto r = enc.reconfigure(next, out);
    ASSERT_TRUE(r) << r.error().message();
    if (in_place) {
      EXPECT_EQ(out.size(), before) << "in place: nothing drained";
    }
  });
  expect_one_whole_stream(packets, 120);
  return {control, bytes_of_frames(packets, 80, 120)};
}

TEST(VideoEncoderReconfigure, AnX264BitrateChangesInPlaceAndEveryFrameComesOut) {
  const VideoEncoderOptions low{.codec = "libx264", .bit_rate = 40'000, .preset = "veryfast"};
  VideoEncoderOptions high = low;
  high.bit_rate = 2'000'000;
  const auto [control, changed] = bytes_without_and_with_change(low, high, true);
  EXPECT_GT(changed, 3 * control) << "frames 80..119 at 40 kbit/s: " << control << " bytes; at 2 Mbit/s: " << changed;
}

TEST(VideoEncoderReconfigure, AnX264CrfChangesInPlace) {
  const VideoEncoderOptions coarse{.codec = "libx264", .crf = 45, .preset = "veryfast"};
  VideoEncoderOptions fine = coarse;
  fine.crf = 12;
  const auto [control, changed] = bytes_without_and_with_change(coarse, fine, true);
  EXPECT_GT(changed, 3 * control) << "frames 80..119 at crf 45: " << control << " bytes; at crf 12: " << changed;
}

TEST(VideoEncoderReconfigure, AKeyframeIntervalChangeDrainsTheOldEncoderIntoTheSameStream) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "veryfast", .keyframe_interval = 100});
  const auto params = std::make_shared<std::shared_ptr<const CodecParameters>>();
  std::size_t drained = 0;
  auto packets = encode_with_change(enc, 120, 45, [&](std::vector<EncodedPacket>& out) {
    *params = enc.parameters();
    VideoEncoderOptions next = enc.options();
    next.keyframe_interval = 10;
    const std::size_t before = out.size();
    ASSERT_TRUE(enc.reconfigure(next, out));
    drained = out.size() - before;
  });
  EXPECT_GT(drained, 0u) << "x264 looks ahead: the old encoder held frames, now drained";
  expect_one_whole_stream(packets, 120);
  EXPECT_EQ(enc.parameters(), *params) << "the same stream parameters (and headers) go on";
  const std::vector<int> keys = keyframes(packets);
  ASSERT_GE(keys.size(), 2u);
  EXPECT_EQ(keys[0], 0);
  EXPECT_EQ(keys[1], 45) << "the new encoder starts with a keyframe";
  for (std::size_t i = 2; i < keys.size(); ++i) EXPECT_LE(keys[i] - keys[i - 1], 10) << "keyframe at " << keys[i];
  EXPECT_GE(keys.back(), 110);
}

TEST(VideoEncoderReconfigure, APresetThatWouldChangeTheStreamHeadersIsRefusedAndEncodingGoesOn) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "veryfast"});
  auto packets = encode_with_change(enc, 60, 30, [&](std::vector<EncodedPacket>& out) {
    VideoEncoderOptions next = enc.options();
    next.preset = "slower";  // 8 reference frames: another SPS
    const std::size_t before = out.size();
    auto r = enc.reconfigure(next, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(r.error().message().find("preset"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("SPS/PPS"), std::string::npos) << r.error().message();
    EXPECT_EQ(out.size(), before);
  });
  EXPECT_EQ(enc.options().preset, "veryfast") << "nothing changed";
  expect_one_whole_stream(packets, 60);
}

TEST(VideoEncoderReconfigure, APresetWithTheSameStreamHeadersChangesLive) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "veryfast"});
  auto packets = encode_with_change(enc, 60, 30, [&](std::vector<EncodedPacket>& out) {
    VideoEncoderOptions next = enc.options();
    next.preset = "superfast";
    auto r = enc.reconfigure(next, out);
    ASSERT_TRUE(r) << r.error().message();
  });
  EXPECT_EQ(enc.options().preset, "superfast");
  expect_one_whole_stream(packets, 60);
}

TEST(VideoEncoderReconfigure, Vp9CrfChangesWithANewEncoderAndLosesNoFrame) {
  const VideoEncoderOptions coarse{.codec = "libvpx-vp9", .crf = 60, .realtime = true};
  VideoEncoderOptions fine = coarse;
  fine.crf = 5;
  const auto [control, changed] = bytes_without_and_with_change(coarse, fine, false);
  EXPECT_GT(changed, 3 * control) << "frames 80..119 at crf 60: " << control << " bytes; at crf 5: " << changed;
}

TEST(VideoEncoderReconfigure, OptionsThatMakeAnotherStreamCannotChangeAndNothingChanges) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast"});
  std::vector<EncodedPacket> out;
  ASSERT_TRUE(enc.encode(picture(0), out));
  for (auto edit : std::vector<std::function<void(VideoEncoderOptions&)>>{
           [](VideoEncoderOptions& o) { o.codec = "libvpx-vp9"; },
           [](VideoEncoderOptions& o) { o.frame_rate_num = 25; },
           [](VideoEncoderOptions& o) { o.threads = 3; },
       }) {
    VideoEncoderOptions next = enc.options();
    edit(next);
    next.crf = 30;
    auto r = enc.reconfigure(next, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("cannot change while encoding"), std::string::npos) << r.error().message();
    EXPECT_EQ(enc.options().crf, -1);
  }
  VideoEncoderOptions bad = enc.options();
  bad.crf = 99;
  EXPECT_FALSE(enc.reconfigure(bad, out)) << "validated like create()";
}

TEST(VideoEncoderReconfigure, BeforeTheEncoderOpensTheNewOptionsAreSimplyTaken) {
  VideoEncoder enc = make_video({.codec = "libx264", .preset = "ultrafast"});
  ASSERT_FALSE(enc.is_open());
  VideoEncoderOptions next = enc.options();
  next.preset = "slower";
  next.keyframe_interval = 5;
  std::vector<EncodedPacket> out;
  ASSERT_TRUE(enc.reconfigure(next, out));
  EXPECT_TRUE(out.empty());
  auto packets = encode_all(enc, 12, [](int i) { return picture(i); });
  EXPECT_EQ(keyframes(packets), (std::vector<int>{0, 5, 10}));
}

// --- Audio ---

std::vector<EncodedPacket> encode_tone(AudioEncoder& enc, int channels, int rate, double seconds, std::size_t block,
                                       std::int64_t t0 = 0) {
  std::vector<EncodedPacket> out;
  const auto total = static_cast<std::int64_t>(seconds * rate);
  for (std::int64_t pos = 0; pos < total; pos += static_cast<std::int64_t>(block)) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(block), total - pos));
    auto r = enc.encode(sine_frame(channels, rate, n, pos, 1000.0, 0.5, t0 + samples_to_ns(pos, rate)), out);
    EXPECT_TRUE(r) << r.error().message();
  }
  auto r = enc.flush(out);
  EXPECT_TRUE(r) << r.error().message();
  return out;
}

TEST(AudioEncoder, AacRechunksAnyBlockSizeIntoFramesOf1024) {
  AudioEncoder enc = make_audio({.codec = "aac"});
  auto packets = encode_tone(enc, 2, 44100, 2.0, 441);
  EXPECT_EQ(enc.frame_size(), 1024);
  ASSERT_TRUE(enc.parameters());
  const CodecParameters& p = *enc.parameters();
  EXPECT_EQ(p.codec, "aac");
  EXPECT_EQ(p.kind, MediaKind::kAudio);
  EXPECT_EQ(p.sample_rate, 44100);
  EXPECT_EQ(p.channels, 2);
  EXPECT_EQ(p.frame_size, 1024);
  EXPECT_FALSE(p.extradata.empty()) << "AudioSpecificConfig";
  // 88200 samples = 86.1 frames -> 87 packets, plus the encoder's priming frame.
  EXPECT_EQ(packets.size(), 88u);
  for (std::size_t i = 0; i + 1 < packets.size(); ++i) {
    EXPECT_NEAR(packets[i + 1].pts_ns() - packets[i].pts_ns(), samples_to_ns(1024, 44100), 1) << i;
    EXPECT_NEAR(packets[i].duration_ns(), samples_to_ns(1024, 44100), 1);
  }
}

TEST(AudioEncoder, PacketTimesFollowTheSamplesFromTheFirstTimestamp) {
  AudioEncoder enc = make_audio({.codec = "aac", .sample_rate = 48000, .channels = 1});
  EXPECT_TRUE(enc.is_open());
  const std::int64_t t0 = 5'000'000'000;
  auto packets = encode_tone(enc, 1, 48000, 1.0, 480, t0);
  ASSERT_FALSE(packets.empty());
  const AVCodecParameters* native = native_parameters(enc.parameters()->native);
  ASSERT_NE(native, nullptr);
  EXPECT_EQ(native->initial_padding, 1024);
  EXPECT_EQ(packets.front().pts_ns(), t0 - samples_to_ns(1024, 48000)) << "priming comes first";
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_NEAR(packets[i].pts_ns(), t0 + samples_to_ns(static_cast<std::int64_t>(i) * 1024 - 1024, 48000), 1) << i;
  }
}

TEST(AudioEncoder, OpusResamplesToARateItSupports) {
  AudioEncoder enc = make_audio({.codec = "opus", .bit_rate = 64000});
  auto packets = encode_tone(enc, 2, 44100, 1.0, 1000);
  EXPECT_EQ(enc.encoder_name(), "libopus");
  EXPECT_EQ(enc.sample_rate(), 48000);
  EXPECT_EQ(enc.frame_size(), 960);
  EXPECT_EQ(enc.parameters()->codec, "opus");
  // 1 s = 50 frames of 20 ms, plus priming.
  EXPECT_GE(packets.size(), 50u);
  EXPECT_LE(packets.size(), 52u);
}

TEST(AudioEncoder, AnUnsupportedRequestedRateListsTheSupportedOnes) {
  auto e = AudioEncoder::create({.codec = "libopus", .sample_rate = 44100, .channels = 2});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("sample rate 44100 is not supported (supported: 48000, 24000"), std::string::npos)
      << e.error().message();
}

TEST(AudioEncoder, AGapInTheInputIsFilledSoTimeStaysInSync) {
  AudioEncoder enc = make_audio({.codec = "aac", .sample_rate = 48000, .channels = 1});
  std::vector<EncodedPacket> out;
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(enc.encode(sine_frame(1, 48000, 480, i * 480, 440, 0.5, i * 10'000'000), out));
  // 0.5 s missing, then 0.5 s more.
  for (int i = 100; i < 150; ++i)
    ASSERT_TRUE(enc.encode(sine_frame(1, 48000, 480, i * 480, 440, 0.5, i * 10'000'000), out));
  ASSERT_TRUE(enc.flush(out));
  // 1.5 s of timeline = 70.3 frames of 1024 -> 71, plus priming.
  EXPECT_EQ(out.size(), 72u);
  EXPECT_EQ(out.back().pts_ns(), samples_to_ns(70 * 1024, 48000));
}

TEST(AudioEncoder, AnUnknownAudioCodecListsTheAudioEncoders) {
  auto e = AudioEncoder::create({.codec = "libfoo"});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("(audio encoders: "), std::string::npos);
  EXPECT_NE(e.error().message().find("libopus"), std::string::npos);
}

TEST(AudioEncoderReconfigure, AnAacBitrateChangesInPlaceAndTheSamplesGoOn) {
  AudioEncoder enc = make_audio({.codec = "aac", .bit_rate = 32'000});
  std::vector<EncodedPacket> out;
  const int rate = 48000;
  constexpr std::size_t kBlock = 960;
  std::size_t at_change = 0;
  for (int b = 0; b < 200; ++b) {  // 4 s
    if (b == 100) {
      AudioEncoderOptions next = enc.options();
      next.bit_rate = 256'000;
      ASSERT_TRUE(enc.reconfigure(next));
      at_change = out.size();
    }
    const auto pos = static_cast<std::int64_t>(b * kBlock);
    ASSERT_TRUE(enc.encode(sine_frame(2, rate, kBlock, pos, 1000.0, 0.5, samples_to_ns(pos, rate)), out));
  }
  ASSERT_TRUE(enc.flush(out));
  for (std::size_t i = 1; i < out.size(); ++i) {
    EXPECT_NEAR(out[i].pts_ns() - out[i - 1].pts_ns(), samples_to_ns(1024, rate), 1) << "packet " << i;
  }
  std::size_t before = 0;
  std::size_t after = 0;
  for (std::size_t i = 10; i < at_change; ++i) before += out[i].bytes().size();
  for (std::size_t i = at_change + 10; i < at_change + 10 + (at_change - 10) && i < out.size(); ++i) {
    after += out[i].bytes().size();
  }
  EXPECT_GT(after, 3 * before) << "32 kbit/s then 256 kbit/s";
}

TEST(AudioEncoderReconfigure, AnOpusBitrateCannotChangeInPlaceAndNothingChanges) {
  AudioEncoder enc = make_audio({.codec = "libopus", .sample_rate = 48000, .channels = 2});
  AudioEncoderOptions next = enc.options();
  next.bit_rate = 64'000;
  auto r = enc.reconfigure(next);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("bit_rate cannot change"), std::string::npos) << r.error().message();
  EXPECT_EQ(enc.options().bit_rate, 128'000);
  next = enc.options();
  next.channels = 1;
  EXPECT_FALSE(enc.reconfigure(next));
}

}  // namespace
}  // namespace streamlib::ffmpeg
