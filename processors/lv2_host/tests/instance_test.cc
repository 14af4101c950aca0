// One plugin instance: controls, blocks, features, against real plugins and the probe.
#include "lv2_host/instance.h"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace streamlib::lv2 {
namespace {

using ::streamlib::lv2::testing::kEgAmp;
using ::streamlib::lv2::testing::kProbe;
using ::streamlib::lv2::testing::kProbeFixed;
using ::streamlib::lv2::testing::load_probe_bundle;

// What eg-amp computes for a gain in dB, in double: the reference the float output must meet.
double db_to_gain(double db) { return std::pow(10.0, db / 20.0); }

// Within a few float epsilons, relative.
void expect_scaled(std::span<const float> out, const std::vector<float>& in, double gain, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double want = static_cast<double>(in[i]) * gain;
    ASSERT_NEAR(out[i], want, std::fabs(want) * 4 * FLT_EPSILON + 1e-30) << "sample " << i << " gain " << gain;
  }
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0.9f * std::sin(0.05f * static_cast<float>(i)) + 0.01f;
  return v;
}

std::unique_ptr<Instance> make_amp(std::uint32_t max_block = 256) {
  return Instance::create(kEgAmp, {.sample_rate = 48000, .max_block = max_block}).value();
}

TEST(Lv2Instance, EgAmpScalesTheLevelByExactlyItsGainInDecibels) {
  auto amp = make_amp();
  EXPECT_FLOAT_EQ(amp->set_control("gain", -6.0f).value(), -6.0f);
  amp->activate();
  const std::vector<float> in = ramp(256);
  std::copy(in.begin(), in.end(), amp->audio_input(0).begin());
  amp->run(256).value();
  EXPECT_NEAR(db_to_gain(-6.0), 0.501187, 1e-6);
  expect_scaled(amp->audio_output(0), in, db_to_gain(-6.0), 256);
  EXPECT_NEAR(amp->audio_output(0)[10] / in[10], 0.501187, 1e-6);
}

TEST(Lv2Instance, EgAmpGainChangedBetweenBlocksAppliesFromTheNextBlockOn) {
  auto amp = make_amp();
  amp->activate();
  const std::vector<float> in = ramp(256);
  std::copy(in.begin(), in.end(), amp->audio_input(0).begin());

  amp->run(256).value();  // default 0 dB
  expect_scaled(amp->audio_output(0), in, 1.0, 256);

  amp->set_control("gain", -6.0f).value();
  amp->run(128).value();
  expect_scaled(amp->audio_output(0), in, db_to_gain(-6.0), 128);

  amp->set_control("gain", 6.0f).value();
  amp->run(256).value();
  expect_scaled(amp->audio_output(0), in, db_to_gain(6.0), 256);

  amp->set_control("gain", -90.0f).value();  // eg-amp's floor: silence
  amp->run(64).value();
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(amp->audio_output(0)[i], 0.0f);
}

TEST(Lv2Instance, SetControlClampsToThePortRangeAndReturnsTheAppliedValue) {
  auto amp = make_amp();
  EXPECT_FLOAT_EQ(amp->control("gain").value(), 0.0f);  // the default
  EXPECT_FLOAT_EQ(amp->set_control("gain", 100.0f).value(), 24.0f);
  EXPECT_FLOAT_EQ(amp->control("gain").value(), 24.0f);
  EXPECT_FLOAT_EQ(amp->set_control("gain", -1000.0f).value(), -90.0f);
  EXPECT_FLOAT_EQ(amp->control("gain").value(), -90.0f);
}

TEST(Lv2Instance, SetControlOnAnUnknownSymbolNamesTheControlsThereAre) {
  auto amp = make_amp();
  const Result<float> r = amp->set_control("volume", 1.0f);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("'volume'"), std::string::npos);
  EXPECT_NE(r.error().message().find("gain"), std::string::npos) << r.error().message();
  EXPECT_FALSE(amp->control_output("gain").has_value());  // an input, not an output
}

TEST(Lv2Instance, SetControlRefusesAValueThatIsNotANumber) {
  auto amp = make_amp();
  EXPECT_FALSE(amp->set_control("gain", std::nanf("")).has_value());
  EXPECT_FALSE(amp->set_control("gain", INFINITY).has_value());
  EXPECT_FLOAT_EQ(amp->control("gain").value(), 0.0f);
}

