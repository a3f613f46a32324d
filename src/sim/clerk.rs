//! The clerk's pose over time: segment → joint angles (+ idle sway) → figure,
//! with ~1 s blends between segments and a short walk off/on stage around
//! `Away` segments.
//!
//! Each window's clerk has a body ([`Dims`]) and habits ([`Traits`]): how far
//! they usually lean and bend the neck when upright, how they are turned
//! towards their screen, how much they fidget. Every segment draws its own
//! variation of its form (angles, the side leant to, how far the chair has
//! drifted), so no two episodes of the same behaviour look alike.
//!
//! | clerk | trunk | neck | arms |
//! |---|---|---|---|
//! | `Upright` | habit 0–8° | habit 3–15° | wrists on the desk |
//! | `Busy::Typing` | habit | habit | wrists close together near the edge |
//! | `Busy::Writing` | habit + 3–6 (≤ 12) | ≤ 15 | one hand writing near the edge |
//! | `Busy::LeaningBack` | reclined 8–18° | habit | hands at the desk edge |
//! | `Busy::TurnedAside` | habit, turned 35–60° | habit | on the desk |
//! | `Busy::LookingDown` | habit | 30–45 | on the desk |
//! | `Slouch::*` | see [`SlouchForm`] | | |
//! | `HeadOnDesk::*` | 40–70, limited so the shoulders stay above the desk | bent until the head rests | see [`HeadForm`] |
//! | `Standing` | 2±1 | 8±3 | hanging |

use super::body::{Arms, Dims, Figure, Legs, PoseSpec, build};
use super::noise::{Rng, Smooth};
use super::scenario::{BusyForm, Clerk, HeadForm, Scenario, SlouchForm};
use super::scene::{CLERK_STAND_Z, Scene, WALK_SPEED};
use super::vec3::Vec3;

/// Blend time between consecutive segment poses, seconds.
pub const BLEND_S: f64 = 1.0;
/// Time spent walking off (start of `Away`) or on (end of `Away`), seconds.
pub const WALK_S: f64 = 3.0;

/// One clerk's body and habits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traits {
    pub dims: Dims,
    /// Usual trunk flexion when sitting upright, degrees.
    pub habit_trunk_deg: f32,
    /// Usual neck flexion when sitting upright, degrees.
    pub habit_neck_deg: f32,
    /// The body's usual turn away from facing the counter (positive: towards
    /// the clerk's left), degrees.
    pub yaw_deg: f32,
    /// Scale of the idle sway (1 = average).
    pub fidget: f32,
}

impl Default for Traits {
    fn default() -> Self {
        Traits { dims: Dims::AVERAGE, habit_trunk_deg: 4.0, habit_neck_deg: 10.0, yaw_deg: 0.0, fidget: 1.0 }
    }
}

impl Traits {
    /// A random clerk: any body, turned up to ±`max_yaw_deg`.
    pub fn draw(rng: &mut Rng, max_yaw_deg: f32) -> Traits {
        Traits {
            dims: Dims::draw(rng),
            habit_trunk_deg: rng.range(0.0, 8.0),
            habit_neck_deg: rng.range(3.0, 15.0),
            yaw_deg: rng.range(-max_yaw_deg, max_yaw_deg),
            fidget: rng.range(0.6, 1.4),
        }
    }
}

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

impl IdleSample {
    fn scaled(self, k: f32) -> IdleSample {
        IdleSample {
            trunk: self.trunk * k,
            lateral: self.lateral * k,
            neck: self.neck * k,
            yaw: self.yaw * k,
            lx: self.lx * k,
            lz: self.lz * k,
            rx: self.rx * k,
            rz: self.rz * k,
        }
    }
}

/// Smooth random idle motion (posture sway, head turns, hands moving on the desk).
#[derive(Debug, Clone)]
pub struct Idle {
    ch: [Smooth; 8],
}

impl Idle {
    pub fn new(rng: &mut Rng) -> Self {
        let hz = [0.02, 0.03, 0.05, 0.04, 0.12, 0.10, 0.13, 0.11];
        Idle { ch: hz.map(|f| Smooth::new(rng, f)) }
    }

    pub fn sample(&self, t: f64) -> IdleSample {
        let v = |i: usize| self.ch[i].at(t);
        IdleSample { trunk: v(0), lateral: v(1), neck: v(2), yaw: v(3), lx: v(4), lz: v(5), rx: v(6), rz: v(7) }
    }
}

