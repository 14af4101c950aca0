#include "sdl_common/audio_device.h"

#include <SDL.h>

#include <algorithm>
#include <cstring>

#include "sdl_common/sdl_init.h"
#include "streamlib/frames/audio_frame.h"

namespace streamlib::sdl {

namespace {
std::string_view direction_name(AudioDirection d) { return d == AudioDirection::kOutput ? "output" : "capture"; }

std::vector<std::string> device_names(AudioDirection direction) {
  const int iscapture = direction == AudioDirection::kCapture ? 1 : 0;
  std::vector<std::string> names;
  const int n = SDL_GetNumAudioDevices(iscapture);
  for (int i = 0; i < n; ++i) {
    const char* name = SDL_GetAudioDeviceName(i, iscapture);
    if (name != nullptr) names.emplace_back(name);
  }
  return names;
}

// Holds an SDL audio reference for the duration of a query.
class AudioRef {
 public:
  static Result<AudioRef> make() {
    STREAMLIB_RETURN_IF_ERROR(acquire_audio());
    return AudioRef();
  }
  AudioRef(AudioRef&& other) noexcept : held_(std::exchange(other.held_, false)) {}
  AudioRef& operator=(AudioRef&&) = delete;
  ~AudioRef() {
    if (held_) release_audio();
  }

 private:
  AudioRef() = default;
  bool held_ = true;
};
}  // namespace

Result<std::vector<std::string>> list_audio_devices(AudioDirection direction) {
  STREAMLIB_ASSIGN_OR_RETURN(auto ref, AudioRef::make());
  return device_names(direction);
}

Result<std::string> audio_driver_name() {
  STREAMLIB_ASSIGN_OR_RETURN(auto ref, AudioRef::make());
  const char* name = SDL_GetCurrentAudioDriver();
  return std::string(name != nullptr ? name : "");
}

Result<std::unique_ptr<AudioDevice>> AudioDevice::open_output(const AudioDeviceConfig& config,
                                                              AudioOutputCallback callback) {
  return open(AudioDirection::kOutput, config, std::move(callback), nullptr);
}

Result<std::unique_ptr<AudioDevice>> AudioDevice::open_capture(const AudioDeviceConfig& config,
                                                               AudioCaptureCallback callback) {
  return open(AudioDirection::kCapture, config, nullptr, std::move(callback));
}

Result<std::unique_ptr<AudioDevice>> AudioDevice::open(AudioDirection direction, const AudioDeviceConfig& config,
                                                       AudioOutputCallback out, AudioCaptureCallback in) {
  if (config.sample_rate <= 0 || config.sample_rate > 768000) {
    return make_error(ErrorCode::kInvalidArgument, "audio {}: sample rate must be 1..768000 Hz, got {}",
                      direction_name(direction), config.sample_rate);
  }
  if (config.channels < 1 || config.channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "audio {}: channels must be 1..{}, got {}",
                      direction_name(direction), kMaxAudioChannels, config.channels);
  }
  if (config.buffer_frames < 1 || config.buffer_frames > 32768) {
    return make_error(ErrorCode::kInvalidArgument, "audio {}: buffer_frames must be 1..32768, got {}",
                      direction_name(direction), config.buffer_frames);
  }
  if ((direction == AudioDirection::kOutput && !out) || (direction == AudioDirection::kCapture && !in)) {
    return make_error(ErrorCode::kInvalidArgument, "audio {}: no callback", direction_name(direction));
  }
  STREAMLIB_RETURN_IF_ERROR(acquire_audio());
  std::unique_ptr<AudioDevice> d(new AudioDevice());
  d->audio_acquired_ = true;
  d->direction_ = direction;
  d->config_ = config;
  d->output_ = std::move(out);
  d->capture_ = std::move(in);
  d->requested_ = {config.sample_rate, config.channels, config.buffer_frames};

