#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>

#include "ffmpeg/encoders.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_test_util.h"
#include "streamlib/graph/graph.h"
#include "streamlib/registry.h"

namespace streamlib {
namespace {

using testing::decode_file;
using testing::ffprobe;
using ::testing::HasSubstr;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;
using testing::run_to_end;

std::vector<VideoFrame> test_frames(std::uint64_t n, int width = 320, int height = 240) {
  ProcessorHarness<VideoTestSource> src(
      {.width = width, .height = height, .pattern = VideoPattern::kBall, .live = false, .frames = n});
  EXPECT_TRUE(src.start());
  run_to_end(src);
  return src.take<VideoFrame>("video");
}

std::vector<AudioFrame> test_audio(double seconds) {
  ProcessorHarness<AudioTestSource> src({.duration = seconds, .live = false});
  EXPECT_TRUE(src.start());
  run_to_end(src);
  return src.take<AudioFrame>("audio");
}

// Pushes video and audio alternately by time, as a runtime would deliver them, then ends both.
// Both inputs get their first message before the first run (in a runtime both are linked from
// the start; a harness links an input at its first push).
template <class W>
void feed(ProcessorHarness<W>& h, const std::vector<VideoFrame>& video, const std::vector<AudioFrame>& audio) {
  std::size_t v = 0;
  std::size_t a = 0;
  if (!video.empty()) {
    ASSERT_TRUE(h.push("video", video[v++]));
  }
  if (!audio.empty()) {
    ASSERT_TRUE(h.push("audio", audio[a++]));
  }
  while (v < video.size() || a < audio.size()) {
    if (a >= audio.size() || (v < video.size() && video[v].timestamp_ns() <= audio[a].timestamp_ns())) {
      ASSERT_TRUE(h.push("video", video[v++]));
    } else {
      ASSERT_TRUE(h.push("audio", audio[a++]));
    }
    ASSERT_TRUE(h.run());
  }
  if (!video.empty()) {
    ASSERT_TRUE(h.end_input("video"));
  }
  if (!audio.empty()) {
    ASSERT_TRUE(h.end_input("audio"));
  }
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.finished());
}

TEST(FileWriter, EncodesRawVideoAndAudioIntoAnMp4ThatFfprobeReadsExactly) {
  const std::string path = out_path("raw.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .crf = 28, .keyframe_interval = 15});
  ASSERT_TRUE(h.start());
  feed(h, test_frames(45), test_audio(1.5));
  const auto probe = ffprobe(path);
  const auto v = probe_stream(probe, "video");
  const auto a = probe_stream(probe, "audio");
  ASSERT_FALSE(v.is_null());
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(v["codec_name"], "h264");
  EXPECT_EQ(v["width"], 320);
  EXPECT_EQ(v["height"], 240);
  EXPECT_EQ(probe_int(v, "nb_read_frames"), 45);
  EXPECT_EQ(a["codec_name"], "aac");
  EXPECT_EQ(a["channels"], 2);
  EXPECT_EQ(probe_int(a, "sample_rate"), 48000);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 1.5, 0.1);
  EXPECT_THAT(std::string(probe["format"]["format_name"]), HasSubstr("mp4"));
}

TEST(FileWriter, TheFrameCounterReadsBackFromTheDecodedFile) {
  const std::string path = out_path("counter.mkv");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .crf = 20});
  ASSERT_TRUE(h.start());
  feed(h, test_frames(40), {});
  const auto decoded = decode_file(path);
  ASSERT_EQ(decoded.video.size(), 40u);
  for (std::size_t i = 0; i < decoded.video.size(); ++i) {
    EXPECT_EQ(read_frame_counter(decoded.video[i]), i) << "decoded frame " << i;
    EXPECT_NEAR(static_cast<double>(decoded.video[i].timestamp_ns()), static_cast<double>(i) * 1e9 / 30, 1e6);
  }
}

