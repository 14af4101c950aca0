#!/usr/bin/env bash
# Bad input end to end: a catalogue of bad graph files (tests/cli/data/bad/) run through the real
# `streamlib`, and bad edits of a graph that `streamlib run --watch` follows.
#
# Part 1, the catalogue: each case is one line of the table below,
#
#   bad FILE COMMANDS NEEDS REGEX...
#
#   FILE      a graph file in tests/cli/data/bad/ ("../x.json": one in tests/cli/data/;
#             "stdin:x.json": x.json fed on standard input, named "-")
#   COMMANDS  the subcommands it goes through, comma-separated: validate, dot (-o OUT), run,
#             plan (demo.json -> FILE); "static" means all four
#   NEEDS     processor types the case needs in this build ("-": none); a case whose types are
#             missing (a build without the media components) is skipped, and says so
#   REGEX...  extended regexes the lines of stderr must match, in order: what names the
#             offending item (processor id, port, link, field, JSON location or file)
#
# Every command must exit 2 (not 0, not 1, not a crash or a hang), write nothing on stdout (no
# "ok", no DOT, no plan, no live view), create no output file, and print a line
# "streamlib: FILE: ..." naming the graph file.
#
# Part 2, --watch: a pipeline runs with --stats-json while its file receives bad edits (a syntax
# error mid-save, an unknown type, a link to a missing port, a config out of range, a processor
# removed under its link, an empty save, and with the media components a refused live change and
# a processor whose setup fails). Each one is printed naming the item and rejected whole; the run
# goes on (stats keep coming, the counter keeps counting), takes a good edit afterwards, and SIGINT
# ends it with exit 0, nothing dropped or missing, and a playable recording.
#
# Nothing here depends on timing beyond generous limits: every wait is for an outcome, up to
# $limit seconds, and every run is bounded by `timeout`.
# Usage (from the source directory): bad_input_catalogue_test.sh STREAMLIB WORKDIR
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
rm -rf "$work" && mkdir -p "$work"
data=tests/cli/data/bad
limit=120  # seconds any one wait or command may take on a loaded machine

for tool in timeout python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: '$tool' not found"; exit 1; }
done

mapfile -t known_types < <("$streamlib" processors --json | python3 -c 'import json,sys; [print(t["type"]) for t in json.load(sys.stdin)]')
have() {  # have TYPE...: every TYPE is registered in this build
  local t k
  for t in "$@"; do
    for k in "${known_types[@]}"; do [[ "$k" == "$t" ]] && continue 2; done
    return 1
  done
}

# --- Part 1: the catalogue -------------------------------------------------------------------

cases=0
runs=0
skipped=()
failures=()

# check_lines FILE REGEX...: the regexes match lines of FILE in order; prints the first miss.
check_lines() {
  local file="$1" pos=0 re i found
  shift
  local -a lines=()
  mapfile -t lines <"$file"
  for re in "$@"; do
    found=""
    for ((i = pos; i < ${#lines[@]}; i++)); do
      if [[ "${lines[i]}" =~ $re ]]; then found=$i; break; fi
    done
    if [[ -z "$found" ]]; then echo "$re"; return 1; fi
    pos=$((found + 1))
  done
}

# run_case NAME COMMAND PATH STDIN REGEX...: one command on one bad file.
run_case() {
  local name="$1" command="$2" path="$3" stdin="$4"
  shift 4
  local out="$work/$name.$command.out" err="$work/$name.$command.err" made="$work/$name.$command.made"
  local -a args
  case "$command" in
    validate) args=(validate "$path") ;;
    dot) args=(dot "$path" -o "$made") ;;
    run) args=(run "$path" --duration 20) ;;  # a bad file that ran anyway ends, and fails below
    plan) args=(plan examples/graphs/demo.json "$path") ;;
    *) echo "bad_input_catalogue_test.sh: unknown command '$command' in case $name" >&2; exit 2 ;;
  esac
  local rc=0
  timeout -k 10 "$limit" "$streamlib" "${args[@]}" <"$stdin" >"$out" 2>"$err" || rc=$?
  runs=$((runs + 1))
  local shown="${path/#-/<stdin>}" problem=""
  if ((rc == 124 || rc == 137)); then
    problem="did not end within $limit s"
  elif ((rc >= 128)); then
    problem="died of signal $((rc - 128))"
  elif ((rc != 2)); then
    problem="exit code $rc, want 2"
  elif [[ -s "$out" ]]; then
    problem="wrote on stdout: $(head -c 200 "$out")"
  elif [[ -e "$made" ]]; then
    problem="created its output file"
  elif ! grep -qF "streamlib: $shown: " "$err"; then
    problem="no line 'streamlib: $shown: ...' naming the file"
  elif grep -q "internal error" "$err"; then
    problem="an internal error"
  elif ! missing=$(check_lines "$err" "$@"); then
    problem="no line (in order) matches: $missing"
  fi
  if [[ -n "$problem" ]]; then
    failures+=("$name ($command): $problem")
    echo "FAIL $name: streamlib ${args[*]}: $problem"
    echo "--- stdout"; head -n 20 "$out"
    echo "--- stderr"; head -n 20 "$err"
  fi
}

