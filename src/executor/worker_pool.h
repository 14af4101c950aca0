// WorkerPool: the pool executor's workers, run queues, timer and blocked-push hand-off.
//
// A pooled processor (ProcessorCore::start_pooled) has no thread: its Notifier carries a
// PoolSlot, so every notify (a push into one of its inputs, a command, a release) marks it
// scheduled and, on the 0 -> 1 change only, queues it. A worker takes it and runs it to
// completion: turns until it has nothing to do (or its budget is spent), then lets it go.
//
// Where a queued processor goes:
//   - queued by a worker while it runs a processor (a push made a consumer ready): the first
//     one becomes the worker's inline successor, run next by the same worker with no wake-up
//     at all, so a chain runs on one worker; the rest go to the worker's own queue, and an idle
//     worker is woken to take them (a fan-out spreads);
//   - queued from any other thread (a timer, a device callback, the control thread): the
//     shared queue, and one idle worker is woken.
// An idle worker takes from its own queue, then the shared one, then another worker's. A chain
// of inline successors is cut after kInlineDepth so that a long chain cannot starve the rest.
//
// Timers: Continuous processors and Reactive ones waiting on a live timeout ask to be queued at
// a time (wake_at); one timer thread keeps them in a heap.
//
// Blocked pushes: a worker about to wait in a push on a full `block` link calls
// blocking_begin(): its queued work goes to the shared queue and, if fewer than `workers`
// workers are left unblocked, a spare thread is woken (or made) to take its place, as Go's
// scheduler hands a P on across a system call. blocking_end() gives the place back; the worker
// that finds the pool over its size after a run parks as a spare. So 50 producers blocked with
// one worker still leave one worker running everything else. A watchdog on the timer thread
// does the same for a worker found inside one task while other work waits: after kStuckAfter
// when the kernel has it waiting (a slow setup, a process() that sleeps or blocks on I/O),
// after kLongTask when it runs, so such a processor delays only itself.
//
// Fairness: every kSharedEvery-th pick looks at the shared queue first, and a task that still
// has work after its budget goes behind the shared queue when others wait there, so a chain
// that always has work cannot keep a worker from the timer's tasks.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "streamlib/link/notifier.h"

namespace streamlib::internal {

class WorkerPool;

// What a worker runs: a pooled processor.
class PoolTask {
 public:
  virtual ~PoolTask() = default;
  // On a worker: run until there is nothing to do. Returns false when it must be queued again
  // (budget spent, or it was notified while running).
  virtual void run_on_worker(WorkerPool& pool) = 0;
};

// A pooled processor's wake target (see Notifier::set_wake_target): its schedule state.
class PoolSlot final : public WakeTarget {
 public:
  PoolSlot(std::weak_ptr<PoolTask> task, std::shared_ptr<WorkerPool> pool)
      : task_(std::move(task)), pool_(std::move(pool)) {}
  // Worker, when the slot's task starts running: notifies from now on ask for another run.
  void begin_run() noexcept { schedule_state_.store(kRunning, std::memory_order_seq_cst); }
  // Worker, after the run. `more`: the task has work left. True when it must be queued again
  // (it had work left, or it was notified while running); then it stays scheduled.
  bool end_run(bool more) noexcept;
  // Queued (or about to be), waiting for a worker: not running.
  bool waiting_for_worker() const noexcept {
    const std::uint32_t s = schedule_state_.load(std::memory_order_relaxed);
    return (s & kScheduled) != 0 && (s & kRunning) == 0;
  }
  // The task has ended for good: later notifies are ignored.
  void retire() noexcept { schedule_state_.store(kScheduled | kRunning, std::memory_order_seq_cst); }
  // Marks it scheduled; returns its task if the caller must queue it (it was neither scheduled
  // nor running), else null.
  std::shared_ptr<PoolTask> claim() noexcept;
  // The timer's mark: the soonest time it will queue this slot (0: none).
  std::atomic<std::int64_t> armed_ns{0};

 private:
  void schedule() noexcept override;
  std::weak_ptr<PoolTask> task_;
  std::shared_ptr<WorkerPool> pool_;
};

class WorkerPool : public std::enable_shared_from_this<WorkerPool> {
 public:
  using Clock = std::chrono::steady_clock;
  // How many inline successors in a row a worker runs before it queues the next one.
  static constexpr int kInlineDepth = 64;
  // A worker looks at the shared queue first on every kSharedEvery-th task it picks.
  static constexpr unsigned kSharedEvery = 8;
  // How long a worker may stay in one task, while other work waits, before the watchdog hands
  // its place on: kStuckAfter when the kernel has it waiting (asleep, in I/O), kLongTask when it
  // is running.
  static constexpr std::chrono::milliseconds kStuckAfter{4};
  static constexpr std::chrono::milliseconds kLongTask{20};
  // How often the watchdog looks while no worker is inside a task.
  static constexpr std::chrono::milliseconds kQuietWatch{32};

