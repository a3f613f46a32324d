//! The edge agent: every window's source through pose and rules into the
//! store, unattended.
//!
//! One capture thread per window keeps only the latest frame in a [`Slot`];
//! a bounded pool of inference workers (each with its own ONNX Runtime
//! sessions) takes frames from whichever window has one; each window's rules
//! run under its own lock; events and minute metrics go to the store. A
//! source that fails is reopened with backoff without touching the others.

pub mod http;
pub mod login;
pub mod memory;
pub mod motion;
pub mod persist;
pub mod region;
mod slot;
pub mod status;
pub mod traces;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::base::clock::{Backoff, Clock, RealClock};
use crate::capture::{self, CaptureOptions};
use crate::clips::{ClipRecorder, FinishedClip};
use crate::config::{ClipSettings, Config, Window};
use crate::privacy::{FaceEvidence, RedactOptions};
use crate::rules::{Event, MinuteMetrics, Observation, WindowRules};
use crate::sync::lock;
use crate::vision::catalog::Catalog;
use crate::vision::pose::{ModelId, PoseEstimator, PoseSpec};
use crate::vision::retinaface::FaceDetector;
use crate::vision::runtime::Runtime;

/// Faces from this score are filled in clips: lower than a detector's usual
/// 0.5, because a false face costs a grey patch and a missed one a person's
/// privacy.
pub const REDACT_FACE_SCORE: f32 = 0.3;

pub use slot::{Bell, Slot};

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
/// How often a waiting capture thread looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);

/// Upper bounds (seconds) of the inference latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 8] = [0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, f64::INFINITY];

/// Per-window counters, readable while the agent runs.
#[derive(Debug, Default)]
pub struct WindowStats {
    pub frames_in: AtomicU64,
    pub frames_analysed: AtomicU64,
    /// Frames whose zones had not changed, judged without inference.
    pub frames_gated: AtomicU64,
    /// Analysed frames no clip could need (every rule idle): no face
    /// search, no redaction.
    pub clip_frames_skipped: AtomicU64,
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
    fn observe_latency(&self, secs: f64) {
        self.inference_us.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        let i = LATENCY_BUCKETS.iter().position(|b| secs <= *b).unwrap_or(LATENCY_BUCKETS.len() - 1);
        self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// One window as the agent holds it.
pub struct WindowState {
    pub window: Window,
    slot: Slot,
    pub rules: Mutex<WindowRules>,
    /// When the baseline was last handed to the store.
    baseline_saved: Mutex<Instant>,
    pub stats: WindowStats,
    gate: Mutex<Option<motion::MotionGate>>,
    clips: Mutex<Option<ClipRecorder>>,
    face_gate: Mutex<motion::FaceGate>,
    /// The last attire verdict and when it was made.
    attire: Mutex<Option<(chrono::DateTime<chrono::FixedOffset>, crate::attire::Attire)>>,
    /// When the live preview was last asked for (the editor is open).
    pub preview_wanted: Mutex<Option<Instant>>,
    /// The latest redacted preview (PNG) and when it was made.
    pub preview: Mutex<Option<(Instant, Vec<u8>)>>,
    /// What the rules saw in the last analysed frame (numbers only).
    pub last_observation: Mutex<Option<Observation>>,
    traces: Mutex<Option<traces::TraceRecorder>>,
    /// The privacy masks in force (the config's, until the editor changes
    /// them).
    pub masks: Mutex<Vec<crate::geometry::Polygon>>,
}

impl WindowState {
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
    gate_options: Mutex<Option<motion::GateOptions>>,
    /// Whether the store takes the rows the windows make.
    pub store: persist::StoreHealth,
    /// The MQTT publisher, when `[mqtt]` is set (for its counters).
    pub mqtt: std::sync::OnceLock<Arc<crate::mqtt::Publisher>>,
    /// Rung by every window's slot: idle workers wait on it.
    bell: Arc<Bell>,
    /// The analysis rate each window is meant to get (`--fps`), once the
    /// agent runs.
    pub target_fps: std::sync::OnceLock<f64>,
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
            .map(|w| {
                Arc::new(WindowState {
                    window: w.clone(),
                    slot: Slot::with_bell(Arc::clone(&bell)),
                    rules: Mutex::new(rules_with_baseline(w, kept.get(&w.id))),
                    baseline_saved: Mutex::new(Instant::now()),
                    stats: WindowStats::default(),
                    gate: Mutex::new(None),
                    clips: Mutex::new(None),
                    face_gate: Mutex::new(motion::FaceGate::new()),
                    attire: Mutex::new(None),
                    preview_wanted: Mutex::new(None),
                    preview: Mutex::new(None),
                    last_observation: Mutex::new(None),
                    traces: Mutex::new(None),
                    masks: Mutex::new(w.masks.clone()),
                })
            })
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
        }))
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

