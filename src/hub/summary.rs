//! The daily compliance summary, computed from rows (pure: no I/O).
//!
//! - Compliance rate = compliant time ÷ in-service time, from the minute
//!   metrics (`compliant_s`, `in_service_s`). Rules overlap, so it is not
//!   one minus the violations. Unknown time is its own share.
//! - An event marked a false alarm leaves the rates: its overlap with each
//!   minute goes back to compliant time, except what another rule active in
//!   that minute still accounts for (at least the largest other rule's
//!   violation time stays non-compliant), and it leaves the counts.
//! - Violations by rule: events started that day (count) and violation
//!   minutes from the minute metrics.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::rules::RuleCode;
use crate::rules::metrics::RuleMinute;

#[derive(Debug, Clone, PartialEq)]
pub struct MinuteRow {
    pub hall: String,
    pub box_id: String,
    pub window: String,
    pub name: String,
    pub minute_unix: f64,
    pub observed_s: f64,
    pub in_service_s: f64,
    pub staffed_s: f64,
    pub compliant_s: f64,
    pub unknown_s: f64,
    pub rules: BTreeMap<RuleCode, RuleMinute>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub hall: String,
    pub box_id: String,
    pub window: String,
    pub name: String,
    pub rule: RuleCode,
    pub start: String,
    pub start_unix: f64,
    pub end_unix: f64,
    pub duration_s: f64,
    pub confidence: f64,
    pub false_alarm: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub hall: String,
    pub box_id: String,
    pub window: String,
    pub offline_s: f64,
    pub dropped: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RuleFigures {
    pub events: u32,
    pub minutes: f64,
    pub false_alarms: u32,
}

/// Figures of a window, a hall or everything, over one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub in_service_s: f64,
    pub staffed_s: f64,
    pub compliant_s: f64,
    pub unknown_s: f64,
    /// compliant ÷ in service.
    pub rate: Option<f64>,
    /// unknown ÷ in service.
    pub unknown_share: Option<f64>,
    pub rules: BTreeMap<RuleCode, RuleFigures>,
    pub offline_min: f64,
    pub dropped_frames: i64,
    pub prev_rate: Option<f64>,
    /// Mean of the previous seven days' rates (days with service only).
    pub avg7_rate: Option<f64>,
}

impl Figures {
    fn add_minute(&mut self, m: &MinuteRow) {
        self.in_service_s += m.in_service_s;
        self.staffed_s += m.staffed_s;
        self.compliant_s += m.compliant_s;
        self.unknown_s += m.unknown_s;
        for (rule, r) in &m.rules {
            self.rules.entry(*rule).or_default().minutes += r.violation_s / 60.0;
        }
    }

    fn finish(&mut self) {
        for r in RuleCode::ALL {
            self.rules.entry(r).or_default();
        }
        (self.rate, self.unknown_share) = rates(self.compliant_s, self.unknown_s, self.in_service_s);
    }

    pub fn events(&self) -> u32 {
        self.rules.values().map(|r| r.events).sum()
    }

    pub fn delta_prev(&self) -> Option<f64> {
        Some(self.rate? - self.prev_rate?)
    }

    pub fn delta_avg7(&self) -> Option<f64> {
        Some(self.rate? - self.avg7_rate?)
    }
}

