// Media time is continuous across live changes: an output port re-bases a processor whose clock
// restarts after a reconfigure or a rebuild, so the stream goes on without an overlap or a hole.
// The processors here are written as a user's would be, with no knowledge of the rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"
#include "streamlib/testing/processor_harness.h"

namespace streamlib {
namespace {

constexpr std::int64_t kFrameNs = 40'000'000;  // 25 fps

struct BlockSourceConfig {
  int sample_rate = 48000;
  int frames_per_buffer = 480;
  float level = 0.5f;
};
STREAMLIB_CONFIG(BlockSourceConfig, sample_rate, frames_per_buffer, level);

// An audio source that counts its samples from 0 (no on_config_change: a change rebuilds it,
// and the new instance starts again at sample 0, timestamp 0).
class BlockSource : public Processor<BlockSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(BlockSource, "Audio blocks counted from 0", Continuous{});
  LinkOutput<AudioFrame> audio{this, "audio"};
  Result<void> process() override {
    const BlockSourceConfig& c = config();
    WritableAudioFrame w(1, c.sample_rate, static_cast<std::size_t>(c.frames_per_buffer));
    for (float& s : w.samples()) s = c.level;
    w.set_sample_position(position_);
    w.set_timestamp_ns(position_ * 1'000'000'000 / c.sample_rate);
    position_ += c.frames_per_buffer;
    audio.push(std::move(w).freeze());
    return {};
  }

 private:
  std::int64_t position_ = 0;
};

struct PictureSourceConfig {
  int shade = 0;
  bool restart_on_change = true;  // on_config_change starts counting frames from 0 again
  bool keep_last = false;         // hold a handle to each frame it pushes (a shared frame)
  int restart_every = 0;          // > 0: count from 0 again after this many frames, by itself
};
STREAMLIB_CONFIG(PictureSourceConfig, shade, restart_on_change, keep_last, restart_every);

// A video source reconfigured in place; its frame counter (and so its clock) may restart.
class PictureSource : public Processor<PictureSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(PictureSource, "Pictures at 25 fps from 0", Continuous{});
  LinkOutput<VideoFrame> video{this, "video"};
  Result<void> on_config_change(const PictureSourceConfig& next) override {
    if (next.restart_on_change) n_ = 0;
    return {};
  }
  Result<void> process() override {
    if (config().restart_every > 0 && n_ == config().restart_every) n_ = 0;
    WritableVideoFrame w(64, 32, PixelFormat::kGray8);
    w.plane(0)[0] = static_cast<std::uint8_t>(config().shade);
    w.set_timestamp_ns(n_ * kFrameNs);
    w.set_duration_ns(kFrameNs);
    w.set_frame_number(static_cast<std::uint64_t>(n_));
    ++n_;
    VideoFrame f = std::move(w).freeze();
    if (config().keep_last) last_ = f;
    video.push(std::move(f));
    return {};
  }
  const VideoFrame& last() const { return last_; }

