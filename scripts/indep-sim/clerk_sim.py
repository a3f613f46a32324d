#!/usr/bin/env python3
"""Independent seated-clerk keypoint simulator for Liyi.

Written without looking at the project's own simulator (src/sim/) or rules
(src/rules/), to serve as a held-out check of the posture rules.  See README.md
beside this file for the model, its assumptions and how truth is defined.

Standard library only.  One window = one camera + one clerk + the citizens who
come to the counter, simulated for M minutes at --fps frames per second.

World frame (metres): origin on the floor under the middle of the desk's
clerk-side top edge; x to the right as seen from the camera, y away from the
camera (towards the clerk's back), z up.  The clerk sits at y > 0 facing -y.
"""

import argparse
import json
import math
import random
from pathlib import Path

DEG = math.pi / 180.0
SQRT_075 = math.sqrt(0.75)

KP_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
            "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
            "left_knee", "right_knee", "left_ankle", "right_ankle"]
NOSE, LEYE, REYE, LEAR, REAR, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN = range(17)
FACE = (NOSE, LEYE, REYE, LEAR, REAR)
LEGS = (LKN, RKN, LAN, RAN)

# Parameter vector of a body pose (all blended linearly between behaviours).
PX, PY, PZ, YAW, FLEX, LAT, TWIST, NFLEX, NROLL, HYAW, HPITCH, PROT, SHPROT = range(13)
LWT, LEH, RWT, REH = 13, 16, 19, 22          # wrist targets and elbow hint points (world, 3 each)
LEG0 = 25                                    # knees and ankles in pelvis frame: lk, la, rk, ra (3 each)
NPAR = 37

# Pose-model imitation: per-keypoint base confidence and noise multiplier.
BASE_CONF = [0.90, 0.90, 0.90, 0.80, 0.80, 0.88, 0.88, 0.78, 0.78, 0.72, 0.72, 0.70, 0.70, 0.74, 0.74, 0.68, 0.68]
NOISE_MUL = [0.55, 0.55, 0.55, 0.7, 0.7, 0.8, 0.8, 1.0, 1.0, 1.25, 1.25, 1.5, 1.5, 1.1, 1.1, 1.2, 1.2]

# ---------------------------------------------------------------- vectors