/// What one segment drew for its form: the side it favours (±1), four
/// uniform numbers for the form's ranges, and the chair's drift (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variation {
    pub side: f32,
    pub u: [f32; 4],
    pub chair_z: f32,
}

impl Default for Variation {
    fn default() -> Self {
        Variation { side: 1.0, u: [0.5; 4], chair_z: 0.0 }
    }
}

/// Where things are for one pose: the clerk's body and habits, the window's
/// furniture and the segment's variation.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    pub traits: &'a Traits,
    pub scene: &'a Scene,
    pub var: Variation,
}

impl Setting<'_> {
    fn root(&self) -> Vec3 {
        Vec3::new(0.0, self.scene.seat_hip_y, self.var.chair_z)
    }

    /// A world point on the desk `ahead` metres beyond its edge and `x`
    /// metres to the clerk's left of the clerk's facing line.
    fn on_desk(&self, x: f32, ahead: f32, yaw: f32) -> Vec3 {
        let root = self.root();
        let local = Vec3::new(x, 0.0, self.scene.desk_back_z - root.z + ahead).rot_y(yaw);
        Vec3::new(root.x + local.x, self.scene.wrist_on_desk_y(), root.z + local.z)
    }
}

fn lerp(a: f32, b: f32, u: f32) -> f32 {
    a + (b - a) * u
}

