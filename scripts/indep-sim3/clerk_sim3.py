#!/usr/bin/env python3
"""Third independent seated-clerk keypoint simulator for Liyi (standard library only).

    python3 clerk_sim3.py --windows N --minutes M --seed S --out DIR [--fps 2]

For every window OUT/wNNN/ it writes trace.jsonl (COCO-17 keypoints per frame, as
`liyi replay` reads traces), window.toml (one [[window]] as an installer would draw
it, default thresholds), truth.jsonl (violations computed from the simulated 3-D pose
with the definitions of docs/rules.md) and meta.json (camera, body, layout, detector
and the behaviour timeline).  See README.md for the model and the truth definitions.

Layers (no circular dependencies, each only uses the ones above it):
    vec helpers -> Camera, Body (anthropometry + forward kinematics)
    -> Scenario (behaviour timeline as keyframe tracks; other people)
    -> Detector (imitation of a bottom-up / CenterNet-style pose model)
    -> Truth (rule definitions evaluated on the 3-D pose) -> writer / main.
"""

import argparse
import bisect
import json
import math
import os
import random
from datetime import date, datetime, timedelta, timezone

VERSION = "sim3-1.0"
TZ = timezone(timedelta(hours=8))
D2R = math.pi / 180.0
R2D = 180.0 / math.pi

# --------------------------------------------------------------------------- vectors
def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def mul(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a):
    n = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    return (a[0] / n, a[1] / n, a[2] / n) if n > 1e-12 else (0.0, 1.0, 0.0)


def lin(a, b, c, wa, wb, wc):
    return (a[0] * wa + b[0] * wb + c[0] * wc, a[1] * wa + b[1] * wb + c[1] * wc, a[2] * wa + b[2] * wb + c[2] * wc)


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


UP = (0.0, 1.0, 0.0)

# COCO-17 order (src/vision/person.rs)
NOSE, LEYE, REYE, LEAR, REAR, LSH, RSH, LEL, REL, LWR, RWR, LHIP, RHIP, LKN, RKN, LAN, RAN = range(17)
# 2 x COCO OKS sigmas: localisation spread of a pose model relative to sqrt(box area)
OKS = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089]
BASE_CONF = [0.92, 0.90, 0.90, 0.74, 0.74, 0.88, 0.88, 0.78, 0.78, 0.70, 0.70, 0.62, 0.62, 0.66, 0.66, 0.60, 0.60]
SMALL_JOINT = [1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]
PAIR = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def ik2(root, target, l1, l2, hint):
    """Two-link inverse kinematics: middle joint and reached end point."""
    d = sub(target, root)
    dist = math.sqrt(dot(d, d))
    if dist < 1e-6:
        d, dist = (0.0, -1.0, 0.0), 1e-6
    u = mul(d, 1.0 / dist)
    reach = l1 + l2 - 1e-4
    if dist > reach:
        target = add(root, mul(u, reach))
        dist = reach
    dist = max(dist, abs(l1 - l2) + 1e-4)
    a = (l1 * l1 - l2 * l2 + dist * dist) / (2 * dist)
    r = math.sqrt(max(0.0, l1 * l1 - a * a))
    hp = sub(hint, mul(u, dot(hint, u)))
    hp = norm(hp)
    mid = add(add(root, mul(u, a)), mul(hp, r))
    end = add(root, mul(u, dist))
    return mid, end


# --------------------------------------------------------------------------- camera
class Camera:
    """Pinhole camera with mild barrel distortion. World: y up, z from the clerk's seat
    towards the counter, x to the clerk's left; origin on the floor under the seat."""

    def __init__(self, pos, pan_deg, tilt_deg, hfov_deg, width, height, k1):
        self.pos, self.pan, self.tilt, self.hfov = pos, pan_deg, tilt_deg, hfov_deg
        self.W, self.H, self.k1 = width, height, k1
        p, t = pan_deg * D2R, tilt_deg * D2R
        self.fw = (math.cos(t) * math.sin(p), -math.sin(t), math.cos(t) * math.cos(p))
        self.right = norm(cross(self.fw, UP))
        self.down = cross(self.fw, self.right)
        self.f = (width / 2.0) / math.tan(hfov_deg * D2R / 2.0)
        self.rmax2 = ((width / 2.0) ** 2 + (height / 2.0) ** 2) / self.f ** 2 * 1.3

    def project(self, P):
        """(x_px, y_px, depth) or None when behind the camera."""
        vx, vy, vz = P[0] - self.pos[0], P[1] - self.pos[1], P[2] - self.pos[2]
        fw, r, d = self.fw, self.right, self.down
        zc = vx * fw[0] + vy * fw[1] + vz * fw[2]
        if zc < 0.05:
            return None
        u = (vx * r[0] + vy * r[1] + vz * r[2]) / zc
        w = (vx * d[0] + vy * d[1] + vz * d[2]) / zc
        r2 = min(u * u + w * w, self.rmax2)
        k = 1.0 + self.k1 * r2
        return (self.W * 0.5 + self.f * u * k, self.H * 0.5 + self.f * w * k, zc)

    def project_many(self, pts):
        """project() for a list of points, with the attribute look-ups hoisted."""
        px, py, pz = self.pos
        f0, f1, f2 = self.fw
        r0, r1, r2 = self.right
        d0, d1, d2 = self.down
        cx, cy, f, k1, rmax2 = self.W * 0.5, self.H * 0.5, self.f, self.k1, self.rmax2
        out = []
        for P in pts:
            vx, vy, vz = P[0] - px, P[1] - py, P[2] - pz
            zc = vx * f0 + vy * f1 + vz * f2
            if zc < 0.05:
                out.append(None)
                continue
            u = (vx * r0 + vy * r1 + vz * r2) / zc
            w = (vx * d0 + vy * d1 + vz * d2) / zc
            rr = u * u + w * w
            k = 1.0 + k1 * (rr if rr < rmax2 else rmax2)
            out.append((cx + f * u * k, cy + f * w * k, zc))
        return out

    def in_frame(self, q, margin=0.0):
        return q is not None and -margin <= q[0] <= self.W + margin and -margin <= q[1] <= self.H + margin


class Box:
    """An axis-aligned opaque box (desk top, modesty panel, counter, monitor)."""

    def __init__(self, name, lo, hi):
        self.name, self.lo, self.hi = name, lo, hi
        self.img = None  # image bounding rectangle, set by prepare()

    def prepare(self, cam):
        xs, ys = [], []
        for x in (self.lo[0], self.hi[0]):
            for y in (self.lo[1], self.hi[1]):
                for z in (self.lo[2], self.hi[2]):
                    q = cam.project((x, y, z))
                    if q is None:
                        self.img = (-1e9, -1e9, 1e9, 1e9)
                        return
                    xs.append(q[0])
                    ys.append(q[1])
        self.img = (min(xs), min(ys), max(xs), max(ys))

    def hits(self, o, p):
        """Does the segment o->p pass through the box (strictly before p)?"""
        t0, t1 = 0.0, 0.995
        for i in range(3):
            d = p[i] - o[i]
            if abs(d) < 1e-12:
                if o[i] < self.lo[i] or o[i] > self.hi[i]:
                    return False
                continue
            a, b = (self.lo[i] - o[i]) / d, (self.hi[i] - o[i]) / d
            if a > b:
                a, b = b, a
            if a > t0:
                t0 = a
            if b < t1:
                t1 = b
            if t0 > t1:
                return False
        return True


# --------------------------------------------------------------------------- body
# pose vector indices (clerk and other people)
PX, PY, PZ, YAW, LUM, THO, LAT, TWIST, PROT, ELL, ELR, QN, HYAW, HROLL = range(14)
WLX, WLY, WLZ, WRX, WRY, WRZ, HANGL, HANGR, SUPPORT, ELBOUT = range(14, 24)
NPOSE = 24
# leg vector (pelvis frame: lateral to the person's left, absolute height, forward)
NLEG = 13  # aL(3) aR(3) hintL(3) hintR(3) crossed


class Body:
    """Anthropometry drawn from stature and proportion factors; forward kinematics."""

    def __init__(self, rng, stature=None, kind="clerk"):
        S = stature if stature else rng.uniform(1.50, 1.95)
        self.S = S
        self.torso_f = clamp(rng.gauss(1.0, 0.055), 0.88, 1.12)       # sitting-height ratio
        self.neck_f = rng.uniform(0.78, 1.22)
        self.head_f = rng.uniform(0.88, 1.12)
        self.breadth_f = rng.uniform(0.86, 1.17)
        legf = 1.0 - 0.6 * (self.torso_f - 1.0)
        self.sw = 0.226 * S * self.breadth_f                           # shoulder keypoint spacing
        self.trunk = 0.290 * S * self.torso_f                          # hip joints -> shoulder line
        self.lumbar = self.trunk * rng.uniform(0.42, 0.50)
        self.thoracic = self.trunk - self.lumbar
        self.neck = 0.105 * S * self.neck_f                            # shoulder line -> ear
        self.hs = S / 1.70 * self.head_f                               # head scale
        self.uarm = 0.186 * S * rng.uniform(0.95, 1.05)
        self.farm = 0.146 * S * rng.uniform(0.95, 1.05)
        self.hipw = 0.054 * S * rng.uniform(0.9, 1.18)                 # half spacing of hip keypoints
        self.thigh = 0.245 * S * legf
        self.shank = 0.246 * S * legf
        self.ankle_h = 0.039 * S
        self.stand_hip = self.ankle_h + self.thigh + self.shank - 0.015
        # habitual posture
        self.lum0 = rng.uniform(-10.0, 5.0)
        self.tho0 = self.lum0 + rng.uniform(0.0, 14.0)
        self.neck0 = rng.uniform(0.0, 25.0)        # forward head carriage (neck line vs thorax)
        self.nod0 = rng.uniform(-6.0, 6.0)

    def fk(self, P, L):
        """3-D keypoints (17) and extras from a pose vector P and a leg vector L."""
        px, py, pz = P[PX], P[PY], P[PZ]
        yaw = P[YAW] * D2R
        pel = (px, py, pz)
        f_p = (math.sin(yaw), 0.0, math.cos(yaw))
        l_p = (math.cos(yaw), 0.0, -math.sin(yaw))
        yaw_u = yaw + P[TWIST] * D2R
        f_u = (math.sin(yaw_u), 0.0, math.cos(yaw_u))
        l_u = (math.cos(yaw_u), 0.0, -math.sin(yaw_u))
        lat = P[LAT] * D2R
        cl, sl = math.cos(lat), math.sin(lat)
        a = P[LUM] * D2R
        d1 = lin(UP, f_p, l_p, math.cos(a) * cl, math.sin(a), sl)
        a2 = P[THO] * D2R
        d2 = lin(UP, f_u, l_u, math.cos(a2) * cl, math.sin(a2), sl)
        mid = add(pel, mul(d1, self.lumbar))
        sc = add(mid, mul(d2, self.thoracic))
        # shoulder line: across the upper trunk, tilted by the lateral bend
        lsh = lin(l_u, UP, UP, cl, -sl, 0.0)
        half = self.sw * 0.5
        prot = mul(f_u, P[PROT])
        shL = add(add(add(sc, mul(lsh, half)), prot), (0.0, P[ELL], 0.0))
        shR = add(add(sub(sc, mul(lsh, half)), prot), (0.0, P[ELR], 0.0))
        scx = mul(add(shL, shR), 0.5)
        # neck line and head
        na = (P[THO] - self.tho0 + self.neck0 + 0.6 * P[QN]) * D2R
        dn = lin(UP, f_u, l_u, math.cos(na) * cl, math.sin(na), sl)
        H = add(add(scx, mul(f_u, -0.015)), mul(dn, self.neck))
        # head frame: yaw about up, pitch (face down +), roll
        hy = yaw_u + P[HYAW] * D2R
        hf0 = (math.sin(hy), 0.0, math.cos(hy))
        hl0 = (math.cos(hy), 0.0, -math.sin(hy))
        pitch = (P[THO] - self.tho0 + P[QN] + self.nod0) * D2R
        cp, sp = math.cos(pitch), math.sin(pitch)
        hf1 = lin(hf0, UP, UP, cp, -sp, 0.0)
        hu1 = lin(UP, hf0, hf0, cp, sp, 0.0)
        roll = P[HROLL] * D2R + lat
        cr, sr = math.cos(roll), math.sin(roll)
        hl = lin(hl0, hu1, hu1, cr, -sr, 0.0)
        hu = lin(hu1, hl0, hl0, cr, sr, 0.0)
        hf = hf1
        s = self.hs
        nose = lin(H, hf, hu, 1.0, 0.102 * s, 0.004 * s)
        eyeb = lin(H, hf, hu, 1.0, 0.085 * s, 0.030 * s)
        eL = add(eyeb, mul(hl, 0.032 * s))
        eR = add(eyeb, mul(hl, -0.032 * s))
        earL = add(H, mul(hl, 0.071 * s))
        earR = add(H, mul(hl, -0.071 * s))
        top = add(H, mul(hu, 0.125 * s))
        # arms
        reachL = self.uarm + self.farm
        hangL = P[HANGL]
        hangR = P[HANGR]
        eo = P[ELBOUT]
        tL = (P[WLX], P[WLY], P[WLZ])
        tR = (P[WRX], P[WRY], P[WRZ])
        if hangL > 0.0:
            hgL = add(shL, lin(UP, l_p, f_p, -0.93 * reachL, 0.06, 0.05))
            tL = lin(tL, hgL, hgL, 1.0 - hangL, hangL, 0.0)
        if hangR > 0.0:
            hgR = add(shR, lin(UP, l_p, f_p, -0.93 * reachL, -0.06, 0.05))
            tR = lin(tR, hgR, hgR, 1.0 - hangR, hangR, 0.0)
        elL, wrL = ik2(shL, tL, self.uarm, self.farm, lin(UP, l_u, f_u, -1.0, eo, -0.2))
        elR, wrR = ik2(shR, tR, self.uarm, self.farm, lin(UP, l_u, f_u, -1.0, -eo, -0.2))
        # legs (pelvis frame targets)
        hipL = add(pel, mul(l_p, self.hipw))
        hipR = add(pel, mul(l_p, -self.hipw))
        aL = (px + l_p[0] * L[0] + f_p[0] * L[2], L[1], pz + l_p[2] * L[0] + f_p[2] * L[2])
        aR = (px + l_p[0] * L[3] + f_p[0] * L[5], L[4], pz + l_p[2] * L[3] + f_p[2] * L[5])
        hL = lin(l_p, UP, f_p, L[6], L[7], L[8])
        hR = lin(l_p, UP, f_p, L[9], L[10], L[11])
        knL, anL = ik2(hipL, aL, self.thigh, self.shank, hL)
        knR, anR = ik2(hipR, aR, self.thigh, self.shank, hR)
        kps = [nose, eL, eR, earL, earR, shL, shR, elL, elR, wrL, wrR, hipL, hipR, knL, knR, anL, anR]
        return kps, {"H": H, "top": top, "sc": scx, "mid": mid, "pel": pel, "hf": hf, "hu": hu, "hl": hl,
                     "f_p": f_p, "l_p": l_p, "f_u": f_u, "l_u": l_u, "tho_dir": d2}


