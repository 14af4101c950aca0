#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/data_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"

namespace streamlib {

namespace {
constexpr int kStrideAlign = 32;
int align_up(int v, int a) { return (v + a - 1) / a * a; }
}  // namespace

int plane_count(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
    case PixelFormat::kYuyv:
    case PixelFormat::kRgb24:
    case PixelFormat::kGray8:
      return 1;
    case PixelFormat::kI420:
    case PixelFormat::kI422:
    case PixelFormat::kI444:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10:
      return 3;
    case PixelFormat::kNv12:
    case PixelFormat::kP010:
      return 2;
  }
  return 1;
}

int bit_depth(PixelFormat format) {
  switch (format) {
    case PixelFormat::kP010:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10:
      return 10;
    default:
      return 8;
  }
}

std::size_t plane_size(PixelFormat format, int plane, int height, int stride) {
  const bool chroma = plane > 0 && (format == PixelFormat::kI420 || format == PixelFormat::kNv12 ||
                                    format == PixelFormat::kP010 || format == PixelFormat::kYuv420p10);
  const int rows = chroma ? (height + 1) / 2 : height;
  return static_cast<std::size_t>(stride) * static_cast<std::size_t>(rows);
}

namespace {
// Bytes per row of plane `p` of a `w`-pixel-wide picture, before alignment.
int row_bytes(PixelFormat f, int p, int w) {
  const int cw = (w + 1) / 2;
  switch (f) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
      return w * 4;
    case PixelFormat::kYuyv:
      return cw * 4;  // two pixels share a U and a V: 4 bytes per pair
    case PixelFormat::kRgb24:
      return w * 3;
    case PixelFormat::kGray8:
      return w;
    case PixelFormat::kI420:
      return p == 0 ? w : cw;
    case PixelFormat::kNv12:
      return p == 0 ? w : cw * 2;
    case PixelFormat::kI422:
      return p == 0 ? w : cw;
    case PixelFormat::kI444:
      return w;
    case PixelFormat::kP010:
      return p == 0 ? w * 2 : cw * 4;  // 16-bit samples; U and V interleaved
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
      return p == 0 ? w * 2 : cw * 2;
    case PixelFormat::kYuv444p10:
      return w * 2;
  }
  return w * 4;
}

void reset_header(internal::FrameStorageBase& s) {
  s.timestamp_ns = 0;
  s.duration_ns = 0;
  s.frame_number = 0;
  s.metadata.clear();
}
}  // namespace

namespace internal {

void VideoFrameStorage::reset() {
  reset_header(*this);
  external_planes = {};
  color_range = ColorRange::kUnknown;
  color_matrix = ColorMatrix::kUnknown;
  keyframe = true;
  rotation_degrees = 0;
}

void VideoFrameStorage::configure(int w, int h, PixelFormat f) {
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) {
    throw std::invalid_argument("video frame size must be within 1..16384 in each dimension");
  }
  width = w;
  height = h;
  format = f;
  planes = plane_count(f);
  strides = {};
  offsets = {};
  sizes = {};
  external_planes = {};
  std::size_t total = 0;
  for (int i = 0; i < planes; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    strides[idx] = align_up(row_bytes(f, i, w), kStrideAlign);
    sizes[idx] = plane_size(f, i, h, strides[idx]);
    offsets[idx] = total;
    // Keep every plane 64-byte aligned.
    total += (sizes[idx] + AlignedBuffer::kAlignment - 1) / AlignedBuffer::kAlignment * AlignedBuffer::kAlignment;
  }
  buffer.resize(total);
}

void VideoFrameStorage::configure_external(const ExternalPlanes& p) {
  if (p.width <= 0 || p.height <= 0 || p.width > 16384 || p.height > 16384) {
    throw std::invalid_argument("video frame size must be within 1..16384 in each dimension");
  }
  width = p.width;
  height = p.height;
  format = p.format;
  planes = plane_count(p.format);
  strides = {};
  offsets = {};
  sizes = {};
  external_planes = {};
  for (int i = 0; i < planes; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    if (p.data[idx] == nullptr || p.strides[idx] < row_bytes(p.format, i, p.width)) {
      throw std::invalid_argument("external plane missing or its stride too small");
    }
    external_planes[idx] = p.data[idx];
    strides[idx] = p.strides[idx];
    sizes[idx] = plane_size(p.format, i, p.height, p.strides[idx]);
  }
}

std::uint8_t* VideoFrameStorage::plane_data(int index) {
  const auto i = static_cast<std::size_t>(index);
  return external_planes[0] != nullptr ? external_planes[i] : buffer.data() + offsets[i];
}

void AudioFrameStorage::reset() {
  reset_header(*this);
  sample_position = 0;
}

void DataFrameStorage::reset() {
  reset_header(*this);
  schema.clear();
  bytes.clear();
}

