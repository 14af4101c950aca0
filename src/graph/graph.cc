#include "streamlib/graph/graph.h"

#include <algorithm>
#include <deque>
#include <unordered_set>
#include <utility>

#include "graph/hash.h"

namespace streamlib {

namespace {

std::string port_list(const std::vector<PortInfo>& ports) {
  if (ports.empty()) return "none";
  std::string out;
  for (const auto& p : ports) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace

LinkId default_link_id(const LinkPortAddress& source, const LinkPortAddress& target) {
  return LinkId(source.str() + "->" + target.str());
}

std::size_t Graph::index_of(const ProcessorId& id) const {
  auto it = node_index_.find(id);
  return it == node_index_.end() ? npos : it->second;
}

// --- Mutation -------------------------------------------------------------------------------

Result<void> Graph::add_processor(ProcessorNode node) {
  if (!is_valid_processor_id(node.id.str())) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' is not a valid processor id (letters, digits, '_' and '-')",
                      node.id);
  }
  if (node_index_.count(node.id)) {
    return make_error(ErrorCode::kAlreadyExists, "duplicate processor id '{}'", node.id);
  }
  STREAMLIB_RETURN_IF_ERROR(check_exclusive(node.id, node.exclusive_resources, npos));
  node_index_.emplace(node.id, nodes_.size());
  nodes_.push_back(std::move(node));
  adjacency_.emplace_back();
  return {};
}

Result<ProcessorNode> Graph::remove_processor(const ProcessorId& id) {
  const std::size_t i = index_of(id);
  if (i == npos) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
  // Its links first (highest index first, so the swap-removes below don't move a link we
  // still have to remove).
  std::vector<std::size_t> touching = adjacency_[i].in;
  touching.insert(touching.end(), adjacency_[i].out.begin(), adjacency_[i].out.end());
  std::sort(touching.rbegin(), touching.rend());
  for (std::size_t l : touching) remove_link_at(l);
  ProcessorNode removed = std::move(nodes_[i]);
  const std::size_t last = nodes_.size() - 1;
  if (i != last) {
    nodes_[i] = std::move(nodes_[last]);
    adjacency_[i] = std::move(adjacency_[last]);
    node_index_[nodes_[i].id] = i;
    for (std::size_t l : adjacency_[i].out) ends_[l].source = i;
    for (std::size_t l : adjacency_[i].in) ends_[l].target = i;
  }
  nodes_.pop_back();
  adjacency_.pop_back();
  node_index_.erase(id);
  return removed;
}

Result<void> Graph::check_link(const Link& link, LinkEnd* bad_end) const {
  auto at = [&](LinkEnd end) {
    if (bad_end) *bad_end = end;
  };
  const ProcessorNode* src = find_processor(link.source.processor);
  if (src == nullptr) {
    at(LinkEnd::kSource);
    return make_error(ErrorCode::kNotFound, "no processor '{}' (from {})", link.source.processor, link.source.str());
  }
  const ProcessorNode* dst = find_processor(link.target.processor);
  if (dst == nullptr) {
    at(LinkEnd::kTarget);
    return make_error(ErrorCode::kNotFound, "no processor '{}' (to {})", link.target.processor, link.target.str());
  }
  const PortInfo* out = src->find_output(link.source.port);
  if (out == nullptr) {
    at(LinkEnd::kSource);
    if (src->find_input(link.source.port)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} is an input port; a link starts at an output (outputs of {}: {})", link.source.str(),
                        src->id, port_list(src->outputs()));
    }
    return make_error(ErrorCode::kNotFound, "processor '{}' ({}) has no output port '{}' (outputs: {})", src->id,
                      src->type, link.source.port, port_list(src->outputs()));
  }
  const PortInfo* in = dst->find_input(link.target.port);
  if (in == nullptr) {
    at(LinkEnd::kTarget);
    if (dst->find_output(link.target.port)) {
      return make_error(ErrorCode::kInvalidArgument, "{} is an output port; a link ends at an input (inputs of {}: {})",
                        link.target.str(), dst->id, port_list(dst->inputs()));
    }
    return make_error(ErrorCode::kNotFound, "processor '{}' ({}) has no input port '{}' (inputs: {})", dst->id,
                      dst->type, link.target.port, port_list(dst->inputs()));
  }
  if (auto types = check_message_types(*out, *in); !types) {
    if (out->message_type == in->message_type) {
      return make_error(ErrorCode::kTypeMismatch, "message types differ: {} and {} are {}", link.source.str(),
                        link.target.str(), types.error().message());
    }
    return make_error(ErrorCode::kTypeMismatch, "message types differ: {} carries {}, {} takes {}", link.source.str(),
                      out->message_type, link.target.str(), in->message_type);
  }
  if (link.source.processor == link.target.processor) {
    return make_error(ErrorCode::kCycle, "cycle: {} -> {}", link.source.processor, link.target.processor);
  }
  if (auto v = link.config.validate(); !v) return make_error(v.error());
  return {};
}

