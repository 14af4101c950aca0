#include "sdl_common/window.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace streamlib::sdl {
namespace internal {

// One window's state, shared by its Window handle (any thread) and the video thread.
struct WindowShared {
  // Video thread only.
  std::unique_ptr<VideoWindow> window;

  // Guarded by m.
  mutable std::mutex m;
  mutable std::condition_variable cv;  // a close request arrived
  VideoFrame pending;                  // posted, not drawn yet
  std::optional<Error> post_error;     // the last posted frame that failed
  WindowEvents events;                 // merged since the last take_events()
  WindowConfig config;                 // mirror of window->config()
  WindowStats stats;                   // refreshed after each draw/pump
  std::uint64_t dropped = 0;
  std::uint32_t id = 0;
  std::atomic<bool> close_requested{false};
};

class VideoThread {
 public:
  static std::shared_ptr<VideoThread> acquire() {
    static std::mutex m;
    static std::weak_ptr<VideoThread> current;
    std::lock_guard lock(m);
    if (auto t = current.lock()) return t;
    auto t = std::shared_ptr<VideoThread>(new VideoThread());
    current = t;
    return t;
  }

  ~VideoThread() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Runs `fn` on the video thread and waits for it to finish.
  void run(const std::function<void()>& fn) {
    bool done = false;
    std::condition_variable done_cv;
    {
      std::lock_guard lock(m_);
      tasks_.push_back([&] {
        fn();
        std::lock_guard l(m_);
        done = true;
        done_cv.notify_all();
      });
    }
    cv_.notify_all();
    std::unique_lock lock(m_);
    done_cv.wait(lock, [&] { return done; });
  }

  // Wakes the loop: a frame was posted.
  void wake() {
    {
      std::lock_guard lock(m_);
      work_ = true;
    }
    cv_.notify_all();
  }

  // Video thread only (inside run()).
  void add(std::shared_ptr<WindowShared> w) { windows_.push_back(std::move(w)); }
  void remove(const WindowShared* w) {
    std::erase_if(windows_, [w](const std::shared_ptr<WindowShared>& p) { return p.get() == w; });
  }

 private:
  VideoThread() : thread_([this] { loop(); }) {}

  void loop() {
    std::vector<std::function<void()>> batch;
    for (;;) {
      {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, std::chrono::milliseconds(5), [&] { return stop_ || work_ || !tasks_.empty(); });
        if (stop_ && tasks_.empty()) break;
        work_ = false;
        batch.assign(std::make_move_iterator(tasks_.begin()), std::make_move_iterator(tasks_.end()));
        tasks_.clear();
      }
      for (auto& task : batch) task();
      batch.clear();
      draw_posted();
      pump();
    }
  }

  void draw_posted() {
    for (auto& w : windows_) {
      VideoFrame frame;
      {
        std::lock_guard lock(w->m);
        frame = std::exchange(w->pending, VideoFrame());
      }
      if (!frame) continue;
      auto r = w->window->show(frame);
      std::lock_guard lock(w->m);
      if (!r) w->post_error = r.error();
      w->stats = w->window->stats();
    }
  }

