#!/usr/bin/env bash
# HTTP development server against an MHD floor (bench/http_floor.c, which
# answers a body of the request's size without parsing anything).
# Usage: bench/20-http.sh BUILD_DIR
# Reports, for a ~2 KB and a ~1 MB MMIF POSTed to the tokenizer example:
# wrk req/s and p50/p99 (-t1 -c4, 10 s, loopback) for the app and the floor,
# the 1 MB case's per-request time (sequential curl), and the app server's
# peak RSS (VmHWM). Targets: 2 KB >= 0.5x floor req/s; 1 MB <= 0.4 s/request
# and <= 100 MiB peak RSS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
app="$build/examples/tokenizer/tokenizer"
floor="$build/bench/http_floor"
dur=${BENCH_DURATION:-10}
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 "$(dirname "$0")/make_bodies.py" "$work"

cat > "$work/post.lua" <<'EOF'
local f = io.open(os.getenv("BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
EOF


wait_up() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2; return 1
}

app_port=$(free_port)
"$app" --host 127.0.0.1 --port "$app_port" 2>"$work/app.log" &
app_pid=$!; pids+=("$app_pid")
floor_port=$(free_port)
"$floor" "$floor_port" &
pids+=($!)
wait_up "$app_port"; wait_up "$floor_port"
# A second floor answering as many bytes as the app does for the small body.
small_out=$(curl -s -o /dev/null -w '%{size_download}' --data-binary @"$work/small.json" \
    "http://127.0.0.1:$app_port/")
floor2_port=$(free_port)
"$floor" "$floor2_port" "$small_out" &
pids+=($!)
wait_up "$floor2_port"

# wrk_run NAME PORT FILE -> "req/s p50 p99"
wrk_run() {
    BODY_FILE="$3" wrk -t1 -c4 -d"${dur}s" --latency -s "$work/post.lua" \
        "http://127.0.0.1:$2/" > "$work/wrk.out" 2>&1
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
    printf '%-28s %10s req/s   p50 %-9s p99 %s\n' "$1" "$rps" "$p50" "$p99"
    echo "$rps" > "$work/$1.rps"
}

echo "HTTP development server (tokenizer) vs MHD floor; wrk -t1 -c4 -d${dur}s, loopback"
printf 'bodies: small %s bytes, large %s bytes\n' "$(stat -c %s "$work/small.json")" \
    "$(stat -c %s "$work/large.json")"
wrk_run floor-2KB "$floor_port" "$work/small.json"
wrk_run tokenizer-2KB "$app_port" "$work/small.json"
wrk_run "floor-2KB-in-${small_out}B-out" "$floor2_port" "$work/small.json"
wrk_run floor-1MB "$floor_port" "$work/large.json"
wrk_run tokenizer-1MB "$app_port" "$work/large.json"

# Sequential 1 MB requests: per-request wall time and response size.
total=0; n=10; size=0
for _ in $(seq 1 $n); do
    read -r t s < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' \
        --data-binary @"$work/large.json" "http://127.0.0.1:$app_port/")
    total=$(/usr/bin/python3 -c "print($total + $t)"); size=$s
done
per=$(/usr/bin/python3 -c "print(round($total / $n, 4))")
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$app_pid/status")
hwm_mib=$(/usr/bin/python3 -c "print(round($hwm_kb / 1024, 1))")
echo "tokenizer 1MB sequential: ${per} s/request (mean of $n), response ${size} bytes"
echo "tokenizer server peak RSS (VmHWM): ${hwm_mib} MiB"

ratio=$(/usr/bin/python3 -c "print(round($(cat "$work/tokenizer-2KB.rps") / $(cat "$work/floor-2KB.rps"), 3))")
echo "2KB app/floor ratio: $ratio (target >= 0.5)"
ratio2=$(/usr/bin/python3 -c "print(round($(cat "$work/tokenizer-2KB.rps") / $(cat "$work/floor-2KB-in-${small_out}B-out.rps"), 3))")
echo "2KB app/floor ratio with the floor answering the app's output size: $ratio2"
/usr/bin/python3 - "$ratio" "$per" "$hwm_mib" <<'EOF'
import sys
ratio, per, hwm = map(float, sys.argv[1:])
ok = ratio >= 0.5 and per <= 0.4 and hwm <= 100
print("targets:", "met" if ok else "NOT met",
      f"(2KB ratio {ratio} >= 0.5, 1MB {per} s <= 0.4, RSS {hwm} MiB <= 100)")
EOF
