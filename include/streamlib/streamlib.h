// StreamLib: real-time media pipelines with live graph changes. One include for everything.
//
//   #include <streamlib/streamlib.h>
//   streamlib::StreamRuntime rt;
//   auto src = rt.add_processor<streamlib::SequenceSource>({}).value();
//   auto sink = rt.add_processor<streamlib::Counter>({}).value();
//   rt.connect(src.output(&streamlib::SequenceSource::out), sink.input(&streamlib::Counter::in));
//   rt.start();
#pragma once

#include "streamlib/aggregator.h"
#include "streamlib/config.h"
#include "streamlib/executor/graph_delta.h"
#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/data_frame.h"
#include "streamlib/frames/encoded_packet.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/graph/graph.h"
#include "streamlib/link/link_input.h"
#include "streamlib/link/link_output.h"
#include "streamlib/log.h"
#include "streamlib/processor.h"
#include "streamlib/processors.h"
#include "streamlib/registry.h"
#include "streamlib/result.h"
#include "streamlib/runtime/interval_stats.h"
#include "streamlib/runtime/stream_runtime.h"
