// Reference-counted, pooled frame storage shared by VideoFrame, AudioFrame and DataFrame.
//
// A frame handle is one pointer to a storage block with an intrusive atomic count (like
// mediapipe's Packet): copying a handle shares the block, it never copies pixels or samples.
// When the last handle goes, the block returns to the pool it came from and keeps its buffer
// capacity, so a steady stream of same-sized frames allocates nothing after warm-up.
//
// Threads: a pool is acquired from by one thread at a time (its producer); blocks come back
// from any thread. Returns go onto a lock-free stack (push only, so no ABA) that the producer
// empties in one exchange when its own free list runs dry: no lock, and the only cache line
// the two sides share is that stack's head, touched once per batch by the producer. A pool
// keeps every block it made (at most the peak number in flight). A pool may be destroyed
// while its frames are in flight; its core lives until the last one comes back.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamlib {

// Key/value annotations carried by a frame ("source" -> "camera_0", "codec" -> "h264").
class FrameMetadata {
 public:
  void set(std::string_view key, std::string_view value);
  std::optional<std::string_view> get(std::string_view key) const;
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

namespace internal {

class PoolCoreBase;

// How an output port reads and rewrites a message's media time (see LinkOutput: a processor
// that restarts its clock after a live change). Specialized by VideoFrame and AudioFrame;
// other message types carry no media time the runtime touches.
template <class T>
struct MediaTime {
  static constexpr bool kTimed = false;
};

// Common header of every pooled storage block.
struct FrameStorageBase {
  FrameStorageBase() = default;
  FrameStorageBase(const FrameStorageBase&) = delete;
  FrameStorageBase& operator=(const FrameStorageBase&) = delete;
  virtual ~FrameStorageBase() { release_external(); }

  // Puts header fields back to their defaults; buffers keep their capacity. Called when the
  // last reference goes: it also hands external memory back (see `external`).
  virtual void reset() = 0;
  // Calls and clears `external` if set: exactly once per wrapped buffer.
  void release_external() noexcept {
    if (external) std::exchange(external, nullptr)();
  }

  std::atomic<std::uint32_t> refs{0};
  PoolCoreBase* pool = nullptr;           // set once when made; null: deleted when unused
  FrameStorageBase* next_free = nullptr;  // link in the pool's return stack
  std::int64_t timestamp_ns = 0;
  std::int64_t duration_ns = 0;
  std::uint64_t frame_number = 0;
  FrameMetadata metadata;
  // Memory owned elsewhere (a decoder's frame, a device buffer): given back by calling this
  // when the last reader lets go.
  std::function<void()> external;
};

class PoolCoreBase {
 public:
  // Cores delete themselves (see orphan()), so they are only made here.
  static PoolCoreBase* create() { return new PoolCoreBase(); }
  PoolCoreBase(const PoolCoreBase&) = delete;
  PoolCoreBase& operator=(const PoolCoreBase&) = delete;

  // Owner thread: a free block (refs == 0) or nullptr if none.
  FrameStorageBase* take();
  // Owner thread: records that a block (new or taken) was handed out.
  void handed_out() { ++handed_out_; }
  // Owner thread: a block made ahead of need goes straight to the free list.
  void add_free(FrameStorageBase* block) { local_.push_back(block); }

