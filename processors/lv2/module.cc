// Registers the `lv2` component's processors (streamlib::lv2).
#include "lv2/lv2_effect.h"
#include "streamlib/registry.h"

STREAMLIB_MODULE(lv2) { (void)factory.register_type<streamlib::Lv2Effect>(); }
