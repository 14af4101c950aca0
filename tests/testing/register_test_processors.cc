// Registers the test processors with the global registry, so tests (each run in a process of
// its own by ctest) can name them in graph files and string-form calls.
#include "testing/test_processors.h"

namespace streamlib::testing {

STREAMLIB_REGISTER(TestSource);
STREAMLIB_REGISTER(TestSink);
STREAMLIB_REGISTER(TestRelay);
STREAMLIB_REGISTER(RebuiltSink);
STREAMLIB_REGISTER(TestMerge);
STREAMLIB_REGISTER(TestVideoSource);
STREAMLIB_REGISTER(TestVideoSink);
STREAMLIB_REGISTER(ManualSource);
STREAMLIB_REGISTER(StuckSink);
STREAMLIB_REGISTER(FailingSetup);
STREAMLIB_REGISTER(RealtimeSink);
STREAMLIB_REGISTER(ThrowingConfigSink);
STREAMLIB_REGISTER(ExplodingCtorSink);
STREAMLIB_REGISTER(SlowSetup);
STREAMLIB_REGISTER(PauseAwareSink);
STREAMLIB_REGISTER(ConfiguredPrioritySource);

}  // namespace streamlib::testing
