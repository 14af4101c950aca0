#include "encoders.h"

#include "common.h"
#include "ffmpeg_common/encoder_check.h"

namespace streamlib {

namespace internal {

namespace {
std::string video_encoder_name(const std::string& codec) {
  if (codec == "h264" || codec == "avc") return "libx264";
  if (codec == "vp9") return "libvpx-vp9";
  return codec;
}
std::string audio_encoder_name(const std::string& codec) {
  if (codec == "opus") return "libopus";
  return codec;
}
}  // namespace

Result<void> check_video_encoder(std::string_view codec_field, const std::string& codec, const std::string& preset,
                                 const std::string& tune) {
  const std::string encoder = video_encoder_name(codec);
  if (auto r = ffmpeg::check_encoder(encoder, MediaKind::kVideo); !r) {
    return make_error(r.error().with_context(codec_field));
  }
  if (!preset.empty()) {
    if (auto r = ffmpeg::check_encoder_setting(encoder, "preset", preset); !r) {
      return make_error(r.error().with_context("preset"));
    }
  }
  if (!tune.empty()) {
    if (auto r = ffmpeg::check_encoder_setting(encoder, "tune", tune); !r) {
      return make_error(r.error().with_context("tune"));
    }
  }
  return {};
}

Result<void> check_audio_encoder(std::string_view codec_field, const std::string& codec) {
  if (auto r = ffmpeg::check_encoder(audio_encoder_name(codec), MediaKind::kAudio); !r) {
    return make_error(r.error().with_context(codec_field));
  }
  return {};
}

Result<void> check_encoder_options(std::string_view options_field, MediaKind kind, const std::string& codec,
                                   const OptionMap& options) {
  const std::string encoder = kind == MediaKind::kVideo ? video_encoder_name(codec) : audio_encoder_name(codec);
  if (auto r = ffmpeg::check_encoder_options(encoder, options); !r) {
    return make_error(r.error().with_context(options_field));
  }
  return {};
}

ffmpeg::VideoEncoderOptions video_encoder_options(const VideoEncoderConfig& c) {
  ffmpeg::VideoEncoderOptions o;
  o.codec = video_encoder_name(c.codec);
  o.width = c.width;
  o.height = c.height;
  o.frame_rate_num = c.fps.num;
  o.frame_rate_den = c.fps.den;
  o.bit_rate = c.bitrate;
  o.crf = c.crf;
  o.preset = c.preset;
  o.tune = c.tune;
  o.keyframe_interval = c.keyframe_interval;
  o.threads = c.threads;
  o.realtime = c.realtime;
  o.options = c.options;
  return o;
}

ffmpeg::AudioEncoderOptions audio_encoder_options(const AudioEncoderConfig& c) {
  ffmpeg::AudioEncoderOptions o;
  o.codec = audio_encoder_name(c.codec);
  o.bit_rate = c.bitrate;
  o.sample_rate = c.sample_rate;
  o.channels = c.channels;
  o.options = c.options;
  return o;
}

}  // namespace internal

// --- VideoEncoder ------------------------------------------------------------------------------

Result<void> VideoEncoderConfig::validate() const {
  if (codec.empty()) return make_error(ErrorCode::kInvalidArgument, "codec: must not be empty");
  STREAMLIB_RETURN_IF_ERROR(check_range("crf", crf, -1, 63));
  STREAMLIB_RETURN_IF_ERROR(check_range<std::int64_t>("bitrate", bitrate, 0, 1'000'000'000));
  STREAMLIB_RETURN_IF_ERROR(check_range("keyframe_interval", keyframe_interval, 0, 100000));
  STREAMLIB_RETURN_IF_ERROR(check_range("threads", threads, 0, 64));
  STREAMLIB_RETURN_IF_ERROR(check_frame_rate("fps", fps, 1, 1000));
  STREAMLIB_RETURN_IF_ERROR(check_range("width", width, 0, 16384));
  STREAMLIB_RETURN_IF_ERROR(check_range("height", height, 0, 16384));
  STREAMLIB_RETURN_IF_ERROR(internal::check_video_encoder("codec", codec, preset, tune));
  return internal::check_encoder_options("options", MediaKind::kVideo, codec, options);
}

Result<void> VideoEncoder::setup(RuntimeContext&) {
  auto encoder = ffmpeg::VideoEncoder::create(internal::video_encoder_options(config()));
  if (!encoder) return make_error(internal::named_error(*this, encoder.error()));
  encoder_.emplace(std::move(*encoder));
  return {};
}

Result<void> VideoEncoder::send(Result<void> encoded) {
  if (!encoded) return make_error(internal::named_error(*this, encoded.error()));
  for (EncodedPacket& p : packets_) out.push(std::move(p));
  packets_out_.fetch_add(packets_.size(), std::memory_order_relaxed);
  packets_.clear();
  return {};
}

Result<void> VideoEncoder::process() {
  while (auto frame = in.read()) {
    frames_in_.fetch_add(1, std::memory_order_relaxed);
    STREAMLIB_RETURN_IF_ERROR(send(encoder_->encode(*frame, packets_)));
    conversions_.update(*encoder_, "video", [&](std::string m) { context().warn(std::move(m), in.link_id()); });
  }
  return {};
}

Result<void> VideoEncoder::finish() {
  if (!encoder_ || !encoder_->is_open()) return {};
  return send(encoder_->flush(packets_));
}

Result<void> VideoEncoder::on_config_change(const VideoEncoderConfig& next) {
  if (const char* field =
          internal::first_changed_field(config(), next, {"preset", "tune", "crf", "bitrate", "keyframe_interval"})) {
    if (!encoder_ || !encoder_->is_open()) return make_error(ErrorCode::kUnsupported, "rebuilt for a new encoder");
    // A new codec, size, rate or threading would start another stream under whatever reads this
    // one; a file cannot take that mid-recording, so it is refused while encoding.
    return make_error(internal::named_error(
        *this,
        Error(ErrorCode::kFailedPrecondition,
              fmt::format("`{}` cannot change while the stream is encoded (a new stream would start under its "
                          "readers); scale with a VideoConvert before the encoder, or remove and add the encoder",
                          field))));
  }
  if (!encoder_) return {};
  // Packets drained from the old encoder (if a new one is needed) go out before the next ones.
  auto r = encoder_->reconfigure(internal::video_encoder_options(next), packets_);
  if (!r) return make_error(internal::named_error(*this, r.error()));
  return {};
}

void VideoEncoder::teardown() { encoder_.reset(); }

nlohmann::json VideoEncoder::metrics() const {
  nlohmann::json m{{"frames", frames_in_.load(std::memory_order_relaxed)},
                   {"packets", packets_out_.load(std::memory_order_relaxed)}};
  conversions_.add_to(m);
  return m;
}

// --- AudioEncoder ------------------------------------------------------------------------------

Result<void> AudioEncoderConfig::validate() const {
  if (codec.empty()) return make_error(ErrorCode::kInvalidArgument, "codec: must not be empty");
  STREAMLIB_RETURN_IF_ERROR(check_range<std::int64_t>("bitrate", bitrate, 1000, 10'000'000));
  STREAMLIB_RETURN_IF_ERROR(check_range("sample_rate", sample_rate, 0, 384000));
  STREAMLIB_RETURN_IF_ERROR(check_range("channels", channels, 0, kMaxAudioChannels));
  STREAMLIB_RETURN_IF_ERROR(internal::check_audio_encoder("codec", codec));
  return internal::check_encoder_options("options", MediaKind::kAudio, codec, options);
}

Result<void> AudioEncoder::setup(RuntimeContext&) {
  auto encoder = ffmpeg::AudioEncoder::create(internal::audio_encoder_options(config()));
  if (!encoder) return make_error(internal::named_error(*this, encoder.error()));
  encoder_.emplace(std::move(*encoder));
  return {};
}

Result<void> AudioEncoder::send(Result<void> encoded) {
  if (!encoded) return make_error(internal::named_error(*this, encoded.error()));
  for (EncodedPacket& p : packets_) out.push(std::move(p));
  packets_out_.fetch_add(packets_.size(), std::memory_order_relaxed);
  packets_.clear();
  return {};
}

Result<void> AudioEncoder::process() {
  while (auto frame = in.read()) {
    frames_in_.fetch_add(1, std::memory_order_relaxed);
    STREAMLIB_RETURN_IF_ERROR(send(encoder_->encode(*frame, packets_)));
  }
  return {};
}

Result<void> AudioEncoder::finish() {
  if (!encoder_ || !encoder_->is_open()) return {};
  return send(encoder_->flush(packets_));
}

Result<void> AudioEncoder::on_config_change(const AudioEncoderConfig& next) {
  const char* field = internal::first_changed_field(config(), next, {"bitrate"});
  if (field != nullptr && encoder_ && encoder_->is_open()) {
    return make_error(internal::named_error(
        *this,
        Error(ErrorCode::kFailedPrecondition,
              fmt::format("`{}` cannot change while the stream is encoded (a new stream would start under its "
                          "readers); convert with an AudioResampler or AudioChannelConverter before the encoder, "
                          "or remove and add the encoder",
                          field))));
  }
  if (field != nullptr || !encoder_) return make_error(ErrorCode::kUnsupported, "rebuilt for a new encoder");
  // An encoder that cannot take a new bit rate in place is rebuilt, as before.
  if (!encoder_->reconfigure(internal::audio_encoder_options(next))) {
    return make_error(ErrorCode::kUnsupported, "rebuilt for a new bit rate");
  }
  return {};
}

void AudioEncoder::teardown() { encoder_.reset(); }

nlohmann::json AudioEncoder::metrics() const {
  return {{"frames", frames_in_.load(std::memory_order_relaxed)},
          {"packets", packets_out_.load(std::memory_order_relaxed)}};
}

}  // namespace streamlib
