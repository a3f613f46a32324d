#!/usr/bin/env python3
"""Draw frames of a simulated window as PNG (no pixels of anyone: skeletons, boxes, zones, desk outline).

    preview.py --dir OUT/w001 --t 120 [--t 300 ...] [--out DIR] [--scale 0.5]

Keypoints are drawn green when confidence >= 0.5, orange 0.3-0.5, red below; the
staff zone is blue, the counter zone yellow, the configured desk line grey and the
simulated desk / monitor outlines (from meta.json) white.  Standard library only.
"""

import argparse
import json
import math
import struct
import zlib
from pathlib import Path

SKELETON = [(5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
            (0, 1), (0, 2), (1, 3), (2, 4)]


class Canvas:
    def __init__(self, w, h, bg=(30, 30, 36)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(bg) * (w * h))

    def dot(self, x, y, c, r=1):
        x, y = int(round(x)), int(round(y))
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                if dx * dx + dy * dy <= r * r:
                    xx, yy = x + dx, y + dy
                    if 0 <= xx < self.w and 0 <= yy < self.h:
                        i = 3 * (yy * self.w + xx)
                        self.px[i:i + 3] = bytes(c)

    def line(self, a, b, c, r=0):
        n = int(max(abs(b[0] - a[0]), abs(b[1] - a[1]))) + 1
        n = min(n, 5000)
        for k in range(n + 1):
            t = k / n
            self.dot(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, c, r)

    def poly(self, pts, c, r=0):
        for i in range(len(pts)):
            self.line(pts[i - 1], pts[i], c, r)

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[3 * y * self.w:3 * (y + 1) * self.w]) for y in range(self.h))

        def chunk(tag, data):
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def camera_from_meta(m):
    c = m["camera"]
    pan, tilt, roll = c["pan_deg"] * math.pi / 180, c["tilt_deg"] * math.pi / 180, c["roll_deg"] * math.pi / 180
    f = (math.sin(pan) * math.cos(tilt), math.cos(pan) * math.cos(tilt), -math.sin(tilt))
    r = (f[1], -f[0], 0.0)
    n = math.hypot(r[0], r[1])
    r = (r[0] / n, r[1] / n, 0.0)
    u = (r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0])
    cr, sr = math.cos(roll), math.sin(roll)
    r, u = tuple(r[i] * cr + u[i] * sr for i in range(3)), tuple(u[i] * cr - r[i] * sr for i in range(3))
    W, H = c["width"], c["height_px"]
    fx = (W / 2) / math.tan(c["hfov_deg"] * math.pi / 360)
    C = c["position"]

    def project(P):
        d = [P[i] - C[i] for i in range(3)]
        zc = max(sum(d[i] * f[i] for i in range(3)), 0.05)
        return (W / 2 + fx * sum(d[i] * r[i] for i in range(3)) / zc, H / 2 - fx * sum(d[i] * u[i] for i in range(3)) / zc)
    return project


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--t", type=float, action="append", required=True, help="seconds from the start (repeatable)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--scale", type=float, default=None)
    ap.add_argument("--zoom", action="store_true", help="crop to the staff zone (with a margin) and enlarge")
    a = ap.parse_args()
    d = Path(a.dir)
    meta = json.loads((d / "meta.json").read_text())
    cfg = (d / "window.toml").read_text()
    zones = {}
    for line in cfg.splitlines():
        for key in ("staff_zone", "counter_zone", "desk_y"):
            if line.startswith(key + " ="):
                zones[key] = json.loads(line.split("=", 1)[1])
    W, H = meta["camera"]["width"], meta["camera"]["height_px"]
    scale = a.scale or min(1.0, 960 / W)
    ox = oy = 0.0
    CW, CH = W, H
    if a.zoom:
        xs = [p[0] * W for p in zones["staff_zone"]]
        ys = [p[1] * H for p in zones["staff_zone"]]
        mx, my = 0.25 * (max(xs) - min(xs)), 0.25 * (max(ys) - min(ys))
        ox, oy = max(min(xs) - mx, 0), max(min(ys) - my, 0)
        CW, CH = min(max(xs) + mx, W) - ox, min(max(ys) + my + 0.3 * (max(ys) - min(ys)), H) - oy
        scale = a.scale or 720 / max(CW, CH)
    project = camera_from_meta(meta)
    want = sorted(a.t)
    frames = {}
    with open(d / "trace.jsonl") as fh:
        prev = None
        for line in fh:
            fr = json.loads(line)
            hh, mm, ss = fr["ts"][11:19].split(":")
            t = (int(hh) - 8) * 3600 + int(mm) * 60 + float(fr["ts"][17:23])
            for w in want:
                if w not in frames and t >= w:
                    frames[w] = fr
            if len(frames) == len(want):
                break
    out = Path(a.out or d)
    out.mkdir(parents=True, exist_ok=True)
    for w, fr in frames.items():
        cv = Canvas(int(CW * scale), int(CH * scale))
        S = lambda p: ((p[0] - ox) * scale, (p[1] - oy) * scale)
        dk = meta["desk"]
        h = dk["h"]
        corners = [(dk["x0"], dk["y0"], h), (dk["x1"], dk["y0"], h), (dk["x1"], dk["y1"], h), (dk["x0"], dk["y1"], h)]
        cv.poly([S(project(p)) for p in corners], (200, 200, 200))
        if dk.get("closed"):
            ph = dk["panel_h"]
            cv.poly([S(project(p)) for p in [(dk["x0"], dk["y0"], 0), (dk["x1"], dk["y0"], 0), (dk["x1"], dk["y0"], ph), (dk["x0"], dk["y0"], ph)]], (120, 120, 120))
        mo = meta.get("monitor")
        if mo:
            for y in (mo["y0"], mo["y1"]):
                cv.poly([S(project(p)) for p in [(mo["x0"], y, mo["z0"]), (mo["x1"], y, mo["z0"]), (mo["x1"], y, mo["z1"]), (mo["x0"], y, mo["z1"])]], (230, 230, 230))
        cv.poly([S((x * W, y * H)) for x, y in zones["staff_zone"]], (70, 120, 255), 1)
        cv.poly([S((x * W, y * H)) for x, y in zones["counter_zone"]], (240, 210, 40), 1)
        if "desk_y" in zones:
            cv.line(S((0, zones["desk_y"] * H)), S((W, zones["desk_y"] * H)), (150, 150, 150))
        for p in fr["people"]:
            b = p["box"]
            cv.poly([S((b[0], b[1])), S((b[2], b[1])), S((b[2], b[3])), S((b[0], b[3]))], (180, 80, 180))
            k = p["keypoints"]
            for i, j in SKELETON:
                if min(k[i][2], k[j][2]) >= 0.3:
                    cv.line(S(k[i]), S(k[j]), (200, 200, 255))
            for q in k:
                col = (60, 220, 60) if q[2] >= 0.5 else (250, 150, 30) if q[2] >= 0.3 else (220, 40, 40)
                cv.dot(*S(q), col, 2)
        seg = [s for s in meta["segments"] if s["t0"] <= w < s["t1"]]
        name = "%s_t%06.1f_%s.png" % (meta["window"], w, (seg[0]["kind"] + "-" + seg[0]["form"]) if seg else "")
        cv.png(out / name)
        print(out / name)


if __name__ == "__main__":
    main()
