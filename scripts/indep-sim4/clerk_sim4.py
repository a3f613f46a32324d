#!/usr/bin/env python3
"""indep-sim4: a fourth independent, blind seated-clerk keypoint simulator for Liyi (for reporting only).

    python3 scripts/indep-sim4/clerk_sim4.py --windows N --minutes M --seed S --out DIR [--fps 2] [--first K]

Writes DIR/wNNN/{trace.jsonl, window.toml, truth.jsonl, meta.json} in the format that
scripts/indep-sim/score.py reads.  Python standard library only.

The file is layered; each section uses only the sections above it (no cycles):
  1. vectors
  2. camera (pinhole + barrel distortion) and body (anthropometry, forward kinematics)
  3. world (furniture and its occlusion of sight lines)
  4. installer (the 3-D staff and counter areas, their image polygons, desk line, configured tilt)
  5. scenario (the clerk's behaviour as pose segments, the leg layer, citizens and other people)
  6. detector (an imitation of a bottom-up pose model: visibility, confidence, noise, errors)
  7. truth (the rules of docs/rules.md applied to the 3-D pose)
  8. writer and command line
"""

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

sin, cos, atan2, sqrt, pi = math.sin, math.cos, math.atan2, math.sqrt, math.pi
rad, deg = math.radians, math.degrees

# =====================================================================================  1. vectors
UP = (0.0, 1.0, 0.0)


def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def mul(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def mad(a, b, s):
    return (a[0] + b[0] * s, a[1] + b[1] * s, a[2] + b[2] * s)


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a):
    return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(a):
    n = norm(a)
    if n < 1e-12:
        return (0.0, 1.0, 0.0)
    return (a[0] / n, a[1] / n, a[2] / n)


def mid(a, b):
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5, (a[2] + b[2]) * 0.5)


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def smooth(w):
    w = clamp(w, 0.0, 1.0)
    return w * w * (3.0 - 2.0 * w)


def ik2(root, target, l1, l2, pole):
    """Two-link inverse kinematics: returns (middle joint, end) for a limb from root towards target,
    bending towards the pole direction. Out-of-reach targets are met by a straight limb."""
    d = (target[0] - root[0], target[1] - root[1], target[2] - root[2])
    dist = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    if dist < 1e-6:
        d, dist = (0.0, -1.0, 0.0), 1e-6
    u = (d[0] / dist, d[1] / dist, d[2] / dist)
    dist = clamp(dist, abs(l1 - l2) + 1e-3, l1 + l2 - 1e-4)
    a = (l1 * l1 - l2 * l2 + dist * dist) / (2.0 * dist)
    h = sqrt(max(0.0, l1 * l1 - a * a))
    pd = pole[0] * u[0] + pole[1] * u[1] + pole[2] * u[2]
    pp = (pole[0] - u[0] * pd, pole[1] - u[1] * pd, pole[2] - u[2] * pd)
    pn = sqrt(pp[0] * pp[0] + pp[1] * pp[1] + pp[2] * pp[2])
    if pn < 1e-9:
        pp, pn = ((0.0, 0.0, 1.0) if abs(u[2]) < 0.9 else (1.0, 0.0, 0.0)), 1.0
    m = (root[0] + u[0] * a + pp[0] / pn * h, root[1] + u[1] * a + pp[1] / pn * h, root[2] + u[2] * a + pp[2] / pn * h)
    e = (root[0] + u[0] * dist, root[1] + u[1] * dist, root[2] + u[2] * dist)
    return m, e


def lognormal(rng, median, sigma, lo, hi):
    return clamp(median * math.exp(rng.gauss(0.0, sigma)), lo, hi)


def pick(rng, weights):
    """weights: dict name -> weight; returns a name."""
    tot = sum(weights.values())
    r = rng.random() * tot
    for k, w in weights.items():
        r -= w
        if r <= 0:
            return k
    return k


# =====================================================================================  2a. camera
class Camera:
    """Pinhole camera with a one-parameter division-model barrel distortion. World: y up, the clerk
    faces +z, the camera stands on the citizens' side (+z) and looks back at the clerk."""

    def __init__(self, pos, aim, tilt_deg, roll_deg, hfov_deg, width, height, k1):
        self.pos = pos
        self.px, self.py, self.pz = pos
        dx, dz = aim[0] - pos[0], aim[2] - pos[2]
        hn = math.hypot(dx, dz)
        hx, hz = dx / hn, dz / hn
        th = rad(tilt_deg)
        fw = (hx * cos(th), -sin(th), hz * cos(th))
        right = unit(cross(fw, UP))
        down = cross(fw, right)
        r = rad(roll_deg)
        right, down = add(mul(right, cos(r)), mul(down, sin(r))), sub(mul(down, cos(r)), mul(right, sin(r)))
        self.fw, self.right, self.down = fw, right, down
        self.f0, self.f1, self.f2 = fw
        self.r0, self.r1, self.r2 = right
        self.d0, self.d1, self.d2 = down
        self.W, self.H = width, height
        self.cx, self.cy = width / 2.0, height / 2.0
        self.k1 = k1
        xe = math.tan(rad(hfov_deg) / 2.0)
        # focal length chosen so that the drawn horizontal FOV reaches the frame edge after distortion
        self.f = (width / 2.0) * (1.0 + k1 * xe * xe) / xe
        self.tilt_deg, self.roll_deg, self.hfov_deg = tilt_deg, roll_deg, hfov_deg
        self.pan_deg = deg(atan2(hx, -hz))

    def project(self, p):
        dx = p[0] - self.px
        dy = p[1] - self.py
        dz = p[2] - self.pz
        zc = dx * self.f0 + dy * self.f1 + dz * self.f2
        if zc < 0.05:
            return None
        xn = (dx * self.r0 + dy * self.r1 + dz * self.r2) / zc
        yn = (dx * self.d0 + dy * self.d1 + dz * self.d2) / zc
        q = self.k1 * (xn * xn + yn * yn)
        s = self.f / (1.0 + q) if q < 0.9 else self.f * 10.0
        return (self.cx + xn * s, self.cy + yn * s, zc)


# =====================================================================================  2b. body
# Pose parameters: one flat list per person and frame, blended linearly between behaviour segments.
(HX, HZ, YAW, STAND, PEL, LUM, THO, LAT, TWI, PRO, SHR, NEC, HP, HY, HR, SLI, SNK,
 LWX, LWY, LWZ, RWX, RWY, RWZ, LEO, REO, REST, HID, GAI) = range(28)
NP = 28
# Leg parameters: ankle offsets from the hip centre in the pelvis frame (lateral outward, forward), knee splay, heel lift.
LAL, LAF, RAL, RAF, KSP, LIFT = range(6)
NLP = 6
CROSSING = ("kok_r", "kok_l", "f4_r", "f4_l")   # knee over knee (right / left on top), figure four (right / left ankle on knee)


class Body:
    """Segment lengths from stature fractions (Drillis-Contini style), with independent proportion factors."""

    def __init__(self, rng, stature, desk_top=None):
        H = stature
        self.H = H
        self.f_trunk = rng.uniform(0.93, 1.07)       # sitting-height ratio: a longer trunk means shorter legs
        self.f_neck = rng.uniform(0.80, 1.22)
        self.fh = rng.uniform(0.88, 1.12)             # head size
        self.f_sho = rng.uniform(0.86, 1.16)
        self.f_hip = rng.uniform(0.88, 1.15)
        f_arm = rng.uniform(0.95, 1.05)
        self.sho_y = 0.818 * H                        # standing shoulder height
        self.trunk = 0.308 * H * self.f_trunk         # hip centre to shoulder line
        self.l1 = 0.45 * self.trunk                   # lumbar part
        self.l2 = self.trunk - self.l1                # thoracic part
        self.hip_stand_y = self.sho_y - self.trunk
        self.ankle_h = 0.039 * H
        leg = self.hip_stand_y - self.ankle_h
        self.thigh = leg * 0.5 * rng.uniform(0.97, 1.03)
        self.shank = leg - self.thigh
        self.neck = 0.094 * H * self.f_neck           # shoulder line to ear midpoint
        self.neck_incl = rad(rng.uniform(8, 18))      # the neck line leans forward of the thorax axis
        self.sw = 0.215 * H * self.f_sho               # shoulder keypoint spacing
        self.hw = 0.125 * H * self.f_hip                # hip keypoint spacing
        self.uarm = 0.186 * H * f_arm
        self.farm = 0.146 * H * f_arm
        seat = self.shank + self.ankle_h + rng.uniform(-0.03, 0.05)
        if desk_top is not None:                      # short people raise the chair for a high desk
            seat = max(seat, desk_top - rng.uniform(0.27, 0.34))
        self.seat_y = seat
        self.seat_hip_y = seat + 0.085 * H / 1.7
        self.stand_fwd = rng.uniform(0.08, 0.16)
        self.sts_lean = rad(rng.uniform(25, 40))      # forward lean in the middle of a sit-to-stand
        fh = self.fh
        # face points in the head frame (left, up, forward) around the ear midpoint, metres
        self.face = [(0.0, -0.025 * fh, 0.105 * fh), (0.032 * fh, 0.005 * fh, 0.085 * fh), (-0.032 * fh, 0.005 * fh, 0.085 * fh),
                     (0.072 * fh, 0.0, 0.0), (-0.072 * fh, 0.0, 0.0)]
        self.head_top = (0.0, 0.125 * fh, 0.01 * fh)
        self.forehead = (0.0, 0.06 * fh, 0.095 * fh)
        self.chin = (0.0, -0.09 * fh, 0.075 * fh)

    def describe(self):
        return {"stature": round(self.H, 3), "trunk": round(self.trunk, 3), "neck": round(self.neck, 3), "head_scale": round(self.fh, 3),
                "shoulder_width": round(self.sw, 3), "hip_width": round(self.hw, 3), "thigh": round(self.thigh, 3),
                "shank": round(self.shank, 3), "seat_height": round(self.seat_y, 3)}


def head_point(hf, hu, hl, E, q):
    return (E[0] + hl[0] * q[0] + hu[0] * q[1] + hf[0] * q[2],
            E[1] + hl[1] * q[0] + hu[1] * q[1] + hf[1] * q[2],
            E[2] + hl[2] * q[0] + hu[2] * q[1] + hf[2] * q[2])


def fk_upper(b, p):
    """Pelvis, spine, shoulders and head. Returns a dict of points and frames."""
    s = p[STAND]
    yaw = p[YAW]
    fx, fz = sin(yaw), cos(yaw)                  # pelvis forward
    lx, lz = fz, -fx                             # pelvis left
    hy0 = b.seat_hip_y - p[SNK]
    hy = hy0 + (b.hip_stand_y - hy0) * s
    fwd = p[SLI] + b.stand_fwd * s
    hcx = p[HX] + fx * fwd
    hcz = p[HZ] + fz * fwd
    bump = 4.0 * s * (1.0 - s) * b.sts_lean
    a1 = p[PEL] + p[LUM] + bump
    a2 = a1 + p[THO]
    tw = p[TWI]
    st, ct = sin(tw), cos(tw)
    tfx, tfz = fx * ct + lx * st, fz * ct + lz * st
    tlx, tlz = lx * ct - fx * st, lz * ct - fz * st
    s1, c1 = sin(a1), cos(a1)
    mx, my, mz = hcx + b.l1 * s1 * fx, hy + b.l1 * c1, hcz + b.l1 * s1 * fz
    s2, c2 = sin(a2), cos(a2)
    sl, cl = sin(p[LAT]), cos(p[LAT])
    u2 = (tfx * s2 * cl + tlx * sl, c2 * cl, tfz * s2 * cl + tlz * sl)
    f2 = (tfx * c2, -s2, tfz * c2)
    l2 = cross(u2, f2)
    L2 = b.l2
    N = (mx + L2 * u2[0], my + L2 * u2[1], mz + L2 * u2[2])
    pro, shr = p[PRO], p[SHR]
    hsw = b.sw * 0.5
    sc = (N[0] + f2[0] * pro + u2[0] * shr, N[1] + f2[1] * pro + u2[1] * shr, N[2] + f2[2] * pro + u2[2] * shr)
    Sl = (sc[0] + l2[0] * hsw, sc[1] + l2[1] * hsw, sc[2] + l2[2] * hsw)
    Sr = (sc[0] - l2[0] * hsw, sc[1] - l2[1] * hsw, sc[2] - l2[2] * hsw)
    hhw = b.hw * 0.5
    hc = (hcx, hy, hcz)
    Hl = (hcx + lx * hhw, hy, hcz + lz * hhw)
    Hr = (hcx - lx * hhw, hy, hcz - lz * hhw)
    nf = p[NEC]
    inc = b.neck_incl + 0.7 * nf
    si, ci = sin(inc) * b.neck, cos(inc) * b.neck
    E = (N[0] + u2[0] * ci + f2[0] * si, N[1] + u2[1] * ci + f2[1] * si, N[2] + u2[2] * ci + f2[2] * si)
    a = nf + p[HP]
    sa, ca = sin(a), cos(a)
    hu = (u2[0] * ca + f2[0] * sa, u2[1] * ca + f2[1] * sa, u2[2] * ca + f2[2] * sa)
    hf = (f2[0] * ca - u2[0] * sa, f2[1] * ca - u2[1] * sa, f2[2] * ca - u2[2] * sa)
    hl = l2
    y = p[HY]
    if y != 0.0:
        sy, cy = sin(y), cos(y)
        hf, hl = ((hf[0] * cy + hl[0] * sy, hf[1] * cy + hl[1] * sy, hf[2] * cy + hl[2] * sy),
                  (hl[0] * cy - hf[0] * sy, hl[1] * cy - hf[1] * sy, hl[2] * cy - hf[2] * sy))
    r = p[HR]
    if r != 0.0:
        sr, cr = sin(r), cos(r)
        hu, hl = ((hu[0] * cr + hl[0] * sr, hu[1] * cr + hl[1] * sr, hu[2] * cr + hl[2] * sr),
                  (hl[0] * cr - hu[0] * sr, hl[1] * cr - hu[1] * sr, hl[2] * cr - hu[2] * sr))
    return {"hc": hc, "Hl": Hl, "Hr": Hr, "Sl": Sl, "Sr": Sr, "sc": sc, "E": E, "hf": hf, "hu": hu, "hl": hl,
            "u2": u2, "f2": f2, "l2": l2, "f": (fx, 0.0, fz), "l": (lx, 0.0, lz), "s": s}


