#include "streamlib/processor.h"

#include <algorithm>

#include "streamlib/link/link_channel.h"

namespace streamlib {

std::string to_string(const ExecutionMode& mode) {
  if (const auto* c = std::get_if<Continuous>(&mode)) {
    return c->interval.count() ? fmt::format("continuous({}us)", c->interval.count()) : "continuous";
  }
  if (const auto* r = std::get_if<Reactive>(&mode)) {
    if (r->inputs == InputsReady::kAny) return "reactive";
    return fmt::format("reactive({})", enum_name(r->inputs));
  }
  return "manual";
}

std::int64_t monotonic_now_ns() { return internal::monotonic_ns(); }

DrivenCycle::~DrivenCycle() {
  if (lock_ != nullptr) context_->end_cycle(lock_);
}

Result<void> ProcessorBase::refresh_ports() {
  std::fill(claimed_.begin(), claimed_.end(), false);
  Result<void> r = declare_ports();
  if (!r) {
    std::fill(claimed_.begin(), claimed_.end(), true);  // keep every port as it was
    return r;
  }
  for (std::size_t i = dynamic_ports_.size(); i-- > 0;) {
    if (claimed_[i]) continue;
    PortBase* gone = dynamic_ports_[i].get();
    std::erase(inputs_, gone);
    std::erase(outputs_, gone);
    dynamic_ports_.erase(dynamic_ports_.begin() + static_cast<std::ptrdiff_t>(i));
    claimed_.erase(claimed_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return {};
}

InputPortBase* ProcessorBase::find_input(std::string_view name) const {
  for (InputPortBase* p : inputs_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

OutputPortBase* ProcessorBase::find_output(std::string_view name) const {
  for (OutputPortBase* p : outputs_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

InputPortBase::InputPortBase(ProcessorBase* owner, PortInfo info) : PortBase(std::move(info)) {
  owner->inputs_.push_back(this);
}

bool InputPortBase::detach(const LinkId& id) {
  if (!channel_ || link_id_ != id) return false;
  if (draining_) {
    retired_ = std::move(channel_);  // the running drain() still uses it
  } else {
    channel_.reset();
  }
  channel_ = nullptr;
  link_id_ = LinkId();
  ++generation_;
  on_detach();
  return true;
}

OutputPortBase::OutputPortBase(ProcessorBase* owner, PortInfo info) : PortBase(std::move(info)), owner_(owner) {
  owner->outputs_.push_back(this);
}

void OutputPortBase::count_plug_discard() noexcept {
  plug_discards_.store(plug_discards_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  owner_->plug_discards_.store(owner_->plug_discards_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace streamlib
