//! Turns summaries into what people read: HTML pages (templates in
//! `templates/`, labels from the translation tables), CSV and JSON for the
//! API, markdown for the WeCom / DingTalk robots, and plain text for e-mail.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use super::charts;
use super::summary::{DaySummary, Figures};
use crate::i18n::Lang;
use crate::rules::RuleCode;

/// The page templates, compiled once.
pub fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // minijinja is built without its `urlencode` feature: the one filter
        // the templates use for query values is ours.
        env.add_filter("urlencode", |s: String| super::web::urlencode(&s));
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("login.html", include_str!("templates/login.html")),
            ("message.html", include_str!("templates/message.html")),
            ("summary.html", include_str!("templates/summary.html")),
            ("trends.html", include_str!("templates/trends.html")),
            ("events.html", include_str!("templates/events.html")),
            ("clips.html", include_str!("templates/clips.html")),
            ("clip.html", include_str!("templates/clip.html")),
            ("health.html", include_str!("templates/health.html")),
            ("users.html", include_str!("templates/users.html")),
            ("boxes.html", include_str!("templates/boxes.html")),
            ("audit.html", include_str!("templates/audit.html")),
            ("pack_index.html", include_str!("templates/pack_index.html")),
        ] {
            env.add_template(name, text).expect("built-in templates parse");
        }
        env
    })
}

/// Renders a page: `ctx` plus `lang`, `tr` (the translation table) and the
/// signed-in `user` / `csrf` (or none).
pub fn page(name: &str, lang: Lang, user: Option<&super::db::User>, csrf: &str, ctx: Value) -> Result<String, minijinja::Error> {
    let base = context! { lang => lang.code(), tr => lang.table(), user => user, csrf => csrf };
    env().get_template(name)?.render(context! { ..ctx, ..base })
}

pub fn pct(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{:.1} %", r * 100.0))
}

fn delta(d: Option<f64>) -> String {
    d.map_or("–".into(), |d| format!("{:+.1}", d * 100.0))
}

fn minutes(m: f64) -> String {
    format!("{m:.0}")
}

#[derive(Serialize)]
struct FigView {
    rate: String,
    colour: &'static str,
    unknown: String,
    delta_prev: String,
    delta_avg7: String,
    events: u32,
    violation_minutes: String,
    in_service_h: String,
    offline: String,
    dropped: i64,
    rules: Vec<RuleView>,
}

#[derive(Serialize)]
struct RuleView {
    code: &'static str,
    name: String,
    events: u32,
    minutes: String,
    false_alarms: u32,
}

fn fig_view(f: &Figures, lang: Lang) -> FigView {
    FigView {
        rate: pct(f.rate),
        colour: charts::rate_colour(f.rate),
        unknown: pct(f.unknown_share),
        delta_prev: delta(f.delta_prev()),
        delta_avg7: delta(f.delta_avg7()),
        events: f.events(),
        violation_minutes: minutes(f.rules.values().map(|r| r.minutes).sum()),
        in_service_h: format!("{:.1} h", f.in_service_s / 3600.0),
        offline: format!("{:.0} min", f.offline_min),
        dropped: f.dropped_frames,
        rules: RuleCode::ALL
            .iter()
            .map(|r| {
                let x = f.rules.get(r).copied().unwrap_or_default();
                RuleView {
                    code: r.as_str(),
                    name: rule_name(*r, lang).to_string(),
                    events: x.events,
                    minutes: format!("{:.1}", x.minutes),
                    false_alarms: x.false_alarms,
                }
            })
            .collect(),
    }
}

pub fn rule_name(r: RuleCode, lang: Lang) -> &'static str {
    lang.t(&format!("rule.{}", r.as_str()))
}

pub fn rule_name_str(code: &str, lang: Lang) -> String {
    RuleCode::ALL.iter().find(|r| r.as_str() == code).map_or(code.to_string(), |r| rule_name(*r, lang).to_string())
}

