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

/// A window over the street video: the standing person's half is the staff
/// zone, the walker's half the counter zone.
pub const STREET_WINDOW: &str = r#"[[window]]
id = "street"
source = "file:street.mp4"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
desk_y = 0.9
hours = ["00:00-23:59"]
"#;

/// Copies the sample video into `dir` as `street.mp4` and writes
/// `dir/hall.toml` with the street window plus `more` (further windows).
pub fn street_config(dir: &Path, more: &str) -> PathBuf {
    std::fs::copy(repo().join("assets/street-walk.mp4"), dir.join("street.mp4")).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(&config, format!("hall = \"测试\"\n{STREET_WINDOW}\n{more}")).unwrap();
    config
}
