"""run_cases.py: `clams run` end to end, one case per ctest test.

usage: run_cases.py CASE   (folder | params | kill_resume | restart | refused |
                            shards | stage_at_a_time | sigint | python_app | shots_ocr |
                            memory)
Environment (set by tests/run/CMakeLists.txt): CLAMS, TOKENIZER, TEST_APP,
EXAMPLE_APP, WORK, CLAMS_SHARED, HOST_APPS; SHOTS and OCR when those apps
are built.

Apps are real production servers on real sockets, started by the runner (a
binary stage) or by this script (a URL stage, so that their /metrics count
the requests across several runs). Text files and videos are made here."""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import jsonschema  # a missing jsonschema must fail the test, never skip it

CASE = sys.argv[1]
E = os.environ
CLAMS, TOKENIZER, TEST_APP, EXAMPLE_APP = E["CLAMS"], E["TOKENIZER"], E["TEST_APP"], E["EXAMPLE_APP"]
WORK = os.path.join(E["WORK"], CASE)
SCHEMA = json.load(open(os.path.join(E["CLAMS_SHARED"],
                                     "clams-reference/mmif-spec/mmif.schema.json")))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def w(*parts):
    return os.path.join(WORK, *parts)


def texts(folder, n, prefix="doc", extra=None):
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        with open(os.path.join(folder, f"{prefix}{i:03d}.txt"), "w") as f:
            f.write(f"Item {i} says hello. It has two sentences.\n")
    for name, data in (extra or {}).items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def pipeline(name, stages):
    path = w(name)
    json.dump({"stages": stages}, open(path, "w"))
    return path


def run(args, **kw):
    """clams run ARGS; (status, stdout, stderr)."""
    p = subprocess.run([CLAMS, "run"] + args, capture_output=True, text=True,
                       timeout=kw.pop("timeout", 120), **kw)
    print(f"$ clams run {' '.join(args)}\n  -> {p.returncode}\n{p.stdout}{p.stderr}", flush=True)
    return p.returncode, p.stdout, p.stderr


