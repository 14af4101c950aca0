// Encoder settings changed live through StreamRuntime::update_processor_config, 2 s into a 6 s
// recording, on both ways a recording is encoded: VideoEncoder/AudioEncoder -> FileWriter's
// `*_packets`, and FileWriter's own encoders (raw `video`/`audio`). Each file is checked with
// ffprobe's packets (every frame there, timestamps forward, no gap) and decoded with ffmpeg.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <thread>

#include "ffmpeg/encoders.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg_test_util.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using std::chrono::seconds;
using testing::decode_file;
using testing::ffprobe;
using testing::out_path;
using testing::probe_number;

constexpr LinkConfig kLossless{.policy = LinkPolicy::kBlock};
constexpr auto kFinishTimeout = seconds(120);
constexpr int kFps = 30;
constexpr std::uint64_t kFrames = 6 * kFps;  // 6 s
constexpr double kFrameS = 1.0 / kFps;

// The encoder settings both paths start with, and what one test changes them to.
struct Settings {
  std::string preset = "veryfast";
  std::string tune;
  int crf = -1;
  std::int64_t bitrate = 0;
  int keyframe_interval = 0;
  std::int64_t audio_bitrate = 128000;
};

struct Recording {
  std::string packets_path;  // VideoEncoder + AudioEncoder -> FileWriter video_packets/audio_packets
  std::string raw_path;      // FileWriter encoding raw video/audio itself
};

VideoEncoderConfig video_config(const Settings& s) {
  return {.codec = "h264",
          .preset = s.preset,
          .tune = s.tune,
          .crf = s.crf,
          .bitrate = s.bitrate,
          .keyframe_interval = s.keyframe_interval};
}

FileWriterConfig writer_config(const std::string& path, const Settings& s) {
  return {.path = path,
          .preset = s.preset,
          .tune = s.tune,
          .crf = s.crf,
          .bitrate = s.bitrate,
          .keyframe_interval = s.keyframe_interval,
          .audio_bitrate = s.audio_bitrate,
          .start_timeout_ms = 0};
}

// Records 6 s (live sources, 30 fps video and 48 kHz audio) into two MP4s, changing the
// settings from `before` to `after` once the video encoder has taken 2 s of frames.
Recording record_with_change(const std::string& name, const Settings& before, const Settings& after) {
  Recording rec{out_path(name + "_packets.mp4"), out_path(name + "_raw.mp4")};
  StreamRuntime rt;
  auto video = rt.add_processor<VideoTestSource>({.width = 320,
                                                  .height = 240,
                                                  .fps = kFps,
                                                  .pattern = VideoPattern::kBall,
                                                  .format = PixelFormat::kI420,
                                                  .live = true,
                                                  .frames = kFrames})
                   .value();
  auto audio = rt.add_processor<AudioTestSource>({.wave = AudioWave::kChord, .duration = 6.0, .live = true}).value();
  auto venc = rt.add_processor<VideoEncoder>(video_config(before), "venc").value();
  auto aenc = rt.add_processor<AudioEncoder>({.codec = "aac", .bitrate = before.audio_bitrate}).value();
  auto packets_writer = rt.add_processor<FileWriter>(writer_config(rec.packets_path, before)).value();
  auto raw_writer = rt.add_processor<FileWriter>(writer_config(rec.raw_path, before)).value();
  EXPECT_TRUE(rt.connect(video.output(&VideoTestSource::video), venc.input(&VideoEncoder::in), kLossless));
  EXPECT_TRUE(rt.connect(audio.output(&AudioTestSource::audio), aenc.input(&AudioEncoder::in), kLossless));
  EXPECT_TRUE(rt.connect(venc.output(&VideoEncoder::out), packets_writer.input(&FileWriter::video_packets)));
  EXPECT_TRUE(rt.connect(aenc.output(&AudioEncoder::out), packets_writer.input(&FileWriter::audio_packets)));
  EXPECT_TRUE(rt.connect(video.output(&VideoTestSource::video), raw_writer.input(&FileWriter::video), kLossless));
  EXPECT_TRUE(rt.connect(audio.output(&AudioTestSource::audio), raw_writer.input(&FileWriter::audio), kLossless));
  EXPECT_TRUE(rt.start());

  // 2 s in (by the frames the encoder took, however slow this machine is), change the settings.
  const auto deadline = std::chrono::steady_clock::now() + kFinishTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = rt.stats().find_processor(ProcessorId("venc"));
    if (s && s->metrics.value("frames", 0) >= 2 * kFps) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto changed = rt.update_processor_config(venc, video_config(after));
  EXPECT_TRUE(changed) << changed.error().message();
  changed = rt.update_processor_config(aenc, {.codec = "aac", .bitrate = after.audio_bitrate});
  EXPECT_TRUE(changed) << changed.error().message();
  changed = rt.update_processor_config(raw_writer, writer_config(rec.raw_path, after));
  EXPECT_TRUE(changed) << changed.error().message();
  changed = rt.update_processor_config(packets_writer, writer_config(rec.packets_path, after));
  EXPECT_TRUE(changed) << changed.error().message();

  EXPECT_TRUE(rt.wait_until_finished(kFinishTimeout));
  EXPECT_TRUE(rt.stop());
  return rec;
}

