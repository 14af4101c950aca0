// Stress: thousands of random mutations (add, remove, connect, disconnect, config, link update,
// pause, resume, commit, and rejected ones) while sequence-numbered messages flow through
// lanes of `block` links. Afterwards every lane's sink must hold exactly 0, 1, ..., n-1: no
// message lost or reordered on links no delta touched — nor on lane links that were only
// resized, which `block` also keeps whole. Runs under ThreadSanitizer and ASan+UBSan in CI.
//
// STREAMLIB_STRESS_MUTATIONS (default 10000; the sanitizer runs use 3000) and
// STREAMLIB_STRESS_SEED (default fixed) tune it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

class StressTest : public RuntimeTest {};

TEST_F(StressTest, ThousandsOfRandomMutationsLoseAndReorderNothingOnBlockLinks) {
  const std::uint64_t mutations = env_or("STREAMLIB_STRESS_MUTATIONS", 10000);
  const std::uint64_t seed = env_or("STREAMLIB_STRESS_SEED", 20261125);
  std::mt19937_64 rng(seed);
  std::cout << "[ stress   ] " << mutations << " mutations, seed " << seed << "\n";
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  StreamRuntime rt({.stop_timeout = std::chrono::seconds(30), .control_timeout = std::chrono::seconds(30)});
  constexpr int kLanes = 4;
  const LinkConfig lane_link{.capacity = 8, .policy = LinkPolicy::kBlock, .block_timeout = std::chrono::seconds(30)};
  for (int i = 0; i < kLanes; ++i) {
    ASSERT_TRUE(rt.add_processor<TestSource>({.interval_us = 300}, fmt::format("src{}", i)));
    ASSERT_TRUE(rt.add_processor<TestRelay>({}, fmt::format("relay{}", i)));
    ASSERT_TRUE(rt.add_processor<TestSink>({}, fmt::format("sink{}", i)));
    ASSERT_TRUE(rt.connect(fmt::format("src{}.out", i), fmt::format("relay{}.in", i), lane_link));
    ASSERT_TRUE(rt.connect(fmt::format("relay{}.out", i), fmt::format("sink{}.in", i), lane_link));
  }
  ASSERT_TRUE(rt.start());

  // What the test believes the scratch part of the graph is.
  std::vector<std::string> scratch;                  // scratch processor ids
  std::map<std::string, std::string> scratch_links;  // link id -> scratch processor it feeds
  std::uint64_t next_scratch = 0;
  bool paused = false;
  bool manual = false;
  std::map<std::string, int> done;

  auto lane_output = [&] {
    const int lane = static_cast<int>(pick(kLanes));
    return fmt::format("{}{}.out", pick(2) ? "src" : "relay", lane);
  };
  auto unfed_scratch = [&]() -> std::string {
    std::vector<std::string> free;
    for (const auto& s : scratch) {
      bool fed = false;
      for (const auto& [l, target] : scratch_links) fed = fed || target == s;
      if (!fed) free.push_back(s);
    }
    return free.empty() ? std::string() : free[pick(free.size())];
  };
  auto random_link_config = [&] {
    static constexpr LinkPolicy kPolicies[] = {LinkPolicy::kBlock, LinkPolicy::kDropOldest, LinkPolicy::kDropNewest};
    return LinkConfig{.capacity = static_cast<std::uint32_t>(1 + pick(16)),
                      .policy = kPolicies[pick(3)],
                      .read_mode = pick(4) == 0 ? ReadMode::kLatest : ReadMode::kSequential,
                      .block_timeout = std::chrono::milliseconds(20)};
  };

  for (std::uint64_t m = 0; m < mutations; ++m) {
    const std::size_t op = pick(100);
    if (op < 12) {  // add a scratch processor of a random kind
      const std::string id = fmt::format("x{}", next_scratch++);
      switch (pick(3)) {
        case 0:
          ASSERT_TRUE(rt.add_processor<TestSink>({}, id));
          break;
        case 1:
          ASSERT_TRUE(rt.add_processor<RebuiltSink>({}, id));
          break;
        default:
          ASSERT_TRUE(rt.add_processor<Counter>({.expect_sequence = false}, id));
          break;
      }
      scratch.push_back(id);
      ++done["add"];
    } else if (op < 22) {  // remove one (and whatever feeds it)
      if (scratch.empty()) continue;
      const std::size_t i = pick(scratch.size());
      const std::string id = scratch[i];
      ASSERT_TRUE(rt.remove_processor(ProcessorId(id))) << id;
      scratch.erase(scratch.begin() + static_cast<std::ptrdiff_t>(i));
      std::erase_if(scratch_links, [&](const auto& kv) { return kv.second == id; });
      ++done["remove"];
    } else if (op < 40) {  // fan a lane output out into a scratch processor
      const std::string target = unfed_scratch();
      if (target.empty()) continue;
      auto link = rt.connect(lane_output(), target + ".in", random_link_config());
      ASSERT_TRUE(link) << link.error().message();
      scratch_links.emplace(link->id().str(), target);
      ++done["connect"];
    } else if (op < 52) {  // unplug one
      if (scratch_links.empty()) continue;
      auto it = std::next(scratch_links.begin(), static_cast<std::ptrdiff_t>(pick(scratch_links.size())));
      ASSERT_TRUE(rt.disconnect(LinkId(it->first))) << it->first;
      scratch_links.erase(it);
      ++done["disconnect"];
    } else if (op < 60) {  // hot-reload a lane relay (never rebuilt: it has on_config_change)
      const std::string relay = fmt::format("relay{}", pick(kLanes));
      ASSERT_TRUE(rt.update_processor_config(ProcessorId(relay), {{"tag", fmt::format("t{}", m)}}));
      ++done["config"];
    } else if (op < 66) {  // reconfigure a scratch processor (RebuiltSink: rebuilt in place)
      if (scratch.empty()) continue;
      const std::string id = scratch[pick(scratch.size())];
      const std::string type = rt.graph().find_processor(ProcessorId(id))->type;
      const nlohmann::json config = type == "Counter" ? nlohmann::json{{"expect_sequence", pick(2) == 0}}
                                                      : nlohmann::json{{"tag", fmt::format("t{}", m)}};
      ASSERT_TRUE(rt.update_processor_config(ProcessorId(id), config));
      ++done["config"];
    } else if (op < 74) {  // resize / re-policy a scratch link
      if (scratch_links.empty()) continue;
      auto it = std::next(scratch_links.begin(), static_cast<std::ptrdiff_t>(pick(scratch_links.size())));
      ASSERT_TRUE(rt.update_link_config(LinkId(it->first), random_link_config()));
      ++done["link_update"];
    } else if (op < 80) {  // resize a lane link, keeping `block`: still lossless
      const int lane = static_cast<int>(pick(kLanes));
      const std::string id =
          pick(2) ? fmt::format("src{0}.out->relay{0}.in", lane) : fmt::format("relay{0}.out->sink{0}.in", lane);
      ASSERT_TRUE(rt.update_link_config(LinkId(id), {.capacity = static_cast<std::uint32_t>(1 + pick(32))}));
      ++done["lane_resize"];
    } else if (op < 86) {  // pause / resume
      if (paused) {
        ASSERT_TRUE(rt.resume());
      } else {
        ASSERT_TRUE(rt.pause());
      }
      paused = !paused;
      ++done["pause_resume"];
    } else if (op < 91) {  // switch commit modes; leaving Manual commits the batch
      if (manual) {
        if (pick(2)) {
          ASSERT_TRUE(rt.commit());
        } else {
          ASSERT_TRUE(rt.set_commit_mode(CommitMode::kAuto));
          manual = false;
        }
      } else {
        ASSERT_TRUE(rt.set_commit_mode(CommitMode::kManual));
        manual = true;
      }
      ++done["commit"];
    } else {  // a rejected change: graph and pipeline stay exactly as they were
      const std::uint64_t before = rt.graph().checksum();
      const int lane = static_cast<int>(pick(kLanes));
      Result<void> r;
      switch (pick(4)) {
        case 0:
          r = rt.connect(fmt::format("src{}.out", lane), fmt::format("sink{}.in", lane)).map([](auto&&) {});
          break;
        case 1:
          r = rt.connect(fmt::format("relay{}.out", lane), fmt::format("relay{}.in", lane)).map([](auto&&) {});
          break;
        case 2:
          r = rt.add_processor("NoSuchType", {}).map([](auto&&) {});
          break;
        default:
          r = rt.update_link_config(LinkId(fmt::format("src{0}.out->relay{0}.in", lane)), {.capacity = 0});
          break;
      }
      ASSERT_FALSE(r);
      ASSERT_TRUE(is_input_error(r.error())) << r.error().message();
      ASSERT_EQ(rt.graph().checksum(), before);
      ++done["rejected"];
    }
  }

  if (manual) {
    ASSERT_TRUE(rt.set_commit_mode(CommitMode::kAuto));
  }
  if (paused) {
    ASSERT_TRUE(rt.resume());
  }
  EXPECT_FALSE(rt.has_pending_changes());
  ASSERT_TRUE(rt.graph().validate());
  EXPECT_EQ(rt.stats().processors.size(), static_cast<std::size_t>(3 * kLanes) + scratch.size());
  EXPECT_EQ(rt.stats().links.size(), static_cast<std::size_t>(2 * kLanes) + scratch_links.size());
  ASSERT_TRUE(rt.stop());
  EXPECT_TRUE(rt.stats().processors.empty());

  for (const auto& [what, n] : done) std::cout << "[ stress   ] " << what << ": " << n << "\n";
  for (int i = 0; i < kLanes; ++i) {
    Probe& sink = probe(fmt::format("sink{}", i));
    Probe& src = probe(fmt::format("src{}", i));
    EXPECT_GT(sink.received_count(), 0u);
    EXPECT_TRUE(is_contiguous_from_zero(sink.snapshot())) << "lane " << i;
    EXPECT_EQ(sink.received_count(), src.emitted.load()) << "lane " << i;
    EXPECT_EQ(src.setups, 1u) << "lane " << i << ": its thread was never replaced";
  }
}

}  // namespace
}  // namespace streamlib
