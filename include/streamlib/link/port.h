// Port bases: what the runtime sees of a processor's LinkInput<T> / LinkOutput<T> members.
//
// Ports register themselves with their processor when constructed, so the registry and the
// runtime can find them by name. The runtime changes a port's connections only on the
// processor's own thread, between two process() calls (attach/detach below), which is why
// push/read need no lock.
//
// The plug pattern: a port always has at least one connection. A port with no link holds a
// plug (a connection with no channel): an unplugged output discards what is pushed, an
// unplugged input reads nothing. Processors never see an empty connection list and never
// need to check before pushing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streamlib/graph/ids.h"
#include "streamlib/graph/processor_node.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/link/link_config.h"
#include "streamlib/link/notifier.h"
#include "streamlib/result.h"

namespace streamlib {

class ProcessorBase;

namespace internal {
class LinkChannelBase;
}

class PortBase {
 public:
  PortBase(const PortBase&) = delete;
  PortBase& operator=(const PortBase&) = delete;
  virtual ~PortBase() = default;

  const PortInfo& info() const { return info_; }
  const std::string& name() const { return info_.name; }

 protected:
  PortBase(PortInfo info) : info_(std::move(info)) {}
  PortInfo info_;
};

class InputPortBase : public PortBase {
 public:
  // Processor thread. True if a message is waiting.
  virtual bool has_data() = 0;
  // Processor thread. True once the link's stream ended and everything before the end was
  // read. An input with no link (the plug) has not ended: a live edit is not an end of stream.
  bool ended() { return channel_ && channel_->ended(); }
  // Processor thread: once ended(), the error that ended the stream if its producer failed
  // (OutputPortBase::fail_stream: the producer went to Error); null for a normal end or
  // before it. The end is the same either way: the stream is over.
  const Error* ended_with_error() { return channel_ ? channel_->end_error() : nullptr; }
  // Processor thread: the next message's timestamp, if one is queued (see Reactive).
  std::optional<std::int64_t> head_timestamp_ns() { return channel_ ? channel_->head_timestamp_ns() : std::nullopt; }
  // Processor thread: the link is at its capacity (see InputsReady::kAll).
  bool full() { return channel_ && channel_->full(); }
  // Processor thread: changes when a message arrives or is taken, or the stream ends, or the
  // link changes.
  std::uint64_t progress_token() { return generation_ + (channel_ ? channel_->progress_token() : 0); }
  // True while a link (not the plug) is attached.
  bool is_connected() const { return channel_ != nullptr; }
  const LinkId& link_id() const { return link_id_; }

  // Runtime, on the processor's thread at a safe point. Replaces the plug with `channel`;
  // fails if the message type does not fit or a link is attached already (fan-in).
  virtual Result<void> attach(const LinkId& id, std::shared_ptr<internal::LinkChannelBase> channel) = 0;
  // Puts the plug back if `id` is the attached link; returns whether it was. Safe while a
  // drain() of this port is running (a push blocked inside it is a safe point for link
  // commands): the drain stops after the message it is handling.
  bool detach(const LinkId& id);
  // The attached channel (null: the plug), for moving links to a rebuilt instance.
  const std::shared_ptr<internal::LinkChannelBase>& channel() const { return channel_; }

