//! Badge patches: what the hall's badge itself looks like, cut from the
//! boxes it marked on its enrolment photos, and where a chest matches one
//! best (pure).
//!
//! A patch is the badge's box, in grey, at most [`PATCH_MAX_SIDE`] pixels on
//! its long side, stored zero-mean and unit-norm: a badge-sized smudge of
//! numbers, never a frame (a badge's ID photo is a few grey values at this
//! size). Its width is kept relative to the torso width of the photo, so a
//! chest at any distance is searched at the badge's expected size (and at
//! 0.8× and 1.25× of it). The score is the best normalised cross-correlation
//! (-1..1) of any patch anywhere in the search region: the classic template
//! match, insensitive to brightness and contrast.

use image::GrayImage;
use image::imageops::{self, FilterType};
use serde::{Deserialize, Serialize};

use super::chest::Chest;

/// Patches are stored at most this many pixels on their long side.
pub const PATCH_MAX_SIDE: u32 = 24;
/// Sizes searched, relative to the badge's size in its enrolment photo.
pub const SCALES: [f32; 3] = [0.8, 1.0, 1.25];
/// Patches smaller than this (either side) carry too little to match.
const MIN_SIDE: u32 = 3;
/// Windows whose grey-level variance is below this are flat (a plain
/// shirt, a wall) and are not matched: their correlation is noise.
const MIN_WINDOW_VARIANCE: f64 = 4.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BadgePatch {
    /// The enrolment photo it was cut from (file name only).
    pub photo: String,
    pub w: u32,
    pub h: u32,
    /// Width in its photo ÷ that photo's torso scale ([`Chest::scale`]).
    pub rel_w: f32,
    /// Zero-mean, unit-norm grey values, row by row.
    pub values: Vec<f32>,
}

/// A box in pixels: x0, y0, x1, y1.
pub type PixelBox = [f32; 4];

/// Cuts a patch from `gray` at `bx`; `None` when the box is empty or too
/// small, or flat (no pattern to match).
pub fn cut(gray: &GrayImage, bx: PixelBox, torso_scale: f32, photo: &str) -> Option<BadgePatch> {
    let (iw, ih) = gray.dimensions();
    let x0 = bx[0].max(0.0).floor() as u32;
    let y0 = bx[1].max(0.0).floor() as u32;
    let x1 = (bx[2].ceil() as u32).min(iw);
    let y1 = (bx[3].ceil() as u32).min(ih);
    if x1 < x0 + MIN_SIDE || y1 < y0 + MIN_SIDE || torso_scale <= 0.0 {
        return None;
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let crop = imageops::crop_imm(gray, x0, y0, w, h).to_image();
    let k = (PATCH_MAX_SIDE as f32 / w.max(h) as f32).min(1.0);
    let (pw, ph) = (((w as f32 * k).round() as u32).max(MIN_SIDE), ((h as f32 * k).round() as u32).max(MIN_SIDE));
    let small = if (pw, ph) == (w, h) { crop } else { imageops::resize(&crop, pw, ph, FilterType::Triangle) };
    let values = normalised(small.pixels().map(|p| f32::from(p[0])), 1.0)?;
    Some(BadgePatch { photo: photo.to_string(), w: pw, h: ph, rel_w: w as f32 / torso_scale, values })
}

/// Grey values made zero-mean and unit-norm (rounded to 1/1000 for
/// storage); `None` when their spread (the norm) is at most `min_norm`:
/// a flat patch has no pattern.
pub(super) fn normalised(v: impl Iterator<Item = f32>, min_norm: f32) -> Option<Vec<f32>> {
    let v: Vec<f32> = v.collect();
    let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
    let c: Vec<f32> = v.iter().map(|x| x - mean).collect();
    let norm = c.iter().map(|x| x * x).sum::<f32>().sqrt();
    (norm > min_norm).then(|| c.iter().map(|x| (x / norm * 1000.0).round() / 1000.0).collect())
}

/// Where a badge is looked for: a person crop whole, or the chest region
/// grown by 15 % on each side (a lanyard card may hang below the hips line
/// of a seated clerk, a clip badge sit at the shoulder seam).
pub fn search_region(chest: &Chest, width: u32, height: u32, whole: bool) -> (u32, u32, u32, u32) {
    if whole {
        return (0, 0, width, height);
    }
    let (mx, my) = ((chest.width() as f32 * 0.15) as u32, (chest.height() as f32 * 0.15) as u32);
    (chest.x0.saturating_sub(mx), chest.y0.saturating_sub(my), (chest.x1 + mx).min(width), (chest.y1 + my).min(height))
}

/// The best match (-1..1) of any patch in `region` of `gray`, whose torso
/// scale is `torso_scale` px; patches from `skip_photo` are left out (for
/// leave-one-out). `None` when no patch fits the region at any scale.
pub fn best_match(
    gray: &GrayImage,
    region: (u32, u32, u32, u32),
    torso_scale: f32,
    patches: &[BadgePatch],
    skip_photo: Option<&str>,
) -> Option<f32> {
    let (x0, y0, x1, y1) = region;
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let area = imageops::crop_imm(gray, x0, y0, x1 - x0, y1 - y0).to_image();
    let mut best: Option<f32> = None;
    for p in patches.iter().filter(|p| Some(p.photo.as_str()) != skip_photo) {
        for s in SCALES {
            // The badge's expected width here, in pixels; the region is
            // resized so that the stored patch matches it at its own size.
            let expected = p.rel_w * torso_scale * s;
            if expected < MIN_SIDE as f32 {
                continue;
            }
            let k = p.w as f32 / expected;
            let (rw, rh) = ((area.width() as f32 * k).round() as u32, (area.height() as f32 * k).round() as u32);
            if rw < p.w || rh < p.h {
                continue;
            }
            let scaled = imageops::resize(&area, rw, rh, FilterType::Triangle);
            if let Some(m) = ncc_max(&scaled, p) {
                best = Some(best.map_or(m, |b: f32| b.max(m)));
            }
        }
    }
    best
}

/// The best match of `patches` on a chest of a colour frame (`whole`: the
/// frame is a person crop, search all of it). `None` without patches or
/// when none fits.
pub fn match_chest(img: &image::RgbImage, chest: &Chest, whole: bool, patches: &[BadgePatch], skip_photo: Option<&str>) -> Option<f32> {
    if patches.is_empty() {
        return None;
    }
    let (x0, y0, x1, y1) = search_region(chest, img.width(), img.height(), whole);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let gray = imageops::grayscale(&imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image());
    best_match(&gray, (0, 0, gray.width(), gray.height()), chest.scale, patches, skip_photo)
}

/// Badge boxes of a photo from its YOLO label file (`class cx cy w h`,
/// normalised, one box per line), in pixels of a `width × height` image.
pub fn read_boxes(text: &str, width: u32, height: u32) -> Result<Vec<PixelBox>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: Vec<f32> =
            line.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| (i + 1, format!("{line:?} is not numbers")))?;
        let [_, cx, cy, w, h] = v[..] else { return Err((i + 1, format!("{line:?} has {} numbers, not 5 (class cx cy w h)", v.len()))) };
        if [cx, cy, w, h].iter().any(|v| !(0.0..=1.0).contains(v)) || w == 0.0 || h == 0.0 {
            return Err((i + 1, format!("{line:?} is not normalised to 0..1")));
        }
        let (fw, fh) = (width as f32, height as f32);
        out.push([(cx - w / 2.0) * fw, (cy - h / 2.0) * fh, (cx + w / 2.0) * fw, (cy + h / 2.0) * fh]);
    }
    if out.is_empty() {
        return Err((0, "marks no box".into()));
    }
    Ok(out)
}

