// LinkOutput<T>: an output port, declared as a member of a processor.
//
//   class Source : public streamlib::Processor<SourceConfig> {
//     streamlib::LinkOutput<streamlib::VideoFrame> video{this, "video", "Generated frames"};
//     streamlib::Result<void> process() override {
//       video.push(make_frame());    // to every link; shared, not copied
//       return {};
//     }
//   };
//
// push() fans out to every attached link: each gets a handle to the same frame (a reference
// count, never a copy of the pixels). It never blocks unless a link's policy is `block`, and
// then at most for that link's block timeout. Call push only from the processor's own thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "streamlib/frames/audio_frame.h"
#include "streamlib/frames/message.h"
#include "streamlib/frames/video_frame.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/link/link_input.h"
#include "streamlib/link/port.h"

namespace streamlib {

// What a push() did, over all of the output's links. Most processors ignore it. One that
// pushes many messages in one process() call may stop early on kChangeWaiting: a change to this
// processor is waiting for its next safe point, and a push that would have waited on a full
// `block` link took the message beyond the link's capacity instead (nothing was lost).
enum class PushResult {
  kOk,             // every link took the message (or none is attached: the plug counted it)
  kDropped,        // at least one link dropped it (its policy, a block timeout, a failed consumer)
  kChangeWaiting,  // a full `block` link took it beyond its capacity: return from process() soon
  kEnded,          // the output's stream has ended (end_stream()): nothing was sent
};

template <Message T>
class LinkOutput final : public OutputPortBase {
  static_assert(!std::is_same_v<T, AnyFrame>, "outputs carry a concrete message type; AnyFrame is for inputs");

 public:
  LinkOutput(ProcessorBase* owner, std::string_view name, std::string_view description = {})
      : LinkOutput(owner, name, description, LinkConfig{}) {}
  // With the port's own link defaults over the message type's, e.g. {.policy =
  // LinkPolicy::kBlock} on a source that reads a file as fast as its links take.
  LinkOutput(ProcessorBase* owner, std::string_view name, std::string_view description, const LinkConfig& link_defaults)
      : OutputPortBase(owner, internal::make_port_info<T>(name, description, PortDirection::kOutput, link_defaults)) {
    connections_.push_back(Connection{});  // the plug
  }

  PushResult push(T message) {
    if (ended_) return PushResult::kEnded;
    if constexpr (internal::MediaTime<T>::kTimed) message = keep_media_time(std::move(message));
    // While the loop runs, link commands may run: inside a push that blocks (a blocked push is
    // a safe point for them), and between two links of a fan-out, so that wiring a new branch
    // never waits for a long fan-out to finish. A detach then only closes its connection
    // (compacted below) and an attach inserts one right after the current index, so the loop
    // stays valid and a link attached during it gets this message next (unless it came while
    // the last link's push waited).
    pushing_ = true;
    PushResult result = PushResult::kOk;
    internal::ThreadContext* ctx = connections_.size() > 1 ? internal::t_thread_context : nullptr;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      push_index_ = i;
      if (ctx != nullptr && ctx->has_port_commands()) ctx->run_port_commands();
      internal::LinkChannel<T>* channel = connections_[i].channel.get();
      if (channel == nullptr) {
        if (!connections_[i].closed) count_plug_discard();
        continue;
      }
      if (connections_[i].closed) continue;
      // The last link gets the message itself (no reference-count traffic). A link attached
      // while that push blocked gets the next message instead.
      const bool last = i + 1 == connections_.size();
      const internal::PushOutcome outcome = last ? channel->push(std::move(message)) : channel->push(message);
      if (outcome == internal::PushOutcome::kSpilled) {
        result = PushResult::kChangeWaiting;
      } else if (outcome == internal::PushOutcome::kDropped && result == PushResult::kOk) {
        result = PushResult::kDropped;
      }
      if (last) break;
    }
    pushing_ = false;
    if (closed_ != 0) compact();
    return result;
  }

  std::size_t link_count() const override {
    std::size_t n = 0;
    for (const auto& c : connections_) n += c.channel && !c.closed;
    return n;
  }

  std::shared_ptr<internal::LinkChannelBase> make_channel(const LinkId& id, const std::string& from,
                                                          const std::string& to, const LinkConfig& config,
                                                          std::shared_ptr<Notifier> consumer_notifier,
                                                          std::shared_ptr<Notifier> producer_notifier) const override {
    return internal::make_channel_of<T>(id, from, to, config, std::move(consumer_notifier),
                                        std::move(producer_notifier));
  }

