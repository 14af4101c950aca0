// What may travel on a link: a copyable type with a registered message-type name and link
// defaults. The built-in types are VideoFrame, AudioFrame, DataFrame (and AnyFrame for inputs
// that take any of them). Users can add their own, in the type's namespace:
//
//   struct Tick { std::uint64_t seq; };
//   STREAMLIB_MESSAGE_TYPE(Tick, 64, streamlib::LinkPolicy::kBlock);
//
// Two ports connect only if their message-type names match (or the input is AnyFrame).
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "streamlib/link/link_config.h"

namespace streamlib {

struct MessageTypeInfo {
  std::string_view name;
  std::uint32_t default_capacity;
  LinkPolicy default_policy;
};

template <class T>
concept Message = std::copyable<T> && requires(const T* t) {
  { streamlib_message_info(t) } -> std::same_as<MessageTypeInfo>;
};

template <Message T>
constexpr MessageTypeInfo message_info() {
  return streamlib_message_info(static_cast<const T*>(nullptr));
}

// The complete default LinkConfig for links carrying T.
template <Message T>
LinkConfig default_link_config() {
  constexpr MessageTypeInfo info = message_info<T>();
  return LinkConfig{info.default_capacity, info.default_policy, ReadMode::kSequential, kDefaultBlockTimeout};
}

}  // namespace streamlib

#define STREAMLIB_MESSAGE_TYPE(Type, default_capacity, default_policy)                          \
  [[maybe_unused]] constexpr ::streamlib::MessageTypeInfo streamlib_message_info(const Type*) { \
    return ::streamlib::MessageTypeInfo{#Type, default_capacity, default_policy};               \
  }                                                                                             \
  static_assert(true, "")
