// The FFmpeg processors in a real StreamRuntime: sources that end, encoders that drain, writers
// that finalize, and the files checked with ffprobe and decoded back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "ffmpeg/encoders.h"
#include "ffmpeg/file_source.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "ffmpeg/video_convert.h"
#include "ffmpeg_test_util.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using std::chrono::seconds;
using testing::decode_file;
using testing::ffprobe;
using ::testing::HasSubstr;
using testing::media;
using testing::out_path;
using testing::probe_int;
using testing::probe_number;
using testing::probe_stream;

constexpr LinkConfig kLossless{.policy = LinkPolicy::kBlock};
// Generous: these wait for work to finish, they do not measure it.
constexpr auto kFinishTimeout = seconds(120);

// Collects a runtime's error events; waits for one without polling.
class ErrorEvents {
 public:
  explicit ErrorEvents(StreamRuntime& rt) {
    rt.subscribe([this](const Event& e) {
      if (e.kind != EventKind::kError) return;
      std::lock_guard lock(mutex_);
      events_.push_back(e);
      cv_.notify_all();
    });
  }
  std::optional<Event> wait_for(std::string_view processor, std::chrono::seconds timeout = seconds(30)) {
    std::unique_lock lock(mutex_);
    std::optional<Event> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const Event& e : events_) {
        if (e.processor.str() == processor) found = e;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

// Two writers of one file would each lose the other's recording: the graph refuses the second
// claim (FileWriterConfig::exclusive_resources), live too, and what runs is not touched.
TEST(FfmpegRuntime, ALiveSecondWriterToTheSamePathIsRefusedAndTheRunningGraphIsUntouched) {
  const std::string path = out_path("exclusive.mp4");
  StreamRuntime rt;
  auto video = rt.add_processor<VideoTestSource>(
                     {.width = 160, .height = 120, .pattern = VideoPattern::kBall, .live = true, .frames = 0}, "src")
                   .value();
  auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast"}, "first").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video)));
  ASSERT_TRUE(rt.start());
  const Graph before = rt.graph();

  // The same file under another spelling of its path.
  const std::string same = (std::filesystem::path(path).parent_path() / "." / "exclusive.mp4").string();
  auto second = rt.add_processor<FileWriter>({.path = same}, "second");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(second.error().message(), HasSubstr("processor 'second'"));
  EXPECT_THAT(second.error().message(), HasSubstr("processor 'first'"));
  EXPECT_THAT(second.error().message(), HasSubstr("file " + std::filesystem::weakly_canonical(path).string()));
  EXPECT_EQ(rt.graph().checksum(), before.checksum());
  EXPECT_EQ(rt.stats().processors.size(), 2u) << "nothing was started for the refused writer";

  // A config change onto the same file is refused the same way and leaves the writer as it was.
  auto other = rt.add_processor("FileWriter", {{"path", out_path("exclusive_other.mp4")}}, "other");
  ASSERT_TRUE(other) << other.error().message();
  const Graph with_other = rt.graph();
  auto moved = rt.update_processor_config(ProcessorId("other"), {{"path", path}});
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(moved.error().message(), HasSubstr("processor 'first'"));
  EXPECT_EQ(rt.graph().checksum(), with_other.checksum());

  // Once the first writer is gone, the file is free.
  ASSERT_TRUE(rt.remove_processor(ProcessorId("other")));
  ASSERT_TRUE(rt.remove_processor(ProcessorId("first")));
  EXPECT_TRUE(rt.add_processor("FileWriter", {{"path", same}}, "second"));
  ASSERT_TRUE(rt.stop());
}

// RuntimeOptions::all_or_nothing_start: a graph one of whose processors cannot be set up does
// not run at all; its writer never gets a frame and the file it would replace stays.
TEST(FfmpegRuntime, AnAllOrNothingStartWhoseSetupFailsLeavesAnExistingFileByteForByte) {
  const std::string path = out_path("kept_on_failed_start.mp4");
  const std::string old(4096, 'x');
  std::ofstream(path, std::ios::binary) << old;
  StreamRuntime rt(RuntimeOptions{.all_or_nothing_start = true});
  auto video = rt.add_processor<VideoTestSource>(
                     {.width = 160, .height = 120, .pattern = VideoPattern::kBall, .live = false, .frames = 30})
                   .value();
  auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast"}, "writer").value();
  // A source whose setup fails: a file that does not exist.
  auto missing = rt.add_processor<FileSource>({.path = out_path("no_such_input.mp4")}, "missing").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video), kLossless));
  ASSERT_TRUE(rt.connect(missing.output(&FileSource::audio), writer.input(&FileWriter::audio), kLossless));
  auto started = rt.start();
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().message(), HasSubstr("processor 'missing'"));
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()), old);
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    entries += e.path().filename().string().find("kept_on_failed_start.mp4.") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(entries, 0u) << "no temporary recording left behind";
}

