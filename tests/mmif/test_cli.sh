#!/bin/sh
# Runs the `clams` binary: exit codes and output of --help, --version,
# validate and source. usage: test_cli.sh CLAMS CORPUS_DIR SAMPLES_DIR
set -u
clams=$1 corpus=$2 samples=$3
fails=0
check() { # check DESC EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); fi
}
has() { # has DESC FILE TEXT
    if ! grep -qF -- "$3" "$2"; then echo "FAIL: $1: no '$3' in:"; cat "$2"; fails=$((fails + 1)); fi
}

"$clams" --help > out.txt 2>&1; check help 0 $?
has help out.txt "validate"; has help out.txt "source"
"$clams" --version > out.txt 2>&1; check version 0 $?
has version out.txt "(based on MMIF spec: 1.1.0)"
"$clams" > out.txt 2>&1; check "no args" 2 $?
"$clams" frobnicate > out.txt 2>&1; check "unknown command" 2 $?
"$clams" validate > out.txt 2>&1; check "validate no files" 2 $?
"$clams" validate --bogus x > out.txt 2>&1; check "validate bad option" 2 $?

"$clams" validate "$samples"/*.json "$corpus"/valid/*.json > out.txt 2>&1
check "validate valid" 0 $?
printf '{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},\n  "documents": [,]}' > syntax.json
"$clams" validate "$samples/everything.mmif.json" syntax.json \
    "$corpus/invalid/minlen_app_6latin.json" > out.txt 2>&1
check "validate invalid" 1 $?
has "syntax error" out.txt "syntax.json: line 2, column 17:"
has "schema error" out.txt "minlen_app_6latin.json: /views/0/metadata/app:"
has "schema rule" out.txt "(rule: minLength)"
if grep -q everything out.txt; then echo "FAIL: valid file reported"; fails=$((fails + 1)); fi
"$clams" validate - < "$samples/bars-tones-slates.mmif.json" > out.txt 2>&1
check "validate stdin" 0 $?
"$clams" validate /nonexistent.json > out.txt 2>&1; check "validate missing" 1 $?

"$clams" source audio:/data/a.mp3 video/mp4:/data/b.mp4 > src.json 2>err.txt
check "source" 0 $?
"$clams" validate src.json > out.txt 2>&1; check "source output valid" 0 $?
has "source d1" src.json '"id": "d1"'
has "source d2" src.json '"id": "d2"'
has "source mime" src.json '"mime": "audio"'
has "source mime full" src.json '"mime": "video/mp4"'
has "source type" src.json '"@type": "http://mmif.clams.ai/vocabulary/AudioDocument/v1"'
has "source type 2" src.json '"@type": "http://mmif.clams.ai/vocabulary/VideoDocument/v1"'
has "source location" src.json '"location": "file:///data/a.mp3"'
has "source views" src.json '"views": []'
"$clams" source --prefix /data/ image:x/c.jpg text:d.txt > src.json 2>err.txt
check "source prefix" 0 $?
has "prefix joined" src.json '"location": "file:///data/x/c.jpg"'
has "text doc" src.json 'TextDocument/v1'
"$clams" source -s http -o out2.json video:host/v.mp4 > /dev/null 2>err.txt
check "source scheme" 0 $?
has "scheme" out2.json '"location": "http://host/v.mp4"'
"$clams" source audio:rel.mp3 > out.txt 2>err.txt; check "relative without prefix" 2 $?
has "usage on stderr" err.txt "usage: clams source"
"$clams" source --prefix rel audio:a.mp3 > out.txt 2>&1; check "relative prefix" 2 $?
"$clams" source --prefix /p audio:/abs.mp3 > out.txt 2>&1; check "absolute with prefix" 2 $?
"$clams" source movie:/a.mp4 > out.txt 2>&1; check "unknown type" 2 $?
"$clams" source /a.mp4 > out.txt 2>&1; check "no type" 2 $?
"$clams" source > out.txt 2>&1; check "no documents" 2 $?
"$clams" source --bogus > out.txt 2>&1; check "bad option" 2 $?

[ "$fails" -eq 0 ] && echo "all CLI checks passed"
exit "$fails"
