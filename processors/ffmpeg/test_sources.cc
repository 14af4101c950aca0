#include "test_sources.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>

#include "common.h"

namespace streamlib {
namespace {

using internal::frame_time_ns;
using internal::sample_time_ns;

// Live sources wake up this many times per period, so a frame is late by at most a fraction of
// one even when a wake-up is late; a call sends every frame whose time has come.
constexpr int kWakeupsPerPeriod = 4;
// A call sends at most this many overdue frames (after a long stall the rest follow next call).
constexpr int kMaxCatchUp = 8;

struct Rgb {
  std::uint8_t r, g, b;
};

void fill_span(std::uint8_t* row, int x0, int x1, Rgb c) {
  for (int x = x0; x < x1; ++x) {
    std::uint8_t* p = row + static_cast<std::size_t>(x) * 4;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
    p[3] = 255;
  }
}

void fill_rows(WritableVideoFrame& f, int y0, int y1, const std::uint8_t* pattern_row) {
  auto plane = f.plane(0);
  for (int y = y0; y < y1; ++y) {
    std::memcpy(plane.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(f.stride(0)), pattern_row,
                static_cast<std::size_t>(f.width()) * 4);
  }
}

// The counter band's geometry, shared by the writer and the reader.
struct CounterBand {
  int block_width;
  int height;
};
CounterBand counter_band(int width, int height) {
  return {width / VideoTestSource::kCounterBits, std::max(8, (height / 12) & ~1)};
}

constexpr Rgb kBallBackground{24, 32, 48};
constexpr Rgb kBallColour{240, 220, 40};

// Where the ball is in frame n: its centre and radius. It bounces: a triangle wave over the free
// range, 5 px/frame across and 3 px/frame down.
struct Ball {
  int cx, cy, r;
  // Half the width of its row at `y` (rows within r of cy).
  int half_width(int y) const {
    const int dy = y - cy;
    return static_cast<int>(std::sqrt(static_cast<double>(r * r - dy * dy)));
  }
};
Ball ball_at(std::uint64_t n, int w, int h) {
  const int r = std::max(4, std::min(w, h) / 10);
  auto bounce = [](std::uint64_t t, int range) {
    if (range <= 0) return 0;
    const auto period = static_cast<std::uint64_t>(2 * range);
    const auto p = static_cast<int>(t % period);
    return p <= range ? p : 2 * range - p;
  };
  return {r + bounce(n * 5, w - 2 * r), r + bounce(n * 3, h - 2 * r), r};
}

}  // namespace

// --- VideoTestSource ---------------------------------------------------------------------------

Result<void> VideoTestSourceConfig::validate() const {
  if (width < 64 || width > 8192 || width % 2 != 0) {
    return make_error(ErrorCode::kInvalidArgument, "width: {} must be even and in [64, 8192]", width);
  }
  if (height < 32 || height > 8192 || height % 2 != 0) {
    return make_error(ErrorCode::kInvalidArgument, "height: {} must be even and in [32, 8192]", height);
  }
  return check_frame_rate("fps", fps, 1, 1000);
}

ExecutionConfig VideoTestSource::execution_config() const {
  if (!config().live) return ExecutionConfig{Continuous{}};
  const auto period = std::chrono::nanoseconds(frame_time_ns(1, config().fps.num, config().fps.den));
  return ExecutionConfig{
      Continuous{std::max(std::chrono::microseconds(100),
                          std::chrono::duration_cast<std::chrono::microseconds>(period / kWakeupsPerPeriod))}};
}

Result<void> VideoTestSource::setup(RuntimeContext&) {
  total_frames_.store(config().frames, std::memory_order_relaxed);
  still_.reset();
  if (config().format != PixelFormat::kRgba) {
    auto scaler = ffmpeg::Scaler::create({.format = config().format});
    if (!scaler) return make_error(internal::named_error(*this, scaler.error()));
    scaler_.emplace(std::move(*scaler));
  }
  pool_.reserve(2, config().width, config().height, PixelFormat::kRgba);
  return {};
}

Result<void> VideoTestSource::process() {
  const VideoTestSourceConfig& c = config();
  if (c.frames != 0 && next_ >= c.frames) {
    end_stream();
    return {};
  }
  if (!c.live) {
    STREAMLIB_RETURN_IF_ERROR(emit(next_, frame_time_ns(next_, c.fps.num, c.fps.den)));
  } else {
    const std::int64_t now = context().now_ns();
    if (!start_ns_) start_ns_ = now;
    for (int i = 0; i < kMaxCatchUp && (c.frames == 0 || next_ < c.frames); ++i) {
      const std::int64_t due = *start_ns_ + frame_time_ns(next_, c.fps.num, c.fps.den);
      if (due > now) break;
      STREAMLIB_RETURN_IF_ERROR(emit(next_, due));
    }
  }
  if (c.frames != 0 && next_ >= c.frames) end_stream();
  return {};
}

Result<VideoFrame> VideoTestSource::draw(std::uint64_t n, std::int64_t timestamp_ns, std::int64_t duration_ns,
                                         Layer layer) {
  const VideoTestSourceConfig& c = config();
  WritableVideoFrame w = pool_.acquire(c.width, c.height, PixelFormat::kRgba);
  render(w, n, layer);
  w.set_timestamp_ns(timestamp_ns);
  w.set_duration_ns(duration_ns);
  w.set_frame_number(n);
  w.set_keyframe(true);
  w.set_color(ColorRange::kFull, ColorMatrix::kUnknown);
  VideoFrame frame = std::move(w).freeze();
  if (scaler_) {
    auto converted = scaler_->convert(frame);
    if (!converted) return make_error(internal::named_error(*this, converted.error()));
    frame = std::move(*converted);
  }
  return frame;
}

namespace {
// Bytes of a visible row of `plane`, and the bytes of its smallest whole group of pixels.
struct PlaneRow {
  std::size_t bytes;
  std::size_t group;
};
PlaneRow plane_row(PixelFormat f, int plane, int width) {
  const auto w = static_cast<std::size_t>(width);
  const std::size_t half = (w + 1) / 2;
  switch (f) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
      return {4 * w, 4};
    case PixelFormat::kRgb24:
      return {3 * w, 3};
    case PixelFormat::kGray8:
      return {w, 1};
    case PixelFormat::kI420:
      return plane == 0 ? PlaneRow{w, 1} : PlaneRow{half, 1};
    case PixelFormat::kNv12:
      return plane == 0 ? PlaneRow{w, 1} : PlaneRow{2 * half, 2};
    case PixelFormat::kYuyv:
      return {4 * half, 4};
    case PixelFormat::kI422:
      return plane == 0 ? PlaneRow{w, 1} : PlaneRow{half, 1};
    case PixelFormat::kI444:
      return {w, 1};
    case PixelFormat::kP010:
      return plane == 0 ? PlaneRow{2 * w, 2} : PlaneRow{4 * half, 4};
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
      return plane == 0 ? PlaneRow{2 * w, 2} : PlaneRow{2 * half, 2};
    case PixelFormat::kYuv444p10:
      return {2 * w, 2};
  }
  return {w, 1};
}
}  // namespace

