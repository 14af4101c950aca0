// Graph benchmarks: validate(), topological_order(), checksum() and compute_delta() on graphs
// of 1,000 and 10,000 processors (and 100,000, to see where the trend goes). All four are
// documented as linear in processors + links, so the time per processor should be the same at
// every size; run_benchmarks.sh reports the 10k figure against the 1k one. The
// heap_bytes_per_processor counter says how big the graph is, next to the cache sizes, and
// BM_TopologicalOrderIndexReference is the same algorithm over plain integer adjacency.
//
// The graphs are binary trees built the way a user builds one: nodes from the registry
// (ProcessorFactory::make_node, so each carries real port metadata and a canonical config) and
// links through Graph::add_link. The root is a built-in SequenceSource; every other node is
// `BenchFork`, a bench-local processor with one DataFrame input and two DataFrame outputs —
// the built-ins alone cannot form a large DAG (only SequenceSource has an output, and an
// input takes a single link), and a one-in/two-out node is what a tee or a demuxer looks like.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "streamlib/streamlib.h"

namespace streamlib_bench {
namespace {

using streamlib::DataFrame;
using streamlib::Graph;
using streamlib::Link;
using streamlib::LinkPortAddress;
using streamlib::ProcessorFactory;
using streamlib::ProcessorId;

struct ForkConfig {
  std::uint32_t index = 0;  // distinct per node, so configs (and their checksums) differ
};
STREAMLIB_CONFIG(ForkConfig, index);

class BenchFork : public streamlib::Processor<ForkConfig> {
 public:
  STREAMLIB_PROCESSOR(BenchFork, "Benchmark node: one input, two outputs", streamlib::Reactive{});
  streamlib::LinkInput<DataFrame> in{this, "in"};
  streamlib::LinkOutput<DataFrame> left{this, "left"};
  streamlib::LinkOutput<DataFrame> right{this, "right"};

  streamlib::Result<void> process() override {
    in.drain([&](DataFrame&& f) {
      left.push(f);
      right.push(std::move(f));
    });
    return {};
  }
};

ProcessorId node_id(std::size_t i) { return ProcessorId(fmt::format("n{}", i)); }

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "graph_bench: %s failed\n", what);
    std::abort();
  }
}

// Node 0 is the source and feeds node 1; node i >= 2 hangs off node i / 2 (heap order), on
// its left output if i is even, its right one if odd. N processors, N - 1 links, depth log2 N.
Graph make_tree(std::size_t processors) {
  ProcessorFactory& factory = ProcessorFactory::global();
  check(factory.register_type<BenchFork>().has_value(), "register BenchFork");
  Graph g;
  check(g.add_processor(*factory.make_node(node_id(0), "SequenceSource", {{"interval_us", 1000}})).has_value(),
        "add source");
  for (std::size_t i = 1; i < processors; ++i) {
    auto node = factory.make_node(node_id(i), "BenchFork", {{"index", i}});
    check(node.has_value(), "make_node");
    check(g.add_processor(std::move(*node)).has_value(), "add_processor");
    const std::size_t parent = i == 1 ? 0 : i / 2;
    const char* port = i == 1 ? "out" : (i % 2 == 0 ? "left" : "right");
    Link link;
    link.source = LinkPortAddress{node_id(parent), port};
    link.target = LinkPortAddress{node_id(i), "in"};
    check(g.add_link(std::move(link)).has_value(), "add_link");
  }
  check(g.validate().has_value(), "validate");
  return g;
}

struct Tree {
  Graph graph;
  double heap_bytes_per_processor = 0;  // what the Graph holds on the heap, per processor
};

// Built once per size and shared by every benchmark (building 100k nodes takes a while).
const Tree& tree(std::size_t processors) {
  static std::map<std::size_t, Tree> cache;
  auto it = cache.find(processors);
  if (it == cache.end()) {
    const std::size_t before = mallinfo2().uordblks;
    Graph g = make_tree(processors);
    const std::size_t after = mallinfo2().uordblks;
    it = cache.emplace(processors, Tree{std::move(g), static_cast<double>(after - before) / processors}).first;
  }
  return it->second;
}

