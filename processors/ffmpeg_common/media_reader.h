// MediaReader: demuxes and decodes a media file into VideoFrames and AudioFrames, and/or hands
// out its compressed packets as they are (EncodedPackets, for stream copy). For FileSource.
//
//   auto reader = ffmpeg::MediaReader::open("in.mp4", {.sample_rate = 48000, .channels = 2});
//   if (!reader) return make_error(reader.error());          // "in.mp4: No such file or directory"
//   const ffmpeg::MediaInfo& info = reader->info();          // streams, size, rates, duration
//   while (true) {
//     STREAMLIB_ASSIGN_OR_RETURN(ffmpeg::DecodedFrame f, reader->read());
//     if (f.end_of_stream()) break;
//     if (const VideoFrame* v = f.video()) video_out.push(*v);
//     if (const AudioFrame* a = f.audio()) audio_out.push(*a);
//   }
//
// Streams: FFmpeg's best video stream and best audio stream; either may be absent (or turned
// off in the options). Cover art is not video.
//
// Packets (`video_packets` / `audio_packets`): the stream's demuxed packets, undecoded, as
// EncodedPackets whose CodecParameters (one per stream, shared by every packet) carry a copy of
// the stream's AVCodecParameters in `native`, so a Muxer remuxes them exactly. The payload is
// the demuxer's buffer (no copy). A stream is decoded only if its frames are asked for
// (`video` / `audio`): a reader of packets alone decodes nothing (stats().decoded_packets).
// Packets come in file (decode) order; their pts/dts are on the same timeline as the frames.
//
// Video: a decoded picture whose pixel format is one of StreamLib's (yuv420p, yuv422p, yuv444p
// and their yuvj variants, nv12, p010le, yuv420p10le, yuv422p10le, yuv444p10le, yuyv422, rgba,
// bgra, rgb24, gray) is handed out as it is, without a copy: the VideoFrame's planes are the
// decoder's buffer, kept alive until the last reader lets go. Other formats (yuv420p12le,
// yuv440p, gbrp, ...) are converted with swscale into a pooled frame of the nearest format
// StreamLib has (nearest_pixel_format(): keeping depth and chroma where it can, as FFmpeg's
// avcodec_find_best_pix_fmt_of_list picks), named by pixel_format_conversion() and counted in
// stats().pixel_format_conversions. Setting `video_format` asks for that format always
// (converted only when the decoder's differs). Colour range and matrix and the keyframe flag
// come from the decoder.
// Rotation: every frame carries the stream's display matrix as rotation_degrees() (and so do
// the packets' CodecParameters), or with `autorotate` the pictures are turned upright
// (ffmpeg_common/orientation.h; a copy each, 4:2:2 turned as 4:4:4) and carry 0.
//
// Audio: converted to interleaved float at `sample_rate` and `channels` (0: the file's; at most
// 8 channels, more are downmixed to stereo).
//
// Time: timestamps are on the file's timeline from 0: the earliest first frame of the streams
// read is at 0 (found by decoding the first frames at open; when nothing is decoded, from the
// first packets: the lowest video pts and the audio's first pts after the codec's priming,
// which is where a decoder would start), and the streams keep their offsets to each other.
// Packets before 0 keep their negative times (AAC priming, the first dts of B-frame video). Audio is sample-accurate:
// sample_position counts samples at the output rate from the start and timestamp_ns is derived from it, continuous
// across blocks.
//
// Range (`start_ns`, `duration_ns`): begins at start_ns as seek() does (packets: at the video
// keyframe at or before it, audio packets from the same time, as `ffmpeg -ss S -c copy`), and
// ends after duration_ns of media: frames whose pts is before start+duration, audio cut at that
// sample; video packets whose dts is before it and audio packets whose pts is (`-t D -c copy`).
// A looping reader plays the range again, the timeline going on (with packets, each pass
// begins after the last packet of every stream, so packets before 0 such as AAC priming leave
// that much of a gap rather than going back in time).
//
// Seeking and looping: seek() jumps to a position (to the frame/sample at or just before it
// when `accurate_seek`, else to the keyframe before it). rewind() goes back to the start with
// the timeline continuing where the last frame ended, so a looping source never goes back in
// time; `loop` does that automatically at the end. After the end (without `loop`), read()
// keeps returning end_of_stream() until rewind() or seek().
//
// Errors: a file that cannot be opened or is not media is an error naming the file. A packet
// the decoder rejects is skipped (counted in stats().decode_errors); `max_decode_errors` in a
// row is an error naming the file and stream. A truncated file ends early: frames up to the cut,
// then end of stream (or an error if the container cannot be read at all).
//
// Threads: decoding runs on the calling thread (libavcodec may add its own frame threads,
// see `threads`). One thread uses a reader at a time; its frames may go anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

