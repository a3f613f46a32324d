//! Image zones derived from the camera geometry, normalised to the frame
//! (`0..1`, x right, y down).
//!
//! * `staff_zone`: rectangle covering where the clerk's torso appears — the
//!   projected shoulder centre, hip centre and torso centre of the upright,
//!   slouched (45°/45°), head-on-desk, picking-up and standing poses, widened
//!   by ±0.15 m sideways, also covering where a pose model *guesses* the hips
//!   of a seated clerk (hidden by the desk), and padded by 2 % of the frame.
//! * `counter_zone`: rectangle covering the torso of a citizen standing at the
//!   counter (`x ∈ [0.36, 0.48]`, widened by ±0.08 m, `z = 1.1 ± 0.08`),
//!   padded by 2 %.
//! * `desk_y`: projected height of the desk top's clerk-side edge at `x = 0` —
//!   a seated clerk's body below this line is hidden by the desk; a head
//!   resting on the desk appears below it.
//!
//! With the default and typical cameras a person's torso centre (mean of the
//! shoulder and hip keypoints) falls in exactly one zone: the clerk's in
//! `staff_zone`, a citizen's at the counter in `counter_zone`.

use serde::{Deserialize, Serialize};

use super::body::{Figure, build};
use super::camera::Camera;
use super::citizen::counter_pose;
use super::clerk::{IdleSample, pose_spec};
use super::scenario::Clerk;
use super::scene::{CITIZEN_X_MAX, CITIZEN_X_MIN, DESK_BACK_Z, DESK_TOP_Y};
use super::vec3::Vec3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zones {
    pub staff_zone: Vec<[f32; 2]>,
    pub counter_zone: Vec<[f32; 2]>,
    pub desk_y: f32,
}

const PAD: f32 = 0.02;

/// Compute the zones for a camera.
pub fn zones(cam: &Camera) -> Zones {
    let idle = IdleSample::default();
    let clerk_poses = [
        Clerk::Upright,
        Clerk::Slouch {
            trunk_deg: 45.0,
            neck_deg: 45.0,
        },
        Clerk::HeadOnDesk,
        Clerk::PickUp,
        Clerk::Standing,
    ];
    let mut staff = Vec::new();
    for c in clerk_poses {
        for side in [-1.0, 1.0] {
            let f = build(&pose_spec(c, &idle, side).expect("present pose"));
            staff.extend(torso_points(cam, &f, 0.15, 0.0));
        }
    }
    let mut counter = Vec::new();
    for x in [CITIZEN_X_MIN, CITIZEN_X_MAX] {
        let f = build(&counter_pose(x, [0.0; 5]));
        counter.extend(torso_points(cam, &f, 0.08, 0.08));
    }
    Zones {
        staff_zone: rect(cam, &staff),
        counter_zone: rect(cam, &counter),
        desk_y: cam.project(Vec3::new(0.0, DESK_TOP_Y, DESK_BACK_Z)).v / cam.height as f32,
    }
}

/// Pixel positions of the shoulder centre, hip centre and torso centre, each
/// widened by `dx` in `x` and `dz` in `z`; plus where a pose model would put
/// the hip centre and torso centre if the hips are hidden (0.48 m below the
/// shoulders in the image, see [`super::detector`]).
fn torso_points(cam: &Camera, f: &Figure, dx: f32, dz: f32) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    for p in [f.shoulder_mid(), f.hip_mid(), f.torso_centre()] {
        for sx in [-dx, dx] {
            for sz in [-dz, dz] {
                let q = cam.project(p + Vec3::new(sx, 0.0, sz));
                out.push((q.u, q.v));
            }
        }
    }
    let sh = cam.project(f.shoulder_mid());
    let s = cam.px_per_m(cam.project(f.torso_centre()).depth);
    for sx in [-dx, dx] {
        out.push((sh.u + sx * s, sh.v + 0.48 * s));
        out.push((sh.u + sx * s, sh.v + 0.24 * s));
    }
    out
}

/// Padded, clipped, normalised bounding rectangle of pixel points,
/// clockwise from top-left.
fn rect(cam: &Camera, pts: &[(f32, f32)]) -> Vec<[f32; 2]> {
    let (w, h) = (cam.width as f32, cam.height as f32);
    let (mut x1, mut y1, mut x2, mut y2) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(u, v) in pts {
        x1 = x1.min(u / w);
        x2 = x2.max(u / w);
        y1 = y1.min(v / h);
        y2 = y2.max(v / h);
    }
    let c = |v: f32| v.clamp(0.0, 1.0);
    let (x1, y1, x2, y2) = (c(x1 - PAD), c(y1 - PAD), c(x2 + PAD), c(y2 + PAD));
    vec![[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
}

/// Point-in-polygon (even–odd rule) for normalised coordinates.
pub fn contains(poly: &[[f32; 2]], x: f32, y: f32) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let ([xi, yi], [xj, yj]) = (poly[i], poly[(i + n - 1) % n]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_sane_for_default_camera() {
        let z = zones(&Camera::default());
        let s = &z.staff_zone;
        let c = &z.counter_zone;
        // clerk centred, citizen to image right
        assert!(s[0][0] < 0.5 && s[1][0] > 0.5, "{s:?}");
        assert!(
            (c[0][0] + c[1][0]) / 2.0 > (s[0][0] + s[1][0]) / 2.0,
            "{c:?}"
        );
        assert!(z.desk_y > s[0][1] && z.desk_y < 1.0, "{z:?}");
        assert!(contains(s, 0.5, (s[0][1] + s[2][1]) / 2.0));
        assert!(!contains(s, 0.01, 0.01));
    }
}
