#include "ffmpeg_common/muxer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>
#include <vector>

#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/orientation.h"
#include "streamlib/suggest.h"

namespace streamlib::ffmpeg {

namespace {

constexpr std::size_t kMaxHeldPackets = 4096;

std::string extension_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  return std::string(path.substr(dot));
}

const AVOutputFormat* guess_format(std::string_view path, std::string_view format) {
  if (!format.empty()) return av_guess_format(std::string(format).c_str(), nullptr, nullptr);
  return av_guess_format(nullptr, std::string(path).c_str(), nullptr);
}

bool is_mov_family(const AVOutputFormat* f) {
  const std::string_view name = f->name;
  return name == "mp4" || name == "mov" || name == "ismv" || name == "ipod" || name == "3gp" || name == "3g2" ||
         name == "psp" || name == "f4v";
}

// Codecs (with an encoder here) that the container takes, of the same kind as `type`.
std::string accepted_codecs(const AVOutputFormat* f, AVMediaType type) {
  std::string out;
  const AVCodecDescriptor* d = nullptr;
  while ((d = avcodec_descriptor_next(d)) != nullptr) {
    if (d->type != type || avcodec_find_encoder(d->id) == nullptr) continue;
    if (avformat_query_codec(f, d->id, FF_COMPLIANCE_NORMAL) == 1) {
      if (!out.empty()) out += ", ";
      out += d->name;
    }
  }
  return out.empty() ? "none known" : out;
}

// A new name in `path`'s folder for the recording until its first packet: hidden, unique in
// this process (a counter) and among processes (the pid).
std::string temporary_path_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path p(path);
  const std::string name = fmt::format(".{}.{}-{}.part", p.filename().string(), getpid(), counter.fetch_add(1));
  return (p.parent_path() / name).string();
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

Result<void> MuxerOptions::validate() const {
  if (fragment_duration_ns < 0) {
    return make_error(ErrorCode::kInvalidArgument, "fragment_duration_ns: {} must not be negative",
                      fragment_duration_ns);
  }
  if (max_start_delay_ns < 0) {
    return make_error(ErrorCode::kInvalidArgument, "max_start_delay_ns: {} must not be negative", max_start_delay_ns);
  }
  return {};
}

struct MuxStream {
  AVStream* stream = nullptr;
  const CodecParameters* params = nullptr;  // identity, for write(packet)
  std::shared_ptr<const CodecParameters> keep;
  std::int64_t padding_ns = 0;              // encoder priming (AAC, Opus)
  std::int64_t shift_ns = 0;                // added to every timestamp (see add_stream)
  std::int64_t start_ns = kNoTimestamp;     // earliest pts + priming seen before the header
  std::int64_t last_dts = kNoTimestamp;     // in the stream's time base
  std::int64_t last_dts_ns = kNoTimestamp;  // the same in ns (after shift_ns)
  std::int64_t last_duration_ns = 0;
};

struct Muxer::Impl {
  std::string path;
  // Where the file is written until its first packet is in it ("" once renamed over `path`, or
  // for formats that open no file themselves).
  std::string temporary;
  MuxerOptions options;
  FormatOutputPtr ctx;
  std::vector<MuxStream> streams;
  std::vector<std::pair<EncodedPacket, int>> held;                  // before the header
  std::int64_t held_lo = std::numeric_limits<std::int64_t>::max();  // their pts range
  std::int64_t held_hi = std::numeric_limits<std::int64_t>::min();
  PacketPtr pkt{av_packet_alloc()};
  bool header_written = false;
  bool finished = false;
  std::int64_t origin_ns = 0;
  MuxerStats stats;
  std::vector<std::string> io_options;  // `options` the file's I/O took at open (not the muxer's)

  // A recording that never got its first packet goes, and whatever was at `path` stays.
  ~Impl() {
    if (temporary.empty()) return;
    ctx.reset();  // closes the file
    std::remove(temporary.c_str());
  }

