//! The hub's schedule, one tick every few seconds:
//! - after `report.at` (local time), today's summary goes out once per
//!   channel (a failed channel is retried on later ticks);
//! - box and camera health: alerts on the webhook when a box goes silent or
//!   a camera stays down, and when they come back;
//! - retention: clips past `retention.clip_max_age_days` that no trainer
//!   kept are deleted (teaching cases stay until released).

//!
//! The jobs are supervised: each runs in its own task, so a job that fails
//! or panics (the panic ends only that task, caught as its `JoinError`) is
//! logged, raises a `hub_job_failed` health alert once per run of failures,
//! and is retried with a doubling backoff (5 s to 10 min), while the other
//! jobs go on.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeZone;

use super::Hub;
use super::db::Alert;
use super::deliver;
use crate::base::clock::Clock;

pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// One scheduled job: run every `every_s`, or after its backoff when it
/// failed.
pub struct Job {
    pub name: &'static str,
    every_s: f64,
    run: Box<dyn Fn(f64) -> JobFuture + Send + Sync>,
    next_unix: f64,
    /// Failures in a row (0: last run was fine).
    pub failures: u32,
}

impl Job {
    pub fn new(name: &'static str, every_s: f64, run: impl Fn(f64) -> JobFuture + Send + Sync + 'static) -> Job {
        Job { name, every_s, run: Box::new(run), next_unix: f64::MIN, failures: 0 }
    }
}

/// First retry after a failure, and the longest wait between retries.
pub const BACKOFF_MIN_S: f64 = 5.0;
pub const BACKOFF_MAX_S: f64 = 600.0;

fn backoff_s(failures: u32) -> f64 {
    (BACKOFF_MIN_S * 2f64.powi(failures.saturating_sub(1).min(16) as i32)).min(BACKOFF_MAX_S)
}

/// Runs every job that is due at `now`, each in its own task. Returns the
/// failures of this tick, (job, error), after logging them; `on_failure` is
/// called for the first failure of a run (to raise the health alert).
pub async fn tick<F, Fut>(jobs: &mut [Job], now: f64, on_failure: F) -> Vec<(&'static str, String)>
where
    F: Fn(&'static str, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut failed = Vec::new();
    for job in jobs.iter_mut().filter(|j| now >= j.next_unix) {
        let outcome = match tokio::spawn((job.run)(now)).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => Err(format!("panicked: {}", crate::sync::panic_message(&*e.into_panic()))),
            Err(e) => Err(format!("stopped: {e}")),
        };
        match outcome {
            Ok(()) => {
                if job.failures > 0 {
                    tracing::info!(job = job.name, after = job.failures, "hub job recovered");
                }
                job.failures = 0;
                job.next_unix = now + job.every_s;
            }
            Err(e) => {
                job.failures += 1;
                let wait = backoff_s(job.failures);
                job.next_unix = now + wait;
                tracing::error!(job = job.name, failures = job.failures, retry_in_s = wait, error = %e, "hub job failed; retrying");
                if job.failures == 1 {
                    on_failure(job.name, e.clone()).await;
                }
                failed.push((job.name, e));
            }
        }
    }
    failed
}

/// The hub's jobs: the daily summary, health alerts and clip retention.
pub fn jobs(hub: &Arc<Hub>) -> Vec<Job> {
    let started = hub.clock.now_unix();
    let report_backoff_until = Arc::new(Mutex::new(0.0f64));
    let h = Arc::clone(hub);
    let report = Job::new("report", 0.0, move |now| {
        let (hub, until) = (Arc::clone(&h), Arc::clone(&report_backoff_until));
        Box::pin(async move {
            let Some(local) = hub.cfg.timezone.timestamp_opt(now as i64, 0).single().map(|t| t.naive_local()) else { return Ok(()) };
            if local.time() < hub.cfg.report.at || now < *crate::sync::lock(&until) {
                return Ok(());
            }
            // A channel that failed (mail server down) is tried again in a
            // minute; that is delivery, not a failure of the job.
            let failed = super::report::deliver_day(&hub, local.date()).await.map_err(|e| e.to_string())?;
            if !failed.is_empty() {
                *crate::sync::lock(&until) = now + 60.0;
            }
            Ok(())
        })
    });
    let h = Arc::clone(hub);
    let health = Job::new("health", 0.0, move |now| {
        let hub = Arc::clone(&h);
        Box::pin(async move { health(&hub, now, started).await.map_err(|e| e.to_string()) })
    });
    let h = Arc::clone(hub);
    let retention = Job::new("retention", 3600.0, move |now| {
        let hub = Arc::clone(&h);
        Box::pin(async move { retention(&hub, now).await })
    });
    vec![report, health, retention]
}

/// How long the schedule's lease lasts without renewal: a replica that
/// dies is replaced within this plus one tick.
pub const LEASE_S: f64 = 30.0;

/// Runs the hub's jobs on the hub's clock until the process ends, while this
/// process holds the schedule's lease: of hub processes sharing a store,
/// one runs the schedule; when it stops renewing (it died), another takes
/// over.
pub async fn run(hub: Arc<Hub>, tick_every: Duration) {
    let mut jobs = jobs(&hub);
    let mut held = false;
    loop {
        let now = hub.clock.now_unix();
        let holds = match hub.db.hold_lease(super::db::SCHEDULE, &hub.holder, now, LEASE_S).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "the schedule's lease cannot be read; no scheduled work this tick");
                false
            }
        };
        if holds != held {
            if holds {
                tracing::info!(holder = %hub.holder, "this hub process runs the schedule (reports, alerts, retention)");
            } else {
                tracing::info!(holder = %hub.holder, "another hub process runs the schedule");
            }
            held = holds;
        }
        if holds {
            jobs = schedule(jobs, Arc::clone(&hub.clock), Duration::ZERO, Some(1), |now, job, error| {
                let hub = Arc::clone(&hub);
                async move {
                    if let Err(e) = hub.db.raise_hub_alert(now, job, &error).await {
                        tracing::error!(job, error = %e, "the health alert for a failed job could not be stored");
                    }
                }
            })
            .await;
        }
        hub.clock.sleep(tick_every).await;
    }
}

