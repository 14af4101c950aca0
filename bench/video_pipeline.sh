#!/usr/bin/env bash
# The same video transcode in StreamLib, ffmpeg and GStreamer, measured in the same run:
# a 1280x720 Y4M file (testsrc2, 30 fps) to H.264 (libx264, preset ultrafast) in an MP4; a
# 1920x1080 H.264 file transcoded at x264's default preset; and a stream copy.
#
#   bash bench/video_pipeline.sh [STREAMLIB_BINARY]     # default build/release/tools/streamlib/streamlib
#
# Pipelines (each at the encoder's default thread count and with one encoder thread):
#   streamlib_encoder   streamlib run: FileSource -> VideoEncoder -> FileWriter.video_packets
#   streamlib_writer    streamlib run: FileSource -> FileWriter.video (the writer encodes)
#   ffmpeg              ffmpeg -i in.y4m -c:v libx264 -preset ultrafast out.mp4
#   gstreamer           gst-launch-1.0 filesrc ! y4mdec ! x264enc speed-preset=ultrafast ! mp4mux ! filesink
#   gstreamer_crf23     the same with x264enc pass=qual quantizer=23 bitrate=100000: CRF 23 like the
#                       others (x264enc's own default is CBR at 2048 kbit/s)
# 1080p H.264 transcode (decode + encode, x264's default preset "medium", every tool at its
# default threads), on an H.264 MP4 of VIDEO_BENCH_1080P_FRAMES frames:
#   streamlib_1080p     streamlib run: FileSource -> VideoEncoder (h264, no preset) -> FileWriter
#   ffmpeg_1080p        ffmpeg -i in_1080p.mp4 -c:v libx264 out.mp4
# Stream copy (no decoding, no encoding), on an H.264 + AAC MP4 of VIDEO_BENCH_COPY_SECONDS:
#   streamlib_copy      streamlib run: FileSource.video_packets/audio_packets -> FileWriter's
#   ffmpeg_copy         ffmpeg -i in.mp4 -map 0 -c copy out.mp4
# Every run is timed with /usr/bin/time (wall s, user + sys CPU s, peak RSS, minor page faults);
# the pipelines run interleaved (A B C ... A B C ...), after one untimed warm-up round. After each
# run ffprobe must count the input's frames (H.264) in the output, or the benchmark fails (exit 1).
# Prints a markdown table of medians (min-max), then each StreamLib row against its ffmpeg row:
# the median of the per-round ratios (wall, CPU; a round runs the two back to back) and both
# rows' median page faults. Writes, into the work dir, runs.csv (every run) and results.json
# (the summary, the commands and the machine); appends the comparisons (bench video_pipeline,
# metrics wall_s, cpu_s, peak_rss_mb, minor_faults, peers ffmpeg and gstreamer) to
# build/bench/results.jsonl beside the other benchmarks' lines, and prints whether the aim
# (wall time within 5% of ffmpeg, ahead of GStreamer) is met.
#
# Environment:
#   VIDEO_BENCH_FRAMES   frames in the 720p input (default 240; use e.g. 30 to try the script)
#   VIDEO_BENCH_1080P_FRAMES  frames in the 1080p input (default 120)
#   VIDEO_BENCH_RUNS     timed runs of each pipeline (default 7)
#   VIDEO_BENCH_DIR      work dir for the input, outputs and results (default build/bench/video_pipeline)
#   VIDEO_BENCH_TIMEOUT  seconds one run may take before it counts as failed (default 300)
#   VIDEO_BENCH_RESULTS_JSONL  where the comparison lines go (default build/bench/results.jsonl;
#                        empty: nowhere)
#   VIDEO_BENCH_COPY_SECONDS  length of the stream-copy input (default 120 s of 1280x720 30 fps)
#   VIDEO_BENCH_PIPELINES  run only these pipelines (space-separated names; default all), e.g.
#                        "streamlib_copy ffmpeg_copy" for the stream-copy case alone (a few seconds),
#                        "streamlib_1080p ffmpeg_1080p" for the 1080p transcode alone
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
streamlib="${1:-$root/build/release/tools/streamlib/streamlib}"
frames="${VIDEO_BENCH_FRAMES:-240}"
frames_1080p="${VIDEO_BENCH_1080P_FRAMES:-120}"
runs="${VIDEO_BENCH_RUNS:-7}"
work="${VIDEO_BENCH_DIR:-$root/build/bench/video_pipeline}"
run_timeout="${VIDEO_BENCH_TIMEOUT:-300}"
copy_seconds="${VIDEO_BENCH_COPY_SECONDS:-120}"
copy_frames=$((copy_seconds * 30))
only="${VIDEO_BENCH_PIPELINES:-}"

