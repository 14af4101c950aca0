// Aggregator<Config, T>: a processor whose inputs are aligned in time — a mixer, a muxer, a
// compositor. Like GStreamer's GstAggregator: the base class takes care of readiness, the live
// timeout of a stalled input, end of stream per input and inputs that come and go; the subclass
// says where a message sits in time and what to do with one output interval.
//
//   class Interleave : public streamlib::Aggregator<InterleaveConfig, streamlib::DataFrame> {
//    public:
//     STREAMLIB_PROCESSOR(Interleave, "Merges two streams in timestamp order",
//                         streamlib::Reactive{.inputs = streamlib::InputsReady::kSynchronized,
//                                             .timeout = std::chrono::milliseconds(100)});
//     streamlib::LinkInput<streamlib::DataFrame> a{this, "a"}, b{this, "b"};
//     streamlib::LinkOutput<streamlib::DataFrame> out{this, "out"};
//
//     streamlib::AggregateSpan span(const streamlib::DataFrame& m) const override {
//       return {m.timestamp_ns(), m.timestamp_ns()};           // an instant
//     }
//     std::int64_t interval_length() const override { return 10'000'000; }  // 10 ms windows
//     streamlib::Result<void> aggregate(const streamlib::AggregateInterval& interval,
//                                       std::span<streamlib::AggregatorInput<streamlib::DataFrame>> inputs) override;
//   };
//
// THE TIMELINE. Every message has a span [start, end) on the aggregator's timeline (span();
// nanoseconds for timestamps, or sample positions for sample-accurate audio; an instant has
// end == start). The output is cut into consecutive intervals [start, end) of interval_length()
// (read again for each interval, so it may change live); the first starts at the earliest
// message of the first call that has any. Messages are expected in order on each input.
//
// ONE INTERVAL. The base reads each input until it knows the input's data through the end of
// the interval plus `tolerance` (a message reaching that far, or the input ended), and no
// further: what it has not needed stays on the link. Then it calls aggregate() once, with, per
// input, the messages that start before that point (each message is handed exactly once; a
// message reaching past the interval is the subclass's to keep the rest of, e.g. a mixer's
// FIFO) and a status:
//   kComplete   all of the input's data for the interval is here (it may be no message: a gap,
//               or the rest of a message handed before);
//   kStalled    the input had nothing more after `timeout` and the interval went on without it
//               (its messages, if any, are partial);
//   kEnded      its stream ended (messages, if any, are its last);
//   kUnlinked   no link is attached (a live edit; not an end of stream).
// An interval is made only when some input has data for it that is not waited for, so an idle
// aggregator makes nothing.
//
// LIVE TIMEOUT AND STALLS. While an input that is linked, not ended and not stalled lacks data
// for the interval and has none queued, the interval waits — up to Reactive::timeout after it
// began to wait (0: for ever), counted from the moment some other input had data for it. Then
// the input is stalled: counted once (ProcessorStats::input_stalls, stalls(), stalls(i)), its
// first stall after the timeout reported as a warning event naming its link, and not waited
// for until a message arrives on it again. A subclass whose waits_for_inputs() is false never
// waits: each input is taken as it comes (a writer whose muxer interleaves by itself). With Reactive::go_on_when_full,
// an input whose link is full (its producer waits for room) makes the interval go on at once without the inputs that
// lack data (a muxer fed by one demuxer), counted the same way.
//
// READINESS. The base does everything it can in one process() call (up to 256 intervals,
// then it asks to be called again at once) and tells the runtime through the readiness gate
// when it wants the next: on any change to its inputs (an arrival, an end, a link attached or
// removed) or at the deadline of the input it waits for — never again on data it left unread.
// The runtime and ProcessorHarness apply the same rule (internal/readiness.h).
//
// END OF STREAM AND LIVE INPUTS. When every linked input has ended, finish() reads what is
// left, makes the intervals it covers, then calls on_end() (a mixer mixes what it still holds),
// and the outputs end. Inputs are the processor's inputs() of type T — members or made in
// declare_ports() — looked at afresh in each call: an input added live starts waiting (its
// timeout counted from then), one removed is dropped with what it held. With T = AnyFrame the
// inputs are every input of a built-in frame type, whatever its own (a writer's video frames,
// audio frames and packets together, each port keeping its type for the graph's checks).
//
// The subclass implements span(), interval_length() and aggregate(); optionally on_arrival(),
// on_end(), waits_for_inputs() and
// synchronization() (the Reactive policy derived from the config: timeout, tolerance,
// go_on_when_full; by default the one STREAMLIB_PROCESSOR declares). process(), finish() and
// execution_config() belong to the base.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "streamlib/frames/any_frame.h"
#include "streamlib/internal/readiness.h"
#include "streamlib/link/link_input.h"
#include "streamlib/processor.h"
#include "streamlib/result.h"

