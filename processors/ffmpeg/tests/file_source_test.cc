#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>

#include "ffmpeg/file_source.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg_test_util.h"
#include "null_sink/null_sink.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using std::chrono::milliseconds;
using testing::ffprobe;
using ::testing::HasSubstr;
using testing::media;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;
using testing::run_to_end;

TEST(FileSource, PlaysEveryFrameOfAFileAsFastAsTakenThenEnds) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  ASSERT_EQ(video.size(), 60u);  // 2 s at 30 fps
  EXPECT_EQ(video.front().width(), 320);
  for (std::size_t i = 1; i < video.size(); ++i) EXPECT_GT(video[i].timestamp_ns(), video[i - 1].timestamp_ns());
  ASSERT_FALSE(audio.empty());
  std::int64_t samples = 0;
  for (const AudioFrame& a : audio) {
    EXPECT_EQ(a.sample_position(), samples);
    samples += static_cast<std::int64_t>(a.frame_count());
  }
  EXPECT_NEAR(static_cast<double>(samples), 96000.0, 2048.0);
  EXPECT_TRUE(h.output_ended("video"));
  EXPECT_TRUE(h.output_ended("audio"));
}

TEST(FileSource, ConvertsToTheAskedFormatRateAndChannels) {
  ProcessorHarness<FileSource> h(
      {.path = media("av.mp4"), .live = false, .format = PixelFormat::kRgba, .sample_rate = 16000, .channels = 1});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  ASSERT_FALSE(video.empty());
  ASSERT_FALSE(audio.empty());
  EXPECT_EQ(video.front().format(), PixelFormat::kRgba);
  EXPECT_EQ(audio.front().sample_rate(), 16000);
  EXPECT_EQ(audio.front().channels(), 1);
}

TEST(FileSource, LiveSendsEachFrameWhenItsTimeComes) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = true, .audio = false});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<VideoFrame>("video").size(), 1u);  // the first at once
  h.advance(milliseconds(100));                       // frames at 33, 67 and 100 ms
  ASSERT_TRUE(h.run());
  auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_LE(frames.back().timestamp_ns(), 100'000'000);
  EXPECT_FALSE(h.finished());
}

TEST(FileSource, LoopGoesOnWithTheTimelineContinuing) {
  ProcessorHarness<FileSource> h({.path = media("video_only.mp4"), .loop = true, .live = false});
  ASSERT_TRUE(h.start());
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(h.run());  // one frame a call; the file has 30
  auto frames = h.take<VideoFrame>("video");
  ASSERT_EQ(frames.size(), 70u);
  for (std::size_t i = 1; i < frames.size(); ++i) EXPECT_GT(frames[i].timestamp_ns(), frames[i - 1].timestamp_ns());
  EXPECT_FALSE(h.finished());
}

TEST(FileSource, StartSBeginsAtThatPositionWithFileTimestamps) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false, .start_s = 1.0});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  auto audio = h.take<AudioFrame>("audio");
  // The second half of a 2 s, 30 fps file: frames 30..59, stamped where they are in the file.
  ASSERT_EQ(video.size(), 30u);
  EXPECT_NEAR(static_cast<double>(video.front().timestamp_ns()), 1e9, 1e6);
  ASSERT_FALSE(audio.empty());
  EXPECT_NEAR(static_cast<double>(audio.front().timestamp_ns()), 1e9, 25e6);
  std::int64_t samples = 0;
  for (const AudioFrame& a : audio) samples += static_cast<std::int64_t>(a.frame_count());
  EXPECT_NEAR(static_cast<double>(samples), 48000.0, 2048.0);
}

TEST(FileSource, AStartPastTheEndIsAnErrorNamingTheFile) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .start_s = 5.0}, "src");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileSource 'src'"));
  EXPECT_THAT(r.error().message(), HasSubstr(".mp4: start_s 5 is past the end of the file (2.000 s)"));
}

