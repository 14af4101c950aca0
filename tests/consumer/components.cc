// A program that links the media components of an installed StreamLib: each component's
// processors must be in the global factory without any call naming them.
#include <streamlib/streamlib.h>

#include <algorithm>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  auto loaded = streamlib::loaded_modules();
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::find(loaded.begin(), loaded.end(), std::string(argv[i])) == loaded.end()) {
      std::fprintf(stderr, "component '%s' linked but its module did not register\n", argv[i]);
      ++failures;
    }
  }
  auto types = streamlib::ProcessorFactory::global().list();
  std::printf("%zu modules, %zu processor types\n", loaded.size(), types.size());
  return failures == 0 ? 0 : 1;
}
