//! `liyi demo [--data-dir DIR]`: the real agent on the shipped sample video,
//! for a bounded time, with no camera and no server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use indicatif::{ProgressBar, ProgressStyle};

use super::run::print_summary;
use super::{RuntimeArgs, load_config};
use crate::agent::service::{RunPlan, box_runtime, cores, run_agent, watch_signals};
use crate::agent::{AgentOptions, motion::GateOptions};
use crate::paths;
use crate::replay::Summary;
use crate::store::Store;
use crate::vision::pose::PoseSpec;

/// Run the real agent for a bounded time on the sample video that ships
/// with Liyi (assets/street-walk.mp4, two demo windows from
/// assets/demo.toml), then print the events and minute metrics it stored.
/// Works from any folder; writes only under --data-dir.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo writes its store. Default: the per-user data folder
    /// (e.g. ~/.local/share/liyi/demo).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// How long to run, in seconds (the 60 s absence tolerance of window
    /// w02 needs a little over a minute).
    #[arg(long, default_value_t = 75.0)]
    seconds: f64,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config_path = paths::project_roots()
        .into_iter()
        .map(|r| r.join("assets/demo.toml"))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow::anyhow!("the demo's assets/demo.toml was not found beside the executable or in the project; set LIYI_HOME to the folder that holds assets/"))?;
    let Some(cfg) = load_config(&config_path) else { return Ok(ExitCode::FAILURE) };
    let data_dir =
        args.data_dir.clone().or_else(|| dirs::data_local_dir().map(|d| d.join("liyi/demo"))).unwrap_or_else(|| PathBuf::from("liyi-demo"));
    std::fs::create_dir_all(&data_dir).map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", data_dir.display()))?;
    let store_path = data_dir.join("edge.sqlite");
    if store_path.exists() {
        // Each demo starts afresh; the demo's store holds nothing else.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", store_path.display()));
        }
    }
    // So are its clips, which the old store indexed.
    let _ = std::fs::remove_dir_all(data_dir.join("clips"));
    let options = AgentOptions {
        fps: 2.0,
        workers: cores().min(2),
        model_copies: 1,
        loop_files: true,
        pose: PoseSpec { engine: crate::vision::engine::EngineOptions { intra_threads: 1 }, ..PoseSpec::default() },
        motion_gate: Some(GateOptions::default()),
        clips: cfg.clips.enabled.then_some(cfg.clips),
        attire: cfg.attire.clone(),
        record_traces: None,
        zone_crop: true,
        track: Some(Default::default()),
        mqtt: None,
        face_parts: true,
        store_give_up: crate::agent::persist::DEFAULT_GIVE_UP,
    };
    let clips_dir = data_dir.join("clips");
    let seconds = args.seconds.clamp(5.0, 600.0);
    println!("Liyi demo: {} windows from {} for {seconds:.0} s", cfg.windows.len(), config_path.display());
    let bar = ProgressBar::new(seconds as u64);
    bar.set_style(ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} s {msg}").expect("static template").progress_chars("=> "));
    let tick_bar = bar.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let rt = box_runtime()?;
    watch_signals(rt.handle(), Arc::clone(&stop));
    let runtime = args.runtime.runtime()?;
    let plan = RunPlan { store: &store_path, clips_dir: &clips_dir, seconds: Some(seconds), listen: "127.0.0.1:0".parse()? };
    let done =
        run_agent(rt.handle(), &cfg, runtime, &args.runtime.catalog(), plan, &options, stop, move |t| tick_bar.set_position(t as u64))?;
    bar.finish_and_clear();
    print_summary(&done, &store_path, &clips_dir);
    if let Some(failure) = done.store_failure {
        anyhow::bail!(failure);
    }

    let (events, minutes) = rt.block_on(async {
        let s = Store::open(&store_path).await?;
        let r = (s.events(None).await?, s.minutes(None).await?);
        s.close().await;
        Ok::<_, crate::store::StoreError>(r)
    })?;
    println!("\nEvents:");
    for e in &events {
        println!(
            "  {} {:<22} {}  {} → {}  {:.0} s",
            e.window,
            e.rule.as_str(),
            e.rule.zh(),
            e.start.format("%H:%M:%S"),
            e.end.format("%H:%M:%S"),
            e.duration_s
        );
    }
    if events.is_empty() {
        println!("  none");
    }
    println!("\nMinute metrics:");
    for w in &cfg.windows {
        let mine: Vec<_> = minutes.iter().filter(|m| m.window == w.id).cloned().collect();
        let s = Summary::of(&[], &mine);
        println!(
            "  {} {}: {} minute(s), in service {:.0} s, staffed {:.0} s, compliant {:.0} s, unknown {:.0} s",
            w.id,
            w.name,
            mine.len(),
            s.in_service_s,
            s.staffed_s,
            s.compliant_s,
            s.unknown_s
        );
    }
    println!("\nStore: {}", store_path.display());
    if done.clips.is_empty() {
        println!("Clips: none finished in this run");
    } else {
        println!("Clips (redacted MP4 + PNG thumbnail + JSON sidecar each), in {}:", clips_dir.display());
        for c in &done.clips {
            println!("  {}", clips_dir.join(c).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
