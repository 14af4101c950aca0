// Runtime events: lifecycle, graph changes, processor states, errors, priority refusals.
//
//   rt.subscribe([](const streamlib::Event& e) { std::cerr << to_string(e) << "\n"; });
//
// Every subscriber receives every event, in publication order (`sequence` increases by one),
// on a delivery thread of its own. Events wait in an unbounded queue per subscriber: a slow
// subscriber delays only itself, never a processor thread or another subscriber, and nothing
// is dropped because a listener was busy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "streamlib/graph/ids.h"
#include "streamlib/runtime/state.h"

namespace streamlib {

enum class EventKind {
  kRuntimeStarting,
  kRuntimeStarted,
  kRuntimeStopping,
  kRuntimeStopped,
  kRuntimePaused,
  kRuntimeResumed,
  kRuntimeFailed,
  kProcessorAdded,
  kProcessorRemoved,
  kProcessorConfigUpdated,
  kLinkCreated,
  kLinkRemoved,
  kLinkUpdated,
  kProcessorStateChanged,
  kError,            // a processor failed (setup/process/config) or did not answer in time
  kPriorityRefused,  // the OS refused a requested thread priority; the processor runs on
  kEndOfStream,      // every sink has finished: the pipeline has run to its end
  kWarning,          // a processor kept going but something needs attention (RuntimeContext::warn)
};
STREAMLIB_ENUM_NAMES(EventKind, {EventKind::kRuntimeStarting, "runtime_starting"},
                     {EventKind::kRuntimeStarted, "runtime_started"}, {EventKind::kRuntimeStopping, "runtime_stopping"},
                     {EventKind::kRuntimeStopped, "runtime_stopped"}, {EventKind::kRuntimePaused, "runtime_paused"},
                     {EventKind::kRuntimeResumed, "runtime_resumed"}, {EventKind::kRuntimeFailed, "runtime_failed"},
                     {EventKind::kProcessorAdded, "processor_added"},
                     {EventKind::kProcessorRemoved, "processor_removed"},
                     {EventKind::kProcessorConfigUpdated, "processor_config_updated"},
                     {EventKind::kLinkCreated, "link_created"}, {EventKind::kLinkRemoved, "link_removed"},
                     {EventKind::kLinkUpdated, "link_updated"},
                     {EventKind::kProcessorStateChanged, "processor_state_changed"}, {EventKind::kError, "error"},
                     {EventKind::kPriorityRefused, "priority_refused"}, {EventKind::kEndOfStream, "end_of_stream"},
                     {EventKind::kWarning, "warning"});

struct Event {
  std::uint64_t sequence = 0;     // 1, 2, 3, ... per runtime
  std::int64_t timestamp_ns = 0;  // monotonic clock
  EventKind kind = EventKind::kError;
  ProcessorId processor;                            // when about a processor
  LinkId link;                                      // when about a link
  ProcessorState state = ProcessorState::kPending;  // kProcessorStateChanged: the new state
  std::string message;                              // human-readable detail (the error text for kError)
};

// "#12 error processor=dec: decode failed: ..." — one line.
std::string to_string(const Event& event);

using EventCallback = std::function<void(const Event&)>;
using SubscriptionId = std::uint64_t;

}  // namespace streamlib
