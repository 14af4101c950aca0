// The FFmpeg-facing half of the layer: FFmpeg's headers, RAII handles for its objects, and the
// mapping between StreamLib's frame vocabulary and FFmpeg's (pixel formats, colour, time).
//
//   ffmpeg::CodecContextPtr ctx(avcodec_alloc_context3(codec));     // freed on every path
//   std::optional<AVPixelFormat> av = ffmpeg::to_av_pixel_format(PixelFormat::kI420);
//   std::int64_t ns = ffmpeg::to_ns(pkt->pts, stream->time_base);
//
// Only the layer's own sources (and a processor that talks to FFmpeg directly) include this
// header; the classes a processor uses (MediaReader, VideoEncoder, Muxer, Scaler, ...) keep
// FFmpeg out of their headers, and FFmpeg types never appear in StreamLib's frame types.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "streamlib/frames/video_frame.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace streamlib::ffmpeg {

// --- Constants FFmpeg defines as C macros with casts (they trip -Wold-style-cast) -----------

// AV_NOPTS_VALUE: "no timestamp". to_ns()/from_ns() carry it through unchanged.
inline constexpr std::int64_t kNoTimestamp = std::numeric_limits<std::int64_t>::min();
static_assert(kNoTimestamp == static_cast<std::int64_t>(0x8000000000000000ULL));
// AVERROR_EOF, AVERROR(EAGAIN) and AVERROR_INVALIDDATA as plain constants.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline constexpr int kErrorEof = AVERROR_EOF;
inline constexpr int kErrorAgain = AVERROR(EAGAIN);
inline constexpr int kErrorInvalidData = AVERROR_INVALIDDATA;
#pragma GCC diagnostic pop
// One nanosecond as an AVRational, and FFmpeg's AV_TIME_BASE_Q (microseconds).
inline constexpr AVRational kNanosecondTimeBase{1, 1'000'000'000};
inline constexpr AVRational kMicrosecondTimeBase{1, AV_TIME_BASE};

// --- RAII -------------------------------------------------------------------------------------

struct FormatInputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct FormatOutputDeleter {  // closes the file (if opened) and frees the context
  void operator()(AVFormatContext* c) const;
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct CodecParametersDeleter {
  void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct DictionaryDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

using FormatInputPtr = std::unique_ptr<AVFormatContext, FormatInputDeleter>;
using FormatOutputPtr = std::unique_ptr<AVFormatContext, FormatOutputDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using CodecParametersPtr = std::unique_ptr<AVCodecParameters, CodecParametersDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

// An AVDictionary* that frees itself. Pass `.out()` to functions that take AVDictionary**.
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  ~Dictionary() { av_dict_free(&d_); }
  void set(const std::string& key, const std::string& value) { av_dict_set(&d_, key.c_str(), value.c_str(), 0); }
  AVDictionary** out() { return &d_; }
  AVDictionary* get() const { return d_; }
  // Keys left over after an FFmpeg call consumed the ones it knew (comma-separated).
  std::string keys() const;
  bool empty() const { return av_dict_count(d_) == 0; }

 private:
  AVDictionary* d_ = nullptr;
};

// --- Codec parameters travelling in EncodedPacket ----------------------------------------------

// The `native` slot of CodecParameters made by this layer: a shared AVCodecParameters copy.
// Native parameters are recognised by their deleter type, so a `native` from another library
// is never misread.
std::shared_ptr<const void> make_native_parameters(const AVCodecParameters& par);
// The AVCodecParameters inside `native` if this layer made it, else null.
const AVCodecParameters* native_parameters(const std::shared_ptr<const void>& native);

// A demuxed packet's side data (AAC priming and Opus end trimming as AV_PKT_DATA_SKIP_SAMPLES,
// new extradata, ...) travels in the EncodedPacket's metadata, one entry per item
// ("ffmpeg.side_data.<type>" = its bytes in hex), so a Muxer writes it back and a remux keeps it.
void side_data_to_metadata(const AVPacket& packet, FrameMetadata& metadata);
// Adds to `packet` the side data found in `metadata`; an error code from FFmpeg, or 0.
int side_data_from_metadata(const FrameMetadata& metadata, AVPacket* packet);

// --- Pixel formats and colour -------------------------------------------------------------------

AVPixelFormat to_av_pixel_format(PixelFormat format);
// StreamLib's format for an FFmpeg one, if there is one. The JPEG ("yuvj") variants map to
// I420/I422/I444 with `*implied_range` set to full.
std::optional<PixelFormat> from_av_pixel_format(AVPixelFormat format, ColorRange* implied_range = nullptr);
// The format of StreamLib's that keeps most of `format` (depth, chroma, alpha), as FFmpeg's
// avcodec_find_best_pix_fmt_of_list picks it: `format` itself when StreamLib has it
// (yuv420p12le -> yuv420p10le, yuv440p -> yuv444p, gbrp -> rgb24, ...).
AVPixelFormat nearest_pixel_format(AVPixelFormat format);

AVColorRange to_av_color_range(ColorRange range);
ColorRange from_av_color_range(AVColorRange range);
AVColorSpace to_av_color_space(ColorMatrix matrix);
ColorMatrix from_av_color_space(AVColorSpace space);

// FFmpeg's name of a pixel/sample format ("yuv420p", "fltp"), or "none".
std::string pixel_format_name(AVPixelFormat format);
std::string sample_format_name(AVSampleFormat format);

// --- Time ---------------------------------------------------------------------------------------

// `ts` in `time_base` units to nanoseconds (rounded to nearest); kNoTimestamp stays.
std::int64_t to_ns(std::int64_t ts, AVRational time_base);
// Nanoseconds to `time_base` units (rounded to nearest); kNoTimestamp stays.
std::int64_t from_ns(std::int64_t ns, AVRational time_base);
// A sample count at `sample_rate` to nanoseconds (rounded to nearest) and back.
std::int64_t samples_to_ns(std::int64_t samples, int sample_rate);
std::int64_t ns_to_samples(std::int64_t ns, int sample_rate);

// --- Version-independent accessors (FFmpeg 5.1 .. 7.x) ------------------------------------------

std::int64_t frame_duration(const AVFrame& frame);
bool frame_is_keyframe(const AVFrame& frame);
void set_frame_keyframe(AVFrame& frame, bool key);

// Makes sure the layer's one-time FFmpeg setup ran (log capture, see ffmpeg_error.h).
void ensure_initialized();

}  // namespace streamlib::ffmpeg
