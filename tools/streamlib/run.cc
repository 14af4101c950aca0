// `streamlib run FILE [--duration S] [--media-duration S] [--watch] [--stats-json OUT] [--quiet]
// [--log-level LEVEL] [--executor threads|pool] [--workers N]`: runs a graph file until its sinks finish, a signal, the
// wall-clock duration or the media duration; shows what flows; with --watch follows edits of FILE live, each one
// applied as one delta. What FFmpeg, SDL and ALSA say goes through StreamLib's log (streamlib/log.h) at --log-level,
// each line naming its processor.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "cli.h"
#include "streamlib/executor/graph_delta.h"
#include "streamlib/log.h"
#include "streamlib/runtime/interval_stats.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib::cli {

namespace {

// What identifies one saved version of a file: editors that write a new file and rename it
// change the inode; those that write in place change the modification time or size.
struct FileVersion {
  dev_t device = 0;
  ino_t inode = 0;
  std::int64_t mtime_ns = 0;
  off_t size = 0;
  bool exists = false;
  friend bool operator==(const FileVersion&, const FileVersion&) = default;
};

FileVersion file_version(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return FileVersion{st.st_dev, st.st_ino, std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                     st.st_size, true};
}

std::string format_rate(double per_second) {
  if (per_second >= 10000) return fmt::format("{:.1f}k", per_second / 1000);
  if (per_second >= 100) return fmt::format("{:.0f}", per_second);
  return fmt::format("{:.1f}", per_second);
}

std::string format_latency(std::int64_t ns, std::uint64_t samples) {
  if (samples == 0) return "-";
  if (ns >= 1'000'000) return fmt::format("{:.1f}ms", static_cast<double>(ns) / 1e6);
  if (ns >= 1'000) return fmt::format("{:.0f}us", static_cast<double>(ns) / 1e3);
  return fmt::format("{}ns", ns);
}

std::string progress_bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * width + 0.5);
  return fmt::format("[{}{}] {:3.0f}%", std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(width - filled), '.'), fraction * 100);
}