/// Joint-angle pose of the clerk for a (non-`Away`) segment kind.
pub fn pose_spec(clerk: Clerk, idle: &IdleSample, st: &Setting) -> Option<PoseSpec> {
    let (tr, sc, v) = (st.traits, st.scene, st.var);
    let still = matches!(clerk, Clerk::HeadOnDesk { .. });
    let s = idle.scaled(if still { 0.2 } else { tr.fidget });
    let yaw = tr.yaw_deg.to_radians();
    let desk = sc.desk_top_y;
    let hands = |x: f32, ahead: f32, over_desk: bool, yaw: f32| Arms::Reach {
        left: st.on_desk(x + 0.06 * s.lx, ahead + 0.07 * s.lz, yaw),
        right: st.on_desk(-x + 0.06 * s.rx, ahead + 0.07 * s.rz, yaw),
        fold: false,
        elbow_min_y: if over_desk { desk + 0.02 } else { f32::NEG_INFINITY },
    };
    let base = |trunk: f32, neck: f32, head_yaw: f32, arms: Arms| PoseSpec {
        root: st.root(),
        yaw,
        trunk_pitch_deg: trunk,
        trunk_lateral_deg: 2.0 * s.lateral,
        neck_deg: neck,
        head_yaw_deg: head_yaw,
        protraction: 0.0,
        legs: Legs::Seated,
        arms,
    };
    let habit_t = tr.habit_trunk_deg + 2.0 * s.trunk;
    let habit_n = tr.habit_neck_deg + 5.0 * s.neck;
    let upright = base(habit_t, habit_n, 18.0 * s.yaw, hands(0.20, 0.25, false, yaw));
    Some(match clerk {
        Clerk::Upright => upright,
        Clerk::Busy { form } => match form {
            BusyForm::Typing => base(habit_t, habit_n, 8.0 * s.yaw, hands(0.12, 0.15, false, yaw)),
            BusyForm::Writing => {
                let trunk = (tr.habit_trunk_deg + lerp(3.0, 6.0, v.u[0]) + s.trunk).min(12.0);
                let neck = (tr.habit_neck_deg + 3.0 + 2.0 * s.neck).min(15.0);
                let arms = Arms::Reach {
                    left: st.on_desk(0.22, 0.25, yaw),
                    right: st.on_desk(-0.04 + 0.05 * s.rx, 0.18 + 0.04 * s.rz, yaw),
                    fold: false,
                    elbow_min_y: f32::NEG_INFINITY,
                };
                base(trunk, neck, 6.0 * s.yaw, arms)
            }
            BusyForm::LeaningBack => PoseSpec {
                root: st.root() + Vec3::new(0.0, 0.0, 0.04),
                ..base(-lerp(8.0, 18.0, v.u[0]) + s.trunk, habit_n + 5.0, 12.0 * s.yaw, hands(0.22, 0.02, false, yaw))
            },
            BusyForm::TurnedAside => {
                let turn = yaw + (v.side * lerp(35.0, 60.0, v.u[0])).to_radians();
                PoseSpec { yaw: turn, ..base(habit_t, habit_n, v.side * 10.0 + 10.0 * s.yaw, hands(0.20, 0.25, false, turn)) }
            }
            BusyForm::LookingDown => {
                base(habit_t + 2.0, lerp(30.0, 45.0, v.u[0]) + 2.0 * s.neck, 5.0 * s.yaw, hands(0.20, 0.22, false, yaw))
            }
        },
        Clerk::Slouch { trunk_deg, neck_deg, form } => {
            let trunk = trunk_deg + 2.0 * s.trunk;
            let neck = neck_deg + 3.0 * s.neck;
            match form {
                SlouchForm::Hunch => {
                    let far = trunk_deg >= 20.0;
                    base(trunk, neck, 10.0 * s.yaw, hands(if far { 0.14 } else { 0.20 }, if far { 0.43 } else { 0.30 }, far, yaw))
                }
                SlouchForm::RoundedBack => {
                    PoseSpec { protraction: lerp(0.08, 0.15, v.u[1]), ..base(trunk, neck, 10.0 * s.yaw, hands(0.16, 0.32, true, yaw)) }
                }
                SlouchForm::ForwardLean => base(trunk, neck, 10.0 * s.yaw, hands(0.12, 0.36, true, yaw)),
                SlouchForm::SlidDown => {
                    // Sitting on the sacrum: hips well forward and down, the
                    // trunk reclined, the shoulders about 10 cm lower.
                    let root = st.root() + Vec3::new(0.0, -lerp(0.05, 0.08, v.u[1]), lerp(0.15, 0.25, v.u[0]));
                    let arms = if v.u[3] < 0.5 { Arms::Hanging { swing: 0.0 } } else { hands(0.22, 0.0, false, yaw) };
                    PoseSpec { root, ..base(-lerp(18.0, 30.0, v.u[2]) + s.trunk, neck, 10.0 * s.yaw, arms) }
                }
                SlouchForm::ElbowLean => {
                    let lean = yaw;
                    let (near, far) = (st.on_desk(v.side * 0.04, 0.24, lean), st.on_desk(-v.side * 0.22, 0.28, lean));
                    let (left, right) = if v.side > 0.0 { (near, far) } else { (far, near) };
                    PoseSpec {
                        trunk_lateral_deg: v.side * lerp(12.0, 25.0, v.u[0]),
                        ..base(trunk, neck, 10.0 * s.yaw, Arms::Reach { left, right, fold: false, elbow_min_y: desk + 0.02 })
                    }
                }
                SlouchForm::NeckBend => {
                    let phone = |x: f32| {
                        let p = st.on_desk(x, 0.03, yaw);
                        Vec3::new(p.x, desk + 0.06, p.z)
                    };
                    let trunk = (tr.habit_trunk_deg + lerp(0.0, 4.0, v.u[0])).min(10.0) + s.trunk;
                    base(
                        trunk,
                        neck,
                        5.0 * s.yaw,
                        Arms::Reach { left: phone(0.06), right: phone(-0.06), fold: false, elbow_min_y: f32::NEG_INFINITY },
                    )
                }
            }
        }
        Clerk::CrossedLegs { right_over_left } => PoseSpec {
            legs: Legs::Crossed { right_over_left },
            ..base(habit_t.min(4.0), habit_n, 18.0 * s.yaw, hands(0.20, 0.25, false, yaw))
        },
        Clerk::PickUp => {
            let root = st.root();
            let floor = Vec3::new(v.side * 0.50, 0.12, root.z + 0.05);
            let on_desk = st.on_desk(-v.side * 0.20, 0.20, yaw);
            let (left, right) = if v.side > 0.0 { (floor, on_desk) } else { (on_desk, floor) };
            PoseSpec {
                root: root + Vec3::new(0.0, 0.0, -0.12),
                trunk_lateral_deg: 25.0 * v.side,
                head_yaw_deg: 15.0 * v.side,
                ..base(45.0, 20.0, 0.0, Arms::Reach { left, right, fold: false, elbow_min_y: f32::NEG_INFINITY })
            }
        }
        Clerk::HeadOnDesk { form, trunk_deg } => head_on_desk(form, trunk_deg, &s, st, yaw),
        Clerk::Standing => PoseSpec {
            root: Vec3::new(0.03 * s.lateral, tr.dims.stand_hip_y(), CLERK_STAND_Z),
            arms: Arms::Hanging { swing: 0.0 },
            legs: Legs::Standing { swing: 0.0 },
            ..base(2.0 + s.trunk, 8.0 + 3.0 * s.neck, 15.0 * s.yaw, Arms::Hanging { swing: 0.0 })
        },
        Clerk::Away => return None,
    })
}

