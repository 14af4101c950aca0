#!/usr/bin/env bash
# What `streamlib run` prints besides its view, and how long it runs, checked on the real tool:
#   1. a graph that makes FFmpeg complain (a clip with damaged video and audio): by default its
#      lines come through the log, each naming the processor ('[input] ffmpeg h264: ...'),
#      never FFmpeg's own '[h264 @ 0x...]'; --quiet prints nothing at all; --log-level debug
#      shows FFmpeg's debug lines of both processors, prefixed with their ids;
#   2. ALSA (SDL's alsa driver on a PCM that does not exist): --quiet leaves only streamlib's
#      one-line error, no 'ALSA lib' line; --log-level info shows ALSA's lines as '[speaker] alsa:';
#   3. --media-duration 1 on a fast (non-live) transcode of a 3 s clip: the file ffprobe reads
#      lasts 1 s within one frame, and decodes without an error;
#   4. the plain-line view shows the writer's time=, bitrate= and speed= with plausible values.
# Every run is bounded (`timeout`). Needs ffmpeg, ffprobe (FFMPEG / FFPROBE may name them).
# Usage: run_logging_test.sh STREAMLIB WORKDIR
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
ffmpeg="${FFMPEG:-ffmpeg}"
ffprobe="${FFPROBE:-ffprobe}"
rm -rf "$work" && mkdir -p "$work"
cd "$work"

limit=60
out="$work/out.txt"
err="$work/err.txt"
: >"$out" && : >"$err"
case_name=""

fail() {
  echo "FAIL [$case_name]: $*"
  echo "--- stdout of the last run"; tail -n 40 "$out"
  echo "--- stderr of the last run"; tail -n 40 "$err"
  exit 1
}
begin() { case_name="$1"; echo "== $1: $2"; }
pass() { echo "   ok"; }

# run_bounded [ENV=VALUE...] -- ARGS...: `streamlib run ARGS...`, at most $limit s; sets rc.
run_bounded() {
  local env_vars=()
  while [[ "$1" != "--" ]]; do env_vars+=("$1"); shift; done
  shift
  rc=0
  env "${env_vars[@]}" timeout -k 5 "$limit" "$streamlib" run "$@" >"$out" 2>"$err" || rc=$?
  if (( rc == 124 || rc == 137 )); then fail "streamlib run $* did not end within $limit s (a hang)"; fi
  if (( rc >= 128 )); then fail "streamlib died of signal $(( rc - 128 ))"; fi
}
# No line FFmpeg or ALSA would print by themselves.
check_no_raw_library_lines() {
  if grep -nE '^\[(h264|libx264|aac|mov,mp4[^]]*) @ |ALSA lib' "$out" "$err"; then
    fail "a raw FFmpeg/ALSA line got through"
  fi
}

