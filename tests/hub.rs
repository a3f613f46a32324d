//! The hub against real components on 127.0.0.1: a real hub process, a real
//! agent (`liyi run` on the sample video, `liyi push` for replayed traces),
//! Debian's aiosmtpd as the SMTP sink, a webhook receiver, and headless
//! Chromium for the pages.

mod common;
mod hub_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hub_support::*;
use liyi::hub::HubDb;
use liyi::store::Store;

/// Minutes and events of an edge store, and of one box on the hub, as
/// comparable maps.
type Rows = (std::collections::BTreeMap<(String, i64), [i64; 5]>, std::collections::BTreeSet<(String, String, String)>);

async fn edge_rows(store: &Path) -> Rows {
    let s = Store::open(store).await.unwrap();
    let minutes = s
        .minutes(None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            (
                (m.window.clone(), m.minute.unwrap().timestamp()),
                ms(&[m.observed_s, m.in_service_s, m.staffed_s, m.compliant_s, m.unknown_s]),
            )
        })
        .collect();
    let events = s.events(None).await.unwrap().into_iter().map(|e| (e.window, e.rule.as_str().to_string(), e.start.to_rfc3339())).collect();
    s.close().await;
    (minutes, events)
}

fn ms(v: &[f64; 5]) -> [i64; 5] {
    v.map(|x| (x * 1000.0).round() as i64)
}

async fn hub_rows(hub: &liyi::hub::db::StoreUrl) -> Rows {
    let db = HubDb::connect(hub).await.unwrap();
    let minutes = db
        .minutes_between(0.0, 1e12, None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| {
            ((m.window.clone(), m.minute_unix.round() as i64), ms(&[m.observed_s, m.in_service_s, m.staffed_s, m.compliant_s, m.unknown_s]))
        })
        .collect();
    let events = db
        .events_between(0.0, 1e12, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.window, e.rule.as_str().to_string(), chrono::DateTime::parse_from_rfc3339(&e.start).unwrap().to_rfc3339()))
        .collect();
    let (m, e, _) = db.counts().await.unwrap();
    db.close().await;
    let rows: Rows = (minutes, events);
    // The key sets are the rows: no key twice.
    assert_eq!((m as usize, e as usize), (rows.0.len(), rows.1.len()), "the hub holds a row twice");
    rows
}

fn push(config: &Path, store: &Path) -> std::process::Output {
    Command::new(bin()).args(["push", "--config"]).arg(config).arg("--store").arg(store).output().unwrap()
}

