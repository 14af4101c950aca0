// `streamlib processors [NAME] [--json]`: the catalogue of processor types, or one type's
// ports and config schema, as the registry (ProcessorFactory) describes them.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "streamlib/registry.h"

namespace streamlib::cli {

namespace {

// "in (AnyFrame), control (DataFrame)" or "-".
std::string ports_summary(const std::vector<PortInfo>& ports) {
  if (ports.empty()) return "-";
  std::string out;
  for (const PortInfo& p : ports) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", p.name, p.message_type);
  return out;
}

std::string format_catalogue(const std::vector<const ProcessorDescriptor*>& types) {
  std::vector<std::vector<std::string>> rows{{"TYPE", "INPUTS", "OUTPUTS", "DESCRIPTION"}};
  for (const ProcessorDescriptor* d : types) {
    rows.push_back({d->type_name, ports_summary(d->inputs), ports_summary(d->outputs), d->description});
  }
  return format_table(rows) + "\nRun 'streamlib processors NAME' for a type's ports and config.\n";
}

std::string format_descriptor(const ProcessorDescriptor& d) {
  std::string out = fmt::format("{}: {}\nexecution: {}, priority {}\n", d.type_name, d.description,
                                to_string(d.execution.mode), enum_name(d.execution.priority));

  out += "\nports:\n";
  std::vector<std::vector<std::string>> ports{{"NAME", "DIRECTION", "MESSAGE", "DEFAULT LINK", "DESCRIPTION"}};
  for (const auto* list : {&d.inputs, &d.outputs}) {
    for (const PortInfo& p : *list) {
      ports.push_back(
          {p.name, std::string(enum_name(p.direction)), p.message_type, to_string(p.default_link), p.description});
    }
  }
  out += ports.size() == 1 ? "  none\n" : format_table(ports, "  ");

  out += "\nconfig:\n";
  // LIVE: how a change reaches the running processor (live: applied between two calls, no gap;
  // restart: the processor reopens what it holds; refused: not while running).
  std::vector<std::vector<std::string>> fields{{"FIELD", "TYPE", "DEFAULT", "RANGE", "LIVE", "DESCRIPTION"}};
  for (const ConfigFieldSchema& f : d.config_schema.fields) {
    fields.push_back({f.name, f.type, f.default_value.dump(), f.range.empty() ? "-" : f.range,
                      f.reload == ConfigReload::kUnknown ? "-" : std::string(to_string(f.reload)), f.description});
  }
  out += fields.size() == 1 ? "  none\n" : format_table(fields, "  ");
  return out;
}

struct ProcessorsArguments {
  std::optional<std::string> name;
  bool json = false;
  std::optional<std::string> plugin;
};

CliResult<void> run_processors(const ProcessorsArguments& args) {
  const bool json = args.json;
  const ProcessorFactory& factory = ProcessorFactory::global();

  if (!args.name) {
    const std::vector<const ProcessorDescriptor*> types = factory.list();
    if (!json) return write_output("-", format_catalogue(types));
    nlohmann::json all = nlohmann::json::array();
    for (const ProcessorDescriptor* d : types) all.push_back(d->to_json());
    return write_output("-", all.dump(2) + "\n");
  }

  Result<const ProcessorDescriptor*> d = factory.lookup(*args.name);
  if (!d) return library_error(d.error());
  const std::optional<std::string>& plugin = args.plugin;
  if (!plugin) return write_output("-", json ? (*d)->to_json().dump(2) + "\n" : format_descriptor(**d));
  // An Lv2Effect's controls are the plugin's: with --plugin, show them beside the schema.
  if ((*d)->type_name != "Lv2Effect") return usage_error("--plugin URI goes with NAME Lv2Effect");
#if STREAMLIB_CLI_LV2
  Result<lv2::PluginInfo> info = lv2::World::get().describe(*plugin);
  if (!info) return library_error(info.error());
  if (json) {
    nlohmann::json j = (*d)->to_json();
    j["plugin"] = plugin_controls_json(*info);
    return write_output("-", j.dump(2) + "\n");
  }
  return write_output("-", format_descriptor(**d) + "\n" + format_plugin_controls(*info));
#else
  return input_error("--plugin: this streamlib was built without the lv2 component");
#endif
}

Runner configure_processors(CLI::App& app) {
  auto args = std::make_shared<ProcessorsArguments>();
  app.add_option_function<std::string>("NAME", [args](const std::string& name) { args->name = name; });
  app.add_flag("--json", args->json);
  app.add_option_function<std::string>("--plugin", [args](const std::string& uri) { args->plugin = uri; });
  return [args] { return run_processors(*args); };
}

}  // namespace

const Command kProcessorsCommand{
    "processors",
    "[NAME] [--json] [--plugin URI]",
    "list processor types, or describe one",
    "Without NAME, lists every registered processor type with its input and output ports\n"
    "and a description. With NAME, shows that type's execution mode, its ports (name,\n"
    "direction, message type, default link config, description) and its config schema:\n"
    "each field's type, default, range, whether a live change applies while it runs (live),\n"
    "reopens its device or codec (restart) or is refused, and its description. --json\n"
    "prints the same as JSON. An unknown NAME exits 2 and lists the known types.\n"
    "With NAME Lv2Effect, --plugin URI also shows that plugin's controls (symbol, default,\n"
    "range), which are what the `controls` config field takes.\n",
    configure_processors,
};

}  // namespace streamlib::cli
