// FFmpeg options by name (`options`; FileWriter's `video_options` / `audio_options`) and exact
// frame rates (`fps`), with the real FFmpeg: what a file holds is read back with ffprobe and
// from its bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ffmpeg/encoders.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg_test_util.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using testing::ffprobe;
using ::testing::HasSubstr;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;
using testing::run_to_end;
using ::testing::StartsWith;

constexpr const char* kKeyint12 = "keyint=12:min-keyint=12:scenecut=0:bframes=0";

std::string config_error(std::string_view type, const nlohmann::json& config) {
  auto node = ProcessorFactory::global().make_node(ProcessorId("p"), type, config, "processors[0].config");
  return node ? "" : node.error().message();
}

std::vector<VideoFrame> test_frames(std::uint64_t n, FrameRate fps = 30) {
  ProcessorHarness<VideoTestSource> src(
      {.width = 160, .height = 120, .fps = fps, .pattern = VideoPattern::kBall, .live = false, .frames = n});
  EXPECT_TRUE(src.start());
  run_to_end(src);
  return src.take<VideoFrame>("video");
}

// Writes `frames` through a FileWriter with `config` (raw video only).
void record(FileWriterConfig config, const std::vector<VideoFrame>& frames) {
  ProcessorHarness<FileWriter> w(std::move(config), "writer");
  ASSERT_TRUE(w.start());
  for (const VideoFrame& f : frames) {
    ASSERT_TRUE(w.push("video", f));
    ASSERT_TRUE(w.run());
  }
  ASSERT_TRUE(w.end_input("video"));
  ASSERT_TRUE(w.run());
  ASSERT_TRUE(w.finished());
}

// The indices of the video packets ffprobe flags as keyframes (decode order; no B-frames here).
std::vector<int> keyframes(const std::string& path) {
  const auto r = ffmpeg::testing::run("ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 " +
                                      ffmpeg::testing::quote(path) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<int> out;
  std::istringstream lines(r.output);
  std::string line;
  for (int i = 0; std::getline(lines, line); ++i) {
    if (!line.empty() && line[0] == 'K') out.push_back(i);
  }
  return out;
}

// The file's top-level ISO BMFF boxes in order ("ftyp", "moov", "mdat", ...).
std::vector<std::string> top_level_boxes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> boxes;
  std::uint64_t pos = 0;
  auto be = [&](std::uint64_t at, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | bytes[at + i];
    return v;
  };
  while (pos + 8 <= bytes.size()) {
    std::uint64_t size = be(pos, 4);
    boxes.emplace_back(reinterpret_cast<const char*>(&bytes[pos + 4]), 4);
    if (size == 1 && pos + 16 <= bytes.size()) size = be(pos + 8, 8);
    if (size == 0) size = bytes.size() - pos;
    if (size < 8) break;  // malformed: stop rather than loop
    pos += size;
  }
  EXPECT_EQ(pos, bytes.size()) << path << ": the boxes do not cover the file";
  return boxes;
}

std::ptrdiff_t index_of(const std::vector<std::string>& boxes, const std::string& type) {
  return std::find(boxes.begin(), boxes.end(), type) - boxes.begin();
}

TEST(Options, VideoEncoderPassesX264ParamsToTheEncoderAndTheFileHasItsKeyframeSpacing) {
  ProcessorHarness<VideoEncoder> enc({.codec = "h264", .preset = "ultrafast", .options = {{"x264-params", kKeyint12}}},
                                     "enc");
  ASSERT_TRUE(enc.start());
  for (const VideoFrame& f : test_frames(40)) ASSERT_TRUE(enc.push("in", f));
  ASSERT_TRUE(enc.end_input("in"));
  ASSERT_TRUE(enc.run());
  const std::string path = out_path("options_keyint.mkv");
  ProcessorHarness<FileWriter> w({.path = path});
  ASSERT_TRUE(w.start());
  for (const EncodedPacket& p : enc.take<EncodedPacket>("out")) ASSERT_TRUE(w.push("video_packets", p));
  ASSERT_TRUE(w.end_input("video_packets"));
  ASSERT_TRUE(w.run());
  ASSERT_TRUE(w.finished());
  EXPECT_EQ(keyframes(path), (std::vector<int>{0, 12, 24, 36}));
}

TEST(Options, FileWriterSendsOptionsToTheMuxerAndVideoOptionsToItsEncoder) {
  const std::vector<VideoFrame> frames = test_frames(40);
  const std::string plain = out_path("options_plain.mp4");
  record({.path = plain, .preset = "ultrafast"}, frames);
  const std::string tuned = out_path("options_faststart.mp4");
  record({.path = tuned,
          .preset = "ultrafast",
          .options = {{"movflags", "+faststart"}},
          .video_options = {{"x264-params", kKeyint12}}},
         frames);

  // Without options: libx264's default GOP (one keyframe in 40 frames), the index after the media.
  EXPECT_EQ(keyframes(plain), (std::vector<int>{0}));
  const auto plain_boxes = top_level_boxes(plain);
  EXPECT_LT(index_of(plain_boxes, "mdat"), index_of(plain_boxes, "moov"));
  // With them: a keyframe every 12 frames, and `+faststart` moved the index before the media.
  EXPECT_EQ(keyframes(tuned), (std::vector<int>{0, 12, 24, 36}));
  const auto boxes = top_level_boxes(tuned);
  ASSERT_LT(index_of(boxes, "moov"), static_cast<std::ptrdiff_t>(boxes.size()));
  ASSERT_LT(index_of(boxes, "mdat"), static_cast<std::ptrdiff_t>(boxes.size()));
  EXPECT_LT(index_of(boxes, "moov"), index_of(boxes, "mdat"));
  EXPECT_EQ(probe_int(probe_stream(ffprobe(tuned), "video"), "nb_read_frames"), 40);
}