TEST(FileWriter, WritesEncodedPacketsAsTheyAre) {
  ProcessorHarness<VideoEncoder> venc({.codec = "h264", .preset = "ultrafast"});
  ProcessorHarness<AudioEncoder> aenc({.codec = "aac"});
  ASSERT_TRUE(venc.start());
  ASSERT_TRUE(aenc.start());
  for (const auto& f : test_frames(30)) ASSERT_TRUE(venc.push("in", f));
  for (const auto& a : test_audio(1.0)) ASSERT_TRUE(aenc.push("in", a));
  ASSERT_TRUE(venc.end_input("in"));
  ASSERT_TRUE(aenc.end_input("in"));
  ASSERT_TRUE(venc.run());
  ASSERT_TRUE(aenc.run());
  const std::string path = out_path("packets.mov");
  ProcessorHarness<Mp4Writer> h({.path = path});
  ASSERT_TRUE(h.start());
  for (const auto& p : venc.take<EncodedPacket>("out")) ASSERT_TRUE(h.push("video_packets", p));
  for (const auto& p : aenc.take<EncodedPacket>("out")) ASSERT_TRUE(h.push("audio_packets", p));
  ASSERT_TRUE(h.end_input("video_packets"));
  ASSERT_TRUE(h.end_input("audio_packets"));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.finished());
  const auto probe = ffprobe(path);
  EXPECT_EQ(probe_stream(probe, "video")["codec_name"], "h264");
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 30);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "aac");
  EXPECT_THAT(std::string(probe["format"]["format_name"]), HasSubstr("mov"));
}

TEST(FileWriter, WebmGetsVp9AndOpusByDefault) {
  const std::string path = out_path("av.webm");
  ProcessorHarness<FileWriter> h({.path = path, .bitrate = 300'000});
  ASSERT_TRUE(h.start());
  feed(h, test_frames(15, 160, 120), test_audio(0.5));
  const auto probe = ffprobe(path);
  EXPECT_EQ(probe_stream(probe, "video")["codec_name"], "vp9");
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 15);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "opus");
  EXPECT_THAT(std::string(probe["format"]["format_name"]), HasSubstr("webm"));
}

TEST(FileWriter, FragmentedMp4IsWrittenInFragmentsAndPlaysWhole) {
  const std::string path = out_path("fragmented.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .keyframe_interval = 10, .fragmented = true});
  ASSERT_TRUE(h.start());
  feed(h, test_frames(30, 160, 120), test_audio(1.0));
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("moof"), std::string::npos);
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 30);
}

TEST(FileWriter, StopFinalizesTheFileEvenWithoutAnEndOfStream) {
  const std::string path = out_path("stopped.mp4");
  {
    ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast"});
    ASSERT_TRUE(h.start());
    for (const auto& f : test_frames(20, 160, 120)) ASSERT_TRUE(h.push("video", f));
    ASSERT_TRUE(h.run());
    ASSERT_TRUE(h.stop());
  }
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 20);
}

TEST(FileWriter, SynchronizedInputsGoOnWithoutAStalledOneAfterTheTimeout) {
  const std::string path = out_path("stalled.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .sync_timeout_ms = 200});
  ASSERT_TRUE(h.start());
  const auto video = test_frames(20, 160, 120);
  const auto audio = test_audio(0.2);
  ASSERT_TRUE(h.push("video", video[0]));
  ASSERT_TRUE(h.push("audio", audio[0]));
  ASSERT_TRUE(h.run());
  for (std::size_t i = 1; i < video.size(); ++i) ASSERT_TRUE(h.push("video", video[i]));  // audio goes silent
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.input_stalls(), 0u);  // waiting for audio
  h.advance(std::chrono::milliseconds(250));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.input_stalls(), 1u);  // went on without it
  for (std::size_t i = 1; i < audio.size(); ++i) ASSERT_TRUE(h.push("audio", audio[i]));
  ASSERT_TRUE(h.end_input("video"));
  ASSERT_TRUE(h.end_input("audio"));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.finished());
  const auto probe = ffprobe(path);
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 20);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "aac");
}

