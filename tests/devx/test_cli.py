#!/usr/bin/python3
"""Tests of `clams describe` and `clams rewind` on the MMIF spec samples and on
a pipeline made here by running real apps (the tutorial's keyword spotter and
the tokenizer) one after another.

usage: test_cli.py describe|describe_dir|rewind CLAMS SPOTTER TOKENIZER SAMPLES_DIR DATA_DIR"""
import json
import os
import math
import re
import shutil
import subprocess
import sys
import shutil
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import describe_ref  # noqa: E402

what, CLAMS, SPOTTER, TOKENIZER, SAMPLES, DATA = sys.argv[1:7]
tmp = tempfile.mkdtemp(prefix="devx_cli_")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def run(argv, stdin=None, ok=(0,)):
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120)
    if p.returncode not in ok:
        raise SystemExit(f"{argv} exited {p.returncode}: {p.stderr}")
    return p


def annotate(app, src, dst, *params):
    argv = [app, "annotate", src, dst]
    for prm in params:
        argv += ["--param", prm]
    run(argv)
    return dst


def valid(path):
    return run([CLAMS, "validate", path], ok=(0, 1)).returncode == 0


def pipeline():
    """text -> spotter(cat,the) -> tokenizer -> spotter(Cat, case) -> spotter(no keywords)
    -> an error view appended by hand (apps here fail only on broken input)."""
    p = os.path.join(DATA, "text.mmif")
    p = annotate(SPOTTER, p, f"{tmp}/p1.mmif", "keywords=cat", "keywords=the")
    p = annotate(TOKENIZER, p, f"{tmp}/p2.mmif")
    p = annotate(SPOTTER, p, f"{tmp}/p3.mmif", "keywords=Cat", "caseSensitive=true")
    p = annotate(SPOTTER, p, f"{tmp}/p4.mmif")
    m = json.load(open(p))
    # List-valued raw parameters (hashed as Python prints lists) and quotes.
    m["views"].append({"id": "v_list", "metadata": {
        "app": "http://apps.clams.ai/lister/v3", "timestamp": "2029-01-01T00:00:00",
        "contains": {}, "parameters": {"b": ["x'y", 'z"w', "v"], "a": "1", "c": ["q"]},
        "appProfiling": {"runningTime": "1:02:03.5"}}, "annotations": []})
    m["views"].append({"id": "v_err", "metadata": {
        "app": "http://apps.clams.ai/broken/v2", "timestamp": "2030-01-01T00:00:00.000001",
        "error": {"message": "it broke", "stackTrace": "nowhere"}}, "annotations": []})
    out = f"{tmp}/pipeline.mmif"
    json.dump(m, open(out, "w"))
    check(valid(out), "the pipeline MMIF made for the test is not valid")
    return out


def test_describe(pipe):
    inputs = sorted(os.path.join(SAMPLES, f) for f in os.listdir(SAMPLES)) + [pipe]
    for path in inputs:
        got = json.loads(run([CLAMS, "describe", path]).stdout)
        want = describe_ref.describe(json.load(open(path)))
        check(got == want, f"describe {os.path.basename(path)} differs from the Python model:\n"
                           f"  got  {json.dumps(got)[:600]}\n  want {json.dumps(want)[:600]}")
    d = json.loads(run([CLAMS, "describe", pipe]).stdout)
    views = [v["id"] for v in json.load(open(pipe))["views"]]
    st = d["stats"]
    # spotter, tokenizer, spotter, spotter(no keywords), lister: five successful runs.
    check(st["appCount"] == 5, f"appCount {st['appCount']} != 5")
    check(st["errorViews"] == ["v_err"], f"errorViews {st['errorViews']}")
    check(st["warningViews"] == [], f"warningViews {st['warningViews']}")
    check(views[-2] in st["emptyViews"] or views[-3] in st["emptyViews"],
          f"the empty view of the last spotter run is not in emptyViews {st['emptyViews']}")
    segs = d["workflowId"].split("/")
    check(len(segs) == 15 and segs[12:14] == ["lister", "v3"] and segs[0:2] == ["keyword-spotter", "v1.0"] and
          all(re.fullmatch(r"[0-9a-f]{32}", s) for s in segs[2::3]),
          f"workflowId {d['workflowId']}")
    check(segs[2] != segs[8], "different parameters gave the same parameter hash")
    check(d["apps"][4]["appProfiling"] == {"runningTimeMS": 3723500}, "runningTimeMS of 1:02:03.5")
    for a in d["apps"][:4]:
        check(isinstance(a["appProfiling"].get("runningTimeMS"), int),
              f"{a['app']} has no appProfiling.runningTimeMS")
    cats = d["apps"][0]["annotationCountByType"]
    check(cats.get("http://mmif.clams.ai/vocabulary/Span/v5") == cats.get("total") > 0,
          f"first spotter run counts {cats}")
    # stdin, -o and -p give the same content.
    text = open(pipe).read()
    via_stdin = json.loads(run([CLAMS, "describe", "-"], stdin=text).stdout)
    check(via_stdin == d, "describe - (stdin) differs from describe FILE")
    run([CLAMS, "describe", pipe, "-p", "-o", f"{tmp}/d.json"])
    pretty = open(f"{tmp}/d.json").read()
    check(json.loads(pretty) == d and "\n  " in pretty, "describe -p -o OUT")
    bad = run([CLAMS, "describe", os.path.join(DATA, "missing.mmif")], ok=(1,))
    check("missing.mmif" in bad.stderr, "describe of a missing file does not say which")


