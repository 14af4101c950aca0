// FFmpeg error codes as StreamLib errors: one line that names the file or codec and says why.
//
//   if (int ret = avformat_open_input(...); ret < 0) return make_error(av_error(ret, path));
//     -> kNotFound "in.mp4: No such file or directory"
//     -> kParse    "bad.mp4: Invalid data found when processing input (moov atom not found)"
//
// FFmpeg often says more in its log than in the code it returns ("moov atom not found", "Could
// not find tag for codec h264 in stream #0"). The layer captures the last error-level log
// line of the calling thread and appends it in parentheses; call clear_last_log_error() before
// the FFmpeg call whose failure you are about to describe.
#pragma once

#include <string>
#include <string_view>

#include "streamlib/frames/encoded_packet.h"
#include "streamlib/result.h"

struct AVCodecContext;
struct AVCodec;
struct AVDictionary;

namespace streamlib::ffmpeg {

// FFmpeg's text for an error code ("No such file or directory", "Invalid data found when
// processing input", "End of file").
std::string av_error_text(int averror);

// Which ErrorCode an FFmpeg error is: ENOENT -> kNotFound, EACCES/EIO/ENOSPC -> kIo,
// AVERROR_INVALIDDATA -> kParse, EINVAL -> kInvalidArgument, ENOSYS/PATCHWELCOME/
// *_NOT_FOUND -> kUnsupported or kNotFound, everything else kProcessorFailed.
ErrorCode av_error_code(int averror);

// "<subject>: <FFmpeg's text>[ (<last FFmpeg log error>)]". `subject` names the file or
// codec; it may be extended ("out.mp4: writing the header").
Error av_error(int averror, std::string_view subject);

// The last error-level line FFmpeg logged on this thread since the last clear (trimmed), or
// "". Captured whatever the log levels say.
std::string last_log_error();
void clear_last_log_error();

// avcodec_open2 (after clear_last_log_error()), with the context tagged for the log: every line
// FFmpeg logs for this codec, from whichever thread (its frame threads, an encoder's lookahead),
// names the processor that opened it, as on that processor's own thread. Under the pool
// executor the threads a codec starts inherit a worker's name, not the processor's.
int open_codec(AVCodecContext* context, const AVCodec* codec, AVDictionary** options);

// FFmpeg's log goes to StreamLib's log (streamlib/log.h), each line as "[processor] ffmpeg
// <component>: <text>" — not FFmpeg's "[h264 @ 0x...]" on stderr — at the log's level
// (log::set_level; `streamlib run --log-level`). This caps FFmpeg's part of it: "quiet",
// "error", "warning", "info", "verbose", "debug" (the default, also STREAMLIB_FFMPEG_LOG). False
// if the name is unknown.
bool set_log_level(std::string_view level);

// "codec 'libfoo' is not available (video encoders: libx264, libx265, libvpx-vp9, ... and 98
// more (ffmpeg -encoders))": the well-known ones this FFmpeg has, then how many others.
Error codec_not_available(std::string_view name, MediaKind kind, bool encoder);

// Names of the encoders (or decoders) of one kind this FFmpeg build offers, comma-separated.
std::string available_codecs(MediaKind kind, bool encoders);

}  // namespace streamlib::ffmpeg
