//! Events on MQTT, the convention of edge video analytics: each event's
//! start and end, each window's rule states (retained) and the box's
//! availability (retained, with a last will). The connection is a task on
//! the caller's async runtime (the box's one). Numbers and codes only:
//! window ids, rule codes, times, durations; never pixels, never names of
//! people. Publishing never waits: messages queue in a bounded channel and
//! are dropped, and counted, when the broker is away long enough to fill
//! it. Topics and payloads: docs/mqtt.md.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use rumqttc::{AsyncClient, Event as MqttEvent, LastWill, MqttOptions, Outgoing, Packet, QoS, Transport};
use serde::Serialize;
use serde_json::json;

use crate::base::clock::Backoff;
use crate::config::MqttSettings;
use crate::rules::{Event, RuleCode};
use crate::sync::lock;

type Ts = DateTime<FixedOffset>;

/// The topics of one box.
#[derive(Debug, Clone, PartialEq)]
pub struct Topics {
    prefix: String,
    hall: String,
    box_id: String,
}

impl Topics {
    pub fn new(prefix: &str, hall: &str, box_id: &str) -> Topics {
        Topics { prefix: prefix.to_string(), hall: level(hall), box_id: level(box_id) }
    }

    /// `<prefix>/<hall>/<window>/events`
    pub fn events(&self, window: &str) -> String {
        format!("{}/{}/{}/events", self.prefix, self.hall, level(window))
    }

    /// `<prefix>/<hall>/<window>/state` (retained)
    pub fn state(&self, window: &str) -> String {
        format!("{}/{}/{}/state", self.prefix, self.hall, level(window))
    }

    /// `<prefix>/<hall>/alerts`: the hub's alerts about `hall`'s boxes (its
    /// own, hall empty: `<prefix>/hub/alerts`).
    pub fn alerts(&self, hall: &str) -> String {
        format!("{}/{}/alerts", self.prefix, level(if hall.is_empty() { "hub" } else { hall }))
    }

    /// `<prefix>/<box>/available` (retained: `online` or `offline`)
    pub fn available(&self) -> String {
        format!("{}/{}/available", self.prefix, self.box_id)
    }
}

/// A string made safe as one topic level: separators, wildcards and
/// control characters become `_`; empty becomes `_`.
pub fn level(s: &str) -> String {
    let out: String = s.chars().map(|c| if matches!(c, '/' | '+' | '#') || c.is_control() { '_' } else { c }).collect();
    if out.is_empty() { "_".into() } else { out }
}

/// Instants in UTC with milliseconds, whatever offset the source gave.
fn rfc3339(t: &Ts) -> String {
    t.with_timezone(&chrono::Utc).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The payload announcing that a rule became a violation.
pub fn start_payload(window: &str, rule: RuleCode, start: &Ts) -> String {
    json!({"type": "start", "window": window, "rule": rule.to_string(), "start": rfc3339(start)}).to_string()
}

/// The payload of a closed violation.
pub fn end_payload(e: &Event) -> String {
    let values: BTreeMap<&String, f64> = e.values.iter().filter(|(_, v)| v.is_finite()).map(|(k, v)| (k, *v)).collect();
    json!({
        "type": "end",
        "window": e.window,
        "rule": e.rule.to_string(),
        "start": rfc3339(&e.start),
        "end": rfc3339(&e.end),
        "duration_s": if e.duration_s.is_finite() { e.duration_s } else { 0.0 },
        "confidence": if e.confidence.is_finite() { f64::from(e.confidence) } else { 0.0 },
        "closed_by": e.closed_by,
        "values": values,
    })
    .to_string()
}

/// A window's rule states: every rule, violating or not, and since when.
pub fn state_payload(window: &str, at: &Ts, active: &[(RuleCode, Ts)]) -> String {
    let rules: BTreeMap<String, serde_json::Value> = RuleCode::ALL
        .iter()
        .map(|r| {
            let since = active.iter().find(|(a, _)| a == r).map(|(_, t)| rfc3339(t));
            (r.to_string(), json!({"violating": since.is_some(), "since": since}))
        })
        .collect();
    json!({"window": window, "at": rfc3339(at), "rules": rules}).to_string()
}

/// A health alert: its code, the box, hall and window it is about, and
/// when it was raised. Codes and ids only: the words are the reader's.
pub fn alert_payload(kind: &str, box_id: &str, hall: &str, window: Option<&str>, ts_unix: f64) -> String {
    let ts =
        chrono::DateTime::from_timestamp_millis((ts_unix * 1000.0) as i64).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    serde_json::json!({"type": "alert", "kind": kind, "box": box_id, "hall": hall, "window": window, "ts": ts}).to_string()
}

/// What `/status` and `/metrics` show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MqttStats {
    pub connected: bool,
    pub connects: u64,
    pub queued: u64,
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connected: AtomicBool,
    connects: AtomicU64,
    queued: AtomicU64,
    dropped: AtomicU64,
    stop: AtomicBool,
}

