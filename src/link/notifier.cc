#include "streamlib/link/notifier.h"

#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

namespace streamlib {

namespace internal {

std::atomic<bool> g_asymmetric_fences{false};

namespace {
long membarrier(int cmd) { return syscall(SYS_membarrier, cmd, 0U, 0); }
}  // namespace

void enable_asymmetric_fences() noexcept {
  static const bool enabled = [] {
    // Needs Linux 4.14; a seccomp filter may refuse it, and then both sides use full fences.
    const long supported = membarrier(MEMBARRIER_CMD_QUERY);
    if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) return false;
    g_asymmetric_fences.store(true, std::memory_order_seq_cst);
    return true;
  }();
  (void)enabled;
}

void heavy_fence() noexcept {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (g_asymmetric_fences.load(std::memory_order_relaxed)) {
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
      // Cannot happen once registered; if it ever does, the other side's light fence is not
      // enough, so stop relying on it.
      g_asymmetric_fences.store(false, std::memory_order_seq_cst);
    }
  }
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts{};
  timespec* tsp = nullptr;
  if (deadline) {
    // steady_clock is CLOCK_MONOTONIC on Linux; FUTEX_WAIT_BITSET takes an absolute time.
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
    if (ns <= 0) return;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET_PRIVATE, expected, tsp, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace internal

void Notifier::wake_slow() noexcept {
  // Only the caller that moves the state out of kWaiting issues the syscall.
  if (state_.exchange(kNotified, std::memory_order_acq_rel) == kWaiting) internal::futex_wake_one(state_);
}

void Notifier::sleep(std::optional<Clock::time_point> deadline) noexcept {
  internal::futex_wait(state_, kWaiting, deadline);
}

}  // namespace streamlib
