#include "xvfb.h"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace streamlib::sdl::testing {

std::string to_string(const Rgb& c) { return fmt::format("rgb({}, {}, {})", c.r, c.g, c.b); }

std::unique_ptr<Xvfb> Xvfb::start(int width, int height, std::string* error, int timeout_ms) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *error = fmt::format("pipe: {}", std::strerror(errno));
    return nullptr;
  }
  const std::string screen = fmt::format("{}x{}x24", width, height);
  const pid_t pid = fork();
  if (pid < 0) {
    *error = fmt::format("fork: {}", std::strerror(errno));
    return nullptr;
  }
  if (pid == 0) {
    // Child: the write end must survive exec; everything else closes.
    const int wfd = dup(fds[1]);
    const std::string fd_arg = std::to_string(wfd);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execlp("Xvfb", "Xvfb", "-displayfd", fd_arg.c_str(), "-screen", "0", screen.c_str(), "-nolisten", "tcp", "-noreset",
           "+extension", "GLX", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  auto x = std::unique_ptr<Xvfb>(new Xvfb());
  x->pid_ = pid;
  x->width_ = width;
  x->height_ = height;
  std::string number;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      *error = "Xvfb did not report a display in time";
      close(fds[0]);
      return nullptr;  // the destructor kills it
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[32];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      int status = 0;
      waitpid(pid, &status, 0);
      x->pid_ = -1;
      *error = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "Xvfb is not installed (apt-get install xvfb)"
                                                               : "Xvfb exited before reporting a display";
      close(fds[0]);
      return nullptr;
    }
    number.append(buf, static_cast<std::size_t>(n));
    if (number.find('\n') != std::string::npos) break;
  }
  close(fds[0]);
  number.erase(number.find('\n'));
  x->display_ = ":" + number;
  if (const char* old = std::getenv("DISPLAY")) {
    x->had_display_ = true;
    x->old_display_ = old;
  }
  setenv("DISPLAY", x->display_.c_str(), 1);
  return x;
}

Xvfb::~Xvfb() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {  // up to 2 s, then SIGKILL
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(10'000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  if (!display_.empty()) {
    if (had_display_) {
      setenv("DISPLAY", old_display_.c_str(), 1);
    } else {
      unsetenv("DISPLAY");
    }
  }
}

namespace {
Display* dpy(void* p) { return static_cast<Display*>(p); }

int ignore_x_errors(Display*, XErrorEvent*) { return 0; }

Window find_named(Display* d, Window w, const std::string& title) {
  char* name = nullptr;
  if (XFetchName(d, w, &name) != 0 && name != nullptr) {
    const bool match = title == name;
    XFree(name);
    if (match) return w;
  }
  Window root = 0;
  Window parent = 0;
  Window* children = nullptr;
  unsigned int n = 0;
  if (XQueryTree(d, w, &root, &parent, &children, &n) == 0) return 0;
  Window found = 0;
  for (unsigned int i = 0; i < n && found == 0; ++i) found = find_named(d, children[i], title);
  if (children != nullptr) XFree(children);
  return found;
}

int mask_shift(unsigned long mask) {
  int s = 0;
  while (mask != 0 && (mask & 1UL) == 0) {
    mask >>= 1;
    ++s;
  }
  return s;
}
}  // namespace

std::unique_ptr<XClient> XClient::connect(const std::string& display) {
  Display* d = XOpenDisplay(display.c_str());
  if (d == nullptr) return nullptr;
  XSetErrorHandler(&ignore_x_errors);
  auto c = std::unique_ptr<XClient>(new XClient());
  c->display_ = d;
  return c;
}

XClient::~XClient() {
  if (display_ != nullptr) XCloseDisplay(dpy(display_));
}

unsigned long XClient::find_window(const std::string& title) {
  Display* d = dpy(display_);
  XSync(d, False);
  return find_named(d, DefaultRootWindow(d), title);
}

std::string XClient::title(unsigned long window) {
  char* name = nullptr;
  std::string out;
  if (XFetchName(dpy(display_), window, &name) != 0 && name != nullptr) {
    out = name;
    XFree(name);
  }
  return out;
}

bool XClient::size(unsigned long window, int* width, int* height) {
  XWindowAttributes a;
  if (XGetWindowAttributes(dpy(display_), window, &a) == 0) return false;
  *width = a.width;
  *height = a.height;
  return true;
}

bool XClient::grab(unsigned long window, Screenshot* out) {
  Display* d = dpy(display_);
  XSync(d, False);
  XWindowAttributes a;
  if (XGetWindowAttributes(d, window, &a) == 0) return false;
  const Window root = DefaultRootWindow(d);
  int rx = 0;
  int ry = 0;
  Window child = 0;
  XTranslateCoordinates(d, window, root, 0, 0, &rx, &ry, &child);
  XImage* img =
      XGetImage(d, root, rx, ry, static_cast<unsigned>(a.width), static_cast<unsigned>(a.height), AllPlanes, ZPixmap);
  if (img == nullptr) return false;
  out->width = a.width;
  out->height = a.height;
  out->pixels.resize(static_cast<std::size_t>(a.width) * static_cast<std::size_t>(a.height));
  const int rs = mask_shift(img->red_mask);
  const int gs = mask_shift(img->green_mask);
  const int bs = mask_shift(img->blue_mask);
  for (int y = 0; y < a.height; ++y) {
    for (int x = 0; x < a.width; ++x) {
      const unsigned long p = XGetPixel(img, x, y);
      out->pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(a.width) + static_cast<std::size_t>(x)] = {
          static_cast<int>((p & img->red_mask) >> rs), static_cast<int>((p & img->green_mask) >> gs),
          static_cast<int>((p & img->blue_mask) >> bs)};
    }
  }
  XDestroyImage(img);
  return true;
}

void XClient::send_delete_window(unsigned long window) {
  Display* d = dpy(display_);
  XEvent e;
  std::memset(&e, 0, sizeof e);
  e.xclient.type = ClientMessage;
  e.xclient.window = window;
  e.xclient.message_type = XInternAtom(d, "WM_PROTOCOLS", False);
  e.xclient.format = 32;
  e.xclient.data.l[0] = static_cast<long>(XInternAtom(d, "WM_DELETE_WINDOW", False));
  e.xclient.data.l[1] = CurrentTime;
  XSendEvent(d, window, False, NoEventMask, &e);
  XFlush(d);
}

}  // namespace streamlib::sdl::testing
