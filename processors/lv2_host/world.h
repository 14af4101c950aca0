// The process-wide LV2 world: which plugins are installed and what each one looks like.
//
//   lv2::World& world = lv2::World::get();                 // loads every bundle, once
//   for (const lv2::PluginSummary& p : world.plugins()) fmt::print("{} {}\n", p.uri, p.name);
//   Result<lv2::PluginInfo> amp = world.describe("http://lv2plug.in/plugins/eg-amp");
//   // an unknown URI: "no LV2 plugin 'http://lv2plug.in/plugins/eg-amq' is installed;
//   //                  did you mean http://lv2plug.in/plugins/eg-amp?"
//
// Threads: every member may be called from any thread. lilv itself is not thread-safe, so the
// world serialises everything that touches it (lookup, description, instantiation, freeing an
// instance) behind one mutex; none of that is on the audio path. Descriptions are returned as
// plain values that do not refer back to lilv.
//
// The world is made on first use from LV2_PATH (lilv's default: ~/.lv2, /usr/local/lib/lv2,
// /usr/lib/lv2) and lives until the process ends; load_bundle() adds one more bundle
// directory (tests, plugins shipped with an application).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "streamlib/result.h"

namespace streamlib::lv2 {

enum class PortType {
  kAudio,    // lv2:AudioPort: a block of float samples
  kControl,  // lv2:ControlPort: one float per run
  kCv,       // lv2:CVPort: audio-rate control signal (inputs are fed silence)
  kAtom,     // atom:AtomPort (MIDI, patch messages): inputs get an empty sequence
  kUnknown,  // any other port type: connectable only if lv2:connectionOptional
};
enum class PortDirection { kInput, kOutput };

std::string_view to_string(PortType type);
std::string_view to_string(PortDirection direction);

struct ScalePoint {
  float value = 0.0f;
  std::string label;
};

struct PortInfo {
  std::uint32_t index = 0;
  std::string symbol;
  std::string name;
  PortType type = PortType::kUnknown;
  PortDirection direction = PortDirection::kInput;
  bool optional = false;  // lv2:connectionOptional

  // Control ports. Ranges as the plugin declares them; with sample_rate_relative (lv2:sampleRate)
  // they are fractions of the sample rate and an Instance scales them. Missing bounds are
  // reported as has_minimum/has_maximum false (and the value fields hold -inf/+inf).
  float minimum = 0.0f;
  float maximum = 0.0f;
  float default_value = 0.0f;  // the declared default, else the minimum (clamped), else 0
  bool has_minimum = false;
  bool has_maximum = false;
  bool has_default = false;
  bool integer = false;
  bool toggled = false;
  bool enumeration = false;
  bool logarithmic = false;
  bool sample_rate_relative = false;
  bool reports_latency = false;
  std::vector<ScalePoint> scale_points;  // sorted by value

  // Atom ports.
  bool supports_midi = false;
  std::size_t minimum_buffer_size = 0;  // rsz:minimumSize, 0 if not declared

  // The port's rdf:type URIs (what made it kUnknown, for error messages).
  std::vector<std::string> classes;
};

struct PluginInfo {
  std::string uri;
  std::string name;
  std::string class_label;      // "Amplifier Plugin", "Delay Plugin", ...
  std::vector<PortInfo> ports;  // by index
  std::vector<std::string> required_features;
  std::vector<std::string> optional_features;
  // Required features this host does not provide (empty: instantiable as far as features go).
  std::vector<std::string> missing_features;
  // Symbols of required ports the host cannot connect (see PortType::kUnknown).
  std::vector<std::string> unconnectable_ports;
  bool in_place_broken = false;            // lv2:inPlaceBroken: inputs and outputs must differ
  bool requires_fixed_block = false;       // buf-size:fixedBlockLength
  bool requires_power_of_2_block = false;  // buf-size:powerOf2BlockLength

  // The ports of one type and direction, in index order.
  std::vector<const PortInfo*> ports_of(PortType type, PortDirection direction) const;
  std::size_t count(PortType type, PortDirection direction) const;
  std::size_t audio_inputs() const { return count(PortType::kAudio, PortDirection::kInput); }
  std::size_t audio_outputs() const { return count(PortType::kAudio, PortDirection::kOutput); }
  // nullptr when no port has this symbol.
  const PortInfo* port(std::string_view symbol) const;
  // Ok if the host can instantiate and connect the plugin; else an error naming the missing
  // feature URIs or the ports it cannot connect.
  Result<void> check_supported() const;
};

// One line of `streamlib lv2 list`.
struct PluginSummary {
  std::string uri;
  std::string name;
  std::string class_label;
  std::size_t audio_inputs = 0;
  std::size_t audio_outputs = 0;
  std::size_t control_inputs = 0;
  std::size_t control_outputs = 0;
  bool supported = true;
  std::string unsupported_reason;  // set when !supported
};

// The features this host gives plugins. fixedBlockLength and powerOf2BlockLength are given to
// the plugins that require them, which are then run in fixed blocks (see Instance).
std::vector<std::string_view> provided_features();

// Up to `max_results` of `candidates` that look like `query`, best first: a candidate that
// contains the query (or the query's last path segment) or is contained in it, else one within
// a small edit distance (Levenshtein, case-insensitive, scaled to the length). Used for "did you
// mean" in errors; exposed for tests.
struct MatchCandidate {
  std::string key;    // what is suggested (a URI)
  std::string alias;  // also compared (a name); may be empty
};
std::vector<std::string> closest_matches(std::string_view query, const std::vector<MatchCandidate>& candidates,
                                         std::size_t max_results = 3);

class World {
 public:
  // The world, loaded on first call (thread-safe).
  static World& get();

  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Every installed plugin, sorted by URI.
  std::vector<PluginSummary> plugins() const;
  // The description of one plugin; kNotFound with close matches when none has this URI.
  Result<PluginInfo> describe(std::string_view uri) const;
  // Adds the bundle directory `dir` (holding manifest.ttl) to the world.
  Result<void> load_bundle(const std::string& dir);

  // The URID map shared by every instance (thread-safe; ids are stable for the process).
  std::uint32_t map_uri(std::string_view uri);
  // Empty when the id was never handed out.
  std::string unmap_uri(std::uint32_t id) const;

  struct Impl;
  Impl& impl() const { return *impl_; }  // for Instance

 private:
  World();
  ~World();
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamlib::lv2
