#include "executor/worker_pool.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace streamlib::internal {

namespace {
thread_local WorkerPool* t_pool = nullptr;
thread_local void* t_worker = nullptr;  // the calling worker's WorkerPool::Worker

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// True when the kernel has thread `tid` of this process waiting (asleep, or in uninterruptible
// I/O), not running or runnable: what the third field of /proc/self/task/TID/stat says.
bool thread_waiting(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  std::FILE* f = std::fopen(path, "re");
  if (f == nullptr) return false;
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  // "TID (comm) S ...": the comm may hold spaces or parentheses, so the state follows the last ')'.
  const char* close = nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    if (buf[i] == ')') close = buf + i;
  }
  if (close == nullptr || close + 2 >= buf + n) return false;
  const char state = close[2];
  return state == 'S' || state == 'D';
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
  {
    // Until every worker has returned (but the calling one, when a worker shuts its own pool down).
    std::unique_lock lock(mutex_);
    exit_cv_.wait_until(lock, deadline, [&] {
      const unsigned left = running_.load(std::memory_order_acquire);
      return left == 0 || (own_thread && left == 1);
    });
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
      workers_[i].has_next.store(false, std::memory_order_relaxed);
      workers_[i].local.clear();
    }
  }
}

bool WorkerPool::on_worker() const { return t_pool == this; }

bool WorkerPool::successor_waiting() {
  auto* w = static_cast<Worker*>(t_worker);
  if (w == nullptr) return false;
  return w->has_next.load(std::memory_order_relaxed);
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
        w->has_next.store(true, std::memory_order_relaxed);
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
  if (shared_size_.load(std::memory_order_relaxed) != 0) {
    // Others wait in the shared queue (the timer's, a device's): it goes behind them, so a
    // processor with endless work takes turns with them, not before them.
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      shared_.push_back(std::move(task));
      shared_size_.store(shared_.size(), std::memory_order_relaxed);
      if (idle_.load(std::memory_order_relaxed) != 0) idle_cv_.notify_one();
    }
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

std::shared_ptr<PoolTask> WorkerPool::take_shared() {
  if (shared_size_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(mutex_);
  if (shared_.empty()) return nullptr;
  auto task = std::move(shared_.front());
  shared_.pop_front();
  shared_size_.store(shared_.size(), std::memory_order_relaxed);
  return task;
}

std::shared_ptr<PoolTask> WorkerPool::find_task(Worker* self) {
  // Every kSharedEvery-th pick looks at the shared queue first: a worker whose own chain always
  // has work (a source that never blocks, a successor after every run) still lets the timer's
  // and the other threads' tasks in.
  if (++self->picks % kSharedEvery == 0) {
    if (auto task = take_shared()) return task;
  }
  {
    std::lock_guard lock(self->mutex);
    if (self->next) {
      self->has_next.store(false, std::memory_order_relaxed);
      return std::move(self->next);
    }
    if (!self->local.empty()) {
      auto task = std::move(self->local.front());
      self->local.pop_front();
      self->local_size.store(self->local.size(), std::memory_order_relaxed);
      return task;
    }
  }
  if (auto task = take_shared()) return task;
  return steal(self);
}

void WorkerPool::spill_locked(Worker* w) {
  {
    std::lock_guard lock(w->mutex);
    if (w->next) shared_.push_back(std::move(w->next));
    w->has_next.store(false, std::memory_order_relaxed);
    for (auto& t : w->local) shared_.push_back(std::move(t));
    w->local.clear();
    w->local_size.store(0, std::memory_order_relaxed);
  }
  shared_size_.store(shared_.size(), std::memory_order_relaxed);
  if (!shared_.empty() && idle_.load(std::memory_order_relaxed) != 0) idle_cv_.notify_all();
}

void WorkerPool::hand_off_locked(Worker* self) {
  self->away.store(true, std::memory_order_relaxed);
  // Its queued work goes where the others look (every time: a task that blocks a second time
  // may have queued more since the first).
  spill_locked(self);
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
  self->tid.store(static_cast<pid_t>(::syscall(SYS_gettid)), std::memory_order_relaxed);
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
      if (!self->has_next.load(std::memory_order_relaxed)) {
        depth = 0;
      } else if (++depth >= kInlineDepth) {
        std::lock_guard lock(self->mutex);
        if (self->next) {
          self->local.push_back(std::move(self->next));
          self->has_next.store(false, std::memory_order_relaxed);
          self->local_size.store(self->local.size(), std::memory_order_relaxed);
        }
        depth = 0;
      }
    }
    std::unique_lock lock(mutex_);
    if (self->handed_off) {
      // Back from a blocked wait or a long task: park as a spare if the pool is full.
      self->handed_off = false;
      self->away.store(false, std::memory_order_relaxed);
      if (unblocked_ >= size_) {
        // What the rest of its task queued here goes where the others look, before it sleeps.
        spill_locked(self);
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
    self->has_next.store(false, std::memory_order_relaxed);
    self->local.clear();
    self->local_size.store(0, std::memory_order_relaxed);
  }
  t_pool = nullptr;
  t_worker = nullptr;
  {
    std::lock_guard lock(mutex_);
    running_.fetch_sub(1, std::memory_order_acq_rel);
  }
  exit_cv_.notify_all();  // the pool outlives this: the thread holds a reference to it
}

bool WorkerPool::watch_workers() {
  // A worker inside one task while other work waits gives its place to a spare:
  //   - after kStuckAfter when the kernel has it waiting (a process() that sleeps or blocks on
  //     I/O, a slow setup): a spare adds a core's worth of work;
  //   - after kLongTask when it is running (or runnable: the machine is busy). A spare then
  //     only adds a thread to share the cores, so it waits longer, and only so that one long
  //     task cannot hold the rest back for good.
  // With nothing waiting, a spare would only sleep, so the worker keeps its place until the
  // next look.
  const std::int64_t now = now_ns();
  const std::int64_t limit = now - std::chrono::nanoseconds(kStuckAfter).count();
  const std::int64_t long_limit = now - std::chrono::nanoseconds(kLongTask).count();
  bool busy = false;
  std::lock_guard pool_lock(mutex_);
  const unsigned n = worker_count_.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i) {
    Worker& w = workers_[i];
    const std::int64_t since = w.task_since_ns.load(std::memory_order_relaxed);
    if (since == 0 || w.handed_off) continue;
    busy = true;
    if (since >= limit) continue;
    bool waiting = !shared_.empty();
    for (unsigned j = 0; j < n && !waiting; ++j) {
      waiting = workers_[j].local_size.load(std::memory_order_relaxed) != 0;
    }
    if (!waiting && !w.has_next.load(std::memory_order_relaxed)) continue;
    if (since < long_limit || thread_waiting(w.tid.load(std::memory_order_relaxed))) hand_off_locked(&w);
  }
  return busy;
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
  // The watchdog looks every kStuckAfter / 2 while a worker is inside a task, and backs off to
  // kQuietWatch while none is, so that a quiet pool is not woken for nothing.
  Clock::duration watch_every = kStuckAfter / 2;
  while (!stop_flag_.load(std::memory_order_acquire)) {
    const auto now = Clock::now();
    if (now >= next_watch) {
      lock.unlock();
      const bool busy = watch_workers();
      lock.lock();
      watch_every = busy ? Clock::duration(kStuckAfter / 2) : std::min<Clock::duration>(watch_every * 2, kQuietWatch);
      next_watch = now + watch_every;
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