# --------------------------------------------------------------------------- scenario
def smooth(x):
    return x * x * (3.0 - 2.0 * x)


class Track:
    """Piecewise smooth interpolation between keyframes (t, vector)."""

    def __init__(self):
        self.t, self.v = [], []

    def key(self, t, v):
        if self.t and t < self.t[-1]:
            t = self.t[-1]
        if self.t and t == self.t[-1]:
            self.v[-1] = list(v)
            return
        self.t.append(t)
        self.v.append(list(v))

    def at(self, t):
        i = bisect.bisect_right(self.t, t)
        if i == 0:
            return list(self.v[0])
        if i >= len(self.t):
            return list(self.v[-1])
        t0, t1 = self.t[i - 1], self.t[i]
        a = smooth((t - t0) / (t1 - t0))
        v0, v1 = self.v[i - 1], self.v[i]
        b = 1.0 - a
        return [x * b + y * a for x, y in zip(v0, v1)]


class Segments:
    """Labelled intervals (kind, form) covering a layer of the timeline, for lookup."""

    def __init__(self):
        self.items = []

    def add(self, kind, form, t0, t1, **extra):
        if t1 > t0:
            d = {"kind": kind, "form": form, "t0": round(t0, 2), "t1": round(t1, 2)}
            d.update(extra)
            self.items.append(d)

    def index_at(self, t, hint=0):
        it = self.items
        i = min(hint, len(it) - 1)
        while i > 0 and t < it[i]["t0"]:
            i -= 1
        while i < len(it) - 1 and t >= it[i]["t1"]:
            i += 1
        return i


def lognorm(rng, median, sigma, lo, hi):
    return clamp(median * math.exp(rng.gauss(0.0, sigma)), lo, hi)


class World:
    """The window's furniture and the clerk's habitual setting (no camera)."""

    def __init__(self, rng, body):
        self.desk_h = rng.uniform(0.70, 0.80)
        self.sit_back = rng.random() < 0.25                     # chair kept back from the desk
        self.edge = rng.uniform(0.40, 0.52) if self.sit_back else rng.uniform(0.22, 0.38)   # desk's clerk-side edge (z)
        self.depth = rng.uniform(0.60, 0.80)
        self.far = self.edge + self.depth
        # side desk: an L-shaped workstation, the desk beside the clerk rather than between
        # the clerk and the counter, so the legs can be seen from the front
        self.side_desk = rng.random() < 0.3
        self.side = rng.choice([-1, 1])
        if self.side_desk:
            self.desk_w = rng.uniform(0.9, 1.2)
            self.desk_x0 = self.side * (rng.uniform(0.18, 0.28) + self.desk_w / 2)
            self.edge = rng.uniform(0.0, 0.15)
            self.depth = rng.uniform(0.6, 0.75)
            self.far = self.edge + self.depth
        else:
            self.desk_x0 = rng.uniform(-0.15, 0.15)
            self.desk_w = rng.uniform(1.2, 1.6)
        self.panel = rng.choices(["closed", "modesty", "open"], [0.5, 0.25, 0.25])[0]
        self.raised = rng.random() < 0.5 and not self.side_desk  # citizen-side raised counter
        self.counter_h = rng.uniform(1.00, 1.15)
        self.counter_d = rng.uniform(0.25, 0.40)
        self.glass = rng.random() < 0.6
        self.seat_h = clamp(0.25 * body.S + rng.uniform(-0.03, 0.06), 0.40, 0.56)
        self.hip_y = self.seat_h + 0.08 * body.S / 1.7
        self.yaw0 = self.side * rng.uniform(20.0, 30.0) if self.side_desk else rng.uniform(-30.0, 30.0)  # clerk's habitual turn
        self.monitor = rng.choices(["front", "side", "none"], [0.40, 0.45, 0.15])[0]
        facing = math.sin(self.yaw0 * D2R)
        if self.side_desk:
            self.monitor = "side" if self.monitor == "front" else self.monitor
            self.mon_x = self.desk_x0 + self.side * 0.1
        elif self.monitor == "front":
            self.mon_x = facing * 0.5 + rng.uniform(-0.1, 0.1)
        else:
            self.mon_x = rng.choice([-1, 1]) * rng.uniform(0.35, 0.6)
        self.mon_w = rng.uniform(0.45, 0.62)
        self.mon_h = rng.uniform(0.28, 0.38)
        self.mon_lift = rng.uniform(0.06, 0.14)
        self.mon_z = self.edge + rng.uniform(0.35, 0.5)
        if self.side_desk:
            self.kb = (self.desk_x0 - self.side * (self.desk_w / 2 - 0.22), self.desk_h + 0.03, self.edge + rng.uniform(0.15, 0.25))
        else:
            self.kb = (facing * 0.35 * 0.6, self.desk_h + 0.03, self.edge + rng.uniform(0.12, 0.25))
        self.citizen_z0 = self.far + (self.counter_d if self.raised else 0.0)
        # 3-D areas used by the truth
        self.staff_area = (-0.75, 0.75, -0.9, self.edge + 0.2)
        self.counter_area = (-0.95, 0.95, self.citizen_z0, self.citizen_z0 + 0.85)

    def occluders(self):
        x0, x1 = self.desk_x0 - self.desk_w / 2, self.desk_x0 + self.desk_w / 2
        boxes = [Box("desk", (x0, self.desk_h - 0.035, self.edge), (x1, self.desk_h, self.far))]
        if self.panel == "closed":
            boxes.append(Box("panel", (x0, 0.05, self.far - 0.025), (x1, self.desk_h, self.far)))
        elif self.panel == "modesty":
            boxes.append(Box("panel", (x0, self.desk_h - 0.40, self.far - 0.025), (x1, self.desk_h, self.far)))
        if self.raised:
            boxes.append(Box("counter", (x0 - 0.3, 0.0, self.far), (x1 + 0.3, self.counter_h, self.citizen_z0)))
        if self.monitor != "none":
            y0 = self.desk_h + self.mon_lift
            boxes.append(Box("monitor", (self.mon_x - self.mon_w / 2, y0, self.mon_z), (self.mon_x + self.mon_w / 2, y0 + self.mon_h, self.mon_z + 0.06)))
        return boxes


LEG_FORMS = ("neutral", "tucked", "extended", "ankles_crossed", "crossed_knee_L", "crossed_knee_R", "figure_four_L", "figure_four_R")
CROSSED = {"crossed_knee_L", "crossed_knee_R", "figure_four_L", "figure_four_R"}


