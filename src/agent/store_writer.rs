//! The store writer: one thread, blocking on the box's async runtime, takes the
//! agent's outputs in order and writes them. Clip files are written at
//! once; rows the store refuses wait in a [`RetryQueue`] and are retried
//! with backoff, and [`StoreHealth`] says so to `/status`, `/metrics` and
//! the heartbeat. Past the bound the writer stops the agent and the run
//! ends with an error that says what was not saved.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use crate::agent::faces::Faces;
use crate::agent::persist::{Attempt, Flush, MAX_WAITING, RetryQueue, StoreHealth};
use crate::agent::{self, Output};
use crate::base::clock::Clock;
use crate::clips::{retention, writer};
use crate::rules::{Event, MinuteMetrics, RuleCode};
use crate::store::{ClipRow, Store, StoreError};

/// The longest the writer keeps retrying at shutdown (within the give-up
/// bound), so that a stop is not held up for long by a dead disk.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// Where and how the store thread writes clips.
pub struct ClipSink {
    pub root: PathBuf,
    pub windows: Vec<crate::config::Window>,
    pub fps: f64,
    pub settings: crate::config::ClipSettings,
    /// The box's face model: every stored frame gets a last look.
    pub faces: Arc<Faces>,
}

impl ClipSink {
    pub fn write(
        &self,
        clip: &crate::clips::FinishedClip,
        models: &[crate::vision::pose::ModelId],
    ) -> anyhow::Result<(ClipRow, writer::LastLook)> {
        let window = self.windows.iter().find(|w| w.id == clip.window).ok_or_else(|| anyhow::anyhow!("unknown window {}", clip.window))?;
        let settings = self.settings;
        let ctx = writer::WriteContext {
            root: &self.root,
            window,
            fps: self.fps,
            models,
            redaction: writer::Redaction {
                mode: if settings.skeleton_only { "skeleton_only" } else { "faces_and_heads" },
                dilate_frames: settings.dilate_frames,
                face_threshold: agent::REDACT_FACE_SCORE,
            },
            check: &|img| self.faces.for_check(img),
        };
        Ok(writer::write(clip, &ctx)?)
    }
}

/// One write for the store.
enum Write {
    Opened(String, Vec<(RuleCode, DateTime<FixedOffset>)>),
    Events(Vec<Event>),
    /// Window, learner JSON, when it was handed over (unix s).
    Baseline(String, String, i64),
    Minutes(Vec<MinuteMetrics>),
    Clip(ClipRow),
}

impl Write {
    /// Rows this write stores (what `unsaved` counts).
    fn rows(&self) -> u64 {
        match self {
            Write::Opened(_, v) => v.len() as u64,
            Write::Events(v) => v.len() as u64,
            Write::Minutes(v) => v.len() as u64,
            Write::Baseline(..) | Write::Clip(_) => 1,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Write::Opened(..) => "opened events",
            Write::Events(_) => "events",
            Write::Baseline(..) => "a baseline",
            Write::Minutes(_) => "minutes",
            Write::Clip(_) => "a clip row",
        }
    }
}

/// What the writer did.
pub struct WriterDone {
    pub events: u64,
    pub minutes: usize,
    pub clips: Vec<String>,
    /// Why the store could not take everything, and what was lost: the run
    /// must end with an error.
    pub failure: Option<String>,
}

/// Everything the writer thread holds.
pub struct StoreWriter {
    /// The box's runtime: the writer blocks on it from its own thread.
    pub rt: tokio::runtime::Handle,
    pub store: Store,
    pub clip_sink: Option<ClipSink>,
    pub agent: Arc<agent::Agent>,
    pub clock: Arc<dyn Clock>,
    pub give_up_after: Duration,
    /// Set when the writer gives up, so the agent stops.
    pub stop: Arc<AtomicBool>,
}

