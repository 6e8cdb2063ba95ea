"""reference.py: a Python model of mmif-python's time and TimeFrame sampling
rules (timeunit_helper.convert; extract_frames_by_mode of the frame-number
generation, as the tfSamplingMode description states them), written from
the rules, not from mmif-python's code. It writes the tables test_read.c
checks libclams against:

  WORK/time_table.json      conversions: [t, in, out, fps, result or null]
  WORK/iso_table.json       [iso string, ms or null], [ms, iso string]
  WORK/sampling.json        a MMIF document, an fps, and for each mode the
                            frames (or "skip") of every TimeFrame

usage: reference.py WORK_DIR"""
import json
import os
import sys
from datetime import datetime

UNITS = {
    "millisecond": ["m", "ms", "msec", "millisecond", "milliseconds"],
    "second": ["s", "se", "sec", "second", "seconds"],
    "frame": ["f", "fr", "frame", "frames"],
    "iso": ["i", "iso", "isoformat"],
}


def canon(u):
    for k, names in UNITS.items():
        if u in names:
            return k
    raise ValueError(f"Not supported time unit: {u}")


def convert(t, in_unit, out_unit, fps):
    a, b = canon(in_unit), canon(out_unit)
    if "iso" in (a, b):
        raise ValueError("iso is handled apart")
    if a == b:
        return t
    if a == "frame":
        return t / fps if b == "second" else round(round(t / fps, 3) * 1000)
    if a == "second":
        return round(t * 1000) if b == "millisecond" else round(t * fps)
    return t / 1000 if b == "second" else round(t / 1000 * fps)


def iso_to_ms(s):
    dt = datetime.strptime(s, "%H:%M:%S.%f")
    secs = ((dt.hour * 3600 + dt.minute * 60 + dt.second) * 10 ** 6 + dt.microsecond) / 10 ** 6
    return int(1000 * secs)


def ms_to_iso(ms):
    ms = int(ms) % (24 * 3600 * 1000)
    return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


def time_tables(work):
    values = [0, 1, 2.5, 7.5, 20, 40, 60, 100, 500, 1001, 1234.5, 33.366, 0.02, 12345.678,
              3600000, 41.708333, 0.5, 1.5, 25, 2999, 1e-3]
    fpss = [25, 29.97, 30000 / 1001, 23.976, 24, 59.94, 1, 12.5]
    spellings = [n for k in ("millisecond", "second", "frame") for n in UNITS[k]]
    rows = []
    for t in values:
        for fps in fpss:
            for i in spellings:
                for o in spellings:
                    # every pair of canonical units, and a few spellings of each
                    if (i not in ("ms", "s", "f", "milliseconds", "sec", "frame") and
                            o not in ("m", "seconds", "fr")):
                        continue
                    rows.append([t, i, o, fps, convert(t, i, o, fps)])
    for bad in ("minutes", "", "M", "Frames", "hour", "iso"):
        rows.append([10, bad, "ms", 25, None])
        rows.append([10, "ms", bad, 25, None])
    rows.append([10, "frames", "ms", 0, None])  # frames need fps > 0
    json.dump(rows, open(os.path.join(work, "time_table.json"), "w"))
    isos = []
    for s in ("00:00:00.000", "00:00:01.5", "01:02:03.456", "23:59:59.999999", "00:10:00.0001",
              "12:00:00.123456", "00:00:00.001"):
        isos.append([s, iso_to_ms(s)])
    for s in ("1:2:3", "00:00:01", "24:00:00.000", "00:60:00.000", "aa:bb:cc.ddd", "",
              "00:00:00.1234567"):
        try:
            v = iso_to_ms(s)
        except ValueError:
            v = None
        isos.append([s, v])
    back = [[ms, ms_to_iso(ms)] for ms in (0, 1, 999, 1000, 61001, 3723456, 86399999, 86400000,
                                           90061001)]
    json.dump({"parse": isos, "format": back}, open(os.path.join(work, "iso_table.json"), "w"))
    return len(rows)


# ---- Sampling --------------------------------------------------------------------------------

V = "http://mmif.clams.ai/vocabulary/"
TP, TF = V + "TimePoint/v4", V + "TimeFrame/v5"


def ann(t, i, **props):
    props["id"] = i
    return {"@type": t, "properties": props}


