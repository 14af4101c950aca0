// Shared pieces of the streamlib CLI: failures, argument scanning and file I/O (see cli.h).
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

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view flag) {
  for (const OptionSpec& spec : specs) {
    if (flag.starts_with("--") && flag.substr(2) == spec.name) return &spec;
    if (!spec.alias.empty() && flag.size() > 1 && flag[0] == '-' && flag[1] != '-' && flag.substr(1) == spec.alias) {
      return &spec;
    }
  }
  return nullptr;
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

bool Arguments::has(std::string_view name) const {
  for (const auto& [key, value] : options) {
    if (key == name) return true;
  }
  return false;
}

std::optional<std::string> Arguments::value(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [key, value] : options) {
    if (key == name) out = value;
  }
  return out;
}

CliResult<Arguments> parse_arguments(std::span<const std::string> args, std::span<const OptionSpec> specs) {
  Arguments out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    const std::size_t eq = arg.starts_with("--") ? arg.find('=') : std::string::npos;
    const std::string flag = arg.substr(0, eq);
    const OptionSpec* spec = find_spec(specs, flag);
    if (spec == nullptr) return usage_error(fmt::format("unknown option '{}'", flag));
    if (!spec->takes_value) {
      if (eq != std::string::npos) return usage_error(fmt::format("option '{}' takes no value", flag));
      out.options.emplace_back(spec->name, "");
      continue;
    }
    if (eq != std::string::npos) {
      out.options.emplace_back(spec->name, arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      out.options.emplace_back(spec->name, args[++i]);
    } else {
      return usage_error(fmt::format("option '{}' needs a value", flag));
    }
    if (out.options.back().second.empty()) return usage_error(fmt::format("option '{}' needs a value", flag));
  }
  return out;
}

CliResult<void> expect_positionals(const Arguments& args, std::size_t min, std::size_t max, std::string_view names) {
  if (args.positional.size() < min) {
    return usage_error(fmt::format("expected {}, got {} argument{}", names, args.positional.size(),
                                   args.positional.size() == 1 ? "" : "s"));
  }
  if (args.positional.size() > max) return usage_error(fmt::format("unexpected argument '{}'", args.positional[max]));
  return {};
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
