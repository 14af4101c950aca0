#include "executor/processor_core.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <exception>

#include "runtime/thread_priority.h"
#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

namespace {
// The text of whatever was thrown, for error messages: callbacks are user code.
std::string what_was_thrown(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "a non-standard exception";
  }
}
}  // namespace

// --- Completion / ExitBoard -----------------------------------------------------------------

bool Completion::begin() {
  std::lock_guard lock(mutex_);
  if (state_ != State::kPending) return false;
  state_ = State::kRunning;
  return true;
}

void Completion::complete(Result<void> result) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kCancelled) return;
    state_ = State::kDone;
    result_ = std::move(result);
    done_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

bool Completion::wait_until(std::chrono::steady_clock::time_point deadline) {
  constexpr auto kPoll = std::chrono::microseconds(30);
  const auto poll_until = std::min(deadline, std::chrono::steady_clock::now() + kPoll);
  while (!done_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < poll_until) {
    pause_between_polls();
  }
  std::unique_lock lock(mutex_);
  return cv_.wait_until(lock, deadline, [&] { return state_ == State::kDone; });
}

bool Completion::cancel() {
  std::lock_guard lock(mutex_);
  if (state_ != State::kPending) return state_ == State::kCancelled;
  state_ = State::kCancelled;
  result_ = make_error(ErrorCode::kTimeout, "cancelled");
  return true;
}

Result<void> Completion::result() const {
  std::lock_guard lock(mutex_);
  return result_;
}

void ExitBoard::exited(const ProcessorId& id) {
  {
    std::lock_guard lock(mutex_);
    exited_.push_back(id);
  }
  cv_.notify_all();
}

void ExitBoard::discard() {
  std::lock_guard lock(mutex_);
  exited_.clear();
}

std::vector<ProcessorId> ExitBoard::take(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [&] { return !exited_.empty(); });
  return std::exchange(exited_, {});
}

// --- ProcessorCore --------------------------------------------------------------------------

ProcessorCore::ProcessorCore(ProcessorNode node, std::unique_ptr<ProcessorBase> instance,
                             const ProcessorFactory& factory, std::shared_ptr<EventBus> events, bool start_paused,
                             std::shared_ptr<ExitBoard> exits, std::shared_ptr<FinishListener> finishes)
    : node_(std::move(node)),
      factory_(factory),
      events_(std::move(events)),
      exits_(std::move(exits)),
      finishes_(std::move(finishes)) {
  rt_.instance = std::move(instance);
  rt_.instance->attach_context(this);
  rt_.paused = start_paused;
  rt_.execution = rt_.instance->execution_config();
  execution_text_ = to_string(rt_.execution.mode);
  priority_ = rt_.execution.priority;
}

ProcessorCore::~ProcessorCore() {
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // last reference dropped by the thread itself (an abandoned processor)
  } else {
    request_stop(false);
    thread_.join();
  }
}

void ProcessorCore::start(SpareThreads* spares) {
  auto body = [self = shared_from_this()] { self->thread_main(); };
  thread_ = spares ? spares->run(std::move(body)) : std::thread(std::move(body));
}

void ProcessorCore::release(bool paused) {
  // setup() has returned (the executor waited for it): Pending still means it succeeded.
  ProcessorState expected = ProcessorState::kPending;
  const ProcessorState next = paused ? ProcessorState::kPaused : ProcessorState::kRunning;
  if (state_.compare_exchange_strong(expected, next, std::memory_order_acq_rel)) {
    events_->publish(make_event(EventKind::kProcessorStateChanged, node_.id, {}, {}, next));
  }
  released_.store(true, std::memory_order_release);
  notifier_->notify();
}

std::shared_ptr<Completion> ProcessorCore::post(Command command, CommandScope scope) {
  auto done = std::make_shared<Completion>();
  {
    std::lock_guard lock(commands_mutex_);
    commands_.push_back(Queued{std::move(command), done, scope});
    if (scope == CommandScope::kPorts) port_commands_.fetch_add(1, std::memory_order_relaxed);
    if (scope == CommandScope::kFlush) flush_pending_.fetch_add(1, std::memory_order_relaxed);
    has_commands_.store(true, std::memory_order_relaxed);
  }
  notifier_->notify();
  return done;
}

