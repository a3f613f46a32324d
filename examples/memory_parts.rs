//! Where the agent's megabytes go: the resident size (VmRSS) after each
//! part of a box is built, one after the other, in one process, with the
//! allocator tuned as `liyi run` tunes it. For the README's memory table.
//!
//!     cargo run --release --example memory_parts -- [VIDEO] [--windows N]
//!
//! VIDEO defaults to the bench's 1280×720 recording
//! (`target/bench-agent/cam-720p-5fps.mp4`, made by `scripts/bench-agent.sh`),
//! else the shipped street video. Each "window" opens its own decoder and
//! keeps a full clip recorder (pre-roll ring and redaction delay) fed at the
//! analysis rate, as the agent does while a rule is pending.

use std::path::PathBuf;

use liyi::capture::{self, CaptureOptions};
use liyi::clips::ClipRecorder;
use liyi::config::{ClipSettings, SourceSpec};
use liyi::privacy::{FaceEvidence, RedactOptions};
use liyi::vision::catalog::Catalog;
use liyi::vision::engine::EngineOptions;
use liyi::vision::pose::{PoseEstimator, PoseSpec};
use liyi::vision::retinaface::FaceDetector;

/// Resident size now, in MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

struct Meter {
    last: f64,
}

impl Meter {
    fn step(&mut self, what: &str) {
        let now = rss_mb();
        println!("| {what} | {:+.1} | {now:.1} |", now - self.last);
        self.last = now;
    }
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let windows: usize = match args.iter().position(|a| a == "--windows") {
        Some(i) => {
            let v = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--windows needs a number"))?.parse()?;
            args.drain(i..i + 2);
            v
        }
        None => 8,
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let video = args.first().map(PathBuf::from).unwrap_or_else(|| {
        let bench = root.join("target/bench-agent/cam-720p-5fps.mp4");
        if bench.is_file() { bench } else { root.join("assets/street-walk.mp4") }
    });
    liyi::agent::memory::tune_allocator();
    println!("| part | MB added | resident MB |\n|---|---|---|");
    let mut m = Meter { last: 0.0 };
    m.step("the process (binary, Rust and FFmpeg libraries)");
    let rt = liyi::vision::runtime::init(None)?;
    m.step("ONNX Runtime loaded");
    let catalog = Catalog::new(liyi::paths::models_dir());
    let spec = PoseSpec { engine: EngineOptions { intra_threads: 1 }, ..PoseSpec::default() };
    let est = PoseEstimator::load(rt, &catalog, &spec)?;
    m.step(&format!("pose sessions ({})", est.name()));
    let mut faces = FaceDetector::load(rt, &catalog, spec.engine)?;
    m.step("face session (clips)");
    // One run of each model, so their arenas hold a frame's tensors.
    let opts = CaptureOptions { fps: 2.0, ..CaptureOptions::default() };
    let spec_src = SourceSpec::File { path: video.clone() };
    let mut first = capture::open(&spec_src, opts).map_err(|e| anyhow::anyhow!("{}: {e}", video.display()))?;
    let frame = first.next_frame()?.ok_or_else(|| anyhow::anyhow!("{}: no frame", video.display()))?;
    let people = est.estimate(&frame.image)?;
    let found = faces.detect(&frame.image)?;
    m.step(&format!("first inference of both ({}×{} frame)", frame.image.width(), frame.image.height()));
    let shared = m.last;
    drop(first);

    let settings = ClipSettings::default();
    let hall = (0..windows)
        .map(|i| {
            format!(
                "[[window]]\nid = \"w{i}\"\nstaff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]\n\
                 counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]\nhours = [\"00:00-23:59\"]\n"
            )
        })
        .collect::<String>();
    let cfg = liyi::config::parse(&format!("hall = \"memory\"\n{hall}"), std::path::Path::new("memory.toml"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut sources = Vec::new();
    for _ in 0..windows {
        let mut src = capture::open(&spec_src, opts).map_err(|e| anyhow::anyhow!("{}: {e}", video.display()))?;
        for _ in 0..10 {
            let _ = src.next_frame()?;
        }
        sources.push(src);
    }
    m.step(&format!("{windows} decoders, 10 frames read each"));
    let mut recorders: Vec<ClipRecorder> = cfg.windows.iter().map(|w| ClipRecorder::new(w, settings, RedactOptions::default())).collect();
    let evidence = FaceEvidence::Detected(found);
    // The pre-roll and the delay at 2 fps, full.
    let frames = ((settings.pre_roll_s + 1.0) * 2.0).ceil() as i64 + settings.dilate_frames as i64;
    for (src, rec) in sources.iter_mut().zip(&mut recorders) {
        for k in 0..frames {
            let f = src.next_frame()?.ok_or_else(|| anyhow::anyhow!("{}: too short", video.display()))?;
            let _ = rec.push(f.image, &people, &evidence, None, frame.ts + chrono::Duration::milliseconds(500 * k));
        }
    }
    m.step(&format!(
        "{windows} clip recorders full ({:.0} s pre-roll at 2 fps, {} frames in the redaction delay, clips at {} px)",
        settings.pre_roll_s, settings.dilate_frames, settings.max_side
    ));
    println!(
        "\nshared: {shared:.1} MB; per window: {:.1} MB (a decoder and a full clip recorder)",
        (m.last - shared) / windows.max(1) as f64
    );
    Ok(())
}
