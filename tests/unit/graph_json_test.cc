// Graph files: exact round trips, checksum stability, and every SPEC §8 error that applies to a
// graph file, with its message checked. Also: DOT output accepted by Graphviz.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "streamlib/graph/graph.h"
#include "streamlib/registry.h"
#include "testing/graph_fixture.h"

namespace streamlib {
namespace {

using testing::GraphFixture;
using ::testing::HasSubstr;
using ::testing::Not;

class GraphJsonTest : public GraphFixture {
 protected:
  Result<Graph> parse(const std::string& text) { return Graph::from_json(text, factory_); }

  // Parses, expects failure, returns the message.
  std::string error_of(const std::string& text, ErrorCode code) {
    auto g = parse(text);
    EXPECT_FALSE(g) << "parsed: " << text;
    if (g) return {};
    EXPECT_EQ(g.error().code(), code) << g.error().message();
    return g.error().message();
  }
};

constexpr const char* kPipeline = R"({
  "processors": [
    {"id": "src", "type": "TestSource", "config": {"interval_us": 250, "tag": "a"}},
    {"id": "relay", "type": "TestRelay"},
    {"id": "sink", "type": "TestSink", "config": {"delay_us": 0}},
    {"id": "count", "type": "Counter"}
  ],
  "links": [
    {"from": "src.out", "to": "relay.in", "capacity": 4, "policy": "drop_oldest"},
    {"from": "relay.out", "to": "sink.in", "read_mode": "latest"},
    {"id": "tap", "from": "relay.out", "to": "count.in", "policy": "block", "block_timeout_ms": 50}
  ]
})";

TEST_F(GraphJsonTest, RoundTripIsExactSameGraphSameChecksum) {
  auto g = parse(kPipeline);
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->processor_count(), 4u);
  EXPECT_EQ(g->link_count(), 3u);
  const std::string text = g->to_json();
  auto again = parse(text);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *g);
  EXPECT_EQ(again->checksum(), g->checksum());
  EXPECT_EQ(again->to_json(), text);  // serialization is a fixed point
  // Defaults were filled in and the explicit link id survived.
  EXPECT_EQ(g->find_processor(ProcessorId("src"))->config["count"], 0);
  EXPECT_NE(g->find_link(LinkId("tap")), nullptr);
  EXPECT_EQ(g->find_link(LinkId("tap"))->config.block_timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(g->find_link(LinkId("relay.out->sink.in"))->config.read_mode, ReadMode::kLatest);
}

TEST_F(GraphJsonTest, ReorderedInputGivesTheSameGraphAndChecksum) {
  constexpr const char* reordered = R"({
    "links": [
      {"id": "tap", "to": "count.in", "from": "relay.out", "block_timeout_ms": 50, "policy": "block"},
      {"read_mode": "latest", "to": "sink.in", "from": "relay.out"},
      {"policy": "drop_oldest", "capacity": 4, "to": "relay.in", "from": "src.out"}
    ],
    "processors": [
      {"type": "Counter", "id": "count"},
      {"config": {"delay_us": 0}, "type": "TestSink", "id": "sink"},
      {"type": "TestRelay", "id": "relay", "config": {"tag": "relay"}},
      {"config": {"tag": "a", "interval_us": 250, "count": 0}, "id": "src", "type": "TestSource"}
    ]
  })";
  auto a = parse(kPipeline);
  auto b = parse(reordered);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->checksum(), b->checksum());
  EXPECT_EQ(a->to_json(), b->to_json());
}

TEST_F(GraphJsonTest, EmptyGraphIsValid) {
  auto g = parse(R"({"processors": [], "links": []})");
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->empty());
  EXPECT_TRUE(parse("{}"));
}