class ClerkScenario:
    """The clerk's behaviour over the run: a keyframe track for the body and one for the legs,
    the labelled segments, and the citizens' visits."""

    def __init__(self, rng, body, world, T):
        self.rng, self.b, self.w, self.T = rng, body, world, T
        self.track = Track()
        self.legs = Track()
        self.segs = Segments()
        self.legsegs = Segments()
        self.wiggles = []          # (t0, t1, idx, amp, omega, phase)
        self.visits = []
        self.personality()
        self.neutral = self.pose_neutral()
        self.leg_neutral = self.leg_vector("neutral")
        self.build()

    # ---- personality
    def personality(self):
        r = self.rng
        self.rate_slouch = r.choice([0.0, 0.5, 1.0, 2.0, 3.0, 4.5])          # episodes per hour
        self.rate_head = r.choice([0.0, 0.0, 0.4, 0.8, 1.2, 2.0])
        self.rate_brief_rest = r.choice([0.0, 0.5, 1.5, 3.0])
        self.rate_absent = r.choice([0.0, 0.4, 0.8, 1.5])
        self.rate_errand = r.choice([0.0, 1.0, 2.0, 4.0])
        self.rate_citizen = r.uniform(2.0, 14.0)
        self.leg_habit = r.choice([0.0, 0.0, 1.0, 2.0, 3.5])                  # crossed episodes per hour
        self.rate_ankles = r.choice([0.0, 1.0, 2.0])
        self.p_prompt = r.uniform(0.5, 0.97)
        self.fidget = r.uniform(0.5, 1.5)
        self.slouch_depth = r.uniform(0.7, 1.3)

    # ---- poses
    def pose_neutral(self):
        b, w = self.b, self.w
        P = [0.0] * NPOSE
        P[PX], P[PY], P[PZ], P[YAW] = 0.0, w.hip_y, 0.0, w.yaw0
        P[LUM], P[THO] = b.lum0, b.tho0
        kx, ky, kz = w.kb
        fx = math.cos(w.yaw0 * D2R)
        P[WLX], P[WLY], P[WLZ] = kx + 0.15 * fx, ky, kz
        P[WRX], P[WRY], P[WRZ] = kx - 0.15 * fx, ky, kz
        P[HYAW] = clamp((math.atan2(w.mon_x, w.mon_z) * R2D - w.yaw0) * 0.7, -35, 35)
        P[ELBOUT] = 0.4
        return P

    def rel(self, **kw):
        P = list(self.neutral)
        for k, v in kw.items():
            P[globals()[k]] = v
        return P

    def on_desk(self, side, dx, dz, lift=0.04):
        """A wrist target on the desk in front of the clerk: side +1 left, -1 right."""
        w = self.w
        fx = math.cos(w.yaw0 * D2R)
        return (w.kb[0] + side * dx * fx, w.desk_h + lift, w.edge + dz)

    def set_w(self, P, side, p):
        i = WLX if side > 0 else WRX
        P[i], P[i + 1], P[i + 2] = p

    def form_pose(self, kind, form):
        """Target pose and wiggles for a behaviour form."""
        r, b, w, N = self.rng, self.b, self.w, self.neutral
        P = list(N)
        wig = [(THO, 0.6, 2 * math.pi / r.uniform(3.5, 5.0)),       # breathing
               (YAW, 2.0 * self.fidget, 2 * math.pi / r.uniform(20, 60)),
               (LAT, 1.2 * self.fidget, 2 * math.pi / r.uniform(15, 45)),
               (HYAW, 6.0 * self.fidget, 2 * math.pi / r.uniform(6, 25)),
               (QN, 3.0 * self.fidget, 2 * math.pi / r.uniform(5, 20))]
        side = r.choice([-1, 1])
        dsd = self.slouch_depth
        if kind == "upright":
            if form == "typing":
                P[THO] += r.uniform(-2, 5)
                P[LUM] += r.uniform(-2, 3)
                P[QN] += r.uniform(0, 9)
                wig += [(WLY, 0.012, 2 * math.pi * 2.7), (WRY, 0.012, 2 * math.pi * 3.1)]
            elif form == "mouse_screen":
                P[THO] += r.uniform(-3, 4)
                P[QN] += r.uniform(-3, 6)
                self.set_w(P, -1, self.on_desk(-1, 0.32, 0.18, 0.03))
                self.set_w(P, 1, self.on_desk(1, 0.2, 0.05, 0.0))
            elif form == "writing":
                d = r.uniform(4, 13)
                P[THO] += d
                P[LUM] += d * r.uniform(0.3, 0.8)
                P[QN] += r.uniform(5, 15)
                P[HYAW] = r.uniform(-8, 8)
                self.set_w(P, side, self.on_desk(side, 0.05, r.uniform(0.18, 0.3), 0.02))
                self.set_w(P, -side, self.on_desk(-side, 0.2, r.uniform(0.15, 0.3), 0.02))
                wig += [(WLX if side > 0 else WRX, 0.02, 2 * math.pi * 0.7)]
            elif form == "talking":
                P[THO] += r.uniform(-4, 4)
                P[QN] += r.uniform(-6, 3)
                P[HYAW] = clamp(-w.yaw0 + r.uniform(-10, 10), -40, 40)
                self.set_w(P, side, self.on_desk(side, 0.1, r.uniform(0.25, 0.45), r.uniform(0.02, 0.25)))
                wig += [(WLY if side > 0 else WRY, 0.05, 2 * math.pi * 0.3), (HYAW, 5.0, 2 * math.pi / 4.0)]
            elif form == "leaning_back":
                d = r.uniform(8, 20)
                P[LUM] -= d
                P[THO] -= d * r.uniform(0.7, 1.0)
                P[QN] += d * r.uniform(0.3, 0.7)
                if r.random() < 0.4:
                    P[HANGL] = P[HANGR] = 0.8
                else:
                    self.set_w(P, side, self.on_desk(side, 0.25, 0.1, 0.03))
            elif form == "look_down_doc":
                P[THO] += r.uniform(0, 8)
                self.set_w(P, side, self.on_desk(side, 0.1, 0.25, 0.02))
                self.set_w(P, -side, self.on_desk(-side, 0.15, 0.3, 0.02))
            elif form == "reaching":
                d = r.uniform(18, 40)
                P[LUM] += d * 0.6
                P[THO] += d
                P[TWIST] = side * r.uniform(10, 35)
                P[LAT] = side * r.uniform(0, 12)
                self.set_w(P, side, (side * r.uniform(0.5, 0.8), w.desk_h + r.uniform(-0.3, 0.1), w.edge + r.uniform(0.0, 0.4)))
            elif form == "turning_to_talk":
                P[TWIST] = side * r.uniform(15, 40)
                P[HYAW] = side * r.uniform(20, 50)
                P[QN] += r.uniform(-5, 5)
                P[HANGL if side > 0 else HANGR] = 0.6
            elif form == "chin_on_hand":
                P[THO] += r.uniform(4, 12)
                P[LUM] += r.uniform(0, 5)
                P[LAT] = side * r.uniform(2, 8)
                P[QN] += r.uniform(0, 12)
                P[HROLL] = side * r.uniform(0, 10)
                P[ELBOUT] = 0.1
                self.chin_hand = side
            elif form == "stretching":
                P[LUM] -= 6
                P[THO] -= 10
                P[QN] -= 10
                for sd in (1, -1):
                    self.set_w(P, sd, (sd * 0.2, w.hip_y + b.trunk + b.uarm + b.farm - 0.05, 0.0))
            elif form == "drinking":
                P[QN] -= 15
                self.set_w(P, side, (side * 0.05, w.hip_y + b.trunk + b.neck * 0.7, 0.15))
                P[ELBOUT] = 0.2
        elif kind == "slouch":
            if form == "rounded_back":
                d = r.uniform(26, 48) * dsd
                P[THO] += d
                P[LUM] += r.uniform(2, 12)
                P[PROT] = r.uniform(0.02, 0.05)
                P[QN] += -d * r.uniform(0.3, 0.8) if r.random() < 0.5 else r.uniform(0, 12)
            elif form == "forward_lean":
                d = r.uniform(20, 38) * dsd
                P[LUM] += d
                P[THO] += d * r.uniform(0.9, 1.2)
                P[QN] += r.uniform(-12, 12)
                self.set_w(P, 1, self.on_desk(1, 0.18, r.uniform(0.35, 0.5), 0.03))
                self.set_w(P, -1, self.on_desk(-1, 0.18, r.uniform(0.35, 0.5), 0.03))
                P[ELBOUT] = 0.9
            elif form == "slid_down":
                P[PZ] += r.uniform(0.10, 0.24)
                P[PY] -= r.uniform(0.05, 0.12) * dsd
                P[LUM] = b.lum0 - r.uniform(22, 45)
                P[THO] = P[LUM] + r.uniform(15, 35)
                P[QN] += -(P[THO] - b.tho0) + r.uniform(-5, 12)
                if r.random() < 0.5:
                    P[HANGL] = P[HANGR] = 0.5
                else:
                    self.set_w(P, side, self.on_desk(side, 0.2, 0.12, 0.03))
            elif form == "leaning_on_elbow":
                P[LAT] = side * r.uniform(8, 20)
                d = r.uniform(18, 32) * dsd
                P[THO] += d
                P[LUM] += d * 0.6
                P[ELL if side < 0 else ELR] = r.uniform(0.01, 0.04)
                P[QN] += r.uniform(0, 18)
                P[HROLL] = side * r.uniform(5, 20)
                self.set_w(P, side, self.on_desk(side, 0.05, 0.25, r.uniform(0.2, 0.35)))
                P[ELBOUT] = 0.2
            elif form == "neck_down_reading":
                P[QN] += r.uniform(24, 45)
                P[THO] += r.uniform(0, 9)
                if r.random() < 0.5:
                    for sd in (1, -1):
                        self.set_w(P, sd, (sd * 0.08 + w.kb[0], w.seat_h + 0.25, 0.25))
                else:
                    self.set_w(P, side, self.on_desk(side, 0.1, 0.25, 0.02))
            wig[0] = (THO, 0.8, wig[0][2])
        return P, wig

    def head_down_pose(self, form):
        """Head resting on the desk: solve the trunk and neck so the head sits on its support."""
        r, b, w = self.rng, self.b, self.w
        P = list(self.neutral)
        P[PZ] = r.uniform(0.0, 0.1)
        P[SUPPORT] = 1.0
        side = r.choice([-1, 1])
        if form == "folded_arms":
            target, trunk = w.desk_h + r.uniform(0.15, 0.20), r.uniform(45, 65)
        elif form == "one_arm":
            target, trunk = w.desk_h + r.uniform(0.12, 0.17), r.uniform(42, 62)
            P[HROLL] = side * r.uniform(55, 80)
        elif form == "propped_hand":
            target, trunk = w.desk_h + r.uniform(0.17, 0.27), r.uniform(40, 55)
            P[HROLL] = side * r.uniform(0, 20)
        else:  # forehead_on_desk
            target, trunk = w.desk_h + r.uniform(0.09, 0.115), r.uniform(55, 70)
        kyph = r.uniform(5, 20)
        qlo, qhi = (-15.0, 60.0) if form == "propped_hand" else (15.0, 75.0)
        for _ in range(16):
            P[THO] = trunk + kyph * 0.5
            P[LUM] = trunk - kyph * 0.5
            lo, hi = -30.0, 130.0
            for _ in range(20):
                m = 0.5 * (lo + hi)
                P[QN] = m
                _, ex = b.fk(P, self.leg_neutral)
                if ex["H"][1] > target:
                    lo = m
                else:
                    hi = m
            P[QN] = 0.5 * (lo + hi)
            if P[QN] < qlo and trunk > 38:
                trunk -= 3.0        # more neck flexion: the back bends less for the same head height
            elif P[QN] > qhi and trunk < 75:
                trunk += 3.0
            else:
                break
        kps, ex = b.fk(P, self.leg_neutral)
        H, hu = ex["H"], ex["hu"]
        if H[2] < w.edge + 0.08:                       # pull the chair in so the head is over the desk
            P[PZ] += w.edge + 0.08 - H[2]
        kps, ex = b.fk(P, self.leg_neutral)
        H = ex["H"]
        fx = math.cos(w.yaw0 * D2R)
        if form == "folded_arms":
            self.set_w(P, 1, (H[0] - 0.11 * fx, w.desk_h + 0.05, H[2] + 0.02))
            self.set_w(P, -1, (H[0] + 0.11 * fx, w.desk_h + 0.05, H[2] + 0.05))
            P[ELBOUT] = 1.0
        elif form == "one_arm":
            self.set_w(P, side, (H[0] - side * 0.12 * fx, w.desk_h + 0.05, H[2] + 0.03))
            if r.random() < 0.5:
                P[HANGL if side < 0 else HANGR] = 0.9
            else:
                self.set_w(P, -side, self.on_desk(-side, 0.3, 0.25, 0.03))
            P[ELBOUT] = 1.0
        elif form == "propped_hand":
            self.set_w(P, side, (H[0] + side * 0.04, H[1] - 0.10, H[2] + 0.05))
            self.set_w(P, -side, self.on_desk(-side, 0.2, 0.2, 0.03))
            P[ELBOUT] = 0.0
        else:
            if r.random() < 0.5:
                P[HANGL] = P[HANGR] = 0.9
            else:
                self.set_w(P, 1, (H[0] + 0.25, w.desk_h + 0.04, H[2]))
                self.set_w(P, -1, (H[0] - 0.25, w.desk_h + 0.04, H[2]))
        return P

    def standing_pose(self):
        r, b, w = self.rng, self.b, self.w
        P = list(self.neutral)
        P[PY] = b.stand_hip
        P[PZ] = r.uniform(-0.05, 0.12)
        P[LUM], P[THO] = b.lum0 * 0.3 + r.uniform(-3, 3), b.tho0 * 0.3 + r.uniform(-2, 6)
        P[QN] = r.uniform(-4, 10)
        P[HYAW] = -w.yaw0 * 0.8
        P[HANGL] = P[HANGR] = r.uniform(0.7, 1.0)
        return P

    def leg_vector(self, form):
        r, b, w = self.rng, self.b, self.w
        s = b.S / 1.7
        ah = b.ankle_h
        hw = b.hipw
        L = [hw + 0.02, ah, 0.50 * s, -hw - 0.02, ah, 0.50 * s, 0.1, 1.0, 0.6, -0.1, 1.0, 0.6, 0.0]
        if form == "neutral":
            L[2] = L[5] = r.uniform(0.42, 0.55) * s
            L[0] += r.uniform(0, 0.08)
            L[3] -= r.uniform(0, 0.08)
        elif form == "tucked":
            L[2] = L[5] = r.uniform(0.22, 0.32) * s
            L[1] = L[4] = ah + 0.03
        elif form == "extended":
            L[2] = L[5] = r.uniform(0.62, 0.72) * s
        elif form == "ankles_crossed":
            fwd = r.uniform(0.55, 0.68) * s
            L[0], L[3] = -0.03, 0.03
            L[2] = L[5] = fwd
        elif form.startswith("crossed_knee"):
            sd = 1 if form.endswith("L") else -1          # the crossing leg: L over R or R over L
            i = 0 if sd > 0 else 3
            j = 6 if sd > 0 else 9
            L[i] = -sd * r.uniform(0.12, 0.24)               # ankle across the other shin
            L[i + 1] = r.uniform(0.18, 0.34)
            L[i + 2] = r.uniform(0.55, 0.68) * s
            L[j], L[j + 1], L[j + 2] = -sd * 0.5, 0.8, 0.35
            k = 3 if sd > 0 else 0
            L[k] = -sd * (hw + r.uniform(0.0, 0.05))
            L[k + 2] = r.uniform(0.45, 0.55) * s
            L[12] = 1.0
        elif form.startswith("figure_four"):
            sd = 1 if form.endswith("L") else -1
            i = 0 if sd > 0 else 3
            j = 6 if sd > 0 else 9
            other_knee_fwd = b.thigh * 0.95
            L[i] = -sd * (hw - 0.02)
            L[i + 1] = w.hip_y + 0.07
            L[i + 2] = other_knee_fwd
            L[j], L[j + 1], L[j + 2] = sd * 1.0, 0.6, 0.3
            L[12] = 1.0
        return L

    def standing_legs(self):
        b = self.b
        return [b.hipw, b.ankle_h, 0.03, -b.hipw, b.ankle_h, 0.03, 0.0, 0.3, 1.0, 0.0, 0.3, 1.0, 0.0]

    # ---- timeline
    def build(self):
        r, T = self.rng, self.T
        warm = min(420.0, 0.35 * T)
        # citizens' visits (arrival at the counter spot, departure)
        visits = []
        t = r.expovariate(self.rate_citizen / 3600.0)
        while t < T - 10:
            dur = lognorm(r, 150.0, 0.7, 15.0, 900.0)
            visits.append([t, min(t + dur, T + 30.0)])
            t = t + dur + 6.0 + r.expovariate(self.rate_citizen / 3600.0)
        # episodes (non-work behaviour)
        eps = []
        for kind, rate, med, sg, lo, hi in (("slouch", self.rate_slouch, 150, 0.8, 20, 900),
                                              ("head_on_desk", self.rate_head, 300, 0.7, 40, 1200),
                                              ("brief_rest", self.rate_brief_rest, 15, 0.3, 6, 24),
                                              ("absent", self.rate_absent, 420, 0.6, 150, 1500),
                                              ("errand", self.rate_errand, 45, 0.5, 12, 100)):
            if rate <= 0:
                continue
            t = warm + r.expovariate(rate / 3600.0)
            while t < T:
                eps.append([t, t + lognorm(r, med, sg, lo, hi), kind])
                t = eps[-1][1] + r.expovariate(rate / 3600.0)
        eps.sort()
        kept = []
        for e in eps:
            if kept and e[0] < kept[-1][1] + 20:
                continue
            kept.append(e)
        # visits interrupt episodes (the clerk serves), unless asleep / away
        vi = 0
        for e in kept:
            for v in visits:
                if e[0] < v[0] < e[1]:
                    ignore_it = (e[2] in ("head_on_desk", "absent") and r.random() < 0.35)
                    if not ignore_it:
                        e[1] = max(e[0] + 5.0, v[0] - r.uniform(0.0, 2.0))
                    break
        # drop episodes that start inside a visit except with some chance (slouching while serving)
        final = []
        for e in kept:
            inside = any(v[0] - 5 < e[0] < v[1] for v in visits)
            if inside and not (e[2] == "slouch" and r.random() < 0.3):
                continue
            if e[1] - e[0] >= 4:
                final.append(e)
        self.visits_raw = visits
        # build the timeline
        t = 0.0
        self.cur = list(self.neutral)
        self.track.key(0.0, self.neutral)
        self.legstate = "neutral"
        self.legs.key(0.0, self.leg_neutral)
        self.stand_times = []
        ei = 0
        while t < T - 0.01:
            nxt_ep = final[ei] if ei < len(final) else None
            in_visit = next((v for v in visits if v[0] <= t + 1e-6 < v[1]), None)
            nxt_visit = next((v for v in visits if v[0] > t + 1e-6), None)
            if nxt_ep and nxt_ep[0] <= t + 1e-6:
                t = self.episode(nxt_ep, t)
                ei += 1
                continue
            limit = T
            if nxt_ep:
                limit = min(limit, nxt_ep[0])
            if nxt_visit:
                limit = min(limit, nxt_visit[0])
            if in_visit:
                limit = min(limit, in_visit[1])
                if len(in_visit) == 2 and t > in_visit[0] + 1e-3 and in_visit[1] - t > 5.0 and abs(self.cur[PY] - self.w.hip_y) < 0.05:
                    # the citizen came while the clerk was busy with something else: the reaction starts now
                    t = self.greet(in_visit, t, limit)
                    in_visit[2] = "after_" + in_visit[2]
                    continue
            if (nxt_visit and abs(nxt_visit[0] - t) < 1e-6) or (in_visit and abs(in_visit[0] - t) < 1e-6):
                v = in_visit or nxt_visit
                t = self.greet(v, t, limit)
                continue
            t = self.work(t, limit, serving=in_visit is not None, warm=t < warm)
        self.leg_timeline(warm)

    def hold(self, kind, form, t0, t1, P, wig, trans=1.5, **extra):
        self.track.key(t0 + min(trans, max(0.2, (t1 - t0) * 0.5)), P)
        self.track.key(t1, P)
        for idx, amp, om in wig:
            self.wiggles.append((t0, t1, idx, amp, om, self.rng.uniform(0, 2 * math.pi)))
        self.segs.add(kind, form, t0, t1, **extra)
        self.cur = P

    def work(self, t, limit, serving, warm):
        r = self.rng
        if serving:
            forms, wts = ["talking", "typing", "writing", "mouse_screen", "look_down_doc"], [4, 4, 2, 2, 1]
        else:
            forms = ["typing", "mouse_screen", "writing", "leaning_back", "look_down_doc", "reaching",
                     "turning_to_talk", "chin_on_hand", "stretching", "drinking"]
            wts = [6, 5, 2.5, 1.5, 1.5, 0.8, 0.8, 0.8, 0.2, 0.4]
        form = r.choices(forms, wts)[0]
        dur = {"typing": (30, 300), "mouse_screen": (30, 300), "writing": (20, 150), "talking": (15, 200),
               "leaning_back": (20, 180), "look_down_doc": (40, 180), "reaching": (4, 12),
               "turning_to_talk": (5, 60), "chin_on_hand": (20, 120), "stretching": (4, 10), "drinking": (5, 15)}[form]
        t1 = min(limit, t + r.uniform(*dur))
        if t1 - t < 0.5:
            t1 = min(self.T, t + 0.5)
        self.chin_hand = 0
        P, wig = self.form_pose("upright", form)
        if form == "chin_on_hand":
            # hand under the chin, the elbow on the desk
            _, ex = self.b.fk(P, self.leg_neutral)
            H = ex["H"]
            self.set_w(P, self.chin_hand, (H[0] + self.chin_hand * 0.03, H[1] - 0.11, H[2] + 0.05))
        if form == "look_down_doc":
            # glances down at the document (each under 25 s) and up again
            base = list(P)
            self.track.key(t + 1.0, base)
            tt = t + 1.0
            down = False
            while tt < t1 - 1.0:
                if down:
                    d = r.uniform(3, 10)
                    Q = base
                else:
                    d = r.uniform(4, 20)
                    Q = list(base)
                    Q[QN] += r.uniform(18, 34)
                    Q[THO] += r.uniform(0, 5)
                down = not down
                te = min(t1 - 1.0, tt + d)
                self.track.key(min(tt + 1.0, te), Q)
                self.track.key(te, Q)
                tt = te
            self.track.key(t1, base)
            for idx, amp, om in wig:
                self.wiggles.append((t, t1, idx, amp, om, r.uniform(0, 6.3)))
            self.segs.add("upright", form, t, t1)
            self.cur = base
            return t1
        self.hold("upright", form, t, t1, P, wig, trans=r.uniform(0.8, 2.5))
        return t1

    def stand_up(self, t, P_stand):
        """Sit-to-stand keyframes: the trunk leans forward while the hips rise."""
        mid = list(self.cur)
        mid[LUM] += 25
        mid[THO] += 30
        mid[PY] += 0.25 * (P_stand[PY] - mid[PY])
        mid[PZ] = max(mid[PZ], 0.08)
        self.track.key(t + 0.7, mid)
        self.track.key(t + 1.6, P_stand)
        self.cur = P_stand
        return t + 1.6

    def sit_down(self, t, P_seat):
        mid = list(self.cur)
        mid[LUM] += 20
        mid[THO] += 25
        mid[PY] = 0.5 * (mid[PY] + P_seat[PY])
        self.track.key(t + 0.8, mid)
        self.track.key(t + 1.8, P_seat)
        self.cur = P_seat
        return t + 1.8

    def greet(self, v, t, limit):
        r = self.rng
        a, d = v[0], v[1]
        u = r.random()
        if u < self.p_prompt:
            resp = "prompt"
        else:
            resp = r.choices(["late", "none", "half_rise", "stays_standing"], [0.35, 0.45, 0.12, 0.08])[0]
        v.append(resp)
        end = min(limit, self.T)
        if resp == "none":
            te = min(end, t + r.uniform(25.0, 60.0))
            P, wig = self.form_pose("upright", r.choice(["talking", "typing", "mouse_screen"]))
            self.hold("greet", "none", t, te, P, wig)
            return te
        if resp == "half_rise":
            ts = min(end, t + r.uniform(1, 5))
            self.hold("greet", "half_rise", t, ts, self.cur, [])
            P = list(self.cur)
            P[PY] += r.uniform(0.2, 0.45) * (self.b.stand_hip - self.w.hip_y)
            P[LUM] += 15
            P[THO] += 20
            P[HANGL] = P[HANGR] = 0.3
            self.track.key(ts + 0.8, P)
            self.track.key(ts + 0.8 + r.uniform(1.5, 3.5), P)
            self.cur = P
            tt = self.sit_down(self.track.t[-1], self.neutral)
            self.segs.items[-1]["t1"] = round(tt, 2)
            return tt
        if resp == "prompt":
            delay = r.uniform(0.3, 5.0)
        elif resp == "late":
            delay = r.uniform(12.0, 70.0)
        else:
            delay = r.uniform(0.5, 4.0)
        ts = t + delay
        if ts >= end - 2:
            P, wig = self.form_pose("upright", "talking")
            self.hold("greet", resp + "_never", t, end, P, wig)
            return end
        if delay > 3:
            P, wig = self.form_pose("upright", r.choice(["typing", "talking", "mouse_screen"]))
            self.hold("greet", resp + "_waiting", t, ts, P, wig)
        Ps = self.standing_pose()
        t2 = self.stand_up(ts, Ps)
        stay = (d - t2 + r.uniform(-3, 3)) if resp == "stays_standing" else r.uniform(2.0, 15.0)
        te = min(end - 1.8 if end < self.T else end, t2 + max(1.0, stay))
        te = max(te, t2 + 0.5)
        self.track.key(te, Ps)
        self.wiggles.append((t2, te, HYAW, 6.0, 2 * math.pi / 5.0, r.uniform(0, 6.3)))
        self.wiggles.append((t2, te, PX, 0.02, 2 * math.pi / 7.0, r.uniform(0, 6.3)))
        self.stand_times.append((ts + 0.4, te + 1.0))
        if te >= self.T - 0.01:
            self.segs.add("greet", resp, t if delay <= 3 else ts, self.T)
            return self.T
        t3 = self.sit_down(te, self.neutral)
        self.segs.add("greet", resp, t if delay <= 3 else ts, t3)
        return t3

    def episode(self, e, t):
        r = self.rng
        t0, t1, kind = e[0], min(e[1], self.T), e[2]
        if kind == "slouch":
            form = r.choice(["rounded_back", "forward_lean", "slid_down", "leaning_on_elbow", "neck_down_reading"])
            P, wig = self.form_pose("slouch", form)
            self.hold("slouch", form, t, t1, P, wig, trans=r.uniform(2, 6))
            return t1
        if kind in ("head_on_desk", "brief_rest"):
            form = r.choice(["folded_arms", "one_arm", "propped_hand", "forehead_on_desk"])
            if kind == "brief_rest":
                form = r.choice(["folded_arms", "forehead_on_desk", "one_arm"])
            P = self.head_down_pose(form)
            tdown = r.uniform(2.0, 5.0)
            trise = r.uniform(1.5, 4.0)
            if t1 - t < tdown + trise + 2:
                t1 = t + tdown + trise + 2
            self.track.key(t + tdown, P)
            self.track.key(t1 - trise, P)
            # very still: tiny breathing only
            self.wiggles.append((t, t1, THO, 0.4, 2 * math.pi / r.uniform(4, 6), r.uniform(0, 6.3)))
            self.wiggles.append((t, t1, HYAW, 1.0, 2 * math.pi / r.uniform(60, 200), r.uniform(0, 6.3)))
            P2, wig = self.form_pose("upright", "typing")
            self.track.key(t1, P2)
            self.cur = P2
            self.segs.add("head_on_desk" if kind == "head_on_desk" else "rest", form if kind == "head_on_desk" else "brief_head_down", t, t1)
            return t1
        # away from the post
        side = r.choice([-1, 1])
        if kind == "errand":
            form = r.choice(["walk_out_side", "back_office"])
        else:
            form = r.choices(["walk_out_side", "back_office", "out_of_view"], [0.45, 0.25, 0.3])[0]
        Ps = self.standing_pose()
        t2 = self.stand_up(t, Ps)
        if form == "back_office":
            dest = (side * r.uniform(0.2, 1.2), -r.uniform(1.6, 3.0), 180.0 + r.uniform(-40, 40))
        elif form == "out_of_view":
            dest = (side * r.uniform(3.5, 6.0), r.uniform(-1.0, 0.0), 90.0 * side)
        else:
            dest = (side * r.uniform(1.6, 2.6), r.uniform(-0.8, 0.2), 90.0 * side)
        dist = math.hypot(dest[0], dest[1])
        speed = r.uniform(0.9, 1.3)
        walk = dist / speed
        if t1 - t < 2 * walk + 5:
            t1 = t + 2 * walk + 5
        t1 = min(t1, self.T + 2 * walk + 5)
        W = list(Ps)
        W[PX], W[PZ], W[YAW] = dest[0], dest[1], dest[2]
        W[TWIST] = 0
        W[HYAW] = 0
        W[HANGL] = W[HANGR] = 1.0
        W[QN] = r.uniform(-5, 15)
        self.track.key(t2 + walk, W)
        back = t1 - walk - 2.0
        self.track.key(back, W)
        Wb = list(W)
        Wb[YAW] = dest[2] - 180.0 if dest[2] > 0 else dest[2] + 180.0
        if form == "back_office":
            Wb[YAW] = Ps[YAW]
        self.track.key(back + 1.0, Wb)
        self.walks = getattr(self, "walks", [])
        self.walks.append((t2, t2 + walk, speed))
        self.walks.append((back, back + walk, speed))
        self.track.key(back + walk, Ps)
        self.cur = Ps
        t3 = self.sit_down(back + walk + 0.2, self.neutral)
        self.stand_times.append((t + 0.4, t3 - 0.8))
        self.segs.add("absent", form if kind == "absent" else "short_errand_" + form, t, t3)
        return t3

    def leg_timeline(self, warm):
        r, T = self.rng, self.T
        t = 0.0
        state = r.choice(["neutral", "neutral", "tucked", "extended"])
        self.legs = Track()
        self.legs.key(0.0, self.leg_vector(state))
        self.chair = Track()
        self.chair.key(0.0, [0.0] * 4)
        stands = sorted(self.stand_times)

        def next_stand(t):
            for a, b in stands:
                if b > t:
                    return a, b
            return None

        while t < T:
            ns = next_stand(t)
            if ns and ns[0] <= t:
                L = self.standing_legs()
                self.legs.key(ns[0] + 0.8, L)
                self.legs.key(ns[1], L)
                state = r.choice(["neutral", "neutral", "tucked", "extended"])
                self.legs.key(ns[1] + 1.0, self.leg_vector(state))
                self.legsegs.add("legs", "standing", t, ns[1] + 1.0)
                t = ns[1] + 1.0
                continue
            limit = ns[0] if ns else T
            u = r.random() * (0.25 + (self.leg_habit + self.rate_ankles) / 6.0)
            if t >= warm and u < self.leg_habit / 6.0:
                form = r.choices(["crossed_knee_L", "crossed_knee_R", "figure_four_L", "figure_four_R"], [4, 4, 1, 1])[0]
                dur = lognorm(r, 300.0, 0.8, 20.0, 1500.0)
            elif u < (self.leg_habit + self.rate_ankles) / 6.0:
                form = "ankles_crossed"
                dur = lognorm(r, 200.0, 0.7, 20.0, 900.0)
            else:
                form = r.choice(["neutral", "neutral", "tucked", "extended"])
                dur = lognorm(r, 240.0, 0.8, 30.0, 1200.0)
            t1 = min(limit, t + dur)
            if t1 - t < 2.5:
                t1 = min(T, t + 2.5) if not ns else t1
                if t1 - t < 0.5:
                    t = limit
                    continue
            L = self.leg_vector(form)
            self.legs.key(t + min(1.5, (t1 - t) * 0.5), L)
            self.legs.key(t1, L)
            back = form in CROSSED or form == "ankles_crossed"
            if back and t1 - t > 8.0 and r.random() < 0.5:
                # sat back from the desk, chair turned a little, hands in the lap
                C = [-r.uniform(0.35, 0.70), r.uniform(-0.15, 0.15), r.choice([-1, 1]) * r.uniform(10, 35), r.uniform(0.6, 0.9)]
                self.chair.key(t, [0.0] * 4)
                self.chair.key(t + 2.5, C)
                self.chair.key(t1 - 2.0, C)
                self.chair.key(t1, [0.0] * 4)
                self.legsegs.add("legs", form + "_sat_back", t, t1)
            else:
                self.legsegs.add("legs", form, t, t1)
            t = t1


