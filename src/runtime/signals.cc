#include "runtime/signals.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>

namespace streamlib::internal {

namespace {
std::atomic<int> g_fd{-1};
std::atomic<std::uint64_t> g_count{0};
std::atomic<int> g_last{0};
std::mutex g_mutex;
int g_watchers = 0;              // GUARDED_BY(g_mutex)
struct sigaction g_old_int {};   // GUARDED_BY(g_mutex)
struct sigaction g_old_term {};  // GUARDED_BY(g_mutex)

extern "C" void on_signal(int sig) {
  // Async-signal-safe: lock-free atomics and write().
  g_last.store(sig, std::memory_order_relaxed);
  g_count.fetch_add(1, std::memory_order_relaxed);
  const int fd = g_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd, &one, sizeof one);
  }
}
}  // namespace

SignalWatch::SignalWatch() {
  std::lock_guard lock(g_mutex);
  if (g_fd.load() < 0) g_fd.store(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (g_watchers++ == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
  }
  start_count_ = g_count.load();
}

SignalWatch::~SignalWatch() {
  std::lock_guard lock(g_mutex);
  if (--g_watchers == 0) {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
  }
}

int SignalWatch::fd() const { return g_fd.load(); }

bool SignalWatch::fired() const { return g_count.load() != start_count_; }

int SignalWatch::last_signal() { return g_last.load(); }

}  // namespace streamlib::internal
