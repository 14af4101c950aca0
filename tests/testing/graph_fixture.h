// A factory with the built-in and test processors, and shorthands for building graphs.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "testing/test_processors.h"

namespace streamlib::testing {

class GraphFixture : public ::testing::Test {
 protected:
  GraphFixture() {
    register_builtin_processors(factory_);
    register_test_processors(factory_);
  }

  ProcessorNode node(const std::string& id, const std::string& type,
                     const nlohmann::json& config = nlohmann::json::object()) {
    auto n = factory_.make_node(ProcessorId(id), type, config);
    EXPECT_TRUE(n.has_value()) << (n ? "" : n.error().message());
    return *n;
  }

  static Link link(const std::string& from, const std::string& to, LinkConfig config = {}) {
    return Link{LinkId{}, LinkPortAddress::parse(from).value(), LinkPortAddress::parse(to).value(), config};
  }

  // source -> relay -> {sink_a, merge.a}; source2 -> merge.b; merge -> sink_b
  Graph diamond() {
    Graph g;
    EXPECT_TRUE(g.add_processor(node("source", "TestSource")));
    EXPECT_TRUE(g.add_processor(node("source2", "TestSource")));
    EXPECT_TRUE(g.add_processor(node("relay", "TestRelay")));
    EXPECT_TRUE(g.add_processor(node("merge", "TestMerge")));
    EXPECT_TRUE(g.add_processor(node("sink_a", "TestSink")));
    EXPECT_TRUE(g.add_processor(node("sink_b", "TestSink")));
    EXPECT_TRUE(g.add_link(link("source.out", "relay.in")));
    EXPECT_TRUE(g.add_link(link("relay.out", "sink_a.in")));
    EXPECT_TRUE(g.add_link(link("relay.out", "merge.a")));
    EXPECT_TRUE(g.add_link(link("source2.out", "merge.b")));
    EXPECT_TRUE(g.add_link(link("merge.out", "sink_b.in")));
    return g;
  }

  ProcessorFactory factory_;
};

}  // namespace streamlib::testing
