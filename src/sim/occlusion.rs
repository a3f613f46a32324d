//! Which joints can the camera really see?
//!
//! A joint is hidden when the sight line from the camera centre to the joint
//! passes through
//! * the **desk** — a solid block from the floor to the desk top (closed
//!   front). For a camera above the desk this hides everything of a seated
//!   clerk below the line through the desk's clerk-side top edge: the lap,
//!   hips, knees and feet;
//! * a **monitor** standing on the desk, where the window has one;
//! * **another person** nearer the camera (the citizen), modelled as capsules
//!   around torso, head and limbs;
//! * the person's **own head and torso**, for the arms (a hand under the head,
//!   an elbow behind a turned body);
//! * the person's **own head** — face points when the face is turned away
//!   from the camera (citizen's back, head face-down on the desk), an ear when
//!   it is on the far side of the head.
//!
//! Joints outside the image are reported separately.

use super::body::{Figure, kp};
use super::camera::Camera;
use super::scene::{Aabb, Scene};
use super::vec3::Vec3;

/// Why (or whether) a joint is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vis {
    Visible,
    /// Hidden behind/below the desk.
    Desk,
    /// Hidden behind another person.
    Body,
    /// Hidden by the person's own head (face turned away).
    SelfHead,
    /// Outside the image.
    OutOfFrame,
}

impl Vis {
    pub fn is_visible(self) -> bool {
        self == Vis::Visible
    }
}

/// A capsule (segment with radius) approximating a body part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capsule {
    pub a: Vec3,
    pub b: Vec3,
    pub r: f32,
}

/// Capsules for a person's torso, head, arms and legs.
pub fn body_capsules(f: &Figure) -> Vec<Capsule> {
    let j = &f.joints;
    let cap = |a: Vec3, b: Vec3, r: f32| Capsule { a, b, r };
    let head = f.head_centre();
    vec![
        cap(f.hip_mid(), f.shoulder_mid(), 0.16),
        cap(head, head, f.head_r * 1.1),
        cap(f.shoulder_mid(), head, 0.06),
        cap(j[kp::L_SHOULDER], j[kp::L_ELBOW], 0.05),
        cap(j[kp::R_SHOULDER], j[kp::R_ELBOW], 0.05),
        cap(j[kp::L_ELBOW], j[kp::L_WRIST], 0.045),
        cap(j[kp::R_ELBOW], j[kp::R_WRIST], 0.045),
        cap(j[kp::L_HIP], j[kp::L_KNEE], 0.08),
        cap(j[kp::R_HIP], j[kp::R_KNEE], 0.08),
        cap(j[kp::L_KNEE], j[kp::L_ANKLE], 0.06),
        cap(j[kp::R_KNEE], j[kp::R_ANKLE], 0.06),
    ]
}

