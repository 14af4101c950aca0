// FileWriter (also registered as Mp4Writer): writes video and audio into a container file —
// MP4, MOV, Matroska or WebM, chosen by the path's extension.
//
//   auto w = rt.add_processor<FileWriter>({.path = "out.mp4", .crf = 23}).value();
//   rt.connect(cam.output(&VideoTestSource::video), w.input(&FileWriter::video));        // raw: encoded here
//   rt.connect(enc.output(&AudioEncoder::out), w.input(&FileWriter::audio_packets));      // or packets
//
// Inputs: `video` / `audio` take raw frames and encode them with `video_codec` / `audio_codec`
// (the same encoder code as VideoEncoder/AudioEncoder; "" picks H.264 + AAC, or VP9 + Opus for
// WebM) and `preset`/`tune`/`crf`/`bitrate`/`keyframe_interval`; `video_packets` /
// `audio_packets` take encoded packets as they are. Use one input of each kind. Raw video keeps its
// pixel format where the codec takes it (10-bit, 4:2:2, 4:4:4), as VideoEncoder does; frames
// converted for the codec are counted in `pixel_format_conversions` and each conversion is named
// once in a warning.
//
// Timing: the writer is an Aggregator (streamlib/aggregator.h) over its four inputs, on the
// media timeline: a frame or packet spans [timestamp, timestamp + duration) (packets by their
// decode time), cut into 10 ms intervals (a gap of over a second with nothing on any input —
// a source's clock jumped — is crossed in one). With `sync_timeout_ms` = 0 (the default) an
// interval never waits: every input is taken as it comes and the muxer interleaves the packets
// by time (it holds the early ones of one stream until the others catch up), so no producer
// ever waits on the writer for another input's sake. With `sync_timeout_ms` > 0 the inputs are
// read together: an interval waits until every linked input that has not ended has sent data
// through its end; an input silent that long is stalled — counted in the processor's
// input_stalls and in the `input_stalls` metric per track, its first stall reported as a
// warning event naming its link — and the writer goes on without it until it sends again (what
// it sends then is written, late, by the muxer's interleaving); a full input goes on at once,
// so one producer feeding both inputs — a FileSource — never waits on the writer for the
// other's sake. An input that ends is not waited for. The file
// starts once every connected input has told its codec (its first packet, or a raw input's
// encoder opened at its first frame, or its end); an input that has not when the others' packets
// have waited `start_timeout_ms` (on the runtime's clock) is left out of the file, and what it
// sends later is dropped (counted). With 0 the writer waits as long as it takes, holding the
// other inputs' packets in memory. Times are rebased so the file starts at 0
// with the streams' offsets kept (A/V sync).
//
// Media time: a stream whose timestamps go back (its source's clock restarted) is re-based to
// go on right after what was written — by the encoder for raw input, by the muxer for packets
// — never dropped; each time is counted in the `timestamp_discontinuities` metric and the first
// is reported as a warning event naming the input's link.
//
// Length: `duration_s` > 0 writes that much media time and then ends the file by itself (its
// stream ends, so a run whose sinks are all done ends too): raw frames starting at or after it
// (from the first timestamp the writer saw) are not encoded, so the cut is exact; encoded
// packets are cut in decode order at the first one that starts there, keeping those before
// it that frames shown earlier refer to (B-frames). `streamlib run --media-duration` sets it.
//
// Metrics: packets and bytes written, `time_s` (the media time written, as ffmpeg's `time=`),
// `speed` (media time over the wall time since setup, as ffmpeg's `speed=`) and
// `timestamp_discontinuities`.
//
// Finalizing: finish() — end of stream on every input, or the runtime's stop — drains the
// encoders and writes the trailer; removing the writer live closes the file in teardown().
// `fragmented` (MP4/MOV) writes self-contained fragments — one at each keyframe, and at least
// one a second — so the file plays up to the last complete one even after `kill -9`.
//
// Errors name the processor and the file. The config is refused (validate(): at `streamlib
// validate`, when the graph is loaded, before anything is opened) for an unknown extension or
// format, a folder that does not exist or cannot be written, an unknown codec, preset or tune,
// a key of `options` that neither the muxer nor the file's I/O has, of `video_options` /
// `audio_options` that the encoder lacks, or a value FFmpeg refuses for one; and a graph
// refuses two writers of one file (exclusive_resources()).
//
// FFmpeg options: `options` go to the muxer (avformat_write_header) and the file's protocol
// (avio_open2): {"movflags": "+faststart"} puts the MP4 index first, {"movflags":
// "frag_keyframe+empty_moov"} fragments it. `video_options` / `audio_options` go to the
// encoders of raw input (avcodec_open2): {"x264-params": "keyint=60:bframes=0"}. Packets taken
// on `video_packets` / `audio_packets` are already encoded: set options on their encoder.
//
// Replacing a file: the recording goes to a temporary file beside `path` that replaces it only
// once its first packet is in (ffmpeg::Muxer), so a writer that fails or never gets a frame —
// a graph whose start fails — leaves an existing file byte for byte as it was.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "ffmpeg/format_conversions.h"
#include "ffmpeg_common/encoder.h"
#include "ffmpeg_common/muxer.h"
#include "streamlib/aggregator.h"
#include "streamlib/config_values.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

