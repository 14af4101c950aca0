// Compiled three times by ctest. With STREAMLIB_VALID it must compile. With
// STREAMLIB_UNSUPPORTED_FIELD (a std::set field) and STREAMLIB_MISSING_CONFIG (a config struct
// without STREAMLIB_CONFIG) it must fail with exactly one error, StreamLib's one-sentence
// static_assert, instead of pages of template errors.
#include <streamlib/streamlib.h>

#include <set>

namespace {

#if defined(STREAMLIB_UNSUPPORTED_FIELD)
struct ToyConfig {
  int level = 1;
  std::set<int> channels;
};
STREAMLIB_CONFIG(ToyConfig, level, channels);
#elif defined(STREAMLIB_MISSING_CONFIG)
struct ToyConfig {
  int level = 1;
};
#else
struct ToyConfig {
  int level = 1;
  std::vector<int> channels;
};
STREAMLIB_CONFIG(ToyConfig, level, channels);
#endif

class Toy : public streamlib::Processor<ToyConfig> {
 public:
  STREAMLIB_PROCESSOR(Toy, "compile-failure test processor", streamlib::Reactive{});
  streamlib::LinkInput<streamlib::AudioFrame> in{this, "in"};
  streamlib::Result<void> process() override { return {}; }
};

}  // namespace

int main() {
  streamlib::StreamRuntime rt;
  auto toy = rt.add_processor<Toy>({}).value();
  return rt.update_processor_config(toy, {}) ? 0 : 1;
}
