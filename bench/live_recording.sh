#!/usr/bin/env bash
# A live recording's CPU share in StreamLib, ffmpeg and GStreamer, measured in the same run: a
# test source paced in real time (SMPTE bars, 30 fps, I420) to H.264 (libx264, preset
# ultrafast, CRF 23) in an MP4, for LIVE_BENCH_SECONDS seconds, at each of LIVE_BENCH_SIZES
# (default 1920x1080 and 640x360).
#
#   bash bench/live_recording.sh [STREAMLIB_BINARY]     # default build/release/tools/streamlib/streamlib
#
# Pipelines (at each size; named e.g. streamlib_640x360):
#   streamlib   streamlib run: VideoTestSource (live, bars) -> VideoEncoder -> FileWriter.video_packets
#   ffmpeg      ffmpeg -re -f lavfi -i smptebars ... -c:v libx264 -preset ultrafast out.mp4
#   gstreamer   gst-launch-1.0 videotestsrc is-live=true pattern=smpte ! x264enc speed-preset=ultrafast
#               pass=qual quantizer=23 ! mp4mux ! filesink
# Each source is paced on the clock, so wall time is the recording's length and what differs is
# the CPU it takes: CPU share = (user + sys) / wall, in percent of one core. Each tool records
# its own still bars (StreamLib's with its frame counter off, so all three pictures are still)
# rather than a file: reading a 1080p file would measure the decoder. Every run is timed with /usr/bin/time; runs are interleaved (A B C A B C ...);
# ffprobe must count the expected frames in each output, or the benchmark fails (exit 1).
# Prints a markdown table of medians (min-max) and, per size, StreamLib's CPU against ffmpeg's as
# the median of the per-round ratios (a round runs the tools back to back); writes results.json
# in the work dir and appends the comparisons (bench live_recording, metric cpu_share_pct, peers
# ffmpeg and gstreamer, with the size) to build/bench/results.jsonl.
#
# Environment:
#   LIVE_BENCH_SECONDS   length of each recording (default 10)
#   LIVE_BENCH_RUNS      timed runs of each pipeline (default 3)
#   LIVE_BENCH_SIZES     picture sizes, each WIDTHxHEIGHT (default "1920x1080 640x360")
#   LIVE_BENCH_DIR       work dir (default build/bench/live_recording)
#   LIVE_BENCH_RESULTS_JSONL  where the comparison lines go (default build/bench/results.jsonl;
#                        empty: nowhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
streamlib="${1:-$root/build/release/tools/streamlib/streamlib}"
seconds="${LIVE_BENCH_SECONDS:-10}"
runs="${LIVE_BENCH_RUNS:-3}"
sizes="${LIVE_BENCH_SIZES:-1920x1080 640x360}"
work="${LIVE_BENCH_DIR:-$root/build/bench/live_recording}"
frames=$((seconds * 30))

for tool in ffmpeg ffprobe gst-launch-1.0 /usr/bin/time timeout python3; do
  command -v "$tool" >/dev/null || { echo "live_recording: $tool not found (bash scripts/install-deps.sh)" >&2; exit 1; }
done
[[ -x "$streamlib" ]] || { echo "live_recording: no streamlib binary at $streamlib" >&2; exit 1; }
streamlib="$(cd "$(dirname "$streamlib")" && pwd)/$(basename "$streamlib")"

mkdir -p "$work"
work="$(cd "$work" && pwd)"
cd "$work"
rm -f runs.csv results.json out_*.mp4 run_*.log time_*.txt