def fk(b, p, legs, t):
    """Full forward kinematics. legs = (leg params, crossing type or None, crossing weight).
    Returns (17 COCO keypoints in world metres, the fk_upper dict with knees/extra points)."""
    u = fk_upper(b, p)
    E, hf, hu, hl = u["E"], u["hf"], u["hu"], u["hl"]
    face = b.face
    kps = [None] * 17
    for i in range(5):
        q = face[i]
        kps[i] = (E[0] + hl[0] * q[0] + hu[0] * q[1] + hf[0] * q[2],
                  E[1] + hl[1] * q[0] + hu[1] * q[1] + hf[1] * q[2],
                  E[2] + hl[2] * q[0] + hu[2] * q[1] + hf[2] * q[2])
    Sl, Sr = u["Sl"], u["Sr"]
    kps[5], kps[6] = Sl, Sr
    u2, f2, l2 = u["u2"], u["f2"], u["l2"]
    eo = 0.35 + p[LEO]
    pole = (-u2[0] + l2[0] * eo - f2[0] * 0.25, -u2[1] + l2[1] * eo - f2[1] * 0.25, -u2[2] + l2[2] * eo - f2[2] * 0.25)
    kps[7], kps[9] = ik2(Sl, (p[LWX], p[LWY], p[LWZ]), b.uarm, b.farm, pole)
    eo = 0.35 + p[REO]
    pole = (-u2[0] - l2[0] * eo - f2[0] * 0.25, -u2[1] - l2[1] * eo - f2[1] * 0.25, -u2[2] - l2[2] * eo - f2[2] * 0.25)
    kps[8], kps[10] = ik2(Sr, (p[RWX], p[RWY], p[RWZ]), b.uarm, b.farm, pole)
    Hl, Hr, hc = u["Hl"], u["Hr"], u["hc"]
    kps[11], kps[12] = Hl, Hr
    f, l = u["f"], u["l"]
    s = u["s"]
    ah = b.ankle_h
    if p[GAI] > 0.5:
        ph = 2.0 * pi * 1.8 * t
        st = 0.32 * sin(ph)
        la = (Hl[0] + f[0] * st, ah + 0.05 * max(0.0, cos(ph)), Hl[2] + f[2] * st)
        ra = (Hr[0] - f[0] * st, ah + 0.05 * max(0.0, -cos(ph)), Hr[2] - f[2] * st)
        pole = (f[0], 0.1, f[2])
        kps[13], kps[15] = ik2(Hl, la, b.thigh, b.shank, pole)
        kps[14], kps[16] = ik2(Hr, ra, b.thigh, b.shank, pole)
        return kps, u
    lp, ctype, cw = legs
    lal = lp[LAL] * (1.0 - s)          # offsets are from each hip keypoint's line, outward positive
    laf = lp[LAF] + (0.03 - lp[LAF]) * s
    ral = lp[RAL] * (1.0 - s)
    raf = lp[RAF] + (0.03 - lp[RAF]) * s
    lift = lp[LIFT] * (1.0 - s)
    la = (Hl[0] + l[0] * lal + f[0] * laf, ah + lift, Hl[2] + l[2] * lal + f[2] * laf)
    ra = (Hr[0] - l[0] * ral + f[0] * raf, ah + lift, Hr[2] - l[2] * ral + f[2] * raf)
    ksp = lp[KSP]
    lpole = (f[0] + l[0] * ksp, 0.3, f[2] + l[2] * ksp)
    rpole = (f[0] - l[0] * ksp, 0.3, f[2] - l[2] * ksp)
    if ctype is not None and cw > 0.0 and s < 0.5:
        w = cw * (1.0 - 2.0 * s)
        sc = b.H / 1.7
        if ctype in ("kok_r", "f4_r"):
            K, A = ik2(Hl, la, b.thigh, b.shank, lpole)      # support leg first
            kps[13], kps[15] = K, A
            side = 1.0
        else:
            K, A = ik2(Hr, ra, b.thigh, b.shank, rpole)
            kps[14], kps[16] = K, A
            side = -1.0
        # side: +1 when the right leg crosses over the left one
        if ctype.startswith("kok"):
            Kt = (K[0] + f[0] * 0.03, K[1] + 0.11 * sc, K[2] + f[2] * 0.03)
            At = (Kt[0] + l[0] * 0.06 * side + f[0] * 0.13, Kt[1] - b.shank * 0.86, Kt[2] + l[2] * 0.06 * side + f[2] * 0.13)
            cp = sub(Kt, Hr if side > 0 else Hl)
        else:
            At = (K[0] + l[0] * 0.02 * side, K[1] + 0.075 * sc, K[2] + l[2] * 0.02 * side)
            cp = (-l[0] * side + f[0] * 0.3, 0.7, -l[2] * side + f[2] * 0.3)
        if side > 0:
            tgt = (ra[0] + (At[0] - ra[0]) * w, ra[1] + (At[1] - ra[1]) * w, ra[2] + (At[2] - ra[2]) * w)
            pl = (rpole[0] + (cp[0] - rpole[0]) * w, rpole[1] + (cp[1] - rpole[1]) * w, rpole[2] + (cp[2] - rpole[2]) * w)
            kps[14], kps[16] = ik2(Hr, tgt, b.thigh, b.shank, pl)
        else:
            tgt = (la[0] + (At[0] - la[0]) * w, la[1] + (At[1] - la[1]) * w, la[2] + (At[2] - la[2]) * w)
            pl = (lpole[0] + (cp[0] - lpole[0]) * w, lpole[1] + (cp[1] - lpole[1]) * w, lpole[2] + (cp[2] - lpole[2]) * w)
            kps[13], kps[15] = ik2(Hl, tgt, b.thigh, b.shank, pl)
        return kps, u
    kps[13], kps[15] = ik2(Hl, la, b.thigh, b.shank, lpole)
    kps[14], kps[16] = ik2(Hr, ra, b.thigh, b.shank, rpole)
    return kps, u


def measures(b, u, p):
    """Trunk angle (deg, forward +, hip centre to shoulder centre, in the pelvis sagittal plane), face-to-thorax
    flexion (deg), shoulder centre height and mean face height above it (m)."""
    hc, sc, f = u["hc"], u["sc"], u["f"]
    vx, vy, vz = sc[0] - hc[0], sc[1] - hc[1], sc[2] - hc[2]
    trunk = deg(atan2(vx * f[0] + vz * f[2], vy))
    neck = deg(p[NEC] + p[HP])
    E, hu, hf = u["E"], u["hu"], u["hf"]
    # mean face keypoint height: the roll-free mean of nose, eyes and ears (the lateral terms cancel)
    fy = E[1] + hu[1] * (-0.025 + 0.005 * 2) * b.fh / 5.0 + hf[1] * (0.105 + 0.085 * 2) * b.fh / 5.0
    return trunk, neck, sc[1], fy - sc[1]


# =====================================================================================  3. world
class World:
    """Furniture around the seat. Origin on the floor under the clerk's hip centre at the close chair position,
    y up, z towards the counter and the camera, x to the clerk's left."""

    def __init__(self, rng, clerk_stature):
        self.top = rng.uniform(0.70, 0.80)
        self.z0 = rng.uniform(0.20, 0.32)            # desk edge on the clerk's side, from the close hip position
        self.depth = rng.uniform(0.60, 0.80)
        self.z1 = self.z0 + self.depth               # citizen side
        self.long_counter = rng.random() < 0.6        # a continuous counter shared with the next windows
        self.x0, self.x1 = (-3.5, 3.5) if self.long_counter else (-rng.uniform(0.7, 0.9), rng.uniform(0.7, 0.9))
        self.front = pick(rng, {"closed": 0.55, "modesty": 0.2, "open": 0.25})
        self.raised = rng.random() < 0.5
        self.counter_h = rng.uniform(1.00, 1.15) if self.raised else self.top
        self.counter_d = rng.uniform(0.22, 0.32)
        self.glass = rng.random() < 0.55
        self.monitor = pick(rng, {"front": 0.35, "side": 0.4, "none": 0.25})
        self.side_screen = 0 if rng.random() < 0.55 else rng.choice((-1, 1))   # a second screen on an L desk
        self.hor = []     # (y, x0, x1, z0, z1): horizontal rectangles (tops)
        self.ver = []     # (z, x0, x1, y0, y1): vertical rectangles facing the camera
        self.hor.append((self.top, self.x0, self.x1, self.z0, self.z1))
        if self.raised:
            self.hor.append((self.counter_h, self.x0, self.x1, self.z1 - self.counter_d, self.z1))
        ftop = self.counter_h
        if self.front == "closed" or self.raised:
            self.ver.append((self.z1, self.x0, self.x1, 0.0, ftop))
        elif self.front == "modesty":
            self.ver.append((self.z1 - 0.05, self.x0, self.x1, self.top - rng.uniform(0.35, 0.45), self.top))
        self.mon = None
        if self.monitor != "none":
            w, h = rng.uniform(0.48, 0.62), rng.uniform(0.29, 0.38)
            yb = self.top + rng.uniform(0.08, 0.16)
            if self.monitor == "front":
                xm = rng.uniform(-0.3, 0.3)
                zm = self.z0 + rng.uniform(0.35, 0.55)
            else:
                xm = rng.choice((-1, 1)) * rng.uniform(0.5, 0.75)
                zm = self.z0 + rng.uniform(0.3, 0.5)
            self.mon = (zm, xm - w / 2, xm + w / 2, yb, yb + h)
            self.ver.append(self.mon)
        self.occ_top = max([r[0] for r in self.hor] + [r[4] for r in self.ver])

    def occluded(self, P, C):
        """Whether the straight sight line from camera C to point P meets a piece of furniture."""
        py = P[1]
        if py >= self.occ_top:
            return False
        for (y0, x0, x1, z0, z1) in self.hor:
            if py < y0 < C[1]:
                t = (y0 - py) / (C[1] - py)
                qx = P[0] + t * (C[0] - P[0])
                qz = P[2] + t * (C[2] - P[2])
                if x0 <= qx <= x1 and z0 <= qz <= z1:
                    return True
        pz = P[2]
        for (z, x0, x1, y0, y1) in self.ver:
            if pz < z < C[2]:
                t = (z - pz) / (C[2] - pz)
                qy = py + t * (C[1] - py)
                if y0 <= qy <= y1:
                    qx = P[0] + t * (C[0] - P[0])
                    if x0 <= qx <= x1:
                        return True
        return False

    def describe(self):
        return {"desk_top": round(self.top, 3), "desk_edge_z": round(self.z0, 3), "desk_depth": round(self.depth, 3),
                "long_counter": self.long_counter, "front": self.front, "raised_counter": self.raised,
                "counter_height": round(self.counter_h, 3), "glass": self.glass, "monitor": self.monitor,
                "monitor_rect": [round(v, 3) for v in self.mon] if self.mon else None, "side_screen": self.side_screen}


# =====================================================================================  4. installer
def convex_hull(pts):
    pts = sorted(set(pts))
    if len(pts) < 3:
        return pts

    def turn(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def clip_poly(poly, W, H):
    """Sutherland-Hodgman clip of a polygon to the frame rectangle."""
    def clip(pts, inside, cut):
        out = []
        for i in range(len(pts)):
            a, b = pts[i - 1], pts[i]
            ia, ib = inside(a), inside(b)
            if ib:
                if not ia:
                    out.append(cut(a, b))
                out.append(b)
            elif ia:
                out.append(cut(a, b))
        return out

    def cx(v):
        return lambda a, b: (v, a[1] + (b[1] - a[1]) * (v - a[0]) / (b[0] - a[0]))

    def cy(v):
        return lambda a, b: (a[0] + (b[0] - a[0]) * (v - a[1]) / (b[1] - a[1]), v)

    pts = poly
    for inside, cut in ((lambda p: p[0] >= 0, cx(0.0)), (lambda p: p[0] <= W, cx(float(W))),
                        (lambda p: p[1] >= 0, cy(0.0)), (lambda p: p[1] <= H, cy(float(H)))):
        if not pts:
            break
        pts = clip(pts, inside, cut)
    return pts


def poly_area(pts):
    n = len(pts)
    return abs(sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))) / 2.0


def point_in_poly(x, y, poly):
    inside = False
    n = len(poly)
    j = n - 1
    for i in range(n):
        xi, yi = poly[i]
        xj, yj = poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class Box3:
    def __init__(self, x0, x1, y0, y1, z0, z1):
        self.x0, self.x1, self.y0, self.y1, self.z0, self.z1 = x0, x1, y0, y1, z0, z1

    def contains_xz(self, p):
        return self.x0 <= p[0] <= self.x1 and self.z0 <= p[2] <= self.z1

    def edge_points(self, n=6):
        xs, ys, zs = (self.x0, self.x1), (self.y0, self.y1), (self.z0, self.z1)
        pts = []
        for i in range(n + 1):
            w = i / n
            for a in ys:
                for b in zs:
                    pts.append((self.x0 + (self.x1 - self.x0) * w, a, b))
            for a in xs:
                for b in zs:
                    pts.append((a, self.y0 + (self.y1 - self.y0) * w, b))
            for a in xs:
                for b in ys:
                    pts.append((a, b, self.z0 + (self.z1 - self.z0) * w))
        return pts

    def describe(self):
        return [round(v, 3) for v in (self.x0, self.x1, self.y0, self.y1, self.z0, self.z1)]


def image_zone(cam, box):
    """The image polygon (pixels) of a 3-D box: the convex hull of its projected edges, clipped to the frame.
    Returns None when part of the box is behind the camera."""
    pts = []
    for P in box.edge_points():
        pr = cam.project(P)
        if pr is None or pr[2] < 0.25:
            return None
        pts.append((pr[0], pr[1]))
    return clip_poly(convex_hull(pts), cam.W, cam.H)


RESOLUTIONS = ((640, 360), (640, 480), (704, 576), (960, 540), (1280, 720), (1280, 960), (1920, 1080))


class Setup:
    """One window's installation: world, clerk body, camera, the 3-D areas and the configured zones."""


def upright_test_pose(body, world, d, yaw):
    p = [0.0] * NP
    p[HZ], p[YAW] = -d, yaw
    p[PEL], p[THO], p[NEC] = rad(2), rad(7), rad(5)
    f, l = (sin(yaw), 0.0, cos(yaw)), (cos(yaw), 0.0, -sin(yaw))
    for i, lat in ((LWX, 0.15), (RWX, -0.15)):
        p[i], p[i + 1], p[i + 2] = l[0] * lat + f[0] * 0.5, world.top + 0.03, -d + l[2] * lat + f[2] * 0.5
    return p


def norm_poly(poly, W, H):
    out = []
    for (x, y) in poly:
        q = (round(clamp(x / W, 0.0, 1.0), 4), round(clamp(y / H, 0.0, 1.0), 4))
        if not out or q != out[-1]:
            out.append(q)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return convex_hull(out) if len(out) >= 3 else out


def draw_setup(rng):
    """Draws furniture, the clerk's body and a camera until the camera sees the seated clerk's head and
    shoulders, the desk line and a counter area that is not a sliver (as an installer would insist on)."""
    for attempt in range(2000):
        stature = rng.uniform(1.50, 1.95)
        world = World(rng, stature)
        body = Body(rng, stature, world.top)
        height = rng.uniform(1.8, 3.2)
        dist = rng.uniform(1.5, 4.5)
        off = clamp(rng.uniform(-1.5, 1.5), -0.6 * dist, 0.6 * dist)
        cz = sqrt(dist * dist - off * off)
        cb = Box3(-0.85, 0.85, 0.85, 1.55, world.z1 + 0.05, world.z1 + 0.85)
        if cz <= world.z1 + 0.1:
            continue
        if cb.z0 - 0.3 <= cz <= cb.z1 + 0.3 and abs(off) < 1.2 and height < 2.2:
            continue       # the lens would be among the citizens' heads
        tilt = rng.uniform(0.0, 45.0)
        hfov = rng.uniform(60.0, 110.0)
        W, H = rng.choice(RESOLUTIONS)
        k1 = rng.uniform(0.0, 0.02) + max(0.0, (hfov - 70.0) / 40.0) * rng.uniform(0.03, 0.11)
        aim = (rng.gauss(0.0, 0.12), 0.0, rng.gauss(0.0, 0.12))
        cam = Camera((off, height, cz), aim, tilt, rng.uniform(-1.5, 1.5), hfov, W, H, k1)
        ok = True
        sh_px = None
        for d, yaw in ((0.0, 0.0), (0.7, 0.0), (0.0, rad(30)), (0.0, rad(-30))):
            kps, u = fk(body, upright_test_pose(body, world, d, yaw), ([0.0, body.thigh, 0.0, body.thigh, 0.0, 0.0], None, 0.0), 0.0)
            pts = [kps[i] for i in (0, 3, 4, 5, 6)] + [head_point(u["hf"], u["hu"], u["hl"], u["E"], body.head_top)]
            for P in pts:
                pr = cam.project(P)
                if pr is None or not (0.03 * W <= pr[0] <= 0.97 * W and 0.03 * H <= pr[1] <= 0.97 * H):
                    ok = False
                    break
            if not ok:
                break
            if d == 0.0 and yaw == 0.0:
                a, c = cam.project(kps[5]), cam.project(kps[6])
                sh_px = math.hypot(a[0] - c[0], a[1] - c[1])
        if not ok or sh_px < 14:
            continue
        seen = True
        for P in ((-0.2, 1.3, cb.z0 + 0.3), (0.2, 1.3, cb.z0 + 0.3), (-0.12, 0.85, cb.z0 + 0.3), (0.12, 0.85, cb.z0 + 0.3)):
            pr = cam.project(P)
            if pr is None or not (0.0 <= pr[0] < W and 0.0 <= pr[1] < H):
                seen = False
        if not seen:
            continue       # the installer wants to see the citizens at the counter
        dl = cam.project((0.0, world.top, world.z0))
        if dl is None or not (0.03 <= dl[1] / H <= 0.97):
            continue
        sb = Box3(-0.75, 0.75, 0.45, min(2.0, stature + 0.08), -1.05, world.z0 + 0.05)
        spoly = image_zone(cam, sb)
        cpoly = image_zone(cam, cb)
        if not spoly or not cpoly or len(spoly) < 3 or len(cpoly) < 3:
            continue
        if poly_area(spoly) < 0.01 * W * H:
            continue
        xs, ys = [q[0] for q in cpoly], [q[1] for q in cpoly]
        if poly_area(cpoly) < 0.02 * W * H or max(ys) - min(ys) < 0.06 * H or max(xs) - min(xs) < 0.15 * W:
            continue
        st = Setup()
        st.world, st.body, st.cam, st.staff_box, st.counter_box = world, body, cam, sb, cb
        st.staff_poly, st.counter_poly = spoly, cpoly
        st.staff_zone, st.counter_zone = norm_poly(spoly, W, H), norm_poly(cpoly, W, H)
        st.desk_y = round(clamp(dl[1] / H + rng.uniform(-0.008, 0.008), 0.0, 1.0), 4)
        st.distance, st.offset_x, st.height = dist, off, height
        st.shoulder_px = sh_px
        r = rng.random()
        if r < 0.6:
            st.cfg_tilt = round(clamp(tilt + rng.uniform(-3, 3), 0, 60), 1)
        elif r < 0.75:
            st.cfg_tilt = float(clamp(round(tilt / 5.0) * 5 + rng.randint(-7, 7), 0, 60))
        else:
            st.cfg_tilt = None
        st.attempts = attempt + 1
        return st
    raise RuntimeError("no camera placement found")


