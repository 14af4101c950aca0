#include "ffmpeg_common/ffmpeg_error.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <vector>

#include "ffmpeg_common/ffmpeg_types.h"

namespace streamlib::ffmpeg {

namespace {

thread_local std::string t_last_error;  // last complete error line
thread_local std::string t_partial;     // an error line FFmpeg is still assembling
thread_local bool t_line_open = false;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void log_callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level <= AV_LOG_ERROR && fmt != nullptr) {
    va_list copy;
    va_copy(copy, vl);
    char buf[1024];
    const int n = std::vsnprintf(buf, sizeof(buf), fmt, copy);
    va_end(copy);
    if (n > 0) {
      std::string piece(buf);
      if (!t_line_open) t_partial.clear();
      t_partial += piece;
      t_line_open = piece.back() != '\n';
      if (!t_line_open) t_last_error = t_partial;
    }
  }
  av_log_default_callback(avcl, level, fmt, vl);
}
#pragma GCC diagnostic pop

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '.' || s.back() == '\r')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

}  // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_callback(&log_callback);
    // FFmpeg's own chatter (libx264's banner and summary) stays out of a user's terminal;
    // warnings and errors still show. STREAMLIB_FFMPEG_LOG=info (set_log_level) brings it back.
    if (std::getenv("STREAMLIB_FFMPEG_LOG") == nullptr) av_log_set_level(AV_LOG_WARNING);
  });
}

std::string last_log_error() {
  ensure_initialized();
  return trim(t_line_open ? t_partial : t_last_error);
}

void clear_last_log_error() {
  ensure_initialized();
  t_last_error.clear();
  t_partial.clear();
  t_line_open = false;
}

bool set_log_level(std::string_view level) {
  ensure_initialized();
  static constexpr std::pair<std::string_view, int> kLevels[] = {
      {"quiet", AV_LOG_QUIET}, {"error", AV_LOG_ERROR},     {"warning", AV_LOG_WARNING},
      {"info", AV_LOG_INFO},   {"verbose", AV_LOG_VERBOSE}, {"debug", AV_LOG_DEBUG},
  };
  for (const auto& [name, value] : kLevels) {
    if (name == level) {
      av_log_set_level(value);
      return true;
    }
  }
  return false;
}

std::string av_error_text(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(averror, buf, sizeof(buf)) < 0) {
    return fmt::format("FFmpeg error {}", averror);
  }
  return buf;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
ErrorCode av_error_code(int averror) {
  if (averror == AVERROR(ENOENT)) return ErrorCode::kNotFound;
  if (averror == AVERROR(EACCES) || averror == AVERROR(EPERM) || averror == AVERROR(EIO) ||
      averror == AVERROR(ENOSPC) || averror == AVERROR(EROFS) || averror == AVERROR(EISDIR) ||
      averror == AVERROR(ENOTDIR) || averror == AVERROR_EOF) {
    return ErrorCode::kIo;
  }
  if (averror == AVERROR_INVALIDDATA) return ErrorCode::kParse;
  if (averror == AVERROR(EINVAL) || averror == AVERROR_OPTION_NOT_FOUND) return ErrorCode::kInvalidArgument;
  if (averror == AVERROR_DECODER_NOT_FOUND || averror == AVERROR_ENCODER_NOT_FOUND ||
      averror == AVERROR_DEMUXER_NOT_FOUND || averror == AVERROR_MUXER_NOT_FOUND ||
      averror == AVERROR_PROTOCOL_NOT_FOUND || averror == AVERROR_PATCHWELCOME || averror == AVERROR(ENOSYS)) {
    return ErrorCode::kUnsupported;
  }
  if (averror == AVERROR_STREAM_NOT_FOUND) return ErrorCode::kNotFound;
  if (averror == AVERROR(ETIMEDOUT)) return ErrorCode::kTimeout;
  return ErrorCode::kProcessorFailed;
}
#pragma GCC diagnostic pop

Error av_error(int averror, std::string_view subject) {
  std::string text = av_error_text(averror);
  std::string detail = last_log_error();
  std::string message = subject.empty() ? text : fmt::format("{}: {}", subject, text);
  if (!detail.empty() && detail != text) message += fmt::format(" ({})", detail);
  return Error(av_error_code(averror), std::move(message));
}

std::string available_codecs(MediaKind kind, bool encoders) {
  const AVMediaType type = kind == MediaKind::kVideo ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
  std::string software;
  std::string hardware;
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (c->type != type) continue;
    if (encoders ? av_codec_is_encoder(c) == 0 : av_codec_is_decoder(c) == 0) continue;
    std::string& list = (c->capabilities & AV_CODEC_CAP_HARDWARE) != 0 ? hardware : software;
    if (!list.empty()) list += ", ";
    list += c->name;
  }
  if (!hardware.empty()) software += (software.empty() ? "" : ", ") + hardware;
  return software.empty() ? "none" : software;
}

Error codec_not_available(std::string_view name, MediaKind kind, bool encoder) {
  // The well-known ones first (those this FFmpeg has), then how many more there are.
  static constexpr std::string_view kVideoFirst[] = {"libx264",    "libx265",    "libvpx-vp9", "libvpx",
                                                     "libaom-av1", "libsvtav1",  "librav1e",   "h264_nvenc",
                                                     "h264_vaapi", "hevc_nvenc", "mpeg4",      "mjpeg"};
  static constexpr std::string_view kAudioFirst[] = {"aac",  "libopus", "libmp3lame", "libvorbis",
                                                     "flac", "ac3",     "pcm_s16le",  "pcm_f32le"};
  const std::span<const std::string_view> first = kind == MediaKind::kVideo
                                                      ? std::span<const std::string_view>(kVideoFirst)
                                                      : std::span<const std::string_view>(kAudioFirst);
  const std::string all = available_codecs(kind, encoder);
  std::vector<std::string_view> names;
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t end = std::min(all.find(", ", pos), all.size());
    names.push_back(std::string_view(all).substr(pos, end - pos));
    pos = end + 2;
  }
  std::string shown;
  std::size_t count = 0;
  for (std::string_view n : first) {
    if (std::find(names.begin(), names.end(), n) == names.end()) continue;
    shown += (shown.empty() ? "" : ", ") + std::string(n);
    ++count;
  }
  if (shown.empty()) {  // none of the usual ones: show the first few there are
    for (; count < names.size() && count < 12; ++count)
      shown += (shown.empty() ? "" : ", ") + std::string(names[count]);
  }
  if (names.size() > count) {
    shown += fmt::format(" and {} more (ffmpeg -{})", names.size() - count, encoder ? "encoders" : "decoders");
  }
  return Error(ErrorCode::kNotFound, fmt::format("codec '{}' is not available ({} {}: {})", name,
                                                 kind == MediaKind::kVideo ? "video" : "audio",
                                                 encoder ? "encoders" : "decoders", shown.empty() ? "none" : shown));
}

}  // namespace streamlib::ffmpeg
