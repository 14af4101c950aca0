#include "test_media.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "ffmpeg_common/ffmpeg_error.h"

// Under ThreadSanitizer: FFmpeg's libraries are not instrumented, so TSan cannot see the atomic
// reference counts and thread pools inside them and reports races between FFmpeg's own threads
// (frame-threaded decoding, x264/libvpx workers). Those reports are about FFmpeg's internals,
// not this layer; races in StreamLib's own code are still reported.
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_suppressions() {
  return "race:libavutil.so\n"
         "race:libavcodec.so\n"
         "race:libavformat.so\n"
         "race:libswscale.so\n"
         "race:libswresample.so\n"
         "race:libx264.so\n"
         "race:libvpx.so\n"
         "race:libopus.so\n";
}
#endif

namespace streamlib::ffmpeg::testing {

namespace fs = std::filesystem;

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void ffmpeg(const std::string& args) {
  const std::string command =
      fmt::format("{} -nostdin -y -hide_banner -loglevel error {}", STREAMLIB_FFMPEG_EXECUTABLE, args);
  CommandResult r = run(command);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + command + "\n" + r.output);
}

nlohmann::json ffprobe(const std::string& path, const std::string& extra) {
  const std::string command = fmt::format("{} -v error -of json -show_streams -show_format {} {}",
                                          STREAMLIB_FFPROBE_EXECUTABLE, extra, quote(path));
  CommandResult r = run(command);
  if (r.exit_code != 0) throw std::runtime_error("ffprobe failed: " + command + "\n" + r.output);
  // Anything ffprobe printed besides the JSON (warnings) comes first: skip to the object.
  const auto brace = r.output.find('{');
  if (brace == std::string::npos) throw std::runtime_error("ffprobe printed no JSON: " + r.output);
  return nlohmann::json::parse(r.output.substr(brace));
}

nlohmann::json probe_stream(const nlohmann::json& probe, std::string_view type) {
  if (!probe.contains("streams")) return nullptr;
  for (const auto& s : probe["streams"]) {
    if (s.value("codec_type", "") == type) return s;
  }
  return nullptr;
}

double probe_number(const nlohmann::json& object, const std::string& key) {
  if (object.is_null() || !object.contains(key)) return std::nan("");
  const auto& v = object[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      return std::stod(v.get<std::string>());
    } catch (...) {
      return std::nan("");
    }
  }
  return std::nan("");
}