struct MediaReaderOptions {
  bool video = true;             // decode the best video stream, if any
  bool audio = true;             // decode the best audio stream, if any
  bool video_packets = false;    // hand out the video stream's packets (decoded only if `video`)
  bool audio_packets = false;    // hand out the audio stream's packets (decoded only if `audio`)
  std::int64_t start_ns = 0;     // begin here on the file's timeline (>= 0)
  std::int64_t duration_ns = 0;  // end this much media time after start_ns; 0: at the file's end
  // Video frames in this format (converted only when the decoder's differs); unset: as decoded
  // (zero-copy when StreamLib has the format, else I420).
  std::optional<PixelFormat> video_format;
  int sample_rate = 0;  // audio output rate; 0: the file's
  int channels = 0;     // audio output channels (1..8); 0: the file's (stereo if more than 8)
  bool loop = false;    // at the end, start again (the timeline continues)
  // Turn the pixels upright by the stream's rotation (frames then carry rotation 0), as
  // `ffmpeg -autorotate` does; off: frames carry the rotation and the pixels stay as stored.
  bool autorotate = false;
  bool accurate_seek = true;
  int threads = 0;            // decoder threads; 0: FFmpeg picks (one per core)
  int max_decode_errors = 8;  // consecutive rejected packets before read() fails
  // Bound on video frames out at once (the pool waits for one to come back); 0: none.
  std::size_t max_video_frames_in_flight = 0;

  Result<void> validate() const;
};

struct VideoStreamInfo {
  int index = -1;            // stream index in the file
  std::string codec;         // "h264", "vp9", "rawvideo", ...
  std::string pixel_format;  // decoder's, FFmpeg's name ("yuv420p")
  int width = 0;
  int height = 0;
  int frame_rate_num = 0;  // average frame rate (0: unknown)
  int frame_rate_den = 1;
  std::int64_t frame_count = 0;  // from the container (0: unknown)
  std::int64_t duration_ns = 0;  // 0: unknown
  std::int64_t bit_rate = 0;
  int rotation_degrees = 0;  // the display matrix (width and height are the stored picture's)
};

struct AudioStreamInfo {
  int index = -1;
  std::string codec;          // "aac", "opus", "pcm_s16le", ...
  std::string sample_format;  // decoder's ("fltp")
  int sample_rate = 0;        // the file's
  int channels = 0;
  std::int64_t duration_ns = 0;
  std::int64_t bit_rate = 0;
};

struct MediaInfo {
  std::string path;
  std::string container;           // FFmpeg's demuxer name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")
  std::int64_t duration_ns = 0;    // 0: unknown
  std::int64_t start_time_ns = 0;  // container time of the timeline's 0 (subtracted from every timestamp)
  std::int64_t bit_rate = 0;
  bool seekable = false;
  std::optional<VideoStreamInfo> video;  // absent: no video, or turned off
  std::optional<AudioStreamInfo> audio;
  // What read() delivers.
  int output_sample_rate = 0;
  int output_channels = 0;
};

// One result of MediaReader::read(): a video frame, an audio frame, a packet (see
// MediaReaderOptions::video_packets), or the end of the stream.
class DecodedFrame {
 public:
  DecodedFrame() = default;  // end of stream
  explicit DecodedFrame(VideoFrame v) : v_(std::move(v)) {}
  explicit DecodedFrame(AudioFrame a) : v_(std::move(a)) {}
  explicit DecodedFrame(EncodedPacket p) : v_(std::move(p)) {}

  bool end_of_stream() const { return std::holds_alternative<std::monostate>(v_); }
  const VideoFrame* video() const { return std::get_if<VideoFrame>(&v_); }
  const AudioFrame* audio() const { return std::get_if<AudioFrame>(&v_); }
  const EncodedPacket* packet() const { return std::get_if<EncodedPacket>(&v_); }
  // When it is due on the timeline: a frame's timestamp, a packet's dts (decode order).
  std::int64_t timestamp_ns() const;

 private:
  std::variant<std::monostate, VideoFrame, AudioFrame, EncodedPacket> v_;
};

struct MediaReaderStats {
  std::uint64_t video_frames = 0;      // delivered
  std::uint64_t audio_frames = 0;      // delivered (blocks)
  std::uint64_t converted_frames = 0;  // video frames that needed swscale (the rest were zero-copy)
  // Of those, frames whose decoded format StreamLib has no match for (not asked by video_format).
  std::uint64_t pixel_format_conversions = 0;
  std::uint64_t decode_errors = 0;    // packets the decoders rejected (skipped)
  std::uint64_t decoded_packets = 0;  // packets sent to a decoder
  std::uint64_t video_packets = 0;    // packets delivered (video_packets / audio_packets)
  std::uint64_t audio_packets = 0;
  int loops = 0;  // times the reader went back to the start
};

class MediaReader {
 public:
  static Result<MediaReader> open(const std::string& path, MediaReaderOptions options = {});
  MediaReader(MediaReader&&) noexcept;
  MediaReader& operator=(MediaReader&&) noexcept;
  ~MediaReader();

  const MediaInfo& info() const;
  const MediaReaderOptions& options() const;

  // The next frame in file order (video and audio interleaved as stored), or end of stream.
  Result<DecodedFrame> read();

  // Goes to `position_ns` on the file's timeline (0 = start). Timestamps after it are file
  // positions again (plus nothing: any loop offset is cleared).
  Result<void> seek(std::int64_t position_ns);
  // Goes back to the start (of the range); timestamps continue after the last frame delivered.
  Result<void> rewind();

  MediaReaderStats stats() const;
  // The conversion of a decoded format StreamLib has no match for, as "yuv420p12le -> yuv420p10"
  // (FFmpeg's name -> StreamLib's), once one happened; else "".
  const std::string& pixel_format_conversion() const;
  VideoFramePool& video_pool();
  AudioFramePool& audio_pool();

 private:
  struct Impl;
  explicit MediaReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamlib::ffmpeg
