#!/bin/sh
# make-shot-video.sh OUT.mp4: the video of gpu-check's shot-detector check (g):
# 640x360 at 25 fps, four shots of 60, 70, 50 and 80 frames (cuts at frames
# 60, 130 and 180; 260 frames in all: four full GPU batches of 64 and a
# partial one). Made with the ffmpeg tool, here or by gpu-bundle.sh (the GPU
# machine may have no ffmpeg).
set -eu
out=$1
size=640x360
ffmpeg -nostdin -y -v error \
    -f lavfi -i "color=c=0x203080:s=$size:r=25" -f lavfi -i "testsrc2=s=$size:r=25" \
    -f lavfi -i "color=c=0x802020:s=$size:r=25" -f lavfi -i "smptebars=s=$size:r=25" \
    -filter_complex "[0]trim=end_frame=60,setpts=PTS-STARTPTS[a];\
[1]trim=end_frame=70,setpts=PTS-STARTPTS[b];[2]trim=end_frame=50,setpts=PTS-STARTPTS[c];\
[3]trim=end_frame=80,setpts=PTS-STARTPTS[d];[a][b][c][d]concat=n=4:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -c:v libx264 -preset veryfast "$out"
