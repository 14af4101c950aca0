// The Graph model: mutation, the invariants its mutators keep, queries, cycles, checksums.
#include "streamlib/graph/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>

#include "testing/graph_fixture.h"

namespace streamlib {
namespace {

using ::testing::ElementsAre;
using testing::GraphFixture;
using ::testing::HasSubstr;

class GraphTest : public GraphFixture {};

std::size_t position(const std::vector<ProcessorId>& order, const char* id) {
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), ProcessorId(id)) - order.begin());
}

TEST_F(GraphTest, AddLinkFillsDefaultIdAndTheMessageTypesDefaultConfig) {
  Graph g;
  ASSERT_TRUE(g.add_processor(node("src", "TestSource")));
  ASSERT_TRUE(g.add_processor(node("sink", "TestSink")));
  auto id = g.add_link(link("src.out", "sink.in", {.capacity = 4}));
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->str(), "src.out->sink.in");
  const Link* l = g.find_link(*id);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->config.capacity, 4u);                // given
  EXPECT_EQ(l->config.policy, LinkPolicy::kBlock);  // DataFrame default
  EXPECT_EQ(l->config.read_mode, ReadMode::kSequential);
  EXPECT_TRUE(l->config.complete());
}

TEST_F(GraphTest, VideoLinksDefaultToCapacityThreeAndDropOldest) {
  Graph g;
  ASSERT_TRUE(g.add_processor(node("cam", "TestVideoSource")));
  ASSERT_TRUE(g.add_processor(node("show", "TestVideoSink")));
  auto id = g.add_link(link("cam.video", "show.video"));
  ASSERT_TRUE(id);
  EXPECT_EQ(g.find_link(*id)->config.capacity, 3u);
  EXPECT_EQ(g.find_link(*id)->config.policy, LinkPolicy::kDropOldest);
}

TEST_F(GraphTest, RemoveProcessorAlsoRemovesItsLinks) {
  Graph g = diamond();
  ASSERT_EQ(g.link_count(), 5u);
  auto removed = g.remove_processor(ProcessorId("relay"));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->type, "TestRelay");
  EXPECT_EQ(g.processor_count(), 5u);
  EXPECT_EQ(g.link_count(), 2u);  // source2->merge.b, merge->sink_b remain
  EXPECT_EQ(g.find_link(LinkId("source.out->relay.in")), nullptr);
  EXPECT_EQ(g.link_into(*LinkPortAddress::parse("merge.a")), nullptr);
  EXPECT_TRUE(g.validate());
  // The freed input takes a new link.
  EXPECT_TRUE(g.add_link(link("source.out", "merge.a")));
}

