//! Per-frame observations: who the clerk is, and what can be said about
//! their presence, posture, head and legs, each with an explicit unknown.
//! Pure functions over keypoints and the window's geometry; no I/O.

use serde::Serialize;

use crate::config::Window;
use crate::geometry::{Point, Polygon};
use crate::vision::person::{Person, kp};

const LEFT_KNEE: usize = 13;
const RIGHT_KNEE: usize = 14;
const LEFT_ANKLE: usize = 15;
const RIGHT_ANKLE: usize = 16;

/// Anthropometric constants, in shoulder widths (keypoint to keypoint):
/// shoulder-to-hip length of an upright torso.
pub const TORSO_RATIO: f32 = 1.45;
/// Head model for pitch: nose tip forward of and below the ear line, and the
/// ear-to-ear distance, in metres.
const NOSE_FORWARD_M: f32 = 0.10;
const NOSE_DOWN_M: f32 = 0.025;
const EAR_SPAN_M: f32 = 0.14;
/// Share of the torso length between hips and desk top for a seated clerk
/// (hips about 0.25 m below a 0.75 m desk, torso about 0.5 m).
const HIP_BELOW_DESK: f32 = 0.5;

/// A window's zones in pixels, plus the thresholds observations need.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    pub staff_zone: Polygon,
    pub counter_zone: Polygon,
    pub desk_y: Option<f32>,
    pub tilt_deg: f32,
    pub min_conf: f32,
    pub min_leg_conf: f32,
}

impl Geometry {
    pub fn for_frame(w: &Window, width: u32, height: u32) -> Geometry {
        let (fw, fh) = (width as f32, height as f32);
        Geometry {
            staff_zone: w.staff_zone.to_pixels(fw, fh),
            counter_zone: w.counter_zone.to_pixels(fw, fh),
            desk_y: w.desk_y.map(|d| d * fh),
            tilt_deg: w.camera_tilt_deg,
            min_conf: w.thresholds.min_keypoint_conf,
            min_leg_conf: w.thresholds.crossed_legs.min_leg_conf,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    Sitting,
    Standing,
}

/// What one frame says about the window. `None` is "unknown": the body part
/// needed was not seen well enough.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// Index of the clerk in the frame's people.
    pub clerk: Option<usize>,
    pub present: bool,
    pub posture: Option<Posture>,
    /// Forward (or sideways) trunk flexion, degrees from upright.
    pub trunk_deg: Option<f32>,
    /// Neck flexion relative to the trunk, degrees.
    pub neck_deg: Option<f32>,
    pub head_on_desk: Option<bool>,
    pub legs_crossed: Option<bool>,
    pub citizen_at_counter: bool,
    /// Shoulders' height above the desk, in shoulder widths (for the
    /// per-window upright baseline).
    pub shoulder_rise: Option<f32>,
    /// The nose's drop below the ear line, in metres at head scale (for the
    /// per-window level-head baseline).
    pub nose_drop: Option<f32>,
    /// Mean confidence of the keypoints used.
    pub confidence: f32,
    /// Probability that the clerk wears the work badge (from `[attire]`;
    /// `None`: not judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<f32>,
    /// Probability that the clerk's dress matches the uniform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uniform: Option<f32>,
}

impl Observation {
    pub fn absent(citizen_at_counter: bool) -> Observation {
        Observation {
            clerk: None,
            present: false,
            posture: None,
            trunk_deg: None,
            neck_deg: None,
            head_on_desk: None,
            legs_crossed: None,
            citizen_at_counter,
            shoulder_rise: None,
            nose_drop: None,
            confidence: 1.0,
            badge: None,
            uniform: None,
        }
    }
}

/// The clerk's own reference posture, learnt by the window over time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Baseline {
    /// Shoulder rise above the desk when sitting upright.
    pub upright_rise: Option<f32>,
    /// Nose drop below the ear line with the head level.
    pub level_nose_drop: Option<f32>,
}

