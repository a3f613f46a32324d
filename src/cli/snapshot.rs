//! `liyi snapshot --config FILE --window ID [--out PNG]`: one frame of a
//! window's source, through the redaction gate, with its zones, desk line
//! and the people's skeletons drawn, plus what the rules see in it. For
//! installers checking a camera and its zones; no unblurred pixel leaves.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use image::RgbImage;

use super::{PoseArgs, RuntimeArgs, load_config};
use crate::capture::{self, CaptureOptions};
use crate::config::Window;
use crate::privacy::Cue;
use crate::privacy::faces::search_as_checked;
use crate::privacy::{FaceEvidence, RedactOptions};
use crate::privacy::{Recheck, RedactedFrame};
use crate::rules::WindowRules;
use crate::vision::Person;
use crate::vision::detector::Detection;
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
    let rules = WindowRules::new(window);
    let obs = rules.observe(&people, img.width(), img.height());
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (shot, look) = snapshot_still(img, &people, window, |img| match &mut detector {
        Ok(f) => search_as_checked(f, img),
        Err(e) => Err(e.clone()),
    });
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

/// The snapshot's still: the first face search and the last look both by
/// `search` (the face model as a check searches), the window's masks, its
/// zones and desk line drawn with the people, at the camera's size. The
/// last look runs over the PNG as it will be written.
fn snapshot_still(
    img: RgbImage,
    people: &[Person],
    window: &Window,
    mut search: impl FnMut(&RgbImage) -> Result<Vec<Detection>, String>,
) -> (RedactedFrame, Recheck) {
    let faces = match search(&img) {
        Ok(found) => FaceEvidence::Detected(found),
        Err(e) => FaceEvidence::Unavailable(e),
    };
    if let FaceEvidence::Unavailable(why) = &faces {
        eprintln!("warning: the face model did not run ({why}); the whole frame is filled");
    }
    let (w, h) = (img.width() as f32, img.height() as f32);
    let px = |p: &crate::geometry::Polygon| p.0.iter().map(|q| (q.x * w, q.y * h)).collect::<Vec<_>>();
    let cue = Cue {
        staff_zone: px(&window.staff_zone),
        counter_zone: px(&window.counter_zone),
        desk_y: window.desk_y.map(|y| y * h),
        ..Cue::default()
    };
    let min_conf = window.thresholds.min_keypoint_conf;
    crate::privacy::still(
        img,
        people,
        &faces,
        &window.masks,
        &RedactOptions::default(),
        None,
        |shot| {
            shot.draw_cue(&cue);
            shot.draw_people(people, min_conf);
        },
        search,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BBox;

    /// A gradient with a checkered "face" at (800, 200)–(880, 280) and a
    /// checkered notice at (40, 400)–(200, 540), under the window's mask.
    fn scene() -> RgbImage {
        let checkered = |x: u32, y: u32| if (x / 10 + y / 10) % 2 == 0 { image::Rgb([230, 200, 180]) } else { image::Rgb([20, 30, 40]) };
        RgbImage::from_fn(1280, 720, |x, y| {
            let face = (800..880).contains(&x) && (200..280).contains(&y);
            let notice = (40..200).contains(&x) && (400..540).contains(&y);
            if face || notice { checkered(x, y) } else { image::Rgb([(x * 255 / 1280) as u8, 110, 90]) }
        })
    }

    fn spread(img: &RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32), channel: usize) -> u8 {
        let v: Vec<u8> = (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| img.get_pixel(x, y).0[channel]).collect();
        v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
    }

    fn window() -> Window {
        let text = r#"hall = "t"
[[window]]
id = "w1"
source = "rtsp://127.0.0.1:9/cam"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
masks = [[[0.0, 0.5], [0.2, 0.5], [0.2, 0.8], [0.0, 0.8]]]
hours = ["00:00-23:59"]
"#;
        crate::config::parse(text, std::path::Path::new("t.toml")).expect("test config").windows.remove(0)
    }

    /// The snapshot's own wiring, with a first search that misses the face:
    /// the last look, over the still as drawn, fills it; the mask is filled
    /// and the rest kept.
    #[test]
    fn the_snapshot_s_last_look_fills_a_face_the_first_search_missed() {
        let w = window();
        assert_eq!(w.masks.len(), 1, "the test window has its mask");
        let mut calls = 0;
        let (shot, look) = snapshot_still(scene(), &[], &w, |img| {
            calls += 1;
            assert_eq!(img.dimensions(), (1280, 720));
            // The first search misses; later ones find the face while it
            // is there, as a real search would.
            Ok(if calls > 1 && spread(img, (800, 200, 880, 280), 1) > 50 {
                vec![Detection { bbox: BBox::new(800.0, 200.0, 880.0, 280.0), score: 0.9 }]
            } else {
                Vec::new()
            })
        });
        assert!(calls >= 2, "the last look searched");
        assert_eq!(look, Recheck::Filled(1));
        assert_eq!(shot.image().dimensions(), (1280, 720));
        assert!(spread(shot.image(), (802, 202, 878, 278), 1) < 50, "the face the first search missed is filled");
        assert!(spread(shot.image(), (42, 402, 198, 538), 1) < 50, "the notice under the mask is filled");
        assert!(spread(shot.image(), (1000, 600, 1270, 710), 0) > 30, "the gradient elsewhere is kept");
    }

    /// A face model that cannot run fills the whole snapshot.
    #[test]
    fn a_snapshot_without_a_face_model_is_filled_whole() {
        // Filled whole at the gate: the last look has nothing left to see.
        let (shot, _) = snapshot_still(scene(), &[], &window(), |_| Err("no face model".into()));
        // Away from the zones' outlines, drawn over the fill: the face, the
        // notice and the gradient are gone.
        for part in [(660, 230, 1260, 700), (20, 380, 620, 700)] {
            assert!(spread(shot.image(), part, 0) < 60 && spread(shot.image(), part, 1) < 60, "filled whole: {part:?}");
        }
    }
}
