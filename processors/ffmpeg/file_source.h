// FileSource: plays a media file — any FFmpeg reads — as video frames and audio blocks, and/or
// as its compressed packets (stream copy).
//
//   auto src = rt.add_processor<FileSource>({.path = "in.mp4", .live = false}).value();
//   rt.connect(src.output(&FileSource::video), writer.input(&FileWriter::video), {.policy = LinkPolicy::kBlock});
//   // or, remuxing without decoding (`ffmpeg -i in.mp4 -c copy out.mkv`):
//   rt.connect(src.output(&FileSource::video_packets), writer.input(&FileWriter::video_packets));
//
// `video_packets` / `audio_packets` carry the demuxed packets as they are (EncodedPacket: pts,
// dts, keyframe, and the stream's CodecParameters with FFmpeg's own in `native`, so FileWriter
// remuxes them exactly). A stream is decoded only if its frame output is connected, so a graph of
// packet outputs alone decodes nothing (metric `decoded_packets`); which frame outputs are
// connected is looked at once, at the first call (one connected later gets nothing until a
// restart). Packets are always read: a packet output connected while running gets them from
// the stream's next keyframe on, so a recording added live starts decodable.
//
// `start_s` and `duration_s` cut by media time: frames from the one at or before start_s, up to
// those whose pts is before start_s + duration_s (audio cut at that sample); packets as
// `ffmpeg -ss S -t D -c copy`: video from the keyframe at or before start_s, until a dts reaches
// start_s + duration_s; audio packets from that keyframe's time up to those starting at the end. A loop
// plays that range again.
//
// Timestamps are on the file's timeline from 0 (the streams keep their offsets); with `live`
// each frame is sent when its time has come on the runtime's clock (the file's 0 is the moment
// of the first frame; packets alone are sent at their dts, packets beside frames as they are
// read, a decoder's delay ahead of their frames), without `live` as fast as the links take them
// (use `block` links to lose none). `loop` starts again at the end with the timeline going on;
// otherwise the stream ends at the end of the file. Video is zero-copy, in the decoder's pixel format, when that is
// one of StreamLib's (8- and 10-bit 4:2:0, 4:2:2 and 4:4:4 YUV, NV12, P010, YUYV, RGB, grey), unless `format` asks
// for another; any other format is converted to the nearest StreamLib has, named once in a warning
// ("yuv420p12le -> yuv420p10") and counted in the `pixel_format_conversions` metric (the name in
// `pixel_format_conversion`); audio is float at `sample_rate`/`channels` (0: the file's). A file
// that cannot be opened is an error at setup naming the processor and the file; so is, at the first call, a graph whose
// connected outputs the file has no stream for (only `video` connected, from a WAV). One connected output without a
// stream, while another plays, just ends.
//
// Rotation (a display matrix, as phones write): with `autorotate` (the default) decoded pictures
// are turned upright and carry rotation 0, the same pictures `ffmpeg -i rot.mp4 out.mp4` encodes
// (FFmpeg 5.1 autorotates by default and writes no matrix), so a FileSource -> FileWriter
// transcode matches ffmpeg's in every container (Matroska and WebM in FFmpeg 5.1 cannot store a
// matrix). Without it the pixels stay as stored and every frame carries rotation_degrees(): no
// copy, Display turns them, and FileWriter stores the matrix again in MP4/MOV. Packets are never
// turned: their CodecParameters carry the rotation, so a stream copy keeps it (`ffmpeg -c copy`).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "ffmpeg/source_links.h"
#include "ffmpeg_common/media_reader.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct FileSourceConfig {
  std::string path;                   // the file
  bool loop = false;                  // start again at the end (the timeline goes on)
  bool live = true;                   // paced on the clock; false: as fast as links take
  std::optional<PixelFormat> format;  // video frames in this format; unset: as decoded
  int sample_rate = 0;                // audio rate; 0: the file's
  int channels = 0;                   // audio channels (1..8); 0: the file's
  bool video = true;                  // decode the video stream, if any
  bool audio = true;                  // decode the audio stream, if any
  double start_s = 0;                 // where in the file to begin, in seconds
  double duration_s = 0;              // how much media time to play from start_s; 0: to the end
  bool autorotate = true;             // turn rotated video upright (see the top); false: frames carry it

  Result<void> validate() const;
};
STREAMLIB_CONFIG(FileSourceConfig, path, loop, live, format, sample_rate, channels, video, audio, start_s, duration_s,
                 autorotate);
