#include "ffmpeg_common/encoder.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>

extern "C" {
#include <libavutil/audio_fifo.h>
}

#include "ffmpeg_common/encoder_check.h"
#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/swr_setup.h"
#include "ffmpeg_common/sws_convert.h"

namespace streamlib::ffmpeg {

namespace {

constexpr AVRational kVideoTimeBase{1, 90000};
// A gap in audio input longer than this restarts the timeline instead of filling silence.
constexpr std::int64_t kMaxAudioGapNs = 10'000'000'000;

const AVCodec* find_encoder(const std::string& name) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (codec == nullptr) {
    if (const AVCodecDescriptor* d = avcodec_descriptor_get_by_name(name.c_str())) codec = avcodec_find_encoder(d->id);
  }
  // "opus" is both a codec and FFmpeg's experimental encoder of it: prefer a stable encoder.
  if (codec != nullptr && (codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL) != 0) {
    const AVCodec* stable = avcodec_find_encoder(codec->id);
    if (stable != nullptr && (stable->capabilities & AV_CODEC_CAP_EXPERIMENTAL) == 0) codec = stable;
  }
  return codec;
}

Result<const AVCodec*> encoder_for(const std::string& name, MediaKind kind) {
  const AVCodec* codec = find_encoder(name);
  const AVMediaType type = kind == MediaKind::kVideo ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
  if (codec == nullptr || codec->type != type) return make_error(codec_not_available(name, kind, true));
  return codec;
}

// The encoder's private option names (for "unknown option" errors).
std::string private_options(const AVCodec* codec) {
  std::string out;
  if (codec->priv_class == nullptr) return "none";
  const AVOption* o = nullptr;
  while ((o = av_opt_next(&codec->priv_class, o)) != nullptr) {
    if (o->type == AV_OPT_TYPE_CONST) continue;
    if (out.find(std::string(o->name) + ",") != std::string::npos) continue;
    out += o->name;
    out += ", ";
  }
  if (out.size() >= 2) out.resize(out.size() - 2);
  return out.empty() ? "none" : out;
}

// The encoder's input format: the asked one (if the codec takes it); else `source` (the first
// frame's) when the codec takes it, else the codec's format nearest to it as FFmpeg's CLI picks
// (avcodec_find_best_pix_fmt_of_list: depth and chroma kept where the codec can). Sources that
// are no YUV media format (RGB, grey: pictures drawn or rendered; YUYV: a camera's transport),
// and no source, take the codec's first (yuv420p), which every player reads; FFmpeg's CLI would
// make RGB 4:4:4 and YUYV 4:2:2.
Result<AVPixelFormat> encoder_pixel_format(const AVCodec* codec, const std::string& asked,
                                           AVPixelFormat source = AV_PIX_FMT_NONE) {
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  if (!asked.empty()) {
    pix_fmt = av_get_pix_fmt(asked.c_str());
    if (pix_fmt == AV_PIX_FMT_NONE) {
      return make_error(ErrorCode::kInvalidArgument, "codec '{}': unknown pixel format '{}'", codec->name, asked);
    }
  }
  if (codec->pix_fmts != nullptr) {
    if (pix_fmt == AV_PIX_FMT_NONE && detail::is_yuv(source) && source != AV_PIX_FMT_YUYV422) {
      const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(source);
      const int alpha = desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0 ? 1 : 0;
      pix_fmt = avcodec_find_best_pix_fmt_of_list(codec->pix_fmts, source, alpha, nullptr);
    }
    if (pix_fmt == AV_PIX_FMT_NONE) pix_fmt = codec->pix_fmts[0];
    bool supported = false;
    std::string names;
    for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
      supported = supported || *p == pix_fmt;
      names += (names.empty() ? "" : ", ") + pixel_format_name(*p);
    }
    if (!supported) {
      return make_error(ErrorCode::kInvalidArgument, "codec '{}': pixel format '{}' is not supported (supported: {})",
                        codec->name, asked, names);
    }
  }
  if (pix_fmt == AV_PIX_FMT_NONE) pix_fmt = detail::is_yuv(source) ? source : AV_PIX_FMT_YUV420P;
  return pix_fmt;
}

// True if `format` halves chroma across a dimension that is odd (641 wide in 4:2:0 or 4:2:2,
// 361 high in 4:2:0): libx264 and others refuse such a picture.
bool chroma_misfits(AVPixelFormat format, int width, int height) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  if (desc == nullptr) return false;
  return (desc->log2_chroma_w > 0 && width % 2 != 0) || (desc->log2_chroma_h > 0 && height % 2 != 0);
}

// For an odd size the chosen format cannot take: the codec's format nearest to `chosen` that
// does not halve chroma across the odd dimension (yuv420p -> yuv444p for libx264 at 641x361),
// or none.
AVPixelFormat format_for_odd_size(const AVCodec* codec, AVPixelFormat chosen, int width, int height) {
  if (codec->pix_fmts == nullptr) return AV_PIX_FMT_NONE;
  std::vector<AVPixelFormat> fitting;
  for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    const bool jpeg = pixel_format_name(*p).rfind("yuvj", 0) == 0;  // deprecated aliases of full range
    if (!jpeg && !chroma_misfits(*p, width, height) && detail::is_yuv(*p) == detail::is_yuv(chosen)) {
      fitting.push_back(*p);
    }
  }
  if (fitting.empty()) return AV_PIX_FMT_NONE;
  fitting.push_back(AV_PIX_FMT_NONE);
  return avcodec_find_best_pix_fmt_of_list(fitting.data(), chosen, 0, nullptr);
}

bool has_private_option(const AVCodec* codec, const char* name) {
  const AVClass* cls = codec->priv_class;  // a "fake object": a pointer to the class
  return cls != nullptr && av_opt_find2(&cls, name, nullptr, 0, AV_OPT_SEARCH_FAKE_OBJ, nullptr) != nullptr;
}