/// How often each window's baseline is handed to the store.
const BASELINE_SAVE_EVERY: Duration = Duration::from_secs(300);

/// The face model for clips, or why there is none (then every clip frame is
/// filled whole: fail closed).
fn load_faces(runtime: &Runtime, catalog: &Catalog, pose: &PoseSpec) -> Result<FaceDetector, String> {
    let mut faces = FaceDetector::load(runtime, catalog, pose.engine).map_err(|e| e.to_string())?;
    faces.thresholds.score = REDACT_FACE_SCORE;
    Ok(faces)
}

/// One analysed frame, on its way to the window's clip recorder.
struct Shot {
    frame: capture::Frame,
    people: Vec<crate::vision::Person>,
    obs: Observation,
    /// Violations that began with this frame.
    began: Vec<(crate::rules::RuleCode, chrono::DateTime<chrono::FixedOffset>)>,
    thumb: Option<motion::Thumb>,
    /// Every rule idle, and the pre-roll no longer than the quickest rule's
    /// onset: no clip can need this frame.
    rules_idle: bool,
}

/// Passes a frame to the window's clip recorder (if clips are on): faces
/// first (searched, or reused while the whole frame is unchanged), then the
/// triggers, then the frame. Returns the clips it completed.
fn record_clip_frame(w: &WindowState, shot: Shot, faces: Option<&Result<Mutex<FaceDetector>, String>>) -> Vec<FinishedClip> {
    let mut clips = lock(&w.clips);
    let Some(rec) = clips.as_mut() else { return Vec::new() };
    let Shot { frame, people, obs, began, thumb, rules_idle } = shot;
    // A frame can end up in a clip only while a rule is pending (every
    // rule is pending at least `shortest_onset_s` before it becomes a
    // violation, which is checked to be no shorter than the pre-roll) or a
    // clip is under way: other frames need no face search and no redaction.
    if rules_idle && began.is_empty() && !rec.is_recording() {
        w.stats.clip_frames_skipped.fetch_add(1, Ordering::Relaxed);
        return Vec::new();
    }
    // If the face model cannot run, the frame is filled whole.
    let evidence = match faces {
        Some(Ok(f)) => {
            let mut gate = lock(&w.face_gate);
            match thumb.as_ref().and_then(|t| gate.reuse(t, frame.ts)) {
                Some(found) => FaceEvidence::Detected(found),
                None => match lock(f).detect(&frame.image) {
                    Ok(found) => {
                        if let Some(t) = thumb {
                            gate.searched(t, frame.ts, &found);
                        }
                        FaceEvidence::Detected(found)
                    }
                    Err(e) => {
                        tracing::warn!(window = %w.window.id, error = %e, "face detector failed; the frame is filled whole");
                        FaceEvidence::Unavailable(e.to_string())
                    }
                },
            }
        }
        Some(Err(e)) => FaceEvidence::Unavailable(e.clone()),
        None => FaceEvidence::Unavailable("no face model".into()),
    };
    for (rule, start) in began {
        rec.trigger(rule, start, frame.ts, values_of(&obs));
    }
    rec.push(frame.image, &people, &evidence, obs.clerk, frame.ts)
}