class Others:
    """People other than the clerk: citizens at the counter, passers-by, a colleague."""

    def __init__(self, rng, world, visits, T):
        self.rng, self.w, self.T = rng, world, T
        self.people = []   # dict(body, t0, t1, kind, keys: Track, legs)
        for v in visits:
            self.citizen(v)
        n_back = int(rng.choice([0, 2, 4, 8]) * T / 3600.0 + rng.random())
        for _ in range(n_back):
            self.passer(rng.uniform(0, T), behind=True)
        n_front = int(rng.choice([0, 3, 6, 12]) * T / 3600.0 + rng.random())
        for _ in range(n_front):
            self.passer(rng.uniform(0, T), behind=False)
        self.colleague = None
        if rng.random() < 0.4:
            self.add_colleague()

    def base_pose(self, b, x, z, yaw, standing=True):
        r = self.rng
        P = [0.0] * NPOSE
        P[PX], P[PY], P[PZ], P[YAW] = x, b.stand_hip if standing else self.w.seat_h + 0.08, z, yaw
        P[LUM], P[THO] = b.lum0 * 0.4, b.tho0 * 0.4
        P[HANGL] = P[HANGR] = 1.0
        P[ELBOUT] = 0.3
        return P

    def legs_standing(self, b):
        return [b.hipw, b.ankle_h, 0.02, -b.hipw, b.ankle_h, 0.02, 0.0, 0.3, 1.0, 0.0, 0.3, 1.0, 0.0]

    def citizen(self, v):
        r, w = self.rng, self.w
        b = Body(r, kind="citizen")
        x = r.uniform(-0.45, 0.45)
        z = w.citizen_z0 + r.uniform(0.12, 0.40)
        side = r.choice([-1, 1])
        sat = r.random() < 0.2
        P = self.base_pose(b, x, z, (180.0 if side < 0 else -180.0) + r.uniform(-25, 25))
        if sat:
            P[PY] = r.uniform(0.55, 0.65)
            P[PZ] += 0.1
        if r.random() < 0.6:  # hands on the counter
            ch = w.counter_h if w.raised else w.desk_h
            P[WLX], P[WLY], P[WLZ] = x - 0.15, ch + 0.03, z - 0.25
            P[WRX], P[WRY], P[WRZ] = x + 0.15, ch + 0.03, z - 0.25
            P[HANGL] = P[HANGR] = 0.0
            P[LUM] += 8
            P[THO] += 12
        Pa = list(P)
        Pa[PX], Pa[PZ], Pa[YAW] = side * 2.8, z + r.uniform(0.3, 1.2), -90.0 * side
        Pa[PY] = b.stand_hip
        Pa[HANGL] = Pa[HANGR] = 1.0
        k = Track()
        a, d = v[0], min(v[1], self.T + 10)
        walk = 2.8 / r.uniform(0.9, 1.3)
        k.key(a - walk - 0.5, Pa)
        k.key(a, P)
        k.key(d, P)
        Pb = list(Pa)
        Pb[PX] = -side * 2.8 if r.random() < 0.5 else side * 2.8
        k.key(d + walk, Pb)
        legs = self.legs_standing(b) if not sat else [b.hipw, b.ankle_h, 0.35, -b.hipw, b.ankle_h, 0.35, 0.0, 1.0, 0.5, 0.0, 1.0, 0.5, 0.0]
        self.people.append({"body": b, "t0": a - walk - 0.5, "t1": d + walk, "kind": "citizen", "keys": k, "legs": legs,
                            "walks": [(a - walk - 0.5, a), (d, d + walk)]})
        if r.random() < 0.12:  # a companion standing behind
            b2 = Body(r, kind="companion")
            Q = self.base_pose(b2, x + r.uniform(-0.6, 0.6), z + r.uniform(0.5, 0.9), 180.0 + r.uniform(-40, 40))
            Qa = list(Q)
            Qa[PX] = side * 3.0
            k2 = Track()
            k2.key(a - walk, Qa)
            k2.key(a + 1.0, Q)
            k2.key(d, Q)
            k2.key(d + walk, Qa)
            self.people.append({"body": b2, "t0": a - walk, "t1": d + walk, "kind": "companion", "keys": k2,
                                "legs": self.legs_standing(b2), "walks": [(a - walk, a + 1), (d, d + walk)]})

    def passer(self, t, behind):
        r, w = self.rng, self.w
        b = Body(r, kind="passer")
        z = -r.uniform(1.3, 3.2) if behind else w.citizen_z0 + r.uniform(1.0, 1.8)
        side = r.choice([-1, 1])
        speed = r.uniform(0.8, 1.5)
        P0 = self.base_pose(b, side * 4.0, z, -90.0 * side)
        P1 = list(P0)
        P1[PX] = -side * 4.0
        dur = 8.0 / speed
        k = Track()
        k.key(t, P0)
        k.key(t + dur, P1)
        k.t[-1] = t + dur
        self.people.append({"body": b, "t0": t, "t1": t + dur, "kind": "passer_behind" if behind else "passer_front",
                            "keys": k, "legs": self.legs_standing(b), "walks": [(t, t + dur)], "linear": True})

    def add_colleague(self):
        r, w = self.rng, self.w
        b = Body(r, kind="colleague")
        x = r.choice([-1, 1]) * r.uniform(1.5, 2.1)
        P = self.base_pose(b, x, r.uniform(-0.1, 0.1), r.uniform(-20, 20), standing=False)
        P[LUM], P[THO] = b.lum0, b.tho0
        P[HANGL] = P[HANGR] = 0.0
        P[WLX], P[WLY], P[WLZ] = x + 0.15, w.desk_h + 0.03, w.edge + 0.2
        P[WRX], P[WRY], P[WRZ] = x - 0.15, w.desk_h + 0.03, w.edge + 0.2
        k = Track()
        k.key(0.0, P)
        k.key(self.T, P)
        legs = [b.hipw, b.ankle_h, 0.48, -b.hipw, b.ankle_h, 0.48, 0.1, 1.0, 0.6, -0.1, 1.0, 0.6, 0.0]
        self.people.append({"body": b, "t0": 0.0, "t1": self.T, "kind": "colleague", "keys": k, "legs": legs, "walks": [],
                            "wig": [(THO, 3.0, 2 * math.pi / 40), (HYAW, 10.0, 2 * math.pi / 13), (QN, 6, 2 * math.pi / 17)]})

    def active(self, t):
        return [p for p in self.people if p["t0"] <= t <= p["t1"]]