  // `workers` 0: one per core.
  explicit WorkerPool(unsigned workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Starts the workers and the timer (after construction: they hold a shared_ptr).
  void start();
  // Stops the workers and the timer; a worker still inside a task at `deadline` (a processor
  // stuck in process()) is left behind, detached.
  void shutdown(Clock::time_point deadline);

  unsigned size() const { return size_; }
  // Threads the pool has made (workers and spares), for stats and tests.
  unsigned threads() const { return threads_.load(std::memory_order_relaxed); }

  // Queues a task (see the file comment for where it goes).
  void enqueue(std::shared_ptr<PoolTask> task);
  // Worker, when a task it ran still has work: behind what is already queued.
  void requeue(std::shared_ptr<PoolTask> task);
  // Queues `slot`'s task at `when` (Continuous intervals, live timeouts).
  void wake_at(const std::shared_ptr<PoolSlot>& slot, Clock::time_point when);
  // The calling worker has an inline successor waiting (a task that ran should yield to it).
  static bool successor_waiting();
  // Around a wait that blocks the calling worker (see the file comment). No-ops off a worker.
  void blocking_begin();
  void blocking_end();
  // True on one of this pool's workers.
  bool on_worker() const;

 private:
  struct Worker {
    std::mutex mutex;
    std::shared_ptr<PoolTask> next;  // GUARDED_BY(mutex): the inline successor
    // next != nullptr, readable without the lock (successor_waiting(), once per turn).
    std::atomic<bool> has_next{false};
    std::deque<std::shared_ptr<PoolTask>> local;  // GUARDED_BY(mutex)
    std::atomic<std::size_t> local_size{0};
    // When the task it runs now began (0: between tasks), for the watchdog.
    std::atomic<std::int64_t> task_since_ns{0};
    // Its place was handed on (it blocked, or the watchdog found it in one task too long).
    bool handed_off = false;  // GUARDED_BY(WorkerPool::mutex_)
    // The same, for enqueue(): what a handed-off worker queues goes to the shared queue, where
    // the worker that took its place finds it.
    std::atomic<bool> away{false};
    unsigned picks = 0;         // tasks it has looked for (its own thread only)
    std::atomic<pid_t> tid{0};  // its kernel thread id, for the watchdog
  };
  struct Timed {
    Clock::time_point when;
    std::weak_ptr<PoolSlot> slot;
    bool operator>(const Timed& o) const { return when > o.when; }
  };

  // Moves `w`'s inline successor and own queue to the shared queue, and wakes the idle workers
  // to take them. Under mutex_.
  void spill_locked(Worker* w);
  // Gives `self`'s place to a spare and its queued work to the others. Under mutex_.
  void hand_off_locked(Worker* self);
  void worker_main(Worker* self);
  void timer_main();
  // The watchdog's look at the workers (see watch_workers in the .cc). True when one of them was
  // inside a task.
  bool watch_workers();
  std::shared_ptr<PoolTask> find_task(Worker* self);
  // The shared queue's first task, or null.
  std::shared_ptr<PoolTask> take_shared();
  std::shared_ptr<PoolTask> steal(Worker* self);
  void wake_one_idle();
  // Queues tasks from outside the workers (the timer's due ones) under one lock.
  void enqueue_shared(std::vector<std::shared_ptr<PoolTask>>& tasks);
  // Makes one more worker thread (a spare taking a blocked worker's place). Under mutex_.
  void add_thread_locked();

  const unsigned size_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;
  std::condition_variable spare_cv_;
  std::condition_variable exit_cv_;               // a worker thread returned (shutdown() waits on it)
  std::deque<std::shared_ptr<PoolTask>> shared_;  // GUARDED_BY(mutex_)
  // Worker slots, made up front so that stealing never races a growing vector.
  static constexpr unsigned kMaxThreads = 4096;
  std::unique_ptr<Worker[]> workers_{new Worker[kMaxThreads]};
  std::atomic<unsigned> worker_count_{0};
  std::vector<std::thread> thread_handles_;  // GUARDED_BY(mutex_)
  std::atomic<std::size_t> shared_size_{0};
  std::atomic<unsigned> idle_{0};  // workers asleep waiting for work
  unsigned unblocked_ = 0;         // GUARDED_BY(mutex_): workers neither blocked nor parked spare
  unsigned spares_ = 0;            // GUARDED_BY(mutex_): parked spares
  unsigned spare_calls_ = 0;       // GUARDED_BY(mutex_): spares asked to come back
  bool stopping_ = false;          // GUARDED_BY(mutex_)
  std::atomic<bool> stop_flag_{false};
  std::atomic<unsigned> threads_{0};
  std::atomic<unsigned> running_{0};  // worker threads not yet returned

  std::mutex timer_mutex_;
  std::condition_variable timer_cv_;
  std::priority_queue<Timed, std::vector<Timed>, std::greater<>> timers_;  // GUARDED_BY(timer_mutex_)
  std::thread timer_;
};

}  // namespace streamlib::internal
