// StreamRuntime: the user's entry point. It owns the desired Graph and keeps a running
// pipeline in step with it, in every state.
//
//   streamlib::StreamRuntime rt;                                       // Auto commit mode
//   auto src  = rt.add_processor<SequenceSource>({.interval_us = 1000}).value();
//   auto sink = rt.add_processor<Counter>({}).value();
//   auto link = rt.connect(src.output(&SequenceSource::out),          // compile-time type check
//                          sink.input(&Counter::in)).value();
//   rt.start();                              // or before adding: order does not matter
//   rt.connect("sequence_source_0.out", "null_sink_0.in");            // string form, runtime check
//   rt.update_processor_config(src, {.interval_us = 500});
//   rt.update_link_config(link, {.capacity = 8, .policy = LinkPolicy::kDropOldest});
//   rt.pause(); rt.resume(); rt.restart(); rt.stop();
//   rt.set_commit_mode(CommitMode::kManual); /* many changes */ rt.commit();
//   rt.apply(desired_graph);                 // reconcile to a whole new graph: one delta
//   rt.graph().to_json(); rt.stats(); rt.subscribe(callback);
//   rt.run_until({.deadline = t});           // end of stream, SIGINT/SIGTERM or t; then stop()
//   rt.wait_for_signal();                    // SIGINT/SIGTERM stop gracefully
//
// Every mutation works in Idle, Running and Paused. It is checked against the graph first; a
// rejected change returns an error naming what was wrong and leaves graph and pipeline exactly
// as they were. While running in Auto mode an accepted change is applied before the call
// returns, as a GraphDelta touching only what changed: other processors keep their threads,
// other links lose and reorder nothing. In Manual mode changes batch until commit(); when idle
// they wait for start().
//
// A change that fails while it is applied (a setup that fails or times out, a config the
// processor refuses, a processor stuck in process()) is rolled back: the call returns every
// failure, and afterwards the desired graph is exactly what runs, so the next change is not
// affected. A processor added live whose setup fails is not kept (the error names its id); at
// start() it stays, in Error, and the rest of the graph runs. Graph-change events announce
// what was applied, after it was (when idle: at once, as nothing runs); a failure is an error
// event instead.
//
// Thread safety: every method may be called from any thread; control operations are
// serialized. stats(), graph(), state() and events never wait for a control operation. Do not
// call control operations from inside a processor's own callbacks.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "streamlib/executor/executor_kind.h"
#include "streamlib/frames/any_frame.h"
#include "streamlib/graph/graph.h"
#include "streamlib/link/link_config.h"
#include "streamlib/registry.h"
#include "streamlib/result.h"
#include "streamlib/runtime/events.h"
#include "streamlib/runtime/handles.h"
#include "streamlib/runtime/state.h"
#include "streamlib/runtime/stats.h"

