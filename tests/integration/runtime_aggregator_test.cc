// A user's own Aggregator (tests/testing/aggregator_test_processors.h, not in the catalogue)
// through a real runtime: two inputs at different rates, one stalling, one ending early. The
// output order and the stall count are exact; the phases are sequenced by what the sink has
// received, never by sleeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"
#include "testing/aggregator_test_processors.h"
#include "testing/test_processors.h"

namespace streamlib {
namespace {

using ::testing::ElementsAre;
using testing::eventually;
using ::testing::HasSubstr;
using testing::Interleave;
using testing::Script;
using testing::ScriptedSink;
using testing::ScriptedSource;

// Declares InputsReady::kSynchronized without being an Aggregator.
class NotAnAggregator : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(NotAnAggregator, "kSynchronized without the Aggregator base",
                      Reactive{.inputs = InputsReady::kSynchronized, .timeout = std::chrono::milliseconds(100)});
  LinkInput<DataFrame> a{this, "a"};
  LinkInput<DataFrame> b{this, "b"};
  Result<void> process() override {
    (void)a.read();
    (void)b.read();
    return {};
  }
};

TEST(RuntimeAggregator, KSynchronizedOnAProcessorThatIsNotAnAggregatorIsRefusedWhenAddedNamingIt) {
  StreamRuntime rt;
  Script::reset("other");
  ASSERT_TRUE(rt.add_processor<ScriptedSink>({}, "other"));
  auto added = rt.add_processor<NotAnAggregator>({}, "odd");
  ASSERT_FALSE(added);
  EXPECT_THAT(added.error().message(), HasSubstr("odd"));
  EXPECT_THAT(added.error().message(), HasSubstr("NotAnAggregator"));
  EXPECT_THAT(added.error().message(), HasSubstr("kSynchronized is the mode of an Aggregator"));
  EXPECT_FALSE(rt.graph().find_processor(ProcessorId("odd")));  // the graph is untouched
  EXPECT_TRUE(rt.graph().find_processor(ProcessorId("other")));

  ProcessorHarness<NotAnAggregator> h;
  auto started = h.start();
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().message(), HasSubstr("kSynchronized is the mode of an Aggregator"));
}

TEST(RuntimeAggregator, AUsersAggregatorMergesInOrderStallsTheSilentInputOnceAndFinishesAfterBothEnd) {
  for (const char* id : {"agg_a", "agg_b", "agg_sink"}) Script::reset(id);
  auto a = Script::get("agg_a");
  auto b = Script::get("agg_b");
  auto sink = Script::get("agg_sink");

  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<ScriptedSource>({.name = "a"}, "agg_a"));
  ASSERT_TRUE(rt.add_processor<ScriptedSource>({.name = "b"}, "agg_b"));
  // A long timeout: the two sources start within it on any machine, so only the silence the
  // script makes is a stall.
  ASSERT_TRUE(rt.add_processor<Interleave>({.window_ms = 10, .timeout_ms = 1000}, "agg"));
  ASSERT_TRUE(rt.add_processor<ScriptedSink>({}, "agg_sink"));
  ASSERT_TRUE(rt.connect("agg_a.out", "agg.a"));
  ASSERT_TRUE(rt.connect("agg_b.out", "agg.b"));
  ASSERT_TRUE(rt.connect("agg.out", "agg_sink.in"));
  ASSERT_TRUE(rt.start());
  auto stalls = [&] { return rt.stats().find_processor(ProcessorId("agg"))->input_stalls; };

  // a every 10 ms, b every 25 ms, then b goes silent: [20,30) waits for it, then goes on.
  a->send({0, 10, 20, 30, 40});
  b->send({0, 25});
  ASSERT_TRUE(eventually([&] { return sink->got().size() >= 6; }));
  EXPECT_THAT(sink->got(), ElementsAre("a0", "b0", "a10", "a20", "b25", "a30"));
  ASSERT_TRUE(eventually([&] { return stalls() == 1; }));

  // a ends early: its last message goes out without waiting for the stalled b.
  a->end();
  ASSERT_TRUE(eventually([&] { return sink->got().size() >= 7; }));

  // b comes back, then ends: the stream finishes by itself.
  b->send({50, 75, 100});
  b->end();
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(30)));
  EXPECT_TRUE(sink->has_ended());
  EXPECT_THAT(sink->got(), ElementsAre("a0", "b0", "a10", "a20", "b25", "a30", "a40", "b50", "b75", "b100", "end"));
  EXPECT_EQ(stalls(), 1u);
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
