//! The hub's schedule, one tick every few seconds:
//! - after `report.at` (local time), today's summary goes out once per
//!   channel (a failed channel is retried on later ticks);
//! - box and camera health: alerts on the webhook when a box goes silent or
//!   a camera stays down, and when they come back;
//! - retention: clips past `retention.clip_max_age_days` that no trainer
//!   kept are deleted (teaching cases stay until released).

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;

use super::Hub;
use super::db::{Alert, now_unix};
use super::deliver;

pub async fn run(hub: Arc<Hub>, tick: Duration) {
    let started = now_unix();
    let mut last_retention = 0.0;
    let mut report_backoff_until = 0.0;
    loop {
        let now = now_unix();
        let local = hub.cfg.timezone.timestamp_opt(now as i64, 0).single().map(|t| t.naive_local());
        if let Some(local) = local {
            if local.time() >= hub.cfg.report.at && now >= report_backoff_until {
                match super::report::deliver_day(&hub, local.date()).await {
                    Ok(failed) if !failed.is_empty() => report_backoff_until = now + 60.0,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "daily summary failed"),
                }
            }
        }
        if let Err(e) = health(&hub, now, started).await {
            tracing::error!(error = %e, "health check failed");
        }
        if now - last_retention > 3600.0 {
            last_retention = now;
            retention(&hub, now).await;
        }
        tokio::time::sleep(tick).await;
    }
}

async fn health(hub: &Hub, now: f64, started: f64) -> Result<(), crate::store::StoreError> {
    let alerts = hub.db.check_health(now, hub.cfg.health.box_silent_s, hub.cfg.health.camera_down_s, started).await?;
    if alerts.is_empty() {
        return Ok(());
    }
    for a in &alerts {
        tracing::warn!(kind = %a.kind, box_id = %a.box_id, window = ?a.window, "health alert");
    }
    let Some(hook) = &hub.cfg.webhook else {
        let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
        return hub.db.mark_alerts_delivered(&ids).await;
    };
    let lang = hub.cfg.language;
    let text = alert_markdown(&alerts, lang, hub.cfg.timezone, &format!("{}/health", hub.cfg.public_url));
    match deliver::webhook(hook, lang.t("alert.title"), &text).await {
        Ok(()) => hub.db.mark_alerts_delivered(&alerts.iter().map(|a| a.id).collect::<Vec<_>>()).await,
        Err(e) => {
            tracing::warn!(error = %e, "health alert not delivered; will retry");
            Ok(())
        }
    }
}

pub fn alert_markdown(alerts: &[Alert], lang: crate::i18n::Lang, tz: chrono_tz::Tz, link: &str) -> String {
    let mut s = format!("### {}\n", lang.t("alert.title"));
    for a in alerts {
        let when = tz.timestamp_opt(a.ts_unix as i64, 0).single().map(|t| t.format("%m-%d %H:%M").to_string()).unwrap_or_default();
        let what = lang.f(&format!("alert.{}", a.kind), &[("box", a.box_id.clone()), ("hall", a.hall.clone()), ("window", a.window.clone().unwrap_or_default())]);
        s += &format!("- {when} {what}\n");
    }
    s += &format!("\n[{}]({link})\n", lang.t("nav.health"));
    s
}

async fn retention(hub: &Hub, now: f64) {
    match hub.db.expire_clips(now, hub.cfg.retention_days * 86_400.0).await {
        Ok(files) => {
            for f in &files {
                let path = hub.clips_dir().join(f);
                if let Err(e) = std::fs::remove_file(&path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(path = %path.display(), error = %e, "expired clip file not deleted");
                    }
                }
            }
            if !files.is_empty() {
                tracing::info!(files = files.len(), "expired clips deleted");
            }
        }
        Err(e) => tracing::error!(error = %e, "clip retention failed"),
    }
}
