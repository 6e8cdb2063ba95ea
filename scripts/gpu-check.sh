#!/usr/bin/env bash
# gpu-check.sh: checks the production server's GPU features on a real GPU
# (run from the repo root on the GPU machine, against out/gpu-bundle made by
# scripts/gpu-bundle.sh), or here with --fake (fake NVML and nvidia-smi from
# tests/gpu, gpu-alloc simulating its memory), with the same checks:
#   (a) pool size from nvidia-smi's total vs cpus*2+1
#   (b) hwFetch peak of a request that allocates a known amount
#   (c) recycling (max_requests 1) gives the worker's memory back
#   (d) soft budget recycles a worker that keeps too much; hard budget kills one
#   (e) tone-detector: device=gpu output identical to device=cpu
#   (f) the same server inside a PID namespace (unshare --pid --fork
#       --mount-proc, as in a container): hwFetch peak, binding, soft budget
#   (g) shot-detector: device=gpu shots identical to device=cpu on a 260-frame
#       video (scripts/make-shot-video.sh), its hwFetch peak against the
#       est_gpu_mem_typ it declares
# usage: scripts/gpu-check.sh [--fake] [REPORT]   (default out/gpu-check-report.txt)
# Environment: GPU_CHECK_BUNDLE (out/gpu-bundle), GPU_CHECK_BIN_DIR (--fake:
# build/examples), GPU_CHECK_FAKE_BIN_DIR (--fake: build/fake-gpu),
# GPU_CHECK_WORK (scratch folder), GPU_CHECK_PORT (first port, 18650).
# Exits 1 when any check fails. Never waits without a time limit.
set -u

FAKE=0
if [ "${1:-}" = "--fake" ]; then FAKE=1; shift; fi
REPORT=${1:-out/gpu-check-report.txt}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${GPU_CHECK_WORK:-$(mktemp -d /tmp/gpu-check.XXXXXX)}
PORT=${GPU_CHECK_PORT:-18650}
PY=python3
[ -x /usr/bin/python3 ] && [ $FAKE = 1 ] && PY=/usr/bin/python3
MIB=$((1024 * 1024))
FAILS=0
SERVER_PID=""
SERVER_LD=${LD_LIBRARY_PATH:-}
mkdir -p "$WORK" "$(dirname "$REPORT")"
: >"$REPORT"

say() { echo "$*" | tee -a "$REPORT"; }
result() { # result PASS|FAIL "check" "figures"
    say "$1 $2: $3"
    [ "$1" = PASS ] || FAILS=$((FAILS + 1))
}

