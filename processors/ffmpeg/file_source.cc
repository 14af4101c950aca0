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
  STREAMLIB_RETURN_IF_ERROR(check_range("sample_rate", sample_rate, 0, 384000));
  return check_range("channels", channels, 0, kMaxAudioChannels);
}

ExecutionConfig FileSource::execution_config() const {
  return ExecutionConfig{Continuous{config().live ? kLiveWakeup : std::chrono::microseconds(0)}};
}

Result<void> FileSource::setup(RuntimeContext&) {
  const FileSourceConfig& c = config();
  auto reader = ffmpeg::MediaReader::open(c.path, {.video = c.video,
                                                   .audio = c.audio,
                                                   .video_format = c.format,
                                                   .sample_rate = c.sample_rate,
                                                   .channels = c.channels,
                                                   .loop = c.loop});
  if (!reader) return make_error(internal::named_error(*this, reader.error()));
  reader_.emplace(std::move(*reader));
  if (c.start_s > 0) {
    const auto at = static_cast<std::int64_t>(c.start_s * 1e9);
    const std::int64_t duration = reader_->info().duration_ns;
    if (duration > 0 && at >= duration) {
      reader_.reset();
      return make_error(internal::named_error(
          *this,
          Error(ErrorCode::kInvalidArgument, fmt::format("{}: start_s {} is past the end of the file ({:.3f} s)",
                                                         c.path, c.start_s, static_cast<double>(duration) / 1e9))));
    }
    if (auto r = reader_->seek(at); !r) {
      reader_.reset();
      return make_error(internal::named_error(*this, r.error()));
    }
  }
  duration_ns_.store(c.loop ? 0 : reader_->info().duration_ns, std::memory_order_relaxed);
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
  }
}

// Connected outputs none of which can carry anything (`video` from a WAV, or turned off in the
// config) are a mistake in the graph, not an empty stream: say so rather than end quietly. One
// connected output the file has no stream for is fine while another plays (a video-only file
// through a graph that also takes audio). Checked at the first call, when the links are wired.
Result<void> FileSource::check_outputs() const {
  const ffmpeg::MediaInfo& info = reader_->info();
  const bool video_plays = video.is_connected() && info.video.has_value();
  const bool audio_plays = audio.is_connected() && info.audio.has_value();
  if (video_plays || audio_plays) return {};
  for (auto [port, wanted] :
       {std::pair<const OutputPortBase*, bool>{&video, config().video}, {&audio, config().audio}}) {
    if (!port->is_connected()) continue;
    return make_error(internal::named_error(
        *this, Error(ErrorCode::kNotFound,
                     wanted ? fmt::format("{}: output `{}` is connected, but the file has no {} stream", config().path,
                                          port->name(), port->name())
                            : fmt::format("{}: output `{}` is connected, but `{}` is false in the config",
                                          config().path, port->name(), port->name()))));
  }
  return {};  // nothing connected
}

Result<void> FileSource::process() {
  if (!outputs_checked_) {
    STREAMLIB_RETURN_IF_ERROR(check_outputs());
    outputs_checked_ = true;
  }
  for (int i = 0; i < kBatch; ++i) {
    if (!held_) {
      auto next = reader_->read();
      if (!next) return make_error(internal::named_error(*this, next.error()));
      if (next->end_of_stream()) {
        end_stream();
        return {};
      }
      held_ = std::move(*next);
    }
    if (config().live) {
      const std::int64_t now = context().now_ns();
      if (!start_ns_) start_ns_ = now - held_->timestamp_ns();
      if (*start_ns_ + held_->timestamp_ns() > now) return {};  // not yet its time
    }
    send(*held_);
    held_.reset();
    if (!config().live) return {};  // one per call: a blocked link paces the reading
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
                   {"position_s", static_cast<double>(position) / 1e9}};
  // How far through the file (not when looping): `streamlib run` draws it as a progress bar.
  if (const std::int64_t duration = duration_ns_.load(std::memory_order_relaxed); duration > 0) {
    m["progress"] = std::clamp(static_cast<double>(position) / static_cast<double>(duration), 0.0, 1.0);
  }
  return m;
}

}  // namespace streamlib
