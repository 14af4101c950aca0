#include <stdexcept>

#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/data_frame.h"
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
      return 1;
    case PixelFormat::kI420:
      return 3;
    case PixelFormat::kNv12:
      return 2;
  }
  return 1;
}

namespace internal {

void VideoFrameStorage::reset() {
  timestamp_ns = 0;
  frame_number = 0;
  metadata.clear();
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
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  switch (f) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
      strides[0] = align_up(w * 4, kStrideAlign);
      sizes[0] = static_cast<std::size_t>(strides[0]) * static_cast<std::size_t>(h);
      break;
    case PixelFormat::kI420:
      strides[0] = align_up(w, kStrideAlign);
      strides[1] = strides[2] = align_up(cw, kStrideAlign);
      sizes[0] = static_cast<std::size_t>(strides[0]) * static_cast<std::size_t>(h);
      sizes[1] = sizes[2] = static_cast<std::size_t>(strides[1]) * static_cast<std::size_t>(ch);
      break;
    case PixelFormat::kNv12:
      strides[0] = align_up(w, kStrideAlign);
      strides[1] = align_up(cw * 2, kStrideAlign);
      sizes[0] = static_cast<std::size_t>(strides[0]) * static_cast<std::size_t>(h);
      sizes[1] = static_cast<std::size_t>(strides[1]) * static_cast<std::size_t>(ch);
      break;
  }
  std::size_t total = 0;
  for (int i = 0; i < planes; ++i) {
    offsets[static_cast<std::size_t>(i)] = total;
    // Keep every plane 64-byte aligned.
    total += (sizes[static_cast<std::size_t>(i)] + AlignedBuffer::kAlignment - 1) / AlignedBuffer::kAlignment *
             AlignedBuffer::kAlignment;
  }
  buffer.resize(total);
}

void AudioFrameStorage::reset() {
  timestamp_ns = 0;
  frame_number = 0;
  metadata.clear();
}

void DataFrameStorage::reset() {
  timestamp_ns = 0;
  frame_number = 0;
  metadata.clear();
  schema.clear();
  bytes.clear();
}

}  // namespace internal

// --- Video ----------------------------------------------------------------------------------

std::span<const std::uint8_t> VideoFrame::plane(int index) const {
  const auto i = static_cast<std::size_t>(index);
  if (index < 0 || index >= ref_->planes) return {};
  return {ref_->buffer.data() + ref_->offsets[i], ref_->sizes[i]};
}

WritableVideoFrame::WritableVideoFrame(int width, int height, PixelFormat format)
    : ref_(new internal::VideoFrameStorage()) {
  ref_->configure(width, height, format);
}

std::span<std::uint8_t> WritableVideoFrame::plane(int index) {
  const auto i = static_cast<std::size_t>(index);
  if (index < 0 || index >= ref_->planes) return {};
  return {ref_->buffer.data() + ref_->offsets[i], ref_->sizes[i]};
}

WritableVideoFrame VideoFramePool::acquire(int width, int height, PixelFormat format) {
  auto ref = impl_.acquire();
  ref->configure(width, height, format);
  return WritableVideoFrame(std::move(ref));
}

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

WritableAudioFrame::WritableAudioFrame(int channels, int sample_rate, std::size_t frames)
    : ref_(new internal::AudioFrameStorage()) {
  configure_audio(*ref_.get(), channels, sample_rate, frames);
}

WritableAudioFrame AudioFramePool::acquire(int channels, int sample_rate, std::size_t frames) {
  auto ref = impl_.acquire();
  configure_audio(*ref.get(), channels, sample_rate, frames);
  return WritableAudioFrame(std::move(ref));
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

// --- Any ------------------------------------------------------------------------------------

namespace {
// `get` of the frame inside, or R{} for an empty AnyFrame.
template <class R, class V, class F>
R visit_frame(const V& v, F get) {
  if (const auto* f = std::get_if<VideoFrame>(&v)) return get(*f);
  if (const auto* f = std::get_if<AudioFrame>(&v)) return get(*f);
  if (const auto* f = std::get_if<DataFrame>(&v)) return get(*f);
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
