#!/usr/bin/env python3
"""indep-sim5: a fifth independent, blind seated-clerk keypoint simulator (standard library only).

    python3 clerk_sim5.py --windows N --minutes M --seed S --out DIR [--fps 2] [--first K]

Writes DIR/wNNN/{trace.jsonl, window.toml, truth.jsonl, meta.json} in the format that
scripts/indep-sim/score.py consumes. It is for reporting only: nobody may tune the rules on it.
See README.md beside this file.

Layers (each uses only those above it):
  vectors -> Camera -> Body (anthropometry, forward kinematics) -> Layout (furniture, 3-D areas, zones)
  -> Scenario (clerk segments, chair and leg layers, visitors, others) -> Detector (a top-down
  detector + pose pipeline) -> Truth (docs/rules.md definitions on the 3-D pose) -> writer.

World frame ("seat frame"): origin on the floor under the clerk's hip centre with the chair pulled in,
y up, z from the clerk towards the counter and the camera, x to the clerk's left (the camera's right).
"""

import argparse
import bisect
import json
import math
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

TZ = timezone(timedelta(hours=8))
D2R = math.pi / 180.0
sin, cos, sqrt, atan2, hypot = math.sin, math.cos, math.sqrt, math.atan2, math.hypot

# COCO keypoint order (src/vision/person.rs)
NOSE, LEYE, REYE, LEAR, REAR, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN = range(17)
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
SIGMA = [.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089]
BASE_CONF = [.92, .90, .90, .80, .80, .88, .88, .80, .80, .74, .74, .70, .70, .68, .68, .62, .62]
LEG = (LHIP, RHIP, LKN, RKN, LAN, RAN)
FACE = (NOSE, LEYE, REYE, LEAR, REAR)

