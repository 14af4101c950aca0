// chord_to_speaker: a C major chord played on the speakers through a gain stage, with the typed
// API; the gain fades down half-way through (a live config change, ramped, no click).
//
//   AudioTestSource (C4+E4+G4) --> Gain --> AudioOutput (SDL2)
//
//   chord_to_speaker [SECONDS]        (default 5; Ctrl-C stops earlier)
//
// Without a sound card SDL's disk driver stands in: with SDL_AUDIODRIVER=disk
// SDL_DISKAUDIOFILE=chord.raw the program writes what it would play to chord.raw (raw float32,
// 48 kHz stereo, in real time) instead of playing it. The same as
// `streamlib run examples/graphs/chord_to_speaker.json`, plus the gain. Exit code 0 when it
// played, 2 for bad arguments, 1 when a processor failed (no audio device, ...).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "audio/audio_processors.h"
#include "ffmpeg/test_sources.h"
#include "sdl/sdl_processors.h"

namespace {

using namespace streamlib;

Result<void> play(double seconds) {
  StreamRuntime rt;
  // 10 ms blocks (480 frames at 48 kHz) all the way; playback starts with 40 ms queued, the
  // slack between the source's clock and the device's. The chord ends after SECONDS; the
  // speaker plays it out, and the pipeline ends with it.
  STREAMLIB_ASSIGN_OR_RETURN(
      auto chord,
      rt.add_processor<AudioTestSource>({.wave = AudioWave::kChord, .amplitude = 0.3, .duration = seconds}, "chord"));
  STREAMLIB_ASSIGN_OR_RETURN(auto gain, rt.add_processor<Gain>({.gain_db = 0.0f, .ramp_ms = 200.0f}, "gain"));
  STREAMLIB_ASSIGN_OR_RETURN(auto speaker,
                             rt.add_processor<AudioOutput>({.frames_per_buffer = 480, .start_buffers = 4}, "speaker"));
  STREAMLIB_RETURN_IF_ERROR(rt.connect(chord.output(&AudioTestSource::audio), gain.input(&Gain::in)));
  STREAMLIB_RETURN_IF_ERROR(rt.connect(gain.output(&Gain::out), speaker.input(&AudioOutput::audio)));

  if (auto started = rt.start(); !started) {
    (void)rt.stop();
    return started;
  }
  fmt::print("playing a C major chord for {} s (Ctrl-C stops)\n", seconds);
  // Half-way (unless it ended or Ctrl-C came first), the gain goes down; then the rest of the
  // chord, and time for the speaker to play out what it holds. A failure is returned.
  const auto half = std::chrono::milliseconds(static_cast<long>(seconds * 500));
  RunEnd end = RunEnd::kDeadline;
  Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + half}, &end);
  if (ran && end == RunEnd::kDeadline) {
    if (auto r = rt.update_processor_config(gain, {.gain_db = -12.0f, .ramp_ms = 200.0f}); r) {
      fmt::print("half-way: gain down to -12 dB\n");
    }
    ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + half + std::chrono::seconds(10)});
  }
  const RuntimeStats last = rt.stats();
  Result<void> stopped = rt.stop();
  for (const ProcessorStats& p : last.processors) {
    if (p.id.str() == "speaker") fmt::print("speaker: {}\n", p.metrics.dump());
  }
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  if (argc > 2 || seconds <= 0) {
    std::fprintf(stderr, "usage: chord_to_speaker [SECONDS]   (SECONDS a positive number)\n");
    return 2;
  }
  if (auto r = play(seconds); !r) {
    std::fprintf(stderr, "chord_to_speaker: %s\n", r.error().message().c_str());
    return 1;
  }
  return 0;
}