TEST(FileSource, AMissingFileIsAnErrorNamingTheProcessorAndTheFile) {
  ProcessorHarness<FileSource> h({.path = "/nonexistent/in.mp4"}, "src");
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("FileSource 'src'"));
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/in.mp4"));
}

// --- Stream copy and trimming ---

// One packet line of `ffmpeg -f framemd5`: its times in seconds and its payload's MD5.
struct PacketSum {
  double dts = 0;
  double pts = 0;
  std::int64_t size = 0;
  std::string md5;
};

// Per stream, the packets of `path` as `ffmpeg -i path -map 0 -c copy -f framemd5 -` lists them.
std::map<int, std::vector<PacketSum>> packet_sums(const std::string& path) {
  const auto r = ffmpeg::testing::run("ffmpeg -hide_banner -loglevel error -i " + ffmpeg::testing::quote(path) +
                                      " -map 0 -c copy -f framemd5 - 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::map<int, std::pair<double, double>> tb;  // stream -> (num, den)
  std::map<int, std::vector<PacketSum>> out;
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    int stream = 0;
    int num = 0;
    int den = 0;
    if (std::sscanf(line.c_str(), "#tb %d: %d/%d", &stream, &num, &den) == 3) {
      tb[stream] = {num, den};
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    long long dts = 0;
    long long pts = 0;
    long long duration = 0;
    long long size = 0;
    char md5[64] = {};
    if (std::sscanf(line.c_str(), "%d, %lld, %lld, %lld, %lld, %63s", &stream, &dts, &pts, &duration, &size, md5) !=
        6) {
      ADD_FAILURE() << "framemd5 line: " << line;
      continue;
    }
    const auto [n, d] = tb[stream];
    out[stream].push_back({static_cast<double>(dts) * n / d, static_cast<double>(pts) * n / d, size, md5});
  }
  return out;
}

// Runs FileSource's packet outputs into a FileWriter until the file is finished; returns the
// source's metrics.
nlohmann::json remux(const FileSourceConfig& source, const std::string& out) {
  StreamRuntime rt;
  auto src = rt.add_processor<FileSource>(source, "src").value();
  auto writer = rt.add_processor<FileWriter>({.path = out}, "writer").value();
  EXPECT_TRUE(rt.connect(src.output(&FileSource::video_packets), writer.input(&FileWriter::video_packets)));
  EXPECT_TRUE(rt.connect(src.output(&FileSource::audio_packets), writer.input(&FileWriter::audio_packets)));
  EXPECT_TRUE(rt.start());
  EXPECT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
  auto stats = rt.stats().find_processor(ProcessorId("src"));
  EXPECT_TRUE(rt.stop());
  return stats ? stats->metrics : nlohmann::json{};
}

// The acceptance check: the output's packets are the input's, byte for byte, in the
// same order, at the same times (to a tick of the coarser time base).
void expect_same_packets(const std::string& in, const std::string& out, double tolerance_s) {
  const auto want = packet_sums(in);
  const auto got = packet_sums(out);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [stream, packets] : want) {
    ASSERT_EQ(got.count(stream), 1u) << "stream " << stream;
    const auto& ours = got.at(stream);
    ASSERT_EQ(ours.size(), packets.size()) << "stream " << stream;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      EXPECT_EQ(ours[i].md5, packets[i].md5) << "stream " << stream << " packet " << i;
      EXPECT_NEAR(ours[i].pts, packets[i].pts, tolerance_s) << "stream " << stream << " packet " << i;
      EXPECT_NEAR(ours[i].dts, packets[i].dts, tolerance_s) << "stream " << stream << " packet " << i;
    }
  }
}

// H.264 with B-frames (dts before pts, the first dts negative) and AAC, in MP4.
std::string bframes_mp4() {
  const std::string path = out_path("bframes_in.mp4");
  ffmpeg::testing::ffmpeg(
      "-f lavfi -i testsrc2=size=320x240:rate=30:duration=2 -f lavfi -i "
      "sine=frequency=440:duration=2:sample_rate=48000 "
      "-c:v libx264 -preset fast -bf 2 -g 30 -pix_fmt yuv420p -c:a aac -b:a 96k " +
      ffmpeg::testing::quote(path));
  return path;
}

