#!/usr/bin/env python3
"""Score `liyi replay` on windows made by clerk_sim.py (the independent simulator).

    score.py --liyi target/release/liyi --dir OUT [--json RESULT.json] [--jobs 2]

For every OUT/wNNN/ it runs
    LIYI replay --json --config OUT/wNNN/window.toml OUT/wNNN/trace.jsonl
(at most two at a time), matches the events to OUT/wNNN/truth.jsonl per rule and
prints markdown tables: per rule, per camera placement bucket (slouching and
head_on_desk) and per behaviour form.

Matching: a detected event matches an unused truth event of the same rule when
their intervals overlap, with 5 s of slack on each side (the one with the largest
overlap wins).  Further detections of an already matched truth event are false
positives.  A detection that only meets a truth event marked "ignore" (crossed
legs only partly visible; slouching or head on desk with the clerk's shoulders
hidden or the clerk undetected most of the time) counts neither way.  Unmatched truth events are false
negatives.  A false positive is attributed to the behaviour form the clerk was in
when it started (from meta.json).
"""

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

RULES = ["absent", "slouching", "head_on_desk", "crossed_legs", "not_standing_to_greet"]
SLACK = 5.0


def secs(ts, day0):
    return (datetime.fromisoformat(ts) - day0).total_seconds()


def run_all(liyi, wins, jobs):
    """Runs replay for every window, at most `jobs` at once. Returns {window_dir: (rc, stdout, stderr)}."""
    out = {}
    pending = list(wins)
    running = []
    while pending or running:
        while pending and len(running) < jobs:
            w = pending.pop(0)
            cmd = [liyi, "replay", "--json", "--config", str(w / "window.toml"), str(w / "trace.jsonl")]
            so = open(w / "replay.jsonl", "w")
            se = open(w / "replay.stderr", "w")
            running.append((w, subprocess.Popen(cmd, stdout=so, stderr=se), so, se))
        still = []
        for w, p, so, se in running:
            if p.poll() is None:
                still.append((w, p, so, se))
            else:
                so.close()
                se.close()
                out[w] = (p.returncode, (w / "replay.jsonl").read_text(), (w / "replay.stderr").read_text())
        running = still
        if running:
            time.sleep(0.05)
    return out


def bucket(meta):
    c = meta["camera"]
    h, d, t = c["height"], c["distance"], c["tilt_deg"]
    hb = "h<2.1" if h < 2.1 else "h2.1-2.4" if h <= 2.4 else "h>2.4"
    db = "d<2.6" if d < 2.6 else "d2.6-3.0" if d <= 3.0 else "d>3.0"
    tb = "t<10" if t < 10 else "t10-35" if t <= 35 else "t>35"
    return (hb, db, tb)


def form_at(meta, t):
    for s in meta["segments"]:
        if s["t0"] <= t < s["t1"]:
            return "%s:%s" % (s["kind"], s["form"])
    return "(end)"


def match_window(truth, dets):
    """Returns per-rule counts and lists: tp pairs, fp detections, fn truths, ignored detections."""
    res = {}
    for rule in set(RULES) | {d["rule"] for d in dets}:
        tr = [t for t in truth if t["rule"] == rule]
        ds = sorted([d for d in dets if d["rule"] == rule], key=lambda d: d["t0"])
        used = [False] * len(tr)
        tp, fp, ign = [], [], []
        for d in ds:
            best, best_ov = None, None
            touched_used = touched_ignore = False
            for i, t in enumerate(tr):
                if d["t0"] - SLACK <= t["t1"] and d["t1"] + SLACK >= t["t0"]:
                    if t.get("ignore"):
                        touched_ignore = True
                        continue
                    if used[i]:
                        touched_used = True
                        continue
                    ov = min(d["t1"], t["t1"]) - max(d["t0"], t["t0"])
                    if best is None or ov > best_ov:
                        best, best_ov = i, ov
            if best is not None:
                used[best] = True
                tp.append((d, tr[best]))
            elif touched_ignore and not touched_used:
                ign.append(d)
            else:
                fp.append(dict(d, duplicate=touched_used))
        fn = [t for i, t in enumerate(tr) if not used[i] and not t.get("ignore")]
        res[rule] = {"tp": tp, "fp": fp, "fn": fn, "ignored": ign}
    return res


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return p, r


