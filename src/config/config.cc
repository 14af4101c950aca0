#include "streamlib/config.h"

namespace streamlib {

nlohmann::json ConfigSchema::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    out.push_back({{"name", f.name}, {"type", f.type}, {"default", f.default_value}});
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
