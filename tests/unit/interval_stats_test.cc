// interval_stats: rates, busy share, drops and latency percentiles over one interval between
// two stats() snapshots, not since start.
#include "streamlib/runtime/interval_stats.h"

#include <gtest/gtest.h>

#include "streamlib/link/link_stats.h"

namespace streamlib {
namespace {

// A histogram's buckets after recording `ns` `times` times on top of `base`.
std::vector<LatencyBucket> buckets_with(const std::vector<std::pair<std::int64_t, int>>& samples) {
  LatencyHistogram h;
  for (const auto& [ns, times] : samples) {
    for (int i = 0; i < times; ++i) h.record(ns);
  }
  return h.nonzero_buckets();
}

RuntimeStats snapshot(std::int64_t t_ns, std::uint64_t calls, std::uint64_t cpu_ns, std::uint64_t delivered,
                      std::uint64_t dropped, std::vector<LatencyBucket> latency) {
  RuntimeStats s;
  s.state = RuntimeState::kRunning;
  s.timestamp_ns = t_ns;
  ProcessorStats p;
  p.id = ProcessorId("enc");
  p.type = "Encoder";
  p.state = ProcessorState::kRunning;
  p.process_calls = calls;
  p.cpu_time_ns = cpu_ns;
  s.processors.push_back(p);
  LinkStats l;
  l.id = LinkId("src.out->enc.in");
  l.from = "src.out";
  l.to = "enc.in";
  l.config.capacity = 8;
  l.delivered = delivered;
  l.dropped = dropped;
  l.depth = 3;
  l.latency_buckets = std::move(latency);
  s.links.push_back(l);
  return s;
}

TEST(IntervalStatsTest, RatesAndBusyShareAreOverTheIntervalOnly) {
  // 1000 calls and 0.25 s of CPU before; 1500 calls and 0.75 s of CPU over the next 2 s.
  RuntimeStats before = snapshot(1'000'000'000, 1000, 250'000'000, 900, 4, {});
  RuntimeStats after = snapshot(3'000'000'000, 2500, 1'250'000'000, 2900, 10, {});
  IntervalStats s = interval_stats(before, after);
  EXPECT_DOUBLE_EQ(s.seconds, 2.0);
  ASSERT_EQ(s.processors.size(), 1u);
  EXPECT_DOUBLE_EQ(s.processors[0].calls_per_second, 750.0);
  EXPECT_DOUBLE_EQ(s.processors[0].busy, 0.5);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_DOUBLE_EQ(s.links[0].messages_per_second, 1000.0);
  EXPECT_EQ(s.links[0].dropped, 6u);
  EXPECT_EQ(s.links[0].depth, 3u);
  EXPECT_EQ(s.links[0].capacity, 8u);
}

TEST(IntervalStatsTest, LatencyPercentilesCountOnlyTheIntervalsSamples) {
  // Before: 1000 slow samples (~1 ms). In the interval: 100 fast ones (~10 us).
  auto old_samples = buckets_with({{1'000'000, 1000}});
  auto all_samples = buckets_with({{1'000'000, 1000}, {10'000, 100}});
  IntervalStats s =
      interval_stats(snapshot(0, 0, 0, 0, 0, old_samples), snapshot(1'000'000'000, 0, 0, 0, 0, all_samples));
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].latency_samples, 100u);
  // Since start the p99 would be ~1 ms; over the interval it is ~10 us (bucket resolution ~6%).
  EXPECT_NEAR(static_cast<double>(s.links[0].latency_p99_ns), 10'000.0, 700.0);
  EXPECT_GT(LatencyHistogram::percentile_of(all_samples, 0.99), 900'000);
}

TEST(IntervalStatsTest, ANewOrRestartedProcessorCountsFromZero) {
  RuntimeStats before = snapshot(0, 5000, 0, 5000, 0, {});
  RuntimeStats after = snapshot(1'000'000'000, 200, 0, 300, 0, {});  // counters went back: rebuilt
  IntervalStats s = interval_stats(before, after);
  EXPECT_DOUBLE_EQ(s.processors[0].calls_per_second, 200.0);
  EXPECT_DOUBLE_EQ(s.links[0].messages_per_second, 300.0);
  IntervalStats fresh = interval_stats(RuntimeStats{}, after);  // nothing before
  EXPECT_EQ(fresh.processors.size(), 1u);
  nlohmann::json j = s.to_json();
  EXPECT_EQ(j["processors"][0]["id"], "enc");
  EXPECT_EQ(j["links"][0]["capacity"], 8);
}

}  // namespace
}  // namespace streamlib
