#include "executor/simple_executor.h"

#include "streamlib/internal/readiness.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace streamlib::internal {

namespace {
// How long shutdown() watches a processor whose stop timeout ran out before it calls it stuck
// (it tells a starved thread from a stuck one by what the thread did in that time).
constexpr std::chrono::milliseconds kStarvationProbe{200};
}  // namespace

Result<void> ApplyReport::to_result() const {
  if (failures.empty()) return {};
  if (failures.size() == 1) return make_error(failures.front().error);
  std::string text = fmt::format("{} changes failed: ", failures.size());
  for (std::size_t i = 0; i < failures.size(); ++i) {
    text += (i ? "; " : "") + failures[i].error.message();
  }
  return make_error(Error(failures.front().error.code(), std::move(text)));
}

SimpleExecutor::SimpleExecutor(const ProcessorFactory& factory, std::shared_ptr<EventBus> events,
                               std::shared_ptr<StatsView> view, Options options)
    : factory_(factory),
      events_(std::move(events)),
      view_(std::move(view)),
      options_(options),
      paused_(options.start_paused) {}

SimpleExecutor::~SimpleExecutor() {
  if (!exec_.processors().empty()) shutdown(std::chrono::milliseconds(2000));
  // The workers and the timer hold the pool: it goes only when they have been told to.
  if (options_.pool) options_.pool->shutdown(Clock::now() + std::chrono::milliseconds(100));
}

Result<void> SimpleExecutor::await(const ProcessorId& who, const std::shared_ptr<Completion>& done,
                                   Clock::time_point deadline, std::string_view what) {
  if (done->wait_until(deadline)) return done->result();
  if (done->cancel()) {
    return make_error(ErrorCode::kTimeout,
                      "{}: processor '{}' did not reach a safe point within {} ms (stuck in process()?)", what, who,
                      options_.control_timeout.count());
  }
  // It began just as the deadline passed: commands are short (a rebuild includes a setup).
  if (done->wait_until(Clock::now() + options_.setup_timeout)) return done->result();
  return make_error(ErrorCode::kTimeout, "{}: processor '{}' did not finish it within {} ms", what, who,
                    (options_.control_timeout + options_.setup_timeout).count());
}

// The six steps, in the order that keeps every port plugged and every link's ends alive.
ApplyReport SimpleExecutor::apply(const GraphDelta& delta, const Graph& desired, const ApplyOptions& options) {
  ApplyReport report;
  const std::unordered_set<ProcessorId> going(delta.processors_to_remove.begin(), delta.processors_to_remove.end());
  std::vector<std::shared_ptr<ProcessorCore>> spawned;
  // A link into (or out of) a port that a step-5 update creates waits for that update.
  std::vector<LinkId> now;
  std::vector<LinkId> after_update;
  std::unordered_set<ProcessorId> updating;
  for (const auto& c : delta.processors_to_update) updating.insert(c.id);
  for (const LinkId& id : delta.links_to_add) {
    const Link* l = desired.find_link(id);
    const ProcessorNode* src = l ? exec_.graph().find_processor(l->source.processor) : nullptr;
    const ProcessorNode* dst = l ? exec_.graph().find_processor(l->target.processor) : nullptr;
    const bool new_port = l && ((src && updating.count(src->id) && !src->find_output(l->source.port)) ||
                                (dst && updating.count(dst->id) && !dst->find_input(l->target.port)));
    (new_port ? after_update : now).push_back(id);
  }
  unwire_links(delta.links_to_remove, going, report);                            // 1
  remove_processors(delta.processors_to_remove, report);                         // 2
  spawn_processors(delta.processors_to_add, desired, options, spawned, report);  // 3
  wire_links(now, desired, report);                                              // 4
  update_processors(delta.processors_to_update, desired, report);                // 5
  wire_links(after_update, desired, report);                                     //   4, into new ports
  update_links(delta.links_to_update, report);                                   // 6
  // New processors start only now, with their links in place: a source's first frame has
  // somewhere to go. The caller sees them Running (or Paused) on return.
  if (options.release_only_if_all_applied && !report.failures.empty()) return report;
  for (const auto& core : spawned) {
    if (exec_.find_processor(core->id()) != nullptr) core->release(paused_);
  }
  return report;
}

