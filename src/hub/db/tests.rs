use super::*;
use crate::wire::{CameraBeat, Heartbeat};

/// The time the tests give the store (unix seconds, 2026-11-18).
const T: f64 = 1_795_000_000.0;

/// What keeps a test's store alive: its folder, or its scratch database.
#[allow(dead_code)]
enum Guard {
    Dir(tempfile::TempDir),
    Pg(super::scratch::ScratchPg),
}

impl Guard {
    /// The SQLite file's bytes and its log's (empty on PostgreSQL).
    fn file_bytes(&self) -> Vec<u8> {
        match self {
            Guard::Dir(d) => {
                let mut b = std::fs::read(d.path().join("hub.sqlite")).unwrap();
                b.extend(std::fs::read(d.path().join("hub.sqlite-wal")).unwrap_or_default());
                b
            }
            Guard::Pg(_) => Vec::new(),
        }
    }
}

/// The test's stores: an SQLite file always, and a scratch PostgreSQL
/// database where `LIYI_TEST_PG` names a server. Every test here runs on
/// each.
async fn dbs(test: &str) -> Vec<(Guard, HubDb)> {
    let dir = tempfile::tempdir().unwrap();
    let db = HubDb::open(&dir.path().join("hub.sqlite")).await.unwrap();
    let mut out = vec![(Guard::Dir(dir), db)];
    if let Some(pg) = super::scratch::ScratchPg::new(test).await {
        let db = HubDb::connect(&StoreUrl::parse(&pg.url, Path::new("/")).unwrap()).await.unwrap();
        out.push((Guard::Pg(pg), db));
    }
    out
}

/// Window w1's minute `i` after 2026-11-28 09:00 (+08:00), fully in
/// service, `compliant_s` of it compliant, no rule active.
fn minute_at(i: i64, compliant_s: f64) -> crate::rules::MinuteMetrics {
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
    crate::rules::MinuteMetrics {
        window: "w1".into(),
        minute: Some(t0 + chrono::Duration::minutes(i)),
        observed_s: 60.0,
        in_service_s: 60.0,
        staffed_s: 60.0,
        compliant_s,
        unknown_s: 0.0,
        rules: Default::default(),
    }
}