  // Puts the recording in place of whatever `path` held. The muxer's url follows, since some
  // muxers reopen the file by name at the trailer (MP4 `+faststart`).
  Result<void> commit() {
    if (temporary.empty()) return {};
    if (ctx->pb != nullptr) avio_flush(ctx->pb);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      const int err = errno;
      return make_error(ErrorCode::kIo, "{}: cannot move the recording into place from {}: {}", path, temporary,
                        std::strerror(err));
    }
    temporary.clear();
    av_freep(&ctx->url);
    ctx->url = av_strdup(path.c_str());
    if (ctx->url == nullptr) return make_error(ErrorCode::kInternal, "{}: out of memory", path);
    return {};
  }

  Error error(int ret, std::string_view what) const {
    return av_error(ret, what.empty() ? path : fmt::format("{}: {}", path, what));
  }

  Result<void> write_header() {
    Dictionary dict;
    for (const auto& [k, v] : options.options) {
      if (std::find(io_options.begin(), io_options.end(), k) == io_options.end()) dict.set(k, v);
    }
    if (options.fragmented) {
      std::string flags = "+frag_keyframe+empty_moov+default_base_moof";
      if (auto it = options.options.find("movflags"); it != options.options.end()) flags = it->second + flags;
      dict.set("movflags", flags);
      if (options.fragment_duration_ns > 0) {
        dict.set("frag_duration", std::to_string(options.fragment_duration_ns / 1000));
      }
      ctx->flush_packets = 1;  // each finished fragment goes to the file at once
    }
    for (const auto& [k, v] : options.metadata) av_dict_set(&ctx->metadata, k.c_str(), v.c_str(), 0);
    clear_last_log_error();
    if (int ret = avformat_write_header(ctx.get(), dict.out()); ret < 0) {
      return make_error(error(ret, "writing the header"));
    }
    if (!dict.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "{}: `options` neither the {} muxer nor the file took: {}", path,
                        ctx->oformat->name, dict.keys());
    }
    header_written = true;
    return {};
  }

  // Writes the header once every stream has a packet (or enough is held), then what is held.
  Result<void> maybe_start(bool force) {
    if (header_written) return {};
    if (held.empty() && !force) return {};
    bool all = true;
    for (const MuxStream& s : streams) all = all && s.start_ns != kNoTimestamp;
    const bool waited_enough =
        !held.empty() && (held_hi - held_lo > options.max_start_delay_ns || held.size() >= kMaxHeldPackets);
    if (!all && !waited_enough && !force) return {};
    origin_ns = 0;
    if (options.rebase_timestamps) {
      std::int64_t start = std::numeric_limits<std::int64_t>::max();
      for (const MuxStream& s : streams) {
        if (s.start_ns != kNoTimestamp) start = std::min(start, s.start_ns);
      }
      if (start != std::numeric_limits<std::int64_t>::max()) origin_ns = start;
    }
    STREAMLIB_RETURN_IF_ERROR(write_header());
    auto pending = std::move(held);
    held.clear();
    for (const auto& [p, i] : pending) STREAMLIB_RETURN_IF_ERROR(write_now(p, i));
    return {};
  }

  Result<void> write_now(const EncodedPacket& packet, int index) {
    MuxStream& s = streams[static_cast<std::size_t>(index)];
    const AVRational tb = s.stream->time_base;
    const auto bytes = packet.bytes();
    clear_last_log_error();
    if (int ret = av_new_packet(pkt.get(), static_cast<int>(bytes.size())); ret < 0) {
      return make_error(error(ret, "allocating a packet"));
    }
    if (!bytes.empty()) std::memcpy(pkt->data, bytes.data(), bytes.size());
    // Decode time never goes back. A packet more than half a packet behind the last one means
    // its source's clock restarted: the stream is re-based to go on right after the last packet
    // (counted), instead of every later packet being squeezed or refused.
    if (const std::int64_t dts_ns = packet.dts_ns() - origin_ns + s.shift_ns;
        s.last_dts_ns != kNoTimestamp && dts_ns < s.last_dts_ns - std::max<std::int64_t>(s.last_duration_ns / 2, 1)) {
      s.shift_ns += s.last_dts_ns + std::max<std::int64_t>(s.last_duration_ns, 1) - dts_ns;
      ++stats.timestamp_discontinuities;
    }
    std::int64_t pts = from_ns(packet.pts_ns() - origin_ns + s.shift_ns, tb);
    std::int64_t dts = from_ns(packet.dts_ns() - origin_ns + s.shift_ns, tb);
    s.last_dts_ns = packet.dts_ns() - origin_ns + s.shift_ns;
    s.last_duration_ns = packet.duration_ns();
    if (s.last_dts != kNoTimestamp && dts <= s.last_dts) dts = s.last_dts + 1;  // coarse time bases
    if (pts < dts) pts = dts;
    s.last_dts = dts;
    pkt->pts = pts;
    pkt->dts = dts;
    pkt->duration = packet.duration_ns() > 0 ? from_ns(packet.duration_ns(), tb) : 0;
    pkt->flags = packet.keyframe() ? AV_PKT_FLAG_KEY : 0;
    pkt->stream_index = index;
    if (!packet.metadata().empty()) {  // side data of a demuxed packet (a remux)
      if (int ret = side_data_from_metadata(packet.metadata(), pkt.get()); ret < 0) {
        av_packet_unref(pkt.get());
        return make_error(error(ret, "adding a packet's side data"));
      }
    }
    if (int ret = av_interleaved_write_frame(ctx.get(), pkt.get()); ret < 0) {
      av_packet_unref(pkt.get());
      return make_error(error(ret, fmt::format("writing a packet of stream {} ({})", index, packet.codec())));
    }
    ++stats.packets;
    stats.bytes += bytes.size();
    if (stats.packets == 1) STREAMLIB_RETURN_IF_ERROR(commit());
    return {};
  }
};

