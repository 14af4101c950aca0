// The `ffmpeg` component: registers its processors in the global factory when linked
// (streamlib::ffmpeg; see cmake/StreamlibComponents.cmake).
#include "encoders.h"
#include "file_source.h"
#include "file_writer.h"
#include "streamlib/registry.h"
#include "test_sources.h"
#include "video_convert.h"

STREAMLIB_MODULE(ffmpeg) {
  (void)factory.register_type<streamlib::VideoTestSource>();
  (void)factory.register_type<streamlib::AudioTestSource>();
  (void)factory.register_type<streamlib::VideoEncoder>();
  (void)factory.register_type<streamlib::AudioEncoder>();
  (void)factory.register_type<streamlib::FileWriter>();
  (void)factory.register_type<streamlib::Mp4Writer>();
  (void)factory.register_type<streamlib::VideoConvert>();
  (void)factory.register_type<streamlib::FileSource>();
}
