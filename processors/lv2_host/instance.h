// One running LV2 plugin: instantiated at a sample rate with a maximum block length, its ports
// connected, run block by block.
//
//   auto amp = lv2::Instance::create("http://lv2plug.in/plugins/eg-amp",
//                                    {.sample_rate = 48000, .max_block = 256}).value();
//   amp->set_control("gain", -6.0f);          // any thread; takes effect at the next run()
//   amp->activate();
//   std::copy(in, in + 256, amp->audio_input(0).begin());
//   amp->run(256);                            // audio thread
//   use(amp->audio_output(0));
//
// Ports. Every port is connected at creation: audio ports to buffers the instance owns
// (max_block() floats each; connect_audio_input/output() swap in the caller's memory), control
// ports to one float each, CV inputs to silence and CV outputs to scratch, atom inputs to an empty
// sequence and atom outputs to a scratch buffer whose events are dropped. A plugin with a required
// port of any other type, or a required feature the host does not provide, is refused by
// create() with an error that names the port or the feature URI.
//
// Controls. set_control() stores the value, clamped to the port's range (rounded for integer
// ports, 0/1 for toggles, snapped to the nearest scale point for enumerations), in an atomic
// stage; run() copies every stage into the plugin's port before calling the plugin. So a change
// lands between two runs, never inside one, and may come from any thread. Control outputs are
// published after each run and may be read from any thread.
//
// Block length. run(n) takes any n up to max_block() (buf-size:boundedBlockLength). A plugin
// that requires fixedBlockLength and/or powerOf2BlockLength gets them too: fixed_block() is then
// set (max_block rounded up to a power of two when that is required) and every run() must be
// exactly that long; Effect buffers to honour it. The options feature gives plugins
// buf-size:minBlockLength / maxBlockLength / nominalBlockLength, buf-size:sequenceSize and
// param:sampleRate.
//
// Threads: create() and the destructor take the world's lock (lilv is not thread-safe); run(),
// activate(), deactivate() and connect_*() belong to one thread at a time (the audio thread);
// set_control(), control() and control_output() to any.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lv2_host/world.h"
#include "streamlib/result.h"

namespace streamlib::lv2 {

enum class LogLevel { kTrace, kNote, kWarning, kError };

struct InstanceOptions {
  double sample_rate = 48000.0;
  std::uint32_t max_block = 1024;
  // Where the plugin's log:log messages go (without the trailing newline). Default: stderr as
  // "lv2 <plugin name>: <message>". May be called on the audio thread, and during create() with
  // the world's lock held: it must not call into lv2::World.
  std::function<void(LogLevel, std::string_view)> log;
};

class Instance {
 public:
  static Result<std::unique_ptr<Instance>> create(std::string_view uri, const InstanceOptions& options = {});
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // The plugin's description, with sample-rate-relative control ranges already scaled to this
  // instance's rate.
  const PluginInfo& info() const { return info_; }
  double sample_rate() const { return sample_rate_; }
  std::uint32_t max_block() const { return max_block_; }
  // Set when the plugin needs every run() to be exactly this many frames.
  std::optional<std::uint32_t> fixed_block() const { return fixed_block_; }

  std::size_t audio_input_count() const { return audio_in_.size(); }
  std::size_t audio_output_count() const { return audio_out_.size(); }
  // The buffer the plugin reads audio input `i` from (max_block() floats), or the caller's memory
  // after connect_audio_input(); write the next block here before run().
  std::span<float> audio_input(std::size_t i);
  // Where the plugin wrote audio output `i` in the last run().
  std::span<const float> audio_output(std::size_t i) const;
  // Connects caller memory (at least max_block() floats, alive until reconnected or the instance
  // goes) to audio port `i`; nullptr connects the instance's own buffer again. Refused for an
  // output that aliases an input of an lv2:inPlaceBroken plugin.
  Result<void> connect_audio_input(std::size_t i, const float* data);
  Result<void> connect_audio_output(std::size_t i, float* data);

  // Stages a control input (see above); returns the value that will be applied.
  Result<float> set_control(std::string_view symbol, float value);
  // The staged value of a control input.
  Result<float> control(std::string_view symbol) const;
  // The value a control output had after the last run().
  Result<float> control_output(std::string_view symbol) const;
  // Frames of latency the plugin reports (its lv2:reportsLatency output), 0 if it reports none.
  std::uint32_t latency() const;

  void activate();
  void deactivate();
  bool active() const { return active_; }
  // Processes `frames` frames (<= max_block(), == fixed_block() if set). Needs activate().
  Result<void> run(std::uint32_t frames);

 private:
  struct Control;
  struct AudioPort {
    std::uint32_t index = 0;
    std::vector<float> own;
    float* connected = nullptr;
  };
  struct AtomBuffer;

  Instance() = default;
  Result<void> setup(std::string_view uri, const InstanceOptions& options);
  void connect_all();
  Control* find_control(std::string_view symbol, PortDirection direction) const;
  void log_message(std::uint32_t type, const char* text);

  friend struct InstanceCallbacks;

  PluginInfo info_;
  double sample_rate_ = 0.0;
  std::uint32_t max_block_ = 0;
  std::optional<std::uint32_t> fixed_block_;
  void* lilv_instance_ = nullptr;  // LilvInstance*
  bool active_ = false;

  std::vector<AudioPort> audio_in_;
  std::vector<AudioPort> audio_out_;
  std::vector<std::unique_ptr<Control>> controls_;
  std::vector<Control*> control_inputs_;
  std::vector<Control*> control_outputs_;
  const Control* latency_port_ = nullptr;
  std::vector<std::vector<float>> cv_buffers_;
  std::vector<std::unique_ptr<AtomBuffer>> atoms_;
  std::uint32_t urid_sequence_ = 0;
  std::uint32_t urid_chunk_ = 0;

  // Feature storage: alive as long as the plugin instance.
  struct Features;
  std::unique_ptr<Features> features_;
  std::function<void(LogLevel, std::string_view)> log_;
};

}  // namespace streamlib::lv2
