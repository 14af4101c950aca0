// MediaReader against files made by the real ffmpeg.
#include "ffmpeg_common/media_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ffmpeg_common/ffmpeg_types.h"
#include "test_media.h"

namespace streamlib::ffmpeg {
namespace {

using testing::AudioCollector;
using testing::media;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kFrameNs = 33'333'333;

struct Decoded {
  std::vector<VideoFrame> video;
  AudioCollector audio;
  std::vector<AudioFrame> audio_frames;
  bool ended = false;
};

// Reads until the end (or `max_video` video frames), keeping everything.
Decoded read_all(MediaReader& reader, std::size_t max_video = SIZE_MAX) {
  Decoded d;
  while (d.video.size() < max_video) {
    auto f = reader.read();
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message());
    if (!f) break;
    if (f->end_of_stream()) {
      d.ended = true;
      break;
    }
    if (const VideoFrame* v = f->video()) d.video.push_back(*v);
    if (const AudioFrame* a = f->audio()) {
      d.audio.add(*a);
      d.audio_frames.push_back(*a);
    }
  }
  return d;
}

MediaReader open(const std::string& path, MediaReaderOptions options = {}) {
  auto r = MediaReader::open(path, std::move(options));
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(r).value();
}

TEST(MediaReader, OpensAnMp4AndReportsBothStreams) {
  MediaReader reader = open(media("av.mp4"));
  const MediaInfo& info = reader.info();
  EXPECT_NE(info.container.find("mp4"), std::string::npos);
  EXPECT_NEAR(static_cast<double>(info.duration_ns) / 1e9, 2.0, 0.05);
  EXPECT_TRUE(info.seekable);
  ASSERT_TRUE(info.video.has_value());
  EXPECT_EQ(info.video->codec, "h264");
  EXPECT_EQ(info.video->pixel_format, "yuv420p");
  EXPECT_EQ(info.video->width, 320);
  EXPECT_EQ(info.video->height, 240);
  EXPECT_EQ(info.video->frame_rate_num, 30);
  EXPECT_EQ(info.video->frame_rate_den, 1);
  EXPECT_EQ(info.video->frame_count, 60);
  ASSERT_TRUE(info.audio.has_value());
  EXPECT_EQ(info.audio->codec, "aac");
  EXPECT_EQ(info.audio->sample_rate, 48000);
  EXPECT_EQ(info.audio->channels, 2);
  EXPECT_EQ(info.output_sample_rate, 48000);
  EXPECT_EQ(info.output_channels, 2);
}

TEST(MediaReader, DecodesEveryVideoFrameWithTimestampsFromZero) {
  MediaReader reader = open(media("av.mp4"));
  Decoded d = read_all(reader);
  ASSERT_TRUE(d.ended);
  ASSERT_EQ(d.video.size(), 60u);
  for (std::size_t i = 0; i < d.video.size(); ++i) {
    const VideoFrame& f = d.video[i];
    EXPECT_EQ(f.width(), 320);
    EXPECT_EQ(f.height(), 240);
    EXPECT_EQ(f.format(), PixelFormat::kI420);
    EXPECT_NEAR(f.timestamp_ns(), static_cast<std::int64_t>(i) * kFrameNs, kMs) << i;
    EXPECT_NEAR(f.duration_ns(), kFrameNs, kMs);
    EXPECT_EQ(f.frame_number(), i);
  }
  EXPECT_TRUE(d.video[0].keyframe());
  EXPECT_TRUE(d.video[30].keyframe()) << "GOP of 30";
  EXPECT_FALSE(d.video[1].keyframe());
  EXPECT_EQ(reader.stats().video_frames, 60u);
}

TEST(MediaReader, DecodedYuv420PicturesReachTheCallerWithoutACopy) {
  MediaReader reader = open(media("av.mp4"), {.audio = false});
  Decoded d = read_all(reader, 10);
  ASSERT_EQ(d.video.size(), 10u);
  for (const VideoFrame& f : d.video) EXPECT_TRUE(f.is_external());
  EXPECT_EQ(reader.stats().converted_frames, 0u);
  EXPECT_EQ(reader.video_pool().in_flight(), 10u);
  d.video.clear();  // the decoder's buffers go back
  EXPECT_EQ(reader.video_pool().in_flight(), 0u);
}

TEST(MediaReader, LosslessPicturesMatchTheFrameCounterDrawnIntoThem) {
  MediaReader reader = open(media("counter.y4m"));
  Decoded d = read_all(reader);
  ASSERT_EQ(d.video.size(), 30u);
  for (std::size_t i = 0; i < d.video.size(); ++i) {
    EXPECT_EQ(testing::luma_at(d.video[i], 10, 10), 4 * i) << "frame " << i;
    EXPECT_EQ(testing::luma_at(d.video[i], 63, 47), 4 * i) << "frame " << i;
    EXPECT_EQ(d.video[i].plane(1)[0], 128);
  }
}

TEST(MediaReader, H264PicturesMatchTheFrameCounterWithinCompressionError) {
  MediaReader reader = open(media("counter.mp4"));
  Decoded d = read_all(reader);
  ASSERT_EQ(d.video.size(), 30u);
  for (std::size_t i = 0; i < d.video.size(); ++i) {
    EXPECT_NEAR(testing::mean_luma(d.video[i]), 4.0 * static_cast<double>(i), 3.0) << "frame " << i;
  }
}

TEST(MediaReader, FourFourFourPicturesArePassedOnAsTheyAreWithoutACopy) {
  MediaReader reader = open(media("yuv444.mkv"));
  ASSERT_TRUE(reader.info().video);
  EXPECT_EQ(reader.info().video->pixel_format, "yuv444p");
  Decoded d = read_all(reader);
  ASSERT_EQ(d.video.size(), 30u);
  for (const VideoFrame& f : d.video) {
    EXPECT_EQ(f.format(), PixelFormat::kI444);
    EXPECT_TRUE(f.is_external());  // the decoder's buffer
    EXPECT_EQ(f.width(), 320);
  }
  EXPECT_EQ(reader.stats().converted_frames, 0u);
  EXPECT_EQ(reader.stats().pixel_format_conversions, 0u);
  EXPECT_EQ(reader.pixel_format_conversion(), "");
}

TEST(MediaReader, PicturesInAFormatStreamlibLacksAreConvertedToTheNearestAndNamed) {
  const std::string path = testing::out_path("yuv420p12.mkv");
  testing::ffmpeg("-f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 5 -c:v ffv1 -pix_fmt yuv420p12le " +
                  testing::quote(path));
  MediaReader reader = open(path);
  Decoded d = read_all(reader);
  ASSERT_EQ(d.video.size(), 5u);
  for (const VideoFrame& f : d.video) {
    EXPECT_EQ(f.format(), PixelFormat::kYuv420p10);  // depth and chroma kept as far as StreamLib goes
    EXPECT_FALSE(f.is_external());
  }
  EXPECT_EQ(reader.stats().converted_frames, 5u);
  EXPECT_EQ(reader.stats().pixel_format_conversions, 5u);
  EXPECT_EQ(reader.pixel_format_conversion(), "yuv420p12le -> yuv420p10");
}

TEST(MediaReader, RequestedPixelFormatIsDeliveredWithTheRightColours) {
  MediaReader reader = open(media("red.y4m"), {.video_format = PixelFormat::kRgba});
  Decoded d = read_all(reader);
  ASSERT_EQ(d.video.size(), 10u);
  for (const VideoFrame& f : d.video) {
    ASSERT_EQ(f.format(), PixelFormat::kRgba);
    const auto px = testing::rgba_at(f, 32, 24);
    EXPECT_NEAR(px[0], 255, 4);
    EXPECT_NEAR(px[1], 0, 4);
    EXPECT_NEAR(px[2], 0, 4);
    EXPECT_EQ(px[3], 255);
    EXPECT_EQ(f.color_range(), ColorRange::kFull);
  }
}

TEST(MediaReader, AudioIsDeliveredAtTheRequestedRateAndChannelCount) {
  MediaReader reader = open(media("tone.wav"), {.sample_rate = 48000, .channels = 2});
  ASSERT_FALSE(reader.info().video);
  ASSERT_TRUE(reader.info().audio);
  EXPECT_EQ(reader.info().audio->sample_rate, 44100);
  EXPECT_EQ(reader.info().audio->channels, 1);
  Decoded d = read_all(reader);
  ASSERT_TRUE(d.ended);
  EXPECT_EQ(d.audio.sample_rate, 48000);
  ASSERT_EQ(d.audio.channels, 2);
  EXPECT_NEAR(static_cast<double>(d.audio.frames()), 96000.0, 2.0) << "2 s at 48 kHz, resampler tail included";
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(testing::frequency(d.audio.samples, 2, c, 48000), 440.0, 0.5);
    EXPECT_NEAR(testing::rms(d.audio.samples, 2, c), 0.5 / std::sqrt(2.0), 0.01) << "mono goes to both at full level";
  }
}

