#include "v4l2_common/format_selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

namespace streamlib::v4l2 {

namespace {

constexpr double kRateTolerance = 0.005;  // 29.97 is not 30, 30.0001 is

enum class Family { kYuyv, kMjpeg, kOther };

Family family_of(std::uint32_t fourcc) {
  if (fourcc == kFourccYuyv) return Family::kYuyv;
  if (is_jpeg(fourcc)) return Family::kMjpeg;
  return Family::kOther;
}

std::string_view family_name(Family f) { return f == Family::kYuyv ? "yuyv" : "mjpeg"; }

// An interval for `fps`, as a small fraction: 30 -> 1/30, 29.97 -> 1000/29970 reduced.
Fraction interval_for(double fps) {
  if (std::fabs(fps - std::round(fps)) < 1e-9) return {1, static_cast<std::uint32_t>(std::lround(fps))};
  auto num = std::uint32_t{1000};
  auto den = static_cast<std::uint32_t>(std::lround(fps * 1000.0));
  const std::uint32_t g = std::gcd(num, den);
  return {num / g, den / g};
}

struct Candidate {
  const FormatOption* format = nullptr;
  const SizeOption* size = nullptr;
  Fraction interval;
  double fps = 0.0;
  int size_tier = 2;  // 0 exact, 1 covers the request, 2 smaller in some dimension
  std::uint64_t size_distance = 0;
  std::uint32_t width_distance = 0;
  int rate_tier = 2;  // 0 exact, 1 above, 2 below
  double rate_distance = 0.0;

  auto key() const { return std::tie(size_tier, size_distance, width_distance, rate_tier, rate_distance); }
  // What the request misses, most important first (for choosing between formats).
  std::tuple<bool, bool, bool> shortfall() const { return {size_tier == 2, rate_tier == 2, size_tier != 0}; }
};

int rate_tier(double fps, double want) {
  if (std::fabs(fps - want) <= kRateTolerance * want) return 0;
  return fps > want ? 1 : 2;
}

// The best rate a size offers for `want`; a size that lists no rate is assumed to reach it.
void rank_rate(const SizeOption& size, double want, Candidate& c) {
  struct Option {
    Fraction interval;
    double fps;
  };
  std::vector<Option> options;
  for (const Fraction& i : size.intervals) {
    if (i.numerator != 0 && i.denominator != 0) options.push_back({i, i.fps()});
  }
  if (size.interval_range) {
    const double lo = size.interval_range->max.fps();
    const double hi = size.interval_range->min.fps();
    if (hi > 0.0 && lo <= hi) {
      const double fps = std::clamp(want, lo, hi);
      options.push_back(
          {fps == want ? interval_for(want) : (fps == hi ? size.interval_range->min : size.interval_range->max), fps});
    }
  }
  if (options.empty()) options.push_back({interval_for(want), want});  // not enumerated: the driver decides
  bool first = true;
  for (const Option& o : options) {
    const int tier = rate_tier(o.fps, want);
    const double distance = std::fabs(o.fps - want);
    if (first || std::tie(tier, distance) < std::tie(c.rate_tier, c.rate_distance)) {
      c.interval = o.interval;
      c.fps = o.fps;
      c.rate_tier = tier;
      c.rate_distance = distance;
      first = false;
    }
  }
}

Candidate rank(const FormatOption& format, const SizeOption& size, const FormatRequest& request) {
  Candidate c;
  c.format = &format;
  c.size = &size;
  const auto area = static_cast<std::int64_t>(size.width) * size.height;
  const auto want_area = static_cast<std::int64_t>(request.width) * request.height;
  if (size.width == request.width && size.height == request.height) {
    c.size_tier = 0;
  } else if (size.width >= request.width && size.height >= request.height) {
    c.size_tier = 1;
  } else {
    c.size_tier = 2;
  }
  c.size_distance = static_cast<std::uint64_t>(std::llabs(area - want_area));
  c.width_distance = static_cast<std::uint32_t>(std::abs(static_cast<std::int64_t>(size.width) - request.width));
  rank_rate(size, request.fps, c);
  return c;
}

std::optional<Candidate> best_of(const DeviceDescription& device, Family family, const FormatRequest& request) {
  std::optional<Candidate> best;
  for (const FormatOption& f : device.formats) {
    if (family_of(f.fourcc) != family) continue;
    for (const SizeOption& s : f.sizes) {
      if (s.width == 0 || s.height == 0) continue;
      const Candidate c = rank(f, s, request);
      if (!best || c.key() < best->key()) best = c;
    }
  }
  return best;
}

std::string describe_fit(const Candidate& c, const FormatRequest& request) {
  if (c.size_tier == 0 && c.rate_tier == 0) return "exact match";
  std::vector<std::string> parts;
  if (c.size_tier == 1) parts.push_back(fmt::format("smallest size covering {}x{}", request.width, request.height));
  if (c.size_tier == 2) parts.push_back(fmt::format("largest size short of {}x{}", request.width, request.height));
  if (c.rate_tier == 1) parts.push_back(fmt::format("closest rate above {:g} fps", request.fps));
  if (c.rate_tier == 2) parts.push_back(fmt::format("highest rate below {:g} fps", request.fps));
  if (c.size_tier == 0) parts.insert(parts.begin(), "exact size");
  if (c.rate_tier == 0) parts.push_back("exact rate");
  return fmt::format("{}", fmt::join(parts, ", "));
}

FormatSelection make_selection(const Candidate& c, const FormatRequest& request, std::string_view note) {
  FormatSelection s;
  s.fourcc = c.format->fourcc;
  s.width = c.size->width;
  s.height = c.size->height;
  s.interval = c.interval;
  s.reason = fmt::format("{} {}x{} at {:g} fps: {}", family_name(family_of(s.fourcc)), s.width, s.height, c.fps,
                         describe_fit(c, request));
  if (!note.empty()) s.reason += fmt::format(" ({})", note);
  return s;
}

}  // namespace

Result<FormatSelection> select_format(const DeviceDescription& device, const FormatRequest& request) {
  if (request.width == 0 || request.height == 0) {
    return make_error(ErrorCode::kInvalidArgument, "requested size must be positive, got {}x{}", request.width,
                      request.height);
  }
  if (!(request.fps > 0.0) || !std::isfinite(request.fps)) {
    return make_error(ErrorCode::kInvalidArgument, "requested frame rate must be positive, got {}", request.fps);
  }
  const std::optional<Candidate> yuyv = best_of(device, Family::kYuyv, request);
  const std::optional<Candidate> mjpeg = best_of(device, Family::kMjpeg, request);
  if (!yuyv && !mjpeg) {
    std::vector<std::string> offered;
    for (const FormatOption& f : device.formats) offered.push_back(fourcc_to_string(f.fourcc));
    return make_error(ErrorCode::kUnsupported, "the device offers no YUYV or MJPEG mode (it offers {})",
                      offered.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(offered, ", ")));
  }
  if (request.pixel_format == PixelPreference::kYuyv) {
    if (yuyv) return make_selection(*yuyv, request, "");
    return make_selection(*mjpeg, request, "the device has no yuyv mode");
  }
  if (request.pixel_format == PixelPreference::kMjpeg) {
    if (mjpeg) return make_selection(*mjpeg, request, "");
    return make_selection(*yuyv, request, "the device has no mjpeg mode");
  }
  if (!mjpeg) return make_selection(*yuyv, request, "");
  if (!yuyv) return make_selection(*mjpeg, request, "");
  if (mjpeg->shortfall() < yuyv->shortfall()) {
    return make_selection(
        *mjpeg, request,
        fmt::format("yuyv reaches only {}x{} at {:g} fps", yuyv->size->width, yuyv->size->height, yuyv->fps));
  }
  return make_selection(*yuyv, request, "");
}

