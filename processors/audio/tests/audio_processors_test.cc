// Each audio processor alone, through ProcessorHarness (no threads, a virtual clock).
#include <gtest/gtest.h>

#include <cmath>

#include "audio/audio_processors.h"
#include "audio_test_support.h"
#include "streamlib/testing/processor_harness.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)

TEST(GainProcessor, ScalesByGainDbExactlyAndRampsToALiveChange) {
  ProcessorHarness<Gain> h({.gain_db = -6.0f, .ramp_ms = 10.0f});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in", constant_block(2, 48000, 480, 0, 0.5f)));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  const float expected = 0.5f * dsp::db_to_linear(-6.0f);
  EXPECT_NEAR(expected, 0.5f * 0.501187f, 1e-6);
  for (float s : out[0].samples()) ASSERT_EQ(s, expected);
  EXPECT_EQ(out[0].sample_position(), 0);

  // Live: -20 dB ramps over 10 ms (480 frames at 48 kHz), then holds exactly.
  ASSERT_TRUE(h.set_config({.gain_db = -20.0f, .ramp_ms = 10.0f}));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(h.push("in", constant_block(2, 48000, 480, b * 480, 0.5f)));
  ASSERT_TRUE(h.run());
  out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 3u);
  const std::vector<float> ramp = channel_of({out[0]}, 0);
  EXPECT_LT(ramp.front(), expected + 1e-6f);
  for (std::size_t i = 1; i < ramp.size(); ++i) ASSERT_LE(ramp[i], ramp[i - 1]) << i;  // no step up
  const float target = 0.5f * dsp::db_to_linear(-20.0f);
  for (float s : out[2].samples()) ASSERT_FLOAT_EQ(s, target);
}

// A live change of the block size sends what is buffered as a short block (no silence in the
// middle of the stream: every sample keeps its position), and a live change of `flush` alone
// decides what the end of the stream does with the last partial block.
TEST(BufferRechunkerProcessor, LiveChangesOfBlockSizeAndFlushKeepTheTimelineWhole) {
  ProcessorHarness<BufferRechunker> h({.frames_per_buffer = 480, .flush = dsp::FlushMode::kPad});
  ASSERT_TRUE(h.start());
  std::int64_t pos = 0;
  auto push = [&](std::size_t n) {
    WritableAudioFrame w(1, 48000, n);
    for (std::size_t i = 0; i < n; ++i) w.samples()[i] = static_cast<float>(pos + static_cast<std::int64_t>(i) + 1);
    w.set_sample_position(pos);
    w.set_timestamp_ns(pos * 1'000'000'000 / 48000);
    ASSERT_TRUE(h.push("in", std::move(w).freeze()));
    pos += static_cast<std::int64_t>(n);
  };
  push(700);  // one block of 480, 220 buffered
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.set_config({.frames_per_buffer = 256, .flush = dsp::FlushMode::kPad}));
  push(600);  // 2 blocks of 256, 88 buffered
  ASSERT_TRUE(h.run());
  ASSERT_TRUE(h.set_config({.frames_per_buffer = 256, .flush = dsp::FlushMode::kDrop}));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  const auto out = h.take<AudioFrame>("out");
  std::vector<std::size_t> sizes;
  for (const AudioFrame& f : out) sizes.push_back(f.frame_count());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{480, 220, 256, 256}));  // the last 88 dropped, per `flush`
  std::int64_t expected = 0;
  for (const AudioFrame& f : out) {
    EXPECT_EQ(f.sample_position(), expected);
    for (std::size_t i = 0; i < f.frame_count(); ++i) {
      ASSERT_EQ(f.samples()[i], static_cast<float>(expected + static_cast<std::int64_t>(i) + 1)) << "no silence";
    }
    expected += static_cast<std::int64_t>(f.frame_count());
  }
}

