//! `analyze`: find people and keypoints in still images, optionally writing
//! redacted drawings. The library half of `liyi analyze`.

use std::path::{Path, PathBuf};

use crate::imageio::{self, ImageInputError};
use crate::privacy::{self, FaceEvidence, RedactOptions, RedactedFrame};
use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::pose::{FrameTiming, PoseEstimator, PoseSpec};
use crate::vision::retinaface::FaceDetector;
use crate::vision::runtime::Runtime;

/// Keypoints drawn from this confidence.
pub const DRAW_MIN_CONF: f32 = 0.3;

pub use crate::vision::frame::FrameReport;

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Input(#[from] ImageInputError),
    #[error("{path}: {source}")]
    Vision { path: PathBuf, source: VisionError },
    #[error("{path}: could not write the drawing: {source}. Fix: check that the --draw folder is writable.")]
    Write { path: PathBuf, source: std::io::Error },
}

/// The drawing `--draw` writes: `img` redacted with the first face search's
/// `evidence`, the skeletons drawn, then the last look (as for a clip
/// frame) over the drawing as it will be written, which fills any face the
/// first search missed, or the whole frame when the search fails.
pub fn drawing(
    img: &image::RgbImage,
    people: &[crate::vision::Person],
    evidence: &FaceEvidence,
    redact: &RedactOptions,
    faces: &mut FaceDetector,
) -> (RedactedFrame, privacy::Recheck) {
    privacy::still(
        img.clone(),
        people,
        evidence,
        &[],
        redact,
        None,
        |f| f.draw_people(people, DRAW_MIN_CONF),
        |d| privacy::faces::search_as_checked(faces, d),
    )
}

/// Loaded models, reused across images.
pub struct Analyzer {
    pose: PoseEstimator,
    faces: Option<FaceDetector>,
    redact: RedactOptions,
}

/// One analysed image.
pub struct Analysis {
    pub report: FrameReport,
    pub timing: FrameTiming,
    /// Present when drawing was asked for.
    pub drawing: Option<RedactedFrame>,
}

impl Analyzer {
    /// Loads the pose pipeline, and the face model when `draw` is set.
    pub fn load(runtime: &Runtime, catalog: &Catalog, spec: &PoseSpec, draw: bool) -> Result<Analyzer, VisionError> {
        let pose = PoseEstimator::load(runtime, catalog, spec)?;
        // Drawings are redacted like clip frames: faces from the redaction
        // threshold, below the audit's.
        let faces = match draw {
            true => Some(FaceDetector::load(runtime, catalog, spec.engine).map(|mut f| {
                f.thresholds.score = privacy::faces::REDACT_FACE_SCORE;
                f
            })?),
            false => None,
        };
        Ok(Analyzer { pose, faces, redact: RedactOptions::default() })
    }

    pub fn model_name(&self) -> &str {
        self.pose.name()
    }

    pub fn analyze(&mut self, path: &Path) -> Result<Analysis, AnalyzeError> {
        let img = imageio::load_rgb(path)?;
        let vision = |source| AnalyzeError::Vision { path: path.to_path_buf(), source };
        let (people, timing) = self.pose.estimate_timed(&img).map_err(vision)?;
        let drawing = match &mut self.faces {
            None => None,
            Some(faces) => {
                // A face-model failure does not stop the drawing: it makes
                // the redaction fill the whole frame (fail closed).
                let evidence = match faces.detect(&img) {
                    Ok(found) => FaceEvidence::Detected(found),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "face detector failed; redacting the whole frame");
                        FaceEvidence::Unavailable(e.to_string())
                    }
                };
                let (frame, look) = drawing(&img, &people, &evidence, &self.redact, faces);
                if let privacy::Recheck::Whole(why) = look {
                    tracing::warn!(path = %path.display(), why, "the last look before drawing filled the whole frame");
                }
                Some(frame)
            }
        };
        let report = FrameReport {
            source: path.display().to_string(),
            frame: 0,
            width: img.width(),
            height: img.height(),
            model: self.pose.name().to_string(),
            people,
        };
        Ok(Analysis { report, timing, drawing })
    }
}

/// Where the drawing of `input` goes inside `dir`: same stem, `.png`.
pub fn drawing_path(dir: &Path, input: &Path, index: usize) -> PathBuf {
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("frame");
    let candidate = dir.join(format!("{stem}.png"));
    if index == 0 { candidate } else { dir.join(format!("{stem}-{index}.png")) }
}

/// Writes a redacted drawing.
pub fn write_drawing(frame: &RedactedFrame, path: &Path) -> Result<(), AnalyzeError> {
    frame.write_png(path).map_err(|source| AnalyzeError::Write { path: path.to_path_buf(), source })
}
