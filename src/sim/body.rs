//! Articulated adult figure driven by a few joint angles, with its own
//! segment lengths ([`Dims`]): people differ in stature and proportions, and
//! the rules must not assume any one body.
//!
//! A pose is built in the *body frame* — origin at the hip-joint centre,
//! `x` = the person's left, `y` = up, `z` = the way the pelvis faces — and then
//! rotated by `yaw` about the vertical and translated to `root` (world).
//!
//! * **Trunk**: the hip-centre → shoulder-centre vector (`dims.trunk` long) is
//!   pitched forward by `trunk_pitch_deg` (negative: reclined) and leaned
//!   sideways by `trunk_lateral_deg` (positive = towards the person's left).
//! * **Neck/head**: the shoulder-centre → head-centre vector (`dims.neck`
//!   long) is pitched a further `neck_deg` forward relative to the trunk. The
//!   head centre is the midpoint of the ears. `head_yaw_deg` turns the face
//!   (positive = towards the person's left).
//! * **Arms**: wrists are put at targets (e.g. on the desk) and elbows solved
//!   by two-bone IK, or hang at the sides.
//! * **Legs**: seated (thighs forward, shins vertical), crossed knee-over-knee,
//!   or standing/walking.

use super::noise::Rng;
use super::vec3::Vec3;

/// COCO-17 keypoint indices.
pub mod kp {
    pub const NOSE: usize = 0;
    pub const L_EYE: usize = 1;
    pub const R_EYE: usize = 2;
    pub const L_EAR: usize = 3;
    pub const R_EAR: usize = 4;
    pub const L_SHOULDER: usize = 5;
    pub const R_SHOULDER: usize = 6;
    pub const L_ELBOW: usize = 7;
    pub const R_ELBOW: usize = 8;
    pub const L_WRIST: usize = 9;
    pub const R_WRIST: usize = 10;
    pub const L_HIP: usize = 11;
    pub const R_HIP: usize = 12;
    pub const L_KNEE: usize = 13;
    pub const R_KNEE: usize = 14;
    pub const L_ANKLE: usize = 15;
    pub const R_ANKLE: usize = 16;
    pub const COUNT: usize = 17;
}

/// One person's segment lengths in metres (keypoint to keypoint) and face
/// size. [`Dims::AVERAGE`] is a 1.72 m adult.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    /// Hip centre → shoulder centre.
    pub trunk: f32,
    /// Half the distance between the shoulder joints.
    pub shoulder_half: f32,
    /// Half the distance between the hip keypoints.
    pub hip_half: f32,
    /// Shoulder centre → head centre (ear midpoint).
    pub neck: f32,
    /// Face size: 1.0 puts the nose tip 0.11 m ahead of the ear midpoint.
    pub head: f32,
    pub upper_arm: f32,
    pub forearm: f32,
    pub thigh: f32,
    /// Knee → ankle.
    pub shank: f32,
}

impl Dims {
    pub const AVERAGE: Dims = Dims {
        trunk: 0.50,
        shoulder_half: 0.19,
        hip_half: 0.15,
        neck: 0.20,
        head: 1.0,
        upper_arm: 0.30,
        forearm: 0.26,
        thigh: 0.42,
        shank: 0.40,
    };

    /// A random adult: stature 1.50–1.95 m, each proportion varied on its
    /// own by up to ±12 % (torso against shoulders, neck, head size, limbs).
    pub fn draw(rng: &mut Rng) -> Dims {
        let s = rng.range(1.50, 1.95) / 1.72;
        let mut v = |x: f32, spread: f32| x * s * rng.range(1.0 - spread, 1.0 + spread);
        let a = Dims::AVERAGE;
        Dims {
            trunk: v(a.trunk, 0.12),
            shoulder_half: v(a.shoulder_half, 0.12),
            hip_half: v(a.hip_half, 0.10),
            neck: v(a.neck, 0.15),
            head: v(a.head, 0.12),
            upper_arm: v(a.upper_arm, 0.06),
            forearm: v(a.forearm, 0.06),
            thigh: v(a.thigh, 0.06),
            shank: v(a.shank, 0.06),
        }
    }

    /// Height of the hip-joint centre when standing (ankle 0.08 m up).
    pub fn stand_hip_y(&self) -> f32 {
        self.thigh + self.shank + 0.08
    }

