// LinkChannel: each full policy, each read mode, counters and latency, and live reconfiguration
// that keeps queued messages in order.
#include "streamlib/link/link_channel.h"

#include "streamlib/processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace streamlib {
namespace {

using ::testing::ElementsAre;

std::shared_ptr<internal::LinkChannel<DataFrame>> make_channel(LinkConfig config) {
  return std::make_shared<internal::LinkChannel<DataFrame>>(
      internal::LinkChannelBase::Endpoints{LinkId("a.out->b.in"), "a.out", "b.in"},
      config.merged_over(default_link_config<DataFrame>()), std::make_shared<Notifier>());
}

DataFrame frame(std::uint64_t n) {
  WritableDataFrame w("t", 0);
  w.set_frame_number(n);
  return std::move(w).freeze();
}

std::vector<std::uint64_t> pop_all(internal::LinkChannel<DataFrame>& ch) {
  std::vector<std::uint64_t> out;
  while (auto f = ch.pop()) out.push_back(f->frame_number());
  return out;
}

TEST(LinkChannelTest, DropNewestKeepsTheFirstAndCountsTheRest) {
  auto ch = make_channel({.capacity = 3, .policy = LinkPolicy::kDropNewest});
  for (std::uint64_t i = 0; i < 5; ++i) ch->push(frame(i));
  EXPECT_THAT(pop_all(*ch), ElementsAre(0u, 1u, 2u));
  const LinkStats s = ch->stats();
  EXPECT_EQ(s.pushed, 5u);
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.high_water, 3u);
  EXPECT_EQ(s.depth, 0u);
}

TEST(LinkChannelTest, DropOldestKeepsTheNewest) {
  auto ch = make_channel({.capacity = 3, .policy = LinkPolicy::kDropOldest});
  for (std::uint64_t i = 0; i < 10; ++i) ch->push(frame(i));
  EXPECT_EQ(ch->stats().depth, 3u);
  EXPECT_THAT(pop_all(*ch), ElementsAre(7u, 8u, 9u));
  EXPECT_EQ(ch->stats().dropped, 7u);
}

TEST(LinkChannelTest, BlockWaitsForTheTimeoutThenDropsAndCounts) {
  auto ch = make_channel({.capacity = 2, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::milliseconds(30)});
  ch->push(frame(0));
  ch->push(frame(1));
  const auto t0 = std::chrono::steady_clock::now();
  ch->push(frame(2));  // nobody reads: waits ~30 ms, then drops
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
  EXPECT_EQ(ch->stats().dropped, 1u);
  EXPECT_THAT(pop_all(*ch), ElementsAre(0u, 1u));
}

TEST(LinkChannelTest, BlockResumesAsSoonAsTheConsumerMakesRoom) {
  auto ch = make_channel({.capacity = 1, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(10)});
  constexpr std::uint64_t kCount = 20000;
  std::thread consumer([&] {
    std::uint64_t expected = 0;
    while (expected < kCount) {
      if (auto f = ch->pop()) {
        ASSERT_EQ(f->frame_number(), expected);
        ++expected;
      }
    }
  });
  for (std::uint64_t i = 0; i < kCount; ++i) ch->push(frame(i));
  consumer.join();
  EXPECT_EQ(ch->stats().dropped, 0u);
  EXPECT_EQ(ch->stats().delivered, kCount);
}

TEST(LinkChannelTest, LatestReadModeSkipsToTheNewestAndCountsSkips) {
  auto ch = make_channel({.capacity = 8, .policy = LinkPolicy::kBlock, .read_mode = ReadMode::kLatest});
  for (std::uint64_t i = 0; i < 5; ++i) ch->push(frame(i));
  auto f = ch->pop();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->frame_number(), 4u);
  EXPECT_FALSE(ch->pop());
  EXPECT_EQ(ch->stats().dropped, 4u);
  EXPECT_EQ(ch->stats().delivered, 1u);
}

// An input port to drain a channel through (drain() lives on LinkInput).
class Reader : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(Reader, "test reader", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> process() override { return {}; }
};

TEST(LinkChannelTest, SequentialDrainDeliversEverythingInOrder) {
  auto ch = make_channel({.capacity = 8});
  Reader reader;
  ASSERT_TRUE(reader.in.attach(LinkId("a.out->b.in"), ch));
  for (std::uint64_t i = 0; i < 6; ++i) ch->push(frame(i));
  std::vector<std::uint64_t> got;
  EXPECT_EQ(reader.in.drain([&](DataFrame&& f) { got.push_back(f.frame_number()); }), 6u);
  EXPECT_THAT(got, ElementsAre(0u, 1u, 2u, 3u, 4u, 5u));
}

