// AudioOutput at the end of a sustained chain: eight Gains at 64-frame buffers, device-paced in
// real time through SDL's disk driver. Its own program, run alone (RUN_SERIAL): it proves the
// chain keeps a 1 ms device fed, which other tests' load on a 2-core machine would disturb.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "audio_test_support.h"
#include "sdl/sdl_processors.h"
#include "sdl_test_support.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)
using sdl_testing::read_floats;
using sdl_testing::trimmed_frames;

class AudioOutputSustainedTest : public sdl_testing::DiskAudioTest {
 protected:
  static void SetUpTestSuite() { register_audio_test_processors(); }
};

TEST_F(AudioOutputSustainedTest, AnEightGainChainAt64FrameBuffersPlaysInRealTimeWithoutAnUnderrun) {
  // At 64 kHz the disk device asks for a 64-frame block every millisecond, in real time (SDL's
  // disk driver waits whole milliseconds): the chain must keep the speaker's link from running
  // dry for three seconds of audio. The links hold up to 256 blocks (340 ms) and playback
  // starts with half of that queued (start_buffers): the buffering a user gives a chain on a
  // shared machine; what is measured is that the device never waits once it has begun.
  use_disk_audio(1);
  const float amplitude = db_to_amplitude(-6.0);
  constexpr std::uint32_t kFrames = 64;
  constexpr std::uint32_t kBlocks = 3 * 64000 / kFrames;
  const LinkConfig link{
      .capacity = 256, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::milliseconds(60'000)};
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestBlockSource>({.sample_rate = 64000,
                                                 .channels = 2,
                                                 .frames_per_buffer = kFrames,
                                                 .blocks = kBlocks,
                                                 .frequency = 440.0,
                                                 .amplitude = amplitude},
                                                "src"));
  std::string from = "src.audio";
  for (int i = 0; i < 8; ++i) {
    // +6 dB and -6 dB in turn: the chain's overall gain is 0 dB.
    const std::string id = fmt::format("gain{}", i);
    ASSERT_TRUE(rt.add_processor("Gain", {{"gain_db", i % 2 == 0 ? 6.0 : -6.0}}, id));
    ASSERT_TRUE(rt.connect(from, id + ".in", link));
    from = id + ".out";
  }
  ASSERT_TRUE(rt.add_processor(
      "AudioOutput", {{"sample_rate", 64000}, {"frames_per_buffer", kFrames}, {"start_buffers", 128}}, "speaker"));
  ASSERT_TRUE(rt.connect(from, "speaker.audio", link));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  auto stats = rt.stats();
  const ProcessorStats* speaker = stats.find_processor(ProcessorId("speaker"));
  ASSERT_NE(speaker, nullptr);
  EXPECT_EQ(speaker->metrics["frames_played"], std::uint64_t{kBlocks} * kFrames);
  EXPECT_EQ(speaker->metrics["underruns"], 0u) << speaker->metrics.dump();
  ASSERT_TRUE(rt.stop());

  const std::vector<float> played = trimmed_frames(read_floats(dir_ / "out.raw"), 2);
  // Every frame but the first (the sine's exact 0, taken for silence by the trim).
  ASSERT_EQ(played.size(), 2u * (kBlocks * kFrames - 1));
  std::vector<float> left;
  for (std::size_t i = 0; i < played.size(); i += 2) left.push_back(played[i]);
  EXPECT_NEAR(frequency(left, 0, left.size(), 64000), 440.0, 0.05);
  EXPECT_NEAR(20.0 * std::log10(peak(left, 0, left.size())), -6.0, 0.01);
}

}  // namespace
}  // namespace streamlib