Muxer::Muxer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Muxer::Muxer(Muxer&&) noexcept = default;
Muxer& Muxer::operator=(Muxer&&) noexcept = default;
Muxer::~Muxer() = default;

Result<void> Muxer::check_container(std::string_view path, std::string_view format) {
  ensure_initialized();
  if (guess_format(path, format) != nullptr) return {};
  if (!format.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: unknown container format '{}'", path, format);
  }
  const std::string ext = extension_of(path);
  if (ext.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: no file extension to choose a container from (use .mp4, .mov, .mkv or .webm, or set "
                      "the format)",
                      path);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "{}: unknown container for extension '{}' (use .mp4, .mov, .mkv or .webm, or set the format)", path,
                    ext);
}

Result<void> Muxer::check_options(std::string_view path, std::string_view format,
                                  const std::map<std::string, std::string>& options) {
  if (options.empty()) return {};
  STREAMLIB_RETURN_IF_ERROR(check_container(path, format));
  const AVOutputFormat* ofmt = guess_format(path, format);
  AVFormatContext* raw = nullptr;
  if (int ret = avformat_alloc_output_context2(&raw, ofmt, nullptr, nullptr); ret < 0) {
    return make_error(av_error(ret, path));
  }
  const FormatOutputPtr probe(raw);  // never opened: options are set on it to check their values
  // The protocol that would write the file (its class; the context exists only once open).
  const AVClass* io = nullptr;
  if ((ofmt->flags & AVFMT_NOFILE) == 0) {
    if (const char* protocol = avio_find_protocol_name(std::string(path).c_str()))
      io = avio_protocol_get_class(protocol);
  }
  for (const auto& [key, value] : options) {
    if (av_opt_find(raw, key.c_str(), nullptr, 0, AV_OPT_SEARCH_CHILDREN) != nullptr) {
      clear_last_log_error();
      if (int ret = av_opt_set(raw, key.c_str(), value.c_str(), AV_OPT_SEARCH_CHILDREN); ret < 0) {
        const Error e =
            av_error(ret, fmt::format("{}: {} muxer option '{}': '{}' is refused", path, ofmt->name, key, value));
        return make_error(Error(ErrorCode::kInvalidArgument, e.message()));
      }
      continue;
    }
    if (io != nullptr && av_opt_find2(&io, key.c_str(), nullptr, 0, AV_OPT_SEARCH_FAKE_OBJ, nullptr) != nullptr)
      continue;
    // The muxer's own options, and the nearest of every option it could have taken.
    std::vector<std::string> own;
    std::vector<std::string> names;
    for (const AVClass* cls : {ofmt->priv_class, raw->av_class, io}) {
      const AVOption* o = nullptr;
      while (cls != nullptr && (o = av_opt_next(&cls, o)) != nullptr) {
        if (o->type == AV_OPT_TYPE_CONST || std::find(names.begin(), names.end(), o->name) != names.end()) continue;
        names.emplace_back(o->name);
        if (cls == ofmt->priv_class) own.emplace_back(o->name);
      }
    }
    std::string hint;
    std::size_t best = std::string::npos;
    for (const std::string& n : names) {
      if (const std::size_t d = edit_distance(key, n);
          d < best && d > 0 && d <= std::max<std::size_t>(2, key.size() / 3)) {
        best = d;
        hint = fmt::format("did you mean '{}'?; ", n);
      }
    }
    std::string listed;
    for (const std::string& n : own) listed += (listed.empty() ? "" : ", ") + n;
    return make_error(ErrorCode::kInvalidArgument, "{}: the {} muxer has no option '{}' ({}its own options: {})", path,
                      ofmt->name, key, hint, listed.empty() ? "none" : listed);
  }
  return {};
}