/// While the editor is open (preview asked for in the last minute), a
/// redacted, skeleton-drawn preview of the window every 2 s.
fn preview_frame(
    w: &WindowState,
    frame: &capture::Frame,
    people: &[crate::vision::Person],
    faces: Option<&Result<Mutex<FaceDetector>, String>>,
) {
    let wanted = lock(&w.preview_wanted).is_some_and(|t| t.elapsed() < Duration::from_secs(60));
    if !wanted || lock(&w.preview).as_ref().is_some_and(|(t, _)| t.elapsed() < Duration::from_secs(2)) {
        return;
    }
    let evidence = match faces {
        Some(Ok(f)) => {
            let mut f = lock(f);
            let long = f.long_side;
            f.long_side = frame.image.width().max(frame.image.height()).max(960);
            let found = f.detect(&frame.image);
            f.long_side = long;
            match found {
                Ok(found) => FaceEvidence::Detected(found),
                Err(e) => FaceEvidence::Unavailable(e.to_string()),
            }
        }
        Some(Err(e)) => FaceEvidence::Unavailable(e.clone()),
        None => FaceEvidence::Unavailable("no face model".into()),
    };
    let masks = lock(&w.masks).clone();
    let mut r = crate::privacy::TemporalRedactor::new(0, RedactOptions::default(), masks);
    let Some((mut shot, ())) = r.push(frame.image.clone(), people, &evidence, ()) else { return };
    shot.draw_people(people, w.window.thresholds.min_keypoint_conf);
    match shot.downscaled(960).png_bytes() {
        Ok(png) => *lock(&w.preview) = Some((Instant::now(), png)),
        Err(e) => tracing::warn!(window = %w.window.id, error = %e, "preview not encoded"),
    }
}

impl Agent {
    /// Applies an edited layout to a running window: its rules keep their
    /// state; its motion gate starts afresh with the new zones.
    pub fn apply_layout(&self, id: &str, layout: crate::config::CheckedLayout) -> bool {
        let Some(w) = self.windows.iter().find(|w| w.window.id == id) else { return false };
        let crate::config::CheckedLayout { staff, counter, desk_y, masks } = layout;
        if let Some(o) = *lock(&self.gate_options) {
            *lock(&w.gate) = Some(motion::MotionGate::new(&staff, &counter, o));
        }
        lock(&w.rules).set_layout(staff, counter, desk_y);
        if let Some(masks) = masks {
            // Previews and clips made from now on fill the new masks.
            if let Some(c) = lock(&w.clips).as_mut() {
                c.set_masks(masks.clone());
            }
            *lock(&w.masks) = masks;
        }
        tracing::info!(window = id, "layout applied from the editor");
        true
    }
}

/// The clerk's attire: judged every `every_s`, and the last verdict held
/// for up to three periods in between (then unknown).
fn attire_of(
    w: &WindowState,
    judge: &crate::attire::Judge,
    frame: &capture::Frame,
    people: &[crate::vision::Person],
    clerk: Option<usize>,
    desk_y: Option<f32>,
) -> crate::attire::Attire {
    let mut last = lock(&w.attire);
    let age = |t: chrono::DateTime<chrono::FixedOffset>| (frame.ts - t).num_milliseconds() as f64 / 1000.0;
    let due = last.as_ref().is_none_or(|(t, _)| age(*t) >= judge.every_s());
    if due {
        if let Some(p) = clerk.and_then(|i| people.get(i)) {
            let desk = desk_y.map(|y| y * frame.image.height() as f32);
            match judge.judge(&frame.image, p, desk) {
                Ok(a) => *last = Some((frame.ts, a)),
                Err(e) => tracing::warn!(window = %w.window.id, error = %e, "attire check failed"),
            }
        }
    }
    match last.as_ref() {
        Some((t, a)) if age(*t) <= 3.0 * judge.every_s() && clerk.is_some() => *a,
        _ => crate::attire::Attire::default(),
    }
}

