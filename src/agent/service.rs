//! The box wired together: the store writer, the status server, the uplink,
//! MQTT and the signal watch all run on the box's one async runtime
//! ([`box_runtime`]); capture and inference run on plain threads
//! ([`super::workers`]), because they block on FFmpeg and ONNX Runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::faces::Faces;
use super::store_writer::{ClipSink, StoreWriter};
use super::workers::WindowSummary;
use super::{Agent, AgentOptions, Output};
use crate::base::clock::{RealClock, now_unix};
use crate::clips::retention;
use crate::config::Config;
use crate::store::Store;
use crate::vision::catalog::Catalog;
use crate::vision::runtime::Runtime;

/// Async threads of the box's runtime: pages, store, uplink and MQTT are
/// light, and inference has the cores. Two, so that a page waiting on a
/// window's lock (held through a face search) never holds up the uplink,
/// MQTT or the timer.
const ASYNC_THREADS: usize = 2;
/// Blocking threads (argon2 checks for the pages' login, file work).
const BLOCKING_THREADS: usize = 4;

/// The box's one async runtime. Async threads of its own also let sqlx
/// hand connections back to the pool between the store writer's writes (a
/// current-thread runtime would hold them until the next write, starving the
/// uplink that shares the pool).
pub fn box_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ASYNC_THREADS)
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_name("liyi-async")
        .enable_all()
        .build()
}

/// `clips/` in the store's folder.
pub fn clips_beside(store: &Path) -> PathBuf {
    store.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("clips")
}

/// The CPU cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// What a run did: per window [`WindowSummary`], and how many events and
/// minute rows were written.
pub struct RunDone {
    pub windows: std::collections::BTreeMap<String, WindowSummary>,
    pub events: u64,
    pub minutes: usize,
    /// Clips written (paths of the videos, relative to the clips folder).
    pub clips: Vec<String>,
    /// Rows the store could not take, and why: the run failed.
    pub store_failure: Option<String>,
}

/// Where a run keeps what it makes, and how long it runs.
pub struct RunPlan<'a> {
    pub store: &'a Path,
    pub clips_dir: &'a Path,
    /// Stop after this many seconds.
    pub seconds: Option<f64>,
    pub listen: SocketAddr,
}