def sampling(work):
    fps = 29.97
    v1_tps = [ann(TP, f"tp_{k}", timePoint=ms) for k, ms in
              enumerate([0, 33, 1000, 1017, 1500, 2002, 2500, 3003, 4000, 4004, 5005, 6006,
                         7007, 8008, 9009], start=1)]
    v1_tfs = [
        ann(TF, "tf_1", targets=["tp_1", "tp_2", "tp_3", "tp_4", "tp_5"],
            representatives=["tp_2", "tp_4"], label="slate"),
        ann(TF, "tf_2", targets=["tp_6", "tp_7", "tp_8", "tp_9"], representatives=[],
            label="chyron"),
        ann(TF, "tf_3", start=1000, end=2000, label="bars"),
        ann(TF, "tf_4", targets=["tp_10", "tp_11", "tp_12"],
            representatives=["tp_10", "tp_11", "tp_12", "v_1:tp_13"], label="slate"),
        ann(TF, "tf_5", start=10, end=33, timeUnit="frames", label="bars"),
        ann(TF, "tf_6", targets=[], label="other"),
        ann(TF, "tf_7", start=500, end=500, label="other"),
        ann(TF, "tf_8", start=1.5, end=2.25, timeUnit="seconds", frameType="credits"),
        ann(TF, "tf_9", targets=["tp_14", "tp_15"], label="slate"),
        ann(TF, "tf_10", start=3003, end=3010, label="other"),
    ]
    v2 = [
        ann(TP, "tp_1", timePoint=45, timeUnit="frames"),
        ann(TP, "tp_2", timePoint=2.5),
        ann(TF, "tf_1", start=0.5, end=1.1, label="slate"),
        ann(TF, "tf_2", targets=["v_1:tp_14", "tp_1", "tp_2"], representatives=["v_1:tp_14"],
            label="chyron"),
        ann(TF, "tf_3", targets=["tp_2"], representatives=["tp_1", "tp_2"], label="slate"),
    ]
    mmif = {
        "metadata": {"mmif": "http://mmif.clams.ai/1.1.0"},
        "documents": [{"@type": V + "VideoDocument/v1",
                       "properties": {"id": "d1", "mime": "video/mp4",
                                      "location": "file:///data/v.mp4"}}],
        "views": [
            {"id": "v_1", "metadata": {"app": "http://apps.clams.ai/swt/v1", "contains": {
                TP: {"timeUnit": "milliseconds", "document": "d1"},
                TF: {"timeUnit": "milliseconds", "document": "d1"}}},
             "annotations": v1_tps + v1_tfs},
            {"id": "v_2", "metadata": {"app": "http://apps.clams.ai/other/v1", "contains": {
                TP: {"timeUnit": "seconds", "document": "d1"},
                TF: {"timeUnit": "seconds", "document": "d1"}}},
             "annotations": v2},
        ],
    }
    views = {v["id"]: v for v in mmif["views"]}

    def unit_of(view, a):
        p = a["properties"]
        if "timeUnit" in p:
            return p["timeUnit"]
        c = view["metadata"]["contains"].get(a["@type"], {})
        return c.get("timeUnit", "milliseconds")

    def resolve(view, i):
        vid, short = i.split(":") if ":" in i else (view["id"], i)
        for a in views[vid]["annotations"]:
            if a["properties"]["id"] == short:
                return views[vid], a
        raise KeyError(i)

    def tp_frame(view, i):
        tv, tp = resolve(view, i)
        return int(convert(tp["properties"]["timePoint"], unit_of(tv, tp), "frame", fps))

    def bounds(view, tf):
        p = tf["properties"]
        if "start" in p:
            u = unit_of(view, tf)
            return int(convert(p["start"], u, "frame", fps)), int(convert(p["end"], u, "frame",
                                                                         fps))
        fr = [tp_frame(view, t) for t in p.get("targets", [])]
        return (min(fr), max(fr)) if fr else None

    expect = {}
    for mode in ("representatives", "single", "all"):
        out = {}
        for view in mmif["views"]:
            for a in view["annotations"]:
                if a["@type"] != TF:
                    continue
                p = a["properties"]
                reps = p.get("representatives") or []
                if mode == "representatives":
                    frames = [tp_frame(view, r) for r in reps]
                elif mode == "single":
                    if reps:
                        frames = [tp_frame(view, reps[len(reps) // 2])]
                    else:
                        b = bounds(view, a)
                        frames = [(b[0] + b[1]) // 2] if b else []
                else:
                    if "targets" in p:
                        frames = [tp_frame(view, t) for t in p["targets"]]
                    else:
                        s, e = bounds(view, a)
                        frames = list(range(s, e))
                frames = sorted(set(frames))
                out[view["id"] + ":" + p["id"]] = frames if frames else "skip"
        expect[mode] = out
    labels = sorted(view["id"] + ":" + a["properties"]["id"] for view in mmif["views"]
                    for a in view["annotations"]
                    if a["@type"] == TF and a["properties"].get("label") in ("slate", "credits")
                    or a["properties"].get("frameType") in ("slate", "credits"))
    json.dump({"fps": fps, "mmif": mmif, "expect": expect,
               "labels": {"filter": ["slate", "credits"], "ids": labels}},
              open(os.path.join(work, "sampling.json"), "w"), indent=1)


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    n = time_tables(work)
    sampling(work)
    print(f"reference tables in {work}: {n} conversions")


if __name__ == "__main__":
    main()
