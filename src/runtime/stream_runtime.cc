#include "streamlib/runtime/stream_runtime.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <mutex>
#include <unordered_map>

#include "executor/simple_executor.h"
#include "runtime/event_bus.h"
#include "runtime/signals.h"

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

// Everything behind StreamRuntime. One mutex serializes control operations: the desired graph,
// the executor and the state change only under it. Processor threads never take it.
class RuntimeImpl {
 public:
  explicit RuntimeImpl(RuntimeOptions o)
      : options(o),
        factory(o.factory ? o.factory : &ProcessorFactory::global()),
        mode(o.commit_mode),
        stopped_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

  ~RuntimeImpl() {
    if (live()) (void)stop();
    events->shutdown();
    if (stopped_fd >= 0) close(stopped_fd);
  }

  bool live() const {
    const RuntimeState s = state.load();
    return s == RuntimeState::kRunning || s == RuntimeState::kPaused;
  }

  void publish(EventKind kind, const ProcessorId& processor = {}, const LinkId& link = {}, std::string message = {}) {
    events->publish(make_event(kind, processor, link, std::move(message)));
  }

  // Applies what the mutations since the last sync touched (or everything after apply()).
  Result<void> sync() {
    if (!executor) return {};
    const Graph& running = executor->running_graph();
    GraphDelta delta = full_resync ? compute_delta(desired, running) : compute_delta(desired, running, dirty);
    dirty.clear();
    full_resync = false;
    if (delta.empty()) return {};
    Result<void> r = executor->apply(delta, desired);
    if (!r) {
      // Something did not apply (a timeout, a failed setup): let the next sync compare everything.
      full_resync = true;
      publish(EventKind::kError, {}, {}, r.error().message());
    }
    return r;
  }

  Result<void> maybe_sync() { return live() && mode == CommitMode::kAuto ? sync() : Result<void>{}; }

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
    STREAMLIB_RETURN_IF_ERROR(desired.add_processor(std::move(*node)));
    const ProcessorId pid(id);
    dirty.processors.insert(pid);
    publish(EventKind::kProcessorAdded, pid, {}, d->type_name);
    STREAMLIB_RETURN_IF_ERROR(maybe_sync());
    return pid;
  }

  Result<void> remove_processor(const ProcessorId& id) {
    if (!desired.find_processor(id)) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
    std::vector<LinkId> links;
    for (const Link* l : desired.links_from(id)) links.push_back(l->id);
    for (const Link* l : desired.links_to(id)) links.push_back(l->id);
    STREAMLIB_RETURN_IF_ERROR(desired.remove_processor(id));
    dirty.processors.insert(id);
    for (const LinkId& l : links) {
      dirty.links.insert(l);
      publish(EventKind::kLinkRemoved, {}, l);
    }
    publish(EventKind::kProcessorRemoved, id);
    return maybe_sync();
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
    auto added = desired.add_link(std::move(link));
    if (!added) return make_error(added.error().with_context(what));
    dirty.links.insert(*added);
    publish(EventKind::kLinkCreated, {}, *added, fmt::format("{} -> {}", from.str(), to.str()));
    STREAMLIB_RETURN_IF_ERROR(maybe_sync());
    return LinkHandle(*added);
  }

  Result<void> disconnect(const LinkId& id) {
    STREAMLIB_RETURN_IF_ERROR(desired.remove_link(id));
    dirty.links.insert(id);
    publish(EventKind::kLinkRemoved, {}, id);
    return maybe_sync();
  }

  Result<void> update_processor_config(const ProcessorId& id, const nlohmann::json& config) {
    const ProcessorNode* node = desired.find_processor(id);
    if (node == nullptr) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
    auto canonical = factory->canonical_config(node->type, config);
    if (!canonical)
      return make_error(canonical.error().with_context(fmt::format("processor '{}' ({})", id, node->type)));
    if (config_checksum(*canonical) == node->config_checksum) return {};
    nlohmann::json previous = node->config;
    STREAMLIB_RETURN_IF_ERROR(desired.set_processor_config(id, *canonical));
    dirty.processors.insert(id);
    Result<void> r = maybe_sync();
    if (!r && r.error().code() != ErrorCode::kTimeout && r.error().code() != ErrorCode::kProcessorFailed) {
      // The processor refused it and kept its old config: so does the graph.
      (void)desired.set_processor_config(id, std::move(previous));
      full_resync = false;
      return r;
    }
    publish(EventKind::kProcessorConfigUpdated, id, {}, canonical->dump());
    return r;
  }

  Result<void> update_link_config(const LinkId& id, const LinkConfig& config) {
    const Link* link = desired.find_link(id);
    if (link == nullptr) return make_error(ErrorCode::kNotFound, "no link '{}'", id);
    const LinkConfig before = link->config;
    STREAMLIB_RETURN_IF_ERROR(desired.update_link_config(id, config));
    if (desired.find_link(id)->config == before) return {};
    dirty.links.insert(id);
    publish(EventKind::kLinkUpdated, {}, id, to_string(desired.find_link(id)->config));
    return maybe_sync();
  }

  Result<void> apply(const Graph& next) {
    STREAMLIB_RETURN_IF_ERROR(next.validate());
    const GraphDelta changes = compute_delta(next, desired);
    for (const LinkId& l : changes.links_to_remove) publish(EventKind::kLinkRemoved, {}, l);
    for (const ProcessorId& p : changes.processors_to_remove) publish(EventKind::kProcessorRemoved, p);
    for (const ProcessorId& p : changes.processors_to_add) {
      publish(EventKind::kProcessorAdded, p, {}, next.find_processor(p)->type);
    }
    for (const LinkId& l : changes.links_to_add) publish(EventKind::kLinkCreated, {}, l);
    for (const auto& c : changes.processors_to_update) {
      publish(EventKind::kProcessorConfigUpdated, c.id, {}, c.new_config.dump());
    }
    for (const auto& c : changes.links_to_update) publish(EventKind::kLinkUpdated, {}, c.id, to_string(c.new_config));
    desired = next;
    full_resync = true;
    return maybe_sync();
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
    executor = std::make_unique<SimpleExecutor>(*factory, events, options.control_timeout, /*start_paused=*/false);
    full_resync = true;
    Result<void> r = sync();
    state.store(RuntimeState::kRunning);
    // Running either way: what could start runs (failure isolation); what could not is reported.
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
    dirty.clear();
    full_resync = true;
    state.store(RuntimeState::kIdle);
    publish(EventKind::kRuntimeStopped);
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
    return r;
  }

  void drain_stopped_fd() {
    std::uint64_t v;
    while (read(stopped_fd, &v, sizeof v) > 0) {
    }
  }

  RuntimeOptions options;
  ProcessorFactory* factory;
  mutable std::mutex mutex;
  Graph desired;                                              // GUARDED_BY(mutex)
  DeltaScope dirty;                                           // GUARDED_BY(mutex)
  bool full_resync = true;                                    // GUARDED_BY(mutex)
  CommitMode mode;                                            // GUARDED_BY(mutex)
  std::unique_ptr<SimpleExecutor> executor;                   // GUARDED_BY(mutex); set while running or paused
  std::unordered_map<std::string, std::uint64_t> next_index;  // GUARDED_BY(mutex)
  std::atomic<RuntimeState> state{RuntimeState::kIdle};
  std::shared_ptr<EventBus> events = std::make_shared<EventBus>();
  int stopped_fd;  // readable once the runtime has stopped (for wait_for_signal)
};

}  // namespace internal