def vadd(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def vsub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def vmul(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def vdot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def vcross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def vlen(a):
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def vnorm(a):
    n = vlen(a)
    if n < 1e-12:
        return (0.0, 0.0, 1.0)
    return (a[0] / n, a[1] / n, a[2] / n)


def lin(*terms):
    """Sum of (vector, scale) pairs."""
    x = y = z = 0.0
    for v, s in terms:
        x += v[0] * s
        y += v[1] * s
        z += v[2] * s
    return (x, y, z)


def rot(v, k, ang):
    """Rotate v about unit axis k by ang (right hand)."""
    c, s = math.cos(ang), math.sin(ang)
    kv = vcross(k, v)
    d = vdot(k, v) * (1 - c)
    return (v[0] * c + kv[0] * s + k[0] * d, v[1] * c + kv[1] * s + k[1] * d, v[2] * c + kv[2] * s + k[2] * d)


def fwd_left(yaw):
    """Horizontal forward and left unit vectors of a body with this yaw (0 = facing -y, + = turned to own left)."""
    s, c = math.sin(yaw), math.cos(yaw)
    return (s, -c, 0.0), (c, s, 0.0)


def smooth(u):
    return u * u * (3 - 2 * u)


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


# ---------------------------------------------------------------- body


class Body:
    """An articulated body: segment lengths from stature with varied proportions."""

    def __init__(self, rng, stature=None):
        H = stature if stature is not None else rng.uniform(1.50, 1.95)
        u = rng.uniform
        self.stature = H
        self.thigh = 0.245 * H * u(0.95, 1.05)          # hip joint to knee
        self.shank = 0.246 * H * u(0.95, 1.05)          # knee to ankle
        self.ankle_h = 0.039 * H
        self.trunk = 0.295 * H * u(0.91, 1.09)          # hip-joint centre to neck base
        self.neck = 0.112 * H * u(0.82, 1.18)           # neck base to head centre (ear level)
        self.hs = (H / 1.70) * u(0.90, 1.10)            # head scale (ear to ear 0.145 m at 1)
        self.sw = 0.215 * H * u(0.86, 1.12)             # shoulder keypoint width
        self.hw = 0.150 * H * u(0.86, 1.16)             # hip keypoint width
        self.uarm = 0.186 * H * u(0.93, 1.07)
        self.farm = 0.146 * H * u(0.93, 1.07)
        self.seat_off = 0.05 * H                         # hip joints above the seat surface
        self.stand_z = self.thigh + self.shank + self.ankle_h

    def info(self):
        return {k: round(v, 4) for k, v in vars(self).items()}


def skeleton(b, v, desk=None):
    """3-D keypoints (17) plus helpers for a body in pose vector v.

    desk = (x0, x1, y0, y1, h): elbows may not end up inside the desk; such an
    arm is re-solved with the elbow out to the side (and lifted onto the top)."""
    P = (v[PX], v[PY], v[PZ])
    F, L = fwd_left(v[YAW])
    U = (0.0, 0.0, 1.0)
    f, l, tw = v[FLEX], v[LAT], v[TWIST]
    cf, sf = math.cos(f), math.sin(f)
    spine = (F[0] * sf, F[1] * sf, cf)
    F1 = (F[0] * cf, F[1] * cf, -sf)
    cl, sl = math.cos(l), math.sin(l)
    spine2 = (spine[0] * cl + L[0] * sl, spine[1] * cl + L[1] * sl, spine[2] * cl + L[2] * sl)
    L2 = (L[0] * cl - spine[0] * sl, L[1] * cl - spine[1] * sl, L[2] * cl - spine[2] * sl)
    if tw != 0.0:
        L3 = rot(L2, spine2, tw)
        F3 = rot(F1, spine2, tw)
    else:
        L3, F3 = L2, F1
    N = lin((P, 1), (spine2, b.trunk))
    hsw = b.sw * 0.5
    shc = lin((N, 1), (spine2, -0.03), (F3, v[SHPROT]))
    lsh = vadd(shc, vmul(L3, hsw))
    rsh = vadd(shc, vmul(L3, -hsw))
    n, r = v[NFLEX], v[NROLL]
    cn, sn = math.cos(n), math.sin(n)
    nd = (spine2[0] * cn + F3[0] * sn, spine2[1] * cn + F3[1] * sn, spine2[2] * cn + F3[2] * sn)
    Fh = (F3[0] * cn - spine2[0] * sn, F3[1] * cn - spine2[1] * sn, F3[2] * cn - spine2[2] * sn)
    cr, sr = math.cos(r), math.sin(r)
    nd2 = (nd[0] * cr + L3[0] * sr, nd[1] * cr + L3[1] * sr, nd[2] * cr + L3[2] * sr)
    Lh = (L3[0] * cr - nd[0] * sr, L3[1] * cr - nd[1] * sr, L3[2] * cr - nd[2] * sr)
    hy = v[HYAW]
    if hy != 0.0:
        Fh = rot(Fh, nd2, hy)
        Lh = rot(Lh, nd2, hy)
    hp = v[HPITCH]
    ch, sh = math.cos(hp), math.sin(hp)
    Ff = (Fh[0] * ch - nd2[0] * sh, Fh[1] * ch - nd2[1] * sh, Fh[2] * ch - nd2[2] * sh)
    Uf = (nd2[0] * ch + Fh[0] * sh, nd2[1] * ch + Fh[1] * sh, nd2[2] * ch + Fh[2] * sh)
    Fhz = vnorm((F3[0], F3[1], 0.0))
    Hc = lin((N, 1), (nd2, b.neck), (Fhz, v[PROT]))
    hs = b.hs
    nose = lin((Hc, 1), (Ff, 0.095 * hs), (Uf, -0.008 * hs))
    leye = lin((Hc, 1), (Ff, 0.068 * hs), (Uf, 0.030 * hs), (Lh, 0.032 * hs))
    reye = lin((Hc, 1), (Ff, 0.068 * hs), (Uf, 0.030 * hs), (Lh, -0.032 * hs))
    lear = lin((Hc, 1), (Lh, 0.072 * hs), (Ff, -0.008 * hs), (Uf, 0.012 * hs))
    rear = lin((Hc, 1), (Lh, -0.072 * hs), (Ff, -0.008 * hs), (Uf, 0.012 * hs))
    top = lin((Hc, 1), (Uf, 0.11 * hs), (Ff, -0.01 * hs))
    # arms
    lel, lwr = ik(lsh, (v[LWT], v[LWT + 1], v[LWT + 2]), b.uarm, b.farm, vsub((v[LEH], v[LEH + 1], v[LEH + 2]), lsh))
    rel, rwr = ik(rsh, (v[RWT], v[RWT + 1], v[RWT + 2]), b.uarm, b.farm, vsub((v[REH], v[REH + 1], v[REH + 2]), rsh))
    if desk is not None:
        x0, x1, y0, y1, dh = desk
        lo = dh - 0.03
        for side in (1, -1):
            el = lel if side == 1 else rel
            if x0 < el[0] < x1 and y0 < el[1] < y1 + 0.03 and el[2] < lo:
                S = lsh if side == 1 else rsh
                T = (v[LWT], v[LWT + 1], v[LWT + 2]) if side == 1 else (v[RWT], v[RWT + 1], v[RWT + 2])
                el, wr = ik(S, T, b.uarm, b.farm, (L3[0] * side - F[0], L3[1] * side - F[1], -0.2))
                if x0 < el[0] < x1 and y0 < el[1] < y1 + 0.03 and el[2] < lo:
                    el = (el[0], el[1], dh + 0.02)       # resting on the desk top
                if side == 1:
                    lel, lwr = el, wr
                else:
                    rel, rwr = el, wr
    hh = b.hw * 0.5
    lhip = (P[0] + L[0] * hh, P[1] + L[1] * hh, P[2])
    rhip = (P[0] - L[0] * hh, P[1] - L[1] * hh, P[2])
    legs = []
    for i in range(4):
        j = LEG0 + 3 * i
        lx, ly, lz = v[j], v[j + 1], v[j + 2]
        legs.append((P[0] + L[0] * lx + F[0] * ly, P[1] + L[1] * lx + F[1] * ly, P[2] + lz))
    kps = [nose, leye, reye, lear, rear, lsh, rsh, lel, rel, lwr, rwr, lhip, rhip, legs[0], legs[2], legs[1], legs[3]]
    return kps, {"N": N, "H": Hc, "top": top, "Ff": Ff, "Lh": Lh, "L3": L3, "F": F, "L": L, "P": P, "spine": spine2}


def measure(b, v):
    """Trunk and neck angles as keypoints show them (degrees).

    trunk: hip-centre -> shoulder-centre against the vertical (negative when reclined);
    neck: shoulder-centre -> ear-centre against the trunk line (negative when extended)."""
    k, ex = skeleton(b, v)
    sh = [(k[LSH][i] + k[RSH][i]) / 2 for i in range(3)]
    hp = [(k[LHIP][i] + k[RHIP][i]) / 2 for i in range(3)]
    ea = [(k[LEAR][i] + k[REAR][i]) / 2 for i in range(3)]
    F = ex["F"]
    t = (sh[0] - hp[0], sh[1] - hp[1], sh[2] - hp[2])
    n = (ea[0] - sh[0], ea[1] - sh[1], ea[2] - sh[2])
    tl, nl = vlen(t), vlen(n)
    trunk = math.degrees(math.acos(clamp(t[2] / tl, -1, 1)))
    if t[0] * F[0] + t[1] * F[1] < 0:
        trunk = -trunk
    neck = math.degrees(math.acos(clamp(vdot(t, n) / (tl * nl), -1, 1)))
    # sign: forward of the trunk line is flexion
    tn = vnorm(t)
    perp = vsub(n, vmul(tn, vdot(n, tn)))
    if perp[0] * F[0] + perp[1] * F[1] < 0:
        neck = -neck
    return trunk, neck


def tune(b, v, trunk=None, neck=None, trunk_max=None, neck_max=None):
    """Adjust FLEX / NFLEX so that the measured angles hit targets (or stay under caps)."""
    for _ in range(6):
        mt, mn = measure(b, v)
        done = True
        if trunk is not None and abs(mt - trunk) > 0.3:
            v[FLEX] += (trunk - mt) * DEG
            done = False
        elif trunk_max is not None and mt > trunk_max:
            v[FLEX] -= (mt - trunk_max + 0.2) * DEG
            done = False
        if neck is not None and abs(mn - neck) > 0.3:
            v[NFLEX] += (neck - mn) * DEG
            done = False
        elif neck_max is not None and mn > neck_max:
            v[NFLEX] -= (mn - neck_max + 0.2) * DEG
            done = False
        if done:
            break
    return v


def ik(S, T, L1, L2, pole):
    d = vsub(T, S)
    dist = vlen(d)
    if dist < 1e-6:
        d, dist = (0.0, 0.0, -1.0), 1e-6
    u = (d[0] / dist, d[1] / dist, d[2] / dist)
    dist = clamp(dist, abs(L1 - L2) + 1e-3, L1 + L2 - 1e-4)
    a = (L1 * L1 - L2 * L2 + dist * dist) / (2 * dist)
    h = math.sqrt(max(L1 * L1 - a * a, 0.0))
    pd = vdot(pole, u)
    p = (pole[0] - u[0] * pd, pole[1] - u[1] * pd, pole[2] - u[2] * pd)
    pl = vlen(p)
    if pl < 1e-6:
        p = vnorm(vcross(u, (1.0, 0.0, 0.0)))
    else:
        p = (p[0] / pl, p[1] / pl, p[2] / pl)
    E = (S[0] + u[0] * a + p[0] * h, S[1] + u[1] * a + p[1] * h, S[2] + u[2] * a + p[2] * h)
    W = (S[0] + u[0] * dist, S[1] + u[1] * dist, S[2] + u[2] * dist)
    return E, W


# ---------------------------------------------------------------- legs (pelvis frame: lateral-left, forward, up)


def legs_seated(b, pz, spread, feet, tuck_l=0.0, tuck_r=0.0, add_l=0.0, add_r=0.0):
    """Normal sitting: thighs forward, shanks down to the floor (or dangling)."""
    out = []
    for side, tuck, add in ((1, tuck_l, add_l), (-1, tuck_r, add_r)):
        hx = side * b.hw * 0.5
        ab = spread - add                           # abduction, radians
        pitch = 8 * DEG
        kx = hx + side * b.thigh * math.cos(pitch) * math.sin(ab)
        ky = b.thigh * math.cos(pitch) * math.cos(ab)
        kz = -b.thigh * math.sin(pitch)
        dz = kz - (b.ankle_h - pz)                 # knee height above ankle-on-floor
        sh = b.shank
        if dz >= sh:
            ax, ay, az = kx, ky, kz - sh
        else:
            hzn = math.sqrt(sh * sh - dz * dz)
            hzn = min(hzn, sh * 0.8)
            fwd = feet + tuck
            ay = ky + hzn * clamp(fwd, -1, 1)
            rest = math.sqrt(max(hzn * hzn - (ay - ky) ** 2, 0.0))
            ax = kx + side * rest * 0.5
            az = kz - math.sqrt(max(sh * sh - (ax - kx) ** 2 - (ay - ky) ** 2, 0.0))
        out.append(((kx, ky, kz), (ax, ay, az)))
    (lk, la), (rk, ra) = out
    return list(lk) + list(la) + list(rk) + list(ra)


def legs_standing(b, spread=0.0, lean=0.0):
    hx = b.hw * 0.5
    out = []
    for side in (1, -1):
        x = side * (hx * 0.9 + spread)
        out += [x, 0.02 + lean, -b.thigh, x, lean * 0.5, -b.thigh - b.shank]
    return out[0:3] + out[3:6] + out[6:9] + out[9:12]


def legs_walking(b, phase, amp=22 * DEG):
    out = []
    for side, ph in ((1, 0.0), (-1, math.pi)):
        a = amp * math.sin(phase + ph)
        knee = max(0.0, 45 * DEG * math.sin(phase + ph + 1.2))
        hx = side * b.hw * 0.45
        kx, ky, kz = hx, b.thigh * math.sin(a), -b.thigh * math.cos(a)
        s = a - knee
        ax, ay, az = hx, ky + b.shank * math.sin(s), kz - b.shank * math.cos(s)
        out += [kx, ky, kz, ax, ay, az]
    return out


def legs_crossed(b, pz, over, form, rng, spread):
    """over = +1: left leg crosses over the right, -1: right over left."""
    base = legs_seated(b, pz, spread * 0.5, 0.1)
    lk, la, rk, ra = base[0:3], base[3:6], base[6:9], base[9:12]
    sup_k, sup_a = (rk, ra) if over == 1 else (lk, la)
    hip = (over * b.hw * 0.5, 0.0, 0.0)
    if form == "knee_over_knee":
        kz = sup_k[2] + rng.uniform(0.09, 0.14)
        kx = sup_k[0] * rng.uniform(0.2, 0.9)
        dx, dz = kx - hip[0], kz - hip[2]
        ky = math.sqrt(max(b.thigh ** 2 - dx * dx - dz * dz, 0.05))
        knee = (kx, ky, kz)
        target = (sup_k[0] - over * rng.uniform(0.03, 0.12), ky + rng.uniform(0.05, 0.2), kz - b.shank)
        d = vnorm(vsub(target, knee))
        ankle = vadd(knee, vmul(d, b.shank))
    else:  # ankle_on_knee (figure four)
        ankle = (sup_k[0] + over * rng.uniform(-0.02, 0.04), sup_k[1] + rng.uniform(-0.06, 0.02), sup_k[2] + rng.uniform(0.07, 0.10))
        best = None
        for i in range(0, 30):
            ab = (15 + 2.5 * i) * DEG
            pitch = rng.uniform(-4, 6) * DEG
            knee = (hip[0] + over * b.thigh * math.cos(pitch) * math.sin(ab), b.thigh * math.cos(pitch) * math.cos(ab), -b.thigh * math.sin(pitch))
            err = abs(vlen(vsub(ankle, knee)) - b.shank)
            if best is None or err < best[0]:
                best = (err, knee)
        knee = best[1]
        ankle = vadd(knee, vmul(vnorm(vsub(ankle, knee)), b.shank))
    if over == 1:
        return list(knee) + list(ankle) + list(rk) + list(ra)
    return list(lk) + list(la) + list(knee) + list(ankle)


# ---------------------------------------------------------------- camera


class Camera:
    def __init__(self, pos, pan, tilt, roll, hfov, width, height):
        self.C = pos
        self.pan, self.tilt, self.roll, self.hfov = pan, tilt, roll, hfov
        self.W, self.H = width, height
        # forward: pan about z (0 = looking +y), tilt down
        f = (math.sin(pan) * math.cos(tilt), math.cos(pan) * math.cos(tilt), -math.sin(tilt))
        r = vnorm(vcross(f, (0.0, 0.0, 1.0)))
        u = vcross(r, f)
        if roll:
            r, u = vadd(vmul(r, math.cos(roll)), vmul(u, math.sin(roll))), vadd(vmul(u, math.cos(roll)), vmul(r, -math.sin(roll)))
        self.f, self.r, self.u = f, r, u
        self.fx = (width / 2) / math.tan(hfov / 2)
        self.cx, self.cy = width / 2, height / 2

    def project(self, P):
        C, f, r, u = self.C, self.f, self.r, self.u
        dx, dy, dz = P[0] - C[0], P[1] - C[1], P[2] - C[2]
        zc = dx * f[0] + dy * f[1] + dz * f[2]
        if zc < 0.05:
            zc = 0.05
        return (self.cx + self.fx * (dx * r[0] + dy * r[1] + dz * r[2]) / zc,
                self.cy - self.fx * (dx * u[0] + dy * u[1] + dz * u[2]) / zc, zc)

    def inside(self, p, margin=0.0):
        mx, my = margin * self.W, margin * self.H
        return mx <= p[0] <= self.W - mx and my <= p[1] <= self.H - my


# ---------------------------------------------------------------- scene (occluders)


class Scene:
    def __init__(self, desks, monitor):
        self.desks = desks        # list of dict(x0, x1, y0, y1, h, panel_h, closed)
        self.monitor = monitor    # dict(x0, x1, y0, y1, z0, z1) or None

    def hidden(self, C, P):
        """True when the straight line from camera C to point P is blocked by a desk or the monitor."""
        cx, cy, cz = C
        px, py, pz = P
        for d in self.desks:
            h = d["h"]
            if pz < h - 0.005 < cz:
                t = (cz - h) / (cz - pz)
                x = cx + t * (px - cx)
                y = cy + t * (py - cy)
                if d["x0"] <= x <= d["x1"] and d["y0"] <= y <= d["y1"]:
                    return "desk"
            if d["closed"]:
                yf = d["y0"]
                if cy < yf < py:
                    t = (yf - cy) / (py - cy)
                    z = cz + t * (pz - cz)
                    x = cx + t * (px - cx)
                    if z <= d["panel_h"] and d["x0"] <= x <= d["x1"]:
                        return "desk"
        m = self.monitor
        if m is not None:
            t0, t1 = 0.0, 1.0
            for a0, a1, c, p in ((m["x0"], m["x1"], cx, px), (m["y0"], m["y1"], cy, py), (m["z0"], m["z1"], cz, pz)):
                dd = p - c
                if abs(dd) < 1e-9:
                    if c < a0 or c > a1:
                        t0, t1 = 1.0, 0.0
                        break
                    continue
                ta, tb = (a0 - c) / dd, (a1 - c) / dd
                if ta > tb:
                    ta, tb = tb, ta
                if ta > t0:
                    t0 = ta
                if tb < t1:
                    t1 = tb
                if t0 > t1:
                    break
            if t0 <= t1 and t1 > 0 and t0 < 0.999:
                return "monitor"
        return None


# ---------------------------------------------------------------- segments


class Seg:
    __slots__ = ("t0", "t1", "tr", "kind", "form", "posture", "fn", "bump", "info", "idx")

    def __init__(self, t0, t1, tr, kind, form, posture, fn, bump, info):
        self.t0, self.t1, self.tr, self.kind, self.form = t0, t1, tr, kind, form
        self.posture, self.fn, self.bump, self.info = posture, fn, bump, info
        self.idx = 0


def make_fn(base, sway, extra=None):
    """A pose function of time: base vector + slow sinusoidal sway (+ an optional extra motion)."""
    base = list(base)
    sway = tuple(sway)

    def fn(t):
        v = base[:]
        for i, a, w, ph in sway:
            v[i] += a * math.sin(w * t + ph)
        if extra is not None:
            extra(v, t)
        return v
    return fn


class Timeline:
    def __init__(self, segs):
        self.segs = segs
        self.i = 0

    def at(self, t):
        segs = self.segs
        while self.i + 1 < len(segs) and segs[self.i + 1].t0 <= t:
            self.i += 1
        s = segs[self.i]
        if s.posture == "away":
            return None, s, s.posture
        v = s.fn(t)
        posture = s.posture
        if self.i > 0 and t < s.t0 + s.tr:
            p = segs[self.i - 1]
            if p.posture != "away":
                u = (t - s.t0) / s.tr
                w = smooth(u)
                pv = p.fn(t)
                dy = pv[YAW] - v[YAW]
                if dy > math.pi:
                    pv[YAW] -= 2 * math.pi
                elif dy < -math.pi:
                    pv[YAW] += 2 * math.pi
                v = [a + (b - a) * w for a, b in zip(pv, v)]
                if s.bump:
                    v[FLEX] += s.bump * math.sin(math.pi * u)
                if w < 0.5:
                    posture = p.posture
        return v, s, posture


# ---------------------------------------------------------------- window


def u2(rng, a, b):
    return rng.uniform(a, b)


class Window:
    """One window: geometry, bodies, camera, scenario and the rendered trace."""

    def __init__(self, index, rng, minutes, fps):
        self.index = index
        self.id = "w%03d" % index
        self.rng = rng
        self.T = minutes * 60.0
        self.fps = fps
        self.make_geometry()
        self.make_camera()

    # ---------------- geometry and body
    def make_geometry(self):
        rng = self.rng
        self.body = Body(rng)
        b = self.body
        self.desk_h = rng.uniform(0.70, 0.80)
        self.depth = rng.uniform(0.55, 0.85)
        self.layout = "side" if rng.random() < 0.35 else "front"
        self.side = rng.choice((-1, 1))             # side of monitor / desk return / drawer
        self.seat_h = clamp(self.desk_h - rng.uniform(0.25, 0.32) + (b.stature - 1.72) * 0.15, 0.40, 0.56)
        self.seat_y = rng.uniform(0.18, 0.36)       # hip joints behind the desk edge
        self.base_yaw = rng.uniform(-30, 30) * DEG
        desks = []
        if self.layout == "front":
            w = rng.uniform(1.2, 1.8)
            off = rng.uniform(-0.2, 0.2)
            closed = rng.random() < 0.85
            raised = closed and rng.random() < 0.35
            panel_h = self.desk_h + (rng.uniform(0.18, 0.35) if raised else 0.0)
            desk = dict(x0=off - w / 2, x1=off + w / 2, y0=-self.depth, y1=0.0, h=self.desk_h, panel_h=panel_h, closed=closed)
        else:
            e = rng.uniform(0.20, 0.32)
            s = self.side
            x0, x1 = sorted((s * e, s * (e + 1.3)))
            closed = False
            raised = False
            desk = dict(x0=x0, x1=x1, y0=-self.depth, y1=0.35, h=self.desk_h, panel_h=self.desk_h, closed=False)
            self.base_yaw = s * rng.uniform(10, 30) * DEG
        desks.append(desk)
        self.desk = desk
        self.desk_box = (desk["x0"], desk["x1"], desk["y0"], desk["y1"], desk["h"])
        self.front_closed, self.raised_counter = closed, raised
        # neighbouring window (clerk and desk) at one side, sometimes in view
        self.neighbour = None
        if rng.random() < 0.3:
            ns = rng.choice((-1, 1))
            nx = ns * rng.uniform(1.7, 2.3)
            nd = dict(x0=nx - 0.6, x1=nx + 0.6, y0=-self.depth, y1=0.0, h=self.desk_h, panel_h=desk["panel_h"], closed=desk["closed"] or True)
            desks.append(nd)
            self.neighbour = {"x": nx, "body": Body(rng)}
        # where items sit in front of the clerk
        F, L = fwd_left(self.base_yaw)
        sx = 0.0
        if self.layout == "side":
            kbx = self.side * (self.desk["x0" if self.side > 0 else "x1"] * self.side + 0.25)
            self.kb = (kbx, -0.22, self.desk_h + 0.03)
        else:
            kd = self.seat_y + rng.uniform(0.08, 0.2)
            self.kb = (sx + F[0] * kd, -rng.uniform(0.08, 0.2), self.desk_h + 0.03)
        self.monitor = None
        if rng.random() < 0.30:          # ~4 in 5 of these hide part of the torso or arms: ~25 % of windows
            mw, mh = rng.uniform(0.45, 0.62), rng.uniform(0.38, 0.50)
            if self.layout == "front":
                mx = self.kb[0] + rng.choice((-1, 1)) * rng.uniform(0.0, 0.35)
            else:
                mx = self.kb[0] + self.side * rng.uniform(0.1, 0.3)
            my = -rng.uniform(0.35, min(0.55, self.depth - 0.08))
            self.monitor = dict(x0=mx - mw / 2, x1=mx + mw / 2, y0=my - 0.06, y1=my + 0.02, z0=self.desk_h, z1=self.desk_h + mh)
            self.screen = (mx, my, self.desk_h + mh * 0.6)
        else:
            # a monitor off to the side (low, flat or out of the line of sight) still draws the eyes
            self.screen = (self.kb[0] + self.side * rng.uniform(0.2, 0.5), -rng.uniform(0.3, 0.5), self.desk_h + 0.3)
        self.scene = Scene(desks, self.monitor)
        # personal habits
        self.flex0 = rng.uniform(-3, 6) * DEG
        self.nflex0 = rng.uniform(2, 10) * DEG
        self.spread = rng.uniform(4, 14) * DEG
        self.feet = rng.uniform(-0.5, 0.6)
        self.elbow_out = rng.uniform(0.2, 0.7)
        # citizens stand at the counter, to one side
        self.cit_side = rng.choice((-1, 1))
        self.cit_spot = (self.cit_side * rng.uniform(0.3, 0.9), -self.depth - rng.uniform(0.22, 0.38))

    # ---------------- camera placement
    def make_camera(self):
        rng = self.rng
        b = self.body
        tries = 0
        self.rejected = 0
        while True:
            tries += 1
            h = rng.uniform(1.8, 3.2)
            dist = rng.uniform(1.5, 4.5)
            off = rng.uniform(-1.5, 1.5)
            if abs(off) > 0.6 * dist:
                self.rejected += 1
                continue
            fwd = math.sqrt(dist * dist - off * off)
            C = (off, self.seat_y - fwd, h)
            # not inside a citizen: behind them or well above their head
            cs = self.cit_spot
            if math.hypot(C[0] - cs[0], C[1] - cs[1]) < 0.35 and h < 2.3:
                self.rejected += 1
                continue
            if C[1] > cs[1] - 0.05 and h < 2.2:
                self.rejected += 1
                continue
            # the installer aims at the seated clerk's chest (the tilt then errs by up to 8 degrees)
            aim_z = self.seat_h + b.seat_off + rng.uniform(0.55, 0.75) * b.trunk
            aim = (rng.uniform(-0.05, 0.05), self.seat_y - rng.uniform(0.0, 0.08), aim_z)
            dx, dy = aim[0] - C[0], aim[1] - C[1]
            pan = math.atan2(dx, dy) + rng.uniform(-3, 3) * DEG
            tilt_aim = math.atan2(h - aim_z, math.hypot(dx, dy))
            tilt = clamp(tilt_aim + rng.uniform(-8, 8) * DEG, 0.0, 45 * DEG)
            hfov = rng.uniform(60, 110) * DEG
            res = rng.choice(((640, 360), (960, 540), (1280, 720), (1920, 1080)))
            cam = Camera(C, pan, tilt, rng.uniform(-2, 2) * DEG, hfov, res[0], res[1])
            if self.placement_ok(cam):
                self.cam = cam
                self.aim_tilt = tilt_aim
                self.cam_dist = dist
                self.cam_off = off
                self.cam_h = h
                self.tries = tries
                return
            self.rejected += 1

    def seated_vec(self, **kw):
        return self.pose_seated(**kw)

    def placement_ok(self, cam):
        v = self.pose_seated()
        kps, ex = skeleton(self.body, v)
        pts = [kps[NOSE], kps[LEAR], kps[REAR], kps[LSH], kps[RSH], ex["top"]]
        for p in pts:
            q = cam.project(p)
            if not cam.inside(q, 0.02):
                return False
        # the citizen standing at the counter is at least partly in view (shoulders)
        cb = Body(random.Random(1), 1.70)
        sx, sy = self.cit_spot
        for side in (1, -1):
            p = (sx + side * 0.2, sy, cb.stand_z + cb.trunk - 0.03)
            if not cam.inside(cam.project(p), 0.0):
                return False
        return True

    # ---------------- pose builders (base vectors)
    def arms_default_hints(self, v, P, F, L):
        b = self.body
        eo = self.elbow_out
        for side, eh in ((1, LEH), (-1, REH)):
            hint = lin((P, 1), (L, side * (b.sw * 0.5 + 0.15 + 0.2 * eo)), (F, -0.25), ((0, 0, 1), b.trunk * 0.45))
            v[eh:eh + 3] = hint

    def set_arms(self, v, mode, **kw):
        """Place wrist targets (world) and elbow hints for an arm mode."""
        b = self.body
        P = (v[PX], v[PY], v[PZ])
        F, L = fwd_left(v[YAW])
        U = (0.0, 0.0, 1.0)
        self.arms_default_hints(v, P, F, L)
        kb = self.kb
        rng = self.rng
        if mode == "keyboard":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((kb, 1), (L, side * 0.13), (F, 0.02))
        elif mode == "mouse":
            v[LWT:LWT + 3] = lin((kb, 1), (L, 0.10))
            v[RWT:RWT + 3] = lin((kb, 1), (L, -0.33), (F, 0.03))
        elif mode == "desk_rest":        # forearms resting on the desk, elbows near its edge
            for side in (1, -1):
                e = lin((kb, 1), (L, side * 0.26), (F, -0.2))
                e = (e[0], min(e[1], -0.01), self.desk_h + 0.03)
                self.place_arm(v, side, e, lin((kb, 1), (L, side * 0.12), (F, 0.05), (U, 0.01)))
        elif mode == "hold_doc":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((kb, 1), (L, side * 0.15), (F, -0.02), (U, 0.02))
        elif mode == "write":
            v[LWT:LWT + 3] = lin((kb, 1), (L, 0.14), (F, 0.0))
            v[RWT:RWT + 3] = lin((kb, 1), (L, -0.06), (F, 0.06))
        elif mode == "lap":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((P, 1), (L, side * 0.09), (F, 0.26), (U, 0.10))
        elif mode == "armrest":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((P, 1), (L, side * (b.hw * 0.5 + 0.12)), (F, 0.28), (U, 0.16))
        elif mode == "phone":
            hz = kw.get("hz", 0.25)
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((P, 1), (L, side * 0.04), (F, 0.30), (U, hz))
        elif mode == "hang":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.02)), (F, 0.05), (U, b.trunk - 0.05 - (b.uarm + b.farm) * 0.97))
                eh = LEH if side == 1 else REH
                v[eh:eh + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.1)), (F, -0.15), (U, b.trunk * 0.4))
        elif mode == "clasped":
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = lin((P, 1), (L, side * 0.03), (F, 0.16), (U, -0.02))
        elif mode == "counter":      # standing, hands on the desk top
            for side, wt in ((1, LWT), (-1, RWT)):
                v[wt:wt + 3] = (P[0] + L[0] * side * 0.22 + F[0] * 0.35, min(P[1] + L[1] * side * 0.22 + F[1] * 0.35, -0.06), self.desk_h + 0.02)
        elif mode == "drawer":
            s = kw["side"]
            v[LWT:LWT + 3] = lin((kb, 1), (L, 0.12))
            wt = LWT if s == 1 else RWT
            v[wt:wt + 3] = lin((P, 1), (L, s * 0.38), (F, 0.12), (U, -0.12))
        else:
            raise ValueError("unknown arm mode " + mode)
        return v

    def place_arm(self, v, side, elbow_t, wrist_t):
        """Put the elbow towards elbow_t (upper arm at full length) and the wrist towards wrist_t."""
        b = self.body
        kps, _ = skeleton(b, v)
        S = kps[LSH if side == 1 else RSH]
        E = vadd(S, vmul(vnorm(vsub(elbow_t, S)), b.uarm))
        T = vadd(E, vmul(vnorm(vsub(wrist_t, E)), b.farm))
        wt, eh = (LWT, LEH) if side == 1 else (RWT, REH)
        v[wt:wt + 3] = T
        v[eh:eh + 3] = E

    def pose_seated(self, flex=None, lat=0.0, twist=0.0, nflex=None, nroll=0.0, hyaw=None, hpitch=0.0,
                    prot=0.0, shprot=0.0, dx=0.0, dy=0.0, dz=0.0, yaw=None, arms="keyboard", legs=None, **kw):
        b = self.body
        v = [0.0] * NPAR
        v[PX] = dx
        v[PY] = self.seat_y + dy
        v[PZ] = self.seat_h + b.seat_off + dz
        v[YAW] = self.base_yaw if yaw is None else yaw
        v[FLEX] = self.flex0 if flex is None else flex
        v[LAT], v[TWIST] = lat, twist
        v[NFLEX] = self.nflex0 if nflex is None else nflex
        v[NROLL], v[HPITCH], v[PROT], v[SHPROT] = nroll, hpitch, prot, shprot
        if hyaw is None:
            hyaw = self.look_yaw(v)
        v[HYAW] = hyaw
        self.set_arms(v, arms, **kw)
        if legs is None:
            legs = legs_seated(b, v[PZ], self.spread, self.feet)
        v[LEG0:LEG0 + 12] = legs
        return v

    def look_yaw(self, v, target=None):
        """Head yaw (relative to the trunk) that points the face at a target."""
        tgt = self.screen if target is None else target
        dx, dy = tgt[0] - v[PX], tgt[1] - v[PY]
        ang = math.atan2(dx, -dy)            # yaw whose forward points at the target
        rel = ang - v[YAW] - v[TWIST]
        while rel > math.pi:
            rel -= 2 * math.pi
        while rel < -math.pi:
            rel += 2 * math.pi
        return clamp(rel * 0.85, -70 * DEG, 70 * DEG)

    def pose_standing(self, arms="hang", flex=None, nflex=None, dy=0.12, hyaw=None, dx=0.0, yaw=None):
        b = self.body
        rng = self.rng
        v = [0.0] * NPAR
        v[PX] = dx
        v[PY] = max(self.seat_y + dy, 0.12)
        v[PZ] = b.stand_z
        v[YAW] = self.base_yaw * 0.5 if yaw is None else yaw
        v[FLEX] = rng.uniform(-1, 5) * DEG if flex is None else flex
        v[NFLEX] = rng.uniform(0, 10) * DEG if nflex is None else nflex
        if hyaw is None:
            hyaw = self.look_yaw(v, (self.cit_spot[0], self.cit_spot[1], 1.5))
        v[HYAW] = hyaw
        self.set_arms(v, arms)
        v[LEG0:LEG0 + 12] = legs_standing(b, rng.uniform(0, 0.06))
        return v

    def sway(self, scale=1.0, head=1.0, fast=False):
        rng = self.rng
        out = []
        for idx, amp in ((FLEX, 1.2), (LAT, 1.0), (TWIST, 3.0), (NFLEX, 1.5), (HYAW, 9.0 * head), (NROLL, 2.0), (HPITCH, 2.0)):
            for w in (rng.uniform(0.02, 0.08), rng.uniform(0.1, 0.35)):
                out.append((idx, amp * scale * rng.uniform(0.3, 0.7) * DEG, w * 2 * math.pi, rng.uniform(0, 6.3)))
        for idx, amp in ((PX, 0.01), (PY, 0.015)):
            out.append((idx, amp * scale, rng.uniform(0.01, 0.05) * 2 * math.pi, rng.uniform(0, 6.3)))
        return out

    def hands_motion(self, amp, hands=(LWT, RWT)):
        rng = self.rng
        comps = []
        for h in hands:
            for k in range(3):
                comps.append((h + k, amp * (0.3 if k == 2 else 1.0), rng.uniform(5, 17), rng.uniform(0, 6.3)))
        comps = tuple(comps)

        def extra(v, t):
            for i, a, w, ph in comps:
                v[i] += a * math.sin(w * t + ph)
        return extra