def gait(L, b, phase, amp=1.0):
    """Walking: ankles swing forward and back in the pelvis frame, alternately lifted."""
    s = math.sin(phase)
    L = list(L)
    L[2] = 0.02 + 0.28 * s * amp
    L[5] = 0.02 - 0.28 * s * amp
    L[1] = b.ankle_h + max(0.0, 0.12 * s) * amp
    L[4] = b.ankle_h + max(0.0, -0.12 * s) * amp
    L[8] = L[11] = 1.0
    return L


# --------------------------------------------------------------------------- detector
class Detector:
    """Imitates a bottom-up pose model (MoveNet / CenterNet style) on projected keypoints:
    per-joint confidence from visibility, apparent size, lighting and pose; localisation
    noise scaled by COCO OKS sigmas with temporal correlation; guessed positions for
    hidden joints (legs guessed uncrossed); swaps, jumps, missed people, ghosts."""

    def __init__(self, rng, cam, occluders, world):
        self.r, self.cam, self.occ, self.w = rng, cam, occluders, world
        r = rng
        self.k_loc = r.uniform(0.45, 1.0)            # model quality (localisation)
        self.light = r.uniform(0.72, 1.0)
        self.light_drift = (r.uniform(0.0, 0.08), 2 * math.pi / r.uniform(900, 3600), r.uniform(0, 6.3))
        self.p_miss = r.uniform(0.004, 0.03)
        self.p_mislocal = r.uniform(0.002, 0.012)
        self.p_swap = r.uniform(0.001, 0.008)
        self.leg_guess = (r.uniform(0.22, 0.32), r.uniform(0.45, 0.62))  # conf range of hidden legs
        self.p_leg_halluc = r.choice([0.0, 0.0, 0.01, 0.03, 0.06])
        self.glare = None
        if r.random() < 0.3:
            gx, gy = r.uniform(0.1, 0.8) * cam.W, r.uniform(0.0, 0.6) * cam.H
            self.glare = (gx, gy, gx + r.uniform(0.1, 0.3) * cam.W, gy + r.uniform(0.1, 0.3) * cam.H)
        self.glass_f = 0.93 if world.glass else 1.0
        self.p_ghost = r.choice([0.0, 0.0, 0.002, 0.01])
        self.state = {}   # per-person AR noise and miss state
        self.pool = [r.gauss(0.0, 1.0) for _ in range(8192)]
        for b in occluders:
            b.prepare(cam)

    def occluded(self, o, p, q):
        for b in self.occ:
            im = b.img
            if im[0] <= q[0] <= im[2] and im[1] <= q[1] <= im[3] and b.hits(o, p):
                return b.name
        return None

    def visibility(self, kps, ex, blockers):
        """Per keypoint: (image point or None, visible?, reason)."""
        cam = self.cam
        o = cam.pos
        W, Hh = cam.W, cam.H
        out = []
        H = ex["H"]
        v_cam = norm(sub(o, H))
        v_body = norm(sub(o, ex["sc"]))
        hf, hl = ex["hf"], ex["hl"]
        face = dot(hf, v_cam)
        sideL_h = dot(hl, v_cam)
        sideL_b = dot(ex["l_u"], v_body)
        Hq = cam.project(H)
        head_r = None
        if Hq:
            tq = cam.project(ex["top"])
            if tq:
                head_r = math.hypot(tq[0] - Hq[0], tq[1] - Hq[1]) * 1.05
        occ = self.occ
        qs = cam.project_many(kps)
        for i in range(17):
            p = kps[i]
            q = qs[i]
            if q is None or not (0.0 <= q[0] <= W and 0.0 <= q[1] <= Hh):
                out.append((q, False, "frame"))
                continue
            why = None
            qx, qy = q[0], q[1]
            for bo in occ:
                im = bo.img
                if im[0] <= qx <= im[2] and im[1] <= qy <= im[3] and bo.hits(o, p):
                    why = bo.name
                    break
            if why is None:
                if i <= 2:
                    sd = 0.0 if i == 0 else (sideL_h if i == 1 else -sideL_h)
                    if face < (0.05 if i == 0 else 0.12) or sd < -0.75:
                        why = "face_away"
                elif i <= 4:
                    if (sideL_h if i == 3 else -sideL_h) < -0.35:
                        why = "far_ear"
                elif i in (5, 6, 7, 8, 11, 12):
                    if (sideL_b if i % 2 == 1 else -sideL_b) < -0.82:
                        why = "self"
                if why is None and 7 <= i <= 10 and head_r and q[2] > Hq[2]:
                    if (qx - Hq[0]) ** 2 + (qy - Hq[1]) ** 2 < head_r * head_r:
                        why = "head"
                if why is None:
                    for bx in blockers:
                        if bx[0] <= qx <= bx[2] and bx[1] <= qy <= bx[3] and q[2] > bx[4]:
                            why = "person"
                            break
            out.append((q, why is None, why))
        return out

    def normals(self, n):
        """n standard normal numbers from the window's pool (cheap)."""
        pool = self.pool
        k = self.r.randrange(len(pool) - n)
        return pool[k:k + n]

    def detect(self, pid, t, kps, ex, vis, unusual, moving, guess_legs=None):
        """One detected person (dict) or None."""
        r, cam = self.r, self.cam
        st = self.state.get(pid)
        if st is None:
            st = self.state[pid] = {"miss": False, "ar": [0.0] * 34, "bias": [r.gauss(0, 0.25) for _ in range(34)]}
        nvis = 0
        for v in vis:
            if v[1]:
                nvis += 1
        if nvis < 2:
            st["miss"] = False
            return None
        shl, shr = vis[5][0], vis[6][0]
        swpx = math.hypot(shl[0] - shr[0], shl[1] - shr[1]) if (shl and shr) else 0.0
        Hq = cam.project(ex["H"])
        scq = cam.project(ex["sc"])
        if Hq and scq:
            swpx = max(swpx, 1.3 * math.hypot(Hq[0] - scq[0], Hq[1] - scq[1]))
        scale = max(8.0, 2.4 * swpx)
        p = self.p_miss * (4.0 if unusual else 1.0) + (0.25 if nvis < 5 else 0.0) + (0.2 if scale < 45 else 0.0)
        if st["miss"]:
            p = 0.6
        rand = r.random
        if rand() < p:
            st["miss"] = True
            return None
        st["miss"] = False
        ld = self.light_drift
        light = self.light * (1.0 + ld[0] * math.sin(ld[1] * t + ld[2]))
        fac = light * (0.8 if unusual else 1.0) * (0.88 if moving else 1.0) * self.glass_f
        kl = self.k_loc * scale
        ar = st["ar"]
        bias = st["bias"]
        g = self.normals(51)
        u = [rand() for _ in range(17)]
        out = []
        W, H = cam.W, cam.H
        glare = self.glare
        shrink = max(0.0, 1.0 - scale / 90.0)
        for i in range(17):
            q, visible, why = vis[i]
            sig = kl * OKS[i] * (1.0 if visible else 2.5)
            a0 = ar[2 * i] = 0.55 * ar[2 * i] + 0.835 * g[2 * i]
            a1 = ar[2 * i + 1] = 0.55 * ar[2 * i + 1] + 0.835 * g[2 * i + 1]
            if q is None:
                q = (W * 0.5, H * 1.2, 1.0)
            if visible:
                x = q[0] + sig * (a0 + bias[2 * i])
                y = q[1] + sig * (a1 + bias[2 * i + 1])
                c = BASE_CONF[i] * (1.0 - (SMALL_JOINT[i] * 0.5 + 0.25) * shrink) * fac + 0.05 * g[34 + i]
                if glare and glare[0] <= x <= glare[2] and glare[1] <= y <= glare[3]:
                    c *= 0.55
            else:
                x = q[0] + sig * (a0 + bias[2 * i])
                y = q[1] + sig * (a1 + bias[2 * i + 1])
                ui = u[i]
                if i >= 13 and why in ("desk", "panel", "counter"):
                    lo, hi = self.leg_guess
                    c = lo + (hi - lo) * ui
                    if ui * 7.77 % 1.0 < self.p_leg_halluc:
                        c = 0.6 + 0.18 * (ui * 3.1 % 1.0)
                    if guess_legs is not None:
                        gl = guess_legs[i]
                        x = gl[0] + sig * a0
                        y = gl[1] + sig * a1
                elif i >= 11 and why in ("desk", "panel", "counter", "monitor"):
                    c = 0.18 + 0.37 * ui
                elif why == "frame":
                    c = 0.02 + 0.23 * ui
                elif why == "face_away":
                    c = 0.08 + 0.37 * ui
                elif why in ("far_ear", "self", "head"):
                    c = 0.15 + 0.35 * ui
                else:
                    c = 0.05 + 0.35 * ui
                c *= light
            if u[i] * 13.7 % 1.0 < self.p_mislocal:
                ang = rand() * 6.2832
                dd = (0.2 + 0.4 * rand()) * scale
                x += dd * math.cos(ang)
                y += dd * math.sin(ang)
                c = 0.3 + 0.4 * rand()
            x = 0.0 if x < 0.0 else (W - 1.0 if x > W - 1.0 else x)
            y = 0.0 if y < 0.0 else (H - 1.0 if y > H - 1.0 else y)
            c = 0.01 if c < 0.01 else (0.99 if c > 0.99 else c)
            out.append([x, y, c])
        # left/right confusion of limb pairs, rarely of the whole person
        if rand() < self.p_swap:
            a = r.choice([7, 9, 13, 15])
            out[a], out[a + 1] = out[a + 1], out[a]
        if rand() < self.p_swap * 0.3:
            out = [out[PAIR[i]] for i in range(17)]
        good = [k for k in out if k[2] >= 0.3]
        if len(good) < 3:
            return None
        xs = [k[0] for k in good]
        ys = [k[1] for k in good]
        pad = 0.08 * scale
        top = min(ys) - (0.45 * swpx if out[0][2] >= 0.3 else pad)
        box = [clamp(min(xs) - pad, 0, W - 1), clamp(top, 0, H - 1), clamp(max(xs) + pad, 0, W - 1), clamp(max(ys) + pad, 0, H - 1)]
        cs = sorted((k[2] for k in out), reverse=True)
        score = clamp(sum(cs[:10]) / 10.0 * (0.9 + 0.12 * rand()), 0.05, 0.99)
        if score < 0.2:
            return None
        return {"box": box, "score": score, "keypoints": out}

    def ghost(self, t):
        """A spurious low-score person (reflection in the glass, a poster, a coat on a chair)."""
        r, W, H = self.r, self.cam.W, self.cam.H
        if r.random() >= self.p_ghost:
            return None
        cx, cy, s = r.uniform(0.1, 0.9) * W, r.uniform(0.1, 0.9) * H, r.uniform(0.05, 0.2) * H
        kps = [[clamp(cx + r.gauss(0, s * 0.5), 0, W - 1), clamp(cy + r.gauss(0, s), 0, H - 1), r.uniform(0.05, 0.45)] for _ in range(17)]
        xs = [k[0] for k in kps]
        ys = [k[1] for k in kps]
        return {"box": [min(xs), min(ys), max(xs), max(ys)], "score": r.uniform(0.2, 0.32), "keypoints": kps}