void ProcessorCore::request_stop(bool drain) {
  if (!drain) stop_requested_.store(true, std::memory_order_relaxed);
  post(
      [drain](ProcessorCore& core) -> Result<void> {
        core.rt_.stop = true;
        core.rt_.drain = drain;
        return {};
      },
      drain ? CommandScope::kInstance : CommandScope::kFlush);
}

bool ProcessorCore::join_until(std::chrono::steady_clock::time_point deadline) {
  if (!pool_ && !thread_.joinable()) return true;
  {
    std::unique_lock lock(exit_mutex_);
    exit_cv_.wait_until(lock, deadline, [&] { return exited_.load(); });
  }
  if (!exited_.load()) return false;
  if (thread_.joinable()) thread_.join();
  return true;
}

void ProcessorCore::abandon(std::string_view why) {
  stop_requested_.store(true, std::memory_order_relaxed);
  notifier_->notify();
  if (thread_.joinable()) thread_.detach();
  events_->publish(make_event(EventKind::kError, node_.id, {},
                              fmt::format("processor '{}' ({}) {}; abandoned", node_.id, node_.type, why)));
}

void ProcessorCore::set_node_config(nlohmann::json config, std::uint64_t checksum) {
  node_.config = std::move(config);
  node_.config_checksum = checksum;
}

bool ProcessorCore::released() {
  if (!rt_.released && released_.load(std::memory_order_acquire)) {
    rt_.released = true;
    rt_.next_due = std::chrono::steady_clock::now();
  }
  return rt_.released;
}

void ProcessorCore::request_process() {
  process_requested_.store(true, std::memory_order_relaxed);
  notifier_->notify();
}

// --- Commands (processor thread) ------------------------------------------------------------

Result<void> ProcessorCore::attach_output(const std::string& port, const LinkId& link,
                                          const std::shared_ptr<LinkChannelBase>& channel) {
  OutputPortBase* p = rt_.instance->find_output(port);
  if (p == nullptr) return make_error(ErrorCode::kNotFound, "processor '{}' has no output port '{}'", node_.id, port);
  return p->attach(link, channel);
}

Result<void> ProcessorCore::attach_input(const std::string& port, const LinkId& link,
                                         const std::shared_ptr<LinkChannelBase>& channel) {
  InputPortBase* p = rt_.instance->find_input(port);
  if (p == nullptr) return make_error(ErrorCode::kNotFound, "processor '{}' has no input port '{}'", node_.id, port);
  auto r = p->attach(link, channel);
  if (r && (rt_.errored || !rt_.setup_ok)) channel->set_consumer_failed(true);
  if (r) notifier_->notify();  // messages may already be waiting
  return r;
}

Result<void> ProcessorCore::detach_output(const std::string& port, const LinkId& link) {
  OutputPortBase* p = rt_.instance->find_output(port);
  if (p == nullptr || !p->detach(link)) {
    return make_error(ErrorCode::kNotFound, "link '{}' is not attached to {}.{}", link, node_.id, port);
  }
  return {};
}

Result<void> ProcessorCore::detach_input(const std::string& port, const LinkId& link) {
  InputPortBase* p = rt_.instance->find_input(port);
  if (p == nullptr || !p->detach(link)) {
    return make_error(ErrorCode::kNotFound, "link '{}' is not attached to {}.{}", link, node_.id, port);
  }
  return {};
}

ReconfigureOutcome ProcessorCore::reconfigure(const nlohmann::json& config) {
  using Kind = ReconfigureOutcome::Kind;
  // A processor in Error (or whose setup failed) is rebuilt: a new config is its way back. If
  // that fails too it stays in Error, now with the new config.
  if (!rt_.setup_ok || rt_.errored) {
    if (auto r = rebuild(config); !r) return {Kind::kFailed, r.error().message()};
    return {};
  }
  Result<void> r;
  try {
    r = rt_.instance->reconfigure_json(config);
  } catch (...) {
    // Treated as a refusal: reconfigure_json() sets the config only after on_config_change
    // returned, so the instance still has its old config.
    return {Kind::kRefused, "on_config_change threw: " + what_was_thrown(std::current_exception())};
  }
  if (r) {
    refresh_execution();
    continue_timelines();
    return {};
  }
  if (r.error().code() != ErrorCode::kUnsupported) return {Kind::kRefused, r.error().message()};
  // No on_config_change: rebuild in place. If the new instance cannot be made or set up, build
  // the old config again so that what runs is what the graph says.
  const nlohmann::json old_config = rt_.instance->config_json();
  auto rebuilt = rebuild(config);
  if (rebuilt) return {};
  std::string why = rebuilt.error().message();
  if (auto restored = rebuild(old_config); !restored) {
    return {Kind::kRefused,
            fmt::format("{}; rebuilding with the old config failed too: {}", why, restored.error().message())};
  }
  return {Kind::kRefused, why + "; the old config was restored"};
}

