// VideoConvert: scales video frames and converts their pixel format (libswscale).
//
//   auto conv = rt.add_processor<VideoConvert>({.width = 1280, .height = 720, .format = PixelFormat::kI420,
//                                               .scaling = ffmpeg::ScaleMode::kLetterbox}).value();
//
// `width`/`height` 0 keep the input's (one 0: follows from the other and the aspect); unset
// `format` keeps the input's. Scaling: stretch fills the output, letterbox keeps the aspect with
// black bars, crop keeps it and cuts the overflow. A frame already of the output's size and
// format passes through untouched (no copy). Times, frame numbers and metadata are kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "ffmpeg_common/scaler.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct VideoConvertConfig {
  int width = 0;                                            // 0: the input's (or from the aspect)
  int height = 0;                                           // 0: the input's (or from the aspect)
  std::optional<PixelFormat> format;                        // unset: the input's
  ffmpeg::ScaleMode scaling = ffmpeg::ScaleMode::kStretch;  // stretch, letterbox, crop
  ffmpeg::ScaleQuality quality = ffmpeg::ScaleQuality::kBilinear;

  Result<void> validate() const;
};
STREAMLIB_CONFIG(VideoConvertConfig, width, height, format, scaling, quality);
STREAMLIB_CONFIG_DOCS(VideoConvertConfig,
                      {"width", "Output width in pixels; 0: the input's, or from height and the input's aspect",
                       "[0, 16384]", ConfigReload::kLive},
                      {"height", "Output height in pixels; 0: the input's, or from width and the input's aspect",
                       "[0, 16384]", ConfigReload::kLive},
                      {"format", "Output pixel format; unset: the input's", "", ConfigReload::kLive},
                      {"scaling",
                       "stretch (fill, aspect lost), letterbox (aspect kept, black bars) or crop (fill, cut overflow)",
                       "", ConfigReload::kLive},
                      {"quality", "swscale filter, from fastest (nearest) to sharpest (lanczos)", "",
                       ConfigReload::kLive});

class VideoConvert : public Processor<VideoConvertConfig> {
 public:
  STREAMLIB_PROCESSOR(VideoConvert, "Scales video and converts its pixel format (stretch, letterbox, crop)",
                      Reactive{});

  LinkInput<VideoFrame> in{this, "in", "Frames of any size and pixel format"};
  LinkOutput<VideoFrame> out{this, "out", "Frames of the configured size and format"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  Result<void> on_config_change(const VideoConvertConfig& next) override;
  void teardown() override;
  nlohmann::json metrics() const override;

 private:
  static ffmpeg::ScalerOptions options_for(const VideoConvertConfig& c);

  std::optional<ffmpeg::Scaler> scaler_;
  std::atomic<std::uint64_t> converted_{0};
};

}  // namespace streamlib
