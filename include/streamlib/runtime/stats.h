// A snapshot of a runtime: its state, each processor's state and counters, each link's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/graph/ids.h"
#include "streamlib/link/link_stats.h"
#include "streamlib/processor.h"
#include "streamlib/runtime/state.h"

namespace streamlib {

struct ProcessorStats {
  ProcessorId id;
  std::string type;
  ProcessorState state = ProcessorState::kPending;
  std::string execution;                              // "reactive", "continuous(33333us)", "manual"
  ThreadPriority priority = ThreadPriority::kNormal;  // requested
  bool priority_applied = true;                       // false: the OS refused it (see priority_error)
  std::string priority_error;
  std::uint64_t process_calls = 0;
  std::uint64_t cpu_time_ns = 0;    // CPU time of the processor's thread
  std::uint64_t plug_discards = 0;  // pushed into outputs with no link (the plug)
  std::uint64_t input_stalls = 0;   // Reactive kAll/kSynchronized: inputs gone on without (timeout, or another full)
  std::uint64_t missed_cycles = 0;  // Manual, device-driven: cycles skipped (runtime busy, not streaming)
  std::string last_error;           // set in Error
  nlohmann::json metrics = nlohmann::json::object();  // ProcessorBase::metrics()
};

struct RuntimeStats {
  RuntimeState state = RuntimeState::kIdle;
  std::vector<ProcessorStats> processors;  // sorted by id
  std::vector<LinkStats> links;            // sorted by id
  std::int64_t timestamp_ns = 0;

  // On a stored snapshot: a pointer into it (null if absent). On a temporary
  // (`rt.stats().find_link(id)`): a copy, so nothing dangles.
  const ProcessorStats* find_processor(const ProcessorId& id) const&;
  const LinkStats* find_link(const LinkId& id) const&;
  std::optional<ProcessorStats> find_processor(const ProcessorId& id) &&;
  std::optional<LinkStats> find_link(const LinkId& id) &&;
  nlohmann::json to_json() const;
};

}  // namespace streamlib