/// Observes one frame against the clerk's baseline (see [`Baseline`]):
/// without one, trunk flexion needs visible hips and neck flexion is
/// unknown.
pub fn observe(people: &[Person], g: &Geometry, baseline: Baseline) -> Observation {
    let clerk = find_clerk(people, g);
    let citizen = people.iter().enumerate().any(|(i, p)| Some(i) != clerk && in_counter_zone(p, g));
    let Some(ci) = clerk else { return Observation::absent(citizen) };
    let p = &people[ci];
    let k = |i: usize| p.confident(i, g.min_conf).map(|k| Point::new(k.x, k.y));
    let shoulders = match (k(kp::LEFT_SHOULDER), k(kp::RIGHT_SHOULDER)) {
        (Some(l), Some(r)) if Point::distance(l, r) > 1.0 => Some((l, r)),
        _ => None,
    };
    // Hips count only when they are above the desk line: below it the
    // model is guessing through the desk.
    let visible = |pt: Option<Point>| pt.filter(|h| g.desk_y.is_none_or(|d| h.y < d));
    let hips = match (visible(k(kp::LEFT_HIP)), visible(k(kp::RIGHT_HIP))) {
        (Some(l), Some(r)) => Some(Point::midpoint(l, r)),
        _ => None,
    };
    let mut used: Vec<f32> = Vec::new();
    let mut obs = Observation { clerk: Some(ci), present: true, citizen_at_counter: citizen, ..Observation::absent(citizen) };
    if let Some((l, r)) = shoulders {
        used.extend([p.keypoints[kp::LEFT_SHOULDER].conf, p.keypoints[kp::RIGHT_SHOULDER].conf]);
        let sw = Point::distance(l, r);
        let mid = Point::midpoint(l, r);
        let rise = g.desk_y.map(|d| (d - mid.y) / sw);
        obs.shoulder_rise = rise;
        obs.posture = posture(sw, hips, rise, p, g);
        obs.trunk_deg = trunk_angle(mid, sw, hips, rise, baseline.upright_rise, g.tilt_deg);
        obs.nose_drop = nose_drop(p, g);
        obs.neck_deg = match (obs.nose_drop, baseline.level_nose_drop) {
            (Some(d), Some(level)) => Some((head_pitch(d, g.tilt_deg) - head_pitch(level, g.tilt_deg) - obs.trunk_deg.unwrap_or(0.0)).max(0.0)),
            _ => None,
        };
        obs.head_on_desk = head_on_desk(p, mid, sw, rise, g);
        obs.legs_crossed = legs_crossed(p, sw, g);
    }
    obs.confidence = if used.is_empty() { p.score } else { used.iter().sum::<f32>() / used.len() as f32 };
    obs
}

/// Torso anchor points of a person: confident shoulders, and hips above
/// the desk line.
fn torso_points(p: &Person, g: &Geometry) -> Vec<Point> {
    let mut pts: Vec<Point> = [kp::LEFT_SHOULDER, kp::RIGHT_SHOULDER]
        .iter()
        .filter_map(|&i| p.confident(i, g.min_conf))
        .map(|k| Point::new(k.x, k.y))
        .collect();
    pts.extend(
        [kp::LEFT_HIP, kp::RIGHT_HIP]
            .iter()
            .filter_map(|&i| p.confident(i, g.min_conf))
            .map(|k| Point::new(k.x, k.y))
            .filter(|h| g.desk_y.is_none_or(|d| h.y < d)),
    );
    pts
}

/// Where a person's torso is: the mean of the torso points, or, with none,
/// a point a quarter down the box (the box's bottom is hidden by the desk).
fn torso_anchor(p: &Person, g: &Geometry) -> Point {
    let pts = torso_points(p, g);
    if pts.is_empty() {
        let (cx, _) = p.bbox.center();
        return Point::new(cx, p.bbox.y1 + p.bbox.height() * 0.25);
    }
    let n = pts.len() as f32;
    Point::new(pts.iter().map(|q| q.x).sum::<f32>() / n, pts.iter().map(|q| q.y).sum::<f32>() / n)
}

