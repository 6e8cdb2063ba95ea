#!/bin/sh
# Formats every C source of the tree with .clang-format (what devx_format checks).
set -eu
cd "$(dirname "$0")/.."
find src include examples tests bench -type f \( -name '*.c' -o -name '*.h' \) \
     -not -path '*/build*' -print0 | xargs -0 clang-format -i
