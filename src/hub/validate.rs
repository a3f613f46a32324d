//! Checks on what boxes send, before anything of it is stored: a bad row
//! refuses the whole request with a message that names the row and field.

use chrono::Timelike;

use crate::config::valid_id;
use crate::rules::{Event, MinuteMetrics};
use crate::wire::{ClipMeta, Heartbeat, IngestBatch};

/// Rows in one request, at most.
pub const MAX_ROWS: usize = 10_000;

pub fn batch(b: &IngestBatch) -> Result<(), String> {
    if b.minutes.len() + b.events.len() > MAX_ROWS {
        return Err(format!("{} rows in one request; send at most {MAX_ROWS}", b.minutes.len() + b.events.len()));
    }
    for (i, m) in b.minutes.iter().enumerate() {
        minute(m).map_err(|e| format!("minutes[{i}].{e}"))?;
    }
    for (i, e) in b.events.iter().enumerate() {
        event(e).map_err(|m| format!("events[{i}].{m}"))?;
    }
    Ok(())
}

fn seconds(name: &str, v: f64, max: f64) -> Result<(), String> {
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{name}: {v} is not a number of seconds"));
    }
    if v > max + 0.5 {
        return Err(format!("{name}: {v} s is more than {max} s"));
    }
    Ok(())
}

fn minute(m: &MinuteMetrics) -> Result<(), String> {
    if !valid_id(&m.window) {
        return Err(format!("window: {:?} is not a window id", m.window));
    }
    let Some(t) = m.minute else { return Err("minute: is missing".into()) };
    if t.second() != 0 || t.nanosecond() != 0 {
        return Err(format!("minute: {t} is not the start of a minute"));
    }
    for (name, v) in [
        ("observed_s", m.observed_s),
        ("in_service_s", m.in_service_s),
        ("staffed_s", m.staffed_s),
        ("compliant_s", m.compliant_s),
        ("unknown_s", m.unknown_s),
    ] {
        seconds(name, v, 60.0)?;
    }
    if m.compliant_s > m.in_service_s + 0.5 || m.staffed_s > m.in_service_s + 0.5 || m.unknown_s > m.in_service_s + 0.5 {
        return Err(format!(
            "compliant_s, staffed_s and unknown_s ({}, {}, {}) cannot exceed in_service_s ({})",
            m.compliant_s, m.staffed_s, m.unknown_s, m.in_service_s
        ));
    }
    for (rule, r) in &m.rules {
        seconds(&format!("rules.{rule}.violation_s"), r.violation_s, 60.0)?;
        if r.events > 1000 {
            return Err(format!("rules.{rule}.events: {} in one minute", r.events));
        }
    }
    Ok(())
}

fn event(e: &Event) -> Result<(), String> {
    if !valid_id(&e.window) {
        return Err(format!("window: {:?} is not a window id", e.window));
    }
    if e.end < e.start {
        return Err(format!("end: {} is before start {}", e.end, e.start));
    }
    seconds("duration_s", e.duration_s, 86_400.0)?;
    if !(0.0..=1.0).contains(&e.confidence) {
        return Err(format!("confidence: {} is outside 0..1", e.confidence));
    }
    if e.closed_by.len() > 64 {
        return Err("closed_by: longer than 64 characters".into());
    }
    // A NUL is refused by PostgreSQL's text: stored on one engine and a
    // failure resent for ever on the other. No control character at all.
    if e.closed_by.chars().any(char::is_control) {
        return Err("closed_by: holds a control character".into());
    }
    if e.values.len() > 32 || e.values.values().any(|v| !v.is_finite()) {
        return Err("values: at most 32 finite numbers".into());
    }
    Ok(())
}

/// How far in the past an instant from a box may lie: the longest a box's
/// outbox may hold a row (`outbox_max_age_days` is at most 365) plus a day.
pub const MAX_PAST_MS: i64 = (365 + 1) * 86_400_000;
/// How far ahead of the hub's clock an instant from a box may lie.
pub const MAX_FUTURE_MS: i64 = 10 * 60_000;

