//! Pose pipeline benchmarks: image decoding, pre-processing, raw
//! `session.run`, post-processing and the whole frame, for the default
//! pipeline (CenterNet + MoveNet thunder) and, when `../shared/models` is
//! present, the opt-in YOLO11n-pose; 1 against 2 intra-op threads.
//!
//!     cargo bench --bench pipeline
//!
//! After criterion's groups it prints the ratio of whole-frame time to the
//! time spent inside `session.run` (goal ≤ 1.10), decoding excluded.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use liyi::vision::catalog::Catalog;
use liyi::vision::detector::PersonDetector;
use liyi::vision::engine::{Engine, EngineOptions, view_f32};
use liyi::vision::movenet::{self, CROP_SCALE, MoveNet};
use liyi::vision::pose::{PoseEstimator, PoseSpec};
use liyi::vision::preprocess::{SquareCrop, resize_rgb};
use liyi::vision::runtime;
use liyi::vision::tensor::InputTensor;

fn frame_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/street-walk/frame-100.jpg")
}

fn yolo_path() -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models/pose/yolo11n-pose-dynamic.onnx");
    p.is_file().then(|| p.display().to_string())
}

fn engine(catalog: &Catalog, name: &str, threads: usize) -> Engine {
    let rt = runtime::init(None).expect("ONNX Runtime: run scripts/fetch-onnxruntime.sh");
    Engine::load(rt, catalog.resolve(name, None).unwrap(), EngineOptions { intra_threads: threads }).unwrap()
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::new(liyi::paths::models_dir());
    let bytes = std::fs::read(frame_path()).unwrap();
    let img = liyi::imageio::decode_rgb(&bytes, &frame_path()).unwrap();

    c.bench_function("decode/jpeg_1768x994", |b| b.iter(|| liyi::imageio::decode_rgb(black_box(&bytes), Path::new("f")).unwrap()));

    // A clip frame packed for the pre-roll, and unpacked when a clip is cut.
    let clip_frame = liyi::privacy::redact(
        &resize_rgb(&img, 640, 360),
        &[],
        &liyi::privacy::FaceEvidence::Detected(Vec::new()),
        &liyi::privacy::RedactOptions::default(),
    );
    let packed = clip_frame.pack().unwrap();
    eprintln!("packed 640x360 clip frame: {} bytes (raw {})", packed.len(), 640 * 360 * 3);
    c.bench_function("privacy/pack_640x360", |b| b.iter(|| black_box(&clip_frame).pack().unwrap()));
    c.bench_function("privacy/unpack_640x360", |b| b.iter(|| black_box(&packed).unpack().unwrap()));

    // Pre-processing of the default pipeline.
    let centernet = engine(&catalog, "centernet-coco", 1);
    let det_spec = centernet.manifest.input.clone();
    let mut detector = PersonDetector::new(centernet).unwrap();
    // The default: the frame stretched to 512 x 512 (docs/pipelines.md).
    let (det_w, det_h) = detector.input_size(img.width(), img.height());
    let mut group = c.benchmark_group("preprocess");
    group.bench_function(format!("centernet_{det_w}x{det_h}"), |b| {
        b.iter(|| InputTensor::from_image(&resize_rgb(black_box(&img), det_w, det_h), &det_spec))
    });
    let person = detector.detect(&img).unwrap()[0].bbox;
    let thunder = engine(&catalog, "movenet-thunder", 1);
    let pose_spec = thunder.manifest.input.clone();
    let crop = SquareCrop::around(&person, CROP_SCALE);
    group.bench_function("movenet_crop_256", |b| {
        b.iter(|| InputTensor::from_image(&crop.extract(black_box(&img), pose_spec.size[0]), &pose_spec))
    });
    group.finish();

    // Raw session.run, 1 against 2 threads.
    let mut group = c.benchmark_group("session_run");
    group.sample_size(10).measurement_time(Duration::from_secs(4));
    let thunder_input = InputTensor::from_image(&crop.extract(&img, pose_spec.size[0]), &pose_spec);
    let det_input = InputTensor::from_image(&resize_rgb(&img, det_w, det_h), &det_spec);
    for threads in [1, 2] {
        let mut e = engine(&catalog, "movenet-thunder", threads);
        group.bench_function(format!("movenet_thunder/{threads}t"), |b| b.iter(|| drop(e.infer(&thunder_input).unwrap())));
        let mut e = engine(&catalog, "centernet-coco", threads);
        group.bench_function(format!("centernet/{threads}t"), |b| b.iter(|| drop(e.infer(&det_input).unwrap())));
    }
    group.finish();

    // Post-processing.
    let mut e = thunder;
    let raw = {
        let out = e.infer(&thunder_input).unwrap();
        view_f32(&out, "movenet-thunder", "Identity:0").unwrap().to_owned()
    };
    c.bench_function("postprocess/movenet_decode", |b| b.iter(|| movenet::decode(black_box(raw.view()), &crop).unwrap()));
    drop(MoveNet::new(e));

    // Badge patches: 10 badge-sized patches matched on one clerk's chest
    // (torso 180 px, search region about 200 × 290 px), as the agent does
    // every `[attire] every_s`.
    {
        use liyi::attire::template;
        let gray = image::imageops::grayscale(&img);
        let patches: Vec<_> = (0..10)
            .filter_map(|i| template::cut(&gray, [300.0 + 20.0 * i as f32, 300.0, 345.0 + 20.0 * i as f32, 330.0], 180.0, &format!("p{i}")))
            .collect();
        let chest = liyi::attire::Chest { x0: 700, y0: 300, x1: 880, y1: 550, scale: 180.0 };
        assert_eq!(patches.len(), 10);
        c.bench_function("attire/badge_match_10_patches", |b| {
            b.iter(|| template::match_chest(black_box(&img), &chest, false, &patches, None))
        });
    }

    // Whole frame (decoding excluded), 1 against 2 threads.
    let mut group = c.benchmark_group("whole_frame");
    group.sample_size(10).measurement_time(Duration::from_secs(6));
    for threads in [1, 2] {
        let rt = runtime::init(None).unwrap();
        let spec = PoseSpec { engine: EngineOptions { intra_threads: threads }, ..PoseSpec::default() };
        let est = PoseEstimator::load(rt, &catalog, &spec).unwrap();
        group.bench_function(format!("{}/{threads}t", est.name()), |b| b.iter(|| est.estimate(black_box(&img)).unwrap()));
        if let Some(yolo) = yolo_path() {
            let spec = PoseSpec { pose: yolo, engine: EngineOptions { intra_threads: threads }, ..PoseSpec::default() };
            let est = PoseEstimator::load(rt, &catalog, &spec).unwrap();
            group.bench_function(format!("{}/{threads}t", est.name()), |b| b.iter(|| est.estimate(black_box(&img)).unwrap()));
        }
    }
    group.finish();
}

