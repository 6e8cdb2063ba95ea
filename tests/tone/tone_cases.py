"""tone_cases.py: end-to-end checks of examples/tone-detector in file mode
(`tone-detector annotate IN OUT --param k=v`): generated audio in (WAV of
several layouts and encodings, and, made with the ffmpeg tool from the same
signal, FLAC, MP3, AAC, Opus and the audio track of an H.264 video), MMIF
out, checked for the TimeFrames found (start/end within one 50 ms frame,
frequency), for error views naming the document, the file and what failed
on bad files, for schema validity, and for the CPU and GPU paths agreeing
whenever a GPU is usable. Then the same error views over HTTP, from the
development and the production server, each of which goes on serving.

usage: tone_cases.py TONE_DETECTOR SHARED_DIR WORK_DIR"""
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import jsonschema  # a missing jsonschema must fail the test, never skip it

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wavgen  # noqa: E402

BIN, SHARED, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
FRAME_MS = 50
TF = "http://mmif.clams.ai/vocabulary/TimeFrame/v6"
SCHEMA = json.load(open(os.path.join(SHARED, "clams-reference/mmif-spec/mmif.schema.json")))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def mmif_for(docs):
    return {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "documents": docs, "views": []}


def audio_doc(path, did="d1", kind="AudioDocument"):
    return {"@type": f"http://mmif.clams.ai/vocabulary/{kind}/v1",
            "properties": {"id": did, "mime": "audio/wav", "location": "file://" + path}}


def run(name, docs, params=()):
    inp, out = os.path.join(WORK, name + ".in.mmif"), os.path.join(WORK, name + ".out.mmif")
    json.dump(mmif_for(docs), open(inp, "w"))
    args = [BIN, "annotate", inp, out]
    for p in params:
        args += ["--param", p]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    doc = json.load(open(out))
    try:
        jsonschema.validate(doc, SCHEMA)
        valid = True
    except jsonschema.ValidationError as e:
        valid = False
        print("schema error:", e.message)
    check(valid, f"{name}: output follows the MMIF schema")
    return proc.returncode, doc


def frames(doc):
    out = []
    for v in doc["views"]:
        for a in v.get("annotations", []):
            if a["@type"] == TF:
                p = a["properties"]
                out.append((p["start"], p["end"], p["frequency"]))
    return out


def error_of(doc):
    for v in doc["views"]:
        if "error" in v["metadata"]:
            return v["metadata"]["error"]["message"]
    return None


def warnings_of(doc):
    return [w for v in doc["views"] for w in v["metadata"].get("warnings", [])]


def expect_tones(name, path, expected, params=(), kind="AudioDocument", slack_ms=0):
    """expected: [(start s, end s, Hz)]; boundaries within one frame (plus
    slack_ms for lossy codecs), Hz within 3."""
    rc, doc = run(name, [audio_doc(path, kind=kind)], params)
    got = frames(doc)
    check(rc == 0 and error_of(doc) is None, f"{name}: succeeds (rc={rc})")
    check(len(got) == len(expected), f"{name}: {len(expected)} tone(s) found, got {got}")
    for (s, e, hz), (gs, ge, gf) in zip(expected, got):
        check(abs(gs - s * 1000) <= FRAME_MS + slack_ms and
              abs(ge - e * 1000) <= FRAME_MS + slack_ms,
              f"{name}: tone {s}-{e} s reported as {gs}-{ge} ms")
        check(abs(gf - hz) <= 3.0, f"{name}: frequency {hz} Hz reported as {gf}")
    contains = [v["metadata"]["contains"].get(TF) for v in doc["views"]
                if TF in v["metadata"].get("contains", {})]
    check(contains and contains[0].get("timeUnit") == "millisecond"
          and contains[0].get("document") == "d1", f"{name}: contains metadata {contains}")
    return doc


def expect_error(name, path, needle, did="d1", kind="AudioDocument"):
    rc, doc = run(name, [audio_doc(path, did, kind)])
    msg = error_of(doc) or ""
    check(rc != 0 and needle in msg and did in msg and path in msg,
          f"{name}: fails naming the document, the file and '{needle}' (rc={rc}, '{msg}')")


def w(name):
    return os.path.join(WORK, name)


