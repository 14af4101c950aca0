// Test helpers: a private Xvfb server, and an Xlib client that finds, screenshots and closes
// windows on it the way a window manager or user would.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace streamlib::sdl::testing {

// An Xvfb on a free display number (Xvfb picks it: -displayfd), killed by the destructor.
// start() also points DISPLAY at it, and the destructor restores the previous DISPLAY.
class Xvfb {
 public:
  // Empty if Xvfb is not installed or does not come up within `timeout_ms`; `error` says why.
  static std::unique_ptr<Xvfb> start(int width, int height, std::string* error, int timeout_ms = 15000);
  ~Xvfb();
  const std::string& display() const { return display_; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  Xvfb() = default;
  pid_t pid_ = -1;
  std::string display_;
  std::string old_display_;
  bool had_display_ = false;
  int width_ = 0;
  int height_ = 0;
};

struct Rgb {
  int r = 0;
  int g = 0;
  int b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};
std::string to_string(const Rgb& c);

// A picture of a window's contents.
struct Screenshot {
  int width = 0;
  int height = 0;
  std::vector<Rgb> pixels;
  Rgb at(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
  }
};

// An Xlib connection of its own to `display` (not SDL's).
class XClient {
 public:
  static std::unique_ptr<XClient> connect(const std::string& display);
  ~XClient();
  // The top-level window whose WM_NAME is `title`, or 0.
  unsigned long find_window(const std::string& title);
  // The window's title (WM_NAME), "" if none.
  std::string title(unsigned long window);
  // Width and height of the window; false if it is gone.
  bool size(unsigned long window, int* width, int* height);
  // What is on screen in the window's area (from the root window, as a screenshot tool takes it).
  bool grab(unsigned long window, Screenshot* out);
  // Sends WM_PROTOCOLS / WM_DELETE_WINDOW, as a window manager does when the user clicks close.
  void send_delete_window(unsigned long window);

 private:
  XClient() = default;
  void* display_ = nullptr;  // Display*
};

}  // namespace streamlib::sdl::testing
