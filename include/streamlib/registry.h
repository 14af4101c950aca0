// ProcessorFactory: the registry of processor types.
//
// It knows each type's name, description, execution mode, ports (name, direction, message
// type, description) and config schema with defaults, and creates instances from a type name
// and config JSON — rejecting unknown fields and wrong types with an error naming them.
//
//   auto& factory = streamlib::ProcessorFactory::global();        // built-ins registered
//   const ProcessorDescriptor* d = factory.find("Counter");
//   auto instance = factory.create("Counter", {{"expect_sequence", true}});
//   auto node = factory.make_node(ProcessorId{"count"}, "Counter", {});   // for a Graph
//
// User types register with STREAMLIB_REGISTER(MyType) at namespace scope in a .cc file, or
// are registered on first use by StreamRuntime::add_processor<MyType>().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/config.h"
#include "streamlib/graph/ids.h"
#include "streamlib/graph/processor_node.h"
#include "streamlib/processor.h"
#include "streamlib/result.h"

namespace streamlib {

struct ProcessorDescriptor {
  std::string type_name;
  std::string description;
  ExecutionConfig execution;  // as declared (an instance may derive its own from its config)
  std::vector<PortInfo> inputs;
  std::vector<PortInfo> outputs;
  // The same ports, shared by every graph node of this type (set by register_descriptor);
  // for a type whose ports depend on its config, the ports of the default config.
  std::shared_ptr<const ProcessorPorts> ports;
  // True if the type's ports depend on its config (it overrides declare_ports()).
  bool ports_from_config = false;
  ConfigSchema config_schema;
  nlohmann::json default_config;
  std::type_index cpp_type = typeid(void);

  // A new instance with the default config.
  std::function<std::unique_ptr<ProcessorBase>()> construct;
  // A default instance that is never set up: its ports make link channels of the right type.
  std::shared_ptr<const ProcessorBase> prototype;
  // Strict parse of a config (errors located at `path`), returned with every field present;
  // fills `resources` (when not null) with the config's exclusive resources, if it declares any.
  std::function<Result<nlohmann::json>(const nlohmann::json& config, std::string_view path,
                                       std::vector<std::string>* resources)>
      canonicalize;

  const PortInfo* find_input(std::string_view name) const { return find_port(inputs, name); }
  const PortInfo* find_output(std::string_view name) const { return find_port(outputs, name); }

  // The ports of an instance with `config` (canonical): the type's shared ports, or, when they
  // depend on the config, those of an instance made with it (not set up).
  Result<std::shared_ptr<const ProcessorPorts>> ports_for(const nlohmann::json& config) const;

  // {"type", "description", "execution", "inputs": [...], "outputs": [...], "config": [...]}
  nlohmann::json to_json() const;
};

class ProcessorFactory {
 public:
  ProcessorFactory() = default;
  ProcessorFactory(const ProcessorFactory&) = delete;
  ProcessorFactory& operator=(const ProcessorFactory&) = delete;

  // The process-wide registry, with the built-in processors registered.
  static ProcessorFactory& global();

  // Registers P. Registering the same C++ type again is a no-op; another type under the same
  // name is an error.
  template <class P>
  Result<void> register_type();
  Result<void> register_descriptor(ProcessorDescriptor descriptor);

  // Null if no such type. Descriptors live as long as the factory.
  const ProcessorDescriptor* find(std::string_view type_name) const;
  // The type, or kNotFound "unknown processor type 'X' (known types: A, B, C)": the message
  // to show a user who typed a type name.
  Result<const ProcessorDescriptor*> lookup(std::string_view type_name) const;
  // Every registered type, sorted by name.
  std::vector<const ProcessorDescriptor*> list() const;

