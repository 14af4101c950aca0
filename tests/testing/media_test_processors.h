// Small processors for the media data plane's tests: end of stream, synchronized inputs, ports
// per instance, device-driven processors, external memory, bounded pools. They use only the
// public API, as a user's processors would.
#pragma once

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "testing/test_processors.h"

namespace streamlib::testing {

// --- End of stream -------------------------------------------------------------------------

struct FiniteSourceConfig {
  std::uint32_t interval_us = 200;
  std::uint64_t count = 10;        // then end of stream
  std::int64_t step_ns = 1000000;  // timestamp of frame n is n * step_ns
};
STREAMLIB_CONFIG(FiniteSourceConfig, interval_us, count, step_ns);

// Emits `count` DataFrames numbered 0.. with timestamps n * step_ns, then ends its stream.
class FiniteSource : public Processor<FiniteSourceConfig> {
 public:
  STREAMLIB_PROCESSOR(FiniteSource, "Test source that ends its stream", Continuous{});
  LinkOutput<DataFrame> out{this, "out"};
  ExecutionConfig execution_config() const override {
    return {Continuous{std::chrono::microseconds(config().interval_us)}, ThreadPriority::kNormal};
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    if (next_ >= config().count) {
      end_stream();
      return {};
    }
    WritableDataFrame f("finite", 0);
    f.set_frame_number(next_);
    f.set_timestamp_ns(static_cast<std::int64_t>(next_) * config().step_ns);
    ++next_;
    out.push(std::move(f).freeze());
    add(probe_->emitted);
    return {};
  }
  Result<void> finish() override {
    add(probe_->config_changes);  // counts finish() calls here
    return {};
  }

 private:
  std::shared_ptr<Probe> probe_;
  std::uint64_t next_ = 0;
};

// Records what it receives, and how finish() found it: received before finish, once.
class EndAwareSink : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(EndAwareSink, "Test sink that notes the end of its stream", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    in.drain([&](DataFrame&& f) {
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f.frame_number());
    });
    return {};
  }
  Result<void> finish() override {
    add(probe_->config_changes);                      // finish() calls
    probe_->emitted.store(probe_->received_count());  // what it had when it finished
    EXPECT_TRUE(in.ended());
    return {};
  }
  void teardown() override { add(probe_->teardowns); }

 private:
  std::shared_ptr<Probe> probe_;
};

// Relays and, at the end, pushes one more message numbered 1'000'000 (an encoder's drain).
class DrainingRelay : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(DrainingRelay, "Test relay that flushes one last message at the end", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> process() override {
    in.drain([&](DataFrame&& f) { out.push(std::move(f)); });
    return {};
  }
  Result<void> finish() override {
    WritableDataFrame f("flush", 0);
    f.set_frame_number(1'000'000);
    out.push(std::move(f).freeze());
    return {};
  }
};

// --- Synchronized inputs -------------------------------------------------------------------

struct SyncConfig {
  std::uint32_t timeout_ms = 200;
  bool go_on_when_full = false;
};
STREAMLIB_CONFIG(SyncConfig, timeout_ms, go_on_when_full);

// Two inputs paired by timestamp (a muxer's shape): takes a and b together when both have a
// message; after the live timeout with one input silent, goes on with the other alone.
// InputsReady::kAll: kSynchronized is an Aggregator's mode (streamlib/aggregator.h).
class SyncPair : public Processor<SyncConfig> {
 public:
  STREAMLIB_PROCESSOR(SyncPair, "Test processor pairing two inputs by timestamp",
                      Reactive{.inputs = InputsReady::kAll, .timeout = std::chrono::milliseconds(200)});
  LinkInput<DataFrame> a{this, "a"};
  LinkInput<DataFrame> b{this, "b"};
  LinkOutput<DataFrame> out{this, "out"};
  ExecutionConfig execution_config() const override {
    return {Reactive{.inputs = InputsReady::kAll,
                     .timeout = std::chrono::milliseconds(config().timeout_ms),
                     .go_on_when_full = config().go_on_when_full},
            ThreadPriority::kNormal};
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    add(probe_->process_calls);
    auto ha = a.peek();
    auto hb = b.peek();
    if (ha && hb) {
      // Both present: the earlier one, or both when they match.
      if (ha->timestamp_ns() == hb->timestamp_ns()) {
        (void)a.read();
        (void)b.read();
        add(probe_->emitted);  // pairs
        out.push(*ha);
      } else if (ha->timestamp_ns() < hb->timestamp_ns()) {
        (void)a.read();
      } else {
        (void)b.read();
      }
      return {};
    }
    // Called with one input empty: the live timeout ran out. Go on without it.
    if (ha) {
      (void)a.read();
      add(probe_->pauses);  // taken alone
      out.push(*ha);
    } else if (hb) {
      (void)b.read();
      add(probe_->pauses);
      out.push(*hb);
    }
    return {};
  }

