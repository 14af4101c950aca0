// Lv2Effect through ProcessorHarness and in a StreamRuntime, with the installed eg-amp
// (lv2-examples) and swh's delay_n (swh-lv2).
#include <gtest/gtest.h>

#include <cmath>

#include "audio_test_support.h"
#include "lv2/lv2_effect.h"
#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)

constexpr const char* kEgAmp = "http://lv2plug.in/plugins/eg-amp";
constexpr const char* kSwhDelay = "http://plugin.org.uk/swh-plugins/delay_n";

// eg-amp's own formula: 10^(gain / 20) in float.
float amp_coefficient(float db) { return std::pow(10.0f, db * 0.05f); }

TEST(Lv2EffectProcessor, EgAmpChangesTheLevelByGainExactlyIncludingALiveChange) {
  ProcessorHarness<Lv2Effect> h({.plugin = kEgAmp, .controls = {{"gain", -6.0f}}});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in", constant_block(2, 48000, 480, 0, 0.5f)));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].channels(), 2);
  EXPECT_EQ(out[0].sample_position(), 0);
  for (float s : out[0].samples()) ASSERT_FLOAT_EQ(s, 0.5f * amp_coefficient(-6.0f));
  EXPECT_NEAR(0.5f * amp_coefficient(-6.0f), 0.2506f, 1e-4);

  ASSERT_TRUE(h.set_config({.plugin = kEgAmp, .controls = {{"gain", -20.0f}}}));
  ASSERT_TRUE(h.push("in", constant_block(2, 48000, 480, 480, 0.5f)));
  ASSERT_TRUE(h.run());
  out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sample_position(), 480);
  for (float s : out[0].samples()) ASSERT_FLOAT_EQ(s, 0.5f * amp_coefficient(-20.0f));
  EXPECT_FLOAT_EQ(h.processor().control("gain").value(), -20.0f);

  // A control left out goes back to the plugin's default (0 dB).
  ASSERT_TRUE(h.set_config({.plugin = kEgAmp}));
  ASSERT_TRUE(h.push("in", constant_block(2, 48000, 480, 960, 0.5f)));
  ASSERT_TRUE(h.run());
  out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  for (float s : out[0].samples()) ASSERT_FLOAT_EQ(s, 0.5f);
}

TEST(Lv2EffectProcessor, AnUnknownUriIsAnErrorNamingTheClosestPlugin) {
  ProcessorHarness<Lv2Effect> h({.plugin = "http://lv2plug.in/plugins/eg-amq"});
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("eg-amq"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("http://lv2plug.in/plugins/eg-amp"), std::string::npos) << r.error().message();
}

TEST(Lv2EffectProcessor, AnUnknownControlIsAnErrorNamingItAndTheCloseOnes) {
  ProcessorHarness<Lv2Effect> h({.plugin = kEgAmp, .controls = {{"gian", 1.0f}}});
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("'gian'"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("did you mean gain"), std::string::npos) << r.error().message();
}

TEST(Lv2EffectProcessor, ALiveChangeToAnUnknownControlIsRefusedAndTheOldOneKept) {
  ProcessorHarness<Lv2Effect> h({.plugin = kEgAmp, .controls = {{"gain", -6.0f}}});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in", constant_block(1, 48000, 64, 0, 0.5f)));
  ASSERT_TRUE(h.run());
  EXPECT_FALSE(h.set_config({.plugin = kEgAmp, .controls = {{"volume", -6.0f}}}));
  EXPECT_EQ(h.config().controls.at("gain"), -6.0f);
}

TEST(Lv2EffectProcessor, SwhDelayEchoesAClickAtTheDelayTime) {
  ProcessorHarness<Lv2Effect> h({.plugin = kSwhDelay, .controls = {{"delay_time", 0.1f}}});
  ASSERT_TRUE(h.start());
  const std::int64_t click = 1000;
  for (int b = 0; b < 20; ++b) {
    ASSERT_TRUE(
        h.push("in", block_of(2, 48000, 480, b * 480, [&](int, std::int64_t p) { return p == click ? 1.0f : 0.0f; })));
  }
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 20u);
  EXPECT_EQ(h.processor().metrics()["instances"], 2u);  // a mono plugin, once per channel
  for (int c = 0; c < 2; ++c) {
    const std::vector<float> x = channel_of(out, c);
    std::size_t loudest = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::abs(x[i]) > std::abs(x[loudest])) loudest = i;
    }
    EXPECT_EQ(loudest, static_cast<std::size_t>(click + 4800)) << c;  // 100 ms at 48 kHz
    EXPECT_NEAR(x[loudest], 1.0f, 1e-3);
    EXPECT_LT(std::abs(x[static_cast<std::size_t>(click)]), 1e-3);
  }
}

