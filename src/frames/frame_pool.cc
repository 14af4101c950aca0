#include "streamlib/frames/frame_pool.h"

#include "streamlib/link/link_channel.h"  // ThreadContext
#include "streamlib/link/notifier.h"      // futex

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
  for (FrameStorageBase* block : local_) delete block;
  for (FrameStorageBase* b = returned_.load(std::memory_order_acquire); b != nullptr;) {
    FrameStorageBase* next = b->next_free;
    delete b;
    b = next;
  }
}

FrameStorageBase* PoolCoreBase::take() {
  if (local_.empty()) {
    // Take everything returned so far in one go.
    for (FrameStorageBase* b = returned_.exchange(nullptr, std::memory_order_acquire); b != nullptr;) {
      FrameStorageBase* next = b->next_free;
      local_.push_back(b);
      b = next;
    }
    if (local_.empty()) return nullptr;
  }
  FrameStorageBase* block = local_.back();
  local_.pop_back();
  reused_.store(reused_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return block;
}

void PoolCoreBase::release(FrameStorageBase* block) noexcept {
  block->reset();
  block->release_external();
  if (orphaned_.load(std::memory_order_acquire)) {
    delete block;  // nobody will take it again
  } else {
    FrameStorageBase* head = returned_.load(std::memory_order_relaxed);
    do {
      block->next_free = head;
    } while (!returned_.compare_exchange_weak(head, block, std::memory_order_release, std::memory_order_relaxed));
  }
  if (balance_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    delete this;  // the last one out after orphan()
    return;
  }
  if (max_in_flight() != 0) {
    returned_seq_.fetch_add(1, std::memory_order_seq_cst);
    if (waiter_.load(std::memory_order_seq_cst)) futex_wake_all(returned_seq_);
  }
}

void PoolCoreBase::wait_for_room() {
  ThreadContext* ctx = t_thread_context;
  for (;;) {
    if (in_flight() < max_in_flight()) return;
    if (ctx != nullptr) {
      if (ctx->stopping() || ctx->change_waiting()) return;  // over the bound, once
      if (ctx->has_port_commands()) {
        ctx->run_port_commands();
        continue;
      }
    }
    waiter_.store(true, std::memory_order_seq_cst);
    const std::uint32_t seq = returned_seq_.load(std::memory_order_seq_cst);
    if (in_flight() >= max_in_flight()) {
      // Short slices: commands for this thread do not wake this futex.
      futex_wait(returned_seq_, seq, std::chrono::steady_clock::now() + std::chrono::milliseconds(5));
    }
    waiter_.store(false, std::memory_order_relaxed);
  }
}

void PoolCoreBase::orphan() noexcept {
  orphaned_.store(true, std::memory_order_release);
  if (balance_.fetch_add(handed_out_, std::memory_order_acq_rel) + handed_out_ == 0) delete this;
}

void release_frame_storage(FrameStorageBase* block) noexcept {
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (block->pool != nullptr) {
    block->pool->release(block);
  } else {
    delete block;
  }
}

AlignedBuffer::~AlignedBuffer() { ::operator delete[](data_, std::align_val_t(kAlignment)); }

void AlignedBuffer::resize(std::size_t size) {
  if (size > capacity_) {
    // Allocate first: if it throws (bad_alloc), the buffer still owns its old memory, once.
    auto* bigger = static_cast<std::uint8_t*>(::operator new[](size, std::align_val_t(kAlignment)));
    ::operator delete[](data_, std::align_val_t(kAlignment));
    data_ = bigger;
    capacity_ = size;
  }
  size_ = size;
}

}  // namespace internal
}  // namespace streamlib
