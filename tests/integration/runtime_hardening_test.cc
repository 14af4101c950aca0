// Engine hardening: no live change waits on a processor blocked behind a slow consumer; a
// refused or failed change never poisons the runtime; stop, stats and setup under load; the
// corners of the processor contract (priorities, intervals, pause, exceptions).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class HardeningTest : public RuntimeTest {};

// Milliseconds `f` took.
template <class F>
std::int64_t ms_taken(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
}

// source -> relay -> slow (2 ms a message) and relay -> fast, all `block` links with a long
// block timeout: the relay spends most of its time blocked pushing into `slow`.
struct BlockedRelay {
  explicit BlockedRelay(StreamRuntime& rt) {
    const LinkConfig block{.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(30)};
    EXPECT_TRUE(rt.add_processor<TestSource>({.interval_us = 100}, "src"));
    EXPECT_TRUE(rt.add_processor<TestRelay>({}, "relay"));
    // Reads at most 8 messages per process() call, so it reaches its own safe points.
    EXPECT_TRUE(rt.add_processor<TestSink>({.delay_us = 2000, .batch = 8}, "slow"));
    EXPECT_TRUE(rt.add_processor<TestSink>({}, "fast"));
    EXPECT_TRUE(rt.connect("src.out", "relay.in", block));
    EXPECT_TRUE(rt.connect("relay.out", "slow.in", block));
    EXPECT_TRUE(rt.connect("relay.out", "fast.in", block));
    EXPECT_TRUE(rt.start());
    // Backed up: the relay's link into the slow sink is full.
    EXPECT_TRUE(eventually([&] {
      auto l = rt.stats().find_link(LinkId("relay.out->slow.in"));
      return l && l->depth >= 4;
    }));
  }
};

// --- A live change must not wait on a blocked processor --------------------------------------

// Every change below needs the relay (or its link into the slow sink) while the relay is
// blocked pushing into that full link. With a 2 s control timeout, waiting for the relay's next
// safe point between two process() calls would fail them; a blocked push is a safe point.
TEST_F(HardeningTest, LiveChangesDoNotWaitForAProducerBlockedBehindASlowConsumer) {
  StreamRuntime rt({.control_timeout = milliseconds(2000)});
  BlockedRelay graph(rt);
  constexpr std::int64_t kPrompt = 1000;  // well under the control timeout

  // A link update on the relay's blocked link, and a config change on the relay itself.
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.update_link_config(LinkId("relay.out->slow.in"), {.capacity = 6})); }),
            kPrompt);
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.update_processor_config(ProcessorId("relay"), {{"tag", "b"}})); }), kPrompt);
  EXPECT_EQ(probe("relay").config_changes, 1u);
  // A Manual batch that adds a consumer and changes its producer in one go.
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "extra"));
  ASSERT_TRUE(rt.connect("relay.out", "extra.in"));
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("relay"), {{"tag", "c"}}));
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.commit()); }), kPrompt);
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kAuto));
  // The same as one apply().
  Graph next = rt.graph();
  ASSERT_TRUE(next.add_processor(ProcessorFactory::global().make_node(ProcessorId("extra2"), "TestSink", {}).value()));
  ASSERT_TRUE(next.add_link({LinkId{}, {ProcessorId("relay"), "out"}, {ProcessorId("extra2"), "in"}, {}}));
  ASSERT_TRUE(next.set_processor_config(ProcessorId("relay"), {{"tag", "d"}}));
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.apply(next)); }), kPrompt);
  // Disconnecting the blocked link, and removing the slow consumer.
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.disconnect(LinkId("relay.out->slow.in"))); }), kPrompt);
  ASSERT_TRUE(rt.connect("relay.out", "slow.in",
                         {.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(30)}));
  ASSERT_TRUE(eventually([&] { return rt.stats().find_link(LinkId("relay.out->slow.in"))->depth >= 4; }));
  EXPECT_LT(ms_taken([&] { ASSERT_TRUE(rt.remove_processor(ProcessorId("slow"))); }), kPrompt);

  // The relay's other links kept flowing and lost nothing: the fast sink saw every message the
  // relay forwarded, in order.
  const std::size_t fast = probe("fast").received_count();
  ASSERT_TRUE(eventually([&] { return probe("fast").received_count() > fast + 100; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("fast").snapshot()));
  EXPECT_EQ(probe("fast").received_count(), probe("src").emitted.load());
}