Result<void> ProcessorCore::rebuild(const nlohmann::json& config) {
  std::unique_ptr<ProcessorBase> fresh;
  try {
    auto made = factory_.create(node_.type, config);
    if (!made) return make_error(made.error());
    fresh = std::move(*made);
  } catch (...) {
    return make_error(ErrorCode::kProcessorFailed, "constructing a new {} threw: {}", node_.type,
                      what_was_thrown(std::current_exception()));
  }
  // Keep the links: collect them from the old instance, move them to the new one.
  std::vector<std::tuple<std::string, LinkId, std::shared_ptr<LinkChannelBase>>> ins;
  std::vector<std::tuple<std::string, LinkId, std::shared_ptr<LinkChannelBase>>> outs;
  for (InputPortBase* in : rt_.instance->inputs()) {
    if (in->is_connected()) ins.emplace_back(in->name(), in->link_id(), in->channel());
  }
  for (OutputPortBase* out : rt_.instance->outputs()) {
    for (auto& [id, ch] : out->attached()) outs.emplace_back(out->name(), id, ch);
  }
  if (rt_.streaming) {
    cycles_allowed_.store(false, std::memory_order_release);
    try {
      rt_.instance->stop_streaming();
    } catch (...) {
    }
    rt_.streaming = false;
  }
  if (rt_.setup_ok) call_teardown();
  fresh->attach_context(this);
  std::unique_ptr<ProcessorBase> old;
  {
    std::lock_guard lock(report_mutex_);
    old = std::exchange(rt_.instance, std::move(fresh));
    last_error_.clear();
  }
  // Media time goes on from where the old instance left it (the new one's clock may restart).
  for (OutputPortBase* out : rt_.instance->outputs()) out->continue_timeline(old->find_output(out->name()));
  old.reset();  // outside the lock: stats() never waits for a destructor
  rt_.setup_ok = false;
  rt_.errored = false;
  refresh_execution();
  for (auto& [port, id, ch] : ins) {
    if (InputPortBase* p = rt_.instance->find_input(port)) (void)p->attach(id, ch);
  }
  for (auto& [port, id, ch] : outs) {
    if (OutputPortBase* p = rt_.instance->find_output(port)) (void)p->attach(id, ch);
  }
  STREAMLIB_RETURN_IF_ERROR(call_setup());
  mark_inputs_failed(false);
  rt_.next_due = std::chrono::steady_clock::now();
  rt_.readiness = InputReadiness();
  if (finishes_ && !rt_.finished) finishes_->processor_unfinished(node_.id);
  if (released() && !rt_.finished) set_state(rt_.paused ? ProcessorState::kPaused : ProcessorState::kRunning);
  update_streaming();
  return {};
}

void ProcessorCore::continue_timelines() {
  for (OutputPortBase* out : rt_.instance->outputs()) out->continue_timeline();
}

void ProcessorCore::refresh_execution() {
  rt_.execution = rt_.instance->execution_config();
  rt_.manual = std::holds_alternative<Manual>(rt_.execution.mode);
  {
    std::lock_guard lock(report_mutex_);
    execution_text_ = to_string(rt_.execution.mode);
    priority_ = rt_.execution.priority;
  }
  // A shorter interval takes effect now, not after the old one has run out.
  if (const auto* c = std::get_if<Continuous>(&rt_.execution.mode)) {
    const auto soonest = std::chrono::steady_clock::now() + c->interval;
    if (rt_.next_due > soonest) rt_.next_due = soonest;
  }
  if (rt_.execution.priority != rt_.applied_priority && rt_.setup_ok && !pool_) apply_priority();
}

