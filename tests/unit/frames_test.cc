// Frames: plane layout, immutability by type, sharing without copying, pooling.
#include <gtest/gtest.h>

#include <cstring>
#include <new>
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
