//! The inference workers: a bounded pool shares the box's model sessions
//! and takes windows in turn, so that with more windows than CPU every
//! window falls short alike (the shortfall is shown per window). Idle
//! workers sleep on the windows' shared [`Bell`](super::Bell): no polling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::capture_loop::{STOP_POLL, capture_loop};
use super::faces::Faces;
use super::state::{Agent, WindowState};
use super::step::{Estimate, Kit, step_guarded};
use super::{AgentOptions, Output, motion, traces, track};
use crate::base::clock::RealClock;
use crate::capture::CaptureOptions;
use crate::clips::ClipRecorder;
use crate::privacy::RedactOptions;
use crate::sync::lock;
use crate::vision::catalog::Catalog;
use crate::vision::pose::PoseEstimator;
use crate::vision::runtime::Runtime;

/// What one window did in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowSummary {
    pub frames: u64,
    pub analysed: u64,
    /// Analysed frames judged without inference (the motion gate).
    pub gated: u64,
    /// Frames replaced in the slot before a worker took them.
    pub stale: u64,
    pub reconnects: u64,
    /// Inferred frames where only the followed clerk's pose ran.
    pub followed: u64,
    /// Clip frames searched for faces: whole, only their changed parts, or
    /// given the last search's faces.
    pub faces: [u64; 3],
}

/// Runs the agent until `stop` is set or every source has ended; sends what
/// it produces to `out`. Returns each window's [`WindowSummary`].
pub fn run(
    agent: &Agent,
    runtime: &'static Runtime,
    catalog: &Catalog,
    options: &AgentOptions,
    faces: &Faces,
    stop: Arc<AtomicBool>,
    out: std::sync::mpsc::Sender<Output>,
) -> anyhow::Result<BTreeMap<String, WindowSummary>> {
    let workers = options.workers.clamp(1, agent.windows.len());
    // Models are loaded before any thread starts, so a bad model fails fast.
    let copies = options.model_copies.clamp(1, workers);
    let estimators: Vec<PoseEstimator> =
        (0..copies).map(|_| PoseEstimator::load(runtime, catalog, &options.pose)).collect::<Result<_, _>>()?;
    // Without its models the attire rules stay unknown (logged once).
    let judge: Option<crate::attire::Judge> = options.attire.as_ref().and_then(|a| {
        crate::attire::Judge::load(runtime, catalog, a, options.pose.engine)
            .inspect_err(|e| tracing::error!(error = %e, "the attire models did not load: missing_badge and dress_code stay unknown"))
            .ok()
    });
    let ests: Vec<&dyn Estimate> = estimators.iter().map(|e| e as &dyn Estimate).collect();
    let mut models = estimators[0].models().to_vec();
    models.extend(faces.model());
    Ok(run_with(agent, &ests, faces, judge.as_ref(), Arc::new(models), options, stop, out))
}

