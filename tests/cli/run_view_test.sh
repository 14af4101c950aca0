#!/usr/bin/env bash
# `streamlib run`'s live view, as a user sees it:
#   1. on a real terminal (a tmux pane, read back with capture-pane) the view redraws in place
#      about once a second: one header at the top of the screen, each processor and link on its
#      own row with its rates, the time and the progress bar moving on; at the end the last view
#      stays and the reason it stopped follows; exit code 0;
#   2. with stdout not a terminal it prints plain lines: one block per interval, no escape codes.
# Every wait is bounded; the figures checked are rates that only need the source to run.
# Needs tmux. Usage: run_view_test.sh STREAMLIB WORKDIR (run from the project's root).
set -euo pipefail
streamlib="$(realpath "$1")"
work="$(realpath -m "$2")"
root="$(pwd)"
graph="examples/graphs/chain.json"  # SequenceSource (500 msgs/s) -> Counter
rm -rf "$work" && mkdir -p "$work"

fail() {
  echo "FAIL: $*"
  [[ -f "$work/pane.txt" ]] && { echo "--- last capture"; cat "$work/pane.txt"; }
  exit 1
}
command -v tmux >/dev/null || fail "tmux is not installed (bash scripts/install-deps.sh)"

# --- 1. On a terminal ------------------------------------------------------------------------
sock="$work/tmux.sock"  # a private tmux server, gone with the test
cleanup() { tmux -S "$sock" kill-server >/dev/null 2>&1 || true; }
trap cleanup EXIT
tmux -S "$sock" -f /dev/null new-session -d -s view -x 150 -y 40 \
  "cd $(printf '%q' "$root") && $(printf '%q' "$streamlib") run $graph --duration 5; echo \"rc=\$?\" > $(printf '%q' "$work/rc"); sleep 60"

capture() { tmux -S "$sock" capture-pane -p -t view >"$work/pane.txt" 2>/dev/null || true; }
# The time in the view's header line ("streamlib run  2.0s  running ..."), or "" if none yet.
view_time() { sed -n '1s/^streamlib run  *\([0-9.]*\)s .*/\1/p' "$work/pane.txt"; }
# CALLS/S of a processor's row.
calls_of() { awk -v id="$1" '$1 == id { print $4; exit }' "$work/pane.txt"; }

wait_for_view_after() {  # wait_for_view_after T: until the header shows a time > T (20 s at most)
  local deadline=$((SECONDS + 20)) t
  while ((SECONDS < deadline)); do
    capture
    t="$(view_time)"
    if [[ -n "$t" ]] && awk -v a="$t" -v b="$1" 'BEGIN { exit !(a > b) }'; then
      echo "$t"
      return 0
    fi
    sleep 0.2
  done
  fail "the view's header did not show a time after ${1}s within 20 s"
}

check_one_view() {  # the screen holds one view, at the top, with every row
  [[ "$(grep -c '^  PROCESSOR ' "$work/pane.txt")" == 1 ]] ||
    fail "expected exactly one PROCESSOR header on the screen (a view redrawn in place)"
  [[ "$(grep -c '^  LINK ' "$work/pane.txt")" == 1 ]] || fail "expected exactly one LINK header"
  grep -q '^  numbers  *SequenceSource  *running ' "$work/pane.txt" || fail "no running row for 'numbers'"
  grep -q '^  checker  *Counter  *running ' "$work/pane.txt" || fail "no running row for 'checker'"
  grep -qE '^  numbers\.out -> checker\.in +[0-9]+ +[0-9]+/32 +0 ' "$work/pane.txt" ||
    fail "no row for the link numbers.out -> checker.in with its rate, fill and drops"
  grep -qE '\[[#.]+\] +[0-9]+% duration' "$work/pane.txt" || fail "no progress bar for --duration"
  local calls
  calls="$(calls_of numbers)"
  [[ "$calls" =~ ^[0-9]+$ ]] && ((calls > 100)) || fail "numbers' CALLS/S is '$calls', expected about 500"
}

first="$(wait_for_view_after 0)"
check_one_view
second="$(wait_for_view_after "$first")"  # a later interval replaced the first in place
check_one_view
echo "ok: terminal view redrawn in place (${first}s, then ${second}s)"

deadline=$((SECONDS + 30))
until [[ -s "$work/rc" ]]; do
  ((SECONDS < deadline)) || fail "the run did not end within 30 s of its 5 s duration"
  sleep 0.2
done
capture
[[ "$(cat "$work/rc")" == "rc=0" ]] || fail "exit code: $(cat "$work/rc"), expected rc=0"
grep -q '^streamlib run: stopped: duration 5s reached' "$work/pane.txt" || fail "no 'stopped: duration' line at the end"
grep -qE '\[#+\] 100% duration' "$work/pane.txt" || fail "the last view does not show the bar at 100%"
echo "ok: the last view stays, with why it stopped; exit code 0"

# --- 2. Not a terminal: plain lines ----------------------------------------------------------
rm -f "$work/pane.txt"
timeout 60 "$streamlib" run "$graph" --duration 3 >"$work/plain.txt" 2>"$work/plain_err.txt" ||
  fail "plain run exited with $?: $(cat "$work/plain_err.txt")"
if grep -q $'\x1b' "$work/plain.txt"; then fail "escape codes in the plain output"; fi
blocks="$(grep -c '^  PROCESSOR ' "$work/plain.txt")"
((blocks >= 2)) || fail "expected a view per interval (>= 2 in 3 s), got $blocks"
[[ "$(grep -c '^streamlib run  *[0-9.]*s ' "$work/plain.txt")" == "$blocks" ]] ||
  fail "each block does not start with its header line"
grep -q '^streamlib run: stopped: duration 3s reached' "$work/plain.txt" || fail "no 'stopped' line"
echo "ok: plain lines when stdout is not a terminal ($blocks intervals)"