  Result<void> attach(const LinkId& id, std::shared_ptr<internal::LinkChannelBase> channel) override {
    if (channel->value_type() != typeid(T)) {
      return make_error(ErrorCode::kTypeMismatch, "output '{}' carries {}, link '{}' carries {}", name(),
                        message_info<T>().name, id, channel->message_type());
    }
    for (const auto& c : connections_) {
      if (c.channel && !c.closed && c.id == id) {
        return make_error(ErrorCode::kAlreadyExists, "output '{}' already has link '{}'", name(), id);
      }
    }
    auto typed = std::static_pointer_cast<internal::LinkChannel<T>>(std::move(channel));
    if (ended_) end_link(*typed);  // a link attached after the end starts ended
    if (!connections_.front().channel && !connections_.front().closed) {
      connections_.front() = Connection{id, std::move(typed)};  // replace the plug
    } else if (pushing_) {
      // Right behind the link being pushed to: it gets the message being pushed, next.
      connections_.insert(connections_.begin() + static_cast<std::ptrdiff_t>(push_index_ + 1),
                          Connection{id, std::move(typed)});
    } else {
      // A new branch goes first: its first message does not wait for a long fan-out.
      connections_.insert(connections_.begin(), Connection{id, std::move(typed)});
    }
    return {};
  }

  void end_stream() override {
    ended_ = true;
    for (auto& c : connections_) {
      if (c.channel && !c.closed) end_link(*c.channel);
    }
  }

  bool detach(const LinkId& id) override {
    auto it = std::find_if(connections_.begin(), connections_.end(),
                           [&](const Connection& c) { return c.channel && !c.closed && c.id == id; });
    if (it == connections_.end()) return false;
    if (pushing_) {
      // A push is running (blocked in some link): close the connection, end a wait on it, and
      // drop it when the push returns.
      it->closed = true;
      it->channel->set_producer_detached();
      ++closed_;
      return true;
    }
    connections_.erase(it);
    if (connections_.empty()) connections_.push_back(Connection{});  // back to the plug
    return true;
  }

  std::vector<std::pair<LinkId, std::shared_ptr<internal::LinkChannelBase>>> attached() const override {
    std::vector<std::pair<LinkId, std::shared_ptr<internal::LinkChannelBase>>> out;
    for (const auto& c : connections_) {
      if (c.channel && !c.closed) out.emplace_back(c.id, c.channel);
    }
    return out;
  }

 private:
  // Ends one link the way this output ended: normally, or with the error fail_stream() gave.
  void end_link(internal::LinkChannel<T>& channel) {
    if (end_error_) {
      channel.fail_stream(end_error_);
    } else {
      channel.end_stream();
    }
  }

  using Time = internal::MediaTime<T>;

  // Media time is continuous across live changes. After the runtime reconfigured, rebuilt or
  // resumed the processor (continue_timeline()), the first message must start where the last
  // one ended, within half a period. If it does not — the processor's clock restarted at 0, a
  // rebuilt live source started its clock anew, a file source jumped to a new position — the
  // port re-bases this and every later message by the difference, so that the stream goes on
  // without an overlap or a hole. Audio sample positions are made contiguous the same way.
  // Until the next change nothing is compared: a processor's own timestamps pass untouched
  // (plus the offset, if one was needed).
  T keep_media_time(T m) {
    OutputTimeline& t = timeline_;
    const std::int64_t own_ns = Time::timestamp_ns(m);
    const std::int64_t duration = Time::duration_ns(m);
    if (t.pending) {
      t.pending = false;
      const std::int64_t at = own_ns + t.offset_ns;
      const std::int64_t slack = std::max(duration, t.period_ns) / 2;
      if (at < t.next_ns - slack || at > t.next_ns + slack) {
        t.offset_ns = t.next_ns - own_ns;
        timeline_rebases_.store(timeline_rebases_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      }
      if constexpr (Time::kHasPosition) {
        std::int64_t expected = t.next_position;
        const int rate = Time::sample_rate(m);
        if (t.sample_rate > 0 && rate > 0 && rate != t.sample_rate) {
          expected = expected * rate / t.sample_rate;  // no overflow below ~20 years of samples
        }
        t.offset_position = expected - Time::sample_position(m);
      }
    }
    const std::int64_t ts = own_ns + t.offset_ns;
    if constexpr (Time::kHasPosition) {
      const std::int64_t position = Time::sample_position(m) + t.offset_position;
      if (t.offset_ns != 0 || t.offset_position != 0) m = Time::retimed(std::move(m), ts, position);
      t.next_position = position + Time::frame_count(m);
      t.sample_rate = Time::sample_rate(m);
    } else {
      if (t.offset_ns != 0) m = Time::retimed(std::move(m), ts);
    }
    if (duration > 0) {
      t.period_ns = duration;
    } else if (t.has_last && ts > t.last_ns) {
      t.period_ns = ts - t.last_ns;  // no duration given: the step between timestamps
    }
    t.last_ns = ts;
    t.next_ns = ts + (duration > 0 ? duration : t.period_ns);
    t.has_last = true;
    return m;
  }

  struct Connection {
    LinkId id;
    std::shared_ptr<internal::LinkChannel<T>> channel;  // null: the plug
    bool closed = false;                                // detached during a push; dropped after it
  };

  void compact() {
    std::erase_if(connections_, [](const Connection& c) { return c.closed; });
    closed_ = 0;
    if (connections_.empty()) connections_.push_back(Connection{});
  }

  std::vector<Connection> connections_;  // never empty
  bool pushing_ = false;
  std::size_t push_index_ = 0;  // while pushing_: the connection being pushed to
  std::size_t closed_ = 0;
};

}  // namespace streamlib
