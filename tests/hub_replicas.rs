//! Two hub processes on one PostgreSQL database and one clips folder, as
//! behind a load balancer. A box uploads to both, alternating; one replica
//! is killed with kill -9 while uploads go on, and what it had not answered
//! is resent to the other. Then:
//! - every minute is stored once, with its values; every event and clip once;
//! - the daily report went out once;
//! - the survivor took over the schedule (its lease, and the alerts).
//!
//! Also: `liyi hub migrate-store` copies a county hub's SQLite file into
//! PostgreSQL, and a hub on the copy serves the same summary.

mod common;
mod hub_support;

use std::time::Duration;

use hub_support::*;

/// One ingest batch: minutes `from..to` of window `w` on `day` (local
/// 09:00 on), with values that differ per minute, and an event per ten.
fn batch(day: &str, w: &str, from: u32, to: u32) -> String {
    let minutes: Vec<serde_json::Value> = (from..to)
        .map(|i| {
            serde_json::json!({
                "window": w, "minute": format!("{day}T{:02}:{:02}:00+08:00", 9 + i / 60, i % 60),
                "observed_s": 60.0, "in_service_s": 60.0, "staffed_s": 60.0 - f64::from(i % 5),
                "compliant_s": 50.0 + f64::from(i % 7) * 0.5, "unknown_s": 0.25, "rules": {}
            })
        })
        .collect();
    let events: Vec<serde_json::Value> = (from..to)
        .filter(|i| i % 10 == 0)
        .map(|i| {
            serde_json::json!({
                "window": w, "rule": "slouching",
                "start": format!("{day}T{:02}:{:02}:10+08:00", 9 + i / 60, i % 60),
                "end": format!("{day}T{:02}:{:02}:40+08:00", 9 + i / 60, i % 60),
                "duration_s": 30.0, "confidence": 0.8, "closed_by": "recovered", "values": {}
            })
        })
        .collect();
    serde_json::json!({ "minutes": minutes, "events": events }).to_string()
}

/// Sends `body` to `first`; if that replica does not answer (killed), to
/// `other`, as a box does after a timeout.
async fn send(first: &str, other: &str, path: &str, token: &str, body: String) -> u16 {
    for base in [first, other] {
        let req = client().post(format!("{base}{path}")).header("content-type", "application/json").bearer_auth(token).body(body.clone());
        if let Ok(r) = req.timeout(Duration::from_secs(10)).send().await
            && r.status().is_success()
        {
            return r.status().as_u16();
        }
    }
    panic!("neither replica took the batch");
}

#[test]
fn two_replicas_share_one_store_and_survive_a_kill_9() {
    let Some(engine) = Engine::postgres("two_replicas_share_one_store_and_survive_a_kill_9") else { return };
    let dir = tempfile::tempdir().unwrap();
    let hook = WebhookSink::start();
    let mut a = HubProc::configure_on(
        dir.path(),
        &format!("[report]\nat = \"00:00\"\n[health]\nbox_silent_s = 6\n[webhook]\nurl = \"{}\"\nformat = \"wecom\"\n", hook.url),
        engine,
    );
    let bdir = dir.path().join("b");
    std::fs::create_dir_all(&bdir).unwrap();
    let mut b = a.replica(&bdir);
    let token = a.admin(&["box-add", "box-r", "--hall", "城关镇"], None);
    a.start();
    // a holds the schedule: its lease is taken on its first tick.
    let holder = |h: &HubProc| rt().block_on(async { h.db().await.lease_holder("schedule").await.unwrap() });
    let first = common::wait_for(Duration::from_secs(30), || holder(&a)).expect("a takes the schedule");
    b.start();

    // Today's report goes out once, by a.
    let report_count = || hook.texts().iter().filter(|t| t.contains("窗口服务规范日报")).count();
    common::wait_for(Duration::from_secs(30), || (report_count() == 1).then_some(())).expect("the day's report went out");

    // Uploads alternate between the replicas; a is killed part-way.
    let day = recent_day();
    let (ua, ub) = (a.url.clone(), b.url.clone());
    let mut sent = 0;
    // The kill comes from another thread, while batches are in flight.
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let p = std::sync::Arc::clone(&progress);
    let killer = std::thread::spawn(move || {
        common::wait_for(Duration::from_secs(60), || (p.load(std::sync::atomic::Ordering::SeqCst) >= 8).then_some(()));
        a.kill();
        a
    });
    let after_kill = std::sync::atomic::AtomicU32::new(u32::MAX);
    // The killed replica's handle holds the scratch database: kept to the end.
    let _a = rt().block_on(async {
        let beat = serde_json::json!({"boot_unix": 100.0, "version": "t", "windows": [
            {"id": "w01", "name": "1号", "source_up": true, "frames_in": 1, "frames_analysed": 1, "frames_stale": 0, "errors": 0}
        ]})
        .to_string();
        for k in 0..24u32 {
            let (x, y) = if k % 2 == 0 { (&ua, &ub) } else { (&ub, &ua) };
            progress.store(k, std::sync::atomic::Ordering::SeqCst);
            send(x, y, "/api/v1/ingest", &token, batch(&day, if k % 3 == 0 { "w01" } else { "w02" }, k * 20, k * 20 + 20)).await;
            // A resend of the same batch to the other replica, as after a
            // lost reply: stored once.
            if k % 4 == 1 {
                send(y, x, "/api/v1/ingest", &token, batch(&day, if k % 3 == 0 { "w01" } else { "w02" }, k * 20, k * 20 + 20)).await;
            }
            send(x, y, "/api/v1/heartbeat", &token, beat.clone()).await;
            sent += 20;
        }
        // One clip, sent to each replica: stored once.
        let (video, thumb) = clip_parts(dir.path(), false);
        let start = format!("{day}T09:00:10+08:00");
        let a = killer.join().unwrap();
        assert!(a.child.is_none(), "a was killed");
        after_kill.store(hook.texts().len() as u32, std::sync::atomic::Ordering::SeqCst);
        for base in [&ua, &ub] {
            // a is dead: the box's retry goes to b.
            let (mut code, mut body) = (0, String::new());
            for b in [base, &ub] {
                if client().get(format!("{b}/healthz")).send().await.is_ok() {
                    (code, body) = upload_clip(b, &token, "w01", "slouching", &start, video.clone(), thumb.clone()).await;
                    break;
                }
            }
            assert!(code == 200 || code == 201, "{code} {body}");
        }
        a
    });

    // b takes the schedule over once a's lease runs out (30 s), and the box,
    // silent from now on, is announced by b.
    let taken = common::wait_for(Duration::from_secs(60), || holder(&b).filter(|h| h.0 != first.0)).expect("b takes over the schedule");
    assert_ne!(taken.0, first.0);
    // Anything the webhook got after the kill came from b: the box, silent
    // since its last beat, is announced offline by the survivor.
    let from_b = || hook.texts().into_iter().skip(after_kill.load(std::sync::atomic::Ordering::SeqCst) as usize).collect::<Vec<_>>();
    common::wait_for(Duration::from_secs(40), || from_b().iter().any(|t| t.contains("已离线") && t.contains("box-r")).then_some(()))
        .unwrap_or_else(|| panic!("the survivor announces the silent box; after the kill the webhook got {:?}", from_b()));
    assert_eq!(report_count(), 1, "the day's report went out once, not again after the takeover: {:?}", hook.texts());

    rt().block_on(async {
        let db = b.db().await;
        let minutes = db.minutes_between(0.0, 1e12, None).await.unwrap();
        assert_eq!(minutes.len(), sent as usize, "every minute once");
        let mut keys: Vec<(String, i64)> = minutes.iter().map(|m| (m.window.clone(), m.minute_unix as i64)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), minutes.len(), "no minute twice");
        for m in &minutes {
            let i = ((m.minute_unix as i64).rem_euclid(86_400) / 60 - 60) as u32; // minutes after 09:00 +08:00 = 01:00 UTC
            assert_eq!(
                (m.staffed_s, m.compliant_s),
                (60.0 - f64::from(i % 5), 50.0 + f64::from(i % 7) * 0.5),
                "minute {i} kept its values"
            );
        }
        let events = db.events_between(0.0, 1e12, None).await.unwrap();
        assert_eq!(events.len(), sent as usize / 10, "every event once");
        let (_, _, clips) = db.counts().await.unwrap();
        assert_eq!(clips, 1, "the clip once");
    });
    b.kill();
}

