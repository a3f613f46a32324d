//! The face model's role in the agent: faces for clip frames (searched in
//! the whole frame, in only its changed parts, or reused while it is
//! unchanged: [`super::face_gate`]) and for the editor's preview.
//! Fail closed: when the model is missing or fails, the evidence says so
//! and the redaction gate fills the whole frame.

use std::sync::Mutex;
use std::sync::atomic::Ordering;

use chrono::{DateTime, FixedOffset};
use image::RgbImage;

use super::face_gate::{FaceGate, FacePlan};
use super::motion::Thumb;
use super::state::WindowStats;
use crate::privacy::FaceEvidence;
use crate::privacy::faces::search_as_checked;
use crate::sync::lock;
use crate::vision::catalog::Catalog;
use crate::vision::detector::Detection;
use crate::vision::pose::{ModelId, PoseSpec};
use crate::vision::retinaface::FaceDetector;
use crate::vision::runtime::Runtime;

pub use crate::privacy::faces::REDACT_FACE_SCORE;

/// The previews' face search runs at least at this size (long side).
const PREVIEW_LONG_SIDE: u32 = 960;

/// The box's one face model, shared by its workers, or why there is none.
pub struct Faces {
    model: Result<Mutex<FaceDetector>, String>,
    /// Clip frames searched only where they changed.
    parts: bool,
    /// In unit tests, searches answered by a script instead of the model
    /// (the previews' and checks' only), to drive the wiring around them.
    #[cfg(test)]
    scripted: Option<Scripted>,
}

/// Which search a scripted answer is for.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Search {
    Preview,
    Check,
}

#[cfg(test)]
type Scripted = Box<dyn Fn(Search, &RgbImage) -> Result<Vec<Detection>, String> + Send + Sync>;

impl Faces {
    /// Loads the face model; when it cannot load, says so once and every
    /// clip and preview frame is filled whole.
    pub fn load(runtime: &Runtime, catalog: &Catalog, pose: &PoseSpec) -> Faces {
        let loaded = FaceDetector::load(runtime, catalog, pose.engine).map_err(|e| e.to_string()).map(|mut f| {
            f.thresholds.score = REDACT_FACE_SCORE;
            Mutex::new(f)
        });
        if let Err(e) = &loaded {
            tracing::error!(error = %e, "the face model did not load: every clip and preview frame will be filled whole");
        }
        Faces::of(loaded)
    }

    /// With `on`, clip frames are searched only where they changed
    /// ([`FacePlan::Part`]); otherwise the whole frame whenever anything
    /// changed.
    pub fn searching_parts(mut self, on: bool) -> Faces {
        self.parts = on;
        self
    }

    fn of(model: Result<Mutex<FaceDetector>, String>) -> Faces {
        Faces {
            model,
            parts: false,
            #[cfg(test)]
            scripted: None,
        }
    }

    /// Previews and checks answered by `script`; clip frames have no model.
    #[cfg(test)]
    pub(super) fn scripted(script: impl Fn(Search, &RgbImage) -> Result<Vec<Detection>, String> + Send + Sync + 'static) -> Faces {
        Faces { scripted: Some(Box::new(script)), ..Faces::of(Err("scripted in a test".into())) }
    }

    /// No face model: every frame is filled whole.
    pub fn unavailable(why: &str) -> Faces {
        Faces::of(Err(why.to_string()))
    }

    /// The model's name and digest, for clip sidecars.
    pub fn model(&self) -> Option<ModelId> {
        let f = self.model.as_ref().ok()?;
        let f = lock(f);
        Some(ModelId { name: f.engine().name().to_string(), sha256: f.engine().sha256.clone() })
    }

    /// Faces in a clip frame, searched as the window's `gate` plans: the
    /// last search's faces while nothing changed, a search of only the
    /// changed parts, or of the whole frame. Counted in `stats`. The
    /// camera's frame is searched at the model's long side, 960 (not
    /// shrunk to the clip's 640 first, which would blur a 30 px face); the
    /// frame as the clip stores it is searched again by the last look
    /// before it is written ([`Faces::for_check`]).
    pub fn for_clip(
        &self,
        window: &str,
        stats: &WindowStats,
        gate: &mut FaceGate,
        image: &RgbImage,
        ts: DateTime<FixedOffset>,
        thumb: Option<Thumb>,
    ) -> FaceEvidence {
        let f = match &self.model {
            Ok(f) => f,
            Err(e) => return FaceEvidence::Unavailable(e.clone()),
        };
        let size = image.dimensions();
        let plan = match thumb.as_ref().map_or(FacePlan::Whole, |t| gate.plan(t, size, ts)) {
            FacePlan::Part { .. } if !self.parts => FacePlan::Whole,
            plan => plan,
        };
        // A search of the whole frame, counted and remembered by the gate.
        let whole = |f: &mut FaceDetector, gate: &mut FaceGate| {
            f.detect(image).inspect(|found| {
                stats.face_searches_whole.fetch_add(1, Ordering::Relaxed);
                if let Some(t) = &thumb {
                    gate.searched_whole(t, size, ts, found);
                }
            })
        };
        let found = match plan {
            FacePlan::Reuse(found) => {
                stats.face_reuses.fetch_add(1, Ordering::Relaxed);
                return FaceEvidence::Detected(found);
            }
            FacePlan::Whole => whole(&mut lock(f), gate),
            FacePlan::Part { regions, mut keep } => {
                let mut f = lock(f);
                let mut cut = false;
                let parts = regions.iter().try_for_each(|r| {
                    f.detect_part(image, r.pixels(size.0, size.1)).map(|p| {
                        cut |= p.cut;
                        keep.extend(p.faces);
                    })
                });
                match parts {
                    // A face reached a part's inner edge: it may go on
                    // outside, so the whole frame is searched instead.
                    Ok(()) if cut => whole(&mut f, gate),
                    Ok(()) => {
                        stats.face_searches_part.fetch_add(1, Ordering::Relaxed);
                        if let Some(t) = &thumb {
                            gate.searched_part(t, &regions, &keep);
                        }
                        Ok(keep)
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match found {
            Ok(found) => FaceEvidence::Detected(found),
            Err(e) => {
                tracing::warn!(window, error = %e, "face detector failed; the frame is filled whole");
                FaceEvidence::Unavailable(e.to_string())
            }
        }
    }

    /// Faces in a finished clip frame (redacted, shrunk, drawn), searched
    /// as the hub's check searches it ([`search_as_checked`]), at the
    /// redaction threshold; an error when the model is missing or fails.
    pub fn for_check(&self, image: &RgbImage) -> Result<Vec<Detection>, String> {
        #[cfg(test)]
        if let Some(script) = &self.scripted {
            return script(Search::Check, image);
        }
        let f = self.model.as_ref().map_err(Clone::clone)?;
        search_as_checked(&mut lock(f), image)
    }

    /// Faces in a preview frame, searched at full size (the editor shows
    /// it large).
    pub fn for_preview(&self, image: &RgbImage) -> FaceEvidence {
        #[cfg(test)]
        if let Some(script) = &self.scripted {
            return script(Search::Preview, image).map_or_else(FaceEvidence::Unavailable, FaceEvidence::Detected);
        }
        let f = match &self.model {
            Ok(f) => f,
            Err(e) => return FaceEvidence::Unavailable(e.clone()),
        };
        let side = image.width().max(image.height()).max(PREVIEW_LONG_SIDE);
        match lock(f).at_long_side(side, |f| f.detect(image)) {
            Ok(found) => FaceEvidence::Detected(found),
            Err(e) => FaceEvidence::Unavailable(e.to_string()),
        }
    }
}
