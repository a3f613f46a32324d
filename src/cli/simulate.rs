//! `liyi simulate`: write a simulated seated-clerk keypoint trace and a
//! matching window config, to try the rules without a camera.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::sim::evaluate::config_text;
use crate::sim::{Camera, Scenario, SimConfig, simulate};

/// Write a simulated keypoint trace (JSON lines, no pixels) of a clerk at a
/// window, its window config, and its ground-truth events, for trying
/// `liyi replay`. The scenarios are the ones docs/accuracy.md measures.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario name; `--list` shows them.
    #[arg(long, default_value = "mixed_day")]
    scenario: String,

    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,

    /// Output folder: trace.jsonl, window.toml, truth.jsonl.
    #[arg(long, default_value = "out/sim")]
    out: PathBuf,

    /// Camera height in metres (1.8-2.6 is typical).
    #[arg(long, default_value_t = 2.2)]
    height: f32,

    /// Camera distance from the clerk in metres.
    #[arg(long, default_value_t = 2.6)]
    distance: f32,

    /// Random seed (noise, dropped frames).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let library = Scenario::library();
    if args.list {
        for s in &library {
            println!("{:<22} {:>5.0} s  {}", s.name, s.duration_secs(), s.description);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(scenario) = library.iter().find(|s| s.name == args.scenario) else {
        let names: Vec<_> = library.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!("no scenario {:?}; known: {}", args.scenario, names.join(", "));
    };
    if !(1.0..=4.0).contains(&args.height) || !(1.5..=6.0).contains(&args.distance) {
        anyhow::bail!("--height must be 1-4 m and --distance 1.5-6 m");
    }
    let cfg = SimConfig { camera: Camera::aimed(args.height, args.distance), seed: args.seed, ..SimConfig::default() };
    let sim = simulate(scenario, &cfg);
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let trace = args.out.join("trace.jsonl");
    let frames: Vec<_> = sim.frames.iter().map(|f| f.trace.clone()).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&trace).with_context(|| format!("cannot create {}", trace.display()))?);
    crate::trace::write_frames(&mut f, &frames)?;
    drop(f);
    let config = args.out.join("window.toml");
    std::fs::write(&config, config_text(&sim, &cfg.camera, &cfg.window))?;
    let truth = args.out.join("truth.jsonl");
    let lines: Vec<String> = sim.truth_events.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
    std::fs::write(&truth, lines.join("\n") + "\n")?;
    println!("{} frames of {:?} → {}", frames.len(), scenario.name, trace.display());
    println!("window config → {}", config.display());
    println!("ground truth ({} events) → {}", sim.truth_events.len(), truth.display());
    println!("try: liyi replay --config {} {}", config.display(), trace.display());
    Ok(ExitCode::SUCCESS)
}