 private:
  std::int64_t n_ = 0;
  VideoFrame last_;
};

// `calls` process() calls, collecting what `port` sent (the harness's own link is short).
template <class T, class P>
void run_calls(ProcessorHarness<P>& h, int calls, const char* port, std::vector<T>& sent) {
  for (int i = 0; i < calls; ++i) {
    ASSERT_TRUE(h.process()) << "call " << i;
    for (T& m : h.template take<T>(port)) sent.push_back(std::move(m));
  }
}

TEST(MediaTime, AnAudioSourceRebuiltByAConfigChangeGoesOnFromItsLastSampleNotFromZero) {
  ProcessorHarness<BlockSource> h;
  ASSERT_TRUE(h.start());
  std::vector<AudioFrame> blocks;
  run_calls(h, 10, "audio", blocks);  // samples 0 .. 4799
  ASSERT_TRUE(h.set_config({.level = 0.25f}));
  run_calls(h, 10, "audio", blocks);
  ASSERT_EQ(blocks.size(), 20u);
  std::int64_t position = 0;
  for (const AudioFrame& b : blocks) {
    EXPECT_EQ(b.sample_position(), position);
    EXPECT_EQ(b.timestamp_ns(), position * 1'000'000'000 / 48000) << "block at " << position;
    position += 480;
  }
  EXPECT_FLOAT_EQ(blocks[10].samples()[0], 0.25f);  // the new instance's audio, not the old
  EXPECT_EQ(h.processor().audio.timeline_rebases(), 1u);
}

TEST(MediaTime, ANewSampleRateContinuesAtTheSameTimeInTheNewRatesSamples) {
  ProcessorHarness<BlockSource> h;
  ASSERT_TRUE(h.start());
  std::vector<AudioFrame> blocks;
  run_calls(h, 5, "audio", blocks);  // 2400 samples at 48 kHz = 50 ms
  ASSERT_TRUE(h.set_config({.sample_rate = 44100, .frames_per_buffer = 441}));
  run_calls(h, 2, "audio", blocks);
  ASSERT_EQ(blocks.size(), 7u);
  EXPECT_EQ(blocks[5].sample_rate(), 44100);
  EXPECT_EQ(blocks[5].sample_position(), 2205);  // 50 ms at 44.1 kHz
  EXPECT_EQ(blocks[5].timestamp_ns(), 50'000'000);
  EXPECT_EQ(blocks[6].sample_position(), 2205 + 441);
}

TEST(MediaTime, AVideoSourceWhoseCounterRestartsInPlaceIsRebasedByItsPort) {
  ProcessorHarness<PictureSource> h;
  ASSERT_TRUE(h.start());
  std::vector<VideoFrame> frames;
  run_calls(h, 5, "video", frames);
  ASSERT_TRUE(h.set_config({.shade = 9}));
  run_calls(h, 5, "video", frames);
  ASSERT_EQ(frames.size(), 10u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].timestamp_ns(), static_cast<std::int64_t>(i) * kFrameNs) << "frame " << i;
  }
  EXPECT_EQ(frames[5].frame_number(), 0u);  // the processor's own numbering is its own
  EXPECT_EQ(h.processor().video.timeline_rebases(), 1u);
}

TEST(MediaTime, AProcessorWhoseClockGoesOnByItselfIsLeftUntouched) {
  ProcessorHarness<PictureSource> h({.restart_on_change = false});
  ASSERT_TRUE(h.start());
  std::vector<VideoFrame> frames;
  run_calls(h, 3, "video", frames);
  ASSERT_TRUE(h.set_config({.shade = 1, .restart_on_change = false}));
  run_calls(h, 3, "video", frames);
  ASSERT_EQ(frames.size(), 6u);
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].frame_number(), i);
  EXPECT_EQ(frames[5].timestamp_ns(), 5 * kFrameNs);
  EXPECT_EQ(h.processor().video.timeline_rebases(), 0u);
}

TEST(MediaTime, AFrameSharedWithItsProducerIsRetimedOnANewHandleOverTheSamePixels) {
  ProcessorHarness<PictureSource> h({.keep_last = true});
  ASSERT_TRUE(h.start());
  std::vector<VideoFrame> frames;
  run_calls(h, 4, "video", frames);
  ASSERT_TRUE(h.set_config({.shade = 7, .keep_last = true}));
  run_calls(h, 1, "video", frames);
  ASSERT_EQ(frames.size(), 5u);
  const VideoFrame& sent = frames[4];
  const VideoFrame& kept = h.processor().last();
  EXPECT_EQ(sent.timestamp_ns(), 4 * kFrameNs);
  EXPECT_EQ(kept.timestamp_ns(), 0);                      // what the processor holds did not change under it
  EXPECT_EQ(sent.plane(0).data(), kept.plane(0).data());  // no copy of the pixels
  EXPECT_EQ(sent.plane(0)[0], 7);
  EXPECT_EQ(sent.duration_ns(), kFrameNs);
}

TEST(MediaTime, AProcessorsOwnJumpsBetweenChangesPassUntouched) {
  // A file source looping, a camera dropping frames: only a live change makes the port compare.
  ProcessorHarness<PictureSource> h({.restart_every = 3});
  ASSERT_TRUE(h.start());
  std::vector<VideoFrame> frames;
  run_calls(h, 6, "video", frames);
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[2].timestamp_ns(), 2 * kFrameNs);
  EXPECT_EQ(frames[3].timestamp_ns(), 0);
  EXPECT_EQ(h.processor().video.timeline_rebases(), 0u);
}

}  // namespace
}  // namespace streamlib