# =====================================================================================  5. scenario
class Seg:
    """A behaviour segment: a target pose (or a pose function of time), reached over `tau` seconds from
    wherever the previous segment left off."""
    __slots__ = ("kind", "form", "t0", "t1", "tau", "p", "fn", "life", "start", "info")

    def __init__(self, kind, form, t0, t1, tau, p=None, fn=None, life=1.0, info=None):
        self.kind, self.form, self.t0, self.t1, self.tau = kind, form, t0, t1, tau
        self.p, self.fn, self.life, self.start, self.info = p, fn, life, None, info

    def pose(self, t):
        return self.fn(t) if self.fn is not None else self.p


class Track:
    """Plays a list of contiguous segments forward in time."""

    def __init__(self, segs):
        self.segs = segs
        self.k = 0

    def at(self, t):
        segs, k = self.segs, self.k
        while k + 1 < len(segs) and t >= segs[k + 1].t0:
            k += 1
            segs[k].start = segs[k - 1].pose(segs[k].t0)
        self.k = k
        seg = segs[k]
        p = seg.pose(t)
        dt = t - seg.t0
        if seg.start is not None and dt < seg.tau:
            w = dt / seg.tau
            w = w * w * (3.0 - 2.0 * w)
            return [a + (c - a) * w for a, c in zip(seg.start, p)], seg
        return list(p), seg


class LegSeg:
    __slots__ = ("form", "t0", "t1", "tau", "lp", "ctype")

    def __init__(self, form, t0, t1, tau, lp, ctype):
        self.form, self.t0, self.t1, self.tau, self.lp, self.ctype = form, t0, t1, tau, lp, ctype


class LegTrack:
    def __init__(self, segs):
        self.segs = segs
        self.k = 0

    def at(self, t):
        segs, k = self.segs, self.k
        while k + 1 < len(segs) and t >= segs[k + 1].t0:
            k += 1
        self.k = k
        seg = segs[k]
        dt = t - seg.t0
        if k > 0 and dt < seg.tau:
            prev = segs[k - 1]
            w = smooth(dt / seg.tau)
            lp = [a + (c - a) * w for a, c in zip(prev.lp, seg.lp)]
            a, c = prev.ctype, seg.ctype
            if a == c:
                return (lp, c, 1.0 if c else 0.0), seg
            if a and not c:
                return (lp, a, 1.0 - w), seg
            if c and not a:
                return (lp, c, w), seg
            return ((lp, a, 1.0 - 2.0 * w) if w < 0.5 else (lp, c, 2.0 * w - 1.0)), seg
        return (seg.lp, seg.ctype, 1.0 if seg.ctype else 0.0), seg


BUSY_LIMIT = 15.0          # upright busy forms keep trunk and neck under this (deg) and sink under 0.15
UPRIGHT_FORMS_NEAR = {"typing": 0.30, "mouse": 0.14, "writing": 0.12, "reading_screen": 0.15, "doc_in_hand": 0.07,
                      "chin_on_hand": 0.04, "drinking": 0.03, "reaching": 0.04, "stretch": 0.02, "phone": 0.03}
UPRIGHT_FORMS_MID = {"reading_screen": 0.30, "leaning_back": 0.25, "doc_in_hand": 0.18, "typing_reach": 0.10,
                     "phone": 0.06, "hands_in_lap": 0.06, "drinking": 0.03, "stretch": 0.02}
UPRIGHT_FORMS_FAR = {"leaning_back": 0.35, "hands_in_lap": 0.25, "doc_in_hand": 0.2, "phone": 0.1, "reading_screen": 0.1}
SERVE_FORMS = {"talking": 0.4, "typing": 0.3, "writing": 0.1, "reading_screen": 0.1, "doc_in_hand": 0.1}
BRIEF_FORMS = ("drinking", "reaching", "stretch", "doc_glance")
SLOUCH_FORMS = ("rounded_back", "forward_lean", "slid_down", "elbow_lean", "neck_down")
HEAD_FORMS = ("folded_arms", "one_arm", "hand_prop", "forehead")