  const int iscapture = direction == AudioDirection::kCapture ? 1 : 0;
  if (!config.device.empty()) {
    const auto names = device_names(direction);
    if (std::find(names.begin(), names.end(), config.device) == names.end()) {
      return make_error(ErrorCode::kNotFound, "no audio {} device named '{}' (devices: {})", direction_name(direction),
                        config.device,
                        names.empty() ? std::string("none") : fmt::format("'{}'", fmt::join(names, "', '")));
    }
  }
  SDL_AudioSpec want;
  SDL_zero(want);
  want.freq = config.sample_rate;
  want.format = AUDIO_F32SYS;
  want.channels = static_cast<Uint8>(config.channels);
  want.samples = static_cast<Uint16>(config.buffer_frames);
  want.callback = &AudioDevice::sdl_callback;
  want.userdata = d.get();
  SDL_AudioSpec have;
  SDL_zero(have);
  const int allowed =
      config.allow_changes
          ? (SDL_AUDIO_ALLOW_FREQUENCY_CHANGE | SDL_AUDIO_ALLOW_CHANNELS_CHANGE | SDL_AUDIO_ALLOW_SAMPLES_CHANGE)
          : 0;
  const SDL_AudioDeviceID id =
      SDL_OpenAudioDevice(config.device.empty() ? nullptr : config.device.c_str(), iscapture, &want, &have, allowed);
  if (id == 0) {
    const std::string reason = sdl_error();
    const char* driver = SDL_GetCurrentAudioDriver();
    return make_error(ErrorCode::kIo, "no audio device: SDL_OpenAudioDevice({} {}) failed: {} (driver '{}')",
                      config.device.empty() ? std::string("default") : fmt::format("'{}'", config.device),
                      direction_name(direction), reason, driver != nullptr ? driver : "none");
  }
  d->id_ = id;
  // Without ALLOW_FORMAT_CHANGE SDL converts to float32 for us; `have` says what reaches the
  // callback: rate and channels as asked unless allowed to change, samples as SDL chose.
  d->obtained_ = {have.freq, have.channels, have.samples};
  return d;
}

AudioDevice::~AudioDevice() { close(); }

void AudioDevice::sdl_callback(void* user, unsigned char* stream, int len) {
  auto* self = static_cast<AudioDevice*>(user);
  const std::size_t count = static_cast<std::size_t>(len) / sizeof(float);
  // SDL hands a byte buffer laid out for float32 samples (its own allocation, suitably aligned).
  float* samples = reinterpret_cast<float*>(stream);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  if (self->direction_ == AudioDirection::kOutput) {
    std::fill(samples, samples + count, 0.0f);
    self->output_(std::span<float>(samples, count));
  } else {
    self->capture_(std::span<const float>(samples, count));
  }
}

Result<void> AudioDevice::start() {
  if (id_ == 0)
    return make_error(ErrorCode::kFailedPrecondition, "audio {} device is closed", direction_name(direction_));
  SDL_PauseAudioDevice(id_, 0);
  running_ = true;
  return {};
}

Result<void> AudioDevice::pause() {
  if (id_ == 0)
    return make_error(ErrorCode::kFailedPrecondition, "audio {} device is closed", direction_name(direction_));
  // SDL takes the device lock: once this returns the callback is not running and will not be.
  SDL_PauseAudioDevice(id_, 1);
  running_ = false;
  return {};
}

void AudioDevice::close() {
  if (id_ != 0) {
    SDL_CloseAudioDevice(std::exchange(id_, 0u));
    running_ = false;
  }
  if (std::exchange(audio_acquired_, false)) release_audio();
}

std::string AudioDevice::describe_spec() const {
  const auto f = [](const AudioSpec& s) {
    return fmt::format("{} Hz, {} channel{}, {} frames", s.sample_rate, s.channels, s.channels == 1 ? "" : "s",
                       s.buffer_frames);
  };
  return fmt::format("asked {}; got {}", f(requested_), f(obtained_));
}

}  // namespace streamlib::sdl
