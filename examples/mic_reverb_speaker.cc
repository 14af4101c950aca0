// mic_reverb_speaker: the microphone through an LV2 reverb to the speakers, live, with the typed
// API; the reverb's room size changes while it plays (a live config change, no gap).
//
//   AudioCapture (SDL2) --> Lv2Effect (mda Ambience) --> AudioOutput (SDL2)
//
//   mic_reverb_speaker [SECONDS]        (default 10; Ctrl-C stops earlier)
//
// Without a sound card, SDL's disk driver stands in: SDL_AUDIODRIVER=disk
// SDL_DISKAUDIOFILE=out.raw SDL_DISKAUDIOFILEIN=in.raw (raw float samples). `streamlib plugins`
// lists the installed plugins, `streamlib plugins URI` one plugin's controls.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <streamlib/streamlib.h>

#include "lv2/lv2_effect.h"
#include "sdl/sdl_processors.h"

namespace {

using streamlib::AudioCapture;
using streamlib::AudioOutput;
using streamlib::Lv2Effect;

constexpr const char* kReverb = "http://drobilla.net/plugins/mda/Ambience";

streamlib::Result<void> run(double seconds) {
  streamlib::StreamRuntime rt;
  // Small device buffers (256 frames, 5.3 ms at 48 kHz) for a short round trip.
  STREAMLIB_ASSIGN_OR_RETURN(auto mic, rt.add_processor<AudioCapture>({.frames_per_buffer = 256}, "mic"));
  STREAMLIB_ASSIGN_OR_RETURN(
      auto reverb,
      rt.add_processor<Lv2Effect>({.plugin = kReverb, .controls = {{"size", 0.4f}, {"mix", 0.5f}}}, "reverb"));
  STREAMLIB_ASSIGN_OR_RETURN(auto speaker, rt.add_processor<AudioOutput>({.frames_per_buffer = 256}, "speaker"));
  STREAMLIB_ASSIGN_OR_RETURN(auto in_link, rt.connect(mic.output(&AudioCapture::audio), reverb.input(&Lv2Effect::in)));
  STREAMLIB_ASSIGN_OR_RETURN(auto out_link,
                             rt.connect(reverb.output(&Lv2Effect::out), speaker.input(&AudioOutput::audio)));
  (void)in_link;
  (void)out_link;
  STREAMLIB_RETURN_IF_ERROR(rt.start());
  fmt::print("playing the microphone through {} for {} s (Ctrl-C stops)\n", kReverb, seconds);

  // Half-way (unless Ctrl-C came first), a bigger room: the controls hot-reload between two
  // blocks. A failure is returned.
  const auto half = std::chrono::milliseconds(static_cast<long>(seconds * 500));
  streamlib::RunEnd end = streamlib::RunEnd::kDeadline;
  streamlib::Result<void> ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + half}, &end);
  if (ran && end == streamlib::RunEnd::kDeadline) {
    if (auto r =
            rt.update_processor_config(reverb.id(), {{"plugin", kReverb}, {"controls", {{"size", 1.0}, {"mix", 0.6}}}});
        !r) {
      fmt::print(stderr, "mic_reverb_speaker: {}\n", r.error().message());
    } else {
      fmt::print("bigger room: size 1.0\n");
    }
    ran = rt.run_until({.deadline = std::chrono::steady_clock::now() + half});
  }
  streamlib::Result<void> stopped = rt.stop();
  STREAMLIB_RETURN_IF_ERROR(ran);
  return stopped;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  if (seconds <= 0) {
    std::fprintf(stderr, "mic_reverb_speaker: SECONDS must be a positive number\n");
    return 2;
  }
  if (auto r = run(seconds); !r) {
    std::fprintf(stderr, "mic_reverb_speaker: %s\n", r.error().message().c_str());
    return 1;
  }
  return 0;
}