# ---- setup ---------------------------------------------------------------------
if [ $FAKE = 1 ]; then
    BUILD=${BUILD:-$ROOT/build}
    BIN_DIR=${GPU_CHECK_BIN_DIR:-$BUILD/examples}
    FAKE_BIN=${GPU_CHECK_FAKE_BIN_DIR:-$BUILD/fake-gpu}
    if [ ! -x "$BIN_DIR/gpu-alloc/gpu-alloc" ] || [ ! -x "$FAKE_BIN/nvidia-smi" ]; then
        (cd "$ROOT" && make build >/dev/null) &&
            cmake --build "$BUILD" --target fake_nvml fake_nvidia_smi >/dev/null ||
            { echo "gpu-check: build failed" >&2; exit 2; }
    fi
    TONE_BIN=$BIN_DIR/tone-detector/tone-detector
    ALLOC_BIN=$BIN_DIR/gpu-alloc/gpu-alloc
    SHOT_BIN=$BIN_DIR/shot-detector/shot-detector
    SHOT_VIDEO=$WORK/shots.mp4
    sh "$ROOT/scripts/make-shot-video.sh" "$SHOT_VIDEO" || rm -f "$SHOT_VIDEO"
    export CLAMS_FAKE_GPU_DIR=$WORK/fake-gpu
    mkdir -p "$CLAMS_FAKE_GPU_DIR/procs"
    rm -f "$CLAMS_FAKE_GPU_DIR"/procs/*
    echo "0 GPU-00000000-fake-h200-0000-000000000000 143771 NVIDIA H200" \
        >"$CLAMS_FAKE_GPU_DIR/gpus"
    export CLAMS_NVML_LIBRARY=$FAKE_BIN/libnvidia-ml.so.1
    export CLAMS_NVIDIA_SMI=$FAKE_BIN/nvidia-smi
    export PATH=$FAKE_BIN:$PATH
    export GPU_ALLOC_SIMULATE=1
    say "gpu-check: FAKE mode (fake NVML $CLAMS_NVML_LIBRARY, simulated allocations)"
else
    BUNDLE=${GPU_CHECK_BUNDLE:-$ROOT/out/gpu-bundle}
    TONE_BIN=$BUNDLE/bin/tone-detector
    ALLOC_BIN=$BUNDLE/bin/gpu-alloc
    SHOT_BIN=$BUNDLE/bin/shot-detector
    SHOT_VIDEO=$BUNDLE/media/shots.mp4
    # The libraries travel packed (FFmpeg's dependencies are over 150 MiB
    # unpacked, the carry limit 64 MiB); python unpacks them, as the host may
    # lack xz.
    LIB_DIR=$BUNDLE/lib
    if [ -f "$BUNDLE/lib.tar.xz" ]; then
        LIB_DIR=$WORK/lib
        $PY -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
            "$BUNDLE/lib.tar.xz" "$WORK" || { say "FAIL setup: cannot unpack lib.tar.xz"; exit 1; }
    fi
    # Only the servers get the bundled libraries: curl, python and nvidia-smi
    # keep the host's own (older copies could break them).
    SERVER_LD=$LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    say "gpu-check: REAL mode (bundle $BUNDLE)"
fi
for b in "$TONE_BIN" "$ALLOC_BIN" "$SHOT_BIN"; do
    [ -x "$b" ] || { say "FAIL setup: $b missing"; exit 1; }
done
command -v nvidia-smi >/dev/null || { say "FAIL setup: no nvidia-smi on PATH"; exit 1; }
say "host: $(uname -n), $(nproc) CPUs; $(timeout 10 nvidia-smi --query-gpu=name,memory.total \
    --format=csv,noheader 2>/dev/null | head -3 | tr '\n' ';') \
$([ $FAKE = 1 ] || timeout 10 nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)"

# A watchdog: the whole run stays under five minutes whatever hangs.
# Its output goes nowhere and its sleep dies with it, so nothing holds the
# caller's pipes open after the script ends.
MAIN_PID=$$
( trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "${GPU_CHECK_DEADLINE:-280}" & sp=$!
  wait "$sp" && kill -TERM "$MAIN_PID" ) >/dev/null 2>&1 &
WATCHDOG=$!

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}
cleanup() { stop_server; kill "$WATCHDOG" 2>/dev/null; }
trap cleanup EXIT
trap 'say "FAIL run: interrupted (deadline or signal)"; exit 1' TERM INT

# start_server NAME BIN ARGS... (env set by the caller); waits for GET / to answer.
# With NS=1 the server runs in a new PID namespace (its master is PID 1 there).
start_server() {
    local name=$1 bin=$2
    shift 2
    PORT=$((PORT + 1))
    LOG=$WORK/$name.log
    local pre=()
    [ "${NS:-0}" = 1 ] && pre=(unshare --pid --fork --mount-proc --kill-child=SIGTERM)
    CLAMS_LOGLEVEL=info LD_LIBRARY_PATH=$SERVER_LD "${pre[@]}" "$bin" --production --port "$PORT" --host 127.0.0.1 \
        --graceful-timeout 5 "$@" >"$LOG" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        if curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null |
            grep -q 200; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    say "  server $name did not come up; log tail:"
    tail -5 "$LOG" | sed 's/^/    /' | tee -a "$REPORT"
    return 1
}

# post QUERY INFILE TAG: sets STATUS, WORKER (X-Clams-Worker) and BODY (a file).
post() {
    BODY=$WORK/$3.json
    local hdr=$WORK/$3.hdr
    STATUS=$(curl -s -m "${CURL_MAX:-90}" -o "$BODY" -D "$hdr" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary @"$2" \
        "http://127.0.0.1:$PORT/?$1" 2>/dev/null)
    WORKER=$(tr -d '\r' <"$hdr" 2>/dev/null | awk -F': ' 'tolower($1)=="x-clams-worker"{print $2}')
}

# json EXPR FILE: evaluates a python expression over the parsed file as `d`.
json() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2" 2>/dev/null; }
# Python (for json) listing EXPR of every appProfiling.hardware.KIND entry of
# every view, x being the entry:  hw KIND EXPR
hw() { echo "[$2 for v in d['views'] for x in v['metadata'].get('appProfiling',{}).get('hardware',{}).get('$1',[])]"; }

# Per-process GPU memory as "pid MiB" lines (real: nvidia-smi; fake: the
# simulated process table the fake NVML reads).
gpu_apps() {
    if [ $FAKE = 1 ]; then
        $PY - "$CLAMS_FAKE_GPU_DIR/procs" <<'EOF'
import os, sys
d = sys.argv[1]
for n in os.listdir(d):
    if not n.isdigit():
        continue
    try:
        st = open(f"/proc/{n}/stat").read()
    except OSError:
        continue
    if st[st.rfind(")") + 2] in "ZX":
        continue
    for line in open(os.path.join(d, n)):
        p = line.split()
        if len(p) >= 2:
            print(n, int(p[1]) // (1024 * 1024))
EOF
    else
        timeout 10 nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits \
            2>/dev/null | tr -d ',' | awk 'NF>=2{print $1, $2}'
    fi
}
# wait_gpu_app EXCEPT: waits (up to 20 s) until a process other than EXCEPT
# holds GPU memory and prints its pid.
wait_gpu_app() {
    local p
    for _ in $(seq 1 200); do
        p=$(gpu_apps | awk -v x="$1" '$1 != x {print $1; exit}')
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
    done
    return 1
}
gpu_used_mib() {
    timeout 10 nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null |
        head -1 | tr -dc '0-9'
}

INPUT=$WORK/input.mmif
cat >"$INPUT" <<'EOF'
{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
 "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                "properties": {"id": "t1", "text": {"@value": "gpu check"}}}],
 "views": []}
EOF

# ---- (a) pool size -------------------------------------------------------------
check_pool() {
    local typ=40000
    GPU_ALLOC_EST_MIN=1200 GPU_ALLOC_EST_TYP=$typ start_server pool "$ALLOC_BIN" \
        --max-requests 0 || { result FAIL "(a) pool size" "server did not start"; return; }
    local line total sum cpus cpu_w vram_w workers
    line=$(grep -m1 'pool: cpus=' "$LOG")
    stop_server
    say "  log: $line"
    total=$(timeout 10 nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits |
        tr -dc '0-9\n')
    sum=0
    for t in $total; do sum=$((sum + t / typ)); done
    [ "$sum" -lt 1 ] && sum=1
    cpus=$(sed -n 's/.*pool: cpus=\([0-9]*\).*/\1/p' <<<"$line")
    cpu_w=$(sed -n 's/.*cpu_workers=\([0-9]*\).*/\1/p' <<<"$line")
    vram_w=$(sed -n 's/.*vram_workers=\([0-9]*\).*/\1/p' <<<"$line")
    workers=$(sed -n 's/.*; workers=\([0-9]*\).*/\1/p' <<<"$line")
    local want=$((cpus * 2 + 1 < sum ? cpus * 2 + 1 : sum))
    local figs="nvidia-smi total=$(echo $total | tr ' ' '+') MiB, typ=$typ -> vram=$sum; cpus=$cpus \
(nproc $(nproc)) -> cpu=$((cpus * 2 + 1)); logged cpu_workers=$cpu_w vram_workers=$vram_w \
workers=$workers; expected $want"
    if [ -n "$line" ] && [ "$cpu_w" = $((cpus * 2 + 1)) ] && [ "$vram_w" = "$sum" ] &&
        [ "$workers" = "$want" ]; then
        result PASS "(a) pool size" "$figs"
    else
        result FAIL "(a) pool size" "$figs"
    fi
}

