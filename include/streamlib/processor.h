// Processor: what a processor author writes.
//
//   struct GainConfig { float gain = 1.0f; };
//   STREAMLIB_CONFIG(GainConfig, gain);
//
//   class Gain : public streamlib::Processor<GainConfig> {
//    public:
//     STREAMLIB_PROCESSOR(Gain, "Multiplies audio samples", streamlib::Reactive{});
//     streamlib::LinkInput<streamlib::AudioFrame> in{this, "in"};
//     streamlib::LinkOutput<streamlib::AudioFrame> out{this, "out"};
//
//     streamlib::Result<void> process() override;
//     streamlib::Result<void> on_config_change(const GainConfig& next) override;  // optional
//   };
//   STREAMLIB_REGISTER(Gain);
//
// LIFECYCLE CONTRACT
//
// Construction: by the registry or runtime, on the control thread, with the default config;
// then the real config is set and declare_ports() runs. A constructor must be cheap and must
// not acquire resources (devices, files, threads): the registry also builds instances just to
// read their ports. Acquire resources in setup().
//
// All of the following run on the processor's own thread — one thread per processor with
// SimpleExecutor — and never concurrently with each other:
//
//   setup(ctx)            once, before anything else, within RuntimeOptions::setup_timeout,
//                         at normal priority (the processor's own priority is applied after
//                         it, so threads setup() starts do not inherit it). Acquire resources
//                         here (open the device, the file, the codec). An error (or exception)
//                         puts the processor in Error: it gets no process() calls, the error is
//                         published as an event naming it, its outputs end with the error (what
//                         it fed finishes: InputPortBase::ended_with_error), and the rest of the
//                         graph runs on. teardown() is not called for a failed setup.
//   start_streaming()     when the processor is let run (its links are wired) and on resume:
//                         start the device (a camera's stream, an audio callback). An error
//                         puts it in Error. stop_streaming() undoes it: on pause, before
//                         finish/teardown and before a rebuild.
//   process()             repeatedly, as the execution mode says:
//                           Continuous{interval}  in a loop, at most once per interval;
//                           Reactive{...}         when its inputs are ready (see Reactive);
//                           Manual                when ctx.request_process() was called (from
//                                                 any thread, e.g. a device callback).
//                         Never while the runtime is paused. An error or exception puts the
//                         processor in Error (as for setup); teardown() still runs later.
//   finish()              once, when the processor's stream ends: all its connected inputs
//                         have ended (end of stream arrived on each), or it called
//                         end_stream() (a source at the end of its file or count), or the
//                         runtime is stopped. Drain here: an encoder flushes its last packets,
//                         a writer writes its trailer; pushing is allowed. After it every
//                         output ends (downstream learns it in order, after everything pushed
//                         before) and process() is not called again.
//   on_config_change(c)   between two process() calls, when the config in the graph changed.
//                         config() still returns the old config during the call and the new
//                         one after it succeeds (then declare_ports() runs again). The default
//                         returns kUnsupported, and the runtime then rebuilds the processor in
//                         place: teardown(), a new instance with the new config, setup() — its
//                         links are kept.
//   on_pause() / on_resume()
//                         when the runtime pauses / resumes, right after stop_streaming() /
//                         before start_streaming().
//   teardown()            once, last, if setup() succeeded: on stop(), on removal from the
//                         graph, or before a rebuild. Release what setup() acquired. Removing a
//                         processor live is not an end of stream: finish() is not called, so a
//                         writer closes its file here if finish() has not.
//
// THREAD CONTRACT — what every executor keeps: a processor is never called concurrently with
// itself, and only between these callbacks are its ports touched by the runtime. With the
// thread-per-processor executor all of it happens on one thread; a future thread-pool executor
// may move a processor between threads from one call to the next, except for a processor that
// asks for a thread of its own (ExecutionConfig::own_thread, e.g. SDL video, which must stay on
// the thread that made its window). A Manual processor driven by a device uses begin_cycle()
// on the device's thread: the cycle runs only while no runtime callback does (it is skipped,
// and counted, if the runtime is busy with the processor at that moment), so the promise holds
// there too.
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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
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

// When a Reactive processor's inputs are ready for a process() call.
enum class InputsReady {
  kAny,           // any connected input has a message (the default)
  kAll,           // every connected input that has not ended has a message
  kSynchronized,  // the inputs are aligned by timestamp: the mode of an Aggregator
                  // (streamlib/aggregator.h), which decides itself when it can go on, groups
                  // timestamps within `tolerance` and, after `timeout` without data on some input,
                  // goes on without it (counted as a stall in the processor's stats). Declared
                  // by a processor that is not an Aggregator it is refused: by the runtime
                  // when the processor is added, by ProcessorHarness at start().
};
STREAMLIB_ENUM_NAMES(InputsReady, {InputsReady::kAny, "any"}, {InputsReady::kAll, "all"},
                     {InputsReady::kSynchronized, "synchronized"});