for tool in ffmpeg ffprobe gst-launch-1.0 gst-inspect-1.0 /usr/bin/time timeout python3; do
  command -v "$tool" >/dev/null || { echo "video_pipeline: $tool not found (bash scripts/install-deps.sh)" >&2; exit 1; }
done
for element in filesrc y4mdec x264enc mp4mux filesink; do
  gst-inspect-1.0 "$element" >/dev/null 2>&1 ||
    { echo "video_pipeline: GStreamer element $element missing (bash scripts/install-deps.sh)" >&2; exit 1; }
done
[[ -x "$streamlib" ]] || { echo "video_pipeline: no streamlib binary at $streamlib" >&2; exit 1; }
streamlib="$(cd "$(dirname "$streamlib")" && pwd)/$(basename "$streamlib")"

mkdir -p "$work"
work="$(cd "$work" && pwd)"
cd "$work"
rm -f runs.csv results.json out_*.mp4 run_*.log time_*.txt

wanted() { [[ -z "$only" || " $only " == *" $1 "* ]]; }
transcodes=0
for name in ${only:-all}; do [[ $name == *_copy || $name == *_1080p ]] || transcodes=1; done

# The input: raw I420 in a Y4M file, so every pipeline's decode is a plain read.
input="$work/in_${frames}.y4m"
if ((transcodes)) && [[ ! -s "$input" ]]; then
  echo "video_pipeline: generating $input ($frames frames, 1280x720, 30 fps)"
  ffmpeg -y -v error -f lavfi -i testsrc2=size=1280x720:rate=30 -frames:v "$frames" -pix_fmt yuv420p "$input.tmp.y4m"
  mv "$input.tmp.y4m" "$input"
fi
# The 1080p input: H.264 (x264's default preset, keyframe every 2 s) in an MP4.
input_1080p="$work/in_1080p_${frames_1080p}.mp4"
if { wanted streamlib_1080p || wanted ffmpeg_1080p; } && [[ ! -s "$input_1080p" ]]; then
  echo "video_pipeline: generating $input_1080p ($frames_1080p frames, 1920x1080, 30 fps, H.264)"
  ffmpeg -y -v error -f lavfi -i testsrc2=size=1920x1080:rate=30 -frames:v "$frames_1080p" -c:v libx264 -g 60 \
    -pix_fmt yuv420p "$input_1080p.tmp.mp4"
  mv "$input_1080p.tmp.mp4" "$input_1080p"
fi
# The stream-copy input: H.264 (ultrafast, keyframe every 2 s) and AAC in an MP4.
copy_input="$work/in_copy_${copy_seconds}s.mp4"
if { wanted streamlib_copy || wanted ffmpeg_copy; } && [[ ! -s "$copy_input" ]]; then
  echo "video_pipeline: generating $copy_input ($copy_seconds s, 1280x720, 30 fps, H.264 + AAC)"
  ffmpeg -y -v error -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t "$copy_seconds" -c:v libx264 -preset ultrafast -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k "$copy_input.tmp.mp4"
  mv "$copy_input.tmp.mp4" "$copy_input"
fi

