// Reference-counted SDL subsystem initialisation shared by every window and audio device.
//
// SDL_InitSubSystem/SDL_QuitSubSystem are counted by SDL itself but are not safe to call from
// two threads at once; these helpers serialise them and set the process-wide hints StreamLib
// needs first (SDL must not install its own SIGINT/SIGTERM handlers: the runtime owns those).
//
// Video: SDL's video functions must all run on one thread. The first acquire_video() records
// the calling thread as the video thread; acquiring from another thread while video is in use
// fails with kFailedPrecondition. sdl::Window (video_thread.h) keeps every window on one
// dedicated thread, so callers on any thread never meet that error.
//
// Logging: SDL's log, and libasound's error lines (SDL's ALSA driver), go to StreamLib's log
// (streamlib/log.h) instead of stderr, each line naming the processor whose thread wrote it.
#pragma once

#include <string>

#include "streamlib/result.h"

namespace streamlib::sdl {

// Initialises SDL's video subsystem on the calling thread, or adds a reference. The error is
// kIo "no display: SDL_Init(VIDEO) failed: <SDL's reason> (<what DISPLAY/WAYLAND_DISPLAY are>)".
Result<void> acquire_video();
// Drops a reference taken by acquire_video(); the last one quits the subsystem. Same thread.
void release_video();
// True on the thread that owns SDL video (while any reference is held).
bool on_video_thread();

// Audio: any thread. The error is kIo "no audio device: SDL_Init(AUDIO) failed: <reason>".
Result<void> acquire_audio();
void release_audio();

// The last SDL error as a string ("unknown error" if SDL set none).
std::string sdl_error();

// What the display environment variables say, for error messages:
// "DISPLAY is not set, WAYLAND_DISPLAY is not set" or "DISPLAY=:99".
std::string describe_display_env();

}  // namespace streamlib::sdl
