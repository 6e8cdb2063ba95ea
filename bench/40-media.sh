#!/usr/bin/env bash
# libclams-media: frame extraction and audio decoding (bench/media/media_bench.c).
# usage: bench/40-media.sh BUILD_DIR
# Makes, with the ffmpeg tool: a 10-minute 640x360 25 fps H.264 video
# (testsrc2, libx264 veryfast, a keyframe every 2 s: -g 50) and its first
# minute (stream copy); busy footage (bench/busy-video.sh: sixty 10 s shots
# of detailed moving sources, x264's default preset, a keyframe every 48
# frames, B-frames; BUSY_MINUTES, default 10); one hour of 48 kHz stereo, as
# 16-bit WAV and as AAC (128 kb/s, FFmpeg's encoder).
# Reports the median of RUNS runs (default 3; the ffmpeg and media_bench
# runs alternate, so that a change in the machine's load hits both) of:
#  - `ffmpeg -i IN -f null -` (decoding only, FFmpeg's automatic threads)
#  - `ffmpeg -i IN -pix_fmt rgb24 -f null -` (decoding + the same conversion)
#  - dense extraction: every frame as RGB24 (decode + conversion)
#  - analysis frames: every frame at 256x144 (CLAMS_SCALE_ANALYSIS), against
#    `ffmpeg -i IN -vf scale=256:144 -pix_fmt rgb24 -f null -`
#  - both again through clams_video_sweep (every frame, parallel segments)
#  - sparse extraction: one frame every 2 s, at keyframes (offset 0) and
#    between them (offset 1 s: each target is 25 frames after a keyframe)
#  - peak RSS of dense extraction, 1-minute vs 10-minute video
#  - the hour of audio (WAV, AAC) decoded to 16 kHz mono float (seconds, peak RSS)
# Targets (issue 12): dense >= 0.8x ffmpeg's decode rate; sparse >= 5x faster
# than dense; peak RSS of 1 and 10 minutes within 10 %. Issue 22: dense >=
# 0.8x ffmpeg producing RGB24, on the busy footage too.
# VIDEO_ONLY=1 skips the audio.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
bin="$build/bench/media_bench"
[ -x "$bin" ] || { echo "40-media: $bin not built (CLAMS_MEDIA off?)"; exit 0; }
runs=${RUNS:-3}
minutes=${BENCH_VIDEO_MINUTES:-10}
busy_minutes=${BUSY_MINUTES:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ff=(ffmpeg -nostdin -y -v error)

t0=$(date +%s.%N)
"${ff[@]}" -f lavfi -i "testsrc2=s=640x360:r=25:d=$((minutes * 60))" -c:v libx264 \
    -preset veryfast -g 50 -pix_fmt yuv420p "$work/long.mp4"
"${ff[@]}" -i "$work/long.mp4" -t 60 -c copy "$work/min1.mp4"
bash "$(dirname "$0")/busy-video.sh" "$work/busy.mp4" "$busy_minutes"
"${ff[@]}" -f lavfi -i "sine=f=440:r=48000:d=3600" -f lavfi -i "sine=f=1000:r=48000:d=3600" \
    -filter_complex "[0][1]amerge=inputs=2" -c:a pcm_s16le "$work/hour.wav"
"${ff[@]}" -i "$work/hour.wav" -c:a aac -b:a 128k "$work/hour.m4a"
echo "media made in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s:" \
     "$(du -m "$work/long.mp4" | cut -f1) MB video ($minutes min)," \
     "$(du -m "$work/hour.wav" | cut -f1) MB audio"


# One ffmpeg run: seconds and peak RSS (KB); arguments go before -f null.
ffmpeg_null() { /usr/bin/time -f "%e %M" "${ff[@]}" "$@" -f null - 2>&1 | tail -1; }
# One media_bench run: "SECONDS FRAMES/S RSS_MiB".
mb1() {
    "$bin" "$@" | sed -E 's/.* in ([0-9.]+) s \(open.*, ([0-9.]+) frames\/s, peak RSS ([0-9.]+) MiB.*/\1 \2 \3/'
}
mb() { for _ in $(seq "$runs"); do mb1 "$@"; done; }

for f in min1 long busy; do
    in="$work/$f.mp4"
    frames=$(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames -of csv=p=0 "$in")
    rm -f "$work"/ff.txt "$work"/ffrgb.txt "$work"/ffsmall.txt "$work"/dense.txt "$work"/an.txt \
        "$work"/sw.txt "$work"/swan.txt
    for _ in $(seq "$runs"); do # alternating
        ffmpeg_null -i "$in" >> "$work/ff.txt"
        ffmpeg_null -i "$in" -pix_fmt rgb24 >> "$work/ffrgb.txt"
        mb1 dense "$in" >> "$work/dense.txt"
        mb1 sweep "$in" >> "$work/sw.txt"
        ffmpeg_null -i "$in" -vf scale=256:144 -pix_fmt rgb24 >> "$work/ffsmall.txt"
        mb1 analysis "$in" 256 >> "$work/an.txt"
        mb1 sweep-analysis "$in" 256 >> "$work/swan.txt"
    done
    sw_s=$(cut -d' ' -f1 < "$work/sw.txt" | median)
    swan_s=$(cut -d' ' -f1 < "$work/swan.txt" | median)
    ff_s=$(cut -d' ' -f1 < "$work/ff.txt" | median)
    rgb_s=$(cut -d' ' -f1 < "$work/ffrgb.txt" | median)
    small_s=$(cut -d' ' -f1 < "$work/ffsmall.txt" | median)
    a_s=$(cut -d' ' -f1 < "$work/an.txt" | median)
    mb sparse "$in" 2 0 > "$work/sk.txt"
    mb sparse "$in" 2 1 > "$work/sm.txt"
    d_s=$(cut -d' ' -f1 < "$work/dense.txt" | median)
    d_rss=$(cut -d' ' -f3 < "$work/dense.txt" | median)
    k_s=$(cut -d' ' -f1 < "$work/sk.txt" | median)
    m_s=$(cut -d' ' -f1 < "$work/sm.txt" | median)
    echo "$f ($frames frames):"
    awk -v fr="$frames" -v ff="$ff_s" -v d="$d_s" -v k="$k_s" -v m="$m_s" -v rss="$d_rss" \
        -v rgb="$rgb_s" -v small="$small_s" -v an="$a_s" -v sw="$sw_s" -v swan="$swan_s" 'BEGIN {
        printf "  ffmpeg -f null         %7.2f s  %6.0f frames/s\n", ff, fr / ff
        printf "  ffmpeg -pix_fmt rgb24  %7.2f s  %6.0f frames/s\n", rgb, fr / rgb
        printf "  dense RGB24            %7.2f s  %6.0f frames/s  %.2fx ffmpeg, %.2fx ffmpeg rgb24  peak RSS %.1f MiB\n", d, fr / d, (fr / d) / (fr / ff), (fr / d) / (fr / rgb), rss
        printf "  dense RGB24, sweep     %7.2f s  %6.0f frames/s  %.2fx ffmpeg rgb24\n", sw, fr / sw, (fr / sw) / (fr / rgb)
        printf "  ffmpeg scale=256:144 rgb24 %7.2f s  %6.0f frames/s\n", small, fr / small
        printf "  analysis 256x144 RGB24 %7.2f s  %6.0f frames/s  %.2fx ffmpeg -f null, %.2fx ffmpeg scale\n", an, fr / an, (fr / an) / (fr / ff), (fr / an) / (fr / small)
        printf "  analysis, sweep        %7.2f s  %6.0f frames/s  %.2fx ffmpeg scale\n", swan, fr / swan, (fr / swan) / (fr / small)
        printf "  sparse 2 s, keyframes  %7.2f s  %.1fx faster than dense\n", k, d / k
        printf "  sparse 2 s, mid-GOP    %7.2f s  %.1fx faster than dense\n", m, d / m
    }'
    echo "$d_rss" > "$work/$f.rss"
done
awk -v a="$(cat "$work/min1.rss")" -v b="$(cat "$work/long.rss")" \
    'BEGIN { printf "peak RSS, dense: 1 min %.1f MiB, %s %.1f MiB (%+.1f %%)\n", a, "long", b, (b - a) / a * 100 }'
[ "${VIDEO_ONLY:-0}" = 1 ] && exit 0

for a in wav m4a; do
    for _ in $(seq "$runs"); do "$bin" audio "$work/hour.$a"; done > "$work/audio.txt"
    a_s=$(sed -E 's/.* in ([0-9.]+) s .*/\1/' "$work/audio.txt" | median)
    a_rss=$(sed -E 's/.*peak RSS ([0-9.]+) MiB.*/\1/' "$work/audio.txt" | median)
    a_n=$(sed -E 's/.* to ([0-9]+) samples .*/\1/' "$work/audio.txt" | head -1)
    echo "audio: 1 h of 48 kHz stereo ($a) to 16 kHz mono float ($a_n samples): $a_s s," \
         "peak RSS $a_rss MiB (median of $runs)"
done
