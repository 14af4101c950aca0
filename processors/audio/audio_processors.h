// The audio transforms of the `audio` component (streamlib::audio), over processors/audio_dsp:
//
//   AudioResampler         in -> out   to `sample_rate` (libswresample, `quality`)
//   AudioChannelConverter  in -> out   to `channels` (duplicate mono, pick left/right, downmix)
//   BufferRechunker        in -> out   blocks of exactly `frames_per_buffer` frames
//   Gain                   in -> out   `gain_db`, ramped when it changes live
//   AudioMixer             in_0..in_{N-1} -> out   `inputs`, `mode` (sum/normalized/soft_clip)
//
//   auto rs  = rt.add_processor<AudioResampler>({.sample_rate = 44100}).value();
//   auto mix = rt.add_processor<AudioMixer>({.inputs = 3, .mode = dsp::MixMode::kSoftClip}).value();
//   rt.connect("rs.out", "mix.in_0");
//
// Every transform takes its input's shape (channels, rate) from the frames themselves and
// builds its DSP object on the first frame, again when the shape changes. Time stays
// sample-accurate: output frames carry the sample_position and timestamp the DSP layer
// computes from the first input (never by adding durations). At the end of the stream each one
// puts out what it still holds (the resampler's filter tail, the rechunker's last partial
// block, the mixer's buffered input) in finish(), before its output ends.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "audio_dsp/channel_converter.h"
#include "audio_dsp/gain.h"
#include "audio_dsp/mixer.h"
#include "audio_dsp/rechunker.h"
#include "audio_dsp/resampler.h"
#include "streamlib/aggregator.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/processor.h"

namespace streamlib {

// --- AudioResampler ------------------------------------------------------------------------

struct AudioResamplerConfig {
  int sample_rate = 48000;  // output rate
  dsp::ResampleQuality quality = dsp::ResampleQuality::kMedium;
  Result<void> validate() const { return check_range("sample_rate", sample_rate, 1, 768000); }
};
STREAMLIB_CONFIG(AudioResamplerConfig, sample_rate, quality);
STREAMLIB_CONFIG_DOCS(AudioResamplerConfig,
                      {"sample_rate", "Output sample rate in Hz; audio already at this rate passes untouched",
                       "[1, 768000]", ConfigReload::kLive},
                      {"quality", "Resampling filter: fast (cheapest), medium or high (cleanest)", "",
                       ConfigReload::kLive});

class AudioResampler : public Processor<AudioResamplerConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioResampler, "Converts audio to another sample rate", Reactive{});
  LinkInput<AudioFrame> in{this, "in", "audio at any rate"};
  LinkOutput<AudioFrame> out{this, "out", "audio at sample_rate"};

  Result<void> process() override;
  Result<void> finish() override;
  // A new rate or quality: what the old filter holds is put out first, then a new one starts.
  Result<void> on_config_change(const AudioResamplerConfig& next) override;
  nlohmann::json metrics() const override;

 private:
  Result<void> flush();
  std::unique_ptr<dsp::Resampler> resampler_;
  std::atomic<std::int64_t> gap_frames_{0};
};

// --- AudioChannelConverter -------------------------------------------------------------------

struct AudioChannelConverterConfig {
  int channels = 2;  // output channels, 1..8
  // auto: same count passes, mono is duplicated, more channels are downmixed (ITU-R BS.775),
  // stereo is upmixed per `upmix`; pick_left / pick_right: every output channel is input 0 / 1.
  dsp::ChannelMode mode = dsp::ChannelMode::kAuto;
  dsp::UpmixMode upmix = dsp::UpmixMode::kFront;
  float lfe_gain = 0.0f;
  bool normalize = false;  // scale rows so the mix cannot clip
  Result<void> validate() const { return check_range("channels", channels, 1, kMaxAudioChannels); }
};
STREAMLIB_CONFIG(AudioChannelConverterConfig, channels, mode, upmix, lfe_gain, normalize);
STREAMLIB_CONFIG_DOCS(
    AudioChannelConverterConfig, {"channels", "Output channel count", "[1, 8]", ConfigReload::kLive},
    {"mode", "auto: pass, duplicate mono, downmix or upmix; pick_left/pick_right: every channel is input 0/1", "",
     ConfigReload::kLive},
    {"upmix", "Stereo to more channels: front (L/R only, rest silent) or surround (also centre and surrounds)", "",
     ConfigReload::kLive},
    {"lfe_gain", "Linear gain of the LFE mixed into the front channels when the output has none; 0: dropped", "",
     ConfigReload::kLive},
    {"normalize", "Scale each output channel's mix down so that it cannot clip (quieter)", "", ConfigReload::kLive});