bad() {  # bad FILE COMMANDS NEEDS REGEX...
  local file="$1" commands="$2" needs="$3"
  shift 3
  local name path stdin=/dev/null
  if [[ "$file" == stdin:* ]]; then
    name="stdin_${file#stdin:}"
    stdin="$data/${file#stdin:}"
    path=-
  else
    name="$file"
    path="$data/$file"
  fi
  name="${name//\//_}"
  name="${name%.json}"
  cases=$((cases + 1))
  if [[ "$needs" != - ]]; then
    local -a need_list
    IFS=, read -ra need_list <<<"$needs"
    if ! have "${need_list[@]}"; then
      skipped+=("$name (needs $needs)")
      return 0
    fi
  fi
  [[ "$commands" == static ]] && commands=validate,dot,run,plan
  local -a command_list
  IFS=, read -ra command_list <<<"$commands"
  local c
  for c in "${command_list[@]}"; do run_case "$name" "$c" "$path" "$stdin" "$@"; done
}

media=VideoTestSource,AudioTestSource,VideoConvert,VideoEncoder,Gain

# JSON syntax: the location of the error, line and column.
bad syntax_missing_brace.json static - "malformed JSON at line 4, column 5: .*unexpected '\{'"
bad syntax_unterminated_string.json static - "malformed JSON at line 3, column [0-9]+: .*invalid string"
bad syntax_truncated.json static - "malformed JSON at line 6, column 1: .*unexpected end of input"
bad ../malformed.json validate,run - "malformed JSON at line 4, column 3: "
bad stdin:syntax_missing_brace.json validate,run - "^streamlib: <stdin>: malformed JSON at line 4, column 5"
# Missing or empty files.
bad no_such_graph.json static - "no_such_graph\.json: cannot read: No such file or directory$"
bad empty.json static - "empty\.json: malformed JSON at line 1, column 1: .*unexpected end of input"
# Wrong types at the top level and in the entries.
bad top_level_array.json static - "top_level_array\.json: graph: expected an object with \"processors\" and \"links\", got array$"
bad processors_not_array.json static - ": processors: expected array, got object$"
bad links_not_array.json static - ": links: expected array, got string$"
bad processor_without_type.json static - ": processors\[1\]: missing field 'type'$"
bad processor_id_not_string.json static - ": processors\[0\]\.id: expected string, got integer$"
bad processor_id_invalid.json static $media ": processors\[0\]\.id: .*'my cam!'"
bad config_not_object.json static $media ": processors\[0\]: bars\.config: expected object, got array$"
bad link_not_object.json static $media ": links\[0\]: expected object, got string$"
# Processor types and ids.
bad unknown_type_typo.json static $media \
  ": processors\[0\]\.type: unknown processor type 'VideoTestSorce', did you mean 'VideoTestSource'\? \(known types: "
bad duplicate_id.json static $media ": processors\[2\]\.id: duplicate processor id 'scale' \(also processors\[1\]\)$"
# Links: ports, directions, message types, one link per input, cycles.
bad unknown_input_port.json static $media \
  ": links\[0\]\.to: processor 'enc' \(VideoEncoder\) has no input port 'video' \(inputs: in\)$"
