// Live changes: every mutation while stopped, running and paused; Manual commit batching;
// apply() of a whole graph; hot reload on the processor's own thread; rebuild in place; a
// rejected change leaves everything as it was; untouched links lose nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)

// --- The same mutation in each state ------------------------------------------------------

class MutationInEveryState : public RuntimeTest, public ::testing::WithParamInterface<At> {};

TEST_P(MutationInEveryState, AddAndConnectProcessors) {
  StreamRuntime rt;
  enter(rt, GetParam());
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  EXPECT_TRUE(rt.graph().find_processor(ProcessorId("sink")).has_value());
  if (GetParam() == At::kPaused) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(probe("src").process_calls.load(), 0u);  // added while paused: stays paused
  }
  run_from(rt, GetParam());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  if (GetParam() == At::kRunning) {
    // Added while running, the source produced into its plug until the link arrived.
    EXPECT_TRUE(is_consecutive(probe("sink").snapshot()));
  } else {
    EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
  }
}

TEST_P(MutationInEveryState, RemoveProcessor) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto keep = rt.add_processor<TestSink>({}, "keep").value();
  auto gone = rt.add_processor<TestSink>({}, "gone").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), keep.input(&TestSink::in)));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), gone.input(&TestSink::in)));
  enter(rt, GetParam());
  ASSERT_TRUE(rt.remove_processor(gone));
  EXPECT_FALSE(rt.graph().find_processor(ProcessorId("gone")).has_value());
  EXPECT_EQ(rt.graph().link_count(), 1u);
  if (GetParam() != At::kIdle) {
    EXPECT_EQ(probe("gone").teardowns, 1u);  // torn down before remove returned
    EXPECT_FALSE(rt.stats().find_processor(ProcessorId("gone")).has_value());
  }
  run_from(rt, GetParam());
  ASSERT_TRUE(eventually([&] { return probe("keep").received_count() >= 20; }));
  EXPECT_TRUE(is_contiguous_from_zero(probe("keep").snapshot()));
  // The handle stays valid to pass back; the runtime says what is wrong.
  auto again = rt.remove_processor(gone);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), "no processor 'gone'");
  EXPECT_EQ(rt.update_processor_config(gone, {}).error().code(), ErrorCode::kNotFound);
}

TEST_P(MutationInEveryState, DisconnectAndReconnect) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)).value();
  enter(rt, GetParam());
  ASSERT_TRUE(rt.disconnect(link));
  EXPECT_EQ(rt.graph().link_count(), 0u);
  run_from(rt, GetParam());
  ASSERT_TRUE(eventually([&] { return probe("src").emitted >= 30; }));  // pushes into the plug
  const std::size_t received = probe("sink").received_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(probe("sink").received_count(), received);
  EXPECT_EQ(rt.disconnect(link).error().message(), "no link 'src.out->sink.in'");
  ASSERT_TRUE(rt.connect("src.out", "sink.in"));
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= received + 20; }));
  EXPECT_TRUE(is_increasing(probe("sink").snapshot()));
}

TEST_P(MutationInEveryState, UpdateProcessorConfig) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({.tag = "before"}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  enter(rt, GetParam());
  if (GetParam() != At::kIdle) {
    ASSERT_TRUE(eventually([&] { return probe("sink").setups == 1; }));
  }
  ASSERT_TRUE(rt.update_processor_config(sink, {.tag = "after"}));
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("sink"))->config["tag"], "after");
  if (GetParam() == At::kIdle) {
    EXPECT_EQ(probe("sink").config_changes, 0u);  // nothing runs: the new config is used at start
  } else {
    EXPECT_EQ(probe("sink").config_changes, 1u);  // hot-reloaded before the call returned
    EXPECT_EQ(probe("sink").setups, 1u);          // not rebuilt
  }
  run_from(rt, GetParam());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

TEST_P(MutationInEveryState, UpdateLinkConfig) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  auto link = rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)).value();
  enter(rt, GetParam());
  ASSERT_TRUE(rt.update_link_config(link, {.capacity = 40, .read_mode = ReadMode::kSequential}));
  EXPECT_EQ(rt.graph().find_link(link.id())->config.capacity, 40u);
  run_from(rt, GetParam());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  const RuntimeStats stats = rt.stats();
  ASSERT_EQ(stats.links.size(), 1u);
  const LinkStats& l = stats.links[0];
  EXPECT_EQ(l.config.capacity, 40u);
  EXPECT_EQ(l.config.policy, LinkPolicy::kBlock);  // unchanged
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

INSTANTIATE_TEST_SUITE_P(States, MutationInEveryState, ::testing::Values(At::kIdle, At::kRunning, At::kPaused),
                         at_name);

