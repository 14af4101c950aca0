#include "counter.h"

namespace streamlib {

namespace {
void add(std::atomic<std::uint64_t>& a, std::uint64_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::uint64_t payload_size(const AnyFrame& f) {
  if (const auto* d = f.data()) return d->bytes().size();
  if (const auto* v = f.video()) {
    std::uint64_t n = 0;
    for (int p = 0; p < v->plane_count(); ++p) n += v->plane(p).size();
    return n;
  }
  if (const auto* a = f.audio()) return a->samples().size() * sizeof(float);
  return 0;
}
}  // namespace

Result<void> Counter::process() {
  in.drain([&](AnyFrame&& frame) {
    add(received_, 1);
    add(bytes_, payload_size(frame));
    if (!config().expect_sequence) return;
    const std::uint64_t n = frame.frame_number();
    if (have_last_) {
      if (n <= last_) {
        add(reordered_, 1);
      } else if (n > last_ + 1) {
        add(gaps_, n - last_ - 1);
      }
    }
    if (!have_last_ || n > last_) last_ = n;
    have_last_ = true;
  });
  return {};
}

Result<void> Counter::on_config_change(const CounterConfig&) { return {}; }

nlohmann::json Counter::metrics() const {
  return {{"received", received()},
          {"gaps", gaps()},
          {"reordered", reordered()},
          {"bytes", bytes_.load(std::memory_order_relaxed)}};
}

}  // namespace streamlib
