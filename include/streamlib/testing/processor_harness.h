// ProcessorHarness<P>: one processor on the test's own thread — no runtime, no threads, no
// sleeps — on a virtual clock. Set a config, push messages into inputs, end their streams, run
// process() as the runtime would, and take what came out. Like GStreamer's GstHarness and
// mediapipe's CalculatorRunner; how StreamLib's own processors are unit-tested.
//
//   streamlib::ProcessorHarness<Gain> h({.gain_db = -6.0f});
//   ASSERT_TRUE(h.start());                           // setup(), start_streaming()
//   h.push("in", make_block(480));                    // any message type the input takes
//   h.end_input("in");                                // end of stream on that input
//   ASSERT_TRUE(h.run());                             // process() while ready, then finish()
//   std::vector<AudioFrame> out = h.take<AudioFrame>("out");
//   EXPECT_TRUE(h.output_ended("out"));
//
// run() decides like the runtime: a Reactive processor is called while its inputs are ready
// (its InputsReady policy, or an Aggregator's own gate and deadline on the virtual clock; never
// again on data it left unread), a Continuous one at each tick of
// the virtual clock up to now (advance() moves it), a Manual one when it requested a call;
// when every connected input has ended, or the processor called end_stream(), finish() runs and
// its outputs end. context().now_ns() is the virtual clock; begin_cycle() always succeeds while
// started (a device cycle runs on the test's thread). Outputs keep everything pushed (up to
// 65,536 messages between two take() calls; more is dropped and counted in dropped()).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "streamlib/internal/readiness.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/processor.h"
#include "streamlib/result.h"

namespace streamlib {

template <class P>
class ProcessorHarness final : private RuntimeContext {
 public:
  using Config = typename P::ConfigType;

  explicit ProcessorHarness(Config config = {}, std::string id = "harness") : id_(std::move(id)) {
    processor_ = make_instance(config);
  }
  ProcessorHarness(const ProcessorHarness&) = delete;
  ProcessorHarness& operator=(const ProcessorHarness&) = delete;
  ~ProcessorHarness() override { (void)stop(); }

  P& processor() { return *processor_; }
  const Config& config() const { return processor_->config(); }

  // setup(), then start_streaming(); outputs are connected to the harness.
  Result<void> start() {
    if (started_) return {};
    STREAMLIB_RETURN_IF_ERROR(internal::check_inputs_ready(processor_->execution_config()));
    for (OutputPortBase* out : processor_->outputs()) connect_output(*out);
    STREAMLIB_RETURN_IF_ERROR(guard("setup", [&] { return processor_->setup(*this); }));
    started_ = true;
    STREAMLIB_RETURN_IF_ERROR(guard("start_streaming", [&] { return processor_->start_streaming(); }));
    streaming_ = true;
    return {};
  }

  // Ends the processor's stream if it has not (finish()), then stop_streaming() and teardown().
  Result<void> stop() {
    if (!started_) return {};
    Result<void> r = finish();
    stop_streaming();
    processor_->teardown();
    started_ = false;
    return r;
  }

  // A live config change: on_config_change(), or — if the processor has none — a rebuild
  // (teardown, a new instance with the new config, setup), keeping every link.
  Result<void> set_config(const Config& next) {
    Result<void> r = guard("on_config_change", [&] { return processor_->reconfigure_json(config_to_json(next)); });
    if (r) {
      for (OutputPortBase* out : processor_->outputs()) out->continue_timeline();  // as the runtime does
    }
    if (r || r.error().code() != ErrorCode::kUnsupported) return r;
    const bool was_started = started_;
    if (started_) {
      stop_streaming();
      processor_->teardown();
      started_ = false;
    }
    std::unique_ptr<P> fresh = make_instance(next);
    for (InputPortBase* in : processor_->inputs()) {
      if (InputPortBase* to = fresh->find_input(in->name()); to && in->channel()) {
        STREAMLIB_RETURN_IF_ERROR(to->attach(in->link_id(), in->channel()));
      }
    }
    for (OutputPortBase* out : processor_->outputs()) {
      for (auto& [id, channel] : out->attached()) {
        if (OutputPortBase* to = fresh->find_output(out->name())) STREAMLIB_RETURN_IF_ERROR(to->attach(id, channel));
      }
    }
    // Media time goes on from where the old instance left it, as in the runtime.
    for (OutputPortBase* out : fresh->outputs()) out->continue_timeline(processor_->find_output(out->name()));
    processor_ = std::move(fresh);
    if (!was_started) return {};
    return start();
  }

  // --- Inputs ---------------------------------------------------------------------------------