// Stops the drain at frame `fail_on` with an error naming it; records what it was given.
auto failing_at(std::uint64_t fail_on, std::vector<std::uint64_t>& got) {
  return [fail_on, &got](DataFrame&& f) -> Result<void> {
    got.push_back(f.frame_number());
    if (f.frame_number() == fail_on) return make_error(ErrorCode::kInvalidArgument, "frame {} is bad", fail_on);
    return {};
  };
}

TEST(LinkChannelTest, AFallibleDrainThatNeverFailsReturnsTheCount) {
  auto ch = make_channel({.capacity = 8});
  Reader reader;
  ASSERT_TRUE(reader.in.attach(LinkId("a.out->b.in"), ch));
  for (std::uint64_t i = 0; i < 5; ++i) ch->push(frame(i));
  std::vector<std::uint64_t> got;
  Result<std::size_t> n = reader.in.drain(failing_at(99, got));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 5u);
  EXPECT_THAT(got, ElementsAre(0u, 1u, 2u, 3u, 4u));
}

TEST(LinkChannelTest, AFallibleDrainStopsAtTheFirstErrorAndLeavesTheRestQueued) {
  auto ch = make_channel({.capacity = 8});
  Reader reader;
  ASSERT_TRUE(reader.in.attach(LinkId("a.out->b.in"), ch));
  for (std::uint64_t i = 0; i < 6; ++i) ch->push(frame(i));
  std::vector<std::uint64_t> got;
  Result<std::size_t> n = reader.in.drain(failing_at(2, got));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(n.error().message(), "frame 2 is bad");
  // The failed frame was taken; nothing after it was handed to the callback.
  EXPECT_THAT(got, ElementsAre(0u, 1u, 2u));
  EXPECT_EQ(ch->stats().delivered, 3u);
  // The rest waits for the next call, in order.
  got.clear();
  EXPECT_EQ(reader.in.drain([&](DataFrame&& f) { got.push_back(f.frame_number()); }), 3u);
  EXPECT_THAT(got, ElementsAre(3u, 4u, 5u));
}

TEST(LinkChannelTest, TheTypedChannelDrainTakesAFallibleCallbackToo) {
  auto ch = make_channel({.capacity = 8});
  for (std::uint64_t i = 0; i < 4; ++i) ch->push(frame(i));
  std::vector<std::uint64_t> got;
  Result<std::size_t> n = ch->drain(failing_at(0, got), [] { return true; });
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message(), "frame 0 is bad");
  EXPECT_THAT(got, ElementsAre(0u));
  EXPECT_THAT(pop_all(*ch), ElementsAre(1u, 2u, 3u));
}

// The same through an input that takes any built-in frame.
class AnyReader : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(AnyReader, "test reader of any frame", Reactive{});
  LinkInput<AnyFrame> in{this, "in"};
  Result<void> process() override { return {}; }
};

TEST(LinkChannelTest, AFallibleDrainOfAnAnyFrameInputStopsAtTheFirstErrorToo) {
  auto ch = make_channel({.capacity = 8});
  AnyReader reader;
  ASSERT_TRUE(reader.in.attach(LinkId("a.out->b.in"), ch));
  for (std::uint64_t i = 0; i < 4; ++i) ch->push(frame(i));
  int calls = 0;
  Result<std::size_t> n = reader.in.drain([&](AnyFrame&&) -> Result<void> {
    if (++calls == 2) return make_error(ErrorCode::kIo, "second frame failed");
    return {};
  });
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message(), "second frame failed");
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(pop_all(*ch), ElementsAre(2u, 3u));
}

TEST(LinkChannelTest, DrainReturnsEvenWhileTheProducerKeepsUp) {
  // A drain() that chased a fast producer would never return, and its processor would never
  // reach a safe point for a live change.
  auto ch = make_channel({.capacity = 32, .policy = LinkPolicy::kDropNewest});
  Reader reader;
  ASSERT_TRUE(reader.in.attach(LinkId("a.out->b.in"), ch));
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) ch->push(frame(i));
  });
  for (int call = 0; call < 100; ++call) {
    const std::size_t n =
        reader.in.drain([](DataFrame&&) { std::this_thread::sleep_for(std::chrono::microseconds(20)); });
    EXPECT_LE(n, 32u);  // at most one ring's worth per call
  }
  stop = true;
  producer.join();
}

