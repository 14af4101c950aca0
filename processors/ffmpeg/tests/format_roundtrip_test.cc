// Formats are kept: files made with the ffmpeg program go through FileSource -> FileWriter (and
// `streamlib run` on a graph file) into a new file, and ffprobe compares that file with what
// `ffmpeg -i in out` (default settings) makes of the same input: pixel format, frame count and
// duration (within one frame).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "ffmpeg/file_source.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg_test_util.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using std::chrono::seconds;
using testing::ffprobe;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;

constexpr LinkConfig kLossless{.policy = LinkPolicy::kBlock};

// What ffprobe says of a written file.
struct Probe {
  std::string pix_fmt;
  std::string profile;
  int width = 0;
  int height = 0;
  std::int64_t frames = 0;
  double duration = 0;  // the container's, seconds
};

Probe probe(const std::string& path) {
  const auto p = ffprobe(path);
  const auto v = probe_stream(p, "video");
  if (v.is_null()) return {};
  return {.pix_fmt = v.value("pix_fmt", ""),
          .profile = v.value("profile", ""),
          .width = v.value("width", 0),
          .height = v.value("height", 0),
          .frames = probe_int(v, "nb_read_frames"),
          .duration = probe_number(p["format"], "duration")};
}

// A test input made with the ffmpeg program: `args` before the output name.
std::string make_input(const std::string& name, const std::string& args) {
  const std::string path = out_path(name);
  ffmpeg::testing::ffmpeg(args + " " + ffmpeg::testing::quote(path));
  return path;
}

// `ffmpeg -i in out` with default settings; false if ffmpeg refuses.
bool ffmpeg_reference(const std::string& in, const std::string& out) {
  try {
    ffmpeg::testing::ffmpeg("-i " + ffmpeg::testing::quote(in) + " " + ffmpeg::testing::quote(out));
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

struct Transcoded {
  std::vector<std::string> warnings;
  nlohmann::json source_metrics;
  nlohmann::json writer_metrics;
};

// FileSource -> FileWriter in a runtime, to the end.
Transcoded transcode(const std::string& in, const std::string& out, bool audio) {
  Transcoded run;
  StreamRuntime rt;
  std::mutex mutex;
  rt.subscribe([&](const Event& e) {
    if (e.kind != EventKind::kWarning) return;
    std::lock_guard lock(mutex);
    run.warnings.push_back(e.message);
  });
  auto source = rt.add_processor<FileSource>({.path = in, .live = false, .audio = audio}, "source").value();
  auto writer = rt.add_processor<FileWriter>({.path = out}, "writer").value();
  EXPECT_TRUE(rt.connect(source.output(&FileSource::video), writer.input(&FileWriter::video), kLossless));
  if (audio) {
    EXPECT_TRUE(rt.connect(source.output(&FileSource::audio), writer.input(&FileWriter::audio), kLossless));
  }
  EXPECT_TRUE(rt.start());
  EXPECT_TRUE(rt.wait_until_finished(seconds(240)));
  const RuntimeStats stats = rt.stats();
  if (const ProcessorStats* s = stats.find_processor(ProcessorId("source"))) run.source_metrics = s->metrics;
  if (const ProcessorStats* s = stats.find_processor(ProcessorId("writer"))) run.writer_metrics = s->metrics;
  EXPECT_TRUE(rt.stop());
  std::lock_guard lock(mutex);
  return run;
}

// Ours against ffmpeg's: the same pixel format and size, the same frame count, the same duration
// within one frame.
void expect_like_ffmpeg(const Probe& ours, const Probe& ffmpegs, double fps) {
  EXPECT_EQ(ours.pix_fmt, ffmpegs.pix_fmt);
  EXPECT_EQ(ours.profile, ffmpegs.profile);
  EXPECT_EQ(ours.width, ffmpegs.width);
  EXPECT_EQ(ours.height, ffmpegs.height);
  EXPECT_EQ(ours.frames, ffmpegs.frames);
  EXPECT_NEAR(ours.duration, ffmpegs.duration, 1.0 / fps + 1e-3);
}

TEST(FormatRoundTrip, TenBitH264StaysTenBitHigh10LikeFfmpeg) {
  const std::string in = make_input(
      "p10.mkv", "-f lavfi -i testsrc2=size=320x240:rate=25,format=yuv420p10le -t 2 -c:v libx264 -preset ultrafast");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("p10_ffmpeg.mp4")));
  const Transcoded run = transcode(in, out_path("p10_ours.mp4"), false);
  const Probe ours = probe(out_path("p10_ours.mp4"));
  const Probe ref = probe(out_path("p10_ffmpeg.mp4"));
  EXPECT_EQ(ref.pix_fmt, "yuv420p10le");
  EXPECT_EQ(ref.profile, "High 10");
  expect_like_ffmpeg(ours, ref, 25);
  EXPECT_EQ(run.source_metrics.value("pixel_format_conversions", -1), 0);  // passed on as decoded
  EXPECT_EQ(run.writer_metrics.value("pixel_format_conversions", -1), 0);  // encoded as it came
}