SLOUCH_FORMS = ("rounded_back", "forward_lean", "slid_down", "elbow_lean", "neck_down")
HEAD_FORMS = ("folded_arms", "one_arm", "hand_prop", "forehead")
AWAY_FORMS = ("side_exit", "back_office", "cabinet", "printer")
CROSS_FORMS = ("knee_over_knee", "figure_four", "knee_over_knee_sat_back", "figure_four_sat_back")
BUSY_CLOSE = ("typing", "mouse", "writing", "talking", "side_screen", "document_hold", "screen_read")
BUSY_FAR = ("screen_read", "lean_back", "document_hold", "phone", "lap", "talking")
BRIEF = ("reach", "drink", "glance_down", "stretch")
HOLIDAYS = [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07")]


def clamp(x, a, b):
    return a if x < a else b if x > b else x


def smooth(u):
    return 0.0 if u <= 0 else 1.0 if u >= 1 else u * u * (3 - 2 * u)


def lerp(a, b, w):
    return a + (b - a) * w


def U(rng, a, b):
    return rng.uniform(a, b)


# ----------------------------------------------------------------------------------------------- vectors
def vsub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def vadd(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def vmul(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def vdot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def vcross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def vnorm(a):
    n = sqrt(vdot(a, a)) or 1e-9
    return (a[0] / n, a[1] / n, a[2] / n)


def vlen(a):
    return sqrt(vdot(a, a))


# ------------------------------------------------------------------------------------------------ camera
class Camera:
    """Pinhole with polynomial radial distortion x_d = x (1 + k1 r^2) (k1 < 0: barrel), aimed by pan/tilt/roll."""

    def __init__(self, pos, aim, tilt_deg, roll_deg, hfov_deg, width, height, k1):
        self.pos, self.W, self.H, self.k1 = tuple(pos), width, height, k1
        self.tilt_deg, self.roll_deg, self.hfov_deg = tilt_deg, roll_deg, hfov_deg
        hx, hz = aim[0] - pos[0], aim[2] - pos[2]
        n = hypot(hx, hz) or 1e-9
        self.pan_deg = math.degrees(atan2(hx, -hz))
        t = tilt_deg * D2R
        F = (hx / n * cos(t), -sin(t), hz / n * cos(t))
        R = vnorm(vcross(F, (0.0, 1.0, 0.0)))
        D = vcross(F, R)
        r = roll_deg * D2R
        self.F, self.R, self.D = F, vadd(vmul(R, cos(r)), vmul(D, sin(r))), vsub(vmul(D, cos(r)), vmul(R, sin(r)))
        xe = math.tan(hfov_deg * D2R / 2)
        self.f = (width / 2.0) / (xe * (1 + k1 * xe * xe))
        self.cx, self.cy = width / 2.0, height / 2.0
        self.r2max = 1.0 / (3 * -k1) if k1 < 0 else 1e9

    def project(self, p):
        """(u, v, depth) or None when behind the lens or past the distortion's fold."""
        dx, dy, dz = p[0] - self.pos[0], p[1] - self.pos[1], p[2] - self.pos[2]
        F, R, D = self.F, self.R, self.D
        z = dx * F[0] + dy * F[1] + dz * F[2]
        if z < 0.05:
            return None
        x = (dx * R[0] + dy * R[1] + dz * R[2]) / z
        y = (dx * D[0] + dy * D[1] + dz * D[2]) / z
        r2 = x * x + y * y
        if r2 > self.r2max:
            return None
        s = self.f * (1 + self.k1 * r2)
        return (self.cx + x * s, self.cy + y * s, z)

    def in_frame(self, q, margin=0.0):
        mx, my = margin * self.W, margin * self.H
        return q is not None and mx <= q[0] <= self.W - mx and my <= q[1] <= self.H - my


class Box3:
    def __init__(self, x0, x1, y0, y1, z0, z1):
        self.lo = (min(x0, x1), min(y0, y1), min(z0, z1))
        self.hi = (max(x0, x1), max(y0, y1), max(z0, z1))
        self.img_bb = None

    def as_list(self):
        return [self.lo[0], self.hi[0], self.lo[1], self.hi[1], self.lo[2], self.hi[2]]

    def corners(self):
        return [(x, y, z) for x in (self.lo[0], self.hi[0]) for y in (self.lo[1], self.hi[1]) for z in (self.lo[2], self.hi[2])]

    def contains_xz(self, p):
        return self.lo[0] <= p[0] <= self.hi[0] and self.lo[2] <= p[2] <= self.hi[2]

    def seg_hits(self, a, b):
        """Does the segment a->b pass through the box before reaching b?"""
        t0, t1 = 0.0, 1.0
        for i in range(3):
            d = b[i] - a[i]
            lo, hi = self.lo[i], self.hi[i]
            if -1e-12 < d < 1e-12:
                if a[i] < lo or a[i] > hi:
                    return False
                continue
            ta, tb = (lo - a[i]) / d, (hi - a[i]) / d
            if ta > tb:
                ta, tb = tb, ta
            if ta > t0:
                t0 = ta
            if tb < t1:
                t1 = tb
            if t0 > t1:
                return False
        return t0 < 0.995


def hull(pts):
    pts = sorted(set(pts))
    if len(pts) < 3:
        return pts
    def cr(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    lo, up = [], []
    for p in pts:
        while len(lo) >= 2 and cr(lo[-2], lo[-1], p) <= 0:
            lo.pop()
        lo.append(p)
    for p in reversed(pts):
        while len(up) >= 2 and cr(up[-2], up[-1], p) <= 0:
            up.pop()
        up.append(p)
    return lo[:-1] + up[:-1]


def clip_rect(poly, W, H):
    def clip(poly, inside, inter):
        out = []
        for i in range(len(poly)):
            a, b = poly[i - 1], poly[i]
            ia, ib = inside(a), inside(b)
            if ib:
                if not ia:
                    out.append(inter(a, b))
                out.append(b)
            elif ia:
                out.append(inter(a, b))
        return out
    for axis, lim, keep_lo in ((0, 0.0, False), (0, W, True), (1, 0.0, False), (1, H, True)):
        if not poly:
            return poly
        def inside(p, axis=axis, lim=lim, keep_lo=keep_lo):
            return p[axis] <= lim if keep_lo else p[axis] >= lim
        def inter(a, b, axis=axis, lim=lim):
            t = (lim - a[axis]) / (b[axis] - a[axis])
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
        poly = clip(poly, inside, inter)
    return poly


def image_zone(cam, box):
    """The convex hull of a 3-D box's projected edges (sampled, so the distortion bends them), clipped to the frame."""
    c = box.corners()
    pts = []
    for i in range(8):
        for j in range(i + 1, 8):
            a, b = c[i], c[j]
            if sum(1 for k in range(3) if a[k] != b[k]) != 1:
                continue
            for s in range(9):
                q = cam.project(vadd(a, vmul(vsub(b, a), s / 8.0)))
                if q is not None:
                    pts.append((q[0], q[1]))
    h = hull(pts)
    if len(h) < 3:
        return None
    h = clip_rect(h, cam.W, cam.H)
    if len(h) < 3:
        return None
    return simplify(h, 32)


def simplify(poly, n):
    """Drops the vertex spanning the smallest triangle until at most n remain (Visvalingam). A convex polygon
    stays convex, and a vertex that tiny rounding differences keep or drop changes the outline negligibly."""
    poly = list(poly)
    while len(poly) > n:
        best, bi = None, 0
        m = len(poly)
        for i in range(m):
            a, b, c = poly[i - 1], poly[i], poly[(i + 1) % m]
            ar = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
            if best is None or ar < best:
                best, bi = ar, i
        del poly[bi]
    return poly


def norm_poly(poly, W, H):
    out = []
    for x, y in poly:
        p = [round(clamp(x / W, 0, 1), 4), round(clamp(y / H, 0, 1), 4)]
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def poly_area(pts):
    n = len(pts)
    return abs(sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))) / 2


def in_poly(p, poly):
    x, y = p
    inside = False
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i - 1]
        x2, y2 = poly[i]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


# -------------------------------------------------------------------------------------------------- body
# Pose vector indices
(RX, RZ, WCH, YAW, RISE, SLIDE, PSINK, PELV, LUMB, THOR, LAT, TWIST, NECK, HPITCH, HYAW, HROLL, PROT, ELEV,
 LWA, LWB, LWC, RWA, RWB, RWC, WABS, REST) = range(26)
NP = 26


class Body:
    def __init__(self, rng, stature=None):
        H = stature or U(rng, 1.50, 1.95)
        self.H = H
        self.sit = clamp(rng.gauss(1.0, 0.035), 0.93, 1.07)          # sitting-height ratio factor
        self.trunk = 0.296 * H * self.sit                             # hip joint centre to shoulder line
        self.sh_w = 0.205 * H * U(rng, 0.87, 1.15)                    # shoulder joint centres
        self.hip_w = 0.098 * H * U(rng, 0.90, 1.16)
        af = U(rng, 0.94, 1.06)
        self.uarm, self.farm = 0.172 * H * af, 0.150 * H * af
        lf = 2.0 - self.sit
        self.thigh, self.shin = 0.245 * H * lf, 0.247 * H * lf
        self.neck = 0.052 * H * U(rng, 0.80, 1.22)
        self.hs = U(rng, 0.88, 1.12) * H / 1.70
        self.seat = self.shin + 0.06 + U(rng, -0.03, 0.05)
        self.hip_above_seat = 0.085 * H / 1.7
        self.hip_stand = self.thigh + self.shin + 0.065

    def record(self):
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def ik2(root, target, l1, l2, pole):
    d = vsub(target, root)
    L = vlen(d) or 1e-6
    Lc = clamp(L, abs(l1 - l2) + 0.01, (l1 + l2) * 0.999)
    u = vmul(d, 1.0 / L)
    end = vadd(root, vmul(u, Lc))
    a = (l1 * l1 - l2 * l2 + Lc * Lc) / (2 * Lc)
    h = sqrt(max(0.0, l1 * l1 - a * a))
    pn = vsub(pole, vmul(u, vdot(pole, u)))
    pl = vlen(pn)
    pn = vmul(pn, 1.0 / pl) if pl > 1e-6 else (0.0, -1.0, 0.0)
    return vadd(vadd(root, vmul(u, a)), vmul(pn, h)), end


def fk(B, P, yaw0, chair, legs, gait=0.0, phase=0.0, body_frame=False):
    """Forward kinematics. Returns (17 joints, extras) in the seat frame (or the body frame).

    Body frame: a to the body's left, b up, c forward, origin on the floor under the hip centre at the root.
    extras: head top, ear midpoint, head forward axis, head left axis, body left axis, body forward axis.
    legs: (la_a, la_c, ra_a, ra_c, cross, side, fig4)."""
    rise = P[RISE]
    lean = 32.0 * 4 * rise * (1 - rise)
    hb = B.seat + B.hip_above_seat - P[PSINK] + rise * (B.hip_stand - B.seat - B.hip_above_seat)
    hc = P[SLIDE] + rise * 0.22
    a1 = (P[PELV] + P[LUMB] + lean) * D2R
    a2 = a1 + P[THOR] * D2R
    L1, L2 = 0.45 * B.trunk, 0.55 * B.trunk
    lat = P[LAT] * D2R
    sl = sin(lat)
    mid = (L1 * sl, hb + L1 * cos(a1), hc + L1 * sin(a1))
    sc = (mid[0] + L2 * sl, mid[1] + L2 * cos(a2), mid[2] + L2 * sin(a2))
    hw = B.sh_w / 2
    tw = P[TWIST] * D2R
    sx, sy_, sz = hw * cos(tw) * cos(lat), -hw * sin(lat), -hw * sin(tw)
    off = (0.0, P[ELEV], P[PROT])
    lsh = (sc[0] + sx + off[0], sc[1] + sy_ + off[1], sc[2] + sz + off[2])
    rsh = (sc[0] - sx + off[0], sc[1] - sy_ + off[1], sc[2] - sz + off[2])
    # neck and head
    td = (0.0, cos(a2), sin(a2))
    nb = vadd(sc, vmul(td, 0.03))
    an = a2 + 0.6 * P[NECK] * D2R
    piv = (nb[0] + B.neck * sl * 0.5, nb[1] + B.neck * cos(an), nb[2] + B.neck * sin(an))
    hp = a2 + (P[NECK] + P[HPITCH]) * D2R
    hy, hr = P[HYAW] * D2R, P[HROLL] * D2R
    f1 = (sin(hy), 0.0, cos(hy))
    l1 = (cos(hy), 0.0, -sin(hy))
    ch, shp = cos(hp), sin(hp)
    f2 = (f1[0] * ch, -shp, f1[2] * ch)
    u2 = (f1[0] * shp, ch, f1[2] * shp)
    cr, sr = cos(hr), sin(hr)
    hl = (l1[0] * cr - u2[0] * sr, l1[1] * cr - u2[1] * sr, l1[2] * cr - u2[2] * sr)
    hu = (u2[0] * cr + l1[0] * sr, u2[1] * cr + l1[1] * sr, u2[2] * cr + l1[2] * sr)
    s = B.hs
    hcen = (piv[0] + hu[0] * 0.06 * s + f2[0] * 0.01 * s, piv[1] + hu[1] * 0.06 * s + f2[1] * 0.01 * s,
            piv[2] + hu[2] * 0.06 * s + f2[2] * 0.01 * s)

    def hpt(f, u, l):
        return (hcen[0] + (f2[0] * f + hu[0] * u + hl[0] * l) * s, hcen[1] + (f2[1] * f + hu[1] * u + hl[1] * l) * s,
                hcen[2] + (f2[2] * f + hu[2] * u + hl[2] * l) * s)
    nose = hpt(0.097, -0.012, 0.0)
    leye = hpt(0.078, 0.024, 0.031)
    reye = hpt(0.078, 0.024, -0.031)
    lear = hpt(-0.008, 0.008, 0.074)
    rear = hpt(-0.008, 0.008, -0.074)
    top = hpt(0.0, 0.115, 0.0)
    # arms
    rz_abs = P[WABS] * P[WCH] * chair          # the chair rolled back: the desk is further forward
    lwt = (P[LWA], P[LWB], P[LWC] + rz_abs)
    rwt = (P[RWA], P[RWB], P[RWC] + rz_abs)
    lel, lwr = ik2(lsh, lwt, B.uarm, B.farm, (0.45, -1.0, -0.35))
    rel, rwr = ik2(rsh, rwt, B.uarm, B.farm, (-0.45, -1.0, -0.35))
    # legs
    la_a, la_c, ra_a, ra_c, cross, side, fig4 = legs
    hhw = B.hip_w / 2
    lhip = (hhw, hb, hc)
    rhip = (-hhw, hb, hc)
    ga = 0.0
    if gait > 0:
        ga = gait * 0.28 * sin(phase)
        la_c, ra_c = hc + 0.12 + ga, hc + 0.12 - ga
        la_a, ra_a = hhw + 0.02, -hhw - 0.02
    la = (la_a, 0.08 + (0.08 * max(0.0, sin(phase)) * gait), la_c)
    ra = (ra_a, 0.08 + (0.08 * max(0.0, -sin(phase)) * gait), ra_c)
    lkn, lan = ik2(lhip, la, B.thigh, B.shin, (0.0, 0.4, 1.0))
    rkn, ran = ik2(rhip, ra, B.thigh, B.shin, (0.0, 0.4, 1.0))
    if cross > 0.0 and gait == 0.0:
        w = cross
        if side > 0:    # left leg over the right
            top_hip, other_kn, tkn, tan_ = lhip, rkn, lkn, lan
        else:
            top_hip, other_kn, tkn, tan_ = rhip, lkn, rkn, ran
        acr = -side * 1.0
        if fig4 < 0.5:
            kc = (other_kn[0] + acr * 0.02, other_kn[1] + 0.10, other_kn[2] + 0.02)
            ac = vadd(kc, vmul(vnorm((acr * 0.25, -0.9, 0.3)), B.shin))
        else:
            ac = (other_kn[0] + side * 0.02, other_kn[1] + 0.07, other_kn[2] - 0.03)
            dirk = vnorm((side * 0.75, 0.15, 0.65))
            kc = vadd(top_hip, vmul(dirk, B.thigh))
        nk = tuple(lerp(tkn[i], kc[i], w) for i in range(3))
        na = tuple(lerp(tan_[i], ac[i], w) for i in range(3))
        if side > 0:
            lkn, lan = nk, na
        else:
            rkn, ran = nk, na
    pts = [nose, leye, reye, lear, rear, lsh, rsh, lel, rel, lwr, rwr, lhip, rhip, lkn, rkn, lan, ran]
    earm = ((lear[0] + rear[0]) / 2, (lear[1] + rear[1]) / 2, (lear[2] + rear[2]) / 2)
    extras = [top, earm, hcen]
    if body_frame:
        return pts, extras, (f2, hl)
    yaw = (yaw0 + P[YAW]) * D2R
    cy, sy = cos(yaw), sin(yaw)
    rx, rz = P[RX], P[RZ] - P[WCH] * chair
    out = [(rx + p[0] * cy + p[2] * sy, p[1], rz - p[0] * sy + p[2] * cy) for p in pts]
    ex = [(rx + p[0] * cy + p[2] * sy, p[1], rz - p[0] * sy + p[2] * cy) for p in extras]
    hf = (f2[0] * cy + f2[2] * sy, f2[1], -f2[0] * sy + f2[2] * cy)
    hlw = (hl[0] * cy + hl[2] * sy, hl[1], -hl[0] * sy + hl[2] * cy)
    return out, ex, (hf, hlw, (cy, 0.0, -sy))


def trunk_deg(B, P):
    a1 = (P[PELV] + P[LUMB] + 32.0 * 4 * P[RISE] * (1 - P[RISE])) * D2R
    a2 = a1 + P[THOR] * D2R
    b = 0.45 * cos(a1) + 0.55 * cos(a2)
    c = 0.45 * sin(a1) + 0.55 * sin(a2)
    return math.degrees(atan2(c, b))


def neutral_legs(B):
    return (B.hip_w / 2 + 0.03, 0.42 * B.H / 1.7, -B.hip_w / 2 - 0.03, 0.42 * B.H / 1.7, 0.0, 1, 0)


class Measure:
    """The truth's posture measures against the clerk's own baseline pose."""

    def __init__(self, B, P0):
        self.B = B
        self.t0 = trunk_deg(B, P0)
        self.n0 = P0[NECK] + P0[HPITCH]
        pts, ex, _ = fk(B, P0, 0.0, 0.0, neutral_legs(B), body_frame=True)
        self.sw = vlen(vsub(pts[LSH], pts[RSH]))
        self.sy0 = (pts[LSH][1] + pts[RSH][1]) / 2
        self.fy0 = sum(pts[j][1] for j in FACE) / 5 - self.sy0

    def of(self, P, pts):
        tr = trunk_deg(self.B, P) - self.t0
        nk = P[NECK] + P[HPITCH] - self.n0
        sy = (pts[LSH][1] + pts[RSH][1]) / 2
        fy = sum(pts[j][1] for j in FACE) / 5 - sy
        drop = (self.sy0 - sy) / self.sw
        frel = (self.fy0 - fy) / self.sw
        sink = drop - max(frel, -0.1)
        return tr, nk, sink

    def ratio(self, P, pts):
        tr, nk, sk = self.of(P, pts)
        return max(tr / 20.0, nk / 20.0, sk / 0.2)


# ------------------------------------------------------------------------------------------------ layout
class Layout:
    def __init__(self, rng, B):
        self.desk_top = U(rng, 0.70, 0.80)
        if self.desk_top - B.seat > 0.31:          # a low chair is raised for a high desk
            B.seat = self.desk_top - U(rng, 0.25, 0.31)
        elif self.desk_top - B.seat < 0.22:        # and a high one lowered so the thighs fit under it
            B.seat = self.desk_top - U(rng, 0.22, 0.26)
        self.desk_depth = U(rng, 0.60, 0.80)
        self.desk_edge = U(rng, 0.20, 0.33)
        self.long = rng.random() < 0.55
        self.half = 3.0 if self.long else U(rng, 0.65, 1.0)
        far = self.desk_edge + self.desk_depth
        self.far = far
        self.front = rng.choices(["closed", "modesty", "open"], [0.5, 0.25, 0.25])[0]
        self.ledge = U(rng, 1.00, 1.15) if rng.random() < 0.45 else None
        self.glass = rng.random() < 0.5
        self.monitor = rng.choices(["front", "side", "none"], [0.35, 0.4, 0.25])[0]
        self.side_dir = rng.choice([-1, 1])
        occ = [Box3(-self.half, self.half, self.desk_top - 0.035, self.desk_top, self.desk_edge, far)]
        if self.front == "closed":
            occ.append(Box3(-self.half, self.half, 0.0, self.desk_top, far - 0.03, far))
        elif self.front == "modesty":
            occ.append(Box3(-self.half, self.half, self.desk_top - 0.42, self.desk_top, far - 0.03, far))
        if self.ledge:
            occ.append(Box3(-self.half, self.half, self.desk_top, self.ledge, far - 0.04, far))
            occ.append(Box3(-self.half, self.half, self.ledge - 0.03, self.ledge, far - 0.04, far + 0.22))
        self.mon = None
        if self.monitor == "front":
            mw, mh, lift = U(rng, 0.48, 0.62), U(rng, 0.29, 0.38), U(rng, 0.08, 0.16)
            mx, mz = U(rng, -0.18, 0.18), self.desk_edge + U(rng, 0.30, 0.48)
            self.mon = Box3(mx - mw / 2, mx + mw / 2, self.desk_top + lift, self.desk_top + lift + mh, mz, mz + 0.05)
            occ.append(self.mon)
            occ.append(Box3(mx - 0.03, mx + 0.03, self.desk_top, self.desk_top + lift, mz, mz + 0.05))
        elif self.monitor == "side":
            mx = self.side_dir * U(rng, 0.45, 0.7)
            mz = self.desk_edge + U(rng, 0.25, 0.45)
            self.mon = Box3(mx - 0.25, mx + 0.25, self.desk_top + 0.1, self.desk_top + 0.45, mz, mz + 0.05)
            occ.append(self.mon)
        self.occ = occ
        self.staff = Box3(-0.80, 0.80, 0.40, min(2.0, B.H + 0.05), -1.0, self.desk_edge + 0.12)
        self.counter = Box3(-0.85, 0.85, 0.75, 1.50, far + 0.05, far + 0.85)

    def record(self):
        d = {k: v for k, v in self.__dict__.items() if k not in ("occ", "staff", "counter", "mon")}
        d = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}
        d["occluders"] = [[round(v, 4) for v in b.as_list()] for b in self.occ]
        d["staff_box"] = self.staff.as_list()          # unrounded: check_sim5.py re-projects the zones from them
        d["counter_box"] = self.counter.as_list()
        return d


