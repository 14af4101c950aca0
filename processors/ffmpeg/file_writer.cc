#include "file_writer.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <utility>

#include "common.h"
#include "encoders.h"
#include "streamlib/registry.h"

namespace streamlib {

Result<void> FileWriterConfig::validate() const {
  if (path.empty()) return make_error(ErrorCode::kInvalidArgument, "path: must not be empty");
  // What setup() would refuse, found before anything is opened: the container, the folder, the
  // encoders for raw input (with their defaults by container) and their preset and tune.
  if (auto r = ffmpeg::Muxer::check_container(path, format); !r) {
    return make_error(r.error().with_context(format.empty() ? "path" : "format"));
  }
  if (auto r = ffmpeg::Muxer::check_folder(path); !r) return make_error(r.error().with_context("path"));
  const bool webm = format == "webm" || (format.empty() && path.size() >= 5 &&
                                         std::equal(path.end() - 5, path.end(), ".webm", [](char a, char b) {
                                           return std::tolower(static_cast<unsigned char>(a)) == b;
                                         }));
  const std::string video = video_codec.empty() ? (webm ? "vp9" : "h264") : video_codec;
  const std::string audio = audio_codec.empty() ? (webm ? "opus" : "aac") : audio_codec;
  STREAMLIB_RETURN_IF_ERROR(internal::check_video_encoder("video_codec", video, preset, tune));
  STREAMLIB_RETURN_IF_ERROR(internal::check_audio_encoder("audio_codec", audio));
  if (auto r = ffmpeg::Muxer::check_options(path, format, options); !r) {
    return make_error(r.error().with_context("options"));
  }
  STREAMLIB_RETURN_IF_ERROR(internal::check_encoder_options("video_options", MediaKind::kVideo, video, video_options));
  STREAMLIB_RETURN_IF_ERROR(internal::check_encoder_options("audio_options", MediaKind::kAudio, audio, audio_options));
  STREAMLIB_RETURN_IF_ERROR(check_range("crf", crf, -1, 63));
  STREAMLIB_RETURN_IF_ERROR(check_range<std::int64_t>("bitrate", bitrate, 0, 1'000'000'000));
  STREAMLIB_RETURN_IF_ERROR(check_range("keyframe_interval", keyframe_interval, 0, 100000));
  STREAMLIB_RETURN_IF_ERROR(check_range("threads", threads, 0, 64));
  STREAMLIB_RETURN_IF_ERROR(check_frame_rate("fps", fps, 1, 1000));
  STREAMLIB_RETURN_IF_ERROR(check_range<std::int64_t>("audio_bitrate", audio_bitrate, 1000, 10'000'000));
  STREAMLIB_RETURN_IF_ERROR(check_range("sync_timeout_ms", sync_timeout_ms, 0, 3'600'000));
  STREAMLIB_RETURN_IF_ERROR(check_range("duration_s", duration_s, 0.0, 1e7));
  return check_range("start_timeout_ms", start_timeout_ms, 0, 3'600'000);
}

std::vector<std::string> FileWriterConfig::exclusive_resources() const { return {file_resource(path)}; }

namespace internal {
namespace {
// Fragmented files are also cut at least this often, not only at keyframes: with an encoder's
// default keyframe interval (x264: 250 frames, over 8 s at 30 fps) a recording killed in its
// first seconds would otherwise hold no complete fragment, and a later one lose that much.
constexpr std::int64_t kFragmentDurationNs = 1'000'000'000;
}  // namespace

// The writer's intervals on the media timeline, and the gap (nothing on any input) crossed in
// one: a source's clock that jumped ahead is not walked through 10 ms at a time.
constexpr std::int64_t kIntervalNs = 10'000'000;
constexpr std::int64_t kGapNs = 1'000'000'000;

AggregateSpan FileWriterCore::span(const AnyFrame& m) const {
  if (const VideoFrame* f = m.video())
    return {f->timestamp_ns(), f->timestamp_ns() + std::max<std::int64_t>(0, f->duration_ns())};
  if (const AudioFrame* f = m.audio())
    return {f->timestamp_ns(), f->timestamp_ns() + std::max<std::int64_t>(0, f->duration_ns())};
  if (const EncodedPacket* p = m.packet())
    return {p->dts_ns(), p->dts_ns() + std::max<std::int64_t>(0, p->duration_ns())};
  return {m.timestamp_ns(), m.timestamp_ns()};
}

std::int64_t FileWriterCore::interval_length() const {
  const std::optional<std::int64_t> at = position();
  std::optional<std::int64_t> next;
  for (const auto& starts : waiting_starts_) {
    if (!starts.empty() && (!next || starts.front() < *next)) next = starts.front();
  }
  if (at && next && *next - *at > kGapNs) return *next - *at;
  return kIntervalNs;
}

Reactive FileWriterCore::synchronization() const {
  return Reactive{.inputs = InputsReady::kSynchronized,
                  .timeout = std::chrono::milliseconds(config().sync_timeout_ms),
                  .go_on_when_full = true};  // one producer (a FileSource) may feed both inputs
}

std::size_t FileWriterCore::port_index(const InputPortBase& port) const {
  if (&port == ports_.video) return 0;
  if (&port == ports_.audio) return 1;
  if (&port == ports_.video_packets) return 2;
  return 3;
}

Result<void> FileWriterCore::on_arrival(const InputPortBase& input, const AnyFrame& message) {
  waiting_starts_[port_index(input)].push_back(span(message).start);
  return {};
}

Error FileWriterCore::named(const Error& e) const { return named_error(*this, e); }

Result<void> FileWriterCore::setup(RuntimeContext& ctx) {
  const FileWriterConfig& c = config();
  setup_ns_ = ctx.now_ns();
  auto muxer = ffmpeg::Muxer::open(c.path, {.format = c.format,
                                            .fragmented = c.fragmented,
                                            .fragment_duration_ns = kFragmentDurationNs,
                                            .options = c.options});
  if (!muxer) return make_error(named(muxer.error()));
  muxer_.emplace(std::move(*muxer));
  const bool webm = muxer_->format_name() == "webm";
  // The encoders for raw input are made now (so an unknown codec fails here) and open at their
  // first frame.
  VideoEncoderConfig v{.codec = c.video_codec.empty() ? (webm ? "vp9" : "h264") : c.video_codec,
                       .preset = c.preset,
                       .tune = c.tune,
                       .crf = c.crf,
                       .bitrate = c.bitrate,
                       .keyframe_interval = c.keyframe_interval,
                       .threads = c.threads,
                       .fps = c.fps,
                       .options = c.video_options};
  auto venc = ffmpeg::VideoEncoder::create(video_encoder_options(v));
  if (!venc) return make_error(named(venc.error().with_context(c.path)));
  AudioEncoderConfig a{.codec = c.audio_codec.empty() ? (webm ? "opus" : "aac") : c.audio_codec,
                       .bitrate = c.audio_bitrate,
                       .options = c.audio_options};
  auto aenc = ffmpeg::AudioEncoder::create(audio_encoder_options(a));
  if (!aenc) return make_error(named(aenc.error().with_context(c.path)));
  video_.video_encoder.emplace(std::move(*venc));
  audio_.audio_encoder.emplace(std::move(*aenc));
  return {};
}

Result<void> FileWriterCore::check_inputs() const {
  if (ports_.video->is_connected() && ports_.video_packets->is_connected()) {
    return make_error(named(Error(ErrorCode::kInvalidArgument,
                                  fmt::format("{}: connect `video` or `video_packets`, not both", config().path))));
  }
  if (ports_.audio->is_connected() && ports_.audio_packets->is_connected()) {
    return make_error(named(Error(ErrorCode::kInvalidArgument,
                                  fmt::format("{}: connect `audio` or `audio_packets`, not both", config().path))));
  }
  return {};
}

Result<void> FileWriterCore::take(const InputPortBase& port, const AnyFrame& message) {
  auto queue = [](Stream& s, std::vector<EncodedPacket>& packets) {
    for (EncodedPacket& p : packets) s.pending.push_back(std::move(p));
    packets.clear();
  };
  if (const VideoFrame* frame = message.video(); frame != nullptr && &port == ports_.video) {
    if (past_limit(video_, frame->timestamp_ns())) return {};
    auto r = video_.video_encoder->encode(*frame, scratch_);
    if (!r) return make_error(named(r.error().with_context(config().path)));
    if (!video_.params) video_.params = video_.video_encoder->parameters();
    conversions_.update(*video_.video_encoder, config().path,
                        [&](std::string m) { context().warn(std::move(m), ports_.video->link_id()); });
    queue(video_, scratch_);
  } else if (const AudioFrame* samples = message.audio(); samples != nullptr && &port == ports_.audio) {
    if (past_limit(audio_, samples->timestamp_ns())) return {};
    auto r = audio_.audio_encoder->encode(*samples, scratch_);
    if (!r) return make_error(named(r.error().with_context(config().path)));
    if (!audio_.params) audio_.params = audio_.audio_encoder->parameters();
    queue(audio_, scratch_);
  } else if (const EncodedPacket* packet = message.packet(); packet != nullptr) {
    Stream& stream = &port == ports_.video_packets ? video_ : audio_;
    if (!stream.params) stream.params = packet->params();
    queue_packet(stream, *packet);
  }
  return {};
}

void FileWriterCore::refresh_inputs() {
  if (video_.video_encoder) {
    const std::uint64_t n = video_.video_encoder->timestamp_discontinuities();
    count_discontinuities(video_, n - std::exchange(video_.encoder_discontinuities, n));
  }
  if (audio_.audio_encoder) {
    const std::uint64_t n = audio_.audio_encoder->timestamp_discontinuities();
    count_discontinuities(audio_, n - std::exchange(audio_.encoder_discontinuities, n));
  }
  video_.connected = ports_.video->is_connected() || ports_.video_packets->is_connected();
  audio_.connected = ports_.audio->is_connected() || ports_.audio_packets->is_connected();
  video_.ended = ports_.video->ended() || ports_.video_packets->ended();
  audio_.ended = ports_.audio->ended() || ports_.audio_packets->ended();
}

Result<void> FileWriterCore::aggregate(const AggregateInterval& /*interval*/,
                                       std::span<AggregatorInput<AnyFrame>> inputs) {
  STREAMLIB_RETURN_IF_ERROR(check_inputs());
  std::array<std::uint64_t, 2> stalls{};
  for (AggregatorInput<AnyFrame>& in : inputs) {
    const std::size_t index = port_index(*in.port);
    std::deque<std::int64_t>& starts = waiting_starts_[index];
    starts.erase(starts.begin(),
                 starts.begin() + static_cast<std::ptrdiff_t>(std::min(starts.size(), in.messages.size())));
    stalls[index % 2] += this->stalls(in.index);
    if (closed_) continue;
    for (const AnyFrame& m : in.messages) STREAMLIB_RETURN_IF_ERROR(take(*in.port, m));
  }
  for (std::size_t i = 0; i < stalls.size(); ++i) stalls_[i].store(stalls[i], std::memory_order_relaxed);
  if (closed_) return {};
  refresh_inputs();
  STREAMLIB_RETURN_IF_ERROR(start_file(false));
  STREAMLIB_RETURN_IF_ERROR(write_pending());
  if (limit_reached()) end_stream();  // on_end() drains the encoders and writes the trailer
  return {};
}

// The muxer needs every stream before the first packet: start once each connected input has
// told its codec or ended, or (force) at the end, or when packets have waited start_timeout_ms
// on the runtime's clock for an input that says nothing (a stalled live input).
Result<void> FileWriterCore::start_file(bool force) {
  if (started_) return {};
  const bool any_pending = !video_.pending.empty() || !audio_.pending.empty();
  if (any_pending && !first_pending_ns_) first_pending_ns_ = context().now_ns();
  const bool waited_too_long =
      config().start_timeout_ms > 0 && first_pending_ns_ &&
      context().now_ns() - *first_pending_ns_ >= std::int64_t{config().start_timeout_ms} * 1'000'000;
  auto settled = [](const Stream& s) { return s.params || !s.connected || s.ended; };
  if (!force && !waited_too_long && !(settled(video_) && settled(audio_))) return {};
  if (!video_.params && !audio_.params) {
    if (!force) return {};
    return make_error(named(Error(ErrorCode::kFailedPrecondition,
                                  fmt::format("{}: nothing to write (no frames or packets arrived)", config().path))));
  }
  for (Stream* s : {&video_, &audio_}) {
    if (!s->params) continue;
    auto index = muxer_->add_stream(s->params);
    if (!index) return make_error(named(index.error()));
    s->index = *index;
  }
  started_ = true;
  return {};
}

Result<void> FileWriterCore::write_pending() {
  if (!started_) return {};
  for (Stream* s : {&video_, &audio_}) {
    while (!s->pending.empty()) {
      EncodedPacket p = std::move(s->pending.front());
      s->pending.pop_front();
      if (s->index < 0) {  // this input came too late for the file
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      const std::uint64_t before = muxer_->stats().timestamp_discontinuities;
      auto r = muxer_->write(p, s->index);
      if (!r) return make_error(named(r.error()));
      written_.fetch_add(1, std::memory_order_relaxed);
      count_discontinuities(*s, muxer_->stats().timestamp_discontinuities - before);
      bytes_.fetch_add(p.bytes().size(), std::memory_order_relaxed);
      if (!first_pts_ns_ || p.pts_ns() < *first_pts_ns_) first_pts_ns_ = p.pts_ns();
      const std::int64_t end = p.pts_ns() + p.duration_ns() - *first_pts_ns_;
      if (end > media_ns_.load(std::memory_order_relaxed)) media_ns_.store(end, std::memory_order_relaxed);
      wall_ns_.store(context().now_ns() - setup_ns_, std::memory_order_relaxed);
    }
  }
  return {};
}

std::int64_t FileWriterCore::limit_ns() const { return static_cast<std::int64_t>(config().duration_s * 1e9 + 0.5); }

bool FileWriterCore::past_limit(Stream& s, std::int64_t timestamp_ns) {
  if (limit_ns() <= 0) return false;
  if (!origin_ns_) origin_ns_ = timestamp_ns;
  if (timestamp_ns - *origin_ns_ >= limit_ns()) s.past_limit = true;
  return s.past_limit;
}

// Packets come in decode order. One that starts past the limit is held while packets that
// start before it may still come (its decode time is before the limit): a B-frame shown
// earlier may refer to it, and then it goes in first. Once a packet's decode time is past the
// limit, none that starts before it can follow: the held ones are dropped, and the stream is cut.
void FileWriterCore::queue_packet(Stream& s, EncodedPacket packet) {
  if (limit_ns() <= 0) {
    s.pending.push_back(std::move(packet));
    return;
  }
  if (s.past_limit) return;
  if (!origin_ns_) origin_ns_ = packet.pts_ns();
  if (packet.pts_ns() - *origin_ns_ < limit_ns()) {
    for (EncodedPacket& h : s.held) s.pending.push_back(std::move(h));
    s.held.clear();
    s.pending.push_back(std::move(packet));
  } else if (packet.dts_ns() - *origin_ns_ < limit_ns()) {
    s.held.push_back(std::move(packet));
  } else {
    s.held.clear();
    s.past_limit = true;
  }
}

bool FileWriterCore::limit_reached() const {
  if (limit_ns() <= 0) return false;
  auto done = [](const Stream& s) { return s.past_limit || !s.connected || s.ended; };
  return (video_.past_limit || audio_.past_limit) && done(video_) && done(audio_);
}

Result<void> FileWriterCore::close(bool drain) {
  if (closed_ || !muxer_) return {};
  closed_ = true;
  Result<void> result;
  if (drain) {
    refresh_inputs();
    // Drain the encoders: their last packets (x264's look-ahead, the last partial AAC frame).
    if (result && video_.video_encoder && video_.video_encoder->is_open()) {
      if (auto r = video_.video_encoder->flush(scratch_); !r) result = make_error(named(r.error()));
      for (EncodedPacket& p : scratch_) video_.pending.push_back(std::move(p));
      scratch_.clear();
    }
    if (result && audio_.audio_encoder && audio_.audio_encoder->is_open()) {
      if (auto r = audio_.audio_encoder->flush(scratch_); !r) result = make_error(named(r.error()));
      for (EncodedPacket& p : scratch_) audio_.pending.push_back(std::move(p));
      scratch_.clear();
    }
  }
  if (result) result = start_file(true);
  if (result) result = write_pending();
  if (started_) {
    if (auto r = muxer_->finish(); !r && result) result = make_error(named(r.error()));
  }
  return result;
}

Result<void> FileWriterCore::on_end() { return close(true); }

Result<void> FileWriterCore::on_config_change(const FileWriterConfig& next) {
  const FileWriterConfig& now = config();
  // What the open file and its streams are made of cannot change; a rebuild would reopen (and
  // truncate) the file mid-recording.
  const char* fixed = internal::first_changed_field(
      now, next, {"preset", "tune", "crf", "bitrate", "keyframe_interval", "audio_bitrate", "duration_s"});
  if (fixed != nullptr) {
    return make_error(named(Error(ErrorCode::kFailedPrecondition,
                                  fmt::format("{}: `{}` cannot change while the file is written (remove the writer, "
                                              "which closes the file, and add a new one)",
                                              now.path, fixed))));
  }
  if (next == now || closed_) return {};
  // The encoders of the raw inputs take the rest between two frames, losing none (audio first:
  // it changes in place or not at all, so a refused video change can undo it).
  ffmpeg::AudioEncoderOptions audio_before = audio_.audio_encoder->options();
  ffmpeg::AudioEncoderOptions audio_next = audio_before;
  audio_next.bit_rate = next.audio_bitrate;
  if (auto r = audio_.audio_encoder->reconfigure(audio_next); !r) {
    return make_error(named(r.error().with_context(now.path)));
  }
  ffmpeg::VideoEncoderOptions video_next = video_.video_encoder->options();
  video_next.bit_rate = next.bitrate;
  video_next.crf = next.crf;
  video_next.preset = next.preset;
  video_next.tune = next.tune;
  video_next.keyframe_interval = next.keyframe_interval;
  auto r = video_.video_encoder->reconfigure(video_next, scratch_);
  for (EncodedPacket& p : scratch_) video_.pending.push_back(std::move(p));  // the old encoder's last
  scratch_.clear();
  if (!r) {
    (void)audio_.audio_encoder->reconfigure(audio_before);
    return make_error(named(r.error().with_context(now.path)));
  }
  return {};
}

void FileWriterCore::teardown() {
  // Removed live (no finish()): write what the links and the aggregator still hold, then close
  // the file (on_end(), or here if an interval failed).
  if (!closed_ && muxer_) (void)finish();
  (void)close(true);
  muxer_.reset();
  video_.video_encoder.reset();
  audio_.audio_encoder.reset();
}

void FileWriterCore::count_discontinuities(Stream& s, std::uint64_t n) {
  if (n == 0) return;
  discontinuities_.fetch_add(n, std::memory_order_relaxed);
  if (std::exchange(s.warned, true)) return;
  const bool video = s.kind == MediaKind::kVideo;
  InputPortBase* raw = video ? static_cast<InputPortBase*>(ports_.video) : ports_.audio;
  InputPortBase* packets = video ? static_cast<InputPortBase*>(ports_.video_packets) : ports_.audio_packets;
  const LinkId& link = raw->is_connected() ? raw->link_id() : packets->link_id();
  context().warn(fmt::format("{}: {} timestamps went back (the source's clock restarted); the stream was re-based to "
                             "go on without a gap or a cut (counted in timestamp_discontinuities)",
                             config().path, video ? "video" : "audio"),
                 link);
}

nlohmann::json FileWriterCore::metrics() const {
  const std::int64_t media_ns = media_ns_.load(std::memory_order_relaxed);
  const std::int64_t wall_ns = wall_ns_.load(std::memory_order_relaxed);
  nlohmann::json m = {
      {"packets", written_.load(std::memory_order_relaxed)},
      {"dropped", dropped_.load(std::memory_order_relaxed)},
      {"bytes", bytes_.load(std::memory_order_relaxed)},
      {"time_s", static_cast<double>(media_ns) / 1e9},
      {"timestamp_discontinuities", discontinuities_.load(std::memory_order_relaxed)},
      {"input_stalls",
       {{"video", stalls_[0].load(std::memory_order_relaxed)}, {"audio", stalls_[1].load(std::memory_order_relaxed)}}}};
  if (wall_ns > 0) m["speed"] = static_cast<double>(media_ns) / static_cast<double>(wall_ns);
  conversions_.add_to(m);
  return m;
}

}  // namespace internal
}  // namespace streamlib
