//! Scripted scenarios: a list of timed segments, each saying what the clerk
//! does and whether a citizen is standing at the counter.
//!
//! A citizen *visit* is a maximal run of consecutive segments with
//! `citizen = true`; the citizen walks in from the side during the ~3 s
//! before the visit starts (arrival = first at-counter instant) and walks
//! out after it ends. Clerk pose changes blend over ~1 s at the start of each
//! segment; leaving (`Away`) and returning include a ~3 s walk off/on stage.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::truth::{self, Activity, TruthEvent};

/// What the clerk does during a segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Clerk {
    /// Sitting upright, working with both hands on the desk.
    Upright,
    /// Hunched over the desk: trunk flexion and/or neck flexion (degrees).
    /// A brief neck bend (reading) is `Slouch { trunk_deg: ~5, neck_deg: 40 }`.
    Slouch { trunk_deg: f32, neck_deg: f32 },
    /// Bending sideways/down to pick something up from the floor (a decoy:
    /// keep it ≤ 15 s). Labelled [`Activity::Slouching`].
    PickUp,
    /// Head resting on folded arms on the desk.
    HeadOnDesk,
    /// Sitting with one leg crossed knee-over-knee over the other.
    CrossedLegs { right_over_left: bool },
    /// Standing behind the desk.
    Standing,
    /// Not at the window.
    Away,
}

impl Clerk {
    pub fn activity(&self) -> Activity {
        match self {
            Clerk::Upright => Activity::Upright,
            Clerk::Slouch { .. } | Clerk::PickUp => Activity::Slouching,
            Clerk::HeadOnDesk => Activity::HeadOnDesk,
            Clerk::CrossedLegs { .. } => Activity::CrossedLegs,
            Clerk::Standing => Activity::Standing,
            Clerk::Away => Activity::Away,
        }
    }
}

/// One timed piece of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Duration in seconds.
    pub secs: f32,
    pub clerk: Clerk,
    /// A citizen is standing at the counter for the whole segment.
    #[serde(default)]
    pub citizen: bool,
}

/// A named, scripted sequence of segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The scene lets the camera see the clerk's legs (open-front desk /
    /// side camera). Effective visibility is this OR `SimConfig::legs_visible`.
    #[serde(default)]
    pub legs_visible: bool,
    pub segments: Vec<Segment>,
}