struct FileWriterConfig {
  std::string path;                     // output file; its extension picks the container
  std::string format;                   // FFmpeg muxer name to override the extension ("mp4", "matroska")
  std::string video_codec;              // raw `video`: "h264", "vp9", ...; "": by container
  std::string audio_codec;              // raw `audio`: "aac", "opus", ...; "": by container
  std::string preset;                   // video encoder preset (x264: ultrafast..placebo)
  std::string tune;                     // x264 tune
  int crf = -1;                         // video constant quality; -1: the codec's default
  std::int64_t bitrate = 0;             // video bits a second; 0: constant quality
  int keyframe_interval = 0;            // frames between keyframes; 0: the codec's default
  int threads = 0;                      // video encoder threads; 0: the codec picks
  FrameRate fps = 30;                   // nominal video frame rate: 30, 29.97, "30000/1001"
  std::int64_t audio_bitrate = 128000;  // bits a second
  bool fragmented = false;              // fragmented MP4/MOV (survives a crash)
  int sync_timeout_ms = 0;              // > 0: read inputs together, going on without one silent this long
  int start_timeout_ms = 10000;         // leave out an input silent this long at the start; 0: wait
  double duration_s = 0;                // > 0: write this much media time, then end the file
  // FFmpeg options by name: `options` for the muxer and the file's I/O ({"movflags": "+faststart"}),
  // `video_options` / `audio_options` for the encoders of raw `video` / `audio`
  // ({"x264-params": "keyint=60"}). Each key must be one its object has.
  OptionMap options;
  OptionMap video_options;
  OptionMap audio_options;

  Result<void> validate() const;
  // The output file: a graph refuses a second processor writing the same one.
  std::vector<std::string> exclusive_resources() const;
  friend bool operator==(const FileWriterConfig&, const FileWriterConfig&) = default;
};
STREAMLIB_CONFIG(FileWriterConfig, path, format, video_codec, audio_codec, preset, tune, crf, bitrate,
                 keyframe_interval, threads, fps, audio_bitrate, fragmented, sync_timeout_ms, start_timeout_ms,
                 duration_s, options, video_options, audio_options);
