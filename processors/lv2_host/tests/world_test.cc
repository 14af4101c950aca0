// The LV2 world: listing, describing, "did you mean", refusing what cannot be hosted.
#include "lv2_host/world.h"

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lv2_host/instance.h"
#include "test_support.h"

namespace streamlib::lv2 {
namespace {

using ::streamlib::lv2::testing::kEgAmp;
using ::streamlib::lv2::testing::kEgSampler;
using ::streamlib::lv2::testing::kMdaAmbience;
using ::streamlib::lv2::testing::kProbe;
using ::streamlib::lv2::testing::kProbeWeird;
using ::streamlib::lv2::testing::load_probe_bundle;

const PluginSummary* find_summary(const std::vector<PluginSummary>& list, std::string_view uri) {
  auto it = std::find_if(list.begin(), list.end(), [&](const PluginSummary& s) { return s.uri == uri; });
  return it == list.end() ? nullptr : &*it;
}

TEST(Lv2World, ListsInstalledPluginsSortedByUriWithTheirAudioPortCounts) {
  const std::vector<PluginSummary> plugins = World::get().plugins();
  ASSERT_GT(plugins.size(), 100U);  // lv2-examples + mda-lv2 + swh-lv2
  EXPECT_TRUE(std::is_sorted(plugins.begin(), plugins.end(),
                             [](const PluginSummary& a, const PluginSummary& b) { return a.uri < b.uri; }));

  const PluginSummary* amp = find_summary(plugins, kEgAmp);
  ASSERT_NE(amp, nullptr);
  EXPECT_EQ(amp->name, "Simple Amplifier");
  EXPECT_EQ(amp->audio_inputs, 1U);
  EXPECT_EQ(amp->audio_outputs, 1U);
  EXPECT_EQ(amp->control_inputs, 1U);
  EXPECT_EQ(amp->control_outputs, 0U);
  EXPECT_TRUE(amp->supported);

  const PluginSummary* ambience = find_summary(plugins, kMdaAmbience);
  ASSERT_NE(ambience, nullptr);
  EXPECT_EQ(ambience->name, "MDA Ambience");
  EXPECT_EQ(ambience->audio_inputs, 2U);
  EXPECT_EQ(ambience->audio_outputs, 2U);
}

TEST(Lv2World, ListMarksAPluginNeedingAnUnprovidedFeatureAsUnsupportedAndSaysWhy) {
  const std::vector<PluginSummary> plugins = World::get().plugins();
  const PluginSummary* sampler = find_summary(plugins, kEgSampler);
  ASSERT_NE(sampler, nullptr);
  EXPECT_FALSE(sampler->supported);
  EXPECT_NE(sampler->unsupported_reason.find("http://lv2plug.in/ns/ext/worker#schedule"), std::string::npos)
      << sampler->unsupported_reason;
}

TEST(Lv2World, DescribesEgAmpPortsWithRangesDefaultsAndScalePoints) {
  const PluginInfo info = World::get().describe(kEgAmp).value();
  EXPECT_EQ(info.uri, kEgAmp);
  EXPECT_EQ(info.name, "Simple Amplifier");
  EXPECT_EQ(info.class_label, "Amplifier Plugin");
  ASSERT_EQ(info.ports.size(), 3U);

  const PortInfo* gain = info.port("gain");
  ASSERT_NE(gain, nullptr);
  EXPECT_EQ(gain->index, 0U);
  EXPECT_EQ(gain->name, "Gain");
  EXPECT_EQ(gain->type, PortType::kControl);
  EXPECT_EQ(gain->direction, PortDirection::kInput);
  EXPECT_TRUE(gain->has_minimum);
  EXPECT_TRUE(gain->has_maximum);
  EXPECT_TRUE(gain->has_default);
  EXPECT_FLOAT_EQ(gain->minimum, -90.0f);
  EXPECT_FLOAT_EQ(gain->maximum, 24.0f);
  EXPECT_FLOAT_EQ(gain->default_value, 0.0f);
  EXPECT_FALSE(gain->integer);
  EXPECT_FALSE(gain->toggled);
  EXPECT_FALSE(gain->enumeration);
  ASSERT_EQ(gain->scale_points.size(), 4U);
  EXPECT_FLOAT_EQ(gain->scale_points[0].value, -10.0f);
  EXPECT_EQ(gain->scale_points[0].label, "-10");
  EXPECT_FLOAT_EQ(gain->scale_points[3].value, 5.0f);
  EXPECT_EQ(gain->scale_points[3].label, "+5");

  const PortInfo* in = info.port("in");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->type, PortType::kAudio);
  EXPECT_EQ(in->direction, PortDirection::kInput);
  EXPECT_EQ(in->name, "In");
  const PortInfo* out = info.port("out");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->type, PortType::kAudio);
  EXPECT_EQ(out->direction, PortDirection::kOutput);

  EXPECT_EQ(info.audio_inputs(), 1U);
  EXPECT_EQ(info.audio_outputs(), 1U);
  EXPECT_TRUE(info.missing_features.empty());
  EXPECT_TRUE(info.check_supported().has_value());
}

TEST(Lv2World, DescribesAtomCvAndSampleRateRelativePorts) {
  load_probe_bundle();
  const PluginInfo info = World::get().describe(kProbe).value();
  const PortInfo* events = info.port("events");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->type, PortType::kAtom);
  EXPECT_TRUE(events->supports_midi);
  EXPECT_EQ(events->minimum_buffer_size, 16384U);
  EXPECT_EQ(info.port("cv_in")->type, PortType::kCv);
  EXPECT_EQ(info.port("cv_out")->direction, PortDirection::kOutput);
  const PortInfo* cutoff = info.port("cutoff");
  EXPECT_TRUE(cutoff->sample_rate_relative);
  EXPECT_FLOAT_EQ(cutoff->maximum, 0.5f);  // as declared; an Instance scales it
  const PortInfo* mode = info.port("mode");
  EXPECT_TRUE(mode->integer);
  EXPECT_TRUE(mode->enumeration);
  EXPECT_TRUE(info.port("bypass")->toggled);
  EXPECT_EQ(info.count(PortType::kControl, PortDirection::kOutput), 7U);
}

