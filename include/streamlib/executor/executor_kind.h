// ExecutorKind: how processors get CPU time (docs/ARCHITECTURE.md, "Scheduling"), chosen by
// RuntimeOptions::executor, a graph file's "executor", or `streamlib run --executor`.
#pragma once

#include "streamlib/config.h"

namespace streamlib {

enum class ExecutorKind {
  kThreads,  // a thread per processor
  kPool,     // a few workers run every processor that needs no thread of its own
};
STREAMLIB_ENUM_NAMES(ExecutorKind, {ExecutorKind::kThreads, "threads"}, {ExecutorKind::kPool, "pool"});

// What a graph file asks for: "executor": "pool", or {"kind": "pool", "workers": 4}.
struct ExecutorChoice {
  ExecutorKind kind = ExecutorKind::kThreads;
  unsigned workers = 0;  // the pool's; 0 is one per core
  friend bool operator==(const ExecutorChoice&, const ExecutorChoice&) = default;
};

}  // namespace streamlib
