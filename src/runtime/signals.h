// SIGINT/SIGTERM watching for StreamRuntime::wait_for_signal().
#pragma once

#include <cstdint>

namespace streamlib::internal {

// While alive, SIGINT and SIGTERM are caught (the previous handlers come back afterwards) and
// counted. Several watches may be alive at once, on any threads.
class SignalWatch {
 public:
  SignalWatch();
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // Readable (poll) when a signal has arrived since any watch last drained it.
  int fd() const;
  // True if a signal arrived since this watch was created.
  bool fired() const;
  // The signal that arrived last (SIGINT or SIGTERM), 0 if none.
  static int last_signal();

 private:
  std::uint64_t start_count_;
};

}  // namespace streamlib::internal
