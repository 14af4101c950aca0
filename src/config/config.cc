#include "streamlib/config.h"

namespace streamlib {

std::string_view to_string(ConfigReload reload) {
  switch (reload) {
    case ConfigReload::kUnknown:
      return "unknown";
    case ConfigReload::kLive:
      return "live";
    case ConfigReload::kRestart:
      return "restart";
    case ConfigReload::kRefused:
      return "refused";
  }
  return "unknown";
}

nlohmann::json ConfigSchema::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    nlohmann::json field{{"name", f.name}, {"type", f.type}, {"default", f.default_value}};
    if (!f.description.empty()) field["description"] = f.description;
    if (!f.range.empty()) field["range"] = f.range;
    if (f.reload != ConfigReload::kUnknown) field["reload"] = std::string(to_string(f.reload));
    out.push_back(std::move(field));
  }
  return out;
}

namespace internal {

std::string join_path(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  std::string out(path);
  out += '.';
  out += field;
  return out;
}

std::string join_index(std::string_view path, std::size_t index) { return fmt::format("{}[{}]", path, index); }

}  // namespace internal
}  // namespace streamlib
