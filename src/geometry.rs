//! Plain geometry shared by every stage: boxes, IoU and non-maximum suppression.
//!
//! Pure functions only; no I/O. Coordinates are continuous pixels: pixel `i`
//! spans `[i, i + 1)`.

use serde::{Deserialize, Serialize};

/// An axis-aligned box `[x1, y1, x2, y2]` in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f32; 4]", into = "[f32; 4]")]
pub struct BBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl From<[f32; 4]> for BBox {
    fn from(v: [f32; 4]) -> Self {
        BBox::new(v[0], v[1], v[2], v[3])
    }
}

impl From<BBox> for [f32; 4] {
    fn from(b: BBox) -> Self {
        [b.x1, b.y1, b.x2, b.y2]
    }
}

impl BBox {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        BBox { x1, y1, x2, y2 }
    }

    /// A box from its centre and size.
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        BBox::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    pub fn intersection(&self, other: &BBox) -> f32 {
        let w = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let h = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        w * h
    }

    /// Whether `p` lies in the box, its edges included; never for a
    /// non-finite point.
    pub fn contains(&self, p: Point) -> bool {
        self.x1 <= p.x && p.x <= self.x2 && self.y1 <= p.y && p.y <= self.y2
    }

    /// Intersection over union; 0 when both boxes are empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection(other);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    /// The box clamped to `[0, w] × [0, h]`.
    pub fn clamp(&self, w: f32, h: f32) -> BBox {
        BBox::new(self.x1.clamp(0.0, w), self.y1.clamp(0.0, h), self.x2.clamp(0.0, w), self.y2.clamp(0.0, h))
    }

    /// The box grown by `frac` of its size on every side.
    pub fn expand(&self, frac: f32) -> BBox {
        let dx = self.width() * frac;
        let dy = self.height() * frac;
        BBox::new(self.x1 - dx, self.y1 - dy, self.x2 + dx, self.y2 + dy)
    }

    /// Integer pixel bounds `(x0, y0, x1, y1)` covering the box inside a
    /// `w × h` image, rounding outwards; `None` when nothing is inside.
    pub fn pixel_bounds(&self, w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
        let x0 = self.x1.floor().max(0.0) as i64;
        let y0 = self.y1.floor().max(0.0) as i64;
        let x1 = (self.x2.ceil() as i64).min(w as i64);
        let y1 = (self.y2.ceil() as i64).min(h as i64);
        (x1 > x0 && y1 > y0).then_some((x0 as u32, y0 as u32, x1 as u32, y1 as u32))
    }

    pub fn is_finite(&self) -> bool {
        self.x1.is_finite() && self.y1.is_finite() && self.x2.is_finite() && self.y2.is_finite()
    }
}

/// Greedy non-maximum suppression. Returns the indices of the kept items,
/// best first. An item is dropped when its IoU with an already kept item is
/// greater than `iou_threshold`.
pub fn nms(boxes: &[BBox], scores: &[f32], iou_threshold: f32, max_keep: usize) -> Vec<usize> {
    debug_assert_eq!(boxes.len(), scores.len());
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.len() >= max_keep {
            break;
        }
        if kept.iter().all(|&k| boxes[k].iou(&boxes[i]) <= iou_threshold) {
            kept.push(i);
        }
    }
    kept
}

/// A point in any 2D space (pixels, or 0..1 frame-normalised coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f32; 2]", into = "[f32; 2]")]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl From<[f32; 2]> for Point {
    fn from(v: [f32; 2]) -> Self {
        Point { x: v[0], y: v[1] }
    }
}

impl From<Point> for [f32; 2] {
    fn from(p: Point) -> Self {
        [p.x, p.y]
    }
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }

    pub fn midpoint(a: Point, b: Point) -> Point {
        Point::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
    }

    pub fn distance(a: Point, b: Point) -> f32 {
        ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
    }
}

/// A simple polygon (vertices in order, implicitly closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Polygon(pub Vec<Point>);

