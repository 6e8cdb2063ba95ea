#!/usr/bin/env bash
# `clams run` (docs/run.md) side by side with the other ways to run a chain.
# usage: bench/70-run.sh BUILD_DIR
# Makes VIDEOS (default 20) short videos with the ffmpeg tool (6 s, 640x360,
# 25 fps, H.264 veryfast, three 2 s shots, the first with text) and reports
# the median of RUNS runs (default 3) of:
#  - per item, file mode: for each video `clams source`, then
#    `shot-detector annotate` and `ocr annotate` (each app started, and its
#    model loaded, for each item), one item at a time: clams-kitchen's default
#    way without the container start; items per minute;
#  - clams run: the same chain, the apps started once by the runner as
#    production servers (WORKERS each, default 2), depth-first; items per
#    minute, app start included;
#  - the runner's overhead: the same requests on the same two warm servers,
#    sent by `clams run` (URL stages, --concurrency WORKERS) and by a bare
#    script (xargs -P WORKERS over `clams source | curl | curl`, no outputs
#    kept but the last); wall time of the runner / wall time of the script.
#    Target (issue 20): at most 5 % more;
#  - TOKENIZER_ITEMS (default 1000) small text documents through the
#    tokenizer from a manifest: items per second and the runner's peak RSS.
# OMP_THREAD_LIMIT=1 for tesseract, as bench/50-pipeline.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
shots=$build/examples/shot-detector/shot-detector
ocr=$build/examples/ocr/ocr
tok=$build/examples/tokenizer/tokenizer
clams=$build/bin/clams
for b in "$shots" "$ocr" "$tok" "$clams"; do
    [ -x "$b" ] || { echo "70-run: $b not built (CLAMS_MEDIA off, or no tesseract?)"; exit 0; }
