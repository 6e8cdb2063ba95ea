"""media_hostile.py: hostile locations and sampling against example apps, in
the development server, the production server and file mode.

The corpus is made here, at test time: a media root with a text file, a
symbolic link out of it, a FIFO, a sparse file over the text limit, a short
video (ffmpeg), and requests naming /proc, /dev, files outside the root and
TimeFrames that ask for absurd work. Each case has its answer (status and a
word the body must hold) within a time bound; no answer may hold the
server's secret environment variable or /etc/passwd's content; a good
request is served after every case.

Decompression bombs are made here too: a 16000x16000 PNG (1-bit, 32 KB), the
same image as the frame of a Matroska video, and a WAV whose header declares
2e9 samples per second; each must be refused on its header (--max-pixels,
--max-sample-rate) before anything is decoded.

usage: media_hostile.py TOKENIZER OCR TONE WORK_DIR"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

tokenizer, ocr, tone, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
root = os.path.join(work, "root")
os.makedirs(root)
SECRET = "hostile-secret-7f3a9c"
open(os.path.join(root, "a.txt"), "w").write("Hello hostile world.\n")
os.symlink("/etc/passwd", os.path.join(root, "link"))
os.mkfifo(os.path.join(root, "fifo"))
with open(os.path.join(root, "big.txt"), "wb") as f:  # sparse: no disk used
    f.truncate(100 << 20)
video = os.path.join(root, "v.mp4")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=64x48:r=25:d=0.2",
                "-pix_fmt", "yuv420p", video], check=True)
passwd_line = open("/etc/passwd").readline().strip()


def png_bomb(path, w, h):
    """A 1-bit greyscale PNG of w x h zero pixels: small on disk, w*h pixels decoded."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = (b"\0" * (1 + (w + 7) // 8)) * h
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def wav_rate_bomb(path, rate):
    """A 16-bit mono WAV whose header declares `rate` samples per second."""
    import struct
    data = b"\0" * 4000
    fmt = struct.pack("<HHIIHH", 1, 1, rate, (rate * 2) & 0xFFFFFFFF, 2, 16)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16)
                + fmt + b"data" + struct.pack("<I", len(data)) + data)


bomb_png = os.path.join(root, "bomb.png")
png_bomb(bomb_png, 16000, 16000)
bomb_mkv = os.path.join(root, "bomb.mkv")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", bomb_png, "-c", "copy", bomb_mkv], check=True)
good_wav = os.path.join(root, "tone.wav")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=1000:d=3", good_wav],
               check=True)
bomb_wav = os.path.join(root, "bomb.wav")
wav_rate_bomb(bomb_wav, 2000000000)

V = "http://mmif.clams.ai/vocabulary/"


def mmif(docs, anns=None):
    m = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "documents": docs, "views": []}
    if anns is not None:
        m["views"] = [{"id": "v_0", "metadata": {"app": "http://apps.clams.ai/t/1", "contains": {
            V + "TimeFrame/v6": {"timeUnit": "frames", "document": "d1"},
            V + "TimePoint/v4": {"timeUnit": "frames", "document": "d1"}}},
            "annotations": anns}]
    return json.dumps(m).encode()


def text(loc):
    return mmif([{"@type": V + "TextDocument/v1", "properties": {"id": "d1", "location": loc}}])


def vid(anns):
    return mmif([{"@type": V + "VideoDocument/v1",
                  "properties": {"id": "d1", "mime": "video/mp4", "location": video}}], anns)


def media(kind, mime, loc):
    return mmif([{"@type": V + kind + "/v1", "properties": {"id": "d1", "mime": mime, "location": loc}}])


def tf(i, **props):
    return {"@type": V + "TimeFrame/v6", "properties": dict(id=i, **props)}


def fan_out():
    anns = [{"@type": V + "TimePoint/v4", "properties": {"id": f"p{i}", "timePoint": 0}}
            for i in range(20)]
    for k in range(1, 9):
        below = [f"p{i}" if k == 1 else f"f{k - 1}_{i}" for i in range(20)]
        anns += [tf(f"f{k}_{i}", targets=below) for i in range(20)]
    return anns