TEST(BufferRechunkerProcessor, CutsFixedBlocksWithContinuousPositionsAndTimestampsAndFlushesTheTail) {
  ProcessorHarness<BufferRechunker> h({.frames_per_buffer = 480, .flush = dsp::FlushMode::kPad});
  ASSERT_TRUE(h.start());
  const std::int64_t start = 1000;
  const std::int64_t start_ns = 5'000'000'000;
  std::int64_t pos = start;
  for (std::size_t n : {100u, 333u, 17u, 1000u, 1u, 479u, 250u}) {
    WritableAudioFrame w(2, 48000, n);
    for (std::size_t i = 0; i < n; ++i) {
      w.samples()[2 * i] = static_cast<float>(pos + static_cast<std::int64_t>(i));
      w.samples()[2 * i + 1] = -static_cast<float>(pos + static_cast<std::int64_t>(i));
    }
    w.set_sample_position(pos);
    w.set_timestamp_ns(start_ns + (pos - start) * 1'000'000'000 / 48000);
    ASSERT_TRUE(h.push("in", std::move(w).freeze()));
    pos += static_cast<std::int64_t>(n);
  }
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 4u);  // 2180 frames: 4 full blocks, 260 left
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto tail = h.take<AudioFrame>("out");
  ASSERT_EQ(tail.size(), 1u);  // the padded tail, from finish()
  EXPECT_TRUE(h.output_ended("out"));
  out.push_back(tail[0]);
  for (std::size_t k = 0; k < out.size(); ++k) {
    ASSERT_EQ(out[k].frame_count(), 480u);
    EXPECT_EQ(out[k].sample_position(), start + static_cast<std::int64_t>(k) * 480);
    EXPECT_EQ(out[k].timestamp_ns(), start_ns + static_cast<std::int64_t>(k) * 10'000'000);
  }
  const std::vector<float> left = channel_of(out, 0);
  for (std::int64_t i = 0; i < pos - start; ++i)
    ASSERT_EQ(left[static_cast<std::size_t>(i)], static_cast<float>(start + i));
  for (std::size_t i = static_cast<std::size_t>(pos - start); i < left.size(); ++i) ASSERT_EQ(left[i], 0.0f);  // pad
}

TEST(AudioResamplerProcessor, Converts44100To48000KeepingTheFrequency) {
  ProcessorHarness<AudioResampler> h({.sample_rate = 48000, .quality = dsp::ResampleQuality::kHigh});
  ASSERT_TRUE(h.start());
  for (int b = 0; b < 100; ++b) ASSERT_TRUE(h.push("in", sine_block(1, 44100, 441, b * 441, 1000.0, 0.5f)));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_FALSE(out.empty());
  std::int64_t next = 0;
  std::size_t total = 0;
  for (const AudioFrame& f : out) {
    EXPECT_EQ(f.sample_rate(), 48000);
    EXPECT_EQ(f.sample_position(), next);
    next += static_cast<std::int64_t>(f.frame_count());
    total += f.frame_count();
  }
  EXPECT_EQ(total, 48000u);  // one second in, one second out (the filter tail from finish())
  const std::vector<float> x = channel_of(out, 0);
  EXPECT_NEAR(frequency(x, 4800, 43200, 48000), 1000.0, 0.1);
  EXPECT_NEAR(peak(x, 4800, 43200), 0.5f, 0.01f);
}

TEST(AudioResamplerProcessor, PassesAudioAlreadyAtTheRateUntouched) {
  ProcessorHarness<AudioResampler> h({.sample_rate = 48000});
  ASSERT_TRUE(h.start());
  AudioFrame f = sine_block(2, 48000, 480, 0, 440.0, 0.5f);
  ASSERT_TRUE(h.push("in", f));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].buffer_id(), f.buffer_id());
}

