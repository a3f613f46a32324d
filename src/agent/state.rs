//! A window as the agent holds it, and the box's windows.
//!
//! Each window has three locks, by who shares them:
//! - `rules`: the window's rules, read by `/status` and the zone editor;
//! - `work`: what only the per-frame step and a layout edit touch (motion
//!   gate, clip recorder, face reuse, attire verdict, traces, the followed
//!   clerk);
//! - `shown`: what the pages read (last observation, preview, masks).
//!
//! Locks are taken in that order, and a worker holds a window alone
//! ([`Slot::take`]), so `work` is never contended by two frames.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::slot::{Bell, Slot};
use super::{LATENCY_BUCKETS, face_gate, motion, persist, traces, track};
use crate::base::throttle::Throttle;
use crate::clips::ClipRecorder;
use crate::config::{Config, Window};
use crate::rules::{Observation, WindowRules};
use crate::sync::lock;

/// Per-window counters, readable while the agent runs.
#[derive(Debug, Default)]
pub struct WindowStats {
    pub frames_in: AtomicU64,
    /// Packets the source dropped undecoded because the workers were
    /// behind ([`crate::capture::Source::skip_to_keyframe`]).
    pub packets_skipped: AtomicU64,
    pub frames_analysed: AtomicU64,
    /// Frames whose zones had not changed, judged without inference.
    pub frames_gated: AtomicU64,
    /// Inferred frames where only the followed clerk's pose ran (no person
    /// detector).
    pub frames_followed: AtomicU64,
    /// Analysed frames no clip could need (every rule idle): no face
    /// search, no redaction.
    pub clip_frames_skipped: AtomicU64,
    /// Clip frames searched for faces whole, in their changed parts only,
    /// or given the last search's faces (nothing changed).
    pub face_searches_whole: AtomicU64,
    pub face_searches_part: AtomicU64,
    pub face_reuses: AtomicU64,
    /// Written clip frames in which the last look before storing found and
    /// filled a face, and those it filled whole
    /// ([`crate::privacy::RedactedFrame::recheck`]).
    pub clip_frames_refilled: AtomicU64,
    pub clip_frames_refilled_whole: AtomicU64,
    pub reconnects: AtomicU64,
    pub errors: AtomicU64,
    pub inference_us: AtomicU64,
    pub latency_buckets: [AtomicU64; 8],
    /// Whether the source is open right now.
    pub source_up: AtomicBool,
    pub last_frame: Mutex<Option<Instant>>,
    pub last_error: Mutex<Option<String>>,
}