# ---- (b) hwFetch peak ------------------------------------------------------------
check_hwfetch() {
    start_server hwfetch "$ALLOC_BIN" --workers 1 --max-requests 0 --vram-soft-budget 0 ||
        { result FAIL "(b) hwFetch" "server did not start"; return; }
    post "mib=1024&holdMs=1000&hwFetch=true" "$INPUT" hwfetch
    stop_server
    local gpu peak method line
    gpu=$(json "$(hw gpus x)[0]" "$BODY")
    peak=$(json "$(hw gpus "x['peakUsedBytes']")[0]" "$BODY")
    method=$(json "$(hw gpus "x['peakMethod']")[0]" "$BODY")
    line=$(json "$(hw cuda x)[0]" "$BODY")
    say "  status=$STATUS cuda: $line"
    say "  gpus[0]: $gpu"
    # Lower bound: the 1024 MiB the app filled. Upper: plus 1024 MiB for the
    # CUDA context (a few hundred MiB with lazy module loading) and the
    # allocator's rounding; more would mean hwFetch counts something else.
    local lo=$((1024 * MIB)) hi=$((2048 * MIB))
    local figs="peakUsedBytes=${peak:-none} ($(( ${peak:-0} / MIB )) MiB, method ${method:-none}); \
bounds (1024 MiB, 2048 MiB]"
    if [ "$STATUS" = 200 ] && [ -n "$peak" ] && [ "$peak" != None ] && [ "$peak" -gt "$lo" ] &&
        [ "$peak" -le "$hi" ] && [ "$method" = nvml-process-sampled ]; then
        result PASS "(b) hwFetch peak" "$figs"
    else
        result FAIL "(b) hwFetch peak" "status=$STATUS; $figs"
    fi
}

