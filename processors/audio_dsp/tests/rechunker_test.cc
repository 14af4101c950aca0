#include "audio_dsp/rechunker.h"

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "dsp_test_util.h"

namespace streamlib::dsp {
namespace {

using testing::make_frame;
using testing::Sizes;

// A ramp 0, 1, 2, ... per frame, channel c offset by c * 0.25: every sample tells where it is from.
std::vector<float> ramp(std::int64_t from, std::size_t frames, int channels) {
  std::vector<float> out(frames * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < frames; ++i) {
    for (int c = 0; c < channels; ++c) {
      out[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
          static_cast<float>(from + static_cast<std::int64_t>(i)) + 0.25f * static_cast<float>(c);
    }
  }
  return out;
}

TEST(Rechunker, AnySizesInFixedBlocksOutSampleAccurate) {
  constexpr int kRate = 44100;  // 1e9 / 44100 is not a whole number of ns
  constexpr int kChannels = 2;
  constexpr std::size_t kBlock = 441;
  constexpr std::int64_t kStartPos = 1'000'003;
  constexpr std::int64_t kStartNs = 5'000'000'123;
  auto rc = Rechunker::create({.channels = kChannels, .sample_rate = kRate, .frames_per_buffer = kBlock}).value();
  Sizes sizes(1, 2000);
  std::int64_t pos = kStartPos;
  std::vector<AudioFrame> out;
  for (int i = 0; i < 400; ++i) {
    const std::size_t n = sizes.next();
    const auto samples = ramp(pos, n, kChannels);
    // Input timestamps are deliberately rough (ms precision): output time comes from positions.
    const std::int64_t rough_ns = kStartNs + (pos - kStartPos) * 1000 / kRate * 1'000'000;
    ASSERT_TRUE(rc->push(make_frame(samples, kChannels, kRate, pos, i == 0 ? kStartNs : rough_ns)));
    pos += static_cast<std::int64_t>(n);
    while (auto b = rc->pop()) out.push_back(*b);
  }
  const std::int64_t total = pos - kStartPos;
  ASSERT_EQ(out.size(), static_cast<std::size_t>(total) / kBlock);
  EXPECT_EQ(rc->buffered_frames(), static_cast<std::size_t>(total) % kBlock);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const AudioFrame& b = out[k];
    const std::int64_t expect_pos = kStartPos + static_cast<std::int64_t>(k * kBlock);
    ASSERT_EQ(b.frame_count(), kBlock);
    ASSERT_EQ(b.sample_position(), expect_pos);
    // Exactly start + (position - start) * 1e9 / rate, floored: no accumulated rounding.
    const std::int64_t rel = expect_pos - kStartPos;
    ASSERT_EQ(b.timestamp_ns(), kStartNs + rel / kRate * 1'000'000'000 + (rel % kRate) * 1'000'000'000 / kRate);
    ASSERT_EQ(b.frame_number(), k);
    const auto expect = ramp(expect_pos, kBlock, kChannels);
    for (std::size_t s = 0; s < expect.size(); ++s) ASSERT_EQ(b.samples()[s], expect[s]) << "block " << k;
  }
  // 100 blocks of 441 at 44100 Hz are exactly one second.
  EXPECT_EQ(out[100].timestamp_ns() - out[0].timestamp_ns(), 1'000'000'000);
}

struct FlushCase {
  FlushMode mode;
  std::size_t expect_frames;  // of the last block, 0: none
};

class RechunkerFlush : public ::testing::TestWithParam<FlushCase> {};

TEST_P(RechunkerFlush, TheRemainderFollowsTheMode) {
  const auto [mode, expect_frames] = GetParam();
  auto rc = Rechunker::create({.channels = 1, .sample_rate = 48000, .frames_per_buffer = 100, .flush = mode}).value();
  ASSERT_TRUE(rc->push(make_frame(ramp(0, 250, 1), 1, 48000, 0, 0)));
  ASSERT_EQ(rc->pop()->sample_position(), 0);
  ASSERT_EQ(rc->pop()->sample_position(), 100);
  ASSERT_FALSE(rc->pop());
  auto tail = rc->flush();
  if (expect_frames == 0) {
    EXPECT_FALSE(tail);
  } else {
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->frame_count(), expect_frames);
    EXPECT_EQ(tail->sample_position(), 200);
    EXPECT_EQ(tail->timestamp_ns(), 200 * 1'000'000'000LL / 48000);
    for (std::size_t i = 0; i < expect_frames; ++i) {
      EXPECT_EQ(tail->samples()[i], i < 50 ? static_cast<float>(200 + i) : 0.0f) << i;
    }
  }
  EXPECT_FALSE(rc->flush());
  EXPECT_EQ(rc->buffered_frames(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, RechunkerFlush,
                         ::testing::Values(FlushCase{FlushMode::kPad, 100}, FlushCase{FlushMode::kShort, 50},
                                           FlushCase{FlushMode::kDrop, 0}),
                         [](const auto& p) { return std::string(enum_name(p.param.mode)); });

TEST(Rechunker, FlushPutsOutWholeBlocksFirst) {
  auto rc = Rechunker::create({.channels = 1, .sample_rate = 8000, .frames_per_buffer = 10, .flush = FlushMode::kShort})
                .value();
  ASSERT_TRUE(rc->push(make_frame(ramp(0, 25, 1), 1, 8000, 0, 0)));
  std::vector<std::size_t> sizes;
  while (auto b = rc->flush()) sizes.push_back(b->frame_count());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
}

TEST(Rechunker, AfterFlushANewStreamAnchorsAgain) {
  auto rc = Rechunker::create({.channels = 1, .sample_rate = 1000, .frames_per_buffer = 4}).value();
  ASSERT_TRUE(rc->push(make_frame(ramp(0, 6, 1), 1, 1000, 0, 0)));
  while (rc->flush()) {
  }
  ASSERT_TRUE(rc->push(make_frame(ramp(500, 4, 1), 1, 1000, 500, 7'000'000'000)));
  auto b = rc->pop();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sample_position(), 500);
  EXPECT_EQ(b->timestamp_ns(), 7'000'000'000);
}

TEST(Rechunker, AGapIsSilenceAndAnOverlapIsAnError) {
  auto rc =
      Rechunker::create({.channels = 1, .sample_rate = 1000, .frames_per_buffer = 10, .max_gap_frames = 100}).value();
  ASSERT_TRUE(rc->push(make_frame(ramp(0, 5, 1), 1, 1000, 0, 0)));
  ASSERT_TRUE(rc->push(make_frame(ramp(8, 5, 1), 1, 1000, 8, 8'000'000)));  // 3 missing
  EXPECT_EQ(rc->gap_frames(), 3);
  auto b = rc->pop();
  ASSERT_TRUE(b);
  const std::vector<float> expect = {0, 1, 2, 3, 4, 0, 0, 0, 8, 9};
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(b->samples()[i], expect[i]) << i;

  auto overlap = rc->push(make_frame(ramp(12, 5, 1), 1, 1000, 12, 0));
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(overlap.error().message().find("overlap"), std::string::npos);
  auto far = rc->push(make_frame(ramp(0, 5, 1), 1, 1000, 13 + 101, 0));
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().message().find("gap too large"), std::string::npos);
}

TEST(Rechunker, RefusesAnotherShape) {
  auto rc = Rechunker::create({.channels = 2, .sample_rate = 48000}).value();
  EXPECT_FALSE(rc->push(make_frame(ramp(0, 5, 1), 1, 48000, 0, 0)));
  EXPECT_FALSE(rc->push(make_frame(ramp(0, 5, 2), 2, 44100, 0, 0)));
  EXPECT_FALSE(Rechunker::create({.frames_per_buffer = 0}));
  EXPECT_FALSE(Rechunker::create({.channels = 9}));
}

TEST(Rechunker, InterleavedCore) {
  auto rc = Rechunker::create({.channels = 2, .sample_rate = 48000, .frames_per_buffer = 3}).value();
  ASSERT_TRUE(rc->write(ramp(0, 2, 2)));
  std::vector<float> out(6);
  EXPECT_FALSE(rc->read(out));
  ASSERT_TRUE(rc->write(ramp(2, 2, 2)));
  ASSERT_TRUE(rc->read(out));
  EXPECT_EQ(out, ramp(0, 3, 2));
  EXPECT_EQ(rc->buffered_frames(), 1u);
  EXPECT_FALSE(rc->write(std::vector<float>(3)));  // not whole frames
}

TEST(Rechunker, NoAllocationPerBlockInSteadyState) {
  auto rc = Rechunker::create({.channels = 2, .sample_rate = 48000, .frames_per_buffer = 256}).value();
  AudioFramePool in_pool;
  Sizes sizes(1, 1000);
  std::int64_t pos = 0;
  auto step = [&] {
    const std::size_t n = sizes.next();
    WritableAudioFrame w = in_pool.acquire(2, 48000, n);
    w.set_sample_position(pos);
    pos += static_cast<std::int64_t>(n);
    ASSERT_TRUE(rc->push(std::move(w).freeze()));
    while (auto b = rc->pop()) {
      ASSERT_EQ(b->frame_count(), 256u);
    }
  };
  for (int i = 0; i < 200; ++i) step();  // warm-up: the largest sizes have been seen
  const auto allocated = rc->pool().allocated();
  testing::ScopedAllocationCount count;
  for (int i = 0; i < 2000; ++i) step();
  EXPECT_EQ(count.count(), 0u);
  EXPECT_EQ(rc->pool().allocated(), allocated);
}

}  // namespace
}  // namespace streamlib::dsp
