// ExecutionGraph: the running state — one RunningProcessor per live processor and one
// WiredLink per live link — plus a Graph mirroring exactly what has been applied, which is
// what the next GraphDelta is computed against.
#pragma once

#include <memory>
#include <unordered_map>

#include "executor/processor_core.h"
#include "streamlib/graph/graph.h"
#include "streamlib/link/link_channel.h"

namespace streamlib::internal {

struct RunningProcessor {
  std::shared_ptr<ProcessorCore> core;  // its thread, state, instance, notifier, commands
};

struct WiredLink {
  Link link;                                 // as applied
  std::shared_ptr<LinkChannelBase> channel;  // the ring, shared with both ports
};

class ExecutionGraph {
 public:
  const Graph& graph() const { return graph_; }
  Graph& graph() { return graph_; }

  RunningProcessor* find_processor(const ProcessorId& id) {
    auto it = processors_.find(id);
    return it == processors_.end() ? nullptr : &it->second;
  }
  WiredLink* find_link(const LinkId& id) {
    auto it = links_.find(id);
    return it == links_.end() ? nullptr : &it->second;
  }
  std::unordered_map<ProcessorId, RunningProcessor>& processors() { return processors_; }
  const std::unordered_map<ProcessorId, RunningProcessor>& processors() const { return processors_; }
  std::unordered_map<LinkId, WiredLink>& links() { return links_; }
  const std::unordered_map<LinkId, WiredLink>& links() const { return links_; }

  void clear() {
    processors_.clear();
    links_.clear();
    graph_ = Graph();
  }

 private:
  Graph graph_;
  std::unordered_map<ProcessorId, RunningProcessor> processors_;
  std::unordered_map<LinkId, WiredLink> links_;
};

}  // namespace streamlib::internal
