#include "sdl_common/scaling.h"

#include <cstdint>

namespace streamlib::sdl {

namespace {
// round(a * b / c) for non-negative a, b and positive c, without overflow for picture sizes.
int mul_div_round(int a, int b, int c) {
  const std::int64_t num = static_cast<std::int64_t>(a) * b;
  return static_cast<int>((2 * num + c) / (2 * static_cast<std::int64_t>(c)));
}
}  // namespace

ScaledRects compute_scaling(int src_w, int src_h, int dst_w, int dst_h, ScalingMode mode) {
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) return {};
  ScaledRects r;
  r.src = {0, 0, src_w, src_h};
  r.dst = {0, 0, dst_w, dst_h};
  // Compare aspect ratios exactly: dst_w/dst_h vs src_w/src_h.
  const std::int64_t dst_by_src = static_cast<std::int64_t>(dst_w) * src_h;
  const std::int64_t src_by_dst = static_cast<std::int64_t>(src_w) * dst_h;
  switch (mode) {
    case ScalingMode::kStretch:
      break;
    case ScalingMode::kLetterbox:
      if (dst_by_src > src_by_dst) {
        // Window wider than the picture: full height, bars left and right.
        const int w = mul_div_round(dst_h, src_w, src_h);
        r.dst = {(dst_w - w) / 2, 0, w, dst_h};
      } else if (dst_by_src < src_by_dst) {
        // Window taller than the picture: full width, bars above and below.
        const int h = mul_div_round(dst_w, src_h, src_w);
        r.dst = {0, (dst_h - h) / 2, dst_w, h};
      }
      break;
    case ScalingMode::kCrop:
      if (dst_by_src > src_by_dst) {
        // Window wider: all of the picture's width, its top and bottom cut off.
        const int h = mul_div_round(src_w, dst_h, dst_w);
        r.src = {0, (src_h - h) / 2, src_w, h};
      } else if (dst_by_src < src_by_dst) {
        // Window taller: all of the picture's height, its sides cut off.
        const int w = mul_div_round(src_h, dst_w, dst_h);
        r.src = {(src_w - w) / 2, 0, w, src_h};
      }
      break;
  }
  // Rounding never makes a side zero for a non-empty picture.
  if (r.dst.w < 1) r.dst.w = 1;
  if (r.dst.h < 1) r.dst.h = 1;
  if (r.src.w < 1) r.src.w = 1;
  if (r.src.h < 1) r.src.h = 1;
  return r;
}

ScaledRects compute_rotated_scaling(int src_w, int src_h, int dst_w, int dst_h, ScalingMode mode, int rotation) {
  const bool quarter = rotation == 90 || rotation == 270;
  const int turned_w = quarter ? src_h : src_w;
  const int turned_h = quarter ? src_w : src_h;
  ScaledRects r = compute_scaling(turned_w, turned_h, dst_w, dst_h, mode);
  const Rect t = r.src;  // in the turned picture
  // Back to stored pixels: turned (x', y') is stored (w - 1 - y', x') for 90, (y', h - 1 - x')
  // for 270 and (w - 1 - x', h - 1 - y') for 180.
  if (rotation == 90) {
    r.src = {src_w - t.y - t.h, t.x, t.h, t.w};
  } else if (rotation == 270) {
    r.src = {t.y, src_h - t.x - t.w, t.h, t.w};
  } else if (rotation == 180) {
    r.src = {src_w - t.x - t.w, src_h - t.y - t.h, t.w, t.h};
  }
  if (quarter) {
    // The same centre, the sides swapped: turned about its centre it covers dst.
    const Rect d = r.dst;
    r.dst = {d.x + (d.w - d.h) / 2, d.y + (d.h - d.w) / 2, d.h, d.w};
  }
  return r;
}

}  // namespace streamlib::sdl