/// An instant from a box, within [`MAX_PAST_MS`] before and [`MAX_FUTURE_MS`]
/// after the hub's `now_ms` (UTC ms).
fn recent<Tz: chrono::TimeZone>(name: &str, t: &chrono::DateTime<Tz>, now_ms: i64) -> Result<(), String> {
    let ms = t.timestamp_millis();
    if ms < now_ms.saturating_sub(MAX_PAST_MS) {
        return Err(format!("{name}: {} is more than {} days before the hub's clock", t.to_rfc3339(), MAX_PAST_MS / 86_400_000));
    }
    if ms > now_ms.saturating_add(MAX_FUTURE_MS) {
        return Err(format!("{name}: {} is more than {} minutes after the hub's clock", t.to_rfc3339(), MAX_FUTURE_MS / 60_000));
    }
    Ok(())
}

/// The times in a batch, against the hub's clock (`now_ms`, UTC ms): every
/// minute and event instant within the window of [`recent`], and each
/// event's `duration_s` finite, not negative and within a second of
/// `end - start`. The error names the row and field (answered with 422).
pub fn batch_times(b: &IngestBatch, now_ms: i64) -> Result<(), String> {
    for (i, m) in b.minutes.iter().enumerate() {
        if let Some(t) = &m.minute {
            recent(&format!("minutes[{i}].minute"), t, now_ms)?;
        }
    }
    for (i, e) in b.events.iter().enumerate() {
        event_times(e, now_ms).map_err(|m| format!("events[{i}].{m}"))?;
    }
    Ok(())
}

fn event_times(e: &Event, now_ms: i64) -> Result<(), String> {
    recent("start", &e.start, now_ms)?;
    recent("end", &e.end, now_ms)?;
    let d = e.duration_s;
    if !d.is_finite() || d < 0.0 {
        return Err(format!("duration_s: {d} is not a number of seconds"));
    }
    let span = (e.end.timestamp_millis() - e.start.timestamp_millis()) as f64 / 1000.0;
    if (d - span).abs() > 1.0 {
        return Err(format!("duration_s: {d} s does not agree with end - start ({span} s)"));
    }
    Ok(())
}

/// A clip's times against the hub's clock, as [`batch_times`].
pub fn clip_times(m: &ClipMeta, now_ms: i64) -> Result<(), String> {
    recent("meta.event_start", &m.event_start, now_ms)?;
    recent("meta.trigger_ts", &m.trigger_ts, now_ms)
}

/// Largest count a box may report (frames, errors, queued rows): far above
/// anything real (10^12 frames is 1,000 years at 30 fps) and far below
/// `i64::MAX`, so sums of a few counters stay exact integers in SQLite.
pub const MAX_COUNT: u64 = 1_000_000_000_000;

/// A count from a box: fits an `i64` and is at most [`MAX_COUNT`].
pub fn count(name: &str, v: u64) -> Result<i64, String> {
    let n = i64::try_from(v).map_err(|_| format!("{name}: {v} does not fit a 64-bit signed integer"))?;
    if v > MAX_COUNT {
        return Err(format!("{name}: {v} is more than {MAX_COUNT}"));
    }
    Ok(n)
}

fn signed_count(name: &str, v: i64) -> Result<(), String> {
    if !(0..=MAX_COUNT as i64).contains(&v) {
        return Err(format!("{name}: {v} is outside 0..={MAX_COUNT}"));
    }
    Ok(())
}

fn instant(name: &str, v: f64) -> Result<(), String> {
    // Unix seconds from 1970 to 2200.
    if !v.is_finite() || !(0.0..=7_258_118_400.0).contains(&v) {
        return Err(format!("{name}: {v} is not a unix time"));
    }
    Ok(())
}