def same(a, b):
    """JSON equality that also tells int from float (mean and stdev types follow
    Python's statistics module); floats may differ in the last bits."""
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def retime(src, dst, running_time):
    m = json.load(open(src))
    for v in m["views"]:
        v["metadata"]["appProfiling"]["runningTime"] = running_time
    json.dump(m, open(dst, "w"))


def test_describe_dir(pipe):
    """A directory: samples, tokenizer runs (one workflow, three files), a
    spotter+tokenizer run, a warnings file, an error file, broken files, and
    entries the Python tool never looks at (other extensions, subfolders)."""
    schema = json.load(open(os.path.join(SAMPLES, "..", "mmif.schema.json")))
    d = f"{tmp}/coll"
    os.makedirs(f"{d}/sub")
    os.makedirs(f"{d}/folder.mmif")
    for f in os.listdir(SAMPLES):
        shutil.copy(os.path.join(SAMPLES, f), f"{d}/{f.split('.')[0]}.mmif")
    shutil.copy(os.path.join(SAMPLES, sorted(os.listdir(SAMPLES))[0]), f"{d}/skipped.mmif.json")
    text = os.path.join(DATA, "text.mmif")
    annotate(TOKENIZER, text, f"{d}/tok_a.mmif")
    retime(annotate(TOKENIZER, text, f"{tmp}/tb.mmif"), f"{d}/tok_b.mmif", "0:00:01.234567")
    retime(annotate(TOKENIZER, text, f"{tmp}/tc.mmif"), f"{d}/tok_c.mmif", "0:00:00.501")
    shutil.copy(f"{tmp}/p2.mmif", f"{d}/spot_tok.mmif")
    shutil.copy(pipe, f"{d}/pipeline.mmif")
    annotate(TOKENIZER, text, f"{d}/bogus.mmif", "bogus=1")
    # A warnings view of its own run (apps put it in the run of their view).
    m = json.load(open(f"{d}/bogus.mmif"))
    m["views"][-1]["metadata"]["timestamp"] = "2031-01-01T00:00:00"
    json.dump(m, open(f"{d}/warned.mmif", "w"))
    shutil.copy(f"{d}/tok_a.mmif", f"{d}/sub/nested.mmif")
    open(f"{d}/truncated.mmif", "w").write(open(f"{d}/tok_a.mmif").read()[:200])
    open(f"{d}/schema-bad.mmif", "w").write('{"metadata": {"mmif": "x"}, "documents": {}}')
    open(f"{d}/notes.txt", "w").write("not a MMIF\n")

    r = run([CLAMS, "describe", d])
    got, want = json.loads(r.stdout), describe_ref.describe_collection(d, schema)
    check(same(got, want), f"describe DIR differs from the Python model:\n"
                           f"  got  {json.dumps(got)[:1500]}\n  want {json.dumps(want)[:1500]}")
    st = got["mmifCountByStatus"]
    n_samples = len(os.listdir(SAMPLES))
    check(st == {"total": n_samples + 10, "successful": n_samples + 6, "withErrors": 1,
                 "withWarnings": 1, "invalid": 3}, f"mmifCountByStatus {st}")
    for bad in ("truncated.mmif", "schema-bad.mmif", "folder.mmif"):
        check(bad in r.stderr, f"describe DIR does not report the invalid {bad}")
    tok = [w for w in got["workflows"] if w["mmifs"][:1] == ["tok_a.mmif"]]
    check(len(tok) == 1 and tok[0]["mmifs"] == ["tok_a.mmif", "tok_b.mmif", "tok_c.mmif"]
          and tok[0]["mmifCount"] == 3, f"tokenizer workflow {tok}")
    if tok:
        prof = tok[0]["apps"][0]["appProfiling"]
        check(prof["minRunningTimeMS"] <= 501 and prof["maxRunningTimeMS"] == 1234
              and isinstance(prof["stdevRunningTimeMS"], float), f"tokenizer profiling {prof}")
        check(tok[0]["apps"][0]["appConfiguration"].get("splitSentences") is True,
              "the tokenizer's appConfiguration is missing")
    names = [n for w in got["workflows"] for n in w["mmifs"]]
    check("pipeline.mmif" not in names and "nested.mmif" not in names
          and not any(n.endswith(".json") for n in names), f"unexpected files in workflows {names}")
    # Output options, and a directory with nothing to read.
    run([CLAMS, "describe", d, "-p", "-o", f"{tmp}/c.json"])
    pretty = open(f"{tmp}/c.json").read()
    check(json.loads(pretty) == got and "\n  " in pretty, "describe DIR -p -o OUT")
    os.makedirs(f"{tmp}/empty")
    e = json.loads(run([CLAMS, "describe", f"{tmp}/empty"]).stdout)
    check(same(e, describe_ref.describe_collection(f"{tmp}/empty", schema)) and
          e["workflows"] == [] and e["mmifCountByStatus"]["total"] == 0, f"empty DIR {e}")


