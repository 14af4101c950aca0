// Counter: counts the frames it receives and checks their numbering.
//
// Takes any frame type. With `expect_sequence` it expects frame_number to go up by one from
// frame to frame and counts gaps (frames missing) and reorders (a number not above the last).
// Its counts appear in stats() as metrics.
#pragma once

#include <atomic>
#include <cstdint>

#include "streamlib/frames/any_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct CounterConfig {
  bool expect_sequence = true;
};
STREAMLIB_CONFIG(CounterConfig, expect_sequence);
STREAMLIB_CONFIG_DOCS(CounterConfig, {"expect_sequence", "Count gaps and reorders in frame_number (else only count)",
                                      "", ConfigReload::kLive});

class Counter : public Processor<CounterConfig> {
 public:
  STREAMLIB_PROCESSOR(Counter, "Counts frames of any type and checks their numbering", Reactive{});

  LinkInput<AnyFrame> in{this, "in", "Frames to count"};

  Result<void> process() override;
  Result<void> on_config_change(const CounterConfig& next) override;
  nlohmann::json metrics() const override;

  std::uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  std::uint64_t gaps() const { return gaps_.load(std::memory_order_relaxed); }
  std::uint64_t reordered() const { return reordered_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> gaps_{0};
  std::atomic<std::uint64_t> reordered_{0};
  std::atomic<std::uint64_t> bytes_{0};
  bool have_last_ = false;
  std::uint64_t last_ = 0;
};

}  // namespace streamlib
