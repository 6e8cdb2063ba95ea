"""gen_media.py: makes the media the libclams-media tests read, with the ffmpeg
tool (lavfi sources), and what ffmpeg itself extracts from them, as the
reference: frames `-vf select=eq(n\\,N)` writes as raw RGB24/GRAY8, audio as
`-ar 16000 -ac 1 -f f32le`, frame counts from ffprobe -count_frames.
Writes WORK/manifest.json describing all of it. Small and short on purpose:
the suite runs twice on two cores.

usage: gen_media.py WORK_DIR"""
import json
import os
import random
import shutil
import subprocess
import sys

WORK = sys.argv[1]
FF = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def w(name):
    return os.path.join(WORK, name)


def run(args):
    subprocess.run(args, check=True, timeout=300)


def count_frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[0].split(",")[0])


def select_expr(frames):
    return "+".join(f"eq(n\\,{n})" for n in frames)


def ref_frames(path, frames, out, chain="format=rgb24", pix="rgb24"):
    run(FF + ["-i", path, "-vf", f"select='{select_expr(frames)}',{chain}",
              "-fps_mode", "passthrough", "-an", "-f", "rawvideo", "-pix_fmt", pix, out])


def src(seconds, rate, size="176x144"):
    # testsrc2 moves every frame, and the frame number is drawn on it too,
    # so no two frames are alike.
    text = (f",drawtext=fontfile={FONT}:text='%{{n}}':x=8:y=8:fontsize=20:fontcolor=white"
            if os.path.exists(FONT) else "")
    return ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}{text}"]


VIDEOS = [
    # name, input args, codec args
    ("h264_bframes.mp4", src(4, 25) + ["-f", "lavfi", "-i", "sine=f=600:r=44100:d=4"],
     ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "30", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-b:a", "64k"]),
    ("mpeg4.mp4", src(3, 25),
     ["-c:v", "mpeg4", "-bf", "2", "-g", "20", "-q:v", "4"]),
    ("vp9.webm", src(2, 25),
     ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "20",
      "-lag-in-frames", "10", "-auto-alt-ref", "1", "-b:v", "300k"]),
    ("h264_2997.mp4", src(3, "30000/1001"),
     ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "24", "-pix_fmt", "yuv420p"]),
    ("h264_offset.mkv", src(3, 25),
     ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "25", "-pix_fmt", "yuv420p",
      "-output_ts_offset", "7.5"]),
    ("h264.ts", src(3, 25),
     ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "40", "-pix_fmt", "yuv420p"]),
    # Open GOPs: B-frames before an I-frame in display order refer to the
    # GOP before it, so that I-frame is not a clean place to start.
    ("h264_opengop.mkv", src(4, 25),
     ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "24",
      "-x264-params", "open-gop=1:scenecut=0", "-pix_fmt", "yuv420p"]),
    # Variable frame rate: every fifth frame dropped, timestamps kept, so
    # frame numbers from the average rate would drift; from timestamps they
    # cannot.
    ("h264_vfr.mkv", src(4, 25),
     ["-vf", "select='not(eq(mod(n\\,5)\\,2))'", "-fps_mode", "vfr", "-c:v", "libx264",
      "-preset", "veryfast", "-bf", "2", "-g", "20", "-pix_fmt", "yuv420p"]),
]


# Made from h264_bframes.mp4 by a stream copy from 1.3 s: decoding starts at
# the keyframe before and an MP4 edit list hides the first frames (FFmpeg
# marks their packets discard; the header still counts them).
DERIVED = [("h264_editlist.mp4", "h264_bframes.mp4", ["-ss", "1.3"], ["-an", "-c", "copy"])]


