"""template_text.py: the `clams new` template's app annotates a TextDocument
that `clams source text:FILE` made (text at a location), not only inline
text: word counts match Python's for the file's text (code points for the
length rule), a missing file is an error view naming it, inline text still
works. usage: template_text.py TEMPLATE_APP CLAMS_TOOL WORK_DIR"""
import json
import os
import subprocess
import sys

app, clams, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
bad = 0
text = "Wörter über Straßen\r\nand ümlauts: äöü ab\nsecond line here\n"
path = os.path.join(work, "words.txt")
open(path, "w", encoding="utf-8", newline="").write(text)
src = os.path.join(work, "src.mmif")
subprocess.run([clams, "source", "-o", src, "text:" + path], check=True)
m = json.load(open(src))
m["documents"].append({"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                       "properties": {"id": "d2", "text": {"@value": "ab cd efgh"}}})
json.dump(m, open(src, "w"))
out = os.path.join(work, "out.mmif")
subprocess.run([app, "annotate", src, out, "--param", "minWordLength=3"], check=True, timeout=60)
got = {a["properties"]["document"]: a["properties"]["wordCount"]
       for v in json.load(open(out))["views"] for a in v["annotations"]}
want = {"d1": sum(len(w) >= 3 for w in text.split()), "d2": 1}
if got != want:
    bad += 1
print(("ok   " if got == want else "FAIL ") + f"word counts {got}, Python {want}")

m["documents"] = [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                   "properties": {"id": "d9", "location": "file://" + path + ".missing"}}]
json.dump(m, open(src, "w"))
rc = subprocess.run([app, "annotate", src, out]).returncode
err = [v["metadata"]["error"]["message"] for v in json.load(open(out))["views"]
       if "error" in v["metadata"]]
ok = rc != 0 and err and "d9" in err[0] and path + ".missing" in err[0]
bad += not ok
print(("ok   " if ok else "FAIL ") + f"missing file: rc={rc} {err}")
sys.exit(1 if bad else 0)