void SimpleExecutor::unwire_links(const std::vector<LinkId>& ids, const std::unordered_set<ProcessorId>& going,
                                  ApplyReport& report) {
  struct Pending {
    LinkId link;
    ProcessorId processor;
    std::shared_ptr<Completion> done;
  };
  std::vector<Pending> pending;
  for (const LinkId& id : ids) {
    WiredLink* wired = exec_.find_link(id);
    if (wired == nullptr) continue;
    const Link& link = wired->link;
    // A processor about to be removed lets go of its links when it stops: no need to wait for
    // its safe point here (it may be a slow consumer whose producer must not wait for it).
    if (RunningProcessor* src = exec_.find_processor(link.source.processor); src && !going.count(src->core->id())) {
      pending.push_back(
          {id, link.source.processor,
           src->core->post([port = link.source.port, id](ProcessorCore& c) { return c.detach_output(port, id); },
                           CommandScope::kPorts)});
    }
    if (RunningProcessor* dst = exec_.find_processor(link.target.processor); dst && !going.count(dst->core->id())) {
      pending.push_back(
          {id, link.target.processor,
           dst->core->post([port = link.target.port, id](ProcessorCore& c) { return c.detach_input(port, id); },
                           CommandScope::kPorts)});
    }
  }
  const auto deadline = Clock::now() + options_.control_timeout;
  for (const Pending& p : pending) {
    if (auto r = await(p.processor, p.done, deadline, fmt::format("unwiring link '{}'", p.link)); !r) {
      report.failures.push_back({{}, p.link, r.error()});
    }
  }
  // Gone from the running graph either way: a side that did not answer in time has had its
  // command cancelled and keeps a channel nobody reads from or writes to any more.
  for (const LinkId& id : ids) {
    exec_.links().erase(id);
    view_->remove_link(id);
    if (exec_.graph().find_link(id)) (void)exec_.graph().remove_link(id);
  }
}

void SimpleExecutor::forget_processor(const ProcessorId& id) {
  exec_.processors().erase(id);
  view_->remove_processor(id);
  if (exec_.graph().find_processor(id)) (void)exec_.graph().remove_processor(id);
}

void SimpleExecutor::remove_processors(const std::vector<ProcessorId>& ids, ApplyReport& report) {
  std::vector<std::shared_ptr<ProcessorCore>> stopping;
  for (const ProcessorId& id : ids) {
    RunningProcessor* rp = exec_.find_processor(id);
    if (rp == nullptr) continue;
    rp->core->request_stop(/*drain=*/false);
    stopping.push_back(rp->core);
  }
  const auto deadline = Clock::now() + options_.control_timeout;
  for (const auto& core : stopping) {
    if (!core->join_until(deadline)) {
      core->abandon(fmt::format("did not stop within {} ms when removed (stuck in process()?)",
                                options_.control_timeout.count()));
      report.failures.push_back(
          {core->id(),
           {},
           Error(ErrorCode::kTimeout, fmt::format("processor '{}' did not stop within {} ms; abandoned", core->id(),
                                                  options_.control_timeout.count()))});
    }
  }
  for (const ProcessorId& id : ids) forget_processor(id);
  if (!stopping.empty()) exits_->discard();  // their exits need no answer
}

void SimpleExecutor::discard_processor(const std::shared_ptr<ProcessorCore>& core, std::string_view why_abandoned) {
  core->request_stop(/*drain=*/false);
  if (!core->join_until(Clock::now() + options_.control_timeout)) core->abandon(why_abandoned);
  forget_processor(core->id());
}