StreamRuntime::StreamRuntime() : StreamRuntime(RuntimeOptions{}) {}
StreamRuntime::StreamRuntime(RuntimeOptions options) : impl_(std::make_unique<internal::RuntimeImpl>(options)) {}
StreamRuntime::~StreamRuntime() = default;

ProcessorFactory& StreamRuntime::factory() { return *impl_->factory; }

Result<ProcessorId> StreamRuntime::add_processor(std::string_view type, const nlohmann::json& config, std::string id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->add_processor(type, config, std::move(id));
}

Result<void> StreamRuntime::remove_processor(const ProcessorId& id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->remove_processor(id);
}

Result<LinkHandle> StreamRuntime::connect_addresses(const LinkPortAddress& from, const LinkPortAddress& to,
                                                    const LinkConfig& config) {
  std::lock_guard lock(impl_->mutex);
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
  std::lock_guard lock(impl_->mutex);
  return impl_->disconnect(link);
}

Result<void> StreamRuntime::update_processor_config(const ProcessorId& id, const nlohmann::json& config) {
  std::lock_guard lock(impl_->mutex);
  return impl_->update_processor_config(id, config);
}

Result<void> StreamRuntime::patch_processor_config(const ProcessorId& id, const nlohmann::json& patch) {
  std::lock_guard lock(impl_->mutex);
  const ProcessorNode* node = impl_->desired.find_processor(id);
  if (node == nullptr) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
  nlohmann::json merged = node->config;
  merged.merge_patch(patch);
  return impl_->update_processor_config(id, merged);
}

Result<void> StreamRuntime::update_link_config(const LinkId& link, const LinkConfig& config) {
  std::lock_guard lock(impl_->mutex);
  return impl_->update_link_config(link, config);
}

void StreamRuntime::set_commit_mode(CommitMode mode) {
  std::lock_guard lock(impl_->mutex);
  impl_->mode = mode;
  // Back to Auto: what was batched applies now.
  if (mode == CommitMode::kAuto) (void)impl_->maybe_sync();
}

CommitMode StreamRuntime::commit_mode() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->mode;
}

Result<void> StreamRuntime::commit() {
  std::lock_guard lock(impl_->mutex);
  return impl_->live() ? impl_->sync() : Result<void>{};
}

Result<void> StreamRuntime::apply(const Graph& desired) {
  std::lock_guard lock(impl_->mutex);
  return impl_->apply(desired);
}

bool StreamRuntime::has_pending_changes() const {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->executor) return !impl_->desired.empty();
  return !compute_delta(impl_->desired, impl_->executor->running_graph()).empty();
}

Result<void> StreamRuntime::start() {
  std::lock_guard lock(impl_->mutex);
  return impl_->start();
}

Result<void> StreamRuntime::stop() {
  std::lock_guard lock(impl_->mutex);
  return impl_->stop();
}

Result<void> StreamRuntime::pause() {
  std::lock_guard lock(impl_->mutex);
  return impl_->pause();
}

Result<void> StreamRuntime::resume() {
  std::lock_guard lock(impl_->mutex);
  return impl_->resume();
}

Result<void> StreamRuntime::restart() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->live()) STREAMLIB_RETURN_IF_ERROR(impl_->stop());
  return impl_->start();
}

RuntimeState StreamRuntime::state() const { return impl_->state.load(); }

Graph StreamRuntime::graph() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->desired;
}

RuntimeStats StreamRuntime::stats() const {
  std::lock_guard lock(impl_->mutex);
  RuntimeStats s;
  s.state = impl_->state.load();
  s.timestamp_ns = internal::monotonic_ns();
  if (impl_->executor) impl_->executor->collect_stats(s);
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
      std::lock_guard lock(impl_->mutex);
      return impl_->live() ? impl_->stop() : Result<void>{};
    }
    if (!impl_->live()) return {};
    // Wake on a signal, on stop() from another thread, or every 100 ms to re-check.
    (void)poll(fds, 2, 100);
  }
}

}  // namespace streamlib
