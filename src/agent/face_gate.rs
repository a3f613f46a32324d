//! Which part of a clip frame the face model must search. Faces may be
//! anywhere, not only in the zones, so the comparison covers the whole
//! frame, cell by cell of its 80×45 thumbnail, against the frame the cell
//! was last searched in:
//! - no cell changed by more than [`FACE_REUSE_MAX_CHANGE`] grey levels:
//!   the last faces stand;
//! - some cells changed: only the regions around them are searched (grown
//!   by [`GROW_CELLS`], and to the whole of any earlier face they touch),
//!   and the earlier faces elsewhere stand, since nothing there changed;
//! - the changed regions cover more than [`WHOLE_SHARE`] of the frame, the
//!   frame's size changed, or the last whole-frame search is
//!   [`FACE_REUSE_MAX_S`] old: the whole frame is searched.
//!
//! It is the largest change of a cell, not a mean: a 30 px face arriving in
//! a 1280 px frame fills about two 16 px cells and moves them far beyond
//! the limit, while it would hardly move a mean. Pure logic: the model runs
//! in [`super::faces`].

use chrono::{DateTime, FixedOffset};

use super::motion::{THUMB_H, THUMB_W, Thumb};
use crate::geometry::BBox;
use crate::vision::detector::Detection;

/// A cell may change by this many grey levels (sensor and compression
/// noise, averaged over a 16 px cell, stays well below it).
pub const FACE_REUSE_MAX_CHANGE: u8 = 8;
/// The whole frame is searched at least this often, even in a still scene.
pub const FACE_REUSE_MAX_S: f64 = 5.0;
/// A changed cell's region reaches this many cells further on every side
/// (48 px at 1280 px wide): a face whose edge moved is searched whole.
pub const GROW_CELLS: u32 = 3;
/// Changed regions covering more than this share of the frame: one search
/// of the whole frame costs less than several of its parts.
pub const WHOLE_SHARE: f32 = 0.5;

/// A rectangle of thumbnail cells, `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cells {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Cells {
    fn area(&self) -> u32 {
        (self.x1 - self.x0) * (self.y1 - self.y0)
    }

    /// Overlapping or sharing an edge or corner: two such regions are one
    /// (a face across their border would be cut in two searches).
    fn touches(&self, o: &Cells) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }

    #[cfg(test)]
    fn contains(&self, o: &Cells) -> bool {
        self.x0 <= o.x0 && o.x1 <= self.x1 && self.y0 <= o.y0 && o.y1 <= self.y1
    }

    fn union(&self, o: &Cells) -> Cells {
        Cells { x0: self.x0.min(o.x0), y0: self.y0.min(o.y0), x1: self.x1.max(o.x1), y1: self.y1.max(o.y1) }
    }

    fn grown(&self, by: u32) -> Cells {
        Cells {
            x0: self.x0.saturating_sub(by),
            y0: self.y0.saturating_sub(by),
            x1: (self.x1 + by).min(THUMB_W),
            y1: (self.y1 + by).min(THUMB_H),
        }
    }

    /// The cells a pixel box in a `w × h` frame overlaps.
    pub fn of_box(b: &BBox, w: u32, h: u32) -> Cells {
        let cx = |x: f32| ((x / w.max(1) as f32) * THUMB_W as f32).clamp(0.0, THUMB_W as f32);
        let cy = |y: f32| ((y / h.max(1) as f32) * THUMB_H as f32).clamp(0.0, THUMB_H as f32);
        let (x0, x1) = (cx(b.x1).floor() as u32, (cx(b.x2).ceil() as u32).max(cx(b.x1).floor() as u32 + 1).min(THUMB_W));
        let (y0, y1) = (cy(b.y1).floor() as u32, (cy(b.y2).ceil() as u32).max(cy(b.y1).floor() as u32 + 1).min(THUMB_H));
        Cells { x0: x0.min(THUMB_W - 1), y0: y0.min(THUMB_H - 1), x1, y1 }
    }

    /// The pixels these cells cover in a `w × h` frame: `(x, y, width,
    /// height)`, rounded outwards.
    pub fn pixels(&self, w: u32, h: u32) -> (u32, u32, u32, u32) {
        let px = |c: u32| (u64::from(c) * u64::from(w)).div_ceil(u64::from(THUMB_W)) as u32;
        let py = |c: u32| (u64::from(c) * u64::from(h)).div_ceil(u64::from(THUMB_H)) as u32;
        let (x0, y0) = (
            (u64::from(self.x0) * u64::from(w) / u64::from(THUMB_W)) as u32,
            (u64::from(self.y0) * u64::from(h) / u64::from(THUMB_H)) as u32,
        );
        let (x1, y1) = (px(self.x1).min(w), py(self.y1).min(h));
        (x0, y0, x1.saturating_sub(x0).max(1), y1.saturating_sub(y0).max(1))
    }
}

