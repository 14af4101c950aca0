// Shared by the LV2 host tests: plugin URIs and the probe bundle.
#pragma once

#include <mutex>

#include "lv2_host/world.h"

namespace streamlib::lv2::testing {

inline constexpr const char* kEgAmp = "http://lv2plug.in/plugins/eg-amp";
inline constexpr const char* kEgSampler = "http://lv2plug.in/plugins/eg-sampler";
inline constexpr const char* kMdaAmbience = "http://drobilla.net/plugins/mda/Ambience";
// The non-interpolating delay line: its echo lands exactly delay_time * rate samples later
// (delay_l, the linear-interpolating one, lands one sample later than that).
inline constexpr const char* kSwhDelay = "http://plugin.org.uk/swh-plugins/delay_n";
inline constexpr const char* kProbe = "http://streamlib.dev/test/probe";
inline constexpr const char* kProbeFixed = "http://streamlib.dev/test/probe-fixed";
inline constexpr const char* kProbeWeird = "http://streamlib.dev/test/probe-weird";

// Adds the probe bundle (built next to the tests) to the world, once.
inline void load_probe_bundle() {
  static std::once_flag once;
  std::call_once(once, [] { World::get().load_bundle(STREAMLIB_LV2_PROBE_BUNDLE).value(); });
}

}  // namespace streamlib::lv2::testing
