// Close matches for "did you mean" in error messages: the registry's unknown processor type,
// the LV2 host's unknown plugin URI.
#pragma once

#include <cstddef>
#include <string_view>

namespace streamlib {

// Edits (insert, delete, replace) between a and b, ignoring ASCII case: "VideoTestSorce" is one
// from "VideoTestSource", "nullsink" none from "NullSink".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace streamlib
