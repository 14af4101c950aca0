// audio_mixer: three test sounds mixed into one and played on the speakers, with the typed API.
//
//   AudioTestSource (sine 220 Hz) --in_0-->
//   AudioTestSource (sine 880 Hz) --in_1--> AudioMixer (soft_clip) --> AudioOutput (SDL2)
//   AudioTestSource (C4+E4+G4)    --in_2-->
//
//   audio_mixer [SECONDS]        (default 5; Ctrl-C stops earlier)
//
// The mixer's inputs exist once its config says how many (`inputs: 3`), so they are named by
// string ("mix.in_0"), checked when connected. Without a sound card SDL's disk driver stands
// in: with SDL_AUDIODRIVER=disk SDL_DISKAUDIOFILE=mix.raw the program writes the mix to
// mix.raw (raw float32, 48 kHz stereo, in real time). The same as
// `streamlib run examples/graphs/audio_mixer.json`. Exit code 0 when it played, 2 for bad
// arguments, 1 when a processor failed (no audio device, ...).
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
  const AudioTestSourceConfig sources[] = {
      {.wave = AudioWave::kSine, .frequency = 220, .amplitude = 0.2, .duration = seconds},
      {.wave = AudioWave::kSine, .frequency = 880, .amplitude = 0.1, .duration = seconds},
      {.wave = AudioWave::kChord, .amplitude = 0.2, .duration = seconds},
  };
  STREAMLIB_ASSIGN_OR_RETURN(auto mix,
                             rt.add_processor<AudioMixer>({.inputs = 3, .mode = dsp::MixMode::kSoftClip}, "mix"));
  for (int i = 0; i < 3; ++i) {
    STREAMLIB_ASSIGN_OR_RETURN(auto src, rt.add_processor<AudioTestSource>(sources[i], fmt::format("source_{}", i)));
    STREAMLIB_RETURN_IF_ERROR(rt.connect(fmt::format("{}.audio", src.id()), fmt::format("mix.in_{}", i)));
  }
  // 10 ms blocks (480 frames at 48 kHz) from the mixer to the device; playback starts with 40 ms
  // queued, the slack between the sources' clock and the device's.
  STREAMLIB_ASSIGN_OR_RETURN(auto speaker,
                             rt.add_processor<AudioOutput>({.frames_per_buffer = 480, .start_buffers = 4}, "speaker"));
  STREAMLIB_RETURN_IF_ERROR(rt.connect(mix.output(&AudioMixer::out), speaker.input(&AudioOutput::audio)));

  if (auto started = rt.start(); !started) {
    (void)rt.stop();
    return started;
  }
  fmt::print("playing the mix of 220 Hz, 880 Hz and a chord for {} s (Ctrl-C stops)\n", seconds);
  // The sources end after SECONDS; the mixer and the speaker play out, and the pipeline ends.
  // Until then, Ctrl-C, or 10 s more (a device that stopped taking sound); a failure is returned.
  const auto limit = std::chrono::milliseconds(static_cast<long>(seconds * 1000) + 10000);
  Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + limit});
  const RuntimeStats last = rt.stats();
  Result<void> stopped = rt.stop();
  for (const ProcessorStats& p : last.processors) {
    if (p.id.str() == "mix" || p.id.str() == "speaker") fmt::print("{}: {}\n", p.id, p.metrics.dump());
  }
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  if (argc > 2 || seconds <= 0) {
    std::fprintf(stderr, "usage: audio_mixer [SECONDS]   (SECONDS a positive number)\n");
    return 2;
  }
  if (auto r = play(seconds); !r) {
    std::fprintf(stderr, "audio_mixer: %s\n", r.error().message().c_str());
    return 1;
  }
  return 0;
}