/// Every text value in every table, for checks that something is never
/// stored in clear.
async fn all_text(db: &HubDb) -> String {
    let mut out = String::new();
    for (table, cols) in backend::tables(&db.pool, db.backend).await.unwrap() {
        let list = cols.iter().map(|c| if c == "end" { "\"end\"".to_string() } else { c.clone() }).collect::<Vec<_>>().join(", ");
        for r in sqlx::query(&format!("SELECT {list} FROM {table}")).fetch_all(&db.pool).await.unwrap() {
            for c in &cols {
                if let Ok(Some(t)) = r.try_get::<Option<String>, _>(c.as_str()) {
                    out += &t;
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn tokens_and_passwords_are_stored_hashed() {
    for (g, db) in dbs("tokens_and_passwords_are_stored_hashed").await {
        let token = db.add_box("b1", "甲", T).await.unwrap();
        assert!(matches!(db.add_box("b1", "甲", T).await, Err(AdminError::Invalid(_))));
        assert!(matches!(db.add_box("../b", "甲", T).await, Err(AdminError::Invalid(_))));
        assert_eq!(db.box_for_token(&token).await.unwrap().unwrap().id, "b1");
        assert!(db.box_for_token("wrong").await.unwrap().is_none());
        db.add_user("wang", Role::Supervisor, None, "long enough password", T).await.unwrap();
        assert!(matches!(db.add_user("li", Role::Trainer, None, "short", T).await, Err(AdminError::Invalid(_))));
        assert!(db.check_password("wang", "long enough password").await.unwrap().is_some());
        assert!(db.check_password("wang", "wrong password!!").await.unwrap().is_none());
        assert!(db.check_password("nobody", "long enough password").await.unwrap().is_none());
        let user = db.check_password("wang", "long enough password").await.unwrap().unwrap();
        let (session, csrf) = db.new_session(&user, T).await.unwrap();
        assert_eq!(db.session(&session, T).await.unwrap().unwrap().1, csrf);
        db.end_session(&session).await.unwrap();
        assert!(db.session(&session, T).await.unwrap().is_none());
        let raw = g.file_bytes();
        let text = all_text(&db).await;
        for secret in [token.as_bytes(), b"long enough password".as_slice(), session.as_bytes()] {
            let found = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret);
            assert!(!found(&raw) && !found(text.as_bytes()), "a secret is stored in clear");
        }
    }
}

fn beat(up: bool, stale: u64) -> Heartbeat {
    Heartbeat {
        boot_unix: 100.0,
        version: "test".into(),
        windows: vec![CameraBeat {
            id: "w1".into(),
            name: "1号".into(),
            source_up: up,
            frames_in: 10,
            frames_analysed: 10,
            frames_stale: stale,
            errors: 0,
            last_frame_age_s: None,
        }],
        outbox: Default::default(),
        store: Default::default(),
    }
}

#[tokio::test]
async fn heartbeats_count_offline_time_and_raise_alerts_once() {
    for (_g, db) in dbs("heartbeats_count_offline_time_and_raise_alerts_once").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t0 = now_unix();
        db.heartbeat("b1", &beat(true, 2), t0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &beat(false, 5), t0 + 30.0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &beat(false, 5), t0 + 60.0, "2026-11-28", 60.0).await.unwrap();
        let h = db.health_of(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), None).await.unwrap();
        assert_eq!((h[0].offline_s, h[0].dropped), (60.0, 5));
        // Camera down for 30 s of a 20 s allowance: one alert, not two.
        let a = db.check_health(t0 + 61.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["camera_down"]);
        db.mark_alerts_delivered(&a.iter().map(|a| a.id).collect::<Vec<_>>()).await.unwrap();
        assert!(db.check_health(t0 + 62.0, 120.0, 20.0, 0.0).await.unwrap().is_empty());
        // The box goes silent, then not while the hub itself was down.
        let a = db.check_health(t0 + 300.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_offline"]);
        assert_eq!(a[0].hall, "甲");
    }
}

#[tokio::test]
async fn a_box_whose_store_fails_raises_one_alert_and_one_recovery() {
    for (_g, db) in dbs("a_box_whose_store_fails_raises_one_alert_and_one_recovery").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t0 = now_unix();
        let failing = Heartbeat {
            store: crate::wire::StoreBeat {
                ok: false,
                unsaved: 12,
                write_failures: 3,
                failing_since_unix: Some(t0 - 20.0),
                last_error: Some("database or disk is full".into()),
                ..Default::default()
            },
            ..beat(true, 0)
        };
        db.heartbeat("b1", &beat(true, 0), t0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &failing, t0 + 10.0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &failing, t0 + 20.0, "2026-11-28", 60.0).await.unwrap();
        let b = &db.boxes().await.unwrap()[0];
        assert_eq!(b.store.as_ref().map(|s| (s.ok, s.unsaved)), Some((false, 12)));
        let a = db.check_health(t0 + 21.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_store_failing"]);
        assert_eq!((a[0].hall.as_str(), a[0].box_id.as_str()), ("甲", "b1"));
        db.mark_alerts_delivered(&a.iter().map(|a| a.id).collect::<Vec<_>>()).await.unwrap();
        db.heartbeat("b1", &beat(true, 0), t0 + 30.0, "2026-11-28", 60.0).await.unwrap();
        let a = db.check_health(t0 + 31.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_store_ok"]);
        // Both read in each language from the tables.
        for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::En] {
            assert!(!lang.t("alert.box_store_failing").starts_with('?') && !lang.t("alert.box_store_ok").starts_with('?'));
        }
    }
}

#[tokio::test]
async fn retention_spares_teaching_cases() {
    for (_g, db) in dbs("retention_spares_teaching_cases").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let meta = |start: &str| ClipMeta {
            window: "w1".into(),
            rule: "absent".into(),
            event_start: chrono::DateTime::parse_from_rfc3339(start).unwrap(),
            trigger_ts: chrono::DateTime::parse_from_rfc3339(start).unwrap(),
        };
        let (kept, _) = db.insert_clip("b1", &meta("2026-11-28T09:00:00+08:00"), "a.mp4", "a.png", "{}", 10, T).await.unwrap();
        let (other, new) = db.insert_clip("b1", &meta("2026-11-28T10:00:00+08:00"), "b.mp4", "b.png", "{}", 10, T).await.unwrap();
        assert!(new);
        assert_eq!(db.insert_clip("b1", &meta("2026-11-28T10:00:00+08:00"), "b.mp4", "b.png", "{}", 10, T).await.unwrap(), (other, false));
        db.set_clip_status(kept, "kept", "li").await.unwrap();
        let gone = db.expire_clips(T + 100.0 * 86_400.0, 30.0 * 86_400.0).await.unwrap();
        assert_eq!(gone, ["b.mp4", "b.png"]);
        assert!(db.clip(other).await.unwrap().is_none());
        assert_eq!(db.clip(kept).await.unwrap().unwrap().status, "kept");
    }
}

#[tokio::test]
async fn a_closed_event_replaces_its_open_version() {
    for (_g, db) in dbs("a_closed_event_replaces_its_open_version").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let open = crate::rules::Event {
            window: "w1".into(),
            rule: crate::rules::RuleCode::Absent,
            start: t("2026-11-28T09:00:00+08:00"),
            end: t("2026-11-28T09:00:00+08:00"),
            duration_s: 0.0,
            confidence: 0.0,
            closed_by: "open".into(),
            values: Default::default(),
        };
        // The closed version, sent with another offset: the same key.
        let closed = crate::rules::Event {
            start: t("2026-11-28T01:00:00+00:00"),
            end: t("2026-11-28T01:02:00+00:00"),
            duration_s: 120.0,
            confidence: 0.9,
            closed_by: "interrupted".into(),
            ..open.clone()
        };
        let stored = || async {
            let rows = sqlx::query("SELECT closed_by, end_ms, duration_s FROM event").fetch_all(&db.pool).await.unwrap();
            rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1), r.get::<f64, _>(2))).collect::<Vec<_>>()
        };
        let batch = |e: &crate::rules::Event| IngestBatch { minutes: vec![], events: vec![e.clone()] };
        assert_eq!(db.ingest("b1", &batch(&open), T).await.unwrap().events_new, 1);
        assert_eq!(db.ingest("b1", &batch(&open), T).await.unwrap().events_new, 0, "a resend is kept once");
        assert_eq!(stored().await, [("open".to_string(), open.end.timestamp_millis(), 0.0)]);
        db.ingest("b1", &batch(&closed), T).await.unwrap();
        let want = [("interrupted".to_string(), closed.end.timestamp_millis(), 120.0)];
        assert_eq!(stored().await, want);
        // A closed event is final: a late open or another close is ignored.
        db.ingest("b1", &batch(&open), T).await.unwrap();
        db.ingest("b1", &batch(&crate::rules::Event { closed_by: "resolved".into(), ..closed.clone() }), T).await.unwrap();
        assert_eq!(stored().await, want);
    }
}