# StreamLib graphs: `block` links, since a FileSource without `live` sends as fast as the links
# take and the video links' default policy is drop_oldest.
write_graph() {  # name, threads
  local name=$1 threads=$2 out="$work/out_$1.mp4"
  case "$name" in
    streamlib_encoder*)
      cat >"$work/$name.json" <<EOF
{
  "processors": [
    {"id": "input", "type": "FileSource", "config": {"path": "$input", "live": false}},
    {"id": "h264", "type": "VideoEncoder", "config": {"codec": "h264", "preset": "ultrafast", "threads": $threads}},
    {"id": "output", "type": "FileWriter", "config": {"path": "$out"}}
  ],
  "links": [
    {"from": "input.video", "to": "h264.in", "policy": "block"},
    {"from": "h264.out", "to": "output.video_packets", "policy": "block"}
  ]
}
EOF
      ;;
    streamlib_1080p)
      cat >"$work/$name.json" <<EOF
{
  "processors": [
    {"id": "input", "type": "FileSource", "config": {"path": "$input_1080p", "live": false, "audio": false}},
    {"id": "h264", "type": "VideoEncoder", "config": {"codec": "h264"}},
    {"id": "output", "type": "FileWriter", "config": {"path": "$out"}}
  ],
  "links": [
    {"from": "input.video", "to": "h264.in", "policy": "block"},
    {"from": "h264.out", "to": "output.video_packets", "policy": "block"}
  ]
}
EOF
      ;;
    streamlib_copy)
      cat >"$work/$name.json" <<EOF
{
  "processors": [
    {"id": "input", "type": "FileSource", "config": {"path": "$copy_input", "live": false}},
    {"id": "output", "type": "FileWriter", "config": {"path": "$out"}}
  ],
  "links": [
    {"from": "input.video_packets", "to": "output.video_packets", "policy": "block"},
    {"from": "input.audio_packets", "to": "output.audio_packets", "policy": "block"}
  ]
}
EOF
      ;;
    streamlib_writer*)
      cat >"$work/$name.json" <<EOF
{
  "processors": [
    {"id": "input", "type": "FileSource", "config": {"path": "$input", "live": false}},
    {"id": "output", "type": "FileWriter", "config": {"path": "$out", "video_codec": "h264", "preset": "ultrafast", "threads": $threads}}
  ],
  "links": [
    {"from": "input.video", "to": "output.video", "policy": "block"}
  ]
}
EOF
      ;;
  esac
  "$streamlib" validate "$work/$name.json" >/dev/null
}

# name -> command (an array in a string, split by `eval` below: every part is quoted here).
declare -A commands expected
names=()
add() {  # name, command[, frames the output must have]
  wanted "$1" || return 0
  names+=("$1"); commands[$1]="$2"; expected[$1]="${3:-$frames}"
}
for t in default 1; do
  sfx=$([[ $t == default ]] && echo "" || echo "_t1")
  n=$([[ $t == default ]] && echo 0 || echo 1)
  ! wanted "streamlib_encoder$sfx" || write_graph "streamlib_encoder$sfx" "$n"
  add "streamlib_encoder$sfx" "$(printf '%q ' "$streamlib" run "$work/streamlib_encoder$sfx.json" --quiet)"
  ! wanted "streamlib_writer$sfx" || write_graph "streamlib_writer$sfx" "$n"
  add "streamlib_writer$sfx" "$(printf '%q ' "$streamlib" run "$work/streamlib_writer$sfx.json" --quiet)"
  ff_threads=(); gst_threads=()
  if [[ $t == 1 ]]; then ff_threads=(-threads 1); gst_threads=(threads=1); fi
  add "ffmpeg$sfx" "$(printf '%q ' ffmpeg -y -v error -i "$input" -c:v libx264 -preset ultrafast "${ff_threads[@]}" "$work/out_ffmpeg$sfx.mp4")"
  add "gstreamer$sfx" "$(printf '%q ' gst-launch-1.0 -q filesrc location="$input" ! y4mdec ! x264enc speed-preset=ultrafast "${gst_threads[@]}" ! mp4mux ! filesink location="$work/out_gstreamer$sfx.mp4")"
  # x264enc's default rate control is CBR at 2048 kbit/s, where libx264 through libavcodec (ffmpeg,
  # StreamLib) uses CRF 23: this row asks x264enc for CRF 23 too (pass=qual, quantizer=23), its
  # VBV cap (`bitrate`, which pass=qual also applies) raised out of the way.
  add "gstreamer_crf23$sfx" "$(printf '%q ' gst-launch-1.0 -q filesrc location="$input" ! y4mdec ! x264enc speed-preset=ultrafast pass=qual quantizer=23 bitrate=100000 "${gst_threads[@]}" ! mp4mux ! filesink location="$work/out_gstreamer_crf23$sfx.mp4")"
