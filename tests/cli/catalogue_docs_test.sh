#!/usr/bin/env bash
# Every config field of every processor type the CLI knows is documented as
# `streamlib processors NAME` shows it: a description, and how a live change applies (live,
# restart or refused). Usage: catalogue_docs_test.sh STREAMLIB MIN_TYPES
set -euo pipefail
"$1" processors --json >"${TMPDIR:-/tmp}/streamlib-catalogue.$$.json"
trap 'rm -f "${TMPDIR:-/tmp}/streamlib-catalogue.$$.json"' EXIT
python3 - "${TMPDIR:-/tmp}/streamlib-catalogue.$$.json" "$2" <<'PY'
import json, sys
types = json.load(open(sys.argv[1]))
if len(types) < int(sys.argv[2]):
    sys.exit(f"only {len(types)} processor types in the catalogue, expected at least {sys.argv[2]}")
missing = [f"{t['type']}.{f['name']}" for t in types for f in t["config"]
           if not f.get("description") or f.get("reload") not in ("live", "restart", "refused")]
if missing:
    sys.exit("config fields without a description or reload: " + ", ".join(missing))
print(f"{len(types)} types, {sum(len(t['config']) for t in types)} fields, all documented")
PY
