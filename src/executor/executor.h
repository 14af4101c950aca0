// Executor: runs an ExecutionGraph and applies GraphDeltas to it. SimpleExecutor gives every
// processor a thread of its own; a thread-pool executor for graphs of thousands of processors
// can implement the same interface.
#pragma once

#include <chrono>
#include <vector>

#include "streamlib/executor/graph_delta.h"
#include "streamlib/graph/graph.h"
#include "streamlib/result.h"
#include "streamlib/runtime/stats.h"

namespace streamlib::internal {

// One element of a delta that did not apply. running_graph() says what did: a processor or
// link that failed to be added is not in it, one that failed to be updated keeps its old
// config there, and removals always leave it.
struct ApplyFailure {
  ProcessorId processor;  // set when the failure is about a processor
  LinkId link;            // set when it is about a link
  Error error;
};

struct ApplyReport {
  std::vector<ApplyFailure> failures;
  bool ok() const { return failures.empty(); }
  // Every failure in one error ("2 changes failed: ...; ..."), or success.
  Result<void> to_result() const;
};

struct ApplyOptions {
  // start(): a processor whose setup() fails stays in the running graph, in Error (the rest
  // of the graph runs). A live change instead leaves nothing of it behind.
  bool keep_failed_processors = false;
  // Release none of the new processors if anything in the delta failed: they stay set up but
  // never run (RuntimeOptions::all_or_nothing_start).
  bool release_only_if_all_applied = false;
};

class Executor {
 public:
  virtual ~Executor() = default;

  // Applies `delta` (computed against running_graph()) in the six-step order, touching only
  // what it names, and reports every element that failed.
  virtual ApplyReport apply(const GraphDelta& delta, const Graph& desired, const ApplyOptions& options) = 0;
  // No process() call anywhere until resume().
  virtual Result<void> pause() = 0;
  virtual Result<void> resume() = 0;
  // Stops every processor (sources first, each draining its inputs). A processor that makes
  // no progress for `stop_timeout` is abandoned and reported. Leaves an empty running graph.
  virtual void shutdown(std::chrono::milliseconds stop_timeout) = 0;

  virtual const Graph& running_graph() const = 0;
};

}  // namespace streamlib::internal
