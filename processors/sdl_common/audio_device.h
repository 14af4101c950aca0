// AudioDevice: an SDL audio device for output or capture, driven by a callback.
//
//   sdl::AudioDeviceConfig cfg{.sample_rate = 48000, .channels = 2, .buffer_frames = 480};
//   auto out = sdl::AudioDevice::open_output(cfg, [&](std::span<float> buffer) {
//     fill(buffer);   // interleaved float32, buffer.size() == frames * channels
//   }).value();
//   if (out->spec_differs()) log(out->describe_spec());   // "asked 48000 Hz ..., got 44100 Hz ..."
//   out->start().value();
//   ...
//   out->pause().value();
//
// Samples are float32, interleaved, always: SDL converts if the hardware wants another sample
// format. With `allow_changes` SDL may instead open the device at its own rate, channel count
// and buffer size (no conversion, lowest latency): obtained() says what it chose, and the
// callback then gets buffers in that shape. Without it SDL converts to the request, and only
// the buffer size may still differ (SDL rounds it for some drivers).
//
// The callback runs on SDL's audio thread: no locks that a control thread may hold for long,
// no allocation. It is never running after pause() or close() return.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "streamlib/result.h"

namespace streamlib::sdl {

enum class AudioDirection { kOutput, kCapture };

struct AudioDeviceConfig {
  std::string device;  // a name from list_audio_devices(); empty: the default device
  int sample_rate = 48000;
  int channels = 2;          // 1..8
  int buffer_frames = 1024;  // sample frames per callback
  bool allow_changes = false;
};

struct AudioSpec {
  int sample_rate = 0;
  int channels = 0;
  int buffer_frames = 0;
  friend bool operator==(const AudioSpec&, const AudioSpec&) = default;
};

// Output: fill `samples` (frames * channels interleaved floats); it holds silence on entry.
using AudioOutputCallback = std::function<void(std::span<float> samples)>;
// Capture: read `samples`, valid only during the call.
using AudioCaptureCallback = std::function<void(std::span<const float> samples)>;

// The names of the output or capture devices SDL sees. kIo "no audio device: ..." if SDL audio
// cannot start at all.
Result<std::vector<std::string>> list_audio_devices(AudioDirection direction);
// The SDL audio driver in use ("pulseaudio", "alsa", "disk", ...), starting SDL audio if needed.
Result<std::string> audio_driver_name();

class AudioDevice {
 public:
  // Opens the device paused. Errors: kInvalidArgument for a bad config; kIo "no audio device:
  // ..." when SDL audio cannot start or opening fails; kNotFound for an unknown device name
  // (the message lists the names there are).
  static Result<std::unique_ptr<AudioDevice>> open_output(const AudioDeviceConfig& config,
                                                          AudioOutputCallback callback);
  static Result<std::unique_ptr<AudioDevice>> open_capture(const AudioDeviceConfig& config,
                                                           AudioCaptureCallback callback);
  ~AudioDevice();
  AudioDevice(const AudioDevice&) = delete;
  AudioDevice& operator=(const AudioDevice&) = delete;

  // Starts / pauses the callback (SDL_PauseAudioDevice). Any thread.
  Result<void> start();
  Result<void> pause();
  bool running() const { return running_.load(); }
  // Stops the callback and closes the device; idempotent (the destructor calls it).
  void close();

  AudioDirection direction() const { return direction_; }
  const std::string& device_name() const { return config_.device; }
  AudioSpec requested() const { return requested_; }
  AudioSpec obtained() const { return obtained_; }
  bool spec_differs() const { return !(requested_ == obtained_); }
  // "asked 48000 Hz, 2 channels, 1024 frames; got 44100 Hz, 2 channels, 1024 frames".
  std::string describe_spec() const;

 private:
  AudioDevice() = default;
  static Result<std::unique_ptr<AudioDevice>> open(AudioDirection direction, const AudioDeviceConfig& config,
                                                   AudioOutputCallback out, AudioCaptureCallback in);
  static void sdl_callback(void* user, unsigned char* stream, int len);

  AudioDirection direction_ = AudioDirection::kOutput;
  AudioDeviceConfig config_;
  AudioSpec requested_;
  AudioSpec obtained_;
  AudioOutputCallback output_;
  AudioCaptureCallback capture_;
  std::uint32_t id_ = 0;  // SDL_AudioDeviceID; 0: closed
  bool audio_acquired_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace streamlib::sdl
