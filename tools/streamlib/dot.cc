// `streamlib dot FILE [-o OUT] [--stats STATS]`: writes a graph file as Graphviz DOT, optionally
// annotated with the live figures of a run (`streamlib run --stats-json`).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace streamlib::cli {

namespace {

// "12 us", "3.4 ms", "1.2 s".
std::string duration_text(double ns) {
  if (ns < 1e6) return fmt::format("{:.0f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.1f} s", ns / 1e9);
}

// The last interval of a stats file: one JSON object (a snapshot), or the last line of a
// --stats-json file (one object per line).
CliResult<nlohmann::json> read_stats(const std::string& path) {
  errno = 0;
  std::ifstream in(path);
  if (!in) return input_error(fmt::format("{}: cannot read: {}", path, std::strerror(errno != 0 ? errno : ENOENT)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  // What `run --stats-json` writes (IntervalStats::to_json): not any object with "processors"
  // and "links" — a graph file has those too.
  auto is_snapshot = [](const nlohmann::json& j) {
    return j.is_object() && j.contains("processors") && j.contains("links") && j.contains("timestamp_ns");
  };
  if (auto whole = nlohmann::json::parse(text, nullptr, false); is_snapshot(whole)) return whole;
  // The last interval while the pipeline ran (the one after its end shows it idle), else the
  // last line.
  nlohmann::json j(nlohmann::json::value_t::discarded);
  nlohmann::json last_running(nlohmann::json::value_t::discarded);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("state", "") == "running") last_running = j;
  }
  if (!last_running.is_discarded()) j = last_running;
  if (!is_snapshot(j)) {
    return input_error(
        fmt::format("{}: not a stats snapshot (one JSON object with \"processors\" and \"links\", or "
                    "the lines `streamlib run --stats-json` writes)",
                    path));
  }
  return j;
}

Graph::DotNotes notes_from(const nlohmann::json& stats) {
  Graph::DotNotes notes;
  for (const nlohmann::json& p : stats.value("processors", nlohmann::json::array())) {
    const std::string id = p.value("id", "");
    const std::string state = p.value("state", "");
    notes.processors[id] = fmt::format("{}, {:.0f} calls/s, busy {:.0f}%", state, p.value("calls_per_second", 0.0),
                                       100.0 * p.value("busy", 0.0));
    if (state == "error") notes.alert_processors.push_back(id);
  }
  for (const nlohmann::json& l : stats.value("links", nlohmann::json::array())) {
    const std::string id = l.value("id", "");
    std::string text = fmt::format("{:.0f} msg/s, fill {}/{}", l.value("messages_per_second", 0.0),
                                   l.value("depth", std::uint64_t{0}), l.value("capacity", std::uint64_t{0}));
    const auto dropped = l.value("dropped", std::uint64_t{0});
    if (dropped > 0) {
      text += fmt::format(", {} dropped", dropped);
      notes.alert_links.push_back(id);
    }
    if (l.value("latency_samples", std::uint64_t{0}) > 0) {
      text += ", p99 " + duration_text(l.value("latency_p99_ns", 0.0));
    }
    notes.links[id] = std::move(text);
  }
  return notes;
}

struct DotArguments {
  std::string file;
  std::string output = "-";
  std::optional<std::string> stats;
};

CliResult<void> run_dot(const CLI::App& app, const DotArguments& args) {
  if (auto ok = expect_positionals(app, 1, "FILE"); !ok) return ok;

  // Load first, so a bad graph (or stats file) never creates or truncates OUT.
  CliResult<Graph> graph = load_graph(args.file);
  if (!graph) return tl::unexpected(graph.error());
  Graph::DotNotes notes;
  if (args.stats) {
    CliResult<nlohmann::json> stats = read_stats(*args.stats);
    if (!stats) return tl::unexpected(stats.error());
    notes = notes_from(*stats);
  }
  return write_output(args.output, graph->to_dot(notes));
}

Runner configure_dot(CLI::App& app) {
  auto args = std::make_shared<DotArguments>();
  app.add_option("FILE", args->file);
  app.add_option("-o,--output", args->output);
  app.add_option_function<std::string>("--stats", [args](const std::string& path) { args->stats = path; });
  return [&app, args] { return run_dot(app, *args); };
}

}  // namespace

const Command kDotCommand{
    "dot",
    "FILE [-o OUT] [--stats STATS]",
    "write a graph file as Graphviz DOT, optionally with a run's live figures",
    "Validates FILE as `streamlib validate` does, then writes it as a Graphviz digraph: one\n"
    "record node per processor showing its ports, one edge per link labelled with its\n"
    "capacity and policy. Writes to stdout, or to OUT with -o/--output. Render it with\n"
    "  streamlib dot graph.json | dot -Tsvg -o graph.svg\n"
    "With --stats STATS (the file `streamlib run --stats-json` writes, of which the last\n"
    "interval while the pipeline ran is used, or one such JSON object), each processor also\n"
    "shows its state, calls per second and\n"
    "busy share, and each link its messages per second, fill, drops and p99 latency over that\n"
    "interval; a processor in error and a link that dropped are drawn in red.\n"
    "An OUT that cannot be opened for writing is bad input (exit 2); OUT is not touched when\n"
    "FILE or STATS is invalid.\n",
    configure_dot,
};

}  // namespace streamlib::cli
