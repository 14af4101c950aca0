#include "executor/simple_executor.h"

#include <algorithm>

namespace streamlib::internal {

namespace {
using Clock = std::chrono::steady_clock;

void keep_first(Result<void>& first, Result<void> r) {
  if (first && !r) first = std::move(r);
}
}  // namespace

SimpleExecutor::SimpleExecutor(const ProcessorFactory& factory, std::shared_ptr<EventBus> events,
                               std::chrono::milliseconds control_timeout, bool start_paused)
    : factory_(factory), events_(std::move(events)), control_timeout_(control_timeout), paused_(start_paused) {}

SimpleExecutor::~SimpleExecutor() {
  if (!exec_.processors().empty()) shutdown(std::chrono::milliseconds(2000));
}

Result<void> SimpleExecutor::wait_all(const std::vector<Pending>& pending, std::string_view what) {
  const auto deadline = Clock::now() + control_timeout_;
  Result<void> first;
  for (const Pending& p : pending) {
    if (!p.done->wait_until(deadline)) {
      keep_first(first, make_error(ErrorCode::kTimeout,
                                   "{}: processor '{}' did not reach a safe point within {} ms (stuck in process()?)",
                                   what, p.processor, control_timeout_.count()));
      continue;
    }
    keep_first(first, p.done->result());
  }
  return first;
}

// The six steps, in the order that keeps every port plugged and every link's ends alive.
Result<void> SimpleExecutor::apply(const GraphDelta& delta, const Graph& desired) {
  Result<void> first;
  std::vector<std::shared_ptr<ProcessorCore>> spawned;
  keep_first(first, unwire_links(delta.links_to_remove));                          // 1
  keep_first(first, remove_processors(delta.processors_to_remove));                // 2
  keep_first(first, spawn_processors(delta.processors_to_add, desired, spawned));  // 3
  keep_first(first, wire_links(delta.links_to_add, desired));                      // 4
  keep_first(first, update_processors(delta.processors_to_update));                // 5
  keep_first(first, update_links(delta.links_to_update));                          // 6
  // New processors start only now, with their links in place: a source's first frame has
  // somewhere to go. Waiting for it means the caller sees them Running (or Paused) on return.
  std::vector<Pending> released;
  for (const auto& core : spawned) released.push_back({core->id(), core->release()});
  keep_first(first, wait_all(released, "release"));
  return first;
}

Result<void> SimpleExecutor::unwire_links(const std::vector<LinkId>& ids) {
  std::vector<Pending> pending;
  for (const LinkId& id : ids) {
    WiredLink* wired = exec_.find_link(id);
    if (wired == nullptr) continue;
    const Link link = wired->link;
    if (RunningProcessor* src = exec_.find_processor(link.source.processor)) {
      pending.push_back({link.source.processor, src->core->post([port = link.source.port, id](ProcessorCore& c) {
                           return c.detach_output(port, id);
                         })});
    }
    if (RunningProcessor* dst = exec_.find_processor(link.target.processor)) {
      pending.push_back({link.target.processor, dst->core->post([port = link.target.port, id](ProcessorCore& c) {
                           return c.detach_input(port, id);
                         })});
    }
  }
  Result<void> r = wait_all(pending, "unwire");
  for (const LinkId& id : ids) {
    exec_.links().erase(id);
    if (exec_.graph().find_link(id)) (void)exec_.graph().remove_link(id);
  }
  return r;
}

Result<void> SimpleExecutor::remove_processors(const std::vector<ProcessorId>& ids) {
  std::vector<std::shared_ptr<ProcessorCore>> stopping;
  for (const ProcessorId& id : ids) {
    RunningProcessor* rp = exec_.find_processor(id);
    if (rp == nullptr) continue;
    rp->core->request_stop(/*drain=*/false);
    stopping.push_back(rp->core);
  }
  Result<void> first;
  const auto deadline = Clock::now() + control_timeout_;
  for (const auto& core : stopping) {
    if (!core->join_until(deadline)) {
      keep_first(first, make_error(ErrorCode::kTimeout, "processor '{}' did not stop within {} ms; abandoned",
                                   core->id(), control_timeout_.count()));
    }
  }
  for (const ProcessorId& id : ids) {
    exec_.processors().erase(id);
    if (exec_.graph().find_processor(id)) (void)exec_.graph().remove_processor(id);
  }
  return first;
}

Result<void> SimpleExecutor::spawn_processors(const std::vector<ProcessorId>& ids, const Graph& desired,
                                              std::vector<std::shared_ptr<ProcessorCore>>& spawned) {
  Result<void> first;
  for (const ProcessorId& id : ids) {
    const ProcessorNode* node = desired.find_processor(id);
    if (node == nullptr) continue;
    auto instance = factory_.create(node->type, node->config);
    if (!instance) {
      keep_first(first, make_error(instance.error().with_context(fmt::format("processor '{}'", id))));
      continue;
    }
    auto core = std::make_shared<ProcessorCore>(*node, std::move(*instance), factory_, events_, paused_);
    core->start();
    exec_.processors().emplace(id, RunningProcessor{core});
    (void)exec_.graph().add_processor(*node);
    spawned.push_back(std::move(core));
  }
  // Wait for every setup() (commands run only after it) so a failing one is reported by the
  // call that added it — "no such device" from start(), not later.
  std::vector<Pending> ready;
  for (const auto& core : spawned) {
    ready.push_back({core->id(), core->post([](ProcessorCore&) -> Result<void> { return {}; })});
  }
  keep_first(first, wait_all(ready, "setup"));
  for (const auto& core : spawned) {
    if (core->state() == ProcessorState::kError) {
      keep_first(first, make_error(ErrorCode::kProcessorFailed, "processor '{}' ({}): {}", core->id(),
                                   core->node().type, core->stats().last_error));
    }
  }
  return first;
}

Result<void> SimpleExecutor::wire_links(const std::vector<LinkId>& ids, const Graph& desired) {
  struct Wiring {
    Link link;
    std::shared_ptr<LinkChannelBase> channel;
    std::shared_ptr<Completion> producer;
    std::shared_ptr<Completion> consumer;
  };
  Result<void> first;
  std::vector<Wiring> wirings;
  for (const LinkId& id : ids) {
    const Link* link = desired.find_link(id);
    if (link == nullptr) continue;
    RunningProcessor* src = exec_.find_processor(link->source.processor);
    RunningProcessor* dst = exec_.find_processor(link->target.processor);
    if (src == nullptr || dst == nullptr) {
      keep_first(first,
                 make_error(ErrorCode::kFailedPrecondition, "cannot wire link '{}': processor '{}' is not running", id,
                            src == nullptr ? link->source.processor : link->target.processor));
      continue;
    }
    const ProcessorDescriptor* d = factory_.find(src->core->node().type);
    const OutputPortBase* port = d ? d->prototype->find_output(link->source.port) : nullptr;
    if (port == nullptr) {
      keep_first(first,
                 make_error(ErrorCode::kNotFound, "cannot wire link '{}': no output port {}", id, link->source.str()));
      continue;
    }
    auto channel = port->make_channel(id, link->source.str(), link->target.str(), link->config, dst->core->notifier());
    Wiring w{*link, channel, nullptr, nullptr};
    w.producer = src->core->post([port_name = link->source.port, id, channel](ProcessorCore& c) {
      return c.attach_output(port_name, id, channel);
    });
    w.consumer = dst->core->post([port_name = link->target.port, id, channel](ProcessorCore& c) {
      return c.attach_input(port_name, id, channel);
    });
    wirings.push_back(std::move(w));
  }
  const auto deadline = Clock::now() + control_timeout_;
  for (Wiring& w : wirings) {
    const bool producer_done = w.producer->wait_until(deadline);
    const bool consumer_done = w.consumer->wait_until(deadline);
    Result<void> r;
    if (!producer_done || !consumer_done) {
      r = make_error(ErrorCode::kTimeout, "wiring link '{}': processor '{}' did not reach a safe point within {} ms",
                     w.link.id, !producer_done ? w.link.source.processor : w.link.target.processor,
                     control_timeout_.count());
    } else if (auto p = w.producer->result(); !p) {
      r = std::move(p);
    } else if (auto c = w.consumer->result(); !c) {
      r = std::move(c);
    }
    // The link counts as wired once either end holds the channel; a failed end is retried by
    // nothing, so undo the other one to keep both ports plugged consistently.
    if (!r && producer_done && consumer_done) {
      const LinkId id = w.link.id;
      if (w.producer->result()) {
        exec_.find_processor(w.link.source.processor)->core->post([port = w.link.source.port, id](ProcessorCore& c) {
          return c.detach_output(port, id);
        });
      }
      if (w.consumer->result()) {
        exec_.find_processor(w.link.target.processor)->core->post([port = w.link.target.port, id](ProcessorCore& c) {
          return c.detach_input(port, id);
        });
      }
      keep_first(first, std::move(r));
      continue;
    }
    keep_first(first, std::move(r));
    (void)exec_.graph().add_link(w.link);
    exec_.links().emplace(w.link.id, WiredLink{w.link, w.channel});
  }
  return first;
}

Result<void> SimpleExecutor::update_processors(const std::vector<ProcessorConfigChange>& changes) {
  std::vector<Pending> pending;
  std::vector<const ProcessorConfigChange*> posted;
  for (const auto& change : changes) {
    RunningProcessor* rp = exec_.find_processor(change.id);
    if (rp == nullptr) continue;
    pending.push_back(
        {change.id, rp->core->post([config = change.new_config](ProcessorCore& c) { return c.reconfigure(config); })});
    posted.push_back(&change);
  }
  Result<void> first;
  const auto deadline = Clock::now() + control_timeout_;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const ProcessorConfigChange& change = *posted[i];
    if (!pending[i].done->wait_until(deadline)) {
      keep_first(first,
                 make_error(ErrorCode::kTimeout, "reconfigure: processor '{}' did not reach a safe point within {} ms",
                            change.id, control_timeout_.count()));
      continue;
    }
    Result<void> r = pending[i].done->result();
    if (!r && r.error().code() != ErrorCode::kProcessorFailed) {
      // Refused by on_config_change: the processor keeps its old config.
      keep_first(first, make_error(r.error().code(), "processor '{}' refused the new config: {}", change.id,
                                   r.error().message()));
      continue;
    }
    // Applied (or rebuilt and failed in setup, which leaves it in Error with the new config).
    const std::uint64_t checksum = config_checksum(change.new_config);
    (void)exec_.graph().set_processor_config(change.id, change.new_config);
    exec_.find_processor(change.id)->core->set_node_config(change.new_config, checksum);
    keep_first(first, std::move(r));
  }
  return first;
}