done
runs=${RUNS:-3}
nvid=${VIDEOS:-20}
workers=${WORKERS:-2}
ntok=${TOKENIZER_ITEMS:-1000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export OMP_THREAD_LIMIT=${OMP_THREAD_LIMIT:-1}
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

# 1. The videos.
mkdir -p "$work/videos"
txt="fontfile=$font:fontsize=40:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:text='ARCHIVE'"
ffmpeg -nostdin -y -v error -f lavfi -i "color=c=0x203080:s=640x360:r=25:d=2" \
    -f lavfi -i "testsrc2=s=640x360:r=25:d=2" -f lavfi -i "smptebars=s=640x360:r=25:d=2" \
    -filter_complex "[0]drawtext=$txt[a];[a][1][2]concat=n=3:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -c:v libx264 -preset veryfast "$work/one.mp4"
for i in $(seq -w 1 "$nvid"); do cp "$work/one.mp4" "$work/videos/v$i.mp4"; done
cat > "$work/pipeline.json" <<EOF
{"stages": [
  {"app": "$shots", "params": {"device": "cpu"}, "env": {"CLAMS_GUNICORN_WORKERS": "$workers"}},
  {"app": "$ocr", "params": {"tfLabel": ["shot"]}, "env": {"CLAMS_GUNICORN_WORKERS": "$workers"}}
]}
EOF

per_item() {
    local d=$work/file; rm -rf "$d"; mkdir -p "$d"
    for v in "$work"/videos/*.mp4; do
        local b; b=$(basename "$v" .mp4)
        "$clams" source "video:$v" > "$d/$b.0.mmif"
        CLAMS_LOGLEVEL=error "$shots" annotate "$d/$b.0.mmif" "$d/$b.1.mmif" --param device=cpu
        CLAMS_LOGLEVEL=error "$ocr" annotate "$d/$b.1.mmif" "$d/$b.2.mmif" --param tfLabel=shot
    done
}
with_run() { rm -rf "$work/run"; "$clams" run "$work/pipeline.json" "$work/videos" --out "$work/run" -q > /dev/null 2>&1; }

# 2. Per item against clams run, alternating.
: > "$work/t.file"; : > "$work/t.run"
for _ in $(seq "$runs"); do
    t0=$(now); per_item; t1=$(now); echo "$t1 - $t0" | bc >> "$work/t.file"
    t0=$(now); with_run; t1=$(now); echo "$t1 - $t0" | bc >> "$work/t.run"
done
tf=$(median < "$work/t.file"); tr=$(median < "$work/t.run")
printf "per item, file mode:  %6.1f s for %d videos = %5.1f items/min\n" "$tf" "$nvid" "$(echo "$nvid * 60 / $tf" | bc -l)"
printf "clams run (%d+%d workers): %6.1f s for %d videos = %5.1f items/min (x%.1f)\n" "$workers" "$workers" \
    "$tr" "$nvid" "$(echo "$nvid * 60 / $tr" | bc -l)" "$(echo "$tf / $tr" | bc -l)"

# 3. Overhead: the same requests on warm servers, runner against a script.
serve() { # BINARY PORT
    CLAMS_GUNICORN_WORKERS=$workers "$1" --production --host 127.0.0.1 --port "$2" > "$work/$2.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 400); do curl -fsS -o /dev/null "http://127.0.0.1:$2/readyz" 2>/dev/null && return 0; sleep 0.05; done
    echo "70-run: $1 did not start" >&2; exit 1
}
p1=$(free_port); serve "$shots" "$p1"; p2=$(free_port); serve "$ocr" "$p2"
cat > "$work/urls.json" <<EOF
{"stages": [{"app": "http://127.0.0.1:$p1/", "params": {"device": "cpu"}},
            {"app": "http://127.0.0.1:$p2/", "params": {"tfLabel": ["shot"]}}]}
EOF
cat > "$work/one.sh" <<EOF
#!/bin/sh
set -e
"$clams" source "video:\$1" \
  | curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$p1/?device=cpu" \
  | curl -fsS -X POST -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$p2/?tfLabel=shot" \
  > "$work/script/\$(basename "\$1" .mp4).mmif"
EOF
chmod +x "$work/one.sh"
: > "$work/t.script"; : > "$work/t.urls"
for _ in $(seq "$runs"); do
    rm -rf "$work/script"; mkdir -p "$work/script"
    t0=$(now); ls "$work"/videos/*.mp4 | xargs -P "$workers" -n 1 "$work/one.sh"; t1=$(now)
    echo "$t1 - $t0" | bc >> "$work/t.script"
    rm -rf "$work/urls"
    t0=$(now); "$clams" run "$work/urls.json" "$work/videos" --out "$work/urls" --concurrency "$workers" -q > /dev/null 2>&1; t1=$(now)
    echo "$t1 - $t0" | bc >> "$work/t.urls"
done
ts=$(median < "$work/t.script"); tu=$(median < "$work/t.urls")
printf "warm servers, bare script (xargs -P %d, curl): %6.2f s\n" "$workers" "$ts"
printf "warm servers, clams run --concurrency %d:      %6.2f s (overhead %+.1f %%)\n" "$workers" "$tu" \
    "$(echo "($tu / $ts - 1) * 100" | bc -l)"

# 4. Tokenizer items from a manifest.
mkdir -p "$work/text"
for i in $(seq 0 19); do echo "Item $i says hello. It has two sentences." > "$work/text/d$i.txt"; done
{ echo "asset_id,media_filename"; for i in $(seq 0 $((ntok - 1))); do echo "t$i,text/d$((i % 20)).txt"; done; } > "$work/m.csv"
echo "{\"stages\": [{\"app\": \"$tok\"}]}" > "$work/tok.json"
: > "$work/t.tok"; : > "$work/rss.tok"
for _ in $(seq "$runs"); do
    rm -rf "$work/tokout"
    t0=$(now); line=$("$clams" run "$work/tok.json" "$work/m.csv" --out "$work/tokout" -q 2>&1 | tail -1); t1=$(now)
    echo "$t1 - $t0" | bc >> "$work/t.tok"
    echo "$line" | sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' >> "$work/rss.tok"
done
tt=$(median < "$work/t.tok"); rss=$(median < "$work/rss.tok")
printf "tokenizer, %d items: %6.2f s = %5.0f items/s, runner peak RSS %d KiB\n" "$ntok" "$tt" \
    "$(echo "$ntok / $tt" | bc -l)" "$rss"
