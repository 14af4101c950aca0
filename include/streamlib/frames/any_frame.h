// AnyFrame: the message type of an input that takes any built-in frame (VideoFrame,
// AudioFrame, DataFrame or EncodedPacket) — for sinks such as NullSink and Counter.
//
//   streamlib::LinkInput<streamlib::AnyFrame> in{this, "in"};
//   while (auto f = in.read()) { if (const VideoFrame* v = f->video()) ...; }
//
// Only inputs use AnyFrame; outputs always have a concrete type, and the link between them
// carries that type (nothing is converted in transit).
#pragma once

#include <cstdint>
#include <variant>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/data_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"

namespace streamlib {

class AnyFrame {
 public:
  AnyFrame() = default;
  AnyFrame(VideoFrame f) : v_(std::move(f)) {}     // NOLINT(google-explicit-constructor)
  AnyFrame(AudioFrame f) : v_(std::move(f)) {}     // NOLINT(google-explicit-constructor)
  AnyFrame(DataFrame f) : v_(std::move(f)) {}      // NOLINT(google-explicit-constructor)
  AnyFrame(EncodedPacket p) : v_(std::move(p)) {}  // NOLINT(google-explicit-constructor)

  const VideoFrame* video() const { return std::get_if<VideoFrame>(&v_); }
  const AudioFrame* audio() const { return std::get_if<AudioFrame>(&v_); }
  const DataFrame* data() const { return std::get_if<DataFrame>(&v_); }
  const EncodedPacket* packet() const { return std::get_if<EncodedPacket>(&v_); }
  bool empty() const { return std::holds_alternative<std::monostate>(v_); }

  std::int64_t timestamp_ns() const;
  std::uint64_t frame_number() const;

 private:
  std::variant<std::monostate, VideoFrame, AudioFrame, DataFrame, EncodedPacket> v_;
};

STREAMLIB_MESSAGE_TYPE(AnyFrame, 16, LinkPolicy::kBlock);

template <class T>
concept BuiltinFrame = std::same_as<T, VideoFrame> || std::same_as<T, AudioFrame> || std::same_as<T, DataFrame> ||
    std::same_as<T, EncodedPacket>;

}  // namespace streamlib
