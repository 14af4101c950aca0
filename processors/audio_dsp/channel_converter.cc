#include "audio_dsp/channel_converter.h"

#include <cmath>

namespace streamlib::dsp {

namespace {
constexpr float k = kMinus3dB;

// Default layouts (FFmpeg's av_channel_layout_default order).
constexpr std::array<std::array<Speaker, 8>, 9> kLayouts = {{
    {},
    {Speaker::kFC},
    {Speaker::kFL, Speaker::kFR},
    {Speaker::kFL, Speaker::kFR, Speaker::kFC},
    {Speaker::kFL, Speaker::kFR, Speaker::kBL, Speaker::kBR},
    {Speaker::kFL, Speaker::kFR, Speaker::kFC, Speaker::kSL, Speaker::kSR},
    {Speaker::kFL, Speaker::kFR, Speaker::kFC, Speaker::kLFE, Speaker::kSL, Speaker::kSR},
    {Speaker::kFL, Speaker::kFR, Speaker::kFC, Speaker::kLFE, Speaker::kBC, Speaker::kSL, Speaker::kSR},
    {Speaker::kFL, Speaker::kFR, Speaker::kFC, Speaker::kLFE, Speaker::kBL, Speaker::kBR, Speaker::kSL, Speaker::kSR},
}};

// Index of speaker `s` in the layout of `channels`, or -1.
int find(int channels, Speaker s) {
  for (int i = 0; i < channels; ++i) {
    if (kLayouts[static_cast<std::size_t>(channels)][static_cast<std::size_t>(i)] == s) return i;
  }
  return -1;
}
}  // namespace

Speaker speaker_at(int channels, int index) {
  return kLayouts[static_cast<std::size_t>(channels)][static_cast<std::size_t>(index)];
}

std::string_view layout_name(int channels) {
  static constexpr std::array<std::string_view, 9> names = {"",    "mono", "stereo", "3.0", "quad",
                                                            "5.0", "5.1",  "6.1",    "7.1"};
  return channels >= 1 && channels <= 8 ? names[static_cast<std::size_t>(channels)] : std::string_view("");
}

Result<std::unique_ptr<ChannelConverter>> ChannelConverter::create(const ChannelConverterConfig& config) {
  if (config.in_channels < 1 || config.in_channels > kMaxAudioChannels || config.out_channels < 1 ||
      config.out_channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: channels must be 1..{}, got {} -> {}",
                      kMaxAudioChannels, config.in_channels, config.out_channels);
  }
  if (config.mode == ChannelMode::kPickRight && config.in_channels < 2) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: pick_right needs at least 2 input channels");
  }
  if (config.sample_rate <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: sample rate must be positive");
  }
  std::unique_ptr<ChannelConverter> c(new ChannelConverter());
  c->in_ = config.in_channels;
  c->out_ = config.out_channels;
  c->rate_ = config.sample_rate;
  c->build(config);
  return c;
}

Result<std::unique_ptr<ChannelConverter>> ChannelConverter::with_matrix(int in_channels, int out_channels,
                                                                        int sample_rate,
                                                                        std::span<const float> coefficients) {
  if (in_channels < 1 || in_channels > kMaxAudioChannels || out_channels < 1 || out_channels > kMaxAudioChannels) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: channels must be 1..{}, got {} -> {}",
                      kMaxAudioChannels, in_channels, out_channels);
  }
  if (coefficients.size() != static_cast<std::size_t>(in_channels * out_channels)) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: a {}x{} matrix needs {} coefficients, got {}",
                      out_channels, in_channels, in_channels * out_channels, coefficients.size());
  }
  std::unique_ptr<ChannelConverter> c(new ChannelConverter());
  c->in_ = in_channels;
  c->out_ = out_channels;
  c->rate_ = sample_rate;
  for (int o = 0; o < out_channels; ++o) {
    for (int i = 0; i < in_channels; ++i) {
      c->matrix_[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)] =
          coefficients[static_cast<std::size_t>(o * in_channels + i)];
    }
  }
  return c;
}

