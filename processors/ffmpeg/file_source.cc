#include "file_source.h"

#include <algorithm>

#include "common.h"

namespace streamlib {
namespace {
// A live source checks the clock this often (frames are sent at most this late).
constexpr std::chrono::microseconds kLiveWakeup{1000};
// Frames sent per call: live, at most this many overdue ones; fast, one call reads this many.
constexpr int kBatch = 8;
}  // namespace

Result<void> FileSourceConfig::validate() const {
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "path: must not be empty");
  if (!(start_s >= 0) || start_s > 1e9) {
    return make_error(ErrorCode::kInvalidArgument, "start_s: must be a position in seconds >= 0, got {}", start_s);
  }
  if (!(duration_s >= 0) || duration_s > 1e9) {
    return make_error(ErrorCode::kInvalidArgument, "duration_s: must be seconds in [0, 1e9] (0: to the end), got {}",
                      duration_s);
  }
  STREAMLIB_RETURN_IF_ERROR(check_range("sample_rate", sample_rate, 0, 384000));
  return check_range("channels", channels, 0, kMaxAudioChannels);
}

ExecutionConfig FileSource::execution_config() const {
  return ExecutionConfig{Continuous{config().live ? kLiveWakeup : std::chrono::microseconds(0)}};
}

// The reader for what the connected outputs need (`probe`: nothing decoded). A stream is decoded
// only if its frame output is connected; its packets are always read (cheap: no copy), so the
// timeline's origin is the same whatever the graph takes, and a packet output connected while
// running gets packets from the next keyframe on.
ffmpeg::MediaReaderOptions FileSource::reader_options(bool probe) const {
  const FileSourceConfig& c = config();
  return {.video = !probe && c.video && video.is_connected(),
          .audio = !probe && c.audio && audio.is_connected(),
          .video_packets = c.video,
          .audio_packets = c.audio,
          .start_ns = static_cast<std::int64_t>(c.start_s * 1e9),
          .duration_ns = static_cast<std::int64_t>(c.duration_s * 1e9),
          .video_format = c.format,
          .sample_rate = c.sample_rate,
          .channels = c.channels,
          .loop = c.loop,
          .autorotate = c.autorotate};
}

// Setup opens the file to check it (and start_s) without decoding anything: which outputs are
// connected, and so what to decode, is known at the first call (open_for_outputs).
Result<void> FileSource::setup(RuntimeContext&) {
  const FileSourceConfig& c = config();
  ffmpeg::MediaReaderOptions probe = reader_options(true);
  probe.start_ns = 0;
  probe.duration_ns = 0;
  auto reader = ffmpeg::MediaReader::open(c.path, probe);
  if (!reader) return make_error(internal::named_error(*this, reader.error()));
  const std::int64_t duration = reader->info().duration_ns;
  if (c.start_s > 0 && duration > 0 && static_cast<std::int64_t>(c.start_s * 1e9) >= duration) {
    return make_error(internal::named_error(
        *this,
        Error(ErrorCode::kInvalidArgument, fmt::format("{}: start_s {} is past the end of the file ({:.3f} s)", c.path,
                                                       c.start_s, static_cast<double>(duration) / 1e9))));
  }
  reader_.emplace(std::move(*reader));
  std::int64_t length = c.loop ? 0 : duration;
  if (length > 0 && c.duration_s > 0) {
    length = std::min(length, static_cast<std::int64_t>((c.start_s + c.duration_s) * 1e9));
  }
  duration_ns_.store(length, std::memory_order_relaxed);
  return {};
}

Result<void> FileSource::open_for_outputs() {
  const ffmpeg::MediaReaderOptions options = reader_options(false);
  auto reader = ffmpeg::MediaReader::open(config().path, options);
  if (!reader) return make_error(internal::named_error(*this, reader.error()));
  reader_.emplace(std::move(*reader));
  decoding_ = options.video || options.audio;
  return {};
}

void FileSource::send(const ffmpeg::DecodedFrame& f) {
  if (f.timestamp_ns() > position_ns_.load(std::memory_order_relaxed)) {
    position_ns_.store(f.timestamp_ns(), std::memory_order_relaxed);
  }
  if (const VideoFrame* v = f.video()) {
    video.push(*v);
    video_frames_.fetch_add(1, std::memory_order_relaxed);
  } else if (const AudioFrame* a = f.audio()) {
    audio.push(*a);
    audio_blocks_.fetch_add(1, std::memory_order_relaxed);
  } else if (const EncodedPacket* p = f.packet()) {
    const bool is_video = p->kind() == MediaKind::kVideo;
    LinkOutput<EncodedPacket>& port = is_video ? video_packets : audio_packets;
    bool& flowing = is_video ? video_packets_flowing_ : audio_packets_flowing_;
    if (!port.is_connected()) {
      flowing = false;  // read for the timeline only
      return;
    }
    if (!flowing && !p->keyframe()) return;  // connected mid-stream: from a keyframe on
    flowing = true;
    port.push(*p);
    (&port == &video_packets ? video_packets_ : audio_packets_).fetch_add(1, std::memory_order_relaxed);
  }
}

