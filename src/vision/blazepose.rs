//! BlazePose landmark model (top-down): 33 landmarks per square crop, mapped
//! onto COCO-17, with the pose presence score.

use image::RgbImage;
use ndarray::ArrayViewD;

use crate::geometry::BBox;
use crate::vision::VisionError;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::movenet::CROP_SCALE;
use crate::vision::person::Keypoint;
use crate::vision::preprocess::SquareCrop;
use crate::vision::tensor::InputTensor;

/// BlazePose landmark count.
pub const LANDMARKS: usize = 33;
/// Values per landmark in the `Identity` output.
const STRIDE: usize = 5;
/// Below this presence the crop is judged to hold no person.
pub const MIN_PRESENCE: f32 = 0.5;

/// BlazePose landmark index for each COCO-17 keypoint.
pub const TO_COCO: [usize; 17] = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28];

/// One crop's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BlazeResult {
    pub keypoints: Vec<Keypoint>,
    pub landmarks: Vec<Keypoint>,
    pub presence: f32,
}

pub struct BlazePose {
    engine: Engine,
}

impl BlazePose {
    pub fn new(engine: Engine) -> Result<BlazePose, VisionError> {
        debug_assert_eq!(engine.manifest.family, Family::Blazepose);
        Ok(BlazePose { engine })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn landmarks(&mut self, img: &RgbImage, bbox: &BBox) -> Result<BlazeResult, VisionError> {
        let spec = &self.engine.manifest.input;
        let size = spec.size[0];
        let crop = SquareCrop::around(bbox, CROP_SCALE);
        let patch = crop.extract(img, size);
        let tensor = InputTensor::from_image(&patch, spec);
        let names = self.engine.manifest.output.names.clone();
        let model = self.engine.name().to_string();
        let outputs = self.engine.infer(&tensor)?;
        let lms = view_f32(&outputs, &model, &names[0])?;
        let presence = view_f32(&outputs, &model, &names[1])?;
        decode(lms, presence, &crop, size as f32).map_err(|message| VisionError::BadOutput { model, message })
    }
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// `Identity` `[1, 195]` and `Identity_1` `[1, 1]` to landmarks in image pixels.
/// Visibility is a logit; presence is already a probability.
pub fn decode(lms: ArrayViewD<f32>, presence: ArrayViewD<f32>, crop: &SquareCrop, size: f32) -> Result<BlazeResult, String> {
    if lms.len() < LANDMARKS * STRIDE {
        return Err(format!("expected [1, 195] landmarks, got {:?}", lms.shape()));
    }
    let presence = presence.iter().next().copied().ok_or("empty presence output")?;
    let flat: Vec<f32> = lms.iter().copied().take(LANDMARKS * STRIDE).collect();
    let landmarks: Vec<Keypoint> = flat
        .chunks_exact(STRIDE)
        .map(|l| {
            let (x, y) = crop.to_original(l[0] / size, l[1] / size);
            Keypoint::new(x, y, sigmoid(l[3]))
        })
        .collect();
    let keypoints = TO_COCO.iter().map(|&i| landmarks[i]).collect();
    Ok(BlazeResult { keypoints, landmarks, presence })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn decode_maps_landmarks_and_sigmoids() {
        let mut lms = Array2::<f32>::zeros((1, 195));
        // Landmark 11 (left shoulder) at the crop centre, visibility logit 0.
        lms[[0, 11 * 5]] = 128.0;
        lms[[0, 11 * 5 + 1]] = 64.0;
        let presence = Array2::from_elem((1, 1), 0.75f32);
        let crop = SquareCrop { x0: 100, y0: 0, side: 512 };
        let r = decode(lms.view().into_dyn(), presence.view().into_dyn(), &crop, 256.0).unwrap();
        assert_eq!(r.landmarks.len(), 33);
        assert_eq!(r.keypoints.len(), 17);
        assert_eq!(r.keypoints[5], Keypoint::new(356.0, 128.0, 0.5));
        assert_eq!(r.presence, 0.75);
    }

    #[test]
    fn coco_mapping_is_increasing_and_in_range() {
        assert!(TO_COCO.windows(2).all(|w| w[0] < w[1]));
        assert!(TO_COCO.iter().all(|&i| i < LANDMARKS));
    }
}