    /// Stature, roughly (for reports).
    pub fn stature(&self) -> f32 {
        self.stand_hip_y() + self.trunk + self.neck + 0.12 * self.head
    }
}

impl Default for Dims {
    fn default() -> Self {
        Dims::AVERAGE
    }
}

/// Leg configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Legs {
    /// Seated: thighs forward, shins roughly vertical, feet on the floor.
    Seated,
    /// Seated, one leg crossed knee-over-knee over the other.
    Crossed { right_over_left: bool },
    /// Standing; `swing` ∈ [-1, 1] is the walking gait phase value
    /// (0 = feet together).
    Standing { swing: f32 },
}

/// Arm configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arms {
    /// Wrists placed at world-frame targets (clamped to arm's reach); elbows
    /// point down and out (`fold = false`, working at a desk) or out to the
    /// sides (`fold = true`, arms folded as a pillow). When an elbow would dip
    /// below world height `elbow_min_y` (the desk top, for a person leaning
    /// over the desk) the elbow swings outwards/up instead.
    Reach { left: Vec3, right: Vec3, fold: bool, elbow_min_y: f32 },
    /// Hanging at the sides, swinging with `swing` ∈ [-1, 1].
    Hanging { swing: f32 },
}

/// All parameters of one pose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoseSpec {
    /// World position of the hip-joint centre.
    pub root: Vec3,
    /// Facing direction: 0 = facing `+z` (the counter); radians.
    pub yaw: f32,
    pub trunk_pitch_deg: f32,
    pub trunk_lateral_deg: f32,
    pub neck_deg: f32,
    pub head_yaw_deg: f32,
    /// Narrowing of the shoulders by rounding them forward (0 = none, 0.1 =
    /// 10 % narrower and forward by that much).
    pub protraction: f32,
    pub legs: Legs,
    pub arms: Arms,
}

impl PoseSpec {
    /// A neutral seated pose at `root`, arms hanging.
    pub fn seated(root: Vec3) -> PoseSpec {
        PoseSpec {
            root,
            yaw: 0.0,
            trunk_pitch_deg: 0.0,
            trunk_lateral_deg: 0.0,
            neck_deg: 0.0,
            head_yaw_deg: 0.0,
            protraction: 0.0,
            legs: Legs::Seated,
            arms: Arms::Hanging { swing: 0.0 },
        }
    }
}

/// A posed figure in world coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// COCO-17 joints, world frame.
    pub joints: [Vec3; kp::COUNT],
    /// Unit vector the face points along.
    pub face: Vec3,
    /// Unit vector from the head centre towards the left ear.
    pub head_left: Vec3,
    /// Radius of the head, for occlusion.
    pub head_r: f32,
}

impl Figure {
    /// Linear blend of joint positions (used for short transitions).
    pub fn lerp(a: &Figure, b: &Figure, t: f32) -> Figure {
        let mut joints = a.joints;
        for (j, bj) in joints.iter_mut().zip(b.joints.iter()) {
            *j = Vec3::lerp(*j, *bj, t);
        }
        Figure {
            joints,
            face: Vec3::lerp(a.face, b.face, t).norm(),
            head_left: Vec3::lerp(a.head_left, b.head_left, t).norm(),
            head_r: a.head_r + (b.head_r - a.head_r) * t,
        }
    }

    pub fn mid(&self, a: usize, b: usize) -> Vec3 {
        Vec3::lerp(self.joints[a], self.joints[b], 0.5)
    }

    pub fn shoulder_mid(&self) -> Vec3 {
        self.mid(kp::L_SHOULDER, kp::R_SHOULDER)
    }

    pub fn hip_mid(&self) -> Vec3 {
        self.mid(kp::L_HIP, kp::R_HIP)
    }

    pub fn head_centre(&self) -> Vec3 {
        self.mid(kp::L_EAR, kp::R_EAR)
    }

    /// Centre of the torso (mean of shoulder and hip midpoints).
    pub fn torso_centre(&self) -> Vec3 {
        Vec3::lerp(self.shoulder_mid(), self.hip_mid(), 0.5)
    }

    /// Ground-truth trunk inclination: 3-D angle between the hip-mid →
    /// shoulder-mid vector and the vertical, degrees (forward, sideways or
    /// reclined alike).
    pub fn trunk_deg(&self) -> f32 {
        Vec3::angle_deg(self.shoulder_mid() - self.hip_mid(), Vec3::Y)
    }