def fmt(x):
    return "–" if x != x else "%.2f" % x


def nan_to_none(x):
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [nan_to_none(v) for v in x]
    return x


def main():
    ap = argparse.ArgumentParser(description="Score liyi replay against the independent simulator's truth")
    ap.add_argument("--liyi", required=True, help="path to the liyi binary")
    ap.add_argument("--dir", required=True, help="output folder of clerk_sim.py")
    ap.add_argument("--json", help="also write all numbers here")
    ap.add_argument("--jobs", type=int, default=2, help="replays at once (at most 2)")
    ap.add_argument("--no-run", action="store_true", help="reuse wNNN/replay.jsonl from an earlier run")
    a = ap.parse_args()
    jobs = max(1, min(a.jobs, 2))
    root = Path(a.dir)
    wins = sorted(p for p in root.iterdir() if p.is_dir() and (p / "trace.jsonl").exists())
    if not wins:
        sys.exit("no windows under %s" % root)
    t0 = time.time()
    if a.no_run:
        outs = {w: (0, (w / "replay.jsonl").read_text(), "") for w in wins}
    else:
        outs = run_all(a.liyi, wins, jobs)
    failures = []
    total = {r: [0, 0, 0] for r in RULES}
    ignored_truth = {r: 0 for r in RULES}
    ignored_dets = {r: 0 for r in RULES}
    other_rules = {}
    buckets = {}
    forms_truth = {}          # (rule, form) -> [n, tp]
    forms_fp = {}             # clerk form -> {rule: n}
    per_window = []
    hours = 0.0
    for w in wins:
        meta = json.loads((w / "meta.json").read_text())
        day0 = datetime.fromisoformat("%sT%s" % (meta["day"], meta["start"]))
        hours += meta["minutes"] / 60.0
        rc, so, se = outs[w]
        if rc != 0:
            failures.append((w.name, rc, se.strip()[-400:]))
            continue
        dets = []
        for line in so.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            e = json.loads(line)
            end = e.get("end") or e.get("start")
            dets.append({"rule": e["rule"], "t0": secs(e["start"], day0), "t1": secs(end, day0), "closed_by": e.get("closed_by")})
        truth = []
        for line in (w / "truth.jsonl").read_text().splitlines():
            if line.strip():
                t = json.loads(line)
                t["t0"], t["t1"] = secs(t["start"], day0), secs(t["end"], day0)
                truth.append(t)
        res = match_window(truth, dets)
        for t in truth:
            if t.get("ignore") and t["rule"] in ignored_truth:
                ignored_truth[t["rule"]] += 1
        b = bucket(meta)
        bk = buckets.setdefault(b, {"windows": 0, "slouching": [0, 0, 0], "head_on_desk": [0, 0, 0]})
        bk["windows"] += 1
        pw = {"window": w.name, "bucket": list(b), "rules": {}}
        for rule, r in res.items():
            n = (len(r["tp"]), len(r["fp"]), len(r["fn"]))
            pw["rules"][rule] = {"tp": n[0], "fp": n[1], "fn": n[2], "ignored": len(r["ignored"])}
            if rule in total:
                for i in range(3):
                    total[rule][i] += n[i]
                ignored_dets[rule] += len(r["ignored"])
            else:
                other_rules[rule] = other_rules.get(rule, 0) + len(r["fp"])
            if rule in ("slouching", "head_on_desk"):
                for i in range(3):
                    bk[rule][i] += n[i]
            for d, t in r["tp"]:
                c = forms_truth.setdefault((rule, t["form"]), [0, 0])
                c[0] += 1
                c[1] += 1
            for t in r["fn"]:
                c = forms_truth.setdefault((rule, t["form"]), [0, 0])
                c[0] += 1
            for d in r["fp"]:
                f = form_at(meta, d["t0"])
                forms_fp.setdefault(f, {}).setdefault(rule, 0)
                forms_fp[f][rule] += 1
        per_window.append(pw)
    # ---------------- report
    print("# liyi replay on the independent simulator\n")
    print("%d windows, %.1f simulated hours, replay %.0f s%s\n" % (len(wins), hours, time.time() - t0,
                                                                  ", %d replay failure(s)" % len(failures) if failures else ""))
    for name, rc, err in failures:
        print("- replay failed on %s (exit %d): %s" % (name, rc, err.replace("\n", " ")))
    if failures:
        print()
    print("## Per rule\n")
    print("| rule | precision | recall | TP | FP | FN | unobservable truth (ignored) | detections on them |")
    print("|---|---|---|---|---|---|---|---|")
    for rule in RULES:
        tp, fp, fn = total[rule]
        p, r = prf(tp, fp, fn)
        print("| %s | %s | %s | %d | %d | %d | %d | %d |" % (rule, fmt(p), fmt(r), tp, fp, fn, ignored_truth[rule], ignored_dets[rule]))
    for rule, n in sorted(other_rules.items()):
        print("| %s (no truth) | – | – | 0 | %d | 0 | – | – |" % (rule, n))
    print("\n## Per camera placement (slouching, head_on_desk)\n")
    print("| height | distance | tilt | windows | slouch P | slouch R | slouch TP/FP/FN | head P | head R | head TP/FP/FN |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    order = {"h<2.1": 0, "h2.1-2.4": 1, "h>2.4": 2, "d<2.6": 0, "d2.6-3.0": 1, "d>3.0": 2, "t<10": 0, "t10-35": 1, "t>35": 2}
    for b in sorted(buckets, key=lambda b: tuple(order[x] for x in b)):
        bk = buckets[b]
        s, h = bk["slouching"], bk["head_on_desk"]
        sp, sr = prf(*s)
        hp, hr = prf(*h)
        print("| %s | %s | %s | %d | %s | %s | %d/%d/%d | %s | %s | %d/%d/%d |" % (b[0][1:], b[1][1:], b[2][1:], bk["windows"],
              fmt(sp), fmt(sr), s[0], s[1], s[2], fmt(hp), fmt(hr), h[0], h[1], h[2]))
    print("\n## Recall per violation form\n")
    print("| rule | form | truth events | detected | recall |")
    print("|---|---|---|---|---|")
    for (rule, form) in sorted(forms_truth, key=lambda k: (RULES.index(k[0]) if k[0] in RULES else 99, k[1])):
        n, tp = forms_truth[(rule, form)]
        print("| %s | %s | %d | %d | %s |" % (rule, form, n, tp, fmt(tp / n if n else float("nan"))))
    print("\n## False positives by what the clerk was doing when they started\n")
    rules_fp = RULES + sorted(other_rules)
    print("| clerk behaviour (kind:form) | " + " | ".join(rules_fp) + " | total |")
    print("|---|" + "---|" * (len(rules_fp) + 1))
    for f in sorted(forms_fp, key=lambda f: -sum(forms_fp[f].values())):
        row = forms_fp[f]
        print("| %s | %s | %d |" % (f, " | ".join(str(row.get(r, 0)) for r in rules_fp), sum(row.values())))
    if a.json:
        out = {
            "windows": len(wins), "hours": hours, "failures": failures,
            "rules": {r: dict(zip(("tp", "fp", "fn"), total[r]), precision=prf(*total[r])[0], recall=prf(*total[r])[1]) for r in RULES},
            "other_rules_fp": other_rules,
            "ignored_truth": ignored_truth, "ignored_detections": ignored_dets,
            "buckets": [{"height": b[0], "distance": b[1], "tilt": b[2], **buckets[b]} for b in buckets],
            "forms_recall": [{"rule": k[0], "form": k[1], "n": v[0], "tp": v[1]} for k, v in forms_truth.items()],
            "forms_fp": forms_fp,
            "per_window": per_window,
        }
        Path(a.json).write_text(json.dumps(nan_to_none(out), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
