// A link: an edge of the Graph from an output port to an input port, with its buffer config.
//
//   Link link{LinkId{"src.video->rec.video"}, *LinkPortAddress::parse("src.video"),
//             *LinkPortAddress::parse("rec.video"), {.capacity = 3}};
#pragma once

#include <string>

#include "streamlib/graph/ids.h"
#include "streamlib/graph/link_port_address.h"
#include "streamlib/link/link_config.h"

namespace streamlib {

struct Link {
  LinkId id;
  LinkPortAddress source;  // an output port
  LinkPortAddress target;  // an input port
  LinkConfig config;       // complete once the link is in a Graph

  friend bool operator==(const Link&, const Link&) = default;
};

// The id a link gets when none is given: "<source>-><target>". Stable, so the same edge in two
// graph files is the same link, and changing its config is an update, not remove + add.
LinkId default_link_id(const LinkPortAddress& source, const LinkPortAddress& target);

}  // namespace streamlib
