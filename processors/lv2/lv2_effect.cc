#include "lv2/lv2_effect.h"

#include <string>
#include <vector>

#include <fmt/format.h>

namespace streamlib {

Result<void> Lv2Effect::setup(RuntimeContext&) {
  if (config().plugin.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "Lv2Effect: config.plugin is empty (give an LV2 plugin URI)");
  }
  auto info = lv2::World::get().describe(config().plugin);
  if (!info) return make_error(info.error().with_context("Lv2Effect: config.plugin"));
  if (auto ok = info->check_supported(); !ok) return make_error(ok.error().with_context("Lv2Effect"));
  if (info->audio_outputs() == 0) {
    return make_error(ErrorCode::kUnsupported, "Lv2Effect: plugin {} has no audio output", config().plugin);
  }
  info_ = std::move(*info);
  return check_controls(config());
}

Result<void> Lv2Effect::check_controls(const Lv2EffectConfig& config) const {
  const std::vector<const lv2::PortInfo*> inputs = info_.ports_of(lv2::PortType::kControl, lv2::PortDirection::kInput);
  for (const auto& [symbol, value] : config.controls) {
    bool found = false;
    for (const lv2::PortInfo* p : inputs) found = found || p->symbol == symbol;
    if (found) continue;
    std::vector<lv2::MatchCandidate> candidates;
    std::string all;
    for (const lv2::PortInfo* p : inputs) {
      candidates.push_back({p->symbol, p->name});
      all += all.empty() ? p->symbol : ", " + p->symbol;
    }
    const std::vector<std::string> close = lv2::closest_matches(symbol, candidates);
    std::string hint = close.empty() ? "" : fmt::format("did you mean {}? ", fmt::join(close, ", "));
    return make_error(ErrorCode::kInvalidArgument,
                      "Lv2Effect: config.controls.{}: plugin {} has no control '{}'; {}(controls: {})", symbol,
                      config.plugin, symbol, hint, all.empty() ? "none" : all);
  }
  return {};
}

Result<void> Lv2Effect::make_effect(int channels, int sample_rate) {
  effect_.reset();
  auto made = lv2::Effect::create(
      config().plugin,
      {.channels = channels, .sample_rate = static_cast<double>(sample_rate), .max_block = config().max_block});
  if (!made) return make_error(made.error().with_context("Lv2Effect"));
  for (const auto& [symbol, value] : config().controls) {
    if (auto r = (*made)->set_control(symbol, value); !r) {
      return make_error(r.error().with_context(fmt::format("Lv2Effect: config.controls.{}", symbol)));
    }
  }
  (*made)->activate();
  effect_ = std::move(*made);
  latency_.store(effect_->latency(), std::memory_order_relaxed);
  instances_.store(static_cast<std::uint32_t>(effect_->instance_count()), std::memory_order_relaxed);
  return {};
}

Result<void> Lv2Effect::process() {
  Result<void> status;
  in.drain([&](AudioFrame&& frame) {
    if (!status) return;
    if (!effect_ || effect_->channels() != frame.channels() ||
        effect_->sample_rate() != static_cast<double>(frame.sample_rate())) {
      status = make_effect(frame.channels(), frame.sample_rate());
      if (!status) return;
    }
    auto processed = effect_->process(frame, pool_);
    if (!processed) {
      status = make_error(processed.error().with_context("Lv2Effect: in"));
      return;
    }
    out.push(std::move(*processed));
  });
  return status;
}

Result<void> Lv2Effect::on_config_change(const Lv2EffectConfig& next) {
  if (next.plugin != config().plugin || next.max_block != config().max_block) {
    return make_error(ErrorCode::kUnsupported, "Lv2Effect: another plugin or max_block needs a rebuild");
  }
  STREAMLIB_RETURN_IF_ERROR(check_controls(next));
  if (!effect_) return {};  // applied when the plugin is instantiated
  for (const auto& [symbol, value] : next.controls) {
    if (auto r = effect_->set_control(symbol, value); !r) return make_error(r.error().with_context("Lv2Effect"));
  }
  // A control no longer given goes back to the plugin's default.
  for (const auto& [symbol, value] : config().controls) {
    if (next.controls.count(symbol)) continue;
    if (const lv2::PortInfo* port = effect_->info().port(symbol)) {
      if (auto r = effect_->set_control(symbol, port->default_value); !r) {
        return make_error(r.error().with_context("Lv2Effect"));
      }
    }
  }
  return {};
}

void Lv2Effect::teardown() {
  if (effect_) effect_->deactivate();
  effect_.reset();
}

Result<float> Lv2Effect::control(std::string_view symbol) const {
  if (!effect_) return make_error(ErrorCode::kFailedPrecondition, "Lv2Effect: no plugin instance yet");
  return effect_->control(symbol);
}

nlohmann::json Lv2Effect::metrics() const {
  return {{"latency_frames", latency_.load(std::memory_order_relaxed)},
          {"instances", instances_.load(std::memory_order_relaxed)}};
}

}  // namespace streamlib
