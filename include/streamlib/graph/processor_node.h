// A processor as the Graph sees it: id, type, config JSON and its checksum, and its ports.
//
// Nodes are usually made by the registry, which knows each type's ports and fills in defaults:
//   auto node = ProcessorFactory::global().make_node(ProcessorId{"gain"}, "Gain", {{"gain", 2}});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/graph/ids.h"
#include "streamlib/link/link_config.h"
#include "streamlib/result.h"

namespace streamlib {

enum class PortDirection { kInput, kOutput };
STREAMLIB_ENUM_NAMES(PortDirection, {PortDirection::kInput, "input"}, {PortDirection::kOutput, "output"});

// The message type name an input uses to accept any frame type (VideoFrame, AudioFrame,
// DataFrame, EncodedPacket); see frames/any_frame.h.
inline constexpr std::string_view kAnyMessageType = "AnyFrame";

class Notifier;
namespace internal {
class LinkChannelBase;
}
// Makes a live link carrying an output port's message type (see LinkChannel).
using ChannelFactory = std::shared_ptr<internal::LinkChannelBase> (*)(const LinkId& id, const std::string& from,
                                                                      const std::string& to, const LinkConfig& config,
                                                                      std::shared_ptr<Notifier> consumer_notifier,
                                                                      std::shared_ptr<Notifier> producer_notifier);

// Static description of one port of a processor type.
struct PortInfo {
  std::string name;
  PortDirection direction = PortDirection::kInput;
  std::string message_type;  // "VideoFrame", "AudioFrame", "DataFrame", "AnyFrame", or a user type
  std::string description;
  LinkConfig default_link;  // complete: the message type's default capacity and policy
  // The C++ type behind message_type (typeid(void) when unknown): two types that share a name
  // are still different types.
  std::type_index message_cpp_type = typeid(void);
  // Outputs: makes a link of this port's message type (null when unknown).
  ChannelFactory make_channel = nullptr;

  friend bool operator==(const PortInfo&, const PortInfo&) = default;
};

// The port called `name` in `ports`, or null.
const PortInfo* find_port(const std::vector<PortInfo>& ports, std::string_view name);

// Whether an output of message type `from` may feed an input of message type `to` (by name).
bool message_types_compatible(std::string_view from, std::string_view to);
// Whether output port `from` may feed input port `to`: compatible names and, when both C++
// types are known, the same C++ type. The error says why not.
Result<void> check_message_types(const PortInfo& from, const PortInfo& to);

// A processor type's ports. Immutable and shared by every node of that type (the registry
// makes one per type), which keeps nodes small and makes comparing two nodes' ports a pointer
// comparison in the common case.
struct ProcessorPorts {
  std::vector<PortInfo> inputs;
  std::vector<PortInfo> outputs;
  friend bool operator==(const ProcessorPorts&, const ProcessorPorts&) = default;
};

struct ProcessorNode {
  ProcessorId id;
  std::string type;
  nlohmann::json config = nlohmann::json::object();  // canonical: every field present
  std::uint64_t config_checksum = 0;                 // checksum of `config`, see config_checksum()
  std::shared_ptr<const ProcessorPorts> ports;       // null: no ports
  // What this processor must have to itself ("file:/abs/out.mp4"; later devices and ports),
  // from its config's optional exclusive_resources() (see ProcessorDescriptor::canonicalize).
  // The Graph refuses a second node claiming one. Derived from `config`, so not compared.
  std::vector<std::string> exclusive_resources;

  const std::vector<PortInfo>& inputs() const;
  const std::vector<PortInfo>& outputs() const;
  const PortInfo* find_input(std::string_view name) const { return find_port(inputs(), name); }
  const PortInfo* find_output(std::string_view name) const { return find_port(outputs(), name); }

  friend bool operator==(const ProcessorNode& a, const ProcessorNode& b);
};

// Same ports (the same shared object, or equal contents).
bool same_ports(const ProcessorNode& a, const ProcessorNode& b);

// Stable 64-bit checksum of a JSON value: FNV-1a over its canonical text (object keys
// sorted, shortest round-trip numbers). Same value, same checksum, on every run and machine.
std::uint64_t config_checksum(const nlohmann::json& config);

}  // namespace streamlib
