#!/bin/sh
# Installs this build into a temporary prefix and builds apps against it the
# way users outside the tree do.
#   test_install.sh layout|pkgconfig|cmake|new BUILD_DIR ROOT CC SANITIZE
# layout:    the files `make install` promises, DESTDIR staging, Makefile flags
# pkgconfig: the tutorial app built with `pkg-config clams`, shared and static
# cmake:     the tutorial app built with find_package(clams) (its own CMakeLists)
# new:       `clams new demo` builds against the prefix and its app's output validates
# exports:   the installed shared libraries export their public API and nothing else
set -eu
mode=$1 build=$2 root=$3 cc=$4 sanitize=$5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/devx_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
sample=$root/tests/devx/data/text.mmif
fail() { echo "FAIL: $*" >&2; exit 1; }

# A sanitizer build installs instrumented libraries: consumers need the flags too.
xflags=""
[ "$sanitize" = ON ] && xflags="-fsanitize=address,undefined -fno-omit-frame-pointer"

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "install"; }
libdir=$(cd "$prefix" && ls -d lib*/pkgconfig | head -n1 | xargs dirname)

check_output() { # MMIF file, expected app identifier
    "$build/bin/clams" validate "$1" || fail "$1 is not valid MMIF"
    grep -q "$2" "$1" || fail "$1 has no view by $2"
}

