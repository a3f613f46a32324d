//! `liyi run --config FILE`: the foreground agent.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::store_thread::{ClipSink, StoreWriter};
use super::{PoseArgs, RuntimeArgs, load_config};
use crate::agent::{self, AgentOptions, Output};
use crate::base::clock::RealClock;
use crate::clips::retention;
use crate::config::Config;
use crate::store::Store;
use crate::vision::catalog::Catalog;
use crate::vision::runtime::Runtime;

/// Run the agent: every window's camera or video through pose and the
/// etiquette rules, events and minute metrics into the edge store, until
/// Ctrl-C / SIGTERM (which flush and close cleanly) or --seconds.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The window configuration.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// The edge store (SQLite), created if missing.
    #[arg(long, value_name = "FILE", default_value = "liyi-edge.sqlite")]
    store: PathBuf,

    /// Where clips (MP4, PNG thumbnail, JSON sidecar) are written. Default:
    /// `clips/` beside the store.
    #[arg(long, value_name = "DIR")]
    clips: Option<PathBuf>,

    /// Frames to analyse per second per window.
    #[arg(long, default_value_t = 2.0)]
    fps: f64,

    /// Inference workers. Default: the number of CPU cores.
    #[arg(long)]
    workers: Option<usize>,

    /// Copies of the model sessions that the workers share (about 100 MB
    /// each). Two workers on one copy overlap on different models and lose
    /// little speed; more copies help only with more than two cores.
    #[arg(long, default_value_t = 1)]
    model_copies: usize,

    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,

    /// Run inference on every frame, even when nothing moved in the zones.
    #[arg(long)]
    no_motion_gate: bool,

    /// Look for people in the whole frame, not only in and around the
    /// window's zones (slower on busy scenes; for comparison).
    #[arg(long)]
    whole_frame: bool,

    /// Record keypoint traces (no pixels) of every analysed frame here, one
    /// file per window and day, kept as long as clips; for
    /// `liyi replay --sweep` on the hall's own days.
    #[arg(long, value_name = "DIR")]
    record_traces: Option<PathBuf>,

    /// How long the store may refuse rows (disk full, a damaged or locked
    /// file) before the agent gives up and exits with an error. Meanwhile
    /// rows wait in memory and are retried; `/status` shows the failure.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    store_give_up_s: f64,

    /// Replay video files in a loop instead of once.
    #[arg(long)]
    loop_files: bool,

    /// Address of the status page, the zone editor, /status and /metrics.
    /// Default: `[pages] listen`, else 127.0.0.1:8787. Keep it on 127.0.0.1
    /// and reach it through an SSH tunnel, or set `[pages] password_file`
    /// for a LAN address (see README).
    #[arg(long)]
    listen: Option<SocketAddr>,

    #[command(flatten)]
    pose: PoseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(cfg) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let listen = cfg.pages.address(args.listen).map_err(anyhow::Error::msg)?;
    if !(0.1..=30.0).contains(&args.fps) {
        anyhow::bail!("--fps must be between 0.1 and 30");
    }
    if !(1.0..=86_400.0).contains(&args.store_give_up_s) {
        anyhow::bail!("--store-give-up-s must be between 1 and 86400 seconds");
    }
    let mqtt = match &cfg.mqtt {
        Some(m) => Some(Arc::new(
            crate::mqtt::Publisher::start(m, &cfg.hall).map_err(|e| anyhow::anyhow!("cannot start the MQTT publisher thread: {e}"))?,
        )),
        None => None,
    };
    let options = AgentOptions {
        fps: args.fps,
        workers: args.workers.unwrap_or_else(cores).max(1),
        model_copies: args.model_copies.max(1),
        loop_files: args.loop_files,
        // One intra-op thread per session: the workers are the parallelism.
        pose: args.pose.spec(&RuntimeArgs { threads: 1, ..args.runtime.clone() }),
        motion_gate: (!args.no_motion_gate).then(agent::motion::GateOptions::default),
        clips: cfg.clips.enabled.then_some(cfg.clips),
        attire: cfg.attire.clone(),
        record_traces: args.record_traces.clone().map(|d| (d, cfg.clips.max_age_days)),
        zone_crop: !args.whole_frame,
        mqtt: mqtt.clone(),
        store_give_up: Duration::from_secs_f64(args.store_give_up_s),
    };
    let clips_dir = args.clips.clone().unwrap_or_else(|| clips_beside(&args.store));
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop));
    let runtime = args.runtime.runtime()?;
    let done = run_agent(&cfg, runtime, &args.runtime.catalog(), &args.store, &clips_dir, &options, args.seconds, listen, stop, |_| {})?;
    if let Some(m) = &mqtt {
        let st = m.stats();
        m.close(std::time::Duration::from_secs(3));
        println!("mqtt: {} messages queued, {} dropped, {} connection(s)", st.queued, st.dropped, st.connects);
    }
    print_summary(&done, &args.store, &clips_dir);
    if let Some(failure) = done.store_failure {
        anyhow::bail!(failure);
    }
    Ok(ExitCode::SUCCESS)
}