TEST(AudioResamplerProcessor, ALiveRateChangeResamplesFromTheNextFrameOn) {
  ProcessorHarness<AudioResampler> h({.sample_rate = 48000});
  ASSERT_TRUE(h.start());
  for (int b = 0; b < 10; ++b) ASSERT_TRUE(h.push("in", sine_block(1, 48000, 480, b * 480, 1000.0, 0.5f)));
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<AudioFrame>("out").size(), 10u);  // already at 48 kHz: passed on
  ASSERT_TRUE(h.set_config({.sample_rate = 32000, .quality = dsp::ResampleQuality::kHigh}));
  for (int b = 10; b < 110; ++b) ASSERT_TRUE(h.push("in", sine_block(1, 48000, 480, b * 480, 1000.0, 0.5f)));
  ASSERT_TRUE(h.end_input("in"));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_FALSE(out.empty());
  std::size_t total = 0;
  for (const AudioFrame& f : out) {
    EXPECT_EQ(f.sample_rate(), 32000);
    total += f.frame_count();
  }
  EXPECT_EQ(total, 32000u);                        // one second at the new rate
  EXPECT_EQ(out.front().sample_position(), 3200);  // position 4800 at 48 kHz, on the new rate
  const std::vector<float> x = channel_of(out, 0);
  EXPECT_NEAR(frequency(x, 3200, 28800, 32000), 1000.0, 0.1);
}

TEST(AudioChannelConverterProcessor, DuplicatesMonoPicksASideAndDownmixes) {
  {
    ProcessorHarness<AudioChannelConverter> h({.channels = 2});
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(
        h.push("in", block_of(1, 48000, 64, 7, [](int, std::int64_t p) { return 0.001f * static_cast<float>(p); })));
    ASSERT_TRUE(h.run());
    auto out = h.take<AudioFrame>("out");
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].channels(), 2);
    EXPECT_EQ(out[0].sample_position(), 7);
    EXPECT_EQ(channel_of(out, 0), channel_of(out, 1));
    EXPECT_FLOAT_EQ(channel_of(out, 1)[3], 0.010f);
  }
  for (auto [mode, side] : {std::pair{dsp::ChannelMode::kPickLeft, 0}, std::pair{dsp::ChannelMode::kPickRight, 1}}) {
    ProcessorHarness<AudioChannelConverter> h({.channels = 1, .mode = mode});
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(h.push("in", block_of(2, 48000, 16, 0, [](int c, std::int64_t) { return c == 0 ? 0.25f : -0.5f; })));
    ASSERT_TRUE(h.run());
    auto out = h.take<AudioFrame>("out");
    ASSERT_EQ(out.size(), 1u);
    for (float s : out[0].samples()) ASSERT_EQ(s, side == 0 ? 0.25f : -0.5f);
  }
  {
    // 5.1 (FL FR FC LFE SL SR) -> stereo: L = FL + k FC + k SL, R = FR + k FC + k SR.
    ProcessorHarness<AudioChannelConverter> h({.channels = 2});
    ASSERT_TRUE(h.start());
    const float v[6] = {0.1f, 0.2f, 0.3f, 0.9f, 0.05f, 0.07f};
    ASSERT_TRUE(h.push("in", block_of(6, 48000, 8, 0, [&](int c, std::int64_t) { return v[c]; })));
    ASSERT_TRUE(h.run());
    auto out = h.take<AudioFrame>("out");
    ASSERT_EQ(out.size(), 1u);
    const float k = dsp::kMinus3dB;
    EXPECT_NEAR(out[0].samples()[0], 0.1f + k * 0.3f + k * 0.05f, 1e-6);
    EXPECT_NEAR(out[0].samples()[1], 0.2f + k * 0.3f + k * 0.07f, 1e-6);
  }
}

TEST(AudioMixerProcessor, HasOneInputPortPerConfiguredInput) {
  ProcessorHarness<AudioMixer> h({.inputs = 4});
  for (const char* name : {"in_0", "in_1", "in_2", "in_3"}) EXPECT_NE(h.processor().find_input(name), nullptr) << name;
  EXPECT_EQ(h.processor().find_input("in_4"), nullptr);
  EXPECT_NE(h.processor().find_output("out"), nullptr);
}

