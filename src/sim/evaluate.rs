//! Scoring the rules against the simulator's ground truth: event precision
//! and recall per rule.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::camera::Camera;
use super::simulate::Simulation;
use super::truth::TruthEvent;
use crate::config::{self, Window};
use crate::rules::{Event, RuleCode, WindowRules};

/// A window configuration for a simulation: its zones and desk line, the
/// camera's tilt, and hours that cover the simulated morning.
pub fn window_for(sim: &Simulation, camera: &Camera, id: &str) -> Window {
    config::parse(&config_text(sim, camera, id), Path::new("<simulation>")).expect("simulated zones make a valid config").windows.remove(0)
}

/// The TOML text of [`window_for`]'s configuration.
pub fn config_text(sim: &Simulation, camera: &Camera, id: &str) -> String {
    config_text_tilt(sim, camera.tilt_deg, id)
}

/// The TOML text of a simulated window's configuration, with the camera
/// tilt the installer wrote down. Its hours are one stretch that covers a
/// simulated day from 08:00 to 18:00: a lunch break inside it would leave
/// the truth's events there unreportable (the rules do not judge outside
/// service hours), and long simulations would score it as misses.
pub fn config_text_tilt(sim: &Simulation, tilt_deg: f32, id: &str) -> String {
    let poly = |p: &[[f32; 2]]| format!("[{}]", p.iter().map(|q| format!("[{:.4}, {:.4}]", q[0], q[1])).collect::<Vec<_>>().join(", "));
    format!(
        "hall = \"sim\"\n[[window]]\nid = \"{id}\"\nstaff_zone = {}\ncounter_zone = {}\ndesk_y = {:.4}\ncamera_tilt_deg = {:.2}\nhours = [\"08:00-18:00\"]\n",
        poly(&sim.zones.staff_zone),
        poly(&sim.zones.counter_zone),
        sim.zones.desk_y,
        tilt_deg.clamp(0.0, 60.0)
    )
}

/// Runs a window's rules over a simulation's frames.
pub fn run_rules(window: &Window, sim: &Simulation) -> Vec<Event> {
    run_rules_with(&mut WindowRules::new(window), sim)
}

/// Runs prepared rules (e.g. with a kept baseline) over a simulation; the
/// rules are left as the end of the simulation leaves them.
pub fn run_rules_with(rules: &mut WindowRules, sim: &Simulation) -> Vec<Event> {
    let mut events = Vec::new();
    for f in &sim.frames {
        let (_, e) = rules.push(f.trace.ts, &f.trace.frame.people, f.trace.frame.width, f.trace.frame.height);
        events.extend(e);
    }
    events.extend(rules.finish().0);
    events
}

/// The visits of the simulation's truth, and those a visitor hid the
/// clerk in, counted as [`crate::rules::visits`] counts the rules' own: a
/// visit runs from a citizen's first frame at the counter until 10 s
/// without one, counts if it lasted `arrival_s` and
/// [`MIN_VISIT_S`](crate::rules::visits::MIN_VISIT_S) (first to last frame
/// with the citizen), and is hidden if in most of its frames with the
/// citizen the clerk is ([`super::truth::FrameTruth::clerk_hidden`], which
/// holds only with the clerk there). The simulation is all in service.
pub fn truth_visits(sim: &Simulation, arrival_s: f64) -> crate::rules::visits::VisitTally {
    use crate::rules::visits::{MIN_VISIT_S, Visit, VisitTally};
    let least = arrival_s.max(MIN_VISIT_S);
    let mut tally = VisitTally::default();
    let mut open: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>, Visit)> = None;
    let secs = |a: DateTime<FixedOffset>, b: DateTime<FixedOffset>| (b - a).num_milliseconds() as f64 / 1000.0;
    let close = |first: DateTime<FixedOffset>, last: DateTime<FixedOffset>, v: &Visit, tally: &mut VisitTally| {
        if secs(first, last) >= least {
            tally.add(v);
        }
    };
    for f in &sim.frames {
        let ts = f.trace.ts;
        if let Some((first, last, v)) = &open
            && !f.truth.citizen_at_counter
            && secs(*last, ts) >= 10.0
        {
            close(*first, *last, v, &mut tally);
            open = None;
        }
        if f.truth.citizen_at_counter {
            let (_, last, v) = open.get_or_insert((ts, ts, Visit::new(false)));
            *last = ts;
            v.frame(f.truth.clerk_hidden, f.truth.clerk_present);
        }
    }
    if let Some((first, last, v)) = &open {
        close(*first, *last, v, &mut tally);
    }
    tally
}

/// Event counts for one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub true_pos: u32,
    pub false_pos: u32,
    pub false_neg: u32,
    /// Of `true_pos` and `false_neg`, the truth events a visitor hid from
    /// the camera ([`TruthEvent::hidden`]).
    pub hidden_found: u32,
    pub hidden_missed: u32,
}

impl Score {
    pub fn precision(&self) -> Option<f64> {
        let d = self.true_pos + self.false_pos;
        (d > 0).then(|| f64::from(self.true_pos) / f64::from(d))
    }

    pub fn recall(&self) -> Option<f64> {
        let d = self.true_pos + self.false_neg;
        (d > 0).then(|| f64::from(self.true_pos) / f64::from(d))
    }