class Poser:
    """Target poses of a seated or standing person, for each behaviour form."""

    def __init__(self, rng, body, world, yaw0, d0, x0=0.0):
        self.rng, self.b, self.w = rng, body, world
        self.yaw0, self.d0, self.x0 = yaw0, d0, x0
        # habitual posture (the clerk's upright)
        self.h = {PEL: rad(rng.uniform(-4, 6)), LUM: rad(rng.uniform(0, 6)), THO: rad(rng.uniform(2, 12)),
                  PRO: rng.uniform(0.0, 0.015), NEC: rad(rng.uniform(0, 12)), HP: rad(rng.uniform(-5, 5))}
        self.base_p = self.typing(d0, jitter=False)
        u = fk_upper(body, self.base_p)
        self.baseline = measures(body, u, self.base_p)

    # ---- helpers
    def base(self, d, yaw=None):
        p = [0.0] * NP
        p[HX] = self.x0
        p[HZ] = -d
        p[YAW] = self.yaw0 if yaw is None else yaw
        for k, v in self.h.items():
            p[k] = v
        return p

    def frame(self, p):
        yaw = p[YAW]
        return (sin(yaw), 0.0, cos(yaw)), (cos(yaw), 0.0, -sin(yaw))

    def desk_pt(self, p, lat, beyond, up=0.03):
        """A point on the desk top, `beyond` metres past the desk edge straight ahead of the clerk, `lat` to the left."""
        f, l = self.frame(p)
        hz = p[HZ]
        dist = (self.w.z0 - hz) / max(0.5, f[2]) + beyond
        return (p[HX] + f[0] * dist + l[0] * lat, self.w.top + up, hz + f[2] * dist + l[2] * lat)

    def lap_pt(self, p, lat, fwd=0.2, up=0.11):
        f, l = self.frame(p)
        y = self.b.seat_hip_y - p[SNK] + up
        fw = p[SLI] + fwd
        return (p[HX] + f[0] * fw + l[0] * lat, y, p[HZ] + f[2] * fw + l[2] * lat)

    def body_pt(self, p, lat, up, fwd):
        """A point in the thorax frame relative to the shoulder centre (after the spine is set)."""
        u = fk_upper(self.b, p)
        sc = u["sc"]
        return add(add(add(sc, mul(u["l2"], lat)), mul(u["u2"], up)), mul(u["f2"], fwd))

    def hang(self, p, side):
        u = fk_upper(self.b, p)
        S = u["Sl"] if side > 0 else u["Sr"]
        L = 0.93 * (self.b.uarm + self.b.farm)
        return (S[0] + u["l"][0] * 0.03 * side + u["f"][0] * 0.04, S[1] - L, S[2] + u["l"][2] * 0.03 * side + u["f"][2] * 0.04)

    def set_w(self, p, L, R):
        p[LWX], p[LWY], p[LWZ] = L
        p[RWX], p[RWY], p[RWZ] = R
        return p

    def reach_ok(self, p, pt):
        u = fk_upper(self.b, p)
        return norm(sub(pt, u["sc"])) < (self.b.uarm + self.b.farm) * 0.97 + self.b.sw * 0.4

    def rel(self, p):
        u = fk_upper(self.b, p)
        tr, nk, shy, hrel = measures(self.b, u, p)
        bt, bn, bshy, bhrel = self.baseline
        sink = ((bshy - shy) - max(bhrel - hrel, -0.1 * self.b.sw)) / self.b.sw
        return tr - bt, nk - bn, sink

    def limit_busy(self, p):
        """Scale a busy form's departures from the habitual posture until it is clearly upright."""
        ref = self.base(-p[HZ], p[YAW])
        keys = (PEL, LUM, THO, NEC, HP, SNK, SLI, LAT)
        for _ in range(12):
            tr, nk, sk = self.rel(p)
            if tr < BUSY_LIMIT and nk < BUSY_LIMIT and sk < 0.15:
                return p
            for k in keys:
                p[k] = ref[k] + (p[k] - ref[k]) * 0.8
        return p

    # ---- upright forms
    def typing(self, d, jitter=True, reach=False):
        rng = self.rng
        p = self.base(d)
        if jitter:
            p[PEL] += rad(rng.uniform(-1, 6))
            p[NEC] += rad(rng.uniform(-2, 7))
            p[HP] += rad(rng.uniform(-3, 4))
        lat = self.b.sw * 0.35
        bey = (rng.uniform(0.10, 0.22) if jitter else 0.15)
        if reach:
            bey = 0.04
            p[PEL] += rad(rng.uniform(3, 8))
        p = self.set_w(p, self.desk_pt(p, lat, bey), self.desk_pt(p, -lat, bey))
        return p

    def form(self, name, d, side=0):
        """Target pose for an upright/busy form at chair distance d (metres back from the close position)."""
        rng, b = self.rng, self.b
        if name == "typing":
            p = self.typing(d)
        elif name == "typing_reach":
            p = self.typing(d, reach=True)
        elif name == "mouse":
            p = self.typing(d)
            p[RWX], p[RWY], p[RWZ] = self.desk_pt(p, -rng.uniform(0.25, 0.38), rng.uniform(0.08, 0.2))
            p[HY] += rad(rng.uniform(-8, 8))
        elif name == "writing":
            p = self.base(d)
            p[PEL] += rad(rng.uniform(3, 9))
            p[THO] += rad(rng.uniform(0, 4))
            p[NEC] += rad(rng.uniform(5, 11))
            p[HP] += rad(rng.uniform(0, 3))
            p = self.set_w(p, self.desk_pt(p, rng.uniform(0.05, 0.2), rng.uniform(0.05, 0.15)),
                           self.desk_pt(p, -rng.uniform(0.0, 0.1), rng.uniform(0.06, 0.16)))
        elif name == "reading_screen":
            p = self.base(d)
            p[HP] += rad(rng.uniform(-4, 3))
            if d < 0.3:
                p = self.set_w(p, self.desk_pt(p, rng.uniform(0.1, 0.25), rng.uniform(0.0, 0.1)),
                               self.desk_pt(p, -rng.uniform(0.2, 0.35), rng.uniform(0.05, 0.15)))
            else:
                p = self.set_w(p, self.lap_pt(p, 0.12), self.lap_pt(p, -0.12))
        elif name == "talking":
            p = self.base(d)
            p[HY] = rad(rng.uniform(-8, 8)) - p[YAW] * 0.6     # towards the counter
            p[HP] += rad(rng.uniform(-6, 2))
            p = self.set_w(p, self.desk_pt(p, rng.uniform(0.05, 0.2), rng.uniform(0.0, 0.15), 0.05),
                           self.desk_pt(p, -rng.uniform(0.05, 0.2), rng.uniform(0.0, 0.15), 0.05))
        elif name == "leaning_back":
            p = self.base(d)
            p[PEL] -= rad(rng.uniform(6, 18))
            p[LUM] += rad(rng.uniform(0, 4))
            p[NEC] += rad(rng.uniform(2, 10))
            if rng.random() < 0.3:       # arms crossed on the chest
                p = self.set_w(p, self.body_pt(p, -0.08, -0.12, 0.12), self.body_pt(p, 0.08, -0.1, 0.13))
            else:
                p = self.set_w(p, self.lap_pt(p, 0.12, 0.25), self.lap_pt(p, -0.12, 0.25))
        elif name == "hands_in_lap":
            p = self.base(d)
            p[PEL] -= rad(rng.uniform(0, 6))
            p = self.set_w(p, self.lap_pt(p, 0.1, 0.22), self.lap_pt(p, -0.1, 0.22))
        elif name == "doc_in_hand":
            p = self.base(d)
            p[PEL] -= rad(rng.uniform(0, 5))
            p[NEC] += rad(rng.uniform(5, 11))
            p[HP] += rad(rng.uniform(0, 3))
            p = self.set_w(p, self.body_pt(p, 0.12, -0.2, 0.28), self.body_pt(p, -0.12, -0.2, 0.28))
        elif name == "phone":
            p = self.base(d)
            p[NEC] += rad(rng.uniform(6, 11))
            p[HP] += rad(rng.uniform(0, 3))
            p = self.set_w(p, self.body_pt(p, 0.04, -0.15, 0.3), self.lap_pt(p, -0.1, 0.22))
        elif name == "chin_on_hand":
            p = self.typing(d)
            p[PEL] += rad(rng.uniform(2, 6))
            u = fk_upper(b, p)
            chin = head_point(u["hf"], u["hu"], u["hl"], u["E"], b.chin)
            sd = rng.choice((-1, 1))
            w = (chin[0] + u["l"][0] * 0.03 * sd, chin[1] - 0.035, chin[2] + u["l"][2] * 0.03 * sd)
            if sd > 0:
                p[LWX], p[LWY], p[LWZ] = w
                p[LEO] = 0.2
            else:
                p[RWX], p[RWY], p[RWZ] = w
                p[REO] = 0.2
        elif name == "drinking":
            p = self.base(d)
            p[HP] -= rad(rng.uniform(5, 15))
            u = fk_upper(b, p)
            m = head_point(u["hf"], u["hu"], u["hl"], u["E"], (0.0, -0.08, 0.13))
            p = self.set_w(p, self.lap_pt(p, 0.12, 0.25) if d > 0.3 else self.desk_pt(p, 0.15, 0.1), (m[0], m[1] - 0.03, m[2]))
        elif name == "reaching":
            p = self.base(d)
            sd = rng.choice((-1, 1))
            p[LAT] = sd * rad(rng.uniform(4, 10))
            p[TWI] = sd * rad(rng.uniform(5, 15))
            f, l = self.frame(p)
            tgt = add(add(self.lap_pt(p, sd * 0.55, 0.25, 0.35), mul(l, 0.0)), mul(f, 0.1))
            rest = self.desk_pt(p, -sd * 0.15, 0.1) if d < 0.3 else self.lap_pt(p, -sd * 0.1)
            p = self.set_w(p, tgt if sd > 0 else rest, rest if sd > 0 else tgt)
        elif name == "stretch":
            p = self.base(d)
            p[PEL] -= rad(rng.uniform(4, 10))
            p[HP] -= rad(rng.uniform(5, 12))
            u = fk_upper(b, p)
            top = head_point(u["hf"], u["hu"], u["hl"], u["E"], b.head_top)
            p = self.set_w(p, add(top, mul(u["l2"], 0.2)), add(top, mul(u["l2"], -0.2)))
            p[LWY] += 0.25
            p[RWY] += 0.25
        elif name == "side_screen":
            p = self.base(d, yaw=clamp(self.yaw0 + side * rad(rng.uniform(20, 40)), rad(-60), rad(60)))
            p[TWI] = side * rad(rng.uniform(0, 10))
            p[HY] = side * rad(rng.uniform(0, 12))
            p = self.set_w(p, self.desk_pt(p, 0.12, rng.uniform(0.05, 0.2)), self.desk_pt(p, -0.14, rng.uniform(0.05, 0.2)))
        elif name == "doc_glance":      # a brief look down at a document: the neck is bent, but not for long
            p = self.base(d)
            p[NEC] += rad(rng.uniform(14, 26))
            p[HP] += rad(rng.uniform(6, 10))
            p[PEL] += rad(rng.uniform(0, 6))
            p = self.set_w(p, self.desk_pt(p, 0.1, 0.08) if d < 0.3 else self.body_pt(p, 0.1, -0.25, 0.25),
                           self.desk_pt(p, -0.1, 0.1) if d < 0.3 else self.body_pt(p, -0.1, -0.25, 0.25))
            return p
        else:
            raise ValueError(name)
        if name in ("typing", "typing_reach", "mouse", "writing") and not self.reach_ok(p, (p[LWX], p[LWY], p[LWZ])):
            p = self.set_w(p, self.lap_pt(p, 0.12), self.lap_pt(p, -0.12))
        return self.limit_busy(p)

    # ---- slouching
    def slouch(self, name, d, severity):
        """A slouch whose worst measure (trunk/20°, neck/20°, sink/0.2) reaches `severity` (>1).
        Returns (pose, reached severity, form): a bend that cannot get deep enough without the head coming
        down to the desk is drawn as a long look down instead."""
        p, r = self.slouch_form(name, d, severity)
        if r < 1.12 and name != "neck_down":
            p, r = self.slouch_form("neck_down", d, severity)
            name = "neck_down"
        return p, r, name

    def slouch_form(self, name, d, severity):
        rng, b = self.rng, self.b
        p0 = self.base(d)
        delta = [0.0] * NP
        sd = rng.choice((-1, 1))
        if name == "rounded_back":
            delta[LUM], delta[THO] = rad(rng.uniform(6, 12)), rad(rng.uniform(8, 16))
            delta[NEC], delta[PRO], delta[SHR] = rad(rng.uniform(4, 10)), 0.02, -0.008
            delta[PEL] = rad(rng.uniform(0, 5))
        elif name == "forward_lean":
            delta[PEL], delta[LUM], delta[THO] = rad(rng.uniform(8, 14)), rad(rng.uniform(2, 6)), rad(rng.uniform(0, 5))
            delta[HP] = -rad(rng.uniform(3, 8))
        elif name == "slid_down":      # pelvis forward on the seat and rolled back, the back in a C against the backrest
            delta[SLI], delta[SNK] = rng.uniform(0.08, 0.12), rng.uniform(0.03, 0.05)
            delta[PEL] = -rad(rng.uniform(14, 20))
            delta[LUM], delta[THO] = rad(rng.uniform(2, 4)), rad(rng.uniform(2, 4))
            delta[NEC] = rad(rng.uniform(4, 7))
        elif name == "elbow_lean":
            delta[PEL], delta[LAT], delta[TWI] = rad(rng.uniform(10, 15)), sd * rad(rng.uniform(2, 4)), sd * rad(rng.uniform(2, 4))
            delta[THO], delta[HR], delta[HP] = rad(rng.uniform(2, 5)), sd * rad(rng.uniform(2, 5)), -rad(rng.uniform(2, 5))
        elif name == "neck_down":
            delta[NEC], delta[HP] = rad(rng.uniform(9, 14)), rad(rng.uniform(3, 6))
            delta[PEL] = rad(rng.uniform(0, 3))
        lo, hi = 0.0, 2.6
        top = self.w.top

        def at(k):
            p = [a + c * k for a, c in zip(p0, delta)]
            tr, nk, sk = self.rel(p)
            r = max(tr / 20.0, nk / 20.0, sk / 0.2)
            u = fk_upper(b, p)
            if u["E"][1] - top < 0.24 and u["E"][2] > self.w.z0 - 0.1:
                r = 99.0          # never so deep that the head is at the desk: that would be a rest, not a slouch
            return p, r

        p, r = at(hi)
        if r >= severity:
            for _ in range(22):
                m = (lo + hi) / 2
                p, r = at(m)
                if r < severity:
                    lo = m
                else:
                    hi = m
            p, r = at(hi)
            if r >= 99.0:
                p, r = at(lo)
        # hands
        if name in ("forward_lean", "elbow_lean"):
            L = self.desk_pt(p, 0.14, rng.uniform(0.12, 0.25), 0.04)
            R = self.desk_pt(p, -0.14, rng.uniform(0.12, 0.25), 0.04)
            if name == "elbow_lean":     # the leaning side's forearm lies across the desk, its elbow carrying the weight
                wr = self.desk_pt(p, sd * 0.02, rng.uniform(0.15, 0.25), 0.05)
                if sd > 0:
                    L = wr
                    p[LEO] = 0.3
                else:
                    R = wr
                    p[REO] = 0.3
            self.set_w(p, L, R)
        elif name == "slid_down":
            if d < 0.25 and rng.random() < 0.5:
                self.set_w(p, self.desk_pt(p, 0.15, 0.05), self.desk_pt(p, -0.15, 0.05))
            else:
                self.set_w(p, self.lap_pt(p, 0.1, 0.22, 0.14), self.lap_pt(p, -0.1, 0.22, 0.14))
        elif name == "neck_down":
            if d < 0.3:
                self.set_w(p, self.desk_pt(p, 0.12, 0.08), self.desk_pt(p, -0.12, 0.1))
            else:
                self.set_w(p, self.lap_pt(p, 0.06, 0.3, 0.16), self.lap_pt(p, -0.06, 0.3, 0.16))
        else:
            if d < 0.3 and rng.random() < 0.6:
                self.set_w(p, self.desk_pt(p, 0.14, 0.1), self.desk_pt(p, -0.14, 0.12))
            else:
                self.set_w(p, self.lap_pt(p, 0.1), self.lap_pt(p, -0.1))
        return p, round(r, 3)

    # ---- head on the desk
    def head_down(self, name, d):
        """Head resting on the desk, on the arms or on a hand; the trunk is solved so the head meets its support."""
        rng, b, w = self.rng, self.b, self.w
        p = self.base(min(d, rng.uniform(-0.05, 0.06)), yaw=self.yaw0 * 0.5)
        p[REST] = 1.0
        p[PRO] = 0.02
        sd = rng.choice((-1, 1))
        if name == "folded_arms":
            p[NEC], p[HP] = rad(rng.uniform(30, 45)), rad(rng.uniform(15, 30))
            q, ty = b.forehead, w.top + rng.uniform(0.07, 0.09)
        elif name == "one_arm":      # the head turned sideways, one cheek on a forearm
            p[NEC], p[HP] = rad(rng.uniform(20, 35)), rad(rng.uniform(15, 30))
            p[HY] = -sd * rad(rng.uniform(60, 85))
            p[HR] = sd * rad(rng.uniform(0, 15))
            q = b.face[3] if sd > 0 else b.face[4]
            ty = w.top + rng.uniform(0.06, 0.08)
        elif name == "hand_prop":    # elbow on the desk, the chin or cheek on the hand
            p[NEC], p[HP] = rad(rng.uniform(15, 30)), rad(rng.uniform(0, 12))
            p[HR] = sd * rad(rng.uniform(0, 15))
            alpha = rad(rng.uniform(25, 50))
            q, ty = b.chin, w.top + b.farm * sin(alpha) * 0.95 + 0.035
        else:  # forehead
            p[NEC], p[HP] = rad(rng.uniform(35, 50)), rad(rng.uniform(20, 35))
            q, ty = b.forehead, w.top + 0.012
        h = self.h

        def at(th):
            p[PEL] = h[PEL] + 0.45 * th
            p[LUM] = h[LUM] + 0.25 * th
            p[THO] = h[THO] + 0.30 * th
            u = fk_upper(b, p)
            return u, head_point(u["hf"], u["hu"], u["hl"], u["E"], q)

        for _ in range(4):
            u, pt = at(rad(80))
            if pt[1] <= ty:
                break
            p[NEC] += rad(8)      # a very long trunk over a low desk: bend the neck more
        for _ in range(6):
            lo, hi = 0.0, rad(80)
            for _ in range(24):
                m = (lo + hi) / 2
                u, pt = at(m)
                if pt[1] > ty:
                    lo = m
                else:
                    hi = m
            u, pt = at(hi)
            if name != "hand_prop" or self.rel(p)[0] + self.baseline[0] >= 35.0:
                break
            alpha *= 0.7          # a high desk: the forearm lies flatter so that the trunk is really down
            ty = w.top + b.farm * sin(alpha) * 0.95 + 0.035
        # the head must land over the desk, not in front of its edge
        f = u["f"]
        past = (pt[2] - w.z0) if abs(f[2]) > 0.3 else 1.0
        if past < 0.06:
            p[HZ] += 0.06 - past
            u, pt = at(hi)
        trunk = self.rel(p)[0] + self.baseline[0]
        hf, hu, hl, E = u["hf"], u["hu"], u["hl"], u["E"]
        l, top = u["l"], w.top
        if name == "folded_arms":
            fh = head_point(hf, hu, hl, E, b.forehead)
            L = (fh[0] - l[0] * 0.1, top + 0.04, fh[2] - l[2] * 0.1 + 0.03)
            R = (fh[0] + l[0] * 0.1, top + 0.04, fh[2] + l[2] * 0.1 + 0.03)
            self.set_w(p, L, R)
            p[LEO] = p[REO] = 0.5
        elif name == "one_arm":
            c = pt
            sup = (c[0] - l[0] * 0.16 * sd, top + 0.04, c[2] - l[2] * 0.16 * sd + 0.04)
            other = self.lap_pt(p, -0.1 * sd, 0.22) if rng.random() < 0.5 else self.desk_pt(p, -0.25 * sd, 0.1)
            if sd > 0:
                self.set_w(p, sup, other)
                p[LEO] = 0.6
            else:
                self.set_w(p, other, sup)
                p[REO] = 0.6
        elif name == "hand_prop":
            ch = head_point(hf, hu, hl, E, b.chin)
            hand = (ch[0] + l[0] * 0.02 * sd, ch[1] - 0.035, ch[2])
            other = self.desk_pt(p, -0.2 * sd, 0.1) if rng.random() < 0.6 else self.lap_pt(p, -0.1 * sd, 0.22)
            if sd > 0:
                self.set_w(p, hand, other)
                p[LEO] = -0.2
            else:
                self.set_w(p, other, hand)
                p[REO] = -0.2
        else:
            if rng.random() < 0.5:
                self.set_w(p, self.lap_pt(p, 0.1, 0.2), self.lap_pt(p, -0.1, 0.2))
            else:
                fh = head_point(hf, hu, hl, E, b.forehead)
                self.set_w(p, (fh[0] + l[0] * 0.3, top + 0.03, fh[2] + l[2] * 0.3),
                           (fh[0] - l[0] * 0.3, top + 0.03, fh[2] - l[2] * 0.3))
        ear = u["E"][1] - top
        return p, {"trunk_deg": round(trunk, 1), "ear_above_desk": round(ear, 3), "wrists_under_head": name == "folded_arms"}

    # ---- standing
    def standing(self, d, hands="hang"):
        rng = self.rng
        p = self.base(d)
        p[STAND] = 1.0
        p[PEL], p[LUM] = rad(rng.uniform(-2, 4)), rad(rng.uniform(0, 3))
        p[HY] = -p[YAW] * 0.7 + rad(rng.uniform(-6, 6))
        if hands == "desk":
            L = self.hang(p, 1)
            R = self.hang(p, -1)
            L = (L[0], max(L[1], self.w.top + 0.03), L[2] + 0.12)
            R = (R[0], max(R[1], self.w.top + 0.03), R[2] + 0.12)
            return self.set_w(p, L, R)
        if hands == "hold":
            return self.set_w(p, self.body_pt(p, 0.1, -0.25, 0.25), self.body_pt(p, -0.1, -0.25, 0.25))
        return self.set_w(p, self.hang(p, 1), self.hang(p, -1))

    def half_rise(self, d):
        rng = self.rng
        p = self.base(d)
        p[STAND] = rng.uniform(0.2, 0.4)
        p[PEL] += rad(rng.uniform(5, 12))
        p[HY] = -p[YAW] * 0.5
        return self.set_w(p, self.desk_pt(p, 0.2, 0.05), self.desk_pt(p, -0.2, 0.05))

    # ---- walking
    def walk_fn(self, p_seat_stand, route, t_depart, v, hide_at_end):
        """route: list of (x, z) from the standing spot at the seat. Returns (fn(t), arrival time)."""
        b = self.b
        yref = p_seat_stand[YAW]
        legs = []
        tt = t_depart
        for (a, c) in zip(route, route[1:]):
            dd = math.hypot(c[0] - a[0], c[1] - a[1])
            legs.append((tt, tt + dd / v, a, c))
            tt += dd / v
        base = list(p_seat_stand)
        for k, v0 in self.h.items():
            base[k] = v0
        base[STAND] = 1.0
        base[REST] = 0.0
        base[SLI] = base[SNK] = 0.0

        def walker(t, hidden_after=None):
            p = list(base)
            if t <= t_depart:
                return list(p_seat_stand)
            for (ta, tb, a, c) in legs:
                if t <= tb:
                    w = (t - ta) / max(1e-6, tb - ta)
                    x, z = a[0] + (c[0] - a[0]) * w, a[1] + (c[1] - a[1]) * w
                    yaw = atan2(c[0] - a[0], c[1] - a[1])
                    yaw += 2 * pi * round((yref - yaw) / (2 * pi))
                    p[GAI] = 1.0
                    break
            else:
                x, z = route[-1]
                a, c = route[-2], route[-1]
                yaw = atan2(c[0] - a[0], c[1] - a[1])
                yaw += 2 * pi * round((yref - yaw) / (2 * pi))
                if hide_at_end:
                    p[HID] = 1.0
            f = (sin(yaw), 0.0, cos(yaw))
            l = (cos(yaw), 0.0, -sin(yaw))
            # the hip base sits stand_fwd behind the hip centre (fk adds it along the heading)
            p[HX], p[HZ], p[YAW] = x - f[0] * b.stand_fwd, z - f[2] * b.stand_fwd, yaw
            p[HY] = 0.0
            sw = 0.12 * sin(2 * pi * 1.8 * t) * p[GAI]
            hy = b.hip_stand_y + b.trunk - 0.93 * (b.uarm + b.farm)
            p[LWX], p[LWY], p[LWZ] = x + l[0] * (b.sw / 2 + 0.03) - f[0] * sw, hy, z + l[2] * (b.sw / 2 + 0.03) - f[2] * sw
            p[RWX], p[RWY], p[RWZ] = x - l[0] * (b.sw / 2 + 0.03) + f[0] * sw, hy, z - l[2] * (b.sw / 2 + 0.03) + f[2] * sw
            return p

        return walker, tt


def standing_hip(poser, p):
    u = fk_upper(poser.b, p)
    return u["hc"]


class Visit:
    __slots__ = ("arrive", "leave", "response", "label", "citizen", "companion", "stand_at", "side_in", "side_out",
                 "spot", "seated", "hands")


