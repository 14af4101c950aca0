// "Formats are kept": a video's rotation (its display matrix) and every container's duration,
// each compared with what the ffmpeg program makes of the same input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "ffmpeg/file_source.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg_common/media_reader.h"
#include "ffmpeg_test_util.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using ffmpeg::testing::quote;
using testing::ffprobe;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;
using testing::run_to_end;

constexpr LinkConfig kLossless{.policy = LinkPolicy::kBlock};

// H.264 320x240, 25 fps, 2 s, whose display matrix turns it 90 degrees counterclockwise
// (ffprobe: "rotation": 90), as a phone's portrait video is stored. FFmpeg 5.1 has no
// -display_rotation; its stream copy turns the `rotate` tag into the matrix.
std::string rotated_mp4() {
  const std::string plain = out_path("plain.mp4");
  const std::string rotated = out_path("rot.mp4");
  ffmpeg::testing::ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25 -t 2 -c:v libx264 -preset ultrafast " +
                          quote(plain));
  ffmpeg::testing::ffmpeg("-i " + quote(plain) + " -c copy -metadata:s:v:0 rotate=90 " + quote(rotated));
  return rotated;
}

// The rotation ffprobe reads from a stream's display matrix; 0 without one.
int probed_rotation(const nlohmann::json& stream) {
  if (!stream.contains("side_data_list")) return 0;
  for (const auto& sd : stream["side_data_list"]) {
    if (sd.value("side_data_type", "") == "Display Matrix") return sd.value("rotation", 0);
  }
  return 0;
}

// Width x height as the file is shown: the stored size, turned by the display matrix.
std::pair<std::int64_t, std::int64_t> displayed_size(const nlohmann::json& stream) {
  const std::int64_t w = probe_int(stream, "width");
  const std::int64_t h = probe_int(stream, "height");
  return std::abs(probed_rotation(stream)) % 180 == 90 ? std::pair{h, w} : std::pair{w, h};
}

// Runs a FileSource's decoded outputs (`video`, `audio`: which to connect) into a FileWriter.
void transcode(const FileSourceConfig& source, const FileWriterConfig& writer, bool video, bool audio) {
  StreamRuntime rt;
  auto src = rt.add_processor<FileSource>(source, "src").value();
  auto out = rt.add_processor<FileWriter>(writer, "writer").value();
  if (video) {
    ASSERT_TRUE(rt.connect(src.output(&FileSource::video), out.input(&FileWriter::video), kLossless));
  }
  if (audio) {
    ASSERT_TRUE(rt.connect(src.output(&FileSource::audio), out.input(&FileWriter::audio), kLossless));
  }
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
  ASSERT_TRUE(rt.stop());
}

// Runs FileSource's packet output into a FileWriter (stream copy).
void remux_video(const std::string& in, const std::string& out_file) {
  StreamRuntime rt;
  auto src = rt.add_processor<FileSource>({.path = in, .live = false, .audio = false}, "src").value();
  auto out = rt.add_processor<FileWriter>({.path = out_file}, "writer").value();
  ASSERT_TRUE(rt.connect(src.output(&FileSource::video_packets), out.input(&FileWriter::video_packets)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
  ASSERT_TRUE(rt.stop());
}

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Rotation, TheTestInputHasADisplayMatrixFfprobeReads) {
  const auto v = probe_stream(ffprobe(rotated_mp4()), "video");
  EXPECT_EQ(probed_rotation(v), 90);
  EXPECT_EQ(probe_int(v, "width"), 320);
}

TEST(Rotation, FileSourceWithoutAutorotateSetsTheMatrixOnEveryFrameAndKeepsThePixels) {
  ProcessorHarness<FileSource> h({.path = rotated_mp4(), .live = false, .autorotate = false});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  const auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 50u);
  for (const VideoFrame& f : frames) {
    EXPECT_EQ(f.rotation_degrees(), 90);
    EXPECT_EQ(f.width(), 320);
    EXPECT_EQ(f.height(), 240);
  }
}