/// Whole-frame time over time inside `session.run`, over 20 frames.
fn overhead_report() {
    let catalog = Catalog::new(liyi::paths::models_dir());
    let rt = runtime::init(None).unwrap();
    let img = liyi::imageio::load_rgb(&frame_path()).unwrap();
    let mut specs = vec![PoseSpec::default()];
    if let Some(yolo) = yolo_path() {
        specs.push(PoseSpec { pose: yolo, ..PoseSpec::default() });
    }
    println!("\nwhole frame / session.run (decoding excluded), frame-100.jpg 1768x994, 20 frames:");
    for threads in [1, 2] {
        for spec in &specs {
            let spec = PoseSpec { engine: EngineOptions { intra_threads: threads }, ..spec.clone() };
            let est = PoseEstimator::load(rt, &catalog, &spec).unwrap();
            est.estimate(&img).unwrap();
            let (mut total, mut inference) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..20 {
                let (_, t) = est.estimate_timed(&img).unwrap();
                total += t.total;
                inference += t.inference;
            }
            println!(
                "  {:<34} {threads} thread(s): {:>6.1} ms/frame, {:>6.1} ms in session.run, ratio {:.3}",
                est.name(),
                total.as_secs_f64() * 1e3 / 20.0,
                inference.as_secs_f64() * 1e3 / 20.0,
                total.as_secs_f64() / inference.as_secs_f64()
            );
        }
    }
}

criterion_group!(pipeline, benches);

fn main() {
    pipeline();
    Criterion::default().configure_from_args().final_summary();
    overhead_report();
}
