//! Image pre-processing shared by the model adapters: resizing, letterboxing,
//! square person crops and tensor layouts. Plain functions over `image` and
//! `ndarray` data; `docs/pipelines.md` is the contract they implement.

use image::RgbImage;
use ndarray::Array4;

use crate::geometry::{BBox, round_half_away};

pub use crate::imageio::resize_rgb;

/// Where a letterboxed image sits in its square canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// Canvas side in pixels.
    pub size: u32,
    /// Scale from original to canvas pixels.
    pub scale: f32,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl Letterbox {
    /// The placement of a `w × h` image in a `size × size` canvas.
    pub fn fit(w: u32, h: u32, size: u32) -> Letterbox {
        let scale = (size as f32 / w.max(1) as f32).min(size as f32 / h.max(1) as f32);
        let width = (round_half_away(w as f32 * scale).max(1) as u32).min(size);
        let height = (round_half_away(h as f32 * scale).max(1) as u32).min(size);
        Letterbox { size, scale, left: (size - width) / 2, top: (size - height) / 2, width, height }
    }

    /// Maps a canvas point back to original-image pixels.
    pub fn to_original(&self, x: f32, y: f32) -> (f32, f32) {
        ((x - self.left as f32) / self.scale, (y - self.top as f32) / self.scale)
    }
}

/// The input size for a `w × h` image at its own aspect ratio: the long side
/// scaled to `long_side`, both sides then rounded to multiples of `stride`
/// (at least one stride). Used by the models that take any size (the face
/// detector, CenterNet).
///
/// In whole numbers, so that the Python reference (`fit_long_side` in
/// `scripts/reference/pose_reference.py`) rounds the halves the same way:
/// `round(v · L / (M · stride))`, half away from zero, is
/// `⌊(2 · v · L + M · stride) / (2 · M · stride)⌋`.
pub fn fit_long_side(w: u32, h: u32, long_side: u32, stride: u32) -> (u32, u32) {
    let (m, l, stride) = (u128::from(w.max(h).max(1)), u128::from(long_side), u128::from(stride.max(1)));
    let r = |v: u32| {
        let strides = ((2 * u128::from(v) * l + m * stride) / (2 * m * stride)).max(1);
        u32::try_from(strides * stride).unwrap_or(u32::MAX)
    };
    (r(w), r(h))
}

/// Letterboxes `img` into a `[1, 3, size, size]` tensor normalised with
/// `norm`, padded with grey 114 (the YOLO convention).
pub fn letterbox_nchw(img: &RgbImage, size: u32, norm: Normalize) -> (Array4<f32>, Letterbox) {
    let lb = Letterbox::fit(img.width(), img.height(), size);
    let resized = resize_rgb(img, lb.width, lb.height);
    let s = size as usize;
    let mut tensor = Array4::<f32>::from_elem((1, 3, s, s), (114.0 - norm.mean[0]) / norm.std[0]);
    write_planes(&resized, &mut tensor, lb.left as usize, lb.top as usize, norm);
    (tensor, lb)
}

/// A square region around a person, in original-image pixels. It may reach
/// past the image edges; pixels outside are black.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SquareCrop {
    pub x0: i64,
    pub y0: i64,
    pub side: u32,
}

impl SquareCrop {
    /// The square centred on `bbox`, `scale` times its longer side.
    pub fn around(bbox: &BBox, scale: f32) -> SquareCrop {
        let (cx, cy) = bbox.center();
        let side = round_half_away(bbox.width().max(bbox.height()) * scale).max(1) as u32;
        let half = side as f32 / 2.0;
        SquareCrop { x0: round_half_away(cx - half), y0: round_half_away(cy - half), side }
    }

    /// Maps a point given as a fraction of the crop back to image pixels.
    pub fn to_original(&self, u: f32, v: f32) -> (f32, f32) {
        (self.x0 as f32 + u * self.side as f32, self.y0 as f32 + v * self.side as f32)
    }

    /// Cuts the square out of `img` (black outside the image) and resizes it
    /// to `out × out`.
    pub fn extract(&self, img: &RgbImage, out: u32) -> RgbImage {
        let side = self.side;
        let mut canvas = RgbImage::new(side, side);
        let (w, h) = (img.width() as i64, img.height() as i64);
        let sx0 = self.x0.max(0);
        let sx1 = (self.x0 + side as i64).min(w);
        let sy0 = self.y0.max(0);
        let sy1 = (self.y0 + side as i64).min(h);
        if sx1 > sx0 && sy1 > sy0 {
            let row_bytes = (sx1 - sx0) as usize * 3;
            let src = img.as_raw();
            let dst: &mut [u8] = &mut canvas;
            for sy in sy0..sy1 {
                let src_off = (sy as usize * w as usize + sx0 as usize) * 3;
                let dy = (sy - self.y0) as usize;
                let dx = (sx0 - self.x0) as usize;
                let dst_off = (dy * side as usize + dx) * 3;
                dst[dst_off..dst_off + row_bytes].copy_from_slice(&src[src_off..src_off + row_bytes]);
            }
        }
        resize_rgb(&canvas, out, out)
    }
}