STREAMLIB_CONFIG_DOCS(
    FileWriterConfig,
    {"path", "Output file; its extension picks the container (.mp4, .mov, .mkv, .webm)", "not empty",
     ConfigReload::kRefused},
    {"format", "FFmpeg muxer name overriding the extension (mp4, matroska, ...); empty: by extension", "",
     ConfigReload::kRefused},
    {"video_codec", "Encoder for raw `video`: h264, vp9, ...; empty: by container", "", ConfigReload::kRefused},
    {"audio_codec", "Encoder for raw `audio`: aac, opus, ...; empty: by container", "", ConfigReload::kRefused},
    {"preset",
     "Video encoder preset (x264: ultrafast..placebo); empty: the codec's default. Live: refused if the new preset "
     "changes the stream's headers (x264 SPS/PPS)",
     "", ConfigReload::kLive},
    {"tune", "Video encoder tune (x264: film, animation, zerolatency, ...); empty: none. Live like preset", "",
     ConfigReload::kLive},
    {"crf", "Video constant quality, lower is better; -1: the codec's default", "[-1, 63]", ConfigReload::kLive},
    {"bitrate", "Video bitrate in bits per second (x264: also the VBV max rate); 0: constant quality",
     "[0, 1000000000]", ConfigReload::kLive},
    {"keyframe_interval", "Frames between video keyframes; 0: the codec's default", "[0, 100000]", ConfigReload::kLive},
    {"threads", "Video encoder threads; 0: the codec picks", "[0, 64]", ConfigReload::kRefused},
    {"fps", "Nominal video frame rate: an integer, a decimal (29.97 is 30000/1001) or \"30000/1001\"", "[1, 1000]",
     ConfigReload::kRefused},
    {"audio_bitrate", "Audio bitrate in bits per second (live for aac; refused for other codecs)", "[1000, 10000000]",
     ConfigReload::kLive},
    {"fragmented",
     "Write a fragmented MP4/MOV (a fragment at each keyframe, at least every second), playable after a crash", "",
     ConfigReload::kRefused},
    {"sync_timeout_ms",
     "Read the inputs together, going on without one silent this long, in milliseconds; 0: each as it comes",
     "[0, 3600000]", ConfigReload::kRefused},
    {"start_timeout_ms",
     "Start the file without an input still silent after this long, in milliseconds; 0: wait for it", "[0, 3600000]",
     ConfigReload::kRefused},
    {"duration_s", "Media time to write, in seconds, then end the file; 0: until the inputs end", "[0, 10000000]",
     ConfigReload::kRefused},
    {"options",
     "FFmpeg options of the muxer and the file's I/O by name (movflags, cluster_time_limit, ...), values as text", "",
     ConfigReload::kRefused},
    {"video_options", "FFmpeg options of the encoder of raw `video` by name (x264-params, g, ...)", "",
     ConfigReload::kRefused},
    {"audio_options", "FFmpeg options of the encoder of raw `audio` by name (opus: application, ...)", "",
     ConfigReload::kRefused});

namespace internal {

// What FileWriter and Mp4Writer do; they differ only in the name they register under (two
// classes, so that `&Mp4Writer::video` names a member of Mp4Writer itself).
class FileWriterCore : public Aggregator<FileWriterConfig, AnyFrame> {
 public:
  Result<void> setup(RuntimeContext& ctx) override;
  void teardown() override;
  // The encoder fields (preset, tune, crf, bitrate, keyframe_interval, audio_bitrate) change live
  // (ffmpeg::VideoEncoder/AudioEncoder::reconfigure: no frame lost, refused if the stream's
  // headers would change). Every other field is refused, naming it: a rebuild would reopen (and
  // truncate) the file mid-recording. Remove the writer (which closes its file) and add a new one.
  Result<void> on_config_change(const FileWriterConfig& next) override;
  // {"packets", "dropped", "bytes", "time_s", "speed", "timestamp_discontinuities",
  // "input_stalls": {"video", "audio"}} (see the file comment)
  nlohmann::json metrics() const override;

  // --- Aggregator (see the file comment) ---
  AggregateSpan span(const AnyFrame& message) const override;
  std::int64_t interval_length() const override;
  bool waits_for_inputs() const override { return config().sync_timeout_ms > 0; }
  Reactive synchronization() const override;
  Result<void> on_arrival(const InputPortBase& input, const AnyFrame& message) override;
  // The interval's frames encoded and packets queued, then written once the file has started.
  Result<void> aggregate(const AggregateInterval& interval, std::span<AggregatorInput<AnyFrame>> inputs) override;
  // Drains the encoders and writes the trailer.
  Result<void> on_end() override;

 protected:
  struct Ports {
    LinkInput<VideoFrame>* video;
    LinkInput<AudioFrame>* audio;
    LinkInput<EncodedPacket>* video_packets;
    LinkInput<EncodedPacket>* audio_packets;
  };
  explicit FileWriterCore(Ports ports) : ports_(ports) {}

