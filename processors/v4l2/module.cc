// Registers the `v4l2` component's processors (streamlib::v4l2).
#include "streamlib/registry.h"
#include "v4l2/camera.h"

STREAMLIB_MODULE(v4l2) { (void)factory.register_type<streamlib::Camera>(); }
