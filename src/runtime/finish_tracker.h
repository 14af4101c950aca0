// FinishTracker: knows when every sink of the running graph has finished (its stream ended, or
// it failed), so the runtime can say so — an event, a state, a call that waits for it — as
// gst-launch does at end of stream; and which processors have failed, so the end can say that
// too. A failure is recorded before the failed processor's outputs end (ProcessorCore::fail), so
// whoever sees the end of stream it leads to also sees it here.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "executor/processor_core.h"
#include "streamlib/executor/graph_delta.h"
#include "streamlib/graph/graph.h"

namespace streamlib::internal {

class FinishTracker final : public FinishListener {
 public:
  // `changed(all_done)` runs whenever the answer changes, on the thread that changed it.
  explicit FinishTracker(std::function<void(bool all_done)> changed) : changed_(std::move(changed)) {}

  // Processor threads: a processor's stream is over (finished, or failed).
  void processor_finished(const ProcessorId& id) override;
  void processor_failed(const ProcessorId& id, const Error& error) override;
  // Also forgets its failure.
  void processor_unfinished(const ProcessorId& id) override;
  // Control thread, after a delta was applied: brings the processors it touched in line with
  // `running` (see touched_by). Costs what the delta changed, not the graph's size.
  void update_graph(const Graph& running, const std::vector<ProcessorId>& touched);
  // Before `delta` is applied to `running`: the processors whose presence or sink-ness it can
  // change (its processors, and the sources of the links it adds or removes, the removed
  // processors' links included). update_graph() takes the links it adds from the graph after.
  static std::vector<ProcessorId> touched_by(const Graph& running, const GraphDelta& delta);
  void clear();
  bool all_done() const;
  // The earliest failure of a processor that is still failed and still in the graph.
  std::optional<Error> first_failure() const;

 private:
  void update_locked(std::unique_lock<std::mutex>& lock);
  // Brings one processor's entries in line with `running`.
  void refresh_locked(const Graph& running, const ProcessorId& id);
  void set_sink_locked(const ProcessorId& id, bool sink);

  std::function<void(bool)> changed_;
  mutable std::mutex mutex_;
  std::unordered_set<ProcessorId> sinks_;     // GUARDED_BY(mutex_)
  std::unordered_set<ProcessorId> finished_;  // GUARDED_BY(mutex_)
  // Sinks not in finished_: done is sinks_ non-empty and this 0, kept without a walk.
  std::size_t unfinished_sinks_ = 0;  // GUARDED_BY(mutex_)
  // In the order they happened.
  std::vector<std::pair<ProcessorId, Error>> failures_;  // GUARDED_BY(mutex_)
  bool done_ = false;                                    // GUARDED_BY(mutex_)
};

}  // namespace streamlib::internal
