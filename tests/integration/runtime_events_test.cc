// Events: every subscriber gets every event, in order; a slow subscriber stalls nobody.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)

class EventsTest : public RuntimeTest {};

std::vector<EventKind> kinds(const std::vector<Event>& events, std::initializer_list<EventKind> only) {
  std::vector<EventKind> out;
  for (const Event& e : events) {
    if (std::find(only.begin(), only.end(), e.kind) != only.end()) out.push_back(e.kind);
  }
  return out;
}

TEST_F(EventsTest, EverySubscriberGetsEveryEventInOrder) {
  StreamRuntime rt;
  EventLog a(rt);
  EventLog b(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 500}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)).value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.update_processor_config(sink, {.tag = "t"}));
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 5}));
  ASSERT_TRUE(rt.pause());
  ASSERT_TRUE(rt.resume());
  ASSERT_TRUE(rt.disconnect(link));
  ASSERT_TRUE(rt.remove_processor(sink));
  ASSERT_TRUE(rt.stop());
  ASSERT_TRUE(a.wait_for(EventKind::kRuntimeStopped));
  ASSERT_TRUE(b.wait_for(EventKind::kRuntimeStopped));
  const auto ea = a.events();
  const auto eb = b.events();
  ASSERT_EQ(ea.size(), eb.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].sequence, i + 1) << to_string(ea[i]);  // no gaps, no reordering
    EXPECT_EQ(eb[i].sequence, ea[i].sequence);
    EXPECT_EQ(eb[i].kind, ea[i].kind);
    if (i > 0) {
      EXPECT_GE(ea[i].timestamp_ns, ea[i - 1].timestamp_ns);
    }
  }
  EXPECT_THAT(
      kinds(ea, {EventKind::kProcessorAdded, EventKind::kLinkCreated, EventKind::kRuntimeStarting,
                 EventKind::kRuntimeStarted, EventKind::kProcessorConfigUpdated, EventKind::kLinkUpdated,
                 EventKind::kRuntimePaused, EventKind::kRuntimeResumed, EventKind::kLinkRemoved,
                 EventKind::kProcessorRemoved, EventKind::kRuntimeStopping, EventKind::kRuntimeStopped}),
      ::testing::ElementsAre(EventKind::kProcessorAdded, EventKind::kProcessorAdded, EventKind::kLinkCreated,
                             EventKind::kRuntimeStarting, EventKind::kRuntimeStarted,
                             EventKind::kProcessorConfigUpdated, EventKind::kLinkUpdated, EventKind::kRuntimePaused,
                             EventKind::kRuntimeResumed, EventKind::kLinkRemoved, EventKind::kProcessorRemoved,
                             EventKind::kRuntimeStopping, EventKind::kRuntimeStopped));
  // Processor states travel too: the source went pending -> running -> paused -> running ->
  // finished (stop() ends every stream) -> stopping -> stopped.
  std::vector<ProcessorState> src_states;
  for (const Event& e : ea) {
    if (e.kind == EventKind::kProcessorStateChanged && e.processor == ProcessorId("src")) src_states.push_back(e.state);
  }
  EXPECT_THAT(src_states,
              ::testing::ElementsAre(ProcessorState::kRunning, ProcessorState::kPaused, ProcessorState::kRunning,
                                     ProcessorState::kFinished, ProcessorState::kStopping, ProcessorState::kStopped));
  EXPECT_THAT(to_string(ea.front()), HasSubstr("#1 processor_added processor=src: TestSource"));
}

TEST_F(EventsTest, ASlowSubscriberDelaysOnlyItselfAndMissesNothing) {
  StreamRuntime rt;
  std::atomic<int> slow_seen{0};
  rt.subscribe([&](const Event&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ++slow_seen;
  });
  EventLog fast(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {  // 10 pause/resume cycles: ~60 events, over a second of slow callbacks
    ASSERT_TRUE(rt.pause());
    ASSERT_TRUE(rt.resume());
  }
  // The control calls did not wait for the slow subscriber...
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(800));
  // ...and neither did the processors.
  const std::size_t n = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= n + 100; }, std::chrono::milliseconds(900)));
  EXPECT_LT(slow_seen.load(), static_cast<int>(fast.events().size()));
  // Eventually the slow one has every event too.
  const std::size_t total = fast.events().size();
  ASSERT_TRUE(eventually([&] { return slow_seen.load() >= static_cast<int>(total); }, std::chrono::seconds(20)));
}

TEST_F(EventsTest, UnsubscribeEndsDelivery) {
  StreamRuntime rt;
  std::atomic<int> seen{0};
  const SubscriptionId id = rt.subscribe([&](const Event&) { ++seen; });
  ASSERT_TRUE(rt.add_processor<TestSource>({}));
  ASSERT_TRUE(eventually([&] { return seen.load() == 1; }));
  EXPECT_TRUE(rt.unsubscribe(id));
  EXPECT_FALSE(rt.unsubscribe(id));
  ASSERT_TRUE(rt.add_processor<TestSource>({}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(seen.load(), 1);
}

}  // namespace
}  // namespace streamlib
