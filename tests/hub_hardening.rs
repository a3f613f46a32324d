//! Issue 16, items 2, 3 and 5, against a real hub process on 127.0.0.1:
//! - a counter that does not fit the store is refused (422, naming the
//!   field), a bad number already stored is named and skipped, and the
//!   scheduler outlives a failing or panicking job;
//! - every page renders for every role, with and without a hall;
//! - identity keys are UTC milliseconds: clips link to their events
//!   whatever offset either was sent with, resends are one row, clips
//!   never share files, and a version-1 store is repaired.

mod common;
mod hub_support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hub_support::*;
use liyi::hub::HubDb;
use sqlx::Connection;

fn beat(boot: f64, stale: &str) -> String {
    format!(
        r#"{{"boot_unix": {boot}, "version": "t", "windows": [{{"id": "w01", "name": "1号", "source_up": true, "frames_in": 10,
            "frames_analysed": 10, "frames_stale": {stale}, "errors": 0, "last_frame_age_s": 0.5}}]}}"#
    )
}

async fn raw(path: &std::path::Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap()
}

// Two heartbeats whose `frames_stale` add past `i64::MAX` made SQLite store
// a REAL, and every summary panicked from then on. Now each is refused.
on_both_engines!(
    counters_past_the_store_are_refused_and_summaries_go_on,
    counters_past_the_store_are_refused_and_summaries_go_on_on_postgres,
    counters_past_the_store_are_refused_and_summaries_go_on_on
);

fn counters_past_the_store_are_refused_and_summaries_go_on_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    hub.start();
    let base = hub.url.clone();
    let half = (1u64 << 62).to_string();
    rt().block_on(async {
        let (code, body) = post_json(&base, "/api/v1/heartbeat", Some(&token), beat(100.0, &half)).await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("windows[0].frames_stale"), "{body}");
        let (code, body) = post_json(&base, "/api/v1/heartbeat", Some(&token), beat(200.0, &half)).await;
        assert_eq!(code, 422, "{body}");
        let (code, body) = post_json(&base, "/api/v1/heartbeat", Some(&token), beat(200.0, &u64::MAX.to_string())).await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("windows[0].frames_stale") && body.contains("does not fit"), "{body}");
        let (code, body) = post_json(&base, "/api/v1/heartbeat", Some(&token), beat(1e300, "1")).await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("boot_unix"), "{body}");
        // Sane beats are stored, the day's drops add up.
        for stale in ["5", "9"] {
            let (code, body) = post_json(&base, "/api/v1/heartbeat", Some(&token), beat(300.0, stale)).await;
            assert_eq!(code, 200, "{body}");
        }
        let sup = Browser::sign_in(&base, "sup", "supervisor-pass").await;
        let s = sup.get(&format!("/api/v1/summary?date={}", today())).await;
        assert_eq!(s.status(), 200);
        // These beats carry no outbox (an older box): its count of rows
        // never sent is unknown, not 0.
        let health = sup.get("/health").await.text().await.unwrap();
        assert!(health.contains("data-unsent=\"–\""), "{health}");
    });
    let out = Command::new(bin()).args(["report", "--date", &today(), "--config"]).arg(&hub.config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A REAL where the store keeps a count (left by an older hub): the
/// summary is made without that row and names it; the hub serves on.
#[test]
fn a_bad_stored_number_is_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    let day = today();
    rt().block_on(async {
        let mut c = raw(&hub.store()).await;
        sqlx::query("INSERT INTO camera_day (box, window_id, day, offline_s, dropped) VALUES ('box-a', 'w01', ?1, 0, 9.3e18), ('box-a', 'w02', ?1, 5, 3)")
            .bind(&day)
            .execute(&mut c)
            .await
            .unwrap();
        let t: String = sqlx::query_scalar("SELECT typeof(dropped) FROM camera_day WHERE window_id = 'w01'").fetch_one(&mut c).await.unwrap();
        assert_eq!(t, "real");
    });
    let out = Command::new(bin()).args(["report", "--format", "json", "--date", &day, "--config"]).arg(&hub.config).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "liyi report: {stderr}");
    assert!(stderr.contains("camera_day box=box-a window_id=w01") && stderr.contains("dropped"), "the bad row is named: {stderr}");
    assert!(stdout.contains("skipped_rows") && stdout.contains("w01"), "{stdout}");
    // The hub: the summary page and API work, and health alerts go on.
    hub.start();
    rt().block_on(async {
        let sup = Browser::sign_in(&hub.url, "sup", "supervisor-pass").await;
        assert_eq!(sup.get(&format!("/summary?date={day}")).await.status(), 200);
        assert_eq!(sup.get(&format!("/api/v1/summary?date={day}")).await.status(), 200);
        assert_eq!(sup.get("/health").await.status(), 200);
    });
}