TEST(FfmpegRuntime, TestSourcesThroughEncodersIntoAnMp4FinishOnTheirOwnAndFfprobeCountsEveryFrame) {
  const std::string path = out_path("runtime_packets.mp4");
  StreamRuntime rt;
  auto video = rt.add_processor<VideoTestSource>(
                     {.width = 320, .height = 240, .pattern = VideoPattern::kBall, .live = false, .frames = 60})
                   .value();
  auto audio = rt.add_processor<AudioTestSource>({.wave = AudioWave::kChord, .duration = 2.0, .live = false}).value();
  auto venc = rt.add_processor<VideoEncoder>({.codec = "h264", .preset = "veryfast", .crf = 23}).value();
  auto aenc = rt.add_processor<AudioEncoder>({.codec = "aac"}).value();
  // start_timeout_ms 0: wait for x264's look-ahead however long this machine takes.
  auto writer = rt.add_processor<Mp4Writer>({.path = path, .start_timeout_ms = 0}, "writer").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), venc.input(&VideoEncoder::in), kLossless));
  ASSERT_TRUE(rt.connect(audio.output(&AudioTestSource::audio), aenc.input(&AudioEncoder::in), kLossless));
  ASSERT_TRUE(rt.connect(venc.output(&VideoEncoder::out), writer.input(&Mp4Writer::video_packets)));
  ASSERT_TRUE(rt.connect(aenc.output(&AudioEncoder::out), writer.input(&Mp4Writer::audio_packets)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(kFinishTimeout));
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  ASSERT_TRUE(rt.stop());

  const auto probe = ffprobe(path);
  const auto v = probe_stream(probe, "video");
  const auto a = probe_stream(probe, "audio");
  ASSERT_FALSE(v.is_null());
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(v["codec_name"], "h264");
  EXPECT_EQ(v["width"], 320);
  EXPECT_EQ(v["height"], 240);
  EXPECT_EQ(probe_int(v, "nb_read_frames"), 60);
  EXPECT_EQ(a["codec_name"], "aac");
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 2.0, 0.1);

  // The frame counter survives encoding and decoding: every frame, in order.
  const auto decoded = decode_file(path, {.audio = false});
  ASSERT_EQ(decoded.video.size(), 60u);
  for (std::size_t i = 0; i < decoded.video.size(); ++i) EXPECT_EQ(read_frame_counter(decoded.video[i]), i) << i;
}

TEST(FfmpegRuntime, AWriterEncodesRawFramesItselfAndFileSourceReadsTheCounterBack) {
  const std::string path = out_path("runtime_raw.mkv");
  {
    StreamRuntime rt;
    auto video = rt.add_processor<VideoTestSource>(
                       {.width = 160, .height = 120, .format = PixelFormat::kI420, .live = false, .frames = 45})
                     .value();
    auto audio = rt.add_processor<AudioTestSource>({.duration = 1.5, .live = false}).value();
    auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast", .crf = 18}).value();
    ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video), kLossless));
    ASSERT_TRUE(rt.connect(audio.output(&AudioTestSource::audio), writer.input(&FileWriter::audio), kLossless));
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(rt.wait_until_finished(kFinishTimeout));
    ASSERT_TRUE(rt.stop());
  }
  const auto probe = ffprobe(path);
  EXPECT_EQ(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 45);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "aac");

  // Transcode it in a runtime: FileSource -> VideoConvert (double size) -> FileWriter, audio
  // straight through; then decode the result and read every frame's counter.
  const std::string again = out_path("runtime_again.mkv");
  {
    StreamRuntime rt;
    auto src = rt.add_processor<FileSource>({.path = path, .live = false}).value();
    auto convert = rt.add_processor<VideoConvert>({.width = 320, .height = 240, .format = PixelFormat::kI420}).value();
    auto writer = rt.add_processor<FileWriter>({.path = again, .preset = "ultrafast", .crf = 18}).value();
    ASSERT_TRUE(rt.connect(src.output(&FileSource::video), convert.input(&VideoConvert::in), kLossless));
    ASSERT_TRUE(rt.connect(convert.output(&VideoConvert::out), writer.input(&FileWriter::video), kLossless));
    ASSERT_TRUE(rt.connect(src.output(&FileSource::audio), writer.input(&FileWriter::audio), kLossless));
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(rt.wait_until_finished(kFinishTimeout));
    ASSERT_TRUE(rt.stop());
  }
  const auto probe2 = ffprobe(again);
  EXPECT_EQ(probe_stream(probe2, "video")["width"], 320);
  EXPECT_EQ(probe_int(probe_stream(probe2, "video"), "nb_read_frames"), 45);
  EXPECT_FALSE(probe_stream(probe2, "audio").is_null());
  const auto decoded = decode_file(again, {.audio = false});
  ASSERT_EQ(decoded.video.size(), 45u);
  for (std::size_t i = 0; i < decoded.video.size(); ++i) EXPECT_EQ(read_frame_counter(decoded.video[i]), i) << i;
}

