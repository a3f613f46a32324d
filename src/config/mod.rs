//! The window configuration (TOML): the hall, its timezone and working-day
//! calendar, and each window's camera source, zones, hours, breaks, leave
//! and rule thresholds.
//!
//! Parsing collects every problem, each with `file:line:column`, the field,
//! what was expected and how to fix it. The key names `timezone`,
//! `[[window]]`, `id`, `staff_zone`, `counter_zone` and `hours` are a
//! contract other tools rely on.

mod attire;
pub(crate) mod error;
mod layout;
pub mod mqtt;
mod pages;
mod schedule;
mod source;
mod thresholds;
mod uplink;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use attire::{AttireSettings, ModelSlot};
pub use error::{ConfigError, ConfigErrors};
pub use layout::{CheckedLayout, Layout};
pub use mqtt::MqttSettings;
pub use pages::{DEFAULT_LISTEN, PagesSettings};
pub use schedule::{Calendar, DateSpan, LeaveSpan, Schedule, Service, TimeRange};
pub use source::SourceSpec;
pub use thresholds::Thresholds;
pub use uplink::{HubLink, valid_id};

use error::Reporter;
use thresholds::RawRules;

use crate::geometry::{Point, Polygon};

/// Default timezone.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub file: PathBuf,
    pub hall: String,
    #[serde(serialize_with = "ser_tz")]
    pub timezone: Tz,
    pub windows: Vec<Window>,
    /// Teaching clips of violations (`[clips]`).
    pub clips: ClipSettings,
    /// Where events, minutes and clips are sent (`[hub]`); none: kept here.
    pub hub: Option<HubLink>,
    /// How the badge and dress code are judged (`[attire]`); none: those
    /// rules stay unknown.
    pub attire: Option<AttireSettings>,
    /// Where the agent's own pages listen, and their login (`[pages]`).
    pub pages: PagesSettings,
    /// Where events, rule states and availability are published
    /// (`[mqtt]`); none: nothing is.
    pub mqtt: Option<MqttSettings>,
}

/// `[clips]`: the flagged clips and how long they are kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClipSettings {
    /// Record a clip for every violation.
    pub enabled: bool,
    /// Seconds of (already redacted) frames kept before a violation begins.
    pub pre_roll_s: f64,
    /// Seconds recorded after it begins.
    pub post_roll_s: f64,
    /// Long side of clip frames, pixels.
    pub max_side: u32,
    /// Clips show drawn skeletons over a blurred background, with no camera
    /// pixels of people at all.
    pub skeleton_only: bool,
    /// Frames before and after a face or head is seen that are also filled
    /// there (temporal dilation).
    pub dilate_frames: usize,
    /// Clips older than this are deleted.
    pub max_age_days: f64,
    /// The clips folder never grows beyond this; the oldest go first.
    pub quota_mb: f64,
}

impl Default for ClipSettings {
    fn default() -> Self {
        ClipSettings {
            enabled: true,
            pre_roll_s: 4.0,
            post_roll_s: 4.0,
            max_side: 640,
            skeleton_only: false,
            dilate_frames: 2,
            max_age_days: 30.0,
            quota_mb: 2048.0,
        }
    }
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// One service window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub id: String,
    pub name: String,
    pub source: Option<SourceSpec>,
    /// Where the clerk sits, normalised 0..1 (x right, y down).
    pub staff_zone: Polygon,
    /// Areas always filled in clips and images (e.g. the citizens' side of
    /// the counter), normalised.
    pub masks: Vec<Polygon>,
    /// Where citizens stand at the counter, normalised.
    pub counter_zone: Polygon,
    /// The desk's top edge, normalised y.
    pub desk_y: Option<f32>,
    /// The camera's downward tilt, degrees, used to correct angles.
    pub camera_tilt_deg: f32,
    pub schedule: Schedule,
    pub thresholds: Thresholds,
}

