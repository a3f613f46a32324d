//! Privacy: the one gate between camera pixels and anything that leaves
//! memory.
//!
//! [`redact`] is the only way to make a [`RedactedFrame`], and every writer
//! of pixels (`--draw` today; clips, thumbnails and previews later) accepts
//! only that type. The compiler enforces it: `RedactedFrame` has private
//! fields and no other constructor.

mod draw;
pub mod faces;
mod mp4;
mod packed;
pub mod png;
mod recheck;
mod regions;
pub mod signatures;
mod skeleton;
mod still;
mod temporal;
pub mod upload;

use std::io;
use std::path::{Path, PathBuf};

use image::RgbImage;
use rand::{Rng, SeedableRng, rngs::SmallRng};

use crate::atomic::temp_beside;
use crate::geometry::{BBox, Point, Polygon};
use crate::vision::Person;
use crate::vision::detector::Detection;

pub use draw::Cue;
pub use mp4::{CLIP_BOXES, top_level_boxes};
pub use packed::{PACK_QUALITY, PackedFrame};
pub use recheck::{RECHECK_ROUNDS, Recheck};
pub use regions::{RedactOptions, head_region};
pub use still::still;
pub use temporal::TemporalRedactor;

/// What the face detector said about a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FaceEvidence {
    /// The detector ran; these are its faces (possibly none).
    Detected(Vec<Detection>),
    /// The detector could not run: the whole frame is blurred (fail closed).
    Unavailable(String),
}

/// A frame whose faces and heads have been destroyed. Only [`redact`] makes
/// one; nothing outside this module can build it:
///
/// ```compile_fail
/// let frame = liyi::privacy::RedactedFrame {
///     image: image::RgbImage::new(8, 8),
///     regions: Vec::new(),
///     whole_frame: false,
/// };
/// ```
///
/// Copies are as safe as the original, so it is `Clone`.
#[derive(Clone)]
pub struct RedactedFrame {
    image: RgbImage,
    regions: Vec<BBox>,
    whole_frame: bool,
}

impl RedactedFrame {
    pub fn image(&self) -> &RgbImage {
        &self.image
    }

    /// The regions that were filled, in pixels.
    pub fn regions(&self) -> &[BBox] {
        &self.regions
    }

    /// True when the whole frame was filled because nothing could be judged.
    pub fn is_whole_frame(&self) -> bool {
        self.whole_frame
    }

    /// Draws boxes and skeletons over the redacted pixels.
    pub fn draw_people(&mut self, people: &[Person], min_conf: f32) {
        draw::people(&mut self.image, people, min_conf, &self.regions);
    }

    /// Draws a rule's cue (zones, desk line, trunk line) over the pixels.
    pub fn draw_cue(&mut self, cue: &Cue) {
        draw::cue(&mut self.image, cue);
    }

    /// The frame scaled so its long side is at most `max_side` (redacted
    /// pixels stay redacted: scaling only averages them).
    pub fn downscaled(self, max_side: u32) -> RedactedFrame {
        let (w, h) = self.image.dimensions();
        let (nw, nh) = crate::imageio::analysis_size(w, h, max_side);
        if (nw, nh) == (w, h) {
            return self;
        }
        let (sx, sy) = (nw as f32 / w as f32, nh as f32 / h as f32);
        let image = crate::imageio::resize_rgb(&self.image, nw, nh);
        let regions = self.regions.iter().map(|r| BBox::new(r.x1 * sx, r.y1 * sy, r.x2 * sx, r.y2 * sy)).collect();
        RedactedFrame { image, regions, whole_frame: self.whole_frame }
    }

    /// Writes the frame as PNG, atomically (temporary file, then rename), so
    /// a crash never leaves a half-written image.
    /// The frame as PNG bytes (for the agent's live preview; the only way
    /// pixels reach the network).
    pub fn png_bytes(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.image.write_to(&mut io::Cursor::new(&mut out), image::ImageFormat::Png).map_err(io::Error::other)?;
        Ok(out)
    }

