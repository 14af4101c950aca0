// Steady state allocates nothing per frame in StreamLib's own code: test pictures, a scale and
// pixel-format conversion, and a sink in a real StreamRuntime, with every C++ heap allocation
// of the program counted (global operator new replaced in this executable only). FFmpeg's own
// buffers (av_malloc) are not C++ allocations and are not counted; the frames StreamLib hands
// around are, and come from pools.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <thread>

#include "ffmpeg/test_sources.h"
#include "ffmpeg/video_convert.h"
#include "null_sink/null_sink.h"
#include "streamlib/runtime/stream_runtime.h"

namespace {

std::atomic<std::uint64_t> g_allocations{0};
// The test's own thread polls stats (which builds JSON): its allocations are not the
// pipeline's, so it turns counting off for itself.
thread_local bool t_counted = true;

void* allocate(std::size_t size) {
  if (t_counted) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  if (t_counted) g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size + align - 1) / align * align;
  if (void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace streamlib {
namespace {

std::uint64_t received(StreamRuntime& rt) {
  const RuntimeStats s = rt.stats();
  const ProcessorStats* sink = s.find_processor(ProcessorId("sink"));
  return sink == nullptr ? 0 : sink->metrics.value("received", std::uint64_t{0});
}

// Waits until the sink has received at least `n` frames; returns how many it had then.
std::uint64_t wait_for_frames(StreamRuntime& rt, std::uint64_t n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    const std::uint64_t got = received(rt);
    if (got >= n || std::chrono::steady_clock::now() > until) return got;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

TEST(SteadyStateAllocation, TestPicturesThroughAConversionToASinkAllocateNothingPerFrame) {
  t_counted = false;
  (void)ProcessorFactory::global().register_type<NullSink>();
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<VideoTestSource>(
      {.width = 640, .height = 360, .pattern = VideoPattern::kBall, .live = false, .frames = 1000}, "src"));
  ASSERT_TRUE(rt.add_processor<VideoConvert>({.width = 320, .height = 180, .format = PixelFormat::kI420}, "convert"));
  ASSERT_TRUE(rt.add_processor<NullSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.video", "convert.in"));
  ASSERT_TRUE(rt.connect("convert.out", "sink.in"));
  ASSERT_TRUE(rt.start());

  // Warm-up: pools filled, converters made, threads started.
  const std::uint64_t from = wait_for_frames(rt, 100);
  const std::uint64_t allocations_before = g_allocations.load();
  const std::uint64_t to = wait_for_frames(rt, from + 300);
  const std::uint64_t allocations = g_allocations.load() - allocations_before;
  ASSERT_GE(to - from, 300u) << "the pipeline stalled";
  // Per frame would be 300 or more (a scratch row in the test source was one each, until this
  // test found it). A few may remain, none of them per frame: an unbounded pool makes a block
  // when the frames in flight reach a new high (the links bound them), and the runtime refills
  // its spare threads after start.
  RecordProperty("allocations", static_cast<int>(allocations));
  EXPECT_LE(allocations, 10u) << allocations << " C++ allocations over " << (to - from) << " frames";
  ASSERT_TRUE(rt.wait_until_finished(std::chrono::seconds(120)));
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
