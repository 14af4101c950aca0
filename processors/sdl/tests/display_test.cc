// Display under a private Xvfb: a screenshot of its window is compared with the frame sent.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "sdl/sdl_processors.h"
#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"
#include "streamlib/testing/processor_harness.h"
#include "xvfb.h"

namespace streamlib {
namespace {

using sdl::testing::Rgb;
using sdl::testing::Screenshot;

constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kGreen{0, 255, 0};
constexpr Rgb kBlue{0, 0, 255};
constexpr Rgb kWhite{255, 255, 255};

// 320x180 RGBA: red, green / blue, white quadrants.
VideoFrame quadrants() {
  WritableVideoFrame w(320, 180, PixelFormat::kRgba);
  for (int y = 0; y < 180; ++y) {
    std::uint8_t* row = w.plane(0).data() + static_cast<std::ptrdiff_t>(y) * w.stride(0);
    for (int x = 0; x < 320; ++x) {
      const Rgb c = y < 90 ? (x < 160 ? kRed : kGreen) : (x < 160 ? kBlue : kWhite);
      row[x * 4 + 0] = static_cast<std::uint8_t>(c.r);
      row[x * 4 + 1] = static_cast<std::uint8_t>(c.g);
      row[x * 4 + 2] = static_cast<std::uint8_t>(c.b);
      row[x * 4 + 3] = 255;
    }
  }
  return std::move(w).freeze();
}

bool near(const Rgb& a, const Rgb& b) {
  return std::abs(a.r - b.r) <= 24 && std::abs(a.g - b.g) <= 24 && std::abs(a.b - b.b) <= 24;
}

// A source of the quadrant frame every 10 ms, for ever.
class QuadrantSource : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(QuadrantSource, "Test video source", Continuous{std::chrono::milliseconds(10)});
  LinkOutput<VideoFrame> video{this, "video"};
  Result<void> process() override {
    video.push(frame_);
    return {};
  }