declare -A commands
names=()
for size in $sizes; do
  [[ $size =~ ^([0-9]+)x([0-9]+)$ ]] || { echo "live_recording: LIVE_BENCH_SIZES: '$size' is not WIDTHxHEIGHT" >&2; exit 1; }
  width=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]}
  cat >"graph_$size.json" <<EOF
{
  "processors": [
    {"id": "camera", "type": "VideoTestSource",
     "config": {"width": $width, "height": $height, "fps": 30, "pattern": "bars", "format": "i420",
                "live": true, "counter": false, "frames": $frames}},
    {"id": "encoder", "type": "VideoEncoder",
     "config": {"codec": "h264", "preset": "ultrafast", "crf": 23}},
    {"id": "recorder", "type": "FileWriter", "config": {"path": "$work/out_streamlib_$size.mp4"}}
  ],
  "links": [
    {"from": "camera.video", "to": "encoder.in"},
    {"from": "encoder.out", "to": "recorder.video_packets"}
  ]
}
EOF
  "$streamlib" validate "graph_$size.json" >/dev/null
  commands[streamlib_$size]="$(printf '%q' "$streamlib") run graph_$size.json --quiet"
  commands[ffmpeg_$size]="ffmpeg -y -v error -re -f lavfi -i smptebars=size=$size:rate=30 -frames:v $frames \
-pix_fmt yuv420p -c:v libx264 -preset ultrafast -crf 23 out_ffmpeg_$size.mp4"
  commands[gstreamer_$size]="gst-launch-1.0 -q -e videotestsrc is-live=true pattern=smpte num-buffers=$frames ! \
video/x-raw,width=$width,height=$height,framerate=30/1,format=I420 ! x264enc speed-preset=ultrafast pass=qual \
quantizer=23 ! mp4mux ! filesink location=out_gstreamer_$size.mp4"
  names+=("streamlib_$size" "ffmpeg_$size" "gstreamer_$size")
done

echo "pipeline,run,wall_s,user_s,sys_s,max_rss_kb,frames" >runs.csv
failed=0
run_one() {  # name run
  local name="$1" run="$2" timing="time_$1_$2.txt" out="out_$1.mp4"
  rm -f "$out"
  if ! eval "timeout $((seconds * 3 + 30)) /usr/bin/time -f '%e %U %S %M' -o $(printf '%q' "$timing") \
      ${commands[$name]}" >"run_${name}_${run}.log" 2>&1; then
    echo "live_recording: $name run $run failed (see $work/run_${name}_${run}.log)" >&2
    failed=1
    return
  fi
  local counted
  counted="$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
    -of csv=p=0 "$out" 2>/dev/null || echo 0)"
  if [[ "$counted" != "$frames" ]]; then
    echo "live_recording: $name run $run wrote $counted frames, expected $frames" >&2
    failed=1
  fi
  if [[ "$run" != warmup ]]; then
    read -r wall user sys rss <"$timing"
    echo "$name,$run,$wall,$user,$sys,$rss,$counted" >>runs.csv
  fi
}

load_start="$(cut -d' ' -f1 /proc/loadavg)"
for name in "${names[@]}"; do run_one "$name" warmup; done
for ((r = 1; r <= runs; r++)); do
  for name in "${names[@]}"; do
    echo "live_recording: run $r/$runs: $name (${seconds} s)"
    run_one "$name" "$r"
  done
done
load_end="$(cut -d' ' -f1 /proc/loadavg)"

NAMES="${names[*]}" SIZES="$sizes" NPROC="$(nproc)" CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
  SECONDS_LEN="$seconds" RUNS="$runs" LOAD_START="$load_start" LOAD_END="$load_end" \
  RESULTS_JSONL="${LIVE_BENCH_RESULTS_JSONL-$root/build/bench/results.jsonl}" \
  COMMANDS="$(for n in "${names[@]}"; do printf '%s\t%s\n' "$n" "${commands[$n]}"; done)" python3 - <<'PY'
import csv, json, os, statistics

rows = list(csv.DictReader(open("runs.csv")))
commands = dict(line.split("\t", 1) for line in os.environ["COMMANDS"].splitlines() if line)
names = os.environ["NAMES"].split()
sizes = os.environ["SIZES"].split()

def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None

