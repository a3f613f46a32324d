//! Articulated adult figure (≈1.72 m) driven by a few joint angles.
//!
//! A pose is built in the *body frame* — origin at the hip-joint centre,
//! `x` = the person's left, `y` = up, `z` = the way the pelvis faces — and then
//! rotated by `yaw` about the vertical and translated to `root` (world).
//!
//! * **Trunk**: the hip-centre → shoulder-centre vector ([`TRUNK`] long) is
//!   pitched forward by `trunk_pitch_deg` and leaned sideways by
//!   `trunk_lateral_deg` (positive = towards the person's left).
//! * **Neck/head**: the shoulder-centre → head-centre vector ([`NECK`] long) is
//!   pitched a further `neck_deg` forward relative to the trunk. The head
//!   centre is the midpoint of the ears. `head_yaw_deg` turns the face
//!   (positive = towards the person's left).
//! * **Arms**: wrists are put at targets (e.g. on the desk) and elbows solved
//!   by two-bone IK, or hang at the sides.
//! * **Legs**: seated (thighs forward, shins vertical), crossed knee-over-knee,
//!   or standing/walking.

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

/// Hip centre → shoulder centre.
pub const TRUNK: f32 = 0.50;
/// Half the distance between the shoulder joints.
pub const SHOULDER_HALF: f32 = 0.19;
/// Half the distance between the hip keypoints.
pub const HIP_HALF: f32 = 0.15;
/// Shoulder centre → head centre (ear midpoint).
pub const NECK: f32 = 0.20;
pub const UPPER_ARM: f32 = 0.30;
pub const FOREARM: f32 = 0.26;
pub const THIGH: f32 = 0.42;
/// Knee → ankle.
pub const SHANK: f32 = 0.40;

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
    Reach {
        left: Vec3,
        right: Vec3,
        fold: bool,
        elbow_min_y: f32,
    },
    /// Hanging at the sides, swinging with `swing` ∈ [-1, 1].
    Hanging { swing: f32 },
}

/// All parameters of one pose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoseSpec {
    /// World position of the hip-joint centre.
    pub root: Vec3,
    /// Facing direction: 0 = facing `+z` (the camera); radians.
    pub yaw: f32,
    pub trunk_pitch_deg: f32,
    pub trunk_lateral_deg: f32,
    pub neck_deg: f32,
    pub head_yaw_deg: f32,
    pub legs: Legs,
    pub arms: Arms,
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

    /// Ground-truth trunk flexion: 3-D angle between the hip-mid → shoulder-mid
    /// vector and the vertical, degrees.
    pub fn trunk_deg(&self) -> f32 {
        Vec3::angle_deg(self.shoulder_mid() - self.hip_mid(), Vec3::Y)
    }

    /// Ground-truth neck flexion *relative to the trunk*: 3-D angle between the
    /// trunk vector and the shoulder-mid → ear-mid vector, degrees. The head's
    /// absolute pitch from vertical is roughly `trunk_deg + neck_deg`.
    pub fn neck_deg(&self) -> f32 {
        Vec3::angle_deg(
            self.shoulder_mid() - self.hip_mid(),
            self.head_centre() - self.shoulder_mid(),
        )
    }
}

/// Build the figure for a pose.
pub fn build(p: &PoseSpec) -> Figure {
    let to_world = |v: Vec3| p.root + v.rot_y(p.yaw);
    let to_body = |w: Vec3| (w - p.root).rot_y(-p.yaw);
    let mut j = [Vec3::ZERO; kp::COUNT];

    // Trunk frame: t = up the spine, l = towards the left shoulder, f = chest.
    let (pitch, lat) = (
        p.trunk_pitch_deg.to_radians(),
        p.trunk_lateral_deg.to_radians(),
    );
    let t = Vec3::new(lat.sin(), lat.cos() * pitch.cos(), lat.cos() * pitch.sin()).norm();
    let l = (Vec3::X - t * Vec3::X.dot(t)).norm();
    let f = l.cross(t);
    let s_mid = t * TRUNK;
    j[kp::L_SHOULDER] = s_mid + l * SHOULDER_HALF;
    j[kp::R_SHOULDER] = s_mid - l * SHOULDER_HALF;

    // Head: neck axis n is the trunk axis pitched forward by neck_deg.
    let nk = p.neck_deg.to_radians();
    let n = (t * nk.cos() + f * nk.sin()).norm();
    let head = s_mid + n * NECK;
    let f0 = l.cross(n);
    let hy = p.head_yaw_deg.to_radians();
    let face = (f0 * hy.cos() + l * hy.sin()).norm();
    let hl = (l * hy.cos() - f0 * hy.sin()).norm();
    j[kp::NOSE] = head + face * 0.11 - n * 0.025;
    j[kp::L_EYE] = head + face * 0.085 + n * 0.01 + hl * 0.032;
    j[kp::R_EYE] = head + face * 0.085 + n * 0.01 - hl * 0.032;
    j[kp::L_EAR] = head + hl * 0.075;
    j[kp::R_EAR] = head - hl * 0.075;

    arms(p, &mut j, l, to_body);
    legs(p.legs, &mut j);

    let mut out = [Vec3::ZERO; kp::COUNT];
    for (o, b) in out.iter_mut().zip(j.iter()) {
        *o = to_world(*b);
    }
    Figure {
        joints: out,
        face: face.rot_y(p.yaw),
        head_left: hl.rot_y(p.yaw),
    }
}

