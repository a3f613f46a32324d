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

fn clip_row(window: &str, start: &str, bytes: u64) -> ClipRow {
    ClipRow {
        id: 0,
        window: window.into(),
        rule: "absent".into(),
        event_start: ts(start),
        trigger_ts: ts(start),
        created_unix: 1.0,
        video: format!("{start}.mp4"),
        thumbnail: format!("{start}.png"),
        sidecar: format!("{start}.json"),
        bytes,
    }
}

#[tokio::test]
async fn outbox_queues_with_the_row_and_keeps_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).await.unwrap().with_outbox();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0), minute("2026-03-02T09:01:00+08:00", 60.0)]).await.unwrap();
    store.insert_events(&[event("2026-03-02T09:00:10+08:00")]).await.unwrap();
    // The same event again is not queued again.
    store.insert_events(&[event("2026-03-02T09:00:10+08:00")]).await.unwrap();
    let batch = store.next_batch(10).await.unwrap();
    assert_eq!((batch.minutes.len(), batch.events.len()), (2, 1));
    assert_eq!(batch.minutes[0].1.compliant_s, 50.0);
    // The first minute is rewritten while the batch is in flight: the
    // confirmation of the old revision keeps it queued, in its new form.
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 58.0)]).await.unwrap();
    assert_eq!(store.ack(&batch.tickets()).await.unwrap(), 2);
    let again = store.next_batch(10).await.unwrap();
    assert_eq!((again.minutes.len(), again.events.len()), (1, 0));
    assert_eq!(again.minutes[0].1.compliant_s, 58.0);
    store.ack(&again.tickets()).await.unwrap();
    assert_eq!(store.outbox_stats().await.unwrap(), OutboxStats { unsent: Some(0), ..OutboxStats::default() });
    // Without an outbox nothing is queued.
    let plain = Store::open(&dir.path().join("p.sqlite")).await.unwrap();
    plain.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0)]).await.unwrap();
    assert!(plain.next_batch(10).await.unwrap().is_empty());
}

/// A row the hub refuses for good leaves the queue and is recorded in
/// `unsent` (with its reason, bounded), in the count the box shows and
/// sends; the row itself stays stored; a restart keeps the record. A row
/// rewritten since it was sent is not refused: its new revision goes out.
#[tokio::test]
async fn a_refused_row_is_recorded_as_unsent_and_the_record_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = Store::open(&path).await.unwrap().with_outbox();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0), minute("2026-03-02T09:01:00+08:00", 60.0)]).await.unwrap();
    let batch = store.next_batch(10).await.unwrap();
    let (first, second) = (batch.minutes[0].0, batch.minutes[1].0);
    let long_reason = format!("minute: ahead of the hub's clock\n{}", "x".repeat(1000));
    store.refuse_queued(first, &long_reason).await.unwrap();
    // The second is rewritten in flight: its old revision is not refused.
    store.upsert_minutes(&[minute("2026-03-02T09:01:00+08:00", 61.0)]).await.unwrap();
    store.refuse_queued(second, "stale").await.unwrap();
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!((stats.minutes, stats.unsent), (1, Some(1)), "{stats:?}");
    store.close().await;

    let store = Store::open(&path).await.unwrap().with_outbox();
    assert_eq!(store.outbox_stats().await.unwrap().unsent, Some(1), "kept across a restart");
    let unsent = store.unsent(10).await.unwrap();
    assert_eq!(unsent.len(), 1);
    assert_eq!((unsent[0].kind.as_str(), unsent[0].window.as_deref()), ("minute", Some("w1")));
    assert!(unsent[0].reason.starts_with("refused by the hub: minute: ahead"), "{}", unsent[0].reason);
    assert!(unsent[0].reason.chars().count() <= 300 && !unsent[0].reason.contains('\n'), "bounded, one line");
    assert_eq!(store.minutes(None).await.unwrap().len(), 2, "the refused minute stays stored");
    let again = store.next_batch(10).await.unwrap();
    assert_eq!(again.minutes.len(), 1);
    assert_eq!(again.minutes[0].1.compliant_s, 61.0, "the rewritten minute goes out");
}

