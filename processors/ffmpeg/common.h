// Helpers shared by the FFmpeg processors: error naming and pacing. Private to the component.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "streamlib/processor.h"
#include "streamlib/result.h"

namespace streamlib::internal {

// "FileWriter 'writer_0': <message>": every error a processor returns names it (the runtime
// also names the processor in its event, but a harness or a log line read alone should too).
inline Error named_error(const ProcessorBase& p, const Error& error) {
  return error.with_context(fmt::format("{} '{}'", p.type_name(), p.context().processor_id()));
}

// Nanoseconds of frame `n` at fps_num/fps_den frames a second (e.g. 30000/1001), without drift:
// floor(n * den * 1e9 / num), computed so that no step overflows for any int num and den.
inline std::int64_t frame_time_ns(std::uint64_t n, int fps_num, int fps_den) {
  constexpr std::uint64_t kNs = 1'000'000'000ULL;
  const auto num = static_cast<std::uint64_t>(fps_num);
  const auto den = static_cast<std::uint64_t>(fps_den);
  const std::uint64_t whole = n / num;       // whole groups of `num` frames last `den` seconds
  const std::uint64_t part = n % num * den;  // the rest lasts part/num seconds
  return static_cast<std::int64_t>(whole * den * kNs + part / num * kNs + part % num * kNs / num);
}

// Nanoseconds of sample `position` at `rate` samples a second, without drift.
inline std::int64_t sample_time_ns(std::int64_t position, int rate) {
  return position / rate * 1'000'000'000LL + position % rate * 1'000'000'000LL / rate;
}

// The first field (in declaration order) whose value differs between `now` and `next`, leaving
// out the fields named in `changeable`; nullptr if none. For on_config_change: what it must
// refuse to change while its stream runs.
template <class C>
const char* first_changed_field(const C& now, const C& next, std::initializer_list<std::string_view> changeable) {
  const char* found = nullptr;
  std::apply(
      [&](const auto&... field) {
        auto check = [&](const auto& f) {
          if (found != nullptr || now.*(f.member) == next.*(f.member)) return;
          if (std::find(changeable.begin(), changeable.end(), f.name) == changeable.end()) found = f.name.data();
        };
        (check(field), ...);
      },
      fields_of<C>());
  return found;
}

}  // namespace streamlib::internal
