// Flow semantics every executor shares: a failed processor ends what it fed with its error (so
// the graph finishes and the end reports the failure), and run_until() ends at the end of
// stream, a signal or a deadline, returning the first failure and saying which end it was.
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)
using Clock = std::chrono::steady_clock;

class FlowTest : public RuntimeTest {};

const LinkConfig kBlock{.capacity = 16, .policy = LinkPolicy::kBlock};
constexpr const char* kRelayFailure = "processor 'relay' (FailingRelay): frame 30 is cursed";

// src (unlimited) -> relay (fails on frame 30) -> sink.
void add_failing_chain(StreamRuntime& rt) {
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 200}, "src"));
  ASSERT_TRUE(rt.add_processor<FailingRelay>({.fail_at = 30}, "relay"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  // `block` links: nothing is dropped however slowly the machine runs the sink.
  ASSERT_TRUE(rt.connect("src.out", "relay.in", kBlock));
  ASSERT_TRUE(rt.connect("relay.out", "sink.in", kBlock));
}

// --- A failure ends what it fed --------------------------------------------------------------

TEST_F(FlowTest, AMiddleProcessorsFailureEndsItsSinksStreamWithTheErrorAndTheEndReportsIt) {
  StreamRuntime rt;
  EventLog log(rt);
  add_failing_chain(rt);
  ASSERT_TRUE(rt.start());
  // The source never ends: only the failure's end mark can finish the sink.
  Result<void> end = rt.wait_until_finished(std::chrono::seconds(30));
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), ErrorCode::kProcessorFailed);
  EXPECT_EQ(end.error().message(), kRelayFailure);
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  EXPECT_TRUE(log.wait_for(EventKind::kEndOfStream, std::string("every sink has finished; ") + kRelayFailure));

  const RuntimeStats stats = rt.stats();
  EXPECT_EQ(stats.find_processor(ProcessorId("relay"))->state, ProcessorState::kError);
  EXPECT_EQ(stats.find_processor(ProcessorId("sink"))->state, ProcessorState::kFinished);
  // The sink ran finish() once, and saw why its stream ended.
  EXPECT_EQ(probe("sink").finishes.load(), 1u);
  {
    std::lock_guard lock(probe("sink").mutex);
    EXPECT_EQ(probe("sink").end_error, kRelayFailure);
  }
  // Everything the relay forwarded before it failed arrived, in order, before the end.
  const std::vector<std::uint64_t> got = probe("sink").snapshot();
  EXPECT_EQ(got.size(), 30u);
  EXPECT_TRUE(is_contiguous_from_zero(got));
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, ANormalEndCarriesNoError) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<SequenceSource>({.interval_us = 100, .count = 40}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", kBlock));
  ASSERT_TRUE(rt.start());
  Result<void> end = rt.wait_until_finished(std::chrono::seconds(30));
  ASSERT_TRUE(end) << end.error().message();
  EXPECT_EQ(probe("sink").finishes.load(), 1u);
  std::lock_guard lock(probe("sink").mutex);
  EXPECT_EQ(probe("sink").end_error, "");
}

TEST_F(FlowTest, AFailedSourceEndsItsLinksWithTheErrorToo) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 200, .throw_at = 10}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", kBlock));
  ASSERT_TRUE(rt.start());
  Result<void> end = rt.wait_until_finished(std::chrono::seconds(30));
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().message(), "processor 'src' (TestSource): process() threw: test source exploded");
  std::lock_guard lock(probe("sink").mutex);
  EXPECT_EQ(probe("sink").end_error, "processor 'src' (TestSource): process() threw: test source exploded");
  EXPECT_EQ(probe("sink").received.size(), 10u);
}

// The end of stream follows live changes, which the runtime tracks per change (not by walking the
// whole graph): a source whose last link goes is a sink that has not finished, and removing the
// last unfinished sink brings the end.
TEST_F(FlowTest, TheEndOfStreamFollowsLiveChangesToWhichProcessorsAreSinks) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<SequenceSource>({.interval_us = 100, .count = 20}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", kBlock));
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 1000}, "live_src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "live_sink"));
  ASSERT_TRUE(rt.connect("live_src.out", "live_sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").finishes.load() == 1; }));
  EXPECT_FALSE(rt.wait_until_finished(std::chrono::milliseconds(200)));  // live_sink streams on
  // live_src loses its only link: it is a sink now, and an unfinished one.
  ASSERT_TRUE(rt.disconnect(LinkId("live_src.out->live_sink.in")));
  ASSERT_TRUE(rt.remove_processor(ProcessorId("live_sink")));
  EXPECT_FALSE(rt.wait_until_finished(std::chrono::milliseconds(200)));
  EXPECT_NE(rt.state(), RuntimeState::kFinished);
  // Taking it away leaves `sink` the only sink, finished: the end comes.
  ASSERT_TRUE(rt.remove_processor(ProcessorId("live_src")));
  Result<void> end = rt.wait_until_finished(std::chrono::seconds(30));
  ASSERT_TRUE(end) << end.error().message();
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  ASSERT_TRUE(rt.stop());
}