Result<void> ProcessorCore::set_paused(bool paused) {
  if (rt_.paused == paused) return {};
  rt_.paused = paused;
  if (paused) update_streaming();  // stop_streaming() before on_pause()
  if (rt_.setup_ok && !rt_.errored) {
    try {
      if (paused) {
        rt_.instance->on_pause();
      } else {
        rt_.instance->on_resume();
      }
    } catch (...) {
      fail(fmt::format("{} threw: {}", paused ? "on_pause" : "on_resume", what_was_thrown(std::current_exception())));
    }
  }
  if (!paused) {
    rt_.next_due = std::chrono::steady_clock::now();
    continue_timelines();  // a live source resumes its stream where it paused it
  }
  if (released() && rt_.setup_ok && !rt_.errored && !rt_.finished) {
    set_state(paused ? ProcessorState::kPaused : ProcessorState::kRunning);
  }
  if (!paused) update_streaming();  // start_streaming() after on_resume()
  return {};
}

bool ProcessorCore::wants_streaming() const {
  return rt_.released && rt_.setup_ok && !rt_.errored && !rt_.paused && !rt_.finished && !rt_.stop;
}

void ProcessorCore::update_streaming() {
  const bool want = wants_streaming();
  if (want == rt_.streaming) return;
  if (want) {
    Result<void> r;
    try {
      r = rt_.instance->start_streaming();
    } catch (...) {
      r = make_error(ErrorCode::kProcessorFailed, "start_streaming() threw: {}",
                     what_was_thrown(std::current_exception()));
    }
    if (!r) {
      fail("start_streaming failed: " + r.error().message());
      return;
    }
    rt_.streaming = true;
    cycles_allowed_.store(true, std::memory_order_release);
  } else {
    cycles_allowed_.store(false, std::memory_order_release);
    rt_.streaming = false;
    try {
      rt_.instance->stop_streaming();
    } catch (...) {
      events_->publish(make_event(EventKind::kError, node_.id, {},
                                  fmt::format("processor '{}' ({}): stop_streaming() threw: {}", node_.id, node_.type,
                                              what_was_thrown(std::current_exception()))));
    }
  }
}

void ProcessorCore::finish_stream() {
  if (rt_.finished || !rt_.setup_ok || rt_.errored) return;
  rt_.finished = true;
  update_streaming();
  Result<void> r;
  try {
    r = rt_.instance->finish();
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "finish() threw: {}", what_was_thrown(std::current_exception()));
  }
  // State before the end goes out: whoever sees the end downstream (a sink finishing, and so
  // the runtime's end of stream) also sees this processor Finished or in Error.
  if (!r) {
    fail("finish failed: " + r.error().message());
  } else {
    set_state(ProcessorState::kFinished);
  }
  // Downstream learns the end in order, after everything finish() pushed.
  for (OutputPortBase* out : rt_.instance->outputs()) out->end_stream();
  if (finishes_) finishes_->processor_finished(node_.id);
}

void ProcessorCore::after_process() {
  if (cycle_failed_.exchange(false, std::memory_order_acq_rel)) {
    std::string why;
    {
      std::lock_guard lock(report_mutex_);
      why = cycle_error_;
    }
    fail(why);
    return;
  }
  if (!rt_.errored && (rt_.instance->take_end_requested() || eos_seen_.exchange(false))) finish_stream();
}

// --- Device cycles (Manual processors) ------------------------------------------------------

