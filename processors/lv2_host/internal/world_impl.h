// Private: the lilv side of World, shared with Instance. Everything here that touches lilv is
// called with `mu` held.
#pragma once

#include <mutex>
#include <string_view>

#include <lilv/lilv.h>

#include "lv2_host/urid_map.h"
#include "lv2_host/world.h"

namespace streamlib::lv2 {

struct World::Impl {
  Impl();
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // With `mu` held: the plugin with this URI, or nullptr.
  const LilvPlugin* find_locked(std::string_view uri) const;
  // With `mu` held.
  PluginInfo describe_locked(const LilvPlugin* plugin) const;
  // With `mu` held: "no LV2 plugin ... did you mean ...".
  Error not_found_locked(std::string_view uri) const;

  mutable std::mutex mu;
  LilvWorld* world = nullptr;
  UridMap urids;

  // Interned nodes, made once.
  LilvNode* audio_port = nullptr;
  LilvNode* control_port = nullptr;
  LilvNode* cv_port = nullptr;
  LilvNode* atom_port = nullptr;
  LilvNode* input_port = nullptr;
  LilvNode* output_port = nullptr;
  LilvNode* connection_optional = nullptr;
  LilvNode* integer = nullptr;
  LilvNode* toggled = nullptr;
  LilvNode* enumeration = nullptr;
  LilvNode* logarithmic = nullptr;
  LilvNode* sample_rate = nullptr;
  LilvNode* reports_latency = nullptr;
  LilvNode* in_place_broken = nullptr;
  LilvNode* midi_event = nullptr;
  LilvNode* minimum_size = nullptr;
};

}  // namespace streamlib::lv2