# ---- (c) recycling frees the memory ------------------------------------------------
check_recycle() {
    start_server recycle "$ALLOC_BIN" --workers 1 --max-requests 1 --vram-soft-budget 0 ||
        { result FAIL "(c) recycling" "server did not start"; return; }
    local before during=0 seen=0 after listed=1 pid first
    # Measure once the worker holds its context (worker_init ran).
    first=$(wait_gpu_app "")
    before=$(gpu_used_mib)
    post "mib=1024&holdMs=2500" "$INPUT" recycle &
    local curl_job=$!
    # While the request holds its memory, NVML lists the worker with it.
    for _ in $(seq 1 20); do
        sleep 0.1
        local apps
        apps=$(gpu_apps)
        local big
        big=$(awk '$2 >= 1024 {print $1; exit}' <<<"$apps")
        if [ -n "$big" ]; then
            seen=$big
            during=$(gpu_used_mib)
            break
        fi
    done
    wait "$curl_job"
    pid=$(tr -d '\r' <"$WORK/recycle.hdr" | awk -F': ' 'tolower($1)=="x-clams-worker"{print $2}')
    # Then it exits (max_requests 1) and its memory is free again; compare
    # once its replacement holds its own context, as the first one did.
    for _ in $(seq 1 100); do
        if ! gpu_apps | awk '{print $1}' | grep -qx "${pid:-none}"; then
            listed=0
            break
        fi
        sleep 0.1
    done
    wait_gpu_app "${pid:-none}" >/dev/null
    after=$(gpu_used_mib)
    stop_server
    local figs="worker pid=${pid:-?} (first listed: ${first:-none}; during the request: ${seen}), device used: \
before=${before} MiB during=${during} MiB after=${after} MiB; old pid still listed after 10 s: \
$([ $listed = 1 ] && echo yes || echo no)"
    if [ -n "$pid" ] && [ "$seen" = "$pid" ] && [ $listed = 0 ] && [ -n "$after" ] &&
        [ -n "$before" ] && [ "$after" -le $((before + 256)) ]; then
        result PASS "(c) recycling frees memory" "$figs"
    else
        result FAIL "(c) recycling frees memory" "$figs"
    fi
}