TEST(LinkChannelTest, GrowingKeepsEveryQueuedMessageInOrder) {
  auto ch = make_channel({.capacity = 4, .policy = LinkPolicy::kDropNewest});
  for (std::uint64_t i = 0; i < 4; ++i) ch->push(frame(i));
  ch->resize_here({.capacity = 10});
  EXPECT_EQ(ch->config().capacity, 10u);
  EXPECT_EQ(ch->config().policy, LinkPolicy::kDropNewest);  // unset fields keep their value
  for (std::uint64_t i = 4; i < 12; ++i) ch->push(frame(i));
  EXPECT_THAT(pop_all(*ch), ElementsAre(0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u));
  EXPECT_EQ(ch->stats().dropped, 2u);
}

TEST(LinkChannelTest, ShrinkingLetsThePolicyDecideWhatGoesAndCountsIt) {
  // drop_oldest: the oldest excess is discarded (at the consumer's safe point) and counted.
  auto oldest = make_channel({.capacity = 8, .policy = LinkPolicy::kDropOldest});
  for (std::uint64_t i = 0; i < 6; ++i) oldest->push(frame(i));
  oldest->resize_here({.capacity = 2});
  EXPECT_EQ(oldest->stats().depth, 2u);
  EXPECT_THAT(pop_all(*oldest), ElementsAre(4u, 5u));
  EXPECT_EQ(oldest->stats().dropped, 4u);

  // drop_newest discards what is being pushed, never what it already accepted: the queue is
  // kept and new messages are refused until it is below the new capacity.
  auto newest = make_channel({.capacity = 8, .policy = LinkPolicy::kDropNewest});
  for (std::uint64_t i = 0; i < 6; ++i) newest->push(frame(i));
  newest->resize_here({.capacity = 2});
  newest->push(frame(6));  // 6 queued >= 2: refused
  EXPECT_EQ(newest->stats().dropped, 1u);
  EXPECT_THAT(pop_all(*newest), ElementsAre(0u, 1u, 2u, 3u, 4u, 5u));
  newest->push(frame(7));
  newest->push(frame(8));
  newest->push(frame(9));  // the new capacity holds from here on
  EXPECT_THAT(pop_all(*newest), ElementsAre(7u, 8u));

  // `block` never throws queued messages away: they stay, and the producer waits until the
  // queue is below the new capacity.
  auto block =
      make_channel({.capacity = 8, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::milliseconds(5)});
  for (std::uint64_t i = 0; i < 6; ++i) block->push(frame(i));
  block->resize_here({.capacity = 2});
  block->push(frame(6));  // queue is 6 >= 2: times out, dropped
  EXPECT_EQ(block->stats().dropped, 1u);
  EXPECT_THAT(pop_all(*block), ElementsAre(0u, 1u, 2u, 3u, 4u, 5u));
  block->push(frame(7));
  EXPECT_THAT(pop_all(*block), ElementsAre(7u));
}

TEST(LinkChannelTest, ChangingPolicyAndReadModeLive) {
  auto ch = make_channel({.capacity = 3, .policy = LinkPolicy::kBlock});
  ch->push(frame(0));
  ch->resize_here({.policy = LinkPolicy::kDropOldest, .read_mode = ReadMode::kLatest});
  for (std::uint64_t i = 1; i < 6; ++i) ch->push(frame(i));
  auto f = ch->pop();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->frame_number(), 5u);
}

