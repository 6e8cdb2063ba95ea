"""pipeline_cases.py: end-to-end checks of examples/shot-detector and
examples/ocr, alone and chained, on media made at test time with the ffmpeg
tool: a 320x240 25 fps H.264 video of six shots of different content (solid
colours, testsrc2, SMPTE bars, a Mandelbrot zoom), two of them with text drawn
by drawtext in DejaVu Sans, an image with text, and a file that is not video.

usage: pipeline_cases.py CASE SHOT_DETECTOR SHARED_DIR WORK_DIR OCR|-
CASE: media | shots_file_mode | ocr_file_mode | pipeline_servers |
      pipeline_bad_input (each but media reads what media made)."""
import copy
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import jsonschema  # a missing jsonschema must fail the test, never skip it

CASE, SHOTS, SHARED, WORK, OCR = sys.argv[1:6]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FPS = 25
W, H = 320, 240
# (source, frames, drawn text or None); the cuts are the running sums.
SHOT_PLAN = [
    ("color=c=0x203080", 30, "HELLO WORLD"),
    ("testsrc2", 25, None),
    ("color=c=0x802020", 35, None),
    ("smptebars", 25, None),
    ("color=c=0x206020", 30, "CLAMS PIPELINE"),
    ("mandelbrot", 25, None),
]
CUTS = [sum(n for _, n, _ in SHOT_PLAN[:i]) for i in range(1, len(SHOT_PLAN))]
TOTAL = sum(n for _, n, _ in SHOT_PLAN)
IMAGE_TEXT = "OPEN ARCHIVES"
CLIPS = (48, 20, 10)
V = "http://mmif.clams.ai/vocabulary/"
TF, TP, TD, TOKEN, BB, AL = (V + "TimeFrame/v6", V + "TimePoint/v5", V + "TextDocument/v1",
                             V + "Token/v1", V + "BoundingBox/v5", V + "Alignment/v1")
SCHEMA = json.load(open(os.path.join(SHARED, "clams-reference/mmif-spec/mmif.schema.json")))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def w(name):
    return os.path.join(WORK, name)


def doc(kind, path, did, mime):
    return {"@type": V + kind + "/v1",
            "properties": {"id": did, "mime": mime, "location": "file://" + path}}


def mmif_for(docs):
    return {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "documents": docs, "views": []}


VIDEO = lambda: mmif_for([doc("VideoDocument", w("shots.mp4"), "d1", "video/mp4")])  # noqa


def make_media():
    os.makedirs(WORK, exist_ok=True)
    ff = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
    inputs, chains, labels = [], [], []
    for i, (src, n, text) in enumerate(SHOT_PLAN):
        sep = ":" if "=" in src else "="
        inputs += ["-f", "lavfi", "-i", f"{src}{sep}s={W}x{H}:r={FPS}"]
        chain = f"[{i}]trim=end_frame={n},setpts=PTS-STARTPTS"
        if text:
            chain += (f",drawtext=fontfile={FONT}:text='{text}':fontsize=34:"
                      "fontcolor=white:x=(w-tw)/2:y=(h-th)/2")
        chains.append(chain + f"[s{i}]")
        labels.append(f"[s{i}]")
    graph = ";".join(chains) + ";" + "".join(labels) + \
        f"concat=n={len(SHOT_PLAN)}:v=1:a=0,format=yuv420p[v]"
    subprocess.run(ff + inputs + ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264",
                                  "-preset", "veryfast", w("shots.mp4")], check=True)
    subprocess.run(ff + ["-f", "lavfi", "-i", f"color=c=0x303030:s={W}x{H}",
                         "-vf", f"drawtext=fontfile={FONT}:text='{IMAGE_TEXT}':fontsize=30:"
                         "fontcolor=white:x=20:y=40", "-frames:v", "1", w("text.png")],
                   check=True)
    # Clips for the GPU path's batches (16 frames in the simulated build):
    # three full batches, one full and a partial one, a partial one alone.
    for n in CLIPS:
        subprocess.run(ff + ["-i", w("shots.mp4"), "-vf", "select=gte(n\\,20),setpts=N/25/TB",
                             "-frames:v", str(n), "-c:v", "libx264", "-preset", "veryfast",
                             w(f"clip{n}.mp4")], check=True)
    with open(w("not-a-video.mp4"), "w") as f:
        f.write("this is not a video\n")
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0",
                          w("shots.mp4")], capture_output=True, text=True, check=True)
    check(int(out.stdout.strip()) == TOTAL, f"media: {TOTAL} frames made ({out.stdout.strip()})")