# ---- (d) soft and hard budgets -----------------------------------------------------
check_soft() {
    start_server soft "$ALLOC_BIN" --workers 1 --max-requests 0 --vram-soft-budget 2000 ||
        { result FAIL "(d) soft budget" "server did not start"; return; }
    post "mib=512" "$INPUT" soft1; local p1=$WORKER s1=$STATUS
    post "mib=512" "$INPUT" soft2; local p2=$WORKER s2=$STATUS
    post "mib=2048&leak=true" "$INPUT" soft3; local p3=$WORKER s3=$STATUS
    post "mib=512" "$INPUT" soft4; local p4=$WORKER s4=$STATUS
    stop_server
    local logged
    logged=$(grep -m1 'soft budget' "$LOG")
    local figs="budget 2000 MiB; 512 MiB freed: pid $p1 then $p2 (kept); 2048 MiB leaked: pid $p3, \
next request pid $p4; statuses $s1 $s2 $s3 $s4; log: ${logged:-none}"
    if [ "$s1$s2$s3$s4" = 200200200200 ] && [ -n "$p1" ] && [ "$p1" = "$p2" ] &&
        [ "$p2" = "$p3" ] && [ -n "$p4" ] && [ "$p4" != "$p3" ]; then
        result PASS "(d) soft budget" "$figs"
    else
        result FAIL "(d) soft budget" "$figs"
    fi
}

check_hard() {
    start_server hard "$ALLOC_BIN" --workers 1 --max-requests 0 --vram-soft-budget 0 \
        --vram-hard-budget 3000 ||
        { result FAIL "(d) hard budget" "server did not start"; return; }
    post "mib=1024&holdMs=500" "$INPUT" hard1; local s1=$STATUS p1=$WORKER
    local t0=$SECONDS
    post "mib=4096&holdMs=3000" "$INPUT" hard2; local s2=$STATUS
    local took=$((SECONDS - t0))
    local msg
    msg=$(json "[v['metadata']['error']['message'] for v in d['views'] if 'error' in v['metadata']][0]" "$BODY")
    post "mib=256" "$INPUT" hard3; local s3=$STATUS p3=$WORKER
    stop_server
    local figs="budget 3000 MiB; 1024 MiB: status $s1 (pid $p1); 4096 MiB held 3 s: status $s2 \
after ~${took} s, error: ${msg:-none}; next request: status $s3 (pid $p3)"
    if [ "$s1" = 200 ] && [ "$s2" = 500 ] && grep -q 'hard budget of 3000 MiB' <<<"$msg" &&
        grep -Eq '[0-9]+ MiB of GPU memory' <<<"$msg" && [ "$s3" = 200 ] && [ "$p3" != "$p1" ]; then
        result PASS "(d) hard budget" "$figs"
    else
        result FAIL "(d) hard budget" "$figs"
    fi
}

# gpu_vs_cpu NAME WANT WHAT: the verdict on a device=cpu / device=gpu pair, from
# the caller's sc, sg (statuses), n (what the CPU found), cpu, gpu (their
# annotations) and gerr (the GPU's error). In fake mode there is no CUDA
# driver: the CPU path must find WANT WHAT and the GPU path be refused
# clearly; returns 1 there (nothing more to check). Real mode: both 200, WANT
# found, identical annotations; returns 0.
gpu_vs_cpu() {
    local name=$1 want=$2 what=$3
    if [ $FAKE = 1 ]; then
        if [ "$sc" = 200 ] && [ "$n" = "$want" ] && [ "$sg" = 500 ] &&
            grep -q 'no GPU is usable' <<<"$gerr"; then
            result PASS "$name (fake: cpu only)" "cpu $n $what; gpu refused: $gerr"
        else
            result FAIL "$name (fake: cpu only)" "cpu status $sc ($n $what), gpu status $sg: $gerr"
        fi
        return 1
    fi
    if [ "$sc" = 200 ] && [ "$sg" = 200 ] && [ "$n" = "$want" ] && [ "$cpu" = "$gpu" ]; then
        result PASS "$name gpu == cpu" "$n $what, identical annotations"
    else
        result FAIL "$name gpu == cpu" "statuses cpu $sc gpu $sg, cpu $n $what, identical: \
$([ "$cpu" = "$gpu" ] && echo yes || echo no); gpu error: $gerr"
    fi
    return 0
}