bad unknown_output_port.json static $media \
  ": links\[0\]\.from: processor 'tone' \(AudioTestSource\) has no output port 'out' \(outputs: audio\)$"
bad link_into_an_output.json static $media ": links\[0\]\.to: gain\.out is an output port"
bad link_from_an_input.json static $media ": links\[0\]\.from: gain\.in is an input port"
bad ../wrong_direction.json validate - ": links\[0\](\.from)?: sink\.in is an input port"
bad link_to_missing_processor.json static $media ": links\[0\]\.to: no processor 'ghost' \(to ghost\.in\)$"
bad link_endpoint_without_port.json static $media ": links\[0\]\.from: 'tone' is not a port address"
bad video_into_audio.json static $media \
  ": links\[0\]: message types differ: bars\.video carries VideoFrame, gain\.in takes AudioFrame$"
bad two_links_into_one_input.json static $media ": links\[1\]\.to: input enc\.in already has a link \(links\[0\]\)"
bad cycle_of_three.json static $media ": cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)$"
bad self_loop.json static $media ": links\[0\]: cycle: a -> a$"
# Link configs.
bad capacity_zero.json static $media ": links\[0\]\.capacity: 0 is out of range \[1, [0-9]+\]$"
bad capacity_negative.json static $media ": links\[0\]\.capacity: -4 is out of range"
bad capacity_absurd.json static $media ": links\[0\]\.capacity: 1000000000000 is out of range"
bad unknown_link_policy.json static $media \
  ": links\[0\]\.policy: 'drop_everything' is not one of drop_newest\|drop_oldest\|block$"
bad unknown_link_read_mode.json static $media ": links\[0\]\.read_mode: 'newest' is not one of "
bad unknown_link_field.json static $media ": links\[0\]: unknown field 'read' \(known fields: .*read_mode"
# Processor configs: unknown field, wrong type, out of range, not one of the values.
bad config_unknown_field.json static $media ": processors\[0\]: bars\.config: unknown field 'framerate' \(known fields: .*fps"
bad config_wrong_type.json static $media ": processors\[0\]: bars\.config\.width: expected integer, got string$"
bad config_out_of_range.json static $media ": processors\[0\]: tone\.config\.amplitude: 1\.5 is out of range \[0, 1\]$"
bad config_width_zero.json static $media ": processors\[0\]: bars\.config\.width: 0 must be even and in \[64, 8192\]$"
bad config_width_odd.json static $media ": processors\[0\]: bars\.config\.width: 641 must be even"
bad config_fps_zero.json static $media ": processors\[0\]: bars\.config\.fps: 0 is out of range \[1, 1000\]$"
bad config_fps_zero_denominator.json static $media ": processors\[0\]: bars\.config\.fps: '30/0' has a zero denominator$"
bad config_negative_duration.json static $media ": processors\[0\]: tone\.config\.duration: -2\.5 is out of range"
bad writer_duration_negative.json static VideoTestSource,FileWriter \
  ": processors\[1\]: rec\.config\.duration_s: -1 is out of range \[0, 10000000\]$"
bad enum_scaling_zoom.json static $media \
  ": processors\[1\]: scale\.config\.scaling: 'zoom' is not one of stretch\|letterbox\|crop$"
bad enum_pattern_stripes.json static $media ": processors\[0\]: bars\.config\.pattern: 'stripes' is not one of "
bad enum_pixel_format.json static $media ": processors\[0\]: bars\.config\.format: 'yuv444' is not one of .*i420"
# What a processor's setup would refuse, found with the config (it needs no media): an unknown
# codec, a container, a folder that does not exist.
bad encoder_unknown_codec.json static $media,NullSink \
  ": processors\[1\]: enc\.config\.codec: codec 'h266' is not available \(video encoders: .*libx264"
bad encoder_unknown_option.json static $media,NullSink \
  ": processors\[1\]: enc\.config\.options: libx264 has no option 'keyintt' \(its own options: "
bad writer_unknown_option.json static VideoTestSource,FileWriter \
  ": processors\[1\]: rec\.config\.options: .*never_written\.mp4: the mp4 muxer has no option 'movflag' \(did you mean 'movflags'\?"