def ledger(out):
    path = os.path.join(out, "ledger.jsonl")
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A production server this script owns (a URL stage)."""

    def __init__(self, binary, workers=2, env=None, args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env2 = dict(os.environ, CLAMS_GUNICORN_WORKERS=str(workers), **(env or {}))
        self.log = open(w(f"server-{self.port}.log"), "w")
        self.proc = subprocess.Popen([binary, "--production", "--host", "127.0.0.1", "--port",
                                      str(self.port)] + list(args), env=env2, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                if urllib.request.urlopen(self.url + "readyz", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{binary} did not start")

    def requests(self):
        """POSTs (annotate requests) answered so far, from the server's access
        log (/metrics' clams_requests_total also counts GET /, /readyz...)."""
        def count():
            return len(re.findall(r'^\S+ "POST ', open(self.log.name).read(), re.M))
        # The server logs a request once its answer is sent, so the client
        # may have it (and exit) a moment before the line is written: read
        # until the count holds for 0.3 s.
        last, since = count(), time.time()
        while time.time() - since < 0.3:
            time.sleep(0.05)
            now = count()
            if now != last:
                last, since = now, time.time()
        return last

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def strip_times(d):
    """A MMIF without what differs between two runs of the same request."""
    d = json.loads(json.dumps(d))
    for v in d.get("views", []):
        v["metadata"].pop("timestamp", None)
        v["metadata"].pop("appProfiling", None)
    return d


def outputs(out):
    """{relative path: MMIF without times} of every .mmif under out."""
    res = {}
    for p in glob.glob(os.path.join(out, "**", "*.mmif"), recursive=True):
        res[os.path.relpath(p, out)] = strip_times(json.load(open(p)))
    return res


def schema_ok(path):
    try:
        jsonschema.validate(json.load(open(path)), SCHEMA)
        return True
    except (jsonschema.ValidationError, ValueError) as e:
        print(f"{path}: {e}")
        return False


def successes(lines):
    """(item, stage) -> count of ok/warnings lines."""
    res = {}
    for l in lines:
        if l["outcome"] in ("ok", "warnings"):
            res[(l["item"], l["stage"])] = res.get((l["item"], l["stage"]), 0) + 1
    return res


def wait_for(pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


# ---- cases ------------------------------------------------------------------------------

def case_folder():
    """Tokenizer then the test app over a folder: one corrupt file (not UTF-8)
    fails at stage 2 with an error view, the others are done; reruns skip
    everything; --retry-failed runs only the failed item; --report; a CSV
    manifest and a glob as inputs."""
    texts(w("in"), 6, extra={"corrupt.txt": b"\xff\xfe not utf-8 \xc3\x28\n",
                             "notes.xyz": b"not a media file\n"})
    p = pipeline("p.json", [{"app": TOKENIZER, "params": {"lowercase": True}},
                            {"app": TEST_APP}])
    out = w("out")
    rc, so, se = run([p, w("in"), "--out", out])
    check(rc == 1, "a corrupt item: exit 1")
    lines = ledger(out)
    by = {(l["item"], l["stage"]): l for l in lines}
    check(len(lines) == 14, f"14 ledger lines (7 items x 2 stages): {len(lines)}")
    bad = by.get(("corrupt", 2), {})
    check(bad.get("outcome") == "failed" and bad.get("http") == 500 and
          "cannot read" in (bad.get("error") or ""),
          f"the corrupt item failed at stage 2 with the error view's text: {bad}")
    check(by.get(("corrupt", 1), {}).get("outcome") == "warnings",
          "stage 1 (tokenizer) only warned about it: recorded as warnings")
    for i in range(6):
        a = f"doc{i:03d}"
        for s in (1, 2):
            l = by.get((a, s), {})
            check(l.get("outcome") == "ok" and l.get("http") == 200 and l.get("attempt") == 1,
                  f"{a} stage {s}: ok on the first attempt")
        final = w("out", a + ".mmif")
        check(os.path.exists(final) and schema_ok(final), f"{a}.mmif written and valid")
        check(open(final).read() == open(w("out", a, "02-run-test-app.mmif")).read(),
              f"{a}.mmif is the last stage's output")
        check(os.path.exists(w("out", a, "01-tokenizer.mmif")), f"{a}/01-tokenizer.mmif")
    check(not os.path.exists(w("out", "corrupt.mmif")), "no final MMIF for the failed item")
    check(not glob.glob(w("out", "**", "*.tmp.*"), recursive=True), "no temporary files left")
    l0 = lines[0]
    for k in ("time", "item", "index", "input", "stage", "app", "attempt", "outcome", "http",
              "error", "seconds", "media_seconds", "app_id", "app_version", "params_hash"):
        check(k in l0, f"ledger lines carry {k}")
    check(l0["app_id"].endswith("/tokenizer/v1.0") and l0["app_version"] == "v1.0",
          "app identifier and version from the app's metadata")
    check(re.search(r"^1 +tokenizer +7 +0 +1 ", so, re.M) is not None and
          re.search(r"^2 +run-test-app +7 +1 ", so, re.M) is not None,
          "the end table: items, failures and warnings per stage")

    rc, so, se = run([p, w("in"), "--out", out])
    check(rc == 1, "rerun: still exit 1 (the failed item is not retried by default)")
    check(len(ledger(out)) == 14, "rerun: nothing run again")
    check("6 already done" in se, "rerun: 6 already done")

    rc, so, se = run([p, w("in"), "--out", out, "--retry-failed"])
    new = ledger(out)[14:]
    check(rc == 1 and len(new) == 1 and new[0]["item"] == "corrupt" and new[0]["stage"] == 2,
          f"--retry-failed: only the failed item's failed stage ran again: {new}")

    # Stage 2's parameters change: its outputs are stale (stage 1's are
    # not), and the failure under the old parameters no longer holds.
    p2 = pipeline("p2.json", [{"app": TOKENIZER, "params": {"lowercase": True}},
                              {"app": TEST_APP, "params": {"delayMs": 1}}])
    before = len(ledger(out))
    rc, so, se = run([p2, w("in"), "--out", out])
    new = ledger(out)[before:]
    check(rc == 1 and len(new) == 7 and all(l["stage"] == 2 for l in new) and
          sum(l["outcome"] == "failed" for l in new) == 1,
          f"new stage 2 parameters: stage 2 ran again for all 7 items, stage 1 for none: "
          f"{[(l['item'], l['stage'], l['outcome']) for l in new]}")
    rc, so, se = run([p, w("in"), "--out", out])
    check(rc == 1 and len(ledger(out)) == before + 14,
          "back to the first parameters: stage 2 runs again (its outputs were replaced)")

    rc, so, se = run(["--report", out])
    check(rc == 0 and re.search(r"^2 +run-test-app +22 +4 ", so, re.M) is not None,
          "--report: the table from the whole ledger")

    # A manifest (asset_id + media_filename, paths relative to it) and a glob.
    with open(w("in", "manifest.csv"), "w") as f:
        f.write("asset_id,media_filename\ncpb-aacip-1,doc000.txt\n\"cpb,2\",doc001.txt\n")
    out2 = w("out2")
    rc, so, se = run([p, w("in", "manifest.csv"), w("in", "doc00[45].txt"), "--out", out2])
    assets = sorted(os.path.basename(x)[:-5] for x in glob.glob(os.path.join(out2, "*.mmif")))
    check(rc == 0 and assets == ["cpb,2", "cpb-aacip-1", "doc004", "doc005"],
          f"manifest asset ids and glob matches: {assets}")
    rc, so, se = run([p, w("in", "notes.xyz"), "--out", w("out3")])
    l3 = ledger(w("out3"))
    check(rc == 1 and len(l3) == 1 and l3[0]["stage"] == 0 and l3[0]["outcome"] == "failed",
          "a file of unknown type named on the command line: failed at the source step")


def case_params():
    """A multivalued and a map parameter (and a number, a boolean, a string)
    reach the app; --map rewrites the media location the app sees."""
    texts(w("real"), 2)
    os.symlink(w("real"), w("mapped"))
    p = pipeline("p.json", [
        {"app": EXAMPLE_APP, "params": {"labels": ["PERSON", "PLACE"],
                                        "labelMap": {"B": "bars", "S": "slate & more"},
                                        "count": 5, "raise_error": False, "mode": "slow"}},
        {"app": TOKENIZER}])
    out = w("out")
    rc, so, se = run([p, w("real"), "--out", out, "--map", f"{w('real')}={w('mapped')}"])
    check(rc == 0, "exit 0")
    d = json.load(open(w("out", "doc000.mmif")))
    meta = d["views"][0]["metadata"]
    conf = meta.get("appConfiguration", {})
    print(json.dumps(meta.get("parameters")), json.dumps(conf))
    check(conf.get("labels") == ["PERSON", "PLACE"], f"multivalued: {conf.get('labels')}")
    check(conf.get("labelMap") == {"B": "bars", "S": "slate & more"},
          f"map (with '&' and a space): {conf.get('labelMap')}")
    check(conf.get("count") == 5 and conf.get("raise_error") is False and
          conf.get("mode") == "slow", "integer, boolean and string")
    check(not any("warnings" in v["metadata"] for v in d["views"]), "no warnings view")
    loc = d["documents"][0]["properties"]["location"]
    check(loc == "file://" + w("mapped", "doc000.txt"), f"--map: the app sees {loc}")
    toks = [a for v in d["views"] for a in v.get("annotations", []) if "Token" in a["@type"]]
    check(len(toks) > 5, f"the tokenizer read the file through the mapped path ({len(toks)} tokens)")


def case_kill_resume():
    """SIGKILL in the middle, then the same command: every (item, stage) has
    one success in the ledger, the apps served at most the requests that
    were in flight at the kill twice, and the outputs equal those of an
    uninterrupted run (up to timestamps and running times)."""
    n = 24
    texts(w("in"), n)
    a = Server(TEST_APP, workers=2)
    b = Server(TEST_APP, workers=2)
    try:
        p = pipeline("p.json", [{"app": a.url, "params": {"delayMs": 60}, "name": "first"},
                                {"app": b.url, "params": {"delayMs": 30}, "name": "second"}])
        out = w("out")
        args = [p, w("in"), "--out", out, "--concurrency", "2"]
        proc = subprocess.Popen([CLAMS, "run"] + args, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        check(wait_for(lambda: len(successes(ledger(out))) >= 10), "the run got going")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = len(successes(ledger(out)))
        check(before < 2 * n, f"killed in the middle ({before} of {2 * n} stages done)")
        rc, so, se = run(args)
        check(rc == 0, "the rerun finished: exit 0")
        succ = successes(ledger(out))
        check(len(succ) == 2 * n and all(v == 1 for v in succ.values()),
              "every (item, stage) succeeded exactly once across the two runs")
        ra, rb = a.requests(), b.requests()
        # In flight at the kill: at most 2 per stage (--concurrency 2).
        check(n <= ra <= n + 2 and n <= rb <= n + 2,
              f"requests served: {ra} and {rb} for {n} items (at most 2 in flight lost each)")
        rc, so, se = run([p, w("in"), "--out", w("clean")])
        check(rc == 0, "an uninterrupted run into another folder")
        o1, o2 = outputs(out), outputs(w("clean"))
        check(len(o1) == 3 * n and o1 == o2,
              f"outputs equal those of the uninterrupted run ({len(o1)} files)")
    finally:
        a.stop()
        b.stop()


def case_restart():
    """The app the runner started is killed (SIGKILL) during the run: it is
    restarted and every item is done."""
    texts(w("in"), 24)
    p = pipeline("p.json", [{"app": TEST_APP, "params": {"delayMs": 100},
                             "env": {"CLAMS_GUNICORN_WORKERS": "2"}}])
    out = w("out")
    err = open(w("stderr.txt"), "w+")
    proc = subprocess.Popen([CLAMS, "run", p, w("in"), "--out", out, "--backoff", "0.2"],
                            stdout=subprocess.DEVNULL, stderr=err)
    check(wait_for(lambda: len(successes(ledger(out))) >= 3), "the run got going")
    m = re.search(r"started \(pid (\d+)", open(w("stderr.txt")).read())
    check(m is not None, "the runner says which pid it started")
    check(len(successes(ledger(out))) < 24, "killed before the end of the run")
    os.kill(int(m.group(1)), signal.SIGKILL)
    rc = proc.wait(timeout=120)
    text = open(w("stderr.txt")).read()
    print(text)
    check(rc == 0, f"exit 0 after the restart ({rc})")
    check("restarted (pid" in text, "the app was restarted")
    check(len(glob.glob(os.path.join(out, "*.mmif"))) == 24, "all 24 items done")
    check(len(successes(ledger(out))) == 24, "24 successes in the ledger")


def case_refused():
    """A URL that refuses connections: --item ends with 75 after its retries;
    --item auto takes the index from JOB_COMPLETION_INDEX."""
    texts(w("in"), 3)
    port = free_port()
    p = pipeline("p.json", [{"app": f"http://127.0.0.1:{port}/"}])
    out = w("out")
    t0 = time.time()
    rc, so, se = run([p, w("in"), "--out", out, "--item", "1", "--retries", "2",
                      "--backoff", "0.1"])
    check(rc == 75, f"exit 75 ({rc})")
    lines = ledger(out)
    check([l["outcome"] for l in lines] == ["retry", "retry", "gave-up"] and
          all(l["item"] == "doc001" for l in lines),
          f"three attempts of item 1: {[(l['item'], l['outcome']) for l in lines]}")
    check(time.time() - t0 < 20, "within the backoff bound")
    rc, so, se = run([p, w("in"), "--out", out, "--item", "auto", "--retries", "0"],
                     env=dict(os.environ, JOB_COMPLETION_INDEX="2"))
    check(rc == 75 and ledger(out)[-1]["item"] == "doc002", "--item auto: JOB_COMPLETION_INDEX")
    rc, so, se = run([p, w("in"), "--out", out, "--item", "7"])
    check(rc == 2, "an index past the input: exit 2")


def case_shards():
    """--shard I/N: disjoint shards whose union is the input."""
    texts(w("in"), 10)
    p = pipeline("p.json", [{"app": TOKENIZER}])
    seen = []
    for i in range(3):
        out = w(f"out{i}")
        rc, so, se = run([p, w("in"), "--out", out, "--shard", f"{i}/3"])
        check(rc == 0, f"shard {i}/3: exit 0")
        seen.append({os.path.basename(x)[:-5] for x in glob.glob(os.path.join(out, "*.mmif"))})
    union = set().union(*seen)
    check(sum(len(s) for s in seen) == len(union) == 10,
          f"disjoint and covering: {[sorted(s) for s in seen]}")


def case_stage_at_a_time():
    """--stage-at-a-time gives the outputs depth-first gives."""
    texts(w("in"), 5)
    p = pipeline("p.json", [{"app": TOKENIZER, "params": {"sentenceTargets": True}},
                            {"app": TEST_APP}])
    rc1, so, se = run([p, w("in"), "--out", w("depth")])
    rc2, so, se = run([p, w("in"), "--out", w("stage"), "--stage-at-a-time"])
    check(rc1 == 0 and rc2 == 0, "both exit 0")
    o1, o2 = outputs(w("depth")), outputs(w("stage"))
    check(len(o1) == 15 and o1 == o2, f"same outputs ({len(o1)} files)")
    order = [l["stage"] for l in ledger(w("stage"))]
    check(order == sorted(order), "every stage 1 line before any stage 2 line")


def case_sigint():
    """SIGINT: no new work, what is in flight finishes, exit 130; the rerun
    completes."""
    texts(w("in"), 20)
    a = Server(TEST_APP, workers=2)
    try:
        p = pipeline("p.json", [{"app": a.url, "params": {"delayMs": 300}}])
        out = w("out")
        args = [p, w("in"), "--out", out, "--concurrency", "2"]
        proc = subprocess.Popen([CLAMS, "run"] + args, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        check(wait_for(lambda: len(ledger(out)) >= 2), "the run got going")
        t0 = time.time()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        print(err)
        check(proc.returncode == 130, f"exit 130 ({proc.returncode})")
        check(time.time() - t0 < 5, "stopped within the bound (requests of 0.3 s)")
        lines = ledger(out)
        check(all(l["outcome"] == "ok" for l in lines) and len(lines) < 20,
              f"in-flight requests finished ({len(lines)} ok), no new ones started")
        served = a.requests()
        check(served == len(lines), f"the app served exactly what the ledger says ({served})")
        rc, so, se = run(args)
        check(rc == 0 and len(successes(ledger(out))) == 20, "the rerun completed")
    finally:
        a.stop()


def case_python_app():
    """A clams-python app folder as a stage: served through `clams serve DIR
    --production` (the stand-in app of tests/host, which needs no
    clams-python), then the tokenizer."""
    folder = os.path.join(E["HOST_APPS"], "standin")
    probe = subprocess.run([CLAMS, "serve", folder, "--describe"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        print("SKIP: `clams serve` cannot host Python here (no shared libpython)")
        sys.exit(77)
    texts(w("in"), 3)
    p = pipeline("p.json", [{"app": folder, "env": {"CLAMS_GUNICORN_WORKERS": "1"}},
                            {"app": TOKENIZER}])
    rc, so, se = run([p, w("in"), "--out", w("out")])
    check(rc == 0, f"exit 0 ({rc})")
    check("stage 1: standin started" in se, "the folder was served by `clams serve`")
    for i in range(3):
        path = w("out", f"doc{i:03d}", "01-standin.mmif")
        check(os.path.exists(path) and schema_ok(path), f"doc{i:03d}: the Python app's output")
    lines = ledger(w("out"))
    check(len(lines) == 6 and lines[0]["app_id"] == "http://apps.clams.ai/standin/v1",
          "ledger: the Python app's identifier")


def case_memory():
    """The runner's memory stays flat in the number of items: a 10,000-item
    manifest of small text documents through the tokenizer peaks within
    1 MiB of a 1,000-item one (the manifest is streamed, the window of items
    in flight is fixed). The peak is the runner's own VmHWM, which its
    summary line prints (the tokenizer is this script's server)."""
    texts(w("in"), 20)
    srv = Server(TOKENIZER, workers=2, args=["--max-requests", "0"])
    try:
        p = pipeline("p.json", [{"app": srv.url}])
        peaks = {}
        for n in (1000, 10000):
            with open(w(f"m{n}.csv"), "w") as f:
                f.write("asset_id,media_filename\n")
                for i in range(n):
                    f.write(f"a{i:05d},in/doc{i % 20:03d}.txt\n")
            t0 = time.time()
            p2 = subprocess.run([CLAMS, "run", p, w(f"m{n}.csv"), "--out", w(f"out{n}"), "-q"],
                                capture_output=True, text=True, timeout=250)
            secs = time.time() - t0
            m = re.search(r"peak RSS (\d+) KiB", p2.stderr)
            peaks[n] = int(m.group(1)) if m else 1 << 30
            print(f"{n} items: {secs:.1f} s ({n / secs:.0f} items/s), peak RSS {peaks[n]} KiB")
            check(p2.returncode == 0, f"{n} items: exit 0")
            check(len(ledger(w(f"out{n}"))) == n, f"{n} items: {n} ledger lines")
        check(peaks[10000] - peaks[1000] < 1024,
              f"peak RSS flat: {peaks[1000]} KiB for 1,000 items, {peaks[10000]} KiB for 10,000")
    finally:
        srv.stop()


def make_videos(folder):
    os.makedirs(folder, exist_ok=True)
    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    ff = ["ffmpeg", "-nostdin", "-y", "-v", "error"]
    txt = (f"drawtext=fontfile={font}:text='OPEN ARCHIVE':fontsize=34:fontcolor=white:"
           "x=(w-tw)/2:y=(h-th)/2")
    subprocess.run(ff + ["-f", "lavfi", "-i", "color=c=0x203080:s=320x240:r=25:d=1",
                         "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-filter_complex",
                         f"[0]{txt}[a];[a][1]concat=n=2:v=1:a=0,format=yuv420p[v]",
                         "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast",
                         os.path.join(folder, "text.mp4")], check=True)
    subprocess.run(ff + ["-f", "lavfi", "-i", "smptebars=s=320x240:r=25:d=1", "-vf",
                         "format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                         os.path.join(folder, "notext.mp4")], check=True)
    with open(os.path.join(folder, "corrupt.mp4"), "wb") as f:
        f.write(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)


def case_shots_ocr():
    """The shot detector then OCR over generated videos, one corrupt and one
    without text: outputs, ledger lines, exit 1, the good items done."""
    if "SHOTS" not in E or "OCR" not in E:
        print("SKIP: the shot detector or the OCR app is not built")
        sys.exit(77)
    make_videos(w("videos"))
    p = pipeline("p.json", [
        {"app": E["SHOTS"], "params": {"device": "cpu"}, "env": {"CLAMS_GUNICORN_WORKERS": "2"}},
        {"app": E["OCR"], "params": {"tfLabel": ["shot"]},
         "env": {"CLAMS_GUNICORN_WORKERS": "2", "OMP_THREAD_LIMIT": "1"}}])
    out = w("out")
    rc, so, se = run([p, w("videos"), "--out", out], timeout=170)
    check(rc == 1, f"exit 1 (a corrupt video) ({rc})")
    by = {(l["item"], l["stage"]): l for l in ledger(out)}
    bad = by.get(("corrupt", 1), {})
    check(bad.get("outcome") == "failed" and bad.get("http") == 500 and bad.get("error"),
          f"the corrupt video failed at the shot detector with its error: {bad.get('error')}")
    check(("corrupt", 2) not in by, "its later stage was not run")
    for a in ("text", "notext"):
        for s in (1, 2):
            check(by.get((a, s), {}).get("outcome") in ("ok", "warnings"), f"{a} stage {s} done")
        media = by.get((a, 1), {}).get("media_seconds")
        check(media is not None and abs(media - (2.0 if a == "text" else 1.0)) < 0.1,
              f"{a}: media duration recorded ({media} s)")
        check(schema_ok(w("out", a + ".mmif")), f"{a}.mmif valid")
    d = json.load(open(w("out", "text.mmif")))
    words = [a["properties"].get("text") for v in d["views"] for a in v.get("annotations", [])
             if a["@type"].endswith("Token/v1")]
    check("OPEN" in words and "ARCHIVE" in words, f"OCR read the text: {words}")
    d = json.load(open(w("out", "notext.mmif")))
    tds = [a for v in d["views"] for a in v.get("annotations", [])
           if a["@type"].endswith("TextDocument/v1")]
    check(not tds, "no text found in the video without text")
    check(re.search(r"^1 +shot-detector +3 +1 .* \d+\.\d+$", so, re.M) is not None,
          "the end table gives x realtime for the shot detector")


if __name__ == "__main__":
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    globals()["case_" + CASE]()
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