TEST(FileSourceCopy, AnMp4WithBFramesRemuxesToTheSamePacketsAsFfmpegCopy) {
  const std::string in = bframes_mp4();
  const std::string out = out_path("copy.mp4");
  const auto metrics = remux({.path = in, .live = false}, out);
  EXPECT_EQ(metrics.value("decoded_packets", -1), 0);
  expect_same_packets(in, out, 1.0 / 15360);
}

TEST(FileSourceCopy, AnMkvWithVp9AndOpusRemuxesToTheSamePacketsAsFfmpegCopy) {
  const std::string out = out_path("copy.mkv");
  const auto metrics = remux({.path = media("av.mkv"), .live = false}, out);
  EXPECT_EQ(metrics.value("decoded_packets", -1), 0);
  // Matroska counts milliseconds; the writer's rebase to the first sound (0.5 ms before the
  // first block's, after Opus pre-skip) may move a time by one.
  expect_same_packets(media("av.mkv"), out, 0.001 + 1e-9);
}

TEST(FileSourceCopy, AnMp4RemuxesIntoMatroskaAsFfmpegCopyDoes) {
  const std::string in = bframes_mp4();
  const std::string ours = out_path("mp4_to.mkv");
  const std::string theirs = out_path("mp4_to_by_ffmpeg.mkv");
  ffmpeg::testing::ffmpeg("-i " + ffmpeg::testing::quote(in) + " -map 0 -c copy " + ffmpeg::testing::quote(theirs));
  remux({.path = in, .live = false}, ours);
  expect_same_packets(theirs, ours, 0.001 + 1e-9);
  const auto v = probe_stream(ffprobe(ours), "video");
  EXPECT_EQ(v["codec_name"], "h264");
  EXPECT_EQ(v["codec_tag_string"], probe_stream(ffprobe(theirs), "video")["codec_tag_string"]);  // not avc1
}

TEST(FileSourceCopy, AGraphOfPacketsAloneDecodesNothing) {
  const std::string out = out_path("copy_only.mp4");
  const auto metrics = remux({.path = media("av.mp4"), .live = false}, out);
  EXPECT_EQ(metrics.value("decoded_packets", -1), 0);
  EXPECT_EQ(metrics.value("video_packets", 0), 60);
  EXPECT_GT(metrics.value("audio_packets", 0), 90);
  EXPECT_EQ(metrics.value("video_frames", -1), 0);
}

TEST(FileSourceCopy, PacketsAndFramesOfOneFileShareTheTimeline) {
  // The MKV's video starts 7 ms after its audio: both kinds keep that offset, decoding or not.
  for (const bool decode : {true, false}) {
    auto reader = ffmpeg::MediaReader::open(
        media("av.mkv"), {.video = decode, .audio = decode, .video_packets = true, .audio_packets = true});
    ASSERT_TRUE(reader) << reader.error().message();
    std::optional<std::int64_t> video_frame;
    std::optional<std::int64_t> video_packet;
    std::optional<std::int64_t> audio_packet;
    while (!video_packet || !audio_packet || (decode && !video_frame)) {
      auto f = reader->read();
      ASSERT_TRUE(f) << f.error().message();
      ASSERT_FALSE(f->end_of_stream());
      if (f->video() && !video_frame) video_frame = f->video()->timestamp_ns();
      if (const EncodedPacket* p = f->packet()) {
        auto& first = p->kind() == MediaKind::kVideo ? video_packet : audio_packet;
        if (!first) first = p->pts_ns();
      }
    }
    EXPECT_NEAR(static_cast<double>(*video_packet), 7e6, 1e6) << "decode " << decode;
    EXPECT_NEAR(static_cast<double>(*audio_packet), -6.5e6, 1e6) << "decode " << decode;  // Opus pre-skip
    if (decode) {
      EXPECT_EQ(*video_frame, *video_packet);
    }
    EXPECT_EQ(reader->stats().decoded_packets > 0, decode);
  }
}

