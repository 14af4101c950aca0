#!/usr/bin/env bash
# Runs one command and checks its exit code, stdout and stderr (used by tests/cli/CMakeLists.txt).
#
#   cli_test.sh [--rc N] [--stdin FILE] [--stdout RE]... [--stderr RE]... [--stdout-lines N]
#               [--stderr-lines N] [--absent PATH] -- COMMAND [ARG...]
#
#   --rc N            expected exit code (default 0)
#   --stdin FILE      feed FILE on stdin (default: /dev/null, so nothing waits on a terminal)
#   --stdout RE       an extended regex (bash =~) that a line of stdout must match; several are
#   --stderr RE       matched in the order given, each on a later line than the one before, so
#                     a test can check that steps are printed in order
#   --stdout-lines N  exact number of lines on stdout / stderr (errors are one line each)
#   --stderr-lines N
#   --absent PATH     PATH must not exist afterwards (a rejected command creates no output)
set -u

rc_expected=0
stdin_file=/dev/null
stdout_res=()
stderr_res=()
stdout_lines=""
stderr_lines=""
absent=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rc) rc_expected="$2"; shift 2 ;;
    --stdin) stdin_file="$2"; shift 2 ;;
    --stdout) stdout_res+=("$2"); shift 2 ;;
    --stderr) stderr_res+=("$2"); shift 2 ;;
    --stdout-lines) stdout_lines="$2"; shift 2 ;;
    --stderr-lines) stderr_lines="$2"; shift 2 ;;
    --absent) absent+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "cli_test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
if [[ $# -eq 0 ]]; then
  echo "cli_test.sh: no command after --" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$@" <"$stdin_file" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?

failures=()

# Checks that the regexes match lines of `file` in order.
check_in_order() {
  local stream="$1" file="$2"
  shift 2
  local -a lines=()
  mapfile -t lines <"$file"
  local pos=0 re found i
  for re in "$@"; do
    found=""
    for ((i = pos; i < ${#lines[@]}; i++)); do
      if [[ "${lines[i]}" =~ $re ]]; then
        found=$i
        break
      fi
    done
    if [[ -z "$found" ]]; then
      if ((pos > 0)); then
        failures+=("$stream: no line after line $pos matches: $re")
      else
        failures+=("$stream: no line matches: $re")
      fi
      return
    fi
    pos=$((found + 1))
  done
}

count_lines() { awk 'END { print NR }' "$1"; }

if [[ "$rc" != "$rc_expected" ]]; then
  failures+=("exit code: expected $rc_expected, got $rc")
fi
check_in_order stdout "$tmp/stdout" "${stdout_res[@]+"${stdout_res[@]}"}"
check_in_order stderr "$tmp/stderr" "${stderr_res[@]+"${stderr_res[@]}"}"
if [[ -n "$stdout_lines" && "$(count_lines "$tmp/stdout")" != "$stdout_lines" ]]; then
  failures+=("stdout: expected $stdout_lines lines, got $(count_lines "$tmp/stdout")")
fi
if [[ -n "$stderr_lines" && "$(count_lines "$tmp/stderr")" != "$stderr_lines" ]]; then
  failures+=("stderr: expected $stderr_lines lines, got $(count_lines "$tmp/stderr")")
fi
for path in "${absent[@]+"${absent[@]}"}"; do
  if [[ -e "$path" ]]; then
    failures+=("$path exists but the command should not have created it")
  fi
done

if [[ ${#failures[@]} -eq 0 ]]; then
  exit 0
fi
echo "command: $*"
for f in "${failures[@]}"; do
  echo "FAILED: $f"
done
echo "--- exit code: $rc"
echo "--- stdout:"
cat "$tmp/stdout"
echo "--- stderr:"
cat "$tmp/stderr"
exit 1
