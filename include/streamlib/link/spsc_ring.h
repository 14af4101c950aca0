// SpscRing: the bounded single-producer / single-consumer ring under every link.
//
//   SpscRing<int> ring(/*capacity=*/3);
//   if (!ring.try_push(7)) { /* full */ }            // producer thread
//   std::optional<int> v = ring.try_pop();            // consumer thread
//
// Layout follows rigtorp's SPSCQueue: `head_` (consumer) and `tail_` (producer) live on
// separate cache lines, and each side keeps a cached copy of the other's index on a line of
// its own, refreshing it only when the ring looks full (producer) or empty (consumer). So in
// steady state neither side reads a line the other writes except the slot it hands over.
// Indices are 64-bit and never wrap; slots are a power of two so indexing is a mask; the
// logical `capacity()` may be smaller than the slot count.
//
// Drop-oldest needs the producer to discard the oldest element, which the consumer may be
// reading at that moment. Rings made with `allow_overwrite` therefore have the consumer
// claim a slot before reading it by setting kClaimBit in `head_` with a CAS, and the producer
// evicts only an unclaimed head with a CAS of its own. Rings without it keep the cheaper
// plain store on the consumer side. Neither side ever takes a lock or allocates.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace streamlib {

// Defined here rather than taken from std::hardware_destructive_interference_size, which g++
// 12 warns about in headers (its value may differ between translation units).
inline constexpr std::size_t kCacheLineSize = 64;

namespace internal {
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
// The wait between two polls of a spin loop (LinkChannel's full-link wait, Notifier's pre-sleep
// spin): a few pauses, because each read of the other thread's cache line can cost that thread
// a transfer.
inline void pause_between_polls() noexcept {
  for (int p = 0; p < 8; ++p) cpu_relax();
}
}  // namespace internal

template <class T>
class SpscRing {
  static_assert(std::is_nothrow_move_constructible_v<T>, "SpscRing<T> needs a nothrow move constructor");
  static_assert(std::is_nothrow_destructible_v<T>, "SpscRing<T> needs a nothrow destructor");

 public:
  enum class OverwriteResult {
    kPushed,         // there was room
    kPushedEvicted,  // the oldest element was discarded to make room
    kRejected,       // the consumer was reading the oldest element; nothing was pushed
  };

  // `capacity` >= 1 elements; at least `min_slots` slots are allocated (used when a resized
  // link must hold more queued messages than its new capacity, see LinkChannel).
  explicit SpscRing(std::size_t capacity, bool allow_overwrite = false, std::size_t min_slots = 0)
      : capacity_(capacity < 1 ? 1 : capacity),
        slots_(std::bit_ceil(std::max(capacity_, min_slots))),
        mask_(slots_ - 1),
        allow_overwrite_(allow_overwrite),
        storage_(new Slot[slots_]) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  ~SpscRing() {
    std::uint64_t h = head_.load(std::memory_order_relaxed) & ~kClaimBit;
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    for (; h < t; ++h) slot(h)->~T();
  }

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t slot_count() const noexcept { return slots_; }
  bool allows_overwrite() const noexcept { return allow_overwrite_; }

  // --- Producer -------------------------------------------------------------------------

