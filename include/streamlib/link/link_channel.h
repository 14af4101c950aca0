// LinkChannel<T>: one live link — its ring(s), policy and read mode, its counters, and the
// notifiers of the two processors it joins. Made by the runtime when it wires a link; the
// producer's LinkOutput and the consumer's LinkInput each hold it (shared_ptr), and it goes away
// when both let go.
//
// Threads: push() and producer_switch() are called only by the producer's processor thread,
// has_data()/pop()/drain()/consumer_trim() only by the consumer's, stats() and prepare_resize()
// by anyone (the control thread).
//
// Live resize is a hand-over, not a stop: the control thread prepares a new ring; the producer,
// at its next safe point (between two process() calls, or while blocked in a push), seals the
// old ring and pushes into the new one from then on; the consumer reads the old ring to its end
// and moves on to the new one by itself. Neither side is parked, messages keep their order, and
// while the old ring still holds messages the producer counts them against the new capacity.
// If the new capacity is smaller than what is queued: under drop_oldest the consumer discards
// the oldest excess at its next safe point (consumer_trim, counted); drop_newest and block
// keep what was already accepted, and new messages are refused (drop_newest) or wait (block)
// until the queue is below the new capacity.
//
// Blocking (`block` policy): a producer waiting for room sleeps on its own processor's
// notifier, so anything that must interrupt the wait reaches it the same way: the consumer
// making room, the consumer failing, a command for the producer's processor. While it waits,
// the producer runs link commands (attach, detach, resize) — a blocked push is a safe point for
// them. When its processor must take a change that needs a safe point between two process()
// calls (a new config), the push stops waiting and the message is taken beyond the capacity
// ("spilled", counted; nothing is lost), so process() returns promptly and the change applies;
// the link holds more than its capacity until the consumer catches up, and the producer waits
// again from its next push. When its processor is being stopped without draining, it gives up
// (dropped, counted).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/message.h"
#include "streamlib/graph/ids.h"
#include "streamlib/link/link_config.h"
#include "streamlib/link/link_stats.h"
#include "streamlib/link/notifier.h"
#include "streamlib/link/spsc_ring.h"
#include "streamlib/result.h"

namespace streamlib::internal {

// A drain()'s callback: fn(T&&) returning void, or Result<void> to stop at the first error.
// The drain returns the number of messages taken, or (Result<void> callback) that number or the
// first error.
template <class F, class T>
concept DrainFn = std::invocable<F&, T&&> &&
    (std::is_void_v<std::invoke_result_t<F&, T&&>> || std::is_same_v<std::invoke_result_t<F&, T&&>, Result<void>>);
template <class F, class T>
using DrainResult = std::conditional_t<std::is_void_v<std::invoke_result_t<F&, T&&>>, std::size_t, Result<std::size_t>>;

inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What a wait inside a port (a push blocked on a full `block` link) may do while it waits. The
// runtime's processor thread implements it; outside a runtime (tests) there is none.
class ThreadContext {
 public:
  // The thread is being stopped without draining: waits give up.
  virtual bool stopping() const noexcept = 0;
  // A change that needs a safe point between two process() calls is waiting: a blocked push
  // stops waiting (and spills) so that process() returns.
  virtual bool change_waiting() const noexcept = 0;
  // Link changes (attach, detach, resize) waiting for this thread. A blocked wait, and the gap
  // between two links of a fan-out push, are safe points for them. Cheap: one relaxed load.
  bool has_port_commands() const noexcept { return port_commands_.load(std::memory_order_relaxed) != 0; }
  virtual void run_port_commands() = 0;
  // Around a wait that may last (a push blocked on a full `block` link): a pool worker hands
  // its place on to another worker for the duration, so a blocked producer never starves the
  // processors it waits for.
  virtual void blocking_begin() noexcept {}
  virtual void blocking_end() noexcept {}
  // The processor whose thread this is, for log lines (log.h); ProcessorCore's processor_id()
  // is it. Empty for a context that is not a processor's.
  virtual const ProcessorId& processor_id() const {
    static const ProcessorId kNone;
    return kNone;
  }