/// A damaged or hand-edited file: bytes where text belongs, text where a
/// number belongs (the tables are not STRICT). Reading names the table and
/// column instead of panicking; the uploader skips the bad queued row, sends
/// the rest, and the bad row stays stored.
#[tokio::test]
async fn damaged_rows_are_named_not_a_panic_and_do_not_block_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = Store::open(&path).await.unwrap().with_outbox();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0), minute("2026-03-02T09:01:00+08:00", 60.0)]).await.unwrap();
    store.insert_events(&[event("2026-03-02T09:00:10+08:00"), event("2026-03-02T09:05:10+08:00")]).await.unwrap();
    store.insert_clip(&clip_row("w1", "2026-03-02T09:00:10+08:00", 10)).await.unwrap();
    store.insert_clip(&clip_row("w1", "2026-03-02T09:05:10+08:00", 10)).await.unwrap();
    for damage in [
        "UPDATE minute SET observed_s = 'lots' WHERE minute LIKE '%09:00:00%'",
        "UPDATE event SET window = x'ff' WHERE start LIKE '%09:00:10%'",
        "UPDATE clip SET bytes = 'big', video = x'ff' WHERE event_start LIKE '%09:00:10%'",
        "UPDATE outbox SET enqueued_unix = 'then', bytes = x'00ff' WHERE kind = 'clip' AND seq = (SELECT MIN(seq) FROM outbox WHERE kind = 'clip')",
        "INSERT INTO baseline (window, learner_json, updated_unix) VALUES ('w9', x'00', 'now')",
    ] {
        sqlx::query(damage).execute(&store.pool).await.unwrap();
    }
    let err = store.minutes(None).await.unwrap_err().to_string();
    assert!(err.contains("minute.observed_s"), "{err}");
    let err = store.events(None).await.unwrap_err().to_string();
    assert!(err.contains("event.window"), "{err}");
    let err = store.clips().await.unwrap_err().to_string();
    assert!(err.contains("clip."), "{err}");
    store.save_baseline("w1", "{}", 7).await.unwrap();
    assert_eq!(store.baselines().await.unwrap(), vec![("w1".to_string(), "{}".to_string(), 7)], "the unreadable one is left out");
    // The uploader gets the readable rows; the unreadable ones leave the
    // queue, not the store.
    let batch = store.next_batch(10).await.unwrap();
    assert_eq!((batch.minutes.len(), batch.events.len()), (1, 1));
    assert_eq!(batch.minutes[0].1.compliant_s, 60.0);
    store.ack(&batch.tickets()).await.unwrap();
    assert!(store.next_batch(10).await.unwrap().is_empty());
    let (_, clip) = store.next_clip().await.unwrap().expect("the readable clip");
    assert!(clip.event_start.to_rfc3339().contains("09:05:10"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM minute").fetch_one(&store.pool).await.unwrap();
    assert_eq!(n, 2, "the damaged minute stays stored");
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.unsent, Some(3), "the unreadable minute, event and clip are recorded as never sent: {stats:?}");
    let unsent = store.unsent(10).await.unwrap();
    assert!(unsent.iter().all(|u| u.reason.contains("cannot be read")), "{unsent:?}");
    store.bound_outbox(1e12, 1.0, 0).await.unwrap();
}

#[tokio::test]
async fn outbox_bounds_drop_only_the_oldest_clips() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).await.unwrap().with_outbox();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0)]).await.unwrap();
    for (k, start) in ["2026-03-02T09:00:00+08:00", "2026-03-02T09:05:00+08:00", "2026-03-02T09:10:00+08:00"].iter().enumerate() {
        assert!(store.insert_clip(&clip_row("w1", start, 400 + k as u64)).await.unwrap());
    }
    let now = chrono::Utc::now().timestamp() as f64;
    // 1,203 bytes wait; at most 900 may: the oldest goes.
    let dropped = store.bound_outbox(now, 86_400.0, 900).await.unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(store.outbox_stats().await.unwrap().unsent, Some(1), "a clip the bound drops is recorded as never sent");
    assert!(store.unsent(1).await.unwrap()[0].reason.contains("outbox_clip_mb"));
    let (_, next) = store.next_clip().await.unwrap().unwrap();
    assert_eq!(next.event_start, ts("2026-03-02T09:05:00+08:00"));
    // Too old: every clip goes, the minute stays.
    store.bound_outbox(now + 10.0 * 86_400.0, 86_400.0, u64::MAX).await.unwrap();
    let s = store.outbox_stats().await.unwrap();
    assert_eq!((s.minutes, s.clips, s.clip_bytes, s.unsent), (1, 0, 0, Some(3)));
    assert!(store.unsent(1).await.unwrap()[0].reason.contains("outbox_max_age_days"));
    // A clip deleted by retention leaves the outbox with it.
    assert!(store.insert_clip(&clip_row("w1", "2026-03-02T10:00:00+08:00", 10)).await.unwrap());
    let id = store.clips().await.unwrap().last().unwrap().id;
    store.delete_clips(&[id]).await.unwrap();
    assert!(store.next_clip().await.unwrap().is_none());
}