/// The measurements a clip's sidecar keeps from the trigger frame.
fn values_of(obs: &Observation) -> std::collections::BTreeMap<String, f64> {
    [
        ("trunk_deg", obs.trunk_deg),
        ("neck_deg", obs.neck_deg),
        ("sink", obs.sink),
        ("shoulder_drop", obs.measures.map(|m| m.drop)),
        ("head_on_desk_p", obs.head_on_desk_p),
        ("confidence", Some(obs.confidence)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), f64::from(v?))))
    .collect()
}

/// Runs the agent until `stop` is set or every source has ended; sends what
/// it produces to `out`. Returns per-window (frames in, frames analysed,
/// of which judged by the motion gate, stale drops, reconnects).
pub fn run(
    agent: &Agent,
    runtime: &'static Runtime,
    catalog: &Catalog,
    options: &AgentOptions,
    stop: Arc<AtomicBool>,
    out: std::sync::mpsc::Sender<Output>,
) -> anyhow::Result<BTreeMap<String, (u64, u64, u64, u64, u64)>> {
    let windows = &agent.windows;
    let bell = &agent.bell;
    let _ = agent.target_fps.set(options.fps);
    *lock(&agent.gate_options) = options.motion_gate;
    if let Some((dir, days)) = &options.record_traces {
        for w in windows {
            *lock(&w.traces) = Some(traces::TraceRecorder::new(dir, &w.window.id, *days));
        }
    }
    for w in windows {
        *lock(&w.gate) = options.motion_gate.map(|o| motion::MotionGate::new(&w.window.staff_zone, &w.window.counter_zone, o));
    }
    if let Some(settings) = options.clips {
        for w in windows {
            let mut recorder = ClipRecorder::new(&w.window, settings, RedactOptions::default());
            recorder.set_masks(lock(&w.masks).clone());
            *lock(&w.clips) = Some(recorder);
        }
    }
    let workers = options.workers.clamp(1, windows.len());
    // Models are loaded before any thread starts, so a bad model fails fast.
    let copies = options.model_copies.clamp(1, workers);
    let estimators: Vec<PoseEstimator> =
        (0..copies).map(|_| PoseEstimator::load(runtime, catalog, &options.pose)).collect::<Result<_, _>>()?;
    // The face model serves clips and the editor's live preview; without it
    // both fill whole frames (fail closed).
    let faces: Option<Result<Mutex<FaceDetector>, String>> =
        Some(load_faces(runtime, catalog, &options.pose).map(Mutex::new).inspect_err(|e| {
            tracing::error!(error = %e, "the face model did not load: every clip and preview frame will be filled whole");
        }));
    let mut models = estimators[0].models().to_vec();
    if let Some(Ok(f)) = &faces {
        let f = lock(f);
        models.push(ModelId { name: f.engine().name().to_string(), sha256: f.engine().sha256.clone() });
    }
    let models = Arc::new(models);
    let faces = &faces;
    // Without its models the attire rules stay unknown (logged once).
    let judge: Option<crate::attire::Judge> = options.attire.as_ref().and_then(|a| {
        crate::attire::Judge::load(runtime, catalog, a, options.pose.engine)
            .inspect_err(|e| tracing::error!(error = %e, "the attire models did not load: missing_badge and dress_code stay unknown"))
            .ok()
    });
    let judge = &judge;

    std::thread::scope(|scope| {
        for w in windows {
            let (w, stop) = (Arc::clone(w), Arc::clone(&stop));
            let opts = CaptureOptions { fps: options.fps, ..CaptureOptions::default() };
            let loop_files = options.loop_files;
            scope.spawn(move || capture_loop(&w, opts, loop_files, &stop, &RealClock::new()));
        }
        let next = Arc::new(AtomicU64::new(0));
        for k in 0..workers {
            let est = &estimators[k % copies];
            let (stop, out, next, models) = (Arc::clone(&stop), out.clone(), Arc::clone(&next), Arc::clone(&models));
            scope.spawn(move || {
                let mut seen = bell.count();
                while !stop.load(Ordering::Relaxed) {
                    if windows.iter().all(|w| w.slot.is_closed_and_empty()) {
                        break;
                    }
                    // Round-robin over windows so a busy one cannot starve the rest.
                    let start = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let found =
                        (0..windows.len()).map(|k| &windows[(start + k) % windows.len()]).find_map(|w| w.slot.take().map(|f| (w, f)));
                    let Some((w, frame)) = found else {
                        // Asleep until a window has a frame; the limit only
                        // bounds how late a stop is heard.
                        seen = bell.wait(seen, STOP_POLL * 5);
                        continue;
                    };
                    seen = bell.count();
                    let thumb = (options.motion_gate.is_some() || options.clips.is_some()).then(|| motion::Thumb::of(&frame.image));
                    let reused = thumb.as_ref().and_then(|t| lock(&w.gate).as_ref()?.reuse(t, frame.ts));
                    let t0 = Instant::now();
                    let result = match reused {
                        Some(people) => {
                            w.stats.frames_gated.fetch_add(1, Ordering::Relaxed);
                            Ok(people)
                        }
                        None => {
                            let (fw, fh) = (frame.image.width(), frame.image.height());
                            let region = if options.zone_crop { region::analysis_region(lock(&w.rules).window(), fw, fh) } else { None };
                            est.estimate_in(&frame.image, region)
                        }
                        .inspect(|people| {
                            w.stats.observe_latency(t0.elapsed().as_secs_f64());
                            if let (Some(t), Some(gate)) = (&thumb, lock(&w.gate).as_mut()) {
                                gate.analysed(t.clone(), frame.ts, people);
                            }
                        }),
                    };
                    match result {
                        Ok(people) => {
                            w.stats.frames_analysed.fetch_add(1, Ordering::Relaxed);
                            let mut rules = lock(&w.rules);
                            let before = rules.active();
                            let mut obs = rules.observe(&people, frame.image.width(), frame.image.height());
                            if let Some(j) = judge {
                                let a = attire_of(w, j, &frame, &people, obs.clerk, rules.window().desk_y);
                                (obs.badge, obs.uniform) = (a.badge, a.uniform);
                            }
                            let events = rules.push_observation(frame.ts, &obs);
                            *lock(&w.last_observation) = Some(obs.clone());
                            if let Some(t) = lock(&w.traces).as_mut() {
                                let line = traces::line(
                                    frame.ts,
                                    &w.window.id,
                                    frame.image.width(),
                                    frame.image.height(),
                                    &models[0].name,
                                    &people,
                                    obs.badge,
                                    obs.uniform,
                                );
                                if let Err(e) = t.record(line) {
                                    tracing::warn!(window = %w.window.id, error = %e, "trace not recorded");
                                }
                            }
                            let began: Vec<_> = rules.active().into_iter().filter(|a| !before.contains(a)).collect();
                            let rules_idle = rules.all_idle()
                                && options.clips.is_some_and(|c| c.pre_roll_s <= rules.window().thresholds.shortest_onset_s());
                            if let Some(m) = &options.mqtt {
                                for (rule, start) in &began {
                                    m.started(&w.window.id, *rule, start);
                                }
                                for e in &events {
                                    m.ended(e);
                                }
                                if !began.is_empty() || !events.is_empty() || !m.has_state(&w.window.id) {
                                    m.state(&w.window.id, &frame.ts, &rules.active());
                                }
                            }
                            let minutes = rules.take_closed_minutes(frame.ts);
                            let baseline = {
                                let mut saved = lock(&w.baseline_saved);
                                (saved.elapsed() >= BASELINE_SAVE_EVERY).then(|| {
                                    *saved = Instant::now();
                                    rules.learner().to_json()
                                })
                            };
                            drop(rules);
                            if let Some(json) = baseline {
                                let _ = out.send(Output::Baseline(w.window.id.clone(), json));
                            }
                            if !began.is_empty() {
                                // In the hall's offset, as the closed event's start will be, so
                                // that both are one row (the edge store keys on the text).
                                let schedule = &w.window.schedule;
                                let opened = began.iter().map(|(r, t)| (*r, schedule.localize(*t))).collect();
                                let _ = out.send(Output::Opened(w.window.id.clone(), opened));
                            }
                            if !events.is_empty() {
                                let _ = out.send(Output::Events(events));
                            }
                            if !minutes.is_empty() {
                                let _ = out.send(Output::Minutes(minutes));
                            }
                            preview_frame(w, &frame, &people, faces.as_ref());
                            let shot = Shot { frame, people, obs, began, thumb, rules_idle };
                            for clip in record_clip_frame(w, shot, faces.as_ref()) {
                                let _ = out.send(Output::Clip(Box::new(clip), Arc::clone(&models)));
                            }
                        }
                        Err(e) => {
                            w.stats.errors.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(window = %w.window.id, error = %e, "inference failed");
                        }
                    }
                }
            });
        }
    });
    // Every thread has ended: close open events and flush the minutes.
    let mut summary = BTreeMap::new();
    for w in windows {
        if let Some(t) = lock(&w.traces).as_mut() {
            let _ = t.flush();
        }
        let (events, minutes) = lock(&w.rules).finish();
        if let Some(m) = &options.mqtt {
            for e in &events {
                m.ended(e);
            }
            let at = events.iter().map(|e| e.end).max().unwrap_or_else(|| chrono::Utc::now().fixed_offset());
            m.state(&w.window.id, &at, &[]);
        }
        let _ = out.send(Output::Baseline(w.window.id.clone(), lock(&w.rules).learner().to_json()));
        let _ = out.send(Output::Events(events));
        let _ = out.send(Output::Minutes(minutes));
        if let Some(rec) = lock(&w.clips).as_mut() {
            for clip in rec.finish() {
                let _ = out.send(Output::Clip(Box::new(clip), Arc::clone(&models)));
            }
        }
        let s = &w.stats;
        summary.insert(
            w.window.id.clone(),
            (
                s.frames_in.load(Ordering::Relaxed),
                s.frames_analysed.load(Ordering::Relaxed),
                s.frames_gated.load(Ordering::Relaxed),
                w.slot.stale(),
                s.reconnects.load(Ordering::Relaxed),
            ),
        );
    }
    Ok(summary)
}

