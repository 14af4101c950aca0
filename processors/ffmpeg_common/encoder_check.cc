#include "ffmpeg_common/encoder_check.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <span>
#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "streamlib/suggest.h"

namespace streamlib::ffmpeg {

namespace {

// x264.h: x264_preset_names and x264_tune_names.
constexpr std::array<std::string_view, 10> kX264Presets = {"ultrafast", "superfast", "veryfast", "faster",   "fast",
                                                           "medium",    "slow",      "slower",   "veryslow", "placebo"};
constexpr std::array<std::string_view, 8> kX264Tunes = {"film", "animation", "grain",      "stillimage",
                                                        "psnr", "ssim",      "fastdecode", "zerolatency"};
// x265.h: x265_preset_names and x265_tune_names.
constexpr std::array<std::string_view, 6> kX265Tunes = {"psnr",        "ssim",       "grain",
                                                        "zerolatency", "fastdecode", "animation"};

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "; did you mean 'x'?" for the nearest of `names`, or "" if none is close.
std::string nearest(std::string_view typed, const std::vector<std::string>& names) {
  std::size_t best = std::string::npos;
  std::string_view pick;
  for (const std::string& n : names) {
    const std::size_t d = edit_distance(typed, n);
    if (d < best) {
      best = d;
      pick = n;
    }
  }
  const std::size_t close = std::max<std::size_t>(2, typed.size() / 3);
  if (pick.empty() || best == 0 || best > close) return "";
  return fmt::format("did you mean '{}'?; ", pick);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

template <std::size_t N>
std::vector<std::string> to_vector(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

// As ffmpeg::VideoEncoder/AudioEncoder find it (an encoder name, else a codec's encoder; a
// stable encoder rather than FFmpeg's experimental one of the same name, as for "opus").
const AVCodec* find_encoder(const std::string& name) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (codec == nullptr) {
    if (const AVCodecDescriptor* d = avcodec_descriptor_get_by_name(name.c_str())) codec = avcodec_find_encoder(d->id);
  }
  if (codec != nullptr && (codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL) != 0) {
    const AVCodec* stable = avcodec_find_encoder(codec->id);
    if (stable != nullptr && (stable->capabilities & AV_CODEC_CAP_EXPERIMENTAL) == 0) codec = stable;
  }
  return codec;
}

Error not_accepted(std::string_view value, std::string_view encoder, std::string_view option,
                   const std::vector<std::string>& accepted) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a {} {} ({}accepted: {})", value, encoder, option,
                                                        nearest(value, accepted), joined(accepted)));
}

Result<void> check_x264_tune(std::string_view value, std::string_view encoder) {
  // As x264's param_apply_tune: names between any of ",./-+" (empty ones skipped), each known
  // (a second psy tune is ignored with a warning, not refused).
  for (std::size_t pos = 0; pos < value.size();) {
    const std::size_t end = std::min(value.find_first_of(",./-+", pos), value.size());
    const std::string_view one = value.substr(pos, end - pos);
    pos = end + 1;
    if (one.empty()) continue;
    const auto it = std::find_if(kX264Tunes.begin(), kX264Tunes.end(), [&](auto t) { return same_text(t, one); });
    if (it == kX264Tunes.end()) return make_error(not_accepted(one, encoder, "tune", to_vector(kX264Tunes)));
  }
  return {};
}

}  // namespace

Result<void> check_encoder(const std::string& name, MediaKind kind) {
  ensure_initialized();
  const AVMediaType type = kind == MediaKind::kVideo ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
  const AVCodec* codec = find_encoder(name);
  if (codec != nullptr && codec->type == type) return {};
  // Encoder names and codec names with an encoder, of this kind: what a user may type. The
  // usual codec names first, so a tie goes to them ("h246": h264, not h261).
  static constexpr std::string_view kVideoFirst[] = {"h264", "hevc", "vp9", "av1", "vp8", "mpeg4", "mjpeg"};
  static constexpr std::string_view kAudioFirst[] = {"aac", "opus", "mp3", "flac", "vorbis", "ac3", "pcm_s16le"};
  std::vector<std::string> names;
  for (std::string_view n : kind == MediaKind::kVideo ? std::span<const std::string_view>(kVideoFirst)
                                                      : std::span<const std::string_view>(kAudioFirst)) {
    const AVCodec* c = find_encoder(std::string(n));
    if (c != nullptr && c->type == type) names.emplace_back(n);
  }
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (!av_codec_is_encoder(c) || c->type != type) continue;
    names.emplace_back(c->name);
    names.emplace_back(avcodec_get_name(c->id));
  }
  const Error e = codec_not_available(name, kind, true);
  std::string hint = nearest(name, names);
  if (!hint.empty()) hint = " (" + hint.substr(0, hint.size() - 2) + ")";  // "did you mean 'x'?"
  return make_error(Error(e.code(), e.message() + hint));
}