// FileWriter is an Aggregator: 30 fps video and 1024-sample audio at 48 kHz read together, the
// audio stalling for a while (live: the writer goes on after sync_timeout_ms, counting the stall
// once and reporting it once) and then ending a second before the video, which the writer keeps
// writing; the file holds both streams whole, its packets in decode-time order across them.
TEST(FileWriter, TwoRatesOneInputStallingOneEndingEarlyAreWrittenInOrderWithTheStallCountedOnce) {
  const std::string path = out_path("aggregated.mkv");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .sync_timeout_ms = 200});
  ASSERT_TRUE(h.start());
  const auto video = test_frames(90, 160, 120);  // 3 s
  ProcessorHarness<AudioTestSource> src({.frames_per_buffer = 1024, .duration = 2.0, .live = false});
  ASSERT_TRUE(src.start());
  run_to_end(src);
  const auto audio = src.take<AudioFrame>("audio");  // 2 s, 94 blocks
  ASSERT_GE(audio.size(), 93u);
  std::size_t v = 0;
  std::size_t a = 0;
  // Both inputs by time up to `until` (audio only while `audio_until`).
  auto feed_until = [&](std::int64_t until_ns, std::int64_t audio_until_ns) {
    while (true) {
      const bool more_v = v < video.size() && video[v].timestamp_ns() < until_ns;
      const bool more_a = a < audio.size() && audio[a].timestamp_ns() < std::min(until_ns, audio_until_ns);
      if (!more_v && !more_a) break;
      if (more_v && (!more_a || video[v].timestamp_ns() <= audio[a].timestamp_ns())) {
        ASSERT_TRUE(h.push("video", video[v++]));
      } else {
        ASSERT_TRUE(h.push("audio", audio[a++]));
      }
      ASSERT_TRUE(h.run());
    }
  };
  // Both inputs linked before the first run (a harness links an input at its first push).
  ASSERT_TRUE(h.push("video", video[v++]));
  ASSERT_TRUE(h.push("audio", audio[a++]));
  const std::int64_t t0 = video[0].timestamp_ns();
  feed_until(t0 + 500'000'000, t0 + 500'000'000);
  const auto packets_at = [&] { return h.processor().metrics()["packets"].get<std::uint64_t>(); };
  // The audio goes silent; the video goes on to 1 s: the writer waits for the audio.
  feed_until(t0 + 1'000'000'000, t0 + 500'000'000);
  EXPECT_EQ(h.input_stalls(), 0u);
  EXPECT_TRUE(h.warnings().empty());
  const std::uint64_t before = packets_at();
  h.advance(std::chrono::milliseconds(250));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.input_stalls(), 1u);  // went on without it...
  EXPECT_GT(packets_at(), before);  // ...writing the video it held
  ASSERT_EQ(h.warnings().size(), 1u);
  EXPECT_THAT(h.warnings()[0], HasSubstr("input `audio` stalled: nothing for 200 ms"));
  // The audio comes back (its late half second written too), then ends at 2 s; the video goes
  // on alone to 3 s.
  feed_until(t0 + 3'100'000'000, t0 + 3'100'000'000);
  ASSERT_EQ(a, audio.size());
  ASSERT_EQ(v, video.size());
  ASSERT_TRUE(h.end_input("audio"));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.end_input("video"));
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.finished());
  EXPECT_EQ(h.input_stalls(), 1u);  // the audio ending is not a stall
  EXPECT_EQ(h.warnings().size(), 1u);
  const auto stalls = h.processor().metrics()["input_stalls"];
  EXPECT_EQ(stalls["video"], 0u);
  EXPECT_EQ(stalls["audio"], 1u);

  const auto probe = ffprobe(path, "-count_frames -show_packets");
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 90);
  const auto a_stream = probe_stream(probe, "audio");
  ASSERT_FALSE(a_stream.is_null());
  EXPECT_EQ(a_stream["codec_name"], "aac");
  // Every sample of the 2 s of audio, the late half second included (AAC frames of 1024).
  EXPECT_GE(probe_int(a_stream, "nb_read_frames"), static_cast<std::int64_t>(audio.size()));
  double last = -1e9;
  std::size_t n = 0;
  for (const auto& p : probe["packets"]) {
    const double dts = probe_number(p, "dts_time");
    EXPECT_GE(dts, last - 0.001) << "packet " << n << " (" << p["codec_type"] << ") goes back in decode time";
    last = std::max(last, dts);
    ++n;
  }
  EXPECT_GE(n, 90u + audio.size());
}