/// [`run`] with the models loaded: `ests` are shared round-robin by the
/// workers.
#[allow(clippy::too_many_arguments)]
fn run_with(
    agent: &Agent,
    ests: &[&dyn Estimate],
    faces: &Faces,
    judge: Option<&crate::attire::Judge>,
    models: Arc<Vec<crate::vision::pose::ModelId>>,
    options: &AgentOptions,
    stop: Arc<AtomicBool>,
    out: std::sync::mpsc::Sender<Output>,
) -> BTreeMap<String, WindowSummary> {
    let windows = &agent.windows;
    let bell = &agent.bell;
    let _ = agent.target_fps.set(options.fps);
    *lock(&agent.gate_options) = options.motion_gate;
    for w in windows {
        prepare(w, options);
    }
    let workers = options.workers.clamp(1, windows.len());
    let kit = Kit { options, faces, judge, models: &models };
    let kit = &kit;
    std::thread::scope(|scope| {
        for w in windows {
            let (w, stop) = (Arc::clone(w), Arc::clone(&stop));
            let opts = CaptureOptions { fps: options.fps, ..CaptureOptions::default() };
            let loop_files = options.loop_files;
            scope.spawn(move || capture_loop(&w, opts, loop_files, &stop, &RealClock::new()));
        }
        let next = Arc::new(AtomicU64::new(0));
        for k in 0..workers {
            let est = ests[k % ests.len()];
            let (stop, out, next) = (Arc::clone(&stop), out.clone(), Arc::clone(&next));
            scope.spawn(move || {
                let mut seen = bell.count();
                while !stop.load(Ordering::Relaxed) {
                    if windows.iter().all(|w| w.slot.is_closed_and_empty()) {
                        break;
                    }
                    // Windows in turn, so a busy one cannot starve the rest.
                    let start = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let found =
                        (0..windows.len()).map(|k| &windows[(start + k) % windows.len()]).find_map(|w| w.slot.take().map(|f| (w, f)));
                    let Some((w, (frame, turn))) = found else {
                        // Asleep until a window has a frame; the limit only
                        // bounds how late a stop is heard.
                        seen = bell.wait(seen, STOP_POLL * 5);
                        continue;
                    };
                    seen = bell.count();
                    // Sent before the window is given up, so that the store
                    // gets each window's outputs in frame order.
                    for o in step_guarded(w, frame, est, kit) {
                        let _ = out.send(o);
                    }
                    drop(turn);
                }
            });
        }
    });
    // Every thread has ended: close open events and flush the minutes. A
    // window whose state a caught panic left broken must not cost the
    // windows after it their flush.
    windows
        .iter()
        .map(|w| {
            let summary = crate::base::panics::catch(|| finish(w, options, &models, &out)).unwrap_or_else(|panic| {
                tracing::error!(window = %w.window.id, why = crate::sync::panic_message(&*panic), "closing the window's run panicked");
                WindowSummary::default()
            });
            (w.window.id.clone(), summary)
        })
        .collect()
}

/// Gives a window what `options` ask for: traces, the followed clerk, the
/// motion gate, the clip recorder.
pub(super) fn prepare(w: &WindowState, options: &AgentOptions) {
    let mut work = lock(&w.work);
    if let Some((dir, days)) = &options.record_traces {
        work.traces = Some(traces::TraceRecorder::new(dir, &w.window.id, *days));
    }
    work.track = options.track.map(track::ClerkTrack::new);
    work.gate = options.motion_gate.map(|o| motion::MotionGate::new(&w.window.staff_zone, &w.window.counter_zone, o));
    if let Some(settings) = options.clips {
        let mut recorder = ClipRecorder::new(&w.window, settings, RedactOptions::default());
        recorder.set_masks(lock(&w.shown).masks.clone());
        work.clips = Some(recorder);
    }
}

/// Closes a window's open events, flushes its minutes, traces and clips,
/// and keeps its baseline.
fn finish(
    w: &WindowState,
    options: &AgentOptions,
    models: &Arc<Vec<crate::vision::pose::ModelId>>,
    out: &std::sync::mpsc::Sender<Output>,
) -> WindowSummary {
    // Locks in the usual order: rules, then work.
    let (events, minutes, baseline) = {
        let mut rules = lock(&w.rules);
        let (events, minutes) = rules.finish();
        (events, minutes, rules.learner().to_json())
    };
    let mut work = lock(&w.work);
    if let Some(t) = work.traces.as_mut() {
        let _ = t.flush();
    }
    if let Some(m) = &options.mqtt {
        for e in &events {
            m.ended(e);
        }
        let at = events.iter().map(|e| e.end).max().unwrap_or_else(|| chrono::Utc::now().fixed_offset());
        m.state(&w.window.id, &at, &[]);
    }
    let _ = out.send(Output::Baseline(w.window.id.clone(), baseline));
    let _ = out.send(Output::Events(events));
    let _ = out.send(Output::Minutes(minutes));
    if let Some(rec) = work.clips.as_mut() {
        for clip in rec.finish() {
            let _ = out.send(Output::Clip(Box::new(clip), Arc::clone(models)));
        }
    }
    let s = &w.stats;
    WindowSummary {
        frames: s.frames_in.load(Ordering::Relaxed),
        analysed: s.frames_analysed.load(Ordering::Relaxed),
        gated: s.frames_gated.load(Ordering::Relaxed),
        stale: w.slot.stale(),
        reconnects: s.reconnects.load(Ordering::Relaxed),
        followed: s.frames_followed.load(Ordering::Relaxed),
        faces: [&s.face_searches_whole, &s.face_searches_part, &s.face_reuses].map(|c| c.load(Ordering::Relaxed)),
    }
}
