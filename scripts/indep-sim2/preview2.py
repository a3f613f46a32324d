#!/usr/bin/env python3
"""Draws frames of a clerk_sim2.py window as PNG (skeletons, boxes, zones, desk line; no pixels of anyone).

    preview2.py --dir OUT/w001 --t 600 [--t 1200 ...] --out DIR
"""
import argparse
import json
import struct
import tomllib
import zlib
from datetime import datetime
from pathlib import Path

SK = [(5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (0, 1), (0, 2), (1, 3), (2, 4)]


def png(path, W, H, px):
    raw = b"".join(b"\x00" + bytes(px[y * W * 3:(y + 1) * W * 3]) for y in range(H))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--t", type=float, action="append", required=True, help="seconds from the start")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    d = Path(a.dir)
    meta = json.loads((d / "meta.json").read_text())
    cfg = tomllib.loads((d / "window.toml").read_text())["window"][0]
    day0 = datetime.fromisoformat("%sT%s" % (meta["day"], meta["start"]))
    frames = {}
    want = sorted(a.t)
    with open(d / "trace.jsonl") as fh:
        for line in fh:
            f = json.loads(line)
            s = (datetime.fromisoformat(f["ts"]) - day0).total_seconds()
            for t in want:
                if t not in frames and s >= t:
                    frames[t] = (s, f)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    for t, (s, f) in frames.items():
        W, H = f["width"], f["height"]
        px = bytearray([40] * (W * H * 3))

        def put(x, y, c):
            x, y = int(x), int(y)
            if 0 <= x < W and 0 <= y < H:
                i = (y * W + x) * 3
                px[i:i + 3] = bytes(c)

        def line(x0, y0, x1, y1, c):
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
            for k in range(n + 1):
                u = k / n
                put(x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, c)

        def poly(pts, c):
            for i in range(len(pts)):
                (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % len(pts)]
                line(x0 * W, y0 * H, x1 * W, y1 * H, c)
        poly(cfg["staff_zone"], (0, 160, 255))
        poly(cfg["counter_zone"], (255, 160, 0))
        line(0, cfg["desk_y"] * H, W - 1, cfg["desk_y"] * H, (160, 160, 160))
        for p in f["people"]:
            k = p["keypoints"]
            x0, y0, x1, y1 = p["box"]
            for (xa, ya, xb, yb) in ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)):
                line(xa, ya, xb, yb, (90, 90, 90))
            for i, j in SK:
                c = (0, 255, 0) if min(k[i][2], k[j][2]) >= 0.5 else (120, 60, 60)
                line(k[i][0], k[i][1], k[j][0], k[j][1], c)
            for i, (x, y, c) in enumerate(k):
                col = (255, 255, 0) if i in (5, 7, 9, 11, 13, 15, 1, 3) else (255, 0, 255)
                if c < 0.5:
                    col = (100, 100, 100)
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        put(x + dx, y + dy, col)
        seg = next((g for g in meta["segments"] if g["t0"] <= s < g["t1"]), {"kind": "?", "form": "?"})
        out = Path(a.out) / ("%s_t%05d_%s_%s.png" % (d.name, int(s), seg["kind"], seg["form"]))
        png(out, W, H, px)
        print(out)


if __name__ == "__main__":
    main()