def make_silent_video(ff):
    subprocess.run(ff + ["-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=1", "-c:v", "libx264",
                         "-preset", "ultrafast", w("silent.mp4")], check=True)
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def serve_checks(label, extra):
    """A bad file gives a 500 error view naming the document, the file and the
    failure; the server then answers a good request (and again a bad one)."""
    port = free_port()
    proc = subprocess.Popen([BIN, "--port", str(port), "--host", "127.0.0.1"] + extra,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        for round_ in range(2):
            code, doc = post(port, mmif_for([audio_doc(w("text.wav"), "bad1")]))
            msg = error_of(doc) or ""
            check(code == 500 and "bad1" in msg and w("text.wav") in msg
                  and "not a media file" in msg,
                  f"{label}: bad media -> 500 error view ({code}, '{msg}') round {round_}")
            code, doc = post(port, mmif_for([audio_doc(w("tone.flac"))]))
            got = frames(doc)
            check(code == 200 and len(got) == 1 and abs(got[0][2] - 1000) <= 3,
                  f"{label}: then a good request is served ({code}, {got}) round {round_}")
        check(proc.poll() is None, f"{label}: the server is still running")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    os.makedirs(WORK, exist_ok=True)
    L = wavgen.LEVEL
    wavgen.mono(w("silence.wav"), 3, 16000, [])
    expect_tones("silence", w("silence.wav"), [])

    wavgen.mono(w("tone1k.wav"), 6, 16000, [(1.23, 4.37, 1000, L)])
    expect_tones("tone1k", w("tone1k.wav"), [(1.23, 4.37, 1000)])

    wavgen.mono(w("noisy.wav"), 5, 16000, [(0.8, 3.9, 1000, L)],
                noise=32768 * 10 ** (-45 / 20))
    expect_tones("tone_noise", w("noisy.wav"), [(0.8, 3.9, 1000)])

    wavgen.mono(w("two.wav"), 7, 16000, [(0.5, 3.0, 440, L), (3.0, 6.0, 1234, L)])
    expect_tones("two_tones", w("two.wav"), [(0.5, 3.0, 440), (3.0, 6.0, 1234)])

    wavgen.mono(w("short.wav"), 3, 16000, [(0.5, 1.5, 1000, L)])
    expect_tones("short_default", w("short.wav"), [])
    expect_tones("short_min500", w("short.wav"), [(0.5, 1.5, 1000)], ["minDuration=500"])

    left = wavgen.signal(4, 44100, [(0.5, 3.0, 1000, L)])
    wavgen.write(w("stereo.wav"), 44100, 2, [(v, 0.0) for v in left])
    expect_tones("stereo_44k", w("stereo.wav"), [(0.5, 3.0, 1000)])

    sig = wavgen.signal(3, 22050, [(0.3, 2.8, 2000, L)])
    wavgen.riff_chunks(w("odd.wav"), 22050, 1, 16, wavgen.pcm16(sig),
                       extra_chunks=[(b"LIST", b"INFOx"), (b"junk", b"abc")], extensible=True)
    expect_tones("riff_odd_chunks_extensible_22k", w("odd.wav"), [(0.3, 2.8, 2000)])

    # Encodings the hand-written WAV reader refused, now read through FFmpeg.
    s8 = wavgen.signal(3, 8000, [(0.5, 2.5, 1000, L)])
    wavgen.riff_chunks(w("eight.wav"), 8000, 1, 8,
                       bytes(max(0, min(255, 128 + int(round(v / 256)))) for v in s8))
    expect_tones("eight_bit", w("eight.wav"), [(0.5, 2.5, 1000)])
    wavgen.riff_chunks(w("float.wav"), 8000, 1, 32,
                       b"".join(struct.pack("<f", v / 32768) for v in s8), fmt_tag=3)
    expect_tones("float", w("float.wav"), [(0.5, 2.5, 1000)])
    # Compressed formats and a video's audio track, from one WAV by ffmpeg.
    wavgen.mono(w("src.wav"), 5, 16000, [(1.0, 3.5, 1000, L)])
    ff = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
    for name, args in (("flac", ["-c:a", "flac"]), ("mp3", ["-c:a", "libmp3lame"]),
                       ("m4a", ["-c:a", "aac", "-b:a", "96k"]),
                       ("opus", ["-c:a", "libopus", "-b:a", "64k"])):
        subprocess.run(ff + ["-i", w("src.wav")] + args + [w("tone." + name)], check=True)
        expect_tones(name, w("tone." + name), [(1.0, 3.5, 1000)], slack_ms=30)
    subprocess.run(ff + ["-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=5", "-i", w("src.wav"),
                         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                         "-shortest", w("video.mp4")], check=True)
    expect_tones("video_track", w("video.mp4"), [(1.0, 3.5, 1000)], kind="VideoDocument",
                 slack_ms=30)

    wavgen.riff_chunks(w("trunc.wav"), 16000, 1, 16, wavgen.pcm16(sig[:16000]),
                       truncate_to=44 + 1000)
    expect_error("truncated", w("trunc.wav"), "truncated")
    with open(w("text.wav"), "w") as f:
        f.write("this is not audio\n")
    expect_error("not_audio", w("text.wav"), "not a media file")
    expect_error("missing", w("does-not-exist.wav"), "cannot open")
    open(w("empty.wav"), "wb").close()
    expect_error("empty", w("empty.wav"), "empty")
    expect_error("video_without_audio", w("silent.mp4"), "no audio stream", "v9",
                 "VideoDocument") if make_silent_video(ff) else None
    rc, doc = run("no_audio", [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                                "properties": {"id": "t1", "text": {"@value": "hi"}}}])
    check(rc == 0 and any("no AudioDocument" in x for x in warnings_of(doc)),
          f"no_audio: succeeds with a warning {warnings_of(doc)}")

    # The GPU path either agrees bit for bit after the decisions, or (on a
    # host without a usable GPU) fails saying so; auto always agrees with cpu.
    cpu = frames(run("dev_cpu", [audio_doc(w("two.wav"))], ["device=cpu"])[1])
    rc, gdoc = run("dev_gpu", [audio_doc(w("two.wav"))], ["device=gpu"])
    check((rc == 0 and frames(gdoc) == cpu) or
          (rc != 0 and "no GPU is usable" in (error_of(gdoc) or "")),
          f"device=gpu agrees with cpu or fails clearly (rc={rc}, {error_of(gdoc)})")
    rc, adoc = run("dev_auto", [audio_doc(w("two.wav"))], ["device=auto"])
    warn = warnings_of(adoc)
    check(rc == 0 and frames(adoc) == cpu and all("used the CPU" in x for x in warn),
          f"device=auto agrees with cpu; warnings {warn}")
    rc, bdoc = run("dev_bad", [audio_doc(w("two.wav"))], ["device=tpu"])
    check(rc != 0, f"device=tpu is refused (rc={rc})")

    serve_checks("dev server", [])
    serve_checks("production", ["--production", "--workers", "1"])

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
