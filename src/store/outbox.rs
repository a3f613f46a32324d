//! The outbox: what the hub has not confirmed yet (schema v3).
//!
//! Rows are queued in the same transaction that stores the minute, event or
//! clip, so a kill -9 can never store a row without queueing it. They leave
//! only when the hub confirms them ([`Store::ack`]), or, for clips only, when
//! the outbox is over its bounds ([`Store::bound_outbox`]). The hub keys
//! every row by box, window and minute / event / clip, so sending a row twice
//! (confirmation lost in a crash) stores it once.

use super::{ClipRow, Cols, Store, StoreError};
use crate::rules::{Event, MinuteMetrics};

/// Kinds of outbox rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Minute,
    Event,
    Clip,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Minute => "minute",
            Kind::Event => "event",
            Kind::Clip => "clip",
        }
    }
}

/// One queued row, as sent: its place in the outbox and the revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub seq: i64,
    pub revision: i64,
}

/// The oldest waiting minutes and events, in queue order (so per window in
/// the order they were stored).
#[derive(Debug, Default)]
pub struct Batch {
    pub minutes: Vec<(Ticket, MinuteMetrics)>,
    pub events: Vec<(Ticket, Event)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.events.is_empty()
    }

    pub fn tickets(&self) -> Vec<Ticket> {
        self.minutes.iter().map(|(t, _)| *t).chain(self.events.iter().map(|(t, _)| *t)).collect()
    }
}

/// A queued row, read.
enum Queued {
    Minute(Ticket, MinuteMetrics),
    Event(Ticket, Event),
}

/// A row that left the queue without reaching the hub.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsent {
    pub kind: String,
    pub window: Option<String>,
    pub reason: String,
    pub at_unix: f64,
}

/// How full the outbox is.
#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxStats {
    pub minutes: i64,
    pub events: i64,
    pub clips: i64,
    pub clip_bytes: i64,
    /// When the oldest waiting row was queued (unix seconds).
    pub oldest_unix: Option<f64>,
    /// Rows that left the queue without reaching the hub, ever: refused by
    /// it for good, or unreadable here (the `unsent` table; each row stays
    /// in its own table). Absent from older boxes' heartbeats: `None`,
    /// shown as unknown, not as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsent: Option<i64>,
}

/// The reason an `unsent` row keeps, at most this many characters.
const MAX_REASON_CHARS: usize = 300;

impl Store {
    /// Queues rows from now on (a box with `[hub]`). Rows stored before
    /// are not queued.
    pub fn with_outbox(mut self) -> Store {
        self.outbox = true;
        self
    }

    pub fn has_outbox(&self) -> bool {
        self.outbox
    }