Result<LinkId> Graph::add_link(Link link) {
  if (link.id.empty()) link.id = default_link_id(link.source, link.target);
  if (link_index_.count(link.id)) return make_error(ErrorCode::kAlreadyExists, "link '{}' already exists", link.id);
  STREAMLIB_RETURN_IF_ERROR(check_link(link));
  const std::string target_key = link.target.str();
  if (auto it = input_links_.find(target_key); it != input_links_.end()) {
    return make_error(ErrorCode::kAlreadyExists,
                      "input {} already has link '{}'; an input takes one link (use a mixer to combine)", target_key,
                      it->second);
  }
  const std::size_t src = index_of(link.source.processor);
  const std::size_t dst = index_of(link.target.processor);
  link.config = link.config.merged_over(nodes_[src].find_output(link.source.port)->default_link);
  const std::size_t index = links_.size();
  adjacency_[src].out.push_back(index);
  adjacency_[dst].in.push_back(index);
  input_links_.emplace(target_key, link.id);
  link_index_.emplace(link.id, index);
  ends_.push_back(LinkEnds{src, dst});
  LinkId id = link.id;
  links_.push_back(std::move(link));
  return id;
}

Result<Link> Graph::remove_link(const LinkId& id) {
  auto it = link_index_.find(id);
  if (it == link_index_.end()) return make_error(ErrorCode::kNotFound, "no link '{}'", id);
  Link removed = links_[it->second];
  remove_link_at(it->second);
  return removed;
}

void Graph::remove_link_at(std::size_t i) {
  auto replace = [](std::vector<std::size_t>& v, std::size_t from, std::size_t to) {
    auto pos = std::find(v.begin(), v.end(), from);
    if (pos != v.end()) *pos = to;
  };
  auto erase = [](std::vector<std::size_t>& v, std::size_t value) {
    auto pos = std::find(v.begin(), v.end(), value);
    if (pos != v.end()) v.erase(pos);
  };
  erase(adjacency_[ends_[i].source].out, i);
  erase(adjacency_[ends_[i].target].in, i);
  input_links_.erase(links_[i].target.str());
  link_index_.erase(links_[i].id);
  const std::size_t last = links_.size() - 1;
  if (i != last) {
    links_[i] = std::move(links_[last]);
    ends_[i] = ends_[last];
    link_index_[links_[i].id] = i;
    replace(adjacency_[ends_[i].source].out, last, i);
    replace(adjacency_[ends_[i].target].in, last, i);
  }
  links_.pop_back();
  ends_.pop_back();
}

Result<void> Graph::set_processor_config(const ProcessorId& id, nlohmann::json config) {
  const std::size_t i = index_of(id);
  if (i == npos) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
  nodes_[i].config_checksum = config_checksum(config);
  nodes_[i].config = std::move(config);
  return {};
}

