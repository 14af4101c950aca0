#include "streamlib/graph/processor_node.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

#include "graph/hash.h"

namespace streamlib {

bool message_types_compatible(std::string_view from, std::string_view to) {
  if (from == to) return true;
  if (to == kAnyMessageType) {
    return from == "VideoFrame" || from == "AudioFrame" || from == "DataFrame" || from == "EncodedPacket";
  }
  return false;
}

namespace {
std::string demangled(const std::type_index& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(t.name());
}
}  // namespace

Result<void> check_message_types(const PortInfo& from, const PortInfo& to) {
  if (!message_types_compatible(from.message_type, to.message_type)) {
    return make_error(ErrorCode::kTypeMismatch, "carries {}, takes {}", from.message_type, to.message_type);
  }
  const std::type_index unknown = typeid(void);
  if (to.message_type != kAnyMessageType && from.message_cpp_type != unknown && to.message_cpp_type != unknown &&
      from.message_cpp_type != to.message_cpp_type) {
    return make_error(ErrorCode::kTypeMismatch, "both named '{}' but different C++ types ({} and {})",
                      from.message_type, demangled(from.message_cpp_type), demangled(to.message_cpp_type));
  }
  return {};
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
