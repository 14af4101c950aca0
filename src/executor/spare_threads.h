// SpareThreads: threads started ahead of need. A processor added to a running graph takes one
// that is already running, asleep on its own condition variable, instead of creating a thread:
// waking a sleeping thread is an ordinary wake-up, while a brand-new thread on a busy machine
// waits behind every runnable thread for its first turn (the scheduler's penalty for new
// tasks), and creating it costs the caller tens of microseconds. Both are on the critical path
// of a live add (setup() runs on that thread). A helper thread of the pool replaces each spare
// taken, off that path.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace streamlib::internal {

class SpareThreads {
 public:
  explicit SpareThreads(std::size_t keep);
  SpareThreads(const SpareThreads&) = delete;
  SpareThreads& operator=(const SpareThreads&) = delete;
  ~SpareThreads();

  // Runs `job` on a spare thread (or on a new one if none is ready) and returns that thread,
  // joinable: it ends when `job` returns. Any thread.
  std::thread run(std::function<void()> job);

 private:
  struct Slot {
    std::mutex mutex;
    std::condition_variable cv;
    std::function<void()> job;  // GUARDED_BY(mutex)
    bool quit = false;          // GUARDED_BY(mutex)
  };
  struct Spare {
    std::thread thread;
    std::shared_ptr<Slot> slot;
  };
  static Spare make_spare();
  void keep_filled();

  const std::size_t keep_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Spare> spares_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;      // GUARDED_BY(mutex_)
  std::thread filler_;
};

}  // namespace streamlib::internal
