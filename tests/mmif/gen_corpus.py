#!/usr/bin/env python3
"""Writes the MMIF differential corpus: valid and invalid variants of a small
base document, each breaking (or bending) one schema rule. Deterministic.
Every file's intended verdict is checked against python-jsonschema (Draft 4)
before it is written, so the folders are right by construction.

usage: gen_corpus.py SCHEMA OUTDIR   (writes OUTDIR/{valid,invalid}/*.json)
"""
import copy
import json
import os
import shutil
import sys

import jsonschema

TF = "http://mmif.clams.ai/vocabulary/TimeFrame/v6"
BASE = {
    "metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
    "documents": [{"@type": "http://mmif.clams.ai/vocabulary/VideoDocument/v1",
                   "properties": {"id": "d1", "mime": "video/mp4", "location": "file:///v.mp4"}}],
    "views": [
        {"id": "v_0",
         "metadata": {"app": "http://apps.clams.ai/seg/v1", "timestamp": "2024-01-01T00:00:00",
                      "contains": {TF: {"document": "d1", "timeUnit": "milliseconds"}},
                      "parameters": {"a": "1", "b": ["x", "y"]},
                      "appConfiguration": {"a": 1}},
         "annotations": [{"@type": TF, "properties": {"id": "v_0:tf_1", "start": 0, "end": 10,
                                                       "label": "bars"}}]},
        {"id": "v_1", "metadata": {"app": "http://apps.clams.ai/warn/v1", "warnings": ["w1"]},
         "annotations": []},
        {"id": "v_2", "metadata": {"app": "http://apps.clams.ai/err/v1",
                                   "error": {"message": "boom", "stackTrace": "tb"}},
         "annotations": []},
    ],
}

# JSON values of every type, named for the file names.
VALUES = [("null", None), ("true", True), ("int", 1), ("real", 1.5), ("str", "string-value"),
          ("arr", []), ("obj", {})]

# Paths whose value must have one type; "str7" is a string of >= 7 code points.
TYPED = [
    ("metadata", "obj"), ("metadata/mmif", "str7"), ("documents", "arr"),
    ("documents/0", "obj"), ("documents/0/@type", "str"), ("documents/0/properties", "obj"),
    ("documents/0/properties/id", "str"), ("views", "arr"), ("views/0", "obj"),
    ("views/0/id", "str"), ("views/0/metadata", "obj"), ("views/0/metadata/timestamp", "str"),
    ("views/0/metadata/app", "str7"), ("views/0/metadata/contains", "obj"),
    ("views/0/metadata/contains/" + TF.replace("/", "~1"), "obj"),
    ("views/0/metadata/parameters", "obj"), ("views/0/metadata/parameters/a", "strarr"),
    ("views/0/metadata/parameters/b/0", "str"), ("views/0/metadata/appConfiguration", "obj"),
    ("views/0/annotations", "arr"), ("views/0/annotations/0", "obj"),
    ("views/0/annotations/0/@type", "str"), ("views/0/annotations/0/properties", "obj"),
    ("views/0/annotations/0/properties/id", "str"), ("views/1/metadata/warnings", "arr"),
    ("views/1/metadata/warnings/0", "str"), ("views/2/metadata/error", "obj"),
    ("views/2/metadata/error/message", "str"), ("views/2/metadata/error/stackTrace", "str"),
    ("views/0/annotations/0/properties/start", "any"), ("metadata/extra", "any"),
]


def tokens(path):
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/") if t != ""]


def parent_of(doc, path):
    toks = tokens(path)
    node = doc
    for t in toks[:-1]:
        node = node[int(t)] if isinstance(node, list) else node[t]
    last = toks[-1]
    return node, (int(last) if isinstance(node, list) else last)


def with_set(path, value):
    d = copy.deepcopy(BASE)
    node, k = parent_of(d, path)
    node[k] = value
    return d


def with_del(path):
    d = copy.deepcopy(BASE)
    node, k = parent_of(d, path)
    del node[k]
    return d


def type_ok(kind, value):
    if kind == "any":
        return True
    if kind == "obj":
        return isinstance(value, dict)
    if kind == "arr":
        return isinstance(value, list)
    if kind == "strarr":
        return isinstance(value, str) or (isinstance(value, list)
                                          and all(isinstance(x, str) for x in value))
    if kind == "str7":
        return isinstance(value, str) and len(value) >= 7
    return isinstance(value, str)


