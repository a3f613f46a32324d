//! The box side of the hub link: drains the store's outbox to the hub.
//!
//! Minutes and events go in batches, oldest first; clips one at a time
//! after them. A row leaves the outbox only when the hub has confirmed it,
//! so a hub outage of hours, or a kill -9 of either side, loses nothing; the
//! hub's natural keys make a resent row harmless. Failures back off from
//! 1 s to 60 s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::base::clock::{Backoff, Clock, RealClock};

use crate::config::HubLink;
use crate::store::{Store, StoreError};
use crate::wire::{self, ClipMeta, ClipReply, ErrorReply, Heartbeat, IngestBatch, IngestReply};

#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    #[error("hub {url} unreachable: {message}")]
    Unreachable { url: String, message: String },
    #[error("hub {url} refused the box's token (HTTP {status}). Fix: check [hub] box and token against `liyi hub box list` on the hub")]
    Unauthorized { url: String, status: u16 },
    #[error("hub {url} answered HTTP {status}: {message}")]
    Refused { url: String, status: u16, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one pass moved.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Moved {
    pub rows: u64,
    pub clips: u64,
    /// Clips the hub refused for good (a face found): taken out of the outbox.
    pub clips_refused: u64,
}

pub struct Uplink {
    link: HubLink,
    client: reqwest::Client,
    store: Store,
    clips_dir: PathBuf,
    clock: Arc<dyn Clock>,
    refused_rows: std::sync::atomic::AtomicU64,
}

const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Uplink {
    pub fn new(link: HubLink, store: Store, clips_dir: &Path) -> Result<Uplink, UplinkError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("liyi/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UplinkError::Unreachable { url: link.url.clone(), message: e.to_string() })?;
        Ok(Uplink { link, client, store, clips_dir: clips_dir.to_path_buf(), clock: RealClock::shared(), refused_rows: Default::default() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.link.url)
    }

    /// Sends the oldest batch of minutes and events; returns how many rows
    /// left the outbox (0: nothing was waiting).
    ///
    /// A batch the hub refuses as such (400 or 422: a row it will never
    /// take, such as a minute dated ahead of its clock by a broken camera
    /// clock or a file's timestamps) is sent again row by row: the rows the
    /// hub takes are confirmed, and each row it refuses leaves the queue
    /// with an error naming it and the hub's reason. It stays in the edge
    /// store. So one bad row cannot hold back every row behind it.
    pub async fn push_batch(&self) -> Result<u64, UplinkError> {
        let batch = self.store.next_batch(self.link.batch).await?;
        if batch.is_empty() {
            return Ok(0);
        }
        let body = IngestBatch {
            minutes: batch.minutes.iter().map(|(_, m)| m.clone()).collect(),
            events: batch.events.iter().map(|(_, e)| e.clone()).collect(),
        };
        match self.post_json::<IngestReply>(wire::INGEST_PATH, &body).await {
            Ok(reply) => {
                tracing::debug!(minutes = reply.minutes, events_new = reply.events_new, "batch confirmed");
                Ok(self.store.ack(&batch.tickets()).await?)
            }
            Err(UplinkError::Refused { status: 400 | 422, message, .. }) => {
                tracing::warn!(rows = batch.tickets().len(), %message, "the hub refused a batch; sending its rows one by one");
                self.one_by_one(batch).await
            }
            Err(e) => Err(e),
        }
    }

    /// [`Self::push_batch`]'s fallback: each row of `batch` on its own.
    async fn one_by_one(&self, batch: crate::store::Batch) -> Result<u64, UplinkError> {
        let mut done = 0;
        let singles = batch
            .minutes
            .into_iter()
            .map(|(t, m)| {
                (
                    t,
                    format!("minute {} of window {}", m.minute.map(|m| m.to_rfc3339()).unwrap_or_default(), m.window),
                    IngestBatch { minutes: vec![m], events: vec![] },
                )
            })
            .chain(batch.events.into_iter().map(|(t, e)| {
                (
                    t,
                    format!("{} event at {} in window {}", e.rule.as_str(), e.start.to_rfc3339(), e.window),
                    IngestBatch { minutes: vec![], events: vec![e] },
                )
            }));
        for (ticket, what, body) in singles {
            match self.post_json::<IngestReply>(wire::INGEST_PATH, &body).await {
                Ok(_) => done += self.store.ack(&[ticket]).await?,
                Err(UplinkError::Refused { status: 400 | 422, message, .. }) => {
                    tracing::error!(row = %what, reason = %message, "the hub refused this row; it will not be sent again (it stays in the box's store)");
                    self.store.refuse_queued(ticket, &message).await?;
                    self.refused_rows.fetch_add(1, Ordering::Relaxed);
                    done += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Rows the hub refused for good since this uplink started.
    pub fn refused_rows(&self) -> u64 {
        self.refused_rows.load(Ordering::Relaxed)
    }

    /// Sends the oldest waiting clip; returns false when none waits.
    pub async fn push_clip(&self, moved: &mut Moved) -> Result<bool, UplinkError> {
        let Some((ticket, clip)) = self.store.next_clip().await? else { return Ok(false) };
        let read = |name: &str| std::fs::read(self.clips_dir.join(name));
        let (video, thumbnail, sidecar) = match (read(&clip.video), read(&clip.thumbnail), read(&clip.sidecar)) {
            (Ok(v), Ok(t), Ok(s)) => (v, t, s),
            _ => {
                tracing::warn!(video = %clip.video, "a queued clip's files are gone (retention); it leaves the outbox");
                self.store.leave_unsent(ticket.seq, Some(ticket.revision), "its files are gone (retention or removed by hand)").await?;
                return Ok(true);
            }
        };
        let meta =
            ClipMeta { window: clip.window.clone(), rule: clip.rule.clone(), event_start: clip.event_start, trigger_ts: clip.trigger_ts };
        let part = |bytes: Vec<u8>, name: &str, mime: &str| {
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(mime).expect("static MIME types parse")
        };
        let form = reqwest::multipart::Form::new()
            .part("meta", part(serde_json::to_vec(&meta).expect("clip meta serialises"), "meta.json", "application/json"))
            .part("video", part(video, "clip.mp4", "video/mp4"))
            .part("thumbnail", part(thumbnail, "thumb.png", "image/png"))
            .part("sidecar", part(sidecar, "sidecar.json", "application/json"));
        let resp = self.client.post(self.url(wire::CLIPS_PATH)).bearer_auth(&self.link.token).multipart(form).send().await;
        match self.answer::<ClipReply>(resp).await {
            Ok(reply) => {
                tracing::info!(video = %clip.video, hub_id = reply.id, duplicate = reply.duplicate, "clip delivered");
                moved.clips += 1;
            }
            // 422: the hub's face check found a face. Resending cannot help.
            Err(UplinkError::Refused { status: 422, message, .. }) => {
                tracing::error!(video = %clip.video, %message, "the hub refused the clip (privacy check); it leaves the outbox");
                moved.clips_refused += 1;
                self.store.refuse_queued(ticket, &message).await?;
                return Ok(true);
            }
            Err(e) => return Err(e),
        }
        self.store.ack(&[ticket]).await?;
        Ok(true)
    }

    pub async fn heartbeat(&self, beat: &Heartbeat) -> Result<(), UplinkError> {
        let _: serde_json::Value = self.post_json(wire::HEARTBEAT_PATH, beat).await?;
        Ok(())
    }

    /// Sends everything waiting (metrics first, then clips, if enabled).
    pub async fn drain(&self) -> Result<Moved, UplinkError> {
        let mut moved = Moved::default();
        loop {
            let n = self.push_batch().await?;
            moved.rows += n;
            if n > 0 {
                continue;
            }
            if !self.link.send_clips || !self.push_clip(&mut moved).await? {
                return Ok(moved);
            }
        }
    }

    /// Keeps the outbox within its bounds (clips only).
    pub async fn bound(&self) -> Result<(), UplinkError> {
        let now = self.clock.now_unix();
        let max_bytes = (self.link.outbox_clip_mb * 1e6) as u64;
        let dropped = self.store.bound_outbox(now, self.link.outbox_max_age_days * 86_400.0, max_bytes).await?;
        if !dropped.is_empty() {
            tracing::warn!(clips = dropped.len(), "outbox over its bounds: the oldest clips will not be sent (metrics stay queued)");
        }
        Ok(())
    }

    async fn post_json<T: serde::de::DeserializeOwned>(&self, path: &str, body: &impl serde::Serialize) -> Result<T, UplinkError> {
        let resp = self.client.post(self.url(path)).bearer_auth(&self.link.token).json(body).send().await;
        self.answer(resp).await
    }

    async fn answer<T: serde::de::DeserializeOwned>(&self, resp: reqwest::Result<reqwest::Response>) -> Result<T, UplinkError> {
        let url = self.link.url.clone();
        let resp = resp.map_err(|e| UplinkError::Unreachable { url: url.clone(), message: error_chain(&e) })?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(UplinkError::Unauthorized { url, status: status.as_u16() });
        }
        let text = resp.text().await.map_err(|e| UplinkError::Unreachable { url: url.clone(), message: error_chain(&e) })?;
        if !status.is_success() {
            let message = serde_json::from_str::<ErrorReply>(&text).map(|e| e.error).unwrap_or(text);
            if status.is_server_error() {
                return Err(UplinkError::Unreachable { url, message: format!("HTTP {status}: {message}") });
            }
            return Err(UplinkError::Refused { url, status: status.as_u16(), message });
        }
        serde_json::from_str(&text).map_err(|e| UplinkError::Refused {
            url,
            status: status.as_u16(),
            message: format!("unreadable answer: {e}"),
        })
    }

    /// Runs until `stop`: drains the outbox with backoff on failure, sends a
    /// heartbeat every `heartbeat_s` (from `beat`), and keeps the outbox in
    /// bounds.
    pub async fn run(self, stop: Arc<AtomicBool>, beat: impl Fn(crate::store::OutboxStats) -> Heartbeat) {
        let mut backoff = Backoff::new(Duration::from_secs(1), MAX_BACKOFF);
        let mut pacer = Pacer::new(Arc::clone(&self.clock), Duration::from_secs_f64(self.link.heartbeat_s));
        let mut failing = false;
        // What a heartbeat says of the outbox when the store cannot be read:
        // the last figures read, not zeros (which would hide refused rows
        // just when the store is in trouble).
        let mut last_stats = crate::store::OutboxStats::default();
        while !stop.load(Ordering::Relaxed) {
            if pacer.beat_due() {
                match self.store.outbox_stats().await {
                    Ok(s) => last_stats = s,
                    Err(e) => tracing::warn!(error = %e, "the outbox cannot be read; the heartbeat repeats its last figures"),
                }
                if let Err(e) = self.heartbeat(&beat(last_stats)).await {
                    tracing::debug!(error = %e, "heartbeat not delivered");
                }
            }
            if pacer.bound_due()
                && let Err(e) = self.bound().await
            {
                tracing::warn!(error = %e, "outbox bound check failed");
            }
            let wait = match self.step().await {
                Ok(true) => {
                    if failing {
                        tracing::info!(hub = %self.link.url, "hub reachable again; sending what waited");
                        failing = false;
                    }
                    backoff.reset();
                    Duration::ZERO
                }
                Ok(false) => Duration::from_millis(500),
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "hub link failing; rows stay in the outbox");
                    }
                    failing = true;
                    backoff.next_wait()
                }
            };
            let until = self.clock.elapsed() + wait.min(pacer.until_beat().max(Duration::from_millis(50)));
            while self.clock.elapsed() < until && !stop.load(Ordering::Relaxed) {
                self.clock.sleep(Duration::from_millis(50)).await;
            }
        }
        // A last try for what the agent flushed on its way out (even after
        // failures: the hub may be back before the next backoff step).
        match tokio::time::timeout(Duration::from_secs(10), self.drain()).await {
            Ok(Ok(m)) => tracing::info!(rows = m.rows, clips = m.clips, "outbox drained on exit"),
            Ok(Err(e)) => tracing::warn!(error = %e, "outbox not drained on exit; rows stay queued for the next run"),
            Err(_) => tracing::warn!("outbox not drained within 10 s on exit; rows stay queued for the next run"),
        }
        self.store.close().await;
    }

    /// One unit of work; true when something was sent.
    async fn step(&self) -> Result<bool, UplinkError> {
        if self.push_batch().await? > 0 {
            return Ok(true);
        }
        let mut moved = Moved::default();
        Ok(self.link.send_clips && self.push_clip(&mut moved).await?)
    }
}

/// When the uplink's periodic work is due, on its clock: a heartbeat every
/// `heartbeat_s` (the first at once) and an outbox bound check every minute.
struct Pacer {
    clock: Arc<dyn Clock>,
    heartbeat_every: Duration,
    next_beat: Duration,
    next_bound: Duration,
}

/// How often the outbox's bounds are checked.
const BOUND_EVERY: Duration = Duration::from_secs(60);

impl Pacer {
    fn new(clock: Arc<dyn Clock>, heartbeat_every: Duration) -> Pacer {
        let now = clock.elapsed();
        Pacer { clock, heartbeat_every, next_beat: now, next_bound: now }
    }

    /// Whether a heartbeat is due now; if so, the next is `heartbeat_every` on.
    fn beat_due(&mut self) -> bool {
        let now = self.clock.elapsed();
        (now >= self.next_beat).then(|| self.next_beat = now + self.heartbeat_every).is_some()
    }

    fn bound_due(&mut self) -> bool {
        let now = self.clock.elapsed();
        (now >= self.next_bound).then(|| self.next_bound = now + BOUND_EVERY).is_some()
    }

    /// Time until the next heartbeat is due.
    fn until_beat(&self) -> Duration {
        self.next_beat.saturating_sub(self.clock.elapsed())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod clock_tests {
    use super::*;
    use crate::base::clock::SimulatedClock;

    #[test]
    fn a_heartbeat_is_due_every_heartbeat_s_and_bounds_every_minute() {
        let clock = SimulatedClock::new(1_700_000_000_000);
        let mut p = Pacer::new(Arc::new(clock.clone()), Duration::from_secs(30));
        let (mut beats, mut bounds) = (Vec::new(), Vec::new());
        for s in 0..=300u64 {
            if p.beat_due() {
                beats.push(s);
            }
            if p.bound_due() {
                bounds.push(s);
            }
            clock.advance(Duration::from_secs(1));
        }
        assert_eq!(beats, (0..=300).step_by(30).collect::<Vec<u64>>());
        assert_eq!(bounds, [0, 60, 120, 180, 240, 300]);
        clock.advance(Duration::from_secs(10));
        assert_eq!(p.until_beat(), Duration::from_secs(19));
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets_after_success() {
        let mut b = Backoff::new(Duration::from_secs(1), MAX_BACKOFF);
        let waits: Vec<u64> = (0..9).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_secs(1));
    }
}
