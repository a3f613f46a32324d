//! Citizens visiting the counter.
//!
//! For each visit `(arrival, departure)` a citizen with a body of their own
//! walks in from one side (`x = ±2.6`, mostly from image right) along the
//! scene's `counter_z` at 0.9 m/s, stands at the counter within the scene's
//! `citizen_x` range facing the clerk — back to the
//! camera, so their face points are hidden — swaying a little, then walks out.
//! Standing there they are nearer the camera than the desk and can hide part
//! of the clerk's left arm and the desk.

use super::body::{Arms, Dims, Figure, Legs, PoseSpec, build};
use super::clerk::walking;
use super::noise::{Rng, Smooth};
use super::scenario::Scenario;
use super::scene::{OFFSTAGE_X, Scene, WALK_SPEED};
use super::vec3::Vec3;

/// One citizen's visit.
#[derive(Debug, Clone)]
pub struct Visit {
    pub arrive: f64,
    pub leave: f64,
    /// Where they stand at the counter.
    pub x: f32,
    /// Side (±1 along `x`) they come from and go to.
    pub from: f32,
    pub to: f32,
    /// Where the counter is (`z` of the hips).
    pub z: f32,
    pub dims: Dims,
    sway: [Smooth; 3],
}

impl Visit {
    fn walk_time(&self, side: f32) -> f64 {
        ((side * OFFSTAGE_X - self.x).abs() / WALK_SPEED) as f64
    }

    /// The citizen's figure at `t`, if on stage.
    pub fn figure_at(&self, t: f64) -> Option<Figure> {
        let (tin, tout) = (self.walk_time(self.from), self.walk_time(self.to));
        if t < self.arrive - tin || t >= self.leave + tout {
            None
        } else if t < self.arrive {
            let x = self.x + self.from * WALK_SPEED * (self.arrive - t) as f32;
            Some(walking(x, self.z, -self.from, t, &self.dims))
        } else if t >= self.leave {
            let x = self.x + self.to * WALK_SPEED * (t - self.leave) as f32;
            Some(walking(x, self.z, self.to, t, &self.dims))
        } else {
            Some(build(&self.at_counter(t), &self.dims))
        }
    }

    /// Standing at the counter with this visit's sway.
    pub fn at_counter(&self, t: f64) -> PoseSpec {
        let [a, b, c] = &self.sway;
        counter_pose(self.x, self.z, &self.dims, [a.at(t), b.at(t), c.at(t), b.at(t * 1.7), a.at(t * 2.3)])
    }
}

/// A citizen standing at the counter at `x`, facing the clerk (`yaw = π`,
/// back to the camera). `sway` = idle values in `[-1, 1]` for: sideways shift,
/// body turn, neck bend, head turn, arm swing (all zero = neutral).
pub fn counter_pose(x: f32, z: f32, d: &Dims, sway: [f32; 5]) -> PoseSpec {
    let [dx, turn, neck, head, arms] = sway;
    PoseSpec {
        root: Vec3::new(x + 0.03 * dx, d.stand_hip_y(), z),
        yaw: std::f32::consts::PI + (8.0 * turn).to_radians(),
        trunk_pitch_deg: 4.0,
        trunk_lateral_deg: 0.0,
        neck_deg: 12.0 + 6.0 * neck,
        head_yaw_deg: 20.0 * head,
        protraction: 0.0,
        legs: Legs::Standing { swing: 0.0 },
        arms: Arms::Hanging { swing: 0.1 * arms },
    }
}

/// All visits of a scenario.
#[derive(Debug, Clone)]
pub struct CitizenTrack {
    pub visits: Vec<Visit>,
}

impl CitizenTrack {
    pub fn new(sc: &Scenario, rng: &mut Rng, scene: &Scene, varied_bodies: bool) -> Self {
        let visits = sc
            .visits()
            .into_iter()
            .map(|(arrive, leave)| {
                let mut side = || if rng.chance(0.7) { 1.0 } else { -1.0 };
                let (from, to) = (side(), side());
                Visit {
                    arrive,
                    leave,
                    x: rng.range(scene.citizen_x.0, scene.citizen_x.1),
                    from,
                    to,
                    z: scene.counter_z,
                    dims: if varied_bodies { Dims::draw(rng) } else { Dims::AVERAGE },
                    sway: [Smooth::new(rng, 0.05), Smooth::new(rng, 0.03), Smooth::new(rng, 0.07)],
                }
            })
            .collect();
        CitizenTrack { visits }
    }

    /// Figures of all citizens on stage at `t`.
    pub fn figures_at(&self, t: f64) -> Vec<Figure> {
        self.visits.iter().filter_map(|v| v.figure_at(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Clerk;

    #[test]
    fn citizen_walks_in_stands_and_leaves() {
        let sc = Scenario::new("c", "").then(30.0, Clerk::Upright).with_citizen(60.0, Clerk::Standing).then(30.0, Clerk::Upright);
        let tr = CitizenTrack::new(&sc, &mut Rng::new(2), &Scene::default(), true);
        let v = &tr.visits[0];
        assert!(tr.figures_at(10.0).is_empty());
        let walking = v.figure_at(28.5).unwrap();
        assert!((walking.hip_mid().x - v.x).abs() > 0.5);
        let standing = v.figure_at(60.0).unwrap();
        assert!((standing.hip_mid().x - v.x).abs() < 0.05);
        // back to the camera: face points away (-z)
        assert!(standing.face.z < -0.5);
        assert!(tr.figures_at(119.0).is_empty());
    }
}
