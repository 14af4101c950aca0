// Strong identifier types for processors and links.
//
// Ids are strings on the wire (graph files, events, the CLI) but distinct types in code, so a
// LinkId can never be passed where a ProcessorId is expected (JUCE's NodeID habit).
//
//   ProcessorId src{"camera_0"};
//   LinkId link{"camera_0.video->display_0.video"};
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace streamlib {

template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}
  explicit StrongId(std::string_view value) : value_(value) {}
  explicit StrongId(const char* value) : value_(value) {}

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const StrongId&, const StrongId&) = default;
  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.value_; }

 private:
  std::string value_;
};

struct ProcessorIdTag {};
struct LinkIdTag {};

// Identifies a processor in a graph, e.g. "video_test_source_0".
using ProcessorId = StrongId<ProcessorIdTag>;
// Identifies a link in a graph. Defaults to "<from>-><to>", e.g. "src.video->rec.video".
using LinkId = StrongId<LinkIdTag>;

}  // namespace streamlib

template <class Tag>
struct std::hash<streamlib::StrongId<Tag>> {
  std::size_t operator()(const streamlib::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};

template <class Tag>
struct fmt::formatter<streamlib::StrongId<Tag>> : fmt::formatter<std::string_view> {
  auto format(const streamlib::StrongId<Tag>& id, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(id.str(), ctx);
  }
};
