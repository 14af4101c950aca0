// Muxer: encode -> mux -> ffprobe round trips, fragmented MP4, errors.
#include "ffmpeg_common/muxer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "ffmpeg_common/encoder.h"
#include "ffmpeg_common/ffmpeg_types.h"
#include "ffmpeg_common/media_reader.h"
#include "test_media.h"

namespace streamlib::ffmpeg {
namespace {

namespace fs = std::filesystem;
using testing::media;
using testing::out_path;
using testing::probe_number;
using testing::probe_stream;

constexpr std::int64_t kMs = 1'000'000;

struct Clip {
  std::vector<EncodedPacket> video;
  std::vector<EncodedPacket> audio;
};

struct ClipSpec {
  VideoEncoderOptions video{.codec = "libx264", .preset = "ultrafast", .keyframe_interval = 15};
  std::optional<AudioEncoderOptions> audio = AudioEncoderOptions{.codec = "aac"};
  int frames = 60;            // 2 s at 30 fps
  std::int64_t video_t0 = 0;  // timestamps of the first frame / sample
  std::int64_t audio_t0 = 0;
  double audio_seconds = 2.0;
};

Clip encode_clip(const ClipSpec& spec) {
  Clip clip;
  auto venc = VideoEncoder::create(spec.video);
  if (!venc) throw std::runtime_error(venc.error().message());
  for (int i = 0; i < spec.frames; ++i) {
    auto r = venc->encode(testing::moving_picture(i, 320, 240, spec.video_t0), clip.video);
    if (!r) throw std::runtime_error(r.error().message());
  }
  if (auto r = venc->flush(clip.video); !r) throw std::runtime_error(r.error().message());
  if (spec.audio) {
    auto aenc = AudioEncoder::create(*spec.audio);
    if (!aenc) throw std::runtime_error(aenc.error().message());
    const int rate = 48000;
    const auto total = static_cast<std::int64_t>(spec.audio_seconds * rate);
    for (std::int64_t pos = 0; pos < total; pos += 480) {
      auto r = aenc->encode(
          testing::sine_frame(2, rate, 480, pos, 1000.0, 0.5, spec.audio_t0 + samples_to_ns(pos, rate)), clip.audio);
      if (!r) throw std::runtime_error(r.error().message());
    }
    if (auto r = aenc->flush(clip.audio); !r) throw std::runtime_error(r.error().message());
  }
  return clip;
}

// Both streams' packets in the order a live pipeline would deliver them (by decode time).
std::vector<EncodedPacket> interleave(const Clip& clip) {
  std::vector<EncodedPacket> all = clip.video;
  all.insert(all.end(), clip.audio.begin(), clip.audio.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.dts_ns() < b.dts_ns(); });
  return all;
}

Muxer open_muxer(const std::string& path, MuxerOptions options = {}) {
  auto m = Muxer::open(path, std::move(options));
  if (!m) throw std::runtime_error(m.error().message());
  return std::move(m).value();
}

void add_streams(Muxer& mux, const Clip& clip) {
  ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
  if (!clip.audio.empty()) {
    ASSERT_TRUE(mux.add_stream(clip.audio.front().params()));
  }
}

void write_file(const std::string& path, const Clip& clip, MuxerOptions options = {}) {
  Muxer mux = open_muxer(path, std::move(options));
  add_streams(mux, clip);
  for (const EncodedPacket& p : interleave(clip)) {
    auto r = mux.write(p);
    ASSERT_TRUE(r) << r.error().message();
  }
  auto r = mux.finish();
  ASSERT_TRUE(r) << r.error().message();
}

std::int64_t read_frames(const nlohmann::json& stream) {
  return static_cast<std::int64_t>(probe_number(stream, "nb_read_frames"));
}

struct RoundTrip {
  const char* extension;
  const char* video_codec;
  const char* audio_codec;
  const char* probe_video;
  const char* probe_audio;
};

void PrintTo(const RoundTrip& rt, std::ostream* os) {
  *os << rt.video_codec << " + " << rt.audio_codec << " in ." << rt.extension;
}

class EncodeMuxProbe : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(EncodeMuxProbe, KeepsCodecSizeEveryFrameDurationAndAlignedStarts) {
  const RoundTrip& rt = GetParam();
  ClipSpec spec;
  spec.video.codec = rt.video_codec;
  if (std::string(rt.video_codec).find("vp9") != std::string::npos) {
    spec.video.preset.clear();
    spec.video.realtime = true;
  }
  spec.audio->codec = rt.audio_codec;
  const Clip clip = encode_clip(spec);
  const std::string path = out_path(std::string("roundtrip.") + rt.extension);
  write_file(path, clip);

