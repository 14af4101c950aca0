// Internal to the layer: libswresample contexts as Resampler, MediaReader and AudioEncoder
// need them.
#pragma once

#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/resampler.h"
#include "streamlib/result.h"

namespace streamlib::ffmpeg::detail {

// FFmpeg's default layout for `channels` (mono, stereo, 2.1, 4.0, 5.0, 5.1, 6.1, 7.1).
AVChannelLayout default_layout(int channels);

// A ready SwrContext from (`in_layout`, `in_format`, `in_rate`) to (`out_channels` in the
// default layout, `out_format`, `out_rate`). An input layout of unspecified order is taken as
// the default one for its channel count; mono is spread to both front channels at full level.
Result<SwrPtr> make_swr(const AVChannelLayout& in_layout, AVSampleFormat in_format, int in_rate, int out_channels,
                        AVSampleFormat out_format, int out_rate, ResampleQuality quality);

}  // namespace streamlib::ffmpeg::detail