// duration_s: the writer ends its file by itself at that media time; nothing ends its inputs.
TEST(FileWriter, DurationCutsRawInputToTheFrameAndEndsTheFileByItself) {
  const std::string path = out_path("one_second.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast", .duration_s = 1.0});
  ASSERT_TRUE(h.start());
  const auto video = test_frames(90, 160, 120);
  const auto audio = test_audio(3.0);
  std::size_t v = 0;
  std::size_t a = 0;
  while (!h.finished() && (v < video.size() || a < audio.size())) {
    if (a >= audio.size() || (v < video.size() && video[v].timestamp_ns() <= audio[a].timestamp_ns())) {
      ASSERT_TRUE(h.push("video", video[v++]));
    } else {
      ASSERT_TRUE(h.push("audio", audio[a++]));
    }
    ASSERT_TRUE(h.run());
  }
  ASSERT_TRUE(h.finished());
  EXPECT_LT(v, video.size());  // it ended before its inputs did
  const auto probe = ffprobe(path);
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 30);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 1.0, 1.0 / 30);
  const nlohmann::json m = h.processor().metrics();
  EXPECT_NEAR(m["time_s"].get<double>(), 1.0, 1.0 / 30);
  EXPECT_GT(m["bytes"].get<std::uint64_t>(), 0u);
}

// Packets encoded with B-frames come in decode order: the cut keeps the reference a B-frame
// shown before the limit needs (a P-frame shown after it but decoded before), so every frame
// before the limit decodes as it was, and the file decodes whole.
TEST(FileWriter, DurationCutsBFramePacketsInDecodeOrderKeepingTheReferencesEarlierFramesNeed) {
  ProcessorHarness<VideoEncoder> venc({.codec = "h264", .preset = "fast"});
  ASSERT_TRUE(venc.start());
  for (const auto& f : test_frames(90, 160, 120)) ASSERT_TRUE(venc.push("in", f));
  ASSERT_TRUE(venc.end_input("in"));
  ASSERT_TRUE(venc.run());
  const auto packets = venc.take<EncodedPacket>("out");
  // A limit (a whole frame count) where a frame shown after it is decoded before frames shown
  // before it.
  const std::int64_t frame_ns = 1'000'000'000 / 30;
  const std::int64_t origin = packets.front().pts_ns();
  std::optional<std::size_t> frames_before;
  for (std::size_t k = 20; k < 60 && !frames_before; ++k) {
    const std::int64_t limit = origin + static_cast<std::int64_t>(k) * frame_ns - frame_ns / 2;
    bool seen_after = false;
    for (const auto& p : packets) {
      if (p.pts_ns() >= limit && p.dts_ns() < limit) seen_after = true;
      if (seen_after && p.pts_ns() < limit) {
        frames_before = k;
        break;
      }
    }
  }
  ASSERT_TRUE(frames_before) << "no reordering around any limit: the encoder made no B-frames";
  const std::string path = out_path("cut_packets.mkv");
  ProcessorHarness<FileWriter> h({.path = path, .duration_s = (static_cast<double>(*frames_before) - 0.5) / 30});
  ASSERT_TRUE(h.start());
  for (const auto& p : packets) {
    if (h.finished()) break;
    ASSERT_TRUE(h.push("video_packets", p));
    ASSERT_TRUE(h.run());
  }
  ASSERT_TRUE(h.finished());
  ffmpeg::clear_last_log_error();
  const auto decoded = decode_file(path);
  EXPECT_EQ(ffmpeg::last_log_error(), "");  // no decoding error: no frame lost its reference
  ASSERT_GE(decoded.video.size(), *frames_before);
  EXPECT_LE(decoded.video.size(), *frames_before + 3);  // the references kept past the limit
  for (std::size_t i = 0; i < *frames_before; ++i) {
    EXPECT_EQ(read_frame_counter(decoded.video[i]), i) << "decoded frame " << i;
  }
}

TEST(FileWriter, RefusesALiveConfigChangeRatherThanReopenTheFile) {
  const std::string path = out_path("kept.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .preset = "ultrafast"}, "writer");
  ASSERT_TRUE(h.start());
  const auto frames = test_frames(10, 160, 120);
  for (std::size_t i = 0; i < 5; ++i) ASSERT_TRUE(h.push("video", frames[i]));
  ASSERT_TRUE(h.run());
  auto r = h.set_config({.path = out_path("other.mp4")});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileWriter 'writer'"));
  EXPECT_EQ(h.config().path, path);
  for (std::size_t i = 5; i < 10; ++i) ASSERT_TRUE(h.push("video", frames[i]));
  ASSERT_TRUE(h.end_input("video"));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 10);
}

// --- What the config is refused for, before anything is opened -------------------------------

std::string config_error(const nlohmann::json& config) {
  auto node = ProcessorFactory::global().make_node(ProcessorId("rec"), "FileWriter", config, "processors[2].config");
  return node ? "" : node.error().message();
}