void ChannelConverter::build(const ChannelConverterConfig& config) {
  const int in = config.in_channels;
  const int out = config.out_channels;
  auto set = [&](int o, int i, float v) {
    if (o >= 0 && i >= 0) matrix_[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)] += v;
  };
  matrix_ = {};
  if (config.mode == ChannelMode::kPickLeft || config.mode == ChannelMode::kPickRight) {
    const int src = config.mode == ChannelMode::kPickLeft ? 0 : 1;
    for (int o = 0; o < out; ++o) set(o, src, 1.0f);
  } else if (in == out) {
    for (int c = 0; c < in; ++c) set(c, c, 1.0f);
  } else if (in == 1) {
    for (int o = 0; o < out; ++o) set(o, 0, 1.0f);
  } else if (in == 2 && out > 2) {
    set(find(out, Speaker::kFL), 0, 1.0f);
    set(find(out, Speaker::kFR), 1, 1.0f);
    if (config.upmix == UpmixMode::kSurround) {
      set(find(out, Speaker::kFC), 0, 0.5f);
      set(find(out, Speaker::kFC), 1, 0.5f);
      for (Speaker s : {Speaker::kSL, Speaker::kBL}) set(find(out, s), 0, k);
      for (Speaker s : {Speaker::kSR, Speaker::kBR}) set(find(out, s), 1, k);
      set(find(out, Speaker::kBC), 0, 0.5f * k);
      set(find(out, Speaker::kBC), 1, 0.5f * k);
    }
  } else {
    // Fold every input speaker into the output layout (out >= 2 here, or mono handled below).
    const int fold_to = out == 1 ? 2 : out;  // to mono: via the stereo downmix
    Matrix fold{};
    auto put = [&](Speaker s, int i, float v) {
      const int o = find(fold_to, s);
      if (o >= 0) fold[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)] += v;
    };
    auto has = [&](Speaker s) { return find(fold_to, s) >= 0; };
    for (int i = 0; i < in; ++i) {
      const Speaker s = speaker_at(in, i);
      if (has(s)) {
        put(s, i, 1.0f);
        continue;
      }
      switch (s) {
        case Speaker::kFC:
          put(Speaker::kFL, i, k);
          put(Speaker::kFR, i, k);
          break;
        case Speaker::kLFE:
          put(Speaker::kFL, i, config.lfe_gain);
          put(Speaker::kFR, i, config.lfe_gain);
          break;
        case Speaker::kSL:
        case Speaker::kBL:
          if (has(s == Speaker::kSL ? Speaker::kBL : Speaker::kSL)) {
            put(s == Speaker::kSL ? Speaker::kBL : Speaker::kSL, i, 1.0f);
          } else {
            put(Speaker::kFL, i, k);
          }
          break;
        case Speaker::kSR:
        case Speaker::kBR:
          if (has(s == Speaker::kSR ? Speaker::kBR : Speaker::kSR)) {
            put(s == Speaker::kSR ? Speaker::kBR : Speaker::kSR, i, 1.0f);
          } else {
            put(Speaker::kFR, i, k);
          }
          break;
        case Speaker::kBC:
          if (has(Speaker::kBL)) {
            put(Speaker::kBL, i, k);
            put(Speaker::kBR, i, k);
          } else if (has(Speaker::kSL)) {
            put(Speaker::kSL, i, k);
            put(Speaker::kSR, i, k);
          } else {
            put(Speaker::kFL, i, 0.5f);
            put(Speaker::kFR, i, 0.5f);
          }
          break;
        case Speaker::kFL:
        case Speaker::kFR:
          break;  // always in a layout of 2 or more
      }
    }
    if (out == 1) {
      for (int i = 0; i < in; ++i)
        set(0, i, 0.5f * (fold[0][static_cast<std::size_t>(i)] + fold[1][static_cast<std::size_t>(i)]));
    } else {
      matrix_ = fold;
    }
  }
  if (config.normalize) {
    for (int o = 0; o < out; ++o) {
      float sum = 0.0f;
      for (int i = 0; i < in; ++i) sum += std::abs(coefficient(o, i));
      if (sum > 1.0f) {
        for (int i = 0; i < in; ++i) matrix_[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)] /= sum;
      }
    }
  }
}

Result<void> ChannelConverter::process(std::span<const float> in, std::span<float> out) const {
  const auto ic = static_cast<std::size_t>(in_);
  const auto oc = static_cast<std::size_t>(out_);
  if (in.size() % ic != 0 || out.size() < in.size() / ic * oc) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: {} samples in ({} ch), room for {} ({} ch)",
                      in.size(), ic, out.size(), oc);
  }
  const std::size_t frames = in.size() / ic;
  for (std::size_t f = 0; f < frames; ++f) {
    const float* src = in.data() + f * ic;
    float* dst = out.data() + f * oc;
    for (std::size_t o = 0; o < oc; ++o) {
      const auto& row = matrix_[o];
      float acc = 0.0f;
      for (std::size_t i = 0; i < ic; ++i) acc += row[i] * src[i];
      dst[o] = acc;
    }
  }
  return {};
}

Result<AudioFrame> ChannelConverter::process(const AudioFrame& in) {
  if (!in) return make_error(ErrorCode::kInvalidArgument, "channel converter: empty frame");
  if (in.channels() != in_ || in.sample_rate() != rate_) {
    return make_error(ErrorCode::kInvalidArgument, "channel converter: expects {} Hz {} ch, got {} Hz {} ch", rate_,
                      in_, in.sample_rate(), in.channels());
  }
  WritableAudioFrame w = pool_.acquire(out_, rate_, in.frame_count());
  STREAMLIB_RETURN_IF_ERROR(process(in.samples(), w.samples()));
  w.set_sample_position(in.sample_position());
  w.set_timestamp_ns(in.timestamp_ns());
  w.set_frame_number(in.frame_number());
  return std::move(w).freeze();
}

}  // namespace streamlib::dsp