void SimpleExecutor::spawn_processors(const std::vector<ProcessorId>& ids, const Graph& desired,
                                      const ApplyOptions& options, std::vector<std::shared_ptr<ProcessorCore>>& spawned,
                                      ApplyReport& report) {
  std::vector<std::shared_ptr<ProcessorCore>> started;
  for (const ProcessorId& id : ids) {
    const ProcessorNode* node = desired.find_processor(id);
    if (node == nullptr) continue;
    Result<std::unique_ptr<ProcessorBase>> instance = make_error(ErrorCode::kInternal, "not created");
    try {
      instance = factory_.create(node->type, node->config);
    } catch (const std::exception& e) {
      instance = make_error(ErrorCode::kProcessorFailed, "constructing a {} threw: {}", node->type, e.what());
    } catch (...) {
      instance = make_error(ErrorCode::kProcessorFailed, "constructing a {} threw", node->type);
    }
    if (instance) {
      if (auto checked = check_inputs_ready((*instance)->execution_config()); !checked) {
        instance = make_error(checked.error().with_context(node->type));
      }
    }
    if (!instance) {
      report.failures.push_back({id, {}, instance.error().with_context(fmt::format("processor '{}'", id))});
      continue;
    }
    auto core = std::make_shared<ProcessorCore>(*node, std::move(*instance), factory_, events_, paused_, exits_,
                                                options_.finishes);
    if (options_.pool && !core->needs_own_thread()) {
      core->start_pooled(options_.pool);
    } else {
      core->start(&spares_);
    }
    exec_.processors().emplace(id, RunningProcessor{core});
    // The running graph leaves exclusive resources to the desired one, which checks them: within
    // one apply a new node may claim what a node still running gives up at a later step.
    ProcessorNode running_node = *node;
    running_node.exclusive_resources.clear();
    (void)exec_.graph().add_processor(std::move(running_node));
    view_->add_processor(core);
    started.push_back(std::move(core));
  }
  // Every setup() gets the setup deadline (opening a device or probing a file may take a
  // while), and a failing one is reported by the call that added it — "no such device" from
  // start(), not later.
  const auto deadline = Clock::now() + options_.setup_timeout;
  for (const auto& core : started) {
    if (!core->setup_done()->wait_until(deadline)) {
      const std::string why = fmt::format("setup() did not finish within {} ms", options_.setup_timeout.count());
      report.failures.push_back(
          {core->id(),
           {},
           Error(ErrorCode::kTimeout, fmt::format("processor '{}' ({}): {}", core->id(), core->node().type, why))});
      // Its thread is still inside setup(): it tears down and exits when setup returns.
      core->request_stop(false);
      core->abandon(why);
      forget_processor(core->id());
      continue;
    }
    if (core->state() == ProcessorState::kError) {
      report.failures.push_back({core->id(),
                                 {},
                                 Error(core->setup_error_code(), fmt::format("processor '{}' ({}): {}", core->id(),
                                                                             core->node().type, core->last_error()))});
      if (!options.keep_failed_processors) {
        discard_processor(core, "did not stop after its setup failed");
        continue;
      }
    }
    spawned.push_back(core);
  }
}

