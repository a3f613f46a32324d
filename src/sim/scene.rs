//! Fixed furniture and stand positions of the service window (world frame,
//! metres; see the module docs of [`crate::sim`] for the axes).
//!
//! ```text
//!   side view (camera at right, looking left and down)
//!
//!                                                    camera ◣ (0, h, d)
//!        head                                        
//!   clerk |        desk top y = 0.75             citizen
//!     ────┼──── ┌──────────────────┐               O
//!    chair|     │  (solid front    │              /|\
//!         |     │   modesty panel) │              / \
//!   ──────┴─────┴──────────────────┴──────────────────── floor
//!         z=0   z=0.25          z=0.85          z≈1.1
//! ```

use super::vec3::Vec3;

/// Height of the desk top surface.
pub const DESK_TOP_Y: f32 = 0.75;
/// `z` of the desk edge on the clerk's side (the edge that hides a seated
/// clerk's lap from a camera above the desk).
pub const DESK_BACK_Z: f32 = 0.25;
/// Desk depth (clerk side to citizen side).
pub const DESK_DEPTH: f32 = 0.60;
/// `z` of the desk edge on the citizen's side.
pub const DESK_FRONT_Z: f32 = DESK_BACK_Z + DESK_DEPTH;
/// Half the desk width (desk spans `x ∈ [-0.8, 0.8]`).
pub const DESK_HALF_WIDTH: f32 = 0.80;
/// Height a wrist rests at when the forearm lies on the desk.
pub const WRIST_ON_DESK_Y: f32 = DESK_TOP_Y + 0.04;

/// Hip-joint centre height of the seated clerk (seat ≈ 0.44 m).
pub const SEAT_HIP_Y: f32 = 0.50;
/// Hip-joint centre height of a standing adult (legs 0.42 + 0.40 + ankle 0.08).
pub const STAND_HIP_Y: f32 = 0.90;
/// `z` of the standing clerk's hip centre (chair pushed back a little).
pub const CLERK_STAND_Z: f32 = -0.10;

/// `z` of a citizen's hip centre when standing at the counter.
pub const COUNTER_Z: f32 = 1.10;
/// Range of `x` where a citizen stands at the counter: to image right of the
/// clerk, so that their body hides part of the desk and (with their arm) of
/// the clerk's left arm, but not the clerk's face, and their torso stays
/// clear of the clerk's in the image.
pub const CITIZEN_X_MIN: f32 = 0.36;
pub const CITIZEN_X_MAX: f32 = 0.48;
/// How far to the side people walk in from / out to.
pub const OFFSTAGE_X: f32 = 2.6;
/// Walking speed, m/s.
pub const WALK_SPEED: f32 = 0.9;

/// Axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    pub fn contains(&self, p: Vec3) -> bool {
        p.x >= self.min.x
            && p.x <= self.max.x
            && p.y >= self.min.y
            && p.y <= self.max.y
            && p.z >= self.min.z
            && p.z <= self.max.z
    }
}

/// The desk as a solid block from the floor to the top (closed front with a
/// modesty panel — the usual government counter desk).
pub fn desk_solid() -> Aabb {
    Aabb {
        min: Vec3::new(-DESK_HALF_WIDTH, 0.0, DESK_BACK_Z),
        max: Vec3::new(DESK_HALF_WIDTH, DESK_TOP_Y, DESK_FRONT_Z),
    }
}
