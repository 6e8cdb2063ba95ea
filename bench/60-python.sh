#!/usr/bin/env bash
# A clams-python app two ways, side by side in one run: `clams serve APP
# --production` (clams-c's master, workers forked from the template process)
# and `python app.py --production` (clams-python's gunicorn), 2 workers each,
# on the same app (tests/host/apps_real/tokenizer) and the same venv:
# requests/s and latency with --max-requests 0 and 1 (wrk -t2 -c8, ~2 KB
# body), startup time (start to the first answered request), RSS per idle
# worker, and the cost of one recycle in clams serve with and without the
# template (the master's "fork to ready" line, median).
# Usage: bench/60-python.sh BUILD_DIR [VENV]   (env: DURATION=5)
#   VENV defaults to BUILD_DIR/pyvenv-clams-1.7.3 (made by test host_real_clams_1.7.3).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
venv=${2:-$build/pyvenv-clams-1.7.3}
root=$(cd "$(dirname "$0")/.." && pwd)
app="$root/tests/host/apps_real/tokenizer"
clams="$build/bin/clams"
py="$venv/bin/python"
dur=${DURATION:-5}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
[ -x "$py" ] || { echo "no venv at $venv (run ctest -R host_real_clams_1.7.3 first)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk not installed"; exit 1; }
export CLAMS_APP_VERSION=bench

/usr/bin/python3 - "$tmp" <<'EOF'
import json, sys
words = ("lorem ipsum dolor sit amet consectetur " * 60)[:1700]
doc = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
       "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                      "properties": {"id": "d1", "text": {"@value": words}}}], "views": []}
open(sys.argv[1] + "/2k.json", "w").write(json.dumps(doc))
EOF
cat > "$tmp/post.lua" <<EOF
local f = io.open("$tmp/2k.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
EOF

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Seconds from now until a POST is answered 200 on port $1.
wait_answer() {
    local t0=$(date +%s.%N)
    for _ in $(seq 1 600); do
        if curl -sf -o /dev/null -X POST --data-binary @"$tmp/2k.json" "http://127.0.0.1:$1/"; then
            echo "$(date +%s.%N) - $t0" | bc; return 0
        fi
        sleep 0.05
    done
    echo "never"; return 1
}
run_wrk() {
    local out
    out=$(wrk -t2 -c8 -d"${dur}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$1/" 2>&1)
    echo "$(awk '/^Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out") $(awk '/Non-2xx/ {print $NF}' <<<"$out")"
}
# Median RSS (MiB) of the idle children of $1 (gunicorn: its workers; clams:
# the workers, reparented to the master; the template is left out).
worker_rss() {
    local kib=() c
    for c in $(ps -o pid= --ppid "$1"); do
        grep -q clams-template "/proc/$c/comm" 2>/dev/null && continue
        kib+=("$(awk '/^VmRSS/ {print $2}' "/proc/$c/status" 2>/dev/null || echo 0)")
    done
    printf "%s\n" "${kib[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1024}'
}

printf "%-34s %6s %10s %9s %9s %7s %9s %9s\n" server max_req "req/s" p50 p99 non2xx "start s" "RSS MiB"
for mr in 0 1; do
    # clams serve
    port=$(free_port)
    t0=$(date +%s.%N)
    "$clams" serve "$app" --python "$py" --production --workers 2 --max-requests "$mr" \
        --port "$port" --host 127.0.0.1 --queue 1024 >/dev/null 2>"$tmp/clams-$mr.log" &
    pid=$!; pids+=("$pid")
    w=$(wait_answer "$port"); start=$(echo "$(date +%s.%N) - $t0" | bc)
    sleep 1; rss=$(worker_rss "$pid")
    r=$(run_wrk "$port")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    printf "%-34s %6s %10s %9s %9s %7s %9.2f %9s\n" "clams serve --production" "$mr" $r "$start" "$rss"
    # gunicorn, as clams-python's serve_production() sets it up
    port=$(free_port)
    t0=$(date +%s.%N)
    (cd "$app" && CLAMS_GUNICORN_WORKERS=2 exec "$py" -c "
import sys; sys.argv = ['app.py']; sys.modules['__main__'].__file__ = 'app.py'
import app
from clams import Restifier
Restifier(app.get_app(), port=$port).serve_production(max_requests=$mr)" >/dev/null 2>"$tmp/gunicorn-$mr.log") &
    pid=$!; pids+=("$pid")
    w=$(wait_answer "$port"); start=$(echo "$(date +%s.%N) - $t0" | bc)
    sleep 1; rss=$(worker_rss "$pid")
    r=$(run_wrk "$port")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    printf "%-34s %6s %10s %9s %9s %7s %9.2f %9s\n" "python app.py --production (gunicorn)" "$mr" $r "$start" "$rss"
done

# One recycle: fork to READY in clams serve, with and without the template.
for how in template no-template; do
    port=$(free_port)
    flag=(); [ "$how" = no-template ] && flag=(--no-template)
    CLAMS_LOGLEVEL=debug "$clams" serve "$app" --python "$py" --production --workers 1 --no-standby \
        "${flag[@]}" --port "$port" --host 127.0.0.1 >/dev/null 2>"$tmp/recycle-$how.log" &
    pid=$!; pids+=("$pid")
    wait_answer "$port" >/dev/null
    for _ in $(seq 1 10); do
        curl -sf -o /dev/null -X POST --data-binary @"$tmp/2k.json" "http://127.0.0.1:$port/"
    done
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    med=$(grep -o 'fork to ready [0-9.]* ms' "$tmp/recycle-$how.log" | awk '{print $4}' | sort -n |
          awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "recycle (fork to ready, median of $(grep -c 'fork to ready' "$tmp/recycle-$how.log")), $how: $med ms"
done
