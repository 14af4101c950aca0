// Window tests on a private Xvfb: what the window shows is read back from the X server (a
// screenshot of the window's area) and compared with the frame sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "sdl_common/video_window.h"
#include "sdl_common/window.h"
#include "xvfb.h"

namespace streamlib::sdl {
namespace {

using testing::Rgb;
using testing::Screenshot;
using testing::XClient;
using testing::Xvfb;

constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kGreen{0, 255, 0};
constexpr Rgb kBlue{0, 0, 255};
constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kMagenta{255, 0, 255};
constexpr Rgb kCyan{0, 255, 255};
constexpr Rgb kBlack{0, 0, 0};

// The test picture (320x180 by default): a magenta stripe down the left 1/8, a cyan one down
// the right 1/8, and between them four quadrants split at the centre: red, green / blue, white.
Rgb pattern(int x, int y, int w, int h) {
  if (x < w / 8) return kMagenta;
  if (x >= w - w / 8) return kCyan;
  const bool right = x >= w / 2;
  const bool bottom = y >= h / 2;
  if (!bottom) return right ? kGreen : kRed;
  return right ? kWhite : kBlue;
}

// Full-range BT.601 (JPEG) RGB -> YUV.
void to_yuv(const Rgb& c, int* y, int* u, int* v) {
  const double r = c.r;
  const double g = c.g;
  const double b = c.b;
  const auto clamp = [](double x) { return static_cast<int>(std::lround(std::clamp(x, 0.0, 255.0))); };
  *y = clamp(0.299 * r + 0.587 * g + 0.114 * b);
  *u = clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128.0);
  *v = clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128.0);
}

VideoFrame make_frame(PixelFormat format, int w = 320, int h = 180) {
  WritableVideoFrame f(w, h, format);
  const auto u8 = [](int v) { return static_cast<std::uint8_t>(v); };
  switch (format) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra: {
      auto p = f.plane(0);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const Rgb c = pattern(x, y, w, h);
          std::uint8_t* px = p.data() + static_cast<std::size_t>(y) * f.stride(0) + static_cast<std::size_t>(x) * 4;
          px[0] = u8(format == PixelFormat::kRgba ? c.r : c.b);
          px[1] = u8(c.g);
          px[2] = u8(format == PixelFormat::kRgba ? c.b : c.r);
          px[3] = 255;
        }
      }
      break;
    }
    case PixelFormat::kI420:
    case PixelFormat::kNv12:
    case PixelFormat::kYuyv: {
      f.set_color(ColorRange::kFull, ColorMatrix::kBt601);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          int Y = 0;
          int U = 0;
          int V = 0;
          to_yuv(pattern(x, y, w, h), &Y, &U, &V);
          if (format == PixelFormat::kYuyv) {
            std::uint8_t* row = f.plane(0).data() + static_cast<std::size_t>(y) * f.stride(0);
            row[x * 2] = u8(Y);
            row[(x / 2) * 4 + 1] = u8(U);  // chroma from the pair's left pixel (both equal here)
            row[(x / 2) * 4 + 3] = u8(V);
            continue;
          }
          f.plane(0)[static_cast<std::size_t>(y) * f.stride(0) + static_cast<std::size_t>(x)] = u8(Y);
          if (x % 2 != 0 || y % 2 != 0) continue;
          const std::size_t cy = static_cast<std::size_t>(y / 2);
          const std::size_t cx = static_cast<std::size_t>(x / 2);
          if (format == PixelFormat::kI420) {
            f.plane(1)[cy * f.stride(1) + cx] = u8(U);
            f.plane(2)[cy * f.stride(2) + cx] = u8(V);
          } else {
            f.plane(1)[cy * f.stride(1) + 2 * cx] = u8(U);
            f.plane(1)[cy * f.stride(1) + 2 * cx + 1] = u8(V);
          }
        }
      }
      break;
    }
    case PixelFormat::kI422:
    case PixelFormat::kI444:
    case PixelFormat::kP010:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10: {
      // Planar (or P010's interleaved) chroma at this format's grid; 10-bit values in 16-bit words.
      f.set_color(ColorRange::kFull, ColorMatrix::kBt601);
      const bool wide = bit_depth(format) > 8;
      const bool p010 = format == PixelFormat::kP010;
      const int sx = format == PixelFormat::kI444 || format == PixelFormat::kYuv444p10 ? 0 : 1;
      const int sy = p010 || format == PixelFormat::kYuv420p10 ? 1 : 0;
      auto put = [&](int plane, int x, int y, int v8) {
        std::uint8_t* row = f.plane(plane).data() + static_cast<std::size_t>(y) * f.stride(plane);
        if (!wide) {
          row[x] = u8(v8);
          return;
        }
        const int v = p010 ? v8 << 8 : v8 << 2;
        row[2 * x] = u8(v & 0xff);
        row[2 * x + 1] = u8(v >> 8);
      };
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          int Y = 0;
          int U = 0;
          int V = 0;
          to_yuv(pattern(x, y, w, h), &Y, &U, &V);
          put(0, x, y, Y);
          if (x % (1 << sx) != 0 || y % (1 << sy) != 0) continue;
          if (p010) {
            put(1, 2 * (x >> sx), y >> sy, U);
            put(1, 2 * (x >> sx) + 1, y >> sy, V);
          } else {
            put(1, x >> sx, y >> sy, U);
            put(2, x >> sx, y >> sy, V);
          }
        }
      }
      break;
    }
    default:
      break;
  }
  return std::move(f).freeze();
}