def draw_camera(rng, B, L, P0, yaw0):
    res = rng.choice([(640, 360), (640, 480), (800, 600), (960, 540), (1280, 720), (1600, 900), (1920, 1080)])
    W, H = res
    legs = neutral_legs(B)
    base_pts = [fk(B, P0, yaw0, ch, legs) for ch in (0.0, 0.65)]
    for _ in range(600):
        h = U(rng, 1.8, 3.2)
        d = U(rng, 1.5, 4.5)
        off = U(rng, -1.5, 1.5)
        if abs(off) > 0.7 * d:
            continue
        pos = (off, h, sqrt(d * d - off * off))
        if h < 2.2 and L.counter.lo[2] - 0.3 <= pos[2] <= L.counter.hi[2] + 0.5:
            continue
        hfov = U(rng, 60, 110)
        k1 = -U(rng, 0.0, 0.11) * (hfov - 55) / 55.0
        vhalf = math.degrees(math.atan(math.tan(hfov * D2R / 2) * H / W))
        nat = math.degrees(atan2(h - 0.95, d))
        lo_t, hi_t = max(0.0, nat - 0.6 * vhalf), min(45.0, nat + 0.6 * vhalf)
        if lo_t > hi_t:
            continue
        tilt = U(rng, lo_t, hi_t)
        aim = (U(rng, -0.15, 0.15), 1.0, U(rng, -0.15, 0.15))
        cam = Camera(pos, aim, tilt, U(rng, -1.5, 1.5), hfov, W, H, k1)
        ok = True
        for pts, ex, _ in base_pts:
            for p in (pts[NOSE], pts[LEAR], pts[REAR], ex[0], pts[LSH], pts[RSH]):
                if not cam.in_frame(cam.project(p), 0.03):
                    ok = False
                    break
            if not ok:
                break
        if not ok:
            continue
        # the installer sees the upright clerk's face and shoulders past the furniture (a monitor may still
        # hide a lowered head, a rolled-back clerk or the arms)
        if any(o.seg_hits(pos, base_pts[0][0][j]) for o in L.occ for j in (NOSE, LSH, RSH)):
            continue
        a, b = cam.project(base_pts[0][0][LSH]), cam.project(base_pts[0][0][RSH])
        sw = hypot(a[0] - b[0], a[1] - b[1])
        if sw < 16:
            continue
        dq = cam.project((0.0, L.desk_top, L.desk_edge))
        if not cam.in_frame(dq, 0.01):
            continue
        cz = image_zone(cam, L.counter)
        sz = image_zone(cam, L.staff)
        if not cz or not sz:
            continue
        czn = norm_poly(cz, W, H)
        if len(czn) < 3 or poly_area(czn) < 0.02:
            continue
        xs, ys = [p[0] for p in czn], [p[1] for p in czn]
        if max(ys) - min(ys) < 0.06 or max(xs) - min(xs) < 0.15:
            continue
        szn = norm_poly(sz, W, H)
        if len(szn) < 3 or poly_area(szn) < 0.01:
            continue
        # a standing citizen's shoulders at the counter are in frame
        cit = ((0.0, 1.40, L.far + 0.4), (0.0, 0.95, L.far + 0.4))
        if not all(cam.in_frame(cam.project(p)) for p in cit):
            continue
        return cam, sw, dq[1] / H, szn, czn, d, off
    return None


# ----------------------------------------------------------------------------------------------- scenario
class Seg:
    __slots__ = ("kind", "form", "t0", "t1", "P", "blend", "walk", "info", "Pstart", "motion")

    def __init__(self, kind, form, t0, t1, P, blend=2.0, walk=False, info=None, motion=None):
        self.kind, self.form, self.t0, self.t1, self.P = kind, form, t0, t1, P
        self.blend, self.walk, self.info, self.motion = blend, walk, info, motion
        self.Pstart = None


class Clerk:
    """The clerk's habitual pose, busy forms, slouches and rests, solved against the truth's measures."""

    def __init__(self, rng, B, L):
        self.rng, self.B, self.L = rng, B, L
        self.yaw0 = U(rng, -30, 30) * (1.0 if rng.random() < 0.5 else 0.4)
        P = [0.0] * NP
        P[WCH] = 1.0
        P[PELV] = U(rng, -5, 6)
        P[LUMB] = U(rng, 0, 8)
        P[THOR] = U(rng, 2, 13)
        P[NECK] = U(rng, 0, 14)
        P[HPITCH] = U(rng, -6, 6)
        P[PROT] = U(rng, 0.0, 0.03)
        self.hab = {k: round(P[i], 2) for k, i in (("pelvis", PELV), ("lumbar", LUMB), ("thoracic", THOR), ("neck", NECK), ("head_pitch", HPITCH))}
        self.desk_hands(P, 0.0)
        self.P0 = P
        self.M = Measure(B, P)

    def desk_hands(self, P, dc=0.0, spread=0.17):
        L = self.L
        P[LWA], P[RWA] = spread, -spread
        P[LWB] = P[RWB] = L.desk_top + 0.035
        P[LWC] = P[RWC] = L.desk_edge + 0.14 + dc
        P[WABS] = 1.0

    def lap_hands(self, P):
        B = self.B
        P[LWA], P[RWA] = 0.12, -0.12
        P[LWB] = P[RWB] = B.seat + 0.16
        P[LWC] = P[RWC] = 0.25 * B.H / 1.7
        P[WABS] = 0.0

    def ratio(self, P):
        pts, _, _ = fk(self.B, P, 0.0, 0.0, neutral_legs(self.B), body_frame=True)
        return self.M.ratio(P, pts)

    def scaled(self, P, target, hi=3.0, upper=True):
        """Scales P's departure from the baseline: upper=True keeps the worst ratio under target;
        otherwise it is brought up to target."""
        P0 = self.P0
        idx = (SLIDE, PSINK, PELV, LUMB, THOR, LAT, NECK, HPITCH, PROT, ELEV)

        def at(s):
            Q = list(P)
            for i in idx:
                Q[i] = P0[i] + (P[i] - P0[i]) * s
            Q[SLIDE] = min(Q[SLIDE], 0.24)          # the seat's front edge
            Q[PSINK] = min(Q[PSINK], 0.10)
            Q[LAT] = clamp(Q[LAT], -25, 25)
            Q[PELV] = clamp(Q[PELV], -30, 30)
            return Q
        if upper:
            if self.ratio(P) <= target:
                return P
            lo, hi_ = 0.0, 1.0
        else:
            if self.ratio(at(hi)) < target:
                return at(hi)
            lo, hi_ = 0.0, hi
        for _ in range(22):
            m = (lo + hi_) / 2
            if self.ratio(at(m)) > target:
                hi_ = m
            else:
                lo = m
        return at(lo if upper else hi_)

    def busy(self, form, chair):
        rng, B, L = self.rng, self.B, self.L
        P = list(self.P0)
        if form == "typing":
            pass
        elif form == "mouse":
            P[RWA], P[RWC] = -U(rng, 0.25, 0.35), P[RWC] + 0.05
            P[HYAW] = U(rng, -6, 6)
        elif form == "writing":
            P[THOR] += U(rng, 4, 10)
            P[NECK] += U(rng, 6, 14)
            self.desk_hands(P, -0.04, 0.12)
        elif form == "talking":
            P[HPITCH] -= U(rng, 2, 8)
            P[HYAW] = U(rng, -12, 12)
        elif form == "screen_read":
            P[THOR] -= U(rng, 0, 4)
            if chair > 0.25:
                self.lap_hands(P)
        elif form == "lean_back":
            P[PELV] -= U(rng, 6, 14)
            P[LUMB] -= U(rng, 0, 4)
            P[HPITCH] += U(rng, 0, 6)
            self.lap_hands(P)
            P[LWB] += 0.08
            P[RWB] += 0.08
        elif form == "document_hold":
            P[NECK] += U(rng, 6, 14)
            P[LWA], P[RWA] = 0.12, -0.12
            P[LWB] = P[RWB] = B.seat + B.trunk * 0.75
            P[LWC] = P[RWC] = 0.33 * B.H / 1.7
            P[WABS] = 0.0
        elif form == "side_screen":
            P[YAW] = L.side_dir * U(rng, 18, 38)
            P[HYAW] = L.side_dir * U(rng, 5, 15)
        elif form == "phone":
            P[NECK] += U(rng, 6, 14)
            P[RWA], P[RWB], P[RWC] = -0.08, B.seat + B.trunk * 0.8, 0.3 * B.H / 1.7
            P[LWA], P[LWB], P[LWC] = 0.12, B.seat + 0.16, 0.25
            P[WABS] = 0.0
        elif form == "lap":
            P[NECK] += U(rng, 0, 8)
            self.lap_hands(P)
        elif form == "reach":
            s = rng.choice([-1, 1])
            P[LAT] = s * U(rng, 5, 12)
            P[THOR] += U(rng, 3, 8)
            if s > 0:
                P[LWA], P[LWB], P[LWC] = 0.65, L.desk_top + 0.1, L.desk_edge + 0.3
            else:
                P[RWA], P[RWB], P[RWC] = -0.65, L.desk_top + 0.1, L.desk_edge + 0.3
        elif form == "drink":
            P[HPITCH] -= U(rng, 10, 22)
            P[RWA], P[RWB], P[RWC] = -0.03, B.seat + B.trunk + B.neck + 0.02, 0.17
            P[WABS] = 0.0
        elif form == "stretch":
            P[PELV] -= U(rng, 3, 8)
            P[HPITCH] -= U(rng, 5, 15)
            P[LWA], P[LWB], P[LWC] = 0.2, B.seat + B.trunk + 0.6, 0.0
            P[RWA], P[RWB], P[RWC] = -0.2, B.seat + B.trunk + 0.6, 0.0
            P[WABS] = 0.0
        elif form == "glance_down":
            P[NECK] += U(rng, 20, 35)
            return P                       # deliberately past the neck threshold, but brief
        return self.scaled(P, 0.62)

    def slouch(self, form):
        rng, B, L = self.rng, self.B, self.L
        P = list(self.P0)
        target = U(rng, 1.15, 2.0)
        if form == "rounded_back":
            P[THOR] += U(rng, 22, 38)
            P[LUMB] += U(rng, 6, 14)
            P[PROT] += 0.05
            P[NECK] += U(rng, 0, 10)
            P[HPITCH] -= U(rng, 0, 8)
        elif form == "forward_lean":
            P[PELV] += U(rng, 10, 18)
            P[LUMB] += U(rng, 6, 12)
            P[THOR] += U(rng, 5, 12)
            P[WCH], P[RZ] = 0.0, 0.0
            self.desk_hands(P, 0.14, 0.2)
        elif form == "slid_down":
            P[SLIDE] += U(rng, 0.08, 0.22)
            P[PSINK] += U(rng, 0.03, 0.09)
            P[PELV] -= U(rng, 10, 22)
            P[THOR] += U(rng, 12, 24)
            P[NECK] += U(rng, 4, 12)
            P[HPITCH] -= U(rng, 0, 6)
        elif form == "elbow_lean":
            s = rng.choice([-1, 1])
            P[LAT] = s * U(rng, 8, 18)
            P[THOR] += U(rng, 10, 20)
            P[LUMB] += U(rng, 2, 8)
            P[HROLL] = s * U(rng, 5, 15)
            P[NECK] += U(rng, 2, 8)
        elif form == "neck_down":
            P[NECK] += U(rng, 22, 40)
            P[THOR] += U(rng, 0, 6)
            self.desk_hands(P, -0.03, 0.13)
        P = self.scaled(P, target, hi=3.0, upper=False)
        if form == "elbow_lean":
            pts, ex, _ = fk(B, P, 0.0, 0.0, neutral_legs(B), body_frame=True)
            s = 1 if P[LAT] > 0 else -1
            chin = vadd(pts[NOSE], (0.0, -0.07, -0.01))
            if s > 0:
                P[LWA], P[LWB], P[LWC] = chin
            else:
                P[RWA], P[RWB], P[RWC] = chin
            P[WABS] = 0.0
        return P, target

    def head(self, form):
        """A rest form: the trunk is solved so that the head meets its support."""
        rng, B, L = self.rng, self.B, self.L
        P = list(self.P0)
        P[WCH], P[RZ], P[REST] = 0.0, 0.0, 1.0
        roll_side = rng.choice([-1, 1])
        if form == "folded_arms":
            P[NECK] += U(rng, 25, 45)
            P[HPITCH] += U(rng, 10, 30)
            target = L.desk_top + U(rng, 0.16, 0.22)
        elif form == "one_arm":
            P[NECK] += U(rng, 15, 30)
            P[HROLL] = roll_side * U(rng, 55, 80)
            P[HYAW] = roll_side * U(rng, 0, 20)
            target = L.desk_top + U(rng, 0.10, 0.15)
        elif form == "hand_prop":
            P[NECK] += U(rng, 15, 30)
            P[HROLL] = roll_side * U(rng, 12, 25)
            target = L.desk_top + U(rng, 0.22, 0.33)
        else:  # forehead
            P[NECK] += U(rng, 40, 55)
            P[HPITCH] += U(rng, 15, 30)
            target = L.desk_top + U(rng, 0.08, 0.12)
        legs = neutral_legs(B)
        lo, hi = 0.0, 95.0
        Q = P
        for _ in range(24):
            k = (lo + hi) / 2
            Q = list(P)
            Q[PELV] += 0.3 * k
            Q[LUMB] += 0.3 * k
            Q[THOR] += 0.4 * k
            pts, ex, _ = fk(B, Q, 0.0, 0.0, legs, body_frame=True)
            if ex[1][1] > target:
                lo = k
            else:
                hi = k
        pts, ex, _ = fk(B, Q, 0.0, 0.0, legs, body_frame=True)
        hc = ex[2]
        # the head is over the desk; if not, slide the seat forward until it is
        if hc[2] < L.desk_edge + 0.08:
            Q[SLIDE] += L.desk_edge + 0.08 - hc[2]
            pts, ex, _ = fk(B, Q, 0.0, 0.0, legs, body_frame=True)
            hc = ex[2]
        if form == "folded_arms":
            Q[LWA], Q[LWB], Q[LWC] = hc[0] - 0.13, L.desk_top + 0.05, hc[2] - 0.02
            Q[RWA], Q[RWB], Q[RWC] = hc[0] + 0.13, L.desk_top + 0.05, hc[2] + 0.02
        elif form == "one_arm":
            s = roll_side
            Q[LWA], Q[LWB], Q[LWC] = hc[0] + s * 0.05 + 0.02, L.desk_top + 0.05, hc[2]
            if s > 0:
                Q[RWA], Q[RWB], Q[RWC] = -0.15, B.seat + 0.15, 0.25
            else:
                Q[RWA], Q[RWB], Q[RWC] = hc[0] - 0.25, L.desk_top + 0.04, hc[2] + 0.05
                Q[LWA], Q[LWB], Q[LWC] = 0.15, B.seat + 0.15, 0.25
        elif form == "hand_prop":
            ear = pts[LEAR] if roll_side > 0 else pts[REAR]
            w = vadd(ear, (0.0, -0.07, 0.03))
            if roll_side > 0:
                Q[LWA], Q[LWB], Q[LWC] = w
                Q[RWA], Q[RWB], Q[RWC] = -0.2, L.desk_top + 0.04, L.desk_edge + 0.12
            else:
                Q[RWA], Q[RWB], Q[RWC] = w
                Q[LWA], Q[LWB], Q[LWC] = 0.2, L.desk_top + 0.04, L.desk_edge + 0.12
        else:
            Q[LWA], Q[LWB], Q[LWC] = 0.25, L.desk_top + 0.04, L.desk_edge + 0.10
            Q[RWA], Q[RWB], Q[RWC] = -0.25, L.desk_top + 0.04, L.desk_edge + 0.10
        Q[WABS] = 0.0
        return Q

    def stand(self, P_from=None, look=0.0):
        P = list(self.P0)
        P[RISE] = 1.0
        P[PELV], P[LUMB], P[THOR] = 0.0, 2.0, 6.0
        P[HPITCH] = -4.0
        P[HYAW] = look
        B = self.B
        P[LWA], P[LWB], P[LWC] = 0.2, B.hip_stand - 0.05, 0.25
        P[RWA], P[RWB], P[RWC] = -0.2, B.hip_stand - 0.05, 0.25
        P[WABS] = 0.0
        return P


