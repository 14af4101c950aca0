// The media data plane through the runtime: end of stream, synchronized inputs, ports per
// instance, device-driven processors, external memory and bounded pools.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "testing/media_test_processors.h"
#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)
using std::chrono::milliseconds;

class MediaTest : public RuntimeTest {
 protected:
  static void SetUpTestSuite() { register_media_test_processors(ProcessorFactory::global()); }
};

std::vector<std::uint64_t> iota_then(std::uint64_t n, std::uint64_t last) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(i);
  v.push_back(last);
  return v;
}

// --- End of stream -------------------------------------------------------------------------

TEST_F(MediaTest, EndOfStreamTravelsThroughAChainAndAFanOutAndTheRuntimeSaysSo) {
  StreamRuntime rt;
  EventLog log(rt);
  ASSERT_TRUE(rt.add_processor<FiniteSource>({.count = 50}, "src"));
  ASSERT_TRUE(rt.add_processor<DrainingRelay>({}, "relay"));
  ASSERT_TRUE(rt.add_processor<EndAwareSink>({}, "a"));
  ASSERT_TRUE(rt.add_processor<EndAwareSink>({}, "b"));
  ASSERT_TRUE(rt.connect("src.out", "relay.in"));
  ASSERT_TRUE(rt.connect("relay.out", "a.in"));
  ASSERT_TRUE(rt.connect("relay.out", "b.in", {.capacity = 2}));  // a slower, fuller branch
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(10)));
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  EXPECT_TRUE(log.wait_for(EventKind::kEndOfStream));
  // Everything before the end, in order, then the relay's flush from finish(); each sink
  // finished once, after all of it.
  for (const char* sink : {"a", "b"}) {
    EXPECT_EQ(probe(sink).snapshot(), iota_then(50, 1'000'000)) << sink;
    EXPECT_EQ(probe(sink).config_changes.load(), 1u) << sink;  // finish() calls
    EXPECT_EQ(probe(sink).emitted.load(), 51u) << sink;        // received when it finished
    EXPECT_EQ(rt.stats().find_processor(ProcessorId(sink))->state, ProcessorState::kFinished);
  }
  EXPECT_EQ(probe("src").config_changes.load(), 1u);
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("a").config_changes.load(), 1u);  // stop() does not finish twice
}

// The runtime's end of stream is seen after every processor upstream of the sinks has said it
// finished: a caller that waited for the end reads every processor as Finished, never a source
// still "running" whose end has already reached its sinks.
TEST_F(MediaTest, WhenTheRuntimeHasFinishedEveryProcessorReadsFinished) {
  for (int round = 0; round < 20; ++round) {
    StreamRuntime rt;
    ASSERT_TRUE(rt.add_processor<FiniteSource>({.interval_us = 1, .count = 3}, "src"));
    ASSERT_TRUE(rt.add_processor<DrainingRelay>({}, "relay"));
    ASSERT_TRUE(rt.add_processor<EndAwareSink>({}, "sink"));
    ASSERT_TRUE(rt.connect("src.out", "relay.in"));
    ASSERT_TRUE(rt.connect("relay.out", "sink.in"));
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(10)));
    for (const ProcessorStats& p : rt.stats().processors) {
      EXPECT_EQ(p.state, ProcessorState::kFinished) << p.id << " in round " << round;
    }
    ASSERT_TRUE(rt.stop());
  }
}

TEST_F(MediaTest, ALiveEditIsNotAnEndOfStream) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, "src"));
  ASSERT_TRUE(rt.add_processor<EndAwareSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
  ASSERT_TRUE(rt.remove_processor(ProcessorId("src")));
  EXPECT_FALSE(rt.wait_until_finished(milliseconds(200)));
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("sink"))->state, ProcessorState::kRunning);
  EXPECT_EQ(probe("sink").config_changes.load(), 0u);  // finish() not called
  // A new source reaches the same sink.
  ASSERT_TRUE(rt.add_processor<FiniteSource>({.count = 5}, "again"));
  ASSERT_TRUE(rt.connect("again.out", "sink.in"));
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(10)));
  ASSERT_TRUE(rt.stop());
}