# ---- running the apps ------------------------------------------------------------------

def validate(name, d):
    try:
        jsonschema.validate(d, SCHEMA)
        return True
    except jsonschema.ValidationError as e:
        print(f"{name}: schema error: {e.message}")
        return False


def run_file(binary, name, mmif, params=()):
    """File mode: BINARY annotate IN OUT --param k=v...; (rc, output MMIF)."""
    inp, out = w(name + ".in.mmif"), w(name + ".out.mmif")
    json.dump(mmif, open(inp, "w"))
    args = [binary, "annotate", inp, out]
    for p in params:
        args += ["--param", p]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    d = json.load(open(out))
    check(validate(name, d), f"{name}: output follows the MMIF schema")
    return proc.returncode, d


def new_views(d, before):
    return d["views"][len(before["views"]):]


def anns(view, type_):
    return [a for a in view.get("annotations", []) if a["@type"] == type_]


def error_of(d):
    for v in d["views"]:
        if "error" in v["metadata"]:
            return v["metadata"]["error"]["message"]
    return None


def warnings_of(d):
    return [x for v in d["views"] for x in v["metadata"].get("warnings", [])]


def shots_of(d):
    """[(start, end, representative TimePoint's time)] of the first view with TimeFrames."""
    for v in d["views"]:
        tfs = anns(v, TF)
        if tfs:
            tps = {a["properties"]["id"]: a["properties"]["timePoint"] for a in anns(v, TP)}
            return [(a["properties"]["start"], a["properties"]["end"],
                     [tps.get(r) for r in a["properties"].get("representatives", [])])
                    for a in tfs], v
    return [], None


def ms(frame):
    return round(frame * 1000 / FPS)


# ---- shot detector ---------------------------------------------------------------------

def expected_bounds():
    return [0] + CUTS + [TOTAL]


