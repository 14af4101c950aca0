// What happened between two StreamRuntime::stats() snapshots: rates, busy share, drops and
// latency percentiles over that interval only, not since start. What a live view shows
// (`streamlib run`, one per second) and what `--stats-json` writes.
//
//   RuntimeStats before = rt.stats();
//   ...                                     // a second later
//   RuntimeStats after = rt.stats();
//   IntervalStats last_second = interval_stats(before, after);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/graph/ids.h"
#include "streamlib/runtime/state.h"
#include "streamlib/runtime/stats.h"

namespace streamlib {

struct ProcessorInterval {
  ProcessorId id;
  std::string type;
  ProcessorState state = ProcessorState::kPending;
  double calls_per_second = 0;
  double busy = 0;                  // CPU time of its thread / wall time (1.0 = one core)
  std::uint64_t input_stalls = 0;   // in the interval
  std::uint64_t missed_cycles = 0;  // in the interval
  std::string last_error;
  nlohmann::json metrics = nlohmann::json::object();  // as of the later snapshot
};

struct LinkInterval {
  LinkId id;
  std::string from;
  std::string to;
  double messages_per_second = 0;  // delivered to the consumer
  std::size_t depth = 0;           // queued at the later snapshot
  std::size_t capacity = 0;
  std::uint64_t dropped = 0;          // in the interval
  std::uint64_t latency_samples = 0;  // in the interval
  std::int64_t latency_p50_ns = 0;    // over the interval's samples; 0 without samples
  std::int64_t latency_p99_ns = 0;
};

struct IntervalStats {
  RuntimeState state = RuntimeState::kIdle;
  double seconds = 0;  // between the snapshots
  std::int64_t timestamp_ns = 0;
  std::vector<ProcessorInterval> processors;  // those in the later snapshot
  std::vector<LinkInterval> links;
  nlohmann::json to_json() const;
};

// A processor or link new in `after` counts from zero; counters that went back (a rebuilt
// processor, a replaced link) count from zero too.
IntervalStats interval_stats(const RuntimeStats& before, const RuntimeStats& after);

}  // namespace streamlib