 protected:
  ~ThreadContext() = default;
  std::atomic<std::uint32_t> port_commands_{0};  // link commands queued for this thread
};

// The calling processor thread's context (null outside a processor thread).
extern thread_local ThreadContext* t_thread_context;

// What one link did with a pushed message.
enum class PushOutcome {
  kAccepted,
  kDropped,   // full (by policy), block timeout, the consumer failed, or stopping; counted
  kSpilled,   // accepted beyond the capacity, so that a waiting change reaches the producer
  kDetached,  // the link was detached from the producer while the push waited (not counted)
};

class LinkChannelBase {
 public:
  struct Endpoints {
    LinkId id;
    std::string from;  // "proc.port"
    std::string to;
  };

  // `producer_notifier` is the notifier of the producer's processor: a blocked push sleeps on
  // it. Either notifier may be null (a private one is made), e.g. in tests.
  LinkChannelBase(Endpoints endpoints, const std::type_info& value_type, std::string_view message_type,
                  const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier,
                  std::shared_ptr<Notifier> producer_notifier);
  LinkChannelBase(const LinkChannelBase&) = delete;
  LinkChannelBase& operator=(const LinkChannelBase&) = delete;
  virtual ~LinkChannelBase();

  const LinkId& id() const { return endpoints_.id; }
  const Endpoints& endpoints() const { return endpoints_; }
  const std::type_info& value_type() const { return value_type_; }
  std::string_view message_type() const { return message_type_; }
  // Complete; the newest config (after prepare_resize, the one being handed over to).
  LinkConfig config() const;

  // Any thread.
  LinkStats stats() const;

  // --- Live resize (see the file comment) ---------------------------------------------------
  // Control thread: makes the ring for `config` (merged over the current config). Returns an
  // opaque handle for producer_switch() and then commit_resize(), or abort_resize() if the
  // producer never switched.
  virtual const void* prepare_resize(const LinkConfig& config) = 0;
  // Producer thread, at a safe point: push into the prepared ring from now on.
  virtual void producer_switch(const void* ring) = 0;
  // Control thread: after producer_switch(), config() reports the new config.
  virtual void commit_resize(const void* ring) = 0;
  virtual void abort_resize(const void* ring) = 0;
  // Consumer thread, at a safe point: if the newest ring is drop_oldest and more than its
  // capacity is queued, discard the oldest excess (counted).
  virtual void consumer_trim() = 0;
  // All three steps on the calling thread, for a channel no other thread is using (tests).
  void resize_here(const LinkConfig& config) {
    const void* ring = prepare_resize(config);
    producer_switch(ring);
    commit_resize(ring);
    consumer_trim();
  }

  // Work counters, any thread (what stop() watches for progress).
  std::uint64_t pushed_count() const { return producer_.pushed.load(std::memory_order_relaxed); }
  std::uint64_t delivered_count() const { return consumer_.delivered.load(std::memory_order_relaxed); }

  // The consumer's processor failed (or recovered). While it is failed, a `block` push does
  // not wait for room that will never come: it drops at once (counted), so one failed
  // processor costs its producer nothing and cannot stall the producer's other links. Any thread.
  void set_consumer_failed(bool failed) {
    consumer_failed_.store(failed, std::memory_order_release);
    if (failed) producer_notifier_->notify();
  }
  bool consumer_failed() const { return consumer_failed_.load(std::memory_order_relaxed); }

  // Producer thread: the link was detached from the producer's port while a push into it was
  // waiting (a blocked push is a safe point for link commands); the wait ends.
  void set_producer_detached() { producer_detached_ = true; }

  // End of stream, in band: the producer ends the link after its last push; the consumer sees
  // ended() once it has read everything pushed before. Producer thread.
  virtual void end_stream() = 0;
  // Producer thread: ends the stream because the producer failed. The consumer sees ended()
  // as after end_stream(), and end_error() says why. Nothing if the stream has ended already.
  void fail_stream(std::shared_ptr<const Error> error) {
    if (producer_ended_) return;
    end_error_ = std::move(error);  // published with the end mark (end_stream's release store)
    end_stream();
  }
  // Consumer thread: true once the stream ended and every message before the end was read.
  virtual bool ended() = 0;
  // Consumer thread: once ended(), why, if the producer failed (fail_stream); else null.
  const Error* end_error() { return ended() ? end_error_.get() : nullptr; }

