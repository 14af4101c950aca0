// live_changes: change a running pipeline, step by step, without restarting it.
//
//   live_changes [GRAPH.json]          (default: examples/graphs/demo.json)
//
// Loads a graph file and starts it. Then, while it runs: adds a Counter, connects it to the
// graph's SequenceSource, changes the source's config, resizes the new link, pauses and
// resumes, disconnects the link and removes the Counter. After each step it prints the
// per-link stats (pushed, delivered, dropped, depth, p99 latency) and each processor's state:
// the processors a step does not name keep their threads, and the links it does not name keep
// every message (a Counter from the file keeps "gaps": 0).
//
// Exit codes as the CLI's: 0 ok, 2 bad graph file, 1 a step failed (the message names it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#ifndef STREAMLIB_EXAMPLES_DIR
#error "STREAMLIB_EXAMPLES_DIR is set by examples/CMakeLists.txt"
#endif

namespace {

using namespace std::chrono_literals;
using streamlib::Counter;
using streamlib::ErrorCode;
using streamlib::LinkPolicy;
using streamlib::make_error;
using streamlib::ProcessorHandle;
using streamlib::ProcessorId;
using streamlib::Result;
using streamlib::SequenceSource;

// How long the pipeline runs between two steps: long enough for the rates to show.
constexpr auto kSettle = 400ms;

std::string latency_text(const streamlib::LinkStats& l) {
  if (l.latency_samples == 0) return "-";
  return fmt::format("{:.1f} us", static_cast<double>(l.latency_p99_ns) / 1000.0);
}

class LiveChangesDemo {
 public:
  explicit LiveChangesDemo(std::string graph_path) : graph_path_(std::move(graph_path)) {}

  // The step that failed, for the error message.
  const std::string& current_step() const { return step_; }

  Result<void> run() {
    begin("load " + graph_path_ + " and start it");
    STREAMLIB_ASSIGN_OR_RETURN(const streamlib::Graph graph, streamlib::Graph::from_file(graph_path_));
    STREAMLIB_ASSIGN_OR_RETURN(const ProcessorHandle<SequenceSource> src, find_source(graph));
    // Errors from processor threads arrive as events; collect them to fail the demo at the end.
    rt_.subscribe([this](const streamlib::Event& e) {
      if (e.kind != streamlib::EventKind::kError) return;
      std::lock_guard lock(errors_mutex_);
      errors_.push_back(to_string(e));
    });
    STREAMLIB_RETURN_IF_ERROR(rt_.apply(graph));
    STREAMLIB_RETURN_IF_ERROR(rt_.start());
    settle_and_print();

    begin("add a Counter 'late_counter' while running");
    STREAMLIB_ASSIGN_OR_RETURN(const auto late, rt_.add_processor<Counter>({.expect_sequence = true}, "late_counter"));
    settle_and_print();

    begin(fmt::format("connect {}.out -> late_counter.in (capacity 32, block)", src.id()));
    STREAMLIB_ASSIGN_OR_RETURN(const auto link, rt_.connect(src.output(&SequenceSource::out), late.input(&Counter::in),
                                                            {.capacity = 32, .policy = LinkPolicy::kBlock}));
    settle_and_print();

    const std::uint32_t interval = rt_.graph().find_processor(src.id())->config.value("interval_us", 1000u);
    const std::uint32_t faster = std::max(interval / 2, 1u);
    begin(fmt::format("change {} config: interval_us {} -> {} (hot reload)", src.id(), interval, faster));
    STREAMLIB_RETURN_IF_ERROR(rt_.patch_processor_config(src.id(), {{"interval_us", faster}}));
    settle_and_print();

    begin(fmt::format("resize link {}: capacity 32 -> 4, drop_oldest", link.id()));
    STREAMLIB_RETURN_IF_ERROR(rt_.update_link_config(link, {.capacity = 4, .policy = LinkPolicy::kDropOldest}));
    settle_and_print();

    begin("pause: no process() calls, sources stop producing");
    STREAMLIB_RETURN_IF_ERROR(rt_.pause());
    STREAMLIB_RETURN_IF_ERROR(check_paused());
    print_tables();

    begin("resume");
    STREAMLIB_RETURN_IF_ERROR(rt_.resume());
    settle_and_print();

    begin(fmt::format("disconnect link {}", link.id()));
    STREAMLIB_RETURN_IF_ERROR(rt_.disconnect(link));
    settle_and_print();

    begin("remove processor late_counter");
    STREAMLIB_RETURN_IF_ERROR(rt_.remove_processor(late));
    settle_and_print();

    begin("stop");
    STREAMLIB_RETURN_IF_ERROR(check_healthy(rt_.stats()));
    STREAMLIB_RETURN_IF_ERROR(rt_.stop());
    std::lock_guard lock(errors_mutex_);
    if (!errors_.empty()) {
      return make_error(ErrorCode::kProcessorFailed, "{} error event(s), first: {}", errors_.size(), errors_.front());
    }
    return {};
  }

