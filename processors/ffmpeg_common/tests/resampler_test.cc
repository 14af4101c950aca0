// Resampler: rates, channels, sample-accurate time.
#include "ffmpeg_common/resampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ffmpeg_common/ffmpeg_types.h"
#include "test_media.h"

namespace streamlib::ffmpeg {
namespace {

using testing::AudioCollector;
using testing::sine_frame;

Resampler make(ResamplerOptions options) {
  auto r = Resampler::create(std::move(options));
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(r).value();
}

// Feeds `seconds` of a sine in blocks of `block` samples; collects the output (with flush).
AudioCollector run(Resampler& rs, int channels, int rate, double hz, double amplitude, double seconds,
                   std::size_t block, std::vector<AudioFrame>* frames = nullptr) {
  AudioCollector out;
  const auto total = static_cast<std::int64_t>(seconds * rate);
  for (std::int64_t pos = 0; pos < total; pos += static_cast<std::int64_t>(block)) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(block), total - pos));
    auto r = rs.process(sine_frame(channels, rate, n, pos, hz, amplitude, samples_to_ns(pos, rate)));
    EXPECT_TRUE(r) << r.error().message();
    if (r && *r) {
      out.add(*r);
      if (frames != nullptr) frames->push_back(*r);
    }
  }
  auto tail = rs.flush();
  EXPECT_TRUE(tail);
  if (tail && *tail) {
    out.add(*tail);
    if (frames != nullptr) frames->push_back(*tail);
  }
  return out;
}

TEST(Resampler, Resamples44100MonoTo48000StereoKeepingPitchAndLevel) {
  Resampler rs = make({.sample_rate = 48000, .channels = 2});
  AudioCollector out = run(rs, 1, 44100, 1000.0, 0.5, 2.0, 441);
  EXPECT_EQ(out.sample_rate, 48000);
  ASSERT_EQ(out.channels, 2);
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(testing::frequency(out.samples, 2, c, 48000), 1000.0, 0.5);
    EXPECT_NEAR(testing::rms(out.samples, 2, c), 0.5 / std::sqrt(2.0), 0.005);
  }
}

TEST(Resampler, OutputSampleCountFollowsTheRateRatioOnceFlushed) {
  Resampler rs = make({.sample_rate = 48000, .channels = 1});
  AudioCollector out = run(rs, 1, 44100, 440.0, 0.5, 10.0, 1000);
  EXPECT_NEAR(static_cast<double>(out.frames()), 480000.0, 2.0);
}

TEST(Resampler, PositionsAndTimestampsAreSampleAccurateAndContinuous) {
  Resampler rs = make({.sample_rate = 16000, .channels = 1});
  std::vector<AudioFrame> frames;
  AudioCollector out = run(rs, 2, 48000, 440.0, 0.5, 1.0, 480, &frames);
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(out.contiguous);
  EXPECT_EQ(out.first_position, 0);
  for (const AudioFrame& f : frames) {
    EXPECT_EQ(f.timestamp_ns(), samples_to_ns(f.sample_position(), 16000));
    EXPECT_EQ(f.sample_rate(), 16000);
  }
}

TEST(Resampler, TimingStartsAtTheFirstInputsPositionAndTimestamp) {
  Resampler rs = make({.sample_rate = 48000, .channels = 1});
  // A live source: position 44100 (1 s in), timestamp on some clock.
  const std::int64_t ts = 5'000'000'000;
  AudioFrame first;
  for (int i = 0; i < 10 && !first; ++i) {
    auto r = rs.process(sine_frame(1, 44100, 441, 44100 + i * 441, 440, 0.5, ts + samples_to_ns(i * 441, 44100)));
    ASSERT_TRUE(r);
    first = *r;
  }
  ASSERT_TRUE(first);
  EXPECT_EQ(first.sample_position(), 48000);
  EXPECT_EQ(first.timestamp_ns(), ts);
}