  void pump() {
    for (auto& w : windows_) {
      auto events = w->window->pump_events();
      if (!events) continue;
      const WindowEvents& e = *events;
      if (!e.close_requested && !e.resized && !e.exposed) continue;
      std::lock_guard lock(w->m);
      w->events.close_requested |= e.close_requested;
      w->events.exposed |= e.exposed;
      if (e.resized) {
        w->events.resized = true;
        w->events.width = e.width;
        w->events.height = e.height;
      }
      w->stats = w->window->stats();
      if (e.close_requested) {
        w->close_requested.store(true);
        w->cv.notify_all();
      }
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;             // guarded by m_
  bool work_ = false;                                   // guarded by m_
  bool stop_ = false;                                   // guarded by m_
  std::vector<std::shared_ptr<WindowShared>> windows_;  // video thread only
  std::thread thread_;                                  // last: starts after the rest is built
};

}  // namespace internal

Result<std::unique_ptr<Window>> Window::open(const WindowConfig& config) {
  std::unique_ptr<Window> w(new Window());
  w->thread_ = internal::VideoThread::acquire();
  w->shared_ = std::make_shared<internal::WindowShared>();
  std::optional<Error> error;
  auto* thread = w->thread_.get();
  auto shared = w->shared_;
  thread->run([&] {
    auto opened = VideoWindow::open(config);
    if (!opened) {
      error = opened.error();
      return;
    }
    shared->window = std::move(*opened);
    std::lock_guard lock(shared->m);
    shared->config = shared->window->config();
    shared->stats = shared->window->stats();
    shared->id = shared->window->sdl_window_id();
    thread->add(shared);
  });
  if (error) {
    w->shared_.reset();
    return make_error(*error);
  }
  return w;
}

Window::~Window() {
  if (!shared_) return;
  auto* thread = thread_.get();
  auto shared = shared_;
  thread->run([&] {
    thread->remove(shared.get());
    shared->window.reset();
  });
}

Result<void> Window::show(const VideoFrame& frame) {
  Result<void> result;
  auto& shared = *shared_;
  thread_->run([&] {
    result = shared.window->show(frame);
    std::lock_guard lock(shared.m);
    shared.stats = shared.window->stats();
  });
  return result;
}

Result<void> Window::post(const VideoFrame& frame) {
  if (!frame) return make_error(ErrorCode::kInvalidArgument, "window '{}': empty frame", config().title);
  if (frame.format() == PixelFormat::kGray8) {
    return make_error(ErrorCode::kUnsupported, "window '{}' cannot show {} frames (SDL has no such texture format)",
                      config().title, enum_name(frame.format()));
  }
  std::optional<Error> error;
  {
    std::lock_guard lock(shared_->m);
    if (shared_->pending) ++shared_->dropped;
    shared_->pending = frame;
    error = std::exchange(shared_->post_error, std::nullopt);
  }
  thread_->wake();
  if (error) return make_error(*error);
  return {};
}

bool Window::close_requested() const { return shared_->close_requested.load(); }

bool Window::wait_close_requested(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->m);
  return shared_->cv.wait_for(lock, timeout, [&] { return shared_->close_requested.load(); });
}

WindowEvents Window::take_events() {
  std::lock_guard lock(shared_->m);
  return std::exchange(shared_->events, WindowEvents{});
}

namespace {
template <class F>
Result<void> on_video_thread(internal::VideoThread& thread, internal::WindowShared& shared, F&& change) {
  Result<void> result;
  thread.run([&] {
    result = change(*shared.window);
    std::lock_guard lock(shared.m);
    shared.config = shared.window->config();
    shared.stats = shared.window->stats();
  });
  return result;
}
}  // namespace

Result<void> Window::set_title(const std::string& title) {
  return on_video_thread(*thread_, *shared_, [&](VideoWindow& w) { return w.set_title(title); });
}
Result<void> Window::set_size(int width, int height) {
  return on_video_thread(*thread_, *shared_, [&](VideoWindow& w) { return w.set_size(width, height); });
}
Result<void> Window::set_fullscreen(bool fullscreen) {
  return on_video_thread(*thread_, *shared_, [&](VideoWindow& w) { return w.set_fullscreen(fullscreen); });
}
Result<void> Window::set_scaling(ScalingMode mode) {
  return on_video_thread(*thread_, *shared_, [&](VideoWindow& w) { return w.set_scaling(mode); });
}
Result<void> Window::apply(const WindowConfig& config) {
  return on_video_thread(*thread_, *shared_, [&](VideoWindow& w) { return w.apply(config); });
}

WindowConfig Window::config() const {
  std::lock_guard lock(shared_->m);
  return shared_->config;
}
WindowStats Window::stats() const {
  std::lock_guard lock(shared_->m);
  return shared_->stats;
}
std::uint64_t Window::frames_dropped() const {
  std::lock_guard lock(shared_->m);
  return shared_->dropped;
}
std::uint32_t Window::sdl_window_id() const {
  std::lock_guard lock(shared_->m);
  return shared_->id;
}

}  // namespace streamlib::sdl