// --- Commit modes and apply() ------------------------------------------------------------

class LiveChangesTest : public RuntimeTest {};

TEST_F(LiveChangesTest, ManualCommitModeBatchesUntilCommit) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  auto a = rt.add_processor<TestSink>({}, "a").value();
  auto b = rt.add_processor<TestSink>({}, "b").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), a.input(&TestSink::in)));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), b.input(&TestSink::in)));
  EXPECT_TRUE(rt.has_pending_changes());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(rt.stats().processors.size(), 1u);  // nothing applied yet
  EXPECT_EQ(probe("a").setups, 0u);
  ASSERT_TRUE(rt.commit());
  EXPECT_FALSE(rt.has_pending_changes());
  EXPECT_EQ(rt.stats().processors.size(), 3u);
  EXPECT_EQ(rt.stats().links.size(), 2u);
  ASSERT_TRUE(eventually([&] { return probe("a").received_count() >= 10 && probe("b").received_count() >= 10; }));
  // Back to Auto: what is pending applies at once.
  ASSERT_TRUE(rt.remove_processor(b));
  EXPECT_EQ(rt.stats().processors.size(), 3u);
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kAuto));
  EXPECT_EQ(rt.stats().processors.size(), 2u);
}

TEST_F(LiveChangesTest, ApplyReconcilesToAWholeNewGraphTouchingOnlyWhatChanged) {
  StreamRuntime rt;
  auto first = Graph::from_json(R"({
    "processors": [{"id": "src", "type": "TestSource", "config": {"interval_us": 300}},
                   {"id": "keep", "type": "TestSink"}, {"id": "old", "type": "TestSink"},
                   {"id": "tweak", "type": "TestSink"}],
    "links": [{"from": "src.out", "to": "keep.in"}, {"from": "src.out", "to": "old.in"},
              {"from": "src.out", "to": "tweak.in", "capacity": 4}]})");
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(rt.apply(*first));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("keep").received_count() >= 20; }));
  auto second = Graph::from_json(R"({
    "processors": [{"id": "src", "type": "TestSource", "config": {"interval_us": 300}},
                   {"id": "keep", "type": "TestSink"}, {"id": "new", "type": "TestSink"},
                   {"id": "tweak", "type": "TestSink", "config": {"tag": "v2"}}],
    "links": [{"from": "src.out", "to": "keep.in"}, {"from": "src.out", "to": "new.in"},
              {"from": "src.out", "to": "tweak.in", "capacity": 9}]})");
  ASSERT_TRUE(second);
  ASSERT_TRUE(rt.apply(*second));
  EXPECT_EQ(rt.graph(), *second);
  EXPECT_FALSE(rt.has_pending_changes());
  EXPECT_EQ(probe("old").teardowns, 1u);
  EXPECT_EQ(probe("new").setups, 1u);
  EXPECT_EQ(probe("tweak").config_changes, 1u);
  EXPECT_EQ(rt.stats().find_link(LinkId("src.out->tweak.in"))->config.capacity, 9u);
  // Untouched: same threads (set up once), nothing lost or reordered.
  EXPECT_EQ(probe("src").setups, 1u);
  EXPECT_EQ(probe("keep").setups, 1u);
  const std::size_t n = probe("keep").received_count();
  ASSERT_TRUE(
      eventually([&] { return probe("new").received_count() >= 20 && probe("keep").received_count() > n + 20; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("keep").snapshot()));
  EXPECT_EQ(probe("keep").received_count(), probe("src").emitted.load());
}

TEST_F(LiveChangesTest, ApplyRejectsAnInvalidGraphAndKeepsTheOldOne) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({}, "src"));
  ASSERT_TRUE(rt.start());
  Graph cyclic;
  auto& f = ProcessorFactory::global();
  ASSERT_TRUE(cyclic.add_processor(*f.make_node(ProcessorId("a"), "TestRelay", {})));
  ASSERT_TRUE(cyclic.add_processor(*f.make_node(ProcessorId("b"), "TestRelay", {})));
  ASSERT_TRUE(cyclic.add_link({LinkId{}, *LinkPortAddress::parse("a.out"), *LinkPortAddress::parse("b.in"), {}}));
  ASSERT_TRUE(cyclic.add_link({LinkId{}, *LinkPortAddress::parse("b.out"), *LinkPortAddress::parse("a.in"), {}}));
  const std::uint64_t before = rt.graph().checksum();
  auto r = rt.apply(cyclic);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "cycle: a -> b -> a");
  EXPECT_EQ(rt.graph().checksum(), before);
  EXPECT_EQ(rt.stats().processors.size(), 1u);
}