def shots_file_mode():
    rc, d = run_file(SHOTS, "shots_default", VIDEO(), ["device=cpu"])
    got, view = shots_of(d)
    b = expected_bounds()
    check(rc == 0 and error_of(d) is None, f"shots: succeeds (rc={rc})")
    check(len(got) == len(SHOT_PLAN), f"shots: {len(SHOT_PLAN)} shots found, got {len(got)}")
    for i, (s, e, reps) in enumerate(got[:len(SHOT_PLAN)]):
        check(abs(s - ms(b[i])) <= ms(1) and abs(e - ms(b[i + 1])) <= ms(1),
              f"shots: shot {i} [{ms(b[i])}, {ms(b[i + 1])}) ms found as [{s}, {e})")
        mid = b[i] + (b[i + 1] - b[i] - 1) // 2
        check(len(reps) == 1 and reps[0] == ms(mid) and s <= reps[0] < e,
              f"shots: shot {i} represented by its middle frame {mid} ({reps})")
    if view:
        c = view["metadata"]["contains"]
        check(c[TF].get("timeUnit") == "milliseconds" and c[TF].get("document") == "d1",
              f"shots: timeUnit and document in contains {c[TF]}")
        props = [a["properties"] for a in view["annotations"] if a["@type"].endswith("Annotation/v6")]
        check(props and props[0].get("fps") == 25 and props[0].get("frameCount") == TOTAL,
              f"shots: the video's fps and frameCount recorded {props}")
        check(all(a["properties"]["label"] == "shot" for a in anns(view, TF)),
              "shots: every TimeFrame is labelled shot")

    rc, d = run_file(SHOTS, "shots_frames", VIDEO(), ["device=cpu", "timeUnit=frames"])
    got, view = shots_of(d)
    check([(s, e) for s, e, _ in got] == list(zip(b[:-1], b[1:])),
          f"shots: timeUnit=frames gives exactly the cuts made {[(s, e) for s, e, _ in got]}")
    check(view is not None and view["metadata"]["contains"][TF]["timeUnit"] == "frames",
          "shots: timeUnit=frames stated in contains")

    rc, d = run_file(SHOTS, "shots_high", VIDEO(), ["device=cpu", "threshold=200",
                                                    "timeUnit=frames"])
    got, _ = shots_of(d)
    check([(s, e) for s, e, _ in got] == [(0, TOTAL)],
          f"shots: threshold=200 finds no cut: one shot {[(s, e) for s, e, _ in got]}")
    # minShotLength=30 over cuts at 30, 55, 90, 115, 145 (25 to 35 frames
    # apart): 30 is 30 frames after the start and kept; 55 comes 25 frames
    # after it and starts a merge that absorbs the later ones and would be
    # reported only 30 frames after the last (145), past the end of the video.
    rc, d = run_file(SHOTS, "shots_minlen", VIDEO(), ["device=cpu", "minShotLength=30",
                                                      "timeUnit=frames"])
    got, _ = shots_of(d)
    check([(s, e) for s, e, _ in got] == [(0, 30), (30, TOTAL)],
          f"shots: minShotLength=30 keeps only the cut at 30 {[(s, e) for s, e, _ in got]}")

    # GPU and CPU: device=gpu agrees exactly or (no usable GPU here) fails
    # saying so; device=auto always agrees with cpu.
    _, cpu = run_file(SHOTS, "shots_cpu", VIDEO(), ["device=cpu", "timeUnit=frames"])
    rc, gpu = run_file(SHOTS, "shots_gpu", VIDEO(), ["device=gpu", "timeUnit=frames"])
    check((rc == 0 and shots_of(gpu)[0] == shots_of(cpu)[0]) or
          (rc != 0 and "no GPU is usable" in (error_of(gpu) or "")),
          f"shots: device=gpu agrees with cpu or fails clearly (rc={rc}, {error_of(gpu)})")
    rc, auto = run_file(SHOTS, "shots_auto", VIDEO(), ["device=auto", "timeUnit=frames"])
    check(rc == 0 and shots_of(auto)[0] == shots_of(cpu)[0],
          f"shots: device=auto agrees with cpu (warnings {warnings_of(auto)})")

    # Reference frames first, then every frame of the gaps that differ
    # (the default), against every pair of frames (everyFrame=true): the
    # same shots on every video, at low thresholds too (where most gaps
    # are decoded in full) and with every frame above one a cut.
    for clip in ("shots",) + tuple(f"clip{n}" for n in CLIPS):
        mmif = mmif_for([doc("VideoDocument", w(clip + ".mp4"), "d1", "video/mp4")])
        for params in (["timeUnit=frames"], ["timeUnit=frames", "minShotLength=0", "threshold=2"],
                       ["timeUnit=frames", "minShotLength=0", "threshold=27"]):
            tag = f"every_{clip}_{len(params)}_{params[-1].split('=')[1]}"
            _, two = run_file(SHOTS, tag + "_two", mmif, params + ["device=cpu"])
            rc, every = run_file(SHOTS, tag + "_every", mmif,
                                 params + ["device=cpu", "everyFrame=true"])
            check(rc == 0 and shots_of(two)[0] == shots_of(every)[0] and shots_of(two)[0],
                  f"shots: {clip} {params[1:]}: two passes = everyFrame "
                  f"({len(shots_of(two)[0])} shots)")

    # The GPU path's host side (batches, the frame carried between batches,
    # the last partial batch) with shot_gpu_sim.c standing in for CUDA: the
    # same output as the CPU path. minShotLength=0 makes every frame above
    # the threshold a cut, so low thresholds expose any score that differs.
    sim = os.environ.get("SHOT_GPUSIM")
    check(bool(sim) and os.path.exists(sim), f"shots: the simulated GPU build is there ({sim})")
    if sim and os.path.exists(sim):
        for clip in ("shots",) + tuple(f"clip{n}" for n in CLIPS):
            mmif = mmif_for([doc("VideoDocument", w(clip + ".mp4"), "d1", "video/mp4")])
            for thr in ("0.5", "2", "27"):
                params = ["timeUnit=frames", "minShotLength=0", "threshold=" + thr]
                _, c = run_file(SHOTS, f"sim_{clip}_{thr}_cpu", mmif, params + ["device=cpu"])
                rc, g = run_file(sim, f"sim_{clip}_{thr}_gpu", mmif, params + ["device=gpu"])
                cs, gs = shots_of(c)[0], shots_of(g)[0]
                check(rc == 0 and gs == cs and len(cs) >= 1,
                      f"shots: {clip} threshold {thr}: simulated GPU path = CPU path "
                      f"({len(cs)} shots, rc={rc}, {error_of(g)})")


