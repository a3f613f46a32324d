//! The plug-in slot for a hall's own attire model (ONNX), described by a
//! manifest beside it (`family = "attire_classes"` or `"attire_detections"`,
//! `output.labels` the class names). The contract is in docs/attire.md.

use image::RgbImage;

use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::engine::{Engine, EngineOptions, view_f32};
use crate::vision::manifest::{Family, Task};
use crate::vision::preprocess::resize_rgb;
use crate::vision::runtime::Runtime;
use crate::vision::tensor::InputTensor;

pub struct AttireModel {
    engine: Engine,
    labels: Vec<String>,
}

impl AttireModel {
    /// Loads `path` (an .onnx file with its manifest beside it).
    pub fn load(runtime: &Runtime, catalog: &Catalog, path: &str, options: EngineOptions) -> Result<AttireModel, VisionError> {
        let engine = Engine::load(runtime, catalog.resolve(path, None)?, options)?;
        if engine.manifest.task != Task::Attire {
            return Err(VisionError::WrongTask {
                path: engine.path.clone(),
                expected: "attire model (attire_classes or attire_detections)".into(),
                message: format!("its family is {}", engine.manifest.family),
            });
        }
        let labels = engine.manifest.output.labels.clone().unwrap_or_default();
        Ok(AttireModel { engine, labels })
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Per class, the probability that it shows in the crop: the class
    /// probabilities of a classifier (softmax applied if the outputs are
    /// not already probabilities), or each class's best detection score.
    pub fn classify(&mut self, crop: &RgbImage) -> Result<Vec<(String, f32)>, VisionError> {
        let [w, h] = self.engine.manifest.input.size;
        let img = resize_rgb(crop, w, h);
        let tensor = InputTensor::from_image(&img, &self.engine.manifest.input);
        let (model, output, family) =
            (self.engine.name().to_string(), self.engine.manifest.output.names[0].clone(), self.engine.manifest.family);
        let n = self.labels.len();
        let outputs = self.engine.infer(&tensor)?;
        let out = view_f32(&outputs, &model, &output)?;
        let bad = |message: String| VisionError::BadOutput { model: model.clone(), message };
        let scores: Vec<f32> = match family {
            Family::AttireClasses => {
                let v: Vec<f32> = out.iter().copied().collect();
                if v.len() != n {
                    return Err(bad(format!("{} class scores for {n} labels", v.len())));
                }
                let is_prob = v.iter().all(|p| (0.0..=1.0).contains(p)) && (v.iter().sum::<f32>() - 1.0).abs() < 0.05;
                if is_prob {
                    v
                } else {
                    let m = v.iter().copied().fold(f32::MIN, f32::max);
                    let e: Vec<f32> = v.iter().map(|x| (x - m).exp()).collect();
                    let s: f32 = e.iter().sum();
                    e.into_iter().map(|x| x / s).collect()
                }
            }
            _ => {
                // YOLOv8-style [1, 4 + n, anchors]: boxes, then class scores.
                let shape = out.shape().to_vec();
                if shape.len() != 3 || shape[0] != 1 || shape[1] != 4 + n {
                    return Err(bad(format!("expected [1, {}, anchors], got {shape:?}", 4 + n)));
                }
                (0..n).map(|c| (0..shape[2]).map(|a| out[[0, 4 + c, a]]).fold(0.0, f32::max)).collect()
            }
        };
        Ok(self.labels.iter().cloned().zip(scores).collect())
    }
}

/// The probability that an item is worn, from class probabilities: the
/// "worn" classes' share of "worn" plus "not worn", or (no "not worn"
/// classes) the best "worn" class. `None` when no listed class is present
/// in the model.
pub fn worn(probs: &[(String, f32)], worn: &[String], not_worn: &[String]) -> Option<f32> {
    let sum = |names: &[String]| probs.iter().filter(|(l, _)| names.contains(l)).map(|(_, p)| *p).collect::<Vec<_>>();
    let (yes, no) = (sum(worn), sum(not_worn));
    if yes.is_empty() {
        return None;
    }
    if no.is_empty() {
        return Some(yes.into_iter().fold(0.0, f32::max));
    }
    let (y, n): (f32, f32) = (yes.iter().sum(), no.iter().sum());
    Some(if y + n > 0.0 { y / (y + n) } else { 0.5 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_classes_to_worn() {
        let p = vec![
            ("badge".to_string(), 0.6),
            ("no_badge".to_string(), 0.2),
            ("uniform_ok".to_string(), 0.15),
            ("uniform_off".to_string(), 0.05),
        ];
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(worn(&p, &s(&["badge"]), &s(&["no_badge"])), Some(0.75));
        assert_eq!(worn(&p, &s(&["uniform_ok"]), &s(&["uniform_off"])), Some(0.75));
        assert_eq!(worn(&p, &s(&["badge"]), &[]), Some(0.6));
        assert_eq!(worn(&p, &s(&["lanyard"]), &s(&["no_badge"])), None);
    }
}
