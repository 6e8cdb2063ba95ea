#!/usr/bin/env bash
# Installs the Debian packages clams-c needs, only the ones that are missing.
# Called by `make deps` (and so by build, test and run); safe to run many times.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev check
      libcurl4-openssl-dev wrk python3 python3-jsonschema python3-yaml valgrind clang
      libclang-rt-14-dev clang-format
      libsimdjson-dev # libsimdjson-dev: only bench/json_parse_floor.cpp uses it
      # libclams-media (FFmpeg 5.1) and the ffmpeg tool its tests make media with;
      # the DejaVu font is what drawtext writes the test videos' text in
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
      ffmpeg fonts-dejavu-core
      # examples/ocr: tesseract's C API and its English traineddata
      libtesseract-dev tesseract-ocr-eng)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
