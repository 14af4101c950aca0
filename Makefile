# Thin wrapper around CMake presets. The README's two commands are `make demo` and `make test`;
# the others are what CI and the benchmarks use.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
CTEST := ctest --output-on-failure --timeout 900 -j $(JOBS)
SOURCES = $(shell git ls-files '*.h' '*.cc' 2>/dev/null)

.PHONY: demo test bench sanitize asan tsan fuzz format format-check deps clean

deps:
	@bash scripts/install-deps.sh

# Builds the CLI and the examples, validates and draws the default graph, then runs the main
# job: the default graph live, changed while it runs.
demo: deps
	cmake --preset release
	cmake --build build/release -j $(JOBS) --target streamlib_cli live_changes
	build/release/tools/streamlib/streamlib validate examples/graphs/demo.json
	build/release/tools/streamlib/streamlib dot examples/graphs/demo.json -o build/demo.dot
	dot -Tsvg build/demo.dot -o build/demo.svg && echo "drawn: build/demo.svg"
	build/release/examples/live_changes examples/graphs/demo.json

# Every test: unit, runtime (integration + stress), CLI, build checks (headers alone, the
# compile-failure check, the find_package consumer), optimized with NDEBUG.
test: deps
	cmake --preset ci -DSTREAMLIB_WERROR=$(WERROR)
	cmake --build build/ci -j $(JOBS)
	$(CTEST) --test-dir build/ci

bench: deps
	bash bench/run_benchmarks.sh

# The library's tests under AddressSanitizer+UBSan and under ThreadSanitizer.
sanitize: asan tsan

asan: deps
	cmake --preset asan -DSTREAMLIB_WERROR=$(WERROR)
	cmake --build build/asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 STREAMLIB_STRESS_MUTATIONS=3000 STREAMLIB_BIG_GRAPH_CHAINS=200 \
	  $(CTEST) --test-dir build/asan

tsan: deps
	cmake --preset tsan -DSTREAMLIB_WERROR=$(WERROR)
	cmake --build build/tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 STREAMLIB_STRESS_MUTATIONS=3000 STREAMLIB_BIG_GRAPH_CHAINS=200 \
	  $(CTEST) --test-dir build/tsan

# libFuzzer over graph JSON loading, seeded from examples/graphs.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf build
