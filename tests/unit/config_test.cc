// STREAMLIB_CONFIG: JSON mapping, strict parsing with located errors, schema and defaults.
#include "streamlib/config.h"
#include "streamlib/config_values.h"
#include "streamlib/graph/graph.h"
#include "streamlib/link/link_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cfgtest {

enum class Shape { kCircle, kSquare };
STREAMLIB_ENUM_NAMES(Shape, {Shape::kCircle, "circle"}, {Shape::kSquare, "square"});

struct Inner {
  int depth = 2;
};
STREAMLIB_CONFIG(Inner, depth);

struct Everything {
  bool enabled = true;
  std::int8_t small = -3;
  std::uint16_t port = 8080;
  double gain = 0.5;
  std::string name = "x";
  Shape shape = Shape::kSquare;
  std::vector<int> taps = {1, 2};
  std::optional<float> limit;
  std::map<std::string, double> params = {{"a", 1.0}};
  Inner inner;

  streamlib::Result<void> validate() const { return streamlib::check_range("gain", gain, 0.0, 10.0); }
};
STREAMLIB_CONFIG(Everything, enabled, small, port, gain, name, shape, taps, limit, params, inner);

struct Documented {
  double gain = 1.0;
  std::string device;
  int undocumented = 0;
};
STREAMLIB_CONFIG(Documented, gain, device, undocumented);
STREAMLIB_CONFIG_DOCS(Documented, {"gain", "Linear gain", "[0, 16]", streamlib::ConfigReload::kLive},
                      {"device", "Device to open", "", streamlib::ConfigReload::kRestart},
                      {"gian", "A typo: matches no field"});

struct Media {
  streamlib::FrameRate fps = 30;
  streamlib::OptionMap options;

  streamlib::Result<void> validate() const { return streamlib::check_frame_rate("fps", fps, 1, 1000); }
};
STREAMLIB_CONFIG(Media, fps, options);

}  // namespace cfgtest

