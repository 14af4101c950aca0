// Small processors for tests, and Probe: what a test can observe of a processor it cannot
// reach (the runtime owns the instance). Each test processor finds its Probe by processor id
// in setup(), so a rebuilt instance keeps reporting to the same Probe.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "streamlib/streamlib.h"

namespace streamlib::testing {

struct Probe {
  std::atomic<std::uint64_t> process_calls{0};
  std::atomic<std::uint64_t> setups{0};
  std::atomic<std::uint64_t> teardowns{0};
  std::atomic<std::uint64_t> pauses{0};
  std::atomic<std::uint64_t> resumes{0};
  std::atomic<std::uint64_t> config_changes{0};
  std::atomic<std::uint64_t> emitted{0};
  std::atomic<int> scheduler_policy{-1};     // sched_getscheduler() seen in process()
  std::atomic<int> setup_thread_policy{-1};  // ... by a thread that setup() started

  std::mutex mutex;
  std::vector<std::uint64_t> received;     // GUARDED_BY(mutex): frame numbers in arrival order
  std::vector<std::string> received_tags;  // GUARDED_BY(mutex): schema of each frame
  std::thread::id process_thread;          // GUARDED_BY(mutex)
  std::thread::id config_thread;           // GUARDED_BY(mutex)
  std::atomic<std::uint64_t> finishes{0};
  std::string end_error;  // GUARDED_BY(mutex): what ended the input, seen in finish() (ended_with_error)

  std::vector<std::uint64_t> snapshot() {
    std::lock_guard lock(mutex);
    return received;
  }
  std::size_t received_count() {
    std::lock_guard lock(mutex);
    return received.size();
  }

  static std::shared_ptr<Probe> get(const std::string& id) {
    std::lock_guard lock(registry_mutex());
    auto& slot = registry()[id];
    if (!slot) slot = std::make_shared<Probe>();
    return slot;
  }
  static void reset() {
    std::lock_guard lock(registry_mutex());
    registry().clear();
  }

 private:
  static std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
  }
  static std::map<std::string, std::shared_ptr<Probe>>& registry() {
    static std::map<std::string, std::shared_ptr<Probe>> r;
    return r;
  }
};

inline void add(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) { a.fetch_add(n, std::memory_order_relaxed); }

// Waits until `pred` holds or `timeout` passes; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// --- Sources ------------------------------------------------------------------------------

struct TestSourceConfig {
  std::uint32_t interval_us = 1000;
  std::uint64_t count = 0;     // 0: unlimited
  std::string tag = "seq";     // schema of each frame
  std::uint64_t throw_at = 0;  // >0: process() throws when about to emit this sequence number
};
STREAMLIB_CONFIG(TestSourceConfig, interval_us, count, tag, throw_at);

// Continuous source of DataFrames numbered 0, 1, 2, ...; keeps numbering across config changes.
class TestSource : public Processor<TestSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(TestSource, "Test source of numbered DataFrames", Continuous{});
  LinkOutput<DataFrame> out{this, "out"};

  ExecutionConfig execution_config() const override {
    return {Continuous{std::chrono::microseconds(config().interval_us)}, ThreadPriority::kNormal};
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    if (config().count && next_ >= config().count) return {};
    if (config().throw_at && next_ == config().throw_at) throw std::runtime_error("test source exploded");
    WritableDataFrame f(config().tag, 0);
    f.set_frame_number(next_++);
    out.push(std::move(f).freeze());
    add(probe_->emitted);
    return {};
  }
  Result<void> on_config_change(const TestSourceConfig&) override {
    add(probe_->config_changes);
    std::lock_guard lock(probe_->mutex);
    probe_->config_thread = std::this_thread::get_id();
    return {};
  }
  void teardown() override { add(probe_->teardowns); }
  void on_pause() override { add(probe_->pauses); }
  void on_resume() override { add(probe_->resumes); }

 private:
  std::shared_ptr<Probe> probe_;
  std::uint64_t next_ = 0;
};

// --- Relays and sinks ---------------------------------------------------------------------

struct TestSinkConfig {
  std::uint32_t delay_us = 0;  // sleep per message (a slow consumer)
  std::uint64_t fail_at = 0;   // >0: process() returns an error on this frame number
  bool refuse_config = false;  // on_config_change refuses the next config
  std::string tag = "sink";
  std::uint32_t batch = 0;  // >0: read at most this many per process() call
};
STREAMLIB_CONFIG(TestSinkConfig, delay_us, fail_at, refuse_config, tag, batch);

