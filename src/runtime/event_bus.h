// EventBus: ordered, lossless delivery of runtime events to every subscriber.
//
// publish() stamps an event with the next sequence number and appends it to each
// subscriber's own unbounded queue under a short lock; a delivery thread per subscriber runs
// the callback. A slow callback therefore delays only its own queue — never a processor
// thread, the control thread, or another subscriber — and no event is dropped because a
// listener was busy.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "streamlib/runtime/events.h"

namespace streamlib::internal {

inline Event make_event(EventKind kind, ProcessorId processor = {}, LinkId link = {}, std::string message = {},
                        ProcessorState state = ProcessorState::kPending) {
  Event e;
  e.kind = kind;
  e.processor = std::move(processor);
  e.link = std::move(link);
  e.message = std::move(message);
  e.state = state;
  return e;
}

class EventBus {
 public:
  EventBus() = default;
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;
  ~EventBus();

  // Any thread. Ignored after shutdown().
  void publish(Event event);
  SubscriptionId subscribe(EventCallback callback);
  // Stops delivery to this subscriber (events already delivered stay delivered).
  bool unsubscribe(SubscriptionId id);
  // Delivers everything queued, then ends every delivery thread.
  void shutdown();

 private:
  struct Subscriber {
    EventCallback callback;
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Event> queue;  // GUARDED_BY(mutex)
    bool closing = false;     // GUARDED_BY(mutex): deliver what is queued, then exit
    bool cancelled = false;   // GUARDED_BY(mutex): exit without delivering more
    std::thread thread;
  };
  static void deliver_loop(std::shared_ptr<Subscriber> sub);
  static void end(std::shared_ptr<Subscriber> sub, bool cancel);

  std::mutex mutex_;
  std::uint64_t next_sequence_ = 1;                                              // GUARDED_BY(mutex_)
  SubscriptionId next_id_ = 1;                                                   // GUARDED_BY(mutex_)
  bool shut_down_ = false;                                                       // GUARDED_BY(mutex_)
  std::unordered_map<SubscriptionId, std::shared_ptr<Subscriber>> subscribers_;  // GUARDED_BY(mutex_)
};

}  // namespace streamlib::internal