void SimpleExecutor::wire_links(const std::vector<LinkId>& ids, const Graph& desired, ApplyReport& report) {
  struct Wiring {
    Link link;
    std::shared_ptr<LinkChannelBase> channel;
    std::shared_ptr<ProcessorCore> producer;
    std::shared_ptr<ProcessorCore> consumer;
    std::shared_ptr<Completion> produced;
    std::shared_ptr<Completion> consumed;
  };
  std::vector<Wiring> wirings;
  for (const LinkId& id : ids) {
    const Link* link = desired.find_link(id);
    if (link == nullptr) continue;
    RunningProcessor* src = exec_.find_processor(link->source.processor);
    RunningProcessor* dst = exec_.find_processor(link->target.processor);
    if (src == nullptr || dst == nullptr) {
      report.failures.push_back({{},
                                 id,
                                 Error(ErrorCode::kFailedPrecondition,
                                       fmt::format("cannot wire link '{}': processor '{}' is not running", id,
                                                   src == nullptr ? link->source.processor : link->target.processor))});
      continue;
    }
    const ProcessorNode* src_node = desired.find_processor(link->source.processor);
    const PortInfo* port = src_node ? src_node->find_output(link->source.port) : nullptr;
    if (port == nullptr || port->make_channel == nullptr) {
      report.failures.push_back({{},
                                 id,
                                 Error(ErrorCode::kNotFound, fmt::format("cannot wire link '{}': no output port {}", id,
                                                                         link->source.str()))});
      continue;
    }
    auto channel = port->make_channel(id, link->source.str(), link->target.str(), link->config, dst->core->notifier(),
                                      src->core->notifier());
    Wiring w{*link, channel, src->core, dst->core, nullptr, nullptr};
    w.produced = src->core->post([port_name = link->source.port, id,
                                  channel](ProcessorCore& c) { return c.attach_output(port_name, id, channel); },
                                 CommandScope::kPorts);
    w.consumed = dst->core->post([port_name = link->target.port, id,
                                  channel](ProcessorCore& c) { return c.attach_input(port_name, id, channel); },
                                 CommandScope::kPorts);
    wirings.push_back(std::move(w));
  }
  // The consumer's side is waited for: it is usually a new, idle processor, and a consumer
  // that cannot take the link (stuck in process()) fails the change. The producer's side is
  // not: the producer is the busy one (a live source fanning out), and it attaches the link at
  // its next safe point — between two process() calls, between two links of a fan-out, or
  // while blocked in a push — which only a producer stuck in process() itself would delay;
  // every later command to it (a detach, a resize) queues behind the attach.
  const auto deadline = Clock::now() + options_.control_timeout;
  for (Wiring& w : wirings) {
    const std::string what = fmt::format("wiring link '{}'", w.link.id);
    Result<void> consumed = await(w.link.target.processor, w.consumed, deadline, what);
    if (!consumed) {
      // The producer may hold the channel (or will): take it back, after the attach.
      const LinkId id = w.link.id;
      (void)w.producer->post([port = w.link.source.port, id](ProcessorCore& c) { return c.detach_output(port, id); },
                             CommandScope::kPorts);
      report.failures.push_back({{}, w.link.id, consumed.error()});
      continue;
    }
    (void)exec_.graph().add_link(w.link);
    exec_.links().emplace(w.link.id, WiredLink{w.link, w.channel});
    view_->add_link(w.channel);
  }
}

void SimpleExecutor::update_processors(const std::vector<ProcessorConfigChange>& changes, const Graph& desired,
                                       ApplyReport& report) {
  struct Pending {
    const ProcessorConfigChange* change;
    std::shared_ptr<ProcessorCore> core;
    std::shared_ptr<ReconfigureOutcome> outcome;
    std::shared_ptr<Completion> done;
  };
  std::vector<Pending> pending;
  for (const auto& change : changes) {
    RunningProcessor* rp = exec_.find_processor(change.id);
    if (rp == nullptr) continue;
    auto outcome = std::make_shared<ReconfigureOutcome>();
    auto done = rp->core->post(
        [config = change.new_config, outcome](ProcessorCore& c) -> Result<void> {
          *outcome = c.reconfigure(config);
          return {};
        },
        CommandScope::kFlush);
    pending.push_back({&change, rp->core, outcome, done});
  }
  const auto deadline = Clock::now() + options_.control_timeout;
  for (const Pending& p : pending) {
    const ProcessorConfigChange& change = *p.change;
    if (auto r = await(change.id, p.done, deadline, "reconfigure"); !r) {
      report.failures.push_back({change.id, {}, r.error()});  // not applied: the old config stays
      continue;
    }
    switch (p.outcome->kind) {
      case ReconfigureOutcome::Kind::kRefused:
        report.failures.push_back(
            {change.id,
             {},
             Error(ErrorCode::kInvalidArgument,
                   fmt::format("processor '{}' refused the new config: {}", change.id, p.outcome->message))});
        continue;
      case ReconfigureOutcome::Kind::kFailed:
        report.failures.push_back(
            {change.id,
             {},
             Error(ErrorCode::kProcessorFailed, fmt::format("processor '{}' ({}) took the new config but failed: {}",
                                                            change.id, p.core->node().type, p.outcome->message))});
        break;  // it runs (in Error) with the new config
      case ReconfigureOutcome::Kind::kApplied:
        break;
    }
    const std::uint64_t checksum = config_checksum(change.new_config);
    const ProcessorNode* node = desired.find_processor(change.id);
    (void)exec_.graph().set_processor_config(change.id, change.new_config,
                                             node ? node->ports : exec_.graph().find_processor(change.id)->ports);
    p.core->set_node_config(change.new_config, checksum);
  }
}

