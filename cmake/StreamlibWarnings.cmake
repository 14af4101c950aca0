# Warning flags applied to every target StreamLib builds (not to consumers).
add_library(streamlib_warnings INTERFACE)
target_compile_options(streamlib_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2
  # g++ 12 flags every designated initializer that leaves a field out ({.capacity = 8}), the
  # idiom the API is built around; clang and newer g++ do not.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-interference-size -Wno-missing-field-initializers>
  $<$<BOOL:${STREAMLIB_WERROR}>:-Werror>)