void* ProcessorCore::try_begin_cycle() {
  if (!cycles_allowed_.load(std::memory_order_acquire) || !cycle_mutex_.try_lock()) {
    missed_cycles_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (!cycles_allowed_.load(std::memory_order_acquire)) {  // stopped while we took the lock
    cycle_mutex_.unlock();
    missed_cycles_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return &cycle_mutex_;
}

void ProcessorCore::end_cycle(void* lock) {
  // A stream that ended on every input ends the processor's: the runtime thread finishes it.
  if (InputReadiness::all_ended(rt_.instance->inputs())) {
    eos_seen_.store(true, std::memory_order_release);
    notifier_->notify();
  }
  static_cast<std::mutex*>(lock)->unlock();
}

void ProcessorCore::fail_cycle(const Error& error) {
  {
    std::lock_guard lock(report_mutex_);
    cycle_error_ = "device cycle failed: " + error.message();
  }
  cycles_allowed_.store(false, std::memory_order_release);
  cycle_failed_.store(true, std::memory_order_release);
  notifier_->notify();
}

void ProcessorCore::warn(std::string message, const LinkId& link) {
  events_->publish(make_event(EventKind::kWarning, node_.id, link, std::move(message)));
}

// --- The thread -----------------------------------------------------------------------------

void ProcessorCore::thread_main() {
  t_thread_context = this;
  kernel_tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  native_handle_.store(pthread_self());
  has_native_handle_.store(true);
  {
    std::string name = node_.id.str().substr(0, 15);  // the kernel's limit
    pthread_setname_np(pthread_self(), name.c_str());
  }
  run_setup();
  for (;;) {
    const Turn t = turn();
    if (t.kind == Turn::Kind::kExit) break;
    if (t.kind == Turn::Kind::kWait) notifier_->wait([&] { return woken(t); }, t.deadline);
  }
  run_exit();
  t_thread_context = nullptr;
}

void ProcessorCore::start_pooled(std::shared_ptr<WorkerPool> pool) {
  // The notifier and its wake target live and die together: a link may hold the notifier
  // after this core is gone, and a notify then reaches a slot whose task is expired.
  struct PooledNotifier {
    Notifier notifier;
    std::shared_ptr<PoolSlot> slot;
  };
  auto holder = std::make_shared<PooledNotifier>();
  holder->slot = std::make_shared<PoolSlot>(weak_from_this(), pool);
  holder->notifier.set_wake_target(holder->slot.get());
  slot_ = holder->slot;
  notifier_ = std::shared_ptr<Notifier>(holder, &holder->notifier);
  pool_ = std::move(pool);
  notifier_->notify();  // the first run sets it up
}

void ProcessorCore::run_on_worker(WorkerPool& pool) {
  constexpr std::uint32_t kTimedEvery = 8;
  const bool timed = (runs_++ % kTimedEvery) == 0;
  const auto began = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  auto account = [&] {
    if (!timed) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began);
    pooled_ns_.fetch_add(static_cast<std::uint64_t>(ns.count()) * kTimedEvery, std::memory_order_relaxed);
  };
  slot_->begin_run();
  std::atomic_thread_fence(std::memory_order_seq_cst);  // a notify before this is seen below
  ThreadContext* const outer = t_thread_context;
  t_thread_context = this;
  if (!set_up_) {
    set_up_ = true;
    run_setup();
  }
  // A processor that asks for more than normal priority gets it for its turns: the worker
  // takes it on and gives it back after (a refusal is reported once, as on its own thread).
  bool raised = false;
  if (rt_.setup_ok && rt_.execution.priority != ThreadPriority::kNormal) {
    if (rt_.applied_priority != rt_.execution.priority) {
      apply_priority();
    } else {
      (void)apply_thread_priority(rt_.execution.priority);
    }
    raised = true;
  } else {
    rt_.applied_priority = ThreadPriority::kNormal;
  }
  // Turns until it waits, with a budget so that a processor with endless work (a Continuous
  // one at interval 0, a deep backlog) takes turns with the rest; a consumer it just made
  // ready (the worker's inline successor) runs first.
  constexpr int kBudget = 64;
  bool more = false;
  for (int budget = kBudget;;) {
    const Turn t = turn();
    if (t.kind == Turn::Kind::kExit) {
      run_exit();
      slot_->retire();
      if (raised) reset_thread_priority();
      t_thread_context = outer;
      account();
      return;
    }
    if (t.kind == Turn::Kind::kWait && !woken(t)) {
      if (t.deadline) pool.wake_at(slot_, *t.deadline);
      break;
    }
    if (--budget == 0 || WorkerPool::successor_waiting()) {
      more = true;
      break;
    }
  }
  if (raised) reset_thread_priority();
  t_thread_context = outer;
  account();
  if (slot_->end_run(more)) pool.requeue(shared_from_this());
}

void ProcessorCore::run_setup() {
  rt_.manual = std::holds_alternative<Manual>(rt_.execution.mode);
  // Setup first, at the priority the thread was created with, so threads that setup() starts do
  // not inherit SCHED_FIFO; then the processor's own priority (a thread of its own only: a pool
  // worker keeps the pool's).
  {
    std::unique_lock cycle(cycle_mutex_);
    (void)call_setup();
  }
  if (rt_.setup_ok && !pool_) apply_priority();
  setup_done_->complete();
}

ProcessorCore::Turn ProcessorCore::turn() {
  {
    // A Manual processor's device cycles run only while the runtime does nothing with it.
    std::unique_lock cycle(cycle_mutex_, std::defer_lock);
    if (rt_.manual) cycle.lock();
    if (has_commands_.load(std::memory_order_relaxed)) run_commands();
    if (rt_.stop) return {Turn::Kind::kExit};
    const bool was_released = rt_.released;
    if (released() && !was_released && !rt_.finished) update_streaming();
    if (!rt_.released || rt_.paused || rt_.errored || !rt_.setup_ok || rt_.finished) {
      return {Turn::Kind::kWait, Turn::Until::kRelease};
    }
    if (rt_.manual) {
      // The lock is held through process() (if requested) and the checks after it.
      if (process_requested_.exchange(false, std::memory_order_relaxed)) {
        call_process();
        after_process();
        return {};
      }
      after_process();  // a failed cycle, an end of stream a cycle saw
      if (rt_.errored || rt_.finished) return {};
    }
  }
  if (const auto* c = std::get_if<Continuous>(&rt_.execution.mode)) return run_continuous(*c);
  if (const auto* r = std::get_if<Reactive>(&rt_.execution.mode)) return run_reactive(*r);
  return run_manual();
}

bool ProcessorCore::woken(const Turn& t) const {
  if (has_commands_.load(std::memory_order_relaxed)) return true;
  switch (t.until) {
    case Turn::Until::kRelease:
      return !rt_.released && released_.load(std::memory_order_relaxed);
    case Turn::Until::kCommands:
      return false;
    case Turn::Until::kInputs:
      return InputReadiness::token(rt_.instance->inputs()) != t.token;
    case Turn::Until::kRequest:
      return process_requested_.load(std::memory_order_relaxed) || eos_seen_.load(std::memory_order_relaxed) ||
             cycle_failed_.load(std::memory_order_relaxed);
  }
  return true;
}

void ProcessorCore::run_exit() {
  // Graceful stop: process what is still queued on the inputs (upstream has stopped already),
  // then end the stream — a stop is the end of the stream: encoders drain, writers write their
  // trailer. A paused processor is resumed first, so process() never runs between on_pause()
  // and on_resume(). A removal (no drain) is not an end of stream: only teardown().
  {
    std::unique_lock cycle(cycle_mutex_, std::defer_lock);
    if (rt_.manual) cycle.lock();
    if (rt_.drain && rt_.released && rt_.setup_ok && !rt_.errored && !rt_.finished) {
      if (!rt_.instance->inputs().empty() && inputs_have_data()) {
        if (rt_.paused) (void)set_paused(false);
        for (int guard = 0; guard < 1'000'000 && !rt_.errored && inputs_have_data(); ++guard) call_process();
      }
      finish_stream();
    }
    stop_requested_.store(true, std::memory_order_relaxed);
    cycles_allowed_.store(false, std::memory_order_release);
    if (rt_.streaming) {
      rt_.streaming = false;
      try {
        rt_.instance->stop_streaming();
      } catch (...) {
      }
    }
    if (!rt_.errored) set_state(ProcessorState::kStopping);
    if (rt_.setup_ok) call_teardown();
  }
  set_state(ProcessorState::kStopped);

  // Whatever was posted after the stop will never run: answer it.
  {
    std::lock_guard lock(commands_mutex_);
    for (auto& q : commands_) {
      if (q.done->begin()) {
        q.done->complete(make_error(ErrorCode::kFailedPrecondition, "processor '{}' has stopped", node_.id));
      }
    }
    commands_.clear();
    port_commands_.store(0, std::memory_order_relaxed);
    flush_pending_.store(0, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(exit_mutex_);
    exited_.store(true, std::memory_order_release);
  }
  exit_cv_.notify_all();
  if (exits_) exits_->exited(node_.id);
}

ProcessorCore::Turn ProcessorCore::run_continuous(const Continuous& c) {
  const auto now = std::chrono::steady_clock::now();
  if (c.interval.count() == 0 || now >= rt_.next_due) {
    call_process();
    after_process();
    if (!rt_.errored && !rt_.finished && InputReadiness::all_ended(rt_.instance->inputs())) finish_stream();
    if (c.interval.count() != 0) {
      rt_.next_due += c.interval;
      if (rt_.next_due < now) rt_.next_due = now + c.interval;  // fell behind: skip, don't burst
    }
    return {};
  }
  return {Turn::Kind::kWait, Turn::Until::kCommands, rt_.next_due};
}

ProcessorCore::Turn ProcessorCore::run_reactive(const Reactive& r) {
  const std::vector<InputPortBase*>& inputs = rt_.instance->inputs();
  // Taken before deciding: an arrival (or an end) after this point changes the token, so the
  // wait returns at once instead of sleeping on a message decide() did not see.
  const std::uint64_t seen = InputReadiness::token(inputs);
  const InputReadiness::Decision d = rt_.readiness.decide(inputs, r, monotonic_now_ns());
  switch (d.verdict) {
    case InputReadiness::Verdict::kFinished:
      finish_stream();
      return {};
    case InputReadiness::Verdict::kReady: {
      const std::uint64_t before = InputReadiness::token(inputs);
      call_process();
      rt_.readiness.called(before, InputReadiness::token(rt_.instance->inputs()));
      input_stalls_.store(rt_.readiness.stalls(), std::memory_order_relaxed);
      after_process();
      return {};
    }
    case InputReadiness::Verdict::kWait:
      break;
  }
  // Wait until something readiness depends on changes (an arrival, an end, a link change), a
  // command arrives, or the live timeout of a waiting input runs out.
  Turn t{Turn::Kind::kWait, Turn::Until::kInputs};
  t.token = seen;
  if (d.deadline_ns) t.deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*d.deadline_ns));
  return t;
}

