#!/usr/bin/env python3
"""Checks a clerk_sim5.py output folder: the file formats, and that the truth agrees with the configuration
(no rules are run, no accuracy is computed). Format checks adapted from scripts/indep-sim4/check_sim4.py.

    python3 scripts/indep-sim5/check_sim5.py DIR

Format, for every DIR/wNNN/:
  - trace.jsonl lines as `liyi replay` parses them (src/trace.rs): ts RFC 3339 with an offset and a year
    1970..9999, window (the config's id), source, frame (growing), width, height > 0, model, people with
    box [x1,y1,x2,y2], score and exactly 17 [x, y, conf] inside the frame, sorted by score;
  - window.toml: hall, one [[window]] with id, staff_zone and counter_zone (3..64 points in 0..1, not
    crossing, with area), desk_y in 0..1, camera_tilt_deg in 0..60, hours "HH:MM-HH:MM" starting at the
    run's start, no unknown keys;
  - truth.jsonl events (rule, start, end, t0, t1, form, ignore) consistent with meta.json's day and start;
  - meta.json fields that score.py reads (day, start, minutes, camera height / distance / tilt_deg,
    segments covering the run without gaps).
Consistency:
  - the zones in window.toml are the image of the 3-D staff and counter areas the truth uses (re-projected
    here from meta.json's camera and boxes);
  - the counter zone is not a sliver (at least 2 % of the frame, 6 % high, 15 % wide);
  - every slouching / head_on_desk / absent / crossed_legs truth event carries a form of its own kind.
It also runs scripts/indep-sim/score.py's own readers on each window (no liyi, no detections), and ends
with the number of truth events per rule and form, judged and ignored (counts only).
Exit status 1 on any problem.
"""

import json
import math
import re
import sys
import tomllib
from datetime import datetime
from pathlib import Path

sys.dont_write_bytecode = True          # no __pycache__ beside the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
import clerk_sim5 as sim  # noqa: E402

RULES = {"absent", "slouching", "head_on_desk", "crossed_legs", "not_standing_to_greet"}
WINDOW_KEYS = {"id", "name", "source", "staff_zone", "counter_zone", "masks", "desk_y", "camera_tilt_deg", "hours",
               "breaks", "leave", "rules"}
TOP_KEYS = {"timezone", "hall", "calendar", "rules", "clips", "hub", "attire", "pages", "mqtt", "window"}
AWAY_FORMS = set(sim.AWAY_FORMS)
CROSS_FORMS = set(sim.CROSS_FORMS)
GREET_FORMS = {"none", "late", "half_rise", "prompt", "stays_up", "passer_by", "during_greet",
               "interrupted_slouch", "interrupted_head", "interrupted_rest", "while_slouch", "while_head",
               "while_rest", "while_away", "while_errand"}


def crosses(a, b, c, d):
    o = lambda p, q, r: (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    d1, d2, d3, d4 = o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d)
    return (d1 > 0) != (d2 > 0) and (d3 > 0) != (d4 > 0) and 0 not in (d1, d2, d3, d4)


def check_zone(pts, name, errs):
    if not isinstance(pts, list) or not 3 <= len(pts) <= 64:
        errs.append("%s: needs 3..64 points" % name)
        return
    for p in pts:
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in p)):
            errs.append("%s: bad point %r" % (name, p))
            return
    n = len(pts)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue
            if crosses(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                errs.append("%s: edges %d and %d cross" % (name, i + 1, j + 1))
    a = abs(sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))) / 2
    if a < 0.001:
        errs.append("%s: no area (%.4f)" % (name, a))


def reprojected_zones(meta):
    """The image polygons of the truth's 3-D areas, from meta.json alone."""
    c = meta["camera"]
    m = c["model"]
    pos = tuple(m["pos"])
    pan = math.radians(m["pan_deg"])
    aim = (pos[0] + math.sin(pan), 0.0, pos[2] - math.cos(pan))
    cam = sim.Camera(pos, aim, m["tilt_deg"], m["roll_deg"], m["hfov_deg"], c["width"], c["height_px"], m["k1"])
    out = []
    for key in ("staff_box", "counter_box"):
        x0, x1, y0, y1, z0, z1 = meta["layout"][key]
        poly = sim.image_zone(cam, sim.Box3(x0, x1, y0, y1, z0, z1))
        out.append(sim.norm_poly(poly, c["width"], c["height_px"]) if poly else None)
    return out