TEST(FormatRoundTrip, FourFourFourStaysFourFourFourLikeFfmpeg) {
  const std::string in = make_input(
      "i444.mkv", "-f lavfi -i testsrc2=size=320x240:rate=25,format=yuv444p -t 2 -c:v libx264 -preset ultrafast");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("i444_ffmpeg.mp4")));
  const Transcoded run = transcode(in, out_path("i444_ours.mp4"), false);
  const Probe ref = probe(out_path("i444_ffmpeg.mp4"));
  EXPECT_EQ(ref.pix_fmt, "yuv444p");
  expect_like_ffmpeg(probe(out_path("i444_ours.mp4")), ref, 25);
  EXPECT_EQ(run.writer_metrics.value("pixel_format_conversions", -1), 0);
}

TEST(FormatRoundTrip, AnOddSizedFourFourFourInputIsWrittenWholeLikeFfmpeg) {
  // 641x361: before, cut to 4:2:0 on reading, this failed inside libx264.
  const std::string in = make_input(
      "odd444.mkv", "-f lavfi -i testsrc2=size=641x361:rate=25,format=yuv444p -t 2 -c:v libx264 -preset ultrafast");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("odd444_ffmpeg.mp4")));
  const Transcoded run = transcode(in, out_path("odd444_ours.mp4"), false);
  const Probe ref = probe(out_path("odd444_ffmpeg.mp4"));
  EXPECT_EQ(ref.width, 641);
  expect_like_ffmpeg(probe(out_path("odd444_ours.mp4")), ref, 25);
  EXPECT_TRUE(run.warnings.empty()) << run.warnings.front();
}

TEST(FormatRoundTrip, AnOddSizedFourTwoZeroInputWhichFfmpegRefusesIsWrittenWholeInFourFourFourWithAWarning) {
  // ffv1 stores 641x361 yuv420p; `ffmpeg -i in out.mp4` fails ("width not divisible by 2").
  const std::string in = make_input(
      "odd420.mkv", "-f lavfi -i testsrc2=size=641x361:rate=25,format=yuv444p,format=yuv420p -t 2 -c:v ffv1");
  const Probe input = probe(in);
  ASSERT_EQ(input.pix_fmt, "yuv420p");
  ASSERT_EQ(input.width, 641);
  EXPECT_FALSE(ffmpeg_reference(in, out_path("odd420_ffmpeg.mp4")));
  const Transcoded run = transcode(in, out_path("odd420_ours.mp4"), false);
  const Probe ours = probe(out_path("odd420_ours.mp4"));
  EXPECT_EQ(ours.pix_fmt, "yuv444p");
  EXPECT_EQ(ours.width, 641);
  EXPECT_EQ(ours.height, 361);
  EXPECT_EQ(ours.frames, input.frames);
  EXPECT_NEAR(ours.duration, input.duration, 1.0 / 25 + 1e-3);
  EXPECT_EQ(run.writer_metrics.value("pixel_format_conversions", -1), input.frames);
  EXPECT_EQ(run.writer_metrics.value("pixel_format_conversion", ""), "yuv420p 641x361 -> yuv444p 641x361");
  ASSERT_EQ(run.warnings.size(), 1u);  // named once, not per frame
  EXPECT_NE(run.warnings[0].find("yuv420p 641x361 -> yuv444p 641x361"), std::string::npos) << run.warnings[0];
}