TEST_F(GraphJsonTest, MalformedJsonGivesLineAndColumn) {
  const std::string msg = error_of("{\n  \"processors\": [\n    {\"id\": \"a\",, }\n  ]\n}", ErrorCode::kParse);
  EXPECT_THAT(msg, HasSubstr("malformed JSON at line 3, column 16"));
  EXPECT_THAT(error_of("", ErrorCode::kParse), HasSubstr("line 1, column 1"));
  EXPECT_THAT(error_of("{\"processors\": [}", ErrorCode::kParse), HasSubstr("line 1, column 17"));
  // A number out of range is malformed input too, not an exception (found by the fuzzer).
  EXPECT_EQ(error_of("{\"processors\": [\n  {\"id\": 1e400}]}", ErrorCode::kParse),
            "malformed JSON at line 2, column 14: number overflow parsing '1e400'");
}

TEST_F(GraphJsonTest, UnknownProcessorTypeNamesTheTypeAndListsKnownOnes) {
  const std::string msg = error_of(
      R"({"processors": [{"id": "a", "type": "TestSource"}, {"id": "b", "type": "Warp"}]})", ErrorCode::kNotFound);
  EXPECT_THAT(msg, HasSubstr("processors[1].type: unknown processor type 'Warp'"));
  EXPECT_THAT(msg, HasSubstr("Counter"));
}

TEST_F(GraphJsonTest, UnknownPortNamesProcessorPortAndJsonLocation) {
  const std::string msg = error_of(R"({
    "processors": [{"id": "src", "type": "TestSource"}, {"id": "sink", "type": "TestSink"}],
    "links": [{"from": "src.out", "to": "sink.input"}]})",
                                   ErrorCode::kNotFound);
  EXPECT_EQ(msg, "links[0].to: processor 'sink' (TestSink) has no input port 'input' (inputs: in)");
}

TEST_F(GraphJsonTest, MessageTypeMismatchNamesBothPortsAndTypes) {
  const std::string msg = error_of(R"({
    "processors": [{"id": "cam", "type": "TestVideoSource"}, {"id": "sink", "type": "TestSink"}],
    "links": [{"from": "cam.video", "to": "sink.in"}]})",
                                   ErrorCode::kTypeMismatch);
  EXPECT_EQ(msg, "links[0]: message types differ: cam.video carries VideoFrame, sink.in takes DataFrame");
}

TEST_F(GraphJsonTest, AnyFrameInputsTakeEveryBuiltInFrameType) {
  auto g = parse(R"({
    "processors": [{"id": "cam", "type": "TestVideoSource"}, {"id": "n", "type": "NullSink"}],
    "links": [{"from": "cam.video", "to": "n.in"}]})");
  ASSERT_TRUE(g) << g.error().message();
}

TEST_F(GraphJsonTest, CycleNamesTheProcessorsOnIt) {
  const std::string msg = error_of(R"({
    "processors": [{"id": "src", "type": "TestSource"}, {"id": "m", "type": "TestMerge"},
                   {"id": "x", "type": "TestRelay"}, {"id": "y", "type": "TestRelay"}],
    "links": [{"from": "src.out", "to": "m.a"}, {"from": "m.out", "to": "x.in"},
              {"from": "x.out", "to": "y.in"}, {"from": "y.out", "to": "m.b"}]})",
                                   ErrorCode::kCycle);
  EXPECT_EQ(msg, "cycle: m -> x -> y -> m");
}

TEST_F(GraphJsonTest, DuplicateProcessorIdPointsAtBothEntries) {
  const std::string msg = error_of(
      R"({"processors": [{"id": "a", "type": "TestSource"}, {"id": "b", "type": "TestSink"}, {"id": "a", "type": "TestSink"}]})",
      ErrorCode::kAlreadyExists);
  EXPECT_EQ(msg, "processors[2].id: duplicate processor id 'a' (also processors[0])");
}

TEST_F(GraphJsonTest, SecondLinkIntoAnInputIsRejected) {
  const std::string msg = error_of(R"({
    "processors": [{"id": "a", "type": "TestSource"}, {"id": "b", "type": "TestSource"}, {"id": "s", "type": "TestSink"}],
    "links": [{"from": "a.out", "to": "s.in"}, {"from": "b.out", "to": "s.in"}]})",
                                   ErrorCode::kAlreadyExists);
  EXPECT_THAT(msg, HasSubstr("links[1].to: input s.in already has a link (links[0]); an input takes one link"));
}

