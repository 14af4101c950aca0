// LinkChannel<T>: one live link — a ring, its policy and read mode, its counters, and the
// consumer's notifier. Made by the runtime when it wires a link; the producer's LinkOutput and
// the consumer's LinkInput each hold it (shared_ptr), and it goes away when both let go.
//
// Threads: push() is called only by the producer's processor thread, has_data()/pop()/
// drain() only by the consumer's, stats() by anyone. reconfigure() is called by the control
// thread while both processor threads are parked at a safe point (see SimpleExecutor), which
// is what makes a live resize keep every queued message in order.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/message.h"
#include "streamlib/graph/ids.h"
#include "streamlib/link/link_config.h"
#include "streamlib/link/link_stats.h"
#include "streamlib/link/notifier.h"
#include "streamlib/link/spsc_ring.h"

namespace streamlib::internal {

inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Set by the runtime on each processor thread: a push blocked on a full `block` link gives up
// (and counts a drop) once this flag is true, so stop() never waits out a block timeout.
extern thread_local const std::atomic<bool>* t_cancel_blocking;

class LinkChannelBase {
 public:
  struct Endpoints {
    LinkId id;
    std::string from;  // "proc.port"
    std::string to;
  };

  LinkChannelBase(Endpoints endpoints, const std::type_info& value_type, std::string_view message_type,
                  const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier);
  LinkChannelBase(const LinkChannelBase&) = delete;
  LinkChannelBase& operator=(const LinkChannelBase&) = delete;
  virtual ~LinkChannelBase();

  const LinkId& id() const { return endpoints_.id; }
  const std::type_info& value_type() const { return value_type_; }
  std::string_view message_type() const { return message_type_; }
  // Complete. Changes only in reconfigure().
  const LinkConfig& config() const { return config_; }

  // Any thread.
  LinkStats stats() const;

  // Control thread, both ends parked: new capacity, policy, read mode or timeout. Queued
  // messages stay in order; if the new capacity cannot hold them, drop_oldest discards the
  // oldest, drop_newest the newest, and block keeps them all (the producer waits until the
  // queue is below the new capacity). Every discarded message is counted as dropped.
  virtual void reconfigure(const LinkConfig& config) = 0;

  // The consumer's processor failed (or recovered). While it is failed, a `block` push does
  // not wait for room that will never come: it drops at once (counted), so one failed
  // processor cannot stall its producer and the producer's other links. Any thread.
  void set_consumer_failed(bool failed) {
    consumer_failed_.store(failed, std::memory_order_relaxed);
    if (failed) {
      space_seq_.fetch_add(1, std::memory_order_release);
      futex_wake_all(space_seq_);
    }
  }
  bool consumer_failed() const { return consumer_failed_.load(std::memory_order_relaxed); }

  // Consumer side for AnyFrame inputs, which do not know T.
  virtual bool any_has_data() = 0;
  virtual std::optional<AnyFrame> any_pop() = 0;
  virtual bool carries_builtin_frame() const = 0;

 protected:
  virtual std::size_t depth() const = 0;

  // Producer-written.
  struct alignas(kCacheLineSize) ProducerCounters {
    std::atomic<std::uint64_t> pushed{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> high_water{0};
  };
  // Consumer-written.
  struct alignas(kCacheLineSize) ConsumerCounters {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> dropped{0};
  };

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  Endpoints endpoints_;
  const std::type_info& value_type_;
  std::string message_type_;
  LinkConfig config_;
  std::shared_ptr<Notifier> consumer_notifier_;
  ProducerCounters producer_;
  ConsumerCounters consumer_;
  std::atomic<std::uint64_t> reconfigure_dropped_{0};  // control thread
  LatencyHistogram latency_;                           // consumer-written
  // `block` policy: the producer sleeps on space_seq_ after raising space_waiting_; the
  // consumer bumps space_seq_ and wakes it after a pop.
  alignas(kCacheLineSize) std::atomic<std::uint32_t> space_waiting_{0};
  std::atomic<std::uint32_t> space_seq_{0};
  std::atomic<bool> consumer_failed_{false};
};

template <Message T>
class LinkChannel final : public LinkChannelBase {
 public:
  struct Entry {
    T value{};
    std::int64_t enqueue_ns = 0;  // 0: not sampled for latency
  };

  LinkChannel(Endpoints endpoints, const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier)
      : LinkChannelBase(std::move(endpoints), typeid(T), message_info<T>().name, config, std::move(consumer_notifier)) {
    apply_config(config_, 0);
  }

  // --- Producer thread --------------------------------------------------------------------

  void push(T value) {
    const std::uint64_t n = pushed_local_++;
    bump(producer_.pushed);
    const bool sample = (n & kSampleMask) == 0 || consumer_notifier_->consumer_waiting();
    Entry entry{std::move(value), sample ? monotonic_ns() : 0};
    bool accepted = true;
    switch (policy_) {
      case LinkPolicy::kDropNewest:
        accepted = ring_->try_push(std::move(entry));
        if (!accepted) bump(producer_.dropped);
        break;
      case LinkPolicy::kDropOldest:
        switch (ring_->push_overwrite(std::move(entry))) {
          case SpscRing<Entry>::OverwriteResult::kPushed:
            break;
          case SpscRing<Entry>::OverwriteResult::kPushedEvicted:
            bump(producer_.dropped);
            note_high_water();
            break;
          case SpscRing<Entry>::OverwriteResult::kRejected:
            bump(producer_.dropped);
            accepted = false;
            break;
        }
        break;
      case LinkPolicy::kBlock:
        accepted = ring_->try_push(std::move(entry)) || push_blocking(entry);
        if (!accepted) bump(producer_.dropped);
        break;
    }
    if (!accepted) {
      note_high_water();
      return;
    }
    if ((n & kSampleMask) == 0) note_high_water();
    consumer_notifier_->notify();
  }