/// Reads one window's source into its slot, reopening it with backoff
/// (0.5 s doubling to [`MAX_BACKOFF`]) when it fails. Waits (the backoff,
/// and a recording's pace) go through `clock`, so tests drive them.
fn capture_loop(w: &WindowState, opts: CaptureOptions, loop_files: bool, stop: &AtomicBool, clock: &dyn Clock) {
    let spec = w.window.source.clone().expect("windows without a source are skipped");
    let is_file = matches!(spec, crate::config::SourceSpec::File { .. } | crate::config::SourceSpec::Images { .. });
    let mut backoff = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF);
    let mut opened_once = false;
    while !stop.load(Ordering::Relaxed) {
        match capture::open(&spec, opts) {
            Ok(mut src) => {
                w.stats.source_up.store(true, Ordering::Relaxed);
                // A looping file starting over is not a reconnection.
                if opened_once && !is_file {
                    w.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                opened_once = true;
                backoff.reset();
                // Recordings play at the analysis rate, as a camera would:
                // each frame is due one period after the last one.
                let mut due = clock.elapsed();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match src.next_frame() {
                        Ok(Some(frame)) => {
                            w.stats.frames_in.fetch_add(1, Ordering::Relaxed);
                            *lock(&w.stats.last_frame) = Some(Instant::now());
                            w.slot.put(frame);
                            if is_file {
                                due += Duration::from_secs_f64(1.0 / opts.fps);
                                let now = clock.elapsed();
                                if due > now {
                                    clock.sleep_blocking(due - now);
                                } else {
                                    due = now;
                                }
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            w.stats.errors.fetch_add(1, Ordering::Relaxed);
                            *lock(&w.stats.last_error) = Some(e.to_string());
                            tracing::warn!(window = %w.window.id, error = %e, "source failed; reopening");
                            break;
                        }
                    }
                }
                w.stats.source_up.store(false, Ordering::Relaxed);
                if is_file && !loop_files {
                    break;
                }
            }
            Err(e) => {
                w.stats.errors.fetch_add(1, Ordering::Relaxed);
                *lock(&w.stats.last_error) = Some(e.to_string());
                tracing::warn!(window = %w.window.id, error = %e, retry_in = ?backoff.peek(), "cannot open source");
                if is_file && !loop_files {
                    break;
                }
            }
        }
        // Wait before the next attempt, in short steps so a stop is heard.
        let wait = backoff.next_wait();
        let until = clock.elapsed() + wait;
        while !stop.load(Ordering::Relaxed) {
            let now = clock.elapsed();
            if now >= until {
                break;
            }
            clock.sleep_blocking((until - now).min(STOP_POLL));
        }
    }
    w.slot.close();
}

