// Handles: small values naming a processor, a port or a link of a runtime.
//
//   ProcessorHandle<VideoTestSource> src = rt.add_processor<VideoTestSource>({}).value();
//   OutputRef<VideoFrame> out = src.output(&VideoTestSource::video);   // typed by the member
//   LinkHandle link = rt.connect(out, sink.input(&Display::video)).value();
//
// Handles own nothing. They stay valid to pass back after what they name is removed: the call
// then returns a "no such processor/link" error.
#pragma once

#include <utility>

#include "streamlib/frames/message.h"
#include "streamlib/graph/ids.h"
#include "streamlib/graph/link_port_address.h"
#include "streamlib/link/link_input.h"
#include "streamlib/link/link_output.h"
#include "streamlib/processor.h"

namespace streamlib {

// An output port of type T on some processor.
template <Message T>
struct OutputRef {
  LinkPortAddress address;
};

// An input port of type T on some processor.
template <Message T>
struct InputRef {
  LinkPortAddress address;
};

template <class P>
class ProcessorHandle {
 public:
  explicit ProcessorHandle(ProcessorId id) : id_(std::move(id)) {}

  const ProcessorId& id() const { return id_; }

  template <Message T>
  OutputRef<T> output(LinkOutput<T> P::*port) const {
    return OutputRef<T>{LinkPortAddress{id_, (internal::prototype<P>().*port).name()}};
  }
  template <Message T>
  InputRef<T> input(LinkInput<T> P::*port) const {
    return InputRef<T>{LinkPortAddress{id_, (internal::prototype<P>().*port).name()}};
  }

  friend bool operator==(const ProcessorHandle&, const ProcessorHandle&) = default;

 private:
  ProcessorId id_;
};

class LinkHandle {
 public:
  explicit LinkHandle(LinkId id) : id_(std::move(id)) {}
  const LinkId& id() const { return id_; }
  friend bool operator==(const LinkHandle&, const LinkHandle&) = default;

 private:
  LinkId id_;
};

}  // namespace streamlib
