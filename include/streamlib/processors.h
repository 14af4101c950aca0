// The built-in processors.
//
//   #include <streamlib/processors.h>
//   rt.add_processor<streamlib::SequenceSource>({.interval_us = 500});
#pragma once

#include "counter/counter.h"
#include "null_sink/null_sink.h"
#include "sequence_source/sequence_source.h"
