//! Setting up a window: `liyi snapshot` (redacted, drawn), `liyi doctor`
//! (every failing check named), `liyi replay --sweep`.

mod common;

use std::path::Path;

#[test]
fn snapshot_is_redacted_and_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::demo_config(dir.path(), "");
    let shots = dir.path().join("shots");
    std::fs::create_dir(&shots).unwrap();
    let out = shots.join("w01.png");
    let r = common::liyi()
        .args(["snapshot", "--window", "w01", "--skip-s", "3", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
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
    let port = common::free_port();
    let mut text = std::fs::read_to_string(common::repo().join("assets/demo.toml")).unwrap();
    text = text.replacen("source = \"file:street-walk.mp4\"", "source = \"rtsp://127.0.0.1:1/none\"", 1);
    text = text.replacen("source = \"file:street-walk.mp4\"", "source = \"file:gone.mp4\"", 1);
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, format!("{text}\n[hub]\nurl = \"http://127.0.0.1:{port}\"\nbox = \"b1\"\ntoken_file = \"hub.token\"\n"))
        .unwrap();
    // An existing store gets `liyi check`'s consistency check too.
    let store = dir.path().join("edge.sqlite");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { liyi::store::Store::open(&store).await.unwrap().close().await });
    // Each check is bounded inside the doctor; the test does not time it.
    let r = common::liyi().args(["doctor", "--config"]).arg(&config).arg("--store").arg(&store).output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(1), "{out}");
    for needle in [
        "ok   ONNX Runtime",
        "ok   model movenet-thunder",
        "ok   config",
        "ok   clock:",
        "disk:",
        "ok   edge store:",
        "integrity ok",
        "ok   edge store schema: version",
        "FAIL window w01 source: rtsp://127.0.0.1:1/none",
        "FAIL window w02 source",
        "gone.mp4",
        "FAIL hub: http://127.0.0.1:",
        "unreachable",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // A broken model and a missing config are named too.
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let r =
        common::liyi().args(["doctor", "--models-dir"]).arg(&models).arg("--config").arg(dir.path().join("nope.toml")).output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("FAIL model movenet-thunder") && out.contains("FAIL config") && out.contains("nope.toml"), "{out}");
    // ONNX Runtime not found.
    let r = common::liyi()
        .args(["doctor", "--ort-lib"])
        .arg(dir.path().join("libonnxruntime.so"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("FAIL ONNX Runtime") && out.contains("Fix:"), "{out}");
}

#[test]
fn doctor_checks_the_token_at_a_real_hub() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let hub_cfg = dir.path().join("hub.toml");
    std::fs::write(&hub_cfg, format!("listen = \"127.0.0.1:{port}\"\ndata_dir = \"hub-data\"\n")).unwrap();
    let token = common::liyi().args(["hub", "--config"]).arg(&hub_cfg).args(["box-add", "b1", "--hall", "甲"]).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let mut hub = std::process::Command::new(assert_cmd::cargo::cargo_bin("liyi"))
        .args(["hub", "--config"])
        .arg(&hub_cfg)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::wait_for(std::time::Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).ok()).unwrap();
    let check = |tok: &str| {
        std::fs::write(dir.path().join("hub.token"), tok).unwrap();
        let config = common::demo_config(
            dir.path(),
            &format!("[hub]\nurl = \"http://127.0.0.1:{port}\"\nbox = \"b1\"\ntoken_file = \"hub.token\"\n"),
        );
        let r =
            common::liyi().args(["doctor", "--config"]).arg(&config).arg("--store").arg(dir.path().join("edge.sqlite")).output().unwrap();
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
    let r = common::liyi()
        .args(["replay", "--sweep", "--json", "--config"])
        .arg(sim.join("window.toml"))
        .arg(sim.join("trace.jsonl"))
        .output()
        .unwrap();
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
    let r =
        common::liyi().args(["replay", "--sweep", "--config"]).arg(sim.join("window.toml")).arg(sim.join("trace.jsonl")).output().unwrap();
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.contains("tolerance_s") && table.contains(" *"), "{table}");
}

