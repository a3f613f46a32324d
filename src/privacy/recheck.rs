//! The last look before a frame is stored: the finished frame (redacted,
//! shrunk, skeletons and cues drawn) is searched for faces the way the hub
//! and `liyi privacy-audit` will search it, and whatever is found is filled
//! too. Filling changes a frame's context, and a face model can score a
//! spot beside a fill higher than in the raw frame (an ashtray on a table
//! went from under 0.3 to 0.52 once the heads around it were filled:
//! docs/privacy.md), so the search runs again after each fill. A frame still
//! not clean after [`RECHECK_ROUNDS`] fills, or one the search cannot run
//! on, is filled whole.

use image::RgbImage;
use rand::{SeedableRng, rngs::SmallRng};

use super::{RedactOptions, RedactedFrame, fill_region};
use crate::geometry::BBox;
use crate::vision::detector::Detection;

/// Searches after which a frame that still shows a face is filled whole.
pub const RECHECK_ROUNDS: usize = 3;

/// What the last look did to a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Recheck {
    /// Nothing found (or the frame was already filled whole).
    Clean,
    /// This many faces were found and filled; the last search found none
    /// (or only boxes outside the frame).
    Filled(usize),
    /// The frame was filled whole, for this reason.
    Whole(String),
}

impl RedactedFrame {
    /// Searches the frame with `search` (faces in its pixels) and fills what
    /// it finds, each box grown by the face margin, until a search finds
    /// nothing ([`Recheck`]). Fails closed: a failed search, or faces
    /// still found after [`RECHECK_ROUNDS`] fills, fills the whole frame.
    pub fn recheck(&mut self, options: &RedactOptions, mut search: impl FnMut(&RgbImage) -> Result<Vec<Detection>, String>) -> Recheck {
        if self.whole_frame {
            return Recheck::Clean;
        }
        let (w, h) = (self.image.width() as f32, self.image.height() as f32);
        // Seeded like the first fills: the noise only hides the flatness.
        let mut rng = SmallRng::seed_from_u64(u64::from(self.image.width()) << 32 | u64::from(self.image.height()) ^ 0x5eed);
        let mut filled = 0;
        for round in 0..=RECHECK_ROUNDS {
            let found = match search(&self.image) {
                Ok(found) => found,
                Err(e) => {
                    self.fill_whole(options, &mut rng);
                    return Recheck::Whole(format!("the face search failed: {e}"));
                }
            };
            if found.iter().any(|d| !d.bbox.is_finite()) {
                self.fill_whole(options, &mut rng);
                return Recheck::Whole("the face search gave a box that is not a number".into());
            }
            // Only boxes that cover part of the frame can be filled (a box
            // wholly outside it, or inverted, shows nothing of it).
            let paintable: Vec<BBox> = found
                .iter()
                .map(|d| d.bbox.expand(options.face_margin).clamp(w, h))
                .filter(|r| r.x2 > r.x1 && r.y2 > r.y1 && r.pixel_bounds(self.image.width(), self.image.height()).is_some())
                .collect();
            if paintable.is_empty() {
                return if filled == 0 { Recheck::Clean } else { Recheck::Filled(filled) };
            }
            if round == RECHECK_ROUNDS {
                break;
            }
            for r in paintable {
                fill_region(&mut self.image, &r, options.noise, &mut rng);
                self.regions.push(r);
                filled += 1;
            }
        }
        self.fill_whole(options, &mut rng);
        Recheck::Whole(format!("faces still found after {RECHECK_ROUNDS} fills"))
    }

    fn fill_whole(&mut self, options: &RedactOptions, rng: &mut SmallRng) {
        let all = BBox::new(0.0, 0.0, self.image.width() as f32, self.image.height() as f32);
        fill_region(&mut self.image, &all, options.noise, rng);
        self.regions = vec![all];
        self.whole_frame = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{FaceEvidence, redact};
    use image::Rgb;

    fn scene() -> RgbImage {
        RgbImage::from_fn(120, 80, |x, y| Rgb([(x * 9 % 256) as u8, (y * 17 % 256) as u8, ((x * y) % 256) as u8]))
    }

    fn frame() -> RedactedFrame {
        redact(&scene(), &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default())
    }

    fn spread(img: &RgbImage, r: (u32, u32, u32, u32)) -> u8 {
        let vals: Vec<u8> = (r.1..r.3).flat_map(|y| (r.0..r.2).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x, y).0[0]).collect();
        vals.iter().max().unwrap() - vals.iter().min().unwrap()
    }

    fn face(x: f32, y: f32) -> Detection {
        Detection { bbox: BBox::new(x, y, x + 20.0, y + 20.0), score: 0.5 }
    }

