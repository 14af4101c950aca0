#include "sdl_common/sdl_init.h"

#include <SDL.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "streamlib/log.h"

namespace streamlib::sdl {

namespace {
std::mutex& init_mutex() {
  static std::mutex m;
  return m;
}
int video_refs = 0;           // guarded by init_mutex()
std::thread::id video_owner;  // guarded by init_mutex()
int audio_refs = 0;           // guarded by init_mutex()

// SDL's log lines go to StreamLib's log, naming the processor whose thread logged them.
void SDLCALL sdl_log_line(void*, int, SDL_LogPriority priority, const char* message) {
  const log::Level level = priority >= SDL_LOG_PRIORITY_ERROR  ? log::Level::kError
                           : priority == SDL_LOG_PRIORITY_WARN ? log::Level::kWarning
                           : priority == SDL_LOG_PRIORITY_INFO ? log::Level::kInfo
                                                               : log::Level::kDebug;
  if (message != nullptr) log::write(level, "sdl", message);
}

// What SDL lets through to sdl_log_line, from StreamLib's log level when SDL is first set up
// (SDL filters before formatting; the log filters again, so a later, lower level still holds).
SDL_LogPriority sdl_priority() {
  switch (log::level()) {
    case log::Level::kDebug:
      return SDL_LOG_PRIORITY_DEBUG;
    case log::Level::kInfo:
      return SDL_LOG_PRIORITY_INFO;
    case log::Level::kWarning:
      return SDL_LOG_PRIORITY_WARN;
    case log::Level::kError:
      return SDL_LOG_PRIORITY_ERROR;
    case log::Level::kOff:
      break;
  }
  return SDL_LOG_PRIORITY_CRITICAL;
}

// libasound's error lines ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM ...") go to
// StreamLib's log too, at info: they are what ALSA says while SDL probes devices, and a device
// that really cannot open comes back as SDL's error, which fails the processor and names it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
extern "C" void alsa_log_line(const char* /*file*/, int /*line*/, const char* function, int err, const char* fmt, ...) {
  if (fmt == nullptr || !log::enabled(log::Level::kInfo)) return;
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  std::string text = function != nullptr ? fmt::format("{}: {}", function, buf) : std::string(buf);
  if (err != 0) text += fmt::format(": {}", std::strerror(err < 0 ? -err : err));
  log::write(log::Level::kInfo, "alsa", text);
}
#pragma GCC diagnostic pop

// SDL loads libasound itself (dlopen) when its ALSA driver starts, and only then; so do we, just
// before, and hand it alsa_log_line: the same library (one soname, one copy in the process),
// and our reference keeps it — and the handler — loaded when SDL lets go of it. Without
// libasound (or with another audio driver) there is nothing to do. No build dependency on ALSA.
void route_alsa_errors() {
  using Handler = void (*)(const char*, int, const char*, int, const char*, ...);
  static void* const library = ::dlopen("libasound.so.2", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return;
  auto* set_handler = reinterpret_cast<int (*)(Handler)>(::dlsym(library, "snd_lib_error_set_handler"));
  if (set_handler != nullptr) set_handler(&alsa_log_line);
}

void set_process_hints() {
  SDL_LogSetOutputFunction(&sdl_log_line, nullptr);
  SDL_LogSetAllPriority(sdl_priority());
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
  route_alsa_errors();
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
