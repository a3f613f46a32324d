//! One day's summary from the store, and its delivery.

use chrono::{Datelike, NaiveDate};

use super::Hub;
use super::db::Claim;
use super::summary::{self, DaySummary, Thresholds};
use super::{deliver, render};
use crate::store::StoreError;

/// The summary of `date` (hub timezone), optionally for one hall. It reads
/// the quarter-hour roll-ups, and the minutes only of the quarters a false
/// alarm touches (their time is given back minute by minute).
pub async fn build(hub: &Hub, date: NaiveDate, hall: Option<&str>) -> Result<DaySummary, StoreError> {
    let tz = hub.cfg.timezone;
    let (from, to) = summary::day_bounds(date, tz);
    // Rows that do not read are named and left out, not fatal.
    let (mut minutes, mut skipped) = hub.db.quarters_checked(from, to, hall).await?;
    let (events, bad) = hub.db.events_checked(from, to, hall).await?;
    skipped.extend(bad);
    credit_false_alarms(&hub.db, &mut minutes, &events).await?;
    let (health, bad) = hub.db.health_checked(date, hall).await?;
    skipped.extend(bad);
    let week_before = date.checked_sub_days(chrono::Days::new(7)).unwrap_or(date);
    let week_from = summary::day_bounds(week_before, tz).0;
    let (mut past, bad) = hub.db.quarters_checked(week_from, from, hall).await?;
    skipped.extend(bad);
    let (past_events, bad) = hub.db.events_checked(week_from - 86_400.0, from, hall).await?;
    skipped.extend(bad);
    credit_false_alarms(&hub.db, &mut past, &past_events).await?;
    let history = summary::daily_rates(&past, tz);
    let th = Thresholds { attention_below: hub.cfg.report.attention_below, attention_unknown: hub.cfg.report.attention_unknown };
    let mut s = summary::summarise(date, tz, minutes, events, &health, &history, th);
    skipped.sort();
    skipped.dedup();
    s.skipped_rows = skipped;
    Ok(s)
}