TEST(Lv2EffectProcessor, MdaAmbienceLeavesARoomTailAfterTheInputStops) {
  ProcessorHarness<Lv2Effect> h(
      {.plugin = "http://drobilla.net/plugins/mda/Ambience", .controls = {{"size", 1.0f}, {"mix", 1.0f}}});
  ASSERT_TRUE(h.start());
  // 100 ms of a 1 kHz tone, then 400 ms of silence.
  for (int b = 0; b < 50; ++b) {
    ASSERT_TRUE(h.push("in", b < 10 ? sine_block(2, 48000, 480, b * 480, 1000.0, 0.5f)
                                    : constant_block(2, 48000, 480, b * 480, 0.0f)));
  }
  ASSERT_TRUE(h.run());
  const std::vector<float> x = channel_of(h.take<AudioFrame>("out"), 0);
  ASSERT_EQ(x.size(), 24000u);
  const double during = rms(x, 0, 4800);
  const double tail = rms(x, 4800 + 48, 4800 + 240);  // 1..5 ms after the input stopped
  const double late = rms(x, 9600, 14400);            // 100..200 ms after
  EXPECT_GT(during, 0.01);
  EXPECT_GT(tail, during * 0.1) << "no tail: during " << during << ", tail " << tail;
  EXPECT_LT(late, tail * 1e-3);  // a small room: it dies away
}

class Lv2Runtime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { register_audio_test_processors(); }
};

TEST_F(Lv2Runtime, TheModuleRegistersLv2EffectWithControlsAsAConfigObject) {
  const ProcessorDescriptor* d = ProcessorFactory::global().find("Lv2Effect");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->find_input("in"), nullptr);
  EXPECT_NE(d->find_output("out"), nullptr);
  auto canon =
      ProcessorFactory::global().canonical_config("Lv2Effect", {{"plugin", kEgAmp}, {"controls", {{"gain", -3.0}}}});
  ASSERT_TRUE(canon) << canon.error().message();
  EXPECT_EQ((*canon)["controls"]["gain"], -3.0);
}

TEST_F(Lv2Runtime, AnUnknownUriIsRejectedWhenAddedLive) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.start());
  auto r = rt.add_processor("Lv2Effect", {{"plugin", "http://lv2plug.in/plugins/eg-amq"}}, "fx");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("http://lv2plug.in/plugins/eg-amp"), std::string::npos) << r.error().message();
  ASSERT_TRUE(rt.stop());
}

TEST_F(Lv2Runtime, EgAmpInAGraphScalesByGainAndTakesALiveChange) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestBlockSource>(
      {.channels = 2, .blocks = 300, .frequency = 0, .amplitude = 0.5f, .interval_us = 2000}, "src"));
  ASSERT_TRUE(rt.add_processor("Lv2Effect", {{"plugin", kEgAmp}, {"controls", {{"gain", -6.0}}}}, "amp"));
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_amp"));
  ASSERT_TRUE(rt.connect("src.audio", "amp.in", kLossless));
  ASSERT_TRUE(rt.connect("amp.out", "sink_amp.in", kLossless));
  ASSERT_TRUE(rt.start());
  auto got = Collected::get("sink_amp");
  ASSERT_TRUE(eventually([&] { return got->size() >= 5; }));
  ASSERT_TRUE(rt.update_processor_config(ProcessorId("amp"), {{"plugin", kEgAmp}, {"controls", {{"gain", -20.0}}}}));
  ASSERT_TRUE(all_finished(rt));
  const std::vector<AudioFrame> frames = got->snapshot();
  ASSERT_EQ(frames.size(), 300u);
  for (float s : frames.front().samples()) ASSERT_FLOAT_EQ(s, 0.5f * amp_coefficient(-6.0f));
  for (float s : frames.back().samples()) ASSERT_FLOAT_EQ(s, 0.5f * amp_coefficient(-20.0f));
  // Every block is at one level or the other: the change landed between two blocks.
  for (const AudioFrame& f : frames) {
    const float first = f.samples()[0];
    for (float s : f.samples()) ASSERT_EQ(s, first);
  }
  ASSERT_TRUE(rt.stop());
}

TEST_F(Lv2Runtime, SwhDelayInAGraphDelaysASineByTheDelayTime) {
  StreamRuntime rt;
  ASSERT_TRUE(
      rt.add_processor<TestBlockSource>({.channels = 1, .blocks = 50, .frequency = 440.0, .amplitude = 0.5f}, "src"));
  ASSERT_TRUE(rt.add_processor("Lv2Effect", {{"plugin", kSwhDelay}, {"controls", {{"delay_time", 0.05}}}}, "delay"));
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_delay"));
  ASSERT_TRUE(rt.connect("src.audio", "delay.in", kLossless));
  ASSERT_TRUE(rt.connect("delay.out", "sink_delay.in", kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  const std::vector<float> y = channel_of(Collected::get("sink_delay")->snapshot(), 0);
  ASSERT_EQ(y.size(), 24000u);
  const std::size_t delay = 2400;  // 50 ms at 48 kHz
  for (std::size_t i = 0; i < delay; ++i) ASSERT_LT(std::abs(y[i]), 1e-4) << i;
  for (std::size_t i = delay; i < y.size(); ++i) {
    const double t = static_cast<double>(i - delay) / 48000.0;
    ASSERT_NEAR(y[i], 0.5 * std::sin(2.0 * std::numbers::pi * 440.0 * t), 1e-3) << i;
  }
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