# --- Media: a 3 s clip, and a copy with damaged bytes in the middle ---------------------------
"$ffmpeg" -v error -y -f lavfi -i testsrc2=size=320x240:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac clip.mp4
python3 - <<'PY'
data = bytearray(open("clip.mp4", "rb").read())
for offset in range(len(data) // 3, len(data) // 3 + 4000, 97):  # well inside the media data
    data[offset:offset + 8] = b"\xff" * 8
open("damaged.mp4", "wb").write(data)
PY

transcode_graph() {  # transcode_graph GRAPH INPUT OUTPUT: FileSource -> FileWriter, raw, not live
  cat >"$1" <<JSON
{"processors": [
  {"id": "input", "type": "FileSource", "config": {"path": "$2", "live": false}},
  {"id": "output", "type": "FileWriter", "config": {"path": "$3"}}],
 "links": [{"from": "input.video", "to": "output.video", "policy": "block"},
           {"from": "input.audio", "to": "output.audio", "policy": "block"}]}
JSON
}
transcode_graph damaged.json "$work/damaged.mp4" "$work/damaged_out.mp4"

# --- 1. FFmpeg's lines ------------------------------------------------------------------------
begin ffmpeg.default "FFmpeg's complaints about a damaged clip come through the log, naming 'input'"
run_bounded -- damaged.json
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -qE '^\[input\] ffmpeg (h264|aac): ' "$err" || fail "no '[input] ffmpeg h264|aac: ' line on stderr"
check_no_raw_library_lines
echo "   $(grep -m1 -E '^\[input\] ffmpeg' "$err")"
pass

begin ffmpeg.quiet "--quiet: nothing on stdout or stderr"
run_bounded -- damaged.json --quiet
(( rc == 0 )) || fail "exit code $rc, want 0"
[[ ! -s "$out" ]] || fail "stdout is not empty"
[[ ! -s "$err" ]] || fail "stderr is not empty"
pass

begin ffmpeg.debug "--log-level debug: FFmpeg's debug lines, each prefixed with its processor's id"
run_bounded -- damaged.json --log-level debug
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -qE '^\[input\] ffmpeg h264: nal_unit_type' "$err" || fail "no decoder debug line of 'input'"
grep -qE '^\[output\] ffmpeg libx264: ' "$err" || fail "no encoder line of 'output'"
check_no_raw_library_lines
# Every FFmpeg line names a processor of the graph (or a thread one of them started).
if grep -E '^\[[^]]*\] ffmpeg' "$err" | grep -vE '^\[(input|output)\] '; then
  fail "an FFmpeg line that names no processor of the graph"
fi
echo "   $(grep -c '^\[input\] ffmpeg' "$err") lines from 'input', $(grep -c '^\[output\] ffmpeg' "$err") from 'output'"
pass

# --- 2. ALSA's lines --------------------------------------------------------------------------
if "$streamlib" processors AudioOutput >/dev/null 2>&1 && [[ -e /usr/lib/x86_64-linux-gnu/libasound.so.2 || -n "$(ldconfig -p 2>/dev/null | grep libasound.so.2)" ]]; then
  cat >speaker.json <<'JSON'
{"processors": [
  {"id": "chord", "type": "AudioTestSource", "config": {"wave": "chord", "amplitude": 0.3}},
  {"id": "speaker", "type": "AudioOutput", "config": {}}],
 "links": [{"from": "chord.audio", "to": "speaker.audio"}]}
JSON
  begin alsa.quiet "--quiet on an ALSA device that does not exist: streamlib's error only, no 'ALSA lib'"
  run_bounded SDL_AUDIODRIVER=alsa AUDIODEV=streamlib_no_such_pcm -- speaker.json --duration 2 --quiet
  (( rc == 2 )) || fail "exit code $rc, want 2 (the device cannot be set up)"
  grep -q "^streamlib: .*'speaker'" "$err" || fail "no error naming 'speaker'"
  [[ "$(wc -l <"$err")" == 1 ]] || fail "expected one line on stderr"
  check_no_raw_library_lines
  pass

  begin alsa.info "--log-level info: ALSA's lines name 'speaker'"
  run_bounded SDL_AUDIODRIVER=alsa AUDIODEV=streamlib_no_such_pcm -- speaker.json --duration 2 --log-level info
  (( rc == 2 )) || fail "exit code $rc, want 2"
  grep -qE '^\[speaker\] alsa: .*streamlib_no_such_pcm' "$err" || fail "no '[speaker] alsa: ...' line naming the PCM"
  check_no_raw_library_lines
  echo "   $(grep -m1 '^\[speaker\] alsa' "$err")"
  pass
else
  echo "== alsa: skipped (no AudioOutput in this build, or no libasound)"
fi

# --- 3. --media-duration ----------------------------------------------------------------------
transcode_graph clip.json "$work/clip.mp4" "$work/one_second.mp4"
begin media_duration "--media-duration 1 on a fast transcode of 3 s: ffprobe says 1 s, within a frame"
run_bounded -- clip.json --media-duration 1
(( rc == 0 )) || fail "exit code $rc, want 0"
grep -qE '^streamlib run: stopped: (media duration 1s reached|end of stream)$' "$out" || fail "no 'stopped:' line"
duration="$("$ffprobe" -v error -show_entries format=duration -of csv=p=0 one_second.mp4)"
video="$("$ffprobe" -v error -select_streams v -show_entries stream=duration -of csv=p=0 one_second.mp4)"
echo "   ffprobe: file ${duration}s, video ${video}s"
python3 -c "import sys; sys.exit(0 if abs($duration - 1.0) <= 1/30 and abs($video - 1.0) <= 1/30 else 1)" ||
  fail "one_second.mp4 lasts ${duration}s (video ${video}s), want 1 s within one frame (1/30 s)"
decode_errors="$("$ffmpeg" -v error -i one_second.mp4 -f null - 2>&1 || echo "ffmpeg failed")"
[[ -z "$decode_errors" ]] || fail "one_second.mp4 does not decode cleanly: $decode_errors"
pass

# --- 4. The writer's time=, bitrate=, speed= in the plain-line view ----------------------------
begin view.ffmpeg_status "the view shows the writer's time=, bitrate= and speed=, plausible"
row="$(grep -E '^  output +FileWriter ' "$out" | tail -n 1)"
[[ -n "$row" ]] || fail "no row for 'output' in the view"
echo "   $row"
[[ "$row" =~ time=([0-9]{2}):([0-9]{2}):([0-9]{2}\.[0-9]{2})\ bitrate=([0-9.]+)kbits/s\ speed=([0-9.e+]+)x ]] ||
  fail "the row does not read 'time=HH:MM:SS.cc bitrate=Nkbits/s speed=Nx'"
time_s="${BASH_REMATCH[3]}"
bitrate="${BASH_REMATCH[4]}"
speed="${BASH_REMATCH[5]}"
size="$(stat -c %s one_second.mp4)"
# The last view: 1 s written (within a frame); a bitrate of what was written (the file's size
# over its length, give or take the container's overhead); some speed.
python3 - "$time_s" "$bitrate" "$speed" "$size" <<'PY' || fail "implausible figures: time=$time_s bitrate=$bitrate speed=$speed (file $size bytes)"
import sys
t, kbps, speed, size = (float(x) for x in sys.argv[1:])
file_kbps = size * 8 / 1000
ok = abs(t - 1.0) <= 1 / 30 + 0.01 and 0.5 * file_kbps <= kbps <= 1.1 * file_kbps and speed > 0
sys.exit(0 if ok else 1)
PY
pass
echo "all ok"