/// Gives false alarms' time back in quarter-hour rows: each quarter a
/// false alarm touches is summed again from its minutes, credited minute by
/// minute ([`summary::without_false_alarms`]), as the minutes would be.
pub async fn credit_false_alarms(
    db: &super::HubDb,
    quarters: &mut [summary::MinuteRow],
    events: &[summary::EventRow],
) -> Result<(), StoreError> {
    use super::db::quarters::{QUARTER_MS, Sums, quarter_of};
    let q_s = (QUARTER_MS / 1000) as f64;
    let mut touched: std::collections::BTreeSet<(String, String, i64)> = Default::default();
    // Only the quarters this report holds can be credited: an event's span
    // is walked within them, so a damaged row (an end far in the future)
    // costs no more than the report's own quarters.
    let ms = |r: &summary::MinuteRow| (r.minute_unix * 1000.0).round() as i64;
    let (Some(first), Some(last)) = (quarters.iter().map(ms).min(), quarters.iter().map(ms).max()) else { return Ok(()) };
    for e in events.iter().filter(|e| e.false_alarm) {
        let mut q = quarter_of((e.start_unix * 1000.0).floor() as i64).max(quarter_of(first));
        while (q as f64) / 1000.0 < e.end_unix && q <= last {
            touched.insert((e.box_id.clone(), e.window.clone(), q));
            q += QUARTER_MS;
        }
    }
    if touched.is_empty() {
        return Ok(());
    }
    let index: std::collections::HashMap<(&str, &str, i64), usize> = quarters
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.box_id.as_str(), r.window.as_str(), (r.minute_unix * 1000.0).round() as i64), i))
        .collect();
    let found: Vec<(usize, i64)> =
        touched.iter().filter_map(|(b, w, q)| index.get(&(b.as_str(), w.as_str(), *q)).map(|&i| (i, *q))).collect();
    for (i, q) in found {
        let start = q as f64 / 1000.0;
        let (b, w) = (quarters[i].box_id.clone(), quarters[i].window.clone());
        let mut minutes = db.window_minutes(&b, &w, start, start + q_s).await?;
        // Only this window's events over this quarter: the work stays
        // proportional to the quarters touched, not to their square.
        let here: Vec<summary::EventRow> =
            events.iter().filter(|e| e.box_id == b && e.window == w && e.start_unix < start + q_s && e.end_unix > start).cloned().collect();
        summary::without_false_alarms(&mut minutes, &here);
        let mut sums = Sums::default();
        for m in &minutes {
            sums.add(m);
        }
        quarters[i] = sums.row(&quarters[i], start);
    }
    Ok(())
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
    let weeks = weeks.clamp(1, 520);
    let this_monday = today.checked_sub_days(chrono::Days::new(today.weekday().num_days_from_monday() as u64)).unwrap_or(today);
    let first = this_monday.checked_sub_days(chrono::Days::new(7 * (weeks as u64 - 1))).unwrap_or(this_monday);
    let (from, _) = summary::day_bounds(first, tz);
    let (_, to) = summary::day_bounds(today, tz);
    let mut minutes = hub.db.quarters_checked(from, to, hall).await?.0;
    let events = hub.db.events_between(from, to, hall).await?;
    credit_false_alarms(&hub.db, &mut minutes, &events).await?;
    let daily = summary::daily_rates(&minutes, tz);
    let labels: Vec<String> = (0..weeks).map(|k| (first + chrono::Days::new(7 * k as u64)).format("%m-%d").to_string()).collect();
    let mut keys: Vec<String> = vec![String::new()];
    keys.extend(daily.keys().filter(|(_, k)| k.starts_with("hall:")).map(|(_, k)| k.clone()).collect::<std::collections::BTreeSet<_>>());
    let series = keys
        .into_iter()
        .map(|key| {
            let values = (0..weeks)
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

/// A claim older than this whose holder never said the report went out:
/// that process died while sending. The report may or may not have gone
/// out, so it is not sent again; an alert asks a person to check.
pub const CLAIM_STALE_S: f64 = 600.0;

/// Sends `date`'s summary on every configured channel that has not had it
/// yet; returns the channels that failed (tried again on the next tick).
/// Each channel is claimed in the store before it is sent, so of several
/// hub processes one sends it, once.
pub async fn deliver_day(hub: &Hub, date: NaiveDate) -> Result<Vec<String>, StoreError> {
    let lang = hub.cfg.language;
    let mut failed = Vec::new();
    let mut channels: Vec<&str> = Vec::new();
    // Each attempt claims under its own name: if a report went out and
    // recording that failed, the next attempt finds the claim taken (by
    // the earlier attempt) and does not send it again.
    let attempt = format!("{}#{}", hub.holder, &crate::secret::random_token()[..8]);
    let attempt = attempt.as_str();
    for (channel, configured) in [("email", hub.cfg.email.is_some()), ("webhook", hub.cfg.webhook.is_some())] {
        if configured && claim(hub, date, channel, attempt).await? {
            channels.push(channel);
        }
    }
    if channels.is_empty() {
        return Ok(failed);
    }
    let s = match build(hub, date, None).await {
        Ok(s) => s,
        Err(e) => {
            for channel in &channels {
                hub.db.release_report(date, channel, attempt).await?;
            }
            return Err(e);
        }
    };
    let link = link(hub, date);
    for channel in channels {
        let sent = match (channel, &hub.cfg.email, &hub.cfg.webhook) {
            ("email", Some(email), _) => {
                let html = render::summary_html(&s, lang, None, "", None, &[], hub.now_utc()).unwrap_or_default();
                deliver::email(email, &render::subject(&s, lang), &render::summary_text(&s, lang, &link), &html)
                    .await
                    .map_err(|e| e.to_string())
            }
            (_, _, Some(hook)) => deliver::webhook(hook, &render::subject(&s, lang), &render::summary_markdown(&s, lang, &link))
                .await
                .map_err(|e| e.to_string()),
            _ => continue,
        };
        match sent {
            Ok(()) => {
                hub.db.report_delivered(date, channel, hub.clock.now_unix()).await?;
                tracing::info!(%date, channel, "daily summary delivered");
            }
            Err(e) => {
                hub.db.release_report(date, channel, attempt).await?;
                tracing::warn!(error = %e, channel, "daily summary not delivered; will retry");
                failed.push(e);
            }
        }
    }
    Ok(failed)
}

/// Whether this process may send `date`'s report on `channel` now.
async fn claim(hub: &Hub, date: NaiveDate, channel: &str, attempt: &str) -> Result<bool, StoreError> {
    let now = hub.clock.now_unix();
    match hub.db.claim_report(date, channel, attempt, now).await? {
        Claim::Mine => Ok(true),
        Claim::Sent => Ok(false),
        Claim::Taken { holder, since } => {
            if now - since > CLAIM_STALE_S && !holder.starts_with(UNCONFIRMED) {
                // Said once: the claim is renamed so later ticks keep quiet.
                hub.db.rename_claim(date, channel, &holder, &format!("{UNCONFIRMED}{holder}")).await?;
                hub.db
                    .raise_hub_alert(
                        now,
                        "report",
                        &format!(
                            "the {date} report on {channel} was being sent by {holder}, which stopped before saying it went out; \
                             it is not sent again: check, and send it with `liyi report --date {date} --send` if it did not arrive"
                        ),
                    )
                    .await?;
            }
            Ok(false)
        }
    }
}

/// The prefix of a claim whose holder died while sending.
const UNCONFIRMED: &str = "unconfirmed:";
