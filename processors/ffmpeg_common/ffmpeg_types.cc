#include "ffmpeg_common/ffmpeg_types.h"

#include <cstdlib>
#include <new>
#include <string_view>

namespace streamlib::ffmpeg {

void FormatOutputDeleter::operator()(AVFormatContext* c) const {
  if (c == nullptr) return;
  if (c->oformat != nullptr && (c->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&c->pb);
  avformat_free_context(c);
}

std::string Dictionary::keys() const {
  std::string out;
  const AVDictionaryEntry* e = nullptr;
  while ((e = av_dict_get(d_, "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    if (!out.empty()) out += ", ";
    out += e->key;
  }
  return out;
}

// --- Native codec parameters ------------------------------------------------------------------

namespace {
struct NativeParametersDeleter {
  void operator()(const void* p) const {
    auto* par = static_cast<AVCodecParameters*>(const_cast<void*>(p));
    avcodec_parameters_free(&par);
  }
};
}  // namespace

std::shared_ptr<const void> make_native_parameters(const AVCodecParameters& par) {
  AVCodecParameters* copy = avcodec_parameters_alloc();
  if (copy == nullptr) throw std::bad_alloc();
  if (avcodec_parameters_copy(copy, &par) < 0) {
    avcodec_parameters_free(&copy);
    throw std::bad_alloc();
  }
  return {static_cast<const void*>(copy), NativeParametersDeleter{}};
}

const AVCodecParameters* native_parameters(const std::shared_ptr<const void>& native) {
  if (!native || std::get_deleter<NativeParametersDeleter>(native) == nullptr) return nullptr;
  return static_cast<const AVCodecParameters*>(native.get());
}

namespace {
constexpr std::string_view kSideDataKey = "ffmpeg.side_data.";
}  // namespace

void side_data_to_metadata(const AVPacket& packet, FrameMetadata& metadata) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < packet.side_data_elems; ++i) {
    const AVPacketSideData& sd = packet.side_data[i];
    std::string hex;
    hex.reserve(sd.size * 2);
    for (std::size_t j = 0; j < sd.size; ++j) {
      hex += kHex[sd.data[j] >> 4];
      hex += kHex[sd.data[j] & 0xf];
    }
    metadata.set(std::string(kSideDataKey) + std::to_string(static_cast<int>(sd.type)), hex);
  }
}

int side_data_from_metadata(const FrameMetadata& metadata, AVPacket* packet) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (const auto& [key, hex] : metadata.entries()) {
    if (key.compare(0, kSideDataKey.size(), kSideDataKey) != 0) continue;
    const int type = std::atoi(key.c_str() + kSideDataKey.size());
    std::uint8_t* data = av_packet_new_side_data(packet, static_cast<AVPacketSideDataType>(type), hex.size() / 2);
    if (data == nullptr) return AVERROR(ENOMEM);
    for (std::size_t j = 0; j + 1 < hex.size(); j += 2) {
      data[j / 2] = static_cast<std::uint8_t>(nibble(hex[j]) << 4 | nibble(hex[j + 1]));
    }
  }
  return 0;
}

// --- Pixel formats and colour -------------------------------------------------------------------

AVPixelFormat to_av_pixel_format(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRgba:
      return AV_PIX_FMT_RGBA;
    case PixelFormat::kBgra:
      return AV_PIX_FMT_BGRA;
    case PixelFormat::kI420:
      return AV_PIX_FMT_YUV420P;
    case PixelFormat::kNv12:
      return AV_PIX_FMT_NV12;
    case PixelFormat::kYuyv:
      return AV_PIX_FMT_YUYV422;
    case PixelFormat::kRgb24:
      return AV_PIX_FMT_RGB24;
    case PixelFormat::kGray8:
      return AV_PIX_FMT_GRAY8;
    case PixelFormat::kI422:
      return AV_PIX_FMT_YUV422P;
    case PixelFormat::kI444:
      return AV_PIX_FMT_YUV444P;
    case PixelFormat::kP010:
      return AV_PIX_FMT_P010LE;
    case PixelFormat::kYuv420p10:
      return AV_PIX_FMT_YUV420P10LE;
    case PixelFormat::kYuv422p10:
      return AV_PIX_FMT_YUV422P10LE;
    case PixelFormat::kYuv444p10:
      return AV_PIX_FMT_YUV444P10LE;
  }
  return AV_PIX_FMT_NONE;
}

std::optional<PixelFormat> from_av_pixel_format(AVPixelFormat format, ColorRange* implied_range) {
  if (implied_range != nullptr) *implied_range = ColorRange::kUnknown;
  switch (format) {
    case AV_PIX_FMT_RGBA:
      return PixelFormat::kRgba;
    case AV_PIX_FMT_BGRA:
      return PixelFormat::kBgra;
    case AV_PIX_FMT_YUV420P:
      return PixelFormat::kI420;
    case AV_PIX_FMT_YUVJ420P:
      if (implied_range != nullptr) *implied_range = ColorRange::kFull;
      return PixelFormat::kI420;
    case AV_PIX_FMT_NV12:
      return PixelFormat::kNv12;
    case AV_PIX_FMT_YUYV422:
      return PixelFormat::kYuyv;
    case AV_PIX_FMT_RGB24:
      return PixelFormat::kRgb24;
    case AV_PIX_FMT_GRAY8:
      return PixelFormat::kGray8;
    case AV_PIX_FMT_YUVJ422P:
      if (implied_range != nullptr) *implied_range = ColorRange::kFull;
      return PixelFormat::kI422;
    case AV_PIX_FMT_YUV422P:
      return PixelFormat::kI422;
    case AV_PIX_FMT_YUVJ444P:
      if (implied_range != nullptr) *implied_range = ColorRange::kFull;
      return PixelFormat::kI444;
    case AV_PIX_FMT_YUV444P:
      return PixelFormat::kI444;
    case AV_PIX_FMT_P010LE:
      return PixelFormat::kP010;
    case AV_PIX_FMT_YUV420P10LE:
      return PixelFormat::kYuv420p10;
    case AV_PIX_FMT_YUV422P10LE:
      return PixelFormat::kYuv422p10;
    case AV_PIX_FMT_YUV444P10LE:
      return PixelFormat::kYuv444p10;
    default:
      return std::nullopt;
  }
}