TEST(Lv2Instance, RunNeedsActivateAndABlockNoLongerThanTheMaximum) {
  auto amp = make_amp(128);
  const Result<void> early = amp->run(64);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code(), ErrorCode::kFailedPrecondition);
  amp->activate();
  EXPECT_TRUE(amp->active());
  const Result<void> long_block = amp->run(129);
  ASSERT_FALSE(long_block.has_value());
  EXPECT_EQ(long_block.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(amp->run(128).has_value());
  EXPECT_TRUE(amp->run(0).has_value());
  amp->deactivate();
  EXPECT_FALSE(amp->run(64).has_value());
  amp->activate();  // again, after deactivate
  EXPECT_TRUE(amp->run(64).has_value());
}

TEST(Lv2Instance, RefusesAZeroBlockLengthOrSampleRate) {
  EXPECT_FALSE(Instance::create(kEgAmp, {.sample_rate = 48000, .max_block = 0}).has_value());
  EXPECT_FALSE(Instance::create(kEgAmp, {.sample_rate = 0, .max_block = 64}).has_value());
}

TEST(Lv2Instance, ControlsSetFromAnotherThreadLandBetweenRunsNeverInsideOne) {
  auto amp = make_amp(64);
  amp->activate();
  std::fill(amp->audio_input(0).begin(), amp->audio_input(0).end(), 1.0f);
  const std::vector<float> gains_db = {-6.0f, 0.0f, 6.0f, -20.0f};
  std::atomic<bool> stop{false};
  std::atomic<int> sets{0};
  std::thread setter([&] {
    std::size_t i = 0;
    while (!stop.load()) {
      amp->set_control("gain", gains_db[i++ % gains_db.size()]).value();
      sets.fetch_add(1);
    }
  });
  while (sets.load() == 0) std::this_thread::yield();
  std::set<float> levels_seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int block = 0;
       block < 20000 || (levels_seen.size() < gains_db.size() && std::chrono::steady_clock::now() < deadline);
       ++block) {
    amp->run(64).value();
    const std::span<const float> out = amp->audio_output(0);
    for (std::size_t i = 1; i < 64; ++i) ASSERT_EQ(out[i], out[0]) << "gain changed inside block " << block;
    const bool known = std::any_of(gains_db.begin(), gains_db.end(), [&](float db) {
      return std::fabs(out[0] - db_to_gain(db)) < 1e-5 * db_to_gain(db);
    });
    ASSERT_TRUE(known) << out[0];
    levels_seen.insert(out[0]);
  }
  stop.store(true);
  setter.join();
  EXPECT_GT(levels_seen.size(), 1U);
}

TEST(Lv2Instance, ConnectsTheCallersAudioBuffers) {
  auto amp = make_amp(128);
  std::vector<float> in = ramp(128);
  std::vector<float> out(128, 0.0f);
  amp->connect_audio_input(0, in.data()).value();
  amp->connect_audio_output(0, out.data()).value();
  EXPECT_EQ(amp->audio_input(0).data(), in.data());
  amp->set_control("gain", 6.0f).value();
  amp->activate();
  amp->run(128).value();
  expect_scaled(out, in, db_to_gain(6.0), 128);
  // In place works for eg-amp (not inPlaceBroken).
  amp->connect_audio_output(0, in.data()).value();
  const std::vector<float> before = in;
  amp->run(128).value();
  expect_scaled(in, before, db_to_gain(6.0), 128);
  // Back to the instance's own buffers.
  amp->connect_audio_input(0, nullptr).value();
  amp->connect_audio_output(0, nullptr).value();
  EXPECT_NE(amp->audio_input(0).data(), in.data());
  EXPECT_FALSE(amp->connect_audio_input(1, in.data()).has_value());
}

TEST(Lv2Instance, GivesThePluginBlockLengthAndSampleRateOptions) {
  load_probe_bundle();
  auto probe = Instance::create(kProbe, {.sample_rate = 44100, .max_block = 300}).value();
  EXPECT_FALSE(probe->fixed_block().has_value());
  probe->activate();
  probe->run(17).value();
  EXPECT_FLOAT_EQ(probe->control_output("max_block").value(), 300.0f);
  EXPECT_FLOAT_EQ(probe->control_output("min_block").value(), 1.0f);
  EXPECT_FLOAT_EQ(probe->control_output("sample_rate").value(), 44100.0f);
  EXPECT_FLOAT_EQ(probe->control_output("last_block").value(), 17.0f);
}

TEST(Lv2Instance, RoutesThePluginsLogMessagesToTheLogSink) {
  load_probe_bundle();
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> messages;
  auto probe = Instance::create(kProbe, {.sample_rate = 48000,
                                         .max_block = 256,
                                         .log =
                                             [&](LogLevel level, std::string_view text) {
                                               std::lock_guard lock(mu);
                                               messages.emplace_back(level, std::string(text));
                                             }})
                   .value();
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_EQ(messages[0].first, LogLevel::kNote);
  EXPECT_EQ(messages[0].second, "probe ready, max block 256");
}

