// `streamlib validate FILE`: parses and validates a graph file and prints a one-line summary.
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli.h"

namespace streamlib::cli {

namespace {

CliResult<void> run_validate(const CLI::App& app, const std::string& file) {
  if (auto ok = expect_positionals(app, 1, "FILE"); !ok) return ok;
  CliResult<Graph> graph = load_graph(file);
  if (!graph) return tl::unexpected(graph.error());
  const std::size_t processors = graph->processor_count();
  const std::size_t links = graph->link_count();
  return write_output(
      "-", fmt::format("{}: ok, {} processor{}, {} link{}, checksum 0x{:016x}\n", display_name(file), processors,
                       processors == 1 ? "" : "s", links, links == 1 ? "" : "s", graph->checksum()));
}

Runner configure_validate(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  app.add_option("FILE", *file);
  return [&app, file] { return run_validate(app, *file); };
}

}  // namespace

const Command kValidateCommand{
    "validate",
    "FILE",
    "check a graph file and print a summary",
    "Parses FILE ('-' reads stdin) and checks it: JSON syntax, processor types and configs\n"
    "against their schemas, ports, message types, at most one link into an input, link\n"
    "configs, and that the graph has no cycle. Configs are checked for everything that needs\n"
    "no media: codec, preset and tune names against the installed encoders, output folders\n"
    "that exist and can be written, and no two processors claiming one exclusive resource\n"
    "(two writers of one file). On success prints\n"
    "  FILE: ok, N processors, M links, checksum 0x...\n"
    "and exits 0; otherwise prints the first problem, located in the file, and exits 2.\n",
    configure_validate,
};

}  // namespace streamlib::cli
