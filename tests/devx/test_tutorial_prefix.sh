#!/bin/sh
# devx_tutorial_prefix: follows docs/tutorial.md word for word from a private
# prefix ($HOME/.local with HOME a fresh folder), as a new user would: install,
# PATH, the project from the tutorial's own blocks, CMake with
# -DCMAKE_PREFIX_PATH, file mode, clams validate/describe, then the two
# builds without CMake (clams config, pkg-config). Every command it runs is
# first looked up verbatim in the tutorial, so text and test cannot drift.
# No LD_LIBRARY_PATH anywhere.
#   test_tutorial_prefix.sh BUILD_DIR ROOT CC SANITIZE
set -eu
build=$1 root=$2 cc=$3 sanitize=$4
tut="$root/docs/tutorial.md"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/devx_tutprefix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
said() { grep -qF -- "$1" "$tut" || fail "the tutorial no longer says: $1"; }
xflags=""
[ "$sanitize" = ON ] && xflags="-fsanitize=address,undefined -fno-omit-frame-pointer"
unset LD_LIBRARY_PATH PKG_CONFIG_PATH
export HOME="$tmp/home"
mkdir -p "$HOME"

# 1. Install (`make install PREFIX=...` is `cmake --install` with that prefix:
# devx_install_layout checks the Makefile passes it through).
said 'make install PREFIX=$HOME/.local'
cmake --install "$build" --prefix "$HOME/.local" >"$tmp/install.log" || { cat "$tmp/install.log"; fail install; }
said 'export PATH=$HOME/.local/bin:$PATH'
export PATH="$HOME/.local/bin:$PATH"
[ "$(command -v clams)" = "$HOME/.local/bin/clams" ] || fail "clams is not the installed one"

# 2. The project: the tutorial's blocks are exactly examples/tutorial-app
# (devx_tutorial), so its files are the project.
mkdir "$tmp/keyword-spotter"
cp "$root/examples/tutorial-app/CMakeLists.txt" "$root/examples/tutorial-app/main.c" "$tmp/keyword-spotter/"
cd "$tmp/keyword-spotter"

# 8. Build and run.
said 'cmake -S . -B build -DCMAKE_PREFIX_PATH=$HOME/.local'
cmake -S . -B build -DCMAKE_PREFIX_PATH="$HOME/.local" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_C_FLAGS="$xflags" -DCMAKE_EXE_LINKER_FLAGS="$xflags" >"$tmp/cfg.log" ||
    { cat "$tmp/cfg.log"; fail "cmake configure"; }
said 'cmake --build build'
cmake --build build >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "cmake --build"; }
said 'cat > in.mmif <<'"'"'JSON'"'"
# The heredoc as the tutorial writes it (its four-space indent removed).
sed -n "/cat > in.mmif <<'JSON'/,/^    JSON\$/p" "$tut" | sed '1d;$d;s/^    //' > in.mmif
[ -s in.mmif ] || fail "no in.mmif heredoc in the tutorial"
said './build/tutorial-app annotate in.mmif out.mmif --keywords cat mat'
./build/tutorial-app annotate in.mmif out.mmif --keywords cat mat || fail "file mode"
said 'clams validate out.mmif && clams describe -p out.mmif'
clams validate out.mmif >/dev/null && clams describe -p out.mmif >"$tmp/describe.json" ||
    fail "clams validate / describe"
spans=$(grep -o '"@type": *"[^"]*Span[^"]*"' out.mmif | wc -l)
[ "$spans" -eq 2 ] || fail "expected 2 Spans (cat, mat), got $spans"

# Without CMake: clams config, then pkg-config.
said 'cc -o tutorial-app main.c $(clams config --cflags --libs)'
# shellcheck disable=SC2046
$cc $xflags -o tutorial-app main.c $(clams config --cflags --libs) || fail "cc with clams config"
./tutorial-app annotate in.mmif out2.mmif --keywords cat mat || fail "the clams config build does not run"
said 'export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig'
export PKG_CONFIG_PATH="$HOME/.local/lib/pkgconfig"
said 'cc -o tutorial-app main.c $(pkg-config --cflags --libs clams)'
# shellcheck disable=SC2046
$cc $xflags -o tutorial-app main.c $(pkg-config --cflags --libs clams) || fail "cc with pkg-config"
./tutorial-app annotate in.mmif out3.mmif --keywords cat mat || fail "the pkg-config build does not run"
echo "devx tutorial from a private prefix: ok"
