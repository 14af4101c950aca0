// Audio devices through SDL's disk driver: output goes to a raw float32 file that is read back
// and measured; capture reads a file written here and compared sample for sample.
#include "sdl_common/audio_device.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

namespace streamlib::sdl {
namespace {

namespace fs = std::filesystem;

std::vector<float> read_floats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

void write_floats(const fs::path& path, const std::vector<float>& samples) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(samples.data()),  // NOLINT
            static_cast<std::streamsize>(samples.size() * sizeof(float)));
}

// In-place radix-2 FFT.
void fft(std::vector<std::complex<double>>& a) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double ang = -2.0 * std::numbers::pi / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> w(1.0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto u = a[i + k];
        const auto v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

// The strongest frequency of `x` (Hann window, 2^k points, parabolic interpolation of the peak).
double dominant_frequency(const std::vector<float>& x, int rate) {
  std::size_t n = 1;
  while (n * 2 <= x.size()) n *= 2;
  std::vector<std::complex<double>> a(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n));
    a[i] = x[i] * w;
  }
  fft(a);
  std::size_t peak = 1;
  for (std::size_t i = 1; i < n / 2; ++i) {
    if (std::abs(a[i]) > std::abs(a[peak])) peak = i;
  }
  const double l = std::log(std::abs(a[peak - 1]));
  const double c = std::log(std::abs(a[peak]));
  const double r = std::log(std::abs(a[peak + 1]));
  const double delta = 0.5 * (l - r) / (l - 2.0 * c + r);
  return (static_cast<double>(peak) + delta) * rate / static_cast<double>(n);
}

// Zero crossings (upward) per second, interpolated between samples.
double zero_crossing_frequency(const std::vector<float>& x, int rate) {
  double first = -1.0;
  double last = -1.0;
  int count = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
      const double t = static_cast<double>(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = t;
      last = t;
      ++count;
    }
  }
  return count > 1 ? (count - 1) * rate / (last - first) : 0.0;
}

// SDL 2 keeps its device thread running while a device is paused and plays silence: the disk
// driver so writes whole buffers of zeros from open() to start() and after pause(). Drops
// those (the test signals never have a whole buffer of exact zeros).
std::vector<float> strip_paused_silence(std::vector<float> raw, std::size_t buffer_samples) {
  const auto silent = [&](std::size_t block) {
    for (std::size_t i = block * buffer_samples; i < (block + 1) * buffer_samples; ++i) {
      if (raw[i] != 0.0f) return false;
    }
    return true;
  };
  if (raw.size() % buffer_samples != 0) return {};
  std::size_t first = 0;
  std::size_t last = raw.size() / buffer_samples;
  while (first < last && silent(first)) ++first;
  while (last > first && silent(last - 1)) --last;
  return std::vector<float>(raw.begin() + static_cast<std::ptrdiff_t>(first * buffer_samples),
                            raw.begin() + static_cast<std::ptrdiff_t>(last * buffer_samples));
}

double rms_dbfs_of_sine(const std::vector<float>& x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  const double rms = std::sqrt(sum / static_cast<double>(x.size()));
  return 20.0 * std::log10(rms * std::numbers::sqrt2);  // a full-scale sine is 0 dBFS
}

class DiskAudio : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("streamlib-sdl-audio-{}-{}", getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILE", (dir_ / "out.raw").c_str(), 1);
    setenv("SDL_DISKAUDIOFILEIN", (dir_ / "in.raw").c_str(), 1);
    setenv("SDL_DISKAUDIODELAY", "1", 1);  // 1 ms a buffer: much faster than real time
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    unsetenv("SDL_AUDIODRIVER");
  }
  fs::path dir_;
};

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST_F(DiskAudio, DriverIsDisk) {
  auto name = audio_driver_name();
  ASSERT_TRUE(name) << name.error().message();
  EXPECT_EQ(*name, "disk");
}