/// What the face model must do for one clip frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FacePlan {
    /// Nothing changed since the last search: its faces stand.
    Reuse(Vec<Detection>),
    /// Search the whole frame.
    Whole,
    /// Search only `regions`; `keep` are the earlier faces outside them.
    Part { regions: Vec<Cells>, keep: Vec<Detection> },
}

/// One window's face gate.
pub struct FaceGate {
    last: Option<Searched>,
}

struct Searched {
    /// Each cell as it was when it was last searched.
    reference: Vec<u8>,
    /// The frame's size: faces are in its pixels.
    size: (u32, u32),
    /// When the whole frame was last searched.
    whole_at: DateTime<FixedOffset>,
    faces: Vec<Detection>,
}

impl FaceGate {
    pub fn new() -> FaceGate {
        FaceGate { last: None }
    }

    /// What to search in this frame, of `size` pixels, whose thumbnail is
    /// `thumb`.
    pub fn plan(&self, thumb: &Thumb, size: (u32, u32), ts: DateTime<FixedOffset>) -> FacePlan {
        let Some(last) = self.last.as_ref() else { return FacePlan::Whole };
        let since = (ts - last.whole_at).num_milliseconds() as f64 / 1000.0;
        if last.size != size || !(0.0..FACE_REUSE_MAX_S).contains(&since) || thumb.cells().len() != last.reference.len() {
            return FacePlan::Whole;
        }
        let changed: Vec<bool> = thumb.cells().iter().zip(&last.reference).map(|(a, b)| a.abs_diff(*b) > FACE_REUSE_MAX_CHANGE).collect();
        let n = changed.iter().filter(|c| **c).count();
        if n == 0 {
            return FacePlan::Reuse(last.faces.clone());
        }
        if n as f32 > WHOLE_SHARE * changed.len() as f32 {
            return FacePlan::Whole;
        }
        let faces: Vec<Cells> = last.faces.iter().map(|f| Cells::of_box(&f.bbox, size.0, size.1).grown(1)).collect();
        let regions = regions_of(&changed, &faces);
        let covered: u32 = regions.iter().map(Cells::area).sum();
        if covered as f32 > WHOLE_SHARE * (THUMB_W * THUMB_H) as f32 {
            return FacePlan::Whole;
        }
        let keep = last.faces.iter().zip(&faces).filter(|(_, c)| !regions.iter().any(|r| r.touches(c))).map(|(f, _)| *f).collect();
        FacePlan::Part { regions, keep }
    }

    /// Records a whole-frame search.
    pub fn searched_whole(&mut self, thumb: &Thumb, size: (u32, u32), ts: DateTime<FixedOffset>, faces: &[Detection]) {
        self.last = Some(Searched { reference: thumb.cells().to_vec(), size, whole_at: ts, faces: faces.to_vec() });
    }

    /// Records a search of `regions` only: their cells take this frame's
    /// values, the rest keep the values they were searched in. `faces` are
    /// the plan's `keep` and what the regions held.
    pub fn searched_part(&mut self, thumb: &Thumb, regions: &[Cells], faces: &[Detection]) {
        let Some(last) = self.last.as_mut() else { return };
        for r in regions {
            for y in r.y0..r.y1 {
                for x in r.x0..r.x1 {
                    let i = (y * THUMB_W + x) as usize;
                    if let (Some(dst), Some(src)) = (last.reference.get_mut(i), thumb.cells().get(i)) {
                        *dst = *src;
                    }
                }
            }
        }
        last.faces = faces.to_vec();
    }
}