// The media time a processor's metrics say it has written ("time_s": a FileWriter's), if any.
std::optional<double> media_time(const nlohmann::json& metrics) {
  if (!metrics.is_object()) return std::nullopt;
  auto it = metrics.find("time_s");
  if (it == metrics.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// What ffmpeg shows of a file it writes, from a writer's metrics: "time=00:00:01.53
// bitrate=1234.5kbits/s speed=12.3x" (time: media time written; bitrate: of what was written;
// speed: media time over wall time). "" for a processor without "time_s".
std::string format_media_progress(const nlohmann::json& metrics) {
  const std::optional<double> time = media_time(metrics);
  if (!time) return "";
  const auto centis = static_cast<std::int64_t>(*time * 100 + 0.5);
  std::string out =
      fmt::format("time={:02}:{:02}:{:02}.{:02}", centis / 360000, centis / 6000 % 60, centis / 100 % 60, centis % 100);
  auto bytes = metrics.find("bytes");
  if (bytes != metrics.end() && bytes->is_number() && *time > 0) {
    out += fmt::format(" bitrate={:.1f}kbits/s", bytes->get<double>() * 8 / *time / 1000);
  } else {
    out += " bitrate=N/A";
  }
  auto speed = metrics.find("speed");
  if (speed != metrics.end() && speed->is_number()) {
    out += fmt::format(" speed={:.3g}x", speed->get<double>());
  } else {
    out += " speed=N/A";
  }
  return out;
}

// How far the run is, and what says so: the share of --duration gone, the least media time
// written by a sink against --media-duration, or the least advanced source that knows its length
// (a processor whose metrics carry "progress": a file source, a test source with
// `frames`/`duration`, a SequenceSource with `count`) — whichever ends the run first. Nothing
// when none is known.
std::optional<std::pair<double, std::string>> run_progress(const IntervalStats& s, double elapsed,
                                                           std::optional<double> duration,
                                                           std::optional<double> media_duration) {
  std::optional<std::pair<double, std::string>> input;
  std::optional<std::pair<double, std::string>> media;
  for (const ProcessorInterval& p : s.processors) {
    if (!p.metrics.is_object()) continue;
    if (auto time = media_time(p.metrics); time && media_duration) {
      const double f = *time / *media_duration;
      if (!media || f < media->first) media = std::pair{f, std::string("media duration")};
    }
    auto it = p.metrics.find("progress");
    if (it == p.metrics.end() || !it->is_number()) continue;
    const double f = it->get<double>();
    if (!input || f < input->first) input = std::pair{f, "input " + p.id.str()};
  }
  std::optional<std::pair<double, std::string>> best;
  for (auto& candidate :
       {input, media,
        duration ? std::optional(std::pair{elapsed / *duration, std::string("duration")}) : std::nullopt}) {
    if (candidate && (!best || candidate->first > best->first)) best = candidate;
  }
  return best;
}

// One live-view frame: a header, a processor table and a link table (pw-top's spirit).
std::string live_view(const IntervalStats& s, double elapsed, std::optional<double> duration,
                      std::optional<double> media_duration) {
  std::string out = fmt::format("streamlib run  {:.1f}s  {}", elapsed, enum_name(s.state));
  if (auto progress = run_progress(s, elapsed, duration, media_duration)) {
    out += "  " + progress_bar(progress->first, 30) + " " + progress->second;
  }
  out += "\n";
  out += fmt::format("  {:<20} {:<16} {:<9} {:>9} {:>6}  {}\n", "PROCESSOR", "TYPE", "STATE", "CALLS/S", "BUSY",
                     "METRICS");
  for (const ProcessorInterval& p : s.processors) {
    std::string metrics = p.metrics.empty() ? "" : p.metrics.dump();
    if (metrics.size() > 60) metrics = metrics.substr(0, 57) + "...";
    // A writer: what ffmpeg would show first, then its other figures.
    if (std::string media = format_media_progress(p.metrics); !media.empty()) {
      nlohmann::json rest = p.metrics;
      for (const char* key : {"time_s", "bytes", "speed"}) rest.erase(key);
      metrics = rest.empty() ? media : media + " " + rest.dump();
    }
    if (p.input_stalls > 0) metrics = fmt::format("stalls={} {}", p.input_stalls, metrics);
    if (!p.last_error.empty()) metrics = "error: " + p.last_error;
    out += fmt::format("  {:<20} {:<16} {:<9} {:>9} {:>5.1f}%  {}\n", p.id.str(), p.type, enum_name(p.state),
                       format_rate(p.calls_per_second), p.busy * 100, metrics);
  }
  out += fmt::format("  {:<40} {:>9} {:>9} {:>7} {:>8}\n", "LINK", "MSG/S", "FILL", "DROPS", "P99");
  for (const LinkInterval& l : s.links) {
    out += fmt::format("  {:<40} {:>9} {:>9} {:>7} {:>8}\n", fmt::format("{} -> {}", l.from, l.to),
                       format_rate(l.messages_per_second), fmt::format("{}/{}", l.depth, l.capacity), l.dropped,
                       format_latency(l.latency_p99_ns, l.latency_samples));
  }
  return out;
}

void print(std::FILE* stream, const std::string& text) {
  std::fputs(text.c_str(), stream);
  std::fflush(stream);
}

struct RunOptions {
  std::string file;
  std::optional<double> duration;        // wall-clock seconds
  std::optional<double> media_duration;  // seconds of media the sinks write
  bool watch = false;
  bool quiet = false;
  std::optional<log::Level> log_level;
  std::optional<std::string> stats_json;
  std::optional<ExecutorKind> executor;  // --executor; else the graph file's, else threads
  unsigned workers = 0;                  // --workers; 0: the graph file's, else one per core
};

// The sinks that take a media duration: those whose config has a number `duration_s` (a
// FileWriter's: write that much media time, then end the file).
std::vector<ProcessorId> media_limited_sinks(const Graph& graph) {
  std::vector<ProcessorId> out;
  for (const ProcessorId& id : graph.find_sinks()) {
    const ProcessorNode* node = graph.find_processor(id);
    if (node == nullptr || !node->config.is_object()) continue;
    auto it = node->config.find("duration_s");
    if (it != node->config.end() && it->is_number()) out.push_back(id);
  }
  return out;
}

// --media-duration S: every sink that takes a media duration writes at most S seconds (its own
// `duration_s`, if shorter, stays). Done to each version of the file, so that --watch sees no
// change the user did not make.
CliResult<Graph> load_run_graph(const RunOptions& options) {
  CliResult<Graph> graph = load_graph(options.file);
  if (!graph || !options.media_duration) return graph;
  const std::vector<ProcessorId> sinks = media_limited_sinks(*graph);
  if (sinks.empty()) {
    return input_error(
        fmt::format("{}: --media-duration: no sink takes a media duration (a FileWriter's or "
                    "Mp4Writer's `duration_s`); use --duration for wall-clock time",
                    display_name(options.file)));
  }
  for (const ProcessorId& id : sinks) {
    nlohmann::json config = graph->find_processor(id)->config;
    const double own = config["duration_s"].get<double>();
    if (own > 0 && own <= *options.media_duration) continue;
    config["duration_s"] = *options.media_duration;
    if (auto ok = graph->set_processor_config(id, std::move(config)); !ok) {
      return library_error(ok.error().with_context(display_name(options.file)));
    }
  }
  return graph;
}

// True once every sink limited by --media-duration has ended its stream (or failed): each one
// ends by itself at its `duration_s`, so this waits for its file to be complete, however far
// another of its inputs lags (an encoder's look-ahead). Other sinks (a display) do not hold the
// run.
bool media_duration_reached(const RuntimeStats& stats, const Graph& graph) {
  const std::vector<ProcessorId> sinks = media_limited_sinks(graph);
  if (sinks.empty()) return false;
  return std::all_of(sinks.begin(), sinks.end(), [&](const ProcessorId& id) {
    auto p = std::find_if(stats.processors.begin(), stats.processors.end(),
                          [&](const ProcessorStats& s) { return s.id == id; });
    return p != stats.processors.end() && (p->state == ProcessorState::kFinished || p->state == ProcessorState::kError);
  });
}

// CLI11's check on --duration's text, before it converts it: an error here reads
// "--duration: 'soon' is not a positive number of seconds".
std::string check_duration(const std::string& text) {
  double seconds = 0;
  std::size_t used = 0;
  try {
    seconds = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || !(seconds > 0) || seconds > 1e7) {
    return fmt::format("'{}' is not a positive number of seconds", text);
  }
  return "";
}

// CLI11's check on --log-level's text: "--log-level: 'loud' is not one of error, warning, info,
// debug".
std::string check_log_level(const std::string& text) {
  const std::optional<log::Level> level = log::parse_level(text);
  if (!level || *level == log::Level::kOff) {
    return fmt::format("'{}' is not one of error, warning, info, debug", text);
  }
  return "";
}

// One --watch step: the file changed; load, validate and apply it as one delta, or reject it
// whole and keep running what runs.
void apply_edit(StreamRuntime& rt, const RunOptions& options) {
  CliResult<Graph> next = load_run_graph(options);
  if (!next) {
    print(stderr, fmt::format("streamlib: {}\nstreamlib: edit rejected; still running the previous graph\n",
                              next.error().message));
    return;
  }
  const Graph current = rt.graph();
  const GraphDelta delta = compute_delta(*next, current);
  if (delta.empty()) {
    if (!options.quiet) print(stdout, fmt::format("{}: saved, no changes\n", display_name(options.file)));
    return;
  }
  if (!options.quiet) {
    print(stdout, fmt::format("{}: applying\n{}", display_name(options.file), format_plan(delta, *next, current)));
  }
  if (auto applied = rt.apply(*next); !applied) {
    // The runtime keeps what applied (a processor whose setup failed is left out, the rest of
    // the edit goes in): put the previous graph back, so that the edit is rejected whole.
    auto restored = rt.apply(current);
    print(stderr, fmt::format("streamlib: {}: {}\nstreamlib: edit rejected; {}\n", display_name(options.file),
                              applied.error().message(),
                              restored ? std::string("still running the previous graph")
                                       : "could not restore the previous graph: " + restored.error().message()));
    return;
  }
  if (!options.quiet) {
    print(stdout, fmt::format("{}: applied, checksum 0x{:016x}\n", display_name(options.file), rt.graph().checksum()));
  }
}

CliResult<void> run_run(const CLI::App& app, const RunOptions& options) {
  if (auto ok = expect_positionals(app, 1, "FILE"); !ok) return ok;
  if (options.watch && options.file == "-") return usage_error("--watch needs a file, not standard input");

  // Before anything is loaded or set up: what the media libraries say from the start.
  log::set_level(options.log_level.value_or(options.quiet ? log::Level::kOff : log::Level::kWarning));
  CliResult<Graph> graph = load_run_graph(options);
  if (!graph) return tl::unexpected(graph.error());

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stats_out(nullptr, std::fclose);
  if (options.stats_json) {
    stats_out.reset(std::fopen(options.stats_json->c_str(), "w"));
    if (!stats_out) {
      return input_error(fmt::format("{}: cannot open for writing: {}", *options.stats_json, std::strerror(errno)));
    }
  }

  // A graph that cannot start whole does not start: if any setup fails (an absent screen or
  // device), nothing is released, so no writer receives a frame and existing files stay as
  // they were.
  StreamRuntime rt(
      RuntimeOptions{.all_or_nothing_start = true, .executor = options.executor, .workers = options.workers});
  if (auto ok = rt.apply(*graph); !ok) {
    return library_error(ok.error().with_context(display_name(options.file)));
  }
  rt.subscribe([](const Event& e) {
    // A processor's warning (a stream re-based, a format converted) goes to the log as one line
    // naming the processor and the link it is about.
    if (e.kind == EventKind::kWarning) {
      log::write(log::Level::kWarning, e.processor.str(),
                 e.link.empty() ? e.message : fmt::format("{}: {}", e.link, e.message));
    }
  });
  if (auto ok = rt.start(); !ok) {
    (void)rt.stop();
    // What start() reports is a processor that could not be set up — a missing or unreadable
    // file, an absent device or screen, an unwritable output — or one whose setup hung: a
    // processor's config or resource, so bad input (exit 2) whatever the runtime's code. Nothing
    // ran (all_or_nothing_start).
    return input_error(ok.error().with_context(display_name(options.file)).message());
  }

  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  FileVersion version = options.watch ? file_version(options.file) : FileVersion{};
  RuntimeStats previous = rt.stats();
  double next_report = 1.0;
  std::string reason;
  auto report = [&](bool final) {
    RuntimeStats now = rt.stats();
    IntervalStats interval = interval_stats(previous, now);
    previous = std::move(now);
    if (stats_out) {
      nlohmann::json j = interval.to_json();
      j["elapsed_s"] = elapsed();
      if (final) j["final"] = true;
      std::fputs((j.dump() + "\n").c_str(), stats_out.get());
      std::fflush(stats_out.get());
    }
    if (options.quiet) return;
    std::string view = live_view(interval, elapsed(), options.duration, options.media_duration);
    print(stdout, terminal && !final ? "\x1b[H\x1b[2J" + view : view + "\n");
  };

  // Until every sink has finished (a failed processor ends what it fed, so a failure that leaves
  // nothing streaming ends the run too), SIGINT/SIGTERM or --duration; the rest is looked at
  // every 50 ms.
  auto keep_going = [&] {
    if (options.media_duration && media_duration_reached(rt.stats(), rt.graph())) {
      reason = fmt::format("media duration {}s reached", *options.media_duration);
      return false;
    }
    if (options.watch) {
      const FileVersion now = file_version(options.file);
      if (now.exists && now != version) {
        version = now;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the writer finish
        version = file_version(options.file);
        apply_edit(rt, options);
      }
    }
    if (elapsed() >= next_report) {
      report(false);
      next_report += 1.0;
    }
    return true;
  };
  RunUntil until{.keep_going = keep_going, .poll_interval = std::chrono::milliseconds(50)};
  if (options.duration) {
    until.deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(*options.duration));
  }
  // run_until catches SIGINT/SIGTERM while it runs and puts back what it found: ignoring them.
  // So a second signal (a terminal's Ctrl-C pressed again, or `timeout` signalling both the
  // process and its group) never cuts the final stop, which finalizes every file.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  RunEnd end = RunEnd::kStopped;
  (void)rt.run_until(until, &end);  // a failure is reported below, with every other one
  switch (end) {
    case RunEnd::kEndOfStream:
      reason = "end of stream";
      break;
    case RunEnd::kInterrupted:
      reason = "interrupted (SIGINT)";
      break;
    case RunEnd::kTerminated:
      reason = "terminated (SIGTERM)";
      break;
    case RunEnd::kDeadline:
      reason = fmt::format("duration {}s reached", *options.duration);
      break;
    case RunEnd::kCaller:  // `reason` says which
      break;
    case RunEnd::kStopped:
      reason = "stopped";
      break;
  }

  // The last interval, taken before stop() (a stopped runtime has no processors to show).
  report(true);
  RuntimeStats final_stats = rt.stats();
  auto stopped = rt.stop();
  std::string failures;
  for (const ProcessorStats& p : final_stats.processors) {
    if (p.state != ProcessorState::kError) continue;
    failures +=
        fmt::format("{}processor '{}' ({}) failed: {}", failures.empty() ? "" : "; ", p.id.str(), p.type, p.last_error);
  }
  if (!options.quiet) print(stdout, fmt::format("streamlib run: stopped: {}\n", reason));
  if (!failures.empty()) return tl::unexpected(Failure{kExitFailure, failures, false});
  if (!stopped) return tl::unexpected(Failure{kExitFailure, stopped.error().message(), false});
  return {};
}

Runner configure_run(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  app.add_option("FILE", options->file);
  app.add_option_function<double>("-d,--duration", [options](double seconds) { options->duration = seconds; })
      ->check(CLI::Validator(check_duration, "S"));
  app.add_option_function<double>("--media-duration", [options](double seconds) { options->media_duration = seconds; })
      ->check(CLI::Validator(check_duration, "S"));
  app.add_option_function<std::string>(
         "--log-level", [options](const std::string& name) { options->log_level = log::parse_level(name); })
      ->check(CLI::Validator(check_log_level, "LEVEL"));
  app.add_flag("-w,--watch", options->watch);
  app.add_option_function<std::string>("--stats-json",
                                       [options](const std::string& out) { options->stats_json = out; });
  app.add_flag("-q,--quiet", options->quiet);
  app.add_option_function<std::string>(
         "--executor", [options](const std::string& name) { options->executor = enum_from_name<ExecutorKind>(name); })
      ->check(CLI::Validator(
          [](const std::string& name) {
            return enum_from_name<ExecutorKind>(name)
                       ? std::string()
                       : fmt::format("'{}' is not an executor ({})", name, enum_choices<ExecutorKind>());
          },
          "EXECUTOR"));
  app.add_option("--workers", options->workers)->check(CLI::Range(1U, 4096U));
  return [&app, options] { return run_run(app, *options); };
}

}  // namespace

