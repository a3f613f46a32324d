//! Motion gating: skip inference when neither the staff zone nor the counter
//! zone has changed since the last analysed frame, and reuse its people.
//! Clerks sit still for long stretches, so this is where most CPU is saved.
//! The counter zone is included so an arriving citizen is never missed.

use chrono::{DateTime, FixedOffset};
use image::RgbImage;

use crate::geometry::{Point, Polygon};
use crate::vision::Person;
use crate::vision::preprocess::resize_rgb;

/// Thumbnail size the comparison runs on.
pub const THUMB_W: u32 = 80;
pub const THUMB_H: u32 = 45;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateOptions {
    /// Mean absolute grey-level change inside the zones below which a frame
    /// counts as unchanged.
    pub threshold: f32,
    /// Analyse at least this often even when nothing changes.
    pub max_skip_s: f64,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions { threshold: 2.5, max_skip_s: 10.0 }
    }
}

/// A small grey image of a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumb(Vec<u8>);

impl Thumb {
    pub fn of(img: &RgbImage) -> Thumb {
        let small = resize_rgb(img, THUMB_W, THUMB_H);
        Thumb(small.pixels().map(|p| ((u16::from(p[0]) * 77 + u16::from(p[1]) * 150 + u16::from(p[2]) * 29) >> 8) as u8).collect())
    }

    /// The grey level of each cell, row by row.
    pub fn cells(&self) -> &[u8] {
        &self.0
    }

    #[cfg(test)]
    pub fn from_cells(cells: Vec<u8>) -> Thumb {
        Thumb(cells)
    }
}

/// The cells of the thumbnail that lie in either zone (normalised polygons).
pub fn zone_mask(zones: &[&Polygon]) -> Vec<bool> {
    let mut mask = Vec::with_capacity((THUMB_W * THUMB_H) as usize);
    for y in 0..THUMB_H {
        for x in 0..THUMB_W {
            let c = Point::new((x as f32 + 0.5) / THUMB_W as f32, (y as f32 + 0.5) / THUMB_H as f32);
            mask.push(zones.iter().any(|z| z.contains(c)));
        }
    }
    mask
}

/// Mean absolute difference over the masked cells.
pub fn change(a: &Thumb, b: &Thumb, mask: &[bool]) -> f32 {
    let (mut sum, mut n) = (0u32, 0u32);
    for ((x, y), m) in a.0.iter().zip(&b.0).zip(mask) {
        if *m {
            sum += u32::from(x.abs_diff(*y));
            n += 1;
        }
    }
    if n == 0 { f32::INFINITY } else { sum as f32 / n as f32 }
}

/// One window's gate.
pub struct MotionGate {
    options: GateOptions,
    mask: Vec<bool>,
    last: Option<Last>,
}

/// The last analysed frame: its thumbnail, time and people, and until when
/// those people may stand for the scene.
struct Last {
    thumb: Thumb,
    at: DateTime<FixedOffset>,
    people: Vec<Person>,
    until: Option<DateTime<FixedOffset>>,
}

impl MotionGate {
    pub fn new(staff_zone: &Polygon, counter_zone: &Polygon, options: GateOptions) -> MotionGate {
        MotionGate { options, mask: zone_mask(&[staff_zone, counter_zone]), last: None }
    }

    /// The people of the last analysed frame when this one may skip
    /// inference; `None` when it must be analysed. `thumb` is this frame's.
    pub fn reuse(&self, thumb: &Thumb, ts: DateTime<FixedOffset>) -> Option<Vec<Person>> {
        let last = self.last.as_ref()?;
        let since = (ts - last.at).num_milliseconds() as f64 / 1000.0;
        let fresh = last.until.is_none_or(|u| ts < u);
        (fresh && since < self.options.max_skip_s && change(thumb, &last.thumb, &self.mask) < self.options.threshold)
            .then(|| last.people.clone())
    }

    /// Records an analysed frame. `until`: its people may be reused only
    /// before then (a followed frame's others are the last detection's, and
    /// must not outlive its next one).
    pub fn analysed(&mut self, thumb: Thumb, ts: DateTime<FixedOffset>, people: &[Person], until: Option<DateTime<FixedOffset>>) {
        self.last = Some(Last { thumb, at: ts, people: people.to_vec(), until });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn zone(x0: f32, y0: f32, x1: f32, y1: f32) -> Polygon {
        Polygon(vec![Point::new(x0, y0), Point::new(x1, y0), Point::new(x1, y1), Point::new(x0, y1)])
    }

    fn ts(s: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap() + chrono::Duration::seconds(s)
    }

    fn scene(block_x: u32) -> RgbImage {
        RgbImage::from_fn(320, 180, |x, y| {
            if (block_x..block_x + 40).contains(&x) && (60..120).contains(&y) { Rgb([250, 250, 250]) } else { Rgb([40, 60, 80]) }
        })
    }

    #[test]
    fn still_scene_is_reused_and_motion_in_a_zone_is_not() {
        let staff = zone(0.0, 0.0, 0.5, 1.0);
        let counter = zone(0.5, 0.6, 1.0, 1.0);
        let mut g = MotionGate::new(&staff, &counter, GateOptions::default());
        let first = Thumb::of(&scene(20));
        assert!(g.reuse(&first, ts(0)).is_none(), "nothing analysed yet");
        g.analysed(first, ts(0), &[], None);
        assert!(g.reuse(&Thumb::of(&scene(20)), ts(1)).is_some(), "unchanged");
        assert!(g.reuse(&Thumb::of(&scene(60)), ts(1)).is_none(), "the block moved inside the staff zone");
        assert!(g.reuse(&Thumb::of(&scene(20)), ts(11)).is_none(), "analysed at least every 10 s");
    }

    #[test]
    fn people_are_not_reused_past_their_freshness() {
        let staff = zone(0.0, 0.0, 0.5, 1.0);
        let counter = zone(0.5, 0.6, 1.0, 1.0);
        let mut g = MotionGate::new(&staff, &counter, GateOptions::default());
        g.analysed(Thumb::of(&scene(20)), ts(0), &[], Some(ts(2)));
        assert!(g.reuse(&Thumb::of(&scene(20)), ts(1)).is_some());
        assert!(g.reuse(&Thumb::of(&scene(20)), ts(2)).is_none(), "a followed frame's others are due for the detector");
    }

    #[test]
    fn motion_outside_the_zones_is_ignored() {
        let staff = zone(0.0, 0.0, 0.3, 1.0);
        let counter = zone(0.0, 0.9, 0.3, 1.0);
        let mut g = MotionGate::new(&staff, &counter, GateOptions::default());
        g.analysed(Thumb::of(&scene(200)), ts(0), &[], None);
        assert!(g.reuse(&Thumb::of(&scene(240)), ts(1)).is_some(), "the block moved only outside both zones");
    }

    #[test]
    fn empty_mask_never_skips() {
        let empty = Polygon(vec![]);
        let mut g = MotionGate::new(&empty, &empty, GateOptions::default());
        g.analysed(Thumb::of(&scene(0)), ts(0), &[], None);
        assert!(g.reuse(&Thumb::of(&scene(0)), ts(1)).is_none());
    }
}