  // Queues `message` on input `name` (of any message type the input takes).
  template <Message T>
  Result<void> push(std::string_view name, T message) {
    STREAMLIB_ASSIGN_OR_RETURN(internal::LinkChannel<T> * channel, input_channel<T>(name));
    (void)channel->push(std::move(message));
    return {};
  }
  // Ends the stream on input `name`, after what was pushed before.
  Result<void> end_input(std::string_view name) {
    InputPortBase* in = processor_->find_input(name);
    if (in == nullptr) return make_error(ErrorCode::kNotFound, "{} has no input '{}'", P::kTypeName, name);
    if (!in->channel()) {
      return make_error(ErrorCode::kFailedPrecondition, "input '{}' has no link: push something first", name);
    }
    in->channel()->end_stream();
    return {};
  }

  // --- Running --------------------------------------------------------------------------------

  // Exactly one process() call (readiness not checked), then what the runtime does after one.
  Result<void> process() {
    STREAMLIB_RETURN_IF_ERROR(check_running());
    ++calls_;
    {
      // A device thread's cycle (begin_cycle) and process() never overlap, as in a runtime.
      std::lock_guard cycle(cycle_mutex_);
      STREAMLIB_RETURN_IF_ERROR(guard("process", [&] { return processor_->process(); }));
    }
    return after_call();
  }

  // Calls process() as the runtime would until nothing is ready (see the file comment);
  // returns how many calls were made. At most `max_calls`.
  Result<std::size_t> run(std::size_t max_calls = 100000) {
    STREAMLIB_RETURN_IF_ERROR(check_running());
    std::size_t made = 0;
    while (!finished_ && made < max_calls) {
      const ExecutionConfig exec = processor_->execution_config();
      if (const auto* c = std::get_if<Continuous>(&exec.mode)) {
        if (c->interval.count() == 0) {
          if (made > 0) break;  // "as fast as possible": one call per run()
        } else {
          if (!next_due_) next_due_ = now_;
          if (*next_due_ > now_) break;
          *next_due_ += std::chrono::duration_cast<std::chrono::nanoseconds>(c->interval).count();
        }
        STREAMLIB_RETURN_IF_ERROR(call_once());
        ++made;
        if (internal::InputReadiness::all_ended(processor_->inputs())) STREAMLIB_RETURN_IF_ERROR(finish());
      } else if (const auto* r = std::get_if<Reactive>(&exec.mode)) {
        const auto d = readiness_.decide(processor_->inputs(), *r, now_);
        if (d.verdict == internal::InputReadiness::Verdict::kFinished) {
          STREAMLIB_RETURN_IF_ERROR(finish());
          break;
        }
        if (d.verdict != internal::InputReadiness::Verdict::kReady) break;
        const std::uint64_t before = internal::InputReadiness::token(processor_->inputs());
        STREAMLIB_RETURN_IF_ERROR(call_once());
        readiness_.called(before, internal::InputReadiness::token(processor_->inputs()));
        ++made;
      } else {  // Manual
        if (internal::InputReadiness::all_ended(processor_->inputs())) {
          STREAMLIB_RETURN_IF_ERROR(finish());
          break;
        }
        if (!requested_.exchange(false)) break;
        STREAMLIB_RETURN_IF_ERROR(call_once());
        ++made;
      }
    }
    return made;
  }

  // Runs finish() (once) and ends every output: what the runtime does at end of stream.
  Result<void> finish() {
    if (finished_ || !started_) return {};
    finished_ = true;
    stop_streaming();
    Result<void> r = guard("finish", [&] { return processor_->finish(); });
    for (OutputPortBase* out : processor_->outputs()) out->end_stream();
    return r;
  }

  // The virtual clock (context().now_ns() inside the processor).
  void advance(std::chrono::nanoseconds by) { now_ += by.count(); }
  std::int64_t now_ns() const override { return now_; }

  // What the processor reported through RuntimeContext::warn, oldest first ("link: message" when
  // it named a link).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // --- Outputs --------------------------------------------------------------------------------

  // Everything pushed to output `name` since the last take.
  template <Message T>
  std::vector<T> take(std::string_view name) {
    std::vector<T> out;
    auto it = outputs_.find(std::string(name));
    if (it == outputs_.end() || it->second->value_type() != typeid(T)) return out;
    auto* channel = static_cast<internal::LinkChannel<T>*>(it->second.get());
    while (auto v = channel->pop()) out.push_back(std::move(*v));
    return out;
  }
  // True once output `name` ended and everything before was taken.
  bool output_ended(std::string_view name) {
    auto it = outputs_.find(std::string(name));
    return it != outputs_.end() && it->second->ended();
  }
  std::uint64_t dropped(std::string_view name) const {
    auto it = outputs_.find(std::string(name));
    return it == outputs_.end() ? 0 : it->second->stats().dropped;
  }

  bool finished() const { return finished_; }
  std::size_t process_calls() const { return calls_; }
  // kAll / kSynchronized: inputs gone on without after the live timeout.
  std::uint64_t input_stalls() const { return readiness_.stalls(); }

 private:
  static constexpr std::uint32_t kCapacity = 65536;

