#include "streamlib/registry.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>
#include <vector>

#include "streamlib/suggest.h"

namespace streamlib {

namespace {
nlohmann::json ports_json(const std::vector<PortInfo>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ports) {
    out.push_back({{"name", p.name},
                   {"direction", std::string(enum_name(p.direction))},
                   {"message_type", p.message_type},
                   {"description", p.description},
                   {"default_link", p.default_link.to_json()}});
  }
  return out;
}
}  // namespace

nlohmann::json ProcessorDescriptor::to_json() const {
  return {{"type", type_name},
          {"description", description},
          {"execution", to_string(execution.mode)},
          {"priority", std::string(enum_name(execution.priority))},
          {"ports_from_config", ports_from_config},
          {"inputs", ports_json(inputs)},
          {"outputs", ports_json(outputs)},
          {"config", config_schema.to_json()}};
}

namespace {

// Modules announce themselves during static initialization, possibly before or after the
// global factory is first made; whichever comes second does the registering.
struct ModuleList {
  std::mutex mutex;
  std::vector<std::pair<std::string, ModuleRegisterFn>> modules;  // GUARDED_BY(mutex)
  ProcessorFactory* factory = nullptr;                            // GUARDED_BY(mutex)
};

ModuleList& module_list() {
  static ModuleList* list = new ModuleList();  // never destroyed, like the factory
  return *list;
}

}  // namespace

ProcessorFactory& ProcessorFactory::global() {
  static ProcessorFactory* factory = [] {
    auto* f = new ProcessorFactory();  // never destroyed: registrations may run at exit
    register_builtin_processors(*f);
    ModuleList& list = module_list();
    std::lock_guard lock(list.mutex);
    for (const auto& module : list.modules) module.second(*f);
    list.factory = f;
    return f;
  }();
  return *factory;
}

std::vector<std::string> loaded_modules() {
  ModuleList& list = module_list();
  std::lock_guard lock(list.mutex);
  std::vector<std::string> names;
  names.reserve(list.modules.size());
  for (const auto& module : list.modules) names.push_back(module.first);
  return names;
}

namespace internal {

bool add_module(const char* name, ModuleRegisterFn fn) {
  ModuleList& list = module_list();
  std::lock_guard lock(list.mutex);
  for (const auto& module : list.modules) {
    if (module.first == name) return true;
  }
  list.modules.emplace_back(name, fn);
  if (list.factory != nullptr) fn(*list.factory);
  return true;
}

}  // namespace internal

Result<void> ProcessorFactory::register_descriptor(ProcessorDescriptor descriptor) {
  if (descriptor.type_name.empty()) return make_error(ErrorCode::kInvalidArgument, "processor type name is empty");
  std::unique_lock lock(mutex_);
  auto it = by_name_.find(descriptor.type_name);
  if (it != by_name_.end()) {
    if (it->second->cpp_type == descriptor.cpp_type) return {};
    return make_error(ErrorCode::kAlreadyExists, "processor type '{}' is already registered by another class",
                      descriptor.type_name);
  }
  descriptor.ports = std::make_shared<const ProcessorPorts>(ProcessorPorts{descriptor.inputs, descriptor.outputs});
  std::string name = descriptor.type_name;
  by_name_.emplace(std::move(name), std::make_unique<ProcessorDescriptor>(std::move(descriptor)));
  return {};
}

const ProcessorDescriptor* ProcessorFactory::find(std::string_view type_name) const {
  std::shared_lock lock(mutex_);
  auto it = by_name_.find(std::string(type_name));
  return it == by_name_.end() ? nullptr : it->second.get();
}

std::vector<const ProcessorDescriptor*> ProcessorFactory::list() const {
  std::vector<const ProcessorDescriptor*> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, d] : by_name_) out.push_back(d.get());
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->type_name < b->type_name; });
  return out;
}

Result<const ProcessorDescriptor*> ProcessorFactory::lookup(std::string_view type_name) const {
  if (const ProcessorDescriptor* d = find(type_name)) return d;
  // A type within a few edits of the name (a typo, a case slip) is named first.
  std::string known;
  std::vector<std::string_view> names;
  for (const ProcessorDescriptor* d : list()) {
    known += (known.empty() ? "" : ", ") + d->type_name;
    names.push_back(d->type_name);
  }
  const std::string closest = closest_name(type_name, names);
  const std::string hint = closest.empty() ? "" : fmt::format(", did you mean '{}'?", closest);
  return make_error(ErrorCode::kNotFound, "unknown processor type '{}'{} (known types: {})", type_name, hint, known);
}

Result<nlohmann::json> ProcessorFactory::canonical_config(std::string_view type_name, const nlohmann::json& config,
                                                          std::string_view path) const {
  const ProcessorDescriptor* d = find(type_name);
  if (d == nullptr) return make_error(ErrorCode::kNotFound, "unknown processor type '{}'", type_name);
  return d->canonicalize(config, path, nullptr);
}

Result<std::shared_ptr<const ProcessorPorts>> ProcessorDescriptor::ports_for(const nlohmann::json& config) const {
  if (!ports_from_config) return ports;
  std::unique_ptr<ProcessorBase> sample = construct();
  STREAMLIB_RETURN_IF_ERROR(sample->set_config_json(config));
  if (auto r = sample->refresh_ports(); !r)
    return make_error(r.error().with_context(fmt::format("{} ports", type_name)));
  auto out = std::make_shared<ProcessorPorts>();
  for (const InputPortBase* in : sample->inputs()) out->inputs.push_back(in->info());
  for (const OutputPortBase* o : sample->outputs()) out->outputs.push_back(o->info());
  if (ports && *out == *ports) return ports;  // share the common case
  return std::shared_ptr<const ProcessorPorts>(std::move(out));
}

std::string file_resource(std::string_view path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(path), ec);
  if (ec) p = fs::absolute(fs::path(path), ec).lexically_normal();
  if (ec) p = fs::path(path).lexically_normal();
  return "file:" + p.string();
}

Result<ProcessorNode> ProcessorFactory::make_node(const ProcessorId& id, std::string_view type_name,
                                                  const nlohmann::json& config, std::string_view path) const {
  const ProcessorDescriptor* d = find(type_name);
  if (d == nullptr) return make_error(ErrorCode::kNotFound, "unknown processor type '{}'", type_name);
  std::vector<std::string> resources;
  STREAMLIB_ASSIGN_OR_RETURN(nlohmann::json canonical, d->canonicalize(config, path, &resources));
  ProcessorNode node;
  node.exclusive_resources = std::move(resources);
  node.id = id;
  node.type = d->type_name;
  STREAMLIB_ASSIGN_OR_RETURN(node.ports, d->ports_for(canonical));
  node.config_checksum = config_checksum(canonical);
  node.config = std::move(canonical);
  return node;
}

Result<std::unique_ptr<ProcessorBase>> ProcessorFactory::create(std::string_view type_name,
                                                                const nlohmann::json& config) const {
  const ProcessorDescriptor* d = find(type_name);
  if (d == nullptr) return make_error(ErrorCode::kNotFound, "unknown processor type '{}'", type_name);
  std::unique_ptr<ProcessorBase> instance = d->construct();
  if (auto r = instance->set_config_json(config); !r) {
    return make_error(r.error().with_context(fmt::format("{}", type_name)));
  }
  if (auto r = instance->refresh_ports(); !r) return make_error(r.error().with_context(fmt::format("{}", type_name)));
  return instance;
}

}  // namespace streamlib