Result<void> SimpleExecutor::update_links(const std::vector<LinkConfigChange>& changes) {
  Result<void> first;
  for (const auto& change : changes) {
    WiredLink* wired = exec_.find_link(change.id);
    if (wired == nullptr) continue;
    keep_first(first, update_link(*wired, change.new_config));
  }
  return first;
}

// Parks the link's producer and consumer at a safe point together, rebuilds the ring with the
// new config (queued messages keep their order; see LinkChannel::reconfigure), releases them.
Result<void> SimpleExecutor::update_link(WiredLink& wired, const LinkConfig& config) {
  const Link& link = wired.link;
  RunningProcessor* src = exec_.find_processor(link.source.processor);
  RunningProcessor* dst = exec_.find_processor(link.target.processor);
  auto rendezvous = std::make_shared<ParkRendezvous>();
  auto producer_parked = std::make_shared<Completion>();
  auto consumer_parked = std::make_shared<Completion>();
  auto park = [rendezvous](std::shared_ptr<Completion> arrived) {
    return [rendezvous, arrived](ProcessorCore&) -> Result<void> {
      rendezvous->park(*arrived);
      return {};
    };
  };
  // Producer first: if it is blocked pushing into this link, the consumer (still running)
  // drains it free.
  if (src) src->core->post(park(producer_parked));
  const auto deadline = Clock::now() + control_timeout_;
  const bool producer_ok = src == nullptr || producer_parked->wait_until(deadline);
  if (dst) dst->core->post(park(consumer_parked));
  const bool consumer_ok = dst == nullptr || consumer_parked->wait_until(deadline);
  if (!producer_ok || !consumer_ok) {
    rendezvous->release();  // a late arrival passes straight through
    return make_error(ErrorCode::kTimeout,
                      "updating link '{}': processor '{}' did not reach a safe point within {} ms; link unchanged",
                      link.id, !producer_ok ? link.source.processor : link.target.processor, control_timeout_.count());
  }
  wired.channel->reconfigure(config);
  wired.link.config = wired.channel->config();
  rendezvous->release();
  (void)exec_.graph().update_link_config(link.id, wired.link.config);
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
    keep_first(first, wait_all({{id, rp->core->post([](ProcessorCore& c) { return c.set_paused(true); })}}, "pause"));
  }
  paused_ = true;
  return first;
}