  const nlohmann::json probe = testing::ffprobe(path);
  const nlohmann::json v = probe_stream(probe, "video");
  const nlohmann::json a = probe_stream(probe, "audio");
  ASSERT_FALSE(v.is_null()) << probe.dump(2);
  ASSERT_FALSE(a.is_null()) << probe.dump(2);
  EXPECT_EQ(v["codec_name"], rt.probe_video);
  EXPECT_EQ(a["codec_name"], rt.probe_audio);
  EXPECT_EQ(v["width"], 320);
  EXPECT_EQ(v["height"], 240);
  EXPECT_EQ(read_frames(v), 60) << "every frame";
  EXPECT_EQ(a["sample_rate"], "48000");
  EXPECT_EQ(a["channels"], 2);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 2.0, 0.05);
  const double vs = probe_number(v, "start_time");
  const double as = probe_number(a, "start_time");
  EXPECT_NEAR(vs, 0.0, 0.015) << "video start";
  EXPECT_NEAR(as, vs, 0.015) << "audio and video start together";
  EXPECT_EQ(v["r_frame_rate"], "30/1");

  // And our own reader agrees.
  // Our own reader agrees, and the first picture and the first sound come out together.
  auto reader = MediaReader::open(path);
  ASSERT_TRUE(reader) << reader.error().message();
  int frames = 0;
  std::int64_t first_video = -1;
  std::int64_t first_audio = -1;
  while (true) {
    auto f = reader->read();
    ASSERT_TRUE(f) << f.error().message();
    if (f->end_of_stream()) break;
    if (f->video()) {
      if (frames++ == 0) first_video = f->timestamp_ns();
    }
    if (f->audio() && first_audio < 0) first_audio = f->timestamp_ns();
  }
  EXPECT_EQ(frames, 60);
  EXPECT_NEAR(first_video, 0, kMs);
  EXPECT_NEAR(first_audio, 0, kMs);
}

INSTANTIATE_TEST_SUITE_P(Muxer, EncodeMuxProbe,
                         ::testing::Values(RoundTrip{"mp4", "libx264", "aac", "h264", "aac"},
                                           RoundTrip{"mov", "libx264", "aac", "h264", "aac"},
                                           RoundTrip{"mkv", "libx264", "libopus", "h264", "opus"},
                                           RoundTrip{"webm", "libvpx-vp9", "libopus", "vp9", "opus"},
                                           RoundTrip{"mp4", "libvpx-vp9", "libopus", "vp9", "opus"}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.extension) + "_" + param_info.param.probe_video + "_" +
                                  param_info.param.probe_audio;
                         });

TEST(Muxer, LiveClockTimestampsStartTheFileAtZero) {
  ClipSpec spec;
  spec.video_t0 = 1'234'567'000'000;
  spec.audio_t0 = spec.video_t0;
  const std::string path = out_path("live.mp4");
  write_file(path, encode_clip(spec));
  const nlohmann::json probe = testing::ffprobe(path);
  EXPECT_NEAR(probe_number(probe_stream(probe, "video"), "start_time"), 0.0, 0.001);
  EXPECT_NEAR(probe_number(probe_stream(probe, "audio"), "start_time"), 0.0, 0.001);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 2.0, 0.05);
}