Result<std::vector<LinkId>> Graph::set_processor_config(const ProcessorId& id, nlohmann::json config,
                                                        std::shared_ptr<const ProcessorPorts> ports,
                                                        std::optional<std::vector<std::string>> exclusive_resources) {
  const std::size_t i = index_of(id);
  if (i == npos) return make_error(ErrorCode::kNotFound, "no processor '{}'", id);
  if (exclusive_resources) {
    STREAMLIB_RETURN_IF_ERROR(check_exclusive(id, *exclusive_resources, i));
    nodes_[i].exclusive_resources = std::move(*exclusive_resources);
  }
  nodes_[i].config_checksum = config_checksum(config);
  nodes_[i].config = std::move(config);
  nodes_[i].ports = std::move(ports);
  // Links to ports the new config no longer has go; the others stay.
  std::vector<LinkId> gone;
  for (std::size_t l : adjacency_[i].out) {
    if (!nodes_[i].find_output(links_[l].source.port)) gone.push_back(links_[l].id);
  }
  for (std::size_t l : adjacency_[i].in) {
    if (!nodes_[i].find_input(links_[l].target.port)) gone.push_back(links_[l].id);
  }
  for (const LinkId& l : gone) (void)remove_link(l);
  return gone;
}

Result<void> Graph::update_link_config(const LinkId& id, const LinkConfig& config) {
  auto it = link_index_.find(id);
  if (it == link_index_.end()) return make_error(ErrorCode::kNotFound, "no link '{}'", id);
  LinkConfig merged = config.merged_over(links_[it->second].config);
  if (auto v = merged.validate(); !v) return make_error(v.error().with_context(fmt::format("link '{}'", id)));
  links_[it->second].config = merged;
  return {};
}

// --- Queries --------------------------------------------------------------------------------

const ProcessorNode* Graph::find_processor(const ProcessorId& id) const& {
  const std::size_t i = index_of(id);
  return i == npos ? nullptr : &nodes_[i];
}

const Link* Graph::find_link(const LinkId& id) const& {
  auto it = link_index_.find(id);
  return it == link_index_.end() ? nullptr : &links_[it->second];
}

const Link* Graph::link_into(const LinkPortAddress& input) const& {
  auto it = input_links_.find(input.str());
  return it == input_links_.end() ? nullptr : find_link(it->second);
}

std::vector<const Link*> Graph::links_from(const ProcessorId& id) const& {
  std::vector<const Link*> out;
  if (std::size_t i = index_of(id); i != npos) {
    for (std::size_t l : adjacency_[i].out) out.push_back(&links_[l]);
  }
  return out;
}

std::vector<const Link*> Graph::links_to(const ProcessorId& id) const& {
  std::vector<const Link*> out;
  if (std::size_t i = index_of(id); i != npos) {
    for (std::size_t l : adjacency_[i].in) out.push_back(&links_[l]);
  }
  return out;
}

Result<void> Graph::check_exclusive(const ProcessorId& id, const std::vector<std::string>& resources,
                                    std::size_t self) const {
  if (resources.empty()) return {};
  for (std::size_t j = 0; j < nodes_.size(); ++j) {
    if (j == self) continue;
    for (const std::string& r : nodes_[j].exclusive_resources) {
      if (std::find(resources.begin(), resources.end(), r) == resources.end()) continue;
      // "file:/tmp/out.mp4" reads "file /tmp/out.mp4".
      std::string what = r;
      if (const auto colon = what.find(':'); colon != std::string::npos) what[colon] = ' ';
      return make_error(ErrorCode::kAlreadyExists,
                        "processor '{}': {} is already used by processor '{}' (one processor at a time)", id, what,
                        nodes_[j].id);
    }
  }
  return {};
}

