//! The edge store: events and minute metrics in one SQLite file (WAL mode),
//! with explicit, numbered schema upgrades (`schema/vN.sql`) tracked in
//! `PRAGMA user_version`. Media never goes in here.
//!
//! Written with `sqlx`, the crate the hub uses too, so a PostgreSQL back end
//! can follow without a rewrite.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::rules::{Event, MinuteMetrics, RuleCode};

/// Upgrades, in order: `SCHEMA[i]` takes the store from version `i` to `i + 1`.
const SCHEMA: &[&str] = &[
    include_str!("schema/v1.sql"),
    include_str!("schema/v2.sql"),
    include_str!("schema/v3.sql"),
    include_str!("schema/v4.sql"),
    include_str!("schema/v5.sql"),
];

/// `closed_by` of an event that has begun and not ended yet (stored with
/// `end` = `start` and no duration).
pub const OPEN: &str = "open";
/// `closed_by` of an event that was open when the agent was killed, closed
/// at start-up at the last time its window was observed.
pub const INTERRUPTED: &str = "interrupted";

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = SCHEMA.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {message}. Fix: {fix}")]
    Open { path: PathBuf, message: String, fix: String },
    #[error(
        "store {path} has schema version {found}, newer than this liyi understands ({known}). Fix: upgrade liyi; the file was left untouched"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("store {path}: {source}")]
    Sql { path: PathBuf, source: sqlx::Error },
    #[error("store {path}: a stored row is malformed: {message}")]
    Row { path: PathBuf, message: String },
}

impl StoreError {
    /// Whether the store itself failed (full disk, I/O error, a corrupt,
    /// read-only or locked file, the pool gone), so the same write may
    /// succeed later; otherwise the row itself was refused and retrying it
    /// cannot help.
    pub fn is_storage_failure(&self) -> bool {
        match self {
            StoreError::Open { .. } | StoreError::TooNew { .. } => true,
            StoreError::Row { .. } => false,
            StoreError::Sql { source, .. } => sql_is_storage_failure(source),
        }
    }
}

/// SQLite primary result codes that say the storage failed, not the row:
/// BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
const STORAGE_CODES: [i64; 9] = [5, 6, 8, 10, 11, 13, 14, 15, 26];

fn sql_is_storage_failure(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            // sqlx gives the extended code; its low byte is the primary one.
            db.code().and_then(|c| c.parse::<i64>().ok()).is_none_or(|c| STORAGE_CODES.contains(&(c & 0xff)))
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

mod outbox;

pub use outbox::{Batch, Kind, OutboxStats, Ticket, Unsent};

/// A stored row read column by column: a NULL or a value of the wrong type
/// (the tables are not STRICT, and a damaged or hand-edited file may hold
/// anything) is a [`StoreError::Row`] naming the table, the column and what
/// was found, never a panic.
struct Cols<'a, 'r> {
    path: &'a Path,
    table: &'static str,
    r: &'r sqlx::sqlite::SqliteRow,
}

impl<'a, 'r> Cols<'a, 'r> {
    fn of(path: &'a Path, table: &'static str, r: &'r sqlx::sqlite::SqliteRow) -> Self {
        Cols { path, table, r }
    }

    fn get<T, I>(&self, column: I) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
        I: sqlx::ColumnIndex<sqlx::sqlite::SqliteRow> + std::fmt::Display + Copy,
    {
        self.r.try_get(column).map_err(|e| {
            let why = match e {
                sqlx::Error::ColumnDecode { source, .. } => source.to_string(),
                e => e.to_string(),
            };
            StoreError::Row { path: self.path.to_path_buf(), message: format!("{}.{column}: {why}", self.table) }
        })
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.get(column)
    }
}

/// An open edge store. Clones share the connection pool (one writer thread
/// and the uploader use it side by side; WAL lets them).
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    /// Queue every new row for the hub (`[hub]` is configured).
    outbox: bool,
}