TEST(Muxer, AudioThatStartsLaterThanVideoKeepsItsOffset) {
  ClipSpec spec;
  spec.video_t0 = 10'000 * kMs;
  spec.audio_t0 = spec.video_t0 + 500 * kMs;
  spec.audio_seconds = 1.5;
  const std::string path = out_path("late_audio.mkv");
  spec.audio->codec = "libopus";
  write_file(path, encode_clip(spec));
  const nlohmann::json probe = testing::ffprobe(path);
  const double vs = probe_number(probe_stream(probe, "video"), "start_time");
  const double as = probe_number(probe_stream(probe, "audio"), "start_time");
  EXPECT_NEAR(vs, 0.0, 0.015);
  EXPECT_NEAR(as - vs, 0.5, 0.015);
  // Decoded, the sound starts exactly half a second after the picture.
  auto reader = MediaReader::open(path);
  ASSERT_TRUE(reader);
  std::int64_t first_video = -1;
  std::int64_t first_audio = -1;
  while (first_video < 0 || first_audio < 0) {
    auto f = reader->read();
    ASSERT_TRUE(f && !f->end_of_stream());
    if (f->video() && first_video < 0) first_video = f->timestamp_ns();
    if (f->audio() && first_audio < 0) first_audio = f->timestamp_ns();
  }
  EXPECT_NEAR(first_audio - first_video, 500 * kMs, kMs);
}

TEST(Muxer, AStreamThatNeverSendsHoldsTheOthersOnlyBriefly) {
  ClipSpec spec;
  spec.frames = 90;
  const Clip clip = encode_clip(spec);
  const std::string path = out_path("silent_audio.mkv");
  Muxer mux = open_muxer(path);
  add_streams(mux, clip);  // audio declared, but none of it comes
  for (const EncodedPacket& p : clip.video) ASSERT_TRUE(mux.write(p));
  EXPECT_GT(mux.stats().packets, 0u) << "writing started after max_start_delay_ns of video";
  ASSERT_TRUE(mux.finish());
  const nlohmann::json probe = testing::ffprobe(path);
  EXPECT_EQ(read_frames(probe_stream(probe, "video")), 90);
  EXPECT_NEAR(probe_number(probe_stream(probe, "video"), "start_time"), 0.0, 0.001);
}

TEST(Muxer, FragmentedMp4IsPlayableWhileItIsBeingWritten) {
  ClipSpec spec;
  spec.frames = 90;
  spec.audio_seconds = 3.0;
  const Clip clip = encode_clip(spec);
  const std::string path = out_path("growing.mp4");
  const std::string snapshot = out_path("snapshot.mp4");
  Muxer mux = open_muxer(path, {.fragmented = true});
  add_streams(mux, clip);
  const auto all = interleave(clip);
  for (std::size_t i = 0; i < all.size() * 2 / 3; ++i) ASSERT_TRUE(mux.write(all[i]));
  // As if the process were killed now: copy what is on disk.
  fs::copy_file(path, snapshot, fs::copy_options::overwrite_existing);
  const nlohmann::json partial = testing::ffprobe(snapshot);
  const std::int64_t partial_frames = read_frames(probe_stream(partial, "video"));
  EXPECT_GE(partial_frames, 30);
  EXPECT_LT(partial_frames, 90);
  EXPECT_FALSE(probe_stream(partial, "audio").is_null());

  for (std::size_t i = all.size() * 2 / 3; i < all.size(); ++i) ASSERT_TRUE(mux.write(all[i]));
  ASSERT_TRUE(mux.finish());
  const nlohmann::json full = testing::ffprobe(path);
  EXPECT_EQ(read_frames(probe_stream(full, "video")), 90);
  EXPECT_NEAR(probe_number(full["format"], "duration"), 3.0, 0.06);
}