/// The head resting on the desk: the trunk bent as far as the shoulders
/// stay above the desk top, the neck bent until the head centre rests at
/// the form's height (on the forearms, a hand, or the desk itself).
fn head_on_desk(form: HeadForm, trunk_deg: f32, s: &IdleSample, st: &Setting, yaw: f32) -> PoseSpec {
    let (d, sc, v) = (&st.traits.dims, st.scene, st.var);
    let desk = sc.desk_top_y;
    let root = st.root() + Vec3::new(0.0, 0.0, -lerp(0.03, 0.10, v.u[0]));
    let trunk_want = match form {
        HeadForm::HandProp => trunk_deg.clamp(35.0, 55.0),
        _ => trunk_deg,
    } + 2.0 * s.trunk;
    // Shoulders at least 5 cm above the desk top once they are over it.
    let lowest = ((desk + 0.05 - root.y) / d.trunk).clamp(-1.0, 1.0).acos().to_degrees();
    let trunk = trunk_want.min(lowest);
    let th = trunk.to_radians();
    let shoulder = root + Vec3::new(0.0, d.trunk * th.cos(), d.trunk * th.sin()).rot_y(0.0);
    let rest_y = match form {
        HeadForm::FoldedArms => desk + 0.06 + 0.09 * d.head,
        HeadForm::OneArm => desk + 0.05 + 0.09 * d.head,
        HeadForm::HandProp => desk + lerp(0.18, 0.28, v.u[1]),
        HeadForm::Forehead => desk + 0.09 * d.head,
    };
    let pitch = ((rest_y - shoulder.y) / d.neck).clamp(-1.0, 1.0).acos().to_degrees();
    let neck = (pitch - trunk).clamp(0.0, 100.0);
    let np = (trunk + neck).to_radians();
    let head = shoulder + Vec3::new(0.0, d.neck * np.cos(), d.neck * np.sin());
    let to_world = |local: Vec3| root + local.rot_y(yaw);
    let head_w = to_world(head - root);
    let wy = sc.wrist_on_desk_y();
    let at = |x: f32, z: f32| Vec3::new(x, wy, z);
    let desk_hand = |x: f32| st.on_desk(x, 0.30, yaw);
    let (head_yaw, arms) = match form {
        HeadForm::FoldedArms => {
            let turn = if v.u[2] < 0.5 { v.side * lerp(40.0, 80.0, v.u[3]) } else { 8.0 * s.yaw };
            (
                turn,
                Arms::Reach {
                    left: at(head_w.x - 0.08, head_w.z + 0.02),
                    right: at(head_w.x + 0.08, head_w.z + 0.02),
                    fold: true,
                    elbow_min_y: desk,
                },
            )
        }
        HeadForm::OneArm => {
            let under = at(head_w.x - v.side * 0.16, head_w.z + 0.04);
            let other =
                if v.u[2] < 0.5 { desk_hand(-v.side * 0.30) } else { Vec3::new(-v.side * 0.3, sc.seat_hip_y + 0.05, root.z + 0.25) };
            let (left, right) = if v.side > 0.0 { (under, other) } else { (other, under) };
            (v.side * lerp(55.0, 85.0, v.u[3]), Arms::Reach { left, right, fold: true, elbow_min_y: desk })
        }
        HeadForm::HandProp => {
            let cheek = head_w + Vec3::new(v.side * 0.05, -0.07, 0.04);
            let other = desk_hand(-v.side * 0.22);
            let (left, right) = if v.side > 0.0 { (cheek, other) } else { (other, cheek) };
            (v.side * lerp(5.0, 25.0, v.u[3]), Arms::Reach { left, right, fold: false, elbow_min_y: desk + 0.01 })
        }
        HeadForm::Forehead => {
            let arms = if v.u[2] < 0.6 {
                Arms::Reach { left: at(head_w.x - 0.28, head_w.z), right: at(head_w.x + 0.28, head_w.z), fold: true, elbow_min_y: desk }
            } else {
                Arms::Hanging { swing: 0.0 }
            };
            (4.0 * s.yaw, arms)
        }
    };
    PoseSpec {
        root,
        yaw,
        trunk_pitch_deg: trunk,
        trunk_lateral_deg: 1.0 * s.lateral,
        neck_deg: neck,
        head_yaw_deg: head_yaw,
        protraction: 0.05,
        legs: Legs::Seated,
        arms,
    }
}