TEST(Rotation, AutorotateTurnsThePicturesExactlyAsFfmpegDoes) {
  const std::string in = rotated_mp4();
  const std::string theirs = out_path("ffmpeg_first.yuv");
  ffmpeg::testing::ffmpeg("-i " + quote(in) + " -frames:v 1 -f rawvideo -pix_fmt yuv420p " + quote(theirs));
  const std::vector<std::uint8_t> want = read_bytes(theirs);
  ASSERT_EQ(want.size(), 240u * 320u * 3 / 2);  // ffmpeg's picture is 240 wide, 320 high

  ProcessorHarness<FileSource> h({.path = in, .live = false, .format = PixelFormat::kI420});  // autorotate: default
  ASSERT_TRUE(h.start());
  run_to_end(h);
  const auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 50u);
  const VideoFrame& first = frames.front();
  ASSERT_EQ(first.width(), 240);
  ASSERT_EQ(first.height(), 320);
  EXPECT_EQ(first.rotation_degrees(), 0);
  // Every sample of every plane the same as ffmpeg's transpose (both turn decoded samples).
  std::size_t at = 0;
  int differing = 0;
  for (int p = 0; p < 3; ++p) {
    const int w = p == 0 ? 240 : 120;
    const int rows = p == 0 ? 320 : 160;
    for (int y = 0; y < rows; ++y) {
      const std::uint8_t* row = first.plane(p).data() + static_cast<std::ptrdiff_t>(y) * first.stride(p);
      for (int x = 0; x < w; ++x) differing += row[x] != want[at++] ? 1 : 0;
    }
  }
  EXPECT_EQ(differing, 0);
}

// The acceptance check: our transcode is shown as ffmpeg's is, with its frames and
// duration, whether the pixels are turned (default) or the matrix is written again.
void expect_transcode_shows_like_ffmpegs(bool autorotate, const std::string& name) {
  const std::string in = rotated_mp4();
  const std::string theirs = out_path("ffmpeg_" + name);
  const std::string ours = out_path(name);
  ffmpeg::testing::ffmpeg("-i " + quote(in) + " -c:v libx264 -preset ultrafast " + quote(theirs));
  transcode({.path = in, .live = false, .autorotate = autorotate}, {.path = ours, .preset = "ultrafast", .fps = 25},
            true, false);
  const auto want = ffprobe(theirs);
  const auto got = ffprobe(ours);
  const auto wv = probe_stream(want, "video");
  const auto gv = probe_stream(got, "video");
  ASSERT_FALSE(gv.is_null());
  EXPECT_EQ(displayed_size(gv), displayed_size(wv));
  EXPECT_EQ(displayed_size(gv), (std::pair<std::int64_t, std::int64_t>{240, 320}));
  EXPECT_EQ(probe_int(gv, "nb_read_frames"), probe_int(wv, "nb_read_frames"));
  EXPECT_NEAR(probe_number(gv, "duration"), probe_number(wv, "duration"), 1.0 / 25);
  EXPECT_NEAR(probe_number(got["format"], "duration"), probe_number(want["format"], "duration"), 1.0 / 25);
  EXPECT_EQ(probed_rotation(gv), autorotate ? 0 : 90);
}

TEST(Rotation, ATranscodeIsShownAsFfmpegsWithThePixelsTurned) {
  expect_transcode_shows_like_ffmpegs(true, "autorotated.mp4");
}

TEST(Rotation, ATranscodeWithoutAutorotateWritesTheMatrixAgainAndIsShownAsFfmpegs) {
  expect_transcode_shows_like_ffmpegs(false, "matrix.mp4");
}

TEST(Rotation, AStreamCopyKeepsTheDisplayMatrixAsFfmpegCopyDoes) {
  const std::string in = rotated_mp4();
  for (const std::string ext : {"mp4", "mov"}) {
    const std::string theirs = out_path("ffmpeg_copy_rot." + ext);
    const std::string ours = out_path("copy_rot." + ext);
    ffmpeg::testing::ffmpeg("-i " + quote(in) + " -c copy " + quote(theirs));
    remux_video(in, ours);
    const auto gv = probe_stream(ffprobe(ours), "video");
    EXPECT_EQ(probed_rotation(gv), probed_rotation(probe_stream(ffprobe(theirs), "video"))) << ext;
    EXPECT_EQ(probed_rotation(gv), 90) << ext;
    EXPECT_EQ(probe_int(gv, "nb_read_frames"), 50) << ext;
  }
}

