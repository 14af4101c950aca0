// VideoTestSource and AudioTestSource: synthetic pictures and sounds, live (paced on the
// runtime's clock) or as fast as the links take them.
//
//   auto src = rt.add_processor<VideoTestSource>({.width = 640, .height = 360, .pattern = VideoPattern::kBall,
//                                                 .live = false, .frames = 300}).value();
//   auto tone = rt.add_processor<AudioTestSource>({.wave = AudioWave::kChord, .duration = 10.0}).value();
//
// Video frames carry a frame counter burnt into the picture — a band across the top of
// kCounterBits black (0) or white (1) blocks, most significant bit first — so a test can read
// the frame number back after encoding and decoding (read_frame_counter()).
//
// Time: with `live` the first frame is stamped with the clock's now and frame n at
// start + n / fps, and each frame is pushed when its time has come (a late call catches up);
// without `live` frame n is stamped n / fps from 0 and one frame goes out per call, as fast as
// the links take them (connect with a `block` link to lose none). Audio is sample-accurate the
// same way: block k starts at sample k * frames_per_buffer. `fps` is exact (FrameRate: at
// "30000/1001", or 29.97, frame n is at n * 1001 / 30000 s, to the nanosecond below).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "ffmpeg/source_links.h"
#include "ffmpeg_common/scaler.h"
#include "streamlib/config_values.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

enum class VideoPattern { kBars, kBall, kGradient };
STREAMLIB_ENUM_NAMES(VideoPattern, {VideoPattern::kBars, "bars"}, {VideoPattern::kBall, "ball"},
                     {VideoPattern::kGradient, "gradient"});

struct VideoTestSourceConfig {
  int width = 640;                             // pixels, even, >= 64
  int height = 480;                            // pixels, even, >= 32
  FrameRate fps = 30;                          // frames a second: 30, 29.97, "30000/1001"
  VideoPattern pattern = VideoPattern::kBars;  // bars (SMPTE), ball (moving), gradient
  PixelFormat format = PixelFormat::kRgba;     // of the frames sent
  bool live = true;                            // paced to fps on the clock; false: as fast as links take
  std::uint64_t frames = 0;                    // end the stream after this many; 0: never
  bool counter = true;                         // burn the frame counter into the picture

  Result<void> validate() const;
};
STREAMLIB_CONFIG(VideoTestSourceConfig, width, height, fps, pattern, format, live, frames, counter);
STREAMLIB_CONFIG_DOCS(
    VideoTestSourceConfig, {"width", "Picture width in pixels", "even, [64, 8192]", ConfigReload::kRestart},
    {"height", "Picture height in pixels", "even, [32, 8192]", ConfigReload::kRestart},
    {"fps", "Frame rate: an integer, a decimal (29.97 is 30000/1001) or a fraction \"30000/1001\"", "[1, 1000]",
     ConfigReload::kRestart},
    {"pattern", "bars (SMPTE colour bars), ball (a moving ball) or gradient", "", ConfigReload::kRestart},
    {"format", "Pixel format of the frames sent", "", ConfigReload::kRestart},
    {"live", "Pace frames on the runtime's clock at fps; false: as fast as the links take", "", ConfigReload::kRestart},
    {"frames", "Frames to send before the end of stream; 0: unlimited", "", ConfigReload::kRestart},
    {"counter", "Burn the frame number into a band of blocks across the top", "", ConfigReload::kRestart});

