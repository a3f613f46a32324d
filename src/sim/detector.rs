//! Mimics a top-down pose model's output for one person: keypoints with noise
//! and confidences, a box and a detection score.
//!
//! * **Visible** joints: true projection + gaussian noise of σ px, confidence
//!   0.70–0.98 (per-joint base value + jitter).
//! * **Hidden by the desk**: a *wrong guess* of the "sitting normally / legs
//!   hanging straight down" kind, confidence 0.25–0.6. Hips are placed 0.48 m
//!   (image scale) straight below the shoulders, whatever the trunk lean;
//!   knees a thigh length straight below the hips; ankles a shin length below
//!   the knees — so crossed legs are invisible in the guesses. Other joints hidden by the desk
//!   (a hand reaching to the floor) get the true position with 2.5σ noise.
//! * **Hidden by another person, a monitor or the own head** (face turned
//!   away): true position + 2.5σ noise, confidence 0.2–0.5 — and one time
//!   in twelve a confident hallucination (0.5–0.72), as real models give for
//!   a face they cannot see.
//! * **Out of frame**: clamped to the image border, confidence 0.03–0.2.
//!
//! σ = `noise_px` × (person's px per metre) / [`REF_PX_PER_M`] + 0.8 px, i.e.
//! `noise_px` is the σ for a torso imaged at 320 px/m (the default seated
//! clerk at 1280×720), with a floor that makes small people relatively
//! noisier, as they are for real models; their confidences drop too. All
//! keypoints are clamped to the image.

use crate::geometry::BBox;
use crate::vision::{Keypoint, Person};

use super::body::{Dims, Figure, kp};
use super::camera::Camera;
use super::noise::Rng;
use super::occlusion::Vis;
use super::scene::Scene;
use super::vec3::Vec3;

/// What a pose model guesses for joints it cannot see: an average body.
const GUESS: Dims = Dims::AVERAGE;

/// Image scale (px per metre) at which `noise_px` applies unscaled.
pub const REF_PX_PER_M: f32 = 320.0;

/// Typical confidence of a clearly visible joint, COCO order.
const BASE_CONF: [f32; kp::COUNT] = [0.93, 0.92, 0.92, 0.86, 0.86, 0.93, 0.93, 0.88, 0.88, 0.84, 0.84, 0.85, 0.85, 0.82, 0.82, 0.78, 0.78];

/// Minimum number of truly visible joints for the person to be detected
/// (a detector sees the body, not only joints: a clerk slumped over the
/// desk with only the shoulders and an ear in view is still found).
pub const MIN_VISIBLE: usize = 3;

/// Produce the detector output for `fig`, or `None` if too little is visible.
pub fn detect(fig: &Figure, vis: &[Vis; kp::COUNT], cam: &Camera, scene: &Scene, noise_px: f32, rng: &mut Rng) -> Option<Person> {
    let n_vis = vis.iter().filter(|v| v.is_visible()).count();
    if n_vis < MIN_VISIBLE {
        return None;
    }
    let (w, h) = (cam.width as f32, cam.height as f32);
    let s = cam.px_per_m(cam.project(fig.torso_centre()).depth);
    let sigma = noise_px * s / REF_PX_PER_M + 0.8;
    // Small people (under ~160 px/m, shoulders under ~60 px) get less sure.
    let small = (1.0 - s / 160.0).clamp(0.0, 1.0) * 0.15;
    let mut out = [Keypoint { x: 0.0, y: 0.0, conf: 0.0 }; kp::COUNT];
    for i in 0..kp::COUNT {
        let p = cam.project(fig.joints[i]);
        let (x, y, conf) = match vis[i] {
            Vis::Visible => (p.u + rng.gauss(sigma), p.v + rng.gauss(sigma), (BASE_CONF[i] - small + rng.gauss(0.03)).clamp(0.55, 0.98)),
            Vis::OutOfFrame => (p.u + rng.gauss(sigma), p.v + rng.gauss(sigma), rng.range(0.03, 0.2)),
            Vis::Body | Vis::SelfHead => {
                let conf = if rng.chance(0.08) { rng.range(0.5, 0.72) } else { rng.range(0.2, 0.5) };
                (p.u + rng.gauss(2.5 * sigma), p.v + rng.gauss(2.5 * sigma), conf)
            }
            Vis::Desk => match i {
                kp::L_HIP | kp::R_HIP => {
                    let (sh, other) = (out[i - 6], out[if i == kp::L_HIP { kp::R_SHOULDER } else { kp::L_SHOULDER }]);
                    let inward = 1.0 - GUESS.hip_half / GUESS.shoulder_half;
                    (
                        sh.x + (other.x - sh.x) * inward / 2.0 + rng.gauss(1.5 * sigma),
                        sh.y + 0.48 * s + rng.gauss(1.5 * sigma),
                        rng.range(0.40, 0.60),
                    )
                }
                kp::L_KNEE | kp::R_KNEE => {
                    let hip = out[i - 2];
                    (hip.x + rng.gauss(1.5 * sigma), hip.y + GUESS.thigh * s + rng.gauss(1.5 * sigma), rng.range(0.30, 0.50))
                }
                kp::L_ANKLE | kp::R_ANKLE => {
                    let knee = out[i - 2];
                    (knee.x + rng.gauss(1.5 * sigma), knee.y + GUESS.shank * s + rng.gauss(1.5 * sigma), rng.range(0.25, 0.45))
                }
                _ => (p.u + rng.gauss(2.5 * sigma), p.v + rng.gauss(2.5 * sigma), rng.range(0.25, 0.55)),
            },
        };
        out[i] = Keypoint { x: x.clamp(0.0, w - 1.0), y: y.clamp(0.0, h - 1.0), conf };
    }
    let bbox = person_box(fig, vis, &out, cam, scene, s);
    let score = (0.6 + 0.35 * n_vis as f32 / kp::COUNT as f32 + rng.gauss(0.02)).clamp(0.6, 0.95);
    Some(Person { bbox, score, keypoints: out.to_vec(), landmarks: None, presence: None })
}

