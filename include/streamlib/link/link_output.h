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

#include "streamlib/frames/message.h"
#include "streamlib/link/link_channel.h"
#include "streamlib/link/link_input.h"
#include "streamlib/link/port.h"

namespace streamlib {

template <Message T>
class LinkOutput final : public OutputPortBase {
  static_assert(!std::is_same_v<T, AnyFrame>, "outputs carry a concrete message type; AnyFrame is for inputs");

 public:
  LinkOutput(ProcessorBase* owner, std::string_view name, std::string_view description = {})
      : OutputPortBase(owner, internal::make_port_info<T>(name, description, PortDirection::kOutput)) {
    connections_.push_back(Connection{});  // the plug
  }

  void push(T message) {
    const std::size_t n = connections_.size();
    for (std::size_t i = 0; i + 1 < n; ++i) deliver(connections_[i], message);
    deliver(connections_[n - 1], std::move(message));
  }

  std::size_t link_count() const override { return connections_.front().channel ? connections_.size() : 0; }

  std::shared_ptr<internal::LinkChannelBase> make_channel(const LinkId& id, const std::string& from,
                                                          const std::string& to, const LinkConfig& config,
                                                          std::shared_ptr<Notifier> consumer_notifier) const override {
    return std::make_shared<internal::LinkChannel<T>>(internal::LinkChannelBase::Endpoints{id, from, to},
                                                      config.merged_over(default_link_config<T>()),
                                                      std::move(consumer_notifier));
  }

  Result<void> attach(const LinkId& id, std::shared_ptr<internal::LinkChannelBase> channel) override {
    if (channel->value_type() != typeid(T)) {
      return make_error(ErrorCode::kTypeMismatch, "output '{}' carries {}, link '{}' carries {}", name(),
                        message_info<T>().name, id, channel->message_type());
    }
    for (const auto& c : connections_) {
      if (c.channel && c.id == id) {
        return make_error(ErrorCode::kAlreadyExists, "output '{}' already has link '{}'", name(), id);
      }
    }
    auto typed = std::static_pointer_cast<internal::LinkChannel<T>>(std::move(channel));
    if (!connections_.front().channel) {
      connections_.front() = Connection{id, std::move(typed)};  // replace the plug
    } else {
      connections_.push_back(Connection{id, std::move(typed)});
    }
    return {};
  }

  bool detach(const LinkId& id) override {
    auto it = std::find_if(connections_.begin(), connections_.end(),
                           [&](const Connection& c) { return c.channel && c.id == id; });
    if (it == connections_.end()) return false;
    connections_.erase(it);
    if (connections_.empty()) connections_.push_back(Connection{});  // back to the plug
    return true;
  }

  std::vector<std::pair<LinkId, std::shared_ptr<internal::LinkChannelBase>>> attached() const override {
    std::vector<std::pair<LinkId, std::shared_ptr<internal::LinkChannelBase>>> out;
    for (const auto& c : connections_) {
      if (c.channel) out.emplace_back(c.id, c.channel);
    }
    return out;
  }

 private:
  struct Connection {
    LinkId id;
    std::shared_ptr<internal::LinkChannel<T>> channel;  // null: the plug
  };

  void deliver(Connection& c, T message) {
    if (c.channel) {
      c.channel->push(std::move(message));
    } else {
      ++plug_discards_;
    }
  }

  std::vector<Connection> connections_;  // never empty
};

}  // namespace streamlib
