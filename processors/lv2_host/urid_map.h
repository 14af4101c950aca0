// A thread-safe URID map (urid:map / urid:unmap) shared by every plugin instance.
//
// Ids start at 1 and are stable for the life of the map; unmap() returns a string that stays
// valid as long as the map does. Plugins mostly map at instantiation; a plugin that maps in
// run() takes a short mutex (not lock-free, but bounded).
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <lv2/urid/urid.h>

namespace streamlib::lv2 {

class UridMap {
 public:
  UridMap();
  UridMap(const UridMap&) = delete;
  UridMap& operator=(const UridMap&) = delete;

  LV2_URID map(std::string_view uri);
  // nullptr for an id never handed out.
  const char* unmap(LV2_URID id) const;

  // The feature data plugins receive; valid as long as the map.
  LV2_URID_Map* map_feature() { return &map_feature_; }
  LV2_URID_Unmap* unmap_feature() { return &unmap_feature_; }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string_view, LV2_URID> ids_;  // views into uris_
  std::deque<std::string> uris_;                        // id - 1 -> URI; never moves
  LV2_URID_Map map_feature_{};
  LV2_URID_Unmap unmap_feature_{};
};

}  // namespace streamlib::lv2
