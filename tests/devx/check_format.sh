#!/bin/sh
# devx_format: the C sources follow .clang-format (the house style is kept by
# the tool, not by review). Fix with: scripts/format.sh
#   check_format.sh ROOT
set -eu
root=$1
command -v clang-format >/dev/null || { echo "FAIL: clang-format is not installed (make deps)"; exit 1; }
cd "$root"
files=$(find src include examples tests bench -type f \( -name '*.c' -o -name '*.h' \) \
        -not -path '*/build*' | sort)
n=$(echo "$files" | wc -l)
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files 2>"${TMPDIR:-/tmp}/devx_format.$$"; then
    grep -o '^[^:]*:[0-9]*' "${TMPDIR:-/tmp}/devx_format.$$" | sort -u | head -20
    echo "FAIL: the files above differ from .clang-format ($(clang-format --version)); run scripts/format.sh"
    rm -f "${TMPDIR:-/tmp}/devx_format.$$"
    exit 1
fi
rm -f "${TMPDIR:-/tmp}/devx_format.$$"
echo "ok: $n C files follow .clang-format"
