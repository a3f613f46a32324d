//! `liyi run --config FILE`: the foreground agent.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{PoseArgs, RuntimeArgs, load_config};
use crate::agent::service::{RunDone, RunPlan, box_runtime, clips_beside, cores, run_agent, watch_signals};
use crate::agent::workers::WindowSummary;
use crate::agent::{self, AgentOptions};

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

    /// Run the person detector on every inferred frame instead of following
    /// the clerk with the pose model between detections (for comparison).
    #[arg(long)]
    no_track: bool,

    /// Search every changed clip frame for faces in the whole frame, rather
    /// than only where it changed since the last search (the default: the
    /// whole frame at least every 5 s, and whenever a face reaches a
    /// searched part's edge). For comparison.
    #[arg(long)]
    no_face_parts: bool,

    /// Accepted and ignored: the partial face search it turned on is now
    /// the default (kept so that older service files still start).
    #[arg(long = "face-parts", hide = true)]
    _face_parts: bool,

    /// While the clerk is followed, the person detector still runs this
    /// often (new people at the counter are found within this time).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    redetect_s: f64,

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
    if !(0.1..=60.0).contains(&args.redetect_s) {
        anyhow::bail!("--redetect-s must be between 0.1 and 60 seconds");
    }
    if !(1.0..=86_400.0).contains(&args.store_give_up_s) {
        anyhow::bail!("--store-give-up-s must be between 1 and 86400 seconds");
    }
    // The box's one async runtime: pages, store, uplink, MQTT, signals.
    let rt = box_runtime()?;
    let mqtt = cfg.mqtt.as_ref().map(|m| Arc::new(crate::mqtt::Publisher::start(rt.handle(), m, &cfg.hall)));
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
        track: (!args.no_track).then_some(agent::track::TrackOptions { redetect_s: args.redetect_s }),
        mqtt: mqtt.clone(),
        store_give_up: Duration::from_secs_f64(args.store_give_up_s),
        face_parts: !args.no_face_parts,
    };
    let clips_dir = args.clips.clone().unwrap_or_else(|| clips_beside(&args.store));
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(rt.handle(), Arc::clone(&stop));
    let runtime = args.runtime.runtime()?;
    let plan = RunPlan { store: &args.store, clips_dir: &clips_dir, seconds: args.seconds, listen };
    let done = run_agent(rt.handle(), &cfg, runtime, &args.runtime.catalog(), plan, &options, stop, |_| {})?;
    if let Some(m) = &mqtt {
        let st = m.stats();
        rt.block_on(m.close(Duration::from_secs(3)));
        println!("mqtt: {} messages queued, {} dropped, {} connection(s)", st.queued, st.dropped, st.connects);
    }
    print_summary(&done, &args.store, &clips_dir);
    if let Some(failure) = done.store_failure {
        anyhow::bail!(failure);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn print_summary(done: &RunDone, store: &Path, clips_dir: &Path) {
    println!(
        "{:<10} {:>9} {:>9} {:>7} {:>7} {:>10} {:>8} {:>20}",
        "window", "frames", "analysed", "gated", "stale", "reconnects", "followed", "faces whole/part/="
    );
    for (id, w) in &done.windows {
        let WindowSummary { frames, analysed, gated, stale, reconnects, followed, faces: [fw, fp, fr] } = w;
        let faces = format!("{fw}/{fp}/{fr}");
        println!("{id:<10} {frames:>9} {analysed:>9} {gated:>7} {stale:>7} {reconnects:>10} {followed:>8} {faces:>20}");
    }
    println!("{} event(s) and {} minute row(s) written to {}", done.events, done.minutes, store.display());
    if !done.clips.is_empty() {
        println!("{} clip(s) written to {}", done.clips.len(), clips_dir.display());
    }
}