// --- Hot reload ---------------------------------------------------------------------------

TEST_F(LiveChangesTest, ConfigChangeRunsOnTheProcessorsOwnThread) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 5; }));
  ASSERT_TRUE(rt.update_processor_config(sink, {.tag = "x"}));
  ASSERT_TRUE(rt.update_processor_config(src, {.interval_us = 200}));  // a source's own thread too
  std::thread::id process_thread;
  std::thread::id config_thread;
  {
    std::lock_guard lock(probe("sink").mutex);
    process_thread = probe("sink").process_thread;
    config_thread = probe("sink").config_thread;
  }
  // Its own thread under the thread executor; under the pool, whichever worker runs it (never
  // the caller's): a safe point of the processor either way.
  if (!pool_by_default()) {
    EXPECT_EQ(config_thread, process_thread);
  }
  EXPECT_NE(config_thread, std::this_thread::get_id());
  EXPECT_EQ(probe("src").config_changes, 1u);
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("src"))->execution, "continuous(200us)");  // re-read
}

TEST_F(LiveChangesTest, PatchChangesOnlyTheGivenFields) {
  StreamRuntime rt;
  auto sink = rt.add_processor<TestSink>({.delay_us = 7, .tag = "a"}).value();
  ASSERT_TRUE(rt.patch_processor_config(sink.id(), {{"tag", "b"}}));
  const nlohmann::json config = rt.graph().find_processor(sink.id())->config;
  EXPECT_EQ(config["tag"], "b");
  EXPECT_EQ(config["delay_us"], 7);
  auto bad = rt.patch_processor_config(sink.id(), {{"delay_us", "slow"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "processor 'test_sink_0' (TestSink): config.delay_us: expected integer, got string");
}

TEST_F(LiveChangesTest, AProcessorWithoutOnConfigChangeIsRebuiltInPlaceKeepingItsLinks) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto sink = rt.add_processor<RebuiltSink>({.tag = "one"}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&RebuiltSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  ASSERT_TRUE(rt.update_processor_config(sink, {.tag = "two"}));
  EXPECT_EQ(probe("sink").setups, 2u);
  EXPECT_EQ(probe("sink").teardowns, 1u);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(probe("sink").mutex);
    return !probe("sink").received_tags.empty() && probe("sink").received_tags.back() == "two";
  }));
  ASSERT_TRUE(rt.stop());
  // The link survived the rebuild: every message, in order, across both instances.
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
  EXPECT_EQ(probe("sink").received_count(), probe("src").emitted.load());
}

TEST_F(LiveChangesTest, ARefusedConfigLeavesGraphAndProcessorAsTheyWere) {
  StreamRuntime rt;
  auto sink = rt.add_processor<TestSink>({.refuse_config = true, .tag = "old"}, "sink").value();
  ASSERT_TRUE(rt.start());
  const std::uint64_t before = rt.graph().checksum();
  auto r = rt.update_processor_config(sink, {.refuse_config = true, .tag = "new"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "processor 'sink' refused the new config: refusing new");
  EXPECT_EQ(rt.graph().checksum(), before);
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("sink"))->config["tag"], "old");
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("sink"))->state, ProcessorState::kRunning);
  EXPECT_FALSE(rt.has_pending_changes());
}

// --- Bad input loses nothing ----------------------------------------------------------------