TEST(Duration, AWavToFlacHasFfmpegsDurationAndSampleCount) {
  const std::string in = testing::media("tone.wav");
  const std::string theirs = out_path("ffmpeg_tone.flac");
  const std::string ours = out_path("tone.flac");
  ffmpeg::testing::ffmpeg("-i " + quote(in) + " " + quote(theirs));
  transcode({.path = in, .live = false}, {.path = ours, .audio_codec = "flac"}, false, true);
  const auto want = ffprobe(theirs);
  const auto got = ffprobe(ours);
  const auto wa = probe_stream(want, "audio");
  const auto ga = probe_stream(got, "audio");
  ASSERT_FALSE(ga.is_null());
  ASSERT_FALSE(std::isnan(probe_number(got["format"], "duration"))) << "no duration: " << got.dump();
  EXPECT_DOUBLE_EQ(probe_number(got["format"], "duration"), probe_number(want["format"], "duration"));
  ASSERT_TRUE(ga.contains("duration_ts")) << ga.dump();
  EXPECT_EQ(ga["duration_ts"], wa["duration_ts"]);  // samples, from STREAMINFO
  EXPECT_EQ(wa["duration_ts"], 88200);              // 2 s at 44.1 kHz
}

// One container: its extension and codecs (video codec "" for audio-only formats).
struct Container {
  std::string ext;
  std::string video_codec;  // ours (FileWriter's name) = ffmpeg's -c:v
  std::string audio_codec;
};

void PrintTo(const Container& c, std::ostream* os) { *os << c.ext; }

class ContainerDuration : public ::testing::TestWithParam<Container> {};

// One second of test picture (25 fps) and sound (48 kHz stereo) written by FileWriter, and the
// same by the ffmpeg program: ours has a format duration, and a stream duration wherever ffmpeg's has one.
TEST_P(ContainerDuration, EveryContainerEndsWithADurationFfprobeReads) {
  const Container& c = GetParam();
  const bool video = !c.video_codec.empty();
  const std::string ours = out_path("duration." + c.ext);
  const std::string theirs = out_path("ffmpeg_duration." + c.ext);
  {
    StreamRuntime rt;
    auto writer = rt.add_processor<FileWriter>({.path = ours,
                                                .video_codec = c.video_codec,
                                                .audio_codec = c.audio_codec,
                                                .preset = c.video_codec == "h264" ? "ultrafast" : "",
                                                .bitrate = video && c.video_codec != "h264" ? 300'000 : 0,
                                                .fps = 25},
                                               "writer")
                      .value();
    auto sound = rt.add_processor<AudioTestSource>({.duration = 1.0, .live = false}, "sound").value();
    ASSERT_TRUE(rt.connect(sound.output(&AudioTestSource::audio), writer.input(&FileWriter::audio), kLossless));
    if (video) {
      auto picture = rt.add_processor<VideoTestSource>(
                           {.width = 160, .height = 120, .fps = 25, .live = false, .frames = 25}, "picture")
                         .value();
      ASSERT_TRUE(rt.connect(picture.output(&VideoTestSource::video), writer.input(&FileWriter::video), kLossless));
    }
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
    ASSERT_TRUE(rt.stop());
  }
  std::string args = "-f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 ";
  if (video) args += "-f lavfi -i testsrc2=size=160x120:rate=25 -c:v " + c.video_codec + " ";
  if (c.video_codec == "vp9") args += "-b:v 300k ";
  ffmpeg::testing::ffmpeg(args + "-t 1 -c:a " + c.audio_codec + " " + quote(theirs));

  const auto got = ffprobe(ours);
  const auto want = ffprobe(theirs);
  const double duration = probe_number(got["format"], "duration");
  ASSERT_FALSE(std::isnan(duration)) << c.ext << ": no format duration";
  // Within an audio packet (MP3: 1152 samples, Opus priming) of ffmpeg's.
  EXPECT_NEAR(duration, probe_number(want["format"], "duration"), 0.05);
  for (const char* type : {"video", "audio"}) {
    const auto w = probe_stream(want, type);
    if (w.is_null() || !w.contains("duration")) continue;
    const auto g = probe_stream(got, type);
    ASSERT_FALSE(g.is_null()) << type;
    ASSERT_TRUE(g.contains("duration")) << c.ext << " " << type << ": no stream duration, ffmpeg's has one";
    EXPECT_NEAR(probe_number(g, "duration"), probe_number(w, "duration"), 0.05) << type;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, ContainerDuration,
                         ::testing::Values(Container{"mp4", "h264", "aac"}, Container{"mov", "h264", "aac"},
                                           Container{"mkv", "h264", "aac"}, Container{"webm", "vp9", "libopus"},
                                           Container{"flac", "", "flac"}, Container{"wav", "", "pcm_s16le"},
                                           Container{"ogg", "", "libopus"}, Container{"mp3", "", "libmp3lame"}),
                         [](const ::testing::TestParamInfo<Container>& param) { return param.param.ext; });

}  // namespace
}  // namespace streamlib