# ---------------------------------------------------------------- scenario


class Scenario:
    """Builds the clerk's behaviour segments, the citizen visits and the truth."""

    def __init__(self, win):
        self.w = win
        self.rng = win.rng
        self.segs = []
        self.t = 0.0
        self.visits = []
        self.truth = []

    # ---------------- primitives
    def add(self, kind, form, dur, fn, posture="seated", tr=None, bump=0.0, **info):
        if tr is None:
            tr = self.rng.uniform(1.0, 2.0)
        tr = min(tr, dur * 0.5)
        s = Seg(self.t, self.t + dur, tr, kind, form, posture, fn, bump, info)
        s.idx = len(self.segs)
        self.segs.append(s)
        self.t += dur
        return s

    def truth_event(self, rule, start, end, form, **extra):
        e = {"rule": rule, "t0": round(start, 2), "t1": round(end, 2), "form": form}
        e.update(extra)
        self.truth.append(e)
        return e

    def prev_posture(self):
        return self.segs[-1].posture if self.segs else "seated"

    def sit_tr(self):
        """Transition into sitting, with the forward trunk swing of a sit-down / stand-up."""
        if self.prev_posture() in ("standing", "walking"):
            return self.rng.uniform(1.8, 2.6), self.rng.uniform(22, 38) * DEG
        return self.rng.uniform(1.0, 2.0), 0.0

    # ---------------- compliant seated work
    def work(self, form, dur, quiet=False):
        w, rng = self.w, self.rng
        tr, bump = self.sit_tr()
        # caps leave room for the sway (trunk +-1.7 deg, neck +-2.1 deg): peaks stay <= 12 / 15 deg
        sway = w.sway(0.8 if quiet else 1.0)
        extra = None
        info = {}
        B = w.body
        if form == "typing":
            v = w.pose_seated(flex=w.flex0 + rng.uniform(0, 6) * DEG, nflex=w.nflex0 + rng.uniform(0, 5) * DEG,
                              arms=rng.choice(("keyboard", "keyboard", "mouse")))
            tune(B, v, trunk_max=10.0, neck_max=12.5)
            extra = w.hands_motion(0.012)
        elif form == "screen":
            v = w.pose_seated(arms=rng.choice(("desk_rest", "mouse", "lap")))
            tune(B, v, trunk_max=10.0, neck_max=12.5)
            extra = w.hands_motion(0.004)
        elif form == "writing":
            v = w.pose_seated(flex=max(w.flex0, 5 * DEG) + rng.uniform(0, 7) * DEG, nflex=rng.uniform(8, 15) * DEG, dy=-0.04,
                              arms="write", hyaw=rng.uniform(-8, 8) * DEG)
            tune(B, v, trunk_max=10.0, neck_max=12.5)
            extra = w.hands_motion(0.015, (RWT,))
        elif form == "lean_back":
            v = w.pose_seated(flex=-rng.uniform(8, 20) * DEG, nflex=rng.uniform(5, 13.5) * DEG, dy=0.05, arms=rng.choice(("lap", "armrest")))
            tune(B, v, neck_max=12.5)
        elif form == "turn_side":
            s = rng.choice((-1, 1))
            tw = s * rng.uniform(25, 50) * DEG
            v = w.pose_seated(twist=tw, hyaw=s * rng.uniform(10, 35) * DEG, arms=rng.choice(("lap", "armrest", "desk_rest")))
            tune(B, v, trunk_max=8.0, neck_max=12.5)
            info["side"] = s
        elif form == "look_down":
            v = w.pose_seated(nflex=rng.uniform(30, 45) * DEG, hyaw=rng.uniform(-10, 10) * DEG, arms="hold_doc")
            tune(B, v, trunk_max=10.0, neck=rng.uniform(30, 45))
            sway = w.sway(0.5, 0.3)
        elif form == "drawer":
            s = w.side if rng.random() < 0.7 else -w.side
            v = w.pose_seated(flex=rng.uniform(15, 30) * DEG, lat=-s * rng.uniform(10, 20) * DEG, twist=s * rng.uniform(0, 15) * DEG,
                              nflex=rng.uniform(10, 25) * DEG, hyaw=s * rng.uniform(10, 30) * DEG, arms="drawer", side=s)
            info["side"] = s
        else:
            raise ValueError(form)
        mt, mn = measure(B, v)
        info.update(trunk_deg=round(mt, 1), neck_deg=round(mn, 1))
        self.add("work", form, dur, make_fn(v, sway, extra), tr=tr, bump=bump, **info)

    def neutral(self, dur):
        """Plain compliant seated work, at least `dur` seconds, as one or more segments."""
        rng = self.rng
        end = self.t + dur
        while end - self.t > 1e-6:
            left = end - self.t
            d = left if left < 50 else rng.uniform(25, min(90, left - 20))
            self.work(rng.choice(("typing", "typing", "screen", "writing")), d)

    def work_block(self, total):
        """A block of compliant work with busy moments; deviating moments are followed by >= 30 s neutral."""
        rng = self.rng
        end = self.t + total
        while end - self.t > 40:
            r = rng.random()
            if r < 0.12:
                self.work("look_down", rng.uniform(4, 12))
                self.neutral(rng.uniform(30, 50))
            elif r < 0.20:
                self.work("drawer", rng.uniform(3, 8))
                self.neutral(rng.uniform(30, 50))
            elif r < 0.30:
                self.work("turn_side", rng.uniform(5, 25))
            elif r < 0.42:
                self.work("lean_back", rng.uniform(20, 90))
            elif r < 0.55:
                self.work("writing", rng.uniform(20, 60))
            elif r < 0.70:
                self.work("screen", rng.uniform(20, 90))
            else:
                self.work("typing", rng.uniform(30, 120))
        self.neutral(max(end - self.t, 10.0))

    # ---------------- slouching
    def slouch_pose(self, form):
        w, rng = self.w, self.rng
        info = {}
        B = w.body
        if form == "rounded_back":
            f = rng.uniform(25, 40)
            v = w.pose_seated(flex=f * DEG, nflex=rng.uniform(-8, 10) * DEG, prot=rng.uniform(0.03, 0.07), shprot=rng.uniform(0.03, 0.06),
                              dy=-0.03, arms=rng.choice(("keyboard", "desk_rest", "mouse")))
            tune(B, v, trunk=f)
        elif form == "forward_lean":
            f = rng.uniform(28, 45)
            v = w.pose_seated(flex=f * DEG, nflex=rng.uniform(0, 20) * DEG, dy=-rng.uniform(0.0, 0.08), arms=rng.choice(("desk_rest", "hold_doc", "keyboard")))
            tune(B, v, trunk=f)
        elif form == "slid_down":
            drop = rng.uniform(0.10, 0.20)
            rec = rng.uniform(15, 35)
            pdrop = clamp(drop - B.trunk * (1 - math.cos(rec * DEG)), 0.02, 0.12)
            shift = rng.uniform(0.10, 0.20)
            n = rng.uniform(20, 38)
            v = w.pose_seated(flex=-rec * DEG, nflex=n * DEG, dy=-shift, dz=-pdrop, arms=rng.choice(("lap", "armrest", "phone")), hz=0.3)
            tune(B, v, neck=n)
            info.update(shoulder_drop=round(pdrop + B.trunk * (1 - math.cos(rec * DEG)), 3))
        elif form == "elbow_lean":
            s = rng.choice((-1, 1))
            f = rng.uniform(25, 40)
            lat = rng.uniform(8, 18)
            v = w.pose_seated(flex=f * DEG, lat=s * lat * DEG, nflex=rng.uniform(0, 15) * DEG, dy=-0.03, arms="mouse" if s == 1 else "keyboard")
            tune(B, v, trunk=f)
            P = (v[PX], v[PY], v[PZ])
            F, L = fwd_left(v[YAW])
            elbow = (P[0] + L[0] * s * 0.2 + F[0] * 0.3, min(-0.06, P[1] + F[1] * 0.3), w.desk_h + 0.03)
            w.place_arm(v, s, elbow, lin((elbow, 1), (F, 0.3), (L, -s * 0.15)))
            info.update(lateral=round(s * lat, 1))
        elif form == "neck_bend":
            f = rng.uniform(0, 8)
            n = rng.uniform(35, 50)
            v = w.pose_seated(flex=f * DEG, nflex=n * DEG, hyaw=rng.uniform(-10, 10) * DEG, arms=rng.choice(("phone", "hold_doc")), hz=rng.uniform(0.15, 0.3))
            tune(B, v, trunk=f, neck=n)
        else:
            raise ValueError(form)
        mt, mn = measure(B, v)
        info.update(trunk_deg=round(mt, 1), neck_deg=round(mn, 1))
        return v, info

    def slouch(self, violation, left=1e9):
        rng = self.rng
        form = rng.choice(("rounded_back", "forward_lean", "slid_down", "elbow_lean", "neck_bend"))
        v, info = self.slouch_pose(form)
        tr, _ = self.sit_tr()
        tr = rng.uniform(1.5, 3.0)
        if violation:
            hold = rng.uniform(60, clamp(left - tr - 40, 60, 240))
        else:
            tr_out = 2.0
            hold = rng.uniform(3, 15 - tr - tr_out)
        seg = self.add("slouch" if violation else "slouch_decoy", form, tr + hold, make_fn(v, self.w.sway(0.6, 0.6), self.w.hands_motion(0.006)), tr=tr, **info)
        if violation:
            self.truth_event("slouching", seg.t0 + tr, seg.t1, form, _seg=seg.idx)
        # a short decoy is followed by an explicit 2 s recovery then neutral work
        self.neutral(rng.uniform(30, 60))

    # ---------------- head on the desk
    def head_pose(self, form):
        w, rng = self.w, self.rng
        b = w.body
        dh = w.desk_h
        s = rng.choice((-1, 1))
        f = rng.uniform(40, 70) * DEG
        nroll = 0.0
        hyaw = rng.uniform(-10, 10) * DEG
        hpitch = 0.0
        if form == "folded_arms":
            zt = dh + rng.uniform(0.14, 0.19) * b.hs
        elif form == "one_arm":
            zt = dh + rng.uniform(0.12, 0.16) * b.hs
            nroll = s * rng.uniform(25, 50) * DEG
            hyaw = s * rng.uniform(10, 40) * DEG
        elif form == "propped_hand":
            zt = dh + rng.uniform(0.26, 0.33)
            hpitch = rng.uniform(15, 30) * DEG
        elif form == "forehead":
            zt = dh + rng.uniform(0.095, 0.115) * b.hs
            hpitch = rng.uniform(10, 25) * DEG
        else:
            raise ValueError(form)
        # head target over the desk, in front of the clerk
        F0, L0 = fwd_left(w.base_yaw)
        if w.layout == "side":
            hx = w.kb[0] + w.side * rng.uniform(-0.05, 0.1)
        else:
            hx = w.kb[0] + rng.uniform(-0.1, 0.1)
        hy_t = -rng.uniform(0.12, 0.30)
        n = 0.0
        zt0 = zt
        for _ in range(40):
            base = w.pose_seated(flex=f, nflex=0.0, nroll=nroll, hyaw=hyaw, hpitch=hpitch, arms="lap")
            lo, hi = 0.0, 85 * DEG
            zlo = skeleton(b, self._with(base, NFLEX, 5 * DEG))[1]["H"][2]
            zhi = skeleton(b, self._with(base, NFLEX, hi))[1]["H"][2]
            zt = min(zt0, zlo)                  # cannot hold the head higher than the trunk allows
            if zhi > zt:
                if f + 3 * DEG <= 70 * DEG:
                    f += 3 * DEG
                    continue
                n = hi
                break
            for _ in range(25):
                mid = (lo + hi) / 2
                if skeleton(b, self._with(base, NFLEX, mid))[1]["H"][2] > zt:
                    lo = mid
                else:
                    hi = mid
            n = (lo + hi) / 2
            # the neck base (upper back) must stay above the desk top when it is over the desk
            sk = skeleton(b, self._with(base, NFLEX, n))[1]
            Hh, Nn = sk["H"], sk["N"]
            ny = Nn[1] + (hy_t - Hh[1])
            if ny < 0.08 and Nn[2] < dh + 0.07 and f - 3 * DEG >= 40 * DEG:
                f -= 3 * DEG
                continue
            break
        base = self._with(base, NFLEX, n)
        H = skeleton(b, base)[1]["H"]
        # slide the chair so the head lands on the desk; never with the pelvis inside the desk
        ddx, ddy = hx - H[0], hy_t - H[1]
        base[PX] += ddx
        base[PY] += ddy
        miny = 0.10
        if base[PY] < miny:
            base[PY] = miny
        # legs follow the pelvis (same local layout); recompute with the final pose
        v = w.pose_seated(flex=f, nflex=n, nroll=nroll, hyaw=hyaw, hpitch=hpitch, dx=base[PX], dy=base[PY] - w.seat_y, arms="lap")
        kps, ex = skeleton(b, v)
        H = ex["H"]
        F, L = fwd_left(v[YAW])
        U = (0.0, 0.0, 1.0)
        top = dh + 0.03
        if form == "folded_arms":
            for side in (1, -1):
                e = (H[0] + L[0] * side * 0.26 - F[0] * 0.02, H[1] + L[1] * side * 0.26 - F[1] * 0.02, top)
                wr = (H[0] - L[0] * side * 0.14 + F[0] * 0.04, H[1] - L[1] * side * 0.14 + F[1] * 0.04, top + 0.04)
                w.place_arm(v, side, e, wr)
        elif form == "one_arm":
            side = -s                    # the arm on the side the face turns away from
            e = (H[0] + L[0] * side * 0.28 - F[0] * 0.02, H[1] + L[1] * side * 0.28 - F[1] * 0.02, top)
            wr = (H[0] - L[0] * side * 0.12 + F[0] * 0.06, H[1] - L[1] * side * 0.12 + F[1] * 0.06, top + 0.02)
            w.place_arm(v, side, e, wr)
            if rng.random() < 0.5:       # the other arm stretched out on the desk
                e2 = (H[0] - L[0] * side * 0.32, H[1] - L[1] * side * 0.32 + 0.05, top)
                w.place_arm(v, -side, e2, vadd(e2, vmul(vnorm((F[0] - L[0] * side * 0.5, F[1] - L[1] * side * 0.5, 0.0)), 0.3)))
        elif form == "propped_hand":
            chin = lin((H, 1), (ex["Ff"], 0.05), ((0, 0, 1), -0.09), (L, s * 0.02))
            dz = chin[2] - top
            r = math.sqrt(max(b.farm ** 2 - dz * dz, 0.0))
            S = kps[LSH if s == 1 else RSH]
            hd = vnorm((S[0] - chin[0], S[1] - chin[1], 0.0))
            e = (chin[0] + hd[0] * r, chin[1] + hd[1] * r, top)
            wt, eh = (LWT, LEH) if s == 1 else (RWT, REH)
            v[wt:wt + 3] = chin
            v[eh:eh + 3] = e
            e2 = (H[0] - L[0] * s * 0.30, H[1] - L[1] * s * 0.30 + 0.05, top)
            w.place_arm(v, -s, e2, vadd(e2, vmul(vnorm((F[0], F[1], 0.0)), 0.3)))
        elif form == "forehead":
            if rng.random() < 0.5:
                for side in (1, -1):
                    e = (H[0] + L[0] * side * 0.35, H[1] + L[1] * side * 0.35 + 0.05, top)
                    w.place_arm(v, side, e, vadd(e, vmul(vnorm((F[0] - L[0] * side * 0.3, F[1] - L[1] * side * 0.3, 0.0)), 0.3)))
        mt, mn = measure(b, v)
        info = {"trunk_deg": round(mt, 1), "neck_deg": round(mn, 1)}
        return v, info

    @staticmethod
    def _with(v, i, x):
        v = list(v)
        v[i] = x
        return v

    def head_desk(self, violation, left=1e9):
        rng = self.rng
        form = rng.choice(("folded_arms", "one_arm", "propped_hand", "forehead"))
        v, info = self.head_pose(form)
        tr = rng.uniform(2.0, 3.5)
        if violation:
            hold = rng.uniform(60, clamp(left - tr - 40, 60, 300))
        else:
            hold = rng.uniform(3, 15 - tr - 2.5)
        sway = self.w.sway(0.15, 0.1)
        seg = self.add("head_desk" if violation else "head_desk_decoy", form, tr + hold, make_fn(v, sway), tr=tr, **info)
        if violation:
            self.truth_event("head_on_desk", seg.t0 + tr, seg.t1, form, _seg=seg.idx)
        self.neutral(rng.uniform(30, 60))

    # ---------------- crossed legs
    def crossed(self, violation, left=1e9):
        w, rng = self.w, self.rng
        form = rng.choice(("knee_over_knee", "ankle_on_knee"))
        over = rng.choice((-1, 1))
        base = w.pose_seated(flex=min(w.flex0, 9 * DEG), nflex=min(w.nflex0, 12 * DEG), arms=rng.choice(("keyboard", "mouse", "desk_rest")))
        legs = legs_crossed(w.body, base[PZ], over, form, rng, w.spread)
        base[LEG0:LEG0 + 12] = legs
        tr = rng.uniform(1.5, 2.5)
        if violation:
            hold = rng.uniform(60, clamp(left - tr - 40, 60, 300))
        else:
            hold = rng.uniform(3, 15 - tr - 2.0)
        seg = self.add("crossed_legs" if violation else "crossed_decoy", form, tr + hold, make_fn(base, w.sway(0.8), w.hands_motion(0.01)), tr=tr, over=over)
        if violation:
            ev = self.truth_event("crossed_legs", seg.t0 + tr, seg.t1, form)
            ev["_seg"] = seg.idx                # visibility decided after rendering
        self.neutral(rng.uniform(30, 60))

    # ---------------- standing up, walking away
    def stand(self, form, dur, arms=None, bow=False, dy=None):
        rng = self.rng
        w = self.w
        prev = self.prev_posture()
        v = w.pose_standing(arms=arms or rng.choice(("hang", "clasped", "counter")), dy=rng.uniform(0.08, 0.2) if dy is None else dy)
        extra = None
        if bow:
            amp = rng.uniform(10, 20) * DEG
            t_b = self.t + rng.uniform(2.5, 3.5)

            def extra(vv, t, amp=amp, t_b=t_b):
                u = (t - t_b) / 1.6
                if 0 < u < 1:
                    vv[FLEX] += amp * math.sin(math.pi * u)
        if prev == "seated":
            tr, bump = rng.uniform(1.6, 2.4), rng.uniform(25, 40) * DEG
        else:
            tr, bump = rng.uniform(0.6, 1.0), 0.0
        return self.add("stand", form, dur, make_fn(v, w.sway(0.8), extra), posture="standing", tr=tr, bump=bump)

    def walk(self, form, x0, y0, x1, y1, speed):
        w = self.w
        b = w.body
        dist = math.hypot(x1 - x0, y1 - y0)
        dur = max(dist / speed, 0.5)
        yaw = math.atan2(x1 - x0, -(y1 - y0))   # forward points along the motion
        t0 = self.t
        cad = speed / (0.75 * b.stature / 1.7) * math.pi    # gait phase rate (rad/s)
        rng = self.rng
        ph0 = rng.uniform(0, 6.3)
        v0 = w.pose_standing(arms="hang", flex=2 * DEG, nflex=5 * DEG, hyaw=0.0, yaw=yaw)

        def fn(t):
            u = clamp((t - t0) / dur, 0.0, 1.0)
            v = v0[:]
            v[PX] = x0 + (x1 - x0) * u
            v[PY] = y0 + (y1 - y0) * u
            ph = ph0 + cad * (t - t0)
            v[PZ] = b.stand_z - 0.015 - 0.015 * math.cos(2 * ph)
            v[LEG0:LEG0 + 12] = legs_walking(b, ph)
            F, L = fwd_left(yaw)
            P = (v[PX], v[PY], v[PZ])
            for side, wt, sgn in ((1, LWT, 1), (-1, RWT, -1)):
                sw = 0.12 * math.sin(ph + (math.pi if side == 1 else 0.0))
                v[wt:wt + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.03)), (F, sw), ((0, 0, 1), b.trunk - 0.05 - (b.uarm + b.farm) * 0.96))
                eh = LEH if side == 1 else REH
                v[eh:eh + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.1)), (F, -0.2), ((0, 0, 1), b.trunk * 0.4))
            return v
        return self.add("walk", form, dur, fn, posture="walking", tr=0.8)

    def go_away(self, long_absence, left=1e9):
        rng, w = self.rng, self.w
        t_start = self.t
        self.stand("rise", rng.uniform(1.8, 3.0), arms="hang")
        s = rng.choice((-1, 1))
        y = w.seat_y + rng.uniform(0.3, 0.7)
        speed = rng.uniform(0.9, 1.3)
        x0 = 0.0
        if long_absence:
            far = rng.uniform(7.0, 9.0)
            self.walk("walk_off", x0, w.seat_y + 0.15, s * far, y, speed)
            total = rng.uniform(250, clamp(left - 50, 250, 600))
            back = far / speed + 5
            gone = max(total - (self.t - t_start) - back, 30)
            self.add("away", "absence", gone, None, posture="away")
            self.walk("walk_on", s * far, y, x0, w.seat_y + 0.15, speed)
        else:
            far = rng.uniform(2.0, 3.5)
            self.walk("walk_off", x0, w.seat_y + 0.15, s * far, y, speed)
            budget = 38 - (self.t - t_start) - far / speed - 5
            if budget > 2:
                stay = rng.uniform(2, budget)
                if rng.random() < 0.5:
                    self.add("away", "errand", stay, None, posture="away")
                else:
                    v = w.pose_standing(arms="counter", dx=s * far, dy=y - w.seat_y, yaw=rng.uniform(-60, 60) * DEG)
                    v[LWT + 2] = v[RWT + 2] = 0.95
                    self.add("stand", "errand_busy", stay, make_fn(v, w.sway(0.8)), posture="standing", tr=0.8)
            self.walk("walk_on", s * far, y, x0, w.seat_y + 0.15, speed)
        self.stand("before_sit", rng.uniform(0.8, 1.5), arms="hang")
        # sit down and settle
        tr, bump = self.sit_tr()
        v = w.pose_seated(arms="desk_rest")
        self.add("work", "sit_down", tr + rng.uniform(2, 4), make_fn(v, w.sway()), tr=tr, bump=bump)
        t_end = self.segs[-1].t0 + tr
        dur = t_end - t_start
        if long_absence:
            self.truth_event("absent", t_start, t_end, "absence")
        return dur

    # ---------------- citizens
    def citizen_track(self, kind, t_enter, t_arrive, t_leave, t_exit, rng):
        w = self.w
        b = Body(rng)
        sx, sy = w.cit_spot
        sx += rng.uniform(-0.15, 0.15)
        sy += rng.uniform(-0.08, 0.08)
        s_in = rng.choice((-1, 1))
        s_out = rng.choice((-1, 1))
        return {"kind": kind, "t_enter": t_enter, "t_arrive": t_arrive, "t_leave": t_leave, "t_exit": t_exit,
                "spot": (sx, sy), "s_in": s_in, "s_out": s_out, "body": b,
                "lean": rng.uniform(8, 18) * DEG if rng.random() < 0.2 else rng.uniform(0, 5) * DEG,
                "arms": rng.choice(("counter", "hang", "phone", "counter")), "yaw": rng.uniform(-25, 25) * DEG,
                "sway": [(i, a * DEG, rng.uniform(0.05, 0.3) * 6.28, rng.uniform(0, 6.3)) for i, a in ((FLEX, 1.5), (LAT, 1.5), (HYAW, 8.0), (NFLEX, 4))]}

    def visit(self, kind, left=1e9):
        """kind: greet (stand within 3-8 s), seated (stays seated >= 40 s: violation), passerby (<= 8 s at the counter)."""
        rng, w = self.rng, self.w
        walk_in = rng.uniform(2.0, 4.0)
        t_enter = self.t
        t_arr = t_enter + walk_in
        if kind == "passerby":
            stay = rng.uniform(0.0, 6.0)
        elif kind == "seated":
            stay = rng.uniform(60, clamp(left - 50, 60, 300)) if rng.random() < 0.7 else rng.uniform(45, 60)
        else:
            stay = min(30 + rng.expovariate(1 / 90.0), 300, max(left - 50, 30))
        t_leave = t_arr + stay
        walk_out = rng.uniform(2.0, 4.0)
        t_exit = t_leave + walk_out
        vis = self.citizen_track(kind, t_enter, t_arr, t_leave, t_exit, rng)
        self.visits.append(vis)
        look = (vis["spot"][0], vis["spot"][1], 1.45)
        if kind == "passerby":
            self.work("typing", t_exit - self.t + rng.uniform(2, 6))
            vis["clerk"] = "seated"
        elif kind == "greet":
            d = rng.uniform(3.0, 8.0)
            tr_rise = rng.uniform(1.6, 2.4)
            pre = t_arr + d - tr_rise - self.t
            self.work(rng.choice(("typing", "screen")), pre)
            hold = min(rng.uniform(5, 30), max(stay - d - 4, 2))
            s = self.stand("greet", tr_rise + hold, bow=rng.random() < 0.6)
            s.tr = tr_rise
            vis["stand_at"] = round(t_arr + d, 2)
            # sit down and serve until the citizen leaves; sometimes stand to see them off
            rest = t_leave - self.t
            if rest > 6:
                see_off = rng.random() < 0.3 and rest > 12
                serve = rest - (2.5 if see_off else -rng.uniform(1, 3))
                self.serve(serve, look)
                if see_off:
                    self.stand("see_off", walk_out + rng.uniform(2, 4))
            else:
                self.stand("greet", rest + walk_out + 1)
            vis["clerk"] = "stood"
        else:  # seated through
            late = rng.random() < 0.5
            stand_at = t_arr + rng.uniform(43, 80) if late else None
            if stand_at is not None and stand_at > t_leave - 5:
                stand_at = None
            end_seated = stand_at if stand_at is not None else t_leave
            self.serve(end_seated - self.t - (rng.uniform(1.6, 2.4) if stand_at else 0.0), look)
            if stand_at is not None:
                s = self.stand("late_stand", max(t_leave - self.t, 3) + rng.uniform(1, 3))
                vis["stand_at"] = round(stand_at, 2)
                seated_until = s.t0 + s.tr * 0.5
            else:
                seated_until = t_leave
                self.serve(t_exit - self.t + rng.uniform(1, 3), look)
            vis["clerk"] = "seated"
            self.truth_event("not_standing_to_greet", t_arr, min(seated_until, t_leave), "late_stand" if stand_at else "seated_through")
        if self.prev_posture() != "seated":
            self.work("screen", rng.uniform(4, 8))
        self.neutral(rng.uniform(20, 40))

    def serve(self, dur, look):
        """Seated, upright, serving the citizen (typing, looking at them or the screen)."""
        rng, w = self.rng, self.w
        end = self.t + dur
        first = True
        while end - self.t > 0.5:
            d = min(end - self.t, rng.uniform(10, 40))
            if end - self.t - d < 5:
                d = end - self.t
            form = rng.choice(("typing", "screen", "writing", "talk"))
            if form == "talk":
                tr, bump = self.sit_tr()
                v = w.pose_seated(flex=min(w.flex0, 10 * DEG), nflex=min(w.nflex0, 12 * DEG), arms=rng.choice(("desk_rest", "keyboard")))
                v[HYAW] = w.look_yaw(v, look)
                v[NFLEX] = max(v[NFLEX] - 5 * DEG, 0.0)
                self.add("work", "talk", d, make_fn(v, w.sway(0.8, 0.5)), tr=tr, bump=bump)
            else:
                self.work(form, d)
            first = False

    # ---------------- the whole script
    def build(self):
        rng, w = self.rng, self.w
        T = w.T
        self.neutral(rng.uniform(40, 90))
        acts = [("visit", 8.0), ("slouch", 1.5), ("slouch_decoy", 2.0), ("head", 1.2), ("head_decoy", 1.2),
                ("crossed", 1.2), ("crossed_decoy", 1.0), ("errand", 1.5), ("absence", 0.6), ("work", 4.0)]
        tot = sum(x for _, x in acts)
        while self.t < T - 160:
            r = rng.random() * tot
            for name, wt in acts:
                r -= wt
                if r <= 0:
                    break
            left = T - 120 - self.t
            # every violation ends at least ~40 s before the last two minutes of the window
            if name == "visit":
                u = rng.random()
                kind = "passerby" if u < 0.15 else "seated" if u < 0.37 else "greet"
                if left < 120:
                    continue
                self.visit(kind, left)
            elif name == "slouch":
                if left < 110:
                    continue
                self.slouch(True, left)
            elif name == "slouch_decoy":
                self.slouch(False)
            elif name == "head":
                if left < 110:
                    continue
                self.head_desk(True, left)
            elif name == "head_decoy":
                self.head_desk(False)
            elif name == "crossed":
                if left < 110:
                    continue
                self.crossed(True, left)
            elif name == "crossed_decoy":
                self.crossed(False)
            elif name == "errand":
                self.go_away(False)
                self.neutral(rng.uniform(20, 40))
            elif name == "absence":
                if left < 300:
                    continue
                self.go_away(True, left)
                self.neutral(rng.uniform(20, 40))
            else:
                self.work_block(rng.uniform(60, 240))
        self.neutral(max(T - self.t, 0) + 5.0)


