//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/` beside the repository (or `$LIYI_SHARED`): the workplace's
/// models and the fixtures whose licences keep them out of the repository.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("LIYI_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared"));
    if dir.join("fixtures").is_dir() {
        Some(dir)
    } else {
        assert!(
            std::env::var_os("LIYI_REQUIRE_SHARED").is_none(),
            "LIYI_REQUIRE_SHARED is set but {} has no fixtures/",
            dir.display()
        );
        None
    }
}

/// Where a reference JSON's image lives: in `tests/fixtures/` when its
/// licence allows, else in `../shared/fixtures/`.
pub fn reference_image(source: &str) -> Option<PathBuf> {
    let local = [repo().join("tests/fixtures").join(source), repo().join("tests/fixtures/street-walk").join(source)];
    if let Some(p) = local.into_iter().find(|p| p.is_file()) {
        return Some(p);
    }
    let p = shared()?.join("fixtures").join(source);
    p.is_file().then_some(p)
}

/// The opt-in YOLO11n-pose model, from `../shared/models/` when present.
pub fn yolo_model() -> Option<PathBuf> {
    let p = shared()?.join("models/pose/yolo11n-pose-dynamic.onnx");
    p.is_file().then_some(p)
}

/// The built `liyi` binary.
pub fn liyi() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("liyi").expect("liyi binary is built")
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
