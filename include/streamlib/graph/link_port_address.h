// "processor.port": one end of a link.
//
//   auto addr = LinkPortAddress::parse("camera_0.video");   // {processor, port}
//   addr->str() == "camera_0.video"
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "streamlib/graph/ids.h"
#include "streamlib/result.h"

namespace streamlib {

struct LinkPortAddress {
  ProcessorId processor;
  std::string port;

  // Splits at the '.'; both parts must be non-empty identifiers made of letters, digits,
  // '_' and '-'.
  static Result<LinkPortAddress> parse(std::string_view text);

  std::string str() const { return processor.str() + "." + port; }

  friend bool operator==(const LinkPortAddress&, const LinkPortAddress&) = default;
  friend auto operator<=>(const LinkPortAddress&, const LinkPortAddress&) = default;
};

// Identifiers: non-empty, made of letters, digits, '_' and '-'.
bool is_valid_processor_id(std::string_view id);
bool is_valid_port_name(std::string_view name);

}  // namespace streamlib