#[tokio::test]
async fn a_review_is_one_transaction() {
    for (_g, db) in dbs("a_review_is_one_transaction").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
        let meta = ClipMeta { window: "w1".into(), rule: "absent".into(), event_start: t, trigger_ts: t };
        let (id, _) = db.insert_clip("b1", &meta, "a.mp4", "a.png", "{}", 10, T).await.unwrap();
        db.review_clip(id, "good example", "teach", Some("kept"), "li", T).await.unwrap();
        assert_eq!(db.clip(id).await.unwrap().unwrap().status, "kept");
        let log = db.audit_log(5).await.unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[0].target.as_str(), log[0].user.as_str()),
            ("clip_kept", format!("clip {id}").as_str(), "li")
        );
        assert_eq!(log[0].ts_unix, T, "the review's audit entry is dated by the time given");
    }
}

#[tokio::test]
async fn a_session_lives_session_s_from_the_time_given() {
    for (_g, db) in dbs("a_session_lives_session_s_from_the_time_given").await {
        db.add_user("wang", Role::Supervisor, None, "long enough password", T).await.unwrap();
        let user = db.check_password("wang", "long enough password").await.unwrap().unwrap();
        let t = T + 1000.0;
        let (token, csrf) = db.new_session(&user, t).await.unwrap();
        let live = db.session(&token, t + SESSION_S - 1.0).await.unwrap();
        assert_eq!(live.map(|(u, c)| (u.name, c)), Some(("wang".to_string(), csrf)));
        assert!(db.session(&token, t + SESSION_S + 1.0).await.unwrap().is_none(), "expired after SESSION_S");
        // A session started later deletes the expired one from the store.
        db.new_session(&user, t + SESSION_S + 1.0).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM session WHERE token_sha256 = $1")
            .bind(sha256_hex(&token))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0);
    }
}

