//! The clerk's pose over time: segment → joint angles (+ idle sway) → figure,
//! with ~1 s blends between segments and a short walk off/on stage around
//! `Away` segments.
//!
//! Poses (angles in degrees, positions in metres, world frame):
//!
//! | clerk        | hip centre          | trunk | neck | arms                          | legs     |
//! |--------------|---------------------|-------|------|-------------------------------|----------|
//! | `Upright`    | (0, 0.50, 0)        | 4±2   | 10±5 | wrists on desk, z≈0.5         | seated   |
//! | `Slouch`     | (0, 0.50, 0)        | given±2 | given±3 | wrists on desk, z≈0.55 (0.68 and elbows on the desk if trunk ≥ 20°) | seated |
//! | `PickUp`     | (0, 0.50, -0.12)    | 45 fwd + 25 sideways | 20 | one hand to the floor | seated |
//! | `HeadOnDesk` | (0, 0.50, -0.05)    | 45    | 40   | folded under the head          | seated   |
//! | `CrossedLegs`| (0, 0.50, 0)        | 2±2   | 10±5 | wrists on desk                | crossed  |
//! | `Standing`   | (0, 0.90, -0.10)    | 2±1   | 8±3  | hanging                       | standing |

use super::body::{Arms, Figure, Legs, PoseSpec, build};
use super::noise::{Rng, Smooth};
use super::scenario::{Clerk, Scenario};
use super::scene::{CLERK_STAND_Z, SEAT_HIP_Y, STAND_HIP_Y, WALK_SPEED, WRIST_ON_DESK_Y};
use super::vec3::Vec3;

/// Blend time between consecutive segment poses, seconds.
pub const BLEND_S: f64 = 1.0;
/// Time spent walking off (start of `Away`) or on (end of `Away`), seconds.
pub const WALK_S: f64 = 3.0;

/// Idle-motion values at one instant, each roughly in `[-1, 1]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IdleSample {
    pub trunk: f32,
    pub lateral: f32,
    pub neck: f32,
    pub yaw: f32,
    pub lx: f32,
    pub lz: f32,
    pub rx: f32,
    pub rz: f32,
}

/// Smooth random idle motion (posture sway, head turns, hands moving on the desk).
#[derive(Debug, Clone)]
pub struct Idle {
    ch: [Smooth; 8],
}

impl Idle {
    pub fn new(rng: &mut Rng) -> Self {
        let hz = [0.02, 0.03, 0.05, 0.04, 0.12, 0.10, 0.13, 0.11];
        Idle {
            ch: hz.map(|f| Smooth::new(rng, f)),
        }
    }

    pub fn sample(&self, t: f64) -> IdleSample {
        let v = |i: usize| self.ch[i].at(t);
        IdleSample {
            trunk: v(0),
            lateral: v(1),
            neck: v(2),
            yaw: v(3),
            lx: v(4),
            lz: v(5),
            rx: v(6),
            rz: v(7),
        }
    }
}

