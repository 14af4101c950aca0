// Where a picture goes in a window: source and destination rectangles for each scaling mode.
//
//   ScaledRects r = compute_scaling(1920, 1080, 800, 800, ScalingMode::kLetterbox);
//   // r.src = {0, 0, 1920, 1080}, r.dst = {0, 175, 800, 450}: black bars above and below
//
// Pure integer arithmetic (no SDL), so it is unit-tested on its own.
#pragma once

#include "streamlib/config.h"

namespace streamlib::sdl {

enum class ScalingMode {
  kStretch,    // the whole picture fills the whole window; the aspect ratio may change
  kLetterbox,  // the whole picture, aspect kept, centred; black bars fill the rest
  kCrop,       // the window is filled, aspect kept; the picture's overhang is cut off evenly
};
STREAMLIB_ENUM_NAMES(ScalingMode, {ScalingMode::kStretch, "stretch"}, {ScalingMode::kLetterbox, "letterbox"},
                     {ScalingMode::kCrop, "crop"});

struct Rect {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};

// The part of the picture that is shown (src, in picture pixels) and where it is drawn (dst, in
// window pixels). Everything outside dst is black.
struct ScaledRects {
  Rect src;
  Rect dst;
  friend bool operator==(const ScaledRects&, const ScaledRects&) = default;
};

// Rectangles for a `src_w` x `src_h` picture in a `dst_w` x `dst_h` window. Sizes are rounded
// to the nearest pixel and leftovers split evenly (an odd pixel goes to the bottom/right bar).
// A zero or negative size on either side gives empty rectangles (nothing is drawn).
ScaledRects compute_scaling(int src_w, int src_h, int dst_w, int dst_h, ScalingMode mode);

// The same for a picture stored `src_w` x `src_h` that is shown turned `rotation` degrees
// counterclockwise (VideoFrame::rotation_degrees(): 0, 90, 180, 270): the mode applies to the
// turned picture's size. src is in stored pixels; dst is where to draw the stored picture
// before the renderer turns it about dst's centre (SDL_RenderCopyEx by -rotation degrees),
// after which it covers compute_scaling's dst for the turned size.
ScaledRects compute_rotated_scaling(int src_w, int src_h, int dst_w, int dst_h, ScalingMode mode, int rotation);

}  // namespace streamlib::sdl