AVColorRange to_av_color_range(ColorRange range) {
  switch (range) {
    case ColorRange::kLimited:
      return AVCOL_RANGE_MPEG;
    case ColorRange::kFull:
      return AVCOL_RANGE_JPEG;
    case ColorRange::kUnknown:
      break;
  }
  return AVCOL_RANGE_UNSPECIFIED;
}

ColorRange from_av_color_range(AVColorRange range) {
  switch (range) {
    case AVCOL_RANGE_MPEG:
      return ColorRange::kLimited;
    case AVCOL_RANGE_JPEG:
      return ColorRange::kFull;
    default:
      return ColorRange::kUnknown;
  }
}

AVColorSpace to_av_color_space(ColorMatrix matrix) {
  switch (matrix) {
    case ColorMatrix::kBt601:
      return AVCOL_SPC_SMPTE170M;
    case ColorMatrix::kBt709:
      return AVCOL_SPC_BT709;
    case ColorMatrix::kBt2020:
      return AVCOL_SPC_BT2020_NCL;
    case ColorMatrix::kUnknown:
      break;
  }
  return AVCOL_SPC_UNSPECIFIED;
}

ColorMatrix from_av_color_space(AVColorSpace space) {
  switch (space) {
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC:
      return ColorMatrix::kBt601;
    case AVCOL_SPC_BT709:
      return ColorMatrix::kBt709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return ColorMatrix::kBt2020;
    default:
      return ColorMatrix::kUnknown;
  }
}

AVPixelFormat nearest_pixel_format(AVPixelFormat format) {
  static constexpr AVPixelFormat kKept[] = {
      AV_PIX_FMT_YUV420P,     AV_PIX_FMT_YUV422P,     AV_PIX_FMT_YUV444P,     AV_PIX_FMT_NV12,   AV_PIX_FMT_YUYV422,
      AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV444P10LE, AV_PIX_FMT_P010LE, AV_PIX_FMT_RGBA,
      AV_PIX_FMT_BGRA,        AV_PIX_FMT_RGB24,       AV_PIX_FMT_GRAY8,       AV_PIX_FMT_NONE};
  if (from_av_pixel_format(format)) return format;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  if (desc == nullptr) return AV_PIX_FMT_YUV420P;
  const bool alpha = (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
  const AVPixelFormat best = avcodec_find_best_pix_fmt_of_list(kKept, format, alpha ? 1 : 0, nullptr);
  return best != AV_PIX_FMT_NONE ? best : AV_PIX_FMT_YUV420P;
}

std::string pixel_format_name(AVPixelFormat format) {
  const char* name = av_get_pix_fmt_name(format);
  return name != nullptr ? name : "none";
}

std::string sample_format_name(AVSampleFormat format) {
  const char* name = av_get_sample_fmt_name(format);
  return name != nullptr ? name : "none";
}

// --- Time ---------------------------------------------------------------------------------------

namespace {
constexpr auto kRound = static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
}  // namespace

std::int64_t to_ns(std::int64_t ts, AVRational time_base) {
  if (ts == kNoTimestamp) return kNoTimestamp;
  return av_rescale_q_rnd(ts, time_base, kNanosecondTimeBase, kRound);
}

std::int64_t from_ns(std::int64_t ns, AVRational time_base) {
  if (ns == kNoTimestamp) return kNoTimestamp;
  return av_rescale_q_rnd(ns, kNanosecondTimeBase, time_base, kRound);
}

std::int64_t samples_to_ns(std::int64_t samples, int sample_rate) {
  return sample_rate > 0 ? av_rescale_rnd(samples, 1'000'000'000, sample_rate, kRound) : 0;
}

std::int64_t ns_to_samples(std::int64_t ns, int sample_rate) {
  return av_rescale_rnd(ns, sample_rate, 1'000'000'000, kRound);
}

// --- Version-independent accessors --------------------------------------------------------------

std::int64_t frame_duration(const AVFrame& frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
  return frame.duration;
#else
  return frame.pkt_duration;
#endif
}

bool frame_is_keyframe(const AVFrame& frame) {
#ifdef AV_FRAME_FLAG_KEY
  return (frame.flags & AV_FRAME_FLAG_KEY) != 0;
#else
  return frame.key_frame != 0;
#endif
}

void set_frame_keyframe(AVFrame& frame, bool key) {
#ifdef AV_FRAME_FLAG_KEY
  if (key) {
    frame.flags |= AV_FRAME_FLAG_KEY;
  } else {
    frame.flags &= ~AV_FRAME_FLAG_KEY;
  }
#else
  frame.key_frame = key ? 1 : 0;
#endif
}

}  // namespace streamlib::ffmpeg