namespace streamlib {
namespace {

using cfgtest::Everything;
using cfgtest::Shape;
using ::testing::HasSubstr;

std::string error_of(const nlohmann::json& j) {
  auto r = config_from_json<Everything>(j);
  EXPECT_FALSE(r) << j.dump();
  return r ? std::string() : r.error().message();
}

TEST(ConfigTest, MissingFieldsKeepDefaultsAndGivenOnesAreParsed) {
  auto c = config_from_json<Everything>({{"gain", 2}, {"shape", "circle"}, {"limit", 0.25}, {"inner", {{"depth", 9}}}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->gain, 2.0);
  EXPECT_EQ(c->shape, Shape::kCircle);
  EXPECT_EQ(c->limit, 0.25f);
  EXPECT_EQ(c->inner.depth, 9);
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->name, "x");
  EXPECT_TRUE(config_from_json<Everything>(nlohmann::json()));  // null: all defaults
}

TEST(ConfigTest, ToJsonWritesEveryFieldAndRoundTrips) {
  Everything e;
  e.limit = 3.0f;
  e.taps = {7};
  const nlohmann::json j = config_to_json(e);
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(j["shape"], "square");
  EXPECT_EQ(j["limit"], 3.0);
  auto back = config_from_json<Everything>(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(config_to_json(*back), j);
  EXPECT_TRUE(config_to_json(Everything{})["limit"].is_null());
}

TEST(ConfigTest, UnknownFieldsAreRejectedWithTheNearestAndTheKnownOnesListed) {
  EXPECT_EQ(error_of({{"gian", 1}}),
            "config: unknown field 'gian' (did you mean 'gain'? known fields: enabled, small, port, gain, name, shape, "
            "taps, limit, params, "
            "inner)");
  EXPECT_EQ(error_of({{"inner", {{"deep", 1}}}}), "config.inner: unknown field 'deep' (known fields: depth)");
}

TEST(ConfigTest, WrongTypesAreNamedWithTheirPath) {
  EXPECT_EQ(error_of({{"enabled", 1}}), "config.enabled: expected boolean, got integer");
  EXPECT_EQ(error_of({{"gain", "loud"}}), "config.gain: expected number, got string");
  EXPECT_EQ(error_of({{"name", 5}}), "config.name: expected string, got integer");
  EXPECT_EQ(error_of({{"shape", "hexagon"}}), "config.shape: 'hexagon' is not one of circle|square");
  EXPECT_EQ(error_of({{"taps", {1, "two"}}}), "config.taps[1]: expected integer, got string");
  EXPECT_EQ(error_of({{"params", {{"q", true}}}}), "config.params.q: expected number, got boolean");
  EXPECT_EQ(error_of({{"inner", 3}}), "config.inner: expected object, got integer");
  auto not_object = config_from_json<Everything>(nlohmann::json::array());
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().message(), "config: expected object, got array");
}

TEST(ConfigTest, IntegersMustFitTheirType) {
  EXPECT_EQ(error_of({{"small", 200}}), "config.small: 200 is out of range for int");
  EXPECT_EQ(error_of({{"port", 70000}}), "config.port: 70000 is out of range for uint");
  EXPECT_EQ(error_of({{"port", -1}}), "config.port: -1 is out of range for uint (must not be negative)");
  EXPECT_EQ(error_of({{"port", 1.5}}), "config.port: expected integer, got 1.5");
  auto whole = config_from_json<Everything>({{"port", 80.0}});  // a whole number written as 80.0 is fine
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->port, 80);
}

TEST(ConfigTest, ValidateHookChecksRanges) {
  EXPECT_EQ(error_of({{"gain", 11}}), "config.gain: 11 is out of range [0, 10]");
  auto in_path = config_from_json<Everything>({{"gain", -1}}, "processors[3].config");
  ASSERT_FALSE(in_path);
  EXPECT_EQ(in_path.error().message(), "processors[3].config.gain: -1 is out of range [0, 10]");
}

TEST(ConfigTest, SchemaListsNamesTypesAndDefaults) {
  const ConfigSchema s = config_schema<Everything>();
  ASSERT_EQ(s.fields.size(), 10u);
  EXPECT_EQ(s.fields[0].name, "enabled");
  EXPECT_EQ(s.fields[0].type, "bool");
  EXPECT_EQ(s.fields[1].type, "int");
  EXPECT_EQ(s.fields[2].type, "uint");
  EXPECT_EQ(s.fields[2].default_value, 8080);
  EXPECT_EQ(s.fields[3].type, "float");
  EXPECT_EQ(s.fields[5].type, "enum(circle|square)");
  EXPECT_EQ(s.fields[5].default_value, "square");
  EXPECT_EQ(s.fields[6].type, "array<int>");
  EXPECT_EQ(s.fields[7].type, "optional<float>");
  EXPECT_EQ(s.fields[8].type, "map<string,float>");
  EXPECT_EQ(s.fields[9].type, "object");
  EXPECT_EQ(s.fields[9].default_value, nlohmann::json({{"depth", 2}}));
  EXPECT_TRUE(config_schema<EmptyConfig>().fields.empty());
}

// Field documentation reaches the schema (and `streamlib processors NAME`); a field without it
// keeps empty text and an unknown reload, and a doc naming no field is reported, not dropped.
TEST(ConfigTest, DocsGiveEachFieldADescriptionRangeAndReload) {
  const ConfigSchema s = config_schema<cfgtest::Documented>();
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_EQ(s.fields[0].description, "Linear gain");
  EXPECT_EQ(s.fields[0].range, "[0, 16]");
  EXPECT_EQ(s.fields[0].reload, ConfigReload::kLive);
  EXPECT_EQ(s.fields[1].reload, ConfigReload::kRestart);
  EXPECT_EQ(s.fields[1].range, "");
  EXPECT_EQ(s.fields[2].description, "");
  EXPECT_EQ(s.fields[2].reload, ConfigReload::kUnknown);
  EXPECT_EQ(s.stray_docs, std::vector<std::string>{"gian"});
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j[0]["description"], "Linear gain");
  EXPECT_EQ(j[0]["range"], "[0, 16]");
  EXPECT_EQ(j[0]["reload"], "live");
  EXPECT_EQ(j[1]["reload"], "restart");
  EXPECT_FALSE(j[2].contains("description"));
  EXPECT_TRUE(config_schema<Everything>().stray_docs.empty());
}

