//! YOLO-pose (bottom-up): letterbox, one pass, score filter, NMS.

use image::RgbImage;
use ndarray::{ArrayView2, Ix3};

use crate::geometry::{BBox, nms};
use crate::vision::VisionError;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::person::{COCO_KEYPOINTS, Keypoint, Person};
use crate::vision::preprocess::{Letterbox, Normalize, letterbox_nchw};
use crate::vision::tensor::InputTensor;

/// Post-processing thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YoloThresholds {
    pub score: f32,
    pub iou: f32,
    pub max_people: usize,
}

impl Default for YoloThresholds {
    fn default() -> Self {
        YoloThresholds { score: 0.25, iou: 0.45, max_people: 100 }
    }
}

pub struct YoloPose {
    engine: Engine,
    size: u32,
    pub thresholds: YoloThresholds,
}

impl YoloPose {
    /// `size` overrides the manifest's default input size; it must be a
    /// multiple of the model's stride (32).
    pub fn new(engine: Engine, size: Option<u32>) -> Result<YoloPose, VisionError> {
        debug_assert_eq!(engine.manifest.family, Family::YoloPose);
        let spec = &engine.manifest.input;
        let size = size.unwrap_or(spec.size[0]);
        if let Some(why) = spec.bad_side(size) {
            return Err(VisionError::BadInputSize { model: engine.name().to_string(), size, message: format!("{why} (e.g. 320, 640)") });
        }
        if !spec.dynamic && size != spec.size[0] {
            return Err(VisionError::BadInputSize {
                model: engine.name().to_string(),
                size,
                message: format!("this model has a fixed input of {}", spec.size[0]),
            });
        }
        Ok(YoloPose { engine, size, thresholds: YoloThresholds::default() })
    }

    pub fn input_size(&self) -> u32 {
        self.size
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The letterboxed input tensor and its placement.
    pub fn prepare(&self, img: &RgbImage) -> (InputTensor, Letterbox) {
        let (t, lb) = letterbox_nchw(img, self.size, Normalize::from_spec(&self.engine.manifest.input));
        (InputTensor::F32(t), lb)
    }

    pub fn estimate(&mut self, img: &RgbImage) -> Result<Vec<Person>, VisionError> {
        let (tensor, lb) = self.prepare(img);
        let thresholds = self.thresholds;
        let name = self.engine.manifest.output.names[0].clone();
        let model = self.engine.name().to_string();
        let outputs = self.engine.infer(&tensor)?;
        let raw = view_f32(&outputs, &model, &name)?;
        let raw = raw.into_dimensionality::<Ix3>().map_err(|e| VisionError::BadOutput { model: model.clone(), message: e.to_string() })?;
        if raw.shape()[0] != 1 || raw.shape()[1] != 5 + 3 * COCO_KEYPOINTS {
            return Err(VisionError::BadOutput { model, message: format!("expected [1, 56, N], got {:?}", raw.shape()) });
        }
        Ok(decode(raw.index_axis(ndarray::Axis(0), 0), &lb, img.width(), img.height(), thresholds))
    }
}

/// Decodes `[56, N]` anchors into people in original-image pixels.
pub fn decode(raw: ArrayView2<f32>, lb: &Letterbox, width: u32, height: u32, t: YoloThresholds) -> Vec<Person> {
    let n = raw.shape()[1];
    let mut boxes = Vec::new();
    let mut scores = Vec::new();
    let mut anchors = Vec::new();
    let score_row = raw.row(4);
    for i in 0..n {
        let s = score_row[i];
        if s >= t.score && s.is_finite() {
            boxes.push(BBox::from_center(raw[[0, i]], raw[[1, i]], raw[[2, i]], raw[[3, i]]));
            scores.push(s);
            anchors.push(i);
        }
    }
    let keep = nms(&boxes, &scores, t.iou, t.max_people);
    let (w, h) = (width as f32, height as f32);
    keep.into_iter()
        .map(|k| {
            let a = anchors[k];
            let b = boxes[k];
            let (x1, y1) = lb.to_original(b.x1, b.y1);
            let (x2, y2) = lb.to_original(b.x2, b.y2);
            let keypoints = (0..COCO_KEYPOINTS)
                .map(|j| {
                    let (x, y) = lb.to_original(raw[[5 + 3 * j, a]], raw[[6 + 3 * j, a]]);
                    Keypoint::new(x, y, raw[[7 + 3 * j, a]])
                })
                .collect();
            Person { bbox: BBox::new(x1, y1, x2, y2).clamp(w, h), score: scores[k], keypoints, landmarks: None, presence: None }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn anchor(raw: &mut Array2<f32>, i: usize, cx: f32, cy: f32, s: f32) {
        raw[[0, i]] = cx;
        raw[[1, i]] = cy;
        raw[[2, i]] = 20.0;
        raw[[3, i]] = 40.0;
        raw[[4, i]] = s;
        for j in 0..COCO_KEYPOINTS {
            raw[[5 + 3 * j, i]] = cx;
            raw[[6 + 3 * j, i]] = cy + j as f32;
            raw[[7 + 3 * j, i]] = 0.9;
        }
    }

    #[test]
    fn decodes_filters_and_suppresses() {
        let mut raw = Array2::<f32>::zeros((56, 4));
        anchor(&mut raw, 0, 100.0, 300.0, 0.9);
        anchor(&mut raw, 1, 101.0, 300.0, 0.8); // duplicate of 0
        anchor(&mut raw, 2, 300.0, 200.0, 0.6);
        anchor(&mut raw, 3, 500.0, 500.0, 0.1); // below threshold
        let lb = Letterbox::fit(1280, 720, 640); // scale 0.5, top 140
        let people = decode(raw.view(), &lb, 1280, 720, YoloThresholds::default());
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].score, 0.9);
        let p = &people[0];
        // Canvas box (90, 280)-(110, 320); scale 0.5, top padding 140.
        assert_eq!(p.bbox, BBox::new(180.0, 280.0, 220.0, 360.0));
        assert_eq!(p.keypoints.len(), 17);
        assert_eq!(p.keypoints[3], Keypoint::new(200.0, 326.0, 0.9));
    }

    #[test]
    fn empty_output_gives_no_people() {
        let raw = Array2::<f32>::zeros((56, 0));
        let lb = Letterbox::fit(640, 640, 640);
        assert!(decode(raw.view(), &lb, 640, 640, YoloThresholds::default()).is_empty());
    }
}