void EncodedPacketStorage::reset() {
  reset_header(*this);
  params.reset();
  bytes.clear();
  external_data = nullptr;
  external_size = 0;
  dts_ns = 0;
  keyframe = false;
}

}  // namespace internal

// --- Video ----------------------------------------------------------------------------------

int normalize_rotation(double degrees) {
  if (!std::isfinite(degrees)) return 0;
  const long quarters = std::lround(degrees / 90.0);
  return static_cast<int>(((quarters % 4) + 4) % 4) * 90;
}

std::span<const std::uint8_t> VideoFrame::plane(int index) const {
  if (index < 0 || index >= ref_->planes) return {};
  return {ref_->plane_data(index), ref_->sizes[static_cast<std::size_t>(index)]};
}

WritableVideoFrame::WritableVideoFrame(int width, int height, PixelFormat format)
    : ref_(new internal::VideoFrameStorage()) {
  ref_->configure(width, height, format);
}

std::span<std::uint8_t> WritableVideoFrame::plane(int index) {
  if (index < 0 || index >= ref_->planes) return {};
  return {ref_->plane_data(index), ref_->sizes[static_cast<std::size_t>(index)]};
}

WritableVideoFrame VideoFramePool::acquire(int width, int height, PixelFormat format) {
  auto ref = impl_.acquire();
  ref->configure(width, height, format);
  return WritableVideoFrame(std::move(ref));
}

std::optional<WritableVideoFrame> VideoFramePool::try_acquire(int width, int height, PixelFormat format) {
  auto ref = impl_.try_acquire();
  if (!ref) return std::nullopt;
  ref->configure(width, height, format);
  return WritableVideoFrame(std::move(ref));
}

void VideoFramePool::reserve(std::size_t count, int width, int height, PixelFormat format) {
  impl_.reserve(count, [&](internal::VideoFrameStorage& s) {
    s.configure(width, height, format);
    std::memset(s.buffer.data(), 0, s.buffer.size());  // touch every page now
  });
}

WritableVideoFrame VideoFramePool::wrap(const ExternalPlanes& planes, std::function<void()> release) {
  auto ref = impl_.acquire();
  try {
    ref->configure_external(planes);
  } catch (...) {
    if (release) release();  // not ours to keep: give it back at once
    throw;
  }
  ref->external = std::move(release);
  return WritableVideoFrame(std::move(ref));
}

namespace internal {

VideoFrame MediaTime<VideoFrame>::retimed(VideoFrame f, std::int64_t timestamp_ns) {
  if (f.use_count() == 1) {
    f.ref_->timestamp_ns = timestamp_ns;  // the only handle: nobody else can see it change
    return f;
  }
  // Shared with other readers: a new header over the same planes, holding the original.
  const VideoFrameStorage& from = *f.ref_.get();
  ExternalPlanes planes{.width = from.width, .height = from.height, .format = from.format};
  for (int i = 0; i < from.planes; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    planes.data[idx] = const_cast<std::uint8_t*>(f.plane(i).data());  // read only, as every reader
    planes.strides[idx] = from.strides[idx];
  }
  FrameRef<VideoFrameStorage> ref(new VideoFrameStorage());
  ref->configure_external(planes);
  ref->timestamp_ns = timestamp_ns;
  ref->duration_ns = from.duration_ns;
  ref->frame_number = from.frame_number;
  ref->metadata = from.metadata;
  ref->color_range = from.color_range;
  ref->color_matrix = from.color_matrix;
  ref->keyframe = from.keyframe;
  ref->rotation_degrees = from.rotation_degrees;
  ref->external = [keep = std::move(f)]() mutable { keep = VideoFrame(); };
  return VideoFrame(std::move(ref));
}

}  // namespace internal

// --- Audio ----------------------------------------------------------------------------------

namespace {
void configure_audio(internal::AudioFrameStorage& s, int channels, int sample_rate, std::size_t frames) {
  if (channels < 1 || channels > kMaxAudioChannels) {
    throw std::invalid_argument("audio frames have 1 to 8 channels");
  }
  if (sample_rate <= 0) throw std::invalid_argument("audio sample rate must be positive");
  s.channels = channels;
  s.sample_rate = sample_rate;
  s.frames = frames;
  s.samples.resize(frames * static_cast<std::size_t>(channels));
}
}  // namespace

std::int64_t AudioFrame::duration_ns() const {
  return ref_->sample_rate > 0 ? static_cast<std::int64_t>(ref_->frames) * 1'000'000'000 / ref_->sample_rate : 0;
}

