// `streamlib plan OLD NEW`: prints the steps that turn a running graph OLD into NEW.
#include "cli.h"
#include "streamlib/executor/graph_delta.h"

namespace streamlib::cli {

namespace {

CliResult<void> run_plan(std::span<const std::string> raw) {
  CliResult<Arguments> args = parse_arguments(raw, {});
  if (!args) return tl::unexpected(args.error());
  if (auto ok = expect_positionals(*args, 2, 2, "OLD NEW"); !ok) return ok;

  CliResult<Graph> running = load_graph(args->positional[0]);
  if (!running) return tl::unexpected(running.error());
  CliResult<Graph> desired = load_graph(args->positional[1]);
  if (!desired) return tl::unexpected(desired.error());
  const GraphDelta delta = compute_delta(*desired, *running);
  return write_output("-", format_plan(delta, *desired, *running));
}

}  // namespace

const Command kPlanCommand{
    "plan",
    "OLD NEW",
    "print the changes that turn graph OLD into NEW, in application order",
    "Validates both files and prints the delta a running OLD pipeline would apply to become\n"
    "NEW, one numbered step a line, in the order the runtime applies it:\n"
    "  unwire removed links, remove processors, add processors, wire new links,\n"
    "  reconfigure processors (hot reload), update link configs (resize / re-policy).\n"
    "Processors and links the plan does not name keep running untouched. A processor whose\n"
    "type changed is removed and added again. Prints \"no changes\" when the graphs match.\n",
    run_plan,
};

}  // namespace streamlib::cli
