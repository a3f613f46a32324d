//! The store on a real SQLite file.

use std::collections::BTreeMap;

use super::*;
use crate::rules::metrics::RuleMinute;

fn ts(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn event(start: &str) -> Event {
    Event {
        window: "w1".into(),
        rule: RuleCode::Slouching,
        start: ts(start),
        end: ts(start) + chrono::Duration::seconds(45),
        duration_s: 45.0,
        confidence: 0.8,
        closed_by: "resolved".into(),
        values: BTreeMap::from([("peak_trunk_deg".to_string(), 34.5)]),
    }
}

fn minute(m: &str, compliant: f64) -> MinuteMetrics {
    MinuteMetrics {
        window: "w1".into(),
        minute: Some(ts(m)),
        observed_s: 60.0,
        in_service_s: 60.0,
        staffed_s: 60.0,
        compliant_s: compliant,
        unknown_s: 0.0,
        rules: RuleCode::ALL.iter().map(|r| (*r, RuleMinute::default())).collect(),
    }
}

#[tokio::test]
async fn creates_upgrades_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/edge.sqlite");
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(store.insert_events(&[event("2026-03-02T09:00:00+08:00")]).await.unwrap(), 1);
    store.close().await;
    let store = Store::open(&path).await.unwrap();
    let events = store.events(None).await.unwrap();
    assert_eq!(events, vec![event("2026-03-02T09:00:00+08:00")]);
    let mode: String = sqlx::query("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap().get(0);
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn events_are_idempotent_and_minutes_replace() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).await.unwrap();
    let e = [event("2026-03-02T09:00:00+08:00"), event("2026-03-02T09:05:00+08:00")];
    assert_eq!(store.insert_events(&e).await.unwrap(), 2);
    assert_eq!(store.insert_events(&e).await.unwrap(), 0, "the same events twice are stored once");
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 30.0)]).await.unwrap();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 55.0), minute("2026-03-02T09:01:00+08:00", 60.0)]).await.unwrap();
    let m = store.minutes(Some("w1")).await.unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].compliant_s, 55.0);
    assert_eq!(m[0], minute("2026-03-02T09:00:00+08:00", 55.0));
    assert!(store.minutes(Some("w2")).await.unwrap().is_empty());
}

#[tokio::test]
async fn refuses_a_newer_schema_and_non_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = Store::open(&path).await.unwrap();
    sqlx::query("PRAGMA user_version = 99").execute(&store.pool).await.unwrap();
    store.close().await;
    let err = Store::open(&path).await.err().unwrap().to_string();
    assert!(err.contains("schema version 99") && err.contains("upgrade liyi"), "{err}");

    let junk = dir.path().join("notes.sqlite");
    std::fs::write(&junk, "these are not the rows you are looking for, but a text file long enough to have a header").unwrap();
    let err = Store::open(&junk).await.err().unwrap().to_string();
    assert!(err.contains("notes.sqlite") && err.contains("not a SQLite database"), "{err}");
}