std::shared_ptr<const CodecParameters> describe(const AVCodecContext& ctx, MediaKind kind) {
  CodecParametersPtr par(avcodec_parameters_alloc());
  if (!par || avcodec_parameters_from_context(par.get(), &ctx) < 0) throw std::bad_alloc();
  auto p = std::make_shared<CodecParameters>();
  p->codec = avcodec_get_name(ctx.codec_id);
  p->kind = kind;
  p->bit_rate = ctx.bit_rate;
  if (kind == MediaKind::kVideo) {
    p->width = ctx.width;
    p->height = ctx.height;
    p->pixel_format = pixel_format_name(ctx.pix_fmt);
    p->frame_rate_num = ctx.framerate.num;
    p->frame_rate_den = ctx.framerate.den > 0 ? ctx.framerate.den : 1;
  } else {
    p->sample_rate = ctx.sample_rate;
    p->channels = ctx.ch_layout.nb_channels;
    p->frame_size = ctx.frame_size;
  }
  if (ctx.extradata != nullptr && ctx.extradata_size > 0) {
    p->extradata.assign(ctx.extradata, ctx.extradata + ctx.extradata_size);
  }
  p->native = make_native_parameters(*par);
  return p;
}

// pts -> duration (time base units) of the last frames sent, for packets the encoder gives no
// duration: a fixed ring, so a frame sent allocates nothing.
class FrameDurations {
 public:
  void add(std::int64_t pts, std::int64_t duration) {
    entries_[next_] = {pts, duration};
    next_ = (next_ + 1) % entries_.size();
    count_ = std::min(count_ + 1, entries_.size());
  }
  // 0 when `pts` is not among them.
  std::int64_t find(std::int64_t pts) const {
    for (std::size_t i = 0; i < count_; ++i) {
      if (entries_[i].first == pts) return entries_[i].second;
    }
    return 0;
  }

 private:
  std::array<std::pair<std::int64_t, std::int64_t>, 256> entries_{};
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

// Packets out of `ctx` until it wants input (or is drained), appended to `out`.
struct PacketDrain {
  AVCodecContext* ctx;
  AVRational time_base;
  EncodedPacketPool* pool;
  const std::shared_ptr<const CodecParameters>* params;
  std::uint64_t* packet_number;
  // The packet the next receive fills, kept across calls (an encoder wanting input leaves it
  // empty for the next time): one packet allocated per packet out, not per attempt.
  PacketPtr* spare;
  // Video: the durations of the frames sent, for packets the encoder gives none.
  const FrameDurations* durations = nullptr;
};

}  // namespace

Result<void> VideoEncoderOptions::validate() const {
  if (codec.empty()) return make_error(ErrorCode::kInvalidArgument, "codec: must not be empty");
  if (width < 0 || height < 0 || width > 16384 || height > 16384 || (width == 0) != (height == 0)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "size {}x{} is out of range (both 1..16384, or both 0 for the first frame's)", width, height);
  }
  if (frame_rate_num <= 0 || frame_rate_den <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "frame rate {}/{} must be positive", frame_rate_num, frame_rate_den);
  }
  if (bit_rate < 0) return make_error(ErrorCode::kInvalidArgument, "bit_rate: {} must not be negative", bit_rate);
  if (crf < -1 || crf > 63) return make_error(ErrorCode::kInvalidArgument, "crf: {} is out of range (-1..63)", crf);
  if (keyframe_interval < 0) {
    return make_error(ErrorCode::kInvalidArgument, "keyframe_interval: {} must not be negative", keyframe_interval);
  }
  if (threads < 0) return make_error(ErrorCode::kInvalidArgument, "threads: {} must not be negative", threads);
  if (speed < -1 || speed > 16) return make_error(ErrorCode::kInvalidArgument, "speed: {} is out of range", speed);
  return {};
}

Result<void> AudioEncoderOptions::validate() const {
  if (codec.empty()) return make_error(ErrorCode::kInvalidArgument, "codec: must not be empty");
  if (sample_rate != 0 && (sample_rate < 1000 || sample_rate > 768000)) {
    return make_error(ErrorCode::kInvalidArgument, "sample_rate: {} is out of range (0 or 1000..768000)", sample_rate);
  }
  if (channels < 0 || channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channels: {} is out of range (0..{})", channels, kMaxAudioChannels);
  }
  if (bit_rate < 0) return make_error(ErrorCode::kInvalidArgument, "bit_rate: {} must not be negative", bit_rate);
  return {};
}

namespace {

Result<void> drain(const PacketDrain& d, std::vector<EncodedPacket>& out) {
  while (true) {
    if (!*d.spare) d.spare->reset(av_packet_alloc());
    if (!*d.spare) return make_error(ErrorCode::kInternal, "out of memory");
    clear_last_log_error();
    const int ret = avcodec_receive_packet(d.ctx, d.spare->get());
    if (ret == kErrorAgain || ret == kErrorEof) return {};
    if (ret < 0) return make_error(av_error(ret, fmt::format("codec '{}': encoding failed", d.ctx->codec->name)));
    AVPacket* raw = d.spare->release();
    WritableEncodedPacket w = d.pool->wrap(*d.params, {raw->data, static_cast<std::size_t>(raw->size)}, [raw]() {
      AVPacket* doomed = raw;
      av_packet_free(&doomed);
    });
    w.set_pts_ns(to_ns(raw->pts, d.time_base));
    w.set_dts_ns(to_ns(raw->dts != kNoTimestamp ? raw->dts : raw->pts, d.time_base));
    std::int64_t duration = raw->duration;
    if (duration <= 0 && d.durations != nullptr) duration = d.durations->find(raw->pts);
    w.set_duration_ns(duration > 0 ? to_ns(duration, d.time_base) : 0);
    w.set_keyframe((raw->flags & AV_PKT_FLAG_KEY) != 0);
    // New codec headers at the end (FLAC's STREAMINFO with the sample count and MD5) go to the
    // muxer, which rewrites the header with them; other side data stays here (per-packet cost).
    if (av_packet_get_side_data(raw, AV_PKT_DATA_NEW_EXTRADATA, nullptr) != nullptr) {
      side_data_to_metadata(*raw, w.metadata());
    }
    w.set_frame_number((*d.packet_number)++);
    out.push_back(std::move(w).freeze());
  }
}

}  // namespace

// --- Video ----------------------------------------------------------------------------------------