# --------------------------------------------------------------------------- truth
def sagittal_angle(v, fwd, lat):
    """Forward angle (deg) of v from vertical, in the plane normal to lat."""
    vf = dot(v, fwd)
    vu = v[1]
    return math.atan2(vf, vu) * R2D


def pose_measures(kps, ex, body, desk_h):
    """Trunk line angle, neck flexion vs thorax (head up-axis), shoulder-centre height,
    head (face keypoints) height over the shoulders, head over desk."""
    f_p, l_p = ex["f_p"], ex["l_p"]
    trunk = sagittal_angle(sub(ex["sc"], ex["pel"]), f_p, l_p)
    f_u = ex["f_u"]
    # neck: how far the face direction points below the plane normal to the thoracic axis
    neck = math.asin(clamp(-dot(ex["hf"], ex["tho_dir"]), -1.0, 1.0)) * R2D
    face_y = sum(kps[i][1] for i in range(5)) / 5.0
    return trunk, neck, ex["sc"][1], face_y - ex["sc"][1], ex["H"][1] - desk_h


def machine(times, enter, hold, min_s, exit_s, t_end):
    """The rules' state machine (docs/rules.md) on per-frame truth conditions."""
    ev = []
    state, first, last = 0, None, None  # 0 idle, 1 pending, 2 active, 3 clearing
    for i, t in enumerate(times):
        if state == 0:
            if enter[i]:
                state, first, last = 1, t, t
        elif state == 1:
            if enter[i]:
                last = t
                if t - first >= min_s:
                    state = 2
            else:
                state = 0
        elif state == 2:
            if hold[i]:
                last = t
            else:
                state = 3
        else:
            if hold[i]:
                state, last = 2, t
            elif t - last >= exit_s:
                ev.append((first, last))
                state = 0
        if state == 1 and t - first >= min_s:
            state = 2
    if state == 2:
        ev.append((first, t_end))
    elif state == 3:
        ev.append((first, last))
    return ev