/// Checks a heartbeat before anything of it is stored: every counter fits
/// the store's integers, every time is finite; the error names the field.
pub fn heartbeat(hb: &Heartbeat) -> Result<(), String> {
    if hb.windows.len() > 256 {
        return Err(format!("windows: {} cameras; at most 256", hb.windows.len()));
    }
    instant("boot_unix", hb.boot_unix)?;
    if hb.version.len() > 64 || hb.version.chars().any(char::is_control) {
        return Err("version: at most 64 printable bytes".into());
    }
    let o = &hb.outbox;
    for (name, v) in
        [("minutes", o.minutes), ("events", o.events), ("clips", o.clips), ("clip_bytes", o.clip_bytes), ("unsent", o.unsent.unwrap_or(0))]
    {
        signed_count(&format!("outbox.{name}"), v)?;
    }
    if let Some(t) = o.oldest_unix {
        instant("outbox.oldest_unix", t)?;
    }
    let st = &hb.store;
    for (name, v) in
        [("unsaved", st.unsaved), ("write_failures", st.write_failures), ("rows_rejected", st.rows_rejected), ("clips_lost", st.clips_lost)]
    {
        count(&format!("store.{name}"), v)?;
    }
    if let Some(t) = st.failing_since_unix {
        instant("store.failing_since_unix", t)?;
    }
    if let Some(e) = &st.last_error
        && (e.chars().count() > crate::wire::MAX_ERROR_CHARS || e.chars().any(char::is_control))
    {
        return Err(format!("store.last_error: at most {} printable characters", crate::wire::MAX_ERROR_CHARS));
    }
    for (i, w) in hb.windows.iter().enumerate() {
        if !valid_id(&w.id) {
            return Err(format!("windows[{i}].id: {:?} is not a window id", w.id));
        }
        if w.name.len() > 200 || w.name.chars().any(char::is_control) {
            return Err(format!("windows[{i}].name: at most 200 printable bytes"));
        }
        for (name, v) in
            [("frames_in", w.frames_in), ("frames_analysed", w.frames_analysed), ("frames_stale", w.frames_stale), ("errors", w.errors)]
        {
            count(&format!("windows[{i}].{name}"), v)?;
        }
        if let Some(age) = w.last_frame_age_s
            && (!age.is_finite() || age < 0.0)
        {
            return Err(format!("windows[{i}].last_frame_age_s: {age} is not a number of seconds"));
        }
    }
    Ok(())
}

pub fn clip_meta(m: &ClipMeta) -> Result<(), String> {
    if !valid_id(&m.window) {
        return Err(format!("meta.window: {:?} is not a window id", m.window));
    }
    if !crate::rules::RuleCode::ALL.iter().any(|r| r.as_str() == m.rule) {
        return Err(format!("meta.rule: {:?} is not a rule code", m.rule));
    }
    Ok(())
}

