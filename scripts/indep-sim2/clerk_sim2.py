#!/usr/bin/env python3
"""A third, independent simulator of clerks at government service windows.

    clerk_sim2.py --windows N --minutes M --seed S --out DIR [--fps 2] [--first K]

Writes DIR/wNNN/{trace.jsonl, window.toml, truth.jsonl, meta.json} for every
window, in the layout scripts/indep-sim/score.py scores.  Standard library
only.  See README.md in this folder for the model and its limits.
"""

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

D2R = math.pi / 180.0
DAY = "2026-03-02"          # a Monday
START_H = 8                 # the run starts at 08:00 local time
TZ = "+08:00"
UP = (0.0, 1.0, 0.0)

# COCO-17 order
NOSE, LEYE, REYE, LEAR, REAR, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN = range(17)
HEAD_KP = (NOSE, LEYE, REYE, LEAR, REAR)
LEG_KP = (LKN, RKN, LAN, RAN)


# ----------------------------------------------------------------- vectors
def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def sc(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def ma(a, b, s):
    return (a[0] + b[0] * s, a[1] + b[1] * s, a[2] + b[2] * s)


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def nrm(a):
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(a):
    n = nrm(a)
    if n < 1e-12:
        return (0.0, 1.0, 0.0)
    return (a[0] / n, a[1] / n, a[2] / n)


def lerp3(a, b, u):
    return (a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u)


def smooth(u):
    if u <= 0.0:
        return 0.0
    if u >= 1.0:
        return 1.0
    return u * u * (3.0 - 2.0 * u)


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


# ----------------------------------------------------------------- body
class Body:
    """Segment lengths (metres) from stature with individually varied proportions."""

    def __init__(self, rng, stature):
        def g(sd=0.035):
            return clamp(rng.gauss(1.0, sd), 0.88, 1.12)

        H = stature
        self.H = H
        self.trunk = 0.288 * H * g()        # hip-joint centre -> shoulder-keypoint centre
        self.neck = 0.086 * H * g(0.06)     # shoulder centre -> ear midpoint (head centre)
        self.shw = 0.212 * H * g(0.05)      # between the shoulder keypoints
        self.hipw = 0.148 * H * g(0.06)     # between the hip keypoints
        self.uarm = 0.184 * H * g()
        self.farm = 0.150 * H * g()
        self.thigh = 0.243 * H * g()
        self.shank = 0.244 * H * g()
        self.hs = g(0.04)                    # head size factor (ear half-distance 0.072 m * hs)
        self.ankle_h = 0.075
        self.stand_py = self.ankle_h + 0.99 * (self.thigh + self.shank)

    def as_dict(self):
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def ik(A, T, la, lb, pole):
    """Two-bone inverse kinematics: elbow/knee position and the (reachable) end point."""
    d = sub(T, A)
    dist = nrm(d)
    mx = (la + lb) * 0.995
    mn = abs(la - lb) + 0.02
    if dist < 1e-6:
        d, dist = (0.0, -1.0, 0.0), 1.0
    u = sc(d, 1.0 / dist)
    if dist > mx:
        dist = mx
        T = ma(A, u, mx)
    elif dist < mn:
        dist = mn
        T = ma(A, u, mn)
    ca = clamp((la * la + dist * dist - lb * lb) / (2.0 * la * dist), -1.0, 1.0)
    sa = math.sqrt(1.0 - ca * ca)
    v = sub(pole, sc(u, dot(pole, u)))
    v = unit(v)
    E = add(A, add(sc(u, la * ca), sc(v, la * sa)))
    return E, T


PKEYS = ["px", "py", "pz", "yaw", "tr", "rnd", "lat", "tw", "prot", "shr", "nk", "nod", "hy", "hr", "fh",
         "wlx", "wly", "wlz", "wrx", "wry", "wrz", "el", "st", "ts", "fa", "ks", "mot", "hang", "jit"]


def pose_lerp(a, b, u):
    return {k: a[k] + (b[k] - a[k]) * u for k in PKEYS}


class Scene:
    """The desk and its occluders, in metres.  Origin: floor under the seated
    clerk's hip centre; y up; the clerk faces +z (towards the counter and the
    camera); +x is the clerk's left."""

    def __init__(self, rng):
        self.dh = rng.uniform(0.70, 0.80)                 # desk height
        # "front": the clerk sits at the desk, legs under it, citizens across it.
        # "corner": the work desk is beside the clerk (L-shaped post), a counter
        # in front at some distance; the legs are in the open between them.
        self.layout = "corner" if rng.random() < 0.35 else "front"
        self.side = rng.choice((-1, 1))
        self.surfaces = []   # (xmin, xmax, zmin, zmax, top)
        self.boxes = []      # occluders: (xmin, xmax, ymin, ymax, zmin, zmax, name)
        r = rng.random()
        self.panel = "closed" if r < 0.55 else "half" if r < 0.75 else "open"
        if self.layout == "corner":
            self.panel = "closed" if r < 0.3 else "half" if r < 0.5 else "open"
        self.ledge = rng.uniform(0.08, 0.25) if rng.random() < 0.3 else 0.0
        if self.layout == "front":
            self.dz0 = rng.uniform(0.27, 0.42)                # clerk-side desk edge
            self.dd = rng.uniform(0.60, 0.85)                 # desk depth
            self.dx0 = rng.uniform(-0.25, 0.25)               # desk centre x
            self.dw = rng.uniform(0.65, 0.95)                 # desk half width
            self.far = self.dz0 + self.dd
            self.front_z, self.front_h = self.dz0, self.dh
            self.desk_pt = (0.0, self.dh, self.dz0)
            x0, x1 = self.dx0 - self.dw, self.dx0 + self.dw
            self.work_x = 0.0
            self.boxes.append((x0, x1, self.dh - 0.035, self.dh, self.dz0, self.far, "desk"))
            self.surfaces.append((x0, x1, self.dz0, self.far, self.dh))
            ch = self.dh
        else:
            s = self.side
            self.dz0 = rng.uniform(0.05, 0.22)
            cz0 = rng.uniform(0.95, 1.3)                      # counter's clerk-side edge
            ch = self.dh + rng.uniform(0.0, 0.12)             # counter height
            self.far = cz0 + rng.uniform(0.3, 0.45)
            self.dd = self.far - self.dz0
            self.dw = 0.65
            self.dx0 = s * (0.45 + 0.65)
            self.front_z, self.front_h = cz0, ch
            self.work_x = s * 0.42
            x0, x1 = sorted((s * 0.45, s * 1.75))
            self.boxes.append((x0, x1, self.dh - 0.035, self.dh, self.dz0, self.far, "desk"))
            self.surfaces.append((x0, x1, self.dz0, self.far, self.dh))
            # half of the corner posts have no counter in front of the clerk's legs
            # (an open service front: the citizen stands in front of the chair)
            self.open_front = rng.random() < 0.5
            self.desk_pt = (s * 0.45, self.dh, self.dz0 + 0.25) if self.open_front else (0.0, ch, cz0)
            if not self.open_front:
                cx0, cx1 = sorted((-s * 1.3, s * 0.45))
                self.boxes.append((cx0, cx1, ch - 0.035, ch, cz0, self.far, "counter"))
                self.surfaces.append((cx0, cx1, cz0, self.far, ch))
                x0, x1 = -1.3, 1.75
                if s < 0:
                    x0, x1 = -1.75, 1.3
        self.seat = clamp(self.dh - rng.uniform(0.24, 0.31), 0.40, 0.56)
        self.hip_y = self.seat + 0.085
        if self.panel == "closed":
            self.boxes.append((x0, x1, 0.03, ch, self.far - 0.025, self.far, "panel"))
        elif self.panel == "half":
            self.boxes.append((x0, x1, 0.38, ch, self.far - 0.025, self.far, "panel"))
        if self.ledge:
            self.boxes.append((x0, x1, ch, ch + self.ledge, self.far - 0.04, self.far, "ledge"))
        self.monitor = None
        if rng.random() < 0.40:
            mw = rng.uniform(0.45, 0.62)
            mx = rng.uniform(-0.55, 0.55) if self.layout == "front" else self.side * rng.uniform(0.75, 1.15)
            thick = 0.13 if rng.random() < 0.15 else 0.05
            mz = self.dz0 + rng.uniform(0.38, 0.62) * self.dd
            mz = min(mz, self.far - thick - 0.05)
            if self.layout == "corner":
                mz = rng.uniform(self.dz0 + 0.2, self.far - 0.2)
            yb = self.dh + rng.uniform(0.06, 0.15)
            mh = rng.uniform(0.28, 0.37)
            self.monitor = {"x": mx, "width": mw, "bottom": yb, "top": yb + mh, "z": mz, "thick": thick}
            self.boxes.append((mx - mw / 2, mx + mw / 2, yb, yb + mh, mz, mz + thick, "monitor"))
        self.right_handed = rng.random() < 0.9
        self.kb_z = self.dz0 + rng.uniform(0.08, 0.20)

    def top_at(self, x, z):
        """Height of the work surface under (x, z), or None."""
        for x0, x1, z0, z1, top in self.surfaces:
            if x0 < x < x1 and z0 - 0.02 < z < z1:
                return top
        return None

    def as_dict(self):
        return {"layout": self.layout, "open_front": getattr(self, "open_front", False), "side": self.side, "front_z": round(self.front_z, 3), "front_height": round(self.front_h, 3),
                "height": round(self.dh, 3), "edge_z": round(self.dz0, 3), "depth": round(self.dd, 3),
                "half_width": round(self.dw, 3), "centre_x": round(self.dx0, 3), "seat": round(self.seat, 3),
                "front_panel": self.panel, "ledge": round(self.ledge, 3), "monitor": self.monitor,
                "right_handed": self.right_handed}


def fk(b, p, scene, phase=0.0, walk_amp=0.0, legs=None):
    """Forward kinematics: 17 COCO keypoints in 3-D plus helpers.
    legs: None (seated/standing by p['st']) or ('kok'|'aok', side) for crossed legs (blend p['cr'] given as legs[2])."""
    yaw = p["yaw"] * D2R
    cy, sy = math.cos(yaw), math.sin(yaw)
    f = (sy, 0.0, cy)
    l = (cy, 0.0, -sy)
    P = (p["px"], p["py"], p["pz"])
    tr, rnd, lat = p["tr"] * D2R, p["rnd"] * D2R, p["lat"] * D2R
    a1, a2 = tr - 0.45 * rnd, tr + 0.55 * rnd
    l1, l2 = 0.45 * b.trunk, 0.55 * b.trunk
    la1 = 0.4 * lat
    c1 = math.cos(la1)
    d1 = (f[0] * math.sin(a1) * c1 + l[0] * math.sin(la1), math.cos(a1) * c1, f[2] * math.sin(a1) * c1 + l[2] * math.sin(la1))
    c2 = math.cos(lat)
    d2 = (f[0] * math.sin(a2) * c2 + l[0] * math.sin(lat), math.cos(a2) * c2, f[2] * math.sin(a2) * c2 + l[2] * math.sin(lat))
    M = ma(P, d1, l1)
    S = ma(M, d2, l2)
    tw = p["tw"] * D2R
    ct, st_ = math.cos(tw), math.sin(tw)
    fu = (f[0] * ct + l[0] * st_, 0.0, f[2] * ct + l[2] * st_)
    lu = (l[0] * ct - f[0] * st_, 0.0, l[2] * ct - f[2] * st_)
    ls = (lu[0] * c2, -math.sin(lat), lu[2] * c2)
    prot = p["prot"]
    hw = 0.5 * b.shw * (1.0 - 1.5 * prot)
    Sl = add(ma(ma(S, ls, hw), fu, prot), (0.0, p["shr"], 0.0))
    Sr = add(ma(ma(S, ls, -hw), fu, prot), (0.0, -p["shr"], 0.0))
    # neck and head, in the upper body's sagittal plane
    ft = sub(fu, sc(d2, dot(fu, d2)))
    ft = unit(ft)
    nk = p["nk"] * D2R
    dn = add(sc(d2, math.cos(nk)), sc(ft, math.sin(nk)))
    Hc = add(ma(S, dn, b.neck), sc(fu, p["fh"]))
    hp = nk + p["nod"] * D2R
    uh = add(sc(d2, math.cos(hp)), sc(ft, math.sin(hp)))
    fh = sub(sc(ft, math.cos(hp)), sc(d2, math.sin(hp)))
    lh = cross(uh, fh)
    hy = p["hy"] * D2R
    c, s = math.cos(hy), math.sin(hy)
    fh2 = add(sc(fh, c), sc(lh, s))
    lh2 = sub(sc(lh, c), sc(fh, s))
    hr = p["hr"] * D2R
    c, s = math.cos(hr), math.sin(hr)
    uh2 = add(sc(uh, c), sc(lh2, s))
    lh3 = sub(sc(lh2, c), sc(uh, s))
    k = b.hs
    kp = [None] * 17
    kp[NOSE] = add(Hc, add(sc(fh2, 0.100 * k), sc(uh2, -0.012 * k)))
    eb = add(Hc, add(sc(fh2, 0.078 * k), sc(uh2, 0.024 * k)))
    kp[LEYE] = ma(eb, lh3, 0.032 * k)
    kp[REYE] = ma(eb, lh3, -0.032 * k)
    eb = ma(Hc, uh2, -0.006 * k)
    kp[LEAR] = ma(eb, lh3, 0.072 * k)
    kp[REAR] = ma(eb, lh3, -0.072 * k)
    kp[LSH], kp[RSH] = Sl, Sr
    # arms
    hang = p["hang"]
    el = p["el"]
    for side, Sj, ie, iw, key in ((1.0, Sl, LEL, LWR, "wl"), (-1.0, Sr, REL, RWR, "wr")):
        T = (p[key + "x"], p[key + "y"], p[key + "z"])
        if hang > 0.0:
            swing = walk_amp * 0.18 * math.sin(phase + (math.pi if side > 0 else 0.0))
            Th = add(Sj, add(sc(UP, -(b.uarm + b.farm) * 0.96), add(sc(f, 0.05 + swing), sc(l, side * 0.05))))
            T = lerp3(T, Th, hang)
        pole = add(add(sc(UP, -1.0), sc(l, side * (0.25 + el))), sc(f, -0.35))
        E, W = ik(Sj, T, b.uarm, b.farm, pole)
        # nothing goes through the desk top
        top = scene.top_at(E[0], E[2])
        if top is not None and top - 0.2 < E[1] < top + 0.035:
            E = (E[0], top + 0.035, E[2])
        top = scene.top_at(W[0], W[2])
        if top is not None and top - 0.2 < W[1] < top + 0.025:
            W = (W[0], top + 0.025, W[2])
        kp[ie], kp[iw] = E, W
    # legs (pelvis does not twist with the upper body)
    hwp = 0.5 * b.hipw
    Hl, Hr = ma(P, l, hwp), ma(P, l, -hwp)
    kp[LHIP], kp[RHIP] = Hl, Hr
    stand = p["st"]
    seated = None
    if stand < 1.0:
        seated = legs_seated(b, Hl, Hr, f, l, p)
        if legs is not None and legs[2] > 0.0:
            crossed = legs_crossed(b, Hl, Hr, f, l, seated, legs[0], legs[1])
            u = legs[2]
            seated = [lerp3(seated[i], crossed[i], u) for i in range(4)]
    if stand > 0.0:
        standing = legs_standing(b, Hl, Hr, f, phase, walk_amp)
        if seated is None:
            lg = standing
        else:
            lg = [lerp3(seated[i], standing[i], stand) for i in range(4)]
    else:
        lg = seated
    kp[LKN], kp[RKN], kp[LAN], kp[RAN] = lg
    return kp, {"S": S, "P": P, "Hc": Hc, "uh": uh2, "fh": fh2, "lh": lh3, "ls": ls, "fu": fu, "f": f, "l": l}


def legs_seated(b, Hl, Hr, f, l, p):
    th = p["ts"] * D2R
    fa = p["fa"] * D2R
    out = []
    for side, H in ((1.0, Hl), (-1.0, Hr)):
        kd = unit(add(add(sc(f, math.cos(th)), sc(UP, -math.sin(th))), sc(l, side * p["ks"] / b.thigh)))
        K = ma(H, kd, b.thigh)
        A = add(K, add(sc(UP, -b.shank * math.cos(fa)), sc(f, b.shank * math.sin(fa))))
        if A[1] < b.ankle_h:
            A = (A[0], b.ankle_h, A[2])
        out.append((K, A))
    return [out[0][0], out[1][0], out[0][1], out[1][1]]


def legs_crossed(b, Hl, Hr, f, l, seated, form, side):
    """side +1: the left leg is on top; -1: the right."""
    Kl, Kr, Al, Ar = seated
    if side > 0:
        Ht, Kb, Ab = Hl, Kr, Ar
    else:
        Ht, Kb, Ab = Hr, Kl, Al
    s = side
    if form == "knee_over_knee":
        Kb2 = ma(Kb, l, s * 0.03)
        target = add(Kb2, add(sc(UP, 0.11), add(sc(l, s * 0.02), sc(f, 0.03))))
        Kt = ma(Ht, unit(sub(target, Ht)), b.thigh)
        At = ma(Kt, unit(add(add(sc(UP, -0.85), sc(f, 0.28)), sc(l, -s * 0.45))), b.shank)
        bottom_k, bottom_a = Kb2, Ab
    else:  # ankle_on_knee (figure four)
        target = add(Kb, add(sc(UP, 0.09), sc(l, s * 0.03)))
        pole = add(add(sc(l, s * 1.0), sc(UP, 0.4)), sc(f, 0.3))
        Kt, At = ik(Ht, target, b.thigh, b.shank, pole)
        bottom_k, bottom_a = Kb, Ab
    if side > 0:
        return [Kt, bottom_k, At, bottom_a]
    return [bottom_k, Kt, bottom_a, At]


def legs_standing(b, Hl, Hr, f, phase, amp):
    out = []
    for side, H in ((1.0, Hl), (-1.0, Hr)):
        ph = phase + (0.0 if side > 0 else math.pi)
        hf = amp * 0.38 * math.sin(ph)
        kf = amp * 0.6 * max(0.0, math.sin(ph + 1.2))
        K = add(H, add(sc(UP, -b.thigh * math.cos(hf)), sc(f, b.thigh * math.sin(hf) + 0.02)))
        a = hf - kf
        A = add(K, add(sc(UP, -b.shank * math.cos(a)), sc(f, b.shank * math.sin(a) - 0.02)))
        out.append((K, A))
    return [out[0][0], out[1][0], out[0][1], out[1][1]]


# ----------------------------------------------------------------- camera
class Camera:
    def __init__(self, pos, pan_target, tilt_deg, roll_deg, hfov_deg, W, H, k1, pan_err_deg):
        self.C = pos
        dx, dz = pan_target[0] - pos[0], pan_target[2] - pos[2]
        ang = math.atan2(dx, dz) + pan_err_deg * D2R
        fh = (math.sin(ang), 0.0, math.cos(ang))
        t = tilt_deg * D2R
        fwd = (fh[0] * math.cos(t), -math.sin(t), fh[2] * math.cos(t))
        right = unit(cross(fwd, UP))
        down = cross(fwd, right)
        r = roll_deg * D2R
        c, s = math.cos(r), math.sin(r)
        self.r = add(sc(right, c), sc(down, s))
        self.d = sub(sc(down, c), sc(right, s))
        self.f = fwd
        self.W, self.H = W, H
        self.fx = (W / 2.0) / math.tan(hfov_deg * D2R / 2.0)
        self.k1 = k1

    def project(self, P):
        C = self.C
        vx, vy, vz = P[0] - C[0], P[1] - C[1], P[2] - C[2]
        r, d, f = self.r, self.d, self.f
        z = vx * f[0] + vy * f[1] + vz * f[2]
        if z < 0.05:
            z = 0.05
        x = (vx * r[0] + vy * r[1] + vz * r[2]) / z
        y = (vx * d[0] + vy * d[1] + vz * d[2]) / z
        if self.k1:
            s = 1.0 + self.k1 * (x * x + y * y)
            x *= s
            y *= s
        return (self.fx * x + self.W * 0.5, self.fx * y + self.H * 0.5, z)


def seg_hits_box(C, P, bx):
    t0, t1 = 0.0, 1.0
    for a in range(3):
        o = C[a]
        d = P[a] - o
        lo, hi = bx[2 * a], bx[2 * a + 1]
        if -1e-12 < d < 1e-12:
            if o < lo or o > hi:
                return False
            continue
        ta, tb = (lo - o) / d, (hi - o) / d
        if ta > tb:
            ta, tb = tb, ta
        if ta > t0:
            t0 = ta
        if tb < t1:
            t1 = tb
        if t0 > t1:
            return False
    return t0 < 0.995


def seg_hits_sphere(C, P, Q, rad):
    d = sub(P, C)
    dd = dot(d, d)
    t = dot(sub(Q, C), d) / dd
    if t <= 0.0 or t >= 0.98:
        return False
    X = ma(C, d, t)
    return dot(sub(X, Q), sub(X, Q)) < rad * rad


def convex_hull(pts):
    pts = sorted(set(pts))
    if len(pts) < 3:
        return pts

    def cr(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    lo, hi = [], []
    for p in pts:
        while len(lo) >= 2 and cr(lo[-2], lo[-1], p) <= 0:
            lo.pop()
        lo.append(p)
    for p in reversed(pts):
        while len(hi) >= 2 and cr(hi[-2], hi[-1], p) <= 0:
            hi.pop()
        hi.append(p)
    return lo[:-1] + hi[:-1]


def clip_unit(poly):
    """Sutherland-Hodgman clip of a polygon to the unit square."""
    def clip(pts, inside, inter):
        out = []
        n = len(pts)
        for i in range(n):
            a, b = pts[i], pts[(i + 1) % n]
            ia, ib = inside(a), inside(b)
            if ia:
                out.append(a)
            if ia != ib:
                out.append(inter(a, b))
        return out

    def ix(a, b, x):
        t = (x - a[0]) / (b[0] - a[0])
        return (x, a[1] + t * (b[1] - a[1]))

    def iy(a, b, y):
        t = (y - a[1]) / (b[1] - a[1])
        return (a[0] + t * (b[0] - a[0]), y)
    p = poly
    p = clip(p, lambda q: q[0] >= 0.0, lambda a, b: ix(a, b, 0.0)) if p else p
    p = clip(p, lambda q: q[0] <= 1.0, lambda a, b: ix(a, b, 1.0)) if p else p
    p = clip(p, lambda q: q[1] >= 0.0, lambda a, b: iy(a, b, 0.0)) if p else p
    p = clip(p, lambda q: q[1] <= 1.0, lambda a, b: iy(a, b, 1.0)) if p else p
    out = []
    for q in p:
        q = (round(clamp(q[0], 0.0, 1.0), 4), round(clamp(q[1], 0.0, 1.0), 4))
        if not out or q != out[-1]:
            out.append(q)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return convex_hull(out)


def poly_area(p):
    return abs(sum(p[i][0] * p[(i + 1) % len(p)][1] - p[(i + 1) % len(p)][0] * p[i][1] for i in range(len(p)))) / 2.0


# ----------------------------------------------------------------- timeline
class Seg:
    __slots__ = ("t0", "t1", "kind", "form", "p0", "p1", "trans", "walk", "gone", "rest", "intent")

    def __init__(self, t0, t1, kind, form, p0, p1=None, trans=1.5, walk=False, gone=False, rest=False, intent=None):
        self.t0, self.t1, self.kind, self.form = t0, t1, kind, form
        self.p0, self.p1 = p0, (p1 if p1 is not None else p0)
        self.trans, self.walk, self.gone, self.rest, self.intent = trans, walk, gone, rest, intent


class Clerk:
    """Per-window personality and the pose library."""

    def __init__(self, rng, scene, body):
        self.rng, self.sc, self.b = rng, scene, body
        r = rng.random()
        self.yaw0 = rng.uniform(-8, 8) if r < 0.5 else rng.choice((-1, 1)) * rng.uniform(8, 30)
        if scene.layout == "corner":       # turned towards the desk beside
            self.yaw0 = scene.side * rng.uniform(10, 30)
        self.tr0 = rng.uniform(-4, 6)
        self.rnd0 = rng.uniform(0, 8)
        self.nk0 = rng.uniform(-6, 4)       # neck relative to trunk (upright head pitch ~ tr0 + rnd0/2 + nk0)
        self.prot0 = rng.uniform(0.0, 0.02)
        self.fh0 = rng.uniform(0.0, 0.02)
        self.ks = rng.uniform(0.0, 0.14)
        self.fa = rng.uniform(-12, 18)
        self.ts = rng.uniform(3, 10)
        self.el = rng.uniform(0.1, 0.5)
        # behaviour rates per hour and habits
        self.slouch_rate = rng.choice((0.0, 0.5, 1.0, 2.0, 3.0, 4.0))
        self.head_rate = rng.choice((0.0, 0.0, 0.5, 1.0, 1.5, 2.5))
        self.absent_rate = rng.choice((0.0, 0.5, 1.0, 1.5))
        self.errand_rate = rng.uniform(0.5, 3.0)
        self.cross_share = rng.choice((0.0, 0.1, 0.25, 0.4, 0.6))
        self.prompt_greet = rng.uniform(0.3, 0.95)
        self.citizens_per_h = rng.uniform(3.0, 12.0)
        # the habitual upright pose, as seen at work
        self.neutral = self.base()

    def as_dict(self):
        keys = ["yaw0", "tr0", "rnd0", "nk0", "prot0", "fh0", "ks", "fa", "ts", "el", "slouch_rate", "head_rate", "absent_rate",
                "errand_rate", "cross_share", "prompt_greet", "citizens_per_h"]
        return {k: round(getattr(self, k), 4) for k in keys}

    # -- target helpers: lat (+ = clerk's left), absolute height y, fwd from the seat origin, in the clerk's yaw frame
    def tgt(self, yaw, lat, y, fwd, on_desk=True):
        c, s = math.cos(yaw * D2R), math.sin(yaw * D2R)
        x = lat * c + fwd * s
        z = -lat * s + fwd * c
        if on_desk:
            scn = self.sc
            z = max(z, scn.dz0 + 0.04)
            if scn.layout == "corner":
                s = scn.side
                x = s * max(s * (x + scn.work_x), 0.49)
        return (x, y, z)

    def set_w(self, p, side, T):
        k = "wl" if side > 0 else "wr"
        p[k + "x"], p[k + "y"], p[k + "z"] = T

    def base(self, yaw=None):
        rng, scn = self.rng, self.sc
        p = {k: 0.0 for k in PKEYS}
        p.update(px=0.0, py=scn.hip_y, pz=0.0, yaw=self.yaw0 if yaw is None else yaw, tr=self.tr0, rnd=self.rnd0,
                 prot=self.prot0, nk=self.nk0, fh=self.fh0, el=self.el, ts=self.ts, fa=self.fa, ks=self.ks, mot=1.0)
        y = scn.dh + 0.03
        self.set_w(p, 1, self.tgt(p["yaw"], 0.15, y, scn.kb_z))
        self.set_w(p, -1, self.tgt(p["yaw"], -0.15, y, scn.kb_z))
        return p

    def mouse_side(self):
        return -1 if self.sc.right_handed else 1

    # -- compliant seated activities -------------------------------------------------
    def work(self, form):
        rng, scn = self.rng, self.sc
        p = self.base(self.yaw0 + rng.uniform(-5, 5))
        yaw = p["yaw"]
        y = scn.dh + 0.03
        ms = self.mouse_side()
        if form == "typing":
            p["jit"] = 1.0
            p["nod"] = rng.uniform(-4, 6)
        elif form == "mouse":
            self.set_w(p, ms, self.tgt(yaw, ms * rng.uniform(0.22, 0.32), y, scn.kb_z + 0.03))
            self.set_w(p, -ms, self.tgt(yaw, -ms * rng.uniform(0.10, 0.25), y, scn.dz0 + 0.1))
            p["jit"] = 0.3
        elif form == "writing_close":
            # sits close, trunk a little forward, head pitched at most ~16 deg; the eyes do the rest
            p["pz"] = rng.uniform(0.03, 0.08)
            p["tr"] = rng.uniform(7, 13)
            p["rnd"] = rng.uniform(0, 6)
            head = rng.uniform(9, 16)
            p["nk"] = head - (p["tr"] + 0.55 * p["rnd"]) - 2.0
            p["nod"] = 2.0
            self.set_w(p, ms, self.tgt(yaw, ms * 0.08, y, scn.dz0 + 0.14))
            self.set_w(p, -ms, self.tgt(yaw, -ms * 0.16, y, scn.dz0 + 0.10))
            p["jit"] = 0.5
        elif form == "reading":
            p["nk"] = self.nk0 + rng.uniform(0, 6)
            self.set_w(p, 1, self.tgt(yaw, 0.12, scn.dh + 0.12, scn.dz0 + 0.10, False))
            self.set_w(p, -1, self.tgt(yaw, -0.12, scn.dh + 0.12, scn.dz0 + 0.10, False))
        elif form == "talking":
            p["hy"] = rng.uniform(-10, 10)
            p["nod"] = rng.uniform(-6, 2)
            self.set_w(p, 1, self.tgt(yaw, 0.18, y, scn.dz0 + 0.08))
            self.set_w(p, -1, self.tgt(yaw, -0.18, y, scn.dz0 + 0.08))
        elif form == "lean_back":
            p["tr"] = -rng.uniform(8, 18)
            p["rnd"] = rng.uniform(0, 6)
            p["pz"] = -rng.uniform(0.0, 0.04)
            p["nk"] = -(p["tr"] + 0.55 * p["rnd"]) + rng.uniform(-4, 8)   # head roughly upright
            sy = scn.hip_y + 0.08
            self.set_w(p, 1, self.tgt(yaw, 0.14, sy, 0.22, False))
            self.set_w(p, -1, self.tgt(yaw, -0.14, sy, 0.22, False))
        elif form == "look_down":       # brief glance at a document: head pitch 30-50 deg for seconds
            p["nk"] = rng.uniform(28, 45)
            p["nod"] = rng.uniform(0, 6)
            p["tr"] = self.tr0 + rng.uniform(0, 6)
            self.set_w(p, ms, self.tgt(yaw, ms * 0.1, y, scn.dz0 + 0.12))
        elif form == "pick_up":         # reaching to the floor beside the chair
            side = rng.choice((-1, 1))
            p["tr"] = rng.uniform(50, 75)
            p["lat"] = -side * rng.uniform(5, 20)
            p["tw"] = side * rng.uniform(5, 20)
            p["nk"] = rng.uniform(0, 20)
            self.set_w(p, side, self.tgt(yaw, side * 0.38, 0.12, 0.25, False))
            p["mot"] = 1.3
        elif form == "turn_colleague":  # talk to the colleague at the next window
            side = rng.choice((-1, 1))
            p["tw"] = side * rng.uniform(20, 40)
            p["yaw"] += side * rng.uniform(5, 25)
            p["hy"] = side * rng.uniform(20, 50)
            p["nod"] = rng.uniform(-5, 3)
            self.set_w(p, side, self.tgt(p["yaw"], side * 0.2, y, scn.dz0 + 0.06))
        elif form == "stretch":
            p["tr"] = -rng.uniform(0, 8)
            p["nk"] = -rng.uniform(5, 15)
            for sd in (1, -1):
                self.set_w(p, sd, self.tgt(yaw, sd * 0.25, scn.hip_y + self.b.trunk + 0.55, 0.05, False))
            p["el"] = 0.8
        return p

    # -- slouching forms --------------------------------------------------------------
    def slouch(self, form):
        rng, scn = self.rng, self.sc
        p = self.base(self.yaw0 + rng.uniform(-4, 4))
        yaw = p["yaw"]
        y = scn.dh + 0.03
        p["mot"] = 0.7
        if form == "rounded_back":
            p["rnd"] = rng.uniform(22, 36)
            p["tr"] = rng.uniform(23, 30)
            p["prot"] = rng.uniform(0.03, 0.05)
            p["fh"] = rng.uniform(0.03, 0.05)
            p["nk"] = rng.uniform(-18, -5)
            p["jit"] = 0.7
        elif form == "forward_lean":
            p["tr"] = rng.uniform(26, 42)
            p["rnd"] = rng.uniform(0, 8)
            p["nk"] = -(p["tr"] - rng.uniform(8, 18))
            p["pz"] = rng.uniform(0.0, 0.05)
            for sd in (1, -1):   # forearms on the desk
                self.set_w(p, sd, self.tgt(yaw, sd * rng.uniform(0.12, 0.2), y, scn.dz0 + rng.uniform(0.2, 0.3)))
            p["el"] = 0.6
        elif form == "slid_down":
            p["pz"] = rng.uniform(0.15, 0.25)
            p["py"] = scn.hip_y - rng.uniform(0.05, 0.09)
            p["tr"] = -rng.uniform(20, 32)
            p["rnd"] = rng.uniform(12, 22)
            p["ts"] = self.ts + rng.uniform(6, 14)
            p["fa"] = rng.uniform(15, 35)
            p["nk"] = -(p["tr"] + 0.55 * p["rnd"]) + rng.uniform(0, 10)
            sy = p["py"] + 0.1
            self.set_w(p, 1, self.tgt(yaw, 0.13, sy, p["pz"] + 0.25, False))
            self.set_w(p, -1, self.tgt(yaw, -0.13, sy, p["pz"] + 0.25, False))
        elif form == "lean_elbow":
            side = rng.choice((-1, 1))
            p["tr"] = rng.uniform(22, 34)
            p["lat"] = side * -rng.uniform(8, 16)   # bends towards the supporting elbow
            p["shr"] = side * 0.03
            p["nk"] = -(p["tr"] - rng.uniform(6, 14))
            p["hr"] = -side * rng.uniform(0, 12)
            self.set_w(p, side, self.tgt(yaw, side * 0.12, y, scn.dz0 + 0.28))
            self.set_w(p, -side, self.tgt(yaw, -side * 0.25, y, scn.kb_z + 0.03))
            p["el"] = 0.7
        elif form == "neck_bent":       # long reading of a paper on the desk / phone in the lap
            p["tr"] = self.tr0 + rng.uniform(0, 6)
            p["nk"] = rng.uniform(30, 45) - (p["tr"] + 0.55 * p["rnd"])
            p["nod"] = rng.uniform(0, 6)
            p["fh"] = rng.uniform(0.01, 0.04)
            if rng.random() < 0.5:
                self.set_w(p, 1, self.tgt(yaw, 0.1, y, scn.dz0 + 0.12))
                self.set_w(p, -1, self.tgt(yaw, -0.1, y, scn.dz0 + 0.12))
            else:
                sy = scn.hip_y + 0.12
                self.set_w(p, 1, self.tgt(yaw, 0.06, sy, 0.3, False))
                self.set_w(p, -1, self.tgt(yaw, -0.06, sy, 0.3, False))
        return p

    # -- head on the desk ---------------------------------------------------------------
    def head_down(self, form):
        rng, scn, b = self.rng, self.sc, self.b
        if scn.layout == "corner":
            p = self.base(scn.side * rng.uniform(38, 55))
        else:
            p = self.base(self.yaw0 * 0.5 + rng.uniform(-5, 5))
        yaw = p["yaw"]
        p["mot"] = 0.08                 # still
        p["rnd"] = rng.uniform(10, 25)
        p["pz"] = rng.uniform(0.0, 0.08)
        p["prot"] = 0.03
        y = scn.dh + 0.03
        side = rng.choice((-1, 1))
        if form == "folded_arms":
            rest_h = scn.dh + rng.uniform(0.08, 0.11)   # forearms under the head
            p["nk"] = rng.uniform(35, 55)
            for sd in (1, -1):
                self.set_w(p, sd, self.tgt(yaw, -sd * rng.uniform(0.08, 0.14), y + 0.02, scn.dz0 + rng.uniform(0.18, 0.26)))
            p["el"] = 1.0
            contact = "face"
        elif form == "one_arm":
            rest_h = scn.dh + rng.uniform(0.07, 0.10)
            p["nk"] = rng.uniform(30, 50)
            p["hr"] = side * rng.uniform(45, 75)           # cheek on the forearm
            p["hy"] = side * rng.uniform(0, 20)
            self.set_w(p, side, self.tgt(yaw, -side * 0.12, y + 0.02, scn.dz0 + 0.22))
            if rng.random() < 0.5:
                self.set_w(p, -side, self.tgt(yaw, -side * 0.14, scn.hip_y + 0.1, 0.25, False))
            else:
                self.set_w(p, -side, self.tgt(yaw, -side * 0.3, y, scn.dz0 + 0.35))
            p["el"] = 0.9
            contact = "side"
        elif form == "hand_propped":
            rest_h = scn.dh + rng.uniform(0.17, 0.26)   # chin/forehead on the hand, elbow on the desk
            p["nk"] = rng.uniform(25, 45)
            p["hr"] = side * rng.uniform(5, 25)
            contact = "face"
            p["el"] = 0.2
        else:  # forehead on the desk
            rest_h = scn.dh + 0.005
            p["nk"] = rng.uniform(45, 65)
            if rng.random() < 0.5:
                for sd in (1, -1):
                    self.set_w(p, sd, self.tgt(yaw, sd * 0.35, y, scn.dz0 + 0.12))
            else:
                for sd in (1, -1):
                    self.set_w(p, sd, self.tgt(yaw, sd * 0.12, scn.hip_y + 0.08, 0.25, False))
            contact = "face"
        # bend the trunk (40-70 deg) until the face/cheek reaches its rest height
        lo, hi = 35.0, 75.0
        for _ in range(22):
            mid = 0.5 * (lo + hi)
            p["tr"] = mid
            kp, h = fk(b, p, scn)
            if contact == "side":
                low = h["Hc"][1] - 0.075 * b.hs
            else:
                low = min(kp[NOSE][1], h["Hc"][1] + dot(h["fh"], UP) * 0.09 * b.hs - 0.02)
            if low > rest_h:
                lo = mid
            else:
                hi = mid
        p["tr"] = clamp(p["tr"], 40.0, 70.0)
        if form == "hand_propped":
            kp, h = fk(b, p, scn)
            chin = add(h["Hc"], add(sc(h["fh"], 0.07 * b.hs), sc(h["uh"], -0.10 * b.hs)))
            self.set_w(p, side, chin)
            self.set_w(p, -side, self.tgt(yaw, -side * 0.2, y, scn.dz0 + 0.15))
        return p

    # -- standing / walking ------------------------------------------------------------
    def standing(self, at_desk=True, yaw=None):
        rng, scn = self.rng, self.sc
        p = self.base(self.yaw0 * 0.3 if yaw is None else yaw)
        p.update(st=1.0, py=self.b.stand_py, pz=-rng.uniform(0.02, 0.10), tr=rng.uniform(0, 6), rnd=self.rnd0, nk=rng.uniform(-4, 6),
                 hang=1.0, mot=1.0)
        if at_desk and rng.random() < 0.4:   # hands on the desk, e.g. handing over a paper
            p["hang"] = 0.0
            p["tr"] = rng.uniform(8, 20)
            y = scn.dh + 0.03
            self.set_w(p, 1, self.tgt(p["yaw"], 0.2, y, scn.dz0 + 0.25))
            self.set_w(p, -1, self.tgt(p["yaw"], -0.2, y, scn.dz0 + 0.25))
        return p

    def walk_pose(self, x, z, heading):
        p = self.standing(False, heading)
        p.update(px=x, pz=z, tr=4.0, hang=1.0)
        return p


class Citizen:
    def __init__(self, rng, spot):
        self.body = Body(rng, rng.uniform(1.50, 1.90))
        self.spot = spot

    def pose(self, rng, x, z, heading, form):
        b = self.body
        p = {k: 0.0 for k in PKEYS}
        p.update(px=x, py=b.stand_py, pz=z, yaw=heading, tr=rng.uniform(-2, 5), nk=rng.uniform(-5, 10), st=1.0, hang=1.0,
                 mot=1.0, el=0.3, ts=5.0, fa=5.0, ks=0.05, prot=0.01)
        if form == "hands_on_counter":
            p["hang"] = 0.0
            p["tr"] = rng.uniform(5, 18)
        elif form == "phone":
            p["hang"] = 0.0
            p["nk"] = rng.uniform(20, 35)
        return p


# ----------------------------------------------------------------- the window
class Window:
    def __init__(self, idx, seed, minutes, fps):
        self.idx = idx
        self.name = "w%03d" % idx
        self.rng = rng = random.Random("sim2-%s-%d" % (seed, idx))
        self.minutes = minutes
        self.fps = fps
        self.T = minutes * 60.0
        self.scene = Scene(rng)
        self.body = Body(rng, rng.uniform(1.50, 1.95))
        self.clerk = Clerk(rng, self.scene, self.body)
        scn = self.scene
        self.cit_spot = (rng.uniform(-0.35, 0.35), scn.far + rng.uniform(0.22, 0.45))
        self.place_camera()
        self.detector = {
            "noise": rng.uniform(0.7, 1.5),
            "quality": rng.uniform(0.85, 1.05),
            "miss_rate": rng.uniform(0.001, 0.006),
            "drop_rate": rng.uniform(0.001, 0.004),
            "outage": rng.random() < 0.25,
            "hidden_leg_overconfident": rng.uniform(0.0, 0.06),
        }

    # -- camera placement -------------------------------------------------------------
    def place_camera(self):
        rng, scn, b = self.rng, self.scene, self.body
        neutral_kp, nh = fk(b, self.clerk.neutral, scn)
        cz_c, cx_c = self.cit_spot[1], self.cit_spot[0]
        cit_sh = 0.82 * 1.70
        chest = (0.0, nh["S"][1] - 0.1, nh["S"][2])
        for attempt in range(2000):
            h = rng.uniform(1.8, 3.2)
            dist = rng.uniform(1.5, 4.5)
            off = rng.uniform(-1.5, 1.5)
            if abs(off) > 0.7 * dist:
                continue
            tilt = rng.uniform(0.0, 45.0)
            hfov = rng.uniform(60.0, 110.0)
            W, H = rng.choice(((640, 360), (960, 540), (1280, 720), (1920, 1080)))
            cz = chest[2] + math.sqrt(dist * dist - off * off)
            if cz < cz_c + 0.3:
                continue
            roll = rng.uniform(-2.0, 2.0)
            k1 = -rng.uniform(0.0, 0.08) if hfov > 85 else 0.0
            cam = Camera((off, h, cz), chest, tilt, roll, hfov, W, H, k1, rng.uniform(-4, 4))
            ok = True
            mx, my = 0.03 * W, 0.03 * H
            head_top = add(nh["Hc"], sc(nh["uh"], 0.12 * b.hs))
            for P in [head_top] + [neutral_kp[i] for i in (NOSE, LEAR, REAR, LSH, RSH, LEL, REL)]:
                u, v, z = cam.project(P)
                if z < 0.3 or not (mx < u < W - mx and my < v < H - my):
                    ok = False
                    break
            if not ok:
                continue
            if any(seg_hits_box(cam.C, neutral_kp[NOSE], bx) for bx in scn.boxes):
                continue
            u, v, z = cam.project(scn.desk_pt)
            if not (0.05 * H < v < 0.97 * H):
                continue
            for P in ((cx_c - 0.18, cit_sh, cz_c), (cx_c + 0.18, cit_sh, cz_c)):
                u, v, z = cam.project(P)
                if z < 0.3 or not (0 < u < W and 0 < v < H):
                    ok = False
            if not ok:
                continue
            self.cam = cam
            self.cam_meta = {"height": round(h, 3), "distance": round(dist, 3), "tilt_deg": round(tilt, 2), "lateral": round(off, 3),
                             "hfov_deg": round(hfov, 2), "width": W, "height_px": H, "roll_deg": round(roll, 2), "k1": round(k1, 4),
                             "attempts": attempt + 1}
            self.tilt_cfg = clamp(round(tilt + rng.gauss(0.0, 2.0)), 0, 60)
            return
        raise RuntimeError("no camera placement found for %s" % self.name)

    # -- config ----------------------------------------------------------------------
    def zones(self):
        cam, scn, b = self.cam, self.scene, self.body
        W, H = cam.W, cam.H
        top = 0.82 * b.H + 0.2
        corners = [(x, y, z) for x in (-0.8, 0.8) for y in (0.35, top) for z in (-0.6, scn.front_z + 0.1)]
        pts = []
        for P in corners:
            u, v, _ = cam.project(P)
            pts.append((u / W, v / H))
        staff = clip_unit(convex_hull(pts))
        desk_y = cam.project(scn.desk_pt)[1] / H + self.rng.gauss(0.0, 0.008)
        desk_y = round(clamp(desk_y, 0.01, 0.99), 4)
        cx, cz = self.cit_spot
        cpts = []
        for P in [(x, y, z) for x in (cx - 0.7, cx + 0.7) for y in (0.9, 1.5) for z in (cz - 0.2, cz + 0.5)]:
            u, v, _ = cam.project(P)
            cpts.append((clamp(u / W, 0.0, 1.0), clamp(v / H, 0.0, 1.0)))
        x0 = min(p[0] for p in cpts)
        x1 = max(p[0] for p in cpts)
        y0 = min(p[1] for p in cpts)
        y1 = max(p[1] for p in cpts)
        y0 = max(y0, desk_y - self.rng.uniform(0.0, 0.06))
        if y1 - y0 < 0.12:
            y0 = max(0.0, y1 - 0.12)
        if x1 - x0 < 0.1:
            x0, x1 = max(0.0, x0 - 0.05), min(1.0, x1 + 0.05)
        counter = [(round(x0, 4), round(y0, 4)), (round(x1, 4), round(y0, 4)), (round(x1, 4), round(y1, 4)), (round(x0, 4), round(y1, 4))]
        return staff, counter, desk_y

    def window_toml(self):
        staff, counter, desk_y = self.zones()
        self.staff_zone, self.counter_zone, self.desk_y = staff, counter, desk_y
        end = START_H * 60 + int(math.ceil(self.minutes))
        end = min(end, 23 * 60 + 59)
        fmt = lambda poly: "[" + ", ".join("[%.4f, %.4f]" % p for p in poly) + "]"
        return "\n".join([
            "# Written by scripts/indep-sim2/clerk_sim2.py (independent simulator #2).",
            'timezone = "Asia/Shanghai"',
            'hall = "sim2 独立模拟大厅"',
            "",
            "[calendar]",
            'workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
            "",
            "[[window]]",
            'id = "%s"' % self.name,
            'name = "sim2 %s"' % self.name,
            "staff_zone = %s" % fmt(staff),
            "counter_zone = %s" % fmt(counter),
            "desk_y = %.4f" % desk_y,
            "camera_tilt_deg = %d" % self.tilt_cfg,
            'hours = ["%02d:%02d-%02d:%02d"]' % (START_H, 0, end // 60, end % 60),
            "",
        ])

    # -- behaviour ---------------------------------------------------------------------
    def plan(self):
        rng, ck, T = self.rng, self.clerk, self.T
        # citizen visits first: Poisson arrivals, one at a time
        visits = []
        t = rng.uniform(20, 240)
        while t < T - 20:
            short = rng.random() < 0.25
            stay = rng.uniform(5, 15) if short else rng.uniform(60, 420)
            walk_in = rng.uniform(2.5, 5.0)
            walk_out = rng.uniform(2.5, 5.0)
            visits.append({"arrive": t, "leave": min(t + stay, T + 30), "walk_in": walk_in, "walk_out": walk_out,
                           "short": short, "side_in": rng.choice((-1, 1)), "side_out": rng.choice((-1, 1)),
                           "form": rng.choice(("hands_hanging", "hands_on_counter", "phone"))})
            t = t + stay + walk_out + rng.expovariate(ck.citizens_per_h / 3600.0) + walk_in + 5
        self.visits = visits
        segs = []
        self.segs = segs

        def emit(t0, t1, kind, form, p0, p1=None, trans=1.5, walk=False, gone=False, rest=False, intent=None):
            if t1 > t0 + 1e-6:
                segs.append(Seg(t0, t1, kind, form, p0, p1, trans, walk, gone, rest, intent))
            return t1

        t = 0.0
        settle = rng.uniform(300, 540)
        vi = 0
        cur_pose = ck.work("typing")
        t = emit(0.0, min(settle, T), "work", "typing", cur_pose, trans=0.0)
        work_forms = (("typing", 4), ("mouse", 3), ("writing_close", 2), ("reading", 1.5), ("talking", 1), ("lean_back", 1.2))
        conf_forms = (("look_down", 3), ("pick_up", 1), ("turn_colleague", 1.5), ("stretch", 0.5))

        def wchoice(items):
            tot = sum(w for _, w in items)
            r = rng.uniform(0, tot)
            for it, w in items:
                r -= w
                if r <= 0:
                    return it
            return items[-1][0]

        def next_visit(t):
            nonlocal vi
            while vi < len(visits) and visits[vi]["arrive"] < t:
                visits[vi]["dropped"] = True
                vi += 1
            return visits[vi] if vi < len(visits) else None

        while t < T:
            v = next_visit(t)
            limit = T if v is None else v["arrive"]
            if v is not None and limit - t < 2.0:
                t = self.serve(v, t, emit)
                vi += 1
                continue
            # rates per hour -> a choice among activities
            r = rng.random() * 60.0
            acts = [("work", 40.0), ("confuser", 8.0), ("slouching", 3.0 * ck.slouch_rate), ("head_on_desk", 3.0 * ck.head_rate),
                    ("absent", 3.0 * ck.absent_rate), ("errand", 2.0 * ck.errand_rate), ("stand", 1.5)]
            kind = wchoice(acts)
            room = limit - t
            if kind == "work":
                form = wchoice(work_forms)
                d = rng.uniform(20, 240) if form != "lean_back" else rng.uniform(15, 150)
                d = min(d, room)
                t = emit(t, t + d, "work", form, ck.work(form), trans=rng.uniform(1.0, 2.5))
            elif kind == "confuser":
                form = wchoice(conf_forms)
                d = {"look_down": (3, 12), "pick_up": (3, 8), "turn_colleague": (5, 25), "stretch": (3, 7)}[form]
                d = rng.uniform(*d)
                if d + 4 > room:
                    continue
                t = emit(t, t + d, "confuser", form, ck.work(form), trans=rng.uniform(0.8, 2.0))
                t = emit(t, t + rng.uniform(3, 10), "work", "typing", ck.work("typing"), trans=rng.uniform(0.8, 2.0))
            elif kind == "slouching":
                form = wchoice((("rounded_back", 1), ("forward_lean", 1), ("slid_down", 1), ("lean_elbow", 1), ("neck_bent", 0.8)))
                d = rng.uniform(50, 420)
                if room < 60:
                    continue
                d = min(d, room - 5)
                if d < 50:
                    continue
                t = emit(t, t + d, "slouching", form, ck.slouch(form), trans=rng.uniform(1.5, 4.0), intent="slouching")
            elif kind == "head_on_desk":
                form = wchoice((("folded_arms", 1.2), ("one_arm", 1), ("hand_propped", 0.8), ("forehead", 0.6)))
                d = rng.uniform(50, 600)
                if room < 65:
                    continue
                d = min(d, room - 8)
                if d < 50:
                    continue
                t = emit(t, t + d, "head_on_desk", form, ck.head_down(form), trans=rng.uniform(2.0, 5.0), rest=True, intent="head_on_desk")
                t = emit(t, t + rng.uniform(5, 20), "work", "typing", ck.work("typing"), trans=rng.uniform(2.0, 4.0))
            elif kind in ("absent", "errand"):
                if kind == "absent":
                    away = rng.uniform(160, 900)
                else:
                    away = rng.uniform(8, 75)
                need = away + 20
                if need > room:
                    continue
                t = self.leave(t, away, kind, emit)
                # citizens who arrived while the clerk was away are dropped
            else:
                d = rng.uniform(4, 20)
                if d + 5 > room:
                    continue
                t = emit(t, t + 2.0, "stand", "rise", ck.standing(), trans=2.0)
                t = emit(t, t + d, "stand", "stretch_legs", ck.standing(), trans=1.0)
                t = emit(t, t + 2.0, "work", "sit_down", ck.work("typing"), trans=2.0)
        # trim
        self.segs = [s for s in segs if s.t0 < T]
        if self.segs:
            self.segs[-1].t1 = max(self.segs[-1].t1, T + 1)
        self.visits = [v for v in visits if not v.get("dropped")]
        self.legs_plan()

    def serve(self, v, t, emit):
        """The clerk's response to a citizen arriving at `v['arrive']` (t is about that time)."""
        rng, ck = self.rng, self.clerk
        ta, tl = v["arrive"], v["leave"]
        r = rng.random()
        if v["short"]:
            mode = "prompt" if r < 0.3 else "seated"
        elif r < ck.prompt_greet:
            mode = "prompt"
        else:
            mode = "late" if rng.random() < 0.5 else "seated"
        v["response"] = mode
        if mode == "prompt":
            rise = ta + rng.uniform(1.5, 12.0)
        elif mode == "late":
            rise = ta + rng.uniform(35.0, 90.0)
            if rise > tl - 5:
                rise = None
                v["response"] = "seated"
        else:
            rise = None
        rise = None if rise is not None and rise > tl - 2 else rise
        # seated until the rise (or the departure)
        until = rise if rise is not None else tl
        form = rng.choice(("talking", "typing", "mouse"))
        t = emit(t, until, "serve", "seated_" + form, ck.work(form), trans=rng.uniform(1.0, 2.0))
        if rise is not None:
            v["rise_at"] = rise
            t = emit(t, t + rng.uniform(1.6, 2.6), "greet", "rise", ck.standing(), trans=2.0)
            stand = rng.uniform(4, 20)
            t = emit(t, min(t + stand, tl + 3), "greet", "standing", ck.standing(), trans=1.0)
            if t < tl:
                form = rng.choice(("talking", "typing", "writing_close", "mouse"))
                t = emit(t, tl, "serve", form, ck.work(form), trans=2.0)
        if rng.random() < 0.2 and rise is not None:
            t = emit(t, t + rng.uniform(2, 5), "greet", "see_off", ck.standing(), trans=2.0)
        return max(t, tl)

    def leave(self, t, away, kind, emit):
        """Rise, walk out of the staff zone (sideways or back), stay away, come back, sit."""
        rng, ck, scn = self.rng, self.clerk, self.scene
        sp = ck.standing(False)
        t = emit(t, t + rng.uniform(1.0, 2.5), kind, "rise", sp, trans=2.0)
        if kind == "errand" and rng.random() < 0.3:
            # a shelf behind the chair, inside the staff area
            dest = (rng.uniform(-0.5, 0.5), rng.uniform(-0.55, -0.35))
        elif rng.random() < 0.7:
            side = rng.choice((-1, 1))
            reach = rng.uniform(3.5, 5.5) if kind == "absent" else rng.uniform(1.5, 3.0)
            dest = (side * reach, rng.uniform(-0.6, 0.0))
        else:
            dest = (rng.uniform(-0.8, 0.8), -rng.uniform(2.0, 3.5) if kind == "absent" else -rng.uniform(1.0, 1.8))
        speed = rng.uniform(0.9, 1.3)
        x0, z0 = sp["px"], sp["pz"]
        dist = math.hypot(dest[0] - x0, dest[1] - z0)
        dur = max(1.0, dist / speed)
        head_out = math.atan2(dest[0] - x0, dest[1] - z0) / D2R
        head_in = math.atan2(x0 - dest[0], z0 - dest[1]) / D2R
        if kind == "absent":
            # walking time is part of the absence; 'away' is the time out of sight
            t = emit(t, t + dur, kind, "walk_out", ck.walk_pose(x0, z0, head_out), ck.walk_pose(dest[0], dest[1], head_out), trans=0.6, walk=True)
            t = emit(t, t + away, kind, "away", None, gone=True)
            t = emit(t, t + dur, kind, "walk_in", ck.walk_pose(dest[0], dest[1], head_in), ck.walk_pose(x0, z0, head_in), trans=0.0, walk=True)
        else:
            t = emit(t, t + dur, kind, "walk_out", ck.walk_pose(x0, z0, head_out), ck.walk_pose(dest[0], dest[1], head_out), trans=0.6, walk=True)
            stay = max(2.0, away - 2 * dur)
            busy = ck.standing(False, head_out)
            busy.update(px=dest[0], pz=dest[1], hang=0.5, tr=rng.uniform(5, 30))
            t = emit(t, t + stay, kind, "busy", busy, trans=0.8)
            t = emit(t, t + dur, kind, "walk_in", ck.walk_pose(dest[0], dest[1], head_in), ck.walk_pose(x0, z0, head_in), trans=0.8, walk=True)
        t = emit(t, t + rng.uniform(0.5, 1.5), kind, "turn", ck.standing(False), trans=0.8)
        t = emit(t, t + rng.uniform(5, 30), "work", "sit_down", ck.work("typing"), trans=2.0)
        return t

    def legs_plan(self):
        """Independent leg timeline: uncrossed / crossed spells."""
        rng, ck, T = self.rng, self.clerk, self.T
        legs = []
        t = rng.uniform(30, 300)
        share = ck.cross_share
        while t < T:
            if share > 0 and rng.random() < 0.85:
                d = rng.uniform(60, 600)
                form = "knee_over_knee" if rng.random() < 0.7 else "ankle_on_knee"
                legs.append({"t0": t, "t1": min(t + d, T + 1), "form": form, "side": rng.choice((-1, 1)), "trans": rng.uniform(1.0, 2.5)})
                t += d
                mean_gap = d * (1 - share) / share
                t += rng.uniform(0.5, 1.5) * mean_gap + 10
            else:
                # brief cross while shifting (decoy), also for clerks who never sit crossed
                d = rng.uniform(4, 12)
                legs.append({"t0": t, "t1": t + d, "form": "knee_over_knee", "side": rng.choice((-1, 1)), "trans": 1.0, "brief": True})
                t += d + rng.uniform(300, 1500)
        self.legs = legs

    # -- run ------------------------------------------------------------------------------
    def run(self, out_dir):
        rng = self.rng
        self.plan()
        toml_text = self.window_toml()
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "window.toml").write_text(toml_text, encoding="utf-8")
        cam, scn, b, ck = self.cam, self.scene, self.body, self.clerk
        W, H = cam.W, cam.H
        dt = 1.0 / self.fps
        n = int(round(self.T * self.fps))
        # per-window sway: (key, amplitude, [(omega, phase) x 2])
        sway = []
        for key, amp in (("tr", 1.6), ("nk", 3.0), ("nod", 2.0), ("hy", 9.0), ("hr", 2.5), ("lat", 1.5), ("tw", 3.0), ("px", 0.012),
                         ("pz", 0.012), ("yaw", 2.0)):
            comps = [(2 * math.pi / rng.uniform(6, 45), rng.uniform(0, 2 * math.pi)) for _ in range(2)]
            sway.append((key, amp * rng.uniform(0.6, 1.3), comps))
        # neutral reference for the truth measures
        nkp, nh = fk(b, ck.neutral, scn)
        base_S_y = nh["S"][1]
        base_head_rel = nh["Hc"][1] - nh["S"][1]
        shw = b.shw
        # detector state
        det = self.detector
        bias = [[0.0, 0.0] for _ in range(17)]
        cbias = [[0.0, 0.0] for _ in range(17)]
        miss_run = 0
        drop_run = 0
        outage = None
        if det["outage"]:
            o0 = rng.uniform(0, self.T)
            outage = (o0, o0 + rng.uniform(5, 25))
        base_conf = (0.92, 0.90, 0.90, 0.80, 0.80, 0.88, 0.88, 0.80, 0.80, 0.74, 0.74, 0.70, 0.70, 0.74, 0.74, 0.70, 0.70)
        noise_k = (0.010, 0.010, 0.010, 0.014, 0.014, 0.020, 0.020, 0.030, 0.030, 0.040, 0.040, 0.050, 0.050, 0.035, 0.035, 0.040, 0.040)
        seg_i = 0
        leg_i = 0
        segs, legs, visits = self.segs, self.legs, self.visits
        vis_i = 0
        cit = None
        frames = []
        # per-frame truth records
        rec_t, rec_seated, rec_slouch, rec_rest, rec_cross, rec_inzone, rec_shoulder, rec_legs_seen, rec_form = [], [], [], [], [], [], [], [], []
        rec_trunk, rec_neck, rec_sink = [], [], []
        form_stats = {}
        gauss, rand = rng.gauss, rng.random
        prefix = '{"ts":"%s","window":"%s","source":"sim2:%s","frame":%%d,"width":%d,"height":%d,"model":"sim2-detector","people":[' % (
            "%s", self.name, self.name, W, H)
        static_boxes = []
        for bx in scn.boxes:
            us, vs = [], []
            for x in (bx[0], bx[1]):
                for y in (bx[2], bx[3]):
                    for z in (bx[4], bx[5]):
                        u, v, _ = cam.project((x, y, z))
                        us.append(u)
                        vs.append(v)
            static_boxes.append((bx, min(us) - 2, max(us) + 2, min(vs) - 2, max(vs) + 2))
        C = cam.C
        for fi in range(n):
            t = fi * dt
            while seg_i + 1 < len(segs) and segs[seg_i].t1 <= t:
                seg_i += 1
            seg = segs[seg_i]
            while leg_i < len(legs) and legs[leg_i]["t1"] <= t:
                leg_i += 1
            # ---------------- clerk pose
            clerk_kp = None
            ch = None
            p = None
            phase, walk_amp = 0.0, 0.0
            if not seg.gone:
                if seg.walk:
                    u = (t - seg.t0) / max(1e-6, seg.t1 - seg.t0)
                    p = pose_lerp(seg.p0, seg.p1, clamp(u, 0.0, 1.0))
                    walk_amp = 1.0
                    phase = (t - seg.t0) * 2 * math.pi * 0.9
                else:
                    p = dict(seg.p0)
                if seg_i > 0 and t - seg.t0 < seg.trans and not segs[seg_i - 1].gone:
                    prev = segs[seg_i - 1].p1
                    ul = (t - seg.t0) / seg.trans
                    w = smooth(ul)
                    q = pose_lerp(prev, p, w)
                    dst = p["st"] - prev["st"]
                    if abs(dst) > 0.5:          # rising / sitting down: trunk swings forward, hips go forward
                        bump = math.sin(math.pi * ul)
                        q["tr"] += 32.0 * bump
                        q["pz"] += 0.10 * bump
                        q["hang"] = max(q["hang"], 0.0)
                    if prev["mot"] < 0.3 or p["mot"] < 0.3:
                        q["mot"] = 0.5
                    p = q
                mot = p["mot"]
                for key, amp, comps in sway:
                    a = amp * mot
                    p[key] += a * (0.6 * math.sin(comps[0][0] * t + comps[0][1]) + 0.4 * math.sin(comps[1][0] * t + comps[1][1]))
                if p["jit"] > 0:
                    j = 0.008 * p["jit"]
                    p["wlx"] += gauss(0, j)
                    p["wlz"] += gauss(0, j)
                    p["wrx"] += gauss(0, j)
                    p["wrz"] += gauss(0, j)
                lstate = None
                if leg_i < len(legs) and legs[leg_i]["t0"] <= t < legs[leg_i]["t1"] and p["st"] < 0.5:
                    L = legs[leg_i]
                    cr = smooth(min((t - L["t0"]) / L["trans"], (L["t1"] - t) / L["trans"]))
                    lstate = (L["form"], L["side"], cr)
                clerk_kp, ch = fk(b, p, scn, phase, walk_amp, lstate)
            # ---------------- truth measures
            rec_t.append(t)
            if clerk_kp is None:
                rec_seated.append(False)
                rec_inzone.append(False)
                rec_slouch.append(False)
                rec_rest.append(False)
                rec_cross.append(False)
                rec_trunk.append(None)
                rec_neck.append(None)
                rec_sink.append(None)
            else:
                seated = p["st"] < 0.05
                rec_seated.append(seated)
                P = ch["P"]
                rec_inzone.append(-0.8 <= P[0] <= 0.8 and -0.6 <= P[2] <= scn.front_z + 0.1)
                v = sub(ch["S"], P)
                f = ch["f"]
                trunk = math.atan2(dot(v, f), v[1]) / D2R
                uh = ch["uh"]
                fu = ch["fu"]
                neck = math.atan2(dot(uh, fu), uh[1]) / D2R
                ss = (base_S_y - ch["S"][1]) / shw
                hsink = (base_head_rel - (ch["Hc"][1] - ch["S"][1])) / shw
                sink = ss - max(hsink, -0.1)
                rest = seg.rest and t - seg.t0 >= seg.trans
                rec_rest.append(rest and seated)
                rec_slouch.append(seated and not seg.rest and (trunk > 20.0 or neck > 20.0 or sink > 0.2))
                rec_cross.append(seated and lstate is not None and lstate[2] >= 0.5)
                rec_trunk.append(trunk)
                if seated:
                    fs = form_stats.setdefault("%s:%s" % (seg.kind, seg.form), [])
                    fs.append((trunk, neck, sink))
                rec_neck.append(neck)
                rec_sink.append(sink)
            # ---------------- citizen
            while vis_i < len(visits) and visits[vis_i]["leave"] + visits[vis_i]["walk_out"] < t:
                vis_i += 1
                cit = None
            cit_kp = None
            cit_box = None
            if vis_i < len(visits):
                vs_ = visits[vis_i]
                t_in0 = vs_["arrive"] - vs_["walk_in"]
                t_out1 = vs_["leave"] + vs_["walk_out"]
                if t_in0 <= t <= t_out1:
                    if cit is None or cit[0] is not vs_:
                        cit = (vs_, Citizen(rng, self.cit_spot))
                        vs_["citizen"] = cit[1].body.as_dict()
                        cz_ = cit[1]
                        cit = (vs_, cz_, cz_.pose(rng, self.cit_spot[0], self.cit_spot[1], 180.0, vs_["form"]))
                    cb = cit[1].body
                    sx, sz = self.cit_spot
                    cp = cit[2]
                    if t < vs_["arrive"]:
                        u = (t - t_in0) / vs_["walk_in"]
                        x0 = sx + vs_["side_in"] * 3.0
                        q = dict(cp)
                        q.update(px=x0 + (sx - x0) * u, pz=sz + 0.4 * (1 - u), yaw=-vs_["side_in"] * 90.0 - 0.0, hang=1.0, tr=3.0)
                        ckp, chh = fk(cb, q, scn, (t - t_in0) * 5.6, 1.0)
                    elif t > vs_["leave"]:
                        u = (t - vs_["leave"]) / vs_["walk_out"]
                        x1 = sx + vs_["side_out"] * 3.0
                        q = dict(cp)
                        q.update(px=sx + (x1 - sx) * u, pz=sz + 0.4 * u, yaw=vs_["side_out"] * 90.0, hang=1.0, tr=3.0)
                        ckp, chh = fk(cb, q, scn, (t - vs_["leave"]) * 5.6, 1.0)
                    else:
                        q = dict(cp)
                        q["yaw"] += 6.0 * math.sin(0.3 * t)
                        q["px"] += 0.02 * math.sin(0.21 * t)
                        if q["hang"] < 0.5:
                            q["wlx"], q["wly"], q["wlz"] = sx + 0.18, scn.front_h + 0.05 + (0.25 if vs_["form"] == "phone" else 0.0), scn.far + 0.06
                            q["wrx"], q["wry"], q["wrz"] = sx - 0.18, q["wly"], scn.far + 0.06
                            if vs_["form"] == "phone":
                                q["wlz"] = q["wrz"] = sz - 0.25
                                q["wlx"], q["wrx"] = sx + 0.05, sx - 0.05
                                q["wly"] = q["wry"] = 1.05
                        ckp, chh = fk(cb, q, scn)
                    cit_kp = ckp
                    P = chh["P"]
                    cit_box = (P[0] - 0.24, P[0] + 0.24, 0.0, chh["Hc"][1] + 0.11, P[2] - 0.14, P[2] + 0.14)
                    cit_h = chh
            # ---------------- camera and detector
            ts = self.ts(t)
            # dropped frames
            if outage and outage[0] <= t < outage[1]:
                continue
            if drop_run > 0:
                drop_run -= 1
                continue
            if rand() < det["drop_rate"] / 2.0:
                drop_run = int(rand() * 3)
                continue
            people = []
            shoulder_seen = False
            legs_seen = False
            if clerk_kp is not None:
                person, nvis, vis = self.detect(clerk_kp, ch, True, static_boxes, cit_box, cit_kp, bias, base_conf, noise_k, p, lstate)
                shoulder_seen = vis[LSH] or vis[RSH]
                legs_seen = vis[LKN] and vis[RKN] and vis[LAN] and vis[RAN]
                # missed detections
                if miss_run > 0:
                    miss_run -= 1
                    person = None
                else:
                    pm = det["miss_rate"] * (1.0 + (8.0 if nvis < 6 else 0.0) + (2.0 if walk_amp else 0.0))
                    if nvis < 3:
                        pm = 0.9
                    if rand() < pm:
                        miss_run = int(rand() * 3)
                        person = None
                if person is not None:
                    people.append(person)
                else:
                    shoulder_seen = False
                    legs_seen = False
            rec_shoulder.append(shoulder_seen)
            rec_legs_seen.append(legs_seen)
            if cit_kp is not None:
                person, nvis, vis = self.detect(cit_kp, cit_h, False, static_boxes, None, None, cbias, base_conf, noise_k, None, None)
                if person is not None and nvis >= 3 and rand() > det["miss_rate"]:
                    people.append(person)
            frames.append(prefix % (ts, fi) + ",".join(people) + "]}")
            rec_form.append(fi)
        # pad records of dropped frames (shoulder / legs unseen)
        self.frames_written = len(frames)
        with open(out_dir / "trace.jsonl", "w", encoding="utf-8") as fh:
            fh.write("\n".join(frames))
            fh.write("\n")
        seen = {}
        for k, fi in enumerate(rec_form):
            seen[fi] = (rec_shoulder[k], rec_legs_seen[k])
        self.truth = self.make_truth(rec_t, rec_seated, rec_slouch, rec_rest, rec_cross, rec_inzone, seen, rec_trunk, rec_neck, rec_sink)
        with open(out_dir / "truth.jsonl", "w", encoding="utf-8") as fh:
            for e in self.truth:
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
        meta = {
            "simulator": "indep-sim2",
            "window": self.name,
            "day": DAY,
            "start": "%02d:00:00%s" % (START_H, TZ),
            "minutes": self.minutes,
            "fps": self.fps,
            "frames": n,
            "frames_written": len(frames),
            "camera": self.cam_meta,
            "camera_tilt_deg_config": self.tilt_cfg,
            "body": b.as_dict(),
            "clerk": ck.as_dict(),
            "desk": scn.as_dict(),
            "citizen_spot": [round(x, 3) for x in self.cit_spot],
            "detector": det,
            "outage": outage,
            "zones": {"staff": self.staff_zone, "counter": self.counter_zone, "desk_y": self.desk_y},
            "segments": [{"t0": round(s.t0, 2), "t1": round(s.t1, 2), "kind": s.kind, "form": s.form} for s in self.segs],
            "leg_segments": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in L.items()} for L in self.legs],
            "visits": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in vv.items()} for vv in self.visits],
            "truth": self.truth,
            "measures_by_form": self.summarise(form_stats),
        }
        (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return meta

    @staticmethod
    def summarise(form_stats):
        """Per behaviour form, seated frames: true trunk / neck angle and sink (median, 95th percentile, max)."""
        out = {}
        for k, v in sorted(form_stats.items()):
            row = {"frames": len(v)}
            for j, name in enumerate(("trunk_deg", "neck_deg", "sink")):
                xs = sorted(x[j] for x in v)
                row[name] = [round(xs[len(xs) // 2], 3), round(xs[int(0.95 * (len(xs) - 1))], 3), round(xs[-1], 3)]
            out[k] = row
        return out

    def ts(self, t):
        ms = int(round(t * 1000.0))
        s, ms = divmod(ms, 1000)
        h = START_H + s // 3600
        m = (s // 60) % 60
        s = s % 60
        if ms:
            return "%sT%02d:%02d:%02d.%03d%s" % (DAY, h, m, s, ms, TZ)
        return "%sT%02d:%02d:%02d%s" % (DAY, h, m, s, TZ)

    # -- the pose-model imitation --------------------------------------------------------
    def detect(self, kp3, h, is_clerk, static_boxes, cit_box, cit_kp, bias, base_conf, noise_k, p, lstate):
        rng, cam, det = self.rng, self.cam, self.detector
        gauss, rand = rng.gauss, rng.random
        W, H = cam.W, cam.H
        C = cam.C
        proj = [cam.project(P) for P in kp3]
        zS = max(0.3, cam.project(h["S"])[2])
        scale = cam.fx * 0.5 / zS                        # pixels per half metre at the person
        size_f = clamp(math.sqrt(scale / 60.0), 0.5, 1.0)  # small people: lower confidence
        noise = det["noise"]
        q = det["quality"]
        to_cam = unit(sub(C, h["Hc"]))
        face_dot = dot(h["fh"], to_cam)
        ear_l = dot(h["lh"], to_cam)
        body_side = dot(h["ls"], unit(sub(C, h["S"])))
        # hidden-leg prior: an upright seated pose from the hips (the model does not know the legs are crossed)
        prior = None
        vis = [True] * 17
        out = []
        nvis = 0
        cit_rect = None
        if cit_box is not None:
            us, vs = [], []
            for x in (cit_box[0], cit_box[1]):
                for y in (cit_box[2], cit_box[3]):
                    for z in (cit_box[4], cit_box[5]):
                        u, v, _ = cam.project((x, y, z))
                        us.append(u)
                        vs.append(v)
            cit_rect = (min(us), max(us), min(vs), max(vs))
        for i in range(17):
            P = kp3[i]
            u, v, z = proj[i]
            cat = "vis"
            if not (0.0 <= u < W and 0.0 <= v < H):
                cat = "out"
            else:
                if i in HEAD_KP:
                    if i == NOSE and face_dot < -0.15:
                        cat = "self"
                    elif i in (LEYE, REYE) and face_dot < 0.05:
                        cat = "self"
                    elif i in (LEYE, REYE) and face_dot < 0.45 and ((i == LEYE) != (ear_l > 0)) and abs(ear_l) > 0.6:
                        cat = "self"
                    elif i == LEAR and ear_l < -0.3:
                        cat = "self"
                    elif i == REAR and ear_l > 0.3:
                        cat = "self"
                elif i in (LSH, LEL, LWR, LHIP) and body_side < -0.75:
                    cat = "self"
                elif i in (RSH, REL, RWR, RHIP) and body_side > 0.75:
                    cat = "self"
                if cat == "vis" and i >= LSH and i <= RWR and seg_hits_sphere(C, P, h["Hc"], 0.095 * (self.body.hs if is_clerk else 1.0)):
                    cat = "self"
                if cat == "vis" and is_clerk:
                    for bx, u0, u1, v0, v1 in static_boxes:
                        if u0 <= u <= u1 and v0 <= v <= v1 and seg_hits_box(C, P, bx):
                            cat = "static"
                            break
                    if cat == "vis" and cit_rect is not None and cit_rect[0] <= u <= cit_rect[1] and cit_rect[2] <= v <= cit_rect[3] \
                            and seg_hits_box(C, P, cit_box):
                        cat = "person"
            sig = noise * (noise_k[i] * scale + 0.6)
            bi = bias[i]
            bi[0] = 0.92 * bi[0] + gauss(0.0, 0.39 * sig)
            bi[1] = 0.92 * bi[1] + gauss(0.0, 0.39 * sig)
            if cat == "vis":
                nvis += 1
                x = u + bi[0] + gauss(0.0, 0.6 * sig)
                y = v + bi[1] + gauss(0.0, 0.6 * sig)
                c = base_conf[i] * q * size_f + gauss(0.0, 0.05)
                if p is not None and p["hang"] > 0.5 and p["st"] > 0.5 and i >= LWR:
                    c -= 0.05
                c = clamp(c, 0.2, 0.99)
                if rand() < 0.002:            # gross error
                    x += gauss(0.0, 0.5 * scale)
                    y += gauss(0.0, 0.5 * scale)
                    c = rng.uniform(0.3, 0.6)
            else:
                vis[i] = False
                if cat == "out":
                    x = clamp(u + gauss(0, sig), 0.0, W - 1.0)
                    y = clamp(v + gauss(0, sig), 0.0, H - 1.0)
                    c = rng.uniform(0.01, 0.2)
                elif cat == "self":
                    x = u + bi[0] + gauss(0.0, 2.0 * sig)
                    y = v + bi[1] + gauss(0.0, 2.0 * sig)
                    c = rng.uniform(0.03, 0.4) if i not in HEAD_KP else rng.uniform(0.02, 0.3)
                elif cat == "person":
                    if cit_kp is not None and rand() < 0.15:
                        uu, vv, _ = cam.project(cit_kp[i])
                        x, y = uu + gauss(0, sig), vv + gauss(0, sig)
                        c = rng.uniform(0.3, 0.55)
                    else:
                        x = u + gauss(0.0, 3.0 * sig)
                        y = v + gauss(0.0, 3.0 * sig)
                        c = rng.uniform(0.05, 0.4)
                else:  # static occluder: the model guesses
                    if i in LEG_KP and p is not None and p["st"] < 0.5:
                        if prior is None:
                            pp = dict(p)
                            pp["fa"], pp["ts"], pp["ks"] = 5.0, 6.0, 0.06
                            f, l = h["f"], h["l"]
                            hl, hr = kp3[LHIP], kp3[RHIP]
                            prior = legs_seated(self.body, hl, hr, f, l, pp)
                        Pg = prior[{LKN: 0, RKN: 1, LAN: 2, RAN: 3}[i]]
                        uu, vv, _ = cam.project(Pg)
                        x, y = uu + bi[0] * 2 + gauss(0, sig), vv + bi[1] * 2 + gauss(0, sig)
                        c = rng.uniform(0.6, 0.75) if rand() < det["hidden_leg_overconfident"] else rng.uniform(0.15, 0.55)
                    elif i in (LHIP, RHIP):
                        # hips behind the desk: pulled towards "under the shoulders"
                        sh = kp3[LSH] if i == LHIP else kp3[RSH]
                        Pg = lerp3(P, (sh[0], P[1], sh[2]), 0.5)
                        uu, vv, _ = cam.project(Pg)
                        x, y = uu + bi[0] * 2 + gauss(0, sig), vv + bi[1] * 2 + gauss(0, sig)
                        c = rng.uniform(0.2, 0.55)
                    else:
                        x = u + bi[0] * 2 + gauss(0.0, 0.12 * scale)
                        y = v + bi[1] * 2 + gauss(0.0, 0.12 * scale)
                        c = rng.uniform(0.08, 0.5)
            x = clamp(x, 0.0, W - 1.0)
            y = clamp(y, 0.0, H - 1.0)
            out.append((x, y, c))
        if nvis == 0:
            return None, 0, vis
        xs = [o[0] for o in out if o[2] >= 0.3]
        ys = [o[1] for o in out if o[2] >= 0.3]
        if not xs:
            xs = [o[0] for o in out]
            ys = [o[1] for o in out]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        mw = 0.1 * (x1 - x0) + 0.15 * scale
        x0, x1 = max(0.0, x0 - mw), min(W - 1.0, x1 + mw)
        y0 = max(0.0, y0 - 0.35 * scale)
        y1 = min(H - 1.0, y1 + 0.1 * scale)
        score = clamp(0.3 + 0.6 * nvis / 17.0 + gauss(0.0, 0.04), 0.15, 0.99)
        kps = ",".join("[%.1f,%.1f,%.3f]" % o for o in out)
        return '{"box":[%.1f,%.1f,%.1f,%.1f],"score":%.3f,"keypoints":[%s]}' % (x0, y0, x1, y1, score, kps), nvis, vis

    # -- truth ----------------------------------------------------------------------------
    def make_truth(self, rt, seated, slouch, rest, crossed, inzone, seen, trunk, neck, sink):
        fps = self.fps
        dt = 1.0 / fps
        n = len(rt)
        truth = []

        def runs(flags, min_s, exit_s):
            """Frames where a condition holds -> events of >= min_s, gaps < exit_s merged."""
            evs = []
            i = 0
            while i < n:
                if not flags[i]:
                    i += 1
                    continue
                j = i
                last = i
                k = i
                while k < n:
                    if flags[k]:
                        last = k
                    elif (k - last) * dt >= exit_s:
                        break
                    k += 1
                evs.append((i, last))
                i = k if k > last else last + 1
            return [(a, z) for a, z in evs if (z - a + 1) * dt >= min_s]

        def seg_form(t0, t1, kinds):
            acc = {}
            for s in self.segs:
                ov = min(s.t1, t1) - max(s.t0, t0)
                if ov > 0 and (kinds is None or s.kind in kinds):
                    acc[s.form] = acc.get(s.form, 0.0) + ov
            if not acc:
                for s in self.segs:
                    ov = min(s.t1, t1) - max(s.t0, t0)
                    if ov > 0:
                        acc["%s:%s" % (s.kind, s.form)] = acc.get("%s:%s" % (s.kind, s.form), 0.0) + ov
            return max(acc, key=acc.get) if acc else "?"

        def frac_seen(a, z, idx):
            tot = z - a + 1
            k = sum(1 for i in range(a, z + 1) if seen.get(i, (False, False))[idx])
            return k / tot if tot else 0.0

        def ev(rule, a_t, z_t, form, **extra):
            e = {"rule": rule, "start": self.ts(round(a_t * 1000) / 1000.0), "end": self.ts(round(z_t * 1000) / 1000.0),
                 "t0": round(a_t, 2), "t1": round(z_t, 2), "form": form}
            e.update(extra)
            truth.append(e)

        # slouching
        for a, z in runs(slouch, 30.0, 10.0):
            f = seg_form(rt[a], rt[z] + dt, ("slouching",))
            tr = [trunk[i] for i in range(a, z + 1) if trunk[i] is not None]
            nk = [neck[i] for i in range(a, z + 1) if neck[i] is not None]
            sk = [sink[i] for i in range(a, z + 1) if sink[i] is not None]
            vis = frac_seen(a, z, 0)
            extra = {"trunk_deg": round(sum(tr) / len(tr), 1), "neck_deg": round(sum(nk) / len(nk), 1), "sink": round(sum(sk) / len(sk), 3),
                     "shoulder_seen": round(vis, 3)}
            if vis < 0.5:
                extra["ignore"] = True
            ev("slouching", rt[a], rt[z] + dt, f, **extra)
        # head on the desk
        for a, z in runs(rest, 30.0, 10.0):
            f = seg_form(rt[a], rt[z] + dt, ("head_on_desk",))
            vis = frac_seen(a, z, 0)
            extra = {"trunk_deg": round(sum(trunk[i] for i in range(a, z + 1)) / (z - a + 1), 1), "shoulder_seen": round(vis, 3)}
            if vis < 0.5:
                extra["ignore"] = True
            ev("head_on_desk", rt[a], rt[z] + dt, f, **extra)
        # crossed legs
        for a, z in runs(crossed, 30.0, 10.0):
            t0, t1 = rt[a], rt[z] + dt
            f = "?"
            for L in self.legs:
                if min(L["t1"], t1) - max(L["t0"], t0) > 0:
                    f = L["form"]
            vis = frac_seen(a, z, 1)
            extra = {"legs_seen": round(vis, 3)}
            if vis < 0.7:
                extra["ignore"] = True
            ev("crossed_legs", t0, t1, f, **extra)
        # absent: out of the staff area (or out of sight) for more than the tolerance
        out = [not x for x in inzone]
        for a, z in runs(out, 120.0, 10.0):
            ev("absent", rt[a], rt[z] + dt, seg_form(rt[a], rt[z] + dt, ("absent",)))
        # not standing to greet
        for v in self.visits:
            if v["short"] and v["leave"] - v["arrive"] < 23:
                continue
            ta = v["arrive"]
            i0 = int(math.ceil(ta * fps))
            if i0 >= n or not seated[i0]:
                continue
            # when the clerk is first not seated after arrival
            i = i0
            while i < n and seated[i] and rt[i] < v["leave"]:
                i += 1
            t_end = rt[i] if i < n else rt[-1] + dt
            t_end = min(t_end, v["leave"])
            if t_end - ta >= 23.0:
                form = "late_rise" if v.get("rise_at") else "stayed_seated"
                ev("not_standing_to_greet", ta + 3.0, t_end, form, wait_s=round(t_end - ta, 1))
        truth.sort(key=lambda e: e["t0"])
        return truth


def main():
    ap = argparse.ArgumentParser(description="Independent seated-clerk simulator #2")
    ap.add_argument("--windows", type=int, required=True)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--out", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=1, help="index of the first window (to split a run over processes)")
    a = ap.parse_args()
    if not (0 < a.minutes <= 15 * 60):
        sys.exit("--minutes must be in (0, 900]: the run starts at 08:00 and may not cross midnight")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for idx in range(a.first, a.first + a.windows):
        c0 = time.process_time()
        w = Window(idx, a.seed, a.minutes, a.fps)
        meta = w.run(out / w.name)
        c1 = time.process_time()
        n_truth = {}
        for e in meta["truth"]:
            k = e["rule"] + (" (ignore)" if e.get("ignore") else "")
            n_truth[k] = n_truth.get(k, 0) + 1
        print("%s: %d frames, %.1f s CPU, truth %s" % (w.name, meta["frames_written"], c1 - c0,
                                                       ", ".join("%s %d" % kv for kv in sorted(n_truth.items())) or "none"), file=sys.stderr)


if __name__ == "__main__":
    main()
