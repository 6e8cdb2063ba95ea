#!/usr/bin/python3
"""`clams serve APP_DIR` with the in-tree stand-in apps (tests/host/apps: the
clams-python contract without clams-python): real servers on real sockets,
workers forked from the template process, each fault followed by a request
that must be served.

usage: test_host.py CASE CLAMS APPS_DIR
Exit 77 (skip) when no python3 with a shared libpython is at hand."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostkit import check, failures, free_port  # noqa: E402

CASE, CLAMS, APPS = sys.argv[1:4]
TMP = tempfile.mkdtemp(prefix="host_%s_" % CASE)
DOC = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
       "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                      "properties": {"id": "d1", "text": {"@value": "hello clams world"}}}],
       "views": []}
BODY = json.dumps(DOC).encode()


def app(name):
    return os.path.join(APPS, name)


class Server:
    def __init__(self, name, *flags, env=None, wait_ready=True):
        self.port = free_port()
        self.log = os.path.join(TMP, "server-%d.log" % self.port)
        e = dict(os.environ, CLAMS_LOGLEVEL="info")
        for k, v in (env or {}).items():  # None: taken out of the environment
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        self.p = subprocess.Popen([CLAMS, "serve", app(name), "--port", str(self.port),
                                   "--host", "127.0.0.1", *flags],
                                  stdout=open(self.log + ".out", "w"),
                                  stderr=open(self.log, "w"), env=e)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=60):
        t = time.time()
        while time.time() - t < timeout:
            if self.p.poll() is not None:
                raise SystemExit("server exited %s:\n%s" % (self.p.returncode, self.text()))
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("server not ready:\n" + self.text())

    def request(self, method, path, body=None, timeout=60):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=body,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    def get(self, path):
        return self.request("GET", path)

    def post(self, query="", body=BODY, timeout=60):
        return self.request("POST", "/" + query, body, timeout)

    def text(self):
        return open(self.log, errors="replace").read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


def good(srv, what):
    """A good request after a fault: served, with the app's tokens."""
    st, ct, body = srv.post("?label=a&label=b")
    ok = check(st == 200, "%s: the next good request got %d: %.300s" % (what, st, body))
    if ok:
        v = json.loads(body)["views"][-1]
        check([a["properties"]["word"] for a in v["annotations"]] == ["hello", "clams", "world"],
              "%s: tokens of the good request" % what)
        check(v["metadata"].get("labels") == ["a", "b"], "%s: multivalued parameter" % what)


def error_message(body):
    try:
        return json.loads(body)["views"][-1]["metadata"]["error"]["message"]
    except Exception:
        return None


def skip_without_libpython():
    p = subprocess.run([CLAMS, "serve", app("standin"), "annotate", "-", "-"], input=BODY,
                       capture_output=True, timeout=120)
    if b"has no shared libpython" in p.stderr:
        print("SKIP: " + p.stderr.decode(errors="replace"))
        sys.exit(77)
    if p.returncode != 0:
        raise SystemExit("clams serve annotate failed: %s" % p.stderr.decode(errors="replace"))


# ---- cases ------------------------------------------------------------------------


