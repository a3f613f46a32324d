//! The edge agent (`liyi run`): every window's source through pose and
//! rules into the store, unattended. A folder of roles:
//!
//! - [`state`]: a window as the agent holds it, and the box's windows;
//! - [`capture_loop`]: one thread per window reads its source into a
//!   latest-frame [`Slot`], reopening it with backoff;
//! - [`workers`]: a bounded pool of inference workers takes windows in turn
//!   (one worker per window at a time) and runs [`step`] on each frame;
//! - [`step`]: one frame through pose, rules, attire, preview and clips, a
//!   plain function that tests drive with a stub estimator;
//! - [`faces`], [`preview`]: the face model's role and the editor's preview;
//! - [`service`]: the box wired together on one async runtime: the store
//!   writer ([`store_writer`]), the status server ([`http`]), the uplink,
//!   MQTT and signals.

pub mod capture_loop;
pub mod face_gate;
pub mod faces;
pub mod http;
pub mod login;
pub mod memory;
pub mod motion;
pub mod persist;
pub mod preview;
pub mod region;
pub mod service;
mod slot;
pub mod state;
pub mod status;
pub mod step;
pub mod store_writer;
pub mod traces;
pub mod track;
pub mod workers;

use std::sync::Arc;
use std::time::Duration;

use crate::clips::FinishedClip;
use crate::config::ClipSettings;
use crate::rules::{Event, MinuteMetrics};
use crate::vision::pose::{ModelId, PoseSpec};

pub use faces::REDACT_FACE_SCORE;
pub use slot::{Bell, Slot, Turn};
pub use state::{Agent, WindowState, WindowStats};
pub use workers::run;

/// Agent settings.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub fps: f64,
    /// Inference workers.
    pub workers: usize,
    /// Sets of model sessions the workers share. One set serves two workers
    /// almost as fast as two sets (they overlap on different models) at
    /// half the memory; more help only on boxes with more cores.
    pub model_copies: usize,
    /// Files are replayed once; when true they loop.
    pub loop_files: bool,
    pub pose: PoseSpec,
    /// Skip inference on frames whose zones have not changed.
    pub motion_gate: Option<motion::GateOptions>,
    /// Record teaching clips of violations (`None`: no clips, and no face
    /// detection).
    pub clips: Option<ClipSettings>,
    /// Judge the clerk's badge and uniform (`[attire]`).
    pub attire: Option<crate::config::AttireSettings>,
    /// Record keypoint traces here (`--record-traces`), kept `max_age_days`.
    pub record_traces: Option<(std::path::PathBuf, f64)>,
    /// Publish events, rule states and availability (`[mqtt]`).
    pub mqtt: Option<Arc<crate::mqtt::Publisher>>,
    /// Find people only in the window's zones and around them
    /// ([`region::analysis_region`]); `false` analyses whole frames.
    pub zone_crop: bool,
    /// Follow the clerk with single-person pose between detections
    /// ([`track::ClerkTrack`]); `None` runs the detector on every inferred
    /// frame.
    pub track: Option<track::TrackOptions>,
    /// Search clip frames for faces only where they changed
    /// ([`face_gate::FacePlan::Part`]), as `liyi run` and the demo do;
    /// `false` (`--no-face-parts`) searches the whole frame whenever
    /// anything changed.
    pub face_parts: bool,
    /// How long the store may refuse rows (they wait in memory) before the
    /// agent stops with an error.
    pub store_give_up: Duration,
}

/// The longest wait between two attempts to open a lost source. A camera
/// that returns is read again within this plus its RTSP set-up (about 1 s),
/// inside the 5 s goal; retrying a dead camera every 2 s costs one TCP
/// connection attempt.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The first wait after a source fails.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Upper bounds (seconds) of the inference latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 8] = [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, f64::INFINITY];

/// What the agent produced, in order.
pub enum Output {
    /// Violations that have just begun in a window (rule, start): stored
    /// open, so a kill before they end still leaves them (and their clips'
    /// event) in the store.
    Opened(String, Vec<(crate::rules::RuleCode, chrono::DateTime<chrono::FixedOffset>)>),
    Events(Vec<Event>),
    Minutes(Vec<MinuteMetrics>),
    /// A finished clip (redacted frames in memory), with the models that
    /// saw it.
    Clip(Box<FinishedClip>, Arc<Vec<ModelId>>),
    /// A window's baseline learner to keep (JSON), every few minutes and at
    /// the end.
    Baseline(String, String),
}