class Scenario:
    def __init__(self, rng, B, L, clerk, T, fps):
        self.rng, self.B, self.L, self.C, self.T = rng, B, L, clerk, T
        r = rng
        self.pers = {
            "slouch_per_h": U(r, 0.5, 6) if r.random() < 0.85 else 0.0,
            "head_per_h": U(r, 0.5, 4) if r.random() < 0.8 else 0.0,
            "rest_per_h": U(r, 0, 4),
            "away_per_h": U(r, 0, 1.4),
            "errand_per_h": U(r, 0, 4),
            "cross_per_h": U(r, 0, 5) if r.random() < 0.7 else 0.0,
            "ankle_per_h": U(r, 0, 3),
            "citizens_per_h": U(r, 2, 14),
            "p_prompt": U(r, 0.3, 0.97),
            "p_interrupt_slouch": U(r, 0.4, 0.9),
            "p_interrupt_head": U(r, 0.2, 0.8),
            "mobility": r.choices(["static", "some", "restless"], [0.3, 0.4, 0.3])[0],
            "brief_per_h": U(r, 5, 30),
            "glance_per_h": U(r, 0, 20),
        }
        self.build_chair()
        self.segs = []
        self.build_clerk()
        self.visits = []
        self.build_visits()
        self.finish()
        self.build_legs()

    # chair distance layer: piecewise regimes with 1-3 s rolls
    def build_chair(self):
        r, T = self.rng, self.T
        mob = self.pers["mobility"]
        knots = [(0.0, 0.0)]
        if mob != "static":
            mean = 360.0 if mob == "some" else 110.0
            t = r.expovariate(1.0 / mean) + 60
            d = 0.0
            while t < T:
                roll = U(r, 1.0, 3.0)
                nd = r.choice([U(r, 0.0, 0.12), U(r, 0.15, 0.4), U(r, 0.4, 0.7)])
                knots.append((t, d))
                knots.append((t + roll, nd))
                d = nd
                t += roll + r.expovariate(1.0 / mean) + 10
        self.chair_knots = knots
        self.chair_over = []           # (t0, t1, distance): the chair pushed back for a leg crossing
        self.chair_t = [k[0] for k in knots]

    def chair(self, t):
        for (a, b, d) in self.chair_over:
            if a - 2.0 <= t < b + 2.0:
                base = self.chair_base(t)
                w = smooth((t - a + 2.0) / 2.0) * smooth((b + 2.0 - t) / 2.0)
                return lerp(base, d, w)
        return self.chair_base(t)

    def chair_base(self, t):
        i = bisect.bisect_right(self.chair_t, t) - 1
        t0, d0 = self.chair_knots[i]
        if i + 1 < len(self.chair_knots):
            t1, d1 = self.chair_knots[i + 1]
            if t1 - t0 < 3.5 and d1 != d0:
                return lerp(d0, d1, smooth((t - t0) / (t1 - t0)))
        return d0

    def busy_form(self, t):
        r = self.rng
        d = self.chair(t)
        return r.choice(BUSY_FAR if d > 0.28 else BUSY_CLOSE)

    def build_clerk(self):
        r, T, C, p = self.rng, self.T, self.C, self.pers
        segs = self.segs
        t = 0.0
        warm = min(U(r, 300, 480), 0.4 * T)
        while t < warm:
            f = self.busy_form(t)
            d = U(r, 25, 160)
            segs.append(Seg("upright", f, t, min(t + d, warm), C.busy(f, self.chair(t)), U(r, 1, 4)))
            t += d
        t = warm
        rates = [("slouch", p["slouch_per_h"]), ("head", p["head_per_h"]), ("rest", p["rest_per_h"]),
                 ("away", p["away_per_h"]), ("errand", p["errand_per_h"]), ("brief", p["brief_per_h"]),
                 ("glance", p["glance_per_h"])]
        tot = sum(x[1] for x in rates) / 3600.0
        last_glance = -1e9
        while t < T:
            gap = r.expovariate(tot) if tot > 0 else T
            end_busy = min(T, t + gap)
            while t < end_busy - 5:
                f = self.busy_form(t)
                d = min(U(r, 25, 200), end_busy - t)
                segs.append(Seg("upright", f, t, t + d, C.busy(f, self.chair(t)), U(r, 1, 4)))
                t += d
            if t >= T:
                break
            what = r.choices([x[0] for x in rates], [x[1] for x in rates])[0]
            if what == "slouch":
                f = r.choice(SLOUCH_FORMS)
                d = clamp(r.lognormvariate(math.log(110), 0.75), 15, 900)
                P, target = C.slouch(f)
                segs.append(Seg("slouch", f, t, t + d, P, U(r, 2, 6), info={"target_ratio": round(target, 3)}))
                t += d
            elif what in ("head", "rest"):
                f = r.choice(HEAD_FORMS)
                d = clamp(r.lognormvariate(math.log(240), 0.8), 25, 1200) if what == "head" else U(r, 6, 25)
                bl = U(r, 2, 5)
                segs.append(Seg(what, f, t, t + d + bl, C.head(f), bl))
                t += d + bl
                segs.append(Seg("upright", "typing", t, t + U(r, 3, 8), C.busy("typing", 0), U(r, 2, 4)))
                t = segs[-1].t1
            elif what in ("away", "errand"):
                t = self.away(t, what)
            elif what == "brief":
                f = r.choice(("reach", "drink", "stretch"))
                d = U(r, 3, 10)
                segs.append(Seg("upright", f, t, t + d, C.busy(f, self.chair(t)), U(r, 1, 2)))
                t += d
            elif what == "glance" and t - last_glance > 60 and segs and segs[-1].kind == "upright":
                d = U(r, 4, 20)
                segs.append(Seg("upright", "glance_down", t, t + d, C.busy("glance_down", 0), U(r, 0.8, 2)))
                t += d
                last_glance = t
        # trim
        out = []
        for s in segs:
            if s.t0 >= T:
                break
            s.t1 = min(s.t1, T)
            if s.t1 > s.t0:
                out.append(s)
        self.segs = out

    def away(self, t, what):
        """Rise, walk out (to a visible place outside both areas or out of view), stay, walk back, sit."""
        r, C, L, B = self.rng, self.C, self.L, self.B
        if what == "away":
            form = r.choice(AWAY_FORMS)
            stay = clamp(r.lognormvariate(math.log(330), 0.7), 60, 1500)
        else:
            form = r.choice(("cabinet", "printer", "side_exit"))
            stay = U(r, 8, 60)
        side = r.choice([-1, 1])
        z0 = -self.chair(t)
        if form == "side_exit":
            way = [(side * 1.2, z0 - 0.5), (side * 6.0, z0 - 0.8), (side * 40.0, -1.0)]
        elif form == "back_office":
            way = [(side * 0.5, -1.3), (side * 0.6, -3.2), (side * 0.6, -40.0)]
        elif form == "cabinet":
            way = [(side * 1.0, z0 - 0.5), (side * U(r, 1.5, 2.6), U(r, -1.6, -0.3))]
        else:
            way = [(side * 1.0, z0 - 0.4), (side * U(r, 1.6, 2.8), U(r, -0.6, 0.3))]
        kind = "away" if what == "away" else "errand"
        segs = self.segs
        Pst = C.stand()
        rise = U(r, 1.2, 2.0)
        segs.append(Seg(kind, form, t, t + rise, Pst, rise, info={"phase": "rise"}))
        t += rise
        prev = (0.0, z0)
        path = []
        for (x, z) in way:
            path.append((x, z))
        for i, (x, z) in enumerate(path):
            dist = hypot(x - prev[0], z - prev[1])
            if dist > 8:
                dur = U(r, 0.5, 1.0)      # out of view: jump far away
            else:
                dur = dist / U(r, 0.8, 1.3)
            P = list(Pst)
            P[RX], P[RZ], P[WCH] = x, z, 0.0
            P[YAW] = math.degrees(atan2(x - prev[0], z - prev[1])) - C.yaw0
            segs.append(Seg(kind, form, t, t + dur, P, 0.6, walk=dist <= 8, info={"phase": "out"}))
            t += dur
            prev = (x, z)
        P = list(Pst)
        P[RX], P[RZ], P[WCH] = prev[0], prev[1], 0.0
        P[YAW] = (180.0 if form in ("cabinet", "printer") else 0.0) - C.yaw0
        segs.append(Seg(kind, form, t, t + stay, P, 1.0, info={"phase": "there"}))
        t += stay
        back = list(reversed(path[:-1])) + [(0.0, z0)]
        for (x, z) in back:
            dist = hypot(x - prev[0], z - prev[1])
            dur = U(r, 0.5, 1.0) if dist > 8 else dist / U(r, 0.8, 1.3)
            P = list(Pst)
            P[RX], P[RZ], P[WCH] = x, z, 0.0
            if (x, z) == (0.0, z0):
                P[RZ], P[WCH] = 0.0, 1.0       # back at the chair, which is where the chair layer says
            P[YAW] = math.degrees(atan2(x - prev[0], z - prev[1])) - C.yaw0
            segs.append(Seg(kind, form, t, t + dur, P, 0.6, walk=dist <= 8, info={"phase": "back"}))
            t += dur
            prev = (x, z)
        P = list(C.P0)
        sit = U(r, 1.2, 2.0)
        segs.append(Seg(kind, form, t, t + sit, P, sit, info={"phase": "sit"}))
        return t + sit

    def build_visits(self):
        """Citizens at the counter; the clerk's response is spliced into the segments."""
        r, T, L, p = self.rng, self.T, self.L, self.pers
        t = r.expovariate(p["citizens_per_h"] / 3600.0) + 30
        while t < T:
            stay = clamp(r.lognormvariate(math.log(170), 0.75), 35, 720)
            side = r.choice([-1, 1])
            walk_in = U(r, 2.5, 5.0)
            spot = (U(r, -0.35, 0.35), L.far + U(r, 0.25, 0.6))
            v = {"t_enter": t, "arrive": t + walk_in, "leave": t + walk_in + stay, "side": side, "spot": spot,
                 "sit": r.random() < 0.2, "hands": r.choice(["ledge", "hang", "papers"]),
                 "companion": r.random() < 0.12, "stature": U(r, 1.5, 1.9)}
            rr = r.random()
            if rr < p["p_prompt"]:
                v["plan"] = "stays_up" if r.random() < 0.15 else "prompt"
            else:
                v["plan"] = r.choices(["late", "none", "half_rise"], [0.4, 0.4, 0.2])[0]
            self.visits.append(v)
            t = v["leave"] + U(r, 3, 6) + r.expovariate(p["citizens_per_h"] / 3600.0)
        for v in self.visits:
            self.respond(v)

    def seg_at(self, t):
        for i, s in enumerate(self.segs):
            if s.t0 <= t < s.t1:
                return i
        return None

    def splice(self, t0, t1, new, resume=None):
        """Replaces [t0, t1) with new segments; the segment cut at t1 resumes (or becomes `resume`)."""
        out = []
        for s in self.segs:
            if s.t1 <= t0 or s.t0 >= t1:
                out.append(s)
                continue
            if s.t0 < t0:
                a = Seg(s.kind, s.form, s.t0, t0, s.P, s.blend, s.walk, s.info)
                out.append(a)
            if s.t1 > t1:
                if resume is not None:
                    b = Seg("upright", resume, t1, s.t1, self.C.busy(resume, self.chair(t1)), 2.0)
                else:
                    b = Seg(s.kind, s.form, t1, s.t1, s.P, 2.0, s.walk, s.info)
                out.append(b)
        out.extend(new)
        out.sort(key=lambda s: s.t0)
        self.segs = out

    def respond(self, v):
        r, C, T = self.rng, self.C, self.T
        ta = v["arrive"]
        if ta >= T:
            v["label"] = v["plan"]
            return
        i = self.seg_at(ta)
        s = self.segs[i] if i is not None else None
        kind = s.kind if s else "upright"
        label = v["plan"]
        plan = v["plan"]
        if kind in ("slouch", "head", "rest"):
            pint = self.pers["p_interrupt_head"] if kind in ("head", "rest") else self.pers["p_interrupt_slouch"]
            if r.random() < pint:
                label = "interrupted_" + kind
                react = U(r, 1, 8) if kind == "slouch" else U(r, 3, 15)
                stand = r.random() < self.pers["p_prompt"]
                self.greet(ta + react, v, "prompt" if stand else "sit_up", resume="talking", kind_cut=kind)
                v["label"] = label
                return
            label = "while_" + kind
            if r.random() < 0.5 and s.t1 < v["leave"] - 5:
                self.greet(s.t1 + U(r, 1, 5), v, "prompt")
            v["label"] = label
            return
        if kind in ("away", "errand"):
            v["label"] = "while_" + kind
            return
        if kind == "greet":
            v["label"] = "during_greet"
            return
        if plan in ("prompt", "stays_up"):
            self.greet(ta + U(r, 0.3, 2.5), v, plan)
        elif plan == "late":
            self.greet(ta + U(r, 25, 90), v, "prompt")
        elif plan == "half_rise":
            self.greet(ta + U(r, 1, 5), v, "half_rise")
        v["label"] = label

    def greet(self, t, v, how, resume=None, kind_cut=None):
        r, C = self.rng, self.C
        if t >= min(self.T, v["leave"]):
            return
        i = self.seg_at(t)
        if i is not None and self.segs[i].kind in ("away", "errand", "greet"):
            return
        if how == "sit_up":
            d = U(r, 20, 60)
            self.splice(t, t + d, [Seg("upright", "talking", t, t + d, C.busy("talking", 0), 2.0)], resume=resume)
            return
        look = clamp(-C.yaw0, -20, 20)
        if how == "half_rise":
            P = C.stand(look=look)
            P[RISE] = U(r, 0.2, 0.4)
            d = U(r, 1.5, 3)
            new = [Seg("greet", "half_rise", t, t + d, P, d * 0.6),
                   Seg("greet", "half_rise", t + d, t + d + 2.0, C.busy("talking", 0), 1.8)]
            self.splice(t, t + d + 2.0, new, resume=resume)
            return
        rise = U(r, 1.2, 2.2)
        up = (v["leave"] - t) if how == "stays_up" else U(r, 4, 25)
        up = max(2.0, min(up, self.T - t))
        new = [Seg("greet", how, t, t + rise, C.stand(look=look), rise),
               Seg("greet", how, t + rise, t + rise + up, C.stand(look=look * 0.5), 1.0)]
        sit = U(r, 1.2, 2.0)
        new.append(Seg("greet", how, t + rise + up, t + rise + up + sit, C.busy("talking", 0), sit))
        self.splice(t, t + rise + up + sit, new, resume=resume if kind_cut else None)

    def finish(self):
        T = self.T
        segs = [s for s in self.segs if s.t1 > s.t0 + 1e-6 and s.t0 < T]
        for s in segs:
            s.t1 = min(s.t1, T)
        # contiguous
        fixed = []
        for s in segs:
            if fixed and s.t0 > fixed[-1].t1 + 1e-9:
                fixed[-1].t1 = s.t0
            if fixed and s.t0 < fixed[-1].t1:
                s.t0 = fixed[-1].t1
                if s.t1 <= s.t0:
                    continue
            fixed.append(s)
        fixed[0].t0 = 0.0
        fixed[-1].t1 = T
        self.segs = fixed
        prev = list(self.C.P0)
        for s in fixed:
            s.Pstart = prev
            prev = self.eval_seg(s, s.t1, base=True)
        self.seg_t0 = [s.t0 for s in fixed]

    def eval_seg(self, s, t, base=False):
        u = t - s.t0
        dur = max(1e-6, s.t1 - s.t0)
        bl = min(s.blend, dur)
        w = smooth(u / bl) if bl > 0 else 1.0
        A, Bv = s.Pstart, s.P
        P = [a + (b - a) * w for a, b in zip(A, Bv)]
        if s.walk:
            lw = clamp(u / dur, 0, 1)
            P[RX] = lerp(A[RX], Bv[RX], lw)
            P[RZ] = lerp(A[RZ], Bv[RZ], lw)
        return P

    def build_legs(self):
        r, T, B, p = self.rng, self.T, self.B, self.pers
        segs = []
        t = 0.0
        base_c = 0.42 * B.H / 1.7
        hw = B.hip_w / 2

        def neutral(form):
            if form == "neutral":
                return (hw + 0.03, base_c, -hw - 0.03, base_c, 0.0, 1, 0)
            if form == "tucked":
                return (hw + 0.02, base_c - 0.17, -hw - 0.02, base_c - 0.14, 0.0, 1, 0)
            if form == "extended":
                return (hw + 0.05, base_c + 0.22, -hw - 0.05, base_c + 0.2, 0.0, 1, 0)
            if form == "apart":
                return (hw + 0.18, base_c + 0.02, -hw - 0.18, base_c, 0.0, 1, 0)
            # ankles crossed: feet on the floor, one ankle over the other
            return (-0.02, base_c + 0.12, 0.02, base_c + 0.1, 0.0, 1, 0)
        rate = (p["cross_per_h"] + p["ankle_per_h"]) / 3600.0
        while t < T:
            f = r.choice(["neutral", "neutral", "tucked", "extended", "apart"])
            d = r.expovariate(rate) if rate > 0 else T
            d = max(d, U(r, 20, 60))
            segs.append((t, min(T, t + d), f, neutral(f)))
            t += d
            if t >= T:
                break
            if r.random() < p["cross_per_h"] / max(1e-9, p["cross_per_h"] + p["ankle_per_h"]):
                f = r.choice(["knee_over_knee", "knee_over_knee", "figure_four"])
                side = r.choice([-1, 1])
                st = neutral("neutral")
                st = (st[0], st[1], st[2], st[3], 1.0, side, 1 if f == "figure_four" else 0)
                d = clamp(r.lognormvariate(math.log(150), 0.8), 10, 1200)
                if r.random() < 0.4:
                    self.chair_over.append((t - 1.0, min(T, t + d) + 1.0, U(r, 0.45, 0.8)))
            else:
                f = "ankles_crossed"
                st = neutral(f)
                d = clamp(r.lognormvariate(math.log(120), 0.7), 10, 900)
            segs.append((t, min(T, t + d), f, st))
            t += d
        self.legs = segs
        self.legs_t = [s[0] for s in segs]
        # starts for blending
        starts = []
        prev = neutral("neutral")
        for (a, b, f, st) in segs:
            starts.append(prev)
            prev = st
        self.legs_start = starts

    def legs_at(self, t):
        i = max(0, bisect.bisect_right(self.legs_t, t) - 1)
        a, b, f, st = self.legs[i]
        A = self.legs_start[i]
        w = smooth((t - a) / 2.0)
        if A[4] > 0 and st[4] > 0 and (A[5], A[6]) != (st[5], st[6]):
            A = (A[0], A[1], A[2], A[3], 0.0, st[5], st[6])
        side, fig = (st[5], st[6]) if st[4] > 0 else (A[5], A[6])
        return (lerp(A[0], st[0], w), lerp(A[1], st[1], w), lerp(A[2], st[2], w), lerp(A[3], st[3], w),
                lerp(A[4], st[4], w), side, fig), f