TEST_F(LiveChangesTest, RejectedMutationsLeaveGraphAndPipelineUntouched) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto relay = rt.add_processor<TestRelay>({}, "relay").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), relay.input(&TestRelay::in)));
  ASSERT_TRUE(rt.connect(relay.output(&TestRelay::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  const std::uint64_t before = rt.graph().checksum();
  struct Case {
    Result<void> result;
    const char* text;
  };
  auto as_void = [](auto r) { return r ? Result<void>{} : Result<void>(tl::unexpect, r.error()); };
  const Case cases[] = {
      {as_void(rt.add_processor("Warp", {})), "unknown processor type 'Warp'"},
      {as_void(rt.add_processor("TestSink", {}, "sink")), "duplicate processor id 'sink'"},
      {as_void(rt.add_processor("TestSink", {}, "bad id")), "'bad id' is not a valid processor id"},
      {as_void(rt.add_processor("TestSink", {{"delay", 1}})), "unknown field 'delay'"},
      {as_void(rt.add_processor("TestSink", {{"delay_us", -5}})), "config.delay_us: -5 is out of range"},
      {as_void(rt.connect("src.out", "sink.in")), "input sink.in already has link 'relay.out->sink.in'"},
      {as_void(rt.connect("relay.out", "relay.in")), "cycle: relay -> relay"},
      {as_void(rt.connect("src.out", "nope.in")), "no processor 'nope'"},
      {as_void(rt.connect("src.out", "relay.in", {.capacity = 0})), "capacity 0 is out of range"},
      {rt.disconnect(LinkId("x.out->y.in")), "no link 'x.out->y.in'"},
      {rt.update_link_config(LinkId("src.out->relay.in"), {.capacity = 0}), "capacity 0 is out of range"},
      {rt.update_processor_config(ProcessorId("relay"), {{"tag", 3}}), "config.tag: expected string, got integer"},
      {rt.remove_processor(ProcessorId("nope")), "no processor 'nope'"},
  };
  for (const Case& c : cases) {
    ASSERT_FALSE(c.result) << c.text;
    EXPECT_THAT(c.result.error().message(), HasSubstr(c.text));
    EXPECT_TRUE(is_input_error(c.result.error())) << c.result.error().message();
  }
  EXPECT_EQ(rt.graph().checksum(), before);
  EXPECT_EQ(rt.stats().processors.size(), 3u);
  EXPECT_FALSE(rt.has_pending_changes());
  const std::size_t n = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() > n + 10; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

TEST_F(LiveChangesTest, ACycleThroughSeveralProcessorsIsRejectedAtConnect) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor("TestRelay", {}, "a"));
  ASSERT_TRUE(rt.add_processor("TestRelay", {}, "b"));
  ASSERT_TRUE(rt.add_processor("TestRelay", {}, "c"));
  ASSERT_TRUE(rt.connect("a.out", "b.in"));
  ASSERT_TRUE(rt.connect("b.out", "c.in"));
  auto r = rt.connect("c.out", "a.in");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCycle);
  EXPECT_EQ(r.error().message(), "cannot connect c.out -> a.in: cycle: c -> a -> b -> c");
}

TEST_F(LiveChangesTest, AConsumerThatCannotKeepUpStillReachesSafePoints) {
  StreamRuntime rt({.control_timeout = std::chrono::seconds(3)});
  auto src = rt.add_processor<SequenceSource>({.interval_us = 0}, "src").value();  // as fast as it can
  auto count = rt.add_processor<Counter>({}, "count").value();                     // drains its input
  ASSERT_TRUE(rt.connect(src.output(&SequenceSource::out), count.input(&Counter::in),
                         {.capacity = 64, .policy = LinkPolicy::kDropNewest}));
  ASSERT_TRUE(rt.start());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(rt.update_processor_config(count, {.expect_sequence = i % 2 == 0}));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  }
  ASSERT_TRUE(rt.stop());
}

// --- Untouched links ----------------------------------------------------------------------

TEST_F(LiveChangesTest, LinksNoDeltaTouchesLoseAndReorderNothingWhileDeltasApply) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 100}, "src").value();
  auto relay = rt.add_processor<TestRelay>({}, "relay").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), relay.input(&TestRelay::in), {.capacity = 4}));
  ASSERT_TRUE(rt.connect(relay.output(&TestRelay::out), sink.input(&TestSink::in), {.capacity = 4}));
  ASSERT_TRUE(rt.start());
  for (int round = 0; round < 30; ++round) {
    // Let messages flow between deltas, so that every delta lands on links carrying traffic
    // (and the count below does not depend on how fast this machine applies deltas).
    const std::size_t seen = probe("sink").received_count();
    ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= seen + 5; }));
    const std::string id = fmt::format("tap{}", round);
    // Fan out from the running source and relay, reconfigure, unplug, remove.
    ASSERT_TRUE(rt.add_processor<TestSink>({}, id));
    ASSERT_TRUE(rt.connect(round % 2 ? "src.out" : "relay.out", id + ".in", {.capacity = 2}));
    ASSERT_TRUE(rt.update_processor_config(ProcessorId("relay"), {{"tag", id}}));
    ASSERT_TRUE(
        rt.update_link_config(LinkId(fmt::format("{}.out->{}.in", round % 2 ? "src" : "relay", id)), {.capacity = 8}));
    ASSERT_TRUE(rt.disconnect(LinkId(fmt::format("{}.out->{}.in", round % 2 ? "src" : "relay", id))));
    ASSERT_TRUE(rt.remove_processor(ProcessorId(id)));
  }
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("relay").setups, 1u);  // hot-reloaded 30 times, never rebuilt
  EXPECT_EQ(probe("relay").config_changes, 30u);
  EXPECT_GT(probe("sink").received_count(), 100u);
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
  EXPECT_EQ(probe("sink").received_count(), probe("src").emitted.load());
}

}  // namespace
}  // namespace streamlib