TEST_F(DiskAudio, A440HzSineAtMinus6dBFSGoesOut) {
  constexpr int kRate = 48000;
  constexpr int kChannels = 2;
  constexpr double kAmplitude = 0.50118723362727;  // -6 dBFS
  std::atomic<std::int64_t> produced{0};
  std::int64_t phase = 0;  // audio thread only
  auto dev = AudioDevice::open_output(
      {.sample_rate = kRate, .channels = kChannels, .buffer_frames = 512}, [&](std::span<float> buf) {
        const std::size_t frames = buf.size() / kChannels;
        for (std::size_t i = 0; i < frames; ++i, ++phase) {
          const double t = static_cast<double>(phase) / kRate;
          const auto s = static_cast<float>(kAmplitude * std::sin(2 * std::numbers::pi * 440.0 * t));
          buf[i * kChannels] = s;
          buf[i * kChannels + 1] = -s;  // right: inverted, to see interleaving
        }
        produced += static_cast<std::int64_t>(frames);
      });
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_FALSE((*dev)->spec_differs()) << (*dev)->describe_spec();
  EXPECT_EQ((*dev)->obtained(), (AudioSpec{kRate, kChannels, 512}));
  ASSERT_TRUE((*dev)->start());
  EXPECT_TRUE((*dev)->running());
  ASSERT_TRUE(wait_until([&] { return produced.load() >= kRate; }));
  ASSERT_TRUE((*dev)->pause());
  const std::int64_t total = produced.load();
  (*dev)->close();

  const auto raw = strip_paused_silence(read_floats(dir_ / "out.raw"), 512 * kChannels);
  // Everything the callback made reached the file (float32 as asked), in order.
  ASSERT_EQ(static_cast<std::int64_t>(raw.size()), total * kChannels);
  std::vector<float> left;
  for (std::size_t i = 0; i < raw.size(); i += kChannels) {
    const double t = static_cast<double>(i / kChannels) / kRate;
    ASSERT_EQ(raw[i], static_cast<float>(kAmplitude * std::sin(2 * std::numbers::pi * 440.0 * t)))
        << "frame " << i / kChannels;
    ASSERT_EQ(raw[i + 1], -raw[i]) << "frame " << i / kChannels;
    left.push_back(raw[i]);
  }
  EXPECT_NEAR(dominant_frequency(left, kRate), 440.0, 0.5);
  EXPECT_NEAR(zero_crossing_frequency(left, kRate), 440.0, 0.05);
  EXPECT_NEAR(rms_dbfs_of_sine(left), -6.0, 0.05);
  float peak = 0;
  for (float v : left) peak = std::max(peak, std::abs(v));
  EXPECT_NEAR(peak, kAmplitude, 1e-3);
}

TEST_F(DiskAudio, MonoOutputAtAnotherRate) {
  constexpr int kRate = 22050;
  std::atomic<std::int64_t> produced{0};
  std::int64_t phase = 0;
  auto dev =
      AudioDevice::open_output({.sample_rate = kRate, .channels = 1, .buffer_frames = 256}, [&](std::span<float> buf) {
        for (float& s : buf) {
          s = static_cast<float>(0.25 * std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(phase++) / kRate));
        }
        produced += static_cast<std::int64_t>(buf.size());
      }).value();
  ASSERT_TRUE(dev->start());
  ASSERT_TRUE(wait_until([&] { return produced.load() >= kRate / 2; }));
  dev->close();
  const auto raw = strip_paused_silence(read_floats(dir_ / "out.raw"), 256);
  ASSERT_EQ(static_cast<std::int64_t>(raw.size()), produced.load());
  EXPECT_NEAR(zero_crossing_frequency(raw, kRate), 1000.0, 0.1);
  EXPECT_NEAR(rms_dbfs_of_sine(raw), 20 * std::log10(0.25), 0.05);
}

TEST_F(DiskAudio, AKnownFileComesInThroughCapture) {
  constexpr int kRate = 44100;
  constexpr int kChannels = 2;
  // 0.75 s: a 330 Hz sine on the left, a ramp on the right (any reordering shows).
  const std::size_t frames = kRate * 3 / 4;
  std::vector<float> file(frames * kChannels);
  for (std::size_t i = 0; i < frames; ++i) {
    file[i * 2] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 330.0 * static_cast<double>(i) / kRate));
    file[i * 2 + 1] = static_cast<float>(i) / static_cast<float>(frames) - 0.5f;
  }
  write_floats(dir_ / "in.raw", file);

  std::mutex m;
  std::vector<float> got;
  std::atomic<std::size_t> count{0};
  auto dev = AudioDevice::open_capture({.sample_rate = kRate, .channels = kChannels, .buffer_frames = 1024},
                                       [&](std::span<const float> buf) {
                                         std::lock_guard lock(m);
                                         got.insert(got.end(), buf.begin(), buf.end());
                                         count = got.size();
                                       });
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_EQ((*dev)->direction(), AudioDirection::kCapture);
  EXPECT_EQ((*dev)->obtained(), (AudioSpec{kRate, kChannels, 1024}));
  ASSERT_TRUE((*dev)->start());
  ASSERT_TRUE(wait_until([&] { return count.load() >= file.size() + 4096; }));
  (*dev)->close();

  std::lock_guard lock(m);
  ASSERT_GE(got.size(), file.size());
  for (std::size_t i = 0; i < file.size(); ++i) {
    ASSERT_EQ(got[i], file[i]) << "sample " << i;
  }
  // After the end of the file: silence.
  for (std::size_t i = file.size(); i < got.size(); ++i) ASSERT_EQ(got[i], 0.0f) << "sample " << i;
}

