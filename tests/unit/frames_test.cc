// Frames: plane layout, immutability by type, sharing without copying, pooling.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "streamlib/frames/any_frame.h"

namespace streamlib {
namespace {

TEST(FramesTest, VideoPlanesAreLaidOutPerFormat) {
  WritableVideoFrame rgba(100, 50, PixelFormat::kRgba);
  EXPECT_EQ(rgba.plane_count(), 1);
  EXPECT_EQ(rgba.stride(0), 416);  // 400 rounded up to 32
  EXPECT_EQ(rgba.plane(0).size(), 416u * 50u);

  WritableVideoFrame i420(101, 51, PixelFormat::kI420);
  ASSERT_EQ(i420.plane_count(), 3);
  EXPECT_EQ(i420.stride(0), 128);
  EXPECT_EQ(i420.stride(1), 64);  // ceil(101/2)=51 -> 64
  EXPECT_EQ(i420.plane(1).size(), 64u * 26u);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(i420.plane(p).data()) % 64, 0u) << "plane " << p;
  }
  WritableVideoFrame nv12(64, 32, PixelFormat::kNv12);
  ASSERT_EQ(nv12.plane_count(), 2);
  EXPECT_EQ(nv12.plane(1).size(), 64u * 16u);
  EXPECT_TRUE(nv12.plane(2).empty());
}

TEST(FramesTest, FrozenFramesAreSharedNotCopied) {
  WritableVideoFrame w(8, 8, PixelFormat::kBgra);
  std::memset(w.plane(0).data(), 0x7f, w.plane(0).size());
  w.set_frame_number(42);
  w.set_timestamp_ns(1000);
  w.metadata().set("source", "test");
  VideoFrame a = std::move(w).freeze();
  VideoFrame b = a;  // a handle copy
  EXPECT_EQ(a.buffer_id(), b.buffer_id());
  EXPECT_EQ(a.plane(0).data(), b.plane(0).data());
  EXPECT_EQ(a.use_count(), 2u);
  EXPECT_EQ(b.frame_number(), 42u);
  EXPECT_EQ(b.metadata().get("source"), "test");
  EXPECT_FALSE(b.metadata().get("missing").has_value());
  EXPECT_EQ(b.plane(0)[5], 0x7f);
}

TEST(FramesTest, PoolReusesBuffersSoSteadyStateAllocatesNothing) {
  VideoFramePool pool;
  const std::uint8_t* first = nullptr;
  for (int i = 0; i < 100; ++i) {
    VideoFrame f = pool.acquire(320, 240, PixelFormat::kI420).freeze();
    if (i == 0) first = f.plane(0).data();
    EXPECT_EQ(f.plane(0).data(), first);  // the same buffer every time
    EXPECT_EQ(f.frame_number(), 0u);      // header reset on reuse
  }
  EXPECT_EQ(pool.allocated(), 1u);
  EXPECT_EQ(pool.reused(), 99u);
}

TEST(FramesTest, FramesReleasedOnOtherThreadsComeBackWithoutLocks) {
  DataFramePool pool;
  std::vector<DataFrame> in_flight;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 40; ++i) in_flight.push_back(pool.acquire("t", 64).freeze());  // a deep link's worth
    std::thread consumer([frames = std::move(in_flight)]() mutable { frames.clear(); });
    consumer.join();
    in_flight.clear();
  }
  // 40 blocks were made in the first round; every later frame reused one.
  EXPECT_EQ(pool.allocated(), 40u);
  EXPECT_EQ(pool.reused(), 49u * 40u);
}

TEST(FramesTest, APoolDestroyedWithFramesInFlightFreesEverythingWhenTheyReturn) {
  std::vector<VideoFrame> survivors;
  {
    VideoFramePool pool;
    for (int i = 0; i < 5; ++i) survivors.push_back(pool.acquire(16, 16, PixelFormat::kRgba).freeze());
    (void)pool.acquire(16, 16, PixelFormat::kRgba).freeze();  // returned before the pool goes
  }
  std::thread([frames = std::move(survivors)]() mutable { frames.clear(); }).join();  // LeakSanitizer checks the rest
}

TEST(FramesTest, PoolOutlivesNothingItNeedsFramesKeepItAlive) {
  AudioFrame kept;
  {
    AudioFramePool pool;
    WritableAudioFrame w = pool.acquire(2, 48000, 480);
    for (float& s : w.samples()) s = 0.5f;
    kept = std::move(w).freeze();
  }  // pool gone, frame still valid, returns to the (kept-alive) pool core on release
  EXPECT_EQ(kept.channels(), 2);
  EXPECT_EQ(kept.samples().size(), 960u);
  EXPECT_EQ(kept.duration_ns(), 10'000'000);
  EXPECT_FLOAT_EQ(kept.samples()[959], 0.5f);
}

