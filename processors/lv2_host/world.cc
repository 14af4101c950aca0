#include "lv2_host/world.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/port-props/port-props.h>
#include <lv2/resize-port/resize-port.h>
#include <lv2/urid/urid.h>

#include "lv2_host/internal/world_impl.h"
#include "streamlib/suggest.h"

namespace streamlib::lv2 {

std::string_view to_string(PortType type) {
  switch (type) {
    case PortType::kAudio:
      return "audio";
    case PortType::kControl:
      return "control";
    case PortType::kCv:
      return "cv";
    case PortType::kAtom:
      return "atom";
    case PortType::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view to_string(PortDirection direction) { return direction == PortDirection::kInput ? "input" : "output"; }

std::vector<std::string_view> provided_features() {
  return {LV2_URID__map,
          LV2_URID__unmap,
          LV2_OPTIONS__options,
          LV2_BUF_SIZE__boundedBlockLength,
          LV2_BUF_SIZE__fixedBlockLength,
          LV2_BUF_SIZE__powerOf2BlockLength,
          LV2_LOG__log,
          LV2_CORE__hardRTCapable,
          LV2_CORE__inPlaceBroken,
          LV2_CORE__isLive};
}

// ---------------------------------------------------------------------------------------------
// PluginInfo

std::vector<const PortInfo*> PluginInfo::ports_of(PortType type, PortDirection direction) const {
  std::vector<const PortInfo*> out;
  for (const PortInfo& p : ports) {
    if (p.type == type && p.direction == direction) out.push_back(&p);
  }
  return out;
}

std::size_t PluginInfo::count(PortType type, PortDirection direction) const {
  return static_cast<std::size_t>(std::count_if(
      ports.begin(), ports.end(), [&](const PortInfo& p) { return p.type == type && p.direction == direction; }));
}

const PortInfo* PluginInfo::port(std::string_view symbol) const {
  for (const PortInfo& p : ports) {
    if (p.symbol == symbol) return &p;
  }
  return nullptr;
}

Result<void> PluginInfo::check_supported() const {
  if (!missing_features.empty()) {
    return make_error(ErrorCode::kUnsupported, "LV2 plugin {} requires {} {} that StreamLib does not provide", uri,
                      missing_features.size() == 1 ? "feature" : "features", fmt::join(missing_features, ", "));
  }
  if (!unconnectable_ports.empty()) {
    std::vector<std::string> described;
    for (const std::string& symbol : unconnectable_ports) {
      const PortInfo* p = port(symbol);
      std::string classes = p != nullptr && !p->classes.empty() ? fmt::format("{}", fmt::join(p->classes, " ")) : "";
      described.push_back(fmt::format("'{}' ({})", symbol, classes.empty() ? "no type" : classes));
    }
    return make_error(ErrorCode::kUnsupported, "LV2 plugin {} has required {} StreamLib cannot connect: {}", uri,
                      described.size() == 1 ? "port" : "ports", fmt::join(described, ", "));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Close matches

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "http://lv2plug.in/plugins/eg-amp" -> "eg-amp"; "...#Stereo" -> "Stereo".
std::string_view last_segment(std::string_view s) {
  while (!s.empty() && (s.back() == '/' || s.back() == '#')) s.remove_suffix(1);
  const std::size_t at = s.find_last_of("/#:");
  return at == std::string_view::npos ? s : s.substr(at + 1);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::vector<std::string> closest_matches(std::string_view query, const std::vector<MatchCandidate>& candidates,
                                         std::size_t max_results) {
  const std::string q = lower(query);
  const std::string_view q_seg = last_segment(q);
  struct Scored {
    std::size_t distance;
    const std::string* key;
  };
  std::vector<Scored> admitted;
  for (const MatchCandidate& c : candidates) {
    const std::string k = lower(c.key);
    const std::string a = lower(c.alias);
    const std::string_view k_seg = last_segment(k);
    std::size_t d = std::min(edit_distance(q, k), edit_distance(q_seg, k_seg));
    if (!a.empty()) d = std::min(d, edit_distance(q, a));
    const std::size_t threshold = std::max<std::size_t>(2, q_seg.size() / 3);
    const bool related = (q.size() >= 3 && (contains(k, q) || contains(a, q))) ||
                         (q_seg.size() >= 3 && contains(k_seg, q_seg)) || (k_seg.size() >= 4 && contains(q_seg, k_seg));
    if (d <= threshold || related) admitted.push_back({d, &c.key});
  }
  std::sort(admitted.begin(), admitted.end(), [](const Scored& x, const Scored& y) {
    return x.distance != y.distance ? x.distance < y.distance : *x.key < *y.key;
  });
  std::vector<std::string> out;
  for (const Scored& s : admitted) {
    if (out.size() == max_results || s.distance > admitted.front().distance + 2) break;
    out.push_back(*s.key);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// World::Impl

World::Impl::Impl() : world(lilv_world_new()) {
  lilv_world_load_all(world);
  auto uri = [&](const char* u) { return lilv_new_uri(world, u); };
  audio_port = uri(LV2_CORE__AudioPort);
  control_port = uri(LV2_CORE__ControlPort);
  cv_port = uri(LV2_CORE__CVPort);
  atom_port = uri(LV2_ATOM__AtomPort);
  input_port = uri(LV2_CORE__InputPort);
  output_port = uri(LV2_CORE__OutputPort);
  connection_optional = uri(LV2_CORE__connectionOptional);
  integer = uri(LV2_CORE__integer);
  toggled = uri(LV2_CORE__toggled);
  enumeration = uri(LV2_CORE__enumeration);
  logarithmic = uri(LV2_PORT_PROPS__logarithmic);
  sample_rate = uri(LV2_CORE__sampleRate);
  reports_latency = uri(LV2_CORE__reportsLatency);
  in_place_broken = uri(LV2_CORE__inPlaceBroken);
  midi_event = uri(LV2_MIDI__MidiEvent);
  minimum_size = uri(LV2_RESIZE_PORT__minimumSize);
}

World::Impl::~Impl() {
  for (LilvNode* n :
       {audio_port, control_port, cv_port, atom_port, input_port, output_port, connection_optional, integer, toggled,
        enumeration, logarithmic, sample_rate, reports_latency, in_place_broken, midi_event, minimum_size}) {
    lilv_node_free(n);
  }
  lilv_world_free(world);
}

const LilvPlugin* World::Impl::find_locked(std::string_view uri) const {
  // Not a URI (a plugin name, a typo without a scheme): lilv would complain on stderr.
  if (uri.find(':') == std::string_view::npos) return nullptr;
  const std::string text(uri);
  LilvNode* node = lilv_new_uri(world, text.c_str());
  if (node == nullptr) return nullptr;
  const LilvPlugin* plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), node);
  lilv_node_free(node);
  return plugin;
}

Error World::Impl::not_found_locked(std::string_view uri) const {
  const LilvPlugins* all = lilv_world_get_all_plugins(world);
  std::vector<MatchCandidate> candidates;
  LILV_FOREACH(plugins, it, all) {
    const LilvPlugin* p = lilv_plugins_get(all, it);
    MatchCandidate c;
    c.key = lilv_node_as_uri(lilv_plugin_get_uri(p));
    if (LilvNode* name = lilv_plugin_get_name(p)) {
      c.alias = lilv_node_as_string(name);
      lilv_node_free(name);
    }
    candidates.push_back(std::move(c));
  }
  const std::vector<std::string> matches = closest_matches(uri, candidates);
  std::string message = fmt::format("no LV2 plugin '{}' is installed", uri);
  if (matches.empty()) {
    message += fmt::format(" ({} plugins are; `lv2ls` lists them)", candidates.size());
  } else if (matches.size() == 1) {
    message += fmt::format("; did you mean {}?", matches[0]);
  } else {
    const std::vector<std::string> head(matches.begin(), matches.end() - 1);
    message += fmt::format("; did you mean {} or {}?", fmt::join(head, ", "), matches.back());
  }
  return Error(ErrorCode::kNotFound, std::move(message));
}

namespace {

std::vector<std::string> node_strings(LilvNodes* nodes) {
  std::vector<std::string> out;
  if (nodes == nullptr) return out;
  LILV_FOREACH(nodes, it, nodes) {
    const LilvNode* n = lilv_nodes_get(nodes, it);
    out.emplace_back(lilv_node_is_uri(n) ? lilv_node_as_uri(n) : lilv_node_as_string(n));
  }
  lilv_nodes_free(nodes);
  return out;
}

bool is_number(const LilvNode* n) { return n != nullptr && (lilv_node_is_float(n) || lilv_node_is_int(n)); }

}  // namespace

PluginInfo World::Impl::describe_locked(const LilvPlugin* plugin) const {
  PluginInfo info;
  info.uri = lilv_node_as_uri(lilv_plugin_get_uri(plugin));
  if (LilvNode* name = lilv_plugin_get_name(plugin)) {
    info.name = lilv_node_as_string(name);
    lilv_node_free(name);
  }
  if (const LilvPluginClass* cls = lilv_plugin_get_class(plugin)) {
    if (const LilvNode* label = lilv_plugin_class_get_label(cls)) info.class_label = lilv_node_as_string(label);
  }

  const std::uint32_t n_ports = lilv_plugin_get_num_ports(plugin);
  for (std::uint32_t i = 0; i < n_ports; ++i) {
    const LilvPort* port = lilv_plugin_get_port_by_index(plugin, i);
    PortInfo p;
    p.index = i;
    p.symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
    if (LilvNode* name = lilv_port_get_name(plugin, port)) {
      p.name = lilv_node_as_string(name);
      lilv_node_free(name);
    } else {
      p.name = p.symbol;
    }
    const bool is_input = lilv_port_is_a(plugin, port, input_port);
    const bool is_output = lilv_port_is_a(plugin, port, output_port);
    p.direction = is_output ? PortDirection::kOutput : PortDirection::kInput;
    if (lilv_port_is_a(plugin, port, audio_port)) {
      p.type = PortType::kAudio;
    } else if (lilv_port_is_a(plugin, port, control_port)) {
      p.type = PortType::kControl;
    } else if (lilv_port_is_a(plugin, port, cv_port)) {
      p.type = PortType::kCv;
    } else if (lilv_port_is_a(plugin, port, atom_port)) {
      p.type = PortType::kAtom;
    }
    if (const LilvNodes* classes = lilv_port_get_classes(plugin, port)) {
      LILV_FOREACH(nodes, it, classes) { p.classes.emplace_back(lilv_node_as_uri(lilv_nodes_get(classes, it))); }
    }
    p.optional = lilv_port_has_property(plugin, port, connection_optional);

    if (p.type == PortType::kControl) {
      LilvNode* def = nullptr;
      LilvNode* min = nullptr;
      LilvNode* max = nullptr;
      lilv_port_get_range(plugin, port, &def, &min, &max);
      p.has_minimum = is_number(min);
      p.has_maximum = is_number(max);
      p.has_default = is_number(def);
      p.minimum = p.has_minimum ? lilv_node_as_float(min) : -std::numeric_limits<float>::infinity();
      p.maximum = p.has_maximum ? lilv_node_as_float(max) : std::numeric_limits<float>::infinity();
      p.default_value = p.has_default ? lilv_node_as_float(def) : (p.has_minimum ? p.minimum : 0.0f);
      if (p.has_minimum && p.has_maximum && p.minimum <= p.maximum) {
        p.default_value = std::clamp(p.default_value, p.minimum, p.maximum);
      }
      lilv_node_free(def);
      lilv_node_free(min);
      lilv_node_free(max);
      p.integer = lilv_port_has_property(plugin, port, integer);
      p.toggled = lilv_port_has_property(plugin, port, toggled);
      p.enumeration = lilv_port_has_property(plugin, port, enumeration);
      p.logarithmic = lilv_port_has_property(plugin, port, logarithmic);
      p.sample_rate_relative = lilv_port_has_property(plugin, port, sample_rate);
      p.reports_latency = lilv_port_has_property(plugin, port, reports_latency);
      if (LilvScalePoints* points = lilv_port_get_scale_points(plugin, port)) {
        LILV_FOREACH(scale_points, it, points) {
          const LilvScalePoint* sp = lilv_scale_points_get(points, it);
          const LilvNode* value = lilv_scale_point_get_value(sp);
          const LilvNode* label = lilv_scale_point_get_label(sp);
          if (!is_number(value)) continue;
          p.scale_points.push_back({lilv_node_as_float(value), label != nullptr ? lilv_node_as_string(label) : ""});
        }
        lilv_scale_points_free(points);
        std::sort(p.scale_points.begin(), p.scale_points.end(),
                  [](const ScalePoint& a, const ScalePoint& b) { return a.value < b.value; });
      }
    } else if (p.type == PortType::kAtom) {
      p.supports_midi = lilv_port_supports_event(plugin, port, midi_event);
      if (LilvNode* size = lilv_port_get(plugin, port, minimum_size)) {
        if (lilv_node_is_int(size) && lilv_node_as_int(size) > 0) {
          p.minimum_buffer_size = static_cast<std::size_t>(lilv_node_as_int(size));
        }
        lilv_node_free(size);
      }
    }
    const bool connectable = p.type != PortType::kUnknown && (is_input || is_output);
    if (!connectable && !p.optional) info.unconnectable_ports.push_back(p.symbol);
    info.ports.push_back(std::move(p));
  }

  info.required_features = node_strings(lilv_plugin_get_required_features(plugin));
  info.optional_features = node_strings(lilv_plugin_get_optional_features(plugin));
  const std::vector<std::string_view> provided = provided_features();
  for (const std::string& f : info.required_features) {
    if (std::find(provided.begin(), provided.end(), f) == provided.end()) info.missing_features.push_back(f);
    if (f == LV2_BUF_SIZE__fixedBlockLength) info.requires_fixed_block = true;
    if (f == LV2_BUF_SIZE__powerOf2BlockLength) info.requires_power_of_2_block = true;
  }
  info.in_place_broken = lilv_plugin_has_feature(plugin, in_place_broken);
  return info;
}

// ---------------------------------------------------------------------------------------------
// World

World::World() : impl_(std::make_unique<Impl>()) {}
World::~World() = default;

World& World::get() {
  // Never destroyed: instances may outlive static destruction order.
  static World* const world = new World();
  return *world;
}

std::vector<PluginSummary> World::plugins() const {
  std::vector<PluginSummary> out;
  {
    std::lock_guard lock(impl_->mu);
    const LilvPlugins* all = lilv_world_get_all_plugins(impl_->world);
    LILV_FOREACH(plugins, it, all) {
      const PluginInfo info = impl_->describe_locked(lilv_plugins_get(all, it));
      PluginSummary s;
      s.uri = info.uri;
      s.name = info.name;
      s.class_label = info.class_label;
      s.audio_inputs = info.audio_inputs();
      s.audio_outputs = info.audio_outputs();
      s.control_inputs = info.count(PortType::kControl, PortDirection::kInput);
      s.control_outputs = info.count(PortType::kControl, PortDirection::kOutput);
      if (auto ok = info.check_supported(); !ok) {
        s.supported = false;
        s.unsupported_reason = ok.error().message();
      }
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const PluginSummary& a, const PluginSummary& b) { return a.uri < b.uri; });
  return out;
}

Result<PluginInfo> World::describe(std::string_view uri) const {
  std::lock_guard lock(impl_->mu);
  const LilvPlugin* plugin = impl_->find_locked(uri);
  if (plugin == nullptr) return make_error(impl_->not_found_locked(uri));
  return impl_->describe_locked(plugin);
}

Result<void> World::load_bundle(const std::string& dir) {
  std::string path = dir;
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "LV2 bundle path is empty");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "manifest.ttl", ec)) {
    return make_error(ErrorCode::kNotFound, "{} is not an LV2 bundle (no manifest.ttl)", dir);
  }
  if (path.back() != '/') path += '/';
  std::lock_guard lock(impl_->mu);
  LilvNode* bundle = lilv_new_file_uri(impl_->world, nullptr, path.c_str());
  if (bundle == nullptr) return make_error(ErrorCode::kInvalidArgument, "bad LV2 bundle path '{}'", dir);
  lilv_world_load_bundle(impl_->world, bundle);
  lilv_node_free(bundle);
  return {};
}

std::uint32_t World::map_uri(std::string_view uri) { return impl_->urids.map(uri); }

std::string World::unmap_uri(std::uint32_t id) const {
  const char* uri = impl_->urids.unmap(id);
  return uri != nullptr ? std::string(uri) : std::string();
}

}  // namespace streamlib::lv2
