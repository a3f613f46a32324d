//! Rule thresholds: documented defaults (see docs/rules.md), overridable
//! globally (`[rules.<code>]`) and per window (`[window.rules.<code>]`),
//! each kept within ordinary hall practice.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::Reporter;

/// Resolved thresholds for one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub absent: Absent,
    pub slouching: Slouching,
    pub head_on_desk: Sustained,
    pub crossed_legs: CrossedLegs,
    pub not_standing_to_greet: Greeting,
    /// No work badge seen on the clerk (needs `[attire]` references or model).
    pub missing_badge: AttireRule,
    /// The clerk's torso unlike the uniform (needs `[attire]`).
    pub dress_code: AttireRule,
    /// A keypoint counts as seen from this confidence.
    pub min_keypoint_conf: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Absent {
    /// Nobody in the staff zone for longer than this raises `absent`.
    pub tolerance_s: f64,
    /// The clerk must be back this long for the event to end.
    pub exit_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slouching {
    /// Trunk flexion above this is poor (RULA: 20°).
    pub trunk_deg: f32,
    /// Neck flexion above this is poor (RULA: 20°).
    pub neck_deg: f32,
    /// Sunk down in the chair: the shoulders this many of the clerk's own
    /// shoulder widths below their upright place, more than the head has
    /// sunk relative to them (a trunk that slides down without bending).
    pub sink: f32,
    pub min_s: f64,
    pub exit_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sustained {
    pub min_s: f64,
    pub exit_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CrossedLegs {
    pub min_s: f64,
    pub exit_s: f64,
    /// Knees and ankles must all reach this confidence to be judged.
    pub min_leg_conf: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Greeting {
    /// The clerk must stand within this many seconds of a citizen's arrival.
    pub timeout_s: f64,
    /// A citizen counts as arrived after this long in the counter zone.
    pub arrival_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AttireRule {
    /// The item's probability below this counts as not worn.
    pub below: f32,
    pub min_s: f64,
    pub exit_s: f64,
}

impl Thresholds {
    /// The shortest time any rule is seen pending before it becomes a
    /// violation: a frame older than this when a violation begins was
    /// taken while that rule was already pending.
    pub fn shortest_onset_s(&self) -> f64 {
        [
            self.absent.tolerance_s,
            self.slouching.min_s,
            self.head_on_desk.min_s,
            self.crossed_legs.min_s,
            self.not_standing_to_greet.timeout_s,
            self.missing_badge.min_s,
            self.dress_code.min_s,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min)
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            absent: Absent { tolerance_s: 120.0, exit_s: 10.0 },
            slouching: Slouching { trunk_deg: 20.0, neck_deg: 20.0, sink: 0.2, min_s: 30.0, exit_s: 10.0 },
            head_on_desk: Sustained { min_s: 30.0, exit_s: 10.0 },
            crossed_legs: CrossedLegs { min_s: 30.0, exit_s: 10.0, min_leg_conf: 0.6 },
            not_standing_to_greet: Greeting { timeout_s: 20.0, arrival_s: 3.0 },
            missing_badge: AttireRule { below: 0.5, min_s: 120.0, exit_s: 30.0 },
            dress_code: AttireRule { below: 0.5, min_s: 300.0, exit_s: 60.0 },
            min_keypoint_conf: 0.5,
        }
    }
}

type Num = Option<Spanned<f64>>;

/// `[rules]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    pub absent: Option<RawAbsent>,
    pub slouching: Option<RawSlouching>,
    pub head_on_desk: Option<RawSustained>,
    pub crossed_legs: Option<RawCrossedLegs>,
    pub not_standing_to_greet: Option<RawGreeting>,
    pub missing_badge: Option<RawAttireRule>,
    pub dress_code: Option<RawAttireRule>,
    pub min_keypoint_conf: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttireRule {
    pub below: Num,
    pub min_s: Num,
    pub exit_s: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAbsent {
    pub tolerance_s: Num,
    pub exit_s: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlouching {
    pub trunk_deg: Num,
    pub neck_deg: Num,
    pub sink: Num,
    pub min_s: Num,
    pub exit_s: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSustained {
    pub min_s: Num,
    pub exit_s: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrossedLegs {
    pub min_s: Num,
    pub exit_s: Num,
    pub min_leg_conf: Num,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGreeting {
    pub timeout_s: Num,
    pub arrival_s: Num,
}

/// Applies one layer of overrides to `base`, checking each value's range.
pub(crate) fn apply(base: Thresholds, raw: &RawRules, prefix: &str, r: &mut Reporter) -> Thresholds {
    let mut t = base;
    let mut set = |v: &Num, field: &str, lo: f64, hi: f64, why: &str, out: &mut f64| {
        if let Some(v) = v {
            let x = *v.get_ref();
            if !(lo..=hi).contains(&x) || !x.is_finite() {
                r.error(v.span().start, format!("{prefix}{field}"), format!("{x} is out of range {lo}..={hi}"), why.to_string());
            } else {
                *out = x;
            }
        }
    };
    if let Some(a) = &raw.absent {
        set(
            &a.tolerance_s,
            "absent.tolerance_s",
            60.0,
            300.0,
            "use 60-300 s: a clerk fetching a file for under a minute is not absent",
            &mut t.absent.tolerance_s,
        );
        set(&a.exit_s, "absent.exit_s", 0.0, 120.0, "use 0-120 s of presence to end an absence", &mut t.absent.exit_s);
    }
    let posture = "use 10-120 s: bending for a few seconds to pick something up is not a posture problem";
    let exit = "use 0-60 s";
    if let Some(s) = &raw.slouching {
        let mut trunk = t.slouching.trunk_deg as f64;
        let mut neck = t.slouching.neck_deg as f64;
        set(&s.trunk_deg, "slouching.trunk_deg", 10.0, 60.0, "use 10-60 degrees (RULA: over 20 is poor)", &mut trunk);
        set(&s.neck_deg, "slouching.neck_deg", 10.0, 60.0, "use 10-60 degrees (RULA: over 20 is poor)", &mut neck);
        t.slouching.trunk_deg = trunk as f32;
        t.slouching.neck_deg = neck as f32;
        let mut sink = t.slouching.sink as f64;
        set(&s.sink, "slouching.sink", 0.1, 1.0, "use 0.1-1.0 shoulder widths (0.2: about 8 cm down in the chair)", &mut sink);
        t.slouching.sink = sink as f32;
        set(&s.min_s, "slouching.min_s", 10.0, 120.0, posture, &mut t.slouching.min_s);
        set(&s.exit_s, "slouching.exit_s", 0.0, 60.0, exit, &mut t.slouching.exit_s);
    }
    if let Some(s) = &raw.head_on_desk {
        set(&s.min_s, "head_on_desk.min_s", 10.0, 120.0, posture, &mut t.head_on_desk.min_s);
        set(&s.exit_s, "head_on_desk.exit_s", 0.0, 60.0, exit, &mut t.head_on_desk.exit_s);
    }
    if let Some(s) = &raw.crossed_legs {
        set(&s.min_s, "crossed_legs.min_s", 10.0, 120.0, posture, &mut t.crossed_legs.min_s);
        set(&s.exit_s, "crossed_legs.exit_s", 0.0, 60.0, exit, &mut t.crossed_legs.exit_s);
        let mut c = t.crossed_legs.min_leg_conf as f64;
        set(
            &s.min_leg_conf,
            "crossed_legs.min_leg_conf",
            0.3,
            0.95,
            "use 0.3-0.95: models guess hidden legs at moderate confidence",
            &mut c,
        );
        t.crossed_legs.min_leg_conf = c as f32;
    }
    if let Some(g) = &raw.not_standing_to_greet {
        set(&g.timeout_s, "not_standing_to_greet.timeout_s", 10.0, 60.0, "use 10-60 s", &mut t.not_standing_to_greet.timeout_s);
        set(&g.arrival_s, "not_standing_to_greet.arrival_s", 0.0, 30.0, "use 0-30 s", &mut t.not_standing_to_greet.arrival_s);
    }
    for (raw, name, out) in
        [(&raw.missing_badge, "missing_badge", &mut t.missing_badge), (&raw.dress_code, "dress_code", &mut t.dress_code)]
    {
        if let Some(a) = raw {
            let mut below = out.below as f64;
            set(
                &a.below,
                &format!("{name}.below"),
                0.05,
                0.95,
                "use 0.05-0.95: the probability under which the item counts as not worn (0.5: the enrolment's own threshold)",
                &mut below,
            );
            out.below = below as f32;
            set(
                &a.min_s,
                &format!("{name}.min_s"),
                30.0,
                3600.0,
                "use 30-3600 s: attire is judged every few seconds and changes rarely",
                &mut out.min_s,
            );
            set(&a.exit_s, &format!("{name}.exit_s"), 0.0, 600.0, "use 0-600 s", &mut out.exit_s);
        }
    }
    let mut c = t.min_keypoint_conf as f64;
    set(&raw.min_keypoint_conf, "min_keypoint_conf", 0.1, 0.95, "use 0.1-0.95", &mut c);
    t.min_keypoint_conf = c as f32;
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn shortest_onset_is_the_quickest_rule() {
        let mut t = super::Thresholds::default();
        assert_eq!(t.shortest_onset_s(), 20.0, "greeting's 20 s timeout by default");
        t.slouching.min_s = 10.0;
        assert_eq!(t.shortest_onset_s(), 10.0);
    }
}