class Truth:
    """Per-frame truth conditions from the 3-D pose and the resulting events."""

    def __init__(self, body, world, base):
        self.b, self.w = body, world
        self.base_trunk, self.base_neck, self.base_sh_y, self.base_head_rel = base[:4]
        self.rows = []

    def frame(self, t, kps, ex, P, L, people_in_counter, obs_sh, obs_legs, covers_staff, seg_i, leg_i):
        b, w = self.b, self.w
        trunk, neck, sh_y, head_rel, head_desk = pose_measures(kps, ex, b, w.desk_h)
        x, z = P[PX], P[PZ]
        sa = w.staff_area
        present = sa[0] <= x <= sa[1] and sa[2] <= z <= sa[3]
        frac = (P[PY] - w.hip_y) / max(0.05, b.stand_hip - w.hip_y)
        standing = frac >= 0.75
        seated = present and frac < 0.75
        dtr = trunk - self.base_trunk
        dnk = neck - self.base_neck
        sw = b.sw
        sh_drop = self.base_sh_y - sh_y
        head_drop = self.base_head_rel - head_rel
        sink = (sh_drop - max(head_drop, -0.1 * sw)) / sw
        head_down = seated and P[SUPPORT] > 0.97 and trunk >= 30.0 and head_desk <= 0.40
        s_enter = seated and not head_down and (dtr > 20.0 or dnk > 20.0 or sink > 0.2)
        s_hold = seated and not head_down and (dtr > 16.0 or dnk > 16.0 or sink > 0.16)
        crossed = seated and L[12] > 0.5
        self.rows.append((t, present, seated, standing, head_down, s_enter, s_hold, crossed, people_in_counter,
                          obs_sh, obs_legs, covers_staff, seg_i, leg_i, dtr, dnk, sink))

    def events(self, T, segs, legsegs, visits):
        rows = self.rows
        times = [r[0] for r in rows]
        col = lambda k: [r[k] for r in rows]
        out = []

        def frac(t0, t1, k):
            sel = [r[k] for r in rows if t0 <= r[0] <= t1]
            return sum(1 for s in sel if s) / len(sel) if sel else 0.0

        def majority(t0, t1, k, items):
            cnt = {}
            for r in rows:
                if t0 <= r[0] <= t1:
                    it = items[r[k]]
                    key = it["form"]
                    cnt[key] = cnt.get(key, 0) + 1
            return max(cnt, key=cnt.get) if cnt else "unknown"

        def peak(t0, t1, k):
            vals = [r[k] for r in rows if t0 <= r[0] <= t1]
            return round(max(vals), 3) if vals else None

        absent = [not r[1] for r in rows]
        for a, e in machine(times, absent, absent, 120.0, 10.0, T):
            out.append({"rule": "absent", "t0": a, "t1": e, "form": majority(a, e, 12, segs),
                        "ignore": frac(a, e, 11) > 0.5})
        for a, e in machine(times, col(4), col(4), 30.0, 10.0, T):
            out.append({"rule": "head_on_desk", "t0": a, "t1": e, "form": majority(a, e, 12, segs),
                        "ignore": frac(a, e, 9) < 0.5, "observed": round(frac(a, e, 9), 2)})
        for a, e in machine(times, col(5), col(6), 30.0, 10.0, T):
            out.append({"rule": "slouching", "t0": a, "t1": e, "form": majority(a, e, 12, segs),
                        "ignore": frac(a, e, 9) < 0.5, "observed": round(frac(a, e, 9), 2),
                        "peak_trunk_deg": peak(a, e, 14), "peak_neck_deg": peak(a, e, 15), "peak_sink": peak(a, e, 16)})
        for a, e in machine(times, col(7), col(7), 30.0, 10.0, T):
            out.append({"rule": "crossed_legs", "t0": a, "t1": e, "form": majority(a, e, 13, legsegs),
                        "ignore": frac(a, e, 10) < 0.5, "observed": round(frac(a, e, 10), 2)})
        # not standing to greet: per stay of a citizen in the counter area
        occ = col(8)
        i, n = 0, len(rows)
        dt = times[1] - times[0] if n > 1 else 0.5
        while i < n:
            if not occ[i]:
                i += 1
                continue
            j = i
            while j < n and occ[j]:
                j += 1
            arr, dep = times[i], times[j - 1]
            stood = False
            tc = None
            end = None
            for k in range(i, j):
                t, present, seated, standing = rows[k][0], rows[k][1], rows[k][2], rows[k][3]
                if tc is None:
                    if standing or not present and t < arr + 3.0:
                        stood = True if standing else stood
                    if stood:
                        break
                    if t >= arr + 3.0 - 1e-6:
                        if seated:
                            tc = t
                        elif not present:
                            continue
                else:
                    if not seated:
                        end = rows[k - 1][0]
                        break
            if tc is not None:
                if end is None:
                    end = dep if j < n else T
                if end - tc >= 20.0 - 1e-6:
                    resp = "unknown"
                    for v in visits:
                        if v[0] - 6 <= arr <= v[1] + 1 and len(v) > 2:
                            resp = v[2]
                            break
                    if resp == "unknown":
                        sf = segs[rows[i][12]]
                        resp = sf["form"] if sf["kind"] in ("head_on_desk", "absent", "slouch") else "unscheduled"
                        if sf["kind"] in ("head_on_desk", "slouch"):
                            resp = "while_" + sf["kind"]
                    out.append({"rule": "not_standing_to_greet", "t0": tc, "t1": end, "form": resp,
                                "ignore": frac(tc, min(end, tc + 25), 9) < 0.5, "arrival_t": round(arr, 2)})
            i = j
        out.sort(key=lambda e: e["t0"])
        return out


# --------------------------------------------------------------------------- layout
def hull(pts):
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
    """Sutherland-Hodgman clip to the unit square."""
    def clip(pts, inside, inter):
        out = []
        for i in range(len(pts)):
            a, b = pts[i - 1], pts[i]
            ia, ib = inside(a), inside(b)
            if ib:
                if not ia:
                    out.append(inter(a, b))
                out.append(b)
            elif ia:
                out.append(inter(a, b))
        return out
    for axis, val, keep_ge in ((0, 0.0, True), (0, 1.0, False), (1, 0.0, True), (1, 1.0, False)):
        if not poly:
            return []
        ins = (lambda p, a=axis, v=val: p[a] >= v) if keep_ge else (lambda p, a=axis, v=val: p[a] <= v)
        def inter(p, q, a=axis, v=val):
            s = (v - p[a]) / (q[a] - p[a])
            return (p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1]))
        poly = clip(poly, ins, inter)
    return poly


def area(poly):
    n = len(poly)
    return abs(sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))) / 2.0


def zone(cam, rng, xr, zr, yr, expand):
    pts = []
    for x in (xr[0], (xr[0] + xr[1]) / 2, xr[1]):
        for z in zr:
            for y in yr:
                q = cam.project((x, y, z))
                if q is not None:
                    pts.append((q[0] / cam.W, q[1] / cam.H))
    h = hull(pts)
    if len(h) < 3:
        return None
    cx = sum(p[0] for p in h) / len(h)
    cy = sum(p[1] for p in h) / len(h)
    h = [(cx + (p[0] - cx) * expand + rng.uniform(-0.01, 0.01), cy + (p[1] - cy) * expand + rng.uniform(-0.01, 0.01)) for p in h]
    h = hull(h)
    c = clip_unit(h)
    c = [(round(clamp(p[0], 0.0, 1.0), 3), round(clamp(p[1], 0.0, 1.0), 3)) for p in c]
    dedup = []
    for p in c:
        if not dedup or abs(p[0] - dedup[-1][0]) + abs(p[1] - dedup[-1][1]) > 0.004:
            dedup.append(p)
    if len(dedup) > 1 and abs(dedup[0][0] - dedup[-1][0]) + abs(dedup[0][1] - dedup[-1][1]) <= 0.004:
        dedup.pop()
    c = hull(dedup)
    if len(c) < 3 or area(c) < 0.003:
        return None
    return [[p[0], p[1]] for p in c]


# --------------------------------------------------------------------------- one window
def draw_camera(rng, body, world, neutral_pose, leg_neutral):
    """A camera placement that frames the seated clerk's head and shoulders."""
    kps, ex = body.fk(neutral_pose, leg_neutral)
    need = [kps[LSH], kps[RSH], kps[LEAR], kps[REAR], kps[NOSE], ex["top"]]
    res = [(640, 360), (640, 480), (704, 576), (960, 540), (1280, 720), (1920, 1080)]
    for attempt in range(400):
        h = rng.uniform(1.8, 3.2)
        d = rng.uniform(1.5, 4.5)
        off = rng.uniform(-1.5, 1.5)
        if d < abs(off) + 0.6:
            continue
        cz = math.sqrt(d * d - off * off)
        if cz < world.citizen_z0 + 0.3:
            continue
        tilt = rng.uniform(0.0, 45.0)
        hfov = rng.uniform(60.0, 110.0)
        W, H = rng.choice(res)
        k1 = -rng.uniform(0.0, 0.06) * max(0.0, hfov - 60.0) / 50.0
        aim_x = rng.uniform(-0.25, 0.25)
        pan = math.atan2(aim_x - off, -cz) * R2D + rng.uniform(-6, 6)
        cam = Camera((off, h, cz), pan, tilt, hfov, W, H, k1)
        m = 0.02 * W
        qs = [cam.project(p) for p in need]
        if not all(q is not None and m <= q[0] <= W - m and m <= q[1] <= H - m for q in qs):
            continue
        swpx = math.hypot(qs[0][0] - qs[1][0], qs[0][1] - qs[1][1])
        if swpx < 12:
            continue
        return cam, {"height": round(h, 3), "distance": round(d, 3), "tilt_deg": round(tilt, 2), "offset_x": round(off, 3),
                     "pan_deg": round(pan, 2), "hfov_deg": round(hfov, 1), "width": W, "height_px": H, "k1": round(k1, 4),
                     "seated_shoulder_px": round(swpx, 1)}
    return None, None


LAST = {}  # the last window's objects, for inspection from an interactive session