TEST_F(GraphTest, RemovingUnknownThingsNamesThem) {
  Graph g = diamond();
  auto p = g.remove_processor(ProcessorId("ghost"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(p.error().message(), HasSubstr("'ghost'"));
  auto l = g.remove_link(LinkId("a.b->c.d"));
  ASSERT_FALSE(l);
  EXPECT_THAT(l.error().message(), HasSubstr("'a.b->c.d'"));
}

TEST_F(GraphTest, ASecondNodeClaimingAnExclusiveResourceIsRefusedNamingBoth) {
  Graph g;
  ProcessorNode a = node("a", "TestSink");
  a.exclusive_resources = {"file:/rec/out.mp4"};
  ProcessorNode b = node("b", "TestSink");
  b.exclusive_resources = {"device:/dev/video0", "file:/rec/out.mp4"};
  ProcessorNode c = node("c", "TestSink");
  c.exclusive_resources = {"file:/rec/other.mp4"};
  ASSERT_TRUE(g.add_processor(a));
  auto refused = g.add_processor(b);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(refused.error().message(),
            "processor 'b': file /rec/out.mp4 is already used by processor 'a' (one processor at a time)");
  EXPECT_EQ(g.processor_count(), 1u);
  ASSERT_TRUE(g.add_processor(c));
  // A config change onto a claimed resource is refused and changes nothing.
  const Graph before = g;
  auto moved =
      g.set_processor_config(ProcessorId("c"), {{"tag", "x"}}, c.ports, std::vector<std::string>{"file:/rec/out.mp4"});
  ASSERT_FALSE(moved);
  EXPECT_EQ(g, before);
  EXPECT_EQ(g.find_processor(ProcessorId("c"))->exclusive_resources, c.exclusive_resources);
  // Its own resource again, or a free one, is fine.
  EXPECT_TRUE(g.set_processor_config(ProcessorId("c"), c.config, c.ports, c.exclusive_resources));
  EXPECT_TRUE(g.set_processor_config(ProcessorId("c"), c.config, c.ports, std::vector<std::string>{"file:/x.mkv"}));
  // Once `a` is gone, `b` may have the file.
  ASSERT_TRUE(g.remove_processor(ProcessorId("a")));
  EXPECT_TRUE(g.add_processor(b));
  EXPECT_TRUE(g.validate());
}

TEST_F(GraphTest, DuplicateAndInvalidProcessorIdsAreRejected) {
  Graph g;
  ASSERT_TRUE(g.add_processor(node("src", "TestSource")));
  auto dup = g.add_processor(node("src", "TestSink"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_THAT(dup.error().message(), HasSubstr("duplicate processor id 'src'"));
  ProcessorNode bad = node("ok", "TestSink");
  bad.id = ProcessorId("has space");
  auto invalid = g.add_processor(bad);
  ASSERT_FALSE(invalid);
  EXPECT_THAT(invalid.error().message(), HasSubstr("'has space' is not a valid processor id"));
}

TEST_F(GraphTest, AddLinkRejectsEachKindOfBadLinkWithAMessageNamingIt) {
  Graph g = diamond();
  ASSERT_TRUE(g.add_processor(node("vsrc", "TestVideoSource")));
  struct Case {
    Link link;
    ErrorCode code;
    const char* text;
  };
  const Case cases[] = {
      {link("nobody.out", "sink_a.in"), ErrorCode::kNotFound, "no processor 'nobody' (from nobody.out)"},
      {link("source.out", "nobody.in"), ErrorCode::kNotFound, "no processor 'nobody' (to nobody.in)"},
      {link("source.outt", "sink_b.in"), ErrorCode::kNotFound,
       "processor 'source' (TestSource) has no output port 'outt' (outputs: out)"},
      {link("source.out", "merge.c"), ErrorCode::kNotFound,
       "processor 'merge' (TestMerge) has no input port 'c' (inputs: a, b)"},
      {link("relay.in", "sink_b.in"), ErrorCode::kInvalidArgument, "relay.in is an input port"},
      {link("source.out", "relay.out"), ErrorCode::kInvalidArgument, "relay.out is an output port"},
      {link("vsrc.video", "sink_b.in"), ErrorCode::kTypeMismatch,
       "message types differ: vsrc.video carries VideoFrame, sink_b.in takes DataFrame"},
      {link("source.out", "sink_a.in"), ErrorCode::kAlreadyExists,
       "input sink_a.in already has link 'relay.out->sink_a.in'; an input takes one link"},
      {link("relay.out", "relay.in"), ErrorCode::kCycle, "cycle: relay -> relay"},
      {link("source2.out", "relay.in"), ErrorCode::kAlreadyExists, "input relay.in already has link"},
  };
  const std::uint64_t before = g.checksum();
  for (const Case& c : cases) {
    auto r = g.add_link(c.link);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code(), c.code) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr(c.text));
  }
  EXPECT_EQ(g.checksum(), before);  // nothing changed
}

TEST_F(GraphTest, CapacityZeroAndDuplicateLinkIdsAreRejected) {
  Graph g;
  ASSERT_TRUE(g.add_processor(node("src", "TestSource")));
  ASSERT_TRUE(g.add_processor(node("a", "TestSink")));
  ASSERT_TRUE(g.add_processor(node("b", "TestSink")));
  auto zero = g.add_link(link("src.out", "a.in", {.capacity = 0}));
  ASSERT_FALSE(zero);
  EXPECT_THAT(zero.error().message(), HasSubstr("capacity 0 is out of range"));
  Link named = link("src.out", "a.in");
  named.id = LinkId("main");
  ASSERT_TRUE(g.add_link(named));
  Link again = link("src.out", "b.in");
  again.id = LinkId("main");
  auto dup = g.add_link(again);
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message(), HasSubstr("link 'main' already exists"));
}

TEST_F(GraphTest, SourcesSinksAndTopologicalOrderOnANonTrivialGraph) {
  Graph g = diamond();
  EXPECT_THAT(g.find_sources(), ElementsAre(ProcessorId("source"), ProcessorId("source2")));
  EXPECT_THAT(g.find_sinks(), ElementsAre(ProcessorId("sink_a"), ProcessorId("sink_b")));
  auto order = g.topological_order();
  ASSERT_TRUE(order);
  ASSERT_EQ(order->size(), 6u);
  for (const Link& l : g.links()) {
    EXPECT_LT(position(*order, l.source.processor.str().c_str()), position(*order, l.target.processor.str().c_str()))
        << l.id;
  }
}

TEST_F(GraphTest, TopologicalOrderOfALongChainIsTheChain) {
  Graph g;
  ASSERT_TRUE(g.add_processor(node("r3", "TestRelay")));  // inserted out of order on purpose
  ASSERT_TRUE(g.add_processor(node("src", "TestSource")));
  ASSERT_TRUE(g.add_processor(node("r1", "TestRelay")));
  ASSERT_TRUE(g.add_processor(node("sink", "TestSink")));
  ASSERT_TRUE(g.add_processor(node("r2", "TestRelay")));
  ASSERT_TRUE(g.add_link(link("src.out", "r1.in")));
  ASSERT_TRUE(g.add_link(link("r1.out", "r2.in")));
  ASSERT_TRUE(g.add_link(link("r2.out", "r3.in")));
  ASSERT_TRUE(g.add_link(link("r3.out", "sink.in")));
  auto order = g.topological_order();
  ASSERT_TRUE(order);
  EXPECT_THAT(*order, ElementsAre(ProcessorId("src"), ProcessorId("r1"), ProcessorId("r2"), ProcessorId("r3"),
                                  ProcessorId("sink")));
}

TEST_F(GraphTest, ValidateAndTopologicalOrderNameTheProcessorsOnACycle) {
  Graph g;
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(g.add_processor(node(id, "TestRelay")));
  ASSERT_TRUE(g.add_processor(node("src", "TestSource")));
  ASSERT_TRUE(g.add_processor(node("m", "TestMerge")));
  ASSERT_TRUE(g.add_link(link("src.out", "m.a")));
  ASSERT_TRUE(g.add_link(link("m.out", "b.in")));
  ASSERT_TRUE(g.add_link(link("b.out", "c.in")));
  ASSERT_TRUE(g.add_link(link("c.out", "d.in")));
  ASSERT_TRUE(g.add_link(link("d.out", "m.b")));  // m -> b -> c -> d -> m
  auto v = g.validate();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code(), ErrorCode::kCycle);
  EXPECT_EQ(v.error().message(), "cycle: b -> c -> d -> m -> b");
  auto order = g.topological_order();
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().message(), "cycle: b -> c -> d -> m -> b");
}