TEST_F(MediaTest, StopEndsEveryStreamSoEncodersDrainAndWritersClose) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, "src"));
  ASSERT_TRUE(rt.add_processor<DrainingRelay>({}, "relay"));
  ASSERT_TRUE(rt.add_processor<EndAwareSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "relay.in"));
  ASSERT_TRUE(rt.connect("relay.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
  ASSERT_TRUE(rt.stop());
  const auto got = probe("sink").snapshot();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), 1'000'000u);  // the relay flushed at the end
  EXPECT_EQ(got.size() - 1, probe("src").emitted.load());
  EXPECT_EQ(probe("sink").config_changes.load(), 1u);
}

// --- Inputs that wait for each other --------------------------------------------------------

std::uint64_t cpu_ns(StreamRuntime& rt, const char* id) {
  return rt.stats().find_processor(ProcessorId(id))->cpu_time_ns;
}

TEST_F(MediaTest, AProcessorWaitingForItsOtherInputSleepsInsteadOfSpinning) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<FiniteSource>({.count = 3}, "a_src"));
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 60'000'000}, "b_src"));  // silent
  ASSERT_TRUE(rt.add_processor<SyncPair>({.timeout_ms = 0}, "pair"));               // waits for ever
  ASSERT_TRUE(rt.connect("a_src.out", "pair.a"));
  ASSERT_TRUE(rt.connect("b_src.out", "pair.b", {.capacity = 4}));
  ASSERT_TRUE(rt.start());
  // b_src emits one message at once (its first tick), then nothing for a minute.
  ASSERT_TRUE(eventually([&] { return probe("a_src").emitted >= 3; }));
  std::this_thread::sleep_for(milliseconds(100));
  const std::uint64_t calls = probe("pair").process_calls.load();
  const std::uint64_t cpu0 = cpu_ns(rt, "pair");
  std::this_thread::sleep_for(milliseconds(1000));
  // Data is waiting on `a` and nothing new arrives: no call, no CPU.
  EXPECT_EQ(probe("pair").process_calls.load(), calls);
  EXPECT_LT(cpu_ns(rt, "pair") - cpu0, 20'000'000u) << "the waiting processor used CPU";
  ASSERT_TRUE(rt.stop());
}

TEST_F(MediaTest, AStalledInputDoesNotStallTheOthersPastTheLiveTimeout) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 2000}, "a_src"));
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 2000}, "b_src"));
  ASSERT_TRUE(rt.add_processor<SyncPair>({.timeout_ms = 100}, "pair"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("a_src.out", "pair.a"));
  ASSERT_TRUE(rt.connect("b_src.out", "pair.b"));
  ASSERT_TRUE(rt.connect("pair.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("pair").emitted >= 20; }));  // pairs
  // b's source goes silent (a minute between messages), still linked: after the timeout the
  // pair goes on with `a` alone, and counts the stall.
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("b_src"), {{"interval_us", 60'000'000}}));
  const std::size_t before = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= before + 20; }));
  EXPECT_GT(probe("pair").pauses.load(), 0u);  // taken alone
  EXPECT_GT(rt.stats().find_processor(ProcessorId("pair"))->input_stalls, 0u);
  ASSERT_TRUE(rt.stop());
}

struct BurstConfig {
  std::uint32_t burst = 12;
  std::uint32_t bursts = 5;
};
STREAMLIB_CONFIG(BurstConfig, burst, bursts);

// One producer feeding both inputs of a muxer-like processor, further apart than a link holds:
// `burst` messages into `a`, then the same timestamps into `b` (a file whose video is stored
// ahead of its audio).
class BurstSplitSource : public Processor<BurstConfig> {
 public:
  STREAMLIB_PROCESSOR(BurstSplitSource, "Test source pushing bursts to a, then to b", Continuous{});
  LinkOutput<DataFrame> a{this, "a"};
  LinkOutput<DataFrame> b{this, "b"};
  Result<void> process() override {
    if (done_ >= config().bursts) {
      end_stream();
      return {};
    }
    const std::int64_t base = static_cast<std::int64_t>(done_) * config().burst;
    for (LinkOutput<DataFrame>* out : {&a, &b}) {
      for (std::uint32_t i = 0; i < config().burst; ++i) {
        WritableDataFrame w("t", 0);
        w.set_frame_number(static_cast<std::uint64_t>(base + i));
        w.set_timestamp_ns(1000 * (base + i));
        out->push(std::move(w).freeze());
      }
    }
    ++done_;
    return {};
  }

 private:
  std::uint32_t done_ = 0;
};

