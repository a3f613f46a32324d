//! `liyi attire enroll|check`: the reference-based badge and uniform check.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{PoseArgs, RuntimeArgs};
use crate::attire::enroll::Patches;
use crate::attire::text::TextDetector;
use crate::attire::{AttireChecker, Cues, Reference, Verdict, enroll};
use crate::vision::engine::EngineOptions;
use crate::vision::pose::PoseEstimator;

/// Enrol a hall's badge or uniform from its own photos, or check photos
/// against an enrolment. Only numbers are stored, never pixels.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,

    /// The photos are single-person crops (e.g. from a dataset): take the
    /// chest as a band of each photo instead of finding it from keypoints.
    #[arg(long, global = true)]
    person_crops: bool,

    #[command(flatten)]
    pose: PoseArgs,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Build references from photos of staff at their windows: 3-10 with
    /// the item worn, and at least 2 without (they calibrate the threshold).
    Enroll {
        /// Folder of photos with the badge (or uniform) worn.
        #[arg(long, value_name = "DIR")]
        with: PathBuf,
        /// Folder of photos without it.
        #[arg(long, value_name = "DIR")]
        without: PathBuf,
        /// Enrol the uniform (colour only) instead of the badge.
        #[arg(long)]
        uniform: bool,
        /// Every photo with the badge has its badge marked in a YOLO label
        /// file beside it (NAME.txt: `0 cx cy w h`, normalised): the badge
        /// itself is then matched, the strongest cue.
        #[arg(long, conflicts_with = "uniform")]
        badge_boxes: bool,
        /// Compare whole-chest features only: no badge patches (neither
        /// marked nor found). For measuring; less accurate.
        #[arg(long, conflicts_with = "badge_boxes")]
        no_patches: bool,
        /// Where the references go (JSON: numbers only).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Score every person in photos against references.
    Check {
        #[arg(long, value_name = "FILE")]
        reference: PathBuf,
        /// Photos (files or folders).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// One JSON object per person on stdout.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = args.runtime.runtime()?;
    let catalog = args.runtime.catalog();
    let pose = PoseEstimator::load(runtime, &catalog, &args.pose.spec(&args.runtime))?;
    let mut text = TextDetector::load(runtime, &catalog, EngineOptions { intra_threads: args.runtime.threads.into() })?;
    let mut checker = AttireChecker { pose: &pose, text: Some(&mut text), person_crops: args.person_crops };
    match args.command {
        Cmd::Enroll { with, without, uniform, badge_boxes, no_patches, out } => {
            let cues = if uniform { Cues::Uniform } else { Cues::Badge };
            let patches = if no_patches {
                Patches::None
            } else if badge_boxes {
                Patches::Marked
            } else {
                Patches::Found
            };
            let reference = enroll(&mut checker, &with, &without, cues, patches)?;
            let json = serde_json::to_vec_pretty(&reference)?;
            crate::atomic::write_bytes(&out, &json).with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "enrolled {} with and {} without; threshold {:.3}; leave-one-out accuracy on the photos {:.0} %; written to {}",
                reference.positives.len(),
                reference.negatives.len(),
                reference.threshold,
                reference.loo_accuracy * 100.0,
                out.display()
            );
            if let Some(cut) = reference.patch_cut {
                let from = if badge_boxes { "from the marked boxes" } else { "found in the photos (no boxes marked)" };
                println!(
                    "badge patches: {} {from}; match threshold {:.3}; leave-one-photo-out accuracy {:.0} % (this is the score used)",
                    reference.patches.len(),
                    cut.threshold,
                    cut.loo_accuracy * 100.0
                );
            }
            let used = reference.patch_cut.map_or(reference.loo_accuracy, |c| c.loo_accuracy);
            if used < 0.8 {
                eprintln!(
                    "warning: the photos with and without are hard to tell apart ({:.0} %); take them from the window camera's view, chest in sight",
                    used * 100.0
                );
            }
        }
        Cmd::Check { reference, inputs, json } => {
            let text = std::fs::read_to_string(&reference).with_context(|| format!("cannot read {}", reference.display()))?;
            let reference = Reference::from_json(&text).map_err(|e| {
                anyhow::anyhow!("{} is not a reference file from `liyi attire enroll`: {e}. Fix: enrol again", reference.display())
            })?;
            for path in crate::imageio::expand_inputs(&inputs)? {
                let img = crate::attire::enroll::enlarged(crate::imageio::load_rgb(&path)?);
                if args.person_crops {
                    let score = match checker.photo_chest(&img)? {
                        Some(c) => Some(checker.score(&img, &c, &reference)?),
                        None => None,
                    };
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "path": path, "person": 0, "score": score, "worn": score.map(|s| s >= 0.5), "unknown": score.is_none().then_some("too small") })
                        );
                    } else {
                        println!(
                            "{}: {}",
                            path.display(),
                            score.map_or("unknown (too small)".to_string(), |s| format!(
                                "{s:.2} {}",
                                if s >= 0.5 { "worn" } else { "NOT worn" }
                            ))
                        );
                    }
                    continue;
                }
                let people = pose.estimate(&img)?;
                if people.is_empty() && !json {
                    println!("{}: no person", path.display());
                }
                for (i, p) in people.iter().enumerate() {
                    let verdict = checker.check(&img, p, None, &reference)?;
                    let (score, unknown) = match verdict {
                        Verdict::Score(s) => (Some(s), None),
                        Verdict::Unknown(u) => (None, Some(u.as_str())),
                    };
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "path": path, "person": i, "score": score, "worn": score.map(|s| s >= 0.5), "unknown": unknown })
                        );
                    } else {
                        match (score, unknown) {
                            (Some(s), _) => {
                                println!("{} person {i}: {:.2} {}", path.display(), s, if s >= 0.5 { "worn" } else { "NOT worn" })
                            }
                            (_, u) => println!("{} person {i}: unknown ({})", path.display(), u.unwrap_or("")),
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
