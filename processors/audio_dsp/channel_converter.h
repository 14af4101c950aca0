// ChannelConverter: 1..8 channels in -> 1..8 channels out through a fixed coefficient matrix.
//
//   auto cc = dsp::ChannelConverter::create({.in_channels = 6, .out_channels = 2}).value();
//   cc->process(in_samples, out_samples);       // interleaved; out[o] = sum_i m[o][i] * in[i]
//   AudioFrame stereo = cc->process(frame).value();
//
// Channel order per count (FFmpeg's default layouts, WAVE order):
//   1 mono (FC) | 2 FL FR | 3 FL FR FC | 4 FL FR BL BR | 5 FL FR FC SL SR | 6 FL FR FC LFE SL SR (5.1)
//   7 FL FR FC LFE BC SL SR (6.1) | 8 FL FR FC LFE BL BR SL SR (7.1)
//
// ChannelMode::kAuto builds the matrix from the two layouts (k = 0.70710678 = -3 dB):
//   same count          identity
//   mono -> N           duplicate: every output channel = the mono input
//   N -> stereo         ITU-R BS.775 downmix: L = FL + k*FC + k*SL + k*BL + k*k*BC + lfe*LFE,
//                       R likewise (LFE dropped unless lfe_gain > 0)
//   N -> mono           M = 0.5 * (L + R) of the stereo downmix (stereo -> mono: 0.5 L + 0.5 R)
//   stereo -> N (N>2)   UpmixMode::kFront: FL = L, FR = R, the rest silent (downmixes back exactly)
//                       UpmixMode::kSurround: also FC = 0.5 (L + R), SL/BL = k*L, SR/BR = k*R,
//                       BC = 0.5 k (L + R); LFE silent
//   other N -> M        speakers present in both are copied; a missing one is folded into its
//                       neighbours: FC -> FL,FR at k; SL <-> BL, SR <-> BR at 1 (else to the front
//                       side at k); BC -> BL,BR or SL,SR at k (else FL,FR at 0.5); LFE -> LFE
//                       (else FL,FR at lfe_gain)
// kPickLeft / kPickRight: every output channel = input channel 0 / 1.
// `normalize` scales each output row down so its coefficients' magnitudes sum to at most 1
// (cannot clip; quieter).
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>

#include "streamlib/config.h"
#include "streamlib/frames/audio_frame.h"
#include "streamlib/result.h"

namespace streamlib::dsp {

enum class ChannelMode { kAuto, kPickLeft, kPickRight };
STREAMLIB_ENUM_NAMES(ChannelMode, {ChannelMode::kAuto, "auto"}, {ChannelMode::kPickLeft, "pick_left"},
                     {ChannelMode::kPickRight, "pick_right"});
enum class UpmixMode { kFront, kSurround };
STREAMLIB_ENUM_NAMES(UpmixMode, {UpmixMode::kFront, "front"}, {UpmixMode::kSurround, "surround"});

enum class Speaker { kFL, kFR, kFC, kLFE, kBL, kBR, kBC, kSL, kSR };

// The speaker of channel `index` in the default layout of `channels` (1..8). Mono is kFC.
Speaker speaker_at(int channels, int index);
// "mono", "stereo", "3.0", "quad", "5.0", "5.1", "6.1", "7.1".
std::string_view layout_name(int channels);

inline constexpr float kMinus3dB = 0.70710678118654752f;

struct ChannelConverterConfig {
  int in_channels = 2;
  int out_channels = 2;
  int sample_rate = 48000;  // for the AudioFrame helper's check and output frames
  ChannelMode mode = ChannelMode::kAuto;
  UpmixMode upmix = UpmixMode::kFront;
  float lfe_gain = 0.0f;  // LFE into the mains when the output has no LFE
  bool normalize = false;
};

class ChannelConverter {
 public:
  using Matrix = std::array<std::array<float, kMaxAudioChannels>, kMaxAudioChannels>;  // [out][in]

  static Result<std::unique_ptr<ChannelConverter>> create(const ChannelConverterConfig& config);
  // With a matrix of your own: `coefficients` holds out_channels rows of in_channels values.
  static Result<std::unique_ptr<ChannelConverter>> with_matrix(int in_channels, int out_channels, int sample_rate,
                                                               std::span<const float> coefficients);

  float coefficient(int out, int in) const {
    return matrix_[static_cast<std::size_t>(out)][static_cast<std::size_t>(in)];
  }
  const Matrix& matrix() const { return matrix_; }
  int in_channels() const { return in_; }
  int out_channels() const { return out_; }

  // --- interleaved floats --- `out` holds frames * out_channels. In place is not allowed.
  Result<void> process(std::span<const float> in, std::span<float> out) const;
  // --- AudioFrames --- same position and timestamp, out_channels channels.
  Result<AudioFrame> process(const AudioFrame& in);

  AudioFramePool& pool() { return pool_; }

 private:
  ChannelConverter() = default;
  void build(const ChannelConverterConfig& config);

  int in_ = 2;
  int out_ = 2;
  int rate_ = 48000;
  Matrix matrix_{};
  AudioFramePool pool_;
};

}  // namespace streamlib::dsp
