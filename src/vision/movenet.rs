//! MoveNet single-pose (top-down): one person per square crop.

use image::RgbImage;
use ndarray::ArrayViewD;

use crate::geometry::BBox;
use crate::vision::VisionError;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::person::{COCO_KEYPOINTS, Keypoint};
use crate::vision::preprocess::SquareCrop;
use crate::vision::tensor::InputTensor;

/// How much larger than the person box the crop is.
pub const CROP_SCALE: f32 = 1.25;

pub struct MoveNet {
    engine: Engine,
}

impl MoveNet {
    pub fn new(engine: Engine) -> Result<MoveNet, VisionError> {
        debug_assert_eq!(engine.manifest.family, Family::Movenet);
        Ok(MoveNet { engine })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The 17 COCO keypoints of the person in `bbox`.
    pub fn keypoints(&mut self, img: &RgbImage, bbox: &BBox) -> Result<Vec<Keypoint>, VisionError> {
        let spec = &self.engine.manifest.input;
        let crop = SquareCrop::around(bbox, CROP_SCALE);
        let patch = crop.extract(img, spec.size[0]);
        let tensor = InputTensor::from_image(&patch, spec);
        let name = self.engine.manifest.output.names[0].clone();
        let model = self.engine.name().to_string();
        let outputs = self.engine.infer(&tensor)?;
        decode(view_f32(&outputs, &model, &name)?, &crop).map_err(|message| VisionError::BadOutput { model, message })
    }
}

/// `[1, 1, 17, 3]` of `(y, x, score)` normalised to the crop.
pub fn decode(raw: ArrayViewD<f32>, crop: &SquareCrop) -> Result<Vec<Keypoint>, String> {
    if raw.len() != COCO_KEYPOINTS * 3 {
        return Err(format!("expected [1, 1, 17, 3], got {:?}", raw.shape()));
    }
    let flat: Vec<f32> = raw.iter().copied().collect();
    Ok(flat
        .chunks_exact(3)
        .map(|k| {
            let (x, y) = crop.to_original(k[1], k[0]);
            Keypoint::new(x, y, k[2])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn decode_maps_yx_from_crop() {
        let mut raw = Array4::<f32>::zeros((1, 1, 17, 3));
        raw[[0, 0, 0, 0]] = 0.25; // y
        raw[[0, 0, 0, 1]] = 0.5; // x
        raw[[0, 0, 0, 2]] = 0.7;
        let crop = SquareCrop { x0: -10, y0: 20, side: 200 };
        let kps = decode(raw.view().into_dyn(), &crop).unwrap();
        assert_eq!(kps.len(), 17);
        assert_eq!(kps[0], Keypoint::new(90.0, 70.0, 0.7));
    }

    #[test]
    fn decode_rejects_wrong_size() {
        let raw = Array4::<f32>::zeros((1, 1, 16, 3));
        assert!(decode(raw.view().into_dyn(), &SquareCrop { x0: 0, y0: 0, side: 1 }).is_err());
    }
}
