// Processor configs: plain structs mapped to JSON, with a schema for validation and the CLI.
//
//   struct GainConfig {
//     float gain = 1.0f;
//     std::string label;
//     // Optional: range checks beyond the field types. Name the field in the message.
//     streamlib::Result<void> validate() const {
//       return streamlib::check_range("gain", gain, 0.0f, 16.0f);
//     }
//   };
//   STREAMLIB_CONFIG(GainConfig, gain, label);
//
//   auto cfg = streamlib::config_from_json<GainConfig>({{"gain", 2.0}});   // strict
//   nlohmann::json j = streamlib::config_to_json(*cfg);                    // every field
//   streamlib::ConfigSchema s = streamlib::config_schema<GainConfig>();    // names, types, defaults
//
// Parsing is strict: an unknown field, a value of the wrong JSON type, an integer that does not
// fit the C++ type, or a failed validate() each give an Error naming the field
// ("config.gain: expected number, got string"). Missing fields keep the struct's default.
//
// Field types: bool, integers, floating point, std::string, enums named with
// STREAMLIB_ENUM_NAMES, std::vector<T>, std::optional<T>, std::map<std::string, T>, and other
// STREAMLIB_CONFIG structs (nested objects).
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/internal/for_each.h"
#include "streamlib/result.h"
#include "streamlib/suggest.h"

namespace streamlib {

// One field of a config schema, as the CLI and `streamlib processors NAME` show it.
// How a change of one config field reaches a running processor (shown by `streamlib processors
// NAME`, as gst-inspect shows a property's flags).
enum class ConfigReload {
  kUnknown,  // not documented
  kLive,     // applied by on_config_change while the processor runs, no gap
  kRestart,  // accepted; the processor reopens what it holds (a device, a codec) to apply it
  kRefused,  // cannot change while running: the change is refused with an error
};
std::string_view to_string(ConfigReload reload);

// The documentation of one config field, declared beside the struct with
// STREAMLIB_CONFIG_DOCS: what it means, the values it takes (a range, a list, a unit), and how
// a live change of it is applied.
struct ConfigFieldDoc {
  std::string_view name;
  std::string_view description;
  std::string_view range;  // "" when the type says it all
  ConfigReload reload = ConfigReload::kUnknown;
};

struct ConfigFieldSchema {
  std::string name;
  std::string type;  // "bool", "int", "uint", "float", "string", "enum(a|b)", "array<T>", ...
  nlohmann::json default_value;
  std::string description;  // from STREAMLIB_CONFIG_DOCS, empty if none
  std::string range;
  ConfigReload reload = ConfigReload::kUnknown;
};

struct ConfigSchema {
  std::vector<ConfigFieldSchema> fields;
  // Names in STREAMLIB_CONFIG_DOCS that match no field (a typo or a renamed field): empty in
  // a correct config; the catalogue's tests check it.
  std::vector<std::string> stray_docs;
  nlohmann::json to_json() const;
};

// The config of a processor that takes none.
struct EmptyConfig {
  friend bool operator==(const EmptyConfig&, const EmptyConfig&) = default;
};

// Returns an error naming `field` unless lo <= value <= hi.
template <class T>
Result<void> check_range(std::string_view field, T value, T lo, T hi) {
  if (!(value >= lo && value <= hi)) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range [{}, {}]", field, value, lo, hi);
  }
  return {};
}

namespace internal {

template <class M>
struct is_config_field;

template <class... T>
inline constexpr bool always_false_v = false;

template <class C, class M>
struct ConfigField {
  static_assert(is_config_field<M>::value,
                "streamlib: a STREAMLIB_CONFIG field has a type that cannot be mapped to JSON (see the field type "
                "below); use bool, an integer, a floating-point type, std::string, an enum named with "
                "STREAMLIB_ENUM_NAMES, std::vector / std::optional / std::map<std::string, T> of those, or another "
                "STREAMLIB_CONFIG struct");
  std::string_view name;
  M C::*member;
};

inline std::string json_type_name(const nlohmann::json& j) {
  if (j.is_boolean()) return "boolean";
  if (j.is_number_integer()) return "integer";
  if (j.is_number_float()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  if (j.is_object()) return "object";
  return "null";
}

std::string join_path(std::string_view path, std::string_view field);
std::string join_index(std::string_view path, std::size_t index);

}  // namespace internal

template <class C>
concept ConfigStruct = requires(const C* c) {
  streamlib_config_fields(c);
};

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(const E* e) {
  streamlib_enum_names(e);
};

// The name of an enum value registered with STREAMLIB_ENUM_NAMES ("" if unnamed).
template <NamedEnum E>
std::string_view enum_name(E value) {
  for (const auto& [v, name] : streamlib_enum_names(static_cast<const E*>(nullptr))) {
    if (v == value) return name;
  }
  return {};
}

// Parses an enum value from its registered name.
template <NamedEnum E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const auto& [v, n] : streamlib_enum_names(static_cast<const E*>(nullptr))) {
    if (n == name) return v;
  }
  return std::nullopt;
}

