// The audio processors in a real StreamRuntime: TestBlockSource -> processor -> TestAudioSink.
#include <gtest/gtest.h>

#include "audio/audio_processors.h"
#include "audio_test_support.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)
using std::chrono::seconds;

class AudioRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { register_audio_test_processors(); }
};

TEST_F(AudioRuntime, TheModuleRegistersEveryAudioProcessor) {
  for (const char* type : {"AudioResampler", "AudioChannelConverter", "BufferRechunker", "Gain", "AudioMixer"}) {
    EXPECT_NE(ProcessorFactory::global().find(type), nullptr) << type;
  }
  const ProcessorDescriptor* gain = ProcessorFactory::global().find("Gain");
  ASSERT_NE(gain, nullptr);
  EXPECT_NE(gain->find_input("in"), nullptr);
  EXPECT_NE(gain->find_output("out"), nullptr);
  EXPECT_TRUE(gain->default_config.contains("gain_db"));
}

TEST_F(AudioRuntime, AChainResamplesConvertsRechunksAndScalesToTheEnd) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestBlockSource>({.sample_rate = 44100,
                                                 .channels = 1,
                                                 .frames_per_buffer = 441,
                                                 .blocks = 100,
                                                 .frequency = 1000.0,
                                                 .amplitude = 0.5f},
                                                "src"));
  ASSERT_TRUE(rt.add_processor<AudioResampler>({.sample_rate = 48000, .quality = dsp::ResampleQuality::kHigh}, "rs"));
  ASSERT_TRUE(rt.add_processor<AudioChannelConverter>({.channels = 2}, "cc"));
  ASSERT_TRUE(rt.add_processor<BufferRechunker>({.frames_per_buffer = 256}, "rc"));
  ASSERT_TRUE(rt.add_processor<Gain>({.gain_db = -6.0f}, "gain"));
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_chain"));
  ASSERT_TRUE(rt.connect("src.audio", "rs.in", kLossless));
  ASSERT_TRUE(rt.connect("rs.out", "cc.in", kLossless));
  ASSERT_TRUE(rt.connect("cc.out", "rc.in", kLossless));
  ASSERT_TRUE(rt.connect("rc.out", "gain.in", kLossless));
  ASSERT_TRUE(rt.connect("gain.out", "sink_chain.in", kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  auto got = Collected::get("sink_chain");
  const std::vector<AudioFrame> frames = got->snapshot();
  EXPECT_TRUE(got->finished);
  ASSERT_EQ(frames.size(), 188u);  // 48000 frames in blocks of 256: 187.5, the last padded
  for (std::size_t k = 0; k < frames.size(); ++k) {
    ASSERT_EQ(frames[k].frame_count(), 256u);
    ASSERT_EQ(frames[k].channels(), 2);
    ASSERT_EQ(frames[k].sample_rate(), 48000);
    ASSERT_EQ(frames[k].sample_position(), static_cast<std::int64_t>(k) * 256);
    ASSERT_EQ(frames[k].timestamp_ns(), dsp::frames_to_ns(static_cast<std::int64_t>(k) * 256, 48000));
  }
  const std::vector<float> l = channel_of(frames, 0);
  EXPECT_EQ(l, channel_of(frames, 1));
  EXPECT_NEAR(frequency(l, 4800, 43200, 48000), 1000.0, 0.1);
  EXPECT_NEAR(peak(l, 4800, 43200), 0.5f * dsp::db_to_linear(-6.0f), 0.01f);
  ASSERT_TRUE(rt.stop());
}

TEST_F(AudioRuntime, GainTakesALiveChangeWithoutARebuild) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestBlockSource>(
      {.channels = 2, .frames_per_buffer = 480, .blocks = 400, .frequency = 0, .amplitude = 0.5f, .interval_us = 2000},
      "src"));
  auto gain = rt.add_processor<Gain>({.gain_db = 0.0f, .ramp_ms = 10.0f}, "gain").value();
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_gain"));
  ASSERT_TRUE(rt.connect("src.audio", "gain.in", kLossless));
  ASSERT_TRUE(rt.connect("gain.out", "sink_gain.in", kLossless));
  ASSERT_TRUE(rt.start());
  auto got = Collected::get("sink_gain");
  ASSERT_TRUE(eventually([&] { return got->size() >= 5; }));
  ASSERT_TRUE(rt.update_processor_config(gain, {.gain_db = -20.0f, .ramp_ms = 10.0f}));
  ASSERT_TRUE(all_finished(rt));
  const std::vector<AudioFrame> frames = got->snapshot();
  ASSERT_EQ(frames.size(), 400u);
  for (float s : frames.front().samples()) ASSERT_EQ(s, 0.5f);
  for (float s : frames.back().samples()) ASSERT_FLOAT_EQ(s, 0.5f * dsp::db_to_linear(-20.0f));
  // The change ramps (one block of 10 ms changes level smoothly, downwards): the running
  // processor took it through on_config_change; a rebuild would jump.
  std::size_t ramps = 0;
  for (const AudioFrame& f : frames) {
    auto s = f.samples();
    if (s.front() == s.back()) continue;
    ++ramps;
    for (std::size_t i = 2; i < s.size(); i += 2) ASSERT_LE(s[i], s[i - 2]);
  }
  EXPECT_GE(ramps, 1u);
  // Positions continuous across the change.
  for (std::size_t k = 0; k < frames.size(); ++k)
    ASSERT_EQ(frames[k].sample_position(), static_cast<std::int64_t>(k) * 480);
  ASSERT_TRUE(rt.stop());
}

