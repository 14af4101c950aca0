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

const std::vector<PortInfo>& ProcessorNode::inputs() const {
  static const std::vector<PortInfo> kNone;
  return ports ? ports->inputs : kNone;
}

const std::vector<PortInfo>& ProcessorNode::outputs() const {
  static const std::vector<PortInfo> kNone;
  return ports ? ports->outputs : kNone;
}

bool same_ports(const ProcessorNode& a, const ProcessorNode& b) {
  if (a.ports == b.ports) return true;
  if (!a.ports || !b.ports)
    return a.inputs().empty() && a.outputs().empty() && b.inputs().empty() && b.outputs().empty();
  return *a.ports == *b.ports;
}

bool operator==(const ProcessorNode& a, const ProcessorNode& b) {
  return a.id == b.id && a.type == b.type && a.config_checksum == b.config_checksum && a.config == b.config &&
         same_ports(a, b);
}

std::uint64_t config_checksum(const nlohmann::json& config) { return internal::fnv1a64(config.dump()); }

}  // namespace streamlib