/// Replays simulated scenario `k` into `store` as window `W0k`, through a
/// config with `[hub]`, so every row is queued; returns that config.
fn replay_scenario(dir: &Path, k: usize, hub_section: &str, store: &Path) -> PathBuf {
    let scenarios = [
        "mixed_day",
        "absent_and_back",
        "greet_violation",
        "head_on_desk",
        "decoys_only",
        "slouch_trunk",
        "absent_long",
        "crossed_legs_visible",
    ];
    let out = dir.join(format!("sim{k}"));
    let ok = Command::new(bin())
        .args(["simulate", "--scenario", scenarios[k % scenarios.len()], "--seed", &(k + 1).to_string(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // One window per scenario, so their minutes do not overlap.
    let id = format!("W{:02}", k + 1);
    let cfg = out.join("window.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("id = \"W01\"", &format!("id = \"{id}\""));
    std::fs::write(&cfg, format!("{text}\n{hub_section}")).unwrap();
    let trace = out.join("trace.jsonl");
    let t = std::fs::read_to_string(&trace).unwrap().replace("\"window\":\"W01\"", &format!("\"window\":\"{id}\""));
    std::fs::write(&trace, t).unwrap();
    let r = Command::new(bin()).args(["replay", "--config"]).arg(&cfg).arg(&trace).arg("--store").arg(store).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    cfg
}

on_both_engines!(
    outbox_survives_kill_9_of_either_side_without_loss_or_duplicates,
    outbox_survives_kill_9_of_either_side_without_loss_or_duplicates_on_postgres,
    outbox_survives_kill_9_of_either_side_without_loss_or_duplicates_on
);

fn outbox_survives_kill_9_of_either_side_without_loss_or_duplicates_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    let token = hub.admin(&["box-add", "box-k", "--hall", "城关镇"], None);
    let token_file = dir.path().join("box.token");
    std::fs::write(&token_file, &token).unwrap();
    let store = dir.path().join("edge.sqlite");
    // Small batches: many chances to die between send and confirmation.
    let section = hub_section(&hub.url, "box-k", &token_file, "batch = 1");
    let mut config = replay_scenario(dir.path(), 0, &section, &store);

    let mut rng_state: u64 = 0x5eed_1234;
    let mut rand = move |n: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state % n
    };
    // How long after the push starts to kill, adapted to this machine: a
    // trial that killed before anything moved waits longer next time, one
    // that let everything through waits less. At least eight trials, and
    // more (up to 20) until one has stopped a transfer half-way.
    let mut delay_ms: u64 = 60;
    let mut interrupted = 0;
    for trial in 0..20 {
        if trial >= 8 && interrupted > 0 {
            break;
        }
        // New rows arrive between trials, as from a running agent.
        if trial > 0 {
            config = replay_scenario(dir.path(), trial, &section, &store);
        }
        let total = rt().block_on(async { Store::open(&store).await.unwrap().outbox_stats().await.unwrap() });
        let total = total.minutes + total.events;
        hub.start();
        let mut pusher = Command::new(bin())
            .args(["push", "--config"])
            .arg(&config)
            .arg("--store")
            .arg(&store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms / 2 + rand(delay_ms)));
        match rand(3) {
            0 => {
                let _ = pusher.kill();
                eprintln!("trial {trial}: agent side killed");
            }
            1 => {
                hub.kill();
                eprintln!("trial {trial}: hub killed");
            }
            _ => {
                hub.kill();
                let _ = pusher.kill();
                eprintln!("trial {trial}: both killed");
            }
        }
        let _ = pusher.wait();
        hub.kill();
        let waiting = rt().block_on(async { Store::open(&store).await.unwrap().outbox_stats().await.unwrap() });
        eprintln!("  waiting after trial {trial}: {} minute(s), {} event(s)", waiting.minutes, waiting.events);
        let left = waiting.minutes + waiting.events;
        if left >= total {
            delay_ms = delay_ms * 3 / 2 + 10;
        } else if left == 0 {
            delay_ms = (delay_ms * 2 / 3).max(10);
        } else {
            interrupted += 1;
        }
    }
    assert!(interrupted > 0, "no trial stopped a transfer half-way; the test proves nothing");
    let edge = rt().block_on(edge_rows(&store));
    assert!(edge.0.len() > 60, "enough minutes: {}", edge.0.len());
    hub.start();
    let out = push(&config, &store);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("waiting: 0 minute(s), 0 event(s), 0 clip(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    hub.kill();
    let on_hub = rt().block_on(hub_rows(&hub.store_url()));
    assert_eq!(on_hub.0, edge.0, "every minute arrived once, with its values");
    assert_eq!(on_hub.1, edge.1, "every event arrived once");
}

on_both_engines!(
    agent_feeds_hub_through_an_outage_and_supervisors_get_the_summary,
    agent_feeds_hub_through_an_outage_and_supervisors_get_the_summary_on_postgres,
    agent_feeds_hub_through_an_outage_and_supervisors_get_the_summary_on
);

fn agent_feeds_hub_through_an_outage_and_supervisors_get_the_summary_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let hook = WebhookSink::start();
    let smtp = SmtpSink::start(dir.path());
    let mut hub = HubProc::configure_on(
        dir.path(),
        &format!(
            "[report]\nat = \"00:00\"\n[health]\nbox_silent_s = 8\ncamera_down_s = 5\n[email]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"liyi@hub.test\"\nto = [\"zhang@hall.test\"]\n[webhook]\nurl = \"{}\"\nformat = \"wecom\"\n",
            smtp.port, hook.url
        ),
        engine,
    );
    let token = hub.admin(&["box-add", "box1", "--hall", "演示大厅"], None);
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    hub.admin(&["user-add", "tr", "--role", "trainer"], Some("trainer-pass1"));
    std::fs::write(dir.path().join("box.token"), &token).unwrap();
    hub.start();

    // The demo's two windows on the sample video, reporting to the hub.
    let config = common::demo_config(dir.path(), &hub_section(&hub.url, "box1", &dir.path().join("box.token"), "heartbeat_s = 1"));
    let store = dir.path().join("edge.sqlite");
    let mut agent = common::RunningAgent::looping(&config, &store, Some(85));

    // An outage of the hub in the middle of the run: once the box has
    // reached it, kill it; once rows wait in the box's outbox (or a generous
    // cap has passed, which is not asserted), start it again.
    let hub_store = hub.store_url();
    common::wait_for(Duration::from_secs(60), || {
        rt().block_on(async {
            HubDb::connect(&hub_store).await.ok()?.boxes().await.ok()?.into_iter().find(|b| b.id == "box1")?.last_seen_unix
        })
    })
    .expect("the box reaches the hub");
    hub.kill();
    let _ = common::wait_for(Duration::from_secs(45), || {
        rt().block_on(async { Store::open(&store).await.ok()?.outbox_stats().await.ok().filter(|s| s.minutes + s.events > 0) })
    });
    hub.start();
    let status = agent.child.wait().unwrap();
    assert!(status.success());

    // The agent's last rows went out on exit; nothing waits.
    let stats = rt().block_on(async { Store::open(&store).await.unwrap().outbox_stats().await.unwrap() });
    assert_eq!((stats.minutes, stats.events, stats.clips), (0, 0, 0), "outbox drained");
    let edge = rt().block_on(edge_rows(&store));
    let on_hub = rt().block_on(hub_rows(&hub.store_url()));
    assert!(!edge.0.is_empty() && !edge.1.is_empty());
    assert_eq!(on_hub, edge, "the hub holds exactly the agent's minutes and events");

    // The absence clip arrived, passed the face check, and holds no face.
    let clips_dir = dir.path().join("hub-data/clips");
    let audit = Command::new(bin()).args(["privacy-audit"]).arg(&clips_dir).output().unwrap();
    assert!(audit.status.success(), "{}{}", String::from_utf8_lossy(&audit.stdout), String::from_utf8_lossy(&audit.stderr));
    assert_eq!(walk_count(&clips_dir, "mp4"), 1, "one clip on the hub");

    rt().block_on(async {
        // The summary's numbers are the sums of the agent's own minutes.
        let sup = Browser::sign_in(&hub.url, "sup", "supervisor-pass").await;
        let json: serde_json::Value = sup.get(&format!("/api/v1/summary?date={}&format=json", today())).await.json().await.unwrap();
        let s = Store::open(&store).await.unwrap();
        let minutes = s.minutes(None).await.unwrap();
        let events = s.events(None).await.unwrap();
        let sum = |f: fn(&liyi::rules::MinuteMetrics) -> f64| minutes.iter().map(f).sum::<f64>();
        let close = |a: &serde_json::Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-6;
        assert!(close(&json["total"]["in_service_s"], sum(|m| m.in_service_s)), "{}", json["total"]);
        assert!(close(&json["total"]["compliant_s"], sum(|m| m.compliant_s)));
        assert!(close(&json["total"]["unknown_s"], sum(|m| m.unknown_s)));
        let absent = events.iter().filter(|e| e.rule == liyi::rules::RuleCode::Absent).count() as u64;
        assert_eq!(json["total"]["rules"]["absent"]["events"].as_u64().unwrap(), absent);
        assert_eq!(json["halls"][0]["hall"], "演示大厅");
        let csv = sup.get(&format!("/api/v1/summary?date={}&format=csv", today())).await.text().await.unwrap();
        assert!(csv.starts_with("date,hall,box,window") && csv.lines().count() == 3, "{csv}");
        let page = sup.get(&format!("/summary?date={}", today())).await.text().await.unwrap();
        assert!(page.contains("窗口服务规范日报") && page.contains("<svg"), "HTML with an SVG chart");
        let health = sup.get("/health").await.text().await.unwrap();
        assert!(health.contains("box1") && health.contains("w02"), "{health}");
    });

    // The heartbeats stopped with the agent: the webhook hears the box is
    // offline; the day's summary went out by e-mail and webhook at `at`.
    let hook_ok = common::wait_for(Duration::from_secs(40), || {
        let t = hook.texts();
        (t.iter().any(|m| m.contains("已离线") && m.contains("box1")) && t.iter().any(|m| m.contains("窗口服务规范日报"))).then_some(t)
    });
    assert!(hook_ok.is_some(), "webhook got: {:?}", hook.texts());
    let mail = common::wait_for(Duration::from_secs(20), || smtp.messages().into_iter().next()).expect("the summary e-mail arrived");
    assert!(mail.contains("zhang@hall.test") && mail.contains("text/html") && mail.contains("text/plain"), "{mail}");
    assert!(mail.to_lowercase().contains("subject:"), "{mail}");

    browser_check(&hub);
}