  // Consumer thread: changes whenever a message arrives, one is taken, the stream ends or a
  // blocked producer starts to wait (what a Reactive processor's readiness watches, so it is
  // never called again on data it left, and sees full() turn true when the producer blocks).
  std::uint64_t progress_token() {
    return producer_.pushed.load(std::memory_order_acquire) + producer_.waits.load(std::memory_order_acquire) +
           consumer_.delivered.load(std::memory_order_relaxed) + consumer_.dropped.load(std::memory_order_relaxed) +
           (ended() ? 1 : 0);
  }

  // Consumer side for AnyFrame inputs, which do not know T.
  virtual bool any_has_data() = 0;
  virtual std::size_t any_drain_limit() = 0;
  virtual std::optional<AnyFrame> any_pop() = 0;
  virtual std::optional<AnyFrame> any_peek() = 0;
  // Consumer side, any type: the next message's timestamp, if a message is queued and its type
  // has one (what kSynchronized readiness compares).
  virtual std::optional<std::int64_t> head_timestamp_ns() = 0;
  // Consumer thread: the link holds as many messages as its capacity, or its producer waits
  // for room (a `block` producer is woken only once half the ring is free): pushing more, the
  // producer waits or drops until the consumer takes some.
  virtual bool full() = 0;
  virtual bool carries_builtin_frame() const = 0;

 protected:
  // Under rings_mutex_.
  virtual std::size_t queued_locked() const = 0;

  // Producer-written.
  struct alignas(kCacheLineSize) ProducerCounters {
    std::atomic<std::uint64_t> pushed{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> spilled{0};
    std::atomic<std::uint64_t> high_water{0};
    std::atomic<std::uint64_t> waits{0};  // times a `block` producer raised space_waiting_
  };
  // Consumer-written.
  struct alignas(kCacheLineSize) ConsumerCounters {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> dropped{0};  // latest-mode skips, resize trims
  };

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  Endpoints endpoints_;
  const std::type_info& value_type_;
  std::string message_type_;
  std::shared_ptr<Notifier> consumer_notifier_;
  std::shared_ptr<Notifier> producer_notifier_;
  ProducerCounters producer_;
  ConsumerCounters consumer_;
  LatencyHistogram latency_;  // consumer-written
  // The most stats() ever reported as depth or high-water mark: high_water never reads lower
  // than a depth an earlier snapshot showed.
  mutable std::atomic<std::uint64_t> reported_high_water_{0};
  // `block` policy: the producer raises space_waiting_ before it sleeps; the consumer, after a
  // pop that leaves the ring half empty, clears it and notifies the producer.
  alignas(kCacheLineSize) std::atomic<std::uint32_t> space_waiting_{0};
  std::atomic<bool> consumer_failed_{false};
  bool producer_detached_ = false;  // producer thread only
  bool producer_ended_ = false;     // producer thread only
  // Set by the producer before the end mark, read by the consumer after it.
  std::shared_ptr<const Error> end_error_;

  // Guards the list of rings (the control thread adds and frees them, stats() reads their
  // sizes) and config_. Neither processor thread takes it.
  mutable std::mutex rings_mutex_;
  LinkConfig config_;  // GUARDED_BY(rings_mutex_)
};

template <Message T>
class LinkChannel final : public LinkChannelBase {
 public:
  struct Entry {
    T value{};
    std::int64_t enqueue_ns = 0;  // 0: not sampled for latency
  };

  LinkChannel(Endpoints endpoints, const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier,
              std::shared_ptr<Notifier> producer_notifier = nullptr)
      : LinkChannelBase(std::move(endpoints), typeid(T), message_info<T>().name, config, std::move(consumer_notifier),
                        std::move(producer_notifier)) {
    rings_.push_back(std::make_unique<Ring>(config_, 0));
    pring_ = rings_.back().get();
    cring_ = pring_;
  }

  // --- Producer thread --------------------------------------------------------------------

