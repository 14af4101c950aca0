// SimpleExecutor: applies deltas to the running graph and stops it; each processor is a
// ProcessorCore, run by a thread of its own or, given a WorkerPool (the pool executor), by the
// pool's workers — except those that need a thread (ProcessorCore::needs_own_thread()).
#pragma once

#include <chrono>
#include <memory>
#include <unordered_set>
#include <vector>

#include "executor/execution_graph.h"
#include "executor/executor.h"
#include "executor/stats_view.h"
#include "runtime/event_bus.h"
#include "streamlib/registry.h"

namespace streamlib::internal {

class SimpleExecutor final : public Executor {
 public:
  struct Options {
    // How long a live change waits for a processor's next safe point.
    std::chrono::milliseconds control_timeout{5000};
    // How long a new processor's setup() may take.
    std::chrono::milliseconds setup_timeout{30000};
    bool start_paused = false;
    // Told when a processor's stream is over (end of stream).
    std::shared_ptr<FinishListener> finishes;
    // The pool executor's workers; null: a thread per processor.
    std::shared_ptr<WorkerPool> pool;
  };

  SimpleExecutor(const ProcessorFactory& factory, std::shared_ptr<EventBus> events, std::shared_ptr<StatsView> view,
                 Options options);
  ~SimpleExecutor() override;

  ApplyReport apply(const GraphDelta& delta, const Graph& desired, const ApplyOptions& options) override;
  Result<void> pause() override;
  Result<void> resume() override;
  void shutdown(std::chrono::milliseconds stop_timeout) override;
  const Graph& running_graph() const override { return exec_.graph(); }

 private:
  using Clock = std::chrono::steady_clock;

  // Waits for a posted command until `deadline`. If it has not begun by then it is cancelled
  // (it will never run) and a timeout error naming `who` and `what` is returned; if it has
  // begun, it is waited for.
  Result<void> await(const ProcessorId& who, const std::shared_ptr<Completion>& done, Clock::time_point deadline,
                     std::string_view what);

  void unwire_links(const std::vector<LinkId>& ids, const std::unordered_set<ProcessorId>& going, ApplyReport& report);
  void remove_processors(const std::vector<ProcessorId>& ids, ApplyReport& report);
  void spawn_processors(const std::vector<ProcessorId>& ids, const Graph& desired, const ApplyOptions& options,
                        std::vector<std::shared_ptr<ProcessorCore>>& spawned, ApplyReport& report);
  void wire_links(const std::vector<LinkId>& ids, const Graph& desired, ApplyReport& report);
  void update_processors(const std::vector<ProcessorConfigChange>& changes, const Graph& desired, ApplyReport& report);
  void update_links(const std::vector<LinkConfigChange>& changes, ApplyReport& report);
  Result<void> update_link(WiredLink& wired, const LinkConfig& config);
  // Stops (without draining) and forgets a processor that never got going.
  void discard_processor(const std::shared_ptr<ProcessorCore>& core, std::string_view why_abandoned);
  void forget_processor(const ProcessorId& id);
  // Work done by a stopping processor and on its links: stop() abandons one only when this
  // stands still for the whole stop timeout.
  std::uint64_t progress_of(const ProcessorId& id, const ProcessorCore& core) const;

  const ProcessorFactory& factory_;
  std::shared_ptr<EventBus> events_;
  std::shared_ptr<StatsView> view_;
  std::shared_ptr<ExitBoard> exits_ = std::make_shared<ExitBoard>();
  Options options_;
  bool paused_;
  ExecutionGraph exec_;
  SpareThreads spares_{2};  // for processors added while running
};

}  // namespace streamlib::internal