namespace {

// What an encoder is opened for besides its options: the picture size and colours (from the
// first frame, and kept for every encoder a reconfigure() opens after it).
struct Picture {
  int width = 0;
  int height = 0;
  AVPixelFormat format = AV_PIX_FMT_NONE;  // the encoder's input
  AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
  AVColorSpace matrix = AVCOL_SPC_UNSPECIFIED;
  AVColorPrimaries primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic transfer = AVCOL_TRC_UNSPECIFIED;
};

// x264's rate control is average bit rate (crf unset, a bit rate given): the mode in which
// libx264 applies a new AVCodecContext::bit_rate between frames.
bool in_place_bit_rate(const VideoEncoderOptions& o) { return o.crf < 0 && o.bit_rate > 0; }

// Keeps the VideoFrames an encoder reads in place (VideoEncoder::Impl::prepare) alive while
// libavcodec holds them: each AVBuffer's opaque is one of these slots, given back when
// libavcodec lets the buffer go, on whichever thread. Slots are reused, so a steady stream of
// frames allocates none. Must outlive every buffer it made (declared before the codec context).
class FrameKeeper {
 public:
  struct Slot {
    VideoFrame frame;
    FrameKeeper* keeper = nullptr;
  };

  Slot* hold(const VideoFrame& frame) {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {
      all_.push_back(std::make_unique<Slot>());
      all_.back()->keeper = this;
      free_.reserve(all_.size());  // so release() never allocates
      free_.push_back(all_.back().get());
    }
    Slot* slot = free_.back();
    free_.pop_back();
    slot->frame = frame;
    return slot;
  }

  // An AVBuffer's free callback.
  static void release(void* opaque, std::uint8_t*) {
    auto* slot = static_cast<Slot*>(opaque);
    slot->frame = VideoFrame();
    std::lock_guard lock(slot->keeper->mutex_);
    slot->keeper->free_.push_back(slot);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Slot>> all_;
  std::vector<Slot*> free_;
};

}  // namespace

struct VideoEncoder::Impl {
  VideoEncoderOptions options;
  const AVCodec* codec = nullptr;
  FrameKeeper kept;  // before ctx: destroyed after it, when libavcodec has let every frame go
  CodecContextPtr ctx;
  std::shared_ptr<const CodecParameters> params;
  EncodedPacketPool packet_pool;
  detail::SwsConverter sws;
  FramePtr converted;  // reused target of conversions
  FramePtr input;      // what prepare() fills for avcodec_send_frame, reused
  PacketPtr spare_packet;
  bool flushed = false;
  bool force_keyframe = false;
  std::int64_t last_pts = kNoTimestamp;
  std::int64_t last_duration = 0;  // of the frame at last_pts (time base units)
  std::int64_t pts_offset = 0;     // added to input times after a discontinuity
  std::uint64_t discontinuities = 0;
  std::uint64_t packet_number = 0;
  FrameDurations durations;
  Picture picture;                // what ctx was opened for
  std::string conversion;         // see pixel_format_conversion()
  std::uint64_t conversions = 0;  // frames converted to another pixel format or size
  AVPixelFormat conversion_from = AV_PIX_FMT_NONE;
  int conversion_width = 0;
  int conversion_height = 0;
  bool conversion_routine = false;  // see pixel_format_conversion_routine()

  std::string name() const { return fmt::format("codec '{}'", codec->name); }

  Result<Picture> picture_of(const VideoFrame& first) const {
    Picture pic{.width = options.width > 0 ? options.width : first.width(),
                .height = options.height > 0 ? options.height : first.height()};
    STREAMLIB_ASSIGN_OR_RETURN(AVPixelFormat pix_fmt,
                               encoder_pixel_format(codec, options.pixel_format, to_av_pixel_format(first.format())));
    if (chroma_misfits(pix_fmt, pic.width, pic.height)) {
      // An odd size in a format that halves chroma (libx264 would refuse it): keep the size in a
      // format that does not halve it there, as the codec has; else (or with an asked
      // pixel_format) round the size up to even. prepare() converts, and names the conversion.
      const AVPixelFormat fitting =
          options.pixel_format.empty() ? format_for_odd_size(codec, pix_fmt, pic.width, pic.height) : AV_PIX_FMT_NONE;
      if (fitting != AV_PIX_FMT_NONE) {
        pix_fmt = fitting;
      } else {
        pic.width += pic.width % 2;
        pic.height += pic.height % 2;
      }
    }
    pic.format = pix_fmt;
    if (detail::is_yuv(pix_fmt)) {
      const bool first_yuv = detail::is_yuv(to_av_pixel_format(first.format()));
      const ColorRange range =
          first_yuv && first.color_range() != ColorRange::kUnknown ? first.color_range() : ColorRange::kLimited;
      const ColorMatrix matrix =
          detail::effective_matrix(first_yuv ? first.color_matrix() : ColorMatrix::kUnknown, pic.height);
      pic.range = to_av_color_range(range);
      pic.matrix = to_av_color_space(matrix);
      pic.primaries = matrix == ColorMatrix::kBt709    ? AVCOL_PRI_BT709
                      : matrix == ColorMatrix::kBt2020 ? AVCOL_PRI_BT2020
                                                       : AVCOL_PRI_SMPTE170M;
      pic.transfer = matrix == ColorMatrix::kBt709    ? AVCOL_TRC_BT709
                     : matrix == ColorMatrix::kBt2020 ? AVCOL_TRC_BT2020_10
                                                      : AVCOL_TRC_SMPTE170M;
    }
    return pic;
  }

