// log::write_as: a log line on behalf of a processor, from a thread that is not the one running
// it (a library's own thread the processor started: FFmpeg's frame threads, x264's lookahead).
// Not part of the public API: what the FFmpeg log bridge uses to name the processor whose
// codec logged, whichever thread it logged from.
#pragma once

#include <string_view>

#include "streamlib/log.h"

namespace streamlib::log {

// As write(), with `source` in place of current_source().
void write_as(Level level, std::string_view source, std::string_view origin, std::string_view message);

}  // namespace streamlib::log