/// The clerk: the person with the most torso keypoints in the staff zone
/// (the box as a fallback), preferring people not standing in the counter
/// zone, then higher scores.
pub fn find_clerk(people: &[Person], g: &Geometry) -> Option<usize> {
    people
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let pts = torso_points(p, g);
            let inside = if pts.is_empty() {
                usize::from(g.staff_zone.contains(torso_anchor(p, g)))
            } else {
                pts.iter().filter(|q| g.staff_zone.contains(**q)).count()
            };
            (inside > 0).then(|| (i, inside, !in_counter_zone(p, g), p.score))
        })
        .max_by(|a, b| (a.2, a.1).cmp(&(b.2, b.1)).then(a.3.total_cmp(&b.3)))
        .map(|(i, ..)| i)
}

fn in_counter_zone(p: &Person, g: &Geometry) -> bool {
    g.counter_zone.contains(torso_anchor(p, g))
}

/// Sitting or standing. With a desk line: hips seen above it, or shoulders
/// more than 1.6 shoulder widths above it, mean standing (seated shoulders
/// are 0.8-1.0 widths above a desk, standing ones 1.8-2.0 on the simulator
/// from 1.8-2.6 m). Without one, confidently seen thighs decide: near
/// vertical and long means standing.
fn posture(sw: f32, hips: Option<Point>, rise: Option<f32>, p: &Person, g: &Geometry) -> Option<Posture> {
    if let Some(rise) = rise {
        if hips.is_some() {
            // Hips above the desk top: only a standing person.
            return Some(Posture::Standing);
        }
        return Some(if rise > 1.6 { Posture::Standing } else { Posture::Sitting });
    }
    let leg = |hip: usize, knee: usize| {
        let h = p.confident(hip, g.min_leg_conf)?;
        let k = p.confident(knee, g.min_leg_conf)?;
        let len = ((k.x - h.x).powi(2) + (k.y - h.y).powi(2)).sqrt() / sw;
        Some((((k.y - h.y) / ((k.x - h.x).abs() + 1e-3)).atan().to_degrees(), len))
    };
    match (leg(kp::LEFT_HIP, LEFT_KNEE), leg(kp::RIGHT_HIP, RIGHT_KNEE)) {
        (Some((a, la)), Some((b, lb))) => Some(if a.min(b) > 60.0 && la.min(lb) > 0.9 { Posture::Standing } else { Posture::Sitting }),
        // No desk line and no legs: the torso alone cannot tell.
        _ => None,
    }
}

/// Trunk flexion from upright, in degrees: forward lean from the torso's
/// foreshortening (hips seen) or from how far the shoulders have sunk
/// towards the desk against the clerk's upright baseline (hips hidden);
/// sideways lean from the torso's slant.
fn trunk_angle(sh: Point, sw: f32, hips: Option<Point>, rise: Option<f32>, upright: Option<f32>, tilt_deg: f32) -> Option<f32> {
    let tilt = tilt_deg.to_radians();
    if let Some(h) = hips {
        let r = (h.y - sh.y) / sw;
        // Apparent vertical length of a torso leaning θ towards a camera
        // tilted τ down: L·cos(θ + τ).
        let forward = ((r / TORSO_RATIO).clamp(-1.0, 1.0).acos() - tilt).to_degrees().max(0.0);
        let sideways = ((sh.x - h.x).abs() / (h.y - sh.y).abs().max(1e-3)).atan().to_degrees();
        return Some(forward.max(sideways));
    }
    let (rise, upright) = (rise?, upright?);
    if upright <= 0.05 {
        return None;
    }
    // Shoulders above the desk = L·cos θ − c, with c the hips' depth below
    // the desk as a share of L; relative to upright (θ = 0).
    let q = (rise / upright).clamp(-1.0, 1.2);
    let c = HIP_BELOW_DESK;
    let cos = (q * (1.0 - c) + c).clamp(-1.0, 1.0);
    Some(cos.acos().to_degrees())
}

/// The nose's drop below the ear line, scaled to metres by the ear span.
fn nose_drop(p: &Person, g: &Geometry) -> Option<f32> {
    let nose = p.confident(kp::NOSE, g.min_conf)?;
    let l = p.confident(kp::LEFT_EAR, g.min_conf)?;
    let r = p.confident(kp::RIGHT_EAR, g.min_conf)?;
    let span = ((l.x - r.x).powi(2) + (l.y - r.y).powi(2)).sqrt();
    (span >= 1.0).then(|| (nose.y - (l.y + r.y) / 2.0) / span * EAR_SPAN_M)
}

