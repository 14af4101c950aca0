// Lifecycle: legal and illegal transitions, pause that really pauses, Manual processors told to
// suspend, stop that drains, restart, a stuck processor that cannot hang stop(), signals, and
// thread priorities granted or reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <thread>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT(google-build-using-namespace)

class LifecycleTest : public RuntimeTest {};

TEST_F(LifecycleTest, IllegalTransitionsReturnErrorsAndChangeNothing) {
  StreamRuntime rt;
  auto pause = rt.pause();
  ASSERT_FALSE(pause);
  EXPECT_EQ(pause.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(pause.error().message(), "cannot pause: runtime is idle");
  EXPECT_EQ(rt.stop().error().message(), "cannot stop: runtime is idle");
  EXPECT_EQ(rt.resume().error().message(), "cannot resume: runtime is idle");
  ASSERT_TRUE(rt.start());
  EXPECT_EQ(rt.start().error().message(), "cannot start: runtime is running");
  EXPECT_EQ(rt.resume().error().message(), "cannot resume: runtime is running");
  ASSERT_TRUE(rt.pause());
  EXPECT_EQ(rt.pause().error().message(), "cannot pause: runtime is paused");
  EXPECT_EQ(rt.state(), RuntimeState::kPaused);
  ASSERT_TRUE(rt.stop());  // from Paused
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
}

TEST_F(LifecycleTest, PauseMeansNoProcessCallAnywhereUntilResume) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 200}, "src").value();
  auto relay = rt.add_processor<TestRelay>({}, "relay").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), relay.input(&TestRelay::in)));
  ASSERT_TRUE(rt.connect(relay.output(&TestRelay::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 50; }));

  ASSERT_TRUE(rt.pause());
  for (const char* id : {"src", "relay", "sink"}) {
    EXPECT_EQ(rt.stats().find_processor(ProcessorId(id))->state, ProcessorState::kPaused) << id;
  }
  const std::uint64_t calls[] = {probe("src").process_calls, probe("relay").process_calls, probe("sink").process_calls};
  const std::size_t received = probe("sink").received_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // 1500 source periods
  EXPECT_EQ(probe("src").process_calls, calls[0]);
  EXPECT_EQ(probe("relay").process_calls, calls[1]);
  EXPECT_EQ(probe("sink").process_calls, calls[2]);
  EXPECT_EQ(probe("sink").received_count(), received);
  EXPECT_EQ(probe("src").pauses, 1u);

  ASSERT_TRUE(rt.resume());
  EXPECT_EQ(probe("src").resumes, 1u);
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= received + 50; }));
  ASSERT_TRUE(rt.stop());
  // Resumed from where it was: nothing lost, nothing repeated.
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

TEST_F(LifecycleTest, ManualProcessorsAreToldToSuspendAndResume) {
  StreamRuntime rt;
  auto dev = rt.add_processor<ManualSource>({.tick_us = 500}, "dev").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(dev.output(&ManualSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  EXPECT_EQ(rt.stats().find_processor(ProcessorId("dev"))->execution, "manual");
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 20; }));
  ASSERT_TRUE(rt.pause());
  EXPECT_EQ(probe("dev").pauses, 1u);
  const std::uint64_t calls = probe("dev").process_calls;
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(probe("dev").process_calls, calls);
  ASSERT_TRUE(rt.resume());
  EXPECT_EQ(probe("dev").resumes, 1u);
  const std::size_t received = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= received + 20; }));
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("dev").teardowns, 1u);
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

TEST_F(LifecycleTest, StopDrainsWhatIsQueuedBeforeTeardown) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 0, .count = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({.delay_us = 200}, "sink").value();  // slower than the source
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in),
                         {.capacity = 64, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(5)}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return rt.stats().links.at(0).depth >= 32; }));  // a backlog exists
  ASSERT_TRUE(rt.stop());
  EXPECT_EQ(probe("sink").teardowns, 1u);
  EXPECT_EQ(probe("sink").received_count(), probe("src").emitted.load());
  EXPECT_TRUE(is_contiguous_from_zero(probe("sink").snapshot()));
}