  // Bounded pools: at most `max` blocks out at once (0: unbounded). Owner thread.
  void set_max_in_flight(std::size_t max) { max_in_flight_.store(max, std::memory_order_relaxed); }
  std::size_t max_in_flight() const { return max_in_flight_.load(std::memory_order_relaxed); }
  // Blocks handed out and not yet back. Owner thread.
  std::size_t in_flight() const {
    const std::int64_t n = handed_out_ + balance_.load(std::memory_order_acquire);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // Owner thread: waits until fewer than max_in_flight() blocks are out. Backpressure: a slow
  // consumer holding frames slows the producer down instead of growing memory. Inside a
  // processor it is a safe point for link commands, and it gives up (the pool then goes over
  // its bound, once) when the processor is stopping or a change to it is waiting, so that
  // process() returns.
  void wait_for_room();
  // Any thread: a block's last reference went away.
  void release(FrameStorageBase* block) noexcept;
  // Owner thread, once (the pool object is going away). Deletes this core now if no block is
  // out, else the last release does.
  void orphan() noexcept;

  std::uint64_t allocated() const { return allocated_.load(std::memory_order_relaxed); }
  std::uint64_t reused() const { return reused_.load(std::memory_order_relaxed); }
  void count_allocation() {
    allocated_.store(allocated_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 private:
  PoolCoreBase() = default;
  ~PoolCoreBase();  // only via orphan()/release()

  std::vector<FrameStorageBase*> local_;              // owner thread
  std::int64_t handed_out_ = 0;                       // owner thread
  std::atomic<FrameStorageBase*> returned_{nullptr};  // lock-free return stack
  // Releases subtract one; orphan() adds every hand-out. Before orphaning it is <= 0; after,
  // it counts the blocks still out, and whoever brings it to zero deletes the core.
  std::atomic<std::int64_t> balance_{0};
  std::atomic<bool> orphaned_{false};
  std::atomic<std::uint64_t> allocated_{0};
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::size_t> max_in_flight_{0};   // set by the owner, read by releasers
  std::atomic<std::uint32_t> returned_seq_{0};  // bumped by every release (futex word)
  std::atomic<bool> waiter_{false};             // the owner sleeps in wait_for_room()
};

// Drops one reference; the last one returns the block to its pool or deletes it.
void release_frame_storage(FrameStorageBase* block) noexcept;

// Intrusive shared pointer to a storage block.
template <class S>
class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(S* adopt) : p_(adopt) {
    if (p_) p_->refs.store(1, std::memory_order_relaxed);
  }
  FrameRef(const FrameRef& other) : p_(other.p_) {
    if (p_) p_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  FrameRef(FrameRef&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  FrameRef& operator=(FrameRef other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~FrameRef() {
    if (p_) release_frame_storage(p_);
  }

  S* get() const { return p_; }
  S* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  std::uint32_t use_count() const { return p_ ? p_->refs.load(std::memory_order_relaxed) : 0; }

 private:
  S* p_ = nullptr;
};

// A pool of one storage type.
template <class S>
class FramePoolImpl {
 public:
  FramePoolImpl() : core_(PoolCoreBase::create()) {}
  FramePoolImpl(const FramePoolImpl&) = delete;
  FramePoolImpl& operator=(const FramePoolImpl&) = delete;
  ~FramePoolImpl() { core_->orphan(); }

  // A block with refs == 1, recycled or new. On a bounded pool, waits for room first.
  FrameRef<S> acquire() {
    if (core_->max_in_flight() != 0 && core_->in_flight() >= core_->max_in_flight()) core_->wait_for_room();
    return acquire_now();
  }
  // Null when a bounded pool is at its bound.
  FrameRef<S> try_acquire() {
    if (core_->max_in_flight() != 0 && core_->in_flight() >= core_->max_in_flight()) return FrameRef<S>();
    return acquire_now();
  }
  // Makes `count` blocks ahead of need, each prepared by `prepare(S&)` (sizing its buffer and
  // touching its pages), so the first frames do not allocate or fault on a real-time thread.
  template <class Prepare>
  void reserve(std::size_t count, Prepare&& prepare) {
    for (std::size_t i = 0; i < count; ++i) {
      S* block = new S();
      block->pool = core_;
      core_->count_allocation();
      prepare(*block);
      block->reset();
      core_->add_free(block);
    }
  }
  void set_max_in_flight(std::size_t max) { core_->set_max_in_flight(max); }
  std::size_t in_flight() const { return core_->in_flight(); }

 private:
  FrameRef<S> acquire_now() {
    S* block = static_cast<S*>(core_->take());
    if (block == nullptr) {
      block = new S();
      block->pool = core_;
      core_->count_allocation();
    }
    core_->handed_out();
    return FrameRef<S>(block);
  }

 public:
  std::uint64_t allocated() const { return core_->allocated(); }
  std::uint64_t reused() const { return core_->reused(); }

 private:
  PoolCoreBase* core_;
};

// Byte buffer aligned for SIMD, growing only when asked for more than it has.
class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  void resize(std::size_t size);  // contents are not preserved when it grows
  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace internal
}  // namespace streamlib
