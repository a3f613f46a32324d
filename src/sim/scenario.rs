//! Scripted scenarios: a list of timed segments, each saying what the clerk
//! does (in which form) and whether a citizen is standing at the counter.
//!
//! A citizen *visit* is a maximal run of consecutive segments with
//! `citizen = true`; the citizen walks in from the side during the ~3 s
//! before the visit starts (arrival = first at-counter instant) and walks
//! out after it ends. Clerk pose changes blend over ~1 s at the start of each
//! segment; leaving (`Away`) and returning include a ~3 s walk off/on stage.
//!
//! This module knows nothing of ground truth: [`super::truth`] reads
//! scenarios, never the other way round.

use serde::{Deserialize, Serialize};

/// What the clerk is doing, as far as the rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    pub fn is_seated(self) -> bool {
        !matches!(self, Activity::Standing | Activity::Away)
    }
}

/// Ways of being upright but busy: none of them is a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BusyForm {
    /// Hands on the keyboard, close together, moving.
    #[default]
    Typing,
    /// Writing close to the desk: trunk up to 12°, neck up to 15°.
    Writing,
    /// Leaning back in the chair (reclined 8–18°).
    LeaningBack,
    /// Turned to a colleague or a side screen (35–60°).
    TurnedAside,
    /// A brief look down at a document (neck 30–45°). Counts as a lapse, so
    /// scripts keep it short (a decoy).
    LookingDown,
}

/// Ways of slouching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SlouchForm {
    /// Hunched over the desk with the given angles, hands on the desk (the
    /// hand-written library's slouch).
    #[default]
    Hunch,
    /// Rounded back: trunk bent, shoulders rolled forward, head forward.
    RoundedBack,
    /// Leaning forward on the forearms with the head kept up.
    ForwardLean,
    /// Slid down in the chair: hips well forward and down, trunk reclined
    /// 18–30°, shoulders about 10 cm lower.
    SlidDown,
    /// Leaning forward and sideways on one elbow.
    ElbowLean,
    /// Trunk up, neck bent far down over a phone or a document.
    NeckBend,
}

/// Ways of resting the head on the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HeadForm {
    /// Head on forearms folded on the desk.
    #[default]
    FoldedArms,
    /// Cheek on one forearm lying across the desk.
    OneArm,
    /// Head propped on a hand, elbow on the desk, eyes down, very still.
    HandProp,
    /// Forehead directly on the desk.
    Forehead,
}

/// What the clerk does during a segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Clerk {
    /// Sitting upright, working with both hands on the desk.
    Upright,
    /// Upright but busy, in one of several forms.
    Busy { form: BusyForm },
    /// Slouching: trunk and neck flexion (degrees, before the form's own
    /// adjustments), in one of several forms.
    Slouch {
        trunk_deg: f32,
        neck_deg: f32,
        #[serde(default)]
        form: SlouchForm,
    },
    /// Bending sideways/down to pick something up from the floor (a decoy:
    /// keep it ≤ 15 s). Labelled [`Activity::Slouching`].
    PickUp,
    /// Head resting on the desk, in one of several forms; `trunk_deg` is the
    /// intended trunk flexion (40–70°; the pose keeps the shoulders above the
    /// desk top, which may lower it).
    HeadOnDesk {
        #[serde(default)]
        form: HeadForm,
        #[serde(default = "default_head_trunk")]
        trunk_deg: f32,
    },
    /// Sitting with one leg crossed knee-over-knee over the other.
    CrossedLegs { right_over_left: bool },
    /// Standing behind the desk.
    Standing,
    /// Not at the window.
    Away,
}

fn default_head_trunk() -> f32 {
    45.0
}

impl Clerk {
    /// The library's head on the desk: on folded arms, trunk 45°.
    pub const HEAD_ON_DESK: Clerk = Clerk::HeadOnDesk { form: HeadForm::FoldedArms, trunk_deg: 45.0 };

    pub fn activity(&self) -> Activity {
        match self {
            Clerk::Upright => Activity::Upright,
            Clerk::Busy { form: BusyForm::LookingDown } => Activity::Slouching,
            Clerk::Busy { .. } => Activity::Upright,
            Clerk::Slouch { .. } | Clerk::PickUp => Activity::Slouching,
            Clerk::HeadOnDesk { .. } => Activity::HeadOnDesk,
            Clerk::CrossedLegs { .. } => Activity::CrossedLegs,
            Clerk::Standing => Activity::Standing,
            Clerk::Away => Activity::Away,
        }
    }