# ---------------------------------------------------------------------------------------------- others
class Other:
    """Someone who is not the clerk: a citizen, a companion, a passer-by or the colleague."""

    def __init__(self, rng, role, t0, t1, path, yaw_static, seated=False, hands="hang", stature=None, label=None):
        self.B = Body(rng, stature)
        self.role, self.t0, self.t1, self.path, self.yaw_static = role, t0, t1, path, yaw_static
        self.seated, self.hands, self.label = seated, hands, label
        self.phase0 = U(rng, 0, 6.28)
        self.cache = None
        self.sway = U(rng, 0.005, 0.02)

    def joints(self, t):
        # path: list of (t, x, z); walking between knots, standing at the end
        path = self.path
        i = 0
        while i + 1 < len(path) and path[i + 1][0] <= t:
            i += 1
        if i + 1 < len(path):
            (ta, xa, za), (tb, xb, zb) = path[i], path[i + 1]
            w = (t - ta) / max(1e-6, tb - ta)
            x, z = lerp(xa, xb, w), lerp(za, zb, w)
            moving = hypot(xb - xa, zb - za) > 0.05
            yaw = math.degrees(atan2(xb - xa, zb - za)) if moving else self.yaw_static
        else:
            x, z, moving, yaw = path[-1][1], path[-1][2], False, self.yaw_static
        if moving:
            P = self.pose(False)
            return fk(self.B, P, yaw, 0.0, (0.1, 0.1, -0.1, 0.1, 0, 1, 0), gait=1.0, phase=t * 5.5 + self.phase0) + (True, (x, z))
        if self.cache is None or self.cache[0] != (x, z, yaw):
            P = self.pose(self.seated)
            self.cache = ((x, z, yaw), fk(self.B, P, yaw, 0.0, neutral_legs(self.B)))
        pts, ex, ax = self.cache[1]
        dx = self.sway * sin(t * 0.7 + self.phase0)
        pts = [(p[0] + dx, p[1], p[2]) for p in pts]
        ex = [(p[0] + dx, p[1], p[2]) for p in ex]
        return pts, ex, ax, False, (x, z)

    def pose(self, seated):
        B = self.B
        P = [0.0] * NP
        P[RISE] = 0.0 if seated else 1.0
        P[LUMB], P[THOR], P[NECK] = 2.0, 6.0, 8.0
        if self.hands == "ledge" and not seated:
            P[LWA], P[LWB], P[LWC] = 0.2, B.hip_stand + 0.15, 0.45
            P[RWA], P[RWB], P[RWC] = -0.2, B.hip_stand + 0.15, 0.45
        elif self.hands == "papers":
            P[LWA], P[LWB], P[LWC] = 0.12, B.hip_stand + 0.25, 0.4
            P[RWA], P[RWB], P[RWC] = -0.12, B.hip_stand + 0.25, 0.4
        elif seated:
            P[LWA], P[LWB], P[LWC] = 0.15, B.seat + 0.2, 0.3
            P[RWA], P[RWB], P[RWC] = -0.15, B.seat + 0.2, 0.3
        else:
            P[LWA], P[LWB], P[LWC] = 0.25, B.hip_stand - 0.1, 0.05
            P[RWA], P[RWB], P[RWC] = -0.25, B.hip_stand - 0.1, 0.05
        P[RX] = 0.0
        return P

    def place(self, res, x, z):
        pts, ex, ax, moving, _ = res
        return [(p[0] + x, p[1], p[2] + z) for p in pts], [(p[0] + x, p[1], p[2] + z) for p in ex], ax, moving


def build_others(rng, sc, L, T):
    others = []
    for v in sc.visits:
        if v["t_enter"] >= T:
            continue
        sx, sz = v["spot"]
        side = v["side"]
        x_in = side * 4.0
        walk_in = v["arrive"] - v["t_enter"]
        path = [(v["t_enter"], x_in, sz + 0.5), (v["arrive"], sx, sz), (v["leave"], sx, sz),
                (v["leave"] + walk_in, -x_in, sz + 0.6)]
        o = Other(rng, "citizen", v["t_enter"], v["leave"] + walk_in, path, 180.0, seated=v["sit"], hands=v["hands"],
                  stature=v["stature"], label=v.get("label"))
        others.append(o)
        if v["companion"]:
            cx = sx + rng.choice([-1, 1]) * U(rng, 0.55, 0.8)
            cz = sz + U(rng, 0.2, 0.6)
            path2 = [(v["t_enter"], x_in, sz + 0.9), (v["arrive"] + 1, cx, cz), (v["leave"], cx, cz),
                     (v["leave"] + walk_in, -x_in, sz + 0.9)]
            others.append(Other(rng, "companion", v["t_enter"], v["leave"] + walk_in, path2, 180.0 + U(rng, -30, 30)))
    n = int(rng.expovariate(1.0) * U(rng, 0, 12) * T / 3600.0) if rng.random() < 0.8 else 0
    for _ in range(n):
        t0 = U(rng, 0, T)
        behind = rng.random() < 0.5
        z = U(rng, -2.6, -1.3) if behind else L.far + U(rng, 1.1, 2.6)
        sp = U(rng, 0.8, 1.4)
        d = rng.choice([-1, 1])
        path = [(t0, -d * 4.5, z), (t0 + 9.0 / sp, d * 4.5, z)]
        others.append(Other(rng, "passer", t0, t0 + 9.0 / sp, path, 0.0))
    if rng.random() < 0.4:
        x = rng.choice([-1, 1]) * U(rng, 1.55, 2.2)
        o = Other(rng, "colleague", 0.0, T + 1, [(0.0, x, U(rng, 0.0, 0.25))], U(rng, -25, 25), seated=True)
        others.append(o)
    return others


