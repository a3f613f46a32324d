//! What the rules produce: events and their rule codes.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// How many rules there are.
pub const N_RULES: usize = 7;

/// Rule codes as they appear in data and APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleCode {
    Absent,
    Slouching,
    HeadOnDesk,
    CrossedLegs,
    NotStandingToGreet,
    MissingBadge,
    DressCode,
}

impl RuleCode {
    pub const ALL: [RuleCode; N_RULES] = [
        RuleCode::Absent,
        RuleCode::Slouching,
        RuleCode::HeadOnDesk,
        RuleCode::CrossedLegs,
        RuleCode::NotStandingToGreet,
        RuleCode::MissingBadge,
        RuleCode::DressCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleCode::Absent => "absent",
            RuleCode::Slouching => "slouching",
            RuleCode::HeadOnDesk => "head_on_desk",
            RuleCode::CrossedLegs => "crossed_legs",
            RuleCode::NotStandingToGreet => "not_standing_to_greet",
            RuleCode::MissingBadge => "missing_badge",
            RuleCode::DressCode => "dress_code",
        }
    }

    /// The hall's own name for the problem.
    pub fn zh(self) -> &'static str {
        match self {
            RuleCode::Absent => "离岗",
            RuleCode::Slouching => "坐姿不端正",
            RuleCode::HeadOnDesk => "趴桌睡岗",
            RuleCode::CrossedLegs => "跷二郎腿",
            RuleCode::NotStandingToGreet => "未起身迎接",
            RuleCode::MissingBadge => "未按规定佩戴工作牌",
            RuleCode::DressCode => "着装不规范",
        }
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violation, from when it was first seen to when it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub window: String,
    pub rule: RuleCode,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub duration_s: f64,
    /// Mean confidence of the observations behind the event.
    pub confidence: f32,
    /// Why it ended: `resolved`, `service_ended` (hours, break or leave),
    /// `unknown` (the clerk could no longer be seen) or `end_of_input`.
    pub closed_by: String,
    /// The measured values that triggered it, e.g. `peak_trunk_deg`.
    pub values: BTreeMap<String, f64>,
}
