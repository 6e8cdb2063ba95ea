#!/usr/bin/env bash
# Production server benchmark: wrk on loopback against the tokenizer example
# run with --production, persistent workers (--max-requests 0) and one request
# per worker (--max-requests 1), ~2 KB and ~1 MB bodies: req/s, p50, p99.
# Also: the cost of one recycle (fork to READY, from the master's debug log,
# median), the RSS of the master and of an idle worker, and the workers'
# minor page faults per request in the persistent 2 KB run (from
# /proc/PID/stat; docs/performance.md says why that figure matters).
# Usage: bench/30-production.sh BUILD_DIR   (env: DURATION=5 WORKERS=2 CONNS=8)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
app="$build/examples/tokenizer/tokenizer"
floor="$build/bench/http_floor"
dur=${DURATION:-5}
workers=${WORKERS:-2}
conns=${CONNS:-8}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
[ -x "$app" ] || { echo "missing $app (build the tokenizer example)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk not installed"; exit 1; }

# Bodies: a TextDocument of about 2 KB and about 1 MB.
/usr/bin/python3 - "$tmp" <<'EOF'
import json, sys
d = sys.argv[1]
for name, size in (("2k", 2000), ("1m", 1 << 20)):
    words = ("lorem ipsum dolor sit amet consectetur " * (size // 38 + 1))[: size - 300]
    doc = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
           "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                          "properties": {"id": "d1", "text": {"@value": words}}}],
           "views": []}
    open(f"{d}/{name}.json", "w").write(json.dumps(doc))
EOF
for b in 2k 1m; do
cat > "$tmp/post-$b.lua" <<EOF
local f = io.open("$tmp/$b.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
EOF
done


wait_ready() { # $1 port
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server on port $1 never became ready"; return 1
}

# Prints "req/s p50 p99" for one wrk run: $1 port, $2 body name.
run_wrk() {
    local out
    out=$(wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$tmp/post-$2.lua" "http://127.0.0.1:$1/" 2>&1)
    local rps p50 p99 non2xx
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    echo "$rps $p50 $p99 ${non2xx:-0}"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# Minor page faults of all of $1's children so far (field 10 of /proc/PID/stat;
# the command name in field 2 has no spaces here).
children_minflt() {
    local sum=0 c
    for c in $(ps -o pid= --ppid "$1"); do
        sum=$((sum + $(awk '{print $10}' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$sum"
}

declare -A RPS
echo "# production server: tokenizer, $workers workers, wrk -t2 -c$conns -d${dur}s, loopback"
printf "%-14s %-5s %10s %10s %10s %8s\n" "max_requests" "body" "req/s" "p50" "p99" "non2xx"
for mr in 0 1; do
    port=$(free_port)
    CLAMS_LOGLEVEL=debug "$app" --production --host 127.0.0.1 --port "$port" \
        --workers "$workers" --max-requests "$mr" --queue 1024 \
        >"$tmp/access-$mr.log" 2>"$tmp/err-$mr.log" &
    pid=$!
    wait_ready "$port"
    if [ "$mr" = 0 ]; then
        sleep 0.5
        master_rss=$(rss_kib "$pid")
        wpid=$(ps -o pid= --ppid "$pid" | head -1 | tr -d ' ')
        worker_rss=$(rss_kib "$wpid")
    fi
    for b in 2k 1m; do
        flt0=$(children_minflt "$pid"); req0=$(grep -c '"POST /"' "$tmp/access-$mr.log" || true)
        read -r rps p50 p99 bad < <(run_wrk "$port" "$b")
        if [ "$mr-$b" = 0-2k ]; then
            flt1=$(children_minflt "$pid"); req1=$(grep -c '"POST /"' "$tmp/access-$mr.log" || true)
            faults_per_req=$(awk -v f=$((flt1 - flt0)) -v n=$((req1 - req0)) \
                'BEGIN {if (n > 0) printf "%.1f", f / n; else print "?"}')
        fi
        RPS[$mr-$b]=$rps
        printf "%-14s %-5s %10s %10s %10s %8s\n" "$mr" "$b" "$rps" "$p50" "$p99" "$bad"
    done
    kill -TERM "$pid"; wait "$pid" || true
done

# One recycle: fork to READY as the master logs it at debug level.
grep -o 'fork to ready [0-9.]* ms' "$tmp/err-1.log" | awk '{print $4}' | sort -n >"$tmp/recycle.txt"
n=$(wc -l <"$tmp/recycle.txt")
if [ "$n" -gt 0 ]; then
    med=$(awk -v n="$n" 'NR==int((n+1)/2) {print}' "$tmp/recycle.txt")
    p99r=$(awk -v n="$n" 'NR==int(n*0.99+0.5) || (NR==n && n<100) {v=$0} END {print v}' "$tmp/recycle.txt")
    echo "recycle (fork to ready): median ${med} ms, p99 ${p99r} ms over $n recycles"
fi
echo "rss: master ${master_rss} KiB, idle worker ${worker_rss} KiB"
echo "worker minor page faults per request (persistent, 2k): $faults_per_req"

# The HTTP floor (another benchmark's program), when built.
if [ -x "$floor" ]; then
    port=$(free_port)
    "$floor" "$port" >/dev/null 2>&1 &
    fpid=$!
    sleep 0.5
    read -r frps fp50 fp99 fbad < <(run_wrk "$port" 2k)
    kill "$fpid" 2>/dev/null || true; wait "$fpid" 2>/dev/null || true
    echo "http floor 2k: $frps req/s (p50 $fp50, p99 $fp99)"
    awk -v a="${RPS[0-2k]}" -v f="$frps" 'BEGIN {if (f > 0) printf "persistent / floor = %.2f (target >= 0.7)\n", a / f}'
else
    echo "http floor: $floor not built, ratio not computed"
fi
awk -v a="${RPS[1-2k]}" -v p="${RPS[0-2k]}" 'BEGIN {if (p > 0) printf "max_requests=1 / persistent (2k) = %.2f (target >= 0.3)\n", a / p}'
