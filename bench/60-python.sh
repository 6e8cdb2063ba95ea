#!/usr/bin/env bash
# A clams-python app two ways, side by side in one run: `clams serve APP
# --production` (clams-c's master, workers forked from the template process)
# and `python app.py --production` (clams-python's gunicorn), 2 workers each,
# on the same app (tests/host/apps_real/tokenizer) and the same venv:
#  1. requests/s and latency with --max-requests 0 and 1 (wrk -t2 -c8, ~2 KB
#     body), the two servers alternated, ROUNDS rounds, medians; and the CPU
#     time all the server's processes spent per request (utime+stime of the
#     process tree over the wrk run / requests), which a shared machine
#     disturbs far less than requests/s;
#  2. startup time (start to the first answered request) and RSS per idle
#     worker (first round);
#  3. the cost of one recycle in clams serve with and without the template
#     (the master's "fork to ready" line, median);
#  4. warm-up: an app whose model loads lazily in 1.5 s on the first annotate
#     (bench/python/lazyload), one request every GAP seconds, REQS requests:
#     median latency with --max-requests 1 --warmup vs persistent workers.
# Usage: bench/60-python.sh BUILD_DIR [VENV]
#   env: DURATION=5 (wrk seconds) ROUNDS=3 REQS=15 GAP=1.0
#   VENV defaults to BUILD_DIR/pyvenv-clams-1.7.3 (made by test host_real_clams_1.7.3).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
venv=${2:-$build/pyvenv-clams-1.7.3}
root=$(cd "$(dirname "$0")/.." && pwd)
app="$root/tests/host/apps_real/tokenizer"
clams="$build/bin/clams"
py="$venv/bin/python"
dur=${DURATION:-5}
rounds=${ROUNDS:-3}
reqs=${REQS:-15}
gap=${GAP:-1.0}
lazy="$root/bench/python/lazyload"
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
# CPU ticks (utime+stime) of process $1 and its descendants.
tree_ticks() {
    local t=0 p s
    for p in $(tree "$1"); do
        s=($(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null)) || continue
        t=$((t + ${s[11]:-0} + ${s[12]:-0}))
    done
    echo "$t"
}
tree() { local c; echo "$1"; for c in $(ps -o pid= --ppid "$1"); do tree "$c"; done; }
# wrk against port $1, server pid $2: "req/s p50 p99 non2xx cpu_ms_per_request"
# (latencies in ms; processes that exit during the run, recycled workers,
# are counted by the master's cutime: see tree_ticks_all).
run_wrk() {
    local out a b n hz
    hz=$(getconf CLK_TCK)
    a=$(tree_ticks_all "$2")
    out=$(wrk -t2 -c8 -d"${dur}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$1/" 2>&1)
    b=$(tree_ticks_all "$2")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    /usr/bin/python3 - "$out" "$a" "$b" "$n" "$hz" <<'PY'
import re, sys
out, a, b, n, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4] or 0), int(sys.argv[5])
def ms(s):
    m = re.match(r"([0-9.]+)(us|ms|s)", s)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)
p50 = ms(re.search(r"\s50%\s+(\S+)", out).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
cpu = (b - a) * 1000.0 / hz / n if n else 0
print(rps, "%.1f" % p50, "%.1f" % p99, bad.group(1) if bad else 0, "%.1f" % cpu)
PY
}
# As tree_ticks, plus the children already reaped (cutime+cstime of $1):
# with --max-requests 1 most workers have exited by the end of the run.
tree_ticks_all() {
    local s
    s=($(sed 's/.*) //' "/proc/$1/stat"))
    echo $(($(tree_ticks "$1") + ${s[13]} + ${s[14]}))
}
# Median RSS (MiB) of the idle children of $1 (gunicorn: its workers; clams:
# the workers and standbys, reparented to the master; the template is left
# out).
worker_rss() {
    local kib=() c
    for c in $(ps -o pid= --ppid "$1"); do
        grep -q clams-template "/proc/$c/comm" 2>/dev/null && continue
        kib+=("$(awk '/^VmRSS/ {print $2}' "/proc/$c/status" 2>/dev/null || echo 0)")
    done
    printf "%s\n" "${kib[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1024}'
}