    /// Ground-truth neck flexion *relative to the trunk*: 3-D angle between the
    /// trunk vector and the shoulder-mid → ear-mid vector, degrees. The head's
    /// absolute pitch from vertical is roughly `trunk_deg + neck_deg`.
    pub fn neck_deg(&self) -> f32 {
        Vec3::angle_deg(self.shoulder_mid() - self.hip_mid(), self.head_centre() - self.shoulder_mid())
    }
}

/// Build the figure for a pose and a body.
pub fn build(p: &PoseSpec, d: &Dims) -> Figure {
    let to_world = |v: Vec3| p.root + v.rot_y(p.yaw);
    let to_body = |w: Vec3| (w - p.root).rot_y(-p.yaw);
    let mut j = [Vec3::ZERO; kp::COUNT];

    // Trunk frame: t = up the spine, l = towards the left shoulder, f = chest.
    let (pitch, lat) = (p.trunk_pitch_deg.to_radians(), p.trunk_lateral_deg.to_radians());
    let t = Vec3::new(lat.sin(), lat.cos() * pitch.cos(), lat.cos() * pitch.sin()).norm();
    let l = (Vec3::X - t * Vec3::X.dot(t)).norm();
    let f = l.cross(t);
    let s_mid = t * d.trunk;
    let half = d.shoulder_half * (1.0 - p.protraction);
    let fwd = f * (d.shoulder_half * p.protraction);
    j[kp::L_SHOULDER] = s_mid + l * half + fwd;
    j[kp::R_SHOULDER] = s_mid - l * half + fwd;

    // Head: neck axis n is the trunk axis pitched forward by neck_deg.
    let nk = p.neck_deg.to_radians();
    let n = (t * nk.cos() + f * nk.sin()).norm();
    let head = s_mid + fwd + n * d.neck;
    let f0 = l.cross(n);
    let hy = p.head_yaw_deg.to_radians();
    let face = (f0 * hy.cos() + l * hy.sin()).norm();
    let hl = (l * hy.cos() - f0 * hy.sin()).norm();
    let hs = d.head;
    j[kp::NOSE] = head + face * (0.11 * hs) - n * (0.025 * hs);
    j[kp::L_EYE] = head + face * (0.085 * hs) + n * (0.01 * hs) + hl * (0.032 * hs);
    j[kp::R_EYE] = head + face * (0.085 * hs) + n * (0.01 * hs) - hl * (0.032 * hs);
    j[kp::L_EAR] = head + hl * (0.075 * hs);
    j[kp::R_EAR] = head - hl * (0.075 * hs);

    arms(p, d, &mut j, l, to_body);
    legs(p.legs, d, &mut j);

    let mut out = [Vec3::ZERO; kp::COUNT];
    for (o, b) in out.iter_mut().zip(j.iter()) {
        *o = to_world(*b);
    }
    Figure { joints: out, face: face.rot_y(p.yaw), head_left: hl.rot_y(p.yaw), head_r: 0.10 * hs }
}

fn arms(p: &PoseSpec, d: &Dims, j: &mut [Vec3; kp::COUNT], l: Vec3, to_body: impl Fn(Vec3) -> Vec3) {
    let sides = [(1.0f32, kp::L_SHOULDER, kp::L_ELBOW, kp::L_WRIST), (-1.0f32, kp::R_SHOULDER, kp::R_ELBOW, kp::R_WRIST)];
    for (side, s, e, w) in sides {
        let sh = j[s];
        match p.arms {
            Arms::Reach { left, right, fold, elbow_min_y } => {
                let target = to_body(if side > 0.0 { left } else { right });
                let floor = elbow_min_y - p.root.y;
                let first = if fold { Vec3::new(side, -0.2, 0.2) } else { Vec3::new(side * 0.7, -1.0, -0.3) };
                let mut best = two_bone_ik(sh, target, d.upper_arm, d.forearm, first);
                // Elbow sinking into the desk: swing the pole from "down" towards
                // "forward and out" until the elbow rests on the desk top.
                let toward = Vec3::new(side * 0.6, 0.0, 1.0).norm();
                for step in 1..=18 {
                    if best.0.y >= floor {
                        break;
                    }
                    let th = (step as f32 * 10.0).to_radians();
                    best = two_bone_ik(sh, target, d.upper_arm, d.forearm, -Vec3::Y * th.cos() + toward * th.sin());
                }
                (j[e], j[w]) = best;
            }
            Arms::Hanging { swing } => {
                let a = (-20.0 * swing * side).to_radians(); // opposite to the same-side leg
                let down = -Vec3::Y * a.cos() + Vec3::Z * a.sin() + l * (side * 0.10);
                j[e] = sh + down.norm() * d.upper_arm;
                let fore = down.norm() + Vec3::Z * 0.3 + l * (side * 0.05);
                j[w] = j[e] + fore.norm() * d.forearm;
            }
        }
    }
}

