// Fuzzes graph files: arbitrary bytes into Graph::from_json, and for every graph that parses,
// the properties the rest of StreamLib relies on.
//
//   fuzz/run.sh 60          (builds the `fuzz` preset, runs this for 60 seconds)
//
// A parsed graph must validate, serialize to JSON that parses back to an equal graph with the
// same checksum (and the same text again), export to DOT, and have a topological order that
// lists each processor once with every link going forward. A rejected input must be rejected
// as bad input (is_input_error) with a message. Any violation prints what broke and aborts, so
// libFuzzer saves the input as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>

#include "streamlib/frames/data_frame.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/graph/graph.h"
#include "streamlib/registry.h"
#include "streamlib/result.h"

namespace {

// The built-in processors are only sources and sinks; these give the fuzzer processors with
// inputs and outputs (cycles, chains, merges) and a second message type (mismatches).
class FuzzRelay : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(FuzzRelay, "fuzzer relay", streamlib::Reactive{});
  streamlib::LinkInput<streamlib::DataFrame> in{this, "in"};
  streamlib::LinkOutput<streamlib::DataFrame> out{this, "out"};
  streamlib::Result<void> process() override { return {}; }
};

class FuzzMerge : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(FuzzMerge, "fuzzer merge", streamlib::Reactive{});
  streamlib::LinkInput<streamlib::DataFrame> a{this, "a"};
  streamlib::LinkInput<streamlib::DataFrame> b{this, "b"};
  streamlib::LinkOutput<streamlib::VideoFrame> out{this, "out"};
  streamlib::Result<void> process() override { return {}; }
};

STREAMLIB_REGISTER(FuzzRelay);
STREAMLIB_REGISTER(FuzzMerge);

[[noreturn]] void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "graph_json_fuzzer: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check_topological_order(const streamlib::Graph& graph) {
  auto order = graph.topological_order();
  if (!order) fail("topological_order() failed on a validated graph", order.error().message());
  if (order->size() != graph.processor_count()) fail("topological_order() does not list every processor once");
  std::unordered_map<streamlib::ProcessorId, std::size_t> position;
  for (std::size_t i = 0; i < order->size(); ++i) {
    if (!position.emplace((*order)[i], i).second)
      fail("topological_order() lists a processor twice", (*order)[i].str());
    if (graph.find_processor((*order)[i]) == nullptr) fail("topological_order() lists an unknown processor");
  }
  for (const streamlib::Link& link : graph.links()) {
    if (position.at(link.source.processor) >= position.at(link.target.processor)) {
      fail("topological_order() puts a link's target before its source", link.id.str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  streamlib::Result<streamlib::Graph> graph = streamlib::Graph::from_json(text);
  if (!graph) {
    if (!streamlib::is_input_error(graph.error()))
      fail("from_json rejected input with a non-input error", graph.error().message());
    if (graph.error().message().empty()) fail("from_json rejected input without a message");
    return 0;
  }

  if (auto valid = graph->validate(); !valid)
    fail("from_json accepted a graph that does not validate", valid.error().message());

  const std::string json = graph->to_json();
  streamlib::Result<streamlib::Graph> again = streamlib::Graph::from_json(json);
  if (!again) fail("to_json output does not parse", again.error().message() + "\n" + json);
  if (!(*again == *graph)) fail("to_json round trip changed the graph", json);
  if (again->checksum() != graph->checksum()) fail("to_json round trip changed the checksum", json);
  if (again->to_json() != json) fail("to_json is not stable across a round trip", json);

  const std::string dot = graph->to_dot();
  if (!dot.starts_with("digraph ") || !dot.ends_with("}\n")) fail("to_dot output is not a digraph", dot);

  check_topological_order(*graph);
  return 0;
}