/// The highest normalised cross-correlation of `p` over `img` (integral
/// images give each window's mean and energy in constant time).
pub(super) fn ncc_max(img: &GrayImage, p: &BadgePatch) -> Option<f32> {
    let (iw, ih) = img.dimensions();
    let (pw, ph) = (p.w as usize, p.h as usize);
    let (iw, ih) = (iw as usize, ih as usize);
    if pw > iw || ph > ih {
        return None;
    }
    let px: Vec<f32> = img.pixels().map(|q| f32::from(q[0])).collect();
    // Integral images of values and squares, (iw+1) × (ih+1).
    let stride = iw + 1;
    let mut sum = vec![0f64; stride * (ih + 1)];
    let mut sq = vec![0f64; stride * (ih + 1)];
    for y in 0..ih {
        let (mut rs, mut rq) = (0f64, 0f64);
        for x in 0..iw {
            let v = f64::from(px[y * iw + x]);
            rs += v;
            rq += v * v;
            sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rs;
            sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + rq;
        }
    }
    let n = (pw * ph) as f64;
    // Stored values are rounded, so their sum is not exactly zero: the
    // window's mean is taken out explicitly.
    let psum: f64 = p.values.iter().map(|v| f64::from(*v)).sum();
    let mut best = f32::NEG_INFINITY;
    for y in 0..=(ih - ph) {
        for x in 0..=(iw - pw) {
            let at = |t: &[f64], xx: usize, yy: usize| t[yy * stride + xx];
            let s = at(&sum, x + pw, y + ph) - at(&sum, x, y + ph) - at(&sum, x + pw, y) + at(&sum, x, y);
            let q = at(&sq, x + pw, y + ph) - at(&sq, x, y + ph) - at(&sq, x + pw, y) + at(&sq, x, y);
            let energy = q - s * s / n;
            if energy < MIN_WINDOW_VARIANCE * n {
                continue; // a flat window has no pattern to match
            }
            let mut dot = 0f32;
            for j in 0..ph {
                let row = &px[(y + j) * iw + x..(y + j) * iw + x + pw];
                let pr = &p.values[j * pw..(j + 1) * pw];
                dot += row.iter().zip(pr).map(|(a, b)| a * b).sum::<f32>();
            }
            let centred = f64::from(dot) - s / n * psum;
            best = best.max((centred / energy.sqrt()) as f32);
        }
    }
    best.is_finite().then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey scene with a small striped "badge" drawn at (x, y), `s` px
    /// per stripe.
    fn scene(w: u32, h: u32, x: u32, y: u32, s: u32) -> GrayImage {
        let mut g = GrayImage::from_fn(w, h, |i, j| image::Luma([90 + ((i * 7 + j * 13) % 11) as u8]));
        for j in 0..4 * s {
            for i in 0..6 * s {
                let v = if (i / s).is_multiple_of(2) { 240 } else { 30 };
                g.put_pixel(x + i, y + j, image::Luma([v]));
            }
        }
        g
    }

    #[test]
    fn a_patch_is_small_normalised_numbers() {
        let g = scene(200, 200, 50, 60, 8); // a 48 × 32 badge
        let p = cut(&g, [50.0, 60.0, 98.0, 92.0], 100.0, "a.jpg").unwrap();
        assert!(p.w.max(p.h) <= PATCH_MAX_SIDE);
        assert_eq!(p.values.len(), (p.w * p.h) as usize);
        assert!((p.rel_w - 0.48).abs() < 1e-3);
        let mean = p.values.iter().sum::<f32>() / p.values.len() as f32;
        let norm = p.values.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(mean.abs() < 1e-3 && (norm - 1.0).abs() < 0.01);
        assert!(
            cut(&GrayImage::from_pixel(50, 50, image::Luma([128])), [5.0, 5.0, 30.0, 30.0], 40.0, "flat").is_none(),
            "a flat box has no pattern"
        );
        assert!(cut(&g, [10.0, 10.0, 11.0, 40.0], 100.0, "thin").is_none());
    }

    #[test]
    fn finds_the_badge_at_another_distance_and_not_where_it_is_absent() {
        // Enrolled at torso 100 px; seen again at torso 150 px (1.5× nearer).
        let enrol = scene(200, 200, 50, 60, 4);
        let p = cut(&enrol, [50.0, 60.0, 74.0, 76.0], 100.0, "a.jpg").unwrap();
        let near = scene(300, 300, 140, 90, 6);
        let found = best_match(&near, (0, 0, 300, 300), 150.0, std::slice::from_ref(&p), None).unwrap();
        let plain = GrayImage::from_fn(300, 300, |i, j| image::Luma([90 + ((i * 7 + j * 13) % 11) as u8]));
        let absent = best_match(&plain, (0, 0, 300, 300), 150.0, std::slice::from_ref(&p), None).unwrap_or(-1.0);
        assert!(found > 0.9, "{found}");
        assert!(absent < 0.5, "{absent}");
        // Leave-one-out: the photo's own patch is skipped.
        assert_eq!(best_match(&near, (0, 0, 300, 300), 150.0, &[p], Some("a.jpg")), None);
    }

    #[test]
    fn label_files_give_pixel_boxes_or_say_which_line_is_wrong() {
        let b = read_boxes("0 0.5 0.5 0.2 0.1\n", 100, 200).unwrap();
        assert_eq!(b.len(), 1);
        assert!(b[0].iter().zip([40.0, 90.0, 60.0, 110.0]).all(|(a, e)| (a - e).abs() < 1e-3), "{b:?}");
        assert_eq!(read_boxes("0 0.5 0.5 0.2 0.1\n\n1 0.1 0.1 0.1 0.1", 10, 10).unwrap().len(), 2);
        assert_eq!(read_boxes("", 10, 10).unwrap_err().1, "marks no box");
        assert_eq!(read_boxes("0 0.5 0.5 0.2\n", 10, 10).unwrap_err().0, 1);
        assert!(read_boxes("0 0.5 0.5 0.2 0.1\n0 a b c d", 10, 10).unwrap_err() == (2, "\"0 a b c d\" is not numbers".into()));
        assert!(read_boxes("0 50 50 20 10", 10, 10).unwrap_err().1.contains("normalised"));
        assert!(read_boxes("0 0.5 0.5 nan 0.1", 10, 10).is_err() && read_boxes("0 0.5 0.5 0 0.1", 10, 10).is_err());
    }

    #[test]
    fn the_search_region_grows_the_chest_and_stays_in_the_frame() {
        let c = Chest { x0: 100, y0: 100, x1: 200, y1: 300, scale: 100.0 };
        assert_eq!(search_region(&c, 640, 480, false), (85, 70, 215, 330));
        assert_eq!(search_region(&c, 210, 310, false), (85, 70, 210, 310));
        assert_eq!(search_region(&c, 640, 480, true), (0, 0, 640, 480));
    }
}
