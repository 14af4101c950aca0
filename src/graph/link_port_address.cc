#include "streamlib/graph/link_port_address.h"

#include <algorithm>

namespace streamlib {
namespace {
bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool is_ident(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_ident_char); }
}  // namespace

bool is_valid_processor_id(std::string_view id) { return is_ident(id); }
bool is_valid_port_name(std::string_view name) { return is_ident(name); }

Result<LinkPortAddress> LinkPortAddress::parse(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' is not a port address (expected \"processor.port\")", text);
  }
  const std::string_view proc = text.substr(0, dot);
  const std::string_view port = text.substr(dot + 1);
  if (!is_valid_processor_id(proc)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'{}': '{}' is not a valid processor id (letters, digits, '_' and '-')", text, proc);
  }
  if (!is_valid_port_name(port)) {
    return make_error(ErrorCode::kInvalidArgument, "'{}': '{}' is not a valid port name (letters, digits, '_' and '-')",
                      text, port);
  }
  return LinkPortAddress{ProcessorId(proc), std::string(port)};
}

}  // namespace streamlib