impl Config {
    pub fn window(&self, id: &str) -> Option<&Window> {
        self.windows.iter().find(|w| w.id == id)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    timezone: Option<Spanned<String>>,
    hall: Option<Spanned<String>>,
    calendar: Option<RawCalendar>,
    rules: Option<RawRules>,
    clips: Option<RawClips>,
    hub: Option<Spanned<uplink::RawHub>>,
    attire: Option<Spanned<attire::RawAttire>>,
    pages: Option<Spanned<pages::RawPages>>,
    mqtt: Option<Spanned<mqtt::RawMqtt>>,
    #[serde(default)]
    window: Vec<Spanned<RawWindow>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClips {
    enabled: Option<bool>,
    pre_roll_s: Option<Spanned<f64>>,
    post_roll_s: Option<Spanned<f64>>,
    max_side: Option<Spanned<u32>>,
    skeleton_only: Option<bool>,
    dilate_frames: Option<Spanned<usize>>,
    max_age_days: Option<Spanned<f64>>,
    quota_mb: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    workdays: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    makeup_workdays: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    id: Spanned<String>,
    name: Option<String>,
    source: Option<Spanned<String>>,
    staff_zone: Spanned<Vec<Spanned<Vec<f32>>>>,
    counter_zone: Spanned<Vec<Spanned<Vec<f32>>>>,
    #[serde(default)]
    masks: Vec<Spanned<Vec<Spanned<Vec<f32>>>>>,
    desk_y: Option<Spanned<f32>>,
    camera_tilt_deg: Option<Spanned<f32>>,
    hours: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    breaks: Vec<Spanned<String>>,
    #[serde(default)]
    leave: Vec<Spanned<String>>,
    rules: Option<RawRules>,
}

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    parse(&error::read_config(path, "config/example.toml")?, path)
}

/// Validates configuration text; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
    let mut r = Reporter::new(path, text);
    let raw: RawConfig = error::from_toml(text, &mut r, "config/example.toml")?;

    let timezone = match &raw.timezone {
        None => DEFAULT_TIMEZONE.parse::<Tz>().expect("the default timezone exists"),
        Some(tz) => tz.get_ref().parse::<Tz>().unwrap_or_else(|_| {
            r.error(
                tz.span().start,
                "timezone",
                format!("{:?} is not an IANA timezone name", tz.get_ref()),
                "use a name such as \"Asia/Shanghai\" or \"Asia/Urumqi\"",
            );
            DEFAULT_TIMEZONE.parse().expect("the default timezone exists")
        }),
    };
    let hall = match &raw.hall {
        Some(h) if h.get_ref().trim().is_empty() => {
            r.error(h.span().start, "hall", "is empty", "name the service hall, e.g. hall = \"城关镇便民服务中心\"");
            String::new()
        }
        Some(h) => h.get_ref().clone(),
        None => {
            r.error(0, "hall", "is missing", "add hall = \"<name of the service hall>\" at the top");
            String::new()
        }
    };
    let calendar = calendar(raw.calendar.as_ref(), &mut r);
    let global = thresholds::apply(Thresholds::default(), raw.rules.as_ref().unwrap_or(&RawRules::default()), "rules.", &mut r);