TEST(FileSourceCopy, LoopedPacketsKeepTheirTimestampsIncreasing) {
  ProcessorHarness<FileSource> h({.path = bframes_mp4(), .loop = true, .live = false});
  ASSERT_TRUE(h.start());
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(h.run());
  auto packets = h.take<EncodedPacket>("video_packets");
  ASSERT_GT(packets.size(), 130u);  // more than two passes of 60
  std::int64_t max_pts = packets.front().pts_ns();
  for (std::size_t i = 1; i < packets.size(); ++i) {
    EXPECT_GT(packets[i].dts_ns(), packets[i - 1].dts_ns()) << i;
    if (packets[i].keyframe()) {
      EXPECT_GT(packets[i].pts_ns(), max_pts) << i;  // nothing shown before it comes later
    }
    max_pts = std::max(max_pts, packets[i].pts_ns());
  }
  auto audio = h.take<EncodedPacket>("audio_packets");
  ASSERT_GT(audio.size(), 200u);
  for (std::size_t i = 1; i < audio.size(); ++i) EXPECT_GT(audio[i].pts_ns(), audio[i - 1].pts_ns()) << i;
}

TEST(FileSourceCopy, AWriterOfPacketsAddedWhileRunningStartsAtAKeyframe) {
  const std::string out = out_path("added_live.mkv");
  StreamRuntime rt;
  auto src = rt.add_processor<FileSource>({.path = media("av.mp4"), .loop = true, .live = false}, "src").value();
  auto sink = rt.add_processor<NullSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&FileSource::video), sink.input(&NullSink::in), {.policy = LinkPolicy::kBlock}));
  ASSERT_TRUE(rt.start());
  auto metric = [&](const char* processor, const char* name) -> std::int64_t {
    auto stats = rt.stats().find_processor(ProcessorId(processor));
    return stats ? stats->metrics.value(name, std::int64_t{0}) : 0;
  };
  // Wait (no time limit asserted) until the source is well into a pass: frame 45 of a GOP of 30.
  while (metric("src", "video_frames") < 45) std::this_thread::yield();
  auto writer = rt.add_processor<FileWriter>({.path = out}, "writer");
  ASSERT_TRUE(writer) << writer.error().message();
  ASSERT_TRUE(rt.connect(src.output(&FileSource::video_packets), writer->input(&FileWriter::video_packets)));
  while (metric("writer", "packets") < 40) std::this_thread::yield();
  ASSERT_TRUE(rt.stop());
  const auto r = ffmpeg::testing::run("ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 " +
                                      ffmpeg::testing::quote(out) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.substr(0, 1), "K") << r.output.substr(0, 40);  // the first packet is a keyframe
  const auto decode = ffmpeg::testing::run("ffmpeg -v error -i " + ffmpeg::testing::quote(out) + " -f null - 2>&1");
  EXPECT_EQ(decode.exit_code, 0);
  EXPECT_EQ(decode.output, "");  // no decoding errors: nothing refers to a picture before it
}

TEST(FileSourceTrim, DurationSEndsFramesAtThatMediaTimeAndAudioAtThatSample) {
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false, .start_s = 0.5, .duration_s = 1.0});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<VideoFrame>("video");
  ASSERT_EQ(video.size(), 30u);  // frames 15..44
  EXPECT_NEAR(static_cast<double>(video.front().timestamp_ns()), 0.5e9, 1e6);
  EXPECT_LT(video.back().timestamp_ns(), 1'500'000'000);
  ffmpeg::testing::AudioCollector audio;
  for (const AudioFrame& a : h.take<AudioFrame>("audio")) audio.add(a);
  EXPECT_TRUE(audio.contiguous);
  EXPECT_EQ(audio.first_position, 24000);
  EXPECT_EQ(audio.frames(), 48000);  // exactly 1 s
}

