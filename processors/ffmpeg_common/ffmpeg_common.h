// StreamLib's FFmpeg layer: what the FFmpeg processors (FileSource, VideoConvert,
// VideoEncoder, AudioEncoder, FileWriter/Mp4Writer, AudioResampler) are built on. FFmpeg's
// types stay inside it; its classes take and give StreamLib frames and packets.
//
//   MediaReader  file -> VideoFrame / AudioFrame          (FileSource)
//   Scaler       VideoFrame -> VideoFrame                  (VideoConvert, display helpers)
//   Resampler    AudioFrame -> AudioFrame                  (AudioResampler, AudioOutput)
//   VideoEncoder VideoFrame -> EncodedPacket               (VideoEncoder, FileWriter)
//   AudioEncoder AudioFrame -> EncodedPacket               (AudioEncoder, FileWriter)
//   Muxer        EncodedPacket -> file                     (FileWriter, Mp4Writer)
//
// Errors are streamlib::Error values whose one line names the file or codec
// (ffmpeg_error.h). ffmpeg_types.h is the FFmpeg-facing half (RAII handles, format and time
// mapping) for code that talks to FFmpeg directly.
#pragma once

#include "ffmpeg_common/encoder.h"
#include "ffmpeg_common/ffmpeg_error.h"
#include "ffmpeg_common/media_reader.h"
#include "ffmpeg_common/muxer.h"
#include "ffmpeg_common/resampler.h"
#include "ffmpeg_common/scaler.h"