/// A person walking sideways behind the desk (or in front of it), hips at
/// `(x, hip_y, z)`, heading towards `dir` (±1 along `x`).
pub fn walking(x: f32, z: f32, dir: f32, t: f64, d: &Dims) -> Figure {
    let swing = (std::f64::consts::TAU * 0.9 * t).sin() as f32;
    build(
        &PoseSpec {
            root: Vec3::new(x, d.stand_hip_y() - 0.01, z),
            yaw: dir * std::f32::consts::FRAC_PI_2,
            trunk_pitch_deg: 4.0,
            neck_deg: 5.0,
            legs: Legs::Standing { swing },
            arms: Arms::Hanging { swing },
            ..PoseSpec::seated(Vec3::ZERO)
        },
        d,
    )
}

/// How a clerk moves the chair between segments: at each segment's start,
/// with probability `move_p`, to a new resting place up to `back_max_m`
/// back from the desk (or pulled in again). `back_max_m = 0`: never.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChairHabit {
    pub move_p: f32,
    pub back_max_m: f32,
    pub seed: u64,
}

impl ChairHabit {
    /// A random habit: a third of clerks keep the chair where it is, the
    /// rest roll back 10–70 cm at times, for a segment or several.
    pub fn draw(rng: &mut Rng) -> ChairHabit {
        if rng.chance(1.0 / 3.0) {
            return ChairHabit { seed: rng.next_u64(), ..ChairHabit::default() };
        }
        ChairHabit { move_p: rng.range(0.1, 0.4), back_max_m: rng.range(0.2, 0.7), seed: rng.next_u64() }
    }
}

/// Where the chair is for a segment of this kind when it rests `seat` m
/// from its usual place: work at the desk (typing, writing, leaning on it,
/// the head on it, picking something up beside it) pulls it in; sitting,
/// reading, leaning back, turning aside, crossing the legs, sliding down
/// or bending over a phone keep it where it is.
fn seat_for(clerk: Clerk, seat: f32) -> f32 {
    let at_desk = match clerk {
        Clerk::Busy { form } => matches!(form, BusyForm::Typing | BusyForm::Writing),
        Clerk::Slouch { form, .. } => !matches!(form, SlouchForm::SlidDown | SlouchForm::NeckBend),
        Clerk::HeadOnDesk { .. } | Clerk::PickUp | Clerk::Standing | Clerk::Away => true,
        Clerk::Upright | Clerk::CrossedLegs { .. } => false,
    };
    if at_desk { seat.max(-0.08) } else { seat }
}

/// The clerk's scripted timeline.
#[derive(Debug, Clone)]
pub struct ClerkTrack {
    spans: Vec<(f64, f64, Clerk)>,
    /// Per segment: its draw of the form's variation.
    vars: Vec<Variation>,
    idle: Idle,
    traits: Traits,
    scene: Scene,
}

impl ClerkTrack {
    pub fn new(sc: &Scenario, rng: &mut Rng, traits: Traits, scene: Scene, chair_drift_m: f32, habit: ChairHabit) -> Self {
        let spans: Vec<_> = sc.segment_spans().into_iter().map(|(s, e, seg)| (s, e, seg.clerk)).collect();
        let mut chair = 0.0f32;
        // The chair's resting place (m, negative: back from the desk), from
        // its own stream so that a window whose clerk never moves the chair
        // draws exactly what it drew before chair moves were simulated.
        let mut seats = Rng::new(habit.seed);
        let mut seat = 0.0f32;
        let vars = spans
            .iter()
            .map(|&(_, _, clerk)| {
                chair = (0.6 * chair + rng.range(-chair_drift_m, chair_drift_m)).clamp(-chair_drift_m, chair_drift_m);
                if habit.back_max_m > 0.0 && seats.chance(habit.move_p) {
                    seat = if seats.chance(0.35) { 0.0 } else { -seats.range(0.1, habit.back_max_m) };
                }
                Variation {
                    side: if rng.chance(0.5) { 1.0 } else { -1.0 },
                    u: [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()],
                    chair_z: chair + seat_for(clerk, seat),
                }
            })
            .collect();
        ClerkTrack { spans, vars, idle: Idle::new(rng), traits, scene }
    }