 private:
  std::shared_ptr<Probe> probe_;
};

// --- Ports per instance --------------------------------------------------------------------

struct MixerLikeConfig {
  std::uint32_t inputs = 2;
};
STREAMLIB_CONFIG(MixerLikeConfig, inputs);

// `inputs: N` gives in_0..in_{N-1}; records what each input received (tag = port name).
class MixerLike : public Processor<MixerLikeConfig> {
 public:
  STREAMLIB_PROCESSOR(MixerLike, "Test processor with one input per config.inputs", Reactive{});
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> declare_ports() override {
    ins_.clear();
    for (std::uint32_t i = 0; i < config().inputs; ++i) {
      ins_.push_back(&add_input<DataFrame>(fmt::format("in_{}", i), "one mixed input"));
    }
    return {};
  }
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    return {};
  }
  Result<void> process() override {
    for (LinkInput<DataFrame>* in : ins_) {
      in->drain([&](DataFrame&& f) {
        {
          std::lock_guard lock(probe_->mutex);
          probe_->received.push_back(f.frame_number());
          probe_->received_tags.push_back(in->name());
        }
        out.push(std::move(f));
      });
    }
    return {};
  }
  Result<void> on_config_change(const MixerLikeConfig&) override {
    add(probe_->config_changes);
    return {};
  }
  // Frame numbers that came in on `port`, in order.
  static std::vector<std::uint64_t> on(Probe& p, const std::string& port) {
    std::lock_guard lock(p.mutex);
    std::vector<std::uint64_t> out;
    for (std::size_t i = 0; i < p.received.size(); ++i) {
      if (p.received_tags[i] == port) out.push_back(p.received[i]);
    }
    return out;
  }

 private:
  std::shared_ptr<Probe> probe_;
  std::vector<LinkInput<DataFrame>*> ins_;
};

// --- Device-driven ---------------------------------------------------------------------------

struct DeviceConfig {
  std::uint32_t period_us = 300;  // the "device" clock
};
STREAMLIB_CONFIG(DeviceConfig, period_us);

// A relay whose timing comes from a fake device thread (an audio callback's shape): each
// period, inside begin_cycle(), it takes what arrived and pushes it on — on the device thread,
// with no queue or hop. The device runs between start_streaming() and stop_streaming().
class DeviceRelay : public Processor<DeviceConfig> {
 public:
  STREAMLIB_PROCESSOR(DeviceRelay, "Test relay driven by a fake device thread", Manual{});
  LinkInput<DataFrame> in{this, "in"};
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    add(probe_->setups);
    device_ = std::thread([this] { device_loop(); });
    return {};
  }
  Result<void> start_streaming() override {
    add(probe_->resumes);  // streaming starts
    running_.store(true);
    return {};
  }
  void stop_streaming() override {
    add(probe_->pauses);  // streaming stops
    running_.store(false);
  }
  Result<void> process() override { return {}; }
  void teardown() override {
    quit_.store(true);
    device_.join();
    add(probe_->teardowns);
  }
  std::uint64_t cycles() const { return cycles_.load(); }

 private:
  void device_loop() {
    while (!quit_.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(config().period_us));
      if (!running_.load()) continue;
      auto cycle = context().begin_cycle();
      if (!cycle) continue;
      cycles_.fetch_add(1);
      add(probe_->process_calls);
      in.drain([&](DataFrame&& f) {
        {
          std::lock_guard lock(probe_->mutex);
          probe_->received.push_back(f.frame_number());
          probe_->process_thread = std::this_thread::get_id();
        }
        out.push(std::move(f));
      });
    }
  }

  std::shared_ptr<Probe> probe_;
  std::thread device_;
  std::atomic<bool> running_{false};
  std::atomic<bool> quit_{false};
  std::atomic<std::uint64_t> cycles_{0};
};

// --- Memory ------------------------------------------------------------------------------------

// Frames wrapping "device" memory; counts how often each buffer was handed back.
struct ExternalBuffers {
  static constexpr int kBuffers = 8;
  std::vector<std::uint8_t> memory = std::vector<std::uint8_t>(kBuffers * 64 * 16 * 4, 0);
  std::atomic<std::uint64_t> wrapped{0};
  std::atomic<std::uint64_t> released{0};
  std::atomic<std::uint64_t> double_releases{0};
  std::array<std::atomic<int>, kBuffers> out{};  // 1 while a frame wraps buffer i
  static ExternalBuffers& get() {
    static ExternalBuffers* b = new ExternalBuffers();  // never destroyed: releases may come late
    return *b;
  }
};

