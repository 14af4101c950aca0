// streamlib: the command-line tool.
//
//   streamlib run FILE [...]           run a graph file (see run.cc)
//   streamlib validate FILE            check a graph file, print a one-line summary
//   streamlib dot FILE [-o OUT]        Graphviz DOT of a graph file
//   streamlib processors [NAME]        the processor catalogue, or one type's ports and config
//   streamlib plan OLD NEW             the delta from OLD to NEW in application order
//   streamlib plugins [URI]            installed LV2 plugins, or one plugin's controls (with lv2)
//
// This file only dispatches: it parses the command line with CLI11 (one subcommand per entry of
// kCommands, each adding its own options), handles --help/--version, and turns a subcommand's
// Failure into one line on stderr and an exit code (0 ok, 1 failure, 2 bad input). A new
// subcommand is a new file exporting a Command plus one entry below.
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <malloc.h>

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

// The option token in `args` that CLI11 found without its value ("-o" as typed, where CLI11's
// error names the option "--output"), or "" if none.
std::string option_missing_its_value(const CLI::App& app, const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
    const CLI::Option* option = args[i].starts_with("-") ? app.get_option_no_throw(args[i]) : nullptr;
    if (option == nullptr || option->get_type_size() == 0) continue;
    if (i + 1 == args.size() || (args[i + 1].starts_with("-") && args[i + 1] != "-")) return args[i];
  }
  return "";
}

// What CLI11 left unparsed (with allow_extras) of `args`: an option no one takes, or an
// argument beyond the positionals ("-x" too when it comes after "--"). Empty when there is none.
std::string extra_argument_message(const std::vector<std::string>& remaining, const std::vector<std::string>& args) {
  // CLI11 passes a "--" it did not need on to the parent app.
  const auto extra = std::find_if(remaining.begin(), remaining.end(), [](const std::string& a) { return a != "--"; });
  if (extra == remaining.end()) return "";
  const std::string& arg = *extra;
  const auto end_of_options = std::find(args.begin(), args.end(), "--");
  const bool after_options = end_of_options != args.end() && std::find(end_of_options, args.end(), arg) != args.end();
  if (!after_options && arg.size() > 1 && arg[0] == '-') {
    return fmt::format("unknown option '{}'", arg.substr(0, arg.find('=')));
  }
  return fmt::format("unexpected argument '{}'", arg);
}

// A subcommand's Failure as main prints it: with the command's usage line when the arguments
// were wrong.
int report(const Command& command, const Failure& failure) {
  std::string text = fmt::format("streamlib: {}\n", failure.message);
  if (failure.show_usage) {
    text = fmt::format("streamlib: {}: {}\nusage: streamlib {} {}\nRun 'streamlib {} --help' for details.\n",
                       command.name, failure.message, command.name, command.synopsis, command.name);
  }
  std::fputs(text.c_str(), stderr);
  return failure.exit_code;
}

// One subcommand of the CLI11 app: its Command, and what its configure returned.
struct Subcommand {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  Runner run;
  bool help = false;
};

