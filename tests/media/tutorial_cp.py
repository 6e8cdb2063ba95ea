"""tutorial_cp.py: the tutorial app's Span offsets are code points, as MMIF
wants: "Café cat" gives cat at 5-8 (bytes would say 6-9), and every span's
text, sliced by code points in Python, is the keyword.
usage: tutorial_cp.py TUTORIAL_APP WORK_DIR"""
import json
import os
import subprocess
import sys

app, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
texts = {"d1": "Café cat", "d2": "naïve cat, 猫 cat; the Cat 🐈 cat.", "d3": "plain cat"}
doc = {"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"}, "views": [],
       "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                      "properties": {"id": k, "text": {"@value": v}}} for k, v in texts.items()]}
inp, out = os.path.join(work, "cp.in.mmif"), os.path.join(work, "cp.out.mmif")
json.dump(doc, open(inp, "w"), ensure_ascii=False)
subprocess.run([app, "annotate", inp, out, "--param", "keywords=cat"], check=True, timeout=60)
spans = [a["properties"] for v in json.load(open(out))["views"] for a in v["annotations"]]
bad = 0
got = sorted((s["document"], s["start"], s["end"]) for s in spans)
want = sorted((k, i, i + 3) for k, t in texts.items()
              for i in range(len(t)) if t[i:i + 3].lower() == "cat"
              and (i == 0 or not t[i - 1].isascii() or not t[i - 1].isalnum())
              and (i + 3 == len(t) or not t[i + 3].isascii() or not t[i + 3].isalnum()))
if got != want:
    bad += 1
    print("FAIL spans", got, "want", want)
if ("d1", 5, 8) not in got:
    bad += 1
    print("FAIL: Café cat must give cat at 5-8")
for s in spans:
    if texts[s["document"]][s["start"]:s["end"]].lower() != "cat":
        bad += 1
        print("FAIL: span", s, "slices to", texts[s["document"]][s["start"]:s["end"]])
print(f"{len(spans)} spans, {bad} failure(s)")
sys.exit(1 if bad else 0)
