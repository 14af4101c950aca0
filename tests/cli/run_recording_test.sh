#!/usr/bin/env bash
# What users of a recording tool rely on, checked from the outside on the real `streamlib run`:
#   1. SIGINT during a live recording ends it with exit 0 and a finalized, playable MP4;
#   2. SIGTERM does the same;
#   3. after `kill -9` a fragmented MP4 still plays up to its last fragment (a plain one does not);
#   4. bad input files for FileSource fail with the right exit code and a message naming the
#      processor and the file, without a hang or a crash (a truncated file with its index first
#      plays what is there);
#   5. a FileSource that reaches the end of its file ends the run by itself, every frame delivered.
# Every run is bounded (`timeout`); a run that has to be stopped that way is a failure (a hang).
# Needs ffmpeg, ffprobe and python3 (FFMPEG / FFPROBE may name the programs).
# Usage: run_recording_test.sh STREAMLIB WORKDIR
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
ffmpeg="${FFMPEG:-ffmpeg}"
ffprobe="${FFPROBE:-ffprobe}"
rm -rf "$work" && mkdir -p "$work"
cd "$work"  # a core dump, if any, would land here

limit=30  # seconds any one run may take
out="$work/out.txt"
err="$work/err.txt"
: >"$out" && : >"$err"
case_name=""
case_start=0

fail() {
  echo "FAIL [$case_name]: $*"
  echo "--- stdout of the last run"; tail -n 40 "$out"
  echo "--- stderr of the last run"; tail -n 40 "$err"
  exit 1
}
begin() {  # begin NAME WHAT: announce a case
  case_name="$1"
  case_start=$(date +%s%N)
  echo "== $1: $2"
}
pass() { echo "   ok ($(( ($(date +%s%N) - case_start) / 1000000 )) ms)"; }

for tool in "$ffmpeg" "$ffprobe" python3 timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: '$tool' not found"; exit 1; }
done

# The exit code of a finished streamlib run: not a crash, no core file.
check_no_crash() {  # check_no_crash RC
  if (( $1 >= 128 )); then fail "streamlib died of signal $(( $1 - 128 )) (exit code $1)"; fi
  if compgen -G "$work/core*" >/dev/null; then fail "a core file was left in $work"; fi
}

# run_bounded ARGS...: `streamlib run ARGS...` to the end, at most $limit seconds; sets rc.
run_bounded() {
  rc=0
  timeout -k 5 "$limit" "$streamlib" run "$@" >"$out" 2>"$err" || rc=$?
  if (( rc == 124 || rc == 137 )); then fail "streamlib run $* did not end within $limit s (a hang)"; fi
  check_no_crash "$rc"
}

# start_bg ARGS...: `streamlib run ARGS...` in the background; sets pid.
start_bg() {
  "$streamlib" run "$@" >"$out" 2>"$err" &
  pid=$!
}