/// A job that fails or panics is retried with backoff and raises one alert
/// per run of failures; the other jobs go on every tick.
#[tokio::test]
async fn the_scheduler_outlives_failing_and_panicking_jobs() {
    use liyi::hub::tasks::{Job, tick};
    let (runs_ok, runs_panic, runs_err) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (a, b, c) = (Arc::clone(&runs_ok), Arc::clone(&runs_panic), Arc::clone(&runs_err));
    let mut jobs = vec![
        Job::new("ok", 1.0, move |_| {
            a.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        }),
        Job::new("panics", 1.0, move |_| {
            let b = Arc::clone(&b);
            Box::pin(async move {
                b.fetch_add(1, Ordering::SeqCst);
                let v: Vec<i64> = Vec::new();
                let _ = v[3];
                Ok(())
            })
        }),
        Job::new("fails", 1.0, move |now| {
            c.fetch_add(1, Ordering::SeqCst);
            // Fails for its first 30 s, then works.
            Box::pin(async move { if now < 30.0 { Err("store busy".to_string()) } else { Ok(()) } })
        }),
    ];
    let alerts = Arc::new(std::sync::Mutex::new(Vec::new()));
    for now in 0..200 {
        let alerts = Arc::clone(&alerts);
        tick(&mut jobs, now as f64, move |job, e| {
            alerts.lock().unwrap().push((job, e));
            async {}
        })
        .await;
    }
    assert_eq!(runs_ok.load(Ordering::SeqCst), 200, "the healthy job ran every tick");
    // Backoff 5, 10, 20, 40, 80 s: runs at 0, 5, 15, 35, 75, 155.
    assert_eq!(runs_panic.load(Ordering::SeqCst), 6);
    assert_eq!(jobs[1].failures, 6);
    // Failing at 0, 5, 15; fine at 35 and then every second.
    assert_eq!(runs_err.load(Ordering::SeqCst), 3 + (200 - 35));
    assert_eq!(jobs[2].failures, 0, "recovered");
    let alerts = alerts.lock().unwrap();
    assert_eq!(alerts.iter().map(|a| a.0).collect::<Vec<_>>(), ["panics", "fails"], "one alert per run of failures");
    assert!(alerts[0].1.contains("panicked") && alerts[0].1.contains("index out of bounds"), "{:?}", alerts[0]);
}

/// The router's GET routes, read from its source, so a new page is covered
/// without touching this test.
fn get_routes() -> Vec<String> {
    let src = std::fs::read_to_string(common::repo().join("src/hub/web/mod.rs")).unwrap();
    let consts = [("wire::WHOAMI_PATH", liyi::wire::WHOAMI_PATH)];
    let mut out = Vec::new();
    for line in src.lines().map(str::trim).filter(|l| l.starts_with(".route(") && l.contains("get(")) {
        let arg = line.trim_start_matches(".route(").split(',').next().unwrap().trim();
        let path = match arg.strip_prefix('"') {
            Some(p) => p.trim_end_matches('"').to_string(),
            None => consts.iter().find(|(k, _)| *k == arg).unwrap_or_else(|| panic!("unknown route constant {arg}")).1.to_string(),
        };
        out.push(path);
    }
    assert!(out.len() >= 15, "{out:?}");
    out
}

on_both_engines!(
    every_page_renders_for_every_role_with_and_without_a_hall,
    every_page_renders_for_every_role_with_and_without_a_hall_on_postgres,
    every_page_renders_for_every_role_with_and_without_a_hall_on
);

