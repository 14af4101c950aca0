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

# The main job on a default that needs no camera, screen or sound card: a test picture and a
# chord, encoded to H.264/AAC in an MP4 for five seconds with the live view (and shown in a window
# too when a screen exists); then the graph drawn as SVG with the run's live figures, and the file
# checked with ffprobe.
DEMO_GRAPH = $(if $(DISPLAY),examples/graphs/record_display.json,examples/graphs/record.json)
demo: deps
	cmake --preset release
	cmake --build build/release -j $(JOBS) --target streamlib_cli
	build/release/tools/streamlib/streamlib validate $(DEMO_GRAPH)
	build/release/tools/streamlib/streamlib run $(DEMO_GRAPH) --stats-json build/demo-stats.jsonl
	build/release/tools/streamlib/streamlib dot $(DEMO_GRAPH) --stats build/demo-stats.jsonl -o build/demo.dot
	dot -Tsvg build/demo.dot -o build/demo.svg
	@ffprobe -v error -show_entries stream=codec_name,width,height,nb_frames,sample_rate:format=duration \
	  -of compact=p=0 build/demo.mp4
	@echo "recorded: build/demo.mp4   graph: build/demo.svg   stats: build/demo-stats.jsonl"

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
