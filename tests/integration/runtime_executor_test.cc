// The pool executor's own promises, through the public API: a chain runs on one worker, the
// thread count stays at the workers, blocked producers never starve the rest, and stop keeps
// its deadline beside them. (Every other runtime suite also runs under the pool: the "pool."
// tests of ctest, STREAMLIB_EXECUTOR=pool.)
#include <dirent.h>

#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "streamlib/streamlib.h"
#include "testing/runtime_fixture.h"
#include "testing/test_processors.h"

namespace streamlib::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Which thread saw which frame, per stage: a chain's block should cross every stage on one.
struct ThreadLog {
  std::mutex mutex;
  std::map<std::uint64_t, std::set<std::thread::id>> threads_of_frame;  // GUARDED_BY(mutex)
  void note(std::uint64_t frame) {
    std::lock_guard lock(mutex);
    threads_of_frame[frame].insert(std::this_thread::get_id());
  }
  static ThreadLog& get() {
    static ThreadLog log;
    return log;
  }
};

class ThreadNotingRelay : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(ThreadNotingRelay, "Test relay noting the thread each frame crosses it on", Reactive{});
  LinkInput<DataFrame> in{this, "in"};
  LinkOutput<DataFrame> out{this, "out"};
  Result<void> process() override {
    in.drain([&](DataFrame&& f) {
      ThreadLog::get().note(f.frame_number());
      out.push(std::move(f));
    });
    return {};
  }
};

// The process's threads, by name.
std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string name;
      if (FILE* f = std::fopen(fmt::format("/proc/self/task/{}/comm", e->d_name).c_str(), "re")) {
        char buf[64] = {};
        if (std::fgets(buf, sizeof buf, f)) name = buf;
        std::fclose(f);
      }
      if (!name.empty() && name.back() == '\n') name.pop_back();
      names.push_back(name);
    }
    closedir(d);
  }
  return names;
}
int thread_count() { return static_cast<int>(thread_names().size()); }

class PoolExecutorTest : public RuntimeTest {};

TEST_F(PoolExecutorTest, OneBlockCrossesAnEightStageChainOnOneWorker) {
  StreamRuntime rt({.executor = ExecutorKind::kPool, .workers = 2});
  // Paced (2 ms apart) so that each block is alone in the chain: its path is the scheduler's
  // choice, not a collision with the next one.
  constexpr std::uint64_t kBlocks = 200;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 2000, .count = kBlocks}, "src"));
  std::string prev = "src";
  for (int i = 0; i < 8; ++i) {
    const std::string id = "stage" + std::to_string(i);
    ASSERT_TRUE(rt.add_processor<ThreadNotingRelay>({}, id));
    ASSERT_TRUE(rt.connect(prev + ".out", id + ".in"));
    prev = id;
  }
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink"));
  ASSERT_TRUE(rt.connect(prev + ".out", "sink.in"));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] { return probe("sink").received_count() == kBlocks; }, std::chrono::seconds(60)));
  ASSERT_TRUE(rt.stop());

  ThreadLog& log = ThreadLog::get();
  std::lock_guard lock(log.mutex);
  ASSERT_EQ(log.threads_of_frame.size(), kBlocks);
  std::size_t on_one = 0;
  std::set<std::thread::id> all;
  for (const auto& [frame, threads] : log.threads_of_frame) {
    on_one += threads.size() == 1;
    all.insert(threads.begin(), threads.end());
  }
  // A block goes from stage to stage as the worker's inline successor, never through a queue.
  // (A worker descheduled for longer than the 2 ms pacing can let the next block overlap it.)
  EXPECT_GE(on_one * 10, kBlocks * 9) << on_one << " of " << kBlocks << " blocks stayed on one thread";
  // No thread per stage: the stages ran on the pool's workers (plus a spare, at most, if a
  // worker was found in one task too long on a loaded machine).
  EXPECT_LE(all.size(), 3u);
}

