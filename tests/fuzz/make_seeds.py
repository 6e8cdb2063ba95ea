#!/usr/bin/python3
"""Seed corpora for the fuzz harnesses, made from what the tests already use:
tests/mmif/corpus (valid and invalid MMIF), the shared MMIF samples, the
recorded clams-python HTTP transcripts (their bodies, and the `parameters`
of their signed views as query strings) and the hand-written seeds under
tests/fuzz/seeds/. Usage: make_seeds.py ROOT SHARED_DIR OUT_DIR"""
import hashlib
import json
import os
import sys
import urllib.parse

root, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]


def put(harness, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if os.path.isfile(os.path.join(d, f)))


mmifs = []
for sub in ("valid", "invalid"):
    mmifs += files(os.path.join(root, "tests/mmif/corpus", sub))
mmifs += files(os.path.join(shared, "clams-reference/mmif-spec/samples-1.1.0"))
for path in mmifs:
    data = open(path, "rb").read()
    put("fuzz_mmif_load", data)
    put("fuzz_mmif_validate", data)
    if len(data) < 20000:
        put("fuzz_envelope", b"\n" + data)

queries = ["", "pretty=true", "count=2&mode=slow", "labels=A&labels=B", "labelMap=a:b&labelMap=c:d",
           "count=1_000&ratio=1e3&flag=F", "mode=medium", "count=3.5", "ratio=inf&ratio=nan",
           "req=&undefined=1&undefined=2", "fail=true", "runningTime=false&hwFetch=false",
           "a%20b=c%2Bd&%C3%A9=%FF"]
tr_path = os.path.join(shared, "clams-reference/derived/golden-http-transcripts.json")
base = None
if os.path.exists(tr_path):
    tr = json.load(open(tr_path))
    for name, t in tr.get("transcripts", {}).items():
        body = t.get("body")
        if not isinstance(body, str):
            continue
        put("fuzz_mmif_load", body)
        put("fuzz_mmif_validate", body)
        if name == "input_mmif":
            base = body
        try:
            doc = json.loads(body)
        except ValueError:
            continue
        for v in doc.get("views", []) if isinstance(doc, dict) else []:
            p = v.get("metadata", {}).get("parameters")
            if isinstance(p, dict):
                queries.append(urllib.parse.urlencode(
                    [(k, x) for k, x in p.items() if isinstance(x, str)]))
for q in queries:
    put("fuzz_params", q)
if base:
    doc = json.loads(base)
    for q in queries:
        put("fuzz_envelope", q + "\n" + base)
    put("fuzz_envelope", "\n" + json.dumps({"parameters": {"count": 2, "labels": ["A", "B"]},
                                            "mmif": doc}))
    put("fuzz_envelope", "\n" + json.dumps({"parameters": {"mode": "slow"}, "mmif": base}))
    put("fuzz_envelope", "\n" + json.dumps({"parameters": [], "mmif": doc}))
for h in ("fuzz_params", "fuzz_envelope", "fuzz_mmif_load", "fuzz_mmif_validate"):
    for path in files(os.path.join(root, "tests/fuzz/seeds", h)):
        put(h, open(path, "rb").read())
