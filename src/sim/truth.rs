//! Ground truth: per-frame activity labels and the rule events a correct
//! judge must raise. Reads [`Scenario`]s; nothing in the scenario module
//! reads this one.
//!
//! Rule codes and tolerances (seconds):
//!
//! | rule                    | tolerance | violation      | decoy        |
//! |-------------------------|-----------|----------------|--------------|
//! | `absent`                | 120       | ≥ 240          | ≤ 60         |
//! | `slouching`             | 30        | ≥ 60           | ≤ 15         |
//! | `head_on_desk`          | 30        | ≥ 60           | ≤ 15         |
//! | `crossed_legs`          | 30        | ≥ 60           | ≤ 15         |
//! | `not_standing_to_greet` | 20        | seated ≥ 40    | stands ≤ 8   |
//!
//! An event is raised for a run of consecutive segments with the same
//! activity lasting **longer than the tolerance**, spanning the whole run. For
//! greeting: when a citizen arrives while the clerk is seated, from the
//! arrival to the first moment the clerk stands (or leaves), or to the
//! citizen's departure, if that lasts longer than 20 s. `crossed_legs` events
//! exist only when the legs are visible to the camera (otherwise the pose
//! model only sees its own "sitting normally" guesses, and a judge must stay
//! silent). [`validate`] checks that every run is clearly on one side (≥ 2×
//! or ≤ 0.5× the tolerance).

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

use super::scenario::{Activity, Clerk, Scenario, SlouchForm};

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

/// The duration rule an activity can violate, if any.
pub fn rule_of(a: Activity) -> Option<&'static str> {
    match a {
        Activity::Away => Some(ABSENT),
        Activity::Slouching => Some(SLOUCHING),
        Activity::HeadOnDesk => Some(HEAD_ON_DESK),
        Activity::CrossedLegs => Some(CROSSED_LEGS),
        Activity::Upright | Activity::Standing => None,
    }
}

/// Ground truth for one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameTruth {
    pub clerk_present: bool,
    pub activity: Activity,
    /// The behaviour's form (`Clerk::form_name`).
    #[serde(default)]
    pub form: String,
    pub citizen_at_counter: bool,
    /// Trunk inclination from vertical, degrees (see [`crate::sim::body::Figure::trunk_deg`]); 0 when away.
    pub trunk_deg: f32,
    /// Neck flexion relative to the trunk, degrees (see [`crate::sim::body::Figure::neck_deg`]); 0 when away.
    pub neck_deg: f32,
    /// Where the clerk's chair is, m from its place at the desk (negative:
    /// rolled back).
    #[serde(default)]
    pub chair_m: f32,
    /// A visitor stands between the camera and the clerk: both shoulders,
    /// one or both seen with no one at the counter, are hidden by a
    /// visitor's body. No camera rule can judge the clerk then.
    #[serde(default)]
    pub clerk_hidden: bool,
}

/// A rule violation that a correct judge must report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthEvent {
    pub rule: String,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// The form of the behaviour (its longest segment), for tables by form.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub form: String,
    /// A visitor hid the clerk from the camera ([`FrameTruth::clerk_hidden`])
    /// in more than half of the event's frames: no camera could judge it.
    /// Set by the simulation, which knows the frames.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
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
    pub form: &'static str,
}

/// The name of the form that lasts longest in `[start, end)`.
fn main_form(sc: &Scenario, start: f64, end: f64) -> &'static str {
    let mut best = ("", 0.0);
    for (s, e, seg) in sc.segment_spans() {
        let overlap = e.min(end) - s.max(start);
        if overlap > best.1 {
            best = (seg.clerk.form_name(), overlap);
        }
    }
    best.0
}