class AudioChannelConverter : public Processor<AudioChannelConverterConfig> {
 public:
  STREAMLIB_PROCESSOR(AudioChannelConverter, "Converts audio to another channel count", Reactive{});
  LinkInput<AudioFrame> in{this, "in", "audio with 1..8 channels"};
  LinkOutput<AudioFrame> out{this, "out", "audio with `channels` channels"};

  Result<void> process() override;
  Result<void> on_config_change(const AudioChannelConverterConfig& next) override;

 private:
  std::unique_ptr<dsp::ChannelConverter> converter_;
};

// --- BufferRechunker -------------------------------------------------------------------------

struct BufferRechunkerConfig {
  std::uint32_t frames_per_buffer = 480;
  dsp::FlushMode flush = dsp::FlushMode::kPad;  // the last partial block: pad, short or drop
  Result<void> validate() const {
    return check_range<std::uint32_t>("frames_per_buffer", frames_per_buffer, 1, 1u << 20);
  }
};
STREAMLIB_CONFIG(BufferRechunkerConfig, frames_per_buffer, flush);
STREAMLIB_CONFIG_DOCS(BufferRechunkerConfig,
                      {"frames_per_buffer", "Frames (per channel) in each output block", "[1, 1048576]",
                       ConfigReload::kLive},
                      {"flush", "The last partial block at the end: pad (with silence), short (sent as is) or drop", "",
                       ConfigReload::kLive});

class BufferRechunker : public Processor<BufferRechunkerConfig> {
 public:
  STREAMLIB_PROCESSOR(BufferRechunker, "Cuts audio into blocks of frames_per_buffer frames", Reactive{});
  LinkInput<AudioFrame> in{this, "in", "audio in blocks of any size"};
  LinkOutput<AudioFrame> out{this, "out", "audio in blocks of frames_per_buffer"};

  Result<void> process() override;
  // The last partial block, per `flush`.
  Result<void> finish() override;
  // A new block size: what is buffered goes out as a short block and the new size starts
  // there; a new `flush` applies at the end.
  Result<void> on_config_change(const BufferRechunkerConfig& next) override;
  nlohmann::json metrics() const override;

 private:
  // Sends what is buffered (the remainder per `mode`) and drops the rechunker.
  void flush_all(dsp::FlushMode mode);
  std::unique_ptr<dsp::Rechunker> rechunker_;
  std::atomic<std::int64_t> gap_frames_{0};
};

// --- Gain ------------------------------------------------------------------------------------

struct GainConfig {
  float gain_db = 0.0f;   // -inf (or <= -144) is silence
  float ramp_ms = 10.0f;  // a live change ramps over this long; 0: at once
  Result<void> validate() const {
    if (gain_db > 96.0f) return make_error(ErrorCode::kInvalidArgument, "gain_db: {} is above 96 dB", gain_db);
    return check_range("ramp_ms", ramp_ms, 0.0f, 10000.0f);
  }
};
STREAMLIB_CONFIG(GainConfig, gain_db, ramp_ms);
STREAMLIB_CONFIG_DOCS(GainConfig, {"gain_db", "Gain in dB; -144 or below: silence", "<= 96", ConfigReload::kLive},
                      {"ramp_ms", "A live gain change ramps over this long, in milliseconds; 0: at once", "[0, 10000]",
                       ConfigReload::kLive});

class Gain : public Processor<GainConfig> {
 public:
  STREAMLIB_PROCESSOR(Gain, "Changes the level of audio by gain_db", Reactive{});
  LinkInput<AudioFrame> in{this, "in", "audio"};
  LinkOutput<AudioFrame> out{this, "out", "audio times gain_db"};

  Result<void> process() override;
  // Hot reload: a new gain_db ramps from the level reached, without a click.
  Result<void> on_config_change(const GainConfig& next) override;

 private:
  std::unique_ptr<dsp::Gain> gain_;
};

// --- AudioMixer ------------------------------------------------------------------------------