TEST_F(LifecycleTest, RestartSetsEverythingUpAgainWithTheSameGraph) {
  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 300}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= 10; }));
  const std::uint64_t checksum = rt.graph().checksum();
  ASSERT_TRUE(rt.restart());
  EXPECT_EQ(rt.state(), RuntimeState::kRunning);
  EXPECT_EQ(probe("src").setups, 2u);
  EXPECT_EQ(probe("src").teardowns, 1u);
  EXPECT_EQ(rt.graph().checksum(), checksum);
  const std::size_t before = probe("sink").received_count();
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() >= before + 10; }));
}

TEST_F(LifecycleTest, AProcessorStuckInProcessDoesNotHangStop) {
  StuckSink::gate().reset();
  StreamRuntime rt({.stop_timeout = std::chrono::milliseconds(300), .control_timeout = std::chrono::milliseconds(300)});
  EventLog log(rt);
  auto src = rt.add_processor<TestSource>({.interval_us = 1000}, "src").value();
  auto stuck = rt.add_processor<StuckSink>({}, "stuck").value();
  auto other = rt.add_processor<TestSink>({}, "other").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), stuck.input(&StuckSink::in)));
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), other.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(StuckSink::gate().mutex);
    return StuckSink::gate().entered;
  }));
  // Resizing its input link needs only the producer's safe point (the stuck consumer takes the
  // new ring over whenever it gets there): it does not wait for the stuck processor at all.
  const auto resize_t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(rt.update_link_config(LinkId("src.out->stuck.in"), {.capacity = 2}));
  EXPECT_LT(std::chrono::steady_clock::now() - resize_t0, std::chrono::milliseconds(250));
  // A live change that needs the stuck processor itself times out with an error naming it...
  auto r = rt.disconnect(LinkId("src.out->stuck.in"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTimeout);
  EXPECT_THAT(r.error().message(), HasSubstr("'stuck' did not reach a safe point"));
  // ...and stop() returns, reporting it.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(rt.stop());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  EXPECT_TRUE(log.wait_for(EventKind::kError, "processor 'stuck' (StuckSink) made no progress for 300 ms"));
  EXPECT_EQ(probe("other").teardowns, 1u);  // the rest stopped properly
  // Let the abandoned thread finish so nothing outlives the test.
  StuckSink::gate().release();
  EXPECT_TRUE(StuckSink::gate().wait_returned(std::chrono::seconds(5)));
}

TEST_F(LifecycleTest, WaitForSignalStopsGracefullyOnSigterm) {
  // SIGTERM ignored until wait_for_signal installs its handler, so an early signal cannot kill
  // the test process; the handler restores this afterwards.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &ignore, &previous);

  StreamRuntime rt;
  auto src = rt.add_processor<TestSource>({.interval_us = 500}, "src").value();
  auto sink = rt.add_processor<TestSink>({}, "sink").value();
  ASSERT_TRUE(rt.connect(src.output(&TestSource::out), sink.input(&TestSink::in)));
  ASSERT_TRUE(rt.start());
  std::atomic<bool> waiting_done{false};
  std::thread signaller([&] {
    while (!waiting_done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!waiting_done.load()) ::kill(::getpid(), SIGTERM);
    }
  });
  auto r = rt.wait_for_signal();
  waiting_done = true;
  signaller.join();
  sigaction(SIGTERM, &previous, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  EXPECT_EQ(probe("sink").teardowns, 1u);
  EXPECT_EQ(probe("sink").received_count(), probe("src").emitted.load());  // drained, like any stop
}

