//! Command-line front end: one module per subcommand, each owning its
//! arguments. Everything here parses and prints; the work is in the library.

mod analyze;
mod attire;
mod check;
mod check_config;
mod demo;
mod doctor;
mod hub;
mod models;
mod pages_password;
mod privacy_audit;
mod replay;
mod run;
mod simulate;
mod snapshot;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::paths;
use crate::vision::VisionError;
use crate::vision::catalog::Catalog;
use crate::vision::engine::EngineOptions;
use crate::vision::manifest::Family;
use crate::vision::pose::{DEFAULT_DETECTOR, DEFAULT_POSE, PoseSpec};
use crate::vision::runtime::{self, Runtime};

/// Liyi (礼仪): etiquette monitoring for government service windows, without
/// storing a face.
#[derive(Debug, Parser)]
#[command(name = "liyi", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log filter for stderr, e.g. `info`, `debug`, `liyi=trace`.
    #[arg(long, global = true, env = "LIYI_LOG", default_value = "warn")]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find people and their body keypoints in photos.
    Analyze(analyze::Args),
    /// Validate a window configuration file.
    CheckConfig(check_config::Args),
    /// Run the etiquette rules over recorded keypoint traces.
    Replay(replay::Args),
    /// Write a simulated seated-clerk trace and window config to try the rules.
    Simulate(simulate::Args),
    /// Record a window's keypoint trace (no pixels) from its camera or video.
    Trace(trace::Args),
    /// Run the agent: every window's source through pose and rules into the store.
    Run(run::Args),
    /// Run the agent for a minute on the sample video and show what it found.
    Demo(demo::Args),
    /// List the known models, their licences, and whether their files are
    /// present and intact.
    Models(models::Args),
    /// Check a data folder for faces in stored frames and for stray images.
    PrivacyAudit(privacy_audit::Args),
    /// Check the box: ONNX Runtime, models, cameras, clock, disk, hub.
    Doctor(doctor::Args),
    /// Check a store and its clips folder (integrity, schema version, clip
    /// rows against files); read-only.
    Check(check::Args),
    /// Grab one redacted frame of a window with its zones and skeletons drawn.
    Snapshot(snapshot::Args),
    /// Enrol a hall's work badge or uniform from photos, or check photos.
    Attire(attire::Args),
    /// Run the hub that boxes report to (or manage its users and boxes).
    Hub(hub::Args),
    /// Print or send a day's compliance summary from the hub's store.
    Report(hub::ReportArgs),
    /// Send what waits in this box's outbox to the hub, then exit.
    Push(hub::PushArgs),
    /// Write the installer password's hash for the agent's LAN pages
    /// (`[pages] password_file`). The password comes from LIYI_PASSWORD or
    /// stdin.
    PagesPassword(pages_password::Args),
}

/// Where to find ONNX Runtime and the models; shared by every subcommand
/// that runs a model.
#[derive(Debug, Clone, clap::Args)]
pub struct RuntimeArgs {
    /// Path to libonnxruntime.so. Default: ORT_DYLIB_PATH, then next to the
    /// executable, then the project's runtime/ folder.
    #[arg(long, value_name = "PATH")]
    ort_lib: Option<PathBuf>,

    /// Folder holding the model manifests and weights. Default: models/
    /// beside the executable or in the project.
    #[arg(long, value_name = "DIR", env = "LIYI_MODELS")]
    models_dir: Option<PathBuf>,

    /// ONNX Runtime intra-op threads per model.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
}

/// Which pose pipeline to run; shared by the subcommands that find people.
#[derive(Debug, Clone, clap::Args)]
pub struct PoseArgs {
    /// Pose model: a name from `liyi models`, or a path to an .onnx file
    /// (recognised by its SHA-256, or described with --family).
    #[arg(long, default_value = DEFAULT_POSE, value_name = "NAME|PATH")]
    pose: String,

    /// Model family for an .onnx file liyi does not recognise.
    #[arg(long, value_enum)]
    family: Option<Family>,

    /// Person detector used in front of top-down pose models.
    #[arg(long, default_value = DEFAULT_DETECTOR, value_name = "NAME|PATH")]
    detector: String,

    /// Input size, a multiple of 32: YOLO-pose's square side (default 640),
    /// or, in front of a top-down model, the person detector's long side
    /// with the image kept at its aspect ratio (CenterNet; default 512).
    #[arg(long, value_name = "PIXELS")]
    input_size: Option<u32>,
}

impl PoseArgs {
    fn spec(&self, runtime: &RuntimeArgs) -> PoseSpec {
        PoseSpec {
            pose: self.pose.clone(),
            family: self.family,
            detector: self.detector.clone(),
            input_size: self.input_size,
            engine: EngineOptions { intra_threads: runtime.threads.into() },
        }
    }
}

impl RuntimeArgs {
    fn catalog(&self) -> Catalog {
        Catalog::new(self.models_dir.clone().or_else(paths::models_dir))
    }

    fn runtime(&self) -> Result<&'static Runtime, VisionError> {
        runtime::init(self.ort_lib.as_deref())
    }
}

/// Loads a config, printing every problem; `None` when it is invalid.
fn load_config(path: &std::path::Path) -> Option<crate::config::Config> {
    match crate::config::load(path) {
        Ok(c) => Some(c),
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            None
        }
    }
}

/// Parses arguments, runs the subcommand, and turns errors into a message
/// and exit code 1 (2 for usage errors, from clap).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    // A panic the agent or the hub catches and survives is written once,
    // then at most once a minute per place in the code.
    crate::base::panics::install_quiet_hook();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::CheckConfig(args) => check_config::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Run(args) => run::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Models(args) => models::run(args),
        Command::PrivacyAudit(args) => privacy_audit::run(args),
        Command::Attire(args) => attire::run(args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Check(args) => check::run(args),
        Command::Hub(args) => hub::run(args),
        Command::Report(args) => hub::report(args),
        Command::Push(args) => hub::push(args),
        Command::PagesPassword(args) => pages_password::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| {
        eprintln!("warning: invalid --log filter {filter:?}; using `warn`");
        tracing_subscriber::EnvFilter::new("warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).with_ansi(ansi).init();
}
