//! `liyi trace --config FILE --window ID [--out FILE]`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::{PoseArgs, RuntimeArgs};
use crate::capture::{self, CaptureOptions};
use crate::trace::TraceFrame;
use crate::vision::FrameReport;
use crate::vision::pose::PoseEstimator;

/// Record a window's keypoint trace from its configured source (video file,
/// RTSP camera or image folder): people and keypoints per analysed frame,
/// as JSON lines, with no pixels. Replay it with `liyi replay` to see what
/// the rules make of it, or to tune thresholds.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The window configuration.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// The window whose source to read.
    #[arg(long, value_name = "ID")]
    window: String,

    /// Where to write the trace; standard output if not given.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Frames to analyse per second.
    #[arg(long, default_value_t = 2.0)]
    fps: f64,

    /// Stop after this many seconds of source time.
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,

    /// Timestamp of a recording's first frame (RFC 3339 with offset);
    /// default: now. Live streams always use the clock.
    #[arg(long, value_name = "TIME")]
    start: Option<chrono::DateTime<chrono::FixedOffset>>,

    #[command(flatten)]
    pose: PoseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(cfg) = super::load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let window = cfg.window(&args.window).with_context(|| {
        let ids: Vec<_> = cfg.windows.iter().map(|w| w.id.as_str()).collect();
        format!("{}: no window {:?} (windows: {})", args.config.display(), args.window, ids.join(", "))
    })?;
    let source = window.source.as_ref().with_context(|| format!("{}: window {:?} has no `source`", args.config.display(), window.id))?;
    if !(0.1..=30.0).contains(&args.fps) {
        anyhow::bail!("--fps must be between 0.1 and 30");
    }
    let mut src = capture::open(source, CaptureOptions { fps: args.fps, start: args.start, ..CaptureOptions::default() })?;
    let runtime = args.runtime.runtime()?;
    let pose = PoseEstimator::load(runtime, &args.runtime.catalog(), &args.pose.spec(&args.runtime))?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?)),
        None => Box::new(std::io::stdout().lock()),
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {pos} frames {elapsed} {msg}").expect("static template"));
    let mut first = None;
    let mut frames = 0u64;
    while let Some(frame) = src.next_frame()? {
        let t0 = *first.get_or_insert(frame.ts);
        if args.seconds.is_some_and(|s| (frame.ts - t0).num_milliseconds() as f64 / 1000.0 > s) {
            break;
        }
        let people = pose.estimate(&frame.image)?;
        let line = TraceFrame {
            ts: frame.ts,
            window: window.id.clone(),
            frame: FrameReport {
                source: source.to_string(),
                frame: frame.index,
                width: frame.image.width(),
                height: frame.image.height(),
                model: pose.name().to_string(),
                people,
            },
            badge: None,
            uniform: None,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        frames += 1;
        bar.inc(1);
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("{frames} frames traced from {} ({} decoded frames dropped to keep {} fps)", source, src.dropped(), args.fps);
    Ok(ExitCode::SUCCESS)
}