/// `clips/` in the store's folder.
pub(super) fn clips_beside(store: &Path) -> PathBuf {
    store.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("clips")
}

pub(super) fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// What a run did: per window (frames in, analysed, gated, stale,
/// reconnects), and how many events and minute rows were written.
pub(super) struct RunDone {
    pub windows: std::collections::BTreeMap<String, (u64, u64, u64, u64, u64)>,
    pub events: u64,
    pub minutes: usize,
    /// Clips written (paths of the videos, relative to the clips folder).
    pub clips: Vec<String>,
    /// Rows the store could not take, and why: the run failed.
    pub store_failure: Option<String>,
}

/// Runs the agent with its store writer and status server until `stop`,
/// `seconds`, or the end of every source. `tick` gets the elapsed seconds
/// about four times a second.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_agent(
    cfg: &Config,
    runtime: &'static Runtime,
    catalog: &Catalog,
    store_path: &Path,
    clips_dir: &Path,
    options: &AgentOptions,
    seconds: Option<f64>,
    listen: SocketAddr,
    stop: Arc<AtomicBool>,
    tick: impl Fn(f64) + Send + 'static,
) -> anyhow::Result<RunDone> {
    agent::memory::tune_allocator();
    let started = Instant::now();
    let finished = Arc::new(AtomicBool::new(false));
    {
        let (stop, finished) = (Arc::clone(&stop), Arc::clone(&finished));
        std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let t = started.elapsed().as_secs_f64();
                tick(t);
                if seconds.is_some_and(|s| t >= s) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        });
    }

    // The store lives on its own thread with its own async runtime; the
    // agent hands it events and minutes over a channel.
    // One worker thread of its own, so sqlx can hand connections back to the
    // pool between writes (a current-thread runtime would hold them until
    // the next write, starving the uplink that shares the pool).
    let store_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let mut store = store_rt.block_on(Store::open(store_path))?;
    if cfg.hub.is_some() {
        store = store.with_outbox();
    }
    // Events a kill left open: closed at the last observed time, before the
    // agent runs (and queued for the hub).
    match store_rt.block_on(store.close_interrupted()) {
        Ok(closed) if !closed.is_empty() => tracing::warn!(events = closed.len(), "closed events left open by an interrupted run"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "events left open by an interrupted run not closed"),
    }
    let uplink_store = store.clone();
    let kept_baselines: std::collections::BTreeMap<String, String> = match store_rt.block_on(store.baselines()) {
        Ok(rows) => rows.into_iter().map(|(w, json, _)| (w, json)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "kept clerk baselines unreadable; learning afresh");
            std::collections::BTreeMap::new()
        }
    };
    let state = agent::Agent::new(cfg, &kept_baselines)?;
    if let Some(m) = &options.mqtt {
        let _ = state.mqtt.set(Arc::clone(m));
    }
    let (tx, rx) = std::sync::mpsc::channel::<Output>();
    let clip_sink = match options.clips {
        Some(settings) => {
            let sink = ClipSink { root: clips_dir.to_path_buf(), windows: cfg.windows.clone(), fps: options.fps, settings };
            std::fs::create_dir_all(&sink.root)
                .map_err(|e| anyhow::anyhow!("cannot create the clips folder {}: {e}", sink.root.display()))?;
            store_rt.block_on(retention::enforce(&store, &sink.root, &settings, now_unix()))?;
            Some(sink)
        }
        None => None,
    };
    let store_writer = StoreWriter {
        rt: store_rt,
        store,
        clip_sink,
        agent: Arc::clone(&state),
        clock: RealClock::shared(),
        give_up_after: options.store_give_up,
        stop: Arc::clone(&stop),
    };
    let writer = std::thread::spawn(move || store_writer.run(rx));

    // Stopped after the store writer has flushed, so the last rows get a
    // chance to go out (what does not stays in the outbox).
    let uplink_stop = Arc::new(AtomicBool::new(false));
    let uplink = match &cfg.hub {
        Some(link) => Some(spawn_uplink(link.clone(), uplink_store, clips_dir, Arc::clone(&state), Arc::clone(&uplink_stop))?),
        None => None,
    };
    let login = cfg.pages.password_hash.clone().map(|h| agent::login::PagesLogin::new(h, cfg.pages.session_hours));
    let bound = agent::http::spawn(Arc::clone(&state), listen, login.clone())?;
    eprintln!("status page: http://{bound}/  (/status, /metrics){}", if login.is_some() { "  — login required" } else { "" });
    tracing::info!(windows = state.windows.len(), workers = options.workers, store = %store_path.display(), "agent started");
    let result = agent::run(&state, runtime, catalog, options, stop, tx);
    finished.store(true, Ordering::Relaxed);
    let windows = result?;
    let written = writer.join().map_err(|_| anyhow::anyhow!("the store writer panicked"))?;
    uplink_stop.store(true, Ordering::Relaxed);
    if let Some(u) = uplink {
        let _ = u.join();
    }
    Ok(RunDone { windows, events: written.events, minutes: written.minutes, clips: written.clips, store_failure: written.failure })
}