TEST_F(GraphTest, WouldCloseCycleReportsThePathBeforeTheLinkIsAdded) {
  Graph g = diamond();
  auto cycle = g.would_close_cycle(ProcessorId("sink_b"), ProcessorId("relay"));
  ASSERT_TRUE(cycle);  // relay -> merge -> sink_b, so sink_b -> relay closes it
  EXPECT_THAT(*cycle,
              ElementsAre(ProcessorId("sink_b"), ProcessorId("relay"), ProcessorId("merge"), ProcessorId("sink_b")));
  EXPECT_FALSE(g.would_close_cycle(ProcessorId("source2"), ProcessorId("relay")));
}

TEST_F(GraphTest, ChecksumIgnoresInsertionOrderButSeesEveryChange) {
  Graph a = diamond();
  Graph b;
  // Same graph, built backwards.
  for (const char* id : {"sink_b", "sink_a", "merge", "relay", "source2"}) {
    ASSERT_TRUE(b.add_processor(*a.find_processor(ProcessorId(id))));
  }
  ASSERT_TRUE(b.add_processor(*a.find_processor(ProcessorId("source"))));
  std::vector<Link> links = a.links();
  std::reverse(links.begin(), links.end());
  for (const Link& l : links) ASSERT_TRUE(b.add_link(l));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.checksum(), b.checksum());

  Graph c = a;
  ASSERT_TRUE(c.update_link_config(LinkId("relay.out->sink_a.in"), {.capacity = 7}));
  EXPECT_NE(c.checksum(), a.checksum());
  Graph d = a;
  ASSERT_TRUE(d.set_processor_config(ProcessorId("relay"), {{"tag", "other"}}));
  EXPECT_NE(d.checksum(), a.checksum());
  Graph e = a;
  ASSERT_TRUE(e.remove_link(LinkId("relay.out->sink_a.in")));
  EXPECT_NE(e.checksum(), a.checksum());
  EXPECT_NE(e, a);
}