TEST_F(AudioRuntime, MixerSumsTwoSourcesAndMixesTheOneThatEndsAsSilence) {
  StreamRuntime rt;
  ASSERT_TRUE(
      rt.add_processor<TestBlockSource>({.channels = 2, .blocks = 20, .frequency = 0, .amplitude = 0.25f}, "a"));
  ASSERT_TRUE(rt.add_processor<TestBlockSource>({.channels = 2, .blocks = 10, .frequency = 0, .amplitude = 0.5f}, "b"));
  auto mix = rt.add_processor<AudioMixer>({.inputs = 2, .mode = dsp::MixMode::kSum, .frames_per_buffer = 480}, "mix");
  ASSERT_TRUE(mix);
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_mix"));
  ASSERT_TRUE(rt.connect("a.audio", "mix.in_0", kLossless));
  ASSERT_TRUE(rt.connect("b.audio", "mix.in_1", kLossless));
  ASSERT_TRUE(rt.connect("mix.out", "sink_mix.in", kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  const std::vector<AudioFrame> frames = Collected::get("sink_mix")->snapshot();
  ASSERT_EQ(frames.size(), 20u);
  for (std::size_t k = 0; k < frames.size(); ++k) {
    ASSERT_EQ(frames[k].sample_position(), static_cast<std::int64_t>(k) * 480);
    for (float s : frames[k].samples()) ASSERT_EQ(s, k < 10 ? 0.75f : 0.25f) << k;
  }
  auto stats = rt.stats();
  const ProcessorStats* mix_stats = stats.find_processor(ProcessorId("mix"));
  ASSERT_NE(mix_stats, nullptr);
  EXPECT_EQ(mix_stats->metrics["starved_blocks"][0], 0u);
  EXPECT_EQ(mix_stats->metrics["starved_blocks"][1], 10u);  // the 10 blocks after `b` ended
  ASSERT_TRUE(rt.stop());
}

TEST_F(AudioRuntime, MixerGoesOnWithoutAStalledInputAfterItsTimeout) {
  StreamRuntime rt;
  // `b` sends one block, then nothing for 500 ms (its stream has not ended); `a` runs on.
  ASSERT_TRUE(rt.add_processor<TestBlockSource>(
      {.channels = 1, .blocks = 30, .frequency = 0, .amplitude = 0.25f, .interval_us = 1000}, "a"));
  ASSERT_TRUE(rt.add_processor<TestBlockSource>(
      {.channels = 1, .blocks = 1, .frequency = 0, .amplitude = 0.5f, .interval_us = 1000, .stall_ms = 500}, "b"));
  ASSERT_TRUE(rt.add_processor<AudioMixer>({.inputs = 3, .frames_per_buffer = 480, .timeout_ms = 20}, "mix2"));
  ASSERT_TRUE(rt.add_processor<TestAudioSink>({}, "sink_mix2"));
  ASSERT_TRUE(rt.connect("a.audio", "mix2.in_0", kLossless));
  ASSERT_TRUE(rt.connect("b.audio", "mix2.in_2", kLossless));
  ASSERT_TRUE(rt.connect("mix2.out", "sink_mix2.in", kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  const std::vector<AudioFrame> frames = Collected::get("sink_mix2")->snapshot();
  ASSERT_EQ(frames.size(), 30u);
  for (float s : frames[0].samples()) ASSERT_EQ(s, 0.75f);
  for (std::size_t k = 1; k < frames.size(); ++k) {
    for (float s : frames[k].samples()) ASSERT_EQ(s, 0.25f) << k;
  }
  auto stats = rt.stats();
  const ProcessorStats* mix_stats = stats.find_processor(ProcessorId("mix2"));
  ASSERT_NE(mix_stats, nullptr);
  EXPECT_EQ(mix_stats->metrics["starved_blocks"][0], 0u);
  EXPECT_EQ(mix_stats->metrics["starved_blocks"][2], 29u);
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
