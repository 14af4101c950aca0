// Notifier: the one coalescing wake-up word of a processor.
//
// Every link into a Reactive processor, and the runtime's command queue, share the consumer's
// Notifier. A push calls notify(); the consumer sleeps in wait() only after announcing it and
// re-checking its inputs, so a wake-up is never lost, and a thousand pushes while the consumer
// is busy cost a thousand relaxed loads, not a thousand messages or syscalls (futex on Linux).
//
//   // consumer thread                       // producer thread
//   notifier.wait([&] { return has_work(); },   ring.try_push(x);
//                 deadline);                      notifier.notify();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "streamlib/link/spsc_ring.h"  // internal::pause_between_polls

namespace streamlib {

namespace internal {

// Asymmetric fences (folly's asymmetricLightBarrier/HeavyBarrier, Linux membarrier): the
// wake-up handshakes need a full StoreLoad fence on both sides, but one side (a push, a pop)
// runs per message and the other (going to sleep) rarely when traffic is heavy. With
// membarrier(PRIVATE_EXPEDITED) registered, the sleeper's heavy_fence() forces a full barrier
// on every running thread of the process, so the per-message side needs only a compiler
// barrier. Without it, both are full fences. The `block` policy's producer wait always uses
// them (a producer blocks only under heavy traffic); the Notifier chooses per consumer.
extern std::atomic<bool> g_asymmetric_fences;
void enable_asymmetric_fences() noexcept;  // once per process; Notifier's constructor calls it
void heavy_fence() noexcept;

inline void light_fence() noexcept {
  if (g_asymmetric_fences.load(std::memory_order_relaxed)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

}  // namespace internal

// Where a notify goes besides a sleeping thread: the pool executor's handle on a processor,
// which a notify marks scheduled (and queues on a worker) on its 0 -> 1 change only. Later
// notifies before the processor runs cost one relaxed load.
class WakeTarget {
 public:
  static constexpr std::uint32_t kScheduled = 1;  // queued, or to run again after this run
  static constexpr std::uint32_t kRunning = 2;    // a worker is running the processor

  // Neither queued nor running: the processor waits for work.
  bool idle() const noexcept { return schedule_state_.load(std::memory_order_relaxed) == 0; }
  // Any thread, after a fence that orders the caller's store (see Notifier::notify()).
  void wake() noexcept {
    if ((schedule_state_.load(std::memory_order_relaxed) & kScheduled) == 0) schedule();
  }

 protected:
  ~WakeTarget() = default;
  // Sets kScheduled; queues the processor if it was neither scheduled nor running.
  virtual void schedule() noexcept = 0;
  std::atomic<std::uint32_t> schedule_state_{0};
};

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;

  Notifier() noexcept { internal::enable_asymmetric_fences(); }

  // Any thread. Wakes the consumer if it is asleep or about to sleep. Orders the caller's
  // preceding store (a ring's tail, a queued command) before the read of the consumer's state;
  // wait() orders its side the same way (Dekker), so one of the two always sees the other.
  //
  // Which fence: a busy consumer (see wait()) asks producers for the light half of an
  // asymmetric fence and pays the heavy half itself on the rare occasions it sleeps; an idle
  // one, which sleeps after nearly every message, keeps both sides on ordinary full fences so
  // its sleeping disturbs no other thread.
  void notify() noexcept {
    // A pool's wake target has no heavy half: its side is always a full fence.
    if (light_producers_.load(std::memory_order_relaxed) && target_ == nullptr) {
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    if (target_ != nullptr) target_->wake();
    if (state_.load(std::memory_order_relaxed) == kWaiting) wake_slow();
  }

  // Sends every later notify() to `target` as well. Set once, before the notifier is shared
  // (the pool executor does it when it makes the processor); `target` outlives the notifier.
  void set_wake_target(WakeTarget* target) noexcept { target_ = target; }

  // True while the consumer is asleep, or idle in a pool (used to decide when a latency sample
  // is worth taking).
  bool consumer_waiting() const noexcept {
    return state_.load(std::memory_order_relaxed) == kWaiting || (target_ != nullptr && target_->idle());
  }

  // Consumer thread only. Returns when `has_work()` is true, notify() was called, the
  // deadline passed, or spuriously; callers loop.
  //
  // Without a deadline it first spins briefly, adaptively: while messages keep arriving within
  // the spin, a busy consumer never pays for sleeping (the heavy fence, the futex) at all; a
  // spin that finds nothing halves the next one, so an idle processor stops spinning and costs
  // nothing, and a sleep that ends quickly (traffic is back) restores it.
  template <class Predicate>
  void wait(Predicate&& has_work, std::optional<Clock::time_point> deadline = std::nullopt) {
    if (!deadline) {
      for (std::uint32_t i = 0; i < spin_; ++i) {
        if (has_work()) return;
        internal::pause_between_polls();
      }
      spin_ /= 2;
    }
    // Busy consumers let producers use light fences and pay a heavy one per sleep. Going back
    // to full fences needs one heavy fence too: it makes every push a producer began under the
    // light regime visible before we look, and every later push sees the switch.
    bool heavy = light_producers_.load(std::memory_order_relaxed);
    if (heavy && spin_ == 0) light_producers_.store(false, std::memory_order_relaxed);
    state_.store(kWaiting, std::memory_order_seq_cst);
    if (heavy) {
      internal::heavy_fence();
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    if (!has_work()) {
      const auto slept_at = Clock::now();
      sleep(deadline);
      if (!deadline && Clock::now() - slept_at < kBusyGap) {
        spin_ = kMaxSpin;
        if (internal::g_asymmetric_fences.load(std::memory_order_relaxed)) {
          light_producers_.store(true, std::memory_order_relaxed);
        }
      }
    }
    state_.store(kIdle, std::memory_order_relaxed);
  }

 private:
  // Up to kMaxSpin polls, pause_between_polls() apart (a few microseconds), before sleeping; a
  // sleep shorter than kBusyGap means messages come faster than sleeping pays off.
  static constexpr std::uint32_t kMaxSpin = 64;
  static constexpr std::chrono::microseconds kBusyGap{50};
  static constexpr std::uint32_t kIdle = 0;
  static constexpr std::uint32_t kWaiting = 1;
  static constexpr std::uint32_t kNotified = 2;

  void wake_slow() noexcept;
  void sleep(std::optional<Clock::time_point> deadline) noexcept;

  std::atomic<std::uint32_t> state_{kIdle};
  WakeTarget* target_ = nullptr;
  // Set and cleared by the consumer only (see wait()); producers read it.
  std::atomic<bool> light_producers_{false};
  std::uint32_t spin_ = 0;  // consumer thread only
};

namespace internal {
// Thin futex wrappers (FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline).
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;
void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept;
}  // namespace internal

}  // namespace streamlib
