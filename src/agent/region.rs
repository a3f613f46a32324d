//! Where in a frame the window's rules look: the staff and counter zones'
//! bounding box, grown so that a person partly inside (a head above the
//! staff zone, a clerk who stands up, a citizen leaning in) is still seen
//! whole by the person detector. Pose is estimated only for people found
//! there (`PoseEstimator::estimate_in`). Pure.

use crate::config::Window;
use crate::geometry::{BBox, Polygon};

/// Growth of the zones' box, as shares of its own width and height: above
/// (a standing clerk's head rises about half a seated torso), to the sides,
/// below (the desk hides most of it).
const GROW_UP: f32 = 0.6;
const GROW_SIDES: f32 = 0.2;
const GROW_DOWN: f32 = 0.15;
/// And at least this share of the frame on every side.
const MIN_GROW: f32 = 0.04;

/// The window's analysis region in frame pixels, or `None` when the zones
/// are empty (then the whole frame is analysed).
pub fn analysis_region(w: &Window, width: u32, height: u32) -> Option<BBox> {
    let (fw, fh) = (width as f32, height as f32);
    let zones = [w.staff_zone.to_pixels(fw, fh), w.counter_zone.to_pixels(fw, fh)];
    let b = bounds(zones.iter())?;
    let (gx, gy) = (MIN_GROW * fw, MIN_GROW * fh);
    let grown = BBox::new(
        b.x1 - (GROW_SIDES * b.width()).max(gx),
        b.y1 - (GROW_UP * b.height()).max(gy),
        b.x2 + (GROW_SIDES * b.width()).max(gx),
        b.y2 + (GROW_DOWN * b.height()).max(gy),
    );
    Some(grown.clamp(fw, fh))
}

/// The bounding box of every finite point of the polygons.
fn bounds<'a>(polys: impl Iterator<Item = &'a Polygon>) -> Option<BBox> {
    let pts: Vec<_> = polys.flat_map(|p| p.0.iter()).filter(|p| p.x.is_finite() && p.y.is_finite()).collect();
    let first = pts.first()?;
    let init = BBox::new(first.x, first.y, first.x, first.y);
    Some(pts.iter().fold(init, |b, p| BBox::new(b.x1.min(p.x), b.y1.min(p.y), b.x2.max(p.x), b.y2.max(p.y))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Point;

    fn window(staff: &[[f32; 2]], counter: &[[f32; 2]]) -> Window {
        let text = format!(
            "hall = \"h\"\n[[window]]\nid = \"w\"\nsource = \"file:x.mp4\"\nstaff_zone = {staff:?}\ncounter_zone = {counter:?}\nhours = [\"08:00-17:00\"]\n"
        );
        let cfg = crate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
        cfg.windows[0].clone()
    }

    #[test]
    fn region_holds_both_zones_and_room_above_them() {
        let w = window(&[[0.3, 0.3], [0.6, 0.3], [0.6, 0.6], [0.3, 0.6]], &[[0.25, 0.6], [0.7, 0.6], [0.7, 0.9], [0.25, 0.9]]);
        let r = analysis_region(&w, 1000, 1000).unwrap();
        for p in w.staff_zone.to_pixels(1000.0, 1000.0).0.iter().chain(w.counter_zone.to_pixels(1000.0, 1000.0).0.iter()) {
            assert!(r.contains(*p), "{p:?} outside {r:?}");
        }
        // Zones span y 300..900: 60 % of that above, clamped at the frame.
        assert!((r.y1 - (300.0 - 360.0_f32).max(0.0)).abs() < 1e-3, "{r:?}");
        assert!((r.x1 - 160.0).abs() < 1e-3 && (r.x2 - 790.0).abs() < 1e-3, "{r:?}");
        assert!(r.y2 <= 1000.0);
    }

    #[test]
    fn bounds_skip_points_that_are_not_finite() {
        let p = Polygon(vec![Point::new(f32::NAN, 1.0), Point::new(2.0, 3.0), Point::new(4.0, 1.0)]);
        assert_eq!(bounds([p].iter()), Some(BBox::new(2.0, 1.0, 4.0, 3.0)));
        assert_eq!(bounds(std::iter::empty()), None);
    }
}