    if raw.window.is_empty() {
        r.error(
            text.len(),
            "window",
            "no [[window]] is defined",
            "add at least one [[window]] table with id, staff_zone, counter_zone and hours",
        );
    }
    let mut ids = BTreeSet::new();
    let mut windows = Vec::new();
    for (i, w) in raw.window.iter().enumerate() {
        let w = w.get_ref();
        let at = format!("window[{i}]");
        let id = w.id.get_ref().trim().to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            r.error(
                w.id.span().start,
                format!("{at}.id"),
                format!("{:?} is not a valid id", w.id.get_ref()),
                "use letters, digits, - and _ only, e.g. id = \"w01\"",
            );
        } else if !ids.insert(id.clone()) {
            r.error(w.id.span().start, format!("{at}.id"), format!("{id:?} is used by another window"), "give every window its own id");
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let source = w.source.as_ref().and_then(|s| {
            SourceSpec::parse(s.get_ref())
                .map_err(|m| r.error(s.span().start, format!("{at}.source"), m, format!("use {}", source::FORMS)))
                .ok()
                .map(|spec| spec.relative_to(base))
        });
        let staff_zone = zone(&w.staff_zone, &format!("{at}.staff_zone"), &mut r);
        let counter_zone = zone(&w.counter_zone, &format!("{at}.counter_zone"), &mut r);
        let masks = w.masks.iter().enumerate().map(|(j, m)| zone(m, &format!("{at}.masks[{j}]"), &mut r)).collect();
        let desk_y = w.desk_y.as_ref().and_then(|d| {
            let v = *d.get_ref();
            if (0.0..=1.0).contains(&v) {
                Some(v)
            } else {
                r.error(
                    d.span().start,
                    format!("{at}.desk_y"),
                    format!("{v} is outside the frame"),
                    "give the desk's top edge as a fraction of the frame height, 0..1 (0 = top)",
                );
                None
            }
        });
        let camera_tilt_deg = match &w.camera_tilt_deg {
            Some(t) if !(0.0..=60.0).contains(t.get_ref()) => {
                r.error(
                    t.span().start,
                    format!("{at}.camera_tilt_deg"),
                    format!("{} is out of range 0..=60", t.get_ref()),
                    "give the camera's downward tilt in degrees; hall cameras are usually tilted 10-35",
                );
                20.0
            }
            Some(t) => *t.get_ref(),
            None => 20.0,
        };
        let hours = ranges(&w.hours.get_ref()[..], &format!("{at}.hours"), &mut r);
        if w.hours.get_ref().is_empty() {
            r.error(
                w.hours.span().start,
                format!("{at}.hours"),
                "is empty",
                "list the service hours, e.g. hours = [\"08:30-12:00\", \"13:30-17:30\"]",
            );
        }
        for (a, b) in pairs(&hours) {
            r.error(
                w.hours.span().start,
                format!("{at}.hours"),
                format!(
                    "{}-{} overlaps {}-{}",
                    a.start.format("%H:%M"),
                    a.end.format("%H:%M"),
                    b.start.format("%H:%M"),
                    b.end.format("%H:%M")
                ),
                "make the service ranges disjoint",
            );
        }
        let breaks = ranges(&w.breaks, &format!("{at}.breaks"), &mut r);
        for (j, (b, raw_b)) in breaks.iter().zip(&w.breaks).enumerate() {
            // Only when every service range parsed: otherwise the break may be
            // fine and the broken range the real problem.
            let hours_complete = hours.len() == w.hours.get_ref().len();
            if hours_complete && !hours.iter().any(|h| h.overlaps(b)) && !hours.is_empty() {
                r.error(
                    raw_b.span().start,
                    format!("{at}.breaks[{j}]"),
                    format!("{} lies outside the service hours", raw_b.get_ref()),
                    "a break must fall within hours; remove it or fix the times",
                );
            }
        }
        let leave = w
            .leave
            .iter()
            .enumerate()
            .filter_map(|(j, l)| {
                LeaveSpan::parse(l.get_ref())
                    .map_err(|m| {
                        r.error(
                            l.span().start,
                            format!("{at}.leave[{j}]"),
                            m,
                            "use \"2026-03-05\", \"2026-03-05..2026-03-07\" or \"2026-03-02T09:00..2026-03-02T12:00\" (local time)",
                        )
                    })
                    .ok()
            })
            .collect();
        let window_thresholds = match &w.rules {
            Some(raw) => thresholds::apply(global, raw, &format!("{at}.rules."), &mut r),
            None => global,
        };
        windows.push(Window {
            id,
            name: w.name.clone().unwrap_or_else(|| w.id.get_ref().clone()),
            source,
            staff_zone,
            counter_zone,
            masks,
            desk_y,
            camera_tilt_deg,
            schedule: Schedule { tz: timezone, calendar: calendar.clone(), hours, breaks, leave },
            thresholds: window_thresholds,
        });
    }