    pub fn write_png(&self, path: &Path) -> io::Result<()> {
        let tmp = temp_beside(path)?;
        let result =
            self.image.save_with_format(&tmp, image::ImageFormat::Png).map_err(io::Error::other).and_then(|()| std::fs::rename(&tmp, path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

/// Destroys every face and head in `frame`: the union of detected faces and
/// the head regions implied by each person's keypoints, each with a margin.
/// A person with no confident head keypoints loses the top of their box; if
/// the face detector could not run, the whole frame is filled.
///
/// Each region is replaced by its mean colour plus noise, which keeps no
/// structure at all (a Gaussian blur or fine pixelation can still be
/// recognised by a face detector).
pub fn redact(frame: &RgbImage, people: &[Person], faces: &FaceEvidence, options: &RedactOptions) -> RedactedFrame {
    let (regions, whole) = regions_for(frame.width(), frame.height(), people, faces, options);
    apply(frame.clone(), regions, whole, &[], options)
}

/// The regions [`redact`] fills in a `w × h` frame, clamped to it, and
/// whether the whole frame must go (the face detector could not run).
pub fn regions_for(w: u32, h: u32, people: &[Person], faces: &FaceEvidence, options: &RedactOptions) -> (Vec<BBox>, bool) {
    let (w, h) = (w as f32, h as f32);
    match faces {
        FaceEvidence::Unavailable(_) => (vec![BBox::new(0.0, 0.0, w, h)], true),
        FaceEvidence::Detected(found) => {
            let mut regions: Vec<BBox> = found.iter().map(|d| d.bbox.expand(options.face_margin)).collect();
            regions.extend(people.iter().map(|p| head_region(p, options)));
            (regions.into_iter().map(|r| r.clamp(w, h)).filter(|r| r.area() > 0.0).collect(), false)
        }
    }
}

/// Fills `regions` (or everything, when `whole`) and the static `masks`
/// (normalised polygons) of `image`: the one place a `RedactedFrame` is made
/// from camera pixels.
fn apply(mut image: RgbImage, mut regions: Vec<BBox>, whole: bool, masks: &[Polygon], options: &RedactOptions) -> RedactedFrame {
    let (w, h) = (image.width() as f32, image.height() as f32);
    if whole {
        regions = vec![BBox::new(0.0, 0.0, w, h)];
    }
    // Seeded per frame size so output is reproducible; the noise only has
    // to hide the fill's flatness, not be secret (the mean carries nothing).
    let mut rng = SmallRng::seed_from_u64(u64::from(image.width()) << 32 | u64::from(image.height()));
    for r in &regions {
        fill_region(&mut image, r, options.noise, &mut rng);
    }
    fill_masks(&mut image, masks, options.noise, &mut rng);
    RedactedFrame { image, regions, whole_frame: whole }
}

/// Fills the static `masks` (normalised polygons) of `image`.
fn fill_masks(image: &mut RgbImage, masks: &[Polygon], noise: u8, rng: &mut SmallRng) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    for m in masks {
        fill_polygon(image, &m.to_pixels(w, h), noise, rng);
    }
}

/// Fills the static masks of a frame about to be shrunk, at its full size,
/// so that the resize mixes the fill, not what is behind a mask, into the
/// pixels along the mask's edge ([`TemporalRedactor::shrinking_to`]).
fn fill_masks_before_shrinking(image: &mut RgbImage, masks: &[Polygon], noise: u8) {
    let mut rng = SmallRng::seed_from_u64(u64::from(image.width()) << 32 | u64::from(image.height()));
    fill_masks(image, masks, noise, &mut rng);
}

/// Fills the inside of a polygon (pixels) with its mean colour plus noise.
fn fill_polygon(img: &mut RgbImage, poly: &Polygon, noise: u8, rng: &mut SmallRng) {
    let xs = poly.0.iter().map(|p| p.x);
    let ys = poly.0.iter().map(|p| p.y);
    let bounds = BBox::new(
        xs.clone().fold(f32::MAX, f32::min),
        ys.clone().fold(f32::MAX, f32::min),
        xs.fold(f32::MIN, f32::max),
        ys.fold(f32::MIN, f32::max),
    );
    let Some((x0, y0, x1, y1)) = bounds.pixel_bounds(img.width(), img.height()) else { return };
    let inside = |x: u32, y: u32| poly.contains(Point::new(x as f32 + 0.5, y as f32 + 0.5));
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            if inside(x, y) {
                let p = img.get_pixel(x, y).0;
                (0..3).for_each(|c| sum[c] += u64::from(p[c]));
                n += 1;
            }
        }
    }
    let mean = sum.map(|s| (s / n.max(1)) as i16);
    let noise = i16::from(noise);
    for y in y0..y1 {
        for x in x0..x1 {
            if inside(x, y) {
                let px = img.get_pixel_mut(x, y);
                for c in 0..3 {
                    let v = mean[c] + if noise > 0 { rng.random_range(-noise..=noise) } else { 0 };
                    px.0[c] = v.clamp(0, 255) as u8;
                }
            }
        }
    }
}

pub use skeleton::skeleton_only;

/// Writes a clip of redacted frames as H.264 MP4 (browsers play it),
/// atomically: frames go to a hidden temporary file beside `path`, renamed
/// into place by [`finish`](Self::finish); dropped unfinished, the temporary
/// file is removed. It takes only [`RedactedFrame`]s:
///
/// ```compile_fail
/// # fn f(enc: &mut liyi::privacy::ClipEncoder) {
/// enc.push(&image::RgbImage::new(64, 48)).unwrap(); // raw pixels: no
/// # }
/// ```
pub struct ClipEncoder {
    writer: Option<mp4::Mp4Writer>,
    tmp: PathBuf,
    path: PathBuf,
}

impl ClipEncoder {
    pub fn create(path: &Path, width: u32, height: u32, fps: f64) -> io::Result<ClipEncoder> {
        let tmp = temp_beside(path)?;
        let writer = mp4::Mp4Writer::create(&tmp, width, height, fps).map_err(io::Error::other)?;
        Ok(ClipEncoder { writer: Some(writer), tmp, path: path.to_path_buf() })
    }

