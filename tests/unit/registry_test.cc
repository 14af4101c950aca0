// ProcessorFactory: describes each type (ports, execution, schema), creates configured
// instances, rejects unknown types and bad configs.
#include "streamlib/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "counter/counter.h"
#include "streamlib/graph/graph.h"
#include "testing/test_processors.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, GlobalRegistryKnowsTheBuiltIns) {
  auto& f = ProcessorFactory::global();
  for (const char* name : {"Counter", "NullSink", "SequenceSource"}) {
    EXPECT_NE(f.find(name), nullptr) << name;
  }
  auto list = f.list();
  EXPECT_TRUE(std::is_sorted(list.begin(), list.end(), [](auto* a, auto* b) { return a->type_name < b->type_name; }));
}

TEST(RegistryTest, DescriptorHasPortsExecutionAndSchema) {
  ProcessorFactory f;
  register_builtin_processors(f);
  const ProcessorDescriptor* d = f.find("SequenceSource");
  ASSERT_NE(d, nullptr);
  EXPECT_THAT(d->description, HasSubstr("numbered DataFrames"));
  ASSERT_EQ(d->outputs.size(), 1u);
  EXPECT_TRUE(d->inputs.empty());
  EXPECT_EQ(d->outputs[0].name, "out");
  EXPECT_EQ(d->outputs[0].direction, PortDirection::kOutput);
  EXPECT_EQ(d->outputs[0].message_type, "DataFrame");
  EXPECT_EQ(d->outputs[0].default_link.capacity, 16u);
  EXPECT_TRUE(std::holds_alternative<Continuous>(d->execution.mode));
  ASSERT_EQ(d->config_schema.fields.size(), 4u);
  EXPECT_EQ(d->config_schema.fields[0].name, "interval_us");
  EXPECT_EQ(d->default_config["payload_bytes"], 8);
  const nlohmann::json j = d->to_json();
  EXPECT_EQ(j["type"], "SequenceSource");
  EXPECT_EQ(j["execution"], "continuous(1000us)");
  EXPECT_EQ(j["outputs"][0]["message_type"], "DataFrame");

  const ProcessorDescriptor* counter = f.find("Counter");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->inputs[0].message_type, "AnyFrame");
  EXPECT_TRUE(std::holds_alternative<Reactive>(counter->execution.mode));
}

TEST(RegistryTest, CreateAppliesTheConfig) {
  ProcessorFactory f;
  register_builtin_processors(f);
  auto p = f.create("SequenceSource", {{"interval_us", 250}});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ((*p)->type_name(), "SequenceSource");
  EXPECT_EQ((*p)->config_json()["interval_us"], 250);
  const ExecutionConfig exec = (*p)->execution_config();  // derived from the config
  EXPECT_EQ(std::get<Continuous>(exec.mode).interval, std::chrono::microseconds(250));
  ASSERT_NE((*p)->find_output("out"), nullptr);
  EXPECT_EQ((*p)->find_input("out"), nullptr);
}

TEST(RegistryTest, LookupFindsATypeOrNamesTheKnownOnes) {
  ProcessorFactory f;
  register_builtin_processors(f);
  auto counter = f.lookup("Counter");
  ASSERT_TRUE(counter);
  EXPECT_EQ((*counter)->type_name, "Counter");
  auto unknown = f.lookup("Teleporter");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message(),
            "unknown processor type 'Teleporter' (known types: Counter, NullSink, SequenceSource)");
  // A typo or a case slip: the closest type is named first.
  EXPECT_EQ(f.lookup("SequenceSorce").error().message(),
            "unknown processor type 'SequenceSorce', did you mean 'SequenceSource'? "
            "(known types: Counter, NullSink, SequenceSource)");
  EXPECT_EQ(
      f.lookup("nullsink").error().message(),
      "unknown processor type 'nullsink', did you mean 'NullSink'? (known types: Counter, NullSink, SequenceSource)");
}

TEST(RegistryTest, CreateRejectsUnknownTypesAndBadConfigs) {
  ProcessorFactory f;
  register_builtin_processors(f);
  auto unknown = f.create("Teleporter", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message(), "unknown processor type 'Teleporter'");
  auto field = f.create("Counter", {{"expect_sequences", true}});
  ASSERT_FALSE(field);
  EXPECT_EQ(field.error().message(),
            "Counter: config: unknown field 'expect_sequences' (did you mean 'expect_sequence'? known fields: "
            "expect_sequence)");
  auto type = f.create("Counter", {{"expect_sequence", "yes"}});
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().message(), "Counter: config.expect_sequence: expected boolean, got string");
}

TEST(RegistryTest, MakeNodeCanonicalizesTheConfigAndCopiesPorts) {
  ProcessorFactory f;
  register_builtin_processors(f);
  auto a = f.make_node(ProcessorId("s"), "SequenceSource", {{"count", 5}});
  auto b = f.make_node(ProcessorId("s"), "SequenceSource",
                       {{"count", 5}, {"interval_us", 1000}, {"payload_bytes", 8}, {"schema", "sequence"}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->config, b->config);
  EXPECT_EQ(a->config_checksum, b->config_checksum);
  EXPECT_EQ(a->outputs().size(), 1u);
  EXPECT_EQ(a->ports, b->ports);  // shared, not copied per node
}

TEST(RegistryTest, RegisteringTheSameClassTwiceIsANoOpAnotherClassUnderTheSameNameIsAnError) {
  ProcessorFactory f;
  EXPECT_TRUE(f.register_type<testing::TestSink>());
  EXPECT_TRUE(f.register_type<testing::TestSink>());
  ProcessorDescriptor impostor = *f.find("TestSink");
  impostor.cpp_type = typeid(int);
  auto r = f.register_descriptor(impostor);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("'TestSink' is already registered by another class"));
}