// A config error names the processor by its place in the file and by the id users address it by.
TEST_F(GraphJsonTest, ConfigFieldUnknownWrongTypeOrOutOfRangeIsNamed) {
  auto with_config = [&](const char* config) {
    return fmt::format(R"({{"processors": [{{"id": "src", "type": "SequenceSource", "config": {}}}]}})", config);
  };
  EXPECT_EQ(error_of(with_config(R"({"intervall_us": 5})"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config: unknown field 'intervall_us' (did you mean 'interval_us'? known fields: "
            "interval_us, count, payload_bytes, "
            "schema)");
  EXPECT_EQ(error_of(with_config(R"({"interval_us": "fast"})"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config.interval_us: expected integer, got string");
  EXPECT_EQ(error_of(with_config(R"({"interval_us": -1})"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config.interval_us: -1 is out of range for uint (must not be negative)");
  EXPECT_EQ(error_of(with_config(R"({"interval_us": 2.5})"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config.interval_us: expected integer, got 2.5");
  EXPECT_EQ(error_of(with_config(R"({"payload_bytes": 4})"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config.payload_bytes: 4 is out of range [8, 67108864]");
  EXPECT_EQ(error_of(with_config(R"([1, 2])"), ErrorCode::kInvalidArgument),
            "processors[0]: src.config: expected object, got array");
}

TEST_F(GraphJsonTest, LinkConfigErrorsAreNamed) {
  auto with_link = [&](const char* fields) {
    return fmt::format(R"({{"processors": [{{"id": "a", "type": "TestSource"}}, {{"id": "b", "type": "TestSink"}}],
                           "links": [{{"from": "a.out", "to": "b.in", {}}}]}})",
                       fields);
  };
  EXPECT_EQ(error_of(with_link(R"("capacity": 0)"), ErrorCode::kInvalidArgument),
            "links[0].capacity: 0 is out of range [1, 1048576]");
  EXPECT_EQ(error_of(with_link(R"("policy": "drop_everything")"), ErrorCode::kInvalidArgument),
            "links[0].policy: 'drop_everything' is not one of drop_newest|drop_oldest|block");
  EXPECT_EQ(error_of(with_link(R"("read_mode": 1)"), ErrorCode::kInvalidArgument),
            "links[0].read_mode: expected one of sequential|latest, got integer");
  EXPECT_THAT(error_of(with_link(R"("capacty": 3)"), ErrorCode::kInvalidArgument),
              HasSubstr("links[0]: unknown field 'capacty'"));
  EXPECT_EQ(error_of(with_link(R"("id": "")"), ErrorCode::kInvalidArgument),
            "links[0].id: expected a non-empty string");
}

TEST_F(GraphJsonTest, StructuralErrorsGiveTheJsonLocation) {
  EXPECT_EQ(error_of("[]", ErrorCode::kInvalidArgument),
            "graph: expected an object with \"processors\" and \"links\", got array");
  EXPECT_EQ(error_of(R"({"processor": []})", ErrorCode::kInvalidArgument),
            "graph: unknown field 'processor' (did you mean 'processors'? known fields: processors, links, executor)");
  EXPECT_EQ(error_of(R"({"processors": {}})", ErrorCode::kInvalidArgument), "processors: expected array, got object");
  EXPECT_EQ(error_of(R"({"processors": [{"type": "Counter"}]})", ErrorCode::kInvalidArgument),
            "processors[0]: missing field 'id'");
  EXPECT_EQ(error_of(R"({"processors": [{"id": 7, "type": "Counter"}]})", ErrorCode::kInvalidArgument),
            "processors[0].id: expected string, got integer");
  EXPECT_EQ(error_of(R"({"processors": [{"id": "a.b", "type": "Counter"}]})", ErrorCode::kInvalidArgument),
            "processors[0].id: 'a.b' is not a valid processor id (letters, digits, '_' and '-')");
  EXPECT_EQ(error_of(R"({"links": [{"from": "a", "to": "b.in"}]})", ErrorCode::kInvalidArgument),
            "links[0].from: 'a' is not a port address (expected \"processor.port\")");
  EXPECT_EQ(error_of(R"({"links": [{"from": "a.out", "to": "b.in"}]})", ErrorCode::kNotFound),
            "links[0].from: no processor 'a' (from a.out)");
}

// A file with several mistakes reports all of them, each with its location, so that a user
// fixes the file in one pass; a link to a processor that failed to load is not reported again,
// and a link to a processor that is not in the file at all is.
TEST_F(GraphJsonTest, EveryErrorInTheFileIsReportedNotOnlyTheFirst) {
  const std::string msg = error_of(R"({
    "processors": [{"id": "src", "type": "TestSorce"},
                   {"id": "seq", "type": "SequenceSource", "config": {"interval_us": "fast"}},
                   {"id": "relay", "type": "TestRelay"},
                   {"id": "sink", "type": "TestSink"},
                   {"id": "sink", "type": "TestSink"}],
    "links": [{"from": "src.out", "to": "relay.in"},
              {"from": "seq.out", "to": "sink.in"},
              {"from": "relay.out", "to": "sink.inn"},
              {"from": "ghost.out", "to": "sink.in", "capacity": 0}]})",
                                   ErrorCode::kNotFound);
  std::vector<std::string> lines;
  std::istringstream in(msg);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u) << msg;
  EXPECT_EQ(lines[0], "5 errors:");
  EXPECT_THAT(lines[1], HasSubstr("  processors[0].type: unknown processor type 'TestSorce'"));
  EXPECT_EQ(lines[2], "  processors[1]: seq.config.interval_us: expected integer, got string");
  EXPECT_EQ(lines[3], "  processors[4].id: duplicate processor id 'sink' (also processors[3])");
  EXPECT_THAT(lines[4], HasSubstr("  links[2].to: "));
  EXPECT_THAT(lines[4], HasSubstr("inn"));
  EXPECT_EQ(lines[5], "  links[3].capacity: 0 is out of range [1, 1048576]");
  // src and seq failed to load: their links are not reported a second time.
  EXPECT_THAT(msg, Not(HasSubstr("links[0]")));
  EXPECT_THAT(msg, Not(HasSubstr("links[1]")));
}

TEST_F(GraphJsonTest, ExampleGraphsLoad) {
  namespace fs = std::filesystem;
  const fs::path dir = STREAMLIB_EXAMPLES_DIR;
  if (!fs::exists(dir)) GTEST_FAIL() << "no examples directory " << dir;
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    // Graphs of media processors need their components, which this program does not link;
    // the CLI tests (which link every component) validate those.
    std::ifstream file(entry.path());
    const nlohmann::json doc = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
    bool core_only = doc.is_object() && doc.contains("processors");
    if (core_only) {
      for (const auto& p : doc["processors"]) {
        if (ProcessorFactory::global().find(p.value("type", "")) == nullptr) core_only = false;
      }
    }
    if (!core_only) continue;
    auto g = Graph::from_file(entry.path().string());  // the global registry: what the CLI uses
    EXPECT_TRUE(g) << entry.path() << ": " << (g ? "" : g.error().message());
    ++loaded;
  }
  EXPECT_GT(loaded, 0);
}

TEST_F(GraphJsonTest, FromFileNamesTheFileInEveryError) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("streamlib_from_file_{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string missing = (dir / "missing.json").string();
  auto r = Graph::from_file(missing, factory_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(), missing + ": cannot read: No such file or directory");

  r = Graph::from_file(dir.string(), factory_);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_input_error(r.error()));
  EXPECT_EQ(r.error().message(), dir.string() + ": cannot read: Is a directory");

  const std::string bad = (dir / "bad.json").string();
  std::ofstream(bad) << R"({"links": [{"from": "a.out", "to": "b.in"}]})";
  r = Graph::from_file(bad, factory_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message(), bad + ": links[0].from: no processor 'a' (from a.out)");

  const std::string good = (dir / "good.json").string();
  std::ofstream(good) << kPipeline;
  auto g = Graph::from_file(good, factory_);
  ASSERT_TRUE(g) << g.error().message();
  EXPECT_EQ(g->checksum(), parse(kPipeline)->checksum());
  std::filesystem::remove_all(dir);
}

#ifdef STREAMLIB_DOT_EXECUTABLE
TEST_F(GraphJsonTest, DotOutputIsAcceptedByGraphviz) {
  auto g = parse(kPipeline);
  ASSERT_TRUE(g);
  const std::string dot = g->to_dot();
  EXPECT_THAT(dot, HasSubstr("\"src\":\"o_out\" -> \"relay\":\"i_in\" [label=\"4, drop_oldest\"]"));
  EXPECT_THAT(dot, HasSubstr("[label=\"16, block, latest\"]"));
  EXPECT_THAT(dot, HasSubstr("<i_in> in"));
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("streamlib_dot_{}", ::getpid());
  std::filesystem::create_directories(dir);
  const auto dot_file = dir / "graph.dot";
  const auto svg_file = dir / "graph.svg";
  std::ofstream(dot_file) << dot;
  const std::string cmd = fmt::format("'{}' -Tsvg '{}' -o '{}' 2>'{}'", STREAMLIB_DOT_EXECUTABLE, dot_file.string(),
                                      svg_file.string(), (dir / "err.txt").string());
  const int rc = std::system(cmd.c_str());
  std::ifstream err(dir / "err.txt");
  std::stringstream err_text;
  err_text << err.rdbuf();
  EXPECT_EQ(rc, 0) << err_text.str();
  EXPECT_TRUE(err_text.str().empty()) << err_text.str();  // not even a warning
  EXPECT_GT(std::filesystem::file_size(svg_file), 500u);
  std::filesystem::remove_all(dir);
}
#endif

}  // namespace
}  // namespace streamlib

namespace streamlib {
namespace {

TEST(GraphJsonExecutorTest, TheExecutorFieldRoundTripsInBothForms) {
  auto short_form = Graph::from_json(R"({"executor": "pool", "processors": [], "links": []})");
  ASSERT_TRUE(short_form) << short_form.error().message();
  ASSERT_TRUE(short_form->executor());
  EXPECT_EQ(short_form->executor()->kind, ExecutorKind::kPool);
  EXPECT_EQ(short_form->executor()->workers, 0u);
  auto again = Graph::from_json(short_form->to_json());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *short_form);

  auto long_form = Graph::from_json(R"({"executor": {"kind": "threads", "workers": 3}})");
  ASSERT_TRUE(long_form) << long_form.error().message();
  EXPECT_EQ(long_form->executor(), (ExecutorChoice{ExecutorKind::kThreads, 3}));
  EXPECT_EQ(Graph::from_json(long_form->to_json())->executor(), long_form->executor());
  // Graphs that differ only in their executor are not the same graph.
  EXPECT_FALSE(*long_form == *short_form);
  EXPECT_FALSE(Graph::from_json("{}")->executor());
}

TEST(GraphJsonExecutorTest, ABadExecutorIsAnErrorNamingTheField) {
  auto unknown = Graph::from_json(R"({"executor": "fibers"})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "executor: 'fibers' is not an executor (threads|pool)");
  auto no_kind = Graph::from_json(R"({"executor": {"workers": 2}})");
  ASSERT_FALSE(no_kind);
  EXPECT_THAT(no_kind.error().message(), ::testing::HasSubstr("executor.kind: missing"));
  auto bad_workers = Graph::from_json(R"({"executor": {"kind": "pool", "workers": -1}})");
  ASSERT_FALSE(bad_workers);
  EXPECT_THAT(bad_workers.error().message(), ::testing::HasSubstr("executor.workers"));
  auto typo = Graph::from_json(R"({"executor": {"kind": "pool", "worker": 2}})");
  ASSERT_FALSE(typo);
  EXPECT_THAT(typo.error().message(), ::testing::HasSubstr("workers"));
  EXPECT_FALSE(Graph::from_json(R"({"executor": 3})"));
}

}  // namespace
}  // namespace streamlib