// The sanitizers report an impossible allocation as an error instead of throwing bad_alloc, so
// this one runs in the plain build.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST(FramesTest, AFailedGrowKeepsTheBufferItHad) {
  // resize() allocates before it frees: a bad_alloc leaves the old memory owned, once (freeing
  // first left a dangling pointer that the destructor freed again).
  internal::AlignedBuffer buffer;
  buffer.resize(256);
  std::memset(buffer.data(), 7, 256);
  const std::uint8_t* before = buffer.data();
  EXPECT_THROW(buffer.resize(std::size_t{1} << 62), std::bad_alloc);
  EXPECT_EQ(buffer.data(), before);
  EXPECT_EQ(buffer.capacity(), 256u);
  EXPECT_EQ(buffer.data()[255], 7);
}
#endif

TEST(FramesTest, AudioRejectsMoreThanEightChannels) {
  EXPECT_THROW(WritableAudioFrame(9, 48000, 10), std::invalid_argument);
  EXPECT_THROW(WritableAudioFrame(0, 48000, 10), std::invalid_argument);
  EXPECT_NO_THROW(WritableAudioFrame(8, 48000, 10));
}

TEST(FramesTest, DataFramesCarryBytesAndSchema) {
  DataFramePool pool;
  WritableDataFrame w = pool.acquire("json", 0);
  w.assign(R"({"x":1})");
  w.set_frame_number(7);
  DataFrame d = std::move(w).freeze();
  EXPECT_EQ(d.schema(), "json");
  EXPECT_EQ(d.text(), R"({"x":1})");
  AnyFrame any(d);
  ASSERT_NE(any.data(), nullptr);
  EXPECT_EQ(any.video(), nullptr);
  EXPECT_EQ(any.frame_number(), 7u);
  EXPECT_EQ(any.data()->buffer_id(), d.buffer_id());
  EXPECT_TRUE(AnyFrame().empty());
}

}  // namespace
}  // namespace streamlib

