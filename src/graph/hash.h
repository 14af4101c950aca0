// Stable hashing for checksums: FNV-1a (64-bit) over bytes, and a splitmix64 finalizer to
// spread per-element hashes before they are summed (an order-independent combination).
#pragma once

#include <cstdint>
#include <string_view>

namespace streamlib::internal {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = kFnvOffset) {
  std::uint64_t h = seed;
  for (char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= kFnvPrime;
  }
  return h;
}

// Hashes fields in sequence; a separator byte keeps ("ab","c") and ("a","bc") apart.
class StableHasher {
 public:
  StableHasher& add(std::string_view s) {
    h_ = fnv1a64(s, h_);
    h_ = fnv1a64(std::string_view("\x1f", 1), h_);
    return *this;
  }
  StableHasher& add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h_ ^= (v >> (8 * i)) & 0xff;
      h_ *= kFnvPrime;
    }
    return *this;
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = kFnvOffset;
};

constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace streamlib::internal
