// ProcessorCore: one running processor's lifecycle — its instance, states, wake-up notifier and
// command queue — with no thread of its own. Two drivers run it:
//   - its own thread (start()): thread_main() loops over turn(), sleeping on the notifier
//     between turns — the thread executor, and in the pool executor the processors that need
//     a thread (device driven, or ExecutionConfig::own_thread);
//   - a WorkerPool (start_pooled()): a notify queues it, a worker calls run_on_worker(), which
//     runs turns until there is nothing to do.
// Either way the same functions run: run_setup(), turn() (commands at their safe points, then
// at most one process() call as the execution mode says), run_exit() (drain, finish,
// teardown). Shared (shared_ptr) by the control thread and whoever runs it, so a processor
// abandoned by stop() (stuck in process()) keeps everything it touches alive until it returns.
//
// The control thread never touches the instance or its ports while the thread runs. It posts
// commands (closures) that the thread runs at a safe point and waits for their completion with
// a deadline; a command still waiting at the deadline is cancelled and never runs. Each command
// has a scope that says where it may run:
//   kPorts     link changes (attach, detach, resize hand-over). Between two process() calls,
//              or inside a push blocked on a full `block` link: a blocked push is a safe point
//              for them, so rewiring never waits for a producer stuck behind a slow consumer.
//   kInstance  changes to the processor itself that may wait for process() to return (release,
//              pause, resume, a draining stop).
//   kFlush     changes to the processor itself that must not wait behind a blocked push
//              (reconfigure, removal): while one is waiting, a blocked push stops waiting and
//              takes its message beyond the link's capacity (nothing is lost; see LinkChannel),
//              so process() returns promptly.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "executor/spare_threads.h"
#include "executor/worker_pool.h"
#include "runtime/event_bus.h"
#include "streamlib/graph/processor_node.h"
#include "streamlib/internal/readiness.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/link/notifier.h"
#include "streamlib/processor.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stats.h"

namespace streamlib::internal {

// A one-shot command completion the control thread can wait on with a deadline, and cancel.
class Completion {
 public:
  // Processor thread: claims the command before running it. False if it was cancelled.
  bool begin();
  void complete(Result<void> result = {});
  // False on timeout. Polls briefly before sleeping: a command at an idle processor's safe
  // point completes within microseconds, and being woken would cost the caller more.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  // Control thread: cancels the command unless it has begun. True if it will never run.
  bool cancel();
  Result<void> result() const;

