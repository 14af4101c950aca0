#include "streamlib/runtime/interval_stats.h"

#include <algorithm>

#include "streamlib/link/link_stats.h"

namespace streamlib {

namespace {

std::uint64_t since(std::uint64_t later, std::uint64_t earlier) { return later >= earlier ? later - earlier : later; }

// Latency buckets of `after` minus those of `before` (both sorted by bucket).
std::vector<LatencyBucket> bucket_difference(const std::vector<LatencyBucket>& after,
                                             const std::vector<LatencyBucket>* before) {
  if (before == nullptr) return after;
  std::vector<LatencyBucket> out;
  out.reserve(after.size());
  auto b = before->begin();
  for (const LatencyBucket& a : after) {
    while (b != before->end() && b->bucket < a.bucket) ++b;
    const std::uint64_t earlier = (b != before->end() && b->bucket == a.bucket) ? b->count : 0;
    if (a.count > earlier) out.push_back({a.bucket, a.count - earlier});
  }
  return out;
}

}  // namespace

IntervalStats interval_stats(const RuntimeStats& before, const RuntimeStats& after) {
  IntervalStats out;
  out.state = after.state;
  out.timestamp_ns = after.timestamp_ns;
  const std::int64_t span_ns = after.timestamp_ns - before.timestamp_ns;
  out.seconds = span_ns > 0 ? static_cast<double>(span_ns) / 1e9 : 0.0;
  const double per_second = out.seconds > 0 ? 1.0 / out.seconds : 0.0;

  for (const ProcessorStats& p : after.processors) {
    const ProcessorStats* e = before.find_processor(p.id);
    ProcessorInterval i;
    i.id = p.id;
    i.type = p.type;
    i.state = p.state;
    const bool same = e != nullptr && e->type == p.type;
    i.calls_per_second = static_cast<double>(since(p.process_calls, same ? e->process_calls : 0)) * per_second;
    const std::uint64_t cpu = since(p.cpu_time_ns, same ? e->cpu_time_ns : 0);
    i.busy = span_ns > 0 ? static_cast<double>(cpu) / static_cast<double>(span_ns) : 0.0;
    i.input_stalls = since(p.input_stalls, same ? e->input_stalls : 0);
    i.missed_cycles = since(p.missed_cycles, same ? e->missed_cycles : 0);
    i.last_error = p.last_error;
    i.metrics = p.metrics;
    out.processors.push_back(std::move(i));
  }
  for (const LinkStats& l : after.links) {
    const LinkStats* e = before.find_link(l.id);
    LinkInterval i;
    i.id = l.id;
    i.from = l.from;
    i.to = l.to;
    const bool same = e != nullptr && e->from == l.from && e->to == l.to;
    i.messages_per_second = static_cast<double>(since(l.delivered, same ? e->delivered : 0)) * per_second;
    i.depth = l.depth;
    i.capacity = l.config.capacity.value_or(0);
    i.dropped = since(l.dropped, same ? e->dropped : 0);
    const std::vector<LatencyBucket> window =
        bucket_difference(l.latency_buckets, same ? &e->latency_buckets : nullptr);
    for (const LatencyBucket& b : window) i.latency_samples += b.count;
    i.latency_p50_ns = LatencyHistogram::percentile_of(window, 0.50);
    i.latency_p99_ns = LatencyHistogram::percentile_of(window, 0.99);
    out.links.push_back(std::move(i));
  }
  return out;
}

nlohmann::json IntervalStats::to_json() const {
  nlohmann::json procs = nlohmann::json::array();
  for (const ProcessorInterval& p : processors) {
    nlohmann::json j{{"id", p.id.str()},
                     {"type", p.type},
                     {"state", std::string(enum_name(p.state))},
                     {"calls_per_second", p.calls_per_second},
                     {"busy", p.busy},
                     {"input_stalls", p.input_stalls},
                     {"missed_cycles", p.missed_cycles},
                     {"metrics", p.metrics}};
    if (!p.last_error.empty()) j["last_error"] = p.last_error;
    procs.push_back(std::move(j));
  }
  nlohmann::json links_json = nlohmann::json::array();
  for (const LinkInterval& l : links) {
    links_json.push_back({{"id", l.id.str()},
                          {"from", l.from},
                          {"to", l.to},
                          {"messages_per_second", l.messages_per_second},
                          {"depth", l.depth},
                          {"capacity", l.capacity},
                          {"dropped", l.dropped},
                          {"latency_samples", l.latency_samples},
                          {"latency_p50_ns", l.latency_p50_ns},
                          {"latency_p99_ns", l.latency_p99_ns}});
  }
  return {{"state", std::string(enum_name(state))},
          {"interval_s", seconds},
          {"timestamp_ns", timestamp_ns},
          {"processors", std::move(procs)},
          {"links", std::move(links_json)}};
}

}  // namespace streamlib
