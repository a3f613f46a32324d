//! Liyi's half of the side-by-side with `scripts/python-peer.py`: the same
//! video decoded, frames kept at the analysis rate, each kept frame through
//! the default pose pipeline (CenterNet + MoveNet thunder, one intra-op
//! thread), whole frame at full size, as the Python peer does.
//!
//!     cargo run --release --example pipeline_peer -- VIDEO [--fps 2] [--passes 4]
//!
//! `scripts/peer-compare.sh` runs both and prints them together.

use std::path::PathBuf;
use std::time::Instant;

use liyi::capture::{self, CaptureOptions};
use liyi::config::SourceSpec;
use liyi::vision::catalog::Catalog;
use liyi::vision::engine::EngineOptions;
use liyi::vision::pose::{PoseEstimator, PoseSpec};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: f64| -> f64 {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let video = PathBuf::from(args.first().ok_or_else(|| anyhow::anyhow!("give the video file"))?);
    let (fps, passes) = (flag("--fps", 2.0), flag("--passes", 4.0) as u32);
    let rt = liyi::vision::runtime::init(None)?;
    let catalog = Catalog::new(liyi::paths::models_dir());
    let est = PoseEstimator::load(rt, &catalog, &PoseSpec { engine: EngineOptions { intra_threads: 1 }, ..PoseSpec::default() })?;
    let source = SourceSpec::File { path: video };
    let (mut analysed, mut people) = (0u32, 0usize);
    let (mut t_decode, mut t_models) = (0.0f64, 0.0f64);
    let start = Instant::now();
    for _ in 0..passes {
        // Full size, as the peer: the same pixels into the same models.
        let mut src = capture::open(&source, CaptureOptions { fps, max_side: 8192, start: None })?;
        loop {
            let t0 = Instant::now();
            let Some(frame) = src.next_frame()? else { break };
            let t1 = Instant::now();
            t_decode += (t1 - t0).as_secs_f64();
            people += est.estimate(&frame.image)?.len();
            t_models += t1.elapsed().as_secs_f64();
            analysed += 1;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let n = f64::from(analysed.max(1));
    println!(
        "liyi ({}): analysed {analysed}, people {people}, {wall:.2} s, {:.2} analysed frames/s, decode {:.1} ms/analysed frame, models {:.1} ms/analysed frame",
        est.name(),
        n / wall,
        1000.0 * t_decode / n,
        1000.0 * t_models / n
    );
    Ok(())
}
