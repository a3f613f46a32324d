//! The pose pipeline: either one bottom-up model, or a person detector
//! followed by a single-person model on each crop. Both give the same
//! [`Person`] results.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use image::RgbImage;

use crate::geometry::BBox;
use crate::sync::lock;
use crate::vision::VisionError;
use crate::vision::blazepose::{BlazePose, MIN_PRESENCE};
use crate::vision::catalog::Catalog;
use crate::vision::detector::PersonDetector;
use crate::vision::engine::{Engine, EngineOptions};
use crate::vision::manifest::{Family, Task};
use crate::vision::movenet::MoveNet;
use crate::vision::person::{Person, sort_by_score};
use crate::vision::runtime::Runtime;
use crate::vision::yolo_pose::YoloPose;

/// The default pose model (see docs/models.md for the measurement behind it).
pub const DEFAULT_POSE: &str = "movenet-thunder";
/// The default person detector for top-down pose models.
pub const DEFAULT_DETECTOR: &str = "centernet-coco";

/// What to load.
#[derive(Debug, Clone, PartialEq)]
pub struct PoseSpec {
    /// Model name or path to an `.onnx` file.
    pub pose: String,
    /// Family for an unrecognised pose file.
    pub family: Option<Family>,
    /// Person detector name or path (top-down models only).
    pub detector: String,
    /// Input size: YOLO-pose's square side, or, in front of a top-down model,
    /// the person detector's long side at the image's aspect (CenterNet;
    /// unset, its manifest's size, 512).
    pub input_size: Option<u32>,
    pub engine: EngineOptions,
}

impl Default for PoseSpec {
    fn default() -> Self {
        PoseSpec {
            pose: DEFAULT_POSE.into(),
            family: None,
            detector: DEFAULT_DETECTOR.into(),
            input_size: None,
            engine: EngineOptions::default(),
        }
    }
}

enum CropModel {
    MoveNet(MoveNet),
    BlazePose(BlazePose),
}

impl CropModel {
    /// The person in `bbox`, or `None` when BlazePose says nobody is there.
    fn pose(&mut self, img: &RgbImage, bbox: BBox, score: f32) -> Result<Option<Person>, VisionError> {
        Ok(match self {
            CropModel::MoveNet(m) => Some(Person { bbox, score, keypoints: m.keypoints(img, &bbox)?, landmarks: None, presence: None }),
            CropModel::BlazePose(b) => {
                let r = b.landmarks(img, &bbox)?;
                (r.presence >= MIN_PRESENCE).then_some(Person {
                    bbox,
                    score,
                    keypoints: r.keypoints,
                    landmarks: Some(r.landmarks),
                    presence: Some(r.presence),
                })
            }
        })
    }

    fn engine(&self) -> &Engine {
        match self {
            CropModel::MoveNet(m) => m.engine(),
            CropModel::BlazePose(b) => b.engine(),
        }
    }
}

/// Each model sits behind its own lock, so threads sharing one estimator
/// overlap on different models: while one runs the detector on its frame,
/// another runs the pose model on the people of its own (docs/design.md).
enum Pipeline {
    BottomUp(Mutex<YoloPose>),
    TopDown { detector: Mutex<PersonDetector>, model: Mutex<CropModel> },
}

/// A region covering more of the frame than this is analysed as the whole
/// frame: cropping would save nothing.
const WHOLE_FRAME_SHARE: f32 = 0.8;

/// The integer crop `(x, y, width, height)` for `region` in a `w × h`
/// frame, or `None` for the whole frame (no region inside it, or nearly all
/// of it).
pub fn crop_bounds(region: BBox, w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    if !region.is_finite() {
        return None;
    }
    let (x0, y0, x1, y1) = region.pixel_bounds(w, h)?;
    let (cw, ch) = (x1 - x0, y1 - y0);
    let share = (cw as f32 * ch as f32) / (w.max(1) as f32 * h.max(1) as f32);
    // Too small to hold a person: the whole frame rather than nothing.
    (share < WHOLE_FRAME_SHARE && cw >= 16 && ch >= 16).then_some((x0, y0, cw, ch))
}

/// Time spent on the last frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameTiming {
    /// Whole frame: pre-processing, every `session.run`, post-processing.
    pub total: Duration,
    /// Inside `session.run` only.
    pub inference: Duration,
}

/// A model a pipeline uses, as clips and reports name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelId {
    pub name: String,
    pub sha256: String,
}

/// Finds people and their keypoints in frames. Shareable between threads
/// (`&self`); see [`Pipeline`] for how they overlap.
pub struct PoseEstimator {
    pipeline: Pipeline,
    name: String,
    models: Vec<ModelId>,
}