# ---- (e) tone detector: GPU and CPU agree ---------------------------------------------
check_tone() {
    local wav=$WORK/tones.wav
    $PY - "$ROOT/tests/tone" "$wav" <<'EOF' || { result FAIL "(e) tone detector" "cannot write WAV"; return; }
import sys
sys.path.insert(0, sys.argv[1])
import wavgen
L = wavgen.LEVEL
wavgen.mono(sys.argv[2], 20, 48000,
            [(1.0, 6.0, 1000, L), (6.0, 9.5, 440, L), (11.0, 15.2, 2500, L / 4),
             (16.0, 17.0, 700, L)], noise=32768 * 10 ** (-50 / 20))
EOF
    cat >"$WORK/tone.mmif" <<EOF
{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
 "documents": [{"@type": "http://mmif.clams.ai/vocabulary/AudioDocument/v1",
   "properties": {"id": "d1", "mime": "audio/wav", "location": "file://$wav"}}],
 "views": []}
EOF
    start_server tone "$TONE_BIN" --workers 1 --max-requests 0 --vram-soft-budget 0 ||
        { result FAIL "(e) tone detector" "server did not start"; return; }
    post "device=cpu" "$WORK/tone.mmif" tone_cpu; local sc=$STATUS
    cp "$BODY" "$WORK/tone_cpu.keep"
    post "device=gpu&hwFetch=true" "$WORK/tone.mmif" tone_gpu; local sg=$STATUS
    stop_server
    local ann='[a["properties"] for v in d["views"] for a in v.get("annotations", [])]'
    local cpu gpu gerr peak
    cpu=$(json "$ann" "$WORK/tone_cpu.keep")
    gpu=$(json "$ann" "$BODY")
    gerr=$(json "[v['metadata']['error']['message'] for v in d['views'] if 'error' in v['metadata']]" "$BODY")
    peak=$(json "$(hw gpus "(x['peakUsedBytes'], x['peakMethod'])")[:1]" "$BODY")
    say "  cpu: $cpu"
    say "  gpu: ${gpu} ${gerr}"
    local n
    n=$(json "len($ann)" "$WORK/tone_cpu.keep")
    gpu_vs_cpu "(e) tone detector" 3 tones || return
    say "  tone-detector hwFetch (bytes, method): $peak"
}

# ---- (f) inside a PID namespace -------------------------------------------------------
# The driver lists host PIDs; the master learns each worker's (binding.c).
check_pidns() {
    NS=1 start_server pidns "$ALLOC_BIN" --workers 1 --max-requests 0 --vram-soft-budget 2000 ||
        { result FAIL "(f) PID namespace" "server did not start under unshare"; return; }
    post "mib=1024&holdMs=1000&hwFetch=true" "$INPUT" pidns1; local s1=$STATUS p1=$WORKER
    local peak method binding
    peak=$(json "$(hw gpus "x['peakUsedBytes']")[0]" "$BODY")
    method=$(json "$(hw gpus "x['peakMethod']")[0]" "$BODY")
    binding=$(curl -s -m 10 "http://127.0.0.1:$PORT/metrics" | grep '^clams_worker_gpu_binding' | head -1)
    post "mib=2048&leak=true" "$INPUT" pidns2; local s2=$STATUS p2=$WORKER
    post "mib=256" "$INPUT" pidns3; local s3=$STATUS p3=$WORKER
    stop_server
    local lo=$((1024 * MIB)) hi=$((2048 * MIB))
    local figs="peak ${peak:-none} B (method ${method:-none}); binding: ${binding:-none}; \
soft budget: leak by $p2, next $p3; statuses $s1 $s2 $s3"
    if [ "$s1$s2$s3" = 200200200 ] && [ -n "$peak" ] && [ "$peak" != None ] &&
        [ "$peak" -gt "$lo" ] && [ "$peak" -le "$hi" ] && [ "$method" = nvml-process-sampled ] &&
        grep -q 'binding="bound"' <<<"$binding" && [ "$p2" = "$p1" ] && [ "$p3" != "$p2" ]; then
        result PASS "(f) PID namespace" "$figs"
    else
        result FAIL "(f) PID namespace" "$figs"
    fi
}

