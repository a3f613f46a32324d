//! Per-frame accuracy of the observation functions on real labelled photos
//! (for docs/accuracy.md):
//!
//! sit / stand, raised front camera: `ClaBehavior-classroom` (COCO boxes;
//! `stand` against every seated label), from the desk line alone, as on a
//! window with no baseline learnt yet.
//!
//! Slouching and head on desk are judged against each clerk's own learnt
//! baseline, facing the camera, over minutes of video; single photos of
//! strangers (or side views) cannot measure them, so the simulator families
//! do (`examples/accuracy_sim.rs`).
//!
//!     cargo run --release --example accuracy_images -- [--pose NAME|PATH] [DATASETS_DIR]
//!
//! DATASETS_DIR defaults to ../shared/datasets. The images are not in the
//! repository (their licences do not allow it); only the figures are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use liyi::geometry::{BBox, Point, Polygon};
use liyi::rules::observe::{Geometry, Posture, observe};
use liyi::rules::posture::Motion;
use liyi::vision::catalog::Catalog;
use liyi::vision::pose::{PoseEstimator, PoseSpec};
use serde::Deserialize;

#[derive(Deserialize)]
struct Coco {
    images: Vec<CocoImage>,
    annotations: Vec<CocoAnn>,
}

#[derive(Deserialize)]
struct CocoImage {
    id: u64,
    file_name: String,
    width: f32,
    height: f32,
}

#[derive(Deserialize)]
struct CocoAnn {
    image_id: u64,
    bbox: [f32; 4],
    category_id: u32,
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut spec = PoseSpec::default();
    if let Some(i) = args.iter().position(|a| a == "--pose") {
        spec.pose = args.get(i + 1).cloned().expect("--pose needs a value");
        args.drain(i..=i + 1);
    }
    let root = args.first().map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    let rt = liyi::vision::runtime::init(None)?;
    let catalog = Catalog::new(liyi::paths::models_dir());
    let est = PoseEstimator::load(rt, &catalog, &spec)?;
    println!("pose pipeline: {}\n", est.name());
    classroom(&root.join("ClaBehavior-classroom"), &est)?;
    Ok(())
}

fn geometry(zone: BBox, desk_y: Option<f32>, tilt_deg: f32, (width, height): (u32, u32)) -> Geometry {
    let z = Polygon(vec![
        Point::new(zone.x1, zone.y1),
        Point::new(zone.x2, zone.y1),
        Point::new(zone.x2, zone.y2),
        Point::new(zone.x1, zone.y2),
    ]);
    Geometry {
        staff_zone: z,
        counter_zone: Polygon(vec![]),
        desk_y,
        desk_doubted: false,
        tilt_deg,
        min_conf: 0.5,
        min_leg_conf: 0.6,
        width,
        height,
    }
}

/// Sit/stand on the classroom set: for each labelled student, the matching
/// detected person's observation, with the desk line taken at the bottom of
/// the labelled box (the desk cuts the visible body there).
fn classroom(dir: &Path, est: &PoseEstimator) -> anyhow::Result<()> {
    let wanted: std::collections::BTreeSet<String> =
        std::fs::read_to_string(dir.join("labels.csv"))?.lines().skip(1).filter_map(|l| l.split(',').next().map(str::to_string)).collect();
    // confusion[(truth, observed)] = count
    let mut confusion: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    let mut images = 0;
    for split in ["train", "val"] {
        let coco: Coco = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("annotations/instances_{split}2017.json")))?)?;
        for im in &coco.images {
            let rel = format!("images/{split}/{}", im.file_name);
            if !wanted.contains(&rel) {
                continue;
            }
            let img = liyi::imageio::load_rgb(&dir.join(&rel))?;
            let (sx, sy) = (img.width() as f32 / im.width, img.height() as f32 / im.height);
            let people = est.estimate(&img)?;
            images += 1;
            for a in coco.annotations.iter().filter(|a| a.image_id == im.id) {
                let b = BBox::new(a.bbox[0] * sx, a.bbox[1] * sy, (a.bbox[0] + a.bbox[2]) * sx, (a.bbox[1] + a.bbox[3]) * sy);
                let truth = if a.category_id == 6 { "stand" } else { "sit" };
                let best = people.iter().max_by(|p, q| p.bbox.iou(&b).total_cmp(&q.bbox.iou(&b))).filter(|p| p.bbox.iou(&b) >= 0.3);
                let observed = match best {
                    None => "not found",
                    Some(p) => {
                        let g = geometry(b.expand(0.1), Some(b.y2), 20.0, img.dimensions());
                        match observe(std::slice::from_ref(p), &g, None, Motion::default()).posture {
                            Some(Posture::Sitting) => "sit",
                            Some(Posture::Standing) => "stand",
                            None => "unknown",
                        }
                    }
                };
                *confusion.entry((truth, observed)).or_default() += 1;
            }
        }
    }
    println!("### Sit / stand — ClaBehavior-classroom ({images} images, raised front camera)\n");
    println!("| truth \\ observed | sit | stand | unknown | person not found |");
    println!("|---|---|---|---|---|");
    for truth in ["sit", "stand"] {
        let c = |o: &str| confusion.get(&(truth, o)).copied().unwrap_or(0);
        println!("| {truth} | {} | {} | {} | {} |", c("sit"), c("stand"), c("unknown"), c("not found"));
    }
    let judged: u32 = confusion.iter().filter(|((_, o), _)| *o == "sit" || *o == "stand").map(|(_, n)| n).sum();
    let right: u32 = confusion.iter().filter(|((t, o), _)| t == o).map(|(_, n)| n).sum();
    let all: u32 = confusion.values().sum();
    let stand_tp = confusion.get(&("stand", "stand")).copied().unwrap_or(0) as f64;
    let stand_fp = confusion.get(&("sit", "stand")).copied().unwrap_or(0) as f64;
    let stand_fn = confusion.get(&("stand", "sit")).copied().unwrap_or(0) as f64;
    println!(
        "\naccuracy on judged students {:.3} ({right}/{judged}); judged {:.3} of {all} labelled; standing precision {:.3}, recall {:.3} (judged only)\n",
        f64::from(right) / f64::from(judged.max(1)),
        f64::from(judged) / f64::from(all.max(1)),
        stand_tp / (stand_tp + stand_fp).max(1.0),
        stand_tp / (stand_tp + stand_fn).max(1.0)
    );
    Ok(())
}
