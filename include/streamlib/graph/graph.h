// Graph: the desired state of a pipeline — processors (nodes) and links (edges).
//
// The Graph is plain data: it holds no threads or buffers. The runtime keeps the running
// pipeline (ExecutionGraph) in step with it by computing a GraphDelta between the two.
//
//   streamlib::Graph g;
//   auto& factory = streamlib::ProcessorFactory::global();
//   g.add_processor(*factory.make_node(ProcessorId{"src"}, "SequenceSource", {}));
//   g.add_processor(*factory.make_node(ProcessorId{"count"}, "Counter", {}));
//   g.add_link({.source = {ProcessorId{"src"}, "out"}, .target = {ProcessorId{"count"}, "in"}});
//   g.validate();                 // DAG, ports, types, fan-in
//   g.to_json(); g.to_dot();      // file format and Graphviz
//   auto g2 = Graph::from_json(g.to_json());   // *g2 == g, g2->checksum() == g.checksum()
//
// Invariants kept by the mutators (so a Graph is always well-formed except for cycles, which
// validate() and would_close_cycle() check): ids are unique and valid; both ends of a link
// exist, the source is an output and the target an input; message types are compatible; an
// input has at most one link; link configs are complete and in range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/executor/executor_kind.h"
#include "streamlib/graph/ids.h"
#include "streamlib/graph/link.h"
#include "streamlib/graph/link_port_address.h"
#include "streamlib/graph/processor_node.h"
#include "streamlib/result.h"

namespace streamlib {

class ProcessorFactory;

class Graph {
 public:
  Graph() = default;

  // --- Mutation -------------------------------------------------------------------------

  // Adds a node. Fails on an invalid or duplicate id, or when another node already claims one
  // of its exclusive resources (ProcessorNode::exclusive_resources: two writers to one file).
  Result<void> add_processor(ProcessorNode node);
  // Removes a node and every link that touches it; returns the node.
  Result<ProcessorNode> remove_processor(const ProcessorId& id);
  // Adds a link. An empty id becomes default_link_id(); unset config fields take the source
  // port's defaults. Fails (naming the link and the offending end) on unknown processor or
  // port, wrong direction, incompatible message types, a second link into an input, a
  // duplicate id, or an out-of-range config. Cycles are not checked here: see validate().
  Result<LinkId> add_link(Link link);
  Result<Link> remove_link(const LinkId& id);
  // Replaces a node's config (already canonical, see ProcessorFactory::canonical_config) and
  // recomputes its checksum.
  Result<void> set_processor_config(const ProcessorId& id, nlohmann::json config);
  // The same, for a config that also changes the node's ports (ProcessorFactory::make_node
  // gives both): links to ports that no longer exist are removed and returned. With
  // `exclusive_resources` (make_node gives them too) the node's resources change as well, and
  // the change is refused, leaving the graph as it was, if another node claims one of them.
  Result<std::vector<LinkId>> set_processor_config(
      const ProcessorId& id, nlohmann::json config, std::shared_ptr<const ProcessorPorts> ports,
      std::optional<std::vector<std::string>> exclusive_resources = std::nullopt);
  // Merges `config` over the link's current config and validates it.
  Result<void> update_link_config(const LinkId& id, const LinkConfig& config);

  // --- Queries ----------------------------------------------------------------------------

  // Queries on a stored Graph return pointers into it (null if absent). On a temporary
  // (`rt.graph().find_processor(id)`) they return copies instead, so nothing dangles.
  const ProcessorNode* find_processor(const ProcessorId& id) const&;
  std::optional<ProcessorNode> find_processor(const ProcessorId& id) &&;
  const Link* find_link(const LinkId& id) const&;
  std::optional<Link> find_link(const LinkId& id) &&;
  // The link into an input port, if any.
  const Link* link_into(const LinkPortAddress& input) const&;
  std::optional<Link> link_into(const LinkPortAddress& input) &&;
  // Links that leave / enter a processor (empty if it does not exist).
  std::vector<const Link*> links_from(const ProcessorId& id) const&;
  std::vector<Link> links_from(const ProcessorId& id) &&;
  std::vector<const Link*> links_to(const ProcessorId& id) const&;
  std::vector<Link> links_to(const ProcessorId& id) &&;

  std::size_t processor_count() const { return nodes_.size(); }
  std::size_t link_count() const { return links_.size(); }
  bool empty() const { return nodes_.empty(); }
  // Nodes and links in storage order (unspecified, but the same for the same history).
  const std::vector<ProcessorNode>& processors() const& { return nodes_; }
  std::vector<ProcessorNode> processors() && { return std::move(nodes_); }
  const std::vector<Link>& links() const& { return links_; }
  std::vector<Link> links() && { return std::move(links_); }