Result<WritableVideoFrame> VideoTestSource::from_still(std::uint64_t n) {
  const VideoTestSourceConfig& c = config();
  const bool ball = c.pattern == VideoPattern::kBall;
  if (!still_) {
    STREAMLIB_ASSIGN_OR_RETURN(VideoFrame zeros, draw(0, 0, 0, Layer::kBackground));
    VideoFrame ones;
    if (c.counter) {
      STREAMLIB_ASSIGN_OR_RETURN(ones, draw((std::uint64_t{1} << kCounterBits) - 1, 0, 0, Layer::kBackground));
    }
    VideoFrame colour;
    if (ball) {
      STREAMLIB_ASSIGN_OR_RETURN(colour, draw(0, 0, 0, Layer::kBallColour));
    }
    still_ = Still{std::move(zeros), std::move(ones), std::move(colour)};
  }
  const VideoFrame& zeros = still_->zeros;
  WritableVideoFrame w = still_pool_.acquire(c.width, c.height, zeros.format());
  const CounterBand band = counter_band(c.width, c.height);
  for (int p = 0; p < zeros.plane_count(); ++p) {
    const auto src_stride = static_cast<std::size_t>(zeros.stride(p));
    const auto dst_stride = static_cast<std::size_t>(w.stride(p));
    const std::size_t rows = zeros.plane(p).size() / src_stride;
    const PlaneRow row = plane_row(zeros.format(), p, c.width);
    const std::uint8_t* src = zeros.plane(p).data();
    std::uint8_t* dst = w.plane(p).data();
    if (src_stride == dst_stride) {
      std::memcpy(dst, src, rows * src_stride);
    } else {
      for (std::size_t y = 0; y < rows; ++y) std::memcpy(dst + y * dst_stride, src + y * src_stride, row.bytes);
    }
    // The byte offset in this plane's rows of picture column x, down to a whole pixel group.
    auto column = [&](int x) {
      const std::size_t b = static_cast<std::size_t>(x) * row.bytes / static_cast<std::size_t>(c.width);
      return b - b % row.group;
    };
    if (ball) {
      // The ball's rows from the ball-coloured picture; a row of a subsampled plane takes the
      // span of the first picture row it covers.
      const Ball b = ball_at(n, c.width, c.height);
      const std::uint8_t* colour = still_->ball.plane(p).data();
      const auto colour_stride = static_cast<std::size_t>(still_->ball.stride(p));
      for (std::size_t yp = 0; yp < rows; ++yp) {
        const int y = static_cast<int>(yp * static_cast<std::size_t>(c.height) / rows);
        if (y < b.cy - b.r || y > b.cy + b.r) continue;
        const int half = b.half_width(y);
        const std::size_t from = column(std::max(0, b.cx - half));
        const std::size_t to = column(std::min(c.width, b.cx + half + 1));
        if (to > from) std::memcpy(dst + yp * dst_stride + from, colour + yp * colour_stride + from, to - from);
      }
    }
    if (!c.counter) continue;
    // The counter's 1 bits from the all-ones picture (and, where the ball may have covered
    // them, its 0 bits from the all-zeros one): whole pixel groups of each block, over the
    // band's rows in this plane (fewer in a subsampled chroma plane).
    const std::uint8_t* one = still_->ones.plane(p).data();
    const auto one_stride = static_cast<std::size_t>(still_->ones.stride(p));
    const std::size_t band_rows = static_cast<std::size_t>(band.height) * rows / static_cast<std::size_t>(c.height);
    for (int bit = 0; bit < kCounterBits; ++bit) {
      const bool set = ((n >> (kCounterBits - 1 - bit)) & 1U) != 0;
      if (!set && !ball) continue;
      const std::uint8_t* from_picture = set ? one : src;
      const std::size_t from_stride = set ? one_stride : src_stride;
      const std::size_t from = column(bit * band.block_width);
      const std::size_t to = column((bit + 1) * band.block_width);
      for (std::size_t y = 0; y < band_rows; ++y) {
        std::memcpy(dst + y * dst_stride + from, from_picture + y * from_stride + from, to - from);
      }
    }
  }
  w.set_color(zeros.color_range(), zeros.color_matrix());
  return w;
}