fn walk_count(dir: &Path, ext: &str) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += walk_count(&p, ext);
            } else if p.extension().is_some_and(|x| x == ext) {
                n += 1;
            }
        }
    }
    n
}

/// Headless Chromium signs in as a trainer, opens the clip and keeps it,
/// then as a supervisor opens the day's summary (tests/browser/hub.mjs).
/// Screenshots go to target/test-artifacts/hub/.
fn browser_check(hub: &HubProc) {
    let browser_dir = common::repo().join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").is_dir() || !Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var_os("LIYI_REQUIRE_SHARED").is_none(),
            "CI must run the browser test: scripts/setup.sh --test installs chromium and playwright-core"
        );
        eprintln!("skipping the browser part: run scripts/setup.sh --test");
        return;
    }
    let shots = common::repo().join("target/test-artifacts/hub");
    std::fs::create_dir_all(&shots).unwrap();
    let t0 = Instant::now();
    let out = Command::new("node")
        .arg(browser_dir.join("hub.mjs"))
        .env("HUB_URL", &hub.url)
        .env("TRAINER_USER", "tr")
        .env("TRAINER_PASS", "trainer-pass1")
        .env("SUPERVISOR_USER", "sup")
        .env("SUPERVISOR_PASS", "supervisor-pass")
        .env("SUMMARY_DATE", today())
        .env("SHOT_DIR", &shots)
        .output()
        .unwrap();
    eprintln!("browser: {} in {:.1} s\n{}", out.status, t0.elapsed().as_secs_f64(), String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(shots.join("trainer-kept.png").is_file() && shots.join("supervisor-summary.png").is_file());
    let kept = rt().block_on(async {
        let db = hub.db().await;
        db.clips(&Default::default()).await.unwrap().into_iter().filter(|c| c.status == "kept").count()
    });
    assert_eq!(kept, 1, "the trainer's click kept the clip as a teaching case");
}