#[tokio::test]
async fn an_open_event_is_closed_by_its_end_and_queued_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).await.unwrap().with_outbox();
    let closed = event("2026-03-02T09:00:10+08:00");
    assert_eq!(store.open_events("w1", &[(closed.rule, closed.start)]).await.unwrap(), 1);
    let stored = store.events(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].closed_by.as_str(), stored[0].end, stored[0].duration_s), (OPEN, closed.start, 0.0));
    let sent = store.next_batch(10).await.unwrap();
    assert_eq!(sent.events.len(), 1, "the open event goes out");
    assert_eq!(store.open_events("w1", &[(closed.rule, closed.start)]).await.unwrap(), 0, "opened twice, stored once");
    assert_eq!(store.insert_events(std::slice::from_ref(&closed)).await.unwrap(), 1, "the end closes it");
    assert_eq!(store.events(None).await.unwrap(), vec![closed.clone()]);
    // The hub's confirmation of the open version keeps the closed one queued.
    store.ack(&sent.tickets()).await.unwrap();
    let again = store.next_batch(10).await.unwrap();
    assert_eq!(again.events.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>(), vec![closed.clone()]);
    // A closed event is final: neither a late open nor another close changes it.
    assert_eq!(store.open_events("w1", &[(closed.rule, closed.start)]).await.unwrap(), 0);
    let mut other = closed.clone();
    other.closed_by = "unknown".into();
    assert_eq!(store.insert_events(&[other]).await.unwrap(), 0);
    assert_eq!(store.events(None).await.unwrap(), vec![closed]);
    assert!(store.close_interrupted().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_restart_closes_open_events_at_the_last_observed_minute() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = Store::open(&path).await.unwrap().with_outbox();
    let start = ts("2026-03-02T09:00:10+08:00");
    store.open_events("w1", &[(RuleCode::Slouching, start)]).await.unwrap();
    // Another window's event opened after its last stored minute.
    let mut late = minute("2026-03-02T08:58:00+08:00", 60.0);
    late.window = "w2".into();
    store.upsert_minutes(&[minute("2026-03-02T09:00:00+08:00", 50.0), minute("2026-03-02T09:01:00+08:00", 0.0), late]).await.unwrap();
    store.open_events("w2", &[(RuleCode::Absent, start)]).await.unwrap();
    let sent = store.next_batch(10).await.unwrap();
    store.ack(&sent.tickets()).await.unwrap();
    store.close().await;

    let store = Store::open(&path).await.unwrap().with_outbox();
    let closed = store.close_interrupted().await.unwrap();
    assert_eq!(closed.len(), 2);
    let stored = store.events(None).await.unwrap();
    assert_eq!(stored, closed);
    let w1 = stored.iter().find(|e| e.window == "w1").unwrap();
    assert_eq!(w1.closed_by, INTERRUPTED);
    assert_eq!(w1.end, ts("2026-03-02T09:02:00+08:00"), "the end of the latest stored minute");
    assert_eq!(w1.end.offset(), start.offset());
    assert_eq!(w1.duration_s, 110.0);
    let w2 = stored.iter().find(|e| e.window == "w2").unwrap();
    assert_eq!((w2.closed_by.as_str(), w2.end, w2.duration_s), (INTERRUPTED, start, 0.0), "never before its start");
    let resent = store.next_batch(10).await.unwrap();
    assert_eq!(resent.events.len(), 2, "the closed versions are queued for the hub");
    assert!(store.close_interrupted().await.unwrap().is_empty(), "closed once");
}