class Scenario:
    """The clerk's hour: main pose segments (trunk, head, arms, chair, presence), a leg layer, citizens,
    passers-by, a colleague. Everything is drawn here; nothing here looks at the detector or the truth."""

    def __init__(self, rng, T, body, world, cam, staff_box, counter_box, staff_poly, counter_poly):
        self.rng, self.T, self.b, self.w, self.cam = rng, T, body, world, cam
        self.staff_box, self.counter_box, self.staff_poly, self.counter_poly = staff_box, counter_box, staff_poly, counter_poly
        self.yaw0 = rad(rng.uniform(-30, 30))
        self.d0 = rng.uniform(0.0, 0.12)
        self.poser = Poser(rng, body, world, self.yaw0, self.d0)
        self.pers = self.personality()
        self.leg_eps = self.draw_leg_episodes()
        self.regimes = self.mobility()
        self.visits = self.draw_visits()
        self.segs = self.build_main()
        self.legsegs = self.build_legs()
        self.others = self.build_others()

    # ------------------------------------------------------------------ personality
    def personality(self):
        rng = self.rng

        def rate(p0, lo, hi):
            return 0.0 if rng.random() < p0 else rng.uniform(lo, hi)

        def weights(names):
            return {n: rng.random() ** 1.5 + 0.05 for n in names}

        return {
            "slouch_rate_h": rate(0.15, 0.5, 6.0), "slouch_median_s": rng.uniform(60, 180), "slouch_forms": weights(SLOUCH_FORMS),
            "head_rate_h": rate(0.25, 0.5, 3.5), "head_forms": weights(HEAD_FORMS),
            "rest_rate_h": rate(0.45, 0.5, 4.0),
            "absence_rate_h": rate(0.3, 0.3, 2.0), "errand_rate_h": rate(0.3, 0.5, 4.0),
            "cross_rate_h": rate(0.35, 0.3, 3.0), "ankle_cross_rate_h": rate(0.4, 0.3, 3.0),
            "citizen_rate_h": rng.uniform(2.0, 14.0), "p_prompt": rng.uniform(0.35, 0.97),
            "p_interrupt": rng.uniform(0.45, 0.9), "p_wake": rng.uniform(0.25, 0.8),
            "glance_rate_h": rng.uniform(0, 25), "side_share": rng.uniform(0.03, 0.22) if self.w.side_screen else 0.0,
            "mobility": pick(rng, {"static": 0.25, "moderate": 0.4, "mobile": 0.35}),
        }

    def draw_leg_episodes(self):
        """Leg crossing and ankle crossing episodes: (start, kind, duration, sat_back)."""
        rng, T, pers = self.rng, self.T, self.pers
        eps = []
        p_back = 0.0 if pers["mobility"] == "static" else rng.uniform(0.2, 0.7)
        for rate, kind, med in ((pers["cross_rate_h"], "cross", 200.0), (pers["ankle_cross_rate_h"], "ankles_crossed", 150.0)):
            if rate <= 0:
                continue
            t = rng.uniform(0, 300)
            while True:
                t += rng.expovariate(rate / 3600.0)
                if t >= T:
                    break
                eps.append((t, kind, lognormal(rng, med, 0.7, 20, 1200), kind == "cross" and rng.random() < p_back))
        eps.sort()
        return eps

    def mobility(self):
        """Chair distance regimes: (t0, t1, d) with d metres back from the close position."""
        rng, T, d0 = self.rng, self.T, self.d0
        kind = self.pers["mobility"]
        if kind == "static":
            return [(0.0, T, d0)]
        out = self.mobility_base(kind)
        # some leg crossings come with the chair pushed back from the desk
        for (ts, k, dur, back) in self.leg_eps:
            if not back:
                continue
            a, c, d = max(0.0, ts - rng.uniform(3, 20)), min(T, ts + dur + rng.uniform(0, 20)), rng.uniform(0.4, 0.7)
            new = []
            for (x0, x1, dd) in out:
                if x1 <= a or x0 >= c:
                    new.append((x0, x1, dd))
                    continue
                if x0 < a:
                    new.append((x0, a, dd))
                if x1 > c:
                    new.append((c, x1, dd))
            new.append((a, c, d))
            out = sorted(new)
        return out

    def mobility_base(self, kind):
        rng, T, d0 = self.rng, self.T, self.d0
        mean, lo = (360.0, 60.0) if kind == "moderate" else (120.0, 30.0)
        near, midp = (0.5, 0.3) if kind == "moderate" else (0.35, 0.35)
        out, t = [], 0.0
        while t < T:
            dur = max(lo, rng.expovariate(1.0 / mean))
            r = rng.random()
            d = d0 if r < near else (rng.uniform(0.2, 0.4) if r < near + midp else rng.uniform(0.4, 0.7))
            out.append((t, min(T, t + dur), d))
            t += dur
        return out

    def d_at(self, t):
        for (a, c, d) in self.regimes:
            if a <= t < c:
                return d
        return self.regimes[-1][2]

    # ------------------------------------------------------------------ citizens
    def draw_visits(self):
        rng, T, pers = self.rng, self.T, self.pers
        out = []
        t = rng.uniform(30, 240)
        while True:
            t += rng.expovariate(pers["citizen_rate_h"] / 3600.0) if out else 0.0
            dwell = lognormal(rng, 150, 0.7, 35, 720)
            if t + 20 > T:
                break
            v = Visit()
            v.arrive = t
            v.leave = min(T + 60.0, t + dwell)
            r = rng.random()
            if r < pers["p_prompt"]:
                v.response = "prompt" if rng.random() < 0.8 else "stay_standing"
            else:
                v.response = pick(rng, {"late": 0.35, "none": 0.4, "half_rise": 0.25})
            v.label = v.response
            v.stand_at = None
            v.side_in, v.side_out = rng.choice((-1, 1)), rng.choice((-1, 1))
            cb = self.counter_box
            v.spot = (rng.uniform(-0.3, 0.3), cb.z0 + rng.uniform(0.2, 0.4))
            v.seated = rng.random() < 0.2
            v.hands = pick(rng, {"counter": 0.6 if self.w.raised else 0.15, "hang": 0.25, "hold": 0.25})
            v.companion = rng.random() < 0.12
            out.append(v)
            t = v.leave + rng.uniform(12, 60)
        return out

    # ------------------------------------------------------------------ the main layer
    def build_main(self):
        rng, T, pers, ps = self.rng, self.T, self.pers, self.poser
        warm = min(rng.uniform(300, 480), 0.3 * T)
        eps = []

        def poisson(rate_h, kind):
            if rate_h <= 0:
                return
            t = warm
            while True:
                t += rng.expovariate(rate_h / 3600.0)
                if t >= T:
                    return
                eps.append((t, kind))

        poisson(pers["slouch_rate_h"], "slouch")
        poisson(pers["head_rate_h"], "head_down")
        poisson(pers["rest_rate_h"], "rest")
        poisson(pers["absence_rate_h"], "away")
        poisson(pers["errand_rate_h"], "errand")
        eps.sort()
        self.segs = segs = []
        self.t = 0.0
        vi = 0
        visits = self.visits
        for (ts, kind) in eps:
            while ts is not None:
                if ts < self.t + 5:           # the clerk was busy: some episodes wait, others never happen
                    ts = None if rng.random() < 0.4 else self.t + rng.uniform(5, 60)
                    continue
                # visits that arrive before this episode are served first
                served = False
                while vi < len(visits) and visits[vi].arrive < ts:
                    v = visits[vi]
                    vi += 1
                    if v.arrive < self.t:          # arrived while the clerk was busy with something that ignored it
                        continue
                    self.fill(v.arrive)
                    self.serve(v, v.arrive, "")
                    served = True
                if not served or ts >= self.t + 5:
                    break
            if ts is None or ts >= T - 10:
                continue
            self.fill(ts)
            end = self.episode(kind, self.t)
            # a visit that arrives during the episode
            while vi < len(visits) and visits[vi].arrive < end:
                v = visits[vi]
                vi += 1
                if v.arrive < segs[-1].t0:
                    v.label = "while_" + kind
                    continue
                last = segs[-1]
                if kind in ("away", "errand"):
                    v.label = "clerk_" + kind
                    v.response = "after_" + kind
                    if v.leave > last.t1 + 5:
                        self.serve(v, last.t1, "after_" + kind)
                        end = self.t
                    continue
                if rng.random() < (pers["p_wake"] if kind in ("head_down", "rest") else pers["p_interrupt"]):
                    cut = v.arrive + rng.uniform(1.0, 4.0)
                    if cut < last.t1 - 2:
                        last.t1 = cut
                    self.t = last.t1
                    v.label = "interrupted_" + kind
                    self.serve(v, self.t, "interrupted_" + kind)
                    end = self.t
                else:
                    v.label = "while_" + kind
                    if v.leave > last.t1 + 5:
                        v.response = "after_" + kind
                        self.serve(v, last.t1, "after_" + kind)
                        end = self.t
                    else:
                        v.response = "ignored"
            self.t = max(self.t, end)
        while vi < len(visits):
            v = visits[vi]
            vi += 1
            if v.arrive < self.t:
                continue
            self.fill(v.arrive)
            self.serve(v, v.arrive, "")
        self.fill(T)
        segs = [s for s in segs if s.t0 < T - 1e-6]
        segs[-1].t1 = T
        self.segs = segs
        return segs

    def add(self, seg):
        if self.segs:
            seg.t0 = self.segs[-1].t1
        self.segs.append(seg)
        self.t = seg.t1
        return seg

    def upright(self, t0, t1, d, serving=False):
        """Upright work from t0 to t1 at chair distance d, in chunks of different forms."""
        rng, pers, ps = self.rng, self.pers, self.poser
        t = t0
        last = ""
        while t < t1 - 0.5:
            if serving:
                name = pick(rng, SERVE_FORMS)
                dd = min(d, self.d0 + 0.05) if name in ("typing", "writing") else d
            else:
                if pers["side_share"] and rng.random() < pers["side_share"]:
                    name = "side_screen"
                elif last != "doc_glance" and rng.random() < pers["glance_rate_h"] / 60.0:
                    name = "doc_glance"
                else:
                    name = pick(rng, UPRIGHT_FORMS_NEAR if d < 0.2 else UPRIGHT_FORMS_MID if d < 0.4 else UPRIGHT_FORMS_FAR)
                dd = d
            if name == "doc_glance":
                dur = rng.uniform(4, 20)
            elif name in BRIEF_FORMS:
                dur = rng.uniform(4, 15)
            else:
                dur = lognormal(rng, 50, 0.8, 8, 400)
            if t1 - (t + dur) < 6:
                dur = t1 - t
            p = ps.form(name, dd, side=self.w.side_screen)
            prev = self.segs[-1].pose(t) if self.segs else p
            moved = abs(prev[HZ] - p[HZ]) + 0.3 * abs(prev[YAW] - p[YAW])
            tau = max(1.0, moved / rng.uniform(0.25, 0.5)) + rng.uniform(0.2, 0.8)
            tau = min(tau, max(0.6, 0.45 * dur))
            life = 0.6 if name in ("typing", "writing", "doc_glance") else 1.0
            self.add(Seg("upright", name, t, t + dur, tau, p=p, life=life))
            t += dur
            last = name

    def fill(self, t1):
        """Upright work until t1, following the chair-distance regimes."""
        t = self.t
        if t1 - t < 0.5:
            if self.segs:
                self.segs[-1].t1 = max(self.segs[-1].t1, t1)
                self.t = self.segs[-1].t1
            return
        for (a, c, d) in self.regimes:
            if c <= t or a >= t1:
                continue
            lo, hi = max(a, t), min(c, t1)
            if hi - lo < 8 and hi < t1:
                continue
            self.upright(self.t, hi, d)
        if self.t < t1:
            self.upright(self.t, t1, self.d_at(self.t))

    def episode(self, kind, t0):
        """Lays one episode from t0 and returns its end."""
        rng, pers, ps, T = self.rng, self.pers, self.poser, self.T
        d = self.d_at(t0)
        if kind == "slouch":
            form = pick(rng, pers["slouch_forms"])
            dur = lognormal(rng, pers["slouch_median_s"], 0.7, 15, 900)
            dd = min(d, self.d0 + 0.05) if form in ("forward_lean", "elbow_lean") else d
            p, sev, form = ps.slouch(form, dd, rng.uniform(1.15, 2.0))
            seg = self.add(Seg("slouch", form, t0, min(T, t0 + dur), rng.uniform(2.0, 5.0), p=p, life=0.5, info={"severity": sev}))
            return seg.t1
        if kind in ("head_down", "rest"):
            form = pick(rng, pers["head_forms"])
            dur = lognormal(rng, 240, 0.8, 40, 1200) if kind == "head_down" else rng.uniform(6, 25)
            p, info = ps.head_down(form, d)
            seg = self.add(Seg(kind, form, t0, min(T, t0 + dur), rng.uniform(2.5, 4.5), p=p, life=0.0, info=info))
            return seg.t1
        # away or errand
        dur = lognormal(rng, 360, 0.6, 150, 1500) if kind == "away" else rng.uniform(20, 80)
        form = pick(rng, {"walk_side": 0.45, "back_door": 0.25, "side_cabinet": 0.3}) if kind == "away" else \
            pick(rng, {"printer": 0.5, "walk_side": 0.5})
        return self.away(kind, form, t0, min(T, t0 + dur), d)

    def outside_zone(self, x, z, ys=None, polys=None):
        """Whether a person at (x, z) is outside the 3-D staff area and the staff zone's polygon (by default
        standing: hips and shoulders)."""
        b = self.b
        if self.staff_box.x0 <= x <= self.staff_box.x1 and self.staff_box.z0 <= z <= self.staff_box.z1:
            return False
        for y in (ys or (b.hip_stand_y, b.sho_y)):
            for dx in (-b.sw / 2, 0.0, b.sw / 2):
                pr = self.cam.project((x + dx, y, z))
                if pr is not None and any(point_in_poly(pr[0], pr[1], q) for q in (polys or (self.staff_poly,))):
                    return False
        return True

    def away(self, kind, form, t0, t1, d):
        rng, ps, b = self.rng, self.poser, self.b
        side = rng.choice((-1, 1))
        p_stand = ps.standing(d)
        hc = standing_hip(ps, p_stand)
        v = rng.uniform(1.0, 1.35)
        start = (hc[0], hc[2])
        step = (side * 0.9, hc[2] - 0.35)
        if form == "back_door":
            dest = (side * rng.uniform(1.2, 2.5), rng.uniform(-3.0, -2.2))
        elif form in ("side_cabinet", "printer"):
            dest = (side * rng.uniform(1.4, 2.4), rng.uniform(-0.9, 0.1))
        else:
            dest = (side * rng.uniform(4.0, 6.0), rng.uniform(-0.6, 0.3))
        for _ in range(10):
            if self.outside_zone(dest[0], dest[1]):
                break
            dest = (dest[0] + side * 0.5, dest[1])
        hide = form in ("back_door", "walk_side")
        route = [start, step, dest]
        rise, sit = rng.uniform(1.2, 2.0), rng.uniform(1.2, 1.8)
        walk_len = sum(math.hypot(c[0] - a[0], c[1] - a[1]) for a, c in zip(route, route[1:])) / v
        if t1 - t0 < 2 * walk_len + rise + sit + 5:
            t1 = t0 + 2 * walk_len + rise + sit + 5
        out_fn, t_there = ps.walk_fn(p_stand, route, t0 + rise, v, hide)
        back_route = list(reversed(route))
        t_back = t1 - sit - walk_len
        back_fn, t_home = ps.walk_fn(p_stand, back_route, t_back, v, False)
        p_sit = ps.form("reading_screen", d)

        home = back_fn(t_home + 0.01)
        home[GAI] = 0.0

        def fn(t):
            if t < t_back:
                return out_fn(t)
            if t < t_home:
                return back_fn(t)
            w = smooth((t - t_home) / sit)
            return [a + (c - a) * w for a, c in zip(home, p_sit)]

        seg = self.add(Seg(kind, form, t0, t1, rise, fn=fn, life=0.3, info={"dest": [round(dest[0], 2), round(dest[1], 2)], "hidden": hide}))
        return seg.t1

    def serve(self, v, t_now, context):
        """The clerk's response to a citizen, from t_now to the citizen's departure."""
        rng, ps = self.rng, self.poser
        d = min(self.d_at(t_now), self.d0 + rng.choice((0.0, 0.0, 0.1, 0.2)))
        resp = v.response
        if resp.startswith("after_"):
            # the clerk notices the citizen only now: stands (often) or not
            resp = "prompt_late" if rng.random() < self.pers["p_prompt"] else "none"
            if resp == "prompt_late" and v.arrive + 23 > t_now + 2:
                resp = "prompt"
            if v.response in ("after_away", "after_errand"):
                resp = "none"    # came back walking: has stood already
        if resp == "prompt" or resp == "stay_standing" or resp == "prompt_late":
            ts = max(t_now + rng.uniform(0.5, 2.0), v.arrive + rng.uniform(0.5, 8.0)) if resp != "prompt_late" else t_now + rng.uniform(1, 4)
        elif resp == "late":
            ts = v.arrive + rng.uniform(30.0, 90.0)
            if ts > v.leave - 4:
                ts = None
        elif resp == "half_rise":
            ts = max(t_now + 0.5, v.arrive + rng.uniform(1.0, 8.0))
        else:
            ts = None
        end = min(self.T, v.leave + rng.uniform(0.0, 4.0))
        if ts is None or ts >= end - 3:
            self.upright(t_now, end, d, serving=True)
            return
        if ts > t_now + 0.5:
            self.upright(t_now, ts, d, serving=True)
        ts = self.t
        v.stand_at = ts
        if resp == "half_rise":
            dur = rng.uniform(1.5, 3.0)
            self.add(Seg("greet", "half_rise", ts, min(end, ts + dur), rng.uniform(0.8, 1.3), p=ps.half_rise(d), life=0.3))
        else:
            dur = (end - ts) if resp == "stay_standing" else rng.uniform(3.0, 25.0)
            hands = pick(rng, {"hang": 0.5, "desk": 0.3, "hold": 0.2})
            self.add(Seg("greet", "stand" if resp != "stay_standing" else "stay_standing", ts, min(end, ts + dur),
                         rng.uniform(1.2, 2.0), p=ps.standing(d, hands), life=0.6))
        if self.t < end - 0.5:
            self.upright(self.t, end, d, serving=True)
        # the first serving segment after a stand is the sit-down: give it a sitting time
        return

    # ------------------------------------------------------------------ the leg layer
    def build_legs(self):
        rng, T, pers, b = self.rng, self.T, self.pers, self.b
        hhw = b.hw / 2

        def lp_for(form):
            lp = [0.0] * NLP
            if form == "neutral":
                lp[LAL] = lp[RAL] = rng.uniform(0.0, 0.05)
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(0.85, 1.05)
            elif form == "tucked":
                lp[LAL] = lp[RAL] = rng.uniform(0.0, 0.04)
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(0.45, 0.65)
                lp[LIFT] = 0.04
            elif form == "extended":
                lp[LAL] = lp[RAL] = rng.uniform(0.0, 0.06)
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(1.2, 1.45)
            elif form == "feet_apart":
                lp[LAL] = lp[RAL] = rng.uniform(0.08, 0.18)
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(0.85, 1.1)
                lp[KSP] = 0.3
            elif form == "ankles_crossed":
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(1.05, 1.35)
                lp[LAL] = lp[RAL] = -(hhw + rng.uniform(0.02, 0.05))
            else:   # crossing: the support leg neutral
                lp[LAL] = lp[RAL] = rng.uniform(0.0, 0.04)
                lp[LAF] = lp[RAF] = b.thigh * rng.uniform(0.85, 1.0)
            if form != "ankles_crossed" and form != "feet_apart":
                lp[KSP] = rng.uniform(0.0, 0.25)
            return lp

        eps = self.leg_eps
        segs = []
        t = 0.0

        def base_until(t_end):
            nonlocal t
            while t < t_end - 0.5:
                form = pick(rng, {"neutral": 0.5, "tucked": 0.2, "extended": 0.15, "feet_apart": 0.15})
                dur = min(t_end - t, max(20.0, rng.expovariate(1 / 240.0)))
                if t_end - (t + dur) < 10:
                    dur = t_end - t
                segs.append(LegSeg(form, t, t + dur, rng.uniform(1.0, 2.5), lp_for(form), None))
                t += dur

        for (ts, kind, dur, back) in eps:
            if ts < t + 5:
                continue
            base_until(ts)
            if kind == "cross":
                ct = pick(rng, {"kok_r": 0.35, "kok_l": 0.35, "f4_r": 0.15, "f4_l": 0.15})
                form = ("knee_over_knee" if ct.startswith("kok") else "figure_four") + ("_sat_back" if back else "")
            else:
                ct, form = None, "ankles_crossed"
            segs.append(LegSeg(form, t, min(T, t + dur), rng.uniform(1.5, 3.0), lp_for(form), ct))
            t = min(T, t + dur)
        base_until(T)
        if not segs:
            segs.append(LegSeg("neutral", 0.0, T, 1.0, lp_for("neutral"), None))
        segs[-1].t1 = T
        # relabel: the legs cannot stay crossed while the clerk stands or walks
        ups = []
        for s in self.segs:
            if s.kind in ("greet", "away", "errand"):
                ups.append((s.t0, s.t1 + 2.0))
        if ups:
            out = []
            for s in segs:
                pieces = [(s.t0, s.t1, s.form, s.ctype, s.lp, s.tau)]
                for (a, c) in ups:
                    nxt = []
                    for (x0, x1, fm, ctp, lp, tau) in pieces:
                        if c <= x0 or a >= x1:
                            nxt.append((x0, x1, fm, ctp, lp, tau))
                            continue
                        if a > x0:
                            nxt.append((x0, a, fm, ctp, lp, tau))
                        nxt.append((max(a, x0), min(c, x1), "standing", None, lp_for("neutral"), 1.0))
                        if c < x1:
                            nxt.append((c, x1, "neutral" if ctp else fm, None, lp_for("neutral") if ctp else lp, 1.5))
                    pieces = nxt
                for (x0, x1, fm, ctp, lp, tau) in pieces:
                    if x1 - x0 > 1e-6:
                        out.append(LegSeg(fm, x0, x1, tau, lp, ctp))
            segs = out
        return segs

    # ------------------------------------------------------------------ other people
    def build_others(self):
        """Citizens (with companions), passers-by and a colleague at the next window: (role, id, body, Track)."""
        rng, T, w, b = self.rng, self.T, self.w, self.b
        others = []
        cb = self.counter_box
        for i, v in enumerate(self.visits):
            cbody = Body(rng, rng.uniform(1.50, 1.92))
            others.append(("citizen", "c%d" % i, cbody, self.citizen_track(cbody, v, 0.0, (0.0, 0.0), v.seated)))
            if v.companion:
                kb = Body(rng, rng.uniform(1.45, 1.9))
                off = (rng.choice((-1, 1)) * rng.uniform(0.4, 0.6), rng.uniform(0.3, 0.5))
                others.append(("companion", "k%d" % i, kb, self.citizen_track(kb, v, rng.uniform(0.5, 4.0), off, False)))
        rate = rng.uniform(0, 20)
        t = 0.0
        n = 0
        while rate > 0:
            t += rng.expovariate(rate / 3600.0)
            if t > T:
                break
            pb = Body(rng, rng.uniform(1.5, 1.92))
            behind = rng.random() < 0.5
            z = rng.uniform(-2.4, -1.4) if behind else cb.z1 + rng.uniform(0.15, 0.9)
            sd = rng.choice((-1, 1))
            others.append(("passer", "p%d" % n, pb, self.pass_track(pb, t, z, sd, rng.uniform(1.0, 1.45))))
            n += 1
        if rng.random() < 0.4:
            kb = Body(rng, rng.uniform(1.5, 1.92), w.top)
            sd = rng.choice((-1, 1))
            x = sd * rng.uniform(1.5, 2.2)
            ys = (kb.seat_hip_y, kb.seat_hip_y + kb.trunk, kb.hip_stand_y, kb.sho_y)
            polys = (self.staff_poly, self.counter_poly)
            for _ in range(6):
                if all(self.outside_zone(x + dx, z, ys, polys) for dx in (-0.3, 0.0, 0.3) for z in (0.1, -0.2, -0.5)):
                    break
                x += sd * 0.3
            else:
                x = None
            if x is not None:
                others.append(("colleague", "q0", kb, self.colleague_track(kb, x)))
        return others

    def citizen_track(self, cb, v, lag, off, seated):
        rng, T = self.rng, self.T
        ps = Poser(rng, cb, self.w, pi, 0.0)
        spot = (v.spot[0] + off[0], v.spot[1] + off[1])
        speed = rng.uniform(0.9, 1.3)
        x_far = 4.0
        box = self.counter_box
        # the citizen's pelvis enters the counter area (|x| <= box.x1) at v.arrive
        d_in = x_far - box.x1
        t_walk = v.arrive + lag - d_in / speed
        p_st = ps.base(0.0, yaw=pi)
        p_st[HX], p_st[HZ], p_st[STAND] = spot[0], spot[1], 1.0
        p_st[HY] = rad(rng.uniform(-10, 10))
        # fk puts the hip centre stand_fwd ahead (towards -z) of the base: shift the base back
        p_st[HZ] += cb.stand_fwd
        if v.hands == "counter" and self.w.raised:
            u = fk_upper(cb, p_st)
            sc = u["sc"]
            zc = self.w.z1 - 0.05
            ps.set_w(p_st, (sc[0] - 0.18, self.w.counter_h + 0.03, zc), (sc[0] + 0.18, self.w.counter_h + 0.03, zc))
        elif v.hands == "hold":
            ps.set_w(p_st, ps.body_pt(p_st, 0.1, -0.25, 0.25), ps.body_pt(p_st, -0.1, -0.25, 0.25))
        else:
            ps.set_w(p_st, ps.hang(p_st, 1), ps.hang(p_st, -1))
        start = (v.side_in * x_far, spot[1])
        arrive_fn, t_at = ps.walk_fn(p_st, [start, (spot[0] + v.side_in * 0.05, spot[1]), spot], t_walk, speed, False)
        t_exit = v.leave + lag - abs(v.side_out * box.x1 - spot[0]) / speed
        leave_fn, t_gone = ps.walk_fn(p_st, [spot, (v.side_out * x_far, spot[1])], t_exit, speed, True)
        segs = [Seg("gone", "", 0.0, max(0.0, t_walk), 0.0, p=hidden_params(start)),
                Seg("walk_in", "", max(0.0, t_walk), t_at, 0.0, fn=arrive_fn)]
        if seated:
            p_sit = list(p_st)
            p_sit[STAND] = 0.0
            p_sit[HZ] = spot[1] + 0.1
            ps.set_w(p_sit, ps.lap_pt(p_sit, 0.1), ps.lap_pt(p_sit, -0.1))
            segs.append(Seg("stand", "", t_at, t_at + 2.0, 1.0, p=p_st))
            segs.append(Seg("sit", "", t_at + 2.0, max(t_at + 3.0, t_exit - 2.0), 1.5, p=p_sit))
            segs.append(Seg("stand", "", max(t_at + 3.0, t_exit - 2.0), max(t_at + 4.0, t_exit), 1.5, p=p_st))
        else:
            segs.append(Seg("stand", "", t_at, max(t_at + 1.0, t_exit), 1.0, p=p_st))
        segs.append(Seg("walk_out", "", segs[-1].t1, max(segs[-1].t1 + 0.1, t_gone + 1.0), 0.8, fn=leave_fn))
        segs.append(Seg("gone", "", segs[-1].t1, T + 100.0, 0.0, p=hidden_params((v.side_out * x_far, spot[1]))))
        return Track(fix_times(segs))

    def pass_track(self, pb, t0, z, sd, speed):
        ps = Poser(self.rng, pb, self.w, 0.0, 0.0)
        p = ps.base(0.0)
        p[STAND] = 1.0
        route = [(-sd * 4.5, z), (sd * 4.5, z)]
        fn, t_end = ps.walk_fn(p, route, t0, speed, True)
        segs = [Seg("gone", "", 0.0, t0, 0.0, p=hidden_params(route[0])),
                Seg("walk", "", t0, t_end, 0.0, fn=fn),
                Seg("gone", "", t_end, self.T + 100.0, 0.0, p=hidden_params(route[1]))]
        return Track(fix_times(segs))

    def colleague_track(self, kb, x):
        rng, T = self.rng, self.T
        ps = Poser(rng, kb, self.w, rad(rng.uniform(-20, 20)), rng.uniform(0.0, 0.3), x0=x)
        segs, t = [], 0.0
        while t < T:
            dur = lognormal(rng, 90, 0.8, 10, 600)
            r = rng.random()
            if r < 0.05:
                p = ps.standing(-ps.base_p[HZ])
                dur = rng.uniform(5, 30)
            else:
                name = pick(rng, {"typing": 0.35, "reading_screen": 0.25, "talking": 0.15, "leaning_back": 0.1, "writing": 0.15})
                p = ps.form(name, rng.uniform(0.0, 0.35))
            segs.append(Seg("colleague", "", t, min(T + 100.0, t + dur), 1.5, p=p))
            t += dur
        segs[-1].t1 = T + 100.0
        return Track(segs)


