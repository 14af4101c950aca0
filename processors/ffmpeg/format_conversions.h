// FormatConversions: what a processor with a VideoEncoder inside (VideoEncoder, FileWriter)
// reports of its pixel format conversions. Private to the component.
//
//   conversions_.update(*encoder_, [&](std::string m) { context().warn(std::move(m), in.link_id()); });
//   conversions_.add_to(metrics);   // "pixel_format_conversions": n, "pixel_format_conversion": "..."
//
// Each new conversion (another input format or size) is named once: in a warning when YUV media
// loses depth or chroma or the size changes, in an info log line for the routine RGB/grey/YUYV ->
// yuv420p of drawn pictures and cameras. Every frame converted is counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ffmpeg_common/encoder.h"
#include "streamlib/log.h"

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
    std::string message = fmt::format(
        "{}: video frames are converted {} for {} (its pixel format for this input; counted in "
        "pixel_format_conversions)",
        what, name, encoder.encoder_name());
    // A drawn (RGB, grey) or camera (YUYV) picture into yuv420p is what every recording of one
    // does: an info line. Depth or chroma lost from YUV media, or a changed size: a warning.
    if (encoder.pixel_format_conversion_routine()) {
      log::write(log::Level::kInfo, "streamlib", message);
    } else {
      warn(std::move(message));
    }
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
