//! Minimal 3-D vector maths (metres, world or body frame).

use std::ops::{Add, AddAssign, Mul, Neg, Sub};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Vec3 {
    pub const ZERO: Vec3 = Vec3 { x: 0.0, y: 0.0, z: 0.0 };
    pub const X: Vec3 = Vec3 { x: 1.0, y: 0.0, z: 0.0 };
    pub const Y: Vec3 = Vec3 { x: 0.0, y: 1.0, z: 0.0 };
    pub const Z: Vec3 = Vec3 { x: 0.0, y: 0.0, z: 1.0 };

    pub const fn new(x: f32, y: f32, z: f32) -> Self {
        Vec3 { x, y, z }
    }

    pub fn dot(self, o: Vec3) -> f32 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub fn cross(self, o: Vec3) -> Vec3 {
        Vec3::new(self.y * o.z - self.z * o.y, self.z * o.x - self.x * o.z, self.x * o.y - self.y * o.x)
    }

    pub fn len(self) -> f32 {
        self.dot(self).sqrt()
    }

    /// Unit vector in the same direction (returns `self` if nearly zero).
    pub fn norm(self) -> Vec3 {
        let l = self.len();
        if l < 1e-9 { self } else { self * (1.0 / l) }
    }

    pub fn dist(self, o: Vec3) -> f32 {
        (self - o).len()
    }

    pub fn lerp(a: Vec3, b: Vec3, t: f32) -> Vec3 {
        a + (b - a) * t
    }

    /// Angle between two vectors, degrees.
    pub fn angle_deg(a: Vec3, b: Vec3) -> f32 {
        let c = a.norm().dot(b.norm()).clamp(-1.0, 1.0);
        c.acos().to_degrees()
    }

    /// Rotate about the vertical (`y`) axis by `yaw` radians: body `+z`
    /// (forward) maps to `(sin yaw, 0, cos yaw)`, body `+x` to `(cos yaw, 0, -sin yaw)`.
    pub fn rot_y(self, yaw: f32) -> Vec3 {
        let (s, c) = yaw.sin_cos();
        Vec3::new(self.x * c + self.z * s, self.y, -self.x * s + self.z * c)
    }
}

impl Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl AddAssign for Vec3 {
    fn add_assign(&mut self, o: Vec3) {
        *self = *self + o;
    }
}

impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}

impl Mul<f32> for Vec3 {
    type Output = Vec3;
    fn mul(self, k: f32) -> Vec3 {
        Vec3::new(self.x * k, self.y * k, self.z * k)
    }
}

impl Neg for Vec3 {
    type Output = Vec3;
    fn neg(self) -> Vec3 {
        Vec3::new(-self.x, -self.y, -self.z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rot_y_maps_forward_to_facing() {
        let f = Vec3::Z.rot_y(std::f32::consts::FRAC_PI_2);
        assert!((f.x - 1.0).abs() < 1e-6 && f.z.abs() < 1e-6);
        let l = Vec3::X.rot_y(std::f32::consts::PI);
        assert!((l.x + 1.0).abs() < 1e-6);
    }

    #[test]
    fn cross_is_right_handed() {
        assert_eq!(Vec3::X.cross(Vec3::Y), Vec3::Z);
    }
}
