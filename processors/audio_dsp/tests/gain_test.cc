#include "audio_dsp/gain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "alloc_counter.h"
#include "dsp_test_util.h"

namespace streamlib::dsp {
namespace {

using testing::make_frame;
using testing::sine;

float max_step(const std::vector<float>& x, int channels) {
  float m = 0.0f;
  const auto c = static_cast<std::size_t>(channels);
  for (std::size_t i = c; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - x[i - c]));
  return m;
}

TEST(Gain, DecibelsToLinear) {
  EXPECT_FLOAT_EQ(db_to_linear(0.0f), 1.0f);
  EXPECT_NEAR(db_to_linear(-6.0f), 0.501187f, 1e-6);
  EXPECT_NEAR(db_to_linear(-20.0f), 0.1f, 1e-7);
  EXPECT_NEAR(db_to_linear(6.0f), 1.995262f, 1e-5);
  EXPECT_EQ(db_to_linear(-144.0f), 0.0f);
  EXPECT_EQ(db_to_linear(-std::numeric_limits<float>::infinity()), 0.0f);
}

TEST(Gain, SteadyGainIsExact) {
  auto g = Gain::create({.channels = 2, .sample_rate = 48000, .gain_db = -20.0f}).value();
  std::vector<float> x = {1.0f, -0.5f, 0.25f, 0.0f};
  ASSERT_TRUE(g->process(std::span<float>(x)));
  const float k = db_to_linear(-20.0f);
  EXPECT_EQ(x, (std::vector<float>{k, -0.5f * k, 0.25f * k, 0.0f}));
  EXPECT_FALSE(g->ramping());
}

TEST(Gain, AChangeRampsLinearlyOverTenMilliseconds) {
  auto g = Gain::create({.channels = 1, .sample_rate = 48000, .gain_db = 0.0f, .ramp_ms = 10.0f}).value();
  g->set_gain_db(-std::numeric_limits<float>::infinity());  // to silence
  std::vector<float> ones(1000, 1.0f);
  ASSERT_TRUE(g->process(std::span<float>(ones)));
  // 480 frames of ramp: frame k gets 1 - (k + 1) / 480, the last one exactly 0.
  for (std::size_t k = 0; k < 480; ++k) {
    ASSERT_NEAR(ones[k], 1.0f - static_cast<float>(k + 1) / 480.0f, 1e-6f) << k;
  }
  for (std::size_t k = 479; k < 1000; ++k) ASSERT_EQ(ones[k], 0.0f) << k;
  EXPECT_FALSE(g->ramping());
  EXPECT_EQ(g->current_linear(), 0.0f);
}

TEST(Gain, ARampSpansBlocks) {
  auto g = Gain::create({.channels = 2, .sample_rate = 1000, .ramp_ms = 10.0f}).value();  // 10 frames
  g->set_gain_db(-6.0f);
  const float target = db_to_linear(-6.0f);
  std::vector<float> a(8, 1.0f);  // 4 frames
  ASSERT_TRUE(g->process(std::span<float>(a)));
  EXPECT_TRUE(g->ramping());
  std::vector<float> b(16, 1.0f);  // 8 frames: 6 of ramp, then steady
  ASSERT_TRUE(g->process(std::span<float>(b)));
  EXPECT_FALSE(g->ramping());
  for (std::size_t f = 0; f < 4; ++f) {
    const float expect = 1.0f + (target - 1.0f) * static_cast<float>(f + 1) / 10.0f;
    EXPECT_NEAR(a[2 * f], expect, 1e-6f);
    EXPECT_EQ(a[2 * f], a[2 * f + 1]);  // both channels of a frame get the same gain
  }
  for (std::size_t f = 5; f < 8; ++f) EXPECT_EQ(b[2 * f], target);
}

TEST(Gain, ALiveChangeOnASineMakesNoClick) {
  constexpr int kRate = 48000;
  const auto run = [&](float ramp_ms) {
    auto g = Gain::create({.channels = 2, .sample_rate = kRate, .gain_db = 0.0f, .ramp_ms = ramp_ms}).value();
    // 1 kHz at 0.9: the largest natural step between samples is 0.9 * 2 pi * 1000 / 48000 = 0.118.
    // Starting a quarter period in, every block boundary (480 = 10 periods) is at a peak.
    auto x = sine(9600, 2, 1000.0, kRate, 0.9, 12);
    std::vector<float> out;
    for (std::size_t block = 0; block < 9600 / 480; ++block) {
      if (block == 7) g->set_gain_db(-30.0f);  // down, at a block boundary...
      if (block == 13) g->set_gain_db(+3.0f);  // ...and up again
      std::span<float> s(x.data() + block * 480 * 2, 480 * 2);
      EXPECT_TRUE(g->process(s));
      out.insert(out.end(), s.begin(), s.end());
    }
    return max_step(out, 2);
  };
  const float natural = static_cast<float>(0.9 * 2 * std::numbers::pi * 1000.0 / kRate);
  EXPECT_LT(run(10.0f),
            natural * std::pow(10.0f, 3.0f / 20.0f) * 1.01f);  // never more than the loudest sine's own step
  EXPECT_GT(run(0.0f), 0.5f);                                  // without the ramp the same change jumps
}

TEST(Gain, AChangeDuringARampStartsFromWhereItIs) {
  auto g = Gain::create({.channels = 1, .sample_rate = 1000, .ramp_ms = 10.0f}).value();
  g->set_gain_db(-120.0f);
  std::vector<float> a(5, 1.0f);
  ASSERT_TRUE(g->process(std::span<float>(a)));
  const float reached = g->current_linear();
  EXPECT_NEAR(reached, 0.5f, 1e-3f);
  g->set_gain_db(0.0f);
  std::vector<float> b(10, 1.0f);
  ASSERT_TRUE(g->process(std::span<float>(b)));
  EXPECT_NEAR(b[0], reached + (1.0f - reached) / 10.0f, 1e-6f);  // continues from `reached`
  EXPECT_EQ(b[9], 1.0f);
}

TEST(Gain, SetFromAnotherThread) {
  auto g = Gain::create({.channels = 1, .sample_rate = 48000, .ramp_ms = 0.0f}).value();
  std::thread t([&] { g->set_gain_db(-6.0f); });
  t.join();
  std::vector<float> x(4, 1.0f);
  ASSERT_TRUE(g->process(std::span<float>(x)));
  EXPECT_EQ(x[0], db_to_linear(-6.0f));
  EXPECT_EQ(g->gain_db(), -6.0f);
}

TEST(Gain, FramesKeepTheirTime) {
  auto g = Gain::create({.channels = 2, .sample_rate = 48000, .gain_db = -6.0f}).value();
  const std::vector<float> in = {0.5f, -0.5f, 1.0f, 0.0f};
  auto out = g->process(make_frame(in, 2, 48000, 12345, 67890));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->sample_position(), 12345);
  EXPECT_EQ(out->timestamp_ns(), 67890);
  EXPECT_EQ(out->samples()[0], 0.5f * db_to_linear(-6.0f));
  EXPECT_FALSE(g->process(make_frame(in, 1, 48000, 0, 0)));
  EXPECT_FALSE(Gain::create({.ramp_ms = -1.0f}));
}

TEST(Gain, NoAllocationPerBlockInSteadyState) {
  auto g = Gain::create({.channels = 2, .sample_rate = 48000}).value();
  const auto in = make_frame(std::vector<float>(960, 0.25f), 2, 48000, 0, 0);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(g->process(in));
  testing::ScopedAllocationCount count;
  for (int i = 0; i < 1000; ++i) {
    if (i % 100 == 0) g->set_gain_db(static_cast<float>(-i / 100));
    auto out = g->process(in);
    ASSERT_TRUE(out);
  }
  EXPECT_EQ(count.count(), 0u);
}

}  // namespace
}  // namespace streamlib::dsp