namespace internal {
struct ReadinessGate;  // internal/readiness.h
}

// Sleep until the inputs are ready. process() is called when they are and something changed
// since the last call — a message arrived, the last call took one, an input ended — never again
// and again on data it left unread (a muxer waiting for its other input sleeps).
struct Reactive {
  InputsReady inputs = InputsReady::kAny;
  // kSynchronized: an Aggregator's interval also takes in messages starting up to this much
  // past its end (timestamps this close belong together), counted on the aggregator's timeline.
  std::chrono::nanoseconds tolerance{0};
  std::chrono::milliseconds timeout{0};  // kAll / kSynchronized: 0 waits for ever
  // kAll / kSynchronized: an input at its capacity (its producer waits for room) is ready even
  // while others are empty — for a muxer fed by one producer that demuxes a file, which may be
  // blocked on that very input while the others wait for it. The processor must then be able
  // to take from the full input alone. Counted as a stall, as after the timeout. A mixer, which
  // cannot mix what has not arrived, leaves it off and relies on the timeout.
  bool go_on_when_full = false;
  // Set by streamlib::Aggregator, never by hand: the aggregator's own side of readiness.
  std::shared_ptr<internal::ReadinessGate> gate;
  friend bool operator==(const Reactive&, const Reactive&) = default;
};

// The processor's timing comes from elsewhere (a device): it asks for process() calls with
// ctx.request_process(), or runs its port I/O on the device's own thread in a cycle
// (RuntimeContext::begin_cycle), with no queue and no thread hop in between.
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
  // The processor must always run on the same thread (SDL video). Every executor honours it.
  bool own_thread = false;
  friend bool operator==(const ExecutionConfig&, const ExecutionConfig&) = default;
};

// "continuous(1000us)", "reactive", "reactive(all)", "manual".
std::string to_string(const ExecutionMode& mode);

// The monotonic clock in nanoseconds, the clock live timestamps use.
std::int64_t monotonic_now_ns();

// A device-driven cycle (see RuntimeContext::begin_cycle): while it is alive the device thread
// may read and push the processor's ports. Falsy when the cycle must be skipped (not streaming,
// or the runtime is busy with the processor right now): the device then plays silence or drops
// the buffer.
class RuntimeContext;
class DrivenCycle {
 public:
  DrivenCycle() = default;
  DrivenCycle(DrivenCycle&& other) noexcept
      : context_(std::exchange(other.context_, nullptr)), lock_(std::exchange(other.lock_, nullptr)) {}
  DrivenCycle& operator=(DrivenCycle&&) = delete;
  ~DrivenCycle();
  explicit operator bool() const { return lock_ != nullptr; }

 private:
  friend class RuntimeContext;
  DrivenCycle(RuntimeContext* context, void* lock) : context_(lock ? context : nullptr), lock_(lock) {}
  RuntimeContext* context_ = nullptr;
  void* lock_ = nullptr;
};

// What the runtime offers a processor; set before setup() and valid until teardown() returns.
class RuntimeContext {
 public:
  virtual ~RuntimeContext() = default;
  virtual const ProcessorId& processor_id() const = 0;
  // Manual mode: asks for one more process() call on the processor's thread. Any thread;
  // coalescing (many requests before the call give one call); ignored while paused.
  virtual void request_process() = 0;
  // True once the runtime wants this processor to stop; a long process() should return.
  virtual bool stop_requested() const = 0;
  // The clock timestamps and pacing use: the monotonic clock in a runtime, a virtual clock in a
  // ProcessorHarness.
  virtual std::int64_t now_ns() const { return monotonic_now_ns(); }
  // Manual processors driven by a device: call on the device's thread (an audio callback, a
  // capture thread) around the port I/O of one cycle. Never blocks.
  DrivenCycle begin_cycle() { return DrivenCycle(this, try_begin_cycle()); }
  // Inside a cycle: the cycle failed; the processor goes to Error (as a failed process()).
  virtual void fail_cycle(const Error& error) = 0;
  // Something a user should know while the processor keeps running (a timestamp that went
  // backwards and was re-based, a format converted): published as a kWarning event naming this
  // processor and, if given, the link it is about. Processor thread; not for every message —
  // report a condition once and count its repeats in metrics().
  virtual void warn(std::string message, const LinkId& link = {}) {
    (void)message;
    (void)link;
  }

 protected:
  friend class DrivenCycle;
  // Returns an opaque lock handle when the cycle may run, else null.
  virtual void* try_begin_cycle() = 0;
  virtual void end_cycle(void* lock) = 0;
};