results = {}
for name in names:
    mine = [r for r in rows if r["pipeline"] == name]
    share = [100 * (float(r["user_s"]) + float(r["sys_s"])) / float(r["wall_s"]) for r in mine]
    results[name] = {
        "runs": len(mine),
        "wall_s": summary([float(r["wall_s"]) for r in mine]),
        "cpu_s": summary([float(r["user_s"]) + float(r["sys_s"]) for r in mine]),
        "cpu_share_pct": summary(share),
        "max_rss_mb": summary([int(r["max_rss_kb"]) / 1024 for r in mine]),
        "command": commands.get(name, ""),
    }
machine = {"nproc": int(os.environ["NPROC"]), "cpu": os.environ["CPU"],
           "load1_start": float(os.environ["LOAD_START"]), "load1_end": float(os.environ["LOAD_END"])}
# StreamLib's CPU against ffmpeg's, round by round (the two ran back to back), per size.
paired = {}
for size in sizes:
    a, b = f"streamlib_{size}", f"ffmpeg_{size}"
    cpu = {(r["pipeline"], r["run"]): float(r["user_s"]) + float(r["sys_s"]) for r in rows}
    ratios = [cpu[(a, run)] / cpu[(b, run)] for (p, run) in cpu if p == a and (b, run) in cpu]
    if ratios:
        paired[size] = {"rounds": len(ratios), "cpu_ratio": statistics.median(ratios)}
json.dump({"seconds": int(os.environ["SECONDS_LEN"]), "sizes": sizes, "fps": 30, "machine": machine,
           "results": results, "paired_cpu_vs_ffmpeg": paired}, open("results.json", "w"), indent=2)

jsonl = os.environ.get("RESULTS_JSONL")
if jsonl:
    with open(jsonl, "a") as f:
        for size in sizes:
            mine = results[f"streamlib_{size}"]
            if not mine["cpu_share_pct"]:
                continue
            for peer in ("ffmpeg", "gstreamer"):
                theirs = results[f"{peer}_{size}"]
                if not theirs["cpu_share_pct"]:
                    continue
                for metric in ("cpu_share_pct", "max_rss_mb"):
                    f.write(json.dumps({"bench": "live_recording", "size": size, "metric": metric,
                                        "streamlib": mine[metric]["median"], "peer": peer,
                                        "peer_value": theirs[metric]["median"], "higher_is_better": False}) + "\n")

def cell(s, fmt):
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})" if s else "—"

print()
print(f"Live 30 fps recording, {os.environ['SECONDS_LEN']} s, H.264 ultrafast CRF 23; median (min–max) of "
      f"{os.environ['RUNS']} runs; {machine['nproc']} CPUs, 1-min load {machine['load1_start']} → {machine['load1_end']}")
print()
print("| pipeline | wall s | CPU s (user+sys) | CPU share % of one core | peak RSS MB |")
print("|---|---|---|---|---|")
for name in names:
    r = results[name]
    print(f"| {name} | {cell(r['wall_s'], '{:.2f}')} | {cell(r['cpu_s'], '{:.2f}')} | "
          f"{cell(r['cpu_share_pct'], '{:.1f}')} | {cell(r['max_rss_mb'], '{:.0f}')} |")
print()
for size in sizes:
    mine, theirs = results[f"streamlib_{size}"], results[f"ffmpeg_{size}"]
    if mine["cpu_share_pct"] and theirs["cpu_share_pct"]:
        a, b = mine["cpu_share_pct"]["median"], theirs["cpu_share_pct"]["median"]
        p = paired.get(size)
        per_round = f", median of {p['rounds']} paired rounds {p['cpu_ratio']:.2f}x" if p else ""
        print(f"{size}: StreamLib / ffmpeg CPU share: {a / b:.2f}x (medians){per_round}")
PY

if ((failed)); then
  echo "live_recording: FAILED: a run exited with an error or wrote a wrong file (see above)" >&2
  exit 1
fi
