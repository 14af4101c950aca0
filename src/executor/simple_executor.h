// SimpleExecutor: one thread per processor (see ProcessorCore).
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "executor/execution_graph.h"
#include "executor/executor.h"
#include "runtime/event_bus.h"
#include "streamlib/registry.h"

namespace streamlib::internal {

class SimpleExecutor final : public Executor {
 public:
  SimpleExecutor(const ProcessorFactory& factory, std::shared_ptr<EventBus> events,
                 std::chrono::milliseconds control_timeout, bool start_paused);
  ~SimpleExecutor() override;

  Result<void> apply(const GraphDelta& delta, const Graph& desired) override;
  Result<void> pause() override;
  Result<void> resume() override;
  void shutdown(std::chrono::milliseconds timeout) override;
  const Graph& running_graph() const override { return exec_.graph(); }
  void collect_stats(RuntimeStats& out) const override;

 private:
  struct Pending {
    ProcessorId processor;
    std::shared_ptr<Completion> done;
  };
  // Waits for every completion until the control deadline; the first failure or timeout.
  Result<void> wait_all(const std::vector<Pending>& pending, std::string_view what);

  Result<void> unwire_links(const std::vector<LinkId>& ids);
  Result<void> remove_processors(const std::vector<ProcessorId>& ids);
  Result<void> spawn_processors(const std::vector<ProcessorId>& ids, const Graph& desired,
                                std::vector<std::shared_ptr<ProcessorCore>>& spawned);
  Result<void> wire_links(const std::vector<LinkId>& ids, const Graph& desired);
  Result<void> update_processors(const std::vector<ProcessorConfigChange>& changes);
  Result<void> update_links(const std::vector<LinkConfigChange>& changes);
  Result<void> update_link(WiredLink& wired, const LinkConfig& config);

  const ProcessorFactory& factory_;
  std::shared_ptr<EventBus> events_;
  std::chrono::milliseconds control_timeout_;
  bool paused_;
  ExecutionGraph exec_;
};

}  // namespace streamlib::internal