// --- run_until ----------------------------------------------------------------------------------

TEST_F(FlowTest, RunUntilFailsAtOnceWhenTheRuntimeIsNotRunning) {
  StreamRuntime rt;
  Result<void> r = rt.run_until({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(FlowTest, RunUntilReturnsAtTheEndOfStream) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<SequenceSource>({.interval_us = 100, .count = 200}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in", kBlock));
  ASSERT_TRUE(rt.start());
  RunEnd end{};
  Result<void> r = rt.run_until({.signals = false}, &end);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(end, RunEnd::kEndOfStream);
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  EXPECT_EQ(probe("sink").received_count(), 200u);
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, RunUntilReturnsAtTheDeadlineAndLeavesTheGraphRunning) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(200);
  RunEnd end{};
  Result<void> r = rt.run_until({.signals = false, .deadline = deadline}, &end);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(end, RunEnd::kDeadline);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);  // run_until does not stop it
  const std::size_t n = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() > n; }));
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, RunUntilReturnsTheFailureThatEndedTheStream) {
  StreamRuntime rt;
  add_failing_chain(rt);
  ASSERT_TRUE(rt.start());
  // No deadline: the failure's end of stream is what ends the call.
  RunEnd end{};
  Result<void> r = rt.run_until({.signals = false}, &end);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kProcessorFailed);
  EXPECT_EQ(r.error().message(), kRelayFailure);
  EXPECT_EQ(end, RunEnd::kEndOfStream);  // what ended it is still said
  EXPECT_EQ(rt.state(), RuntimeState::kFinished);
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, RunUntilReturnsTheFirstFailureWhateverElseEndedIt) {
  StreamRuntime rt;
  add_failing_chain(rt);
  // A second branch that never ends keeps the graph running after the failure.
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "live"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "screen"));
  ASSERT_TRUE(rt.connect("live.out", "screen.in"));
  ASSERT_TRUE(rt.start());
  // The caller ends the call once the relay has failed and its sink has finished.
  auto done = [&] {
    const RuntimeStats s = rt.stats();
    return s.find_processor(ProcessorId("relay"))->state == ProcessorState::kError &&
           s.find_processor(ProcessorId("sink"))->state == ProcessorState::kFinished;
  };
  RunEnd end{};
  Result<void> r = rt.run_until(
      {.signals = false, .keep_going = [&] { return !done(); }, .poll_interval = std::chrono::milliseconds(5)}, &end);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), kRelayFailure);
  EXPECT_EQ(end, RunEnd::kCaller);
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);  // the live branch goes on
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("screen"))->state, ProcessorState::kRunning);
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, RunUntilReturnsWhenAnotherThreadStopsTheRuntime) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.start());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)rt.stop();
  });
  RunEnd end{};
  Result<void> r = rt.run_until({.signals = false}, &end);
  stopper.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(end, RunEnd::kStopped);
}

// The signal handler in place before the call (here: ignore) is back after it.
bool handler_is(int signo, void (*handler)(int)) {
  struct sigaction now {};
  sigaction(signo, nullptr, &now);
  return now.sa_handler == handler;
}

TEST_F(FlowTest, RunUntilReturnsOnSigtermRaisedWhileItWaitsAndRestoresTheHandler) {
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &ignore, &previous);

  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect("src.out", "sink.in"));
  ASSERT_TRUE(rt.start());
  bool raised = false;
  // raise() runs the handler before it returns, on the thread that waits in run_until.
  RunEnd end{};
  Result<void> r = rt.run_until({.end_of_stream = false,
                                 .keep_going =
                                     [&] {
                                       if (!raised) raised = ::raise(SIGTERM) == 0;
                                       return true;
                                     },
                                 .poll_interval = std::chrono::milliseconds(1)},
                                &end);
  const bool restored = handler_is(SIGTERM, SIG_IGN);
  sigaction(SIGTERM, &previous, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(end, RunEnd::kTerminated);
  EXPECT_TRUE(restored);
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  ASSERT_TRUE(rt.stop());
}

TEST_F(FlowTest, RunUntilReturnsOnSigintSentByKillFromAnotherThread) {
  // Ignored outside the call, so a signal sent before or after it cannot kill the test.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &previous);

  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}, "src"));
  ASSERT_TRUE(rt.start());
  std::atomic<bool> returned{false};
  std::thread signaller([&] {
    while (!returned.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!returned.load()) ::kill(::getpid(), SIGINT);
    }
  });
  RunEnd end{};
  Result<void> r = rt.run_until({.end_of_stream = false}, &end);
  returned = true;
  signaller.join();
  const bool restored = handler_is(SIGINT, SIG_IGN);
  sigaction(SIGINT, &previous, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(end, RunEnd::kInterrupted);
  EXPECT_TRUE(restored);
  ASSERT_TRUE(rt.stop());
}

}  // namespace
}  // namespace streamlib
