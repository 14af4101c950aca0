#include "lv2_host/instance.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/urid/urid.h>

#include "lv2_host/internal/world_impl.h"

namespace streamlib::lv2 {

namespace {
constexpr std::size_t kDefaultAtomBufferSize = 8192;

std::uint32_t round_up_power_of_2(std::uint32_t n) {
  std::uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

bool is_power_of_2(std::uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

LilvInstance* as_lilv(void* p) { return static_cast<LilvInstance*>(p); }
}  // namespace

struct Instance::Control {
  const PortInfo* port = nullptr;      // into info_.ports
  float value = 0.0f;                  // connected to the plugin; audio thread only
  std::atomic<float> staged{0.0f};     // inputs: written by set_control(), read by run()
  std::atomic<float> published{0.0f};  // outputs: written by run(), read anywhere
};

struct Instance::AtomBuffer {
  std::uint32_t index = 0;
  bool input = true;
  std::vector<std::uint64_t> storage;  // 8-byte aligned, as atoms need
  std::size_t bytes() const { return storage.size() * sizeof(std::uint64_t); }
  void* data() { return storage.data(); }
};

struct Instance::Features {
  std::int32_t min_block = 1;
  std::int32_t max_block = 0;
  std::int32_t nominal_block = 0;
  std::int32_t sequence_size = 0;
  float sample_rate = 0.0f;
  std::array<LV2_Options_Option, 6> options{};
  LV2_Log_Log log{};
  std::uint32_t urid_error = 0;
  std::uint32_t urid_warning = 0;
  std::uint32_t urid_note = 0;
  std::uint32_t urid_trace = 0;
  std::vector<LV2_Feature> features;
  std::vector<const LV2_Feature*> pointers;  // null-terminated
};

// C callbacks the plugin calls through log:log.
struct InstanceCallbacks {
  static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char* format, va_list args) {
    std::array<char, 1024> text{};
    const int n = std::vsnprintf(text.data(), text.size(), format, args);
    static_cast<Instance*>(handle)->log_message(type, text.data());
    return n;
  }
  static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char* format, ...) {
    va_list args;
    va_start(args, format);
    const int n = log_vprintf(handle, type, format, args);
    va_end(args);
    return n;
  }
};

void Instance::log_message(std::uint32_t type, const char* text) {
  std::string_view message(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.remove_suffix(1);
  LogLevel level = LogLevel::kNote;
  if (type == features_->urid_error) level = LogLevel::kError;
  if (type == features_->urid_warning) level = LogLevel::kWarning;
  if (type == features_->urid_trace) level = LogLevel::kTrace;
  if (log_) {
    log_(level, message);
  } else {
    std::fprintf(stderr, "lv2 %s: %.*s\n", info_.name.c_str(), static_cast<int>(message.size()), message.data());
  }
}

Result<std::unique_ptr<Instance>> Instance::create(std::string_view uri, const InstanceOptions& options) {
  std::unique_ptr<Instance> instance(new Instance());
  STREAMLIB_RETURN_IF_ERROR(instance->setup(uri, options));
  return instance;
}

Result<void> Instance::setup(std::string_view uri, const InstanceOptions& options) {
  if (!(options.sample_rate > 0.0) || !std::isfinite(options.sample_rate)) {
    return make_error(ErrorCode::kInvalidArgument, "sample rate must be positive, got {}", options.sample_rate);
  }
  if (options.max_block == 0 || options.max_block > (1U << 20)) {
    return make_error(ErrorCode::kInvalidArgument, "max block must be 1..1048576 frames, got {}", options.max_block);
  }
  World& world = World::get();
  World::Impl& w = world.impl();
  sample_rate_ = options.sample_rate;
  log_ = options.log;

  std::unique_lock lock(w.mu);
  const LilvPlugin* plugin = w.find_locked(uri);
  if (plugin == nullptr) return make_error(w.not_found_locked(uri));
  info_ = w.describe_locked(plugin);
  STREAMLIB_RETURN_IF_ERROR(info_.check_supported());

  max_block_ = options.max_block;
  if (info_.requires_fixed_block || info_.requires_power_of_2_block) {
    if (info_.requires_power_of_2_block) max_block_ = round_up_power_of_2(max_block_);
    fixed_block_ = max_block_;
  }

  // Ranges relative to the sample rate become absolute.
  for (PortInfo& p : info_.ports) {
    if (p.type != PortType::kControl || !p.sample_rate_relative) continue;
    const auto rate = static_cast<float>(sample_rate_);
    if (p.has_minimum) p.minimum *= rate;
    if (p.has_maximum) p.maximum *= rate;
    p.default_value *= rate;
    for (ScalePoint& sp : p.scale_points) sp.value *= rate;
  }

  // Ports and their memory.
  std::size_t sequence_size = kDefaultAtomBufferSize;
  for (const PortInfo& p : info_.ports) {
    if (p.type == PortType::kAtom) sequence_size = std::max(sequence_size, p.minimum_buffer_size);
  }
  for (const PortInfo& p : info_.ports) {
    switch (p.type) {
      case PortType::kAudio: {
        AudioPort a;
        a.index = p.index;
        a.own.assign(max_block_, 0.0f);
        a.connected = a.own.data();
        (p.direction == PortDirection::kInput ? audio_in_ : audio_out_).push_back(std::move(a));
        break;
      }
      case PortType::kControl: {
        auto c = std::make_unique<Control>();
        c->port = &p;
        c->value = p.default_value;
        c->staged.store(p.default_value);
        c->published.store(p.default_value);
        (p.direction == PortDirection::kInput ? control_inputs_ : control_outputs_).push_back(c.get());
        if (p.direction == PortDirection::kOutput && p.reports_latency) latency_port_ = c.get();
        controls_.push_back(std::move(c));
        break;
      }
      case PortType::kCv:
        cv_buffers_.emplace_back(max_block_, 0.0f);
        break;
      case PortType::kAtom: {
        auto a = std::make_unique<AtomBuffer>();
        a->index = p.index;
        a->input = p.direction == PortDirection::kInput;
        a->storage.assign((sequence_size + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t), 0);
        atoms_.push_back(std::move(a));
        break;
      }
      case PortType::kUnknown:
        break;  // optional (checked above): connected to nothing
    }
  }
  urid_sequence_ = w.urids.map(LV2_ATOM__Sequence);
  urid_chunk_ = w.urids.map(LV2_ATOM__Chunk);

  // Features.
  features_ = std::make_unique<Features>();
  Features& f = *features_;
  f.min_block = fixed_block_ ? static_cast<std::int32_t>(*fixed_block_) : 1;
  f.max_block = static_cast<std::int32_t>(max_block_);
  f.nominal_block = static_cast<std::int32_t>(max_block_);
  f.sequence_size = static_cast<std::int32_t>(sequence_size);
  f.sample_rate = static_cast<float>(sample_rate_);
  const LV2_URID atom_int = w.urids.map(LV2_ATOM__Int);
  const LV2_URID atom_float = w.urids.map(LV2_ATOM__Float);
  auto option = [&](const char* key, LV2_URID type, const void* value, std::uint32_t size) {
    return LV2_Options_Option{LV2_OPTIONS_INSTANCE, 0, w.urids.map(key), size, type, value};
  };
  f.options = {option(LV2_BUF_SIZE__minBlockLength, atom_int, &f.min_block, sizeof(std::int32_t)),
               option(LV2_BUF_SIZE__maxBlockLength, atom_int, &f.max_block, sizeof(std::int32_t)),
               option(LV2_BUF_SIZE__nominalBlockLength, atom_int, &f.nominal_block, sizeof(std::int32_t)),
               option(LV2_BUF_SIZE__sequenceSize, atom_int, &f.sequence_size, sizeof(std::int32_t)),
               option(LV2_PARAMETERS__sampleRate, atom_float, &f.sample_rate, sizeof(float)),
               LV2_Options_Option{LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr}};
  f.log.handle = this;
  f.log.printf = &InstanceCallbacks::log_printf;
  f.log.vprintf = &InstanceCallbacks::log_vprintf;
  f.urid_error = w.urids.map(LV2_LOG__Error);
  f.urid_warning = w.urids.map(LV2_LOG__Warning);
  f.urid_note = w.urids.map(LV2_LOG__Note);
  f.urid_trace = w.urids.map(LV2_LOG__Trace);
  f.features = {
      {LV2_URID__map, w.urids.map_feature()},
      {LV2_URID__unmap, w.urids.unmap_feature()},
      {LV2_OPTIONS__options, f.options.data()},
      {LV2_BUF_SIZE__boundedBlockLength, nullptr},
      {LV2_LOG__log, &f.log},
      {LV2_CORE__hardRTCapable, nullptr},
      {LV2_CORE__isLive, nullptr},
  };
  if (fixed_block_) {
    f.features.push_back({LV2_BUF_SIZE__fixedBlockLength, nullptr});
    if (is_power_of_2(*fixed_block_)) f.features.push_back({LV2_BUF_SIZE__powerOf2BlockLength, nullptr});
  }
  for (const LV2_Feature& feature : f.features) f.pointers.push_back(&feature);
  f.pointers.push_back(nullptr);

  LilvInstance* li = lilv_plugin_instantiate(plugin, sample_rate_, f.pointers.data());
  if (li == nullptr) {
    return make_error(ErrorCode::kProcessorFailed, "LV2 plugin {} failed to instantiate at {} Hz", info_.uri,
                      sample_rate_);
  }
  lilv_instance_ = li;
  lock.unlock();
  connect_all();
  return {};
}

void Instance::connect_all() {
  LilvInstance* li = as_lilv(lilv_instance_);
  for (AudioPort& a : audio_in_) lilv_instance_connect_port(li, a.index, a.connected);
  for (AudioPort& a : audio_out_) lilv_instance_connect_port(li, a.index, a.connected);
  for (auto& c : controls_) lilv_instance_connect_port(li, c->port->index, &c->value);
  std::size_t cv = 0;
  for (const PortInfo& p : info_.ports) {
    if (p.type == PortType::kCv) lilv_instance_connect_port(li, p.index, cv_buffers_[cv++].data());
    if (p.type == PortType::kUnknown) lilv_instance_connect_port(li, p.index, nullptr);
  }
  for (auto& a : atoms_) lilv_instance_connect_port(li, a->index, a->data());
}

Instance::~Instance() {
  if (lilv_instance_ == nullptr) return;
  deactivate();
  World::Impl& w = World::get().impl();
  std::lock_guard lock(w.mu);
  lilv_instance_free(as_lilv(lilv_instance_));
}

std::span<float> Instance::audio_input(std::size_t i) { return {audio_in_.at(i).connected, max_block_}; }

std::span<const float> Instance::audio_output(std::size_t i) const { return {audio_out_.at(i).connected, max_block_}; }

Result<void> Instance::connect_audio_input(std::size_t i, const float* data) {
  if (i >= audio_in_.size()) {
    return make_error(ErrorCode::kInvalidArgument, "{} has {} audio inputs, no input {}", info_.uri, audio_in_.size(),
                      i);
  }
  AudioPort& a = audio_in_[i];
  // The plugin never writes an input port: dropping const is safe.
  a.connected = data != nullptr ? const_cast<float*>(data) : a.own.data();
  lilv_instance_connect_port(as_lilv(lilv_instance_), a.index, a.connected);
  return {};
}

Result<void> Instance::connect_audio_output(std::size_t i, float* data) {
  if (i >= audio_out_.size()) {
    return make_error(ErrorCode::kInvalidArgument, "{} has {} audio outputs, no output {}", info_.uri,
                      audio_out_.size(), i);
  }
  if (data != nullptr && info_.in_place_broken) {
    for (const AudioPort& in : audio_in_) {
      if (in.connected == data) {
        return make_error(ErrorCode::kInvalidArgument,
                          "{} cannot process in place (lv2:inPlaceBroken): output {} must not share an input's buffer",
                          info_.uri, i);
      }
    }
  }
  AudioPort& a = audio_out_[i];
  a.connected = data != nullptr ? data : a.own.data();
  lilv_instance_connect_port(as_lilv(lilv_instance_), a.index, a.connected);
  return {};
}

Instance::Control* Instance::find_control(std::string_view symbol, PortDirection direction) const {
  for (const auto& c : controls_) {
    if (c->port->symbol == symbol && c->port->direction == direction) return c.get();
  }
  return nullptr;
}

namespace {
Error no_control(const PluginInfo& info, std::string_view symbol, PortDirection direction) {
  std::vector<std::string_view> symbols;
  for (const PortInfo& p : info.ports) {
    if (p.type == PortType::kControl && p.direction == direction) symbols.push_back(p.symbol);
  }
  return Error(ErrorCode::kNotFound,
               fmt::format("{} has no control {} '{}' (it has: {})", info.uri, to_string(direction), symbol,
                           symbols.empty() ? std::string("none") : fmt::format("{}", fmt::join(symbols, ", "))));
}
}  // namespace

Result<float> Instance::set_control(std::string_view symbol, float value) {
  Control* c = find_control(symbol, PortDirection::kInput);
  if (c == nullptr) return make_error(no_control(info_, symbol, PortDirection::kInput));
  if (!std::isfinite(value)) {
    return make_error(ErrorCode::kInvalidArgument, "control '{}' of {} must be a finite number", symbol, info_.uri);
  }
  const PortInfo& p = *c->port;
  float v = value;
  if (p.toggled) v = v > 0.0f ? 1.0f : 0.0f;
  if (p.enumeration && !p.scale_points.empty()) {
    const ScalePoint* best = &p.scale_points.front();
    for (const ScalePoint& sp : p.scale_points) {
      if (std::fabs(sp.value - v) < std::fabs(best->value - v)) best = &sp;
    }
    v = best->value;
  } else if (p.integer || p.enumeration) {
    v = std::round(v);
  }
  if (p.has_minimum) v = std::max(v, p.minimum);
  if (p.has_maximum) v = std::min(v, p.maximum);
  c->staged.store(v, std::memory_order_release);
  return v;
}

Result<float> Instance::control(std::string_view symbol) const {
  const Control* c = find_control(symbol, PortDirection::kInput);
  if (c == nullptr) return make_error(no_control(info_, symbol, PortDirection::kInput));
  return c->staged.load(std::memory_order_acquire);
}

Result<float> Instance::control_output(std::string_view symbol) const {
  const Control* c = find_control(symbol, PortDirection::kOutput);
  if (c == nullptr) return make_error(no_control(info_, symbol, PortDirection::kOutput));
  return c->published.load(std::memory_order_acquire);
}

std::uint32_t Instance::latency() const {
  if (latency_port_ == nullptr) return 0;
  const float v = latency_port_->published.load(std::memory_order_acquire);
  return v > 0.0f && std::isfinite(v) ? static_cast<std::uint32_t>(std::lround(v)) : 0;
}

void Instance::activate() {
  if (active_) return;
  lilv_instance_activate(as_lilv(lilv_instance_));
  active_ = true;
}

void Instance::deactivate() {
  if (!active_) return;
  lilv_instance_deactivate(as_lilv(lilv_instance_));
  active_ = false;
}

Result<void> Instance::run(std::uint32_t frames) {
  if (!active_) return make_error(ErrorCode::kFailedPrecondition, "{}: run() before activate()", info_.uri);
  if (frames > max_block_) {
    return make_error(ErrorCode::kInvalidArgument, "{}: block of {} frames is over the maximum of {}", info_.uri,
                      frames, max_block_);
  }
  if (fixed_block_ && frames != *fixed_block_) {
    return make_error(ErrorCode::kInvalidArgument, "{} needs blocks of exactly {} frames, got {}", info_.uri,
                      *fixed_block_, frames);
  }
  if (frames == 0) return {};
  for (Control* c : control_inputs_) c->value = c->staged.load(std::memory_order_acquire);
  for (auto& a : atoms_) {
    auto* atom = static_cast<LV2_Atom*>(a->data());
    if (a->input) {
      atom->size = sizeof(LV2_Atom_Sequence_Body);
      atom->type = urid_sequence_;
      auto* body = reinterpret_cast<LV2_Atom_Sequence_Body*>(atom + 1);
      body->unit = 0;
      body->pad = 0;
    } else {
      atom->size = static_cast<std::uint32_t>(a->bytes() - sizeof(LV2_Atom));
      atom->type = urid_chunk_;
    }
  }
  lilv_instance_run(as_lilv(lilv_instance_), frames);
  for (Control* c : control_outputs_) c->published.store(c->value, std::memory_order_release);
  return {};
}

}  // namespace streamlib::lv2