  PushOutcome push(T value) {
    const std::uint64_t n = local_.pushed++;
    const bool sample = (n & kSampleMask) == 0 || consumer_notifier_->consumer_waiting();
    Entry entry{std::move(value), sample ? monotonic_ns() : 0};
    PushOutcome outcome = handover_ ? push_in_handover(entry) : push_into(*pring_, entry);
    // Counted once the message is in the ring (release: a consumer that sees the count sees
    // the message). The consumer's progress token must never run ahead of its ring, or a
    // consumer could go to sleep on a token that already included a message it had not seen.
    producer_.pushed.store(local_.pushed, std::memory_order_release);
    if (outcome == PushOutcome::kSpilled) {
      bump(producer_.spilled);
      note_high_water();
    } else if (outcome != PushOutcome::kAccepted) {
      if (outcome == PushOutcome::kDropped) bump(producer_.dropped);
      note_high_water();
      return outcome;
    }
    if ((n & kSampleMask) == 0) note_high_water();
    consumer_notifier_->notify();
    return outcome;
  }

  void producer_switch(const void* handle) override {
    Ring* next = static_cast<Ring*>(const_cast<void*>(handle));
    if (next == pring_) return;
    Ring* old = pring_;
    older_.push_back(old);
    pring_ = next;
    if (producer_ended_) next->ended.store(true, std::memory_order_release);
    old->next.store(next, std::memory_order_release);  // seals `old`: nothing more is pushed there
    handover_ = true;
  }

  void end_stream() override {
    if (producer_ended_) return;
    producer_ended_ = true;
    pring_->ended.store(true, std::memory_order_release);  // after every push before it
    consumer_notifier_->notify();
  }

  // --- Consumer thread --------------------------------------------------------------------

  bool has_data() {
    for (;;) {
      if (!cring_->ring.consumer_empty()) return true;
      if (!advance()) return false;
    }
  }

  // The next message (sequential) or the newest one (latest), or nullopt.
  std::optional<T> pop() {
    Entry entry;
    if (!pop_entry(entry)) return std::nullopt;
    if (read_mode() == ReadMode::kLatest) {
      Entry newer;
      std::uint64_t skipped = 0;
      while (pop_entry(newer)) {
        entry = std::move(newer);
        ++skipped;
      }
      if (skipped) bump(consumer_.dropped, skipped);
    }
    delivered(entry);
    return std::move(entry.value);
  }

  bool full() override {
    return space_waiting_.load(std::memory_order_relaxed) != 0 ||
           cring_->ring.consumer_size() >= cring_->ring.capacity();
  }

  bool ended() override {
    for (;;) {
      const bool end = cring_->ended.load(std::memory_order_acquire);
      if (!cring_->ring.consumer_empty()) return false;
      if (cring_->next.load(std::memory_order_acquire) != nullptr) {
        if (!advance()) return false;
        continue;
      }
      return end;
    }
  }

  // The message read() would return next, without taking it (in latest mode the older ones
  // are skipped first, as read() would).
  std::optional<T> peek() {
    if (read_mode() == ReadMode::kLatest) skip_to_newest();
    Entry entry;
    for (;;) {
      if (cring_->ring.try_peek(entry)) return std::move(entry.value);
      if (!advance()) return std::nullopt;
    }
  }

  std::optional<std::int64_t> head_timestamp_ns() override {
    if constexpr (requires(const T& t) {
                    { t.timestamp_ns() } -> std::convertible_to<std::int64_t>;
                  }) {
      auto v = peek();
      if (!v || !*v) return std::nullopt;
      return v->timestamp_ns();
    } else {
      return std::nullopt;
    }
  }

  // How many messages one drain() call takes at most: one ring's capacity, or what is queued
  // now if more. Bounded on purpose: a producer that keeps up must not keep the consumer inside
  // one process() call forever, or it would never reach a safe point.
  // Consumer thread: the messages queued now, in the ring being read and any newer one a resize
  // handed over.
  std::size_t queued() {
    std::size_t n = cring_->ring.consumer_available();
    for (Ring* r = cring_->next.load(std::memory_order_acquire); r != nullptr;
         r = r->next.load(std::memory_order_acquire))
      n += r->ring.size();
    return n;
  }
  // Consumer thread: the producer ended the stream (its end follows what is queued).
  bool end_queued() {
    for (Ring* r = cring_; r != nullptr; r = r->next.load(std::memory_order_acquire))
      if (r->ended.load(std::memory_order_acquire)) return true;
    return false;
  }

