// Scaler: VideoFrame -> VideoFrame of another size and/or pixel format, with libswscale.
// For VideoConvert and for display helpers.
//
//   auto scaler = ffmpeg::Scaler::create({.width = 1280, .height = 720, .format = PixelFormat::kRgba,
//                                         .mode = ffmpeg::ScaleMode::kLetterbox}).value();
//   Result<VideoFrame> out = scaler.convert(frame);     // pooled: no allocation in steady state
//
// Modes: kStretch fills the output and ignores the aspect ratio; kLetterbox keeps the aspect
// and adds black bars; kCrop keeps the aspect and fills the output, cutting the overflow off
// both sides evenly. Output frames carry the input's timestamp, duration, frame number,
// keyframe flag, rotation and metadata. A frame that already has the output's size and format comes back
// as is (same buffer, no copy).
//
// Threads: one thread converts at a time (the pool's producer); frames may go anywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "streamlib/config.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

enum class ScaleMode { kStretch, kLetterbox, kCrop };
STREAMLIB_ENUM_NAMES(ScaleMode, {ScaleMode::kStretch, "stretch"}, {ScaleMode::kLetterbox, "letterbox"},
                     {ScaleMode::kCrop, "crop"});

// swscale's filters, fastest first (roughly): nearest, fast_bilinear, bilinear, area,
// bicubic, lanczos.
enum class ScaleQuality { kNearest, kFastBilinear, kBilinear, kArea, kBicubic, kLanczos };
STREAMLIB_ENUM_NAMES(ScaleQuality, {ScaleQuality::kNearest, "nearest"}, {ScaleQuality::kFastBilinear, "fast_bilinear"},
                     {ScaleQuality::kBilinear, "bilinear"}, {ScaleQuality::kArea, "area"},
                     {ScaleQuality::kBicubic, "bicubic"}, {ScaleQuality::kLanczos, "lanczos"});

struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};

// Which part of the input is used (`source`) and where it lands in the output (`target`) for a
// mode. Stretch: whole to whole. Letterbox: whole input to a centred rectangle of the input's
// aspect. Crop: a centred rectangle of the output's aspect to the whole output. Positions and
// sizes are even where the input's (source) or output's (target) format subsamples chroma, so
// they land on the chroma grid. Useful beyond scaling, e.g. to map a click on a letterboxed
// display back to the picture.
struct ScaleGeometry {
  Rect source;
  Rect target;
};
ScaleGeometry scale_geometry(int in_width, int in_height, int out_width, int out_height, ScaleMode mode,
                             PixelFormat in_format = PixelFormat::kRgba, PixelFormat out_format = PixelFormat::kRgba);

struct ScalerOptions {
  // Output size. Both 0: the input's. One 0: follows from the other and the input's aspect
  // (rounded to even).
  int width = 0;
  int height = 0;
  std::optional<PixelFormat> format;  // output format; unset: the input's
  ScaleMode mode = ScaleMode::kStretch;
  ScaleQuality quality = ScaleQuality::kBilinear;
  // Colour of YUV output; kUnknown: the input's if it is YUV and says, else limited range and
  // BT.601 below 720 lines, BT.709 from 720 up. RGB output is always full range.
  ColorRange range = ColorRange::kUnknown;
  ColorMatrix matrix = ColorMatrix::kUnknown;
  // Bound on frames out at once (VideoFramePool::set_max_in_flight); 0: unbounded.
  std::size_t max_in_flight = 0;

  Result<void> validate() const;
};

class Scaler {
 public:
  static Result<Scaler> create(ScalerOptions options = {});
  Scaler(Scaler&&) noexcept;
  Scaler& operator=(Scaler&&) noexcept;
  ~Scaler();

  // A frame of the configured size and format, from the scaler's pool.
  Result<VideoFrame> convert(const VideoFrame& in);
  // Into a frame the caller acquired: its size and format are the target (the options' size
  // and format are ignored); mode, quality and colour apply.
  Result<void> convert_into(const VideoFrame& in, WritableVideoFrame& out);

  // Changes the options between two frames (a live config change).
  Result<void> reconfigure(ScalerOptions options);
  const ScalerOptions& options() const;

  // The output size for an input of this size.
  std::pair<int, int> output_size(int in_width, int in_height) const;

  VideoFramePool& pool();

 private:
  struct Impl;
  explicit Scaler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// swscale's flag for a quality (SWS_BILINEAR, ...).
int sws_flags_for(ScaleQuality quality);

}  // namespace streamlib::ffmpeg
