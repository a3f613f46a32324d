//! A still for people to look at, one picture rather than a clip: `liyi
//! snapshot`'s PNG, the zone editor's live preview, `liyi analyze --draw`.
//! All three take the same road: the redaction gate (the first face
//! search's evidence, the people's heads, the window's masks where there
//! is a window), the drawing over the redacted pixels at the source's
//! size, the shrink to the size served, and then the last look
//! ([`RedactedFrame::recheck`]) over the still exactly as it will be
//! written or served. A face the first search missed is filled there; a
//! search that cannot run fills the whole still.

use image::RgbImage;

use super::{FaceEvidence, Recheck, RedactOptions, RedactedFrame, apply, regions_for};
use crate::geometry::Polygon;
use crate::vision::Person;
use crate::vision::detector::Detection;

/// `img` redacted (faces from `evidence`, the people's heads, `masks`),
/// with `draw` applied, shrunk to `long_side` when given, and looked at
/// last with `search`. Returns the still and what the last look did.
#[allow(clippy::too_many_arguments)]
pub fn still(
    img: RgbImage,
    people: &[Person],
    evidence: &FaceEvidence,
    masks: &[Polygon],
    options: &RedactOptions,
    long_side: Option<u32>,
    draw: impl FnOnce(&mut RedactedFrame),
    search: impl FnMut(&RgbImage) -> Result<Vec<Detection>, String>,
) -> (RedactedFrame, Recheck) {
    let (regions, whole) = regions_for(img.width(), img.height(), people, evidence, options);
    let mut shot = apply(img, regions, whole, masks, options);
    draw(&mut shot);
    let mut shot = match long_side {
        Some(side) => shot.downscaled(side),
        None => shot,
    };
    let look = shot.recheck(options, search);
    (shot, look)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{BBox, Point};

    /// A scene with a "face": a checkered patch whose spread the fill
    /// removes.
    fn scene(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| if (x / 16 + y / 16) % 2 == 0 { image::Rgb([230, 200, 180]) } else { image::Rgb([20, 30, 40]) })
    }

    fn spread(img: &RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> u8 {
        let lum: Vec<u8> = (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x, y).0[1]).collect();
        lum.iter().max().unwrap_or(&0) - lum.iter().min().unwrap_or(&0)
    }

    fn face_at(x: f32, y: f32, side: f32) -> Detection {
        Detection { bbox: BBox::new(x, y, x + side, y + side), score: 0.9 }
    }

    #[test]
    fn the_last_look_sees_the_still_as_served_and_fills_what_the_first_search_missed() {
        // 1280×720 served at 640: the face at (800, 200)–(880, 280) in the
        // source is at (400, 100)–(440, 140) in the still.
        let mut seen = Vec::new();
        let (shot, look) = still(
            scene(1280, 720),
            &[],
            &FaceEvidence::Detected(Vec::new()),
            &[],
            &RedactOptions::default(),
            Some(640),
            |f| {
                // Drawn at the source's size, where the keypoints and the
                // filled regions are, before the shrink.
                assert_eq!(f.image().dimensions(), (1280, 720));
                (0..16).for_each(|y| (0..16).for_each(|x| f.image.put_pixel(x, y, image::Rgb([255, 0, 255]))))
            },
            |img| {
                seen.push((img.dimensions(), *img.get_pixel(3, 3)));
                // The face is found while it is there, as a real search would.
                Ok(if spread(img, (400, 100, 440, 140)) > 50 { vec![face_at(400.0, 100.0, 40.0)] } else { Vec::new() })
            },
        );
        assert_eq!(look, Recheck::Filled(1));
        assert_eq!(shot.image().dimensions(), (640, 360));
        assert!(spread(shot.image(), (402, 102, 438, 138)) < 50, "the face the first search missed is filled");
        assert!(spread(shot.image(), (100, 200, 140, 240)) > 150, "the rest is kept");
        // Every search saw the drawing at the served size.
        assert!(!seen.is_empty());
        assert!(seen.iter().all(|(d, p)| *d == (640, 360) && *p == image::Rgb([255, 0, 255])), "{seen:?}");
    }

    #[test]
    fn what_the_first_search_found_and_the_masks_are_filled_before_the_drawing() {
        let mut drawn = false;
        let mask = Polygon([(0.0, 0.5), (0.25, 0.5), (0.25, 1.0), (0.0, 1.0)].iter().map(|&(x, y)| Point::new(x, y)).collect());
        let (shot, look) = still(
            scene(640, 360),
            &[],
            &FaceEvidence::Detected(vec![face_at(300.0, 40.0, 60.0)]),
            &[mask],
            &RedactOptions::default(),
            None,
            |f| {
                // The drawing never sees the pixels under a fill.
                assert!(spread(f.image(), (305, 45, 355, 95)) < 50);
                assert!(spread(f.image(), (10, 200, 150, 350)) < 50);
                drawn = true;
            },
            |_| Ok(Vec::new()),
        );
        assert!(drawn);
        assert_eq!(look, Recheck::Clean);
        assert!(spread(shot.image(), (305, 45, 355, 95)) < 50);
        assert!(spread(shot.image(), (10, 200, 150, 350)) < 50, "the mask is filled");
        assert!(spread(shot.image(), (400, 200, 600, 350)) > 150, "the rest is kept");
    }

    #[test]
    fn no_face_model_or_a_failing_last_look_fills_the_whole_still() {
        let unavailable = FaceEvidence::Unavailable("no model".into());
        let (shot, _) = still(scene(320, 180), &[], &unavailable, &[], &RedactOptions::default(), None, |_| {}, |_| Ok(Vec::new()));
        assert!(spread(shot.image(), (0, 0, 320, 180)) < 60, "filled whole without a face model");
        let (shot, look) = still(
            scene(320, 180),
            &[],
            &FaceEvidence::Detected(Vec::new()),
            &[],
            &RedactOptions::default(),
            None,
            |_| {},
            |_| Err("the model failed".into()),
        );
        assert!(matches!(look, Recheck::Whole(_)), "{look:?}");
        assert!(spread(shot.image(), (0, 0, 320, 180)) < 60, "filled whole when the last look cannot run");
    }
}
