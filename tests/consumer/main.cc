// A user's program against an installed StreamLib (find_package(streamlib)), with processors of
// its own. It checks what a user relies on, including the hazards peers are known for:
//   1. data flows from a built-in source to a built-in sink, and the graph round-trips;
//   2. a relink while the user's relay is blocked pushing into a slow consumer returns at once,
//      and the relay's other branch loses nothing;
//   3. a change refused inside a Manual batch leaves the runtime as it was, and the next batch
//      applies.
// Exit code 0 on success; otherwise the number of the failed check.
#include <streamlib/streamlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace user {

struct Note {
  std::uint64_t seq = 0;
};
STREAMLIB_MESSAGE_TYPE(Note, 8, streamlib::LinkPolicy::kBlock);

class Ticker : public streamlib::Processor<streamlib::EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(Ticker, "user source", streamlib::Continuous{std::chrono::microseconds(200)});
  streamlib::LinkOutput<Note> out{this, "out"};
  streamlib::Result<void> process() override {
    out.push(Note{next_++});
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

struct RelayConfig {
  std::string label = "a";
};
STREAMLIB_CONFIG(RelayConfig, label);

class Relay : public streamlib::Processor<RelayConfig> {
 public:
  STREAMLIB_PROCESSOR(Relay, "user relay", streamlib::Reactive{});
  streamlib::LinkInput<Note> in{this, "in"};
  streamlib::LinkOutput<Note> out{this, "out"};
  streamlib::Result<void> process() override {
    in.drain([&](Note&& n) { out.push(n); });
    return {};
  }
  streamlib::Result<void> on_config_change(const RelayConfig& next) override {
    if (next.label == "refused") return streamlib::make_error(streamlib::ErrorCode::kInvalidArgument, "no");
    return {};
  }
};

struct SinkConfig {
  std::uint32_t delay_us = 0;
};
STREAMLIB_CONFIG(SinkConfig, delay_us);

std::atomic<std::uint64_t> g_fast_received{0};
std::atomic<bool> g_fast_in_order{true};

class Sink : public streamlib::Processor<SinkConfig> {
 public:
  STREAMLIB_PROCESSOR(Sink, "user sink", streamlib::Reactive{});
  streamlib::LinkInput<Note> in{this, "in"};
  streamlib::Result<void> process() override {
    int taken = 0;
    while (taken < 4) {
      auto n = in.read();
      if (!n) break;
      ++taken;
      if (config().delay_us) {
        std::this_thread::sleep_for(std::chrono::microseconds(config().delay_us));
      } else {
        if (n->seq != expected_) g_fast_in_order = false;
        expected_ = n->seq + 1;
        g_fast_received.fetch_add(1);
      }
    }
    return {};
  }
  streamlib::Result<void> on_config_change(const SinkConfig&) override { return {}; }

 private:
  std::uint64_t expected_ = 0;
};

}  // namespace user

template <class F>
long long ms_taken(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

int main() {
  // Linking only the core pulls in no media component.
  if (!streamlib::loaded_modules().empty()) {
    std::fprintf(stderr, "core-only program has modules loaded\n");
    return 9;
  }
  {  // 1
    streamlib::StreamRuntime rt;
    auto src = rt.add_processor<streamlib::SequenceSource>({.interval_us = 200}).value();
    auto sink = rt.add_processor<streamlib::Counter>({}).value();
    if (!rt.connect(src.output(&streamlib::SequenceSource::out), sink.input(&streamlib::Counter::in))) return 1;
    if (!rt.start()) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!rt.stop()) return 1;
    auto again = streamlib::Graph::from_json(rt.graph().to_json());
    if (!again || again->checksum() != rt.graph().checksum()) return 1;
  }
  {  // 2
    streamlib::StreamRuntime rt({.control_timeout = std::chrono::milliseconds(2000)});
    const streamlib::LinkConfig block{.capacity = 4, .block_timeout = std::chrono::seconds(30)};
    auto tick = rt.add_processor<user::Ticker>({}, "tick").value();
    auto relay = rt.add_processor<user::Relay>({}, "relay").value();
    auto slow = rt.add_processor<user::Sink>({.delay_us = 3000}, "slow").value();
    auto fast = rt.add_processor<user::Sink>({}, "fast").value();
    if (!rt.connect(tick.output(&user::Ticker::out), relay.input(&user::Relay::in), block)) return 2;
    auto slow_link = rt.connect(relay.output(&user::Relay::out), slow.input(&user::Sink::in), block);
    if (!slow_link || !rt.connect(relay.output(&user::Relay::out), fast.input(&user::Sink::in), block)) return 2;
    if (!rt.start()) return 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the slow link is full now
    long long worst = 0;
    worst = std::max(worst, ms_taken([&] { (void)rt.update_processor_config(relay, {.label = "b"}); }));
    worst = std::max(worst, ms_taken([&] { (void)rt.update_link_config(*slow_link, {.capacity = 8}); }));
    worst = std::max(worst, ms_taken([&] { (void)rt.disconnect(*slow_link); }));
    if (worst > 1000) {
      std::printf("a change waited %lld ms on the blocked relay\n", worst);
      return 2;
    }
    const std::uint64_t seen = user::g_fast_received.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!rt.stop() || user::g_fast_received.load() <= seen || !user::g_fast_in_order.load()) return 2;
  }
  {  // 3
    streamlib::StreamRuntime rt;
    auto tick = rt.add_processor<user::Ticker>({}, "tick").value();
    auto relay = rt.add_processor<user::Relay>({}, "relay").value();
    if (!rt.connect(tick.output(&user::Ticker::out), relay.input(&user::Relay::in))) return 3;
    if (!rt.start() || !rt.set_commit_mode(streamlib::CommitMode::kManual)) return 3;
    if (!rt.update_processor_config(relay, {.label = "refused"})) return 3;
    if (rt.commit()) return 3;  // refused
    if (rt.has_pending_changes()) return 3;
    auto sink = rt.add_processor<user::Sink>({}, "sink");
    if (!sink || !rt.connect(relay.output(&user::Relay::out), sink->input(&user::Sink::in))) return 3;
    if (!rt.commit()) return 3;  // the next batch applies
    if (rt.stats().links.size() != 2 || !rt.stop()) return 3;
  }
  std::printf("consumer ok\n");
  return 0;
}