  // An open codec context for `o` and `pic`.
  Result<CodecContextPtr> make_context(const VideoEncoderOptions& o, const Picture& pic) const {
    const AVPixelFormat pix_fmt = pic.format;
    CodecContextPtr c(avcodec_alloc_context3(codec));
    if (!c) return make_error(ErrorCode::kInternal, "out of memory");
    c->width = pic.width;
    c->height = pic.height;
    c->pix_fmt = pix_fmt;
    c->time_base = kVideoTimeBase;
    c->framerate = AVRational{o.frame_rate_num, o.frame_rate_den};
    c->sample_aspect_ratio = AVRational{1, 1};
    c->bit_rate = o.bit_rate;
    const std::string encoder = codec->name;
    const bool x264 = encoder.rfind("libx264", 0) == 0;
    const bool vpx = encoder.rfind("libvpx", 0) == 0;
    if (x264 && in_place_bit_rate(o)) {
      // x264 takes a new bit rate between frames only with VBV on (x264_encoder_reconfig), so a
      // target bit rate is also the VBV max rate, over a one-second buffer.
      c->rc_max_rate = o.bit_rate;
      c->rc_buffer_size = static_cast<int>(std::min<std::int64_t>(o.bit_rate, std::numeric_limits<int>::max()));
    }
    if (o.keyframe_interval > 0) c->gop_size = o.keyframe_interval;
    if (o.max_b_frames >= 0) {
      c->max_b_frames = o.max_b_frames;
    } else if (o.realtime) {
      c->max_b_frames = 0;
    }
    c->thread_count = o.threads;
    if (o.global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    c->color_range = pic.range;
    c->colorspace = pic.matrix;
    c->color_primaries = pic.primaries;
    c->color_trc = pic.transfer;

    Dictionary dict;
    auto put = [&](const char* key, const std::string& value) -> Result<void> {
      if (!has_private_option(codec, key)) {
        return make_error(ErrorCode::kInvalidArgument, "{}: has no option '{}' (its own options: {})", name(), key,
                          private_options(codec));
      }
      dict.set(key, value);
      return {};
    };
    if (o.crf >= 0) STREAMLIB_RETURN_IF_ERROR(put("crf", std::to_string(o.crf)));
    if (!o.preset.empty()) STREAMLIB_RETURN_IF_ERROR(put("preset", o.preset));
    if (!o.tune.empty()) STREAMLIB_RETURN_IF_ERROR(put("tune", o.tune));
    if (x264 && o.realtime) {
      if (o.preset.empty()) dict.set("preset", "veryfast");
      if (o.tune.empty()) dict.set("tune", "zerolatency");
    }
    if (vpx) {
      dict.set("deadline", o.realtime ? "realtime" : "good");
      dict.set("cpu-used", std::to_string(o.speed >= 0 ? o.speed : o.realtime ? 8 : 4));
      if (has_private_option(codec, "row-mt")) dict.set("row-mt", "1");
      if (o.realtime) dict.set("lag-in-frames", "0");
    }
    for (const auto& [key, value] : o.options) dict.set(key, value);

    if (int ret = open_codec(c.get(), codec, dict.out()); ret < 0) {
      return make_error(av_error(
          ret, fmt::format("{}: cannot open for {}x{} {}", name(), pic.width, pic.height, pixel_format_name(pix_fmt))));
    }
    if (!dict.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: `options` the encoder did not take: {}", name(), dict.keys());
    }
    return c;
  }

  Result<void> open(const VideoFrame& first) {
    STREAMLIB_ASSIGN_OR_RETURN(picture, picture_of(first));
    STREAMLIB_ASSIGN_OR_RETURN(ctx, make_context(options, picture));
    params = describe(*ctx, MediaKind::kVideo);
    return {};
  }

  // The frame as an AVFrame in the encoder's format and size, in `input` (unreferenced by the
  // caller after sending): the frame's own planes when they already are, else a conversion
  // into `converted`.
  Result<AVFrame*> prepare(const VideoFrame& frame) {
    if (!input) input.reset(av_frame_alloc());
    if (!input) return make_error(ErrorCode::kInternal, "out of memory");
    AVFrame* f = input.get();
    const AVPixelFormat src_fmt = to_av_pixel_format(frame.format());
    if (src_fmt == ctx->pix_fmt && frame.width() == ctx->width && frame.height() == ctx->height) {
      FrameKeeper::Slot* keep = kept.hold(frame);
      const std::uint8_t* base = frame.plane(0).data();
      f->buf[0] = av_buffer_create(const_cast<std::uint8_t*>(base), frame.plane(0).size(), &FrameKeeper::release, keep,
                                   AV_BUFFER_FLAG_READONLY);
      if (f->buf[0] == nullptr) {
        FrameKeeper::release(keep, nullptr);
        return make_error(ErrorCode::kInternal, "out of memory");
      }
      for (int p = 0; p < frame.plane_count(); ++p) {
        f->data[p] = const_cast<std::uint8_t*>(frame.plane(p).data());
        f->linesize[p] = frame.stride(p);
      }
      f->format = src_fmt;
      f->width = frame.width();
      f->height = frame.height();
      f->color_range = ctx->color_range;
      f->colorspace = ctx->colorspace;
      return f;
    }
    // Named and counted: another format, or a size the caller did not ask for (rounded to even).
    const bool asked_size = options.width > 0 || options.height > 0;
    if (src_fmt != ctx->pix_fmt || !asked_size) {
      if (src_fmt != conversion_from || frame.width() != conversion_width || frame.height() != conversion_height) {
        conversion_from = src_fmt;
        conversion_width = frame.width();
        conversion_height = frame.height();
        conversion = fmt::format("{} {}x{} -> {} {}x{}", pixel_format_name(src_fmt), frame.width(), frame.height(),
                                 pixel_format_name(ctx->pix_fmt), ctx->width, ctx->height);
        conversion_routine = (!detail::is_yuv(src_fmt) || src_fmt == AV_PIX_FMT_YUYV422) &&
                             frame.width() == ctx->width && frame.height() == ctx->height;
      }
      ++conversions;
    }
    if (!converted) {
      converted.reset(av_frame_alloc());
      if (!converted) return make_error(ErrorCode::kInternal, "out of memory");
      converted->format = ctx->pix_fmt;
      converted->width = ctx->width;
      converted->height = ctx->height;
      if (int ret = av_frame_get_buffer(converted.get(), 0); ret < 0) return make_error(av_error(ret, name()));
    }
    if (int ret = av_frame_make_writable(converted.get()); ret < 0) return make_error(av_error(ret, name()));
    detail::MutableImageView dst = detail::view_of(*converted);
    dst.range = from_av_color_range(ctx->color_range);
    dst.matrix = from_av_color_space(ctx->colorspace);
    STREAMLIB_RETURN_IF_ERROR(sws.convert(detail::view_of(frame), dst, SWS_BICUBIC));
    converted->color_range = ctx->color_range;
    converted->colorspace = ctx->colorspace;
    if (int ret = av_frame_ref(f, converted.get()); ret < 0) return make_error(av_error(ret, name()));
    return f;
  }

  PacketDrain drainer() {
    return {ctx.get(), ctx->time_base, &packet_pool, &params, &packet_number, &spare_packet, &durations};
  }
};

VideoEncoder::VideoEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoEncoder::VideoEncoder(VideoEncoder&&) noexcept = default;
VideoEncoder& VideoEncoder::operator=(VideoEncoder&&) noexcept = default;
VideoEncoder::~VideoEncoder() = default;

Result<VideoEncoder> VideoEncoder::create(VideoEncoderOptions options) {
  ensure_initialized();
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  STREAMLIB_ASSIGN_OR_RETURN(const AVCodec* codec, encoder_for(options.codec, MediaKind::kVideo));
  STREAMLIB_RETURN_IF_ERROR(check_encoder_options(codec->name, options.options));
  STREAMLIB_RETURN_IF_ERROR(encoder_pixel_format(codec, options.pixel_format));
  auto impl = std::make_unique<Impl>();
  impl->codec = codec;
  impl->options = std::move(options);
  if (impl->options.width > 0) {
    // Open now: the parameters are known before the first frame, and option errors show early.
    WritableVideoFrame probe(impl->options.width, impl->options.height, PixelFormat::kI420);
    STREAMLIB_RETURN_IF_ERROR(impl->open(std::move(probe).freeze()));
  }
  return VideoEncoder(std::move(impl));
}

Result<void> VideoEncoder::encode(const VideoFrame& frame, std::vector<EncodedPacket>& out) {
  Impl& s = *impl_;
  if (!frame) return make_error(ErrorCode::kInvalidArgument, "{}: cannot encode an empty frame", s.name());
  if (s.flushed) return make_error(ErrorCode::kFailedPrecondition, "{}: already flushed", s.name());
  if (!s.ctx) STREAMLIB_RETURN_IF_ERROR(s.open(frame));
  if (s.last_pts == kNoTimestamp && s.params && frame.rotation_degrees() != s.params->rotation_degrees) {
    // The stream's display rotation is its first frame's, for the writer's display matrix.
    auto rotated = std::make_shared<CodecParameters>(*s.params);
    rotated->rotation_degrees = frame.rotation_degrees();
    s.params = std::move(rotated);
  }
  STREAMLIB_ASSIGN_OR_RETURN(AVFrame * f, s.prepare(frame));
  // `input` goes back to empty however this ends (libavcodec took its own reference if any).
  struct Unref {
    AVFrame* f;
    ~Unref() { av_frame_unref(f); }
  } unref{f};
  const std::int64_t duration =
      frame.duration_ns() > 0
          ? from_ns(frame.duration_ns(), s.ctx->time_base)
          : av_rescale_q(1, AVRational{s.ctx->framerate.den, s.ctx->framerate.num}, s.ctx->time_base);
  std::int64_t pts = from_ns(frame.timestamp_ns(), s.ctx->time_base) + s.pts_offset;
  if (s.last_pts != kNoTimestamp && pts < s.last_pts - s.last_duration / 2) {
    // Time went back (the source's clock restarted): go on right after the last frame.
    s.pts_offset += s.last_pts + s.last_duration - pts;
    pts = s.last_pts + s.last_duration;
    ++s.discontinuities;
  }
  if (s.last_pts != kNoTimestamp && pts <= s.last_pts) pts = s.last_pts + 1;  // strictly increasing
  s.last_pts = pts;
  s.last_duration = duration;
  f->pts = pts;
  s.durations.add(pts, duration);
  if (s.force_keyframe) {
    f->pict_type = AV_PICTURE_TYPE_I;
    s.force_keyframe = false;
  }
  clear_last_log_error();
  if (int ret = avcodec_send_frame(s.ctx.get(), f); ret < 0) {
    return make_error(av_error(ret, fmt::format("{}: encoding failed", s.name())));
  }
  return drain(s.drainer(), out);
}

Result<void> VideoEncoder::flush(std::vector<EncodedPacket>& out) {
  Impl& s = *impl_;
  if (s.flushed || !s.ctx) {
    s.flushed = true;
    return {};
  }
  s.flushed = true;
  clear_last_log_error();
  if (int ret = avcodec_send_frame(s.ctx.get(), nullptr); ret < 0 && ret != kErrorEof) {
    return make_error(av_error(ret, fmt::format("{}: flushing failed", s.name())));
  }
  return drain(s.drainer(), out);
}

namespace {

// The option of `a` and `b` that differs and cannot change in a running encoder, or "".
std::string fixed_field_changed(const VideoEncoderOptions& a, const VideoEncoderOptions& b) {
  if (a.codec != b.codec) return "codec";
  if (a.width != b.width || a.height != b.height) return "size";
  if (a.frame_rate_num != b.frame_rate_num || a.frame_rate_den != b.frame_rate_den) return "frame rate";
  if (a.pixel_format != b.pixel_format) return "pixel_format";
  if (a.max_b_frames != b.max_b_frames) return "max_b_frames";
  if (a.threads != b.threads) return "threads";
  if (a.realtime != b.realtime) return "realtime";
  if (a.speed != b.speed) return "speed";
  if (a.global_header != b.global_header) return "global_header";
  if (a.options != b.options) return "options";
  return "";
}

// The changed fields of those that can change live, for messages ("preset, keyframe_interval").
std::string live_fields_changed(const VideoEncoderOptions& a, const VideoEncoderOptions& b) {
  std::string out;
  auto add = [&](bool changed, const char* name) {
    if (changed) out += (out.empty() ? "" : ", ") + std::string(name);
  };
  add(a.bit_rate != b.bit_rate, "bit_rate");
  add(a.crf != b.crf, "crf");
  add(a.preset != b.preset, "preset");
  add(a.tune != b.tune, "tune");
  add(a.keyframe_interval != b.keyframe_interval, "keyframe_interval");
  return out;
}

}  // namespace

Result<void> VideoEncoder::reconfigure(const VideoEncoderOptions& next, std::vector<EncodedPacket>& out) {
  Impl& s = *impl_;
  STREAMLIB_RETURN_IF_ERROR(next.validate());
  if (const std::string field = fixed_field_changed(s.options, next); !field.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} cannot change while encoding", s.name(), field);
  }
  const std::string changed = live_fields_changed(s.options, next);
  if (changed.empty()) return {};
  if (!s.ctx || s.flushed) {  // not open yet (or done): the next open takes the new options
    s.options = next;
    return {};
  }
  const VideoEncoderOptions& now = s.options;
  const bool x264 = std::string_view(s.codec->name).rfind("libx264", 0) == 0;
  const bool same_setup =
      now.preset == next.preset && now.tune == next.tune && now.keyframe_interval == next.keyframe_interval;
  // In place: libx264 applies a new bit rate (average bit rate mode, VBV on) or a new CRF (CRF
  // mode) before its next frame (FFmpeg's reconfig_encoder); the mode itself cannot change.
  if (x264 && same_setup) {
    if (in_place_bit_rate(now) && in_place_bit_rate(next)) {
      s.ctx->bit_rate = next.bit_rate;
      s.ctx->rc_max_rate = next.bit_rate;
      s.ctx->rc_buffer_size = static_cast<int>(std::min<std::int64_t>(next.bit_rate, std::numeric_limits<int>::max()));
      s.options = next;
      return {};
    }
    if (!in_place_bit_rate(now) && next.crf >= 0) {  // CRF mode (x264's default too) stays CRF
      if (int ret = av_opt_set_int(s.ctx->priv_data, "crf", next.crf, 0); ret < 0) {
        return make_error(av_error(ret, fmt::format("{}: crf={}", s.name(), next.crf)));
      }
      s.ctx->bit_rate = next.bit_rate;  // unused in CRF mode, kept for parameters()
      s.options = next;
      return {};
    }
  }
  // A new encoder: it must produce the same stream headers (SPS/PPS in the container's global
  // header, which cannot change mid-file) and no more reorder delay (its first DTS must come
  // after the old encoder's last). Checked before the old one is touched.
  STREAMLIB_ASSIGN_OR_RETURN(CodecContextPtr fresh, s.make_context(next, s.picture));
  const bool same_headers = std::equal(s.ctx->extradata, s.ctx->extradata + std::max(s.ctx->extradata_size, 0),
                                       fresh->extradata, fresh->extradata + std::max(fresh->extradata_size, 0));
  if (!same_headers || fresh->has_b_frames > s.ctx->has_b_frames) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "{}: changing {} live would change the stream's {} (a new encoder with other settings is "
                      "needed, which a file's single header cannot follow); change it before starting, or only "
                      "bit_rate/crf/keyframe_interval",
                      s.name(), changed, same_headers ? "frame reordering delay" : "headers (SPS/PPS)");
  }
  // Flush the old encoder's delayed frames into the same stream, then go on with the new one.
  clear_last_log_error();
  if (int ret = avcodec_send_frame(s.ctx.get(), nullptr); ret < 0 && ret != kErrorEof) {
    return make_error(av_error(ret, fmt::format("{}: flushing for a reconfigure failed", s.name())));
  }
  Result<void> drained = drain(s.drainer(), out);
  s.ctx = std::move(fresh);  // params stay: the same headers, and the stream's identity for muxers
  s.options = next;
  s.force_keyframe = false;  // a new encoder starts with one
  return drained;
}

