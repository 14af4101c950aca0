// The one log of a StreamLib process: what FFmpeg, SDL and ALSA say (and StreamLib's own
// diagnostics) goes through here, one line at a time, each with the processor whose thread
// said it.
//
//   streamlib::log::set_level(streamlib::log::Level::kInfo);
//   streamlib::log::write(streamlib::log::Level::kWarning, "ffmpeg h264", "co located POCs unavailable");
//     -> stderr: "[input] ffmpeg h264: co located POCs unavailable"   (on processor input's thread)
//   streamlib::log::set_sink([](const streamlib::log::Record& r) { ... });   // elsewhere instead
//
// The source of a line is the processor whose runtime thread wrote it (its id); on any other
// thread, the thread's name — a thread a processor starts inherits the first 15 characters of
// its processor's id as its name on Linux, so FFmpeg's codec threads and a device's threads
// still name it. The media layers install their hooks (ffmpeg_common's av_log callback,
// sdl_common's SDL and ALSA handlers) and forward each line with write().
//
// Levels: a line is kept when its level is at or above the one set (kError is the highest);
// kOff keeps none. The default is kWarning. enabled() is one relaxed atomic load, so a library
// hook can drop what nobody wants before formatting it.
//
// Threads: everything here may be called from any thread. The sink is called with a lock held,
// one line at a time (lines from two threads never interleave); it must not call write().
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace streamlib::log {

enum class Level { kOff = 0, kError = 1, kWarning = 2, kInfo = 3, kDebug = 4 };

// "quiet", "error", "warning", "info", "debug".
std::string_view level_name(Level level);
// The level a name means (level_name's names), or nullopt.
std::optional<Level> parse_level(std::string_view name);

void set_level(Level level);
Level level();
// True when a line of `level` would be kept.
bool enabled(Level level);

// One line.
struct Record {
  Level level = Level::kInfo;
  std::string_view source;   // the processor id, or the thread's name (see the file comment)
  std::string_view origin;   // who said it: "ffmpeg h264", "sdl", "alsa", "streamlib"
  std::string_view message;  // one line, without its newline
};
using Sink = std::function<void(const Record&)>;

// Where kept lines go. The default (and an empty `sink`) writes "[source] origin: message" to
// stderr.
void set_sink(Sink sink);
// The default sink's text for a record: "[input] ffmpeg h264: co located POCs unavailable".
std::string format(const Record& record);

// Sends `message` (one or more lines; trailing newlines and blank lines are dropped) to the sink
// if `level` is enabled, with the calling thread's source.
void write(Level level, std::string_view origin, std::string_view message);

// The calling thread's source: the id of the processor whose runtime thread this is, else the
// thread's name.
std::string current_source();

}  // namespace streamlib::log