Result<void> Muxer::check_folder(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(ErrorCode::kInvalidArgument, "{}: is a folder, not a file", path);
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const fs::file_status st = fs::status(folder, ec);
  if (ec || !fs::exists(st)) {
    return make_error(ErrorCode::kNotFound, "{}: folder {} does not exist{}", path, folder.string(),
                      ec && ec != std::errc::no_such_file_or_directory ? fmt::format(" ({})", ec.message()) : "");
  }
  if (!fs::is_directory(st)) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} is not a folder", path, folder.string());
  }
  if (access(folder.c_str(), W_OK | X_OK) != 0) {
    const int err = errno;
    return make_error(ErrorCode::kIo, "{}: folder {} cannot be written: {}", path, folder.string(), std::strerror(err));
  }
  return {};
}

Result<Muxer> Muxer::open(const std::string& path, MuxerOptions options) {
  ensure_initialized();
  if (auto v = options.validate(); !v) return make_error(v.error().with_context(path));
  STREAMLIB_RETURN_IF_ERROR(check_container(path, options.format));
  STREAMLIB_RETURN_IF_ERROR(check_options(path, options.format, options.options));
  const AVOutputFormat* ofmt = guess_format(path, options.format);
  if ((ofmt->flags & AVFMT_NOFILE) == 0) STREAMLIB_RETURN_IF_ERROR(check_folder(path));
  if (options.fragmented && !is_mov_family(ofmt)) {
    return make_error(ErrorCode::kInvalidArgument, "{}: fragmented writing needs MP4 or MOV, not {}", path, ofmt->name);
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = std::move(options);
  if (!impl->pkt) return make_error(ErrorCode::kInternal, "{}: out of memory", path);
  // The file is written under a temporary name beside `path` and renamed over it once its first
  // packet is in: a recording that fails before that (a bad option, a graph whose start fails)
  // leaves an existing file as it was.
  const bool opens_file = (ofmt->flags & AVFMT_NOFILE) == 0;
  if (opens_file) impl->temporary = temporary_path_for(path);
  const std::string& written = opens_file ? impl->temporary : path;
  AVFormatContext* raw = nullptr;
  clear_last_log_error();
  if (int ret = avformat_alloc_output_context2(&raw, ofmt, nullptr, written.c_str()); ret < 0) {
    impl->temporary.clear();
    return make_error(av_error(ret, path));
  }
  impl->ctx.reset(raw);
  if (opens_file) {
    // The file's I/O (its protocol) takes the options it has; the muxer the rest, at the header.
    Dictionary io;
    for (const auto& [key, value] : impl->options.options) io.set(key, value);
    clear_last_log_error();
    if (int ret = avio_open2(&impl->ctx->pb, written.c_str(), AVIO_FLAG_WRITE, nullptr, io.out()); ret < 0) {
      impl->temporary.clear();  // not created
      return make_error(av_error(ret, path));
    }
    for (const auto& [key, value] : impl->options.options) {
      if (av_dict_get(io.get(), key.c_str(), nullptr, 0) == nullptr) impl->io_options.push_back(key);
    }
  }
  return Muxer(std::move(impl));
}

Result<int> Muxer::add_stream(const CodecParameters& params) {
  Impl& s = *impl_;
  if (s.header_written || s.finished || !s.held.empty()) {
    return make_error(ErrorCode::kFailedPrecondition, "{}: streams must be added before the first packet", s.path);
  }
  const AVCodecParameters* native = native_parameters(params.native);
  AVCodecID id = AV_CODEC_ID_NONE;
  if (native != nullptr) {
    id = native->codec_id;
  } else if (const AVCodecDescriptor* d = avcodec_descriptor_get_by_name(params.codec.c_str())) {
    id = d->id;
  }
  if (id == AV_CODEC_ID_NONE)
    return make_error(ErrorCode::kInvalidArgument, "{}: unknown codec '{}'", s.path, params.codec);
  const AVMediaType type = params.kind == MediaKind::kVideo ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
  const AVOutputFormat* ofmt = s.ctx->oformat;
  if (avformat_query_codec(ofmt, id, FF_COMPLIANCE_NORMAL) == 0) {
    return make_error(ErrorCode::kInvalidArgument, "{}: codec '{}' cannot be stored in {} (it takes {})", s.path,
                      avcodec_get_name(id), ofmt->name, accepted_codecs(ofmt, type));
  }
  AVStream* st = avformat_new_stream(s.ctx.get(), nullptr);
  if (st == nullptr) return make_error(ErrorCode::kInternal, "{}: out of memory", s.path);
  AVCodecParameters* par = st->codecpar;
  MuxStream ms;
  if (native != nullptr) {
    if (int ret = avcodec_parameters_copy(par, native); ret < 0) return make_error(av_error(ret, s.path));
    if (type == AVMEDIA_TYPE_AUDIO && native->initial_padding > 0 && native->sample_rate > 0) {
      ms.padding_ns = samples_to_ns(native->initial_padding, native->sample_rate);
    }
  } else {
    par->codec_type = type;
    par->codec_id = id;
    par->bit_rate = params.bit_rate;
    if (type == AVMEDIA_TYPE_VIDEO) {
      par->width = params.width;
      par->height = params.height;
      par->format = params.pixel_format.empty() ? AV_PIX_FMT_YUV420P : av_get_pix_fmt(params.pixel_format.c_str());
    } else {
      par->sample_rate = params.sample_rate;
      par->frame_size = params.frame_size;
      av_channel_layout_default(&par->ch_layout, std::max(params.channels, 1));
    }
    if (!params.extradata.empty()) {
      par->extradata = static_cast<std::uint8_t*>(av_mallocz(params.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      if (par->extradata == nullptr) return make_error(ErrorCode::kInternal, "{}: out of memory", s.path);
      std::memcpy(par->extradata, params.extradata.data(), params.extradata.size());
      par->extradata_size = static_cast<int>(params.extradata.size());
    }
  }
  par->codec_tag = 0;  // the container picks its own tag
  // Matroska's CodecDelay says how much of an Opus stream is priming; libavformat up to 59.30
  // writes it but does not move the blocks by it, so every stream ends up 6.5 ms out of step
  // (newer versions move them themselves). Move them here on those versions.
  const std::string_view container = ofmt->name;
  if ((container == "matroska" || container == "webm") && id == AV_CODEC_ID_OPUS && ms.padding_ns > 0 &&
      avformat_version() <= AV_VERSION_INT(59, 30, 100)) {
    ms.shift_ns = ms.padding_ns;
  }
  if (type == AVMEDIA_TYPE_VIDEO) {
    if (auto r = set_stream_rotation(*st, params.rotation_degrees); !r)
      return make_error(r.error().with_context(s.path));
    st->time_base = AVRational{1, 90000};
    if (params.frame_rate_num > 0 && params.frame_rate_den > 0) {
      st->avg_frame_rate = AVRational{params.frame_rate_num, params.frame_rate_den};
      st->r_frame_rate = st->avg_frame_rate;
    }
  } else {
    st->time_base = AVRational{1, par->sample_rate > 0 ? par->sample_rate : 48000};
  }
  ms.stream = st;
  s.streams.push_back(ms);
  return static_cast<int>(s.streams.size()) - 1;
}

Result<int> Muxer::add_stream(std::shared_ptr<const CodecParameters> params) {
  if (!params) return make_error(ErrorCode::kInvalidArgument, "{}: no codec parameters", impl_->path);
  STREAMLIB_ASSIGN_OR_RETURN(int index, add_stream(*params));
  MuxStream& ms = impl_->streams[static_cast<std::size_t>(index)];
  ms.params = params.get();
  ms.keep = std::move(params);
  return index;
}

Result<void> Muxer::write(const EncodedPacket& packet, int stream) {
  Impl& s = *impl_;
  if (!packet) return make_error(ErrorCode::kInvalidArgument, "{}: cannot write an empty packet", s.path);
  if (s.finished) return make_error(ErrorCode::kFailedPrecondition, "{}: already finished", s.path);
  if (stream < 0 || stream >= static_cast<int>(s.streams.size())) {
    return make_error(ErrorCode::kInvalidArgument, "{}: no stream {} ({} added)", s.path, stream, s.streams.size());
  }
  if (s.header_written) return s.write_now(packet, stream);
  MuxStream& ms = s.streams[static_cast<std::size_t>(stream)];
  const std::int64_t start = packet.pts_ns() + ms.padding_ns;
  ms.start_ns = ms.start_ns == kNoTimestamp ? start : std::min(ms.start_ns, start);
  s.held.emplace_back(packet, stream);
  s.held_lo = std::min(s.held_lo, packet.pts_ns());
  s.held_hi = std::max(s.held_hi, packet.pts_ns());
  return s.maybe_start(false);
}

Result<void> Muxer::write(const EncodedPacket& packet) {
  Impl& s = *impl_;
  if (!packet) return make_error(ErrorCode::kInvalidArgument, "{}: cannot write an empty packet", s.path);
  for (std::size_t i = 0; i < s.streams.size(); ++i) {
    const MuxStream& ms = s.streams[i];
    if (ms.params == packet.params().get()) return write(packet, static_cast<int>(i));
  }
  return make_error(ErrorCode::kInvalidArgument, "{}: the packet ({}) belongs to no stream added", s.path,
                    packet.codec());
}

Result<void> Muxer::finish() {
  Impl& s = *impl_;
  if (s.finished) return {};
  if (s.streams.empty()) {
    s.finished = true;
    return make_error(ErrorCode::kFailedPrecondition, "{}: nothing to write (no streams were added)", s.path);
  }
  STREAMLIB_RETURN_IF_ERROR(s.maybe_start(true));
  s.finished = true;
  // No packet at all: an existing file stays as it was (the destructor removes the temporary);
  // where there was none, the empty recording takes its place.
  if (!s.temporary.empty() && exists(s.path)) return {};
  STREAMLIB_RETURN_IF_ERROR(s.commit());
  clear_last_log_error();
  if (int ret = av_write_trailer(s.ctx.get()); ret < 0) return make_error(s.error(ret, "writing the trailer"));
  if ((s.ctx->oformat->flags & AVFMT_NOFILE) == 0) {
    if (int ret = avio_closep(&s.ctx->pb); ret < 0) return make_error(s.error(ret, "closing"));
  }
  return {};
}

const std::string& Muxer::path() const { return impl_->path; }
std::string Muxer::format_name() const { return impl_->ctx->oformat->name; }
int Muxer::stream_count() const { return static_cast<int>(impl_->streams.size()); }
MuxerStats Muxer::stats() const { return impl_->stats; }

bool Muxer::needs_global_header(std::string_view path, std::string_view format) {
  const AVOutputFormat* f = guess_format(path, format);
  return f != nullptr && (f->flags & AVFMT_GLOBALHEADER) != 0;
}

}  // namespace streamlib::ffmpeg