namespace streamlib {

struct RuntimeOptions {
  CommitMode commit_mode = CommitMode::kAuto;
  // How long stop() waits for all processors to finish; one still inside process() after
  // that is reported (kError event) and abandoned, and stop() returns.
  std::chrono::milliseconds stop_timeout{2000};
  // How long a live change waits for a processor to reach its next safe point. A push blocked
  // on a full `block` link is a safe point, so only a processor stuck inside process() itself
  // makes a change wait this long (and fail, leaving everything as it was).
  std::chrono::milliseconds control_timeout{5000};
  // How long a new processor's setup() may take (opening a device, probing a file, connecting
  // to a stream). One that takes longer is abandoned and reported; it never starts later.
  std::chrono::milliseconds setup_timeout{30000};
  // What start() does when a processor's setup() fails. false: the rest runs and the failed
  // one stays in Error (failure isolation). true: nothing is released — no process() runs, no
  // frame moves, so no writer receives one and every existing file stays as it was — and
  // start() stops what it set up and returns the error, leaving the runtime idle (the CLI's
  // `streamlib run`: a graph that cannot start whole does not start).
  bool all_or_nothing_start = false;
  // Registry to create processors from; null means ProcessorFactory::global().
  ProcessorFactory* factory = nullptr;
  // Which executor runs the graph. Unset: the graph's own (Graph::executor(), a graph file's
  // "executor"), else the environment's STREAMLIB_EXECUTOR ("threads" or "pool"), else threads.
  // Read by start().
  std::optional<ExecutorKind> executor;
  // The pool's workers; 0 is the graph's choice, else one per core. Processors that need a thread of their own (device
  // driven, or ExecutionConfig::own_thread) have one besides.
  unsigned workers = 0;
};

// What StreamRuntime::run_until() waits for; whichever comes first ends it.
//
//   rt.run_until({});                                          // end of stream or Ctrl-C
//   rt.run_until({.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10)});
//   rt.run_until({.end_of_stream = false});                    // a live graph: Ctrl-C only
struct RunUntil {
  // Every sink has finished (RuntimeState::kFinished).
  bool end_of_stream = true;
  // SIGINT or SIGTERM. Caught only during the call: the handlers in place before it are
  // restored when it returns, so a signal after it does what it did before.
  bool signals = true;
  // The steady clock reaches it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Called on the calling thread about every `poll_interval` while it waits (a live view, a
  // file to watch, a condition of the caller's); returning false ends the call.
  std::function<bool()> keep_going;
  std::chrono::milliseconds poll_interval{100};
};

// Why run_until() returned.
enum class RunEnd {
  kEndOfStream,  // every sink finished
  kInterrupted,  // SIGINT
  kTerminated,   // SIGTERM
  kDeadline,     // RunUntil::deadline passed
  kCaller,       // RunUntil::keep_going returned false
  kStopped,      // another thread stopped the runtime
};
STREAMLIB_ENUM_NAMES(RunEnd, {RunEnd::kEndOfStream, "end_of_stream"}, {RunEnd::kInterrupted, "interrupted"},
                     {RunEnd::kTerminated, "terminated"}, {RunEnd::kDeadline, "deadline"}, {RunEnd::kCaller, "caller"},
                     {RunEnd::kStopped, "stopped"});

namespace internal {
class RuntimeImpl;
template <class...>
inline constexpr bool always_false = false;
}  // namespace internal

class StreamRuntime {
 public:
  StreamRuntime();
  explicit StreamRuntime(RuntimeOptions options);
  StreamRuntime(const StreamRuntime&) = delete;
  StreamRuntime& operator=(const StreamRuntime&) = delete;
  // Stops the pipeline (as stop()) and ends event delivery after the last event.
  ~StreamRuntime();

  // --- Processors -------------------------------------------------------------------------

  // Adds a processor of type P (registering P on first use). The id is `id` if given,
  // otherwise "<snake_case_type>_<n>" (video_test_source_0, video_test_source_1, ...).
  template <class P>
  Result<ProcessorHandle<P>> add_processor(typename P::ConfigType config = {}, std::string id = {}) {
    STREAMLIB_RETURN_IF_ERROR(factory().template register_type<P>());
    if constexpr (ConfigStruct<typename P::ConfigType>) {
      STREAMLIB_ASSIGN_OR_RETURN(ProcessorId added, add_processor(P::kTypeName, config_to_json(config), std::move(id)));
      return ProcessorHandle<P>(std::move(added));
    } else {
      return make_error(ErrorCode::kInvalidArgument, "{}: its config type has no STREAMLIB_CONFIG", P::kTypeName);
    }
  }
  // String form: type name and config JSON, checked against the type's schema.
  Result<ProcessorId> add_processor(std::string_view type, const nlohmann::json& config = nlohmann::json::object(),
                                    std::string id = {});
  // Removes a processor and every link touching it.
  Result<void> remove_processor(const ProcessorId& id);
  template <class P>
  Result<void> remove_processor(const ProcessorHandle<P>& handle) {
    return remove_processor(handle.id());
  }

  // --- Links ------------------------------------------------------------------------------

  // Connects ports with the same message type; unset config fields take the type's defaults.
  template <Message T>
  Result<LinkHandle> connect(OutputRef<T> from, InputRef<T> to, LinkConfig config = {}) {
    return connect_addresses(from.address, to.address, config);
  }
  // Any built-in frame into an AnyFrame input.
  template <BuiltinFrame T>
  Result<LinkHandle> connect(OutputRef<T> from, InputRef<AnyFrame> to, LinkConfig config = {}) {
    return connect_addresses(from.address, to.address, config);
  }
  // Mismatched message types do not compile.
  template <class A, class B>
  Result<LinkHandle> connect(OutputRef<A>, InputRef<B>, LinkConfig = {}) {
    static_assert(internal::always_false<A, B>,
                  "streamlib: connect() needs an output and an input of the same message type");
    return make_error(ErrorCode::kTypeMismatch, "unreachable");
  }
  // String form: "proc.port" addresses, checked at runtime (ports, types, fan-in, cycles).
  Result<LinkHandle> connect(std::string_view from, std::string_view to, LinkConfig config = {});
  Result<void> disconnect(const LinkHandle& link) { return disconnect(link.id()); }
  Result<void> disconnect(const LinkId& link);

  // --- Configs ----------------------------------------------------------------------------