template <NamedEnum E>
std::string enum_choices() {
  std::string out;
  for (const auto& [v, n] : streamlib_enum_names(static_cast<const E*>(nullptr))) {
    if (!out.empty()) out += "|";
    out += n;
  }
  return out;
}

template <ConfigStruct C>
nlohmann::json config_to_json(const C& config);
template <ConfigStruct C>
Result<C> config_from_json(const nlohmann::json& json, std::string_view path = "config");
template <ConfigStruct C>
ConfigSchema config_schema();

namespace internal {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T, class Cmp, class A>
struct is_string_map<std::map<std::string, T, Cmp, A>> : std::true_type {};

// Which field types a config may have (mirrors the FieldCodec specializations below).
template <class M>
struct is_config_field
    : std::bool_constant<std::is_same_v<M, bool> || std::is_integral_v<M> || std::is_floating_point_v<M> ||
                         std::is_same_v<M, std::string> || NamedEnum<M> || ConfigStruct<M>> {};
template <class T, class A>
struct is_config_field<std::vector<T, A>> : is_config_field<T> {};
template <class T>
struct is_config_field<std::optional<T>> : is_config_field<T> {};
template <class T, class Cmp, class A>
struct is_config_field<std::map<std::string, T, Cmp, A>> : is_config_field<T> {};

// FieldCodec<T>: JSON <-> T for one config field type. The primary template is for types no
// specialization takes: ConfigField has already said so in one sentence, and these stubs keep
// the compiler from adding pages of follow-on errors.
template <class T, class Enable = void>
struct FieldCodec {
  static std::string type_name() { return "unsupported"; }
  static nlohmann::json to_json(const T&) { return nullptr; }
  static Result<void> from_json(const nlohmann::json&, std::string_view, T&) { return {}; }
};

template <>
struct FieldCodec<bool> {
  static std::string type_name() { return "bool"; }
  static nlohmann::json to_json(bool v) { return v; }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, bool& out) {
    if (!j.is_boolean()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected boolean, got {}", path, json_type_name(j));
    }
    out = j.get<bool>();
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::string type_name() { return std::is_signed_v<T> ? "int" : "uint"; }
  static nlohmann::json to_json(T v) { return v; }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    if (j.is_number_float()) {
      double d = j.get<double>();
      if (std::trunc(d) != d) {
        return make_error(ErrorCode::kInvalidArgument, "{}: expected integer, got {}", path, j.dump());
      }
      if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
          d > static_cast<double>(std::numeric_limits<T>::max())) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for {}", path, j.dump(), type_name());
      }
      out = static_cast<T>(d);
      return {};
    }
    if (!j.is_number_integer()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected integer, got {}", path, json_type_name(j));
    }
    if (j.is_number_unsigned()) {
      auto v = j.get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for {}", path, v, type_name());
      }
      out = static_cast<T>(v);
      return {};
    }
    auto v = j.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for {} (must not be negative)", path, v,
                          type_name());
      }
      if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for {}", path, v, type_name());
      }
    } else {
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          v > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for {}", path, v, type_name());
      }
    }
    out = static_cast<T>(v);
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static std::string type_name() { return "float"; }
  static nlohmann::json to_json(T v) { return static_cast<double>(v); }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    if (!j.is_number()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected number, got {}", path, json_type_name(j));
    }
    double d = j.get<double>();
    if (!std::isfinite(d) || std::abs(d) > static_cast<double>(std::numeric_limits<T>::max())) {
      return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for float", path, j.dump());
    }
    out = static_cast<T>(d);
    return {};
  }
};

template <>
struct FieldCodec<std::string> {
  static std::string type_name() { return "string"; }
  static nlohmann::json to_json(const std::string& v) { return v; }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, std::string& out) {
    if (!j.is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected string, got {}", path, json_type_name(j));
    }
    out = j.get<std::string>();
    return {};
  }
};

