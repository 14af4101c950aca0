#include "alloc_counter.h"

#include <cstdlib>
#include <new>

namespace {
thread_local bool counting = false;
thread_local std::uint64_t allocations = 0;

void* allocate(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace streamlib::dsp::testing {
ScopedAllocationCount::ScopedAllocationCount() {
  allocations = 0;
  counting = true;
}
ScopedAllocationCount::~ScopedAllocationCount() { counting = false; }
std::uint64_t ScopedAllocationCount::count() const { return allocations; }
}  // namespace streamlib::dsp::testing
