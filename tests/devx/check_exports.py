#!/usr/bin/env python3
"""The ABI of an installed shared library is its public API, no more, no less.

    check_exports.py LIB HEADER...

Lists the functions LIB defines in its dynamic symbol table (`nm -D
--defined-only`, text symbols) and the functions the headers declare with
CLAMS_API, and fails on any difference: an internal clams__ symbol that
leaks out, or a declared function the library does not export.
"""
import re
import subprocess
import sys

lib, headers = sys.argv[1], sys.argv[2:]
nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True)
if nm.returncode != 0:
    sys.exit(f"FAIL: nm -D {lib}: {nm.stderr}")
exported = {f[2] for f in (l.split() for l in nm.stdout.splitlines()) if len(f) == 3 and f[1] == "T"}
# Toolchain symbols every shared object may carry.
exported -= {"_init", "_fini"}

decl = re.compile(r"^CLAMS_API\b[^;{]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)
declared = set()
for h in headers:
    text = open(h, encoding="utf-8").read()
    # Declarations may span lines; join them up to their ';'. Attribute
    # macros with arguments are not names, and a name may be parenthesised
    # (a function that a macro of the same name stands in front of).
    text = re.sub(r"\n(?=[ \t])", " ", text)
    text = re.sub(r"CLAMS_(?:DEPRECATED|PRINTF)\([^)]*\)", "", text)
    text = re.sub(r"\((\w+)\)\s*\(", r" \1(", text)
    declared |= set(decl.findall(text))

leaked = sorted(exported - declared)
missing = sorted(declared - exported)
for name in leaked:
    print(f"FAIL: {lib} exports {name}, which no header declares with CLAMS_API")
for name in missing:
    print(f"FAIL: a header declares {name} (CLAMS_API) but {lib} does not export it")
if leaked or missing:
    sys.exit(1)
print(f"ok: {lib} exports exactly the {len(declared)} public functions")