    /// The form's name, for tables by behaviour form.
    pub fn form_name(&self) -> &'static str {
        match self {
            Clerk::Upright => "upright",
            Clerk::Busy { form } => match form {
                BusyForm::Typing => "typing",
                BusyForm::Writing => "writing",
                BusyForm::LeaningBack => "leaning_back",
                BusyForm::TurnedAside => "turned_aside",
                BusyForm::LookingDown => "looking_down",
            },
            Clerk::Slouch { form, .. } => match form {
                SlouchForm::Hunch => "hunch",
                SlouchForm::RoundedBack => "rounded_back",
                SlouchForm::ForwardLean => "forward_lean",
                SlouchForm::SlidDown => "slid_down",
                SlouchForm::ElbowLean => "elbow_lean",
                SlouchForm::NeckBend => "neck_bend",
            },
            Clerk::PickUp => "pick_up",
            Clerk::HeadOnDesk { form, .. } => match form {
                HeadForm::FoldedArms => "folded_arms",
                HeadForm::OneArm => "one_arm",
                HeadForm::HandProp => "hand_prop",
                HeadForm::Forehead => "forehead",
            },
            Clerk::CrossedLegs { .. } => "crossed_legs",
            Clerk::Standing => "standing",
            Clerk::Away => "away",
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
        Scenario { name: name.into(), description: description.into(), legs_visible: false, segments: Vec::new() }
    }

    /// Append a segment without a citizen.
    pub fn then(mut self, secs: f32, clerk: Clerk) -> Self {
        self.segments.push(Segment { secs, clerk, citizen: false });
        self
    }

    /// Append a segment with a citizen at the counter.
    pub fn with_citizen(mut self, secs: f32, clerk: Clerk) -> Self {
        self.segments.push(Segment { secs, clerk, citizen: true });
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
        spans.iter().position(|&(s, e, _)| t >= s && t < e).or(spans.len().checked_sub(1))
    }

    pub fn activity_at(&self, t: f64) -> Activity {
        self.segment_index_at(t).map(|i| self.segments[i].clerk.activity()).unwrap_or(Activity::Away)
    }

    pub fn citizen_at(&self, t: f64) -> bool {
        self.segment_index_at(t).is_some_and(|i| self.segments[i].citizen && t < self.duration_secs())
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
                match out.last_mut() {
                    Some(last) if prev => last.1 = e,
                    _ => out.push((s, e)),
                }
            }
            prev = seg.citizen;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_same_activity() {
        let sc = Scenario::new("x", "")
            .then(10.0, Clerk::Slouch { trunk_deg: 40.0, neck_deg: 10.0, form: SlouchForm::Hunch })
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
    fn scenario_roundtrips_through_json() {
        let sc = Scenario::new("x", "d")
            .then(5.0, Clerk::Slouch { trunk_deg: 40.0, neck_deg: 5.0, form: SlouchForm::ElbowLean })
            .then(70.0, Clerk::HeadOnDesk { form: HeadForm::HandProp, trunk_deg: 50.0 })
            .then(9.0, Clerk::Busy { form: BusyForm::Writing });
        let js = serde_json::to_string(&sc).unwrap();
        assert!(js.contains("\"kind\":\"slouch\"") && js.contains("\"form\":\"hand_prop\""), "{js}");
        assert_eq!(serde_json::from_str::<Scenario>(&js).unwrap(), sc);
        // Older scenario files without forms still read.
        let old: Scenario = serde_json::from_str(r#"{"name":"o","segments":[{"secs":5,"clerk":{"kind":"slouch","trunk_deg":30,"neck_deg":5}},{"secs":5,"clerk":{"kind":"head_on_desk"}}]}"#).unwrap();
        assert_eq!(old.segments[1].clerk, Clerk::HEAD_ON_DESK);
    }

    #[test]
    fn forms_have_names_and_activities() {
        assert_eq!(Clerk::Busy { form: BusyForm::LookingDown }.activity(), Activity::Slouching);
        assert_eq!(Clerk::Busy { form: BusyForm::Writing }.activity(), Activity::Upright);
        assert_eq!(Clerk::HEAD_ON_DESK.form_name(), "folded_arms");
    }
}