TEST_F(GraphTest, ChecksumIsStableAcrossRuns) {
  // A fixed graph has a fixed checksum: the value below must not change between runs,
  // machines or compilers (FNV-1a over canonical JSON, summed per element).
  Graph g;
  ASSERT_TRUE(g.add_processor(node("src", "SequenceSource", {{"interval_us", 500}})));
  ASSERT_TRUE(g.add_processor(node("count", "Counter")));
  ASSERT_TRUE(g.add_link(link("src.out", "count.in", {.capacity = 8})));
  EXPECT_EQ(config_checksum(nlohmann::json{{"b", 1}, {"a", "x"}}),
            config_checksum(nlohmann::json{{"a", "x"}, {"b", 1}}));
  EXPECT_EQ(g.checksum(), Graph::from_json(g.to_json(), factory_)->checksum());
  // Recorded once; a different value means graph files would no longer be recognised as
  // unchanged by a runtime built from another version, machine or compiler.
  EXPECT_EQ(fmt::format("{:016x}", g.checksum()), "bef6dd15e47569d8");
  EXPECT_EQ(config_checksum(nlohmann::json::object()), 0x08f44b07b5901a25ULL);  // FNV-1a("{}")
}

TEST_F(GraphTest, RandomEditsKeepEveryIndexConsistent) {
  // Swap-removes move nodes and links around; a graph rebuilt from scratch from the same JSON
  // must agree with the edited one on everything.
  std::mt19937 rng(7);
  Graph g;
  int next = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 3 || g.processor_count() < 3) {
      ASSERT_TRUE(g.add_processor(node(fmt::format("r{}", next++), "TestRelay")));
    } else if (op < 4) {
      const ProcessorId victim = g.processors()[rng() % g.processor_count()].id;
      ASSERT_TRUE(g.remove_processor(victim));
    } else if (op < 8) {
      const ProcessorNode& a = g.processors()[rng() % g.processor_count()];
      const ProcessorNode& b = g.processors()[rng() % g.processor_count()];
      if (a.id == b.id || g.would_close_cycle(a.id, b.id)) continue;
      (void)g.add_link(link(a.id.str() + ".out", b.id.str() + ".in"));  // may hit fan-in: fine
    } else if (g.link_count() > 0) {
      ASSERT_TRUE(g.remove_link(g.links()[rng() % g.link_count()].id));
    }
    if (step % 250 == 0 || step == 2999) {
      ASSERT_TRUE(g.validate()) << step;
      auto fresh = Graph::from_json(g.to_json(), factory_);
      ASSERT_TRUE(fresh) << fresh.error().message();
      EXPECT_EQ(*fresh, g);
      EXPECT_EQ(fresh->checksum(), g.checksum());
      for (const ProcessorNode& n : g.processors()) {
        auto ids = [](std::vector<const Link*> v) {
          std::vector<std::string> out;
          for (const Link* l : v) out.push_back(l->id.str());
          std::sort(out.begin(), out.end());
          return out;
        };
        EXPECT_EQ(ids(g.links_from(n.id)), ids(fresh->links_from(n.id))) << n.id;
        EXPECT_EQ(ids(g.links_to(n.id)), ids(fresh->links_to(n.id))) << n.id;
      }
      auto order = g.topological_order();
      ASSERT_TRUE(order);
      std::unordered_map<ProcessorId, std::size_t> pos;
      for (std::size_t i = 0; i < order->size(); ++i) pos[(*order)[i]] = i;
      for (const Link& l : g.links()) EXPECT_LT(pos[l.source.processor], pos[l.target.processor]);
    }
  }
  EXPECT_GT(g.link_count(), 10u);
}

TEST_F(GraphTest, UpdateLinkConfigMergesAndValidates) {
  Graph g = diamond();
  const LinkId id("relay.out->sink_a.in");
  ASSERT_TRUE(g.update_link_config(id, {.policy = LinkPolicy::kDropNewest}));
  EXPECT_EQ(g.find_link(id)->config.policy, LinkPolicy::kDropNewest);
  EXPECT_EQ(g.find_link(id)->config.capacity, 16u);  // kept
  auto bad = g.update_link_config(id, {.capacity = 0});
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("link 'relay.out->sink_a.in': capacity 0 is out of range"));
  EXPECT_EQ(g.find_link(id)->config.capacity, 16u);
}

TEST_F(GraphTest, LinkPortAddressParsingNamesWhatIsWrong) {
  EXPECT_TRUE(LinkPortAddress::parse("cam_0.video"));
  auto no_dot = LinkPortAddress::parse("camvideo");
  ASSERT_FALSE(no_dot);
  EXPECT_THAT(no_dot.error().message(), HasSubstr("'camvideo' is not a port address"));
  auto bad_port = LinkPortAddress::parse("cam.vid eo");
  ASSERT_FALSE(bad_port);
  EXPECT_THAT(bad_port.error().message(), HasSubstr("'vid eo' is not a valid port name"));
  EXPECT_FALSE(LinkPortAddress::parse(".video"));
  EXPECT_FALSE(LinkPortAddress::parse("cam."));
}

}  // namespace
}  // namespace streamlib
