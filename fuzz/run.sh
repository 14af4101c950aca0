#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`) and fuzzes graph files for a while.
#
#   fuzz/run.sh [SECONDS]        default 60; FUZZ_JOBS=N limits build parallelism
#
# Seeds a fresh temporary corpus with the example graphs (and the CLI's bad-input files), so a
# run starts from real graph files and leaves the source tree untouched. A crash, a sanitizer
# report or a broken property (see graph_json_fuzzer.cc) stops the run; the input is saved in
# build/fuzz/artifacts/ and the script exits nonzero. Reproduce with
#   build/fuzz/fuzz/graph_json_fuzzer build/fuzz/artifacts/crash-...
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
  echo "usage: fuzz/run.sh [SECONDS]   (a positive number of seconds, default 60)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake --preset fuzz
cmake --build build/fuzz --target graph_json_fuzzer -j "${FUZZ_JOBS:-$(nproc)}"

corpus="$(mktemp -d "${TMPDIR:-/tmp}/streamlib-fuzz-corpus.XXXXXX")"
trap 'rm -rf "$corpus"' EXIT
cp examples/graphs/*.json "$corpus"/
cp tests/cli/data/*.json "$corpus"/ 2>/dev/null || true
artifacts="$root/build/fuzz/artifacts"
mkdir -p "$artifacts"

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "fuzz: graph_json_fuzzer for ${seconds}s, seed corpus $(ls "$corpus" | wc -l) files"
if ! build/fuzz/fuzz/graph_json_fuzzer -max_total_time="$seconds" -timeout=10 -dict=fuzz/graph_json.dict \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus"; then
  echo "fuzz: graph_json_fuzzer found a failure; the input is in $artifacts/" >&2
  exit 1
fi
echo "fuzz: no failures in ${seconds}s"
