// MJPEG: JPEGs made by the ffmpeg tool, decoded by MjpegDecoder (alone and as a fake device's
// buffers through Capture), compared with ffmpeg's own decode.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "v4l2_common/capture.h"
#include "v4l2_common/fake_device.h"
#include "v4l2_common/mjpeg_decoder.h"

namespace streamlib::v4l2 {
namespace {

using std::chrono::milliseconds;

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch directory per test, and the ffmpeg tool.
class MjpegTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ffmpeg_ = STREAMLIB_FFMPEG_EXECUTABLE;
    if (ffmpeg_.empty()) GTEST_SKIP() << "the ffmpeg tool is not installed";
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("streamlib_mjpeg_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  void run(const std::string& args) {
    const std::string command = fmt::format("'{}' -hide_banner -loglevel error -y {}", ffmpeg_, args);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // A JPEG of ffmpeg's testsrc2 pattern.
  std::vector<std::uint8_t> make_jpeg(int width, int height, const std::string& pix_fmt, int frame = 0) {
    const auto path = dir_ / fmt::format("in_{}x{}_{}_{}.jpg", width, height, pix_fmt, frame);
    // testsrc2 makes even sizes only: make one a pixel larger and crop (in RGB) for odd ones.
    run(
        fmt::format("-f lavfi -i testsrc2=size={}x{}:rate=30 -vf 'select=eq(n\\,{}),format=rgb24,crop={}:{}:0:0' "
                    "-frames:v 1 -pix_fmt {} -f mjpeg '{}'",
                    width + width % 2, height + height % 2, frame, width, height, pix_fmt, path.string()));
    return read_file(path);
  }

  // ffmpeg's decode of `jpeg` as full-range 4:2:0 planes, Y then U then V.
  std::vector<std::uint8_t> reference_i420(const std::vector<std::uint8_t>& jpeg) {
    const auto in = dir_ / "ref_in.jpg";
    const auto out = dir_ / "ref_out.yuv";
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
    run(fmt::format("-i '{}' -f rawvideo -pix_fmt yuvj420p '{}'", in.string(), out.string()));
    return read_file(out);
  }

  std::string ffmpeg_;
  std::filesystem::path dir_;
};

// Largest difference between a frame's planes and packed I420 reference planes.
struct PlaneDiff {
  int y = 0;
  int chroma = 0;
};
PlaneDiff compare_i420(const VideoFrame& frame, const std::vector<std::uint8_t>& ref) {
  const int w = frame.width();
  const int h = frame.height();
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  PlaneDiff d;
  std::size_t offset = 0;
  for (int p = 0; p < 3; ++p) {
    const int pw = p == 0 ? w : cw;
    const int ph = p == 0 ? h : ch;
    for (int y = 0; y < ph; ++y) {
      for (int x = 0; x < pw; ++x) {
        const int ours = frame.plane(p)[static_cast<std::size_t>(y * frame.stride(p) + x)];
        const int theirs = ref[offset + static_cast<std::size_t>(y * pw + x)];
        int& worst = p == 0 ? d.y : d.chroma;
        worst = std::max(worst, std::abs(ours - theirs));
      }
    }
    offset += static_cast<std::size_t>(pw * ph);
  }
  return d;
}

// Y, U, V of the pixel at (x, y).
std::array<int, 3> yuv_at(const VideoFrame& f, int x, int y) {
  return {f.plane(0)[static_cast<std::size_t>(y * f.stride(0) + x)],
          f.plane(1)[static_cast<std::size_t>(y / 2 * f.stride(1) + x / 2)],
          f.plane(2)[static_cast<std::size_t>(y / 2 * f.stride(2) + x / 2)]};
}
std::array<int, 3> yuv_at(const std::vector<std::uint8_t>& ref, int w, int h, int x, int y) {
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  const auto at = [&](std::size_t i) { return static_cast<int>(ref[i]); };
  return {at(static_cast<std::size_t>(y * w + x)), at(static_cast<std::size_t>(w * h + y / 2 * cw + x / 2)),
          at(static_cast<std::size_t>(w * h + cw * ch + y / 2 * cw + x / 2))};
}

TEST_F(MjpegTest, DecodesA420JpegExactlyAsFfmpegDoes) {
  const std::vector<std::uint8_t> jpeg = make_jpeg(320, 240, "yuvj420p");
  ASSERT_GT(jpeg.size(), 1000U);
  const std::vector<std::uint8_t> ref = reference_i420(jpeg);
  ASSERT_EQ(ref.size(), 320U * 240 + 2 * 160 * 120);

  auto decoder = MjpegDecoder::create().value();
  VideoFramePool pool;
  const VideoFrame frame = decoder->decode(jpeg, pool).value().freeze();
  EXPECT_EQ(frame.width(), 320);
  EXPECT_EQ(frame.height(), 240);
  EXPECT_EQ(frame.format(), PixelFormat::kI420);
  EXPECT_EQ(frame.color_range(), ColorRange::kFull);
  EXPECT_EQ(frame.color_matrix(), ColorMatrix::kBt601);
  const PlaneDiff d = compare_i420(frame, ref);
  EXPECT_EQ(d.y, 0);
  EXPECT_EQ(d.chroma, 0);
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{{10, 10}, {100, 60}, {160, 120}, {300, 200}, {40, 230}}) {
    EXPECT_EQ(yuv_at(frame, x, y), yuv_at(ref, 320, 240, x, y)) << "pixel " << x << "," << y;
  }
}

TEST_F(MjpegTest, Converts422JpegsTo420CloseToFfmpegsOwnConversion) {
  const std::vector<std::uint8_t> jpeg = make_jpeg(320, 240, "yuvj422p");
  const std::vector<std::uint8_t> ref = reference_i420(jpeg);
  auto decoder = MjpegDecoder::create().value();
  VideoFramePool pool;
  const VideoFrame frame = decoder->decode(jpeg, pool).value().freeze();
  ASSERT_EQ(frame.width(), 320);
  ASSERT_EQ(frame.height(), 240);
  EXPECT_EQ(frame.color_range(), ColorRange::kFull);
  const PlaneDiff d = compare_i420(frame, ref);
  EXPECT_EQ(d.y, 0);       // luma is not resampled
  EXPECT_LE(d.chroma, 3);  // chroma halved vertically, by a slightly different filter
}

TEST_F(MjpegTest, DecodesOddSizes) {
  const std::vector<std::uint8_t> jpeg = make_jpeg(161, 97, "yuvj420p");
  const std::vector<std::uint8_t> ref = reference_i420(jpeg);
  auto decoder = MjpegDecoder::create().value();
  VideoFramePool pool;
  const VideoFrame frame = decoder->decode(jpeg, pool).value().freeze();
  ASSERT_EQ(frame.width(), 161);
  ASSERT_EQ(frame.height(), 97);
  const PlaneDiff d = compare_i420(frame, ref);
  EXPECT_EQ(d.y, 0);
  EXPECT_EQ(d.chroma, 0);
}

TEST(MjpegDecoder, RefusesDataThatIsNotAJpeg) {
  auto decoder = MjpegDecoder::create().value();
  VideoFramePool pool;
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(decoder->decode(text, pool).error().code(), ErrorCode::kInvalidArgument);
  std::vector<std::uint8_t> broken = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x04, 0x00};
  broken.resize(200, 0x55);
  EXPECT_FALSE(decoder->decode(broken, pool).has_value());
  EXPECT_FALSE(decoder->decode({}, pool).has_value());
}

