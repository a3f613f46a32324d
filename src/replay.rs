//! Running the rules over recorded keypoint traces: one `WindowRules` per
//! window, fed in time order.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::rules::{Event, MinuteMetrics, RuleCode, WindowRules};
use crate::trace::TraceFrame;

/// The rules of every window in a config.
pub struct Replay {
    windows: BTreeMap<String, WindowRules>,
    known: String,
    /// Frames fed per window.
    pub frames: BTreeMap<String, u64>,
}

impl Replay {
    pub fn new(config: &Config) -> Replay {
        Replay {
            windows: config.windows.iter().map(|w| (w.id.clone(), WindowRules::new(w))).collect(),
            known: config.windows.iter().map(|w| w.id.as_str()).collect::<Vec<_>>().join(", "),
            frames: BTreeMap::new(),
        }
    }

    /// Feeds one frame; an unknown window id is an error naming the known ones.
    pub fn push(&mut self, f: &TraceFrame) -> Result<Vec<Event>, String> {
        let rules = self
            .windows
            .get_mut(&f.window)
            .ok_or_else(|| format!("window {:?} is not in the config (it has: {})", f.window, self.known))?;
        *self.frames.entry(f.window.clone()).or_default() += 1;
        let mut obs = rules.observe(&f.frame.people, f.frame.width, f.frame.height);
        (obs.badge, obs.uniform) = (f.badge, f.uniform);
        Ok(rules.push_observation(f.ts, &obs))
    }

    /// Each window's clerk baseline and placement issues, as learnt so far.
    pub fn baselines(&self) -> Vec<(String, crate::rules::baseline::BaselineStatus)> {
        self.windows.iter().map(|(id, r)| (id.clone(), r.baseline_status())).collect()
    }

    /// Closes open events and returns them with all minute metrics.
    pub fn finish(&mut self) -> (Vec<Event>, Vec<MinuteMetrics>) {
        let mut events = Vec::new();
        let mut minutes = Vec::new();
        for rules in self.windows.values_mut() {
            let (e, m) = rules.finish();
            events.extend(e);
            minutes.extend(m);
        }
        (events, minutes)
    }
}

/// Totals for the human summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub in_service_s: f64,
    pub staffed_s: f64,
    pub compliant_s: f64,
    pub unknown_s: f64,
    pub events: BTreeMap<RuleCode, (u32, f64)>,
}

impl Summary {
    pub fn of(events: &[Event], minutes: &[MinuteMetrics]) -> Summary {
        let mut s = Summary::default();
        for m in minutes {
            s.in_service_s += m.in_service_s;
            s.staffed_s += m.staffed_s;
            s.compliant_s += m.compliant_s;
            s.unknown_s += m.unknown_s;
        }
        for e in events {
            let entry = s.events.entry(e.rule).or_default();
            entry.0 += 1;
            entry.1 += e.duration_s;
        }
        s
    }

    /// Compliant share of the staffed, judged service time.
    pub fn compliance_rate(&self) -> Option<f64> {
        let judged = self.in_service_s - self.unknown_s;
        (judged > 0.0).then(|| self.compliant_s / judged)
    }
}

/// One line of a threshold sweep: a rule's setting at one value, and what
/// the traces would have raised with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SweepRow {
    pub rule: RuleCode,
    pub setting: &'static str,
    pub value: f64,
    /// The configured value (of the first window).
    pub current: bool,
    pub events: usize,
    pub minutes: f64,
}

/// The settings a sweep tries, per rule: (rule, setting, values, how to set it).
type Setter = fn(&mut crate::config::Thresholds, f64);
fn sweep_plan() -> Vec<(RuleCode, &'static str, Vec<f64>, Setter, fn(&crate::config::Thresholds) -> f64)> {
    vec![
        (
            RuleCode::Absent,
            "tolerance_s",
            vec![60.0, 90.0, 120.0, 180.0, 240.0, 300.0],
            |t, v| t.absent.tolerance_s = v,
            |t| t.absent.tolerance_s,
        ),
        (
            RuleCode::Slouching,
            "trunk_deg",
            vec![15.0, 20.0, 25.0, 30.0, 35.0],
            |t, v| t.slouching.trunk_deg = v as f32,
            |t| f64::from(t.slouching.trunk_deg),
        ),
        (RuleCode::Slouching, "min_s", vec![10.0, 20.0, 30.0, 60.0, 120.0], |t, v| t.slouching.min_s = v, |t| t.slouching.min_s),
        (RuleCode::HeadOnDesk, "min_s", vec![10.0, 20.0, 30.0, 60.0, 120.0], |t, v| t.head_on_desk.min_s = v, |t| t.head_on_desk.min_s),
        (RuleCode::CrossedLegs, "min_s", vec![10.0, 20.0, 30.0, 60.0, 120.0], |t, v| t.crossed_legs.min_s = v, |t| t.crossed_legs.min_s),
        (
            RuleCode::NotStandingToGreet,
            "timeout_s",
            vec![10.0, 15.0, 20.0, 30.0, 45.0, 60.0],
            |t, v| t.not_standing_to_greet.timeout_s = v,
            |t| t.not_standing_to_greet.timeout_s,
        ),
        (RuleCode::MissingBadge, "min_s", vec![60.0, 120.0, 300.0, 600.0], |t, v| t.missing_badge.min_s = v, |t| t.missing_badge.min_s),
        (RuleCode::DressCode, "min_s", vec![60.0, 300.0, 600.0, 1200.0], |t, v| t.dress_code.min_s = v, |t| t.dress_code.min_s),
    ]
}

/// Replays `frames` (a closure that streams every trace frame in order)
/// once per setting in the sweep plan, with that one value changed in every
/// window, and counts the rule's events and violation minutes.
pub fn sweep(
    config: &Config,
    mut frames: impl FnMut(&mut dyn FnMut(&TraceFrame) -> Result<(), String>) -> Result<(), String>,
) -> Result<Vec<SweepRow>, String> {
    let mut rows = Vec::new();
    for (rule, setting, values, set, get) in sweep_plan() {
        let current = config.windows.first().map(|w| get(&w.thresholds));
        let mut values = values;
        if let Some(c) = current.filter(|c| !values.iter().any(|v| (v - c).abs() < 1e-6)) {
            values.push(c);
            values.sort_by(f64::total_cmp);
        }
        for value in values {
            let mut cfg = config.clone();
            for w in &mut cfg.windows {
                set(&mut w.thresholds, value);
            }
            let mut replay = Replay::new(&cfg);
            let mut events = 0;
            frames(&mut |f| {
                events += replay.push(f)?.iter().filter(|e| e.rule == rule).count();
                Ok(())
            })?;
            let (rest, minutes) = replay.finish();
            events += rest.iter().filter(|e| e.rule == rule).count();
            let minutes: f64 = minutes.iter().map(|m| m.rules.get(&rule).map_or(0.0, |r| r.violation_s)).sum::<f64>() / 60.0;
            rows.push(SweepRow { rule, setting, value, current: current.is_some_and(|c| (c - value).abs() < 1e-6), events, minutes });
        }
    }
    Ok(rows)
}
