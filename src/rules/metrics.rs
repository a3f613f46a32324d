//! Per-window, per-minute figures: numbers only, never pixels or identities.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

use super::event::{N_RULES, RuleCode};

/// One window's minute.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MinuteMetrics {
    pub window: String,
    /// Start of the minute.
    pub minute: Option<DateTime<FixedOffset>>,
    /// Seconds covered by frames.
    pub observed_s: f64,
    /// Seconds within service hours (not a break, leave or non-working day).
    pub in_service_s: f64,
    /// In service and the clerk at the post.
    pub staffed_s: f64,
    /// Staffed, posture judged, and no rule active.
    pub compliant_s: f64,
    /// In service but not judged: no frames, or the clerk's posture not seen.
    pub unknown_s: f64,
    pub rules: BTreeMap<RuleCode, RuleMinute>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleMinute {
    pub violation_s: f64,
    pub events: u32,
}

/// The state that a stretch of time is attributed to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stretch {
    pub observed: bool,
    pub in_service: bool,
    pub present: bool,
    pub posture_known: bool,
    pub active: [bool; N_RULES],
}

/// Accumulates stretches into minute buckets.
#[derive(Debug, Clone, Default)]
pub struct MinuteBook {
    window: String,
    minutes: BTreeMap<DateTime<FixedOffset>, MinuteMetrics>,
    /// What [`MinuteBook::take_closed`] last handed out per minute still in
    /// the book, so that a minute amended later is handed out again.
    sent: BTreeMap<DateTime<FixedOffset>, MinuteMetrics>,
}