TEST_F(MediaTest, WithGoOnWhenFullOneProducerFeedingBothInputsNeverDeadlocks) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<BurstSplitSource>({.burst = 12, .bursts = 5}, "src"));
  // No live timeout to hide behind; a full input is ready (a muxer's setting).
  ASSERT_TRUE(rt.add_processor<SyncPair>({.timeout_ms = 0, .go_on_when_full = true}, "pair"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  const LinkConfig small{.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = milliseconds(60'000)};
  ASSERT_TRUE(rt.connect("src.a", "pair.a", small));
  ASSERT_TRUE(rt.connect("src.b", "pair.b", small));
  ASSERT_TRUE(rt.connect("pair.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  // Without the rule the source blocks on a full `a` while the pair waits for `b`: for ever.
  ASSERT_TRUE(rt.wait_until_finished(milliseconds(20'000))) << rt.stats().to_json().dump(1);
  // Every message was taken (none dropped by a link), and the pair ran with a full `a`.
  for (const LinkStats& l : rt.stats().links) {
    EXPECT_EQ(l.dropped, 0u) << l.id;
    if (l.to != "sink.in") {
      EXPECT_EQ(l.delivered, 60u) << l.id;
    }
  }
  EXPECT_GT(probe("pair").pauses.load(), 0u);  // called with `b` empty because `a` was full
  ASSERT_TRUE(rt.stop());
}

// --- Ports per instance ----------------------------------------------------------------------

TEST_F(MediaTest, PortsFollowTheConfigAndAChangeKeepsTheLinksOfPortsThatRemain) {
  StreamRuntime rt;
  EventLog log(rt);
  ASSERT_TRUE(rt.add_processor<MixerLike>({.inputs = 2}, "mix"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, fmt::format("s{}", i)));
  }
  auto node = rt.graph().find_processor(ProcessorId("mix"));
  ASSERT_TRUE(node);
  ASSERT_EQ(node->inputs().size(), 2u);
  EXPECT_EQ(node->inputs()[1].name, "in_1");
  auto no_port = rt.connect("s2.out", "mix.in_2");
  ASSERT_FALSE(no_port);
  EXPECT_THAT(no_port.error().message(), HasSubstr("has no input port 'in_2' (inputs: in_0, in_1)"));
  ASSERT_TRUE(rt.connect("s0.out", "mix.in_0"));
  ASSERT_TRUE(rt.connect("s1.out", "mix.in_1"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return MixerLike::on(probe("mix"), "in_1").size() >= 20; }));
  // 2 -> 3 inputs, live: in_0 and in_1 keep their links and lose nothing.
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("mix"), {{"inputs", 3}}));
  EXPECT_EQ(probe("mix").config_changes.load(), 1u);  // on_config_change, not a rebuild
  EXPECT_EQ(probe("mix").setups.load(), 1u);
  ASSERT_TRUE(rt.connect("s2.out", "mix.in_2"));
  EXPECT_TRUE(rt.graph().to_dot().find("in_2") != std::string::npos);
  ASSERT_TRUE(eventually([&] { return MixerLike::on(probe("mix"), "in_2").size() >= 20; }));
  // 3 -> 1: the links into in_1 and in_2 go, and are reported; in_0 flows on.
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("mix"), {{"inputs", 1}}));
  EXPECT_EQ(rt.graph().link_count(), 1u);
  EXPECT_EQ(rt.stats().links.size(), 1u);
  EXPECT_TRUE(log.wait_for(EventKind::kLinkRemoved));
  bool removed_1 = false;
  for (const Event& e : log.events())
    removed_1 |= e.kind == EventKind::kLinkRemoved && e.link == LinkId("s1.out->mix.in_1");
  EXPECT_TRUE(removed_1);
  const std::size_t n0 = MixerLike::on(probe("mix"), "in_0").size();
  ASSERT_TRUE(eventually([&] { return MixerLike::on(probe("mix"), "in_0").size() >= n0 + 20; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(MixerLike::on(probe("mix"), "in_0")));
  EXPECT_TRUE(is_consecutive(MixerLike::on(probe("mix"), "in_1")));
  EXPECT_TRUE(is_consecutive(MixerLike::on(probe("mix"), "in_2")));
}

TEST_F(MediaTest, AGraphFileNamesPortsThatDependOnTheConfig) {
  auto g = Graph::from_json(R"({
    "processors": [{"id": "s", "type": "TestSource"}, {"id": "m", "type": "MixerLike", "config": {"inputs": 4}}],
    "links": [{"from": "s.out", "to": "m.in_3"}]})");
  ASSERT_TRUE(g) << g.error().message();
  auto bad = Graph::from_json(R"({
    "processors": [{"id": "s", "type": "TestSource"}, {"id": "m", "type": "MixerLike", "config": {"inputs": 2}}],
    "links": [{"from": "s.out", "to": "m.in_3"}]})");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("has no input port 'in_3' (inputs: in_0, in_1)"));
}

// --- Processors driven by a device -----------------------------------------------------------

TEST_F(MediaTest, ADrivenProcessorRunsOnItsDeviceThreadAndIsRewiredLiveSafely) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 200}, "src"));
  ASSERT_TRUE(rt.add_processor<DeviceRelay>({.period_us = 300}, "dev"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "other"));
  ASSERT_TRUE(rt.connect("src.out", "dev.in"));
  ASSERT_TRUE(rt.connect("dev.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  EXPECT_EQ(probe("dev").resumes.load(), 1u);  // start_streaming() at release
  // Rewire it while its device thread keeps running cycles (TSan watches this).
  for (int round = 0; round < 30; ++round) {
    const std::size_t n = probe("other").received_count();
    ASSERT_TRUE(rt.connect("dev.out", "other.in"));  // a second branch, then gone again
    ASSERT_TRUE(rt.update_link_config(LinkId("src.out->dev.in"), {.capacity = static_cast<std::uint32_t>(4 + round)}));
    ASSERT_TRUE(eventually([&] { return probe("other").received_count() > n + 3; }));
    ASSERT_TRUE(rt.disconnect(LinkId("dev.out->other.in")));
  }
  // Pause stops the device's streaming; resume starts it again.
  ASSERT_TRUE(rt.pause());
  EXPECT_EQ(probe("dev").pauses.load(), 1u);
  const std::uint64_t cycles = probe("dev").process_calls.load();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(probe("dev").process_calls.load(), cycles);  // no cycle while paused
  ASSERT_TRUE(rt.resume());
  EXPECT_EQ(probe("dev").resumes.load(), 2u);
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("dev").snapshot()));  // every message, in order
  EXPECT_EQ(probe("dev").teardowns.load(), 1u);
}

