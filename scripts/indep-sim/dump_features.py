#!/usr/bin/env python3
"""Per-frame head-on-desk cue features of an indep-sim directory, labelled
from the simulator's own segments, in the layout `posture_dump` writes
(`win, form, posture, f1…fN`, as many as `trace_measures --features` writes), for `scripts/fit-posture.py --also`.

Only the first independent simulator (a second tuning set since
2026-12-05) may be dumped here, and with a seed other than the one it is
scored on: the second (`indep-sim2`) is the report and is never fitted on.

    python3 clerk_sim.py --windows 60 --minutes 60 --seed 2 --out /tmp/indepfit
    python3 dump_features.py --dir /tmp/indepfit --measures ../../target/release/examples/trace_measures > /tmp/indepfit.csv

A frame in a segment's transition (its first `tr` seconds) is left out:
neither resting nor upright. A head rest too short to be a violation
(`head_desk_decoy`) is still a head on the desk, frame by frame.
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


def window_rows(win_dir: Path, measures: str, index: int):
    meta = json.loads((win_dir / "meta.json").read_text())
    out = subprocess.run([measures, str(win_dir / "window.toml"), str(win_dir / "trace.jsonl"), "--features"],
                         capture_output=True, text=True, check=True).stdout
    segs = [s for s in meta["segments"] if s["posture"] == "seated"]
    rows = []
    reader = csv.DictReader(io.StringIO(out))
    if not reader.fieldnames:
        sys.exit(f"{win_dir}: trace_measures wrote nothing. Fix: check {measures} runs on this window")
    n = sum(1 for c in reader.fieldnames if c[:1] == "f" and c[1:].isdigit())
    for r in reader:
        if not r["f1"]:
            continue
        t = float(r["t"])
        seg = next((s for s in segs if s["t0"] <= t < s["t1"]), None)
        if seg is None or t < seg["t0"] + seg.get("tr", 0.0):
            continue
        form = seg["form"] if seg["kind"] in HEAD_KINDS else f"other:{seg['kind']}:{seg['form']}"
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
