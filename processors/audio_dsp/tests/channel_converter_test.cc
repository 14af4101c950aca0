#include "audio_dsp/channel_converter.h"

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "dsp_test_util.h"

namespace streamlib::dsp {
namespace {

using testing::make_frame;
constexpr float k = kMinus3dB;

std::vector<float> convert(ChannelConverter& cc, const std::vector<float>& in) {
  std::vector<float> out(in.size() / static_cast<std::size_t>(cc.in_channels()) *
                         static_cast<std::size_t>(cc.out_channels()));
  EXPECT_TRUE(cc.process(in, out));
  return out;
}

// Expects the matrix to be exactly `rows` (out_channels rows of in_channels).
void expect_matrix(const ChannelConverter& cc, const std::vector<std::vector<float>>& rows) {
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(cc.out_channels()));
  for (int o = 0; o < cc.out_channels(); ++o) {
    ASSERT_EQ(rows[static_cast<std::size_t>(o)].size(), static_cast<std::size_t>(cc.in_channels()));
    for (int i = 0; i < cc.in_channels(); ++i) {
      EXPECT_FLOAT_EQ(cc.coefficient(o, i), rows[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)])
          << "out " << o << " in " << i;
    }
  }
}

TEST(ChannelConverter, Layouts) {
  EXPECT_EQ(layout_name(6), "5.1");
  EXPECT_EQ(layout_name(8), "7.1");
  EXPECT_EQ(speaker_at(6, 3), Speaker::kLFE);
  EXPECT_EQ(speaker_at(6, 4), Speaker::kSL);
  EXPECT_EQ(speaker_at(1, 0), Speaker::kFC);
}

TEST(ChannelConverter, FivePointOneToStereoIsBs775) {
  auto cc = ChannelConverter::create({.in_channels = 6, .out_channels = 2}).value();
  //            FL  FR  FC  LFE SL  SR
  expect_matrix(*cc, {{1, 0, k, 0, k, 0},    // L
                      {0, 1, k, 0, 0, k}});  // R
  // FL=0.1 FR=0.2 FC=0.3 LFE=0.9 SL=0.4 SR=0.5
  const auto out = convert(*cc, {0.1f, 0.2f, 0.3f, 0.9f, 0.4f, 0.5f});
  EXPECT_FLOAT_EQ(out[0], 0.1f + 0.70710678f * 0.3f + 0.70710678f * 0.4f);
  EXPECT_FLOAT_EQ(out[1], 0.2f + 0.70710678f * 0.3f + 0.70710678f * 0.5f);
}

TEST(ChannelConverter, LfeGainBringsTheLfeIn) {
  auto cc = ChannelConverter::create({.in_channels = 6, .out_channels = 2, .lfe_gain = 0.5f}).value();
  EXPECT_FLOAT_EQ(cc->coefficient(0, 3), 0.5f);
  EXPECT_FLOAT_EQ(cc->coefficient(1, 3), 0.5f);
}

TEST(ChannelConverter, SevenPointOneAndSixPointOneToStereo) {
  auto c8 = ChannelConverter::create({.in_channels = 8, .out_channels = 2}).value();
  //           FL FR FC LFE BL BR SL SR
  expect_matrix(*c8, {{1, 0, k, 0, k, 0, k, 0}, {0, 1, k, 0, 0, k, 0, k}});
  auto c7 = ChannelConverter::create({.in_channels = 7, .out_channels = 2}).value();
  //           FL FR FC LFE BC    SL SR
  expect_matrix(*c7, {{1, 0, k, 0, 0.5f, k, 0}, {0, 1, k, 0, 0.5f, 0, k}});
}

TEST(ChannelConverter, MonoIsDuplicated) {
  for (int n = 1; n <= 8; ++n) {
    auto cc = ChannelConverter::create({.in_channels = 1, .out_channels = n}).value();
    const auto out = convert(*cc, {0.25f, -0.5f});
    ASSERT_EQ(out.size(), static_cast<std::size_t>(2 * n));
    for (int c = 0; c < n; ++c) {
      EXPECT_EQ(out[static_cast<std::size_t>(c)], 0.25f);
      EXPECT_EQ(out[static_cast<std::size_t>(n + c)], -0.5f);
    }
  }
}

TEST(ChannelConverter, DownmixToMono) {
  auto st = ChannelConverter::create({.in_channels = 2, .out_channels = 1}).value();
  expect_matrix(*st, {{0.5f, 0.5f}});
  EXPECT_EQ(convert(*st, {1.0f, 0.5f}), (std::vector<float>{0.75f}));
  auto s51 = ChannelConverter::create({.in_channels = 6, .out_channels = 1}).value();
  expect_matrix(*s51, {{0.5f, 0.5f, k, 0.0f, 0.5f * k, 0.5f * k}});
}

TEST(ChannelConverter, PickLeftOrRight) {
  auto left = ChannelConverter::create({.in_channels = 2, .out_channels = 1, .mode = ChannelMode::kPickLeft}).value();
  auto right = ChannelConverter::create({.in_channels = 2, .out_channels = 2, .mode = ChannelMode::kPickRight}).value();
  EXPECT_EQ(convert(*left, {0.1f, 0.9f, 0.2f, 0.8f}), (std::vector<float>{0.1f, 0.2f}));
  EXPECT_EQ(convert(*right, {0.1f, 0.9f, 0.2f, 0.8f}), (std::vector<float>{0.9f, 0.9f, 0.8f, 0.8f}));
  EXPECT_FALSE(ChannelConverter::create({.in_channels = 1, .out_channels = 1, .mode = ChannelMode::kPickRight}));
}