def case_file():
    """File mode, --describe, --help: as a C app's, from the app's metadata."""
    p = subprocess.run([CLAMS, "serve", app("standin"), "--describe"], capture_output=True,
                       text=True, timeout=120)
    md = json.loads(p.stdout)
    check(md["identifier"] == "http://apps.clams.ai/standin/v1", "--describe identifier")
    check([x["name"] for x in md["parameters"]] == ["do", "label"], "--describe parameters")
    p = subprocess.run([CLAMS, "serve", app("standin"), "--help"], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0 and "--do STRING" in p.stdout and "--label STRING..." in p.stdout
          and "--python PATH" in p.stdout and "--warmup FILE" in p.stdout,
          "--help lists the app's parameters and the hosted flags:\n" + p.stdout)
    src = os.path.join(TMP, "in.mmif")
    open(src, "wb").write(BODY)
    p = subprocess.run([CLAMS, "serve", app("standin"), "annotate", src, "-", "--do", "print",
                        "--label", "x", "y"], capture_output=True, timeout=120)
    check(p.returncode == 0, "file mode exit %d: %s" % (p.returncode, p.stderr))
    out = json.loads(p.stdout)  # prints (Python's and fd 1's) never reach the output
    check(out["views"][-1]["metadata"]["labels"] == ["x", "y"], "file mode parameters")
    check(b"hello from print" in p.stderr and b"hello from fd 1" in p.stderr,
          "file mode: the app's prints are in the log")
    p = subprocess.run([CLAMS, "serve", app("standin"), "annotate", src, "-", "--do", "raise"],
                       capture_output=True, timeout=120)
    check(p.returncode == 1 and "boom from annotate" in (error_message(p.stdout) or ""),
          "file mode: a failed annotate exits 1 with the error view")
    p = subprocess.run([CLAMS, "serve", app("standin"), "annotate", "-", "-"], input=b"{nope",
                       capture_output=True, timeout=120)
    check(p.returncode == 1 and b"Invalid input data" in p.stderr, "file mode: invalid input")
    p = subprocess.run([CLAMS, "serve", app("missing_import"), "annotate", src, "-"],
                       capture_output=True, timeout=120)
    check(p.returncode == 1 and b"clams_c_module_that_does_not_exist" in p.stderr,
          "file mode: an import error is named: %s" % p.stderr[-400:])


