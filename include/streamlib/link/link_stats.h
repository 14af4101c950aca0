// Per-link counters and latency, as StreamRuntime::stats() reports them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "streamlib/graph/ids.h"
#include "streamlib/link/link_config.h"

namespace streamlib {

// One non-empty bucket of a LatencyHistogram (see LinkStats::latency_buckets).
struct LatencyBucket {
  std::uint32_t bucket = 0;
  std::uint64_t count = 0;
};

struct LinkStats {
  LinkId id;
  std::string from;  // "proc.port"
  std::string to;
  std::string message_type;
  LinkConfig config;            // complete
  std::uint64_t pushed = 0;     // messages offered by the producer
  std::uint64_t delivered = 0;  // messages read by the consumer
  std::uint64_t dropped = 0;    // discarded: full link (by policy), block timeout, latest-mode skips, resize
  std::uint64_t spilled = 0;    // taken beyond the capacity so a change could reach a blocked producer (kept)
  std::size_t depth = 0;        // queued now
  std::size_t high_water = 0;   // most ever queued (sampled every 64 pushes, whenever full, and by stats())
  // enqueue -> dequeue latency in nanoseconds over sampled messages (every message pushed
  // while the consumer sleeps, and every 64th otherwise); 0 until the first sample.
  std::uint64_t latency_samples = 0;
  std::int64_t latency_p50_ns = 0;
  std::int64_t latency_p99_ns = 0;
  std::int64_t latency_p999_ns = 0;
  // The histogram's non-empty buckets, so that percentiles over an interval can be taken from
  // two snapshots (interval_stats); not in to_json().
  std::vector<LatencyBucket> latency_buckets;
};

// Log-linear histogram of nanosecond durations (16 sub-buckets per power of two, ~6%
// resolution up to ~18 minutes). One thread records; any thread may read.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExponent = 40;
  static constexpr std::size_t kBuckets = kSub + static_cast<std::size_t>(kMaxExponent - kSubBits + 1) * kSub;

  // Recording thread only.
  void record(std::int64_t ns) noexcept {
    const std::size_t b = bucket_of(ns < 0 ? 0 : static_cast<std::uint64_t>(ns));
    counts_[b].store(counts_[b].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    total_.store(total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  std::uint64_t count() const noexcept { return total_.load(std::memory_order_relaxed); }
  // The value below which `fraction` (0..1) of samples fall (bucket midpoint); 0 if empty.
  std::int64_t percentile(double fraction) const noexcept;

  // The non-empty buckets, in bucket order.
  std::vector<LatencyBucket> nonzero_buckets() const;
  // The percentile of a set of buckets (e.g. the difference of two snapshots); 0 if empty.
  static std::int64_t percentile_of(const std::vector<LatencyBucket>& buckets, double fraction) noexcept;

  static std::size_t bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t bucket_lower(std::size_t bucket) noexcept;
  static std::uint64_t bucket_width(std::size_t bucket) noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> total_{0};
};

}  // namespace streamlib
