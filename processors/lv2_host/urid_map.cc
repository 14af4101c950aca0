#include "lv2_host/urid_map.h"

namespace streamlib::lv2 {

namespace {
LV2_URID map_callback(LV2_URID_Map_Handle handle, const char* uri) {
  if (uri == nullptr) return 0;
  return static_cast<UridMap*>(handle)->map(uri);
}
const char* unmap_callback(LV2_URID_Unmap_Handle handle, LV2_URID id) {
  return static_cast<const UridMap*>(handle)->unmap(id);
}
}  // namespace

UridMap::UridMap() {
  map_feature_.handle = this;
  map_feature_.map = &map_callback;
  unmap_feature_.handle = this;
  unmap_feature_.unmap = &unmap_callback;
}

LV2_URID UridMap::map(std::string_view uri) {
  std::lock_guard lock(mu_);
  if (auto it = ids_.find(uri); it != ids_.end()) return it->second;
  const std::string& stored = uris_.emplace_back(uri);
  const auto id = static_cast<LV2_URID>(uris_.size());
  ids_.emplace(stored, id);
  return id;
}

const char* UridMap::unmap(LV2_URID id) const {
  std::lock_guard lock(mu_);
  if (id == 0 || id > uris_.size()) return nullptr;
  return uris_[id - 1].c_str();
}

}  // namespace streamlib::lv2
