#include "null_sink.h"

namespace streamlib {

Result<void> NullSink::process() {
  const std::size_t n = in.drain([](AnyFrame&&) {});
  received_.store(received_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  return {};
}

nlohmann::json NullSink::metrics() const { return {{"received", received_.load(std::memory_order_relaxed)}}; }

}  // namespace streamlib
