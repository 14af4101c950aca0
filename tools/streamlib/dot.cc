// `streamlib dot FILE [-o OUT]`: writes a graph file as Graphviz DOT.
#include <array>

#include "cli.h"

namespace streamlib::cli {

namespace {

constexpr std::array kOptions{OptionSpec{"output", "o", true}};

CliResult<void> run_dot(std::span<const std::string> raw) {
  CliResult<Arguments> args = parse_arguments(raw, kOptions);
  if (!args) return tl::unexpected(args.error());
  if (auto ok = expect_positionals(*args, 1, 1, "FILE"); !ok) return ok;

  // Load first, so a bad graph never creates or truncates OUT.
  CliResult<Graph> graph = load_graph(args->positional[0]);
  if (!graph) return tl::unexpected(graph.error());
  return write_output(args->value("output").value_or("-"), graph->to_dot());
}

}  // namespace

const Command kDotCommand{
    "dot",
    "FILE [-o OUT]",
    "write a graph file as Graphviz DOT",
    "Validates FILE as `streamlib validate` does, then writes it as a Graphviz digraph: one\n"
    "record node per processor showing its ports, one edge per link labelled with its\n"
    "capacity and policy. Writes to stdout, or to OUT with -o/--output. Render it with\n"
    "  streamlib dot graph.json | dot -Tsvg -o graph.svg\n"
    "An OUT that cannot be opened for writing is bad input (exit 2); OUT is not touched when\n"
    "FILE is invalid.\n",
    run_dot,
};

}  // namespace streamlib::cli