  // Replaces the whole config (fields not given take their defaults).
  template <class P>
  Result<void> update_processor_config(const ProcessorHandle<P>& processor, typename P::ConfigType config) {
    if constexpr (ConfigStruct<typename P::ConfigType>) {
      return update_processor_config(processor.id(), config_to_json(config));
    } else {
      return make_error(ErrorCode::kInvalidArgument, "{}: its config type has no STREAMLIB_CONFIG", P::kTypeName);
    }
  }
  Result<void> update_processor_config(const ProcessorId& id, const nlohmann::json& config);
  // Changes only the fields present in `patch` (JSON merge patch, RFC 7386).
  Result<void> patch_processor_config(const ProcessorId& id, const nlohmann::json& patch);
  // Changes the fields set in `config`; the others keep their current values.
  Result<void> update_link_config(const LinkHandle& link, const LinkConfig& config) {
    return update_link_config(link.id(), config);
  }
  Result<void> update_link_config(const LinkId& link, const LinkConfig& config);

  // --- Commit -----------------------------------------------------------------------------

  // Back to Auto applies what was batched, and returns what that did.
  Result<void> set_commit_mode(CommitMode mode);
  CommitMode commit_mode() const;
  // Applies batched changes (Manual mode) as one delta. A no-op when idle or nothing is pending.
  Result<void> commit();
  // Replaces the desired graph with `desired` (validated first) and, when running in Auto
  // mode, applies the difference as one delta.
  Result<void> apply(const Graph& desired);
  // True if the desired graph differs from what is running (Manual mode, or idle).
  bool has_pending_changes() const;

  // --- Lifecycle --------------------------------------------------------------------------

  // Idle -> Running: spawns every processor, wires every link, then lets them run.
  Result<void> start();
  // Running/Paused -> Idle: sources stop first, each processor drains its inputs, then
  // teardown(); waits up to stop_timeout in all. The graph is kept for the next start().
  Result<void> stop();
  // Running -> Paused: no process() call on any processor until resume(); sources stop
  // producing, Manual processors get on_pause(). Queued messages wait.
  Result<void> pause();
  Result<void> resume();
  // stop() then start() with the same graph.
  Result<void> restart();
  // Running (or Paused) -> Finished when every sink's stream has ended (or the sink failed):
  // the state, a kEndOfStream event, and this call, which waits for it (a file transcode
  // waits here, then stop()s). A processor that fails ends its outputs' streams with its error
  // (OutputPortBase::fail_stream), so what it fed finishes too; the end then returns the
  // earliest failure still standing (kProcessorFailed, naming the processor), and the event
  // says it. An error too if the end has not come within `timeout`, or the runtime stopped first.
  Result<void> wait_until_finished(std::chrono::milliseconds timeout);
  // Runs until the end of stream, SIGINT/SIGTERM or a deadline, as `until` chooses — whichever
  // comes first — on the calling thread; `end`, if given, says which. Returns the earliest
  // failure of a processor still in Error when it ends, whatever ended it: at the end of stream
  // (a failure ends what the failed processor fed, so it may be what brought the end), at a
  // signal, at the deadline, or when keep_going said so; success if nothing failed, and always
  // when another thread stopped the runtime (a stop forgets failures). A failure does not end
  // the call by itself while other sinks still stream. It does not stop the runtime: call
  // stop() afterwards (after a last stats(), if wanted). An error, at once, if the runtime is
  // not running. Replaces a timer thread plus wait_for_signal():
  //
  //   STREAMLIB_RETURN_IF_ERROR(rt.start());
  //   auto ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + 30s});
  //   auto stopped = rt.stop();                 // sinks finalize their files
  //   if (!ran) return ran;                     // "processor 'dec' (VideoDecoder): ..."
  Result<void> run_until(const RunUntil& until, RunEnd* end = nullptr);
  RuntimeState state() const;

  // --- Observation ------------------------------------------------------------------------

  // A copy of the desired graph.
  Graph graph() const;
  RuntimeStats stats() const;
  SubscriptionId subscribe(EventCallback callback);
  bool unsubscribe(SubscriptionId id);

  // Blocks until SIGINT or SIGTERM arrives (then stops the runtime gracefully, so sinks
  // finalize their files) or until the runtime is stopped by another thread. See run_until()
  // for the end of stream and a deadline too.
  Result<void> wait_for_signal();

 private:
  Result<LinkHandle> connect_addresses(const LinkPortAddress& from, const LinkPortAddress& to,
                                       const LinkConfig& config);
  ProcessorFactory& factory();

  std::unique_ptr<internal::RuntimeImpl> impl_;
};

}  // namespace streamlib