# (name, app, body, query, status, word in the body, seconds)
OUT = "outside the media roots"
NEVER = "/proc, /sys and /dev are never read"
CASES = [
    ("proc_environ", "tok", text("/proc/self/environ"), "", 403, NEVER, 10),
    ("proc_environ_uri", "tok", text("file:///proc/self/environ"), "", 403, NEVER, 10),
    ("dev_zero", "tok", text("/dev/zero"), "", 403, NEVER, 10),
    ("dev_urandom", "tok", text("file:///dev/urandom"), "", 403, NEVER, 10),
    ("etc_passwd", "tok", text("/etc/passwd"), "", 403, OUT, 10),
    ("etc_missing", "tok", text("/etc/no-such-file-here"), "", 403, OUT, 10),
    ("dotdot_uri", "tok", text("file://localhost/../../etc/passwd"), "", 403, OUT, 10),
    ("dotdot_root", "tok", text(root + "/../../../../etc/passwd"), "", 403, OUT, 10),
    ("symlink_out", "tok", text(root + "/link"), "", 403, OUT, 10),
    ("fifo", "tok", text(root + "/fifo"), "", 200, "not a regular file", 10),
    ("sparse_100M", "tok", text(root + "/big.txt"), "", 400, "--max-text-bytes", 10),
    ("all_1e8_frames", "ocr", vid([tf("t", start=0, end=100000000)]), "tfSamplingMode=all",
     400, "--max-frames", 20),
    ("overflow_9e18", "ocr", vid([tf("t", start=-9e18, end=9e18)]), "tfSamplingMode=all", 400,
     "out of range", 20),
    ("fan_out_20x8", "ocr", vid(fan_out()), "tfSamplingMode=single", 200, "", 30),
    ("target_cycle", "ocr", vid([tf("a", targets=["b"]), tf("b", targets=["a"])]),
     "tfSamplingMode=single", 400, "cycle", 20),
    ("interval_zero", "ocr", vid(None), "sampleInterval=0", 400, "sampleInterval", 20),
    # An image file has no size outside its picture: FFmpeg's decoder refuses it
    # (max_pixels) before allocating, a failure of that media file (500).
    ("png_bomb_16000", "ocr", media("ImageDocument", "image/png", bomb_png), "", 500,
     "--max-pixels", 20),
    ("png_in_mkv_16000", "ocr", media("VideoDocument", "video/x-matroska", bomb_mkv), "", 400,
     "--max-pixels", 20),
    ("wav_2e9_hz", "tone", media("AudioDocument", "audio/wav", bomb_wav), "", 400,
     "--max-sample-rate", 20),
]
GOOD = {"tok": (text(root + "/a.txt"), "", "hostile"), "ocr": (vid(None), "", "VideoDocument"),
        "tone": (media("AudioDocument", "audio/wav", good_wav), "", "TimeFrame")}
APPS = {"tok": tokenizer, "ocr": ocr, "tone": tone}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body, query, timeout):
    url = f"http://127.0.0.1:{port}/" + ("?" + query if query else "")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def start(app, flags, env):
    port = free_port()
    p = subprocess.Popen([APPS[app], "--port", str(port)] + flags, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return p, port
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit(f"{app} {flags} did not start")


def leaks(body):
    return SECRET in body or (passwd_line and passwd_line in body)


bad = 0


def report(ok, what):
    global bad
    bad += not ok
    print(("ok   " if ok else "FAIL ") + what, flush=True)


env = dict(os.environ, CLAMS_MEDIA_ROOT=root, CLAMS_HOSTILE_SECRET=SECRET)
for mode, flags in (("dev", []), ("prod", ["--production", "--workers", "2"])):
    servers = {a: start(a, flags, env) for a in APPS}
    for name, app, body, query, status, word, limit in CASES:
        port = servers[app][1]
        t0 = time.monotonic()
        try:
            got, text_ = post(port, body, query, limit)
        except OSError as e:
            got, text_ = 0, str(e)
        took = time.monotonic() - t0
        ok = got == status and word in text_ and not leaks(text_) and took < limit
        report(ok, f"{mode} {name}: {got} in {took:.2f}s (want {status}, '{word}')"
               + ("" if ok else ": " + text_[:300]))
        gb, gq, gw = GOOD[app]
        got, text_ = post(port, gb, gq, 60)
        report(got == 200 and gw in text_, f"{mode} {name}: a good request after it: {got}")
    for p, _ in servers.values():
        p.terminate()
        p.wait(timeout=60)

# File mode: the same refusals, exit 1, an error view, nothing leaked.
for name, app, body, query, status, word, limit in CASES:
    if query or app != "tok":
        continue
    src, out = os.path.join(work, "in.json"), os.path.join(work, "out.json")
    open(src, "wb").write(body)
    r = subprocess.run([APPS[app], "annotate", src, out], env=env, timeout=limit,
                       capture_output=True, text=True)
    got = open(out).read() if os.path.exists(out) else ""
    want_rc = 0 if status == 200 else 1
    ok = r.returncode == want_rc and word in got and not leaks(got + r.stderr)
    report(ok, f"file {name}: exit {r.returncode} (want {want_rc}, '{word}')")

# Without a root: /proc and /dev still refused, and the server says at start
# that requests may read any other file.
env.pop("CLAMS_MEDIA_ROOT")
p, port = start("tok", [], env)
for loc in ("/proc/self/environ", "/dev/zero"):
    got, body = post(port, text(loc), "", 10)
    report(got == 403 and not leaks(body), f"no root {loc}: {got}")
got, body = post(port, text(root + "/a.txt"), "", 10)
report(got == 200, f"no root, a file anywhere else: {got}")
p.terminate()
err = p.communicate(timeout=60)[1]
report("no media root" in err, "no root: the startup warning")
sys.exit(1 if bad else 0)
