//! `liyi privacy-audit DIR`: scans a data folder for faces and stray images.

use std::path::PathBuf;
use std::process::ExitCode;

use super::RuntimeArgs;
use crate::audit;
use crate::vision::engine::EngineOptions;
use crate::vision::retinaface::FaceDetector;

/// Check that a data folder holds no face and no stray image: every frame of
/// every clip and image through the face detector at a sensitive threshold,
/// every other file (stores, logs, sidecars) for embedded JPEG, PNG, MP4 or
/// WebP data. Exits 1 if anything is found or cannot be checked.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to audit (e.g. the agent's data folder).
    dir: PathBuf,

    /// Print the report as JSON.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        anyhow::bail!("{}: not a folder. Fix: pass the data folder to audit, e.g. /var/lib/liyi", args.dir.display());
    }
    let runtime = args.runtime.runtime()?;
    // Without the face model nothing can be vouched for: that is an error.
    let mut faces =
        FaceDetector::load(runtime, &args.runtime.catalog(), EngineOptions { intra_threads: usize::from(args.runtime.threads) })?;
    let report = audit::audit(&args.dir, &mut faces).map_err(|e| anyhow::anyhow!("{}: {e}", args.dir.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("Privacy audit of {}", args.dir.display());
        println!(
            "  {} image/video file(s), {} frame(s) searched for faces (score ≥ {}, ≥ {} px)",
            report.media_files,
            report.frames_checked,
            audit::AUDIT_FACE_SCORE,
            audit::AUDIT_LONG_SIDE
        );
        println!("  {} other file(s), {} byte(s) searched for embedded images", report.other_files, report.bytes_scanned);
        if report.is_clean() {
            println!("PASS: no face and no embedded image found");
        } else {
            println!("FAIL: {} finding(s)", report.findings.len());
            for f in &report.findings {
                println!("  - {f}");
            }
        }
    }
    Ok(if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
