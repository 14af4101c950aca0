// Choosing a capture mode from what a device offers: a pure function, tested on device
// descriptions written here.
#include "v4l2_common/format_selection.h"

#include <gtest/gtest.h>

#include "v4l2_common/fake_device.h"

namespace streamlib::v4l2 {
namespace {

constexpr std::uint32_t kNv12 = make_fourcc('N', 'V', '1', '2');
constexpr std::uint32_t kH264 = make_fourcc('H', '2', '6', '4');

SizeOption size(std::uint32_t w, std::uint32_t h, std::vector<std::uint32_t> rates) {
  SizeOption s;
  s.width = w;
  s.height = h;
  for (std::uint32_t r : rates) s.intervals.push_back({1, r});
  return s;
}

// Like a common USB 2 webcam: YUYV is full rate only at small sizes, MJPEG everywhere.
DeviceDescription webcam() {
  DeviceDescription d;
  d.formats.push_back({kFourccYuyv,
                       "YUYV 4:2:2",
                       {size(320, 240, {30, 15}), size(640, 480, {30, 15}), size(800, 600, {20, 10}),
                        size(1280, 720, {10, 5}), size(1920, 1080, {5})}});
  d.formats.push_back({kFourccMjpeg,
                       "Motion-JPEG",
                       {size(320, 240, {30}), size(640, 480, {30}), size(800, 600, {30}), size(1280, 720, {60, 30}),
                        size(1920, 1080, {30})}});
  return d;
}

DeviceDescription yuyv_only(std::vector<SizeOption> sizes) {
  DeviceDescription d;
  d.formats.push_back({kFourccYuyv, "YUYV 4:2:2", std::move(sizes)});
  return d;
}

FormatSelection pick(const DeviceDescription& d, FormatRequest request) { return select_format(d, request).value(); }

TEST(FormatSelection, TakesTheExactModeWhenTheDeviceOffersIt) {
  const FormatSelection s = pick(webcam(), {.width = 640, .height = 480, .fps = 30});
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_EQ(s.width, 640U);
  EXPECT_EQ(s.height, 480U);
  EXPECT_EQ(s.interval, (Fraction{1, 30}));
  EXPECT_DOUBLE_EQ(s.fps(), 30.0);
  EXPECT_EQ(s.reason, "yuyv 640x480 at 30 fps: exact match");
}

TEST(FormatSelection, AutoPrefersYuyvAtSmallSizesWhereItReachesTheRate) {
  const FormatSelection s = pick(webcam(), {.width = 320, .height = 240, .fps = 30});
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_EQ(s.width, 320U);
}

TEST(FormatSelection, AutoTakesMjpegWhenYuyvCannotReachTheRate) {
  const FormatSelection s = pick(webcam(), {.width = 1280, .height = 720, .fps = 30});
  EXPECT_EQ(s.fourcc, kFourccMjpeg);
  EXPECT_EQ(s.width, 1280U);
  EXPECT_EQ(s.height, 720U);
  EXPECT_EQ(s.interval, (Fraction{1, 30}));
  EXPECT_NE(s.reason.find("yuyv reaches only 1280x720 at 10 fps"), std::string::npos) << s.reason;
}

TEST(FormatSelection, AutoKeepsYuyvWhenItReachesALowRequestedRateAtALargeSize) {
  const FormatSelection s = pick(webcam(), {.width = 1920, .height = 1080, .fps = 5});
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_EQ(s.interval, (Fraction{1, 5}));
}

TEST(FormatSelection, AutoTakesMjpegWhenYuyvCannotReachTheSize) {
  DeviceDescription d;
  d.formats.push_back({kFourccYuyv, "YUYV", {size(640, 480, {30})}});
  d.formats.push_back({kFourccMjpeg, "MJPEG", {size(640, 480, {30}), size(1920, 1080, {15})}});
  // Size matters more than rate: MJPEG reaches 1080p (at a lower rate), YUYV does not at all.
  const FormatSelection s = pick(d, {.width = 1920, .height = 1080, .fps = 30});
  EXPECT_EQ(s.fourcc, kFourccMjpeg);
  EXPECT_EQ(s.width, 1920U);
  EXPECT_EQ(s.interval, (Fraction{1, 15}));
}

TEST(FormatSelection, TakesTheSmallestSizeCoveringTheRequestWhenNoneIsExact) {
  const auto d = yuyv_only({size(800, 600, {30}), size(1280, 720, {30}), size(1024, 768, {30}), size(640, 480, {30})});
  const FormatSelection s = pick(d, {.width = 1000, .height = 700, .fps = 30});
  EXPECT_EQ(s.width, 1024U);
  EXPECT_EQ(s.height, 768U);
  EXPECT_NE(s.reason.find("smallest size covering 1000x700"), std::string::npos) << s.reason;
}

TEST(FormatSelection, TakesTheLargestSizeWhenNothingCoversTheRequest) {
  const FormatSelection s =
      pick(webcam(), {.width = 4000, .height = 3000, .fps = 30, .pixel_format = PixelPreference::kMjpeg});
  EXPECT_EQ(s.width, 1920U);
  EXPECT_EQ(s.height, 1080U);
  EXPECT_NE(s.reason.find("largest size short of 4000x3000"), std::string::npos) << s.reason;
}

TEST(FormatSelection, SizeComesBeforeRateWithinAFormat) {
  const auto d = yuyv_only({size(640, 480, {15}), size(800, 600, {30})});
  const FormatSelection s = pick(d, {.width = 640, .height = 480, .fps = 30});
  EXPECT_EQ(s.width, 640U);
  EXPECT_EQ(s.interval, (Fraction{1, 15}));
}

TEST(FormatSelection, TakesTheClosestRateAboveTheRequestElseTheHighestBelow) {
  const auto d = yuyv_only({size(640, 480, {60, 30, 15})});
  EXPECT_EQ(pick(d, {.width = 640, .height = 480, .fps = 25}).interval, (Fraction{1, 30}));
  EXPECT_EQ(pick(d, {.width = 640, .height = 480, .fps = 100}).interval, (Fraction{1, 60}));
  EXPECT_EQ(pick(d, {.width = 640, .height = 480, .fps = 10}).interval, (Fraction{1, 15}));
}

TEST(FormatSelection, MatchesNtscRatesExactly) {
  SizeOption s;
  s.width = 640;
  s.height = 480;
  s.intervals = {{1001, 30000}, {1, 30}, {1001, 60000}};
  const FormatSelection sel = pick(yuyv_only({s}), {.width = 640, .height = 480, .fps = 29.97});
  EXPECT_EQ(sel.interval, (Fraction{1001, 30000}));
}

TEST(FormatSelection, AContinuousIntervalRangeReachesAnyRateInsideIt) {
  SizeOption s;
  s.width = 640;
  s.height = 480;
  s.interval_range = IntervalRange{{1, 60}, {1, 1}};
  const auto d = yuyv_only({s});
  const FormatSelection at25 = pick(d, {.width = 640, .height = 480, .fps = 25});
  EXPECT_EQ(at25.interval, (Fraction{1, 25}));
  EXPECT_NE(at25.reason.find("exact match"), std::string::npos);
  EXPECT_EQ(pick(d, {.width = 640, .height = 480, .fps = 120}).interval, (Fraction{1, 60}));
}

TEST(FormatSelection, AnExplicitYuyvPreferenceKeepsYuyvEvenAtALowerRate) {
  const FormatSelection s =
      pick(webcam(), {.width = 1280, .height = 720, .fps = 30, .pixel_format = PixelPreference::kYuyv});
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_EQ(s.width, 1280U);
  EXPECT_EQ(s.interval, (Fraction{1, 10}));
}

TEST(FormatSelection, AnExplicitMjpegPreferenceTakesMjpegEvenAtSmallSizes) {
  const FormatSelection s =
      pick(webcam(), {.width = 320, .height = 240, .fps = 30, .pixel_format = PixelPreference::kMjpeg});
  EXPECT_EQ(s.fourcc, kFourccMjpeg);
}

TEST(FormatSelection, AnExplicitPreferenceTheDeviceCannotMeetFallsBackAndSaysSo) {
  const auto d = yuyv_only({size(640, 480, {30})});
  const FormatSelection s = pick(d, {.width = 640, .height = 480, .fps = 30, .pixel_format = PixelPreference::kMjpeg});
  EXPECT_EQ(s.fourcc, kFourccYuyv);
  EXPECT_NE(s.reason.find("the device has no mjpeg mode"), std::string::npos) << s.reason;
}

TEST(FormatSelection, JpegFourccCountsAsMjpeg) {
  DeviceDescription d;
  d.formats.push_back({kFourccJpeg, "JFIF JPEG", {size(1280, 720, {30})}});
  const FormatSelection s = pick(d, {.width = 1280, .height = 720, .fps = 30});
  EXPECT_EQ(s.fourcc, kFourccJpeg);
}

TEST(FormatSelection, ADeviceWithoutYuyvOrMjpegIsRefusedNamingWhatItOffers) {
  DeviceDescription d;
  d.formats.push_back({kNv12, "Y/CbCr 4:2:0", {size(640, 480, {30})}});
  d.formats.push_back({kH264, "H.264", {size(1920, 1080, {30})}});
  const Result<FormatSelection> s = select_format(d, {});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.error().message().find("it offers NV12, H264"), std::string::npos) << s.error().message();
}

TEST(FormatSelection, RefusesARequestWithoutASizeOrRate) {
  EXPECT_EQ(select_format(webcam(), {.width = 0, .height = 480}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(select_format(webcam(), {.fps = 0.0}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(select_format(webcam(), {.fps = -30.0}).error().code(), ErrorCode::kInvalidArgument);
}

TEST(FormatSelection, PreferenceNamesParseAsConfigEnums) {
  EXPECT_EQ(enum_name(PixelPreference::kMjpeg), "mjpeg");
  EXPECT_EQ(enum_from_name<PixelPreference>("yuyv"), PixelPreference::kYuyv);
}

TEST(DescribeDevice, ReadsFormatsSizesAndIntervalsFromTheDevice) {
  FakeDeviceConfig config;
  config.formats = {{kFourccYuyv, "YUYV 4:2:2", false, {{640, 480, {{1, 30}, {1, 15}}}, {1280, 720, {{1, 10}}}}},
                    {kFourccMjpeg, "Motion-JPEG", true, {{1280, 720, {{1, 30}}}}},
                    {kH264, "H.264", true, {{1920, 1080, {{1, 30}}}}}};
  FakeDevice device(config);
  device.open("/dev/video0").value();
  const DeviceDescription d = describe_device(device).value();
  ASSERT_EQ(d.formats.size(), 3U);
  EXPECT_EQ(d.formats[0].fourcc, kFourccYuyv);
  EXPECT_EQ(d.formats[0].description, "YUYV 4:2:2");
  ASSERT_EQ(d.formats[0].sizes.size(), 2U);
  EXPECT_EQ(d.formats[0].sizes[0].width, 640U);
  EXPECT_EQ(d.formats[0].sizes[0].intervals, (std::vector<Fraction>{{1, 30}, {1, 15}}));
  EXPECT_EQ(d.formats[1].sizes[0].intervals, (std::vector<Fraction>{{1, 30}}));
  EXPECT_TRUE(d.formats[2].sizes.empty());  // not a format we capture: not enumerated
  EXPECT_EQ(pick(d, {.width = 1280, .height = 720, .fps = 30}).fourcc, kFourccMjpeg);
}

// A device whose sizes and intervals are ranges, as some capture cards and virtual devices
// report them.
class RangeDevice final : public Device {
 public:
  Result<void> open(const std::string& path) override {
    path_ = path;
    return {};
  }
  void close() override {}
  bool is_open() const override { return true; }
  const std::string& path() const override { return path_; }
  Result<Capabilities> query_capabilities() override { return FakeDeviceConfig::default_caps(); }
  Result<std::vector<FormatDesc>> enumerate_formats() override {
    return std::vector<FormatDesc>{{kFourccYuyv, "YUYV", false, false}};
  }
  Result<std::vector<FrameSizeDesc>> enumerate_frame_sizes(std::uint32_t) override {
    FrameSizeDesc d;
    d.kind = RangeKind::kStepwise;
    d.min_width = 64;
    d.max_width = 1920;
    d.step_width = 32;
    d.min_height = 64;
    d.max_height = 1080;
    d.step_height = 8;
    return std::vector<FrameSizeDesc>{d};
  }
  Result<std::vector<FrameIntervalDesc>> enumerate_frame_intervals(std::uint32_t, std::uint32_t,
                                                                   std::uint32_t) override {
    FrameIntervalDesc d;
    d.kind = RangeKind::kContinuous;
    d.min = {1, 60};
    d.max = {1, 1};
    d.step = {1, 1};
    return std::vector<FrameIntervalDesc>{d};
  }
  Result<ActiveFormat> set_format(std::uint32_t, std::uint32_t, std::uint32_t) override { return unsupported(); }
  Result<Fraction> set_frame_interval(Fraction) override { return unsupported(); }
  Result<std::vector<MappedBuffer>> request_buffers(std::uint32_t) override { return unsupported(); }
  Result<void> release_buffers() override { return {}; }
  Result<void> queue_buffer(std::uint32_t) override { return unsupported(); }
  Result<std::optional<DequeuedBuffer>> dequeue_buffer(std::chrono::milliseconds) override { return unsupported(); }
  Result<void> stream_on() override { return unsupported(); }
  Result<void> stream_off() override { return unsupported(); }

 private:
  static tl::unexpected<Error> unsupported() { return make_error(ErrorCode::kUnsupported, "not in this test"); }
  std::string path_;
};

TEST(DescribeDevice, TurnsASizeRangeIntoTheCommonSizesInsideItAndItsEnds) {
  RangeDevice device;
  const DeviceDescription d = describe_device(device).value();
  ASSERT_EQ(d.formats.size(), 1U);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sizes;
  for (const SizeOption& s : d.formats[0].sizes) {
    sizes.emplace_back(s.width, s.height);
    EXPECT_TRUE(s.interval_range.has_value());
  }
  // 176x144 is off the 32-pixel width step from 64, 960x540 off the 8-row step; 1600x1200 and
  // 3840x2160 are beyond the maximum.
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> expected = {
      {64, 64},   {160, 120},  {320, 240},  {352, 288},  {640, 360},  {640, 480},
      {800, 600}, {1024, 768}, {1280, 720}, {1280, 960}, {1920, 1080}};
  EXPECT_EQ(sizes, expected);
  const FormatSelection s = pick(d, {.width = 1280, .height = 720, .fps = 50});
  EXPECT_EQ(s.width, 1280U);
  EXPECT_EQ(s.interval, (Fraction{1, 50}));
}

}  // namespace
}  // namespace streamlib::v4l2