TEST(Muxer, FragmentedMp4CutAnywherePlaysItsCompleteFragments) {
  const Clip clip = encode_clip({});
  const std::string path = out_path("fragmented.mp4");
  write_file(path, clip, {.fragmented = true});
  const std::uint64_t size = testing::file_size(path);
  std::int64_t previous = 0;
  for (double fraction : {0.3, 0.55, 0.8}) {
    const std::string cut = out_path("cut.mp4");
    fs::copy_file(path, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, static_cast<std::uintmax_t>(static_cast<double>(size) * fraction));
    const std::int64_t frames = read_frames(probe_stream(testing::ffprobe(cut), "video"));
    EXPECT_GT(frames, previous) << fraction;
    EXPECT_LT(frames, 60) << fraction;
    previous = frames;
    auto reader = MediaReader::open(cut);
    ASSERT_TRUE(reader) << reader.error().message();
    std::int64_t decoded = 0;
    while (true) {
      auto f = reader->read();
      ASSERT_TRUE(f) << f.error().message();
      if (f->end_of_stream()) break;
      if (f->video()) ++decoded;
    }
    EXPECT_GE(decoded, frames - 1) << fraction;
  }

  // A plain MP4 cut the same way has no index: nothing plays.
  const std::string plain = out_path("plain.mp4");
  write_file(plain, clip);
  fs::resize_file(plain, testing::file_size(plain) * 8 / 10);
  auto reader = MediaReader::open(plain);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().message().rfind(plain + ": ", 0), 0u);
}

int count_boxes(const std::string& path, std::string_view type) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int n = 0;
  for (auto pos = bytes.find(type); pos != std::string::npos; pos = bytes.find(type, pos + 1)) ++n;
  return n;
}

TEST(Muxer, FragmentsFollowKeyframesOrTheFragmentDuration) {
  ClipSpec spec;
  spec.audio.reset();
  spec.video.keyframe_interval = 15;
  const std::string by_keyframe = out_path("by_keyframe.mp4");
  write_file(by_keyframe, encode_clip(spec), {.fragmented = true});
  EXPECT_EQ(count_boxes(by_keyframe, "moof"), 4) << "a fragment per keyframe (every 0.5 s)";

  spec.video.keyframe_interval = 60;
  const std::string by_time = out_path("by_time.mp4");
  write_file(by_time, encode_clip(spec), {.fragmented = true, .fragment_duration_ns = 250 * kMs});
  EXPECT_GE(count_boxes(by_time, "moof"), 7) << "a fragment every 0.25 s";
  EXPECT_EQ(read_frames(probe_stream(testing::ffprobe(by_time), "video")), 60);
}

TEST(Muxer, AnUnknownExtensionIsAnErrorNamingThePath) {
  const std::string path = out_path("movie.xyz123");
  auto m = Muxer::open(path);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(),
            path + ": unknown container for extension '.xyz123' (use .mp4, .mov, .mkv or .webm, or set the format)");
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
  auto none = Muxer::open(out_path("noextension"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no file extension"), std::string::npos);
  auto bad_format = Muxer::open(out_path("x.mp4"), {.format = "nosuchformat"});
  ASSERT_FALSE(bad_format);
  EXPECT_NE(bad_format.error().message().find("unknown container format 'nosuchformat'"), std::string::npos);
}

TEST(Muxer, AnUnwritablePathIsAnErrorNamingIt) {
  auto m = Muxer::open("/nonexistent/dir/out.mp4");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message(), "/nonexistent/dir/out.mp4: folder /nonexistent/dir does not exist");
  EXPECT_EQ(m.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(Muxer::check_folder("/nonexistent/dir/out.mp4"));
  // A folder that is a file (root, which CI runs as, cannot write there either).
  const std::string file = out_path("a_regular_file");
  std::ofstream(file) << "x";
  auto under_file = Muxer::open(file + "/out.mp4");
  ASSERT_FALSE(under_file);
  EXPECT_EQ(under_file.error().message(), file + "/out.mp4: " + file + " is not a folder");
  auto is_folder = Muxer::open(testing::out_path(""));
  ASSERT_FALSE(is_folder);
  auto dir = Muxer::open("/proc/out.mkv");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message().rfind("/proc/out.mkv: ", 0), 0u) << dir.error().message();
}

// --- Replacing an existing file -----------------------------------------------------------------

// Files in `folder` (the temporaries are hidden ".NAME.PID-N.part" files beside the target).
std::vector<std::string> files_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh folder holding `name` with 3 KB that are not a media file.
fs::path folder_with_old_file(const std::string& folder, const std::string& name, std::string* old) {
  const fs::path dir = out_path(folder);
  fs::remove_all(dir);
  fs::create_directories(dir);
  old->clear();
  for (int i = 0; i < 3000; ++i) old->push_back(static_cast<char>('a' + i % 26));
  std::ofstream(dir / name, std::ios::binary) << *old;
  return dir;
}

