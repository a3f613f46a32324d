//! Person detectors for the top-down pipelines: SSD-lite (pedestrians) and
//! CenterNet (COCO, person class).

use image::RgbImage;
use ndarray::ArrayViewD;

use crate::geometry::{BBox, nms};
use crate::vision::VisionError;
use crate::vision::engine::{Engine, view_f32};
use crate::vision::manifest::Family;
use crate::vision::preprocess::{fit_long_side, resize_rgb};
use crate::vision::tensor::InputTensor;

/// A detected box with its score.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Detection {
    #[serde(rename = "box")]
    pub bbox: BBox,
    pub score: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorThresholds {
    pub score: f32,
    pub iou: f32,
    pub max_people: usize,
}

impl Default for DetectorThresholds {
    fn default() -> Self {
        DetectorThresholds { score: 0.20, iou: 0.5, max_people: 50 }
    }
}

/// A person detector. A model that takes any size (`dynamic`: CenterNet as
/// shipped) sees the image at its own aspect ratio, long side the
/// manifest's size or the one set ([`PersonDetector::with_long_side`]),
/// sides multiples of the model's stride ([`PersonDetector::input_size`]).
/// A fixed-size model (the SSD) sees it stretched to its input.
pub struct PersonDetector {
    engine: Engine,
    /// The input's long side at the image's aspect; `None` for a
    /// fixed-size model.
    long_side: Option<u32>,
    pub thresholds: DetectorThresholds,
}

impl PersonDetector {
    pub fn new(engine: Engine) -> Result<PersonDetector, VisionError> {
        if !matches!(engine.manifest.family, Family::Ssd | Family::Centernet) {
            return Err(VisionError::WrongTask {
                path: engine.path.clone(),
                expected: "person detector (ssd or centernet)".into(),
                message: format!("its family is {}", engine.manifest.family),
            });
        }
        // At the image's aspect by default: on the street frames CenterNet
        // matched YOLO on 24 of 26 fixtures at long side 512 against 21
        // stretched to 512 × 512, in half the time (docs/models.md).
        let spec = &engine.manifest.input;
        let long_side = spec.dynamic.then(|| spec.size[0].max(spec.size[1]));
        Ok(PersonDetector { engine, long_side, thresholds: DetectorThresholds::default() })
    }

    /// Sets the input's long side (`liyi --input-size` with a top-down
    /// pipeline). Only a model that takes any size (`dynamic`) accepts one,
    /// a positive multiple of its stride, at most 4096.
    pub fn with_long_side(mut self, long_side: u32) -> Result<PersonDetector, VisionError> {
        let spec = &self.engine.manifest.input;
        let bad = |message: String| VisionError::BadInputSize { model: self.engine.name().to_string(), size: long_side, message };
        if !spec.dynamic {
            return Err(bad(format!("this detector has a fixed input of {} × {}; leave --input-size out", spec.size[0], spec.size[1])));
        }
        if let Some(why) = spec.bad_side(long_side) {
            return Err(bad(format!("the detector's long side {why} (e.g. 512, 640)")));
        }
        self.long_side = Some(long_side);
        Ok(self)
    }

