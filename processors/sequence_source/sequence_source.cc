#include "sequence_source.h"

#include <algorithm>
#include <cstring>

namespace streamlib {

Result<void> SequenceSourceConfig::validate() const {
  if (payload_bytes < 8 || payload_bytes > (64u << 20)) {
    return make_error(ErrorCode::kInvalidArgument, "payload_bytes: {} is out of range [8, 67108864]", payload_bytes);
  }
  if (schema.empty()) return make_error(ErrorCode::kInvalidArgument, "schema: must not be empty");
  return {};
}

ExecutionConfig SequenceSource::execution_config() const {
  return ExecutionConfig{Continuous{std::chrono::microseconds(config().interval_us)}, ThreadPriority::kNormal};
}

Result<void> SequenceSource::process() {
  if (config().count != 0 && next_ >= config().count) {
    end_stream();  // e.g. a count raised and lowered again live
    return {};
  }
  WritableDataFrame frame = pool_.acquire(config().schema, config().payload_bytes);
  const std::uint64_t seq = next_++;
  auto bytes = frame.bytes();
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq >> (8 * i));
  if (bytes.size() > 8) std::memset(bytes.data() + 8, static_cast<int>(seq & 0xff), bytes.size() - 8);
  frame.set_frame_number(seq);
  frame.set_timestamp_ns(context().now_ns());
  out.push(std::move(frame).freeze());
  count_.store(config().count, std::memory_order_relaxed);
  emitted_.store(seq + 1, std::memory_order_relaxed);
  if (config().count != 0 && next_ >= config().count) end_stream();  // the last one: downstream finishes
  return {};
}

Result<void> SequenceSource::on_config_change(const SequenceSourceConfig&) {
  // Interval, count, payload and schema all take effect from the next frame; numbering goes on.
  return {};
}

nlohmann::json SequenceSource::metrics() const {
  const std::uint64_t emitted = emitted_.load(std::memory_order_relaxed);
  nlohmann::json m{{"emitted", emitted}};
  // With a `count`, how far the stream has to go (`streamlib run` draws it as a progress bar).
  if (const std::uint64_t count = count_.load(std::memory_order_relaxed); count > 0) {
    m["progress"] = std::min(1.0, static_cast<double>(emitted) / static_cast<double>(count));
  }
  return m;
}

}  // namespace streamlib