  // --- Consumer thread --------------------------------------------------------------------

  bool has_data() { return !ring_->consumer_empty(); }

  // The next message (sequential) or the newest one (latest), or nullopt.
  std::optional<T> pop() {
    Entry entry;
    if (!ring_->try_pop(entry)) return std::nullopt;
    if (read_mode_ == ReadMode::kLatest) {
      Entry newer;
      std::uint64_t skipped = 0;
      while (ring_->try_pop(newer)) {
        entry = std::move(newer);
        ++skipped;
      }
      if (skipped) bump(consumer_.dropped, skipped);
    }
    delivered(entry);
    return std::move(entry.value);
  }

  // Calls fn(T&&) for each message available now (just the newest in latest mode).
  template <class F>
  std::size_t drain(F&& fn) {
    if (read_mode_ == ReadMode::kLatest) {
      auto v = pop();
      if (!v) return 0;
      fn(std::move(*v));
      return 1;
    }
    std::size_t n = 0;
    Entry entry;
    while (ring_->try_pop(entry)) {
      delivered(entry);
      fn(std::move(entry.value));
      ++n;
    }
    return n;
  }

  bool any_has_data() override { return has_data(); }
  std::optional<AnyFrame> any_pop() override {
    if constexpr (BuiltinFrame<T>) {
      auto v = pop();
      if (!v) return std::nullopt;
      return AnyFrame(std::move(*v));
    } else {
      return std::nullopt;
    }
  }
  bool carries_builtin_frame() const override { return BuiltinFrame<T>; }

  // --- Control thread, both ends parked ---------------------------------------------------

  void reconfigure(const LinkConfig& config) override {
    const LinkConfig merged = config.merged_over(config_);
    const std::size_t new_capacity = *merged.capacity;
    std::unique_ptr<SpscRing<Entry>> old = std::move(ring_);
    const std::size_t queued = old->size();
    std::size_t to_skip = 0;  // oldest to discard
    std::size_t to_keep = queued;
    if (queued > new_capacity) {
      if (*merged.policy == LinkPolicy::kDropOldest) {
        to_skip = queued - new_capacity;
        to_keep = new_capacity;
      } else if (*merged.policy == LinkPolicy::kDropNewest) {
        to_keep = new_capacity;
      }
    }
    config_ = merged;
    apply_config(config_, queued);
    Entry entry;
    std::size_t index = 0;
    std::uint64_t dropped = 0;
    while (old->try_pop(entry)) {
      const bool keep = index >= to_skip && index < to_skip + to_keep;
      ++index;
      if (!keep) {
        ++dropped;
        continue;
      }
      [[maybe_unused]] bool ok = ring_->push_ignoring_capacity(std::move(entry));
    }
    if (dropped) reconfigure_dropped_.fetch_add(dropped, std::memory_order_relaxed);
  }

 protected:
  std::size_t depth() const override { return ring_->size(); }

 private:
  static constexpr std::uint64_t kSampleMask = 63;

  void apply_config(const LinkConfig& c, std::size_t must_hold) {
    policy_ = *c.policy;
    read_mode_ = *c.read_mode;
    block_timeout_ = *c.block_timeout;
    const bool overwrite = policy_ == LinkPolicy::kDropOldest;
    const std::size_t min_slots = policy_ == LinkPolicy::kBlock ? must_hold : 0;
    ring_ = std::make_unique<SpscRing<Entry>>(*c.capacity, overwrite, min_slots);
  }

  void delivered(const Entry& entry) {
    bump(consumer_.delivered);
    if (entry.enqueue_ns != 0) latency_.record(monotonic_ns() - entry.enqueue_ns);
    if (policy_ == LinkPolicy::kBlock) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (space_waiting_.load(std::memory_order_relaxed) != 0) {
        space_seq_.fetch_add(1, std::memory_order_release);
        futex_wake_all(space_seq_);
      }
    }
  }

  void note_high_water() {
    const std::uint64_t d = ring_->size();
    if (d > producer_.high_water.load(std::memory_order_relaxed)) {
      producer_.high_water.store(d, std::memory_order_relaxed);
    }
  }

  // Waits for room up to the block timeout; false if none came (or the thread is stopping).
  bool push_blocking(Entry& entry) {
    note_high_water();
    const auto deadline = Notifier::Clock::now() + block_timeout_;
    for (;;) {
      const std::uint32_t seq = space_seq_.load(std::memory_order_acquire);
      space_waiting_.store(1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (ring_->try_push(std::move(entry))) {
        space_waiting_.store(0, std::memory_order_relaxed);
        return true;
      }
      const auto now = Notifier::Clock::now();
      if (now >= deadline || consumer_failed_.load(std::memory_order_relaxed) ||
          (t_cancel_blocking && t_cancel_blocking->load(std::memory_order_relaxed))) {
        space_waiting_.store(0, std::memory_order_relaxed);
        return false;
      }
      // Sleep in short slices so a stop request is noticed promptly.
      futex_wait(space_seq_, seq, std::min(deadline, now + std::chrono::milliseconds(10)));
    }
  }

  std::unique_ptr<SpscRing<Entry>> ring_;
  LinkPolicy policy_ = LinkPolicy::kBlock;
  ReadMode read_mode_ = ReadMode::kSequential;
  std::chrono::nanoseconds block_timeout_{0};
  std::uint64_t pushed_local_ = 0;  // producer thread
};

}  // namespace streamlib::internal
