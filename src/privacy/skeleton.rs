//! "Skeleton only" frames: drawn keypoints over a coarse background, with no
//! camera pixels of people at all.

use image::RgbImage;

use super::{RedactOptions, RedactedFrame, apply};
use crate::geometry::{BBox, Polygon};
use crate::vision::Person;

/// Background blocks are this fraction of the frame's long side: at 640 px
/// a block is 20 px, far too coarse to hold a face even of someone nobody
/// detected.
const BLOCK_FRACTION: f32 = 1.0 / 32.0;

/// The frame reduced to large blocks, every person's box (with a margin)
/// filled flat, and the static masks filled; skeletons are drawn by the
/// caller with [`RedactedFrame::draw_people`].
pub fn skeleton_only(frame: &RgbImage, people: &[Person], masks: &[Polygon], options: &RedactOptions) -> RedactedFrame {
    let (w, h) = frame.dimensions();
    let block = ((w.max(h) as f32 * BLOCK_FRACTION).round() as u32).max(4);
    let (bw, bh) = (w.div_ceil(block).max(1), h.div_ceil(block).max(1));
    let small = crate::imageio::resize_rgb(frame, bw, bh);
    let coarse = RgbImage::from_fn(w, h, |x, y| *small.get_pixel((x / block).min(bw - 1), (y / block).min(bh - 1)));
    let (fw, fh) = (w as f32, h as f32);
    let regions: Vec<BBox> = people.iter().map(|p| p.bbox.expand(0.1).clamp(fw, fh)).filter(|b| b.area() > 0.0).collect();
    apply(coarse, regions, false, masks, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn no_fine_detail_survives() {
        let img = RgbImage::from_fn(640, 360, |x, y| Rgb([((x ^ y) & 1) as u8 * 255, (x % 7 * 30) as u8, (y % 5 * 50) as u8]));
        let out = skeleton_only(&img, &[], &[], &RedactOptions::default());
        // Inside a 20 px block every pixel is the same.
        let p = *out.image().get_pixel(21, 21);
        for y in 20..40 {
            for x in 20..40 {
                assert_eq!(*out.image().get_pixel(x, y), p);
            }
        }
    }
}
