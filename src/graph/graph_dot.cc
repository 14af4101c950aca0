// Graphviz export: record nodes (inputs | id and type | outputs), edges port to port.
#include <algorithm>

#include "streamlib/graph/graph.h"

namespace streamlib {

namespace {

// Escapes text for a record label field.
std::string record_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '{' || c == '}' || c == '|' || c == '<' || c == '>' || c == '"' || c == '\\' || c == ' ') out += '\\';
    out += c;
  }
  return out;
}

// Escapes text for a plain (edge) label.
std::string label_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string ports_field(const std::vector<PortInfo>& ports, char prefix) {
  std::string out = "{";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (i) out += "|";
    out += fmt::format("<{}_{}> {}", prefix, ports[i].name, record_escape(ports[i].name));
  }
  return out + "}";
}

}  // namespace

std::string Graph::to_dot() const { return to_dot(DotNotes{}); }

std::string Graph::to_dot(const DotNotes& notes) const {
  auto alert = [](const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  std::vector<const ProcessorNode*> nodes;
  for (const auto& n : nodes_) nodes.push_back(&n);
  std::sort(nodes.begin(), nodes.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::vector<const Link*> links;
  for (const auto& l : links_) links.push_back(&l);
  std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->id < b->id; });

  std::string out =
      "digraph streamlib {\n"
      "  graph [rankdir=LR, fontname=\"Helvetica\"];\n"
      "  node [shape=record, fontname=\"Helvetica\", fontsize=10];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const ProcessorNode* n : nodes) {
    // In LR layout the outer braces lay fields left to right and inner ones top to bottom.
    std::string label = "{";
    if (!n->inputs().empty()) label += ports_field(n->inputs(), 'i') + "|";
    label += fmt::format("{}\\n{}", record_escape(n->id.str()), record_escape(n->type));
    if (auto note = notes.processors.find(n->id.str()); note != notes.processors.end()) {
      label += "\\n";
      label += record_escape(note->second);
    }
    if (!n->outputs().empty()) {
      label += '|';  // appended separately: g++ 12 -O3 warns (-Wrestrict) on "|" + std::string
      label += ports_field(n->outputs(), 'o');
    }
    label += "}";
    out += fmt::format("  \"{}\" [label=\"{}\"{}];\n", n->id, label,
                       alert(notes.alert_processors, n->id.str()) ? ", color=red, fontcolor=red" : "");
  }
  for (const Link* l : links) {
    std::string label = fmt::format("{}, {}", *l->config.capacity, enum_name(*l->config.policy));
    if (l->config.read_mode == ReadMode::kLatest) label += ", latest";
    if (auto note = notes.links.find(l->id.str()); note != notes.links.end()) {
      label += "\\n";
      label += label_escape(note->second);
    }
    out += fmt::format("  \"{}\":\"o_{}\" -> \"{}\":\"i_{}\" [label=\"{}\"{}];\n", l->source.processor, l->source.port,
                       l->target.processor, l->target.port, label,
                       alert(notes.alert_links, l->id.str()) ? ", color=red, fontcolor=red" : "");
  }
  out += "}\n";
  return out;
}

}  // namespace streamlib