def zone_distance(a, b):
    """The largest distance from a vertex of either polygon to the nearest vertex or edge of the other."""
    def seg_d(p, q, r):
        dx, dy = r[0] - q[0], r[1] - q[1]
        L = dx * dx + dy * dy
        t = 0.0 if L == 0 else max(0.0, min(1.0, ((p[0] - q[0]) * dx + (p[1] - q[1]) * dy) / L))
        return math.hypot(p[0] - q[0] - t * dx, p[1] - q[1] - t * dy)

    def one(P, Q):
        return max(min(seg_d(p, Q[i - 1], Q[i]) for i in range(len(Q))) for p in P)

    return max(one(a, b), one(b, a))


def check_window(w, tally):
    errs = []
    for f in ("trace.jsonl", "window.toml", "truth.jsonl", "meta.json"):
        if not (w / f).exists():
            errs.append("missing " + f)
    if errs:
        return errs
    meta = json.loads((w / "meta.json").read_text())
    for k in ("day", "start", "minutes", "camera", "segments"):
        if k not in meta:
            errs.append("meta.json: no %s" % k)
    for k in ("height", "distance", "tilt_deg"):
        if not isinstance(meta.get("camera", {}).get(k), (int, float)):
            errs.append("meta.json: camera.%s missing" % k)
    if errs:
        return errs
    day0 = datetime.fromisoformat("%sT%s" % (meta["day"], meta["start"]))
    if day0.utcoffset() is None:
        errs.append("meta.json: start has no offset")
    T = meta["minutes"] * 60.0
    segs = meta["segments"]
    if not segs or segs[0]["t0"] > 0.01:
        errs.append("meta.json: segments do not start at 0")
    for a, b in zip(segs, segs[1:]):
        if abs(a["t1"] - b["t0"]) > 0.02:
            errs.append("meta.json: segments gap/overlap at %.2f..%.2f" % (a["t1"], b["t0"]))
            break
    if segs and segs[-1]["t1"] < T - 0.01:
        errs.append("meta.json: segments end at %.1f before the run's end %.1f" % (segs[-1]["t1"], T))
    for s in segs:
        if not all(k in s for k in ("kind", "form", "t0", "t1")) or s["t1"] < s["t0"]:
            errs.append("meta.json: bad segment %r" % s)
            break
    # ---- config
    try:
        cfg = tomllib.loads((w / "window.toml").read_text())
    except Exception as e:  # noqa: BLE001
        return errs + ["window.toml does not parse: %s" % e]
    unknown = set(cfg) - TOP_KEYS
    if unknown:
        errs.append("window.toml: unknown top-level keys %s" % sorted(unknown))
    if not str(cfg.get("hall", "")).strip():
        errs.append("window.toml: hall missing")
    wins = cfg.get("window", [])
    if len(wins) != 1:
        errs.append("window.toml: expected one [[window]]")
        return errs
    cw = wins[0]
    if set(cw) - WINDOW_KEYS:
        errs.append("window.toml: unknown window keys %s" % sorted(set(cw) - WINDOW_KEYS))
    wid = cw.get("id", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", wid):
        errs.append("window.toml: bad id %r" % wid)
    check_zone(cw.get("staff_zone"), "staff_zone", errs)
    check_zone(cw.get("counter_zone"), "counter_zone", errs)
    if "desk_y" in cw and not 0 <= cw["desk_y"] <= 1:
        errs.append("window.toml: desk_y out of 0..1")
    if "camera_tilt_deg" in cw and not 0 <= cw["camera_tilt_deg"] <= 60:
        errs.append("window.toml: camera_tilt_deg out of 0..60")
    hours = cw.get("hours", [])
    if not hours:
        errs.append("window.toml: no hours")
    for h in hours:
        m = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", h)
        if not m or not (int(m[1]) < 24 and int(m[3]) < 24 and int(m[2]) < 60 and int(m[4]) < 60) or h[:5] >= h[6:]:
            errs.append("window.toml: bad hours %r" % h)
        elif h[:5] != day0.strftime("%H:%M"):
            errs.append("window.toml: hours %s do not start at the run's start %s" % (h, day0.strftime("%H:%M")))
    if day0.weekday() >= 5:
        errs.append("meta.json: %s is not a working day of the default calendar" % meta["day"])
    # ---- the zones are the image of the truth's 3-D areas
    try:
        sz, cz = reprojected_zones(meta)
        for name, mine, got in (("staff_zone", sz, cw.get("staff_zone")), ("counter_zone", cz, cw.get("counter_zone"))):
            if not mine:
                errs.append("%s: the 3-D area does not project" % name)
            elif zone_distance([tuple(p) for p in got], mine) > 0.002:
                errs.append("%s: differs from the projection of the truth's 3-D area by %.4f" % (name, zone_distance([tuple(p) for p in got], mine)))
    except Exception as e:  # noqa: BLE001
        errs.append("zones cannot be re-projected: %s" % e)
    cz_pts = cw.get("counter_zone") or []
    if len(cz_pts) >= 3:
        xs, ys = [p[0] for p in cz_pts], [p[1] for p in cz_pts]
        n = len(cz_pts)
        area = abs(sum(cz_pts[i][0] * cz_pts[(i + 1) % n][1] - cz_pts[(i + 1) % n][0] * cz_pts[i][1] for i in range(n))) / 2
        if area < 0.02 or max(ys) - min(ys) < 0.06 or max(xs) - min(xs) < 0.15:
            errs.append("counter_zone is a sliver (area %.3f, %.3f x %.3f)" % (area, max(xs) - min(xs), max(ys) - min(ys)))
    # ---- trace
    last_ts, last_frame, n = None, -1, 0
    with open(w / "trace.jsonl") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            try:
                fr = json.loads(line)
                ts = datetime.fromisoformat(fr["ts"])
                assert ts.utcoffset() is not None, "ts without offset"
                assert 1970 <= ts.year <= 9999, "ts year"
                assert fr["window"] == wid, "window %r is not the config's id %r" % (fr["window"], wid)
                for k in ("source", "model"):
                    assert isinstance(fr[k], str), k
                assert isinstance(fr["frame"], int) and fr["frame"] > last_frame, "frame numbers must grow"
                assert isinstance(fr["width"], int) and isinstance(fr["height"], int) and fr["width"] > 0 and fr["height"] > 0, "size"
                assert last_ts is None or ts > last_ts, "ts must grow"
                off = (ts - day0).total_seconds()
                assert -0.001 <= off < T + 0.001, "ts outside the run"
                scores = []
                for p in fr["people"]:
                    assert len(p["box"]) == 4 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in p["box"]), "box"
                    assert p["box"][0] <= p["box"][2] and p["box"][1] <= p["box"][3], "box corners"
                    assert isinstance(p["score"], (int, float)) and 0 <= p["score"] <= 1, "score"
                    scores.append(p["score"])
                    kps = p["keypoints"]
                    assert len(kps) == 17, "%d keypoints" % len(kps)
                    for k in kps:
                        assert len(k) == 3 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in k), "keypoint"
                        assert 0 <= k[2] <= 1, "conf"
                        assert -1 <= k[0] <= fr["width"] + 1 and -1 <= k[1] <= fr["height"] + 1, "keypoint outside the frame"
                assert scores == sorted(scores, reverse=True), "people not sorted by score"
                last_ts, last_frame = ts, fr["frame"]
            except Exception as e:  # noqa: BLE001
                errs.append("trace.jsonl:%d: %s" % (ln, e))
                if len(errs) > 20:
                    return errs
    if n == 0:
        errs.append("trace.jsonl is empty")
    # ---- truth
    for ln, line in enumerate((w / "truth.jsonl").read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
            assert e["rule"] in RULES, "rule %r" % e.get("rule")
            a, b = datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])
            assert a.utcoffset() is not None and b.utcoffset() is not None, "start/end need an offset"
            assert abs((a - day0).total_seconds() - e["t0"]) < 0.01 and abs((b - day0).total_seconds() - e["t1"]) < 0.01, "t0/t1 vs start/end"
            assert 0 <= e["t0"] <= e["t1"] <= T + 0.01, "interval outside the run"
            assert isinstance(e["form"], str) and e["form"], "form"
            assert isinstance(e.get("ignore", False), bool), "ignore"
            form, rule = e["form"], e["rule"]
            if rule == "slouching":
                assert form in sim.SLOUCH_FORMS, "a slouching event over the form %r" % form
            elif rule == "head_on_desk":
                assert form in sim.HEAD_FORMS, "a head_on_desk event over the form %r" % form
            elif rule == "absent" and not e["ignore"]:
                assert form in AWAY_FORMS, "an absence over the form %r" % form
            elif rule == "absent":
                assert form in AWAY_FORMS or form.startswith("present_undetected:"), "an ignored absence over %r" % form
            elif rule == "not_standing_to_greet":
                assert form in GREET_FORMS, "a greeting event labelled %r" % form
                assert "arrived" in e, "a greeting event without arrived"
            elif rule == "crossed_legs":
                assert form in CROSS_FORMS, "a crossed_legs event over the leg form %r" % form
            key = (rule, form.split(":")[0], e.get("ignore", False))
            tally[key] = tally.get(key, 0) + 1
        except Exception as ex:  # noqa: BLE001
            errs.append("truth.jsonl:%d: %s" % (ln, ex))
    return errs


