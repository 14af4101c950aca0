#include "sdl_common/video_window.h"

#include <SDL.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "sdl_common/sdl_init.h"

namespace streamlib::sdl {

// Routes SDL window events to the VideoWindow they belong to. Only the thread that owns SDL
// video touches it (sdl_init.h enforces one such thread at a time); the mutex makes a change of
// owner thread (after every window of the previous one closed) safe too.
struct EventRouter {
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::unordered_map<std::uint32_t, VideoWindow*>& windows() {
    static std::unordered_map<std::uint32_t, VideoWindow*> w;
    return w;
  }
  static void add(std::uint32_t id, VideoWindow* w) {
    std::lock_guard lock(mutex());
    windows()[id] = w;
  }
  static void remove(std::uint32_t id) {
    std::lock_guard lock(mutex());
    windows().erase(id);
  }
  // Drains SDL's queue, handing each event to its window.
  static void pump() {
    SDL_Event e;
    while (SDL_PollEvent(&e) != 0) {
      std::lock_guard lock(mutex());
      if (e.type == SDL_QUIT) {
        for (auto& [id, w] : windows()) {
          w->close_requested_ = true;
          w->pending_.close_requested = true;
        }
      } else if (e.type == SDL_WINDOWEVENT) {
        auto it = windows().find(e.window.windowID);
        if (it != windows().end()) it->second->on_window_event(&e.window);
      }
    }
  }
};

namespace {

// The SDL texture format for a StreamLib pixel format, or 0 if SDL has none.
Uint32 sdl_format(PixelFormat f) {
  switch (f) {
    case PixelFormat::kRgba:
      return SDL_PIXELFORMAT_RGBA32;  // bytes R, G, B, A in memory on any endianness
    case PixelFormat::kBgra:
      return SDL_PIXELFORMAT_BGRA32;
    case PixelFormat::kI420:
      return SDL_PIXELFORMAT_IYUV;  // Y, then U, then V planes
    case PixelFormat::kNv12:
      return SDL_PIXELFORMAT_NV12;
    case PixelFormat::kYuyv:
      return SDL_PIXELFORMAT_YUY2;
    case PixelFormat::kRgb24:
      return SDL_PIXELFORMAT_RGB24;
    case PixelFormat::kGray8:
      return 0;
    case PixelFormat::kI422:
    case PixelFormat::kI444:
    case PixelFormat::kP010:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10:
      return SDL_PIXELFORMAT_IYUV;  // brought to I420 first (to_i420)
  }
  return 0;
}

bool is_yuv(PixelFormat f) { return f != PixelFormat::kRgba && f != PixelFormat::kBgra && f != PixelFormat::kRgb24; }

// 4:2:2, 4:4:4 and 10-bit frames as 8-bit I420 in `out` (Y, U, V planes of strides w, cw, cw):
// chroma sampled at the I420 grid, 10-bit samples cut to their top 8 bits.
void to_i420(const VideoFrame& f, std::vector<std::uint8_t>& out) {
  const int w = f.width();
  const int h = f.height();
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  out.resize(static_cast<std::size_t>(w) * h + 2 * static_cast<std::size_t>(cw) * ch);
  const PixelFormat fmt = f.format();
  const bool p010 = fmt == PixelFormat::kP010;
  const bool wide = bit_depth(fmt) > 8;
  const int sx = fmt == PixelFormat::kI444 || fmt == PixelFormat::kYuv444p10 ? 1 : 0;  // chroma x = cx << sx
  const int sy = fmt == PixelFormat::kP010 || fmt == PixelFormat::kYuv420p10 ? 0 : 1;  // chroma y = cy << sy
  auto sample = [&](int plane, int x, int y) -> std::uint8_t {
    const std::uint8_t* row = f.plane(plane).data() + static_cast<std::size_t>(y) * f.stride(plane);
    if (!wide) return row[x];
    const int v = row[2 * x] | row[2 * x + 1] << 8;
    return static_cast<std::uint8_t>(p010 ? v >> 8 : std::min(v >> 2, 255));
  };
  std::uint8_t* y_out = out.data();
  std::uint8_t* u_out = y_out + static_cast<std::size_t>(w) * h;
  std::uint8_t* v_out = u_out + static_cast<std::size_t>(cw) * ch;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) y_out[static_cast<std::size_t>(y) * w + x] = sample(0, x, y);
  }
  for (int cy = 0; cy < ch; ++cy) {
    for (int cx = 0; cx < cw; ++cx) {
      const std::size_t i = static_cast<std::size_t>(cy) * cw + cx;
      const int y = std::min(cy << sy, h - 1);
      if (p010) {
        u_out[i] = sample(1, 2 * cx, y);
        v_out[i] = sample(1, 2 * cx + 1, y);
      } else {
        const int x = std::min(cx << sx, w - 1);
        u_out[i] = sample(1, x, y);
        v_out[i] = sample(2, x, y);
      }
    }
  }
}

