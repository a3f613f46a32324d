//! `liyi run --config FILE`: the foreground agent.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{PoseArgs, RuntimeArgs};
use crate::agent::{self, AgentOptions, Output};
use crate::config;
use crate::store::Store;

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

    /// Frames to analyse per second per window.
    #[arg(long, default_value_t = 2.0)]
    fps: f64,

    /// Inference workers; each holds its own model sessions. Default: the
    /// number of CPU cores.
    #[arg(long)]
    workers: Option<usize>,

    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,

    /// Run inference on every frame, even when nothing moved in the zones.
    #[arg(long)]
    no_motion_gate: bool,

    /// Replay video files in a loop instead of once.
    #[arg(long)]
    loop_files: bool,

    /// Address of the status page, /status and /metrics. Keep it on
    /// 127.0.0.1 and reach it through an SSH tunnel (see README).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: std::net::SocketAddr,

    #[command(flatten)]
    pose: PoseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cfg = match config::load(&args.config) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    if !(0.1..=30.0).contains(&args.fps) {
        anyhow::bail!("--fps must be between 0.1 and 30");
    }
    let runtime = args.runtime.runtime()?;
    let catalog = args.runtime.catalog();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let options = AgentOptions {
        fps: args.fps,
        workers: args.workers.unwrap_or(cores).max(1),
        loop_files: args.loop_files,
        motion_gate: (!args.no_motion_gate).then(agent::motion::GateOptions::default),
        // One intra-op thread per session: the workers are the parallelism.
        pose: args.pose.spec(&RuntimeArgs { threads: 1, ..args.runtime.clone() }),
    };

    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop));
    if let Some(secs) = args.seconds {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.max(0.0)));
            stop.store(true, Ordering::Relaxed);
        });
    }

    // The store lives on its own thread with its own async runtime; the
    // agent hands it events and minutes over a channel.
    let store_rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let store = store_rt.block_on(Store::open(&args.store))?;
    let (tx, rx) = std::sync::mpsc::channel::<Output>();
    let writer = std::thread::spawn(move || {
        let (mut events, mut minutes) = (0u64, 0usize);
        for output in rx {
            let r = match output {
                Output::Events(e) => store_rt.block_on(store.insert_events(&e)).map(|n| events += n),
                Output::Minutes(m) => {
                    minutes += m.len();
                    store_rt.block_on(store.upsert_minutes(&m))
                }
            };
            if let Err(e) = r {
                tracing::error!(error = %e, "store write failed");
            }
        }
        store_rt.block_on(store.close());
        (events, minutes)
    });

    let agent_state = agent::Agent::new(&cfg)?;
    let bound = agent::http::spawn(Arc::clone(&agent_state), args.listen)?;
    eprintln!("status page: http://{bound}/  (/status, /metrics)");
    tracing::info!(windows = cfg.windows.len(), workers = options.workers, store = %args.store.display(), "agent started");
    let summary = agent::run(&agent_state, runtime, &catalog, &options, stop, tx)?;
    let (events, minutes) = writer.join().map_err(|_| anyhow::anyhow!("the store writer panicked"))?;
    println!("{:<10} {:>9} {:>9} {:>7} {:>7} {:>10}", "window", "frames", "analysed", "gated", "stale", "reconnects");
    for (id, (frames, analysed, gated, stale, reconnects)) in &summary {
        println!("{id:<10} {frames:>9} {analysed:>9} {gated:>7} {stale:>7} {reconnects:>10}");
    }
    println!("{events} event(s) and {minutes} minute row(s) written to {}", args.store.display());
    Ok(ExitCode::SUCCESS)
}

/// Sets `stop` on Ctrl-C or SIGTERM.
fn watch_signals(stop: Arc<AtomicBool>) {
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