// Connected outputs none of which can carry anything (`video` from a WAV, or turned off in the
// config) are a mistake in the graph, not an empty stream: say so rather than end quietly. One
// connected output the file has no stream for is fine while another plays (a video-only file
// through a graph that also takes audio). Checked at the first call, when the links are wired.
Result<void> FileSource::check_outputs() const {
  const ffmpeg::MediaInfo& info = reader_->info();
  const bool has_video = info.video.has_value();
  const bool has_audio = info.audio.has_value();
  if ((video.is_connected() || video_packets.is_connected()) && has_video) return {};
  if ((audio.is_connected() || audio_packets.is_connected()) && has_audio) return {};
  struct Port {
    const OutputPortBase* port;
    bool wanted;
    const char* kind;
  };
  for (auto [port, wanted, kind] :
       {Port{&video, config().video, "video"}, Port{&audio, config().audio, "audio"},
        Port{&video_packets, config().video, "video"}, Port{&audio_packets, config().audio, "audio"}}) {
    if (!port->is_connected()) continue;
    const std::string_view flag = kind;
    return make_error(internal::named_error(
        *this, Error(ErrorCode::kNotFound,
                     wanted ? fmt::format("{}: output `{}` is connected, but the file has no {} stream", config().path,
                                          port->name(), kind)
                            : fmt::format("{}: output `{}` is connected, but `{}` is false in the config",
                                          config().path, port->name(), flag))));
  }
  return {};  // nothing connected
}

Result<void> FileSource::process() {
  if (!outputs_checked_) {
    STREAMLIB_RETURN_IF_ERROR(check_outputs());
    STREAMLIB_RETURN_IF_ERROR(open_for_outputs());
    outputs_checked_ = true;
  }
  for (int sent = 0; sent < kBatch;) {
    if (!held_) {
      auto next = reader_->read();
      const ffmpeg::MediaReaderStats stats = reader_->stats();
      decoded_packets_.store(stats.decoded_packets, std::memory_order_relaxed);
      pixel_format_conversions_.store(stats.pixel_format_conversions, std::memory_order_relaxed);
      if (stats.pixel_format_conversions > 0 && !conversion_named_.load(std::memory_order_relaxed)) {
        conversion_ = reader_->pixel_format_conversion();
        conversion_named_.store(true, std::memory_order_release);
        context().warn(
            fmt::format("{}: video in {}: StreamLib has no such pixel format, frames are converted to the "
                        "nearest it has (counted in pixel_format_conversions)",
                        config().path, conversion_));
      }
      if (!next) return make_error(internal::named_error(*this, next.error()));
      if (next->end_of_stream()) {
        end_stream();
        return {};
      }
      held_ = std::move(*next);
    }
    // A packet beside decoded frames goes at once: it is ahead of its frame by the decoder's
    // delay, and waiting for its time would make the frames behind it late. Alone, packets are
    // paced (live) and counted like frames.
    const EncodedPacket* packet = held_->packet();
    const bool counted = packet == nullptr || !decoding_;
    if (config().live && counted) {
      const std::int64_t now = context().now_ns();
      if (!start_ns_) start_ns_ = now - held_->timestamp_ns();
      if (*start_ns_ + held_->timestamp_ns() > now) return {};  // not yet its time
    }
    send(*held_);
    held_.reset();
    if (!counted) continue;
    ++sent;
    // Frames one per call: a blocked link paces the reading. Packets are small and many (a
    // copy runs at thousands a second): up to kBatch a call.
    if (!config().live && packet == nullptr) return {};
  }
  return {};
}

void FileSource::teardown() {
  held_.reset();
  reader_.reset();
}

nlohmann::json FileSource::metrics() const {
  const std::int64_t position = position_ns_.load(std::memory_order_relaxed);
  nlohmann::json m{{"video_frames", video_frames_.load(std::memory_order_relaxed)},
                   {"audio_blocks", audio_blocks_.load(std::memory_order_relaxed)},
                   {"video_packets", video_packets_.load(std::memory_order_relaxed)},
                   {"audio_packets", audio_packets_.load(std::memory_order_relaxed)},
                   {"decoded_packets", decoded_packets_.load(std::memory_order_relaxed)},
                   {"pixel_format_conversions", pixel_format_conversions_.load(std::memory_order_relaxed)},
                   {"position_s", static_cast<double>(position) / 1e9}};
  if (conversion_named_.load(std::memory_order_acquire)) m["pixel_format_conversion"] = conversion_;
  // How far through the file (not when looping): `streamlib run` draws it as a progress bar.
  if (const std::int64_t duration = duration_ns_.load(std::memory_order_relaxed); duration > 0) {
    m["progress"] = std::clamp(static_cast<double>(position) / static_cast<double>(duration), 0.0, 1.0);
  }
  return m;
}

}  // namespace streamlib