TEST(Resampler, AnOnsetStaysAtTheSameTimeAfterResampling) {
  // Silence, then a full-scale step at 0.5 s: the output's step must be at 0.5 s too.
  Resampler rs = make({.sample_rate = 48000, .channels = 1});
  AudioCollector out;
  const int rate = 44100;
  for (std::int64_t pos = 0; pos < rate; pos += 441) {
    WritableAudioFrame w(1, rate, 441);
    for (std::size_t i = 0; i < 441; ++i) w.samples()[i] = pos + static_cast<std::int64_t>(i) >= rate / 2 ? 0.8f : 0.0f;
    w.set_sample_position(pos);
    w.set_timestamp_ns(samples_to_ns(pos, rate));
    auto r = rs.process(std::move(w).freeze());
    ASSERT_TRUE(r);
    if (*r) out.add(*r);
  }
  auto tail = rs.flush();
  ASSERT_TRUE(tail);
  if (*tail) out.add(*tail);
  std::int64_t onset = -1;
  for (std::size_t i = 0; i < out.samples.size(); ++i) {
    if (out.samples[i] > 0.4f) {
      onset = out.first_position + static_cast<std::int64_t>(i);
      break;
    }
  }
  EXPECT_NEAR(static_cast<double>(onset), 24000.0, 3.0);
}

TEST(Resampler, MatchingInputIsPassedThroughUntouched) {
  Resampler rs = make({.sample_rate = 48000, .channels = 2});
  AudioFrame in = sine_frame(2, 48000, 480, 0, 440, 0.5, 0);
  auto out = rs.process(in);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->buffer_id(), in.buffer_id());
  auto tail = rs.flush();
  ASSERT_TRUE(tail);
  EXPECT_FALSE(*tail);
}

TEST(Resampler, StereoIsDownmixedToMonoAsTheAverage) {
  Resampler rs = make({.sample_rate = 48000, .channels = 1});
  AudioCollector out = run(rs, 2, 48000, 1000.0, 0.5, 1.0, 480);
  ASSERT_EQ(out.channels, 1);
  EXPECT_NEAR(testing::rms(out.samples, 1, 0), 0.5 / std::sqrt(2.0), 0.01);
  EXPECT_NEAR(static_cast<double>(out.frames()), 48000.0, 1.0);
}

TEST(Resampler, AJumpInTheInputStartsANewSegmentAtItsTimestamp) {
  Resampler rs = make({.sample_rate = 48000, .channels = 1});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(rs.process(sine_frame(1, 44100, 441, i * 441, 440, 0.5, 0)));
  // 1 s gap.
  const std::int64_t pos = 10 * 441 + 44100;
  AudioFrame first;
  for (int i = 0; i < 10 && !first; ++i) {
    auto r = rs.process(sine_frame(1, 44100, 441, pos + i * 441, 440, 0.5, samples_to_ns(pos + i * 441, 44100)));
    ASSERT_TRUE(r);
    first = *r;
  }
  ASSERT_TRUE(first);
  EXPECT_EQ(first.sample_position(), av_rescale(pos, 48000, 44100));
  EXPECT_EQ(first.timestamp_ns(), samples_to_ns(pos, 44100));
}

TEST(Resampler, EveryQualityKeepsThePitch) {
  for (ResampleQuality q : {ResampleQuality::kFast, ResampleQuality::kDefault, ResampleQuality::kHigh}) {
    Resampler rs = make({.sample_rate = 32000, .channels = 1, .quality = q});
    AudioCollector out = run(rs, 1, 44100, 1000.0, 0.5, 1.0, 1024);
    EXPECT_NEAR(testing::frequency(out.samples, 1, 0, 32000), 1000.0, 1.0) << enum_name(q);
    EXPECT_NEAR(static_cast<double>(out.frames()), 32000.0, 2.0) << enum_name(q);
  }
}

TEST(Resampler, SteadyStateAllocatesNoNewPooledBlocks) {
  Resampler rs = make({.sample_rate = 48000, .channels = 2});
  std::uint64_t after_warmup = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = rs.process(sine_frame(1, 44100, 441, i * 441, 440, 0.5, 0));
    ASSERT_TRUE(r);
    if (i == 10) after_warmup = rs.pool().allocated();
  }
  EXPECT_LE(after_warmup, 2u);
  EXPECT_EQ(rs.pool().allocated(), after_warmup);
}

TEST(Resampler, InvalidOptionsAreRejected) {
  auto bad = Resampler::create({.sample_rate = 48000, .channels = 9});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "channels: 9 is out of range (1..8)");
  auto slow = Resampler::create({.sample_rate = 10, .channels = 2});
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamlib::ffmpeg
