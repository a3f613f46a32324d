#!/usr/bin/env python3
"""Per-frame head-on-desk cue features of an indep-sim directory, labelled
from the simulator's own segments, in the layout `posture_dump` writes
(`win, form, posture, f1…fN`, as many as `trace_measures --features` writes), for `scripts/fit-posture.py --also`.

It reads the timelines of the independent simulators that are tuning
sets: the first (`indep-sim`, seed 2, not the seed it is scored on), the
third (`indep-sim3`, seed 1) and the fifth (`indep-sim5`, seed 2; seed 1
is its report). The second (`indep-sim2`, a tuning set too) names its
segments otherwise (`work`, `serve`, `confuser`, ...) and is not read: a
kind this script does not know stops it. The fourth (`indep-sim4`) and
the fifth's seed 1 are report sets and are never dumped for fitting.

    python3 clerk_sim.py --windows 60 --minutes 60 --seed 2 --out /tmp/indepfit
    python3 dump_features.py --dir /tmp/indepfit --measures ../../target/release/examples/trace_measures > /tmp/indepfit.csv

A frame in a segment's transition is left out: neither resting nor
upright. The first simulator says how long each transition is (`tr`);
for the others the first `SETTLE_S` seconds of every segment are left out.
That is shorter than some of their blends (a head going down or a slouch
settling takes 2-6 s there, and the third's head rises again inside the
end of its segment), so a few frames at the edges are labelled by the
segment they blend into; the fits of docs/accuracy.md were made this way.
A head rest too short to be a violation (`head_desk_decoy`, the fifth's
`rest` in a head form) is still a head on the desk, frame by frame. The
third's `rest` segments are brief rests too, but its timeline names their
form only `brief_head_down`, not how the head lies, so they are left out.
"""
import argparse
import csv
import io
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HEAD_KINDS = {"head_desk", "head_desk_decoy"}

# The later simulators' segments carry only `kind` and `form`.
SEATED_KINDS = {"upright", "slouch", "head", "head_on_desk", "rest"}
NOT_SEATED_KINDS = {"greet", "away", "absent", "errand"}
LATER_HEAD_KINDS = {"head", "head_on_desk"}
HEAD_REST_FORMS = {"folded_arms", "one_arm", "hand_prop", "forehead"}
SETTLE_S = 2.0


def label(seg):
    """A seated segment's label and how long its transition is, or None
    for a segment not used: not seated, or neither resting nor upright."""
    if "posture" in seg:  # the first simulator
        if seg["posture"] != "seated":
            return None
        form = seg["form"] if seg["kind"] in HEAD_KINDS else f"other:{seg['kind']}:{seg['form']}"
        return form, seg.get("tr", 0.0)
    kind, form = seg["kind"], seg["form"]
    if kind in NOT_SEATED_KINDS:
        return None
    if kind not in SEATED_KINDS:
        sys.exit(f"segment kind {kind!r} ({form}) is not known here. Fix: dump only the simulators this script's "
                 "docstring names, or add the kind to SEATED_KINDS or NOT_SEATED_KINDS")
    if kind in LATER_HEAD_KINDS or (kind == "rest" and form in HEAD_REST_FORMS):
        return form, SETTLE_S
    if kind == "rest":
        return None
    return f"other:{kind}:{form}", SETTLE_S


def window_rows(win_dir: Path, measures: str, index: int):
    meta = json.loads((win_dir / "meta.json").read_text())
    out = subprocess.run([measures, str(win_dir / "window.toml"), str(win_dir / "trace.jsonl"), "--features"],
                         capture_output=True, text=True, check=True).stdout
    segs = [(s, lab) for s in meta["segments"] if (lab := label(s)) is not None]
    rows = []
    reader = csv.DictReader(io.StringIO(out))
    if not reader.fieldnames:
        sys.exit(f"{win_dir}: trace_measures wrote nothing. Fix: check {measures} runs on this window")
    n = sum(1 for c in reader.fieldnames if c[:1] == "f" and c[1:].isdigit())
    for r in reader:
        if not r["f1"]:
            continue
        t = float(r["t"])
        hit = next(((s, lab) for s, lab in segs if s["t0"] <= t < s["t1"]), None)
        if hit is None:
            continue
        seg, (form, settle) = hit
        if t < seg["t0"] + settle:
            continue
        rows.append([index, form, r["posture"]] + [r[f"f{i}"] for i in range(1, n + 1)])
    return n, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--measures", required=True, help="target/release/examples/trace_measures")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    wins = sorted(p for p in Path(a.dir).iterdir() if (p / "meta.json").is_file())
    if not wins:
        sys.exit(f"{a.dir}: no windows (directories with meta.json). Fix: run clerk_sim.py --out {a.dir} first")
    w = csv.writer(sys.stdout)
    with ThreadPoolExecutor(a.jobs) as ex:
        for i, (n, rows) in enumerate(ex.map(lambda iw: window_rows(iw[1], a.measures, iw[0]), enumerate(wins))):
            if i == 0:
                w.writerow(["win", "form", "posture"] + [f"f{k}" for k in range(1, n + 1)])
            w.writerows(rows)


if __name__ == "__main__":
    main()
