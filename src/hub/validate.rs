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
    for (name, v) in [("observed_s", m.observed_s), ("in_service_s", m.in_service_s), ("staffed_s", m.staffed_s), ("compliant_s", m.compliant_s), ("unknown_s", m.unknown_s)] {
        seconds(name, v, 60.0)?;
    }
    if m.compliant_s > m.in_service_s + 0.5 || m.staffed_s > m.in_service_s + 0.5 || m.unknown_s > m.in_service_s + 0.5 {
        return Err(format!("compliant_s, staffed_s and unknown_s ({}, {}, {}) cannot exceed in_service_s ({})", m.compliant_s, m.staffed_s, m.unknown_s, m.in_service_s));
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
    if e.values.len() > 32 || e.values.values().any(|v| !v.is_finite()) {
        return Err("values: at most 32 finite numbers".into());
    }
    Ok(())
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
    for (name, v) in [("minutes", o.minutes), ("events", o.events), ("clips", o.clips), ("clip_bytes", o.clip_bytes)] {
        signed_count(&format!("outbox.{name}"), v)?;
    }
    if let Some(t) = o.oldest_unix {
        instant("outbox.oldest_unix", t)?;
    }
    for (i, w) in hb.windows.iter().enumerate() {
        if !valid_id(&w.id) {
            return Err(format!("windows[{i}].id: {:?} is not a window id", w.id));
        }
        if w.name.len() > 200 || w.name.chars().any(char::is_control) {
            return Err(format!("windows[{i}].name: at most 200 printable bytes"));
        }
        for (name, v) in [("frames_in", w.frames_in), ("frames_analysed", w.frames_analysed), ("frames_stale", w.frames_stale), ("errors", w.errors)] {
            count(&format!("windows[{i}].{name}"), v)?;
        }
        if let Some(age) = w.last_frame_age_s {
            if !age.is_finite() || age < 0.0 {
                return Err(format!("windows[{i}].last_frame_age_s: {age} is not a number of seconds"));
            }
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
}
