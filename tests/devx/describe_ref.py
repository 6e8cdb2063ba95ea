#!/usr/bin/python3
"""An independent Python model of mmif-python's describe_single_mmif (from its
documented behaviour: mmif/utils/workflow_helper.py), used to cross-check
`clams describe`. Reads a MMIF JSON path, prints the summary as JSON."""
import hashlib
import itertools
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

NO_APP = "http://apps.clams.ai/non-existing-app/v1"


def has_error(v):
    return bool(v["metadata"].get("error"))


def has_warnings(v):
    return bool(v["metadata"].get("warnings"))


def groups(views):
    g = [v for v in views if v["metadata"].get("app") and v["metadata"].get("timestamp") is not None]
    g.sort(key=lambda v: (v["metadata"]["timestamp"], v["metadata"]["app"]))
    return [list(x) for _, x in itertools.groupby(
        g, key=lambda v: (v["metadata"]["app"], v["metadata"]["timestamp"]))]


def split(app):
    parts = Path(app).parts
    name = parts[2] if len(parts) > 2 else None
    ver = parts[3] if len(parts) > 3 else None
    if ver is not None and name is not None and name.endswith(ver):
        name = name[:-len(ver) - 1]
    if ver == "unresolvable":
        ver = None
    return name, ver


def phash(params):
    s = ",".join(sorted("=".join([k, str(v)]) for k, v in params.items())) if params else ""
    return hashlib.md5(s.encode()).hexdigest()


def workflow_id(views):
    segs = []
    for run in groups(views):
        f = run[0]
        if has_error(f) or has_warnings(f):
            continue
        name, ver = split(f["metadata"]["app"])
        segs.append(f"{name or 'unknown'}/{ver or 'unversioned'}/"
                    f"{phash(f['metadata'].get('parameters', {}))}")
    return "/".join(segs)


def profile(v):
    p = v["metadata"].get("appProfiling", {})
    rt = p.get("runningTime") if "runningTime" in p else v["metadata"].get("appRunningTime")
    if rt is None:
        return {}
    t = datetime.strptime(rt, "%H:%M:%S.%f").time()
    return {"runningTimeMS": (t.hour * 3600 + t.minute * 60 + t.second) * 1000 + t.microsecond // 1000}


def describe(mmif):
    views = mmif["views"]
    errs, warns, empty, apps, done = [], [], [], [], set()
    for run in groups(views):
        f = run[0]
        if has_error(f) or has_warnings(f):
            continue
        c = Counter()
        for v in run:
            if not v["annotations"]:
                empty.append(v["id"])
            c.update(Counter(a["@type"] for a in v["annotations"]))
        done.update(v["id"] for v in run)
        a = {"app": f["metadata"]["app"], "viewIds": [v["id"] for v in run],
             "appConfiguration": f["metadata"].get("appConfiguration", {}),
             "appProfiling": profile(f)}
        if sum(c.values()):
            a["annotationCountByType"] = dict(c)
            a["annotationCountByType"]["total"] = sum(c.values())
        apps.append(a)
    for v in views:
        if v["id"] not in done:
            if has_error(v):
                errs.append(v["id"])
            elif has_warnings(v):
                warns.append(v["id"])
            elif not v["annotations"]:
                empty.append(v["id"])
    un = set(v["id"] for v in views) - done - set(errs) - set(warns)
    n = len(apps)
    if un:
        apps.append({"app": NO_APP, "viewIds": sorted(un)})
    tot = Counter()
    for a in apps:
        if a["app"] != NO_APP and "annotationCountByType" in a:
            c = dict(a["annotationCountByType"])
            del c["total"]
            tot.update(Counter(c))
    t = dict(tot)
    if sum(tot.values()):
        t["total"] = sum(tot.values())
    return {"workflowId": workflow_id(views),
            "stats": {"appCount": n, "errorViews": errs, "warningViews": warns,
                      "emptyViews": empty, "annotationCountByType": t},
            "apps": apps}


if __name__ == "__main__":
    print(json.dumps(describe(json.load(open(sys.argv[1])))))