#[tokio::test]
async fn a_false_alarm_mark_records_the_time_given() {
    for (_g, db) in dbs("a_false_alarm_mark_records_the_time_given").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let e = crate::rules::Event {
            window: "w1".into(),
            rule: crate::rules::RuleCode::Absent,
            start: t("2026-11-28T09:00:00+08:00"),
            end: t("2026-11-28T09:02:00+08:00"),
            duration_s: 120.0,
            confidence: 0.9,
            closed_by: "interrupted".into(),
            values: Default::default(),
        };
        db.ingest("b1", &IngestBatch { minutes: vec![], events: vec![e.clone()] }, T).await.unwrap();
        let (from, to) = (e.start.timestamp() as f64 - 1.0, e.end.timestamp() as f64 + 1.0);
        let id = db.events_between(from, to, None).await.unwrap()[0].id;
        let marked_at = || async {
            let (by, at): (Option<String>, Option<f64>) =
                sqlx::query_as("SELECT false_alarm_by, false_alarm_unix FROM event WHERE id = $1")
                    .bind(id)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            (by, at)
        };
        assert_eq!(db.set_false_alarm(id, Some("li"), T + 123.5).await.unwrap().as_deref(), Some("甲"));
        assert_eq!(marked_at().await, (Some("li".to_string()), Some(T + 123.5)));
        assert!(db.events_between(from, to, None).await.unwrap()[0].false_alarm);
        // Taking the mark back clears the time too.
        db.set_false_alarm(id, None, T + 200.0).await.unwrap();
        assert_eq!(marked_at().await, (None, None));
        assert!(!db.events_between(from, to, None).await.unwrap()[0].false_alarm);
        assert_eq!(db.set_false_alarm(id + 1, Some("li"), T).await.unwrap(), None, "no such event");
    }
}

#[tokio::test]
async fn an_audit_entry_carries_the_time_given() {
    for (_g, db) in dbs("an_audit_entry_carries_the_time_given").await {
        db.audit("li", "clip_viewed", "clip 7", "b1/w1", T + 42.25).await.unwrap();
        db.audit("wang", "sign_in", "", "", T + 50.0).await.unwrap();
        let log = db.audit_log(5).await.unwrap();
        let got: Vec<_> = log.iter().map(|e| (e.ts_unix, e.user.as_str(), e.action.as_str())).collect();
        assert_eq!(got, [(T + 50.0, "wang", "sign_in"), (T + 42.25, "li", "clip_viewed")]);
    }
}

#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let stores = dbs("both_engines_have_the_same_tables_and_columns").await;
    let sqlite = backend::tables(&stores[0].1.pool, Backend::Sqlite).await.unwrap();
    assert!(sqlite.iter().any(|(t, c)| t == "minute" && c.contains(&"window_id".to_string())));
    assert!(sqlite.iter().any(|(t, _)| t == "lease"));
    if let Some((_, pg)) = stores.get(1) {
        let pg = backend::tables(&pg.pool, Backend::Postgres).await.unwrap();
        assert_eq!(sqlite, pg, "schema/sqlite and schema/postgres must end in the same tables and columns");
    }
}

#[tokio::test]
async fn one_process_holds_the_schedule_lease_until_it_runs_out() {
    for (_g, db) in dbs("one_process_holds_the_schedule_lease_until_it_runs_out").await {
        assert!(db.hold_lease("schedule", "a", T, 30.0).await.unwrap());
        assert!(!db.hold_lease("schedule", "b", T + 1.0, 30.0).await.unwrap(), "b must wait while a renews");
        assert!(db.hold_lease("schedule", "a", T + 20.0, 30.0).await.unwrap(), "a renews");
        assert!(!db.hold_lease("schedule", "b", T + 45.0, 30.0).await.unwrap(), "a's renewal runs to T + 50");
        // a dies: no renewal; b takes over once the lease has run out.
        assert!(db.hold_lease("schedule", "b", T + 51.0, 30.0).await.unwrap());
        assert_eq!(db.lease_holder("schedule").await.unwrap().unwrap().0, "b");
        assert!(!db.hold_lease("schedule", "a", T + 52.0, 30.0).await.unwrap(), "a, back, does not take it from b");
        db.release_lease("schedule", "b").await.unwrap();
        assert!(db.hold_lease("schedule", "a", T + 53.0, 30.0).await.unwrap(), "a clean stop hands it over at once");
    }
}

