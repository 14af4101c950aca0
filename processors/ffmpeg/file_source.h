// FileSource: plays a media file — any FFmpeg reads — as video frames and audio blocks.
//
//   auto src = rt.add_processor<FileSource>({.path = "in.mp4", .live = false}).value();
//   rt.connect(src.output(&FileSource::video), writer.input(&FileWriter::video), {.policy = LinkPolicy::kBlock});
//
// Timestamps are on the file's timeline from 0 (the streams keep their offsets); with `live`
// each frame is sent when its time has come on the runtime's clock (the file's 0 is the moment
// of the first frame), without `live` as fast as the links take them (use `block` links to lose
// none). `loop` starts again at the end with the timeline going on; otherwise the stream ends at
// the end of the file. Video is zero-copy when the decoder's pixel format is one of StreamLib's,
// unless `format` asks for another; audio is float at `sample_rate`/`channels` (0: the file's).
// A file that cannot be opened is an error at setup naming the processor and the file; so is,
// at the first call, a graph whose connected outputs the file has no stream for (only `video`
// connected, from a WAV). One connected output without a stream, while another plays, just ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "ffmpeg/source_links.h"
#include "ffmpeg_common/media_reader.h"
#include "streamlib/frames/audio_frame.h"
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

  Result<void> validate() const;
};
STREAMLIB_CONFIG(FileSourceConfig, path, loop, live, format, sample_rate, channels, video, audio, start_s);
STREAMLIB_CONFIG_DOCS(
    FileSourceConfig, {"path", "The media file to play (any FFmpeg reads)", "not empty", ConfigReload::kRestart},
    {"loop", "Start again at the end, the timeline going on; false: the stream ends", "", ConfigReload::kRestart},
    {"live", "Pace frames on the runtime's clock; false: as fast as the links take", "", ConfigReload::kRestart},
    {"format", "Pixel format of the video frames; unset: as decoded", "", ConfigReload::kRestart},
    {"sample_rate", "Audio sample rate in Hz; 0: the file's", "[0, 384000]", ConfigReload::kRestart},
    {"channels", "Audio channel count; 0: the file's", "[0, 8]", ConfigReload::kRestart},
    {"video", "Decode the file's video stream, if any", "", ConfigReload::kRestart},
    {"audio", "Decode the file's audio stream, if any", "", ConfigReload::kRestart},
    {"start_s",
     "Where in the file to begin, in seconds (the frame at or just before it); frames keep their file "
     "timestamps",
     ">= 0, before the end", ConfigReload::kRestart});

class FileSource : public Processor<FileSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(FileSource, "Plays a media file (FFmpeg demux and decode) as video and audio", Continuous{});

  // They block rather than drop (kSourceLinkDefaults): a transcode keeps every frame.
  LinkOutput<VideoFrame> video{this, "video", "Decoded pictures, file timeline from 0", kSourceLinkDefaults};
  LinkOutput<AudioFrame> audio{this, "audio", "Decoded audio, interleaved float, sample-accurate", kSourceLinkDefaults};

  ExecutionConfig execution_config() const override;
  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  void teardown() override;
  // {"video_frames", "audio_blocks", "position_s", "progress": 0..1 when the length is known}
  nlohmann::json metrics() const override;

  // What the file holds (valid after setup()).
  const ffmpeg::MediaInfo* info() const { return reader_ ? &reader_->info() : nullptr; }

 private:
  void send(const ffmpeg::DecodedFrame& f);
  Result<void> check_outputs() const;

  std::optional<ffmpeg::MediaReader> reader_;
  std::optional<ffmpeg::DecodedFrame> held_;  // live: read, waiting for its time
  std::optional<std::int64_t> start_ns_;
  bool outputs_checked_ = false;
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> audio_blocks_{0};
  std::atomic<std::int64_t> position_ns_{0};  // the latest timestamp sent
  std::atomic<std::int64_t> duration_ns_{0};  // the file's, 0: unknown or looping
};

}  // namespace streamlib
