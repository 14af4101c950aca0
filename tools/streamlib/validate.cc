// `streamlib validate FILE`: parses and validates a graph file and prints a one-line summary.
#include <fmt/format.h>

#include "cli.h"

namespace streamlib::cli {

namespace {

CliResult<void> run_validate(std::span<const std::string> raw) {
  CliResult<Arguments> args = parse_arguments(raw, {});
  if (!args) return tl::unexpected(args.error());
  if (auto ok = expect_positionals(*args, 1, 1, "FILE"); !ok) return ok;
  const std::string& file = args->positional[0];

  CliResult<Graph> graph = load_graph(file);
  if (!graph) return tl::unexpected(graph.error());
  const std::size_t processors = graph->processor_count();
  const std::size_t links = graph->link_count();
  return write_output(
      "-", fmt::format("{}: ok, {} processor{}, {} link{}, checksum 0x{:016x}\n", display_name(file), processors,
                       processors == 1 ? "" : "s", links, links == 1 ? "" : "s", graph->checksum()));
}

}  // namespace

const Command kValidateCommand{
    "validate",
    "FILE",
    "check a graph file and print a summary",
    "Parses FILE ('-' reads stdin) and checks it: JSON syntax, processor types and configs\n"
    "against their schemas, ports, message types, at most one link into an input, link\n"
    "configs, and that the graph has no cycle. On success prints\n"
    "  FILE: ok, N processors, M links, checksum 0x...\n"
    "and exits 0; otherwise prints the first problem, located in the file, and exits 2.\n",
    run_validate,
};

}  // namespace streamlib::cli
