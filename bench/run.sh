#!/usr/bin/env bash
# Runs every benchmark script (bench/NN-*.sh) against a build folder
# (10-mmif, 15-json-parse, 20-http, 30-production, 40-media, 50-pipeline).
# Usage: bench/run.sh [BUILD_DIR]. Results go to stdout and to bench/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
mkdir -p "$here/results"
for s in "$here"/[0-9]*.sh; do
    [ -e "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s" "$build" | tee "$here/results/$(basename "$s" .sh).txt"
done