    pub fn push(&mut self, frame: &RedactedFrame) -> io::Result<()> {
        match &mut self.writer {
            Some(w) => w.push(&frame.image).map_err(io::Error::other),
            None => Err(io::Error::other("the clip is already finished")),
        }
    }

    /// Completes the file and moves it into place.
    pub fn finish(mut self) -> io::Result<()> {
        let writer = self.writer.take().ok_or_else(|| io::Error::other("the clip is already finished"))?;
        writer.finish().map_err(io::Error::other)?;
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Drop for ClipEncoder {
    fn drop(&mut self) {
        // After `finish` the temporary file has become the clip; otherwise
        // nothing half-written stays behind.
        if self.writer.is_some() || self.tmp.exists() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Replaces a region with its mean colour plus uniform noise.
fn fill_region(img: &mut RgbImage, region: &BBox, noise: u8, rng: &mut SmallRng) {
    let Some((x0, y0, x1, y1)) = region.pixel_bounds(img.width(), img.height()) else { return };
    let mut sum = [0u64; 3];
    for y in y0..y1 {
        for x in x0..x1 {
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
            }
        }
    }
    let n = u64::from((x1 - x0) * (y1 - y0)).max(1);
    let mean = sum.map(|s| (s / n) as i16);
    let noise = i16::from(noise);
    for y in y0..y1 {
        for x in x0..x1 {
            let px = img.get_pixel_mut(x, y);
            for c in 0..3 {
                let v = mean[c] + if noise > 0 { rng.random_range(-noise..=noise) } else { 0 };
                px.0[c] = v.clamp(0, 255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::Keypoint;
    use crate::vision::person::kp;
    use image::Rgb;

    fn textured(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x * 7 % 256) as u8, (y * 13 % 256) as u8, ((x + y) * 3 % 256) as u8]))
    }

    fn spread(img: &RgbImage, r: (u32, u32, u32, u32)) -> i32 {
        let mut lo = 255i32;
        let mut hi = 0i32;
        for y in r.1..r.3 {
            for x in r.0..r.2 {
                let v = img.get_pixel(x, y).0[0] as i32;
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        hi - lo
    }

    #[test]
    fn detected_face_is_flattened_and_rest_untouched() {
        let img = textured(200, 100);
        let face = Detection { bbox: BBox::new(50.0, 20.0, 80.0, 60.0), score: 0.9 };
        let opts = RedactOptions::default();
        let out = redact(&img, &[], &FaceEvidence::Detected(vec![face]), &opts);
        assert!(!out.is_whole_frame());
        assert!(spread(out.image(), (50, 20, 80, 60)) <= 2 * opts.noise as i32);
        // Far from the face nothing changes.
        assert_eq!(out.image().get_pixel(190, 95), img.get_pixel(190, 95));
    }

    #[test]
    fn missing_face_detector_fills_the_whole_frame() {
        let img = textured(64, 48);
        let out = redact(&img, &[], &FaceEvidence::Unavailable("model failed".into()), &RedactOptions::default());
        assert!(out.is_whole_frame());
        assert!(spread(out.image(), (0, 0, 64, 48)) <= 2 * RedactOptions::default().noise as i32);
    }

    #[test]
    fn a_whole_frame_fill_gets_no_joint_dots() {
        // The face model failed: every pixel is filled, and no dot may mark
        // where a face keypoint or a hand at the face was.
        let img = textured(64, 48);
        let mut k = vec![Keypoint::new(0.0, 0.0, 0.0); 17];
        k[kp::LEFT_SHOULDER] = Keypoint::new(40.0, 20.0, 0.9);
        k[9] = Keypoint::new(30.0, 10.0, 0.9);
        let p = Person { bbox: BBox::new(10.0, 2.0, 54.0, 46.0), score: 0.9, keypoints: k, landmarks: None, presence: None };
        let mut out = redact(&img, std::slice::from_ref(&p), &FaceEvidence::Unavailable("model failed".into()), &RedactOptions::default());
        let before = out.image().clone();
        out.draw_people(&[p], 0.3);
        let dots = out.image().pixels().filter(|px| **px == Rgb([255, 60, 60])).count();
        assert_eq!(dots, 0, "no joint dot on a whole-frame fill");
        assert_ne!(*out.image(), before, "the box is still drawn");
    }

    #[test]
    fn person_without_head_keypoints_loses_top_of_box() {
        let img = textured(100, 200);
        let p = Person {
            bbox: BBox::new(20.0, 10.0, 80.0, 190.0),
            score: 0.9,
            keypoints: vec![Keypoint::new(0.0, 0.0, 0.0); 17],
            landmarks: None,
            presence: None,
        };
        let out = redact(&img, &[p], &FaceEvidence::Detected(vec![]), &RedactOptions::default());
        assert_eq!(out.regions().len(), 1);
        assert!(spread(out.image(), (20, 10, 80, 60)) <= 2 * RedactOptions::default().noise as i32);
        assert_eq!(out.image().get_pixel(50, 180), img.get_pixel(50, 180));
    }

    #[test]
    fn write_png_is_atomic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let out = redact(&textured(8, 8), &[], &FaceEvidence::Detected(vec![]), &RedactOptions::default());
        let path = dir.path().join("a.png");
        out.write_png(&path).unwrap();
        let back = image::open(&path).unwrap().to_rgb8();
        assert_eq!(&back, out.image());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }
}