 private:
  VideoFrame frame_ = quadrants();
};

class DisplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    xvfb_ = sdl::testing::Xvfb::start(1024, 768, &error);
    ASSERT_TRUE(xvfb_) << "cannot start Xvfb: " << error;
    x_ = sdl::testing::XClient::connect(xvfb_->display());
    ASSERT_TRUE(x_);
  }
  void TearDown() override {
    x_.reset();
    xvfb_.reset();
  }
  unsigned long wait_window(const std::string& title) {
    for (int i = 0; i < 500; ++i) {
      if (unsigned long w = x_->find_window(title)) return w;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  // Waits (up to 5 s) until the window shows the quadrants, stretched over its whole area.
  ::testing::AssertionResult shows_quadrants(unsigned long window) {
    std::string last;
    for (int attempt = 0; attempt < 250; ++attempt) {
      Screenshot shot;
      if (x_->grab(window, &shot) && shot.width >= 4 && shot.height >= 4) {
        const int w = shot.width;
        const int h = shot.height;
        const Rgb got[4] = {shot.at(w / 4, h / 4), shot.at(3 * w / 4, h / 4), shot.at(w / 4, 3 * h / 4),
                            shot.at(3 * w / 4, 3 * h / 4)};
        const Rgb want[4] = {kRed, kGreen, kBlue, kWhite};
        bool all = true;
        last.clear();
        for (int i = 0; i < 4; ++i) {
          if (!near(got[i], want[i])) {
            all = false;
            last += " " + sdl::testing::to_string(got[i]) + " not " + sdl::testing::to_string(want[i]) + ";";
          }
        }
        if (all) return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ::testing::AssertionFailure() << "screen does not match:" << last;
  }

  std::unique_ptr<sdl::testing::Xvfb> xvfb_;
  std::unique_ptr<sdl::testing::XClient> x_;
};

TEST_F(DisplayTest, ShowsTheFrameSentInItsWindow) {
  ProcessorHarness<Display> h(
      {.title = "streamlib-display-harness", .width = 400, .height = 300, .scaling = sdl::ScalingMode::kStretch});
  ASSERT_TRUE(h.start());
  const unsigned long xw = wait_window("streamlib-display-harness");
  ASSERT_NE(xw, 0u);
  ASSERT_TRUE(h.push("video", quadrants()));
  ASSERT_TRUE(h.run());
  EXPECT_TRUE(shows_quadrants(xw));
  // Closing the window ends the stream at the next frame.
  x_->send_delete_window(xw);
  bool finished = false;
  for (int i = 0; i < 250 && !finished; ++i) {
    ASSERT_TRUE(h.push("video", quadrants()));
    ASSERT_TRUE(h.run());
    finished = h.finished();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(finished);
  ASSERT_TRUE(h.stop());
}

// A phone's portrait video: the quadrants stored 320x180 with a display matrix turning them
// 90 degrees counterclockwise. Upright they are 180x320: green, white / red, blue.
TEST_F(DisplayTest, TurnsARotatedFrameUprightAndLetterboxesItsTurnedSize) {
  ProcessorHarness<Display> h(
      {.title = "streamlib-display-rotated", .width = 400, .height = 300, .scaling = sdl::ScalingMode::kLetterbox});
  ASSERT_TRUE(h.start());
  const unsigned long xw = wait_window("streamlib-display-rotated");
  ASSERT_NE(xw, 0u);
  const VideoFrame stored = quadrants();
  WritableVideoFrame w(320, 180, PixelFormat::kRgba);
  std::copy(stored.plane(0).begin(), stored.plane(0).end(), w.plane(0).begin());
  w.set_rotation_degrees(90);
  ASSERT_TRUE(h.push("video", std::move(w).freeze()));
  ASSERT_TRUE(h.run());
  std::string last;
  bool shown = false;
  for (int attempt = 0; attempt < 250 && !shown; ++attempt) {
    Screenshot shot;
    if (x_->grab(xw, &shot) && shot.width >= 40 && shot.height >= 40) {
      // The turned picture's 180:320 at the window's full height, centred; black bars beside it.
      const int pw = shot.height * 180 / 320;
      const int x0 = (shot.width - pw) / 2;
      const int h4 = shot.height / 4;
      const Rgb got[6] = {shot.at(x0 + pw / 4, h4),         shot.at(x0 + 3 * pw / 4, h4),
                          shot.at(x0 + pw / 4, 3 * h4),     shot.at(x0 + 3 * pw / 4, 3 * h4),
                          shot.at(x0 / 2, shot.height / 2), shot.at(shot.width - x0 / 2, shot.height / 2)};
      const Rgb want[6] = {kGreen, kWhite, kRed, kBlue, Rgb{0, 0, 0}, Rgb{0, 0, 0}};
      shown = true;
      last.clear();
      for (int i = 0; i < 6; ++i) {
        if (!near(got[i], want[i])) {
          shown = false;
          last += " " + sdl::testing::to_string(got[i]) + " not " + sdl::testing::to_string(want[i]) + ";";
        }
      }
    }
    if (!shown) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(shown) << "screen does not match:" << last;
  ASSERT_TRUE(h.stop());
}

TEST_F(DisplayTest, ATitleChangeAppliesLive) {
  ProcessorHarness<Display> h({.title = "streamlib-before", .width = 320, .height = 180});
  ASSERT_TRUE(h.start());
  ASSERT_NE(wait_window("streamlib-before"), 0u);
  ASSERT_TRUE(h.set_config({.title = "streamlib-after", .width = 320, .height = 180}));
  ASSERT_NE(wait_window("streamlib-after"), 0u);
  ASSERT_TRUE(h.stop());
}

TEST_F(DisplayTest, ShowsASourceInAStreamRuntimeAndEndsWhenTheWindowIsClosed) {
  (void)ProcessorFactory::global().register_type<QuadrantSource>();
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<QuadrantSource>({}, "src"));
  ASSERT_TRUE(rt.add_processor(
      "Display", {{"title", "streamlib-display-runtime"}, {"width", 640}, {"height", 360}, {"scaling", "stretch"}},
      "screen"));
  ASSERT_TRUE(rt.connect("src.video", "screen.video"));
  ASSERT_TRUE(rt.start());
  const unsigned long xw = wait_window("streamlib-display-runtime");
  ASSERT_NE(xw, 0u);
  EXPECT_TRUE(shows_quadrants(xw));
  x_->send_delete_window(xw);
  bool finished = false;
  for (int i = 0; i < 500 && !finished; ++i) {
    auto stats = rt.stats();
    const ProcessorStats* screen = stats.find_processor(ProcessorId("screen"));
    finished = screen != nullptr && screen->state == ProcessorState::kFinished;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(finished);
  ASSERT_TRUE(rt.stop());
}

TEST(DisplayWithoutX, NoDisplayIsAClearErrorAtSetup) {
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  ProcessorHarness<Display> h({.title = "nowhere"});
  auto r = h.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("no display"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("Display"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace streamlib
