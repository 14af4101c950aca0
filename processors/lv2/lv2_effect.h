// Lv2Effect: any installed LV2 audio plugin as a processor (the `lv2` component, streamlib::lv2).
//
//   {"id": "verb", "type": "Lv2Effect",
//    "config": {"plugin": "http://drobilla.net/plugins/mda/Ambience",
//               "controls": {"size": 0.8, "mix": 0.4}}}
//
// `plugin` is the plugin's URI; an unknown URI is an error at setup that names the closest
// installed ones ("did you mean ..."). `controls` maps control-port symbols to values: the
// ports a plugin has are only known at run time, so they are one JSON object rather than
// fields of their own. A symbol the plugin does not have is an error naming it (with close
// matches); values are clamped to the port's range as the plugin declares it; a control left
// out keeps the plugin's default. Changing `controls` live applies between two blocks, without
// a click from a rebuild; changing `plugin` rebuilds the processor in place.
//
// Audio: `in` -> `out`, any channel count (a mono plugin runs once per channel, see
// lv2::Effect for the mapping) at the input's rate: the plugin is instantiated at the first
// frame and again when the channel count or rate changes. The output keeps the input's timing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "lv2_host/effect.h"
#include "lv2_host/world.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct Lv2EffectConfig {
  std::string plugin;                     // the plugin URI
  std::map<std::string, float> controls;  // control-port symbol -> value
  std::uint32_t max_block = 512;          // frames per plugin run (longer frames are split)
  Result<void> validate() const { return check_range<std::uint32_t>("max_block", max_block, 16, 1u << 16); }
};
STREAMLIB_CONFIG(Lv2EffectConfig, plugin, controls, max_block);
STREAMLIB_CONFIG_DOCS(Lv2EffectConfig, {"plugin", "URI of an installed LV2 plugin", "", ConfigReload::kRestart},
                      {"controls",
                       "Control-port symbol -> value, clamped to the port's range; a control left out: its default", "",
                       ConfigReload::kLive},
                      {"max_block", "Frames per plugin run (longer frames are split)", "[16, 65536]",
                       ConfigReload::kRestart});

class Lv2Effect : public Processor<Lv2EffectConfig> {
 public:
  STREAMLIB_PROCESSOR(Lv2Effect, "Runs an installed LV2 plugin on audio", Reactive{});
  LinkInput<AudioFrame> in{this, "in", "audio"};
  LinkOutput<AudioFrame> out{this, "out", "audio through the plugin"};

  // Looks the plugin up and checks the controls (errors name the URI or symbol).
  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  // New controls apply live; another plugin or max_block gives kUnsupported (a rebuild).
  Result<void> on_config_change(const Lv2EffectConfig& next) override;
  void teardown() override;
  // {"latency_frames": n, "instances": n}
  nlohmann::json metrics() const override;

  // The plugin's description (after setup()).
  const lv2::PluginInfo& plugin_info() const { return info_; }
  // The value the plugin runs with for a control (after the first frame).
  Result<float> control(std::string_view symbol) const;

 private:
  Result<void> check_controls(const Lv2EffectConfig& config) const;
  Result<void> make_effect(int channels, int sample_rate);

  lv2::PluginInfo info_;
  std::unique_ptr<lv2::Effect> effect_;
  AudioFramePool pool_;
  std::atomic<std::uint32_t> latency_{0};
  std::atomic<std::uint32_t> instances_{0};
};

}  // namespace streamlib