 private:
  enum class State { kPending, kRunning, kDone, kCancelled };
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  State state_ = State::kPending;  // GUARDED_BY(mutex_)
  Result<void> result_;            // GUARDED_BY(mutex_)
  std::atomic<bool> done_{false};  // state_ == kDone, for polling without the lock
};

// Where processors report that their stream has finished (end of stream); the runtime decides
// from it when every sink has finished. Any thread.
class FinishListener {
 public:
  virtual ~FinishListener() = default;
  // Its stream is over: finish() ran, or it failed.
  virtual void processor_finished(const ProcessorId& id) = 0;
  // It failed (called before its outputs end with `error`): its stream is over too.
  virtual void processor_failed(const ProcessorId& id, const Error& /*error*/) { processor_finished(id); }
  // A failed processor came back (a config change rebuilt it).
  virtual void processor_unfinished(const ProcessorId& id) = 0;
};

// Where processors report that their thread has ended; the executor waits on it (stop()).
class ExitBoard {
 public:
  void exited(const ProcessorId& id);
  // Waits until some exit was reported or the deadline passed; returns the ids reported since
  // the last call.
  std::vector<ProcessorId> take(std::chrono::steady_clock::time_point deadline);
  // Forgets the exits reported so far.
  void discard();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<ProcessorId> exited_;  // GUARDED_BY(mutex_)
};

enum class CommandScope { kPorts, kInstance, kFlush };

// How a live config change ended.
struct ReconfigureOutcome {
  enum class Kind {
    kApplied,  // the processor runs with the new config
    kRefused,  // on_config_change refused or threw, or a rebuild failed and the old config is back
    kFailed,   // the processor runs the new config but is in Error (its setup failed)
  };
  Kind kind = Kind::kApplied;
  std::string message;  // why, for kRefused and kFailed
};

class ProcessorCore final : public RuntimeContext,
                            public ThreadContext,
                            public PoolTask,
                            public std::enable_shared_from_this<ProcessorCore> {
 public:
  using Command = std::function<Result<void>(ProcessorCore&)>;

  ProcessorCore(ProcessorNode node, std::unique_ptr<ProcessorBase> instance, const ProcessorFactory& factory,
                std::shared_ptr<EventBus> events, bool start_paused, std::shared_ptr<ExitBoard> exits,
                std::shared_ptr<FinishListener> finishes = nullptr);
  ~ProcessorCore() override;

  // --- Control thread ---------------------------------------------------------------------

  // Starts the thread (a spare one if `spares` has one): setup(), thread priority, then
  // commands only until release().
  void start(SpareThreads* spares = nullptr);
  // Or runs it on `pool`'s workers: setup() on the first, then a turn whenever it is notified.
  void start_pooled(std::shared_ptr<WorkerPool> pool);
  // The processor cannot share a worker: it is device driven (Manual) or asks for its own
  // thread. Before start.
  bool needs_own_thread() const {
    return rt_.execution.own_thread || std::holds_alternative<Manual>(rt_.execution.mode);
  }
  // Completes when setup() has returned (successfully or not).
  const std::shared_ptr<Completion>& setup_done() const { return setup_done_; }
  // Lets a set-up processor run (after its links are wired). Does not wait for the thread: its
  // state is Running (or Paused) when this returns.
  void release(bool paused);
  // Queues a command for the next safe point of its scope; the completion carries its result.
  std::shared_ptr<Completion> post(Command command, CommandScope scope);
  // Asks the thread to finish: with `drain`, a processor with inputs first processes what is
  // queued on them (upstream has stopped). Without, it stops at once (a blocked push gives up).
  void request_stop(bool drain);
  // Waits for the thread to exit; false on timeout.
  bool join_until(std::chrono::steady_clock::time_point deadline);
  // Gives up on a thread that did not exit: its blocked waits are abandoned, its thread is
  // detached and keeps this core alive until it returns, and an error event names it.
  void abandon(std::string_view why);
  bool exited() const { return exited_.load(std::memory_order_acquire); }

  const ProcessorNode& node() const { return node_; }
  const ProcessorId& id() const { return node_.id; }
  std::shared_ptr<Notifier> notifier() const { return notifier_; }
  ProcessorState state() const { return state_.load(std::memory_order_acquire); }
  // process() calls so far: stop() measures progress with it.
  std::uint64_t process_calls() const { return process_calls_.load(std::memory_order_relaxed); }
  // Inside a process() call now (with process_calls(): the same call as before, or another).
  bool in_process() const { return in_process_.load(std::memory_order_relaxed); }
  ProcessorStats stats() const;
  std::string last_error() const;
  // The thread's time on a CPU and waiting in the run queue for one, in ns, from the kernel's
  // schedstat (nullopt if the thread is gone or the kernel does not say): tells a processor that
  // is stuck from one starved of CPU on a loaded machine.
  struct SchedTimes {
    std::uint64_t on_cpu_ns = 0;
    std::uint64_t run_queue_ns = 0;
  };
  std::optional<SchedTimes> sched_times() const;
  // Pooled: queued, waiting for a worker (a starved processor, not a stuck one).
  bool waiting_for_worker() const { return slot_ && slot_->waiting_for_worker(); }
  // The code of the error setup() returned (kProcessorFailed if it threw): a missing file or
  // device stays kNotFound on its way to the caller of start() or add_processor().
  ErrorCode setup_error_code() const { return setup_error_code_.load(std::memory_order_acquire); }
  // The node this core runs, updated after a live config change. Control thread.
  void set_node_config(nlohmann::json config, std::uint64_t checksum);

  // Commands (run on the processor's thread; see SimpleExecutor).
  Result<void> attach_output(const std::string& port, const LinkId& link,
                             const std::shared_ptr<LinkChannelBase>& channel);
  Result<void> attach_input(const std::string& port, const LinkId& link,
                            const std::shared_ptr<LinkChannelBase>& channel);
  Result<void> detach_output(const std::string& port, const LinkId& link);
  Result<void> detach_input(const std::string& port, const LinkId& link);
  // Hot reload: on_config_change, or a rebuild in place when the processor has none (or is in
  // Error). A refused or throwing on_config_change keeps the old config; a rebuild whose new
  // instance fails to construct or set up is undone (the old config is built again).
  ReconfigureOutcome reconfigure(const nlohmann::json& config);
  Result<void> set_paused(bool paused);

  // --- RuntimeContext (processor's thread, or any thread for request_process) -------------

  const ProcessorId& processor_id() const override { return node_.id; }
  void request_process() override;
  bool stop_requested() const override { return stop_requested_.load(std::memory_order_relaxed); }
  void fail_cycle(const Error& error) override;
  void warn(std::string message, const LinkId& link) override;

 protected:
  // Device cycles (Manual processors): exclusive with every runtime callback of the processor.
  void* try_begin_cycle() override;
  void end_cycle(void* lock) override;

 public:
  // --- ThreadContext (processor's thread, inside a blocked push) --------------------------

  bool stopping() const noexcept override { return stop_requested_.load(std::memory_order_relaxed); }
  bool change_waiting() const noexcept override { return flush_pending_.load(std::memory_order_relaxed) != 0; }
  void run_port_commands() override;
  void blocking_begin() noexcept override {
    in_blocked_push_.store(true, std::memory_order_relaxed);
    if (pool_) pool_->blocking_begin();
  }
  void blocking_end() noexcept override {
    if (pool_) pool_->blocking_end();
    in_blocked_push_.store(false, std::memory_order_relaxed);
  }
  // Inside a push that waits for room on a full `block` link (any thread; for stop()).
  bool in_blocked_push() const { return in_blocked_push_.load(std::memory_order_relaxed); }

  // --- PoolTask (a pool worker) ------------------------------------------------------------

  void run_on_worker(WorkerPool& pool) override;

 private:
  struct Queued {
    Command command;
    std::shared_ptr<Completion> done;
    CommandScope scope;
  };

  // What one turn leaves to wait for before the next.
  struct Turn {
    enum class Kind { kAgain, kWait, kExit };
    enum class Until {
      kRelease,   // a command, or release()
      kCommands,  // a command (or the deadline)
      kInputs,    // a command, or a change of the inputs' progress token
      kRequest,   // a command, request_process(), a device cycle's end of stream or failure
    };
    Kind kind = Kind::kAgain;
    Until until = Until::kCommands;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::uint64_t token = 0;
  };

  void thread_main();
  // setup(), then setup_done_. On whichever thread runs the processor first.
  void run_setup();
  // Commands at their safe point, then at most one process() call as the mode says.
  Turn turn();
  // Whether what `t` waits for has happened.
  bool woken(const Turn& t) const;
  // Graceful stop: drain, finish, teardown; then answers what is left and reports the exit.
  void run_exit();
  // Processor thread: whether release() has happened (picks it up from the control thread).
  bool released();
  // One turn of the loop for each execution mode (the runtime's side of a Manual processor's
  // callbacks holds cycle_mutex_).
  Turn run_continuous(const Continuous& c);
  Turn run_reactive(const Reactive& r);
  Turn run_manual();
  // After a process() call: a requested end of stream, a failed device cycle.
  void after_process();
  // Starts or stops streaming (start_streaming/stop_streaming) as the state now asks.
  void update_streaming();
  // The processor's stream is over: stop streaming, finish(), end every output.
  void finish_stream();
  bool wants_streaming() const;
  void run_commands();
  void run_one(Queued& q);
  bool inputs_have_data() const;
  void call_process();
  Result<void> call_setup();
  void call_teardown();
  // Replaces the instance by a new one made with `config`, keeping the links.
  Result<void> rebuild(const nlohmann::json& config);
  void fail(const std::string& what);
  // Tells the producers of this processor's inputs not to block on them (see LinkChannel).
  void mark_inputs_failed(bool failed);
  void set_state(ProcessorState s, std::string message = {});
  void apply_priority();
  // After the instance or its config changed: execution mode and priority as it now asks.
  void refresh_execution();
  // After a live change or a resume: each output's next message continues its media time.
  void continue_timelines();

  // Immutable after construction (node_ config changes only under the control thread).
  ProcessorNode node_;
  const ProcessorFactory& factory_;
  std::shared_ptr<EventBus> events_;
  std::shared_ptr<ExitBoard> exits_;
  std::shared_ptr<FinishListener> finishes_;
  std::shared_ptr<Notifier> notifier_ = std::make_shared<Notifier>();
  std::shared_ptr<Completion> setup_done_ = std::make_shared<Completion>();
  // Pooled: the pool, and the notifier's wake target (null when it has its own thread).
  std::shared_ptr<WorkerPool> pool_;
  std::shared_ptr<PoolSlot> slot_;
  bool set_up_ = false;  // pooled: run_setup() has run (whoever runs it)
  // Pooled: time on workers, from every 8th run timed (the clock read costs as much as a stage
  // of a fast chain), for ProcessorStats::cpu_time_ns.
  std::uint32_t runs_ = 0;
  std::atomic<std::uint64_t> pooled_ns_{0};

  // --- Processor thread state (the `rt` group: touched only by the processor's thread
  // once start() has run) ---
  struct Rt {
    std::unique_ptr<ProcessorBase> instance;  // replaced only under report_mutex_
    ExecutionConfig execution;
    ThreadPriority applied_priority = ThreadPriority::kNormal;
    bool setup_ok = false;
    bool errored = false;
    bool released = false;
    bool paused = false;
    bool stop = false;
    bool drain = false;
    bool streaming = false;  // start_streaming() succeeded, stop_streaming() not yet called
    bool finished = false;   // finish() ran, outputs ended
    bool manual = false;     // execution mode is Manual: callbacks hold cycle_mutex_
    std::chrono::steady_clock::time_point next_due{};
    InputReadiness readiness;
  } rt_;
  // Held by the runtime thread around the callbacks of a Manual processor, and by a device
  // thread around one cycle: they never run at the same time.
  std::mutex cycle_mutex_;
  std::atomic<bool> cycles_allowed_{false};  // streaming, for device cycles
  std::atomic<bool> eos_seen_{false};        // a cycle found every input ended
  std::atomic<bool> cycle_failed_{false};
  std::string cycle_error_;  // GUARDED_BY(report_mutex_)
  std::atomic<std::uint64_t> missed_cycles_{0};
  std::atomic<std::uint64_t> input_stalls_{0};

  // --- Shared with the control thread ---
  std::thread thread_;
  std::mutex commands_mutex_;
  std::deque<Queued> commands_;  // GUARDED_BY(commands_mutex_)
  std::atomic<bool> has_commands_{false};
  std::atomic<std::uint32_t> flush_pending_{0};  // kFlush commands queued
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> process_requested_{false};
  std::atomic<bool> released_{false};
  std::atomic<ProcessorState> state_{ProcessorState::kPending};
  std::atomic<bool> exited_{false};
  std::mutex exit_mutex_;
  std::condition_variable exit_cv_;

  // Counters and reports (written by the processor thread, read by stats()).
  std::atomic<std::uint64_t> process_calls_{0};
  std::atomic<bool> in_process_{false};
  std::atomic<bool> in_blocked_push_{false};
  mutable std::mutex report_mutex_;
  std::string last_error_;  // GUARDED_BY(report_mutex_)
  std::atomic<ErrorCode> setup_error_code_{ErrorCode::kProcessorFailed};
  bool priority_applied_ = true;                       // GUARDED_BY(report_mutex_)
  std::string priority_error_;                         // GUARDED_BY(report_mutex_)
  std::string execution_text_;                         // GUARDED_BY(report_mutex_)
  ThreadPriority priority_ = ThreadPriority::kNormal;  // GUARDED_BY(report_mutex_)
  std::atomic<pid_t> kernel_tid_{0};                   // for /proc/self/task/<tid>/schedstat
  std::atomic<pthread_t> native_handle_{};
  std::atomic<bool> has_native_handle_{false};
};

}  // namespace streamlib::internal
