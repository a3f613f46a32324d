//! Property tests (issue 16): no input a box or an operator can send makes
//! the hub's parsers and checks panic. Bounded case counts, so this runs in
//! seconds: the ingest and heartbeat JSON, the clip upload's parts, the hall
//! config and the hub config.

use std::path::Path;

use liyi::hub::validate;
use liyi::wire::{Heartbeat, IngestBatch};
use proptest::prelude::*;

/// Numbers as JSON text, the awkward ones often.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just(i64::MAX.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_string()),
        Just((1u64 << 62).to_string()),
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("5e-324".to_string()),
        Just("60.0000001".to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |v| v.is_finite()).prop_map(|v| format!("{v:e}")),
        (0u32..100).prop_map(|v| v.to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("w01".to_string()),
        Just("../x".to_string()),
        Just(String::new()),
        Just("2026-11-28T09:00:00+08:00".to_string()),
        Just("2026-11-28T01:00:20.123456789Z".to_string()),
        Just("0001-01-01T00:00:00+14:00".to_string()),
        Just("9999-12-31T23:59:59-12:00".to_string()),
        Just("slouching".to_string()),
        "[a-z0-9_:+. -]{0,24}",
        "\\PC{0,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        text().prop_map(|t| serde_json::to_string(&t).unwrap()),
        Just("null".into()),
        Just("true".into()),
        Just("{}".into())
    ]
}

fn minute() -> impl Strategy<Value = String> {
    (text(), text(), prop::collection::vec(value(), 5), text(), value(), value()).prop_map(|(w, t, v, rule, vs, ev)| {
        format!(
            r#"{{"window": {}, "minute": {}, "observed_s": {}, "in_service_s": {}, "staffed_s": {}, "compliant_s": {}, "unknown_s": {},
                "rules": {{{}: {{"violation_s": {vs}, "events": {ev}}}}}}}"#,
            serde_json::to_string(&w).unwrap(),
            serde_json::to_string(&t).unwrap(),
            v[0],
            v[1],
            v[2],
            v[3],
            v[4],
            serde_json::to_string(&rule).unwrap(),
        )
    })
}

fn event() -> impl Strategy<Value = String> {
    (text(), text(), text(), text(), value(), value(), text(), value()).prop_map(|(w, rule, s, e, d, c, by, v)| {
        format!(
            r#"{{"window": {}, "rule": {}, "start": {}, "end": {}, "duration_s": {d}, "confidence": {c}, "closed_by": {}, "values": {{"a": {v}}}}}"#,
            serde_json::to_string(&w).unwrap(),
            serde_json::to_string(&rule).unwrap(),
            serde_json::to_string(&s).unwrap(),
            serde_json::to_string(&e).unwrap(),
            serde_json::to_string(&by).unwrap(),
        )
    })
}

fn camera() -> impl Strategy<Value = String> {
    (text(), text(), prop::collection::vec(number(), 4), value()).prop_map(|(id, name, n, age)| {
        format!(
            r#"{{"id": {}, "name": {}, "source_up": false, "frames_in": {}, "frames_analysed": {}, "frames_stale": {}, "errors": {}, "last_frame_age_s": {age}}}"#,
            serde_json::to_string(&id).unwrap(),
            serde_json::to_string(&name).unwrap(),
            n[0],
            n[1],
            n[2],
            n[3],
        )
    })
}

