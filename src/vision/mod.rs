//! Vision: ONNX Runtime loading, model manifests, one adapter per model
//! family, and the result types (`Person`, `Keypoint`).
//!
//! Layout follows the data: `runtime` loads the library, `catalog` finds and
//! checks model files against their `manifest`, `engine` wraps a session,
//! `preprocess`/`tensor` build inputs, and each family adapter
//! (`yolo_pose`, `movenet`, `blazepose`, `detector`, `retinaface`) decodes
//! outputs. `pose` assembles a full pose pipeline.

pub mod blazepose;
pub mod catalog;
pub mod detector;
pub mod engine;
mod error;
pub mod frame;
pub mod manifest;
pub mod movenet;
pub mod person;
pub mod pose;
pub mod preprocess;
pub mod retinaface;
pub mod runtime;
pub mod tensor;
pub mod yolo_pose;

pub use error::{FETCH_ORT_HINT, Result, VisionError};
pub use frame::FrameReport;
pub use person::{Keypoint, Person};