/// Joint-angle pose of the clerk for a (non-`Away`) segment kind.
/// `side` (±1) is the body side a `PickUp` reaches to (+1 = left = image right).
pub fn pose_spec(clerk: Clerk, s: &IdleSample, side: f32) -> Option<PoseSpec> {
    let w = WRIST_ON_DESK_Y;
    // Leaning over the desk, the elbows rest on it rather than sinking into it.
    let desk_hands = |z: f32, over_desk: bool| Arms::Reach {
        left: Vec3::new(
            if over_desk { 0.14 } else { 0.20 } + 0.06 * s.lx,
            w,
            z + 0.07 * s.lz,
        ),
        right: Vec3::new(
            if over_desk { -0.14 } else { -0.20 } + 0.06 * s.rx,
            w,
            z + 0.07 * s.rz,
        ),
        fold: false,
        elbow_min_y: if over_desk {
            w - 0.02
        } else {
            f32::NEG_INFINITY
        },
    };
    let seated = |trunk: f32, neck: f32, yaw: f32, legs: Legs, arms: Arms| PoseSpec {
        root: Vec3::new(0.0, SEAT_HIP_Y, 0.0),
        yaw: 0.0,
        trunk_pitch_deg: trunk,
        trunk_lateral_deg: 2.0 * s.lateral,
        neck_deg: neck,
        head_yaw_deg: yaw,
        legs,
        arms,
    };
    Some(match clerk {
        Clerk::Upright => seated(
            4.0 + 2.0 * s.trunk,
            10.0 + 5.0 * s.neck,
            18.0 * s.yaw,
            Legs::Seated,
            desk_hands(0.50, false),
        ),
        Clerk::Slouch {
            trunk_deg,
            neck_deg,
        } => seated(
            trunk_deg + 2.0 * s.trunk,
            neck_deg + 3.0 * s.neck,
            10.0 * s.yaw,
            Legs::Seated,
            desk_hands(
                if trunk_deg >= 20.0 { 0.68 } else { 0.55 },
                trunk_deg >= 20.0,
            ),
        ),
        Clerk::CrossedLegs { right_over_left } => seated(
            2.0 + 2.0 * s.trunk,
            10.0 + 5.0 * s.neck,
            18.0 * s.yaw,
            Legs::Crossed { right_over_left },
            desk_hands(0.50, false),
        ),
        Clerk::PickUp => {
            let floor = Vec3::new(side * 0.50, 0.12, 0.05);
            let desk = Vec3::new(-side * 0.20, w, 0.45);
            let (left, right) = if side > 0.0 {
                (floor, desk)
            } else {
                (desk, floor)
            };
            PoseSpec {
                root: Vec3::new(0.0, SEAT_HIP_Y, -0.12),
                trunk_lateral_deg: 25.0 * side,
                head_yaw_deg: 15.0 * side,
                ..seated(
                    45.0,
                    20.0,
                    0.0,
                    Legs::Seated,
                    Arms::Reach {
                        left,
                        right,
                        fold: false,
                        elbow_min_y: f32::NEG_INFINITY,
                    },
                )
            }
        }
        Clerk::HeadOnDesk => PoseSpec {
            root: Vec3::new(0.0, SEAT_HIP_Y, -0.05),
            trunk_lateral_deg: 0.0,
            ..seated(
                45.0 + s.trunk,
                40.0,
                12.0 * s.yaw,
                Legs::Seated,
                Arms::Reach {
                    left: Vec3::new(-0.07, w, 0.48),
                    right: Vec3::new(0.07, w, 0.48),
                    fold: true,
                    elbow_min_y: w - 0.02,
                },
            )
        },
        Clerk::Standing => PoseSpec {
            root: Vec3::new(0.03 * s.lateral, STAND_HIP_Y, CLERK_STAND_Z),
            ..seated(
                2.0 + s.trunk,
                8.0 + 3.0 * s.neck,
                15.0 * s.yaw,
                Legs::Standing { swing: 0.0 },
                Arms::Hanging { swing: 0.0 },
            )
        },
        Clerk::Away => return None,
    })
}

/// A person walking sideways behind the desk (or in front of it), hips at
/// `(x, hip_y, z)`, heading towards `dir` (±1 along `x`).
pub fn walking(x: f32, z: f32, dir: f32, t: f64) -> Figure {
    let swing = (std::f64::consts::TAU * 0.9 * t).sin() as f32;
    build(&PoseSpec {
        root: Vec3::new(x, STAND_HIP_Y - 0.01, z),
        yaw: dir * std::f32::consts::FRAC_PI_2,
        trunk_pitch_deg: 4.0,
        trunk_lateral_deg: 0.0,
        neck_deg: 5.0,
        head_yaw_deg: 0.0,
        legs: Legs::Standing { swing },
        arms: Arms::Hanging { swing },
    })
}

/// The clerk's scripted timeline.
#[derive(Debug, Clone)]
pub struct ClerkTrack {
    spans: Vec<(f64, f64, Clerk)>,
    /// Per segment: the side reached to (`PickUp`) / walked off to and in from (`Away`).
    sides: Vec<f32>,
    idle: Idle,
}