    /// Recall over the truth events the camera could see: those a visitor
    /// hid for most of their length left out, found or not.
    pub fn recall_in_sight(&self) -> Option<f64> {
        let found = self.true_pos.saturating_sub(self.hidden_found);
        let d = found + self.false_neg.saturating_sub(self.hidden_missed);
        (d > 0).then(|| f64::from(found) / f64::from(d))
    }

    pub fn add(&mut self, o: Score) {
        self.true_pos += o.true_pos;
        self.false_pos += o.false_pos;
        self.false_neg += o.false_neg;
        self.hidden_found += o.hidden_found;
        self.hidden_missed += o.hidden_missed;
    }
}

fn overlaps(a: (DateTime<FixedOffset>, DateTime<FixedOffset>), b: (DateTime<FixedOffset>, DateTime<FixedOffset>), slack_s: i64) -> bool {
    let slack = chrono::Duration::seconds(slack_s);
    a.0 - slack < b.1 && b.0 - slack < a.1
}

/// Matches detected events to truth events of the same rule by time
/// overlap (with `slack_s` seconds of slack). A detected event that overlaps
/// a truth event is a true positive (several detections of one truth event
/// count once; the extra ones are false positives); a truth event with no
/// detection is a false negative.
pub fn score(events: &[Event], truth: &[TruthEvent], slack_s: i64) -> BTreeMap<RuleCode, Score> {
    let mut out: BTreeMap<RuleCode, Score> = RuleCode::ALL.iter().map(|r| (*r, Score::default())).collect();
    for rule in RuleCode::ALL {
        let det: Vec<_> = events.iter().filter(|e| e.rule == rule).collect();
        let tru: Vec<_> = truth.iter().filter(|t| t.rule == rule.as_str()).collect();
        let mut used = vec![false; tru.len()];
        let s = out.get_mut(&rule).expect("all rules present");
        for d in &det {
            match tru.iter().enumerate().find(|(i, t)| !used[*i] && overlaps((d.start, d.end), (t.start, t.end), slack_s)) {
                Some((i, t)) => {
                    used[i] = true;
                    s.true_pos += 1;
                    s.hidden_found += u32::from(t.hidden);
                }
                None => s.false_pos += 1,
            }
        }
        for (t, u) in tru.iter().zip(&used) {
            if !u {
                s.false_neg += 1;
                s.hidden_missed += u32::from(t.hidden);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Scenario, SimConfig, simulate};

    /// 09:00 on the test day plus `s` seconds.
    fn t(s: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap() + chrono::Duration::seconds(s)
    }

    /// A detected event of `rule` from `a` to `b` seconds.
    fn detected(rule: RuleCode, a: i64, b: i64) -> Event {
        Event {
            window: "w".into(),
            rule,
            start: t(a),
            end: t(b),
            duration_s: (b - a) as f64,
            confidence: 1.0,
            closed_by: "resolved".into(),
            values: BTreeMap::new(),
        }
    }

    #[test]
    fn default_camera_finds_every_library_event() {
        let cfg = SimConfig::default();
        let mut total: BTreeMap<RuleCode, Score> = BTreeMap::new();
        for sc in Scenario::library() {
            let sim = simulate(&sc, &cfg);
            let w = window_for(&sim, &cfg.camera, &cfg.window);
            let events = run_rules(&w, &sim);
            for (r, s) in score(&events, &sim.truth_events, 5) {
                total.entry(r).or_default().add(s);
            }
        }
        for (r, s) in &total {
            assert!(s.precision().unwrap_or(1.0) >= 0.95 && s.recall().unwrap_or(1.0) >= 0.90, "{r}: {s:?}");
        }
    }

    #[test]
    fn scoring_counts_matches_misses_and_extras() {
        let ev = |a: i64, b: i64| detected(RuleCode::Slouching, a, b);
        let truth = vec![
            TruthEvent { rule: "slouching".into(), start: t(100), end: t(200), form: String::new(), hidden: false },
            TruthEvent { rule: "slouching".into(), start: t(400), end: t(500), form: String::new(), hidden: false },
        ];
        let s = score(&[ev(102, 198), ev(300, 340)], &truth, 5)[&RuleCode::Slouching];
        assert_eq!(s, Score { true_pos: 1, false_pos: 1, false_neg: 1, hidden_found: 0, hidden_missed: 0 });
        assert_eq!(s.recall_in_sight(), Some(0.5));
    }

    #[test]
    fn events_a_visitor_hid_are_counted_apart_for_recall_in_sight() {
        let ev = |a: i64, b: i64| detected(RuleCode::NotStandingToGreet, a, b);
        let truth = |a: i64, hidden: bool| TruthEvent {
            rule: "not_standing_to_greet".into(),
            start: t(a),
            end: t(a + 60),
            form: String::new(),
            hidden,
        };
        let truth = vec![truth(0, false), truth(100, true), truth(200, true), truth(300, false)];
        let s = score(&[ev(10, 50), ev(110, 150)], &truth, 5)[&RuleCode::NotStandingToGreet];
        assert_eq!(s, Score { true_pos: 2, false_pos: 0, false_neg: 2, hidden_found: 1, hidden_missed: 1 });
        assert_eq!(s.recall(), Some(0.5));
        assert_eq!(s.recall_in_sight(), Some(0.5));
        let s = score(&[ev(10, 50), ev(310, 350)], &truth, 5)[&RuleCode::NotStandingToGreet];
        assert_eq!(s.recall(), Some(0.5));
        assert_eq!(s.recall_in_sight(), Some(1.0));
    }
}