SDL_YUV_CONVERSION_MODE yuv_mode(const VideoFrame& frame) {
  if (frame.color_range() == ColorRange::kFull) return SDL_YUV_CONVERSION_JPEG;
  if (frame.color_range() == ColorRange::kLimited) {
    if (frame.color_matrix() == ColorMatrix::kBt709) return SDL_YUV_CONVERSION_BT709;
    if (frame.color_matrix() == ColorMatrix::kBt601) return SDL_YUV_CONVERSION_BT601;
  }
  return SDL_YUV_CONVERSION_AUTOMATIC;
}

SDL_Rect to_sdl(const Rect& r) { return SDL_Rect{r.x, r.y, r.w, r.h}; }

Result<int> find_render_driver(const std::string& name) {
  const int n = SDL_GetNumRenderDrivers();
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    SDL_RendererInfo info;
    if (SDL_GetRenderDriverInfo(i, &info) == 0) {
      if (name == info.name) return i;
      names.emplace_back(info.name);
    }
  }
  return make_error(ErrorCode::kNotFound, "no SDL render driver '{}' (available: {})", name, fmt::join(names, ", "));
}

}  // namespace

Result<std::unique_ptr<VideoWindow>> VideoWindow::open(const WindowConfig& config) {
  if (config.width <= 0 || config.height <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "window size must be positive, got {}x{}", config.width,
                      config.height);
  }
  STREAMLIB_RETURN_IF_ERROR(acquire_video());
  std::unique_ptr<VideoWindow> w(new VideoWindow());
  w->video_acquired_ = true;
  w->owner_ = std::this_thread::get_id();
  w->config_ = config;

  Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
  if (config.resizable) flags |= SDL_WINDOW_RESIZABLE;
  if (config.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  const int x = config.x < 0 ? static_cast<int>(SDL_WINDOWPOS_CENTERED) : config.x;
  const int y = config.y < 0 ? static_cast<int>(SDL_WINDOWPOS_CENTERED) : config.y;
  w->window_ = SDL_CreateWindow(config.title.c_str(), x, y, config.width, config.height, flags);
  if (w->window_ == nullptr) {
    return make_error(ErrorCode::kIo, "SDL_CreateWindow('{}', {}x{}) failed: {}", config.title, config.width,
                      config.height, sdl_error());
  }
  w->window_id_ = SDL_GetWindowID(w->window_);

  const Uint32 rflags = config.vsync ? static_cast<Uint32>(SDL_RENDERER_PRESENTVSYNC) : 0u;
  if (!config.renderer.empty()) {
    STREAMLIB_ASSIGN_OR_RETURN(const int index, find_render_driver(config.renderer));
    w->renderer_ = SDL_CreateRenderer(w->window_, index, rflags);
    if (w->renderer_ == nullptr) {
      return make_error(ErrorCode::kIo, "SDL_CreateRenderer('{}') failed: {}", config.renderer, sdl_error());
    }
  } else {
    w->renderer_ = SDL_CreateRenderer(w->window_, -1, rflags);
    if (w->renderer_ == nullptr) {
      // No usable accelerated driver (no GL on this display): SDL's software renderer always works.
      const std::string first = sdl_error();
      w->renderer_ = SDL_CreateRenderer(w->window_, -1, rflags | SDL_RENDERER_SOFTWARE);
      if (w->renderer_ == nullptr) {
        return make_error(ErrorCode::kIo, "SDL_CreateRenderer failed: {}; software renderer: {}", first, sdl_error());
      }
    }
  }
  SDL_RendererInfo info;
  if (SDL_GetRendererInfo(w->renderer_, &info) == 0) w->renderer_name_ = info.name;
  EventRouter::add(w->window_id_, w.get());
  STREAMLIB_RETURN_IF_ERROR(w->present());  // black until the first frame
  return w;
}

VideoWindow::~VideoWindow() { destroy(); }

void VideoWindow::destroy() {
  if (window_id_ != 0) EventRouter::remove(window_id_);
  last_frame_ = VideoFrame();
  if (texture_ != nullptr) SDL_DestroyTexture(std::exchange(texture_, nullptr));
  if (renderer_ != nullptr) SDL_DestroyRenderer(std::exchange(renderer_, nullptr));
  if (window_ != nullptr) {
    SDL_DestroyWindow(std::exchange(window_, nullptr));
    // Events already queued for the dead window are dropped by the router (unknown id).
  }
  window_id_ = 0;
  if (std::exchange(video_acquired_, false)) release_video();
}