# ---------------------------------------------------------------- rendering (pose-model imitation)


class Detector:
    """Imitates a top-down pose model: noise, confidences, occlusion guesses, misses."""

    def __init__(self, rng, cam):
        self.rng = rng
        self.cam = cam
        self.quality = rng.uniform(0.9, 1.05)        # model/camera quality of this window
        self.hip_trust = rng.uniform(0.35, 0.85)     # how much hidden hips follow the truth (vs an upright prior)
        self.state = {}                              # per track: noise state

    def track(self, key):
        st = self.state.get(key)
        if st is None:
            st = {"fast": [0.0] * 34, "slow": [0.0] * 34, "miss": 0}
            self.state[key] = st
        return st

    def detect(self, key, body, kps, ex, posture, scene, legs_guess, occluders, blur=0.0, role="clerk"):
        """Returns (person dict or None, visibility flags list, per-keypoint reasons)."""
        rng, cam = self.rng, self.cam
        C = cam.C
        proj = [cam.project(p) for p in kps]
        # scale: torso length in pixels at this depth
        zc = max(cam.project(ex["N"])[2], 0.3)
        scale = cam.fx * body.trunk / zc
        sigma = 0.025 * scale + 0.8
        sf = clamp(0.55 + scale / 200.0, 0.6, 1.0)
        H = ex["H"]
        to_cam_h = vnorm(vsub(C, H))
        Ff, Lh = ex["Ff"], ex["Lh"]
        face_dot = vdot(Ff, to_cam_h)
        r_head = 0.095 * body.hs
        L3 = ex["L3"]
        to_cam_n = vnorm(vsub(C, ex["N"]))
        side_dot = vdot(L3, to_cam_n)                # > 0: left side towards the camera
        vis = [True] * 17
        why = [None] * 17
        W, Hh = cam.W, cam.H
        for i in range(17):
            p = proj[i]
            if not (0 <= p[0] <= W and 0 <= p[1] <= Hh):
                vis[i], why[i] = False, "frame"
                continue
            P = kps[i]
            occ = scene.hidden(C, P)
            if occ:
                vis[i], why[i] = False, occ
                continue
            if i in FACE:
                if i <= REYE:
                    if face_dot < 0.12:
                        vis[i], why[i] = False, "self"
                        continue
                else:
                    d = vdot(Lh, to_cam_h) * (1 if i == LEAR else -1)
                    if d < -0.35 or (face_dot < -0.75):
                        vis[i], why[i] = False, "self"
                        continue
            else:
                # own head in front (bent far forward under a high camera)
                dP = vsub(P, C)
                dH = vsub(H, C)
                ll = vdot(dP, dP)
                tt = vdot(dH, dP) / ll
                if 0.0 < tt < 0.97:
                    q = vsub(dH, vmul(dP, tt))
                    if vdot(q, q) < r_head * r_head:
                        vis[i], why[i] = False, "self"
                        continue
                # far side of a body turned sideways
                if i in (LSH, LEL, LWR, RSH, REL, RWR, LHIP, RHIP):
                    left = i in (LSH, LEL, LWR, LHIP)
                    if (side_dot if left else -side_dot) < -0.8:
                        vis[i], why[i] = False, "self"
                        continue
            for occl in occluders:
                if occl.covers(p):
                    vis[i], why[i] = False, "person"
                    break
        n_in = sum(1 for i in range(17) if why[i] != "frame")
        n_vis = sum(vis)
        st = self.track(key)
        # missed detections: runs of 1-4 frames, more often when the person is small or mostly hidden
        if st["miss"] > 0:
            st["miss"] -= 1
            return None, vis, why
        p_miss = 0.0015 + (0.02 if n_vis < 6 else 0.0) + (0.004 if scale < 40 else 0.0) + 0.02 * blur
        if n_vis < 3 or n_in < 5:
            p_miss = 0.7 if n_vis >= 2 else 1.0
        if rng.random() < p_miss:
            st["miss"] = rng.randint(0, 3)
            return None, vis, why
        fast, slow = st["fast"], st["slow"]
        g = rng.gauss
        out = []
        # prior for hidden hips: under the shoulders as if the trunk were upright
        hip_prior = None
        for i in range(17):
            x, y = proj[i][0], proj[i][1]
            s = sigma * NOISE_MUL[i]
            j = 2 * i
            fast[j] = 0.5 * fast[j] + SQRT_075 * g(0, s)
            fast[j + 1] = 0.5 * fast[j + 1] + SQRT_075 * g(0, s)
            slow[j] = 0.995 * slow[j] + 0.0999 * g(0, s * 0.6)
            slow[j + 1] = 0.995 * slow[j + 1] + 0.0999 * g(0, s * 0.6)
            nx, ny = fast[j] + slow[j], fast[j + 1] + slow[j + 1]
            reason = why[i]
            if reason is None:
                c = BASE_CONF[i] * sf * self.quality - 0.12 * blur + g(0, 0.05)
                c = clamp(c, 0.3, 0.99)
                if rng.random() < 0.003:   # gross error: the keypoint lands elsewhere
                    a = rng.uniform(0, 6.283)
                    rr = rng.uniform(0.2, 0.6) * scale
                    nx += rr * math.cos(a)
                    ny += rr * math.sin(a)
                    c = rng.uniform(0.3, 0.6)
                out.append([x + nx, y + ny, c])
            elif reason == "frame":
                out.append([clamp(x + nx, 0, W - 1), clamp(y + ny, 0, Hh - 1), rng.uniform(0.02, 0.2)])
            elif reason in ("desk", "monitor"):
                if i in LEGS and legs_guess is not None:
                    q = legs_guess[LEGS.index(i)]
                    out.append([q[0] + 2 * nx, q[1] + 2 * ny, rng.uniform(0.2, 0.6)])
                elif i in (LHIP, RHIP):
                    if hip_prior is None:
                        hip_prior = self.hip_priors(kps, ex, body)
                    q = hip_prior[0 if i == LHIP else 1]
                    wt = self.hip_trust
                    out.append([x * wt + q[0] * (1 - wt) + 1.5 * nx, y * wt + q[1] * (1 - wt) + 1.5 * ny, rng.uniform(0.25, 0.55)])
                else:
                    out.append([x + 2 * nx, y + 2 * ny, rng.uniform(0.15, 0.5)])
            elif reason == "person":
                snap = None
                if rng.random() < 0.3:
                    for occl in occluders:
                        snap = occl.nearest(x, y)
                        if snap is not None:
                            break
                if snap is not None:
                    out.append([snap[0] + nx, snap[1] + ny, rng.uniform(0.3, 0.55)])
                else:
                    out.append([x + 3 * nx, y + 3 * ny, rng.uniform(0.05, 0.4)])
            else:  # self-occluded (face turned away or down, far side)
                out.append([x + 1.5 * nx, y + 1.5 * ny, rng.uniform(0.05, 0.4)])
        # box around what is visible (plus the head top), with margins
        xs = [proj[i][0] for i in range(17) if vis[i]]
        ys = [proj[i][1] for i in range(17) if vis[i]]
        tp = cam.project(ex["top"])
        if 0 <= tp[0] <= W and 0 <= tp[1] <= Hh:
            xs.append(tp[0])
            ys.append(tp[1])
        if len(xs) < 2:
            xs = [q[0] for q in out]
            ys = [q[1] for q in out]
        x1, x2, y1, y2 = min(xs), max(xs), min(ys), max(ys)
        bw, bh = max(x2 - x1, 4.0), max(y2 - y1, 4.0)
        mx, my = 0.08 * bw + 0.1 * scale, 0.06 * bh + 0.05 * scale
        box = [clamp(x1 - mx + g(0, 0.02 * bw), 0, W), clamp(y1 - my + g(0, 0.02 * bh), 0, Hh),
               clamp(x2 + mx + g(0, 0.02 * bw), 0, W), clamp(y2 + my + g(0, 0.02 * bh), 0, Hh)]
        score = clamp(0.30 + 0.6 * (n_vis / 17.0) ** 0.7 * (0.6 + 0.4 * sf) * self.quality + g(0, 0.04) - 0.1 * blur, 0.15, 0.98)
        return {"box": box, "score": score, "keypoints": out}, vis, why

    def hip_priors(self, kps, ex, body):
        """Where a model would put hidden hips if it assumed an upright trunk below the shoulders."""
        N = ex["N"]
        L = ex["L"]
        hh = body.hw * 0.5
        base = (N[0], N[1], N[2] - body.trunk)
        cam = self.cam
        return (cam.project((base[0] + L[0] * hh, base[1] + L[1] * hh, base[2])),
                cam.project((base[0] - L[0] * hh, base[1] - L[1] * hh, base[2])))


