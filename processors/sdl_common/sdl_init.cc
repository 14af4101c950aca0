#include "sdl_common/sdl_init.h"

#include <SDL.h>

#include <cstdlib>
#include <mutex>
#include <thread>

namespace streamlib::sdl {

namespace {
std::mutex& init_mutex() {
  static std::mutex m;
  return m;
}
int video_refs = 0;           // guarded by init_mutex()
std::thread::id video_owner;  // guarded by init_mutex()
int audio_refs = 0;           // guarded by init_mutex()

void set_process_hints() {
  // The runtime handles SIGINT/SIGTERM; SDL turning them into SDL_QUIT would steal them.
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  // Closing a window is reported as a close request; it never quits anything by itself.
  SDL_SetHint(SDL_HINT_QUIT_ON_LAST_WINDOW_CLOSE, "0");
  // Do not ask a compositor to unredirect our windows (they are ordinary viewers).
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  // Keep the screen saver policy of the desktop.
  SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
  // Only drivers that put a window on a screen. SDL 2.26 would otherwise fall back to its
  // "offscreen" driver when there is no display and "succeed" invisibly. SDL_VIDEODRIVER in
  // the environment still wins (e.g. "offscreen" or "dummy" on purpose).
  SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11,wayland,KMSDRM");
}
}  // namespace

std::string sdl_error() {
  const char* e = SDL_GetError();
  return (e != nullptr && *e != '\0') ? std::string(e) : std::string("unknown error");
}

std::string describe_display_env() {
  std::string out;
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (display != nullptr && *display != '\0') {
    out = fmt::format("DISPLAY={}", display);
  } else {
    out = "DISPLAY is not set";
  }
  if (wayland != nullptr && *wayland != '\0') {
    out += fmt::format(", WAYLAND_DISPLAY={}", wayland);
  } else {
    out += ", WAYLAND_DISPLAY is not set";
  }
  return out;
}

Result<void> acquire_video() {
  std::lock_guard lock(init_mutex());
  if (video_refs > 0) {
    if (video_owner != std::this_thread::get_id()) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "SDL video is already in use on another thread; SDL windows must all live on one thread "
                        "(use sdl::Window, which keeps them on its own)");
    }
    ++video_refs;
    return {};
  }
  set_process_hints();
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    const std::string reason = sdl_error();
    SDL_ClearError();
    return make_error(ErrorCode::kIo, "no display: SDL_Init(VIDEO) failed: {} ({})", reason, describe_display_env());
  }
  video_refs = 1;
  video_owner = std::this_thread::get_id();
  return {};
}

void release_video() {
  std::lock_guard lock(init_mutex());
  if (video_refs <= 0) return;
  if (--video_refs == 0) {
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    video_owner = std::thread::id();
  }
}

bool on_video_thread() {
  std::lock_guard lock(init_mutex());
  return video_refs > 0 && video_owner == std::this_thread::get_id();
}

Result<void> acquire_audio() {
  std::lock_guard lock(init_mutex());
  if (audio_refs > 0) {
    ++audio_refs;
    return {};
  }
  set_process_hints();
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
    const std::string reason = sdl_error();
    SDL_ClearError();
    const char* driver = std::getenv("SDL_AUDIODRIVER");
    return make_error(ErrorCode::kIo, "no audio device: SDL_Init(AUDIO) failed: {}{}", reason,
                      driver != nullptr ? fmt::format(" (SDL_AUDIODRIVER={})", driver) : std::string());
  }
  audio_refs = 1;
  return {};
}

void release_audio() {
  std::lock_guard lock(init_mutex());
  if (audio_refs <= 0) return;
  if (--audio_refs == 0) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

}  // namespace streamlib::sdl