#[tokio::test]
async fn a_report_is_claimed_once_and_never_sent_twice() {
    for (_g, db) in dbs("a_report_is_claimed_once_and_never_sent_twice").await {
        let day = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap();
        assert_eq!(db.claim_report(day, "email", "a", T).await.unwrap(), lease::Claim::Mine);
        assert_eq!(db.claim_report(day, "email", "a", T).await.unwrap(), lease::Claim::Mine, "the same holder may go on");
        assert!(matches!(db.claim_report(day, "email", "b", T).await.unwrap(), lease::Claim::Taken { holder, .. } if holder == "a"));
        // A failed send gives the claim back; then b may send.
        db.release_report(day, "email", "a").await.unwrap();
        assert_eq!(db.claim_report(day, "email", "b", T).await.unwrap(), lease::Claim::Mine);
        db.report_delivered(day, "email", T).await.unwrap();
        assert!(db.report_sent(day, "email").await.unwrap());
        for who in ["a", "b", "c"] {
            assert_eq!(db.claim_report(day, "email", who, T).await.unwrap(), lease::Claim::Sent);
        }
        // Another channel is its own claim.
        assert_eq!(db.claim_report(day, "webhook", "c", T).await.unwrap(), lease::Claim::Mine);
    }
}

#[tokio::test]
async fn sign_in_failures_are_counted_in_the_store() {
    for (_g, db) in dbs("sign_in_failures_are_counted_in_the_store").await {
        let k = vec!["addr:10.0.0.9".to_string(), "user:wang".to_string()];
        for i in 0..3 {
            db.record_signin_failure(&k, T + i as f64, T - 300.0).await.unwrap();
        }
        assert_eq!(db.signin_failures("addr:10.0.0.9", T - 300.0).await.unwrap(), (3, Some(T + 2.0)));
        assert_eq!(db.signin_failures("user:wang", T + 1.0).await.unwrap().0, 2);
        db.clear_signin_failures("user:wang").await.unwrap();
        assert_eq!(db.signin_failures("user:wang", 0.0).await.unwrap(), (0, None));
        // Old failures are forgotten on the next record.
        db.record_signin_failure(&["addr:x".to_string()], T + 1000.0, T + 900.0).await.unwrap();
        assert_eq!(db.signin_failures("addr:10.0.0.9", 0.0).await.unwrap().0, 0);
    }
}

/// A store with a little of everything, and some awkward values: text in
/// Chinese, a quote, NULLs, fractions of a second, large counts.
async fn fill(db: &HubDb) {
    db.add_box("b1", "甲大厅", T).await.unwrap();
    db.add_box("b.2", "乙 'quoted'", T).await.unwrap();
    db.heartbeat("b1", &beat(true, 2), T + 1.5, "2026-11-28", 60.0).await.unwrap();
    db.heartbeat("b1", &beat(false, u64::from(u32::MAX) * 4), T + 31.25, "2026-11-28", 60.0).await.unwrap();
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let minutes = (0..900)
        .map(|i| crate::rules::MinuteMetrics {
            window: format!("w{}", i % 3),
            minute: Some(t("2026-11-28T09:00:00+08:00") + chrono::Duration::minutes(i / 3)),
            observed_s: 60.0,
            in_service_s: 59.5,
            staffed_s: 58.0 - (i % 7) as f64 * 0.1,
            compliant_s: 50.0 + 1.0 / 3.0,
            unknown_s: 0.0,
            rules: Default::default(),
        })
        .collect();
    let event = crate::rules::Event {
        window: "w1".into(),
        rule: crate::rules::RuleCode::Slouching,
        start: t("2026-11-28T09:00:00.125+08:00"),
        end: t("2026-11-28T09:01:00+08:00"),
        duration_s: 59.875,
        confidence: 0.75,
        closed_by: "recovered".into(),
        values: Default::default(),
    };
    db.ingest("b1", &IngestBatch { minutes, events: vec![event] }, T + 2.0).await.unwrap();
    let meta = ClipMeta {
        window: "w1".into(),
        rule: "slouching".into(),
        event_start: t("2026-11-28T09:00:00.125+08:00"),
        trigger_ts: t("2026-11-28T09:00:05+08:00"),
    };
    let (id, _) = db.insert_clip("b1", &meta, "b1/a.mp4", "b1/a.png", "{\"n\":1}", 12345, T + 3.0).await.unwrap();
    db.review_clip(id, "坐姿示范 \"好\"", "teach", Some("kept"), "li", T + 4.0).await.unwrap();
    db.log_refused_clip("b.2", &meta, "face found", T + 5.0).await.unwrap();
    db.add_user("wang", Role::Supervisor, Some("甲大厅"), "long enough password", T).await.unwrap();
    let u = db.check_password("wang", "long enough password").await.unwrap().unwrap();
    db.new_session(&u, T + 6.0).await.unwrap();
    db.check_health(T + 400.0, 60.0, 60.0, T).await.unwrap();
    db.report_delivered(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), "email", T + 7.0).await.unwrap();
    db.record_signin_failure(&["addr:1.2.3.4".into()], T + 8.0, T).await.unwrap();
}