class Silhouette:
    """A person's image-space silhouette (capsules), for occlusion of people behind them."""

    def __init__(self, cam, kps, ex, body):
        pr = [cam.project(p) for p in kps]
        self.pts = pr
        caps = []

        def rad(m, z):
            return cam.fx * m / max(z, 0.3)
        hp = cam.project(ex["H"])
        caps.append((hp, hp, rad(0.11 * body.hs, hp[2])))
        sh = ((pr[LSH][0] + pr[RSH][0]) / 2, (pr[LSH][1] + pr[RSH][1]) / 2, pr[LSH][2])
        hi = ((pr[LHIP][0] + pr[RHIP][0]) / 2, (pr[LHIP][1] + pr[RHIP][1]) / 2, pr[LHIP][2])
        caps.append((sh, hi, rad(body.sw * 0.45, sh[2])))
        caps.append((pr[LSH], pr[LHIP], rad(0.08, sh[2])))
        caps.append((pr[RSH], pr[RHIP], rad(0.08, sh[2])))
        for a, b_, r in ((LSH, LEL, 0.055), (LEL, LWR, 0.045), (RSH, REL, 0.055), (REL, RWR, 0.045),
                         (LHIP, LKN, 0.08), (LKN, LAN, 0.06), (RHIP, RKN, 0.08), (RKN, RAN, 0.06)):
            caps.append((pr[a], pr[b_], rad(r, pr[a][2])))
        self.caps = caps
        xs = [c[0][0] for c in caps] + [c[1][0] for c in caps]
        ys = [c[0][1] for c in caps] + [c[1][1] for c in caps]
        m = max(c[2] for c in caps)
        self.bb = (min(xs) - m, min(ys) - m, max(xs) + m, max(ys) + m)

    def covers(self, p):
        x, y = p[0], p[1]
        bb = self.bb
        if x < bb[0] or x > bb[2] or y < bb[1] or y > bb[3]:
            return False
        for a, b, r in self.caps:
            dx, dy = b[0] - a[0], b[1] - a[1]
            ll = dx * dx + dy * dy
            if ll < 1e-9:
                t = 0.0
            else:
                t = clamp(((x - a[0]) * dx + (y - a[1]) * dy) / ll, 0.0, 1.0)
            ex_, ey = a[0] + t * dx - x, a[1] + t * dy - y
            if ex_ * ex_ + ey * ey < r * r:
                return True
        return False

    def nearest(self, x, y):
        best, bd = None, 1e18
        for p in self.pts:
            d = (p[0] - x) ** 2 + (p[1] - y) ** 2
            if d < bd:
                best, bd = p, d
        return best