# ---- OCR ---------------------------------------------------------------------------------

def texts_of(d):
    """{source id: text} over the OCR view (the last view): each TextDocument's
    text keyed by what is aligned to it; plus the view."""
    view = d["views"][-1]
    tds = {a["properties"]["id"]: a["properties"]["text"]["@value"] for a in anns(view, TD)}
    out = {}
    for a in anns(view, AL):
        p = a["properties"]
        if p["target"] in tds:
            out[p["source"]] = tds[p["target"]]
    return out, view


def check_layout(name, view, width, height):
    """Tokens: text = the TextDocument's text at start:end; one BoundingBox
    each, inside the frame."""
    tds = {a["properties"]["id"]: a["properties"]["text"]["@value"] for a in anns(view, TD)}
    bbs = {a["properties"]["id"]: a["properties"]["coordinates"] for a in anns(view, BB)}
    to_bb = {}
    for a in anns(view, AL):
        if a["properties"]["target"] in bbs:
            to_bb.setdefault(a["properties"]["source"], []).append(a["properties"]["target"])
    tokens = anns(view, TOKEN)
    ok_text = all(tds[t["properties"]["document"]][t["properties"]["start"]:
                                                  t["properties"]["end"]] == t["properties"]["text"]
                  for t in tokens)
    check(tokens and ok_text, f"{name}: {len(tokens)} tokens, each the text at its offsets")
    ok_box = True
    for t in tokens:
        boxes = to_bb.get(t["properties"]["id"], [])
        if len(boxes) != 1:
            ok_box = False
            continue
        xs = [x for x, _ in bbs[boxes[0]]]
        ys = [y for _, y in bbs[boxes[0]]]
        ok_box &= 0 <= min(xs) < max(xs) <= width and 0 <= min(ys) < max(ys) <= height
    check(ok_box, f"{name}: every token aligned to one BoundingBox inside the frame")
    return bbs, to_bb


def shot_texts(d_ocr, shots_view):
    """For each shot (in order): the text the OCR found for its representative."""
    texts, _ = texts_of(d_ocr)
    out = []
    for tf in anns(shots_view, TF):
        reps = tf["properties"].get("representatives", [])
        out.append([texts[r] for r in reps if r in texts])
    return out


def expected_texts():
    return [[t] if t else [] for _, _, t in SHOT_PLAN]


