//! The text-block cue: how much of a chest crop the PP-OCRv4 text detector
//! marks as text. Badges carry a printed name and number; shirts mostly do
//! not. Nothing is read.

use image::RgbImage;

use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::engine::{Engine, EngineOptions, view_f32};
use crate::vision::manifest::Family;
use crate::vision::preprocess::resize_rgb;
use crate::vision::runtime::Runtime;
use crate::vision::tensor::InputTensor;

pub const TEXT_MODEL: &str = "pp-ocrv4-det";
/// A pixel is text from this probability (PaddleOCR's own default).
const TEXT_PROB: f32 = 0.3;
/// Crops are enlarged so their long side is this many pixels.
const LONG_SIDE: f32 = 256.0;

pub struct TextDetector {
    engine: Engine,
}

impl TextDetector {
    pub fn load(runtime: &Runtime, catalog: &Catalog, options: EngineOptions) -> Result<TextDetector, VisionError> {
        let engine = Engine::load(runtime, catalog.resolve(TEXT_MODEL, None)?, options)?;
        if engine.manifest.family != Family::PaddleTextDet {
            return Err(VisionError::WrongTask {
                path: engine.path.clone(),
                expected: "text detector".into(),
                message: format!("its family is {}", engine.manifest.family),
            });
        }
        Ok(TextDetector { engine })
    }

    /// The share of the crop marked as text, 0..1.
    pub fn text_share(&mut self, crop: &RgbImage) -> Result<f32, VisionError> {
        let s = LONG_SIDE / crop.width().max(crop.height()).max(1) as f32;
        let r = |v: u32| ((v as f32 * s / 32.0).round().max(1.0) * 32.0) as u32;
        let img = resize_rgb(crop, r(crop.width()), r(crop.height()));
        let tensor = InputTensor::from_image(&img, &self.engine.manifest.input);
        let (model, output) = (self.engine.name().to_string(), self.engine.manifest.output.names[0].clone());
        let outputs = self.engine.infer(&tensor)?;
        let map = view_f32(&outputs, &model, &output)?;
        let n = map.len().max(1);
        Ok(map.iter().filter(|&&p| p > TEXT_PROB).count() as f32 / n as f32)
    }
}
