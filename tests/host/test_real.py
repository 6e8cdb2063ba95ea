#!/usr/bin/python3
"""A real clams-python app (apps_real/tokenizer) under `clams serve` gives the
answers clams-python's own Flask app gives (its test client), on a corpus of
requests, in the development server, the production server and the file
mode, up to the differences docs/python-apps.md lists (timestamps and
running times, the first frames of an error's stack trace, 400 instead of
500 for invalid input).

usage: test_real.py VERSION CLAMS APPS_REAL_DIR VENV_ROOT
The venv (VENV_ROOT/pyvenv-clams-VERSION) is made once per build folder with
pip from PyPI; exit 77 (skip) when PyPI cannot be reached and no venv is
there."""
import json
import os
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

VERSION, CLAMS, APPS, ROOT = sys.argv[1:5]
APP = os.path.join(APPS, "tokenizer")
VENV = os.path.join(ROOT, "pyvenv-clams-" + VERSION)
PY = os.path.join(VENV, "bin", "python")
ENV = dict(os.environ, CLAMS_APP_VERSION="v-test")
TMP = tempfile.mkdtemp(prefix="host_real_")


def make_venv():
    hostkit.make_venv(VENV, "clams-python==" + VERSION)


TEXT = "Hello CLAMS world, a tiny test of a real app"
DOC = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
       "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                      "properties": {"id": "td1", "text": {"@value": TEXT}}}],
       "views": []}
BODY = json.dumps(DOC)
ENVELOPE = json.dumps({"parameters": {"lowercase": True, "labels": ["p", "q"]}, "mmif": DOC})
# (method, query, body)
CORPUS = [
    ("GET", "", None),
    ("GET", "pretty=true", None),
    ("POST", "", BODY),
    ("POST", "lowercase=true&minLength=4", BODY),
    ("POST", "labels=a&labels=b&pretty=true", BODY),
    ("PUT", "undefinedParam=1", BODY),
    ("POST", "minLength=notanumber", BODY),
    ("POST", "fail=true", BODY),
    ("POST", "", ENVELOPE),
    ("POST", "", "{not json"),
]

REFERENCE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import os
os.chdir(sys.argv[1])
sys.modules["__main__"].__file__ = os.path.join(sys.argv[1], "app.py")  # as `python app.py`
import app as appmod
from clams import Restifier
client = Restifier(appmod.get_app()).test_client()
out = []
for method, query, body in json.load(sys.stdin):
    r = client.open("/" + ("?" + query if query else ""), method=method, data=body)
    out.append([r.status_code, r.mimetype, r.get_data(as_text=True)])
print(json.dumps(out))
"""


def reference():
    p = subprocess.run([PY, "-c", REFERENCE, APP], input=json.dumps(CORPUS), env=ENV,
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit("the Flask reference failed:\n" + p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def normal(body):
    """The answer's JSON without what differs by design: timestamps,
    running times, stack traces (their first frames are the server's)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    for v in doc.get("views", []) if isinstance(doc, dict) else []:
        md = v.get("metadata", {})
        md.pop("timestamp", None)
        md.get("appProfiling", {}).pop("runningTime", None)
        if not md.get("appProfiling", True):
            md.pop("appProfiling")
        if "error" in md:
            md["error"].pop("stackTrace", None)
    return doc


def compare(where, ref, got):
    for (method, query, body), r, g in zip(CORPUS, ref, got):
        what = "%s %s ?%s" % (where, method, query)
        # Invalid input: 400 text/plain here (documented); clams-python answers 500,
        # text/plain from 1.4 on, Flask's JSON error page before.
        # An envelope sent to a clams-python older than envelopes (1.3) is invalid
        # input there too: 400 here.
        if body == "{not json" or (r[0] == 500 and r[1] == "text/plain"):
            check(g[0] == 400 and g[1].startswith("text/plain")
                  and g[2].startswith("Invalid input data."),
                  "%s: invalid input -> 400 text/plain, got %s %s" % (what, g[0], g[1]))
            continue
        check(g[0] == r[0], "%s: status %s, clams-python %s" % (what, g[0], r[0]))
        check(g[1].split(";")[0] == r[1], "%s: type %s, clams-python %s" % (what, g[1], r[1]))
        check(normal(g[2]) == normal(r[2]),
              "%s: answers differ:\n clams serve: %.1500s\n clams-python: %.1500s"
              % (what, json.dumps(normal(g[2])), json.dumps(normal(r[2]))))


def served(*flags):
    port = free_port()
    log = open(os.path.join(TMP, "server-%d.log" % port), "w")
    p = subprocess.Popen([CLAMS, "serve", APP, "--python", PY, "--port", str(port),
                          "--host", "127.0.0.1", *flags], stderr=log, stdout=log, env=ENV)
    out = []
    try:
        t = time.time()
        while True:
            if p.poll() is not None or time.time() - t > 120:
                raise SystemExit("server did not start:\n" + open(log.name).read()[-3000:])
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5)
                break
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        for method, query, body in CORPUS:
            req = urllib.request.Request("http://127.0.0.1:%d/%s" % (
                port, "?" + query if query else ""), method=method,
                data=body.encode() if body is not None else None)
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    out.append([r.status, r.headers.get("Content-Type"), r.read().decode()])
            except urllib.error.HTTPError as e:
                out.append([e.code, e.headers.get("Content-Type"), e.read().decode()])
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
    return out


def file_mode(ref):
    """annotate IN OUT with the parameters as flags = the POST with the query."""
    src = os.path.join(TMP, "in.mmif")
    open(src, "w").write(BODY)
    for i, flags in ((2, []), (3, ["--lowercase", "true", "--minLength", "4"])):
        p = subprocess.run([CLAMS, "serve", APP, "--python", PY, "annotate", src, "-", *flags],
                           capture_output=True, text=True, env=ENV, timeout=300)
        check(p.returncode == 0, "file mode exit %d: %s" % (p.returncode, p.stderr[-2000:]))
        got = normal(p.stdout)
        want = normal(ref[i][2])
        # file mode's parameters come from flags, recorded as the query's are
        check(got == want, "file mode %s:\n %.1500s\n %.1500s" % (flags, json.dumps(got),
                                                                  json.dumps(want)))


make_venv()
ref = reference()
check(ref[2][0] == 200 and ref[6][0] == 500 and ref[7][0] == 500, "the reference ran: %s"
      % [r[0] for r in ref])
compare("dev", ref, served())
compare("production", ref, served("--production", "--workers", "2"))
compare("production, --max-requests 0", ref,
        served("--production", "--workers", "1", "--max-requests", "0"))
file_mode(ref)
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok: clams-python", VERSION)