// A config change waiting for a blocked producer does not cost a message: the push takes it
// beyond the link's capacity (counted as spilled) and process() returns.
TEST_F(HardeningTest, AChangeReachingABlockedPushLosesNothing) {
  StreamRuntime rt({.control_timeout = milliseconds(2000)});
  BlockedRelay graph(rt);
  // At least five changes, and more until one has met the relay blocked in its push (under the
  // pool a change can also find it queued for a worker, which needs no spill).
  auto spilled = [&] { return rt.stats().find_link(LinkId("relay.out->slow.in"))->spilled; };
  for (int i = 0; i < 5 || (i < 200 && spilled() == 0); ++i) {
    ASSERT_TRUE(rt.update_processor_config(ProcessorId("relay"), {{"tag", fmt::format("t{}", i)}}));
  }
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("slow"), {{"delay_us", 0}}));
  ASSERT_TRUE(eventually([&] { return probe("slow").received_count() > 200; })) << rt.stats().to_json().dump(1);
  const LinkStats slow = *rt.stats().find_link(LinkId("relay.out->slow.in"));
  EXPECT_GT(slow.spilled, 0u);
  EXPECT_EQ(slow.dropped, 0u);
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("slow").snapshot()));
  EXPECT_EQ(probe("slow").received_count(), probe("src").emitted.load());
}

// Resizing one link hands the new ring over at each side's own safe point: the producer's other
// branches never stand still for it, even while that link's consumer is stuck in process().
TEST_F(HardeningTest, ResizingOneLinkNeverParksItsProducer) {
  StuckSink::gate().reset();
  StreamRuntime rt({.stop_timeout = milliseconds(300), .control_timeout = milliseconds(2000)});
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 200}, "src"));
  ASSERT_TRUE(rt.add_processor<StuckSink>({}, "stuck"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "other"));
  ASSERT_TRUE(rt.connect("src.out", "stuck.in", {.capacity = 64, .policy = LinkPolicy::kDropOldest}));
  ASSERT_TRUE(rt.connect("src.out", "other.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(StuckSink::gate().mutex);
    return StuckSink::gate().entered;
  }));
  for (std::uint32_t capacity : {8u, 128u, 2u, 32u}) {
    const std::size_t before = probe("other").received_count();
    ASSERT_TRUE(rt.update_link_config(LinkId("src.out->stuck.in"), {.capacity = capacity}));
    EXPECT_EQ(rt.stats().find_link(LinkId("src.out->stuck.in"))->config.capacity, capacity);
    ASSERT_TRUE(eventually([&] { return probe("other").received_count() > before + 10; }));
  }
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("other").snapshot()));
  StuckSink::gate().release();
  EXPECT_TRUE(StuckSink::gate().wait_returned(std::chrono::seconds(5)));
}

