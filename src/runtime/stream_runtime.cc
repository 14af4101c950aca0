#include "streamlib/runtime/stream_runtime.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "executor/simple_executor.h"
#include "executor/stats_view.h"
#include "runtime/event_bus.h"
#include "runtime/finish_tracker.h"
#include "runtime/signals.h"
#include "streamlib/internal/readiness.h"
#include "streamlib/log.h"

namespace streamlib {

namespace internal {

// "VideoTestSource" -> "video_test_source", "Mp4Writer" -> "mp4_writer".
std::string snake_case(std::string_view type) {
  std::string out;
  for (std::size_t i = 0; i < type.size(); ++i) {
    const char c = type[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    if (upper && i > 0) {
      const char prev = type[i - 1];
      const bool prev_lower_or_digit =
          std::islower(static_cast<unsigned char>(prev)) || std::isdigit(static_cast<unsigned char>(prev));
      const bool next_lower = i + 1 < type.size() && std::islower(static_cast<unsigned char>(type[i + 1]));
      if (prev_lower_or_digit || (std::isupper(static_cast<unsigned char>(prev)) && next_lower)) out += '_';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Everything behind StreamRuntime. `control` serializes control operations: the desired graph,
// the executor and the state change only under it. Readers never take it: graph() copies the
// desired graph under `graph_mutex` (held only while it is edited), stats() reads the
// StatsView. Processor threads take neither.
class RuntimeImpl {
 public:
  explicit RuntimeImpl(RuntimeOptions o)
      : options(o),
        factory(o.factory ? o.factory : &ProcessorFactory::global()),
        mode(o.commit_mode),
        stopped_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        wake_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

  ~RuntimeImpl() {
    {
      std::lock_guard lock(control);
      if (live()) (void)stop();
    }
    events->shutdown();
    if (stopped_fd >= 0) close(stopped_fd);
    if (wake_fd >= 0) close(wake_fd);
  }

  bool live() const {
    const RuntimeState s = state.load();
    return s == RuntimeState::kRunning || s == RuntimeState::kPaused || s == RuntimeState::kFinished;
  }

  // The tracker's answer changed (any thread): Running <-> Finished. Only the thread whose
  // exchange succeeds announces it, so the event is published once per transition.
  void finish_changed() {
    if (tracker->all_done()) {
      RuntimeState expected = RuntimeState::kRunning;
      if (state.compare_exchange_strong(expected, RuntimeState::kFinished)) {
        const std::optional<Error> failure = tracker->first_failure();
        publish(EventKind::kEndOfStream, {}, {},
                failure ? "every sink has finished; " + failure->message() : "every sink has finished");
        notify_waiters();
      }
    } else {
      RuntimeState expected = RuntimeState::kFinished;
      (void)state.compare_exchange_strong(expected, RuntimeState::kRunning);
    }
  }

  // The end of stream came, or the runtime stopped.
  void notify_waiters() {
    { std::lock_guard lock(wait_mutex); }
    wait_cv.notify_all();
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd, &one, sizeof one);
  }

  void publish(EventKind kind, const ProcessorId& processor = {}, const LinkId& link = {}, std::string message = {}) {
    events->publish(make_event(kind, processor, link, std::move(message)));
  }

  // Edits the desired graph under graph_mutex (readers copy it under the same lock).
  template <class F>
  auto edit(F&& f) {
    std::lock_guard lock(graph_mutex);
    return f(desired);
  }

  // Applies what the mutations since the last sync touched (or everything after apply() and
  // start()). Afterwards the desired graph equals what runs: whatever failed is rolled back.
  // `announce`: publish graph-change events for what applied (not at start(): the graph was
  // announced as it was built).
  Result<void> sync(const ApplyOptions& apply_options = {}, bool announce = true) {
    if (!executor) return {};
    const Graph& running = executor->running_graph();
    GraphDelta delta = full_resync ? compute_delta(desired, running) : compute_delta(desired, running, dirty);
    dirty.clear();
    full_resync = false;
    if (delta.empty()) return {};
    std::vector<ProcessorId> touched = FinishTracker::touched_by(running, delta);
    const ApplyReport report = executor->apply(delta, desired, apply_options);
    reconcile(delta);
    for (const LinkId& id : delta.links_to_add) {
      if (const Link* l = running.find_link(id)) touched.push_back(l->source.processor);
    }
    tracker->update_graph(running, touched);
    if (announce) announce_applied(delta);
    for (const ApplyFailure& f : report.failures) publish(EventKind::kError, f.processor, f.link, f.error.message());
    return report.to_result();
  }

  // Makes every element `delta` named in the desired graph what the running graph has: an
  // element that failed to be added goes, one whose update failed gets its running config back.
  void reconcile(const GraphDelta& delta) {
    const Graph& running = executor->running_graph();
    std::lock_guard lock(graph_mutex);
    auto processor = [&](const ProcessorId& id) {
      const ProcessorNode* r = running.find_processor(id);
      const ProcessorNode* d = desired.find_processor(id);
      if (r == nullptr) {
        if (d != nullptr) (void)desired.remove_processor(id);
      } else if (d != nullptr && d->config_checksum != r->config_checksum) {
        // The running graph keeps no exclusive resources (SimpleExecutor): take them from the
        // config again.
        auto back = factory->make_node(id, r->type, r->config);
        if (!back || !desired.set_processor_config(id, r->config, r->ports, back->exclusive_resources)) {
          (void)desired.set_processor_config(id, r->config, r->ports);
        }
      }
    };
    for (const ProcessorId& id : delta.processors_to_add) processor(id);
    for (const auto& c : delta.processors_to_update) processor(c.id);
    auto link = [&](const LinkId& id) {
      const Link* r = running.find_link(id);
      const Link* d = desired.find_link(id);
      if (r == nullptr) {
        if (d != nullptr) (void)desired.remove_link(id);
      } else if (d != nullptr && d->config != r->config) {
        (void)desired.update_link_config(id, r->config);
      }
    };
    for (const LinkId& id : delta.links_to_add) link(id);
    for (const auto& c : delta.links_to_update) link(c.id);
  }

  // Graph-change events for what `delta` changed in the running graph (as applied).
  void announce_applied(const GraphDelta& delta) {
    const Graph& running = executor->running_graph();
    for (const LinkId& l : delta.links_to_remove) publish(EventKind::kLinkRemoved, {}, l);
    for (const ProcessorId& p : delta.processors_to_remove) publish(EventKind::kProcessorRemoved, p);
    for (const ProcessorId& p : delta.processors_to_add) {
      if (const ProcessorNode* n = running.find_processor(p)) publish(EventKind::kProcessorAdded, p, {}, n->type);
    }
    for (const LinkId& l : delta.links_to_add) {
      if (const Link* link = running.find_link(l)) {
        publish(EventKind::kLinkCreated, {}, l, fmt::format("{} -> {}", link->source.str(), link->target.str()));
      }
    }
    for (const auto& c : delta.processors_to_update) {
      const ProcessorNode* n = running.find_processor(c.id);
      if (n != nullptr && n->config == c.new_config) {
        publish(EventKind::kProcessorConfigUpdated, c.id, {}, c.new_config.dump());
      }
    }
    for (const auto& c : delta.links_to_update) {
      const Link* l = running.find_link(c.id);
      if (l != nullptr && l->config == c.new_config) publish(EventKind::kLinkUpdated, {}, c.id, to_string(l->config));
    }
  }

  // After a mutation: applied now (Auto, live), or announced now (idle: nothing runs, the graph
  // is what changed), or left for commit() (Manual, live).
  Result<void> after_mutation(const std::function<void()>& announce_idle) {
    if (!live()) {
      announce_idle();
      return {};
    }
    return mode == CommitMode::kAuto ? sync() : Result<void>{};
  }

  Result<ProcessorId> add_processor(std::string_view type, const nlohmann::json& config, std::string id) {
    STREAMLIB_ASSIGN_OR_RETURN(const ProcessorDescriptor* d, factory->lookup(type));
    if (id.empty()) {
      const std::string base = snake_case(d->type_name);
      std::uint64_t& n = next_index[base];
      while (desired.find_processor(ProcessorId(fmt::format("{}_{}", base, n)))) ++n;
      id = fmt::format("{}_{}", base, n++);
    } else if (!is_valid_processor_id(id)) {
      return make_error(ErrorCode::kInvalidArgument, "'{}' is not a valid processor id (letters, digits, '_' and '-')",
                        id);
    } else if (desired.find_processor(ProcessorId(id))) {
      return make_error(ErrorCode::kAlreadyExists, "duplicate processor id '{}'", id);
    }
    auto node = factory->make_node(ProcessorId(id), type, config);
    if (!node) return make_error(node.error().with_context(fmt::format("processor '{}' ({})", id, d->type_name)));
    if (d->prototype) {  // as declared; a mode that depends on the config is checked when it starts
      if (auto r = internal::check_inputs_ready(d->prototype->execution_config()); !r) {
        return make_error(r.error().with_context(fmt::format("processor '{}' ({})", id, d->type_name)));
      }
    }
    const ProcessorId pid(id);
    STREAMLIB_RETURN_IF_ERROR(edit([&](Graph& g) { return g.add_processor(std::move(*node)); }));
    dirty.processors.insert(pid);
    STREAMLIB_RETURN_IF_ERROR(
        after_mutation([&] { publish(EventKind::kProcessorAdded, pid, {}, std::string(d->type_name)); }));
    return pid;
  }

  Result<void> remove_processor(const ProcessorId& id) {
    if (!desired.find_processor(id)) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
    std::vector<LinkId> links;
    for (const Link* l : desired.links_from(id)) links.push_back(l->id);
    for (const Link* l : desired.links_to(id)) links.push_back(l->id);
    STREAMLIB_RETURN_IF_ERROR(edit([&](Graph& g) { return g.remove_processor(id); }));
    dirty.processors.insert(id);
    for (const LinkId& l : links) dirty.links.insert(l);
    return after_mutation([&] {
      for (const LinkId& l : links) publish(EventKind::kLinkRemoved, {}, l);
      publish(EventKind::kProcessorRemoved, id);
    });
  }

  Result<LinkHandle> connect(const LinkPortAddress& from, const LinkPortAddress& to, const LinkConfig& config) {
    const std::string what = fmt::format("cannot connect {} -> {}", from.str(), to.str());
    if (auto v = config.validate(); !v) return make_error(v.error().with_context(what));
    Link link{default_link_id(from, to), from, to, config};
    if (desired.find_processor(from.processor) && desired.find_processor(to.processor)) {
      if (auto cycle = desired.would_close_cycle(from.processor, to.processor)) {
        std::string text;
        for (const auto& p : *cycle) text += (text.empty() ? "" : " -> ") + p.str();
        return make_error(ErrorCode::kCycle, "{}: cycle: {}", what, text);
      }
    }
    auto added = edit([&](Graph& g) { return g.add_link(std::move(link)); });
    if (!added) return make_error(added.error().with_context(what));
    dirty.links.insert(*added);
    STREAMLIB_RETURN_IF_ERROR(after_mutation(
        [&] { publish(EventKind::kLinkCreated, {}, *added, fmt::format("{} -> {}", from.str(), to.str())); }));
    return LinkHandle(*added);
  }

  Result<void> disconnect(const LinkId& id) {
    STREAMLIB_RETURN_IF_ERROR(edit([&](Graph& g) { return g.remove_link(id); }));
    dirty.links.insert(id);
    return after_mutation([&] { publish(EventKind::kLinkRemoved, {}, id); });
  }

  Result<void> update_processor_config(const ProcessorId& id, const nlohmann::json& config) {
    const ProcessorNode* node = desired.find_processor(id);
    if (node == nullptr) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
    // The canonical config and the ports it gives (a processor's ports may follow its config).
    auto next = factory->make_node(id, node->type, config);
    if (!next) return make_error(next.error().with_context(fmt::format("processor '{}' ({})", id, node->type)));
    if (next->config_checksum == node->config_checksum) return {};
    auto gone = edit(
        [&](Graph& g) { return g.set_processor_config(id, next->config, next->ports, next->exclusive_resources); });
    if (!gone) return make_error(gone.error());
    // Links to ports the new config does not have are removed with it (and reported).
    dirty.processors.insert(id);
    for (const LinkId& l : *gone) dirty.links.insert(l);
    return after_mutation([&] {
      for (const LinkId& l : *gone) publish(EventKind::kLinkRemoved, {}, l, "its port is gone with the new config");
      publish(EventKind::kProcessorConfigUpdated, id, {}, next->config.dump());
    });
  }

  Result<void> update_link_config(const LinkId& id, const LinkConfig& config) {
    const Link* link = desired.find_link(id);
    if (link == nullptr) return make_error(ErrorCode::kNotFound, "no link '{}'", id);
    const LinkConfig before = link->config;
    STREAMLIB_RETURN_IF_ERROR(edit([&](Graph& g) { return g.update_link_config(id, config); }));
    const LinkConfig after = desired.find_link(id)->config;
    if (after == before) return {};
    dirty.links.insert(id);
    return after_mutation([&] { publish(EventKind::kLinkUpdated, {}, id, to_string(after)); });
  }

  Result<void> apply(const Graph& next) {
    STREAMLIB_RETURN_IF_ERROR(next.validate());
    const GraphDelta changes = compute_delta(next, desired);
    edit([&](Graph& g) { g = next; });
    full_resync = true;
    return after_mutation([&] {
      for (const LinkId& l : changes.links_to_remove) publish(EventKind::kLinkRemoved, {}, l);
      for (const ProcessorId& p : changes.processors_to_remove) publish(EventKind::kProcessorRemoved, p);
      for (const ProcessorId& p : changes.processors_to_add) {
        publish(EventKind::kProcessorAdded, p, {}, next.find_processor(p)->type);
      }
      for (const LinkId& l : changes.links_to_add) {
        const Link* link = next.find_link(l);
        publish(EventKind::kLinkCreated, {}, l, fmt::format("{} -> {}", link->source.str(), link->target.str()));
      }
      for (const auto& c : changes.processors_to_update) {
        publish(EventKind::kProcessorConfigUpdated, c.id, {}, c.new_config.dump());
      }
      for (const auto& c : changes.links_to_update) {
        publish(EventKind::kLinkUpdated, {}, c.id, to_string(c.new_config));
      }
    });
  }

  // RuntimeOptions::executor, else the graph's, else STREAMLIB_EXECUTOR, else threads.
  ExecutorKind executor_kind() const {
    if (options.executor) return *options.executor;
    if (desired.executor()) return desired.executor()->kind;
    const char* env = std::getenv("STREAMLIB_EXECUTOR");
    if (env == nullptr || *env == '\0') return ExecutorKind::kThreads;
    if (auto kind = enum_from_name<ExecutorKind>(env)) return *kind;
    log::write(log::Level::kWarning, "runtime",
               fmt::format("STREAMLIB_EXECUTOR: '{}' is not an executor ({}); using threads", env,
                           enum_choices<ExecutorKind>()));
    return ExecutorKind::kThreads;
  }

  Result<void> start() {
    if (state.load() != RuntimeState::kIdle) {
      return make_error(ErrorCode::kFailedPrecondition, "cannot start: runtime is {}", enum_name(state.load()));
    }
    if (auto valid = desired.validate(); !valid) {
      publish(EventKind::kRuntimeFailed, {}, {}, valid.error().message());
      return valid;
    }
    state.store(RuntimeState::kStarting);
    publish(EventKind::kRuntimeStarting);
    drain_stopped_fd();
    SimpleExecutor::Options executor_options{options.control_timeout, options.setup_timeout,
                                             /*start_paused=*/false, tracker};
    if (executor_kind() == ExecutorKind::kPool) {
      unsigned workers = options.workers;
      if (workers == 0 && desired.executor()) workers = desired.executor()->workers;
      executor_options.pool = std::make_shared<WorkerPool>(workers);
      executor_options.pool->start();
    }
    executor = std::make_unique<SimpleExecutor>(*factory, events, view, std::move(executor_options));
    full_resync = true;
    // A processor whose setup fails stays, in Error: what could start runs (failure isolation),
    // what could not is reported.
    state.store(RuntimeState::kRunning);  // before anything can finish
    Result<void> r =
        sync(ApplyOptions{.keep_failed_processors = true, .release_only_if_all_applied = options.all_or_nothing_start},
             /*announce=*/false);
    if (!r && options.all_or_nothing_start) {
      // Nothing was released: stop what was set up (teardown only, no finish) and stay idle.
      publish(EventKind::kRuntimeFailed, {}, {}, r.error().message());
      (void)stop();
      return r;
    }
    finish_changed();  // a graph whose sinks all finished (or failed) during start
    if (!r) publish(EventKind::kRuntimeFailed, {}, {}, r.error().message());
    publish(EventKind::kRuntimeStarted);
    return r;
  }

  Result<void> stop() {
    if (!live())
      return make_error(ErrorCode::kFailedPrecondition, "cannot stop: runtime is {}", enum_name(state.load()));
    state.store(RuntimeState::kStopping);
    publish(EventKind::kRuntimeStopping);
    executor->shutdown(options.stop_timeout);
    executor.reset();
    view->clear();
    tracker->clear();
    dirty.clear();
    full_resync = true;
    state.store(RuntimeState::kIdle);
    publish(EventKind::kRuntimeStopped);
    notify_waiters();
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stopped_fd, &one, sizeof one);
    return {};
  }

  Result<void> pause() {
    if (state.load() != RuntimeState::kRunning) {
      return make_error(ErrorCode::kFailedPrecondition, "cannot pause: runtime is {}", enum_name(state.load()));
    }
    Result<void> r = executor->pause();
    state.store(RuntimeState::kPaused);
    publish(EventKind::kRuntimePaused);
    return r;
  }

  Result<void> resume() {
    if (state.load() != RuntimeState::kPaused) {
      return make_error(ErrorCode::kFailedPrecondition, "cannot resume: runtime is {}", enum_name(state.load()));
    }
    Result<void> r = executor->resume();
    state.store(RuntimeState::kRunning);
    publish(EventKind::kRuntimeResumed);
    finish_changed();  // sinks may have finished (or gone) while paused
    return r;
  }

  void drain_stopped_fd() {
    std::uint64_t v;
    while (read(stopped_fd, &v, sizeof v) > 0) {
    }
  }

  RuntimeOptions options;
  ProcessorFactory* factory;
  mutable std::mutex control;
  mutable std::mutex graph_mutex;
  Graph desired;                                              // written under control + graph_mutex
  DeltaScope dirty;                                           // GUARDED_BY(control)
  bool full_resync = true;                                    // GUARDED_BY(control)
  CommitMode mode;                                            // GUARDED_BY(control)
  std::unique_ptr<Executor> executor;                         // GUARDED_BY(control); set while running or paused
  std::unordered_map<std::string, std::uint64_t> next_index;  // GUARDED_BY(control)
  std::shared_ptr<StatsView> view = std::make_shared<StatsView>();
  std::shared_ptr<FinishTracker> tracker = std::make_shared<FinishTracker>([this](bool) { finish_changed(); });
  std::mutex wait_mutex;  // for wait_until_finished()
  std::condition_variable wait_cv;
  std::atomic<RuntimeState> state{RuntimeState::kIdle};
  std::shared_ptr<EventBus> events = std::make_shared<EventBus>();
  int stopped_fd;  // readable once the runtime has stopped (for wait_for_signal)
  int wake_fd;     // readable after notify_waiters() (for run_until)
};

}  // namespace internal

StreamRuntime::StreamRuntime() : StreamRuntime(RuntimeOptions{}) {}
StreamRuntime::StreamRuntime(RuntimeOptions options) : impl_(std::make_unique<internal::RuntimeImpl>(options)) {}
StreamRuntime::~StreamRuntime() = default;

ProcessorFactory& StreamRuntime::factory() { return *impl_->factory; }

Result<ProcessorId> StreamRuntime::add_processor(std::string_view type, const nlohmann::json& config, std::string id) {
  std::lock_guard lock(impl_->control);
  return impl_->add_processor(type, config, std::move(id));
}

Result<void> StreamRuntime::remove_processor(const ProcessorId& id) {
  std::lock_guard lock(impl_->control);
  return impl_->remove_processor(id);
}

Result<LinkHandle> StreamRuntime::connect_addresses(const LinkPortAddress& from, const LinkPortAddress& to,
                                                    const LinkConfig& config) {
  std::lock_guard lock(impl_->control);
  return impl_->connect(from, to, config);
}

Result<LinkHandle> StreamRuntime::connect(std::string_view from, std::string_view to, LinkConfig config) {
  auto a = LinkPortAddress::parse(from);
  if (!a) return make_error(a.error().with_context("connect: from"));
  auto b = LinkPortAddress::parse(to);
  if (!b) return make_error(b.error().with_context("connect: to"));
  return connect_addresses(*a, *b, config);
}

Result<void> StreamRuntime::disconnect(const LinkId& link) {
  std::lock_guard lock(impl_->control);
  return impl_->disconnect(link);
}

Result<void> StreamRuntime::update_processor_config(const ProcessorId& id, const nlohmann::json& config) {
  std::lock_guard lock(impl_->control);
  return impl_->update_processor_config(id, config);
}

Result<void> StreamRuntime::patch_processor_config(const ProcessorId& id, const nlohmann::json& patch) {
  std::lock_guard lock(impl_->control);
  const ProcessorNode* node = impl_->desired.find_processor(id);
  if (node == nullptr) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
  nlohmann::json merged = node->config;
  merged.merge_patch(patch);
  return impl_->update_processor_config(id, merged);
}

Result<void> StreamRuntime::update_link_config(const LinkId& link, const LinkConfig& config) {
  std::lock_guard lock(impl_->control);
  return impl_->update_link_config(link, config);
}

Result<void> StreamRuntime::set_commit_mode(CommitMode mode) {
  std::lock_guard lock(impl_->control);
  impl_->mode = mode;
  // Back to Auto: what was batched applies now.
  if (mode == CommitMode::kAuto && impl_->live()) return impl_->sync();
  return {};
}

CommitMode StreamRuntime::commit_mode() const {
  std::lock_guard lock(impl_->control);
  return impl_->mode;
}

Result<void> StreamRuntime::commit() {
  std::lock_guard lock(impl_->control);
  return impl_->live() ? impl_->sync() : Result<void>{};
}

Result<void> StreamRuntime::apply(const Graph& desired) {
  std::lock_guard lock(impl_->control);
  return impl_->apply(desired);
}

bool StreamRuntime::has_pending_changes() const {
  std::lock_guard lock(impl_->control);
  if (!impl_->executor) return !impl_->desired.empty();
  return !compute_delta(impl_->desired, impl_->executor->running_graph()).empty();
}

Result<void> StreamRuntime::start() {
  std::lock_guard lock(impl_->control);
  return impl_->start();
}

Result<void> StreamRuntime::stop() {
  std::lock_guard lock(impl_->control);
  return impl_->stop();
}

Result<void> StreamRuntime::pause() {
  std::lock_guard lock(impl_->control);
  return impl_->pause();
}

Result<void> StreamRuntime::resume() {
  std::lock_guard lock(impl_->control);
  return impl_->resume();
}

Result<void> StreamRuntime::restart() {
  std::lock_guard lock(impl_->control);
  if (impl_->live()) STREAMLIB_RETURN_IF_ERROR(impl_->stop());
  return impl_->start();
}

RuntimeState StreamRuntime::state() const { return impl_->state.load(); }

Result<void> StreamRuntime::wait_until_finished(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->wait_mutex);
  const bool ended = impl_->wait_cv.wait_for(lock, timeout, [&] {
    const RuntimeState s = impl_->state.load();
    return s == RuntimeState::kFinished || s == RuntimeState::kIdle;
  });
  if (!ended) {
    return make_error(ErrorCode::kTimeout, "the pipeline did not reach its end within {} ms", timeout.count());
  }
  if (impl_->state.load() != RuntimeState::kFinished) {
    return make_error(ErrorCode::kFailedPrecondition, "the runtime is not running (stopped before the end)");
  }
  if (std::optional<Error> failure = impl_->tracker->first_failure()) return make_error(std::move(*failure));
  return {};
}

Result<void> StreamRuntime::run_until(const RunUntil& until, RunEnd* end_out) {
  if (!impl_->live()) return make_error(ErrorCode::kFailedPrecondition, "run_until: the runtime is not running");
  using Clock = std::chrono::steady_clock;
  std::optional<internal::SignalWatch> watch;
  if (until.signals) watch.emplace();
  auto drain = [](int fd) {
    std::uint64_t v;
    while (read(fd, &v, sizeof v) > 0) {
    }
  };
  drain(impl_->wake_fd);  // wakes meant for an earlier call
  pollfd fds[2] = {{impl_->wake_fd, POLLIN, 0}, {watch ? watch->fd() : -1, POLLIN, 0}};
  const auto poll_interval = std::max(until.poll_interval, std::chrono::milliseconds(1));
  Clock::time_point next_poll = Clock::now() + poll_interval;
  RunEnd end = RunEnd::kStopped;
  for (;;) {
    if (watch && watch->fired()) {
      drain(watch->fd());
      end = internal::SignalWatch::last_signal() == SIGTERM ? RunEnd::kTerminated : RunEnd::kInterrupted;
      break;
    }
    if (!impl_->live()) {
      end = RunEnd::kStopped;
      break;
    }
    if (until.end_of_stream && impl_->state.load() == RuntimeState::kFinished) {
      end = RunEnd::kEndOfStream;
      break;
    }
    const Clock::time_point now = Clock::now();
    if (until.deadline && now >= *until.deadline) {
      end = RunEnd::kDeadline;
      break;
    }
    if (until.keep_going && now >= next_poll) {
      if (!until.keep_going()) {
        end = RunEnd::kCaller;
        break;
      }
      next_poll = Clock::now() + poll_interval;
    }
    // Wake on the end of stream, a stop, a signal, the deadline, the next poll, or after
    // 100 ms to look again (another watch may have drained the signal descriptor).
    Clock::time_point wake = now + std::chrono::milliseconds(100);
    if (until.deadline) wake = std::min(wake, *until.deadline);
    if (until.keep_going) wake = std::min(wake, next_poll);
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    (void)poll(fds, watch ? 2 : 1, static_cast<int>(std::max<std::int64_t>(ms, 0)));
  }
  if (end_out != nullptr) *end_out = end;
  if (std::optional<Error> failure = impl_->tracker->first_failure()) return make_error(std::move(*failure));
  return {};
}

Graph StreamRuntime::graph() const {
  std::lock_guard lock(impl_->graph_mutex);
  return impl_->desired;
}

RuntimeStats StreamRuntime::stats() const {
  RuntimeStats s;
  s.state = impl_->state.load();
  s.timestamp_ns = internal::monotonic_ns();
  impl_->view->collect(s);
  return s;
}

SubscriptionId StreamRuntime::subscribe(EventCallback callback) {
  return impl_->events->subscribe(std::move(callback));
}

bool StreamRuntime::unsubscribe(SubscriptionId id) { return impl_->events->unsubscribe(id); }

Result<void> StreamRuntime::wait_for_signal() {
  if (!impl_->live()) return make_error(ErrorCode::kFailedPrecondition, "wait_for_signal: the runtime is not running");
  internal::SignalWatch watch;
  pollfd fds[2] = {{watch.fd(), POLLIN, 0}, {impl_->stopped_fd, POLLIN, 0}};
  for (;;) {
    if (watch.fired()) {
      std::uint64_t v;
      while (read(watch.fd(), &v, sizeof v) > 0) {
      }
      std::lock_guard lock(impl_->control);
      return impl_->live() ? impl_->stop() : Result<void>{};
    }
    if (!impl_->live()) return {};
    // Wake on a signal, on stop() from another thread, or every 100 ms to re-check.
    (void)poll(fds, 2, 100);
  }
}

}  // namespace streamlib