TEST_F(DiskAudio, PauseStopsTheCallback) {
  std::atomic<int> calls{0};
  auto dev =
      AudioDevice::open_output({.sample_rate = 48000, .channels = 1, .buffer_frames = 256}, [&](std::span<float>) {
        ++calls;
      }).value();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 0) << "opened paused";
  ASSERT_TRUE(dev->start());
  ASSERT_TRUE(wait_until([&] { return calls.load() > 5; }));
  ASSERT_TRUE(dev->pause());
  EXPECT_FALSE(dev->running());
  const int at_pause = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(calls.load(), at_pause);
  ASSERT_TRUE(dev->start());
  ASSERT_TRUE(wait_until([&] { return calls.load() > at_pause + 5; }));
  dev->close();
  dev->close();  // idempotent
  EXPECT_FALSE(dev->start());
}

TEST_F(DiskAudio, DevicesAreListedAndOpenedByName) {
  auto outputs = list_audio_devices(AudioDirection::kOutput);
  ASSERT_TRUE(outputs) << outputs.error().message();
  ASSERT_FALSE(outputs->empty());
  auto inputs = list_audio_devices(AudioDirection::kCapture);
  ASSERT_TRUE(inputs) << inputs.error().message();
  ASSERT_FALSE(inputs->empty());
  auto dev = AudioDevice::open_output({.device = outputs->front(), .sample_rate = 48000, .channels = 2},
                                      [](std::span<float>) {});
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_EQ((*dev)->device_name(), outputs->front());
}

TEST_F(DiskAudio, AnUnknownDeviceNameIsNotFoundAndTheNamesAreListed) {
  auto dev = AudioDevice::open_output({.device = "no such card", .sample_rate = 48000, .channels = 2},
                                      [](std::span<float>) {});
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().code(), ErrorCode::kNotFound);
  const auto names = list_audio_devices(AudioDirection::kOutput).value();
  EXPECT_NE(dev.error().message().find("'no such card'"), std::string::npos) << dev.error().message();
  EXPECT_NE(dev.error().message().find(names.front()), std::string::npos) << dev.error().message();
}

TEST_F(DiskAudio, AMissingCaptureFileIsAClearError) {
  setenv("SDL_DISKAUDIOFILEIN", (dir_ / "absent.raw").c_str(), 1);
  auto dev = AudioDevice::open_capture({.sample_rate = 48000, .channels = 1}, [](std::span<const float>) {});
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().code(), ErrorCode::kIo);
  EXPECT_EQ(dev.error().message().rfind("no audio device: SDL_OpenAudioDevice(default capture) failed: ", 0), 0u)
      << dev.error().message();
}

TEST_F(DiskAudio, ChangesAllowedStillReportTheObtainedSpec) {
  auto dev = AudioDevice::open_output(
      {.sample_rate = 32000, .channels = 6, .buffer_frames = 300, .allow_changes = true}, [](std::span<float>) {});
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_EQ((*dev)->requested(), (AudioSpec{32000, 6, 300}));
  // The disk driver takes any spec.
  EXPECT_EQ((*dev)->obtained(), (*dev)->requested()) << (*dev)->describe_spec();
  EXPECT_EQ((*dev)->describe_spec(), "asked 32000 Hz, 6 channels, 300 frames; got 32000 Hz, 6 channels, 300 frames");
}

TEST(AudioErrors, NoAudioDriverIsAClearError) {
  setenv("SDL_AUDIODRIVER", "nosuchdriver", 1);
  auto dev = AudioDevice::open_output({}, [](std::span<float>) {});
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().code(), ErrorCode::kIo);
  EXPECT_EQ(dev.error().message().rfind("no audio device: SDL_Init(AUDIO) failed: ", 0), 0u) << dev.error().message();
  EXPECT_NE(dev.error().message().find("SDL_AUDIODRIVER=nosuchdriver"), std::string::npos) << dev.error().message();
  auto names = list_audio_devices(AudioDirection::kOutput);
  ASSERT_FALSE(names);
  EXPECT_EQ(names.error().message(), dev.error().message());
  unsetenv("SDL_AUDIODRIVER");
}

TEST(AudioErrors, BadConfigsAreRefused) {
  const auto cb = [](std::span<float>) {};
  for (AudioDeviceConfig c :
       {AudioDeviceConfig{.sample_rate = 0}, AudioDeviceConfig{.channels = 0}, AudioDeviceConfig{.channels = 9},
        AudioDeviceConfig{.buffer_frames = 0}, AudioDeviceConfig{.buffer_frames = 70000}}) {
    auto dev = AudioDevice::open_output(c, cb);
    ASSERT_FALSE(dev);
    EXPECT_EQ(dev.error().code(), ErrorCode::kInvalidArgument) << dev.error().message();
  }
  auto no_callback = AudioDevice::open_capture({}, nullptr);
  ASSERT_FALSE(no_callback);
  EXPECT_EQ(no_callback.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace streamlib::sdl
