//! Service hours, breaks, leave and the working-day calendar: is a window
//! in service at a given instant? Pure; times are local to the config's
//! timezone.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

/// A daily time range, `HH:MM-HH:MM`, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeRange {
    pub fn parse(s: &str) -> Result<TimeRange, String> {
        let (a, b) = s.split_once('-').ok_or_else(|| format!("expected HH:MM-HH:MM, got {s:?}"))?;
        let t = |v: &str| {
            NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| format!("expected HH:MM-HH:MM, got {s:?} (`{}` is not a 24-hour time)", v.trim()))
        };
        let (start, end) = (t(a)?, t(b)?);
        if end <= start {
            return Err(format!("{s:?} ends before it starts; service ranges cannot cross midnight"));
        }
        Ok(TimeRange { start, end })
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        self.start <= t && t < self.end
    }

    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A span of dates: `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateSpan {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl DateSpan {
    pub fn parse(s: &str) -> Result<DateSpan, String> {
        let d = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| format!("`{}` is not a date (YYYY-MM-DD)", v.trim()));
        let (first, last) = match s.split_once("..") {
            Some((a, b)) => (d(a)?, d(b)?),
            None => (d(s)?, d(s)?),
        };
        if last < first {
            return Err(format!("{s:?} ends before it starts"));
        }
        Ok(DateSpan { first, last })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }

    /// How many days the span covers, both ends included.
    pub fn days_count(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        self.first.iter_days().take_while(move |d| *d <= self.last)
    }
}

/// Approved leave or a closure: whole days, or a local date-time range
/// `YYYY-MM-DDTHH:MM..YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LeaveSpan {
    Days(DateSpan),
    Period { from: NaiveDateTime, to: NaiveDateTime },
}

impl LeaveSpan {
    pub fn parse(s: &str) -> Result<LeaveSpan, String> {
        if s.contains('T') {
            let (a, b) = s.split_once("..").ok_or_else(|| format!("expected YYYY-MM-DDTHH:MM..YYYY-MM-DDTHH:MM, got {s:?}"))?;
            let dt = |v: &str| {
                NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M")
                    .map_err(|_| format!("`{}` is not a local date-time (YYYY-MM-DDTHH:MM)", v.trim()))
            };
            let (from, to) = (dt(a)?, dt(b)?);
            if to <= from {
                return Err(format!("{s:?} ends before it starts"));
            }
            return Ok(LeaveSpan::Period { from, to });
        }
        DateSpan::parse(s).map(LeaveSpan::Days)
    }

    pub fn contains(&self, local: NaiveDateTime) -> bool {
        match self {
            LeaveSpan::Days(d) => d.contains(local.date()),
            LeaveSpan::Period { from, to } => *from <= local && local < *to,
        }
    }
}

/// Which days are working days: the weekly pattern, public holidays and
/// make-up working days (调休), which the config lists year by year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Calendar {
    pub workdays: BTreeSet<u8>,
    pub holidays: BTreeSet<NaiveDate>,
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { workdays: (0..5).collect(), holidays: BTreeSet::new(), makeup_workdays: BTreeSet::new() }
    }
}

/// Parses `mon`..`sun` (English or 周一..周日) to 0 (Monday) .. 6.
pub fn parse_weekday(s: &str) -> Result<u8, String> {
    let names = [["mon", "周一"], ["tue", "周二"], ["wed", "周三"], ["thu", "周四"], ["fri", "周五"], ["sat", "周六"], ["sun", "周日"]];
    let l = s.trim().to_lowercase();
    names
        .iter()
        .position(|n| l == n[0] || l == n[1] || (l.len() > 3 && l.get(..3).is_some_and(|p| n[0].starts_with(p)) && weekday_full(n[0]) == l))
        .map(|i| i as u8)
        .ok_or_else(|| format!("`{s}` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"))
}

fn weekday_full(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

impl Calendar {
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        self.workdays.contains(&(d.weekday().num_days_from_monday() as u8))
    }
}

/// Why a window is or is not in service at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    InService,
    NonWorkday,
    OffHours,
    Break,
    Leave,
}