// Parses the command line with CLI11 and runs the subcommand it names. Help and errors keep the
// tool's own text (help_text, command_help, "streamlib: <cmd>: ..." with exit 2): CLI11's help
// flags are replaced by plain ones, and what it leaves over (allow_extras) is reported here.
int run(const std::vector<std::string>& args) {
  CLI::App app("real-time media pipelines with live graph changes", "streamlib");
  app.set_help_flag();
  app.allow_extras();
  app.require_subcommand(0, 1);  // so that a later "run" or "plan" is an argument, not a command
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last one given
  bool help = false;
  bool version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("--version", version);

  std::vector<Subcommand> subcommands;
  subcommands.reserve(kCommands.size());
  for (const Command* c : kCommands) {
    CLI::App* sub = app.add_subcommand(std::string(c->name), std::string(c->summary));
    sub->set_help_flag();
    sub->allow_extras();
    Subcommand& entry = subcommands.emplace_back(Subcommand{c, sub, nullptr, false});
    sub->add_flag("-h,--help", entry.help);
    entry.run = c->configure(*sub);
  }
  // `streamlib help [COMMAND]`, as `streamlib --help [COMMAND]`.
  CLI::App* help_command = app.add_subcommand("help", "show the help, or a command's");
  help_command->set_help_flag();
  help_command->allow_extras();
  std::vector<std::string> topics;
  help_command->add_option("COMMAND", topics);

  // Arguments in reverse, as CLI11 consumes them.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const Subcommand* current = nullptr;
    for (const Subcommand& s : subcommands) {
      if (s.app->parsed()) current = &s;
    }
    if (current != nullptr && current->help) return print_stdout(command_help(*current->command));
    std::string message = e.what();
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
      const std::string flag = option_missing_its_value(current != nullptr ? *current->app : app, args);
      if (!flag.empty()) message = fmt::format("option '{}' needs a value", flag);
    }
    if (current == nullptr) return usage_failure(message);
    return report(*current->command, Failure{kExitBadInput, message, true});
  }

  const Subcommand* chosen = nullptr;
  for (const Subcommand& s : subcommands) {
    if (s.app->parsed()) chosen = &s;
  }
  if (help || help_command->parsed()) {
    if (chosen != nullptr) return print_stdout(command_help(*chosen->command));
    if (topics.empty()) {
      if (auto extra = extra_argument_message(app.remaining(), args); !extra.empty())
        return usage_failure("help: " + extra);
      return print_stdout(help_text());
    }
    if (topics.size() > 1) return usage_failure(fmt::format("help: unexpected argument '{}'", topics[1]));
    if (const Command* c = find_command(topics[0]); c != nullptr) return print_stdout(command_help(*c));
    return usage_failure(fmt::format("help: unknown command '{}' (commands: {})", topics[0], command_names()));
  }
  if (chosen == nullptr) {
    const std::vector<std::string> remaining = app.remaining();
    if (version) {
      if (auto extra = extra_argument_message(remaining, args); !extra.empty()) return usage_failure(extra);
      return print_stdout(fmt::format("streamlib {}\n", streamlib::kVersion));
    }
    if (remaining.empty()) return usage_failure("missing command");
    if (remaining[0].starts_with("-")) return usage_failure(extra_argument_message(remaining, args));
    return usage_failure(fmt::format("unknown command '{}' (commands: {})", remaining[0], command_names()));
  }
  if (chosen->help) return print_stdout(command_help(*chosen->command));
  if (auto extra = extra_argument_message(chosen->app->remaining(), args); !extra.empty()) {
    return report(*chosen->command, Failure{kExitBadInput, extra, true});
  }
  if (auto extra = extra_argument_message(app.remaining(), args); !extra.empty()) {
    return report(*chosen->command, Failure{kExitBadInput, extra, true});
  }

  CliResult<void> result = chosen->run();
  if (result) return kExitOk;
  return report(*chosen->command, result.error());
}

}  // namespace

}  // namespace streamlib::cli

namespace {

// Keeps freed picture-sized blocks in the heap for the next frame. A demuxer allocates each raw
// picture's packet with malloc on the reading thread and the frame is freed where its last
// reader lets go (another processor's thread); with glibc's defaults that free trims the reading
// thread's arena (madvise MADV_DONTNEED above 2x the largest freed block) and the next pictures
// fault their pages in again: 81 page faults a frame for 1280x720 Y4M into x264, where ffmpeg,
// which frees each packet on the thread that reads the next, has none (docs/PERFORMANCE.md §7).
// Fixed thresholds (which also turn off glibc's sliding ones): blocks under 32 MiB (glibc's
// highest mmap threshold) come from the heap, and a heap keeps up to 64 MiB free at its top.
void keep_frame_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  keep_frame_memory();
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