TEST(Lv2Instance, FeedsAtomInputsAnEmptySequenceAndCvInputsSilence) {
  load_probe_bundle();
  auto probe = Instance::create(kProbe, {.sample_rate = 48000, .max_block = 64}).value();
  probe->activate();
  for (int i = 0; i < 3; ++i) {
    probe->run(64).value();
    EXPECT_FLOAT_EQ(probe->control_output("atom_ok").value(), 1.0f);
    EXPECT_FLOAT_EQ(probe->control_output("cv_in_sum").value(), 0.0f);
  }
}

TEST(Lv2Instance, ScalesSampleRateRelativeRangesToItsRate) {
  load_probe_bundle();
  auto probe = Instance::create(kProbe, {.sample_rate = 48000, .max_block = 64}).value();
  const PortInfo* cutoff = probe->info().port("cutoff");
  EXPECT_FLOAT_EQ(cutoff->maximum, 24000.0f);
  EXPECT_FLOAT_EQ(cutoff->default_value, 12000.0f);
  EXPECT_FLOAT_EQ(probe->control("cutoff").value(), 12000.0f);
  EXPECT_FLOAT_EQ(probe->set_control("cutoff", 30000.0f).value(), 24000.0f);
}

TEST(Lv2Instance, SnapsEnumerationsToScalePointsRoundsIntegersAndMakesTogglesZeroOrOne) {
  load_probe_bundle();
  auto probe = Instance::create(kProbe, {.sample_rate = 48000, .max_block = 64}).value();
  EXPECT_FLOAT_EQ(probe->set_control("mode", 6.0f).value(), 4.0f);
  EXPECT_FLOAT_EQ(probe->set_control("mode", 8.0f).value(), 10.0f);
  EXPECT_FLOAT_EQ(probe->set_control("mode", -5.0f).value(), 0.0f);
  EXPECT_FLOAT_EQ(probe->set_control("bypass", 0.7f).value(), 1.0f);
  EXPECT_FLOAT_EQ(probe->set_control("bypass", 0.0f).value(), 0.0f);
  EXPECT_FLOAT_EQ(probe->set_control("bypass", -3.0f).value(), 0.0f);
}

TEST(Lv2Instance, AFixedBlockPluginIsRunOnlyInItsPowerOfTwoBlock) {
  load_probe_bundle();
  auto probe = Instance::create(kProbeFixed, {.sample_rate = 48000, .max_block = 300}).value();
  ASSERT_TRUE(probe->fixed_block().has_value());
  EXPECT_EQ(*probe->fixed_block(), 512U);
  EXPECT_EQ(probe->max_block(), 512U);
  probe->activate();
  const Result<void> short_run = probe->run(100);
  ASSERT_FALSE(short_run.has_value());
  EXPECT_NE(short_run.error().message().find("exactly 512"), std::string::npos);
  probe->run(512).value();
  EXPECT_FLOAT_EQ(probe->control_output("max_block").value(), 512.0f);
  EXPECT_FLOAT_EQ(probe->control_output("min_block").value(), 512.0f);
  EXPECT_FLOAT_EQ(probe->control_output("bad_runs").value(), 0.0f);
}

TEST(Lv2Instance, RunsAPluginWithAnAtomInputGivingItNoEvents) {
  // eg-midigate passes audio only while a MIDI note is held: with no events it stays shut.
  auto gate =
      Instance::create("http://lv2plug.in/plugins/eg-midigate", {.sample_rate = 48000, .max_block = 64}).value();
  EXPECT_EQ(gate->info().port("control")->type, PortType::kAtom);
  gate->activate();
  std::fill(gate->audio_input(0).begin(), gate->audio_input(0).end(), 1.0f);
  for (int i = 0; i < 4; ++i) {
    gate->run(64).value();
    for (float v : gate->audio_output(0)) ASSERT_EQ(v, 0.0f);
  }
}

TEST(Lv2Instance, ReportsTheLatencyThePluginDeclares) {
  auto fx =
      Instance::create("http://plugin.org.uk/swh-plugins/artificialLatency", {.sample_rate = 48000, .max_block = 64})
          .value();
  fx->set_control("delay", 10.0f).value();  // milliseconds
  fx->activate();
  fx->run(64).value();
  EXPECT_EQ(fx->latency(), 480U);
  EXPECT_EQ(make_amp()->latency(), 0U);
}

TEST(Lv2Instance, InstancesCanBeMadeAndFreedFromManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto amp = Instance::create(kEgAmp, {.sample_rate = 48000, .max_block = 32});
        if (!amp) continue;
        (*amp)->activate();
        if ((*amp)->run(32).has_value()) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace streamlib::lv2
