// AudioOutput through SDL's disk driver: what it plays is read back from the file and measured.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "audio_test_support.h"
#include "sdl/sdl_processors.h"
#include "sdl_test_support.h"
#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"

namespace streamlib {
namespace {

using namespace audio_testing;  // NOLINT(google-build-using-namespace)
using sdl_testing::nonzero_frames;
using sdl_testing::read_floats;
using sdl_testing::trimmed_frames;

class AudioOutputTest : public sdl_testing::DiskAudioTest {
 protected:
  static void SetUpTestSuite() { register_audio_test_processors(); }
};

// Left channel of interleaved stereo.
std::vector<float> left_of(const std::vector<float>& x) {
  std::vector<float> out;
  for (std::size_t i = 0; i < x.size(); i += 2) out.push_back(x[i]);
  return out;
}

double dbfs_peak(const std::vector<float>& x) { return 20.0 * std::log10(peak(x, 0, x.size())); }

TEST_F(AudioOutputTest, PlaysA440HzSineAtMinus6dBFSIntoTheDiskFile) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h({.sample_rate = 48000, .channels = 2, .frames_per_buffer = 512});
  ASSERT_TRUE(h.start()) << "device";
  const float amplitude = db_to_amplitude(-6.0);
  std::vector<AudioFrame> sent;
  for (int b = 0; b < 100; ++b) {
    sent.push_back(sine_block(2, 48000, 480, b * 480, 440.0, amplitude));
    ASSERT_TRUE(h.push("audio", sent.back()));
  }
  ASSERT_TRUE(h.end_input("audio"));
  ASSERT_TRUE(eventually([&] { return h.processor().frames_played() >= 48000; }));
  ASSERT_TRUE(h.stop());
  EXPECT_EQ(h.processor().frames_played(), 48000u);

  std::vector<float> expected;
  for (const AudioFrame& f : sent) expected.insert(expected.end(), f.samples().begin(), f.samples().end());
  const std::vector<float> played = nonzero_frames(read_floats(dir_ / "out.raw"), 2);
  // Every sample, in order, exactly (float32 end to end), but the first (an exact 0).
  ASSERT_EQ(played, nonzero_frames(expected, 2));
  const std::vector<float> left = left_of(played);
  EXPECT_NEAR(frequency(left, 0, left.size(), 48000), 440.0, 0.05);
  EXPECT_NEAR(dbfs_peak(left), -6.0, 0.01);
  EXPECT_NEAR(20.0 * std::log10(rms(left, 0, 48000 - 1) * std::numbers::sqrt2), -6.0, 0.01);
}

TEST_F(AudioOutputTest, CountsAnUnderrunWhenTheInputRunsDry) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h({.sample_rate = 48000, .channels = 1, .frames_per_buffer = 480, .start_buffers = 1});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("audio", sine_block(1, 48000, 480, 0, 440.0, 0.5f)));
  ASSERT_TRUE(eventually([&] { return h.processor().underruns() >= 1; }));
  EXPECT_EQ(h.processor().frames_played(), 480u);
  EXPECT_GE(h.processor().metrics()["silent_frames"].get<std::uint64_t>(), 32u);
  ASSERT_TRUE(h.stop());
}

TEST_F(AudioOutputTest, AudioAtAnotherRateAndChannelCountIsConvertedToTheDevices) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h({.sample_rate = 48000, .channels = 2, .frames_per_buffer = 512});
  ASSERT_TRUE(h.start()) << "device";
  const float amplitude = db_to_amplitude(-6.0);
  // One second of a mono 440 Hz sine at 44.1 kHz, in 10 ms blocks.
  for (int b = 0; b < 100; ++b) ASSERT_TRUE(h.push("audio", sine_block(1, 44100, 441, b * 441, 440.0, amplitude)));
  ASSERT_TRUE(h.end_input("audio"));
  // The converter's filter keeps back a few samples at the end (under a millisecond).
  ASSERT_TRUE(eventually([&] { return h.processor().frames_played() >= 48000 - 64; }));
  ASSERT_TRUE(h.stop());
  EXPECT_LE(h.processor().frames_played(), 48000u);
  EXPECT_EQ(h.processor().metrics()["converted_frames"].get<std::uint64_t>(), 44100u);
  EXPECT_EQ(h.processor().underruns(), 0u);

  const std::vector<float> played = trimmed_frames(read_floats(dir_ / "out.raw"), 2);
  ASSERT_GE(played.size(), 2u * (48000 - 64));
  ASSERT_LE(played.size(), 2u * 48000);
  // Mono goes to both channels at full level.
  for (std::size_t i = 0; i < played.size(); i += 2) ASSERT_EQ(played[i], played[i + 1]) << "frame " << i / 2;
  const std::vector<float> left = left_of(played);
  // Away from the filter's start-up: the tone's pitch and level are kept.
  const std::size_t from = 1000;
  const std::size_t to = left.size() - 1000;
  EXPECT_NEAR(frequency(left, from, to, 48000), 440.0, 0.05);
  EXPECT_NEAR(20.0 * std::log10(peak(left, from, to)), -6.0, 0.05);
  EXPECT_NEAR(20.0 * std::log10(rms(left, from, to) * std::numbers::sqrt2), -6.0, 0.05);
}