/// Per-channel normalisation: `value = (pixel - mean[c]) / std[c]`, with
/// channels optionally reversed to BGR first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalize {
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub bgr: bool,
}

impl Normalize {
    /// RGB scaled to 0..1.
    pub const UNIT: Normalize = Normalize { mean: [0.0; 3], std: [255.0; 3], bgr: false };
    /// RGB as raw 0..255 floats.
    pub const RAW: Normalize = Normalize { mean: [0.0; 3], std: [1.0; 3], bgr: false };
}

/// `[1, 3, H, W]` float tensor.
pub fn to_nchw(img: &RgbImage, norm: Normalize) -> Array4<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut t = Array4::<f32>::zeros((1, 3, h, w));
    write_planes(img, &mut t, 0, 0, norm);
    t
}

/// Writes `img` into the planes of a contiguous `[1, 3, H, W]` tensor with its
/// top-left corner at `(left, top)`.
fn write_planes(img: &RgbImage, t: &mut Array4<f32>, left: usize, top: usize, norm: Normalize) {
    let (tw, th) = (t.shape()[3], t.shape()[2]);
    let (w, h) = (img.width() as usize, img.height() as usize);
    debug_assert!(left + w <= tw && top + h <= th);
    let plane = tw * th;
    let data = t.as_slice_mut().expect("freshly built tensors are contiguous");
    let src = img.as_raw();
    for c in 0..3 {
        let sc = if norm.bgr { 2 - c } else { c };
        let (mean, inv) = (norm.mean[c], 1.0 / norm.std[c]);
        let out = &mut data[c * plane..(c + 1) * plane];
        for y in 0..h {
            let row = &src[y * w * 3..(y + 1) * w * 3];
            let dst = &mut out[(top + y) * tw + left..(top + y) * tw + left + w];
            for (d, px) in dst.iter_mut().zip(row.chunks_exact(3)) {
                *d = (px[sc] as f32 - mean) * inv;
            }
        }
    }
}

/// `[1, H, W, 3]` float tensor.
pub fn to_nhwc_f32(img: &RgbImage, norm: Normalize) -> Array4<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let inv = norm.std.map(|s| 1.0 / s);
    let mut data = Vec::with_capacity(w * h * 3);
    for px in img.as_raw().chunks_exact(3) {
        for c in 0..3 {
            let sc = if norm.bgr { 2 - c } else { c };
            data.push((px[sc] as f32 - norm.mean[c]) * inv[c]);
        }
    }
    Array4::from_shape_vec((1, h, w, 3), data).expect("RGB buffer is h * w * 3 long")
}