class ExternalVideoSource : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(ExternalVideoSource, "Test source of frames wrapping external memory",
                      Continuous{std::chrono::microseconds(300)});
  LinkOutput<VideoFrame> video{this, "video"};
  Result<void> process() override {
    ExternalBuffers& b = ExternalBuffers::get();
    for (int tries = 0; tries < ExternalBuffers::kBuffers; ++tries) {
      const int i = next_++ % ExternalBuffers::kBuffers;
      int expected = 0;
      if (!b.out[static_cast<std::size_t>(i)].compare_exchange_strong(expected, 1)) continue;  // still out
      ExternalPlanes planes{.width = 64, .height = 16, .format = PixelFormat::kRgba};
      planes.data[0] = b.memory.data() + static_cast<std::size_t>(i) * 64 * 16 * 4;
      planes.strides[0] = 64 * 4;
      WritableVideoFrame w = pool_.wrap(planes, [i] {
        ExternalBuffers& buffers = ExternalBuffers::get();
        if (buffers.out[static_cast<std::size_t>(i)].exchange(0) != 1) buffers.double_releases.fetch_add(1);
        buffers.released.fetch_add(1);
      });
      w.set_frame_number(frames_++);
      b.wrapped.fetch_add(1);
      video.push(std::move(w).freeze());
      return {};
    }
    return {};  // every buffer is out: the device has none to give
  }

 private:
  VideoFramePool pool_;
  int next_ = 0;
  std::uint64_t frames_ = 0;
};

struct BoundedConfig {
  std::uint32_t bound = 4;
};
STREAMLIB_CONFIG(BoundedConfig, bound);

// Pushes as fast as it can from a bounded pool: how fast its frames come back paces it.
class BoundedPoolSource : public Processor<BoundedConfig> {
 public:
  STREAMLIB_PROCESSOR(BoundedPoolSource, "Test source with a bounded frame pool", Continuous{});
  LinkOutput<VideoFrame> video{this, "video"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    pool_.set_max_in_flight(config().bound);
    pool_.reserve(config().bound, 32, 32, PixelFormat::kRgba);
    return {};
  }
  Result<void> process() override {
    WritableVideoFrame w = pool_.acquire(32, 32, PixelFormat::kRgba);
    w.set_frame_number(next_++);
    max_in_flight_.store(std::max<std::uint64_t>(max_in_flight_.load(), pool_.in_flight()));
    allocated_.store(pool_.allocated());
    video.push(std::move(w).freeze());
    add(probe_->emitted);
    return {};
  }
  nlohmann::json metrics() const override {
    return {{"max_in_flight", max_in_flight_.load()}, {"allocated", allocated_.load()}};
  }

 private:
  std::shared_ptr<Probe> probe_;
  VideoFramePool pool_;
  std::uint64_t next_ = 0;
  std::atomic<std::uint64_t> max_in_flight_{0};
  std::atomic<std::uint64_t> allocated_{0};
};

// Holds each video frame for `delay_us` before letting go (a slow consumer of frames).
struct SlowVideoConfig {
  std::uint32_t delay_us = 2000;
};
STREAMLIB_CONFIG(SlowVideoConfig, delay_us);

class SlowVideoSink : public Processor<SlowVideoConfig> {
 public:
  STREAMLIB_PROCESSOR(SlowVideoSink, "Test sink slow to let video frames go", Reactive{});
  LinkInput<VideoFrame> video{this, "video"};
  Result<void> setup(RuntimeContext& ctx) override {
    probe_ = Probe::get(ctx.processor_id().str());
    return {};
  }
  Result<void> process() override {
    while (auto f = video.read()) {
      std::this_thread::sleep_for(std::chrono::microseconds(config().delay_us));
      std::lock_guard lock(probe_->mutex);
      probe_->received.push_back(f->frame_number());
    }
    return {};
  }

 private:
  std::shared_ptr<Probe> probe_;
};

inline void register_media_test_processors(ProcessorFactory& factory) {
  (void)factory.register_type<FiniteSource>();
  (void)factory.register_type<EndAwareSink>();
  (void)factory.register_type<DrainingRelay>();
  (void)factory.register_type<SyncPair>();
  (void)factory.register_type<MixerLike>();
  (void)factory.register_type<DeviceRelay>();
  (void)factory.register_type<ExternalVideoSource>();
  (void)factory.register_type<BoundedPoolSource>();
  (void)factory.register_type<SlowVideoSink>();
}

}  // namespace streamlib::testing
