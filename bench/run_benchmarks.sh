#!/usr/bin/env bash
# Builds the `release` preset's benchmarks, runs each one (StreamLib beside its peer, in the
# same run), prints a summary table and writes build/bench/results.jsonl: one JSON object per
# comparison, one line each (see bench/summarize.py and docs/PERFORMANCE.md). Then runs
# bench/video_pipeline.sh: one video transcode in the `streamlib` CLI, ffmpeg and GStreamer
# (build/bench/video_pipeline/results.json).
#
#   bash bench/run_benchmarks.sh            # what `make bench` runs; about 10 minutes, plus
#                                           # scale_bench's 10,000-thread case (can be minutes)
#
# Every StreamLib case that runs a StreamRuntime runs once per executor (threads, then pool),
# beside the same peer; scale_bench (1k / 10k / 100k processors, both executors) runs last.
#
# Environment:
#   BENCH_PRESET       the CMake preset to build and run (default release; `ci` reuses a
#                      RelWithDebInfo tree already built, e.g. while a release build would
#                      compete with other work — say so beside its figures)
#   BENCH_BUILD_JOBS   parallel compile jobs (default: nproc)
#   BENCH_MAX_LOAD     wait before each benchmark until the 1-minute load average is below
#                      this (default 1.0): figures taken on a busy machine mean little
#   BENCH_QUIET_WAIT   give up waiting after this many seconds and measure anyway, saying so
#                      (default 180)
#   BENCH_FILTER       passed as --benchmark_filter to every program (default: all)
#   BENCH_SKIP_VIDEO   1: skip the video transcode and the live 1080p recording
#                      (VIDEO_BENCH_* / LIVE_BENCH_* are passed on to them)
#   AUDIO_CHAIN_BLOCKS, AUDIO_CHAIN_LIVE_SECONDS
#                      audio_chain_bench: blocks per fast run (default 100000) and the length of
#                      its real-time runs, one per executor (default 30 s each)
#   SCALE_BENCH_TIMEOUT_S
#                      scale_bench: how long a graph may take to get its first message through
#                      every chain (default 900)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
preset="${BENCH_PRESET:-release}"
build_dir="build/$preset"
out_dir="build/bench"
jobs="${BENCH_BUILD_JOBS:-$(nproc)}"
max_load="${BENCH_MAX_LOAD:-1.0}"
quiet_wait="${BENCH_QUIET_WAIT:-180}"
programs=(graph_bench link_throughput_bench hop_latency_bench delta_apply_bench branch_add_bench audio_chain_bench
  scale_bench)

mkdir -p "$out_dir"
cmake --preset "$preset" >"$out_dir/configure.log" 2>&1 || { cat "$out_dir/configure.log" >&2; exit 1; }
targets=(benchmarks)
if [[ "${BENCH_SKIP_VIDEO:-0}" != 1 ]]; then targets+=(streamlib_cli); fi
cmake --build "$build_dir" --target "${targets[@]}" -j "$jobs"
rm -f "$out_dir"/*.json "$out_dir/results.jsonl"

load1() { cut -d' ' -f1 /proc/loadavg; }
wait_for_quiet() {
  local waited=0
  while awk -v l="$(load1)" -v m="$max_load" 'BEGIN { exit !(l >= m) }'; do
    if (( waited >= quiet_wait )); then
      echo "run_benchmarks: load is still $(load1) after ${waited}s; measuring anyway" >&2
      return
    fi
    if (( waited == 0 )); then echo "run_benchmarks: load $(load1) >= $max_load, waiting for a quiet machine" >&2; fi
    sleep 5
    waited=$((waited + 5))
  done
}

declare -A loads
for program in "${programs[@]}"; do
  wait_for_quiet
  loads[$program]="$(load1)"
  echo "=== $program (1-min load ${loads[$program]}) ==="
  args=("--benchmark_out=$out_dir/$program.json" "--benchmark_out_format=json")
  if [[ -n "${BENCH_FILTER:-}" ]]; then args+=("--benchmark_filter=$BENCH_FILTER"); fi
  if [[ "$program" == scale_bench ]]; then
    # One process per case: a graph of 10,000 threads leaves the process (heap, the kernel's
    # futex hash) different for the cases after it, so each starts in a fresh process; their
    # JSON files are merged into scale_bench.json for summarize.py.
    mapfile -t cases < <("$build_dir/bench/$program" --benchmark_list_tests ${BENCH_FILTER:+"--benchmark_filter=$BENCH_FILTER"})
    for i in "${!cases[@]}"; do
      "$build_dir/bench/$program" "--benchmark_filter=^${cases[$i]}\$" "--benchmark_out=$out_dir/$program.case$i.json" \
        --benchmark_out_format=json || echo "run_benchmarks: $program ${cases[$i]} exited with $?" >&2
    done
    python3 - "$out_dir" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
merged = None
for path in sorted(glob.glob(os.path.join(out, "scale_bench.case*.json")), key=lambda p: int(p.rsplit("case", 1)[1][:-5])):
    with open(path) as f:
        data = json.load(f)
    if merged is None:
        merged = data
    else:
        merged["benchmarks"].extend(data.get("benchmarks", []))
    os.remove(path)
if merged is not None:
    with open(os.path.join(out, "scale_bench.json"), "w") as f:
        json.dump(merged, f, indent=1)
PY
    continue
  fi
  # A failing program is reported by summarize.py (its lines are missing); go on with the rest.
  "$build_dir/bench/$program" "${args[@]}" || echo "run_benchmarks: $program exited with $?" >&2
done

# What the figures were measured on, for the summary and docs/PERFORMANCE.md.
{
  printf '{"nproc": %s, ' "$(nproc)"
  printf '"cpu": "%s", ' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/"/\\"/g')"
  printf '"kernel": "%s", ' "$(uname -r)"
  printf '"preset": "%s", ' "$preset"
  printf '"load": {'
  sep=""
  for program in "${programs[@]}"; do
    printf '%s"%s": %s' "$sep" "$program" "${loads[$program]:-null}"
    sep=", "
  done
  printf '}}\n'
} >"$out_dir/machine.json"

echo
status=0
python3 bench/summarize.py "$out_dir" || status=$?

if [[ "${BENCH_SKIP_VIDEO:-0}" != 1 ]]; then
  echo
  wait_for_quiet
  echo "=== video_pipeline (1-min load $(load1)) ==="
  bash bench/video_pipeline.sh "$build_dir/tools/streamlib/streamlib" || status=$?
  echo
  wait_for_quiet
  echo "=== live_recording (1-min load $(load1)) ==="
  bash bench/live_recording.sh "$build_dir/tools/streamlib/streamlib" || status=$?
fi
exit "$status"