# ---------------------------------------------------------------------------------------------- detector
class Detector:
    """Imitates a top-down pipeline: a person detector (own misses, box jitter, ghosts, duplicates), then a
    pose network on each expanded box (keypoints confined to the crop, hidden joints guessed from a
    seated-person prior, jitter scaled by the box, confidences that fall with occlusion and light)."""

    def __init__(self, rng, cam, T):
        r = rng
        self.rng, self.cam = rng, cam
        self.p = {
            "qm": U(r, 0.12, 0.40), "rho": U(r, 0.2, 0.6), "hall_conf": U(r, 0.12, 0.42),
            "wrong_rate": U(r, 0.0, 0.04), "miss_base": U(r, 0.0005, 0.006), "miss_exit": U(r, 0.15, 0.5),
            "limb_swap": U(r, 0.001, 0.008), "back_swap": U(r, 0.05, 0.4), "dup_rate": U(r, 0.0, 0.008),
            "drop": U(r, 0.001, 0.012), "crowd": U(r, 0.2, 0.7), "min_px": U(r, 25, 45),
            "misloc": U(r, 0.002, 0.01),
            "light": U(r, 0.35, 0.6) if r.random() < 0.25 else U(r, 0.6, 1.0),
            "light_drift": U(r, 0.0, 0.12), "light_period": U(r, 600, 3000),
            "outages_per_h": U(r, 0, 2),
            "ghosts": r.choices([0, 1, 2, 3], [0.35, 0.35, 0.2, 0.1])[0],
        }
        p = self.p
        self.dim = None
        if r.random() < 0.15:
            a = U(r, 0, T)
            self.dim = (a, a + U(r, 60, 600))
        self.outages = []
        t = r.expovariate(p["outages_per_h"] / 3600.0) if p["outages_per_h"] > 0 else T
        while t < T:
            d = U(r, 4, 150)
            self.outages.append((t, t + d))
            t += d + r.expovariate(p["outages_per_h"] / 3600.0)
        W, H = cam.W, cam.H
        self.ghost_sites = []
        for _ in range(p["ghosts"]):
            w = U(r, 0.05, 0.2) * W
            h = w * U(r, 1.2, 2.5)
            x, y = U(r, 0, W - w), U(r, 0, max(1, H - h))
            self.ghost_sites.append({"box": (x, y, x + w, y + h), "duty": U(r, 0.02, 0.2), "on": False,
                                     "score": U(r, 0.15, 0.55)})
        self.state = {}
        self.tab = [r.gauss(0, 1) for _ in range(65537)]

    def record(self):
        d = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.p.items()}
        d["dim"] = [round(x, 1) for x in self.dim] if self.dim else None
        d["outages"] = [[round(a, 1), round(b, 1)] for a, b in self.outages]
        return d

    def light(self, t):
        p = self.p
        L = p["light"] + p["light_drift"] * sin(2 * math.pi * t / p["light_period"])
        if self.dim and self.dim[0] <= t < self.dim[1]:
            L *= 0.5
        return clamp(L, 0.15, 1.0)

    def st(self, pid, back):
        s = self.state.get(pid)
        if s is None:
            r = self.rng
            s = {"ex": [0.0] * 17, "ey": [0.0] * 17, "hx": [r.gauss(0, 1) for _ in range(17)],
                 "hy": [r.gauss(0, 1) for _ in range(17)], "miss": False, "swap": False, "wrong": False,
                 "bj": [0.0] * 4}
            self.state[pid] = s
        return s

    def person(self, pid, img, vis, why, occ_pts, back, t, L, motion=None):
        """img: 17 (u,v) or None; vis: geometric visibility; why: reason for hidden joints;
        occ_pts: {j: (u,v)} joints of an occluding person at this joint. Returns (box, score, kps) or None."""
        r, p, cam = self.rng, self.p, self.cam
        W, H = cam.W, cam.H
        s = self.st(pid, back)
        tab = self.tab
        k0 = r.randrange(65537 - 100)
        pts = [(q[0], q[1]) if q is not None else None for q in img]
        vi = [j for j in range(17) if vis[j]]
        nv = len(vi)
        if nv < 3:
            s["miss"] = False
            return None
        xs = [pts[j][0] for j in vi]
        ys = [pts[j][1] for j in vi]
        x1, x2, y1, y2 = min(xs), max(xs), min(ys), max(ys)
        bw0, bh0 = max(x2 - x1, 8.0), max(y2 - y1, 8.0)
        headv = any(vis[j] for j in FACE)
        y1 -= (0.45 if headv else 0.08) * bw0 * 0.6
        x1, x2, y2 = x1 - 0.1 * bw0, x2 + 0.1 * bw0, y2 + 0.06 * bh0
        bw, bh = x2 - x1, y2 - y1
        # detector stage: misses in bursts
        vf = (nv + sum(1 for j in (LSH, RSH, LHIP, RHIP) if vis[j])) / 21.0
        pm = p["miss_base"] * (1 + 4 * (vf < 0.35)) * (1 + 3 * (bh < p["min_px"])) * (1 + 2 * (1 - L))
        if s["miss"]:
            if r.random() < p["miss_exit"]:
                s["miss"] = False
        elif r.random() < pm:
            s["miss"] = True
        if s["miss"]:
            return None
        bj = s["bj"]
        for k in range(4):
            bj[k] = 0.8 * bj[k] + 0.6 * r.gauss(0, 1)
        js = 0.025 * p["qm"] / 0.25
        x1 += bj[0] * js * bw
        x2 += bj[1] * js * bw
        y1 += bj[2] * js * bh
        y2 += bj[3] * js * bh
        x1, y1, x2, y2 = clamp(x1, 0, W), clamp(y1, 0, H), clamp(x2, 0, W), clamp(y2, 0, H)
        if x2 - x1 < 4 or y2 - y1 < 4:
            return None
        bw, bh = x2 - x1, y2 - y1
        size_f = clamp(bh / 160.0, 0.45, 1.0)
        lf = 0.55 + 0.45 * L
        score = clamp(0.25 + 0.6 * sqrt(vf) * (0.5 + 0.5 * size_f) * lf + r.gauss(0, 0.04), 0.05, 0.99)
        # pose stage on the crop expanded by 1.25
        ecx, ecy = (x1 + x2) / 2, (y1 + y2) / 2
        ex1, ex2 = max(0.0, ecx - 0.625 * bw), min(float(W), ecx + 0.625 * bw)
        ey1, ey2 = max(0.0, ecy - 0.625 * bh), min(float(H), ecy + 0.625 * bh)
        sc_ = sqrt(bw * bh)
        nl = 1 + 0.8 * (1 - L)
        rho = p["rho"]
        innov = sqrt(1 - rho * rho)
        if r.random() < 0.01:
            s["wrong"] = r.random() < p["wrong_rate"]
        # a plausible seated prior for hidden legs (always uncrossed)
        def at(j):
            return pts[j] if pts[j] is not None else None
        shc = at(LSH) and at(RSH) and ((pts[LSH][0] + pts[RSH][0]) / 2, (pts[LSH][1] + pts[RSH][1]) / 2)
        hpc = at(LHIP) and at(RHIP) and ((pts[LHIP][0] + pts[RHIP][0]) / 2, (pts[LHIP][1] + pts[RHIP][1]) / 2)
        tor = hypot(shc[0] - hpc[0], shc[1] - hpc[1]) if shc and hpc else 0.5 * bh
        kps = []
        ex_, ey_, hx, hy = s["ex"], s["ey"], s["hx"], s["hy"]
        for j in range(17):
            ex_[j] = rho * ex_[j] + innov * tab[k0 + 2 * j]
            ey_[j] = rho * ey_[j] + innov * tab[k0 + 2 * j + 1]
            q = pts[j]
            if vis[j]:
                sd = 2 * SIGMA[j] * sc_ * p["qm"] * nl
                if motion and motion[j] > 0.35:
                    sd *= 1.4
                x, y = q[0] + ex_[j] * sd, q[1] + ey_[j] * sd
                c = BASE_CONF[j] * lf * (0.7 + 0.3 * size_f) + 0.05 * tab[k0 + 76 + j]
                if motion and motion[j] > 0.35:
                    c *= 0.85
                if r.random() < p["misloc"]:
                    x += r.gauss(0, 0.25 * sc_)
                    y += r.gauss(0, 0.25 * sc_)
            else:
                reason = why[j]
                if reason == "person" and j in occ_pts and r.random() < p["crowd"]:
                    o = occ_pts[j]
                    x, y = o[0] + ex_[j] * 3, o[1] + ey_[j] * 3
                    c = U(r, 0.35, 0.75)
                elif reason == "far_side" and q is not None:
                    # a top-down network places a turned-away shoulder, elbow or hip well, with less confidence
                    x, y = q[0] + ex_[j] * 0.05 * sc_, q[1] + ey_[j] * 0.05 * sc_
                    c = U(r, 0.25, 0.6) * lf
                elif reason == "frame" and q is not None:
                    x, y = clamp(q[0], 0, W), clamp(q[1], 0, H)
                    c = U(r, 0.02, 0.2)
                else:
                    hxj, hyj = hx[j], hy[j]
                    hx[j] = 0.97 * hxj + 0.243 * tab[k0 + 40 + 2 * j]
                    hy[j] = 0.97 * hyj + 0.243 * tab[k0 + 41 + 2 * j]
                    if j in (LKN, RKN, LAN, RAN) and hpc:
                        hip = pts[LHIP] if j in (LKN, LAN) else pts[RHIP]
                        dy = 0.55 * tor if j in (LKN, RKN) else 1.25 * tor
                        x, y = hip[0] + hxj * 0.05 * sc_, hip[1] + dy + hyj * 0.05 * sc_
                        c = U(r, 0.6, 0.78) if s["wrong"] else p["hall_conf"] + r.gauss(0, 0.07)
                    elif q is not None:
                        x, y = q[0] + hxj * 0.08 * sc_, q[1] + hyj * 0.08 * sc_
                        c = (p["hall_conf"] * (0.6 if j in FACE else 1.0)) + r.gauss(0, 0.07)
                    else:
                        x, y = ecx + hxj * 0.2 * bw, ecy + hyj * 0.2 * bh
                        c = U(r, 0.02, 0.15)
                    c *= lf
            x = clamp(x, ex1, ex2)
            y = clamp(y, ey1, ey2)
            kps.append([x, y, clamp(c, 0.01, 0.99)])
        # left/right confusions
        if back:
            if r.random() < 0.05:
                s["swap"] = r.random() < p["back_swap"]
        elif r.random() < 0.02:
            s["swap"] = r.random() < 0.01
        if s["swap"]:
            kps = [kps[FLIP[j]] for j in range(17)]
        if r.random() < p["limb_swap"]:
            a = r.choice((LEL, LWR, LKN, LAN, LHIP))
            b = FLIP[a]
            kps[a], kps[b] = kps[b], kps[a]
        return [x1, y1, x2, y2], score, kps

    def extras(self, t, outs):
        """Ghost boxes and duplicate boxes (NMS failures)."""
        r, p = self.rng, self.p
        W, H = self.cam.W, self.cam.H
        add = []
        for g in self.ghost_sites:
            if g["on"]:
                if r.random() < 0.05:
                    g["on"] = False
            elif r.random() < 0.05 * g["duty"] / max(1e-3, 1 - g["duty"]):
                g["on"] = True
            if g["on"]:
                x1, y1, x2, y2 = g["box"]
                kps = [[clamp(U(r, x1, x2), 0, W), clamp(U(r, y1, y2), 0, H), clamp(r.gauss(0.2, 0.12), 0.01, 0.7)] for _ in range(17)]
                add.append(([x1, y1, x2, y2], clamp(g["score"] + r.gauss(0, 0.05), 0.02, 0.9), kps))
        if outs and r.random() < p["dup_rate"]:
            b, sc, kps = outs[0]
            dx, dy = r.gauss(0, 0.08) * (b[2] - b[0]), r.gauss(0, 0.08) * (b[3] - b[1])
            nb = [clamp(b[0] + dx, 0, W), clamp(b[1] + dy, 0, H), clamp(b[2] + dx, 0, W), clamp(b[3] + dy, 0, H)]
            if nb[2] > nb[0] and nb[3] > nb[1]:
                k2 = [[clamp(k[0] + dx + r.gauss(0, 3), 0, W), clamp(k[1] + dy + r.gauss(0, 3), 0, H), k[2] * 0.7] for k in kps]
                add.append((nb, sc * U(r, 0.4, 0.8), k2))
        return add


