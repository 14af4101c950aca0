// Links through the runtime: each full policy and read mode, a live resize that keeps queued
// messages in order, fan-in rejected at connect().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)

class LinksTest : public RuntimeTest {
 protected:
  // A fast source into a slow sink over one link with `config`; returns the link's stats
  // after `count` messages were produced and the runtime stopped.
  LinkStats run_slow_consumer(StreamRuntime& rt, LinkConfig config, std::uint64_t count = 400) {
    auto src = rt.add_processor<TestSource>({.interval_us = 50, .count = count}, "src").value();
    auto sink = rt.add_processor<TestSink>({.delay_us = 500}, "sink").value();
    auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in), config).value();
    EXPECT_TRUE(rt.start());
    EXPECT_TRUE(eventually([&] { return probe("src").emitted >= count; }, std::chrono::seconds(30)));
    // Wait until the sink has taken everything, so the counters add up.
    EXPECT_TRUE(eventually([&] {
      auto l = rt.stats().find_link(link.id());
      return l && l->pushed == count && l->depth == 0 && probe("sink").received_count() == l->delivered;
    }));
    const LinkStats before_stop = *rt.stats().find_link(link.id());
    EXPECT_TRUE(rt.stop());
    return before_stop;
  }
};

TEST_F(LinksTest, DropNewestDiscardsWhatDoesNotFitAndCountsIt) {
  StreamRuntime rt;
  const LinkStats s = run_slow_consumer(rt, {.capacity = 4, .policy = LinkPolicy::kDropNewest});
  const auto got = probe("sink").snapshot();
  EXPECT_TRUE(is_increasing(got));
  EXPECT_GT(s.dropped, 100u);
  EXPECT_EQ(got.size() + s.dropped, 400u);
  EXPECT_EQ(s.high_water, 4u);
  EXPECT_EQ(got.front(), 0u);  // the first ones got in
}

TEST_F(LinksTest, DropOldestKeepsTheNewest) {
  StreamRuntime rt;
  const LinkStats s = run_slow_consumer(rt, {.capacity = 4, .policy = LinkPolicy::kDropOldest});
  const auto got = probe("sink").snapshot();
  EXPECT_TRUE(is_increasing(got));
  EXPECT_GT(s.dropped, 100u);
  EXPECT_EQ(got.size() + s.dropped, 400u);
  EXPECT_EQ(got.back(), 399u);  // the newest always survives
}

TEST_F(LinksTest, BlockHoldsTheProducerBackAndLosesNothing) {
  StreamRuntime rt;
  const LinkStats s =
      run_slow_consumer(rt, {.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(5)});
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.high_water, 4u);
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
  EXPECT_EQ(probe("sink").received_count(), 400u);
}

TEST_F(LinksTest, LatestReadModeSkipsToTheNewest) {
  StreamRuntime rt;
  const LinkStats s =
      run_slow_consumer(rt, {.capacity = 32, .policy = LinkPolicy::kDropOldest, .read_mode = ReadMode::kLatest});
  const auto got = probe("sink").snapshot();
  EXPECT_TRUE(is_increasing(got));
  EXPECT_LT(got.size(), 300u);  // most were skipped
  EXPECT_EQ(got.size(), s.delivered);
  EXPECT_EQ(got.size() + s.dropped, 400u);
}

TEST_F(LinksTest, ResizingALiveLinkKeepsQueuedMessagesInOrder) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 100}, "src").value();
  // One message per process() call, slower than the source: a backlog builds, and every
  // resize happens with messages queued (a safe point comes between any two of them).
  auto sink = rt.add_processor<TestSink>({.delay_us = 400, .batch = 1}, "sink").value();
  auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in),
                         {.capacity = 64, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(5)})
                  .value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth >= 40; }));
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 128}));  // grow with 40+ queued
  EXPECT_EQ(rt.stats().links.at(0).config.capacity, 128u);
  EXPECT_GE(rt.stats().links.at(0).depth, 30u);  // the queue came along
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth >= 20; }));
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 8}));  // shrink below what is queued: block keeps it all
  EXPECT_GE(rt.stats().links.at(0).depth, 8u);
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 16, .policy = LinkPolicy::kDropOldest}));
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 32, .policy = LinkPolicy::kBlock}));
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 300; }));
  ASSERT_TRUE(rt.stop());
  const auto got = probe("sink").snapshot();
  // Nothing reordered or repeated; only the drop_oldest moment may have discarded (and counted).
  EXPECT_TRUE(is_increasing(got));
  EXPECT_EQ(got.front(), 0u);
}

TEST_F(LinksTest, ShrinkingUnderDropOldestDiscardsTheOldestQueuedAndCountsThem) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 100}, "src").value();
  auto sink = rt.add_processor<TestSink>({.delay_us = 2000, .batch = 1}, "sink").value();
  auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in),
                         {.capacity = 64, .policy = LinkPolicy::kDropOldest})
                  .value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth >= 50; }));
  ASSERT_TRUE(rt.pause());  // hold still so the numbers below are exact
  const LinkStats before = rt.stats().links.at(0);
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 5}));
  // The consumer discards the excess at its next safe point (paused, it is idle: at once).
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth == 5u; }));
  const LinkStats after = rt.stats().links.at(0);
  EXPECT_EQ(after.depth, 5u);
  EXPECT_EQ(after.dropped, before.dropped + before.depth - 5);
  ASSERT_TRUE(rt.resume());
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_increasing(probe("sink").snapshot()));
}

TEST_F(LinksTest, ASecondLinkIntoAnInputIsRejectedAtConnect) {
  StreamRuntime rt;
  auto a = rt.add_processor<TestSource>({}, "a").value();
  auto b = rt.add_processor<TestSource>({}, "b").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.connect(a.output(&TestSource::out), sink.input(&TestSink::in)));
  auto second = rt.connect(b.output(&TestSource::out), sink.input(&TestSink::in));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(second.error().message(),
            "cannot connect b.out -> sink.in: input sink.in already has link 'a.out->sink.in'; an input takes one "
            "link (use a mixer to combine)");
  EXPECT_EQ(rt.stats().links.size(), 1u);
}

TEST_F(LinksTest, DisconnectingByLinkIdUnwiresTheRunningLink) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
  ASSERT_TRUE(rt.disconnect(LinkId("src.out->sink.in")));
  EXPECT_TRUE(rt.stats().links.empty());
  const std::size_t n = probe("sink").received_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(probe("sink").received_count(), n);
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

}  // namespace
}  // namespace streamlib