TEST(FileSourceTrim, PacketsBeginAtTheKeyframeBeforeStartSAndEndAtTheDuration) {
  // As `ffmpeg -ss 1.2 -t 0.5 -c copy`: the GOP starting at 1.0 s, up to 1.7 s.
  ProcessorHarness<FileSource> h({.path = media("av.mp4"), .live = false, .start_s = 1.2, .duration_s = 0.5});
  ASSERT_TRUE(h.start());
  run_to_end(h);
  auto video = h.take<EncodedPacket>("video_packets");
  ASSERT_FALSE(video.empty());
  EXPECT_TRUE(video.front().keyframe());
  EXPECT_NEAR(static_cast<double>(video.front().pts_ns()), 1e9, 1e6);
  EXPECT_EQ(video.size(), 21u);                         // 1.0 .. 1.667 s
  auto audio = h.take<EncodedPacket>("audio_packets");  // from the keyframe's time, with the video
  ASSERT_FALSE(audio.empty());
  EXPECT_LE(audio.front().pts_ns(), 1'000'000'000);
  EXPECT_GT(audio.front().pts_ns() + audio.front().duration_ns(), 1'000'000'000);
  EXPECT_LT(audio.back().pts_ns(), 1'700'000'000);
  EXPECT_GE(audio.back().pts_ns() + audio.back().duration_ns(), 1'700'000'000 - 22'000'000);
}

TEST(FileSourceTrim, ATrimmedCopyHasTheVideoPacketsOfFfmpegSsTCopy) {
  const std::string in = bframes_mp4();
  const std::string ours = out_path("trim_copy.mp4");
  const std::string theirs = out_path("trim_copy_by_ffmpeg.mp4");
  ffmpeg::testing::ffmpeg("-ss 0.5 -t 1 -i " + ffmpeg::testing::quote(in) + " -map 0 -c copy " +
                          ffmpeg::testing::quote(theirs));
  const auto metrics = remux({.path = in, .live = false, .start_s = 0.5, .duration_s = 1.0}, ours);
  EXPECT_EQ(metrics.value("decoded_packets", -1), 0);
  const auto want = packet_sums(theirs)[0];
  const auto got = packet_sums(ours)[0];
  ASSERT_EQ(got.size(), want.size());  // from the keyframe at 0 to 1.5 s, with the B-frames' dts
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].md5, want[i].md5) << i;
}

TEST(FileSourceTrim, ATrimmedTranscodeHasTheDurationAndFrameCountAsked) {
  const std::string out = out_path("trimmed.mp4");
  StreamRuntime rt;
  auto src =
      rt.add_processor<FileSource>({.path = media("av.mp4"), .live = false, .start_s = 0.5, .duration_s = 1.0}).value();
  auto writer = rt.add_processor<FileWriter>({.path = out, .preset = "ultrafast"}, "writer").value();
  constexpr LinkConfig kLossless{.policy = LinkPolicy::kBlock};
  ASSERT_TRUE(rt.connect(src.output(&FileSource::video), writer.input(&FileWriter::video), kLossless));
  ASSERT_TRUE(rt.connect(src.output(&FileSource::audio), writer.input(&FileWriter::audio), kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
  ASSERT_TRUE(rt.stop());
  const auto probe = ffprobe(out);
  const auto v = probe_stream(probe, "video");
  ASSERT_FALSE(v.is_null());
  EXPECT_NEAR(static_cast<double>(probe_int(v, "nb_read_frames")), 30.0, 1.0);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 1.0, 1.0 / 30 + 0.025);  // a frame, an AAC packet
}

TEST(FileSourceTrim, ANegativeDurationIsAnErrorNamingTheField) {
  auto r = FileSourceConfig{.path = "in.mp4", .duration_s = -1}.validate();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("duration_s"));
  EXPECT_TRUE(FileSourceConfig({.path = "in.mp4", .duration_s = 2.5}).validate());
}

}  // namespace
}  // namespace streamlib