TEST(ChannelConverter, UpmixStereoToFivePointOne) {
  auto front = ChannelConverter::create({.in_channels = 2, .out_channels = 6}).value();
  //                  L  R
  expect_matrix(*front, {{1, 0}, {0, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}});
  auto surround =
      ChannelConverter::create({.in_channels = 2, .out_channels = 6, .upmix = UpmixMode::kSurround}).value();
  expect_matrix(*surround, {{1, 0}, {0, 1}, {0.5f, 0.5f}, {0, 0}, {k, 0}, {0, k}});
  EXPECT_EQ(convert(*surround, {0.4f, 0.2f}),
            (std::vector<float>{0.4f, 0.2f, 0.5f * 0.4f + 0.5f * 0.2f, 0.0f, k * 0.4f, k * 0.2f}));
  // Front upmix then BS.775 downmix gives the stereo back exactly.
  auto down = ChannelConverter::create({.in_channels = 6, .out_channels = 2}).value();
  EXPECT_EQ(convert(*down, convert(*front, {0.3f, -0.7f})), (std::vector<float>{0.3f, -0.7f}));
}

TEST(ChannelConverter, SurroundRemaps) {
  // 7.1 -> 5.1: the back pair folds into the sides.
  auto a = ChannelConverter::create({.in_channels = 8, .out_channels = 6}).value();
  //         FL FR FC LFE BL BR SL SR
  expect_matrix(*a, {{1, 0, 0, 0, 0, 0, 0, 0},
                     {0, 1, 0, 0, 0, 0, 0, 0},
                     {0, 0, 1, 0, 0, 0, 0, 0},
                     {0, 0, 0, 1, 0, 0, 0, 0},
                     {0, 0, 0, 0, 1, 0, 1, 0},
                     {0, 0, 0, 0, 0, 1, 0, 1}});
  // 5.1 -> quad (FL FR BL BR): centre to the fronts at -3 dB, sides to the backs, LFE dropped.
  auto b = ChannelConverter::create({.in_channels = 6, .out_channels = 4}).value();
  //         FL FR FC LFE SL SR
  expect_matrix(*b, {{1, 0, k, 0, 0, 0}, {0, 1, k, 0, 0, 0}, {0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 1}});
  // 6.1 -> 5.1: the back centre into both sides at -3 dB.
  auto c = ChannelConverter::create({.in_channels = 7, .out_channels = 6}).value();
  EXPECT_FLOAT_EQ(c->coefficient(4, 4), k);
  EXPECT_FLOAT_EQ(c->coefficient(5, 4), k);
  EXPECT_FLOAT_EQ(c->coefficient(4, 5), 1.0f);
  // 5.1 -> 7.1: every speaker kept, the backs silent.
  auto d = ChannelConverter::create({.in_channels = 6, .out_channels = 8}).value();
  EXPECT_FLOAT_EQ(d->coefficient(6, 4), 1.0f);  // SL -> SL
  EXPECT_FLOAT_EQ(d->coefficient(4, 4), 0.0f);  // nothing into BL
}

TEST(ChannelConverter, NormalizeKeepsEachRowWithinOne) {
  auto cc = ChannelConverter::create({.in_channels = 6, .out_channels = 2, .normalize = true}).value();
  const float sum = 1.0f + 2.0f * k;
  EXPECT_FLOAT_EQ(cc->coefficient(0, 0), 1.0f / sum);
  EXPECT_FLOAT_EQ(cc->coefficient(0, 2), k / sum);
  const auto out = convert(*cc, {1, 1, 1, 1, 1, 1});
  EXPECT_FLOAT_EQ(out[0], 1.0f);
  EXPECT_FLOAT_EQ(out[1], 1.0f);
}

TEST(ChannelConverter, ACustomMatrix) {
  const std::vector<float> m = {0.0f, 1.0f,   // out 0 = in 1
                                1.0f, 0.0f,   // out 1 = in 0
                                0.5f, 0.5f};  // out 2 = mean
  auto cc = ChannelConverter::with_matrix(2, 3, 48000, m).value();
  EXPECT_EQ(convert(*cc, {0.2f, 0.6f}), (std::vector<float>{0.6f, 0.2f, 0.4f}));
  EXPECT_FALSE(ChannelConverter::with_matrix(2, 3, 48000, std::vector<float>(5)));
}

TEST(ChannelConverter, FramesKeepTheirTimeAndDoNotAllocate) {
  auto cc = ChannelConverter::create({.in_channels = 6, .out_channels = 2, .sample_rate = 48000}).value();
  const auto in = make_frame(std::vector<float>(6 * 480, 0.1f), 6, 48000, 4800, 100'000'000);
  auto out = cc->process(in);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->channels(), 2);
  EXPECT_EQ(out->frame_count(), 480u);
  EXPECT_EQ(out->sample_position(), 4800);
  EXPECT_EQ(out->timestamp_ns(), 100'000'000);
  EXPECT_FALSE(cc->process(make_frame(std::vector<float>(4, 0.0f), 2, 48000, 0, 0)));
  out.value() = AudioFrame();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cc->process(in));  // the pool's free list settles
  testing::ScopedAllocationCount count;
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(cc->process(in));
  EXPECT_EQ(count.count(), 0u);
}

}  // namespace
}  // namespace streamlib::dsp