void SimpleExecutor::update_links(const std::vector<LinkConfigChange>& changes, ApplyReport& report) {
  for (const auto& change : changes) {
    WiredLink* wired = exec_.find_link(change.id);
    if (wired == nullptr) continue;
    if (auto r = update_link(*wired, change.new_config); !r) report.failures.push_back({{}, change.id, r.error()});
  }
}

// Hands the link a new ring (see LinkChannel): the producer switches at its own next safe
// point — which a push blocked on this very link is — and the consumer moves on by itself when
// it has read the old ring to its end. Nobody is parked; the producer's other links keep
// flowing whatever the consumer is doing.
Result<void> SimpleExecutor::update_link(WiredLink& wired, const LinkConfig& config) {
  const Link& link = wired.link;
  RunningProcessor* src = exec_.find_processor(link.source.processor);
  RunningProcessor* dst = exec_.find_processor(link.target.processor);
  const LinkConfig before = wired.channel->config();
  const void* ring = wired.channel->prepare_resize(config);
  auto channel = wired.channel;
  const std::string what = fmt::format("updating link '{}'", link.id);
  if (src != nullptr) {
    auto done = src->core->post(
        [channel, ring](ProcessorCore&) -> Result<void> {
          channel->producer_switch(ring);
          return {};
        },
        CommandScope::kPorts);
    if (auto r = await(link.source.processor, done, Clock::now() + options_.control_timeout, what); !r) {
      wired.channel->abort_resize(ring);
      return make_error(r.error().with_context("link unchanged"));
    }
  }
  wired.channel->commit_resize(ring);
  const LinkConfig after = wired.channel->config();
  wired.link.config = after;
  (void)exec_.graph().update_link_config(link.id, after);
  // A smaller drop_oldest link discards its oldest excess at the consumer's next safe point;
  // nothing waits for that (the consumer may be slow, or stuck).
  if (dst != nullptr && *after.policy == LinkPolicy::kDropOldest && *after.capacity < *before.capacity) {
    (void)dst->core->post(
        [channel](ProcessorCore&) -> Result<void> {
          channel->consumer_trim();
          return {};
        },
        CommandScope::kPorts);
  }
  return {};
}

Result<void> SimpleExecutor::pause() {
  // Sources first, each acknowledged before the next: a processor blocked pushing into a
  // downstream link is freed by that (still running) downstream processor, so pausing never
  // deadlocks on a `block` link and never drops.
  auto order = exec_.graph().topological_order();
  Result<void> first;
  for (const ProcessorId& id : order ? *order : std::vector<ProcessorId>{}) {
    RunningProcessor* rp = exec_.find_processor(id);
    if (rp == nullptr) continue;
    auto done = rp->core->post([](ProcessorCore& c) { return c.set_paused(true); }, CommandScope::kInstance);
    if (auto r = await(id, done, Clock::now() + options_.control_timeout, "pause"); !r && first) first = r;
  }
  paused_ = true;
  return first;
}

