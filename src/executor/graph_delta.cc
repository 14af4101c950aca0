#include "streamlib/executor/graph_delta.h"

#include <algorithm>
#include <set>

namespace streamlib {

bool GraphDelta::empty() const { return size() == 0; }

std::size_t GraphDelta::size() const {
  return processors_to_add.size() + processors_to_remove.size() + processors_to_update.size() + links_to_add.size() +
         links_to_remove.size() + links_to_update.size();
}

namespace {

GraphDelta compute(const Graph& desired, const Graph& running, const DeltaScope* scope) {
  GraphDelta delta;

  // Processors. A replaced one (same id, other type) is removed and added again; one whose
  // config changed is updated, even if that changes its ports (the links of ports that remain
  // stay, those of ports that go are removed).
  std::unordered_set<ProcessorId> replaced;  // removed or re-added: their links must follow
  auto visit_processor = [&](const ProcessorId& id, const ProcessorNode* d, const ProcessorNode* r) {
    if (d && !r) {
      delta.processors_to_add.push_back(id);
      replaced.insert(id);
    } else if (!d && r) {
      delta.processors_to_remove.push_back(id);
      replaced.insert(id);
    } else if (d && r) {
      if (d->type != r->type) {
        delta.processors_to_remove.push_back(id);
        delta.processors_to_add.push_back(id);
        replaced.insert(id);
      } else if (d->config_checksum != r->config_checksum || !same_ports(*d, *r)) {
        delta.processors_to_update.push_back(ProcessorConfigChange{id, r->config, d->config});
      }
    }
  };
  auto visit_link = [&](const LinkId& id, const Link* d, const Link* r) {
    if (d && !r) {
      delta.links_to_add.push_back(id);
    } else if (!d && r) {
      delta.links_to_remove.push_back(id);
    } else if (d && r) {
      const bool ends_changed = d->source != r->source || d->target != r->target;
      const bool end_replaced =
          !replaced.empty() && (replaced.count(d->source.processor) || replaced.count(d->target.processor) ||
                                replaced.count(r->source.processor) || replaced.count(r->target.processor));
      if (ends_changed || end_replaced) {
        delta.links_to_remove.push_back(id);
        delta.links_to_add.push_back(id);
      } else if (d->config != r->config) {
        delta.links_to_update.push_back(LinkConfigChange{id, r->config, d->config});
      }
    }
  };

  if (scope == nullptr) {
    // Everything, each element once: walk the desired graph and find each element in the
    // running one — first at the same position (graphs compared in practice, a file and its
    // edit or a runtime's copy, mostly share their order, and this avoids hashing ids), else by
    // id. Only if something went unmatched is the running graph walked for what to remove.
    // `find_desired`/`find_running` look an id up in each graph; `visit` is one of the above.
    auto walk = [](const auto& desired_items, const auto& running_items, auto find_desired, auto find_running,
                   auto visit) {
      std::size_t matched = 0;
      for (std::size_t i = 0; i < desired_items.size(); ++i) {
        const auto& d = desired_items[i];
        const auto* r =
            i < running_items.size() && running_items[i].id == d.id ? &running_items[i] : find_running(d.id);
        matched += r != nullptr;
        visit(d.id, &d, r);
      }
      if (matched == running_items.size()) return;
      for (const auto& r : running_items) {
        if (!find_desired(r.id)) visit(r.id, nullptr, &r);
      }
    };
    walk(
        desired.processors(), running.processors(), [&](const ProcessorId& id) { return desired.find_processor(id); },
        [&](const ProcessorId& id) { return running.find_processor(id); }, visit_processor);
    walk(
        desired.links(), running.links(), [&](const LinkId& id) { return desired.find_link(id); },
        [&](const LinkId& id) { return running.find_link(id); }, visit_link);
  } else {
    for (const ProcessorId& id : scope->processors) {
      visit_processor(id, desired.find_processor(id), running.find_processor(id));
    }
    // The named links, plus those touching an added, removed or replaced processor.
    std::unordered_set<LinkId> link_ids = scope->links;
    for (const ProcessorId& id : replaced) {
      for (const Link* l : desired.links_from(id)) link_ids.insert(l->id);
      for (const Link* l : desired.links_to(id)) link_ids.insert(l->id);
      for (const Link* l : running.links_from(id)) link_ids.insert(l->id);
      for (const Link* l : running.links_to(id)) link_ids.insert(l->id);
    }
    for (const LinkId& id : link_ids) visit_link(id, desired.find_link(id), running.find_link(id));
  }

  std::sort(delta.processors_to_add.begin(), delta.processors_to_add.end());
  std::sort(delta.processors_to_remove.begin(), delta.processors_to_remove.end());
  std::sort(delta.processors_to_update.begin(), delta.processors_to_update.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  std::sort(delta.links_to_add.begin(), delta.links_to_add.end());
  std::sort(delta.links_to_remove.begin(), delta.links_to_remove.end());
  std::sort(delta.links_to_update.begin(), delta.links_to_update.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return delta;
}

std::string describe_link(const Link* l, const LinkId& id) {
  if (l == nullptr) return id.str();
  std::string ends = l->source.str() + "->" + l->target.str();
  return ends == id.str() ? ends : fmt::format("{} ({})", id, ends);
}

std::string config_diff(const nlohmann::json& before, const nlohmann::json& after) {
  std::set<std::string> keys;
  if (before.is_object()) {
    for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
  }
  if (after.is_object()) {
    for (auto it = after.begin(); it != after.end(); ++it) keys.insert(it.key());
  }
  std::vector<std::string> parts;
  for (const auto& k : keys) {
    const nlohmann::json a = before.is_object() && before.contains(k) ? before[k] : nlohmann::json();
    const nlohmann::json b = after.is_object() && after.contains(k) ? after[k] : nlohmann::json();
    if (a != b) parts.push_back(fmt::format("{} {} -> {}", k, a.dump(), b.dump()));
  }
  return parts.empty() ? "config changed" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string link_config_diff(const LinkConfig& a, const LinkConfig& b) {
  std::vector<std::string> parts;
  if (a.capacity != b.capacity)
    parts.push_back(fmt::format("capacity {} -> {}", a.capacity.value_or(0), b.capacity.value_or(0)));
  if (a.policy != b.policy) {
    parts.push_back(
        fmt::format("policy {} -> {}", a.policy ? enum_name(*a.policy) : "-", b.policy ? enum_name(*b.policy) : "-"));
  }
  if (a.read_mode != b.read_mode) {
    parts.push_back(fmt::format("read_mode {} -> {}", a.read_mode ? enum_name(*a.read_mode) : "-",
                                b.read_mode ? enum_name(*b.read_mode) : "-"));
  }
  if (a.block_timeout != b.block_timeout) {
    parts.push_back(fmt::format("block_timeout_ms {} -> {}", a.block_timeout ? a.block_timeout->count() : 0,
                                b.block_timeout ? b.block_timeout->count() : 0));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

GraphDelta compute_delta(const Graph& desired, const Graph& running) { return compute(desired, running, nullptr); }

GraphDelta compute_delta(const Graph& desired, const Graph& running, const DeltaScope& scope) {
  return compute(desired, running, &scope);
}

std::string format_plan(const GraphDelta& delta, const Graph& desired, const Graph& running) {
  if (delta.empty()) return "no changes\n";
  std::string out;
  int step = 0;
  auto line = [&](const std::string& text) { out += fmt::format("{}. {}\n", ++step, text); };
  for (const LinkId& id : delta.links_to_remove) line("unwire link " + describe_link(running.find_link(id), id));
  for (const ProcessorId& id : delta.processors_to_remove) {
    const ProcessorNode* n = running.find_processor(id);
    line(fmt::format("remove processor {} ({})", id, n ? n->type : "?"));
  }
  for (const ProcessorId& id : delta.processors_to_add) {
    const ProcessorNode* n = desired.find_processor(id);
    line(fmt::format("add processor {} ({})", id, n ? n->type : "?"));
  }
  for (const LinkId& id : delta.links_to_add) {
    const Link* l = desired.find_link(id);
    line(fmt::format("wire link {} ({})", describe_link(l, id), l ? to_string(l->config) : ""));
  }
  for (const auto& change : delta.processors_to_update) {
    const ProcessorNode* n = desired.find_processor(change.id);
    line(fmt::format("reconfigure processor {} ({}): {}", change.id, n ? n->type : "?",
                     config_diff(change.old_config, change.new_config)));
  }
  for (const auto& change : delta.links_to_update) {
    line(fmt::format("update link {}: {}", describe_link(desired.find_link(change.id), change.id),
                     link_config_diff(change.old_config, change.new_config)));
  }
  return out;
}

}  // namespace streamlib
