// Shared pieces of the `streamlib` command-line tool: exit codes, failures, the Command table
// entry, and reading/writing files with errors that name the file.
//
// Each subcommand lives in its own file and exports one `Command` (name, usage, help text and
// a configure function). main.cc keeps the table of commands and parses the command line with
// CLI11: each Command's configure adds its positionals and options to its CLI::App subcommand,
// bound to state that the function it returns reads once the arguments are parsed:
//
//   Runner configure_validate(CLI::App& app) {
//     auto file = std::make_shared<std::string>();
//     app.add_option("FILE", *file);
//     return [&app, file]() -> CliResult<void> {
//       if (auto ok = expect_positionals(app, 1, "FILE"); !ok) return ok;
//       ...
//     };
//   }
//
// main reports an unknown option or an extra argument before running the command. A
// subcommand never prints an error itself: it returns a Failure, and main prints it as one
// line, "streamlib: <message>", on stderr (plus the usage line when the arguments were wrong),
// then exits with the Failure's code.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "streamlib/graph/graph.h"
#include "streamlib/result.h"

#if STREAMLIB_CLI_LV2
#include "lv2_host/world.h"
#endif

namespace streamlib::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // something failed while doing the work (a write after opening)
inline constexpr int kExitBadInput = 2;  // wrong arguments, bad or missing input, unwritable output path

// Why a subcommand failed: one line of text (without the "streamlib: " prefix) and the exit
// code it maps to.
struct Failure {
  int exit_code = kExitFailure;
  std::string message;
  bool show_usage = false;  // wrong arguments: main adds the command's usage line
};

template <class T>
using CliResult = tl::expected<T, Failure>;

// Wrong arguments: exit 2, with the usage line.
tl::unexpected<Failure> usage_error(std::string message);
// Bad input other than the arguments (unknown name, ...): exit 2.
tl::unexpected<Failure> input_error(std::string message);
// A library Error, its message as it is: exit 2 when is_input_error(), else 1.
tl::unexpected<Failure> library_error(const Error& error);

// A usage error unless at least `min` of `app`'s positionals were given (CLI11 leaves the
// count to the command, and main reports any beyond the last); `names` ("FILE", "OLD NEW")
// says what was expected: "expected FILE, got 0 arguments".
CliResult<void> expect_positionals(const CLI::App& app, std::size_t min, std::string_view names);

// How a path is named in messages: "<stdin>" / "<stdout>" for "-".
std::string display_name(std::string_view path, bool output = false);

// Reads and parses a graph file (Graph::from_file); "-" reads stdin. Its errors read
// "FILE: links[0].to: ..."; a missing or unreadable file (or a directory) is bad input: exit 2,
// "FILE: cannot read: No such file or directory".
CliResult<Graph> load_graph(const std::string& path);
// Writes `text` to `path`, or to stdout when `path` is "-". A path that cannot be opened for
// writing is bad input (exit 2, naming the path); a write that fails after that is exit 1.
CliResult<void> write_output(const std::string& path, std::string_view text);

// Runs a subcommand whose arguments are parsed.
using Runner = std::function<CliResult<void>()>;

// One subcommand.
struct Command {
  std::string_view name;
  std::string_view synopsis;  // arguments after the name: "FILE [-o OUT]"
  std::string_view summary;   // one line for `streamlib --help`
  std::string_view details;   // the body of `streamlib NAME --help`
  // Adds the subcommand's positionals and options to `app` and returns what runs it once `app`
  // has parsed the command line.
  Runner (*configure)(CLI::App& app);
};

// Left-aligned columns separated by two spaces; `indent` before each row. The last column is
// not padded, so long descriptions do not leave trailing blanks.
std::string format_table(const std::vector<std::vector<std::string>>& rows, std::string_view indent = "");

extern const Command kValidateCommand;
extern const Command kDotCommand;
extern const Command kProcessorsCommand;
extern const Command kPlanCommand;
extern const Command kRunCommand;

#if STREAMLIB_CLI_LV2
// With the lv2 component (plugins.cc): the installed LV2 plugins, and one plugin's controls as
// `streamlib plugins URI` and `streamlib processors Lv2Effect --plugin URI` show them.
extern const Command kPluginsCommand;
std::string format_plugin_controls(const lv2::PluginInfo& info);
nlohmann::json plugin_controls_json(const lv2::PluginInfo& info);
#endif

}  // namespace streamlib::cli
