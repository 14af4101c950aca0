// SpscRing: order, capacity, drop-oldest eviction, element lifetimes, and two threads at once.
#include "streamlib/link/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

namespace streamlib {
namespace {

// Counts live instances (rigtorp's TestType habit): every construction is matched by exactly
// one destruction.
struct Counted {
  static inline std::atomic<int> live{0};
  int value = 0;
  Counted() { ++live; }
  explicit Counted(int v) : value(v) { ++live; }
  Counted(const Counted& o) : value(o.value) { ++live; }
  Counted(Counted&& o) noexcept : value(o.value) { ++live; }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) noexcept = default;
  ~Counted() { --live; }
};

TEST(SpscRingTest, PopsInPushOrderUpToCapacity) {
  SpscRing<int> ring(3);
  EXPECT_EQ(ring.capacity(), 3u);
  EXPECT_EQ(ring.slot_count(), 4u);
  EXPECT_TRUE(ring.try_push(1));
  EXPECT_TRUE(ring.try_push(2));
  EXPECT_TRUE(ring.try_push(3));
  EXPECT_FALSE(ring.try_push(4));  // logical capacity, not slot count
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.try_pop(), 1);
  EXPECT_TRUE(ring.try_push(4));
  EXPECT_EQ(ring.try_pop(), 2);
  EXPECT_EQ(ring.try_pop(), 3);
  EXPECT_EQ(ring.try_pop(), 4);
  EXPECT_EQ(ring.try_pop(), std::nullopt);
  EXPECT_TRUE(ring.consumer_empty());
}

TEST(SpscRingTest, FailedPushLeavesTheValueUntouched) {
  SpscRing<std::unique_ptr<int>> ring(1);
  EXPECT_TRUE(ring.try_push(std::make_unique<int>(1)));
  auto keep = std::make_unique<int>(2);
  EXPECT_FALSE(ring.try_push(std::move(keep)));
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(*keep, 2);
}

TEST(SpscRingTest, OverwriteEvictsTheOldest) {
  SpscRing<int> ring(3, /*allow_overwrite=*/true);
  using R = SpscRing<int>::OverwriteResult;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ring.push_overwrite(int{i}), R::kPushed);
  EXPECT_EQ(ring.push_overwrite(3), R::kPushedEvicted);
  EXPECT_EQ(ring.push_overwrite(4), R::kPushedEvicted);
  EXPECT_EQ(ring.try_pop(), 2);
  EXPECT_EQ(ring.try_pop(), 3);
  EXPECT_EQ(ring.try_pop(), 4);
  EXPECT_EQ(ring.try_pop(), std::nullopt);
}

TEST(SpscRingTest, EveryElementIsDestroyedExactlyOnce) {
  Counted::live = 0;
  {
    SpscRing<Counted> ring(4, true);
    for (int i = 0; i < 10; ++i) (void)ring.push_overwrite(Counted(i));  // 6 evicted
    Counted out;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out.value, 6);
    EXPECT_EQ(Counted::live.load(), 3 + 1);  // three queued, plus `out`
  }                                          // ring destroys the three it still holds
  EXPECT_EQ(Counted::live.load(), 0);
}

TEST(SpscRingTest, TwoThreadsTransferAMillionInOrder) {
  constexpr int kCount = 1'000'000;
  SpscRing<int> ring(64);
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) {
      while (!ring.try_push(int{i})) std::this_thread::yield();
    }
  });
  int expected = 0;
  while (expected < kCount) {
    int v;
    if (ring.try_pop(v)) {
      ASSERT_EQ(v, expected);
      ++expected;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRingTest, OverwritingProducerAndConsumerNeverDuplicateOrReorder) {
  constexpr int kCount = 300'000;
  SpscRing<Counted> ring(8, true);
  Counted::live = 0;
  std::atomic<bool> done{false};
  std::uint64_t evicted = 0;
  std::uint64_t rejected = 0;
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) {
      switch (ring.push_overwrite(Counted(i))) {
        case SpscRing<Counted>::OverwriteResult::kPushed:
          break;
        case SpscRing<Counted>::OverwriteResult::kPushedEvicted:
          ++evicted;
          break;
        case SpscRing<Counted>::OverwriteResult::kRejected:
          ++rejected;
          break;
      }
    }
    done = true;
  });
  int last = -1;
  std::uint64_t received = 0;
  Counted c;
  while (!done.load() || !ring.empty()) {
    if (ring.try_pop(c)) {
      ASSERT_GT(c.value, last);  // strictly increasing: nothing twice, nothing out of order
      last = c.value;
      ++received;
    }
  }
  producer.join();
  EXPECT_EQ(received + evicted + rejected, static_cast<std::uint64_t>(kCount));
  // The newest arrives unless its push was the rare one rejected mid-read.
  if (rejected == 0) {
    EXPECT_EQ(last, kCount - 1);
  }
  EXPECT_EQ(Counted::live.load(), 1);  // only `c`
}

}  // namespace
}  // namespace streamlib
