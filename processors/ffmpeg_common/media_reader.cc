#include "ffmpeg_common/media_reader.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <stdexcept>
#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/swr_setup.h"
#include "ffmpeg_common/sws_convert.h"

namespace streamlib::ffmpeg {

namespace {

// A jump in audio timestamps beyond this starts a new segment (a real gap in the file).
constexpr std::int64_t kAudioResyncNs = 100'000'000;
// Tolerance when dropping video frames before a seek target (timestamps are rounded to ns).
constexpr std::int64_t kSeekToleranceNs = 1'000;

const char* kind_name(AVMediaType type) { return type == AVMEDIA_TYPE_VIDEO ? "video" : "audio"; }

}  // namespace

std::int64_t DecodedFrame::timestamp_ns() const {
  if (const VideoFrame* v = video()) return v->timestamp_ns();
  if (const AudioFrame* a = audio()) return a->timestamp_ns();
  return 0;
}

Result<void> MediaReaderOptions::validate() const {
  if (!video && !audio) return make_error(ErrorCode::kInvalidArgument, "video and audio are both turned off");
  if (sample_rate != 0 && (sample_rate < 1000 || sample_rate > 768000)) {
    return make_error(ErrorCode::kInvalidArgument, "sample_rate: {} is out of range (0 or 1000..768000)", sample_rate);
  }
  if (channels < 0 || channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channels: {} is out of range (0..{})", channels, kMaxAudioChannels);
  }
  if (threads < 0) return make_error(ErrorCode::kInvalidArgument, "threads: {} must not be negative", threads);
  if (max_decode_errors < 1) {
    return make_error(ErrorCode::kInvalidArgument, "max_decode_errors: {} must be at least 1", max_decode_errors);
  }
  return {};
}

struct StreamDecoder {
  int index = -1;
  AVStream* stream = nullptr;
  CodecContextPtr ctx;
  bool has_output = false;  // a receive may give a frame
  bool drained = false;     // flushed and empty
  int consecutive_errors = 0;
  std::uint64_t frame_number = 0;
  bool skipping = false;  // dropping frames before a seek target

  explicit operator bool() const { return ctx != nullptr; }
};

struct MediaReader::Impl {
  MediaReaderOptions options;
  MediaInfo info;
  FormatInputPtr fmt;
  StreamDecoder video;
  StreamDecoder audio;
  PacketPtr packet{av_packet_alloc()};
  FramePtr frame{av_frame_alloc()};
  VideoFramePool video_pool;
  AudioFramePool audio_pool;
  detail::SwsConverter sws;
  MediaReaderStats stats;

  // Audio conversion.
  SwrPtr swr;
  int swr_rate = 0;
  int swr_format = -1;
  int swr_channels = 0;
  std::vector<float> scratch;

  // Timeline. Timestamps handed out = file position (container start subtracted) + offset.
  std::int64_t origin_ns = 0;
  std::int64_t offset_ns = 0;  // grows by one pass per loop
  std::int64_t end_ns = 0;     // end of the last frame delivered in this pass (file position)
  std::int64_t video_next_ns = 0;
  bool audio_started = false;
  std::int64_t audio_position = 0;             // next output sample (output timeline)
  std::int64_t audio_next_in_ns = 0;           // where the next decoded audio should start (file position)
  std::int64_t seek_target_ns = kNoTimestamp;  // file position the skipping streams wait for

  // Frames decoded at open, before the origin was known (video?, frame).
  bool collecting = false;
  std::deque<std::pair<bool, FramePtr>> preroll;
  std::int64_t first_video_ns = kNoTimestamp;  // raw (container) time of the first decoded frames
  std::int64_t first_audio_ns = kNoTimestamp;

  // End of stream.
  bool demux_eof = false;
  bool audio_tail_done = false;
  bool finished = false;
  bool pass_had_frames = false;