Result<void> Graph::validate() const {
  std::unordered_map<std::string_view, std::size_t> claimed;  // exclusive resource -> node
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const ProcessorNode& n = nodes_[i];
    if (!is_valid_processor_id(n.id.str())) {
      return make_error(ErrorCode::kInvalidArgument, "'{}' is not a valid processor id", n.id);
    }
    for (const std::string& r : n.exclusive_resources) {
      if (auto [it, added] = claimed.emplace(r, i); !added) return check_exclusive(n.id, {r}, i);
    }
  }
  for (std::size_t i = 0; i < links_.size(); ++i) {
    // The cheap check uses the stored node indices; check_link() runs only to word an error.
    const Link& l = links_[i];
    const PortInfo* out = nodes_[ends_[i].source].find_output(l.source.port);
    const PortInfo* in = nodes_[ends_[i].target].find_input(l.target.port);
    const bool ok = out && in && check_message_types(*out, *in).has_value() && ends_[i].source != ends_[i].target &&
                    l.config.validate().has_value();
    if (!ok) {
      auto r = check_link(l);
      return make_error(r ? Error(ErrorCode::kInternal, "inconsistent link")
                          : r.error().with_context(fmt::format("link '{}'", l.id)));
    }
    if (!l.config.complete()) {
      return make_error(ErrorCode::kInvalidArgument, "link '{}': config is incomplete", l.id);
    }
  }
  // One link per input: compare the target ports of each node's incoming links.
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const auto& in = adjacency_[i].in;
    for (std::size_t a = 0; a < in.size(); ++a) {
      for (std::size_t b = a + 1; b < in.size(); ++b) {
        if (links_[in[a]].target.port == links_[in[b]].target.port) {
          return make_error(ErrorCode::kAlreadyExists, "input {} has more than one link; an input takes one link",
                            links_[in[a]].target.str());
        }
      }
    }
  }
  STREAMLIB_RETURN_IF_ERROR(topological_order());
  return {};
}

Result<std::vector<ProcessorId>> Graph::topological_order() const {
  const std::size_t n = nodes_.size();
  std::vector<std::size_t> in_degree(n);
  std::vector<std::size_t> queue;
  queue.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    in_degree[i] = adjacency_[i].in.size();
    if (in_degree[i] == 0) queue.push_back(i);
  }
  std::vector<ProcessorId> order;
  order.reserve(n);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const std::size_t i = queue[head];
    order.push_back(nodes_[i].id);
    for (std::size_t l : adjacency_[i].out) {
      const std::size_t t = ends_[l].target;
      if (--in_degree[t] == 0) queue.push_back(t);
    }
  }
  if (order.size() != n) {
    std::vector<ProcessorId> cycle = find_cycle(in_degree);
    std::string text;
    for (const auto& id : cycle) text += (text.empty() ? "" : " -> ") + id.str();
    return make_error(ErrorCode::kCycle, "cycle: {}", text);
  }
  return order;
}

std::vector<ProcessorId> Graph::find_cycle(const std::vector<std::size_t>& in_degree) const {
  // Every node left with in_degree > 0 has a predecessor that is also left, so walking
  // backwards along such predecessors must revisit a node: that walk closes a cycle.
  std::size_t start = npos;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (in_degree[i] > 0) {
      start = i;
      break;
    }
  }
  if (start == npos) return {};
  std::vector<std::size_t> path;
  std::unordered_map<std::size_t, std::size_t> position;
  std::size_t v = start;
  while (!position.count(v)) {
    position.emplace(v, path.size());
    path.push_back(v);
    std::size_t pred = npos;
    for (std::size_t l : adjacency_[v].in) {
      const std::size_t s = ends_[l].source;
      if (in_degree[s] > 0) {
        pred = s;
        break;
      }
    }
    v = pred;
  }
  // path[position[v]..] is the cycle walked backwards; reverse it to follow the links.
  std::vector<ProcessorId> cycle;
  for (std::size_t k = path.size(); k-- > position[v];) cycle.push_back(nodes_[path[k]].id);
  // Start at the smallest id so the message is the same whatever the storage order.
  auto min_it = std::min_element(cycle.begin(), cycle.end());
  std::rotate(cycle.begin(), min_it, cycle.end());
  cycle.push_back(cycle.front());
  return cycle;
}