// A consumer in Error costs its producer nothing: a push into its full `block` link drops at
// once instead of waiting (the block timeout here is far longer than the test).
TEST_F(HardeningTest, AFailedConsumerIsNeverWaitedFor) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 0}, "src"));  // as fast as it can
  ASSERT_TRUE(rt.add_processor<TestSink>({.fail_at = 3}, "broken"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "ok"));
  const LinkConfig block{.capacity = 2, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(60)};
  ASSERT_TRUE(rt.connect("src.out", "broken.in", block));
  ASSERT_TRUE(rt.connect("src.out", "ok.in", {.capacity = 1024, .policy = LinkPolicy::kDropNewest}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(
      eventually([&] { return rt.stats().find_processor(ProcessorId("broken"))->state == ProcessorState::kError; }));
  const std::uint64_t dropped = rt.stats().find_link(LinkId("src.out->broken.in"))->dropped;
  ASSERT_TRUE(
      eventually([&] { return rt.stats().find_link(LinkId("src.out->broken.in"))->dropped > dropped + 10000; }));
  ASSERT_TRUE(rt.stop());
}

// --- A refused or failed change never poisons the runtime -----------------------------------

TEST_F(HardeningTest, ARefusedConfigInAManualCommitIsRolledBackAndTheNextChangeSucceeds) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({.refuse_config = true, .tag = "old"}, "picky"));
  ASSERT_TRUE(rt.add_processor<TestSink>({.refuse_config = true, .tag = "old"}, "fussy"));
  ASSERT_TRUE(rt.connect("src.out", "picky.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  ASSERT_TRUE(rt.patch_processor_config(ProcessorId("picky"), {{"tag", "new"}}));
  ASSERT_TRUE(rt.patch_processor_config(ProcessorId("fussy"), {{"tag", "new"}}));
  auto r = rt.commit();
  ASSERT_FALSE(r);
  // Every failure is reported, not only the first.
  EXPECT_THAT(r.error().message(), HasSubstr("2 changes failed"));
  EXPECT_THAT(r.error().message(), HasSubstr("processor 'fussy' refused the new config"));
  EXPECT_THAT(r.error().message(), HasSubstr("processor 'picky' refused the new config"));
  // The desired graph is what runs again.
  EXPECT_FALSE(rt.has_pending_changes());
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("picky"))->config["tag"], "old");
  // The next unrelated change, in every form, succeeds.
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "later"));
  ASSERT_TRUE(rt.connect("src.out", "later.in"));
  ASSERT_TRUE(rt.commit());
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kAuto));
  ASSERT_TRUE(rt.update_link_config(LinkId("src.out->later.in"), {.capacity = 9}));
  // The same through apply(): refused, rolled back, and the next apply() works.
  Graph next = rt.graph();
  ASSERT_TRUE(next.set_processor_config(
      ProcessorId("picky"),
      ProcessorFactory::global().canonical_config("TestSink", {{"refuse_config", true}, {"tag", "newer"}}).value()));
  ASSERT_FALSE(rt.apply(next));
  EXPECT_FALSE(rt.has_pending_changes());
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("picky"))->config["tag"], "old");
  Graph other = rt.graph();
  ASSERT_TRUE(other.add_processor(ProcessorFactory::global().make_node(ProcessorId("last"), "TestSink", {}).value()));
  ASSERT_TRUE(rt.apply(other));
  ASSERT_TRUE(eventually([&] { return probe("later").received_count() >= 10; }));
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, BackToAutoReturnsWhatTheBatchDid) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSink>({.refuse_config = true}, "picky"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  ASSERT_TRUE(rt.patch_processor_config(ProcessorId("picky"), {{"tag", "new"}}));
  auto r = rt.set_commit_mode(CommitMode::kAuto);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("refused the new config"));
  EXPECT_FALSE(rt.has_pending_changes());
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, AThrowingOnConfigChangeIsARefusalAndTheProcessorKeepsItsConfig) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, "src"));
  ASSERT_TRUE(rt.add_processor<ThrowingConfigSink>({.tag = "old"}, "t"));
  ASSERT_TRUE(rt.connect("src.out", "t.in"));
  ASSERT_TRUE(rt.start());
  for (bool throw_std : {true, false}) {
    auto r = rt.update_processor_config(ProcessorId("t"), {{"tag", "new"}, {"throw_std", throw_std}});
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message(), HasSubstr("on_config_change threw"));
    EXPECT_EQ(rt.graph().find_processor(ProcessorId("t"))->config["tag"], "old");
    EXPECT_EQ(rt.stats().find_processor(ProcessorId("t"))->state, ProcessorState::kRunning);
  }
  const std::size_t n = probe("t").received_count();
  ASSERT_TRUE(eventually([&] { return probe("t").received_count() > n + 10; }));
  {
    std::lock_guard lock(probe("t").mutex);
    for (const auto& tag : probe("t").received_tags) EXPECT_EQ(tag, "old");  // graph and processor agree
  }
  EXPECT_FALSE(rt.has_pending_changes());
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, AThrowingConstructorDuringARebuildLeavesTheOldInstanceRunning) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, "src"));
  ASSERT_TRUE(rt.add_processor<ExplodingCtorSink>({.tag = "old"}, "e"));
  ASSERT_TRUE(rt.connect("src.out", "e.in"));
  ASSERT_TRUE(rt.start());
  ExplodingCtorSink::explode() = true;
  auto r = rt.update_processor_config(ProcessorId("e"), {{"tag", "new"}});
  ExplodingCtorSink::explode() = false;
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("constructor exploded"));
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("e"))->config["tag"], "old");
  EXPECT_EQ(probe("e").setups, 1u);  // never torn down
  const std::size_t n = probe("e").received_count();
  ASSERT_TRUE(eventually([&] { return probe("e").received_count() > n + 10; }));
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("e"), {{"tag", "new"}}));  // and it can still change
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(is_contiguous_from_zero(probe("e").snapshot()));
}

