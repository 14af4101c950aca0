// Decodes one JPEG (an MJPEG camera frame) into an I420 VideoFrame with FFmpeg's mjpeg decoder.
//
//   auto decoder = MjpegDecoder::create().value();
//   WritableVideoFrame w = decoder->decode(jpeg_bytes, pool).value();
//
// The decoder's native 4:2:0 output (yuvj420p) is copied plane by plane; 4:2:2 and 4:4:4
// JPEGs (many webcams send 4:2:2) and grey ones are converted to 4:2:0 with swscale. Either way
// the frame keeps JPEG's full range: color_range() is kFull, color_matrix() kBt601.
//
// Threads: one decoder per capture thread; frames come from `pool`, so decode() must be called
// from the pool's producer thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

namespace streamlib::v4l2 {

class MjpegDecoder {
 public:
  static Result<std::unique_ptr<MjpegDecoder>> create();
  ~MjpegDecoder();
  MjpegDecoder(const MjpegDecoder&) = delete;
  MjpegDecoder& operator=(const MjpegDecoder&) = delete;

  // A frame of the JPEG's own size. Errors: kInvalidArgument for data that does not decode.
  Result<WritableVideoFrame> decode(std::span<const std::uint8_t> jpeg, VideoFramePool& pool);

 private:
  MjpegDecoder() = default;
  struct Ffmpeg;
  std::unique_ptr<Ffmpeg> ff_;
  std::vector<std::uint8_t> padded_;  // the input plus FFmpeg's zeroed padding
};

}  // namespace streamlib::v4l2