std::vector<ProcessorId> Graph::find_sources() const {
  std::vector<ProcessorId> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (adjacency_[i].in.empty()) out.push_back(nodes_[i].id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ProcessorId> Graph::find_sinks() const {
  std::vector<ProcessorId> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (adjacency_[i].out.empty()) out.push_back(nodes_[i].id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::vector<ProcessorId>> Graph::would_close_cycle(const ProcessorId& from, const ProcessorId& to) const {
  if (from == to) return std::vector<ProcessorId>{from, to};
  const std::size_t start = index_of(to);
  const std::size_t goal = index_of(from);
  if (start == npos || goal == npos) return std::nullopt;
  // Breadth-first from `to`; a path back to `from` plus the new link is the cycle.
  std::unordered_map<std::size_t, std::size_t> parent;
  parent.emplace(start, npos);
  std::deque<std::size_t> queue{start};
  while (!queue.empty()) {
    const std::size_t v = queue.front();
    queue.pop_front();
    if (v == goal) {
      std::vector<ProcessorId> path;
      for (std::size_t k = v; k != npos; k = parent[k]) path.push_back(nodes_[k].id);
      std::reverse(path.begin(), path.end());  // to ... from
      std::vector<ProcessorId> cycle{from};
      cycle.insert(cycle.end(), path.begin(), path.end());
      return cycle;
    }
    for (std::size_t l : adjacency_[v].out) {
      const std::size_t t = ends_[l].target;
      if (parent.emplace(t, v).second) queue.push_back(t);
    }
  }
  return std::nullopt;
}

std::uint64_t Graph::checksum() const {
  std::uint64_t sum = internal::mix64(nodes_.size()) ^ internal::mix64(links_.size() + 0x51ed27ULL);
  for (const ProcessorNode& n : nodes_) {
    sum +=
        internal::mix64(internal::StableHasher().add("p").add(n.id.str()).add(n.type).add(n.config_checksum).value());
  }
  for (const Link& l : links_) {
    sum += internal::mix64(
        internal::StableHasher()
            .add("l")
            .add(l.id.str())
            .add(l.source.processor.str())
            .add(l.source.port)
            .add(l.target.processor.str())
            .add(l.target.port)
            .add(l.config.capacity.value_or(0))
            .add(static_cast<std::uint64_t>(l.config.policy.value_or(LinkPolicy::kBlock)))
            .add(static_cast<std::uint64_t>(l.config.read_mode.value_or(ReadMode::kSequential)))
            .add(static_cast<std::uint64_t>(l.config.block_timeout.value_or(std::chrono::milliseconds(0)).count()))
            .value());
  }
  return sum;
}

bool operator==(const Graph& a, const Graph& b) {
  if (a.executor_ != b.executor_) return false;
  if (a.nodes_.size() != b.nodes_.size() || a.links_.size() != b.links_.size()) return false;
  for (const ProcessorNode& n : a.nodes_) {
    const ProcessorNode* m = b.find_processor(n.id);
    if (m == nullptr || !(*m == n)) return false;
  }
  for (const Link& l : a.links_) {
    const Link* m = b.find_link(l.id);
    if (m == nullptr || !(*m == l)) return false;
  }
  return true;
}

}  // namespace streamlib

namespace streamlib {

// Rvalue queries: copies out of a temporary Graph.
std::optional<ProcessorNode> Graph::find_processor(const ProcessorId& id) && {
  const ProcessorNode* p = std::as_const(*this).find_processor(id);
  return p ? std::optional<ProcessorNode>(*p) : std::nullopt;
}

std::optional<Link> Graph::find_link(const LinkId& id) && {
  const Link* l = std::as_const(*this).find_link(id);
  return l ? std::optional<Link>(*l) : std::nullopt;
}

std::optional<Link> Graph::link_into(const LinkPortAddress& input) && {
  const Link* l = std::as_const(*this).link_into(input);
  return l ? std::optional<Link>(*l) : std::nullopt;
}

namespace {
std::vector<Link> copies(const std::vector<const Link*>& links) {
  std::vector<Link> out;
  out.reserve(links.size());
  for (const Link* l : links) out.push_back(*l);
  return out;
}
}  // namespace

std::vector<Link> Graph::links_from(const ProcessorId& id) && { return copies(std::as_const(*this).links_from(id)); }
std::vector<Link> Graph::links_to(const ProcessorId& id) && { return copies(std::as_const(*this).links_to(id)); }

}  // namespace streamlib