fn every_page_renders_for_every_role_with_and_without_a_hall_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲 & 大厅"], None);
    hub.admin(&["box-add", "box-b", "--hall", "乙大厅"], None);
    let users = [
        ("supervisor", None),
        ("supervisor", Some("甲 & 大厅")),
        ("trainer", None),
        ("trainer", Some("甲 & 大厅")),
        ("admin", None),
        ("admin", Some("乙大厅")),
    ];
    for (i, (role, hall)) in users.iter().enumerate() {
        let name = format!("u{i}");
        let mut args = vec!["user-add", name.as_str(), "--role", role];
        if let Some(h) = hall {
            args.extend(["--hall", h]);
        }
        hub.admin(&args, Some("long enough password"));
    }
    hub.start();
    let base = hub.url.clone();
    // Two days back: 09:00 today is still ahead of the hub's clock before
    // 09:00 in the halls' zone, and the hub refuses instants from the future.
    let day = hub_support::recent_day();
    rt().block_on(async {
        let t = format!("{day}T09:00:00+08:00");
        let batch = serde_json::json!({"minutes": [{"window": "w01", "minute": t, "observed_s": 60.0, "in_service_s": 60.0, "staffed_s": 60.0,
            "compliant_s": 30.0, "unknown_s": 0.0, "rules": {"slouching": {"violation_s": 30.0, "events": 1}}}],
            "events": [{"window": "w01", "rule": "slouching", "start": format!("{day}T09:00:20+08:00"), "end": format!("{day}T09:00:50+08:00"),
            "duration_s": 30.0, "confidence": 0.9, "closed_by": "recovered", "values": {}}]});
        assert_eq!(post_json(&base, "/api/v1/ingest", Some(&token), batch.to_string()).await.0, 200);
        assert_eq!(post_json(&base, "/api/v1/heartbeat", Some(&token), beat(100.0, "3")).await.0, 200);
        // A clip, indexed directly (its files need not be real here).
        let db = hub.db().await;
        let start = chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:00:20+08:00")).unwrap();
        let meta = liyi::wire::ClipMeta { window: "w01".into(), rule: "slouching".into(), event_start: start, trigger_ts: start };
        let (clip, _) = db.insert_clip("box-a", &meta, "box-a/x.mp4", "box-a/x.png", "{\"values\": {}}", 10, liyi::hub::db::now_unix()).await.unwrap();
        let files = dir.path().join("hub-data/clips/box-a");
        std::fs::create_dir_all(&files).unwrap();
        std::fs::write(files.join("x.mp4"), b"not shown").unwrap();
        std::fs::write(files.join("x.png"), b"not shown").unwrap();
        db.close().await;
        let routes = get_routes();
        let mut seen = 0;
        for (i, user) in users.iter().enumerate() {
            let b = Browser::sign_in(&base, &format!("u{i}"), "long enough password").await;
            for route in &routes {
                for query in ["", "?date=", &format!("?date={day}"), "?hall=%E4%B9%99%E5%A4%A7%E5%8E%85", "?format=csv&date=2026-11-28"] {
                    let path = format!("{}{query}", route.replace("{id}", &clip.to_string()));
                    let r = b.get(&path).await;
                    assert!(r.status().as_u16() < 500, "{} as {:?}: {path} answered {}", user.0, user.1, r.status());
                    seen += 1;
                }
            }
        }
        eprintln!("{seen} page requests, none 5xx");
    });
}

async fn upload(base: &str, token: &str, start: &str, video: Vec<u8>, thumb: Vec<u8>) -> (u16, String) {
    upload_clip(base, token, "w01", "slouching", start, video, thumb).await
}

on_both_engines!(
    keys_are_utc_milliseconds_and_clips_have_their_own_files,
    keys_are_utc_milliseconds_and_clips_have_their_own_files_on_postgres,
    keys_are_utc_milliseconds_and_clips_have_their_own_files_on
);