TEST_F(PoolExecutorTest, ThreadsStayAtTheWorkersWhateverTheGraphSize) {
  const int before = thread_count();
  StreamRuntime rt({.executor = ExecutorKind::kPool, .workers = 2});
  constexpr int kPairs = 250;
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 10000}, "src" + n));
    ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink" + n));
    ASSERT_TRUE(rt.connect("src" + n + ".out", "sink" + n + ".in"));
  }
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([&] {
    for (int i = 0; i < kPairs; ++i) {
      if (probe("sink" + std::to_string(i)).received_count() < 3) return false;
    }
    return true;
  }));
  // Two workers and the timer (a spare or two more if the watchdog found a worker slow on a
  // loaded machine), plus what the runtime keeps whatever the executor (the event thread, two
  // spare threads for processors that need their own) and what a sanitizer adds. The thread
  // executor would have 500 more.
  const std::vector<std::string> names = thread_names();
  const auto pool_threads = std::count(names.begin(), names.end(), std::string("streamlib-pool"));
  EXPECT_LE(pool_threads, 2 + 2) << fmt::format("{}", fmt::join(names, ", "));
  EXPECT_LE(thread_count() - before, 12) << fmt::format("{}", fmt::join(names, ", "));
  ASSERT_TRUE(rt.stop());
}

// A pair that always has work (a source at interval 0 into a dropping link: it never blocks,
// so nothing hands its worker on) must not keep the one worker to itself: a paced pair the
// timer queues still gets its turns.
TEST_F(PoolExecutorTest, AnEndlessChainOnTheOnlyWorkerLeavesTurnsForTimedProcessors) {
  StreamRuntime rt({.executor = ExecutorKind::kPool, .workers = 1});
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 0}, "hog_src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "hog_sink"));
  ASSERT_TRUE(rt.connect("hog_src.out", "hog_sink.in", {.capacity = 64, .policy = LinkPolicy::kDropOldest}));
  constexpr std::uint64_t kCount = 50;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 2000, .count = kCount}, "paced_src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "paced_sink"));
  ASSERT_TRUE(rt.connect("paced_src.out", "paced_sink.in"));
  ASSERT_TRUE(rt.start());
  EXPECT_TRUE(eventually([&] { return probe("paced_sink").received_count() == kCount; }, std::chrono::seconds(30)))
      << probe("paced_sink").received_count() << " of " << kCount << " paced messages; the hog's sink got "
      << probe("hog_sink").received_count();
  EXPECT_GT(probe("hog_sink").received_count(), 0u);
  ASSERT_TRUE(rt.stop());
}

// The "pool." copies of the runtime suites are only worth their time if the environment really
// picks the pool: 40 processors make 40 threads under the thread executor, a handful under it.
TEST_F(PoolExecutorTest, TheEnvironmentPicksTheExecutorOfARuntimeWithoutOne) {
  const int before = thread_count();
  StreamRuntime rt;
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 10000}, "src" + n));
    ASSERT_TRUE(rt.add_processor<TestSink>({}, "sink" + n));
    ASSERT_TRUE(rt.connect("src" + n + ".out", "sink" + n + ".in"));
  }
  ASSERT_TRUE(rt.start());
  const int grew = thread_count() - before;
  if (pool_by_default()) {
    EXPECT_LT(grew, 20) << "STREAMLIB_EXECUTOR=pool, but 40 processors made " << grew << " threads";
  } else {
    EXPECT_GE(grew, 40) << "the thread executor, but 40 processors made " << grew << " threads";
  }
  ASSERT_TRUE(rt.stop());
}