namespace streamlib {

// Where a message sits on the aggregator's timeline: [start, end).
struct AggregateSpan {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

// One output interval: [start, end) on the timeline.
struct AggregateInterval {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

enum class AggregateStatus { kComplete, kStalled, kEnded, kUnlinked };
STREAMLIB_ENUM_NAMES(AggregateStatus, {AggregateStatus::kComplete, "complete"}, {AggregateStatus::kStalled, "stalled"},
                     {AggregateStatus::kEnded, "ended"}, {AggregateStatus::kUnlinked, "unlinked"});

// What aggregate() sees of one input for one interval.
template <Message T>
struct AggregatorInput {
  InputPortBase* port = nullptr;  // the input (port->name())
  std::size_t index = 0;          // its position among the aggregated inputs
  AggregateStatus status = AggregateStatus::kComplete;
  // Its messages that start before the interval's end (+ tolerance) and were not handed before
  // (a late one included), in order; the subclass may move them out.
  std::vector<T> messages;
};

template <class Config, Message T>
class Aggregator : public Processor<Config> {
 public:
  // Where `message` sits on the timeline.
  virtual AggregateSpan span(const T& message) const = 0;
  // The length of the next output interval (> 0), on the same timeline.
  virtual std::int64_t interval_length() const = 0;
  // One interval: `inputs` in the order of inputs(), one entry per input of type T.
  virtual Result<void> aggregate(const AggregateInterval& interval, std::span<AggregatorInput<T>> inputs) = 0;
  // Each message as it is taken from its link, before any interval has it: an error here
  // (a frame of the wrong format, naming its input) fails the processor at once rather than
  // when the interval comes.
  virtual Result<void> on_arrival(const InputPortBase& /*input*/, const T& /*message*/) { return {}; }
  // After the last interval, before the outputs end.
  virtual Result<void> on_end() { return {}; }
  // false: an interval never waits for an input that lacks data — it goes on with what the
  // others have, and what the silent input sends later is handed as late (each input taken as
  // it comes; nothing counted as a stall). A writer whose muxer interleaves by itself.
  virtual bool waits_for_inputs() const { return true; }
  // Timeout, tolerance and go_on_when_full; by default what STREAMLIB_PROCESSOR declares.
  virtual Reactive synchronization() const {
    const ExecutionConfig declared = this->declared_execution();
    if (const auto* r = std::get_if<Reactive>(&declared.mode)) return *r;
    return Reactive{.inputs = InputsReady::kSynchronized};
  }

  ExecutionConfig execution_config() const final {
    ExecutionConfig c = this->declared_execution();
    Reactive r = synchronization();
    r.inputs = InputsReady::kSynchronized;
    r.gate = gate_;
    c.mode = std::move(r);
    return c;
  }

  Result<void> process() final {
    gate_->more = false;
    gate_->wake_at_ns.reset();
    sync_slots();
    const Reactive policy = synchronization();
    for (int n = 0; n < kIntervalsPerCall; ++n) {
      STREAMLIB_ASSIGN_OR_RETURN(const bool made, step(policy, /*final=*/false));
      if (!made) return {};
    }
    gate_->more = true;  // work left: the runtime calls again at once, after its safe point
    return {};
  }