fn keys_are_utc_milliseconds_and_clips_have_their_own_files_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.start();
    let base = hub.url.clone();
    let (video, thumb) = clip_parts(dir.path(), false);
    let day = hub_support::recent_day();
    let event = |start: &str, end: &str| {
        serde_json::json!({"events": [{"window": "w01", "rule": "slouching", "start": start, "end": end, "duration_s": 30.0, "confidence": 0.9,
            "closed_by": "recovered", "values": {}}]})
        .to_string()
    };
    rt().block_on(async {
        // The box sends the event in UTC, then again in +08:00: one row.
        let (code, body) =
            post_json(&base, "/api/v1/ingest", Some(&token), event(&format!("{day}T01:00:20+00:00"), &format!("{day}T01:00:50+00:00")))
                .await;
        assert_eq!(code, 200, "{body}");
        let (code, body) =
            post_json(&base, "/api/v1/ingest", Some(&token), event(&format!("{day}T09:00:20+08:00"), &format!("{day}T09:00:50+08:00")))
                .await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains("\"events_new\":0"), "the resend is the same event: {body}");
        let db = hub.db().await;
        assert_eq!(db.counts().await.unwrap().1, 1);
        // Its clip, stamped +08:00, links to it.
        let (code, body) = upload(&base, &token, &format!("{day}T09:00:20+08:00"), video.clone(), thumb.clone()).await;
        assert_eq!(code, 200, "{body}");
        let linked = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap();
        let c = db.clip(linked).await.unwrap().unwrap();
        assert!(c.event_id.is_some(), "the clip links to its event: {c:?}");
        let (_, again) = upload(&base, &token, &format!("{day}T01:00:20Z"), video.clone(), thumb.clone()).await;
        assert!(again.contains("\"duplicate\":true"), "the same clip in UTC is a resend: {again}");
        // Two clips a quarter-second apart: two clips, four files.
        let (code, a) = upload(&base, &token, &format!("{day}T10:00:00.250+08:00"), video.clone(), thumb.clone()).await;
        assert_eq!(code, 200, "{a}");
        let (code, b) = upload(&base, &token, &format!("{day}T10:00:00.500+08:00"), video.clone(), thumb.clone()).await;
        assert_eq!(code, 200, "{b}");
        let id = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["id"].as_i64().unwrap();
        let (a, b) = (db.clip(id(&a)).await.unwrap().unwrap(), db.clip(id(&b)).await.unwrap().unwrap());
        assert_ne!(a.id, b.id);
        assert_ne!(a.video, b.video);
        assert_ne!(a.thumbnail, b.thumbnail);
        let clips = dir.path().join("hub-data/clips");
        for f in [&a.video, &a.thumbnail, &b.video, &b.thumbnail, &c.video] {
            assert!(clips.join(f).is_file(), "{f}");
        }
        // Expiring one leaves the other's files.
        db.set_clip_status(c.id, "kept", "t").await.unwrap();
        db.set_clip_status(b.id, "kept", "t").await.unwrap();
        let gone = db.expire_clips(liyi::hub::db::now_unix() + 1e9, 86_400.0).await.unwrap();
        assert_eq!(gone, [a.video.clone(), a.thumbnail.clone()]);
        assert!(db.clip(b.id).await.unwrap().is_some());
        db.close().await;
    });
}