case $mode in
exports)
    core_headers=$(ls "$prefix"/include/clams/*.h | grep -v '/media\.h$')
    # shellcheck disable=SC2086
    python3 "$root/tests/devx/check_exports.py" "$prefix/$libdir/libclams.so" $core_headers ||
        fail "libclams.so exports"
    if [ -e "$prefix/$libdir/libclams-media.so" ]; then
        python3 "$root/tests/devx/check_exports.py" "$prefix/$libdir/libclams-media.so" \
            "$prefix/include/clams/media.h" || fail "libclams-media.so exports"
    fi
    ;;
layout)
    for f in bin/clams include/clams/clams.h include/clams/mmif.h include/clams/app.h \
             include/clams/error.h "$libdir/libclams.a" "$libdir/libclams.so" \
             "$libdir/pkgconfig/clams.pc" "$libdir/cmake/clams/clamsConfig.cmake" \
             "$libdir/cmake/clams/clamsConfigVersion.cmake" "$libdir/cmake/clams/clamsTargets.cmake" \
             share/man/man1/clams.1 share/man/man1/clams-app.1 \
             share/clams/templates/app/src/app.c share/clams/templates/app/CMakeLists.txt; do
        [ -e "$prefix/$f" ] || fail "missing $f"
    done
    ls "$prefix/$libdir"/libclams.so.0* >/dev/null 2>&1 || fail "no versioned libclams.so.0"
    "$prefix/bin/clams" --version | grep -q "MMIF spec" || fail "installed clams --version"
    man -l "$prefix/share/man/man1/clams.1" >/dev/null 2>&1 || groff -man -Tutf8 \
        "$prefix/share/man/man1/clams.1" >/dev/null 2>&1 || echo "note: no man/groff to render"
    # DESTDIR stages under another root; clams.pc names the final prefix.
    DESTDIR=$tmp/stage cmake --install "$build" --prefix /opt/clams >/dev/null
    [ -e "$tmp/stage/opt/clams/bin/clams" ] || fail "DESTDIR not honoured"
    grep -qx "prefix=/opt/clams" "$tmp/stage/opt/clams/$libdir/pkgconfig/clams.pc" ||
        fail "staged clams.pc does not name /opt/clams"
    # Installs from one build tree into different prefixes may run at once
    # (ctest -j runs these tests side by side); each clams.pc names its own.
    for i in 1 2 3 4; do
        cmake --install "$build" --prefix "$tmp/par$i" >"$tmp/par$i.log" 2>&1 &
    done
    wait
    for i in 1 2 3 4; do
        grep -qx "prefix=$tmp/par$i" "$tmp/par$i/$libdir/pkgconfig/clams.pc" ||
            { cat "$tmp/par$i.log"; fail "concurrent install $i: clams.pc does not name its prefix"; }
    done
    PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig pkg-config --cflags clams |
        grep -q -- "-I$prefix/include" || fail "clams.pc cflags"
    # The Makefile passes PREFIX and DESTDIR through.
    line=$(make -s -n -C "$root" install BUILD="$build" PREFIX=/opt/x DESTDIR=/tmp/y 2>/dev/null |
           grep "cmake --install" || true)
    echo "$line" | grep -q -- "--prefix /opt/x" || fail "make install ignores PREFIX: $line"
    echo "$line" | grep -q "DESTDIR=/tmp/y" || fail "make install ignores DESTDIR: $line"
    ;;
pkgconfig)
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
    pkg-config --exists --print-errors "clams >= 0.1" || fail "pkg-config cannot find clams"
    [ "$(pkg-config --modversion clams)" = "$(sed -n 's/^project(clams VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")" ] ||
        fail "clams.pc version"
    # shared
    # shared: a private prefix's clams.pc carries the run path, so the binary
    # finds libclams.so with no LD_LIBRARY_PATH (the tutorial says so).
    # shellcheck disable=SC2046
    $cc $xflags -o "$tmp/app-shared" "$root/examples/tutorial-app/main.c" \
        $(pkg-config --cflags --libs clams) || fail "shared build"
    env -u LD_LIBRARY_PATH ldd "$tmp/app-shared" | grep -q "$prefix/$libdir/libclams.so" ||
        fail "not linked to the installed libclams.so (no run path from clams.pc?)"
    # `clams config` gives the same without PKG_CONFIG_PATH.
    # shellcheck disable=SC2046
    env -u PKG_CONFIG_PATH $cc $xflags -o "$tmp/app-config" "$root/examples/tutorial-app/main.c" \
        $("$prefix/bin/clams" config --cflags --libs) || fail "build with clams config"
    env -u LD_LIBRARY_PATH "$tmp/app-config" annotate "$sample" "$tmp/out-config.mmif" \
        --keywords cat || fail "the clams config build does not run"
    check_output "$tmp/out-config.mmif" keyword-spotter
    "$build/bin/clams" config --libs >/dev/null 2>&1 && fail "an uninstalled clams config gave flags"
    # static: --static must add the private dependencies. (Linking with all of
    # `pkg-config --static` would need static gnutls & co. that Debian's
    # libmicrohttpd.pc lists, so the system libraries are linked shared.)
    static_libs=$(pkg-config --static --libs clams)
    for l in -lmicrohttpd -ljansson -ldl -lm; do
        echo " $static_libs " | grep -q -- " $l " || fail "pkg-config --static --libs lacks $l"
    done
    # shellcheck disable=SC2046
    $cc $xflags -o "$tmp/app-static" "$root/examples/tutorial-app/main.c" \
        $(pkg-config --cflags clams) "$prefix/$libdir/libclams.a" \
        $(pkg-config --libs jansson libmicrohttpd) -ldl -lm || fail "static build"
    ldd "$tmp/app-static" | grep -q libclams && fail "static build still needs libclams.so"
    for v in shared static; do
        "$tmp/app-$v" annotate "$sample" "$tmp/out-$v.mmif" --param keywords=cat || fail "$v app run"
        check_output "$tmp/out-$v.mmif" keyword-spotter
    done
    ;;
cmake)
    cmake -S "$root/examples/tutorial-app" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$prefix" \
          -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$xflags" -DCMAKE_EXE_LINKER_FLAGS="$xflags" \
          >"$tmp/cfg.log" || { cat "$tmp/cfg.log"; fail "configure"; }
    grep -q "clams_DIR:PATH=$prefix" "$tmp/b/CMakeCache.txt" || fail "find_package did not use the prefix"
    cmake --build "$tmp/b" >"$tmp/build.log" || { cat "$tmp/build.log"; fail "build"; }
    "$tmp/b/tutorial-app" annotate "$sample" "$tmp/out.mmif" --param keywords=the || fail "app run"
    check_output "$tmp/out.mmif" keyword-spotter
    # The static target, and the version check (0.1 requested above; 9.0 must fail).
    printf 'cmake_minimum_required(VERSION 3.18)\nproject(s C)\nfind_package(clams 0.1 REQUIRED)\nadd_executable(s %s)\ntarget_link_libraries(s PRIVATE clams::clams_static)\n' \
        "$root/examples/tutorial-app/main.c" > "$tmp/CMakeLists.txt"
    mkdir "$tmp/s" && mv "$tmp/CMakeLists.txt" "$tmp/s/"
    cmake -S "$tmp/s" -B "$tmp/sb" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_C_FLAGS="$xflags" -DCMAKE_EXE_LINKER_FLAGS="$xflags" >/dev/null &&
        cmake --build "$tmp/sb" >/dev/null || fail "clams::clams_static build"
    "$tmp/sb/s" annotate "$sample" "$tmp/out-s.mmif" --param keywords=mat || fail "static app run"
    check_output "$tmp/out-s.mmif" keyword-spotter
    mkdir "$tmp/v" && printf 'cmake_minimum_required(VERSION 3.18)\nproject(v C)\nfind_package(clams 9.0 REQUIRED)\n' > "$tmp/v/CMakeLists.txt"
    cmake -S "$tmp/v" -B "$tmp/vb" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1 &&
        fail "find_package(clams 9.0) accepted version $(cat "$prefix/$libdir/cmake/clams/clamsConfigVersion.cmake" | grep -m1 PACKAGE_VERSION)"
    ;;
new)
    (cd "$tmp" && "$prefix/bin/clams" new demo) >"$tmp/new.log" || { cat "$tmp/new.log"; fail "clams new"; }
    for f in CMakeLists.txt src/app.c Containerfile README.md sample.mmif; do
        [ -e "$tmp/demo/$f" ] || fail "clams new did not write $f"
    done
    grep -q '{{' "$tmp/demo/src/app.c" "$tmp/demo/CMakeLists.txt" && fail "placeholders left"
    "$prefix/bin/clams" new demo --dir "$tmp" 2>/dev/null && fail "clams new overwrote a project"
    # --dir creates a missing parent; the hint names this installation's prefix.
    "$prefix/bin/clams" new demo3 --dir "$tmp/x/y" >"$tmp/new3.log" || fail "clams new --dir x/y"
    [ -e "$tmp/x/y/demo3/CMakeLists.txt" ] || fail "clams new --dir did not create the folder"
    grep -q -- "-DCMAKE_PREFIX_PATH=$prefix" "$tmp/new3.log" || { cat "$tmp/new3.log"; fail "the build hint does not name -DCMAKE_PREFIX_PATH=$prefix"; }
    "$prefix/bin/clams" new 9lives --dir "$tmp" 2>/dev/null && fail "clams new accepted a bad name"
    cmake -S "$tmp/demo" -B "$tmp/demo/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_C_FLAGS="$xflags" -DCMAKE_EXE_LINKER_FLAGS="$xflags" >"$tmp/cfg.log" ||
        { cat "$tmp/cfg.log"; fail "configure the new project"; }
    cmake --build "$tmp/demo/build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build the new project"; }
    grep -q "warning" "$tmp/build.log" && { cat "$tmp/build.log"; fail "the new project builds with warnings"; }
    ctest --test-dir "$tmp/demo/build" --output-on-failure >/dev/null || fail "the new project's own test"
    "$tmp/demo/build/demo" annotate "$sample" "$tmp/out.mmif" --param minWordLength=4 || fail "demo run"
    check_output "$tmp/out.mmif" "apps.clams.ai/demo/"
    # d1 has 6 words of 4+ characters ("Cats", "counted," "bobcat." are counted as written).
    python_count=$(/usr/bin/python3 -c "
import json,sys
m=json.load(open('$tmp/out.mmif'))
print(' '.join(f\"{a['properties']['document']}={a['properties']['wordCount']}\" for v in m['views'] for a in v['annotations']))")
    want=$(/usr/bin/python3 -c "
import json
m=json.load(open('$sample'))
print(' '.join(f\"{d['properties']['id']}={sum(len(w)>=4 for w in d['properties']['text']['@value'].split())}\" for d in m['documents'] if 'text' in d['properties']))")
    [ "$python_count" = "$want" ] || fail "word counts '$python_count', expected '$want'"
    "$tmp/demo/build/demo" --describe | grep -q '"minWordLength"' || fail "demo metadata"
    ;;
*) fail "unknown mode $mode" ;;
esac
echo "devx install $mode: ok"
