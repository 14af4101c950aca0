// `streamlib plugins [URI] [--json]`: the installed LV2 plugins an Lv2Effect can host, or one
// plugin's audio ports and controls (what `controls` in an Lv2Effect's config takes), as lilv
// describes them. Built when the CLI has the lv2 component; `processors Lv2Effect --plugin URI`
// shows the same controls under the processor's own description.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lv2_host/world.h"

namespace streamlib::cli {

namespace {

std::string number(float v) { return fmt::format("{:g}", v); }

// "-90 .. 24", "0 .. +inf", or "-" for a port that declares no bounds.
std::string range_of(const lv2::PortInfo& p) {
  if (!p.has_minimum && !p.has_maximum) return "-";
  const std::string lo = p.has_minimum ? number(p.minimum) : "-inf";
  const std::string hi = p.has_maximum ? number(p.maximum) : "+inf";
  return fmt::format("{} .. {}{}", lo, hi, p.sample_rate_relative ? " x rate" : "");
}

// "toggle", "integer", "log", "enum: 0=off 1=on", joined with ", "; "-" if none.
std::string kind_of(const lv2::PortInfo& p) {
  std::vector<std::string> kinds;
  if (p.toggled) kinds.emplace_back("toggle");
  if (p.integer) kinds.emplace_back("integer");
  if (p.logarithmic) kinds.emplace_back("log");
  if (p.enumeration || !p.scale_points.empty()) {
    std::string points;
    for (const lv2::ScalePoint& s : p.scale_points) {
      points += fmt::format("{}{}={}", points.empty() ? "" : " ", number(s.value), s.label);
    }
    kinds.push_back(points.empty() ? "enum" : "values: " + points);
  }
  if (kinds.empty()) return "-";
  std::string out;
  for (const std::string& k : kinds) out += (out.empty() ? "" : ", ") + k;
  return out;
}

nlohmann::json control_json(const lv2::PortInfo& p) {
  nlohmann::json j{{"symbol", p.symbol}, {"name", p.name}, {"default", p.default_value}};
  if (p.has_minimum) j["minimum"] = p.minimum;
  if (p.has_maximum) j["maximum"] = p.maximum;
  if (p.integer) j["integer"] = true;
  if (p.toggled) j["toggled"] = true;
  if (p.logarithmic) j["logarithmic"] = true;
  if (p.sample_rate_relative) j["sample_rate_relative"] = true;
  if (!p.scale_points.empty()) {
    nlohmann::json points = nlohmann::json::array();
    for (const lv2::ScalePoint& s : p.scale_points) points.push_back({{"value", s.value}, {"label", s.label}});
    j["scale_points"] = std::move(points);
  }
  return j;
}

nlohmann::json summary_json(const lv2::PluginSummary& s) {
  nlohmann::json j{{"uri", s.uri},
                   {"name", s.name},
                   {"class", s.class_label},
                   {"audio_inputs", s.audio_inputs},
                   {"audio_outputs", s.audio_outputs},
                   {"control_inputs", s.control_inputs},
                   {"control_outputs", s.control_outputs},
                   {"supported", s.supported}};
  if (!s.supported) j["unsupported_reason"] = s.unsupported_reason;
  return j;
}

std::string format_list(const std::vector<lv2::PluginSummary>& plugins) {
  std::vector<std::vector<std::string>> rows{{"URI", "NAME", "CLASS", "AUDIO IN/OUT", "CONTROLS", "HOSTABLE"}};
  std::size_t hostable = 0;
  for (const lv2::PluginSummary& p : plugins) {
    if (p.supported) ++hostable;
    rows.push_back({p.uri, p.name, p.class_label.empty() ? "-" : p.class_label,
                    fmt::format("{}/{}", p.audio_inputs, p.audio_outputs), std::to_string(p.control_inputs),
                    p.supported ? "yes" : "no: " + p.unsupported_reason});
  }
  if (plugins.empty())
    return "no LV2 plugins installed (searched LV2_PATH, ~/.lv2, /usr/local/lib/lv2, /usr/lib/lv2)\n";
  return format_table(rows) + fmt::format(
                                  "\n{} plugins, {} hostable by Lv2Effect. Run 'streamlib plugins URI' for one "
                                  "plugin's controls.\n",
                                  plugins.size(), hostable);
}

}  // namespace

std::string format_plugin_controls(const lv2::PluginInfo& info) {
  std::string out =
      fmt::format("plugin: {} ({}{})\n", info.uri, info.name, info.class_label.empty() ? "" : ", " + info.class_label);
  out += fmt::format("audio: {} in, {} out", info.audio_inputs(), info.audio_outputs());
  if (info.audio_inputs() == 1 && info.audio_outputs() == 1) {
    out += " (mono: Lv2Effect runs one instance per channel)";
  }
  out += "\n";
  if (auto ok = info.check_supported(); !ok) out += fmt::format("NOT hostable: {}\n", ok.error().message());
  out += "\ncontrols (config field `controls`: symbol -> value, clamped to the range):\n";
  std::vector<std::vector<std::string>> rows{{"SYMBOL", "DEFAULT", "RANGE", "KIND", "NAME"}};
  for (const lv2::PortInfo* p : info.ports_of(lv2::PortType::kControl, lv2::PortDirection::kInput)) {
    rows.push_back({p->symbol, number(p->default_value), range_of(*p), kind_of(*p), p->name});
  }
  out += rows.size() == 1 ? "  none\n" : format_table(rows, "  ");
  const auto outputs = info.ports_of(lv2::PortType::kControl, lv2::PortDirection::kOutput);
  if (!outputs.empty()) {
    out += "\nreported by the plugin (read-only):\n";
    std::vector<std::vector<std::string>> reported{{"SYMBOL", "NAME"}};
    for (const lv2::PortInfo* p : outputs) reported.push_back({p->symbol, p->name});
    out += format_table(reported, "  ");
  }
  return out;
}

nlohmann::json plugin_controls_json(const lv2::PluginInfo& info) {
  nlohmann::json controls = nlohmann::json::array();
  for (const lv2::PortInfo* p : info.ports_of(lv2::PortType::kControl, lv2::PortDirection::kInput)) {
    controls.push_back(control_json(*p));
  }
  nlohmann::json j{{"uri", info.uri},
                   {"name", info.name},
                   {"class", info.class_label},
                   {"audio_inputs", info.audio_inputs()},
                   {"audio_outputs", info.audio_outputs()},
                   {"controls", std::move(controls)}};
  if (auto ok = info.check_supported(); !ok) j["unsupported_reason"] = ok.error().message();
  return j;
}

namespace {

struct PluginsArguments {
  std::optional<std::string> uri;
  bool json = false;
};

CliResult<void> run_plugins(const PluginsArguments& args) {
  const bool json = args.json;
  lv2::World& world = lv2::World::get();
  if (!args.uri) {
    const std::vector<lv2::PluginSummary> plugins = world.plugins();
    if (!json) return write_output("-", format_list(plugins));
    nlohmann::json all = nlohmann::json::array();
    for (const lv2::PluginSummary& p : plugins) all.push_back(summary_json(p));
    return write_output("-", all.dump(2) + "\n");
  }
  Result<lv2::PluginInfo> info = world.describe(*args.uri);
  if (!info) return library_error(info.error());
  return write_output("-", json ? plugin_controls_json(*info).dump(2) + "\n" : format_plugin_controls(*info));
}

Runner configure_plugins(CLI::App& app) {
  auto args = std::make_shared<PluginsArguments>();
  app.add_option_function<std::string>("URI", [args](const std::string& uri) { args->uri = uri; });
  app.add_flag("--json", args->json);
  return [args] { return run_plugins(*args); };
}

}  // namespace

const Command kPluginsCommand{
    "plugins",
    "[URI] [--json]",
    "list the installed LV2 plugins, or one plugin's controls",
    "Without URI, lists every installed LV2 plugin (LV2_PATH, ~/.lv2, /usr/local/lib/lv2,\n"
    "/usr/lib/lv2): URI, name, class, audio inputs/outputs, control inputs, and whether an\n"
    "Lv2Effect can host it (if not, which feature or port it lacks). With URI, shows that\n"
    "plugin's audio ports and its controls — symbol, default, range, kind — which are what\n"
    "an Lv2Effect's `controls` config takes. An unknown URI exits 2 and names close matches.\n"
    "--json prints the same as JSON.\n",
    configure_plugins,
};

}  // namespace streamlib::cli
