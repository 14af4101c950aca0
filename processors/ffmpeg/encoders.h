// VideoEncoder and AudioEncoder: raw frames in, EncodedPackets out (FFmpeg: libx264 H.264,
// libvpx VP9, AAC, Opus), for a FileWriter's `video_packets` / `audio_packets` or any other
// consumer of packets. Both drain the codec in finish(), so the last frames reach the file.
//
//   auto enc = rt.add_processor<VideoEncoder>({.codec = "h264", .preset = "veryfast", .crf = 23}).value();
//   rt.connect(src.output(&VideoTestSource::video), enc.input(&VideoEncoder::in));
//   rt.connect(enc.output(&VideoEncoder::out), writer.input(&FileWriter::video_packets));
//
// The codec opens at the first frame (its size, pixel format, rate and channel count come from it
// unless set: a 10-bit or 4:4:4 frame is encoded as it is when the codec takes it, else in the
// codec's nearest format as the ffmpeg CLI picks; see ffmpeg_common/encoder.h). A frame converted
// to the encoder's format or size is counted in the `pixel_format_conversions` metric, and each
// new conversion is named once (see format_conversions.h; and in `pixel_format_conversion`). An unknown codec,
// preset, tune or `options` key, or an option value FFmpeg refuses, is refused with the config
// (validate(): at `streamlib validate`, before anything runs); an option the encoder rejects only
// when it opens (a bad `x264-params`) fails at the first frame. Each error names the processor,
// the field and the codec (and the option's key).
//
// Live changes: VideoEncoder's bitrate, crf, preset, tune and keyframe_interval change between
// two frames with no frame lost and the same stream going on (libx264 reconfigures bit rate and
// CRF in place; other changes drain the old encoder into the stream and open a new one). A change
// that would alter the stream's headers (e.g. an x264 preset with other reference frames) is
// refused, since a file's global header (MP4 avcC) cannot follow it. AudioEncoder's bitrate
// changes in place for aac (other codecs rebuild it). The fields that shape the stream — codec,
// size, fps, threads, realtime, sample rate, channels — are refused once encoding has begun: a
// rebuild would start a new stream under its readers, which a file cannot take mid-recording
// (`options` too: an option may shape the stream).
// Before the first frame they rebuild the processor.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ffmpeg/format_conversions.h"
#include "ffmpeg_common/encoder.h"
#include "streamlib/config_values.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct VideoEncoderConfig {
  std::string codec = "h264";  // "h264" (libx264), "vp9" (libvpx-vp9), or any FFmpeg encoder name
  std::string preset;          // x264: ultrafast..placebo; "": the codec's default
  std::string tune;            // x264: film, animation, zerolatency, ...
  int crf = -1;                // constant quality (x264 0..51, vp9 0..63); -1: the codec's default
  std::int64_t bitrate = 0;    // bits a second; 0: constant quality
  int keyframe_interval = 0;   // frames between keyframes; 0: the codec's default
  int threads = 0;             // encoder threads; 0: the codec picks
  FrameRate fps = 30;          // nominal frame rate: 30, 29.97 (30000/1001), "30000/1001" (rate control)
  int width = 0;               // encoded size; 0: the first frame's
  int height = 0;
  bool realtime = false;  // low latency (no B-frames, x264 zerolatency, VP9 realtime)
  // Further encoder options by FFmpeg name: {"x264-params": "keyint=60:bframes=0"}, {"g": 60},
  // {"deadline": "realtime"} (vp9). Applied after the fields above, so they win.
  OptionMap options;

  Result<void> validate() const;
  friend bool operator==(const VideoEncoderConfig&, const VideoEncoderConfig&) = default;
};
STREAMLIB_CONFIG(VideoEncoderConfig, codec, preset, tune, crf, bitrate, keyframe_interval, threads, fps, width, height,
                 realtime, options);
STREAMLIB_CONFIG_DOCS(
    VideoEncoderConfig,
    {"codec", "h264 (libx264), vp9 (libvpx-vp9) or any FFmpeg encoder name; refused once encoding began", "not empty",
     ConfigReload::kRefused},
    {"preset",
     "Encoder preset (x264: ultrafast..placebo); empty: the codec's default. Live: refused if the new preset changes "
     "the stream's headers (x264 SPS/PPS)",
     "", ConfigReload::kLive},
    {"tune", "Encoder tune (x264: film, animation, zerolatency, ...); empty: none. Live like preset", "",
     ConfigReload::kLive},
    {"crf", "Constant quality, lower is better (x264 0-51, vp9 0-63); -1: the codec's default", "[-1, 63]",
     ConfigReload::kLive},
    {"bitrate", "Target bitrate in bits per second (x264: also the VBV max rate); 0: constant quality",
     "[0, 1000000000]", ConfigReload::kLive},
    {"keyframe_interval", "Frames between keyframes; 0: the codec's default", "[0, 100000]", ConfigReload::kLive},
    {"threads", "Encoder threads; 0: the codec picks. Refused once encoding began", "[0, 64]", ConfigReload::kRefused},
    {"fps",
     "Nominal frame rate, for rate control (packets keep their times): an integer, a decimal (29.97 is "
     "30000/1001) or \"30000/1001\". Refused once encoding began",
     "[1, 1000]", ConfigReload::kRefused},
    {"width", "Encoded width in pixels; 0: the first frame's. Refused once encoding began (scale before the encoder)",
     "[0, 16384]", ConfigReload::kRefused},
    {"height", "Encoded height in pixels; 0: the first frame's. Refused once encoding began", "[0, 16384]",
     ConfigReload::kRefused},
    {"realtime", "Low latency: no B-frames, x264 zerolatency, VP9 realtime deadline. Refused once encoding began", "",
     ConfigReload::kRefused},
    {"options",
     "FFmpeg encoder options by name (x264-params, g, bf, deadline, ...), values as text; each must be one the "
     "encoder has. Refused once encoding began",
     "", ConfigReload::kRefused});