TEST(Lv2World, UnknownUriErrorNamesTheClosestInstalledPlugin) {
  const Result<PluginInfo> info = World::get().describe("http://lv2plug.in/plugins/eg-amq");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(info.error().message().find("'http://lv2plug.in/plugins/eg-amq'"), std::string::npos);
  EXPECT_NE(info.error().message().find("did you mean http://lv2plug.in/plugins/eg-amp?"), std::string::npos)
      << info.error().message();
}

TEST(Lv2World, UnknownUriWithAnotherPrefixIsMatchedByItsLastSegment) {
  const Result<PluginInfo> info = World::get().describe("http://example.org/plugins/eg-amp");
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message().find("did you mean http://lv2plug.in/plugins/eg-amp"), std::string::npos)
      << info.error().message();
}

TEST(Lv2World, APluginNameInsteadOfAUriSuggestsThatPluginsUri) {
  const Result<PluginInfo> info = World::get().describe("MDA Ambience");
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message().find(kMdaAmbience), std::string::npos) << info.error().message();
}

TEST(Lv2World, UnrelatedUriErrorSaysNothingIsCloseAndHowToListPlugins) {
  const Result<PluginInfo> info = World::get().describe("http://nothing.invalid/qqqqqqqqqqqqqqqqqqqq");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message().find("did you mean"), std::string::npos) << info.error().message();
  EXPECT_NE(info.error().message().find("lv2ls"), std::string::npos);
}

TEST(Lv2ClosestMatches, RanksByEditDistanceAndKeepsOnlyTheNearOnes) {
  const std::vector<MatchCandidate> candidates = {
      {"http://x.org/p/delay", "Delay"},
      {"http://x.org/p/delay_l", "Delay line"},
      {"http://x.org/p/reverb", "Big Reverb"},
      {"http://x.org/p/amp", "Amplifier"},
  };
  EXPECT_EQ(closest_matches("http://x.org/p/dealy", candidates), (std::vector<std::string>{"http://x.org/p/delay"}));
  EXPECT_EQ(closest_matches("http://x.org/p/delay", candidates, 1), (std::vector<std::string>{"http://x.org/p/delay"}));
  EXPECT_EQ(closest_matches("big reverb", candidates), (std::vector<std::string>{"http://x.org/p/reverb"}));
  EXPECT_EQ(closest_matches("AMP", candidates).front(), "http://x.org/p/amp");  // case-insensitive
  EXPECT_TRUE(closest_matches("zzzzzzzzzzzzzz", candidates).empty());
}

TEST(Lv2World, PluginRequiringAnUnprovidedFeatureIsRefusedNamingTheFeatureUri) {
  const auto instance = Instance::create(kEgSampler, {.sample_rate = 48000, .max_block = 256});
  ASSERT_FALSE(instance.has_value());
  EXPECT_EQ(instance.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(instance.error().message().find("http://lv2plug.in/ns/ext/worker#schedule"), std::string::npos)
      << instance.error().message();
}

TEST(Lv2World, PluginWithARequiredPortOfUnknownTypeIsRefusedNamingThePort) {
  load_probe_bundle();
  const PluginInfo info = World::get().describe(kProbeWeird).value();
  EXPECT_EQ(info.port("weird")->type, PortType::kUnknown);
  EXPECT_EQ(info.unconnectable_ports, (std::vector<std::string>{"weird"}));

  const auto instance = Instance::create(kProbeWeird);
  ASSERT_FALSE(instance.has_value());
  EXPECT_EQ(instance.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(instance.error().message().find("'weird'"), std::string::npos) << instance.error().message();
  EXPECT_NE(instance.error().message().find("http://example.org/ns#WeirdPort"), std::string::npos)
      << instance.error().message();
}

TEST(Lv2World, LoadingADirectoryThatIsNotABundleFails) {
  const Result<void> loaded = World::get().load_bundle("/tmp");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().message().find("manifest.ttl"), std::string::npos);
}

TEST(Lv2World, IsOneObjectSafeToUseFromManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<const World*> seen(4, nullptr);
  std::vector<int> described(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      seen[t] = &World::get();
      for (int i = 0; i < 20; ++i) {
        if (World::get().describe(i % 2 == 0 ? kEgAmp : kMdaAmbience).has_value()) ++described[t];
        World::get().map_uri("http://streamlib.dev/test/thread/" + std::to_string(i));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t t = 0; t < 4; ++t) {
    EXPECT_EQ(seen[t], &World::get());
    EXPECT_EQ(described[t], 20);
  }
}

TEST(Lv2World, UridMapGivesOneStableIdPerUriAndMapsItBack) {
  World& world = World::get();
  const std::uint32_t a = world.map_uri("http://streamlib.dev/test/urid/a");
  const std::uint32_t b = world.map_uri("http://streamlib.dev/test/urid/b");
  EXPECT_NE(a, 0U);
  EXPECT_NE(a, b);
  EXPECT_EQ(world.map_uri("http://streamlib.dev/test/urid/a"), a);
  EXPECT_EQ(world.unmap_uri(b), "http://streamlib.dev/test/urid/b");
  EXPECT_EQ(world.unmap_uri(0), "");
  EXPECT_EQ(world.unmap_uri(0xFFFFFFF0U), "");
}

}  // namespace
}  // namespace streamlib::lv2