def hidden_params(xz):
    p = [0.0] * NP
    p[HX], p[HZ], p[STAND], p[HID] = xz[0], xz[1], 1.0, 1.0
    return p


def fix_times(segs):
    """Makes a hand-built list contiguous and non-negative in length."""
    for a, c in zip(segs, segs[1:]):
        c.t0 = max(c.t0, a.t0)
        a.t1 = c.t0
    return segs


# =====================================================================================  6. detector
# COCO OKS sigmas, and a visible joint's typical confidence for a bottom-up model
SIG = (.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089)
BASEC = (.90, .88, .88, .80, .80, .93, .93, .86, .86, .80, .80, .82, .82, .82, .82, .78, .78)
SMALL = (1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1)      # joints that suffer most at low resolution
PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))
VISIBLE, OUT, FURNITURE, SELF, PERSON, UNDER_HEAD = range(6)


class Detector:
    """An imitation of a bottom-up pose model on a fixed camera."""

    def __init__(self, rng, cam, world, T, fps):
        self.rng, self.cam, self.world, self.fps = rng, cam, world, fps
        self.q = rng.uniform(0.05, 0.13)                  # position noise, fraction of stature-in-pixels x OKS sigma
        self.rho = rng.uniform(0.5, 0.85)                 # AR(1) coefficient of the noise from frame to frame
        self.light = rng.uniform(0.72, 1.0)
        self.drift = (rng.uniform(0.0, 0.08), rng.uniform(600.0, 3000.0), rng.uniform(0.0, 2 * pi))
        self.glare = None
        if rng.random() < 0.3:
            gx, gy = rng.uniform(0, cam.W), rng.uniform(0, cam.H)
            gw, gh = rng.uniform(0.1, 0.3) * cam.W, rng.uniform(0.1, 0.3) * cam.H
            self.glare = (gx - gw, gy - gh, gx + gw, gy + gh)
        self.leg_c = rng.uniform(0.2, 0.5)                # confidence of legs guessed behind the desk
        self.leg_hallu = rng.uniform(0.0, 0.05)           # share of time the model is sure of its guessed legs
        self.miss = rng.uniform(0.002, 0.02)
        self.burst = rng.uniform(1.5, 6.0)
        self.ghost_rate = rng.uniform(0.0, 2.0) / 60.0
        self.swap = rng.uniform(0.001, 0.006)
        self.outlier = rng.uniform(0.002, 0.012)
        self.drop = rng.uniform(0.002, 0.012)
        self.outages = []
        rate = rng.choice((0.0, 0.0, 0.0, 1.0, 1.0, 2.0)) / 3600.0    # camera outages per second
        a = 0.0
        while rate > 0:
            a += rng.expovariate(rate)
            if a >= T:
                break
            self.outages.append((a, a + rng.uniform(4, 120)))
        self.state = {}
        self.ghosts = []
        self.hallu_on = False

    def describe(self):
        return {"noise_q": round(self.q, 4), "rho": round(self.rho, 3), "light": round(self.light, 3), "glare": self.glare is not None,
                "leg_conf": round(self.leg_c, 3), "leg_hallucination": round(self.leg_hallu, 4), "miss": round(self.miss, 4),
                "miss_burst_frames": round(self.burst, 2), "ghosts_per_min": round(self.ghost_rate * 60, 3),
                "swap": round(self.swap, 4), "outlier": round(self.outlier, 4), "drop": round(self.drop, 4),
                "outages": [[round(a, 1), round(c, 1)] for a, c in self.outages]}

    def dropped(self, t):
        if self.rng.random() < self.drop:
            return True
        for a, c in self.outages:
            if a <= t < c:
                return True
        return False

    def silhouettes(self, people):
        """Image boxes (torso+head, legs) and depth of every person, from their true pose, for occlusion."""
        cam = self.cam
        out = {}
        for (pid, role, b, kps, u, flags) in people:
            pr = [cam.project(P) for P in (kps[5], kps[6], kps[11], kps[12], kps[13], kps[14], kps[15], kps[16], kps[3], kps[4])]
            top = cam.project(head_point(u["hf"], u["hu"], u["hl"], u["E"], b.head_top))
            if any(x is None for x in pr) or top is None:
                continue
            ppm = cam.f / max(0.3, (pr[0][2] + pr[1][2]) * 0.5)           # pixels per metre at the person
            m = 0.07 * ppm                                                # half a body's depth of clothing and flesh
            xs = [pr[i][0] for i in range(4)]
            ys = [pr[i][1] for i in range(4)]
            torso = (min(xs) - m, min(ys) - m * 0.5, max(xs) + m, max(ys) + m * 0.5)
            hx = [pr[8][0], pr[9][0], top[0]]
            hy = [pr[8][1], pr[9][1], top[1], pr[0][1], pr[1][1]]
            head = (min(hx) - 0.03 * ppm, min(hy), max(hx) + 0.03 * ppm, max(hy))
            lx = [pr[i][0] for i in range(2, 8)]
            ly = [pr[i][1] for i in range(2, 8)]
            legs = (min(lx) - m * 0.6, min(ly), max(lx) + m * 0.6, max(ly) + m * 0.5)
            depth = (pr[0][2] + pr[1][2]) * 0.5
            out[pid] = (torso, legs, head, depth)
        return out

    def person(self, pid, role, b, kps, u, flags, blockers, t):
        """Returns (output string or None, per-joint reasons, confidences)."""
        cam, rng, world = self.cam, self.rng, self.world
        W, H = cam.W, cam.H
        C = cam.pos
        proj = [cam.project(P) for P in kps]
        if sum(1 for x in proj if x is not None) < 9:
            return None, [OUT] * 17, [0.0] * 17
        depth = None
        for i in (5, 6, 11, 12, 0):
            if proj[i] is not None:
                depth = proj[i][2]
                break
        if depth is None:
            return None, [OUT] * 17, [0.0] * 17
        scale = cam.f * b.H / depth                      # the person's stature in pixels
        E = u["E"]
        tc = unit((C[0] - E[0], C[1] - E[1], C[2] - E[2]))
        hf, hl, l2, lp = u["hf"], u["hl"], u["l2"], u["l"]
        fd = hf[0] * tc[0] + hf[1] * tc[1] + hf[2] * tc[2]
        ld = hl[0] * tc[0] + hl[1] * tc[1] + hl[2] * tc[2]
        sd = l2[0] * tc[0] + l2[2] * tc[2]
        pd = lp[0] * tc[0] + lp[2] * tc[2]
        reasons = [VISIBLE] * 17
        # facing and turned sides
        if fd < -0.05:
            reasons[0] = SELF
        if fd + 0.6 * ld < -0.05:
            reasons[1] = SELF
        if fd - 0.6 * ld < -0.05:
            reasons[2] = SELF
        if ld < -0.35:
            reasons[3] = SELF
        if ld > 0.35:
            reasons[4] = SELF
        if sd < -0.75:
            reasons[5] = reasons[7] = SELF
        if sd > 0.75:
            reasons[6] = reasons[8] = SELF
        if pd < -0.75:
            reasons[11] = SELF
        if pd > 0.75:
            reasons[12] = SELF
        if flags.get("wrists_under_head"):
            reasons[9] = reasons[10] = UNDER_HEAD
        if flags.get("ears_under_arms"):
            reasons[3] = reasons[4] = UNDER_HEAD
        for w in (9, 10):              # a hand in front of the face (drinking, chin on a hand, a head propped up)
            W3, pw = kps[w], proj[w]
            if pw is None:
                continue
            for j in range(5):
                P, pj = kps[j], proj[j]
                if pj is not None and pw[2] < pj[2] and (P[0] - W3[0]) ** 2 + (P[1] - W3[1]) ** 2 + (P[2] - W3[2]) ** 2 < 0.0049:
                    reasons[j] = UNDER_HEAD
        occ_top = world.occ_top
        for j in range(17):
            pr = proj[j]
            if pr is None or not (0.0 <= pr[0] < W and 0.0 <= pr[1] < H):
                reasons[j] = OUT
                continue
            if reasons[j] != VISIBLE:
                continue
            P = kps[j]
            if P[1] < occ_top and world.occluded(P, C):
                reasons[j] = FURNITURE
                continue
            for (bx, bdepth) in blockers:
                if bdepth < pr[2] - 0.25 and bx[0] <= pr[0] <= bx[2] and bx[1] <= pr[1] <= bx[3]:
                    reasons[j] = PERSON
                    break
        nvis = sum(1 for r in reasons if r == VISIBLE)
        st = self.state.get(pid)
        if st is None:
            st = {"n": [rng.gauss(0, 1) for _ in range(34)], "bias": [rng.gauss(0, 0.5) for _ in range(34)], "miss": 0}
            self.state[pid] = st
        # missed person, in bursts; more often in unusual poses and when little is visible
        if st["miss"] > 0:
            st["miss"] -= 1
            return None, reasons, [0.0] * 17
        # pm: the share of frames in which this person is missed; misses come in bursts of about `burst` frames
        pm = self.miss * (3.0 if flags.get("unusual") else 1.0)
        if nvis <= 2:
            pm = 0.85
        elif nvis == 3:
            pm = max(pm, 0.4)
        elif nvis <= 5:
            pm = pm * 1.5
        if rng.random() < pm / (self.burst * (1.0 - pm) + pm):
            st["miss"] = int(rng.expovariate(1.0 / self.burst))
            return None, reasons, [0.0] * 17
        if nvis < 3:
            return None, reasons, [0.0] * 17
        # confidences and positions
        light = self.light * (1.0 + self.drift[0] * sin(2 * pi * t / self.drift[1] + self.drift[2]))
        sf_small = clamp((scale / 260.0) ** 0.4, 0.45, 1.0)
        sf_big = clamp((scale / 200.0) ** 0.2, 0.65, 1.0)
        pose_f = 0.82 if flags.get("unusual") else 1.0
        mot_f = 0.88 if flags.get("moving") else 1.0
        glass_f = 0.93 if (self.world.glass and role in ("clerk", "colleague")) else 1.0
        common = light * pose_f * mot_f * glass_f
        rho = self.rho
        inn = sqrt(1.0 - rho * rho)
        n, bias = st["n"], st["bias"]
        q = self.q * scale
        g = self.glare
        seated = flags.get("seated", False)
        if flags.get("legs_guess") is not None:
            guess = flags["legs_guess"]
        else:
            guess = None
        if rng.random() < 0.002:          # switches now and then; on for about leg_hallu of the time
            self.hallu_on = rng.random() < self.leg_hallu
        out = []
        confs = [0.0] * 17
        gauss = rng.gauss
        for j in range(17):
            r = reasons[j]
            pr = proj[j]
            n[2 * j] = rho * n[2 * j] + inn * gauss(0, 1)
            n[2 * j + 1] = rho * n[2 * j + 1] + inn * gauss(0, 1)
            s = SIG[j] * q
            if r == VISIBLE:
                x = pr[0] + (n[2 * j] + bias[2 * j]) * s
                y = pr[1] + (n[2 * j + 1] + bias[2 * j + 1]) * s
                c = BASEC[j] * common * (sf_small if SMALL[j] else sf_big) + gauss(0, 0.05)
                if g is not None and g[0] <= x <= g[2] and g[1] <= y <= g[3]:
                    c *= 0.6
                if rng.random() < self.outlier:
                    a = rng.uniform(0, 2 * pi)
                    m = rng.uniform(0.04, 0.12) * scale
                    x, y, c = x + m * cos(a), y + m * sin(a), c * 0.8
            else:
                if r == OUT or pr is None:
                    if pr is None:
                        x, y = W * 0.5, H - 1.0
                    else:
                        x, y = pr[0], pr[1]
                    c = rng.uniform(0.02, 0.2)
                else:
                    base = pr
                    if r == FURNITURE and j >= 13 and seated and guess is not None:
                        gp = cam.project(guess[j - 13])
                        if gp is not None:
                            base = gp
                    x = base[0] + (n[2 * j] * 2.5 + bias[2 * j]) * s * 1.5
                    y = base[1] + (n[2 * j + 1] * 2.5 + bias[2 * j + 1]) * s * 1.5
                    if r == FURNITURE:
                        if j >= 13:
                            c = rng.uniform(0.6, 0.78) if self.hallu_on else gauss(self.leg_c, 0.1)
                        elif j >= 11:
                            c = gauss(0.35, 0.12)
                        else:
                            c = gauss(0.25, 0.1)
                    elif r == SELF:
                        c = gauss(0.2, 0.1)
                    elif r == PERSON:
                        c = gauss(0.25, 0.12)
                    else:
                        c = gauss(0.3, 0.12)
                    c = clamp(c, 0.02, 0.62) if not (r == FURNITURE and j >= 13 and self.hallu_on) else c
                x = clamp(x, 0.0, W - 1.0)
                y = clamp(y, 0.0, H - 1.0)
            c = clamp(c, 0.01, 0.99)
            x = clamp(x, 0.0, W - 1.0)
            y = clamp(y, 0.0, H - 1.0)
            confs[j] = c
            out.append([x, y, c])
        # left/right confusions
        if rng.random() < self.swap:
            if rng.random() < 0.1:
                for a, c2 in PAIRS:
                    out[a], out[c2] = out[c2], out[a]
            else:
                a, c2 = PAIRS[rng.randrange(3, 8)]
                out[a], out[c2] = out[c2], out[a]
        good = [k for k in out if k[2] >= 0.3]
        if len(good) < 3:
            return None, reasons, confs
        xs = [k[0] for k in good]
        ys = [k[1] for k in good]
        top = cam.project(head_point(u["hf"], u["hu"], u["hl"], u["E"], b.head_top))
        if top is not None and reasons[0] != OUT and 0 <= top[1] < H:
            ys.append(top[1])
        bw, bh = max(xs) - min(xs), max(ys) - min(ys)
        box = (clamp(min(xs) - 0.1 * bw - 4, 0, W - 1), clamp(min(ys) - 0.06 * bh - 4, 0, H - 1),
               clamp(max(xs) + 0.1 * bw + 4, 0, W - 1), clamp(max(ys) + 0.06 * bh + 4, 0, H - 1))
        cs = sorted((k[2] for k in out), reverse=True)[:10]
        score = clamp(sum(cs) / len(cs) * 0.95 + gauss(0, 0.03), 0.05, 0.99)
        return (score, box, out), reasons, confs

    def ghost_people(self, t):
        rng, cam = self.rng, self.cam
        if rng.random() < self.ghost_rate / self.fps:
            w = rng.uniform(30, 200) * cam.W / 1280.0
            x, y = rng.uniform(0, cam.W - w), rng.uniform(0, cam.H - w)
            self.ghosts.append([t + rng.uniform(0.5, 2.0), (x, y, w)])
        out = []
        keep = []
        for g in self.ghosts:
            if g[0] < t:
                continue
            keep.append(g)
            x, y, w = g[1]
            kps = [[x + rng.uniform(0, w), y + rng.uniform(0, w * 1.6), rng.uniform(0.02, 0.4)] for _ in range(17)]
            for k in kps:
                k[0] = clamp(k[0], 0, cam.W - 1)
                k[1] = clamp(k[1], 0, cam.H - 1)
            box = (x, y, min(cam.W - 1, x + w), min(cam.H - 1, y + w * 1.6))
            out.append((rng.uniform(0.08, 0.35), box, kps))
        self.ghosts = keep
        return out