 private:
  void begin(std::string title) {
    step_ = std::move(title);
    fmt::print("\n== step {}: {}\n", ++step_number_, step_);
    std::fflush(stdout);
  }

  // The demo changes the graph's first SequenceSource (in topological order).
  static Result<ProcessorHandle<SequenceSource>> find_source(const streamlib::Graph& graph) {
    STREAMLIB_ASSIGN_OR_RETURN(std::vector<ProcessorId> order, graph.topological_order());
    for (const ProcessorId& id : order) {
      if (graph.find_processor(id)->type == SequenceSource::kTypeName) return ProcessorHandle<SequenceSource>(id);
    }
    return make_error(ErrorCode::kInvalidArgument, "the graph has no SequenceSource for the demo to change");
  }

  void settle_and_print() {
    std::this_thread::sleep_for(kSettle);
    print_tables();
  }

  // While paused, nothing is pushed on any link: two snapshots kSettle apart must agree.
  Result<void> check_paused() {
    const streamlib::RuntimeStats before = rt_.stats();
    std::this_thread::sleep_for(kSettle);
    const streamlib::RuntimeStats after = rt_.stats();
    for (const streamlib::LinkStats& l : after.links) {
      const streamlib::LinkStats* b = before.find_link(l.id);
      if (b != nullptr && b->pushed != l.pushed) {
        return make_error(ErrorCode::kFailedPrecondition, "link {} pushed {} messages while paused", l.id,
                          l.pushed - b->pushed);
      }
    }
    fmt::print("   nothing pushed on any link for {} ms while paused\n", kSettle.count());
    return {};
  }

  static Result<void> check_healthy(const streamlib::RuntimeStats& stats) {
    for (const streamlib::ProcessorStats& p : stats.processors) {
      if (p.state == streamlib::ProcessorState::kError) {
        return make_error(ErrorCode::kProcessorFailed, "processor {} is in error: {}", p.id, p.last_error);
      }
    }
    return {};
  }

  void print_tables() {
    const streamlib::RuntimeStats stats = rt_.stats();
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_print_).count();
    last_print_ = now;

    fmt::print("   runtime {}\n", enum_name(stats.state));
    fmt::print("   {:<28} {:<22} {:>8} {:>9} {:>7} {:>5} {:>7} {:>11}\n", "LINK", "CONFIG", "PUSHED", "DELIVERED",
               "DROPPED", "DEPTH", "RATE/S", "P99");
    std::map<std::string, std::uint64_t> delivered;
    for (const streamlib::LinkStats& l : stats.links) {
      const std::string config = fmt::format("{} {}{}", *l.config.capacity, enum_name(*l.config.policy),
                                             l.config.read_mode == streamlib::ReadMode::kLatest ? " latest" : "");
      // Messages delivered per second since the last table; "-" for a link that is new since.
      const auto previous = last_delivered_.find(l.id.str());
      const std::string rate =
          previous == last_delivered_.end() || seconds <= 0
              ? "-"
              : fmt::format("{:.0f}", static_cast<double>(l.delivered - previous->second) / seconds);
      fmt::print("   {:<28} {:<22} {:>8} {:>9} {:>7} {:>5} {:>7} {:>11}\n", l.id, config, l.pushed, l.delivered,
                 l.dropped, l.depth, rate, latency_text(l));
      delivered[l.id.str()] = l.delivered;
    }
    if (stats.links.empty()) fmt::print("   (no links)\n");
    last_delivered_ = std::move(delivered);

    fmt::print("   {:<28} {:<15} {:<8} {}\n", "PROCESSOR", "TYPE", "STATE", "METRICS");
    for (const streamlib::ProcessorStats& p : stats.processors) {
      fmt::print("   {:<28} {:<15} {:<8} {}\n", p.id, p.type, enum_name(p.state), p.metrics.dump());
    }
    std::fflush(stdout);
  }

  std::string graph_path_;
  std::string step_;
  int step_number_ = 0;
  std::chrono::steady_clock::time_point last_print_ = std::chrono::steady_clock::now();
  std::map<std::string, std::uint64_t> last_delivered_;  // per link id, at the last print
  // Written by the event callback: declared before rt_ so they outlive its delivery thread.
  std::mutex errors_mutex_;
  std::vector<std::string> errors_;  // GUARDED_BY(errors_mutex_); kError events
  streamlib::StreamRuntime rt_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help"))) {
    std::fputs("usage: live_changes [GRAPH.json]   (default: " STREAMLIB_EXAMPLES_DIR "/demo.json)\n",
               argc > 2 ? stderr : stdout);
    return argc > 2 ? 2 : 0;
  }
  const std::string path = argc == 2 ? argv[1] : STREAMLIB_EXAMPLES_DIR "/demo.json";
  LiveChangesDemo demo(path);
  if (auto ok = demo.run(); !ok) {
    std::fputs(fmt::format("live_changes: step '{}' failed: {}\n", demo.current_step(), ok.error().message()).c_str(),
               stderr);
    return streamlib::is_input_error(ok.error()) ? 2 : 1;
  }
  fmt::print("\nok: every change applied while the pipeline kept running\n");
  return 0;
}
