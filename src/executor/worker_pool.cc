#include "executor/worker_pool.h"

#include <pthread.h>

#include <algorithm>

#include <fmt/format.h>

namespace streamlib::internal {

namespace {
thread_local WorkerPool* t_pool = nullptr;
thread_local void* t_worker = nullptr;  // the calling worker's WorkerPool::Worker

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// --- PoolSlot -------------------------------------------------------------------------------

std::shared_ptr<PoolTask> PoolSlot::claim() noexcept {
  std::uint32_t s = schedule_state_.load(std::memory_order_relaxed);
  do {
    if ((s & kScheduled) != 0) return nullptr;
  } while (!schedule_state_.compare_exchange_weak(s, s | kScheduled, std::memory_order_seq_cst));
  if ((s & kRunning) != 0) return nullptr;  // the worker running it queues it again (end_run)
  return task_.lock();
}

void PoolSlot::schedule() noexcept {
  if (auto task = claim()) pool_->enqueue(std::move(task));
}

bool PoolSlot::end_run(bool more) noexcept {
  if (!more) {
    std::uint32_t expected = kRunning;
    if (schedule_state_.compare_exchange_strong(expected, 0, std::memory_order_seq_cst)) return false;
  }
  // Work left, or notified while it ran: it stays scheduled, and the caller queues it.
  schedule_state_.store(kScheduled, std::memory_order_seq_cst);
  return true;
}

// --- WorkerPool -----------------------------------------------------------------------------

WorkerPool::WorkerPool(unsigned workers)
    : size_(workers != 0 ? workers : std::max(1U, std::thread::hardware_concurrency())) {}

WorkerPool::~WorkerPool() { shutdown(Clock::now() + std::chrono::seconds(2)); }

void WorkerPool::start() {
  std::lock_guard lock(mutex_);
  for (unsigned i = 0; i < size_; ++i) add_thread_locked();
  unblocked_ = size_;
  timer_ = std::thread([self = shared_from_this()] { self->timer_main(); });
}

void WorkerPool::add_thread_locked() {
  const unsigned index = worker_count_.load(std::memory_order_relaxed);
  if (index >= kMaxThreads) return;  // degrade: the blocked wait on with fewer workers
  Worker* w = &workers_[index];
  worker_count_.store(index + 1, std::memory_order_release);
  threads_.fetch_add(1, std::memory_order_relaxed);
  running_.fetch_add(1, std::memory_order_relaxed);
  thread_handles_.emplace_back([self = shared_from_this(), w] { self->worker_main(w); });
}

void WorkerPool::shutdown(Clock::time_point deadline) {
  std::vector<std::thread> handles;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stop_flag_.store(true, std::memory_order_release);
    handles.swap(thread_handles_);
    shared_.clear();
    idle_cv_.notify_all();
    spare_cv_.notify_all();
  }
  {
    std::lock_guard lock(timer_mutex_);
    timer_cv_.notify_all();
  }
  const bool own_thread = std::any_of(handles.begin(), handles.end(),
                                      [](const std::thread& t) { return t.get_id() == std::this_thread::get_id(); });
  while (running_.load(std::memory_order_acquire) != 0 && Clock::now() < deadline) {
    if (own_thread && running_.load(std::memory_order_acquire) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // A worker still inside a task (a processor stuck in process()) is left behind: it holds the
  // pool alive and returns when the task does.
  const bool all_out = running_.load(std::memory_order_acquire) == 0;
  for (auto& t : handles) {
    if (all_out && t.get_id() != std::this_thread::get_id()) {
      t.join();
    } else {
      t.detach();
    }
  }
  if (timer_.joinable()) {
    if (timer_.get_id() == std::this_thread::get_id()) {
      timer_.detach();
    } else {
      timer_.join();
    }
  }
  for (unsigned i = 0; i < worker_count_.load(std::memory_order_acquire); ++i) {
    std::lock_guard lock(workers_[i].mutex);
    if (all_out) {
      workers_[i].next.reset();
      workers_[i].local.clear();
    }
  }
}

bool WorkerPool::on_worker() const { return t_pool == this; }

bool WorkerPool::successor_waiting() {
  auto* w = static_cast<Worker*>(t_worker);
  if (w == nullptr) return false;
  std::lock_guard lock(w->mutex);
  return w->next != nullptr;
}

void WorkerPool::enqueue(std::shared_ptr<PoolTask> task) {
  if (stop_flag_.load(std::memory_order_acquire)) return;  // nothing runs any more
  if (t_pool == this && !static_cast<Worker*>(t_worker)->away.load(std::memory_order_relaxed)) {
    auto* w = static_cast<Worker*>(t_worker);
    bool spread = false;
    {
      std::lock_guard lock(w->mutex);
      if (!w->next) {
        w->next = std::move(task);
        return;
      }
      w->local.push_back(std::move(task));
      w->local_size.store(w->local.size(), std::memory_order_seq_cst);
      spread = true;
    }
    if (spread) wake_one_idle();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    shared_.push_back(std::move(task));
    shared_size_.store(shared_.size(), std::memory_order_relaxed);
    if (idle_.load(std::memory_order_relaxed) != 0) idle_cv_.notify_one();
  }
}

void WorkerPool::enqueue_shared(std::vector<std::shared_ptr<PoolTask>>& tasks) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  for (auto& t : tasks) shared_.push_back(std::move(t));
  shared_size_.store(shared_.size(), std::memory_order_relaxed);
  const unsigned idle = idle_.load(std::memory_order_relaxed);
  if (idle == 0) return;
  if (tasks.size() == 1) {
    idle_cv_.notify_one();
  } else {
    idle_cv_.notify_all();
  }
}

void WorkerPool::requeue(std::shared_ptr<PoolTask> task) {
  if (stop_flag_.load(std::memory_order_acquire)) return;
  if (t_pool != this || static_cast<Worker*>(t_worker)->away.load(std::memory_order_relaxed)) {
    enqueue(std::move(task));
    return;
  }
  auto* w = static_cast<Worker*>(t_worker);
  {
    std::lock_guard lock(w->mutex);
    w->local.push_back(std::move(task));
    w->local_size.store(w->local.size(), std::memory_order_seq_cst);
  }
  // Another worker may take it: a source that keeps producing runs beside its own chain.
  wake_one_idle();
}

void WorkerPool::wake_one_idle() {
  if (idle_.load(std::memory_order_seq_cst) == 0) return;
  std::lock_guard lock(mutex_);
  idle_cv_.notify_one();
}

std::shared_ptr<PoolTask> WorkerPool::steal(Worker* self) {
  const unsigned n = worker_count_.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i) {
    Worker* w = &workers_[i];
    if (w == self || w->local_size.load(std::memory_order_seq_cst) == 0) continue;
    std::lock_guard lock(w->mutex);
    if (w->local.empty()) continue;
    auto task = std::move(w->local.front());
    w->local.pop_front();
    w->local_size.store(w->local.size(), std::memory_order_relaxed);
    return task;
  }
  return nullptr;
}

std::shared_ptr<PoolTask> WorkerPool::find_task(Worker* self) {
  {
    std::lock_guard lock(self->mutex);
    if (self->next) return std::move(self->next);
    if (!self->local.empty()) {
      auto task = std::move(self->local.front());
      self->local.pop_front();
      self->local_size.store(self->local.size(), std::memory_order_relaxed);
      return task;
    }
  }
  if (shared_size_.load(std::memory_order_relaxed) != 0) {
    std::lock_guard lock(mutex_);
    if (!shared_.empty()) {
      auto task = std::move(shared_.front());
      shared_.pop_front();
      shared_size_.store(shared_.size(), std::memory_order_relaxed);
      return task;
    }
  }
  return steal(self);
}

void WorkerPool::hand_off_locked(Worker* self) {
  self->away.store(true, std::memory_order_relaxed);
  // Its queued work goes where the others look (every time: a task that blocks a second time
  // may have queued more since the first).
  {
    std::lock_guard lock(self->mutex);
    if (self->next) shared_.push_back(std::move(self->next));
    for (auto& t : self->local) shared_.push_back(std::move(t));
    self->local.clear();
    self->local_size.store(0, std::memory_order_relaxed);
  }
  shared_size_.store(shared_.size(), std::memory_order_relaxed);
  if (!shared_.empty() && idle_.load(std::memory_order_relaxed) != 0) idle_cv_.notify_all();
  if (self->handed_off) return;
  self->handed_off = true;
  --unblocked_;
  if (unblocked_ < size_ && !stopping_) {
    ++unblocked_;  // the spare's, from now
    if (spares_ > spare_calls_) {
      ++spare_calls_;
      spare_cv_.notify_one();
    } else {
      add_thread_locked();
    }
  }
}

void WorkerPool::blocking_begin() {
  if (t_pool != this) return;
  std::lock_guard lock(mutex_);
  hand_off_locked(static_cast<Worker*>(t_worker));
}

void WorkerPool::blocking_end() {
  // The place comes back after the task (worker_main): the worker then parks if the pool is
  // over its size.
}

void WorkerPool::worker_main(Worker* self) {
  t_pool = this;
  t_worker = self;
  pthread_setname_np(pthread_self(), "streamlib-pool");
  int depth = 0;
  for (;;) {
    std::shared_ptr<PoolTask> task = find_task(self);
    const bool ran = task != nullptr;
    if (ran) {
      // One task, then its inline successor, up to kInlineDepth in a row.
      self->task_since_ns.store(now_ns(), std::memory_order_relaxed);
      task->run_on_worker(*this);
      task.reset();
      self->task_since_ns.store(0, std::memory_order_relaxed);
      {
        std::lock_guard lock(self->mutex);
        if (self->next && ++depth >= kInlineDepth) {
          self->local.push_back(std::move(self->next));
          self->local_size.store(self->local.size(), std::memory_order_relaxed);
          depth = 0;
        }
        if (!self->next) depth = 0;
      }
    }
    std::unique_lock lock(mutex_);
    if (self->handed_off) {
      // Back from a blocked wait or a long task: park as a spare if the pool is full.
      self->handed_off = false;
      self->away.store(false, std::memory_order_relaxed);
      if (unblocked_ >= size_) {
        // What the rest of its task queued here goes where the others look, before it sleeps.
        {
          std::lock_guard own(self->mutex);
          if (self->next) shared_.push_back(std::move(self->next));
          for (auto& t : self->local) shared_.push_back(std::move(t));
          self->local.clear();
          self->local_size.store(0, std::memory_order_relaxed);
        }
        shared_size_.store(shared_.size(), std::memory_order_relaxed);
        if (!shared_.empty() && idle_.load(std::memory_order_relaxed) != 0) idle_cv_.notify_all();
        ++spares_;
        spare_cv_.wait(lock, [&] { return spare_calls_ > 0 || stopping_; });
        --spares_;
        if (!stopping_) --spare_calls_;
      } else {
        ++unblocked_;
      }
    }
    if (stopping_) break;
    if (ran) continue;
    // Nothing found: sleep until work is queued (idle_ first: see enqueue()).
    idle_.fetch_add(1, std::memory_order_seq_cst);
    bool any_local = false;
    for (unsigned i = 0, n = worker_count_.load(std::memory_order_acquire); i < n && !any_local; ++i) {
      any_local = workers_[i].local_size.load(std::memory_order_seq_cst) != 0;
    }
    if (shared_.empty() && !any_local) idle_cv_.wait(lock);
    idle_.fetch_sub(1, std::memory_order_relaxed);
    if (stopping_) break;
  }
  // What it still holds goes with it: a queued processor holds its slot, which holds the pool.
  {
    std::lock_guard own(self->mutex);
    self->next.reset();
    self->local.clear();
    self->local_size.store(0, std::memory_order_relaxed);
  }
  t_pool = nullptr;
  t_worker = nullptr;
  running_.fetch_sub(1, std::memory_order_acq_rel);
}

void WorkerPool::wake_at(const std::shared_ptr<PoolSlot>& slot, Clock::time_point when) {
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  std::int64_t armed = slot->armed_ns.load(std::memory_order_acquire);
  do {
    if (armed != 0 && armed <= ns) return;  // an earlier wake is armed; the task re-arms then
  } while (!slot->armed_ns.compare_exchange_weak(armed, ns, std::memory_order_acq_rel));
  std::lock_guard lock(timer_mutex_);
  const bool first = timers_.empty() || when < timers_.top().when;
  timers_.push(Timed{when, slot});
  if (first) timer_cv_.notify_one();
}

void WorkerPool::timer_main() {
  pthread_setname_np(pthread_self(), "streamlib-timer");
  std::unique_lock lock(timer_mutex_);
  auto next_watch = Clock::now();
  while (!stop_flag_.load(std::memory_order_acquire)) {
    const auto now = Clock::now();
    if (now >= next_watch) {
      // Watchdog: a worker inside one task for too long gives its place to a spare.
      lock.unlock();
      const std::int64_t limit = now_ns() - std::chrono::nanoseconds(kStuckAfter).count();
      {
        std::lock_guard pool_lock(mutex_);
        for (unsigned i = 0, n = worker_count_.load(std::memory_order_acquire); i < n; ++i) {
          const std::int64_t since = workers_[i].task_since_ns.load(std::memory_order_relaxed);
          if (since != 0 && since < limit && !workers_[i].handed_off) hand_off_locked(&workers_[i]);
        }
      }
      lock.lock();
      next_watch = now + kStuckAfter / 2;
      continue;
    }
    if (!timers_.empty() && timers_.top().when <= now) {
      // Every due entry at once: one lock of the shared queue and one wake-up for the batch,
      // not one per processor (a thousand sources ticking together).
      std::vector<Timed> due;
      while (!timers_.empty() && timers_.top().when <= now && due.size() < 1024) {
        due.push_back(timers_.top());
        timers_.pop();
      }
      lock.unlock();
      std::vector<std::shared_ptr<PoolTask>> batch;
      batch.reserve(due.size());
      for (const Timed& t : due) {
        auto slot = t.slot.lock();
        if (!slot) continue;
        std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.when.time_since_epoch()).count();
        slot->armed_ns.compare_exchange_strong(ns, 0, std::memory_order_acq_rel);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (auto task = slot->claim()) batch.push_back(std::move(task));
      }
      if (!batch.empty()) enqueue_shared(batch);
      lock.lock();
      continue;
    }
    auto until = next_watch;
    if (!timers_.empty()) until = std::min(until, timers_.top().when);
    timer_cv_.wait_until(lock, until);
  }
}

}  // namespace streamlib::internal
