#include "streamlib/log.h"

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "streamlib/internal/log_as.h"
#include "streamlib/link/link_channel.h"  // internal::t_thread_context: which processor's thread

namespace streamlib::log {

namespace {

constexpr std::array<std::pair<Level, std::string_view>, 5> kNames{{
    {Level::kOff, "quiet"},
    {Level::kError, "error"},
    {Level::kWarning, "warning"},
    {Level::kInfo, "info"},
    {Level::kDebug, "debug"},
}};

std::atomic<int> g_level{static_cast<int>(Level::kWarning)};

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
Sink& sink() {  // GUARDED_BY(sink_mutex())
  static Sink s;
  return s;
}

void emit(const Record& record) {
  std::lock_guard lock(sink_mutex());
  if (sink()) {
    sink()(record);
    return;
  }
  const std::string line = format(record) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

std::string_view level_name(Level level) {
  for (const auto& [l, name] : kNames) {
    if (l == level) return name;
  }
  return "?";
}

std::optional<Level> parse_level(std::string_view name) {
  for (const auto& [l, n] : kNames) {
    if (n == name) return l;
  }
  return std::nullopt;
}

void set_level(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

Level level() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool enabled(Level level) {
  return level != Level::kOff && static_cast<int>(level) <= g_level.load(std::memory_order_relaxed);
}

void set_sink(Sink s) {
  std::lock_guard lock(sink_mutex());
  sink() = std::move(s);
}

std::string format(const Record& record) {
  std::string out = fmt::format("[{}] ", record.source);
  if (!record.origin.empty()) out += fmt::format("{}: ", record.origin);
  if (record.level == Level::kError) out += "error: ";
  out += record.message;
  return out;
}

std::string current_source() {
  if (const internal::ThreadContext* ctx = internal::t_thread_context; ctx != nullptr) {
    if (const ProcessorId& id = ctx->processor_id(); !id.empty()) return id.str();
  }
  char name[16] = {};  // the kernel keeps 15 characters and a NUL
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 && name[0] != '\0') return name;
  return "streamlib";
}

void write(Level level, std::string_view origin, std::string_view message) {
  if (!enabled(level)) return;
  write_as(level, current_source(), origin, message);
}

void write_as(Level level, std::string_view source, std::string_view origin, std::string_view message) {
  if (!enabled(level)) return;
  while (!message.empty()) {
    const std::size_t end = message.find('\n');
    std::string_view line = message.substr(0, end);
    message = end == std::string_view::npos ? std::string_view() : message.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    emit(Record{level, source, origin, line});
  }
}

}  // namespace streamlib::log