fn minute_of(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

impl MinuteBook {
    pub fn new(window: &str) -> MinuteBook {
        MinuteBook { window: window.to_string(), minutes: BTreeMap::new(), sent: BTreeMap::new() }
    }

    fn bucket(&mut self, m: DateTime<FixedOffset>) -> &mut MinuteMetrics {
        let window = self.window.clone();
        self.minutes.entry(m).or_insert_with(|| MinuteMetrics {
            window,
            minute: Some(m),
            rules: RuleCode::ALL.iter().map(|r| (*r, RuleMinute::default())).collect(),
            ..MinuteMetrics::default()
        })
    }

    /// Adds `[from, to)` in state `s` (the caller splits at minute bounds).
    pub fn add(&mut self, from: DateTime<FixedOffset>, to: DateTime<FixedOffset>, s: Stretch) {
        let secs = (to - from).num_milliseconds() as f64 / 1000.0;
        if secs <= 0.0 {
            return;
        }
        let b = self.bucket(minute_of(from));
        if s.observed {
            b.observed_s += secs;
        }
        if !s.in_service {
            return;
        }
        b.in_service_s += secs;
        let any_active = s.active.iter().any(|a| *a);
        if !s.observed {
            b.unknown_s += secs;
            return;
        }
        if s.present {
            b.staffed_s += secs;
            if !any_active {
                if s.posture_known { b.compliant_s += secs } else { b.unknown_s += secs }
            }
        }
        for (i, code) in RuleCode::ALL.iter().enumerate() {
            if s.active[i] {
                b.rules.get_mut(code).expect("every rule has a slot").violation_s += secs;
            }
        }
    }

    /// A rule's violation turned out to have begun at `from` (once its
    /// minimum duration had passed at `to`): moves that time from compliant
    /// to the rule's violation seconds.
    ///
    /// Only minutes already in the book are visited: after a jump of years
    /// between frames the span is long, the minutes in it few.
    pub fn backdate(&mut self, rule: RuleCode, from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) {
        if from >= to {
            return;
        }
        for (start, m) in self.minutes.range_mut(minute_of(from)..to) {
            let end = start.checked_add_signed(TimeDelta::minutes(1)).unwrap_or(to);
            let (a, b) = (from.max(*start), to.min(end));
            if a >= b {
                continue;
            }
            let secs = (b - a).num_milliseconds() as f64 / 1000.0;
            {
                let moved = secs.min(m.compliant_s);
                m.compliant_s -= moved;
                let r = m.rules.get_mut(&rule).expect("every rule has a slot");
                r.violation_s += secs.min(m.in_service_s - r.violation_s).max(0.0);
            }
        }
    }

    /// Counts an event in the minute it started.
    pub fn count_event(&mut self, rule: RuleCode, start: DateTime<FixedOffset>) {
        self.bucket(minute_of(start)).rules.get_mut(&rule).expect("every rule has a slot").events += 1;
    }

    /// Removes and returns every minute that ended before `before`.
    pub fn take_before(&mut self, before: DateTime<FixedOffset>) -> Vec<MinuteMetrics> {
        let keep = self.minutes.split_off(&minute_of(before));
        std::mem::replace(&mut self.minutes, keep).into_values().collect()
    }

    /// Every minute that closed before `now`'s minute and is new or changed
    /// since it was last handed out (so it is stored as soon as it closes,
    /// and stored again if late frames or a backdated event amend it).
    /// Minutes that ended before `final_before` leave the book: they can no
    /// longer change.
    pub fn take_closed(&mut self, now: DateTime<FixedOffset>, final_before: DateTime<FixedOffset>) -> Vec<MinuteMetrics> {
        let mut out = Vec::new();
        for (k, m) in self.minutes.range(..minute_of(now)) {
            if self.sent.get(k) != Some(m) {
                out.push(m.clone());
                self.sent.insert(*k, m.clone());
            }
        }
        let last = minute_of(final_before);
        self.minutes = self.minutes.split_off(&last);
        self.sent = self.sent.split_off(&last);
        out
    }

    /// Every minute left that was not handed out as it is now.
    pub fn take_all(&mut self) -> Vec<MinuteMetrics> {
        let sent = std::mem::take(&mut self.sent);
        std::mem::take(&mut self.minutes).into_iter().filter(|(k, m)| sent.get(k) != Some(m)).map(|(_, m)| m).collect()
    }
}

/// Splits `[from, to)` at minute boundaries.
pub fn split_minutes(from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) -> Vec<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let mut out = Vec::new();
    let mut a = from;
    while a < to {
        let b = minute_of(a).checked_add_signed(TimeDelta::minutes(1)).unwrap_or(to).min(to);
        out.push((a, b));
        a = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    /// An observed, in-service, compliant stretch.
    fn seen() -> Stretch {
        Stretch { observed: true, in_service: true, present: true, posture_known: true, active: [false; N_RULES] }
    }

    #[test]
    fn backdating_across_years_touches_only_the_minutes_in_the_book() {
        let mut book = MinuteBook::new("w1");
        let s = seen();
        book.add(t("2026-03-02T09:00:30+08:00"), t("2026-03-02T09:01:00+08:00"), s);
        book.add(t("9999-03-02T09:00:00+08:00"), t("9999-03-02T09:00:10+08:00"), s);
        // Across 8,000 years of minutes: was one bucket per minute (OOM).
        book.backdate(RuleCode::ALL[0], t("2026-03-02T09:00:40+08:00"), t("9999-03-02T09:00:05+08:00"));
        let all = book.take_all();
        assert_eq!(all.len(), 2);
        let v: Vec<f64> = all.iter().map(|m| m.rules[&RuleCode::ALL[0]].violation_s).collect();
        assert_eq!(v, vec![20.0, 5.0]);
        assert_eq!(all.iter().map(|m| m.compliant_s).collect::<Vec<_>>(), vec![10.0, 5.0]);
    }

    #[test]
    fn split_at_minute_bounds() {
        let parts = split_minutes(t("2026-03-02T09:00:50+08:00"), t("2026-03-02T09:02:10+08:00"));
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].1, t("2026-03-02T09:01:00+08:00"));
        assert_eq!(parts[2], (t("2026-03-02T09:02:00+08:00"), t("2026-03-02T09:02:10+08:00")));
    }

    #[test]
    fn stretches_fill_the_right_columns() {
        let mut book = MinuteBook::new("w1");
        let base = seen();
        let m = |s: &str| t(&format!("2026-03-02T09:00:{s}+08:00"));
        book.add(m("00"), m("10"), base);
        book.add(m("10"), m("20"), Stretch { posture_known: false, ..base });
        book.add(m("20"), m("30"), Stretch { active: [false, true, false, false, false, false, false], ..base });
        book.add(m("30"), m("40"), Stretch { present: false, active: [true, false, false, false, false, false, false], ..base });
        book.add(m("40"), m("50"), Stretch { observed: false, ..base });
        book.add(m("50"), t("2026-03-02T09:01:00+08:00"), Stretch { in_service: false, ..base });
        book.count_event(RuleCode::Slouching, m("20"));
        let mins = book.take_all();
        assert_eq!(mins.len(), 1);
        let x = &mins[0];
        assert_eq!((x.observed_s, x.in_service_s, x.staffed_s, x.compliant_s, x.unknown_s), (50.0, 50.0, 30.0, 10.0, 20.0));
        assert_eq!(x.rules[&RuleCode::Slouching], RuleMinute { violation_s: 10.0, events: 1 });
        assert_eq!(x.rules[&RuleCode::Absent].violation_s, 10.0);
    }

    #[test]
    fn take_before_keeps_the_current_minute() {
        let mut book = MinuteBook::new("w1");
        let s = seen();
        book.add(t("2026-03-02T09:00:00+08:00"), t("2026-03-02T09:00:30+08:00"), s);
        book.add(t("2026-03-02T09:01:00+08:00"), t("2026-03-02T09:01:30+08:00"), s);
        assert_eq!(book.take_before(t("2026-03-02T09:01:40+08:00")).len(), 1);
        assert_eq!(book.take_all().len(), 1);
    }

    #[test]
    fn closed_minutes_go_out_at_once_and_again_when_amended() {
        let mut book = MinuteBook::new("w1");
        let s = seen();
        book.add(t("2026-03-02T09:00:00+08:00"), t("2026-03-02T09:00:59+08:00"), s);
        assert!(book.take_closed(t("2026-03-02T09:00:59+08:00"), t("2026-03-02T08:59:59+08:00")).is_empty(), "still open");
        book.add(t("2026-03-02T09:00:59+08:00"), t("2026-03-02T09:01:00+08:00"), s);
        book.add(t("2026-03-02T09:01:00+08:00"), t("2026-03-02T09:01:01+08:00"), s);
        let first = book.take_closed(t("2026-03-02T09:01:01+08:00"), t("2026-03-02T09:00:01+08:00"));
        assert_eq!(first.len(), 1, "the 09:00 minute goes out the moment it closes");
        assert_eq!(first[0].observed_s, 60.0);
        assert!(book.take_closed(t("2026-03-02T09:01:10+08:00"), t("2026-03-02T09:00:10+08:00")).is_empty(), "unchanged: not again");
        // A rule turns out to have begun in the closed minute: amended and handed out again.
        book.backdate(RuleCode::ALL[0], t("2026-03-02T09:00:40+08:00"), t("2026-03-02T09:01:20+08:00"));
        let amended = book.take_closed(t("2026-03-02T09:01:20+08:00"), t("2026-03-02T09:00:20+08:00"));
        assert_eq!(amended.len(), 1);
        assert_eq!(amended[0].rules[&RuleCode::ALL[0]].violation_s, 20.0);
        // Past the grace 09:00 leaves the book; 09:01 (closed now) goes out once.
        book.add(t("2026-03-02T09:02:00+08:00"), t("2026-03-02T09:02:05+08:00"), s);
        let later = book.take_closed(t("2026-03-02T09:02:05+08:00"), t("2026-03-02T09:01:05+08:00"));
        assert_eq!(later.iter().map(|m| m.observed_s).collect::<Vec<_>>(), vec![1.0]);
        // At the end only the open minute is left to hand out.
        let rest = book.take_all();
        assert_eq!(rest.iter().map(|m| m.observed_s).collect::<Vec<_>>(), vec![5.0]);
    }
}
