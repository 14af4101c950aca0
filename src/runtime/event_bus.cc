#include "runtime/event_bus.h"

#include <cstdio>
#include <exception>
#include <vector>

#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

EventBus::~EventBus() { shutdown(); }

void EventBus::publish(Event event) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  event.sequence = next_sequence_++;
  event.timestamp_ns = monotonic_ns();
  for (auto& [id, sub] : subscribers_) {
    {
      std::lock_guard sub_lock(sub->mutex);
      sub->queue.push_back(event);
    }
    sub->cv.notify_one();
  }
}

SubscriptionId EventBus::subscribe(EventCallback callback) {
  auto sub = std::make_shared<Subscriber>();
  sub->callback = std::move(callback);
  std::lock_guard lock(mutex_);
  const SubscriptionId id = next_id_++;
  if (shut_down_) return id;
  sub->thread = std::thread(&EventBus::deliver_loop, sub);
  subscribers_.emplace(id, std::move(sub));
  return id;
}

bool EventBus::unsubscribe(SubscriptionId id) {
  std::shared_ptr<Subscriber> sub;
  {
    std::lock_guard lock(mutex_);
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return false;
    sub = std::move(it->second);
    subscribers_.erase(it);
  }
  end(std::move(sub), /*cancel=*/true);
  return true;
}

void EventBus::shutdown() {
  std::unordered_map<SubscriptionId, std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    subs.swap(subscribers_);
  }
  for (auto& [id, sub] : subs) end(sub, /*cancel=*/false);
}

void EventBus::end(std::shared_ptr<Subscriber> sub, bool cancel) {
  {
    std::lock_guard lock(sub->mutex);
    sub->closing = true;
    sub->cancelled = cancel;
  }
  sub->cv.notify_one();
  if (sub->thread.get_id() == std::this_thread::get_id()) {
    sub->thread.detach();  // a callback ended its own subscription: it returns on its own
  } else if (sub->thread.joinable()) {
    sub->thread.join();
  }
}

void EventBus::deliver_loop(std::shared_ptr<Subscriber> sub) {
  std::vector<Event> batch;
  for (;;) {
    {
      std::unique_lock lock(sub->mutex);
      sub->cv.wait(lock, [&] { return !sub->queue.empty() || sub->closing; });
      if (sub->cancelled || (sub->closing && sub->queue.empty())) return;
      batch.assign(std::make_move_iterator(sub->queue.begin()), std::make_move_iterator(sub->queue.end()));
      sub->queue.clear();
    }
    for (const Event& e : batch) {
      try {
        sub->callback(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "streamlib: event subscriber threw: %s\n", ex.what());
      } catch (...) {
        std::fprintf(stderr, "streamlib: event subscriber threw\n");
      }
      std::lock_guard lock(sub->mutex);
      if (sub->cancelled) return;
    }
  }
}

}  // namespace streamlib::internal
