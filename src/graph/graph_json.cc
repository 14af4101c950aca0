// Graph files: reading, parsing (with line/column and JSON locations in errors) and
// serialization.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "streamlib/graph/graph.h"
#include "streamlib/registry.h"
#include "streamlib/suggest.h"

namespace streamlib {

namespace {

// Line and column (1-based) of a byte offset in `text`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

Result<void> check_keys(const nlohmann::json& obj, std::string_view path,
                        std::initializer_list<std::string_view> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return make_error(unknown_field_error(path, it.key(), std::span(known.begin(), known.size())));
    }
  }
  return {};
}

Result<std::string> required_string(const nlohmann::json& obj, std::string_view path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return make_error(ErrorCode::kInvalidArgument, "{}: missing field '{}'", path, key);
  if (!it->is_string()) {
    return make_error(ErrorCode::kInvalidArgument, "{}.{}: expected string, got {}", path, key,
                      internal::json_type_name(*it));
  }
  return it->get<std::string>();
}

// The whole file at `path`. C stdio rather than iostreams: fopen/fread set errno reliably, so
// the error can say why ("Permission denied", "Is a directory").
Result<std::string> read_file(const std::string& path) {
  auto unreadable = [&](int error) {
    return make_error(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument, "{}: cannot read: {}", path,
                      std::generic_category().message(error));
  };
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) return unreadable(errno);
  std::string text;
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0;) text.append(buffer, n);
  if (std::ferror(f.get())) return unreadable(errno != 0 ? errno : EIO);
  return text;
}

}  // namespace

Result<Graph> Graph::from_json(std::string_view text) { return from_json(text, ProcessorFactory::global()); }

Result<Graph> Graph::from_file(const std::string& path) { return from_file(path, ProcessorFactory::global()); }

Result<Graph> Graph::from_file(const std::string& path, const ProcessorFactory& factory) {
  STREAMLIB_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  Result<Graph> graph = from_json(text, factory);
  if (!graph) return make_error(graph.error().with_context(path));
  return graph;
}

// Accepts every value and remembers where parsing failed, whatever the reason (syntax, or a
// number out of range, which nlohmann reports as a different exception type with no position).
class ErrorLocator final : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    position_ = position;
    what_ = ex.what();
    return false;
  }

  std::size_t position() const { return position_; }
  // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 2: ...":
  // keep its explanation; the position is ours.
  std::string explanation() const {
    std::string what = what_;
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    if (what.rfind("parse error", 0) == 0) {
      if (auto p = what.find(": "); p != std::string::npos) what = what.substr(p + 2);
    }
    return what;
  }

 private:
  std::size_t position_ = 0;
  std::string what_;
};

Result<Graph> Graph::from_json(std::string_view text, const ProcessorFactory& factory) {
  ErrorLocator locator;
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &locator)) {
    auto [line, col] = line_column(text, locator.position() == 0 ? 0 : locator.position() - 1);
    return make_error(ErrorCode::kParse, "malformed JSON at line {}, column {}: {}", line, col, locator.explanation());
  }
  // Known to parse now, so this cannot throw.
  return from_json_value(nlohmann::json::parse(text.begin(), text.end()), factory);
}

namespace {

// The errors of one graph file, each with its JSON location: loading goes on after an error in
// one processor or link so that a user fixing a file sees every mistake in one go, not one per
// run (as a compiler does).
class ErrorList {
 public:
  void add(const Error& e) { errors_.push_back(e); }
  bool empty() const { return errors_.empty(); }
  // One error: itself. Several: the first's code, and a message listing them all, one a line.
  Error combined() const {
    if (errors_.size() == 1) return errors_.front();
    std::string message = fmt::format("{} errors:", errors_.size());
    for (const Error& e : errors_) message += "\n  " + e.message();
    return Error(errors_.front().code(), std::move(message));
  }