  Result<void> finish() final {
    sync_slots();
    const Reactive policy = synchronization();
    for (;;) {
      STREAMLIB_ASSIGN_OR_RETURN(const bool made, step(policy, /*final=*/true));
      if (!made) break;
    }
    return on_end();
  }

  // Start of the next interval; unset until the first message.
  std::optional<std::int64_t> position() const { return position_; }
  // Inputs gone on without (all inputs, and input `index` of the aggregated ones). Processor
  // thread (the runtime's stats carry the total as input_stalls).
  std::uint64_t stalls() const { return gate_->stalls; }
  std::uint64_t stalls(std::size_t index) const { return index < slots_.size() ? slots_[index].stalls : 0; }

 private:
  static constexpr int kIntervalsPerCall = 256;

  struct Slot {
    InputPortBase* port = nullptr;
    std::deque<T> held;         // taken from the link, not yet handed
    std::int64_t seen_end = 0;  // the furthest end of what was taken
    bool seen_any = false;
    bool stalled = false;  // not waited for until a message arrives
    std::uint64_t stalls = 0;
    bool warned = false;  // its first stall after the timeout was reported
  };

  // An input's first stall after the live timeout, as a warning event naming its link (the
  // repeats are counted, not reported; one beside a full input is the normal way of a muxer
  // fed by one demuxer, and is not reported).
  void warn_stall(const Slot& s, const Reactive& policy) {
    this->context().warn(fmt::format("input `{}` stalled: nothing for {} ms, going on without it until it sends "
                                     "again (counted in input_stalls)",
                                     s.port->name(), policy.timeout.count()),
                         s.port->is_connected() ? s.port->link_id() : LinkId{});
  }

  // The processor's inputs of type T, afresh: new ones start waiting, removed ones are dropped.
  void sync_slots() {
    const std::vector<InputPortBase*>& ins = this->inputs();
    std::size_t typed = 0;
    bool same = true;
    for (InputPortBase* in : ins) {
      if (!aggregated(*in)) continue;
      same = same && typed < slots_.size() && slots_[typed].port == in;
      ++typed;
    }
    if (same && typed == slots_.size()) return;  // the usual case: nothing to move
    std::vector<Slot> next;
    for (InputPortBase* in : ins) {
      if (!aggregated(*in)) continue;
      Slot s;
      s.port = in;
      for (Slot& old : slots_) {
        if (old.port == in) s = std::move(old);
      }
      next.push_back(std::move(s));
    }
    slots_ = std::move(next);
    if (views_.size() != slots_.size()) views_.resize(slots_.size());
  }

  // Inputs of type T; with T = AnyFrame, every input of a built-in frame type (a writer's video
  // frames, audio frames and packets together).
  static bool aggregated(const InputPortBase& in) {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      const std::type_index t = in.info().message_cpp_type;
      return t == typeid(AnyFrame) || t == typeid(VideoFrame) || t == typeid(AudioFrame) || t == typeid(DataFrame) ||
             t == typeid(EncodedPacket);
    } else {
      return dynamic_cast<const LinkInput<T>*>(&in) != nullptr;
    }
  }
  static std::optional<T> read(InputPortBase& in) {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      const auto& channel = in.channel();
      return channel ? channel->any_pop() : std::nullopt;
    } else {
      return static_cast<LinkInput<T>&>(in).read();
    }
  }

  bool covered(const Slot& s, std::int64_t through) const { return s.seen_any && s.seen_end >= through; }

  // Takes from the link until the slot's data reaches `through` (or the link is empty).
  Result<void> pull(Slot& s, std::int64_t through) {
    while (!covered(s, through)) {
      STREAMLIB_ASSIGN_OR_RETURN(const bool took, take(s));
      if (!took) break;
    }
    return {};
  }

  // One message from the slot's link into its held messages.
  Result<bool> take(Slot& s) {
    std::optional<T> m = read(*s.port);
    if (!m) return false;
    STREAMLIB_RETURN_IF_ERROR(on_arrival(*s.port, *m));
    const AggregateSpan sp = span(*m);
    s.seen_end = s.seen_any ? std::max(s.seen_end, sp.end) : sp.end;
    s.seen_any = true;
    s.stalled = false;  // it is back
    s.held.push_back(std::move(*m));
    return true;
  }

