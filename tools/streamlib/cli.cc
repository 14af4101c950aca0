// Shared pieces of the streamlib CLI: failures, positionals and file I/O (see cli.h).
#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <system_error>

#include <fmt/format.h>

namespace streamlib::cli {

namespace {

// C stdio rather than iostreams: fopen/fread/fwrite set errno reliably, so a failure can say
// why ("Permission denied", "Is a directory", "No space left on device").
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string errno_text(int error) { return std::generic_category().message(error); }

// Reads stdin to its end and parses it as a graph; errors read "<stdin>: ..." (files are
// Graph::from_file's).
Result<Graph> graph_from_stdin() {
  std::string text;
  char buffer[1 << 16];
  errno = 0;
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0;) text.append(buffer, n);
  if (std::ferror(stdin)) {
    return make_error(ErrorCode::kInvalidArgument, "{}: cannot read: {}", display_name("-"),
                      errno_text(errno != 0 ? errno : EIO));
  }
  Result<Graph> graph = Graph::from_json(text);
  if (!graph) return make_error(graph.error().with_context(display_name("-")));
  return graph;
}

}  // namespace

tl::unexpected<Failure> usage_error(std::string message) {
  return tl::unexpected<Failure>(Failure{kExitBadInput, std::move(message), true});
}

tl::unexpected<Failure> input_error(std::string message) {
  return tl::unexpected<Failure>(Failure{kExitBadInput, std::move(message), false});
}

tl::unexpected<Failure> library_error(const Error& error) {
  return tl::unexpected<Failure>(Failure{is_input_error(error) ? kExitBadInput : kExitFailure, error.message(), false});
}

CliResult<void> expect_positionals(const CLI::App& app, std::size_t min, std::string_view names) {
  std::size_t given = 0;
  for (const CLI::Option* option : app.get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    given += option->count();
  }
  if (given >= min) return {};
  return usage_error(fmt::format("expected {}, got {} argument{}", names, given, given == 1 ? "" : "s"));
}

std::string display_name(std::string_view path, bool output) {
  if (path == "-") return output ? "<stdout>" : "<stdin>";
  return std::string(path);
}

CliResult<Graph> load_graph(const std::string& path) {
  // from_json returns errors as values; an exception out of it is a library bug. Name the file
  // here so the report says which input triggered it (main would only say "internal error").
  try {
    Result<Graph> graph = path == "-" ? graph_from_stdin() : Graph::from_file(path);
    if (!graph) return library_error(graph.error());
    return std::move(*graph);
  } catch (const std::exception& e) {
    return tl::unexpected<Failure>(Failure{
        kExitFailure, fmt::format("{}: internal error while parsing: {}", display_name(path), e.what()), false});
  }
}

CliResult<void> write_output(const std::string& path, std::string_view text) {
  const std::string name = display_name(path, true);
  std::FILE* f = stdout;
  FilePtr owned;
  if (path != "-") {
    errno = 0;
    owned.reset(std::fopen(path.c_str(), "wb"));
    if (!owned) return input_error(fmt::format("{}: cannot write: {}", name, errno_text(errno)));
    f = owned.get();
  }
  errno = 0;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fflush(f) == 0 && ok;
  if (owned) ok = std::fclose(owned.release()) == 0 && ok;
  if (!ok) {
    return tl::unexpected<Failure>(
        Failure{kExitFailure, fmt::format("{}: write failed: {}", name, errno_text(errno != 0 ? errno : EIO)), false});
  }
  return {};
}

std::string format_table(const std::vector<std::vector<std::string>>& rows, std::string_view indent) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    out += indent;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c + 1 == row.size()) {
        out += row[c];
      } else {
        out += fmt::format("{:<{}}  ", row[c], widths[c]);
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();  // an empty last column
    out += "\n";
  }
  return out;
}

}  // namespace streamlib::cli
