#!/usr/bin/python3
"""An independent Python model of mmif-python's describe_single_mmif and
describe_mmif_collection (from their documented behaviour:
mmif/utils/workflow_helper.py), used to cross-check `clams describe`.
usage: describe_ref.py MMIF_OR_DIR [SCHEMA]; prints the summary as JSON."""
import hashlib
import itertools
import json
import statistics
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


def load(path, schema):
    """Parses and schema-checks a MMIF as mmif.Mmif() does; raises if either fails."""
    with open(path) as f:
        mmif = json.load(f)
    if schema is not None:
        import jsonschema
        jsonschema.validate(mmif, schema)
    return mmif


def describe_collection(directory, schema):
    """Files are taken in name order (Python's glob order is the file system's)."""
    names = sorted(p.name for p in Path(directory).glob("*.mmif"))
    status = {"total": len(names), "successful": 0, "withErrors": 0, "withWarnings": 0,
              "invalid": 0}
    counts, flows = Counter(), {}
    for name in names:
        try:
            rep = describe(load(Path(directory) / name, schema))
        except Exception:
            status["invalid"] += 1
            continue
        if rep["stats"]["errorViews"]:
            status["withErrors"] += 1
            continue
        status["successful"] += 1
        if rep["stats"]["warningViews"]:
            status["withWarnings"] += 1
        wf = flows.setdefault(rep["workflowId"], {"mmifs": [], "apps": {}})
        wf["mmifs"].append(name)
        counts.update({k: v for k, v in rep["stats"]["annotationCountByType"].items()
                       if k != "total"})
        for run in rep["apps"]:
            if not run.get("app") or run["app"] == NO_APP:
                continue
            app = wf["apps"].setdefault(run["app"], {"conf": None, "times": []})
            ms = run.get("appProfiling", {}).get("runningTimeMS")
            if ms is not None:
                app["times"].append(ms)
            if app["conf"] is None and run.get("appConfiguration", {}):
                app["conf"] = run["appConfiguration"]
    workflows = []
    for wf_id, wf in sorted(flows.items()):
        apps = []
        for uri, a in sorted(wf["apps"].items()):
            t = a["times"]
            prof = {"avgRunningTimeMS": statistics.mean(t), "minRunningTimeMS": min(t),
                    "maxRunningTimeMS": max(t),
                    "stdevRunningTimeMS": statistics.stdev(t) if len(t) > 1 else 0} if t else {}
            apps.append({"app": uri, "appConfiguration": a["conf"] or {}, "appProfiling": prof})
        workflows.append({"workflowId": wf_id, "mmifs": sorted(wf["mmifs"]),
                          "mmifCount": len(wf["mmifs"]), "apps": apps})
    total = dict(counts)
    if sum(counts.values()):
        total["total"] = sum(counts.values())
    return {"mmifCountByStatus": status, "workflows": workflows, "annotationCountByType": total}


if __name__ == "__main__":
    schema = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
    if Path(sys.argv[1]).is_dir():
        print(json.dumps(describe_collection(sys.argv[1], schema)))
    else:
        print(json.dumps(describe(json.load(open(sys.argv[1])))))