STREAMLIB_CONFIG_DOCS(
    FileSourceConfig, {"path", "The media file to play (any FFmpeg reads)", "not empty", ConfigReload::kRestart},
    {"loop", "Start again at the end, the timeline going on; false: the stream ends", "", ConfigReload::kRestart},
    {"live", "Pace frames on the runtime's clock; false: as fast as the links take", "", ConfigReload::kRestart},
    {"format", "Pixel format of the video frames; unset: as decoded", "", ConfigReload::kRestart},
    {"sample_rate", "Audio sample rate in Hz; 0: the file's", "[0, 384000]", ConfigReload::kRestart},
    {"channels", "Audio channel count; 0: the file's", "[0, 8]", ConfigReload::kRestart},
    {"video", "Play the file's video stream, if any (frames and packets)", "", ConfigReload::kRestart},
    {"audio", "Play the file's audio stream, if any (frames and packets)", "", ConfigReload::kRestart},
    {"start_s",
     "Where in the file to begin, in seconds (frames: the frame at or just before it; packets: the keyframe "
     "at or before it); they keep their file timestamps",
     ">= 0, before the end", ConfigReload::kRestart},
    {"duration_s",
     "How much media time to play from start_s, in seconds; frames whose pts is before start_s + duration_s "
     "(audio cut at that sample), video packets whose dts is; 0: to the end",
     "[0, 1e9]", ConfigReload::kRestart},
    {"autorotate",
     "Turn video with a display matrix (a phone's portrait video) upright, as ffmpeg does; false: frames keep "
     "the stored pixels and carry the rotation",
     "", ConfigReload::kRestart});

class FileSource : public Processor<FileSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(FileSource, "Plays a media file (FFmpeg demux and decode) as video and audio", Continuous{});

  // They block rather than drop (kSourceLinkDefaults): a transcode keeps every frame.
  LinkOutput<VideoFrame> video{this, "video", "Decoded pictures, file timeline from 0", kSourceLinkDefaults};
  LinkOutput<AudioFrame> audio{this, "audio", "Decoded audio, interleaved float, sample-accurate", kSourceLinkDefaults};
  LinkOutput<EncodedPacket> video_packets{this, "video_packets", "The video stream's packets, undecoded (stream copy)",
                                          kSourceLinkDefaults};
  LinkOutput<EncodedPacket> audio_packets{this, "audio_packets", "The audio stream's packets, undecoded (stream copy)",
                                          kSourceLinkDefaults};

  ExecutionConfig execution_config() const override;
  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  void teardown() override;
  // {"video_frames", "audio_blocks", "video_packets", "audio_packets", "decoded_packets" (sent to
  //  a decoder), "position_s", "progress": 0..1 when the length is known}
  nlohmann::json metrics() const override;

  // What the file holds (valid after setup()).
  const ffmpeg::MediaInfo* info() const { return reader_ ? &reader_->info() : nullptr; }

 private:
  void send(const ffmpeg::DecodedFrame& f);
  Result<void> check_outputs() const;
  ffmpeg::MediaReaderOptions reader_options(bool probe) const;
  // At the first call: opens the reader for what the connected outputs need.
  Result<void> open_for_outputs();

  std::optional<ffmpeg::MediaReader> reader_;
  std::optional<ffmpeg::DecodedFrame> held_;  // live: read, waiting for its time
  std::optional<std::int64_t> start_ns_;
  bool outputs_checked_ = false;
  bool decoding_ = false;               // a frame output is connected (packets then go unpaced)
  bool video_packets_flowing_ = false;  // sent since it was connected (else waits for a keyframe)
  bool audio_packets_flowing_ = false;
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> audio_blocks_{0};
  std::atomic<std::uint64_t> video_packets_{0};
  std::atomic<std::uint64_t> audio_packets_{0};
  std::atomic<std::uint64_t> decoded_packets_{0};
  std::atomic<std::uint64_t> pixel_format_conversions_{0};
  std::string conversion_;                     // the reader's pixel_format_conversion(), once named
  std::atomic<bool> conversion_named_{false};  // conversion_ is set (and warned about)
  std::atomic<std::int64_t> position_ns_{0};   // the latest timestamp sent
  std::atomic<std::int64_t> duration_ns_{0};   // the file's, 0: unknown or looping
};

}  // namespace streamlib