void VideoEncoder::request_keyframe() { impl_->force_keyframe = true; }
bool VideoEncoder::is_open() const { return impl_->ctx != nullptr; }
std::uint64_t VideoEncoder::timestamp_discontinuities() const { return impl_->discontinuities; }
std::shared_ptr<const CodecParameters> VideoEncoder::parameters() const { return impl_->params; }
std::string VideoEncoder::encoder_name() const { return impl_->codec->name; }
const VideoEncoderOptions& VideoEncoder::options() const { return impl_->options; }
std::uint64_t VideoEncoder::pixel_format_conversions() const { return impl_->conversions; }
const std::string& VideoEncoder::pixel_format_conversion() const { return impl_->conversion; }
bool VideoEncoder::pixel_format_conversion_routine() const { return impl_->conversion_routine; }

// --- Audio ----------------------------------------------------------------------------------------

namespace {
struct FifoDeleter {
  void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};

bool same_layout(const AVChannelLayout& a, const AVChannelLayout& b) { return av_channel_layout_compare(&a, &b) == 0; }
}  // namespace

struct AudioEncoder::Impl {
  AudioEncoderOptions options;
  const AVCodec* codec = nullptr;
  CodecContextPtr ctx;
  std::shared_ptr<const CodecParameters> params;
  EncodedPacketPool packet_pool;
  SwrPtr swr;
  int swr_in_rate = 0;
  int swr_in_channels = 0;
  std::unique_ptr<AVAudioFifo, FifoDeleter> fifo;
  FramePtr converted;  // swresample's output
  PacketPtr spare_packet;
  int converted_capacity = 0;
  FramePtr chunk;  // one encoder frame
  int frame_size = 0;
  bool flushed = false;
  bool started = false;
  std::int64_t fifo_pts = 0;          // encoder pts (samples) of the FIFO's first sample
  std::int64_t next_in_position = 0;  // sample_position the next input should have
  int in_rate = 0;
  std::uint64_t discontinuities = 0;
  std::uint64_t packet_number = 0;
  std::vector<float> silence;