void set_counters(benchmark::State& state, const Tree& t) {
  state.counters["processors"] = static_cast<double>(t.graph.processor_count());
  state.counters["links"] = static_cast<double>(t.graph.link_count());
  state.counters["heap_bytes_per_processor"] = t.heap_bytes_per_processor;
}

void BM_Validate(benchmark::State& state) {
  const Tree& t = tree(static_cast<std::size_t>(state.range(0)));
  const Graph& g = t.graph;
  for (auto _ : state) {
    auto r = g.validate();
    benchmark::DoNotOptimize(r);
  }
  set_counters(state, t);
}

void BM_TopologicalOrder(benchmark::State& state) {
  const Tree& t = tree(static_cast<std::size_t>(state.range(0)));
  const Graph& g = t.graph;
  for (auto _ : state) {
    auto order = g.topological_order();
    benchmark::DoNotOptimize(order);
  }
  set_counters(state, t);
}

void BM_Checksum(benchmark::State& state) {
  const Tree& t = tree(static_cast<std::size_t>(state.range(0)));
  const Graph& g = t.graph;
  for (auto _ : state) benchmark::DoNotOptimize(g.checksum());
  set_counters(state, t);
}

// A full (unscoped) comparison, as apply() and `streamlib plan` do: the running graph lacks
// the last leaf and has one config changed, so the delta is small but every id is compared.
void BM_ComputeDelta(benchmark::State& state) {
  const Tree& t = tree(static_cast<std::size_t>(state.range(0)));
  const Graph& desired = t.graph;
  Graph running = desired;
  check(running.remove_processor(node_id(desired.processor_count() - 1)).has_value(), "remove leaf");
  check(running.set_processor_config(node_id(1), {{"index", 999999}}).has_value(), "change config");
  for (auto _ : state) {
    streamlib::GraphDelta delta = streamlib::compute_delta(desired, running);
    benchmark::DoNotOptimize(delta);
  }
  set_counters(state, t);
}

// Reference point, not StreamLib code: Kahn's algorithm over the same tree held as plain
// integer adjacency (CSR). It does the same O(processors + links) work without a string hash
// lookup per link, so its time per processor shows what the algorithm itself costs at each
// size, and how much of Graph::topological_order's growth is its data layout.
void BM_TopologicalOrderIndexReference(benchmark::State& state) {
  const Tree& t = tree(static_cast<std::size_t>(state.range(0)));
  const Graph& g = t.graph;
  const std::size_t n = g.processor_count();
  std::map<std::string, std::size_t> index;  // built once, outside the timed loop
  for (std::size_t i = 0; i < n; ++i) index.emplace(g.processors()[i].id.str(), i);
  std::vector<std::size_t> first(n + 1, 0);
  std::vector<std::size_t> targets;
  {
    std::vector<std::vector<std::size_t>> out(n);
    for (const Link& l : g.links())
      out[index.at(l.source.processor.str())].push_back(index.at(l.target.processor.str()));
    for (std::size_t i = 0; i < n; ++i) {
      first[i + 1] = first[i] + out[i].size();
      targets.insert(targets.end(), out[i].begin(), out[i].end());
    }
  }
  std::vector<std::size_t> in_degree_init(n, 0);
  for (std::size_t v : targets) ++in_degree_init[v];
  for (auto _ : state) {
    std::vector<std::size_t> in_degree = in_degree_init;
    std::vector<std::size_t> queue;
    queue.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (in_degree[i] == 0) queue.push_back(i);
    }
    std::vector<ProcessorId> order;
    order.reserve(n);
    for (std::size_t head = 0; head < queue.size(); ++head) {
      const std::size_t i = queue[head];
      order.push_back(g.processors()[i].id);
      for (std::size_t k = first[i]; k < first[i + 1]; ++k) {
        if (--in_degree[targets[k]] == 0) queue.push_back(targets[k]);
      }
    }
    benchmark::DoNotOptimize(order);
  }
  set_counters(state, t);
}

BENCHMARK(BM_Validate)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TopologicalOrder)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Checksum)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ComputeDelta)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TopologicalOrderIndexReference)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace streamlib_bench

BENCHMARK_MAIN();