    fn present(&self, i: usize) -> bool {
        self.spans.get(i).is_some_and(|s| s.2 != Clerk::Away)
    }

    /// Pose of segment `i` at absolute time `t`, without blending.
    fn target(&self, i: usize, t: f64) -> Option<Figure> {
        let (s, e, clerk) = self.spans[i];
        let d = &self.traits.dims;
        if clerk != Clerk::Away {
            let st = Setting { traits: &self.traits, scene: &self.scene, var: self.vars[i] };
            return pose_spec(clerk, &self.idle.sample(t), &st).map(|p| build(&p, d));
        }
        let tau = (t - s).clamp(0.0, e - s);
        let dir = self.vars[i].side;
        let walk_off = i > 0 && self.present(i - 1) && tau < WALK_S && tau <= (e - s) / 2.0;
        let walk_on = self.present(i + 1) && (e - s) - tau < WALK_S && !walk_off;
        if walk_off {
            Some(walking(dir * WALK_SPEED * tau as f32, CLERK_STAND_Z, dir, t, d))
        } else if walk_on {
            Some(walking(dir * WALK_SPEED * ((e - s) - tau) as f32, CLERK_STAND_Z, -dir, t, d))
        } else {
            None
        }
    }

    /// Where the chair is at `t` (m from its place at the desk; negative:
    /// rolled back), as the segment under way has it.
    pub fn chair_at(&self, t: f64) -> f32 {
        let i = self.spans.iter().position(|&(s, e, _)| t >= s && t < e).unwrap_or(self.spans.len().saturating_sub(1));
        self.vars.get(i).map_or(0.0, |v| v.chair_z)
    }

