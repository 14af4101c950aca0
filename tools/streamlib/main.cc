// streamlib: the command-line tool.
//
//   streamlib run FILE [...]           run a graph file (see run.cc)
//   streamlib validate FILE            check a graph file, print a one-line summary
//   streamlib dot FILE [-o OUT]        Graphviz DOT of a graph file
//   streamlib processors [NAME]        the processor catalogue, or one type's ports and config
//   streamlib plan OLD NEW             the delta from OLD to NEW in application order
//   streamlib plugins [URI]            installed LV2 plugins, or one plugin's controls (with lv2)
//
// This file only dispatches: it finds the subcommand in kCommands, handles --help/--version,
// and turns a subcommand's Failure into one line on stderr and an exit code (0 ok, 1 failure,
// 2 bad input). A new subcommand is a new file exporting a Command plus one entry below.
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "streamlib/version.h"

namespace streamlib::cli {

namespace {

constexpr std::array kCommands {
  &kRunCommand, &kValidateCommand, &kDotCommand, &kProcessorsCommand, &kPlanCommand
#if STREAMLIB_CLI_LV2
      ,
      &kPluginsCommand
#endif
};

const Command* find_command(std::string_view name) {
  for (const Command* c : kCommands) {
    if (c->name == name) return c;
  }
  return nullptr;
}

std::string command_names() {
  std::string out;
  for (const Command* c : kCommands) out += fmt::format("{}{}", out.empty() ? "" : ", ", c->name);
  return out;
}

std::string usage_text() { return "usage: streamlib <command> [arguments]\n       streamlib --help | --version\n"; }

std::string help_text() {
  std::string out = fmt::format("streamlib {}: real-time media pipelines with live graph changes\n\n{}\ncommands:\n",
                                streamlib::kVersion, usage_text());
  std::size_t width = 0;
  for (const Command* c : kCommands) width = std::max(width, c->name.size() + 1 + c->synopsis.size());
  for (const Command* c : kCommands) {
    out += fmt::format("  {:<{}}  {}\n", fmt::format("{} {}", c->name, c->synopsis), width, c->summary);
  }
  out +=
      "\nA FILE argument may be '-' to read standard input.\n"
      "Run 'streamlib <command> --help' for a command's details.\n"
      "\nexit codes:\n"
      "  0  success\n"
      "  1  failure while doing the work (e.g. writing an output file failed after it was opened)\n"
      "  2  bad input: wrong arguments, a missing, unreadable or invalid graph file, an unknown\n"
      "     processor type, or an output path that cannot be opened for writing\n"
      "\nErrors are printed on stderr, one line each, as 'streamlib: FILE: where: what'.\n";
  return out;
}

std::string command_help(const Command& c) {
  return fmt::format("usage: streamlib {} {}\n\n{}: {}\n\n{}", c.name, c.synopsis, c.name, c.summary, c.details);
}

// Prints to stdout for --help and --version; a failed write (closed pipe, full disk) is exit 1.
int print_stdout(const std::string& text) {
  if (auto ok = write_output("-", text); !ok) {
    std::fputs(fmt::format("streamlib: {}\n", ok.error().message).c_str(), stderr);
    return ok.error().exit_code;
  }
  return kExitOk;
}

int usage_failure(const std::string& message) {
  std::fputs(fmt::format("streamlib: {}\n{}Run 'streamlib --help' for the commands.\n", message, usage_text()).c_str(),
             stderr);
  return kExitBadInput;
}

bool is_help_flag(std::string_view arg) { return arg == "-h" || arg == "--help"; }

int run(std::span<const std::string> args) {
  if (args.empty()) return usage_failure("missing command");
  const std::string& first = args[0];
  if (is_help_flag(first) || first == "help") {
    if (args.size() == 1) return print_stdout(help_text());
    if (args.size() > 2) return usage_failure(fmt::format("help: unexpected argument '{}'", args[2]));
    if (const Command* c = find_command(args[1]); c != nullptr) return print_stdout(command_help(*c));
    return usage_failure(fmt::format("help: unknown command '{}' (commands: {})", args[1], command_names()));
  }
  if (first == "--version") {
    if (args.size() != 1) return usage_failure(fmt::format("unexpected argument '{}'", args[1]));
    return print_stdout(fmt::format("streamlib {}\n", streamlib::kVersion));
  }
  if (first.starts_with("-")) return usage_failure(fmt::format("unknown option '{}'", first));

  const Command* command = find_command(first);
  if (command == nullptr) {
    return usage_failure(fmt::format("unknown command '{}' (commands: {})", first, command_names()));
  }
  const std::span<const std::string> rest = args.subspan(1);
  for (const std::string& arg : rest) {
    if (arg == "--") break;
    if (is_help_flag(arg)) return print_stdout(command_help(*command));
  }

  CliResult<void> result = command->run(rest);
  if (result) return kExitOk;
  const Failure& failure = result.error();
  std::string text = fmt::format("streamlib: {}\n", failure.message);
  if (failure.show_usage) {
    text = fmt::format("streamlib: {}: {}\nusage: streamlib {} {}\nRun 'streamlib {} --help' for details.\n",
                       command->name, failure.message, command->name, command->synopsis, command->name);
  }
  std::fputs(text.c_str(), stderr);
  return failure.exit_code;
}

}  // namespace

}  // namespace streamlib::cli

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Nothing on the control plane throws by design; this only turns an unexpected exception
  // (std::bad_alloc, a library bug) into a clear message and exit 1 instead of an abort.
  try {
    return streamlib::cli::run(args);
  } catch (const std::exception& e) {
    std::fputs(fmt::format("streamlib: internal error: {}\n", e.what()).c_str(), stderr);
    return streamlib::cli::kExitFailure;
  }
}