def format_person(score, box, kps):
    return ('{"box":[%.1f,%.1f,%.1f,%.1f],"score":%.3f,"keypoints":[' % (box[0], box[1], box[2], box[3], score)
            + ",".join("[%.1f,%.1f,%.3f]" % (k[0], k[1], k[2]) for k in kps) + "]}")


# =====================================================================================  7. truth
SLOUCH_DEG, SLOUCH_SINK, HOLD = 20.0, 0.2, 0.8


def machine(cond, dt, min_s, exit_s, hold=None, t_end=None):
    """The rule state machine of docs/rules.md on a per-frame condition: idle -> pending -> active -> clearing.
    Returns [(first seen, last seen or run end, closed_by_end)] as frame indices / times."""
    ev = []
    state, start, last = 0, 0, 0
    n = len(cond)
    for i in range(n):
        t = i * dt
        c = cond[i]
        h = hold[i] if hold is not None else c
        if state == 0:
            if c:
                state, start, last = 1, t, t
        elif state == 1:
            if c:
                last = t
                if t - start >= min_s:
                    state = 2
            else:
                state = 0
        elif state == 2:
            if h:
                last = t
            else:
                state = 3
        else:
            if h:
                state, last = 2, t
            elif t - last >= exit_s:
                ev.append((start, last, False))
                state = 0
    if state == 2:
        ev.append((start, t_end if t_end is not None else (n - 1) * dt, True))
    elif state == 3:
        ev.append((start, last, False))
    return ev


def majority(labels, i0, i1):
    cnt = {}
    for i in range(i0, i1 + 1):
        cnt[labels[i]] = cnt.get(labels[i], 0) + 1
    return max(cnt.items(), key=lambda kv: kv[1])[0] if cnt else ""


def runs(flags, dt, bridge_s):
    """Runs of True frames, bridging gaps of at most bridge_s. Returns [(i0, i1)]."""
    out = []
    i0 = None
    last = None
    for i, f in enumerate(flags):
        if f:
            if i0 is None:
                i0 = i
            elif (i - last) * dt > bridge_s + 1e-9:
                out.append((i0, last))
                i0 = i
            last = i
    if i0 is not None:
        out.append((i0, last))
    return out


def compute_truth(rec, dt, T, visits):
    """rec: per-frame records of the clerk and the people at the counter (see run_window)."""
    n = len(rec["present"])
    idx = lambda t: min(n - 1, max(0, int(round(t / dt))))
    events = []

    def frac(flag, i0, i1):
        m = i1 - i0 + 1
        return sum(1 for i in range(i0, i1 + 1) if flag[i]) / m if m > 0 else 0.0

    present, up, rest, ear = rec["present"], rec["up"], rec["rest"], rec["ear"]
    seated = [present[i] and not up[i] for i in range(n)]
    # absent
    cond = [not p for p in present]
    for (a, c, _) in machine(cond, dt, 120.0, 10.0, t_end=T):
        i0, i1 = idx(a), idx(c)
        events.append({"rule": "absent", "t0": a, "t1": c, "form": majority(rec["form"], i0, i1),
                       "ignore": frac(rec["covered"], i0, i1) > 0.5})
    # present but undetectable: an absence detected there is neither right nor wrong
    hid = [present[i] and rec["kept"][i] and not rec["detectable"][i] for i in range(n)]
    for (i0, i1) in runs(hid, dt, 8.0):
        if (i1 - i0) * dt >= 20.0:
            events.append({"rule": "absent", "t0": i0 * dt, "t1": i1 * dt, "form": "present_undetected:" + majority(rec["form"], i0, i1),
                           "ignore": True})
    # head on desk
    hd = [seated[i] and rest[i] and ear[i] <= 0.40 for i in range(n)]
    for (a, c, _) in machine(hd, dt, 30.0, 10.0, t_end=T):
        i0, i1 = idx(a), idx(c)
        events.append({"rule": "head_on_desk", "t0": a, "t1": c, "form": majority(rec["form"], i0, i1),
                       "ignore": frac(rec["sh_vis"], i0, i1) < 0.5})
    # slouching: held off while the head rests
    tr, nk, sk = rec["trunk"], rec["neck"], rec["sink"]
    sc = [seated[i] and not hd[i] and (tr[i] > SLOUCH_DEG or nk[i] > SLOUCH_DEG or sk[i] > SLOUCH_SINK) for i in range(n)]
    sh = [seated[i] and not hd[i] and (tr[i] > HOLD * SLOUCH_DEG or nk[i] > HOLD * SLOUCH_DEG or sk[i] > HOLD * SLOUCH_SINK) for i in range(n)]
    for (a, c, _) in machine(sc, dt, 30.0, 10.0, hold=sh, t_end=T):
        i0, i1 = idx(a), idx(c)
        pk = max(range(i0, i1 + 1), key=lambda i: max(tr[i] / SLOUCH_DEG, nk[i] / SLOUCH_DEG, sk[i] / SLOUCH_SINK))
        events.append({"rule": "slouching", "t0": a, "t1": c, "form": majority(rec["form"], i0, i1),
                       "ignore": frac(rec["sh_vis"], i0, i1) < 0.5,
                       "peak": {"trunk_deg": round(tr[pk], 1), "neck_deg": round(nk[pk], 1), "sink": round(sk[pk], 3)}})
    # crossed legs
    cl = [seated[i] and rec["crossed"][i] for i in range(n)]
    for (a, c, _) in machine(cl, dt, 30.0, 10.0, t_end=T):
        i0, i1 = idx(a), idx(c)
        events.append({"rule": "crossed_legs", "t0": a, "t1": c, "form": majority(rec["legform"], i0, i1),
                       "ignore": frac(rec["legs_vis"], i0, i1) < 0.5})
    # not standing to greet: stays of anyone at the counter, gaps under 10 s are the same stay
    occ = [len(x) > 0 for x in rec["at_counter"]]
    for (s0, s1) in runs(occ, dt, 10.0):
        ta = s0 * dt
        stood = False
        c0 = c1 = None
        for i in range(s0, s1 + 1):
            if up[i]:
                stood = True
            if not stood and seated[i] and occ[i] and i * dt >= ta + 3.0 - 1e-9:
                if c0 is None:
                    c0 = i
                c1 = i
            elif c0 is not None and (stood or not seated[i]):
                break
        if c0 is None or (c1 - c0) * dt < 20.0:
            continue
        # which visit
        label = "passer_by"
        for v in visits:
            if v.arrive - 6 <= ta <= v.leave + 6:
                label = v.label
                break
        w1 = min(c1, c0 + int(25.0 / dt))
        pids = set()
        for i in range(s0, s1 + 1):
            pids.update(rec["at_counter"][i])
        cit_vis = [any(p in rec["cit_vis"][i] for p in pids) for i in range(n)] if pids else [False] * n
        ign = frac(rec["sh_vis"], c0, w1) < 0.5 or frac(cit_vis, c0, w1) < 0.5
        events.append({"rule": "not_standing_to_greet", "t0": c0 * dt, "t1": c1 * dt, "form": label, "ignore": ign,
                       "arrived": round(ta, 1)})
    events.sort(key=lambda e: (e["t0"], e["rule"]))
    return events