    /// The clerk's figure at time `t` (seconds since scenario start), or
    /// `None` when off stage.
    pub fn figure_at(&self, t: f64) -> Option<Figure> {
        let i = self.spans.iter().position(|&(s, e, _)| t >= s && t < e).unwrap_or(self.spans.len().checked_sub(1)?);
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
    use super::super::body::kp;
    use super::*;

    fn setting<'a>(traits: &'a Traits, scene: &'a Scene) -> Setting<'a> {
        Setting { traits, scene, var: Variation::default() }
    }

    #[test]
    fn seated_poses_keep_hands_on_desk() {
        let (tr, sc) = (Traits::default(), Scene::default());
        let st = setting(&tr, &sc);
        for c in [
            Clerk::Upright,
            Clerk::Slouch { trunk_deg: 40.0, neck_deg: 10.0, form: SlouchForm::Hunch },
            Clerk::Busy { form: BusyForm::Typing },
        ] {
            let f = build(&pose_spec(c, &IdleSample::default(), &st).unwrap(), &tr.dims);
            for w in [kp::L_WRIST, kp::R_WRIST] {
                assert!((f.joints[w].y - sc.wrist_on_desk_y()).abs() < 0.02, "{c:?} wrist {:?}", f.joints[w]);
            }
        }
    }

    #[test]
    fn every_head_form_rests_the_head_low_over_the_desk() {
        let mut rng = Rng::new(9);
        for _ in 0..40 {
            let tr = Traits::draw(&mut rng, 30.0);
            let sc = Scene::draw(&mut rng, 0.3);
            for form in [HeadForm::FoldedArms, HeadForm::OneArm, HeadForm::HandProp, HeadForm::Forehead] {
                let var = Variation {
                    side: if rng.chance(0.5) { 1.0 } else { -1.0 },
                    u: [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()],
                    chair_z: 0.0,
                };
                let st = Setting { traits: &tr, scene: &sc, var };
                let clerk = Clerk::HeadOnDesk { form, trunk_deg: rng.range(40.0, 70.0) };
                let f = build(&pose_spec(clerk, &IdleSample::default(), &st).unwrap(), &tr.dims);
                let h = f.head_centre();
                assert!(h.y < sc.desk_top_y + 0.32, "{form:?} head {h:?} desk {}", sc.desk_top_y);
                assert!(f.shoulder_mid().y > sc.desk_top_y, "{form:?} shoulders into the desk");
                assert!(f.trunk_deg() > 30.0, "{form:?} trunk {}", f.trunk_deg());
                // Face turned down or aside: not facing the counter.
                assert!(f.face.y < -0.2 || f.face.x.abs() > 0.5, "{form:?} face {:?}", f.face);
            }
        }
    }

    #[test]
    fn busy_forms_stay_within_their_angles() {
        let mut rng = Rng::new(4);
        for _ in 0..50 {
            let tr = Traits::draw(&mut rng, 30.0);
            let sc = Scene::draw(&mut rng, 0.3);
            let var = Variation { side: 1.0, u: [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()], chair_z: 0.0 };
            let st = Setting { traits: &tr, scene: &sc, var };
            let f = build(&pose_spec(Clerk::Busy { form: BusyForm::Writing }, &IdleSample::default(), &st).unwrap(), &tr.dims);
            assert!(f.trunk_deg() <= 12.5 && f.neck_deg() <= 15.5, "writing {} {}", f.trunk_deg(), f.neck_deg());
        }
    }

    #[test]
    fn slid_down_lowers_the_shoulders() {
        let (tr, sc) = (Traits::default(), Scene::default());
        let st = setting(&tr, &sc);
        let up = build(&pose_spec(Clerk::Upright, &IdleSample::default(), &st).unwrap(), &tr.dims);
        let slid = build(
            &pose_spec(Clerk::Slouch { trunk_deg: 0.0, neck_deg: 20.0, form: SlouchForm::SlidDown }, &IdleSample::default(), &st).unwrap(),
            &tr.dims,
        );
        assert!(up.shoulder_mid().y - slid.shoulder_mid().y > 0.08, "{:?} {:?}", up.shoulder_mid(), slid.shoulder_mid());
    }

    #[test]
    fn away_walks_off_then_vanishes() {
        let sc = Scenario::new("a", "").then(10.0, Clerk::Upright).then(60.0, Clerk::Away).then(10.0, Clerk::Upright);
        let tr = ClerkTrack::new(&sc, &mut Rng::new(1), Traits::default(), Scene::default(), 0.0, ChairHabit::default());
        assert!(tr.figure_at(11.5).is_some());
        assert!(tr.figure_at(30.0).is_none());
        assert!(tr.figure_at(68.5).is_some());
        assert!(tr.figure_at(75.0).is_some());
    }

    #[test]
    fn a_chair_habit_rolls_back_when_sitting_and_pulls_in_to_work() {
        let mut sc = Scenario::new("c", "");
        for _ in 0..30 {
            sc = sc
                .then(60.0, Clerk::Upright)
                .then(60.0, Clerk::Busy { form: BusyForm::Typing })
                .then(60.0, Clerk::HeadOnDesk { form: HeadForm::default(), trunk_deg: 55.0 });
        }
        let habit = ChairHabit { move_p: 0.5, back_max_m: 0.6, seed: 7 };
        let tr = ClerkTrack::new(&sc, &mut Rng::new(1), Traits::default(), Scene::default(), 0.0, habit);
        let seats: Vec<(Clerk, f32)> = tr.spans.iter().zip(&tr.vars).map(|(s, v)| (s.2, v.chair_z)).collect();
        let upright: Vec<f32> = seats.iter().filter(|s| s.0 == Clerk::Upright).map(|s| s.1).collect();
        assert!(upright.iter().any(|&z| z < -0.2), "never rolled back: {upright:?}");
        assert!(upright.iter().any(|&z| z == 0.0), "never pulled in: {upright:?}");
        assert!(seats.iter().filter(|s| s.0 != Clerk::Upright).all(|s| s.1 >= -0.08), "{seats:?}");
        // Without a habit the chair stays where it was drawn before.
        let still = ClerkTrack::new(
            &sc,
            &mut Rng::new(1),
            Traits::default(),
            Scene::default(),
            0.0,
            ChairHabit { seed: 7, ..ChairHabit::default() },
        );
        assert!(still.vars.iter().all(|v| v.chair_z == 0.0));
    }
}