/// Gives the schedule's lease up at a clean stop, so another process takes
/// it at once.
pub async fn release(hub: &Hub) {
    if let Err(e) = hub.db.release_lease(super::db::SCHEDULE, &hub.holder).await {
        tracing::warn!(error = %e, "the schedule's lease was not released; another process takes it when it runs out");
    }
}

/// The scheduler's loop: a [`tick`] at the clock's time, then a sleep of
/// `tick_every` on the clock, for `ticks` ticks (`None`: for ever). Time is
/// read only from `clock`, so a simulated clock runs a day of schedule in
/// moments. `on_failure(now, job, error)` raises the health alert. Returns
/// the jobs, for their state.
pub async fn schedule<F, Fut>(
    mut jobs: Vec<Job>,
    clock: Arc<dyn Clock>,
    tick_every: Duration,
    ticks: Option<u64>,
    on_failure: F,
) -> Vec<Job>
where
    F: Fn(f64, &'static str, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut n = 0u64;
    while ticks.is_none_or(|t| n < t) {
        let now = clock.now_unix();
        tick(&mut jobs, now, |job, error| on_failure(now, job, error)).await;
        clock.sleep(tick_every).await;
        n += 1;
    }
    jobs
}

async fn health(hub: &Hub, now: f64, started: f64) -> Result<(), crate::store::StoreError> {
    let alerts = hub.db.check_health(now, hub.cfg.health.box_silent_s, hub.cfg.health.camera_down_s, started).await?;
    if alerts.is_empty() {
        return Ok(());
    }
    // Undelivered alerts come back every tick while the webhook fails: the
    // log names at most 20 of them each time.
    for a in alerts.iter().take(20) {
        tracing::warn!(kind = %a.kind, box_id = %a.box_id, window = ?a.window, "health alert");
    }
    if alerts.len() > 20 {
        tracing::warn!(more = alerts.len() - 20, "more health alerts (see the health page)");
    }
    if let Some(m) = &hub.mqtt {
        let fresh: Vec<&Alert> = alerts.iter().filter(|a| !a.published).collect();
        for a in &fresh {
            m.alert(&a.kind, &a.box_id, &a.hall, a.window.as_deref(), a.ts_unix);
        }
        hub.db.mark_alerts_published(&fresh.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
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
    let lines = alerts.iter().map(|a| {
        let when = tz.timestamp_opt(a.ts_unix as i64, 0).single().map(|t| t.format("%m-%d %H:%M").to_string()).unwrap_or_default();
        let what = lang.f(
            &format!("alert.{}", a.kind),
            &[("box", a.box_id.clone()), ("hall", a.hall.clone()), ("window", a.window.clone().unwrap_or_default())],
        );
        format!("- {when} {what}\n")
    });
    // A hall-wide outage is many alerts: the robot gets what fits and the
    // count of the rest (the health page lists them all), and every alert
    // counts as delivered, so the message is not rebuilt and refused again.
    crate::hub::render::push_capped(&mut s, lines, lang);
    s += &format!("\n[{}]({link})\n", lang.t("nav.health"));
    s
}

async fn retention(hub: &Hub, now: f64) -> Result<(), String> {
    let files = hub.db.expire_clips(now, hub.cfg.retention_days * 86_400.0).await.map_err(|e| e.to_string())?;
    for f in &files {
        let path = hub.clips_dir().join(f);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "expired clip file not deleted");
        }
    }
    if !files.is_empty() {
        tracing::info!(files = files.len(), "expired clips deleted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// A hall-wide outage: 300 cameras down at once. The robot message
    /// stays under WeCom's 4,096-byte limit and says how many it left out;
    /// a few alerts go out whole.
    #[test]
    fn alert_messages_fit_the_robots_however_many_alerts() {
        let alert = |i: i64| Alert {
            id: i,
            ts_unix: 1_764_300_000.0 + i as f64,
            kind: "camera_down".into(),
            box_id: format!("box-{i:03}"),
            hall: "城关镇便民服务中心".into(),
            window: Some(format!("w{i:02}")),
            published: false,
        };
        for lang in [Lang::Zh, Lang::En] {
            let many: Vec<Alert> = (0..300).map(alert).collect();
            let md = alert_markdown(&many, lang, chrono_tz::Asia::Shanghai, "http://hub/health");
            assert!(md.len() < 4_096, "{} bytes", md.len());
            let shown = md.lines().filter(|l| l.contains("box-")).count();
            let more = lang.f("alert.more", &[("n", (300 - shown).to_string())]);
            assert!(shown > 5 && md.contains(&more) && md.contains("(http://hub/health)"), "{md}");
            let few: Vec<Alert> = (0..3).map(alert).collect();
            let md = alert_markdown(&few, lang, chrono_tz::Asia::Shanghai, "http://hub/health");
            assert_eq!(md.lines().filter(|l| l.contains("box-")).count(), 3);
            assert!(!md.contains(&lang.f("alert.more", &[("n", "0".into())])));
        }
    }
}
