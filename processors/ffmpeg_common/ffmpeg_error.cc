#include "ffmpeg_common/ffmpeg_error.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ffmpeg_common/ffmpeg_types.h"
#include "streamlib/internal/log_as.h"
#include "streamlib/log.h"

namespace streamlib::ffmpeg {

namespace {

thread_local std::string t_last_error;  // last complete error line
thread_local std::string t_partial;     // an error line FFmpeg is still assembling
thread_local bool t_line_open = false;
thread_local std::string t_log_line;  // a line for the log FFmpeg is still assembling
thread_local log::Level t_log_level = log::Level::kDebug;
thread_local std::string t_log_origin;
thread_local std::string t_log_source;  // the line's processor, from its codec's tag; "": this thread's

// The processors that opened codecs, by name, each kept for the life of the process (a codec's
// frame threads may log until it is freed): a codec context's `opaque` points at one.
std::mutex& tags_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_set<std::string>& tags() {  // GUARDED_BY(tags_mutex()); node addresses are stable
  static std::unordered_set<std::string> t;
  return t;
}
const std::string* tag_for(std::string source) {
  std::lock_guard lock(tags_mutex());
  return &*tags().insert(std::move(source)).first;
}
// The processor a codec context was tagged with (open_codec), or "" for a context of no tag:
// one FFmpeg made itself (a demuxer's probe), or an object that is not a codec context.
std::string tagged_source(void* avcl) {
  if (avcl == nullptr || *static_cast<const AVClass* const*>(avcl) != avcodec_get_class()) return {};
  const void* opaque = static_cast<const AVCodecContext*>(avcl)->opaque;
  if (opaque == nullptr) return {};
  std::lock_guard lock(tags_mutex());
  for (const std::string& t : tags()) {
    if (&t == opaque) return t;
  }
  return {};
}

log::Level to_log_level(int level) {
  if (level <= AV_LOG_ERROR) return log::Level::kError;
  if (level <= AV_LOG_WARNING) return log::Level::kWarning;
  if (level <= AV_LOG_INFO) return log::Level::kInfo;
  return log::Level::kDebug;
}

// Who logged: "ffmpeg h264", "ffmpeg libx264", "ffmpeg mp4" (the context's item name), or
// "ffmpeg" for a line without one.
std::string origin_of(void* avcl) {
  const AVClass* avc = avcl != nullptr ? *static_cast<const AVClass* const*>(avcl) : nullptr;
  if (avc == nullptr || avc->item_name == nullptr) return "ffmpeg";
  const char* name = avc->item_name(avcl);
  // "NULL": FFmpeg's name for a context of no particular component (its I/O layer).
  if (name == nullptr || *name == '\0' || std::string_view(name) == "NULL") return "ffmpeg";
  return fmt::format("ffmpeg {}", name);
}

// Every FFmpeg log line goes to StreamLib's log (log.h), which names the processor whose thread
// logged it, instead of FFmpeg's "[h264 @ 0x...]" on stderr; error lines are also kept for
// av_error(). FFmpeg sends a line in pieces; a piece is formatted only if someone wants it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void log_callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (fmt == nullptr) return;
  if (level >= 0) level &= 0xff;  // the bits above are a colour (AV_LOG_C)
  const log::Level mapped = to_log_level(level);
  const bool capture = level <= AV_LOG_ERROR;
  const bool forward = (level <= av_log_get_level() && log::enabled(mapped)) || !t_log_line.empty();
  if (!capture && !forward) return;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, vl);
  if (n <= 0) return;
  const std::string_view piece(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(buf) - 1));
  const bool line_ends = piece.back() == '\n';
  if (capture) {
    if (!t_line_open) t_partial.clear();
    t_partial += piece;
    t_line_open = !line_ends;
    if (!t_line_open) t_last_error = t_partial;
  }
  if (!forward) return;
  if (t_log_line.empty()) {  // the first piece of a line says who and how bad
    t_log_level = mapped;
    t_log_origin = origin_of(avcl);
    t_log_source = tagged_source(avcl);
  }
  t_log_line += piece;
  if (line_ends) {
    if (t_log_source.empty()) {
      log::write(t_log_level, t_log_origin, t_log_line);
    } else {
      log::write_as(t_log_level, t_log_source, t_log_origin, t_log_line);
    }
    t_log_line.clear();
  }
}
#pragma GCC diagnostic pop

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '.' || s.back() == '\r')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

bool apply_log_level(std::string_view level) {
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

}  // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_callback(&log_callback);
    // StreamLib's log level (log::set_level) decides what shows. FFmpeg's own level only caps
    // it (set_log_level, or STREAMLIB_FFMPEG_LOG=quiet|error|...): by default it lets all but
    // FFmpeg's trace lines through.
    const char* env = std::getenv("STREAMLIB_FFMPEG_LOG");
    if (env == nullptr || !apply_log_level(env)) av_log_set_level(AV_LOG_DEBUG);
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

int open_codec(AVCodecContext* context, const AVCodec* codec, AVDictionary** options) {
  clear_last_log_error();
  context->opaque = const_cast<std::string*>(tag_for(log::current_source()));
  return avcodec_open2(context, codec, options);
}

bool set_log_level(std::string_view level) {
  ensure_initialized();
  return apply_log_level(level);
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
