//! Pinhole front camera.
//!
//! The camera hangs at world `(offset_m, height_m, distance_m)` — i.e.
//! `distance_m` horizontally in front of the seated clerk's hips, on the
//! citizen's side of the counter, possibly to one side — turned by `pan_deg`
//! about the vertical (positive: looking towards `-x`) and pitched down by
//! `tilt_deg`. With pan 0 it looks along `-z`:
//!
//! * forward `f = (0, -sin τ, -cos τ)`, up `u = (0, cos τ, -sin τ)`,
//!   right `r = (1, 0, 0)` (world `+x` is image right), each then turned by
//!   the pan;
//! * a point `P` with `d = P - C` has depth `d·f` and projects to
//!   `u_px = cx + fpx·(d·r)/(d·f)`, `v_px = cy - fpx·(d·u)/(d·f)`,
//!   with `fpx = (width/2) / tan(hfov/2)` (square pixels, centred principal point).

use serde::{Deserialize, Serialize};

use super::vec3::Vec3;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Height of the optical centre above the floor.
    pub height_m: f32,
    /// Downward tilt of the optical axis from horizontal.
    pub tilt_deg: f32,
    /// Horizontal distance in front of the clerk's seated hip centre.
    pub distance_m: f32,
    /// Sideways position (world `x`; positive = image right of the clerk).
    #[serde(default)]
    pub offset_m: f32,
    /// Turn about the vertical, degrees (positive turns the view towards `-x`).
    #[serde(default)]
    pub pan_deg: f32,
    /// Horizontal field of view, degrees.
    pub hfov_deg: f32,
    pub width: u32,
    pub height: u32,
}

impl Default for Camera {
    fn default() -> Self {
        Camera { height_m: 2.2, tilt_deg: 25.0, distance_m: 2.6, offset_m: 0.0, pan_deg: 0.0, hfov_deg: 70.0, width: 1280, height: 720 }
    }
}

/// A projected point: pixel coordinates and depth along the optical axis (m).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    pub u: f32,
    pub v: f32,
    pub depth: f32,
}

/// Points closer than this (or behind the camera) are treated as out of frame.
pub const MIN_DEPTH: f32 = 0.1;

/// Point a sensibly installed camera aims at: the seated clerk's chest/desk
/// edge region.
pub const AIM_POINT: Vec3 = Vec3::new(0.0, 0.85, 0.1);

impl Camera {
    /// Default camera moved to `height_m` / `distance_m` and tilted to aim at
    /// [`AIM_POINT`] (what an installer would do).
    pub fn aimed(height_m: f32, distance_m: f32) -> Camera {
        Camera { height_m, distance_m, ..Camera::default() }.aimed_at(AIM_POINT)
    }

    /// This camera, panned and tilted to look straight at `target`.
    pub fn aimed_at(self, target: Vec3) -> Camera {
        let d = target - self.position();
        let horizontal = (d.x * d.x + d.z * d.z).sqrt();
        Camera { pan_deg: (-d.x).atan2(-d.z).to_degrees(), tilt_deg: (-d.y).atan2(horizontal).to_degrees(), ..self }
    }

    pub fn position(&self) -> Vec3 {
        Vec3::new(self.offset_m, self.height_m, self.distance_m)
    }

    /// (right, up, forward) unit vectors of the camera.
    pub fn basis(&self) -> (Vec3, Vec3, Vec3) {
        let (s, c) = self.tilt_deg.to_radians().sin_cos();
        let pan = self.pan_deg.to_radians();
        let turn = |v: Vec3| v.rot_y(pan);
        (turn(Vec3::X), turn(Vec3::new(0.0, c, -s)), turn(Vec3::new(0.0, -s, -c)))
    }

    /// Focal length in pixels.
    pub fn focal_px(&self) -> f32 {
        (self.width as f32 / 2.0) / (self.hfov_deg.to_radians() / 2.0).tan()
    }

    /// Pixels per metre for an object at `depth` metres.
    pub fn px_per_m(&self, depth: f32) -> f32 {
        self.focal_px() / depth.max(MIN_DEPTH)
    }

    pub fn project(&self, p: Vec3) -> Projection {
        let (r, up, fwd) = self.basis();
        let d = p - self.position();
        let depth = d.dot(fwd);
        let z = depth.max(1e-6);
        let fpx = self.focal_px();
        Projection { u: self.width as f32 / 2.0 + fpx * d.dot(r) / z, v: self.height as f32 / 2.0 - fpx * d.dot(up) / z, depth }
    }

    /// Whether a projection falls inside the image (and in front of the camera).
    pub fn in_frame(&self, p: &Projection) -> bool {
        p.depth > MIN_DEPTH && p.u >= 0.0 && p.v >= 0.0 && p.u < self.width as f32 && p.v < self.height as f32
    }

    /// Elevation of the sight line to `p` below the horizontal, degrees.
    pub fn elevation_deg(&self, p: Vec3) -> f32 {
        let d = self.position() - p;
        d.y.atan2((d.x * d.x + d.z * d.z).sqrt()).to_degrees()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optical_axis_hits_image_centre() {
        let cam = Camera::default();
        let (_, _, f) = cam.basis();
        let p = cam.project(cam.position() + f * 2.5);
        assert!((p.u - 640.0).abs() < 1e-3 && (p.v - 360.0).abs() < 1e-3, "{p:?}");
        assert!((p.depth - 2.5).abs() < 1e-5);
    }

    #[test]
    fn higher_points_have_smaller_v_and_right_is_right() {
        let cam = Camera::default();
        let lo = cam.project(Vec3::new(0.0, 0.8, 0.0));
        let hi = cam.project(Vec3::new(0.0, 1.2, 0.0));
        assert!(hi.v < lo.v);
        let right = cam.project(Vec3::new(0.3, 0.8, 0.0));
        assert!(right.u > lo.u);
    }

    #[test]
    fn aimed_camera_centres_the_aim_point() {
        for (h, d) in [(1.8, 2.0), (2.6, 3.0), (2.2, 2.6)] {
            let cam = Camera::aimed(h, d);
            let p = cam.project(AIM_POINT);
            assert!((p.v - 360.0).abs() < 0.5 && (p.u - 640.0).abs() < 0.5, "{cam:?} {p:?}");
        }
        assert!((Camera::aimed(2.2, 2.6).tilt_deg - 28.4).abs() < 0.5);
    }

    #[test]
    fn off_centre_camera_pans_to_the_clerk() {
        for off in [-1.5f32, -0.4, 0.7, 1.5] {
            let cam = Camera { offset_m: off, ..Camera::default() }.aimed_at(AIM_POINT);
            let p = cam.project(AIM_POINT);
            assert!((p.v - 360.0).abs() < 0.5 && (p.u - 640.0).abs() < 0.5, "{cam:?} {p:?}");
            // World +x still runs to image right.
            assert!(cam.project(AIM_POINT + Vec3::new(0.3, 0.0, 0.0)).u > p.u);
            assert_eq!(cam.pan_deg.signum(), off.signum());
        }
    }

    #[test]
    fn focal_matches_hfov() {
        let cam = Camera { hfov_deg: 90.0, ..Camera::default() };
        assert!((cam.focal_px() - 640.0).abs() < 1e-3);
    }
}
