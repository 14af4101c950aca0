// camera_fanout: one camera fanned out to a window and to an MP4 recorder, with the typed API.
// Each branch has its own link: the window's drops old pictures, the recorder's loses none.
//
//   Camera (/dev/video0) --video (capacity 2, drop_oldest)--> Display
//                        --video (capacity 8, block)--------> Mp4Writer (H.264)
//
//   camera_fanout [--test-source] [OUT.mp4] [SECONDS]     (default: camera.mp4, 10 s)
//
// Records SECONDS, or until Ctrl-C (the file is finalized either way). Without a camera at
// /dev/video0 (or with --test-source) a VideoTestSource stands in for it; without a display
// ($DISPLAY and $WAYLAND_DISPLAY unset) the window branch is left out. The program says so.
// The same as `streamlib run examples/graphs/camera_fanout.json`. Exit code 0 when the file
// was written, 2 for bad arguments, 1 when a processor failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "ffmpeg/file_writer.h"
#include "ffmpeg/test_sources.h"
#include "sdl/sdl_processors.h"
#include "v4l2/camera.h"

namespace {

using namespace streamlib;

Result<void> run(const std::string& path, double seconds, bool test_source, bool window) {
  StreamRuntime rt;
  OutputRef<VideoFrame> video;
  if (test_source) {
    STREAMLIB_ASSIGN_OR_RETURN(auto src,
                               rt.add_processor<VideoTestSource>({.width = 640,
                                                                  .height = 360,
                                                                  .pattern = VideoPattern::kBall,
                                                                  .frames = static_cast<std::uint64_t>(seconds * 30)},
                                                                 "camera"));
    video = src.output(&VideoTestSource::video);
  } else {
    STREAMLIB_ASSIGN_OR_RETURN(auto cam, rt.add_processor<Camera>({.width = 1280, .height = 720}, "camera"));
    video = cam.output(&Camera::video);
  }
  if (window) {
    STREAMLIB_ASSIGN_OR_RETURN(auto screen, rt.add_processor<Display>({.title = "Camera"}, "screen"));
    STREAMLIB_RETURN_IF_ERROR(
        rt.connect(video, screen.input(&Display::video), {.capacity = 2, .policy = LinkPolicy::kDropOldest}));
  }
  STREAMLIB_ASSIGN_OR_RETURN(auto recorder,
                             rt.add_processor<Mp4Writer>({.path = path, .preset = "veryfast"}, "recorder"));
  STREAMLIB_RETURN_IF_ERROR(
      rt.connect(video, recorder.input(&Mp4Writer::video), {.capacity = 8, .policy = LinkPolicy::kBlock}));

  if (auto started = rt.start(); !started) {
    (void)rt.stop();
    return started;
  }
  fmt::print("recording to {}{} for {} s (Ctrl-C stops)\n", path, window ? " and showing" : "", seconds);
  // A camera never ends its stream: stop after SECONDS. The test picture ends by itself then;
  // wait for that (the encoder may lag behind on a busy machine).
  // Ctrl-C stops gracefully too; a failure is returned.
  const auto limit = std::chrono::milliseconds(static_cast<long>((test_source ? seconds + 60 : seconds) * 1000));
  Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + limit});
  const RuntimeStats last = rt.stats();
  Result<void> stopped = rt.stop();  // the writer finalizes
  for (const ProcessorStats& p : last.processors) {
    fmt::print("  {:<9} {:<16} {:<9} {}\n", p.id, p.type, enum_name(p.state), p.metrics.dump());
  }
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool test_source = std::erase(args, "--test-source") > 0;
  const std::string path = args.size() > 0 ? args[0] : "camera.mp4";
  const double seconds = args.size() > 1 ? std::atof(args[1].c_str()) : 10.0;
  if (args.size() > 2 || (!args.empty() && args[0].starts_with("-")) || seconds <= 0) {
    std::fprintf(stderr, "usage: camera_fanout [--test-source] [OUT.mp4] [SECONDS]  (SECONDS > 0)\n");
    return 2;
  }
  if (!test_source && !std::filesystem::exists("/dev/video0")) {
    fmt::print("no camera at /dev/video0: a test picture (VideoTestSource) stands in for it\n");
    test_source = true;
  }
  const bool window = std::getenv("DISPLAY") != nullptr || std::getenv("WAYLAND_DISPLAY") != nullptr;
  if (!window) fmt::print("no display ($DISPLAY and $WAYLAND_DISPLAY unset): recording only, no window\n");
  if (auto r = run(path, seconds, test_source, window); !r) {
    std::fprintf(stderr, "camera_fanout: %s\n", r.error().message().c_str());
    return 1;
  }
  fmt::print("wrote {}\n", path);
  return 0;
}