template <class E>
struct FieldCodec<E, std::enable_if_t<NamedEnum<E>>> {
  static std::string type_name() { return "enum(" + enum_choices<E>() + ")"; }
  static nlohmann::json to_json(E v) { return std::string(enum_name(v)); }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, E& out) {
    if (!j.is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected one of {}, got {}", path, enum_choices<E>(),
                        json_type_name(j));
    }
    auto v = enum_from_name<E>(j.get<std::string>());
    if (!v) {
      return make_error(ErrorCode::kInvalidArgument, "{}: '{}' is not one of {}", path, j.get<std::string>(),
                        enum_choices<E>());
    }
    out = *v;
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<is_vector<T>::value>> {
  using Elem = typename T::value_type;
  static std::string type_name() { return "array<" + FieldCodec<Elem>::type_name() + ">"; }
  static nlohmann::json to_json(const T& v) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : v) out.push_back(FieldCodec<Elem>::to_json(e));
    return out;
  }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    if (!j.is_array()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected array, got {}", path, json_type_name(j));
    }
    T result;
    result.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      Elem e{};
      STREAMLIB_RETURN_IF_ERROR(FieldCodec<Elem>::from_json(j[i], join_index(path, i), e));
      result.push_back(std::move(e));
    }
    out = std::move(result);
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<is_optional<T>::value>> {
  using Elem = typename T::value_type;
  static std::string type_name() { return "optional<" + FieldCodec<Elem>::type_name() + ">"; }
  static nlohmann::json to_json(const T& v) { return v ? FieldCodec<Elem>::to_json(*v) : nlohmann::json(nullptr); }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    if (j.is_null()) {
      out.reset();
      return {};
    }
    Elem e{};
    STREAMLIB_RETURN_IF_ERROR(FieldCodec<Elem>::from_json(j, path, e));
    out = std::move(e);
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<is_string_map<T>::value>> {
  using Elem = typename T::mapped_type;
  static std::string type_name() { return "map<string," + FieldCodec<Elem>::type_name() + ">"; }
  static nlohmann::json to_json(const T& v) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, e] : v) out[k] = FieldCodec<Elem>::to_json(e);
    return out;
  }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    if (!j.is_object()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path, json_type_name(j));
    }
    T result;
    for (auto it = j.begin(); it != j.end(); ++it) {
      Elem e{};
      STREAMLIB_RETURN_IF_ERROR(FieldCodec<Elem>::from_json(it.value(), join_path(path, it.key()), e));
      result.emplace(it.key(), std::move(e));
    }
    out = std::move(result);
    return {};
  }
};

template <class T>
struct FieldCodec<T, std::enable_if_t<ConfigStruct<T>>> {
  static std::string type_name() { return "object"; }
  static nlohmann::json to_json(const T& v) { return config_to_json(v); }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, T& out) {
    STREAMLIB_ASSIGN_OR_RETURN(out, config_from_json<T>(j, path));
    return {};
  }
};

template <class C>
auto fields_of() {
  return streamlib_config_fields(static_cast<const C*>(nullptr));
}

template <class C>
concept HasValidate = requires(const C& c) {
  { c.validate() } -> std::same_as<Result<void>>;
};

}  // namespace internal

template <ConfigStruct C>
nlohmann::json config_to_json(const C& config) {
  nlohmann::json out = nlohmann::json::object();
  std::apply(
      [&](const auto&... field) {
        ((out[std::string(field.name)] =
              internal::FieldCodec<std::remove_cvref_t<decltype(config.*(field.member))>>::to_json(config.*
                                                                                                   (field.member))),
         ...);
      },
      internal::fields_of<C>());
  return out;
}

template <ConfigStruct C>
Result<C> config_from_json(const nlohmann::json& json, std::string_view path) {
  C config{};
  if (json.is_null()) return config;  // no config given: every field keeps its default
  if (!json.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path, internal::json_type_name(json));
  }
  auto fields = internal::fields_of<C>();
  for (auto it = json.begin(); it != json.end(); ++it) {
    bool known = std::apply([&](const auto&... f) { return ((f.name == it.key()) || ... || false); }, fields);
    if (!known) {
      const auto names =
          std::apply([](const auto&... f) { return std::array<std::string_view, sizeof...(f)>{f.name...}; }, fields);
      return make_error(unknown_field_error(path, it.key(), names));
    }
  }
  Result<void> status;
  std::apply(
      [&](const auto&... field) {
        auto one = [&](const auto& f) {
          if (!status) return;
          auto it = json.find(std::string(f.name));
          if (it == json.end()) return;
          using M = std::remove_cvref_t<decltype(config.*(f.member))>;
          status = internal::FieldCodec<M>::from_json(*it, internal::join_path(path, f.name), config.*(f.member));
        };
        (one(field), ...);
        (void)one;  // unused when the config has no fields
      },
      fields);
  if (!status) return make_error(status.error());
  if constexpr (internal::HasValidate<C>) {
    if (auto v = config.validate(); !v) {
      // "payload_bytes: 4 is out of range" becomes "config.payload_bytes: 4 is out of range",
      // like the type errors above, when the message starts with one of the field names.
      const std::string& msg = v.error().message();
      bool names_field = false;
      std::apply(
          [&](const auto&... f) {
            ((names_field = names_field || (msg.size() > f.name.size() && msg.compare(0, f.name.size(), f.name) == 0 &&
                                            msg[f.name.size()] == ':')),
             ...);
          },
          fields);
      if (names_field) return make_error(Error(v.error().code(), fmt::format("{}.{}", path, msg)));
      return make_error(v.error().with_context(path));
    }
  }
  return config;
}