  std::string stream_name(const StreamDecoder& d) const {
    return fmt::format("{}: {} stream {} ({})", info.path, kind_name(d.ctx->codec_type), d.index,
                       avcodec_get_name(d.ctx->codec_id));
  }

  Result<void> open_decoder(StreamDecoder& d, int index) {
    AVStream* st = fmt->streams[index];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (codec == nullptr) {
      return make_error(ErrorCode::kUnsupported, "{}: no decoder for {} stream {} (codec '{}')", info.path,
                        kind_name(st->codecpar->codec_type), index, avcodec_get_name(st->codecpar->codec_id));
    }
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx) return make_error(ErrorCode::kInternal, "{}: out of memory", info.path);
    int ret = avcodec_parameters_to_context(ctx.get(), st->codecpar);
    if (ret < 0) return make_error(av_error(ret, info.path));
    ctx->pkt_timebase = st->time_base;
    ctx->thread_count = options.threads;
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    clear_last_log_error();
    if (ret = avcodec_open2(ctx.get(), codec, nullptr); ret < 0) {
      return make_error(av_error(ret, fmt::format("{}: opening the {} decoder {}", info.path,
                                                  kind_name(st->codecpar->codec_type), codec->name)));
    }
    d.index = index;
    d.stream = st;
    d.ctx = std::move(ctx);
    return {};
  }

  void reset_pass_state() {
    demux_eof = false;
    audio_tail_done = false;
    finished = false;
    pass_had_frames = false;
    end_ns = 0;
    for (StreamDecoder* d : {&video, &audio}) {
      if (!*d) continue;
      avcodec_flush_buffers(d->ctx.get());
      d->has_output = false;
      d->drained = false;
      d->consecutive_errors = 0;
    }
    swr.reset();
    audio_started = false;
    preroll.clear();
  }

  // Seeks the demuxer to the keyframe at or before `position_ns` (file position).
  Result<void> seek_to(std::int64_t position_ns) {
    const std::int64_t target_us = av_rescale(std::max<std::int64_t>(position_ns, 0) + origin_ns, 1, 1000);
    clear_last_log_error();
    int ret = avformat_seek_file(fmt.get(), -1, std::numeric_limits<std::int64_t>::min(), target_us, target_us, 0);
    if (ret < 0) ret = av_seek_frame(fmt.get(), -1, target_us, AVSEEK_FLAG_BACKWARD);
    if (ret < 0 && position_ns <= 0) ret = reopen();
    if (ret < 0) {
      return make_error(av_error(ret, fmt::format("{}: cannot seek to {:.3f} s", info.path, position_ns / 1e9)));
    }
    reset_pass_state();
    video_next_ns = std::max<std::int64_t>(position_ns, 0);
    seek_target_ns = options.accurate_seek && position_ns > 0 ? position_ns : kNoTimestamp;
    video.skipping = audio.skipping = seek_target_ns != kNoTimestamp;
    return {};
  }

