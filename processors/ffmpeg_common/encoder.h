// VideoEncoder and AudioEncoder: VideoFrames/AudioFrames in, EncodedPackets out. For
// VideoEncoder, AudioEncoder and FileWriter.
//
//   auto enc = ffmpeg::VideoEncoder::create({.codec = "libx264", .frame_rate_num = 30,
//                                            .crf = 23, .preset = "veryfast"}).value();
//   std::vector<EncodedPacket> packets;
//   STREAMLIB_RETURN_IF_ERROR(enc.encode(frame, packets));   // appends 0..n packets
//   ...
//   STREAMLIB_RETURN_IF_ERROR(enc.flush(packets));           // end of stream: the rest
//
// Codecs are FFmpeg encoder names ("libx264", "libvpx-vp9", "aac", "libopus") or codec names
// ("h264", "vp9", "opus": FFmpeg's preferred encoder for it). Unknown codecs and options are
// errors that say what is available. Every packet of a stream shares one CodecParameters
// (codec, geometry or sample format, extradata) with FFmpeg's own AVCodecParameters in
// `native`, so this layer's Muxer copies the stream exactly.
//
// Video: the encoder's pixel format is `pixel_format` if given; else the first frame's when the
// codec takes it (libx264: yuv420p10le -> High 10, yuv422p/yuv444p (+10-bit) -> High 4:2:2 /
// 4:4:4; libvpx-vp9: 10-bit -> profile 2, 4:4:4 -> profile 1/3), else the codec's format nearest
// to it as FFmpeg's CLI picks (avcodec_find_best_pix_fmt_of_list: depth and chroma kept where the
// codec can). RGB, grey and YUYV frames (drawn pictures, a camera's transport) take the codec's
// first format (yuv420p), which every player reads. At an odd size in a format that halves chroma there (641x361
// yuv420p, which libx264 refuses) it takes the codec's nearest format that does not (yuv444p), or, if there is none or
// `pixel_format` was asked, rounds the size up to even (642x362). Frames of another format or size
// are converted (swscale, stretch) to the encoder's, counted (pixel_format_conversions()) and
// named (pixel_format_conversion()); a frame of the encoder's format and size goes in without a
// copy. The encoder opens at the first frame when the size is not given (given, it opens at
// create() as for I420 frames). Packet
// times are the frames' timestamps (ns, any clock), carried through the encoder's time base
// (1/90000 s); the duration of a packet is its frame's (or the nominal frame period).
//
// Audio: frames of any rate and channel count are converted (swresample) to the encoder's
// sample format, rate and channels, and re-chunked into the codec's frame size (AAC 1024,
// Opus 960 at 48 kHz). Packet times are sample-accurate: the first sample is at the first
// frame's timestamp and each packet follows on (in the codec's own time: an AAC or Opus stream
// starts with priming samples, so the first packet's pts is earlier by that; the Muxer knows).
// A jump in the input's sample_position is kept: a gap is filled with silence, a partial
// overlap cut off, so the audio stays in sync with the timestamps. A block wholly before what
// was encoded (a source whose clock restarted) is not dropped: the stream is re-based to go on
// after it, and counted (timestamp_discontinuities()). Video times that go back are re-based
// the same way.
//
// Global headers: with `global_header` (the default; MP4, MOV, Matroska and WebM need it) the
// codec configuration (SPS/PPS, AudioSpecificConfig) goes into CodecParameters::extradata
// instead of the stream. Muxer::needs_global_header(path) says if a container needs it.
//
// Live changes: VideoEncoder::reconfigure() takes a new bit rate, CRF, preset, tune or keyframe
// interval between two frames without losing one (in place where libx264 can, else a new encoder
// after the old one is drained; refused when the new one's headers would differ from the
// stream's). AudioEncoder::reconfigure() takes a new AAC bit rate.
//
// Threads: one thread uses an encoder at a time (libx264/libvpx may add their own threads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

struct VideoEncoderOptions {
  std::string codec = "libx264";  // or "h264", "libvpx-vp9", "vp9", ...
  int width = 0;                  // 0: the first frame's (the encoder opens then)
  int height = 0;
  int frame_rate_num = 30;  // nominal frame rate (rate control, default packet duration)
  int frame_rate_den = 1;
  std::string pixel_format;   // the encoder's input, FFmpeg's name ("yuv420p"); "": the codec's first
  std::int64_t bit_rate = 0;  // bits per second; 0: constant quality (crf). x264: also the VBV max rate (1 s buffer)
  int crf = -1;               // quality (x264 0..51, vp9 0..63); -1: the codec's default
  std::string preset;         // x264: ultrafast..placebo; "": the codec's default (or "veryfast" if realtime)
  std::string tune;           // x264: film, animation, zerolatency, ...
  int keyframe_interval = 0;  // frames between keyframes (GOP size); 0: the codec's default
  int max_b_frames = -1;      // -1: the codec's default (0 if realtime)
  int threads = 0;            // 0: the codec picks
  // Low latency: x264 zerolatency/veryfast; VP9 deadline=realtime, cpu-used=8, no lag.
  // Otherwise VP9 uses deadline=good, cpu-used=`speed` (default 4).
  bool realtime = false;
  int speed = -1;  // VP9 cpu-used (0..8, higher is faster); -1: 8 if realtime, else 4
  bool global_header = true;
  // Further encoder options by FFmpeg name (e.g. {"x264-params", "aq-mode=2"}, {"row-mt", "1"}).
  std::map<std::string, std::string> options;

