#!/usr/bin/env bash
# No file is touched before the graph is known good. Each graph below would (before) have
# truncated or replaced an existing recording and then failed; now:
#   - `streamlib validate` refuses it with exit 2, naming the processor and the field;
#   - `streamlib run` refuses it with exit 2, the same way, before it opens anything, or (a
#     processor whose setup fails, such as a Display without a screen) runs nothing at all;
#   - the existing file keeps its bytes (sha256), and no temporary is left beside it.
# Then a good graph replaces the file, which ffprobe reads (so the checks above can fail).
# Needs ffprobe, sha256sum and timeout. Usage (from the source directory):
#   run_keeps_files_test.sh STREAMLIB WORKDIR
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
ffprobe="${FFPROBE:-ffprobe}"
rm -rf "$work" && mkdir -p "$work/out"
limit=60  # seconds any one command may take on a loaded machine

for tool in "$ffprobe" sha256sum timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: '$tool' not found"; exit 1; }
done

case_name=""
fail() {
  echo "FAIL [$case_name]: $*"
  echo "--- stdout"; tail -n 20 "$work/stdout.txt" || true
  echo "--- stderr"; tail -n 20 "$work/stderr.txt" || true
  exit 1
}

# The recording a user already has: 3.4 MB that must survive every bad graph.
existing="$work/out/rec.mp4"
head -c 3400000 /dev/urandom >"$existing"
sum="$(sha256sum <"$existing")"
echo plain >"$work/plain_file"  # a folder path through a regular file: nobody, root included, writes there

check_untouched() {
  [[ "$(sha256sum <"$existing")" == "$sum" ]] || fail "$existing changed"
  local left
  left="$(find "$work/out" -mindepth 1 ! -name rec.mp4)"
  [[ -z "$left" ]] || fail "left beside it: $left"
}

# expect COMMAND RC REGEX...: `streamlib COMMAND graph.json` exits RC; stderr matches each REGEX.
expect() {
  local command="$1" want="$2"
  shift 2
  local rc=0 args=("$command" "$work/graph.json")
  [[ "$command" != run ]] || args+=(--quiet)
  timeout -k 5 "$limit" "$streamlib" "${args[@]}" >"$work/stdout.txt" 2>"$work/stderr.txt" || rc=$?
  (( rc != 124 && rc != 137 )) || fail "streamlib $command did not end within $limit s"
  (( rc == want )) || fail "streamlib $command exited $rc, want $want"
  for re in "$@"; do
    grep -Eq -- "$re" "$work/stderr.txt" || fail "streamlib $command: stderr does not match '$re'"
  done
}

# writer_graph WRITER_CONFIG [EXTRA_PROCESSORS]: a test source into FileWriter 'rec'.
writer_graph() {
  cat >"$work/graph.json" <<JSON
{"processors": [
  {"id": "src", "type": "VideoTestSource", "config": {"width": 160, "height": 120, "live": false, "frames": 30}},
  {"id": "rec", "type": "FileWriter", "config": $1}${2:-}],
 "links": [{"from": "src.video", "to": "rec.video", "policy": "block"}]}
JSON
}

bad_case() {  # bad_case NAME REGEX...: validate and run both refuse graph.json with exit 2
  case_name="$1"
  shift
  echo "== $case_name"
  expect validate 2 "$@"
  check_untouched
  expect run 2 "$@"
  check_untouched
  echo "   ok"
}

writer_graph "{\"path\": \"$existing\", \"video_codec\": \"h246\"}"
bad_case bad_codec "processors\\[1\\]: rec\\.config\\.video_codec: codec 'h246' is not available"

writer_graph "{\"path\": \"$existing\", \"preset\": \"veryfsat\"}"
bad_case bad_preset "processors\\[1\\]: rec\\.config\\.preset: 'veryfsat' is not a libx264 preset \\(did you mean 'veryfast'\\?"

writer_graph "{\"path\": \"$existing\", \"tune\": \"zerolatncy\"}"
bad_case bad_tune "processors\\[1\\]: rec\\.config\\.tune: 'zerolatncy' is not a libx264 tune"

writer_graph "{\"path\": \"$existing\", \"options\": {\"movflag\": \"+faststart\"}}"
bad_case bad_muxer_option \
  "processors\\[1\\]: rec\\.config\\.options: .*rec\\.mp4: the mp4 muxer has no option 'movflag' \\(did you mean 'movflags'\\?"

writer_graph "{\"path\": \"$existing\", \"video_options\": {\"x264-parms\": \"keyint=60\"}}"
bad_case bad_encoder_option \
  "processors\\[1\\]: rec\\.config\\.video_options: libx264 has no option 'x264-parms' \\(did you mean 'x264-params'\\?"

writer_graph "{\"path\": \"$existing\", \"video_options\": {\"crf\": \"abc\"}}"
bad_case bad_option_value "processors\\[1\\]: rec\\.config\\.video_options: libx264 option 'crf': 'abc' is refused"

writer_graph "{\"path\": \"$work/no_such_folder/rec.mp4\"}"
bad_case missing_folder "processors\\[1\\]: rec\\.config\\.path: .*no_such_folder/rec\\.mp4: folder .*no_such_folder does not exist"
[[ ! -e "$work/no_such_folder" ]] || fail "the missing folder was created"

writer_graph "{\"path\": \"$work/plain_file/rec.mp4\"}"
bad_case unwritable_folder "processors\\[1\\]: rec\\.config\\.path: .*plain_file/rec\\.mp4: .*plain_file is not a folder$"

writer_graph "{\"path\": \"$existing\"}" \
  ", {\"id\": \"rec2\", \"type\": \"Mp4Writer\", \"config\": {\"path\": \"$work/out/../out/rec.mp4\"}}"
bad_case two_writers_one_file "processor 'rec2': file $work/out/rec\\.mp4 is already used by processor 'rec'"

# A graph that is valid but cannot start: the Display has no screen. Nothing runs, so the
# recorder never gets a frame; exit 2, as for any resource missing at the start.
case_name=display_without_screen
echo "== $case_name"
sed "s#build/demo.mp4#$existing#" examples/graphs/record_display.json >"$work/graph.json"
expect validate 0
rc=0
env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout -k 5 "$limit" "$streamlib" run "$work/graph.json" \
  --quiet >"$work/stdout.txt" 2>"$work/stderr.txt" || rc=$?
(( rc == 2 )) || fail "streamlib run exited $rc, want 2"
grep -Eq "processor 'screen' \\(Display\\): .*no display" "$work/stderr.txt" || fail "the screen is not named"
check_untouched
echo "   ok"

# The same writer with a good graph replaces the file: the checks above could fail.
case_name=good_graph_replaces
echo "== $case_name"
writer_graph "{\"path\": \"$existing\", \"preset\": \"ultrafast\"}"
expect run 0
[[ "$(sha256sum <"$existing")" != "$sum" ]] || fail "a good run did not replace $existing"
frames="$("$ffprobe" -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
  "$existing")"
[[ "$frames" == 30 ]] || fail "ffprobe reads $frames frames, want 30"
[[ -z "$(find "$work/out" -mindepth 1 ! -name rec.mp4)" ]] || fail "a temporary was left behind"
echo "   ok"
echo "PASS"