Result<void> VideoWindow::check_thread(std::string_view what) const {
  if (std::this_thread::get_id() != owner_) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "VideoWindow::{} called from a thread other than the one that opened the window '{}' "
                      "(SDL video must stay on one thread)",
                      what, config_.title);
  }
  return {};
}

Result<void> VideoWindow::upload(const VideoFrame& frame) {
  const Uint32 fmt = sdl_format(frame.format());
  if (fmt == 0) {
    return make_error(ErrorCode::kUnsupported, "window '{}' cannot show {} frames (SDL has no such texture format)",
                      config_.title, enum_name(frame.format()));
  }
  if (frame.width() <= 0 || frame.height() <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "window '{}': frame of size {}x{}", config_.title, frame.width(),
                      frame.height());
  }
  const int mode = is_yuv(frame.format()) ? static_cast<int>(yuv_mode(frame)) : -1;
  if (mode >= 0) SDL_SetYUVConversionMode(static_cast<SDL_YUV_CONVERSION_MODE>(mode));
  const int format_key = static_cast<int>(frame.format());
  if (texture_ == nullptr || tex_width_ != frame.width() || tex_height_ != frame.height() ||
      tex_format_ != format_key || tex_yuv_mode_ != mode) {
    if (texture_ != nullptr) SDL_DestroyTexture(std::exchange(texture_, nullptr));
    tex_format_ = -1;
    texture_ = SDL_CreateTexture(renderer_, fmt, SDL_TEXTUREACCESS_STREAMING, frame.width(), frame.height());
    if (texture_ == nullptr) {
      return make_error(ErrorCode::kIo, "window '{}': SDL_CreateTexture({}, {}x{}) failed: {}", config_.title,
                        SDL_GetPixelFormatName(fmt), frame.width(), frame.height(), sdl_error());
    }
    SDL_SetTextureBlendMode(texture_, SDL_BLENDMODE_NONE);
    SDL_SetTextureScaleMode(texture_, SDL_ScaleModeLinear);
    tex_width_ = frame.width();
    tex_height_ = frame.height();
    tex_format_ = format_key;
    tex_yuv_mode_ = mode;
    ++textures_created_;
  }
  int rc = 0;
  switch (frame.format()) {
    case PixelFormat::kI420:
      rc = SDL_UpdateYUVTexture(texture_, nullptr, frame.plane(0).data(), frame.stride(0), frame.plane(1).data(),
                                frame.stride(1), frame.plane(2).data(), frame.stride(2));
      break;
    case PixelFormat::kNv12:
      rc = SDL_UpdateNVTexture(texture_, nullptr, frame.plane(0).data(), frame.stride(0), frame.plane(1).data(),
                               frame.stride(1));
      break;
    case PixelFormat::kI422:
    case PixelFormat::kI444:
    case PixelFormat::kP010:
    case PixelFormat::kYuv420p10:
    case PixelFormat::kYuv422p10:
    case PixelFormat::kYuv444p10: {
      to_i420(frame, i420_);
      const int w = frame.width();
      const int cw = (w + 1) / 2;
      const std::uint8_t* u = i420_.data() + static_cast<std::size_t>(w) * frame.height();
      const std::uint8_t* v = u + static_cast<std::size_t>(cw) * ((frame.height() + 1) / 2);
      rc = SDL_UpdateYUVTexture(texture_, nullptr, i420_.data(), w, u, cw, v, cw);
      break;
    }
    default:
      rc = SDL_UpdateTexture(texture_, nullptr, frame.plane(0).data(), frame.stride(0));
      break;
  }
  if (rc != 0) {
    return make_error(ErrorCode::kIo, "window '{}': uploading a {}x{} {} frame failed: {}", config_.title,
                      frame.width(), frame.height(), enum_name(frame.format()), sdl_error());
  }
  return {};
}

Result<void> VideoWindow::present() {
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  if (SDL_RenderClear(renderer_) != 0) {
    return make_error(ErrorCode::kIo, "window '{}': SDL_RenderClear failed: {}", config_.title, sdl_error());
  }
  if (texture_ != nullptr && last_frame_) {
    int ow = 0;
    int oh = 0;
    if (SDL_GetRendererOutputSize(renderer_, &ow, &oh) != 0) {
      return make_error(ErrorCode::kIo, "window '{}': SDL_GetRendererOutputSize failed: {}", config_.title,
                        sdl_error());
    }
    // A rotated frame (its display matrix) is turned by the renderer, scaled by its turned size.
    const int rotation = last_frame_.rotation_degrees();
    const ScaledRects r = compute_rotated_scaling(tex_width_, tex_height_, ow, oh, config_.scaling, rotation);
    const SDL_Rect src = to_sdl(r.src);
    const SDL_Rect dst = to_sdl(r.dst);
    // SDL turns clockwise; the frame's rotation is counterclockwise.
    if (r.dst.w > 0 &&
        (rotation == 0 ? SDL_RenderCopy(renderer_, texture_, &src, &dst)
                       : SDL_RenderCopyEx(renderer_, texture_, &src, &dst, -rotation, nullptr, SDL_FLIP_NONE)) != 0) {
      return make_error(ErrorCode::kIo, "window '{}': SDL_RenderCopy failed: {}", config_.title, sdl_error());
    }
  }
  SDL_RenderPresent(renderer_);
  return {};
}