/// Box around the visible keypoints, padded like a detector's (head top above
/// the eyes, a little margin at the sides); extended down to the desk edge when
/// the desk hides the lower body, and to the image border when the body runs
/// out of frame.
fn person_box(fig: &Figure, vis: &[Vis; kp::COUNT], kps: &[Keypoint; kp::COUNT], cam: &Camera, scene: &Scene, s: f32) -> BBox {
    let (w, h) = (cam.width as f32, cam.height as f32);
    let seen = kps.iter().zip(vis).filter(|(_, v)| v.is_visible()).map(|(k, _)| k);
    let (mut x1, mut y1, mut x2, mut y2) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for k in seen {
        x1 = x1.min(k.x);
        y1 = y1.min(k.y);
        x2 = x2.max(k.x);
        y2 = y2.max(k.y);
    }
    x1 -= 0.08 * s;
    x2 += 0.08 * s;
    y1 -= 0.12 * s;
    y2 += 0.04 * s;
    if vis.contains(&Vis::Desk) {
        let edge = cam.project(Vec3::new(fig.torso_centre().x, scene.desk_top_y, scene.desk_back_z)).v;
        y2 = y2.max(edge);
    }
    for (i, v) in vis.iter().enumerate() {
        if *v == Vis::OutOfFrame {
            let p = cam.project(fig.joints[i]);
            if p.v >= h || p.depth <= 0.0 {
                y2 = h;
            }
            if p.u < 0.0 {
                x1 = 0.0;
            }
            if p.u >= w {
                x2 = w;
            }
        }
    }
    BBox { x1: x1.clamp(0.0, w), y1: y1.clamp(0.0, h), x2: x2.clamp(0.0, w), y2: y2.clamp(0.0, h) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::body::{PoseSpec, build};

    fn clerk() -> Figure {
        let mut p = PoseSpec::seated(Vec3::new(0.0, 0.5, 0.0));
        p.trunk_pitch_deg = 4.0;
        p.neck_deg = 10.0;
        build(&p, &Dims::AVERAGE)
    }

    #[test]
    fn noise_sigma_matches_config_at_reference_scale() {
        let (cam, f) = (Camera::default(), clerk());
        let s = cam.px_per_m(cam.project(f.torso_centre()).depth);
        let vis = [Vis::Visible; kp::COUNT];
        let truth = cam.project(f.joints[kp::NOSE]);
        let mut rng = Rng::new(5);
        let n = 4000;
        let var = (0..n)
            .map(|_| {
                let p = detect(&f, &vis, &cam, &Scene::default(), 3.0, &mut rng).unwrap();
                (p.keypoints[kp::NOSE].x - truth.u).powi(2)
            })
            .sum::<f32>()
            / n as f32;
        let want = 3.0 * s / REF_PX_PER_M + 0.8;
        assert!((var.sqrt() - want).abs() < 0.15 * want, "σ {} vs {want}", var.sqrt());
        assert!((3.3..4.3).contains(&want), "default clerk scale {s} px/m");
    }

    #[test]
    fn too_little_visible_means_not_detected() {
        let mut vis = [Vis::OutOfFrame; kp::COUNT];
        vis[0] = Vis::Visible;
        assert!(detect(&clerk(), &vis, &Camera::default(), &Scene::default(), 3.0, &mut Rng::new(1)).is_none());
    }
}