/// A clip's sidecar as the hub accepts it: only these fields (each
/// optional), with bounded numbers, counts and string lengths. The hub
/// stores its own serialisation of this, never the bytes it received.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<std::collections::BTreeMap<String, f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<SidecarRedaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<SidecarModel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<SidecarFiles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<SidecarTrace>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarRedaction {
    pub mode: String,
    pub dilate_frames: u32,
    pub face_threshold: f64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarModel {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarFiles {
    pub video: String,
    pub thumbnail: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarTrace {
    pub ts: String,
    pub people: Vec<SidecarPerson>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarPerson {
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
    pub score: f64,
    pub keypoints: Vec<[f64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmarks: Option<Vec<[f64; 3]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<f64>,
}

/// Largest sidecar, in bytes.
pub const MAX_SIDECAR_BYTES: usize = 8 * 1024 * 1024;
/// Most trace entries (frames) in a sidecar.
pub const MAX_TRACE: usize = 18_000;
/// Numbers in a sidecar lie within ± this (pixels, degrees, seconds, scores).
pub const MAX_NUMBER: f64 = 1.0e6;

/// Parses a sidecar against [`Sidecar`] and checks its bounds; returns the
/// hub's own serialisation, which is what gets stored. Each error names the
/// field. Strings that carry encoded data (a `data:` URI, a long run of
/// base64) are refused.
pub fn sidecar(bytes: &[u8], meta: &ClipMeta) -> Result<String, String> {
    if bytes.len() > MAX_SIDECAR_BYTES {
        return Err(format!("sidecar: {} bytes; send at most {MAX_SIDECAR_BYTES}", bytes.len()));
    }
    let s: Sidecar = serde_json::from_slice(bytes).map_err(|e| format!("sidecar: {e}"))?;
    let text = |name: &str, v: &Option<String>, max: usize| v.as_deref().map_or(Ok(()), |v| plain_text(name, v, max));
    text("window", &s.window, 64)?;
    text("window_name", &s.window_name, 200)?;
    text("rule", &s.rule, 64)?;
    text("rule_zh", &s.rule_zh, 64)?;
    if s.window.as_ref().is_some_and(|w| *w != meta.window) || s.rule.as_ref().is_some_and(|r| *r != meta.rule) {
        return Err("sidecar: window and rule must match the meta part".into());
    }
    for (name, v) in [("event_start", &s.event_start), ("trigger", &s.trigger), ("clip_start", &s.clip_start), ("clip_end", &s.clip_end)] {
        if let Some(v) = v {
            rfc3339_text(&format!("sidecar.{name}"), v)?;
        }
    }
    if let Some(fps) = s.fps {
        number("sidecar.fps", fps)?;
    }
    if let Some(values) = &s.values {
        if values.len() > 64 {
            return Err(format!("sidecar.values: {} entries; at most 64", values.len()));
        }
        for (k, v) in values {
            if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!("sidecar.values: key {:?} is not a measurement name (a-z, 0-9, _)", truncate(k)));
            }
            number(&format!("sidecar.values.{k}"), *v)?;
        }
    }
    if let Some(r) = &s.redaction {
        plain_text("redaction.mode", &r.mode, 32)?;
        if r.dilate_frames > 1000 {
            return Err(format!("sidecar.redaction.dilate_frames: {} is more than 1000", r.dilate_frames));
        }
        number("sidecar.redaction.face_threshold", r.face_threshold)?;
    }
    if let Some(models) = &s.models {
        if models.len() > 16 {
            return Err(format!("sidecar.models: {} entries; at most 16", models.len()));
        }
        for (i, m) in models.iter().enumerate() {
            plain_text(&format!("models[{i}].name"), &m.name, 128)?;
            if m.sha256.len() != 64 || !m.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("sidecar.models[{i}].sha256: not 64 hex digits"));
            }
        }
    }
    if let Some(f) = &s.files {
        plain_text("files.video", &f.video, 256)?;
        plain_text("files.thumbnail", &f.thumbnail, 256)?;
    }
    if let Some(trace) = &s.trace {
        if trace.len() > MAX_TRACE {
            return Err(format!("sidecar.trace: {} entries; at most {MAX_TRACE}", trace.len()));
        }
        for (i, t) in trace.iter().enumerate() {
            rfc3339_text(&format!("sidecar.trace[{i}].ts"), &t.ts)?;
            if t.people.len() > 64 {
                return Err(format!("sidecar.trace[{i}].people: {} people; at most 64", t.people.len()));
            }
            for (j, p) in t.people.iter().enumerate() {
                let at = format!("sidecar.trace[{i}].people[{j}]");
                let points = p.keypoints.iter().chain(p.landmarks.iter().flatten());
                if p.keypoints.len() > 64 || p.landmarks.as_ref().is_some_and(|l| l.len() > 64) {
                    return Err(format!("{at}: at most 64 keypoints and 64 landmarks"));
                }
                for v in p.bbox.iter().chain([&p.score]).chain(p.presence.iter()).chain(points.flatten()) {
                    number(&at, *v)?;
                }
            }
        }
    }
    serde_json::to_string(&s).map_err(|e| format!("sidecar: cannot be written back: {e}"))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn number(name: &str, v: f64) -> Result<(), String> {
    if !v.is_finite() || v.abs() > MAX_NUMBER {
        return Err(format!("{name}: {v} is outside ±{MAX_NUMBER}"));
    }
    Ok(())
}

fn rfc3339_text(name: &str, v: &str) -> Result<(), String> {
    if v.len() > 40 || chrono::DateTime::parse_from_rfc3339(v).is_err() {
        return Err(format!("{name}: {:?} is not an RFC 3339 time", truncate(v)));
    }
    Ok(())
}

/// Text a person would read: bounded, no control characters, and no
/// encoded data (a `data:` URI or a long base64-looking run).
fn plain_text(name: &str, v: &str, max: usize) -> Result<(), String> {
    if let Some(why) = encoded_data(v) {
        return Err(format!("sidecar.{name}: holds {why}; send plain text"));
    }
    if v.chars().count() > max {
        return Err(format!("sidecar.{name}: longer than {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("sidecar.{name}: holds control characters"));
    }
    Ok(())
}

/// Longest run of base64 characters a sidecar string may hold (a SHA-256 in
/// hex is 64).
pub const MAX_BASE64_RUN: usize = 80;

/// Whether text carries encoded data: a `data:` URI, or a run of more than
/// [`MAX_BASE64_RUN`] base64 characters.
pub fn encoded_data(v: &str) -> Option<&'static str> {
    if v.to_ascii_lowercase().contains("data:") {
        return Some("a data: URI");
    }
    let mut run = 0usize;
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            run += 1;
            if run > MAX_BASE64_RUN {
                return Some("a long base64 run (encoded data)");
            }
        } else {
            run = 0;
        }
    }
    None
}

