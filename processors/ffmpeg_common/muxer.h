// Muxer: EncodedPackets into a container file (MP4, MOV, Matroska, WebM, ...). For FileWriter
// and Mp4Writer.
//
//   auto mux = ffmpeg::Muxer::open("out.mp4", {.fragmented = true}).value();
//   int v = mux.add_stream(video_packet.params()).value();   // from the first packet of each
//   int a = mux.add_stream(audio_packet.params()).value();
//   STREAMLIB_RETURN_IF_ERROR(mux.write(packet, v));      // any order; interleaved by time
//   ...
//   STREAMLIB_RETURN_IF_ERROR(mux.finish());              // trailer; the file is complete
//
// The container follows the file's extension (.mp4 .m4v .mov .mkv .webm .m4a .ts ...) unless
// `format` names one. Streams come from CodecParameters: those made by this layer's encoders
// are copied exactly (FFmpeg's own parameters travel in `native`); others are rebuilt from the
// fields (codec name, size, rate, extradata). A codec the container cannot hold, an unknown
// extension or an unwritable path is an error naming the path.
// A video stream's rotation_degrees becomes its display matrix (MP4/MOV; FFmpeg 5.1's Matroska
// and WebM muxers store none). New codec headers a packet brings (FLAC's final STREAMINFO, as
// side data in its metadata) are written in the trailer, so the file's header has the duration.
//
// Time: packet times are nanoseconds on any clock (a live source's monotonic time, or a file's
// timeline). With `rebase_timestamps` (the default) the file starts at 0: the earliest start
// of any stream becomes 0 and every stream keeps its offset to the others, so audio and video
// stay aligned (a stream's start is its first packet's pts, plus the encoder's priming for
// AAC/Opus from this layer). To know every stream's start, packets are held until each stream
// has one (at most `max_start_delay_ns` of media). Packets are then interleaved by time
// (av_interleaved_write_frame) and rescaled to each stream's time base.
//
// Fragmented MP4/MOV (`fragmented`): the index is written up front and the media in
// self-contained fragments (a new one at each keyframe, or every `fragment_duration_ns`), each
// flushed to the file when complete, so the file plays up to the last complete fragment even if
// the process is killed. Needs codec configuration up front (encoders' `global_header`).
//
// Replacing a file: the recording is written to a hidden temporary file in the same folder
// (".out.mp4.<pid>-<n>.part") and renamed over `path` once its first packet is in it. A muxer
// that fails or is destroyed before that removes the temporary, and a file already at `path`
// stays byte for byte as it was; finish() with no packet written leaves an existing file too
// (and puts the empty recording in place only where there was none). Formats that open no file
// themselves (AVFMT_NOFILE) write in place.
//
// finish() writes the trailer and closes the file; a Muxer destroyed without it closes the file
// as it is (a fragmented MP4 stays playable; a plain MP4 does not).
//
// Threads: one thread uses a muxer at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "streamlib/frames/encoded_packet.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg {

struct MuxerOptions {
  std::string format;  // FFmpeg muxer name ("mp4", "matroska", "webm", "mov"); "": from the extension
  bool fragmented = false;
  std::int64_t fragment_duration_ns = 0;  // with `fragmented`: also cut fragments this long; 0: at keyframes
  bool rebase_timestamps = true;
  std::int64_t max_start_delay_ns = 2'000'000'000;
  // Further options by FFmpeg name, for the muxer ({"movflags", "+faststart"}, {"cluster_time_limit",
  // "1000"}) or the file's protocol (avio_open2); one neither has is an error at open() (see
  // check_options()), and one left unused after the header too.
  std::map<std::string, std::string> options;
  // Container metadata ({"title", "..."}).
  std::map<std::string, std::string> metadata;

  Result<void> validate() const;
};

struct MuxerStats {
  std::uint64_t packets = 0;  // written (handed to FFmpeg)
  std::uint64_t bytes = 0;    // payload bytes written
  // Times a stream's decode time went backwards (a source restarted its clock) and the stream
  // was re-based to go on from where it was: nothing is dropped or squeezed.
  std::uint64_t timestamp_discontinuities = 0;
};

class Muxer {
 public:
  // Picks the container and creates the (temporary) file, so a bad path fails here, not at the
  // first packet.
  static Result<Muxer> open(const std::string& path, MuxerOptions options = {});
  Muxer(Muxer&&) noexcept;
  Muxer& operator=(Muxer&&) noexcept;
  ~Muxer();

  // Adds a stream (before the first write); returns its index. Packets sharing `params` can
  // then be written with write(packet).
  Result<int> add_stream(std::shared_ptr<const CodecParameters> params);
  // The same from parameters that are not shared (write(packet, index) only).
  Result<int> add_stream(const CodecParameters& params);
  // Writes one packet of stream `stream`. Packets of each stream in decode order.
  Result<void> write(const EncodedPacket& packet, int stream);
  // Writes one packet to the stream whose CodecParameters it shares (added with add_stream).
  Result<void> write(const EncodedPacket& packet);
  // Writes what is held, the trailer, and closes the file. Idempotent.
  Result<void> finish();

  const std::string& path() const;
  // FFmpeg's muxer name ("mp4", "matroska", "webm").
  std::string format_name() const;
  int stream_count() const;
  MuxerStats stats() const;

  // True if the container chosen for `path` (or `format`) wants codec configuration in the
  // stream header (encoders' `global_header`). False for unknown containers.
  static bool needs_global_header(std::string_view path, std::string_view format = {});
  // What open() would refuse, checked without creating anything (for a config's validate()):
  // a container unknown by `format` or by the path's extension ...
  static Result<void> check_container(std::string_view path, std::string_view format = {});
  // ... options (`MuxerOptions::options`) that neither the muxer (its context and own options)
  // nor the file's protocol has, naming the first with the muxer's own options, or a value the
  // muxer refuses (av_opt_set) ...
  static Result<void> check_options(std::string_view path, std::string_view format,
                                    const std::map<std::string, std::string>& options);
  // ... and a folder for `path` that does not exist, is not a folder or cannot be written, or a
  // path that is itself a folder.
  static Result<void> check_folder(const std::string& path);

 private:
  struct Impl;
  explicit Muxer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamlib::ffmpeg