impl Store {
    /// Opens (creating if needed) and upgrades the store at `path`.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let pool = open_pool(path, 3).await?;
        migrate(&pool, path, SCHEMA).await?;
        Ok(Store { pool, path: path.to_path_buf(), outbox: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Sql { path: self.path.clone(), source }
    }

    /// The schema version on disk.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        schema_version(&self.pool, &self.path).await
    }

    /// Stores events that have just begun, open: `end` = `start`, no
    /// duration, `closed_by` = [`OPEN`]. An event already stored is left as
    /// it is. [`Store::insert_events`] closes them when they end; at
    /// start-up [`Store::close_interrupted`] closes what a kill left open.
    pub async fn open_events(&self, window: &str, began: &[(RuleCode, DateTime<FixedOffset>)]) -> Result<u64, StoreError> {
        let events: Vec<Event> = began
            .iter()
            .map(|(rule, start)| Event {
                window: window.to_string(),
                rule: *rule,
                start: *start,
                end: *start,
                duration_s: 0.0,
                confidence: 0.0,
                closed_by: OPEN.to_string(),
                values: Default::default(),
            })
            .collect();
        self.insert_events(&events).await
    }

    /// Stores events. An event already stored (same window, rule and start)
    /// is left as it is, unless it is stored open and this one is closed:
    /// then it is replaced and queued again (a new outbox revision). Returns
    /// how many rows were added or closed.
    pub async fn insert_events(&self, events: &[Event]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let mut added = 0;
        for e in events {
            let values = serde_json::to_string(&e.values).expect("a map of numbers serialises");
            let r = sqlx::query(
                "INSERT INTO event (window, rule, start, start_unix, end, duration_s, confidence, closed_by, values_json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (window, rule, start) DO UPDATE SET
                   end = excluded.end, duration_s = excluded.duration_s, confidence = excluded.confidence,
                   closed_by = excluded.closed_by, values_json = excluded.values_json
                 WHERE event.closed_by = 'open' AND excluded.closed_by <> 'open'
                 RETURNING id",
            )
            .bind(&e.window)
            .bind(e.rule.as_str())
            .bind(e.start.to_rfc3339())
            .bind(unix(e.start))
            .bind(e.end.to_rfc3339())
            .bind(e.duration_s)
            .bind(f64::from(e.confidence))
            .bind(&e.closed_by)
            .bind(values)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.sql())?;
            if let Some(r) = r {
                added += 1;
                if self.outbox {
                    outbox::enqueue(&mut tx, Kind::Event, Cols::of(&self.path, "event", &r).get(0)?, &e.window, 0)
                        .await
                        .map_err(self.sql())?;
                }
            }
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(added)
    }

