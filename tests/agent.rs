//! `liyi run`: the agent on a real video file next to a dead camera, into a
//! real SQLite store; and a kill -9 that leaves the store intact.

mod common;

use std::time::Duration;

use predicates::prelude::*;

fn setup(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::copy(common::fixture("street-walk.mp4"), dir.join("street.mp4")).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(
        &config,
        r#"hall = "测试"
[[window]]
id = "street"
source = "file:street.mp4"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
desk_y = 0.9
hours = ["00:00-23:59"]

[[window]]
id = "dead"
source = "rtsp://127.0.0.1:9/cam"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
hours = ["00:00-23:59"]
"#,
    )
    .unwrap();
    config
}

#[test]
fn a_dead_camera_does_not_harm_a_working_window() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let store = dir.path().join("edge.sqlite");
    common::liyi()
        .args(["run", "--seconds", "12", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(&store)
        .timeout(Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"street\s+16\s+16").unwrap().and(predicate::str::is_match(r"dead\s+0\s+0").unwrap()))
        .stderr(predicate::str::contains("rtsp://127.0.0.1:9/cam").and(predicate::str::contains("cannot open")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let minutes = rt.block_on(async { liyi::store::Store::open(&store).await.unwrap().minutes(Some("street")).await.unwrap() });
    assert!(!minutes.is_empty(), "minute metrics landed in SQLite");
    let observed: f64 = minutes.iter().map(|m| m.observed_s).sum();
    assert!(observed > 5.0, "{observed}");
}

#[test]
fn kill_9_leaves_a_store_that_opens_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let store = dir.path().join("edge.sqlite");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liyi"))
        .args(["run", "--loop-files", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(&store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(8));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.expect("the store opens after kill -9");
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        s.minutes(None).await.unwrap();
    });
}

#[test]
fn bad_config_and_missing_sources_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nosource.toml");
    std::fs::write(
        &config,
        "hall = \"h\"\n[[window]]\nid = \"w\"\nstaff_zone = [[0,0],[1,0],[1,1]]\ncounter_zone = [[0,0],[1,0],[1,1]]\nhours = [\"08:00-17:00\"]\n",
    )
    .unwrap();
    common::liyi()
        .args(["run", "--seconds", "1", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(dir.path().join("s.sqlite"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no window has a `source`"));
}
