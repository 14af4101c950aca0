#!/usr/bin/env bash
# Compiles a file that must fail, and checks that the compiler reports exactly one error and
# that it contains the expected sentence (a readable static_assert, not pages of templates).
#   expect_one_error.sh "EXPECTED TEXT" COMPILER ARGS...
set -u
expected="$1"
shift
out="$("$@" 2>&1)"
rc=$?
errors=$(grep -c "error:" <<<"$out")
if [[ $rc -eq 0 ]]; then
  echo "FAIL: the compiler accepted the file"
  exit 1
fi
if ! grep -qF "$expected" <<<"$out"; then
  printf 'FAIL: expected the message %s in:\n%s\n' "$expected" "$out"
  exit 1
fi
if [[ $errors -ne 1 ]]; then
  printf 'FAIL: %s errors instead of one:\n%s\n' "$errors" "$out"
  exit 1
fi
echo "ok: one error, $(wc -l <<<"$out") lines of compiler output"