fn arms(p: &PoseSpec, j: &mut [Vec3; kp::COUNT], l: Vec3, to_body: impl Fn(Vec3) -> Vec3) {
    let sides = [
        (1.0f32, kp::L_SHOULDER, kp::L_ELBOW, kp::L_WRIST),
        (-1.0f32, kp::R_SHOULDER, kp::R_ELBOW, kp::R_WRIST),
    ];
    for (side, s, e, w) in sides {
        let sh = j[s];
        match p.arms {
            Arms::Reach {
                left,
                right,
                fold,
                elbow_min_y,
            } => {
                let target = to_body(if side > 0.0 { left } else { right });
                let floor = elbow_min_y - p.root.y;
                let first = if fold {
                    Vec3::new(side, -0.2, 0.2)
                } else {
                    Vec3::new(side * 0.7, -1.0, -0.3)
                };
                let mut best = two_bone_ik(sh, target, UPPER_ARM, FOREARM, first);
                // Elbow sinking into the desk: swing the pole from "down" towards
                // "forward and out" until the elbow rests on the desk top.
                let toward = Vec3::new(side * 0.6, 0.0, 1.0).norm();
                for step in 1..=18 {
                    if best.0.y >= floor {
                        break;
                    }
                    let th = (step as f32 * 10.0).to_radians();
                    best = two_bone_ik(
                        sh,
                        target,
                        UPPER_ARM,
                        FOREARM,
                        -Vec3::Y * th.cos() + toward * th.sin(),
                    );
                }
                (j[e], j[w]) = best;
            }
            Arms::Hanging { swing } => {
                let a = (-20.0 * swing * side).to_radians(); // opposite to the same-side leg
                let down = -Vec3::Y * a.cos() + Vec3::Z * a.sin() + l * (side * 0.10);
                j[e] = sh + down.norm() * UPPER_ARM;
                let fore = down.norm() + Vec3::Z * 0.3 + l * (side * 0.05);
                j[w] = j[e] + fore.norm() * FOREARM;
            }
        }
    }
}

