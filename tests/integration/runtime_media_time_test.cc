// Media time through live changes in a running runtime: a source whose clock restarts when it is
// rebuilt, reconfigured or resumed keeps a continuous timeline on its output, and a processor's
// warning reaches subscribers naming the link. The processors are a user's: they know nothing
// of the rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "testing/runtime_fixture.h"

namespace streamlib {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace)
using std::chrono::milliseconds;

struct CountingToneConfig {
  int frames_per_buffer = 480;
  float level = 0.5f;
};
STREAMLIB_CONFIG(CountingToneConfig, frames_per_buffer, level);

// An audio source counting samples from 0 at 48 kHz, every millisecond. No on_config_change:
// every change rebuilds it, and on_resume starts the count again (as a device reopened would).
class CountingTone : public Processor<CountingToneConfig> {
 public:
  STREAMLIB_PROCESSOR(CountingTone, "Audio counted from sample 0", Continuous{milliseconds(1)});
  LinkOutput<AudioFrame> audio{this, "audio"};
  void on_resume() override { position_ = 0; }
  Result<void> process() override {
    WritableAudioFrame w(2, 48000, static_cast<std::size_t>(config().frames_per_buffer));
    for (float& s : w.samples()) s = config().level;
    w.set_sample_position(position_);
    w.set_timestamp_ns(position_ * 1'000'000'000 / 48000);
    position_ += config().frames_per_buffer;
    audio.push(std::move(w).freeze());
    return {};
  }

 private:
  std::int64_t position_ = 0;
};

// Keeps every block it receives; warns once if a block does not follow the one before.
class ContinuityCheck : public Processor<EmptyConfig> {
 public:
  STREAMLIB_PROCESSOR(ContinuityCheck, "Records audio blocks and checks they follow on", Reactive{});
  LinkInput<AudioFrame> audio{this, "audio"};
  Result<void> process() override {
    audio.drain([&](AudioFrame&& b) {
      if (next_ && b.sample_position() != *next_ && !warned_) {
        warned_ = true;
        context().warn(fmt::format("block at {} after {}", b.sample_position(), *next_), audio.link_id());
      }
      next_ = b.sample_position() + static_cast<std::int64_t>(b.frame_count());
      std::lock_guard lock(mutex_);
      blocks_.push_back(std::move(b));
    });
    return {};
  }
  static std::vector<AudioFrame> blocks() {
    std::lock_guard lock(mutex_);
    return blocks_;
  }
  static void reset() {
    std::lock_guard lock(mutex_);
    blocks_.clear();
  }

 private:
  std::optional<std::int64_t> next_;
  bool warned_ = false;
  static inline std::mutex mutex_;
  static inline std::vector<AudioFrame> blocks_;  // GUARDED_BY(mutex_)
};

class MediaTimeTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    ContinuityCheck::reset();
  }
  static std::size_t received() { return ContinuityCheck::blocks().size(); }
};

void expect_continuous(const std::vector<AudioFrame>& blocks) {
  ASSERT_FALSE(blocks.empty());
  std::int64_t position = blocks.front().sample_position();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    ASSERT_EQ(blocks[i].sample_position(), position) << "block " << i << " of " << blocks.size();
    // Re-based timestamps follow on from block durations in whole ns: within a ns of exact.
    ASSERT_NEAR(blocks[i].timestamp_ns(), position * 1'000'000'000 / 48000, 1) << "block " << i;
    position += static_cast<std::int64_t>(blocks[i].frame_count());
  }
}

TEST_F(MediaTimeTest, ASourceRebuiltTwiceAndResumedKeepsOneContinuousTimelineOnItsLink) {
  StreamRuntime rt;
  EventLog log(rt);
  auto tone = rt.add_processor<CountingTone>({}, "tone").value();
  ASSERT_TRUE(rt.add_processor<ContinuityCheck>({}, "check"));
  ASSERT_TRUE(rt.connect("tone.audio", "check.audio", {.capacity = 64, .policy = LinkPolicy::kBlock}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([] { return received() >= 20; }));
  ASSERT_TRUE(rt.update_processor_config(tone, {.level = 0.25f}));  // a rebuild: count from 0
  ASSERT_TRUE(eventually([] { return received() >= 40; }));
  ASSERT_TRUE(rt.update_processor_config(tone, {.frames_per_buffer = 256, .level = 0.25f}));
  ASSERT_TRUE(eventually([] { return received() >= 60; }));
  ASSERT_TRUE(rt.pause());
  ASSERT_TRUE(rt.resume());  // on_resume counts from 0 too
  const std::size_t at_resume = received();
  ASSERT_TRUE(eventually([&] { return received() >= at_resume + 20; }));
  ASSERT_TRUE(rt.stop());

  const auto blocks = ContinuityCheck::blocks();
  expect_continuous(blocks);
  EXPECT_EQ(blocks.back().frame_count(), 256u);  // the last config's blocks did arrive
  EXPECT_FLOAT_EQ(blocks.back().samples()[0], 0.25f);
  for (const Event& e : log.events()) EXPECT_NE(e.kind, EventKind::kWarning) << e.message;
}

TEST_F(MediaTimeTest, AProcessorsWarningReachesSubscribersNamingItAndTheLink) {
  // A source whose own clock jumps between changes is its own business (the port re-bases only
  // after a live change), so the checker sees the jump and reports it.
  StreamRuntime rt;
  EventLog log(rt);
  ASSERT_TRUE(rt.add_processor<CountingTone>({}, "tone"));
  ASSERT_TRUE(rt.add_processor<ContinuityCheck>({}, "check"));
  ASSERT_TRUE(rt.connect("tone.audio", "check.audio", {.capacity = 64, .policy = LinkPolicy::kBlock}));
  ASSERT_TRUE(rt.start());
  ASSERT_TRUE(eventually([] { return received() >= 5; }));
  // Remove and add the source again: a new processor with a timeline of its own, from 0 (not a
  // live change of one processor, so nothing is re-based).
  ASSERT_TRUE(rt.remove_processor(ProcessorId("tone")));
  ASSERT_TRUE(rt.add_processor<CountingTone>({}, "tone"));
  ASSERT_TRUE(rt.connect("tone.audio", "check.audio", {.capacity = 64, .policy = LinkPolicy::kBlock}));
  // Its first blocks may go into the plug before the link is made: the checker sees a block
  // that does not follow on, whichever it is.
  ASSERT_TRUE(log.wait_for(EventKind::kWarning, "block at"));
  ASSERT_TRUE(rt.stop());
  int warnings = 0;
  for (const Event& e : log.events()) {
    if (e.kind != EventKind::kWarning) continue;
    ++warnings;
    EXPECT_EQ(e.processor, ProcessorId("check"));
    EXPECT_EQ(e.link, LinkId("tone.audio->check.audio"));
  }
  EXPECT_EQ(warnings, 1);
}

}  // namespace
}  // namespace streamlib
