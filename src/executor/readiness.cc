#include "streamlib/internal/readiness.h"

namespace streamlib::internal {

Result<void> check_inputs_ready(const ExecutionConfig& execution) {
  const auto* r = std::get_if<Reactive>(&execution.mode);
  if (r == nullptr || r->inputs != InputsReady::kSynchronized || r->gate) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    "InputsReady::kSynchronized is the mode of an Aggregator (streamlib/aggregator.h), which aligns "
                    "its inputs by timestamp itself, and this processor is not one: derive from Aggregator, or "
                    "declare InputsReady::kAll (every input has data; the same timeout and go_on_when_full)");
}

std::uint64_t InputReadiness::token(const std::vector<InputPortBase*>& inputs) {
  std::uint64_t t = 0;
  for (InputPortBase* in : inputs) t += in->progress_token();
  return t;
}

bool InputReadiness::all_ended(const std::vector<InputPortBase*>& inputs) {
  bool any = false;
  for (InputPortBase* in : inputs) {
    if (!in->is_connected()) continue;
    if (!in->ended()) return false;
    any = true;
  }
  return any;
}

InputReadiness::Decision InputReadiness::decide(const std::vector<InputPortBase*>& inputs, const Reactive& policy,
                                                std::int64_t now_ns) {
  std::size_t connected = 0;
  std::size_t streaming = 0;  // connected and not ended
  std::size_t with_data = 0;  // of those, with a message queued
  bool any_full = false;      // of those, one at its capacity
  for (InputPortBase* in : inputs) {
    if (!in->is_connected()) continue;
    ++connected;
    const bool data = in->has_data();
    if (!data && in->ended()) continue;
    ++streaming;
    if (data) {
      ++with_data;
      if (policy.go_on_when_full && policy.inputs != InputsReady::kAny && in->full()) any_full = true;
    }
  }
  if (connected == 0) return {};
  if (streaming == 0) return {Verdict::kFinished, std::nullopt};
  const std::uint64_t now_token = token(inputs);
  if (policy.gate && policy.inputs == InputsReady::kSynchronized) return decide_gated(policy, now_token, now_ns);
  if (stalled_token_ && *stalled_token_ == now_token) return {};
  stalled_token_.reset();
  if (with_data == 0) {
    partial_since_ns_.reset();
    return {};
  }
  // A full input is ready whatever the others hold: its producer may be the very one the empty
  // inputs wait for (a file source feeding a muxer's video and audio), blocked on this link.
  if (policy.inputs == InputsReady::kAny || with_data == streaming) {
    partial_since_ns_.reset();
    return {Verdict::kReady, std::nullopt};
  }
  if (any_full) {  // going on without the empty inputs, as after the timeout: counted
    stalls_ += streaming - with_data;
    return {Verdict::kReady, std::nullopt};
  }
  // kAll / kSynchronized with some inputs still empty: wait for them, up to the live timeout.
  if (policy.timeout.count() <= 0) return {};
  const std::int64_t timeout_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(policy.timeout).count();
  if (!partial_since_ns_) partial_since_ns_ = now_ns;
  if (now_ns - *partial_since_ns_ >= timeout_ns) {
    stalls_ += streaming - with_data;
    partial_since_ns_ = now_ns;  // the next window starts now
    return {Verdict::kReady, std::nullopt};
  }
  return {Verdict::kWait, *partial_since_ns_ + timeout_ns};
}

InputReadiness::Decision InputReadiness::decide_gated(const Reactive& policy, std::uint64_t now_token,
                                                      std::int64_t now_ns) {
  if (gate_ != policy.gate) {  // a new instance (a rebuild): nothing of the old one's calls holds
    gate_ = policy.gate;
    last_token_.reset();
  }
  // The aggregator did everything it could with what its inputs held when its last call
  // returned; only a change, work it left for later, or its own deadline calls it again.
  if (!last_token_ || *last_token_ != now_token || gate_->more) return {Verdict::kReady, std::nullopt};
  if (gate_->wake_at_ns) {
    if (now_ns >= *gate_->wake_at_ns) return {Verdict::kReady, std::nullopt};
    return {Verdict::kWait, gate_->wake_at_ns};
  }
  return {};
}

}  // namespace streamlib::internal