TEST(FormatRoundTrip, VariableFrameRateKeepsEveryFrameAndItsTimesLikeFfmpeg) {
  // 6 of every 10 frames of a 30 fps picture: gaps of 1/30 s and 5/30 s. Matroska, where
  // ffmpeg keeps variable rate (into MP4 its CLI duplicates frames to a constant rate).
  const std::string in =
      make_input("vfr.mkv",
                 "-f lavfi -i testsrc2=size=320x240:rate=30 -t 3 -vf \"select='lt(mod(n\\,10)\\,6)'\" "
                 "-vsync vfr -c:v libx264 -preset ultrafast");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("vfr_ffmpeg.mkv")));
  (void)transcode(in, out_path("vfr_ours.mkv"), false);
  const Probe ref = probe(out_path("vfr_ffmpeg.mkv"));
  EXPECT_EQ(ref.frames, 54);
  expect_like_ffmpeg(probe(out_path("vfr_ours.mkv")), ref, 30);
  // Into MP4 every frame stays, at its own time: as many frames as the input, its duration.
  (void)transcode(in, out_path("vfr_ours.mp4"), false);
  const Probe mp4 = probe(out_path("vfr_ours.mp4"));
  EXPECT_EQ(mp4.frames, 54);
  EXPECT_NEAR(mp4.duration, ref.duration, 1.0 / 30 + 1e-3);
}

TEST(FormatRoundTrip, Vp9AndOpusInMatroskaToWebmLikeFfmpeg) {
  const std::string in =
      make_input("vp9.mkv",
                 "-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=f=440:d=2 -t 2 -c:v libvpx-vp9 "
                 "-deadline realtime -cpu-used 8 -c:a libopus");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("vp9_ffmpeg.webm")));
  (void)transcode(in, out_path("vp9_ours.webm"), true);
  const Probe ref = probe(out_path("vp9_ffmpeg.webm"));
  const Probe ours = probe(out_path("vp9_ours.webm"));
  EXPECT_EQ(ref.pix_fmt, "yuv420p");
  expect_like_ffmpeg(ours, ref, 25);
  const auto audio = probe_stream(ffprobe(out_path("vp9_ours.webm")), "audio");
  ASSERT_FALSE(audio.is_null());
  EXPECT_EQ(audio["codec_name"], "opus");
}

#ifdef STREAMLIB_CLI_EXECUTABLE
TEST(FormatRoundTrip, StreamlibRunKeepsTheNearestFormatOfATwelveBitInputLikeFfmpegAndNamesTheConversion) {
  // 12-bit 4:2:0: StreamLib's nearest is 10-bit 4:2:0, which is what ffmpeg gives libx264 too.
  const std::string in =
      make_input("p12.mkv", "-f lavfi -i testsrc2=size=320x240:rate=25,format=yuv420p12le -t 2 -c:v ffv1");
  ASSERT_TRUE(ffmpeg_reference(in, out_path("p12_ffmpeg.mp4")));
  const std::string out = out_path("p12_ours.mp4");
  const std::string graph = out_path("p12_graph.json");
  const nlohmann::json g = {{"processors",
                             {{{"id", "input"}, {"type", "FileSource"}, {"config", {{"path", in}, {"live", false}}}},
                              {{"id", "output"}, {"type", "FileWriter"}, {"config", {{"path", out}}}}}},
                            {"links", {{{"from", "input.video"}, {"to", "output.video"}, {"policy", "block"}}}}};
  std::ofstream(graph) << g.dump(2);
  const std::string log = out_path("p12_run.log");
  const std::string cmd =
      fmt::format("timeout -k 5 240 {} run {} >{} 2>&1", ffmpeg::testing::quote(STREAMLIB_CLI_EXECUTABLE),
                  ffmpeg::testing::quote(graph), ffmpeg::testing::quote(log));
  const int rc = std::system(cmd.c_str());
  std::ifstream log_in(log);
  const std::string text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(rc, 0) << text;
  const Probe ref = probe(out_path("p12_ffmpeg.mp4"));
  EXPECT_EQ(ref.pix_fmt, "yuv420p10le");
  expect_like_ffmpeg(probe(out), ref, 25);
  EXPECT_NE(text.find("yuv420p12le -> yuv420p10"), std::string::npos) << text;
}
#endif

}  // namespace
}  // namespace streamlib