# ---------------------------------------------------------------- citizens over time


def citizen_pose(win, vis, t):
    """Pose vector of a visiting citizen at time t, or None when they are not around."""
    if t < vis["t_enter"] or t > vis["t_exit"]:
        return None, None
    b = vis["body"]
    sx, sy = vis["spot"]
    far = 3.2
    v = [0.0] * NPAR
    standing_yaw = math.pi + vis["yaw"]
    U = (0.0, 0.0, 1.0)
    if t < vis["t_arrive"] or t > vis["t_leave"]:
        if t < vis["t_arrive"]:
            u = (t - vis["t_enter"]) / (vis["t_arrive"] - vis["t_enter"])
            x0, y0, x1, y1 = sx + vis["s_in"] * far, sy - 0.5, sx, sy
            tt = t - vis["t_enter"]
        else:
            u = (t - vis["t_leave"]) / (vis["t_exit"] - vis["t_leave"])
            x0, y0, x1, y1 = sx, sy, sx + vis["s_out"] * far, sy - 0.5
            tt = t - vis["t_leave"]
        px, py = x0 + (x1 - x0) * u, y0 + (y1 - y0) * u
        yaw = math.atan2(x1 - x0, -(y1 - y0))
        ph = 7.0 * tt
        v[PX], v[PY], v[PZ] = px, py, b.stand_z - 0.02
        v[YAW] = yaw
        v[FLEX] = 3 * DEG
        v[NFLEX] = 5 * DEG
        F, L = fwd_left(yaw)
        P = (px, py, v[PZ])
        for side, wt, eh in ((1, LWT, LEH), (-1, RWT, REH)):
            swg = 0.12 * math.sin(ph + (math.pi if side == 1 else 0.0))
            v[wt:wt + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.03)), (F, swg), (U, b.trunk - 0.05 - (b.uarm + b.farm) * 0.96))
            v[eh:eh + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.1)), (F, -0.2), (U, b.trunk * 0.4))
        v[LEG0:LEG0 + 12] = legs_walking(b, ph)
        return v, "walking"
    v[PX], v[PY], v[PZ] = sx, sy, b.stand_z
    v[YAW] = standing_yaw
    v[FLEX] = vis["lean"]
    v[NFLEX] = 8 * DEG
    for i, a, w, ph in vis["sway"]:
        v[i] += a * math.sin(w * t + ph)
    F, L = fwd_left(standing_yaw)
    P = (sx, sy, v[PZ])
    ctop = win.desk["panel_h"] if win.front_closed else win.desk_h
    for side, wt, eh in ((1, LWT, LEH), (-1, RWT, REH)):
        v[eh:eh + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.15)), (F, -0.15), (U, b.trunk * 0.4))
        if vis["arms"] == "counter":
            v[wt:wt + 3] = (P[0] + L[0] * side * 0.18, -win.depth + 0.06, ctop + 0.03)
        elif vis["arms"] == "phone":
            v[wt:wt + 3] = lin((P, 1), (L, side * 0.05), (F, 0.28), (U, 0.3))
        else:
            v[wt:wt + 3] = lin((P, 1), (L, side * (b.sw * 0.5 + 0.02)), (F, 0.05), (U, b.trunk - 0.05 - (b.uarm + b.farm) * 0.97))
    v[LEG0:LEG0 + 12] = legs_standing(b, 0.04)
    return v, "standing"


