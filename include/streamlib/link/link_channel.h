// LinkChannel<T>: one live link — a ring, its policy and read mode, its counters, and the
// consumer's notifier. Made by the runtime when it wires a link; the producer's LinkOutput and
// the consumer's LinkInput each hold it (shared_ptr), and it goes away when both let go.
//
// Threads: push() is called only by the producer's processor thread, has_data()/pop()/
// drain() only by the consumer's, stats() by anyone. reconfigure() is called by the control
// thread while both processor threads are parked at a safe point (see SimpleExecutor), which
// is what makes a live resize keep every queued message in order.
#pragma once

#include <algorithm>
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
  virtual std::size_t any_available() = 0;
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
    const std::uint64_t n = local_.pushed++;
    bump(producer_.pushed);
    const bool sample = (n & kSampleMask) == 0 || consumer_notifier_->consumer_waiting();
    Entry entry{std::move(value), sample ? monotonic_ns() : 0};
    SpscRing<Entry>& ring = *shared_.ring;
    bool accepted = true;
    switch (shared_.policy) {
      case LinkPolicy::kDropNewest:
        accepted = ring.try_push(std::move(entry));
        break;
      case LinkPolicy::kDropOldest:
        switch (ring.push_overwrite(std::move(entry))) {
          case SpscRing<Entry>::OverwriteResult::kPushed:
            break;
          case SpscRing<Entry>::OverwriteResult::kPushedEvicted:
            bump(producer_.dropped);
            note_high_water();
            break;
          case SpscRing<Entry>::OverwriteResult::kRejected:
            accepted = false;
            break;
        }
        break;
      case LinkPolicy::kBlock:
        accepted = ring.try_push(std::move(entry)) || push_blocking(entry);
        break;
    }
    if (!accepted) {
      bump(producer_.dropped);
      note_high_water();
      return;
    }
    if ((n & kSampleMask) == 0) note_high_water();
    consumer_notifier_->notify();
  }

  // --- Consumer thread --------------------------------------------------------------------

  bool has_data() { return !shared_.ring->consumer_empty(); }

  // The next message (sequential) or the newest one (latest), or nullopt.
  std::optional<T> pop() {
    Entry entry;
    if (!shared_.ring->try_pop(entry)) return std::nullopt;
    if (shared_.read_mode == ReadMode::kLatest) {
      Entry newer;
      std::uint64_t skipped = 0;
      while (shared_.ring->try_pop(newer)) {
        entry = std::move(newer);
        ++skipped;
      }
      if (skipped) bump(consumer_.dropped, skipped);
    }
    delivered(entry);
    return std::move(entry.value);
  }

  // Calls fn(T&&) for each message available (just the newest in latest mode), at most one
  // ring's capacity (or what was queued at the start, if more) per call. Bounded on purpose: a
  // producer that keeps up must not keep the consumer inside one process() call forever, or it
  // would never reach a safe point; a whole ring per call keeps the per-call cost small.
  template <class F>
  std::size_t drain(F&& fn) {
    if (shared_.read_mode == ReadMode::kLatest) {
      auto v = pop();
      if (!v) return 0;
      fn(std::move(*v));
      return 1;
    }
    const std::size_t limit = std::max(shared_.ring->capacity(), shared_.ring->consumer_available());
    std::size_t n = 0;
    Entry entry;
    while (n < limit && shared_.ring->try_pop(entry)) {
      delivered(entry);
      fn(std::move(entry.value));
      ++n;
    }
    return n;
  }

  bool any_has_data() override { return has_data(); }
  std::size_t any_available() override { return shared_.ring->consumer_available(); }
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
    std::unique_ptr<SpscRing<Entry>> old = std::move(shared_.ring);
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
      [[maybe_unused]] bool ok = shared_.ring->push_ignoring_capacity(std::move(entry));
    }
    if (dropped) reconfigure_dropped_.fetch_add(dropped, std::memory_order_relaxed);
  }

 protected:
  std::size_t depth() const override { return shared_.ring->size(); }

 private:
  static constexpr std::uint64_t kSampleMask = 63;
  static constexpr int kBlockSpin = 64;

  void apply_config(const LinkConfig& c, std::size_t must_hold) {
    shared_.policy = *c.policy;
    shared_.read_mode = *c.read_mode;
    shared_.block_timeout = *c.block_timeout;
    const bool overwrite = shared_.policy == LinkPolicy::kDropOldest;
    const std::size_t min_slots = shared_.policy == LinkPolicy::kBlock ? must_hold : 0;
    shared_.ring = std::make_unique<SpscRing<Entry>>(*c.capacity, overwrite, min_slots);
  }

  void delivered(const Entry& entry) {
    bump(consumer_.delivered);
    if (entry.enqueue_ns != 0) latency_.record(monotonic_ns() - entry.enqueue_ns);
    if (shared_.policy == LinkPolicy::kBlock) {
      light_fence();  // the producer going to sleep pays the heavy half (push_blocking)
      // Wake a waiting producer once, when half the ring is free: it then refills a batch
      // instead of being woken (and blocking again) once per message.
      if (space_waiting_.load(std::memory_order_relaxed) != 0 && shared_.ring->size() * 2 <= shared_.ring->capacity() &&
          space_waiting_.exchange(0, std::memory_order_acq_rel) != 0) {
        space_seq_.fetch_add(1, std::memory_order_release);
        futex_wake_all(space_seq_);
      }
    }
  }

  void note_high_water() {
    const std::uint64_t d = shared_.ring->size();
    if (d > producer_.high_water.load(std::memory_order_relaxed)) {
      producer_.high_water.store(d, std::memory_order_relaxed);
    }
  }

  // Waits for room up to the block timeout; false if none came (or the thread is stopping,
  // or the consumer failed).
  bool push_blocking(Entry& entry) {
    note_high_water();
    // A consumer keeping up frees room within microseconds: spin briefly before paying for
    // sleeping (the heavy fence, the futex) and for being woken. Wait for half the ring to be
    // free rather than for one slot: refilling one slot at a time would bounce the head index's
    // cache line between the two cores on every message; a half-ring burst reads it once.
    SpscRing<Entry>& ring = *shared_.ring;
    for (int i = 0; i < kBlockSpin; ++i) {
      internal::pause_between_polls();
      if ((ring.size() * 2 <= ring.capacity() || i + 1 == kBlockSpin) && ring.try_push(std::move(entry))) return true;
    }
    const auto deadline = Notifier::Clock::now() + shared_.block_timeout;
    for (;;) {
      const std::uint32_t seq = space_seq_.load(std::memory_order_acquire);
      space_waiting_.store(1, std::memory_order_relaxed);
      heavy_fence();
      if (shared_.ring->try_push(std::move(entry))) {
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

  // Read by both threads, written only by reconfigure() (both parked): its own cache line, so
  // the producer's counters below never invalidate it.
  struct alignas(kCacheLineSize) Shared {
    std::unique_ptr<SpscRing<Entry>> ring;
    LinkPolicy policy = LinkPolicy::kBlock;
    ReadMode read_mode = ReadMode::kSequential;
    std::chrono::nanoseconds block_timeout{0};
  } shared_;
  // Producer thread only.
  struct alignas(kCacheLineSize) ProducerLocal {
    std::uint64_t pushed = 0;
  } local_;
};

}  // namespace streamlib::internal
