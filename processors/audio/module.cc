// Registers the `audio` component's processors (streamlib::audio).
#include "audio/audio_processors.h"
#include "streamlib/registry.h"

STREAMLIB_MODULE(audio) {
  (void)factory.register_type<streamlib::AudioResampler>();
  (void)factory.register_type<streamlib::AudioChannelConverter>();
  (void)factory.register_type<streamlib::BufferRechunker>();
  (void)factory.register_type<streamlib::Gain>();
  (void)factory.register_type<streamlib::AudioMixer>();
}