  std::size_t drain_limit() {
    if (read_mode() == ReadMode::kLatest) return 1;
    return std::max(cring_->ring.capacity(), cring_->ring.consumer_available());
  }

  // Calls fn(T&&) for each message available (just the newest in latest mode), at most
  // drain_limit() of them, while keep_going() holds after each. `fn` returns void (the count
  // is returned) or Result<void> (DrainFn): then the drain stops at the first error and
  // returns it — the message that failed was taken, the ones after it stay queued.
  template <class F, class KeepGoing>
  requires DrainFn<F, T> DrainResult<F, T> drain(F&& fn, KeepGoing&& keep_going) {
    return drain_steps([&](T&& v) { return fn(std::move(v)); }, keep_going);
  }

  // drain()'s loop; `step` is fn, and its result is what the drain returns.
  template <class Step, class KeepGoing>
  auto drain_steps(Step&& step, KeepGoing&& keep_going) {
    constexpr bool kFallible = !std::is_void_v<std::invoke_result_t<Step&, T&&>>;
    std::size_t n = 0;
    // One message handed to `step`; false if it failed (its error is returned).
    [[maybe_unused]] Result<void> status;
    auto take = [&](T&& v) {
      ++n;
      if constexpr (kFallible) {
        status = step(std::move(v));
        return status.has_value();
      } else {
        step(std::move(v));
        return true;
      }
    };
    if (read_mode() == ReadMode::kLatest) {
      if (auto v = pop()) (void)take(std::move(*v));
    } else {
      const std::size_t limit = drain_limit();
      Entry entry;
      while (n < limit && pop_entry(entry)) {
        delivered(entry);
        if (!take(std::move(entry.value)) || !keep_going()) break;
      }
    }
    if constexpr (kFallible) {
      if (!status) return Result<std::size_t>(tl::unexpected<Error>(std::move(status).error()));
      return Result<std::size_t>(n);
    } else {
      return n;
    }
  }

  void consumer_trim() override {
    Ring* newest = cring_;
    std::size_t queued = cring_->ring.consumer_available();
    for (Ring* r = cring_->next.load(std::memory_order_acquire); r != nullptr;
         r = r->next.load(std::memory_order_acquire)) {
      newest = r;
      queued += r->ring.size();
    }
    if (newest->policy != LinkPolicy::kDropOldest) return;
    std::uint64_t discarded = 0;
    Entry entry;
    while (queued > newest->ring.capacity() && pop_entry(entry)) {
      --queued;
      ++discarded;
    }
    if (discarded) bump(consumer_.dropped, discarded);
  }

  bool any_has_data() override { return has_data(); }
  std::size_t any_drain_limit() override { return drain_limit(); }
  std::optional<AnyFrame> any_pop() override {
    if constexpr (BuiltinFrame<T>) {
      auto v = pop();
      if (!v) return std::nullopt;
      return AnyFrame(std::move(*v));
    } else {
      return std::nullopt;
    }
  }
  std::optional<AnyFrame> any_peek() override {
    if constexpr (BuiltinFrame<T>) {
      auto v = peek();
      if (!v) return std::nullopt;
      return AnyFrame(std::move(*v));
    } else {
      return std::nullopt;
    }
  }
  bool carries_builtin_frame() const override { return BuiltinFrame<T>; }

  // --- Control thread ---------------------------------------------------------------------

  const void* prepare_resize(const LinkConfig& config) override {
    std::lock_guard lock(rings_mutex_);
    // Rings both sides have left behind can go now.
    std::erase_if(rings_, [](const std::unique_ptr<Ring>& r) {
      return r->retired.load(std::memory_order_acquire) && r->released.load(std::memory_order_acquire);
    });
    rings_.push_back(std::make_unique<Ring>(config.merged_over(config_), 0));
    return rings_.back().get();
  }

