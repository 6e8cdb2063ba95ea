#!/usr/bin/env bash
# The cost of parsing a request body: jansson (what the pipeline uses)
# against simdjson on the ~2 KB and ~1 MB bodies of 20-http.sh.
# Usage: bench/15-json-parse.sh BUILD_DIR. Skipped (exit 0) when the build
# has no json_parse_floor (simdjson not installed).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
prog="$build/bench/json_parse_floor"
if [ ! -x "$prog" ]; then
    echo "json_parse_floor not built (libsimdjson-dev missing): skipped"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$(dirname "$0")/make_bodies.py" "$work"
"$prog" --runs 5 --iters 2000 "$work/small.json" "$work/large.json"