Result<void> VideoTestSource::emit(std::uint64_t n, std::int64_t timestamp_ns) {
  const VideoTestSourceConfig& c = config();
  const std::int64_t duration = frame_time_ns(n + 1, c.fps.num, c.fps.den) - frame_time_ns(n, c.fps.num, c.fps.den);
  VideoFrame frame;
  if (c.pattern == VideoPattern::kBars || c.pattern == VideoPattern::kBall) {
    STREAMLIB_ASSIGN_OR_RETURN(WritableVideoFrame w, from_still(n));
    w.set_timestamp_ns(timestamp_ns);
    w.set_duration_ns(duration);
    w.set_frame_number(n);
    w.set_keyframe(true);
    frame = std::move(w).freeze();
  } else {
    STREAMLIB_ASSIGN_OR_RETURN(frame, draw(n, timestamp_ns, duration));
  }
  video.push(std::move(frame));
  next_ = n + 1;
  emitted_.store(next_, std::memory_order_relaxed);
  return {};
}

void VideoTestSource::render(WritableVideoFrame& f, std::uint64_t n, Layer layer) const {
  const int w = f.width();
  const int h = f.height();
  // One row of RGBA, kept between frames: the steady state allocates nothing per frame.
  std::vector<std::uint8_t>& row = row_;
  row.resize(static_cast<std::size_t>(w) * 4);
  auto plane = f.plane(0);
  const auto stride = static_cast<std::size_t>(f.stride(0));
  switch (config().pattern) {
    case VideoPattern::kBars: {
      // SMPTE ECR 1-1978 colour bars, approximately: 75% bars, castellations, -I/white/+Q/black.
      static constexpr std::array<Rgb, 7> kTop = {
          {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}}};
      static constexpr std::array<Rgb, 7> kMiddle = {
          {{0, 0, 191}, {19, 19, 19}, {191, 0, 191}, {19, 19, 19}, {0, 191, 191}, {19, 19, 19}, {191, 191, 191}}};
      const int top = h * 2 / 3;
      const int middle = h * 3 / 4;
      for (int i = 0; i < 7; ++i) fill_span(row.data(), w * i / 7, w * (i + 1) / 7, kTop[static_cast<std::size_t>(i)]);
      fill_rows(f, 0, top, row.data());
      for (int i = 0; i < 7; ++i) {
        fill_span(row.data(), w * i / 7, w * (i + 1) / 7, kMiddle[static_cast<std::size_t>(i)]);
      }
      fill_rows(f, top, middle, row.data());
      const int q = w * 5 / 28;
      fill_span(row.data(), 0, q, {0, 33, 76});
      fill_span(row.data(), q, 2 * q, {255, 255, 255});
      fill_span(row.data(), 2 * q, 3 * q, {50, 0, 106});
      fill_span(row.data(), 3 * q, w, {19, 19, 19});
      fill_rows(f, middle, h, row.data());
      break;
    }
    case VideoPattern::kBall: {
      fill_span(row.data(), 0, w, layer == Layer::kBallColour ? kBallColour : kBallBackground);
      fill_rows(f, 0, h, row.data());
      if (layer != Layer::kWhole) break;
      const Ball b = ball_at(n, w, h);
      for (int y = std::max(0, b.cy - b.r); y < std::min(h, b.cy + b.r + 1); ++y) {
        const int half = b.half_width(y);
        fill_span(plane.data() + static_cast<std::size_t>(y) * stride, std::max(0, b.cx - half),
                  std::min(w, b.cx + half + 1), kBallColour);
      }
      break;
    }
    case VideoPattern::kGradient: {
      const auto blue = static_cast<std::uint8_t>((n * 4) & 0xff);
      for (int y = 0; y < h; ++y) {
        std::uint8_t* p = plane.data() + static_cast<std::size_t>(y) * stride;
        const auto g = static_cast<std::uint8_t>(y * 255 / (h - 1));
        for (int x = 0; x < w; ++x, p += 4) {
          p[0] = static_cast<std::uint8_t>(x * 255 / (w - 1));
          p[1] = g;
          p[2] = blue;
          p[3] = 255;
        }
      }
      break;
    }
  }
  if (config().counter && layer != Layer::kBallColour) {
    const CounterBand band = counter_band(w, h);
    for (int bit = 0; bit < kCounterBits; ++bit) {
      const bool one = ((n >> (kCounterBits - 1 - bit)) & 1U) != 0;
      const Rgb c = one ? Rgb{255, 255, 255} : Rgb{0, 0, 0};
      for (int y = 0; y < band.height; ++y) {
        fill_span(plane.data() + static_cast<std::size_t>(y) * stride, bit * band.block_width,
                  (bit + 1) * band.block_width, c);
      }
    }
  }
}

