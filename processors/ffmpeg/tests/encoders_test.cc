#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ffmpeg/encoders.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg_test_util.h"
#include "streamlib/registry.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using testing::run_to_end;

std::vector<VideoFrame> test_frames(std::uint64_t n, int width = 160, int height = 120) {
  ProcessorHarness<VideoTestSource> src(
      {.width = width, .height = height, .pattern = VideoPattern::kBall, .live = false, .frames = n});
  EXPECT_TRUE(src.start());
  run_to_end(src);
  return src.take<VideoFrame>("video");
}

std::vector<AudioFrame> test_audio(double seconds, int rate = 48000) {
  ProcessorHarness<AudioTestSource> src({.sample_rate = rate, .duration = seconds, .live = false});
  EXPECT_TRUE(src.start());
  run_to_end(src);
  return src.take<AudioFrame>("audio");
}

TEST(VideoEncoder, EncodesEveryFrameToH264AndDrainsTheRestAtTheEnd) {
  ProcessorHarness<VideoEncoder> h({.codec = "h264", .preset = "ultrafast", .crf = 30, .keyframe_interval = 10});
  ASSERT_TRUE(h.start());
  for (const VideoFrame& f : test_frames(25)) ASSERT_TRUE(h.push("in", f));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.finished());
  auto packets = h.take<EncodedPacket>("out");
  ASSERT_EQ(packets.size(), 25u);
  EXPECT_TRUE(packets.front().keyframe());
  EXPECT_EQ(packets.front().codec(), "h264");
  EXPECT_EQ(packets.front().params()->width, 160);
  EXPECT_EQ(packets.front().params()->height, 120);
  std::vector<std::int64_t> pts;
  for (const EncodedPacket& p : packets) pts.push_back(p.pts_ns());
  std::sort(pts.begin(), pts.end());
  for (std::size_t i = 0; i < pts.size(); ++i)
    EXPECT_NEAR(static_cast<double>(pts[i]), static_cast<double>(i) * 1e9 / 30, 1.0) << i;
  const auto keyframes =
      std::count_if(packets.begin(), packets.end(), [](const EncodedPacket& p) { return p.keyframe(); });
  EXPECT_EQ(keyframes, 3);  // frames 0, 10, 20
  EXPECT_TRUE(h.output_ended("out"));
}

TEST(VideoEncoder, EncodesVp9) {
  ProcessorHarness<VideoEncoder> h({.codec = "vp9", .bitrate = 300'000, .realtime = true});
  ASSERT_TRUE(h.start());
  for (const VideoFrame& f : test_frames(10)) ASSERT_TRUE(h.push("in", f));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto packets = h.take<EncodedPacket>("out");
  ASSERT_EQ(packets.size(), 10u);
  EXPECT_EQ(packets.front().codec(), "vp9");
}

// --- Settings checked with the config, before anything runs -------------------------------------

// The error a graph file with this VideoEncoder config gets from the registry, or "".
std::string config_error(std::string_view type, const nlohmann::json& config) {
  auto node = ProcessorFactory::global().make_node(ProcessorId("enc"), type, config, "processors[0].config");
  return node ? "" : node.error().message();
}

// Whether the installed libx264 opens with this preset and tune (the encoder opens at create()
// when the size is known).
bool x264_opens(const std::string& preset, const std::string& tune) {
  return ffmpeg::VideoEncoder::create(
             {.codec = "libx264", .width = 64, .height = 64, .frame_rate_num = 30, .preset = preset, .tune = tune})
      .has_value();
}

TEST(VideoEncoder, PresetAndTuneAreCheckedWithTheConfigExactlyAsX264TakesThem) {
  for (const std::string preset :
       {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
        "VeryFast", "0", "9", "ultrafst", "fastest", "10", "medium ", "-1", "very fast"}) {
    const std::string error = config_error("VideoEncoder", {{"codec", "h264"}, {"preset", preset}});
    EXPECT_EQ(error.empty(), x264_opens(preset, "")) << "preset '" << preset << "': " << error;
  }
  for (const std::string tune :
       {"film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode", "zerolatency", "film,fastdecode",
        "zerolatency+fastdecode", "FILM", "film,grain", "filmm", "zero-latency", "latency", "film,grain,bogus",
        ",film,", "film,,fastdecode"}) {
    const std::string error = config_error("VideoEncoder", {{"codec", "h264"}, {"tune", tune}});
    EXPECT_EQ(error.empty(), x264_opens("", tune)) << "tune '" << tune << "': " << error;
  }
}

TEST(VideoEncoder, ATypoInAPresetNamesTheFieldTheNearestPresetAndTheAcceptedOnes) {
  EXPECT_EQ(config_error("VideoEncoder", {{"codec", "h264"}, {"preset", "ultrafst"}}),
            "processors[0].config.preset: 'ultrafst' is not a libx264 preset (did you mean 'ultrafast'?; accepted: "
            "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo)");
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "h264"}, {"tune", "zerolatncy"}}),
              HasSubstr("processors[0].config.tune: 'zerolatncy' is not a libx264 tune (did you mean 'zerolatency'?"));
  // VP9 has no preset at all: said with the config, not at the first frame.
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "vp9"}, {"preset", "fast"}}),
              HasSubstr("processors[0].config.preset: libvpx-vp9 has no option 'preset'"));
}

