//! One rule's state over time: entry after a minimum duration, exit after
//! a hysteresis period, unknown held but never counted as a violation.
//! Pure; driven by timestamps, so tests run in simulated time.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

type Ts = DateTime<FixedOffset>;

/// The rule's phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// No violation.
    Idle,
    /// The condition holds since `since`, not yet for `min_s`.
    Pending { since: Ts },
    /// A violation, begun at `start`.
    Active { start: Ts },
    /// Active, but the condition has been clear since `since`.
    Clearing { start: Ts, since: Ts },
}

/// Settings of one machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The condition must hold this long to become a violation.
    pub min_s: f64,
    /// The condition must be clear this long to end the violation.
    pub exit_s: f64,
    /// Unknown for longer than this abandons a pending entry or closes an
    /// active violation (at the last time it was seen).
    pub unknown_s: f64,
}

/// A closed violation, as the machine sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Closed {
    pub start: Ts,
    pub end: Ts,
    pub why: &'static str,
}

#[derive(Debug, Clone)]
pub struct Machine {
    pub timing: Timing,
    pub phase: Phase,
    /// While set, a pending violation stays pending however long it lasts:
    /// the evidence that would tell it from another rule is not in yet.
    /// Once cleared, a violation pending long enough begins where its
    /// pending began.
    pub hold: bool,
    /// Last time the condition was observed true / known.
    last_true: Option<Ts>,
    last_known: Option<Ts>,
}

