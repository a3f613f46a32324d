//! `liyi run` against a real RTSP camera: GStreamer's RTSP server on
//! 127.0.0.1 serving H.264 (scripts/rtsp-server.py). The server is stopped
//! mid-stream and started again; the agent must reconnect by itself, while a
//! second window with a dead address keeps failing without harming it.

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the RTSP server on `port` and waits for it to listen.
fn serve(video: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new("/usr/bin/python3")
        .arg(common::repo().join("scripts/rtsp-server.py"))
        .arg(video)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 with GStreamer is installed by scripts/setup.sh --test");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the RTSP server starts");
    child
}

#[test]
fn rtsp_camera_is_read_and_reconnected_after_the_server_returns() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let video = common::repo().join("assets/street-walk.mp4");
    let mut server = serve(&video, port);
    let config = dir.path().join("hall.toml");
    let zones = "staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]\ncounter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]\nhours = [\"00:00-23:59\"]\n";
    std::fs::write(
        &config,
        format!(
            "hall = \"h\"\n[[window]]\nid = \"cam\"\nsource = \"rtsp://127.0.0.1:{port}/cam\"\n{zones}\n[[window]]\nid = \"dead\"\nsource = \"rtsp://127.0.0.1:{}/cam\"\n{zones}",
            common::free_port()
        ),
    )
    .unwrap();
    let store = dir.path().join("edge.sqlite");
    let agent = common::RunningAgent::spawn(&["--config".as_ref(), config.as_os_str(), "--store".as_ref(), store.as_os_str()]);
    let frames = || agent.window("cam")["frames_analysed"].as_u64().unwrap();
    common::wait_for(Duration::from_secs(60), || (frames() >= 6).then_some(())).expect("frames arrive over RTSP");
    let cam = agent.window("cam");
    assert_eq!(cam["source_up"], true, "{cam}");

    // The camera goes away mid-stream…
    server.kill().unwrap();
    server.wait().unwrap();
    common::wait_for(Duration::from_secs(30), || (agent.window("cam")["source_up"] == false).then_some(()))
        .expect("the agent notices the lost stream");
    // At least one reconnection attempt fails while the camera is away.
    let errors = || agent.window("cam")["errors"].as_u64().unwrap_or(0);
    let errors_at_loss = errors();
    common::wait_for(Duration::from_secs(60), || (errors() > errors_at_loss).then_some(())).expect("the agent keeps retrying");
    let frames_in = || agent.window("cam")["frames_in"].as_u64().unwrap();
    let before = frames_in();
    // …and comes back on the same address.
    let mut server = serve(&video, port);
    let returned = Instant::now();
    common::wait_for(Duration::from_secs(60), || (frames_in() > before).then_some(())).expect("the agent reconnects");
    // Printed, not asserted: the machines running tests are shared. The
    // goal is 5 s (backoff is capped at 2 s; docs/design.md has the figure).
    eprintln!("reconnected {:.1} s after the RTSP server returned", returned.elapsed().as_secs_f64());
    let cam = agent.window("cam");
    assert!(cam["reconnects"].as_u64().unwrap() >= 1, "{cam}");

    let dead = agent.window("dead");
    assert_eq!(dead["frames_in"], 0);
    assert!(dead["errors"].as_u64().unwrap() >= 2, "the dead camera keeps being retried: {dead}");
    assert!(dead["last_error"].as_str().unwrap().contains("cannot open"), "{dead}");
    server.kill().unwrap();
    server.wait().unwrap();
}