/// The box's publisher. Cheap to share (`Arc`); every method returns at
/// once.
pub struct Publisher {
    client: AsyncClient,
    topics: Topics,
    counters: Arc<Counters>,
    /// Each window's last state, published again after a reconnection (a
    /// broker without persistence forgets retained messages).
    states: Arc<std::sync::Mutex<BTreeMap<String, String>>>,
    done: std::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").field("topics", &self.topics).field("stats", &self.stats()).finish()
    }
}

impl Publisher {
    /// Connects in the background (a task on `rt`); nothing here waits for
    /// the broker.
    pub fn start(rt: &tokio::runtime::Handle, settings: &MqttSettings, hall: &str) -> Publisher {
        let topics = Topics::new(&settings.prefix, hall, &settings.box_id);
        let client_id = format!("liyi-{}", level(&settings.box_id));
        let mut opts = MqttOptions::new(client_id, settings.host.clone(), settings.port);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_last_will(LastWill::new(topics.available(), "offline", QoS::AtLeastOnce, true));
        if let Some(user) = &settings.username {
            opts.set_credentials(user.clone(), settings.password.clone().unwrap_or_default());
        }
        if settings.tls {
            opts.set_transport(Transport::tls_with_default_config());
        }
        let (client, mut events) = AsyncClient::new(opts, settings.queue);
        let counters = Arc::new(Counters::default());
        let states: Arc<std::sync::Mutex<BTreeMap<String, String>>> = Arc::default();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let (c, s, k, available) = (client.clone(), Arc::clone(&states), Arc::clone(&counters), topics.available());
        let state_topics = topics.clone();
        rt.spawn(async move {
            let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
            let mut warned = false;
            loop {
                match events.poll().await {
                    Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                        k.connected.store(true, Ordering::Relaxed);
                        k.connects.fetch_add(1, Ordering::Relaxed);
                        backoff.reset();
                        warned = false;
                        tracing::info!("mqtt: connected");
                        let _ = c.try_publish(available.clone(), QoS::AtLeastOnce, true, "online");
                        let kept: Vec<(String, String)> = lock(&s).iter().map(|(w, p)| (w.clone(), p.clone())).collect();
                        for (window, payload) in kept {
                            let _ = c.try_publish(state_topics.state(&window), QoS::AtLeastOnce, true, payload);
                        }
                    }
                    Ok(MqttEvent::Outgoing(Outgoing::Disconnect)) => break,
                    Ok(_) => {}
                    Err(e) => {
                        k.connected.store(false, Ordering::Relaxed);
                        if k.stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if !warned {
                            tracing::warn!(error = %e, "mqtt: broker unreachable; retrying (messages wait in a bounded queue)");
                            warned = true;
                        }
                        tokio::time::sleep(backoff.next_wait()).await;
                    }
                }
            }
            k.connected.store(false, Ordering::Relaxed);
            let _ = done_tx.send(());
        });
        Publisher { client, topics, counters, states, done: std::sync::Mutex::new(Some(done_rx)) }
    }

    fn send(&self, topic: String, retain: bool, payload: String) {
        match self.client.try_publish(topic, QoS::AtLeastOnce, retain, payload) {
            Ok(()) => self.counters.queued.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.counters.dropped.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// A rule of `window` became a violation at `start`.
    pub fn started(&self, window: &str, rule: RuleCode, start: &Ts) {
        self.send(self.topics.events(window), false, start_payload(window, rule, start));
    }

    /// A violation closed.
    pub fn ended(&self, event: &Event) {
        self.send(self.topics.events(&event.window), false, end_payload(event));
    }

    /// `window`'s rule states changed (or are published for the first time).
    pub fn state(&self, window: &str, at: &Ts, active: &[(RuleCode, Ts)]) {
        let payload = state_payload(window, at, active);
        lock(&self.states).insert(window.to_string(), payload.clone());
        self.send(self.topics.state(window), true, payload);
    }

    /// A hub health alert (QoS 1, not retained) on `<prefix>/<hall>/alerts`.
    pub fn alert(&self, kind: &str, box_id: &str, hall: &str, window: Option<&str>, ts_unix: f64) {
        self.send(self.topics.alerts(hall), false, alert_payload(kind, box_id, hall, window, ts_unix));
    }

    /// Whether `window`'s state has been published yet.
    pub fn has_state(&self, window: &str) -> bool {
        lock(&self.states).contains_key(window)
    }

    pub fn stats(&self) -> MqttStats {
        let c = &self.counters;
        MqttStats {
            connected: c.connected.load(Ordering::Relaxed),
            connects: c.connects.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }

    /// Says `offline` (retained) and disconnects, waiting at most `limit`
    /// for what is queued to go out.
    pub async fn close(&self, limit: Duration) {
        self.counters.stop.store(true, Ordering::Relaxed);
        self.send(self.topics.available(), true, "offline".into());
        let _ = self.client.try_disconnect();
        let done = lock(&self.done).take();
        if let Some(done) = done {
            let _ = tokio::time::timeout(limit, done).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Ts {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn alerts_go_to_their_hall_as_codes() {
        let t = Topics::new("liyi", "hub", "hub");
        assert_eq!(t.alerts("甲大厅"), "liyi/甲大厅/alerts");
        assert_eq!(t.alerts(""), "liyi/hub/alerts");
        assert_eq!(t.alerts("a/b#"), format!("liyi/{}/alerts", level("a/b#")));
        let p: serde_json::Value =
            serde_json::from_str(&alert_payload("camera_down", "box-a", "甲大厅", Some("w01"), 1_795_827_620.5)).unwrap();
        assert_eq!(
            p,
            serde_json::json!({"type": "alert", "kind": "camera_down", "box": "box-a", "hall": "甲大厅", "window": "w01", "ts": "2026-11-28T01:00:20.500Z"})
        );
        let p: serde_json::Value = serde_json::from_str(&alert_payload("hub_job_failed", "hub", "", None, f64::NAN)).unwrap();
        assert_eq!((p["window"].is_null(), p["ts"].is_null()), (true, false), "{p}");
    }

    #[test]
    fn topics_are_one_level_per_part() {
        let t = Topics::new("liyi", "演示/大厅+#", "box1");
        assert_eq!(t.events("w01"), "liyi/演示_大厅__/w01/events");
        assert_eq!(t.state("a/b"), "liyi/演示_大厅__/a_b/state");
        assert_eq!(t.available(), "liyi/box1/available");
        assert_eq!(level(""), "_");
    }

    #[test]
    fn payloads_carry_codes_and_numbers() {
        let start = ts("2026-12-04T09:00:00+08:00");
        let v: serde_json::Value = serde_json::from_str(&start_payload("w01", RuleCode::Absent, &start)).unwrap();
        assert_eq!(v, json!({"type": "start", "window": "w01", "rule": "absent", "start": "2026-12-04T01:00:00.000Z"}));
        let e = Event {
            window: "w01".into(),
            rule: RuleCode::Slouching,
            start,
            end: ts("2026-12-04T09:01:30+08:00"),
            duration_s: 90.0,
            confidence: 0.8,
            closed_by: "resolved".into(),
            values: [("peak_trunk_deg".to_string(), 31.5), ("bad".to_string(), f64::NAN)].into_iter().collect(),
        };
        let v: serde_json::Value = serde_json::from_str(&end_payload(&e)).unwrap();
        assert_eq!(v["type"], "end");
        assert_eq!(v["duration_s"], 90.0);
        assert_eq!(v["values"], json!({"peak_trunk_deg": 31.5}), "non-finite values are left out, not sent as null");
        let s: serde_json::Value = serde_json::from_str(&state_payload("w01", &e.end, &[(RuleCode::Absent, start)])).unwrap();
        assert_eq!(s["rules"]["absent"], json!({"violating": true, "since": "2026-12-04T01:00:00.000Z"}));
        assert_eq!(s["rules"]["slouching"], json!({"violating": false, "since": null}));
        assert_eq!(s["rules"].as_object().unwrap().len(), RuleCode::ALL.len());
    }

    proptest! {
        #[test]
        fn any_name_makes_a_valid_topic_level(s in "\\PC{0,30}|[/+#\\x00-\\x1f]{0,5}") {
            let l = level(&s);
            prop_assert!(!l.is_empty());
            prop_assert!(!l.contains(['/', '+', '#']) && !l.chars().any(char::is_control));
        }
    }
}