struct Packet {
  double pts = 0;
  double dts = 0;
  double duration = 0;
  std::int64_t size = 0;
  bool key = false;
};

// The packets of one stream ("video"/"audio") in file order, from ffprobe -show_packets.
std::vector<Packet> packets_of(const nlohmann::json& probe, const std::string& type) {
  int index = -1;
  for (const auto& s : probe["streams"]) {
    if (s["codec_type"] == type) index = s["index"].get<int>();
  }
  std::vector<Packet> out;
  for (const auto& p : probe["packets"]) {
    if (p["stream_index"].get<int>() != index) continue;
    out.push_back({.pts = probe_number(p, "pts_time"),
                   .dts = probe_number(p, "dts_time"),
                   .duration = probe_number(p, "duration_time"),
                   .size = static_cast<std::int64_t>(probe_number(p, "size")),
                   .key = p["flags"].get<std::string>().find('K') != std::string::npos});
  }
  return out;
}

// The longest step between consecutive presentation times (seconds).
double longest_gap(std::vector<Packet> packets) {
  std::sort(packets.begin(), packets.end(), [](const Packet& a, const Packet& b) { return a.pts < b.pts; });
  double gap = 0;
  for (std::size_t i = 1; i < packets.size(); ++i) gap = std::max(gap, packets[i].pts - packets[i - 1].pts);
  return gap;
}

// Bits a second of the video packets presented in [from, to) seconds.
double video_bits_per_second(const std::vector<Packet>& packets, double from, double to) {
  double bytes = 0;
  for (const Packet& p : packets) {
    if (p.pts >= from && p.pts < to) bytes += static_cast<double>(p.size);
  }
  return bytes * 8 / (to - from);
}

// Every frame is in the file, in order, timestamps only go forward with no gap longer than a
// frame, both tracks reach the end, and the file decodes without an error.
void expect_whole(const std::string& path) {
  SCOPED_TRACE(path);
  const auto probe = ffprobe(path, "-show_packets");
  const auto video = packets_of(probe, "video");
  const auto audio = packets_of(probe, "audio");
  EXPECT_EQ(video.size(), kFrames) << "every frame sent is in the file";
  ASSERT_FALSE(video.empty());
  ASSERT_FALSE(audio.empty());
  for (std::size_t i = 1; i < video.size(); ++i) EXPECT_GT(video[i].dts, video[i - 1].dts) << "video packet " << i;
  for (std::size_t i = 1; i < audio.size(); ++i) EXPECT_GT(audio[i].pts, audio[i - 1].pts) << "audio packet " << i;
  EXPECT_LE(longest_gap(video), kFrameS * 1.5) << "a hole in the video";
  EXPECT_LE(longest_gap(audio), audio.front().duration * 1.5) << "a hole in the audio";
  double video_end = 0;
  for (const Packet& p : video) video_end = std::max(video_end, p.pts + kFrameS);
  const double audio_end = audio.back().pts + audio.front().duration;
  EXPECT_GE(video_end, 6.0 - kFrameS);
  EXPECT_GE(audio_end, 5.9);

  const auto check = ffmpeg::testing::run("ffmpeg -nostdin -v error -i " + ffmpeg::testing::quote(path) + " -f null -");
  EXPECT_EQ(check.exit_code, 0);
  EXPECT_EQ(check.output, "") << "decoding errors";
  // The frames decode back in order: the counter VideoTestSource burns into each one.
  const auto decoded = decode_file(path, {.audio = false});
  ASSERT_EQ(decoded.video.size(), kFrames);
  for (std::size_t i = 0; i < decoded.video.size(); ++i) {
    EXPECT_EQ(read_frame_counter(decoded.video[i]), i) << "decoded frame " << i;
  }
}

std::vector<Packet> video_packets(const std::string& path) {
  return packets_of(ffprobe(path, "-show_packets"), "video");
}

