#!/bin/sh
# devx_examples_prefix: the media and GPU examples (shot-detector,
# tone-detector) built OUT of the tree, each from a copy of its own folder,
# against clams-c installed in a private prefix ($HOME/.local with HOME a
# fresh folder), as each README says word for word: find_package(clams
# COMPONENTS media), clams_add_cuda_objects when nvcc is found (the CUDA path
# then really compiles against the installed cuda.cmake and clams_cuda.h),
# then file mode on media made here with ffmpeg, and the output checked.
# No LD_LIBRARY_PATH anywhere.
#   test_examples_prefix.sh BUILD_DIR ROOT CC SANITIZE
set -eu
build=$1 root=$2 cc=$3 sanitize=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/devx_examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
xflags=""
[ "$sanitize" = ON ] && xflags="-fsanitize=address,undefined -fno-omit-frame-pointer"
unset LD_LIBRARY_PATH PKG_CONFIG_PATH
export HOME="$tmp/home"
mkdir -p "$HOME"
command -v ffmpeg >/dev/null || fail "no ffmpeg to make the test media"
cmake --install "$build" --prefix "$HOME/.local" >"$tmp/install.log" || { cat "$tmp/install.log"; fail install; }
for f in cuda.cmake clams_cuda.h; do
    [ -e "$HOME/.local/lib/cmake/clams/$f" ] || fail "the package lacks $f"
done

# One example, as its README says (each command looked up verbatim there):
# a copy of its folder, configured and built against the prefix, then run in
# file mode on in.mmif.   build_example NAME IN_MMIF RUN_ARGS
build_example() {
    name=$1 input=$2 args=$3
    readme="$root/examples/$name/README.md"
    for line in 'make install PREFIX=$HOME/.local' "cp -r examples/$name $name && cd $name" \
        'cmake -S . -B build -DCMAKE_PREFIX_PATH=$HOME/.local' 'cmake --build build' \
        "./build/$name annotate in.mmif out.mmif$args"; do
        grep -qF -- "$line" "$readme" || fail "$name/README.md no longer says: $line"
    done
    (cd "$root" && cp -r "examples/$name" "$tmp/$name")
    cd "$tmp/$name"
    cmake -S . -B build -DCMAKE_PREFIX_PATH="$HOME/.local" -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_C_FLAGS="$xflags" -DCMAKE_EXE_LINKER_FLAGS="$xflags" >"$tmp/$name.cfg.log" ||
        { cat "$tmp/$name.cfg.log"; fail "$name: configure"; }
    grep -q "clams_DIR:PATH=$HOME/.local" build/CMakeCache.txt || fail "$name: not the installed clams"
    cmake --build build >"$tmp/$name.build.log" 2>&1 || { cat "$tmp/$name.build.log"; fail "$name: build"; }
    # Where nvcc is found, the CUDA path is part of the app.
    if grep -q "clams: CUDA objects built with" "$tmp/$name.cfg.log"; then
        ls build/*.cu.o >/dev/null 2>&1 || fail "$name: nvcc found but no CUDA object built"
        echo "$name: built with its CUDA path"
    fi
    cp "$input" in.mmif
    # shellcheck disable=SC2086
    ./build/$name annotate in.mmif out.mmif $args || fail "$name: file mode"
    "$HOME/.local/bin/clams" validate out.mmif >/dev/null || fail "$name: output is not valid MMIF"
    cd "$tmp"
}

mmif() { # TYPE PATH MIME
    printf '{"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "documents": [{"@type": "http://mmif.clams.ai/vocabulary/%s/v1", "properties": {"id": "d1", "mime": "%s", "location": "file://%s"}}], "views": []}\n' "$1" "$3" "$2"
}
# The (start, end, label or frequency) of each TimeFrame in the output (a
# CUDA build without a GPU adds a warnings view beside the app's view).
frames() {
    /usr/bin/python3 -c '
import json, sys
print(" ".join("%s-%s:%s" % (a["properties"]["start"], a["properties"]["end"],
                             a["properties"].get("frequency", a["properties"].get("label")))
               for v in json.load(open(sys.argv[1]))["views"] for a in v["annotations"]
               if a["@type"].endswith("/TimeFrame/v6")))' "$1"
}

# Shots: 25 red frames, then 25 blue ones: two shots, the cut at frame 25.
mkdir "$tmp/media"
ffmpeg -nostdin -y -v error -filter_complex \
    "color=c=red:s=128x96:r=25:d=1[a];color=c=blue:s=128x96:r=25:d=1[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -c:v mpeg4 -q:v 2 "$tmp/media/shots.mp4" || fail "ffmpeg: the video"
mmif VideoDocument "$tmp/media/shots.mp4" video/mp4 >"$tmp/shots.mmif"
build_example shot-detector "$tmp/shots.mmif" " --param timeUnit=frames"
got=$(frames "$tmp/shot-detector/out.mmif")
[ "$got" = "0-25:shot 25-50:shot" ] || fail "shot-detector: TimeFrames '$got', expected '0-25:shot 25-50:shot'"

# Tones: 3 s of 1 kHz at 48 kHz, then 1 s of silence: one tone, 0-3000 ms.
ffmpeg -nostdin -y -v error -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=3" \
    -af "apad=pad_dur=1" -c:a pcm_s16le "$tmp/media/tone.wav" || fail "ffmpeg: the tone"
mmif AudioDocument "$tmp/media/tone.wav" audio/wav >"$tmp/tone.mmif"
build_example tone-detector "$tmp/tone.mmif" ""
got=$(frames "$tmp/tone-detector/out.mmif")
case $got in
"0-"[23]???":1000.0") ;;
*) fail "tone-detector: TimeFrames '$got', expected one 1000.0 Hz tone from 0 to about 3000 ms" ;;
esac
echo "devx examples from a private prefix: ok ($got)"
