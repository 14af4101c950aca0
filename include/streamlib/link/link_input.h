// LinkInput<T>: an input port, declared as a member of a processor.
//
//   class Display : public streamlib::Processor<DisplayConfig> {
//     streamlib::LinkInput<streamlib::VideoFrame> video{this, "video", "Frames to show"};
//     streamlib::Result<void> process() override {
//       while (auto frame = video.read()) show(*frame);     // or: video.drain(show)
//       return {};
//     }
//   };
//
// An input takes at most one link (fan-in is rejected at connect(); use a mixer). read()
// honours the link's read mode: `sequential` returns every message in order, `latest` skips
// to the newest; peek() shows the next one without taking it; ended() says the link's stream
// ended and everything before the end was read. Call these only from the processor's own
// thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "streamlib/frames/any_frame.h"
#include "streamlib/frames/message.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/link/port.h"

namespace streamlib {

namespace internal {
// `link_defaults`: what this port sets for its links over the message type's defaults (a file
// source's outputs block, where a live picture's would drop); a link's own config goes over both.
template <Message T>
PortInfo make_port_info(std::string_view name, std::string_view description, PortDirection direction,
                        const LinkConfig& link_defaults = {}) {
  PortInfo info{std::string(name),
                direction,
                std::string(message_info<T>().name),
                std::string(description),
                link_defaults.merged_over(default_link_config<T>()),
                std::type_index(typeid(T))};
  if constexpr (!std::is_same_v<T, AnyFrame>) {
    if (direction == PortDirection::kOutput) info.make_channel = &make_channel_of<T>;
  }
  return info;
}
}  // namespace internal

template <Message T>
class LinkInput final : public InputPortBase {
 public:
  LinkInput(ProcessorBase* owner, std::string_view name, std::string_view description = {})
      : InputPortBase(owner, internal::make_port_info<T>(name, description, PortDirection::kInput)) {}

  // The next message, or nullopt if none (or unplugged).
  std::optional<T> read() {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      return channel_ ? channel_->any_pop() : std::nullopt;
    } else {
      return typed_ ? typed_->pop() : std::nullopt;
    }
  }

  // The message read() would return next, without taking it; nullopt if none.
  std::optional<T> peek() {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      return channel_ ? channel_->any_peek() : std::nullopt;
    } else {
      return typed_ ? typed_->peek() : std::nullopt;
    }
  }

  // Processor thread (or a driven cycle): how many messages are queued now; 0 with no link.
  // What a sink that buffers before it starts (AudioOutput's `start_buffers`) waits on.
  std::size_t queued() requires(!std::is_same_v<T, AnyFrame>) { return typed_ ? typed_->queued() : 0; }
  // Processor thread: the producer has ended the stream; its end follows what is queued.
  bool end_queued() requires(!std::is_same_v<T, AnyFrame>) { return typed_ && typed_->end_queued(); }

  bool has_data() override {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      return channel_ && channel_->any_has_data();
    } else {
      return typed_ && typed_->has_data();
    }
  }

  // Calls fn(T&&) for the messages available, at most about one link capacity per call (so a
  // producer that keeps up cannot keep the call going forever); returns how many. If the link
  // is detached while fn runs (fn pushed, the push blocked, and a link command ran meanwhile),
  // the drain stops after that message.
  //
  // A fallible fn returns Result<void>: the drain stops at its first error and returns it
  // (Result<std::size_t>: the count, or that error). The message that failed has been taken;
  // those after it stay queued for the next call.
  //
  //   auto drained = in.drain([&](AudioFrame&& f) -> Result<void> {
  //     STREAMLIB_ASSIGN_OR_RETURN(AudioFrame done, filter(f));
  //     out.push(std::move(done));
  //     return {};
  //   });
  //   if (!drained) return make_error(std::move(drained).error());
  template <class F>
  requires internal::DrainFn<F, T> internal::DrainResult<F, T> drain(F&& fn) {
    using R = internal::DrainResult<F, T>;
    if (!channel_) return R(0);
    const std::uint64_t generation = generation_;
    draining_ = true;
    auto keep_going = [&] { return generation_ == generation; };
    R r = drain_channel(fn, keep_going);
    draining_ = false;
    retired_.reset();
    return r;
  }

  Result<void> attach(const LinkId& id, std::shared_ptr<internal::LinkChannelBase> channel) override {
    if (channel_) {
      return make_error(ErrorCode::kAlreadyExists, "input '{}' already has link '{}'; an input takes one link", name(),
                        link_id_);
    }
    if constexpr (std::is_same_v<T, AnyFrame>) {
      if (!channel->carries_builtin_frame()) {
        return make_error(ErrorCode::kTypeMismatch, "input '{}' takes AnyFrame, link '{}' carries {}", name(), id,
                          channel->message_type());
      }
    } else {
      if (channel->value_type() != typeid(T)) {
        return make_error(ErrorCode::kTypeMismatch, "input '{}' takes {}, link '{}' carries {}", name(),
                          message_info<T>().name, id, channel->message_type());
      }
      typed_ = static_cast<internal::LinkChannel<T>*>(channel.get());
    }
    channel_ = std::move(channel);
    link_id_ = id;
    ++generation_;
    return {};
  }

 private:
  template <class F, class KeepGoing>
  internal::DrainResult<F, T> drain_channel(F& fn, KeepGoing& keep_going) {
    if constexpr (std::is_same_v<T, AnyFrame>) {
      // The channel does not know AnyFrame: one read() at a time, as drain_steps() does.
      constexpr bool kFallible = !std::is_void_v<std::invoke_result_t<F&, AnyFrame&&>>;
      const std::size_t limit = channel_->any_drain_limit();
      std::size_t n = 0;
      while (n < limit && keep_going()) {
        auto v = read();
        if (!v) break;
        ++n;
        if constexpr (kFallible) {
          if (Result<void> r = fn(std::move(*v)); !r) return tl::unexpected<Error>(std::move(r).error());
        } else {
          fn(std::move(*v));
        }
      }
      return n;
    } else {
      return typed_->drain(fn, keep_going);
    }
  }

  // Same object as channel_ (which owns it), already cast.
  internal::LinkChannel<T>* typed_ = nullptr;

  void on_detach() override { typed_ = nullptr; }
};

}  // namespace streamlib