/// Does the segment `c → p` pass through the box (a point inside counts)?
pub fn segment_hits_box(c: Vec3, p: Vec3, b: &Aabb) -> bool {
    let d = p - c;
    let (mut t0, mut t1) = (0.0f32, 1.0f32 - 1e-4);
    for (o, dd, lo, hi) in [(c.x, d.x, b.min.x, b.max.x), (c.y, d.y, b.min.y, b.max.y), (c.z, d.z, b.min.z, b.max.z)] {
        if dd.abs() < 1e-9 {
            if o < lo || o > hi {
                return false;
            }
        } else {
            let (mut a, mut bb) = ((lo - o) / dd, (hi - o) / dd);
            if a > bb {
                std::mem::swap(&mut a, &mut bb);
            }
            t0 = t0.max(a);
            t1 = t1.min(bb);
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// Closest points between segments `p1→q1` and `p2→q2`; returns
/// `(s, t, distance)` with `s`, `t` the parameters along each segment.
pub fn segment_distance(p1: Vec3, q1: Vec3, p2: Vec3, q2: Vec3) -> (f32, f32, f32) {
    let (d1, d2, r) = (q1 - p1, q2 - p2, p1 - p2);
    let (a, e, f) = (d1.dot(d1), d2.dot(d2), d2.dot(r));
    let (s, t);
    if a <= 1e-9 && e <= 1e-9 {
        return (0.0, 0.0, p1.dist(p2));
    }
    if a <= 1e-9 {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c = d1.dot(r);
        if e <= 1e-9 {
            t = 0.0;
            s = (-c / a).clamp(0.0, 1.0);
        } else {
            let b = d1.dot(d2);
            let denom = a * e - b * b;
            let s0 = if denom > 1e-9 { ((b * f - c * e) / denom).clamp(0.0, 1.0) } else { 0.0 };
            let t0 = (b * s0 + f) / e;
            if t0 < 0.0 {
                t = 0.0;
                s = (-c / a).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t = 1.0;
                s = ((b - c) / a).clamp(0.0, 1.0);
            } else {
                t = t0;
                s = s0;
            }
        }
    }
    let dist = (p1 + d1 * s).dist(p2 + d2 * t);
    (s, t, dist)
}

/// Does the sight line `c → p` pass through the capsule before reaching `p`?
pub fn segment_hits_capsule(c: Vec3, p: Vec3, cap: &Capsule) -> bool {
    let (s, _, dist) = segment_distance(c, p, cap.a, cap.b);
    dist < cap.r && s < 0.97
}

/// Classify each joint of `fig`. `occluders` are capsules of people nearer the
/// camera; `desk_hides_legs = false` models an open-front desk / side view in
/// which hips, knees and ankles are not hidden by the desk.
pub fn classify(fig: &Figure, cam: &Camera, scene: &Scene, occluders: &[Capsule], desk_hides_legs: bool) -> [Vis; kp::COUNT] {
    let c = cam.position();
    let desk = scene.desk_solid();
    let to_cam = (c - fig.head_centre()).norm();
    let head = fig.head_centre();
    let own = [Capsule { a: head, b: head, r: fig.head_r }, Capsule { a: fig.hip_mid(), b: fig.shoulder_mid(), r: 0.13 }];
    let mut out = [Vis::Visible; kp::COUNT];
    for (i, o) in out.iter_mut().enumerate() {
        let p = fig.joints[i];
        let lower = i >= kp::L_HIP;
        let arm = (kp::L_ELBOW..=kp::R_WRIST).contains(&i);
        *o = if !cam.in_frame(&cam.project(p)) {
            Vis::OutOfFrame
        } else if (desk_hides_legs || !lower) && segment_hits_box(c, p, &desk) {
            Vis::Desk
        } else if scene.monitor.is_some_and(|m| segment_hits_box(c, p, &m))
            || occluders.iter().any(|cap| segment_hits_capsule(c, p, cap))
            || (arm && own.iter().any(|cap| segment_hits_capsule(c, p, cap)))
        {
            Vis::Body
        } else if self_hidden(i, fig, to_cam) {
            Vis::SelfHead
        } else {
            Vis::Visible
        };
    }
    out
}

/// Face points need the face turned towards the camera; an eye or ear is lost
/// when it is well round the far side of the head.
fn self_hidden(i: usize, fig: &Figure, to_cam: Vec3) -> bool {
    let facing = fig.face.dot(to_cam);
    let side = |s: f32| (fig.head_left * s).dot(to_cam);
    match i {
        kp::NOSE => facing < 0.05,
        kp::L_EYE => facing < 0.05 || side(1.0) < -0.5,
        kp::R_EYE => facing < 0.05 || side(-1.0) < -0.5,
        kp::L_EAR => side(1.0) < -0.35,
        kp::R_EAR => side(-1.0) < -0.35,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_hit_and_miss() {
        let b = Scene::default().desk_solid();
        let cam = Vec3::new(0.0, 2.2, 2.6);
        // seated hip behind the desk: hidden
        assert!(segment_hits_box(cam, Vec3::new(0.0, 0.5, 0.0), &b));
        // head well above the desk: seen
        assert!(!segment_hits_box(cam, Vec3::new(0.0, 1.2, 0.0), &b));
        // a knee under the desk (inside the block): hidden
        assert!(segment_hits_box(cam, Vec3::new(0.1, 0.48, 0.42), &b));
        // a wrist resting on top: seen
        assert!(!segment_hits_box(cam, Vec3::new(0.2, 0.79, 0.5), &b));
    }

    #[test]
    fn capsule_blocks_sight_line() {
        let cap = Capsule { a: Vec3::new(0.0, 0.9, 1.1), b: Vec3::new(0.0, 1.4, 1.1), r: 0.16 };
        let cam = Vec3::new(0.0, 2.2, 2.6);
        let behind = Vec3::new(0.0, 0.2, -0.4);
        assert!(segment_hits_capsule(cam, behind, &cap));
        assert!(!segment_hits_capsule(cam, Vec3::new(1.0, 0.2, -0.4), &cap));
        // the capsule's own surface point is not "behind" it
        assert!(!segment_hits_capsule(cam, Vec3::new(0.0, 1.4, 1.25), &cap));
    }
}