# --------------------------------------------------------------------------------------------- visibility
def visibility(cam, pts, ex, ax, occ):
    """Per joint: (img list, vis list, why list). Furniture by 3-D sight lines; face and far side by facing."""
    img = [cam.project(p) for p in pts]
    vis = [False] * 17
    why = ["frame"] * 17
    W, H = cam.W, cam.H
    C = cam.pos
    hf, hl, bl = ax
    hc = ex[2]
    tc = vnorm(vsub(C, hc))
    fdot = vdot(hf, tc)
    ldot = vdot(hl, tc)
    bdot = bl[0] * tc[0] + bl[2] * tc[2]
    for j in range(17):
        q = img[j]
        if q is None or not (0 <= q[0] <= W and 0 <= q[1] <= H):
            continue
        why[j] = "self"
        if j == NOSE and fdot < 0.15:
            continue
        if j in (LEYE, REYE):
            sgn = 1 if j == LEYE else -1
            if fdot + 0.35 * sgn * ldot < 0.2:
                continue
        if j in (LEAR, REAR):
            sgn = 1 if j == LEAR else -1
            if sgn * ldot < -0.35 and fdot > -0.2:
                continue
        if j in (LSH, LEL, LHIP) and bdot < -0.8:
            why[j] = "far_side"
            continue
        if j in (RSH, REL, RHIP) and bdot > 0.8:
            why[j] = "far_side"
            continue
        p = pts[j]
        blocked = False
        u, v = q[0], q[1]
        for b in occ:
            bb = b.img_bb
            if bb is not None and not (bb[0] <= u <= bb[2] and bb[1] <= v <= bb[3]):
                continue
            if b.seg_hits(C, p):
                blocked = True
                break
        if blocked:
            why[j] = "furniture"
            continue
        vis[j] = True
        why[j] = ""
    # wrists under or behind the head
    for j in (LWR, RWR):
        if vis[j]:
            p = pts[j]
            d = vsub(p, C)
            L = vlen(d)
            u = vmul(d, 1 / L)
            w = vsub(hc, C)
            tt = vdot(w, u)
            if 0 < tt < L and vlen(vsub(w, vmul(u, tt))) < 0.10:
                vis[j] = False
                why[j] = "self"
    return img, vis, why


def person_occlusion(img_near, img_far, vis_far, why_far, head_r):
    """Hides joints of a farther person that fall inside a nearer person's torso quad or head disc.
    Returns {joint: the nearer person's same joint position} for crowding confusions."""
    occ_pts = {}
    q = [img_near[j] for j in (LSH, RSH, RHIP, LHIP)]
    if any(v is None for v in q):
        return occ_pts
    cx = sum(v[0] for v in q) / 4
    cy = sum(v[1] for v in q) / 4
    quad = [(cx + (v[0] - cx) * 1.35, cy + (v[1] - cy) * 1.15) for v in q]
    hd = img_near[NOSE] if img_near[NOSE] else None
    ear = [img_near[LEAR], img_near[REAR]]
    if ear[0] and ear[1]:
        hd = ((ear[0][0] + ear[1][0]) / 2, (ear[0][1] + ear[1][1]) / 2)
    xs = [v[0] for v in quad]
    ys = [v[1] for v in quad]
    bx1, bx2, by1, by2 = min(xs), max(xs), min(ys), max(ys)
    for j in range(17):
        if not vis_far[j]:
            continue
        p = img_far[j]
        hit = False
        if bx1 <= p[0] <= bx2 and by1 <= p[1] <= by2 and in_poly((p[0], p[1]), quad):
            hit = True
        elif hd and (p[0] - hd[0]) ** 2 + (p[1] - hd[1]) ** 2 < head_r * head_r:
            hit = True
        if hit:
            vis_far[j] = False
            why_far[j] = "person"
            if img_near[j]:
                occ_pts[j] = (img_near[j][0], img_near[j][1])
    return occ_pts


# ------------------------------------------------------------------------------------------------- truth
def machine(cond, fps, min_s, exit_s, T, hold=None):
    """docs/rules.md state machine over per-frame booleans. Returns [(i_start, i_last or None=run end)]."""
    ev = []
    state = 0
    start = last = 0
    need = int(round(min_s * fps))
    ex = int(round(exit_s * fps))
    n = len(cond)
    for i in range(n):
        c = cond[i]
        if state == 0:
            if c:
                state, start, last = 1, i, i
        elif state == 1:
            if c:
                last = i
                if i - start >= need:
                    state = 2
            else:
                state = 0
        else:
            h = hold[i] if hold is not None else c
            if h:
                last = i
            elif i - last >= ex:
                ev.append((start, last))
                state = 0
                if c:
                    state, start, last = 1, i, i
    if state == 2:
        ev.append((start, None))
    return ev


def majority(labels, a, b):
    cnt = {}
    for i in range(a, b + 1):
        x = labels[i]
        if x is not None:
            cnt[x] = cnt.get(x, 0) + 1
    return max(cnt, key=cnt.get) if cnt else None


# ------------------------------------------------------------------------------------------------ window
def pick_day(k_rng):
    hol = []
    for a, b in HOLIDAYS:
        da, db = date.fromisoformat(a), date.fromisoformat(b)
        hol.append((da, db))
    while True:
        d = date(2026, 1, 1) + timedelta(days=k_rng.randrange(365))
        if d.weekday() < 5 and not any(a <= d <= b for a, b in hol):
            return d


