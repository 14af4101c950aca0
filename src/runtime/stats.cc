#include "streamlib/runtime/stats.h"

#include "streamlib/runtime/events.h"

#include <utility>

namespace streamlib {

const ProcessorStats* RuntimeStats::find_processor(const ProcessorId& id) const& {
  for (const auto& p : processors) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const LinkStats* RuntimeStats::find_link(const LinkId& id) const& {
  for (const auto& l : links) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

std::optional<ProcessorStats> RuntimeStats::find_processor(const ProcessorId& id) && {
  const ProcessorStats* p = std::as_const(*this).find_processor(id);
  return p ? std::optional<ProcessorStats>(std::move(*const_cast<ProcessorStats*>(p))) : std::nullopt;
}

std::optional<LinkStats> RuntimeStats::find_link(const LinkId& id) && {
  const LinkStats* l = std::as_const(*this).find_link(id);
  return l ? std::optional<LinkStats>(std::move(*const_cast<LinkStats*>(l))) : std::nullopt;
}

nlohmann::json RuntimeStats::to_json() const {
  nlohmann::json procs = nlohmann::json::array();
  for (const auto& p : processors) {
    nlohmann::json j{{"id", p.id.str()},
                     {"type", p.type},
                     {"state", std::string(enum_name(p.state))},
                     {"execution", p.execution},
                     {"priority", std::string(enum_name(p.priority))},
                     {"priority_applied", p.priority_applied},
                     {"process_calls", p.process_calls},
                     {"cpu_time_ns", p.cpu_time_ns},
                     {"plug_discards", p.plug_discards},
                     {"input_stalls", p.input_stalls},
                     {"missed_cycles", p.missed_cycles},
                     {"metrics", p.metrics}};
    if (!p.priority_error.empty()) j["priority_error"] = p.priority_error;
    if (!p.last_error.empty()) j["last_error"] = p.last_error;
    procs.push_back(std::move(j));
  }
  nlohmann::json links_json = nlohmann::json::array();
  for (const auto& l : links) {
    links_json.push_back({{"id", l.id.str()},
                          {"from", l.from},
                          {"to", l.to},
                          {"message_type", l.message_type},
                          {"config", l.config.to_json()},
                          {"pushed", l.pushed},
                          {"delivered", l.delivered},
                          {"dropped", l.dropped},
                          {"spilled", l.spilled},
                          {"depth", l.depth},
                          {"high_water", l.high_water},
                          {"latency_samples", l.latency_samples},
                          {"latency_p50_ns", l.latency_p50_ns},
                          {"latency_p99_ns", l.latency_p99_ns},
                          {"latency_p999_ns", l.latency_p999_ns}});
  }
  return {{"state", std::string(enum_name(state))},
          {"timestamp_ns", timestamp_ns},
          {"processors", std::move(procs)},
          {"links", std::move(links_json)}};
}

std::string to_string(const Event& event) {
  std::string out = fmt::format("#{} {}", event.sequence, enum_name(event.kind));
  if (!event.processor.empty()) out += fmt::format(" processor={}", event.processor);
  if (!event.link.empty()) out += fmt::format(" link={}", event.link);
  if (event.kind == EventKind::kProcessorStateChanged) out += fmt::format(" state={}", enum_name(event.state));
  if (!event.message.empty()) out += ": " + event.message;
  return out;
}

}  // namespace streamlib
