#!/usr/bin/python3
"""Checks that docs/tutorial.md shows exactly the code in examples/tutorial-app.

A code block preceded by `<!-- file: PATH -->` belongs to PATH (relative to
the repository root); the blocks of one file, joined in order, must equal the
file byte for byte. Every file of examples/tutorial-app must be shown."""
import os
import re
import sys

root = sys.argv[1]
doc = open(os.path.join(root, "docs/tutorial.md"), encoding="utf-8").read()
pattern = re.compile(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)```\n", re.S)
parts = {}
for path, body in pattern.findall(doc):
    parts.setdefault(path, []).append(body)
if doc.count("<!-- file:") != sum(len(v) for v in parts.values()):
    sys.exit("a '<!-- file: -->' marker is not followed by a fenced code block")
shown = set(parts)
wanted = {"examples/tutorial-app/" + f for f in os.listdir(os.path.join(root, "examples/tutorial-app"))}
if shown != wanted:
    sys.exit(f"tutorial shows {sorted(shown)}, folder holds {sorted(wanted)}")
bad = 0
for path, bodies in parts.items():
    text = open(os.path.join(root, path), encoding="utf-8").read()
    joined = "".join(bodies)
    if joined != text:
        bad += 1
        a, b = joined.splitlines(), text.splitlines()
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        print(f"{path}: tutorial and file differ at line {line + 1}:\n"
              f"  tutorial: {a[line] if line < len(a) else '<end>'}\n"
              f"  file:     {b[line] if line < len(b) else '<end>'}")
if bad:
    sys.exit(1)
print(f"tutorial matches {len(parts)} files ({sum(len(v) for v in parts.values())} blocks)")
