#include "streamlib/graph/processor_node.h"

#include "graph/hash.h"

namespace streamlib {

bool message_types_compatible(std::string_view from, std::string_view to) {
  if (from == to) return true;
  if (to == kAnyMessageType) return from == "VideoFrame" || from == "AudioFrame" || from == "DataFrame";
  return false;
}

const PortInfo* find_port(const std::vector<PortInfo>& ports, std::string_view name) {
  for (const auto& p : ports) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::uint64_t config_checksum(const nlohmann::json& config) { return internal::fnv1a64(config.dump()); }

}  // namespace streamlib