on_both_engines!(
    hub_refuses_wrong_tokens_roles_csrf_bad_payloads_and_faces,
    hub_refuses_wrong_tokens_roles_csrf_bad_payloads_and_faces_on_postgres,
    hub_refuses_wrong_tokens_roles_csrf_bad_payloads_and_faces_on
);

fn hub_refuses_wrong_tokens_roles_csrf_bad_payloads_and_faces_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let hook = WebhookSink::start();
    let smtp = SmtpSink::start(dir.path());
    let mut hub = HubProc::configure_on(
        dir.path(),
        &format!(
            "language = \"zh-CN\"\n[report]\nat = \"23:59\"\n[limits]\nbatch_mb = 0.02\n[email]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"liyi@hub.test\"\nto = [\"li@hall.test\"]\n[webhook]\nurl = \"{}\"\nformat = \"dingtalk\"\n",
            smtp.port, hook.url
        ),
        engine,
    );
    let token_a = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    let token_b = hub.admin(&["box-add", "box-b", "--hall", "乙大厅"], None);
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    hub.admin(&["user-add", "tra", "--role", "trainer", "--hall", "甲大厅"], Some("trainer-pass-a"));
    hub.admin(&["user-add", "trb", "--role", "trainer", "--hall", "乙大厅"], Some("trainer-pass-b"));
    hub.admin(&["user-add", "root", "--role", "admin"], Some("admin-password"));
    hub.start();
    let base = hub.url.clone();
    let (clean, thumb) = clip_parts(dir.path(), false);
    let (face, _) = clip_parts(dir.path(), true);
    let day = hub_support::recent_day();
    let minute = |obs: f64| {
        serde_json::json!({"minutes": [{"window": "w01", "minute": &format!("{day}T09:00:00+08:00"), "observed_s": obs, "in_service_s": 60.0, "staffed_s": 60.0, "compliant_s": 30.0, "unknown_s": 0.0, "rules": {"slouching": {"violation_s": 30.0, "events": 1}}}],
        "events": [{"window": "w01", "rule": "slouching", "start": &format!("{day}T09:00:20+08:00"), "end": &format!("{day}T09:00:50+08:00"), "duration_s": 30.0, "confidence": 0.9, "closed_by": "recovered", "values": {}}]}).to_string()
    };
    rt().block_on(async {
        // Tokens.
        assert_eq!(post_json(&base, "/api/v1/ingest", None, minute(60.0)).await.0, 401);
        assert_eq!(post_json(&base, "/api/v1/ingest", Some("not-a-token-at-all"), minute(60.0)).await.0, 401);
        // Bad payloads: 400 with a precise message, nothing stored.
        let (code, body) = post_json(&base, "/api/v1/ingest", Some(&token_a), "{\"minutes\": [".into()).await;
        assert_eq!(code, 400);
        assert!(body.contains("malformed JSON") && body.contains("line 1"), "{body}");
        let (code, body) = post_json(&base, "/api/v1/ingest", Some(&token_a), minute(75.0)).await;
        assert_eq!(code, 400);
        assert!(body.contains("minutes[0].observed_s: 75 s is more than 60 s"), "{body}");
        let (code, body) =
            post_json(&base, "/api/v1/ingest", Some(&token_a), format!("{{\"minutes\": [], \"pad\": \"{}\"}}", "x".repeat(30_000))).await;
        assert_eq!(code, 400, "{body}");
        assert!(body.contains("too large"), "{body}");
        let db = hub.db().await;
        assert_eq!(db.counts().await.unwrap(), (0, 0, 0), "nothing of a refused request is stored");
        // A good batch, twice: stored once.
        for _ in 0..2 {
            let (code, body) = post_json(&base, "/api/v1/ingest", Some(&token_a), minute(60.0)).await;
            assert_eq!(code, 200, "{body}");
        }
        assert_eq!(db.counts().await.unwrap(), (1, 1, 0));

        // Clips: a face is refused (422) and nothing is written.
        let (code, body) = upload_clip(&base, &token_a, "w01", "absent", &format!("{day}T09:00:20+08:00"), face, thumb.clone()).await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("privacy check") && body.contains("face"), "{body}");
        assert_eq!(walk_count(&dir.path().join("hub-data"), "mp4"), 0);
        assert_eq!(db.refused_clips().await.unwrap(), 1);
        let (code, body) =
            upload_clip(&base, &token_a, "w01", "absent", &format!("{day}T09:00:20+08:00"), clean.clone(), thumb.clone()).await;
        assert_eq!(code, 200, "{body}");
        let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap();
        let (_, again) =
            upload_clip(&base, &token_a, "w01", "absent", &format!("{day}T09:00:20+08:00"), clean.clone(), thumb.clone()).await;
        assert!(again.contains("\"duplicate\":true"), "{again}");
        let (code, _) = upload_clip(&base, &token_b, "w09", "absent", &format!("{day}T10:00:00+08:00"), clean, thumb).await;
        assert_eq!(code, 200);

        // Roles and halls.
        let sup = Browser::sign_in(&base, "sup", "supervisor-pass").await;
        let tra = Browser::sign_in(&base, "tra", "trainer-pass-a").await;
        let trb = Browser::sign_in(&base, "trb", "trainer-pass-b").await;
        let root = Browser::sign_in(&base, "root", "admin-password").await;
        assert_eq!(tra.get("/summary").await.status(), 403, "trainers do not see summaries");
        assert_eq!(tra.get(&format!("/api/v1/summary?date={day}")).await.status(), 403);
        assert_eq!(sup.get("/clips").await.status(), 403, "supervisors do not see clips");
        assert_eq!(sup.get(&format!("/clips/{id}/video.mp4")).await.status(), 403);
        assert_eq!(root.get(&format!("/clips/{id}")).await.status(), 403);
        assert_eq!(trb.get(&format!("/clips/{id}")).await.status(), 404, "another hall's clip does not exist for this trainer");
        assert_eq!(trb.get(&format!("/clips/{id}/video.mp4")).await.status(), 404);
        assert_eq!(client().get(format!("{base}/clips/{id}")).send().await.unwrap().status(), 303, "signed out: to the login page");
        let page = tra.get(&format!("/clips/{id}")).await;
        assert_eq!(page.status(), 200);
        let video = tra.get(&format!("/clips/{id}/video.mp4")).await;
        assert_eq!(video.headers()["content-type"], "video/mp4");
        // Forms without the session's CSRF token are refused.
        let r = tra.post_form(&format!("/clips/{id}/review"), &[("action", "keep")]).await;
        assert_eq!(r.status(), 403);
        let r = tra.post_form(&format!("/clips/{id}/review"), &[("action", "keep"), ("csrf", "0123")]).await;
        assert_eq!(r.status(), 403);
        assert_eq!(db.clip(id).await.unwrap().unwrap().status, "new");
        let csrf = tra.csrf(&format!("/clips/{id}")).await;
        let r = tra
            .post_form(
                &format!("/clips/{id}/review"),
                &[("action", "keep"), ("csrf", &csrf), ("notes", "坐姿示范：请对照"), ("tags", "示范")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(db.clip(id).await.unwrap().unwrap().status, "kept");
        // The teaching pack: the clip and an index of the notes.
        let csrf = tra.csrf("/clips").await;
        let r = tra.post_form("/clips/export", &[("csrf", &csrf), ("ids", &id.to_string())]).await;
        assert_eq!(r.status(), 200);
        let zip = r.bytes().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
        let mut index = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("index.html").unwrap(), &mut index).unwrap();
        assert!(index.contains("坐姿示范：请对照") && index.contains(".mp4"), "{index}");
        // A supervisor marks the event a false alarm: it leaves the rate.
        let before: serde_json::Value = sup.get(&format!("/api/v1/summary?date={day}")).await.json().await.unwrap();
        assert_eq!(before["total"]["rate"], 0.5);
        let ev = db.events_between(0.0, 1e12, None).await.unwrap()[0].id;
        let csrf = sup.csrf(&format!("/events?date={day}")).await;
        assert_eq!(sup.post_form(&format!("/events/{ev}/false-alarm"), &[("undo", "false")]).await.status(), 403);
        assert_eq!(sup.post_form(&format!("/events/{ev}/false-alarm"), &[("csrf", &csrf), ("undo", "false")]).await.status(), 303);
        let after: serde_json::Value = sup.get(&format!("/api/v1/summary?date={day}")).await.json().await.unwrap();
        assert_eq!(after["total"]["rate"], 1.0, "{}", after["total"]);
        assert_eq!(after["total"]["rules"]["slouching"], serde_json::json!({"events": 0, "minutes": 0.0, "false_alarms": 1}));
        // Every view and export is in the audit log, which admins read.
        assert_eq!(tra.get("/admin/audit").await.status(), 403);
        let audit = root.get("/admin/audit").await.text().await.unwrap();
        for action in ["clip_viewed", "clip_played", "clip_kept", "clips_exported", "clip_denied", "false_alarm"] {
            assert!(audit.contains(action), "audit log lacks {action}");
        }
        db.close().await;
    });

    // `liyi report --send`: e-mail to the SMTP sink and a DingTalk markdown
    // to the webhook, with the day's figures and a link back.
    let out = Command::new(bin()).args(["report", "--date", &day, "--send", "--config"]).arg(&hub.config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("100.0 %"));
    let mail = common::wait_for(Duration::from_secs(20), || smtp.messages().into_iter().next()).expect("e-mail delivered");
    assert!(mail.contains("li@hall.test") && mail.contains("text/html"), "{mail}");
    let body = hook.bodies.lock().unwrap().last().cloned().expect("webhook delivered");
    assert_eq!(body["msgtype"], "markdown");
    let text = body["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains(&day) && text.contains("100.0 %") && text.contains("甲大厅") && text.contains(&format!("{base}/summary?date={day}")),
        "{text}"
    );
    assert!(body["markdown"]["title"].as_str().unwrap().contains("礼仪日报"));
}
