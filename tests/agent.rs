//! `liyi run`: the agent on a real video file next to a dead camera, into a
//! real SQLite store; and a kill -9 that leaves the store intact.

mod common;

use std::time::Duration;

use predicates::prelude::*;

fn setup(dir: &std::path::Path) -> std::path::PathBuf {
    common::street_config(
        dir,
        r#"[[window]]
id = "dead"
source = "rtsp://127.0.0.1:9/cam"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
hours = ["00:00-23:59"]
"#,
    )
}

#[test]
fn a_dead_camera_does_not_harm_a_working_window() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let store = dir.path().join("edge.sqlite");
    common::liyi()
        // The 8 s file is read once within the run's 20 s even on a loaded
        // machine; a slow one may leave a frame stale (superseded before it
        // was analysed), so analysed is any number but 0.
        .args(["run", "--seconds", "20", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(&store)
        .timeout(Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"street\s+16\s+[1-9]").unwrap().and(predicate::str::is_match(r"dead\s+0\s+0").unwrap()))
        .stderr(predicate::str::contains("rtsp://127.0.0.1:9/cam").and(predicate::str::contains("cannot open")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let minutes = rt.block_on(async { liyi::store::Store::open(&store).await.unwrap().minutes(Some("street")).await.unwrap() });
    assert!(!minutes.is_empty(), "minute metrics landed in SQLite");
    let observed: f64 = minutes.iter().map(|m| m.observed_s).sum();
    assert!(observed > 5.0, "{observed}");
}

/// Minutes are written as they complete: a kill -9 loses none of them,
/// and the store opens cleanly afterwards.
#[test]
fn kill_9_keeps_every_completed_minute() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let store = dir.path().join("edge.sqlite");
    let mut agent = common::RunningAgent::looping(&config, &store, None);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // A minute is stored the moment it closes (and amended if a backdated
    // event changes it within the next minute): up to a minute of running.
    common::wait_for(Duration::from_secs(20), || store.exists().then_some(())).expect("the agent creates its store");
    let reader = rt.block_on(liyi::store::Store::open(&store)).unwrap();
    let stored = common::wait_for(Duration::from_secs(180), || {
        std::thread::sleep(Duration::from_millis(900));
        rt.block_on(reader.minutes(Some("street"))).ok().filter(|m| !m.is_empty())
    })
    .expect("a completed minute is stored while the agent runs");
    rt.block_on(reader.close());
    agent.child.kill().unwrap(); // SIGKILL
    agent.child.wait().unwrap();
    rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.expect("the store opens after kill -9");
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        let after = s.minutes(Some("street")).await.unwrap();
        for m in &stored {
            assert!(after.contains(m), "minute {:?} was stored before the kill and is gone or changed", m.minute);
        }
    });
}

