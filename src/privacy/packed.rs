//! Redacted frames kept compressed (JPEG, in memory) while they wait in a
//! clip's pre-roll or post-roll: a 640×360 frame takes about a tenth of its
//! raw 691 kB. Only a [`RedactedFrame`] can be packed, so what unpacks is
//! redacted pixels again (JPEG's loss cannot bring back what was filled).

use std::io;

use image::codecs::jpeg::JpegDecoder;
use jpeg_encoder::{ColorType, Encoder};

use super::RedactedFrame;
use crate::geometry::BBox;

/// JPEG quality of packed frames: the clip is encoded again as H.264, so
/// finer steps would be lost there anyway.
pub const PACK_QUALITY: u8 = 90;

/// A redacted frame, compressed.
pub struct PackedFrame {
    jpeg: Vec<u8>,
    width: u32,
    height: u32,
    regions: Vec<BBox>,
    whole_frame: bool,
}

impl RedactedFrame {
    /// The frame compressed for keeping in memory.
    pub fn pack(&self) -> io::Result<PackedFrame> {
        let (w, h) = self.image.dimensions();
        let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
            return Err(io::Error::other(format!("a {w}x{h} frame is too large to pack (JPEG allows 65535)")));
        };
        let mut jpeg = Vec::new();
        Encoder::new(&mut jpeg, PACK_QUALITY).encode(self.image.as_raw(), w16, h16, ColorType::Rgb).map_err(io::Error::other)?;
        jpeg.shrink_to_fit();
        Ok(PackedFrame {
            jpeg,
            width: self.image.width(),
            height: self.image.height(),
            regions: self.regions.clone(),
            whole_frame: self.whole_frame,
        })
    }
}

impl PackedFrame {
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.jpeg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jpeg.is_empty()
    }

    /// The frame again, at its packed size.
    pub fn unpack(&self) -> io::Result<RedactedFrame> {
        let decoder = JpegDecoder::new(io::Cursor::new(&self.jpeg)).map_err(io::Error::other)?;
        let image = image::DynamicImage::from_decoder(decoder).map_err(io::Error::other)?.into_rgb8();
        if image.dimensions() != (self.width, self.height) {
            return Err(io::Error::other(format!(
                "a packed frame unpacked at {}x{}, not {}x{}",
                image.width(),
                image.height(),
                self.width,
                self.height
            )));
        }
        Ok(RedactedFrame { image, regions: self.regions.clone(), whole_frame: self.whole_frame })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{FaceEvidence, RedactOptions, redact};
    use crate::vision::detector::Detection;
    use image::{Rgb, RgbImage};

    fn scene() -> RgbImage {
        RgbImage::from_fn(640, 360, |x, y| Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) % 256) as u8]))
    }

    /// Unpacked, a frame keeps its size and its regions; inside the filled
    /// patch it is the fill again (within JPEG's error), not the picture
    /// that was filled, and elsewhere it stays close to the original.
    #[test]
    fn packing_keeps_the_fill_and_the_picture() {
        let original = scene();
        let face = FaceEvidence::Detected(vec![Detection { bbox: BBox::new(200.0, 100.0, 280.0, 200.0), score: 0.9 }]);
        let red = redact(&original, &[], &face, &RedactOptions::default());
        let packed = red.pack().unwrap();
        assert!(packed.len() < 640 * 360 * 3 / 4, "{} bytes", packed.len());
        let back = packed.unpack().unwrap();
        assert_eq!(back.image().dimensions(), (640, 360));
        assert_eq!(back.regions(), red.regions());
        let (x0, y0, x1, y1) = red.regions()[0].pixel_bounds(640, 360).unwrap();
        let mean_diff = |a: &RgbImage, b: &RgbImage, inside: bool| {
            let mut sum = 0.0;
            let mut n = 0.0;
            for (x, y, p) in a.enumerate_pixels() {
                if ((x0..x1).contains(&x) && (y0..y1).contains(&y)) == inside {
                    let q = b.get_pixel(x, y);
                    sum += (0..3).map(|c| (f64::from(p.0[c]) - f64::from(q.0[c])).abs()).sum::<f64>() / 3.0;
                    n += 1.0;
                }
            }
            sum / n
        };
        let to_fill = mean_diff(back.image(), red.image(), true);
        let to_face = mean_diff(back.image(), &original, true);
        assert!(to_fill < 12.0, "the patch unpacks as the fill: mean difference {to_fill}");
        assert!(to_face > 3.0 * to_fill, "and not as what was filled: {to_face} against {to_fill}");
        let outside = mean_diff(back.image(), red.image(), false);
        assert!(outside < 12.0, "the picture stays: mean difference {outside}");
    }

    #[test]
    fn a_whole_frame_stays_whole() {
        let red = redact(&scene(), &[], &FaceEvidence::Unavailable("no model".into()), &RedactOptions::default());
        let back = red.pack().unwrap().unpack().unwrap();
        assert!(back.is_whole_frame());
        assert_eq!(back.regions(), red.regions());
        let partial = redact(&scene(), &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default());
        assert!(!partial.pack().unwrap().unpack().unwrap().is_whole_frame(), "and a frame not filled whole stays so");
    }

    /// Odd sizes pack and unpack at their size; a side JPEG cannot hold,
    /// or none at all, is an error, not a panic.
    #[test]
    fn odd_and_impossible_sizes() {
        let none = FaceEvidence::Detected(Vec::new());
        for (w, h) in [(641, 361), (1, 1), (3, 1000), (1000, 3)] {
            let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
            let back = redact(&img, &[], &none, &RedactOptions::default()).pack().unwrap().unpack().unwrap();
            assert_eq!(back.image().dimensions(), (w, h));
        }
        for (w, h) in [(65_536, 1), (1, 65_536), (0, 10)] {
            let red = redact(&RgbImage::new(w, h), &[], &none, &RedactOptions::default());
            assert!(red.pack().is_err(), "{w}x{h}");
        }
    }
}
