// InputReadiness: when a Reactive processor's process() is called, from its inputs. Shared by
// the runtime and ProcessorHarness so a processor behaves the same under both. Not part of the
// public API.
//
// process() is called when the inputs are ready by the processor's policy (InputsReady) and
// something changed since the last call — a message arrived, the last call took one, an input
// ended, a link changed. A call that took nothing leaves the processor waiting for such a
// change: a muxer holding data on one input while it waits for the other sleeps instead of
// being called again at once, forever.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "streamlib/link/port.h"
#include "streamlib/processor.h"

namespace streamlib::internal {

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
  }
  // Changes whenever anything readiness depends on changes.
  static std::uint64_t token(const std::vector<InputPortBase*>& inputs);
  // True if every connected input has ended (and there is at least one).
  static bool all_ended(const std::vector<InputPortBase*>& inputs);
  // kAll / kSynchronized: inputs the processor went on without, after the timeout.
  std::uint64_t stalls() const { return stalls_; }

 private:
  std::optional<std::uint64_t> stalled_token_;
  std::optional<std::int64_t> partial_since_ns_;
  std::uint64_t stalls_ = 0;
};

}  // namespace streamlib::internal