impl StoreWriter {
    /// Writes everything `rx` brings until the agent hangs up, then closes
    /// the store (unless the uplink shares it).
    pub fn run(self, rx: Receiver<Output>) -> WriterDone {
        let mut queue: RetryQueue<Write> = RetryQueue::new(self.give_up_after, MAX_WAITING);
        let mut done = WriterDone { events: 0, minutes: 0, clips: Vec::new(), failure: None };
        let mut wait = Duration::ZERO;
        loop {
            let msg = if queue.is_empty() { rx.recv().map_err(|_| RecvTimeoutError::Disconnected) } else { rx.recv_timeout(wait) };
            match msg {
                Ok(output) => {
                    if let Some(w) = self.prepare(output, &mut done) {
                        self.agent.store.unsaved.fetch_add(w.rows(), Ordering::Relaxed);
                        queue.push(w);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            match self.flush(&mut queue, &mut done, false) {
                Flush::Clear => {}
                Flush::Waiting(w) => wait = w,
                Flush::GiveUp(why) => {
                    if done.failure.is_none() {
                        tracing::error!(store = %self.store.path().display(), reason = %why, "giving up on the store: stopping the agent");
                        self.stop.store(true, Ordering::Relaxed);
                        done.failure = Some(why);
                    }
                    wait = crate::agent::persist::MAX_RETRY;
                }
            }
        }
        // The agent has stopped and handed over its last rows: keep trying
        // for a while, then say what could not be saved.
        let deadline = self.clock.elapsed() + SHUTDOWN_GRACE.min(self.give_up_after);
        let mut force = true;
        while !queue.is_empty() {
            match self.flush(&mut queue, &mut done, force) {
                Flush::Clear => break,
                Flush::Waiting(w) if done.failure.is_none() && self.clock.elapsed() + w <= deadline => std::thread::sleep(w),
                Flush::Waiting(_) | Flush::GiveUp(_) => break,
            }
            force = false;
        }
        if !queue.is_empty() {
            let rows: u64 = queue.iter().map(Write::rows).sum();
            let why = done.failure.take().or_else(|| queue.last_error().map(str::to_string)).unwrap_or_default();
            done.failure = Some(format!(
                "{rows} row(s) could not be written to the store {}: {why}. Fix: free disk space, or move the damaged file aside \
                 (`liyi doctor --store {}` checks it), then start again",
                self.store.path().display(),
                self.store.path().display()
            ));
        }
        // With a hub, the uplink shares the pool and closes it after its
        // last drain.
        if !self.store.has_outbox() {
            self.rt.block_on(self.store.close());
        }
        done
    }

    /// Turns an output into a store write; a clip's files are written here.
    fn prepare(&self, output: Output, done: &mut WriterDone) -> Option<Write> {
        Some(match output {
            Output::Opened(window, began) => Write::Opened(window, began),
            Output::Events(e) => Write::Events(e),
            Output::Baseline(window, json) => Write::Baseline(window, json, self.clock.now_unix() as i64),
            Output::Minutes(m) => Write::Minutes(m),
            Output::Clip(clip, models) => {
                let sink = self.clip_sink.as_ref()?;
                match sink.write(&clip, &models) {
                    Ok((row, look)) => {
                        if let Some(w) = self.agent.windows.iter().find(|w| w.window.id == row.window) {
                            w.stats.clip_frames_refilled.fetch_add(look.filled, Ordering::Relaxed);
                            w.stats.clip_frames_refilled_whole.fetch_add(look.whole, Ordering::Relaxed);
                        }
                        tracing::info!(window = %row.window, rule = %row.rule, video = %row.video, "clip written");
                        done.clips.push(row.video.clone());
                        Write::Clip(row)
                    }
                    Err(e) => {
                        self.agent.store.clips_lost.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(window = %clip.window, rule = %clip.rule, error = %e, "clip not written");
                        return None;
                    }
                }
            }
        })
    }

    /// One pass over the queue, and what health shows after it.
    fn flush(&self, queue: &mut RetryQueue<Write>, done: &mut WriterDone, force: bool) -> Flush {
        let health: &StoreHealth = &self.agent.store;
        let verdict = queue.flush(
            self.clock.elapsed(),
            force,
            |w| match self.write(w, done) {
                Ok(()) => {
                    health.unsaved.fetch_sub(w.rows(), Ordering::Relaxed);
                    Attempt::Written
                }
                Err(e) if e.is_storage_failure() => {
                    health.write_failures.fetch_add(1, Ordering::Relaxed);
                    Attempt::StoreFailed(e.to_string())
                }
                Err(e) => Attempt::Rejected(e.to_string()),
            },
            |w, why| {
                health.unsaved.fetch_sub(w.rows(), Ordering::Relaxed);
                health.rows_rejected.fetch_add(w.rows(), Ordering::Relaxed);
                tracing::error!(what = w.what(), error = %why, "rows refused by the store and dropped");
            },
        );
        match (&verdict, queue.last_error()) {
            (Flush::Clear, _) => {
                if health.is_failing() {
                    tracing::info!("the store takes rows again");
                }
                health.set_ok();
            }
            (_, Some(e)) => {
                if !health.is_failing() {
                    tracing::error!(store = %self.store.path().display(), error = %e, unsaved = queue.len(), "store write failed: rows wait in memory and are retried");
                }
                health.set_failing(self.clock.now_ms(), e);
            }
            (_, None) => {}
        }
        verdict
    }

    fn write(&self, w: &Write, done: &mut WriterDone) -> Result<(), StoreError> {
        let store = &self.store;
        match w {
            Write::Opened(window, began) => self.rt.block_on(store.open_events(window, began)).map(|_| ()),
            Write::Events(e) => self.rt.block_on(store.insert_events(e)).map(|n| done.events += n),
            Write::Baseline(window, json, at) => self.rt.block_on(store.save_baseline(window, json, *at)),
            Write::Minutes(m) => self.rt.block_on(store.upsert_minutes(m)).map(|_| done.minutes += m.len()),
            Write::Clip(row) => {
                self.rt.block_on(store.insert_clip(row))?;
                if let Some(sink) = &self.clip_sink
                    && let Err(e) = self.rt.block_on(retention::enforce(store, &sink.root, &sink.settings, self.clock.now_unix()))
                {
                    tracing::warn!(error = %e, "clip retention not applied; tried again after the next clip");
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::clips::{ClipFrame, FinishedClip};
    use crate::privacy::{FaceEvidence, RedactOptions};

    /// The writer stores a clip and counts its last look for the clip's
    /// window (what `/status` and `/metrics` show): here the face model
    /// is missing, so every frame is filled whole.
    #[test]
    fn a_clips_last_look_is_counted_for_its_window() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let store = rt.block_on(Store::open(&dir.path().join("edge.sqlite"))).unwrap();
        let agent = crate::agent::state::one_window_agent();
        let scene = image::RgbImage::from_pixel(64, 36, image::Rgb([90, 120, 150]));
        let seen = crate::privacy::redact(&scene, &[], &FaceEvidence::Detected(Vec::new()), &RedactOptions::default());
        let t0 = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let frames = (0..3)
            .map(|i| {
                let ts = t0 + chrono::Duration::milliseconds(500 * i);
                Arc::new(ClipFrame { ts, frame: seen.pack().unwrap(), people: Vec::new(), clerk: None })
            })
            .collect();
        let clip = FinishedClip {
            window: "w1".into(),
            rule: RuleCode::Slouching,
            event_start: t0,
            trigger_ts: t0,
            values: BTreeMap::new(),
            frames,
        };
        let writer = StoreWriter {
            rt: rt.handle().clone(),
            store,
            clip_sink: Some(ClipSink {
                root: dir.path().join("clips"),
                windows: vec![agent.windows[0].window.clone()],
                fps: 2.0,
                settings: crate::config::ClipSettings::default(),
                faces: Arc::new(Faces::unavailable("no face model in this test")),
            }),
            agent: Arc::clone(&agent),
            clock: crate::base::clock::RealClock::shared(),
            give_up_after: Duration::from_secs(5),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(Output::Clip(Box::new(clip), Arc::new(Vec::new()))).unwrap();
        drop(tx);
        let done = writer.run(rx);
        assert_eq!(done.clips.len(), 1, "the clip is written");
        let stats = &agent.windows[0].stats;
        let counted = (stats.clip_frames_refilled.load(Ordering::Relaxed), stats.clip_frames_refilled_whole.load(Ordering::Relaxed));
        assert_eq!(counted, (0, 3), "all three frames filled whole, and counted for w1");
    }
}
