// Checks of encoder settings that need no media, for configs' validate(): is there an encoder
// of this name, and does it take this preset or tune? `streamlib validate` and the runtime then
// refuse a typo before any file is opened, with the accepted names and the nearest one:
//
//   check_encoder("libx264", MediaKind::kVideo);                // ok
//   check_encoder_setting("libx264", "preset", "ultrafst");     // error:
//   // "'ultrafst' is not a libx264 preset (did you mean 'ultrafast'?; accepted: ultrafast, ...)"
//
// Names are those ffmpeg::VideoEncoder/AudioEncoder take (an encoder or a codec name). A
// setting whose option takes named values (a constant list, or a number) is checked the way the
// encoder would parse it; x264's and x265's string `preset` and `tune` against the lists those
// libraries accept (x264.h, x265.h: case-insensitive, x264 presets also as 0-9, several x264
// tunes joined by ",./-+"). Other free-text options pass.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "streamlib/frames/encoded_packet.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

// An error (kNotFound) naming `name`, the usual encoders of `kind` and the nearest name, if
// this FFmpeg has no encoder of that kind under `name`.
Result<void> check_encoder(const std::string& name, MediaKind kind);

// An error if encoder `encoder` has no option `option` or would refuse `value` for it.
Result<void> check_encoder_setting(const std::string& encoder, std::string_view option, const std::string& value);

// Options by FFmpeg name for encoder `encoder` (VideoEncoderOptions/AudioEncoderOptions::options):
// an error naming the first key that neither the codec context nor the encoder's own options
// have ("libx264 has no option 'keyintt' (did you mean 'keyint_min'?; ...)"), or whose value
// av_opt_set refuses ("libx264 option 'crf': 'abc' is refused: Invalid argument"). Free-text
// options (x264-params) are only parsed when the encoder opens.
Result<void> check_encoder_options(const std::string& encoder, const std::map<std::string, std::string>& options);

}  // namespace streamlib::ffmpeg
