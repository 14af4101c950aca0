// StatsView: what stats() reads — the running processors and links — kept apart from the
// executor so that a snapshot never waits for a control operation (a live change waiting on a
// slow setup, a stop of a large graph). The executor adds and removes entries under a short
// lock; stats() copies the handles under it and reads the counters without it.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "executor/processor_core.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/runtime/stats.h"

namespace streamlib::internal {

class StatsView {
 public:
  void add_processor(const std::shared_ptr<ProcessorCore>& core);
  void remove_processor(const ProcessorId& id);
  void add_link(const std::shared_ptr<LinkChannelBase>& channel);
  void remove_link(const LinkId& id);
  void clear();
  // Any thread: processors and links sorted by id.
  void collect(RuntimeStats& out) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<ProcessorId, std::shared_ptr<ProcessorCore>> processors_;  // GUARDED_BY(mutex_)
  std::unordered_map<LinkId, std::shared_ptr<LinkChannelBase>> links_;          // GUARDED_BY(mutex_)
};

}  // namespace streamlib::internal
