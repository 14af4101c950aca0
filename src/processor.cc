#include "streamlib/processor.h"

#include "streamlib/link/link_channel.h"

namespace streamlib {

std::string to_string(const ExecutionMode& mode) {
  if (const auto* c = std::get_if<Continuous>(&mode)) {
    return c->interval.count() ? fmt::format("continuous({}us)", c->interval.count()) : "continuous";
  }
  if (std::holds_alternative<Reactive>(mode)) return "reactive";
  return "manual";
}

std::int64_t RuntimeContext::now_ns() { return internal::monotonic_ns(); }

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

OutputPortBase::OutputPortBase(ProcessorBase* owner, PortInfo info) : PortBase(std::move(info)) {
  owner->outputs_.push_back(this);
}

}  // namespace streamlib