TEST(MediaReader, AudioKeepsTheFilesRateAndChannelsByDefault) {
  MediaReader reader = open(media("tones.mkv"));
  Decoded d = read_all(reader);
  EXPECT_EQ(d.audio.sample_rate, 48000);
  ASSERT_EQ(d.audio.channels, 2);
  EXPECT_NEAR(testing::frequency(d.audio.samples, 2, 0, 48000), 1000.0, 1.0);
  EXPECT_NEAR(testing::frequency(d.audio.samples, 2, 1, 48000), 500.0, 1.0);
  EXPECT_NEAR(testing::rms(d.audio.samples, 2, 0), 0.5 / std::sqrt(2.0), 0.02);
  EXPECT_NEAR(testing::rms(d.audio.samples, 2, 1), 0.25 / std::sqrt(2.0), 0.02);
}

TEST(MediaReader, AudioPositionsAreContiguousAndTimestampsFollowFromThem) {
  MediaReader reader = open(media("av.mp4"));
  Decoded d = read_all(reader);
  ASSERT_FALSE(d.audio_frames.empty());
  EXPECT_TRUE(d.audio.contiguous);
  EXPECT_EQ(d.audio.first_position, 0);
  for (const AudioFrame& a : d.audio_frames) {
    EXPECT_EQ(a.timestamp_ns(), samples_to_ns(a.sample_position(), 48000));
  }
  EXPECT_NEAR(static_cast<double>(d.audio.frames()), 96000.0, 1024.0);
  EXPECT_NEAR(testing::frequency(d.audio.samples, 2, 0, 48000), 1000.0, 2.0);
}