def cases():
    out = [("base", BASE, True)]
    for path, kind in TYPED:
        slug = path.replace("/", "_").replace("~1", "").replace(":", "")[:60]
        for vname, value in VALUES:
            # A value of the right type may still miss required children
            # ({} for an annotation): then the schema decides (None).
            ok = None if type_ok(kind, value) else False
            out.append((f"type_{slug}_{vname}", with_set(path, copy.deepcopy(value)), ok))
    # A value nested inside an array is checked too.
    out.append(("warnings_mixed", with_set("views/1/metadata/warnings", ["a", 1]), False))
    out.append(("param_arr_mixed", with_set("views/0/metadata/parameters/a", ["a", None]), False))
    out.append(("param_arr_nested", with_set("views/0/metadata/parameters/a", [["a"]]), False))
    out.append(("param_arr_empty", with_set("views/0/metadata/parameters/a", []), True))
    # minLength counts code points.
    for name, s, ok in [("6ascii", "abcdef", False), ("7ascii", "abcdefg", True),
                        ("6latin", "éééééé", False), ("7latin", "ééééééé", True),
                        ("4emoji", "😀😀😀😀", False), ("7emoji", "😀" * 7, True),
                        ("3cjk", "日本語", False), ("empty", "", False)]:
        out.append((f"minlen_mmif_{name}", with_set("metadata/mmif", s), ok))
        out.append((f"minlen_app_{name}", with_set("views/0/metadata/app", s), ok))
    for path in ["views/0/id", "documents/0/@type", "documents/0/properties/id",
                 "views/0/annotations/0/@type", "views/0/annotations/0/properties/id",
                 "views/2/metadata/error/message"]:
        slug = path.replace("/", "_")
        out.append((f"empty_{slug}", with_set(path, ""), False))
        out.append((f"one_char_{slug}", with_set(path, "é"), True))
    out.append(("empty_timestamp", with_set("views/0/metadata/timestamp", ""), True))
    out.append(("empty_stacktrace", with_set("views/2/metadata/error/stackTrace", ""), True))
    out.append(("empty_warning", with_set("views/1/metadata/warnings/0", ""), True))
    # Formats are not enforced.
    out.append(("format_timestamp", with_set("views/0/metadata/timestamp", "yesterday"), True))
    out.append(("format_app", with_set("views/0/metadata/app", "not a uri at all"), True))
    out.append(("format_mmif", with_set("metadata/mmif", "::::::::"), True))
    # contains keys: ^https?://
    for name, key, ok in [("http", "http://x", True), ("https", "https://x/y", True),
                          ("ftp", "ftp://x", False), ("upper", "HTTP://x", False),
                          ("oneslash", "http:/x", False), ("prefixed", "xhttp://x", False),
                          ("empty", "", False), ("bare", "http://", True),
                          ("short", "TimeFrame", False), ("httpss", "httpss://x", False)]:
        out.append((f"contains_key_{name}", with_set("views/0/metadata/contains", {key: {}}), ok))
        out.append((f"contains_key_{name}_str", with_set("views/0/metadata/contains", {key: "x"}),
                    False))
    out.append(("contains_empty", with_set("views/0/metadata/contains", {}), True))
    out.append(("contains_two", with_set("views/0/metadata/contains",
                                         {"http://a": {}, "https://b": {"k": [1]}}), True))
    # parameters keys: ".+" does not match "" nor "\n".
    for name, key, ok in [("emptykey", "", True), ("newline", "\n", True),
                          ("newline2", "\n\n", True), ("newline_a", "\na", False),
                          ("space", " ", False), ("unicode", "ключ", False)]:
        out.append((f"param_key_{name}", with_set("views/0/metadata/parameters", {key: 1}), ok))
    out.append(("param_key_emptykey_str", with_set("views/0/metadata/parameters", {"": "s"}), True))
    out.append(("params_empty", with_set("views/0/metadata/parameters", {}), True))
    # oneOf over {app+contains}, {app+warnings}, {app+error}.
    md = {"app": "http://apps.clams.ai/x/v1"}
    combos = [("none", {}, False), ("contains", {"contains": {}}, True),
              ("warnings", {"warnings": []}, True), ("error", {"error": {"message": "m"}}, True),
              ("contains_warnings", {"contains": {}, "warnings": []}, False),
              ("contains_error", {"contains": {}, "error": {"message": "m"}}, False),
              ("warnings_error", {"warnings": ["w"], "error": {"message": "m"}}, False),
              ("all3", {"contains": {}, "warnings": [], "error": {"message": "m"}}, False)]
    for name, extra, ok in combos:
        with_app = dict(md, **extra)
        out.append((f"oneof_app_{name}", with_set("views/0/metadata", with_app), ok))
        out.append((f"oneof_noapp_{name}", with_set("views/0/metadata", dict(extra)), False))
    out.append(("oneof_app_null_contains", with_set("views/0/metadata",
                                                   {"app": None, "contains": {}}), False))
    # error object
    out.append(("error_no_message", with_set("views/2/metadata/error", {"stackTrace": "t"}), False))
    out.append(("error_extra", with_set("views/2/metadata/error", {"message": "m", "x": 1}), True))
    out.append(("error_only_message", with_set("views/2/metadata/error", {"message": "m"}), True))
    # extra keys
    extras = [("root", "extra", False), ("metadata", "metadata/extra", True),
              ("document", "documents/0/extra", False), ("docprops", "documents/0/properties/x",
                                                         True),
              ("view", "views/0/extra", False), ("viewmeta", "views/0/metadata/appProfiling", True),
              ("annotation", "views/0/annotations/0/extra", False),
              ("annprops", "views/0/annotations/0/properties/extra", True),
              ("containsval", "views/0/metadata/contains/" + TF.replace("/", "~1") + "/x", True),
              ("appconfig", "views/0/metadata/appConfiguration/x", True)]
    for name, path, ok in extras:
        out.append((f"extra_{name}", with_set(path, {"nested": [1, {"a": None}]}), ok))
    # required keys
    for path in ["metadata", "documents", "views", "metadata/mmif", "documents/0/@type",
                 "documents/0/properties", "documents/0/properties/id", "views/0/id",
                 "views/0/metadata", "views/0/annotations", "views/0/annotations/0/@type",
                 "views/0/annotations/0/properties", "views/0/annotations/0/properties/id",
                 "views/2/metadata/error/message"]:
        out.append((f"missing_{path.replace('/', '_')}", with_del(path), False))
    for path, ok in [("views/0/metadata/timestamp", True), ("views/0/metadata/parameters", True),
                     ("views/0/metadata/appConfiguration", True),
                     ("views/2/metadata/error/stackTrace", True),
                     ("views/0/metadata/app", False), ("views/0/metadata/contains", False),
                     ("views/1/metadata/warnings", False), ("views/2/metadata/error", False)]:
        out.append((f"optional_{path.replace('/', '_')}", with_del(path), ok))
    # Shapes
    out.append(("empty_lists", dict(copy.deepcopy(BASE), documents=[], views=[]), True))
    out.append(("text_doc_value_int", with_set("documents/0/properties/text", {"@value": 1}), True))
    out.append(("deep_props", with_set("views/0/annotations/0/properties/deep",
                                       [[[[{"a": [1.25, -3, "x\u0001\"\\"]}]]]]), True))
    out.append(("unicode_everywhere", with_set("views/0/annotations/0/properties/label",
                                               "ÅßÇ 日本 😀 \u2028"), True))
    out.append(("many_views", dict(copy.deepcopy(BASE), views=BASE["views"] * 5), True))
    bad_second = copy.deepcopy(BASE)
    bad_second["views"].append({"id": "v_3", "metadata": {"app": "short"}, "annotations": []})
    out.append(("last_view_bad", bad_second, False))
    return out


def main():
    schema = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    validator = jsonschema.Draft4Validator(schema)
    for sub in ("valid", "invalid"):
        shutil.rmtree(os.path.join(outdir, sub), ignore_errors=True)
        os.makedirs(os.path.join(outdir, sub))
    seen = set()
    for i, (name, doc, ok) in enumerate(cases()):
        assert name not in seen, name
        seen.add(name)
        actual = validator.is_valid(doc)
        if ok is None:
            ok = actual
        if actual != ok:
            sys.exit(f"generator bug: {name} meant {'valid' if ok else 'invalid'}")
        folder = "valid" if ok else "invalid"
        # Alternate plain UTF-8 and \u escapes, compact and indented.
        text = json.dumps(doc, ensure_ascii=(i % 2 == 0), indent=(2 if i % 3 == 0 else None))
        with open(os.path.join(outdir, folder, f"{name}.json"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(f"{len(seen)} documents")


if __name__ == "__main__":
    main()