#[tokio::test]
async fn a_store_copies_to_the_other_engine_row_for_row() {
    let stores = dbs("a_store_copies_to_the_other_engine_row_for_row").await;
    let (_, sqlite) = &stores[0];
    fill(sqlite).await;
    // Into an empty SQLite file (the only engine every machine has), and,
    // where a server is given, into PostgreSQL and back again.
    let dir = tempfile::tempdir().unwrap();
    let second = HubDb::open(&dir.path().join("copy.sqlite")).await.unwrap();
    let copied = copy::copy_store(sqlite, &second).await.unwrap();
    assert_eq!(copied.tables.iter().find(|t| t.0 == "minute").unwrap().1, 900);
    assert!(copied.rows() > 910, "{copied:?}");
    assert_eq!(second.counts().await.unwrap(), sqlite.counts().await.unwrap());
    assert!(matches!(copy::copy_store(sqlite, &second).await, Err(copy::CopyError::TargetNotEmpty { .. })), "never into a store in use");
    if let Some((_, pg)) = stores.get(1) {
        let into_pg = copy::copy_store(sqlite, pg).await.unwrap();
        assert_eq!(into_pg, copied);
        // The copy works as a store: ids go on after the copied ones, and
        // it reads as the source does.
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(pg.health_of(day, None).await.unwrap().len(), sqlite.health_of(day, None).await.unwrap().len());
        assert_eq!(pg.events_between(0.0, 1e12, None).await.unwrap().len(), 1);
        assert_eq!(pg.audit_log(10).await.unwrap().len(), sqlite.audit_log(10).await.unwrap().len());
        assert!(pg.check_password("wang", "long enough password").await.unwrap().is_some(), "accounts copy with their password hashes");
        pg.audit("li", "x", "y", "z", T + 9.0).await.unwrap();
        let back_dir = tempfile::tempdir().unwrap();
        let back = HubDb::open(&back_dir.path().join("back.sqlite")).await.unwrap();
        let again = copy::copy_store(pg, &back).await.unwrap();
        assert_eq!(again.rows(), copied.rows() + 1);
    }
}

/// A row the copy cannot carry (a count stored as a REAL past i64 by an
/// older hub) stops the copy with the row named by its table's key, so the
/// installer can find it.
#[tokio::test]
async fn a_row_that_does_not_copy_is_named_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let source = HubDb::open(&dir.path().join("src.sqlite")).await.unwrap();
    source.add_box("b1", "甲", T).await.unwrap();
    sqlx::query("INSERT INTO camera_day (box, window_id, day, offline_s, dropped) VALUES ('b1', 'w07', '2026-11-28', 0, 9.3e18)")
        .execute(&source.pool)
        .await
        .unwrap();
    let target = HubDb::open(&dir.path().join("dst.sqlite")).await.unwrap();
    match copy::copy_store(&source, &target).await {
        Err(e @ copy::CopyError::Row { .. }) => {
            let m = e.to_string();
            assert!(m.contains("camera_day") && m.contains("box=b1") && m.contains("window_id=w07") && m.contains("day="), "{m}");
            assert!(m.contains("dropped"), "the column is named: {m}");
        }
        other => panic!("{other:?}"),
    }
}