TEST(Muxer, AnExistingFileIsReplacedOnlyOnceTheNewRecordingHasItsFirstPacket) {
  ClipSpec spec;
  spec.audio.reset();
  const Clip clip = encode_clip(spec);
  std::string old;
  const fs::path dir = folder_with_old_file("replace_first_packet", "out.mp4", &old);
  const std::string path = (dir / "out.mp4").string();

  Muxer mux = open_muxer(path);
  ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
  EXPECT_EQ(read_bytes(path), old) << "opened, with its stream: the old file is still there";
  ASSERT_EQ(files_in(dir).size(), 2u) << "the recording goes to a temporary beside it";
  ASSERT_TRUE(mux.write(clip.video.front()));
  EXPECT_NE(read_bytes(path), old) << "the first packet is in: the new recording took its place";
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"out.mp4"});
  for (std::size_t i = 1; i < clip.video.size(); ++i) ASSERT_TRUE(mux.write(clip.video[i]));
  ASSERT_TRUE(mux.finish());
  EXPECT_EQ(read_frames(probe_stream(testing::ffprobe(path), "video")), 60);
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"out.mp4"});
}

TEST(Muxer, AMuxerThatEndsBeforeItsFirstPacketLeavesAnExistingFileByteForByte) {
  ClipSpec spec;
  spec.frames = 3;
  spec.audio.reset();
  const Clip clip = encode_clip(spec);
  std::string old;
  const fs::path dir = folder_with_old_file("replace_never", "out.mp4", &old);
  const std::string path = (dir / "out.mp4").string();
  {  // destroyed with a stream and no packet
    Muxer mux = open_muxer(path);
    ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
  }
  EXPECT_EQ(read_bytes(path), old);
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"out.mp4"}) << "no temporary left behind";
  {  // a stream the container refuses (H.264 in WebM)
    const fs::path webm = dir / "out.webm";
    std::ofstream(webm, std::ios::binary) << old;
    {
      Muxer mux = open_muxer(webm.string());
      EXPECT_FALSE(mux.add_stream(clip.video.front().params()));
    }
    EXPECT_EQ(read_bytes(webm), old);
    fs::remove(webm);
  }
  // A value the muxer refuses is refused at open, before any file is made ...
  EXPECT_FALSE(Muxer::open(path, {.options = {{"movflags", "+no_such_flag"}}}));
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"out.mp4"});
  {  // ... and one only the header refuses fails at the first packet (an unknown encryption scheme)
    Muxer mux = open_muxer(path, {.options = {{"encryption_scheme", "no_such_scheme"}}});
    ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
    EXPECT_FALSE(mux.write(clip.video.front()));
  }
  EXPECT_EQ(read_bytes(path), old);
  {  // finished with nothing written
    Muxer mux = open_muxer(path);
    ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
    EXPECT_TRUE(mux.finish());
  }
  EXPECT_EQ(read_bytes(path), old);
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"out.mp4"});
  // Where there was no file, a recording finished with no packet still leaves a file.
  const std::string fresh = (dir / "fresh.mp4").string();
  {
    Muxer mux = open_muxer(fresh);
    ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
    EXPECT_TRUE(mux.finish());
  }
  EXPECT_TRUE(fs::exists(fresh));
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{"fresh.mp4", "out.mp4"}));
}

struct Replacing {
  const char* name;
  const char* file;
  const char* video_codec;
  MuxerOptions options;
};

void PrintTo(const Replacing& r, std::ostream* os) { *os << r.name; }

class ReplaceExisting : public ::testing::TestWithParam<Replacing> {};

