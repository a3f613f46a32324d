//! `liyi snapshot --config FILE --window ID [--out PNG]`: one frame of a
//! window's source, through the redaction gate, with its zones, desk line
//! and the people's skeletons drawn, plus what the rules see in it. For
//! installers checking a camera and its zones; no unblurred pixel leaves.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{PoseArgs, RuntimeArgs, load_config};
use crate::capture::{self, CaptureOptions};
use crate::privacy::Cue;
use crate::privacy::faces::search_as_checked;
use crate::privacy::{FaceEvidence, RedactOptions};
use crate::rules::WindowRules;
use crate::vision::pose::PoseEstimator;
use crate::vision::retinaface::FaceDetector;

/// Grab a frame from a window's camera, redact it (faces and heads filled,
/// masks applied), draw the zones, desk line and skeletons, and write a PNG.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// The window id.
    #[arg(long)]
    window: String,

    /// Where the PNG goes. Default: snapshot-<window>.png.
    #[arg(long, value_name = "PNG")]
    out: Option<PathBuf>,

    /// Skip this many seconds of a recording first.
    #[arg(long, default_value_t = 0.0)]
    skip_s: f64,

    #[command(flatten)]
    pose: PoseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(cfg) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let Some(window) = cfg.window(&args.window) else {
        anyhow::bail!(
            "{}: no window {:?} (it has: {})",
            args.config.display(),
            args.window,
            cfg.windows.iter().map(|w| w.id.as_str()).collect::<Vec<_>>().join(", ")
        );
    };
    let Some(spec) = &window.source else {
        anyhow::bail!("{}: window {} has no `source`; add one (e.g. source = \"rtsp://…\")", args.config.display(), window.id)
    };
    let runtime = args.runtime.runtime()?;
    let catalog = args.runtime.catalog();
    let pose = PoseEstimator::load(runtime, &catalog, &args.pose.spec(&args.runtime))?;
    let mut src = capture::open(spec, CaptureOptions { fps: 2.0, ..CaptureOptions::default() })?;
    // The first frame (after --skip-s of a recording); a live source blocks
    // until it delivers, bounded by FFmpeg's own timeouts.
    let skip = (args.skip_s * 2.0).round() as usize;
    let mut frame = None;
    for _ in 0..=skip {
        frame = src.next_frame()?;
        if frame.is_none() {
            break;
        }
    }
    let frame = frame.ok_or_else(|| anyhow::anyhow!("{spec}: the source gave no frame (a recording shorter than --skip-s?)"))?;
    let img = frame.image;
    let people = pose.estimate(&img)?;
    // Faces at the agent's sensitive threshold; without the model the frame
    // is filled whole (fail closed).
    let mut detector =
        FaceDetector::load(runtime, &catalog, crate::vision::engine::EngineOptions { intra_threads: args.runtime.threads.into() })
            .map(|mut f| {
                f.thresholds.score = crate::privacy::faces::REDACT_FACE_SCORE;
                f
            })
            .map_err(|e| e.to_string());
    let faces = match &mut detector {
        Ok(f) => match search_as_checked(f, &img) {
            Ok(found) => FaceEvidence::Detected(found),
            Err(e) => FaceEvidence::Unavailable(e),
        },
        Err(e) => FaceEvidence::Unavailable(e.clone()),
    };
    if let FaceEvidence::Unavailable(why) = &faces {
        eprintln!("warning: the face model did not run ({why}); the whole frame is filled");
    }
    let rules = WindowRules::new(window);
    let obs = rules.observe(&people, img.width(), img.height());
    let (w, h) = (img.width() as f32, img.height() as f32);
    let px = |p: &crate::geometry::Polygon| p.0.iter().map(|q| (q.x * w, q.y * h)).collect::<Vec<_>>();
    let cue = Cue {
        staff_zone: px(&window.staff_zone),
        counter_zone: px(&window.counter_zone),
        desk_y: window.desk_y.map(|y| y * h),
        ..Cue::default()
    };
    let min_conf = window.thresholds.min_keypoint_conf;
    // The last look, as for a clip frame, over the PNG as it will be written.
    let (shot, look) = crate::privacy::still(
        img,
        &people,
        &faces,
        &window.masks,
        &RedactOptions::default(),
        None,
        |shot| {
            shot.draw_cue(&cue);
            shot.draw_people(&people, min_conf);
        },
        |img| match &mut detector {
            Ok(f) => search_as_checked(f, img),
            Err(e) => Err(e.clone()),
        },
    );
    if let crate::privacy::Recheck::Whole(why) = look {
        eprintln!("warning: the last look before writing filled the whole frame ({why})");
    }
    let out = args.out.unwrap_or_else(|| PathBuf::from(format!("snapshot-{}.png", window.id)));
    shot.write_png(&out).with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} ({}×{}, {} people) written to {}", window.id, w as u32, h as u32, people.len(), out.display());
    let f = |v: Option<f32>| v.map_or("–".to_string(), |v| format!("{v:.1}°"));
    println!(
        "clerk in the staff zone: {}; posture {:?}; trunk {}; neck {}; head on desk {:?}; legs crossed {:?}; citizen at the counter: {}",
        if obs.present { "yes" } else { "no" },
        obs.posture,
        f(obs.trunk_deg),
        f(obs.neck_deg),
        obs.head_on_desk,
        obs.legs_crossed,
        if obs.citizen_at_counter { "yes" } else { "no" }
    );
    Ok(ExitCode::SUCCESS)
}
