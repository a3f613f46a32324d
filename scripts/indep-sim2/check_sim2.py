#!/usr/bin/env python3
"""Checks a clerk_sim2.py output folder: every file parses, traces have 17
keypoints per person inside the frame, window.toml is TOML with the fields
liyi needs, truth events fall inside the run and meta.json has what score.py
reads.  Prints a summary; exits 1 on any problem.

    check_sim2.py DIR
"""

import json
import sys
import tomllib
from datetime import datetime
from pathlib import Path


def main():
    root = Path(sys.argv[1])
    wins = sorted(p for p in root.iterdir() if p.is_dir() and (p / "trace.jsonl").exists())
    problems = []
    totals = {}
    for w in wins:
        meta = json.loads((w / "meta.json").read_text())
        for k in ("day", "start", "minutes", "camera", "segments"):
            if k not in meta:
                problems.append("%s: meta.json lacks %s" % (w.name, k))
        for k in ("height", "distance", "tilt_deg"):
            if k not in meta["camera"]:
                problems.append("%s: meta.camera lacks %s" % (w.name, k))
        day0 = datetime.fromisoformat("%sT%s" % (meta["day"], meta["start"]))
        run_s = meta["minutes"] * 60.0
        cfg = tomllib.loads((w / "window.toml").read_text())
        win = cfg["window"][0]
        for k in ("id", "staff_zone", "counter_zone", "desk_y", "camera_tilt_deg", "hours"):
            if k not in win:
                problems.append("%s: window.toml lacks %s" % (w.name, k))
        if win["id"] != w.name:
            problems.append("%s: window id %s" % (w.name, win["id"]))
        for z in ("staff_zone", "counter_zone"):
            pts = win[z]
            if len(pts) < 3 or any(not (0 <= a <= 1 and 0 <= b <= 1) for a, b in pts):
                problems.append("%s: bad %s" % (w.name, z))
        n = 0
        last = None
        people = 0
        with open(w / "trace.jsonl") as fh:
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                f = json.loads(line)
                n += 1
                ts = datetime.fromisoformat(f["ts"])
                s = (ts - day0).total_seconds()
                if not (0 <= s < run_s + 1e-6):
                    problems.append("%s:%d: ts outside the run" % (w.name, i + 1))
                if last is not None and s <= last:
                    problems.append("%s:%d: ts not increasing" % (w.name, i + 1))
                last = s
                if f["window"] != w.name or f["width"] <= 0 or f["height"] <= 0:
                    problems.append("%s:%d: bad header" % (w.name, i + 1))
                for p in f["people"]:
                    people += 1
                    if len(p["keypoints"]) != 17 or len(p["box"]) != 4:
                        problems.append("%s:%d: person without 17 keypoints / a box" % (w.name, i + 1))
                    for x, y, c in p["keypoints"]:
                        if not (0 <= x <= f["width"] and 0 <= y <= f["height"] and 0 <= c <= 1):
                            problems.append("%s:%d: keypoint outside the frame" % (w.name, i + 1))
                            break
                if len(problems) > 50:
                    break
        for line in (w / "truth.jsonl").read_text().splitlines():
            if not line.strip():
                continue
            e = json.loads(line)
            a = (datetime.fromisoformat(e["start"]) - day0).total_seconds()
            b = (datetime.fromisoformat(e["end"]) - day0).total_seconds()
            if not (0 <= a < b <= run_s + 1e-6):
                problems.append("%s: truth %s %s..%s outside the run" % (w.name, e["rule"], e["start"], e["end"]))
            k = e["rule"] + (" ignore" if e.get("ignore") else "")
            totals[k] = totals.get(k, 0) + 1
        print("%s: %d frames, %.2f people/frame, camera h %.2f d %.2f tilt %.1f fov %.0f %dx%d" % (
            w.name, n, people / max(1, n), meta["camera"]["height"], meta["camera"]["distance"], meta["camera"]["tilt_deg"],
            meta["camera"]["hfov_deg"], meta["camera"]["width"], meta["camera"]["height_px"]))
    print("truth events:", ", ".join("%s %d" % kv for kv in sorted(totals.items())))
    for p in problems[:50]:
        print("PROBLEM", p)
    print("%d windows, %d problems" % (len(wins), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
