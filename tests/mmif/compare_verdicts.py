#!/usr/bin/env python3
"""Compares clams-c's verdicts ("<file> valid|invalid" lines on stdin) with
python-jsonschema's Draft4Validator on the same schema, and with the corpus
folder (valid/ or invalid/) a file sits in. Fails on any disagreement, on a
missing jsonschema, or when fewer than MIN files were judged.

usage: compare_verdicts.py SCHEMA MIN < verdicts
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("FAIL: python jsonschema is not installed for " + sys.executable)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def python_verdict(validator, path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f, object_pairs_hook=no_duplicates)
    except ValueError:
        return "invalid"
    return "valid" if validator.is_valid(doc) else "invalid"


def main():
    schema = json.load(open(sys.argv[1]))
    minimum = int(sys.argv[2])
    validator = jsonschema.Draft4Validator(schema)
    n = bad = 0
    for line in sys.stdin:
        path, c_verdict = line.rstrip("\n").rsplit(" ", 1)
        n += 1
        py = python_verdict(validator, path)
        folder = "valid" if "/valid/" in path else "invalid" if "/invalid/" in path else py
        if not (c_verdict == py == folder):
            bad += 1
            print(f"DISAGREE {path}: clams-c {c_verdict}, jsonschema {py}, folder {folder}")
    print(f"{n} files compared, {bad} disagreements")
    if n < minimum:
        sys.exit(f"FAIL: only {n} files (want at least {minimum})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