  void commit_resize(const void* handle) override {
    std::lock_guard lock(rings_mutex_);
    config_ = static_cast<const Ring*>(handle)->config;
  }

  void abort_resize(const void* handle) override {
    std::lock_guard lock(rings_mutex_);
    std::erase_if(rings_, [&](const std::unique_ptr<Ring>& r) { return r.get() == handle; });
  }

 protected:
  std::size_t queued_locked() const override {
    std::size_t n = 0;
    for (const auto& r : rings_) {
      if (!r->retired.load(std::memory_order_acquire)) n += r->ring.size();
    }
    return n;
  }

 private:
  static constexpr std::uint64_t kSampleMask = 63;
  static constexpr int kBlockSpin = 64;

  struct Ring {
    Ring(const LinkConfig& c, std::size_t must_hold)
        : ring(*c.capacity, *c.policy == LinkPolicy::kDropOldest, must_hold),
          config(c),
          policy(*c.policy),
          read_mode(*c.read_mode),
          block_timeout(*c.block_timeout) {}
    SpscRing<Entry> ring;
    const LinkConfig config;  // complete
    const LinkPolicy policy;
    const ReadMode read_mode;
    const std::chrono::nanoseconds block_timeout;
    // Set by the producer when it moves on to a newer ring (this one is then sealed).
    std::atomic<Ring*> next{nullptr};
    // Set by the producer after its last push: end of stream (on the ring it pushes into).
    std::atomic<bool> ended{false};
    // The consumer has read this ring to its end and moved on; the producer no longer looks
    // at it. Both set: the control thread may free it.
    std::atomic<bool> retired{false};
    std::atomic<bool> released{false};
  };

  // --- Producer side ---

  PushOutcome push_into(Ring& r, Entry& entry) {
    switch (r.policy) {
      case LinkPolicy::kDropNewest:
        return r.ring.try_push(std::move(entry)) ? PushOutcome::kAccepted : PushOutcome::kDropped;
      case LinkPolicy::kDropOldest:
        switch (r.ring.push_overwrite(std::move(entry))) {
          case SpscRing<Entry>::OverwriteResult::kPushed:
            return PushOutcome::kAccepted;
          case SpscRing<Entry>::OverwriteResult::kPushedEvicted:
            bump(producer_.dropped);
            note_high_water();
            return PushOutcome::kAccepted;
          case SpscRing<Entry>::OverwriteResult::kRejected:
            return PushOutcome::kDropped;
        }
        return PushOutcome::kDropped;
      case LinkPolicy::kBlock:
        if (r.ring.try_push(std::move(entry))) return PushOutcome::kAccepted;
        return push_blocking(entry);
    }
    return PushOutcome::kDropped;
  }

  // Messages still queued in rings the producer has left (0 ends the hand-over).
  std::size_t older_queued() {
    std::size_t n = 0;
    std::size_t kept = 0;
    for (Ring* r : older_) {
      if (r->retired.load(std::memory_order_acquire)) {
        r->released.store(true, std::memory_order_release);
        continue;
      }
      n += r->ring.size();
      older_[kept++] = r;
    }
    older_.resize(kept);
    if (older_.empty()) handover_ = false;
    return n;
  }

  // True if the current ring may take one more message under its capacity, counting what the
  // older rings still hold.
  bool has_room() {
    Ring& r = *pring_;
    const std::size_t older = handover_ ? older_queued() : 0;
    return older + r.ring.producer_size() < r.ring.capacity();
  }

  PushOutcome push_in_handover(Entry& entry) {
    Ring& r = *pring_;
    const std::size_t older = older_queued();
    if (!handover_) return push_into(r, entry);
    if (older + r.ring.producer_size() < r.ring.capacity()) {
      return r.ring.try_push(std::move(entry)) ? PushOutcome::kAccepted : PushOutcome::kDropped;
    }
    switch (r.policy) {
      case LinkPolicy::kDropNewest:
        return PushOutcome::kDropped;
      case LinkPolicy::kDropOldest:
        // The oldest are in a ring the consumer is still reading; evict the oldest of this one
        // instead (freshness is what drop_oldest is for), or keep one message here.
        if (r.ring.try_evict_oldest()) bump(producer_.dropped);
        return r.ring.try_push(std::move(entry)) ? PushOutcome::kAccepted : PushOutcome::kDropped;
      case LinkPolicy::kBlock:
        return push_blocking(entry);
    }
    return PushOutcome::kDropped;
  }

