#!/usr/bin/python3
"""devx_tutorial: docs/tutorial.md shows exactly examples/tutorial-app, and
that app works: run in file mode on a sample MMIF, its Spans are exactly the
whole-word keyword occurrences (found here with a regular expression), the
output is valid MMIF, and a request without keywords yields a warning.

usage: test_tutorial.py ROOT TUTORIAL_APP CLAMS DATA_DIR"""
import json
import os
import re
import subprocess
import sys
import tempfile

root, app, clams, data = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
subprocess.run([sys.executable, os.path.join(here, "check_tutorial.py"), root], check=True)

tmp = tempfile.mkdtemp(prefix="devx_tut_")
src = os.path.join(data, "text.mmif")
docs = {d["properties"]["id"]: d["properties"]["text"]["@value"]
        for d in json.load(open(src))["documents"] if "text" in d["properties"]}


def spans(params):
    out = os.path.join(tmp, "out.mmif")
    argv = [app, "annotate", src, out]
    for p in params:
        argv += ["--param", p]
    subprocess.run(argv, check=True, timeout=60)
    if subprocess.run([clams, "validate", out]).returncode != 0:
        sys.exit("the tutorial app wrote invalid MMIF")
    m = json.load(open(out))
    return m, {(a["properties"]["document"], a["properties"]["start"], a["properties"]["end"],
                a["properties"]["keyword"]) for v in m["views"] for a in v["annotations"]}


def expected(words, case_sensitive):
    flags = 0 if case_sensitive else re.I
    return {(doc, mt.start(), mt.end(), w) for w in words for doc, text in docs.items()
            for mt in re.finditer(r"(?<![A-Za-z0-9])" + re.escape(w) + r"(?![A-Za-z0-9])",
                                  text, flags)}


bad = 0
for words, case in ((["cat", "the"], False), (["Cat", "mat"], True), (["hat"], False)):
    params = [f"keywords={w}" for w in words] + [f"caseSensitive={'true' if case else 'false'}"]
    m, got = spans(params)
    want = expected(words, case)
    if got != want or not want:
        bad += 1
        print(f"FAIL keywords={words} caseSensitive={case}: got {sorted(got)}, want {sorted(want)}")
    view = m["views"][-1]
    if view["metadata"]["app"] != "http://apps.clams.ai/keyword-spotter/v1.0":
        bad += 1
        print("FAIL: view app is", view["metadata"]["app"])
m, got = spans([])
warnings = [w for v in m["views"] for w in v["metadata"].get("warnings", [])]
if got or not any("no keywords" in w for w in warnings):
    bad += 1
    print(f"FAIL: no keywords: spans {got}, warnings {warnings}")
meta = json.loads(subprocess.run([app, "--describe"], capture_output=True, text=True,
                                 check=True).stdout)
names = [p["name"] for p in meta.get("parameters", [])]
if "keywords" not in names or "caseSensitive" not in names:
    bad += 1
    print("FAIL: metadata parameters", names)
sys.exit(1 if bad else 0)