/// A store made by the version-1 schema, with the rows version 1 got wrong,
/// is repaired when a new hub opens it.
#[test]
fn a_version_1_store_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    rt().block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::raw_sql(include_str!("../src/hub/schema/sqlite/v1.sql")).execute(&mut c).await.unwrap();
        sqlx::raw_sql("PRAGMA user_version = 1").execute(&mut c).await.unwrap();
        let t0 = 1_795_827_620.0; // 2026-11-28T09:00:20+08:00
        sqlx::raw_sql(&format!(
            "INSERT INTO box (id, hall, token_sha256, created_unix) VALUES ('b1', '甲', 'x', 0);
             INSERT INTO minute VALUES ('b1', 'w01', '2026-11-28T09:00:00+08:00', {m}, 60, 60, 60, 30, 0, '{{}}', 1);
             -- One event, stored twice under two offsets; the older one was marked a false alarm.
             INSERT INTO event (id, box, window, rule, start, start_unix, end, end_unix, duration_s, confidence, closed_by, values_json,
                                received_unix, false_alarm_by, false_alarm_unix)
             VALUES (1, 'b1', 'w01', 'slouching', '2026-11-28T01:00:20+00:00', {t0}, '2026-11-28T01:00:50+00:00', {t1}, 30, 0.5, 'recovered', '{{}}',
                     10, 'li', 11),
                    (2, 'b1', 'w01', 'slouching', '2026-11-28T09:00:20+08:00', {t0}, '2026-11-28T09:00:50+08:00', {t1}, 30, 0.9, 'recovered', '{{}}',
                     20, NULL, NULL);
             -- Its clip, stamped +08:00 while the kept event says +00:00; stored twice too, once kept.
             INSERT INTO clip (id, box, window, rule, event_start, event_start_unix, trigger_ts, received_unix, video, thumbnail, sidecar_json, bytes,
                               status)
             VALUES (7, 'b1', 'w01', 'slouching', '2026-11-28T09:00:20+08:00', {t0}, '2026-11-28T09:00:20+08:00', 5, 'b1/a.mp4', 'b1/a.png', '{{}}',
                     1, 'kept'),
                    (8, 'b1', 'w01', 'slouching', '2026-11-28T01:00:20Z', {t0}, '2026-11-28T01:00:20Z', 6, 'b1/b.mp4', 'b1/b.png', '{{}}', 1, 'new'),
             -- Two clips a sub-second apart that version 1 gave one path.
                    (9, 'b1', 'w01', 'absent', '2026-11-28T10:00:00.250+08:00', {t2}, '2026-11-28T10:00:00.250+08:00', 6, 'b1/c.mp4', 'b1/c.png',
                     '{{}}', 1, 'new'),
                    (10, 'b1', 'w01', 'absent', '2026-11-28T10:00:00.500+08:00', {t3}, '2026-11-28T10:00:00.500+08:00', 7, 'b1/c.mp4', 'b1/c.png',
                     '{{}}', 1, 'new');",
            m = t0 - 20.0,
            t1 = t0 + 30.0,
            t2 = t0 + 3580.25,
            t3 = t0 + 3580.5,
        ))
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();

        let db = HubDb::open(&path).await.unwrap();
        let events = db.events_between(0.0, 1e12, None).await.unwrap();
        assert_eq!(events.len(), 1, "the duplicate is merged");
        assert_eq!(events[0].id, 2, "the newest revision stays");
        assert!(events[0].false_alarm, "the false-alarm mark of the merged row is kept");
        assert_eq!(db.minutes_between(0.0, 1e12, None).await.unwrap().len(), 1);
        // The roll-ups (version 5) were filled from the stored minute.
        let (quarters, _) = db.quarters_checked(0.0, 1e12, None).await.unwrap();
        assert_eq!((quarters.len(), quarters[0].compliant_s), (1, 30.0));
        let clips = db.clips(&Default::default()).await.unwrap();
        let ids: Vec<i64> = clips.iter().map(|c| c.id).collect();
        assert!(ids.contains(&7) && !ids.contains(&8), "the kept clip stays: {ids:?}");
        assert_eq!(clips.iter().find(|c| c.id == 7).unwrap().event_id, Some(2), "and links to its event");
        assert_eq!(clips.iter().filter(|c| c.video == "b1/c.mp4").count(), 1, "one row per file");
        // The dropped duplicate's files go with the next retention run; a
        // shared file stays.
        let mut gone = db.expire_clips(0.0, 1e12).await.unwrap();
        gone.sort();
        assert_eq!(gone, ["b1/b.mp4", "b1/b.png"]);
        // New rows use the new keys.
        let meta = liyi::wire::ClipMeta {
            window: "w01".into(),
            rule: "slouching".into(),
            event_start: chrono::DateTime::parse_from_rfc3339("2026-11-28T01:00:20+00:00").unwrap(),
            trigger_ts: chrono::DateTime::parse_from_rfc3339("2026-11-28T01:00:20+00:00").unwrap(),
        };
        assert_eq!(db.clip_id("b1", &meta).await.unwrap(), Some(7));
        db.close().await;
        let mut c = raw(&path).await;
        let v: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut c).await.unwrap();
        assert_eq!(v, liyi::hub::db::SCHEMA_VERSION, "upgraded through every version");
    });
}

// Years 0001 and 9999, and a `duration_s` that disagrees with its event's
// end - start, were stored. Now each is refused with 422 naming the field,
// and a time within the window around the hub's clock still goes in.
on_both_engines!(
    ingest_times_are_bounded_to_the_hub_clock,
    ingest_times_are_bounded_to_the_hub_clock_on_postgres,
    ingest_times_are_bounded_to_the_hub_clock_on
);