Result<void> VideoWindow::show(const VideoFrame& frame) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("show"));
  if (!frame) return make_error(ErrorCode::kInvalidArgument, "window '{}': empty frame", config_.title);
  STREAMLIB_RETURN_IF_ERROR(upload(frame));
  last_frame_ = frame;
  ++frames_shown_;
  return present();
}

Result<void> VideoWindow::redraw() {
  STREAMLIB_RETURN_IF_ERROR(check_thread("redraw"));
  return present();
}

void VideoWindow::on_window_event(const void* sdl_window_event) {
  const auto& e = *static_cast<const SDL_WindowEvent*>(sdl_window_event);
  switch (e.event) {
    case SDL_WINDOWEVENT_CLOSE:
      close_requested_ = true;
      pending_.close_requested = true;
      break;
    case SDL_WINDOWEVENT_SIZE_CHANGED:
      pending_.resized = true;
      pending_.width = e.data1;
      pending_.height = e.data2;
      break;
    case SDL_WINDOWEVENT_EXPOSED:
      pending_.exposed = true;
      break;
    default:
      break;
  }
}

Result<WindowEvents> VideoWindow::pump_events() {
  STREAMLIB_RETURN_IF_ERROR(check_thread("pump_events"));
  EventRouter::pump();
  WindowEvents out = std::exchange(pending_, WindowEvents{});
  if (out.exposed || out.resized) STREAMLIB_RETURN_IF_ERROR(present());
  return out;
}

Result<void> VideoWindow::set_title(std::string_view title) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("set_title"));
  config_.title = std::string(title);
  SDL_SetWindowTitle(window_, config_.title.c_str());
  return {};
}

Result<void> VideoWindow::set_size(int width, int height) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("set_size"));
  if (width <= 0 || height <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "window '{}': size must be positive, got {}x{}", config_.title,
                      width, height);
  }
  config_.width = width;
  config_.height = height;
  if (!config_.fullscreen) SDL_SetWindowSize(window_, width, height);
  return present();
}

Result<void> VideoWindow::set_fullscreen(bool fullscreen) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("set_fullscreen"));
  if (SDL_SetWindowFullscreen(window_, fullscreen ? static_cast<Uint32>(SDL_WINDOW_FULLSCREEN_DESKTOP) : 0u) != 0) {
    return make_error(ErrorCode::kIo, "window '{}': SDL_SetWindowFullscreen({}) failed: {}", config_.title, fullscreen,
                      sdl_error());
  }
  const bool was = std::exchange(config_.fullscreen, fullscreen);
  if (was && !fullscreen) SDL_SetWindowSize(window_, config_.width, config_.height);
  return present();
}

Result<void> VideoWindow::set_scaling(ScalingMode mode) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("set_scaling"));
  config_.scaling = mode;
  return present();
}

Result<void> VideoWindow::apply(const WindowConfig& next) {
  STREAMLIB_RETURN_IF_ERROR(check_thread("apply"));
  if (next.renderer != config_.renderer || next.vsync != config_.vsync || next.x != config_.x || next.y != config_.y ||
      next.resizable != config_.resizable) {
    return make_error(ErrorCode::kUnsupported,
                      "window '{}': renderer, vsync, position and resizable are fixed once the window is open",
                      config_.title);
  }
  if (next.title != config_.title) STREAMLIB_RETURN_IF_ERROR(set_title(next.title));
  if (next.width != config_.width || next.height != config_.height) {
    STREAMLIB_RETURN_IF_ERROR(set_size(next.width, next.height));
  }
  if (next.fullscreen != config_.fullscreen) STREAMLIB_RETURN_IF_ERROR(set_fullscreen(next.fullscreen));
  if (next.scaling != config_.scaling) STREAMLIB_RETURN_IF_ERROR(set_scaling(next.scaling));
  return {};
}

WindowStats VideoWindow::stats() const {
  WindowStats s;
  s.frames_shown = frames_shown_;
  s.textures_created = textures_created_;
  s.renderer = renderer_name_;
  if (renderer_ != nullptr && std::this_thread::get_id() == owner_) {
    SDL_GetRendererOutputSize(renderer_, &s.output_width, &s.output_height);
  }
  return s;
}

}  // namespace streamlib::sdl