nlohmann::json VideoTestSource::metrics() const {
  nlohmann::json m{{"emitted", emitted_.load(std::memory_order_relaxed)}};
  // `frames: N` says how far the stream has to go (`streamlib run` draws it as a progress bar).
  if (const std::uint64_t total = total_frames_.load(std::memory_order_relaxed); total > 0) {
    m["progress"] =
        std::min(1.0, static_cast<double>(emitted_.load(std::memory_order_relaxed)) / static_cast<double>(total));
  }
  return m;
}

std::optional<std::uint64_t> read_frame_counter(const VideoFrame& frame) {
  if (!frame || frame.width() < 64 || frame.height() < 32) return std::nullopt;
  const CounterBand band = counter_band(frame.width(), frame.height());
  auto luma = [&](int x, int y) -> std::optional<int> {
    const auto row = static_cast<std::size_t>(y) * static_cast<std::size_t>(frame.stride(0));
    const auto p = frame.plane(0);
    const auto ux = static_cast<std::size_t>(x);
    switch (frame.format()) {
      case PixelFormat::kRgba:
      case PixelFormat::kBgra:
        return (p[row + ux * 4] + p[row + ux * 4 + 1] + p[row + ux * 4 + 2]) / 3;
      case PixelFormat::kRgb24:
        return (p[row + ux * 3] + p[row + ux * 3 + 1] + p[row + ux * 3 + 2]) / 3;
      case PixelFormat::kI420:
      case PixelFormat::kNv12:
      case PixelFormat::kGray8:
      case PixelFormat::kI422:
      case PixelFormat::kI444:
        return p[row + ux];
      case PixelFormat::kYuyv:
        return p[row + ux * 2];
      case PixelFormat::kP010:  // the high byte of a little-endian word holds the top 8 bits
        return p[row + ux * 2 + 1];
      case PixelFormat::kYuv420p10:
      case PixelFormat::kYuv422p10:
      case PixelFormat::kYuv444p10:
        return (p[row + ux * 2] | p[row + ux * 2 + 1] << 8) >> 2;
    }
    return std::nullopt;
  };
  std::uint64_t n = 0;
  for (int bit = 0; bit < VideoTestSource::kCounterBits; ++bit) {
    auto y = luma(bit * band.block_width + band.block_width / 2, band.height / 2);
    if (!y) return std::nullopt;
    n = (n << 1) | (*y >= 128 ? 1U : 0U);
  }
  return n;
}

