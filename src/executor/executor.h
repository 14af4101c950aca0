// Executor: runs an ExecutionGraph and applies GraphDeltas to it. SimpleExecutor gives every
// processor a thread of its own; a thread-pool executor for graphs of thousands of processors
// can implement the same interface.
#pragma once

#include <chrono>

#include "streamlib/executor/graph_delta.h"
#include "streamlib/graph/graph.h"
#include "streamlib/result.h"
#include "streamlib/runtime/stats.h"

namespace streamlib::internal {

class Executor {
 public:
  virtual ~Executor() = default;

  // Applies `delta` (computed against running_graph()) in the six-step order, touching only
  // what it names. Returns the first error; running_graph() then reflects what was applied.
  virtual Result<void> apply(const GraphDelta& delta, const Graph& desired) = 0;
  // No process() call anywhere until resume().
  virtual Result<void> pause() = 0;
  virtual Result<void> resume() = 0;
  // Stops every processor (sources first, each draining its inputs) within `timeout`; one
  // stuck past it is abandoned and reported. Leaves an empty running graph.
  virtual void shutdown(std::chrono::milliseconds timeout) = 0;

  virtual const Graph& running_graph() const = 0;
  virtual void collect_stats(RuntimeStats& out) const = 0;
};

}  // namespace streamlib::internal