Result<void> SimpleExecutor::resume() {
  auto order = exec_.graph().topological_order();
  std::vector<Pending> pending;
  if (order) {
    for (auto it = order->rbegin(); it != order->rend(); ++it) {  // sinks first
      RunningProcessor* rp = exec_.find_processor(*it);
      if (rp == nullptr) continue;
      pending.push_back({*it, rp->core->post([](ProcessorCore& c) { return c.set_paused(false); })});
    }
  }
  paused_ = false;
  return wait_all(pending, "resume");
}

void SimpleExecutor::shutdown(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto order = exec_.graph().topological_order();
  std::vector<ProcessorId> ids = order ? *order : std::vector<ProcessorId>{};
  // Sources first; each processor drains what upstream left on its inputs before it ends, so
  // sinks see (and files get) everything that was produced.
  std::size_t next = 0;
  for (; next < ids.size() && Clock::now() < deadline; ++next) {
    RunningProcessor* rp = exec_.find_processor(ids[next]);
    if (rp == nullptr) continue;
    rp->core->request_stop(/*drain=*/true);
    (void)rp->core->join_until(deadline);
  }
  // Out of time (a processor was stuck): stop the rest at once, without draining.
  if (next < ids.size()) {
    const auto grace = Clock::now() + std::chrono::milliseconds(200);
    for (std::size_t i = next; i < ids.size(); ++i) {
      if (RunningProcessor* rp = exec_.find_processor(ids[i])) rp->core->request_stop(/*drain=*/false);
    }
    for (std::size_t i = next; i < ids.size(); ++i) {
      if (RunningProcessor* rp = exec_.find_processor(ids[i])) (void)rp->core->join_until(grace);
    }
  }
  exec_.clear();
}

void SimpleExecutor::collect_stats(RuntimeStats& out) const {
  for (const auto& [id, rp] : exec_.processors()) out.processors.push_back(rp.core->stats());
  for (const auto& [id, wl] : exec_.links()) out.links.push_back(wl.channel->stats());
  std::sort(out.processors.begin(), out.processors.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::sort(out.links.begin(), out.links.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

}  // namespace streamlib::internal