    let clips = clip_settings(raw.clips.as_ref(), &mut r);
    let base = path.parent().unwrap_or(Path::new(""));
    let hub = raw.hub.as_ref().and_then(|h| uplink::hub_link(h.get_ref(), h.span().start, base, &mut r));
    let attire = raw.attire.as_ref().and_then(|a| attire::attire(a.get_ref(), a.span().start, base, &mut r));
    let pages = raw.pages.as_ref().map_or_else(PagesSettings::default, |p| pages::pages(p.get_ref(), p.span().start, base, &mut r));
    let hub_box = hub.as_ref().map(|h| h.box_id.as_str());
    let mqtt = raw.mqtt.as_ref().and_then(|m| mqtt::mqtt(m.get_ref(), m.span().start, base, hub_box, &mut r));
    if r.errors.is_empty() {
        Ok(Config { file: path.to_path_buf(), hall, timezone, windows, clips, hub, attire, pages, mqtt })
    } else {
        r.errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(r.errors))
    }
}

/// The longest holiday or make-up span: each day is kept, so a span over
/// chrono's whole range (190 million days) is refused, not built.
const MAX_CALENDAR_SPAN_DAYS: i64 = 366;

fn calendar(raw: Option<&RawCalendar>, r: &mut Reporter) -> Calendar {
    let mut cal = Calendar::default();
    let Some(raw) = raw else { return cal };
    if let Some(days) = &raw.workdays {
        cal.workdays.clear();
        for (i, d) in days.iter().enumerate() {
            match schedule::parse_weekday(d.get_ref()) {
                Ok(n) => {
                    cal.workdays.insert(n);
                }
                Err(m) => r.error(d.span().start, format!("calendar.workdays[{i}]"), m, "use mon, tue, wed, thu, fri, sat or sun"),
            }
        }
    }
    let fix = "use \"YYYY-MM-DD\" or \"YYYY-MM-DD..YYYY-MM-DD\"; the year's arrangement is published by the State Council each winter";
    let too_long = |span: &DateSpan| span.days_count() > MAX_CALENDAR_SPAN_DAYS;
    let long_fix = "list each year's days on their own; a span covers at most 366 days";
    for (i, h) in raw.holidays.iter().enumerate() {
        match DateSpan::parse(h.get_ref()) {
            Ok(span) if too_long(&span) => r.error(
                h.span().start,
                format!("calendar.holidays[{i}]"),
                format!("{} days is too long a span", span.days_count()),
                long_fix,
            ),
            Ok(span) => cal.holidays.extend(span.days()),
            Err(m) => r.error(h.span().start, format!("calendar.holidays[{i}]"), m, fix),
        }
    }
    for (i, h) in raw.makeup_workdays.iter().enumerate() {
        match DateSpan::parse(h.get_ref()) {
            Ok(span) if too_long(&span) => r.error(
                h.span().start,
                format!("calendar.makeup_workdays[{i}]"),
                format!("{} days is too long a span", span.days_count()),
                long_fix,
            ),
            Ok(span) => {
                for d in span.days() {
                    if cal.holidays.contains(&d) {
                        r.error(
                            h.span().start,
                            format!("calendar.makeup_workdays[{i}]"),
                            format!("{d} is also listed as a holiday"),
                            "a day is either a holiday or a make-up working day",
                        );
                    }
                    cal.makeup_workdays.insert(d);
                }
            }
            Err(m) => r.error(h.span().start, format!("calendar.makeup_workdays[{i}]"), m, fix),
        }
    }
    cal
}

fn ranges(raw: &[Spanned<String>], field: &str, r: &mut Reporter) -> Vec<TimeRange> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, s)| {
            TimeRange::parse(s.get_ref())
                .map_err(|m| r.error(s.span().start, format!("{field}[{i}]"), m, "use 24-hour local times such as \"13:30-17:30\""))
                .ok()
        })
        .collect()
}

fn pairs(v: &[TimeRange]) -> Vec<(TimeRange, TimeRange)> {
    let mut out = Vec::new();
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            if v[i].overlaps(&v[j]) {
                out.push((v[i], v[j]));
            }
        }
    }
    out
}

