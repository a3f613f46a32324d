//! Flagged teaching clips: a few seconds before and after a violation
//! begins, redacted, with a skeleton overlay and the rule's cue.
//!
//! - [`recorder`] keeps, per window, a pre-roll ring of frames that have
//!   already passed the redaction gate, and collects the post-roll (memory
//!   only);
//! - [`writer`] turns a finished clip into files: an H.264 MP4, a PNG
//!   thumbnail and a JSON sidecar, each written atomically;
//! - [`retention`] deletes the oldest clips past their age or the disk
//!   quota, never metrics.

pub mod recorder;
pub mod retention;
pub mod writer;

pub use recorder::{ClipFrame, ClipRecorder, FinishedClip};
