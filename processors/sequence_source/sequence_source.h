// SequenceSource: emits DataFrames numbered 0, 1, 2, ... at a fixed interval.
//
// Each frame's frame_number is its sequence number and its first 8 bytes hold the same
// number (little-endian), followed by `payload_bytes - 8` filler bytes. A Counter downstream
// checks that nothing was lost or reordered. With `count` > 0 it ends its stream after that many.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "streamlib/frames/data_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct SequenceSourceConfig {
  std::uint32_t interval_us = 1000;  // 0: as fast as the link allows
  std::uint64_t count = 0;           // 0: unlimited
  std::uint32_t payload_bytes = 8;   // >= 8
  std::string schema = "sequence";

  Result<void> validate() const;
};
STREAMLIB_CONFIG(SequenceSourceConfig, interval_us, count, payload_bytes, schema);
STREAMLIB_CONFIG_DOCS(SequenceSourceConfig,
                      {"interval_us", "Time between two frames in microseconds; 0: as fast as the link takes", "",
                       ConfigReload::kLive},
                      {"count", "Frames to emit before the end of stream; 0: unlimited", "", ConfigReload::kLive},
                      {"payload_bytes", "Size of each frame's payload in bytes", "[8, 67108864]", ConfigReload::kLive},
                      {"schema", "Schema name carried by every frame", "", ConfigReload::kLive});

class SequenceSource : public Processor<SequenceSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(SequenceSource, "Emits numbered DataFrames at a fixed interval (for tests and benchmarks)",
                      Continuous{std::chrono::microseconds(1000)});

  LinkOutput<DataFrame> out{this, "out", "Frames numbered 0, 1, 2, ..."};

  ExecutionConfig execution_config() const override;
  Result<void> process() override;
  Result<void> on_config_change(const SequenceSourceConfig& next) override;
  // {"emitted": n, "progress": 0..1 with a count}
  nlohmann::json metrics() const override;

 private:
  DataFramePool pool_;
  std::uint64_t next_ = 0;
  std::atomic<std::uint64_t> emitted_{0};
  std::atomic<std::uint64_t> count_{0};  // config().count as of the last frame, for metrics()
};

}  // namespace streamlib