 private:
  std::vector<Error> errors_;
};

// "executor": "pool", or {"kind": "pool", "workers": 4}.
Result<ExecutorChoice> executor_choice_from_json(const nlohmann::json& json) {
  ExecutorChoice choice;
  const nlohmann::json* kind = &json;
  if (json.is_object()) {
    STREAMLIB_RETURN_IF_ERROR(check_keys(json, "executor", {"kind", "workers"}));
    auto k = json.find("kind");
    if (k == json.end())
      return make_error(ErrorCode::kInvalidArgument, "executor.kind: missing (\"threads\" or \"pool\")");
    kind = &*k;
    if (auto w = json.find("workers"); w != json.end()) {
      if (!w->is_number_unsigned() || w->get<std::uint64_t>() > 4096) {
        return make_error(ErrorCode::kInvalidArgument,
                          "executor.workers: expected a count from 0 (one per core) to 4096, got {}", w->dump());
      }
      choice.workers = w->get<unsigned>();
    }
  }
  const std::string path = json.is_object() ? "executor.kind" : "executor";
  if (!kind->is_string()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: expected \"threads\" or \"pool\", got {}", path,
                      internal::json_type_name(*kind));
  }
  const std::string text = kind->get<std::string>();
  const auto parsed = enum_from_name<ExecutorKind>(text);
  if (!parsed) {
    return make_error(ErrorCode::kInvalidArgument, "{}: '{}' is not an executor ({})", path, text,
                      enum_choices<ExecutorKind>());
  }
  choice.kind = *parsed;
  return choice;
}

}  // namespace

Result<Graph> Graph::from_json_value(const nlohmann::json& json, const ProcessorFactory& factory) {
  if (!json.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "graph: expected an object with \"processors\" and \"links\", got {}",
                      internal::json_type_name(json));
  }
  STREAMLIB_RETURN_IF_ERROR(check_keys(json, "graph", {"processors", "links", "executor"}));
  Graph graph;
  if (auto ex = json.find("executor"); ex != json.end()) {
    STREAMLIB_ASSIGN_OR_RETURN(ExecutorChoice choice, executor_choice_from_json(*ex));
    graph.set_executor(choice);
  }
  ErrorList errors;
  std::unordered_map<std::string, std::size_t> first_seen;
  // Ids of processors that are in the file but could not be loaded: links to them are not
  // checked (their processor's error says what is wrong).
  std::unordered_set<std::string> unloaded;

  if (auto procs = json.find("processors"); procs != json.end()) {
    if (!procs->is_array()) {
      return make_error(ErrorCode::kInvalidArgument, "processors: expected array, got {}",
                        internal::json_type_name(*procs));
    }
    for (std::size_t i = 0; i < procs->size(); ++i) {
      const nlohmann::json& p = (*procs)[i];
      const std::string path = fmt::format("processors[{}]", i);
      auto load = [&]() -> Result<void> {
        if (!p.is_object()) {
          return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path,
                            internal::json_type_name(p));
        }
        if (auto id = p.find("id"); id != p.end() && id->is_string() && !first_seen.count(id->get<std::string>())) {
          unloaded.insert(id->get<std::string>());
        }
        STREAMLIB_RETURN_IF_ERROR(check_keys(p, path, {"id", "type", "config"}));
        STREAMLIB_ASSIGN_OR_RETURN(std::string id, required_string(p, path, "id"));
        STREAMLIB_ASSIGN_OR_RETURN(std::string type, required_string(p, path, "type"));
        if (!is_valid_processor_id(id)) {
          return make_error(ErrorCode::kInvalidArgument,
                            "{}.id: '{}' is not a valid processor id (letters, digits, '_' and '-')", path, id);
        }
        if (auto seen = first_seen.find(id); seen != first_seen.end()) {
          return make_error(ErrorCode::kAlreadyExists, "{}.id: duplicate processor id '{}' (also processors[{}])", path,
                            id, seen->second);
        }
        if (auto known = factory.lookup(type); !known) return make_error(known.error().with_context(path + ".type"));
        nlohmann::json config = nlohmann::json::object();
        if (auto c = p.find("config"); c != p.end()) config = *c;
        // Config errors name the processor as users address it ("cam.config.fps") after its place
        // in the file.
        auto made = factory.make_node(ProcessorId(id), type, config, id + ".config");
        if (!made) return make_error(made.error().with_context(path));
        ProcessorNode node = std::move(*made);
        if (auto added = graph.add_processor(std::move(node)); !added) {
          return make_error(added.error().with_context(path));
        }
        first_seen.emplace(id, i);
        unloaded.erase(id);
        return {};
      };
      if (auto loaded = load(); !loaded) errors.add(loaded.error());
    }
  }

  if (auto links = json.find("links"); links != json.end()) {
    if (!links->is_array()) {
      errors.add(Error(ErrorCode::kInvalidArgument,
                       fmt::format("links: expected array, got {}", internal::json_type_name(*links))));
      return make_error(errors.combined());
    }
    std::unordered_map<std::string, std::size_t> link_seen;
    for (std::size_t i = 0; i < links->size(); ++i) {
      const nlohmann::json& l = (*links)[i];
      const std::string path = fmt::format("links[{}]", i);
      auto load = [&]() -> Result<void> {
        if (!l.is_object()) {
          return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path,
                            internal::json_type_name(l));
        }
        STREAMLIB_ASSIGN_OR_RETURN(LinkConfig config, LinkConfig::from_json(l, path, {"id", "from", "to"}));
        STREAMLIB_ASSIGN_OR_RETURN(std::string from_text, required_string(l, path, "from"));
        STREAMLIB_ASSIGN_OR_RETURN(std::string to_text, required_string(l, path, "to"));
        auto from = LinkPortAddress::parse(from_text);
        if (!from) return make_error(from.error().with_context(path + ".from"));
        auto to = LinkPortAddress::parse(to_text);
        if (!to) return make_error(to.error().with_context(path + ".to"));
        if (unloaded.count(from->processor.str()) || unloaded.count(to->processor.str())) return {};
        LinkId id;
        if (auto it = l.find("id"); it != l.end()) {
          if (!it->is_string() || it->get<std::string>().empty()) {
            return make_error(ErrorCode::kInvalidArgument, "{}.id: expected a non-empty string", path);
          }
          id = LinkId(it->get<std::string>());
        }
        Link link{id.empty() ? default_link_id(*from, *to) : id, *from, *to, config};
        if (auto seen = link_seen.find(link.id.str()); seen != link_seen.end()) {
          return make_error(ErrorCode::kAlreadyExists, "{}: duplicate link '{}' (also links[{}])", path, link.id,
                            seen->second);
        }
        if (const Link* existing = graph.link_into(*to)) {
          return make_error(ErrorCode::kAlreadyExists,
                            "{}.to: input {} already has a link (links[{}]); an input takes one link (use a mixer "
                            "to combine)",
                            path, to->str(), link_seen.at(existing->id.str()));
        }
        link_seen.emplace(link.id.str(), i);
        LinkEnd bad_end = LinkEnd::kNone;
        if (auto checked = graph.check_link(link, &bad_end); !checked) {
          const char* where = bad_end == LinkEnd::kSource ? ".from" : bad_end == LinkEnd::kTarget ? ".to" : "";
          return make_error(checked.error().with_context(path + where));
        }
        if (auto added = graph.add_link(std::move(link)); !added) return make_error(added.error().with_context(path));
        return {};
      };
      if (auto loaded = load(); !loaded) errors.add(loaded.error());
    }
  }

  // Whole-graph checks only on a graph that loaded whole (a missing processor or link would
  // show up again here as a second, misleading error).
  if (errors.empty()) {
    if (auto valid = graph.validate(); !valid) errors.add(valid.error());
  }
  if (!errors.empty()) return make_error(errors.combined());
  return graph;
}