def score_parse(w, errs):
    """Runs score.py's own readers (secs, bucket, form_at, match_window with no detections) on this window,
    so a format score.py cannot read shows up here without running any rule."""
    try:
        import importlib.util
        p = Path(__file__).resolve().parent.parent / "indep-sim" / "score.py"
        if not p.exists():
            return
        spec = importlib.util.spec_from_file_location("indep_score", p)
        sc = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sc)
        meta = json.loads((w / "meta.json").read_text())
        day0 = datetime.fromisoformat("%sT%s" % (meta["day"], meta["start"]))
        truth = []
        for line in (w / "truth.jsonl").read_text().splitlines():
            if line.strip():
                t = json.loads(line)
                t["t0"], t["t1"] = sc.secs(t["start"], day0), sc.secs(t["end"], day0)
                truth.append(t)
        sc.bucket(meta)
        for t in truth:
            sc.form_at(meta, t["t0"])
        res = sc.match_window(truth, [])
        n = sum(len(r["fn"]) for r in res.values())
        if n != sum(1 for t in truth if not t.get("ignore")):
            errs.append("score.py's matcher counts %d judged truth events, truth.jsonl has a different number" % n)
    except Exception as e:  # noqa: BLE001
        errs.append("score.py cannot read this window: %s" % e)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    wins = sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"w\d{3,}", p.name))
    if not wins:
        sys.exit("no wNNN folders under %s" % root)
    bad = 0
    tally = {}
    for w in wins:
        errs = check_window(w, tally)
        score_parse(w, errs)
        if errs:
            bad += 1
            print("%s: %d problem(s)" % (w.name, len(errs)))
            for e in errs[:20]:
                print("  " + e)
        else:
            print("%s: ok" % w.name)
    print("%d window(s), %d with problems" % (len(wins), bad))
    print("truth events (rule, form, ignored): counts only")
    for (rule, form, ign) in sorted(tally):
        print("  %-22s %-28s %-7s %d" % (rule, form, "ignored" if ign else "", tally[(rule, form, ign)]))
    print("judged / ignored truth events per rule")
    for rule in sorted(RULES):
        j = sum(n for (r, f, i), n in tally.items() if r == rule and not i)
        g = sum(n for (r, f, i), n in tally.items() if r == rule and i)
        print("  %-22s judged %4d   ignored %4d" % (rule, j, g))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
