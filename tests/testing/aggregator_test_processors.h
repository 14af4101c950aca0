// A user's own Aggregator, outside the catalogue, and the scripted source and recording sink
// its tests drive it with (in the harness and in a runtime).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "streamlib/aggregator.h"
#include "streamlib/frames/data_frame.h"

namespace streamlib::testing {

// A message named "<input><timestamp ms>", e.g. "a20", stamped `ms` milliseconds.
inline DataFrame stamped(const std::string& input, std::int64_t ms) {
  WritableDataFrame f("stamped", 0);
  f.assign(fmt::format("{}{}", input, ms));
  f.set_timestamp_ns(ms * 1'000'000);
  return std::move(f).freeze();
}

struct InterleaveConfig {
  std::uint32_t window_ms = 10;
  std::uint32_t timeout_ms = 100;
};
STREAMLIB_CONFIG(InterleaveConfig, window_ms, timeout_ms);

// Merges inputs a and b in timestamp order, window by window (a muxer's interleaving): each
// message is an instant; at the end it sends "end". Records every window's statuses.
class Interleave : public Aggregator<InterleaveConfig, DataFrame> {
 public:
  STREAMLIB_PROCESSOR(Interleave, "Test aggregator merging two inputs by timestamp",
                      Reactive{.inputs = InputsReady::kSynchronized, .timeout = std::chrono::milliseconds(100)});
  LinkInput<DataFrame> a{this, "a"};
  LinkInput<DataFrame> b{this, "b"};
  LinkOutput<DataFrame> out{this, "out"};

  Reactive synchronization() const override {
    return Reactive{.inputs = InputsReady::kSynchronized, .timeout = std::chrono::milliseconds(config().timeout_ms)};
  }
  AggregateSpan span(const DataFrame& m) const override { return {m.timestamp_ns(), m.timestamp_ns()}; }
  std::int64_t interval_length() const override { return std::int64_t{config().window_ms} * 1'000'000; }

  Result<void> aggregate(const AggregateInterval& interval, std::span<AggregatorInput<DataFrame>> inputs) override {
    std::string line = fmt::format("[{},{})", interval.start / 1'000'000, interval.end / 1'000'000);
    for (const auto& in : inputs) line += fmt::format(" {}={}", in.port->name(), enum_name(in.status));
    windows.push_back(line);
    // Merge: the earlier first; at equal timestamps, a before b.
    auto& ma = inputs[0].messages;
    auto& mb = inputs[1].messages;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < ma.size() || j < mb.size()) {
      if (j == mb.size() || (i < ma.size() && ma[i].timestamp_ns() <= mb[j].timestamp_ns())) {
        out.push(std::move(ma[i++]));
      } else {
        out.push(std::move(mb[j++]));
      }
    }
    return {};
  }
  Result<void> on_end() override {
    WritableDataFrame f("stamped", 0);
    f.assign("end");
    out.push(std::move(f).freeze());
    return {};
  }

  std::vector<std::string> windows;  // processor thread only; read after the stream ended
};

// Scripts shared between a test and its sources/sinks, by processor id.
struct Script {
  std::mutex mutex;
  std::deque<std::optional<std::int64_t>> to_send;  // a timestamp in ms, or nullopt: end
  std::vector<std::string> received;
  bool ended = false;

  static std::shared_ptr<Script> get(const std::string& id) {
    static std::mutex m;
    static std::map<std::string, std::shared_ptr<Script>> all;
    std::lock_guard lock(m);
    auto& s = all[id];
    if (!s) s = std::make_shared<Script>();
    return s;
  }
  static void reset(const std::string& id) {
    auto s = get(id);
    std::lock_guard lock(s->mutex);
    s->to_send.clear();
    s->received.clear();
    s->ended = false;
  }
  void send(std::initializer_list<std::int64_t> ms) {
    std::lock_guard lock(mutex);
    for (std::int64_t t : ms) to_send.emplace_back(t);
  }
  void end() {
    std::lock_guard lock(mutex);
    to_send.emplace_back(std::nullopt);
  }
  std::vector<std::string> got() {
    std::lock_guard lock(mutex);
    return received;
  }
  bool has_ended() {
    std::lock_guard lock(mutex);
    return ended;
  }
};

struct ScriptedConfig {
  std::string name = "a";  // the prefix of its messages
};
STREAMLIB_CONFIG(ScriptedConfig, name);

// Sends what its Script says, when it says so.
class ScriptedSource : public Processor<ScriptedConfig> {
 public:
  STREAMLIB_PROCESSOR(ScriptedSource, "Test source sending what its script says",
                      Continuous{std::chrono::milliseconds(1)});
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> setup(RuntimeContext& ctx) override {
    script_ = Script::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    std::lock_guard lock(script_->mutex);
    while (!script_->to_send.empty()) {
      const std::optional<std::int64_t> next = script_->to_send.front();
      script_->to_send.pop_front();
      if (!next) {
        end_stream();
        return {};
      }
      out.push(stamped(config().name, *next));
    }
    return {};
  }

 private:
  std::shared_ptr<Script> script_;
};

// Records the text of what it receives in its Script.
class ScriptedSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(ScriptedSink, "Test sink recording message texts", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    script_ = Script::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    in.drain([&](DataFrame&& f) {
      std::lock_guard lock(script_->mutex);
      script_->received.emplace_back(f.text());
    });
    return {};
  }
  Result<void> finish() override {
    std::lock_guard lock(script_->mutex);
    script_->ended = true;
    return {};
  }

 private:
  std::shared_ptr<Script> script_;
};

}  // namespace streamlib::testing
