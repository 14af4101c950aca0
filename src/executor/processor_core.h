// ProcessorCore: one running processor — its thread, instance, wake-up notifier and command
// queue. Shared (shared_ptr) by the control thread and the processor's own thread, so a
// processor abandoned by stop() (stuck in process()) keeps everything it touches alive until
// its thread finally returns.
//
// The control thread never touches the instance or its ports while the thread runs. It posts
// commands (closures) that the thread runs at a safe point — between two process() calls —
// and waits for their completion with a timeout. That is how links are attached/detached,
// configs hot-reloaded, the processor paused, resumed, parked or stopped.
#pragma once

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

#include "runtime/event_bus.h"
#include "streamlib/graph/processor_node.h"
#include "streamlib/link/notifier.h"
#include "streamlib/processor.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stats.h"

namespace streamlib::internal {

// A one-shot completion the control thread can wait on with a deadline.
class Completion {
 public:
  void complete(Result<void> result = {});
  // False on timeout.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  Result<void> result() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;    // GUARDED_BY(mutex_)
  Result<void> result_;  // GUARDED_BY(mutex_)
};

// Two processor threads (a link's producer and consumer) stop at a safe point together so the
// control thread can rebuild the link's ring; see SimpleExecutor::update_link.
class ParkRendezvous {
 public:
  // Processor thread: announce arrival (completes `arrived`), then wait for release. Returns
  // at once if the control thread has already cancelled.
  void park(Completion& arrived);
  // Control thread.
  void release();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;  // GUARDED_BY(mutex_)
};

class ProcessorCore final : public RuntimeContext, public std::enable_shared_from_this<ProcessorCore> {
 public:
  using Command = std::function<Result<void>(ProcessorCore&)>;

  ProcessorCore(ProcessorNode node, std::unique_ptr<ProcessorBase> instance, const ProcessorFactory& factory,
                std::shared_ptr<EventBus> events, bool start_paused);
  ~ProcessorCore() override;

  // --- Control thread ---------------------------------------------------------------------

  // Starts the thread: priority, setup(), then commands only until release().
  void start();
  // Lets a started processor run (after its links are wired).
  std::shared_ptr<Completion> release();
  // Queues a command for the next safe point; the returned completion carries its result.
  std::shared_ptr<Completion> post(Command command);
  // Asks the thread to finish: with `drain`, a processor with inputs first processes what is
  // queued on them. Does not wait.
  void request_stop(bool drain);
  // Waits for the thread to exit. On timeout the thread is detached (abandoned) and false is
  // returned; the core stays alive through the thread's own reference.
  bool join_until(std::chrono::steady_clock::time_point deadline);

  const ProcessorNode& node() const { return node_; }
  const ProcessorId& id() const { return node_.id; }
  std::shared_ptr<Notifier> notifier() const { return notifier_; }
  ProcessorState state() const { return state_.load(std::memory_order_acquire); }
  ProcessorStats stats() const;
  // The node this core runs, updated after a successful reconfigure.
  void set_node_config(nlohmann::json config, std::uint64_t checksum);

  // Commands (run on the processor's thread; see SimpleExecutor).
  Result<void> attach_output(const std::string& port, const LinkId& link,
                             const std::shared_ptr<LinkChannelBase>& channel);
  Result<void> attach_input(const std::string& port, const LinkId& link,
                            const std::shared_ptr<LinkChannelBase>& channel);
  Result<void> detach_output(const std::string& port, const LinkId& link);
  Result<void> detach_input(const std::string& port, const LinkId& link);
  Result<void> reconfigure(const nlohmann::json& config);
  Result<void> set_paused(bool paused);

  // --- RuntimeContext (processor's thread, or any thread for request_process) -------------

  const ProcessorId& processor_id() const override { return node_.id; }
  void request_process() override;
  bool stop_requested() const override { return stop_requested_.load(std::memory_order_relaxed); }

 private:
  void thread_main();
  void run_commands();
  bool has_work() const;
  bool inputs_have_data() const;
  void call_process();
  Result<void> call_setup();
  void call_teardown();
  Result<void> rebuild(const nlohmann::json& config);
  void fail(const std::string& what);
  // Tells the producers of this processor's inputs not to block on them (see LinkChannel).
  void mark_inputs_failed(bool failed);
  void set_state(ProcessorState s, std::string message = {});
  void apply_priority();

  // Immutable after construction (node_ config changes only under the control thread).
  ProcessorNode node_;
  const ProcessorFactory& factory_;
  std::shared_ptr<EventBus> events_;
  std::shared_ptr<Notifier> notifier_ = std::make_shared<Notifier>();

  // --- Processor thread state (the `rt` group: touched only by the processor's thread
  // once start() has run) ---
  struct Rt {
    std::unique_ptr<ProcessorBase> instance;
    ExecutionConfig execution;
    bool setup_ok = false;
    bool errored = false;
    bool released = false;
    bool paused = false;
    bool stop = false;
    bool drain = false;
    std::chrono::steady_clock::time_point next_due{};
  } rt_;

  // --- Shared with the control thread ---
  std::thread thread_;
  std::mutex commands_mutex_;
  std::deque<std::pair<Command, std::shared_ptr<Completion>>> commands_;  // GUARDED_BY(commands_mutex_)
  std::atomic<bool> has_commands_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> process_requested_{false};
  std::atomic<ProcessorState> state_{ProcessorState::kPending};
  std::atomic<bool> exited_{false};
  std::mutex exit_mutex_;
  std::condition_variable exit_cv_;

  // Counters and reports (written by the processor thread, read by stats()).
  std::atomic<std::uint64_t> process_calls_{0};
  mutable std::mutex report_mutex_;
  std::string last_error_;                             // GUARDED_BY(report_mutex_)
  bool priority_applied_ = true;                       // GUARDED_BY(report_mutex_)
  std::string priority_error_;                         // GUARDED_BY(report_mutex_)
  std::string execution_text_;                         // GUARDED_BY(report_mutex_)
  ThreadPriority priority_ = ThreadPriority::kNormal;  // GUARDED_BY(report_mutex_)
  std::atomic<pthread_t> native_handle_{};
  std::atomic<bool> has_native_handle_{false};
};

}  // namespace streamlib::internal