 protected:
  InputPortBase(ProcessorBase* owner, PortInfo info);
  // Called by attach()/detach() implementations: the link changed.
  virtual void on_detach() {}
  std::shared_ptr<internal::LinkChannelBase> channel_;  // null: the plug
  LinkId link_id_;
  // Bumped by every attach and detach, so a drain() can tell that its link changed under it.
  std::uint64_t generation_ = 0;
  // While a drain() runs, a detached channel is kept here until it returns.
  bool draining_ = false;
  std::shared_ptr<internal::LinkChannelBase> retired_;
};

// The media time an output has sent, kept across live changes of its processor (producer
// thread only). See LinkOutput::push.
struct OutputTimeline {
  bool has_last = false;
  bool pending = false;              // a change happened: the next message must continue next_ns
  std::int64_t last_ns = 0;          // timestamp of the last message, as sent
  std::int64_t next_ns = 0;          // where the last message ended (timestamp + duration)
  std::int64_t period_ns = 0;        // the last known message duration (or timestamp step)
  std::int64_t next_position = 0;    // audio: the sample position after the last block
  int sample_rate = 0;               // audio: of the last block
  std::int64_t offset_ns = 0;        // added to the processor's timestamps
  std::int64_t offset_position = 0;  // added to the processor's sample positions
};

class OutputPortBase : public PortBase {
 public:
  // Number of links attached (0: only the plug).
  virtual std::size_t link_count() const = 0;
  bool is_connected() const { return link_count() > 0; }
  // Messages discarded by the plug while nothing was attached. Any thread.
  std::uint64_t plug_discards() const { return plug_discards_.load(std::memory_order_relaxed); }

  // Control thread: a new channel carrying this port's message type, whose consumer sleeps on
  // `consumer_notifier` and whose producer (a push blocked on a full `block` link) on
  // `producer_notifier`. Touches no state of the port.
  virtual std::shared_ptr<internal::LinkChannelBase> make_channel(
      const LinkId& id, const std::string& from, const std::string& to, const LinkConfig& config,
      std::shared_ptr<Notifier> consumer_notifier, std::shared_ptr<Notifier> producer_notifier = nullptr) const = 0;
  // Runtime, on the processor's thread at a safe point.
  virtual Result<void> attach(const LinkId& id, std::shared_ptr<internal::LinkChannelBase> channel) = 0;
  virtual bool detach(const LinkId& id) = 0;
  // Processor thread: ends the stream on every link, after what was pushed before; later
  // pushes are discarded, and a link attached later starts ended.
  virtual void end_stream() = 0;
  // Processor thread: ends the stream because the processor failed — what the runtime does
  // when a processor goes to Error, so that what it fed finishes instead of waiting. As
  // end_stream(), and each consumer reads `error` from InputPortBase::ended_with_error().
  // Nothing if the stream has ended already.
  void fail_stream(Error error) {
    if (ended_) return;
    end_error_ = std::make_shared<const Error>(std::move(error));
    end_stream();
  }
  bool ended() const { return ended_; }
  // Why the stream ended, if fail_stream() ended it; else null.
  const Error* end_error() const { return end_error_.get(); }
  // Processor thread (the runtime, at a safe point). The processor was reconfigured, rebuilt
  // (`previous` is the port of the instance it replaces) or resumed: the next message must
  // continue the media time already sent, and if the processor's clock restarted, this port
  // carries the offset from then on. See LinkOutput::push.
  void continue_timeline(const OutputPortBase* previous = nullptr) {
    if (previous != nullptr) timeline_ = previous->timeline_;
    timeline_.pending = timeline_.has_last;
  }
  // Times this port re-based its processor's timestamps to keep media time continuous. Any thread.
  std::uint64_t timeline_rebases() const { return timeline_rebases_.load(std::memory_order_relaxed); }
  // Attached (id, channel) pairs, for moving links to a rebuilt instance.
  virtual std::vector<std::pair<LinkId, std::shared_ptr<internal::LinkChannelBase>>> attached() const = 0;

 protected:
  OutputPortBase(ProcessorBase* owner, PortInfo info);
  // A message pushed into the plug: counted here and for the processor.
  void count_plug_discard() noexcept;
  ProcessorBase* owner_;
  std::atomic<std::uint64_t> plug_discards_{0};  // written by the processor thread only
  bool ended_ = false;
  std::shared_ptr<const Error> end_error_;          // set by fail_stream()
  OutputTimeline timeline_;                         // producer thread only
  std::atomic<std::uint64_t> timeline_rebases_{0};  // written by the processor thread only
};

}  // namespace streamlib