/// All candidate intervals of a scenario — violating or not — with their
/// lengths (`end - start`) to compare against the rule tolerance.
pub fn candidate_intervals(sc: &Scenario, legs_visible: bool) -> Vec<Interval> {
    let mut out = Vec::new();
    for (act, s, e) in sc.activity_runs() {
        match rule_of(act) {
            Some(CROSSED_LEGS) if !legs_visible => {}
            Some(rule) => out.push(Interval { rule, start: s, end: e, form: main_form(sc, s, e) }),
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
        out.push(Interval { rule: NOT_STANDING_TO_GREET, start: arrive, end, form: main_form(sc, arrive, end) });
    }
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    out
}

/// Truth events of a scenario (independent of noise, drops and seed).
pub fn truth_events(sc: &Scenario, start: DateTime<FixedOffset>, legs_visible: bool) -> Vec<TruthEvent> {
    candidate_intervals(sc, legs_visible || sc.legs_visible)
        .into_iter()
        .filter(|iv| iv.end - iv.start > tolerance_s(iv.rule))
        .map(|iv| TruthEvent {
            rule: iv.rule.to_string(),
            start: at(start, iv.start),
            end: at(start, iv.end),
            form: iv.form.to_string(),
            hidden: false,
        })
        .collect()
}

/// Checks that ground truth is unambiguous: every rule-relevant run lasts
/// ≥ 2× or ≤ 0.5× its tolerance (greeting: seated ≥ 40 s or ≤ 8 s after
/// arrival), slouch segments really slouch (trunk or neck ≥ 25°, or slid
/// down), and all durations are positive.
pub fn validate(sc: &Scenario) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    for (i, s) in sc.segments.iter().enumerate() {
        if s.secs.is_nan() || s.secs <= 0.0 {
            errs.push(format!("segment {i}: non-positive duration {}", s.secs));
        }
        if let Clerk::Slouch { trunk_deg, neck_deg, form } = s.clerk
            && form != SlouchForm::SlidDown
            && trunk_deg.max(neck_deg) < 25.0
        {
            errs.push(format!("segment {i}: slouch of {trunk_deg}°/{neck_deg}° is below 25°"));
        }
    }
    for iv in candidate_intervals(sc, true) {
        let (d, tol) = (iv.end - iv.start, tolerance_s(iv.rule));
        let (lo, hi) = if iv.rule == NOT_STANDING_TO_GREET { (8.0, 40.0) } else { (tol * 0.5, tol * 2.0) };
        if d > lo && d < hi {
            errs.push(format!("{} run at {:.1}s lasts {d:.1}s: ambiguous (between {lo} and {hi})", iv.rule, iv.start));
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

impl Scenario {
    /// Ground-truth rule events (see [`truth_events`]).
    pub fn truth_events(&self, start: DateTime<FixedOffset>, legs_visible: bool) -> Vec<TruthEvent> {
        truth_events(self, start, legs_visible)
    }

    /// See [`validate`].
    pub fn validate(&self) -> Result<(), Vec<String>> {
        validate(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::HeadForm;

    fn start() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap()
    }

    #[test]
    fn activity_serialises_snake_case() {
        assert_eq!(serde_json::to_string(&Activity::HeadOnDesk).unwrap(), "\"head_on_desk\"");
    }

    #[test]
    fn greeting_event_ends_when_clerk_stands() {
        let sc = Scenario::new("g", "")
            .then(60.0, Clerk::Upright)
            .with_citizen(45.0, Clerk::Upright)
            .with_citizen(30.0, Clerk::Standing)
            .then(60.0, Clerk::Upright);
        let ev = truth_events(&sc, start(), false);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].rule, NOT_STANDING_TO_GREET);
        assert_eq!(ev[0].start, at(start(), 60.0));
        assert_eq!(ev[0].end, at(start(), 105.0));
    }

    #[test]
    fn crossed_legs_needs_visible_legs() {
        let sc = Scenario::new("c", "").then(90.0, Clerk::CrossedLegs { right_over_left: true });
        assert!(truth_events(&sc, start(), false).is_empty());
        assert_eq!(truth_events(&sc, start(), true).len(), 1);
    }

    #[test]
    fn events_carry_their_form() {
        let sc = Scenario::new("f", "")
            .then(60.0, Clerk::Upright)
            .then(5.0, Clerk::PickUp)
            .then(80.0, Clerk::Slouch { trunk_deg: 35.0, neck_deg: 10.0, form: SlouchForm::ElbowLean })
            .then(60.0, Clerk::Upright)
            .then(70.0, Clerk::HeadOnDesk { form: HeadForm::Forehead, trunk_deg: 50.0 });
        let ev = truth_events(&sc, start(), false);
        assert_eq!(ev.iter().map(|e| e.form.as_str()).collect::<Vec<_>>(), ["elbow_lean", "forehead"]);
    }

    #[test]
    fn validate_flags_ambiguous_runs() {
        let sc = Scenario::new("x", "").then(60.0, Clerk::Upright).then(25.0, Clerk::HEAD_ON_DESK);
        assert!(validate(&sc).is_err());
        let ok = Scenario::new("x", "").then(60.0, Clerk::Upright).then(12.0, Clerk::HEAD_ON_DESK);
        assert!(validate(&ok).is_ok());
    }
}
