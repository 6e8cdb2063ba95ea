#!/usr/bin/env bash
# gpu-bundle.sh: builds the examples here (`make build`) and gathers what the
# GPU machine needs to run scripts/gpu-check.sh into out/gpu-bundle/:
#   bin/  tone-detector, gpu-alloc, shot-detector (CUDA runtime linked
#         statically)
#   lib.tar.xz  every shared library ldd lists outside glibc (libmicrohttpd
#         and its TLS stack, jansson, FFmpeg's libav* and their codecs,
#         libstdc++...), since the GPU machine (Ubuntu 24.04) lacks some and
#         may differ on others; gpu-check.sh unpacks it and gives it to the
#         servers only (LD_LIBRARY_PATH). Packed because FFmpeg's dependencies
#         alone are over 150 MiB.
#   media/shots.mp4  the video of check (g) (the GPU machine may lack ffmpeg)
#   MANIFEST  ldd output, sizes and checksums
# usage: scripts/gpu-bundle.sh [OUT_DIR]   (BUILD=<folder> to build elsewhere)
# The bundle must stay under 60 MiB (the device tool's carry limit is 64 MiB).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/out/gpu-bundle}
BUILD=${BUILD:-build}
LIMIT_MIB=60
cd "$ROOT"

make build BUILD="$BUILD" JOBS="${JOBS:-2}"
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac

bins=("$B/examples/tone-detector/tone-detector" "$B/examples/gpu-alloc/gpu-alloc"
      "$B/examples/shot-detector/shot-detector")
for b in "${bins[@]}"; do
    [ -x "$b" ] || { echo "gpu-bundle: $b was not built" >&2; exit 1; }
done
# Without nvcc the examples build CPU-only and the check would be pointless.
if ! grep -q cudaMalloc "${bins[1]}"; then
    echo "gpu-bundle: gpu-alloc was built without CUDA (no nvcc?); refusing to bundle" >&2
    exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib" "$OUT/media"
sh "$ROOT/scripts/make-shot-video.sh" "$OUT/media/shots.mp4"
cp "${bins[@]}" "$OUT/bin/"

# glibc's own libraries are on every Linux host, and newer there (2.39 vs our
# 2.36), so they are never copied; everything else is.
is_glibc() {
    case $1 in
    linux-vdso.so.* | ld-linux*.so.* | libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | \
        librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | libmvec.so.*) return 0 ;;
    esac
    return 1
}
{
    echo "gpu-bundle built $(date -u +%FT%TZ) on $(uname -n) ($(. /etc/os-release; echo "$PRETTY_NAME"))"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted work)"
} >"$OUT/MANIFEST"
for b in "${bins[@]}"; do
    echo "== ldd $(basename "$b")" >>"$OUT/MANIFEST"
    ldd "$b" | tee -a "$OUT/MANIFEST" | while read -r name arrow path _; do
        [ "$arrow" = "=>" ] || continue
        is_glibc "$name" && continue
        [ -f "$path" ] || { echo "gpu-bundle: $name not found" >&2; exit 1; }
        cp -L "$path" "$OUT/lib/$name"
    done
done

# What the libraries load that ldd did not show: nothing (no plugins); the
# CUDA driver (libcuda.so.1) is the GPU machine's own and must not be copied.
echo "== files" >>"$OUT/MANIFEST"
(cd "$OUT" && find bin lib media -type f -exec sha256sum {} + | sort -k2) >>"$OUT/MANIFEST"
nlibs=$(ls "$OUT/lib" | wc -l)
XZ_OPT="-6 -T${JOBS:-2}" tar -C "$OUT" -cJf "$OUT/lib.tar.xz" lib
rm -rf "$OUT/lib"
size_kib=$(du -sk "$OUT" | cut -f1)
echo "== total ${size_kib} KiB" >>"$OUT/MANIFEST"
if [ "$size_kib" -ge $((LIMIT_MIB * 1024)) ]; then
    echo "gpu-bundle: $OUT is ${size_kib} KiB, over ${LIMIT_MIB} MiB" >&2
    exit 1
fi
echo "gpu-bundle: $OUT ready ($((size_kib / 1024)) MiB, $nlibs libraries, packed)"
echo "run there: scripts/gpu-check.sh out/gpu-check-report.txt   (device tool: carry out/gpu-bundle)"
