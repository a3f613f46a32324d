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
