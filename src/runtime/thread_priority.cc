#include "runtime/thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace streamlib::internal {

namespace {
constexpr int kHighNice = -10;
constexpr int kRealTimePriority = 50;

// Linux applies nice per thread when given the thread id.
int set_nice(int nice) {
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, nice) == 0 ? 0 : errno;
}
}  // namespace

void reset_thread_priority() {
  sched_param param{};
  (void)pthread_setschedparam(pthread_self(), SCHED_OTHER, &param);
  (void)set_nice(0);
}

PriorityResult apply_thread_priority(ThreadPriority priority) {
  switch (priority) {
    case ThreadPriority::kNormal:
      return {};
    case ThreadPriority::kHigh: {
      if (int err = set_nice(kHighNice); err != 0) {
        return {false, fmt::format("setpriority(nice {}) failed: {}; running at normal priority", kHighNice,
                                   std::strerror(err))};
      }
      return {};
    }
    case ThreadPriority::kRealTime: {
      sched_param param{};
      param.sched_priority = kRealTimePriority;
      const int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
      if (err == 0) return {};
      const bool nice_ok = set_nice(kHighNice) == 0;
      return {false, fmt::format("SCHED_FIFO {} refused: {} (needs CAP_SYS_NICE or an rtprio limit); running {}",
                                 kRealTimePriority, std::strerror(err),
                                 nice_ok ? "with nice -10 instead" : "at normal priority")};
    }
  }
  return {};
}

}  // namespace streamlib::internal
