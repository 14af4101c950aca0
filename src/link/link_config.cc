#include "streamlib/link/link_config.h"

#include <vector>

#include "streamlib/suggest.h"

namespace streamlib {

LinkConfig LinkConfig::merged_over(const LinkConfig& base) const {
  LinkConfig out = base;
  if (capacity) out.capacity = capacity;
  if (policy) out.policy = policy;
  if (read_mode) out.read_mode = read_mode;
  if (block_timeout) out.block_timeout = block_timeout;
  return out;
}

bool LinkConfig::complete() const { return capacity && policy && read_mode && block_timeout; }

Result<void> LinkConfig::validate() const {
  if (capacity && (*capacity < 1 || *capacity > kMaxLinkCapacity)) {
    return make_error(ErrorCode::kInvalidArgument, "capacity {} is out of range [1, {}]", *capacity, kMaxLinkCapacity);
  }
  if (block_timeout && block_timeout->count() < 0) {
    return make_error(ErrorCode::kInvalidArgument, "block_timeout_ms {} must not be negative", block_timeout->count());
  }
  return {};
}

nlohmann::json LinkConfig::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  if (capacity) out["capacity"] = *capacity;
  if (policy) out["policy"] = std::string(enum_name(*policy));
  if (read_mode) out["read_mode"] = std::string(enum_name(*read_mode));
  if (block_timeout) out["block_timeout_ms"] = block_timeout->count();
  return out;
}

Result<LinkConfig> LinkConfig::from_json(const nlohmann::json& json, std::string_view path,
                                         std::initializer_list<std::string_view> extra_keys) {
  if (!json.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path, internal::json_type_name(json));
  }
  static constexpr std::string_view kKeys[] = {"capacity", "policy", "read_mode", "block_timeout_ms"};
  for (auto it = json.begin(); it != json.end(); ++it) {
    bool known = false;
    for (auto k : kKeys) known = known || it.key() == k;
    for (auto k : extra_keys) known = known || it.key() == k;
    if (!known) {
      std::vector<std::string_view> names(extra_keys.begin(), extra_keys.end());
      names.insert(names.end(), std::begin(kKeys), std::end(kKeys));
      return make_error(unknown_field_error(path, it.key(), names));
    }
  }
  LinkConfig out;
  if (auto it = json.find("capacity"); it != json.end()) {
    std::uint32_t c = 0;
    STREAMLIB_RETURN_IF_ERROR(
        internal::FieldCodec<std::uint32_t>::from_json(*it, internal::join_path(path, "capacity"), c));
    if (c < 1 || c > kMaxLinkCapacity) {
      return make_error(ErrorCode::kInvalidArgument, "{}.capacity: {} is out of range [1, {}]", path, c,
                        kMaxLinkCapacity);
    }
    out.capacity = c;
  }
  if (auto it = json.find("policy"); it != json.end()) {
    LinkPolicy p{};
    STREAMLIB_RETURN_IF_ERROR(internal::FieldCodec<LinkPolicy>::from_json(*it, internal::join_path(path, "policy"), p));
    out.policy = p;
  }
  if (auto it = json.find("read_mode"); it != json.end()) {
    ReadMode m{};
    STREAMLIB_RETURN_IF_ERROR(
        internal::FieldCodec<ReadMode>::from_json(*it, internal::join_path(path, "read_mode"), m));
    out.read_mode = m;
  }
  if (auto it = json.find("block_timeout_ms"); it != json.end()) {
    std::uint32_t ms = 0;
    STREAMLIB_RETURN_IF_ERROR(
        internal::FieldCodec<std::uint32_t>::from_json(*it, internal::join_path(path, "block_timeout_ms"), ms));
    out.block_timeout = std::chrono::milliseconds(ms);
  }
  return out;
}

std::string to_string(const LinkConfig& config) {
  std::vector<std::string> parts;
  if (config.capacity) parts.push_back(fmt::format("capacity {}", *config.capacity));
  if (config.policy) parts.emplace_back(enum_name(*config.policy));
  if (config.read_mode) parts.emplace_back(enum_name(*config.read_mode));
  if (config.block_timeout && config.policy == LinkPolicy::kBlock) {
    parts.push_back(fmt::format("timeout {}ms", config.block_timeout->count()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace streamlib