TEST(FfmpegRuntime, LiveSourcesArePacedAndStillEndExactly) {
  const std::string path = out_path("runtime_live.mp4");
  StreamRuntime rt;
  auto video =
      rt.add_processor<VideoTestSource>({.width = 160, .height = 120, .fps = 30, .live = true, .frames = 15}).value();
  auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast"}).value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video), kLossless));
  const std::int64_t t0 = monotonic_now_ns();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(kFinishTimeout));
  // 15 frames at 30 fps: the last is due 466 ms after the first, so it cannot end sooner.
  EXPECT_GE(monotonic_now_ns() - t0, 466'000'000);
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe_int(probe_stream(ffprobe(path), "video"), "nb_read_frames"), 15);
}

TEST(FfmpegRuntime, StopFinalizesAFileWhoseSourcesNeverEnd) {
  const std::string path = out_path("runtime_stop.mp4");
  StreamRuntime rt;
  auto video = rt.add_processor<VideoTestSource>({.width = 160, .height = 120, .live = true}).value();
  auto audio = rt.add_processor<AudioTestSource>({.live = true}).value();
  auto writer = rt.add_processor<FileWriter>({.path = path, .preset = "ultrafast"}, "writer").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video)));
  ASSERT_TRUE(rt.connect(audio.output(&AudioTestSource::audio), writer.input(&FileWriter::audio)));
  ASSERT_TRUE(rt.start());
  // Wait (for as long as it takes) until the writer has written something, then stop.
  const auto deadline = std::chrono::steady_clock::now() + kFinishTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = rt.stats().find_processor(ProcessorId("writer"));
    if (s && s->metrics.value("packets", 0) >= 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(rt.stop());
  const auto probe = ffprobe(path);
  EXPECT_GE(probe_int(probe_stream(probe, "video"), "nb_read_frames"), 1);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "aac");
  EXPECT_GT(probe_number(probe["format"], "duration"), 0.0);
}

TEST(FfmpegRuntime, AnUnwritablePathIsRefusedWithTheConfigNamingTheProcessorTheFieldAndTheFile) {
  StreamRuntime rt;
  auto writer = rt.add_processor<FileWriter>({.path = "/nonexistent_dir/out.mp4"}, "bad_writer");
  ASSERT_FALSE(writer);
  EXPECT_TRUE(is_input_error(writer.error()));
  EXPECT_THAT(writer.error().message(), HasSubstr("processor 'bad_writer' (FileWriter): config.path: "
                                                  "/nonexistent_dir/out.mp4: folder /nonexistent_dir does not exist"));
  EXPECT_EQ(rt.graph().processor_count(), 0u);
}

TEST(FfmpegRuntime, AFolderGoneBeforeTheStartIsAnErrorEventNamingTheProcessorAndTheFile) {
  const std::filesystem::path folder = out_path("gone_before_start");
  std::filesystem::create_directories(folder);
  const std::string path = (folder / "out.mp4").string();
  StreamRuntime rt;
  ErrorEvents errors(rt);
  auto video = rt.add_processor<VideoTestSource>({.live = false, .frames = 5}).value();
  auto writer = rt.add_processor<FileWriter>({.path = path}, "bad_writer").value();
  ASSERT_TRUE(rt.connect(video.output(&VideoTestSource::video), writer.input(&FileWriter::video)));
  std::filesystem::remove_all(folder);
  (void)rt.start();
  auto error = errors.wait_for("bad_writer");
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(error->message, HasSubstr("bad_writer"));
  EXPECT_THAT(error->message, HasSubstr(path));
  ASSERT_TRUE(rt.stop());
}

TEST(FfmpegRuntime, TheModuleRegistersEveryProcessorWithThePortsUsersType) {
  auto& factory = ProcessorFactory::global();
  auto ports = [&](std::string_view type) {
    std::vector<std::string> names;
    auto d = factory.find(type);
    EXPECT_TRUE(d) << type;
    if (!d) return names;
    for (const auto& p : d->inputs) names.push_back("in:" + p.name);
    for (const auto& p : d->outputs) names.push_back("out:" + p.name);
    return names;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(ports("VideoTestSource"), ElementsAre("out:video"));
  EXPECT_THAT(ports("AudioTestSource"), ElementsAre("out:audio"));
  EXPECT_THAT(ports("VideoEncoder"), ElementsAre("in:in", "out:out"));
  EXPECT_THAT(ports("AudioEncoder"), ElementsAre("in:in", "out:out"));
  EXPECT_THAT(ports("VideoConvert"), ElementsAre("in:in", "out:out"));
  EXPECT_THAT(ports("FileSource"), ElementsAre("out:video", "out:audio", "out:video_packets", "out:audio_packets"));
  for (const char* writer : {"FileWriter", "Mp4Writer"}) {
    EXPECT_THAT(ports(writer), ElementsAre("in:video", "in:audio", "in:video_packets", "in:audio_packets"));
  }
  EXPECT_THAT(loaded_modules(), ::testing::Contains("ffmpeg"));
}

}  // namespace
}  // namespace streamlib
