//! Checks on what boxes send, before anything of it is stored: a bad row
//! refuses the whole request with a message that names the row and field.

use chrono::Timelike;

use crate::config::valid_id;
use crate::rules::{Event, MinuteMetrics};
use crate::wire::{ClipMeta, IngestBatch};

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

pub fn clip_meta(m: &ClipMeta) -> Result<(), String> {
    if !valid_id(&m.window) {
        return Err(format!("meta.window: {:?} is not a window id", m.window));
    }
    if !crate::rules::RuleCode::ALL.iter().any(|r| r.as_str() == m.rule) {
        return Err(format!("meta.rule: {:?} is not a rule code", m.rule));
    }
    Ok(())
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