done
! wanted streamlib_1080p || write_graph streamlib_1080p 0
add streamlib_1080p "$(printf '%q ' "$streamlib" run "$work/streamlib_1080p.json" --quiet)" "$frames_1080p"
add ffmpeg_1080p "$(printf '%q ' ffmpeg -y -v error -i "$input_1080p" -c:v libx264 "$work/out_ffmpeg_1080p.mp4")" "$frames_1080p"
! wanted streamlib_copy || write_graph streamlib_copy 0
add streamlib_copy "$(printf '%q ' "$streamlib" run "$work/streamlib_copy.json" --quiet)" "$copy_frames"
add ffmpeg_copy "$(printf '%q ' ffmpeg -y -v error -i "$copy_input" -map 0 -c copy "$work/out_ffmpeg_copy.mp4")" "$copy_frames"
((${#names[@]} > 0)) || { echo "video_pipeline: no pipeline matches VIDEO_BENCH_PIPELINES='$only'" >&2; exit 1; }

load1() { cut -d' ' -f1 /proc/loadavg; }
echo "run,pipeline,wall_s,user_s,sys_s,max_rss_kb,minor_faults,frames,codec,output_bytes,load1" >runs.csv
failed=0

# One run: time it, check the file, append a CSV line. $2 = the round ("warmup" is not recorded).
run_one() {
  local name=$1 round=$2 out="$work/out_$1.mp4" timing="$work/time_$1.txt" log="$work/run_$1.log"
  rm -f "$out" "$timing"
  local load; load="$(load1)"
  local rc=0
  eval "timeout $run_timeout /usr/bin/time -f '%e %U %S %M %R' -o $(printf '%q' "$timing") ${commands[$name]}" \
    >"$log" 2>&1 </dev/null || rc=$?
  if ((rc != 0)) || [[ ! -s "$timing" ]]; then
    echo "video_pipeline: $name (round $round) exited with $rc$( ((rc == 124)) && echo ": timed out after ${run_timeout}s"); its output:" >&2
    tail -n 20 "$log" >&2
    failed=1
    return
  fi
  local probe codec count
  probe="$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames,codec_name \
    -of csv=p=0 "$out" 2>&1 || true)"
  codec="${probe%%,*}"
  count="${probe#*,}"
  if [[ "$codec" != h264 || "$count" != "${expected[$name]}" ]]; then
    echo "video_pipeline: $name (round $round) wrote a wrong file: ffprobe says '$probe', expected 'h264,${expected[$name]}'" >&2
    failed=1
  fi
  read -r wall user sys rss faults <"$timing"
  if [[ "$round" != warmup ]]; then
    echo "$round,$name,$wall,$user,$sys,$rss,$faults,$count,$codec,$(stat -c %s "$out"),$load" >>runs.csv
  fi
  printf '  %-22s round %-6s wall %6ss  cpu %6ss  rss %7s kB  faults %7s  %s\n' "$name" "$round" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$rss" "$faults" "$probe"
}

echo "video_pipeline: $frames frames (1080p: $frames_1080p, copy: $copy_frames), ${#names[@]} pipelines, 1 warm-up round + $runs timed rounds, interleaved"
echo "video_pipeline: streamlib = $streamlib"
load_start="$(load1)"
for name in "${names[@]}"; do run_one "$name" warmup; done
for ((r = 1; r <= runs; r++)); do
  for name in "${names[@]}"; do run_one "$name" "$r"; done
done
load_end="$(load1)"

# What it ran on and with what.
# (sed, not head: a reader that stops early would SIGPIPE the writer under pipefail)
ffmpeg_version="$(ffmpeg -version | sed -n 1p)"
gst_version="$(gst-launch-1.0 --version | sed -n 1p)"
x264_version="$( (dpkg-query -W -f='${Package} ${Version}\n' 'libx264-*' 2>/dev/null || true) | sed -n 1p)"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p)"
commands_json="$(for name in "${names[@]}"; do printf '%s\t%s\n' "$name" "${commands[$name]}"; done)"

FRAMES="$frames" RUNS="$runs" FAILED="$failed" LOAD_START="$load_start" LOAD_END="$load_end" \
  FFMPEG_VERSION="$ffmpeg_version" GST_VERSION="$gst_version" X264_VERSION="$x264_version" CPU="$cpu" \
  NPROC="$(nproc)" STREAMLIB="$streamlib" COMMANDS="$commands_json" NAMES="${names[*]}" \
  RESULTS_JSONL="${VIDEO_BENCH_RESULTS_JSONL-$root/build/bench/results.jsonl}" python3 - <<'EOF'
import csv, json, os, statistics

names = os.environ["NAMES"].split()
frames = int(os.environ["FRAMES"])
rows = list(csv.DictReader(open("runs.csv")))
commands = dict(line.split("\t", 1) for line in os.environ["COMMANDS"].splitlines() if line)

def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)} if values else None