/// `[1, H, W, 3]` tensor of any element type built from each channel value.
pub fn to_nhwc<T: Clone + Default>(img: &RgbImage, f: impl Fn(u8) -> T) -> Array4<T> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let data: Vec<T> = img.as_raw().iter().map(|&v| f(v)).collect();
    Array4::from_shape_vec((1, h, w, 3), data).expect("RGB buffer is h * w * 3 long")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn the_long_side_is_fitted_and_both_sides_are_whole_strides() {
        assert_eq!(fit_long_side(1768, 994, 512, 32), (512, 288));
        assert_eq!(fit_long_side(994, 1768, 512, 32), (288, 512));
        assert_eq!(fit_long_side(300, 300, 512, 32), (512, 512), "a small image is enlarged, as the square stretch did");
        assert_eq!(fit_long_side(4000, 10, 512, 32), (512, 32), "never below one stride");
        assert_eq!(fit_long_side(0, 0, 960, 32), (32, 32), "an empty image asks for the smallest input, not nothing");
        // 287 · 512 / 1312 / 32 = 3.5 exactly: half away from zero, as Python.
        assert_eq!(fit_long_side(1312, 287, 512, 32), (512, 128));
        assert_eq!(fit_long_side(u32::MAX, 1, u32::MAX, 1), (u32::MAX, 1), "no overflow at the limits");
    }

    proptest::proptest! {
        /// Any image gets an input whose sides are whole strides, whose long
        /// side is the one asked for (to a stride), and whose aspect is the
        /// image's to within half a stride on the short side.
        #[test]
        fn fitted_inputs_are_strides_and_keep_the_aspect(w in 1u32..8000, h in 1u32..8000, long in 1u32..2048, stride in 1u32..64) {
            let (iw, ih) = fit_long_side(w, h, long, stride);
            proptest::prop_assert!(iw % stride == 0 && ih % stride == 0 && iw >= stride && ih >= stride);
            let (long_in, short_in) = if w >= h { (iw, ih) } else { (ih, iw) };
            proptest::prop_assert!((long_in as f32 - long as f32).abs() <= stride as f32 / 2.0 + 1e-3 || long_in == stride);
            let want_short = w.min(h) as f32 * long as f32 / w.max(h) as f32;
            proptest::prop_assert!((short_in as f32 - want_short).abs() <= stride as f32 / 2.0 + 0.01 * stride as f32 || short_in == stride);
        }
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 7]))
    }

    #[test]
    fn letterbox_fit_wide_image() {
        let lb = Letterbox::fit(1280, 720, 640);
        assert_eq!((lb.width, lb.height, lb.left, lb.top), (640, 360, 0, 140));
        assert!((lb.scale - 0.5).abs() < 1e-6);
        let (x, y) = lb.to_original(320.0, 320.0);
        assert!((x - 640.0).abs() < 1e-3 && (y - 360.0).abs() < 1e-3);
    }

    #[test]
    fn letterbox_fit_tall_and_odd_sizes() {
        let lb = Letterbox::fit(810, 1080, 640);
        assert_eq!((lb.width, lb.height), (480, 640));
        assert_eq!((lb.left, lb.top), (80, 0));
        let lb = Letterbox::fit(1768, 994, 320);
        assert_eq!(lb.width, 320);
        assert_eq!(lb.height, 180); // 994 * 320 / 1768 = 179.9
    }

    #[test]
    fn letterbox_tensor_pads_with_grey_and_scales_to_unit() {
        let img = RgbImage::from_pixel(64, 32, Rgb([255, 0, 51]));
        let (t, lb) = letterbox_nchw(&img, 64, Normalize::UNIT);
        assert_eq!(t.shape(), &[1, 3, 64, 64]);
        assert_eq!((lb.top, lb.height), (16, 32));
        let grey = 114.0 / 255.0;
        assert!((t[[0, 0, 0, 0]] - grey).abs() < 1e-6);
        assert!((t[[0, 0, 20, 10]] - 1.0).abs() < 1e-6);
        assert!((t[[0, 1, 20, 10]]).abs() < 1e-6);
        assert!((t[[0, 2, 20, 10]] - 0.2).abs() < 1e-6);
        assert!((t[[0, 2, 63, 63]] - grey).abs() < 1e-6);
    }

    #[test]
    fn resize_keeps_flat_colour() {
        let img = RgbImage::from_pixel(100, 50, Rgb([10, 20, 30]));
        let out = resize_rgb(&img, 33, 17);
        assert_eq!(out.dimensions(), (33, 17));
        assert!(out.pixels().all(|p| p.0 == [10, 20, 30]));
    }

    #[test]
    fn square_crop_geometry() {
        let c = SquareCrop::around(&BBox::new(100.0, 50.0, 140.0, 130.0), 1.25);
        assert_eq!(c.side, 100);
        assert_eq!((c.x0, c.y0), (70, 40));
        assert_eq!(c.to_original(0.5, 0.5), (120.0, 90.0));
    }

    #[test]
    fn square_crop_outside_image_is_black() {
        let img = RgbImage::from_pixel(10, 10, Rgb([200, 200, 200]));
        let crop = SquareCrop { x0: -10, y0: 0, side: 20 };
        let out = crop.extract(&img, 20);
        assert_eq!(out.get_pixel(2, 2).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(15, 5).0, [200, 200, 200]);
        assert_eq!(out.get_pixel(15, 15).0, [0, 0, 0]);
    }

    #[test]
    fn square_crop_entirely_outside_is_all_black() {
        let img = gradient(10, 10);
        let out = SquareCrop { x0: 100, y0: 100, side: 8 }.extract(&img, 4);
        assert!(out.pixels().all(|p| p.0 == [0, 0, 0]));
    }

    #[test]
    fn nchw_bgr_mean_subtraction() {
        let img = RgbImage::from_pixel(2, 1, Rgb([130, 120, 110]));
        let norm = Normalize { mean: [104.0, 117.0, 127.0], std: [1.0; 3], bgr: true };
        let t = to_nchw(&img, norm);
        assert_eq!(t[[0, 0, 0, 1]], 110.0 - 104.0);
        assert_eq!(t[[0, 1, 0, 1]], 120.0 - 117.0);
        assert_eq!(t[[0, 2, 0, 1]], 130.0 - 127.0);
    }

    #[test]
    fn nhwc_layout() {
        let img = gradient(3, 2);
        let t = to_nhwc(&img, |v| v as i32);
        assert_eq!(t.shape(), &[1, 2, 3, 3]);
        assert_eq!(t[[0, 1, 2, 0]], img.get_pixel(2, 1).0[0] as i32);
        assert_eq!(t[[0, 1, 2, 2]], 7);
    }
}
