#include "sdl/sdl_processors.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ffmpeg_common/resampler.h"

namespace streamlib {

Result<void> validate_audio_device(int sample_rate, int channels, std::uint32_t frames_per_buffer) {
  STREAMLIB_RETURN_IF_ERROR(check_range("sample_rate", sample_rate, 8000, 384000));
  STREAMLIB_RETURN_IF_ERROR(check_range("channels", channels, 1, kMaxAudioChannels));
  return check_range<std::uint32_t>("frames_per_buffer", frames_per_buffer, 16, 65536);
}

namespace {
template <typename Config>
sdl::AudioDeviceConfig device_config(const Config& c) {
  return {.device = c.device,
          .sample_rate = c.sample_rate,
          .channels = c.channels,
          .buffer_frames = static_cast<int>(c.frames_per_buffer),
          .allow_changes = false};
}
}  // namespace

// --- AudioOutput -----------------------------------------------------------------------------

AudioOutput::AudioOutput() = default;
AudioOutput::~AudioOutput() = default;

Result<void> AudioOutput::setup(RuntimeContext&) {
  // The device thread reads its shape from rt_, never from config() (which a live change
  // replaces on the processor thread; such a change rebuilds this processor and its device).
  rt_.channels = config().channels;
  rt_.sample_rate = config().sample_rate;
  rt_.convert = config().convert;
  rt_.start_frames = std::size_t{config().start_buffers} * config().frames_per_buffer;
  rt_.started = false;
  rt_.resampler.reset();
  auto dev = sdl::AudioDevice::open_output(device_config(config()), [this](std::span<float> s) { on_device(s); });
  if (!dev) return make_error(dev.error().with_context("AudioOutput"));
  device_ = std::move(*dev);
  return {};
}

Result<void> AudioOutput::start_streaming() {
  if (auto r = device_->start(); !r) return make_error(r.error().with_context("AudioOutput"));
  return {};
}

void AudioOutput::stop_streaming() {
  if (device_) (void)device_->pause();  // the callback is not running once this returns
}

void AudioOutput::teardown() {
  if (device_) device_->close();
  device_.reset();
  rt_.current = AudioFrame();
  rt_.resampler.reset();
}

void AudioOutput::on_device(std::span<float> samples) {
  const auto channels = static_cast<std::size_t>(rt_.channels);
  const std::size_t want = samples.size() / channels;
  DrivenCycle cycle = context().begin_cycle();
  if (!cycle || rt_.failed) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return;  // `samples` holds silence
  }
  std::size_t filled = 0;
  while (filled < want) {
    if (!rt_.current && !next_frame()) {
      if (rt_.failed) return;
      break;
    }
    const std::size_t n = std::min(want - filled, rt_.current.frame_count() - rt_.offset);
    std::memcpy(samples.data() + filled * channels, rt_.current.samples().data() + rt_.offset * channels,
                n * channels * sizeof(float));
    filled += n;
    rt_.offset += n;
    if (rt_.offset == rt_.current.frame_count()) {
      (void)audio.read();
      rt_.current = AudioFrame();
    }
  }
  played_.fetch_add(filled, std::memory_order_relaxed);
  if (filled < want) {
    silent_.fetch_add(want - filled, std::memory_order_relaxed);
    if (rt_.started && !audio.ended()) underruns_.fetch_add(1, std::memory_order_relaxed);
  }
  // The end of the stream was read: let the runtime see it (and finish) on the processor thread.
  if (!rt_.current && audio.ended()) context().request_process();
}

bool AudioOutput::ready_to_start() {
  if (audio.full() || audio.end_queued()) return true;
  const std::size_t queued = audio.queued();
  if (queued == 0) return false;
  // The frames waiting, taking every block to be as long as the first (a stream's usually are).
  const std::optional<AudioFrame> head = audio.peek();
  return head && queued * head->frame_count() >= rt_.start_frames;
}

bool AudioOutput::next_frame() {
  auto fail = [&](Error e) {
    rt_.failed = true;
    context().fail_cycle(std::move(e));
    return false;
  };
  while (true) {
    // Peeked, and taken from the link only once fully played (converted or not): the input so
    // does not look ended (and the runtime does not finish and pause the device) while a
    // frame's tail is still to be played.
    if (!rt_.started && !ready_to_start()) return false;
    std::optional<AudioFrame> next = audio.peek();
    if (!next) return false;
    if (next->sample_rate() == rt_.sample_rate && next->channels() == rt_.channels) {
      if (rt_.resampler) rt_.resampler->reset();  // a new segment at the device's own shape
      rt_.current = std::move(*next);
      break;
    }
    if (!rt_.convert) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        fmt::format("AudioOutput: audio carries {} Hz, {} channels but the device plays {} Hz, {} "
                                    "channels and convert is false; set convert: true, put an AudioResampler / "
                                    "AudioChannelConverter before it or set sample_rate / channels",
                                    next->sample_rate(), next->channels(), rt_.sample_rate, rt_.channels)));
    }
    if (!rt_.resampler) {
      // Once per stream shape, on the device thread (the converter's set-up allocates).
      auto made = ffmpeg::Resampler::create({.sample_rate = rt_.sample_rate, .channels = rt_.channels});
      if (!made) return fail(made.error().with_context("AudioOutput: converting audio"));
      rt_.resampler = std::make_unique<ffmpeg::Resampler>(std::move(*made));
    }
    auto converted = rt_.resampler->process(*next);
    if (!converted) return fail(converted.error().with_context("AudioOutput: converting audio"));
    converted_.fetch_add(next->frame_count(), std::memory_order_relaxed);
    if (!*converted) {  // the converter is still filling: its samples are inside it
      (void)audio.read();
      continue;
    }
    rt_.current = std::move(*converted);
    break;
  }
  rt_.offset = 0;
  rt_.started = true;
  return true;
}