TEST(LiveEncoderChange, ABitrateChangeLosesNoFrameAndTheBitrateFollows) {
  const Recording rec = record_with_change("bitrate", {.bitrate = 30'000}, {.bitrate = 3'000'000});
  for (const std::string& path : {rec.packets_path, rec.raw_path}) {
    expect_whole(path);
    const auto video = video_packets(path);
    // The change lands about 2 s in; compare well before with well after it.
    const double before = video_bits_per_second(video, 0.5, 1.8);
    const double after = video_bits_per_second(video, 3.5, 6.0);
    EXPECT_GT(after, 2 * before) << path << ": " << before << " bit/s, then " << after;
    std::printf("%s: longest video gap %.1f ms, %zu frames\n", path.c_str(), longest_gap(video) * 1000, video.size());
  }
}

// (VideoTestSource's pictures cost about the same at any CRF; encoder_test's
// AnX264CrfChangesInPlace shows the new CRF taking effect on a noisy picture.)
TEST(LiveEncoderChange, ACrfChangeLosesNoFrame) {
  const Recording rec = record_with_change("crf", {.crf = 48}, {.crf = 10});
  expect_whole(rec.packets_path);
  expect_whole(rec.raw_path);
}

TEST(LiveEncoderChange, AKeyframeIntervalChangeLosesNoFrameAndKeyframesFollowTheNewInterval) {
  const Recording rec = record_with_change("keyint", {.keyframe_interval = 120}, {.keyframe_interval = 15});
  for (const std::string& path : {rec.packets_path, rec.raw_path}) {
    expect_whole(path);
    auto video = video_packets(path);
    std::sort(video.begin(), video.end(), [](const Packet& a, const Packet& b) { return a.pts < b.pts; });
    std::vector<int> keys;
    for (std::size_t i = 0; i < video.size(); ++i) {
      if (video[i].key) keys.push_back(static_cast<int>(i));
    }
    ASSERT_GE(keys.size(), 2u) << path;
    EXPECT_EQ(keys[0], 0);
    EXPECT_GE(keys[1], 2 * kFps) << path << ": no keyframe before the change (interval 120)";
    for (std::size_t i = 2; i < keys.size(); ++i) EXPECT_LE(keys[i] - keys[i - 1], 15) << path << " frame " << keys[i];
    EXPECT_GE(keys.back(), static_cast<int>(kFrames) - 15) << path;
  }
}

TEST(LiveEncoderChange, APresetAndTuneThatKeepTheStreamHeadersChangeLive) {
  const Recording rec = record_with_change("preset", {.preset = "veryfast"}, {.preset = "superfast", .tune = "film"});
  expect_whole(rec.packets_path);
  expect_whole(rec.raw_path);
}

TEST(LiveEncoderChange, AnAudioBitrateChangeLosesNoSample) {
  const Recording rec = record_with_change("audio_bitrate", {.audio_bitrate = 32'000}, {.audio_bitrate = 256'000});
  for (const std::string& path : {rec.packets_path, rec.raw_path}) {
    expect_whole(path);
    const auto audio = packets_of(ffprobe(path, "-show_packets"), "audio");
    double before = 0;
    double after = 0;
    for (const Packet& p : audio) {
      if (p.pts >= 0.5 && p.pts < 1.8) before += static_cast<double>(p.size) / 1.3;
      if (p.pts >= 3.5 && p.pts < 6.0) after += static_cast<double>(p.size) / 2.5;
    }
    EXPECT_GT(after, 2 * before) << path;
  }
}

TEST(LiveEncoderChange, AFileWriterRefusesWhatWouldChangeTheFileNamingTheFieldAndTheFile) {
  const std::string path = out_path("refused.mp4");
  StreamRuntime rt;
  auto video = rt.add_processor<VideoTestSource>({.width = 160, .height = 120, .live = true}).value();
  auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast"}, "rec").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video)));
  ASSERT_TRUE(rt.start());
  for (auto edit : std::vector<std::pair<std::string, std::function<void(FileWriterConfig&)>>>{
           {"path", [](FileWriterConfig& c) { c.path += ".other.mp4"; }},
           {"fps", [](FileWriterConfig& c) { c.fps = 25; }},
           {"video_codec", [](FileWriterConfig& c) { c.video_codec = "libx264"; }},
           {"fragmented", [](FileWriterConfig& c) { c.fragmented = true; }},
       }) {
    FileWriterConfig next{.path = path, .preset = "ultrafast"};
    edit.second(next);
    next.crf = 30;  // a live field alongside: the whole change is refused
    auto r = rt.update_processor_config(writer, next);
    ASSERT_FALSE(r) << edit.first;
    EXPECT_THAT(r.error().message(), ::testing::HasSubstr("rec")) << r.error().message();
    EXPECT_THAT(r.error().message(), ::testing::HasSubstr(path)) << r.error().message();
    EXPECT_THAT(r.error().message(), ::testing::HasSubstr("`" + edit.first + "` cannot change")) << r.error().message();
  }
  // Once its encoder runs, a preset whose x264 stream headers differ (8 reference frames) is
  // refused too: the file's avcC could not describe the frames after it.
  const auto deadline = std::chrono::steady_clock::now() + kFinishTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = rt.stats().find_processor(ProcessorId("rec"));
    if (s && s->metrics.value("packets", 0) >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto slower = rt.update_processor_config(writer, {.path = path, .preset = "slower"});
  ASSERT_FALSE(slower);
  EXPECT_THAT(slower.error().message(), ::testing::HasSubstr(path)) << slower.error().message();
  EXPECT_THAT(slower.error().message(), ::testing::HasSubstr("changing preset live would change the stream's headers"))
      << slower.error().message();
  // The writer still runs and takes a change it can make.
  auto r = rt.update_processor_config(writer, {.path = path, .preset = "ultrafast", .crf = 30});
  EXPECT_TRUE(r) << r.error().message();
  ASSERT_TRUE(rt.stop());
  EXPECT_FALSE(std::filesystem::exists(path + ".other.mp4"));
}

}  // namespace
}  // namespace streamlib