/// Runs the agent with its store writer, status server and uplink on `rt`
/// until `stop`, the plan's seconds, or the end of every source. `tick`
/// gets the elapsed seconds about four times a second.
#[allow(clippy::too_many_arguments)]
pub fn run_agent(
    rt: &Handle,
    cfg: &Config,
    runtime: &'static Runtime,
    catalog: &Catalog,
    plan: RunPlan,
    options: &AgentOptions,
    stop: Arc<AtomicBool>,
    tick: impl Fn(f64) + Send + 'static,
) -> anyhow::Result<RunDone> {
    super::memory::tune_allocator();
    let finished = Arc::new(AtomicBool::new(false));
    {
        let (stop, finished, seconds, started) = (Arc::clone(&stop), Arc::clone(&finished), plan.seconds, Instant::now());
        rt.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            while !finished.load(Ordering::Relaxed) {
                every.tick().await;
                let t = started.elapsed().as_secs_f64();
                tick(t);
                if seconds.is_some_and(|s| t >= s) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        });
    }

    let mut store = rt.block_on(Store::open(plan.store))?;
    if cfg.hub.is_some() {
        store = store.with_outbox();
    }
    // Events a kill left open: closed at the last observed time, before the
    // agent runs (and queued for the hub).
    match rt.block_on(store.close_interrupted()) {
        Ok(closed) if !closed.is_empty() => tracing::warn!(events = closed.len(), "closed events left open by an interrupted run"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "events left open by an interrupted run not closed"),
    }
    let kept_baselines: std::collections::BTreeMap<String, String> = match rt.block_on(store.baselines()) {
        Ok(rows) => rows.into_iter().map(|(w, json, _)| (w, json)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "kept clerk baselines unreadable; learning afresh");
            std::collections::BTreeMap::new()
        }
    };
    let state = Agent::new(cfg, &kept_baselines)?;
    if let Some(m) = &options.mqtt {
        let _ = state.mqtt.set(Arc::clone(m));
    }
    let (tx, rx) = std::sync::mpsc::channel::<Output>();
    // The face model serves clip frames, the last look before a clip is
    // stored and the editor's live preview; without it all three fill
    // whole frames (fail closed).
    let faces = Arc::new(Faces::load(runtime, catalog, &options.pose).searching_parts(options.face_parts));
    let clip_sink = match options.clips {
        Some(settings) => {
            let sink = ClipSink {
                root: plan.clips_dir.to_path_buf(),
                windows: cfg.windows.clone(),
                fps: options.fps,
                settings,
                faces: Arc::clone(&faces),
            };
            std::fs::create_dir_all(&sink.root)
                .map_err(|e| anyhow::anyhow!("cannot create the clips folder {}: {e}", sink.root.display()))?;
            rt.block_on(retention::enforce(&store, &sink.root, &settings, now_unix()))?;
            Some(sink)
        }
        None => None,
    };
    let uplink_store = store.clone();
    let store_writer = StoreWriter {
        rt: rt.clone(),
        store,
        clip_sink,
        agent: Arc::clone(&state),
        clock: RealClock::shared(),
        give_up_after: options.store_give_up,
        stop: Arc::clone(&stop),
    };
    // The writer blocks on the store between messages: a thread of its own.
    let writer = std::thread::Builder::new().name("store-writer".into()).spawn(move || store_writer.run(rx))?;

    // Stopped after the store writer has flushed, so the last rows get a
    // chance to go out (what does not stays in the outbox).
    let uplink_stop = Arc::new(AtomicBool::new(false));
    let uplink = match &cfg.hub {
        Some(link) => Some(spawn_uplink(rt, link.clone(), uplink_store, plan.clips_dir, Arc::clone(&state), Arc::clone(&uplink_stop))?),
        None => None,
    };
    let login = cfg.pages.password_hash.clone().map(|h| super::login::PagesLogin::new(h, cfg.pages.session_hours));
    let bound = super::http::spawn(rt, Arc::clone(&state), plan.listen, login.clone())?;
    eprintln!("status page: http://{bound}/  (/status, /metrics){}", if login.is_some() { "  — login required" } else { "" });
    tracing::info!(windows = state.windows.len(), workers = options.workers, store = %plan.store.display(), "agent started");
    let result = super::run(&state, runtime, catalog, options, &faces, stop, tx);
    finished.store(true, Ordering::Relaxed);
    let windows = result?;
    let written = writer.join().map_err(|_| anyhow::anyhow!("the store writer panicked"))?;
    uplink_stop.store(true, Ordering::Relaxed);
    if let Some(u) = uplink {
        let _ = rt.block_on(u);
    }
    Ok(RunDone { windows, events: written.events, minutes: written.minutes, clips: written.clips, store_failure: written.failure })
}

/// The outbox's sender, a task on `rt`: drains to the hub and sends
/// heartbeats until `finished`.
fn spawn_uplink(
    rt: &Handle,
    link: crate::config::HubLink,
    store: Store,
    clips_dir: &Path,
    state: Arc<Agent>,
    finished: Arc<AtomicBool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let hub = link.url.clone();
    let up = crate::uplink::Uplink::new(link, store, clips_dir)?;
    let boot = now_unix();
    tracing::info!(%hub, "sending to the hub");
    Ok(rt.spawn(async move {
        up.run(finished, move |outbox| {
            *crate::sync::lock(&state.outbox) = Some(outbox);
            beat_from(&state.status(), boot, outbox)
        })
        .await
    }))
}

/// Sets `stop` on Ctrl-C or SIGTERM (a task on `rt`).
pub fn watch_signals(rt: &Handle, stop: Arc<AtomicBool>) {
    rt.spawn(async move {
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "SIGTERM cannot be watched; only Ctrl-C stops the agent cleanly");
                    let _ = tokio::signal::ctrl_c().await;
                    tracing::info!("stopping: flushing events and minutes");
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping: flushing events and minutes");
        stop.store(true, Ordering::Relaxed);
    });
}

/// A heartbeat from per-window status.
fn beat_from(status: &super::status::Status, boot_unix: f64, outbox: crate::store::OutboxStats) -> crate::wire::Heartbeat {
    crate::wire::Heartbeat {
        boot_unix,
        version: env!("CARGO_PKG_VERSION").to_string(),
        windows: status
            .windows
            .iter()
            .map(|w| crate::wire::CameraBeat {
                id: w.id.clone(),
                name: w.name.clone(),
                source_up: w.source_up,
                frames_in: w.frames_in,
                frames_analysed: w.frames_analysed,
                frames_stale: w.frames_stale,
                errors: w.errors,
                last_frame_age_s: w.last_frame_age_s,
            })
            .collect(),
        outbox,
        store: status.store.clone(),
    }
}