fn rates(compliant: f64, unknown: f64, in_service: f64) -> (Option<f64>, Option<f64>) {
    if in_service > 0.0 {
        (Some((compliant / in_service).clamp(0.0, 1.0)), Some((unknown / in_service).clamp(0.0, 1.0)))
    } else {
        (None, None)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowSummary {
    pub box_id: String,
    pub window: String,
    pub name: String,
    pub figures: Figures,
    /// Why this window needs attention (translation keys); empty if fine.
    pub attention: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HourFigures {
    pub hour: u32,
    pub in_service_s: f64,
    pub compliant_s: f64,
    pub unknown_s: f64,
    pub violation_min: f64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HallSummary {
    pub hall: String,
    pub figures: Figures,
    pub windows: Vec<WindowSummary>,
    pub hours: Vec<HourFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySummary {
    pub date: NaiveDate,
    pub timezone: String,
    pub total: Figures,
    pub halls: Vec<HallSummary>,
    /// Events of the day, false alarms included (marked).
    pub events: Vec<EventRow>,
    /// Stored rows that could not be read, named ("camera_day box=… day=…:
    /// dropped: …"); left out of the figures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_rows: Vec<String>,
}

impl DaySummary {
    /// Windows that need attention, worst rate first: (hall, window).
    pub fn attention(&self) -> Vec<(&HallSummary, &WindowSummary)> {
        let mut v: Vec<_> =
            self.halls.iter().flat_map(|h| h.windows.iter().filter(|w| !w.attention.is_empty()).map(move |w| (h, w))).collect();
        v.sort_by(|a, b| a.1.figures.rate.unwrap_or(0.0).total_cmp(&b.1.figures.rate.unwrap_or(0.0)));
        v
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub attention_below: f64,
    pub attention_unknown: f64,
}

/// The years a report may be asked for. chrono's `%Y` also reads years
/// such as `-262143`, where a week's arithmetic overflows; no hall was
/// served before 2000, and 2200 leaves room.
pub const REPORT_YEARS: std::ops::RangeInclusive<i32> = 2000..=2200;

/// A report date, `YYYY-MM-DD`, in [`REPORT_YEARS`]. The message says what
/// to send instead; callers prefix the field's name.
pub fn parse_report_date(s: &str) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date: use YYYY-MM-DD"))?;
    if !REPORT_YEARS.contains(&d.year()) {
        return Err(format!("{s:?} is out of range: use a date from {}-01-01 to {}-12-31", REPORT_YEARS.start(), REPORT_YEARS.end()));
    }
    Ok(d)
}

/// `[from, to)` in unix seconds of a local day.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> (f64, f64) {
    let start = |d: NaiveDate| {
        let naive = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A day may start in a DST gap elsewhere; China has none, but be safe.
        tz.from_local_datetime(&naive).earliest().map_or(naive.and_utc().timestamp(), |t| t.timestamp()) as f64
    };
    (start(date), start(date.succ_opt().unwrap_or(date)))
}

fn local(unix: f64, tz: Tz) -> chrono::DateTime<Tz> {
    tz.timestamp_opt(unix.floor() as i64, 0).single().unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
}

/// Gives false alarms' time back to compliant time (see the module docs).
pub fn without_false_alarms(minutes: &mut [MinuteRow], events: &[EventRow]) {
    let mut index: HashMap<(&str, &str, i64), usize> = HashMap::new();
    for (i, m) in minutes.iter().enumerate() {
        index.insert((m.box_id.as_str(), m.window.as_str(), m.minute_unix.round() as i64), i);
    }
    // Only the minutes given can be credited: a false alarm is walked where
    // it overlaps them, however long it is.
    let first = minutes.iter().map(|m| m.minute_unix).fold(f64::INFINITY, f64::min);
    let last = minutes.iter().map(|m| m.minute_unix + 60.0).fold(f64::NEG_INFINITY, f64::max);
    let mut credits: Vec<(usize, RuleCode, f64)> = Vec::new();
    for e in events.iter().filter(|e| e.false_alarm) {
        let mut t = (e.start_unix.max(first) / 60.0).floor() * 60.0;
        while t < e.end_unix.min(last) {
            let overlap = (e.end_unix.min(t + 60.0) - e.start_unix.max(t)).max(0.0);
            if let Some(&i) = index.get(&(e.box_id.as_str(), e.window.as_str(), t as i64)) {
                credits.push((i, e.rule, overlap));
            }
            t += 60.0;
        }
    }
    for (i, rule, overlap) in credits {
        let m = &mut minutes[i];
        let own = m.rules.get(&rule).map_or(0.0, |r| r.violation_s);
        let others = m.rules.iter().filter(|(r, _)| **r != rule).map(|(_, r)| r.violation_s).fold(0.0, f64::max);
        let room = (m.in_service_s - m.unknown_s - m.compliant_s - others).max(0.0);
        let credit = overlap.min(own).min(room);
        m.compliant_s += credit;
        if rule == RuleCode::Absent {
            m.staffed_s = (m.staffed_s + credit).min(m.in_service_s);
        }
        if let Some(r) = m.rules.get_mut(&rule) {
            r.violation_s = (r.violation_s - overlap.min(own)).max(0.0);
        }
    }
}

/// The rate of each day (key: `None` for all, `Some(hall)`, or a window as
/// `hall/box/window`), for the trend and the comparisons.
pub fn daily_rates(minutes: &[MinuteRow], tz: Tz) -> BTreeMap<(NaiveDate, String), (f64, f64)> {
    let mut out: BTreeMap<(NaiveDate, String), (f64, f64)> = BTreeMap::new();
    for m in minutes {
        let day = local(m.minute_unix, tz).date_naive();
        for key in [String::new(), format!("hall:{}", m.hall), window_key(m)] {
            let e = out.entry((day, key)).or_default();
            e.0 += m.compliant_s;
            e.1 += m.in_service_s;
        }
    }
    out
}

fn window_key(m: &MinuteRow) -> String {
    format!("win:{}/{}", m.box_id, m.window)
}

/// Builds one day's summary. `minutes` (minute rows, or sums of them over
/// quarter hours) cover the day with false alarms' time already given back
/// ([`without_false_alarms`]); `events` cover the day; `history` covers (at
/// least) the seven days before it, with false alarms removed.
pub fn summarise(
    date: NaiveDate,
    tz: Tz,
    minutes: Vec<MinuteRow>,
    events: Vec<EventRow>,
    health: &[HealthRow],
    history: &BTreeMap<(NaiveDate, String), (f64, f64)>,
    th: Thresholds,
) -> DaySummary {
    let compare = |key: &str, f: &mut Figures| {
        let rate_of = |d: NaiveDate| history.get(&(d, key.to_string())).filter(|(_, s)| *s > 0.0).map(|(c, s)| c / s);
        f.prev_rate = date.pred_opt().and_then(rate_of);
        let week: Vec<f64> = (1..=7).filter_map(|k| date.checked_sub_days(chrono::Days::new(k)).and_then(rate_of)).collect();
        f.avg7_rate = (!week.is_empty()).then(|| week.iter().sum::<f64>() / week.len() as f64);
    };
    let mut total = Figures::default();
    let mut halls: BTreeMap<String, (Figures, BTreeMap<(String, String), (String, Figures)>, Vec<HourFigures>)> = BTreeMap::new();
    for m in &minutes {
        total.add_minute(m);
        let hall = halls.entry(m.hall.clone()).or_insert_with(|| {
            (Figures::default(), BTreeMap::new(), (0..24).map(|hour| HourFigures { hour, ..Default::default() }).collect())
        });
        hall.0.add_minute(m);
        hall.1.entry((m.box_id.clone(), m.window.clone())).or_insert_with(|| (m.name.clone(), Figures::default())).1.add_minute(m);
        let h = &mut hall.2[local(m.minute_unix, tz).hour() as usize];
        h.in_service_s += m.in_service_s;
        h.compliant_s += m.compliant_s;
        h.unknown_s += m.unknown_s;
        h.violation_min += m.rules.values().map(|r| r.violation_s).sum::<f64>() / 60.0;
    }
    for e in &events {
        let hall = halls.entry(e.hall.clone()).or_insert_with(|| {
            (Figures::default(), BTreeMap::new(), (0..24).map(|hour| HourFigures { hour, ..Default::default() }).collect())
        });
        let win = hall.1.entry((e.box_id.clone(), e.window.clone())).or_insert_with(|| (e.name.clone(), Figures::default()));
        for f in [&mut total, &mut hall.0, &mut win.1] {
            let r = f.rules.entry(e.rule).or_default();
            if e.false_alarm {
                r.false_alarms += 1;
            } else {
                r.events += 1;
            }
        }
    }
    for h in health {
        if let Some(hall) = halls.get_mut(&h.hall) {
            {
                let f = &mut hall.0;
                f.offline_min += h.offline_s / 60.0;
                f.dropped_frames += h.dropped;
            }
            if let Some(w) = hall.1.get_mut(&(h.box_id.clone(), h.window.clone())) {
                w.1.offline_min += h.offline_s / 60.0;
                w.1.dropped_frames += h.dropped;
            }
            total.offline_min += h.offline_s / 60.0;
            total.dropped_frames += h.dropped;
        }
    }
    total.finish();
    compare("", &mut total);
    let halls = halls
        .into_iter()
        .map(|(hall, (mut figures, windows, mut hours))| {
            figures.finish();
            compare(&format!("hall:{hall}"), &mut figures);
            for h in &mut hours {
                h.rate = rates(h.compliant_s, h.unknown_s, h.in_service_s).0;
            }
            let windows = windows
                .into_iter()
                .map(|((box_id, window), (name, mut f))| {
                    f.finish();
                    compare(&format!("win:{box_id}/{window}"), &mut f);
                    let mut attention = Vec::new();
                    if f.rate.is_some_and(|r| r < th.attention_below) {
                        attention.push("attention.low_rate");
                    }
                    if f.unknown_share.is_some_and(|u| u > th.attention_unknown) {
                        attention.push("attention.unknown");
                    }
                    if f.delta_avg7().is_some_and(|d| d < -0.05) {
                        attention.push("attention.falling");
                    }
                    if f.offline_min >= 30.0 {
                        attention.push("attention.offline");
                    }
                    WindowSummary { box_id, window, name, figures: f, attention }
                })
                .collect();
            HallSummary { hall, figures, windows, hours }
        })
        .collect();
    DaySummary { date, timezone: tz.name().to_string(), total, halls, events, skipped_rows: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_dates_outside_the_years_are_refused() {
        assert_eq!(parse_report_date("2026-12-05"), Ok(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()));
        assert!(parse_report_date("2000-01-01").is_ok() && parse_report_date("2200-12-31").is_ok());
        for bad in ["-262143-01-01", "+262142-12-31", "1999-12-31", "2201-01-01", "0000-01-01"] {
            let e = parse_report_date(bad).unwrap_err();
            assert!(e.contains("out of range") && e.contains("2000-01-01"), "{bad}: {e}");
        }
        for bad in ["", "2026-02-30", "2026-13-01", "20261205", "２０２６-01-01", "262142-12-31"] {
            assert!(parse_report_date(bad).unwrap_err().contains("YYYY-MM-DD"), "{bad}");
        }
    }

    proptest::proptest! {
        // Whatever the text, a date comes back only inside the years, and
        // the week before it and its bounds are computed without a panic.
        #[test]
        fn any_text_gives_a_date_in_range_or_an_error(s in "[-+]?[0-9]{1,7}-[0-9]{1,3}-[0-9]{1,3}|\\PC{0,16}") {
            if let Ok(d) = parse_report_date(&s) {
                use chrono::Datelike;
                proptest::prop_assert!(REPORT_YEARS.contains(&d.year()));
                let _ = day_bounds(d - chrono::Days::new(7), chrono_tz::Asia::Shanghai);
            }
        }
    }

    fn minute(window: &str, unix: f64, in_service: f64, compliant: f64, unknown: f64, rules: &[(RuleCode, f64)]) -> MinuteRow {
        MinuteRow {
            hall: "A".into(),
            box_id: "b1".into(),
            window: window.into(),
            name: window.into(),
            minute_unix: unix,
            observed_s: in_service,
            in_service_s: in_service,
            staffed_s: in_service,
            compliant_s: compliant,
            unknown_s: unknown,
            rules: rules.iter().map(|(r, v)| (*r, RuleMinute { violation_s: *v, events: 0 })).collect(),
        }
    }

    fn event(window: &str, rule: RuleCode, start: f64, end: f64, false_alarm: bool) -> EventRow {
        EventRow {
            id: 1,
            hall: "A".into(),
            box_id: "b1".into(),
            window: window.into(),
            name: window.into(),
            rule,
            start: String::new(),
            start_unix: start,
            end_unix: end,
            duration_s: end - start,
            confidence: 0.9,
            false_alarm,
        }
    }

    const T0: f64 = 1_764_288_000.0; // 2025-11-28 00:00 Asia/Shanghai is 16:00 UTC the day before
    fn th() -> Thresholds {
        Thresholds { attention_below: 0.9, attention_unknown: 0.3 }
    }

    #[test]
    fn rate_is_compliant_over_in_service_with_unknown_apart() {
        let tz = chrono_tz::Asia::Shanghai;
        let date = local(T0 + 9.0 * 3600.0, tz).date_naive();
        let base = day_bounds(date, tz).0 + 9.0 * 3600.0;
        let minutes = vec![
            minute("w1", base, 60.0, 60.0, 0.0, &[]),
            minute("w1", base + 60.0, 60.0, 30.0, 0.0, &[(RuleCode::Slouching, 30.0)]),
            minute("w2", base, 60.0, 30.0, 30.0, &[]),
        ];
        let s = summarise(
            date,
            tz,
            minutes,
            vec![event("w1", RuleCode::Slouching, base + 90.0, base + 120.0, false)],
            &[],
            &BTreeMap::new(),
            th(),
        );
        assert_eq!(s.total.in_service_s, 180.0);
        assert_eq!(s.total.rate, Some(120.0 / 180.0));
        assert_eq!(s.total.unknown_share, Some(30.0 / 180.0));
        assert_eq!(s.total.rules[&RuleCode::Slouching], RuleFigures { events: 1, minutes: 0.5, false_alarms: 0 });
        let w2 = &s.halls[0].windows[1];
        assert_eq!(w2.attention, vec!["attention.low_rate", "attention.unknown"]);
        assert_eq!(s.halls[0].hours[9].in_service_s, 180.0);
        assert_eq!(s.attention().len(), 2);
    }

    #[test]
    fn false_alarms_leave_rates_and_counts() {
        let tz = chrono_tz::Asia::Shanghai;
        let date = local(T0 + 9.0 * 3600.0, tz).date_naive();
        let base = day_bounds(date, tz).0 + 9.0 * 3600.0;
        // 40 s of slouching, 20 s of it also crossed legs (another rule).
        let mut minutes = vec![minute("w1", base, 60.0, 20.0, 0.0, &[(RuleCode::Slouching, 40.0), (RuleCode::CrossedLegs, 20.0)])];
        let events = vec![event("w1", RuleCode::Slouching, base + 20.0, base + 60.0, true)];
        without_false_alarms(&mut minutes, &events);
        let s = summarise(date, tz, minutes, events, &[], &BTreeMap::new(), th());
        // Back to compliant: 40 s minus the 20 s crossed legs still covers.
        assert_eq!(s.total.compliant_s, 40.0);
        assert_eq!(s.total.rules[&RuleCode::Slouching], RuleFigures { events: 0, minutes: 0.0, false_alarms: 1 });
    }

    #[test]
    fn compares_with_yesterday_and_the_week() {
        let tz = chrono_tz::Asia::Shanghai;
        let date = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let base = day_bounds(date, tz).0 + 10.0 * 3600.0;
        let history: Vec<MinuteRow> =
            (1..=7).map(|k| minute("w1", base - k as f64 * 86_400.0, 60.0, if k == 1 { 30.0 } else { 60.0 }, 0.0, &[])).collect();
        let hist = daily_rates(&history, tz);
        let s = summarise(date, tz, vec![minute("w1", base, 60.0, 45.0, 0.0, &[])], vec![], &[], &hist, th());
        assert_eq!(s.total.prev_rate, Some(0.5));
        assert!((s.total.avg7_rate.unwrap() - (0.5 + 6.0) / 7.0).abs() < 1e-9);
        assert!((s.total.delta_prev().unwrap() - 0.25).abs() < 1e-9);
        assert!(s.halls[0].windows[0].attention.contains(&"attention.falling"));
    }
}
