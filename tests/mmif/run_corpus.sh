#!/bin/sh
# Differential corpus test: clams-c's verdict on every corpus file and the
# four spec samples must equal python-jsonschema's (and the corpus folder's).
# usage: run_corpus.sh VERDICTS_BIN PYTHON SCHEMA CORPUS_DIR SAMPLES_DIR
set -eu
bin=$1 py=$2 schema=$3 corpus=$4 samples=$5
"$py" -c 'import jsonschema' || { echo "FAIL: $py has no jsonschema"; exit 1; }
"$bin" "$corpus"/valid/*.json "$corpus"/invalid/*.json "$samples"/*.json > verdicts.out
"$py" "$(dirname "$0")/compare_verdicts.py" "$schema" 150 < verdicts.out