    /// A face found by the last look is filled, and the search runs again
    /// on the filled frame; a second face found only then is filled too.
    #[test]
    fn what_the_search_finds_is_filled_and_searched_again() {
        let mut f = frame();
        let mut calls = Vec::new();
        let out = f.recheck(&RedactOptions::default(), |img| {
            calls.push(spread(img, (12, 12, 28, 28)));
            Ok(match calls.len() {
                1 => vec![face(10.0, 10.0)],
                2 => vec![face(70.0, 40.0)],
                _ => Vec::new(),
            })
        });
        assert_eq!(out, Recheck::Filled(2));
        assert_eq!(calls.len(), 3, "searched until a search found nothing");
        assert!(calls[0] > 20 && calls[1] <= 2 * RedactOptions::default().noise, "the second search saw the first face filled");
        let noise = 2 * RedactOptions::default().noise;
        assert!(spread(f.image(), (12, 12, 28, 28)) <= noise && spread(f.image(), (72, 42, 88, 58)) <= noise);
        assert!(spread(f.image(), (40, 60, 60, 78)) > 20, "the rest is kept");
        assert!(!f.is_whole_frame());
        assert_eq!(f.regions().len(), 2);
    }

    #[test]
    fn a_clean_frame_is_left_as_it_is() {
        let mut f = frame();
        let before = f.image().clone();
        assert_eq!(f.recheck(&RedactOptions::default(), |_| Ok(Vec::new())), Recheck::Clean);
        assert_eq!(f.image(), &before);
    }

    /// Fail closed: a search that fails, or one that keeps finding faces,
    /// leaves a frame filled whole.
    #[test]
    fn a_failing_or_endless_search_fills_the_whole_frame() {
        let mut f = frame();
        assert!(matches!(f.recheck(&RedactOptions::default(), |_| Err("model failed".into())), Recheck::Whole(_)));
        assert!(f.is_whole_frame());
        assert!(spread(f.image(), (0, 0, 120, 80)) <= 2 * RedactOptions::default().noise);

        let mut f = frame();
        let mut n = 0;
        let out = f.recheck(&RedactOptions::default(), |_| {
            n += 1;
            Ok(vec![face(50.0, 30.0)])
        });
        assert!(matches!(out, Recheck::Whole(_)));
        assert_eq!(n, RECHECK_ROUNDS + 1);
        assert!(f.is_whole_frame() && spread(f.image(), (0, 0, 120, 80)) <= 2 * RedactOptions::default().noise);
        // Already whole: nothing to search.
        assert_eq!(f.recheck(&RedactOptions::default(), |_| panic!("not searched")), Recheck::Clean);
    }

    /// Boxes from a broken search: outside the frame or inverted, they are
    /// clamped and never panic (a search that finds only such boxes finds
    /// nothing to fill); not numbers, the frame is filled whole.
    #[test]
    fn boxes_outside_the_frame_are_clamped_and_nan_fills_whole() {
        let mut f = frame();
        let mut n = 0;
        let out = f.recheck(&RedactOptions::default(), |_| {
            n += 1;
            Ok(if n == 1 {
                vec![
                    Detection { bbox: BBox::new(-50.0, -50.0, 5000.0, 9.0), score: 0.9 },
                    Detection { bbox: BBox::new(30.0, 30.0, 10.0, 10.0), score: 0.9 },
                ]
            } else {
                Vec::new()
            })
        });
        assert_eq!(out, Recheck::Filled(1), "the inverted box fills nothing and is not counted");
        assert_eq!(f.image().dimensions(), (120, 80));
        assert!(spread(f.image(), (0, 0, 120, 9)) <= 2 * RedactOptions::default().noise, "the clamped strip is filled");
        assert!(!f.is_whole_frame());

        let mut f = frame();
        let before = f.image().clone();
        let outside = Detection { bbox: BBox::new(500.0, 500.0, 600.0, 600.0), score: 0.9 };
        let both_negative = Detection { bbox: BBox::new(-30.0, -30.0, -50.0, -50.0), score: 0.9 };
        assert_eq!(f.recheck(&RedactOptions::default(), |_| Ok(vec![outside.clone(), both_negative.clone()])), Recheck::Clean);
        assert_eq!(f.image(), &before);

        let mut f = frame();
        let nan = Detection { bbox: BBox::new(f32::NAN, 0.0, 10.0, f32::INFINITY), score: 0.9 };
        assert!(matches!(f.recheck(&RedactOptions::default(), |_| Ok(vec![nan.clone()])), Recheck::Whole(_)));
        assert!(f.is_whole_frame());
    }
}
