"""Writes the benchmark request bodies into DIR: small.json (~2 KB) and
large.json (~1 MB), each a MMIF with one TextDocument of a repeated
sentence (13 tokens and one sentence per repetition).
usage: make_bodies.py DIR"""
import json
import sys

SENTENCE = "Archives chain dozens of CLAMS apps into pipelines over thousands of hours. "


def mmif(text):
    return json.dumps({"metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
                       "documents": [{"@type": "http://mmif.clams.ai/vocabulary/TextDocument/v1",
                                      "properties": {"id": "d1", "text": {"@value": text}}}],
                       "views": []})


out = sys.argv[1]
with open(out + "/small.json", "w") as f:
    f.write(mmif(SENTENCE * 24))
with open(out + "/large.json", "w") as f:
    f.write(mmif(SENTENCE * 13800))
