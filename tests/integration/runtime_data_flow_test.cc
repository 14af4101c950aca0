// Data flows through a running pipeline built with the public API: typed and string connect,
// fan-out, AnyFrame sinks, built-in processors, stats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace): test processors

class DataFlowTest : public RuntimeTest {};

TEST_F(DataFlowTest, MessagesFlowFromSourceToSinkInOrder) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 200}).value();
  auto sink = rt.add_processor<TestSink>({}).value();
  EXPECT_EQ(src.id().str(), "test_source_0");
  EXPECT_EQ(sink.id().str(), "test_sink_0");
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  ASSERT_TRUE(eventually([&] { return probe(sink.id()).received_count() >= 100; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe(sink.id()).snapshot()));
  EXPECT_EQ(probe(sink.id()).received_count(), probe(src.id()).emitted.load());  // stop drained the link
}

TEST_F(DataFlowTest, StartingFirstAndBuildingAfterwardsWorksTheSame) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.start());
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 50; }));
  // The source ran as soon as it was added, into its plug, until the link arrived: what the
  // sink got is an unbroken run from there. (Manual commit mode adds both at once.)
  EXPECT_TRUE(is_consecutive(probe("sink").snapshot()));
}

TEST_F(DataFlowTest, FanOutDeliversEveryMessageToEveryLink) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300, .count = 200}, "src").value();
  std::vector<ProcessorHandle<TestSink>> sinks;
  for (int i = 0; i < 3; ++i) {
    sinks.push_back(rt.add_processor<TestSink>({}).value());
    ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sinks.back().input(&TestSink::in)));
  }
  ASSERT_TRUE(rt.start());
  for (auto& s : sinks) {
    ASSERT_TRUE(eventually([&] { return probe(s.id()).received_count() == 200; }));
    EXPECT_TRUE(is_contiguous_from_zero(probe(s.id()).snapshot()));
  }
  const RuntimeStats stats = rt.stats();
  ASSERT_EQ(stats.links.size(), 3u);
  for (const LinkStats& l : stats.links) {
    EXPECT_EQ(l.pushed, 200u) << l.id;
    EXPECT_EQ(l.delivered, 200u) << l.id;
    EXPECT_EQ(l.dropped, 0u) << l.id;
  }
}

TEST_F(DataFlowTest, BuiltInSequenceSourceIntoCounterLosesNothing) {
  StreamRuntime rt;
  auto src = rt.add_processor<SequenceSource>({.interval_us = 100, .count = 500}).value();
  auto count = rt.add_processor<Counter>({}).value();
  EXPECT_EQ(src.id().str(), "sequence_source_0");
  ASSERT_TRUE(rt.connect(src.output(&SequenceSource::out), count.input(&Counter::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    auto c = rt.stats().find_processor(count.id());
    return c && c->metrics.value("received", 0) == 500;
  }));
  auto c = rt.stats().find_processor(count.id());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->metrics["gaps"], 0);
  EXPECT_EQ(c->metrics["reordered"], 0);
  EXPECT_EQ(c->metrics["bytes"], 500 * 8);
}

TEST_F(DataFlowTest, AnyFrameSinksTakeVideo) {
  StreamRuntime rt;
  auto cam = rt.add_processor<TestVideoSource>({}).value();
  auto null = rt.add_processor<NullSink>({}).value();
  ASSERT_TRUE(rt.connect(cam.output(&TestVideoSource::video), null.input(&NullSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    auto n = rt.stats().find_processor(null.id());
    return n && n->metrics.value("received", 0) >= 5;
  }));
  const RuntimeStats stats = rt.stats();
  ASSERT_EQ(stats.links.size(), 1u);
  const LinkStats& l = stats.links[0];
  EXPECT_EQ(l.message_type, "VideoFrame");
  EXPECT_EQ(l.config.capacity, 3u);
  EXPECT_EQ(l.config.policy, LinkPolicy::kDropOldest);
}

TEST_F(DataFlowTest, StringConnectIsCheckedAtRuntime) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor("TestSource", {{"interval_us", 500}}, "src"));
  ASSERT_TRUE(rt.add_processor("TestSink", {}, "sink"));
  ASSERT_TRUE(rt.add_processor("TestVideoSink", {}, "video"));
  ASSERT_TRUE(rt.start());

  auto bad_port = rt.connect("src.output", "sink.in");
  ASSERT_FALSE(bad_port);
  EXPECT_EQ(bad_port.error().message(),
            "cannot connect src.output -> sink.in: processor 'src' (TestSource) has no output port 'output' "
            "(outputs: out)");
  auto mismatch = rt.connect("src.out", "video.video");
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), ErrorCode::kTypeMismatch);
  EXPECT_THAT(mismatch.error().message(), HasSubstr("src.out carries DataFrame, video.video takes VideoFrame"));
  auto bad_text = rt.connect("src", "sink.in");
  ASSERT_FALSE(bad_text);
  EXPECT_THAT(bad_text.error().message(), HasSubstr("connect: from: 'src' is not a port address"));

  auto ok = rt.connect("src.out", "sink.in");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->id().str(), "src.out->sink.in");
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
}

TEST_F(DataFlowTest, StatsReportEveryProcessorAndLink) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 500}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  EXPECT_TRUE(rt.stats().processors.empty());  // nothing runs yet
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 100; }));
  const RuntimeStats s = rt.stats();
  EXPECT_EQ(s.state, RuntimeState::kRunning);
  ASSERT_EQ(s.processors.size(), 2u);
  EXPECT_EQ(s.processors[0].id.str(), "sink");  // sorted by id
  EXPECT_EQ(s.processors[0].state, ProcessorState::kRunning);
  EXPECT_EQ(s.processors[0].execution, "reactive");
  EXPECT_EQ(s.processors[1].execution, "continuous(500us)");
  EXPECT_GE(s.processors[1].process_calls, 99u);  // counted as each call returns
  ASSERT_EQ(s.links.size(), 1u);
  const LinkStats& l = s.links[0];
  EXPECT_EQ(l.from, "src.out");
  EXPECT_EQ(l.to, "sink.in");
  EXPECT_GE(l.pushed, 100u);
  EXPECT_GE(l.delivered + l.depth, l.pushed - 1);
  EXPECT_GE(l.high_water, 1u);
  EXPECT_GT(l.latency_samples, 50u);  // the sink sleeps between messages: each is sampled
  EXPECT_GT(l.latency_p50_ns, 0);
  EXPECT_LE(l.latency_p50_ns, l.latency_p99_ns);
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j["links"][0]["from"], "src.out");
  EXPECT_EQ(j["processors"][1]["state"], "running");
}

TEST_F(DataFlowTest, GraphSnapshotSerializesAndReloads) {
  StreamRuntime rt;
  auto src = rt.add_processor<SequenceSource>({.interval_us = 2000}).value();
  auto sink = rt.add_processor<Counter>({}).value();
  ASSERT_TRUE(rt.connect(src.output(&SequenceSource::out), sink.input(&Counter::in), {.capacity = 5}));
  const Graph g = rt.graph();
  auto again = Graph::from_json(g.to_json());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, g);
  EXPECT_THAT(g.to_dot(), HasSubstr("[label=\"5, block\"]"));
}

}  // namespace
}  // namespace streamlib