  std::string name() const { return fmt::format("codec '{}'", codec->name); }

  Result<void> open(const AudioFrame& first) {
    // Sample rate: the asked one (must be supported), else the input's or the nearest supported.
    int rate = options.sample_rate > 0 ? options.sample_rate : first.sample_rate();
    if (codec->supported_samplerates != nullptr) {
      int best = 0;
      std::string names;
      for (const int* r = codec->supported_samplerates; *r != 0; ++r) {
        names += (names.empty() ? "" : ", ") + std::to_string(*r);
        if (best == 0 || std::abs(*r - rate) < std::abs(best - rate) ||
            (std::abs(*r - rate) == std::abs(best - rate) && *r > best)) {
          best = *r;
        }
      }
      if (best != rate && options.sample_rate > 0) {
        return make_error(ErrorCode::kInvalidArgument, "{}: sample rate {} is not supported (supported: {})", name(),
                          rate, names);
      }
      rate = best;
    }
    // Channels in FFmpeg's default layout, or the codec's layout with that many channels.
    const int channels = options.channels > 0 ? options.channels : first.channels();
    AVChannelLayout layout = detail::default_layout(channels);
    if (codec->ch_layouts != nullptr) {
      const AVChannelLayout* pick = nullptr;
      for (const AVChannelLayout* l = codec->ch_layouts; l->nb_channels != 0; ++l) {
        if (same_layout(*l, layout)) {
          pick = l;
          break;
        }
        if (pick == nullptr && l->nb_channels == channels) pick = l;
      }
      if (pick == nullptr) {
        return make_error(ErrorCode::kInvalidArgument, "{}: {} channels are not supported", name(), channels);
      }
      layout = *pick;
    }
    // Sample format: float if the codec takes it.
    AVSampleFormat sample_fmt = AV_SAMPLE_FMT_FLTP;
    if (codec->sample_fmts != nullptr) {
      sample_fmt = codec->sample_fmts[0];
      for (const AVSampleFormat* f = codec->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f) {
        if (*f == AV_SAMPLE_FMT_FLTP || *f == AV_SAMPLE_FMT_FLT) {
          sample_fmt = *f;
          break;
        }
      }
    }

    CodecContextPtr c(avcodec_alloc_context3(codec));
    if (!c) return make_error(ErrorCode::kInternal, "out of memory");
    c->sample_rate = rate;
    c->sample_fmt = sample_fmt;
    if (int ret = av_channel_layout_copy(&c->ch_layout, &layout); ret < 0) return make_error(av_error(ret, name()));
    c->time_base = AVRational{1, rate};
    c->bit_rate = options.bit_rate;
    if (options.global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    Dictionary dict;
    for (const auto& [key, value] : options.options) dict.set(key, value);
    if (int ret = open_codec(c.get(), codec, dict.out()); ret < 0) {
      return make_error(av_error(ret, fmt::format("{}: cannot open for {} Hz, {} channels, {}", name(), rate, channels,
                                                  sample_format_name(sample_fmt))));
    }
    if (!dict.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: `options` the encoder did not take: {}", name(), dict.keys());
    }
    frame_size =
        c->frame_size > 0 && (codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) == 0 ? c->frame_size : 1024;
    fifo.reset(av_audio_fifo_alloc(sample_fmt, channels, frame_size * 2));
    chunk.reset(av_frame_alloc());
    if (!fifo || !chunk) return make_error(ErrorCode::kInternal, "out of memory");
    chunk->format = sample_fmt;
    chunk->nb_samples = frame_size;
    chunk->sample_rate = rate;
    if (int ret = av_channel_layout_copy(&chunk->ch_layout, &c->ch_layout); ret < 0) {
      return make_error(av_error(ret, name()));
    }
    if (int ret = av_frame_get_buffer(chunk.get(), 0); ret < 0) return make_error(av_error(ret, name()));
    ctx = std::move(c);
    params = describe(*ctx, MediaKind::kAudio);
    return {};
  }

  Result<void> ensure_swr(int rate, int channels) {
    if (swr && rate == swr_in_rate && channels == swr_in_channels) return {};
    const AVChannelLayout in = detail::default_layout(channels);
    STREAMLIB_ASSIGN_OR_RETURN(swr, detail::make_swr(in, AV_SAMPLE_FMT_FLT, rate, ctx->ch_layout.nb_channels,
                                                     ctx->sample_fmt, ctx->sample_rate, ResampleQuality::kDefault));
    swr_in_rate = rate;
    swr_in_channels = channels;
    return {};
  }

  // Converts `count` interleaved float samples (nullptr: the resampler's tail) into the FIFO.
  Result<void> push(const float* samples, int count) {
    const int max_out = swr_get_out_samples(swr.get(), count);
    if (max_out < 0) return make_error(av_error(max_out, name()));
    if (max_out == 0) return {};
    if (max_out > converted_capacity) {
      converted.reset(av_frame_alloc());
      if (!converted) return make_error(ErrorCode::kInternal, "out of memory");
      converted->format = ctx->sample_fmt;
      converted->nb_samples = max_out;
      if (int ret = av_channel_layout_copy(&converted->ch_layout, &ctx->ch_layout); ret < 0) {
        return make_error(av_error(ret, name()));
      }
      if (int ret = av_frame_get_buffer(converted.get(), 0); ret < 0) return make_error(av_error(ret, name()));
      converted_capacity = max_out;
    }
    const auto* in = reinterpret_cast<const std::uint8_t*>(samples);
    const int got = swr_convert(swr.get(), converted->data, max_out, samples != nullptr ? &in : nullptr,
                                samples != nullptr ? count : 0);
    if (got < 0) return make_error(av_error(got, name()));
    if (got > 0 && av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(converted->data), got) < got) {
      return make_error(ErrorCode::kInternal, "{}: out of memory", name());
    }
    return {};
  }

