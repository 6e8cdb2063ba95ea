#!/usr/bin/env bash
# MMIF load+validate+dump vs bare jansson, and the tokenizer request.
# usage: bench/10-mmif.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
samples="${CLAMS_SHARED_DIR:-$here/../tests/data}/clams-reference/mmif-spec/samples-1.1.0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin="$build/bench/mmif_bench"
[ -x "$bin" ] || bin="$build/mmif_bench"
# ~52 MB: one view of 300k Token annotations (compact).
"$bin" --generate "$tmp/big.mmif.json" 300000
# The tokenizer request: 165k words (~1 MB text) in, one Token per word out.
"$bin" --runs 5 --tokens "$tmp/text.mmif.json" 165000 \
       "$samples/everything.mmif.json" "$tmp/big.mmif.json"