results = []
for name in names:
    mine = [r for r in rows if r["pipeline"] == name]
    wall = [float(r["wall_s"]) for r in mine]
    cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in mine]
    rss = [int(r["max_rss_kb"]) / 1024 for r in mine]
    faults = [int(r["minor_faults"]) for r in mine]
    size = [int(r["output_bytes"]) for r in mine]
    n = int(mine[0]["frames"]) if mine else frames  # the copy rows have their own input
    results.append({
        "pipeline": name,
        "encoder_threads": "1" if name.endswith("_t1") else "default",
        "runs": len(mine),
        "wall_s": summary(wall),
        "cpu_s": summary(cpu),
        "max_rss_mb": summary(rss),
        "minor_faults": summary(faults),
        "fps_at_median_wall": n / statistics.median(wall) if wall else None,
        "output_kbit_s": statistics.median(size) * 8 / (n / 30) / 1000 if size else None,
        "command": commands.get(name, "").strip(),
    })

machine = {
    "nproc": int(os.environ["NPROC"]), "cpu": os.environ["CPU"],
    "ffmpeg": os.environ["FFMPEG_VERSION"], "gstreamer": os.environ["GST_VERSION"],
    "x264": os.environ["X264_VERSION"], "streamlib": os.environ["STREAMLIB"],
    "load1_start": float(os.environ["LOAD_START"]), "load1_end": float(os.environ["LOAD_END"]),
}
# StreamLib against ffmpeg, round by round: each round ran the pipelines back to back, so the
# ratio of a round is the fairest figure on a machine whose load moves; the median of those.
pairs = [("streamlib_encoder", "ffmpeg"), ("streamlib_writer", "ffmpeg"), ("streamlib_encoder_t1", "ffmpeg_t1"),
         ("streamlib_writer_t1", "ffmpeg_t1"), ("streamlib_1080p", "ffmpeg_1080p"), ("streamlib_copy", "ffmpeg_copy")]
paired = []
for mine_name, peer_name in pairs:
    by_round = {}
    for r in rows:
        if r["pipeline"] in (mine_name, peer_name):
            by_round.setdefault(r["run"], {})[r["pipeline"]] = r
    both = [d for d in by_round.values() if mine_name in d and peer_name in d]
    if not both:
        continue
    def ratio(metric):
        return statistics.median(metric(d[mine_name]) / metric(d[peer_name]) for d in both)
    paired.append({
        "streamlib": mine_name, "peer": peer_name, "rounds": len(both),
        "wall_ratio": ratio(lambda r: float(r["wall_s"])),
        "cpu_ratio": ratio(lambda r: float(r["user_s"]) + float(r["sys_s"])),
        "minor_faults": statistics.median(int(d[mine_name]["minor_faults"]) for d in both),
        "peer_minor_faults": statistics.median(int(d[peer_name]["minor_faults"]) for d in both),
    })

json.dump({"frames": frames, "size": "1280x720", "fps": 30, "runs": int(os.environ["RUNS"]),
           "ok": os.environ["FAILED"] == "0", "machine": machine, "results": results, "paired": paired},
          open("results.json", "w"), indent=2)

