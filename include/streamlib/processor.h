// Processor: what a processor author writes.
//
//   struct GainConfig { float gain = 1.0f; };
//   STREAMLIB_CONFIG(GainConfig, gain);
//
//   class Gain : public streamlib::Processor<GainConfig> {
//    public:
//     STREAMLIB_PROCESSOR(Gain, "Multiplies audio samples", streamlib::Reactive{});
//     streamlib::LinkInput<streamlib::AudioFrame> audio_in{this, "audio_in"};
//     streamlib::LinkOutput<streamlib::AudioFrame> audio_out{this, "audio_out"};
//
//     streamlib::Result<void> process() override;
//     streamlib::Result<void> on_config_change(const GainConfig& next) override;  // optional
//   };
//   STREAMLIB_REGISTER(Gain);
//
// LIFECYCLE CONTRACT
//
// Construction: by the registry or runtime, on the control thread, with the default config;
// then the real config is set. A constructor must be cheap and must not acquire resources
// (devices, files, threads): the registry also builds one instance per type just to read its
// ports. Acquire resources in setup().
//
// All of the following run on the processor's own thread — one thread per processor with
// SimpleExecutor — and never concurrently with each other:
//
//   setup(ctx)            once, before any process(), within RuntimeOptions::setup_timeout,
//                         at normal priority (the processor's own priority is applied after
//                         it, so threads setup() starts do not inherit it). An error (or
//                         exception) puts the processor in Error: it gets no process() calls,
//                         the error is published as an event naming it, and the rest of the
//                         graph runs on. teardown() is not called for a failed setup.
//   process()             repeatedly, as the execution mode says:
//                           Continuous{interval}  in a loop, at most once per interval;
//                           Reactive              when any input has data;
//                           Manual                when ctx.request_process() was called (from
//                                                 any thread, e.g. a device callback).
//                         Never while the runtime is paused. An error or exception puts the
//                         processor in Error (as for setup); teardown() still runs later.
//   on_config_change(c)   between two process() calls, when the config in the graph changed.
//                         config() still returns the old config during the call and the new
//                         one after it succeeds. The default returns kUnsupported, and the
//                         runtime then rebuilds the processor in place: teardown(), a new
//                         instance with the new config, setup() — its links are kept.
//   on_pause() / on_resume()
//                         when the runtime pauses / resumes. A Manual processor stops its
//                         device or callback here; others rarely need them.
//   teardown()            once, last, if setup() succeeded: on stop(), on removal from the
//                         graph, or before a rebuild. Release what setup() acquired.
//
// Links are attached and detached by the runtime on the processor's own thread — between two
// process() calls, or inside a push() that waits on a full `block` link, or between two links
// of a fan-out push — so ports are only ever touched by that thread: push/read need no lock.
// A process() call should return promptly (a frame's worth of work); a processor stuck in
// process() itself (not in a push) cannot be rewired or reconfigured, and stop() gives up on
// it once it has made no progress for its timeout, and reports it.
//
// Failures: a refused or throwing on_config_change keeps the old config; a processor whose
// setup() fails when it is added live is not kept (the error names it); at start() it stays,
// in Error, and the rest of the graph runs. Anything thrown from any callback is caught.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/config.h"
#include "streamlib/graph/ids.h"
#include "streamlib/link/link_input.h"
#include "streamlib/link/link_output.h"
#include "streamlib/link/port.h"
#include "streamlib/result.h"

namespace streamlib {

// Loop, calling process() at most once per `interval` (0: as fast as possible).
struct Continuous {
  std::chrono::microseconds interval{0};
  friend bool operator==(const Continuous&, const Continuous&) = default;
};
// Sleep until an input has data.
struct Reactive {
  friend bool operator==(const Reactive&, const Reactive&) = default;
};
// The processor drives its own timing (a device callback) and asks for process() calls.
struct Manual {
  friend bool operator==(const Manual&, const Manual&) = default;
};
using ExecutionMode = std::variant<Continuous, Reactive, Manual>;

enum class ThreadPriority {
  kNormal,
  kHigh,      // raised priority (nice -10)
  kRealTime,  // SCHED_FIFO; refused without CAP_SYS_NICE / rtprio limits, which is reported
};
STREAMLIB_ENUM_NAMES(ThreadPriority, {ThreadPriority::kNormal, "normal"}, {ThreadPriority::kHigh, "high"},
                     {ThreadPriority::kRealTime, "realtime"});

struct ExecutionConfig {
  ExecutionMode mode = Reactive{};
  ThreadPriority priority = ThreadPriority::kNormal;
  friend bool operator==(const ExecutionConfig&, const ExecutionConfig&) = default;
};

// "continuous(1000us)", "reactive", "manual".
std::string to_string(const ExecutionMode& mode);

// What the runtime offers a processor; passed to setup() and valid until teardown() returns.
class RuntimeContext {
 public:
  virtual ~RuntimeContext() = default;
  virtual const ProcessorId& processor_id() const = 0;
  // Manual mode: asks for one more process() call on the processor's thread. Any thread;
  // coalescing (many requests before the call give one call); ignored while paused.
  virtual void request_process() = 0;
  // True once the runtime wants this processor to stop; a long process() should return.
  virtual bool stop_requested() const = 0;
  // Monotonic clock in nanoseconds — the clock frame timestamps use.
  static std::int64_t now_ns();
};

class ProcessorBase {
 public:
  ProcessorBase(const ProcessorBase&) = delete;
  ProcessorBase& operator=(const ProcessorBase&) = delete;
  virtual ~ProcessorBase() = default;

