#include "executor/processor_core.h"

#include <pthread.h>

#include <ctime>
#include <exception>

#include "runtime/thread_priority.h"
#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

// --- Completion / ParkRendezvous ------------------------------------------------------------

void Completion::complete(Result<void> result) {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
    result_ = std::move(result);
  }
  cv_.notify_all();
}

bool Completion::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return cv_.wait_until(lock, deadline, [&] { return done_; });
}

Result<void> Completion::result() const {
  std::lock_guard lock(mutex_);
  return result_;
}

void ParkRendezvous::park(Completion& arrived) {
  arrived.complete();
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return released_; });
}

void ParkRendezvous::release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  cv_.notify_all();
}

// --- ProcessorCore --------------------------------------------------------------------------

ProcessorCore::ProcessorCore(ProcessorNode node, std::unique_ptr<ProcessorBase> instance,
                             const ProcessorFactory& factory, std::shared_ptr<EventBus> events, bool start_paused)
    : node_(std::move(node)), factory_(factory), events_(std::move(events)) {
  rt_.instance = std::move(instance);
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

void ProcessorCore::start() {
  thread_ = std::thread([self = shared_from_this()] { self->thread_main(); });
}

std::shared_ptr<Completion> ProcessorCore::release() {
  return post([](ProcessorCore& core) -> Result<void> {
    core.rt_.released = true;
    core.rt_.next_due = std::chrono::steady_clock::now();
    if (core.rt_.setup_ok && !core.rt_.errored) {
      core.set_state(core.rt_.paused ? ProcessorState::kPaused : ProcessorState::kRunning);
    }
    return {};
  });
}

std::shared_ptr<Completion> ProcessorCore::post(Command command) {
  auto done = std::make_shared<Completion>();
  {
    std::lock_guard lock(commands_mutex_);
    commands_.emplace_back(std::move(command), done);
    has_commands_.store(true, std::memory_order_relaxed);
  }
  notifier_->notify();
  return done;
}

void ProcessorCore::request_stop(bool drain) {
  if (!drain) stop_requested_.store(true, std::memory_order_relaxed);
  post([drain](ProcessorCore& core) -> Result<void> {
    core.rt_.stop = true;
    core.rt_.drain = drain;
    return {};
  });
}

bool ProcessorCore::join_until(std::chrono::steady_clock::time_point deadline) {
  if (!thread_.joinable()) return true;
  {
    std::unique_lock lock(exit_mutex_);
    exit_cv_.wait_until(lock, deadline, [&] { return exited_.load(); });
  }
  if (exited_.load()) {
    thread_.join();
    return true;
  }
  // Stuck in process() (or in a callback): give up on it. Its blocked pushes are cancelled and
  // its thread keeps this core alive until it returns.
  stop_requested_.store(true, std::memory_order_relaxed);
  notifier_->notify();
  thread_.detach();
  events_->publish(make_event(
      EventKind::kError, node_.id, {},
      fmt::format("processor '{}' ({}) did not stop in time (stuck in process()?); abandoned", node_.id, node_.type)));
  return false;
}

void ProcessorCore::set_node_config(nlohmann::json config, std::uint64_t checksum) {
  node_.config = std::move(config);
  node_.config_checksum = checksum;
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

Result<void> ProcessorCore::reconfigure(const nlohmann::json& config) {
  // A processor in Error (or whose setup failed) is rebuilt: a new config is its way back.
  if (!rt_.setup_ok || rt_.errored) return rebuild(config);
  Result<void> r;
  try {
    r = rt_.instance->reconfigure_json(config);
  } catch (const std::exception& e) {
    r = make_error(ErrorCode::kProcessorFailed, "on_config_change threw: {}", e.what());
  }
  if (!r && r.error().code() == ErrorCode::kUnsupported) return rebuild(config);
  if (!r) return r;
  rt_.execution = rt_.instance->execution_config();
  std::lock_guard lock(report_mutex_);
  execution_text_ = to_string(rt_.execution.mode);
  return {};
}

Result<void> ProcessorCore::rebuild(const nlohmann::json& config) {
  STREAMLIB_ASSIGN_OR_RETURN(std::unique_ptr<ProcessorBase> fresh, factory_.create(node_.type, config));
  // Keep the links: collect them from the old instance, move them to the new one.
  std::vector<std::tuple<std::string, LinkId, std::shared_ptr<LinkChannelBase>>> ins;
  std::vector<std::tuple<std::string, LinkId, std::shared_ptr<LinkChannelBase>>> outs;
  for (InputPortBase* in : rt_.instance->inputs()) {
    if (in->is_connected()) ins.emplace_back(in->name(), in->link_id(), in->channel());
  }
  for (OutputPortBase* out : rt_.instance->outputs()) {
    for (auto& [id, ch] : out->attached()) outs.emplace_back(out->name(), id, ch);
  }
  if (rt_.setup_ok) call_teardown();
  std::unique_ptr<ProcessorBase> old;
  {
    std::lock_guard lock(report_mutex_);
    old = std::exchange(rt_.instance, std::move(fresh));
    rt_.execution = rt_.instance->execution_config();
    execution_text_ = to_string(rt_.execution.mode);
    last_error_.clear();
  }
  old.reset();
  rt_.setup_ok = false;
  rt_.errored = false;
  for (auto& [port, id, ch] : ins) {
    if (InputPortBase* p = rt_.instance->find_input(port)) (void)p->attach(id, ch);
  }
  for (auto& [port, id, ch] : outs) {
    if (OutputPortBase* p = rt_.instance->find_output(port)) (void)p->attach(id, ch);
  }
  STREAMLIB_RETURN_IF_ERROR(call_setup());
  mark_inputs_failed(false);
  rt_.next_due = std::chrono::steady_clock::now();
  if (rt_.released) set_state(rt_.paused ? ProcessorState::kPaused : ProcessorState::kRunning);
  return {};
}

Result<void> ProcessorCore::set_paused(bool paused) {
  if (rt_.paused == paused) return {};
  rt_.paused = paused;
  if (rt_.setup_ok && !rt_.errored) {
    try {
      if (paused) {
        rt_.instance->on_pause();
      } else {
        rt_.instance->on_resume();
      }
    } catch (const std::exception& e) {
      fail(fmt::format("{} threw: {}", paused ? "on_pause" : "on_resume", e.what()));
    }
  }
  if (!paused) rt_.next_due = std::chrono::steady_clock::now();
  if (rt_.released && rt_.setup_ok && !rt_.errored) {
    set_state(paused ? ProcessorState::kPaused : ProcessorState::kRunning);
  }
  return {};
}

// --- The thread -----------------------------------------------------------------------------

void ProcessorCore::thread_main() {
  t_cancel_blocking = &stop_requested_;
  native_handle_.store(pthread_self());
  has_native_handle_.store(true);
  {
    std::string name = node_.id.str().substr(0, 15);  // the kernel's limit
    pthread_setname_np(pthread_self(), name.c_str());
  }
  apply_priority();
  (void)call_setup();

  for (;;) {
    if (has_commands_.load(std::memory_order_relaxed)) run_commands();
    if (rt_.stop) break;
    if (!rt_.released || rt_.paused || rt_.errored || !rt_.setup_ok) {
      notifier_->wait([&] { return has_commands_.load(std::memory_order_relaxed); });
      continue;
    }
    if (const auto* c = std::get_if<Continuous>(&rt_.execution.mode)) {
      if (c->interval.count() == 0) {
        call_process();
        continue;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= rt_.next_due) {
        call_process();
        rt_.next_due += c->interval;
        if (rt_.next_due < now) rt_.next_due = now + c->interval;  // fell behind: skip, don't burst
      } else {
        notifier_->wait([&] { return has_commands_.load(std::memory_order_relaxed); }, rt_.next_due);
      }
    } else if (std::holds_alternative<Reactive>(rt_.execution.mode)) {
      if (inputs_have_data()) {
        call_process();
      } else {
        notifier_->wait([&] { return has_commands_.load(std::memory_order_relaxed) || inputs_have_data(); });
      }
    } else {  // Manual
      if (process_requested_.exchange(false, std::memory_order_relaxed)) {
        call_process();
      } else {
        notifier_->wait([&] {
          return has_commands_.load(std::memory_order_relaxed) || process_requested_.load(std::memory_order_relaxed);
        });
      }
    }
  }

  // Graceful stop: process what is still queued on the inputs (upstream has stopped already).
  if (rt_.drain && rt_.released && rt_.setup_ok && !rt_.errored && !rt_.instance->inputs().empty()) {
    for (int guard = 0; guard < 1'000'000 && !rt_.errored && inputs_have_data(); ++guard) call_process();
  }
  stop_requested_.store(true, std::memory_order_relaxed);
  if (!rt_.errored) set_state(ProcessorState::kStopping);
  if (rt_.setup_ok) call_teardown();
  set_state(ProcessorState::kStopped);

  // Whatever was posted after the stop will never run: answer it.
  {
    std::lock_guard lock(commands_mutex_);
    for (auto& [cmd, done] : commands_) {
      done->complete(make_error(ErrorCode::kFailedPrecondition, "processor '{}' has stopped", node_.id));
    }
    commands_.clear();
  }
  t_cancel_blocking = nullptr;
  {
    std::lock_guard lock(exit_mutex_);
    exited_.store(true);
  }
  exit_cv_.notify_all();
}

void ProcessorCore::run_commands() {
  std::deque<std::pair<Command, std::shared_ptr<Completion>>> batch;
  {
    std::lock_guard lock(commands_mutex_);
    batch.swap(commands_);
    has_commands_.store(false, std::memory_order_relaxed);
  }
  for (auto& [cmd, done] : batch) {
    Result<void> r;
    try {
      r = cmd(*this);
    } catch (const std::exception& e) {
      r = make_error(ErrorCode::kProcessorFailed, "processor '{}': {}", node_.id, e.what());
    }
    done->complete(std::move(r));
  }
}

bool ProcessorCore::inputs_have_data() const {
  for (InputPortBase* in : rt_.instance->inputs()) {
    if (in->has_data()) return true;
  }
  return false;
}

void ProcessorCore::call_process() {
  Result<void> r;
  try {
    r = rt_.instance->process();
  } catch (const std::exception& e) {
    r = make_error(ErrorCode::kProcessorFailed, "process() threw: {}", e.what());
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "process() threw a non-standard exception");
  }
  process_calls_.store(process_calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (!r) fail(r.error().message());
}

Result<void> ProcessorCore::call_setup() {
  Result<void> r;
  try {
    r = rt_.instance->setup(*this);
  } catch (const std::exception& e) {
    r = make_error(ErrorCode::kProcessorFailed, "setup() threw: {}", e.what());
  } catch (...) {
    r = make_error(ErrorCode::kProcessorFailed, "setup() threw a non-standard exception");
  }
  if (!r) {
    fail("setup failed: " + r.error().message());
    return make_error(ErrorCode::kProcessorFailed, "processor '{}' ({}): setup failed: {}", node_.id, node_.type,
                      r.error().message());
  }
  rt_.setup_ok = true;
  return {};
}

void ProcessorCore::call_teardown() {
  try {
    rt_.instance->teardown();
  } catch (const std::exception& e) {
    events_->publish(
        make_event(EventKind::kError, node_.id, {},
                   fmt::format("processor '{}' ({}): teardown threw: {}", node_.id, node_.type, e.what())));
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
  mark_inputs_failed(true);
  {
    std::lock_guard lock(report_mutex_);
    last_error_ = what;
  }
  // State first: whoever sees the error event then also sees the processor in Error.
  set_state(ProcessorState::kError, what);
  events_->publish(
      make_event(EventKind::kError, node_.id, {}, fmt::format("processor '{}' ({}): {}", node_.id, node_.type, what)));
}

void ProcessorCore::set_state(ProcessorState s, std::string message) {
  if (state_.exchange(s, std::memory_order_acq_rel) == s) return;
  events_->publish(make_event(EventKind::kProcessorStateChanged, node_.id, {}, std::move(message), s));
}

void ProcessorCore::apply_priority() {
  const PriorityResult result = apply_thread_priority(rt_.execution.priority);
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

ProcessorStats ProcessorCore::stats() const {
  ProcessorStats s;
  s.id = node_.id;
  s.type = node_.type;
  s.state = state();
  s.process_calls = process_calls_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(report_mutex_);
    s.execution = execution_text_;
    s.priority = priority_;
    s.priority_applied = priority_applied_;
    s.priority_error = priority_error_;
    s.last_error = last_error_;
    if (rt_.instance) s.metrics = rt_.instance->metrics();
  }
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
