#!/usr/bin/env python3
"""The modules of src/ form floors; an #include may only point down.

    check_layers.py ROOT

Reads every #include "module/..." in src/<module>/*.[ch] and fails on an
include of a module the table below does not allow (an arrow pointing up,
or sideways between modules that must not know each other). Public headers
("clams/...") may be included from anywhere. docs/architecture.md draws the
same table; keep the two together.
"""
import glob
import os
import re
import sys

ALLOWED = {
    "common": set(),
    "mmif": {"common"},
    "gpu": {"common"},
    "app": {"common", "mmif", "gpu"},
    "http": {"common", "app"},
    "sup": {"common", "app", "gpu", "http"},
    "host": {"common", "app", "gpu"},
    "serve": {"common", "app", "http", "sup", "host"},
    "cli": set(),    # the clams tool: public API only
    "media": set(),  # libclams-media: public API only
}

root = sys.argv[1]
inc = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
bad = []
seen = set()
# A module may keep a part in a folder of its own (src/cli/run/): it is
# still that module.
paths = glob.glob(os.path.join(root, "src", "*", "*.[ch]")) + \
    glob.glob(os.path.join(root, "src", "*", "*", "*.[ch]"))
for path in sorted(paths):
    module = os.path.relpath(path, os.path.join(root, "src")).split(os.sep)[0]
    if module not in ALLOWED:
        bad.append(f"{path}: module {module} is not in the floor table")
        continue
    seen.add(module)
    for target in inc.findall(open(path, encoding="utf-8").read()):
        if target in ("clams", module):
            continue
        if target not in ALLOWED[module]:
            bad.append(f"{os.path.relpath(path, root)} includes {target}/: {module} may use "
                       f"{', '.join(sorted(ALLOWED[module])) or 'only the public API'}")
for line in bad:
    print("FAIL:", line)
if bad:
    sys.exit(1)
print(f"ok: {len(seen)} modules, every include points down")