impl PoseEstimator {
    pub fn load(runtime: &Runtime, catalog: &Catalog, spec: &PoseSpec) -> Result<PoseEstimator, VisionError> {
        let file = catalog.resolve(&spec.pose, spec.family)?;
        if file.manifest.task != Task::Pose {
            return Err(VisionError::WrongTask {
                path: file.path.clone(),
                expected: "pose".into(),
                message: format!("`{}` is a {} model; pass it as the detector instead", file.manifest.name, file.manifest.family),
            });
        }
        let engine = Engine::load(runtime, file, spec.engine)?;
        let pose_name = engine.name().to_string();
        let id = |e: &Engine| ModelId { name: e.name().to_string(), sha256: e.sha256.clone() };
        let mut models = vec![id(&engine)];
        let (pipeline, name) = match engine.manifest.family {
            Family::YoloPose => {
                let yolo = YoloPose::new(engine, spec.input_size)?;
                let name = format!("{pose_name}@{}", yolo.input_size());
                (Pipeline::BottomUp(Mutex::new(yolo)), name)
            }
            family => {
                let det_file = catalog.resolve(&spec.detector, None)?;
                let mut detector = PersonDetector::new(Engine::load(runtime, det_file, spec.engine)?)?;
                if let Some(long_side) = spec.input_size {
                    detector = detector.with_long_side(long_side)?;
                }
                models.push(id(detector.engine()));
                // A detector at the image's aspect carries its long side in
                // the name; a fixed-size one (stretched) does not.
                let det_name = match detector.long_side() {
                    None => detector.engine().name().to_string(),
                    Some(l) => format!("{}@{l}", detector.engine().name()),
                };
                let name = format!("{det_name}+{pose_name}");
                let model = match family {
                    Family::Movenet => CropModel::MoveNet(MoveNet::new(engine)?),
                    _ => CropModel::BlazePose(BlazePose::new(engine)?),
                };
                (Pipeline::TopDown { detector: Mutex::new(detector), model: Mutex::new(model) }, name)
            }
        };
        Ok(PoseEstimator { pipeline, name, models })
    }

    /// The pipeline's name, e.g. `centernet-coco@512+movenet-thunder`,
    /// `ped-ssdlite+movenet-thunder` or `yolo11n-pose@640`. YOLO always
    /// carries its size; a detector does when it sees the image at its own
    /// aspect (long side 512), not when it stretches it to a fixed input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The models in use, pose model first, with their SHA-256.
    pub fn models(&self) -> &[ModelId] {
        &self.models
    }

    fn inference_time(&self) -> Duration {
        match &self.pipeline {
            Pipeline::BottomUp(y) => lock(y).engine().inference_time(),
            Pipeline::TopDown { detector, model } => lock(detector).engine().inference_time() + lock(model).engine().inference_time(),
        }
    }

    /// People in `img`, best score first.
    pub fn estimate(&self, img: &RgbImage) -> Result<Vec<Person>, VisionError> {
        self.estimate_in(img, None)
    }

    /// People found inside `region` of `img` (frame pixels), best score
    /// first, in frame coordinates. People are *found* only in the region:
    /// the detector (or the bottom-up model) sees the region's crop, which
    /// costs less to prepare and leaves out everyone elsewhere, so the
    /// single-person model runs only for them. Their keypoints come from
    /// the whole frame, so a person on the region's edge is not cut off.
    /// `None`, or a region covering nearly the whole frame, is the whole
    /// frame.
    pub fn estimate_in(&self, img: &RgbImage, region: Option<BBox>) -> Result<Vec<Person>, VisionError> {
        let crop = region.and_then(|r| crop_bounds(r, img.width(), img.height()));
        let cropped = crop.map(|(x, y, w, h)| image::imageops::crop_imm(img, x, y, w, h).to_image());
        let (seen, dx, dy) = match (&cropped, crop) {
            (Some(c), Some((x, y, _, _))) => (c, x as f32, y as f32),
            _ => (img, 0.0, 0.0),
        };
        let mut people = match &self.pipeline {
            Pipeline::BottomUp(yolo) => lock(yolo).estimate(seen)?.into_iter().map(|p| p.translated(dx, dy)).collect(),
            Pipeline::TopDown { detector, model } => {
                let found = lock(detector).detect(seen)?;
                let mut model = lock(model);
                let mut people = Vec::new();
                for det in found {
                    let b = det.bbox;
                    let bbox = BBox::new(b.x1 + dx, b.y1 + dy, b.x2 + dx, b.y2 + dy);
                    people.extend(model.pose(img, bbox, det.score)?);
                }
                people
            }
        };
        sort_by_score(&mut people);
        Ok(people)
    }

    /// The pose of the one person in `bbox` (a box the detector found
    /// earlier, moved along), without running the detector: `Ok(None)` when
    /// the pipeline has no single-person model (bottom-up models find
    /// everyone at once) or BlazePose finds nobody there. `score` is carried
    /// over as the person's.
    pub fn pose_in_box(&self, img: &RgbImage, bbox: BBox, score: f32) -> Result<Option<Person>, VisionError> {
        match &self.pipeline {
            Pipeline::BottomUp(_) => Ok(None),
            Pipeline::TopDown { model, .. } => lock(model).pose(img, bbox, score),
        }
    }

    /// Like [`estimate`](Self::estimate), also timing the frame.
    pub fn estimate_timed(&self, img: &RgbImage) -> Result<(Vec<Person>, FrameTiming), VisionError> {
        let before = self.inference_time();
        let start = Instant::now();
        let people = self.estimate(img)?;
        let total = start.elapsed();
        Ok((people, FrameTiming { total, inference: self.inference_time() - before }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_bounds_keep_the_region_and_fall_back_to_the_whole_frame() {
        assert_eq!(crop_bounds(BBox::new(100.4, 50.0, 500.0, 400.6), 1280, 720), Some((100, 50, 400, 351)));
        // Clamped to the frame.
        assert_eq!(crop_bounds(BBox::new(-50.0, -10.0, 300.0, 200.0), 1280, 720), Some((0, 0, 300, 200)));
        // Nearly the whole frame, outside it, degenerate, or not finite.
        assert_eq!(crop_bounds(BBox::new(0.0, 0.0, 1200.0, 700.0), 1280, 720), None);
        assert_eq!(crop_bounds(BBox::new(2000.0, 0.0, 2100.0, 100.0), 1280, 720), None);
        assert_eq!(crop_bounds(BBox::new(10.0, 10.0, 12.0, 300.0), 1280, 720), None);
        assert_eq!(crop_bounds(BBox::new(f32::NAN, 0.0, 100.0, 100.0), 1280, 720), None);
    }
}