  // Pushes unless `capacity()` elements are queued. Moves from `value` only on success.
  [[nodiscard]] bool try_push(T&& value) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ >= capacity_) {
      head_cache_ = head_.load(std::memory_order_acquire) & ~kClaimBit;
      if (t - head_cache_ >= capacity_) return false;
    }
    ::new (static_cast<void*>(slot(t))) T(std::move(value));
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Pushes, discarding the oldest element if the ring is full. Needs allow_overwrite.
  OverwriteResult push_overwrite(T&& value) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    OverwriteResult result = OverwriteResult::kPushed;
    if (t - head_cache_ >= capacity_) {
      head_cache_ = head_.load(std::memory_order_acquire) & ~kClaimBit;
      if (t - head_cache_ >= capacity_) {
        switch (evict_oldest(t)) {
          case Eviction::kRoomAppeared:
            break;
          case Eviction::kEvicted:
            result = OverwriteResult::kPushedEvicted;
            break;
          case Eviction::kConsumerBusy:
            return OverwriteResult::kRejected;
        }
      }
    }
    ::new (static_cast<void*>(slot(t))) T(std::move(value));
    tail_.store(t + 1, std::memory_order_release);
    return result;
  }

  // Discards the oldest element if one is queued and the consumer is not reading it. Needs
  // allow_overwrite. True if one was discarded.
  bool try_evict_oldest() noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    for (int spin = 0; spin < kEvictSpins; ++spin) {
      std::uint64_t h = head_.load(std::memory_order_acquire);
      if (h & kClaimBit) {
        internal::cpu_relax();
        continue;
      }
      if (h >= t) return false;
      if (head_.compare_exchange_strong(h, h + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        slot(h)->~T();
        head_cache_ = h + 1;
        return true;
      }
    }
    return false;
  }

  // Producer: elements queued as far as the producer can tell (refreshes its view of the head).
  std::size_t producer_size() noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    head_cache_ = head_.load(std::memory_order_acquire) & ~kClaimBit;
    return t > head_cache_ ? static_cast<std::size_t>(t - head_cache_) : 0;
  }

  // Pushes if a slot is free, ignoring the logical capacity. Only for refilling a ring that
  // nobody else is using yet (a resized link must keep more than its new capacity).
  [[nodiscard]] bool push_ignoring_capacity(T&& value) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - (head_.load(std::memory_order_acquire) & ~kClaimBit) >= slots_) return false;
    ::new (static_cast<void*>(slot(t))) T(std::move(value));
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // --- Consumer -------------------------------------------------------------------------

  // True if nothing is queued (as far as the consumer can tell right now).
  // Consumer: elements queued as far as the consumer can tell (refreshes its view of the tail).
  std::size_t consumer_size() noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed) & ~kClaimBit;
    tail_cache_ = tail_.load(std::memory_order_acquire);
    return tail_cache_ > h ? static_cast<std::size_t>(tail_cache_ - h) : 0;
  }

  bool consumer_empty() noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed) & ~kClaimBit;
    if (h < tail_cache_) return false;
    tail_cache_ = tail_.load(std::memory_order_acquire);
    return h >= tail_cache_;
  }

  // How many elements the consumer can pop right now (refreshes its view of the tail).
  std::size_t consumer_available() noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed) & ~kClaimBit;
    tail_cache_ = tail_.load(std::memory_order_acquire);
    return tail_cache_ > h ? static_cast<std::size_t>(tail_cache_ - h) : 0;
  }

  [[nodiscard]] bool try_pop(T& out) noexcept {
    if (!allow_overwrite_) {
      // Only the consumer writes head_: a plain load and store.
      const std::uint64_t h = head_.load(std::memory_order_relaxed);
      if (h == tail_cache_) {
        tail_cache_ = tail_.load(std::memory_order_acquire);
        if (h == tail_cache_) return false;
      }
      T* p = slot(h);
      out = std::move(*p);
      p->~T();
      head_.store(h + 1, std::memory_order_release);
      return true;
    }
    for (;;) {
      std::uint64_t h = head_.load(std::memory_order_acquire);  // never claimed here: we are the only claimer
      if (h >= tail_cache_) {
        tail_cache_ = tail_.load(std::memory_order_acquire);
        if (h >= tail_cache_) return false;
      }
      // Claim slot h; fails only if the producer evicted it meanwhile.
      if (!head_.compare_exchange_weak(h, h | kClaimBit, std::memory_order_acquire, std::memory_order_relaxed)) {
        continue;
      }
      T* p = slot(h);
      out = std::move(*p);
      p->~T();
      head_.store(h + 1, std::memory_order_release);
      return true;
    }
  }

  // Copies the next element without taking it. False if none.
  bool try_peek(T& out) {
    if (!allow_overwrite_) {
      const std::uint64_t h = head_.load(std::memory_order_relaxed);
      if (h == tail_cache_) {
        tail_cache_ = tail_.load(std::memory_order_acquire);
        if (h == tail_cache_) return false;
      }
      out = *slot(h);
      return true;
    }
    for (;;) {
      std::uint64_t h = head_.load(std::memory_order_acquire);
      if (h >= tail_cache_) {
        tail_cache_ = tail_.load(std::memory_order_acquire);
        if (h >= tail_cache_) return false;
      }
      // Claim the head so the producer cannot evict it while it is copied, then let it go.
      if (!head_.compare_exchange_weak(h, h | kClaimBit, std::memory_order_acquire, std::memory_order_relaxed)) {
        continue;
      }
      out = *slot(h);
      head_.store(h, std::memory_order_release);
      return true;
    }
  }

  std::optional<T> try_pop() noexcept(std::is_nothrow_default_constructible_v<T>) {
    std::optional<T> out;
    out.emplace();
    if (!try_pop(*out)) out.reset();
    return out;
  }

  // --- Either side (approximate while both run) -----------------------------------------

  std::size_t size() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire) & ~kClaimBit;
    const std::uint64_t t = tail_.load(std::memory_order_acquire);
    return t > h ? static_cast<std::size_t>(t - h) : 0;
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  static constexpr std::uint64_t kClaimBit = std::uint64_t{1} << 63;
  static constexpr int kEvictSpins = 64;

  struct Slot {
    alignas(T) unsigned char bytes[sizeof(T)];
  };

  T* slot(std::uint64_t index) noexcept {
    return std::launder(reinterpret_cast<T*>(storage_[static_cast<std::size_t>(index & mask_)].bytes));
  }

  enum class Eviction { kRoomAppeared, kEvicted, kConsumerBusy };

  // Makes room for tail `t` by discarding the element at head. The consumer may free a slot
  // meanwhile (then nothing is discarded), or hold the head claimed for the whole short spin:
  // it is mid-read, and the caller drops the new value instead.
  Eviction evict_oldest(std::uint64_t t) noexcept {
    for (int spin = 0; spin < kEvictSpins; ++spin) {
      std::uint64_t h = head_.load(std::memory_order_acquire);
      if (h & kClaimBit) {
        internal::cpu_relax();
        continue;
      }
      if (t - h < capacity_) {
        head_cache_ = h;
        return Eviction::kRoomAppeared;
      }
      if (head_.compare_exchange_strong(h, h + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        slot(h)->~T();
        head_cache_ = h + 1;
        return Eviction::kEvicted;
      }
    }
    return Eviction::kConsumerBusy;
  }

  // Producer-owned line.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> tail_{0};
  // Producer's cache of head_ (its own line: the consumer never touches it).
  alignas(kCacheLineSize) std::uint64_t head_cache_ = 0;
  // Consumer-owned line (the producer CASes it only to evict, in overwrite mode).
  alignas(kCacheLineSize) std::atomic<std::uint64_t> head_{0};
  // Consumer's cache of tail_.
  alignas(kCacheLineSize) std::uint64_t tail_cache_ = 0;
  // Read-only after construction; own line so the hot indices above never share with it.
  alignas(kCacheLineSize) const std::size_t capacity_;
  const std::size_t slots_;
  const std::uint64_t mask_;
  const bool allow_overwrite_;
  std::unique_ptr<Slot[]> storage_;
};

}  // namespace streamlib