/// The outbox's sender, on its own thread and runtime: drains to the hub
/// and sends heartbeats until `finished`.
fn spawn_uplink(
    link: crate::config::HubLink,
    store: Store,
    clips_dir: &Path,
    state: Arc<agent::Agent>,
    finished: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let hub = link.url.clone();
    let up = crate::uplink::Uplink::new(link, store, clips_dir)?;
    let boot = now_unix();
    tracing::info!(%hub, "sending to the hub");
    Ok(std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(up.run(finished, move |outbox| beat_from(&state.status(), boot, outbox)));
    }))
}

pub(super) fn print_summary(done: &RunDone, store: &Path, clips_dir: &Path) {
    println!("{:<10} {:>9} {:>9} {:>7} {:>7} {:>10}", "window", "frames", "analysed", "gated", "stale", "reconnects");
    for (id, (frames, analysed, gated, stale, reconnects)) in &done.windows {
        println!("{id:<10} {frames:>9} {analysed:>9} {gated:>7} {stale:>7} {reconnects:>10}");
    }
    println!("{} event(s) and {} minute row(s) written to {}", done.events, done.minutes, store.display());
    if !done.clips.is_empty() {
        println!("{} clip(s) written to {}", done.clips.len(), clips_dir.display());
    }
}

use crate::base::clock::now_unix;

/// Sets `stop` on Ctrl-C or SIGTERM.
pub(super) fn watch_signals(stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            #[cfg(unix)]
            {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
        tracing::info!("stopping: flushing events and minutes");
        stop.store(true, Ordering::Relaxed);
    });
}

/// A heartbeat from per-window status.
fn beat_from(status: &crate::agent::status::Status, boot_unix: f64, outbox: crate::store::OutboxStats) -> crate::wire::Heartbeat {
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
