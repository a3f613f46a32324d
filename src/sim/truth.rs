//! Ground truth: per-frame activity labels and the rule events a correct
//! judge must raise.
//!
//! Rule codes and tolerances (seconds):
//!
//! | rule                    | tolerance | library violation | library decoy |
//! |-------------------------|-----------|-------------------|---------------|
//! | `absent`                | 120       | ≥ 240             | ≤ 40          |
//! | `slouching`             | 30        | ≥ 60              | ≤ 15          |
//! | `head_on_desk`          | 30        | ≥ 60              | ≤ 15          |
//! | `crossed_legs`          | 30        | ≥ 60              | ≤ 15          |
//! | `not_standing_to_greet` | 20        | seated ≥ 40       | stands ≤ 8    |
//!
//! An event is raised for a run of consecutive segments with the same
//! activity lasting **longer than the tolerance**, spanning the whole run. For
//! greeting: when a citizen arrives while the clerk is seated, from the
//! arrival to the first moment the clerk stands (or leaves), or to the
//! citizen's departure, if that lasts longer than 20 s. `crossed_legs` events
//! exist only when the legs are visible to the camera (otherwise the pose
//! model only sees its own "sitting normally" guesses, and a judge must stay
//! silent). [`crate::sim::Scenario::validate`] checks that every run is
//! clearly on one side (≥ 2× or ≤ 0.5× the tolerance).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

use super::scenario::Scenario;

pub const ABSENT: &str = "absent";
pub const SLOUCHING: &str = "slouching";
pub const HEAD_ON_DESK: &str = "head_on_desk";
pub const CROSSED_LEGS: &str = "crossed_legs";
pub const NOT_STANDING_TO_GREET: &str = "not_standing_to_greet";

/// Rule tolerance in seconds.
pub fn tolerance_s(rule: &str) -> f64 {
    match rule {
        ABSENT => 120.0,
        SLOUCHING | HEAD_ON_DESK | CROSSED_LEGS => 30.0,
        NOT_STANDING_TO_GREET => 20.0,
        _ => f64::INFINITY,
    }
}

/// What the clerk is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Upright,
    Slouching,
    HeadOnDesk,
    CrossedLegs,
    Standing,
    Away,
}

impl Activity {
    /// The duration rule this activity can violate, if any.
    pub fn rule(self) -> Option<&'static str> {
        match self {
            Activity::Away => Some(ABSENT),
            Activity::Slouching => Some(SLOUCHING),
            Activity::HeadOnDesk => Some(HEAD_ON_DESK),
            Activity::CrossedLegs => Some(CROSSED_LEGS),
            Activity::Upright | Activity::Standing => None,
        }
    }

    pub fn is_seated(self) -> bool {
        !matches!(self, Activity::Standing | Activity::Away)
    }
}

/// Ground truth for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameTruth {
    pub clerk_present: bool,
    pub activity: Activity,
    pub citizen_at_counter: bool,
    /// Trunk flexion from vertical, degrees (see [`crate::sim::body::Figure::trunk_deg`]); 0 when away.
    pub trunk_deg: f32,
    /// Neck flexion relative to the trunk, degrees (see [`crate::sim::body::Figure::neck_deg`]); 0 when away.
    pub neck_deg: f32,
}

/// A rule violation that a correct judge must report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthEvent {
    pub rule: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

/// `start + secs`, rounded to the millisecond.
pub fn at(start: DateTime<FixedOffset>, secs: f64) -> DateTime<FixedOffset> {
    start + TimeDelta::milliseconds((secs * 1000.0).round() as i64)
}

/// A rule-relevant interval in scenario seconds (before mapping to time).
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub rule: &'static str,
    pub start: f64,
    pub end: f64,
}

/// All candidate intervals of a scenario — violating or not — with their
/// lengths (`end - start`) to compare against the rule tolerance.
pub fn candidate_intervals(sc: &Scenario, legs_visible: bool) -> Vec<Interval> {
    let mut out = Vec::new();
    for (act, s, e) in sc.activity_runs() {
        match act.rule() {
            Some(CROSSED_LEGS) if !legs_visible => {}
            Some(rule) => out.push(Interval {
                rule,
                start: s,
                end: e,
            }),
            None => {}
        }
    }
    for (arrive, leave) in sc.visits() {
        if !sc.activity_at(arrive).is_seated() {
            continue;
        }
        let end = sc
            .segment_spans()
            .into_iter()
            .find(|&(s, _, seg)| s >= arrive && s < leave && !seg.clerk.activity().is_seated())
            .map(|(s, _, _)| s)
            .unwrap_or(leave);
        out.push(Interval {
            rule: NOT_STANDING_TO_GREET,
            start: arrive,
            end,
        });
    }
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    out
}

/// Truth events of a scenario (independent of noise, drops and seed).
pub fn truth_events(
    sc: &Scenario,
    start: DateTime<FixedOffset>,
    legs_visible: bool,
) -> Vec<TruthEvent> {
    candidate_intervals(sc, legs_visible)
        .into_iter()
        .filter(|iv| iv.end - iv.start > tolerance_s(iv.rule))
        .map(|iv| TruthEvent {
            rule: iv.rule.to_string(),
            start: at(start, iv.start),
            end: at(start, iv.end),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Clerk;

    #[test]
    fn activity_serialises_snake_case() {
        assert_eq!(
            serde_json::to_string(&Activity::HeadOnDesk).unwrap(),
            "\"head_on_desk\""
        );
    }

    #[test]
    fn greeting_event_ends_when_clerk_stands() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let sc = Scenario::new("g", "")
            .then(60.0, Clerk::Upright)
            .with_citizen(45.0, Clerk::Upright)
            .with_citizen(30.0, Clerk::Standing)
            .then(60.0, Clerk::Upright);
        let ev = truth_events(&sc, start, false);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].rule, NOT_STANDING_TO_GREET);
        assert_eq!(ev[0].start, at(start, 60.0));
        assert_eq!(ev[0].end, at(start, 105.0));
    }

    #[test]
    fn crossed_legs_needs_visible_legs() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let sc = Scenario::new("c", "").then(
            90.0,
            Clerk::CrossedLegs {
                right_over_left: true,
            },
        );
        assert!(truth_events(&sc, start, false).is_empty());
        assert_eq!(truth_events(&sc, start, true).len(), 1);
    }
}