fn legs(legs: Legs, j: &mut [Vec3; kp::COUNT]) {
    j[kp::L_HIP] = Vec3::new(HIP_HALF, 0.0, 0.0);
    j[kp::R_HIP] = Vec3::new(-HIP_HALF, 0.0, 0.0);
    let seated = |side: f32, hip: Vec3| {
        let knee = hip + Vec3::new(side * 0.08, -0.05, 1.0).norm() * THIGH;
        let ankle = knee + Vec3::new(side * 0.03, -1.0, 0.08).norm() * SHANK;
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
                (
                    1.0,
                    kp::L_KNEE,
                    kp::L_ANKLE,
                    kp::L_HIP,
                    kp::R_KNEE,
                    kp::R_ANKLE,
                    kp::R_HIP,
                )
            } else {
                (
                    -1.0,
                    kp::R_KNEE,
                    kp::R_ANKLE,
                    kp::R_HIP,
                    kp::L_KNEE,
                    kp::L_ANKLE,
                    kp::L_HIP,
                )
            };
            let (k_s, a_s) = seated(s, j[sh]);
            j[sk] = k_s;
            j[sa] = a_s;
            let hip_c = j[ch];
            let k_c = hip_c + (k_s + Vec3::new(0.0, 0.10, -0.10) - hip_c).norm() * THIGH;
            let a_c = k_c + (k_s + Vec3::new(s * 0.12, -0.22, 0.12) - k_c).norm() * SHANK;
            j[ck] = k_c;
            j[ca] = a_c;
        }
        Legs::Standing { swing } => {
            for (side, h, k, a) in [
                (1.0f32, kp::L_HIP, kp::L_KNEE, kp::L_ANKLE),
                (-1.0f32, kp::R_HIP, kp::R_KNEE, kp::R_ANKLE),
            ] {
                let th = (22.0 * swing * side).to_radians();
                let sh = th - (8.0 * swing.abs()).to_radians();
                j[k] = j[h] + Vec3::new(side * 0.02, -th.cos(), th.sin()).norm() * THIGH;
                j[a] = j[k] + Vec3::new(0.0, -sh.cos(), sh.sin()) * SHANK;
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
        PoseSpec {
            root: Vec3::new(0.0, 0.5, 0.0),
            yaw: 0.0,
            trunk_pitch_deg: 0.0,
            trunk_lateral_deg: 0.0,
            neck_deg: 0.0,
            head_yaw_deg: 0.0,
            legs: Legs::Seated,
            arms: Arms::Hanging { swing: 0.0 },
        }
    }

    #[test]
    fn bone_lengths_are_kept() {
        let mut p = upright();
        p.trunk_pitch_deg = 35.0;
        p.neck_deg = 20.0;
        p.arms = Arms::Reach {
            left: Vec3::new(0.2, 0.79, 0.5),
            right: Vec3::new(-0.2, 0.79, 0.5),
            fold: false,
            elbow_min_y: f32::NEG_INFINITY,
        };
        let f = build(&p);
        let d = |a: usize, b: usize| f.joints[a].dist(f.joints[b]);
        assert!((d(kp::L_SHOULDER, kp::L_ELBOW) - UPPER_ARM).abs() < 1e-3);
        assert!((d(kp::R_ELBOW, kp::R_WRIST) - FOREARM).abs() < 1e-3);
        assert!((d(kp::L_HIP, kp::L_KNEE) - THIGH).abs() < 1e-3);
        assert!((d(kp::R_KNEE, kp::R_ANKLE) - SHANK).abs() < 1e-3);
        assert!((f.trunk_deg() - 35.0).abs() < 0.5);
        assert!((f.neck_deg() - 20.0).abs() < 0.5);
        // wrists reach the desk targets
        assert!(f.joints[kp::L_WRIST].dist(Vec3::new(0.2, 0.79, 0.5)) < 1e-3);
    }

    #[test]
    fn seated_heights_are_plausible() {
        let f = build(&upright());
        assert!((f.joints[kp::L_SHOULDER].y - 1.0).abs() < 0.01);
        assert!((f.joints[kp::L_KNEE].y - 0.48).abs() < 0.02);
        assert!((f.joints[kp::L_ANKLE].y - 0.08).abs() < 0.02);
        // clerk faces the camera: left side at +x
        assert!(f.joints[kp::L_SHOULDER].x > 0.0 && f.joints[kp::L_EYE].x > 0.0);
        assert!(f.joints[kp::NOSE].z > f.joints[kp::L_EAR].z);
    }

    #[test]
    fn crossed_knees_overlap() {
        let mut p = upright();
        p.legs = Legs::Crossed {
            right_over_left: true,
        };
        let f = build(&p);
        let (lk, rk) = (f.joints[kp::L_KNEE], f.joints[kp::R_KNEE]);
        assert!((lk.x - rk.x).abs() < 0.06, "knees {lk:?} {rk:?}");
        assert!(rk.y > lk.y + 0.05);
        assert!(f.joints[kp::R_ANKLE].dist(lk) < 0.3);
        assert!(
            f.joints[kp::R_ANKLE].x > lk.x,
            "crossing ankle ends outside the support knee"
        );
    }

    #[test]
    fn standing_hips_at_standing_height() {
        let mut p = upright();
        p.root.y = 0.9;
        p.legs = Legs::Standing { swing: 0.0 };
        let f = build(&p);
        assert!((f.joints[kp::L_ANKLE].y - 0.08).abs() < 0.01);
        assert!((f.joints[kp::L_SHOULDER].y - 1.4).abs() < 0.01);
    }
}