def run_window(k, seed, minutes, fps, out_dir):
    rng = random.Random("indep-sim5/%s/%d" % (seed, k))
    drng = random.Random("indep-sim5/%s/%d/day" % (seed, k))
    day = pick_day(drng)
    T = minutes * 60.0
    start_min = drng.randrange(8 * 60, max(8 * 60 + 1, min(16 * 60, 24 * 60 - int(math.ceil(minutes)) - 1)))
    day0 = datetime(day.year, day.month, day.day, start_min // 60, start_min % 60, tzinfo=TZ)
    B = Body(rng)
    L = Layout(rng, B)
    clerk = Clerk(rng, B, L)
    got = None
    while got is None:
        got = draw_camera(rng, B, L, clerk.P0, clerk.yaw0)
        if got is None:            # a clerk this camera cannot frame: a new clerk and furniture
            B = Body(rng)
            L = Layout(rng, B)
            clerk = Clerk(rng, B, L)
    cam, sh_px, desk_v, szn, czn, dist, offx = got
    for b in L.occ:             # image bounding boxes of the occluders, to skip most sight-line tests
        qs = [cam.project(c) for c in b.corners()]
        if all(q is not None for q in qs):
            b.img_bb = (min(q[0] for q in qs) - 1, min(q[1] for q in qs) - 1, max(q[0] for q in qs) + 1, max(q[1] for q in qs) + 1)
        else:
            b.img_bb = None
    sc = Scenario(rng, B, L, clerk, T, fps)
    others = build_others(rng, sc, L, T)
    det = Detector(rng, cam, T)
    wid = "w%03d" % k
    wdir = os.path.join(out_dir, wid)
    os.makedirs(wdir, exist_ok=True)
    # ---- config
    r = rng.random()
    if r < 0.55:
        cfg_tilt = round(clamp(cam.tilt_deg + U(rng, -2.5, 2.5), 0, 60), 1)
    elif r < 0.75:
        cfg_tilt = float(clamp(5 * round((cam.tilt_deg + U(rng, -8, 8)) / 5), 0, 60))
    else:
        cfg_tilt = None
    desk_y = round(clamp(desk_v + U(rng, -0.008, 0.008), 0.0, 1.0), 4)
    end_min = start_min + int(math.ceil(minutes))
    hours = "%02d:%02d-%02d:%02d" % (start_min // 60, start_min % 60, end_min // 60, end_min % 60)
    toml = ['timezone = "Asia/Shanghai"', 'hall = "独立仿真五号大厅"', "", "[[window]]", 'id = "%s"' % wid,
            'name = "仿真窗口 %d"' % k, 'source = "file:trace.jsonl"',
            "staff_zone = %s" % json.dumps(szn), "counter_zone = %s" % json.dumps(czn), "desk_y = %s" % desk_y]
    if cfg_tilt is not None:
        toml.append("camera_tilt_deg = %s" % cfg_tilt)
    toml.append('hours = ["%s"]' % hours)
    with open(os.path.join(wdir, "window.toml"), "w") as f:
        f.write("\n".join(toml) + "\n")
    # ---- frames
    N = int(round(T * fps))
    staff_poly = [(p[0] * cam.W, p[1] * cam.H) for p in szn]
    sxs, sys_ = [p[0] for p in staff_poly], [p[1] for p in staff_poly]
    staff_bb = (min(sxs), min(sys_), max(sxs), max(sys_))
    staff_bb_area = max(1.0, (staff_bb[2] - staff_bb[0]) * (staff_bb[3] - staff_bb[1]))
    occ = L.occ
    seg_i = 0
    segs = sc.segs
    dropped = [rng.random() < det.p["drop"] for _ in range(N)]
    for a, b in det.outages:
        for i in range(int(a * fps), min(N, int(b * fps) + 1)):
            dropped[i] = True
    # per-frame truth
    present = bytearray(N)
    seated = bytearray(N)
    standing = bytearray(N)
    slouch_on = bytearray(N)
    slouch_hold = bytearray(N)
    head_on = bytearray(N)
    cross_on = bytearray(N)
    sh_seen = bytearray(N)
    legs_seen = bytearray(N)
    undet = bytearray(N)
    covered = bytearray(N)
    cit_in = bytearray(N)
    cit_seen = bytearray(N)
    seg_lab = [None] * N
    leg_lab = [None] * N
    sat_back = bytearray(N)
    max_r = [0.0] * N
    head_h_top = L.desk_top + 0.40
    M = clerk.M
    prev_img = None
    fh = open(os.path.join(wdir, "trace.jsonl"), "w")
    model = "sim5-topdown-%s" % ("s" if det.p["qm"] < 0.25 else "m")
    act = sorted(others, key=lambda o: o.t0)
    frame_no = 0
    diag = {"seated": 0, "detected": 0, "shoulders_geom": 0}
    for i in range(N):
        t = i / fps
        while seg_i + 1 < len(segs) and segs[seg_i + 1].t0 <= t:
            seg_i += 1
        s = segs[seg_i]
        P = sc.eval_seg(s, t)
        # small movements: breathing, sway, head
        P[THOR] += 0.7 * sin(t * 1.5 + k)
        P[NECK] += 1.3 * sin(t * 0.37 + 2 * k)
        P[HYAW] += 5.0 * sin(t * 0.21 + k)
        mo = s.form
        if mo == "typing" and s.kind == "upright":
            P[LWB] += 0.012 * abs(sin(t * 9.1))
            P[RWB] += 0.012 * abs(sin(t * 8.3 + 1))
        elif mo == "talking":
            P[RWB] += 0.05 * max(0.0, sin(t * 1.9))
        legs, lform = sc.legs_at(t)
        chair = sc.chair(t)
        gait = 0.0
        if s.walk:
            gait = min(1.0, (t - s.t0) / 0.5, (s.t1 - t) / 0.5)
        rise = P[RISE]
        if rise > 0.05 or gait > 0:
            legs = (legs[0], legs[1], legs[2], legs[3], legs[4] * clamp(1 - 3 * rise, 0, 1) * (0 if gait > 0 else 1), legs[5], legs[6])
            if rise > 0.05:
                legs = (B.hip_w / 2 + 0.03, lerp(legs[1], 0.22, rise), -B.hip_w / 2 - 0.03,
                        lerp(legs[3], 0.22, rise), legs[4], legs[5], legs[6])
        pts, ex, ax = fk(B, P, clerk.yaw0, chair, legs, gait=gait, phase=t * 5.5)
        pelvis = ((pts[LHIP][0] + pts[RHIP][0]) / 2, (pts[LHIP][1] + pts[RHIP][1]) / 2, (pts[LHIP][2] + pts[RHIP][2]) / 2)
        pres = L.staff.contains_xz(pelvis)
        walking = s.walk and gait > 0
        seat_ok = pres and rise < 0.75 and not walking
        present[i] = pres
        seated[i] = seat_ok
        standing[i] = pres and not seat_ok
        sat_back[i] = P[WCH] * chair - P[RZ] > 0.3
        if seat_ok:
            tr, nk, sk = M.of(P, pts)
            rr = max(tr / 20.0, nk / 20.0, sk / 0.2)
            max_r[i] = rr
            ear_h = ex[1][1]
            on_desk = P[REST] >= 0.999 and s.kind in ("head", "rest") and ear_h <= head_h_top
            head_on[i] = on_desk
            if not on_desk:
                slouch_on[i] = rr > 1.0
                slouch_hold[i] = rr > 0.8
            cross_on[i] = legs[4] >= 0.5
        seg_lab[i] = s.kind + ":" + s.form
        leg_lab[i] = lform
        # others at t
        people = []   # (pid, pts, ex, ax, back, depth)
        if pres or vlen(vsub(pelvis, cam.pos)) < 30:
            people.append((0, pts, ex, ax, False))
        ppl_in_counter = []
        for oi, o in enumerate(act):
            if o.t0 > t:
                break
            if t >= o.t1:
                continue
            res = o.joints(t)
            op, oex, oax, moving, (x, z) = res
            op = [(p[0] + x, p[1], p[2] + z) for p in op]
            oex = [(p[0] + x, p[1], p[2] + z) for p in oex]
            people.append((oi + 1, op, oex, oax, True))
            pel = ((op[LHIP][0] + op[RHIP][0]) / 2, 0.0, (op[LHIP][2] + op[RHIP][2]) / 2)
            if L.counter.contains_xz(pel):
                ppl_in_counter.append(oi + 1)
        if ppl_in_counter:
            cit_in[i] = 1
        delivered = not dropped[i]
        # projection and visibility
        views = []
        for (pid, pp, pex, pax, back) in people:
            img, vis, why = visibility(cam, pp, pex, pax, occ)
            dep = vlen(vsub(((pp[LHIP][0] + pp[RHIP][0]) / 2, 1.0, (pp[LHIP][2] + pp[RHIP][2]) / 2), cam.pos))
            views.append([pid, img, vis, why, {}, back, dep])
        if len(views) > 1:
            views.sort(key=lambda v: v[6])
            for a in range(len(views)):
                for b in range(a + 1, len(views)):
                    near, far = views[a], views[b]
                    if not any(far[2]):
                        continue
                    e1, e2 = near[1][LEAR], near[1][REAR]
                    hr = 0.0
                    if e1 and e2:
                        hr = 0.75 * hypot(e1[0] - e2[0], e1[1] - e2[1]) + 4
                    occp = person_occlusion(near[1], far[1], far[2], far[3], hr)
                    far[4].update(occp)
                    if far[0] == 0 and near[0] != 0 and near[1][LSH] and near[1][RSH]:
                        q = [near[1][j] for j in (LSH, RSH, LHIP, RHIP) if near[1][j]]
                        if len(q) == 4:
                            bx1, bx2 = min(p[0] for p in q), max(p[0] for p in q)
                            by1 = min(p[1] for p in q) - (bx2 - bx1) * 0.9
                            by2 = max(p[1] for p in q)
                            ix = max(0.0, min(bx2, staff_bb[2]) - max(bx1, staff_bb[0]))
                            iy = max(0.0, min(by2, staff_bb[3]) - max(by1, staff_bb[1]))
                            if ix * iy >= 0.5 * staff_bb_area:
                                covered[i] = 1
        clerk_view = None
        for v in views:
            if v[0] == 0:
                clerk_view = v
        if clerk_view and delivered:
            motion = None
            cimg = clerk_view[1]
            if prev_img is not None:
                motion = [0.0] * 17
                for j in range(17):
                    a, b = cimg[j], prev_img[j]
                    if a and b:
                        motion[j] = hypot(a[0] - b[0], a[1] - b[1]) / max(20.0, sh_px) * fps / 2.0
            prev_img = cimg
        else:
            motion = None
            prev_img = clerk_view[1] if clerk_view else None
        if not delivered:
            continue
        Lt = det.light(t)
        outs = []
        clerk_out = None
        for v in views:
            pid, img, vis, why, occp, back, dep = v
            res = det.person(pid, img, vis, why, occp, back, t, Lt, motion if pid == 0 else None)
            if res is None:
                continue
            outs.append(res)
            if pid == 0:
                clerk_out = res
            elif pid in ppl_in_counter:
                if (vis[LSH] and vis[RSH]) or sum(1 for j in (LSH, RSH, LHIP, RHIP) if vis[j]) >= 3:
                    cit_seen[i] = 1
        if clerk_view:
            cvis = clerk_view[2]
            if seat_ok:
                diag["seated"] += 1
                diag["detected"] += clerk_out is not None
                diag["shoulders_geom"] += bool(cvis[LSH] and cvis[RSH])
                for j in (LSH, RSH):
                    if not cvis[j]:
                        diag["why_" + (clerk_view[3][j] or "?")] = diag.get("why_" + (clerk_view[3][j] or "?"), 0) + 1
            if clerk_out is not None:
                if cvis[LSH] and cvis[RSH]:
                    sh_seen[i] = 1
                if cvis[LKN] and cvis[RKN] and cvis[LAN] and cvis[RAN]:
                    legs_seen[i] = 1
        if pres:
            ok = clerk_out is not None and max(clerk_out[2][LSH][2], clerk_out[2][RSH][2]) >= 0.3
            if not ok:
                ok2 = False
                for (b, scv, kk) in outs:
                    for j in (LSH, RSH):
                        if kk[j][2] >= 0.3 and in_poly((kk[j][0], kk[j][1]), staff_poly):
                            ok2 = True
                undet[i] = not ok2
        outs.sort(key=lambda o: o[1])
        outs.extend(det.extras(t, outs))
        outs.sort(key=lambda o: -o[1])
        ts = (day0 + timedelta(seconds=t)).isoformat(timespec="milliseconds")
        pl = []
        for (b, scv, kk) in outs:
            pl.append('{"box":[%.1f,%.1f,%.1f,%.1f],"score":%.3f,"keypoints":[%s]}' % (
                b[0], b[1], b[2], b[3], scv, ",".join("[%.1f,%.1f,%.3f]" % (q[0], q[1], q[2]) for q in kk)))
        fh.write('{"ts":"%s","window":"%s","source":"sim5","frame":%d,"width":%d,"height":%d,"model":"%s","people":[%s]}\n'
                 % (ts, wid, i, cam.W, cam.H, model, ",".join(pl)))
        frame_no += 1
    fh.close()
    for i in range(N):
        if dropped[i] and present[i]:
            undet[i] = 1
    # ---- truth
    def iso(tt):
        return (day0 + timedelta(seconds=tt)).isoformat(timespec="milliseconds")

    def tend(last):
        return T if last is None else last / fps

    def frac(arr, a, b):
        b = N - 1 if b is None else b
        n = b - a + 1
        return sum(arr[a:b + 1]) / max(1, n)

    truth = []

    def emit(rule, a, last, form, ignore, **kw):
        t0, t1 = round(a / fps, 3), round(tend(last), 3)
        e = {"rule": rule, "start": iso(t0), "end": iso(t1), "t0": t0, "t1": t1, "form": form, "ignore": bool(ignore)}
        e.update(kw)
        truth.append(e)

    notpres = bytearray(1 - x for x in present)
    away_lab = [None] * N
    for i in range(N):
        lab = seg_lab[i]
        if lab.startswith("away:") or lab.startswith("errand:"):
            away_lab[i] = lab.split(":")[1]
    for a, last in machine(notpres, fps, 120, 10, T):
        b = N - 1 if last is None else last
        form = majority(away_lab, a, b) or "unknown"
        emit("absent", a, last, form, frac(covered, a, last) > 0.5)
    # present but undetected spans >= 20 s
    i = 0
    while i < N:
        if undet[i] and present[i]:
            j = i
            while j + 1 < N and undet[j + 1] and present[j + 1]:
                j += 1
            if (j - i + 1) / fps >= 20:
                form = majority(seg_lab, i, j)
                emit("absent", i, j, "present_undetected:" + (form.split(":")[1] if form else "?"), True)
            i = j + 1
        else:
            i += 1
    for a, last in machine(slouch_on, fps, 30, 10, T, hold=slouch_hold):
        b = N - 1 if last is None else last
        f = majority([x.split(":")[1] if x and x.startswith("slouch:") else None for x in seg_lab[a:b + 1]], 0, b - a)
        if f is None:
            f = "other:" + (majority(seg_lab, a, b) or "?")
        peak = max(max_r[a:b + 1])
        emit("slouching", a, last, f, frac(sh_seen, a, last) < 0.5, peak=round(peak, 3))
    for a, last in machine(head_on, fps, 30, 10, T):
        b = N - 1 if last is None else last
        f = majority([x.split(":")[1] if x and (x.startswith("head:") or x.startswith("rest:")) else None for x in seg_lab[a:b + 1]], 0, b - a) or "?"
        emit("head_on_desk", a, last, f, frac(sh_seen, a, last) < 0.5)
    for a, last in machine(cross_on, fps, 30, 10, T):
        b = N - 1 if last is None else last
        f = majority(leg_lab, a, b) or "?"
        if frac(sat_back, a, last) > 0.5:
            f += "_sat_back"
        emit("crossed_legs", a, last, f, frac(legs_seen, a, last) < 0.5)
    # greeting
    stays = []
    i = 0
    gap = int(10 * fps)
    while i < N:
        if cit_in[i]:
            j = i
            while True:
                while j + 1 < N and cit_in[j + 1]:
                    j += 1
                k2 = j + 1
                while k2 < N and not cit_in[k2] and k2 - j <= gap:
                    k2 += 1
                if k2 < N and cit_in[k2] and k2 - j <= gap:
                    j = k2
                    continue
                break
            stays.append((i, j))
            i = j + 1
        else:
            i += 1
    v_arr = sorted(sc.visits, key=lambda v: v["arrive"])
    for (a, b) in stays:
        three = a + int(3 * fps)
        if any(standing[x] for x in range(a, min(b + 1, three))):
            continue
        first = None
        for x in range(three, b + 1):
            if standing[x]:
                break
            if seated[x]:
                first = x
                break
        if first is None:
            continue
        end = b
        for x in range(first, b + 1):
            if standing[x]:
                end = x
                break
        if (end - first) / fps < 20:
            continue
        w25 = first + int(25 * fps)
        ign = frac(sh_seen, first, min(w25, N - 1)) < 0.5 or sum(cit_seen[a:min(w25, b + 1)]) < 3
        ta = a / fps
        lab = "passer_by"
        best = None
        for v in v_arr:
            if v["t_enter"] - 5 <= ta <= v["leave"] + 5:
                dd = abs(v["arrive"] - ta)
                if best is None or dd < best:
                    best, lab = dd, v.get("label", v["plan"])
        emit("not_standing_to_greet", first, end, lab, ign, arrived=iso(round(ta, 3)))
    truth.sort(key=lambda e: (e["t0"], e["rule"]))
    with open(os.path.join(wdir, "truth.jsonl"), "w") as f:
        for e in truth:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    # ---- meta
    counts = {}
    for e in truth:
        key = "%s%s" % (e["rule"], " (ignore)" if e["ignore"] else "")
        counts[key] = counts.get(key, 0) + 1
    meta = {
        "simulator": "indep-sim5", "seed": seed, "window": k,
        "day": day.isoformat(), "start": "%02d:%02d:00+08:00" % (start_min // 60, start_min % 60),
        "minutes": minutes, "fps": fps, "frames": N, "frames_written": frame_no,
        "camera": {"height": round(cam.pos[1], 4), "distance": round(dist, 4), "tilt_deg": round(cam.tilt_deg, 3),
                   "offset_x": round(offx, 4), "pan_deg": round(cam.pan_deg, 3), "roll_deg": round(cam.roll_deg, 3),
                   "hfov_deg": round(cam.hfov_deg, 3), "width": cam.W, "height_px": cam.H, "k1": round(cam.k1, 5),
                   "seated_shoulder_px": round(sh_px, 1), "configured_tilt_deg": cfg_tilt,
                   "model": {"pos": list(cam.pos), "pan_deg": cam.pan_deg, "tilt_deg": cam.tilt_deg,
                             "roll_deg": cam.roll_deg, "hfov_deg": cam.hfov_deg, "k1": cam.k1}},
        "body": B.record(),
        "layout": dict(L.record(), staff_zone=szn, counter_zone=czn, desk_y=desk_y),
        "clerk": {"yaw0": round(clerk.yaw0, 2), "habitual": clerk.hab,
                  "baseline": {"trunk_deg": round(M.t0, 2), "neck_deg": round(M.n0, 2), "shoulder_w": round(M.sw, 4)},
                  "chair_knots": [[round(a, 1), round(b, 3)] for a, b in sc.chair_knots],
                  "chair_pushed_back": [[round(a, 1), round(b, 1), round(d, 3)] for a, b, d in sc.chair_over]},
        "personality": {k_: (round(v, 4) if isinstance(v, float) else v) for k_, v in sc.pers.items()},
        "detector": det.record(),
        "segments": [dict({"kind": s_.kind, "form": s_.form, "t0": round(s_.t0, 3), "t1": round(s_.t1, 3)},
                          **({"info": s_.info} if s_.info else {})) for s_ in segs],
        "leg_segments": [{"form": f, "t0": round(a, 3), "t1": round(b, 3)} for (a, b, f, st) in sc.legs],
        "visits": [{k_: (round(v, 3) if isinstance(v, float) else v) for k_, v in vv.items()} for vv in sc.visits],
        "others": [{"role": o.role, "t0": round(o.t0, 2), "t1": round(o.t1, 2)} for o in others],
        "truth_counts": counts,
        "diagnostics": diag,
    }
    # segments must end exactly at T and be contiguous after rounding
    ms = meta["segments"]
    for a_, b_ in zip(ms, ms[1:]):
        b_["t0"] = a_["t1"]
    ms[-1]["t1"] = round(T, 3)
    with open(os.path.join(wdir, "meta.json"), "w") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    return {"window": wid, "frames": frame_no, "truth": len(truth)}


def main():
    ap = argparse.ArgumentParser(description="indep-sim5: a blind seated-clerk keypoint simulator (reporting only)")
    ap.add_argument("--windows", type=int, required=True)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    for k in range(a.first, a.first + a.windows):
        r = run_window(k, a.seed, a.minutes, a.fps, a.out)
        print("%s: %d frames, %d truth events (%.1f s)" % (r["window"], r["frames"], r["truth"], time.time() - t0), file=sys.stderr)
    print("done: %d windows in %.1f s" % (a.windows, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