fn legs(legs: Legs, d: &Dims, j: &mut [Vec3; kp::COUNT]) {
    j[kp::L_HIP] = Vec3::new(d.hip_half, 0.0, 0.0);
    j[kp::R_HIP] = Vec3::new(-d.hip_half, 0.0, 0.0);
    let seated = |side: f32, hip: Vec3| {
        let knee = hip + Vec3::new(side * 0.08, -0.05, 1.0).norm() * d.thigh;
        let ankle = knee + Vec3::new(side * 0.03, -1.0, 0.08).norm() * d.shank;
        (knee, ankle)
    };
    match legs {
        Legs::Seated => {
            (j[kp::L_KNEE], j[kp::L_ANKLE]) = seated(1.0, j[kp::L_HIP]);
            (j[kp::R_KNEE], j[kp::R_ANKLE]) = seated(-1.0, j[kp::R_HIP]);
        }
        Legs::Crossed { right_over_left } => {
            // Support leg sits normally; the crossing thigh rests on top of the
            // support knee (knees overlap in x, crossing knee ~9 cm higher) and
            // the crossing shin drapes across the support shin, its ankle ending
            // ~0.25 m below/outside the support knee.
            let (s, sk, sa, sh, ck, ca, ch) = if right_over_left {
                (1.0, kp::L_KNEE, kp::L_ANKLE, kp::L_HIP, kp::R_KNEE, kp::R_ANKLE, kp::R_HIP)
            } else {
                (-1.0, kp::R_KNEE, kp::R_ANKLE, kp::R_HIP, kp::L_KNEE, kp::L_ANKLE, kp::L_HIP)
            };
            let (k_s, a_s) = seated(s, j[sh]);
            j[sk] = k_s;
            j[sa] = a_s;
            let hip_c = j[ch];
            let k_c = hip_c + (k_s + Vec3::new(0.0, 0.10, -0.10) - hip_c).norm() * d.thigh;
            let a_c = k_c + (k_s + Vec3::new(s * 0.12, -0.22, 0.12) - k_c).norm() * d.shank;
            j[ck] = k_c;
            j[ca] = a_c;
        }
        Legs::Standing { swing } => {
            for (side, h, k, a) in [(1.0f32, kp::L_HIP, kp::L_KNEE, kp::L_ANKLE), (-1.0f32, kp::R_HIP, kp::R_KNEE, kp::R_ANKLE)] {
                let th = (22.0 * swing * side).to_radians();
                let sh = th - (8.0 * swing.abs()).to_radians();
                j[k] = j[h] + Vec3::new(side * 0.02, -th.cos(), th.sin()).norm() * d.thigh;
                j[a] = j[k] + Vec3::new(0.0, -sh.cos(), sh.sin()) * d.shank;
            }
        }
    }
}