bad writer_unknown_extension.json static VideoTestSource,FileWriter \
  ": processors\[1\]: rec\.config\.path: .*never_written\.xyz: unknown container for extension '\.xyz'"
bad writer_unwritable_path.json static VideoTestSource,FileWriter \
  ": processors\[1\]: rec\.config\.path: /proc/nope/x\.mp4: folder /proc/nope does not exist$"
# Several errors in one file: every one, one a line, each located.
bad several_errors.json validate,dot,run $media \
  ": 4 errors:$" \
  "^  processors\[0\]: bars\.config\.fps: 0 is out of range" \
  "^  processors\[1\]: scale\.config\.scaling: 'zoom' is not one of" \
  "^  processors\[2\]\.type: unknown processor type 'AudioMixr', did you mean 'AudioMixer'\?" \
  "^  links\[0\]\.capacity: 0 is out of range"
# Valid graphs whose processors cannot be set up: `run` fails at the start, exit 2, naming the
# processor and the file, codec, device or plugin.
bad encoder_codec_h263.json run $media,NullSink \
  ": processor 'enc' \(VideoEncoder\): setup failed: .*codec 'h263': cannot open for 640x480"
bad source_missing_file.json run FileSource,NullSink \
  ": processor 'play' \(FileSource\): setup failed: .*tests/cli/data/bad/no_such_movie\.mp4: No such file or directory$"
bad source_corrupt_file.json run FileSource,NullSink \
  ": processor 'play' \(FileSource\): setup failed: .*tests/cli/data/bad/corrupt\.mp4: "
if [[ ! -e /dev/video9 ]]; then
  bad camera_missing_device.json run Camera,NullSink \
    ": processor 'cam' \(Camera\): setup failed: .*/dev/video9"
else
  skipped+=("camera_missing_device (/dev/video9 exists here)")
fi
if have Lv2Effect && "$streamlib" plugins http://lv2plug.in/plugins/eg-amp >/dev/null 2>&1; then
  bad lv2_unknown_plugin.json run AudioTestSource,Lv2Effect,NullSink \
    ": processor 'fx' \(Lv2Effect\): setup failed: .*'http://lv2plug\.in/plugins/eg-amq'.*did you mean http://lv2plug\.in/plugins/eg-amp"
else
  skipped+=("lv2_unknown_plugin (needs Lv2Effect and the eg-amp plugin)")
fi
[[ -e "$data/never_written.xyz" ]] && failures+=("writer_unknown_extension: $data/never_written.xyz was created")

