// Close matches for "did you mean" in error messages: an unknown processor type, config field or
// graph-file key, the LV2 host's unknown plugin URI.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "streamlib/result.h"

namespace streamlib {

// Edits (insert, delete, replace) between a and b, ignoring ASCII case: "VideoTestSorce" is one
// from "VideoTestSource", "nullsink" none from "NullSink".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate `typed` most likely meant: the nearest one within max(2, |typed| / 3) edits, or ""
// when none is that close. A candidate equal to `typed` (ignoring case) is returned as well.
std::string closest_name(std::string_view typed, std::span<const std::string_view> candidates);

// "PATH: unknown field 'KEY' (did you mean 'X'? known fields: A, B)": one wording for every
// strict JSON reader (graph files, link settings, processor configs).
Error unknown_field_error(std::string_view path, std::string_view key, std::span<const std::string_view> known);

}  // namespace streamlib