def frame_lists(n):
    return {
        "first": [0],
        "last": [n - 1],
        "dense": list(range(20, 32)),
        "sparse": sorted({0, 3, 13, 29, 31, n // 2, n - 9, n - 1}),
        "repeats": [5, 5, 6, n - 2, n - 2],
    }


def main():
    os.makedirs(WORK, exist_ok=True)
    man = {"videos": [], "audio": [], "bad": {}, "images": []}
    jobs = [(n, i, c, None) for n, i, c in VIDEOS] + \
           [(n, pre, post, base) for n, base, pre, post in DERIVED]
    for name, inputs, codec, base in jobs:
        path = w(name)
        if base:
            run(FF + inputs + ["-i", w(base)] + codec + [path])
        else:
            run(FF + inputs + codec + [path])
        n = count_frames(path)
        lists = frame_lists(n)
        union = sorted({f for fs in lists.values() for f in fs})
        ref = path + ".rgb"
        ref_frames(path, union, ref)
        entry = {"path": path, "frames": n, "lists": lists, "union": union, "ref": ref,
                 "variants": [], "vfr": "vfr" in name}
        probe = json.loads(subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=width,height,avg_frame_rate,codec_name,start_time", "-of", "json", path],
            check=True, capture_output=True, text=True).stdout)["streams"][0]
        num, den = probe["avg_frame_rate"].split("/")
        entry.update(width=probe["width"], height=probe["height"], fps_num=int(num),
                     fps_den=int(den), codec=probe["codec_name"],
                     start_time=float(probe.get("start_time", 0)))
        if name == "h264_bframes.mp4":
            g = path + ".gray"
            ref_frames(path, union, g, "format=gray", "gray")
            entry["variants"].append({"format": "gray8", "width": 0, "height": 0, "ref": g})
            s = path + ".small.rgb"
            ref_frames(path, union, s, "scale=88:72,format=rgb24")
            entry["variants"].append({"format": "rgb24", "width": 88, "height": 72, "ref": s})
        man["videos"].append(entry)

    # Audio: one signal in every container/codec the tone detector reads,
    # and the audio track of the first video.
    sig = ["-f", "lavfi", "-i",
           "aevalsrc=0.4*sin(2*PI*440*t)|0.3*sin(2*PI*1000*t)+0.1*sin(2*PI*3500*t):s=48000:d=3"]
    for name, codec in (("a.wav", ["-c:a", "pcm_s16le"]), ("a.flac", ["-c:a", "flac"]),
                        ("a.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
                        ("a.m4a", ["-c:a", "aac", "-b:a", "128k"]),
                        ("a.opus", ["-c:a", "libopus", "-b:a", "64k"])):
        run(FF + sig + codec + [w(name)])
    for name in ("a.wav", "a.flac", "a.mp3", "a.m4a", "a.opus", "h264_bframes.mp4"):
        ref = w(name + ".f32")
        run(FF + ["-i", w(name), "-vn", "-ar", "16000", "-ac", "1", "-f", "f32le", ref])
        ref2 = w(name + ".s16k")  # kept channels at the source rate, int16
        run(FF + ["-i", w(name), "-vn", "-f", "s16le", ref2])
        man["audio"].append({"path": w(name), "ref_f32_16k_mono": ref, "ref_s16_native": ref2,
                             "video": name.endswith(".mp4")})

    # An image.
    run(FF + src(1, 1, "120x90") + ["-frames:v", "1", w("img.png")])
    run(FF + ["-i", w("img.png"), "-f", "rawvideo", "-pix_fmt", "rgb24", w("img.png.rgb")])
    man["images"].append({"path": w("img.png"), "ref": w("img.png.rgb"), "width": 120,
                          "height": 90})

    # Bad media.
    bad = man["bad"]
    open(w("empty.mp4"), "wb").close()
    bad["empty"] = w("empty.mp4")
    with open(w("text.mp4"), "w") as f:
        f.write("this is not a video, only text\n" * 40)
    bad["not_media"] = w("text.mp4")
    bad["missing"] = w("does-not-exist.mp4")
    bad["directory"] = WORK
    # Truncated, moov at the end (the usual ffmpeg layout): the index is lost.
    data = open(w("h264_bframes.mp4"), "rb").read()
    open(w("trunc_moov.mp4"), "wb").write(data[: len(data) // 2])
    bad["truncated_no_index"] = w("trunc_moov.mp4")
    # Truncated with the index first (faststart): frames are missing.
    run(FF + ["-i", w("h264_bframes.mp4"), "-c", "copy", "-movflags", "+faststart",
              w("fast.mp4")])
    data = open(w("fast.mp4"), "rb").read()
    open(w("trunc_fast.mp4"), "wb").write(data[: int(len(data) * 0.6)])
    bad["truncated"] = w("trunc_fast.mp4")
    # Damaged: the coded picture data overwritten with noise, container intact.
    run(FF + src(2, 25) + ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-bf", "0",
                           "-movflags", "+faststart", "-pix_fmt", "yuv420p", w("dmg.mp4")])
    data = bytearray(open(w("dmg.mp4"), "rb").read())
    mdat = data.find(b"mdat") + 4
    rnd = random.Random(12)
    for i in range(mdat + 64, len(data)):
        data[i] = rnd.randrange(256)
    open(w("damaged.mp4"), "wb").write(bytes(data))
    bad["damaged"] = w("damaged.mp4")
    # Truncated WAV (the header declares 3 s) and an unreadable copy.
    data = open(w("a.wav"), "rb").read()
    open(w("trunc.wav"), "wb").write(data[: len(data) // 3])
    bad["truncated_audio"] = w("trunc.wav")
    shutil.copy(w("a.wav"), w("unreadable.wav"))
    os.chmod(w("unreadable.wav"), 0)
    bad["unreadable"] = w("unreadable.wav")
    bad["video_without_audio"] = w("mpeg4.mp4")
    json.dump(man, open(w("manifest.json"), "w"), indent=1)
    print("media made in", WORK)


if __name__ == "__main__":
    main()