  Result<void> validate() const;
};

struct AudioEncoderOptions {
  std::string codec = "aac";  // or "libopus", "opus", ...
  int sample_rate = 0;        // 0: the first frame's (the nearest the codec supports)
  int channels = 0;           // 0: the first frame's
  std::int64_t bit_rate = 128'000;
  bool global_header = true;
  std::map<std::string, std::string> options;

  Result<void> validate() const;
};

class VideoEncoder {
 public:
  static Result<VideoEncoder> create(VideoEncoderOptions options);
  VideoEncoder(VideoEncoder&&) noexcept;
  VideoEncoder& operator=(VideoEncoder&&) noexcept;
  ~VideoEncoder();

  // Encodes one frame; appends the packets that came out (often none at first: the encoder
  // looks ahead). Fails after flush().
  Result<void> encode(const VideoFrame& frame, std::vector<EncodedPacket>& out);
  // End of stream: appends every packet still inside the encoder.
  Result<void> flush(std::vector<EncodedPacket>& out);
  // The next frame becomes a keyframe (e.g. when a new viewer joins).
  void request_keyframe();
  // Applies new `bit_rate`, `crf`, `preset`, `tune` or `keyframe_interval` between two frames,
  // losing none; other options cannot change (an error, nothing changed). libx264 takes a new
  // bit rate (average bit rate mode) or CRF (CRF mode) in place. Anything else opens a new
  // encoder of the same size and colours: the old one's delayed packets are appended to `out`
  // first (same stream, same parameters(), times going on), and the new one takes the next frame.
  // A new encoder whose stream headers (SPS/PPS, i.e. extradata) or reordering delay would differ
  // is refused before anything changes: a file's global header cannot follow it (e.g. an x264
  // preset with other reference frames or entropy coding). Before the encoder opens, the options
  // are simply replaced.
  Result<void> reconfigure(const VideoEncoderOptions& next, std::vector<EncodedPacket>& out);

  bool is_open() const;
  // Times a frame's timestamp went back by more than half a frame (its source's clock
  // restarted) and the stream was re-based to go on after the last frame.
  std::uint64_t timestamp_discontinuities() const;
  // Set once open; shared by every packet.
  std::shared_ptr<const CodecParameters> parameters() const;
  std::string encoder_name() const;  // "libx264"
  const VideoEncoderOptions& options() const;
  // Frames converted to the encoder's pixel format (or to a size not asked in the options, see
  // the odd sizes above), and the latest such conversion as "yuv420p 641x361 -> yuv444p 641x361"
  // ("" if none).
  std::uint64_t pixel_format_conversions() const;
  const std::string& pixel_format_conversion() const;
  // True when that conversion is the routine one: an RGB, grey or YUYV picture at its own size
  // into the codec's format (nothing of the media's depth or chroma is lost); false when a YUV
  // picture loses depth or chroma, or the size changes (worth a warning).
  bool pixel_format_conversion_routine() const;

 private:
  struct Impl;
  explicit VideoEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class AudioEncoder {
 public:
  static Result<AudioEncoder> create(AudioEncoderOptions options);
  AudioEncoder(AudioEncoder&&) noexcept;
  AudioEncoder& operator=(AudioEncoder&&) noexcept;
  ~AudioEncoder();

  Result<void> encode(const AudioFrame& frame, std::vector<EncodedPacket>& out);
  // End of stream: encodes the last partial chunk (padded) and drains the encoder.
  Result<void> flush(std::vector<EncodedPacket>& out);
  // A new `bit_rate` from the next packet on (FFmpeg's "aac" takes it in place); any other
  // change, or a bit rate change of another encoder (libopus), is an error and changes nothing.
  Result<void> reconfigure(const AudioEncoderOptions& next);

  bool is_open() const;
  // Times a whole block came before the audio already encoded (its source's clock restarted)
  // and the stream was re-based to go on without a cut.
  std::uint64_t timestamp_discontinuities() const;
  std::shared_ptr<const CodecParameters> parameters() const;
  std::string encoder_name() const;
  int frame_size() const;   // samples per packet (0 before open or if variable)
  int sample_rate() const;  // the encoder's (0 before open)
  const AudioEncoderOptions& options() const;

 private:
  struct Impl;
  explicit AudioEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamlib::ffmpeg