impl WindowStats {
    pub(super) fn observe_latency(&self, secs: f64) {
        self.inference_us.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        let i = LATENCY_BUCKETS.iter().position(|b| secs <= *b).unwrap_or(LATENCY_BUCKETS.len() - 1);
        self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// What only the per-frame step (and a layout edit) touches.
pub(super) struct Work {
    /// When the baseline was last handed to the store.
    pub baseline_saved: Instant,
    pub gate: Option<motion::MotionGate>,
    pub clips: Option<ClipRecorder>,
    pub face_gate: face_gate::FaceGate,
    /// The last attire verdict and when it was made.
    pub attire: Option<(chrono::DateTime<chrono::FixedOffset>, crate::attire::Attire)>,
    pub traces: Option<traces::TraceRecorder>,
    /// The clerk, followed between detections (`None`: detect every frame).
    pub track: Option<track::ClerkTrack>,
    /// Counts layout edits, so that a step that had the track out while
    /// the zones changed forgets the clerk.
    pub layout_generation: u64,
}

/// What the pages read.
#[derive(Default)]
pub struct Shown {
    /// What the rules saw in the last analysed frame (numbers only).
    pub last_observation: Option<Observation>,
    /// When the live preview was last asked for (the editor is open).
    pub preview_wanted: Option<Instant>,
    /// The latest redacted preview (PNG) and when it was made.
    pub preview: Option<(Instant, Vec<u8>)>,
    /// The privacy masks in force (the config's, until the editor changes
    /// them).
    pub masks: Vec<crate::geometry::Polygon>,
}

/// One window as the agent holds it.
pub struct WindowState {
    pub window: Window,
    pub(super) slot: Slot,
    pub rules: Mutex<WindowRules>,
    pub(super) work: Mutex<Work>,
    pub shown: Mutex<Shown>,
    pub stats: WindowStats,
    /// How often this window's caught panics are written to the log: one
    /// that recurs on every frame is counted on every frame but written
    /// once a minute.
    panic_log: Mutex<Throttle>,
}

impl WindowState {
    /// `window` with its rules (and the baseline kept from an earlier run,
    /// as JSON, if it reads), its slot ringing `bell`.
    pub(super) fn new(window: &Window, kept: Option<&String>, bell: Arc<Bell>) -> WindowState {
        WindowState {
            window: window.clone(),
            slot: Slot::with_bell(bell),
            rules: Mutex::new(rules_with_baseline(window, kept)),
            work: Mutex::new(Work {
                baseline_saved: Instant::now(),
                gate: None,
                clips: None,
                face_gate: face_gate::FaceGate::new(),
                attire: None,
                traces: None,
                track: None,
                layout_generation: 0,
            }),
            shown: Mutex::new(Shown { masks: window.masks.clone(), ..Shown::default() }),
            stats: WindowStats::default(),
            panic_log: Mutex::new(Throttle::default()),
        }
    }

    /// A panic in this window at `now` ([`crate::base::throttle::monotonic`],
    /// the one time base every caller uses): `Some(n)` to write it
    /// to the log, saying that `n` since the last line were left out;
    /// `None` to leave it out. Counting it and showing it in `last_error`
    /// are the caller's, for every panic.
    pub(super) fn panic_logged(&self, now: std::time::Duration) -> Option<u64> {
        lock(&self.panic_log).admit(now)
    }

    pub fn stale(&self) -> u64 {
        self.slot.stale()
    }
}

/// The agent's windows, shared with the status server.
pub struct Agent {
    pub windows: Vec<Arc<WindowState>>,
    pub started: Instant,
    /// The configuration file the zone editor writes back to.
    pub config_file: std::path::PathBuf,
    /// The gate options motion gates are rebuilt with after an edit.
    pub(super) gate_options: Mutex<Option<motion::GateOptions>>,
    /// Whether the store takes the rows the windows make.
    pub store: persist::StoreHealth,
    /// The MQTT publisher, when `[mqtt]` is set (for its counters).
    pub mqtt: std::sync::OnceLock<Arc<crate::mqtt::Publisher>>,
    /// Rung by every window's slot: idle workers wait on it.
    pub(super) bell: Arc<Bell>,
    /// The analysis rate each window is meant to get (`--fps`), once the
    /// agent runs.
    pub target_fps: std::sync::OnceLock<f64>,
    /// The outbox as the uplink last read it (at each heartbeat), when
    /// `[hub]` is set: what waits, and what never reached the hub.
    pub outbox: Mutex<Option<crate::store::OutboxStats>>,
}

impl Agent {
    /// The windows of `config` that have a source, with the baseline
    /// learners kept from an earlier run (`window → JSON`); one that cannot
    /// be read is logged and learnt afresh.
    pub fn new(config: &Config, kept: &BTreeMap<String, String>) -> anyhow::Result<Arc<Agent>> {
        let bell = Arc::new(Bell::default());
        let windows: Vec<Arc<WindowState>> = config
            .windows
            .iter()
            .filter(|w| w.source.is_some())
            .map(|w| Arc::new(WindowState::new(w, kept.get(&w.id), Arc::clone(&bell))))
            .collect();
        anyhow::ensure!(!windows.is_empty(), "{}: no window has a `source`", config.file.display());
        Ok(Arc::new(Agent {
            windows,
            started: Instant::now(),
            config_file: config.file.clone(),
            gate_options: Mutex::new(None),
            store: Default::default(),
            mqtt: Default::default(),
            bell,
            target_fps: Default::default(),
            outbox: Mutex::new(None),
        }))
    }

    /// Applies an edited layout to a running window: its rules keep their
    /// state; its motion gate starts afresh with the new zones.
    pub fn apply_layout(&self, id: &str, layout: crate::config::CheckedLayout) -> bool {
        let Some(w) = self.windows.iter().find(|w| w.window.id == id) else { return false };
        let crate::config::CheckedLayout { staff, counter, desk_y, masks } = layout;
        let gate_options = *lock(&self.gate_options);
        lock(&w.rules).set_layout(staff.clone(), counter.clone(), desk_y);
        {
            let mut work = lock(&w.work);
            if let Some(o) = gate_options {
                work.gate = Some(motion::MotionGate::new(&staff, &counter, o));
            }
            if let Some(t) = work.track.as_mut() {
                t.reset();
            }
            work.layout_generation += 1;
            // Previews and clips made from now on fill the new masks.
            if let (Some(c), Some(masks)) = (work.clips.as_mut(), masks.as_ref()) {
                c.set_masks(masks.clone());
            }
        }
        if let Some(masks) = masks {
            lock(&w.shown).masks = masks;
        }
        tracing::info!(window = id, "layout applied from the editor");
        true
    }
}

/// A window's rules, with the baseline kept from an earlier run if it reads.
fn rules_with_baseline(w: &Window, kept: Option<&String>) -> WindowRules {
    let mut rules = WindowRules::new(w);
    if let Some(json) = kept {
        match crate::rules::baseline::Learner::from_json(json) {
            Ok(l) => {
                tracing::info!(window = %w.id, samples = l.samples(), "clerk baseline restored");
                rules.set_learner(l);
            }
            Err(e) => tracing::warn!(window = %w.id, error = %e, "kept clerk baseline unreadable; learning afresh"),
        }
    }
    rules
}

/// A box of one window on a dead camera, for the agent's unit tests.
#[cfg(test)]
pub(super) fn one_window_agent() -> Arc<Agent> {
    let text = r#"hall = "t"
[[window]]
id = "w1"
source = "rtsp://127.0.0.1:9/cam"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
hours = ["00:00-23:59"]
"#;
    let cfg = crate::config::parse(text, std::path::Path::new("t.toml")).expect("test config");
    Agent::new(&cfg, &BTreeMap::new()).expect("test agent")
}