namespace {

constexpr std::pair<std::uint32_t, std::uint32_t> kCommonSizes[] = {
    {160, 120},  {176, 144},  {320, 240},  {352, 288},   {640, 360},   {640, 480},   {800, 600},   {960, 540},
    {1024, 768}, {1280, 720}, {1280, 960}, {1600, 1200}, {1920, 1080}, {2560, 1440}, {3840, 2160},
};

std::vector<std::pair<std::uint32_t, std::uint32_t>> sizes_in_range(const FrameSizeDesc& r) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  auto fits = [&](std::uint32_t w, std::uint32_t h) {
    return w >= r.min_width && w <= r.max_width && h >= r.min_height && h <= r.max_height &&
           (w - r.min_width) % r.step_width == 0 && (h - r.min_height) % r.step_height == 0;
  };
  out.emplace_back(r.min_width, r.min_height);
  for (const auto& [w, h] : kCommonSizes) {
    if (fits(w, h)) out.emplace_back(w, h);
  }
  out.emplace_back(r.max_width, r.max_height);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Result<DeviceDescription> describe_device(Device& device) {
  DeviceDescription d;
  STREAMLIB_ASSIGN_OR_RETURN(const std::vector<FormatDesc> formats, device.enumerate_formats());
  for (const FormatDesc& f : formats) {
    FormatOption option;
    option.fourcc = f.fourcc;
    option.description = f.description;
    if (family_of(f.fourcc) != Family::kOther) {
      STREAMLIB_ASSIGN_OR_RETURN(const std::vector<FrameSizeDesc> sizes, device.enumerate_frame_sizes(f.fourcc));
      std::vector<std::pair<std::uint32_t, std::uint32_t>> dims;
      for (const FrameSizeDesc& s : sizes) {
        if (s.kind == RangeKind::kDiscrete) {
          dims.emplace_back(s.width, s.height);
        } else {
          const auto more = sizes_in_range(s);
          dims.insert(dims.end(), more.begin(), more.end());
        }
      }
      for (const auto& [w, h] : dims) {
        SizeOption size;
        size.width = w;
        size.height = h;
        STREAMLIB_ASSIGN_OR_RETURN(const std::vector<FrameIntervalDesc> intervals,
                                   device.enumerate_frame_intervals(f.fourcc, w, h));
        for (const FrameIntervalDesc& i : intervals) {
          if (i.kind == RangeKind::kDiscrete) {
            size.intervals.push_back(i.interval);
          } else {
            size.interval_range = IntervalRange{i.min, i.max};
          }
        }
        option.sizes.push_back(std::move(size));
      }
    }
    d.formats.push_back(std::move(option));
  }
  return d;
}

}  // namespace streamlib::v4l2
