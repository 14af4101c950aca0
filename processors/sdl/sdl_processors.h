// The live I/O processors of the `sdl` component (streamlib::sdl), over processors/sdl_common:
//
//   AudioOutput   in `audio`    plays on an SDL audio device, driven by the device's callback
//   AudioCapture  out `audio`   records from an SDL capture device, driven by its callback
//   Display       in `video`    shows frames in an SDL window
//
// AudioOutput and AudioCapture are device-driven (Manual): their port I/O runs on SDL's audio
// thread inside RuntimeContext::begin_cycle(), with no queue or thread hop in between. The
// device is opened in setup() (paused), runs between start_streaming() and stop_streaming()
// (so a paused runtime pauses the device) and is closed in teardown(). A cycle the runtime
// cannot grant (it is reconfiguring the processor at that moment) plays silence / drops the
// captured buffer, and is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "sdl_common/audio_device.h"
#include "sdl_common/scaling.h"
#include "sdl_common/window.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {
namespace ffmpeg {
class Resampler;
}

// The device fields AudioCapture and AudioOutput share.
Result<void> validate_audio_device(int sample_rate, int channels, std::uint32_t frames_per_buffer);

struct SdlAudioConfig {
  std::string device;  // an SDL device name; empty: the default device
  int sample_rate = 48000;
  int channels = 2;
  std::uint32_t frames_per_buffer = 1024;  // frames per device callback
  Result<void> validate() const { return validate_audio_device(sample_rate, channels, frames_per_buffer); }
};
STREAMLIB_CONFIG(SdlAudioConfig, device, sample_rate, channels, frames_per_buffer);
STREAMLIB_CONFIG_DOCS(SdlAudioConfig,
                      {"device", "SDL audio device name; empty: the default device", "", ConfigReload::kRestart},
                      {"sample_rate", "Device sample rate in Hz", "[8000, 384000]", ConfigReload::kRestart},
                      {"channels", "Device channel count", "[1, 8]", ConfigReload::kRestart},
                      {"frames_per_buffer", "Frames (per channel) per device callback", "[16, 65536]",
                       ConfigReload::kRestart});
using AudioCaptureConfig = SdlAudioConfig;

// AudioOutput's config: the device's, and whether audio of another rate or channel count is
// converted to the device's (libswresample) or refused.
struct AudioOutputConfig {
  std::string device;
  int sample_rate = 48000;
  int channels = 2;
  std::uint32_t frames_per_buffer = 1024;
  bool convert = true;
  std::uint32_t start_buffers = 2;
  Result<void> validate() const {
    STREAMLIB_RETURN_IF_ERROR(check_range<std::uint32_t>("start_buffers", start_buffers, 1, 65536));
    return validate_audio_device(sample_rate, channels, frames_per_buffer);
  }
};
STREAMLIB_CONFIG(AudioOutputConfig, device, sample_rate, channels, frames_per_buffer, convert, start_buffers);
STREAMLIB_CONFIG_DOCS(
    AudioOutputConfig, {"device", "SDL audio device name; empty: the default device", "", ConfigReload::kRestart},
    {"sample_rate", "Device sample rate in Hz", "[8000, 384000]", ConfigReload::kRestart},
    {"channels", "Device channel count", "[1, 8]", ConfigReload::kRestart},
    {"frames_per_buffer", "Frames (per channel) per device callback", "[16, 65536]", ConfigReload::kRestart},
    {"convert",
     "Audio of another sample rate or channel count is converted to the device's (libswresample); false: it is "
     "an error",
     "", ConfigReload::kRestart},
    {"start_buffers",
     "Playback begins once the audio waiting on the input fills this many device buffers (or the link is full, or "
     "the stream ends): a chain still starting up does not underrun; each adds a buffer of latency",
     "[1, 65536]", ConfigReload::kRestart});