/// One window's schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    #[serde(serialize_with = "ser_tz")]
    pub tz: Tz,
    pub calendar: Calendar,
    pub hours: Vec<TimeRange>,
    pub breaks: Vec<TimeRange>,
    pub leave: Vec<LeaveSpan>,
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl Schedule {
    pub fn at(&self, ts: DateTime<FixedOffset>) -> Service {
        let local = ts.with_timezone(&self.tz).naive_local();
        if self.leave.iter().any(|l| l.contains(local)) {
            return Service::Leave;
        }
        if !self.calendar.is_workday(local.date()) {
            return Service::NonWorkday;
        }
        let t = local.time();
        if !self.hours.iter().any(|h| h.contains(t)) {
            return Service::OffHours;
        }
        if self.breaks.iter().any(|b| b.contains(t)) {
            return Service::Break;
        }
        Service::InService
    }

    /// `ts` as a fixed-offset time in the schedule's timezone.
    pub fn localize(&self, ts: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        let local = ts.with_timezone(&self.tz);
        local.fixed_offset()
    }

    /// The local date-time `naive` in this timezone (earliest if ambiguous).
    pub fn from_local(&self, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        self.tz.from_local_datetime(&naive).earliest().map(|d| d.fixed_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        let mut cal = Calendar::default();
        cal.holidays.insert(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        cal.makeup_workdays.insert(NaiveDate::from_ymd_opt(2026, 9, 27).unwrap()); // a Sunday
        Schedule {
            tz: chrono_tz::Asia::Shanghai,
            calendar: cal,
            hours: vec![TimeRange::parse("08:30-12:00").unwrap(), TimeRange::parse("13:30-17:30").unwrap()],
            breaks: vec![TimeRange::parse("10:00-10:15").unwrap()],
            leave: vec![LeaveSpan::parse("2026-09-29T14:00..2026-09-29T16:00").unwrap(), LeaveSpan::parse("2026-09-30").unwrap()],
        }
    }

    fn at(s: &str) -> Service {
        schedule().at(DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn hours_breaks_and_edges() {
        assert_eq!(at("2026-09-28T08:29:59+08:00"), Service::OffHours);
        assert_eq!(at("2026-09-28T08:30:00+08:00"), Service::InService);
        assert_eq!(at("2026-09-28T10:00:00+08:00"), Service::Break);
        assert_eq!(at("2026-09-28T10:15:00+08:00"), Service::InService);
        assert_eq!(at("2026-09-28T12:00:00+08:00"), Service::OffHours);
        assert_eq!(at("2026-09-28T17:29:59+08:00"), Service::InService);
    }

    #[test]
    fn timezone_is_applied() {
        // 01:00 UTC is 09:00 in Shanghai.
        assert_eq!(at("2026-09-28T01:00:00Z"), Service::InService);
        assert_eq!(at("2026-09-28T10:00:00Z"), Service::OffHours); // 18:00 local
    }

    #[test]
    fn calendar_holidays_and_makeup_days() {
        assert_eq!(at("2026-09-26T09:00:00+08:00"), Service::NonWorkday); // Saturday
        assert_eq!(at("2026-09-27T09:00:00+08:00"), Service::InService); // make-up Sunday
        assert_eq!(at("2026-10-01T09:00:00+08:00"), Service::NonWorkday); // National Day
    }

    #[test]
    fn leave_days_and_periods() {
        assert_eq!(at("2026-09-29T14:30:00+08:00"), Service::Leave);
        assert_eq!(at("2026-09-29T16:00:00+08:00"), Service::InService);
        assert_eq!(at("2026-09-30T09:00:00+08:00"), Service::Leave);
    }

    #[test]
    fn parsing_errors_explain() {
        assert!(TimeRange::parse("8:30").unwrap_err().contains("HH:MM-HH:MM"));
        assert!(TimeRange::parse("25:00-26:00").unwrap_err().contains("25:00"));
        assert!(TimeRange::parse("17:00-08:00").unwrap_err().contains("before it starts"));
        assert!(DateSpan::parse("2026-02-30").is_err());
        assert!(DateSpan::parse("2026-02-10..2026-02-01").unwrap_err().contains("before"));
        assert!(LeaveSpan::parse("2026-02-10T09:00").is_err());
        assert_eq!(DateSpan::parse("2026-02-16..2026-02-22").unwrap().days().count(), 7);
        assert_eq!(parse_weekday("Sat").unwrap(), 5);
        assert_eq!(parse_weekday("周日").unwrap(), 6);
        assert_eq!(parse_weekday("friday").unwrap(), 4);
        assert!(parse_weekday("funday").is_err());
        // Not a char boundary at byte 3: an error, not a panic.
        assert!(parse_weekday("mé-day").is_err() && parse_weekday("m周day").is_err());
    }
}
