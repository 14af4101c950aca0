#include "ffmpeg_common/media_reader.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/orientation.h"
#include "ffmpeg_common/swr_setup.h"
#include "ffmpeg_common/sws_convert.h"

namespace streamlib::ffmpeg {

namespace {

// A jump in audio timestamps beyond this starts a new segment (a real gap in the file).
constexpr std::int64_t kAudioResyncNs = 100'000'000;
// Tolerance when dropping video frames before a seek target (timestamps are rounded to ns).
constexpr std::int64_t kSeekToleranceNs = 1'000;
// Video packets looked at to find the first picture's time without decoding (deeper than any
// B-frame reordering).
constexpr int kVideoProbePackets = 8;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// Samples a decoder drops from the start of an audio stream (AAC priming from an MP4 edit list,
// Opus pre-skip): the first packet's side data, else the codec's own.
std::int64_t leading_skip_samples(const AVPacket& p, const AVCodecParameters& par) {
  std::size_t size = 0;
  if (const std::uint8_t* skip = av_packet_get_side_data(&p, AV_PKT_DATA_SKIP_SAMPLES, &size); skip && size >= 4) {
    return static_cast<std::int64_t>(skip[0]) | static_cast<std::int64_t>(skip[1]) << 8 |
           static_cast<std::int64_t>(skip[2]) << 16 | static_cast<std::int64_t>(skip[3]) << 24;
  }
  if (par.codec_id == AV_CODEC_ID_OPUS && par.extradata_size >= 12) {  // OpusHead's pre-skip
    return par.extradata[10] | par.extradata[11] << 8;
  }
  return std::max(par.initial_padding, 0);
}

// The CodecParameters every packet of `st` shares; `native` is FFmpeg's own, copied, with the
// audio's priming (`priming` samples the first packet says to skip: AAC from an MP4 edit list)
// as initial_padding when the demuxer left it out, so a Muxer puts the stream's start after it.
std::shared_ptr<const CodecParameters> packet_parameters(const AVStream& st, std::int64_t priming) {
  const AVCodecParameters& par = *st.codecpar;
  auto p = std::make_shared<CodecParameters>();
  p->codec = avcodec_get_name(par.codec_id);
  p->kind = par.codec_type == AVMEDIA_TYPE_VIDEO ? MediaKind::kVideo : MediaKind::kAudio;
  p->bit_rate = par.bit_rate;
  if (p->kind == MediaKind::kVideo) {
    p->width = par.width;
    p->height = par.height;
    p->pixel_format = pixel_format_name(static_cast<AVPixelFormat>(par.format));
    p->rotation_degrees = stream_rotation(st);  // FFmpeg 5.1 keeps the display matrix on the stream
    AVRational rate = st.avg_frame_rate.num > 0 && st.avg_frame_rate.den > 0 ? st.avg_frame_rate : st.r_frame_rate;
    if (rate.num > 0 && rate.den > 0) {
      p->frame_rate_num = rate.num;
      p->frame_rate_den = rate.den;
    }
  } else {
    p->sample_rate = par.sample_rate;
    p->channels = par.ch_layout.nb_channels;
    p->frame_size = par.frame_size;
  }
  if (par.extradata != nullptr && par.extradata_size > 0)
    p->extradata.assign(par.extradata, par.extradata + par.extradata_size);
  if (p->kind == MediaKind::kAudio && par.initial_padding <= 0 && priming > 0 && priming < INT32_MAX) {
    AVCodecParameters* with_priming = avcodec_parameters_alloc();
    if (with_priming == nullptr || avcodec_parameters_copy(with_priming, &par) < 0) {
      avcodec_parameters_free(&with_priming);
      throw std::bad_alloc();
    }
    with_priming->initial_padding = static_cast<int>(priming);
    p->native = make_native_parameters(*with_priming);
    avcodec_parameters_free(&with_priming);
  } else {
    p->native = make_native_parameters(par);
  }
  return p;
}

const char* kind_name(AVMediaType type) { return type == AVMEDIA_TYPE_VIDEO ? "video" : "audio"; }

}  // namespace

std::int64_t DecodedFrame::timestamp_ns() const {
  if (const VideoFrame* v = video()) return v->timestamp_ns();
  if (const AudioFrame* a = audio()) return a->timestamp_ns();
  if (const EncodedPacket* p = packet()) return p->dts_ns();
  return 0;
}

Result<void> MediaReaderOptions::validate() const {
  if (!video && !audio && !video_packets && !audio_packets) {
    return make_error(ErrorCode::kInvalidArgument, "video, audio, video_packets and audio_packets are all turned off");
  }
  if (start_ns < 0) return make_error(ErrorCode::kInvalidArgument, "start_ns: {} must not be negative", start_ns);
  if (duration_ns < 0) {
    return make_error(ErrorCode::kInvalidArgument, "duration_ns: {} must not be negative", duration_ns);
  }
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

// One stream read: decoded (ctx set) and/or handed out as packets.
struct StreamDecoder {
  int index = -1;
  AVStream* stream = nullptr;
  CodecContextPtr ctx;
  bool packets = false;                           // hand out its packets
  std::shared_ptr<const CodecParameters> params;  // theirs, shared by every packet
  bool frames_done = false;                       // past the range's end (frames)
  bool packets_done = false;                      // past the range's end (packets)
  bool has_output = false;                        // a receive may give a frame
  bool drained = false;                           // flushed and empty
  int consecutive_errors = 0;
  std::uint64_t frame_number = 0;
  bool skipping = false;  // dropping frames before a seek target
  std::uint64_t packet_number = 0;
  std::int64_t next_dts_ns = 0;  // for a packet without timestamps (file position)

  explicit operator bool() const { return ctx != nullptr; }  // decoded
  bool selected() const { return stream != nullptr; }
  // Nothing more to hand out in this pass (the range's end was passed).
  bool done() const { return (!ctx || frames_done) && (!packets || packets_done); }
};

// Demuxed packets waiting to be handed out, oldest first: a vector read from `head` and emptied
// once read through, so it keeps its capacity (a std::deque used as this FIFO allocates a block
// every 64 packets).
struct PacketQueue {
  std::vector<PacketPtr> items;
  std::size_t head = 0;

  bool empty() const { return head == items.size(); }
  std::size_t size() const { return items.size() - head; }
  void push_back(PacketPtr p) { items.push_back(std::move(p)); }
  PacketPtr pop_front() {
    PacketPtr p = std::move(items[head++]);
    if (head == items.size()) clear();
    return p;
  }
  void clear() {
    items.clear();
    head = 0;
  }
};

struct MediaReader::Impl {
  MediaReaderOptions options;
  MediaInfo info;
  FormatInputPtr fmt;
  StreamDecoder video;
  StreamDecoder audio;
  PacketPtr packet{av_packet_alloc()};
  FramePtr frame{av_frame_alloc()};
  PacketQueue packets_out;  // demuxed packets to hand out (video_packets/audio_packets)
  EncodedPacketPool packet_pool;
  VideoFramePool video_pool;
  AudioFramePool audio_pool;
  detail::SwsConverter sws;
  MediaReaderStats stats;
  std::string conversion;                           // see pixel_format_conversion()
  AVPixelFormat conversion_from = AV_PIX_FMT_NONE;  // the decoder's format it names

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
  std::int64_t pass_start_ns = 0;              // where this pass began (file position), for loops
  std::int64_t packets_from_ns = std::numeric_limits<std::int64_t>::min();  // audio packets ending before: skipped
  std::int64_t range_end_ns = std::numeric_limits<std::int64_t>::max();     // file position

  // Frames decoded at open, before the origin was known (video?, frame).
  bool collecting = false;
  std::deque<std::pair<bool, FramePtr>> preroll;
  std::int64_t first_video_ns = kNoTimestamp;  // raw (container) time of the first decoded frames
  std::int64_t first_audio_ns = kNoTimestamp;
  int video_probed = 0;  // video packets looked at for first_video_ns (stream not decoded)

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
    if (ret = open_codec(ctx.get(), codec, nullptr); ret < 0) {
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
    packets_out.clear();
    for (StreamDecoder* d : {&video, &audio}) {
      d->frames_done = false;
      d->packets_done = false;
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
    pass_start_ns = std::max<std::int64_t>(position_ns, 0);
    packets_from_ns = position_ns > 0 ? packets_start(position_ns) : std::numeric_limits<std::int64_t>::min();
    return {};
  }

  // Where packets begin after a seek to `position_ns`: the video keyframe at or before it (what
  // the demuxer goes to), so the audio packets start with the video ones; else the position.
  std::int64_t packets_start(std::int64_t position_ns) const {
    if (!video.packets) return position_ns;
    const AVRational tb = video.stream->time_base;
    const AVIndexEntry* e = avformat_index_get_entry_from_timestamp(video.stream, from_ns(position_ns + origin_ns, tb),
                                                                    AVSEEK_FLAG_BACKWARD);
    return e != nullptr ? std::min(position_ns, to_ns(e->timestamp, tb) - origin_ns) : position_ns;
  }

  // Opens the file again (for formats that cannot seek back to the start). Keeps the decoders.
  int reopen() {
    AVFormatContext* raw = nullptr;
    int ret = avformat_open_input(&raw, info.path.c_str(), nullptr, nullptr);
    if (ret < 0) return ret;
    FormatInputPtr fresh(raw);
    if (ret = avformat_find_stream_info(fresh.get(), nullptr); ret < 0) return ret;
    for (StreamDecoder* d : {&video, &audio}) {
      if (d->selected() && (d->index >= static_cast<int>(fresh->nb_streams) ||
                            fresh->streams[d->index]->codecpar->codec_id != d->stream->codecpar->codec_id)) {
        return kErrorInvalidData;
      }
    }
    for (unsigned i = 0; i < fresh->nb_streams; ++i) {
      const int index = static_cast<int>(i);
      if (index != video.index && index != audio.index) fresh->streams[i]->discard = AVDISCARD_ALL;
    }
    fmt = std::move(fresh);
    if (video.selected()) video.stream = fmt->streams[video.index];
    if (audio.selected()) audio.stream = fmt->streams[audio.index];
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
    if (ts_ns >= range_end_ns || video.frames_done) {
      video.frames_done = true;
      return std::optional<DecodedFrame>{};
    }
    end_ns = std::max(end_ns, ts_ns + dur_ns);
    pass_start_ns = std::min(pass_start_ns, ts_ns);

    ColorRange implied = ColorRange::kUnknown;
    const auto format = static_cast<AVPixelFormat>(f->format);
    const std::optional<PixelFormat> mapped = from_av_pixel_format(format, &implied);
    PixelFormat want = options.video_format.value_or(mapped.value_or(PixelFormat::kI420));
    if (!mapped && !options.video_format) {  // not one of StreamLib's: the nearest that is
      want = from_av_pixel_format(nearest_pixel_format(format)).value_or(PixelFormat::kI420);
      if (format != conversion_from) {
        conversion_from = format;
        conversion = fmt::format("{} -> {}", pixel_format_name(format), enum_name(want));
      }
      ++stats.pixel_format_conversions;
    }
    const int rotation = stream_rotation(*video.stream);
    if (options.autorotate && rotation != 0) {  // 4:2:2 cannot turn a quarter: the 4:4:4 of its depth can
      if (want == PixelFormat::kYuyv || want == PixelFormat::kI422) want = PixelFormat::kI444;
      if (want == PixelFormat::kYuv422p10) want = PixelFormat::kYuv444p10;
    }
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
    out->set_rotation_degrees(rotation);
    VideoFrame picture = std::move(*out).freeze();
    if (options.autorotate && rotation != 0) {
      auto upright = rotate_picture(picture, video_pool);
      if (!upright) return make_error(upright.error().with_context(stream_name(video)));
      picture = std::move(*upright);
    }
    ++stats.video_frames;
    pass_had_frames = true;
    return std::optional<DecodedFrame>(DecodedFrame(std::move(picture)));
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

  // The first `count` samples of `scratch` as the next audio block (trimmed at a seek target
  // and at the range's end).
  std::optional<DecodedFrame> audio_block(int count) {
    if (count <= 0 || audio.frames_done) return std::nullopt;
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
    if (range_end_ns != std::numeric_limits<std::int64_t>::max()) {
      const std::int64_t end = ns_to_samples(range_end_ns + offset_ns, rate);
      if (position + count >= end) {
        audio.frames_done = true;
        count = static_cast<int>(std::max<std::int64_t>(end - position, 0));
        if (count <= skip) return std::nullopt;
      }
    }
    const auto n = static_cast<std::size_t>(count - skip);
    WritableAudioFrame w = audio_pool.acquire(channels, rate, n);
    std::memcpy(w.samples().data(), scratch.data() + skip * channels, w.samples().size_bytes());
    w.set_sample_position(position + skip);
    w.set_timestamp_ns(samples_to_ns(position + skip, rate));
    w.set_frame_number(audio.frame_number++);
    end_ns = std::max(end_ns, samples_to_ns(position + count, rate) - offset_ns);
    pass_start_ns = std::min(pass_start_ns, samples_to_ns(position + skip, rate) - offset_ns);
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

  // --- Packets ---

  // At open, for a stream handed out as packets but not decoded: where its first picture or
  // sample would be, from the packets (what a decoder would give).
  void probe_first(StreamDecoder& d, const AVPacket& p) {
    const std::int64_t pts = p.pts != kNoTimestamp ? p.pts : p.dts;
    if (pts == kNoTimestamp) return;
    const AVRational tb = d.stream->time_base;
    if (&d == &video) {
      if (video_probed >= kVideoProbePackets) return;
      ++video_probed;
      const std::int64_t ns = to_ns(pts, tb);
      first_video_ns = first_video_ns == kNoTimestamp ? ns : std::min(first_video_ns, ns);
    } else if (first_audio_ns == kNoTimestamp && d.stream->codecpar->sample_rate > 0) {
      const std::int64_t skip = leading_skip_samples(p, *d.stream->codecpar);
      first_audio_ns = to_ns(pts + av_rescale_q(skip, AVRational{1, d.stream->codecpar->sample_rate}, tb), tb);
    }
  }

  // Whether the timeline's origin knows `d`'s first time.
  bool has_first(const StreamDecoder& d) const {
    if (!d.selected()) return true;
    if (&d == &video) return d.ctx ? first_video_ns != kNoTimestamp : video_probed >= kVideoProbePackets;
    return first_audio_ns != kNoTimestamp;
  }

  // A demuxed packet as an EncodedPacket on the timeline (nothing if outside the range).
  std::optional<DecodedFrame> deliver_packet(PacketPtr p) {
    StreamDecoder& d = p->stream_index == video.index ? video : audio;
    if (d.packets_done) return std::nullopt;
    const AVRational tb = d.stream->time_base;
    std::int64_t dts = p->dts != kNoTimestamp ? to_ns(p->dts, tb) - origin_ns : kNoTimestamp;
    std::int64_t pts = p->pts != kNoTimestamp ? to_ns(p->pts, tb) - origin_ns : dts;
    if (pts == kNoTimestamp) pts = d.next_dts_ns;
    if (dts == kNoTimestamp) dts = pts;
    const std::int64_t dur = p->duration > 0 ? to_ns(p->duration, tb) : 0;
    d.next_dts_ns = dts + dur;
    // Video ends in decode order (every packet sent decodes), audio by presentation.
    if ((&d == &video ? dts : pts) >= range_end_ns) {
      d.packets_done = true;
      return std::nullopt;
    }
    if (&d == &audio && pts + dur <= packets_from_ns) return std::nullopt;  // before the start point
    end_ns = std::max(end_ns, pts + dur);
    pass_start_ns = std::min(pass_start_ns, pts);  // a loop goes on after every stream (AAC priming)
    if (!d.params) {
      const std::int64_t priming =
          &d == &audio && d.packet_number == 0 ? leading_skip_samples(*p, *d.stream->codecpar) : 0;
      d.params = packet_parameters(*d.stream, priming);
    }
    AVPacket* raw = p.release();
    WritableEncodedPacket w =
        packet_pool.wrap(d.params, {raw->data, static_cast<std::size_t>(std::max(raw->size, 0))}, [raw]() {
          AVPacket* doomed = raw;
          av_packet_free(&doomed);
        });
    w.set_pts_ns(pts + offset_ns);
    w.set_dts_ns(dts + offset_ns);
    w.set_duration_ns(dur);
    w.set_keyframe((raw->flags & AV_PKT_FLAG_KEY) != 0);
    w.set_frame_number(d.packet_number++);
    if (raw->side_data_elems > 0) side_data_to_metadata(*raw, w.metadata());
    ++(&d == &video ? stats.video_packets : stats.audio_packets);
    pass_had_frames = true;
    return DecodedFrame(std::move(w).freeze());
  }

  // Every selected stream has passed the range's end.
  bool range_done() const {
    return range_end_ns != kNever && (!video.selected() || video.done()) && (!audio.selected() || audio.done());
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
    while (status && preroll.size() < 256 && packets_out.size() < 1024) {
      if (has_first(video) && has_first(audio)) break;
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
    const std::int64_t first = std::min(first_video_ns != kNoTimestamp ? first_video_ns : kNever,
                                        first_audio_ns != kNoTimestamp ? first_audio_ns : kNever);
    if (first != kNever) origin_ns = first;
    info.start_time_ns = origin_ns;
    video_next_ns = 0;
    return {};
  }

  Result<DecodedFrame> read() {
    while (true) {
      while (!packets_out.empty()) {
        PacketPtr p = packets_out.pop_front();
        if (auto got = deliver_packet(std::move(p))) return std::move(*got);
      }
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
      if (range_done()) {
        finished = true;
        continue;
      }
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
    if (d != nullptr && d->packets && !d->packets_done) {
      if (collecting && !*d) probe_first(*d, *packet);
      PacketPtr kept(av_packet_alloc());
      if (!kept || av_packet_ref(kept.get(), packet.get()) < 0) {
        av_packet_unref(packet.get());
        return make_error(ErrorCode::kInternal, "{}: out of memory", info.path);
      }
      packets_out.push_back(std::move(kept));
    }
    if (d != nullptr && *d && !d->frames_done) {
      ++stats.decoded_packets;
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
    const std::int64_t pass_length = end_ns - pass_start_ns;
    STREAMLIB_RETURN_IF_ERROR(seek_to(options.start_ns));
    offset_ns += pass_length;
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
  if (s.options.video || s.options.video_packets) {
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
  if (s.options.audio || s.options.audio_packets) {
    audio_index = av_find_best_stream(s.fmt.get(), AVMEDIA_TYPE_AUDIO, -1, video_index, nullptr, 0);
  }
  if (video_index < 0 && audio_index < 0) {
    const bool v = s.options.video || s.options.video_packets;
    const bool a = s.options.audio || s.options.audio_packets;
    return make_error(ErrorCode::kNotFound, "{}: no {} stream", path,
                      v && a ? "video or audio"
                      : v    ? "video"
                             : "audio");
  }
  for (unsigned i = 0; i < s.fmt->nb_streams; ++i) {
    const int index = static_cast<int>(i);
    if (index != video_index && index != audio_index) s.fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  for (auto [d, index, decode, packets] :
       {std::tuple{&s.video, video_index, s.options.video, s.options.video_packets},
        std::tuple{&s.audio, audio_index, s.options.audio, s.options.audio_packets}}) {
    if (index < 0) continue;
    d->index = index;
    d->stream = s.fmt->streams[index];
    if (decode) STREAMLIB_RETURN_IF_ERROR(s.open_decoder(*d, index));
    d->packets = packets;  // their parameters are made at the first packet (it may tell the priming)
  }

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
  if (s.video.selected()) {
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
    v.rotation_degrees = stream_rotation(*st);
    info.video = v;
  }
  if (s.audio.selected()) {
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
    if (s.audio && info.output_sample_rate <= 0) {
      return make_error(ErrorCode::kParse, "{}: audio stream {} has no sample rate", path, a.index);
    }
  }
  STREAMLIB_RETURN_IF_ERROR(s.find_origin());
  if (s.options.start_ns > 0) {
    if (info.duration_ns > 0 && s.options.start_ns >= info.duration_ns) {
      return make_error(ErrorCode::kInvalidArgument, "{}: start {:.3f} s is past the end of the file ({:.3f} s)", path,
                        static_cast<double>(s.options.start_ns) / 1e9, static_cast<double>(info.duration_ns) / 1e9);
    }
    STREAMLIB_RETURN_IF_ERROR(s.seek_to(s.options.start_ns));
  }
  if (s.options.duration_ns > 0) s.range_end_ns = s.options.start_ns + s.options.duration_ns;
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
const std::string& MediaReader::pixel_format_conversion() const { return impl_->conversion; }
VideoFramePool& MediaReader::video_pool() { return impl_->video_pool; }
AudioFramePool& MediaReader::audio_pool() { return impl_->audio_pool; }

}  // namespace streamlib::ffmpeg
