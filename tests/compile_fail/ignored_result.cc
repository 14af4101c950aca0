// Compiled by ctest with -Werror=unused-result: dropping the Result of a fallible call must not
// compile (the typo below would otherwise go unnoticed at run time). With STREAMLIB_CHECKED the
// result is used and the file compiles.
#include <streamlib/streamlib.h>

int main() {
  streamlib::StreamRuntime rt;
#if defined(STREAMLIB_CHECKED)
  return rt.connect("src.out", "cuont.in") ? 0 : 1;
#else
  rt.connect("src.out", "cuont.in");
  return 0;
#endif
}