TEST(VideoEncoder, AnUnknownCodecIsRefusedWithTheConfigNamingTheFieldAndTheNearestName) {
  const std::string error = config_error("VideoEncoder", {{"codec", "h246"}});
  EXPECT_THAT(error, HasSubstr("processors[0].config.codec: codec 'h246' is not available (video encoders: "));
  EXPECT_THAT(error, HasSubstr("(did you mean 'h264'?)"));
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "aac"}}), HasSubstr("config.codec: codec 'aac' is not available"))
      << "an audio codec is no video encoder";
  EXPECT_THAT(config_error("AudioEncoder", {{"codec", "opsu"}}),
              HasSubstr("processors[0].config.codec: codec 'opsu' is not available (audio encoders: "));
  EXPECT_EQ(config_error("AudioEncoder", {{"codec", "opus"}}), "");
  EXPECT_EQ(config_error("VideoEncoder", {{"codec", "vp9"}}), "");
}

TEST(VideoEncoder, AnUnknownCodecIsAnErrorAtSetupNamingTheProcessorAndTheCodec) {
  ProcessorHarness<VideoEncoder> h({.codec = "nosuchcodec"}, "enc");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("VideoEncoder 'enc'"));
  EXPECT_THAT(r.error().message(), HasSubstr("nosuchcodec"));
}

TEST(AudioEncoder, EncodesAacWithSampleAccurateTimesAndDrainsAtTheEnd) {
  ProcessorHarness<AudioEncoder> h({.codec = "aac", .bitrate = 96000});
  ASSERT_TRUE(h.start());
  for (const AudioFrame& a : test_audio(1.0)) ASSERT_TRUE(h.push("in", a));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto packets = h.take<EncodedPacket>("out");
  // 48000 samples in 1024-sample frames: 47 (the last padded) plus what the encoder held back.
  ASSERT_GE(packets.size(), 47u);
  EXPECT_LE(packets.size(), 49u);
  EXPECT_EQ(packets.front().codec(), "aac");
  EXPECT_EQ(packets.front().params()->sample_rate, 48000);
  EXPECT_EQ(packets.front().params()->channels, 2);
  for (std::size_t i = 1; i < packets.size(); ++i) {
    EXPECT_NEAR(packets[i].pts_ns() - packets[i - 1].pts_ns(), 1024.0 * 1e9 / 48000, 2.0) << i;
  }
  EXPECT_TRUE(h.output_ended("out"));
}

TEST(AudioEncoder, EncodesOpus) {
  ProcessorHarness<AudioEncoder> h({.codec = "opus"});
  ASSERT_TRUE(h.start());
  for (const AudioFrame& a : test_audio(0.5)) ASSERT_TRUE(h.push("in", a));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto packets = h.take<EncodedPacket>("out");
  ASSERT_GE(packets.size(), 25u);  // 20 ms packets
  EXPECT_EQ(packets.front().codec(), "opus");
}

TEST(AudioEncoder, AnUnknownCodecIsAnErrorAtSetupNamingTheProcessorAndTheCodec) {
  ProcessorHarness<AudioEncoder> h({.codec = "mp9"}, "aenc");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("AudioEncoder 'aenc'"));
  EXPECT_THAT(r.error().message(), HasSubstr("mp9"));
}

}  // namespace
}  // namespace streamlib