/// An event open at a kill -9 is in the store (open), and the next start
/// closes it "interrupted" at the last observed time; every clip in the
/// store belongs to a stored event.
#[test]
fn kill_9_leaves_an_open_event_that_the_restart_closes() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::demo_config(dir.path(), "");
    let store = dir.path().join("edge.sqlite");
    let args = ["--loop-files".as_ref(), "--config".as_ref(), config.as_os_str(), "--store".as_ref(), store.as_os_str()];
    let mut agent = common::RunningAgent::spawn(&args);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    common::wait_for(Duration::from_secs(30), || store.exists().then_some(())).expect("the agent creates its store");
    let reader = rt.block_on(liyi::store::Store::open(&store)).unwrap();
    // w02's staff zone is empty: an absence opens once its 60 s tolerance
    // has passed (a generous cap for a loaded machine, not asserted).
    let open = common::wait_for(Duration::from_secs(300), || {
        std::thread::sleep(Duration::from_millis(900));
        let events = rt.block_on(reader.events(Some("w02"))).ok()?;
        events.into_iter().find(|e| e.rule == liyi::rules::RuleCode::Absent && e.closed_by == liyi::store::OPEN)
    })
    .expect("the absence is stored open while it lasts");
    assert_eq!((open.end, open.duration_s), (open.start, 0.0));
    rt.block_on(reader.close());
    agent.child.kill().unwrap(); // SIGKILL
    agent.child.wait().unwrap();
    drop(agent);

    // A short run: its start-up closes what the kill left open.
    common::liyi()
        .args(["run", "--seconds", "2", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(&store)
        .timeout(Duration::from_secs(180))
        .assert()
        .success();
    rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.unwrap();
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        let events = s.events(None).await.unwrap();
        let closed = events.iter().find(|e| e.window == "w02" && e.rule == open.rule && e.start == open.start).expect("the event is kept");
        assert_eq!(closed.closed_by, liyi::store::INTERRUPTED);
        assert!(closed.end >= closed.start && closed.duration_s >= 0.0, "{closed:?}");
        assert!(events.iter().all(|e| e.closed_by != liyi::store::OPEN), "nothing is left open: {events:?}");
        for c in s.clips().await.unwrap() {
            assert!(
                events.iter().any(|e| e.window == c.window && e.rule.as_str() == c.rule && e.start == c.event_start),
                "clip {} has no stored event",
                c.video
            );
        }
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
        .args(["run", "--seconds", "1", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(dir.path().join("s.sqlite"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no window has a `source`"));
}

#[test]
fn status_and_metrics_are_served_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let store = dir.path().join("edge.sqlite");
    let agent = common::RunningAgent::looping(&config, &store, Some(30));
    assert!(agent.addr.starts_with("127.0.0.1:"), "{}", agent.addr);
    let street =
        common::wait_for(Duration::from_secs(20), || Some(agent.window("street")).filter(|w| w["frames_analysed"].as_u64() > Some(0)))
            .expect("the street window is analysed");
    assert_eq!(street["source_up"], true);
    for k in ["face_searches_whole", "face_searches_part", "face_reuses", "clip_frames_refilled", "clip_frames_refilled_whole"] {
        assert!(street[k].is_u64(), "/status counts the face searches and the last look's fills: {k}");
    }
    for k in ["visits", "hidden"] {
        assert!(street["baseline"]["visits"][k].is_u64(), "/status counts the visits a visitor hid the clerk in: {k}");
    }
    let short = street["shortfall"].as_f64().expect("the street window's shortfall is reported");
    assert!((0.0..=1.0).contains(&short), "{short}");
    assert_eq!(agent.window("dead")["shortfall"], 1.0, "a window with no frames misses its whole rate");
    let dead = agent.window("dead");
    assert_eq!(dead["source_up"], false);
    assert!(dead["last_error"].as_str().unwrap().contains("cannot open"));
    let metrics = agent.get("/metrics");
    for needle in [
        "liyi_frames_in_total{window=\"street\"}",
        "liyi_inference_seconds_bucket{window=\"street\",le=\"+Inf\"}",
        "liyi_rule_state{window=\"street\",rule=\"absent\"",
        "liyi_last_frame_age_seconds",
        "liyi_source_reconnects_total",
        "liyi_analysis_shortfall_ratio{window=\"street\"}",
        "liyi_face_searches_total{window=\"street\",search=\"part\"}",
        "liyi_clip_last_look_total{window=\"street\",result=\"whole\"}",
        "liyi_recent_visits{window=\"street\"}",
        "liyi_recent_visits_hidden{window=\"street\"}",
    ] {
        assert!(metrics.contains(needle), "{needle}\n{metrics}");
    }
    let page = agent.get("/");
    assert!(page.contains("窗口") && page.contains("street") && !page.contains("<img"), "{page}");
    assert!(agent.get("/?lang=en").contains("Liyi edge box status"));
}

/// A still scene (one frame of the street video held for 8 s) is judged
/// almost entirely by the motion gate; with the gate off, every frame runs
/// inference.
#[test]
fn motion_gate_skips_inference_on_a_still_scene() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-loop", "1", "-i"])
        .arg(common::fixture("street-walk/frame-100.jpg"))
        .args(["-t", "8", "-r", "5", "-vf", "scale=1280:720", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(dir.path().join("still.mp4"))
        .status()
        .expect("ffmpeg is installed by scripts/setup.sh");
    assert!(status.success());
    let config = dir.path().join("still.toml");
    std::fs::write(
        &config,
        "hall = \"h\"\n[[window]]\nid = \"still\"\nsource = \"file:still.mp4\"\nstaff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]\ncounter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]\ndesk_y = 0.9\nhours = [\"00:00-23:59\"]\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = common::liyi()
            .args(["run", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--store")
            .arg(dir.path().join(format!("s{}.sqlite", extra.len())))
            .args(extra)
            .timeout(Duration::from_secs(120))
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        let row: Vec<u64> = stdout
            .lines()
            .find(|l| l.starts_with("still"))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .take(6)
            .map(|v| v.parse().unwrap())
            .collect();
        row
    };
    let gated = run(&[]);
    assert_eq!(gated[0], 16, "8 s at 2 fps");
    assert!(gated[2] >= 13, "at most the first frame and the 10 s refresh run inference: {gated:?}");
    let ungated = run(&["--no-motion-gate"]);
    assert_eq!(ungated[2], 0);
}

/// `liyi demo` from an unrelated folder: the agent on the shipped video,
/// everything written under --data-dir, and window w02's empty post found.
#[test]
fn demo_runs_from_any_folder() {
    let cwd = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = common::liyi()
        .current_dir(cwd.path())
        .env("TMPDIR", tmp.path())
        .args(["demo", "--seconds", "66", "--data-dir"])
        .arg(data.path())
        .timeout(Duration::from_secs(300))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("w02 absent"), "{stdout}");
    assert!(stdout.contains("Minute metrics") && stdout.contains("1号窗口"), "{stdout}");
    assert!(data.path().join("edge.sqlite").is_file());
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0, "nothing written outside --data-dir");
    // No pixels in the temporary folder. (ONNX Runtime leaves a 51-byte
    // `.ses` file there: a timestamp and a session id.)
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.len() < 1024 && liyi::audit::embedded_media(&bytes).is_none(), "{} in the temporary folder", p.display());
    }
    // w02's absence leaves a finished clip: video, thumbnail and sidecar,
    // no temporary file, and the privacy audit passes on all of it.
    assert!(stdout.contains("w02-absent-") && stdout.contains(".mp4"), "{stdout}");
    let day = std::fs::read_dir(data.path().join("clips")).unwrap().next().unwrap().unwrap().path();
    let mut names: Vec<String> = std::fs::read_dir(&day).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].ends_with(".json") && names[1].ends_with(".mp4") && names[2].ends_with(".png"), "{names:?}");
    common::liyi().arg("privacy-audit").arg(data.path()).assert().success().stdout(predicate::str::contains("PASS"));
}