// Records every frame number it receives; hot-reloads its config on its own thread.
class TestSink : public Processor<TestSinkConfig> {
 public:
  STREAMLIB_PROCESSOR(TestSink, "Test sink recording frame numbers", Reactive{});
  LinkInput<DataFrame> in{this, "in"};

  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    {
      std::lock_guard lock(probe_->mutex);
      probe_->process_thread = std::this_thread::get_id();
    }
    std::uint32_t taken = 0;
    while (config().batch == 0 || taken < config().batch) {
      auto f = in.read();
      if (!f) break;
      ++taken;
      if (config().fail_at && f->frame_number() == config().fail_at) {
        return make_error(ErrorCode::kProcessorFailed, "frame {} is cursed", f->frame_number());
      }
      {
        std::lock_guard lock(probe_->mutex);
        probe_->received.push_back(f->frame_number());
        probe_->received_tags.emplace_back(f->schema());
      }
      if (config().delay_us) std::this_thread::sleep_for(std::chrono::microseconds(config().delay_us));
    }
    return {};
  }
  Result<void> on_config_change(const TestSinkConfig& next) override {
    if (config().refuse_config) {
      return make_error(ErrorCode::kInvalidArgument, "refusing {}", next.tag);
    }
    add(probe_->config_changes);
    std::lock_guard lock(probe_->mutex);
    probe_->config_thread = std::this_thread::get_id();
    return {};
  }
  // Records whether its input ended with an upstream failure.
  Result<void> finish() override {
    add(probe_->finishes);
    if (const Error* e = in.ended_with_error()) {
      std::lock_guard lock(probe_->mutex);
      probe_->end_error = e->message();
    }
    return {};
  }
  void teardown() override { add(probe_->teardowns); }
  void on_pause() override { add(probe_->pauses); }
  void on_resume() override { add(probe_->resumes); }

 private:
  std::shared_ptr<Probe> probe_;
};

struct FailingRelayConfig {
  std::uint64_t fail_at = 0;  // >0: process() fails on this frame number
};
STREAMLIB_CONFIG(FailingRelayConfig, fail_at);

// Forwards DataFrames through a fallible drain: fails on frame `fail_at`, leaving the frames
// after it on its input.
class FailingRelay : public Processor<FailingRelayConfig> {
 public:
  STREAMLIB_PROCESSOR(FailingRelay, "Test relay that fails on one frame", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  LinkOutput<DataFrame> out{this, "out"};

  Result<void> process() override {
    STREAMLIB_RETURN_IF_ERROR(in.drain([&](DataFrame&& f) -> Result<void> {
      if (config().fail_at && f.frame_number() == config().fail_at) {
        return make_error(ErrorCode::kProcessorFailed, "frame {} is cursed", f.frame_number());
      }
      out.push(std::move(f));
      return {};
    }));
    return {};
  }
};

struct TagConfig {
  std::string tag = "relay";
};
STREAMLIB_CONFIG(TagConfig, tag);

// Forwards DataFrames unchanged; hot-reloads its tag.
class TestRelay : public Processor<TagConfig> {
 public:
  STREAMLIB_PROCESSOR(TestRelay, "Test relay", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  LinkOutput<DataFrame> out{this, "out"};

  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    in.drain([&](DataFrame&& f) { out.push(std::move(f)); });
    return {};
  }
  Result<void> on_config_change(const TagConfig&) override {
    add(probe_->config_changes);
    std::lock_guard lock(probe_->mutex);
    probe_->config_thread = std::this_thread::get_id();
    return {};
  }
  void teardown() override { add(probe_->teardowns); }

 private:
  std::shared_ptr<Probe> probe_;
};

// Like TestSink but without on_config_change: a config change rebuilds it in place.
class RebuiltSink : public Processor<TagConfig> {
 public:
  STREAMLIB_PROCESSOR(RebuiltSink, "Test sink rebuilt on config change", Reactive{});
  LinkInput<DataFrame> in{this, "in"};

  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    while (auto f = in.read()) {
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f->frame_number());
      probe_->received_tags.push_back(config().tag);
    }
    return {};
  }
  void teardown() override { add(probe_->teardowns); }

 private:
  std::shared_ptr<Probe> probe_;
};

// Two DataFrame inputs -> one output (for non-trivial graphs).
class TestMerge : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TestMerge, "Test merge of two inputs", Reactive{});
  LinkInput<DataFrame> a{this, "a"};
  LinkInput<DataFrame> b{this, "b"};
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> process() override {
    a.drain([&](DataFrame&& f) { out.push(std::move(f)); });
    b.drain([&](DataFrame&& f) { out.push(std::move(f)); });
    return {};
  }
};

// Video ports, for message-type mismatches.
class TestVideoSource : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TestVideoSource, "Test video source", Continuous{std::chrono::milliseconds(5)});
  LinkOutput<VideoFrame> video{this, "video"};
  Result<void> process() override {
    WritableVideoFrame f(16, 8, PixelFormat::kRgba);
    f.set_frame_number(next_++);
    video.push(std::move(f).freeze());
    return {};
  }

 private:
  std::uint64_t next_ = 0;
};

class TestVideoSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(TestVideoSink, "Test video sink", Reactive{});
  LinkInput<VideoFrame> video{this, "video"};
  Result<void> process() override {
    video.drain([](VideoFrame&&) {});
    return {};
  }
};

// --- Special behaviours -------------------------------------------------------------------

struct ManualSourceConfig {
  std::uint32_t tick_us = 1000;
};
STREAMLIB_CONFIG(ManualSourceConfig, tick_us);

// Drives its own timing like a device callback: a thread of its own asks for process() calls.
// on_pause/on_resume stop and restart that "device".
class ManualSource : public Processor<ManualSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(ManualSource, "Test source with its own clock", Manual{});
  LinkOutput<DataFrame> out{this, "out"};

  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    ctx_ = &ctx;
    device_running_ = true;
    device_ = std::thread([this] {
      std::unique_lock lock(device_mutex_);
      while (!device_exit_) {
        device_cv_.wait_for(lock, std::chrono::microseconds(config().tick_us));
        if (device_running_ && !device_exit_) ctx_->request_process();
      }
    });
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    WritableDataFrame f("manual", 0);
    f.set_frame_number(next_++);
    out.push(std::move(f).freeze());
    add(probe_->emitted);
    return {};
  }
  void on_pause() override {
    add(probe_->pauses);
    std::lock_guard lock(device_mutex_);
    device_running_ = false;
  }
  void on_resume() override {
    add(probe_->resumes);
    std::lock_guard lock(device_mutex_);
    device_running_ = true;
  }
  void teardown() override {
    {
      std::lock_guard lock(device_mutex_);
      device_exit_ = true;
    }
    device_cv_.notify_all();
    device_.join();
    add(probe_->teardowns);
  }

 private:
  std::shared_ptr<Probe> probe_;
  RuntimeContext* ctx_ = nullptr;
  std::thread device_;
  std::mutex device_mutex_;
  std::condition_variable device_cv_;
  bool device_running_ = false;  // GUARDED_BY(device_mutex_)
  bool device_exit_ = false;     // GUARDED_BY(device_mutex_)
  std::uint64_t next_ = 0;
};

// Blocks inside process() until Gate::open() — a processor stuck in process().
class StuckSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(StuckSink, "Test sink that gets stuck", Reactive{});
  LinkInput<DataFrame> in{this, "in"};

  struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;      // GUARDED_BY(mutex)
    bool entered = false;   // GUARDED_BY(mutex)
    bool returned = false;  // GUARDED_BY(mutex)
    void release() {
      {
        std::lock_guard lock(mutex);
        open = true;
      }
      cv.notify_all();
    }
    // Closes the gate again, so that a test can run twice in one process (--gtest_repeat).
    void reset() {
      std::lock_guard lock(mutex);
      open = entered = returned = false;
    }
    bool wait_returned(std::chrono::milliseconds timeout) {
      std::unique_lock lock(mutex);
      return cv.wait_for(lock, timeout, [&] { return returned; });
    }
  };
  // Never destroyed: an abandoned thread may still be leaving process() when the test
  // program exits.
  static Gate& gate() {
    static Gate* g = new Gate();
    return *g;
  }

  Result<void> process() override {
    (void)in.read();
    Gate& g = gate();
    std::unique_lock lock(g.mutex);
    g.entered = true;
    g.cv.wait(lock, [&] { return g.open; });
    g.returned = true;
    g.cv.notify_all();
    return {};
  }
};

struct FailingSetupConfig {
  std::string device = "/dev/nothing";
};
STREAMLIB_CONFIG(FailingSetupConfig, device);

class FailingSetup : public Processor<FailingSetupConfig> {
 public:
  STREAMLIB_PROCESSOR(FailingSetup, "Test processor whose setup fails", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext&) override {
    return make_error(ErrorCode::kNotFound, "no such device {}", config().device);
  }
  Result<void> process() override { return {}; }
};

