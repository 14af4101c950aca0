// Counts heap allocations made by the calling thread while a ScopedAllocationCount is alive
// (operator new is replaced for the whole test binary in alloc_counter.cc).
#pragma once

#include <cstdint>

namespace streamlib::dsp::testing {

class ScopedAllocationCount {
 public:
  ScopedAllocationCount();
  ~ScopedAllocationCount();
  std::uint64_t count() const;
};

}  // namespace streamlib::dsp::testing