/// Two replicas start together on a store with minutes and no roll-ups
/// (one copied without them): the roll-ups are filled once, not twice at
/// the same time (which fought over the same rows), and every minute is in
/// its quarter; minutes sent afterwards roll up as usual.
#[tokio::test]
async fn replicas_starting_together_fill_the_roll_ups_once() {
    let Some(pg) = super::scratch::ScratchPg::new("replicas_starting_together_fill_the_roll_ups_once").await else { return };
    let url = StoreUrl::parse(&pg.url, Path::new("/")).unwrap();
    let a = HubDb::connect(&url).await.unwrap();
    a.add_box("b1", "甲", T).await.unwrap();
    let minute = |i: i64| minute_at(i, 50.0);
    let batch = |r: std::ops::Range<i64>| IngestBatch { minutes: r.map(minute).collect(), events: vec![] };
    a.ingest("b1", &batch(0..600), T).await.unwrap();
    sqlx::query("DELETE FROM minute_quarter").execute(&a.pool).await.unwrap();
    // Opening a store fills its roll-ups if they are missing.
    let (b, c) = tokio::join!(HubDb::connect(&url), HubDb::connect(&url));
    let (b, c) = (b.unwrap(), c.unwrap());
    assert_eq!((b.rebuild_quarters_if_missing().await.unwrap(), c.rebuild_quarters_if_missing().await.unwrap()), (0, 0), "filled");
    b.ingest("b1", &batch(600..660), T).await.unwrap();
    let (minutes, _) = a.minutes_checked(0.0, 1e12, None).await.unwrap();
    let (quarters, _) = a.quarters_checked(0.0, 1e12, None).await.unwrap();
    assert_eq!((minutes.len(), quarters.len()), (660, 44));
    let sum = |rows: &[crate::hub::summary::MinuteRow]| rows.iter().map(|m| m.in_service_s).sum::<f64>();
    assert_eq!(sum(&quarters), sum(&minutes), "every minute is in its quarter");
}