TEST_F(LifecycleTest, WaitForSignalReturnsWhenAnotherThreadStops) {
  StreamRuntime rt;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 500}));
  ASSERT_TRUE(rt.start());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (void)rt.stop();
  });
  EXPECT_TRUE(rt.wait_for_signal());
  stopper.join();
  EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  EXPECT_FALSE(rt.wait_for_signal());  // not running: nothing to wait for
}

// Runs `body` in a forked child without CAP_SYS_NICE, so the OS refuses raised priorities even
// to root; returns the child's exit status. Forked before this process starts any thread.
int run_without_cap_sys_nice(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0) ::_exit(90);
    const unsigned bit = 1u << CAP_SYS_NICE;  // < 32: in data[0]
    data[0].effective &= ~bit;
    data[0].permitted &= ~bit;
    data[0].inheritable &= ~bit;
    if (syscall(SYS_capset, &header, data) != 0) ::_exit(91);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(LifecycleTest, ARefusedPriorityIsReportedAndTheProcessorRunsOn) {
  const int status = run_without_cap_sys_nice([] {
    // Checks are exit codes: gtest assertions do not cross the fork.
    StreamRuntime rt;
    std::atomic<bool> refused_event{false};
    rt.subscribe([&](const Event& e) {
      if (e.kind == EventKind::kPriorityRefused && e.processor == ProcessorId("rt")) refused_event = true;
    });
    auto src = rt.add_processor<TestSource>({.interval_us = 500}, "src").value();
    auto sink = rt.add_processor<RealtimeSink>({}, "rt").value();
    if (!rt.connect(src.output(&TestSource::out), sink.input(&RealtimeSink::in))) return 10;
    if (!rt.start()) return 11;
    if (!eventually([&] { return refused_event.load(); })) return 12;
    auto s = rt.stats().find_processor(ProcessorId("rt"));
    if (!s || s->priority_applied) return 13;
    if (s->priority_error.find("SCHED_FIFO 50 refused") == std::string::npos) return 14;
    if (s->priority_error.find("running at normal priority") == std::string::npos) return 15;
    if (s->state != ProcessorState::kRunning) return 16;
    if (probe("rt").scheduler_policy.load() == SCHED_FIFO) return 17;
    // ...and it runs on: messages keep arriving through it.
    const auto before = rt.stats().find_link(LinkId("src.out->rt.in"))->delivered;
    if (!eventually([&] { return rt.stats().find_link(LinkId("src.out->rt.in"))->delivered > before + 20; })) {
      return 18;
    }
    return rt.stop() ? 0 : 19;
  });
  EXPECT_EQ(status, 0) << "see the numbered checks in the test body";
}

TEST_F(LifecycleTest, ThreadPriorityIsGrantedOrTheRefusalIsReported) {
  StreamRuntime rt;
  EventLog log(rt);
  auto rt_sink = rt.add_processor<RealtimeSink>({}, "rt").value();
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("rt").scheduler_policy.load() != -1; }));
  auto s = rt.stats().find_processor(rt_sink.id());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->priority, ThreadPriority::kRealTime);
  EXPECT_EQ(s->state, ProcessorState::kRunning);  // runs either way
  // Priority is applied after setup(): a thread setup() starts runs at normal priority.
  EXPECT_EQ(probe("rt").setup_thread_policy.load(), SCHED_OTHER);
  if (s->priority_applied) {
    EXPECT_EQ(probe("rt").scheduler_policy.load(), SCHED_FIFO);
    EXPECT_TRUE(s->priority_error.empty());
  } else {
    EXPECT_NE(probe("rt").scheduler_policy.load(), SCHED_FIFO);
    EXPECT_THAT(s->priority_error, HasSubstr("SCHED_FIFO 50 refused"));
    EXPECT_TRUE(log.wait_for(EventKind::kPriorityRefused, "processor 'rt': realtime priority refused"));
  }
  std::cout << "[ priority ] realtime " << (s->priority_applied ? "granted" : "refused: " + s->priority_error) << "\n";
}

}  // namespace
}  // namespace streamlib
