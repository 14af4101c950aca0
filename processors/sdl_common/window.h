// sdl::Window: a VideoWindow callable from any thread.
//
// SDL video must stay on one thread. Every sdl::Window of the process lives on one dedicated
// "SDL video thread", started with the first window and ended with the last; each call here is
// carried out there. A display processor can so open, feed, reconfigure and close its window
// from its own thread (setup / process / on_config_change / teardown), and two display
// processors on two threads share the video thread without ever calling SDL concurrently.
//
//   auto window = sdl::Window::open({.title = "preview", .scaling = sdl::ScalingMode::kCrop}).value();
//   window->post(frame);                      // returns at once; the video thread presents it
//   if (window->close_requested()) ...        // the user closed the window
//   window->set_title("camera 2").value();    // live change, applied on the video thread
//
// post() never blocks: if the video thread has not drawn the previous posted frame yet, the
// new one replaces it (counted in frames_dropped()). show() waits until the frame is on screen
// and returns its error. The video thread pumps SDL events every few milliseconds, so
// close_requested() and take_events() are current without any call from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sdl_common/video_window.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::sdl {

namespace internal {
class VideoThread;
struct WindowShared;
}  // namespace internal

class Window {
 public:
  // Opens the window on the video thread (starting it if needed) and waits for the outcome:
  // the errors are VideoWindow::open's ("no display: SDL_Init(VIDEO) failed: ...").
  static Result<std::unique_ptr<Window>> open(const WindowConfig& config);
  // Closes the window on the video thread and waits for it.
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  // Shows `frame` and waits until it is presented.
  Result<void> show(const VideoFrame& frame);
  // Hands `frame` to the video thread and returns at once (latest wins). The error is that of
  // the last frame the video thread failed to show, if any since the previous call (reported
  // once), or kUnsupported at once for a format no texture takes.
  Result<void> post(const VideoFrame& frame);

  // Sticky: true once the user or the window manager asked to close the window.
  bool close_requested() const;
  // What happened since the previous call (close, resize, expose), merged.
  WindowEvents take_events();
  // Waits up to `timeout` for a close request; true if there is one.
  bool wait_close_requested(std::chrono::milliseconds timeout) const;

  // Live changes, applied on the video thread; each waits for the outcome.
  Result<void> set_title(const std::string& title);
  Result<void> set_size(int width, int height);
  Result<void> set_fullscreen(bool fullscreen);
  Result<void> set_scaling(ScalingMode mode);
  Result<void> apply(const WindowConfig& config);

  WindowConfig config() const;
  WindowStats stats() const;
  std::uint64_t frames_dropped() const;
  std::uint32_t sdl_window_id() const;

 private:
  Window() = default;
  std::shared_ptr<internal::VideoThread> thread_;
  std::shared_ptr<internal::WindowShared> shared_;
};

}  // namespace streamlib::sdl