#[tokio::test]
async fn quarter_roll_ups_are_the_sums_of_their_minutes_and_summaries_agree() {
    use crate::hub::summary::{self, Thresholds};
    for (_g, db) in dbs("quarter_roll_ups_are_the_sums_of_their_minutes_and_summaries_agree").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let minute = |i: i64, compliant: f64| crate::rules::MinuteMetrics {
            window: "w1".into(),
            minute: Some(t("2026-11-28T09:00:00+08:00") + chrono::Duration::minutes(i)),
            observed_s: 60.0,
            in_service_s: 60.0,
            staffed_s: 60.0,
            compliant_s: compliant,
            unknown_s: 0.0,
            rules: [(RuleCode::Slouching, crate::rules::metrics::RuleMinute { violation_s: 60.0 - compliant, events: (i % 2) as u32 })]
                .into(),
        };
        let batch = |ms: Vec<crate::rules::MinuteMetrics>, events: Vec<crate::rules::Event>| IngestBatch { minutes: ms, events };
        db.ingest("b1", &batch((0..40).map(|i| minute(i, 30.0 + (i % 7) as f64)).collect(), vec![]), T).await.unwrap();
        // A resent minute with other values replaces the first: the quarter follows.
        db.ingest("b1", &batch(vec![minute(3, 59.0)], vec![]), T).await.unwrap();
        let ev = crate::rules::Event {
            window: "w1".into(),
            rule: RuleCode::Slouching,
            start: t("2026-11-28T09:13:30+08:00"),
            end: t("2026-11-28T09:17:10+08:00"),
            duration_s: 220.0,
            confidence: 0.9,
            closed_by: "recovered".into(),
            values: Default::default(),
        };
        db.ingest("b1", &batch(vec![], vec![ev]), T).await.unwrap();
        let (from, to) = (0.0, 1e12);
        let (minutes, _) = db.minutes_checked(from, to, None).await.unwrap();
        let (quarters, _) = db.quarters_checked(from, to, None).await.unwrap();
        assert_eq!((minutes.len(), quarters.len()), (40, 3), "09:00, 09:15 and 09:30");
        let sum = |rows: &[crate::hub::summary::MinuteRow]| rows.iter().map(|m| m.compliant_s).sum::<f64>();
        assert_eq!(sum(&minutes), sum(&quarters));
        assert_eq!(sum(&quarters[..1]), (0..15).map(|i| if i == 3 { 59.0 } else { 30.0 + (i % 7) as f64 }).sum::<f64>());
        // Rebuilt from scratch: the same rows.
        db.rebuild_quarters().await.unwrap();
        assert_eq!(db.quarters_checked(from, to, None).await.unwrap().0, quarters);
        // A false alarm across two quarters: the summary from quarters is the
        // summary from minutes.
        let id = db.events_between(from, to, None).await.unwrap()[0].id;
        db.set_false_alarm(id, Some("li"), T).await.unwrap();
        let events = db.events_between(from, to, None).await.unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let th = Thresholds { attention_below: 0.9, attention_unknown: 0.3 };
        let mut by_minute = minutes.clone();
        summary::without_false_alarms(&mut by_minute, &events);
        let mut by_quarter = quarters.clone();
        crate::hub::report::credit_false_alarms(&db, &mut by_quarter, &events).await.unwrap();
        // A damaged row whose end lies 30 million years ahead is walked only
        // over the report's own quarters (before, about 10^12 steps), and
        // credits the quarters from its start to the report's last.
        let mut damaged = events.clone();
        damaged[0].end_unix = 1e15;
        let mut credited = quarters.clone();
        crate::hub::report::credit_false_alarms(&db, &mut credited, &damaged).await.unwrap();
        assert_eq!(credited[0], by_quarter[0], "the quarter the event starts in is credited as before");
        assert!(sum(&credited[2..]) > sum(&quarters[2..]), "the last quarter, past the event's true end, is credited too");
        let a = summary::summarise(day, tz, by_minute, events.clone(), &[], &Default::default(), th);
        let b = summary::summarise(day, tz, by_quarter, events, &[], &Default::default(), th);
        // Equal but for the order of additions (a few ulps).
        fn rounded(v: serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Number(n) => {
                    n.as_f64().map_or(serde_json::Value::Number(n), |f| serde_json::json!((f * 1e6).round() / 1e6))
                }
                serde_json::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(rounded).collect()),
                serde_json::Value::Object(o) => serde_json::Value::Object(o.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
                v => v,
            }
        }
        assert!(a.total.compliant_s > sum(&minutes) + 100.0, "the false alarm's time was given back");
        assert_eq!(rounded(serde_json::to_value(&a).unwrap()), rounded(serde_json::to_value(&b).unwrap()));
    }
}

/// Two batches of one box in flight at once, minutes of the same quarter:
/// the roll-up is still the sum of all its minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_of_one_box_keep_the_roll_up_whole() {
    for (_g, db) in dbs("concurrent_batches_of_one_box_keep_the_roll_up_whole").await {
        db.add_box("b1", "甲", T).await.unwrap();
        let minute = |i: i64| minute_at(i, 1.0 + i as f64);
        for round in 0..96 {
            let base = round * 15;
            let a = IngestBatch { minutes: (base..base + 7).map(minute).collect(), events: vec![] };
            let b = IngestBatch { minutes: (base + 7..base + 15).map(minute).collect(), events: vec![] };
            let (x, y) = tokio::join!(db.ingest("b1", &a, T), db.ingest("b1", &b, T));
            x.unwrap();
            y.unwrap();
        }
        let (minutes, _) = db.minutes_checked(0.0, 1e12, None).await.unwrap();
        let (quarters, _) = db.quarters_checked(0.0, 1e12, None).await.unwrap();
        assert_eq!((minutes.len(), quarters.len()), (1440, 96));
        for q in &quarters {
            let own: f64 = minutes
                .iter()
                .filter(|m| m.minute_unix >= q.minute_unix && m.minute_unix < q.minute_unix + 900.0)
                .map(|m| m.compliant_s)
                .sum();
            assert_eq!(q.compliant_s, own, "quarter at {} lost a concurrent batch", q.minute_unix);
        }
    }
}