// --- AudioTestSource ---------------------------------------------------------------------------

Result<void> AudioTestSourceConfig::validate() const {
  STREAMLIB_RETURN_IF_ERROR(check_range("frequency", frequency, 1.0, 96000.0));
  STREAMLIB_RETURN_IF_ERROR(check_range("amplitude", amplitude, 0.0, 1.0));
  STREAMLIB_RETURN_IF_ERROR(check_range("sample_rate", sample_rate, 1000, 384000));
  STREAMLIB_RETURN_IF_ERROR(check_range("channels", channels, 1, kMaxAudioChannels));
  STREAMLIB_RETURN_IF_ERROR(check_range("frames_per_buffer", frames_per_buffer, 1, 1 << 20));
  return check_range("duration", duration, 0.0, 1e7);
}

ExecutionConfig AudioTestSource::execution_config() const {
  if (!config().live) return ExecutionConfig{Continuous{}};
  const auto period = std::chrono::nanoseconds(sample_time_ns(config().frames_per_buffer, config().sample_rate));
  return ExecutionConfig{
      Continuous{std::max(std::chrono::microseconds(100),
                          std::chrono::duration_cast<std::chrono::microseconds>(period / kWakeupsPerPeriod))}};
}

std::int64_t AudioTestSource::total_samples() const {
  return static_cast<std::int64_t>(std::llround(config().duration * config().sample_rate));
}

