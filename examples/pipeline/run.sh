#!/usr/bin/env bash
# The shot detector and the OCR app chained over HTTP, both served with
# --production: makes a test video, sends `clams source video:...` through
# shot-detector then ocr with curl, and prints `clams describe` of the result
# and the text found in each shot. See docs/pipeline.md.
# usage: examples/pipeline/run.sh [BUILD_DIR] [WORK_DIR]
#   BUILD_DIR: a clams-c build (default: build); WORK_DIR: where the video and
#   the MMIF files go (default: a new temporary folder, kept).
# Environment: SHOT_WORKERS / OCR_WORKERS (default 2 each), VIDEO (use this
# video instead of making one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
work=${2:-$(mktemp -d /tmp/clams-pipeline.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
shots_bin=$build/examples/shot-detector/shot-detector
ocr_bin=$build/examples/ocr/ocr
clams=$build/bin/clams
for b in "$shots_bin" "$ocr_bin" "$clams"; do
    [ -x "$b" ] || { echo "pipeline: $b is not built" >&2; exit 1; }
done
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

# 1. A video of six shots (640x360, 25 fps, H.264); two carry text.
video=${VIDEO:-$work/shots.mp4}
if [ -z "${VIDEO:-}" ]; then
    txt="fontfile=$font:fontsize=48:fontcolor=white:x=(w-tw)/2:y=(h-th)/2"
    ffmpeg -nostdin -y -v error \
        -f lavfi -i "color=c=0x203080:s=640x360:r=25:d=2" \
        -f lavfi -i "testsrc2=s=640x360:r=25:d=2" \
        -f lavfi -i "color=c=0x802020:s=640x360:r=25:d=2" \
        -f lavfi -i "smptebars=s=640x360:r=25:d=2" \
        -f lavfi -i "color=c=0x206020:s=640x360:r=25:d=2" \
        -f lavfi -i "mandelbrot=s=640x360:r=25" \
        -filter_complex "[0]drawtext=$txt:text='HELLO WORLD'[a];[4]drawtext=$txt:text='CLAMS PIPELINE'[e];[5]trim=end_frame=50[f];[a][1][2][3][e][f]concat=n=6:v=1:a=0,format=yuv420p[v]" \
        -map "[v]" -c:v libx264 -preset veryfast "$video"
    echo "pipeline: made $video (6 shots of 2 s; text in shots 1 and 5)"
fi

# 2. Both apps, production servers on free loopback ports.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
serve() { # BINARY PORT WORKERS LOG
    CLAMS_GUNICORN_WORKERS=$3 "$1" --production --host 127.0.0.1 --port "$2" > "$4" 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do
        curl -fsS -o /dev/null "http://127.0.0.1:$2/" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "pipeline: $1 did not start (log: $4)" >&2
    return 1
}
p1=$(free_port); serve "$shots_bin" "$p1" "${SHOT_WORKERS:-2}" "$work/shot-detector.log"
# One OpenMP thread per tesseract (it is read when libtesseract loads): the
# workers are the parallelism.
export OMP_THREAD_LIMIT=${OMP_THREAD_LIMIT:-1}
p2=$(free_port); serve "$ocr_bin" "$p2" "${OCR_WORKERS:-2}" "$work/ocr.log"
echo "pipeline: shot-detector on :$p1, ocr on :$p2"

# 3. source -> shot-detector -> ocr, over HTTP.
"$clams" source "video:$video" > "$work/source.mmif"
curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "@$work/source.mmif" \
    "http://127.0.0.1:$p1/" > "$work/shots.mmif"
curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "@$work/shots.mmif" \
    "http://127.0.0.1:$p2/?tfLabel=shot" > "$work/ocr.mmif"

# 4. What came out.
"$clams" describe -p "$work/ocr.mmif"
python3 - "$work/ocr.mmif" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
shots = d["views"][0]
texts = {}
for a in d["views"][-1]["annotations"]:
    if a["@type"].endswith("/Alignment/v1"):
        texts.setdefault(a["properties"]["source"], []).append(a["properties"]["target"])
tds = {a["properties"]["id"]: a["properties"]["text"]["@value"]
       for a in d["views"][-1]["annotations"] if a["@type"].endswith("/TextDocument/v1")}
for tf in shots["annotations"]:
    if not tf["@type"].endswith("/TimeFrame/v6"):
        continue
    p = tf["properties"]
    found = [tds[t] for r in p["representatives"] for t in texts.get(r, []) if t in tds]
    print(f'shot {p["start"]:>6}-{p["end"]:<6} ms: {" | ".join(found) if found else "(no text)"}')
PY
echo "pipeline: MMIF files in $work"