start_clams() { # app max_requests port [flags...]
    local a=$1 mr=$2 p=$3; shift 3
    "$clams" serve "$a" --python "$py" --production --workers 2 --max-requests "$mr" \
        --port "$p" --host 127.0.0.1 --queue 1024 "$@" >/dev/null 2>>"$tmp/clams.log" &
    pid=$!; pids+=("$pid")
}
start_gunicorn() { # app max_requests port
    (cd "$1" && CLAMS_GUNICORN_WORKERS=2 exec "$py" -c "
import sys; sys.argv = ['app.py']; sys.modules['__main__'].__file__ = 'app.py'
import app
from clams import Restifier
Restifier(app.get_app(), port=$3).serve_production(max_requests=$2)" >/dev/null 2>>"$tmp/gunicorn.log") &
    pid=$!; pids+=("$pid")
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; }

# 1 and 2: throughput, servers alternated.
echo "# throughput: wrk -t2 -c8 -d${dur}s, ~2 KB TextDocument, 2 workers, $rounds rounds"
printf "%-8s %-9s %6s %8s %9s %9s %6s %9s %8s %8s\n" round server max_req "req/s" "p50 ms" "p99 ms" non2xx "CPU ms/r" "start s" "RSS MiB"
: >"$tmp/rows"
for mr in 0 1; do
    for round in $(seq 1 "$rounds"); do
        for srv in clams gunicorn; do
            port=$(free_port)
            t0=$(date +%s.%N)
            if [ $srv = clams ]; then start_clams "$app" "$mr" "$port"; else start_gunicorn "$app" "$mr" "$port"; fi
            wait_answer "$port" >/dev/null; start=$(echo "$(date +%s.%N) - $t0" | bc)
            sleep 1; rss=$(worker_rss "$pid")
            r=$(run_wrk "$port" "$pid")
            stop
            printf "%-8s %-9s %6s %8s %9s %9s %6s %9s %8.2f %8s\n" "$round" $srv "$mr" $r "$start" "$rss"
            echo "$srv $mr $r $start $rss" >>"$tmp/rows"
        done
    done
done
echo "# medians"
/usr/bin/python3 - "$tmp/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("%-9s %6s %8s %9s %9s %9s %8s %8s" % ("server", "max_req", "req/s", "p50 ms", "p99 ms", "CPU ms/r", "start s", "RSS MiB"))
for mr in ("0", "1"):
    for srv in ("clams", "gunicorn"):
        sel = [r for r in rows if r[0] == srv and r[1] == mr]
        med = lambda i: statistics.median(float(r[i]) for r in sel)
        print("%-9s %6s %8.1f %9.1f %9.1f %9.1f %8.2f %8.1f" % (srv, mr, med(2), med(3), med(4), med(6), med(7), med(8)))
PY

# 3: one recycle: fork to READY in clams serve, with and without the template.
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
    stop
    med=$(grep -o 'fork to ready [0-9.]* ms' "$tmp/recycle-$how.log" | awk '{print $4}' | sort -n |
          awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "recycle (fork to ready, median of $(grep -c 'fork to ready' "$tmp/recycle-$how.log")), $how: $med ms"
done

# 4: warm-up. One request every $gap s (a fresh connection each), $reqs
# requests; the latency of each as the client sees it.
paced() { # port -> median and max latency, ms
    /usr/bin/python3 - "$1" "$tmp/2k.json" "$reqs" "$gap" <<'PY'
import http.client, statistics, sys, time
port, path, n, gap = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
body = open(path, "rb").read()
lat = []
for i in range(n):
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read(); c.close()
    lat.append((time.monotonic() - t0) * 1000)
    assert r.status == 200, r.status
    time.sleep(max(0, gap - (time.monotonic() - t0)))
print("%.1f %.1f" % (statistics.median(lat), max(lat)))
PY
}
echo "# warm-up: model loaded lazily in ${LAZY_LOAD_S:-1.5} s; $reqs requests, one every $gap s, 2 workers"
printf "%-58s %10s %10s\n" server "median ms" "max ms"
for how in "clams --max-requests 0 --warmup" "clams --max-requests 1 --warmup" \
           "clams --max-requests 1 (no warm-up)" "gunicorn max_requests 0" "gunicorn max_requests 1"; do
    port=$(free_port)
    case "$how" in
        "clams --max-requests 0 --warmup") start_clams "$lazy" 0 "$port" --warmup "$tmp/2k.json" ;;
        "clams --max-requests 1 --warmup") start_clams "$lazy" 1 "$port" --warmup "$tmp/2k.json" ;;
        "clams --max-requests 1 (no warm-up)") start_clams "$lazy" 1 "$port" ;;
        "gunicorn max_requests 0") start_gunicorn "$lazy" 0 "$port" ;;
        "gunicorn max_requests 1") start_gunicorn "$lazy" 1 "$port" ;;
    esac
    wait_answer "$port" >/dev/null
    sleep 4 # every worker and standby warm (persistent gunicorn workers: one still cold)
    printf "%-58s %10s %10s\n" "$how" $(paced "$port")
    stop
done
