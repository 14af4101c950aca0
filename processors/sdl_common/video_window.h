// VideoWindow: one SDL window, its renderer and a streaming texture that shows VideoFrames.
//
//   auto window = sdl::VideoWindow::open({.title = "preview", .width = 1280, .height = 720}).value();
//   while (!window->close_requested()) {
//     window->show(next_frame()).value();      // uploads the planes as they are, then presents
//     window->pump_events().value();           // window-manager events: close, resize, expose
//   }
//
// Frames are uploaded without conversion on our side: RGBA and BGRA as 32-bit textures
// (SDL_UpdateTexture), I420 as an IYUV texture (SDL_UpdateYUVTexture), NV12 as an NV12 texture
// (SDL_UpdateNVTexture), YUYV as YUY2 and RGB24 as RGB24 (SDL_UpdateTexture). SDL 2 has no
// texture for 4:2:2, 4:4:4 or 10-bit YUV: I422, I444, P010 and YUV4xxP10 frames are brought to
// 8-bit 4:2:0 (chroma sampled, the top 8 bits kept) into the window's own buffer and uploaded
// as IYUV. The texture is remade only when the frame's size, format or YUV colour mode changes. GRAY8 is refused
// (kUnsupported: SDL has no 8-bit grey texture). The YUV colour mode follows the frame's range
// and matrix (full range: JPEG; limited BT.709: BT709; limited BT.601: BT601; else SDL's
// automatic choice by resolution).
// A frame's rotation_degrees() is honoured when drawing: SDL_RenderCopyEx turns the texture,
// and the scaling mode works on the turned size (compute_rotated_scaling).
//
// THREADING: SDL video must stay on one thread. A VideoWindow is bound to the thread that
// opened it; every method called from another thread fails with kFailedPrecondition (nothing
// is touched). Only one thread of the process may own SDL video at a time (see sdl_init.h), so
// code that may open windows from several threads should use sdl::Window (video_thread.h),
// which runs all of them on one dedicated thread and is callable from anywhere.
//
// Events: pump_events() drains SDL's queue (shared by every window of the thread), routes each
// window event to its window and returns what happened to this one since the last call. A close
// request (SDL_WINDOWEVENT_CLOSE for this window, or SDL_QUIT) is sticky: close_requested()
// stays true; the window stays open until it is destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sdl_common/scaling.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

struct SDL_Window;
struct SDL_Renderer;
struct SDL_Texture;

namespace streamlib::sdl {

struct WindowConfig {
  std::string title = "StreamLib";
  int width = 1280;  // window size in screen coordinates (not in fullscreen)
  int height = 720;
  int x = -1;  // position; -1: centred
  int y = -1;
  bool fullscreen = false;  // desktop fullscreen (no mode change)
  bool resizable = true;
  ScalingMode scaling = ScalingMode::kLetterbox;
  bool vsync = false;    // wait for the vertical blank in present (blocks the calling thread)
  std::string renderer;  // SDL render driver ("opengl", "opengles2", "software", ...); empty: SDL's choice
};

// What happened to a window since the previous pump_events().
struct WindowEvents {
  bool close_requested = false;  // the user or the window manager asked to close
  bool resized = false;          // the window's size changed (width/height hold the new size)
  bool exposed = false;          // part of the window must be redrawn (done by pump_events)
  int width = 0;
  int height = 0;
};

struct WindowStats {
  std::uint64_t frames_shown = 0;
  std::uint64_t textures_created = 0;  // 1 per distinct size/format/colour mode in a row
  int output_width = 0;                // renderer output size in pixels
  int output_height = 0;
  std::string renderer;  // the SDL render driver in use
};

class VideoWindow {
 public:
  // Initialises SDL video if needed and opens the window on the calling thread. Errors:
  // kIo "no display: SDL_Init(VIDEO) failed: ..." without a display; kFailedPrecondition when
  // another thread owns SDL video; kInvalidArgument for a bad size; kIo when SDL refuses.
  static Result<std::unique_ptr<VideoWindow>> open(const WindowConfig& config);
  ~VideoWindow();
  VideoWindow(const VideoWindow&) = delete;
  VideoWindow& operator=(const VideoWindow&) = delete;

  // Uploads `frame` into the texture (remade if its size/format/colour changed) and presents it
  // with the current scaling. The frame is kept for redraws (a reference, not a copy).
  Result<void> show(const VideoFrame& frame);
  // Presents the last frame again (black if none) with the current size and scaling.
  Result<void> redraw();
  // Drains SDL's event queue; redraws after an expose or resize. See the header comment.
  Result<WindowEvents> pump_events();
  bool close_requested() const { return close_requested_; }

  // Live changes. Each applies at once and redraws; a size given while fullscreen is applied
  // when fullscreen ends.
  Result<void> set_title(std::string_view title);
  Result<void> set_size(int width, int height);
  Result<void> set_fullscreen(bool fullscreen);
  Result<void> set_scaling(ScalingMode mode);
  // Applies every field of `config` that differs from the current one (renderer, vsync,
  // position and resizable are fixed at open: changing them gives kUnsupported, nothing applied).
  Result<void> apply(const WindowConfig& config);

  const WindowConfig& config() const { return config_; }
  WindowStats stats() const;
  std::uint32_t sdl_window_id() const { return window_id_; }
  std::thread::id owner_thread() const { return owner_; }

 private:
  VideoWindow() = default;
  Result<void> check_thread(std::string_view what) const;
  Result<void> upload(const VideoFrame& frame);
  Result<void> present();
  void destroy();
  // Called by the thread's event router.
  friend struct EventRouter;
  void on_window_event(const void* sdl_window_event);

  WindowConfig config_;
  std::thread::id owner_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  std::uint32_t window_id_ = 0;
  bool video_acquired_ = false;
  // The texture's key: remade when any of these changes.
  int tex_width_ = 0;
  int tex_height_ = 0;
  int tex_format_ = -1;             // PixelFormat as int, -1: none
  std::vector<std::uint8_t> i420_;  // frames SDL has no texture for, brought to I420
  int tex_yuv_mode_ = -1;
  VideoFrame last_frame_;
  bool close_requested_ = false;
  WindowEvents pending_;
  std::uint64_t frames_shown_ = 0;
  std::uint64_t textures_created_ = 0;
  std::string renderer_name_;
};

}  // namespace streamlib::sdl