TEST_F(HardeningTest, ARebuildWhoseSetupFailsPutsTheOldConfigBack) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<SlowSetup>({}, "dev"));
  ASSERT_TRUE(rt.start());
  auto r = rt.update_processor_config(ProcessorId("dev"), {{"fail", true}});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("could not open the slow device"));
  EXPECT_THAT(r.error().message(), HasSubstr("the old config was restored"));
  EXPECT_EQ(rt.graph().find_processor(ProcessorId("dev"))->config["fail"], false);
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("dev"))->state, ProcessorState::kRunning);
  EXPECT_FALSE(rt.has_pending_changes());
  ASSERT_TRUE(rt.stop());
}

namespace look_alike_a {
struct Tick {
  int n = 0;
};
STREAMLIB_MESSAGE_TYPE(Tick, 8, LinkPolicy::kBlock);
class Out : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(LookAlikeOut, "Test source of a::Tick", Continuous{std::chrono::milliseconds(1)});
  LinkOutput<Tick> out{this, "out"};
  Result<void> process() override {
    out.push(Tick{1});
    return {};
  }
};
}  // namespace look_alike_a

namespace look_alike_b {
struct Tick {  // same message-type name, another C++ type
  double value = 0;
};
STREAMLIB_MESSAGE_TYPE(Tick, 8, LinkPolicy::kBlock);
class In : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(LookAlikeIn, "Test sink of b::Tick", Reactive{});
  LinkInput<Tick> in{this, "in"};
  Result<void> process() override {
    in.drain([](Tick&&) {});
    return {};
  }
};
}  // namespace look_alike_b

TEST_F(HardeningTest, TwoMessageTypesWithTheSameNameDoNotConnectAndLeaveNothingBehind) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<look_alike_a::Out>({}, "a"));
  ASSERT_TRUE(rt.add_processor<look_alike_b::In>({}, "b"));
  ASSERT_TRUE(rt.start());
  const std::uint64_t before = rt.graph().checksum();
  auto r = rt.connect("a.out", "b.in");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTypeMismatch);
  EXPECT_THAT(r.error().message(), HasSubstr("both named 'Tick' but different C++ types"));
  EXPECT_EQ(rt.graph().checksum(), before);
  EXPECT_EQ(rt.graph().link_count(), 0u);
  EXPECT_TRUE(rt.stats().links.empty());
  ASSERT_TRUE(rt.add_processor<look_alike_b::In>({}, "b2"));  // the next valid call works
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, AConnectThatTimesOutIsRolledBack) {
  StuckSink::gate().reset();
  StreamRuntime rt({.stop_timeout = milliseconds(300), .control_timeout = milliseconds(300)});
  EventLog log(rt);
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.add_processor<StuckSink>({}, "stuck"));
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "feeder"));
  ASSERT_TRUE(rt.connect("src.out", "stuck.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(StuckSink::gate().mutex);
    return StuckSink::gate().entered;
  }));
  // `stuck` has only one input, taken: wiring a second processor into it is refused by the
  // graph. Removing that link and wiring another needs the stuck processor's safe point.
  auto r = rt.disconnect(LinkId("src.out->stuck.in"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  auto c = rt.connect("feeder.out", "stuck.in");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kTimeout);
  EXPECT_THAT(c.error().message(), HasSubstr("processor 'stuck' did not reach a safe point"));
  EXPECT_FALSE(rt.graph().find_link(LinkId("feeder.out->stuck.in")).has_value());
  EXPECT_FALSE(rt.stats().find_link(LinkId("feeder.out->stuck.in")).has_value());
  EXPECT_FALSE(rt.has_pending_changes());
  for (const Event& e : log.events()) {
    EXPECT_FALSE(e.kind == EventKind::kLinkCreated && e.link == LinkId("feeder.out->stuck.in")) << to_string(e);
  }
  ASSERT_TRUE(log.wait_for(EventKind::kError, "did not reach a safe point"));
  ASSERT_TRUE(rt.stop());
  StuckSink::gate().release();
  EXPECT_TRUE(StuckSink::gate().wait_returned(std::chrono::seconds(5)));
}