struct AudioMixerConfig {
  std::uint32_t inputs = 2;  // in_0 .. in_{inputs-1}
  dsp::MixMode mode = dsp::MixMode::kSum;
  std::uint32_t frames_per_buffer = 480;  // frames per mixed block
  // How long the mix waits for a silent input before it goes on without it (its part is
  // silence, counted in the metrics as starved blocks); 0 waits for ever. Live.
  std::uint32_t timeout_ms = 100;
  float soft_clip_knee = 0.5f;
  Result<void> validate() const {
    STREAMLIB_RETURN_IF_ERROR(check_range<std::uint32_t>("inputs", inputs, 1, 64));
    STREAMLIB_RETURN_IF_ERROR(check_range<std::uint32_t>("frames_per_buffer", frames_per_buffer, 1, 1u << 20));
    return check_range("soft_clip_knee", soft_clip_knee, 0.01f, 0.99f);
  }
};
STREAMLIB_CONFIG(AudioMixerConfig, inputs, mode, frames_per_buffer, timeout_ms, soft_clip_knee);
STREAMLIB_CONFIG_DOCS(
    AudioMixerConfig, {"inputs", "Number of inputs, in_0 .. in_{inputs-1}", "[1, 64]", ConfigReload::kLive},
    {"mode", "sum: add; normalized: add, divide by the input count; soft_clip: add, bend peaks above the knee", "",
     ConfigReload::kLive},
    {"frames_per_buffer", "Frames (per channel) in each mixed block", "[1, 1048576]", ConfigReload::kLive},
    {"timeout_ms", "How long to wait for a silent input before mixing it as silence, in milliseconds; 0: for ever", "",
     ConfigReload::kLive},
    {"soft_clip_knee", "soft_clip: level (of full scale) up to which samples pass unchanged", "[0.01, 0.99]",
     ConfigReload::kLive});

// Mixes its inputs, aligned by sample position, in blocks of frames_per_buffer: an Aggregator
// over the sample timeline (streamlib/aggregator.h), each block one interval. The first frame
// on any input fixes the mix's rate and channel count; a frame of another rate or channel
// count is an error that names its port. A block waits for every linked input; an input with
// nothing for timeout_ms (a stall, counted in the processor's input_stalls) is mixed as silence
// until its samples come again, and an ended or unlinked one at once — each such block counted
// per input ("starved_blocks").
class AudioMixer : public Aggregator<AudioMixerConfig, AudioFrame> {
 public:
  STREAMLIB_PROCESSOR(AudioMixer, "Mixes N audio inputs into one",
                      Reactive{.inputs = InputsReady::kSynchronized, .timeout = std::chrono::milliseconds(100)});
  LinkOutput<AudioFrame> out{this, "out", "the mix"};

  Result<void> declare_ports() override;
  // Every field changes live, between two blocks of the running mix (no drain, no gap): mode,
  // soft_clip_knee and timeout_ms; frames_per_buffer (the next block has the new length);
  // inputs (ports come and go; a new input is silence until its samples come or its timeout
  // passes, a removed one is dropped with what it held).
  Result<void> on_config_change(const AudioMixerConfig& next) override;
  // {"starved_blocks": [per input], "missing_frames": [...], "late_frames": [...]}
  nlohmann::json metrics() const override;

  std::uint64_t starved_blocks(std::size_t input) const;

  // --- Aggregator ---
  // [sample_position, sample_position + frames): sample-accurate whatever the block sizes.
  AggregateSpan span(const AudioFrame& frame) const override;
  std::int64_t interval_length() const override { return config().frames_per_buffer; }
  Reactive synchronization() const override;
  // The first frame taken fixes the mix's rate and channel count; another is refused at once.
  Result<void> on_arrival(const InputPortBase& input, const AudioFrame& frame) override;
  // One block: the inputs' new frames into the mixer, then the block at the interval.
  Result<void> aggregate(const AggregateInterval& interval, std::span<AggregatorInput<AudioFrame>> inputs) override;
  // What the mixer still holds past the last block (the tail of a longer frame).
  Result<void> on_end() override;

 private:
  static constexpr std::size_t kMaxInputs = 64;
  void publish_stats();

  std::unique_ptr<dsp::Mixer> mixer_;
  int rate_ = 0;
  int channels_ = 0;
  // Per input, published for metrics() (any thread).
  std::array<std::atomic<std::uint64_t>, kMaxInputs> starved_{};
  std::array<std::atomic<std::int64_t>, kMaxInputs> missing_{};
  std::array<std::atomic<std::int64_t>, kMaxInputs> late_{};
};

}  // namespace streamlib