# ---------------------------------------------------------------- zones


def convex_hull(pts):
    pts = sorted(set(pts))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def clip_unit(poly):
    """Sutherland-Hodgman clip of a polygon to the unit square."""
    def clip(poly, inside, inter):
        out = []
        n = len(poly)
        for i in range(n):
            a, b = poly[i - 1], poly[i]
            ia, ib = inside(a), inside(b)
            if ib:
                if not ia:
                    out.append(inter(a, b))
                out.append(b)
            elif ia:
                out.append(inter(a, b))
        return out

    def ix(x0):
        return lambda a, b: (x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0]))

    def iy(y0):
        return lambda a, b: (a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0)
    for inside, inter in ((lambda p: p[0] >= 0, ix(0.0)), (lambda p: p[0] <= 1, ix(1.0)),
                          (lambda p: p[1] >= 0, iy(0.0)), (lambda p: p[1] <= 1, iy(1.0))):
        if not poly:
            break
        poly = clip(poly, inside, inter)
    return poly


def clip_below(poly, y0):
    """The part of a polygon with image y >= y0."""
    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i - 1], poly[i]
        ia, ib = a[1] >= y0, b[1] >= y0
        if ib:
            if not ia:
                out.append((a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0))
            out.append(b)
        elif ia:
            out.append((a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0))
    clean = []
    for p in out:
        if not clean or abs(p[0] - clean[-1][0]) > 1e-3 or abs(p[1] - clean[-1][1]) > 1e-3:
            clean.append(p)
    if len(clean) > 1 and abs(clean[0][0] - clean[-1][0]) < 1e-3 and abs(clean[0][1] - clean[-1][1]) < 1e-3:
        clean.pop()
    return clean


def area(poly):
    a = 0.0
    for i in range(len(poly)):
        x0, y0 = poly[i - 1]
        x1, y1 = poly[i]
        a += x0 * y1 - x1 * y0
    return abs(a) / 2


def zone_from_points(cam, pts3):
    pr = []
    for p in pts3:
        q = cam.project(p)
        pr.append((q[0] / cam.W, q[1] / cam.H))
    hull = convex_hull(pr)
    poly = clip_unit(hull)
    clean = []
    for p in poly:
        p = (round(clamp(p[0], 0, 1), 3), round(clamp(p[1], 0, 1), 3))
        if not clean or (abs(p[0] - clean[-1][0]) > 1e-3 or abs(p[1] - clean[-1][1]) > 1e-3):
            clean.append(p)
    if len(clean) > 1 and abs(clean[0][0] - clean[-1][0]) < 1e-3 and abs(clean[0][1] - clean[-1][1]) < 1e-3:
        clean.pop()
    return clean


# ---------------------------------------------------------------- one window end to end


def ts_str(day, t):
    ms = int(round(t * 1000))
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return "%sT%02d:%02d:%02d.%03d+08:00" % (day, 8 + h, m, s, ms)


DAY = "2026-03-02"   # a Monday


def f1(x):
    return "%.1f" % x


def person_json(p):
    k = p["keypoints"]
    kp = ",".join("[%.1f,%.1f,%.3f]" % (q[0], q[1], q[2]) for q in k)
    b = p["box"]
    return '{"box":[%.1f,%.1f,%.1f,%.1f],"score":%.3f,"keypoints":[%s]}' % (b[0], b[1], b[2], b[3], p["score"], kp)