nlohmann::json Graph::to_json_value() const {
  std::vector<const ProcessorNode*> nodes;
  nodes.reserve(nodes_.size());
  for (const auto& n : nodes_) nodes.push_back(&n);
  std::sort(nodes.begin(), nodes.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::vector<const Link*> links;
  links.reserve(links_.size());
  for (const auto& l : links_) links.push_back(&l);
  std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->id < b->id; });

  nlohmann::json procs = nlohmann::json::array();
  for (const ProcessorNode* n : nodes) {
    procs.push_back(nlohmann::json{{"id", n->id.str()}, {"type", n->type}, {"config", n->config}});
  }
  nlohmann::json out_links = nlohmann::json::array();
  for (const Link* l : links) {
    nlohmann::json j = l->config.to_json();
    if (l->id != default_link_id(l->source, l->target)) j["id"] = l->id.str();
    j["from"] = l->source.str();
    j["to"] = l->target.str();
    out_links.push_back(std::move(j));
  }
  nlohmann::json out{{"processors", std::move(procs)}, {"links", std::move(out_links)}};
  if (executor_) {
    if (executor_->workers == 0) {
      out["executor"] = std::string(enum_name(executor_->kind));
    } else {
      out["executor"] = {{"kind", std::string(enum_name(executor_->kind))}, {"workers", executor_->workers}};
    }
  }
  return out;
}

std::string Graph::to_json(int indent) const { return to_json_value().dump(indent); }

}  // namespace streamlib