/// Head pitch (positive looking down), degrees from level, that explains a
/// nose drop seen by a camera tilted `tilt_deg` down. Differences of this
/// pitch against the clerk's level-head baseline give the neck flexion, so
/// errors in the head model and perspective cancel out.
pub fn head_pitch(observed: f32, tilt_deg: f32) -> f32 {
    let tilt = tilt_deg.to_radians();
    let model = |phi: f32| {
        let down = NOSE_DOWN_M * phi.cos() + NOSE_FORWARD_M * phi.sin();
        let forward = NOSE_FORWARD_M * phi.cos() - NOSE_DOWN_M * phi.sin();
        down * tilt.cos() + forward * tilt.sin()
    };
    // The model rises monotonically over this range; bisect.
    let (mut lo, mut hi) = ((-60f32).to_radians(), (80f32).to_radians());
    if observed <= model(lo) {
        return -60.0;
    }
    if observed >= model(hi) {
        return 80.0;
    }
    for _ in 0..30 {
        let mid = (lo + hi) / 2.0;
        if model(mid) < observed { lo = mid } else { hi = mid }
    }
    ((lo + hi) / 2.0).to_degrees()
}

/// Head down on the desk: the head clearly below the shoulders, by more
/// than 0.13 shoulder widths. A slouch leaves the head about level with the
/// shoulders (within ±0.15 above to 0.15 below seen from 1.8-2.6 m, 12-35°
/// on the simulator), a head resting on the desk 0.15-0.4 below. With no
/// face keypoints at all: shoulders sunk to the desk.
fn head_on_desk(p: &Person, sh: Point, sw: f32, rise: Option<f32>, g: &Geometry) -> Option<bool> {
    let head: Vec<_> = kp::HEAD.iter().filter_map(|&i| p.confident(i, g.min_conf)).collect();
    if head.is_empty() {
        // Face down: no face keypoints, shoulders low over the desk.
        return rise.map(|r| r < 0.45);
    }
    let hy = head.iter().map(|k| k.y).sum::<f32>() / head.len() as f32;
    Some((hy - sh.y) / sw > 0.13)
}

/// Crossed legs, judged only when both knees and both ankles are seen with
/// at least `min_leg_conf` (and above the desk line, if any: below it the
/// model guesses). Crossed when the ankles' left-right order is the reverse
/// of the knees' or hips', or one ankle rests by the other knee.
fn legs_crossed(p: &Person, sw: f32, g: &Geometry) -> Option<bool> {
    let c = |i: usize| p.confident(i, g.min_leg_conf);
    let (lk, rk, la, ra) = (c(LEFT_KNEE)?, c(RIGHT_KNEE)?, c(LEFT_ANKLE)?, c(RIGHT_ANKLE)?);
    let side = |l: f32, r: f32| (l - r).signum();
    let hips_side = match (p.confident(kp::LEFT_HIP, g.min_conf), p.confident(kp::RIGHT_HIP, g.min_conf)) {
        (Some(lh), Some(rh)) => side(lh.x, rh.x),
        _ => side(lk.x, rk.x),
    };
    let ankles_swapped = side(la.x, ra.x) != hips_side && (la.x - ra.x).abs() > 0.15 * sw;
    let knees_swapped = side(lk.x, rk.x) != hips_side && (lk.x - rk.x).abs() > 0.15 * sw;
    let near = |a: crate::vision::Keypoint, k: crate::vision::Keypoint| ((a.x - k.x).powi(2) + (a.y - k.y).powi(2)).sqrt() < 0.45 * sw;
    let ankle_on_knee = near(la, rk) || near(ra, lk);
    let knee_over_knee = (lk.y - rk.y).abs() > 0.25 * sw && (lk.x - rk.x).abs() < 0.35 * sw;
    Some(ankles_swapped || knees_swapped || ankle_on_knee || knee_over_knee)
}

#[cfg(test)]
#[path = "observe/tests.rs"]
mod tests;