// --- Memory ------------------------------------------------------------------------------------

TEST_F(MediaTest, ExternalMemoryIsReleasedExactlyOnceOnTheLastReader) {
  ExternalBuffers& b = ExternalBuffers::get();
  {
    StreamRuntime rt;
    ASSERT_TRUE(rt.add_processor<ExternalVideoSource>({}, "cam"));
    ASSERT_TRUE(rt.add_processor<TestVideoSink>({}, "fast"));
    ASSERT_TRUE(rt.add_processor<SlowVideoSink>({.delay_us = 1000}, "slow"));
    ASSERT_TRUE(rt.connect("cam.video", "fast.video"));
    ASSERT_TRUE(rt.connect("cam.video", "slow.video"));  // both read every frame
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(eventually([&] { return b.released.load() >= 200; }));
    ASSERT_TRUE(rt.stop());
  }
  ASSERT_TRUE(eventually([&] { return b.released.load() == b.wrapped.load(); }));
  EXPECT_EQ(b.double_releases.load(), 0u);
  for (const auto& o : b.out) EXPECT_EQ(o.load(), 0);
}

TEST_F(MediaTest, ABoundedPoolMakesBackpressureNotMemory) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<BoundedPoolSource>({.bound = 4}, "src"));
  ASSERT_TRUE(rt.add_processor<SlowVideoSink>({.delay_us = 2000}, "slow"));
  // A deep link: without the bound, the source would fill it with 256 frames.
  ASSERT_TRUE(rt.connect("src.video", "slow.video", {.capacity = 256, .policy = LinkPolicy::kBlock}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("slow").received_count() >= 30; }));
  const nlohmann::json m = rt.stats().find_processor(ProcessorId("src"))->metrics;
  EXPECT_LE(m["max_in_flight"].get<std::uint64_t>(), 4u);
  EXPECT_EQ(m["allocated"].get<std::uint64_t>(), 4u);  // pre-filled, never grew
  EXPECT_LE(rt.stats().find_link(LinkId("src.video->slow.video"))->high_water, 4u);
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