def simulate_window(index, seed, minutes, fps, out_dir):
    rng = random.Random(seed * 1000003 + index * 7919 + 17)
    win = Window(index, rng, minutes, fps)
    win.legs_visible = legs_visible_default(win)
    sc = Scenario(win)
    sc.build()
    tl = Timeline(sc.segs)
    cam = win.cam
    det = Detector(rng, cam)
    b = win.body
    d = out_dir / win.id
    d.mkdir(parents=True, exist_ok=True)
    dt = 1.0 / fps
    nframes = int(round(win.T * fps))
    # dropped frames: short drops and at most one longer camera outage
    drop_until = -1
    outage = None
    if rng.random() < min(1.0, minutes / 240.0):
        o0 = rng.uniform(60, max(61, win.T - 120))
        outage = (o0, o0 + rng.uniform(5, 30))
    legs_vis_count = {}
    seg_vis = {}          # segment index -> [frames, clerk detected, a shoulder seen, detected with a shoulder seen]
    n_people_frames = 0
    n_missed = 0
    n_dropped = 0
    visits = sorted(sc.visits, key=lambda x: x["t_enter"])
    vi = 0
    nb = win.neighbour
    nb_fn = None
    if nb is not None:
        nbw = Window.__new__(Window)
        nbw.__dict__.update(win.__dict__)
        nbw.body = nb["body"]
        nbw.rng = random.Random(rng.random())
        nbw.kb = (nb["x"], -0.25, win.desk_h + 0.03)
        nbw.screen = (nb["x"], -0.45, win.desk_h + 0.3)
        nbw.base_yaw = rng.uniform(-15, 15) * DEG
        nbw.seat_h = clamp(win.desk_h - 0.28, 0.4, 0.56)
        nv = nbw.pose_seated(dx=nb["x"], flex=nbw.flex0, arms="keyboard")
        nb_fn = make_fn(nv, nbw.sway(), nbw.hands_motion(0.01))
    lines = []
    trace = open(d / "trace.jsonl", "w")
    for k in range(nframes):
        t = k * dt
        if k <= drop_until:
            n_dropped += 1
            continue
        if rng.random() < 0.002:
            drop_until = k + rng.randint(0, 2)
            n_dropped += 1
            continue
        if outage and outage[0] <= t < outage[1]:
            n_dropped += 1
            continue
        people = []
        occluders = []
        # citizen (closest to the camera) first
        while vi < len(visits) and visits[vi]["t_exit"] < t:
            vi += 1
        cv = None
        if vi < len(visits):
            vis = visits[vi]
            cv, cpost = citizen_pose(win, vis, t)
            if cv is not None:
                cb = vis["body"]
                ck, cex = skeleton(cb, cv)
                occluders.append(Silhouette(cam, ck, cex, cb))
                lg = None
                p, _, _ = det.detect(("cit", vi), cb, ck, cex, cpost, win.scene, lg, [], blur=0.5 if cpost == "walking" else 0.0, role="citizen")
                if p is not None:
                    people.append(p)
        # neighbour clerk
        if nb_fn is not None:
            nk, nex = skeleton(nb["body"], nb_fn(t))
            proj_n = cam.project(nex["N"])
            if -0.2 * cam.W < proj_n[0] < 1.2 * cam.W:
                lg = [cam.project(q) for q in (nk[LKN], nk[RKN], nk[LAN], nk[RAN])]
                p, _, _ = det.detect("nb", nb["body"], nk, nex, "seated", win.scene, lg, occluders)
                if p is not None:
                    people.append(p)
        # the clerk
        v, seg, posture = tl.at(t)
        if v is not None:
            kps, ex = skeleton(b, v, win.desk_box)
            # what a pose model would guess for legs it cannot see
            P = (v[PX], v[PY], v[PZ])
            F, L = fwd_left(v[YAW])
            if posture == "seated":
                gl = legs_seated(b, v[PZ], win.spread, win.feet)
            else:
                gl = legs_standing(b)
            lg = []
            for j in (0, 6, 3, 9):     # lk, rk, la, ra
                q = (P[0] + L[0] * gl[j] + F[0] * gl[j + 1], P[1] + L[1] * gl[j] + F[1] * gl[j + 1], P[2] + gl[j + 2])
                lg.append(cam.project(q))
            blur = 0.6 if posture == "walking" else 0.0
            p, vis, why = det.detect("clerk", b, kps, ex, posture, win.scene, lg, occluders, blur=blur)
            n_people_frames += 1
            if seg.kind in ("crossed_legs", "crossed_decoy") or k % 20 == 0:
                key = seg.idx if seg.kind in ("crossed_legs", "crossed_decoy") else -1
                c = legs_vis_count.setdefault(key, [0, 0])
                c[0] += 1
                if all(vis[i] for i in LEGS):
                    c[1] += 1
            sv = seg_vis.setdefault(seg.idx, [0, 0, 0, 0])
            upper = vis[LSH] or vis[RSH]      # the upper body is in sight (a face turned down still counts)
            sv[0] += 1
            sv[1] += p is not None
            sv[2] += upper
            sv[3] += upper and p is not None
            if p is None:
                n_missed += 1
            else:
                people.append(p)
        people.sort(key=lambda p: -p["score"])
        tsj = ts_str(DAY, t + rng.uniform(-0.015, 0.015) * (1 if k else 0))
        lines.append('{"ts":"%s","window":"%s","source":"indep-sim:%s","frame":%d,"width":%d,"height":%d,"model":"indep-sim-pose","people":[%s]}'
                     % (tsj, win.id, win.id, k, cam.W, cam.H, ",".join(person_json(p) for p in people)))
        if len(lines) >= 2000:
            trace.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        trace.write("\n".join(lines) + "\n")
    trace.close()
    # ---------- truth
    truth = []
    for e in sc.truth:
        e = dict(e)
        if e["rule"] in ("slouching", "head_on_desk"):
            sv = seg_vis.get(e.pop("_seg"), [1, 0, 0, 0])
            e["clerk_detected_frac"] = round(sv[1] / max(sv[0], 1), 3)
            e["upper_visible_frac"] = round(sv[3] / max(sv[0], 1), 3)
            if sv[3] < 0.5 * sv[0]:
                e["ignore"] = True  # shoulders hidden (monitor, citizen) or clerk missed most of the time: not observable
        if e["rule"] == "crossed_legs":
            c = legs_vis_count.get(e.pop("_seg"), [1, 0])
            frac = c[1] / max(c[0], 1)
            e["legs_visible_frac"] = round(frac, 3)
            if frac < 0.2:
                continue            # legs hidden: the rule must not judge them; not a truth event
            if frac < 0.8:
                e["ignore"] = True  # partly visible: neither a hit nor a false alarm
        e["start"] = ts_str(DAY, e["t0"])
        e["end"] = ts_str(DAY, e["t1"])
        truth.append(e)
    with open(d / "truth.jsonl", "w") as fh:
        for e in truth:
            fh.write(json.dumps({"rule": e["rule"], "start": e["start"], "end": e["end"], "form": e["form"],
                                 **{k: v for k, v in e.items() if k not in ("rule", "start", "end", "form")}}, ensure_ascii=False) + "\n")
    # ---------- config
    write_config(win, d)
    # ---------- meta
    segs = []
    for s in sc.segs:
        sv = seg_vis.get(s.idx)
        extra = {"detected_frac": round(sv[1] / sv[0], 3), "upper_visible_frac": round(sv[3] / sv[0], 3)} if sv else {}
        segs.append({"kind": s.kind, "form": s.form, "posture": s.posture, "t0": round(s.t0, 2), "t1": round(s.t1, 2),
                     "tr": round(s.tr, 2), **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in s.info.items()}, **extra})
    general_legs = legs_vis_count.get(-1, [1, 0])
    meta = {
        "window": win.id, "seed": seed, "index": index, "minutes": minutes, "fps": fps, "day": DAY, "start": "08:00:00+08:00",
        "camera": {"height": round(win.cam_h, 3), "distance": round(win.cam_dist, 3), "off_centre": round(win.cam_off, 3),
                   "position": [round(x, 3) for x in cam.C], "tilt_deg": round(cam.tilt / DEG, 2),
                   "aim_tilt_deg": round(win.aim_tilt / DEG, 2), "pan_deg": round(cam.pan / DEG, 2), "roll_deg": round(cam.roll / DEG, 2),
                   "hfov_deg": round(cam.hfov / DEG, 2), "width": cam.W, "height_px": cam.H, "placements_rejected": win.rejected},
        "body": b.info(),
        "clerk": {"seat_h": round(win.seat_h, 3), "seat_y": round(win.seat_y, 3), "base_yaw_deg": round(win.base_yaw / DEG, 2),
                  "flex0_deg": round(win.flex0 / DEG, 2), "nflex0_deg": round(win.nflex0 / DEG, 2)},
        "desk": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in win.desk.items()},
        "layout": win.layout, "front_closed": win.front_closed, "raised_counter": win.raised_counter,
        "monitor": ({k: round(v, 3) for k, v in win.monitor.items()} if win.monitor else None),
        "legs_visible": win.legs_visible, "legs_visible_frac_sampled": round(general_legs[1] / max(general_legs[0], 1), 3),
        "neighbour": ({"x": round(nb["x"], 3), "stature": round(nb["body"].stature, 3)} if nb else None),
        "citizen_spot": [round(x, 3) for x in win.cit_spot],
        "detector": {"quality": round(det.quality, 3), "hip_trust": round(det.hip_trust, 3)},
        "frames": nframes, "frames_dropped": n_dropped, "clerk_frames": n_people_frames, "clerk_missed": n_missed,
        "outage": [round(outage[0], 2), round(outage[1], 2)] if outage else None,
        "segments": segs,
        "visits": [{"kind": x["kind"], "t_enter": round(x["t_enter"], 2), "t_arrive": round(x["t_arrive"], 2), "t_leave": round(x["t_leave"], 2),
                    "t_exit": round(x["t_exit"], 2), "stand_at": x.get("stand_at"), "clerk": x.get("clerk"),
                    "spot": [round(c, 3) for c in x["spot"]], "stature": round(x["body"].stature, 3)} for x in visits],
        "truth": truth,
    }
    with open(d / "meta.json", "w") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=1)
    return meta


def write_config(win, d):
    cam, b, rng = win.cam, win.body, win.rng
    # staff zone: around the seat and the desk in front, with an installer's margin
    half = rng.uniform(0.45, 0.8)
    top = win.seat_h + b.seat_off + b.trunk + b.neck + 0.11 * b.hs + rng.uniform(0.15, 0.6)
    ybot = -rng.uniform(0.15, 0.4)
    y = win.seat_y
    F, L = fwd_left(win.base_yaw)
    cx = 0.0
    pts = []
    zbot = win.desk_h - 0.05 if win.layout == "front" else win.seat_h - rng.uniform(0.0, 0.1)
    for sx in (-half, half):
        pts.append((cx + sx, y + 0.1, top))
        pts.append((cx + sx, ybot, zbot))
    staff = zone_from_points(cam, pts)
    desk_pt = cam.project((0.0, 0.0, win.desk_h))
    desk_y = round(clamp(desk_pt[1] / cam.H, 0.0, 1.0), 3)
    # counter zone: where citizens stand in front of the counter, from knees to head height,
    # trimmed (as the example config does) to start a little above the desk line so that it
    # does not cover the seated clerk's upper body
    sx, sy = win.cit_spot
    cpts = []
    for xx in (sx - 0.7, sx + 0.7):
        for yy in (-win.depth - 0.05, -win.depth - 0.7):
            for zz in (0.5, 1.7):
                cpts.append((xx, yy, zz))
    counter = zone_from_points(cam, cpts)
    y_cut = clamp(desk_y - rng.uniform(0.0, 0.08), 0.05, 0.95)
    counter = [p for p in clip_below(counter, y_cut)]
    if len(counter) < 3 or area(counter) < 0.01:
        counter = [(0.0, round(y_cut, 3)), (1.0, round(y_cut, 3)), (1.0, 1.0), (0.0, 1.0)]
    counter = [(round(p[0], 3), round(p[1], 3)) for p in counter]
    tilt_cfg = int(round(clamp(cam.tilt / DEG + rng.uniform(-3, 3), 0, 60)))
    end_min = int(math.ceil(win.T / 60.0)) + 1
    eh, em = divmod(8 * 60 + end_min, 60)
    eh = min(eh, 23)
    if eh == 23:
        em = min(em, 59)

    def poly(p):
        return "[" + ", ".join("[%.3f, %.3f]" % q for q in p) + "]"
    text = f'''# Generated by scripts/indep-sim/clerk_sim.py (independent simulator), window {win.id}
timezone = "Asia/Shanghai"
hall = "indep-sim"

[calendar]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[[window]]
id = "{win.id}"
name = "indep-sim {win.id}"
staff_zone = {poly(staff)}
counter_zone = {poly(counter)}
desk_y = {desk_y}
camera_tilt_deg = {tilt_cfg}
hours = ["08:00-{eh:02d}:{em:02d}"]
'''
    (d / "window.toml").write_text(text)
    win.zones = {"staff": staff, "counter": counter, "desk_y": desk_y, "camera_tilt_deg": tilt_cfg}


def legs_visible_default(win):
    v = win.pose_seated()
    kps, ex = skeleton(win.body, v)
    cam = win.cam
    for i in LEGS:
        q = cam.project(kps[i])
        if not cam.inside(q) or win.scene.hidden(cam.C, kps[i]):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=1, help="index of the first window (for splitting a run)")
    a = ap.parse_args()
    if a.minutes > 900:
        ap.error("--minutes must be at most 900 (the simulated day starts at 08:00)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    import time
    t0 = time.time()
    for i in range(a.first, a.first + a.windows):
        meta = simulate_window(i, a.seed, a.minutes, a.fps, out)
        print("%s: cam h=%.2f d=%.2f tilt=%.1f hfov=%.0f %dx%d layout=%s legs_visible=%s monitor=%s truth=%d (%.0fs)"
              % (meta["window"], meta["camera"]["height"], meta["camera"]["distance"], meta["camera"]["tilt_deg"],
                 meta["camera"]["hfov_deg"], meta["camera"]["width"], meta["camera"]["height_px"], meta["layout"],
                 meta["legs_visible"], bool(meta["monitor"]), len(meta["truth"]), time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
