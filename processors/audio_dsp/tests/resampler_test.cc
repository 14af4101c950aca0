#include "audio_dsp/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "alloc_counter.h"
#include "dsp_test_util.h"

namespace streamlib::dsp {
namespace {

using testing::make_frame;
using testing::sine;
using testing::Sizes;

struct Output {
  std::vector<AudioFrame> frames;
  std::vector<float> samples;  // all output, interleaved
};

// Feeds `in` in blocks of random sizes, starting at `position` / `ts`, then flushes.
Output resample(Resampler& rs, const std::vector<float>& in, int channels, std::int64_t position, std::int64_t ts,
                std::uint32_t seed = 7) {
  Output run;
  Sizes sizes(1, 1500, seed);
  const std::size_t total = in.size() / static_cast<std::size_t>(channels);
  std::size_t done = 0;
  while (done < total) {
    const std::size_t n = std::min(sizes.next(), total - done);
    const auto frame = make_frame(std::span<const float>(in).subspan(done * static_cast<std::size_t>(channels),
                                                                     n * static_cast<std::size_t>(channels)),
                                  channels, rs.config().in_rate, position + static_cast<std::int64_t>(done),
                                  ts + frames_to_ns(static_cast<std::int64_t>(done), rs.config().in_rate));
    auto out = rs.process(frame);
    EXPECT_TRUE(out) << out.error().message();
    if (out && *out) run.frames.push_back(**out);
    done += n;
  }
  auto tail = rs.flush();
  EXPECT_TRUE(tail);
  if (tail && *tail) run.frames.push_back(**tail);
  for (const auto& f : run.frames) run.samples.insert(run.samples.end(), f.samples().begin(), f.samples().end());
  return run;
}

// Largest difference from the ideal sine over the middle of the output (edges excluded).
double max_error_vs_ideal(const std::vector<float>& out, int channels, double freq, int rate, double amplitude) {
  const std::size_t frames = out.size() / static_cast<std::size_t>(channels);
  double worst = 0;
  for (std::size_t i = frames / 10; i < frames - frames / 10; ++i) {
    const double ideal = amplitude * std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate);
    for (int c = 0; c < channels; ++c) {
      worst =
          std::max(worst, std::abs(out[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] - ideal));
    }
  }
  return worst;
}

TEST(Resampler, Converts44100To48000SampleAccurately) {
  constexpr int kIn = 44100;
  constexpr int kOut = 48000;
  constexpr std::int64_t kStartPos = 441'000;  // 10 s into the stream
  constexpr std::int64_t kStartNs = 123'456'789;
  auto rs =
      Resampler::create({.in_rate = kIn, .out_rate = kOut, .channels = 2, .quality = ResampleQuality::kHigh}).value();
  const auto in = sine(kIn * 2, 2, 440.0, kIn, 0.5);  // 2 s
  const Output run = resample(*rs, in, 2, kStartPos, kStartNs);
  // All of it comes out: 2 s at 48 kHz.
  EXPECT_EQ(run.samples.size(), static_cast<std::size_t>(2 * kOut * 2));
  // Positions follow on; timestamps are computed from positions.
  std::int64_t expect_pos = kStartPos * kOut / kIn;  // 480'000
  for (const auto& f : run.frames) {
    ASSERT_EQ(f.sample_rate(), kOut);
    ASSERT_EQ(f.sample_position(), expect_pos);
    ASSERT_EQ(f.timestamp_ns(), kStartNs + frames_to_ns(expect_pos - 480'000, kOut));
    expect_pos += static_cast<std::int64_t>(f.frame_count());
  }
  // Aligned with the input (no filter delay) and clean.
  EXPECT_LT(max_error_vs_ideal(run.samples, 2, 440.0, kOut, 0.5), 1e-3);
}

TEST(Resampler, DownsamplingAndOddRatios) {
  for (auto [in_rate, out_rate] : {std::pair{48000, 44100}, std::pair{48000, 16000}, std::pair{8000, 48000},
                                   std::pair{44100, 22050}, std::pair{32000, 44100}}) {
    auto rs = Resampler::create({.in_rate = in_rate, .out_rate = out_rate, .channels = 1}).value();
    const std::size_t frames = static_cast<std::size_t>(in_rate);  // 1 s
    const Output run = resample(*rs, sine(frames, 1, 1000.0, in_rate, 0.5), 1, 0, 0);
    EXPECT_EQ(run.samples.size(), static_cast<std::size_t>(out_rate)) << in_rate << " -> " << out_rate;
    EXPECT_LT(max_error_vs_ideal(run.samples, 1, 1000.0, out_rate, 0.5), 5e-3) << in_rate << " -> " << out_rate;
  }
}

TEST(Resampler, QualityOrdersTheError) {
  const auto error = [](ResampleQuality q) {
    auto rs = Resampler::create({.in_rate = 44100, .out_rate = 48000, .channels = 1, .quality = q}).value();
    // A high tone is where short filters show.
    const Output run = resample(*rs, sine(44100, 1, 15000.0, 44100, 0.5), 1, 0, 0);
    return max_error_vs_ideal(run.samples, 1, 15000.0, 48000, 0.5);
  };
  const double fast = error(ResampleQuality::kFast);
  const double high = error(ResampleQuality::kHigh);
  EXPECT_LT(high, fast);
  EXPECT_LT(high, 0.02);
}

TEST(Resampler, AGapIsFilledWithSilenceSoTimeStaysRight) {
  auto rs = Resampler::create({.in_rate = 48000, .out_rate = 96000, .channels = 1}).value();
  std::int64_t out_frames = 0;
  std::vector<std::int64_t> positions;
  const auto count = [&](const Result<std::optional<AudioFrame>>& r) {
    ASSERT_TRUE(r);
    if (r->has_value()) {
      positions.push_back((*r)->sample_position());
      out_frames += static_cast<std::int64_t>((*r)->frame_count());
    }
  };
  count(rs->process(make_frame(sine(4800, 1, 100.0, 48000, 0.5), 1, 48000, 0, 0)));
  const std::int64_t before_gap = out_frames;
  // 480 frames missing, then more.
  count(rs->process(make_frame(sine(4800, 1, 100.0, 48000, 0.5), 1, 48000, 5280, 110'000'000)));
  count(rs->flush());
  EXPECT_EQ(rs->gap_frames(), 480);
  EXPECT_EQ(out_frames, 2 * (4800 + 480 + 4800));
  ASSERT_GE(positions.size(), 2u);
  EXPECT_EQ(positions[1], before_gap);
}

TEST(Resampler, OverlapsAndBadFramesAreErrors) {
  auto rs = Resampler::create({.in_rate = 48000, .out_rate = 44100, .channels = 2}).value();
  ASSERT_TRUE(rs->process(make_frame(std::vector<float>(200, 0.0f), 2, 48000, 1000, 0)));
  auto overlap = rs->process(make_frame(std::vector<float>(200, 0.0f), 2, 48000, 1050, 0));
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(rs->process(make_frame(std::vector<float>(200, 0.0f), 1, 48000, 1100, 0)));
  EXPECT_FALSE(rs->process(make_frame(std::vector<float>(200, 0.0f), 2, 44100, 1100, 0)));
  // After reset() a new stream may start anywhere.
  rs->reset();
  auto fresh = rs->process(make_frame(std::vector<float>(2000, 0.0f), 2, 48000, 0, 5));
  ASSERT_TRUE(fresh);
  if (*fresh) {
    EXPECT_EQ((*fresh)->sample_position(), 0);
  }
  EXPECT_FALSE(Resampler::create({.in_rate = 0}));
  EXPECT_FALSE(Resampler::create({.channels = 9}));
}

TEST(Resampler, InterleavedCore) {
  auto rs = Resampler::create({.in_rate = 16000, .out_rate = 48000, .channels = 1}).value();
  const auto in = sine(1600, 1, 500.0, 16000, 0.5);
  std::vector<float> out(rs->max_output_frames(1600));
  const std::size_t n = rs->process(in, out).value();
  std::vector<float> tail(rs->max_output_frames(0) + 16);
  const std::size_t m = rs->flush(tail).value();
  EXPECT_EQ(n + m, 4800u);
  std::vector<float> small(1);
  EXPECT_FALSE(rs->process(in, small));
}

TEST(Resampler, NoAllocationPerBlockInSteadyState) {
  auto rs = Resampler::create({.in_rate = 44100, .out_rate = 48000, .channels = 2}).value();
  AudioFramePool pool;
  std::int64_t pos = 0;
  auto step = [&] {
    WritableAudioFrame w = pool.acquire(2, 44100, 441);
    w.set_sample_position(pos);
    pos += 441;
    auto out = rs->process(std::move(w).freeze());
    ASSERT_TRUE(out);
  };
  for (int i = 0; i < 100; ++i) step();
  testing::ScopedAllocationCount count;
  for (int i = 0; i < 1000; ++i) step();
  EXPECT_EQ(count.count(), 0u);
}

}  // namespace
}  // namespace streamlib::dsp
