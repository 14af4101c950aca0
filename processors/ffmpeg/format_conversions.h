// FormatConversions: what a processor with a VideoEncoder inside (VideoEncoder, FileWriter)
// reports of its pixel format conversions. Private to the component.
//
//   conversions_.update(*encoder_, [&](std::string m) { context().warn(std::move(m), in.link_id()); });
//   conversions_.add_to(metrics);   // "pixel_format_conversions": n, "pixel_format_conversion": "..."
//
// Each new conversion (another input format or size) is named once in a warning; every frame
// converted is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ffmpeg_common/encoder.h"

namespace streamlib::internal {

class FormatConversions {
 public:
  // After encode() (processor thread): `warn(message)` when the encoder's conversion is new.
  template <class Warn>
  void update(const ffmpeg::VideoEncoder& encoder, const std::string& what, Warn&& warn) {
    const std::uint64_t n = encoder.pixel_format_conversions();
    if (n == count_.load(std::memory_order_relaxed)) return;
    count_.store(n, std::memory_order_relaxed);
    const std::string& name = encoder.pixel_format_conversion();
    {
      std::lock_guard lock(mutex_);
      if (name == name_) return;
      name_ = name;
    }
    warn(
        fmt::format("{}: video frames are converted {} for {} (its pixel format for this input; counted in "
                    "pixel_format_conversions)",
                    what, name, encoder.encoder_name()));
  }

  // Metrics thread.
  void add_to(nlohmann::json& metrics) const {
    metrics["pixel_format_conversions"] = count_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (!name_.empty()) metrics["pixel_format_conversion"] = name_;
  }

 private:
  std::atomic<std::uint64_t> count_{0};
  mutable std::mutex mutex_;
  std::string name_;
};

}  // namespace streamlib::internal