#[test]
fn a_county_hub_moves_from_sqlite_to_postgres_without_loss() {
    let Some(engine) = Engine::postgres("a_county_hub_moves_from_sqlite_to_postgres_without_loss") else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut county = HubProc::configure(dir.path(), "");
    let token = county.admin(&["box-add", "box-c", "--hall", "城关镇"], None);
    county.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    county.start();
    let day = recent_day();
    rt().block_on(async {
        for k in 0..5 {
            let (code, body) = post_json(&county.url, "/api/v1/ingest", Some(&token), batch(&day, "w01", k * 60, k * 60 + 60)).await;
            assert_eq!(code, 200, "{body}");
        }
    });
    let summary = |url: &str| {
        rt().block_on(async {
            let sup = Browser::sign_in(url, "sup", "supervisor-pass").await;
            sup.get(&format!("/api/v1/summary?date={day}&format=csv")).await.text().await.unwrap()
        })
    };
    let before = summary(&county.url);
    let Engine::Postgres(pg) = &engine else { unreachable!() };
    // While the hub serves the store: refused, it would miss new rows.
    let live = std::process::Command::new(bin())
        .args(["hub", "migrate-store", "--from"])
        .arg(format!("sqlite://{}", county.store().display()))
        .args(["--to", &pg.url])
        .output()
        .unwrap();
    assert!(!live.status.success() && String::from_utf8_lossy(&live.stderr).contains("is running on this store"));
    // Stopped as systemd stops it (SIGTERM): it gives the schedule's lease
    // up, so the copy may start at once.
    let mut child = county.child.take().unwrap();
    std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(child.wait().unwrap().success());

    let out = std::process::Command::new(bin())
        .args(["hub", "migrate-store", "--from"])
        .arg(format!("sqlite://{}", county.store().display()))
        .args(["--to", &pg.url])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("minute\t300") && stdout.contains("compared equal"), "{stdout}");
    // Into a store that is not empty: refused, nothing changed.
    let again = std::process::Command::new(bin())
        .args(["hub", "migrate-store", "--from"])
        .arg(format!("sqlite://{}", county.store().display()))
        .args(["--to", &pg.url])
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // The same hub.toml with [store] url: the same summary, and the box's
    // token and the supervisor's password work on PostgreSQL.
    let pdir = dir.path().join("pg");
    std::fs::create_dir_all(&pdir).unwrap();
    let mut moved = HubProc::configure_on(&pdir, "", engine);
    moved.start();
    assert_eq!(summary(&moved.url), before);
    rt().block_on(async {
        let (code, body) = post_json(&moved.url, "/api/v1/ingest", Some(&token), batch(&day, "w01", 300, 301)).await;
        assert_eq!(code, 200, "{body}");
    });
}
