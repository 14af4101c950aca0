#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

thread_local ThreadContext* t_thread_context = nullptr;

LinkChannelBase::LinkChannelBase(Endpoints endpoints, const std::type_info& value_type, std::string_view message_type,
                                 const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier,
                                 std::shared_ptr<Notifier> producer_notifier)
    : endpoints_(std::move(endpoints)),
      value_type_(value_type),
      message_type_(message_type),
      consumer_notifier_(consumer_notifier ? std::move(consumer_notifier) : std::make_shared<Notifier>()),
      producer_notifier_(producer_notifier ? std::move(producer_notifier) : std::make_shared<Notifier>()),
      config_(config) {}

LinkChannelBase::~LinkChannelBase() = default;

LinkConfig LinkChannelBase::config() const {
  std::lock_guard lock(rings_mutex_);
  return config_;
}

LinkStats LinkChannelBase::stats() const {
  LinkStats s;
  s.id = endpoints_.id;
  s.from = endpoints_.from;
  s.to = endpoints_.to;
  s.message_type = message_type_;
  {
    std::lock_guard lock(rings_mutex_);
    s.config = config_;
    s.depth = queued_locked();
  }
  s.pushed = producer_.pushed.load(std::memory_order_relaxed);
  s.delivered = consumer_.delivered.load(std::memory_order_relaxed);
  s.spilled = producer_.spilled.load(std::memory_order_relaxed);
  s.dropped = producer_.dropped.load(std::memory_order_relaxed) + consumer_.dropped.load(std::memory_order_relaxed);
  // The high-water mark never reads lower than a depth or mark an earlier snapshot showed.
  std::uint64_t high = std::max<std::uint64_t>(producer_.high_water.load(std::memory_order_relaxed), s.depth);
  std::uint64_t seen = reported_high_water_.load(std::memory_order_relaxed);
  while (high > seen && !reported_high_water_.compare_exchange_weak(seen, high, std::memory_order_relaxed)) {
  }
  s.high_water = static_cast<std::size_t>(std::max(high, seen));
  s.latency_samples = latency_.count();
  s.latency_p50_ns = latency_.percentile(0.50);
  s.latency_p99_ns = latency_.percentile(0.99);
  s.latency_p999_ns = latency_.percentile(0.999);
  s.latency_buckets = latency_.nonzero_buckets();
  return s;
}

}  // namespace streamlib::internal
