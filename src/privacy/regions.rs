//! Which parts of a frame must be destroyed: pure geometry over keypoints.

use crate::geometry::BBox;
use crate::vision::Person;
use crate::vision::person::kp;

/// Redaction settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedactOptions {
    /// A head keypoint counts from this confidence.
    pub head_conf: f32,
    /// Margin added on every side of a detected face, as a fraction of its size.
    pub face_margin: f32,
    /// Margin added on every side of a keypoint head region.
    pub head_margin: f32,
    /// Without head keypoints, this top fraction of the person box is filled.
    pub top_fraction: f32,
    /// Amplitude of the noise added to each filled region.
    pub noise: u8,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions { head_conf: 0.3, face_margin: 0.3, head_margin: 0.5, top_fraction: 0.4, noise: 12 }
    }
}

/// The region covering a person's head, from the head keypoints (nose, eyes,
/// ears) scaled by shoulder width; the top of the box when no head keypoint
/// is confident.
pub fn head_region(p: &Person, o: &RedactOptions) -> BBox {
    let head: Vec<_> = kp::HEAD.iter().filter_map(|&i| p.confident(i, o.head_conf)).collect();
    if head.is_empty() {
        let b = p.bbox;
        return BBox::new(b.x1, b.y1, b.x2, b.y1 + b.height() * o.top_fraction).expand(o.head_margin / 2.0);
    }
    let n = head.len() as f32;
    let cx = head.iter().map(|k| k.x).sum::<f32>() / n;
    let cy = head.iter().map(|k| k.y).sum::<f32>() / n;
    let extent = head.iter().map(|k| (k.x - cx).abs().max((k.y - cy).abs())).fold(0.0, f32::max);
    let shoulders = match (p.confident(kp::LEFT_SHOULDER, o.head_conf), p.confident(kp::RIGHT_SHOULDER, o.head_conf)) {
        (Some(l), Some(r)) => ((l.x - r.x).powi(2) + (l.y - r.y).powi(2)).sqrt(),
        _ => 0.0,
    };
    // A head is about 0.6 shoulder widths across; eyes and ears span about
    // half of it. Take the largest estimate, never less than a fifth of the
    // box width, so a profile view or a far person is still covered.
    let side = (shoulders * 0.8).max(extent * 3.0).max(p.bbox.width() * 0.2).max(8.0);
    BBox::from_center(cx, cy - side * 0.1, side, side * 1.2).expand(o.head_margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::Keypoint;

    fn person_with(points: &[(usize, f32, f32)]) -> Person {
        let mut kps = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
        for &(i, x, y) in points {
            kps[i] = Keypoint::new(x, y, 0.9);
        }
        Person { bbox: BBox::new(0.0, 0.0, 100.0, 300.0), score: 0.9, keypoints: kps, landmarks: None, presence: None }
    }

    #[test]
    fn head_region_covers_head_points_and_scales_with_shoulders() {
        let p = person_with(&[
            (kp::NOSE, 50.0, 40.0),
            (kp::LEFT_EYE, 55.0, 35.0),
            (kp::RIGHT_EYE, 45.0, 35.0),
            (kp::LEFT_SHOULDER, 90.0, 90.0),
            (kp::RIGHT_SHOULDER, 10.0, 90.0),
        ]);
        let r = head_region(&p, &RedactOptions::default());
        for (x, y) in [(50.0, 40.0), (55.0, 35.0), (45.0, 35.0)] {
            assert!(r.x1 < x && x < r.x2 && r.y1 < y && y < r.y2);
        }
        assert!(r.width() >= 80.0 * 0.8, "{r:?}");
    }

    #[test]
    fn no_head_points_gives_top_of_box() {
        let p = person_with(&[(kp::LEFT_SHOULDER, 90.0, 90.0)]);
        let r = head_region(&p, &RedactOptions::default());
        assert!(r.y1 <= 0.0 && r.y2 >= 120.0 && r.x1 <= 0.0 && r.x2 >= 100.0, "{r:?}");
    }
}
