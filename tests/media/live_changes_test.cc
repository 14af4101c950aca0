// Every live-changeable field of the catalogue's sources, transforms and encoders, changed in a
// running recording: the file keeps both tracks to the end, its timestamps never go back, and
// no gap is longer than one frame or block. Each case records 6 s of live test sources into an
// MP4 with the change at 2 s, then reads the file's packets with ffprobe.
//
// The table below must name every field the registry says changes live (`live` or `restart`)
// for each processor in the recording graphs, or list it as excluded with the reason: a field
// added later without a case fails CoversEveryLiveChangeableField.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "streamlib/registry.h"
#include "streamlib/runtime/stream_runtime.h"

namespace streamlib {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// --- The recording graphs -----------------------------------------------------------------

struct Node {
  const char* id;
  const char* type;
  json config;
};

// Raw: the writer encodes. Packets: VideoEncoder / AudioEncoder feed the writer's packet inputs.
enum class Shape { kRaw, kPackets };

std::vector<Node> nodes(Shape shape, const std::string& path) {
  std::vector<Node> n = {
      {"vsrc", "VideoTestSource", {{"width", 320}, {"height", 240}, {"fps", 30}, {"pattern", "ball"}}},
      {"asrc", "AudioTestSource", {{"wave", "sine"}}},
  };
  if (shape == Shape::kRaw) {
    n.push_back({"vconv", "VideoConvert", {{"width", 320}, {"height", 240}, {"format", "i420"}}});
    n.push_back({"gain", "Gain", {{"gain_db", 0.0}}});
    n.push_back({"resample", "AudioResampler", {{"sample_rate", 48000}}});
    n.push_back({"channels", "AudioChannelConverter", {{"channels", 2}}});
    n.push_back({"rechunk", "BufferRechunker", {{"frames_per_buffer", 1024}}});
    n.push_back({"writer", "FileWriter", {{"path", path}, {"preset", "veryfast"}}});
  } else {
    n.push_back({"venc", "VideoEncoder", {{"codec", "h264"}, {"preset", "veryfast"}}});
    n.push_back({"aenc", "AudioEncoder", {{"codec", "aac"}}});
    n.push_back({"writer", "FileWriter", {{"path", path}}});
  }
  return n;
}

std::vector<std::pair<const char*, const char*>> links(Shape shape) {
  if (shape == Shape::kRaw) {
    return {{"vsrc.video", "vconv.in"},     {"vconv.out", "writer.video"},   {"asrc.audio", "gain.in"},
            {"gain.out", "resample.in"},    {"resample.out", "channels.in"}, {"channels.out", "rechunk.in"},
            {"rechunk.out", "writer.audio"}};
  }
  return {{"vsrc.video", "venc.in"},
          {"venc.out", "writer.video_packets"},
          {"asrc.audio", "aenc.in"},
          {"aenc.out", "writer.audio_packets"}};
}

// --- The changes ----------------------------------------------------------------------------

struct Change {
  Shape shape;
  const char* processor;  // id in the graph
  const char* field;
  json value;
  json start = json::object();  // set on that processor before the recording starts
};

std::string name_of(const Change& c) {
  std::string v = c.value.is_string() ? c.value.get<std::string>() : c.value.dump();
  std::string out = std::string(c.processor) + "_" + c.field + "_" + v;
  for (char& ch : out) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return out;
}

const std::vector<Change>& changes() {
  static const std::vector<Change> all = {
      // VideoTestSource
      {Shape::kRaw, "vsrc", "width", 480},
      {Shape::kRaw, "vsrc", "height", 360},
      {Shape::kRaw, "vsrc", "fps", 25},
      {Shape::kRaw, "vsrc", "pattern", "bars"},
      {Shape::kRaw, "vsrc", "format", "i420"},
      {Shape::kRaw, "vsrc", "frames", 1000000},
      {Shape::kRaw, "vsrc", "counter", false},
      // AudioTestSource
      {Shape::kRaw, "asrc", "wave", "chord"},
      {Shape::kRaw, "asrc", "frequency", 880.0},
      {Shape::kRaw, "asrc", "amplitude", 0.25},
      {Shape::kRaw, "asrc", "sample_rate", 44100},
      {Shape::kRaw, "asrc", "channels", 1},
      {Shape::kRaw, "asrc", "frames_per_buffer", 256},
      {Shape::kRaw, "asrc", "duration", 1000.0},
      // Transforms
      {Shape::kRaw, "vconv", "width", 256},
      {Shape::kRaw, "vconv", "height", 144},
      {Shape::kRaw, "vconv", "format", "nv12"},
      {Shape::kRaw, "vconv", "scaling", "letterbox"},
      {Shape::kRaw, "vconv", "quality", "bicubic"},
      {Shape::kRaw, "gain", "gain_db", -6.0},
      {Shape::kRaw, "gain", "ramp_ms", 50.0},
      {Shape::kRaw, "resample", "sample_rate", 32000},
      {Shape::kRaw, "resample", "quality", "fast"},
      {Shape::kRaw, "channels", "channels", 1},
      {Shape::kRaw, "channels", "mode", "pick_left"},
      {Shape::kRaw, "channels", "upmix", "surround"},
      {Shape::kRaw, "channels", "lfe_gain", 0.5},
      {Shape::kRaw, "channels", "normalize", false},
      {Shape::kRaw, "rechunk", "frames_per_buffer", 480},
      {Shape::kRaw, "rechunk", "flush", "short"},
      // The writer's own encoders
      {Shape::kRaw, "writer", "preset", "superfast"},
      {Shape::kRaw, "writer", "tune", "film"},
      {Shape::kRaw, "writer", "crf", 30},
      // (x264 takes a new bitrate in place in bitrate mode; from CRF its headers would change, which
      // is refused: FileWriter's own tests cover that refusal)
      {Shape::kRaw, "writer", "bitrate", 400000, {{"bitrate", 800000}}},
      {Shape::kRaw, "writer", "keyframe_interval", 15},
      {Shape::kRaw, "writer", "audio_bitrate", 96000},
      // Encoders feeding the writer's packet inputs
      {Shape::kPackets, "venc", "preset", "superfast"},
      {Shape::kPackets, "venc", "tune", "film"},
      {Shape::kPackets, "venc", "crf", 30},
      {Shape::kPackets, "venc", "bitrate", 400000, {{"bitrate", 800000}}},
      {Shape::kPackets, "venc", "keyframe_interval", 15},
      {Shape::kPackets, "aenc", "bitrate", 96000},
  };
  return all;
}

// Fields that change live but cannot be recorded through, with the reason.
const std::map<std::pair<std::string, std::string>, const char*>& excluded() {
  static const std::map<std::pair<std::string, std::string>, const char*> all = {
      {{"vsrc", "live"}, "true -> false floods the recording as fast as the encoder takes frames"},
      {{"asrc", "live"}, "true -> false floods the recording as fast as the encoder takes blocks"},
  };
  return all;
}

// --- Reading the file back ------------------------------------------------------------------

struct Packet {
  double pts = 0;
  double dts = 0;
  double duration = 0;
};

std::string run_command(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  std::array<char, 65536> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

double number(const json& object, const char* key) {
  if (!object.contains(key)) return -1;
  const json& v = object[key];
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

// The packets of the file's first `type` stream ("video"/"audio"), in decode order.
std::vector<Packet> packets(const std::string& path, const char* type) {
  const std::string out = run_command(std::string(STREAMLIB_FFPROBE_EXECUTABLE) + " -v error -select_streams " +
                                      (type[0] == 'v' ? "v:0" : "a:0") +
                                      " -show_entries packet=pts_time,dts_time,duration_time -of json '" + path + "'");
  std::vector<Packet> result;
  const json j = json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("packets")) return result;
  for (const json& p : j["packets"]) {
    result.push_back({number(p, "pts_time"), number(p, "dts_time"), number(p, "duration_time")});
  }
  return result;
}

struct Track {
  std::size_t packets = 0;
  double end = 0;      // the last presentation end, seconds
  double max_gap = 0;  // the longest stretch between one packet's end and the next one's start
  double period = 0;   // the longest packet duration (one frame or block)
  bool dts_monotonic = true;
};

Track read_track(const std::string& path, const char* type) {
  std::vector<Packet> ps = packets(path, type);
  Track t;
  t.packets = ps.size();
  for (std::size_t i = 1; i < ps.size(); ++i) {
    if (ps[i].dts <= ps[i - 1].dts) t.dts_monotonic = false;
  }
  std::sort(ps.begin(), ps.end(), [](const Packet& a, const Packet& b) { return a.pts < b.pts; });
  // MP4 with B-frames gives no packet durations (N/A): a packet then lasts until the next one's
  // nominal step, the smallest step between two presentation times.
  double step = 0;
  for (std::size_t i = 1; i < ps.size(); ++i) {
    const double d = ps[i].pts - ps[i - 1].pts;
    if (d > 0 && (step == 0 || d < step)) step = d;
  }
  for (Packet& p : ps) {
    if (p.duration <= 0) p.duration = step;
  }
  for (std::size_t i = 0; i < ps.size(); ++i) {
    t.period = std::max(t.period, ps[i].duration);
    t.end = std::max(t.end, ps[i].pts + ps[i].duration);
    if (i > 0) t.max_gap = std::max(t.max_gap, ps[i].pts - (ps[i - 1].pts + ps[i - 1].duration));
  }
  return t;
}

std::string out_dir() {
  const auto dir = std::filesystem::temp_directory_path() / "streamlib_live_changes";
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Records 6 s with `change` applied at 2 s (nullptr: no change); returns the file's path.
std::string record(Shape shape, const Change* change, const std::string& name) {
  const std::string path = out_dir() + "/" + name + ".mp4";
  std::filesystem::remove(path);
  StreamRuntime rt;
  auto initial = [&](const Node& n) {
    json config = n.config;
    if (change != nullptr && std::string(n.id) == change->processor) config.update(change->start);
    return config;
  };
  for (const Node& n : nodes(shape, path)) {
    auto added = rt.add_processor(n.type, initial(n), n.id);
    EXPECT_TRUE(added) << (added ? "" : added.error().message());
  }
  // Lossless links: what is recorded is all that was made, so a hole is the change's doing.
  for (const auto& [from, to] : links(shape)) {
    auto linked = rt.connect(from, to, {.capacity = 16, .policy = LinkPolicy::kBlock});
    EXPECT_TRUE(linked) << from << " -> " << to << ": " << (linked ? "" : linked.error().message());
  }
  EXPECT_TRUE(rt.start());
  std::this_thread::sleep_for(milliseconds(2000));
  if (change != nullptr) {
    json config;
    for (const Node& n : nodes(shape, path)) {
      if (std::string(n.id) == change->processor) config = initial(n);
    }
    config[change->field] = change->value;
    auto changed = rt.update_processor_config(ProcessorId(change->processor), config);
    EXPECT_TRUE(changed) << (changed ? "" : changed.error().message());
  }
  std::this_thread::sleep_for(milliseconds(4000));
  EXPECT_TRUE(rt.stop());
  const RuntimeStats stats = rt.stats();
  if (const ProcessorStats* w = stats.find_processor(ProcessorId("writer"))) {
    EXPECT_EQ(w->metrics.value("dropped", 0), 0) << "the writer dropped packets";
  }
  return path;
}

void expect_whole(const std::string& path) {
  const Track video = read_track(path, "video");
  const Track audio = read_track(path, "audio");
  ASSERT_GT(video.packets, 0u) << path;
  ASSERT_GT(audio.packets, 0u) << path;
  EXPECT_TRUE(video.dts_monotonic) << path;
  EXPECT_TRUE(audio.dts_monotonic) << path;
  // No hole longer than one frame or block (plus a tick of rounding).
  EXPECT_LE(video.max_gap, video.period + 0.002) << path;
  EXPECT_LE(audio.max_gap, audio.period + 0.002) << path;
  // Both tracks reach the end: 6 s were recorded, and neither stops early.
  EXPECT_GT(video.end, 5.0) << path;
  EXPECT_GT(audio.end, 5.0) << path;
  EXPECT_NEAR(audio.end, video.end, 0.5) << path;
  // The file decodes without an error.
  const std::string errors =
      run_command(std::string(STREAMLIB_FFMPEG_EXECUTABLE) + " -v error -i '" + path + "' -f null - 2>&1");
  EXPECT_EQ(errors, "") << path;
}

class LiveChange : public ::testing::TestWithParam<Change> {};

TEST_P(LiveChange, TheRecordingKeepsBothTracksWholeAndInOrder) {
  const Change& c = GetParam();
  expect_whole(record(c.shape, &c, name_of(c)));
}

INSTANTIATE_TEST_SUITE_P(Catalogue, LiveChange, ::testing::ValuesIn(changes()),
                         [](const ::testing::TestParamInfo<Change>& p) { return name_of(p.param); });

TEST(LiveChanges, ARecordingWithNoChangeIsWholeToo) {
  expect_whole(record(Shape::kRaw, nullptr, "no_change_raw"));
  expect_whole(record(Shape::kPackets, nullptr, "no_change_packets"));
}

TEST(LiveChanges, CoversEveryLiveChangeableField) {
  std::set<std::pair<std::string, std::string>> covered;
  for (const Change& c : changes()) covered.insert({c.processor, c.field});
  for (Shape shape : {Shape::kRaw, Shape::kPackets}) {
    for (const Node& n : nodes(shape, "x.mp4")) {
      const ProcessorDescriptor* d = ProcessorFactory::global().find(n.type);
      ASSERT_NE(d, nullptr) << n.type;
      for (const ConfigFieldSchema& f : d->config_schema.fields) {
        if (f.reload != ConfigReload::kLive && f.reload != ConfigReload::kRestart) continue;
        const std::pair<std::string, std::string> key{n.id, f.name};
        EXPECT_TRUE(covered.contains(key) || excluded().contains(key))
            << n.type << " (" << n.id << ")." << f.name << " changes live but no case records through it";
      }
    }
  }
}

}  // namespace
}  // namespace streamlib
