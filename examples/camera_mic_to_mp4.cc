// camera_mic_to_mp4: a camera and a microphone recorded to an MP4 (H.264 + AAC), the
// microphone's audio made 48 kHz stereo on the way, with the typed API.
//
//   Camera (/dev/video0) ------------------------------------------------------video--> Mp4Writer
//   AudioCapture (44.1 kHz mono) -> AudioResampler (48 kHz) -> AudioChannelConverter -audio-^
//
//   camera_mic_to_mp4 [--test-sources] [OUT.mp4] [SECONDS]     (default: camera_mic.mp4, 10 s)
//
// Records SECONDS or until Ctrl-C, and finalizes the file either way. Without a camera at
// /dev/video0 a VideoTestSource stands in for it, without a capture device an AudioTestSource
// (a chord, 44.1 kHz mono too), and it says so; --test-sources uses both. The test sources
// end after SECONDS. Like `streamlib run examples/graphs/camera_mic_to_mp4.json`. Exit code 0
// when the file was written, 2 for bad arguments, 1 when a processor failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "audio/audio_processors.h"
#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "sdl/sdl_processors.h"
#include "v4l2/camera.h"

namespace {

using namespace streamlib;

Result<void> record(const std::string& path, double seconds, bool test_camera, bool test_mic) {
  StreamRuntime rt;
  OutputRef<VideoFrame> video;
  OutputRef<AudioFrame> audio;
  // The test sources end their streams after SECONDS (a device never does).
  const VideoTestSourceConfig picture{
      .width = 640, .height = 360, .pattern = VideoPattern::kBall, .frames = static_cast<std::uint64_t>(seconds * 30)};
  const AudioTestSourceConfig chord{
      .wave = AudioWave::kChord, .amplitude = 0.3, .sample_rate = 44100, .channels = 1, .duration = seconds};
  if (test_camera) {
    STREAMLIB_ASSIGN_OR_RETURN(auto src, rt.add_processor<VideoTestSource>(picture, "camera"));
    video = src.output(&VideoTestSource::video);
  } else {
    STREAMLIB_ASSIGN_OR_RETURN(auto cam, rt.add_processor<Camera>({.width = 1280, .height = 720}, "camera"));
    video = cam.output(&Camera::video);
  }
  if (test_mic) {
    STREAMLIB_ASSIGN_OR_RETURN(auto src, rt.add_processor<AudioTestSource>(chord, "mic"));
    audio = src.output(&AudioTestSource::audio);
  } else {
    STREAMLIB_ASSIGN_OR_RETURN(auto mic, rt.add_processor<AudioCapture>({.sample_rate = 44100, .channels = 1}, "mic"));
    audio = mic.output(&AudioCapture::audio);
  }
  STREAMLIB_ASSIGN_OR_RETURN(auto resample, rt.add_processor<AudioResampler>({.sample_rate = 48000}, "resample"));
  STREAMLIB_ASSIGN_OR_RETURN(auto stereo, rt.add_processor<AudioChannelConverter>({.channels = 2}, "stereo"));
  STREAMLIB_ASSIGN_OR_RETURN(auto recorder,
                             rt.add_processor<Mp4Writer>({.path = path, .preset = "veryfast"}, "recorder"));
  // Every link blocks: nothing is dropped while the encoder catches up.
  STREAMLIB_RETURN_IF_ERROR(
      rt.connect(video, recorder.input(&Mp4Writer::video), {.capacity = 8, .policy = LinkPolicy::kBlock}));
  STREAMLIB_RETURN_IF_ERROR(rt.connect(audio, resample.input(&AudioResampler::in)));
  STREAMLIB_RETURN_IF_ERROR(
      rt.connect(resample.output(&AudioResampler::out), stereo.input(&AudioChannelConverter::in)));
  STREAMLIB_RETURN_IF_ERROR(rt.connect(stereo.output(&AudioChannelConverter::out), recorder.input(&Mp4Writer::audio)));

  if (auto started = rt.start(); !started) {
    (void)rt.stop();
    return started;
  }
  fmt::print("recording to {} for {} s (Ctrl-C stops and finalizes the file)\n", path, seconds);
  // Stop after SECONDS; or, with only test sources, when they end (the encoder may lag).
  // Ctrl-C stops gracefully too; a failure is returned.
  const auto limit =
      std::chrono::milliseconds(static_cast<long>((test_camera && test_mic ? seconds + 60 : seconds) * 1000));
  Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + limit});
  const RuntimeStats last = rt.stats();
  Result<void> stopped = rt.stop();  // the writer finalizes
  for (const ProcessorStats& p : last.processors) {
    if (p.id.str() == "recorder") fmt::print("recorder: {}\n", p.metrics.dump());
  }
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool test_sources = std::erase(args, "--test-sources") > 0;
  const std::string path = args.size() > 0 ? args[0] : "camera_mic.mp4";
  const double seconds = args.size() > 1 ? std::atof(args[1].c_str()) : 10.0;
  if (args.size() > 2 || (!args.empty() && args[0].starts_with("-")) || seconds <= 0) {
    std::fprintf(stderr, "usage: camera_mic_to_mp4 [--test-sources] [OUT.mp4] [SECONDS]  (SECONDS > 0)\n");
    return 2;
  }
  const bool test_camera = test_sources || !std::filesystem::exists("/dev/video0");
  if (!test_sources && test_camera) fmt::print("no camera at /dev/video0: a test picture (VideoTestSource) instead\n");
  bool test_mic = test_sources;
  if (!test_mic) {
    auto mics = sdl::list_audio_devices(sdl::AudioDirection::kCapture);  // an error: no SDL audio at all
    test_mic = !mics || mics->empty();
    if (test_mic) fmt::print("no microphone (SDL finds none): a chord (AudioTestSource) stands in for it\n");
  }
  if (auto r = record(path, seconds, test_camera, test_mic); !r) {
    std::fprintf(stderr, "camera_mic_to_mp4: %s\n", r.error().message().c_str());
    return 1;
  }
  fmt::print("wrote {}\n", path);
  return 0;
}
