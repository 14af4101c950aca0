// Orientation: a video stream's display matrix as VideoFrame::rotation_degrees(), and pictures
// turned by it. For MediaReader (reading the matrix, `autorotate`) and Muxer (writing it).
//
//   int degrees = ffmpeg::stream_rotation(*stream);              // 0, 90, 180 or 270
//   STREAMLIB_RETURN_IF_ERROR(ffmpeg::set_stream_rotation(st, degrees));
//   VideoFrame upright = ffmpeg::rotate_picture(frame, pool).value();  // pixels turned, rotation 0
//
// Degrees are counterclockwise, as FFmpeg's av_display_rotation_get and ffprobe's "rotation"
// give them (a phone's portrait video: -90, that is 270). A matrix that also mirrors the picture
// is read by its rotation alone (as FFmpeg 5.1's own autorotate does).
#pragma once

#include "streamlib/frames/video_frame.h"
#include "streamlib/result.h"

struct AVStream;

namespace streamlib::ffmpeg {

// The rotation of `stream`'s display matrix (AV_PKT_DATA_DISPLAYMATRIX stream side data); 0
// when it has none.
int stream_rotation(const AVStream& stream);
// Gives `stream` a display matrix turning it by `degrees` (none for 0). Before the header is
// written. MP4 and MOV store it (`tkhd`); FFmpeg 5.1's Matroska and WebM muxers do not.
Result<void> set_stream_rotation(AVStream& stream, int degrees);

// `frame` turned upright by its rotation_degrees() into a frame from `pool` (rotation 0; the
// size swapped for 90 and 270), the other fields kept; `frame` itself when its rotation is 0.
// Every format with whole-pixel planes turns (I420, NV12, I444, P010, yuv420p10, yuv444p10, RGBA,
// BGRA, RGB24, GRAY8); 4:2:2 (YUYV, I422, yuv422p10) cannot turn a quarter and is an error.
Result<VideoFrame> rotate_picture(const VideoFrame& frame, VideoFramePool& pool);

}  // namespace streamlib::ffmpeg