FakeDeviceConfig mjpeg_camera(std::vector<std::vector<std::uint8_t>> jpegs) {
  FakeDeviceConfig config;
  config.formats = {{kFourccMjpeg, "Motion-JPEG", true, {{320, 240, {{1, 30}}}}}};
  config.fill = [jpegs = std::move(jpegs)](const FakeFill& f) -> std::size_t {
    const std::vector<std::uint8_t>& jpeg = jpegs[f.frame_index % jpegs.size()];
    if (jpeg.size() > f.buffer.size()) return 0;
    std::copy(jpeg.begin(), jpeg.end(), f.buffer.begin());
    return jpeg.size();
  };
  return config;
}

TEST_F(MjpegTest, CaptureDecodesMjpegBuffersIntoI420FramesAndQueuesTheBufferRightAfter) {
  const std::vector<std::uint8_t> first = make_jpeg(320, 240, "yuvj420p", 0);
  const std::vector<std::uint8_t> second = make_jpeg(320, 240, "yuvj420p", 5);
  const std::vector<std::uint8_t> ref_first = reference_i420(first);
  const std::vector<std::uint8_t> ref_second = reference_i420(second);

  auto device = std::make_unique<FakeDevice>(mjpeg_camera({first, second}));
  const auto state = device->state();
  auto capture = Capture::open(std::move(device), "/dev/video0").value();
  const FormatSelection mode = capture->configure({.width = 320, .height = 240, .fps = 30}).value();
  EXPECT_EQ(mode.fourcc, kFourccMjpeg);
  capture->start(4).value();

  const VideoFrame a = capture->next_frame(milliseconds(1000)).value().value();
  const VideoFrame b = capture->next_frame(milliseconds(1000)).value().value();
  EXPECT_EQ(a.format(), PixelFormat::kI420);
  EXPECT_EQ(a.width(), 320);
  EXPECT_EQ(a.height(), 240);
  EXPECT_FALSE(a.is_external());
  EXPECT_EQ(a.color_range(), ColorRange::kFull);
  EXPECT_EQ(a.frame_number(), 0U);
  EXPECT_EQ(b.frame_number(), 1U);
  EXPECT_EQ(compare_i420(a, ref_first).y, 0);
  EXPECT_EQ(compare_i420(a, ref_first).chroma, 0);
  EXPECT_EQ(compare_i420(b, ref_second).y, 0);
  EXPECT_EQ(yuv_at(b, 200, 100), yuv_at(ref_second, 320, 240, 200, 100));

  // Both frames are still held, yet their device buffers went back at once.
  EXPECT_EQ(capture->frames_held(), 0U);
  EXPECT_EQ(state->total_queued(), 4U + 2U);
  capture->close();
  EXPECT_FALSE(state->is_open());              // nothing of the device's is held
  EXPECT_EQ(compare_i420(a, ref_first).y, 0);  // decoded frames own their pixels
}

TEST_F(MjpegTest, CaptureSkipsMjpegBuffersThatDoNotDecodeAndCountsThem) {
  const std::vector<std::uint8_t> good = make_jpeg(320, 240, "yuvj420p");
  std::vector<std::uint8_t> bad = {0xFF, 0xD8, 0xFF, 0xE0};
  bad.resize(500, 0x11);
  auto capture = Capture::open(std::make_unique<FakeDevice>(mjpeg_camera({bad, good})), "/dev/video0").value();
  capture->configure({.width = 320, .height = 240, .fps = 30}).value();
  capture->start().value();
  const VideoFrame f = capture->next_frame(milliseconds(1000)).value().value();
  EXPECT_EQ(f.frame_number(), 1U);
  EXPECT_EQ(capture->stats().decode_errors, 1U);
  EXPECT_EQ(capture->stats().frames, 1U);
}

}  // namespace
}  // namespace streamlib::v4l2