  virtual Result<void> setup(RuntimeContext&) { return {}; }
  virtual Result<void> process() = 0;
  virtual void teardown() {}
  virtual void on_pause() {}
  virtual void on_resume() {}

  // How to schedule this instance. Defaults to what STREAMLIB_PROCESSOR declares; override
  // to derive it from the config (e.g. a source's frame rate). Re-read after a config change.
  virtual ExecutionConfig execution_config() const { return declared_execution(); }

  virtual std::string_view type_name() const = 0;
  virtual std::string_view description() const = 0;

  // Counters a processor wants shown in stats() and the CLI ({"received": 1200}). Called
  // from the control thread while process() may be running: read only atomics here.
  virtual nlohmann::json metrics() const { return nlohmann::json::object(); }

  const std::vector<InputPortBase*>& inputs() const { return inputs_; }
  const std::vector<OutputPortBase*>& outputs() const { return outputs_; }
  InputPortBase* find_input(std::string_view name) const;
  OutputPortBase* find_output(std::string_view name) const;

  // Type-erased config access for the runtime and the registry.
  virtual nlohmann::json config_json() const = 0;
  // Before setup(): parses and stores a config (strict, see config.h).
  virtual Result<void> set_config_json(const nlohmann::json& config) = 0;
  // Hot reload: parses `config` and calls on_config_change(); kUnsupported if the processor
  // does not override it.
  virtual Result<void> reconfigure_json(const nlohmann::json& config) = 0;

 protected:
  ProcessorBase() = default;
  virtual ExecutionConfig declared_execution() const = 0;

 private:
  friend class InputPortBase;
  friend class OutputPortBase;
  std::vector<InputPortBase*> inputs_;
  std::vector<OutputPortBase*> outputs_;
};

template <class Config>
class Processor : public ProcessorBase {
  static_assert(ConfigStruct<Config>,
                "streamlib: the config type of a Processor<Config> needs STREAMLIB_CONFIG(Config, fields...) after "
                "its definition, in its namespace (a processor without settings uses streamlib::EmptyConfig)");

 public:
  using ConfigType = Config;

  const Config& config() const { return config_; }

  // Override to take a new config without a rebuild. Return an error to refuse it (the old
  // config stays; the error is reported).
  virtual Result<void> on_config_change(const Config& /*next*/) {
    return make_error(ErrorCode::kUnsupported, "{} has no on_config_change", type_name());
  }

  // Sets the config before setup() (the runtime and tests use it).
  void set_config(Config config) { config_ = std::move(config); }

  // (The `if constexpr` keeps a missing STREAMLIB_CONFIG down to the one static_assert above.)
  nlohmann::json config_json() const final {
    if constexpr (ConfigStruct<Config>) {
      return config_to_json(config_);
    } else {
      return nullptr;
    }
  }

  Result<void> set_config_json(const nlohmann::json& json) final {
    if constexpr (ConfigStruct<Config>) {
      STREAMLIB_ASSIGN_OR_RETURN(config_, config_from_json<Config>(json));
    }
    return {};
  }

  Result<void> reconfigure_json(const nlohmann::json& json) final {
    if constexpr (ConfigStruct<Config>) {
      STREAMLIB_ASSIGN_OR_RETURN(Config next, config_from_json<Config>(json));
      STREAMLIB_RETURN_IF_ERROR(on_config_change(next));
      config_ = std::move(next);
    }
    return {};
  }

 private:
  Config config_{};
};

namespace internal {
// One default-constructed instance per type, made on first use: the registry reads its ports,
// and handles map member pointers (&Gain::audio_in) to port names with it.
template <class P>
const P& prototype() {
  static const P instance;
  return instance;
}
}  // namespace internal

}  // namespace streamlib

// Declares a processor type's name, description and execution mode (and, optionally, thread
// priority). Place it in the public section of the class.
//   STREAMLIB_PROCESSOR(Gain, "Multiplies audio samples", streamlib::Reactive{});
//   STREAMLIB_PROCESSOR(Tone, "Sine source", streamlib::Continuous{std::chrono::milliseconds(10)},
//                       streamlib::ThreadPriority::kHigh);
#define STREAMLIB_PROCESSOR(Type, description_text, ...)                                                   \
  static constexpr std::string_view kTypeName = #Type;                                                     \
  static constexpr std::string_view kDescription = description_text;                                       \
  static ::streamlib::ExecutionConfig declared_execution_config() {                                        \
    return ::streamlib::ExecutionConfig{__VA_ARGS__};                                                      \
  }                                                                                                        \
  std::string_view type_name() const override { return kTypeName; }                                        \
  std::string_view description() const override { return kDescription; }                                   \
                                                                                                           \
 protected:                                                                                                \
  ::streamlib::ExecutionConfig declared_execution() const override { return declared_execution_config(); } \
                                                                                                           \
 public:                                                                                                   \
  static_assert(true, "")
