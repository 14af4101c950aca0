#include "v4l2_common/mjpeg_decoder.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace streamlib::v4l2 {

namespace {
std::string av_error_text(int err) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, text, sizeof(text));
  return text;
}
}  // namespace

struct MjpegDecoder::Ffmpeg {
  AVCodecContext* ctx = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;

  ~Ffmpeg() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&ctx);
  }
};

Result<std::unique_ptr<MjpegDecoder>> MjpegDecoder::create() {
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return make_error(ErrorCode::kUnsupported, "FFmpeg was built without an MJPEG decoder");
  std::unique_ptr<MjpegDecoder> d(new MjpegDecoder());
  d->ff_ = std::make_unique<Ffmpeg>();
  d->ff_->ctx = avcodec_alloc_context3(codec);
  d->ff_->packet = av_packet_alloc();
  d->ff_->frame = av_frame_alloc();
  if (d->ff_->ctx == nullptr || d->ff_->packet == nullptr || d->ff_->frame == nullptr) {
    return make_error(ErrorCode::kInternal, "out of memory making an MJPEG decoder");
  }
  d->ff_->ctx->thread_count = 1;  // one frame at a time, no added latency
  if (const int err = avcodec_open2(d->ff_->ctx, codec, nullptr); err < 0) {
    return make_error(ErrorCode::kInternal, "cannot open the MJPEG decoder: {}", av_error_text(err));
  }
  return d;
}

MjpegDecoder::~MjpegDecoder() = default;

Result<WritableVideoFrame> MjpegDecoder::decode(std::span<const std::uint8_t> jpeg, VideoFramePool& pool) {
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) {
    return make_error(ErrorCode::kInvalidArgument, "not a JPEG ({} bytes without a start-of-image marker)",
                      jpeg.size());
  }
  padded_.resize(jpeg.size() + AV_INPUT_BUFFER_PADDING_SIZE);
  std::memcpy(padded_.data(), jpeg.data(), jpeg.size());
  std::memset(padded_.data() + jpeg.size(), 0, AV_INPUT_BUFFER_PADDING_SIZE);

  AVPacket* pkt = ff_->packet;
  av_packet_unref(pkt);
  pkt->data = padded_.data();
  pkt->size = static_cast<int>(jpeg.size());
  pkt->flags |= AV_PKT_FLAG_KEY;
  int err = avcodec_send_packet(ff_->ctx, pkt);
  pkt->data = nullptr;
  pkt->size = 0;
  if (err < 0) return make_error(ErrorCode::kInvalidArgument, "JPEG does not decode: {}", av_error_text(err));
  AVFrame* f = ff_->frame;
  av_frame_unref(f);
  err = avcodec_receive_frame(ff_->ctx, f);
  if (err < 0) return make_error(ErrorCode::kInvalidArgument, "JPEG does not decode: {}", av_error_text(err));
  if (f->width <= 0 || f->height <= 0 || f->width > 16384 || f->height > 16384) {
    return make_error(ErrorCode::kInvalidArgument, "JPEG decodes to an unusable size {}x{}", f->width, f->height);
  }

  WritableVideoFrame out = pool.acquire(f->width, f->height, PixelFormat::kI420);
  const auto format = static_cast<AVPixelFormat>(f->format);
  // JPEG is full range unless the decoder says otherwise.
  const bool full = f->color_range != AVCOL_RANGE_MPEG || format == AV_PIX_FMT_YUVJ420P ||
                    format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P || format == AV_PIX_FMT_YUVJ440P;
  if (format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUV420P) {
    for (int p = 0; p < 3; ++p) {
      const int rows = p == 0 ? f->height : (f->height + 1) / 2;
      const int bytes = p == 0 ? f->width : (f->width + 1) / 2;
      std::uint8_t* dst = out.plane(p).data();
      for (int y = 0; y < rows; ++y) {
        std::memcpy(dst + static_cast<std::ptrdiff_t>(y) * out.stride(p),
                    f->data[p] + static_cast<std::ptrdiff_t>(y) * f->linesize[p], static_cast<std::size_t>(bytes));
      }
    }
  } else {
    // 4:2:2, 4:4:4, 4:4:0, grey: to 4:2:0, keeping the range as it is.
    ff_->sws = sws_getCachedContext(ff_->sws, f->width, f->height, format, f->width, f->height, AV_PIX_FMT_YUV420P,
                                    SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
    if (ff_->sws == nullptr) {
      const char* name = av_get_pix_fmt_name(format);
      return make_error(ErrorCode::kUnsupported, "cannot convert decoded JPEG from {} to 4:2:0",
                        name != nullptr ? name : "an unknown pixel format");
    }
    const int* coefficients = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(ff_->sws, coefficients, full ? 1 : 0, coefficients, full ? 1 : 0, 0, 1 << 16, 1 << 16);
    std::uint8_t* dst[4] = {out.plane(0).data(), out.plane(1).data(), out.plane(2).data(), nullptr};
    const int dst_stride[4] = {out.stride(0), out.stride(1), out.stride(2), 0};
    sws_scale(ff_->sws, f->data, f->linesize, 0, f->height, dst, dst_stride);
  }
  out.set_color(full ? ColorRange::kFull : ColorRange::kLimited, ColorMatrix::kBt601);
  out.set_keyframe(true);
  av_frame_unref(f);
  return out;
}

}  // namespace streamlib::v4l2
