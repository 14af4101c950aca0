// Shared pieces of the runtime tests: probes reset per test, state helpers, sequence checks.
#pragma once

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "testing/test_processors.h"

namespace streamlib::testing {

// The three states every mutation must work in.
enum class At { kIdle, kRunning, kPaused };
// True when this process's runtimes default to the pool executor (the "pool." copies of the
// runtime suites run with STREAMLIB_EXECUTOR=pool): for the few assertions that differ, such as
// which OS thread a processor's callbacks run on.
inline bool pool_by_default() {
  const char* v = std::getenv("STREAMLIB_EXECUTOR");
  return v != nullptr && std::string_view(v) == "pool";
}

inline std::string at_name(const ::testing::TestParamInfo<At>& info) {
  switch (info.param) {
    case At::kIdle:
      return "WhileStopped";
    case At::kRunning:
      return "WhileRunning";
    case At::kPaused:
      return "WhilePaused";
  }
  return "?";
}

// True if `v` is exactly 0, 1, ..., n-1 (nothing lost, duplicated or reordered).
inline ::testing::AssertionResult is_contiguous_from_zero(const std::vector<std::uint64_t>& v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != i) {
      return ::testing::AssertionFailure() << "at index " << i << " got " << v[i] << " (of " << v.size() << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// True if `v` is an unbroken run k, k+1, k+2, ... (nothing lost or reordered after the first).
inline ::testing::AssertionResult is_consecutive(const std::vector<std::uint64_t>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] != v[0] + i) {
      return ::testing::AssertionFailure() << "at index " << i << " got " << v[i] << ", expected " << v[0] + i;
    }
  }
  return ::testing::AssertionSuccess();
}

// True if strictly increasing (drops allowed, no duplicates or reorders).
inline ::testing::AssertionResult is_increasing(const std::vector<std::uint64_t>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] <= v[i - 1]) {
      return ::testing::AssertionFailure() << "at index " << i << ": " << v[i - 1] << " then " << v[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// Collects every event of a runtime.
class EventLog {
 public:
  explicit EventLog(StreamRuntime& rt) : rt_(rt) {
    id_ = rt.subscribe([this](const Event& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    });
  }
  ~EventLog() { rt_.unsubscribe(id_); }
  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // Waits until an event of `kind` whose message contains `text` arrives.
  bool wait_for(EventKind kind, const std::string& text = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return eventually(
        [&] {
          for (const Event& e : events()) {
            if (e.kind == kind && e.message.find(text) != std::string::npos) return true;
          }
          return false;
        },
        timeout);
  }

 private:
  StreamRuntime& rt_;
  SubscriptionId id_ = 0;
  std::mutex mutex_;
  std::vector<Event> events_;  // GUARDED_BY(mutex_)
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { Probe::reset(); }
  static Probe& probe(const std::string& id) { return *Probe::get(id); }
  static Probe& probe(const ProcessorId& id) { return *Probe::get(id.str()); }

  // Puts `rt` in state `at`.
  static void enter(StreamRuntime& rt, At at) {
    if (at == At::kIdle) return;
    ASSERT_TRUE(rt.start());
    if (at == At::kPaused) {
      ASSERT_TRUE(rt.pause());
    }
  }
  // From state `at`, gets `rt` running (so what was changed can be observed).
  static void run_from(StreamRuntime& rt, At at) {
    if (at == At::kIdle) {
      ASSERT_TRUE(rt.start());
    }
    if (at == At::kPaused) {
      ASSERT_TRUE(rt.resume());
    }
  }
};

}  // namespace streamlib::testing