# stop_bg SIGNAL: sends SIGNAL to the background run, waits (at most $limit s); sets rc.
stop_bg() {
  kill -0 "$pid" 2>/dev/null || fail "streamlib run ended before SIG$1 was sent"
  kill -s "$1" "$pid"
  for _ in $(seq $(( limit * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    fail "streamlib run did not end within $limit s of SIG$1 (a hang)"
  fi
  rc=0
  wait "$pid" || rc=$?
}

# probe FILE MIN_VIDEO_FRAMES NEED_AUDIO: ffprobe decodes FILE (all of it, counting frames) and
# finds an h264 stream with at least MIN_VIDEO_FRAMES frames and, if NEED_AUDIO is 1, an aac
# stream with at least one.
probe() {
  local probe_rc=0
  "$ffprobe" -v error -count_frames -show_entries stream=codec_name,nb_read_frames -of json "$1" \
    >"$work/probe.json" 2>"$work/probe.err" || probe_rc=$?
  (( probe_rc == 0 )) || fail "ffprobe cannot read $1: $(cat "$work/probe.err")"
  python3 - "$work/probe.json" "$2" "$3" <<'PY' || fail "ffprobe of $1: $(cat "$work/probe.json")"
import json, sys
streams = {s.get("codec_name"): int(s.get("nb_read_frames", "0").replace("N/A", "0"))
           for s in json.load(open(sys.argv[1]))["streams"]}
min_video, need_audio = int(sys.argv[2]), sys.argv[3] == "1"
assert streams.get("h264", 0) >= min_video, f"want >= {min_video} h264 frames, have {streams}"
assert not need_audio or streams.get("aac", 0) >= 1, f"want an aac stream, have {streams}"
print(f"   ffprobe: {streams}")
PY
}

# final_metric STATS_JSONL PROCESSOR KEY: a processor's metric in the run's final stats.
final_metric() {
  python3 - "$@" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert rows and rows[-1].get("final") is True, "no final stats row"
p = [p for p in rows[-1]["processors"] if p["id"] == sys.argv[2]][0]
print(p["metrics"][sys.argv[3]])
PY
}

# A live recording: a moving picture at 320x240, 30 fps, and a chord, into one MP4, with no end
# of its own (no `frames` or `duration`): only a signal or a kill ends it.
recording_graph() {  # recording_graph GRAPH OUTPUT FRAGMENTED
  cat >"$1" <<JSON
{"processors": [
  {"id": "camera", "type": "VideoTestSource",
   "config": {"width": 320, "height": 240, "fps": 30, "pattern": "ball", "live": true}},
  {"id": "mic", "type": "AudioTestSource", "config": {"wave": "chord", "amplitude": 0.3, "live": true}},
  {"id": "recorder", "type": "Mp4Writer",
   "config": {"path": "$2", "video_codec": "h264", "audio_codec": "aac", "preset": "veryfast", "fragmented": $3}}],
 "links": [
  {"from": "camera.video", "to": "recorder.video", "capacity": 8, "policy": "block"},
  {"from": "mic.audio", "to": "recorder.audio", "capacity": 32, "policy": "block"}]}
JSON
}

# --- 1, 2: SIGINT / SIGTERM stop a recording gracefully: exit 0, the file is finalized ---------

for sig in INT TERM; do
  begin "sig$sig" "SIG$sig after 1.5 s of a live recording: exit 0, the MP4 is finalized (h264 >= 20 frames + aac)"
  recording_graph "$work/rec_$sig.json" "$work/rec_$sig.mp4" false
  start_bg "$work/rec_$sig.json"
  sleep 1.5
  stop_bg "$sig"
  check_no_crash "$rc"
  (( rc == 0 )) || fail "exit code $rc after SIG$sig, want 0"
  want=$([[ $sig == INT ]] && echo "interrupted \(SIGINT\)" || echo "terminated \(SIGTERM\)")
  grep -qE "^streamlib run: stopped: $want$" "$out" || fail "no 'stopped: $want' line on stdout"
  # A plain MP4 is readable only once its index (moov) is written at the end: this proves the
  # writer finalized the file.
  probe "$work/rec_$sig.mp4" 20 1
  pass
done

# --- 3: kill -9 — a fragmented MP4 survives, a plain one does not ------------------------------

begin "kill9_fragmented" "kill -9 after 2 s of a fragmented recording: ffprobe still reads >= 15 video frames"
recording_graph "$work/crash_frag.json" "$work/crash_frag.mp4" true
start_bg "$work/crash_frag.json"
sleep 2
# The first fragment (a `moof` box) is complete after about 1 s of media plus the encoder's
# delay, usually within 2 s; on a busy machine give it up to 3 s more. (Fragments cut only at
# keyframes, x264's default every 250 frames, would take over 8 s: this still fails then.)
for _ in $(seq 30); do grep -qa moof "$work/crash_frag.mp4" && break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null || fail "streamlib run ended before the kill"
kill -9 "$pid"
echo "   killed after $(( ($(date +%s%N) - case_start) / 1000000 )) ms"
wait "$pid" 2>/dev/null || true
[[ -s "$work/crash_frag.mp4" ]] || fail "no file written"
# The fragments completed before the kill are in the file with their own index (moof).
probe "$work/crash_frag.mp4" 15 1
pass

begin "kill9_plain" "contrast: kill -9 after 2 s of a plain (not fragmented) recording leaves no readable index"
recording_graph "$work/crash_plain.json" "$work/crash_plain.mp4" false
start_bg "$work/crash_plain.json"
sleep 2
kill -0 "$pid" 2>/dev/null || fail "streamlib run ended before the kill"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[[ -e "$work/crash_plain.mp4" ]] || fail "no file created"
# A plain MP4's moov is written only when the file is finalized, which a killed process never
# does: so the fragmented case above shows what `fragmented` is for.
probe_rc=0
"$ffprobe" -v error -show_entries stream=codec_name -of json "$work/crash_plain.mp4" \
  >"$work/probe.json" 2>"$work/probe.err" || probe_rc=$?
(( probe_rc != 0 )) || fail "ffprobe read the killed plain MP4: $(cat "$work/probe.json")"
grep -q "moov atom not found" "$work/probe.err" || fail "ffprobe failed otherwise: $(cat "$work/probe.err")"
echo "   ffprobe: $(head -n 1 "$work/probe.err")"
pass

# --- 4: bad input files for FileSource ----------------------------------------------------------

# Test media: a 2 s H.264 clip with its index (moov) at the end (as ffmpeg writes it), the same
# with the index first (+faststart), and a 1 s WAV (audio only).
"$ffmpeg" -v error -y -f lavfi -i testsrc2=size=160x120:rate=25 -t 2 -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
"$ffmpeg" -v error -y -f lavfi -i testsrc2=size=160x120:rate=25 -t 2 -c:v libx264 -pix_fmt yuv420p \
  -movflags +faststart "$work/clip_faststart.mp4"
"$ffmpeg" -v error -y -f lavfi -i sine -t 1 "$work/tone.wav"
# 64 KiB of random bytes named .mp4 (seeded: the same bytes, so the same diagnosis, every run).
python3 -c 'import random, sys; random.seed(8); sys.stdout.buffer.write(random.randbytes(65536))' >"$work/x.mp4"
half() { head -c $(( $(stat -c %s "$1") / 2 )) "$1" >"$2"; }
half "$work/clip.mp4" "$work/truncated.mp4"
half "$work/clip_faststart.mp4" "$work/truncated_faststart.mp4"

# FileSource 'player' (as fast as the links take) with one output to a Counter.
player_graph() {  # player_graph GRAPH MEDIA OUTPUT
  cat >"$1" <<JSON
{"processors": [
  {"id": "player", "type": "FileSource", "config": {"path": "$2", "live": false}},
  {"id": "count", "type": "Counter", "config": {"expect_sequence": false}}],
 "links": [{"from": "player.$3", "to": "count.in", "policy": "block"}]}
JSON
}

# bad_file NAME MEDIA OUTPUT RC WHAT: the run fails with exit code RC, and stderr names the
# processor ('player'), the media file and WHAT (a regex).
bad_file() {
  begin "bad_input.$1" "FileSource on $(basename "$2") (output $3): exit $4, stderr names 'player' and the file"
  player_graph "$work/$1.json" "$2" "$3"
  run_bounded "$work/$1.json" --quiet
  (( rc == $4 )) || fail "exit code $rc, want $4"
  grep -q "'player'" "$err" || fail "stderr does not name the processor 'player'"
  grep -qF "$2" "$err" || fail "stderr does not name the file $2"
  grep -qE "$5" "$err" || fail "stderr does not say '$5'"
  echo "   stderr: $(grep -F "$2" "$err" | head -n 1)"
  pass
}

# A file that cannot be opened fails the processor's setup, reported by the start: bad input.
bad_file missing "$work/no_such_clip.mp4" video 2 "No such file or directory"
bad_file random_bytes "$work/x.mp4" video 2 "Invalid data found when processing input"
# Cut in half with the index at the end: no index, nothing can be read.
bad_file truncated "$work/truncated.mp4" video 2 "moov atom not found"
# Only `video` connected, and the file has no video: nothing could ever flow. Found at the first
# call (when the links are wired), so it is a processor failure while running: exit 1.
bad_file audio_only_to_video "$work/tone.wav" video 1 "output .video. is connected, but the file has no video stream"

begin "bad_input.truncated_faststart" \
  "FileSource on a half-cut MP4 with its index first: plays what is there, ends by itself, exit 0"
player_graph "$work/truncated_faststart.json" "$work/truncated_faststart.mp4" video
run_bounded "$work/truncated_faststart.json" --stats-json "$work/truncated_faststart.jsonl"
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -q "^streamlib run: stopped: end of stream$" "$out" || fail "no 'stopped: end of stream' line"
frames=$(final_metric "$work/truncated_faststart.jsonl" count received)
(( frames >= 5 && frames < 50 )) || fail "the sink got $frames frames, want some but fewer than the whole clip's 50"
echo "   the sink got $frames of 50 frames"
pass

# --- 5: the end of the file ends the run ---------------------------------------------------------

# A 2 s clip with video (25 fps) and audio.
"$ffmpeg" -v error -y -f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 2 \
  -c:v libx264 -pix_fmt yuv420p -c:a aac "$work/av.mp4"

# play_graph GRAPH MEDIA: FileSource 'player' (live: false), video to a Counter, audio to a
# NullSink.
play_graph() {
  cat >"$1" <<JSON
{"processors": [
  {"id": "player", "type": "FileSource", "config": {"path": "$2", "live": false}},
  {"id": "count", "type": "Counter", "config": {"expect_sequence": false}},
  {"id": "sound", "type": "NullSink"}],
 "links": [{"from": "player.video", "to": "count.in", "policy": "block"},
           {"from": "player.audio", "to": "sound.in", "policy": "block"}]}
JSON
}

begin "end_of_stream" "FileSource (live: false) on a 2 s clip: the run ends by itself, exit 0, all 50 frames counted"
play_graph "$work/play.json" "$work/av.mp4"
run_bounded "$work/play.json" --stats-json "$work/play.jsonl"
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -q "^streamlib run: stopped: end of stream$" "$out" || fail "no 'stopped: end of stream' line"
frames=$(final_metric "$work/play.jsonl" count received)
(( frames == 50 )) || fail "the Counter got $frames video frames, want 50"
echo "   the Counter got $frames video frames"
pass

# The same graph on a video-only clip: the `audio` output has no stream and just ends, while
# the video plays (a transcoding graph works on files with or without sound).
begin "end_of_stream.video_only" \
  "the same graph on a video-only clip: the audio output just ends, exit 0, all 50 frames counted"
play_graph "$work/play_video_only.json" "$work/clip.mp4"
run_bounded "$work/play_video_only.json" --stats-json "$work/play_video_only.jsonl"
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -q "^streamlib run: stopped: end of stream$" "$out" || fail "no 'stopped: end of stream' line"
frames=$(final_metric "$work/play_video_only.jsonl" count received)
(( frames == 50 )) || fail "the Counter got $frames video frames, want 50"
echo "   the Counter got $frames video frames"
pass

echo "ok"