TEST(Options, FragmentingMovflagsReachTheMuxer) {
  const std::string path = out_path("options_fragments.mp4");
  record({.path = path,
          .preset = "ultrafast",
          .options = {{"movflags", "frag_keyframe+empty_moov"}},
          .video_options = {{"x264-params", kKeyint12}}},
         test_frames(40));
  const auto boxes = top_level_boxes(path);
  EXPECT_EQ(std::count(boxes.begin(), boxes.end(), "moof"), 4) << "a fragment at each of the 4 keyframes";
  EXPECT_LT(index_of(boxes, "moov"), index_of(boxes, "moof"));
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 40);
}

TEST(Options, AnOptionOfTheFilesProtocolGoesToItsIoNotTheMuxer) {
  // `blocksize` is the file protocol's (avio_open2), not the mp4 muxer's: taken, and the file whole.
  const std::string path = out_path("options_io.mp4");
  EXPECT_EQ(config_error("FileWriter", {{"path", path}, {"options", {{"blocksize", 4096}}}}), "");
  record({.path = path, .preset = "ultrafast", .options = {{"blocksize", "4096"}}}, test_frames(10));
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 10);
}

TEST(Options, NumbersAndBooleansInTheGraphJsonReachFfmpegAsText) {
  // {"g": 12} is the codec context's GOP size, given as a JSON number.
  auto node = ProcessorFactory::global().make_node(
      ProcessorId("enc"), "VideoEncoder",
      {{"codec", "h264"}, {"preset", "ultrafast"}, {"options", {{"g", 12}, {"bf", 0}, {"sc_threshold", 0}}}}, "config");
  ASSERT_TRUE(node) << node.error().message();
  const auto cfg = config_from_json<VideoEncoderConfig>(node->config);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->options, (OptionMap{{"g", "12"}, {"bf", "0"}, {"sc_threshold", "0"}}));
  EXPECT_EQ(config_error("VideoEncoder", {{"codec", "vp9"}, {"options", {{"deadline", "realtime"}, {"row-mt", true}}}}),
            "");
  EXPECT_EQ(config_error("AudioEncoder", {{"codec", "opus"}, {"options", {{"application", "lowdelay"}}}}), "");
}

TEST(Options, AnUnknownOptionIsRefusedWithTheConfigNamingTheFieldAndTheKey) {
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "h264"}, {"options", {{"keyintt", 60}}}}),
              StartsWith("processors[0].config.options: libx264 has no option 'keyintt' ("));
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "h264"}, {"options", {{"x264-parms", "keyint=60"}}}}),
              HasSubstr("did you mean 'x264-params'?"));
  EXPECT_THAT(config_error("AudioEncoder", {{"codec", "opus"}, {"options", {{"aplication", "voip"}}}}),
              StartsWith("processors[0].config.options: libopus has no option 'aplication' (did you mean "
                         "'application'?"));
  const std::string path = out_path("never_written_options.mp4");
  EXPECT_THAT(config_error("FileWriter", {{"path", path}, {"options", {{"movflag", "+faststart"}}}}),
              StartsWith("processors[0].config.options: " + path +
                         ": the mp4 muxer has no option 'movflag' (did you mean 'movflags'?"));
  EXPECT_THAT(config_error("FileWriter", {{"path", path}, {"video_options", {{"movflags", "+faststart"}}}}),
              StartsWith("processors[0].config.video_options: libx264 has no option 'movflags'"));
  EXPECT_THAT(config_error("FileWriter", {{"path", path}, {"audio_options", {{"application", "voip"}}}}),
              StartsWith("processors[0].config.audio_options: aac has no option 'application'"))
      << "MP4's audio is AAC, which has no Opus option";
  EXPECT_EQ(config_error("FileWriter", {{"path", out_path("ok.webm")}, {"audio_options", {{"application", "voip"}}}}),
            "");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Options, AValueFfmpegRefusesIsNamedWithItsKey) {
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "h264"}, {"options", {{"crf", "abc"}}}}),
              StartsWith("processors[0].config.options: libx264 option 'crf': 'abc' is refused"));
  EXPECT_THAT(config_error("VideoEncoder", {{"codec", "vp9"}, {"options", {{"deadline", "sometime"}}}}),
              StartsWith("processors[0].config.options: libvpx-vp9 option 'deadline': 'sometime' is refused"));
  EXPECT_THAT(
      config_error("FileWriter", {{"path", out_path("x.mp4")}, {"options", {{"movflags", "+fastest"}}}}),
      HasSubstr("config.options: " + out_path("x.mp4") + ": mp4 muxer option 'movflags': '+fastest' is refused"));
}