# =====================================================================================  8. writer and command line
def ts_string(day, start_s, t):
    ms = int(round(t * 1000.0))
    tot = start_s * 1000 + ms
    h, rem = divmod(tot, 3600000)
    m, rem = divmod(rem, 60000)
    s, ms = divmod(rem, 1000)
    return "%sT%02d:%02d:%02d.%03d+08:00" % (day, h, m, s, ms)


def pick_day(rng, minutes):
    import datetime as _dt
    d0 = _dt.date(2026, 3, 2)
    while True:
        d = d0 + _dt.timedelta(days=rng.randrange(0, 290))
        if d.weekday() < 5:
            break
    lo, hi = 8 * 60 + 30, 17 * 60 + 30 - minutes
    if hi < lo:
        lo = hi = max(0, min(8 * 60, 24 * 60 - 1 - minutes))
    start_min = rng.randint(lo, hi)
    return d.isoformat(), start_min


def toml_poly(pts):
    return "[" + ", ".join("[%.4f, %.4f]" % (x, y) for x, y in pts) + "]"


def run_window(idx, seed, minutes, fps, out_root):
    rng = random.Random("indep-sim4/%d/%d" % (seed, idx))
    rday = random.Random("indep-sim4-day/%d/%d" % (seed, idx))
    T = minutes * 60.0
    dt = 1.0 / fps
    n = int(round(T * fps))
    st = draw_setup(rng)
    body, world, cam = st.body, st.world, st.cam
    sc = Scenario(rng, T, body, world, cam, st.staff_box, st.counter_box, st.staff_poly, st.counter_poly)
    det = Detector(rng, cam, world, T, fps)
    poser = sc.poser
    bt, bn, bshy, bhrel = poser.baseline
    sw = body.sw
    day, start_min = pick_day(rday, minutes)
    wid = "s4w%03d" % idx
    wdir = out_root / ("w%03d" % idx)
    wdir.mkdir(parents=True, exist_ok=True)
    ph = [rng.uniform(0, 2 * pi) for _ in range(8)]
    ctrack = Track(sc.segs)
    ltrack = LegTrack(sc.legsegs)
    others = [(role, pid, b, tr) for (role, pid, b, tr) in sc.others]
    ears_hidden = {}
    for s in sc.segs:
        if s.kind in ("head_down", "rest") and s.form == "folded_arms":
            ears_hidden[id(s)] = rng.random() < 0.5
    sbx = [q[0] for q in st.staff_poly]
    sby = [q[1] for q in st.staff_poly]
    sbox = (min(sbx), min(sby), max(sbx), max(sby))
    sarea = max(1.0, (sbox[2] - sbox[0]) * (sbox[3] - sbox[1]))
    cbox = st.counter_box
    rec = {k: [] for k in ("present", "up", "rest", "ear", "trunk", "neck", "sink", "crossed", "form", "legform", "kept",
                           "detectable", "sh_vis", "legs_vis", "covered", "at_counter", "cit_vis", "why")}
    start_s = start_min * 60
    head = '{"ts":"%s","window":"' + wid + '","source":"indep-sim4","frame":%d,"width":' + str(cam.W) + \
        ',"height":' + str(cam.H) + ',"model":"sim4-bottomup","people":[%s]}\n'
    frames_written = 0
    with open(wdir / "trace.jsonl", "w") as fo:
        for i in range(n):
            t = i * dt
            p, seg = ctrack.at(t)
            lf = seg.life
            p[SHR] += 0.004 * sin(2 * pi * t / 4.1 + ph[0])
            if lf > 0:
                p[THO] += lf * 0.012 * sin(2 * pi * t / 31.0 + ph[1])
                p[HY] += lf * (0.16 * sin(2 * pi * t / 17.0 + ph[2]) + 0.07 * sin(2 * pi * t / 5.3 + ph[3]))
                p[HP] += lf * 0.04 * sin(2 * pi * t / 11.0 + ph[4])
                p[LAT] += lf * 0.01 * sin(2 * pi * t / 23.0 + ph[5])
                if seg.form in ("typing", "mouse", "writing"):
                    p[LWX] += 0.012 * sin(7.3 * t + ph[6])
                    p[RWZ] += 0.012 * sin(6.1 * t + ph[7])
            legs, lseg = ltrack.at(t)
            kps, u = fk(body, p, legs, t)
            hidden = p[HID] > 0.5
            present = (not hidden) and st.staff_box.contains_xz(u["hc"])
            walking = p[GAI] > 0.5
            up = walking or p[STAND] >= 0.75
            tr, nk, shy, hrel = measures(body, u, p)
            sink = ((bshy - shy) - max(bhrel - hrel, -0.1 * sw)) / sw
            resting = p[REST] >= 0.999 and seg.kind in ("head_down", "rest")
            rec["present"].append(present)
            rec["up"].append(up)
            rec["rest"].append(present and resting)
            rec["ear"].append(u["E"][1] - world.top)
            rec["trunk"].append(tr - bt)
            rec["neck"].append(nk - bn)
            rec["sink"].append(sink)
            rec["crossed"].append(legs[1] is not None and legs[2] >= 0.5 and p[STAND] < 0.75 and not walking)
            rec["form"].append(seg.form)
            rec["legform"].append(lseg.form)
            # people in view
            people = []
            if not hidden:
                flags = {"unusual": seg.kind in ("head_down", "rest") or (seg.kind == "slouch" and seg.info["severity"] > 1.5),
                         "moving": walking or (t - seg.t0) < seg.tau,
                         "wrists_under_head": resting and seg.info.get("wrists_under_head", False),
                         "ears_under_arms": resting and ears_hidden.get(id(seg), False),
                         "seated": p[STAND] < 0.5 and not walking}
                if flags["seated"]:
                    f = u["f"]
                    g = []
                    for Hh in (u["Hl"], u["Hr"]):
                        g.append((Hh[0] + f[0] * body.thigh * 0.95, Hh[1] - 0.03, Hh[2] + f[2] * body.thigh * 0.95))
                    g.append((g[0][0] + f[0] * 0.05, body.ankle_h, g[0][2] + f[2] * 0.05))
                    g.append((g[1][0] + f[0] * 0.05, body.ankle_h, g[1][2] + f[2] * 0.05))
                    flags["legs_guess"] = g
                people.append(("clerk", "clerk", body, kps, u, flags))
            at_counter = []
            for (role, pid, b, track) in others:
                op, oseg = track.at(t)
                if op[HID] > 0.5:
                    continue
                ok_, ou = fk(b, op, (NEUTRAL_LEGS(b), None, 0.0), t)
                if role != "colleague" and cbox.contains_xz(ou["hc"]):
                    at_counter.append(pid)
                people.append((role, pid, b, ok_, ou, {"moving": op[GAI] > 0.5, "seated": op[STAND] < 0.5}))
            rec["at_counter"].append(at_counter)
            sil = det.silhouettes(people) if len(people) > 1 else {}
            cov = 0.0
            for (role, pid, b, k_, u_, fl) in people:
                if pid == "clerk" or pid not in sil:
                    continue
                for bx in sil[pid][:3]:
                    ix = min(sbox[2], bx[2]) - max(sbox[0], bx[0])
                    iy = min(sbox[3], bx[3]) - max(sbox[1], bx[1])
                    if ix > 0 and iy > 0:
                        cov += ix * iy / sarea
            rec["covered"].append(present and cov >= 0.5)
            kept = not det.dropped(t)
            rec["kept"].append(kept)
            detectable = sh_vis = legs_vis = False
            cit_vis = set()
            why = None
            if kept:
                outs = []
                for (role, pid, b, k_, u_, fl) in people:
                    blockers = []
                    for opid, (torso, lg, hd, dep) in sil.items():
                        if opid != pid:
                            blockers.append((torso, dep))
                            blockers.append((lg, dep))
                            blockers.append((hd, dep))
                    res, reasons, confs = det.person(pid, role, b, k_, u_, fl, blockers, t)
                    if pid == "clerk":
                        why = (res is not None, reasons)
                    if res is None:
                        continue
                    outs.append(res)
                    if pid == "clerk":
                        detectable = max(confs[5], confs[6]) >= 0.3
                        sh_vis = reasons[5] == VISIBLE and reasons[6] == VISIBLE
                        legs_vis = all(reasons[j] == VISIBLE for j in (13, 14, 15, 16))
                    elif (reasons[5] == VISIBLE and reasons[6] == VISIBLE) or sum(1 for j in (5, 6, 11, 12) if reasons[j] == VISIBLE) >= 3:
                        cit_vis.add(pid)
                outs.extend(det.ghost_people(t))
                outs.sort(key=lambda r: -r[0])
                fo.write(head % (ts_string(day, start_s, t), i, ",".join(format_person(*r) for r in outs)))
                frames_written += 1
            rec["detectable"].append(detectable)
            rec["sh_vis"].append(sh_vis)
            rec["legs_vis"].append(legs_vis)
            rec["cit_vis"].append(cit_vis)
            rec["why"].append(why)
    truth = compute_truth(rec, dt, T, sc.visits)
    LAST.clear()
    LAST.update(rec=rec, scenario=sc, setup=st, detector=det, truth=truth)
    # ---------------- files
    hh, mm = divmod(start_min, 60)
    eh, em = divmod(start_min + minutes, 60)
    day0 = "%sT%02d:%02d:00+08:00" % (day, hh, mm)
    with open(wdir / "truth.jsonl", "w") as f:
        for e in truth:
            e2 = {"rule": e["rule"], "start": ts_string(day, start_s, e["t0"]), "end": ts_string(day, start_s, e["t1"]),
                  "t0": round(e["t0"], 3), "t1": round(e["t1"], 3), "form": e["form"] or "?", "ignore": bool(e["ignore"])}
            for k in ("peak", "arrived"):
                if k in e:
                    e2[k] = e[k]
            f.write(json.dumps(e2, ensure_ascii=False) + "\n")
    lines = ['timezone = "Asia/Shanghai"', 'hall = "独立模拟四号 政务服务中心"', "", "[[window]]",
             'id = "%s"' % wid, 'name = "%d号窗口 (indep-sim4)"' % idx,
             "staff_zone = " + toml_poly(st.staff_zone), "counter_zone = " + toml_poly(st.counter_zone),
             "desk_y = %.4f" % st.desk_y]
    if st.cfg_tilt is not None:
        lines.append("camera_tilt_deg = %.1f" % st.cfg_tilt)
    lines.append('hours = ["%02d:%02d-%02d:%02d"]' % (hh, mm, eh, em))
    (wdir / "window.toml").write_text("\n".join(lines) + "\n")
    counts = {}
    for e in truth:
        k = e["rule"] + (":ignore" if e["ignore"] else "")
        counts[k] = counts.get(k, 0) + 1
    meta = {
        "generator": "indep-sim4", "seed": seed, "window_index": idx,
        "day": day, "start": "%02d:%02d:00+08:00" % (hh, mm), "minutes": minutes, "fps": fps,
        "camera": {"height": round(st.height, 3), "distance": round(st.distance, 3), "tilt_deg": round(cam.tilt_deg, 2),
                   "offset_x": round(st.offset_x, 3), "pan_deg": round(cam.pan_deg, 2), "roll_deg": round(cam.roll_deg, 2),
                   "hfov_deg": round(cam.hfov_deg, 2), "width": cam.W, "height_px": cam.H, "k1": round(cam.k1, 4),
                   "seated_shoulder_px": round(st.shoulder_px, 1), "configured_tilt_deg": st.cfg_tilt,
                   "placement_attempts": st.attempts,
                   "model": {"pos": [round(v, 6) for v in cam.pos], "pan_deg": round(cam.pan_deg, 6), "tilt_deg": round(cam.tilt_deg, 6),
                             "roll_deg": round(cam.roll_deg, 6), "hfov_deg": round(cam.hfov_deg, 6), "k1": round(cam.k1, 8)}},
        "body": body.describe(),
        "layout": dict(world.describe(), staff_box=st.staff_box.describe(), counter_box=st.counter_box.describe(),
                       desk_y=st.desk_y, staff_zone=st.staff_zone, counter_zone=st.counter_zone),
        "clerk": {"yaw0_deg": round(deg(sc.yaw0), 1), "d0": round(sc.d0, 3),
                  "habitual_deg": {k: round(deg(v), 1) for k, v in (("pelvis", poser.h[PEL]), ("lumbar", poser.h[LUM]),
                                                                   ("thoracic", poser.h[THO]), ("neck", poser.h[NEC]), ("head", poser.h[HP]))},
                  "baseline": {"trunk_deg": round(bt, 2), "neck_deg": round(bn, 2), "shoulder_y": round(bshy, 3), "face_above_shoulders": round(bhrel, 3)},
                  "chair_regimes": [[round(a, 1), round(c, 1), round(d, 3)] for a, c, d in sc.regimes]},
        "personality": {k: (round(v, 3) if isinstance(v, float) else ({kk: round(vv, 3) for kk, vv in v.items()} if isinstance(v, dict) else v))
                        for k, v in sc.pers.items()},
        "detector": det.describe(),
        "segments": [dict({"kind": s.kind, "form": s.form, "t0": round(s.t0, 2), "t1": round(s.t1, 2)},
                          **({"info": s.info} if s.info else {})) for s in sc.segs],
        "leg_segments": [{"form": s.form, "t0": round(s.t0, 2), "t1": round(s.t1, 2)} for s in sc.legsegs],
        "visits": [{"arrive": round(v.arrive, 1), "leave": round(v.leave, 1), "response": v.response, "label": v.label,
                    "stood_at": None if v.stand_at is None else round(v.stand_at, 1), "seated": v.seated,
                    "companion": v.companion} for v in sc.visits],
        "others": sorted({r for (r, _, _, _) in sc.others}),
        "frames": n, "frames_written": frames_written,
        "truth_counts": counts,
    }
    (wdir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return counts


_NEUTRAL = {}
LAST = {}          # the last window's records, for inspection from Python


def NEUTRAL_LEGS(b):
    lp = _NEUTRAL.get(id(b))
    if lp is None:
        lp = [0.02, b.thigh * 0.95, 0.02, b.thigh * 0.95, 0.1, 0.0]
        _NEUTRAL[id(b)] = lp
    return lp


def main():
    ap = argparse.ArgumentParser(description="indep-sim4: a blind seated-clerk keypoint simulator (for reporting only)")
    ap.add_argument("--windows", type=int, required=True)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=0, help="number of the first window (to split a long run)")
    a = ap.parse_args()
    if not 1 <= a.minutes <= 1400:
        sys.exit("--minutes must be 1..1400")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    total = {}
    for k in range(a.first, a.first + a.windows):
        c = run_window(k, a.seed, a.minutes, a.fps, out)
        for key, v in c.items():
            total[key] = total.get(key, 0) + v
        print("w%03d done (%.0f s)" % (k, time.time() - t0), file=sys.stderr)
    print("%d window(s) of %d min in %.1f s; truth events: %s" % (a.windows, a.minutes, time.time() - t0,
                                                                  json.dumps(dict(sorted(total.items())))))


if __name__ == "__main__":
    main()