Result<void> SimpleExecutor::resume() {
  auto order = exec_.graph().topological_order();
  std::vector<std::pair<ProcessorId, std::shared_ptr<Completion>>> pending;
  if (order) {
    for (auto it = order->rbegin(); it != order->rend(); ++it) {  // sinks first
      RunningProcessor* rp = exec_.find_processor(*it);
      if (rp == nullptr) continue;
      pending.emplace_back(
          *it, rp->core->post([](ProcessorCore& c) { return c.set_paused(false); }, CommandScope::kInstance));
    }
  }
  paused_ = false;
  Result<void> first;
  const auto deadline = Clock::now() + options_.control_timeout;
  for (const auto& [id, done] : pending) {
    if (auto r = await(id, done, deadline, "resume"); !r && first) first = r;
  }
  return first;
}

std::uint64_t SimpleExecutor::progress_of(const ProcessorId& id, const ProcessorCore& core) const {
  std::uint64_t progress = core.process_calls();
  // A message taken off one of its outputs counts too: a producer blocked in a push to a
  // consumer that is draining (slowly, on a loaded machine) is waiting, not stuck.
  for (const Link* l : exec_.graph().links_from(id)) {
    auto it = exec_.links().find(l->id);
    if (it != exec_.links().end()) {
      progress += it->second.channel->pushed_count() + it->second.channel->delivered_count();
    }
  }
  for (const Link* l : exec_.graph().links_to(id)) {
    auto it = exec_.links().find(l->id);
    if (it != exec_.links().end()) progress += it->second.channel->delivered_count();
  }
  return progress;
}