class VideoTestSource : public Processor<VideoTestSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(VideoTestSource, "Test pictures (SMPTE bars, moving ball, gradient) with a frame counter",
                      Continuous{});

  // Blocks rather than drops (see kSourceLinkDefaults): `frames: N` means N frames arrive.
  LinkOutput<VideoFrame> video{this, "video", "The pictures, numbered from 0", kSourceLinkDefaults};

  static constexpr int kCounterBits = 16;

  ExecutionConfig execution_config() const override;
  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  nlohmann::json metrics() const override;

 private:
  Result<void> emit(std::uint64_t n, std::int64_t timestamp_ns);
  // What render() draws: the whole picture, or (ball) the background alone or the ball's colour
  // over the whole picture (without the counter).
  enum class Layer { kWhole, kBackground, kBallColour };
  void render(WritableVideoFrame& frame, std::uint64_t n, Layer layer = Layer::kWhole) const;
  // Frame n drawn in RGBA, stamped, and converted to `format`.
  Result<VideoFrame> draw(std::uint64_t n, std::int64_t timestamp_ns, std::int64_t duration_ns,
                          Layer layer = Layer::kWhole);
  // Bars do not move, nor does the ball's background: they are drawn and converted once (with
  // the counter all 0 and all 1, and for the ball its colour everywhere), and each frame is a
  // copy of that picture with the ball's rows and the counter's blocks taken from the others.
  Result<WritableVideoFrame> from_still(std::uint64_t n);

  VideoFramePool pool_;
  std::optional<ffmpeg::Scaler> scaler_;  // RGBA -> `format` when it is not RGBA
  struct Still {
    VideoFrame zeros;  // the picture with every counter bit 0
    VideoFrame ones;   // ... and 1 (only with `counter`)
    VideoFrame ball;   // the ball's colour everywhere (only for the ball)
  };
  std::optional<Still> still_;
  VideoFramePool still_pool_;  // the copies, in `format`
  std::uint64_t next_ = 0;
  std::optional<std::int64_t> start_ns_;
  std::atomic<std::uint64_t> emitted_{0};
  std::atomic<std::uint64_t> total_frames_{0};  // `frames`, for metrics() on another thread
  mutable std::vector<std::uint8_t> row_;       // render()'s scratch row (processor thread only)
};

// The frame number burnt into `frame` by VideoTestSource (modulo 2^kCounterBits), read from the
// luma at the centre of each block; nullopt if the frame is too small or of an unknown layout.
std::optional<std::uint64_t> read_frame_counter(const VideoFrame& frame);

enum class AudioWave { kSine, kChord, kNoise, kSilence };
STREAMLIB_ENUM_NAMES(AudioWave, {AudioWave::kSine, "sine"}, {AudioWave::kChord, "chord"}, {AudioWave::kNoise, "noise"},
                     {AudioWave::kSilence, "silence"});

struct AudioTestSourceConfig {
  AudioWave wave = AudioWave::kSine;  // sine, chord (C4+E4+G4), noise (white), silence
  double frequency = 440.0;           // Hz, of the sine
  double amplitude = 0.5;             // peak, 0..1
  int sample_rate = 48000;            // Hz
  int channels = 2;                   // 1..8, all the same signal
  int frames_per_buffer = 480;        // samples per channel in each block
  double duration = 0.0;              // seconds, then end the stream; 0: never
  bool live = true;                   // paced on the clock; false: as fast as links take

  Result<void> validate() const;
};
STREAMLIB_CONFIG(AudioTestSourceConfig, wave, frequency, amplitude, sample_rate, channels, frames_per_buffer, duration,
                 live);
STREAMLIB_CONFIG_DOCS(
    AudioTestSourceConfig, {"wave", "sine, chord (C4+E4+G4), noise (white) or silence", "", ConfigReload::kRestart},
    {"frequency", "Frequency of the sine in Hz", "[1, 96000]", ConfigReload::kRestart},
    {"amplitude", "Peak level, linear (1: full scale)", "[0, 1]", ConfigReload::kRestart},
    {"sample_rate", "Sample rate in Hz", "[1000, 384000]", ConfigReload::kRestart},
    {"channels", "Channel count, every channel the same signal", "[1, 8]", ConfigReload::kRestart},
    {"frames_per_buffer", "Frames (per channel) in each block", "[1, 1048576]", ConfigReload::kRestart},
    {"duration", "Length of the stream in seconds, then it ends; 0: endless", "[0, 10000000]", ConfigReload::kRestart},
    {"live", "Pace blocks on the runtime's clock; false: as fast as the links take", "", ConfigReload::kRestart});

class AudioTestSource : public Processor<AudioTestSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioTestSource, "Test sounds: sine, chord (C4+E4+G4), white noise, silence", Continuous{});

  LinkOutput<AudioFrame> audio{this, "audio", "Interleaved float blocks, sample-accurate", kSourceLinkDefaults};

  ExecutionConfig execution_config() const override;
  Result<void> setup(RuntimeContext& ctx) override;
  Result<void> process() override;
  // {"samples": n, "progress": 0..1 when `duration` is set}
  nlohmann::json metrics() const override;

  // Samples in the whole stream (0: endless).
  std::int64_t total_samples() const;

 private:
  void emit();

  AudioFramePool pool_;
  std::int64_t position_ = 0;  // next sample frame
  std::uint64_t blocks_ = 0;
  std::optional<std::int64_t> start_ns_;
  std::minstd_rand noise_{12345};
  std::atomic<std::int64_t> emitted_samples_{0};
  std::atomic<std::int64_t> total_samples_{0};  // for metrics() on another thread
};

}  // namespace streamlib