// Asks for SCHED_FIFO; records what the OS gave its thread (in process()), and what a thread
// that setup() starts gets (it must not inherit SCHED_FIFO).
class RealtimeSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(RealtimeSink, "Test sink asking for real-time priority", Continuous{std::chrono::milliseconds(1)},
                      ThreadPriority::kRealTime);
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    std::thread helper([p = probe_] { p->setup_thread_policy.store(sched_getscheduler(0)); });
    helper.join();
    return {};
  }
  Result<void> process() override {
    probe_->scheduler_policy.store(sched_getscheduler(0));
    in.drain([](DataFrame&&) {});
    return {};
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// --- Hardening: misbehaving callbacks, slow setups, look-alike message types ---------------

struct ThrowingConfig {
  std::string tag = "a";
  bool throw_std = true;  // false: throws an int (not a std::exception)
};
STREAMLIB_CONFIG(ThrowingConfig, tag, throw_std);

// on_config_change throws; records what it processes under which tag.
class ThrowingConfigSink : public Processor<ThrowingConfig> {
 public:
  STREAMLIB_PROCESSOR(ThrowingConfigSink, "Test sink whose on_config_change throws", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    while (auto f = in.read()) {
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f->frame_number());
      probe_->received_tags.push_back(config().tag);
    }
    return {};
  }
  Result<void> on_config_change(const ThrowingConfig& next) override {
    if (next.throw_std) throw std::runtime_error("on_config_change exploded");
    throw 42;  // NOLINT(hicpp-exception-baseclass): a callback may throw anything
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// No on_config_change (so a config change rebuilds it); its constructor throws while
// `explode()` is set, as a constructor that acquires something might.
class ExplodingCtorSink : public Processor<TagConfig> {
 public:
  STREAMLIB_PROCESSOR(ExplodingCtorSink, "Test sink whose constructor can throw", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  static std::atomic<bool>& explode() {
    static std::atomic<bool> flag{false};
    return flag;
  }
  ExplodingCtorSink() {
    if (explode().load()) throw std::runtime_error("constructor exploded");
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    while (auto f = in.read()) {
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f->frame_number());
      probe_->received_tags.push_back(config().tag);
    }
    return {};
  }

 private:
  std::shared_ptr<Probe> probe_;
};

struct SlowSetupConfig {
  std::uint32_t setup_ms = 0;  // setup() sleeps this long (opening a slow device or stream)
  bool fail = false;           // and then fails
};
STREAMLIB_CONFIG(SlowSetupConfig, setup_ms, fail);

class SlowSetup : public Processor<SlowSetupConfig> {
 public:
  STREAMLIB_PROCESSOR(SlowSetup, "Test processor with a slow setup", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    std::this_thread::sleep_for(std::chrono::milliseconds(config().setup_ms));
    add(probe_->setups);
    if (config().fail) return make_error(ErrorCode::kIo, "could not open the slow device");
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    in.drain([](DataFrame&&) {});
    return {};
  }
  void teardown() override { add(probe_->teardowns); }

 private:
  std::shared_ptr<Probe> probe_;
};

// Records whether process() ever ran while paused (between on_pause and on_resume).
class PauseAwareSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(PauseAwareSink, "Test sink checking process() never runs while paused", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    if (paused_) add(probe_->config_changes);  // misused as "process() while paused" here
    while (auto f = in.read()) {
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f->frame_number());
    }
    return {};
  }
  void on_pause() override {
    paused_ = true;
    add(probe_->pauses);
  }
  void on_resume() override {
    paused_ = false;
    add(probe_->resumes);
  }

 private:
  std::shared_ptr<Probe> probe_;
  bool paused_ = false;
};

struct PriorityConfig {
  ThreadPriority priority = ThreadPriority::kNormal;
};
STREAMLIB_CONFIG(PriorityConfig, priority);

// Takes its thread priority from its config; records the scheduler policy process() runs with.
class ConfiguredPrioritySource : public Processor<PriorityConfig> {
 public:
  STREAMLIB_PROCESSOR(ConfiguredPrioritySource, "Test source whose priority comes from its config",
                      Continuous{std::chrono::milliseconds(1)});
  LinkOutput<DataFrame> out{this, "out"};
  ExecutionConfig execution_config() const override {
    return {Continuous{std::chrono::milliseconds(1)}, config().priority};
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    probe_->scheduler_policy.store(sched_getscheduler(0));
    return {};
  }
  Result<void> on_config_change(const PriorityConfig&) override { return {}; }

 private:
  std::shared_ptr<Probe> probe_;
};

// Registers every test processor with `factory`.
inline void register_test_processors(ProcessorFactory& factory) {
  (void)factory.register_type<TestSource>();
  (void)factory.register_type<TestSink>();
  (void)factory.register_type<TestRelay>();
  (void)factory.register_type<RebuiltSink>();
  (void)factory.register_type<TestMerge>();
  (void)factory.register_type<TestVideoSource>();
  (void)factory.register_type<TestVideoSink>();
  (void)factory.register_type<ManualSource>();
  (void)factory.register_type<StuckSink>();
  (void)factory.register_type<FailingSetup>();
  (void)factory.register_type<RealtimeSink>();
  (void)factory.register_type<ThrowingConfigSink>();
  (void)factory.register_type<ExplodingCtorSink>();
  (void)factory.register_type<SlowSetup>();
  (void)factory.register_type<PauseAwareSink>();
  (void)factory.register_type<ConfiguredPrioritySource>();
}

}  // namespace streamlib::testing