class VideoEncoder : public Processor<VideoEncoderConfig> {
 public:
  STREAMLIB_PROCESSOR(VideoEncoder, "Encodes video frames (H.264 with libx264, VP9 with libvpx) into packets",
                      Reactive{});

  LinkInput<VideoFrame> in{this, "in", "Frames to encode, any size and pixel format"};
  LinkOutput<EncodedPacket> out{this, "out", "Encoded packets in decode order"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  Result<void> finish() override;
  void teardown() override;
  // preset, tune, crf, bitrate, keyframe_interval: applied between two frames, none lost (see
  // ffmpeg::VideoEncoder::reconfigure; refused if the stream's headers would change). Others
  // rebuild the processor (a new encoder, a new stream).
  Result<void> on_config_change(const VideoEncoderConfig& next) override;
  nlohmann::json metrics() const override;

 private:
  Result<void> send(Result<void> encoded);

  std::optional<ffmpeg::VideoEncoder> encoder_;
  std::vector<EncodedPacket> packets_;
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> packets_out_{0};
  internal::FormatConversions conversions_;
};

struct AudioEncoderConfig {
  std::string codec = "aac";      // "aac", "opus" (libopus), or any FFmpeg encoder name
  std::int64_t bitrate = 128000;  // bits a second
  int sample_rate = 0;            // encoded rate; 0: the first frame's (the nearest the codec takes)
  int channels = 0;               // encoded channels; 0: the first frame's
  // Further encoder options by FFmpeg name: {"application": "lowdelay"} (opus), {"cutoff": 18000}.
  OptionMap options;

  Result<void> validate() const;
  friend bool operator==(const AudioEncoderConfig&, const AudioEncoderConfig&) = default;
};
STREAMLIB_CONFIG(AudioEncoderConfig, codec, bitrate, sample_rate, channels, options);
STREAMLIB_CONFIG_DOCS(AudioEncoderConfig,
                      {"codec", "aac, opus (libopus) or any FFmpeg encoder name; refused once encoding began",
                       "not empty", ConfigReload::kRefused},
                      {"bitrate", "Bitrate in bits per second (live for aac; other codecs restart the encoder)",
                       "[1000, 10000000]", ConfigReload::kLive},
                      {"sample_rate",
                       "Encoded sample rate in Hz; 0: the first frame's (the nearest the codec takes). Refused once "
                       "encoding began",
                       "[0, 384000]", ConfigReload::kRefused},
                      {"channels", "Encoded channel count; 0: the first frame's. Refused once encoding began", "[0, 8]",
                       ConfigReload::kRefused},
                      {"options",
                       "FFmpeg encoder options by name (opus: application, frame_duration, ...), values as text; "
                       "each must be one the encoder has. Refused once encoding began",
                       "", ConfigReload::kRefused});

class AudioEncoder : public Processor<AudioEncoderConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioEncoder, "Encodes audio (AAC, Opus) into packets", Reactive{});

  LinkInput<AudioFrame> in{this, "in", "Audio to encode, any rate and channel count"};
  LinkOutput<EncodedPacket> out{this, "out", "Encoded packets, sample-accurate times"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  Result<void> finish() override;
  void teardown() override;
  // bitrate: applied in place for aac; otherwise (and for other fields) the processor is rebuilt.
  Result<void> on_config_change(const AudioEncoderConfig& next) override;
  nlohmann::json metrics() const override;

 private:
  Result<void> send(Result<void> encoded);

  std::optional<ffmpeg::AudioEncoder> encoder_;
  std::vector<EncodedPacket> packets_;
  std::atomic<std::uint64_t> frames_in_{0};
  std::atomic<std::uint64_t> packets_out_{0};
};

namespace internal {
// The FFmpeg layer's options for the processors' (and FileWriter's) settings. Codec names users
// type ("h264", "vp9", "opus") map to the encoders StreamLib is tested with.
ffmpeg::VideoEncoderOptions video_encoder_options(const VideoEncoderConfig& config);
ffmpeg::AudioEncoderOptions audio_encoder_options(const AudioEncoderConfig& config);
// For configs' validate(), with no media: an encoder for `codec` exists, and takes `preset` and
// `tune` (empty: not set). Errors start with the field they are about ("codec: ...",
// "preset: ...") and list what is accepted.
Result<void> check_video_encoder(std::string_view codec_field, const std::string& codec, const std::string& preset,
                                 const std::string& tune);
Result<void> check_audio_encoder(std::string_view codec_field, const std::string& codec);
// The same for FFmpeg options by name (`options` fields): each one the encoder for `codec` has,
// with a value it takes. Errors start with `options_field` and name the key.
Result<void> check_encoder_options(std::string_view options_field, MediaKind kind, const std::string& codec,
                                   const OptionMap& options);
}  // namespace internal

}  // namespace streamlib