  // Feeds `count` samples of silence at the input's rate and channels.
  Result<void> push_silence(std::int64_t count, int channels) {
    constexpr std::int64_t kBlock = 4096;
    silence.assign(static_cast<std::size_t>(kBlock * channels), 0.0f);
    while (count > 0) {
      const auto n = static_cast<int>(std::min(count, kBlock));
      STREAMLIB_RETURN_IF_ERROR(push(silence.data(), n));
      count -= n;
    }
    return {};
  }

  // Encodes one chunk of `n` samples from the FIFO.
  Result<void> send_chunk(int n, std::vector<EncodedPacket>& out) {
    if (int ret = av_frame_make_writable(chunk.get()); ret < 0) return make_error(av_error(ret, name()));
    chunk->nb_samples = n;
    if (av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(chunk->data), n) < n) {
      return make_error(ErrorCode::kInternal, "{}: audio FIFO underrun", name());
    }
    chunk->pts = fifo_pts;
    fifo_pts += n;
    clear_last_log_error();
    if (int ret = avcodec_send_frame(ctx.get(), chunk.get()); ret < 0) {
      return make_error(av_error(ret, fmt::format("{}: encoding failed", name())));
    }
    return drain(drainer(), out);
  }

  Result<void> send_full_chunks(std::vector<EncodedPacket>& out) {
    while (av_audio_fifo_size(fifo.get()) >= frame_size) STREAMLIB_RETURN_IF_ERROR(send_chunk(frame_size, out));
    return {};
  }

  // Everything buffered (resampler and FIFO) as a last, possibly short, chunk.
  Result<void> send_rest(std::vector<EncodedPacket>& out) {
    if (swr) STREAMLIB_RETURN_IF_ERROR(push(nullptr, 0));
    STREAMLIB_RETURN_IF_ERROR(send_full_chunks(out));
    if (const int left = av_audio_fifo_size(fifo.get()); left > 0) STREAMLIB_RETURN_IF_ERROR(send_chunk(left, out));
    return {};
  }

  PacketDrain drainer() { return {ctx.get(), ctx->time_base, &packet_pool, &params, &packet_number, &spare_packet}; }
};

