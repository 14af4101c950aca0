#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

thread_local const std::atomic<bool>* t_cancel_blocking = nullptr;

LinkChannelBase::LinkChannelBase(Endpoints endpoints, const std::type_info& value_type, std::string_view message_type,
                                 const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier)
    : endpoints_(std::move(endpoints)),
      value_type_(value_type),
      message_type_(message_type),
      config_(config),
      consumer_notifier_(consumer_notifier ? std::move(consumer_notifier) : std::make_shared<Notifier>()) {}

LinkChannelBase::~LinkChannelBase() = default;

LinkStats LinkChannelBase::stats() const {
  LinkStats s;
  s.id = endpoints_.id;
  s.from = endpoints_.from;
  s.to = endpoints_.to;
  s.message_type = message_type_;
  s.config = config_;
  s.pushed = producer_.pushed.load(std::memory_order_relaxed);
  s.delivered = consumer_.delivered.load(std::memory_order_relaxed);
  s.dropped = producer_.dropped.load(std::memory_order_relaxed) + consumer_.dropped.load(std::memory_order_relaxed) +
              reconfigure_dropped_.load(std::memory_order_relaxed);
  s.depth = depth();
  s.high_water = std::max<std::size_t>(producer_.high_water.load(std::memory_order_relaxed), s.depth);
  s.latency_samples = latency_.count();
  s.latency_p50_ns = latency_.percentile(0.50);
  s.latency_p99_ns = latency_.percentile(0.99);
  s.latency_p999_ns = latency_.percentile(0.999);
  return s;
}

}  // namespace streamlib::internal
