# STREAMLIB_SANITIZE=address -> ASan + UBSan, no recovery (a report fails the test).
# STREAMLIB_SANITIZE=thread  -> TSan.
# g++ 12 reports -Wmaybe-uninitialized false positives inside std::variant's destructor once
# sanitizer instrumentation changes its flow analysis (an empty AnyFrame); the warning stays on
# in every other build, and these builds exist to catch real bad reads at run time.
set(streamlib_sanitizer_warning_fixes $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
if(STREAMLIB_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
                      ${streamlib_sanitizer_warning_fixes})
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
elseif(STREAMLIB_SANITIZE STREQUAL "thread")
  # TSan ignores atomic_thread_fence (g++ warns, -Wtsan). StreamLib's fences only order the
  # wake-up handshake (Notifier, block-policy waits); every message is published by
  # release/acquire on the ring indices, which TSan does model, so ignoring the fences neither
  # hides a race nor invents one.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>
                      ${streamlib_sanitizer_warning_fixes})
  add_link_options(-fsanitize=thread)
elseif(NOT STREAMLIB_SANITIZE STREQUAL "")
  message(FATAL_ERROR "STREAMLIB_SANITIZE must be '', 'address' or 'thread', not '${STREAMLIB_SANITIZE}'")
endif()
