// `streamlib plan OLD NEW`: prints the steps that turn a running graph OLD into NEW.
#include <memory>
#include <string>

#include "cli.h"
#include "streamlib/executor/graph_delta.h"

namespace streamlib::cli {

namespace {

struct PlanArguments {
  std::string old_file;
  std::string new_file;
};

CliResult<void> run_plan(const CLI::App& app, const PlanArguments& args) {
  if (auto ok = expect_positionals(app, 2, "OLD NEW"); !ok) return ok;

  CliResult<Graph> running = load_graph(args.old_file);
  if (!running) return tl::unexpected(running.error());
  CliResult<Graph> desired = load_graph(args.new_file);
  if (!desired) return tl::unexpected(desired.error());
  const GraphDelta delta = compute_delta(*desired, *running);
  return write_output("-", format_plan(delta, *desired, *running));
}

Runner configure_plan(CLI::App& app) {
  auto args = std::make_shared<PlanArguments>();
  app.add_option("OLD", args->old_file);
  app.add_option("NEW", args->new_file);
  return [&app, args] { return run_plan(app, *args); };
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
    configure_plan,
};

}  // namespace streamlib::cli
