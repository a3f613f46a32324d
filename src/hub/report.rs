//! One day's summary from the store, and its delivery.

use chrono::{Datelike, NaiveDate};

use super::Hub;
use super::summary::{self, DaySummary, Thresholds};
use super::{deliver, render};
use crate::store::StoreError;

/// The summary of `date` (hub timezone), optionally for one hall.
pub async fn build(hub: &Hub, date: NaiveDate, hall: Option<&str>) -> Result<DaySummary, StoreError> {
    let tz = hub.cfg.timezone;
    let (from, to) = summary::day_bounds(date, tz);
    // Rows that do not read are named and left out, not fatal.
    let (minutes, mut skipped) = hub.db.minutes_checked(from, to, hall).await?;
    let (events, bad) = hub.db.events_checked(from, to, hall).await?;
    skipped.extend(bad);
    let (health, bad) = hub.db.health_checked(date, hall).await?;
    skipped.extend(bad);
    let week_from = summary::day_bounds(date - chrono::Days::new(7), tz).0;
    let (mut past, bad) = hub.db.minutes_checked(week_from, from, hall).await?;
    skipped.extend(bad);
    let (past_events, bad) = hub.db.events_checked(week_from - 86_400.0, from, hall).await?;
    skipped.extend(bad);
    summary::without_false_alarms(&mut past, &past_events);
    let history = summary::daily_rates(&past, tz);
    let th = Thresholds { attention_below: hub.cfg.report.attention_below, attention_unknown: hub.cfg.report.attention_unknown };
    let mut s = summary::summarise(date, tz, minutes, events, &health, &history, th);
    skipped.sort();
    skipped.dedup();
    s.skipped_rows = skipped;
    Ok(s)
}

/// Weekly rates (Monday-start weeks, newest last) for the trend page:
/// labels and, per series (all halls, then each hall), one rate per week.
pub async fn weekly(
    hub: &Hub,
    weeks: u32,
    today: NaiveDate,
    hall: Option<&str>,
) -> Result<(Vec<String>, Vec<(String, Vec<Option<f64>>)>), StoreError> {
    let tz = hub.cfg.timezone;
    let this_monday = today - chrono::Days::new(today.weekday().num_days_from_monday() as u64);
    let first = this_monday - chrono::Days::new(7 * (weeks.max(1) as u64 - 1));
    let (from, _) = summary::day_bounds(first, tz);
    let (_, to) = summary::day_bounds(today, tz);
    let mut minutes = hub.db.minutes_between(from, to, hall).await?;
    let events = hub.db.events_between(from, to, hall).await?;
    summary::without_false_alarms(&mut minutes, &events);
    let daily = summary::daily_rates(&minutes, tz);
    let labels: Vec<String> = (0..weeks.max(1)).map(|k| (first + chrono::Days::new(7 * k as u64)).format("%m-%d").to_string()).collect();
    let mut keys: Vec<String> = vec![String::new()];
    keys.extend(daily.keys().filter(|(_, k)| k.starts_with("hall:")).map(|(_, k)| k.clone()).collect::<std::collections::BTreeSet<_>>());
    let series = keys
        .into_iter()
        .map(|key| {
            let values = (0..weeks.max(1))
                .map(|k| {
                    let start = first + chrono::Days::new(7 * k as u64);
                    let (c, s) = (0..7)
                        .filter_map(|d| daily.get(&(start + chrono::Days::new(d), key.clone())))
                        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                    (s > 0.0).then(|| c / s)
                })
                .collect();
            let name = if key.is_empty() {
                hub.cfg.language.t("summary.all_halls").to_string()
            } else {
                key.trim_start_matches("hall:").to_string()
            };
            (name, values)
        })
        .collect();
    Ok((labels, series))
}

/// The link to a day's report on the hub.
pub fn link(hub: &Hub, date: NaiveDate) -> String {
    format!("{}/summary?date={date}", hub.cfg.public_url)
}

/// Sends `date`'s summary on every configured channel that has not had it
/// yet; returns the channels that failed (tried again on the next tick).
pub async fn deliver_day(hub: &Hub, date: NaiveDate) -> Result<Vec<String>, StoreError> {
    let lang = hub.cfg.language;
    let mut failed = Vec::new();
    let s = build(hub, date, None).await?;
    let link = link(hub, date);
    if let Some(email) = &hub.cfg.email {
        if !hub.db.report_sent(date, "email").await? {
            let html = render::summary_html(&s, lang, None, "", None, &[], hub.now_utc()).unwrap_or_default();
            match deliver::email(email, &render::subject(&s, lang), &render::summary_text(&s, lang, &link), &html).await {
                Ok(()) => {
                    hub.db.mark_report_sent(date, "email", hub.clock.now_unix()).await?;
                    tracing::info!(%date, to = ?email.to, "daily summary e-mailed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "daily summary not e-mailed; will retry");
                    failed.push(e.to_string());
                }
            }
        }
    }
    if let Some(hook) = &hub.cfg.webhook {
        if !hub.db.report_sent(date, "webhook").await? {
            match deliver::webhook(hook, &render::subject(&s, lang), &render::summary_markdown(&s, lang, &link)).await {
                Ok(()) => {
                    hub.db.mark_report_sent(date, "webhook", hub.clock.now_unix()).await?;
                    tracing::info!(%date, "daily summary posted to the webhook");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "daily summary not posted; will retry");
                    failed.push(e.to_string());
                }
            }
        }
    }
    Ok(failed)
}