impl Default for FaceGate {
    fn default() -> Self {
        FaceGate::new()
    }
}

/// Rectangles around the changed cells, each grown by [`GROW_CELLS`] and to
/// the whole of any earlier face (`faces`, in cells) it touches, merged
/// until none overlaps another.
fn regions_of(changed: &[bool], faces: &[Cells]) -> Vec<Cells> {
    let mut regions: Vec<Cells> = Vec::new();
    for y in 0..THUMB_H {
        for x in 0..THUMB_W {
            if changed.get((y * THUMB_W + x) as usize).copied().unwrap_or(false) {
                regions.push(Cells { x0: x, y0: y, x1: x + 1, y1: y + 1 }.grown(GROW_CELLS));
            }
        }
    }
    regions = merge(regions);
    regions.sort_by_key(|r| (r.y0, r.x0, r.y1, r.x1));
    loop {
        let before = regions.clone();
        for f in faces {
            for r in regions.iter_mut() {
                if r.touches(f) {
                    *r = r.union(f);
                }
            }
        }
        regions = merge(regions);
        regions.sort_by_key(|r| (r.y0, r.x0, r.y1, r.x1));
        if regions == before {
            return regions;
        }
    }
}

/// Merges overlapping rectangles until none overlaps another.
fn merge(mut rects: Vec<Cells>) -> Vec<Cells> {
    let mut out: Vec<Cells> = Vec::with_capacity(rects.len());
    while let Some(mut r) = rects.pop() {
        loop {
            let Some(i) = out.iter().position(|o| o.touches(&r)) else { break };
            r = r.union(&out.swap_remove(i));
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};
    use proptest::prelude::*;

    fn ts(s: f64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap() + chrono::Duration::milliseconds((s * 1000.0) as i64)
    }

    fn base() -> RgbImage {
        RgbImage::from_fn(1280, 720, |x, y| Rgb([(x / 10) as u8, (y / 6) as u8, 100]))
    }

    fn with_square(mut img: RgbImage, x0: u32, y0: u32, side: u32) -> RgbImage {
        for y in y0..y0 + side {
            for x in x0..x0 + side {
                img.put_pixel(x, y, Rgb([20, 20, 20]));
            }
        }
        img
    }

    fn face(x: f32, y: f32, side: f32) -> Detection {
        Detection { bbox: BBox::new(x, y, x + side, y + side), score: 0.9 }
    }

    const SIZE: (u32, u32) = (1280, 720);

    #[test]
    fn first_frame_size_change_and_age_search_the_whole_frame() {
        let mut g = FaceGate::new();
        let t = Thumb::of(&base());
        assert_eq!(g.plan(&t, SIZE, ts(0.0)), FacePlan::Whole, "nothing searched yet");
        g.searched_whole(&t, SIZE, ts(0.0), &[face(10.0, 10.0, 30.0)]);
        assert_eq!(g.plan(&t, SIZE, ts(2.0)), FacePlan::Reuse(vec![face(10.0, 10.0, 30.0)]));
        assert_eq!(g.plan(&t, (640, 360), ts(2.0)), FacePlan::Whole, "a new stream mode");
        assert_eq!(g.plan(&t, SIZE, ts(5.0)), FacePlan::Whole, "the whole frame at least every 5 s");
        assert_eq!(g.plan(&t, SIZE, ts(-1.0)), FacePlan::Whole, "a clock that went back");
    }

    #[test]
    fn a_small_arrival_is_searched_around_it_and_far_faces_stand() {
        let mut g = FaceGate::new();
        let far = face(40.0, 40.0, 40.0);
        g.searched_whole(&Thumb::of(&base()), SIZE, ts(0.0), &[far]);
        // A 30 px dark face appears in the bottom-right corner.
        let arrived = Thumb::of(&with_square(base(), 1200, 600, 30));
        let FacePlan::Part { regions, keep } = g.plan(&arrived, SIZE, ts(1.0)) else { panic!("expected a partial search") };
        assert_eq!(keep, vec![far], "nothing changed around the far face");
        assert_eq!(regions.len(), 1);
        let (x, y, w, h) = regions[0].pixels(SIZE.0, SIZE.1);
        assert!(x <= 1200 - 48 && y <= 600 - 48 && x + w >= 1230 && y + h >= 630, "the arrival with its margin: {:?}", (x, y, w, h));
        assert!(w * h < 1280 * 720 / 20, "a small part of the frame: {w}×{h}");
    }

    #[test]
    fn a_region_touching_an_earlier_face_takes_it_whole_and_drops_it_from_keep() {
        let mut g = FaceGate::new();
        let big = face(300.0, 200.0, 200.0);
        g.searched_whole(&Thumb::of(&base()), SIZE, ts(0.0), &[big]);
        // The face's lower right edge moves.
        let moved = Thumb::of(&with_square(base(), 480, 380, 30));
        let FacePlan::Part { regions, keep } = g.plan(&moved, SIZE, ts(1.0)) else { panic!("expected a partial search") };
        assert!(keep.is_empty(), "the face the change touches is searched again, not kept");
        let (x, y, w, h) = regions[0].pixels(SIZE.0, SIZE.1);
        assert!(x <= 300 && y <= 200 && x + w >= 500 && y + h >= 400, "the whole earlier face is in the region: {:?}", (x, y, w, h));
    }

    #[test]
    fn a_change_over_most_of_the_frame_searches_it_whole() {
        let mut g = FaceGate::new();
        g.searched_whole(&Thumb::of(&base()), SIZE, ts(0.0), &[]);
        let lit = RgbImage::from_fn(1280, 720, |x, y| Rgb([(x / 10) as u8 + 40, (y / 6) as u8 + 40, 140]));
        assert_eq!(g.plan(&Thumb::of(&lit), SIZE, ts(1.0)), FacePlan::Whole);
    }

    #[test]
    fn searched_cells_take_the_new_values_and_slow_drift_elsewhere_still_counts() {
        let mut g = FaceGate::new();
        g.searched_whole(&Thumb::of(&base()), SIZE, ts(0.0), &[]);
        let arrived = with_square(base(), 1200, 600, 30);
        let FacePlan::Part { regions, keep } = g.plan(&Thumb::of(&arrived), SIZE, ts(1.0)) else { panic!() };
        let found = face(1200.0, 600.0, 30.0);
        let mut faces = keep;
        faces.push(found);
        g.searched_part(&Thumb::of(&arrived), &regions, &faces);
        assert_eq!(g.plan(&Thumb::of(&arrived), SIZE, ts(2.0)), FacePlan::Reuse(vec![found]), "the region now matches");
        // A cell far away drifts by 5 grey levels per frame, never 8 in one
        // step; against the cell's searched value it passes 8 by the second.
        let drift = |k: u8| {
            let mut img = arrived.clone();
            for y in 0..32 {
                for x in 0..32 {
                    let p = img.get_pixel(x, y).0;
                    img.put_pixel(x, y, Rgb([p[0] + 5 * k, p[1] + 5 * k, p[2] + 5 * k]));
                }
            }
            Thumb::of(&img)
        };
        assert!(matches!(g.plan(&drift(1), SIZE, ts(2.5)), FacePlan::Reuse(_)));
        assert!(matches!(g.plan(&drift(2), SIZE, ts(3.0)), FacePlan::Part { .. }), "the drift adds up against the searched value");
    }

    proptest! {
        /// A rectangle of cells maps to pixels inside any frame, covering
        /// at least the span the cells stand for; a box maps to cells that
        /// cover it.
        #[test]
        fn cells_and_pixels_agree(x0 in 0u32..THUMB_W, y0 in 0u32..THUMB_H, dx in 1u32..=THUMB_W, dy in 1u32..=THUMB_H,
                                  w in 1u32..4000, h in 1u32..4000, bx in -100f32..4100.0, by in -100f32..4100.0, side in 0f32..900.0) {
            let c = Cells { x0, y0, x1: (x0 + dx).min(THUMB_W), y1: (y0 + dy).min(THUMB_H) };
            let (px, py, pw, ph) = c.pixels(w, h);
            prop_assert!(pw >= 1 && ph >= 1 && px + pw <= w && py + ph <= h, "{:?} in {w}×{h}", (px, py, pw, ph));
            prop_assert!(px as f32 <= c.x0 as f32 * w as f32 / THUMB_W as f32 + 1e-3);
            prop_assert!((px + pw) as f32 + 1e-3 >= (c.x1 as f32 * w as f32 / THUMB_W as f32).min(w as f32));
            prop_assert!(py as f32 <= c.y0 as f32 * h as f32 / THUMB_H as f32 + 1e-3);
            prop_assert!((py + ph) as f32 + 1e-3 >= (c.y1 as f32 * h as f32 / THUMB_H as f32).min(h as f32));
            let b = BBox::new(bx, by, bx + side, by + side);
            let k = Cells::of_box(&b, w, h);
            prop_assert!(k.x0 < k.x1 && k.y0 < k.y1 && k.x1 <= THUMB_W && k.y1 <= THUMB_H);
            let (kx, ky, kw, kh) = k.pixels(w, h);
            let inside = b.clamp(w as f32, h as f32);
            if inside.area() > 0.0 {
                prop_assert!(kx as f32 <= inside.x1 + 1e-3 && ky as f32 <= inside.y1 + 1e-3, "{:?} covers {inside:?}", (kx, ky, kw, kh));
                prop_assert!((kx + kw) as f32 + 1e-3 >= inside.x2 && (ky + kh) as f32 + 1e-3 >= inside.y2, "{:?} covers {inside:?}", (kx, ky, kw, kh));
            }
        }
    }

    proptest! {
        /// Every changed cell lies inside a region; regions never overlap or
        /// share an edge, stay inside the thumbnail, and keep only faces no
        /// region touches; every other earlier face lies inside a region.
        #[test]
        fn regions_cover_every_change(cells in proptest::collection::vec((0u32..THUMB_W, 0u32..THUMB_H), 1..30),
                                      boxes in proptest::collection::vec((0f32..1280.0, 0f32..720.0, 1f32..300.0), 0..5)) {
            let mut g = FaceGate::new();
            let faces: Vec<Detection> = boxes.iter().map(|&(x, y, s)| face(x, y, s)).collect();
            let still = Thumb::of(&base());
            g.searched_whole(&still, SIZE, ts(0.0), &faces);
            let mut raw = still.cells().to_vec();
            for &(x, y) in &cells {
                let i = (y * THUMB_W + x) as usize;
                raw[i] = raw[i].wrapping_add(100);
            }
            let now = Thumb::from_cells(raw);
            match g.plan(&now, SIZE, ts(1.0)) {
                FacePlan::Whole => {}
                FacePlan::Reuse(_) => prop_assert!(false, "cells changed"),
                FacePlan::Part { regions, keep } => {
                    for &(x, y) in &cells {
                        prop_assert!(regions.iter().any(|r| r.x0 <= x && x < r.x1 && r.y0 <= y && y < r.y1));
                    }
                    for (i, a) in regions.iter().enumerate() {
                        prop_assert!(a.x1 <= THUMB_W && a.y1 <= THUMB_H && a.x0 < a.x1 && a.y0 < a.y1);
                        for b in &regions[i + 1..] {
                            prop_assert!(!a.touches(b));
                        }
                    }
                    for k in &keep {
                        let c = Cells::of_box(&k.bbox, SIZE.0, SIZE.1).grown(1);
                        prop_assert!(!regions.iter().any(|r| r.touches(&c)));
                    }
                    // The privacy property: an earlier face is kept, or
                    // searched again whole.
                    for f in &faces {
                        let c = Cells::of_box(&f.bbox, SIZE.0, SIZE.1).grown(1);
                        prop_assert!(keep.contains(f) || regions.iter().any(|r| r.contains(&c)), "{f:?} neither kept nor inside {regions:?}");
                    }
                }
            }
        }
    }
}
