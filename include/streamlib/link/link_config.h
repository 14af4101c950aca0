// How a link buffers: capacity, what happens when it is full, and how its reader reads.
//
//   rt.update_link_config(link, {.capacity = 8, .policy = LinkPolicy::kDropOldest});
//
// Every field is optional. A field left unset keeps its current value when updating a link,
// and takes the message type's default when creating one (capacity: video 3, audio 32,
// data 16; policy: video drop_oldest, audio and data block). A Link stored in a Graph always
// has every field set.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "streamlib/config.h"
#include "streamlib/result.h"

namespace streamlib {

// What a full link does with the next message.
enum class LinkPolicy {
  kDropNewest,  // discard the message being pushed
  kDropOldest,  // discard the oldest queued message to make room
  kBlock,       // the producer waits for room, up to block_timeout, then drops the newest
};
STREAMLIB_ENUM_NAMES(LinkPolicy, {LinkPolicy::kDropNewest, "drop_newest"}, {LinkPolicy::kDropOldest, "drop_oldest"},
                     {LinkPolicy::kBlock, "block"});

// How the reader takes messages off a link.
enum class ReadMode {
  kSequential,  // every message, in order
  kLatest,      // skip to the newest queued message (skipped ones count as dropped)
};
STREAMLIB_ENUM_NAMES(ReadMode, {ReadMode::kSequential, "sequential"}, {ReadMode::kLatest, "latest"});

inline constexpr std::chrono::milliseconds kDefaultBlockTimeout{500};
inline constexpr std::uint32_t kMaxLinkCapacity = 1u << 20;

struct LinkConfig {
  std::optional<std::uint32_t> capacity;
  std::optional<LinkPolicy> policy;
  std::optional<ReadMode> read_mode;
  std::optional<std::chrono::milliseconds> block_timeout;

  // Fields set here win; unset ones come from `base`.
  LinkConfig merged_over(const LinkConfig& base) const;
  // True when every field is set.
  bool complete() const;
  // Checks ranges: capacity in [1, kMaxLinkCapacity], block_timeout >= 0.
  Result<void> validate() const;

  // {"capacity": 3, "policy": "drop_oldest", "read_mode": "sequential", "block_timeout_ms": 500}
  // Only set fields are written.
  nlohmann::json to_json() const;
  // Parses the link fields of `json` (other keys are left to the caller, listed in
  // `extra_keys`); unknown keys are errors, located at `path`.
  static Result<LinkConfig> from_json(const nlohmann::json& json, std::string_view path,
                                      std::initializer_list<std::string_view> extra_keys = {});

  friend bool operator==(const LinkConfig&, const LinkConfig&) = default;
};

// "capacity 3, drop_oldest, sequential" (unset fields are left out).
std::string to_string(const LinkConfig& config);

}  // namespace streamlib
