//! Setting up a window: `liyi snapshot` (redacted, drawn), `liyi doctor`
//! (every failing check named), `liyi replay --sweep`.

mod common;

use std::path::Path;

fn demo_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    std::fs::copy(common::repo().join("assets/street-walk.mp4"), dir.join("street-walk.mp4")).unwrap();
    let demo = std::fs::read_to_string(common::repo().join("assets/demo.toml")).unwrap();
    let config = dir.join("hall.toml");
    std::fs::write(&config, format!("{demo}\n{extra}")).unwrap();
    config
}

#[test]
fn snapshot_is_redacted_and_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path(), "");
    let shots = dir.path().join("shots");
    std::fs::create_dir(&shots).unwrap();
    let out = shots.join("w01.png");
    let r = common::liyi().args(["snapshot", "--window", "w01", "--skip-s", "3", "--config"]).arg(&config).arg("--out").arg(&out).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("written to") && text.contains("clerk in the staff zone"), "{text}");
    let img = image::open(&out).unwrap().to_rgb8();
    // The zones and the desk line are drawn in the zone colour.
    let zone = img.pixels().filter(|p| p.0 == [80, 160, 255]).count();
    assert!(zone > img.width() as usize, "{zone} zone-coloured pixels");
    // The privacy audit's face check finds no face in it.
    let audit = common::liyi().arg("privacy-audit").arg(&shots).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
    // A wrong window is named with the ones that exist.
    let r = common::liyi().args(["snapshot", "--window", "w09", "--config"]).arg(&config).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("w09") && err.contains("w01, w02"), "{err}");
}

#[test]
fn doctor_names_every_failing_check() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("hub.token");
    std::fs::write(&token, "0123456789abcdef0123456789abcdef").unwrap();
    // A hub that refuses connections, a camera that is not there, a file
    // that is gone.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut text = std::fs::read_to_string(common::repo().join("assets/demo.toml")).unwrap();
    text = text.replacen("source = \"file:street-walk.mp4\"", "source = \"rtsp://127.0.0.1:1/none\"", 1);
    text = text.replacen("source = \"file:street-walk.mp4\"", "source = \"file:gone.mp4\"", 1);
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, format!("{text}\n[hub]\nurl = \"http://127.0.0.1:{port}\"\nbox = \"b1\"\ntoken_file = \"hub.token\"\n")).unwrap();
    let t0 = std::time::Instant::now();
    let r = common::liyi().args(["doctor", "--config"]).arg(&config).arg("--store").arg(dir.path().join("edge.sqlite")).output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(t0.elapsed().as_secs() < 60, "the doctor finishes within a minute");
    assert_eq!(r.status.code(), Some(1), "{out}");
    for needle in ["ok   ONNX Runtime", "ok   model movenet-thunder", "ok   config", "ok   clock:", "disk:", "FAIL window w01 source: rtsp://127.0.0.1:1/none", "FAIL window w02 source", "gone.mp4", "FAIL hub: http://127.0.0.1:", "unreachable"] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // A broken model and a missing config are named too.
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let r = common::liyi().args(["doctor", "--models-dir"]).arg(&models).arg("--config").arg(dir.path().join("nope.toml")).output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("FAIL model movenet-thunder") && out.contains("FAIL config") && out.contains("nope.toml"), "{out}");
}

#[test]
fn doctor_checks_the_token_at_a_real_hub() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hub_cfg = dir.path().join("hub.toml");
    std::fs::write(&hub_cfg, format!("listen = \"127.0.0.1:{port}\"\ndata_dir = \"hub-data\"\n")).unwrap();
    let token = common::liyi().args(["hub", "--config"]).arg(&hub_cfg).args(["box-add", "b1", "--hall", "甲"]).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let mut hub = std::process::Command::new(assert_cmd::cargo::cargo_bin("liyi")).args(["hub", "--config"]).arg(&hub_cfg).stderr(std::process::Stdio::null()).spawn().unwrap();
    common::wait_for(std::time::Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).ok()).unwrap();
    let check = |tok: &str| {
        std::fs::write(dir.path().join("hub.token"), tok).unwrap();
        let config = demo_config(dir.path(), &format!("[hub]\nurl = \"http://127.0.0.1:{port}\"\nbox = \"b1\"\ntoken_file = \"hub.token\"\n"));
        let r = common::liyi().args(["doctor", "--config"]).arg(&config).arg("--store").arg(dir.path().join("edge.sqlite")).output().unwrap();
        String::from_utf8_lossy(&r.stdout).into_owned()
    };
    let good = check(&token);
    let bad = check("ffffffffffffffffffffffffffffffff");
    let _ = hub.kill();
    let _ = hub.wait();
    assert!(good.contains("ok   hub:") && good.contains("accepts box b1"), "{good}");
    assert!(good.contains("ok   window w01 source") && good.contains("fps"), "{good}");
    assert!(bad.contains("FAIL hub:") && bad.contains("refused the token"), "{bad}");
}

#[test]
fn replay_sweep_counts_events_per_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    assert!(common::liyi().args(["simulate", "--scenario", "absent_and_back", "--out"]).arg(&sim).output().unwrap().status.success());
    let r = common::liyi().args(["replay", "--sweep", "--json", "--config"]).arg(sim.join("window.toml")).arg(sim.join("trace.jsonl")).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&r.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let absent: Vec<_> = rows.iter().filter(|r| r["rule"] == "absent" && r["setting"] == "tolerance_s").collect();
    assert!(absent.len() >= 6);
    // A longer tolerance never raises more absences.
    let counts: Vec<u64> = absent.iter().map(|r| r["events"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(counts[0] > *counts.last().unwrap(), "the 260 s absence is caught at 60 s but not at 300 s: {counts:?}");
    assert_eq!(absent.iter().filter(|r| r["current"] == true).count(), 1);
    // The table form marks the configured value.
    let r = common::liyi().args(["replay", "--sweep", "--config"]).arg(sim.join("window.toml")).arg(sim.join("trace.jsonl")).output().unwrap();
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.contains("tolerance_s") && table.contains(" *"), "{table}");
}