/// Two-bone inverse kinematics. Returns (elbow, wrist) for a chain rooted at
/// `root` with bone lengths `a`, `b`, reaching for `target` (clamped to the
/// reachable shell); the elbow bends towards `pole`.
pub fn two_bone_ik(root: Vec3, target: Vec3, a: f32, b: f32, pole: Vec3) -> (Vec3, Vec3) {
    let to = target - root;
    let d = to.len().clamp((a - b).abs() + 1e-3, a + b - 1e-3);
    let n = to.norm();
    let mut pp = pole - n * pole.dot(n);
    if pp.len() < 1e-6 {
        pp = Vec3::Y.cross(n);
    }
    let pp = pp.norm();
    let cos_a = ((a * a + d * d - b * b) / (2.0 * a * d)).clamp(-1.0, 1.0);
    let sin_a = (1.0 - cos_a * cos_a).sqrt();
    let elbow = root + (n * cos_a + pp * sin_a) * a;
    (elbow, root + n * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upright() -> PoseSpec {
        PoseSpec::seated(Vec3::new(0.0, 0.5, 0.0))
    }

    #[test]
    fn bone_lengths_are_kept() {
        let mut p = upright();
        p.trunk_pitch_deg = 35.0;
        p.neck_deg = 20.0;
        p.arms =
            Arms::Reach { left: Vec3::new(0.2, 0.79, 0.5), right: Vec3::new(-0.2, 0.79, 0.5), fold: false, elbow_min_y: f32::NEG_INFINITY };
        let d = Dims::AVERAGE;
        let f = build(&p, &d);
        let dist = |a: usize, b: usize| f.joints[a].dist(f.joints[b]);
        assert!((dist(kp::L_SHOULDER, kp::L_ELBOW) - d.upper_arm).abs() < 1e-3);
        assert!((dist(kp::R_ELBOW, kp::R_WRIST) - d.forearm).abs() < 1e-3);
        assert!((dist(kp::L_HIP, kp::L_KNEE) - d.thigh).abs() < 1e-3);
        assert!((dist(kp::R_KNEE, kp::R_ANKLE) - d.shank).abs() < 1e-3);
        assert!((f.trunk_deg() - 35.0).abs() < 0.5);
        assert!((f.neck_deg() - 20.0).abs() < 0.5);
        // wrists reach the desk targets
        assert!(f.joints[kp::L_WRIST].dist(Vec3::new(0.2, 0.79, 0.5)) < 1e-3);
    }

    #[test]
    fn seated_heights_are_plausible() {
        let f = build(&upright(), &Dims::AVERAGE);
        assert!((f.joints[kp::L_SHOULDER].y - 1.0).abs() < 0.01);
        assert!((f.joints[kp::L_KNEE].y - 0.48).abs() < 0.02);
        assert!((f.joints[kp::L_ANKLE].y - 0.08).abs() < 0.02);
        // clerk faces the camera: left side at +x
        assert!(f.joints[kp::L_SHOULDER].x > 0.0 && f.joints[kp::L_EYE].x > 0.0);
        assert!(f.joints[kp::NOSE].z > f.joints[kp::L_EAR].z);
    }

    #[test]
    fn drawn_bodies_vary_in_proportion() {
        let mut rng = Rng::new(3);
        let bodies: Vec<Dims> = (0..400).map(|_| Dims::draw(&mut rng)).collect();
        let ratio = |d: &Dims| d.trunk / (2.0 * d.shoulder_half);
        let (lo, hi) = bodies.iter().map(ratio).fold((f32::MAX, f32::MIN), |(a, b), r| (a.min(r), b.max(r)));
        assert!(lo < 1.12 && hi > 1.5, "torso/shoulder ratios {lo}..{hi}");
        let (slo, shi) = bodies.iter().map(Dims::stature).fold((f32::MAX, f32::MIN), |(a, b), r| (a.min(r), b.max(r)));
        assert!(slo < 1.58 && shi > 1.85, "statures {slo}..{shi}");
    }

    #[test]
    fn crossed_knees_overlap() {
        let mut p = upright();
        p.legs = Legs::Crossed { right_over_left: true };
        let f = build(&p, &Dims::AVERAGE);
        let (lk, rk) = (f.joints[kp::L_KNEE], f.joints[kp::R_KNEE]);
        assert!((lk.x - rk.x).abs() < 0.06, "knees {lk:?} {rk:?}");
        assert!(rk.y > lk.y + 0.05);
        assert!(f.joints[kp::R_ANKLE].dist(lk) < 0.3);
        assert!(f.joints[kp::R_ANKLE].x > lk.x, "crossing ankle ends outside the support knee");
    }

    #[test]
    fn standing_hips_at_standing_height() {
        let mut p = upright();
        p.root.y = Dims::AVERAGE.stand_hip_y();
        p.legs = Legs::Standing { swing: 0.0 };
        let f = build(&p, &Dims::AVERAGE);
        assert!((f.joints[kp::L_ANKLE].y - 0.08).abs() < 0.01);
        assert!((f.joints[kp::L_SHOULDER].y - 1.4).abs() < 0.01);
    }
}
