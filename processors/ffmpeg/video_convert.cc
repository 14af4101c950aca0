#include "video_convert.h"

#include "common.h"

namespace streamlib {

Result<void> VideoConvertConfig::validate() const {
  STREAMLIB_RETURN_IF_ERROR(check_range("width", width, 0, 16384));
  return check_range("height", height, 0, 16384);
}

ffmpeg::ScalerOptions VideoConvert::options_for(const VideoConvertConfig& c) {
  return {.width = c.width, .height = c.height, .format = c.format, .mode = c.scaling, .quality = c.quality};
}

Result<void> VideoConvert::setup(RuntimeContext&) {
  auto scaler = ffmpeg::Scaler::create(options_for(config()));
  if (!scaler) return make_error(internal::named_error(*this, scaler.error()));
  scaler_.emplace(std::move(*scaler));
  return {};
}

Result<void> VideoConvert::process() {
  while (auto frame = in.read()) {
    auto converted = scaler_->convert(*frame);
    if (!converted) return make_error(internal::named_error(*this, converted.error()));
    out.push(std::move(*converted));
    converted_.fetch_add(1, std::memory_order_relaxed);
  }
  return {};
}

Result<void> VideoConvert::on_config_change(const VideoConvertConfig& next) {
  if (!scaler_) return {};
  if (auto r = scaler_->reconfigure(options_for(next)); !r) return make_error(internal::named_error(*this, r.error()));
  return {};
}

void VideoConvert::teardown() { scaler_.reset(); }

nlohmann::json VideoConvert::metrics() const { return {{"converted", converted_.load(std::memory_order_relaxed)}}; }

}  // namespace streamlib
