#include "audio_dsp/mixer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "alloc_counter.h"
#include "dsp_test_util.h"

namespace streamlib::dsp {
namespace {

using testing::make_frame;

std::vector<float> constant(std::size_t frames, int channels, float v) {
  return std::vector<float>(frames * static_cast<std::size_t>(channels), v);
}

TEST(Mixer, SumNormalizedAndSoftClip) {
  for (MixMode mode : {MixMode::kSum, MixMode::kNormalized, MixMode::kSoftClip}) {
    auto m =
        Mixer::create({.inputs = 3, .channels = 2, .sample_rate = 48000, .frames_per_block = 4, .mode = mode}).value();
    ASSERT_TRUE(m->push(0, 0, constant(4, 2, 0.5f)));
    ASSERT_TRUE(m->push(1, 0, constant(4, 2, 0.25f)));
    ASSERT_TRUE(m->push(2, 0, constant(4, 2, 0.5f)));
    ASSERT_TRUE(m->ready());
    std::vector<float> out(8);
    ASSERT_EQ(m->mix(out).value(), 0);
    const float sum = 1.25f;
    const float expect = mode == MixMode::kSum          ? sum
                         : mode == MixMode::kNormalized ? sum / 3.0f
                                                        : 0.5f + 0.5f * std::tanh((sum - 0.5f) / 0.5f);
    for (float v : out) EXPECT_FLOAT_EQ(v, expect) << enum_name(mode);
    EXPECT_EQ(m->position(), 4);
  }
}

TEST(Mixer, SoftClipIsTransparentBelowTheKneeBoundedAndSmooth) {
  for (float x : {0.0f, 0.1f, -0.3f, 0.5f, -0.5f}) EXPECT_EQ(soft_clip(x, 0.5f), x);
  float prev = soft_clip(0.0f, 0.5f);
  for (int i = 1; i <= 20000; ++i) {
    const float x = static_cast<float>(i) * 0.001f;  // up to 20 (+26 dB)
    const float y = soft_clip(x, 0.5f);
    ASSERT_LT(y, 1.0f + 1e-6f);
    ASSERT_GE(y, prev);                   // monotonic
    ASSERT_LE(y - prev, 0.001f + 1e-6f);  // slope at most 1: no kink upwards
    ASSERT_EQ(soft_clip(-x, 0.5f), -y);
    prev = y;
  }
}

TEST(Mixer, InputsAreAlignedBySamplePosition) {
  auto m = Mixer::create({.inputs = 2, .channels = 1, .sample_rate = 1000, .frames_per_block = 8}).value();
  // Input 0 from 100, input 1 starts 3 frames later: its first 3 frames of the block are silence.
  ASSERT_TRUE(m->push(0, make_frame(constant(16, 1, 1.0f), 1, 1000, 100, 5'000'000'000)));
  ASSERT_TRUE(m->push(1, make_frame(constant(16, 1, 0.5f), 1, 1000, 103, 0)));
  EXPECT_FALSE(m->ready());  // input 1 has nothing at 100..102
  auto a = m->mix().value();
  EXPECT_EQ(a.sample_position(), 100);
  EXPECT_EQ(a.timestamp_ns(), 5'000'000'000);
  const std::vector<float> expect_a = {1, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5};
  EXPECT_EQ(std::vector<float>(a.samples().begin(), a.samples().end()), expect_a);
  EXPECT_EQ(m->input_stats(1).starved_blocks, 1u);
  EXPECT_EQ(m->input_stats(1).missing_frames, 3);
  // Block 108..115: input 0 has 108..115, input 1 has 108..115: both full.
  EXPECT_TRUE(m->ready());
  auto b = m->mix().value();
  EXPECT_EQ(b.sample_position(), 108);
  EXPECT_EQ(b.timestamp_ns(), 5'008'000'000);
  for (float v : b.samples()) EXPECT_EQ(v, 1.5f);
  EXPECT_EQ(m->input_stats(0).starved_blocks, 0u);
  // Block 116..123: input 0 is done, input 1 has 116..118.
  auto c = m->mix().value();
  EXPECT_EQ(c.samples()[0], 0.5f);
  EXPECT_EQ(c.samples()[2], 0.5f);
  EXPECT_EQ(c.samples()[3], 0.0f);
  EXPECT_EQ(m->input_stats(0).missing_frames, 8);
  EXPECT_EQ(m->input_stats(1).missing_frames, 3 + 5);
}

TEST(Mixer, AnInputWithNoDataIsSilenceAndCountsInTheDivisor) {
  auto m = Mixer::create(
               {.inputs = 4, .channels = 2, .sample_rate = 48000, .frames_per_block = 2, .mode = MixMode::kNormalized})
               .value();
  ASSERT_TRUE(m->push(0, 0, constant(2, 2, 0.8f)));
  ASSERT_TRUE(m->push(2, 0, constant(2, 2, 0.4f)));
  std::vector<float> out(4);
  ASSERT_TRUE(m->mix(out));
  for (float v : out) EXPECT_FLOAT_EQ(v, (0.8f + 0.4f) / 4.0f);
  EXPECT_EQ(m->input_stats(1).starved_blocks, 1u);
  EXPECT_EQ(m->input_stats(3).starved_blocks, 1u);
  EXPECT_EQ(m->input_stats(3).missing_frames, 2);
  EXPECT_EQ(m->input_stats(0).starved_blocks, 0u);
}

TEST(Mixer, LateSamplesAreDroppedAndCounted) {
  auto m = Mixer::create({.inputs = 2, .channels = 1, .sample_rate = 1000, .frames_per_block = 4}).value();
  ASSERT_TRUE(m->push(0, 0, constant(8, 1, 1.0f)));
  ASSERT_TRUE(m->push(1, 0, constant(4, 1, 1.0f)));
  std::vector<float> out(4);
  ASSERT_TRUE(m->mix(out));
  // Input 1 sends 2..7 late: 2..3 were mixed already, 4..7 are used.
  ASSERT_TRUE(m->push(1, 2, constant(6, 1, 0.5f)));
  EXPECT_EQ(m->input_stats(1).late_frames, 2);
  EXPECT_TRUE(m->ready());
  ASSERT_EQ(m->mix(out).value(), 4);
  for (float v : out) EXPECT_EQ(v, 1.5f);
  // A duplicate of what is held is dropped too.
  ASSERT_TRUE(m->push(0, 8, constant(4, 1, 1.0f)));
  ASSERT_TRUE(m->push(0, 8, constant(4, 1, 1.0f)));
  EXPECT_EQ(m->input_stats(0).late_frames, 4);
  EXPECT_EQ(m->buffered_frames(0), 4);
}

TEST(Mixer, AGapInsideAnInputIsSilence) {
  auto m = Mixer::create({.inputs = 1, .channels = 1, .sample_rate = 1000, .frames_per_block = 6}).value();
  ASSERT_TRUE(m->push(0, 0, constant(2, 1, 1.0f)));
  ASSERT_TRUE(m->push(0, 4, constant(2, 1, 2.0f)));
  std::vector<float> out(6);
  ASSERT_TRUE(m->mix(out));
  EXPECT_EQ(out, (std::vector<float>{1, 1, 0, 0, 2, 2}));
  // Counted as covered: the gap is the input's own silence, not missing data.
  EXPECT_EQ(m->input_stats(0).starved_blocks, 0u);
}

TEST(Mixer, Errors) {
  auto m =
      Mixer::create({.inputs = 2, .channels = 2, .sample_rate = 48000, .frames_per_block = 4, .max_ahead_frames = 100})
          .value();
  EXPECT_FALSE(m->push(2, 0, constant(4, 2, 0.0f)));
  EXPECT_FALSE(m->push(-1, 0, constant(4, 2, 0.0f)));
  EXPECT_FALSE(m->push(0, make_frame(constant(4, 1, 0.0f), 1, 48000, 0, 0)));
  EXPECT_FALSE(m->push(0, make_frame(constant(4, 2, 0.0f), 2, 44100, 0, 0)));
  ASSERT_TRUE(m->push(0, 0, constant(4, 2, 0.0f)));
  auto far = m->push(1, 500, constant(4, 2, 0.0f));
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().message().find("ahead"), std::string::npos);
  EXPECT_FALSE(Mixer::create({.inputs = 0}));
  EXPECT_FALSE(Mixer::create({.soft_clip_knee = 1.0f}));
}

TEST(Mixer, SetPositionSkipsAhead) {
  auto m = Mixer::create({.inputs = 1, .channels = 1, .sample_rate = 1000, .frames_per_block = 2}).value();
  ASSERT_TRUE(m->push(0, 0, std::vector<float>{1, 2, 3, 4, 5, 6}));
  m->set_position(3);
  std::vector<float> out(2);
  ASSERT_EQ(m->mix(out).value(), 3);
  EXPECT_EQ(out, (std::vector<float>{4, 5}));
}

TEST(Mixer, NoAllocationPerBlockInSteadyState) {
  auto m = Mixer::create({.inputs = 3, .channels = 2, .sample_rate = 48000, .frames_per_block = 480}).value();
  AudioFramePool pool;
  std::int64_t pos[3] = {0, 0, 0};
  const std::size_t sizes[3] = {480, 256, 1024};
  auto step = [&] {
    for (int i = 0; i < 3; ++i) {
      while (pos[i] < m->position() + 480) {
        WritableAudioFrame w = pool.acquire(2, 48000, sizes[i]);
        w.set_sample_position(pos[i]);
        pos[i] += static_cast<std::int64_t>(sizes[i]);
        ASSERT_TRUE(m->push(i, std::move(w).freeze()));
      }
    }
    ASSERT_TRUE(m->ready());
    ASSERT_TRUE(m->mix());
  };
  for (int i = 0; i < 50; ++i) step();
  testing::ScopedAllocationCount count;
  for (int i = 0; i < 1000; ++i) step();
  EXPECT_EQ(count.count(), 0u);
}

}  // namespace
}  // namespace streamlib::dsp
