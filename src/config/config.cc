#include "streamlib/config.h"
#include "streamlib/config_values.h"

#include <charconv>
#include <cstdlib>
#include <numeric>

namespace streamlib {

std::string_view to_string(ConfigReload reload) {
  switch (reload) {
    case ConfigReload::kUnknown:
      return "unknown";
    case ConfigReload::kLive:
      return "live";
    case ConfigReload::kRestart:
      return "restart";
    case ConfigReload::kRefused:
      return "refused";
  }
  return "unknown";
}

nlohmann::json ConfigSchema::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    nlohmann::json field{{"name", f.name}, {"type", f.type}, {"default", f.default_value}};
    if (!f.description.empty()) field["description"] = f.description;
    if (!f.range.empty()) field["range"] = f.range;
    if (f.reload != ConfigReload::kUnknown) field["reload"] = std::string(to_string(f.reload));
    out.push_back(std::move(field));
  }
  return out;
}

Result<FrameRate> FrameRate::of(std::int64_t num, std::int64_t den) {
  if (den == 0) return make_error(ErrorCode::kInvalidArgument, "{}/{} has a zero denominator", num, den);
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const std::int64_t g = std::gcd(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  constexpr std::int64_t kMax = std::numeric_limits<int>::max();
  if (num > kMax || num < -kMax || den > kMax) {
    return make_error(ErrorCode::kInvalidArgument, "{}/{} is too large a fraction", num, den);
  }
  FrameRate r;
  r.num = static_cast<int>(num);
  r.den = static_cast<int>(den);
  return r;
}

Result<FrameRate> FrameRate::from_double(double fps) {
  if (!std::isfinite(fps) || std::abs(fps) > 1e9) {
    return make_error(ErrorCode::kInvalidArgument, "{} is not a frame rate", fps);
  }
  if (fps == std::trunc(fps)) return of(static_cast<std::int64_t>(fps), 1);
  // NTSC rates (n*1000/1001) are written 23.976, 29.97, 59.94: they mean the exact rate.
  const double n = std::round(fps * 1.001);
  if (n != 0 && std::abs(fps - n * 1000.0 / 1001.0) < 0.005) return of(static_cast<std::int64_t>(n) * 1000, 1001);
  // The nearest fraction with a denominator up to kMaxDen (continued fractions, as av_d2q).
  constexpr std::int64_t kMaxDen = 1001000;
  const bool negative = fps < 0;
  double x = std::abs(fps);
  std::int64_t p0 = 0, q0 = 1, p1 = 1, q1 = 0;  // convergents p/q
  for (int i = 0; i < 64; ++i) {
    const double a = std::floor(x);
    const auto ai = static_cast<std::int64_t>(a);
    if (q0 + ai * q1 > kMaxDen) {
      // The best semiconvergent within the limit, if it beats the last convergent.
      const std::int64_t k = (kMaxDen - q0) / q1;
      const std::int64_t ps = p0 + k * p1, qs = q0 + k * q1;
      const double target = std::abs(fps);
      if (std::abs(static_cast<double>(ps) / qs - target) < std::abs(static_cast<double>(p1) / q1 - target)) {
        p1 = ps;
        q1 = qs;
      }
      break;
    }
    const std::int64_t p2 = p0 + ai * p1, q2 = q0 + ai * q1;
    p0 = p1;
    q0 = q1;
    p1 = p2;
    q1 = q2;
    const double frac = x - a;
    if (frac < 1e-12 || std::abs(static_cast<double>(p1) / q1 - std::abs(fps)) < 1e-12) break;
    x = 1.0 / frac;
  }
  return of(negative ? -p1 : p1, q1);
}

Result<FrameRate> FrameRate::parse(std::string_view text) {
  const std::string_view spaces = " \t";
  const std::size_t b = text.find_first_not_of(spaces);
  if (b == std::string_view::npos) return make_error(ErrorCode::kInvalidArgument, "'' is not a frame rate");
  const std::string_view t = text.substr(b, text.find_last_not_of(spaces) - b + 1);
  auto not_a_rate = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      "'{}' is not a frame rate (an integer, a decimal like 29.97 or a fraction like 30000/1001)",
                      text);
  };
  auto integer = [](std::string_view s, std::int64_t& v) {
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, v);
    return ec == std::errc() && ptr == end && !s.empty();
  };
  if (const std::size_t slash = t.find('/'); slash != std::string_view::npos) {
    std::int64_t num = 0, den = 0;
    if (!integer(t.substr(0, slash), num) || !integer(t.substr(slash + 1), den)) return not_a_rate();
    if (den == 0) return make_error(ErrorCode::kInvalidArgument, "'{}' has a zero denominator", text);
    return of(num, den);
  }
  if (std::int64_t v = 0; integer(t, v)) return of(v, 1);
  const std::string s(t);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return not_a_rate();
  return from_double(d);
}

std::string FrameRate::to_string() const { return den == 1 ? fmt::format("{}", num) : fmt::format("{}/{}", num, den); }

Result<void> check_frame_rate(std::string_view field, FrameRate rate, int lo, int hi) {
  // num/den within [lo, hi], compared exactly (num and den fit in int, so the products fit in int64).
  const std::int64_t n = rate.num, d = rate.den;
  if (n < std::int64_t{lo} * d || n > std::int64_t{hi} * d) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range [{}, {}]", field, rate.to_string(), lo, hi);
  }
  return {};
}

namespace internal {

Result<void> FieldCodec<FrameRate>::from_json(const nlohmann::json& j, std::string_view path, FrameRate& out) {
  Result<FrameRate> r = make_error(ErrorCode::kInvalidArgument, "");
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      return make_error(ErrorCode::kInvalidArgument, "{}: {} is out of range for a frame rate", path, j.dump());
    }
    r = FrameRate::of(j.get<std::int64_t>(), 1);
  } else if (j.is_number_float()) {
    r = FrameRate::from_double(j.get<double>());
  } else if (j.is_string()) {
    r = FrameRate::parse(j.get<std::string>());
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: expected a frame rate (an integer, a decimal or a string like \"30000/1001\"), got {}", path,
                      json_type_name(j));
  }
  if (!r) return make_error(Error(r.error().code(), fmt::format("{}: {}", path, r.error().message())));
  out = *r;
  return {};
}

Result<void> FieldCodec<OptionMap>::from_json(const nlohmann::json& j, std::string_view path, OptionMap& out) {
  if (!j.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: expected object, got {}", path, json_type_name(j));
  }
  OptionMap result;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const nlohmann::json& v = it.value();
    if (v.is_string()) {
      result.emplace(it.key(), v.get<std::string>());
    } else if (v.is_boolean()) {
      result.emplace(it.key(), v.get<bool>() ? "1" : "0");
    } else if (v.is_number()) {
      result.emplace(it.key(), v.dump());
    } else {
      return make_error(ErrorCode::kInvalidArgument, "{}: expected a string, number or boolean, got {}",
                        join_path(path, it.key()), json_type_name(v));
    }
  }
  out = std::move(result);
  return {};
}

std::string join_path(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  std::string out(path);
  out += '.';
  out += field;
  return out;
}

std::string join_index(std::string_view path, std::size_t index) { return fmt::format("{}[{}]", path, index); }

}  // namespace internal
}  // namespace streamlib
