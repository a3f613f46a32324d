//! The box-to-hub protocol (JSON over HTTP, `Authorization: Bearer TOKEN`).
//! Numbers only, except `POST /api/v1/clips`, which carries a redacted clip.
//!
//! Every row has a natural key, so a row sent twice is stored once:
//! - a minute: box, window, minute (a resent minute replaces the stored one);
//! - an event: box, window, rule, start;
//! - a clip: box, window, rule, event start.

use serde::{Deserialize, Serialize};

use crate::rules::{Event, MinuteMetrics};
use crate::store::OutboxStats;

pub const INGEST_PATH: &str = "/api/v1/ingest";
pub const CLIPS_PATH: &str = "/api/v1/clips";
pub const HEARTBEAT_PATH: &str = "/api/v1/heartbeat";
/// `GET`: which box the bearer token belongs to (`{"box", "hall"}`).
pub const WHOAMI_PATH: &str = "/api/v1/whoami";

/// `POST /api/v1/ingest`: minutes and events, in the order they were stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestBatch {
    #[serde(default)]
    pub minutes: Vec<MinuteMetrics>,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// The hub's answer: everything in the batch is stored (or was already).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IngestReply {
    pub minutes: u64,
    /// Events that were new (the rest had been stored before).
    pub events_new: u64,
}

/// The `meta` part of a clip upload; the other parts are `video` (MP4),
/// `thumbnail` (PNG) and `sidecar` (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipMeta {
    pub window: String,
    pub rule: String,
    pub event_start: chrono::DateTime<chrono::FixedOffset>,
    pub trigger_ts: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClipReply {
    pub id: i64,
    /// The hub had this clip already.
    pub duplicate: bool,
}

/// `POST /api/v1/heartbeat`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// When this agent process started (unix seconds): counters restart
    /// with it.
    pub boot_unix: f64,
    pub version: String,
    pub windows: Vec<CameraBeat>,
    #[serde(default)]
    pub outbox: OutboxStats,
    /// Whether the box's store takes its rows (absent from older boxes:
    /// taken as healthy).
    #[serde(default)]
    pub store: StoreBeat,
}

/// The box's store as its writer sees it: rows that wait in memory because
/// the store refused them, and since when it has refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreBeat {
    pub ok: bool,
    pub unsaved: u64,
    pub write_failures: u64,
    pub rows_rejected: u64,
    pub clips_lost: u64,
    pub failing_since_unix: Option<f64>,
    /// The store's last error, at most [`MAX_ERROR_CHARS`] characters.
    pub last_error: Option<String>,
}

impl Default for StoreBeat {
    fn default() -> StoreBeat {
        StoreBeat { ok: true, unsaved: 0, write_failures: 0, rows_rejected: 0, clips_lost: 0, failing_since_unix: None, last_error: None }
    }
}

/// The longest error text a heartbeat carries.
pub const MAX_ERROR_CHARS: usize = 300;

/// `text` cut to `max` characters with control characters replaced, for
/// messages that travel in heartbeats.
pub fn bounded_text(text: &str, max: usize) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraBeat {
    pub id: String,
    pub name: String,
    pub source_up: bool,
    pub frames_in: u64,
    pub frames_analysed: u64,
    /// Frames dropped because analysis fell behind (cumulative since boot).
    pub frames_stale: u64,
    pub errors: u64,
    pub last_frame_age_s: Option<f64>,
}

/// An error answer from the hub: `{"error": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
}
