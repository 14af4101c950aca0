// NullSink: takes frames of any type and discards them (keeps a count).
#pragma once

#include <atomic>
#include <cstdint>

#include "streamlib/frames/any_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

class NullSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(NullSink, "Discards frames of any type", Reactive{});

  LinkInput<AnyFrame> in{this, "in", "Frames to discard"};

  Result<void> process() override;
  Result<void> on_config_change(const EmptyConfig&) override { return {}; }
  nlohmann::json metrics() const override;

 private:
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace streamlib