VideoFrame solid_frame(int w, int h, Rgb c) {
  WritableVideoFrame f(w, h, PixelFormat::kRgba);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* px =
          f.plane(0).data() + static_cast<std::size_t>(y) * f.stride(0) + static_cast<std::size_t>(x) * 4;
      px[0] = static_cast<std::uint8_t>(c.r);
      px[1] = static_cast<std::uint8_t>(c.g);
      px[2] = static_cast<std::uint8_t>(c.b);
      px[3] = 255;
    }
  }
  return std::move(f).freeze();
}

bool near(const Rgb& a, const Rgb& b, int tolerance = 24) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance && std::abs(a.b - b.b) <= tolerance;
}

struct Probe {
  int x;
  int y;
  Rgb expected;
};

std::string unique_title(std::string_view what) {
  static std::atomic<int> n{0};
  return fmt::format("streamlib-{}-{}-{}", what, getpid(), n.fetch_add(1));
}

class XvfbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    xvfb_ = Xvfb::start(1024, 768, &error);
    ASSERT_TRUE(xvfb_) << "cannot start Xvfb: " << error;
    x_ = XClient::connect(xvfb_->display());
    ASSERT_TRUE(x_) << "cannot connect to " << xvfb_->display();
  }
  void TearDown() override {
    x_.reset();
    xvfb_.reset();
  }

  // The X window with this title, waiting for it to be mapped.
  unsigned long wait_window(const std::string& title) {
    for (int i = 0; i < 300; ++i) {
      if (unsigned long w = x_->find_window(title)) return w;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }

  // Waits (up to 5 s) until every probe shows its colour; the failure lists what was seen.
  ::testing::AssertionResult shows(unsigned long window, const std::vector<Probe>& probes, int tolerance = 24) {
    std::string last;
    for (int attempt = 0; attempt < 250; ++attempt) {
      Screenshot shot;
      if (x_->grab(window, &shot)) {
        last.clear();
        for (const auto& p : probes) {
          if (p.x >= shot.width || p.y >= shot.height) {
            last += fmt::format(" ({},{}) outside {}x{};", p.x, p.y, shot.width, shot.height);
            continue;
          }
          const Rgb got = shot.at(p.x, p.y);
          if (!near(got, p.expected, tolerance)) {
            last += fmt::format(" ({},{}) is {} not {};", p.x, p.y, testing::to_string(got),
                                testing::to_string(p.expected));
          }
        }
        if (last.empty()) return ::testing::AssertionSuccess();
      } else {
        last = " window not readable";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ::testing::AssertionFailure() << "screen does not match:" << last;
  }

  std::unique_ptr<Xvfb> xvfb_;
  std::unique_ptr<XClient> x_;
};

// Where the quadrants of the 320x180 pattern land in a 400x400 window, per mode.
std::vector<Probe> expected_probes(ScalingMode mode) {
  switch (mode) {
    case ScalingMode::kStretch:  // x scale 1.25, y scale 2.22: stripes at x < 50 and x >= 350
      return {{125, 100, kRed},    {275, 100, kGreen}, {125, 300, kBlue}, {275, 300, kWhite},
              {20, 200, kMagenta}, {380, 200, kCyan},  {20, 5, kMagenta}, {380, 395, kCyan}};
    case ScalingMode::kLetterbox:  // 400x225 at y = 87: black above 87 and from 312
      return {{125, 143, kRed},    {275, 143, kGreen}, {125, 255, kBlue}, {275, 255, kWhite},
              {20, 200, kMagenta}, {380, 200, kCyan},  {200, 40, kBlack}, {200, 360, kBlack},
              {5, 80, kBlack},     {395, 320, kBlack}, {150, 90, kRed},   {250, 309, kWhite}};
    case ScalingMode::kCrop:  // source columns 70..249 fill the window: no stripes, no bars
      return {{125, 100, kRed}, {275, 100, kGreen}, {125, 300, kBlue}, {275, 300, kWhite},
              {3, 3, kRed},     {396, 3, kGreen},   {3, 396, kBlue},   {396, 396, kWhite}};
  }
  return {};
}

struct FormatAndMode {
  PixelFormat format;
  ScalingMode mode;
};

class ScalingOnScreen : public XvfbTest, public ::testing::WithParamInterface<FormatAndMode> {};

TEST_P(ScalingOnScreen, TheWindowShowsTheFrameScaledAsAsked) {
  const auto [format, mode] = GetParam();
  const std::string title = unique_title("scaling");
  auto window = Window::open({.title = title, .width = 400, .height = 400, .scaling = mode});
  ASSERT_TRUE(window) << window.error().message();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  int w = 0;
  int h = 0;
  ASSERT_TRUE(x_->size(xw, &w, &h));
  ASSERT_EQ(w, 400);
  ASSERT_EQ(h, 400);
  const auto shown = (*window)->show(make_frame(format));
  ASSERT_TRUE(shown) << shown.error().message();
  // YUV goes through SDL's 8-bit conversion: a little looser.
  EXPECT_TRUE(shows(xw, expected_probes(mode), format == PixelFormat::kRgba || format == PixelFormat::kBgra ? 8 : 24))
      << enum_name(format) << " " << enum_name(mode) << " renderer " << (*window)->stats().renderer;
}

std::vector<FormatAndMode> all_formats_and_modes() {
  std::vector<FormatAndMode> v;
  for (auto f : {PixelFormat::kRgba, PixelFormat::kBgra, PixelFormat::kI420, PixelFormat::kNv12, PixelFormat::kYuyv}) {
    for (auto m : {ScalingMode::kStretch, ScalingMode::kLetterbox, ScalingMode::kCrop}) v.push_back({f, m});
  }
  // Formats SDL 2 has no texture for (brought to I420 by the window): one mode each.
  for (auto f :
       {PixelFormat::kI422, PixelFormat::kI444, PixelFormat::kP010, PixelFormat::kYuv420p10, PixelFormat::kYuv444p10}) {
    v.push_back({f, ScalingMode::kLetterbox});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Formats, ScalingOnScreen, ::testing::ValuesIn(all_formats_and_modes()), [](const auto& p) {
  return fmt::format("{}_{}", enum_name(p.param.format), enum_name(p.param.mode));
});

TEST_F(XvfbTest, TheSoftwareRendererShowsTheSame) {
  for (auto format : {PixelFormat::kRgba, PixelFormat::kI420, PixelFormat::kNv12}) {
    const std::string title = unique_title("software");
    auto window = Window::open(
        {.title = title, .width = 400, .height = 400, .scaling = ScalingMode::kLetterbox, .renderer = "software"});
    ASSERT_TRUE(window) << window.error().message();
    EXPECT_EQ((*window)->stats().renderer, "software");
    const unsigned long xw = wait_window(title);
    ASSERT_NE(xw, 0u);
    ASSERT_TRUE((*window)->show(make_frame(format)));
    EXPECT_TRUE(shows(xw, expected_probes(ScalingMode::kLetterbox), format == PixelFormat::kRgba ? 8 : 24))
        << enum_name(format);
  }
}

TEST_F(XvfbTest, AnUnknownRendererIsNamed) {
  auto window = Window::open({.title = unique_title("renderer"), .renderer = "no-such-renderer"});
  ASSERT_FALSE(window);
  EXPECT_EQ(window.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(window.error().message().find("'no-such-renderer'"), std::string::npos) << window.error().message();
  EXPECT_NE(window.error().message().find("software"), std::string::npos) << window.error().message();
}

TEST_F(XvfbTest, LiveScalingChangeRedrawsTheLastFrame) {
  const std::string title = unique_title("live-scaling");
  auto window = Window::open({.title = title, .width = 400, .height = 400, .scaling = ScalingMode::kStretch}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  ASSERT_TRUE(window->show(make_frame(PixelFormat::kRgba)));
  EXPECT_TRUE(shows(xw, expected_probes(ScalingMode::kStretch), 8));
  ASSERT_TRUE(window->set_scaling(ScalingMode::kLetterbox));
  EXPECT_TRUE(shows(xw, expected_probes(ScalingMode::kLetterbox), 8));
  ASSERT_TRUE(window->set_scaling(ScalingMode::kCrop));
  EXPECT_TRUE(shows(xw, expected_probes(ScalingMode::kCrop), 8));
  EXPECT_EQ(window->config().scaling, ScalingMode::kCrop);
}

TEST_F(XvfbTest, LiveTitleAndSizeChanges) {
  const std::string title = unique_title("live-size");
  auto window = Window::open({.title = title, .width = 400, .height = 400}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  ASSERT_TRUE(window->show(make_frame(PixelFormat::kRgba)));
  EXPECT_TRUE(shows(xw, expected_probes(ScalingMode::kLetterbox), 8));

  const std::string renamed = title + "-renamed";
  ASSERT_TRUE(window->set_title(renamed));
  // The new title reaches the X server asynchronously (CI once read the old one): wait for it,
  // as for the size below.
  std::string seen = x_->title(xw);
  for (int i = 0; i < 250 && seen != renamed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = x_->title(xw);
  }
  EXPECT_EQ(seen, renamed);
  EXPECT_EQ(window->config().title, renamed);

  // 640x360 has the picture's aspect: letterbox fills it, no bars.
  ASSERT_TRUE(window->set_size(640, 360));
  int w = 0;
  int h = 0;
  for (int i = 0; i < 250 && !(w == 640 && h == 360); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(x_->size(xw, &w, &h));
  }
  EXPECT_EQ(w, 640);
  EXPECT_EQ(h, 360);
  EXPECT_TRUE(shows(
      xw,
      {{3, 3, kMagenta}, {636, 356, kCyan}, {200, 80, kRed}, {440, 80, kGreen}, {200, 280, kBlue}, {440, 280, kWhite}},
      8));
  bool resized_seen = false;
  for (int i = 0; i < 100 && !resized_seen; ++i) {
    const auto e = window->take_events();
    resized_seen = e.resized && e.width == 640 && e.height == 360;
    if (!resized_seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(resized_seen);
}

// Xvfb has no window manager, and SDL's X11 fullscreen is a _NET_WM_STATE request to one: the
// geometry cannot change here. What is checked: the toggle is accepted both ways, the config
// follows, and the window comes back at its own size showing the same frame.
TEST_F(XvfbTest, FullscreenTogglesLive) {
  const std::string title = unique_title("fullscreen");
  auto window = Window::open({.title = title, .width = 400, .height = 300}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  ASSERT_TRUE(window->show(solid_frame(64, 48, kGreen)));
  ASSERT_TRUE(window->set_fullscreen(true));
  EXPECT_TRUE(window->config().fullscreen);
  ASSERT_TRUE(window->set_fullscreen(false));
  EXPECT_FALSE(window->config().fullscreen);
  int w = 0;
  int h = 0;
  for (int i = 0; i < 300 && !(w == 400 && h == 300); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(x_->size(xw, &w, &h));
  }
  EXPECT_EQ(w, 400);
  EXPECT_EQ(h, 300);
  EXPECT_TRUE(shows(xw, {{5, 5, kGreen}, {394, 294, kGreen}, {200, 150, kGreen}}, 8));
}

TEST_F(XvfbTest, TheTextureIsRemadeOnlyWhenSizeOrFormatChanges) {
  const std::string title = unique_title("texture");
  auto window = Window::open({.title = title, .width = 320, .height = 240}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(window->show(solid_frame(64, 48, kRed)));
  EXPECT_EQ(window->stats().textures_created, 1u);
  EXPECT_EQ(window->stats().frames_shown, 3u);
  ASSERT_TRUE(window->show(solid_frame(32, 24, kBlue)));  // new size
  EXPECT_EQ(window->stats().textures_created, 2u);
  EXPECT_TRUE(shows(xw, {{160, 120, kBlue}}, 8));
  ASSERT_TRUE(window->show(make_frame(PixelFormat::kI420, 32, 24)));  // new format
  EXPECT_EQ(window->stats().textures_created, 3u);
  ASSERT_TRUE(window->show(make_frame(PixelFormat::kI420, 32, 24)));
  EXPECT_EQ(window->stats().textures_created, 3u);
}

TEST_F(XvfbTest, PostedFramesAreShownAndTheLatestWins) {
  const std::string title = unique_title("post");
  auto window = Window::open({.title = title, .width = 320, .height = 240}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(window->post(solid_frame(16, 12, i % 2 == 0 ? kRed : kBlue)));
  ASSERT_TRUE(window->post(solid_frame(16, 12, kWhite)));
  EXPECT_TRUE(shows(xw, {{160, 120, kWhite}}, 8));
  EXPECT_EQ(window->stats().frames_shown + window->frames_dropped(), 51u);
}

TEST_F(XvfbTest, Gray8IsRefusedWithAClearError) {
  auto window = Window::open({.title = unique_title("gray"), .width = 320, .height = 240}).value();
  WritableVideoFrame f(16, 16, PixelFormat::kGray8);
  const VideoFrame gray = std::move(f).freeze();
  auto shown = window->show(gray);
  ASSERT_FALSE(shown);
  EXPECT_EQ(shown.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(shown.error().message().find("gray8"), std::string::npos) << shown.error().message();
  auto posted = window->post(gray);
  ASSERT_FALSE(posted);
  EXPECT_EQ(posted.error().code(), ErrorCode::kUnsupported);
}

TEST_F(XvfbTest, ClosingTheWindowThroughXIsAReportedCloseRequest) {
  const std::string title = unique_title("close");
  auto window = Window::open({.title = title, .width = 320, .height = 240}).value();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  EXPECT_FALSE(window->close_requested());
  x_->send_delete_window(xw);
  EXPECT_TRUE(window->wait_close_requested(std::chrono::seconds(5)));
  EXPECT_TRUE(window->close_requested());
  EXPECT_TRUE(window->take_events().close_requested);
  // The window stays until its owner closes it.
  EXPECT_NE(x_->find_window(title), 0u);
  window.reset();
  for (int i = 0; i < 300 && x_->find_window(title) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(x_->find_window(title), 0u);
}

TEST_F(XvfbTest, VideoWindowPumpReportsTheCloseRequestOnItsThread) {
  const std::string title = unique_title("pump");
  auto window = VideoWindow::open({.title = title, .width = 320, .height = 240});
  ASSERT_TRUE(window) << window.error().message();
  const unsigned long xw = wait_window(title);
  ASSERT_NE(xw, 0u);
  x_->send_delete_window(xw);
  bool closed = false;
  for (int i = 0; i < 500 && !closed; ++i) {
    auto e = (*window)->pump_events();
    ASSERT_TRUE(e) << e.error().message();
    closed = e->close_requested;
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE((*window)->close_requested());
}

TEST_F(XvfbTest, VideoWindowRefusesCallsFromAnotherThread) {
  auto window = VideoWindow::open({.title = unique_title("affinity"), .width = 320, .height = 240}).value();
  Result<void> shown;
  Result<std::unique_ptr<VideoWindow>> second;
  std::thread other([&] {
    shown = window->show(solid_frame(16, 16, kRed));
    second = VideoWindow::open({.title = "second", .width = 100, .height = 100});
  });
  other.join();
  ASSERT_FALSE(shown);
  EXPECT_EQ(shown.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(shown.error().message().find("one thread"), std::string::npos) << shown.error().message();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kFailedPrecondition);
  // On its own thread it works.
  EXPECT_TRUE(window->show(solid_frame(16, 16, kRed)));
}

TEST_F(XvfbTest, WindowsFromSeveralThreadsShareTheVideoThread) {
  constexpr int kThreads = 3;
  const Rgb colours[kThreads] = {kRed, kGreen, kBlue};
  std::vector<std::string> titles;
  for (int i = 0; i < kThreads; ++i) titles.push_back(unique_title(fmt::format("multi{}", i)));
  std::vector<std::unique_ptr<Window>> windows(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto w = Window::open(
          {.title = titles[static_cast<std::size_t>(i)], .width = 200, .height = 150, .x = 10 + 250 * i, .y = 10});
      if (!w) {
        ++failures;
        return;
      }
      for (int n = 0; n < 20; ++n) {
        if (!(*w)->show(solid_frame(40, 30, colours[i]))) ++failures;
        if (!(*w)->set_title(titles[static_cast<std::size_t>(i)])) ++failures;
      }
      windows[static_cast<std::size_t>(i)] = std::move(*w);
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  for (int i = 0; i < kThreads; ++i) {
    const unsigned long xw = wait_window(titles[static_cast<std::size_t>(i)]);
    ASSERT_NE(xw, 0u);
    EXPECT_TRUE(shows(xw, {{100, 75, colours[i]}}, 8));
  }
}

// No display at all: the error names the cause.
TEST(NoDisplay, OpeningAWindowFailsWithAClearError) {
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  auto direct = VideoWindow::open({.title = "nowhere"});
  ASSERT_FALSE(direct);
  EXPECT_EQ(direct.error().code(), ErrorCode::kIo);
  EXPECT_EQ(direct.error().message().rfind("no display: SDL_Init(VIDEO) failed: ", 0), 0u) << direct.error().message();
  EXPECT_NE(direct.error().message().find("DISPLAY is not set"), std::string::npos) << direct.error().message();

  auto threaded = Window::open({.title = "nowhere"});
  ASSERT_FALSE(threaded);
  EXPECT_EQ(threaded.error().message(), direct.error().message());
}

TEST(NoDisplay, ABadDisplayIsNamed) {
  setenv("DISPLAY", ":987", 1);
  auto w = VideoWindow::open({.title = "nowhere"});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message().rfind("no display: SDL_Init(VIDEO) failed: ", 0), 0u) << w.error().message();
  EXPECT_NE(w.error().message().find("DISPLAY=:987"), std::string::npos) << w.error().message();
}

TEST(WindowConfigCheck, BadSizeIsRefusedBeforeTouchingSdl) {
  auto w = VideoWindow::open({.title = "bad", .width = 0, .height = 10});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamlib::sdl
