#!/bin/sh
# media_install: libclams-media installed into a scratch prefix is usable from
# outside the tree, both through pkg-config (clams-media.pc) and through the
# CMake package (find_package(clams-media) -> clams::media); the app built
# each way opens a video made here and reads its frame count and one frame.
# usage: test_install.sh BUILD_DIR WORK_DIR
set -eu
build=$1
tmp=$2
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "media_install: $*" >&2; exit 1; }
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "install"; }
ffmpeg -nostdin -y -v error -f lavfi -i testsrc2=s=96x64:r=10:d=2 -c:v libx264 -preset ultrafast \
    "$tmp/v.mp4" || fail "ffmpeg"
cat >"$tmp/app.c" <<'C'
#include <clams/media.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    clams_error_t err = {0};
    clams_video_t *v = clams_video_open_file(argv[1], NULL, &err);
    if (!v) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    size_t n = clams_video_frame_size(v, NULL);
    unsigned char *buf = malloc(n);
    clams_image_t img;
    int rc = clams_video_frame(v, clams_video_info(v)->frame_count - 1, NULL, buf, n, &img, &err);
    printf("%lld %dx%d %d\n", clams_video_info(v)->frame_count, img.width, img.height, rc);
    free(buf);
    clams_video_close(v);
    return rc != 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib64/pkgconfig"
unset LD_LIBRARY_PATH # the run path from clams-media.pc / the CMake package must do
cc -o "$tmp/app-pc" "$tmp/app.c" $(pkg-config --cflags --libs clams-media) ||
    fail "build with pkg-config"
out=$("$tmp/app-pc" "$tmp/v.mp4") || fail "pkg-config app run"
[ "$out" = "20 96x64 0" ] || fail "pkg-config app printed '$out'"
# The shared library exports only the public API.
nm -D --defined-only "$tmp/prefix/lib/libclams-media.so" | awk '{print $3}' | grep -v '^clams_' &&
    fail "libclams-media.so exports symbols outside clams_*"
nm -D --defined-only "$tmp/prefix/lib/libclams-media.so" | grep -q ' clams_video_open$' ||
    fail "clams_video_open not exported"
mkdir "$tmp/cm"
cp "$tmp/app.c" "$tmp/cm/"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(m C)\nfind_package(clams-media 0.1 REQUIRED)\nadd_executable(m app.c)\ntarget_link_libraries(m PRIVATE clams::media)\n' >"$tmp/cm/CMakeLists.txt"
cmake -S "$tmp/cm" -B "$tmp/cmb" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/cm.log" 2>&1 &&
    cmake --build "$tmp/cmb" >>"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "build with find_package(clams-media)"; }
out=$("$tmp/cmb/m" "$tmp/v.mp4") || fail "CMake app run"
[ "$out" = "20 96x64 0" ] || fail "CMake app printed '$out'"
# An app that does not read media does not link FFmpeg.
ldd "$tmp/prefix/lib/libclams.so" | grep -q libavcodec && fail "libclams links FFmpeg"
echo "media_install: ok"