class ProcessorBase {
 public:
  ProcessorBase(const ProcessorBase&) = delete;
  ProcessorBase& operator=(const ProcessorBase&) = delete;
  virtual ~ProcessorBase() = default;

  virtual Result<void> setup(RuntimeContext&) { return {}; }
  virtual Result<void> start_streaming() { return {}; }
  virtual void stop_streaming() {}
  virtual Result<void> process() = 0;
  virtual Result<void> finish() { return {}; }
  virtual void teardown() {}
  virtual void on_pause() {}
  virtual void on_resume() {}

  // Ports that depend on the config (an AudioMixer's in_0..in_{N-1}, an LV2 plugin's audio
  // ports). Runs after the config is set, and again after a live config change; make them with
  // add_input()/add_output(). A port made again under the same name (and type) is the same
  // port, links and all; one not made again is removed (the runtime has unwired it first).
  // Ports declared as members always exist.
  virtual Result<void> declare_ports() { return {}; }

  // How to schedule this instance. Defaults to what STREAMLIB_PROCESSOR declares; override
  // to derive it from the config (e.g. a source's frame rate). Re-read after a config change.
  virtual ExecutionConfig execution_config() const { return declared_execution(); }

  virtual std::string_view type_name() const = 0;
  virtual std::string_view description() const = 0;

  // Counters a processor wants shown in stats() and the CLI ({"received": 1200}). Called
  // from the caller's thread of stats() while process() may be running: read only atomics.
  virtual nlohmann::json metrics() const { return nlohmann::json::object(); }

  const std::vector<InputPortBase*>& inputs() const { return inputs_; }
  const std::vector<OutputPortBase*>& outputs() const { return outputs_; }
  InputPortBase* find_input(std::string_view name) const;
  OutputPortBase* find_output(std::string_view name) const;
  // Messages pushed into outputs with no link, over all outputs. Any thread.
  std::uint64_t plug_discards() const { return plug_discards_.load(std::memory_order_relaxed); }

  // Set by the runtime (or a harness) before setup(); valid until teardown() returns.
  RuntimeContext& context() const { return *context_; }
  void attach_context(RuntimeContext* context) { context_ = context; }

  // Runtime: runs declare_ports() and removes the dynamic ports it did not make again.
  Result<void> refresh_ports();
  // Runtime: whether the processor has called end_stream() (and clears it).
  bool take_end_requested() { return std::exchange(end_requested_, false); }

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

  // Ends this processor's stream (a source at the end of its file or count): after the current
  // call returns, finish() runs, every output ends, and process() is not called again.
  void end_stream() { end_requested_ = true; }

  // In declare_ports(): an input / output that exists while the config says so. Returns the
  // port (the same object as before if it existed under that name with that type).
  template <Message T>
  LinkInput<T>& add_input(std::string_view name, std::string_view description = {});
  template <Message T>
  LinkOutput<T>& add_output(std::string_view name, std::string_view description = {});

 private:
  friend class InputPortBase;
  friend class OutputPortBase;
  template <class PortT, class List>
  PortT& claim_port(std::string_view name, std::string_view description, List& list);

  std::vector<InputPortBase*> inputs_;
  std::vector<OutputPortBase*> outputs_;
  std::vector<std::unique_ptr<PortBase>> dynamic_ports_;  // made by add_input/add_output
  std::vector<bool> claimed_;                             // parallel: made again this round
  std::atomic<std::uint64_t> plug_discards_{0};
  RuntimeContext* context_ = nullptr;
  bool end_requested_ = false;
};

template <class PortT, class List>
PortT& ProcessorBase::claim_port(std::string_view name, std::string_view description, List& list) {
  for (std::size_t i = 0; i < dynamic_ports_.size(); ++i) {
    if (dynamic_ports_[i]->name() != name) continue;
    if (auto* same = dynamic_cast<PortT*>(dynamic_ports_[i].get())) {
      claimed_[i] = true;
      return *same;
    }
  }
  (void)list;
  auto port = std::make_unique<PortT>(this, name, description);  // registers itself in `list`
  PortT& ref = *port;
  dynamic_ports_.push_back(std::move(port));
  claimed_.push_back(true);
  return ref;
}

template <Message T>
LinkInput<T>& ProcessorBase::add_input(std::string_view name, std::string_view description) {
  return claim_port<LinkInput<T>>(name, description, inputs_);
}

template <Message T>
LinkOutput<T>& ProcessorBase::add_output(std::string_view name, std::string_view description) {
  return claim_port<LinkOutput<T>>(name, description, outputs_);
}

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
      Config previous = std::exchange(config_, std::move(next));
      if (auto r = refresh_ports(); !r) {
        config_ = std::move(previous);
        return r;
      }
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