const Command kRunCommand{
    "run",
    "FILE [--duration S] [--media-duration S] [--watch] [--stats-json OUT] [--quiet] [--log-level LEVEL] "
    "[--executor threads|pool] [--workers N]",
    "run a graph file until its sources end, Ctrl-C, or the duration",
    "Loads and validates FILE, starts the pipeline and runs it until every sink has finished\n"
    "(end of stream), SIGINT/SIGTERM, --duration seconds of wall-clock time, or --media-duration\n"
    "seconds of media; then stops it gracefully, so every writer finalizes its file (a second\n"
    "SIGINT/SIGTERM during that stop ends the program at once). A processor that fails ends\n"
    "what it fed (their streams are over, writers finalize), so a failure that leaves nothing\n"
    "streaming ends the run by itself, with exit code 1.\n"
    "\n"
    "About once a second it shows each processor's state, calls per second, busy share (of one\n"
    "core) and metrics, and each link's messages per second, fill (depth/capacity), drops and\n"
    "p99 latency over that second. On a terminal the view redraws in place; otherwise it prints\n"
    "plain lines. A progress bar shows how far the run is when that is known: the share of\n"
    "--duration gone, or how far the least advanced source that knows its length has come (a\n"
    "file, a test source with `frames` or `duration`), whichever ends the run first. A writer's\n"
    "row starts as ffmpeg's status line does: time= (media time written), bitrate= (of what was\n"
    "written, kbit/s) and speed= (media time over wall-clock time).\n"
    "\n"
    "What FFmpeg, SDL and ALSA print goes through StreamLib's log, on stderr, one line each as\n"
    "'[processor] origin: text' (the processor whose thread said it, e.g. '[input] ffmpeg h264:\n"
    "...'); --log-level chooses how much, --quiet silences it.\n"
    "\n"
    "  -d, --duration S      stop after S seconds of wall-clock time\n"
    "  --media-duration S    stop once the sinks have written S seconds of media: each writer\n"
    "                        (FileWriter, Mp4Writer: `duration_s`) cuts its file at S of media\n"
    "                        time, exactly for raw input, and ends it; however fast or slow the\n"
    "                        pipeline runs. FILE must have such a sink\n"
    "  -w, --watch           follow FILE: each save is validated and applied live as one delta\n"
    "                        (the plan is printed); an invalid edit is rejected whole and the\n"
    "                        pipeline runs on untouched\n"
    "  --stats-json OUT      write one JSON object per interval to OUT (one per line)\n"
    "  -q, --quiet           no live view and no chatter: only errors (on stderr); the library\n"
    "                        log is off unless --log-level is given\n"
    "  --log-level LEVEL     error, warning (the default), info or debug: what FFmpeg, SDL, ALSA\n"
    "                        and StreamLib log\n"
    "  --executor E          threads (a thread per processor) or pool (a worker per core runs\n"
    "                        every processor that needs no thread of its own); overrides the\n"
    "                        graph file's \"executor\" (default: threads)\n"
    "  --workers N           the pool's workers (default: the graph file's, else one per core)\n"
    "\n"
    "Exit codes: 0 the run ended normally; 1 a processor failed while running (the message\n"
    "names it and why); 2 bad input (arguments, the graph file, a processor's config or a\n"
    "resource it could not set up at the start: a missing file, an absent device or screen).\n"
    "A graph whose start fails runs nothing: no frame reaches a writer, and an existing output\n"
    "file is replaced only once the new recording has its first frame.\n",
    configure_run,
};

}  // namespace streamlib::cli