class BlockedProducersTest : public RuntimeTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(BlockedProducersTest, FiftyBlockedProducersStarveNoOtherProcessorAndLiveChangesGoThrough) {
  StreamRuntime rt({.stop_timeout = milliseconds(5000), .executor = ExecutorKind::kPool, .workers = GetParam()});
  const LinkConfig block{.capacity = 2, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(60)};
  constexpr int kBlocked = 50;
  for (int i = 0; i < kBlocked; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 0}, "fast" + n));
    // Slow: 20 ms a message, so every producer spends its time blocked in a push.
    ASSERT_TRUE(rt.add_processor<TestSink>({.delay_us = 20000, .batch = 1}, "slow" + n));
    ASSERT_TRUE(rt.connect("fast" + n + ".out", "slow" + n + ".in", block));
  }
  constexpr std::uint64_t kCount = 100;
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 1000, .count = kCount}, "free_src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "free_sink"));
  ASSERT_TRUE(rt.connect("free_src.out", "free_sink.in"));
  ASSERT_TRUE(rt.start());
  // Everything makes progress: the independent pair delivers all, every slow sink receives.
  EXPECT_TRUE(eventually([&] { return probe("free_sink").received_count() == kCount; }, std::chrono::seconds(60)));
  EXPECT_TRUE(eventually(
      [&] {
        for (int i = 0; i < kBlocked; ++i) {
          if (probe("slow" + std::to_string(i)).received_count() < 2) return false;
        }
        return true;
      },
      std::chrono::seconds(60)));
  // A live change beside them: a new pair, added and connected in one batch, delivers all.
  ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
  ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 1000, .count = 20}, "late_src"));
  ASSERT_TRUE(rt.add_processor<TestSink>({}, "late_sink"));
  ASSERT_TRUE(rt.connect("late_src.out", "late_sink.in"));
  ASSERT_TRUE(rt.commit());
  EXPECT_TRUE(eventually([&] { return probe("late_sink").received_count() == 20; }, std::chrono::seconds(60)));
  EXPECT_EQ(rt.stats().find_link(LinkId("free_src.out->free_sink.in"))->dropped, 0u);
  ASSERT_TRUE(rt.stop());
}

INSTANTIATE_TEST_SUITE_P(Workers, BlockedProducersTest, ::testing::Values(1U, 2U, 8U),
                         [](const ::testing::TestParamInfo<unsigned>& p) {
                           return std::to_string(p.param) + "_workers";
                         });

}  // namespace
}  // namespace streamlib::testing

namespace streamlib::testing {
namespace {

// Under both executors (this suite runs again as pool.*): a producer blocked on a full `block`
// link into a consumer stuck in process() for 30 s. Both stand still from the start of stop(),
// so both are abandoned by its timeout, not one timeout after the other.
TEST_F(RuntimeTest, StopKeepsItsDeadlineBesideAProducerBlockedOnAStuckConsumer) {
  StuckSink::gate().reset();
  constexpr auto kStopTimeout = milliseconds(2000);
  {
    StreamRuntime rt({.stop_timeout = kStopTimeout});
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 100}, "src"));
    ASSERT_TRUE(rt.add_processor<TestRelay>({}, "relay"));
    ASSERT_TRUE(rt.add_processor<StuckSink>({}, "stuck"));
    ASSERT_TRUE(rt.connect("src.out", "relay.in"));
    ASSERT_TRUE(rt.connect("relay.out", "stuck.in",
                           {.capacity = 4, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(60)}));
    ASSERT_TRUE(rt.start());
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(StuckSink::gate().mutex);
      return StuckSink::gate().entered;
    }));
    ASSERT_TRUE(eventually([&] {
      auto l = rt.stats().find_link(LinkId("relay.out->stuck.in"));
      return l && l->depth >= 4;
    }));
    const auto t0 = Clock::now();
    (void)rt.stop();  // reports the abandoned processors
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
    // The timeout, the 200 ms look at a thread's schedstat that tells a starved thread from a
    // stuck one, and the stop loop's own steps.
    EXPECT_LT(took.count(), (kStopTimeout + milliseconds(1000)).count());
    EXPECT_EQ(rt.state(), RuntimeState::kIdle);
  }
  StuckSink::gate().release();  // the abandoned call returns; nothing waits for it
  EXPECT_TRUE(StuckSink::gate().wait_returned(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace streamlib::testing