  // The config with defaults filled in, or an error naming the bad field.
  Result<nlohmann::json> canonical_config(std::string_view type_name, const nlohmann::json& config,
                                          std::string_view path = "config") const;
  // A Graph node: canonical config, its checksum, and the type's ports.
  Result<ProcessorNode> make_node(const ProcessorId& id, std::string_view type_name, const nlohmann::json& config,
                                  std::string_view path = "config") const;
  // A configured instance, ready for setup().
  Result<std::unique_ptr<ProcessorBase>> create(std::string_view type_name, const nlohmann::json& config) const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<ProcessorDescriptor>> by_name_;  // GUARDED_BY(mutex_)
};

// Adds StreamLib's built-in processors (NullSink, Counter, SequenceSource, ...) to `factory`.
void register_builtin_processors(ProcessorFactory& factory);

// A processor library (a CMake component such as streamlib::ffmpeg) registers its processors
// into the global factory through a module, declared once in one of its .cc files:
//
//   STREAMLIB_MODULE(ffmpeg) {
//     (void)factory.register_type<VideoEncoder>();
//   }
//
// The component's CMake target makes every program that links it reference the module's
// symbol (-Wl,--undefined=streamlib_module_ffmpeg), so the module's object file is linked in
// and runs at program start; a program that links only the core pulls in no module.
using ModuleRegisterFn = void (*)(ProcessorFactory&);
// The modules linked into this program, by name, in the order they registered.
std::vector<std::string> loaded_modules();

namespace internal {
// Runs `fn` on the global factory (now, or when the factory is first made).
bool add_module(const char* name, ModuleRegisterFn fn);
}  // namespace internal

// A config may declare what its processor must have to itself, as strings "kind:name" —
// FileWriter's output file as "file:/absolute/normal/path" (later: camera devices, listening
// ports). The Graph refuses a second processor claiming the same one (at add_processor, at a
// config change, in validate()), naming both, so two writers never share a file:
//
//   std::vector<std::string> exclusive_resources() const { return {file_resource(path)}; }
template <class C>
concept HasExclusiveResources = requires(const C& c) {
  { c.exclusive_resources() } -> std::same_as<std::vector<std::string>>;
};

// "file:" + `path` made absolute and normal (symlinks of folders that exist resolved), so
// "out.mp4", "./out.mp4" and "/cwd/out.mp4" are one resource.
std::string file_resource(std::string_view path);

template <class P>
concept ProcessorType = std::derived_from<P, ProcessorBase> && std::default_initializable<P> && requires {
  typename P::ConfigType;
  { P::kTypeName } -> std::convertible_to<std::string_view>;
  { P::kDescription } -> std::convertible_to<std::string_view>;
  { P::declared_execution_config() } -> std::same_as<ExecutionConfig>;
};

template <class P>
Result<void> ProcessorFactory::register_type() {
  static_assert(ProcessorType<P>,
                "a processor derives from streamlib::Processor<Config>, is default-constructible and "
                "declares STREAMLIB_PROCESSOR(...)");
  {
    std::shared_lock lock(mutex_);
    auto it = by_name_.find(std::string(P::kTypeName));
    if (it != by_name_.end() && it->second->cpp_type == std::type_index(typeid(P))) return {};
  }
  using Config = typename P::ConfigType;
  if constexpr (!ConfigStruct<Config>) {
    // Processor<Config> has said why in one sentence; this keeps follow-on errors away.
    return make_error(ErrorCode::kInvalidArgument, "{}: its config type has no STREAMLIB_CONFIG", P::kTypeName);
  } else {
    const P& proto = internal::prototype<P>();
    ProcessorDescriptor d;
    d.type_name = std::string(P::kTypeName);
    d.description = std::string(P::kDescription);
    d.execution = P::declared_execution_config();
    // &P::declare_ports names the class that declares it: ProcessorBase unless P overrides it.
    d.ports_from_config = !std::is_same_v<decltype(&P::declare_ports), Result<void> (ProcessorBase::*)()>;
    if (d.ports_from_config) {
      P sample;  // the default config's ports
      if (auto r = sample.refresh_ports(); !r) return make_error(r.error().with_context(d.type_name));
      for (const InputPortBase* in : sample.inputs()) d.inputs.push_back(in->info());
      for (const OutputPortBase* out : sample.outputs()) d.outputs.push_back(out->info());
    } else {
      for (const InputPortBase* in : proto.inputs()) d.inputs.push_back(in->info());
      for (const OutputPortBase* out : proto.outputs()) d.outputs.push_back(out->info());
    }
    d.config_schema = config_schema<Config>();
    if (!d.config_schema.stray_docs.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: STREAMLIB_CONFIG_DOCS names '{}', which is not a field of its config", d.type_name,
                        d.config_schema.stray_docs.front());
    }
    d.default_config = config_to_json(Config{});
    d.cpp_type = std::type_index(typeid(P));
    d.construct = [] { return std::unique_ptr<ProcessorBase>(new P()); };
    d.prototype = std::shared_ptr<const ProcessorBase>(&proto, [](const ProcessorBase*) {});  // static
    d.canonicalize = [](const nlohmann::json& config, std::string_view path,
                        std::vector<std::string>* resources) -> Result<nlohmann::json> {
      STREAMLIB_ASSIGN_OR_RETURN(Config parsed, config_from_json<Config>(config, path));
      if constexpr (HasExclusiveResources<Config>) {
        if (resources != nullptr) *resources = parsed.exclusive_resources();
      }
      return config_to_json(parsed);
    };
    return register_descriptor(std::move(d));
  }
}

namespace internal {
template <class P>
bool register_global() {
  auto r = ProcessorFactory::global().register_type<P>();
  return r.has_value();
}
}  // namespace internal

}  // namespace streamlib

// Registers a processor type with the global registry at program start.
#define STREAMLIB_MODULE(name)                                                     \
  extern "C" void streamlib_module_##name(::streamlib::ProcessorFactory& factory); \
  [[maybe_unused]] static const bool streamlib_module_registered_##name =          \
      ::streamlib::internal::add_module(#name, &streamlib_module_##name);          \
  extern "C" void streamlib_module_##name([[maybe_unused]] ::streamlib::ProcessorFactory& factory)

#define STREAMLIB_REGISTER(Type)                                                                  \
  [[maybe_unused]] static const bool STREAMLIB_INTERNAL_CONCAT(streamlib_registered_, __LINE__) = \
      ::streamlib::internal::register_global<Type>()