def ids(path):
    return [v["id"] for v in json.load(open(path))["views"]]


def test_rewind(pipe):
    all_ids = ids(pipe)
    apps = [v["metadata"].get("app") for v in json.load(open(pipe))["views"]]
    for n in (1, 2, len(all_ids), len(all_ids) + 3):
        out = f"{tmp}/r{n}.mmif"
        run([CLAMS, "rewind", pipe, out, "-n", str(n)])
        check(ids(out) == all_ids[:max(0, len(all_ids) - n)], f"rewind -n {n}: {ids(out)}")
        check(valid(out), f"rewind -n {n} output is not valid MMIF")
    # App mode: consecutive views of one app count once. The pipeline's apps,
    # from the end: broken (1 view), keyword-spotter (3 runs in a row), tokenizer,
    # keyword-spotter; a lister view sits between the spotter and broken ones.
    runs = []
    for i, a in enumerate(apps):
        if not runs or apps[runs[-1][0]] != a:
            runs.append([i])
        else:
            runs[-1].append(i)
    for n in (1, 2, 3, 4, 9):
        out = f"{tmp}/a{n}.mmif"
        run([CLAMS, "rewind", "-m", "app", "-n", str(n), pipe, "-o", out])
        keep = sum(len(r) for r in runs[:max(0, len(runs) - n)])
        check(ids(out) == all_ids[:keep], f"rewind -m app -n {n}: {ids(out)} (kept {keep})")
    check(len(runs) == 5 and len(runs[2]) > 1, f"unexpected app runs in the pipeline: {runs}")
    # stdin to stdout, pretty.
    r = run([CLAMS, "rewind", "-n", "1", "-p"], stdin=open(pipe).read())
    check(json.loads(r.stdout)["views"][-1]["id"] == all_ids[-2] and "\n  " in r.stdout,
          "rewind from stdin with -p")
    for args, word in ((["-n", "0"], "prompt"), ([], "-n"), (["-n", "x"], "-n"),
                       (["-n", "1", "-m", "apps"], "mode")):
        r = run([CLAMS, "rewind", pipe] + args, ok=(2,))
        check(word in r.stderr, f"rewind {args}: stderr does not mention {word!r}: {r.stderr}")


pipe = pipeline()
{"describe": test_describe, "describe_dir": test_describe_dir, "rewind": test_rewind}[what](pipe)
if failures:
    sys.exit(f"{len(failures)} check(s) failed (files kept in {tmp})")
shutil.rmtree(tmp, ignore_errors=True)
print(f"{what}: all checks passed")