TEST(LinkChannelTest, AResizeHandsOverWhileBothSidesRunAndKeepsOrder) {
  // The producer switches rings between two pushes and the consumer follows when it has read
  // the old ring to its end: nothing is lost or reordered, and nobody waits for the other.
  auto ch = make_channel({.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(10)});
  constexpr std::uint64_t kCount = 50000;
  std::atomic<bool> done{false};
  std::vector<std::uint64_t> got;
  got.reserve(kCount);
  std::thread consumer([&] {
    while (got.size() < kCount) {
      if (auto f = ch->pop()) got.push_back(f->frame_number());
    }
    done = true;
  });
  for (std::uint64_t i = 0; i < kCount; ++i) {
    if (i % 1000 == 500) {
      const void* ring = ch->prepare_resize({.capacity = static_cast<std::uint32_t>(2 + (i / 1000) % 7)});
      ch->producer_switch(ring);
      ch->commit_resize(ring);
    }
    ch->push(frame(i));
  }
  consumer.join();
  ASSERT_EQ(got.size(), kCount);
  for (std::uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(got[i], i);
  EXPECT_EQ(ch->stats().dropped, 0u);
  EXPECT_EQ(ch->stats().depth, 0u);
}

// A producer thread's context on which the test raises a waiting live change: the next look
// at it takes it (a push blocked at that moment spills), as a control command would be.
class SpillingContext final : public internal::ThreadContext {
 public:
  void raise_change() { change_.store(true); }
  bool stopping() const noexcept override { return false; }
  bool change_waiting() const noexcept override { return change_.exchange(false); }
  void run_port_commands() override {}

 private:
  mutable std::atomic<bool> change_{false};
};

TEST(LinkChannelTest, AProducerBlockedAfterSpillingIsWokenWhenTheConsumerMakesRoom) {
  // Spills hand the producer over to larger rings while the consumer still reads older ones,
  // and a producer that blocks again then sleeps and wakes once per message the consumer takes
  // from an older ring. It must be woken when room appears, however its going to sleep and the
  // consumer's pops interleave: a lost wake-up shows as a push that waits out the block
  // timeout and is dropped.
  auto ch = make_channel({.capacity = 2, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(20)});
  constexpr std::uint64_t kCount = 8000;
  constexpr std::uint64_t kPhase = 200;
  std::vector<std::uint64_t> got;
  got.reserve(kCount);
  std::atomic<bool> pushed_all{false};
  std::thread consumer([&] {
    while (!pushed_all.load() || ch->has_data()) {
      if (auto f = ch->pop()) {
        got.push_back(f->frame_number());
        // A consumer slower than the producer (about 20 us a message, without sleeping), so
        // that older rings hold hundreds of messages while the producer waits.
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
        while (std::chrono::steady_clock::now() < until) {
        }
      }
    }
  });
  // Changes keep coming for kPhase pushes (each push that blocks spills), then none for kPhase
  // (the producer sleeps on a full ring while the consumer reads the older ones).
  SpillingContext ctx;
  internal::t_thread_context = &ctx;
  for (std::uint64_t i = 0; i < kCount; ++i) {
    if ((i / kPhase) % 2 == 0) ctx.raise_change();
    ch->push(frame(i));
  }
  internal::t_thread_context = nullptr;
  pushed_all = true;
  consumer.join();
  ASSERT_EQ(got.size(), kCount);
  for (std::uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(got[i], i);
  const LinkStats s = ch->stats();
  EXPECT_GT(s.spilled, 0u);
  EXPECT_EQ(s.dropped, 0u);
}

TEST(LinkChannelTest, LatencyIsSampledWhileTheConsumerSleeps) {
  auto notifier = std::make_shared<Notifier>();
  auto ch = std::make_shared<internal::LinkChannel<DataFrame>>(
      internal::LinkChannelBase::Endpoints{LinkId("x"), "a.out", "b.in"}, default_link_config<DataFrame>(), notifier);
  std::atomic<int> got{0};
  std::thread consumer([&] {
    while (got.load() < 20) {
      notifier->wait([&] { return ch->has_data(); });
      while (auto f = ch->pop()) ++got;
    }
  });
  for (std::uint64_t i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ch->push(frame(i));
  }
  consumer.join();
  const LinkStats s = ch->stats();
  EXPECT_GE(s.latency_samples, 10u);  // most pushes found the consumer asleep
  EXPECT_GT(s.latency_p50_ns, 0);
  EXPECT_LE(s.latency_p50_ns, s.latency_p99_ns);
  EXPECT_LE(s.latency_p99_ns, s.latency_p999_ns);
  EXPECT_LT(s.latency_p50_ns, 1'000'000'000);
}

TEST(LatencyHistogramTest, PercentilesLandInTheRightBucket) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.record(1000);
  for (int i = 0; i < 10; ++i) h.record(1'000'000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.5)), 1000.0, 1000.0 * 0.07);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.999)), 1e6, 1e6 * 0.07);
  for (std::uint64_t v : {0ull, 15ull, 16ull, 17ull, 1000ull, 123456789ull}) {
    const std::size_t b = LatencyHistogram::bucket_of(v);
    EXPECT_LE(LatencyHistogram::bucket_lower(b), v);
    EXPECT_LT(v, LatencyHistogram::bucket_lower(b) + LatencyHistogram::bucket_width(b));
  }
}

}  // namespace
}  // namespace streamlib