TEST_F(AudioOutputTest, AudioAtAnotherRateWithConvertOffFailsWithAClearError) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h(
      {.sample_rate = 48000, .channels = 2, .frames_per_buffer = 256, .convert = false, .start_buffers = 1});
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.push("audio", sine_block(2, 44100, 441, 0, 440.0, 0.5f)));
  ASSERT_TRUE(eventually([&] { return h.processor().metrics()["skipped_cycles"].get<std::uint64_t>() > 0; }));
  auto r = h.process();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("44100 Hz"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("convert is false"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("AudioResampler"), std::string::npos) << r.error().message();
}

TEST_F(AudioOutputTest, PlaybackWaitsForStartBuffersThenPlaysFromTheFirstSample) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h({.sample_rate = 48000, .channels = 1, .frames_per_buffer = 64, .start_buffers = 4});
  ASSERT_TRUE(h.start());
  for (int b = 0; b < 3; ++b) ASSERT_TRUE(h.push("audio", sine_block(1, 48000, 64, b * 64, 440.0, 0.5f)));
  // Three of four buffers: the device keeps playing silence and counts no underrun.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(h.processor().frames_played(), 0u);
  EXPECT_EQ(h.processor().underruns(), 0u);
  ASSERT_TRUE(h.push("audio", sine_block(1, 48000, 64, 3 * 64, 440.0, 0.5f)));
  ASSERT_TRUE(eventually([&] { return h.processor().frames_played() == 4u * 64; }));
  ASSERT_TRUE(h.stop());
}

TEST_F(AudioOutputTest, AStreamShorterThanStartBuffersStillPlaysToItsEnd) {
  use_disk_audio(1);
  ProcessorHarness<AudioOutput> h({.sample_rate = 48000, .channels = 1, .frames_per_buffer = 64, .start_buffers = 8});
  ASSERT_TRUE(h.start());
  for (int b = 0; b < 2; ++b) ASSERT_TRUE(h.push("audio", sine_block(1, 48000, 64, b * 64, 440.0, 0.5f)));
  ASSERT_TRUE(h.end_input("audio"));
  ASSERT_TRUE(eventually([&] { return h.processor().frames_played() == 2u * 64; }));
  ASSERT_TRUE(h.stop());
}

TEST_F(AudioOutputTest, NoAudioDeviceIsAClearErrorAtSetup) {
  use_disk_audio(1);
  setenv("SDL_AUDIODRIVER", "nosuchdriver", 1);
  ProcessorHarness<AudioOutput> h(AudioOutputConfig{});
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("no audio device"), std::string::npos) << r.error().message();
}

TEST_F(AudioOutputTest, PlaysAGraphToItsEndInAStreamRuntime) {
  use_disk_audio(5);
  const float amplitude = db_to_amplitude(-6.0);
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestBlockSource>(
      {.channels = 2, .frames_per_buffer = 480, .blocks = 100, .frequency = 440.0, .amplitude = amplitude}, "src"));
  ASSERT_TRUE(rt.add_processor("AudioOutput", {{"frames_per_buffer", 512}}, "speaker"));
  ASSERT_TRUE(rt.connect("src.audio", "speaker.audio", kLossless));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(all_finished(rt));
  auto stats = rt.stats();
  const ProcessorStats* speaker = stats.find_processor(ProcessorId("speaker"));
  ASSERT_NE(speaker, nullptr);
  EXPECT_EQ(speaker->metrics["frames_played"], 48000u);
  ASSERT_TRUE(rt.stop());

  std::vector<float> expected;
  for (int b = 0; b < 100; ++b) {
    AudioFrame f = sine_block(2, 48000, 480, b * 480, 440.0, amplitude);
    expected.insert(expected.end(), f.samples().begin(), f.samples().end());
  }
  const std::vector<float> played = nonzero_frames(read_floats(dir_ / "out.raw"), 2);
  ASSERT_EQ(played, nonzero_frames(expected, 2));
  const std::vector<float> left = left_of(played);
  EXPECT_NEAR(frequency(left, 0, left.size(), 48000), 440.0, 0.05);
  EXPECT_NEAR(dbfs_peak(left), -6.0, 0.01);
}

}  // namespace
}  // namespace streamlib
