#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (tests/fuzz, its own CMake
# project) and runs each for a fixed time, one after the other.
#   run_fuzz.sh [--build-dir DIR] [--seconds N] [--only HARNESS]
#   FUZZ_SEED=N fixes libFuzzer's seed (default 0: random)
# N defaults to $FUZZ_SECONDS, then 60. The corpus each run grows is kept in
# DIR/corpus/<harness>; crashes land in DIR/artifacts/<harness>/; each run's
# libFuzzer output in DIR/logs/<harness>.log. Exits 1 when a harness found a
# crash, a leak or a broken invariant (the reproducer is printed).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-fuzz"
seconds="${FUZZ_SECONDS:-60}"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "run_fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
shared="${CLAMS_SHARED_DIR:-$root/tests/data}"
harnesses="fuzz_mmif_load fuzz_mmif_validate fuzz_params fuzz_envelope"
[ -n "$only" ] && harnesses="$only"

command -v clang >/dev/null || { echo "run_fuzz.sh: clang is required" >&2; exit 1; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  mkdir -p "$build"
  CC=clang cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j 2 >"$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }

rm -rf "$build/seeds"
/usr/bin/python3 "$here/make_seeds.py" "$root" "$shared" "$build/seeds" || exit 1

status=0
printf '%-20s %8s %12s %8s %8s  %s\n' harness seconds execs cov corpus result
for h in $harnesses; do
  corpus="$build/corpus/$h"; art="$build/artifacts/$h"; log="$build/logs/$h.log"
  mkdir -p "$corpus" "$art" "$build/logs"
  start=$(date +%s)
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/$h" "$corpus" "$build/seeds/$h" -dict="$here/mmif.dict" \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
      -artifact_prefix="$art/" -print_final_stats=1 -seed="${FUZZ_SEED:-0}" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ncorp=$(ls "$corpus" | wc -l)
  if [ $rc -eq 0 ]; then result=ok; else result="FOUND (rc $rc)"; status=1; fi
  printf '%-20s %8s %12s %8s %8s  %s\n' "$h" "$took" "${execs:-?}" "${cov:-?}" "$ncorp" "$result"
  if [ $rc -ne 0 ]; then
    grep -aE 'ERROR|invariant|SUMMARY|Test unit written' "$log" | head -20
  fi
done
exit $status