TEST(AudioMixerProcessor, ALiveChangeOfInputsAddsPortsAndKeepsTheLinksOfTheOthers) {
  ProcessorHarness<AudioMixer> h({.inputs = 2, .frames_per_buffer = 480});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 480, 0, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, 0, 0.5f)));
  ASSERT_TRUE(h.run());
  ASSERT_EQ(h.take<AudioFrame>("out").size(), 1u);
  ASSERT_TRUE(h.set_config({.inputs = 3, .frames_per_buffer = 480}));
  ASSERT_NE(h.processor().find_input("in_2"), nullptr);
  EXPECT_TRUE(h.processor().find_input("in_0")->is_connected());
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 480, 480, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, 480, 0.5f)));
  ASSERT_TRUE(h.push("in_2", constant_block(1, 48000, 480, 480, 0.125f)));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sample_position(), 480);
  for (float s : out[0].samples()) ASSERT_EQ(s, 0.875f);
}

TEST(AudioMixerProcessor, LiveChangesOfModeAndBlockLengthGoOnWithoutAGapOrADrain) {
  ProcessorHarness<AudioMixer> h({.inputs = 2, .frames_per_buffer = 480});
  ASSERT_TRUE(h.start());
  // in_0 runs a block ahead of in_1: what it holds past the mix must survive the changes.
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 960, 0, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, 0, 0.5f)));
  ASSERT_TRUE(h.run());
  auto first = h.take<AudioFrame>("out");
  ASSERT_EQ(first.size(), 1u);
  for (float s : first[0].samples()) ASSERT_EQ(s, 0.75f);

  ASSERT_TRUE(h.set_config({.inputs = 2, .mode = dsp::MixMode::kNormalized, .frames_per_buffer = 240}));
  // Nothing was mixed by the change itself (no half-empty block padded with silence).
  EXPECT_TRUE(h.take<AudioFrame>("out").empty());
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 480, 960, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, 480, 0.5f)));
  ASSERT_TRUE(h.run());
  auto after = h.take<AudioFrame>("out");
  ASSERT_EQ(after.size(), 2u);
  for (std::size_t k = 0; k < after.size(); ++k) {
    EXPECT_EQ(after[k].sample_position(), 480 + static_cast<std::int64_t>(k) * 240);
    ASSERT_EQ(after[k].frame_count(), 240u);
    for (float s : after[k].samples()) ASSERT_EQ(s, 0.375f);  // (0.25 + 0.5) / 2
  }
  EXPECT_EQ(h.processor().starved_blocks(0), 0u);
  EXPECT_EQ(h.processor().starved_blocks(1), 0u);
}

TEST(AudioMixerProcessor, SumsNormalizesAndSoftClipsAlignedInputs) {
  struct Case {
    dsp::MixMode mode;
    float a, b, expected;
  };
  for (const Case& c :
       {Case{dsp::MixMode::kSum, 0.25f, 0.5f, 0.75f}, Case{dsp::MixMode::kNormalized, 0.25f, 0.5f, 0.375f},
        Case{dsp::MixMode::kSoftClip, 0.7f, 0.6f, dsp::soft_clip(1.3f, 0.5f)}}) {
    ProcessorHarness<AudioMixer> h({.inputs = 2, .mode = c.mode, .frames_per_buffer = 480});
    ASSERT_TRUE(h.start());
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(h.push("in_0", constant_block(2, 48000, 480, k * 480, c.a)));
      ASSERT_TRUE(h.push("in_1", constant_block(2, 48000, 480, k * 480, c.b)));
    }
    ASSERT_TRUE(h.run());
    auto out = h.take<AudioFrame>("out");
    ASSERT_EQ(out.size(), 3u);
    for (std::size_t k = 0; k < out.size(); ++k) {
      EXPECT_EQ(out[k].sample_position(), static_cast<std::int64_t>(k) * 480);
      for (float s : out[k].samples()) ASSERT_EQ(s, c.expected);
    }
    EXPECT_LT(dsp::soft_clip(1.3f, 0.5f), 1.0f);
    EXPECT_EQ(h.processor().starved_blocks(0), 0u);
    EXPECT_EQ(h.processor().starved_blocks(1), 0u);
  }
}