impl Polygon {
    /// Even-odd point-in-polygon test; points on the boundary may go either way.
    pub fn contains(&self, p: Point) -> bool {
        let v = &self.0;
        if v.len() < 3 {
            return false;
        }
        let mut inside = false;
        let mut j = v.len() - 1;
        for i in 0..v.len() {
            let (a, b) = (v[i], v[j]);
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// Signed area (shoelace); positive for counter-clockwise in y-up axes.
    pub fn signed_area(&self) -> f32 {
        let v = &self.0;
        let n = v.len();
        (0..n).map(|i| v[i].x * v[(i + 1) % n].y - v[(i + 1) % n].x * v[i].y).sum::<f32>() / 2.0
    }

    /// True when two non-adjacent edges cross.
    pub fn self_intersects(&self) -> bool {
        let v = &self.0;
        let n = v.len();
        let cross = |o: Point, a: Point, b: Point| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
        let segs_cross = |p1: Point, p2: Point, q1: Point, q2: Point| {
            let d1 = cross(q1, q2, p1);
            let d2 = cross(q1, q2, p2);
            let d3 = cross(p1, p2, q1);
            let d4 = cross(p1, p2, q2);
            (d1 * d2 < 0.0) && (d3 * d4 < 0.0)
        };
        for i in 0..n {
            for j in i + 1..n {
                if j == i + 1 || (i == 0 && j == n - 1) {
                    continue;
                }
                if segs_cross(v[i], v[(i + 1) % n], v[j], v[(j + 1) % n]) {
                    return true;
                }
            }
        }
        false
    }

    /// The polygon scaled from 0..1 coordinates to a `w × h` frame.
    pub fn to_pixels(&self, w: f32, h: f32) -> Polygon {
        Polygon(self.0.iter().map(|p| Point::new(p.x * w, p.y * h)).collect())
    }
}

/// Rounds half away from zero, the rounding the pipelines' contract uses.
pub fn round_half_away(v: f32) -> i64 {
    v.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_contains_its_inside_and_edges_only() {
        let b = BBox::new(0.0, 0.0, 10.0, 5.0);
        assert!(b.contains(Point::new(5.0, 2.5)));
        assert!(b.contains(Point::new(0.0, 0.0)) && b.contains(Point::new(10.0, 5.0)));
        assert!(!b.contains(Point::new(10.5, 2.0)) && !b.contains(Point::new(5.0, -0.1)));
        assert!(!b.contains(Point::new(f32::NAN, 2.0)) && !b.contains(Point::new(f32::INFINITY, 2.0)));
    }

    #[test]
    fn iou_of_identical_boxes_is_one() {
        let b = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert!((b.iou(&b) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn iou_of_half_overlap() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        let b = BBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn iou_of_disjoint_and_empty_boxes_is_zero() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&BBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        let e = BBox::new(5.0, 5.0, 5.0, 5.0);
        assert_eq!(e.iou(&e), 0.0);
    }

    #[test]
    fn nms_keeps_best_of_overlapping_and_all_disjoint() {
        let boxes = [BBox::new(0.0, 0.0, 10.0, 10.0), BBox::new(1.0, 1.0, 11.0, 11.0), BBox::new(50.0, 50.0, 60.0, 60.0)];
        let kept = nms(&boxes, &[0.8, 0.9, 0.5], 0.45, 10);
        assert_eq!(kept, vec![1, 2]);
    }

    #[test]
    fn nms_respects_max_keep() {
        let boxes = [BBox::new(0.0, 0.0, 1.0, 1.0), BBox::new(5.0, 5.0, 6.0, 6.0)];
        assert_eq!(nms(&boxes, &[0.1, 0.2], 0.5, 1), vec![1]);
    }

    #[test]
    fn clamp_and_pixel_bounds() {
        let b = BBox::new(-5.0, 2.5, 105.0, 40.2).clamp(100.0, 50.0);
        assert_eq!(b, BBox::new(0.0, 2.5, 100.0, 40.2));
        assert_eq!(b.pixel_bounds(100, 50), Some((0, 2, 100, 41)));
        assert_eq!(BBox::new(200.0, 0.0, 300.0, 10.0).pixel_bounds(100, 50), None);
    }

    #[test]
    fn serialises_as_array() {
        let b = BBox::new(1.0, 2.0, 3.0, 4.0);
        assert_eq!(serde_json::to_string(&b).unwrap(), "[1.0,2.0,3.0,4.0]");
    }

    #[test]
    fn polygon_contains_and_validity() {
        let square = Polygon(vec![Point::new(0.0, 0.0), Point::new(1.0, 0.0), Point::new(1.0, 1.0), Point::new(0.0, 1.0)]);
        assert!(square.contains(Point::new(0.5, 0.5)));
        assert!(!square.contains(Point::new(1.5, 0.5)));
        assert!(!square.self_intersects());
        assert!((square.signed_area().abs() - 1.0).abs() < 1e-6);
        let bowtie = Polygon(vec![Point::new(0.0, 0.0), Point::new(1.0, 1.0), Point::new(1.0, 0.0), Point::new(0.0, 1.0)]);
        assert!(bowtie.self_intersects());
        let concave =
            Polygon(vec![Point::new(0.0, 0.0), Point::new(2.0, 0.0), Point::new(2.0, 2.0), Point::new(1.0, 1.0), Point::new(0.0, 2.0)]);
        assert!(concave.contains(Point::new(0.5, 1.2)));
        assert!(!concave.contains(Point::new(1.0, 1.5)));
        assert!(!Polygon(vec![Point::new(0.0, 0.0)]).contains(Point::new(0.0, 0.0)));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(2.5), 3);
        assert_eq!(round_half_away(-2.5), -3);
        assert_eq!(round_half_away(2.49), 2);
    }
}