fn clip_settings(raw: Option<&RawClips>, r: &mut Reporter) -> ClipSettings {
    let mut c = ClipSettings::default();
    let Some(raw) = raw else { return c };
    let mut num = |v: &Option<Spanned<f64>>, field: &str, range: std::ops::RangeInclusive<f64>, fix: &str, into: &mut f64| {
        *into = r.number(v.as_ref(), &format!("clips.{field}"), range, fix, *into);
    };
    num(&raw.pre_roll_s, "pre_roll_s", 0.0..=30.0, "give the seconds kept before a violation, e.g. 4", &mut c.pre_roll_s);
    num(&raw.post_roll_s, "post_roll_s", 0.0..=60.0, "give the seconds recorded after a violation begins, e.g. 4", &mut c.post_roll_s);
    num(&raw.max_age_days, "max_age_days", 0.01..=3650.0, "give the days a clip is kept, e.g. 30", &mut c.max_age_days);
    num(&raw.quota_mb, "quota_mb", 1.0..=10_000_000.0, "give the clips folder's size limit in MB, e.g. 2048", &mut c.quota_mb);
    if let Some(v) = &raw.max_side {
        if (160..=1920).contains(v.get_ref()) {
            c.max_side = *v.get_ref();
        } else {
            r.error(
                v.span().start,
                "clips.max_side",
                format!("{} is out of range 160..=1920", v.get_ref()),
                "give the clip frames' long side in pixels, e.g. 640",
            );
        }
    }
    if let Some(v) = &raw.dilate_frames {
        if *v.get_ref() <= 10 {
            c.dilate_frames = *v.get_ref();
        } else {
            r.error(
                v.span().start,
                "clips.dilate_frames",
                format!("{} is more than 10", v.get_ref()),
                "give the frames a face region is held before and after it is seen, e.g. 2",
            );
        }
    }
    c.enabled = raw.enabled.unwrap_or(c.enabled);
    c.skeleton_only = raw.skeleton_only.unwrap_or(c.skeleton_only);
    c
}

fn zone(raw: &Spanned<Vec<Spanned<Vec<f32>>>>, field: &str, r: &mut Reporter) -> Polygon {
    let mut pts = Vec::new();
    let before = r.errors.len();
    for (i, p) in raw.get_ref().iter().enumerate() {
        match p.get_ref().as_slice() {
            [x, y] if (0.0..=1.0).contains(x) && (0.0..=1.0).contains(y) => pts.push(Point::new(*x, *y)),
            [x, y] => r.error(
                p.span().start,
                format!("{field}[{i}]"),
                format!("[{x}, {y}] is outside the frame"),
                "zone points are fractions of the frame, 0..1 (x right, y down)",
            ),
            other => r.error(
                p.span().start,
                format!("{field}[{i}]"),
                format!("a point needs 2 numbers [x, y], got {}", other.len()),
                "write each point as [x, y]",
            ),
        }
    }
    let poly = Polygon(pts);
    if r.errors.len() == before {
        let start = raw.span().start;
        if poly.0.len() < 3 {
            r.error(
                start,
                field,
                format!("a zone needs at least 3 points, got {}", poly.0.len()),
                "list the polygon's corners, e.g. [[0.3, 0.2], [0.7, 0.2], [0.7, 0.9], [0.3, 0.9]]",
            );
        } else if poly.0.len() > layout::MAX_ZONE_POINTS {
            r.error(
                start,
                field,
                format!("a zone has at most {} points, got {}", layout::MAX_ZONE_POINTS, poly.0.len()),
                "trace the zone's corners only",
            );
        } else if poly.self_intersects() {
            r.error(
                start,
                field,
                "the polygon's edges cross each other",
                "list the corners in order around the zone (clockwise or anticlockwise)",
            );
        } else if poly.signed_area().abs() < 1e-4 {
            r.error(start, field, "the zone has no area", "spread the corners out");
        }
    }
    poly
}

#[cfg(test)]
mod tests;