  // Opens the file again (for formats that cannot seek back to the start). Keeps the decoders.
  int reopen() {
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, info.path.c_str(), nullptr, nullptr);
    if (ret < 0) return ret;
    FormatInputPtr fresh(raw);
    if (ret = avformat_find_stream_info(fresh.get(), nullptr); ret < 0) return ret;
    for (StreamDecoder* d : {&video, &audio}) {
      if (*d && (d->index >= static_cast<int>(fresh->nb_streams) ||
                 fresh->streams[d->index]->codecpar->codec_id != d->stream->codecpar->codec_id)) {
        return kErrorInvalidData;
      }
    }
    for (unsigned i = 0; i < fresh->nb_streams; ++i) {
      const int index = static_cast<int>(i);
      if (index != video.index && index != audio.index) fresh->streams[i]->discard = AVDISCARD_ALL;
    }
    fmt = std::move(fresh);
    if (video) video.stream = fmt->streams[video.index];
    if (audio) audio.stream = fmt->streams[audio.index];
    return 0;
  }

  std::int64_t nominal_frame_ns() const {
    AVRational rate = video.stream->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = video.stream->r_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) return 0;
    return av_rescale(1'000'000'000, rate.den, rate.num);
  }

  // --- Video ---

  Result<std::optional<DecodedFrame>> deliver_video(AVFrame* f) {
    const AVRational tb = video.stream->time_base;
    const std::int64_t ts = f->best_effort_timestamp;
    const std::int64_t ts_ns = ts != kNoTimestamp ? to_ns(ts, tb) - origin_ns : video_next_ns;
    std::int64_t dur_ns = frame_duration(*f) > 0 ? to_ns(frame_duration(*f), tb) : nominal_frame_ns();
    video_next_ns = ts_ns + dur_ns;
    if (video.skipping) {
      if (ts_ns + dur_ns <= seek_target_ns + kSeekToleranceNs) return std::optional<DecodedFrame>{};
      video.skipping = false;
    }
    end_ns = std::max(end_ns, ts_ns + dur_ns);

    ColorRange implied = ColorRange::kUnknown;
    const auto format = static_cast<AVPixelFormat>(f->format);
    const std::optional<PixelFormat> mapped = from_av_pixel_format(format, &implied);
    const PixelFormat want = options.video_format.value_or(mapped.value_or(PixelFormat::kI420));
    ColorRange range = implied != ColorRange::kUnknown ? implied : from_av_color_range(f->color_range);
    ColorMatrix matrix = from_av_color_space(f->colorspace);

    std::optional<WritableVideoFrame> out;
    if (mapped && *mapped == want && f->linesize[0] > 0) {
      AVFrame* ref = av_frame_clone(f);
      if (ref == nullptr) return make_error(ErrorCode::kInternal, "{}: out of memory", info.path);
      ExternalPlanes planes;
      planes.width = f->width;
      planes.height = f->height;
      planes.format = want;
      for (std::size_t i = 0; i < 4; ++i) {
        planes.data[i] = ref->data[i];
        planes.strides[i] = ref->linesize[i];
      }
      try {
        out.emplace(video_pool.wrap(planes, [ref]() {
          AVFrame* doomed = ref;
          av_frame_free(&doomed);
        }));
      } catch (const std::invalid_argument&) {
        out.reset();  // wrap() gave the frame back; convert instead
      }
    }
    if (!out) {
      if (f->width <= 0 || f->height <= 0 || f->width > 16384 || f->height > 16384) {
        return make_error(ErrorCode::kUnsupported, "{}: picture size {}x{} is out of range", stream_name(video),
                          f->width, f->height);
      }
      out.emplace(video_pool.acquire(f->width, f->height, want));
      detail::MutableImageView dst = detail::view_of(*out);
      const AVPixelFormat want_av = to_av_pixel_format(want);
      if (detail::is_yuv(want_av)) {
        dst.range = detail::is_yuv(format) && range != ColorRange::kUnknown ? range : ColorRange::kLimited;
        dst.matrix = detail::effective_matrix(detail::is_yuv(format) ? matrix : ColorMatrix::kUnknown, f->height);
      } else {
        dst.range = ColorRange::kFull;
        dst.matrix = ColorMatrix::kUnknown;
      }
      auto converted = sws.convert(detail::view_of(static_cast<const AVFrame&>(*f)), dst, SWS_BILINEAR);
      if (!converted) return make_error(converted.error().with_context(stream_name(video)));
      range = dst.range;
      matrix = dst.matrix;
      ++stats.converted_frames;
    }
    out->set_color(range, matrix);
    out->set_timestamp_ns(ts_ns + offset_ns);
    out->set_duration_ns(dur_ns);
    out->set_frame_number(video.frame_number++);
    out->set_keyframe(frame_is_keyframe(*f) || f->pict_type == AV_PICTURE_TYPE_I);
    ++stats.video_frames;
    pass_had_frames = true;
    return std::optional<DecodedFrame>(DecodedFrame(std::move(*out).freeze()));
  }

  // --- Audio ---

  Result<std::optional<DecodedFrame>> deliver_audio(AVFrame* f) {
    const AVRational tb = audio.stream->time_base;
    const std::int64_t ts = f->best_effort_timestamp;
    const std::int64_t ts_ns = ts != kNoTimestamp ? to_ns(ts, tb) - origin_ns : audio_next_in_ns;
    const bool format_changed =
        !swr || f->sample_rate != swr_rate || f->format != swr_format || f->ch_layout.nb_channels != swr_channels;
    const bool gap = audio_started && std::llabs(ts_ns - audio_next_in_ns) > kAudioResyncNs;
    if (format_changed || gap) {
      STREAMLIB_ASSIGN_OR_RETURN(swr, detail::make_swr(f->ch_layout, static_cast<AVSampleFormat>(f->format),
                                                       f->sample_rate, info.output_channels, AV_SAMPLE_FMT_FLT,
                                                       info.output_sample_rate, ResampleQuality::kDefault));
      swr_rate = f->sample_rate;
      swr_format = f->format;
      swr_channels = f->ch_layout.nb_channels;
    }
    if (!audio_started || gap) {
      audio_started = true;
      audio_position = ns_to_samples(ts_ns + offset_ns, info.output_sample_rate);
    }
    audio_next_in_ns = ts_ns + samples_to_ns(f->nb_samples, f->sample_rate);

    const int max_out = swr_get_out_samples(swr.get(), f->nb_samples);
    if (max_out < 0) return make_error(av_error(max_out, stream_name(audio)));
    scratch.resize(static_cast<std::size_t>(max_out) * static_cast<std::size_t>(info.output_channels));
    auto* out_ptr = reinterpret_cast<std::uint8_t*>(scratch.data());
    const int got =
        swr_convert(swr.get(), &out_ptr, max_out, const_cast<const std::uint8_t**>(f->extended_data), f->nb_samples);
    if (got < 0) return make_error(av_error(got, stream_name(audio)));
    return audio_block(got);
  }

  // The first `count` samples of `scratch` as the next audio block (trimmed at a seek target).
  std::optional<DecodedFrame> audio_block(int count) {
    if (count <= 0) return std::nullopt;
    const int rate = info.output_sample_rate;
    const int channels = info.output_channels;
    const std::int64_t position = audio_position;
    audio_position += count;
    std::int64_t skip = 0;
    if (audio.skipping) {
      const std::int64_t target = ns_to_samples(seek_target_ns + offset_ns, rate);
      if (position + count <= target) return std::nullopt;
      skip = std::max<std::int64_t>(target - position, 0);
      audio.skipping = false;
    }
    const auto n = static_cast<std::size_t>(count - skip);
    WritableAudioFrame w = audio_pool.acquire(channels, rate, n);
    std::memcpy(w.samples().data(), scratch.data() + skip * channels, w.samples().size_bytes());
    w.set_sample_position(position + skip);
    w.set_timestamp_ns(samples_to_ns(position + skip, rate));
    w.set_frame_number(audio.frame_number++);
    end_ns = std::max(end_ns, samples_to_ns(position + count, rate) - offset_ns);
    ++stats.audio_frames;
    pass_had_frames = true;
    return DecodedFrame(std::move(w).freeze());
  }

  // What is left in the resampler at the end of the stream.
  std::optional<DecodedFrame> audio_tail() {
    audio_tail_done = true;
    if (!swr || !audio_started) return std::nullopt;
    const int max_out = swr_get_out_samples(swr.get(), 0);
    if (max_out <= 0) return std::nullopt;
    scratch.resize(static_cast<std::size_t>(max_out) * static_cast<std::size_t>(info.output_channels));
    auto* out_ptr = reinterpret_cast<std::uint8_t*>(scratch.data());
    const int got = swr_convert(swr.get(), &out_ptr, max_out, nullptr, 0);
    return got > 0 ? audio_block(got) : std::nullopt;
  }

  // --- Decoding ---

  Result<void> decode_error(StreamDecoder& d, int ret) {
    ++stats.decode_errors;
    if (++d.consecutive_errors >= options.max_decode_errors) {
      return make_error(av_error(
          ret, fmt::format("{}: {} packets in a row could not be decoded", stream_name(d), d.consecutive_errors)));
    }
    return {};
  }

  // Receives one frame from `d` if it has one: a delivered frame, nothing (try again), or error.
  Result<std::optional<DecodedFrame>> receive(StreamDecoder& d) {
    clear_last_log_error();
    const int ret = avcodec_receive_frame(d.ctx.get(), frame.get());
    if (ret == kErrorAgain) {
      d.has_output = false;
      return std::optional<DecodedFrame>{};
    }
    if (ret == kErrorEof) {
      d.has_output = false;
      d.drained = true;
      return std::optional<DecodedFrame>{};
    }
    if (ret < 0) {
      STREAMLIB_RETURN_IF_ERROR(decode_error(d, ret));
      return std::optional<DecodedFrame>{};
    }
    d.consecutive_errors = 0;
    if (collecting) {
      const std::int64_t ts = frame->best_effort_timestamp;
      std::int64_t& first = &d == &video ? first_video_ns : first_audio_ns;
      if (ts != kNoTimestamp && first == kNoTimestamp) first = to_ns(ts, d.stream->time_base);
      FramePtr kept(av_frame_alloc());
      if (!kept) return make_error(ErrorCode::kInternal, "{}: out of memory", info.path);
      av_frame_move_ref(kept.get(), frame.get());
      preroll.emplace_back(&d == &video, std::move(kept));
      return std::optional<DecodedFrame>{};
    }
    auto out = &d == &video ? deliver_video(frame.get()) : deliver_audio(frame.get());
    av_frame_unref(frame.get());
    return out;
  }

  // Decodes until every stream has its first frame, and puts the timeline's zero at the
  // earliest of them: the container's start time can be earlier than anything shown (Opus
  // pre-skip in Matroska, edit lists).
  Result<void> find_origin() {
    collecting = true;
    Result<void> status;
    while (status && preroll.size() < 256) {
      if ((!video || first_video_ns != kNoTimestamp) && (!audio || first_audio_ns != kNoTimestamp)) break;
      bool pending = false;
      for (StreamDecoder* d : {&video, &audio}) {
        if (!*d || !d->has_output || !status) continue;
        pending = true;
        if (auto r = receive(*d); !r) status = make_error(r.error());
      }
      if (pending) continue;
      if (demux_eof) break;
      status = feed();
    }
    collecting = false;
    if (!status) return status;
    constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
    const std::int64_t first = std::min(first_video_ns != kNoTimestamp ? first_video_ns : kNever,
                                        first_audio_ns != kNoTimestamp ? first_audio_ns : kNever);
    if (first != kNever) origin_ns = first;
    info.start_time_ns = origin_ns;
    video_next_ns = 0;
    return {};
  }

  Result<DecodedFrame> read() {
    while (true) {
      while (!preroll.empty()) {
        auto [is_video, f] = std::move(preroll.front());
        preroll.pop_front();
        STREAMLIB_ASSIGN_OR_RETURN(std::optional<DecodedFrame> got,
                                   is_video ? deliver_video(f.get()) : deliver_audio(f.get()));
        if (got) return std::move(*got);
      }
      if (finished) {
        if (options.loop && pass_had_frames) {
          STREAMLIB_RETURN_IF_ERROR(rewind());
          continue;
        }
        return DecodedFrame{};
      }
      bool pending = false;
      for (StreamDecoder* d : {&video, &audio}) {
        if (!*d || !d->has_output) continue;
        pending = true;
        STREAMLIB_ASSIGN_OR_RETURN(std::optional<DecodedFrame> got, receive(*d));
        if (got) return std::move(*got);
      }
      if (pending) continue;
      if (demux_eof) {
        const bool drained = (!video || video.drained) && (!audio || audio.drained);
        if (drained) {
          if (!audio_tail_done) {
            if (auto tail = audio_tail()) return std::move(*tail);
          }
          finished = true;
        }
        continue;
      }
      STREAMLIB_RETURN_IF_ERROR(feed());
    }
  }

  // Reads one packet and sends it to its decoder (or starts draining at the end).
  Result<void> feed() {
    clear_last_log_error();
    int ret = av_read_frame(fmt.get(), packet.get());
    if (ret < 0) {
      // A read error at the end of the file is a truncated file: stop there.
      if (ret != kErrorEof && !(fmt->pb != nullptr && avio_feof(fmt->pb) != 0)) {
        return make_error(av_error(ret, fmt::format("{}: reading failed", info.path)));
      }
      demux_eof = true;
      for (StreamDecoder* d : {&video, &audio}) {
        if (!*d) continue;
        avcodec_send_packet(d->ctx.get(), nullptr);
        d->has_output = true;
      }
      return {};
    }
    StreamDecoder* d = packet->stream_index == video.index   ? &video
                       : packet->stream_index == audio.index ? &audio
                                                             : nullptr;
    if (d != nullptr && *d) {
      ret = avcodec_send_packet(d->ctx.get(), packet.get());
      if (ret < 0 && ret != kErrorAgain) {
        av_packet_unref(packet.get());
        return decode_error(*d, ret);
      }
      d->has_output = true;
    }
    av_packet_unref(packet.get());
    return {};
  }

  Result<void> rewind() {
    const std::int64_t pass_end = end_ns;
    STREAMLIB_RETURN_IF_ERROR(seek_to(0));
    offset_ns += pass_end;
    ++stats.loops;
    return {};
  }
};