 private:
  struct Stream {
    MediaKind kind = MediaKind::kVideo;
    std::optional<ffmpeg::VideoEncoder> video_encoder;  // raw video input
    std::optional<ffmpeg::AudioEncoder> audio_encoder;  // raw audio input
    std::shared_ptr<const CodecParameters> params;      // known once its codec is
    std::deque<EncodedPacket> pending;                  // before the file starts
    int index = -1;                                     // in the file; -1: not (yet) in it
    bool connected = false;
    bool ended = false;
    std::uint64_t encoder_discontinuities = 0;  // the encoder's count already taken
    bool warned = false;                        // its discontinuity was reported
    bool past_limit = false;                    // reached `duration_s`
    std::vector<EncodedPacket> held;            // starting past it, maybe referred to
  };

  Result<void> check_inputs() const;
  Result<void> take(const InputPortBase& port, const AnyFrame& message);
  void refresh_inputs();
  // The port's place in ports_ (0..3), for the per-input bookkeeping.
  std::size_t port_index(const InputPortBase& port) const;
  Result<void> start_file(bool force);
  Result<void> write_pending();
  Result<void> close(bool drain);
  Error named(const Error& e) const;
  // `n` more times `s`'s timestamps went back and were re-based: counted, reported once.
  void count_discontinuities(Stream& s, std::uint64_t n);
  // `duration_s` in ns (0: none); whether raw media starting at `timestamp_ns` is past it (then
  // `s` is, from then on).
  std::int64_t limit_ns() const;
  bool past_limit(Stream& s, std::int64_t timestamp_ns);
  void queue_packet(Stream& s, EncodedPacket packet);
  bool limit_reached() const;

  Ports ports_;
  std::optional<ffmpeg::Muxer> muxer_;
  Stream video_{.kind = MediaKind::kVideo};
  Stream audio_{.kind = MediaKind::kAudio};
  std::vector<EncodedPacket> scratch_;
  std::optional<std::int64_t> first_pending_ns_;  // when a packet first waited for the file to start
  bool started_ = false;
  bool closed_ = false;
  std::optional<std::int64_t> origin_ns_;     // the first timestamp seen, for `duration_s`
  std::optional<std::int64_t> first_pts_ns_;  // of the packets written
  std::int64_t setup_ns_ = 0;                 // on the runtime's clock
  // Per input (ports_ order), the starts of the messages taken but not yet handed to
  // aggregate(): where the next interval may jump to across a gap.
  std::array<std::deque<std::int64_t>, 4> waiting_starts_;
  std::array<std::atomic<std::uint64_t>, 2> stalls_{};  // per track (video, audio), for metrics()
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> discontinuities_{0};
  FormatConversions conversions_;          // of the video encoder
  std::atomic<std::uint64_t> bytes_{0};    // of the packets written
  std::atomic<std::int64_t> media_ns_{0};  // the media time written
  std::atomic<std::int64_t> wall_ns_{0};   // from setup to the last write
};

}  // namespace internal

class FileWriter final : public internal::FileWriterCore {
 public:
  STREAMLIB_PROCESSOR(FileWriter, "Writes video and audio to MP4/MOV/MKV/WebM (by extension), encoding raw input",
                      Reactive{});

  LinkInput<VideoFrame> video{this, "video", "Raw video, encoded with video_codec"};
  LinkInput<AudioFrame> audio{this, "audio", "Raw audio, encoded with audio_codec"};
  LinkInput<EncodedPacket> video_packets{this, "video_packets", "Encoded video (from a VideoEncoder)"};
  LinkInput<EncodedPacket> audio_packets{this, "audio_packets", "Encoded audio (from an AudioEncoder)"};

  FileWriter() : FileWriterCore({&video, &audio, &video_packets, &audio_packets}) {}
};

class Mp4Writer final : public internal::FileWriterCore {
 public:
  STREAMLIB_PROCESSOR(Mp4Writer, "FileWriter under its MP4 name: MP4/MOV/MKV/WebM by extension", Reactive{});

  LinkInput<VideoFrame> video{this, "video", "Raw video, encoded with video_codec"};
  LinkInput<AudioFrame> audio{this, "audio", "Raw audio, encoded with audio_codec"};
  LinkInput<EncodedPacket> video_packets{this, "video_packets", "Encoded video (from a VideoEncoder)"};
  LinkInput<EncodedPacket> audio_packets{this, "audio_packets", "Encoded audio (from an AudioEncoder)"};

  Mp4Writer() : FileWriterCore({&video, &audio, &video_packets, &audio_packets}) {}
};

}  // namespace streamlib