/// The zone editor, end to end: headless Chromium drags a point of w01's
/// staff zone and saves; the TOML changes with its comments kept, the
/// running agent uses the new zone, and the preview it showed is redacted.
/// Bad edits are refused and leave the file as it was.
#[test]
fn zone_editor_round_trip_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::demo_config(dir.path(), "");
    let before = std::fs::read_to_string(&config).unwrap();
    let store = dir.path().join("edge.sqlite");
    let agent = common::RunningAgent::looping(&config, &store, Some(80));
    let post = |body: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&agent.addr).unwrap();
        write!(s, "POST /windows/w01/layout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    // Bad edits: refused with a message; the file stays as it was.
    for (body, needle) in [
        (
            r#"{"staff_zone": [[0.2,0.2],[0.6,0.6],[0.6,0.2],[0.2,0.6]], "counter_zone": [[0,0.5],[1,0.5],[1,1],[0,1]], "desk_y": 0.48}"#,
            "cross",
        ),
        (
            r#"{"staff_zone": [[0.2,0.2],[1.3,0.2],[0.6,0.6]], "counter_zone": [[0,0.5],[1,0.5],[1,1],[0,1]], "desk_y": 0.48}"#,
            "outside the frame",
        ),
        (r#"{"staff_zone": [[0.1,0.1],[0.2,0.2],[0.3,0.3]], "counter_zone": [[0,0.5],[1,0.5],[1,1],[0,1]], "desk_y": 0.48}"#, "no area"),
    ] {
        let r = post(body);
        assert!(r.starts_with("HTTP/1.1 400") && r.contains(needle), "{r}");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), before, "a refused edit leaves the file as it was");
    }
    let browser_dir = common::repo().join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").is_dir() || !Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var_os("LIYI_REQUIRE_SHARED").is_none(),
            "CI must run the browser test: scripts/setup.sh --test installs chromium and playwright-core"
        );
        return;
    }
    let shots = common::repo().join("target/test-artifacts/editor");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let out = std::process::Command::new("node")
        .arg(browser_dir.join("editor.mjs"))
        .env("AGENT_URL", format!("http://{}", agent.addr))
        .env("WINDOW", "w01")
        .env("SHOT_DIR", &shots)
        .env("EDIT_MORE", "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    // 9 observations, the baseline (learnt? and its shoulder width), any
    // placement warnings, and 7 rules.
    let rows: usize = log.lines().find_map(|l| l.strip_prefix("live rows: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    assert!(rows >= 9 + 2 + 7, "the live overlay lists observations, the baseline and the rules: {log}");
    assert!(log.contains("staff points: 5") && log.contains("mask added"), "{log}");
    let moved = log.lines().find_map(|l| l.strip_prefix("moved staff-1 to ")).expect("the script reports the point");
    let (x, y) = moved.split_once(',').unwrap();
    let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
    // The file: w01's staff zone changed, its comments and w02 untouched.
    let after = std::fs::read_to_string(&config).unwrap();
    assert_ne!(after, before);
    for line in before.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(after.contains(line), "comment lost: {line}");
    }
    let cfg = liyi::config::parse(&after, &config).unwrap();
    let p = cfg.window("w01").unwrap().staff_zone.0[1];
    assert!((f64::from(p.x) - x).abs() < 0.01 && (f64::from(p.y) - y).abs() < 0.01, "saved {p:?}, dragged to {x},{y}");
    // The point added by double-click and the mask are in the file, and the
    // running agent fills the mask.
    assert_eq!(cfg.window("w01").unwrap().staff_zone.0.len(), 5);
    assert_eq!(cfg.window("w01").unwrap().masks.len(), 1);
    assert_eq!(cfg.window("w01").unwrap().masks[0].0.len(), 4);
    let w02_before = liyi::config::parse(&before, &config).unwrap().window("w02").unwrap().staff_zone.clone();
    assert_eq!(cfg.window("w02").unwrap().staff_zone, w02_before);
    // The running agent took it without a restart.
    let layout: serde_json::Value = serde_json::from_str(&agent.get("/windows/w01/layout")).unwrap();
    assert!((layout["staff_zone"][1][0].as_f64().unwrap() - x).abs() < 0.01, "{layout}");
    assert_eq!(layout["masks"].as_array().unwrap().len(), 1, "{layout}");
    // What the browser showed (the preview) holds no face.
    let audit = common::liyi().arg("privacy-audit").arg(&shots).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}

/// The agent records keypoint traces (no pixels) that `replay --sweep` reads.
#[test]
fn the_agent_records_traces_for_tuning() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::demo_config(dir.path(), "");
    let traces = dir.path().join("traces");
    let r = common::liyi()
        .args(["run", "--listen", "127.0.0.1:0", "--seconds", "8", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(dir.path().join("edge.sqlite"))
        .arg("--record-traces")
        .arg(&traces)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let day = std::fs::read_dir(&traces).unwrap().next().unwrap().unwrap().path();
    let w01 = day.join("w01.jsonl");
    let text = std::fs::read_to_string(&w01).unwrap();
    assert!(text.lines().count() >= 5, "{} lines", text.lines().count());
    assert!(!text.contains("/9j/") && !text.contains("iVBOR"), "numbers only");
    let r = common::liyi()
        .args(["replay", "--sweep", "--json", "--config"])
        .arg(&config)
        .arg(&w01)
        .arg(day.join("w02.jsonl"))
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).lines().count() > 30);
    // The committed README screenshots pass the privacy audit too.
    let audit = common::liyi().arg("privacy-audit").arg(common::repo().join("docs/img")).output().unwrap();
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}

