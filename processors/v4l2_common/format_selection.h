// Choosing a capture mode: what the device offers (DeviceDescription) against what was asked
// for (FormatRequest).
//
// The rule (select_format is a pure function of the two):
//  1. Only YUYV and MJPEG (or JPEG) modes are considered; other formats are ignored.
//  2. Within a pixel format, modes are ranked by size first, then frame rate:
//       size: the exact size > the smallest size at least as large in both dimensions (by area,
//             then by width) > the largest smaller size;
//       rate: exactly the requested rate (within 0.5 %) > the lowest rate above it > the highest
//             rate below it.
//     A mode with a continuous/stepwise interval range reaches any rate inside the range; a
//     size whose intervals the driver does not enumerate is taken to reach the requested rate
//     (the driver then says what it set).
//  3. pixel_format yuyv or mjpeg: only that format's modes, if the device has any (else the
//     other format, and the selection's `reason` says so).
//     pixel_format auto: YUYV, which costs no decoding, unless MJPEG reaches more of the
//     request: for each format's best mode, compare (size too small?, rate too low?, size not
//     exact?) in that order; MJPEG wins only when it is better on the first that differs. So
//     small sizes, which YUYV streams at full rate over USB 2, stay YUYV; large sizes or rates
//     YUYV cannot reach go MJPEG.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamlib/config.h"
#include "streamlib/result.h"
#include "v4l2_common/device.h"

namespace streamlib::v4l2 {

enum class PixelPreference { kAuto, kYuyv, kMjpeg };
STREAMLIB_ENUM_NAMES(PixelPreference, {PixelPreference::kAuto, "auto"}, {PixelPreference::kYuyv, "yuyv"},
                     {PixelPreference::kMjpeg, "mjpeg"});

struct FormatRequest {
  std::uint32_t width = 640;
  std::uint32_t height = 480;
  double fps = 30.0;
  PixelPreference pixel_format = PixelPreference::kAuto;
};

// A continuous or stepwise range of frame intervals.
struct IntervalRange {
  Fraction min;  // shortest interval: the highest rate
  Fraction max;  // longest interval: the lowest rate
};

struct SizeOption {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<Fraction> intervals;  // discrete
  std::optional<IntervalRange> interval_range;
};

struct FormatOption {
  std::uint32_t fourcc = 0;
  std::string description;
  std::vector<SizeOption> sizes;
};

// Everything a device can capture.
struct DeviceDescription {
  std::vector<FormatOption> formats;
};

struct FormatSelection {
  std::uint32_t fourcc = 0;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  Fraction interval;  // 1/fps
  // Why: "yuyv 640x480 at 30 fps: exact match".
  std::string reason;
  double fps() const { return interval.fps(); }
};

// Picks the mode for `request` (see the rule above). Errors: the request is not positive, or
// the device offers no YUYV/MJPEG mode ("offers only H264, NV12").
Result<FormatSelection> select_format(const DeviceDescription& device, const FormatRequest& request);

// Asks `device` for its formats, their sizes and each size's intervals. Stepwise/continuous size
// ranges become the common sizes (160x120 .. 3840x2160) inside the range plus its two ends.
Result<DeviceDescription> describe_device(Device& device);

}  // namespace streamlib::v4l2