impl ClerkTrack {
    pub fn new(sc: &Scenario, rng: &mut Rng) -> Self {
        let spans: Vec<_> = sc
            .segment_spans()
            .into_iter()
            .map(|(s, e, seg)| (s, e, seg.clerk))
            .collect();
        let sides = spans
            .iter()
            .map(|_| if rng.chance(0.5) { 1.0 } else { -1.0 })
            .collect();
        ClerkTrack {
            spans,
            sides,
            idle: Idle::new(rng),
        }
    }

    fn present(&self, i: usize) -> bool {
        self.spans.get(i).is_some_and(|s| s.2 != Clerk::Away)
    }

    /// Pose of segment `i` at absolute time `t`, without blending.
    fn target(&self, i: usize, t: f64) -> Option<Figure> {
        let (s, e, clerk) = self.spans[i];
        if clerk != Clerk::Away {
            return pose_spec(clerk, &self.idle.sample(t), self.sides[i]).map(|p| build(&p));
        }
        let tau = (t - s).clamp(0.0, e - s);
        let dir = self.sides[i];
        let walk_off = i > 0 && self.present(i - 1) && tau < WALK_S && tau <= (e - s) / 2.0;
        let walk_on = self.present(i + 1) && (e - s) - tau < WALK_S && !walk_off;
        if walk_off {
            Some(walking(
                dir * WALK_SPEED * tau as f32,
                CLERK_STAND_Z,
                dir,
                t,
            ))
        } else if walk_on {
            Some(walking(
                dir * WALK_SPEED * ((e - s) - tau) as f32,
                CLERK_STAND_Z,
                -dir,
                t,
            ))
        } else {
            None
        }
    }

    /// The clerk's figure at time `t` (seconds since scenario start), or
    /// `None` when off stage.
    pub fn figure_at(&self, t: f64) -> Option<Figure> {
        let i = self
            .spans
            .iter()
            .position(|&(s, e, _)| t >= s && t < e)
            .unwrap_or(self.spans.len().checked_sub(1)?);
        let cur = self.target(i, t);
        let tau = t - self.spans[i].0;
        if i == 0 || tau >= BLEND_S {
            return cur;
        }
        match (self.target(i - 1, t), cur) {
            (Some(prev), Some(cur)) => {
                let x = (tau / BLEND_S) as f32;
                Some(Figure::lerp(&prev, &cur, x * x * (3.0 - 2.0 * x)))
            }
            (_, cur) => cur,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seated_poses_keep_hands_on_desk() {
        let s = IdleSample::default();
        for c in [
            Clerk::Upright,
            Clerk::Slouch {
                trunk_deg: 40.0,
                neck_deg: 10.0,
            },
            Clerk::HeadOnDesk,
        ] {
            let f = build(&pose_spec(c, &s, 1.0).unwrap());
            for w in [
                super::super::body::kp::L_WRIST,
                super::super::body::kp::R_WRIST,
            ] {
                assert!(
                    (f.joints[w].y - WRIST_ON_DESK_Y).abs() < 0.02,
                    "{c:?} wrist {:?}",
                    f.joints[w]
                );
            }
        }
    }

    #[test]
    fn head_on_desk_head_is_low() {
        let f = build(&pose_spec(Clerk::HeadOnDesk, &IdleSample::default(), 1.0).unwrap());
        let h = f.head_centre();
        assert!(h.y < 0.95 && h.y > 0.8, "{h:?}");
        assert!(h.z > 0.3, "head over the desk: {h:?}");
    }

    #[test]
    fn away_walks_off_then_vanishes() {
        let sc = Scenario::new("a", "")
            .then(10.0, Clerk::Upright)
            .then(60.0, Clerk::Away)
            .then(10.0, Clerk::Upright);
        let tr = ClerkTrack::new(&sc, &mut Rng::new(1));
        assert!(tr.figure_at(11.5).is_some());
        assert!(tr.figure_at(30.0).is_none());
        assert!(tr.figure_at(68.5).is_some());
        assert!(tr.figure_at(75.0).is_some());
    }
}