/// The summary as template context.
pub fn summary_view(s: &DaySummary, lang: Lang) -> Value {
    let halls: Vec<Value> = s
        .halls
        .iter()
        .map(|h| {
            let f = fig_view(&h.figures, lang);
            let windows: Vec<Value> = h
                .windows
                .iter()
                .map(|w| {
                    Value::from_serialize(context_of(
                        &fig_view(&w.figures, lang),
                        &[("name", w.name.clone()), ("box", w.box_id.clone()), ("window", w.window.clone())],
                    ))
                })
                .collect();
            let mut v = context_of(&f, &[("hall", h.hall.clone()), ("hours_svg", charts::hours(&h.hours, lang.t("summary.rate")))]);
            v.insert(
                "windows".into(),
                serde_json::to_value(windows.iter().map(|w| serde_json::to_value(w).unwrap_or_default()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            );
            Value::from_serialize(v)
        })
        .collect();
    let attention: Vec<Value> = s
        .attention()
        .into_iter()
        .map(|(h, w)| {
            Value::from_serialize(serde_json::json!({
                "hall": h.hall, "name": w.name, "rate": pct(w.figures.rate), "colour": charts::rate_colour(w.figures.rate),
                "why": w.attention.iter().map(|k| lang.t(k)).collect::<Vec<_>>().join("；"),
            }))
        })
        .collect();
    Value::from_serialize(serde_json::json!({
        "date": s.date.to_string(),
        "total": fig_view(&s.total, lang),
        "halls": halls,
        "attention": attention,
    }))
}

fn context_of(f: &FigView, extra: &[(&str, String)]) -> serde_json::Map<String, serde_json::Value> {
    let mut m = match serde_json::to_value(f) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in extra {
        m.insert((*k).to_string(), serde_json::Value::String(v.clone()));
    }
    m
}

/// The full HTML report (a page of its own when `user` is none: e-mail
/// and print), stamped as generated at `generated` (the hub clock's time).
pub fn summary_html(
    s: &DaySummary,
    lang: Lang,
    user: Option<&super::db::User>,
    csrf: &str,
    hall: Option<&str>,
    halls: &[String],
    generated: chrono::DateTime<chrono::Utc>,
) -> Result<String, minijinja::Error> {
    let generated = generated
        .with_timezone(&s.timezone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::Asia::Shanghai))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    page(
        "summary.html",
        lang,
        user,
        csrf,
        context! { title => format!("{} {}", lang.t("summary.title"), s.date), s => summary_view(s, lang), hall => hall.unwrap_or(""), halls => halls, generated => generated },
    )
}

/// One CSV row per window (stable English column names for tools).
pub fn summary_csv(s: &DaySummary) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "date",
        "hall",
        "box",
        "window",
        "name",
        "in_service_min",
        "compliant_min",
        "unknown_min",
        "compliance_rate",
        "unknown_share",
        "prev_rate",
        "avg7_rate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for r in RuleCode::ALL {
        header.push(format!("{}_events", r.as_str()));
        header.push(format!("{}_minutes", r.as_str()));
        header.push(format!("{}_false_alarms", r.as_str()));
    }
    header.extend(["offline_min", "dropped_frames", "attention"].map(String::from));
    let _ = w.write_record(&header);
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for h in &s.halls {
        for win in &h.windows {
            let f = &win.figures;
            let mut row = vec![
                s.date.to_string(),
                csv_text(&h.hall),
                csv_text(&win.box_id),
                csv_text(&win.window),
                csv_text(&win.name),
                format!("{:.2}", f.in_service_s / 60.0),
                format!("{:.2}", f.compliant_s / 60.0),
                format!("{:.2}", f.unknown_s / 60.0),
                opt(f.rate),
                opt(f.unknown_share),
                opt(f.prev_rate),
                opt(f.avg7_rate),
            ];
            for r in RuleCode::ALL {
                let x = f.rules.get(&r).copied().unwrap_or_default();
                row.extend([x.events.to_string(), format!("{:.2}", x.minutes), x.false_alarms.to_string()]);
            }
            row.extend([
                format!("{:.1}", f.offline_min),
                f.dropped_frames.to_string(),
                win.attention.iter().map(|k| k.trim_start_matches("attention.")).collect::<Vec<_>>().join(" "),
            ]);
            let _ = w.write_record(&row);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A name as a CSV cell: a leading `= + - @`, tab or CR would make a
/// spreadsheet read the cell as a formula, so such cells get a leading `'`.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) { format!("'{s}") } else { s.to_string() }
}

/// A name inside a markdown robot message: every ASCII punctuation mark is
/// backslash-escaped (no emphasis, headings, links or autolinks such as
/// `http\://…` can come from a name) and line breaks become spaces.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push(' ');
        } else {
            if c.is_ascii_punctuation() {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A name inside a plain-text e-mail: one line, and no `scheme://` that a
/// mail reader would turn into a link.
pub fn plain_text(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().replace("://", ": //")
}

/// Robots refuse longer messages (WeCom's markdown limit is 4,096 bytes):
/// lists in robot messages stop short of it, saying how many were left out.
pub const ROBOT_LIST_BYTES: usize = 3_000;

/// Appends `lines` to `out` while `out` stays within [`ROBOT_LIST_BYTES`],
/// then one line saying how many were left out (the page has them all).
pub fn push_capped(out: &mut String, lines: impl ExactSizeIterator<Item = String>, lang: Lang) {
    let total = lines.len();
    for (i, line) in lines.enumerate() {
        if out.len() + line.len() > ROBOT_LIST_BYTES {
            *out += &format!("- {}\n", lang.f("alert.more", &[("n", (total - i).to_string())]));
            return;
        }
        *out += &line;
    }
}

/// The robot message: the day's figures and a link to the full report.
pub fn summary_markdown(s: &DaySummary, lang: Lang, link: &str) -> String {
    let mut out = format!("### {} {}\n", lang.t("summary.title"), s.date);
    out += &format!(
        "> {} **{}** · {} {} · {} {}\n\n",
        lang.t("summary.rate"),
        pct(s.total.rate),
        lang.t("summary.unknown"),
        pct(s.total.unknown_share),
        lang.t("summary.vs_prev"),
        delta(s.total.delta_prev())
    );
    let halls = s
        .halls
        .iter()
        .map(|h| format!("- {}: {} ({} {})\n", md_text(&h.hall), pct(h.figures.rate), lang.t("summary.events"), h.figures.events()));
    push_capped(&mut out, halls, lang);
    let attention = s.attention();
    if !attention.is_empty() {
        out += &format!("\n**{}**\n", lang.t("summary.attention"));
        for (h, w) in attention.iter().take(10) {
            out += &format!(
                "- {} {}: {} ({})\n",
                md_text(&h.hall),
                md_text(&w.name),
                pct(w.figures.rate),
                w.attention.iter().map(|k| lang.t(k)).collect::<Vec<_>>().join("；")
            );
        }
    }
    let worst: Vec<String> = RuleCode::ALL
        .iter()
        .filter_map(|r| {
            let x = s.total.rules.get(r)?;
            (x.events > 0).then(|| format!("{} {}", rule_name(*r, lang), x.events))
        })
        .collect();
    if !worst.is_empty() {
        out += &format!("\n{}: {}\n", lang.t("summary.by_rule"), worst.join(" · "));
    }
    out += &format!("\n[{}]({link})\n", lang.t("summary.full_report"));
    out
}

/// The plain-text part of the e-mail.
pub fn summary_text(s: &DaySummary, lang: Lang, link: &str) -> String {
    let mut out = format!("{} {}\n\n", lang.t("summary.title"), s.date);
    out += &format!(
        "{}: {}   {}: {}   {}: {}   {}: {}\n\n",
        lang.t("summary.rate"),
        pct(s.total.rate),
        lang.t("summary.unknown"),
        pct(s.total.unknown_share),
        lang.t("summary.vs_prev"),
        delta(s.total.delta_prev()),
        lang.t("summary.vs_avg7"),
        delta(s.total.delta_avg7())
    );
    for h in &s.halls {
        out += &format!("{}: {}\n", plain_text(&h.hall), pct(h.figures.rate));
        for w in &h.windows {
            out += &format!("  {}: {}  {} {}\n", plain_text(&w.name), pct(w.figures.rate), lang.t("summary.events"), w.figures.events());
        }
    }
    out += &format!("\n{}: {link}\n", lang.t("summary.full_report"));
    out
}

/// The subject line of the e-mail.
pub fn subject(s: &DaySummary, lang: Lang) -> String {
    lang.f("report.subject", &[("date", s.date.to_string()), ("rate", pct(s.total.rate))])
}

#[cfg(test)]
mod escape_tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn csv_cells_never_start_a_formula(name in "\\PC{0,12}|[=+@\t\r-]\\PC{0,12}") {
            let cell = csv_text(&name);
            proptest::prop_assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']), "{cell:?}");
            let quoted = format!("'{}", name);
            proptest::prop_assert!(cell == name || cell == quoted);
        }

        #[test]
        fn markdown_names_are_inert(name in "[\\[\\]()*_#`<>!|~:/a-z\n\\\\ ]{0,16}") {
            let md = md_text(&name);
            proptest::prop_assert!(!md.contains('\n'));
            // Every punctuation mark is escaped, and unescaping gives the name back.
            let mut chars = md.chars();
            let mut back = String::new();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    let n = chars.next();
                    proptest::prop_assert!(n.is_some_and(|n| n.is_ascii_punctuation()), "{md:?}");
                    back.extend(n);
                } else {
                    proptest::prop_assert!(!c.is_ascii_punctuation(), "unescaped {c:?} in {md:?}");
                    back.push(c);
                }
            }
            proptest::prop_assert_eq!(back, name.replace('\n', " "));
        }
    }

    #[test]
    fn names_cannot_inject_into_messages() {
        assert_eq!(csv_text("=HYPERLINK(\"http://evil\")"), "'=HYPERLINK(\"http://evil\")");
        assert_eq!(csv_text("窗口 1"), "窗口 1");
        assert_eq!(md_text("[点我](http://evil.example)"), "\\[点我\\]\\(http\\:\\/\\/evil\\.example\\)");
        assert_eq!(plain_text("w1\nhttp://evil.example"), "w1 http: //evil.example");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::db::{Role, User};
    use crate::hub::summary::{self, MinuteRow, Thresholds};

    fn day() -> DaySummary {
        let tz = chrono_tz::Asia::Shanghai;
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let t = summary::day_bounds(date, tz).0 + 9.5 * 3600.0;
        let m = MinuteRow {
            hall: "城关镇".into(),
            box_id: "b1".into(),
            window: "w01".into(),
            name: "1号窗口".into(),
            minute_unix: t,
            observed_s: 60.0,
            in_service_s: 60.0,
            staffed_s: 60.0,
            compliant_s: 45.0,
            unknown_s: 3.0,
            rules: Default::default(),
        };
        summary::summarise(date, tz, vec![m], vec![], &[], &Default::default(), Thresholds { attention_below: 0.9, attention_unknown: 0.3 })
    }

    #[test]
    fn every_page_renders_in_both_languages() {
        let user = User { id: 1, name: "王".into(), role: Role::Admin, hall: None };
        for lang in [Lang::Zh, Lang::En] {
            let s = day();
            // 2026-11-29 01:30 UTC is 09:30 in the summary's timezone (Shanghai).
            let at = chrono::DateTime::from_timestamp_millis(1_795_915_800_000).unwrap();
            let html = summary_html(&s, lang, Some(&user), "tok", None, &["城关镇".into()], at).unwrap();
            assert!(html.contains("2026-11-29 09:30"), "the page is dated by the time it is given: {html}");
            assert!(html.contains(lang.t("summary.title")) && html.contains("75.0 %") && html.contains("<svg"), "{html}");
            assert!(html.contains(lang.t("attention.low_rate")));
            let standalone = summary_html(&s, lang, None, "", None, &[], at).unwrap();
            // Scoped to a hall: the CSV / JSON links carry it, percent-encoded.
            let scoped = summary_html(&s, lang, Some(&user), "tok", Some("城关 & 镇"), &["城关 & 镇".into()], at).unwrap();
            assert!(scoped.contains("hall=%E5%9F%8E%E5%85%B3%20%26%20%E9%95%87"), "{scoped}");
            assert!(!standalone.contains("<header>") && !standalone.contains("csrf"));
            let empty = minijinja::context! {};
            for (name, ctx) in [
                ("login.html", minijinja::context! { title => "t", login_csrf => "x", next => "/", error => "" }),
                ("message.html", minijinja::context! { title => "t", message => "m", kind => "notice", back => "/", secret => "s" }),
                (
                    "trends.html",
                    minijinja::context! { title => "t", weeks => 8, svg => "", rows => vec![minijinja::context! { label => "11-23", values => vec!["90.0 %"] }], series => vec![minijinja::context! { name => "all" }] },
                ),
                ("events.html", minijinja::context! { title => "t", date => "2026-11-28", events => Vec::<minijinja::Value>::new() }),
                ("health.html", minijinja::context! { title => "t", boxes => Vec::<minijinja::Value>::new() }),
                ("users.html", minijinja::context! { title => "t", users => vec![user.clone()] }),
                ("boxes.html", minijinja::context! { title => "t", boxes => Vec::<minijinja::Value>::new() }),
                ("audit.html", minijinja::context! { title => "t", entries => Vec::<minijinja::Value>::new() }),
                (
                    "clips.html",
                    minijinja::context! { title => "t", clips => Vec::<minijinja::Value>::new(), f => minijinja::context! { hall => "", window => "", rule => "", date => "", status => "" }, halls => vec!["城关镇"], rules => Vec::<minijinja::Value>::new() },
                ),
            ] {
                let out = page(name, lang, Some(&user), "tok", ctx).unwrap_or_else(|e| panic!("{name} ({lang:?}): {e:#}"));
                assert!(out.contains(&format!("lang=\"{}\"", lang.code())), "{name}");
                assert!(!out.contains("\"?\""), "{name} has a missing translation");
            }
            let _ = empty;
            let md = summary_markdown(&s, lang, "http://hub/summary?date=2026-11-28");
            assert!(md.contains("75.0 %") && md.contains("(http://hub/summary?date=2026-11-28)"));
            let csv = summary_csv(&s);
            assert!(csv.lines().nth(1).unwrap().starts_with("2026-11-28,城关镇,b1,w01,1号窗口,1.00,0.75,0.05,0.7500,0.0500"), "{csv}");
        }
    }
}