TEST(ConfigTest, LinkConfigParsesAndRejectsLikeAProcessorConfig) {
  auto c = LinkConfig::from_json({{"capacity", 8}, {"policy", "drop_newest"}}, "link");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->capacity, 8u);
  EXPECT_EQ(c->policy, LinkPolicy::kDropNewest);
  EXPECT_FALSE(c->read_mode.has_value());
  EXPECT_EQ(c->to_json(), nlohmann::json({{"capacity", 8}, {"policy", "drop_newest"}}));
  auto merged = c->merged_over({.capacity = 3, .read_mode = ReadMode::kLatest});
  EXPECT_EQ(merged.capacity, 8u);
  EXPECT_EQ(merged.read_mode, ReadMode::kLatest);
  auto bad = LinkConfig::from_json({{"capacity", 2000000}}, "link");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "link.capacity: 2000000 is out of range [1, 1048576]");
}

using cfgtest::Media;

FrameRate rate_of(const nlohmann::json& fps) {
  auto c = config_from_json<Media>({{"fps", fps}});
  EXPECT_TRUE(c) << fps.dump() << ": " << (c ? "" : c.error().message());
  return c ? c->fps : FrameRate{};
}

std::string media_error(const nlohmann::json& j) {
  auto c = config_from_json<Media>(j);
  EXPECT_FALSE(c) << j.dump();
  return c ? std::string() : c.error().message();
}

TEST(ConfigTest, AFrameRateIsAnIntegerADecimalOrAFractionKeptExact) {
  EXPECT_EQ(rate_of(30), FrameRate(30));
  const FrameRate ntsc = rate_of("30000/1001");
  EXPECT_EQ(ntsc.num, 30000);
  EXPECT_EQ(ntsc.den, 1001);
  EXPECT_EQ(rate_of("60000/2002"), *FrameRate::of(30000, 1001)) << "reduced";
  EXPECT_EQ(rate_of(" 25 "), FrameRate(25));
  // The decimals of NTSC rates are those rates, as video tools mean them.
  EXPECT_EQ(rate_of(29.97), *FrameRate::of(30000, 1001));
  EXPECT_EQ(rate_of("29.97"), *FrameRate::of(30000, 1001));
  EXPECT_EQ(rate_of(23.976), *FrameRate::of(24000, 1001));
  EXPECT_EQ(rate_of(59.94), *FrameRate::of(60000, 1001));
  // Any other decimal is its nearest fraction (av_d2q); a whole one an integer.
  EXPECT_EQ(rate_of(12.5), *FrameRate::of(25, 2));
  EXPECT_EQ(rate_of(24.0), FrameRate(24));
  EXPECT_EQ(*FrameRate::from_double(0.2), *FrameRate::of(1, 5)) << "below this config's range, still exact";
  EXPECT_EQ(rate_of(7.3), *FrameRate::of(73, 10));
  EXPECT_EQ(FrameRate::of(30000, 1001)->to_string(), "30000/1001");
  EXPECT_DOUBLE_EQ(FrameRate::of(30000, 1001)->value(), 30000.0 / 1001.0);
}

TEST(ConfigTest, AFrameRateIsWrittenBackSoThatItRoundTrips) {
  Media m;
  m.fps = *FrameRate::of(30000, 1001);
  const nlohmann::json j = config_to_json(m);
  EXPECT_EQ(j["fps"], "30000/1001");
  EXPECT_EQ(config_from_json<Media>(j)->fps, m.fps);
  m.fps = 25;
  EXPECT_EQ(config_to_json(m)["fps"], 25) << "a whole rate stays a JSON integer";
  EXPECT_EQ(config_schema<Media>().fields[0].type, "frame_rate");
  EXPECT_EQ(config_schema<Media>().fields[0].default_value, 30);
}