Result<void> check_encoder_setting(const std::string& encoder, std::string_view option, const std::string& value) {
  ensure_initialized();
  const AVCodec* codec = find_encoder(encoder);
  if (codec == nullptr) return make_error(ErrorCode::kNotFound, "no encoder '{}'", encoder);
  const std::string name = codec->name;
  const std::string key(option);
  const AVClass* cls = codec->priv_class;  // a "fake object": a pointer to the class
  const AVOption* opt =
      cls == nullptr ? nullptr : av_opt_find2(&cls, key.c_str(), nullptr, 0, AV_OPT_SEARCH_FAKE_OBJ, nullptr);
  if (opt == nullptr) return make_error(ErrorCode::kInvalidArgument, "{} has no option '{}'", name, option);
  const bool x264 = name.rfind("libx264", 0) == 0;
  const bool x265 = name == "libx265";
  if ((x264 || x265) && option == "preset") {
    char* end = nullptr;
    const long n = std::strtol(value.c_str(), &end, 10);
    if (x264 && !value.empty() && *end == '\0' && n >= 0 && n < static_cast<long>(kX264Presets.size())) return {};
    for (std::string_view p : kX264Presets) {  // x265 has the same names
      if (same_text(p, value)) return {};
    }
    return make_error(not_accepted(value, name, "preset", to_vector(kX264Presets)));
  }
  if (x264 && option == "tune") return check_x264_tune(value, name);
  if (x265 && option == "tune") {
    for (std::string_view t : kX265Tunes) {
      if (same_text(t, value)) return {};
    }
    return make_error(not_accepted(value, name, "tune", to_vector(kX265Tunes)));
  }
  // Anything else as the encoder would parse it: on a context that is never opened.
  CodecContextPtr probe(avcodec_alloc_context3(codec));
  if (!probe || probe->priv_data == nullptr) return make_error(ErrorCode::kInternal, "out of memory");
  if (av_opt_set(probe->priv_data, key.c_str(), value.c_str(), 0) >= 0) return {};
  std::vector<std::string> accepted;
  if (opt->unit != nullptr) {
    const AVOption* o = nullptr;
    while ((o = av_opt_next(&cls, o)) != nullptr) {
      if (o->type == AV_OPT_TYPE_CONST && o->unit != nullptr && std::string_view(o->unit) == opt->unit) {
        accepted.emplace_back(o->name);
      }
    }
  }
  if (accepted.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' is not a value {} takes for '{}'", value, name, option);
  }
  return make_error(not_accepted(value, name, option, accepted));
}

Result<void> check_encoder_options(const std::string& encoder, const std::map<std::string, std::string>& options) {
  if (options.empty()) return {};
  ensure_initialized();
  const AVCodec* codec = find_encoder(encoder);
  if (codec == nullptr) return make_error(ErrorCode::kNotFound, "no encoder '{}'", encoder);
  // A context that is never opened, with the encoder's private options (AV_OPT_SEARCH_CHILDREN
  // finds both, as avcodec_open2 does with its dictionary).
  CodecContextPtr probe(avcodec_alloc_context3(codec));
  if (!probe) return make_error(ErrorCode::kInternal, "out of memory");
  for (const auto& [key, value] : options) {
    if (av_opt_find(probe.get(), key.c_str(), nullptr, 0, AV_OPT_SEARCH_CHILDREN) == nullptr) {
      // The nearest of every option it has; the encoder's own ones listed.
      std::vector<std::string> names;
      std::vector<std::string> own;
      for (const AVClass* cls : {codec->priv_class, probe->av_class}) {
        const AVOption* o = nullptr;
        while (cls != nullptr && (o = av_opt_next(&cls, o)) != nullptr) {
          if (o->type == AV_OPT_TYPE_CONST || std::find(names.begin(), names.end(), o->name) != names.end()) continue;
          names.emplace_back(o->name);
          if (cls == codec->priv_class) own.emplace_back(o->name);
        }
      }
      return make_error(ErrorCode::kInvalidArgument, "{} has no option '{}' ({}its own options: {})", codec->name, key,
                        nearest(key, names), own.empty() ? "none" : joined(own));
    }
    clear_last_log_error();
    if (int ret = av_opt_set(probe.get(), key.c_str(), value.c_str(), AV_OPT_SEARCH_CHILDREN); ret < 0) {
      const Error e = av_error(ret, fmt::format("{} option '{}': '{}' is refused", codec->name, key, value));
      return make_error(Error(ErrorCode::kInvalidArgument, e.message()));
    }
  }
  return {};
}

}  // namespace streamlib::ffmpeg