namespace streamlib {
namespace {

TEST(FrameModelTest, VideoFramesCarryMediaTimeColourAndKeyframes) {
  WritableVideoFrame w(64, 32, PixelFormat::kI420);
  w.set_timestamp_ns(1'000'000);
  w.set_duration_ns(33'333'333);
  w.set_color(ColorRange::kLimited, ColorMatrix::kBt709);
  w.set_keyframe(false);
  const VideoFrame f = std::move(w).freeze();
  EXPECT_EQ(f.timestamp_ns(), 1'000'000);
  EXPECT_EQ(f.duration_ns(), 33'333'333);
  EXPECT_EQ(f.color_range(), ColorRange::kLimited);
  EXPECT_EQ(f.color_matrix(), ColorMatrix::kBt709);
  EXPECT_FALSE(f.keyframe());
}

TEST(FrameModelTest, RotationIsAQuarterTurnThatSurvivesRetimingAndWrapping) {
  EXPECT_EQ(normalize_rotation(-90), 270);  // ffprobe's "rotation" of a phone's portrait video
  EXPECT_EQ(normalize_rotation(90.4), 90);
  EXPECT_EQ(normalize_rotation(540), 180);
  EXPECT_EQ(normalize_rotation(-360), 0);

  VideoFramePool pool;
  {
    WritableVideoFrame w = pool.acquire(64, 32, PixelFormat::kI420);
    EXPECT_EQ(w.rotation_degrees(), 0);
    w.set_rotation_degrees(-90);
    VideoFrame f = std::move(w).freeze();
    EXPECT_EQ(f.rotation_degrees(), 270);
    const VideoFrame other_reader = f;  // shared: re-timing makes a new header over the pixels
    const VideoFrame moved = internal::MediaTime<VideoFrame>::retimed(f, 5'000'000);
    EXPECT_NE(moved.buffer_id(), other_reader.buffer_id());
    EXPECT_EQ(moved.timestamp_ns(), 5'000'000);
    EXPECT_EQ(moved.rotation_degrees(), 270);
    EXPECT_EQ(internal::MediaTime<VideoFrame>::retimed(moved, 6'000'000).rotation_degrees(), 270);
  }

  std::vector<std::uint8_t> memory(64 * 32, 0);
  ExternalPlanes planes{.width = 64, .height = 32, .format = PixelFormat::kGray8};
  planes.data[0] = memory.data();
  planes.strides[0] = 64;
  WritableVideoFrame wrapped = pool.wrap(planes, nullptr);
  EXPECT_EQ(wrapped.rotation_degrees(), 0);
  wrapped.set_rotation_degrees(180);
  EXPECT_EQ(std::move(wrapped).freeze().rotation_degrees(), 180);
  // A pooled frame handed out again starts upright, whatever it carried before.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pool.acquire(64, 32, PixelFormat::kI420).rotation_degrees(), 0);
}

TEST(FrameModelTest, YuyvIsOnePackedPlaneOfTwoBytesAPixel) {
  WritableVideoFrame yuyv(640, 480, PixelFormat::kYuyv);
  ASSERT_EQ(yuyv.plane_count(), 1);
  EXPECT_EQ(yuyv.stride(0), 1280);
  EXPECT_EQ(yuyv.plane(0).size(), 1280u * 480u);
  WritableVideoFrame odd(5, 2, PixelFormat::kYuyv);  // a pixel pair is 4 bytes
  EXPECT_EQ(odd.stride(0), 32);
  EXPECT_EQ(enum_from_name<PixelFormat>("yuyv"), PixelFormat::kYuyv);
}

// Planes, row bytes (before the 32-byte stride rounding) and rows of each plane, for a 641x361
// picture (odd both ways: chroma rounds up).
struct Layout {
  PixelFormat format;
  const char* name;
  int bits;
  std::vector<std::pair<int, int>> planes;  // {row bytes, rows}
};

TEST(FrameModelTest, FourTwoTwoFourFourFourAndTenBitFormatsHaveTheirPlaneLayout) {
  const Layout layouts[] = {
      {PixelFormat::kI422, "i422", 8, {{641, 361}, {321, 361}, {321, 361}}},
      {PixelFormat::kI444, "i444", 8, {{641, 361}, {641, 361}, {641, 361}}},
      {PixelFormat::kP010, "p010", 10, {{1282, 361}, {1284, 181}}},  // Y words; interleaved U,V words
      {PixelFormat::kYuv420p10, "yuv420p10", 10, {{1282, 361}, {642, 181}, {642, 181}}},
      {PixelFormat::kYuv422p10, "yuv422p10", 10, {{1282, 361}, {642, 361}, {642, 361}}},
      {PixelFormat::kYuv444p10, "yuv444p10", 10, {{1282, 361}, {1282, 361}, {1282, 361}}},
  };
  auto round32 = [](int v) { return (v + 31) / 32 * 32; };
  for (const Layout& l : layouts) {
    SCOPED_TRACE(l.name);
    EXPECT_EQ(enum_from_name<PixelFormat>(l.name), l.format);
    EXPECT_EQ(enum_name(l.format), l.name);
    EXPECT_EQ(bit_depth(l.format), l.bits);
    WritableVideoFrame f(641, 361, l.format);
    ASSERT_EQ(f.plane_count(), static_cast<int>(l.planes.size()));
    ASSERT_EQ(plane_count(l.format), f.plane_count());
    for (int p = 0; p < f.plane_count(); ++p) {
      const auto [bytes, rows] = l.planes[static_cast<std::size_t>(p)];
      EXPECT_EQ(f.stride(p), round32(bytes)) << "plane " << p;
      EXPECT_EQ(f.plane(p).size(), static_cast<std::size_t>(round32(bytes)) * static_cast<std::size_t>(rows))
          << "plane " << p;
      EXPECT_EQ(plane_size(l.format, p, 361, f.stride(p)), f.plane(p).size()) << "plane " << p;
    }
  }
  // The 8-bit formats keep their depth.
  EXPECT_EQ(bit_depth(PixelFormat::kI420), 8);
  EXPECT_EQ(bit_depth(PixelFormat::kNv12), 8);
}

TEST(FrameModelTest, TenBitPlanesOfADecoderWrapWithoutACopyAndShortStridesAreRefused) {
  // A decoder's yuv420p10le picture: 16-bit words, chroma halved both ways.
  std::vector<std::uint8_t> y(128 * 8), u(64 * 4), v(64 * 4);
  VideoFramePool pool;
  ExternalPlanes planes{.width = 64, .height = 8, .format = PixelFormat::kYuv420p10};
  planes.data = {y.data(), u.data(), v.data(), nullptr};
  planes.strides = {128, 64, 64, 0};
  const VideoFrame f = pool.wrap(planes, [] {}).freeze();
  EXPECT_EQ(f.plane(0).data(), y.data());
  EXPECT_EQ(f.plane(2).data(), v.data());
  EXPECT_EQ(f.plane(1).size(), 64u * 4u);
  // A stride of 64 bytes holds only 32 ten-bit samples: too short for 64 pixels.
  planes.strides = {64, 64, 64, 0};
  EXPECT_THROW((void)pool.wrap(planes, [] {}), std::invalid_argument);
}

TEST(FrameModelTest, AudioFramesCarryTheirSamplePosition) {
  AudioFramePool pool;
  WritableAudioFrame w = pool.acquire(2, 48000, 480);
  w.set_sample_position(96000);
  const AudioFrame f = std::move(w).freeze();
  EXPECT_EQ(f.sample_position(), 96000);
  EXPECT_EQ(f.duration_ns(), 10'000'000);
}

TEST(FrameModelTest, ExternalMemoryIsReleasedExactlyOnceOnTheLastReader) {
  std::vector<std::uint8_t> device_buffer(64 * 16 * 2, 0x5a);  // a YUYV "device buffer"
  std::atomic<int> releases{0};
  VideoFramePool pool;
  {
    ExternalPlanes planes{.width = 64, .height = 16, .format = PixelFormat::kYuyv};
    planes.data[0] = device_buffer.data();
    planes.strides[0] = 128;
    WritableVideoFrame w = pool.wrap(planes, [&] { releases.fetch_add(1); });
    w.set_frame_number(7);
    VideoFrame a = std::move(w).freeze();
    EXPECT_TRUE(a.is_external());
    EXPECT_EQ(a.plane(0).data(), device_buffer.data());  // no copy
    EXPECT_EQ(a.plane(0).size(), 128u * 16u);
    VideoFrame b = a;
    std::thread reader([c = a]() mutable { c = VideoFrame(); });  // a reader on another thread
    reader.join();
    a = VideoFrame();
    EXPECT_EQ(releases.load(), 0);  // b still reads it
    EXPECT_EQ(b.plane(0)[0], 0x5a);
  }
  EXPECT_EQ(releases.load(), 1);
  // The storage block is pooled: wrapping again reuses it, and a plain frame from it is not
  // external any more.
  ExternalPlanes again{.width = 8, .height = 2, .format = PixelFormat::kGray8};
  again.data[0] = device_buffer.data();
  again.strides[0] = 8;
  {
    VideoFrame f = pool.wrap(again, [&] { releases.fetch_add(1); }).freeze();
  }
  EXPECT_EQ(releases.load(), 2);
  EXPECT_FALSE(pool.acquire(8, 8, PixelFormat::kRgba).freeze().is_external());
  EXPECT_EQ(pool.allocated(), 1u);
}

TEST(FrameModelTest, EncodedPacketsShareTheirCodecParameters) {
  auto params = std::make_shared<CodecParameters>(
      CodecParameters{.codec = "h264", .kind = MediaKind::kVideo, .width = 320, .height = 240});
  EncodedPacketPool pool;
  WritableEncodedPacket w = pool.acquire(params, 4);
  std::memcpy(w.bytes().data(), "\0\0\0\1", 4);
  w.set_pts_ns(40);
  w.set_dts_ns(0);
  w.set_keyframe(true);
  const EncodedPacket p = std::move(w).freeze();
  EXPECT_EQ(p.codec(), "h264");
  EXPECT_EQ(p.params().get(), params.get());  // shared, not copied
  EXPECT_EQ(p.pts_ns(), 40);
  EXPECT_TRUE(p.keyframe());
  EXPECT_EQ(p.bytes().size(), 4u);
  const AnyFrame any(p);
  ASSERT_NE(any.packet(), nullptr);
  EXPECT_EQ(any.timestamp_ns(), 40);
  // A wrapped payload is handed back once.
  int released = 0;
  static const std::uint8_t payload[3] = {1, 2, 3};
  {
    EncodedPacket q = pool.wrap(params, payload, [&] { ++released; }).freeze();
  }
  EXPECT_EQ(released, 1);
}

TEST(FrameModelTest, ABoundedPoolMakesBackpressureInsteadOfMemory) {
  VideoFramePool pool(/*max_in_flight=*/2);
  pool.reserve(2, 32, 32, PixelFormat::kRgba);
  EXPECT_EQ(pool.allocated(), 2u);
  auto a = pool.try_acquire(32, 32, PixelFormat::kRgba);
  auto b = pool.try_acquire(32, 32, PixelFormat::kRgba);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(pool.try_acquire(32, 32, PixelFormat::kRgba).has_value());  // at the bound
  EXPECT_EQ(pool.in_flight(), 2u);
  VideoFrame held = std::move(*a).freeze();
  // acquire() waits for a frame to come back: a slow consumer lets go of one later.
  std::thread consumer([&held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    held = VideoFrame();
  });
  const auto t0 = std::chrono::steady_clock::now();
  WritableVideoFrame c = pool.acquire(32, 32, PixelFormat::kRgba);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));
  consumer.join();
  EXPECT_EQ(pool.allocated(), 2u);  // reused, never grew
}

}  // namespace
}  // namespace streamlib