TEST(FileWriter, TheConfigIsRefusedForWhatSetupWouldRefuseNamingTheField) {
  const std::string ok = out_path("config_ok.mp4");
  EXPECT_EQ(config_error({{"path", ok}, {"preset", "veryfast"}}), "");
  EXPECT_EQ(config_error({{"path", out_path("config_ok.webm")}}), "") << "VP9 + Opus by default";
  EXPECT_THAT(config_error({{"path", ok}, {"video_codec", "h246"}}),
              HasSubstr("processors[2].config.video_codec: codec 'h246' is not available"));
  EXPECT_THAT(config_error({{"path", ok}, {"audio_codec", "aacc"}}),
              HasSubstr("processors[2].config.audio_codec: codec 'aacc' is not available"));
  EXPECT_THAT(config_error({{"path", ok}, {"preset", "veryfsat"}}),
              HasSubstr("processors[2].config.preset: 'veryfsat' is not a libx264 preset (did you mean 'veryfast'?"));
  EXPECT_THAT(config_error({{"path", out_path("config.webm")}, {"preset", "veryfast"}}),
              HasSubstr("processors[2].config.preset: libvpx-vp9 has no option 'preset'"));
  EXPECT_EQ(config_error({{"path", "/nonexistent_dir/out.mp4"}}),
            "processors[2].config.path: /nonexistent_dir/out.mp4: folder /nonexistent_dir does not exist");
  // A folder that is a regular file: root (CI) cannot write there either.
  const std::string file = out_path("config_plain_file");
  std::ofstream(file) << "x";
  EXPECT_THAT(config_error({{"path", file + "/out.mp4"}}), HasSubstr("processors[2].config.path: "));
  EXPECT_THAT(config_error({{"path", out_path("out.nosuchcontainer")}}),
              HasSubstr("processors[2].config.path: " + out_path("out.nosuchcontainer") + ": unknown container"));
  EXPECT_THAT(config_error({{"path", ok}, {"format", "nosuchformat"}}), HasSubstr("processors[2].config.format: "));
  for (const std::string& bad : {std::string("/nonexistent_dir/out.mp4"), file + "/out.mp4"}) {
    auto node = ProcessorFactory::global().make_node(ProcessorId("rec"), "FileWriter", {{"path", bad}});
    ASSERT_FALSE(node);
    EXPECT_TRUE(is_input_error(node.error())) << node.error().message();
  }
}

TEST(FileWriter, AGraphRefusesTwoWritersOfOneFileNamingBoth) {
  const std::string path = out_path("twice.mp4");
  const nlohmann::json graph = {
      {"processors",
       {{{"id", "a"}, {"type", "FileWriter"}, {"config", {{"path", path}}}},
        {{"id", "b"}, {"type", "Mp4Writer"}, {"config", {{"path", out_path("./twice.mp4")}}}}}}};
  auto g = Graph::from_json_value(graph, ProcessorFactory::global());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(g.error().message(), HasSubstr("processors[1]: processor 'b': file "));
  EXPECT_THAT(g.error().message(), HasSubstr("is already used by processor 'a'"));
}

TEST(FileWriter, AnUnwritablePathIsAnErrorNamingTheProcessorAndTheFile) {
  ProcessorHarness<FileWriter> h({.path = "/nonexistent_dir/out.mp4"}, "writer");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileWriter 'writer'"));
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent_dir/out.mp4"));
}

TEST(FileWriter, AnUnknownExtensionIsAnErrorNamingTheProcessorAndTheFile) {
  const std::string path = out_path("out.nosuchcontainer");
  ProcessorHarness<Mp4Writer> h({.path = path}, "mp4");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("Mp4Writer 'mp4'"));
  EXPECT_THAT(r.error().message(), HasSubstr(path));
}

TEST(FileWriter, AnUnknownCodecIsAnErrorNamingTheProcessorTheFileAndTheCodec) {
  const std::string path = out_path("codec.mp4");
  ProcessorHarness<FileWriter> h({.path = path, .video_codec = "nosuchcodec"}, "writer");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileWriter 'writer'"));
  EXPECT_THAT(r.error().message(), HasSubstr(path));
  EXPECT_THAT(r.error().message(), HasSubstr("nosuchcodec"));
}

}  // namespace
}  // namespace streamlib
