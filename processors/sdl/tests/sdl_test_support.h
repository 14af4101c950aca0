// Helpers for the sdl component tests: SDL's disk audio driver in a private directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace streamlib::sdl_testing {

namespace fs = std::filesystem;

inline std::vector<float> read_floats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// From the first to the last frame that is not exactly zero: drops the silence around the
// played audio but keeps its own zero samples (a resampled sine can hit 0.0f exactly).
inline std::vector<float> trimmed_frames(const std::vector<float>& raw, int channels) {
  const auto c = static_cast<std::size_t>(channels);
  auto nonzero = [&](std::size_t frame) {
    for (std::size_t k = 0; k < c; ++k)
      if (raw[frame * c + k] != 0.0f) return true;
    return false;
  };
  const std::size_t frames = raw.size() / c;
  std::size_t first = 0;
  while (first < frames && !nonzero(first)) ++first;
  std::size_t end = frames;
  while (end > first && !nonzero(end - 1)) --end;
  return {raw.begin() + static_cast<std::ptrdiff_t>(first * c), raw.begin() + static_cast<std::ptrdiff_t>(end * c)};
}

inline void write_floats(const fs::path& path, const std::vector<float>& samples) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(samples.data()),  // NOLINT
            static_cast<std::streamsize>(samples.size() * sizeof(float)));
}

// SDL_AUDIODRIVER=disk: output goes to <dir>/out.raw, capture reads <dir>/in.raw, each buffer
// `delay_ms` apart.
class DiskAudioTest : public ::testing::Test {
 protected:
  void use_disk_audio(int delay_ms) {
    dir_ = fs::temp_directory_path() / ("streamlib-sdl-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    setenv("SDL_AUDIODRIVER", "disk", 1);
    setenv("SDL_DISKAUDIOFILE", (dir_ / "out.raw").c_str(), 1);
    setenv("SDL_DISKAUDIOFILEIN", (dir_ / "in.raw").c_str(), 1);
    setenv("SDL_DISKAUDIODELAY", std::to_string(delay_ms).c_str(), 1);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
    unsetenv("SDL_AUDIODRIVER");
  }
  fs::path dir_;
};

// The samples that are not exactly zero, in order: drops the silence SDL writes while the
// device is paused and any underrun (a test sine is never exactly 0 past its first sample).
inline std::vector<float> nonzero_frames(const std::vector<float>& raw, int channels) {
  std::vector<float> out;
  const auto c = static_cast<std::size_t>(channels);
  for (std::size_t i = 0; i + c <= raw.size(); i += c) {
    bool zero = true;
    for (std::size_t k = 0; k < c; ++k) zero = zero && raw[i + k] == 0.0f;
    if (!zero)
      out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(i),
                 raw.begin() + static_cast<std::ptrdiff_t>(i + c));
  }
  return out;
}

}  // namespace streamlib::sdl_testing