impl Scenario {
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Scenario {
            name: name.into(),
            description: description.into(),
            legs_visible: false,
            segments: Vec::new(),
        }
    }

    /// Append a segment without a citizen.
    pub fn then(mut self, secs: f32, clerk: Clerk) -> Self {
        self.segments.push(Segment {
            secs,
            clerk,
            citizen: false,
        });
        self
    }

    /// Append a segment with a citizen at the counter.
    pub fn with_citizen(mut self, secs: f32, clerk: Clerk) -> Self {
        self.segments.push(Segment {
            secs,
            clerk,
            citizen: true,
        });
        self
    }

    pub fn with_legs_visible(mut self, visible: bool) -> Self {
        self.legs_visible = visible;
        self
    }

    pub fn duration_secs(&self) -> f64 {
        self.segments.iter().map(|s| s.secs as f64).sum()
    }

    /// `(start, end, segment)` for every segment, in scenario seconds.
    pub fn segment_spans(&self) -> Vec<(f64, f64, &Segment)> {
        let mut t = 0.0;
        self.segments
            .iter()
            .map(|s| {
                let span = (t, t + s.secs as f64, s);
                t += s.secs as f64;
                span
            })
            .collect()
    }

    /// Index of the segment containing `t` (the last one for `t` past the end).
    pub fn segment_index_at(&self, t: f64) -> Option<usize> {
        let spans = self.segment_spans();
        spans
            .iter()
            .position(|&(s, e, _)| t >= s && t < e)
            .or(spans.len().checked_sub(1))
    }

    pub fn activity_at(&self, t: f64) -> Activity {
        self.segment_index_at(t)
            .map(|i| self.segments[i].clerk.activity())
            .unwrap_or(Activity::Away)
    }

    pub fn citizen_at(&self, t: f64) -> bool {
        self.segment_index_at(t)
            .is_some_and(|i| self.segments[i].citizen && t < self.duration_secs())
    }

    /// Maximal runs of consecutive segments with the same activity:
    /// `(activity, start, end)`.
    pub fn activity_runs(&self) -> Vec<(Activity, f64, f64)> {
        let mut runs: Vec<(Activity, f64, f64)> = Vec::new();
        for (s, e, seg) in self.segment_spans() {
            let a = seg.clerk.activity();
            match runs.last_mut() {
                Some(last) if last.0 == a => last.2 = e,
                _ => runs.push((a, s, e)),
            }
        }
        runs
    }

    /// Citizen visits `(arrival, departure)` in scenario seconds.
    pub fn visits(&self) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        let mut prev = false;
        for (s, e, seg) in self.segment_spans() {
            if seg.citizen {
                if prev {
                    out.last_mut().unwrap().1 = e;
                } else {
                    out.push((s, e));
                }
            }
            prev = seg.citizen;
        }
        out
    }

    /// Ground-truth rule events (see [`truth`] for the definitions).
    pub fn truth_events(
        &self,
        start: DateTime<FixedOffset>,
        legs_visible: bool,
    ) -> Vec<TruthEvent> {
        truth::truth_events(self, start, legs_visible || self.legs_visible)
    }

    /// Check that ground truth is unambiguous: every rule-relevant run lasts
    /// ≥ 2× or ≤ 0.5× its tolerance (greeting: seated ≥ 40 s or ≤ 8 s after
    /// arrival), slouch segments really slouch (trunk or neck ≥ 30°), and all
    /// durations are positive.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        for (i, s) in self.segments.iter().enumerate() {
            if s.secs.is_nan() || s.secs <= 0.0 {
                errs.push(format!("segment {i}: non-positive duration {}", s.secs));
            }
            if let Clerk::Slouch {
                trunk_deg,
                neck_deg,
            } = s.clerk
                && trunk_deg.max(neck_deg) < 30.0
            {
                errs.push(format!(
                    "segment {i}: slouch of {trunk_deg}°/{neck_deg}° is below 30°"
                ));
            }
        }
        for iv in truth::candidate_intervals(self, true) {
            let (d, tol) = (iv.end - iv.start, truth::tolerance_s(iv.rule));
            let (lo, hi) = if iv.rule == truth::NOT_STANDING_TO_GREET {
                (8.0, 40.0)
            } else {
                (tol * 0.5, tol * 2.0)
            };
            if d > lo && d < hi {
                errs.push(format!(
                    "{} run at {:.1}s lasts {d:.1}s: ambiguous (between {lo} and {hi})",
                    iv.rule, iv.start
                ));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_same_activity() {
        let sc = Scenario::new("x", "")
            .then(
                10.0,
                Clerk::Slouch {
                    trunk_deg: 40.0,
                    neck_deg: 10.0,
                },
            )
            .then(5.0, Clerk::PickUp)
            .then(10.0, Clerk::Upright);
        let runs = sc.activity_runs();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], (Activity::Slouching, 0.0, 15.0));
    }

    #[test]
    fn visits_span_consecutive_citizen_segments() {
        let sc = Scenario::new("x", "")
            .then(10.0, Clerk::Upright)
            .with_citizen(3.0, Clerk::Upright)
            .with_citizen(20.0, Clerk::Standing)
            .then(10.0, Clerk::Upright);
        assert_eq!(sc.visits(), vec![(10.0, 33.0)]);
        assert!(sc.citizen_at(12.0) && !sc.citizen_at(33.5));
    }

    #[test]
    fn validate_flags_ambiguous_runs() {
        let sc = Scenario::new("x", "")
            .then(60.0, Clerk::Upright)
            .then(25.0, Clerk::HeadOnDesk);
        assert!(sc.validate().is_err());
        let ok = Scenario::new("x", "")
            .then(60.0, Clerk::Upright)
            .then(12.0, Clerk::HeadOnDesk);
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn scenario_roundtrips_through_json() {
        let sc = Scenario::new("x", "d").then(
            5.0,
            Clerk::Slouch {
                trunk_deg: 40.0,
                neck_deg: 5.0,
            },
        );
        let js = serde_json::to_string(&sc).unwrap();
        assert!(js.contains("\"kind\":\"slouch\""), "{js}");
        assert_eq!(serde_json::from_str::<Scenario>(&js).unwrap(), sc);
    }
}