TEST(RegistryTest, HandlesMapMemberPointersToPortNames) {
  ProcessorHandle<testing::TestMerge> h(ProcessorId("m"));
  EXPECT_EQ(h.input(&testing::TestMerge::b).address.str(), "m.b");
  EXPECT_EQ(h.output(&testing::TestMerge::out).address.str(), "m.out");
}

}  // namespace
}  // namespace streamlib

// A processor type known only through a module, as a media component registers its own.
namespace registry_module_test {
struct ModuleOnlyConfig {
  int level = 1;
};
STREAMLIB_CONFIG(ModuleOnlyConfig, level);
class ModuleOnlyProcessor : public streamlib::Processor<ModuleOnlyConfig> {
 public:
  STREAMLIB_PROCESSOR(ModuleOnlyProcessor, "Registered by a module", streamlib::Reactive{});
  streamlib::Result<void> process() override { return {}; }
};
}  // namespace registry_module_test

STREAMLIB_MODULE(registry_test) { (void)factory.register_type<registry_module_test::ModuleOnlyProcessor>(); }

namespace streamlib {
namespace {

TEST(RegistryTest, AModuleLinkedIntoTheProgramRegistersItsProcessorsInTheGlobalFactory) {
  auto modules = loaded_modules();
  EXPECT_NE(std::find(modules.begin(), modules.end(), "registry_test"), modules.end());
  EXPECT_NE(ProcessorFactory::global().find("ModuleOnlyProcessor"), nullptr);
  // A module announcing itself again (a second registrar) registers nothing twice.
  EXPECT_TRUE(internal::add_module("registry_test", &streamlib_module_registry_test));
  auto again = loaded_modules();
  EXPECT_EQ(std::count(again.begin(), again.end(), "registry_test"), 1);
}

}  // namespace
}  // namespace streamlib

// Config docs that name a field the config does not have (a typo, a renamed field) keep the
// type out of the registry with an error naming both, rather than showing a wrong schema.
namespace registry_docs_test {
struct MisdocumentedConfig {
  int level = 1;
};
STREAMLIB_CONFIG(MisdocumentedConfig, level);
STREAMLIB_CONFIG_DOCS(MisdocumentedConfig, {"levle", "Output level"});
class Misdocumented : public streamlib::Processor<MisdocumentedConfig> {
 public:
  STREAMLIB_PROCESSOR(Misdocumented, "Its docs name a field it does not have", streamlib::Reactive{});
  streamlib::Result<void> process() override { return {}; }
};
}  // namespace registry_docs_test

namespace streamlib {
namespace {

TEST(RegistryTest, ConfigDocsNamingNoFieldKeepTheTypeOut) {
  ProcessorFactory f;
  auto r = f.register_type<registry_docs_test::Misdocumented>();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "Misdocumented: STREAMLIB_CONFIG_DOCS names 'levle', which is not a field of its config");
  EXPECT_EQ(f.find("Misdocumented"), nullptr);
}

}  // namespace
}  // namespace streamlib

// An output can set its own link defaults over its message type's: a link from it that says
// nothing gets them, a link that sets a field keeps its own.
namespace registry_link_defaults_test {
class BlockingSource : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(BlockingSource, "Reads a file as fast as its link takes", streamlib::Continuous{});
  streamlib::LinkOutput<streamlib::DataFrame> out{
      this, "out", "Numbered frames",
      streamlib::LinkConfig{.policy = streamlib::LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(10)}};
  streamlib::Result<void> process() override { return {}; }
};
}  // namespace registry_link_defaults_test

namespace streamlib {
namespace {

TEST(RegistryTest, AnOutputsOwnLinkDefaultsGoOverItsMessageTypes) {
  ProcessorFactory f;
  ASSERT_TRUE(f.register_type<registry_link_defaults_test::BlockingSource>());
  ASSERT_TRUE(f.register_type<Counter>());
  const PortInfo* out = f.find("BlockingSource")->find_output("out");
  ASSERT_NE(out, nullptr);
  const LinkConfig type_default = default_link_config<DataFrame>();
  EXPECT_EQ(out->default_link.policy, LinkPolicy::kBlock);
  EXPECT_EQ(out->default_link.block_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(out->default_link.capacity, type_default.capacity);  // not set by the port: the type's
  Graph g;
  ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId("src"), "BlockingSource", {}).value()));
  ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId("a"), "Counter", {}).value()));
  ASSERT_TRUE(g.add_processor(f.make_node(ProcessorId("b"), "Counter", {}).value()));
  auto plain = g.add_link({LinkId{}, {ProcessorId("src"), "out"}, {ProcessorId("a"), "in"}, {}});
  auto own = g.add_link(
      {LinkId{}, {ProcessorId("src"), "out"}, {ProcessorId("b"), "in"}, {.policy = LinkPolicy::kDropNewest}});
  ASSERT_TRUE(plain && own);
  EXPECT_EQ(g.find_link(*plain)->config.policy, LinkPolicy::kBlock);
  EXPECT_EQ(g.find_link(*own)->config.policy, LinkPolicy::kDropNewest);
  EXPECT_EQ(g.find_link(*own)->config.block_timeout, std::chrono::milliseconds(10000));
}

}  // namespace
}  // namespace streamlib
