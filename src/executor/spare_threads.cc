#include "executor/spare_threads.h"

namespace streamlib::internal {

SpareThreads::SpareThreads(std::size_t keep) : keep_(keep) {
  filler_ = std::thread([this] { keep_filled(); });
}

SpareThreads::~SpareThreads() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  filler_.join();
  for (Spare& s : spares_) {
    {
      std::lock_guard lock(s.slot->mutex);
      s.slot->quit = true;
    }
    s.slot->cv.notify_one();
    s.thread.join();
  }
}

SpareThreads::Spare SpareThreads::make_spare() {
  auto slot = std::make_shared<Slot>();
  std::thread thread([slot] {
    std::function<void()> job;
    {
      std::unique_lock lock(slot->mutex);
      slot->cv.wait(lock, [&] { return slot->job || slot->quit; });
      if (!slot->job) return;
      job = std::move(slot->job);
    }
    job();
  });
  return Spare{std::move(thread), std::move(slot)};
}

void SpareThreads::keep_filled() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || spares_.size() < keep_; });
    if (stopping_) return;
    lock.unlock();
    Spare spare = make_spare();
    lock.lock();
    spares_.push_back(std::move(spare));
  }
}

std::thread SpareThreads::run(std::function<void()> job) {
  Spare spare;
  {
    std::lock_guard lock(mutex_);
    if (spares_.empty()) return std::thread(std::move(job));
    spare = std::move(spares_.back());
    spares_.pop_back();
  }
  cv_.notify_all();  // the filler makes a replacement
  {
    std::lock_guard lock(spare.slot->mutex);
    spare.slot->job = std::move(job);
  }
  spare.slot->cv.notify_one();
  return std::move(spare.thread);
}

}  // namespace streamlib::internal