    /// The input's long side at the image's aspect, when set.
    pub fn long_side(&self) -> Option<u32> {
        self.long_side
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The model's input size for a `w × h` image.
    pub fn input_size(&self, w: u32, h: u32) -> (u32, u32) {
        let spec = &self.engine.manifest.input;
        match self.long_side {
            Some(long_side) => fit_long_side(w, h, long_side, spec.run_stride()),
            None => (spec.size[0], spec.size[1]),
        }
    }

    pub fn detect(&mut self, img: &RgbImage) -> Result<Vec<Detection>, VisionError> {
        let (iw, ih) = self.input_size(img.width(), img.height());
        let spec = &self.engine.manifest.input;
        let resized = resize_rgb(img, iw, ih);
        let tensor = InputTensor::from_image(&resized, spec);
        let (w, h) = (img.width() as f32, img.height() as f32);
        let family = self.engine.manifest.family;
        let names = self.engine.manifest.output.names.clone();
        let model = self.engine.name().to_string();
        let size = [iw as f32, ih as f32];
        let t = self.thresholds;
        let outputs = self.engine.infer(&tensor)?;
        let raw = match family {
            Family::Ssd => {
                let boxes = view_f32(&outputs, &model, &names[0])?;
                let scores = view_f32(&outputs, &model, &names[1])?;
                let count = view_f32(&outputs, &model, &names[2])?;
                decode_ssd(boxes, scores, count, w, h, t.score)
            }
            _ => decode_centernet(view_f32(&outputs, &model, &names[0])?, size, w, h, t.score),
        }
        .map_err(|message| VisionError::BadOutput { model, message })?;
        Ok(suppress(raw, t))
    }
}

fn suppress(raw: Vec<Detection>, t: DetectorThresholds) -> Vec<Detection> {
    let boxes: Vec<BBox> = raw.iter().map(|d| d.bbox).collect();
    let scores: Vec<f32> = raw.iter().map(|d| d.score).collect();
    nms(&boxes, &scores, t.iou, t.max_people).into_iter().map(|i| raw[i]).collect()
}

/// TF Object Detection API outputs: normalised `(y1, x1, y2, x2)` boxes.
pub fn decode_ssd(
    boxes: ArrayViewD<f32>,
    scores: ArrayViewD<f32>,
    count: ArrayViewD<f32>,
    w: f32,
    h: f32,
    min_score: f32,
) -> Result<Vec<Detection>, String> {
    let n_boxes = boxes.shape().get(1).copied().unwrap_or(0);
    if boxes.ndim() != 3 || boxes.shape()[0] != 1 || boxes.shape()[2] != 4 || scores.ndim() != 2 || scores.shape() != [1, n_boxes] {
        return Err(format!("expected boxes [1, N, 4] and scores [1, N], got {:?} and {:?}", boxes.shape(), scores.shape()));
    }
    let n = count.iter().next().map_or(n_boxes, |&c| (c.max(0.0) as usize).min(n_boxes));
    Ok((0..n)
        .filter(|&i| scores[[0, i]] >= min_score)
        .map(|i| Detection {
            bbox: BBox::new(boxes[[0, i, 1]] * w, boxes[[0, i, 0]] * h, boxes[[0, i, 3]] * w, boxes[[0, i, 2]] * h).clamp(w, h),
            score: scores[[0, i]],
        })
        .filter(|d| d.bbox.is_finite() && d.bbox.area() > 0.0)
        .collect())
}

/// CenterNet outputs: `[1, N, 6]` of `x1, y1, x2, y2, score, class` in
/// input pixels; only class 0 (person) is kept.
pub fn decode_centernet(dets: ArrayViewD<f32>, size: [f32; 2], w: f32, h: f32, min_score: f32) -> Result<Vec<Detection>, String> {
    if dets.ndim() != 3 || dets.shape()[0] != 1 || dets.shape()[2] != 6 {
        return Err(format!("expected detections [1, N, 6], got {:?}", dets.shape()));
    }
    let (sx, sy) = (w / size[0], h / size[1]);
    Ok((0..dets.shape()[1])
        .filter(|&i| dets[[0, i, 5]].round() == 0.0 && dets[[0, i, 4]] >= min_score)
        .map(|i| Detection {
            bbox: BBox::new(dets[[0, i, 0]] * sx, dets[[0, i, 1]] * sy, dets[[0, i, 2]] * sx, dets[[0, i, 3]] * sy).clamp(w, h),
            score: dets[[0, i, 4]],
        })
        .filter(|d| d.bbox.is_finite() && d.bbox.area() > 0.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, Array3};

    #[test]
    fn ssd_boxes_are_yx_normalised() {
        let mut boxes = Array3::<f32>::zeros((1, 3, 4));
        boxes.slice_mut(ndarray::s![0, 0, ..]).assign(&ndarray::arr1(&[0.1, 0.2, 0.5, 0.4]));
        boxes.slice_mut(ndarray::s![0, 1, ..]).assign(&ndarray::arr1(&[0.0, 0.0, 1.0, 1.0]));
        let scores = Array2::from_shape_vec((1, 3), vec![0.9, 0.1, 0.99]).unwrap();
        let count = Array1::from_vec(vec![2.0]);
        let d = decode_ssd(boxes.view().into_dyn(), scores.view().into_dyn(), count.view().into_dyn(), 200.0, 100.0, 0.3).unwrap();
        assert_eq!(d.len(), 1, "score filter and num_detections both apply");
        assert_eq!(d[0].bbox, BBox::new(40.0, 10.0, 80.0, 50.0));
    }

    #[test]
    fn centernet_keeps_only_people_and_scales() {
        let dets = Array3::from_shape_vec(
            (1, 3, 6),
            vec![
                0.0, 0.0, 256.0, 512.0, 0.8, 0.0, //
                0.0, 0.0, 100.0, 100.0, 0.9, 67.0, //
                10.0, 10.0, 20.0, 20.0, 0.1, 0.0,
            ],
        )
        .unwrap();
        let d = decode_centernet(dets.view().into_dyn(), [512.0, 512.0], 1024.0, 256.0, 0.3).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].bbox, BBox::new(0.0, 0.0, 512.0, 256.0));
    }