fn ingest_times_are_bounded_to_the_hub_clock_on(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure_on(dir.path(), "", engine);
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.start();
    let base = hub.url.clone();
    let event = |start: chrono::DateTime<chrono::Utc>, secs: i64, duration_s: f64| {
        let end = start + chrono::Duration::seconds(secs);
        serde_json::json!({"events": [{"window": "w01", "rule": "slouching", "start": start.to_rfc3339(), "end": end.to_rfc3339(),
            "duration_s": duration_s, "confidence": 0.9, "closed_by": "recovered", "values": {}}]})
        .to_string()
    };
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let now = chrono::Utc::now();
    rt().block_on(async {
        for (body, want) in [
            (event(at("0001-01-01T00:00:00Z"), 30, 30.0), "events[0].start"),
            (event(at("9999-12-31T00:00:00Z"), 30, 30.0), "events[0].start"),
            (event(now - chrono::Duration::days(400), 30, 30.0), "events[0].start"),
            (event(now + chrono::Duration::hours(1), 30, 30.0), "events[0].start"),
            (event(now - chrono::Duration::hours(1), 30, 3000.0), "events[0].duration_s"),
        ] {
            let (code, reply) = post_json(&base, "/api/v1/ingest", Some(&token), body.clone()).await;
            assert_eq!(code, 422, "{body}: {reply}");
            assert!(reply.contains(want), "{body}: {reply}");
        }
        let (code, reply) = post_json(&base, "/api/v1/ingest", Some(&token), event(now - chrono::Duration::hours(1), 30, 30.0)).await;
        assert_eq!(code, 200, "{reply}");
    });
}

/// The scheduler reads time only from its clock: on a simulated clock a
/// day of ticks passes at once, and the retention job runs hourly.
#[tokio::test]
async fn the_scheduler_runs_on_a_simulated_clock() {
    use liyi::base::clock::{Clock, SimulatedClock};
    use liyi::hub::tasks::{Job, schedule};
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let jobs = vec![Job::new("hourly", 3600.0, move |now| {
        s.lock().unwrap().push(now);
        Box::pin(async { Ok(()) })
    })];
    let clock = SimulatedClock::new(1_700_000_000_000);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    schedule(jobs, shared, std::time::Duration::from_secs(5), Some(24 * 720), |_, _, _| async {}).await;
    assert_eq!(clock.now_ms(), 1_700_000_000_000 + 86_400_000, "a day of 5 s ticks");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 24);
    assert!(seen.windows(2).all(|w| (w[1] - w[0] - 3600.0).abs() < 1e-6), "{seen:?}");
}

/// `?date=` takes chrono's `%Y`, which reads years such as -262143: the
/// week before it overflowed and the request's task died. Dates outside
/// 2000–2200 are refused with a 400 that names the field; the hub serves on,
/// and `liyi report --date` refuses them the same way.
#[test]
fn report_dates_out_of_range_are_refused_and_the_hub_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    hub.admin(&["user-add", "tra", "--role", "trainer"], Some("trainer-pass"));
    hub.start();
    let hostile = ["-262143-01-01", "262142-12-31", "0000-01-01", "1999-12-31", "2201-01-01", "+99999-01-01", "2026-02-30"];
    rt().block_on(async {
        let sup = Browser::sign_in(&hub.url, "sup", "supervisor-pass").await;
        let tra = Browser::sign_in(&hub.url, "tra", "trainer-pass").await;
        for d in hostile {
            let q = urlencode(d);
            for (who, path) in [(&sup, "/api/v1/summary"), (&sup, "/summary"), (&tra, "/events")] {
                let r = who.get(&format!("{path}?date={q}")).await;
                assert_eq!(r.status(), 400, "{path}?date={d}");
                let body = r.text().await.unwrap();
                assert!(body.contains("date"), "{path}?date={d}: the error names the field: {body}");
            }
        }
        // The edges of the range are served.
        for d in ["2000-01-01", "2200-12-31", &today()] {
            assert_eq!(sup.get(&format!("/api/v1/summary?date={d}")).await.status(), 200, "{d}");
        }
        assert_eq!(sup.get("/health").await.status(), 200);
    });
    for d in ["-262143-01-01", "1999-12-31"] {
        let out = Command::new(bin()).args(["report", &format!("--date={d}"), "--config"]).arg(&hub.config).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "liyi report --date={d}: {stderr}");
        assert!(stderr.contains("--date") && stderr.contains("2000"), "{stderr}");
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B")
}