ProcessorCore::Turn ProcessorCore::run_manual() { return {Turn::Kind::kWait, Turn::Until::kRequest}; }

void ProcessorCore::run_one(Queued& q) {
  if (!q.done->begin()) return;  // cancelled: the control thread gave up on it
  Result<void> r;
  try {
    r = q.command(*this);
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "processor '{}': {}", node_.id,
                   what_was_thrown(std::current_exception()));
  }
  q.done->complete(std::move(r));
}

void ProcessorCore::run_commands() {
  std::deque<Queued> batch;
  {
    std::lock_guard lock(commands_mutex_);
    batch.swap(commands_);
    has_commands_.store(false, std::memory_order_relaxed);
    port_commands_.store(0, std::memory_order_relaxed);
    flush_pending_.store(0, std::memory_order_relaxed);
  }
  for (auto& q : batch) run_one(q);
}

void ProcessorCore::run_port_commands() {
  std::deque<Queued> batch;
  {
    std::lock_guard lock(commands_mutex_);
    for (auto it = commands_.begin(); it != commands_.end();) {
      if (it->scope == CommandScope::kPorts) {
        batch.push_back(std::move(*it));
        it = commands_.erase(it);
      } else {
        ++it;
      }
    }
    port_commands_.store(0, std::memory_order_relaxed);
    has_commands_.store(!commands_.empty(), std::memory_order_relaxed);
  }
  for (auto& q : batch) run_one(q);
}