Result<void> AudioTestSource::setup(RuntimeContext&) {
  total_samples_.store(total_samples(), std::memory_order_relaxed);
  return {};
}

Result<void> AudioTestSource::process() {
  const std::int64_t total = total_samples();
  auto done = [&] { return total != 0 && position_ >= total; };
  if (!done()) {
    if (!config().live) {
      emit();
    } else {
      const std::int64_t now = context().now_ns();
      if (!start_ns_) start_ns_ = now;
      for (int i = 0; i < kMaxCatchUp && !done(); ++i) {
        if (*start_ns_ + sample_time_ns(position_, config().sample_rate) > now) break;
        emit();
      }
    }
  }
  if (done()) end_stream();
  return {};
}

void AudioTestSource::emit() {
  const AudioTestSourceConfig& c = config();
  const std::int64_t total = total_samples();
  std::int64_t frames = c.frames_per_buffer;
  if (total != 0) frames = std::min(frames, total - position_);
  WritableAudioFrame w = pool_.acquire(c.channels, c.sample_rate, static_cast<std::size_t>(frames));
  auto samples = w.samples();
  const auto channels = static_cast<std::size_t>(c.channels);
  const auto amp = static_cast<float>(c.amplitude);
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  // A tone's phase at the block's first sample comes from the absolute sample position, so
  // blocks join without a click and any block can be recomputed (fmod keeps the argument small
  // over long runs); within the block the phasor turns by one sample's angle a step (a complex
  // multiply instead of a sin() per sample; its error over a block is ~1e-12).
  struct Tone {
    double c, s, dc, ds;
    double next() {
      const double v = s;
      const double c2 = c * dc - s * ds;
      s = s * dc + c * ds;
      c = c2;
      return v;
    }
  };
  auto tone = [&](double hz) {
    const double start = kTwoPi * std::fmod(static_cast<double>(position_) * hz / c.sample_rate, 1.0);
    const double step = kTwoPi * hz / c.sample_rate;
    return Tone{std::cos(start), std::sin(start), std::cos(step), std::sin(step)};
  };
  Tone t0{};
  Tone t1{};
  Tone t2{};
  if (c.wave == AudioWave::kSine) t0 = tone(c.frequency);
  if (c.wave == AudioWave::kChord) {  // C4, E4, G4
    t0 = tone(261.6256);
    t1 = tone(329.6276);
    t2 = tone(391.9954);
  }
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (std::int64_t i = 0; i < frames; ++i) {
    float v = 0.0f;
    switch (c.wave) {
      case AudioWave::kSine:
        v = amp * static_cast<float>(t0.next());
        break;
      case AudioWave::kChord:
        v = amp * static_cast<float>((t0.next() + t1.next() + t2.next()) / 3.0);
        break;
      case AudioWave::kNoise:
        v = amp * uniform(noise_);
        break;
      case AudioWave::kSilence:
        break;
    }
    for (std::size_t ch = 0; ch < channels; ++ch) samples[static_cast<std::size_t>(i) * channels + ch] = v;
  }
  w.set_sample_position(position_);
  const std::int64_t offset = sample_time_ns(position_, c.sample_rate);
  w.set_timestamp_ns(c.live ? *start_ns_ + offset : offset);
  w.set_frame_number(blocks_++);
  audio.push(std::move(w).freeze());
  position_ += frames;
  emitted_samples_.store(position_, std::memory_order_relaxed);
}

nlohmann::json AudioTestSource::metrics() const {
  nlohmann::json m{{"samples", emitted_samples_.load(std::memory_order_relaxed)}};
  if (const std::int64_t total = total_samples_.load(std::memory_order_relaxed); total > 0) {
    m["progress"] = std::min(
        1.0, static_cast<double>(emitted_samples_.load(std::memory_order_relaxed)) / static_cast<double>(total));
  }
  return m;
}

}  // namespace streamlib
