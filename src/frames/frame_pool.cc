#include "streamlib/frames/frame_pool.h"

#include <cstdlib>
#include <new>

namespace streamlib {

void FrameMetadata::set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v.assign(value);
      return;
    }
  }
  entries_.emplace_back(std::string(key), std::string(value));
}

std::optional<std::string_view> FrameMetadata::get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

namespace internal {

PoolCoreBase::~PoolCoreBase() {
  for (FrameStorageBase* block : free_) delete block;
}

void PoolCoreBase::release(FrameStorageBase* block) {
  block->reset();
  {
    std::lock_guard lock(mutex_);
    if (free_.size() < max_free_) {
      free_.push_back(block);
      block = nullptr;
    }
  }
  delete block;  // over the limit (null if kept)
}

FrameStorageBase* PoolCoreBase::take() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return nullptr;
  FrameStorageBase* block = free_.back();
  free_.pop_back();
  reused_.fetch_add(1, std::memory_order_relaxed);
  return block;
}

void release_frame_storage(FrameStorageBase* block) noexcept {
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Last handle. Take the pool reference out first: the block must not keep its pool alive
  // while it sits in that pool's free list.
  std::shared_ptr<PoolCoreBase> pool = std::move(block->pool);
  if (pool) {
    pool->release(block);
  } else {
    delete block;
  }
}

AlignedBuffer::~AlignedBuffer() { ::operator delete[](data_, std::align_val_t(kAlignment)); }

void AlignedBuffer::resize(std::size_t size) {
  if (size > capacity_) {
    ::operator delete[](data_, std::align_val_t(kAlignment));
    data_ = static_cast<std::uint8_t*>(::operator new[](size, std::align_val_t(kAlignment)));
    capacity_ = size;
  }
  size_ = size;
}

}  // namespace internal
}  // namespace streamlib
