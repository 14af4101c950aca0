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

namespace streamlib {

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;

  // Any thread. Wakes the consumer if it is asleep or about to sleep. The full fence orders
  // the caller's preceding store (a ring's tail, a queued command) before the read of the
  // consumer's state; wait() mirrors it (Dekker), so one of the two always sees the other.
  void notify() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (state_.load(std::memory_order_relaxed) == kWaiting) wake_slow();
  }

  // True while the consumer is asleep (used to decide when a latency sample is worth taking).
  bool consumer_waiting() const noexcept { return state_.load(std::memory_order_relaxed) == kWaiting; }

  // Consumer thread only. Returns when `has_work()` is true, notify() was called, the
  // deadline passed, or spuriously; callers loop.
  template <class Predicate>
  void wait(Predicate&& has_work, std::optional<Clock::time_point> deadline = std::nullopt) {
    state_.store(kWaiting, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!has_work()) sleep(deadline);
    state_.store(kIdle, std::memory_order_relaxed);
  }

 private:
  static constexpr std::uint32_t kIdle = 0;
  static constexpr std::uint32_t kWaiting = 1;
  static constexpr std::uint32_t kNotified = 2;

  void wake_slow() noexcept;
  void sleep(std::optional<Clock::time_point> deadline) noexcept;

  std::atomic<std::uint32_t> state_{kIdle};
};

namespace internal {
// Thin futex wrappers (FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline).
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;
void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept;
}  // namespace internal

}  // namespace streamlib