/// Cuts, repeats or corrupts a byte of a valid text now and then.
fn mangle(s: String, cut: usize, byte: u8) -> String {
    let mut b = s.into_bytes();
    match byte % 4 {
        0 if !b.is_empty() => {
            let i = cut % b.len();
            b.truncate(i);
        }
        1 if !b.is_empty() => {
            let i = cut % b.len();
            b[i] = byte;
        }
        _ => {}
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ingest_json_never_panics(minutes in prop::collection::vec(minute(), 0..4), events in prop::collection::vec(event(), 0..4), cut: usize, byte: u8) {
        let body = mangle(format!(r#"{{"minutes": [{}], "events": [{}]}}"#, minutes.join(","), events.join(",")), cut, byte);
        if let Ok(b) = serde_json::from_str::<IngestBatch>(&body) {
            let _ = validate::batch(&b);
        }
    }

    #[test]
    fn heartbeat_json_never_panics_and_what_passes_fits(boot in value(), version in text(), cams in prop::collection::vec(camera(), 0..4),
                                                         outbox in prop::collection::vec(number(), 4), store in prop::collection::vec(number(), 5),
                                                         ok: bool, error in text(), cut: usize, byte: u8) {
        let body = format!(
            r#"{{"boot_unix": {boot}, "version": {}, "windows": [{}], "outbox": {{"minutes": {}, "events": {}, "clips": {}, "clip_bytes": {}}},
                "store": {{"ok": {ok}, "unsaved": {}, "write_failures": {}, "rows_rejected": {}, "clips_lost": {}, "failing_since_unix": {}, "last_error": {}}}}}"#,
            serde_json::to_string(&version).unwrap(), cams.join(","), outbox[0], outbox[1], outbox[2], outbox[3],
            store[0], store[1], store[2], store[3], store[4], serde_json::to_string(&error).unwrap()
        );
        let body = mangle(body, cut, byte);
        if let Ok(hb) = serde_json::from_str::<Heartbeat>(&body)
            && validate::heartbeat(&hb).is_ok() {
                for w in &hb.windows {
                    for v in [w.frames_in, w.frames_analysed, w.frames_stale, w.errors] {
                        prop_assert!(v <= validate::MAX_COUNT && i64::try_from(v).is_ok());
                        // Two of them add up without leaving i64.
                        prop_assert!(i64::try_from(v).unwrap().checked_add(i64::try_from(v).unwrap()).is_some());
                    }
                }
                prop_assert!(hb.boot_unix.is_finite());
                let st = &hb.store;
                for v in [st.unsaved, st.write_failures, st.rows_rejected, st.clips_lost] {
                    prop_assert!(i64::try_from(v).is_ok());
                }
                prop_assert!(st.failing_since_unix.is_none_or(f64::is_finite));
                prop_assert!(st.last_error.as_ref().is_none_or(|e| e.chars().count() <= liyi::wire::MAX_ERROR_CHARS));
            }
    }

    #[test]
    fn clip_parts_never_panic(parts in prop::collection::vec((prop_oneof![Just("meta"), Just("video"), Just("thumbnail"), Just("sidecar"),
                                                                          Just("x"), Just("")],
                                                               prop_oneof![prop::collection::vec(any::<u8>(), 0..64),
                                                                           (text(), text(), text()).prop_map(|(w, r, t)| serde_json::json!(
                                                                               {"window": w, "rule": r, "event_start": t, "trigger_ts": t}
                                                                           ).to_string().into_bytes()),
                                                                           Just(b"{}".to_vec())]), 0..7)) {
        let parts: Vec<(String, Vec<u8>)> = parts.into_iter().map(|(n, b)| (n.to_string(), b)).collect();
        let n = parts.len();
        if let Ok(u) = validate::clip_upload(parts) {
            prop_assert_eq!(n, 4);
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&u.sidecar).is_ok());
        }
    }

    #[test]
    fn hall_config_never_panics(cut: usize, byte: u8, n in number(), at in 0usize..4096) {
        let sample = include_str!("../config/example.toml");
        // A number put in place of another, then the text mangled.
        let text = match sample.char_indices().map(|(i, _)| i).filter(|i| *i >= at % sample.len()).find(|i| sample[*i..].starts_with(|c: char| c.is_ascii_digit())) {
            Some(i) => {
                let end = sample[i..].find(|c: char| !c.is_ascii_digit() && c != '.').map_or(sample.len(), |e| i + e);
                format!("{}{n}{}", &sample[..i], &sample[end..])
            }
            None => sample.to_string(),
        };
        let _ = liyi::config::parse(&mangle(text, cut, byte), Path::new("window.toml"));
    }

    #[test]
    fn hub_config_never_panics(cut: usize, byte: u8, n in number(), at in 0usize..4096) {
        let sample = include_str!("../config/hub.example.toml");
        let text = match sample.char_indices().map(|(i, _)| i).filter(|i| *i >= at % sample.len()).find(|i| sample[*i..].starts_with(|c: char| c.is_ascii_digit())) {
            Some(i) => {
                let end = sample[i..].find(|c: char| !c.is_ascii_digit() && c != '.').map_or(sample.len(), |e| i + e);
                format!("{}{n}{}", &sample[..i], &sample[end..])
            }
            None => sample.to_string(),
        };
        let _ = liyi::hub::config::parse(&mangle(text, cut, byte), Path::new("hub.toml"));
    }

    /// Trace lines for `liyi replay`: whatever the timestamps, keypoints
    /// and sizes, reading them and running the rules over them (gaps of
    /// years, frames out of order) never panics.
    #[test]
    fn trace_lines_and_their_replay_never_panic(lines in prop::collection::vec((timestamp(), prop_oneof![Just(1280u32), Just(0), any::<u32>()],
            prop_oneof![3 => prop::collection::vec(prop::collection::vec(number(), 3), 17), 1 => prop::collection::vec(prop::collection::vec(number(), 3), 0..18)],
            number(), cut_at_char()), 1..5)) {
        let cfg = liyi::config::parse(include_str!("../config/example.toml"), Path::new("window.toml")).unwrap();
        let window = cfg.windows[0].id.clone();
        let mut replay = liyi::replay::Replay::new(&cfg);
        let mut pushed = 0;
        for (ts, width, kps, score, (cut, byte)) in lines {
            let kps: Vec<String> = kps.iter().map(|k| format!("[{}]", k.join(","))).collect();
            let line = format!(
                r#"{{"ts":{},"window":{},"source":"cam","frame":7,"width":{width},"height":720,"model":"m","people":[{{"box":[0,0,{score},300],"score":{score},"keypoints":[{}]}}]}}"#,
                serde_json::to_string(&ts).unwrap(), serde_json::to_string(&window).unwrap(), kps.join(",")
            );
            for candidate in [line.clone(), mangle(line, cut, byte)] {
                if let Ok(f) = liyi::trace::parse_line(&candidate) {
                    use chrono::Datelike;
                    prop_assert!((1970..=9999).contains(&f.ts.year()));
                    let _ = replay.push(&f);
                    pushed += 1;
                }
            }
        }
        let _ = replay.finish();
        PUSHED.fetch_add(pushed, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Trace frames that parsed and ran through the rules, over all cases.
static PUSHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn the_trace_property_runs_frames_through_the_rules() {
    trace_lines_and_their_replay_never_panic();
    assert!(PUSHED.load(std::sync::atomic::Ordering::Relaxed) >= 100, "too few generated lines parse to exercise the rules");
}

/// Timestamps for traces: any text, plausible times years apart, and the
/// ends of chrono's range.
fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => text(),
        3 => (1969i32..10001, 0u32..86_400).prop_map(|(y, s)| format!("{y:04}-03-02T{:02}:{:02}:{:02}+08:00", s / 3600, s / 60 % 60, s % 60)),
        1 => Just("+262142-12-31T23:59:59+08:00".to_string()),
        1 => Just("-262143-01-01T00:00:00Z".to_string()),
    ]
}

fn cut_at_char() -> impl Strategy<Value = (usize, u8)> {
    (any::<usize>(), any::<u8>())
}
