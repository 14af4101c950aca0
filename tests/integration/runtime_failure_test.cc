// Failure isolation: a processor that throws or returns an error goes to Error, an event names
// it, and the rest of the graph keeps running. A failing setup is reported by the call that
// started it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)

class FailureTest : public RuntimeTest {};

TEST_F(FailureTest, AnExceptionInProcessIsolatesThatProcessorOnly) {
  StreamRuntime rt;
  EventLog log(rt);
  auto bad = rt.add_processor<TestSource>({.interval_us = 200, .throw_at = 50}, "bad").value();
  auto good = rt.add_processor<TestSource>({.interval_us = 200}, "good").value();
  auto bad_sink = rt.add_processor<TestSink>({}, "bad_sink").value();
  auto good_sink = rt.add_processor<TestSink>({}, "good_sink").value();
  ASSERT_TRUE(rt.connect(bad.output(&TestSource::out), bad_sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.connect(good.output(&TestSource::out), good_sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(log.wait_for(EventKind::kError, "processor 'bad' (TestSource): process() threw: test source exploded"));
  auto s = rt.stats().find_processor(ProcessorId("bad"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, ProcessorState::kError);
  EXPECT_EQ(s->last_error, "process() threw: test source exploded");
  const std::uint64_t calls = probe("bad").process_calls;
  const std::size_t good_before = probe("good_sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("good_sink").received_count() >= good_before + 100; }));
  EXPECT_EQ(probe("bad").process_calls, calls);  // no more calls once in Error
  EXPECT_EQ(probe("bad_sink").received_count(), 50u);
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("bad").teardowns, 1u);  // teardown still runs for a processor that failed in process()
}

TEST_F(FailureTest, AnErrorReturnedFromProcessIsReportedTheSameWay) {
  StreamRuntime rt;
  EventLog log(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto sink = rt.add_processor<TestSink>({.fail_at = 20}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(log.wait_for(EventKind::kError, "processor 'sink' (TestSink): frame 20 is cursed"));
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("sink"))->state, ProcessorState::kError);
  // A new config is the way back: the processor is rebuilt and runs again on the same link.
  ASSERT_TRUE(rt.update_processor_config(sink, {.fail_at = 0}));
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("sink"))->state, ProcessorState::kRunning);
  const std::size_t n = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= n + 20; }));
  EXPECT_TRUE(is_increasing(probe("sink").snapshot()));
}

TEST_F(FailureTest, AFailedConsumerDoesNotStallItsProducersOtherLinks) {
  StreamRuntime rt;
  EventLog log(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto bad = rt.add_processor<TestSink>({.fail_at = 5}, "bad").value();
  auto good = rt.add_processor<TestSink>({}, "good").value();
  const LinkConfig block{.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(5)};
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), bad.input(&TestSink::in), block));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), good.input(&TestSink::in), block));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(log.wait_for(EventKind::kError, "processor 'bad'"));
  // With a 5 s block timeout, a producer waiting on the dead link would deliver a handful of
  // messages a minute; instead it goes on at full rate and the dead link counts drops.
  const std::size_t n = probe("good").received_count();
  ASSERT_TRUE(eventually([&] { return probe("good").received_count() >= n + 500; }, std::chrono::seconds(3)));
  EXPECT_GT(rt.stats().find_link(LinkId("src.out->bad.in"))->dropped, 100u);
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("good").snapshot()));
}

TEST_F(FailureTest, AFailingSetupIsReportedByStartAndTheRestRuns) {
  StreamRuntime rt;
  EventLog log(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto cam = rt.add_processor<FailingSetup>({.device = "/dev/video9"}, "cam").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), cam.input(&FailingSetup::in)));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  auto r = rt.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);  // setup()'s own code, kept
  EXPECT_EQ(r.error().message(), "processor 'cam' (FailingSetup): setup failed: no such device /dev/video9");
  EXPECT_TRUE(log.wait_for(EventKind::kError, "processor 'cam' (FailingSetup): setup failed"));
  EXPECT_TRUE(log.wait_for(EventKind::kRuntimeFailed, "processor 'cam' (FailingSetup): setup failed"));
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("cam"))->state, ProcessorState::kError);
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  // Adding one live reports the same way, and the failed change is rolled back: nothing of it
  // stays in the graph or the pipeline, no processor_added is announced, and the next change
  // is unaffected.
  auto live = rt.add_processor<FailingSetup>({}, "cam2");
  ASSERT_FALSE(live);
  EXPECT_THAT(live.error().message(), HasSubstr("processor 'cam2' (FailingSetup): setup failed: no such device"));
  EXPECT_FALSE(rt.graph().find_processor(ProcessorId("cam2")).has_value());
  EXPECT_FALSE(rt.stats().find_processor(ProcessorId("cam2")).has_value());
  EXPECT_FALSE(rt.has_pending_changes());
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "after"));
  ASSERT_TRUE(log.wait_for(EventKind::kProcessorAdded, "TestSink"));
  for (const Event& e : log.events()) {
    EXPECT_FALSE(e.kind == EventKind::kProcessorAdded && e.processor == ProcessorId("cam2")) << to_string(e);
  }
  ASSERT_TRUE(rt.stop());
}

// RuntimeOptions::all_or_nothing_start (what `streamlib run` uses): a graph that cannot start
// whole runs nothing — no process() anywhere, so no frame reaches a sink — and the runtime is
// idle again, its graph kept, to be fixed and started.
TEST_F(FailureTest, AnAllOrNothingStartWithAFailingSetupReleasesNothingAndLeavesTheRuntimeIdle) {
  StreamRuntime rt(RuntimeOptions{.all_or_nothing_start = true});
  EventLog log(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto cam = rt.add_processor<FailingSetup>({.device = "/dev/video9"}, "cam").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), cam.input(&FailingSetup::in)));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  const Graph graph = rt.graph();
  auto r = rt.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(), "processor 'cam' (FailingSetup): setup failed: no such device /dev/video9");
  EXPECT_TRUE(log.wait_for(EventKind::kRuntimeFailed, "processor 'cam' (FailingSetup): setup failed"));
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  EXPECT_EQ(probe("src").setups, 1u) << "set up, then torn down without running";
  EXPECT_EQ(probe("src").process_calls, 0u);
  EXPECT_EQ(probe("sink").process_calls, 0u);
  EXPECT_EQ(probe("sink").received_count(), 0u);
  EXPECT_EQ(probe("src").teardowns, 1u);
  EXPECT_EQ(probe("sink").teardowns, 1u);
  EXPECT_EQ(rt.graph(), graph);
  // Fixed, it starts.
  ASSERT_TRUE(rt.remove_processor(cam));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
