#!/usr/bin/env bash
# Every example graph in examples/graphs/ runs here, with `streamlib run`, for a couple of
# seconds — what a user who copies one gets. This machine has no camera, screen or sound card,
# so, as the examples' README says, stand-ins take the devices' place and the test says which:
#   Camera        -> VideoTestSource (the graph is rewritten: same id, same links)
#   AudioOutput   -> SDL's disk driver (SDL_AUDIODRIVER=disk) writing a raw file, checked non-silent
#   AudioCapture  -> the disk driver reading a raw file of a 440 Hz sine made here
#   Display       -> Xvfb (xvfb-run)
# FileSource inputs are made with ffmpeg; every file a graph writes is checked with ffprobe.
# Each run must exit 0 within its bound.
# Usage: run_examples_test.sh STREAMLIB WORKDIR (from the project's root). Needs ffmpeg, ffprobe,
# python3 and xvfb-run.
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
root="$(pwd)"
ffmpeg="${FFMPEG:-ffmpeg}"
ffprobe="${FFPROBE:-ffprobe}"
rm -rf "$work" && mkdir -p "$work"

failed=0
fail() {
  echo "FAIL [$1]: $2"
  failed=1
}
command -v xvfb-run >/dev/null || { echo "FAIL: xvfb-run missing (bash scripts/install-deps.sh)"; exit 1; }

count=0
for graph in "$root"/examples/graphs/*.json; do
  stem="$(basename "$graph" .json)"
  dir="$work/$stem"
  mkdir -p "$dir/build"
  cd "$dir"
  count=$((count + 1))
  notes=()

  # Camera -> VideoTestSource, keeping ids and links.
  python3 - "$graph" graph.json <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
for p in g.get("processors", []):
    if p.get("type") == "Camera":
        c = p.get("config", {})
        p["type"] = "VideoTestSource"
        p["config"] = {"width": c.get("width", 640), "height": c.get("height", 480), "fps": c.get("fps", 30),
                       "pattern": "ball", "live": True}
json.dump(g, open(sys.argv[2], "w"), indent=1)
PY
  grep -q '"Camera"' "$graph" && notes+=("Camera -> VideoTestSource")

  env_vars=()
  if grep -qE '"Audio(Output|Capture)"' graph.json; then
    env_vars+=(SDL_AUDIODRIVER=disk "SDL_DISKAUDIOFILE=$dir/speaker.raw" "SDL_DISKAUDIOFILEIN=$dir/mic.raw")
    # 10 s of a 440 Hz sine, float32 stereo at 48 kHz, for a microphone to read.
    python3 -c "
import array, math
a = array.array('f', (0.3 * math.sin(2 * math.pi * 440 * (i // 2) / 48000) for i in range(2 * 480000)))
open('$dir/mic.raw', 'wb').write(a.tobytes())"
    notes+=("SDL disk audio")
  fi
  if grep -q '"FileSource"' graph.json; then
    # The input files it names: 2 s of test video and a tone.
    for input in $(python3 -c "
import json
g = json.load(open('graph.json'))
print(' '.join(p['config']['path'] for p in g['processors'] if p['type'] == 'FileSource'))"); do
      "$ffmpeg" -v error -y -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
        -t 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac "$input" || fail "$stem" "could not make $input"
    done
    notes+=("FileSource input made by ffmpeg")
  fi
  runner=()
  if grep -q '"Display"' graph.json; then
    runner=(xvfb-run -a -s "-screen 0 1280x720x24")
    notes+=("Display under Xvfb")
  fi

  echo "== $stem${notes[*]:+ (${notes[*]})}"
  rc=0
  env "${env_vars[@]}" timeout 60 "${runner[@]}" "$streamlib" run graph.json --duration 2 --quiet \
    >out.txt 2>err.txt || rc=$?
  if ((rc != 0)); then
    fail "$stem" "exit code $rc: $(tail -n 5 err.txt)"
    continue
  fi

  # Every file it wrote plays: ffprobe finds a stream with packets in it.
  for output in $(python3 -c "
import json
g = json.load(open('graph.json'))
print(' '.join(p['config']['path'] for p in g['processors']
               if p['type'] in ('FileWriter', 'Mp4Writer') and 'path' in p.get('config', {})))"); do
    packets="$("$ffprobe" -v error -select_streams 0 -count_packets -show_entries stream=nb_read_packets \
      -of csv=p=0 "$output" 2>/dev/null || true)"
    if [[ ! "$packets" =~ ^[0-9]+$ ]] || ((packets == 0)); then
      fail "$stem" "$output: ffprobe found no packets ('$packets')"
    else
      echo "   $output: $packets packets in the first stream"
    fi
  done
  # A speaker played sound, not only silence.
  if [[ -f speaker.raw ]] && grep -q '"AudioOutput"' graph.json; then
    loud="$(python3 -c "
import array
a = array.array('f'); a.frombytes(open('speaker.raw', 'rb').read())
print(sum(1 for x in a if abs(x) > 1e-3))")"
    if ((loud == 0)); then fail "$stem" "the speaker's file holds only silence"; else echo "   speaker: $loud samples of sound"; fi
  fi
  echo "   ok"
done
cd "$root"
((count > 0)) || { echo "FAIL: no example graphs"; exit 1; }
((failed == 0)) || exit 1
echo "all $count example graphs ran"