// Plays `audio` on the device, opened at the configured rate and channel count (SDL converts
// from those to what the hardware plays). Audio of another rate or channel count is converted
// to the configured ones with libswresample on the device thread (`convert`, the default; the
// converter is made at the first such frame; the few samples still inside its filter at end of
// stream, under a millisecond, are not played), or fails the processor with an error that says
// so (`convert: false`). Playback begins once the audio queued on the input fills
// `start_buffers` device buffers (or the link is full, or the stream ended), as ALSA's start
// threshold does; a callback before that plays silence. A callback that finds too little audio after playback began
// plays silence for the rest and counts an underrun.
class AudioOutput : public Processor<AudioOutputConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioOutput, "Plays audio on an SDL audio device", Manual{});
  LinkInput<AudioFrame> audio{this, "audio", "audio to play"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> start_streaming() override;
  void stop_streaming() override;
  Result<void> process() override { return {}; }
  void teardown() override;
  // {"frames_played", "underruns", "silent_frames", "skipped_cycles", "converted_frames"}
  nlohmann::json metrics() const override;

  std::uint64_t frames_played() const { return played_.load(std::memory_order_relaxed); }
  std::uint64_t underruns() const { return underruns_.load(std::memory_order_relaxed); }

  AudioOutput();
  ~AudioOutput() override;

 private:
  // SDL's audio thread.
  void on_device(std::span<float> samples);
  // Device thread: the next frame to play into rt_.current (converted when it must be); false
  // when there is none yet. A conversion error fails the cycle and sets rt_.failed.
  bool next_frame();
  // Device thread, before playback began: enough audio waits on the input (see start_buffers).
  bool ready_to_start();

  std::unique_ptr<sdl::AudioDevice> device_;
  // Device thread only (rt): the frame being played and how far.
  struct {
    AudioFrame current;
    std::size_t offset = 0;  // frames of `current` already played
    bool started = false;    // audio has begun to flow (underruns count from here)
    int channels = 0;        // the device's shape, fixed in setup()
    int sample_rate = 0;
    bool convert = true;
    std::size_t start_frames = 0;  // start_buffers device buffers
    bool failed = false;
    std::unique_ptr<ffmpeg::Resampler> resampler;  // made at the first frame to convert
  } rt_;
  std::atomic<std::uint64_t> played_{0};
  std::atomic<std::uint64_t> converted_{0};
  std::atomic<std::uint64_t> underruns_{0};
  std::atomic<std::uint64_t> silent_{0};
  std::atomic<std::uint64_t> skipped_{0};
};

// Records from the device into `audio`: one frame per callback, stamped by sample position
// (continuous from 0) and a timestamp anchored on the clock at the first callback.
class AudioCapture : public Processor<AudioCaptureConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioCapture, "Records audio from an SDL capture device", Manual{});
  LinkOutput<AudioFrame> audio{this, "audio", "captured audio"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> start_streaming() override;
  void stop_streaming() override;
  Result<void> process() override { return {}; }
  void teardown() override;
  // {"frames_captured", "dropped_buffers"}
  nlohmann::json metrics() const override;

  std::uint64_t frames_captured() const { return captured_.load(std::memory_order_relaxed); }

 private:
  void on_device(std::span<const float> samples);

  std::unique_ptr<sdl::AudioDevice> device_;
  AudioFramePool pool_;  // acquired on the device thread only
  struct {
    int channels = 0;  // the device's shape, fixed in setup()
    int sample_rate = 0;
    std::int64_t position = 0;
    std::int64_t anchor_ns = 0;
    bool anchored = false;
    std::uint64_t frame_number = 0;
  } rt_;
  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

struct DisplayConfig {
  std::string title = "StreamLib";
  int width = 1280;
  int height = 720;
  sdl::ScalingMode scaling = sdl::ScalingMode::kLetterbox;
  bool fullscreen = false;
  bool vsync = false;
  std::string renderer;  // SDL render driver; empty: SDL's choice
  Result<void> validate() const {
    STREAMLIB_RETURN_IF_ERROR(check_range("width", width, 1, 16384));
    return check_range("height", height, 1, 16384);
  }
};
STREAMLIB_CONFIG(DisplayConfig, title, width, height, scaling, fullscreen, vsync, renderer);
STREAMLIB_CONFIG_DOCS(
    DisplayConfig, {"title", "Window title", "", ConfigReload::kLive},
    {"width", "Window width in screen coordinates (not in fullscreen)", "[1, 16384]", ConfigReload::kLive},
    {"height", "Window height in screen coordinates (not in fullscreen)", "[1, 16384]", ConfigReload::kLive},
    {"scaling", "stretch (fill, aspect lost), letterbox (aspect kept, black bars) or crop (fill, cut overflow)", "",
     ConfigReload::kLive},
    {"fullscreen", "Desktop fullscreen (no video mode change)", "", ConfigReload::kLive},
    {"vsync", "Wait for the vertical blank when presenting", "", ConfigReload::kRestart},
    {"renderer", "SDL render driver (opengl, opengles2, software, ...); empty: SDL's choice", "",
     ConfigReload::kRestart});

// Shows the newest frame of `video` in a window (on the process's SDL video thread, see
// sdl::Window). No display is an error at setup ("no display: ..."). When the user closes
// the window the processor ends its stream; it notices at the next frame that arrives.
// title, size, scaling and fullscreen change live; renderer and vsync rebuild the window.
// A frame with a rotation (VideoFrame::rotation_degrees(), a phone video's display matrix) is
// shown upright: turned by the renderer, scaled by its turned size (letterbox bars beside a
// portrait picture), the pixels not copied.
class Display : public Processor<DisplayConfig> {
 public:
  // SDL video stays on the thread that made the window: a thread of its own under any executor.
  STREAMLIB_PROCESSOR(Display, "Shows video in a window", Reactive{}, ThreadPriority::kNormal, /*own_thread=*/true);
  LinkInput<VideoFrame> video{this, "video", "frames to show"};

  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  Result<void> on_config_change(const DisplayConfig& next) override;
  void teardown() override;
  // {"frames_received"}
  nlohmann::json metrics() const override;

 private:
  static sdl::WindowConfig window_config(const DisplayConfig& c);
  std::unique_ptr<sdl::Window> window_;
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace streamlib