    /// The oldest waiting minutes and events, at most `limit` in all.
    ///
    /// A queued row that cannot be read (a damaged or hand-edited file) is
    /// named in a warning and leaves the queue, so it cannot hold back every
    /// row behind it; the row itself stays in its table, as stored.
    pub async fn next_batch(&self, limit: usize) -> Result<Batch, StoreError> {
        let rows = sqlx::query(
            "SELECT o.seq, o.revision, o.kind, o.ref FROM outbox o WHERE o.kind IN ('minute', 'event') ORDER BY o.seq LIMIT ?1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let mut batch = Batch::default();
        for r in rows {
            let c = Cols::of(&self.path, "outbox", &r);
            let seq: i64 = c.get("seq")?;
            match self.queued(&c).await {
                Ok(Some(Queued::Minute(t, m))) => batch.minutes.push((t, m)),
                Ok(Some(Queued::Event(t, e))) => batch.events.push((t, e)),
                Ok(None) => self.drop_queued(seq, c.get("revision").ok(), "it points at nothing").await?,
                Err(e @ StoreError::Row { .. }) => {
                    self.drop_queued(seq, c.get("revision").ok(), &format!("it cannot be read ({e})")).await?
                }
                Err(e) => return Err(e),
            }
        }
        Ok(batch)
    }

    /// The minute or event a queued row points at; `None` if it is gone.
    async fn queued(&self, c: &Cols<'_, '_>) -> Result<Option<Queued>, StoreError> {
        let ticket = Ticket { seq: c.get("seq")?, revision: c.get("revision")? };
        let (kind, id): (String, i64) = (c.get("kind")?, c.get("ref")?);
        Ok(if kind == "minute" {
            let row = sqlx::query(
                "SELECT window, minute, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json FROM minute WHERE rowid = ?1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
            row.map(|row| self.minute_from(&row).map(|m| Queued::Minute(ticket, m))).transpose()?
        } else {
            let row =
                sqlx::query("SELECT window, rule, start, end, duration_s, confidence, closed_by, values_json FROM event WHERE id = ?1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(self.sql())?;
            row.map(|row| self.event_from(&row).map(|e| Queued::Event(ticket, e))).transpose()?
        })
    }

    /// Takes a row the hub refused for good out of the queue (it stays in
    /// its table), unless it was rewritten since it was sent: then the new
    /// revision is sent in its turn.
    ///
    /// The row is recorded in `unsent` with the hub's reason, in the same
    /// transaction, so a box's count of rows the hub never got survives
    /// restarts and reaches `/status` and the heartbeat.
    pub async fn refuse_queued(&self, t: Ticket, why: &str) -> Result<(), StoreError> {
        tracing::warn!(seq = t.seq, "outbox row dropped: the hub refused it ({why}); the stored row is kept");
        // As a confirmation does: a newer revision stays queued.
        self.leave_unsent(t.seq, Some(t.revision), &format!("refused by the hub: {why}")).await
    }

    /// Takes an unreadable queued row out of the queue, recorded in `unsent`.
    /// At `revision` when it could be read: a row rewritten since (and so
    /// perhaps readable now) stays queued.
    async fn drop_queued(&self, seq: i64, revision: Option<i64>, why: &str) -> Result<(), StoreError> {
        tracing::warn!(seq, "outbox row dropped: {why}; the stored row, if any, is kept");
        self.leave_unsent(seq, revision, why).await
    }

    /// Takes queued row `seq` out of the queue (only at `revision`, when
    /// given) and records it in `unsent`, in one transaction.
    pub(crate) async fn leave_unsent(&self, seq: i64, revision: Option<i64>, why: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        record_unsent(&mut tx, seq, revision, why).await.map_err(self.sql())?;
        tx.commit().await.map_err(self.sql())
    }

    /// The latest rows that never reached the hub, newest first: kind,
    /// window, reason and when (unix seconds).
    pub async fn unsent(&self, limit: usize) -> Result<Vec<Unsent>, StoreError> {
        let rows = sqlx::query("SELECT kind, window, reason, at_unix FROM unsent ORDER BY id DESC LIMIT ?1")
            .bind(limit.min(i64::MAX as usize) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        rows.iter()
            .map(|r| {
                let c = Cols::of(&self.path, "unsent", r);
                Ok(Unsent { kind: c.get("kind")?, window: c.get("window")?, reason: c.get("reason")?, at_unix: c.get("at_unix")? })
            })
            .collect()
    }

    /// The oldest waiting clip.
    pub async fn next_clip(&self) -> Result<Option<(Ticket, ClipRow)>, StoreError> {
        let row = sqlx::query(
            "SELECT o.seq, o.revision, c.id, c.window, c.rule, c.event_start, c.trigger_ts, c.created_unix, c.video, c.thumbnail, c.sidecar, c.bytes
             FROM outbox o JOIN clip c ON c.id = o.ref WHERE o.kind = 'clip' ORDER BY o.seq LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(self.sql())?;
        let Some(r) = row else { return Ok(None) };
        let c = Cols::of(&self.path, "outbox", &r);
        match (self.clip_from(&r), c.get("revision")) {
            (Ok(clip), Ok(revision)) => Ok(Some((Ticket { seq: c.get("seq")?, revision }, clip))),
            (Err(e @ StoreError::Row { .. }), _) | (_, Err(e @ StoreError::Row { .. })) => {
                // Whatever its revision: the row always goes, so the search
                // below cannot meet it again.
                self.drop_queued(c.get("seq")?, None, &format!("it cannot be read ({e})")).await?;
                Box::pin(self.next_clip()).await
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }

    /// Removes rows the hub confirmed; a row rewritten since it was sent
    /// (a newer revision) stays queued.
    pub async fn ack(&self, tickets: &[Ticket]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let mut n = 0;
        for t in tickets {
            n += sqlx::query("DELETE FROM outbox WHERE seq = ?1 AND revision = ?2")
                .bind(t.seq)
                .bind(t.revision)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?
                .rows_affected();
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(n)
    }

    pub async fn outbox_stats(&self) -> Result<OutboxStats, StoreError> {
        let r = sqlx::query(
            "SELECT COALESCE(SUM(kind = 'minute'), 0) AS m, COALESCE(SUM(kind = 'event'), 0) AS e, COALESCE(SUM(kind = 'clip'), 0) AS c,
                    COALESCE(SUM(CASE WHEN kind = 'clip' THEN bytes ELSE 0 END), 0) AS b, MIN(enqueued_unix) AS oldest,
                    (SELECT COUNT(*) FROM unsent) AS u FROM outbox",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(self.sql())?;
        let c = Cols::of(&self.path, "outbox", &r);
        Ok(OutboxStats {
            minutes: c.get("m")?,
            events: c.get("e")?,
            clips: c.get("c")?,
            clip_bytes: c.get("b")?,
            oldest_unix: c.get("oldest")?,
            unsent: Some(c.get("u")?),
        })
    }

    /// Keeps the outbox within bounds: clips queued before `now - max_age_s`
    /// leave it, then the oldest clips until at most `max_clip_bytes` wait.
    /// Minutes and events always stay. Returns the clips taken out.
    pub async fn bound_outbox(&self, now_unix: f64, max_age_s: f64, max_clip_bytes: u64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT seq, ref, bytes, enqueued_unix FROM outbox WHERE kind = 'clip' ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        // (seq, ref, bytes, enqueued): a value that cannot be read counts as
        // 0 bytes, queued long ago, so the bound takes it out first.
        let rows: Vec<(i64, Option<i64>, u64, f64)> = rows
            .iter()
            .map(|r| {
                let c = Cols::of(&self.path, "outbox", r);
                let bytes = c.get::<i64, _>("bytes").map_or(0, |b| b.max(0) as u64);
                Ok((c.get("seq")?, c.get("ref").ok(), bytes, c.get("enqueued_unix").unwrap_or(f64::NEG_INFINITY)))
            })
            .collect::<Result<_, StoreError>>()?;
        let mut total: u64 = rows.iter().map(|r| r.2).fold(0, u64::saturating_add);
        let mut dropped = Vec::new();
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        for &(seq, clip, bytes, enqueued) in &rows {
            let too_old = enqueued.is_nan() || enqueued < now_unix - max_age_s;
            if !too_old && total <= max_clip_bytes {
                break;
            }
            total = total.saturating_sub(bytes);
            let why = if too_old {
                format!("the outbox bound: queued more than {:.0} days ago (outbox_max_age_days)", max_age_s / 86_400.0)
            } else {
                format!("the outbox bound: over {} MB of clips waiting (outbox_clip_mb)", max_clip_bytes / 1_000_000)
            };
            record_unsent(&mut tx, seq, None, &why).await.map_err(self.sql())?;
            dropped.extend(clip);
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(dropped)
    }
}

/// Inside the caller's transaction: deletes queued row `seq` (only at
/// `revision`, when given) and, if it went, records it in `unsent` with
/// `why` (bounded). A damaged row's kind, ref and window may be anything:
/// what is not of its type is recorded as unknown.
async fn record_unsent(tx: &mut sqlx::SqliteConnection, seq: i64, revision: Option<i64>, why: &str) -> Result<(), sqlx::Error> {
    let copied = sqlx::query(
        "INSERT INTO unsent (kind, ref, window, reason, at_unix)
         SELECT CASE WHEN kind IN ('minute', 'event', 'clip') THEN kind ELSE 'unknown' END, CASE WHEN typeof(ref) = 'integer' THEN ref END,
                CASE WHEN typeof(window) = 'text' THEN window END, ?3, ?4
         FROM outbox WHERE seq = ?1 AND (?2 IS NULL OR revision = ?2)",
    )
    .bind(seq)
    .bind(revision)
    .bind(crate::wire::bounded_text(why, MAX_REASON_CHARS))
    .bind(crate::base::clock::now_unix())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if copied > 0 {
        sqlx::query("DELETE FROM outbox WHERE seq = ?1").bind(seq).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Queues a row inside the caller's transaction (`ON CONFLICT`: a row still
/// waiting gets a new revision, so a confirmation of the old one keeps it).
pub(super) async fn enqueue(tx: &mut sqlx::SqliteConnection, kind: Kind, id: i64, window: &str, bytes: u64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (kind, ref, window, enqueued_unix, bytes) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, ref) DO UPDATE SET revision = revision + 1, bytes = excluded.bytes",
    )
    .bind(kind.as_str())
    .bind(id)
    .bind(window)
    .bind(chrono::Utc::now().timestamp_millis() as f64 / 1000.0)
    .bind(bytes as i64)
    .execute(tx)
    .await?;
    Ok(())
}
