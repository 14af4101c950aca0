// EncodedPacket: one compressed unit of a video or audio stream — what encoders emit, what
// file writers and decoders take.
//
//   auto params = std::make_shared<CodecParameters>(CodecParameters{
//       .codec = "h264", .kind = MediaKind::kVideo, .width = 1280, .height = 720});
//   EncodedPacketPool pool;
//   WritableEncodedPacket w = pool.acquire(params, payload.size());
//   std::memcpy(w.bytes().data(), payload.data(), payload.size());
//   w.set_pts_ns(pts); w.set_dts_ns(dts); w.set_duration_ns(d); w.set_keyframe(idr);
//   out.push(std::move(w).freeze());
//
// Times are nanoseconds on the stream's timeline (the same clock as the frames that were
// encoded). The codec parameters — codec, geometry or sample format, the codec's configuration
// bytes (SPS/PPS, AudioSpecificConfig) — are shared by reference: every packet of a stream
// points at the same immutable CodecParameters, and a writer sets up its stream from the first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "streamlib/config.h"
#include "streamlib/frames/frame_pool.h"
#include "streamlib/frames/message.h"

namespace streamlib {

enum class MediaKind { kVideo, kAudio };
STREAMLIB_ENUM_NAMES(MediaKind, {MediaKind::kVideo, "video"}, {MediaKind::kAudio, "audio"});

// What a decoder or muxer needs to know about an encoded stream. Immutable once shared.
struct CodecParameters {
  std::string codec;  // FFmpeg's codec name: "h264", "vp9", "aac", "opus", ...
  MediaKind kind = MediaKind::kVideo;
  int width = 0;  // video
  int height = 0;
  std::string pixel_format;  // the encoder's input, e.g. "yuv420p"
  int frame_rate_num = 0;    // nominal frame rate (0: unknown)
  int frame_rate_den = 1;
  int rotation_degrees = 0;  // display rotation, as VideoFrame::rotation_degrees() (the display matrix)
  int sample_rate = 0;       // audio
  int channels = 0;
  int frame_size = 0;                   // audio samples per packet (AAC: 1024), 0 if variable
  std::int64_t bit_rate = 0;            // bits per second, 0 if unknown
  std::vector<std::uint8_t> extradata;  // codec configuration (global headers)
  // The producing library's own description (e.g. FFmpeg's AVCodecParameters), so a writer
  // of the same library copies it exactly. Opaque to everything else.
  std::shared_ptr<const void> native;
};

namespace internal {
struct EncodedPacketStorage final : FrameStorageBase {
  void reset() override;
  std::shared_ptr<const CodecParameters> params;
  std::vector<std::uint8_t> bytes;
  const std::uint8_t* external_data = nullptr;  // set: the payload is memory owned elsewhere
  std::size_t external_size = 0;
  std::int64_t dts_ns = 0;
  bool keyframe = false;
};
}  // namespace internal

class EncodedPacket {
 public:
  EncodedPacket() = default;

  explicit operator bool() const { return static_cast<bool>(ref_); }
  std::span<const std::uint8_t> bytes() const {
    if (ref_->external_data) return {ref_->external_data, ref_->external_size};
    return ref_->bytes;
  }
  const std::shared_ptr<const CodecParameters>& params() const { return ref_->params; }
  const std::string& codec() const;
  MediaKind kind() const;
  std::int64_t pts_ns() const { return ref_->timestamp_ns; }
  std::int64_t timestamp_ns() const { return ref_->timestamp_ns; }  // = pts, as for frames
  std::int64_t dts_ns() const { return ref_->dts_ns; }
  std::int64_t duration_ns() const { return ref_->duration_ns; }
  bool keyframe() const { return ref_->keyframe; }
  std::uint64_t frame_number() const { return ref_->frame_number; }
  const FrameMetadata& metadata() const { return ref_->metadata; }

  const void* buffer_id() const { return ref_.get(); }
  std::uint32_t use_count() const { return ref_.use_count(); }

 private:
  friend class WritableEncodedPacket;
  explicit EncodedPacket(internal::FrameRef<internal::EncodedPacketStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::EncodedPacketStorage> ref_;
};

class WritableEncodedPacket {
 public:
  // Allocates outside any pool.
  WritableEncodedPacket(std::shared_ptr<const CodecParameters> params, std::size_t size);

  std::span<std::uint8_t> bytes() { return ref_->bytes; }
  void assign(std::span<const std::uint8_t> data) { ref_->bytes.assign(data.begin(), data.end()); }
  void set_pts_ns(std::int64_t ns) { ref_->timestamp_ns = ns; }
  void set_dts_ns(std::int64_t ns) { ref_->dts_ns = ns; }
  void set_duration_ns(std::int64_t ns) { ref_->duration_ns = ns; }
  void set_keyframe(bool keyframe) { ref_->keyframe = keyframe; }
  void set_frame_number(std::uint64_t n) { ref_->frame_number = n; }
  FrameMetadata& metadata() { return ref_->metadata; }

  EncodedPacket freeze() && { return EncodedPacket(std::move(ref_)); }

 private:
  friend class EncodedPacketPool;
  explicit WritableEncodedPacket(internal::FrameRef<internal::EncodedPacketStorage> ref) : ref_(std::move(ref)) {}
  internal::FrameRef<internal::EncodedPacketStorage> ref_;
};

class EncodedPacketPool {
 public:
  explicit EncodedPacketPool(std::size_t max_in_flight = 0) { impl_.set_max_in_flight(max_in_flight); }
  // A packet of `size` bytes (the buffer keeps its capacity across reuse).
  WritableEncodedPacket acquire(std::shared_ptr<const CodecParameters> params, std::size_t size);
  // A packet whose payload is memory owned elsewhere (an encoder's packet); `release` runs
  // exactly once, when the last reader lets go.
  WritableEncodedPacket wrap(std::shared_ptr<const CodecParameters> params, std::span<const std::uint8_t> data,
                             std::function<void()> release);
  std::uint64_t allocated() const { return impl_.allocated(); }
  std::uint64_t reused() const { return impl_.reused(); }

 private:
  internal::FramePoolImpl<internal::EncodedPacketStorage> impl_;
};

STREAMLIB_MESSAGE_TYPE(EncodedPacket, 64, LinkPolicy::kBlock);

}  // namespace streamlib
