// ProcessorHarness: processors tested alone, on the test's thread and a virtual clock — the
// way StreamLib's own processors and users' are unit-tested.
#include "streamlib/testing/processor_harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/media_test_processors.h"

namespace streamlib {
namespace {

using ::testing::ElementsAre;
using namespace testing;  // NOLINT(google-build-using-namespace)

DataFrame at(std::uint64_t n, std::int64_t ts) {
  WritableDataFrame w("t", 0);
  w.set_frame_number(n);
  w.set_timestamp_ns(ts);
  return std::move(w).freeze();
}

std::vector<std::uint64_t> numbers(const std::vector<DataFrame>& frames) {
  std::vector<std::uint64_t> out;
  for (const auto& f : frames) out.push_back(f.frame_number());
  return out;
}

class HarnessTest : public ::testing::Test {
 protected:
  void SetUp() override { Probe::reset(); }
};

TEST_F(HarnessTest, ASourceRunsOnTheVirtualClockAndEndsItsStream) {
  ProcessorHarness<FiniteSource> h({.interval_us = 1000, .count = 3, .step_ns = 40});
  ASSERT_TRUE(h.start());
  ASSERT_EQ(h.run().value(), 1u);  // the first tick is due at once; the next not before 1 ms
  h.advance(std::chrono::microseconds(2500));
  ASSERT_EQ(h.run().value(), 2u);  // two ticks due since
  EXPECT_FALSE(h.output_ended("out"));
  h.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(h.run());  // the fourth call ends the stream
  EXPECT_TRUE(h.finished());
  const auto out = h.take<DataFrame>("out");
  EXPECT_THAT(numbers(out), ElementsAre(0u, 1u, 2u));
  EXPECT_EQ(out[2].timestamp_ns(), 80);
  EXPECT_TRUE(h.output_ended("out"));
}

TEST_F(HarnessTest, EndOfStreamOnAnInputFinishesTheProcessorAfterEverythingBeforeIt) {
  ProcessorHarness<DrainingRelay> h;
  ASSERT_TRUE(h.start());
  for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(h.push("in", at(i, 0)));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  EXPECT_TRUE(h.finished());
  EXPECT_THAT(numbers(h.take<DataFrame>("out")), ElementsAre(0u, 1u, 2u, 3u, 4u, 1'000'000u));
  EXPECT_TRUE(h.output_ended("out"));
}

TEST_F(HarnessTest, SynchronizedInputsWaitForEachOtherThenTimeOutOnTheVirtualClock) {
  ProcessorHarness<SyncPair> h({.timeout_ms = 100});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("a", at(0, 0)));
  ASSERT_TRUE(h.push("b", at(0, 0)));
  ASSERT_TRUE(h.push("a", at(1, 10)));
  EXPECT_EQ(h.run().value(), 1u);  // the pair at 0; then `a` waits for `b`
  EXPECT_EQ(h.run().value(), 0u);  // not called again on the data it left: no spin
  h.advance(std::chrono::milliseconds(50));
  EXPECT_EQ(h.run().value(), 0u);  // still within the timeout
  ASSERT_TRUE(h.push("b", at(1, 10)));
  EXPECT_EQ(h.run().value(), 1u);  // b came: the pair at 10
  ASSERT_TRUE(h.push("a", at(2, 20)));
  EXPECT_EQ(h.run().value(), 0u);
  h.advance(std::chrono::milliseconds(150));  // past the timeout: `a` goes on alone
  EXPECT_EQ(h.run().value(), 1u);
  EXPECT_EQ(h.input_stalls(), 1u);
  EXPECT_THAT(numbers(h.take<DataFrame>("out")), ElementsAre(0u, 1u, 2u));
}

TEST_F(HarnessTest, PortsComeFromTheConfigAndALiveChangeKeepsTheLinksOfThoseThatRemain) {
  ProcessorHarness<MixerLike> h({.inputs = 2});
  ASSERT_TRUE(h.start());
  EXPECT_EQ(h.processor().inputs().size(), 2u);
  EXPECT_FALSE(h.push("in_2", at(0, 0)));  // no such port yet
  ASSERT_TRUE(h.push("in_0", at(0, 0)));
  ASSERT_TRUE(h.push("in_1", at(1, 0)));
  ASSERT_TRUE(h.set_config({.inputs = 3}));
  ASSERT_EQ(h.processor().inputs().size(), 3u);
  ASSERT_TRUE(h.push("in_2", at(2, 0)));
  ASSERT_TRUE(h.run());
  // What was queued on in_0 and in_1 before the change came through.
  EXPECT_THAT(numbers(h.take<DataFrame>("out")), ElementsAre(0u, 1u, 2u));
}

TEST_F(HarnessTest, TheBuiltInCounterFindsGapsAndReorders) {
  ProcessorHarness<Counter> h({.expect_sequence = true});
  ASSERT_TRUE(h.start());
  for (std::uint64_t n : {0, 1, 2, 5, 4, 6}) ASSERT_TRUE(h.push("in", at(n, 0)));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.processor().received(), 6u);
  EXPECT_EQ(h.processor().gaps(), 2u);       // 3 and 4 missing after 2
  EXPECT_EQ(h.processor().reordered(), 1u);  // 4 after 5
}

TEST_F(HarnessTest, TheBuiltInSequenceSourceStampsFramesWithTheVirtualClock) {
  ProcessorHarness<SequenceSource> h({.interval_us = 500, .count = 0, .payload_bytes = 8});
  ASSERT_TRUE(h.start());
  h.advance(std::chrono::milliseconds(7));
  ASSERT_TRUE(h.run());
  const auto out = h.take<DataFrame>("out");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().timestamp_ns(), 7'000'000);  // context().now_ns() is the virtual clock
}

}  // namespace
}  // namespace streamlib