nlohmann::json AudioOutput::metrics() const {
  return {{"frames_played", played_.load(std::memory_order_relaxed)},
          {"underruns", underruns_.load(std::memory_order_relaxed)},
          {"silent_frames", silent_.load(std::memory_order_relaxed)},
          {"skipped_cycles", skipped_.load(std::memory_order_relaxed)},
          {"converted_frames", converted_.load(std::memory_order_relaxed)}};
}

// --- AudioCapture ----------------------------------------------------------------------------

Result<void> AudioCapture::setup(RuntimeContext&) {
  rt_.channels = config().channels;
  rt_.sample_rate = config().sample_rate;
  auto dev =
      sdl::AudioDevice::open_capture(device_config(config()), [this](std::span<const float> s) { on_device(s); });
  if (!dev) return make_error(dev.error().with_context("AudioCapture"));
  device_ = std::move(*dev);
  pool_.reserve(8, config().channels, config().sample_rate, config().frames_per_buffer);
  return {};
}

Result<void> AudioCapture::start_streaming() {
  if (auto r = device_->start(); !r) return make_error(r.error().with_context("AudioCapture"));
  return {};
}

void AudioCapture::stop_streaming() {
  if (device_) (void)device_->pause();
}

void AudioCapture::teardown() {
  if (device_) device_->close();
  device_.reset();
}

void AudioCapture::on_device(std::span<const float> samples) {
  const int channels = rt_.channels;
  const int rate = rt_.sample_rate;
  const std::size_t frames = samples.size() / static_cast<std::size_t>(channels);
  if (!rt_.anchored) {
    rt_.anchored = true;
    rt_.anchor_ns = context().now_ns();
  }
  DrivenCycle cycle = context().begin_cycle();
  if (!cycle) {
    // Nobody may take it now: the buffer is lost, but the timeline stays true (a gap).
    dropped_.fetch_add(1, std::memory_order_relaxed);
    rt_.position += static_cast<std::int64_t>(frames);
    return;
  }
  WritableAudioFrame w = pool_.acquire(channels, rate, frames);
  std::memcpy(w.samples().data(), samples.data(), samples.size() * sizeof(float));
  w.set_sample_position(rt_.position);
  // The timestamp follows the position from the anchor, never a sum of rounded durations.
  const std::int64_t q = rt_.position / rate;
  const std::int64_t r = rt_.position % rate;
  w.set_timestamp_ns(rt_.anchor_ns + q * 1'000'000'000 + r * 1'000'000'000 / rate);
  w.set_frame_number(rt_.frame_number++);
  rt_.position += static_cast<std::int64_t>(frames);
  audio.push(std::move(w).freeze());
  captured_.fetch_add(frames, std::memory_order_relaxed);
}

nlohmann::json AudioCapture::metrics() const {
  return {{"frames_captured", captured_.load(std::memory_order_relaxed)},
          {"dropped_buffers", dropped_.load(std::memory_order_relaxed)}};
}

// --- Display ---------------------------------------------------------------------------------

sdl::WindowConfig Display::window_config(const DisplayConfig& c) {
  return {.title = c.title,
          .width = c.width,
          .height = c.height,
          .fullscreen = c.fullscreen,
          .scaling = c.scaling,
          .vsync = c.vsync,
          .renderer = c.renderer};
}

Result<void> Display::setup(RuntimeContext&) {
  auto window = sdl::Window::open(window_config(config()));
  if (!window) return make_error(window.error().with_context("Display"));
  window_ = std::move(*window);
  return {};
}

Result<void> Display::process() {
  std::optional<VideoFrame> newest;
  video.drain([&](VideoFrame&& f) {
    received_.fetch_add(1, std::memory_order_relaxed);
    newest = std::move(f);
  });
  if (newest) {
    if (auto r = window_->post(*newest); !r) return make_error(r.error().with_context("Display"));
  }
  if (window_->close_requested()) end_stream();
  return {};
}

Result<void> Display::on_config_change(const DisplayConfig& next) {
  if (next.renderer != config().renderer || next.vsync != config().vsync) {
    return make_error(ErrorCode::kUnsupported, "Display: renderer and vsync are fixed when the window opens");
  }
  if (auto r = window_->apply(window_config(next)); !r) return make_error(r.error().with_context("Display"));
  return {};
}

void Display::teardown() { window_.reset(); }

nlohmann::json Display::metrics() const { return {{"frames_received", received_.load(std::memory_order_relaxed)}}; }

}  // namespace streamlib