AudioEncoder::AudioEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioEncoder::AudioEncoder(AudioEncoder&&) noexcept = default;
AudioEncoder& AudioEncoder::operator=(AudioEncoder&&) noexcept = default;
AudioEncoder::~AudioEncoder() = default;

Result<AudioEncoder> AudioEncoder::create(AudioEncoderOptions options) {
  ensure_initialized();
  STREAMLIB_RETURN_IF_ERROR(options.validate());
  STREAMLIB_ASSIGN_OR_RETURN(const AVCodec* codec, encoder_for(options.codec, MediaKind::kAudio));
  STREAMLIB_RETURN_IF_ERROR(check_encoder_options(codec->name, options.options));
  auto impl = std::make_unique<Impl>();
  impl->codec = codec;
  impl->options = std::move(options);
  if (impl->options.sample_rate > 0 && impl->options.channels > 0) {
    WritableAudioFrame probe(impl->options.channels, impl->options.sample_rate, 0);
    STREAMLIB_RETURN_IF_ERROR(impl->open(std::move(probe).freeze()));
  }
  return AudioEncoder(std::move(impl));
}

Result<void> AudioEncoder::encode(const AudioFrame& frame, std::vector<EncodedPacket>& out) {
  Impl& s = *impl_;
  if (!frame) return make_error(ErrorCode::kInvalidArgument, "{}: cannot encode an empty frame", s.name());
  if (s.flushed) return make_error(ErrorCode::kFailedPrecondition, "{}: already flushed", s.name());
  if (!s.ctx) STREAMLIB_RETURN_IF_ERROR(s.open(frame));
  const int channels = frame.channels();
  const float* samples = frame.samples().data();
  auto count = static_cast<std::int64_t>(frame.frame_count());

  if (s.started && frame.sample_rate() == s.in_rate && frame.sample_position() != s.next_in_position) {
    const std::int64_t diff = frame.sample_position() - s.next_in_position;
    if (diff > 0 && samples_to_ns(diff, s.in_rate) <= kMaxAudioGapNs) {
      STREAMLIB_RETURN_IF_ERROR(s.ensure_swr(frame.sample_rate(), channels));
      STREAMLIB_RETURN_IF_ERROR(s.push_silence(diff, channels));  // a gap: keep in sync
    } else if (diff < 0 && -diff < count) {
      const std::int64_t skip = -diff;  // a partial overlap (rounding upstream): cut it off
      samples += skip * channels;
      count -= skip;
    } else if (diff < 0) {
      // The whole block lies before what was encoded: the source's clock went back (it
      // restarted). Nothing is cut: the audio goes on right after what is there, re-based.
      ++s.discontinuities;
    } else {
      STREAMLIB_RETURN_IF_ERROR(s.send_rest(out));  // a long pause: a new timeline
      s.started = false;
    }
  }
  if (!s.started) {
    s.started = true;
    s.fifo_pts = ns_to_samples(frame.timestamp_ns(), s.ctx->sample_rate) - av_audio_fifo_size(s.fifo.get());
  }
  s.in_rate = frame.sample_rate();
  s.next_in_position = frame.sample_position() + static_cast<std::int64_t>(frame.frame_count());
  STREAMLIB_RETURN_IF_ERROR(s.ensure_swr(frame.sample_rate(), channels));
  STREAMLIB_RETURN_IF_ERROR(s.push(samples, static_cast<int>(count)));
  return s.send_full_chunks(out);
}

Result<void> AudioEncoder::flush(std::vector<EncodedPacket>& out) {
  Impl& s = *impl_;
  if (s.flushed || !s.ctx) {
    s.flushed = true;
    return {};
  }
  s.flushed = true;
  STREAMLIB_RETURN_IF_ERROR(s.send_rest(out));
  clear_last_log_error();
  if (int ret = avcodec_send_frame(s.ctx.get(), nullptr); ret < 0 && ret != kErrorEof) {
    return make_error(av_error(ret, fmt::format("{}: flushing failed", s.name())));
  }
  return drain(s.drainer(), out);
}

Result<void> AudioEncoder::reconfigure(const AudioEncoderOptions& next) {
  Impl& s = *impl_;
  STREAMLIB_RETURN_IF_ERROR(next.validate());
  const AudioEncoderOptions& now = s.options;
  if (now.codec != next.codec || now.sample_rate != next.sample_rate || now.channels != next.channels ||
      now.global_header != next.global_header || now.options != next.options) {
    return make_error(ErrorCode::kInvalidArgument, "{}: only bit_rate can change while encoding", s.name());
  }
  if (now.bit_rate == next.bit_rate) return {};
  if (!s.ctx || s.flushed) {
    s.options = next;
    return {};
  }
  // FFmpeg's own AAC encoder reads AVCodecContext::bit_rate for each frame's bit budget. Other
  // encoders (libopus) set theirs once; a new one would restart with priming samples, a step
  // back in time, so the change is refused.
  if (s.ctx->codec_id != AV_CODEC_ID_AAC || std::string_view(s.codec->name) != "aac") {
    return make_error(ErrorCode::kFailedPrecondition, "{}: bit_rate cannot change while encoding (only 'aac' can)",
                      s.name());
  }
  s.ctx->bit_rate = next.bit_rate;
  s.options = next;
  return {};
}

bool AudioEncoder::is_open() const { return impl_->ctx != nullptr; }
std::uint64_t AudioEncoder::timestamp_discontinuities() const { return impl_->discontinuities; }
std::shared_ptr<const CodecParameters> AudioEncoder::parameters() const { return impl_->params; }
std::string AudioEncoder::encoder_name() const { return impl_->codec->name; }
int AudioEncoder::frame_size() const { return impl_->frame_size; }
int AudioEncoder::sample_rate() const { return impl_->ctx ? impl_->ctx->sample_rate : 0; }
const AudioEncoderOptions& AudioEncoder::options() const { return impl_->options; }

}  // namespace streamlib::ffmpeg
