// Links against an installed StreamLib: builds a graph, runs it briefly, checks data flowed.
#include <streamlib/streamlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

int main() {
  streamlib::StreamRuntime rt;
  auto src = rt.add_processor<streamlib::SequenceSource>({.interval_us = 200}).value();
  auto sink = rt.add_processor<streamlib::Counter>({}).value();
  if (!rt.connect(src.output(&streamlib::SequenceSource::out), sink.input(&streamlib::Counter::in))) return 1;
  if (!rt.start()) return 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!rt.stop()) return 1;
  // After stop, the graph is still there and serializes.
  auto again = streamlib::Graph::from_json(rt.graph().to_json());
  if (!again || again->checksum() != rt.graph().checksum()) return 1;
  std::printf("consumer ok: %zu processors, %zu links\n", again->processor_count(), again->link_count());
  return 0;
}