  // Checks the whole graph: every invariant above, then that it is a DAG. A cycle error names
  // the processors on it: "cycle: a -> b -> c -> a".
  Result<void> validate() const;
  // Processors so that every link goes from an earlier to a later one (Kahn's algorithm;
  // ties keep storage order). Fails with the cycle if there is one. O(processors + links).
  Result<std::vector<ProcessorId>> topological_order() const;
  // Processors with no incoming / outgoing links, sorted by id.
  std::vector<ProcessorId> find_sources() const;
  std::vector<ProcessorId> find_sinks() const;
  // If a link from `from` to `to` would close a cycle, the processors on that cycle starting
  // at `from` (from, to, ..., from); otherwise nullopt. O(what is reachable from `to`).
  std::optional<std::vector<ProcessorId>> would_close_cycle(const ProcessorId& from, const ProcessorId& to) const;

  // Stable across runs and machines and independent of insertion order: a commutative sum of
  // per-node and per-link hashes (id, type, config checksum; id, ends, config).
  std::uint64_t checksum() const;

  // --- Serialization ----------------------------------------------------------------------

  // {"processors": [{"id", "type", "config"}...], "links": [{"from", "to", "capacity",
  // "policy", "read_mode", "block_timeout_ms"}...]}, processors and links sorted by id; a
  // link's "id" is written only when it is not the default one.
  nlohmann::json to_json_value() const;
  std::string to_json(int indent = 2) const;
  // Parses and validates a graph file. Types are looked up in `factory`, configs checked
  // against their schema and completed with defaults. Errors give the line and column of
  // malformed JSON, or the JSON location of a bad value ("links[1].to: ...").
  static Result<Graph> from_json(std::string_view text);
  static Result<Graph> from_json(std::string_view text, const ProcessorFactory& factory);
  static Result<Graph> from_json_value(const nlohmann::json& json, const ProcessorFactory& factory);
  // Reads and parses the graph file at `path`. Every error starts with the path:
  // "graph.json: cannot read: No such file or directory", "graph.json: links[1].to: ...".
  static Result<Graph> from_file(const std::string& path);
  static Result<Graph> from_file(const std::string& path, const ProcessorFactory& factory);

  // Graphviz: one record node per processor showing its ports, one edge per link labelled
  // with capacity and policy.
  std::string to_dot() const;
  // The same, with live figures (`streamlib dot FILE --stats`): a line under a processor's
  // name and a line on a link's edge, and the ones to look at (a processor in error, a link
  // that dropped) drawn in red. Ids not in the graph are ignored.
  struct DotNotes {
    std::unordered_map<std::string, std::string> processors;  // processor id -> text
    std::unordered_map<std::string, std::string> links;       // link id -> text
    std::vector<std::string> alert_processors;
    std::vector<std::string> alert_links;
  };
  std::string to_dot(const DotNotes& notes) const;

  // The executor this graph asks for (a graph file's "executor"); RuntimeOptions::executor,
  // when set, wins. Not a processor or link: deltas and checksums leave it out, and it takes
  // effect at the next start().
  const std::optional<ExecutorChoice>& executor() const { return executor_; }
  void set_executor(std::optional<ExecutorChoice> choice) { executor_ = choice; }

  // Same processors and links (order does not matter), and the same executor choice.
  friend bool operator==(const Graph& a, const Graph& b);

 private:
  // Indices into links_ of the links leaving / entering a node. Kept in step with every swap-
  // remove, so traversals work on integers and never hash a string per edge.
  struct Adjacency {
    std::vector<std::size_t> in;
    std::vector<std::size_t> out;
  };
  struct LinkEnds {
    std::size_t source;  // index into nodes_
    std::size_t target;
  };
  enum class LinkEnd { kNone, kSource, kTarget };

  std::size_t index_of(const ProcessorId& id) const;  // npos if absent
  // Checks a link against the nodes; on failure `bad_end` says which end was at fault.
  Result<void> check_link(const Link& link, LinkEnd* bad_end = nullptr) const;
  // An error naming both processors if a node other than the one at `self` claims one of
  // `resources`.
  Result<void> check_exclusive(const ProcessorId& id, const std::vector<std::string>& resources,
                               std::size_t self) const;
  std::vector<ProcessorId> find_cycle(const std::vector<std::size_t>& in_degree) const;
  void remove_link_at(std::size_t index);

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::vector<ProcessorNode> nodes_;
  std::vector<Adjacency> adjacency_;  // parallel to nodes_
  std::optional<ExecutorChoice> executor_;
  std::unordered_map<ProcessorId, std::size_t> node_index_;
  std::vector<Link> links_;
  std::vector<LinkEnds> ends_;  // parallel to links_
  std::unordered_map<LinkId, std::size_t> link_index_;
  std::unordered_map<std::string, LinkId> input_links_;  // "proc.port" -> the link into it
};

}  // namespace streamlib