/// The four parts of a clip upload, parsed and checked (not yet for faces).
#[derive(Debug)]
pub struct ClipUpload<B> {
    pub meta: ClipMeta,
    pub video: B,
    pub thumbnail: B,
    pub sidecar: B,
}

/// Parses a clip upload's multipart parts (name, bytes), in any order:
/// exactly `meta` (JSON), `video`, `thumbnail` and `sidecar` (JSON), each
/// once. The error says what is wrong.
pub fn clip_upload<B: AsRef<[u8]>>(parts: Vec<(String, B)>) -> Result<ClipUpload<B>, String> {
    let (mut meta, mut video, mut thumbnail, mut sidecar) = (None, None, None, None);
    for (name, bytes) in parts {
        let slot = match name.as_str() {
            "meta" => {
                if meta.is_some() {
                    return Err("part \"meta\" sent twice".into());
                }
                meta = Some(serde_json::from_slice::<ClipMeta>(bytes.as_ref()).map_err(|e| format!("meta: {e}"))?);
                continue;
            }
            "video" => &mut video,
            "thumbnail" => &mut thumbnail,
            "sidecar" => &mut sidecar,
            other => return Err(format!("unexpected part {other:?}; send meta, video, thumbnail and sidecar")),
        };
        if slot.is_some() {
            return Err(format!("part {name:?} sent twice"));
        }
        *slot = Some(bytes);
    }
    let (Some(meta), Some(video), Some(thumbnail), Some(sidecar)) = (meta, video, thumbnail, sidecar) else {
        return Err("a clip needs four parts: meta, video, thumbnail and sidecar".into());
    };
    clip_meta(&meta)?;
    if serde_json::from_slice::<serde_json::Value>(sidecar.as_ref()).is_err() {
        return Err("sidecar: not JSON".into());
    }
    Ok(ClipUpload { meta, video, thumbnail, sidecar })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_minute() -> MinuteMetrics {
        MinuteMetrics {
            window: "w01".into(),
            minute: Some(chrono::DateTime::parse_from_rfc3339("2026-11-28T09:01:00+08:00").unwrap()),
            observed_s: 60.0,
            in_service_s: 60.0,
            staffed_s: 55.0,
            compliant_s: 50.0,
            unknown_s: 5.0,
            rules: Default::default(),
        }
    }

    #[test]
    fn names_the_bad_row_and_field() {
        let mut b = IngestBatch { minutes: vec![good_minute(), good_minute()], events: vec![] };
        assert!(batch(&b).is_ok());
        b.minutes[1].observed_s = 75.0;
        assert_eq!(batch(&b).unwrap_err(), "minutes[1].observed_s: 75 s is more than 60 s");
        b.minutes[1] = good_minute();
        b.minutes[1].window = "../x".into();
        assert!(batch(&b).unwrap_err().starts_with("minutes[1].window"));
        b.minutes[1] = good_minute();
        b.minutes[1].compliant_s = f64::NAN;
        assert!(batch(&b).unwrap_err().starts_with("minutes[1].compliant_s"));
        b.minutes[1] = good_minute();
        b.minutes[1].minute = Some(chrono::DateTime::parse_from_rfc3339("2026-11-28T09:01:30+08:00").unwrap());
        assert!(batch(&b).unwrap_err().contains("not the start of a minute"));
    }

    fn meta() -> ClipMeta {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:01:00+08:00").unwrap();
        ClipMeta { window: "w01".into(), rule: "absent".into(), event_start: t, trigger_ts: t }
    }

    #[test]
    fn sidecar_is_parsed_strictly_and_written_back() {
        let ok = br#"{"window": "w01", "rule": "absent", "values": {"trunk_deg": 12.5},
            "models": [{"name": "pose", "sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}],
            "trace": [{"ts": "2026-11-28T09:01:00+08:00", "people": [{"box": [1, 2, 3, 4], "score": 0.9, "keypoints": [[1, 2, 0.5]]}]}]}"#;
        let back = sidecar(ok, &meta()).unwrap();
        assert!(!back.contains(char::is_whitespace), "the hub's own serialisation: {back}");
        let refused = [
            (r#"{"note": "hello"}"#.to_string(), "unknown field `note`"),
            (r#"{"window_name": "data:image/jpeg;base64,/9j/4AAQ"}"#.into(), "sidecar.window_name: holds a data: URI"),
            (format!(r#"{{"window_name": "{}"}}"#, "QUJD".repeat(30)), "long base64 run"),
            (r#"{"values": {"a": 1e300}}"#.into(), "sidecar.values.a"),
            (r#"{"values": {"a b": 1}}"#.into(), "not a measurement name"),
            (r#"{"window": "w02"}"#.into(), "must match the meta"),
            (r#"{"trigger": "yesterday"}"#.into(), "sidecar.trigger"),
            (
                r#"{"trace": [{"ts": "2026-11-28T09:01:00+08:00", "people": [{"box": [1, 2, 3, 4], "score": 0.9, "keypoints": [], "x": 1}]}]}"#
                    .into(),
                "unknown field `x`",
            ),
            ("[1, 2]".into(), "sidecar:"),
        ];
        for (json, want) in refused {
            let e = sidecar(json.as_bytes(), &meta()).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    fn event_at(start: &str, secs: i64, duration_s: f64) -> Event {
        let start = chrono::DateTime::parse_from_rfc3339(start).unwrap();
        let e = serde_json::json!({
            "window": "w01", "rule": "absent", "start": start, "end": start + chrono::Duration::seconds(secs),
            "duration_s": 0.0, "confidence": 0.9, "values": {}, "closed_by": "resolved",
        });
        let mut e: Event = serde_json::from_value(e).unwrap();
        e.duration_s = duration_s;
        e
    }

    #[test]
    fn an_event_closed_by_a_control_character_is_refused() {
        // A NUL is text SQLite keeps and PostgreSQL refuses: never stored.
        for bad in ["re\u{0}solved", "a\nb", "\u{7f}"] {
            let e = Event { closed_by: bad.into(), ..event_at("2026-11-28T09:00:00+08:00", 30, 30.0) };
            let b = IngestBatch { minutes: vec![], events: vec![e] };
            assert!(batch(&b).unwrap_err().contains("closed_by: holds a control character"), "{bad:?}");
        }
    }

    /// 2026-11-28T09:01:00+08:00, as the hub's clock.
    const NOW_MS: i64 = 1_795_827_660_000;

    #[test]
    fn times_are_bounded_to_a_window_around_the_hub_clock() {
        let ok = IngestBatch { minutes: vec![good_minute()], events: vec![event_at("2026-11-28T09:00:00+08:00", 30, 30.0)] };
        assert_eq!(batch_times(&ok, NOW_MS), Ok(()));
        let refused = [
            ("0001-01-01T00:00:00Z", 30, 30.0, "events[0].start: 0001-01-01"),
            ("9999-12-31T00:00:00Z", 30, 30.0, "events[0].start: 9999-12-31"),
            ("2025-11-26T09:00:00+08:00", 30, 30.0, "more than 366 days before"),
            ("2026-11-28T09:12:00+08:00", 30, 30.0, "more than 10 minutes after"),
            ("2026-11-28T09:10:50+08:00", 30, 30.0, "events[0].end:"),
            ("2026-11-28T09:00:00+08:00", 30, 45.0, "events[0].duration_s: 45 s does not agree with end - start (30 s)"),
            ("2026-11-28T09:00:00+08:00", 30, -1.0, "events[0].duration_s: -1 is not"),
            ("2026-11-28T09:00:00+08:00", 30, f64::NAN, "events[0].duration_s: NaN"),
            ("2026-11-28T09:00:00+08:00", 30, f64::INFINITY, "events[0].duration_s: inf"),
        ];
        for (start, secs, d, want) in refused {
            let b = IngestBatch { minutes: vec![], events: vec![event_at(start, secs, d)] };
            let e = batch_times(&b, NOW_MS).unwrap_err();
            assert!(e.starts_with(want) || e.contains(want), "{start} {d}: {e}");
        }
        // Within a second of end - start, and both edges of the window.
        for (start, secs, d) in
            [("2026-11-28T09:00:00+08:00", 30, 30.9), ("2025-11-27T09:02:00+08:00", 0, 0.0), ("2026-11-28T09:11:00+08:00", 0, 0.0)]
        {
            let b = IngestBatch { minutes: vec![], events: vec![event_at(start, secs, d)] };
            assert_eq!(batch_times(&b, NOW_MS), Ok(()), "{start}");
        }
        let mut m = good_minute();
        m.minute = Some(chrono::DateTime::parse_from_rfc3339("9999-01-01T00:00:00Z").unwrap());
        assert!(batch_times(&IngestBatch { minutes: vec![m], events: vec![] }, NOW_MS).unwrap_err().starts_with("minutes[0].minute:"));
        let mut c = meta();
        c.trigger_ts = chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert!(clip_times(&meta(), NOW_MS).is_ok());
        assert!(clip_times(&c, NOW_MS).unwrap_err().starts_with("meta.trigger_ts:"));
    }

    proptest::proptest! {
        #[test]
        fn time_checks_never_panic_and_accept_only_the_window(now_ms in -(1i64 << 45)..1i64 << 45,
                                                              offset_ms in proptest::prop_oneof![-40_000_000_000i64..1_000_000_000, proptest::num::i64::ANY],
                                                              span_ms in 0i64..200_000_000, slack in -2.0f64..2.0,
                                                              any in proptest::num::f64::ANY, exact in proptest::bool::ANY) {
            let start_ms = now_ms.saturating_add(offset_ms);
            let d = if exact { span_ms as f64 / 1000.0 + slack } else { any };
            let Some(start) = chrono::DateTime::from_timestamp_millis(start_ms) else { return Ok(()) };
            let Some(end) = start.checked_add_signed(chrono::Duration::milliseconds(span_ms)) else { return Ok(()) };
            let mut e = event_at("2026-11-28T09:00:00+08:00", 0, 0.0);
            (e.start, e.end, e.duration_s) = (start.fixed_offset(), end.fixed_offset(), d);
            let ok = batch_times(&IngestBatch { minutes: vec![], events: vec![e] }, now_ms).is_ok();
            let in_window = |ms: i64| (now_ms - MAX_PAST_MS..=now_ms + MAX_FUTURE_MS).contains(&ms);
            let agrees = d.is_finite() && d >= 0.0 && (d - span_ms as f64 / 1000.0).abs() <= 1.0;
            proptest::prop_assert_eq!(ok, in_window(start_ms) && in_window(start_ms + span_ms) && agrees);
        }
    }
}
