#!/usr/bin/env bash
# Busy footage for the media benchmarks (bench/40-media.sh, bench/50-pipeline.sh):
# 640x360 25 fps H.264 of SHOTS 10 s shots (6 a minute) of detailed moving
# sources in turn: testsrc2, a Mandelbrot zoom, Conway's life, SMPTE HD bars
# scrolling, an elementary cellular automaton; each shot varies its source
# (hue, position, seed, rule) so that no two are alike. libx264 at its default
# preset, a keyframe every 48 frames, B-frames (x264's default 3): content
# that costs the decoder real work, unlike the solid colours of the easy
# video. The true cuts are the frames 250 * k, k = 1 .. SHOTS - 1.
# With a third argument `nosc`, x264's scene-cut detection is off: keyframes
# come only every 48 frames, so most cuts fall inside GOPs, on any kind of
# frame (with it on, x264 puts a keyframe on each cut).
# usage: bench/busy-video.sh OUT.mp4 MINUTES [nosc]
set -euo pipefail
out=$1
shots=$(( ${2:-10} * 6 ))
s=640x360
in=()
for i in $(seq 0 $((shots - 1))); do
    case $((i % 5)) in
    0) src="testsrc2=s=$s:r=25,hue=h=$((i * 37 % 360))" ;;
    1) src="mandelbrot=s=$s:r=25:start_x=-0.74$((i % 9)):start_y=0.1$((i % 7))$((i % 3))" ;;
    2) src="life=s=$s:r=25:seed=$i:ratio=0.$((2 + i % 5)):mold=$((10 + i)):life_color=#$(printf '%02x%02x%02x' $((i * 53 % 256)) $((200 - i * 3)) $((i * 97 % 256)))" ;;
    3) src="smptehdbars=s=$s:r=25,scroll=h=0.00$((1 + i % 8)):v=0.00$((1 + i % 3)),hue=h=$((i * 29 % 360)):s=1.$((i % 5))" ;;
    4) src="cellauto=s=$s:r=25:rule=$((18 + i * 7 % 200)):seed=$i:random_fill_ratio=0.$((3 + i % 6)),hue=h=$((i * 13 % 360))" ;;
    esac
    in+=(-f lavfi -i "$src,trim=end_frame=250,setpts=PTS-STARTPTS,format=yuv420p,setsar=1")
done
pads=$(for i in $(seq 0 $((shots - 1))); do printf '[%d]' "$i"; done)
ffmpeg -nostdin -y -v error "${in[@]}" -filter_complex "${pads}concat=n=$shots:v=1:a=0[v]" \
    -map "[v]" -c:v libx264 -g 48 ${3:+-x264-params scenecut=0} -pix_fmt yuv420p "$out"
