// Config field types of their own, beyond those config.h maps (bool, numbers, strings, enums,
// vectors, optionals, string maps, nested configs): FrameRate, an exact frame rate, and
// OptionMap, a library's options by name. Include this header (not only config.h) in a config
// that has one:
//
//   struct EncoderConfig {
//     streamlib::FrameRate fps = 30;     // JSON: 30, 29.97 or "30000/1001"
//     streamlib::OptionMap options;      // JSON: {"x264-params": "keyint=60", "g": 60}
//     streamlib::Result<void> validate() const { return streamlib::check_frame_rate("fps", fps, 1, 1000); }
//   };
//   STREAMLIB_CONFIG(EncoderConfig, fps, options);
//
// Each is a FieldCodec specialization (with is_config_field), the way to add a field type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "streamlib/config.h"
#include "streamlib/result.h"

namespace streamlib {

// A frame rate as an exact fraction, num/den frames a second, always reduced (30000/1001, not
// 60000/2002). In JSON it is an integer (30), a decimal (29.97) or a string ("30000/1001",
// "25", "23.976"). A decimal within 0.005 of an NTSC rate n*1000/1001 (23.976, 29.97, 59.94)
// is that rate, as video tools mean it; any other decimal is the nearest fraction with a
// denominator up to 1001000 (as FFmpeg's av_d2q, e.g. `ffmpeg -r 12.5`: 25/2). A rate is
// written back as an integer when whole, else as "num/den", so it round-trips. The sign is
// kept in `num` (a config's validate() refuses what is out of its range, with
// check_frame_rate); a zero denominator or text that is no number is an error naming the field.
struct FrameRate {
  int num = 30;
  int den = 1;

  constexpr FrameRate() = default;
  // Whole frames a second: `.fps = 30` in a config's designated initializer.
  constexpr FrameRate(int fps) : num(fps) {}  // NOLINT(google-explicit-constructor)
  // num/den, reduced; den must not be 0.
  static Result<FrameRate> of(std::int64_t num, std::int64_t den);
  // A decimal as described above (finite).
  static Result<FrameRate> from_double(double fps);
  // "30000/1001", "30", "29.97" (surrounding spaces allowed).
  static Result<FrameRate> parse(std::string_view text);

  double value() const { return static_cast<double>(num) / den; }
  std::string to_string() const;  // "30" or "30000/1001"
  friend bool operator==(const FrameRate&, const FrameRate&) = default;
};

// Returns an error naming `field` unless lo <= rate <= hi ("fps: 0 is out of range [1, 1000]").
Result<void> check_frame_rate(std::string_view field, FrameRate rate, int lo, int hi);

// Options handed to a library by name, e.g. FFmpeg's AVDictionary ({"movflags": "+faststart"},
// {"x264-params": "keyint=60"}). The values are strings; in JSON a number or a boolean is taken
// too and kept as text (2 -> "2", 0.5 -> "0.5", true -> "1"), since the library parses them
// itself. Other JSON values (null, arrays, objects) are errors naming the key.
struct OptionMap : std::map<std::string, std::string> {
  using std::map<std::string, std::string>::map;
};

namespace internal {

template <>
struct is_config_field<FrameRate> : std::true_type {};
template <>
struct is_config_field<OptionMap> : std::true_type {};

template <>
struct FieldCodec<FrameRate> {
  static std::string type_name() { return "frame_rate"; }
  static nlohmann::json to_json(const FrameRate& v) {
    if (v.den == 1) return v.num;
    return v.to_string();
  }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, FrameRate& out);
};

template <>
struct FieldCodec<OptionMap> {
  static std::string type_name() { return "map<string,string>"; }
  static nlohmann::json to_json(const OptionMap& v) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, e] : v) out[k] = e;
    return out;
  }
  static Result<void> from_json(const nlohmann::json& j, std::string_view path, OptionMap& out);
};

}  // namespace internal
}  // namespace streamlib