TEST(AudioMixerProcessor, MixesAStalledInputAsSilenceAfterTheTimeoutAndCountsIt) {
  ProcessorHarness<AudioMixer> h({.inputs = 2, .mode = dsp::MixMode::kSum, .frames_per_buffer = 480, .timeout_ms = 50});
  ASSERT_TRUE(h.start());
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 480, k * 480, 0.25f)));
    ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, k * 480, 0.5f)));
  }
  ASSERT_TRUE(h.run());
  EXPECT_EQ(h.take<AudioFrame>("out").size(), 2u);
  // in_1 goes quiet; in_0 goes on. Before the timeout the mix waits.
  for (int k = 2; k < 5; ++k) ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 480, k * 480, 0.25f)));
  ASSERT_TRUE(h.run());
  h.advance(std::chrono::milliseconds(10));
  ASSERT_TRUE(h.run());
  EXPECT_TRUE(h.take<AudioFrame>("out").empty());
  h.advance(std::chrono::milliseconds(50));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 3u);
  for (const AudioFrame& f : out) {
    for (float s : f.samples()) ASSERT_EQ(s, 0.25f);  // in_1 is silence
  }
  EXPECT_EQ(h.processor().starved_blocks(1), 3u);
  EXPECT_EQ(h.processor().starved_blocks(0), 0u);
  EXPECT_EQ(h.processor().metrics()["starved_blocks"][1], 3u);
  EXPECT_GE(h.input_stalls(), 1u);
}

TEST(AudioMixerProcessor, MixesAnEndedInputAsSilenceAndDrainsAtTheEnd) {
  ProcessorHarness<AudioMixer> h({.inputs = 2, .frames_per_buffer = 480});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 960, 0, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(1, 48000, 480, 0, 0.5f)));
  ASSERT_TRUE(h.end_input("in_1"));
  ASSERT_TRUE(h.run());
  auto out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 2u);
  for (float s : out[0].samples()) ASSERT_EQ(s, 0.75f);
  for (float s : out[1].samples()) ASSERT_EQ(s, 0.25f);
  EXPECT_EQ(h.processor().starved_blocks(1), 1u);
  ASSERT_TRUE(h.push("in_0", constant_block(1, 48000, 100, 960, 0.25f)));
  ASSERT_TRUE(h.end_input("in_0"));
  ASSERT_TRUE(h.run());
  out = h.take<AudioFrame>("out");
  ASSERT_EQ(out.size(), 1u);  // the last 100 frames, padded to a block, from finish()
  EXPECT_EQ(out[0].samples()[99], 0.25f);
  EXPECT_EQ(out[0].samples()[100], 0.0f);
  EXPECT_TRUE(h.output_ended("out"));
}

TEST(AudioMixerProcessor, RejectsAnInputAtAnotherSampleRateNamingThePort) {
  ProcessorHarness<AudioMixer> h({.inputs = 2});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("in_0", constant_block(2, 48000, 480, 0, 0.25f)));
  ASSERT_TRUE(h.push("in_1", constant_block(2, 44100, 441, 0, 0.25f)));
  auto r = h.run();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("in_1"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("44100 Hz"), std::string::npos) << r.error().message();
}

TEST(AudioConfigs, RejectOutOfRangeValuesNamingTheField) {
  auto bad = config_from_json<AudioMixerConfig>({{"inputs", 0}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("inputs"), std::string::npos);
  auto rs = config_from_json<AudioResamplerConfig>({{"quality", "ultra"}});
  ASSERT_FALSE(rs);
  EXPECT_NE(rs.error().message().find("quality"), std::string::npos);
  EXPECT_TRUE(config_from_json<GainConfig>({{"gain_db", -6.5}}));
}

}  // namespace
}  // namespace streamlib