namespace {

// FFmpeg's own chatter (encoder statistics) only when asked: STREAMLIB_FFMPEG_LOG=info.
[[maybe_unused]] const bool kLogLevelSet = [] {
  const char* level = std::getenv("STREAMLIB_FFMPEG_LOG");
  return set_log_level(level != nullptr ? level : "error");
}();

const fs::path& media_dir() {
  static const fs::path dir = [] {
    const char* env = std::getenv("STREAMLIB_FFMPEG_TEST_MEDIA");
    fs::path d = env != nullptr && *env != '\0'
                     ? fs::path(env)
                     : fs::temp_directory_path() / fmt::format("streamlib_ffmpeg_test_media_{}", ::getuid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

struct OutDir {
  fs::path path;
  OutDir() {
    std::string tmpl = (fs::temp_directory_path() / "streamlib_ffmpeg_test_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~OutDir() {
    if (std::getenv("STREAMLIB_FFMPEG_TEST_KEEP") == nullptr) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

void copy_prefix(const std::string& from, const std::string& to, double fraction) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes.resize(static_cast<std::size_t>(static_cast<double>(bytes.size()) * fraction));
  std::ofstream out(to, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void damage(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 rng(1234);
  const std::size_t start = bytes.size() / 2;
  for (std::size_t i = start; i < start + 4096 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng() & 0xff);
  std::ofstream out(to, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void noise(const std::string& to) {
  std::mt19937 rng(99);
  std::vector<char> bytes(64 * 1024);
  for (char& b : bytes) b = static_cast<char>(rng() & 0xff);
  std::ofstream out(to, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const std::string kTestsrc = "-f lavfi -i testsrc2=size=320x240:rate=30:duration=2";
const std::string kTones = "-f lavfi -i 'aevalsrc=0.5*sin(2*PI*1000*t)|0.25*sin(2*PI*500*t):s=48000:d=2'";
const std::string kCounter =
    "-f lavfi -i \"color=c=black:s=64x48:r=30:d=1,geq=lum='N*4':cb=128:cr=128,format=yuv420p\"";

// How each input is made: an ffmpeg command line with {out}, or a derivation of another input.
struct Recipe {
  std::string command;  // ffmpeg arguments; {out} is the output path
  std::function<void(const std::string& out)> derive;
  std::string key;  // what the cache name hashes
};

const std::map<std::string, Recipe, std::less<>>& recipes() {
  static const std::map<std::string, Recipe, std::less<>> r = [] {
    std::map<std::string, Recipe, std::less<>> m;
    auto cmd = [&](const std::string& name, const std::string& args) { m[name] = Recipe{args, {}, args}; };
    auto derived = [&](const std::string& name, const std::string& key, std::function<void(const std::string&)> f) {
      m[name] = Recipe{"", std::move(f), key};
    };
    const std::string h264 = "-c:v libx264 -preset ultrafast -g 30 -pix_fmt yuv420p";
    const std::string vp9 = "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 400k -g 30 -pix_fmt yuv420p";
    cmd("av.mp4", fmt::format("{} {} {} -c:a aac -b:a 128k {{out}}", kTestsrc, kTones, h264));
    cmd("av_faststart.mp4",
        fmt::format("{} {} {} -c:a aac -b:a 128k -movflags +faststart {{out}}", kTestsrc, kTones, h264));
    cmd("av.mkv", fmt::format("{} {} {} -c:a libopus {{out}}", kTestsrc, kTones, vp9));
    cmd("av.webm", fmt::format("{} {} {} -c:a libopus {{out}}", kTestsrc, kTones, vp9));
    cmd("counter.y4m", fmt::format("{} {{out}}", kCounter));
    cmd("counter.mp4", fmt::format("{} -c:v libx264 -preset ultrafast -crf 5 -pix_fmt yuv420p {{out}}", kCounter));
    cmd("red.y4m", "-f lavfi -i 'color=c=red:s=64x48:r=30,format=yuv420p' -frames:v 10 {out}");
    cmd("yuv444.mkv",
        "-f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 30 -c:v libx264 -preset ultrafast -pix_fmt yuv444p {out}");
    cmd("tone.wav", "-f lavfi -i 'aevalsrc=0.5*sin(2*PI*440*t):s=44100:d=2' -c:a pcm_s16le {out}");
    cmd("tones.mkv", fmt::format("{} -c:a libopus -b:a 128k {{out}}", kTones));
    cmd("video_only.mp4", "-f lavfi -i testsrc2=size=320x240:rate=30:duration=1 -c:v libx264 -preset ultrafast {out}");
    cmd("audio_only.m4a", "-f lavfi -i 'aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=1' -c:a aac {out}");
    derived("truncated.mp4", m["av.mp4"].key + "|0.6",
            [](const std::string& out) { copy_prefix(media("av.mp4"), out, 0.6); });
    derived("truncated_faststart.mp4", m["av_faststart.mp4"].key + "|0.5",
            [](const std::string& out) { copy_prefix(media("av_faststart.mp4"), out, 0.5); });
    derived("truncated.mkv", m["av.mkv"].key + "|0.5",
            [](const std::string& out) { copy_prefix(media("av.mkv"), out, 0.5); });
    derived("damaged.mkv", m["av.mkv"].key + "|damage", [](const std::string& out) { damage(media("av.mkv"), out); });
    derived("corrupt.mp4", "noise-64k", [](const std::string& out) { noise(out); });
    return m;
  }();
  return r;
}

}  // namespace

std::string media(std::string_view name) {
  const auto& all = recipes();
  auto it = all.find(name);
  if (it == all.end()) throw std::runtime_error(fmt::format("no test media '{}'", name));
  const fs::path p(std::string{name});
  const std::string stem = p.stem().string();
  const std::string ext = p.extension().string();
  const std::string hash = fmt::format("{:016x}", std::hash<std::string>{}(it->second.key));
  const fs::path final_path = media_dir() / fmt::format("{}-{}{}", stem, hash, ext);
  if (fs::exists(final_path)) return final_path.string();
  const fs::path tmp = media_dir() / fmt::format("{}-{}.tmp{}{}", stem, hash, ::getpid(), ext);
  if (it->second.derive) {
    it->second.derive(tmp.string());  // may make its base input first
  } else {
    std::string args = it->second.command;
    const auto pos = args.find("{out}");
    args.replace(pos, 5, quote(tmp.string()));
    ffmpeg(args);
  }
  fs::rename(tmp, final_path);  // atomic: parallel test processes may race to make it
  return final_path.string();
}

std::string out_path(std::string_view name) {
  static OutDir dir;
  return (dir.path / std::string(name)).string();
}

std::uint64_t file_size(const std::string& path) { return fs::file_size(path); }

double frequency(std::span<const float> interleaved, int channels, int channel, int sample_rate) {
  const std::size_t frames = interleaved.size() / static_cast<std::size_t>(channels);
  auto at = [&](std::size_t i) {
    return interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(channel)];
  };
  float peak = 0.0f;
  for (std::size_t i = 0; i < frames; ++i) peak = std::max(peak, std::abs(at(i)));
  // Upward crossings with hysteresis: low-level noise (codec padding, silence) does not count.
  const float threshold = peak * 0.2f;
  std::size_t crossings = 0;
  std::size_t first = 0;
  std::size_t last = 0;
  bool below = false;
  for (std::size_t i = 1; i < frames; ++i) {
    const float v = at(i);
    if (v < -threshold) below = true;
    if (below && v >= 0.0f && at(i - 1) < 0.0f) {
      below = false;
      if (crossings == 0) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0.0;
  return static_cast<double>(crossings - 1) * sample_rate / static_cast<double>(last - first);
}

double rms(std::span<const float> interleaved, int channels, int channel) {
  const std::size_t frames = interleaved.size() / static_cast<std::size_t>(channels);
  if (frames == 0) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < frames; ++i) {
    const double v = interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(channel)];
    sum += v * v;
  }
  return std::sqrt(sum / static_cast<double>(frames));
}

void AudioCollector::add(const AudioFrame& f) {
  if (channels == 0) {
    channels = f.channels();
    sample_rate = f.sample_rate();
    first_position = f.sample_position();
  } else if (f.sample_position() != next_position) {
    contiguous = false;
  }
  next_position = f.sample_position() + static_cast<std::int64_t>(f.frame_count());
  samples.insert(samples.end(), f.samples().begin(), f.samples().end());
}

VideoFrame solid_frame(int width, int height, PixelFormat format, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  WritableVideoFrame w(width, height, format);
  const double R = r;
  const double G = g;
  const double B = b;
  const auto y = static_cast<std::uint8_t>(std::lround(16 + (65.481 * R + 128.553 * G + 24.966 * B) / 255));
  const auto u = static_cast<std::uint8_t>(std::lround(128 + (-37.797 * R - 74.203 * G + 112.0 * B) / 255));
  const auto v = static_cast<std::uint8_t>(std::lround(128 + (112.0 * R - 93.786 * G - 18.214 * B) / 255));
  auto fill_rows = [&](int plane, int rows, auto per_row) {
    auto data = w.plane(plane);
    for (int row = 0; row < rows; ++row) per_row(data.data() + static_cast<std::size_t>(row * w.stride(plane)));
  };
  const int cw = (width + 1) / 2;
  const int ch = (height + 1) / 2;
  switch (format) {
    case PixelFormat::kRgba:
    case PixelFormat::kBgra:
      fill_rows(0, height, [&](std::uint8_t* p) {
        for (int x = 0; x < width; ++x) {
          p[4 * x + 0] = format == PixelFormat::kRgba ? r : b;
          p[4 * x + 1] = g;
          p[4 * x + 2] = format == PixelFormat::kRgba ? b : r;
          p[4 * x + 3] = 255;
        }
      });
      break;
    case PixelFormat::kRgb24:
      fill_rows(0, height, [&](std::uint8_t* p) {
        for (int x = 0; x < width; ++x) {
          p[3 * x + 0] = r;
          p[3 * x + 1] = g;
          p[3 * x + 2] = b;
        }
      });
      break;
    case PixelFormat::kGray8:
      fill_rows(0, height, [&](std::uint8_t* p) {
        for (int x = 0; x < width; ++x)
          p[x] = static_cast<std::uint8_t>(std::lround(0.299 * R + 0.587 * G + 0.114 * B));
      });
      break;
    case PixelFormat::kI420:
      fill_rows(0, height, [&](std::uint8_t* p) { std::fill(p, p + width, y); });
      fill_rows(1, ch, [&](std::uint8_t* p) { std::fill(p, p + cw, u); });
      fill_rows(2, ch, [&](std::uint8_t* p) { std::fill(p, p + cw, v); });
      w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
      break;
    case PixelFormat::kNv12:
      fill_rows(0, height, [&](std::uint8_t* p) { std::fill(p, p + width, y); });
      fill_rows(1, ch, [&](std::uint8_t* p) {
        for (int x = 0; x < cw; ++x) {
          p[2 * x] = u;
          p[2 * x + 1] = v;
        }
      });
      w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
      break;
    case PixelFormat::kYuyv:
      fill_rows(0, height, [&](std::uint8_t* p) {
        for (int x = 0; x < cw; ++x) {
          p[4 * x + 0] = y;
          p[4 * x + 1] = u;
          p[4 * x + 2] = y;
          p[4 * x + 3] = v;
        }
      });
      w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
      break;
    case PixelFormat::kI422:
    case PixelFormat::kI444: {
      const int cw2 = format == PixelFormat::kI444 ? width : cw;
      fill_rows(0, height, [&](std::uint8_t* p) { std::fill(p, p + width, y); });
      fill_rows(1, height, [&](std::uint8_t* p) { std::fill(p, p + cw2, u); });
      fill_rows(2, height, [&](std::uint8_t* p) { std::fill(p, p + cw2, v); });
      w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
      break;
    }
    case PixelFormat::kP010:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10: {
      // 16-bit little-endian words: 10-bit values in the low bits, or the high bits for P010.
      const int shift = format == PixelFormat::kP010 ? 8 : 2;
      auto put = [](std::uint8_t* p, int i, int value) {
        p[2 * i] = static_cast<std::uint8_t>(value & 0xff);
        p[2 * i + 1] = static_cast<std::uint8_t>(value >> 8);
      };
      const int cw2 = format == PixelFormat::kYuv444p10 ? width : cw;
      const int ch2 = format == PixelFormat::kP010 || format == PixelFormat::kYuv420p10 ? ch : height;
      fill_rows(0, height, [&](std::uint8_t* p) {
        for (int x = 0; x < width; ++x) put(p, x, y << shift);
      });
      if (format == PixelFormat::kP010) {
        fill_rows(1, ch2, [&](std::uint8_t* p) {
          for (int x = 0; x < cw; ++x) {
            put(p, 2 * x, u << shift);
            put(p, 2 * x + 1, v << shift);
          }
        });
      } else {
        fill_rows(1, ch2, [&](std::uint8_t* p) {
          for (int x = 0; x < cw2; ++x) put(p, x, u << shift);
        });
        fill_rows(2, ch2, [&](std::uint8_t* p) {
          for (int x = 0; x < cw2; ++x) put(p, x, v << shift);
        });
      }
      w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
      break;
    }
  }
  return std::move(w).freeze();
}

std::array<std::uint8_t, 4> rgba_at(const VideoFrame& frame, int x, int y) {
  const std::uint8_t* p = frame.plane(0).data() + static_cast<std::size_t>(y * frame.stride(0) + 4 * x);
  return {p[0], p[1], p[2], p[3]};
}

std::uint8_t luma_at(const VideoFrame& frame, int x, int y) {
  return frame.plane(0)[static_cast<std::size_t>(y * frame.stride(0) + x)];
}

double mean_luma(const VideoFrame& frame) {
  double sum = 0;
  int n = 0;
  for (int y = frame.height() / 4; y < frame.height() * 3 / 4; ++y) {
    for (int x = frame.width() / 4; x < frame.width() * 3 / 4; ++x) {
      sum += luma_at(frame, x, y);
      ++n;
    }
  }
  return n > 0 ? sum / n : 0.0;
}

VideoFrame moving_picture(int n, int width, int height, std::int64_t t0) {
  constexpr std::int64_t kFrameNs = 33'333'333;
  WritableVideoFrame w(width, height, PixelFormat::kI420);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool square = x >= (n * 4) % width && x < (n * 4) % width + 32 && y >= 40 && y < 72;
      w.plane(0)[static_cast<std::size_t>(y * w.stride(0) + x)] =
          square ? 235 : static_cast<std::uint8_t>(16 + (x + y) % 200);
    }
  }
  std::fill(w.plane(1).begin(), w.plane(1).end(), 128);
  std::fill(w.plane(2).begin(), w.plane(2).end(), 128);
  w.set_color(ColorRange::kLimited, ColorMatrix::kBt601);
  w.set_timestamp_ns(t0 + n * kFrameNs);
  w.set_duration_ns(kFrameNs);
  w.set_frame_number(static_cast<std::uint64_t>(n));
  return std::move(w).freeze();
}

AudioFrame sine_frame(int channels, int sample_rate, std::size_t frames, std::int64_t position, double hz,
                      double amplitude, std::int64_t timestamp_ns) {
  WritableAudioFrame w(channels, sample_rate, frames);
  auto s = w.samples();
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(position + static_cast<std::int64_t>(i)) / sample_rate;
    const auto v = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * t));
    for (int c = 0; c < channels; ++c) s[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = v;
  }
  w.set_sample_position(position);
  w.set_timestamp_ns(timestamp_ns);
  return std::move(w).freeze();
}

}  // namespace streamlib::ffmpeg::testing
