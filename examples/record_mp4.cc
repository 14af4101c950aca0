// record_mp4: test video and a chord, encoded to H.264/AAC in an MP4, with the typed API; the
// run ends by itself when the sources end their streams (or on Ctrl-C, which finalizes the
// file too).
//
//   VideoTestSource (moving ball, frame counter) --video--> Mp4Writer
//   AudioTestSource (C4+E4+G4 chord) ----------------audio--> Mp4Writer
//
//   record_mp4 [OUT.mp4] [SECONDS]      (default: record.mp4, 3 s)
//
// The same as `streamlib run examples/graphs/record.json`, written as a program. Exit code 0
// when the file was written, 1 otherwise (the error names the processor and the file).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"

namespace {

using streamlib::AudioTestSource;
using streamlib::Mp4Writer;
using streamlib::VideoTestSource;

streamlib::Result<void> record(const std::string& path, double seconds) {
  streamlib::StreamRuntime rt;
  const auto frames = static_cast<std::uint64_t>(seconds * 30);
  STREAMLIB_ASSIGN_OR_RETURN(auto camera, rt.add_processor<VideoTestSource>({.width = 640,
                                                                             .height = 360,
                                                                             .fps = 30,
                                                                             .pattern = streamlib::VideoPattern::kBall,
                                                                             .live = false,
                                                                             .frames = frames},
                                                                            "camera"));
  STREAMLIB_ASSIGN_OR_RETURN(
      auto mic,
      rt.add_processor<AudioTestSource>(
          {.wave = streamlib::AudioWave::kChord, .amplitude = 0.3, .duration = seconds, .live = false}, "mic"));
  STREAMLIB_ASSIGN_OR_RETURN(auto recorder,
                             rt.add_processor<Mp4Writer>({.path = path, .preset = "veryfast"}, "recorder"));
  // The sources' outputs block by default: nothing is dropped while the encoder catches up.
  STREAMLIB_ASSIGN_OR_RETURN(auto video,
                             rt.connect(camera.output(&VideoTestSource::video), recorder.input(&Mp4Writer::video)));
  STREAMLIB_ASSIGN_OR_RETURN(auto audio,
                             rt.connect(mic.output(&AudioTestSource::audio), recorder.input(&Mp4Writer::audio)));
  (void)video;
  (void)audio;

  STREAMLIB_RETURN_IF_ERROR(rt.start());
  // Every sink finished: the writer has written its trailer.
  STREAMLIB_RETURN_IF_ERROR(rt.wait_until_finished(std::chrono::seconds(120)));
  const streamlib::RuntimeStats stats = rt.stats();
  STREAMLIB_RETURN_IF_ERROR(rt.stop());
  for (const streamlib::ProcessorStats& p : stats.processors) {
    fmt::print("  {:<10} {:<16} {:<9} {}\n", p.id, p.type, enum_name(p.state), p.metrics.dump());
    if (p.state == streamlib::ProcessorState::kError) {
      return streamlib::make_error(streamlib::ErrorCode::kProcessorFailed, "{} failed: {}", p.id, p.last_error);
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "record.mp4";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "record_mp4: SECONDS must be a positive number\n");
    return 2;
  }
  if (auto r = record(path, seconds); !r) {
    std::fprintf(stderr, "record_mp4: %s\n", r.error().message().c_str());
    return 1;
  }
  fmt::print("recorded {:.1f} s to {}\n", seconds, path);
  return 0;
}
