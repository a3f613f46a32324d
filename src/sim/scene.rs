//! The furniture and stand positions of one service window (world frame,
//! metres; see the module docs of [`crate::sim`] for the axes). Every window
//! of a family draws its own ([`Scene::draw`]); [`Scene::default`] is the
//! hand-written library's window.
//!
//! ```text
//!   side view (camera at right, looking left and down)
//!
//!                                                    camera ◣ (x, h, d)
//!        head
//!   clerk |        desk top y = 0.70–0.80        citizen
//!     ────┼──── ┌──────────────────┐               O
//!    chair|     │  (solid front    │              /|\
//!         |     │   modesty panel) │              / \
//!   ──────┴─────┴──────────────────┴──────────────────── floor
//!         z=0   z=desk_back_z   desk_front_z   counter_z
//! ```

use super::noise::Rng;
use super::vec3::Vec3;

/// Axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    pub fn contains(&self, p: Vec3) -> bool {
        p.x >= self.min.x && p.x <= self.max.x && p.y >= self.min.y && p.y <= self.max.y && p.z >= self.min.z && p.z <= self.max.z
    }
}

/// One window's furniture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scene {
    /// Height of the desk top surface.
    pub desk_top_y: f32,
    /// `z` of the desk edge on the clerk's side (the edge that hides a seated
    /// clerk's lap from a camera above the desk).
    pub desk_back_z: f32,
    /// Desk depth (clerk side to citizen side).
    pub desk_depth: f32,
    /// Half the desk width (the desk spans `x ∈ [-w, w]`).
    pub desk_half_width: f32,
    /// Hip-joint centre height of the seated clerk (the chair's height).
    pub seat_hip_y: f32,
    /// A monitor standing on the desk, if any.
    pub monitor: Option<Aabb>,
    /// `z` of a citizen's hip centre when standing at the counter.
    pub counter_z: f32,
    /// Range of `x` where a citizen stands at the counter.
    pub citizen_x: (f32, f32),
}

/// How far to the side people walk in from / out to.
pub const OFFSTAGE_X: f32 = 2.6;
/// Walking speed, m/s.
pub const WALK_SPEED: f32 = 0.9;
/// `z` of the standing clerk's hip centre (chair pushed back a little).
pub const CLERK_STAND_Z: f32 = -0.10;

impl Default for Scene {
    fn default() -> Self {
        Scene {
            desk_top_y: 0.75,
            desk_back_z: 0.25,
            desk_depth: 0.60,
            desk_half_width: 0.80,
            seat_hip_y: 0.50,
            monitor: None,
            counter_z: 1.10,
            // To image right of the clerk, so that the citizen's body hides part
            // of the desk and (with their arm) of the clerk's left arm, but not
            // the clerk's face.
            citizen_x: (0.36, 0.48),
        }
    }
}

impl Scene {
    /// A random window: desk top 0.70–0.80 m, 0.5–0.8 m deep, the clerk
    /// 0.15–0.35 m behind its edge on a chair that fits under it, and a monitor
    /// on the desk to one side with probability `monitor_p`.
    pub fn draw(rng: &mut Rng, monitor_p: f32) -> Scene {
        let desk_top_y = rng.range(0.70, 0.80);
        let desk_back_z = rng.range(0.15, 0.35);
        let desk_depth = rng.range(0.50, 0.80);
        // Thighs (about 0.12 m thick) fit under the desk top.
        let seat_hip_y = desk_top_y - rng.range(0.22, 0.30);
        let has_monitor = rng.chance(monitor_p);
        let counter_z = desk_back_z + desk_depth + rng.range(0.20, 0.30);
        let x0 = rng.range(0.30, 0.45);
        let mut scene = Scene {
            desk_top_y,
            desk_back_z,
            desk_depth,
            desk_half_width: 0.80,
            seat_hip_y,
            monitor: None,
            counter_z,
            citizen_x: (x0, x0 + 0.12),
        };
        if has_monitor {
            scene.monitor = Some(scene.draw_monitor(rng));
        }
        scene
    }

    /// A monitor standing on this desk, to one side of the clerk.
    pub fn draw_monitor(&self, rng: &mut Rng) -> Aabb {
        let side = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let cx = side * rng.range(0.18, 0.42);
        let half_w = rng.range(0.22, 0.30);
        let z0 = self.desk_back_z + rng.range(0.15, 0.30);
        Aabb {
            min: Vec3::new(cx - half_w, self.desk_top_y, z0),
            max: Vec3::new(cx + half_w, self.desk_top_y + rng.range(0.30, 0.48), z0 + 0.06),
        }
    }

    /// `z` of the desk edge on the citizen's side.
    pub fn desk_front_z(&self) -> f32 {
        self.desk_back_z + self.desk_depth
    }

    /// Height a wrist rests at when the forearm lies on the desk.
    pub fn wrist_on_desk_y(&self) -> f32 {
        self.desk_top_y + 0.04
    }

    /// The desk as a solid block from the floor to the top (closed front with
    /// a modesty panel — the usual government counter desk).
    pub fn desk_solid(&self) -> Aabb {
        Aabb {
            min: Vec3::new(-self.desk_half_width, 0.0, self.desk_back_z),
            max: Vec3::new(self.desk_half_width, self.desk_top_y, self.desk_front_z()),
        }
    }
}
