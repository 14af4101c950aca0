// Aggregator through ProcessorHarness: the windows it makes, what each input's status is in
// each, exactly when the live timeout stalls an input, and that a call which cannot go on is
// not repeated. The same processor runs through a real runtime in
// tests/integration/runtime_aggregator_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "streamlib/testing/processor_harness.h"
#include "testing/aggregator_test_processors.h"

namespace streamlib {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::Interleave;
using ::testing::IsEmpty;
using testing::stamped;

std::vector<std::string> texts(ProcessorHarness<Interleave>& h) {
  std::vector<std::string> v;
  for (const DataFrame& f : h.take<DataFrame>("out")) v.emplace_back(f.text());
  return v;
}

Result<void> send(ProcessorHarness<Interleave>& h, const char* input, std::initializer_list<std::int64_t> ms) {
  for (std::int64_t t : ms) STREAMLIB_RETURN_IF_ERROR(h.push(input, stamped(input, t)));
  return {};
}

TEST(Aggregator, MergesTwoRatesWindowByWindowStallsTheSilentInputOnceAndDrainsAfterAnEarlyEnd) {
  ProcessorHarness<Interleave> h({.window_ms = 10, .timeout_ms = 100});
  ASSERT_TRUE(h.start());
  // a every 10 ms, b every 25 ms; b then goes silent with its 25 ms message in hand.
  ASSERT_TRUE(send(h, "a", {0, 10, 20, 30, 40}));
  ASSERT_TRUE(send(h, "b", {0, 25}));
  ASSERT_TRUE(h.run());
  // [20,30) needs b's data through 30 ms: it waits.
  EXPECT_THAT(texts(h), ElementsAre("a0", "b0", "a10"));
  EXPECT_EQ(h.input_stalls(), 0u);

  // Nothing changes before the timeout: not a single call (no spinning on the data it holds).
  h.advance(milliseconds(99));
  ASSERT_EQ(h.run().value(), 0u);
  EXPECT_THAT(texts(h), IsEmpty());

  // At the timeout b is stalled, once, and the windows go on without it (its 25 ms message,
  // already here, goes out in its window).
  h.advance(milliseconds(1));
  ASSERT_EQ(h.run().value(), 1u);
  EXPECT_THAT(texts(h), ElementsAre("a20", "b25", "a30"));
  EXPECT_EQ(h.input_stalls(), 1u);
  EXPECT_EQ(h.processor().stalls(1), 1u);
  EXPECT_EQ(h.processor().stalls(0), 0u);

  // a ends early: its last message goes out at once (b is stalled, not waited for).
  ASSERT_TRUE(h.end_input("a"));
  ASSERT_TRUE(h.run());
  EXPECT_THAT(texts(h), ElementsAre("a40"));

  // b comes back and ends: its messages go out in order, then the end.
  ASSERT_TRUE(send(h, "b", {50, 75, 100}));
  ASSERT_TRUE(h.end_input("b"));
  ASSERT_TRUE(h.run());
  EXPECT_THAT(texts(h), ElementsAre("b50", "b75", "b100", "end"));
  EXPECT_TRUE(h.output_ended("out"));
  EXPECT_EQ(h.input_stalls(), 1u);  // coming back and ending are not stalls
  EXPECT_THAT(h.processor().windows,
              ElementsAre("[0,10) a=complete b=complete", "[10,20) a=complete b=complete",
                          "[20,30) a=complete b=stalled", "[30,40) a=complete b=stalled", "[40,50) a=ended b=stalled",
                          "[50,60) a=ended b=complete", "[60,70) a=ended b=complete", "[70,80) a=ended b=complete",
                          "[80,90) a=ended b=complete", "[90,100) a=ended b=complete", "[100,110) a=ended b=ended"));
}

TEST(Aggregator, WaitsForEverWithNoTimeoutAndTakesOnlyWhatTheWindowNeeds) {
  ProcessorHarness<Interleave> h({.window_ms = 10, .timeout_ms = 0});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(send(h, "a", {0, 10, 20, 30}));
  ASSERT_TRUE(send(h, "b", {0}));
  ASSERT_TRUE(h.run());
  EXPECT_THAT(texts(h), IsEmpty());  // [0,10) waits for b's data through 10 ms
  h.advance(std::chrono::hours(1));
  ASSERT_EQ(h.run().value(), 0u);
  EXPECT_EQ(h.input_stalls(), 0u);
  // a's later messages are still on its link: only what [0,10) needed was taken.
  EXPECT_TRUE(h.processor().a.has_data());
  ASSERT_TRUE(send(h, "b", {30}));
  ASSERT_TRUE(h.run());
  EXPECT_THAT(texts(h), ElementsAre("a0", "b0", "a10", "a20"));  // [30,40) waits for a's next
}

TEST(Aggregator, AnInputWithNoLinkIsNotWaitedFor) {
  ProcessorHarness<Interleave> h({.window_ms = 10, .timeout_ms = 100});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(send(h, "a", {0, 10, 20}));
  ASSERT_TRUE(h.run());
  EXPECT_THAT(texts(h), ElementsAre("a0", "a10"));
  EXPECT_EQ(h.input_stalls(), 0u);
  EXPECT_THAT(h.processor().windows, ElementsAre("[0,10) a=complete b=unlinked", "[10,20) a=complete b=unlinked"));
}

TEST(Aggregator, DeclaresSynchronizedReadinessWithItsConfiguredTimeout) {
  ProcessorHarness<Interleave> h({.timeout_ms = 250});
  const ExecutionConfig c = h.processor().execution_config();
  const auto* r = std::get_if<Reactive>(&c.mode);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs, InputsReady::kSynchronized);
  EXPECT_EQ(r->timeout, milliseconds(250));
  EXPECT_NE(r->gate, nullptr);
  EXPECT_EQ(to_string(c.mode), "reactive(synchronized)");
}

}  // namespace
}  // namespace streamlib
