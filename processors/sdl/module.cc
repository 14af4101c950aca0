// Registers the `sdl` component's processors (streamlib::sdl).
#include "sdl/sdl_processors.h"
#include "streamlib/registry.h"

STREAMLIB_MODULE(sdl) {
  (void)factory.register_type<streamlib::AudioOutput>();
  (void)factory.register_type<streamlib::AudioCapture>();
  (void)factory.register_type<streamlib::Display>();
}