/// A row the hub will never take (a minute dated a day ahead of its clock:
/// a camera clock set wrong) must not hold back every row queued behind
/// it. The box sends the refused batch row by row: the hub takes the
/// others, and the refused row leaves the queue but stays in the box's
/// store.
#[test]
fn a_row_the_hub_refuses_does_not_block_the_rows_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.start();
    let token_file = dir.path().join("box.token");
    std::fs::write(&token_file, &token).unwrap();
    let config = dir.path().join("box.toml");
    let example = std::fs::read_to_string(common::repo().join("config/example.toml")).unwrap();
    std::fs::write(&config, format!("{example}\n{}", hub_section(&hub.url, "box-a", &token_file, ""))).unwrap();
    let store = dir.path().join("edge.sqlite");
    queue_with_one_ahead(&store);
    let out = Command::new(bin()).args(["push", "--config"]).arg(&config).arg("--store").arg(&store).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("sent 2 row(s)") && stdout.contains("1 row(s) and 0 clip(s) refused") && stdout.contains("waiting: 0 minute(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("never sent, in all: 1 row(s)")
            && stdout.contains("minute in window w01: refused by the hub: ")
            && stdout.contains("after the hub's clock"),
        "the refused row is listed with the hub's reason: {stdout}"
    );
    assert!(
        stderr.contains("the hub refused this row") && stderr.contains("after the hub's clock"),
        "the row and the reason are named: {stderr}"
    );
    rt().block_on(async {
        let db = hub.db().await;
        assert_eq!(db.counts().await.unwrap().0, 2, "the hub has the two good minutes");
        db.close().await;
        let s = liyi::store::Store::open(&store).await.unwrap();
        assert_eq!(s.minutes(None).await.unwrap().len(), 3, "the refused minute stays in the box's store");
        assert_eq!(s.outbox_stats().await.unwrap().unsent, Some(1), "and is recorded as never sent");
    });
}

/// Three queued minutes of window w01 in a new store at `store`: two in the
/// last minutes and, between them, one a day ahead of any clock (a camera
/// clock set wrong), which the hub refuses.
fn queue_with_one_ahead(store: &std::path::Path) {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().fixed_offset().duration_trunc(TimeDelta::minutes(1)).unwrap();
    let minute = |at: chrono::DateTime<chrono::FixedOffset>| liyi::rules::MinuteMetrics {
        window: "w01".into(),
        minute: Some(at),
        observed_s: 60.0,
        in_service_s: 60.0,
        staffed_s: 60.0,
        compliant_s: 60.0,
        unknown_s: 0.0,
        rules: Default::default(),
    };
    rt().block_on(async {
        let s = liyi::store::Store::open(store).await.unwrap().with_outbox();
        let rows = [minute(now - TimeDelta::minutes(3)), minute(now + TimeDelta::days(1)), minute(now - TimeDelta::minutes(2))];
        s.upsert_minutes(&rows).await.unwrap();
        s.close().await;
    });
}

/// A supervisor sees rows the hub will never get: the running agent's
/// `/status`, `/metrics` and status page count them (from its store, so
/// across restarts), its heartbeat carries the count, and the hub's health
/// page shows it against the box.
#[test]
fn rows_the_hub_refused_are_shown_on_the_box_and_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    let token = hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    hub.admin(&["user-add", "sup", "--role", "supervisor"], Some("supervisor-pass"));
    hub.start();
    let token_file = dir.path().join("box.token");
    std::fs::write(&token_file, &token).unwrap();
    let config = common::demo_config(dir.path(), &hub_section(&hub.url, "box-a", &token_file, "heartbeat_s = 1"));
    let store = dir.path().join("edge.sqlite");
    queue_with_one_ahead(&store);
    let agent = common::RunningAgent::looping(&config, &store, Some(60));
    let status = common::wait_for(std::time::Duration::from_secs(40), || {
        let json: serde_json::Value = serde_json::from_str(&agent.get("/status")).ok()?;
        (json["outbox"]["unsent"] == 1).then_some(json)
    })
    .expect("/status counts the refused row");
    assert!(status["outbox"]["minutes"].is_i64(), "{}", status["outbox"]);
    let metrics = agent.get("/metrics");
    assert!(metrics.contains("\nliyi_outbox_unsent_total 1\n"), "{metrics}");
    assert!(metrics.contains("liyi_outbox_rows{kind=\"minute\"} "), "{metrics}");
    let page = agent.get("/");
    assert!(page.contains("id=\"unsent\"") && page.contains("有 1 条记录被中心拒收"), "{page}");
    rt().block_on(async {
        let sup = Browser::sign_in(&hub.url, "sup", "supervisor-pass").await;
        let shown = async || sup.get("/health").await.text().await.unwrap().contains("data-unsent=\"1\"");
        let mut seen = false;
        for _ in 0..100 {
            if shown().await {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert!(seen, "the hub's health page shows the box's unsent row: {}", sup.get("/health").await.text().await.unwrap());
        let db = hub.db().await;
        assert!(db.counts().await.unwrap().0 >= 2, "the good minutes arrived");
        db.close().await;
    });
}