# ---- (g) shot detector: GPU and CPU agree, peak against the estimate -----------------
check_shots() {
    local name="(g) shot detector"
    [ -f "$SHOT_VIDEO" ] || { result FAIL "$name" "no test video ($SHOT_VIDEO)"; return; }
    cat >"$WORK/shots.mmif" <<EOF
{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
 "documents": [{"@type": "http://mmif.clams.ai/vocabulary/VideoDocument/v1",
   "properties": {"id": "v1", "mime": "video/mp4", "location": "file://$SHOT_VIDEO"}}],
 "views": []}
EOF
    start_server shots "$SHOT_BIN" --workers 1 --max-requests 0 --vram-soft-budget 0 ||
        { result FAIL "$name" "server did not start"; return; }
    local typ
    typ=$(curl -s -m 10 "http://127.0.0.1:$PORT/" |
        $PY -c "import json,sys; print(json.load(sys.stdin).get('est_gpu_mem_typ'))" 2>/dev/null)
    post "device=cpu" "$WORK/shots.mmif" shots_cpu; local sc=$STATUS
    cp "$BODY" "$WORK/shots_cpu.keep"
    post "device=gpu&hwFetch=true" "$WORK/shots.mmif" shots_gpu; local sg=$STATUS
    stop_server
    local ann='[a["properties"] for v in d["views"] for a in v.get("annotations", [])]'
    local tfs='[(a["properties"]["start"], a["properties"]["end"]) for v in d["views"]
                for a in v.get("annotations", []) if a["@type"].endswith("/TimeFrame/v6")]'
    local cpu gpu gerr peak shots n
    cpu=$(json "$ann" "$WORK/shots_cpu.keep")
    gpu=$(json "$ann" "$BODY")
    shots=$(json "$tfs" "$WORK/shots_cpu.keep")
    n=$(json "len($tfs)" "$WORK/shots_cpu.keep")
    gerr=$(json "[v['metadata']['error']['message'] for v in d['views'] if 'error' in v['metadata']]" "$BODY")
    peak=$(json "$(hw gpus "x['peakUsedBytes']")[0]" "$BODY")
    say "  cpu shots (start, end in ms): $shots"
    gpu_vs_cpu "$name" 4 shots || return
    # est_gpu_mem_typ was written without a GPU: the measured peak must not
    # pass it, and the figures say what to correct it to.
    local figs="hwFetch peak ${peak:-none} B, declared est_gpu_mem_typ ${typ:-none} MiB"
    if [[ "$peak" =~ ^[0-9]+$ ]] && [[ "$typ" =~ ^[0-9]+$ ]] && [ "$peak" -gt 0 ] &&
        [ "$peak" -le $((typ * MIB)) ]; then
        result PASS "$name peak within est_gpu_mem_typ" "$figs ($((peak / MIB)) MiB)"
    else
        result FAIL "$name peak within est_gpu_mem_typ" "$figs"
    fi
}

check_pool
check_hwfetch
check_recycle
check_soft
check_hard
check_tone
check_pidns
check_shots
say "gpu-check: $FAILS check(s) failed; report in $REPORT; logs in $WORK"
[ $FAILS = 0 ]