namespace internal {

AudioFrame MediaTime<AudioFrame>::retimed(AudioFrame f, std::int64_t timestamp_ns, std::int64_t sample_position) {
  if (f.use_count() != 1) {
    WritableAudioFrame copy(f.channels(), f.sample_rate(), f.frame_count());
    std::copy(f.samples().begin(), f.samples().end(), copy.samples().begin());
    copy.set_frame_number(f.frame_number());
    copy.metadata() = f.metadata();
    f = std::move(copy).freeze();
  }
  f.ref_->timestamp_ns = timestamp_ns;
  f.ref_->sample_position = sample_position;
  return f;
}

}  // namespace internal

WritableAudioFrame::WritableAudioFrame(int channels, int sample_rate, std::size_t frames)
    : ref_(new internal::AudioFrameStorage()) {
  configure_audio(*ref_.get(), channels, sample_rate, frames);
}

WritableAudioFrame AudioFramePool::acquire(int channels, int sample_rate, std::size_t frames) {
  auto ref = impl_.acquire();
  configure_audio(*ref.get(), channels, sample_rate, frames);
  return WritableAudioFrame(std::move(ref));
}

std::optional<WritableAudioFrame> AudioFramePool::try_acquire(int channels, int sample_rate, std::size_t frames) {
  auto ref = impl_.try_acquire();
  if (!ref) return std::nullopt;
  configure_audio(*ref.get(), channels, sample_rate, frames);
  return WritableAudioFrame(std::move(ref));
}

void AudioFramePool::reserve(std::size_t count, int channels, int sample_rate, std::size_t frames) {
  impl_.reserve(count, [&](internal::AudioFrameStorage& s) {
    configure_audio(s, channels, sample_rate, frames);
    std::fill(s.samples.begin(), s.samples.end(), 0.0f);
  });
}

// --- Data -----------------------------------------------------------------------------------

WritableDataFrame::WritableDataFrame(std::string_view schema, std::size_t size)
    : ref_(new internal::DataFrameStorage()) {
  ref_->schema.assign(schema);
  ref_->bytes.resize(size);
}

WritableDataFrame DataFramePool::acquire(std::string_view schema, std::size_t size) {
  auto ref = impl_.acquire();
  ref->schema.assign(schema);
  ref->bytes.resize(size);
  return WritableDataFrame(std::move(ref));
}

std::optional<WritableDataFrame> DataFramePool::try_acquire(std::string_view schema, std::size_t size) {
  auto ref = impl_.try_acquire();
  if (!ref) return std::nullopt;
  ref->schema.assign(schema);
  ref->bytes.resize(size);
  return WritableDataFrame(std::move(ref));
}

// --- Encoded packets --------------------------------------------------------------------------

namespace {
const std::string& no_codec() {
  static const std::string none;
  return none;
}
}  // namespace

const std::string& EncodedPacket::codec() const { return ref_->params ? ref_->params->codec : no_codec(); }

MediaKind EncodedPacket::kind() const { return ref_->params ? ref_->params->kind : MediaKind::kVideo; }

WritableEncodedPacket::WritableEncodedPacket(std::shared_ptr<const CodecParameters> params, std::size_t size)
    : ref_(new internal::EncodedPacketStorage()) {
  ref_->params = std::move(params);
  ref_->bytes.resize(size);
}

WritableEncodedPacket EncodedPacketPool::acquire(std::shared_ptr<const CodecParameters> params, std::size_t size) {
  auto ref = impl_.acquire();
  ref->params = std::move(params);
  ref->bytes.resize(size);
  return WritableEncodedPacket(std::move(ref));
}

WritableEncodedPacket EncodedPacketPool::wrap(std::shared_ptr<const CodecParameters> params,
                                              std::span<const std::uint8_t> data, std::function<void()> release) {
  auto ref = impl_.acquire();
  ref->params = std::move(params);
  ref->external_data = data.data();
  ref->external_size = data.size();
  ref->external = std::move(release);
  return WritableEncodedPacket(std::move(ref));
}

// --- Any ------------------------------------------------------------------------------------

namespace {
// `get` of the frame inside, or R{} for an empty AnyFrame.
template <class R, class V, class F>
R visit_frame(const V& v, F get) {
  if (const auto* f = std::get_if<VideoFrame>(&v)) return get(*f);
  if (const auto* f = std::get_if<AudioFrame>(&v)) return get(*f);
  if (const auto* f = std::get_if<DataFrame>(&v)) return get(*f);
  if (const auto* f = std::get_if<EncodedPacket>(&v)) return get(*f);
  return R{};
}
}  // namespace

std::int64_t AnyFrame::timestamp_ns() const {
  return visit_frame<std::int64_t>(v_, [](const auto& f) { return f.timestamp_ns(); });
}

std::uint64_t AnyFrame::frame_number() const {
  return visit_frame<std::uint64_t>(v_, [](const auto& f) { return f.frame_number(); });
}

}  // namespace streamlib