#[cfg(test)]
mod capture_tests {
    use super::*;
    use crate::base::clock::{Clock, SimulatedClock, Sleep};

    /// A simulated clock that raises `stop` once `limit` of time has been
    /// slept through: the capture loop runs its schedule in microseconds.
    struct StopAfter {
        clock: SimulatedClock,
        stop: Arc<AtomicBool>,
        limit: Duration,
    }

    impl Clock for StopAfter {
        fn now_ms(&self) -> i64 {
            self.clock.now_ms()
        }
        fn elapsed(&self) -> Duration {
            self.clock.elapsed()
        }
        fn sleep(&self, d: Duration) -> Sleep {
            self.clock.sleep(d)
        }
        fn sleep_blocking(&self, d: Duration) {
            self.clock.sleep_blocking(d);
            if self.clock.elapsed() >= self.limit {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
    }

    fn dead_camera_agent() -> Arc<Agent> {
        let text = r#"hall = "t"
[[window]]
id = "w1"
source = "rtsp://127.0.0.1:9/cam"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
hours = ["00:00-23:59"]
"#;
        let cfg = crate::config::parse(text, std::path::Path::new("t.toml")).expect("test config");
        Agent::new(&cfg, &BTreeMap::new()).unwrap()
    }

    #[test]
    fn a_dead_camera_is_retried_on_a_doubling_backoff_capped_at_two_seconds() {
        let agent = dead_camera_agent();
        let stop = Arc::new(AtomicBool::new(false));
        // Attempts at 0, 0.5, 1.5, 3.5, 5.5, 7.5 and 9.5 s (waits 0.5, 1, 2, 2…).
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_millis(9_600) };
        capture_loop(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock);
        let s = &agent.windows[0].stats;
        assert_eq!(s.errors.load(Ordering::Relaxed), 7);
        assert_eq!(s.reconnects.load(Ordering::Relaxed), 0, "never opened, so never reopened");
        assert!(!s.source_up.load(Ordering::Relaxed));
        assert!(lock(&s.last_error).as_deref().is_some_and(|e| e.contains("127.0.0.1:9")));
    }

    #[test]
    fn a_stop_ends_the_wait_at_once() {
        let agent = dead_camera_agent();
        let stop = Arc::new(AtomicBool::new(false));
        // Stopped 0.1 s into the first 0.5 s wait: the loop polls the flag.
        let clock = StopAfter { clock: SimulatedClock::new(0), stop: Arc::clone(&stop), limit: Duration::from_millis(100) };
        capture_loop(&agent.windows[0], CaptureOptions::default(), false, &stop, &clock);
        assert_eq!(agent.windows[0].stats.errors.load(Ordering::Relaxed), 1);
        assert!(clock.elapsed() <= Duration::from_millis(100), "{:?}", clock.elapsed());
    }
}
