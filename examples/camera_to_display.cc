// camera_to_display: a V4L2 camera shown in a window, with the typed API.
//
//   Camera (/dev/video0) --video (capacity 2, drop_oldest)--> Display
//
//   camera_to_display [--test-source] [SECONDS] [DEVICE]     (default: 10 s, /dev/video0)
//
// Runs SECONDS, or until the window is closed, or Ctrl-C. Without a camera at DEVICE (or with
// --test-source) a VideoTestSource (moving ball) stands in for it, and the program says so.
// The window needs a display (X11 or Wayland; `xvfb-run` gives one). The same as
// `streamlib run examples/graphs/camera_to_display.json`. Exit code 0 when it ran, 2 for bad
// arguments, 1 when a processor failed (no display, a busy camera, ...).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "ffmpeg/test_sources.h"
#include "sdl/sdl_processors.h"
#include "v4l2/camera.h"

namespace {

using namespace streamlib;

Result<void> run(const std::string& device, bool test_source, double seconds) {
  StreamRuntime rt;
  // The camera, or the test picture in its place: either way an output of video frames.
  OutputRef<VideoFrame> video;
  if (test_source) {
    STREAMLIB_ASSIGN_OR_RETURN(auto src, rt.add_processor<VideoTestSource>(
                                             {.width = 1280, .height = 720, .pattern = VideoPattern::kBall}, "camera"));
    video = src.output(&VideoTestSource::video);
  } else {
    STREAMLIB_ASSIGN_OR_RETURN(auto cam,
                               rt.add_processor<Camera>({.device = device, .width = 1280, .height = 720}, "camera"));
    video = cam.output(&Camera::video);
  }
  STREAMLIB_ASSIGN_OR_RETURN(auto screen, rt.add_processor<Display>({.title = "Camera"}, "screen"));
  // A window shows the newest picture: a short link that drops the oldest never lags behind.
  STREAMLIB_ASSIGN_OR_RETURN(
      auto link, rt.connect(video, screen.input(&Display::video), {.capacity = 2, .policy = LinkPolicy::kDropOldest}));
  (void)link;

  if (auto started = rt.start(); !started) {
    (void)rt.stop();
    return started;
  }
  fmt::print("showing {} for {} s (close the window or Ctrl-C to stop)\n", test_source ? "the test picture" : device,
             seconds);
  // Closing the window ends the display's stream, and with it the pipeline.
  // Until then, Ctrl-C, or SECONDS; a failure is returned.
  const auto limit = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + limit});
  const RuntimeStats last = rt.stats();
  Result<void> stopped = rt.stop();
  for (const ProcessorStats& p : last.processors) {
    if (p.id.str() == "screen") fmt::print("the window showed {}\n", p.metrics.dump());
  }
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool test_source = std::erase(args, "--test-source") > 0;
  const double seconds = args.size() > 0 ? std::atof(args[0].c_str()) : 10.0;
  const std::string device = args.size() > 1 ? args[1] : "/dev/video0";
  if (args.size() > 2 || (!args.empty() && args[0].starts_with("-")) || seconds <= 0) {
    std::fprintf(stderr, "usage: camera_to_display [--test-source] [SECONDS] [DEVICE]  (SECONDS > 0)\n");
    return 2;
  }
  if (!test_source && !std::filesystem::exists(device)) {
    fmt::print("no camera at {}: a test picture (VideoTestSource) stands in for it\n", device);
    test_source = true;
  }
  if (auto r = run(device, test_source, seconds); !r) {
    std::fprintf(stderr, "camera_to_display: %s\n", r.error().message().c_str());
    return 1;
  }
  return 0;
}
