#include "streamlib/link/link_stats.h"

#include <bit>

namespace streamlib {

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < static_cast<std::uint64_t>(kSub)) return static_cast<std::size_t>(ns);
  const int exponent = 63 - std::countl_zero(ns);  // >= kSubBits
  if (exponent > kMaxExponent) return kBuckets - 1;
  const std::uint64_t sub = (ns >> (exponent - kSubBits)) & (kSub - 1);
  return static_cast<std::size_t>(kSub + (exponent - kSubBits) * kSub) + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::bucket_lower(std::size_t bucket) noexcept {
  if (bucket < static_cast<std::size_t>(kSub)) return bucket;
  const std::size_t k = bucket - kSub;
  const int exponent = static_cast<int>(k / kSub) + kSubBits;
  const std::uint64_t sub = k % kSub;
  return (std::uint64_t{1} << exponent) + (sub << (exponent - kSubBits));
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t bucket) noexcept {
  if (bucket < static_cast<std::size_t>(kSub)) return 1;
  const int exponent = static_cast<int>((bucket - kSub) / kSub) + kSubBits;
  return std::uint64_t{1} << (exponent - kSubBits);
}

std::int64_t LatencyHistogram::percentile(double fraction) const noexcept {
  std::uint64_t total = 0;
  for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const double want = fraction * static_cast<double>(total);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b].load(std::memory_order_relaxed);
    if (static_cast<double>(seen) >= want && seen > 0) {
      return static_cast<std::int64_t>(bucket_lower(b) + bucket_width(b) / 2);
    }
  }
  return static_cast<std::int64_t>(bucket_lower(kBuckets - 1));
}

std::vector<LatencyBucket> LatencyHistogram::nonzero_buckets() const {
  std::vector<LatencyBucket> out;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    const std::uint64_t c = counts_[b].load(std::memory_order_relaxed);
    if (c != 0) out.push_back({static_cast<std::uint32_t>(b), c});
  }
  return out;
}

std::int64_t LatencyHistogram::percentile_of(const std::vector<LatencyBucket>& buckets, double fraction) noexcept {
  std::uint64_t total = 0;
  for (const LatencyBucket& b : buckets) total += b.count;
  if (total == 0) return 0;
  const double want = fraction * static_cast<double>(total);
  std::uint64_t seen = 0;
  for (const LatencyBucket& b : buckets) {
    seen += b.count;
    if (static_cast<double>(seen) >= want) {
      return static_cast<std::int64_t>(bucket_lower(b.bucket) + bucket_width(b.bucket) / 2);
    }
  }
  return static_cast<std::int64_t>(bucket_lower(buckets.back().bucket));
}

}  // namespace streamlib
