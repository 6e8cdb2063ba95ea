#!/usr/bin/python3
"""A torch app under `clams serve --production`: workers forked from a
template process that imported torch run torch operations (on torch's
intra-op thread pool) without hanging, request after request with a new
worker each time (--max-requests 1), with and without --preload; the
template never initialised CUDA (each worker records what it inherited).

usage: test_torch.py CLAMS APPS_DIR VENV_ROOT
The venv (VENV_ROOT/pyvenv-torch) gets torch==2.13.0, the CPU build that
lies on this project's machines (pip takes it from there; any other version
would download gigabytes), made once per build folder; exit 77 (skip) when
it cannot be installed."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostkit  # noqa: E402
from hostkit import check, failures, free_port  # noqa: E402

CLAMS, APPS, ROOT = sys.argv[1:4]
APP = os.path.join(APPS, "torchapp")
VENV = os.path.join(ROOT, "pyvenv-torch")
PY = os.path.join(VENV, "bin", "python")
TMP = tempfile.mkdtemp(prefix="host_torch_")
BODY = json.dumps({"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
                   "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                                  "properties": {"id": "d1",
                                                 "text": {"@value": "hello torch world"}}}],
                   "views": []}).encode()


def make_venv():
    hostkit.make_venv(VENV, "torch==2.13.0", timeout=1200)


def post(port, timeout):
    req = urllib.request.Request("http://127.0.0.1:%d/" % port, data=BODY, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def run(*flags):
    port = free_port()
    log = os.path.join(TMP, "server-%d.log" % port)
    p = subprocess.Popen([CLAMS, "serve", APP, "--python", PY, "--host", "127.0.0.1", "--port",
                          str(port), "--production", "--workers", "2", "--max-requests", "1",
                          *flags], stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    what = "production " + " ".join(flags)
    try:
        t = time.time()
        while time.time() - t < 120:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        pids = set()
        for i in range(6):
            try:
                st, body = post(port, 120)  # a worker that hangs in torch fails here
            except OSError as e:
                check(False, "%s: request %d: %s" % (what, i, e))
                break
            if not check(st == 200, "%s: request %d: %d %.300s" % (what, i, st, body)):
                continue
            info = json.loads(body)["views"][-1]["metadata"].get("torch", {})
            check(info.get("finite") is True and info.get("threads", 0) >= 1,
                  "%s: torch ran in the worker: %s" % (what, info))
            check(info.get("cudaInitializedAtStart") is False,
                  "%s: the worker inherited an initialised CUDA: %s" % (what, info))
            pids.add(info.get("pid"))
        check(len(pids) == 6, "%s: a new worker per request (max-requests 1): pids %s"
              % (what, sorted(pids)))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if failures:
        print(open(log, errors="replace").read()[-3000:])


make_venv()
run()
run("--preload")
shutil.rmtree(TMP, ignore_errors=True)
if failures:
    sys.exit(1)
print("ok: torch workers forked from the template ran 12 requests")
