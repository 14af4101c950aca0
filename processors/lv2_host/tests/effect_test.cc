// Effects on interleaved audio: real plugins changing the signal as they should, channel
// mapping, AudioFrames, fixed-block buffering.
#include "lv2_host/effect.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace streamlib::lv2 {
namespace {

using ::streamlib::lv2::testing::kEgAmp;
using ::streamlib::lv2::testing::kMdaAmbience;
using ::streamlib::lv2::testing::kProbeFixed;
using ::streamlib::lv2::testing::kSwhDelay;
using ::streamlib::lv2::testing::load_probe_bundle;

constexpr int kRate = 48000;

// Sample `frame` of channel `ch` in an interleaved buffer.
float at(const std::vector<float>& v, int channels, std::size_t frame, int ch) {
  return v[frame * static_cast<std::size_t>(channels) + static_cast<std::size_t>(ch)];
}

std::size_t peak_frame(const std::vector<float>& v, int channels, int ch, std::size_t from) {
  std::size_t best = from;
  for (std::size_t f = from; f < v.size() / static_cast<std::size_t>(channels); ++f) {
    if (std::fabs(at(v, channels, f, ch)) > std::fabs(at(v, channels, best, ch))) best = f;
  }
  return best;
}

double energy(const std::vector<float>& v, int channels, std::size_t from, std::size_t to) {
  double e = 0.0;
  for (std::size_t f = from; f < to; ++f) {
    for (int ch = 0; ch < channels; ++ch) e += static_cast<double>(at(v, channels, f, ch)) * at(v, channels, f, ch);
  }
  return e;
}

// Processes `in` in chunks of `chunk` frames, as a pipeline would hand them over.
std::vector<float> process_in_chunks(Effect& fx, const std::vector<float>& in, std::size_t chunk) {
  const auto c = static_cast<std::size_t>(fx.channels());
  std::vector<float> out(in.size(), 0.0f);
  for (std::size_t f = 0; f < in.size() / c; f += chunk) {
    const std::size_t n = std::min(chunk, in.size() / c - f);
    fx.process(std::span<const float>(in).subspan(f * c, n * c), std::span<float>(out).subspan(f * c, n * c)).value();
  }
  return out;
}

TEST(Lv2Effect, SwhDelayEchoesAClickAtTheSetDelayTime) {
  auto fx = Effect::create(kSwhDelay, {.channels = 1, .sample_rate = kRate, .max_block = 256}).value();
  EXPECT_EQ(fx->mapping(), ChannelMapping::kDirect);
  EXPECT_FLOAT_EQ(fx->set_control("delay_time", 0.1f).value(), 0.1f);
  fx->activate();
  std::vector<float> in(kRate / 2, 0.0f);
  const std::size_t click = 1000;
  in[click] = 1.0f;
  const std::vector<float> out = process_in_chunks(*fx, in, 480);  // chunks unlike the plugin blocks

  const std::size_t echo = peak_frame(out, 1, 0, 0);
  EXPECT_EQ(echo, click + kRate / 10);  // 100 ms later: exactly 4800 samples
  EXPECT_NEAR(out[echo], 1.0f, 1e-3);
  EXPECT_LT(std::fabs(out[click]), 1e-3);  // the delay line is all wet: nothing at the click
}

TEST(Lv2Effect, MdaAmbienceLeavesAReverbTailAfterTheInputStops) {
  auto fx = Effect::create(kMdaAmbience, {.channels = 2, .sample_rate = kRate, .max_block = 512}).value();
  EXPECT_EQ(fx->mapping(), ChannelMapping::kDirect);
  fx->set_control("size", 1.0f).value();
  fx->set_control("mix", 1.0f).value();
  fx->activate();

  const std::size_t burst = kRate / 10;  // 100 ms of noise, then silence
  std::vector<float> in(static_cast<std::size_t>(kRate) / 2 * 2, 0.0f);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  for (std::size_t i = 0; i < burst * 2; ++i) in[i] = noise(rng);
  const std::vector<float> out = process_in_chunks(*fx, in, 333);

  // Ambience is a small room: its tail is a few milliseconds long, then exactly silent.
  const double during = energy(out, 2, 0, burst);
  const double tail = energy(out, 2, burst + kRate / 1000, burst + kRate / 200);  // 1..5 ms after
  const double late = energy(out, 2, burst + kRate / 10, burst + kRate / 5);      // 100..200 ms after
  EXPECT_GT(during, 1.0);
  EXPECT_GT(tail, during * 1e-2) << "no tail: during " << during << ", tail " << tail;
  EXPECT_LT(late, tail * 1e-6);  // and it dies away
}

TEST(Lv2Effect, SilenceIntoMdaAmbienceGivesSilenceOut) {
  auto fx = Effect::create(kMdaAmbience, {.channels = 2, .sample_rate = kRate, .max_block = 512}).value();
  fx->activate();
  const std::vector<float> out = process_in_chunks(*fx, std::vector<float>(kRate / 10 * 2, 0.0f), 512);
  EXPECT_EQ(energy(out, 2, 0, out.size() / 2), 0.0);
}

TEST(Lv2Effect, AMonoPluginOnStereoRunsOneInstancePerChannelWithItsOwnState) {
  auto fx = Effect::create(kSwhDelay, {.channels = 2, .sample_rate = kRate, .max_block = 256}).value();
  EXPECT_EQ(fx->mapping(), ChannelMapping::kPerChannel);
  EXPECT_EQ(fx->instance_count(), 2U);
  fx->set_control("delay_time", 0.05f).value();
  EXPECT_FLOAT_EQ(fx->instance(1).control("delay_time").value(), 0.05f);  // set on both
  fx->activate();
  std::vector<float> in(static_cast<std::size_t>(kRate) / 5 * 2, 0.0f);
  in[500 * 2 + 0] = 1.0f;   // a click on the left
  in[900 * 2 + 1] = -0.5f;  // another on the right
  const std::vector<float> out = process_in_chunks(*fx, in, 1000);
  EXPECT_EQ(peak_frame(out, 2, 0, 0), 500U + kRate / 20);
  EXPECT_EQ(peak_frame(out, 2, 1, 0), 900U + kRate / 20);
  EXPECT_NEAR(at(out, 2, 500 + kRate / 20, 0), 1.0f, 1e-3);
  EXPECT_NEAR(at(out, 2, 900 + kRate / 20, 1), -0.5f, 1e-3);
  EXPECT_LT(std::fabs(at(out, 2, 500 + kRate / 20, 1)), 1e-6);  // the left click stays left
}

TEST(Lv2Effect, AStereoPluginOnMonoHearsTheChannelOnBothInputsAndGivesItsLeftOutput) {
  auto fx = Effect::create(kMdaAmbience, {.channels = 1, .sample_rate = kRate, .max_block = 256}).value();
  EXPECT_EQ(fx->mapping(), ChannelMapping::kSpread);
  EXPECT_EQ(fx->instance_count(), 1U);
  fx->activate();
  std::vector<float> in(kRate / 10, 0.0f);
  for (std::size_t i = 0; i < 2000; ++i) in[i] = (i % 50 < 25) ? 0.5f : -0.5f;
  const std::vector<float> out = process_in_chunks(*fx, in, 256);
  EXPECT_GT(energy(out, 1, 0, out.size()), 1.0);
}

TEST(Lv2Effect, ProcessesAnAudioFrameKeepingItsTimingLayoutAndMetadata) {
  auto fx = Effect::create(kEgAmp, {.channels = 2, .sample_rate = kRate, .max_block = 256}).value();
  EXPECT_EQ(fx->mapping(), ChannelMapping::kPerChannel);
  fx->set_control("gain", -6.0f).value();
  fx->activate();

  WritableAudioFrame w(2, kRate, 1000);  // longer than a block: split into four runs
  for (std::size_t i = 0; i < w.samples().size(); ++i) w.samples()[i] = std::sin(0.01f * static_cast<float>(i));
  w.set_timestamp_ns(123'456'789);
  w.set_sample_position(48'000);
  w.set_frame_number(42);
  w.metadata().set("source", "mic");
  const AudioFrame in = std::move(w).freeze();

  AudioFramePool pool;
  const AudioFrame out = fx->process(in, pool).value();
  ASSERT_EQ(out.channels(), 2);
  ASSERT_EQ(out.sample_rate(), kRate);
  ASSERT_EQ(out.frame_count(), 1000U);
  EXPECT_EQ(out.timestamp_ns(), 123'456'789);
  EXPECT_EQ(out.sample_position(), 48'000);
  EXPECT_EQ(out.frame_number(), 42U);
  EXPECT_EQ(out.metadata().get("source"), "mic");
  const double gain = std::pow(10.0, -6.0 / 20.0);
  for (std::size_t i = 0; i < out.samples().size(); ++i) {
    const double want = static_cast<double>(in.samples()[i]) * gain;
    ASSERT_NEAR(out.samples()[i], want, std::fabs(want) * 4 * FLT_EPSILON + 1e-30) << i;
  }
}

TEST(Lv2Effect, RefusesAFrameWithAnotherChannelCountOrSampleRate) {
  auto fx = Effect::create(kEgAmp, {.channels = 2, .sample_rate = kRate, .max_block = 256}).value();
  fx->activate();
  AudioFramePool pool;
  const Result<AudioFrame> mono = fx->process(WritableAudioFrame(1, kRate, 64).freeze(), pool);
  ASSERT_FALSE(mono.has_value());
  EXPECT_NE(mono.error().message().find("2 channels"), std::string::npos) << mono.error().message();
  const Result<AudioFrame> other_rate = fx->process(WritableAudioFrame(2, 44100, 64).freeze(), pool);
  ASSERT_FALSE(other_rate.has_value());
  EXPECT_NE(other_rate.error().message().find("44100"), std::string::npos) << other_rate.error().message();
}

TEST(Lv2Effect, ProcessesInPlace) {
  auto fx = Effect::create(kEgAmp, {.channels = 2, .sample_rate = kRate, .max_block = 64}).value();
  fx->set_control("gain", 6.0f).value();
  fx->activate();
  std::vector<float> buffer(300 * 2);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = 0.001f * static_cast<float>(i);
  const std::vector<float> before = buffer;
  fx->process(buffer, buffer).value();
  const double gain = std::pow(10.0, 6.0 / 20.0);
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    ASSERT_NEAR(buffer[i], before[i] * gain, std::fabs(before[i] * gain) * 4 * FLT_EPSILON + 1e-30) << i;
  }
}

TEST(Lv2Effect, RefusesInterleavedBuffersThatDoNotFitTheChannelCount) {
  auto fx = Effect::create(kEgAmp, {.channels = 2, .sample_rate = kRate, .max_block = 64}).value();
  fx->activate();
  std::vector<float> odd(5);
  std::vector<float> six(6);
  EXPECT_FALSE(fx->process(odd, odd).has_value());
  EXPECT_FALSE(fx->process(std::span<const float>(six), std::span<float>(odd)).has_value());
  EXPECT_FALSE(Effect::create(kEgAmp, {.channels = 0}).has_value());
  EXPECT_FALSE(Effect::create(kEgAmp, {.channels = kMaxAudioChannels + 1}).has_value());
}

TEST(Lv2Effect, RefusesAPluginWithoutAudioOutputs) {
  const auto fx = Effect::create("http://lv2plug.in/plugins/eg-fifths", {.channels = 1, .sample_rate = kRate});
  ASSERT_FALSE(fx.has_value());
  EXPECT_EQ(fx.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(fx.error().message().find("no audio output"), std::string::npos) << fx.error().message();
}

TEST(Lv2Effect, RunsAFixedBlockPluginInExactBlocksAndDelaysTheOutputByOneBlock) {
  load_probe_bundle();
  auto fx = Effect::create(kProbeFixed, {.channels = 1, .sample_rate = kRate, .max_block = 100}).value();
  EXPECT_EQ(fx->instance(0).fixed_block().value_or(0), 128U);
  EXPECT_EQ(fx->latency(), 128U);
  fx->activate();
  std::vector<float> in(3000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i + 1);
  std::vector<float> out(in.size(), -1.0f);
  // Irregular chunk sizes, none a multiple of the block.
  const std::vector<std::size_t> chunks = {37, 200, 5, 128, 1, 999, 300};
  std::size_t done = 0;
  for (std::size_t k = 0; done < in.size(); ++k) {
    const std::size_t n = std::min(chunks[k % chunks.size()], in.size() - done);
    fx->process(std::span<const float>(in).subspan(done, n), std::span<float>(out).subspan(done, n)).value();
    done += n;
  }
  EXPECT_FLOAT_EQ(fx->control_output("bad_runs").value(), 0.0f);
  EXPECT_FLOAT_EQ(fx->control_output("last_block").value(), 128.0f);
  for (std::size_t i = 0; i < 128; ++i) ASSERT_EQ(out[i], 0.0f) << i;
  for (std::size_t i = 128; i < out.size(); ++i) ASSERT_EQ(out[i], in[i - 128]) << i;
}

}  // namespace
}  // namespace streamlib::lv2