  // Waits for room up to the block timeout (see the file comment for what ends the wait).
  PushOutcome push_blocking(Entry& entry) {
    note_high_water();
    if (consumer_failed_.load(std::memory_order_relaxed)) return PushOutcome::kDropped;
    ThreadContext* ctx = t_thread_context;
    // A consumer keeping up frees room within microseconds: spin briefly before paying for
    // sleeping. Wait for half the ring to be free rather than one slot: refilling one slot at
    // a time would bounce the head index's cache line between the cores on every message.
    if (!handover_) {
      SpscRing<Entry>& ring = pring_->ring;
      for (int i = 0; i < kBlockSpin; ++i) {
        internal::pause_between_polls();
        if ((ring.size() * 2 <= ring.capacity() || i + 1 == kBlockSpin) && ring.try_push(std::move(entry))) {
          return PushOutcome::kAccepted;
        }
      }
    }
    const auto deadline = Notifier::Clock::now() + pring_->block_timeout;
    for (;;) {
      if (producer_detached_) return PushOutcome::kDetached;
      if (pring_->policy != LinkPolicy::kBlock) return push_in_handover(entry);  // re-policied while waiting
      if (has_room() && pring_->ring.try_push(std::move(entry))) return PushOutcome::kAccepted;
      if (consumer_failed_.load(std::memory_order_acquire)) return PushOutcome::kDropped;
      if (ctx != nullptr) {
        if (ctx->stopping()) return PushOutcome::kDropped;
        if (ctx->change_waiting()) return spill(entry);
        if (ctx->has_port_commands()) {
          ctx->run_port_commands();  // may detach this link or hand it a new ring
          continue;
        }
      }
      if (Notifier::Clock::now() >= deadline) return PushOutcome::kDropped;
      space_waiting_.store(1, std::memory_order_relaxed);
      // The flag makes full() true even when the consumer has just taken a message: a consumer
      // that goes on when an input is full (a muxer) must see it. Counting the wait moves the
      // progress token, so its readiness looks again; the notify wakes it if it already sleeps
      // (it sets its state before it reads the token: one of the two sees the other).
      producer_.waits.store(producer_.waits.load(std::memory_order_relaxed) + 1, std::memory_order_release);
      heavy_fence();  // the consumer's pop pays only a light fence (see delivered())
      consumer_notifier_->notify();
      // The consumer taking the flag back (space_waiting_ == 0) ends the wait too: it wakes us
      // on its own measure of room (while it still reads an older ring it wakes on every
      // message), and its notify() may come before this thread sleeps. Had we slept on with
      // the flag gone, no later pop would wake us: the loop re-checks and re-arms it.
      if (ctx != nullptr) ctx->blocking_begin();
      producer_notifier_->wait(
          [&] {
            return space_waiting_.load(std::memory_order_relaxed) == 0 || half_free() ||
                   consumer_failed_.load(std::memory_order_relaxed) ||
                   (ctx != nullptr && (ctx->stopping() || ctx->change_waiting() || ctx->has_port_commands()));
          },
          deadline);
      if (ctx != nullptr) ctx->blocking_end();
      space_waiting_.store(0, std::memory_order_relaxed);
    }
  }

  // Takes the message beyond the capacity (see the file comment): into a free slot of the
  // current ring if it has one, else into a new, larger ring the producer hands itself over to
  // (allocated here, on this rare path, never in steady state).
  PushOutcome spill(Entry& entry) {
    if (pring_->ring.push_ignoring_capacity(std::move(entry))) return PushOutcome::kSpilled;
    Ring* bigger;
    {
      std::lock_guard lock(rings_mutex_);
      rings_.push_back(std::make_unique<Ring>(pring_->config, 2 * pring_->ring.slot_count()));
      bigger = rings_.back().get();
    }
    producer_switch(bigger);
    return pring_->ring.push_ignoring_capacity(std::move(entry)) ? PushOutcome::kSpilled : PushOutcome::kDropped;
  }

