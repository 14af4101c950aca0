// An LV2 plugin applied to interleaved audio: what the Lv2Effect processor wraps.
//
//   auto fx = lv2::Effect::create("http://drobilla.net/plugins/mda/Delay",
//                                 {.channels = 2, .sample_rate = 48000, .max_block = 512}).value();
//   fx->set_control("feedback", 0.3f);                    // any thread, applied between blocks
//   fx->activate();
//   AudioFrame out = fx->process(in_frame, pool).value();  // audio thread
//
// Channel mapping (our C channels, the plugin's I audio inputs and O audio outputs):
//   kDirect      I == C and O == C: channel c feeds input c, output c becomes channel c.
//   kPerChannel  a mono plugin (I == 1, O == 1) with C > 1: one instance per channel, each with
//                its own state (a delay line per channel), controls set on all of them.
//   kSpread      anything else, one instance: input i reads channel i % C (a stereo plugin
//                given mono hears it on both inputs), channel c takes output c % O (a stereo
//                plugin's right output is dropped for mono; a mono output goes to every
//                channel). A plugin with no audio output is refused.
// The output always has the input's channel count and sample rate.
//
// Blocks: process() takes any number of frames and runs the plugin in blocks of at most
// max_block. A plugin that needs fixed (or power-of-two) blocks is run in exactly
// Instance::fixed_block() frames through a FIFO: the output is then delayed by that many frames,
// which latency() includes. process() may work in place (in and out the same memory).
//
// Threads: process(), activate() and deactivate() on the audio thread; set_control(),
// control(), control_output() and latency() from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "lv2_host/instance.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::lv2 {

enum class ChannelMapping { kDirect, kPerChannel, kSpread };
std::string_view to_string(ChannelMapping mapping);

struct EffectOptions {
  int channels = 2;  // 1..kMaxAudioChannels
  double sample_rate = 48000.0;
  std::uint32_t max_block = 512;
  std::function<void(LogLevel, std::string_view)> log;  // see InstanceOptions::log
};

class Effect {
 public:
  static Result<std::unique_ptr<Effect>> create(std::string_view uri, const EffectOptions& options);

  const PluginInfo& info() const { return instances_.front()->info(); }
  int channels() const { return channels_; }
  double sample_rate() const { return sample_rate_; }
  ChannelMapping mapping() const { return mapping_; }
  std::size_t instance_count() const { return instances_.size(); }
  Instance& instance(std::size_t i) { return *instances_.at(i); }

  // Sets a control input on every instance (see Instance::set_control); the clamped value.
  Result<float> set_control(std::string_view symbol, float value);
  Result<float> control(std::string_view symbol) const;
  // From the first instance.
  Result<float> control_output(std::string_view symbol) const;
  // Frames by which the output trails the input: fixed-block buffering plus what the plugin
  // reports.
  std::uint32_t latency() const;

  // activate() also empties the fixed-block FIFO.
  void activate();
  void deactivate();
  bool active() const { return instances_.front()->active(); }

  // Interleaved samples: in.size() == out.size(), a multiple of channels().
  Result<void> process(std::span<const float> in, std::span<float> out);
  // A new frame from `pool` with the processed samples and `in`'s timing and metadata. `in` must
  // have channels() channels at sample_rate().
  Result<AudioFrame> process(const AudioFrame& in, AudioFramePool& pool);

 private:
  Effect() = default;
  // n <= the block length, interleaved in and out (may alias).
  Result<void> run_block(const float* in, float* out, std::uint32_t n);

  std::vector<std::unique_ptr<Instance>> instances_;
  int channels_ = 0;
  double sample_rate_ = 0.0;
  ChannelMapping mapping_ = ChannelMapping::kDirect;
  std::uint32_t block_ = 0;      // max frames per run
  bool fixed_ = false;           // every run exactly block_ frames, through the FIFO below
  std::vector<float> fifo_in_;   // block_ * channels_, interleaved
  std::vector<float> fifo_out_;  // block_ * channels_, interleaved
  std::uint32_t fifo_pos_ = 0;   // frames of fifo_in_ filled == frames of fifo_out_ handed out
};

}  // namespace streamlib::lv2
