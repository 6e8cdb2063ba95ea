"""cut_quality.py: cuts found against the true ones (every SHOT frames: the
benchmark videos are made of shots of equal length), for bench/50-pipeline.sh.
A true cut is found when a cut lies within 2 frames of it (exact when on it);
a cut near no true cut is false.
usage: cut_quality.py FRAMES SHOT (mmif FILE | psd LINE | same FILE FILE)
Prints: cuts N, true T, missed M, exact E, false F; with `same`, nothing:
the exit status says whether the two outputs have the same cuts."""
import json
import sys

frames, shot, kind, arg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]


def mmif_cuts(path):
    """The shot detector's output with timeUnit=frames: each shot's start."""
    doc = json.load(open(path))
    return sorted(a["properties"]["start"] for v in doc["views"] for a in v["annotations"]
                  if a["@type"].endswith("TimeFrame/v6"))[1:]


if kind == "same":
    sys.exit(0 if mmif_cuts(arg) == mmif_cuts(sys.argv[5]) else 1)
if kind == "mmif":
    cuts = mmif_cuts(arg)
else:
    cuts = [int(c) for c in arg.split(" cuts ", 1)[1].split()] if " cuts " in arg else []
true = list(range(shot, frames, shot))
near = lambda c, t: abs(c - t) <= 2
missed = sum(1 for t in true if not any(near(c, t) for c in cuts))
exact = sum(1 for t in true if t in cuts)
false = sum(1 for c in cuts if not any(near(c, t) for t in true))
print("cuts %d, true %d, missed %d, exact %d, false %d" % (len(cuts), len(true), missed, exact, false))