TEST(ConfigTest, ABadFrameRateIsNamedWithItsField) {
  EXPECT_EQ(media_error({{"fps", "30/0"}}), "config.fps: '30/0' has a zero denominator");
  EXPECT_EQ(media_error({{"fps", "abc"}}),
            "config.fps: 'abc' is not a frame rate (an integer, a decimal like 29.97 or a fraction like 30000/1001)");
  EXPECT_THAT(media_error({{"fps", "30/"}}), HasSubstr("'30/' is not a frame rate"));
  EXPECT_THAT(media_error({{"fps", "1/2/3"}}), HasSubstr("'1/2/3' is not a frame rate"));
  EXPECT_EQ(media_error({{"fps", -30}}), "config.fps: -30 is out of range [1, 1000]");
  EXPECT_EQ(media_error({{"fps", "-30000/1001"}}), "config.fps: -30000/1001 is out of range [1, 1000]");
  EXPECT_EQ(media_error({{"fps", 0}}), "config.fps: 0 is out of range [1, 1000]");
  EXPECT_EQ(media_error({{"fps", "1001/1"}}), "config.fps: 1001 is out of range [1, 1000]");
  EXPECT_THAT(media_error({{"fps", true}}), HasSubstr("config.fps: expected a frame rate"));
  EXPECT_THAT(media_error({{"fps", nlohmann::json::array({30, 1})}}), HasSubstr("got array"));
}

TEST(ConfigTest, OptionsTakeStringsAndStringifyNumbersAndBooleans) {
  auto c = config_from_json<Media>(
      {{"options", {{"movflags", "+faststart"}, {"hls_time", 2}, {"qscale", 0.5}, {"row-mt", true}, {"x", false}}}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->options,
            (OptionMap{{"movflags", "+faststart"}, {"hls_time", "2"}, {"qscale", "0.5"}, {"row-mt", "1"}, {"x", "0"}}));
  // Written back as strings, which parse to the same map.
  EXPECT_EQ(config_to_json(*c)["options"]["hls_time"], "2");
  EXPECT_EQ(config_from_json<Media>(config_to_json(*c))->options, c->options);
  EXPECT_EQ(config_schema<Media>().fields[1].type, "map<string,string>");
  EXPECT_EQ(media_error({{"options", {{"movflags", nullptr}}}}),
            "config.options.movflags: expected a string, number or boolean, got null");
  EXPECT_EQ(media_error({{"options", {{"a", {{"b", 1}}}}}}),
            "config.options.a: expected a string, number or boolean, got object");
  EXPECT_EQ(media_error({{"options", "movflags=+faststart"}}), "config.options: expected object, got string");
}

}  // namespace
}  // namespace streamlib

namespace streamlib {
namespace {

TEST(ResultTest, ValueOnAnErrorThrowsWithTheErrorsMessage) {
  Result<int> r = make_error(ErrorCode::kNotFound, "no processor '{}'", "src");
  try {
    (void)r.value();
    FAIL() << "value() returned";
  } catch (const BadResultAccess& e) {
    EXPECT_STREQ(e.what(), "not found: no processor 'src'");
    EXPECT_EQ(e.error().code(), ErrorCode::kNotFound);
  }
  Result<void> v = make_error(ErrorCode::kTimeout, "too slow");
  EXPECT_THROW(v.value(), BadResultAccess);
  Result<int> ok = 7;
  EXPECT_EQ(ok.value(), 7);
  EXPECT_EQ(std::move(ok).value(), 7);
}

TEST(ResultTest, QueriesOnATemporaryGraphReturnCopies) {
  // `rt.graph().find_processor(id)` must not dangle: on a temporary, queries return values.
  auto make = [] {
    auto g = Graph::from_json(R"({"processors": [{"id": "a", "type": "NullSink"}]})");
    return std::move(g).value();
  };
  std::optional<ProcessorNode> node = make().find_processor(ProcessorId("a"));
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->type, "NullSink");
  EXPECT_FALSE(make().find_processor(ProcessorId("b")).has_value());
  EXPECT_EQ(make().processors().size(), 1u);
}

}  // namespace
}  // namespace streamlib
