// Test media made with the real ffmpeg program, and small helpers to check pictures, sounds and
// files (ffprobe's JSON).
//
// Inputs are generated once into a cache directory (STREAMLIB_FFMPEG_TEST_MEDIA, else
// <tmp>/streamlib_ffmpeg_test_media) under a name that includes a hash of the command that
// made them, so a changed command makes a new file. Outputs of a test go into a fresh
// temporary directory of its own (out_path()).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/video_frame.h"

namespace streamlib::ffmpeg::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
CommandResult run(const std::string& command);

// Shell-quotes a path or argument.
std::string quote(std::string_view s);

// Runs `ffmpeg -y -hide_banner -loglevel error <args>`; throws std::runtime_error on failure.
void ffmpeg(const std::string& args);

// ffprobe's JSON for a file (-show_streams -show_format, plus `extra`, e.g. "-count_frames").
nlohmann::json ffprobe(const std::string& path, const std::string& extra = "-count_frames");
// The first stream of `type` ("video"/"audio") in ffprobe's JSON, or null.
nlohmann::json probe_stream(const nlohmann::json& probe, std::string_view type);
// A number that ffprobe gives as a string ("2.000000"); NaN if absent.
double probe_number(const nlohmann::json& object, const std::string& key);

// A test input, made on first use. Names:
//   av.mp4         H.264 (yuv420p, GOP 30) + AAC stereo 48 kHz, 320x240, 30 fps, 2 s
//   av.mkv         VP9 + Opus, same picture and sound
//   av.webm        VP9 + Opus
//   av_faststart.mp4  like av.mp4 with the index first
//   counter.y4m    64x48 I420, 30 fps, 1 s: frame n has luma 4n, chroma 128
//   counter.mp4    the same in H.264 (lossy)
//   red.y4m        64x48 solid red (10 frames)
//   yuv444.mkv     H.264 4:4:4 (a format StreamLib lacks), 320x240, 30 frames
//   tone.wav       PCM 44.1 kHz mono, 440 Hz at amplitude 0.5, 2 s
//   tones.mkv      Opus 48 kHz stereo: left 1000 Hz at 0.5, right 500 Hz at 0.25, 2 s
//   video_only.mp4 H.264 only, 1 s;  audio_only.m4a  AAC only, 1 s
//   truncated.mp4  av.mp4 cut at 60% (its index is at the end: unreadable)
//   truncated_faststart.mp4  av_faststart.mp4 cut at 50%
//   truncated.mkv  av.mkv cut at 50%
//   damaged.mkv    av.mkv with 4 KiB of noise in the middle
//   corrupt.mp4    64 KiB of noise
std::string media(std::string_view name);

// A path for an output file in this test process's own temporary directory.
std::string out_path(std::string_view name);

std::uint64_t file_size(const std::string& path);

// Estimated frequency (Hz) of one channel of interleaved samples, from zero crossings.
double frequency(std::span<const float> interleaved, int channels, int channel, int sample_rate);
// RMS level of one channel.
double rms(std::span<const float> interleaved, int channels, int channel);

// Accumulates audio frames' samples (interleaved).
struct AudioCollector {
  std::vector<float> samples;
  int channels = 0;
  int sample_rate = 0;
  std::int64_t first_position = -1;
  std::int64_t next_position = -1;
  bool contiguous = true;
  void add(const AudioFrame& f);
  std::int64_t frames() const { return channels > 0 ? static_cast<std::int64_t>(samples.size()) / channels : 0; }
};

// A frame of one colour (r, g, b), in `format` (converted exactly for RGB formats; YUV values
// BT.601 limited range).
VideoFrame solid_frame(int width, int height, PixelFormat format, std::uint8_t r, std::uint8_t g, std::uint8_t b);
// Pixel (x, y) of an RGBA frame.
std::array<std::uint8_t, 4> rgba_at(const VideoFrame& frame, int x, int y);
// Luma of pixel (x, y) of an I420/NV12 frame.
std::uint8_t luma_at(const VideoFrame& frame, int x, int y);
// Mean luma of the centre quarter of an I420/NV12 frame.
double mean_luma(const VideoFrame& frame);

// A moving I420 picture for encoders: a bright square walking across a gradient; frame `n` of
// a 30 fps stream starting at `t0` (timestamp, duration, frame number set).
VideoFrame moving_picture(int n, int width = 320, int height = 240, std::int64_t t0 = 0);

// An audio block of a sine at `hz` and `amplitude` on every channel, starting at `position`.
AudioFrame sine_frame(int channels, int sample_rate, std::size_t frames, std::int64_t position, double hz,
                      double amplitude, std::int64_t timestamp_ns);

}  // namespace streamlib::ffmpeg::testing