def simulate_window(index, seed, minutes, fps, out_dir, day, start_hm):
    rng = random.Random((seed * 1000003 + index * 7919) & 0xFFFFFFFF)
    T = minutes * 60.0
    for _ in range(50):
        body = Body(rng)
        world = World(rng, body)
        scen = ClerkScenario(rng, body, world, T)
        cam, cam_meta = draw_camera(rng, body, world, scen.neutral, scen.leg_neutral)
        if cam is None:
            continue
        sz = zone(cam, rng, (-0.7, 0.7), (-0.55, world.edge + 0.05), (0.55, 1.6), rng.uniform(1.0, 1.12))
        cz = zone(cam, rng, (-0.9, 0.9), (world.citizen_z0 + 0.05, world.citizen_z0 + 0.8), (0.9, 1.5), rng.uniform(0.95, 1.1))
        if sz and cz:
            break
    else:
        raise SystemExit("window %d: no usable camera draw" % index)
    others = Others(rng, world, scen.visits_raw, T)
    occ = world.occluders()
    det = Detector(rng, cam, occ, world)
    # desk line: the desk top's clerk-side edge in front of the clerk, as the installer draws it
    dq = cam.project((world.kb[0] * 0.5, world.desk_h, world.edge))
    desk_y = clamp(dq[1] / cam.H + rng.uniform(-0.012, 0.012), 0.0, 1.0) if dq else None
    tilt_cfg = None
    u = rng.random()
    if u < 0.7:
        tilt_cfg = int(round(clamp(cam.tilt + rng.gauss(0, 3.0), 0, 60)))
    elif u < 0.85:
        tilt_cfg = int(5 * round(clamp(cam.tilt + rng.gauss(0, 7.0), 0, 60) / 5))
    # baseline (the clerk's habitual upright posture)
    kps0, ex0 = body.fk(scen.neutral, scen.leg_neutral)
    m0 = pose_measures(kps0, ex0, body, world.desk_h)
    truth = Truth(body, world, (m0[0], m0[1], m0[2], m0[3]))
    neutral_legs_img = None

    wid = "w%03d" % (index + 1)
    os.makedirs(out_dir, exist_ok=True)
    day0 = datetime.fromisoformat("%sT%s:00+08:00" % (day, start_hm))
    # frame drops: single frames and camera outages
    p_drop = rng.uniform(0.002, 0.012)
    outages = []
    n_out = int(rng.choice([0, 0, 1, 2]) * T / 3600.0 + rng.random() * 0.5)
    for _ in range(n_out):
        a = rng.uniform(0, T)
        outages.append((a, a + lognorm(rng, 20.0, 0.8, 4.0, 120.0)))
    walks = sorted(getattr(scen, "walks", []))
    wig = scen.wiggles
    wig_t0 = [w_[0] for w_ in wig]
    seg_i = leg_i = 0
    nframes = int(round(T * fps))
    lines = []
    track, legs_tr, chair_tr = scen.track, scen.legs, scen.chair
    S_frac = lambda P: (P[PY] - world.hip_y) / max(0.05, body.stand_hip - world.hip_y)
    sa_box = (min(p[0] for p in sz) * cam.W, min(p[1] for p in sz) * cam.H, max(p[0] for p in sz) * cam.W, max(p[1] for p in sz) * cam.H)
    wig_s = sorted(wig, key=lambda w_: w_[0])
    wig_act = []
    wp = 0
    ca = world.counter_area
    for fi in range(nframes):
        t = fi / fps
        P = track.at(t)
        # wiggles active at t
        while wp < len(wig_s) and wig_s[wp][0] <= t:
            wig_act.append(wig_s[wp])
            wp += 1
        if fi % 50 == 0:
            wig_act = [w_ for w_ in wig_act if w_[1] > t]
        for w0, w1, idx, amp, om, ph in wig_act:
            if w0 <= t < w1:
                P[idx] += amp * math.sin(om * t + ph)
        L = legs_tr.at(t)
        sf = S_frac(P)
        C = chair_tr.at(t)
        if C[0] != 0.0:
            k = (1.0 - P[SUPPORT]) * (1.0 - clamp(sf, 0.0, 1.0))
            P[PZ] += C[0] * k
            P[PX] += C[1] * k
            P[YAW] += C[2] * k
            if C[3] * k > P[HANGL]:
                P[HANGL] = C[3] * k
            if C[3] * k > P[HANGR]:
                P[HANGR] = C[3] * k
        moving = False
        for a, b_, sp in walks:
            if a <= t <= b_:
                L = gait(L, body, t * 2 * math.pi * 0.95)
                P[HANGL] = P[HANGR] = 1.0
                moving = True
                break
        if sf > 0.3 and not moving:
            SL = scen.standing_legs()
            k = clamp((sf - 0.3) / 0.5, 0.0, 1.0)
            L = [x * (1 - k) + y * k for x, y in zip(L, SL)]
        kps, ex = body.fk(P, L)
        seg_i = scen.segs.index_at(t, seg_i)
        leg_i = scen.legsegs.index_at(t, leg_i) if scen.legsegs.items else 0
        # other people
        act = others.active(t)
        in_counter = False
        covers = False
        oth = []
        for op in act:
            Q = op["keys"].at(t)
            if op.get("wig"):
                for idx, amp, om in op["wig"]:
                    Q[idx] += amp * math.sin(om * t)
            Lo = op["legs"]
            mv = False
            for a, b_ in op["walks"]:
                if a <= t <= b_:
                    Lo = gait(Lo, op["body"], t * 2 * math.pi * 0.95)
                    mv = True
                    break
            cache = op.get("cache")
            if not mv and cache and t - cache[0] < 2.0:
                okp, oex = cache[1], cache[2]
            else:
                okp, oex = op["body"].fk(Q, Lo)
                op["cache"] = [t, okp, oex, None]
            if op["kind"] in ("citizen", "companion", "passer_front") and ca[0] <= Q[PX] <= ca[1] and ca[2] <= Q[PZ] <= ca[3]:
                in_counter = True
            oth.append((op, okp, oex, mv))
        dropped = rng.random() < p_drop or any(a <= t < b_ for a, b_ in outages)
        obs_sh = obs_legs = False
        people = []
        if not dropped:
            # blockers: image rectangles of people in front of the clerk
            blockers = []
            for op, okp, oex, mv in oth:
                if op["kind"] in ("citizen", "companion", "passer_front"):
                    qs = [cam.project(p) for p in (okp[5], okp[6], okp[11], okp[12], oex["top"])]
                    qs = [q for q in qs if q]
                    if len(qs) >= 3:
                        xs = [q[0] for q in qs]
                        ys = [q[1] for q in qs]
                        wpad = 0.25 * (max(xs) - min(xs))
                        bx = (min(xs) - wpad, min(ys), max(xs) + wpad, max(ys) + 0.1 * (max(ys) - min(ys)), min(q[2] for q in qs) + 0.05)
                        blockers.append(bx)
                        ix = max(0.0, min(bx[2], sa_box[2]) - max(bx[0], sa_box[0]))
                        iy = max(0.0, min(bx[3], sa_box[3]) - max(bx[1], sa_box[1]))
                        if ix * iy > 0.5 * (sa_box[2] - sa_box[0]) * (sa_box[3] - sa_box[1]):
                            covers = True
            vis = det.visibility(kps, ex, blockers)
            unusual = P[SUPPORT] > 0.5 or (P[THO] - body.tho0) > 40
            if neutral_legs_img is None or fi % 20 == 0:
                # where a model would guess hidden legs: the ordinary seated pose under the same trunk
                NP = list(P)
                gk, _ = body.fk(NP, scen.leg_neutral)
                neutral_legs_img = [cam.project(p) if i >= 13 else None for i, p in enumerate(gk)]
            gl = [None] * 13 + [q if q else (cam.W * 0.5, cam.H, 1.0) for q in neutral_legs_img[13:]]
            d = det.detect("clerk", t, kps, ex, vis, unusual, moving or 0.3 < sf < 0.9, guess_legs=gl)
            if d:
                people.append(d)
                obs_sh = vis[5][1] and vis[6][1]
                obs_legs = all(vis[i][1] for i in (13, 14, 15, 16))
            for op, okp, oex, mv in oth:
                cache = op["cache"]
                if cache[3] is None:
                    cache[3] = det.visibility(okp, oex, [])
                ov = cache[3]
                dd = det.detect(id(op), t, okp, oex, ov, False, mv)
                if dd:
                    people.append(dd)
            g = det.ghost(t)
            if g:
                people.append(g)
            people.sort(key=lambda p: -p["score"])
            ts = day0 + timedelta(seconds=t)
            ps = []
            for p in people:
                kp = ",".join("[%.1f,%.1f,%.3f]" % (k[0], k[1], k[2]) for k in p["keypoints"])
                ps.append('{"box":[%.1f,%.1f,%.1f,%.1f],"score":%.3f,"keypoints":[%s]}' % (
                    p["box"][0], p["box"][1], p["box"][2], p["box"][3], p["score"], kp))
            tss = ts.strftime("%Y-%m-%dT%H:%M:%S") + (".%03d" % (ts.microsecond // 1000)) + "+08:00"
            lines.append('{"ts":"%s","window":"%s","source":"sim3","frame":%d,"width":%d,"height":%d,"model":"sim3-pose","people":[%s]}'
                         % (tss, wid, fi, cam.W, cam.H, ",".join(ps)))
        truth.frame(t, kps, ex, P, L, in_counter, obs_sh, obs_legs, covers, seg_i, leg_i)

    LAST.update(truth=truth, scen=scen, cam=cam, world=world, body=body)
    events = truth.events(T, scen.segs.items, scen.legsegs.items or [{"form": "neutral"}], scen.visits_raw)
    wdir = os.path.join(out_dir, wid)
    os.makedirs(wdir, exist_ok=True)
    with open(os.path.join(wdir, "trace.jsonl"), "w") as f:
        f.write("\n".join(lines))
        f.write("\n")
    with open(os.path.join(wdir, "truth.jsonl"), "w") as f:
        for e in events:
            e["t0"], e["t1"] = round(e["t0"], 2), round(e["t1"], 2)
            e["start"] = (day0 + timedelta(seconds=e["t0"])).isoformat(timespec="milliseconds")
            e["end"] = (day0 + timedelta(seconds=e["t1"])).isoformat(timespec="milliseconds")
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    end_dt = day0 + timedelta(seconds=T)
    hours = "%s-%s" % (day0.strftime("%H:%M"), end_dt.strftime("%H:%M"))
    toml = ['timezone = "Asia/Shanghai"', 'hall = "sim3 county service hall"', "", "[[window]]",
            'id = "%s"' % wid, 'name = "sim3 window %d"' % (index + 1),
            "staff_zone = [%s]" % ", ".join("[%.3f, %.3f]" % (p[0], p[1]) for p in sz),
            "counter_zone = [%s]" % ", ".join("[%.3f, %.3f]" % (p[0], p[1]) for p in cz)]
    if desk_y is not None:
        toml.append("desk_y = %.3f" % desk_y)
    if tilt_cfg is not None:
        toml.append("camera_tilt_deg = %d" % tilt_cfg)
    toml.append('hours = ["%s"]' % hours)
    with open(os.path.join(wdir, "window.toml"), "w") as f:
        f.write("\n".join(toml) + "\n")
    segs = [dict(s) for s in scen.segs.items]
    if segs:
        segs[-1]["t1"] = max(segs[-1]["t1"], round(T, 2))
    meta = {
        "generator": VERSION, "seed": seed, "index": index, "day": day, "start": "%s:00+08:00" % start_hm,
        "minutes": minutes, "fps": fps, "frames": nframes, "frames_written": len(lines),
        "camera": dict(cam_meta, configured_tilt_deg=tilt_cfg),
        "body": {k: round(v, 4) for k, v in vars(body).items() if isinstance(v, float)},
        "layout": {"sit_back": world.sit_back, "side_desk": world.side_desk, "desk_h": round(world.desk_h, 3), "desk_edge_z": round(world.edge, 3), "desk_depth": round(world.depth, 3),
                   "panel": world.panel, "raised_counter": world.raised, "counter_h": round(world.counter_h, 3),
                   "glass": world.glass, "monitor": world.monitor, "monitor_x": round(world.mon_x, 3),
                   "seat_h": round(world.seat_h, 3), "clerk_yaw_deg": round(world.yaw0, 1),
                   "staff_area_3d": [round(v, 3) for v in world.staff_area], "counter_area_3d": [round(v, 3) for v in world.counter_area],
                   "desk_y": desk_y, "staff_zone": sz, "counter_zone": cz},
        "detector": {"k_loc": round(det.k_loc, 3), "light": round(det.light, 3), "p_miss": round(det.p_miss, 4),
                     "p_mislocal": round(det.p_mislocal, 4), "p_swap": round(det.p_swap, 4),
                     "leg_guess_conf": [round(x, 3) for x in det.leg_guess], "p_leg_hallucinate": det.p_leg_halluc,
                     "glare": det.glare is not None, "p_ghost": det.p_ghost, "p_drop": round(p_drop, 4),
                     "outages": [[round(a, 1), round(b, 1)] for a, b in outages]},
        "personality": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(scen).items()
                        if k.startswith(("rate_", "leg_habit", "p_prompt", "fidget", "slouch_depth"))},
        "segments": [{"kind": s["kind"], "form": s["form"], "t0": s["t0"], "t1": s["t1"]} for s in segs],
        "leg_segments": [{"kind": s["kind"], "form": s["form"], "t0": s["t0"], "t1": s["t1"]} for s in scen.legsegs.items],
        "visits": [{"arrive": round(v[0], 2), "leave": round(v[1], 2), "response": v[2] if len(v) > 2 else "not_greeted_scheduled"} for v in scen.visits_raw],
        "others": {"passers": sum(1 for p in others.people if p["kind"].startswith("passer")),
                   "colleague": any(p["kind"] == "colleague" for p in others.people),
                   "companions": sum(1 for p in others.people if p["kind"] == "companion")},
        "truth_counts": {r: sum(1 for e in events if e["rule"] == r) for r in
                         ("absent", "slouching", "head_on_desk", "crossed_legs", "not_standing_to_greet")},
    }
    with open(os.path.join(wdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
    return wid, len(lines), len(events)


def run_day(rng, minutes):
    """A working day (Mon-Fri, outside the usual holidays) and a start minute so the run fits in the day."""
    while True:
        d = date(2026, 3, 2) + timedelta(days=rng.randrange(0, 120))
        if d.weekday() < 5 and not (date(2026, 4, 4) <= d <= date(2026, 4, 6)) and not (date(2026, 5, 1) <= d <= date(2026, 5, 5)):
            break
    latest = max(0, 23 * 60 + 50 - minutes)
    start = min(latest, rng.randrange(8 * 60 + 30, 16 * 60 + 1))
    start = max(0, start)
    return d.isoformat(), "%02d:%02d" % (start // 60, start % 60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--windows", type=int, required=True)
    ap.add_argument("--minutes", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--first", type=int, default=0, help="index of the first window (to split a run)")
    a = ap.parse_args()
    if a.minutes < 1 or a.minutes > 23 * 60:
        raise SystemExit("--minutes must be 1..1380")
    if not (0.2 <= a.fps <= 15):
        raise SystemExit("--fps must be 0.2..15")
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.first, a.first + a.windows):
        drng = random.Random((a.seed * 7777777 + i * 131) & 0xFFFFFFFF)
        day, start = run_day(drng, a.minutes)
        wid, nl, ne = simulate_window(i, a.seed, a.minutes, a.fps, a.out, day, start)
        print("%s: %d frames, %d truth events" % (wid, nl, ne), flush=True)


if __name__ == "__main__":
    main()
