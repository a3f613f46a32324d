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

use super::body::{Dims, Figure, build};
use super::camera::Camera;
use super::citizen::counter_pose;
use super::clerk::{IdleSample, Setting, Traits, Variation, pose_spec};
use super::scenario::{Clerk, HeadForm, SlouchForm};
use super::scene::Scene;
use super::vec3::Vec3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zones {
    pub staff_zone: Vec<[f32; 2]>,
    pub counter_zone: Vec<[f32; 2]>,
    pub desk_y: f32,
}

const PAD: f32 = 0.02;

/// The zones an installer would draw for this camera, clerk and window:
/// around where the clerk's torso goes when sitting, slouching, resting on
/// the desk, picking something up and standing, and around where a citizen
/// stands at the counter.
pub fn zones(cam: &Camera, traits: &Traits, scene: &Scene) -> Zones {
    let idle = IdleSample::default();
    let clerk_poses = [
        Clerk::Upright,
        Clerk::Slouch { trunk_deg: 45.0, neck_deg: 45.0, form: SlouchForm::Hunch },
        Clerk::HEAD_ON_DESK,
        Clerk::HeadOnDesk { form: HeadForm::Forehead, trunk_deg: 70.0 },
        Clerk::HeadOnDesk { form: HeadForm::HandProp, trunk_deg: 50.0 },
        Clerk::PickUp,
        Clerk::Standing,
    ];
    let mut staff = Vec::new();
    for c in clerk_poses {
        for side in [-1.0, 1.0] {
            let st = Setting { traits, scene, var: Variation { side, ..Variation::default() } };
            let f = build(&pose_spec(c, &idle, &st).expect("present pose"), &traits.dims);
            staff.extend(torso_points(cam, &f, 0.15, 0.0));
        }
    }
    // Citizens of every build stand there.
    let short = Dims { trunk: 0.44, neck: 0.17, thigh: 0.37, shank: 0.35, ..Dims::AVERAGE };
    let tall = Dims { trunk: 0.56, neck: 0.23, thigh: 0.48, shank: 0.46, ..Dims::AVERAGE };
    let mut counter = Vec::new();
    for x in [scene.citizen_x.0, scene.citizen_x.1] {
        for d in [short, tall] {
            let f = build(&counter_pose(x, scene.counter_z, &d, [0.0; 5]), &d);
            counter.extend(torso_points(cam, &f, 0.08, 0.08));
        }
    }
    Zones {
        staff_zone: hull(cam, &staff),
        counter_zone: hull(cam, &counter),
        desk_y: (cam.project(Vec3::new(0.0, scene.desk_top_y, scene.desk_back_z)).v / cam.height as f32).clamp(0.0, 1.0),
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

/// The padded convex hull of pixel points, normalised and clipped to the
/// frame, as an installer draws a zone around where people go.
fn hull(cam: &Camera, pts: &[(f32, f32)]) -> Vec<[f32; 2]> {
    let (w, h) = (cam.width as f32, cam.height as f32);
    let mut p: Vec<[f32; 2]> = pts.iter().map(|&(u, v)| [u / w, v / h]).filter(|q| q[0].is_finite() && q[1].is_finite()).collect();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    let cross = |o: [f32; 2], a: [f32; 2], b: [f32; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut out: Vec<[f32; 2]> = Vec::new();
    for pass in 0..2 {
        let start = out.len();
        let iter: Box<dyn Iterator<Item = &[f32; 2]>> = if pass == 0 { Box::new(p.iter()) } else { Box::new(p.iter().rev()) };
        for &q in iter {
            while out.len() >= start + 2 && cross(out[out.len() - 2], out[out.len() - 1], q) <= 0.0 {
                out.pop();
            }
            out.push(q);
        }
        out.pop();
    }
    let n = out.len().max(1) as f32;
    let c = [out.iter().map(|q| q[0]).sum::<f32>() / n, out.iter().map(|q| q[1]).sum::<f32>() / n];
    out.iter()
        .map(|q| {
            let (dx, dy) = (q[0] - c[0], q[1] - c[1]);
            let len = (dx * dx + dy * dy).sqrt().max(1e-6);
            [(q[0] + PAD * dx / len).clamp(0.0, 1.0), (q[1] + PAD * dy / len).clamp(0.0, 1.0)]
        })
        .collect()
}

/// The area of a normalised polygon, as a share of the frame.
pub fn area(poly: &[[f32; 2]]) -> f32 {
    let n = poly.len();
    (0..n).map(|i| poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1]).sum::<f32>().abs() / 2.0
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
        let z = zones(&Camera::default(), &Traits::default(), &Scene::default());
        let centre = |p: &[[f32; 2]]| {
            let n = p.len() as f32;
            [p.iter().map(|q| q[0]).sum::<f32>() / n, p.iter().map(|q| q[1]).sum::<f32>() / n]
        };
        let (s, c) = (centre(&z.staff_zone), centre(&z.counter_zone));
        // clerk centred, citizen to image right
        assert!((s[0] - 0.5).abs() < 0.1, "{z:?}");
        assert!(c[0] > s[0], "{z:?}");
        assert!(z.desk_y > z.staff_zone.iter().map(|q| q[1]).fold(1.0, f32::min) && z.desk_y < 1.0, "{z:?}");
        assert!(contains(&z.staff_zone, s[0], s[1]));
        assert!(!contains(&z.staff_zone, 0.01, 0.01));
        assert!(z.staff_zone.len() >= 4 && z.counter_zone.len() >= 4);
    }
}