  // One interval if it can be made now; false if not (waiting, or nothing to do).
  Result<bool> step(const Reactive& policy, bool final) {
    if (!position_) {
      for (Slot& s : slots_) {
        if (s.held.empty()) STREAMLIB_RETURN_IF_ERROR(take(s));
        if (!s.held.empty()) {
          const std::int64_t start = span(s.held.front()).start;
          position_ = position_ ? std::min(*position_, start) : start;
        }
      }
      if (!position_) return false;
    }
    const std::int64_t length = std::max<std::int64_t>(1, interval_length());
    const AggregateInterval interval{*position_, *position_ + length};
    const std::int64_t through = interval.end + std::chrono::nanoseconds(policy.tolerance).count();

    bool contributes = false;  // some input not waited for has data for this interval
    bool any_full = false;
    std::size_t waiting = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      AggregatorInput<T>& v = views_[i];
      v.port = s.port;
      v.index = i;
      STREAMLIB_RETURN_IF_ERROR(pull(s, through));
      const bool has_some = !s.held.empty() && span(s.held.front()).start < through;
      if (covered(s, through)) {
        v.status = AggregateStatus::kComplete;
        contributes = true;
      } else if (!s.port->is_connected()) {
        v.status = AggregateStatus::kUnlinked;
        contributes = contributes || has_some;
      } else if (s.port->ended()) {
        v.status = AggregateStatus::kEnded;
        contributes = contributes || has_some;
      } else if (s.stalled) {
        v.status = AggregateStatus::kStalled;
        contributes = contributes || has_some;
      } else {
        v.status = AggregateStatus::kStalled;  // if the interval goes on without it
        ++waiting;
        continue;
      }
      if (policy.go_on_when_full && s.port->full()) any_full = true;
    }
    if (!contributes) {
      blocked_since_.reset();  // nothing to go on with: wait for an arrival
      return false;
    }
    if (waiting > 0 && !final && waits_for_inputs()) {
      const std::int64_t now = this->context().now_ns();
      if (!blocked_since_) blocked_since_ = now;
      const std::int64_t timeout = std::chrono::nanoseconds(policy.timeout).count();
      const bool timed_out = timeout > 0 && now - *blocked_since_ >= timeout;
      if (!timed_out && !any_full) {
        if (timeout > 0) gate_->wake_at_ns = *blocked_since_ + timeout;
        return false;
      }
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (views_[i].status != AggregateStatus::kStalled || s.stalled) continue;
        if (covered(s, through) || !s.port->is_connected() || s.port->ended()) continue;
        s.stalled = true;
        ++s.stalls;
        ++gate_->stalls;
        if (timed_out && !std::exchange(s.warned, true)) warn_stall(s, policy);
      }
    }
    blocked_since_.reset();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      AggregatorInput<T>& v = views_[i];
      v.messages.clear();
      while (!s.held.empty() && span(s.held.front()).start < through) {
        v.messages.push_back(std::move(s.held.front()));
        s.held.pop_front();
      }
    }
    position_ = interval.end;
    STREAMLIB_RETURN_IF_ERROR(aggregate(interval, std::span<AggregatorInput<T>>(views_)));
    for (AggregatorInput<T>& v : views_) v.messages.clear();  // release what the subclass left
    if (final) {
      for (const Slot& s : slots_) {
        if (!s.held.empty() || covered(s, *position_ + 1)) return true;
      }
      return false;
    }
    return true;
  }

  std::shared_ptr<internal::ReadinessGate> gate_ = std::make_shared<internal::ReadinessGate>();
  std::vector<Slot> slots_;
  std::vector<AggregatorInput<T>> views_;  // reused: no allocation per interval once warm
  std::optional<std::int64_t> position_;
  std::optional<std::int64_t> blocked_since_;
};

}  // namespace streamlib