# The comparisons, as the other benchmarks' lines in build/bench/results.jsonl: StreamLib's
# VideoEncoder graph against ffmpeg and against gst-launch (CRF 23, the same quality mode), at
# each tool's default threads and at one encoder thread; medians.
by_name = {r["pipeline"]: r for r in results}
jsonl = os.environ.get("RESULTS_JSONL")
if jsonl:
    with open(jsonl, "a") as f:
        for sfx, threads in (("", "default"), ("_t1", "1")):
            mine = by_name.get("streamlib_encoder" + sfx)
            for peer, peer_row in (("ffmpeg", "ffmpeg"), ("gstreamer", "gstreamer_crf23")):
                theirs = by_name.get(peer_row + sfx)
                if not mine or not theirs or not mine["wall_s"] or not theirs["wall_s"]:
                    continue
                for metric, key in (("wall_s", "wall_s"), ("cpu_s", "cpu_s"), ("peak_rss_mb", "max_rss_mb"),
                                    ("minor_faults", "minor_faults")):
                    f.write(json.dumps({"bench": "video_pipeline", "metric": metric,
                                        "streamlib": mine[key]["median"], "peer": peer,
                                        "peer_value": theirs[key]["median"], "higher_is_better": False,
                                        "encoder_threads": threads}) + "\n")
        for case, mine_name, peer_name in (("1080p_h264", "streamlib_1080p", "ffmpeg_1080p"),
                                           ("stream_copy", "streamlib_copy", "ffmpeg_copy")):
            mine, theirs = by_name.get(mine_name), by_name.get(peer_name)
            if not mine or not theirs or not mine["wall_s"] or not theirs["wall_s"]:
                continue
            for metric, key in (("wall_s", "wall_s"), ("cpu_s", "cpu_s"), ("peak_rss_mb", "max_rss_mb"),
                                ("minor_faults", "minor_faults")):
                f.write(json.dumps({"bench": "video_pipeline", "case": case, "metric": metric,
                                    "streamlib": mine[key]["median"], "peer": "ffmpeg",
                                    "peer_value": theirs[key]["median"], "higher_is_better": False,
                                    "encoder_threads": "default"}) + "\n")

def cell(s, fmt):
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})" if s else "—"

print()
print(f"Video transcode, {frames} frames 1280x720 → H.264 ultrafast MP4; median (min–max) of "
      f"{os.environ['RUNS']} runs; {machine['nproc']} CPUs, 1-min load {machine['load1_start']} → {machine['load1_end']}")
print()
print("| pipeline | encoder threads | wall s | CPU s (user+sys) | peak RSS MB | minor faults | fps | output kbit/s |")
print("|---|---|---|---|---|---|---|---|")
for r in results:
    fps = f"{r['fps_at_median_wall']:.0f}" if r["fps_at_median_wall"] else "—"
    kbit = f"{r['output_kbit_s']:.0f}" if r["output_kbit_s"] else "—"
    print(f"| {r['pipeline'].removesuffix('_t1')} | {r['encoder_threads']} | {cell(r['wall_s'], '{:.2f}')} | "
          f"{cell(r['cpu_s'], '{:.2f}')} | {cell(r['max_rss_mb'], '{:.0f}')} | {cell(r['minor_faults'], '{:.0f}')} | "
          f"{fps} | {kbit} |")
print()
if paired:
    print("| StreamLib row | against | paired rounds | wall ratio | CPU ratio | minor faults (StreamLib / peer) |")
    print("|---|---|---|---|---|---|")
    for p in paired:
        print(f"| {p['streamlib']} | {p['peer']} | {p['rounds']} | {p['wall_ratio']:.3f} | {p['cpu_ratio']:.3f} | "
              f"{p['minor_faults']:.0f} / {p['peer_minor_faults']:.0f} |")
    print()
# The aim: wall time within 5% of ffmpeg, and ahead of GStreamer (same quality mode).
for sfx, threads in (("", "default threads"), ("_t1", "one encoder thread")):
    mine, ff, gst = (by_name.get(n + sfx) for n in ("streamlib_encoder", "ffmpeg", "gstreamer_crf23"))
    if mine and ff and gst and mine["wall_s"] and ff["wall_s"] and gst["wall_s"]:
        w, wf, wg = mine["wall_s"]["median"], ff["wall_s"]["median"], gst["wall_s"]["median"]
        print(f"aim ({threads}): wall {w:.2f} s vs ffmpeg {wf:.2f} s = {w / wf:.3f}x "
              f"[{'met' if w <= 1.05 * wf else 'NOT met'}: within 5%], vs GStreamer {wg:.2f} s "
              f"[{'met' if w < wg else 'NOT met'}: ahead]")
mine, ff = by_name.get("streamlib_copy"), by_name.get("ffmpeg_copy")
if mine and ff and mine["wall_s"] and ff["wall_s"]:
    w, wf = mine["wall_s"]["median"], ff["wall_s"]["median"]
    print(f"stream copy: wall {w:.2f} s vs ffmpeg -c copy {wf:.2f} s = {w / wf:.3f}x")
print()
print(f"runs: {os.path.abspath('runs.csv')}   summary: {os.path.abspath('results.json')}")
if jsonl:
    print(f"comparisons appended to {jsonl}")
EOF

if ((failed)); then
  echo "video_pipeline: FAILED: a run exited with an error or wrote a wrong file (see above)" >&2
  exit 1
fi