def case_dev():
    """The development server: in-process, the same answers."""
    srv = Server("standin")
    try:
        st, ct, body = srv.get("/")
        check(st == 200 and json.loads(body)["name"] == "Stand-in app", "GET /")
        good(srv, "first request")
        st, ct, body = srv.post("?do=raise")
        check(st == 500 and "boom from annotate" in (error_message(body) or ""),
              "dev: exception -> 500 error view with the exception: %.300s" % body)
        good(srv, "after an exception")
        st, ct, body = srv.post("?do=exit")
        check(st == 500 and "SystemExit" in (error_message(body) or ""),
              "dev: sys.exit() in annotate -> 500 error view: %.300s" % body)
        good(srv, "after sys.exit()")
        st, ct, body = srv.post("", b'{"metadata": 1}')
        check(st == 400 and ct.startswith("text/plain") and b"Invalid input data" in body,
              "dev: invalid MMIF -> 400 text/plain before the app sees it")
        st, ct, body = srv.post("?hwFetch=true")
        prof = json.loads(body)["views"][-1]["metadata"].get("appProfiling", {})
        check(st == 200 and "cpu" in prof.get("hardware", {}),
              "dev: hwFetch is the server's, merged into the app's view: %s" % prof)
    finally:
        srv.stop()
    # The location policy holds for hosted apps too: the server checks every
    # document's location before the Python app (which opens files itself)
    # sees the request.
    root = os.path.join(TMP, "media-root")
    os.makedirs(root, exist_ok=True)
    srv = Server("standin", env={"CLAMS_MEDIA_ROOT": root})
    try:
        doc = json.loads(BODY)
        doc["documents"].append({"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                                 "properties": {"id": "d9", "location": "/etc/passwd"}})
        st, ct, body = srv.post("", json.dumps(doc).encode())
        msg = error_message(body) or ""
        check(st == 403 and "outside the media roots" in msg and "root:" not in body.decode(),
              "dev: a location outside --media-root -> 403 before the app: %d %.300s" % (st, body))
        good(srv, "after a refused location")
    finally:
        srv.stop()


def case_faults():
    """Production: every fault answered, and the next request served."""
    srv = Server("standin", "--production", "--timeout", "3", "--worker-rss-budget", "100",
                 "--workers", "2", env={"STANDIN_THREADS": "1"})
    try:
        good(srv, "first request")
        st, ct, body = srv.post("?do=raise")
        check(st == 500 and "ValueError" in (error_message(body) or "")
              and "boom from annotate" in error_message(body),
              "exception in annotate -> 500 error view: %.300s" % body)
        good(srv, "after an exception")
        st, ct, body = srv.post("?do=segv")
        check(st == 500 and "signal 11" in (error_message(body) or ""),
              "segfault (ctypes) -> 500 naming the signal: %.300s" % body)
        good(srv, "after a segfault")
        t = time.time()
        st, ct, body = srv.post("?do=loop")
        check(st == 500 and "timeout" in (error_message(body) or "")
              and time.time() - t < 10, "endless loop -> killed at --timeout: %.300s" % body)
        good(srv, "after a timeout")
        st, ct, body = srv.post("?do=exit")
        check(st == 500 and "SystemExit" in (error_message(body) or ""),
              "sys.exit() in annotate -> 500 error view: %.300s" % body)
        good(srv, "after sys.exit()")
        st, ct, body = srv.post("?do=print")
        check(st == 200 and json.loads(body)["views"][-1]["annotations"],
              "prints: the answer is clean MMIF")
        time.sleep(0.3)
        log = srv.text()
        check(re.search(r"\[\d+\] app stdout: hello from print", log) is not None
              and "hello from fd 1" in log,
              "prints go to the server log with the worker's pid")
        good(srv, "after prints")
        st, ct, body = srv.post("?do=threads")
        check(st == 200 and json.loads(body)["views"][-1]["metadata"].get("ticked", 0) > 3,
              "an app thread (started in get_app) runs between and during requests: %.200s"
              % body)
        good(srv, "after threads")
        st, ct, body = srv.post("?do=import")
        check(st == 500 and "ModuleNotFoundError" in (error_message(body) or ""),
              "importing a missing module in annotate -> 500: %.300s" % body)
        good(srv, "after a missing module")
        st, ct, body = srv.post("?do=big", timeout=120)
        check(st == 200 and len(body) > 100 << 20, "a 100 MB answer: %d %d" % (st, len(body)))
        good(srv, "after a 100 MB answer")
        st, ct, body = srv.post("", b"not json")
        check(st == 400 and b"Invalid input data" in body, "invalid input -> 400")
        st, ct, body = srv.get("/metrics")
        m = body.decode()
        check('clams_recycles_total{reason="crash"}' in m or "crash" in m, "metrics: crashes")
        check(re.search(r'clams_workers\{state="standby"\} \d', m) is not None,
              "metrics tell standbys from serving workers:\n" + m[:600])
    finally:
        srv.stop()
    # --max-requests 0 keeps a worker; a leaking one is recycled by its RSS budget.
    srv = Server("standin", "--production", "--max-requests", "0", "--workers", "1",
                 "--worker-rss-budget", "150")
    try:
        pids = set()
        for i in range(4):
            st, ct, body = srv.post("?do=leak")
            check(st == 200, "leak request %d: %d" % (i, st))
            st, ct, body = srv.post("?do=pid")
            pids.add(json.loads(body)["views"][-1]["metadata"]["pid"])
        check(len(pids) >= 2, "a leaking worker is recycled by --worker-rss-budget: %s" % pids)
        check("memory" in srv.get("/metrics")[2].decode(), "metrics: memory recycles")
        good(srv, "after leaks")
    finally:
        srv.stop()


def case_getapp():
    """get_app() fails: worker starts fail with backoff, /healthz says why;
    a transient failure recovers and serves."""
    srv = Server("getapp_fails", "--production", "--workers", "1", wait_ready=False)
    try:
        t = time.time()
        said = None
        while time.time() - t < 30 and srv.p.poll() is None:
            try:
                st, ct, body = srv.get("/healthz")
            except OSError:
                st, body = 0, b""
            if st == 503 and b"get_app failed on purpose" in body:
                said = body
                break
            time.sleep(0.1)
        check(said is not None, "/healthz says why workers fail:\n" + srv.text()[-2000:])
        srv.p.wait(60)
        check(srv.p.returncode == 1, "the server gives up after repeated failed starts")
        check("backoff" in srv.text() or srv.text().count("get_app failed on purpose") >= 3,
              "failed starts are retried")
    finally:
        srv.stop()
    flag = os.path.join(TMP, "failed-once")
    srv = Server("getapp_fails", "--production", "--workers", "1", "--no-standby",
                 env={"STANDIN_FAIL_ONCE": flag})
    try:
        good(srv, "after get_app failed once")
    finally:
        srv.stop()
    srv = Server("missing_import", "--production", "--workers", "1", wait_ready=False)
    srv.p.wait(90)
    check(srv.p.returncode == 1 and "clams_c_module_that_does_not_exist" in srv.text(),
          "an app importing a missing module: the server says so and stops:\n"
          + srv.text()[-1500:])


def case_master():
    """The master runs no app code: the pids that import the app or build it
    are the template's and the workers' (and the metadata probe's)."""
    pidfile = os.path.join(TMP, "pids")
    srv = Server("pidrec", "--production", "--workers", "2",
                 env={"STANDIN_PIDFILE": pidfile})
    try:
        worker_pids = set()
        for _ in range(4):
            st, ct, body = srv.post("?do=pid")
            check(st == 200, "pidrec request")
            worker_pids.add(json.loads(body)["views"][-1]["metadata"]["pid"])
        time.sleep(0.5)
    finally:
        srv.stop()
    master = srv.p.pid
    rec = [line.split() for line in open(pidfile)]
    tpl = {int(x) for x in re.findall(r"template process (\d+) started", srv.text())}
    check(master not in {int(p) for _, p in rec}, "the master never ran app code: %s" % rec)
    imports = {int(p) for w, p in rec if w == "import"}
    builds = {int(p) for w, p in rec if w == "get_app"}
    check(worker_pids <= builds, "workers built the app: %s vs %s" % (worker_pids, builds))
    check(len(imports - tpl) <= 1, "the app is imported by the template (and the metadata "
          "probe) only: imports %s, template %s" % (imports, tpl))
    check(not (builds & tpl), "the template does not build the app without --preload")


def case_notemplate():
    """--no-template: each worker starts its own interpreter; --warmup."""
    warm = os.path.join(TMP, "warm.mmif")
    open(warm, "wb").write(BODY)
    srv = Server("standin", "--production", "--workers", "1", "--no-template", "--warmup", warm)
    try:
        good(srv, "no template")
        st, ct, body = srv.post("?do=segv")
        check(st == 500, "no template: segfault")
        good(srv, "no template, after a segfault")
        check("warm-up with" in srv.text(), "--warmup ran in each worker")
    finally:
        srv.stop()


GPU0 = "GPU-00000000-aaaa-0000-0000-000000000000"
GPU1 = "GPU-11111111-bbbb-0000-0000-000000000000"
HOST_OFFSET = 400000  # the fake driver lists a pid as pid + this (a PID namespace)


def fake_gpu(gpus):
    """The fake NVML and nvidia-smi (tests/gpu/README.md) with these GPUs:
    the environment a server needs to see them."""
    fake = os.environ.get("CLAMS_TEST_FAKE_GPU_BIN") or os.path.join(
        os.path.dirname(os.path.dirname(CLAMS)), "fake-gpu")
    if not os.path.exists(os.path.join(fake, "libnvidia-ml.so.1")):
        print("SKIP: no fake NVML at " + fake)
        sys.exit(77)
    d = os.path.join(TMP, "fake-gpu")
    os.makedirs(os.path.join(d, "procs"))
    open(os.path.join(d, "gpus"), "w").write(gpus)
    return d, {"CLAMS_FAKE_GPU_DIR": d, "CLAMS_NVML_LIBRARY": fake + "/libnvidia-ml.so.1",
               "CLAMS_NVIDIA_SMI": fake + "/nvidia-smi", "CUDA_VISIBLE_DEVICES": None,
               "NVIDIA_VISIBLE_DEVICES": None, "CLAMS_GUNICORN_WORKERS": None}


def case_gpu():
    """A hosted app's est_gpu_mem_typ sizes and places the pool (fake NVML:
    two 16 GiB GPUs, typ 6000 MiB: two workers per GPU, each pinned by
    UUID); --vram-hard-budget becomes torch's memory fraction in the worker,
    queued until the app first initialises CUDA (never in the template);
    the hard budget kills a request above it; hwFetch is the server's figure."""
    d, env = fake_gpu("0 %s 16384 NVIDIA Test 16G\n1 %s 16384 NVIDIA Test 16G\n" % (GPU0, GPU1))
    env["GPU_APP_MIB"] = "500"
    srv = Server("gpuapp", "--production", "--max-requests", "0", "--vram-hard-budget", "1000",
                 env=env)
    try:
        log = srv.text()
        check(re.search(r"pool: .*est_gpu_mem_typ=6000.*workers=4", log) is not None,
              "pool of 4 from est_gpu_mem_typ 6000 on two 16 GiB GPUs:\n" + log[-2000:])
        seen = {}
        import concurrent.futures  # four at once: each worker answers one
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            answers = list(ex.map(lambda _: srv.post("?do=gpu&hwFetch=true&seconds=0.5"),
                                  range(4)))
        for st, ct, body in answers:
            if not check(st == 200, "gpu request: %d %.300s" % (st, body)):
                return
            md = json.loads(body)["views"][-1]["metadata"]
            g = md["gpu"]
            seen[g["pid"]] = g["visible"]
            check(g["fraction"] is not None and abs(g["fraction"][0] - 1000 / 16384) < 1e-3,
                  "torch memory fraction = budget / total: %s" % g["fraction"])
            check(g["initialised_by"] == g["pid"], "CUDA initialised in the worker: %s" % g)
            hw = json.dumps(md.get("appProfiling", {}).get("hardware"))
            check("500.0 MiB" in hw, "hwFetch is the server's figure (500 MiB): %s" % hw)
        check(set(seen.values()) <= {GPU0, GPU1} and len(set(seen.values())) == 2,
              "workers pinned by UUID to both GPUs: %s" % seen)
        check("queued for CUDA's initialisation" in srv.text(),
              "the fraction waits for CUDA's lazy init")
    finally:
        srv.stop()


def case_pidns():
    """As for a C app in a container: the driver lists host PIDs (the fake's
    pid_offset), the master binds the hosted worker to its host PID from
    the context get_app() creates, and hwFetch and the hard budget find the
    worker by it."""
    d, env = fake_gpu("0 %s 16384 NVIDIA Test 16G\n" % GPU0)
    open(os.path.join(d, "pid_offset"), "w").write("%d\n" % HOST_OFFSET)
    env.update(GPU_APP_INIT_MIB="300", GPU_APP_MIB="700")
    srv = Server("gpuapp", "--production", "--workers", "1", "--max-requests", "0",
                 "--vram-hard-budget", "1000", env=env)
    try:
        st, ct, body = srv.post("?do=gpu&hwFetch=true")
        check(st == 200, "pidns request: %d %.300s" % (st, body))
        md = json.loads(body)["views"][-1]["metadata"]
        pid = md["gpu"]["pid"]
        hw = json.dumps(md.get("appProfiling", {}).get("hardware"))
        check("700.0 MiB" in hw, "hwFetch by the host PID: %s" % hw)
        st, ct, m = srv.get("/metrics")
        line = re.search(r'clams_worker_gpu_binding\{[^}]*pid="%d"[^}]*\}.*' % pid, m.decode())
        check(line is not None and 'host_pid="%d"' % (pid + HOST_OFFSET) in line.group(0),
              "worker bound to its host PID: %s" % (line.group(0) if line else m[:800]))
        # Above the hard budget (1500 > 1000 MiB) for 3 s: killed, 500.
        st, ct, body = srv.post("?do=gpu&seconds=3&mib=1500")
        msg = error_message(body) or ""
        check(st == 500 and "budget" in msg, "hard budget by host PID: %d %s" % (st, msg))
        check(good_gpu(srv), "served after the kill")
    finally:
        srv.stop()


def good_gpu(srv):
    st, ct, body = srv.post("?do=gpu")
    return st == 200


CASES = {"gpu": case_gpu, "pidns": case_pidns, "file": case_file, "dev": case_dev, "faults": case_faults, "getapp": case_getapp,
         "master": case_master, "notemplate": case_notemplate}

skip_without_libpython()
CASES[CASE]()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok:", CASE)