echo "catalogue: $cases cases, $runs commands, ${#failures[@]} failed, ${#skipped[@]} skipped"
for s in "${skipped[@]+"${skipped[@]}"}"; do echo "  skipped: $s"; done
if ((${#failures[@]} > 0)); then
  for f in "${failures[@]}"; do echo "  FAILED: $f"; done
  exit 1
fi

# --- Part 2: bad edits while `run --watch` runs --------------------------------------------------

graph="$work/live.json"
out="$work/watch.out"
err="$work/watch.err"
stats="$work/watch.jsonl"
recording="$work/watch.mp4"
media_watch=false
have VideoTestSource FileWriter FileSource NullSink && media_watch=true

# write_graph [EXTRA_PROCESSORS [EXTRA_LINKS [SRC_CONFIG [REC_PATH]]]]: the live graph (EXTRA_*: a
# JSON object, or a list of them, added to the base graph's), written to
# a new file and renamed over the old one (as editors save), so every save is a new version.
# With without_counter=true the counter is left out (its link stays).
without_counter=false
write_graph() {
  local src_config="${3:-\"interval_us\": 1000}" rec_path="${4:-$recording}"
  local -a processors=("{\"id\": \"src\", \"type\": \"SequenceSource\", \"config\": {$src_config}}")
  local -a links=('{"from": "src.out", "to": "count.in", "capacity": 64, "policy": "block"}')
  $without_counter || processors+=('{"id": "count", "type": "Counter", "config": {"expect_sequence": true}}')
  if $media_watch; then
    processors+=('{"id": "bars", "type": "VideoTestSource", "config": {"width": 160, "height": 120, "fps": 10}}')
    processors+=("{\"id\": \"rec\", \"type\": \"FileWriter\", \"config\": {\"path\": \"$rec_path\", \"preset\": \"ultrafast\"}}")
    links+=('{"from": "bars.video", "to": "rec.video", "capacity": 8, "policy": "block"}')
  fi
  [[ -n "${1:-}" ]] && processors+=("$1")
  [[ -n "${2:-}" ]] && links+=("$2")
  local IFS=$'\n'
  python3 -c 'import json, sys
def items(arg):  # one JSON object a line, or a list of them
  out = []
  for line in arg.split("\n"):
    j = json.loads(line)
    out += j if isinstance(j, list) else [j]
  return out
print(json.dumps({"processors": items(sys.argv[1]), "links": items(sys.argv[2])}, indent=2))' \
    "${processors[*]}" "${links[*]}" >"$work/next.json"
  mv "$work/next.json" "$graph"
}

pid=""
wfail() {
  echo "FAIL [watch]: $*"
  echo "--- stdout (last 40 lines)"; tail -n 40 "$out"
  echo "--- stderr"; cat "$err"
  echo "--- last stats line"; tail -n 1 "$stats" 2>/dev/null || true
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  exit 1
}
wait_for() {  # wait_for FILE REGEX [COUNT]: at least COUNT (1) lines of FILE match REGEX
  local deadline=$((SECONDS + limit)) n
  while ((SECONDS < deadline)); do
    n=$(grep -cE "$2" "$1" 2>/dev/null || true)
    ((${n:-0} >= ${3:-1})) && return 0
    kill -0 "$pid" 2>/dev/null || wfail "the run ended while waiting for '$2' in $1"
    sleep 0.2
  done
  wfail "no line matching '$2' in $1 within $limit s"
}
# The last stats interval: "RECEIVED ID=STATE,..." (the counter's count, every processor's state).
last_interval() {
  tail -n 1 "$stats" | python3 -c '
import json, sys
row = json.loads(sys.stdin.read())
procs = {p["id"]: p for p in row["processors"]}
states = sorted(i + "=" + p["state"] for i, p in procs.items())
print(procs["count"]["metrics"]["received"], ",".join(states))'
}
# still_running: two more intervals of stats arrive, the counter's count rises, and every
# processor of the graph that ran before the edit is still there and running (no more, no less).
expected_processors="count=running,src=running"
$media_watch && expected_processors="bars=running,count=running,rec=running,src=running"
still_running() {
  local before lines deadline=$((SECONDS + limit))
  lines=$(wc -l <"$stats")
  before=$(last_interval | cut -d' ' -f1)
  while (($(wc -l <"$stats") < lines + 2)); do
    ((SECONDS < deadline)) || wfail "no new stats within $limit s after: $1"
    kill -0 "$pid" 2>/dev/null || wfail "the run ended after: $1"
    sleep 0.2
  done
  read -r after states < <(last_interval)
  ((after > before)) || wfail "the counter stopped at $after after: $1"
  [[ "$states" == "$expected_processors" ]] || wfail "processors '$states', want '$expected_processors' after: $1"
  echo "  ok: $1 (counter $before -> $after)"
}
rejections=0
# bad_edit WHAT REGEX: the edit just saved is rejected naming the item, and the run goes on.
bad_edit() {
  rejections=$((rejections + 1))
  wait_for "$err" "edit rejected; still running the previous graph" "$rejections"
  grep -qE "$2" "$err" || wfail "$1: no line matching '$2' on stderr"
  still_running "$1"
}

write_graph
timeout -k 10 600 "$streamlib" run "$graph" --watch --stats-json "$stats" >"$out" 2>"$err" &
pid=$!
wait_for "$stats" '"state":"running"' 2
still_running "started"

# 1. A save caught mid-write: the first half of the file, then the rest.
cp "$graph" "$work/whole.json"
head -c "$(($(wc -c <"$work/whole.json") / 2))" "$work/whole.json" >"$work/next.json"
mv "$work/next.json" "$graph"  # in one step, so that the run sees only the half file
bad_edit "syntax error mid-save" "^streamlib: $graph: malformed JSON at line [0-9]+, column [0-9]+"
cp "$work/whole.json" "$work/next.json" && mv "$work/next.json" "$graph"
wait_for "$out" "$graph: saved, no changes"
# 2. An unknown processor type added.
write_graph '{"id": "audit", "type": "Countr"}'
bad_edit "unknown type added" \
  "^streamlib: $graph: processors\[[0-9]+\]\.type: unknown processor type 'Countr', did you mean 'Counter'\?"
# 3. A link to a port the processor does not have.
write_graph '{"id": "audit", "type": "NullSink"}' '{"from": "src.out", "to": "audit.nope"}'
bad_edit "link to a missing port" "^streamlib: $graph: links\[[0-9]+\]\.to: processor 'audit' \(NullSink\) has no input port 'nope'"
# 4. A config out of range on the running source.
write_graph "" "" '"interval_us": 1000, "payload_bytes": 4'
bad_edit "config out of range on a running processor" \
  "^streamlib: $graph: processors\[0\]: src\.config\.payload_bytes: 4 is out of range \[8, [0-9]+\]"
# 5. The counter removed while its link stays.
without_counter=true write_graph
bad_edit "a processor removed under its link" "^streamlib: $graph: links\[0\]\.to: no processor 'count'"
# 6. An empty save (an editor that truncates, then writes).
: >"$graph"
bad_edit "empty file" "^streamlib: $graph: malformed JSON at line 1, column 1"
if $media_watch; then
  # 7. A live change the recorder refuses (its output file while it records).
  write_graph "" "" "" "$work/elsewhere.mp4"
  bad_edit "a refused live change" \
    "^streamlib: $graph: processor 'rec' refused the new config: .*watch\.mp4: .path. cannot change while"
  [[ -e "$work/elsewhere.mp4" ]] && wfail "the refused change created $work/elsewhere.mp4"
  # 8. A processor whose setup fails (a missing file) added with a branch: nothing of it stays.
  write_graph '[{"id": "play", "type": "FileSource", "config": {"path": "no_such_movie.mp4"}}, {"id": "sink", "type": "NullSink"}]' \
    '{"from": "play.video", "to": "sink.in"}'
  bad_edit "a processor whose setup fails" \
    "^streamlib: $graph: .*processor 'play' \(FileSource\): setup failed: .*no_such_movie\.mp4: No such file or directory"
fi

# A good edit is still applied after all that.
write_graph '{"id": "audit", "type": "NullSink"}' '{"from": "src.out", "to": "audit.in"}'
wait_for "$out" "add processor audit \(NullSink\)"
wait_for "$out" "$graph: applied, checksum 0x[0-9a-f]{16}"
expected_processors="audit=running,${expected_processors}"
still_running "a good edit after the bad ones"

kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
((rc == 0)) || wfail "exit code $rc after SIGINT, want 0"
pid=""
grep -q "stopped: interrupted (SIGINT)" "$out" || wfail "no 'stopped: interrupted (SIGINT)' line"
# Nothing lost: no link ever dropped, the counter saw no gap and every number the source sent
# (up to what was still in flight at the last interval), every interval was written.
python3 - "$stats" <<'PY' || wfail "stats check"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[-1].get("final") is True, "the last interval is not marked final"
dropped = sum(l["dropped"] for r in rows for l in r["links"])
assert dropped == 0, f"{dropped} messages dropped"
procs = {p["id"]: p for p in rows[-1]["processors"]}
count, src = procs["count"]["metrics"], procs["src"]["metrics"]
assert count["gaps"] == 0 and count["reordered"] == 0, count
in_flight = src["emitted"] - count["received"]
assert 0 <= in_flight <= 64, (src, count)
assert all(p["state"] != "error" for r in rows for p in r["processors"]), "a processor failed"
print(f"  ok: {len(rows)} intervals, {count['received']} counted, none dropped or missing")
PY
if $media_watch && command -v ffprobe >/dev/null; then
  frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 \
    "$recording" 2>"$work/probe.err") || wfail "ffprobe cannot read the recording: $(cat "$work/probe.err")"
  ((frames >= 10)) || wfail "the recording has $frames frames, want at least 10"
  echo "  ok: the recording plays, $frames frames"
fi
echo "ok: $cases catalogue cases, $rejections bad edits rejected while running"