// +faststart rewrites the file at the trailer by its name, and a fragmented MP4 is written as
// it goes: both work on the renamed file, as Matroska and WebM do.
TEST_P(ReplaceExisting, TheNewRecordingPlaysWholeWhereTheOldFileWas) {
  const Replacing& param = GetParam();
  ClipSpec spec;
  spec.video.codec = param.video_codec;
  if (std::string(param.video_codec).find("vp9") != std::string::npos) {
    spec.video.preset.clear();
    spec.video.realtime = true;
  }
  spec.audio->codec = std::string(param.file).ends_with(".mp4") ? "aac" : "libopus";
  const Clip clip = encode_clip(spec);
  std::string old;
  const fs::path dir = folder_with_old_file(std::string("replace_") + param.name, param.file, &old);
  const std::string path = (dir / param.file).string();
  write_file(path, clip, param.options);
  EXPECT_EQ(files_in(dir), std::vector<std::string>{param.file});
  const nlohmann::json probe = testing::ffprobe(path);
  EXPECT_EQ(read_frames(probe_stream(probe, "video")), 60);
  EXPECT_GT(read_frames(probe_stream(probe, "audio")), 0);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 2.0, 0.05);
  if (param.options.options.count("movflags")) {
    const std::string bytes = read_bytes(path);
    EXPECT_LT(bytes.find("moov"), bytes.find("mdat")) << "faststart: the index comes first";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Muxer, ReplaceExisting,
    ::testing::Values(Replacing{"mp4", "out.mp4", "libx264", {}},
                      Replacing{"mp4_faststart", "out.mp4", "libx264", {.options = {{"movflags", "+faststart"}}}},
                      Replacing{"mp4_fragmented", "out.mp4", "libx264", {.fragmented = true}},
                      Replacing{"mkv", "out.mkv", "libx264", {}}, Replacing{"webm", "out.webm", "libvpx-vp9", {}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Muxer, ACodecTheContainerCannotHoldIsAnErrorNamingThePath) {
  ClipSpec spec;
  spec.frames = 3;
  spec.audio.reset();
  const Clip clip = encode_clip(spec);
  const std::string path = out_path("h264.webm");
  Muxer mux = open_muxer(path);
  auto r = mux.add_stream(clip.video.front().params());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find(path + ": codec 'h264' cannot be stored in webm (it takes "), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("vp9"), std::string::npos);
}

TEST(Muxer, AnUnknownMuxerOptionIsNamedAtOpen) {
  const std::string path = out_path("options.mp4");
  auto m = Muxer::open(path, {.options = {{"bogus", "1"}}});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message().rfind(path + ": the mp4 muxer has no option 'bogus' (its own options: ", 0), 0u)
      << m.error().message();
  EXPECT_NE(m.error().message().find("movflags"), std::string::npos) << "lists the muxer's options";
  EXPECT_TRUE(Muxer::open(path, {.options = {{"movflags", "+faststart"}}}));
}

TEST(Muxer, FragmentedWritingNeedsMp4OrMov) {
  auto m = Muxer::open(out_path("frag.mkv"), {.fragmented = true});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("fragmented writing needs MP4 or MOV, not matroska"), std::string::npos);
}

TEST(Muxer, MisuseIsReportedNotIgnored) {
  ClipSpec spec;
  spec.frames = 3;
  spec.audio.reset();
  const Clip clip = encode_clip(spec);
  Muxer mux = open_muxer(out_path("misuse.mp4"));
  EXPECT_FALSE(mux.write(clip.video.front(), 0)) << "no stream yet";
  ASSERT_TRUE(mux.add_stream(clip.video.front().params()));
  ASSERT_TRUE(mux.write(clip.video.front(), 0));
  EXPECT_FALSE(mux.add_stream(clip.video.front().params())) << "streams come first";
  const Clip other = encode_clip(spec);
  auto stray = mux.write(other.video.front());
  ASSERT_FALSE(stray);
  EXPECT_NE(stray.error().message().find("belongs to no stream"), std::string::npos);
  ASSERT_TRUE(mux.finish());
  EXPECT_TRUE(mux.finish()) << "idempotent";
  EXPECT_FALSE(mux.write(clip.video.back(), 0));
}

