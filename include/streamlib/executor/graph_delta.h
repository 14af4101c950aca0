// GraphDelta: what must change to bring a running graph to a desired one.
//
//   GraphDelta d = compute_delta(desired, running);
//   std::cout << format_plan(d, desired, running);
//
// The six lists are applied in this order, and only what they name is touched (SPEC §1):
//   1. unwire links_to_remove       (before their processors go away)
//   2. shut down processors_to_remove
//   3. spawn processors_to_add
//   4. wire links_to_add            (after both ends exist)
//   5. hot-reload processors_to_update
//   6. resize / re-policy links_to_update
// A processor whose type changed under the same id is removed and added again, and so are its
// links. Each list is sorted by id, so a plan is the same on every run.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/graph/graph.h"
#include "streamlib/graph/ids.h"
#include "streamlib/link/link_config.h"

namespace streamlib {

struct ProcessorConfigChange {
  ProcessorId id;
  nlohmann::json old_config;
  nlohmann::json new_config;
  friend bool operator==(const ProcessorConfigChange&, const ProcessorConfigChange&) = default;
};

struct LinkConfigChange {
  LinkId id;
  LinkConfig old_config;
  LinkConfig new_config;
  friend bool operator==(const LinkConfigChange&, const LinkConfigChange&) = default;
};

struct GraphDelta {
  std::vector<ProcessorId> processors_to_add;
  std::vector<ProcessorId> processors_to_remove;
  std::vector<ProcessorConfigChange> processors_to_update;
  std::vector<LinkId> links_to_add;
  std::vector<LinkId> links_to_remove;
  std::vector<LinkConfigChange> links_to_update;

  bool empty() const;
  std::size_t size() const;  // number of steps
};

// Restricts compute_delta to some ids (the runtime tracks what a mutation touched, so the cost
// of a sync follows the change, not the size of the graph).
struct DeltaScope {
  std::unordered_set<ProcessorId> processors;
  std::unordered_set<LinkId> links;
  bool empty() const { return processors.empty() && links.empty(); }
  void clear() {
    processors.clear();
    links.clear();
  }
};

// Compares by ids and checksums: a processor is updated when its config checksum differs,
// replaced (removed + added) when its type differs; a link is updated when its config differs,
// replaced when its ends differ or either end is replaced.
GraphDelta compute_delta(const Graph& desired, const Graph& running);
GraphDelta compute_delta(const Graph& desired, const Graph& running, const DeltaScope& scope);

// The plan in application order, one numbered step a line:
//   1. unwire link a.out->b.in
//   2. remove processor b (Counter)
//   3. add processor c (NullSink)
//   4. wire link a.out->c.in (capacity 16, block, sequential)
//   5. reconfigure processor a: interval_us 1000 -> 500
//   6. update link x.out->y.in: capacity 3 -> 8
// "no changes" when the delta is empty.
std::string format_plan(const GraphDelta& delta, const Graph& desired, const Graph& running);

}  // namespace streamlib
