//! `liyi analyze [--pose NAME|PATH] [--json] [--draw DIR] IMAGE|DIR...`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::RuntimeArgs;
use crate::analyze::{self, Analysis, Analyzer};
use crate::imageio;

/// Find people and their 17 COCO body keypoints in photos.
///
/// Prints a table per image, or with --json one JSON object per line:
/// {"source","frame","width","height","model","people":[{"box","score","keypoints"}]}.
/// Images that cannot be read are reported on stderr; the others are still
/// analysed, and the exit code is 1.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Images (JPEG, PNG) or folders of images.
    #[arg(required = true, value_name = "IMAGE|DIR")]
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    pose: super::PoseArgs,

    /// Print one JSON object per image on stdout.
    #[arg(long)]
    json: bool,

    /// Write annotated PNGs (boxes, skeletons) to this folder. Faces and
    /// heads are always destroyed in them first.
    #[arg(long, value_name = "DIR")]
    draw: Option<PathBuf>,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inputs = imageio::expand_inputs(&args.inputs)?;
    if let Some(dir) = &args.draw {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the --draw folder {}", dir.display()))?;
    }
    let runtime = args.runtime.runtime()?;
    let catalog = args.runtime.catalog();
    let spec = args.pose.spec(&args.runtime);
    let mut analyzer = Analyzer::load(runtime, &catalog, &spec, args.draw.is_some())?;

    let progress = if inputs.len() > 1 {
        let bar = ProgressBar::new(inputs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} [{bar:30}] {elapsed} {wide_msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let stdout = std::io::stdout();
    let mut failed = 0usize;
    for (i, path) in inputs.iter().enumerate() {
        progress.set_message(path.display().to_string());
        match analyzer.analyze(path) {
            Ok(analysis) => {
                if let (Some(dir), Some(frame)) = (&args.draw, &analysis.drawing) {
                    let mut out = analyze::drawing_path(dir, path, 0);
                    if inputs[..i].iter().any(|p| p.file_stem() == path.file_stem()) {
                        out = analyze::drawing_path(dir, path, i);
                    }
                    if let Err(e) = analyze::write_drawing(frame, &out) {
                        progress.suspend(|| eprintln!("error: {e}"));
                        failed += 1;
                    }
                }
                let mut lock = stdout.lock();
                let text = if args.json { json_line(&analysis)? } else { table(&analysis) };
                progress.suspend(|| lock.write_all(text.as_bytes()))?;
            }
            Err(e) => {
                progress.suspend(|| eprintln!("error: {e}"));
                failed += 1;
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    if failed > 0 {
        eprintln!("{failed} of {} images failed", inputs.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn json_line(a: &Analysis) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&a.report)? + "\n")
}

fn table(a: &Analysis) -> String {
    use std::fmt::Write as _;
    let r = &a.report;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}  {}x{}  {} {}  ({}, {:.0} ms, {:.0} ms in models)",
        r.source,
        r.width,
        r.height,
        r.people.len(),
        if r.people.len() == 1 { "person" } else { "people" },
        r.model,
        a.timing.total.as_secs_f64() * 1e3,
        a.timing.inference.as_secs_f64() * 1e3,
    );
    if !r.people.is_empty() {
        let _ = writeln!(s, "  {:>3}  {:>5}  {:>23}  {:>9}", "#", "score", "box x1,y1,x2,y2", "kp≥0.5");
    }
    for (i, p) in r.people.iter().enumerate() {
        let b = p.bbox;
        let confident = p.keypoints.iter().filter(|k| k.conf >= 0.5).count();
        let _ = writeln!(
            s,
            "  {:>3}  {:>5.2}  {:>23}  {:>6}/17",
            i + 1,
            p.score,
            format!("{:.0},{:.0},{:.0},{:.0}", b.x1, b.y1, b.x2, b.y2),
            confident
        );
    }
    s
}
