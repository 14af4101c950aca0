// compute_delta: each of the six lists alone, replacement, a mixed change, scoping, and the
// printed plan in application order.
#include "streamlib/executor/graph_delta.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/graph_fixture.h"

namespace streamlib {
namespace {

using ::testing::ElementsAre;
using testing::GraphFixture;
using ::testing::IsEmpty;

class GraphDeltaTest : public GraphFixture {};

TEST_F(GraphDeltaTest, IdenticalGraphsGiveAnEmptyDelta) {
  const Graph g = diamond();
  const GraphDelta d = compute_delta(g, g);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(format_plan(d, g, g), "no changes\n");
}

TEST_F(GraphDeltaTest, ProcessorsToAdd) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.add_processor(node("extra", "TestSink")));
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_THAT(d.processors_to_add, ElementsAre(ProcessorId("extra")));
  EXPECT_EQ(d.size(), 1u);
}

TEST_F(GraphDeltaTest, ProcessorsToRemoveTakeTheirLinksWithThem) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.remove_processor(ProcessorId("sink_a")));
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_THAT(d.processors_to_remove, ElementsAre(ProcessorId("sink_a")));
  EXPECT_THAT(d.links_to_remove, ElementsAre(LinkId("relay.out->sink_a.in")));
  EXPECT_EQ(d.size(), 2u);
}

TEST_F(GraphDeltaTest, ProcessorsToUpdateCarryOldAndNewConfig) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(
      desired.set_processor_config(ProcessorId("relay"), *factory_.canonical_config("TestRelay", {{"tag", "x"}})));
  const GraphDelta d = compute_delta(desired, running);
  ASSERT_EQ(d.processors_to_update.size(), 1u);
  EXPECT_EQ(d.processors_to_update[0].id, ProcessorId("relay"));
  EXPECT_EQ(d.processors_to_update[0].old_config["tag"], "relay");
  EXPECT_EQ(d.processors_to_update[0].new_config["tag"], "x");
  EXPECT_EQ(d.size(), 1u);  // its links are untouched
}

TEST_F(GraphDeltaTest, LinksToAdd) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.add_processor(node("tap", "Counter")));
  ASSERT_TRUE(desired.add_link(link("source.out", "tap.in")));
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_THAT(d.processors_to_add, ElementsAre(ProcessorId("tap")));
  EXPECT_THAT(d.links_to_add, ElementsAre(LinkId("source.out->tap.in")));
}

TEST_F(GraphDeltaTest, LinksToRemove) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.remove_link(LinkId("relay.out->merge.a")));
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_THAT(d.links_to_remove, ElementsAre(LinkId("relay.out->merge.a")));
  EXPECT_EQ(d.size(), 1u);
}

TEST_F(GraphDeltaTest, LinksToUpdateCarryOldAndNewConfig) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(
      desired.update_link_config(LinkId("merge.out->sink_b.in"), {.capacity = 64, .policy = LinkPolicy::kDropOldest}));
  const GraphDelta d = compute_delta(desired, running);
  ASSERT_EQ(d.links_to_update.size(), 1u);
  EXPECT_EQ(d.links_to_update[0].old_config.capacity, 16u);
  EXPECT_EQ(d.links_to_update[0].new_config.capacity, 64u);
  EXPECT_EQ(d.size(), 1u);
}

TEST_F(GraphDeltaTest, ATypeChangeUnderTheSameIdReplacesTheProcessorAndItsLinks) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.remove_processor(ProcessorId("sink_a")));
  ASSERT_TRUE(desired.add_processor(node("sink_a", "RebuiltSink")));
  ASSERT_TRUE(desired.add_link(link("relay.out", "sink_a.in")));
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_THAT(d.processors_to_remove, ElementsAre(ProcessorId("sink_a")));
  EXPECT_THAT(d.processors_to_add, ElementsAre(ProcessorId("sink_a")));
  EXPECT_THAT(d.links_to_remove, ElementsAre(LinkId("relay.out->sink_a.in")));
  EXPECT_THAT(d.links_to_add, ElementsAre(LinkId("relay.out->sink_a.in")));
  EXPECT_THAT(d.processors_to_update, IsEmpty());
}

TEST_F(GraphDeltaTest, MixedChangePrintsThePlanInApplicationOrder) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.remove_processor(ProcessorId("sink_a")));                 // 2 (+1 its link)
  ASSERT_TRUE(desired.add_processor(node("tap", "Counter")));                   // 3
  ASSERT_TRUE(desired.add_link(link("relay.out", "tap.in", {.capacity = 5})));  // 4
  ASSERT_TRUE(desired.set_processor_config(ProcessorId("source"),
                                           *factory_.canonical_config("TestSource", {{"interval_us", 500}})));  // 5
  ASSERT_TRUE(desired.update_link_config(LinkId("merge.out->sink_b.in"), {.capacity = 32}));                    // 6
  const GraphDelta d = compute_delta(desired, running);
  EXPECT_EQ(d.size(), 6u);
  EXPECT_EQ(format_plan(d, desired, running),
            "1. unwire link relay.out->sink_a.in\n"
            "2. remove processor sink_a (TestSink)\n"
            "3. add processor tap (Counter)\n"
            "4. wire link relay.out->tap.in (capacity 5, block, sequential, timeout 500ms)\n"
            "5. reconfigure processor source (TestSource): interval_us 1000 -> 500\n"
            "6. update link merge.out->sink_b.in: capacity 16 -> 32\n");
}

TEST_F(GraphDeltaTest, ScopedDeltaLooksOnlyAtTheNamedIdsPlusLinksOfChangedProcessors) {
  const Graph running = diamond();
  Graph desired = running;
  ASSERT_TRUE(desired.update_link_config(LinkId("merge.out->sink_b.in"), {.capacity = 2}));  // not in scope
  ASSERT_TRUE(desired.remove_processor(ProcessorId("sink_a")));                              // in scope
  DeltaScope scope;
  scope.processors.insert(ProcessorId("sink_a"));
  const GraphDelta d = compute_delta(desired, running, scope);
  EXPECT_THAT(d.processors_to_remove, ElementsAre(ProcessorId("sink_a")));
  EXPECT_THAT(d.links_to_remove, ElementsAre(LinkId("relay.out->sink_a.in")));  // followed its processor
  EXPECT_THAT(d.links_to_update, IsEmpty());
  // The full delta sees both.
  EXPECT_EQ(compute_delta(desired, running).links_to_update.size(), 1u);
}

TEST_F(GraphDeltaTest, FromEmptyEverythingIsAddedSorted) {
  const Graph desired = diamond();
  const GraphDelta d = compute_delta(desired, Graph{});
  EXPECT_THAT(d.processors_to_add, ElementsAre(ProcessorId("merge"), ProcessorId("relay"), ProcessorId("sink_a"),
                                               ProcessorId("sink_b"), ProcessorId("source"), ProcessorId("source2")));
  EXPECT_EQ(d.links_to_add.size(), 5u);
  EXPECT_TRUE(std::is_sorted(d.links_to_add.begin(), d.links_to_add.end()));
}

}  // namespace
}  // namespace streamlib