impl Machine {
    pub fn new(timing: Timing) -> Machine {
        Machine { timing, phase: Phase::Idle, hold: false, last_true: None, last_known: None }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Active { .. } | Phase::Clearing { .. })
    }

    /// Feeds one observation at `t`: `Some(true)` the condition holds,
    /// `Some(false)` it does not, `None` unknown. Returns a violation that
    /// this observation closed.
    pub fn step(&mut self, t: Ts, cond: Option<bool>) -> Option<Closed> {
        let secs = |a: Ts, b: Ts| (b - a).num_milliseconds() as f64 / 1000.0;
        match cond {
            None => {
                let since_known = self.last_known.map_or(f64::INFINITY, |k| secs(k, t));
                if since_known > self.timing.unknown_s {
                    return match self.phase {
                        Phase::Pending { .. } => {
                            self.phase = Phase::Idle;
                            None
                        }
                        Phase::Active { start } | Phase::Clearing { start, .. } => {
                            self.phase = Phase::Idle;
                            Some(Closed { start, end: self.last_true.unwrap_or(start), why: "unknown" })
                        }
                        Phase::Idle => None,
                    };
                }
                None
            }
            Some(true) => {
                self.last_known = Some(t);
                self.last_true = Some(t);
                self.phase = match self.phase {
                    Phase::Idle => Phase::Pending { since: t },
                    Phase::Pending { since } if !self.hold && secs(since, t) >= self.timing.min_s => Phase::Active { start: since },
                    Phase::Clearing { start, .. } => Phase::Active { start },
                    other => other,
                };
                None
            }
            Some(false) => {
                self.last_known = Some(t);
                match self.phase {
                    Phase::Pending { .. } => {
                        self.phase = Phase::Idle;
                        None
                    }
                    Phase::Active { start } => {
                        self.phase = Phase::Clearing { start, since: t };
                        self.close_if_clear(t)
                    }
                    Phase::Clearing { .. } => self.close_if_clear(t),
                    Phase::Idle => None,
                }
            }
        }
    }

    fn close_if_clear(&mut self, t: Ts) -> Option<Closed> {
        let Phase::Clearing { start, since } = self.phase else { return None };
        if (t - since).num_milliseconds() as f64 / 1000.0 >= self.timing.exit_s {
            self.phase = Phase::Idle;
            // The violation ended when it was last seen, not when the
            // hysteresis ran out.
            return Some(Closed { start, end: self.last_true.unwrap_or(since).max(start), why: "resolved" });
        }
        None
    }

    /// Ends any violation at `t` (service hours ended, a break began, the
    /// input ended) and forgets pending state.
    pub fn interrupt(&mut self, t: Ts, why: &'static str) -> Option<Closed> {
        let closed = match self.phase {
            Phase::Active { start } => Some(Closed { start, end: t.max(start), why }),
            Phase::Clearing { start, .. } => Some(Closed { start, end: self.last_true.unwrap_or(start).max(start), why }),
            _ => None,
        };
        self.phase = Phase::Idle;
        self.last_true = None;
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> Ts {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap() + chrono::Duration::milliseconds((s * 1000.0) as i64)
    }

    fn machine() -> Machine {
        Machine::new(Timing { min_s: 30.0, exit_s: 10.0, unknown_s: 20.0 })
    }

    /// Feeds `cond` every 0.5 s over [from, to) and collects closures.
    fn run(m: &mut Machine, from: f64, to: f64, cond: Option<bool>) -> Vec<Closed> {
        let mut out = Vec::new();
        let mut s = from;
        while s < to {
            out.extend(m.step(t(s), cond));
            s += 0.5;
        }
        out
    }

    #[test]
    fn entry_needs_the_minimum_duration() {
        let mut m = machine();
        run(&mut m, 0.0, 29.9, Some(true));
        assert!(matches!(m.phase, Phase::Pending { .. }));
        m.step(t(30.0), Some(true));
        assert_eq!(m.phase, Phase::Active { start: t(0.0) });
    }

    #[test]
    fn a_held_violation_stays_pending_then_begins_where_it_began() {
        let mut m = machine();
        m.hold = true;
        run(&mut m, 0.0, 45.0, Some(true));
        assert_eq!(m.phase, Phase::Pending { since: t(0.0) }, "held past min_s");
        m.hold = false;
        m.step(t(45.0), Some(true));
        assert_eq!(m.phase, Phase::Active { start: t(0.0) });
        // Held and then cleared by the condition ending: nothing begins.
        let mut m = machine();
        m.hold = true;
        run(&mut m, 0.0, 45.0, Some(true));
        m.hold = false;
        assert!(run(&mut m, 45.0, 60.0, Some(false)).is_empty());
        assert_eq!(m.phase, Phase::Idle);
    }

    #[test]
    fn short_condition_never_becomes_a_violation() {
        let mut m = machine();
        run(&mut m, 0.0, 20.0, Some(true));
        assert!(run(&mut m, 20.0, 100.0, Some(false)).is_empty());
        assert_eq!(m.phase, Phase::Idle);
    }

    #[test]
    fn exit_hysteresis_bridges_brief_clear_spells() {
        let mut m = machine();
        run(&mut m, 0.0, 60.0, Some(true));
        // 5 s of clear is under exit_s: still the same violation.
        assert!(run(&mut m, 60.0, 65.0, Some(false)).is_empty());
        run(&mut m, 65.0, 90.0, Some(true));
        assert!(m.is_active());
        let closed = run(&mut m, 90.0, 120.0, Some(false));
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].start, t(0.0));
        assert_eq!(closed[0].end, t(89.5), "ends when last seen, not after the hysteresis");
        assert_eq!(closed[0].why, "resolved");
    }

    #[test]
    fn exactly_at_the_exit_edge() {
        let mut m = machine();
        run(&mut m, 0.0, 40.0, Some(true));
        assert!(m.step(t(40.0), Some(false)).is_none());
        assert!(m.step(t(49.5), Some(false)).is_none());
        assert!(m.step(t(50.0), Some(false)).is_some(), "closes once clear for exit_s");
    }

    #[test]
    fn short_unknown_gap_is_held_long_gap_closes() {
        let mut m = machine();
        run(&mut m, 0.0, 40.0, Some(true));
        assert!(run(&mut m, 40.0, 55.0, None).is_empty());
        assert!(m.is_active());
        run(&mut m, 55.0, 60.0, Some(true));
        let closed = run(&mut m, 60.0, 100.0, None);
        assert_eq!(closed.len(), 1);
        assert_eq!((closed[0].end, closed[0].why), (t(59.5), "unknown"));
    }

    #[test]
    fn unknown_abandons_a_pending_entry() {
        let mut m = machine();
        run(&mut m, 0.0, 20.0, Some(true));
        run(&mut m, 20.0, 45.0, None);
        assert_eq!(m.phase, Phase::Idle);
        // A fresh condition starts a fresh count.
        run(&mut m, 45.0, 70.0, Some(true));
        assert!(!m.is_active());
    }

    #[test]
    fn interrupt_closes_at_the_boundary() {
        let mut m = machine();
        run(&mut m, 0.0, 40.0, Some(true));
        let c = m.interrupt(t(40.0), "service_ended").unwrap();
        assert_eq!((c.start, c.end, c.why), (t(0.0), t(40.0), "service_ended"));
        assert_eq!(m.phase, Phase::Idle);
        assert!(m.interrupt(t(41.0), "service_ended").is_none());
    }
}
