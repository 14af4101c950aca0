// InputReadiness: when a Reactive processor's process() is called, from its inputs. Shared by
// the runtime and ProcessorHarness so a processor behaves the same under both. Not part of the
// public API.
//
// process() is called when the inputs are ready by the processor's policy (InputsReady) and
// something changed since the last call — a message arrived, the last call took one, an input
// ended, a link changed. A call that took nothing leaves the processor waiting for such a
// change: a muxer holding data on one input while it waits for the other sleeps instead of
// being called again at once, forever.
//
// An Aggregator (kSynchronized with a ReadinessGate) keeps its inputs' state itself — what it
// took, what the current interval still needs, since when it waits — so its readiness is its
// own: called on any change since its last call (an arrival, an end, a link change), at once
// when it stopped with work left, and at the time it asked for (the live timeout of an input
// it waits for). The gate is how it says so; the runtime and the harness read it through
// decide() and stalls(), with no other change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "streamlib/link/port.h"
#include "streamlib/processor.h"

namespace streamlib::internal {

// An Aggregator's side of readiness, written by its process() on the processor thread and read
// by decide() on the same thread.
struct ReadinessGate {
  bool more = false;                       // it stopped with work left: call it again at once
  std::optional<std::int64_t> wake_at_ns;  // it waits for an input up to this time: call it then
  std::uint64_t stalls = 0;                // inputs it went on without (once per stall)
};

// InputsReady::kSynchronized belongs to an Aggregator, which aligns its inputs itself (its
// policy carries its ReadinessGate); declared by any other processor it is refused — by the
// runtime when the processor is added, by ProcessorHarness at start() — rather than quietly
// meaning kAll.
Result<void> check_inputs_ready(const ExecutionConfig& execution);

class InputReadiness {
 public:
  enum class Verdict {
    kReady,     // call process()
    kWait,      // sleep until token() changes (or until `deadline_ns`)
    kFinished,  // every connected input has ended: the processor's stream is over
  };
  struct Decision {
    Verdict verdict = Verdict::kWait;
    std::optional<std::int64_t> deadline_ns;  // kWait under a live timeout
  };

  // Processor thread. `now_ns` on the clock of the timeouts.
  Decision decide(const std::vector<InputPortBase*>& inputs, const Reactive& policy, std::int64_t now_ns);
  // Processor thread, around each process() call: a call that changed nothing (token equal
  // before and after) is not repeated until something does.
  void called(std::uint64_t token_before, std::uint64_t token_after) {
    if (token_before == token_after) stalled_token_ = token_after;
    last_token_ = token_after;
  }
  // Changes whenever anything readiness depends on changes.
  static std::uint64_t token(const std::vector<InputPortBase*>& inputs);
  // True if every connected input has ended (and there is at least one).
  static bool all_ended(const std::vector<InputPortBase*>& inputs);
  // kAll / kSynchronized: inputs the processor went on without, after the timeout (or beside
  // a full input); an Aggregator's own count included.
  std::uint64_t stalls() const { return stalls_ + (gate_ ? gate_->stalls : 0); }

 private:
  Decision decide_gated(const Reactive& policy, std::uint64_t now_token, std::int64_t now_ns);

  std::shared_ptr<ReadinessGate> gate_;      // the Aggregator's, from its policy
  std::optional<std::uint64_t> last_token_;  // the token when the last call returned
  std::optional<std::uint64_t> stalled_token_;
  std::optional<std::int64_t> partial_since_ns_;
  std::uint64_t stalls_ = 0;
};

}  // namespace streamlib::internal