  bool half_free() {
    SpscRing<Entry>& ring = pring_->ring;
    const std::size_t older = handover_ ? older_queued() : 0;
    return (older + ring.size()) * 2 <= ring.capacity();
  }

  void note_high_water() {
    const std::uint64_t d = pring_->ring.size();
    if (d > producer_.high_water.load(std::memory_order_relaxed)) {
      producer_.high_water.store(d, std::memory_order_relaxed);
    }
  }

  // --- Consumer side ---

  // Moves past a ring the producer has sealed once it is read to its end. False if there is no
  // newer ring.
  bool advance() {
    Ring* next = cring_->next.load(std::memory_order_acquire);
    if (next == nullptr) return false;
    if (!cring_->ring.consumer_empty()) return true;  // pushed before the seal: read those first
    cring_->retired.store(true, std::memory_order_release);
    cring_ = next;
    return true;
  }

  // Latest mode: discards everything but the newest queued message (counted).
  void skip_to_newest() {
    std::uint64_t skipped = 0;
    Entry entry;
    for (;;) {
      const std::size_t available = cring_->ring.consumer_available();
      if (available == 0) {
        if (!advance()) break;
        continue;
      }
      if (available == 1 && cring_->next.load(std::memory_order_acquire) == nullptr) break;
      if (!pop_entry(entry)) break;
      ++skipped;
    }
    if (skipped) bump(consumer_.dropped, skipped);
  }

  // The read mode of the newest ring: a change of read mode applies to what is already queued.
  ReadMode read_mode() const {
    const Ring* r = cring_;
    for (const Ring* n = r->next.load(std::memory_order_acquire); n != nullptr;
         n = n->next.load(std::memory_order_acquire)) {
      r = n;
    }
    return r->read_mode;
  }

  bool pop_entry(Entry& entry) {
    for (;;) {
      if (cring_->ring.try_pop(entry)) return true;
      if (!advance()) return false;
    }
  }

  void delivered(const Entry& entry) {
    bump(consumer_.delivered);
    if (entry.enqueue_ns != 0) latency_.record(monotonic_ns() - entry.enqueue_ns);
    if (cring_->policy == LinkPolicy::kBlock || cring_->next.load(std::memory_order_relaxed) != nullptr) {
      light_fence();  // the producer going to sleep pays the heavy half (push_blocking)
      // Wake a waiting producer once, when half the ring is free (or the producer has moved
      // to a newer ring): it then refills a batch instead of being woken once per message.
      if (space_waiting_.load(std::memory_order_relaxed) != 0 &&
          (cring_->ring.size() * 2 <= cring_->ring.capacity() ||
           cring_->next.load(std::memory_order_relaxed) != nullptr) &&
          space_waiting_.exchange(0, std::memory_order_acq_rel) != 0) {
        producer_notifier_->notify();
      }
    }
  }

  // GUARDED_BY(rings_mutex_): every ring not yet freed, oldest first.
  std::vector<std::unique_ptr<Ring>> rings_;
  // Producer thread only.
  alignas(kCacheLineSize) Ring* pring_ = nullptr;
  bool handover_ = false;     // older_ is not empty
  std::vector<Ring*> older_;  // sealed rings the consumer may still be reading
  struct {
    std::uint64_t pushed = 0;
  } local_;
  // Consumer thread only.
  alignas(kCacheLineSize) Ring* cring_ = nullptr;
};

// A ChannelFactory for outputs of message type T.
template <Message T>
std::shared_ptr<LinkChannelBase> make_channel_of(const LinkId& id, const std::string& from, const std::string& to,
                                                 const LinkConfig& config, std::shared_ptr<Notifier> consumer_notifier,
                                                 std::shared_ptr<Notifier> producer_notifier) {
  return std::make_shared<LinkChannel<T>>(LinkChannelBase::Endpoints{id, from, to},
                                          config.merged_over(default_link_config<T>()), std::move(consumer_notifier),
                                          std::move(producer_notifier));
}

}  // namespace streamlib::internal