def ocr_file_mode():
    rc, chained = run_file(SHOTS, "ocr_src", VIDEO(), ["device=cpu"])
    _, sview = shots_of(chained)
    rc, d = run_file(OCR, "ocr_chained", chained, ["tfLabel=shot"])
    check(rc == 0 and error_of(d) is None, f"ocr: succeeds on the shot detector's output (rc={rc})")
    got = shot_texts(d, sview)
    check(got == expected_texts(), f"ocr: the text drawn, on the shots that showed it: {got}")
    _, view = texts_of(d)
    check(len(anns(view, TD)) == 2, f"ocr: no TextDocument for shots without text "
                                    f"({len(anns(view, TD))} in all)")
    bbs, to_bb = check_layout("ocr", view, W, H)
    # The words are where drawtext put them: one centred line.
    for t in anns(view, TOKEN):
        ys = [y for _, y in bbs[to_bb[t["properties"]["id"]][0]]]
        check(abs((min(ys) + max(ys)) / 2 - H / 2) <= 15,
              f"ocr: '{t['properties']['text']}' box centred vertically ({min(ys)}-{max(ys)})")
    for kind in ("Paragraph", "Sentence"):
        got_k = sorted(a["properties"]["text"] for a in anns(view, V + kind + "/v1"))
        check(got_k == sorted(t for _, _, t in SHOT_PLAN if t),
              f"ocr: one {kind} per drawn line {got_k}")

    rc, d = run_file(OCR, "ocr_single", chained, ["tfLabel=shot", "tfSamplingMode=single"])
    check(shot_texts(d, sview) == expected_texts(), "ocr: tfSamplingMode=single reads the same")
    # TimeFrames without representatives (as pyscenedetect-wrapper writes
    # them): skipped under representatives, with a warning; under single, the
    # middle frame (start + end) // 2 is read and gets a new TimePoint.
    bare = copy.deepcopy(chained)
    for v in bare["views"]:
        for a in v.get("annotations", []):
            a["properties"].pop("representatives", None)
    rc, d = run_file(OCR, "ocr_bare_reps", bare, ["tfLabel=shot"])
    check(rc == 0 and not anns(d["views"][-1], TD) and
          any("6 TimeFrame(s) gave no frame" in x for x in warnings_of(d)),
          f"ocr: TimeFrames without representatives are skipped, saying so {warnings_of(d)}")
    rc, d = run_file(OCR, "ocr_bare_single", bare, ["tfLabel=shot", "tfSamplingMode=single"])
    texts, view = texts_of(d)
    tps = {a["properties"]["id"]: a["properties"]["timePoint"] for a in anns(view, TP)}
    b = expected_bounds()
    want = sorted((ms((b[i] + b[i + 1]) // 2), t) for i, (_, _, t) in enumerate(SHOT_PLAN) if t)
    got = sorted((tps.get(k), v) for k, v in texts.items())
    check(rc == 0 and got == want,
          f"ocr: single without representatives reads each shot's middle frame {got} (want {want})")

    rc, d = run_file(OCR, "ocr_label", chained, ["tfLabel=slate"])
    check(rc == 0 and not anns(d["views"][-1], TD) and
          any("tfLabel" in x for x in warnings_of(d)),
          f"ocr: tfLabel=slate reads nothing and says why {warnings_of(d)}")

    # A video without TimeFrames: one frame every sampleInterval ms (0, 1000,
    # ... ms), each on a new TimePoint; the frames in a shot with text show it.
    for step in (1000, 2000):
        rc, d = run_file(OCR, f"ocr_interval{step}", VIDEO(), [f"sampleInterval={step}"])
        texts, view = texts_of(d)
        tps = {a["properties"]["id"]: a["properties"]["timePoint"] for a in anns(view, TP)}
        got = sorted((tps.get(k), v) for k, v in texts.items())
        want = []
        for t in range(0, TOTAL * 1000 // FPS, step):
            frame = round(t * FPS / 1000)
            shot = sum(1 for c in CUTS if c <= frame)
            if SHOT_PLAN[shot][2]:
                want.append((t, SHOT_PLAN[shot][2]))
        check(rc == 0 and got == want, f"ocr: sampleInterval={step} finds {want}: {got}")

    rc, d = run_file(OCR, "ocr_image", mmif_for([doc("ImageDocument", w("text.png"), "i1",
                                                     "image/png")]))
    texts, view = texts_of(d)
    check(rc == 0 and texts == {"i1": IMAGE_TEXT}, f"ocr: the image's text {texts}")
    check_layout("ocr_image", view, W, H)

    meta = json.loads(subprocess.run([OCR, "--describe"], capture_output=True, text=True).stdout)
    lang = [p for p in meta["parameters"] if p["name"] == "language"][0]
    check("eng" in lang.get("choices", []) and lang["default"] == "eng",
          f"ocr: language choices are the installed languages {lang.get('choices')}")
    rc, d = run_file(OCR, "ocr_badlang", VIDEO(), ["language=xyz"])
    check(rc != 0, f"ocr: an uninstalled language is refused (rc={rc})")


# ---- servers ------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body, query=""):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/{query}",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Server:
    def __init__(self, binary, extra):
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--host", "127.0.0.1"]
                                     + extra, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def normalised(d):
    """The MMIF without what differs between runs (timestamps, running times)."""
    d = copy.deepcopy(d)
    for v in d["views"]:
        v["metadata"].pop("timestamp", None)
        v["metadata"].pop("appProfiling", None)
    return d


MODES = [("dev server", []), ("production", ["--production", "--workers", "1"])]


def pipeline_servers():
    _, file_shots = run_file(SHOTS, "srv_shots", VIDEO(), ["device=cpu"])
    _, file_ocr = run_file(OCR, "srv_ocr", file_shots, ["tfLabel=shot"])
    for label, extra in MODES:
        s1, s2 = Server(SHOTS, extra), Server(OCR, extra)
        try:
            code, shots = post(s1.port, VIDEO(), "?device=cpu")
            check(code == 200 and validate(label, shots), f"{label}: shot detector 200, valid")
            check(normalised(shots) == normalised(file_shots),
                  f"{label}: shot detector MMIF = file mode's (but timestamps)")
            code, ocr = post(s2.port, shots, "?tfLabel=shot")
            check(code == 200 and validate(label, ocr), f"{label}: OCR 200, valid")
            check(normalised(ocr) == normalised(file_ocr),
                  f"{label}: OCR MMIF = file mode's (but timestamps)")
            check(s1.alive() and s2.alive(), f"{label}: both servers still running")
        finally:
            s1.stop()
            s2.stop()


def bad_input_cases():
    _, shots = run_file(SHOTS, "bad_src", VIDEO(), ["device=cpu"])
    missing = copy.deepcopy(shots)
    for v in missing["views"]:
        for a in v.get("annotations", []):
            if a["@type"] == TF and a["properties"]["id"].endswith("tf_3"):
                a["properties"]["representatives"] = ["v_0:tp_99"]
    unreadable = mmif_for([doc("VideoDocument", w("not-a-video.mp4"), "bad1", "video/mp4")])
    image = mmif_for([doc("ImageDocument", w("text.png"), "i1", "image/png")])
    text_only = mmif_for([{"@type": V + "TextDocument/v1",
                           "properties": {"id": "t1", "text": {"@value": "hello"}}}])
    return [
        # (name, app, mmif, query, expected status, check on the MMIF)
        ("missing TimePoint", OCR, missing, "?tfLabel=shot", 400,
         lambda d: "tp_99" in (error_of(d) or "")),
        ("unreadable video (shots)", SHOTS, unreadable, "", 500,
         lambda d: "bad1" in (error_of(d) or "") and "not a media file" in (error_of(d) or "")),
        ("unreadable video (ocr)", OCR, unreadable, "", 500,
         lambda d: "bad1" in (error_of(d) or "") and "not a media file" in (error_of(d) or "")),
        ("ImageDocument to the shot detector", SHOTS, image, "", 200,
         lambda d: error_of(d) is None and not any(anns(v, TF) for v in d["views"]) and
         any("i1 is an ImageDocument" in x for x in warnings_of(d))),
        ("language not installed", OCR, VIDEO(), "?language=xyz", 400,
         lambda d: "language" in (error_of(d) or "") and "xyz" in (error_of(d) or "")),
        ("no video or image (ocr)", OCR, text_only, "", 200,
         lambda d: error_of(d) is None and
         any("no VideoDocument or ImageDocument" in x for x in warnings_of(d))),
    ], shots


def pipeline_bad_input():
    cases, shots = bad_input_cases()
    # File mode: the same answers (exit status 1 for an error view).
    for name, app, mmif, query, status, ok in cases:
        params = [query[1:]] if query else []
        rc, d = run_file(app, "bad_" + name.replace(" ", "_").replace("(", "").replace(")", ""),
                         mmif, params)
        check((rc != 0) == (status != 200) and ok(d),
              f"file mode: {name} -> rc {rc}, {error_of(d) or warnings_of(d)}")
    for label, extra in MODES:
        servers = {SHOTS: Server(SHOTS, extra), OCR: Server(OCR, extra)}
        try:
            for name, app, mmif, query, status, ok in cases:
                code, d = post(servers[app].port, mmif, query)
                check(code == status and ok(d) and validate(name, d),
                      f"{label}: {name} -> {code} ({error_of(d) or warnings_of(d)})")
                # The next request is served.
                if app == SHOTS:
                    code, d = post(servers[app].port, VIDEO(), "?device=cpu")
                    good = code == 200 and len(shots_of(d)[0]) == len(SHOT_PLAN)
                else:
                    code, d = post(servers[app].port, shots, "?tfLabel=shot")
                    good = code == 200 and len(anns(d["views"][-1], TD)) == 2
                check(good, f"{label}: after '{name}' the next request is served ({code})")
            check(all(s.alive() for s in servers.values()), f"{label}: servers still running")
        finally:
            for s in servers.values():
                s.stop()


def main():
    os.makedirs(WORK, exist_ok=True)
    if CASE != "media" and not os.path.exists(w("shots.mp4")):
        make_media()  # run alone (outside ctest's fixture)
    {"media": make_media, "shots_file_mode": shots_file_mode, "ocr_file_mode": ocr_file_mode,
     "pipeline_servers": pipeline_servers, "pipeline_bad_input": pipeline_bad_input}[CASE]()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