    /// Closes the events a kill left open (`closed_by` = [`INTERRUPTED`]) at
    /// the last time the agent is known to have observed their window: the
    /// end of the window's latest stored minute, or the event's start if that
    /// is earlier. Queues them for the hub. Returns the closed events.
    pub async fn close_interrupted(&self) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.window, e.rule, e.start, e.end, e.duration_s, e.confidence, e.closed_by, e.values_json,
                    (SELECT MAX(m.minute_unix) FROM minute m WHERE m.window = e.window) AS last_minute
             FROM event e WHERE e.closed_by = 'open' ORDER BY e.start_unix, e.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let mut closed = Vec::new();
        for r in &rows {
            let mut e = self.event_from(r)?;
            if let Some(last) = Cols::of(&self.path, "minute", r).get::<Option<f64>, _>("last_minute")? {
                let ms = ((last + 60.0) * 1000.0).round() as i64;
                if let Some(t) = DateTime::from_timestamp_millis(ms) {
                    e.end = t.with_timezone(e.start.offset()).max(e.start);
                }
            }
            e.duration_s = (e.end - e.start).num_milliseconds() as f64 / 1000.0;
            e.closed_by = INTERRUPTED.to_string();
            closed.push(e);
        }
        self.insert_events(&closed).await?;
        Ok(closed)
    }

    /// Stores minute metrics, replacing a stored row for the same window and
    /// minute (a minute is rewritten until it is complete).
    pub async fn upsert_minutes(&self, minutes: &[MinuteMetrics]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        for m in minutes {
            let Some(minute) = m.minute else { continue };
            let rules = serde_json::to_string(&m.rules).expect("rule metrics serialise");
            let r = sqlx::query(
                "INSERT INTO minute (window, minute, minute_unix, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (window, minute_unix) DO UPDATE SET
                   observed_s = excluded.observed_s, in_service_s = excluded.in_service_s, staffed_s = excluded.staffed_s,
                   compliant_s = excluded.compliant_s, unknown_s = excluded.unknown_s, rules_json = excluded.rules_json
                 RETURNING rowid",
            )
            .bind(&m.window)
            .bind(minute.to_rfc3339())
            .bind(unix(minute))
            .bind(m.observed_s)
            .bind(m.in_service_s)
            .bind(m.staffed_s)
            .bind(m.compliant_s)
            .bind(m.unknown_s)
            .bind(rules)
            .fetch_one(&mut *tx)
            .await
            .map_err(self.sql())?;
            if self.outbox {
                outbox::enqueue(&mut tx, Kind::Minute, Cols::of(&self.path, "minute", &r).get(0)?, &m.window, 0)
                    .await
                    .map_err(self.sql())?;
            }
        }
        tx.commit().await.map_err(self.sql())
    }

    /// Stored events, oldest first, optionally for one window.
    pub async fn events(&self, window: Option<&str>) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT window, rule, start, end, duration_s, confidence, closed_by, values_json FROM event
             WHERE (?1 IS NULL OR window = ?1) ORDER BY start_unix, id",
        )
        .bind(window)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        rows.iter().map(|r| self.event_from(r)).collect()
    }

    fn event_from(&self, r: &sqlx::sqlite::SqliteRow) -> Result<Event, StoreError> {
        let bad = |message: String| StoreError::Row { path: self.path.clone(), message: format!("event: {message}") };
        let c = Cols::of(&self.path, "event", r);
        let rule = c.text("rule")?;
        let rule = RuleCode::ALL.into_iter().find(|c| c.as_str() == rule).ok_or_else(|| bad(format!("unknown rule {rule:?}")))?;
        Ok(Event {
            window: c.get("window")?,
            rule,
            start: parse_ts(&c.text("start")?).map_err(bad)?,
            end: parse_ts(&c.text("end")?).map_err(bad)?,
            duration_s: c.get("duration_s")?,
            confidence: c.get::<f64, _>("confidence")? as f32,
            closed_by: c.get("closed_by")?,
            values: serde_json::from_str(&c.text("values_json")?).map_err(|e| bad(format!("values_json: {e}")))?,
        })
    }

    /// Stored minutes, oldest first, optionally for one window.
    pub async fn minutes(&self, window: Option<&str>) -> Result<Vec<MinuteMetrics>, StoreError> {
        let rows = sqlx::query(
            "SELECT window, minute, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json FROM minute
             WHERE (?1 IS NULL OR window = ?1) ORDER BY minute_unix, window",
        )
        .bind(window)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        rows.iter().map(|r| self.minute_from(r)).collect()
    }

    fn minute_from(&self, r: &sqlx::sqlite::SqliteRow) -> Result<MinuteMetrics, StoreError> {
        let bad = |message: String| StoreError::Row { path: self.path.clone(), message: format!("minute: {message}") };
        let c = Cols::of(&self.path, "minute", r);
        Ok(MinuteMetrics {
            window: c.get("window")?,
            minute: Some(parse_ts(&c.text("minute")?).map_err(bad)?),
            observed_s: c.get("observed_s")?,
            in_service_s: c.get("in_service_s")?,
            staffed_s: c.get("staffed_s")?,
            compliant_s: c.get("compliant_s")?,
            unknown_s: c.get("unknown_s")?,
            rules: serde_json::from_str(&c.text("rules_json")?).map_err(|e| bad(format!("rules_json: {e}")))?,
        })
    }

    /// Indexes a clip whose files are written. A clip already indexed for
    /// the same violation is left as it is; returns whether it was new.
    pub async fn insert_clip(&self, c: &ClipRow) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let done = sqlx::query(
            "INSERT OR IGNORE INTO clip (window, rule, event_start, trigger_ts, created_unix, video, thumbnail, sidecar, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        )
        .bind(&c.window)
        .bind(&c.rule)
        .bind(c.event_start.to_rfc3339())
        .bind(c.trigger_ts.to_rfc3339())
        .bind(c.created_unix)
        .bind(&c.video)
        .bind(&c.thumbnail)
        .bind(&c.sidecar)
        .bind(c.bytes as i64)
        .fetch_optional(&mut *tx)
        .await
        .map_err(self.sql())?;
        if let (Some(r), true) = (&done, self.outbox) {
            outbox::enqueue(&mut tx, Kind::Clip, Cols::of(&self.path, "clip", r).get(0)?, &c.window, c.bytes).await.map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(done.is_some())
    }

    /// Every indexed clip, oldest first.
    pub async fn clips(&self) -> Result<Vec<ClipRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, window, rule, event_start, trigger_ts, created_unix, video, thumbnail, sidecar, bytes FROM clip ORDER BY created_unix, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        rows.iter().map(|r| self.clip_from(r)).collect()
    }

    fn clip_from(&self, r: &sqlx::sqlite::SqliteRow) -> Result<ClipRow, StoreError> {
        let bad = |message: String| StoreError::Row { path: self.path.clone(), message: format!("clip: {message}") };
        let c = Cols::of(&self.path, "clip", r);
        Ok(ClipRow {
            id: c.get("id")?,
            window: c.get("window")?,
            rule: c.get("rule")?,
            event_start: parse_ts(&c.text("event_start")?).map_err(bad)?,
            trigger_ts: parse_ts(&c.text("trigger_ts")?).map_err(bad)?,
            created_unix: c.get("created_unix")?,
            video: c.get("video")?,
            thumbnail: c.get("thumbnail")?,
            sidecar: c.get("sidecar")?,
            bytes: c.get::<i64, _>("bytes")?.max(0) as u64,
        })
    }

    /// Removes clips from the index (their files are deleted by the caller
    /// first). Events and minutes are never touched.
    pub async fn delete_clips(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        for id in ids {
            sqlx::query("DELETE FROM clip WHERE id = ?1").bind(id).execute(&mut *tx).await.map_err(self.sql())?;
            sqlx::query("DELETE FROM outbox WHERE kind = 'clip' AND ref = ?1").bind(id).execute(&mut *tx).await.map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())
    }

    /// Keeps a window's baseline learner (its JSON), replacing the last.
    pub async fn save_baseline(&self, window: &str, learner_json: &str, updated_unix: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO baseline (window, learner_json, updated_unix) VALUES (?, ?, ?)
             ON CONFLICT (window) DO UPDATE SET learner_json = excluded.learner_json, updated_unix = excluded.updated_unix",
        )
        .bind(window)
        .bind(learner_json)
        .bind(updated_unix)
        .execute(&self.pool)
        .await
        .map_err(self.sql())?;
        Ok(())
    }

    /// Every window's kept baseline learner: `(window, JSON, updated)`;
    /// unreadable rows are left out, with a warning.
    pub async fn baselines(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT window, learner_json, updated_unix FROM baseline ORDER BY window")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        // One unreadable row costs its window its baseline, not every window.
        Ok(rows
            .iter()
            .filter_map(|r| {
                let c = Cols::of(&self.path, "baseline", r);
                let read = || Ok::<_, StoreError>((c.get("window")?, c.get("learner_json")?, c.get("updated_unix")?));
                read().map_err(|e| tracing::warn!(error = %e, "a kept baseline is unreadable; its window learns afresh")).ok()
            })
            .collect())
    }

    /// SQLite's own consistency check: `"ok"` when the file is sound.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        let row = sqlx::query("PRAGMA integrity_check").fetch_one(&self.pool).await.map_err(self.sql())?;
        Cols::of(&self.path, "integrity_check", &row).get(0)
    }

    /// Flushes the write-ahead log into the main file and closes.
    pub async fn close(self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await;
        self.pool.close().await;
    }
}