  std::unique_ptr<P> make_instance(const Config& config) {
    auto p = std::make_unique<P>();
    p->set_config(config);
    p->attach_context(this);
    if (auto r = p->refresh_ports(); !r) error_ = r.error();
    return p;
  }

  template <class F>
  Result<void> guard(std::string_view what, F&& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kProcessorFailed, "{} threw: {}", what, e.what());
    } catch (...) {
      return make_error(ErrorCode::kProcessorFailed, "{} threw", what);
    }
  }

  Result<void> check_running() {
    if (error_) return make_error(*error_);
    if (!started_) return make_error(ErrorCode::kFailedPrecondition, "the harness is not started (call start())");
    return {};
  }

  Result<void> call_once() {
    ++calls_;
    {
      // A device thread's cycle (begin_cycle) and process() never overlap, as in a runtime.
      std::lock_guard cycle(cycle_mutex_);
      STREAMLIB_RETURN_IF_ERROR(guard("process", [&] { return processor_->process(); }));
    }
    return after_call();
  }

  Result<void> after_call() {
    std::optional<Error> cycle_error;
    {
      std::lock_guard lock(cycle_error_mutex_);
      cycle_error = std::exchange(cycle_error_, std::nullopt);
    }
    if (cycle_error) return make_error(*cycle_error);
    if (processor_->take_end_requested()) return finish();
    return {};
  }

  void connect_output(OutputPortBase& out) {
    if (outputs_.count(out.name())) return;
    const LinkId id(fmt::format("{}.{}->harness", id_, out.name()));
    auto channel =
        out.info().make_channel(id, fmt::format("{}.{}", id_, out.name()), "harness",
                                LinkConfig{.capacity = kCapacity, .policy = LinkPolicy::kDropNewest}, nullptr, nullptr);
    (void)out.attach(id, channel);
    outputs_.emplace(out.name(), std::move(channel));
  }

  template <Message T>
  Result<internal::LinkChannel<T>*> input_channel(std::string_view name) {
    InputPortBase* in = processor_->find_input(name);
    if (in == nullptr) return make_error(ErrorCode::kNotFound, "{} has no input '{}'", P::kTypeName, name);
    if (!in->channel()) {
      const LinkId id(fmt::format("harness->{}.{}", id_, name));
      auto channel = internal::make_channel_of<T>(id, "harness", fmt::format("{}.{}", id_, name),
                                                  LinkConfig{.capacity = kCapacity, .policy = LinkPolicy::kDropNewest},
                                                  nullptr, nullptr);
      STREAMLIB_RETURN_IF_ERROR(in->attach(id, channel));
    }
    if (in->channel()->value_type() != typeid(T)) {
      return make_error(ErrorCode::kTypeMismatch, "input '{}' is linked with {} messages, not {}", name,
                        in->channel()->message_type(), message_info<T>().name);
    }
    return static_cast<internal::LinkChannel<T>*>(in->channel().get());
  }

  // Refuses new device cycles, waits for one in progress, then stops the device.
  void stop_streaming() {
    if (!streaming_.exchange(false)) return;
    { std::lock_guard wait_for_cycle(cycle_mutex_); }
    processor_->stop_streaming();
  }

  // --- RuntimeContext ---
  const ProcessorId& processor_id() const override { return id_; }
  void request_process() override { requested_ = true; }
  bool stop_requested() const override { return false; }
  // Device threads (an SDL callback) as well as the test's thread.
  void fail_cycle(const Error& error) override {
    std::lock_guard lock(cycle_error_mutex_);
    cycle_error_ = error;
  }
  void warn(std::string message, const LinkId& link) override {
    warnings_.push_back(link.empty() ? std::move(message) : fmt::format("{}: {}", link, message));
  }
  void* try_begin_cycle() override {
    if (!streaming_.load(std::memory_order_acquire) || !cycle_mutex_.try_lock()) return nullptr;
    return &cycle_mutex_;
  }
  void end_cycle(void* lock) override { static_cast<std::mutex*>(lock)->unlock(); }

  ProcessorId id_;
  std::unique_ptr<P> processor_;
  std::map<std::string, std::shared_ptr<internal::LinkChannelBase>, std::less<>> outputs_;
  internal::InputReadiness readiness_;
  std::optional<Error> error_;
  std::mutex cycle_mutex_;  // held by a device cycle, and around process()
  std::mutex cycle_error_mutex_;
  std::optional<Error> cycle_error_;  // GUARDED_BY(cycle_error_mutex_)
  std::optional<std::int64_t> next_due_;
  std::vector<std::string> warnings_;  // RuntimeContext::warn, "link: message"
  std::int64_t now_ = 0;
  std::size_t calls_ = 0;
  bool started_ = false;
  std::atomic<bool> streaming_{false};  // read by device threads
  bool finished_ = false;
  std::atomic<bool> requested_{false};  // request_process() may come from any thread
};

}  // namespace streamlib