    #[test]
    fn centernet_at_the_image_aspect_scales_each_axis_by_its_own_input_side() {
        // A 1280 × 504 zone crop is fed at 512 × 192 (long side 512, sides
        // multiples of 32): both axes scale by 2.5 and 2.625.
        assert_eq!(fit_long_side(1280, 504, 512, 32), (512, 192));
        let dets = Array3::from_shape_vec((1, 1, 6), vec![100.0, 40.0, 200.0, 160.0, 0.7, 0.0]).unwrap();
        let d = decode_centernet(dets.view().into_dyn(), [512.0, 192.0], 1280.0, 504.0, 0.3).unwrap();
        assert_eq!(d[0].bbox, BBox::new(250.0, 105.0, 500.0, 420.0));
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let dets = Array2::<f32>::zeros((1, 6));
        assert!(decode_centernet(dets.view().into_dyn(), [512.0, 512.0], 1.0, 1.0, 0.3).is_err());
        // A batch of none (a broken or hostile model) is refused, not indexed.
        let none = Array3::<f32>::zeros((0, 3, 6));
        assert!(decode_centernet(none.view().into_dyn(), [512.0, 512.0], 1.0, 1.0, 0.3).unwrap_err().contains("[1, N, 6]"));
        let (boxes, scores, count) = (Array3::<f32>::zeros((0, 3, 4)), Array2::<f32>::zeros((0, 3)), Array1::from_vec(vec![3.0]));
        assert!(decode_ssd(boxes.view().into_dyn(), scores.view().into_dyn(), count.view().into_dyn(), 1.0, 1.0, 0.0).is_err());
        let (boxes, scores) = (Array3::<f32>::zeros((1, 3, 4)), Array2::<f32>::zeros((0, 3)));
        assert!(decode_ssd(boxes.view().into_dyn(), scores.view().into_dyn(), count.view().into_dyn(), 1.0, 1.0, 0.0).is_err());
    }

    proptest::proptest! {
        // Any output shapes and values a model could give: an error or
        // detections inside the frame, never a panic.
        #[test]
        fn any_detector_output_decodes_or_is_refused(d0 in 0usize..3, n in 0usize..5, last in 3usize..8, sd0 in 0usize..3, sn in 0usize..6,
                count in proptest::num::f32::ANY, v in proptest::num::f32::ANY) {
            let dets = ndarray::ArrayD::<f32>::from_elem(ndarray::IxDyn(&[d0, n, last]), v);
            if let Ok(d) = decode_centernet(dets.view(), [512.0, 512.0], 640.0, 360.0, 0.0) {
                proptest::prop_assert!(d.iter().all(|d| d.bbox.is_finite()));
            }
            let boxes = ndarray::ArrayD::<f32>::from_elem(ndarray::IxDyn(&[d0, n, last]), v);
            let scores = ndarray::ArrayD::<f32>::from_elem(ndarray::IxDyn(&[sd0, sn]), v);
            let count = Array1::from_vec(vec![count]);
            let _ = decode_ssd(boxes.view(), scores.view(), count.view().into_dyn(), 640.0, 360.0, 0.0);
        }
    }

    #[test]
    fn suppression_merges_duplicates() {
        let d = |x: f32, s: f32| Detection { bbox: BBox::new(x, 0.0, x + 10.0, 10.0), score: s };
        let kept = suppress(vec![d(0.0, 0.5), d(1.0, 0.9), d(50.0, 0.4)], DetectorThresholds::default());
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
    }
}