MediaReader::MediaReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MediaReader::MediaReader(MediaReader&&) noexcept = default;
MediaReader& MediaReader::operator=(MediaReader&&) noexcept = default;
MediaReader::~MediaReader() = default;

Result<MediaReader> MediaReader::open(const std::string& path, MediaReaderOptions options) {
  ensure_initialized();
  if (auto v = options.validate(); !v) return make_error(v.error().with_context(path));
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.options = std::move(options);
  s.info.path = path;
  s.video_pool.set_max_in_flight(s.options.max_video_frames_in_flight);
  if (!s.packet || !s.frame) return make_error(ErrorCode::kInternal, "{}: out of memory", path);

  clear_last_log_error();
  AVFormatContext* raw = nullptr;
  if (int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); ret < 0) {
    return make_error(av_error(ret, path));
  }
  s.fmt.reset(raw);
  clear_last_log_error();
  if (int ret = avformat_find_stream_info(s.fmt.get(), nullptr); ret < 0) return make_error(av_error(ret, path));

  // Streams.
  int video_index = -1;
  int audio_index = -1;
  if (s.options.video) {
    video_index = av_find_best_stream(s.fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video_index >= 0 && (s.fmt->streams[video_index]->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0) {
      video_index = -1;  // cover art: look for a real video stream
      for (unsigned i = 0; i < s.fmt->nb_streams; ++i) {
        const AVStream* st = s.fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && (st->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
          video_index = static_cast<int>(i);
          break;
        }
      }
    }
  }
  if (s.options.audio) {
    audio_index = av_find_best_stream(s.fmt.get(), AVMEDIA_TYPE_AUDIO, -1, video_index, nullptr, 0);
  }
  if (video_index < 0 && audio_index < 0) {
    return make_error(ErrorCode::kNotFound, "{}: no {} stream", path,
                      s.options.video && s.options.audio ? "video or audio"
                      : s.options.video                  ? "video"
                                                         : "audio");
  }
  for (unsigned i = 0; i < s.fmt->nb_streams; ++i) {
    const int index = static_cast<int>(i);
    if (index != video_index && index != audio_index) s.fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  if (video_index >= 0) STREAMLIB_RETURN_IF_ERROR(s.open_decoder(s.video, video_index));
  if (audio_index >= 0) STREAMLIB_RETURN_IF_ERROR(s.open_decoder(s.audio, audio_index));

  // Info.
  MediaInfo& info = s.info;
  info.container = s.fmt->iformat->name;
  info.duration_ns = s.fmt->duration > 0 ? to_ns(s.fmt->duration, kMicrosecondTimeBase) : 0;
  info.start_time_ns = s.fmt->start_time != kNoTimestamp ? to_ns(s.fmt->start_time, kMicrosecondTimeBase) : 0;
  info.bit_rate = s.fmt->bit_rate;
  info.seekable = s.fmt->pb != nullptr && (s.fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) != 0;
  s.origin_ns = info.start_time_ns;
  auto stream_duration = [&](const AVStream* st) {
    return st->duration > 0 ? to_ns(st->duration, st->time_base) : info.duration_ns;
  };
  if (s.video) {
    const AVStream* st = s.video.stream;
    VideoStreamInfo v;
    v.index = s.video.index;
    v.codec = avcodec_get_name(st->codecpar->codec_id);
    v.pixel_format = pixel_format_name(static_cast<AVPixelFormat>(st->codecpar->format));
    v.width = st->codecpar->width;
    v.height = st->codecpar->height;
    AVRational rate = st->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = st->r_frame_rate;
    if (rate.num > 0 && rate.den > 0) {
      v.frame_rate_num = rate.num;
      v.frame_rate_den = rate.den;
    }
    v.frame_count = st->nb_frames;
    v.duration_ns = stream_duration(st);
    v.bit_rate = st->codecpar->bit_rate;
    info.video = v;
  }
  if (s.audio) {
    const AVStream* st = s.audio.stream;
    AudioStreamInfo a;
    a.index = s.audio.index;
    a.codec = avcodec_get_name(st->codecpar->codec_id);
    a.sample_format = sample_format_name(static_cast<AVSampleFormat>(st->codecpar->format));
    a.sample_rate = st->codecpar->sample_rate;
    a.channels = st->codecpar->ch_layout.nb_channels;
    a.duration_ns = stream_duration(st);
    a.bit_rate = st->codecpar->bit_rate;
    info.audio = a;
    info.output_sample_rate = s.options.sample_rate > 0 ? s.options.sample_rate : a.sample_rate;
    info.output_channels = s.options.channels > 0           ? s.options.channels
                           : a.channels > kMaxAudioChannels ? 2
                                                            : std::max(a.channels, 1);
    if (info.output_sample_rate <= 0) {
      return make_error(ErrorCode::kParse, "{}: audio stream {} has no sample rate", path, a.index);
    }
  }
  STREAMLIB_RETURN_IF_ERROR(s.find_origin());
  return MediaReader(std::move(impl));
}

const MediaInfo& MediaReader::info() const { return impl_->info; }
const MediaReaderOptions& MediaReader::options() const { return impl_->options; }
Result<DecodedFrame> MediaReader::read() { return impl_->read(); }

Result<void> MediaReader::seek(std::int64_t position_ns) {
  STREAMLIB_RETURN_IF_ERROR(impl_->seek_to(position_ns));
  impl_->offset_ns = 0;
  return {};
}

Result<void> MediaReader::rewind() { return impl_->rewind(); }
MediaReaderStats MediaReader::stats() const { return impl_->stats; }
VideoFramePool& MediaReader::video_pool() { return impl_->video_pool; }
AudioFramePool& MediaReader::audio_pool() { return impl_->audio_pool; }

}  // namespace streamlib::ffmpeg