TEST(Muxer, ParametersFromElsewhereAreRebuiltFromTheirFields) {
  ClipSpec spec;
  const Clip clip = encode_clip(spec);
  // The same streams described without FFmpeg's native parameters.
  auto strip = [](const EncodedPacket& p) {
    auto params = std::make_shared<CodecParameters>(*p.params());
    params->native.reset();
    return std::shared_ptr<const CodecParameters>(params);
  };
  const std::string path = out_path("rebuilt.mkv");
  Muxer mux = open_muxer(path);
  ASSERT_TRUE(mux.add_stream(*strip(clip.video.front())));
  ASSERT_TRUE(mux.add_stream(*strip(clip.audio.front())));
  for (const EncodedPacket& p : interleave(clip)) {
    ASSERT_TRUE(mux.write(p, p.kind() == MediaKind::kVideo ? 0 : 1));
  }
  ASSERT_TRUE(mux.finish());
  const nlohmann::json probe = testing::ffprobe(path);
  EXPECT_EQ(read_frames(probe_stream(probe, "video")), 60);
  EXPECT_EQ(probe_stream(probe, "audio")["codec_name"], "aac");
}

TEST(Muxer, TranscodingAFileKeepsEveryFrameAndTheSound) {
  auto reader = MediaReader::open(media("av.mkv"));
  ASSERT_TRUE(reader) << reader.error().message();
  auto venc = VideoEncoder::create({.codec = "libx264", .preset = "ultrafast"});
  auto aenc = AudioEncoder::create({.codec = "aac"});
  ASSERT_TRUE(venc && aenc);
  const std::string path = out_path("transcoded.mp4");
  Muxer mux = open_muxer(path, {.fragmented = true});
  std::vector<EncodedPacket> video;
  std::vector<EncodedPacket> audio;
  std::vector<EncodedPacket> pending;  // until both streams are known
  bool streams_added = false;
  auto pump = [&](bool end) {
    if (!streams_added) {
      if (!venc->parameters() || !aenc->parameters()) return;
      ASSERT_TRUE(mux.add_stream(venc->parameters()));
      ASSERT_TRUE(mux.add_stream(aenc->parameters()));
      streams_added = true;
    }
    pending.insert(pending.end(), video.begin(), video.end());
    pending.insert(pending.end(), audio.begin(), audio.end());
    video.clear();
    audio.clear();
    for (const auto& p : pending) ASSERT_TRUE(mux.write(p));
    pending.clear();
    (void)end;
  };
  while (true) {
    auto f = reader->read();
    ASSERT_TRUE(f) << f.error().message();
    if (f->end_of_stream()) break;
    if (const VideoFrame* v = f->video()) {
      ASSERT_TRUE(venc->encode(*v, video));
    }
    if (const AudioFrame* a = f->audio()) {
      ASSERT_TRUE(aenc->encode(*a, audio));
    }
    pump(false);
  }
  ASSERT_TRUE(venc->flush(video));
  ASSERT_TRUE(aenc->flush(audio));
  pump(true);
  ASSERT_TRUE(mux.finish());

  const nlohmann::json probe = testing::ffprobe(path);
  EXPECT_EQ(read_frames(probe_stream(probe, "video")), 60);
  EXPECT_NEAR(probe_number(probe["format"], "duration"), 2.0, 0.06);
  auto back = MediaReader::open(path);
  ASSERT_TRUE(back);
  testing::AudioCollector sound;
  while (true) {
    auto f = back->read();
    ASSERT_TRUE(f);
    if (f->end_of_stream()) break;
    if (f->audio()) sound.add(*f->audio());
  }
  EXPECT_NEAR(testing::frequency(sound.samples, 2, 0, 48000), 1000.0, 2.0);
  EXPECT_NEAR(testing::frequency(sound.samples, 2, 1, 48000), 500.0, 2.0);
}

TEST(Muxer, KnowsWhichContainersNeedGlobalHeaders) {
  EXPECT_TRUE(Muxer::needs_global_header("a.mp4"));
  EXPECT_TRUE(Muxer::needs_global_header("a.mkv"));
  EXPECT_TRUE(Muxer::needs_global_header("a.webm"));
  EXPECT_FALSE(Muxer::needs_global_header("a.ts"));
  EXPECT_FALSE(Muxer::needs_global_header("a.unknownext"));
  EXPECT_TRUE(Muxer::needs_global_header("anything", "mov"));
}

}  // namespace
}  // namespace streamlib::ffmpeg