TEST(Options, AnUnknownOptionThroughTheApiIsAnErrorNamingTheProcessorFieldAndKey) {
  StreamRuntime rt;
  auto enc = rt.add_processor<VideoEncoder>({.codec = "h264", .options = {{"keyintt", "60"}}}, "enc");
  ASSERT_FALSE(enc);
  EXPECT_THAT(enc.error().message(), HasSubstr("'enc'")) << enc.error().message();
  EXPECT_THAT(enc.error().message(), HasSubstr("options: libx264 has no option 'keyintt'"));
  // A processor set up without the config's check (a harness) fails at its start, named.
  ProcessorHarness<VideoEncoder> h({.codec = "h264", .options = {{"keyintt", "60"}}}, "enc");
  auto started = h.start();
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().message(), HasSubstr("VideoEncoder 'enc'"));
  EXPECT_THAT(started.error().message(), HasSubstr("libx264 has no option 'keyintt'"));
}

TEST(Options, ChangingOptionsOnceEncodingBeganIsRefusedNamingTheField) {
  ProcessorHarness<VideoEncoder> h({.codec = "h264", .preset = "ultrafast"}, "enc");
  ASSERT_TRUE(h.start());
  for (const VideoFrame& f : test_frames(3)) ASSERT_TRUE(h.push("in", f));
  ASSERT_TRUE(h.run());
  auto r = h.set_config({.codec = "h264", .preset = "ultrafast", .options = {{"x264-params", kKeyint12}}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("`options` cannot change while the stream is encoded"));
}

// --- Frame rates -------------------------------------------------------------------------------

TEST(FrameRates, VideoTestSourceAtNtscRateStampsFrameNAtNTimes1001Over30000Seconds) {
  auto cfg = config_from_json<VideoTestSourceConfig>(
      {{"width", 64}, {"height", 32}, {"fps", "30000/1001"}, {"live", false}, {"frames", 61}});
  ASSERT_TRUE(cfg) << cfg.error().message();
  ProcessorHarness<VideoTestSource> src(*cfg);
  ASSERT_TRUE(src.start());
  run_to_end(src);
  const auto frames = src.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 61u);
  for (std::int64_t n = 0; n < 61; ++n) {
    EXPECT_EQ(frames[n].timestamp_ns(), n * 1001 * 1'000'000'000 / 30000) << "frame " << n;
    EXPECT_EQ(frames[n].timestamp_ns() + frames[n].duration_ns(), (n + 1) * 1001 * 1'000'000'000 / 30000);
  }
  EXPECT_EQ(frames[30].timestamp_ns(), 1'001'000'000) << "frame 30 at exactly 1.001 s";
}

TEST(FrameRates, A2997RecordingIsExactly30000Over1001WithExactDurationAndFrameCount) {
  auto src = config_from_json<VideoTestSourceConfig>(
      {{"width", 160}, {"height", 120}, {"fps", 29.97}, {"live", false}, {"frames", 60}});
  ASSERT_TRUE(src) << src.error().message();
  EXPECT_EQ(src->fps, *FrameRate::of(30000, 1001));
  auto writer =
      config_from_json<FileWriterConfig>({{"path", out_path("ntsc.mp4")}, {"preset", "ultrafast"}, {"fps", 29.97}});
  ASSERT_TRUE(writer) << writer.error().message();
  ProcessorHarness<VideoTestSource> h(*src);
  ASSERT_TRUE(h.start());
  run_to_end(h);
  record(*writer, h.take<VideoFrame>("video"));

  const auto probe = ffprobe(writer->path);
  const auto v = probe_stream(probe, "video");
  ASSERT_FALSE(v.is_null());
  EXPECT_EQ(v["r_frame_rate"], "30000/1001");
  EXPECT_EQ(v["avg_frame_rate"], "30000/1001");
  EXPECT_EQ(probe_int(v, "nb_read_frames"), 60);
  EXPECT_DOUBLE_EQ(probe_number(v, "duration"), 2.002) << "60 frames of 1001/30000 s";
}

TEST(FrameRates, ABadRateIsRefusedNamingTheField) {
  EXPECT_EQ(config_error("VideoTestSource", {{"fps", "30/0"}}),
            "processors[0].config.fps: '30/0' has a zero denominator");
  EXPECT_THAT(config_error("VideoEncoder", {{"fps", "abc"}}),
              StartsWith("processors[0].config.fps: 'abc' is not a frame rate"));
  EXPECT_EQ(config_error("FileWriter", {{"path", out_path("x.mp4")}, {"fps", -25}}),
            "processors[0].config.fps: -25 is out of range [1, 1000]");
  EXPECT_EQ(config_error("VideoEncoder", {{"fps", "24000/1001"}}), "");
}

}  // namespace
}  // namespace streamlib