TEST(MediaReader, AudioAndVideoStartTogetherAndCoverTheSameSpan) {
  for (const char* name : {"av.mp4", "av.mkv"}) {
    MediaReader reader = open(media(name));
    Decoded d = read_all(reader);
    ASSERT_FALSE(d.video.empty()) << name;
    ASSERT_FALSE(d.audio_frames.empty()) << name;
    EXPECT_NEAR(d.video.front().timestamp_ns(), 0, 10 * kMs) << name;
    EXPECT_NEAR(d.audio_frames.front().timestamp_ns(), 0, 10 * kMs) << name;
    const std::int64_t video_end = d.video.back().timestamp_ns() + d.video.back().duration_ns();
    const std::int64_t audio_end = d.audio_frames.back().timestamp_ns() + d.audio_frames.back().duration_ns();
    EXPECT_NEAR(video_end, 2'000 * kMs, 10 * kMs) << name;
    EXPECT_NEAR(audio_end, 2'000 * kMs, 25 * kMs) << name;
  }
}

class EveryContainer : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(EveryContainer, DecodesEveryVideoFrame) {
  const auto [name, frames] = GetParam();
  MediaReader reader = open(media(name));
  Decoded d = read_all(reader);
  EXPECT_TRUE(d.ended);
  EXPECT_EQ(static_cast<int>(d.video.size()), frames) << name;
  if (reader.info().audio) {
    EXPECT_GT(d.audio.frames(), 0) << name;
  }
  for (std::size_t i = 1; i < d.video.size(); ++i) {
    EXPECT_GT(d.video[i].timestamp_ns(), d.video[i - 1].timestamp_ns()) << name << " frame " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(MediaReader, EveryContainer,
                         ::testing::Values(std::pair{"av.mp4", 60}, std::pair{"av.mkv", 60}, std::pair{"av.webm", 60},
                                           std::pair{"counter.y4m", 30}, std::pair{"video_only.mp4", 30},
                                           std::pair{"tone.wav", 0}, std::pair{"audio_only.m4a", 0}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.first;
                           for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

TEST(MediaReader, AFileWithOnlyVideoOrOnlyAudioReportsJustThat) {
  MediaReader video = open(media("video_only.mp4"));
  EXPECT_TRUE(video.info().video);
  EXPECT_FALSE(video.info().audio);
  MediaReader audio = open(media("audio_only.m4a"));
  EXPECT_FALSE(audio.info().video);
  EXPECT_TRUE(audio.info().audio);
}

TEST(MediaReader, TurningAStreamOffLeavesItOut) {
  MediaReader reader = open(media("av.mp4"), {.audio = false});
  EXPECT_FALSE(reader.info().audio);
  Decoded d = read_all(reader);
  EXPECT_EQ(d.video.size(), 60u);
  EXPECT_EQ(d.audio.frames(), 0);

  auto none = MediaReader::open(media("video_only.mp4"), {.video = false});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no audio stream"), std::string::npos) << none.error().message();
}

TEST(MediaReader, EndOfStreamIsReportedDistinctlyAndKeepsBeingReported) {
  MediaReader reader = open(media("counter.y4m"));
  Decoded d = read_all(reader);
  ASSERT_TRUE(d.ended);
  for (int i = 0; i < 3; ++i) {
    auto f = reader.read();
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->end_of_stream());
    EXPECT_EQ(f->video(), nullptr);
    EXPECT_EQ(f->audio(), nullptr);
  }
}

TEST(MediaReader, SeekingLandsOnTheRequestedFrameAndSample) {
  MediaReader reader = open(media("av.mp4"));
  ASSERT_TRUE(reader.seek(1'000 * kMs));
  Decoded d = read_all(reader);
  ASSERT_FALSE(d.video.empty());
  EXPECT_NEAR(d.video.front().timestamp_ns(), 1'000 * kMs, kMs);
  EXPECT_EQ(d.video.size(), 30u);
  ASSERT_FALSE(d.audio_frames.empty());
  EXPECT_EQ(d.audio_frames.front().sample_position(), 48000);
  EXPECT_EQ(d.audio_frames.front().timestamp_ns(), 1'000 * kMs);
  EXPECT_TRUE(d.audio.contiguous);
}

TEST(MediaReader, SeekingBetweenKeyframesShowsThePictureAtThatTime) {
  MediaReader reader = open(media("counter.mp4"));
  ASSERT_TRUE(reader.seek(500 * kMs + 10 * kMs));  // inside frame 15
  auto f = reader.read();
  ASSERT_TRUE(f && f->video());
  EXPECT_NEAR(f->video()->timestamp_ns(), 15 * kFrameNs, kMs);
  EXPECT_NEAR(testing::mean_luma(*f->video()), 60.0, 3.0);
}

TEST(MediaReader, SeekingBackAfterTheEndPlaysAgain) {
  MediaReader reader = open(media("counter.y4m"));
  Decoded first = read_all(reader);
  ASSERT_TRUE(first.ended);
  ASSERT_TRUE(reader.seek(0));
  Decoded again = read_all(reader);
  EXPECT_EQ(again.video.size(), 30u);
  EXPECT_EQ(again.video.front().timestamp_ns(), 0);
  EXPECT_EQ(testing::luma_at(again.video.front(), 0, 0), 0);
}

TEST(MediaReader, RewindContinuesTheTimelineAfterTheLastFrame) {
  MediaReader reader = open(media("av.mp4"));
  Decoded first = read_all(reader);
  ASSERT_TRUE(first.ended);
  const std::int64_t video_end = first.video.back().timestamp_ns() + first.video.back().duration_ns();
  ASSERT_TRUE(reader.rewind());
  Decoded second = read_all(reader);
  ASSERT_EQ(second.video.size(), 60u);
  EXPECT_GE(second.video.front().timestamp_ns(), video_end);
  EXPECT_NEAR(second.video.front().timestamp_ns(), video_end, 25 * kMs);
  EXPECT_EQ(second.video.front().frame_number(), 60u);
  ASSERT_FALSE(second.audio_frames.empty());
  EXPECT_GE(second.audio_frames.front().sample_position(), first.audio.next_position);
  EXPECT_EQ(reader.stats().loops, 1);
}

TEST(MediaReader, LoopingPlaysTheFileAgainWithTimestampsThatKeepGrowing) {
  MediaReader reader = open(media("counter.y4m"), {.loop = true});
  Decoded d = read_all(reader, 90);
  ASSERT_EQ(d.video.size(), 90u);
  EXPECT_FALSE(d.ended);
  for (std::size_t i = 0; i < d.video.size(); ++i) {
    EXPECT_NEAR(d.video[i].timestamp_ns(), static_cast<std::int64_t>(i) * kFrameNs, kMs) << i;
    EXPECT_EQ(testing::luma_at(d.video[i], 5, 5), 4 * (i % 30)) << i;
  }
  EXPECT_EQ(reader.stats().loops, 2);
}

TEST(MediaReader, AMissingFileIsAnErrorNamingIt) {
  auto r = MediaReader::open("/nonexistent/in.mp4");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "/nonexistent/in.mp4: No such file or directory");
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(MediaReader, ACorruptFileIsAnErrorNamingIt) {
  const std::string path = media("corrupt.mp4");
  auto r = MediaReader::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind(path + ": ", 0), 0u) << r.error().message();
  EXPECT_NE(r.error().message().find("Invalid data"), std::string::npos) << r.error().message();
}

TEST(MediaReader, ATruncatedMp4WithoutItsIndexIsAnErrorNamingIt) {
  const std::string path = media("truncated.mp4");
  auto r = MediaReader::open(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind(path + ": ", 0), 0u) << r.error().message();
  EXPECT_NE(r.error().message().find("moov atom not found"), std::string::npos) << r.error().message();
}

TEST(MediaReader, ATruncatedFileDecodesUpToTheCutThenEnds) {
  for (const char* name : {"truncated.mkv", "truncated_faststart.mp4"}) {
    MediaReader reader = open(media(name));
    Decoded d = read_all(reader);
    EXPECT_TRUE(d.ended) << name;
    EXPECT_GT(d.video.size(), 5u) << name;
    EXPECT_LT(d.video.size(), 60u) << name;
  }
}

TEST(MediaReader, DamagedBytesInTheMiddleAreSurvivedOrNamed) {
  const std::string path = media("damaged.mkv");
  MediaReader reader = open(path);
  std::size_t frames = 0;
  for (int i = 0; i < 1000; ++i) {
    auto f = reader.read();
    if (!f) {  // acceptable: a clear error naming the file
      EXPECT_EQ(f.error().message().rfind(path + ": ", 0), 0u) << f.error().message();
      break;
    }
    if (f->end_of_stream()) break;
    if (f->video()) ++frames;
  }
  EXPECT_GT(frames, 20u);
}

TEST(MediaReader, SteadyStateDecodingAllocatesNoNewPooledFrames) {
  for (auto format : {std::optional<PixelFormat>{}, std::optional<PixelFormat>{PixelFormat::kRgba}}) {
    MediaReader reader = open(media("av.mp4"), {.video_format = format});
    std::uint64_t after_warmup = 0;
    std::uint64_t audio_after_warmup = 0;
    int video = 0;
    while (true) {
      auto f = reader.read();
      ASSERT_TRUE(f);
      if (f->end_of_stream()) break;
      if (f->video() && ++video == 10) {
        after_warmup = reader.video_pool().allocated();
        audio_after_warmup = reader.audio_pool().allocated();
      }
    }
    ASSERT_EQ(video, 60);
    EXPECT_LE(after_warmup, 2u);
    EXPECT_EQ(reader.video_pool().allocated(), after_warmup) << (format ? "converted" : "zero-copy");
    EXPECT_EQ(reader.audio_pool().allocated(), audio_after_warmup);
  }
}

TEST(MediaReader, InvalidOptionsAreRejectedWithTheFileNamed) {
  auto r = MediaReader::open("x.mp4", {.channels = 9});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "x.mp4: channels: 9 is out of range (0..8)");
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamlib::ffmpeg