TEST_F(HardeningTest, GraphEventsAnnounceWhatWasAppliedAfterItWas) {
  StreamRuntime rt;
  EventLog log(rt);
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in"));
  std::this_thread::sleep_for(milliseconds(20));
  for (const Event& e : log.events()) {  // batched: not applied yet, not announced yet
    EXPECT_FALSE(e.kind == EventKind::kProcessorAdded && e.processor == ProcessorId("sink")) << to_string(e);
    EXPECT_NE(e.kind, EventKind::kLinkCreated) << to_string(e);
  }
  ASSERT_TRUE(rt.commit());
  ASSERT_TRUE(log.wait_for(EventKind::kLinkCreated, "src.out -> sink.in"));
  // Announced after they were applied: by then the processor is running.
  bool added = false;
  for (const Event& e : log.events()) {
    if (e.kind == EventKind::kProcessorAdded && e.processor == ProcessorId("sink")) added = true;
  }
  EXPECT_TRUE(added);
  ASSERT_TRUE(rt.stop());
}

// --- Stop, stats and setup under load --------------------------------------------------------

std::size_t big_graph_chains() {
  const char* v = std::getenv("STREAMLIB_BIG_GRAPH_CHAINS");
  return v ? std::strtoul(v, nullptr, 10) : 1000;  // 5,000 processors
}

// A large graph is not "stuck": the stop timeout measures a processor that makes no progress.
TEST_F(HardeningTest, StoppingAFiveThousandProcessorGraphDrainsEveryChain) {
  const std::size_t chains = big_graph_chains();
  StreamRuntime rt({.stop_timeout = milliseconds(2000)});
  EventLog log(rt);
  Graph g;
  auto& f = ProcessorFactory::global();
  for (std::size_t i = 0; i < chains; ++i) {
    const std::string c = std::to_string(i);
    ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId("s" + c), "TestSource", {{"interval_us", 20000}}).value()));
    for (int r = 0; r < 3; ++r) {
      ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId(fmt::format("r{}_{}", c, r)), "TestRelay", {}).value()));
    }
    ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId("k" + c), "TestSink", {}).value()));
    // 5,000 threads on two cores: give a starved consumer all the time it needs (a block
    // timeout would drop, and the test is about stop() not abandoning anything).
    const LinkConfig patient{.block_timeout = std::chrono::seconds(120)};
    ASSERT_TRUE(
        g.add_link({LinkId{}, {ProcessorId("s" + c), "out"}, {ProcessorId(fmt::format("r{}_0", c)), "in"}, patient}));
    ASSERT_TRUE(g.add_link({LinkId{},
                            {ProcessorId(fmt::format("r{}_0", c)), "out"},
                            {ProcessorId(fmt::format("r{}_1", c)), "in"},
                            patient}));
    ASSERT_TRUE(g.add_link({LinkId{},
                            {ProcessorId(fmt::format("r{}_1", c)), "out"},
                            {ProcessorId(fmt::format("r{}_2", c)), "in"},
                            patient}));
    ASSERT_TRUE(
        g.add_link({LinkId{}, {ProcessorId(fmt::format("r{}_2", c)), "out"}, {ProcessorId("k" + c), "in"}, patient}));
  }
  ASSERT_TRUE(rt.apply(g));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("s0").emitted >= 3; }, std::chrono::seconds(60)));
  ASSERT_TRUE(rt.stop());
  for (const Event& e : log.events()) EXPECT_NE(e.kind, EventKind::kError) << to_string(e);
  for (std::size_t i = 0; i < chains; ++i) {
    const std::string c = std::to_string(i);
    ASSERT_EQ(probe("k" + c).received_count(), probe("s" + c).emitted.load()) << "chain " << c << " not drained";
    ASSERT_EQ(probe("k" + c).teardowns.load(), 1u);
  }
}

