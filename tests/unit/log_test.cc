// streamlib::log: levels, the sink, and which processor a line is from.
#include "streamlib/log.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>
#include <vector>

#include "streamlib/link/link_channel.h"

namespace streamlib {
namespace {

struct Line {
  log::Level level;
  std::string source;
  std::string origin;
  std::string message;
};

// Captures what reaches the sink; puts the default sink and level back afterwards.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_sink([this](const log::Record& r) {
      lines_.push_back({r.level, std::string(r.source), std::string(r.origin), std::string(r.message)});
    });
  }
  void TearDown() override {
    log::set_sink(nullptr);
    log::set_level(log::Level::kWarning);
  }
  std::vector<Line> lines_;
};

// A processor thread's context, as the runtime's ProcessorCore is one.
class NamedContext final : public internal::ThreadContext {
 public:
  explicit NamedContext(std::string id) : id_(std::move(id)) {}
  bool stopping() const noexcept override { return false; }
  bool change_waiting() const noexcept override { return false; }
  void run_port_commands() override {}
  const ProcessorId& processor_id() const override { return id_; }

 private:
  ProcessorId id_;
};

TEST_F(LogTest, KeepsLinesAtOrAboveTheLevelAndNoneWhenQuiet) {
  log::set_level(log::Level::kWarning);
  log::write(log::Level::kError, "t", "e");
  log::write(log::Level::kWarning, "t", "w");
  log::write(log::Level::kInfo, "t", "i");
  log::write(log::Level::kDebug, "t", "d");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].message, "e");
  EXPECT_EQ(lines_[1].message, "w");

  log::set_level(log::Level::kOff);
  log::write(log::Level::kError, "t", "gone");
  EXPECT_EQ(lines_.size(), 2u);
  EXPECT_FALSE(log::enabled(log::Level::kError));

  log::set_level(log::Level::kDebug);
  EXPECT_TRUE(log::enabled(log::Level::kDebug));
}

TEST_F(LogTest, SplitsTextIntoLinesAndDropsBlankOnes) {
  log::write(log::Level::kError, "ffmpeg h264", "first\n\nsecond  \r\n");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].message, "first");
  EXPECT_EQ(lines_[1].message, "second");
  EXPECT_EQ(lines_[1].origin, "ffmpeg h264");
}

TEST_F(LogTest, NamesTheProcessorWhoseThreadWroteTheLine) {
  std::thread([] {
    NamedContext context("video_input_with_a_long_name");
    internal::t_thread_context = &context;
    log::write(log::Level::kError, "ffmpeg h264", "from a processor thread");
    internal::t_thread_context = nullptr;
  }).join();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].source, "video_input_with_a_long_name");  // the whole id, not the thread's 15 characters
}

TEST_F(LogTest, NamesTheThreadOutsideAProcessor) {
  std::thread([] {
    pthread_setname_np(pthread_self(), "SDLAudioP2");
    log::write(log::Level::kError, "alsa", "underrun occurred");
  }).join();
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].source, "SDLAudioP2");
}

TEST(LogFormat, ReadsSourceOriginAndMessage) {
  EXPECT_EQ(log::format({log::Level::kWarning, "input", "ffmpeg h264", "co located POCs unavailable"}),
            "[input] ffmpeg h264: co located POCs unavailable");
  EXPECT_EQ(log::format({log::Level::kError, "input", "ffmpeg aac", "Number of bands (65) exceeds limit (42)."}),
            "[input] ffmpeg aac: error: Number of bands (65) exceeds limit (42).");
}

TEST(LogLevels, ParseTheirNames) {
  for (log::Level l :
       {log::Level::kOff, log::Level::kError, log::Level::kWarning, log::Level::kInfo, log::Level::kDebug}) {
    EXPECT_EQ(log::parse_level(log::level_name(l)), l);
  }
  EXPECT_EQ(log::parse_level("loud"), std::nullopt);
}

}  // namespace
}  // namespace streamlib