/// A raw HTTP/1.1 request; the whole response.
fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The LAN mode of the agent's pages: a LAN address without a password is
/// refused before anything listens; with `[pages] password_file` every page
/// needs the installer's login (browser session, or HTTP Basic to read),
/// saving needs the session's CSRF token, wrong passwords lock the address
/// out, and a real browser signs in and saves through the editor.
#[test]
fn lan_pages_need_the_installer_login() {
    let dir = tempfile::tempdir().unwrap();
    // The password file holds an argon2 hash, never the password.
    let pass = dir.path().join("pages.pass");
    let out = common::liyi().args(["pages-password", "--out"]).arg(&pass).env("LIYI_PASSWORD", "ladder-and-laptop-7").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hash = std::fs::read_to_string(&pass).unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("ladder"), "{hash}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&pass).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let short =
        common::liyi().args(["pages-password", "--out"]).arg(dir.path().join("short.pass")).env("LIYI_PASSWORD", "short").output().unwrap();
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least 10"));

    // A LAN address without a password: refused, naming the field and the fix.
    let open = common::demo_config(dir.path(), "[pages]\nlisten = \"0.0.0.0:8787\"\n");
    let out = common::liyi().arg("check-config").arg(&open).output().unwrap();
    let err = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("pages.listen") && err.contains("password_file"), "{err}");
    let plain = common::demo_config(dir.path(), "");
    let out = common::liyi()
        .args(["run", "--listen", "0.0.0.0:0", "--seconds", "5", "--config"])
        .arg(&plain)
        .arg("--store")
        .arg(dir.path().join("x.sqlite"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("without a login") && err.contains("pages-password"), "{err}");
    assert!(!err.contains("status page:"), "nothing may listen: {err}");
    let bad = common::demo_config(dir.path(), "[pages]\npassword_file = \"hall.toml\"\n");
    let out = common::liyi().arg("check-config").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("pages.password_file") && err.contains("does not hold a password hash"), "{err}");

    // With the password: the login is required on every page.
    let config = common::demo_config(dir.path(), "[pages]\npassword_file = \"pages.pass\"\n");
    let before = std::fs::read_to_string(&config).unwrap();
    let store = dir.path().join("edge.sqlite");
    let agent = common::RunningAgent::looping(&config, &store, Some(90));
    let a = agent.addr.as_str();
    let r = request(a, "GET", "/status", &[], "");
    assert!(r.starts_with("HTTP/1.1 401") && r.to_ascii_lowercase().contains("www-authenticate: basic"), "{r}");
    let r = request(a, "GET", "/windows/w01/editor", &[("Accept", "text/html")], "");
    assert!(r.starts_with("HTTP/1.1 303") && r.contains("location: /login?next=/windows/w01/editor"), "{r}");
    let r = request(a, "GET", "/login", &[], "");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("安装人员登录"), "{r}");
    let r = request(a, "GET", "/windows/w01/preview.png", &[], "");
    assert!(r.starts_with("HTTP/1.1 401"), "no pixels without the login: {r}");
    let form = |p: &str| format!("password={p}&next=%2Fstatus");
    let r = request(a, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &form("wrong-password-1"));
    assert!(r.starts_with("HTTP/1.1 401") && r.contains("密码不正确"), "{r}");
    let r = request(a, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &form("ladder-and-laptop-7"));
    assert!(r.starts_with("HTTP/1.1 303") && r.contains("location: /status"), "{r}");
    let set = r.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie: liyi_pages=")).expect("a session cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set["set-cookie: ".len()..].split(';').next().unwrap().to_string();
    let r = request(a, "GET", "/status", &[("Cookie", &cookie)], "");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("\"windows\""), "{r}");
    let r = request(a, "GET", "/", &[("Cookie", &cookie)], "");
    assert!(r.contains("action=\"/logout\""), "the status page offers sign-out: {r}");
    // Saving: the session's CSRF token is required.
    let page = request(a, "GET", "/windows/w01/editor", &[("Cookie", &cookie)], "");
    let csrf =
        page.split("const CSRF = \"").nth(1).and_then(|s| s.split('"').next()).expect("the editor carries its CSRF token").to_string();
    assert_eq!(csrf.len(), 64);
    let layout = r#"{"staff_zone": [[0.05,0.05],[0.45,0.05],[0.45,0.5],[0.05,0.5]], "counter_zone": [[0,0.55],[1,0.55],[1,1],[0,1]], "desk_y": 0.5}"#;
    let json = ("Content-Type", "application/json");
    let r = request(a, "POST", "/windows/w01/layout", &[json, ("Cookie", &cookie)], layout);
    assert!(r.starts_with("HTTP/1.1 403") && r.contains("CSRF"), "{r}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    // HTTP Basic (scripts, Prometheus) reads but may not save.
    use base64::Engine;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("prometheus:ladder-and-laptop-7"));
    let r = request(a, "GET", "/metrics", &[("Authorization", &basic)], "");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("liyi_"), "{r}");
    let r = request(a, "POST", "/windows/w01/layout", &[json, ("Authorization", &basic)], layout);
    assert!(r.starts_with("HTTP/1.1 403") && r.contains("Basic"), "{r}");
    let r = request(a, "POST", "/windows/w01/layout", &[json, ("Cookie", &cookie), ("X-Liyi-Csrf", &csrf)], layout);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let saved = liyi::config::parse(&std::fs::read_to_string(&config).unwrap(), &config).unwrap();
    assert!((saved.window("w01").unwrap().staff_zone.0[1].x - 0.45).abs() < 1e-4);
    // Sign out: the session ends.
    let r = request(
        a,
        "POST",
        "/logout",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        &format!("csrf={csrf}"),
    );
    assert!(r.starts_with("HTTP/1.1 303"), "{r}");
    assert!(request(a, "GET", "/status", &[("Cookie", &cookie)], "").starts_with("HTTP/1.1 401"));

    // A real browser: sent to /login, signs in, drags a point, saves.
    let browser_dir = common::repo().join("tests/browser");
    if browser_dir.join("node_modules/playwright-core").is_dir() && Path::new("/usr/bin/chromium").exists() {
        let shots = common::repo().join("target/test-artifacts/editor-login");
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        let out = std::process::Command::new("node")
            .arg(browser_dir.join("editor.mjs"))
            .env("AGENT_URL", format!("http://{a}"))
            .env("WINDOW", "w01")
            .env("SHOT_DIR", &shots)
            .env("PASSWORD", "ladder-and-laptop-7")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && log.contains("signed in"), "{log}");
        let moved = log.lines().find_map(|l| l.strip_prefix("moved staff-1 to ")).expect("the script reports the point");
        let x: f32 = moved.split(',').next().unwrap().parse().unwrap();
        let saved = liyi::config::parse(&std::fs::read_to_string(&config).unwrap(), &config).unwrap();
        assert!((saved.window("w01").unwrap().staff_zone.0[1].x - x).abs() < 0.01, "the browser's save reached the file");
    } else {
        assert!(
            std::env::var_os("LIYI_REQUIRE_SHARED").is_none(),
            "CI must run the browser test: scripts/setup.sh --test installs chromium and playwright-core"
        );
    }

    // Wrong passwords lock this address out, even for the right one.
    for _ in 0..liyi::agent::login::MAX_FAILURES {
        request(a, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &form("guess-guess-guess"));
    }
    let r = request(a, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], &form("ladder-and-laptop-7"));
    assert!(r.starts_with("HTTP/1.1 429") && r.contains("5 分钟"), "{r}");
    let r = request(a, "GET", "/metrics", &[("Authorization", &basic)], "");
    assert!(r.starts_with("HTTP/1.1 429"), "Basic is locked out too: {r}");
}