// Stops every processor in waves: a processor is asked to stop (draining its inputs) as soon
// as everything upstream of it has exited, so the whole graph stops in parallel, sources
// first, and sinks see everything that was produced. The timeout is per processor and measures
// standing still: one that makes no progress (no process() call, no message in or out) for
// `stop_timeout` is abandoned; a large graph that keeps moving is never cut short, and a thread
// that only waited for a CPU (the kernel's schedstat says so) is given a new timeout.
void SimpleExecutor::shutdown(std::chrono::milliseconds stop_timeout) {
  struct Stopping {
    std::uint64_t progress = 0;
    Clock::time_point since;
    // Taken when the timeout first runs out: the thread's schedstat then, to look again a
    // little later (see below).
    std::optional<ProcessorCore::SchedTimes> suspect;
    Clock::time_point suspect_since;
  };
  std::unordered_map<ProcessorId, std::size_t> upstream;  // links from processors still running
  for (const auto& [id, rp] : exec_.processors()) upstream.emplace(id, 0);
  for (const auto& [id, wl] : exec_.links()) {
    if (upstream.count(wl.link.source.processor)) ++upstream[wl.link.target.processor];
  }
  // Who is inside a process() call as the stop begins: one still in that same call when it is
  // asked has stood still since the start, and its timeout runs from there — a consumer stuck
  // behind (or in front of) a stuck producer is not given a second full timeout after it.
  // Only one that has moved nothing since (no call, no message on its links) counts as such.
  const Clock::time_point began = Clock::now();
  struct AtStart {
    std::uint64_t calls = 0;
    std::uint64_t progress = 0;
  };
  std::unordered_map<ProcessorId, AtStart> in_call_at_start;
  for (const auto& [id, rp] : exec_.processors()) {
    if (rp.core->in_process())
      in_call_at_start.emplace(id, AtStart{rp.core->process_calls(), progress_of(id, *rp.core)});
  }
  std::unordered_map<ProcessorId, Stopping> stopping;
  auto consumer_waiting_for_worker = [&](const ProcessorId& id) {
    for (const Link* l : exec_.graph().links_from(id)) {
      const RunningProcessor* c = exec_.find_processor(l->target.processor);
      if (c != nullptr && c->core->waiting_for_worker()) return true;
    }
    return false;
  };
  auto ask = [&](const ProcessorId& id) {
    RunningProcessor* rp = exec_.find_processor(id);
    if (rp == nullptr) return;
    rp->core->request_stop(/*drain=*/true);
    const auto at_start = in_call_at_start.find(id);
    const std::uint64_t progress = progress_of(id, *rp->core);
    const bool still = at_start != in_call_at_start.end() && rp->core->in_process() &&
                       rp->core->process_calls() == at_start->second.calls && progress == at_start->second.progress;
    stopping[id] = Stopping{progress, still ? began : Clock::now()};
  };
  for (const auto& [id, n] : upstream) {
    if (n == 0) ask(id);
  }
  // A processor is gone: its downstream may go next.
  auto gone = [&](const ProcessorId& id) {
    stopping.erase(id);
    for (const Link* l : exec_.graph().links_from(id)) {
      auto it = upstream.find(l->target.processor);
      if (it != upstream.end() && it->second > 0 && --it->second == 0) ask(l->target.processor);
    }
  };
  std::size_t remaining = exec_.processors().size();
  while (remaining > 0) {
    for (const ProcessorId& id : exits_->take(Clock::now() + std::chrono::milliseconds(20))) {
      RunningProcessor* rp = exec_.find_processor(id);
      if (rp == nullptr || !stopping.count(id)) continue;
      (void)rp->core->join_until(Clock::now() + std::chrono::seconds(1));
      gone(id);
      --remaining;
    }
    const auto now = Clock::now();
    std::vector<ProcessorId> stuck;
    for (auto& [id, s] : stopping) {
      RunningProcessor* rp = exec_.find_processor(id);
      if (rp->core->exited()) continue;  // its exit is on the board
      const std::uint64_t p = progress_of(id, *rp->core);
      if (p != s.progress) {
        s = Stopping{p, now};
      } else if (rp->core->waiting_for_worker()) {
        // Pooled and queued behind others (thousands draining at once on a few workers):
        // starved, not stuck — its timeout starts again.
        s = Stopping{p, now};
      } else if (now - s.since >= stop_timeout && rp->core->in_blocked_push() && consumer_waiting_for_worker(id)) {
        // Blocked in a push whose consumer is queued for a worker: it waits on a starved
        // consumer, not stuck itself. (A consumer stuck in process() is not queued, so a
        // producer blocked on it still keeps the deadline.)
        s = Stopping{p, now};
      } else if (now - s.since >= stop_timeout) {
        // Standing still, or never given a CPU? On a loaded machine (thousands of threads
        // draining at once, or other programs) a healthy thread can wait in the run queue
        // longer than the timeout. Look at its schedstat twice, kStarvationProbe apart: mostly
        // waiting for a CPU and barely run is starved (a new timeout from now); run without
        // progress (spinning in process()) or asleep (blocked in it) is stuck. No schedstat:
        // stuck, as before.
        const std::optional<ProcessorCore::SchedTimes> t = rp->core->sched_times();
        if (!t) {
          stuck.push_back(id);
        } else if (!s.suspect) {
          s.suspect = t;
          s.suspect_since = now;
        } else if (now - s.suspect_since >= kStarvationProbe) {
          const auto span = now - s.suspect_since;
          const auto waited = std::chrono::nanoseconds(t->run_queue_ns - s.suspect->run_queue_ns);
          const auto ran = std::chrono::nanoseconds(t->on_cpu_ns - s.suspect->on_cpu_ns);
          if (waited * 2 >= span && ran * 10 < span) {
            s = Stopping{p, now};
          } else {
            stuck.push_back(id);
          }
        }
      }
    }
    for (const ProcessorId& id : stuck) {
      exec_.find_processor(id)->core->abandon(
          fmt::format("made no progress for {} ms while stopping (stuck in process()?)", stop_timeout.count()));
      gone(id);
      --remaining;
    }
  }
  exec_.clear();
  view_->clear();
  // The workers go with the graph; one still inside an abandoned processor is left behind.
  if (options_.pool) options_.pool->shutdown(Clock::now() + std::chrono::milliseconds(100));
}

}  // namespace streamlib::internal