/// Opens (creating if needed) a SQLite file in WAL mode.
pub(crate) async fn open_pool(path: &Path, max_connections: u32) -> Result<SqlitePool, StoreError> {
    let open_err = |message: String, fix: &str| StoreError::Open { path: path.to_path_buf(), message, fix: fix.to_string() };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display()), "check the data folder's permissions"))?;
    }
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(|e| open_err(e.to_string(), "use a plain file path"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode never corrupts the file on power loss; it may
        // lose the last transactions, which the minute granularity allows.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(5))
        .foreign_keys(true);
    SqlitePoolOptions::new().max_connections(max_connections).connect_with(options).await.map_err(|e| {
        let m = e.to_string();
        if m.contains("not a database") {
            open_err("is not a SQLite database".into(), "point at a Liyi store, or at a new file name to create one")
        } else {
            open_err(m, "check that the path is a Liyi store (SQLite) and writable")
        }
    })
}

async fn schema_version(pool: &SqlitePool, path: &Path) -> Result<i64, StoreError> {
    let row = sqlx::query("PRAGMA user_version").fetch_one(pool).await.map_err(|e| {
        let message = e.to_string();
        if message.contains("not a database") || message.contains("file is encrypted") {
            return StoreError::Open {
                path: path.to_path_buf(),
                message: "is not a SQLite database".into(),
                fix: "point --store at a Liyi store, or at a new file name to create one".into(),
            };
        }
        StoreError::Sql { path: path.to_path_buf(), source: e }
    })?;
    Cols::of(path, "user_version", &row).get(0)
}

/// Brings a database up to `steps.len()`, one transaction per step
/// (`steps[i]` takes version `i` to `i + 1`, tracked in `user_version`). A
/// newer file than this binary knows is refused, untouched.
pub(crate) async fn migrate(pool: &SqlitePool, path: &Path, steps: &[&str]) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sql { path: path.to_path_buf(), source };
    let found = schema_version(pool, path).await?;
    let known = steps.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known });
    }
    for (i, step) in steps.iter().enumerate().skip(found.max(0) as usize) {
        let mut tx = pool.begin().await.map_err(sql)?;
        sqlx::raw_sql(step).execute(&mut *tx).await.map_err(sql)?;
        sqlx::raw_sql(&format!("PRAGMA user_version = {}", i + 1)).execute(&mut *tx).await.map_err(sql)?;
        tx.commit().await.map_err(sql)?;
        tracing::info!(path = %path.display(), version = i + 1, "schema upgraded");
    }
    Ok(())
}

/// One indexed clip. Paths are relative to the clips folder.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClipRow {
    /// Assigned by the store; 0 before insertion.
    pub id: i64,
    pub window: String,
    pub rule: String,
    pub event_start: DateTime<FixedOffset>,
    pub trigger_ts: DateTime<FixedOffset>,
    pub created_unix: f64,
    pub video: String,
    pub thumbnail: String,
    pub sidecar: String,
    /// The three files' size together.
    pub bytes: u64,
}

pub(crate) fn unix(t: DateTime<FixedOffset>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

#[cfg(test)]
mod tests;