bool ProcessorCore::inputs_have_data() const {
  for (InputPortBase* in : rt_.instance->inputs()) {
    if (in->has_data()) return true;
  }
  return false;
}

void ProcessorCore::call_process() {
  Result<void> r;
  in_process_.store(true, std::memory_order_relaxed);
  try {
    r = rt_.instance->process();
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "process() threw: {}", what_was_thrown(std::current_exception()));
  }
  process_calls_.store(process_calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  in_process_.store(false, std::memory_order_relaxed);
  if (!r) fail(r.error().message());
}

Result<void> ProcessorCore::call_setup() {
  Result<void> r;
  try {
    r = rt_.instance->setup(*this);
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "setup() threw: {}", what_was_thrown(std::current_exception()));
  }
  if (!r) {
    setup_error_code_.store(r.error().code(), std::memory_order_release);
    fail("setup failed: " + r.error().message());
    // The processor's own code is kept: a missing file or device (kNotFound) is the caller's
    // input, a device that refuses (kIo) is not, and a tool maps them to different exit codes.
    return make_error(Error(r.error().code(), fmt::format("processor '{}' ({}): setup failed: {}", node_.id, node_.type,
                                                          r.error().message())));
  }
  rt_.setup_ok = true;
  return {};
}

void ProcessorCore::call_teardown() {
  try {
    rt_.instance->teardown();
  } catch (...) {
    events_->publish(make_event(EventKind::kError, node_.id, {},
                                fmt::format("processor '{}' ({}): teardown threw: {}", node_.id, node_.type,
                                            what_was_thrown(std::current_exception()))));
  }
  rt_.setup_ok = false;
}

