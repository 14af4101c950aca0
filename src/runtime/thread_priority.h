// Applies a ThreadPriority to the calling thread.
#pragma once

#include <string>

#include "streamlib/processor.h"

namespace streamlib::internal {

struct PriorityResult {
  bool applied = true;
  std::string error;  // why the OS refused (and what the thread runs with instead)
};

// kNormal: nothing. kHigh: nice -10 for this thread. kRealTime: SCHED_FIFO priority 50; if
// refused, falls back to nice -10 when allowed. A refusal never stops the thread.
PriorityResult apply_thread_priority(ThreadPriority priority);
// Back to SCHED_OTHER at nice 0: a pool worker after running a processor that asked for more.
void reset_thread_priority();

}  // namespace streamlib::internal