TEST_F(HardeningTest, StatsNeverWaitForAControlCall) {
  StreamRuntime rt({.setup_timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.start());
  std::thread slow([&] { ASSERT_TRUE(rt.add_processor<SlowSetup>({.setup_ms = 1500}, "slow")); });
  std::this_thread::sleep_for(milliseconds(100));  // the add is now waiting for the setup
  std::int64_t worst = 0;
  for (int i = 0; i < 20; ++i) {
    worst = std::max(worst, ms_taken([&] {
                       const RuntimeStats s = rt.stats();
                       EXPECT_TRUE(s.find_processor(ProcessorId("src")));
                       (void)rt.graph();
                     }));
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_LT(worst, 500);  // not the 1.5 s the control call is waiting
  slow.join();
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, SetupHasItsOwnDeadlineAndAProcessorThatMissesItNeverStarts) {
  StreamRuntime rt({.control_timeout = milliseconds(200), .setup_timeout = milliseconds(400)});
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.start());
  // Longer than the control timeout, within the setup deadline: fine.
  ASSERT_TRUE(rt.add_processor<SlowSetup>({.setup_ms = 250}, "ok"));
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("ok"))->state, ProcessorState::kRunning);
  // Past the setup deadline: refused, rolled back, and it does not start later.
  auto r = rt.add_processor<SlowSetup>({.setup_ms = 1000}, "late");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  EXPECT_THAT(r.error().message(), HasSubstr("processor 'late' (SlowSetup): setup() did not finish within 400 ms"));
  EXPECT_FALSE(rt.graph().find_processor(ProcessorId("late")).has_value());
  ASSERT_TRUE(rt.connect("src.out", "ok.in"));
  std::this_thread::sleep_for(milliseconds(900));  // its setup has returned by now
  EXPECT_FALSE(rt.stats().find_processor(ProcessorId("late")).has_value());
  EXPECT_EQ(probe("late").process_calls.load(), 0u);
  EXPECT_EQ(probe("late").teardowns.load(), 1u);  // torn down as soon as its setup returned
  ASSERT_TRUE(rt.stop());
}

// --- The processor contract's corners --------------------------------------------------------

TEST_F(HardeningTest, APriorityChangedByAConfigChangeIsApplied) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<ConfiguredPrioritySource>({}, "p"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("p").scheduler_policy.load() == SCHED_OTHER; }));
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("p"), {{"priority", "realtime"}}));
  const ProcessorStats s = *rt.stats().find_processor(ProcessorId("p"));
  EXPECT_EQ(s.priority, ThreadPriority::kRealTime);
  if (s.priority_applied) {
    EXPECT_TRUE(eventually([&] { return probe("p").scheduler_policy.load() == SCHED_FIFO; }));
  } else {
    EXPECT_THAT(s.priority_error, HasSubstr("SCHED_FIFO 50 refused"));
  }
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, AShorterIntervalTakesEffectAtOnce) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 5'000'000}, "src"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("src").emitted >= 1; }));  // the first tick is at once
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("src"), {{"interval_us", 1000}}));
  // Not after the 5 s the old interval still had to run.
  EXPECT_TRUE(eventually([&] { return probe("src").emitted >= 5; }, std::chrono::seconds(3)));
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, StoppingWhilePausedResumesBeforeDrainingNeverProcessingWhilePaused) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 100}, "src"));
  ASSERT_TRUE(rt.add_processor<PauseAwareSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", {.capacity = 64}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
  ASSERT_TRUE(rt.pause());
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("sink").config_changes.load(), 0u) << "process() ran while paused";
  EXPECT_EQ(probe("sink").pauses.load(), 1u);
  EXPECT_EQ(probe("sink").received_count(), probe("src").emitted.load());  // drained
}

TEST_F(HardeningTest, PlugDiscardsAppearInStats) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 200}, "alone"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return rt.stats().find_processor(ProcessorId("alone"))->plug_discards >= 10; }));
  EXPECT_GE(rt.stats().to_json()["processors"][0]["plug_discards"].get<std::uint64_t>(), 10u);
  ASSERT_TRUE(rt.stop());
}

TEST_F(HardeningTest, HighWaterNeverReadsBelowADepthSeenBefore) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 100}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({.delay_us = 2000, .batch = 1}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", {.capacity = 64, .policy = LinkPolicy::kDropOldest}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth >= 40; }));
  const std::size_t seen = rt.stats().links.at(0).depth;
  ASSERT_TRUE(rt.update_link_config(LinkId("src.out->sink.in"), {.capacity = 4}));
  EXPECT_GE(rt.stats().links.at(0).high_water, seen);
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