void ProcessorCore::mark_inputs_failed(bool failed) {
  for (InputPortBase* in : rt_.instance->inputs()) {
    if (in->channel()) in->channel()->set_consumer_failed(failed);
  }
}

void ProcessorCore::fail(const std::string& what) {
  rt_.errored = true;
  cycles_allowed_.store(false, std::memory_order_release);
  mark_inputs_failed(true);
  {
    std::lock_guard lock(report_mutex_);
    last_error_ = what;
  }
  // State first: whoever sees the error event then also sees the processor in Error.
  set_state(ProcessorState::kError, what);
  const Error error(ErrorCode::kProcessorFailed, fmt::format("processor '{}' ({}): {}", node_.id, node_.type, what));
  events_->publish(make_event(EventKind::kError, node_.id, {}, error.message()));
  if (finishes_) finishes_->processor_failed(node_.id, error);  // a failed sink will not finish otherwise
  // Then the end, with the error: what this fed finishes instead of waiting (after the tracker
  // has the failure, so the end of stream it leads to reports it).
  for (OutputPortBase* out : rt_.instance->outputs()) out->fail_stream(error);
}

void ProcessorCore::set_state(ProcessorState s, std::string message) {
  if (state_.exchange(s, std::memory_order_acq_rel) == s) return;
  events_->publish(make_event(EventKind::kProcessorStateChanged, node_.id, {}, std::move(message), s));
}

void ProcessorCore::apply_priority() {
  const PriorityResult result = apply_thread_priority(rt_.execution.priority);
  rt_.applied_priority = rt_.execution.priority;
  {
    std::lock_guard lock(report_mutex_);
    priority_applied_ = result.applied;
    priority_error_ = result.error;
  }
  if (!result.applied) {
    events_->publish(make_event(EventKind::kPriorityRefused, node_.id, {},
                                fmt::format("processor '{}': {} priority refused: {}", node_.id,
                                            enum_name(rt_.execution.priority), result.error)));
  }
}

std::optional<ProcessorCore::SchedTimes> ProcessorCore::sched_times() const {
  const pid_t tid = kernel_tid_.load();
  if (tid == 0 || exited_.load()) return std::nullopt;
  const std::string path = fmt::format("/proc/self/task/{}/schedstat", tid);
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  unsigned long long on_cpu = 0;
  unsigned long long waiting = 0;
  const int n = std::fscanf(f, "%llu %llu", &on_cpu, &waiting);
  std::fclose(f);
  if (n != 2) return std::nullopt;
  return SchedTimes{on_cpu, waiting};
}

std::string ProcessorCore::last_error() const {
  std::lock_guard lock(report_mutex_);
  return last_error_;
}

ProcessorStats ProcessorCore::stats() const {
  ProcessorStats s;
  s.id = node_.id;
  s.type = node_.type;
  s.state = state();
  s.process_calls = process_calls_.load(std::memory_order_relaxed);
  s.input_stalls = input_stalls_.load(std::memory_order_relaxed);
  s.missed_cycles = missed_cycles_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(report_mutex_);
    s.execution = execution_text_;
    s.priority = priority_;
    s.priority_applied = priority_applied_;
    s.priority_error = priority_error_;
    s.last_error = last_error_;
    if (rt_.instance) {
      try {
        s.metrics = rt_.instance->metrics();
      } catch (...) {
        s.metrics = {{"error", "metrics() threw: " + what_was_thrown(std::current_exception())}};
      }
      s.plug_discards = rt_.instance->plug_discards();
    }
  }
  if (pool_) s.cpu_time_ns = pooled_ns_.load(std::memory_order_relaxed);  // time on workers, sampled
  if (has_native_handle_.load() && !exited_.load()) {
    clockid_t cid;
    timespec ts{};
    if (pthread_getcpuclockid(native_handle_.load(), &cid) == 0 && clock_gettime(cid, &ts) == 0) {
      s.cpu_time_ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
    }
  }
  return s;
}

}  // namespace streamlib::internal
