#include "streamlib/suggest.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace streamlib {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto same = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_name(std::string_view typed, std::span<const std::string_view> candidates) {
  std::size_t best = std::max<std::size_t>(2, typed.size() / 3) + 1;
  std::string_view pick;
  for (std::string_view c : candidates) {
    if (const std::size_t d = edit_distance(typed, c); d < best) {
      best = d;
      pick = c;
    }
  }
  return std::string(pick);
}

Error unknown_field_error(std::string_view path, std::string_view key, std::span<const std::string_view> known) {
  const std::string near = closest_name(key, known);
  const std::string hint = near.empty() ? "" : fmt::format("did you mean '{}'? ", near);
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("{}: unknown field '{}' ({}known fields: {})", path, key, hint,
                           known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
}

}  // namespace streamlib