// Found by argument-dependent lookup next to a config struct (STREAMLIB_CONFIG_DOCS); this
// deleted overload only gives the name a declaration here.
void streamlib_config_docs(const void*) = delete;

template <ConfigStruct C>
ConfigSchema config_schema() {
  ConfigSchema schema;
  const C defaults{};
  std::apply(
      [&](const auto&... field) {
        ((schema.fields.push_back(ConfigFieldSchema{
             std::string(field.name),
             internal::FieldCodec<std::remove_cvref_t<decltype(defaults.*(field.member))>>::type_name(),
             internal::FieldCodec<std::remove_cvref_t<decltype(defaults.*(field.member))>>::to_json(defaults.*
                                                                                                    (field.member)),
             std::string(), std::string(), ConfigReload::kUnknown})),
         ...);
      },
      internal::fields_of<C>());
  if constexpr (requires { streamlib_config_docs(static_cast<const C*>(nullptr)); }) {
    for (const ConfigFieldDoc& doc : streamlib_config_docs(static_cast<const C*>(nullptr))) {
      bool matched = false;
      for (ConfigFieldSchema& f : schema.fields) {
        if (f.name != doc.name) continue;
        f.description = std::string(doc.description);
        f.range = std::string(doc.range);
        f.reload = doc.reload;
        matched = true;
      }
      if (!matched) schema.stray_docs.emplace_back(doc.name);
    }
  }
  return schema;
}

[[maybe_unused]] inline auto streamlib_config_fields(const EmptyConfig*) { return std::tuple<>(); }

}  // namespace streamlib

// Declares the JSON mapping of a config struct. Use at namespace scope, after the struct, in
// the struct's namespace: STREAMLIB_CONFIG(GainConfig, gain, label);
#define STREAMLIB_CONFIG(Type, ...)                                                                   \
  [[maybe_unused]] inline auto streamlib_config_fields(const Type*) {                                 \
    return std::make_tuple(                                                                           \
        __VA_OPT__(STREAMLIB_INTERNAL_FOR_EACH(STREAMLIB_INTERNAL_CONFIG_FIELD, Type, __VA_ARGS__))); \
  }                                                                                                   \
  static_assert(true, "")
#define STREAMLIB_INTERNAL_CONFIG_FIELD(Type, field) \
  ::streamlib::internal::ConfigField<Type, decltype(Type::field)> { #field, &Type::field }

// Documents the fields of a config struct, after STREAMLIB_CONFIG, in the same namespace:
//   STREAMLIB_CONFIG_DOCS(GainConfig,
//       {"gain", "Linear gain applied to every sample", "[0, 16]", streamlib::ConfigReload::kLive},
//       {"label", "Shown in stats"});
// Every name must be a field of the struct (the registry's tests check it for the catalogue).
#define STREAMLIB_CONFIG_DOCS(Type, ...)                              \
  [[maybe_unused]] inline auto streamlib_config_docs(const Type*) {   \
    return std::to_array<::streamlib::ConfigFieldDoc>({__VA_ARGS__}); \
  }                                                                   \
  static_assert(true, "")

// Names the values of an enum for configs and JSON, in the enum's namespace:
//   STREAMLIB_ENUM_NAMES(Pattern, {Pattern::kBars, "bars"}, {Pattern::kBall, "ball"});
#define STREAMLIB_ENUM_NAMES(Enum, ...)                                     \
  [[maybe_unused]] constexpr auto streamlib_enum_names(const Enum*) {       \
    return std::to_array<std::pair<Enum, std::string_view>>({__VA_ARGS__}); \
  }                                                                         \
  static_assert(true, "")
