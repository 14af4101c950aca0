// The link defaults of the FFmpeg sources' outputs (FileSource, VideoTestSource,
// AudioTestSource).
//
// A source that reads a file, or makes `frames: N` pictures, as fast as its links take must
// not lose any to a full link: its outputs block (the type's default for pictures is to drop
// the oldest, right for a camera). The block timeout is long because waiting is the point (an
// encoder at a slow preset may take a while per frame); a blocked push is still a safe point
// for live changes and ends at once on stop. A link's own config in the graph wins over these.
#pragma once

#include <chrono>

#include "streamlib/link/link_config.h"

namespace streamlib {

inline const LinkConfig kSourceLinkDefaults{.policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(10)};

}  // namespace streamlib
