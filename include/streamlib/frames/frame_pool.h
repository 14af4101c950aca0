// Reference-counted, pooled frame storage shared by VideoFrame, AudioFrame and DataFrame.
//
// A frame handle is one pointer to a storage block with an intrusive atomic count (like
// mediapipe's Packet): copying a handle shares the block, it never copies pixels or samples.
// When the last handle goes, the block returns to the pool it came from and keeps its buffer
// capacity, so a steady stream of same-sized frames allocates nothing after warm-up.
//
// The free list is a short mutex-guarded vector: one uncontended lock per acquire and per
// release, never held while a frame is being filled or read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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

// Common header of every pooled storage block.
struct FrameStorageBase {
  FrameStorageBase() = default;
  FrameStorageBase(const FrameStorageBase&) = delete;
  FrameStorageBase& operator=(const FrameStorageBase&) = delete;
  virtual ~FrameStorageBase() = default;

  // Puts header fields back to their defaults; buffers keep their capacity.
  virtual void reset() = 0;

  std::atomic<std::uint32_t> refs{0};
  std::shared_ptr<PoolCoreBase> pool;  // where the block returns; null: deleted when unused
  std::int64_t timestamp_ns = 0;
  std::uint64_t frame_number = 0;
  FrameMetadata metadata;
};

class PoolCoreBase : public std::enable_shared_from_this<PoolCoreBase> {
 public:
  explicit PoolCoreBase(std::size_t max_free) : max_free_(max_free) {}
  virtual ~PoolCoreBase();

  // Takes a block back (called when its count reaches zero, on any thread).
  void release(FrameStorageBase* block);
  // A recycled block, or nullptr if none is free.
  FrameStorageBase* take();

  std::uint64_t allocated() const { return allocated_.load(std::memory_order_relaxed); }
  std::uint64_t reused() const { return reused_.load(std::memory_order_relaxed); }
  void count_allocation() { allocated_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::vector<FrameStorageBase*> free_;  // GUARDED_BY(mutex_)
  std::size_t max_free_;
  std::atomic<std::uint64_t> allocated_{0};
  std::atomic<std::uint64_t> reused_{0};
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

// A pool of one storage type. Handles keep the pool's core alive, so a pool may be destroyed
// while its frames are still in flight.
template <class S>
class FramePoolImpl {
 public:
  explicit FramePoolImpl(std::size_t max_free) : core_(std::make_shared<PoolCoreBase>(max_free)) {}

  // A block with refs == 1, from the free list or new.
  FrameRef<S> acquire() {
    S* block = static_cast<S*>(core_->take());
    if (block == nullptr) {
      block = new S();
      core_->count_allocation();
    }
    block->pool = core_;
    return FrameRef<S>(block);
  }

  std::uint64_t allocated() const { return core_->allocated(); }
  std::uint64_t reused() const { return core_->reused(); }

 private:
  std::shared_ptr<PoolCoreBase> core_;
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
