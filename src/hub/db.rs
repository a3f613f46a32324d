//! The hub's store: one SQLite file by default, written with `sqlx` and
//! upgraded by numbered migrations (`schema/vN.sql`), like the edge store.
//! Every query is plain SQL that PostgreSQL also accepts, except the
//! `ON CONFLICT` and `RETURNING` forms, which both speak.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::sqlite::{Sqlite, SqlitePool, SqliteRow};

use super::summary::{EventRow, HealthRow, MinuteRow};
use crate::rules::RuleCode;
use crate::store::{StoreError, migrate, open_pool, unix};
use crate::wire::{ClipMeta, Heartbeat, IngestBatch, IngestReply};

/// Upgrades, in order: `SCHEMA[i]` takes the store from version `i` to `i + 1`.
/// v2: identity keys in UTC milliseconds, and the repair of v1 rows.
const SCHEMA: &[&str] = &[include_str!("schema/v1.sql"), include_str!("schema/v2.sql"), include_str!("schema/v3.sql")];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = SCHEMA.len() as i64;

/// Sessions last this long.
pub const SESSION_S: f64 = 12.0 * 3600.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Supervisor,
    Trainer,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "supervisor" => Some(Role::Supervisor),
            "trainer" => Some(Role::Trainer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supervisor => "supervisor",
            Role::Trainer => "trainer",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The one hall this user sees; `None`: every hall.
    pub hall: Option<String>,
}

impl User {
    /// Whether this user may see `hall`.
    pub fn sees(&self, hall: &str) -> bool {
        self.hall.as_deref().is_none_or(|h| h == hall)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BoxInfo {
    pub id: String,
    pub hall: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BoxHealth {
    pub id: String,
    pub hall: String,
    pub last_seen_unix: Option<f64>,
    pub version: Option<String>,
    pub outbox: Option<crate::store::OutboxStats>,
    /// The box's own store, as its last heartbeat said.
    pub store: Option<crate::wire::StoreBeat>,
    pub silent: bool,
    pub cameras: Vec<CameraHealth>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CameraHealth {
    pub window: String,
    pub name: String,
    pub source_up: bool,
    pub last_seen_unix: f64,
    pub down_since_unix: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClipInfo {
    pub id: i64,
    pub box_id: String,
    pub hall: String,
    pub window: String,
    pub window_name: String,
    pub rule: String,
    pub event_start: String,
    pub event_start_unix: f64,
    pub received_unix: f64,
    pub video: String,
    pub thumbnail: String,
    pub sidecar_json: String,
    pub bytes: i64,
    pub status: String,
    pub notes: String,
    pub tags: String,
    /// The event this clip shows, once it has arrived.
    pub event_id: Option<i64>,
    pub false_alarm: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ClipFilter {
    pub hall: Option<String>,
    pub window: Option<String>,
    pub rule: Option<String>,
    /// `[from, to)` unix seconds of the event start.
    pub between: Option<(f64, f64)>,
    pub status: Option<String>,
}

/// Something the health check must announce.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Alert {
    pub id: i64,
    pub ts_unix: f64,
    pub kind: String,
    pub box_id: String,
    pub hall: String,
    pub window: Option<String>,
    /// Handed to the MQTT publisher already.
    pub published: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub ts_unix: f64,
    pub user: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct HubDb {
    pool: SqlitePool,
    path: PathBuf,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub use crate::secret::random_token as secret;

pub use crate::base::clock::now_unix;

impl HubDb {
    pub async fn open(path: &Path) -> Result<HubDb, StoreError> {
        let pool = open_pool(path, 4).await?;
        migrate(&pool, path, SCHEMA).await?;
        Ok(HubDb { pool, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn bad(&self) -> impl Fn(String) -> StoreError + '_ {
        |message| StoreError::Row { path: self.path.clone(), message }
    }

    fn sql(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Sql { path: self.path.clone(), source }
    }

    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await;
        self.pool.close().await;
    }

    // ---- boxes ----------------------------------------------------------

    /// Registers a box at `now` (unix seconds); returns its token, shown
    /// once (only its hash is kept).
    pub async fn add_box(&self, id: &str, hall: &str, now: f64) -> Result<String, AdminError> {
        if !crate::config::valid_id(id) {
            return Err(AdminError::Invalid(format!("box id {id:?}: use letters, digits, -, _ and . (at most 64)")));
        }
        if hall.trim().is_empty() {
            return Err(AdminError::Invalid("hall: give the service hall's name".into()));
        }
        let token = secret();
        let r = sqlx::query("INSERT INTO box (id, hall, token_sha256, created_unix) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(hall.trim())
            .bind(sha256_hex(&token))
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("box {id:?} is registered already; `liyi hub box token {id}` issues a new token")));
        }
        Ok(token)
    }

    /// Issues a new token for a box; the old one stops working.
    pub async fn rotate_token(&self, id: &str) -> Result<String, AdminError> {
        let token = secret();
        let r = sqlx::query("UPDATE box SET token_sha256 = ?1 WHERE id = ?2")
            .bind(sha256_hex(&token))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("no box {id:?}")));
        }
        Ok(token)
    }

    pub async fn box_for_token(&self, token: &str) -> Result<Option<BoxInfo>, StoreError> {
        let row = sqlx::query("SELECT id, hall FROM box WHERE token_sha256 = ?1")
            .bind(sha256_hex(token))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        row.map(|r| Ok(BoxInfo { id: col(&r, "id")?, hall: col(&r, "hall")? })).transpose().map_err(self.bad())
    }

    pub async fn halls(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT hall FROM box ORDER BY hall").fetch_all(&self.pool).await.map_err(self.sql())?;
        rows.iter().map(|r| col(r, "hall")).collect::<Result<_, _>>().map_err(self.bad())
    }

    pub async fn boxes(&self) -> Result<Vec<BoxHealth>, StoreError> {
        let rows = sqlx::query("SELECT id, hall, last_seen_unix, version, outbox_json, store_json, silent FROM box ORDER BY hall, id")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let cams = sqlx::query("SELECT box, window, name, source_up, last_seen_unix, down_since_unix FROM camera ORDER BY box, window")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let cam = |c: &SqliteRow| -> Result<(String, CameraHealth), String> {
            let health = CameraHealth {
                window: col(c, "window")?,
                name: col(c, "name")?,
                source_up: col::<i64>(c, "source_up")? != 0,
                last_seen_unix: col(c, "last_seen_unix")?,
                down_since_unix: col(c, "down_since_unix")?,
            };
            Ok((col(c, "box")?, health))
        };
        let (cams, _) = self.read_rows(&cams, "camera", &["box", "window"], cam);
        let read = |r: &SqliteRow| -> Result<BoxHealth, String> {
            let id: String = col(r, "id")?;
            Ok(BoxHealth {
                cameras: cams.iter().filter(|(b, _)| *b == id).map(|(_, c)| c.clone()).collect(),
                id,
                hall: col(r, "hall")?,
                last_seen_unix: col(r, "last_seen_unix")?,
                version: col(r, "version")?,
                outbox: col::<Option<String>>(r, "outbox_json")?.and_then(|j| serde_json::from_str(&j).ok()),
                store: col::<Option<String>>(r, "store_json")?.and_then(|j| serde_json::from_str(&j).ok()),
                silent: col::<i64>(r, "silent")? != 0,
            })
        };
        Ok(self.read_rows(&rows, "box", &["id"], read).0)
    }

    // ---- users and sessions ----------------------------------------------

    /// Adds a user, created at `now` (unix seconds).
    pub async fn add_user(&self, name: &str, role: Role, hall: Option<&str>, password: &str, now: f64) -> Result<(), AdminError> {
        if name.trim().is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            return Err(AdminError::Invalid("name: give 1-64 printable characters".into()));
        }
        let hash = crate::secret::hash_password(password).map_err(AdminError::Invalid)?;
        let r = sqlx::query(
            "INSERT INTO user (name, role, hall, password_hash, created_unix) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.trim())
        .bind(role.as_str())
        .bind(hall.map(str::trim).filter(|h| !h.is_empty()))
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("user {name:?} exists already")));
        }
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, role, hall FROM user ORDER BY name").fetch_all(&self.pool).await.map_err(self.sql())?;
        Ok(rows.iter().filter_map(user_from).collect())
    }

    /// The user, if the password matches (argon2 verification).
    pub async fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, hall, password_hash FROM user WHERE name = ?1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(row) = row else {
            // Same work for unknown names, so timing does not tell them apart.
            crate::secret::burn_password_check(password);
            return Ok(None);
        };
        let hash: String = col(&row, "password_hash").map_err(self.bad())?;
        let ok = crate::secret::verify_password(password, &hash);
        Ok(if ok { user_from(&row) } else { None })
    }

    /// The user called `name` and their password hash, for a sign-in that
    /// checks the password itself (off the async threads).
    pub async fn user_and_hash(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, hall, password_hash FROM user WHERE name = ?1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(row.and_then(|r| Some((user_from(&r)?, r.get("password_hash")))))
    }

    /// Starts a session at `now` (unix seconds), live until `now` +
    /// [`SESSION_S`]; sessions expired by `now` are deleted. Returns
    /// (cookie token, CSRF token).
    pub async fn new_session(&self, user: &User, now: f64) -> Result<(String, String), StoreError> {
        let (token, csrf) = (secret(), secret());
        sqlx::query("DELETE FROM session WHERE expires_unix < ?1").bind(now).execute(&self.pool).await.map_err(self.sql())?;
        sqlx::query("INSERT INTO session (token_sha256, user_id, csrf, expires_unix) VALUES (?1, ?2, ?3, ?4)")
            .bind(sha256_hex(&token))
            .bind(user.id)
            .bind(&csrf)
            .bind(now + SESSION_S)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok((token, csrf))
    }

    /// The session's user and CSRF token, if the session is live at `now`
    /// (unix seconds).
    pub async fn session(&self, token: &str, now: f64) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query("SELECT u.id, u.name, u.role, u.hall, s.csrf FROM session s JOIN user u ON u.id = s.user_id WHERE s.token_sha256 = ?1 AND s.expires_unix > ?2")
            .bind(sha256_hex(token))
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(row.and_then(|r| Some((user_from(&r)?, col(&r, "csrf").ok()?))))
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM session WHERE token_sha256 = ?1").bind(sha256_hex(token)).execute(&self.pool).await.map_err(self.sql())?;
        Ok(())
    }

    // ---- ingest -----------------------------------------------------------

    /// Stores a validated batch in one transaction: minutes replace the
    /// stored minute with the same key, events already stored are kept,
    /// except an open one (`closed_by` = "open", sent when it began), which
    /// the closed version of the same event (same key) replaces. Rows are
    /// stamped as received at `now` (unix seconds).
    pub async fn ingest(&self, box_id: &str, b: &IngestBatch, now: f64) -> Result<IngestReply, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let mut reply = IngestReply::default();
        for m in &b.minutes {
            let Some(minute) = m.minute else { continue };
            sqlx::query(
                "INSERT INTO minute (box, window, minute, minute_ms, minute_unix, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json,
                                     received_unix)
                 VALUES (?1, ?2, ?3, ?12, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (box, window, minute_ms) DO UPDATE SET minute = excluded.minute,
                   observed_s = excluded.observed_s, in_service_s = excluded.in_service_s, staffed_s = excluded.staffed_s,
                   compliant_s = excluded.compliant_s, unknown_s = excluded.unknown_s, rules_json = excluded.rules_json,
                   received_unix = excluded.received_unix",
            )
            .bind(box_id)
            .bind(&m.window)
            .bind(minute.to_rfc3339())
            .bind(minute.timestamp_millis() as f64 / 1000.0)
            .bind(m.observed_s)
            .bind(m.in_service_s)
            .bind(m.staffed_s)
            .bind(m.compliant_s)
            .bind(m.unknown_s)
            .bind(serde_json::to_string(&m.rules).expect("rule metrics serialise"))
            .bind(now)
            .bind(minute.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            reply.minutes += 1;
        }
        for e in &b.events {
            let r = sqlx::query(
                "INSERT INTO event (box, window, rule, start, start_ms, start_unix, end, end_ms, end_unix, duration_s, confidence, closed_by, values_json,
                                    received_unix)
                 VALUES (?1, ?2, ?3, ?4, ?13, ?5, ?6, ?14, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (box, window, rule, start_ms) DO UPDATE SET
                   end = excluded.end, end_ms = excluded.end_ms, end_unix = excluded.end_unix, duration_s = excluded.duration_s,
                   confidence = excluded.confidence, closed_by = excluded.closed_by, values_json = excluded.values_json
                 WHERE event.closed_by = 'open' AND excluded.closed_by <> 'open'",
            )
            .bind(box_id)
            .bind(&e.window)
            .bind(e.rule.as_str())
            .bind(e.start.to_rfc3339())
            .bind(unix(e.start))
            .bind(e.end.to_rfc3339())
            .bind(unix(e.end))
            .bind(e.duration_s)
            .bind(f64::from(e.confidence))
            .bind(&e.closed_by)
            .bind(serde_json::to_string(&e.values).expect("a map of numbers serialises"))
            .bind(now)
            .bind(e.start.timestamp_millis())
            .bind(e.end.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            reply.events_new += r.rows_affected();
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(reply)
    }

    /// The clip already stored under this key, if any.
    pub async fn clip_id(&self, box_id: &str, m: &ClipMeta) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM clip WHERE box = ?1 AND window = ?2 AND rule = ?3 AND event_start_ms = ?4")
            .bind(box_id)
            .bind(&m.window)
            .bind(&m.rule)
            .bind(m.event_start.timestamp_millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        row.map(|r| col(&r, "id")).transpose().map_err(self.bad())
    }

    /// Indexes a clip whose files are written (and checked), received at
    /// `now` (unix seconds); returns its id and whether it was new.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_clip(
        &self,
        box_id: &str,
        m: &ClipMeta,
        video: &str,
        thumbnail: &str,
        sidecar: &str,
        bytes: u64,
        now: f64,
    ) -> Result<(i64, bool), StoreError> {
        let bytes = i64::try_from(bytes).map_err(|_| self.bad()(format!("clip bytes: {bytes} does not fit a 64-bit integer")))?;
        let r = sqlx::query(
            "INSERT INTO clip (box, window, rule, event_start, event_start_ms, event_start_unix, trigger_ts, received_unix, video, thumbnail, sidecar_json,
                               bytes)
             VALUES (?1, ?2, ?3, ?4, ?12, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (box, window, rule, event_start_ms) DO NOTHING RETURNING id",
        )
        .bind(box_id)
        .bind(&m.window)
        .bind(&m.rule)
        .bind(m.event_start.to_rfc3339())
        .bind(unix(m.event_start))
        .bind(m.trigger_ts.to_rfc3339())
        .bind(now)
        .bind(video)
        .bind(thumbnail)
        .bind(sidecar)
        .bind(bytes)
        .bind(m.event_start.timestamp_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.sql())?;
        match r {
            Some(r) => Ok((col(&r, "id").map_err(self.bad())?, true)),
            None => Ok((self.clip_id(box_id, m).await?.unwrap_or(0), false)),
        }
    }

    /// Logs a clip the hub refused, at `now` (unix seconds).
    pub async fn log_refused_clip(&self, box_id: &str, m: &ClipMeta, reason: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refused_clip (ts_unix, box, window, rule, event_start, event_start_ms, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?6)")
            .bind(now)
            .bind(box_id)
            .bind(&m.window)
            .bind(&m.rule)
            .bind(m.event_start.to_rfc3339())
            .bind(reason)
            .bind(m.event_start.timestamp_millis())
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn refused_clips(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM refused_clip").fetch_one(&self.pool).await.map_err(self.sql())?;
        col(&r, "n").map_err(self.bad())
    }

    // ---- health -----------------------------------------------------------

    /// Records a heartbeat: the box and its cameras are seen now; time a
    /// camera was down since the last beat (or the whole gap, if the box
    /// was silent) counts as offline on `day`; dropped frames add up.
    pub async fn heartbeat(&self, box_id: &str, hb: &Heartbeat, now: f64, day: &str, silent_after_s: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let failing = !hb.store.ok;
        let was_failing = sqlx::query("SELECT store_failing FROM box WHERE id = ?1")
            .bind(box_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.sql())?
            .and_then(|r| col::<i64>(&r, "store_failing").ok())
            .is_some_and(|f| f != 0);
        sqlx::query(
            "UPDATE box SET last_seen_unix = ?1, boot_unix = ?2, version = ?3, outbox_json = ?4, store_json = ?5, store_failing = ?6 WHERE id = ?7",
        )
        .bind(now)
        .bind(hb.boot_unix)
        .bind(&hb.version)
        .bind(serde_json::to_string(&hb.outbox).expect("stats serialise"))
        .bind(serde_json::to_string(&hb.store).expect("stats serialise"))
        .bind(failing as i64)
        .bind(box_id)
        .execute(&mut *tx)
        .await
        .map_err(self.sql())?;
        // The box's store began or stopped refusing rows: an alert, sent
        // with the others by the health job.
        if failing != was_failing {
            sqlx::query("INSERT INTO alert (ts_unix, kind, box, window) VALUES (?1, ?2, ?3, NULL)")
                .bind(now)
                .bind(if failing { "box_store_failing" } else { "box_store_ok" })
                .bind(box_id)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        for c in &hb.windows {
            let prev = sqlx::query(
                "SELECT source_up, last_seen_unix, boot_unix, frames_stale, down_since_unix FROM camera WHERE box = ?1 AND window = ?2",
            )
            .bind(box_id)
            .bind(&c.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.sql())?;
            // The previous beat, typed; a row that does not read (a REAL
            // where a count belongs) is treated as no previous beat.
            let prev = prev.as_ref().and_then(|p| {
                let read = || -> Result<(f64, bool, f64, i64, Option<f64>), String> {
                    Ok((
                        col(p, "last_seen_unix")?,
                        col::<i64>(p, "source_up")? != 0,
                        col(p, "boot_unix")?,
                        col(p, "frames_stale")?,
                        col(p, "down_since_unix")?,
                    ))
                };
                read().map_err(|e| tracing::warn!(box_id, window = %c.id, error = %e, "unreadable camera row; counted afresh")).ok()
            });
            // Counters are checked to fit an i64 at ingest (`validate::heartbeat`);
            // differences and sums saturate rather than wrap.
            let stale = i64::try_from(c.frames_stale).unwrap_or(i64::MAX);
            let (offline, dropped, down_since) = match prev {
                Some((last_seen, was_up, boot, prev_stale, prev_down)) => {
                    let gap = (now - last_seen).max(0.0);
                    let offline = if gap > silent_after_s || !was_up || !c.source_up { gap } else { 0.0 };
                    let same_boot = (boot - hb.boot_unix).abs() < 1e-3;
                    let dropped = if same_boot { stale.saturating_sub(prev_stale.max(0)).max(0) } else { stale };
                    let down_since = if c.source_up { None } else { prev_down.or(Some(now)) };
                    (offline, dropped, down_since)
                }
                None => (0.0, stale, (!c.source_up).then_some(now)),
            };
            sqlx::query(
                "INSERT INTO camera (box, window, name, source_up, last_seen_unix, boot_unix, frames_stale, down_since_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (box, window) DO UPDATE SET name = excluded.name, source_up = excluded.source_up, last_seen_unix = excluded.last_seen_unix,
                   boot_unix = excluded.boot_unix, frames_stale = excluded.frames_stale, down_since_unix = excluded.down_since_unix",
            )
            .bind(box_id)
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.source_up as i64)
            .bind(now)
            .bind(hb.boot_unix)
            .bind(stale)
            .bind(down_since)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            sqlx::query(
                "INSERT INTO camera_day (box, window, day, offline_s, dropped) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (box, window, day) DO UPDATE SET offline_s = offline_s + excluded.offline_s,
                   dropped = CASE WHEN typeof(dropped) = 'integer' AND dropped <= 9223372036854775807 - excluded.dropped
                                  THEN dropped + excluded.dropped ELSE 9223372036854775807 END",
            )
            .bind(box_id)
            .bind(&c.id)
            .bind(day)
            .bind(offline)
            .bind(dropped)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())
    }

    /// Opens and closes alerts from what the boxes last said: a box silent
    /// for `silent_s`, a camera down for `down_s`, and their recoveries.
    /// Returns every alert not yet delivered.
    /// `since`: when this hub process started; a box is not called silent
    /// for the time the hub itself was down.
    pub async fn check_health(&self, now: f64, silent_s: f64, down_s: f64, since: f64) -> Result<Vec<Alert>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let mut raised = Vec::new();
        let boxes =
            sqlx::query("SELECT id, last_seen_unix, created_unix, silent FROM box").fetch_all(&mut *tx).await.map_err(self.sql())?;
        for b in &boxes {
            let read = || -> Result<(String, f64, bool), String> {
                Ok((
                    col(b, "id")?,
                    col::<Option<f64>>(b, "last_seen_unix")?.map_or_else(|| col(b, "created_unix"), Ok)?,
                    col::<i64>(b, "silent")? != 0,
                ))
            };
            let (id, seen, silent) = match read() {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(row = %format!("box {}: {e}", row_key(b, &["id"])), "unreadable stored row skipped");
                    continue;
                }
            };
            let seen = seen.max(since);
            let now_silent = now - seen > silent_s;
            if now_silent != silent {
                sqlx::query("UPDATE box SET silent = ?1 WHERE id = ?2")
                    .bind(now_silent as i64)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.sql())?;
                raised.push((if now_silent { "box_offline" } else { "box_back" }, id.clone(), None));
            }
        }
        let cams = sqlx::query("SELECT c.box, c.window, c.down_since_unix, c.alerted, b.silent FROM camera c JOIN box b ON b.id = c.box")
            .fetch_all(&mut *tx)
            .await
            .map_err(self.sql())?;
        for c in &cams {
            let read = || -> Result<(String, String, bool, Option<f64>, bool), String> {
                Ok((
                    col(c, "box")?,
                    col(c, "window")?,
                    col::<i64>(c, "alerted")? != 0,
                    col(c, "down_since_unix")?,
                    col::<i64>(c, "silent")? != 0,
                ))
            };
            let (b, w, alerted, down_since, box_silent) = match read() {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(row = %format!("camera {}: {e}", row_key(c, &["box", "window"])), "unreadable stored row skipped");
                    continue;
                }
            };
            let down = down_since.is_some_and(|t| now - t > down_s);
            if down != alerted && !box_silent {
                sqlx::query("UPDATE camera SET alerted = ?1 WHERE box = ?2 AND window = ?3")
                    .bind(down as i64)
                    .bind(&b)
                    .bind(&w)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.sql())?;
                raised.push((if down { "camera_down" } else { "camera_back" }, b, Some(w)));
            }
        }
        for (kind, b, w) in raised {
            sqlx::query("INSERT INTO alert (ts_unix, kind, box, window) VALUES (?1, ?2, ?3, ?4)")
                .bind(now)
                .bind(kind)
                .bind(&b)
                .bind(&w)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())?;
        // New alerts and any an earlier tick could not deliver.
        self.undelivered_alerts().await
    }

    /// A health alert about the hub itself: scheduled job `job` failed (box
    /// `hub`, the job's name as the window). Delivered like the others.
    pub async fn raise_hub_alert(&self, now: f64, job: &str, error: &str) -> Result<(), StoreError> {
        tracing::warn!(job, error, "health alert: hub job failed");
        sqlx::query("INSERT INTO alert (ts_unix, kind, box, window) VALUES (?1, 'hub_job_failed', 'hub', ?2)")
            .bind(now)
            .bind(job)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn undelivered_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query("SELECT a.id, a.ts_unix, a.kind, a.box, a.window, a.published, COALESCE(b.hall, '') AS hall FROM alert a LEFT JOIN box b ON b.id = a.box WHERE a.delivered = 0 ORDER BY a.id")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<Alert, String> {
            Ok(Alert {
                id: col(r, "id")?,
                ts_unix: col(r, "ts_unix")?,
                kind: col(r, "kind")?,
                box_id: col(r, "box")?,
                hall: col(r, "hall")?,
                window: col(r, "window")?,
                published: col::<i64>(r, "published")? != 0,
            })
        };
        Ok(self.read_rows(&rows, "alert", &["id"], read).0)
    }

    /// Alerts handed to the MQTT publisher: not published again while they
    /// wait for the webhook.
    pub async fn mark_alerts_published(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query("UPDATE alert SET published = 1 WHERE id = ?1").bind(id).execute(&self.pool).await.map_err(self.sql())?;
        }
        Ok(())
    }

    pub async fn mark_alerts_delivered(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query("UPDATE alert SET delivered = 1 WHERE id = ?1").bind(id).execute(&self.pool).await.map_err(self.sql())?;
        }
        Ok(())
    }

    // ---- what summaries read ------------------------------------------------
    //
    // Every column is read typed and fallibly: a row that does not decode
    // (a REAL where an INTEGER belongs, JSON that does not parse, an unknown
    // rule) is named in the returned list and skipped, never a panic and
    // never the whole summary.

    /// Minutes of `[from, to)` (unix seconds), optionally for one hall;
    /// unreadable rows are logged and skipped.
    pub async fn minutes_between(&self, from: f64, to: f64, hall: Option<&str>) -> Result<Vec<MinuteRow>, StoreError> {
        Ok(self.minutes_checked(from, to, hall).await?.0)
    }

    /// The minutes, and the rows that could not be read (named, skipped).
    pub async fn minutes_checked(&self, from: f64, to: f64, hall: Option<&str>) -> Result<(Vec<MinuteRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, m.box, m.window, COALESCE(c.name, m.window) AS name, m.minute_unix, m.observed_s, m.in_service_s, m.staffed_s,
                    m.compliant_s, m.unknown_s, m.rules_json
             FROM minute m JOIN box b ON b.id = m.box LEFT JOIN camera c ON c.box = m.box AND c.window = m.window
             WHERE m.minute_unix >= ?1 AND m.minute_unix < ?2 AND (?3 IS NULL OR b.hall = ?3) ORDER BY m.minute_unix",
        )
        .bind(from)
        .bind(to)
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<MinuteRow, String> {
            Ok(MinuteRow {
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window")?,
                name: col(r, "name")?,
                minute_unix: col(r, "minute_unix")?,
                observed_s: col(r, "observed_s")?,
                in_service_s: col(r, "in_service_s")?,
                staffed_s: col(r, "staffed_s")?,
                compliant_s: col(r, "compliant_s")?,
                unknown_s: col(r, "unknown_s")?,
                rules: serde_json::from_str(&col::<String>(r, "rules_json")?).map_err(|e| format!("rules_json: {e}"))?,
            })
        };
        Ok(self.read_rows(&rows, "minute", &["box", "window", "minute_unix"], read))
    }

    /// Events of `[from, to)`; unreadable rows are logged and skipped.
    pub async fn events_between(&self, from: f64, to: f64, hall: Option<&str>) -> Result<Vec<EventRow>, StoreError> {
        Ok(self.events_checked(from, to, hall).await?.0)
    }

    pub async fn events_checked(&self, from: f64, to: f64, hall: Option<&str>) -> Result<(Vec<EventRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, b.hall, e.box, e.window, COALESCE(c.name, e.window) AS name, e.rule, e.start, e.start_unix, e.end_unix, e.duration_s,
                    e.confidence, e.false_alarm_by
             FROM event e JOIN box b ON b.id = e.box LEFT JOIN camera c ON c.box = e.box AND c.window = e.window
             WHERE e.start_unix >= ?1 AND e.start_unix < ?2 AND (?3 IS NULL OR b.hall = ?3) ORDER BY e.start_unix, e.id",
        )
        .bind(from)
        .bind(to)
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<EventRow, String> {
            let rule: String = col(r, "rule")?;
            Ok(EventRow {
                id: col(r, "id")?,
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window")?,
                name: col(r, "name")?,
                rule: RuleCode::ALL.into_iter().find(|c| c.as_str() == rule).ok_or_else(|| format!("rule: unknown {rule:?}"))?,
                start: col(r, "start")?,
                start_unix: col(r, "start_unix")?,
                end_unix: col(r, "end_unix")?,
                duration_s: col(r, "duration_s")?,
                confidence: col(r, "confidence")?,
                false_alarm: col::<Option<String>>(r, "false_alarm_by")?.is_some(),
            })
        };
        Ok(self.read_rows(&rows, "event", &["id"], read))
    }

    /// Camera health of a local day; unreadable rows are logged and skipped.
    pub async fn health_of(&self, day: NaiveDate, hall: Option<&str>) -> Result<Vec<HealthRow>, StoreError> {
        Ok(self.health_checked(day, hall).await?.0)
    }

    pub async fn health_checked(&self, day: NaiveDate, hall: Option<&str>) -> Result<(Vec<HealthRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, d.box, d.window, d.day, d.offline_s, d.dropped FROM camera_day d JOIN box b ON b.id = d.box
             WHERE d.day = ?1 AND (?2 IS NULL OR b.hall = ?2)",
        )
        .bind(day.to_string())
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<HealthRow, String> {
            Ok(HealthRow {
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window")?,
                offline_s: col(r, "offline_s")?,
                dropped: col(r, "dropped")?,
            })
        };
        Ok(self.read_rows(&rows, "camera_day", &["box", "window", "day"], read))
    }

    /// Reads every row with `read`; a row that fails is named (table, key
    /// columns, the error), logged and left out.
    fn read_rows<T>(
        &self,
        rows: &[SqliteRow],
        table: &str,
        key: &[&str],
        read: impl Fn(&SqliteRow) -> Result<T, String>,
    ) -> (Vec<T>, Vec<String>) {
        let mut ok = Vec::with_capacity(rows.len());
        let mut bad = Vec::new();
        for r in rows {
            match read(r) {
                Ok(v) => ok.push(v),
                Err(e) => {
                    let message = format!("{table} {}: {e}", row_key(r, key));
                    tracing::warn!(store = %self.path.display(), row = %message, "unreadable stored row skipped");
                    bad.push(message);
                }
            }
        }
        (ok, bad)
    }

    /// Marks an event a false alarm at `now` (unix seconds), or takes the
    /// mark back (`by` = `None`); returns the event's hall, or `None` if
    /// there is no such event.
    pub async fn set_false_alarm(&self, event_id: i64, by: Option<&str>, now: f64) -> Result<Option<String>, StoreError> {
        let hall = sqlx::query("SELECT b.hall AS hall FROM event e JOIN box b ON b.id = e.box WHERE e.id = ?1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(hall) = hall else { return Ok(None) };
        sqlx::query("UPDATE event SET false_alarm_by = ?1, false_alarm_unix = ?2 WHERE id = ?3")
            .bind(by)
            .bind(by.map(|_| now))
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(Some(col(&hall, "hall").map_err(self.bad())?))
    }

    pub async fn event_hall(&self, event_id: i64) -> Result<Option<String>, StoreError> {
        let r = sqlx::query("SELECT b.hall AS hall FROM event e JOIN box b ON b.id = e.box WHERE e.id = ?1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        r.map(|r| col(&r, "hall")).transpose().map_err(self.bad())
    }

    // ---- clips ----------------------------------------------------------------

    const CLIP_SELECT: &'static str =
        "SELECT k.id, k.box, b.hall, k.window, COALESCE(c.name, k.window) AS window_name, k.rule, k.event_start, k.event_start_unix,
            k.received_unix, k.video, k.thumbnail, k.sidecar_json, k.bytes, k.status, k.notes, k.tags, e.id AS event_id, e.false_alarm_by
        FROM clip k JOIN box b ON b.id = k.box LEFT JOIN camera c ON c.box = k.box AND c.window = k.window
        LEFT JOIN event e ON e.box = k.box AND e.window = k.window AND e.rule = k.rule AND e.start_ms = k.event_start_ms";

    pub async fn clips(&self, f: &ClipFilter) -> Result<Vec<ClipInfo>, StoreError> {
        let (from, to) = f.between.unwrap_or((f64::MIN, f64::MAX));
        let sql = format!(
            "{} WHERE (?1 IS NULL OR b.hall = ?1) AND (?2 IS NULL OR k.window = ?2) AND (?3 IS NULL OR k.rule = ?3)
               AND k.event_start_unix >= ?4 AND k.event_start_unix < ?5 AND (?6 IS NULL OR k.status = ?6) AND k.status != 'expired'
             ORDER BY k.event_start_unix DESC LIMIT 500",
            Self::CLIP_SELECT
        );
        let rows = sqlx::query(&sql)
            .bind(&f.hall)
            .bind(&f.window)
            .bind(&f.rule)
            .bind(from)
            .bind(to)
            .bind(&f.status)
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(self.read_rows(&rows, "clip", &["id"], clip_from).0)
    }

    pub async fn clip(&self, id: i64) -> Result<Option<ClipInfo>, StoreError> {
        let sql = format!("{} WHERE k.id = ?1 AND k.status != 'expired'", Self::CLIP_SELECT);
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(self.sql())?;
        Ok(row.as_ref().map(|r| self.read_rows(std::slice::from_ref(r), "clip", &["id"], clip_from).0).and_then(|mut v| v.pop()))
    }

    pub async fn set_clip_status(&self, id: i64, status: &str, by: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clip SET status = ?1, reviewed_by = ?2 WHERE id = ?3")
            .bind(status)
            .bind(by)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// A trainer's review in one transaction: notes and tags, the new
    /// status if any (`kept`/`discarded`), and the audit-log entry, dated
    /// `now` (unix seconds).
    pub async fn review_clip(&self, id: i64, notes: &str, tags: &str, status: Option<&str>, by: &str, now: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        sqlx::query("UPDATE clip SET notes = ?1, tags = ?2 WHERE id = ?3")
            .bind(notes)
            .bind(tags)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        if let Some(st) = status {
            sqlx::query("UPDATE clip SET status = ?1, reviewed_by = ?2 WHERE id = ?3")
                .bind(st)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        sqlx::query("INSERT INTO audit_log (ts_unix, user, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(now)
            .bind(by)
            .bind(format!("clip_{}", status.unwrap_or("notes_saved")))
            .bind(format!("clip {id}"))
            .bind(tags)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        tx.commit().await.map_err(self.sql())
    }

    pub async fn set_clip_notes(&self, id: i64, notes: &str, tags: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clip SET notes = ?1, tags = ?2 WHERE id = ?3")
            .bind(notes)
            .bind(tags)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Clips past `max_age_s` that no trainer kept: marked expired; returns
    /// their files (relative paths) for the caller to delete.
    pub async fn expire_clips(&self, now: f64, max_age_s: f64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let rows = sqlx::query(
            "UPDATE clip SET status = 'expired' WHERE status IN ('new', 'discarded') AND received_unix < ?1 RETURNING video, thumbnail",
        )
        .bind(now - max_age_s)
        .fetch_all(&mut *tx)
        .await
        .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<[String; 2], String> { Ok([col(r, "video")?, col(r, "thumbnail")?]) };
        let mut files: Vec<String> = self.read_rows(&rows, "clip", &["video"], read).0.into_iter().flatten().collect();
        // Files a version-1 store left behind when it merged duplicates.
        let gone = sqlx::query("DELETE FROM clip_file_gone RETURNING path").fetch_all(&mut *tx).await.map_err(self.sql())?;
        files.extend(self.read_rows(&gone, "clip_file_gone", &["path"], |r| col::<String>(r, "path")).0);
        // A file that a clip still shown uses stays (version-1 paths could
        // be shared by two clips).
        let mut out = Vec::new();
        for f in files {
            let used = sqlx::query("SELECT 1 FROM clip WHERE status != 'expired' AND (video = ?1 OR thumbnail = ?1) LIMIT 1")
                .bind(&f)
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.sql())?;
            if used.is_none() && !out.contains(&f) {
                out.push(f);
            }
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(out)
    }

    // ---- audit log and report deliveries -----------------------------------

    /// Appends an audit-log entry dated `now` (unix seconds).
    pub async fn audit(&self, user: &str, action: &str, target: &str, detail: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (ts_unix, user, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(now)
            .bind(user)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT ts_unix, user, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let read = |r: &SqliteRow| -> Result<AuditEntry, String> {
            Ok(AuditEntry {
                ts_unix: col(r, "ts_unix")?,
                user: col(r, "user")?,
                action: col(r, "action")?,
                target: col(r, "target")?,
                detail: col(r, "detail")?,
            })
        };
        Ok(self.read_rows(&rows, "audit_log", &["ts_unix"], read).0)
    }

    pub async fn report_sent(&self, day: NaiveDate, channel: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("SELECT 1 FROM report_sent WHERE day = ?1 AND channel = ?2")
            .bind(day.to_string())
            .bind(channel)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(r.is_some())
    }

    /// Records the day's report as sent on `channel` at `now` (unix seconds).
    pub async fn mark_report_sent(&self, day: NaiveDate, channel: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO report_sent (day, channel, sent_unix) VALUES (?1, ?2, ?3) ON CONFLICT (day, channel) DO NOTHING")
            .bind(day.to_string())
            .bind(channel)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn forget_report(&self, day: NaiveDate, channel: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM report_sent WHERE day = ?1 AND channel = ?2")
            .bind(day.to_string())
            .bind(channel)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Row counts, for tests and the admin page.
    pub async fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let r =
            sqlx::query("SELECT (SELECT COUNT(*) FROM minute) AS m, (SELECT COUNT(*) FROM event) AS e, (SELECT COUNT(*) FROM clip) AS c")
                .fetch_one(&self.pool)
                .await
                .map_err(self.sql())?;
        let n = |c: &str| col::<i64>(&r, c).map_err(self.bad());
        Ok((n("m")?, n("e")?, n("c")?))
    }
}

/// One column, typed; the error names the column.
fn col<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(r: &'r SqliteRow, name: &str) -> Result<T, String> {
    r.try_get(name).map_err(|e| match e {
        sqlx::Error::ColumnDecode { source, .. } => format!("{name}: {source}"),
        e => format!("{name}: {e}"),
    })
}

/// `col=value` of a row's key columns, whatever their stored type.
fn row_key(r: &SqliteRow, key: &[&str]) -> String {
    use sqlx::ValueRef;
    key.iter()
        .map(|k| {
            let v = match r.try_get_raw(*k) {
                Ok(raw) if raw.is_null() => "NULL".to_string(),
                Ok(_) => col::<String>(r, k)
                    .or_else(|_| col::<i64>(r, k).map(|v| v.to_string()))
                    .or_else(|_| col::<f64>(r, k).map(|v| v.to_string()))
                    .unwrap_or_else(|_| "?".into()),
                Err(_) => "?".into(),
            };
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn user_from(r: &SqliteRow) -> Option<User> {
    let read = || -> Result<User, String> {
        let role: String = col(r, "role")?;
        Ok(User {
            id: col(r, "id")?,
            name: col(r, "name")?,
            role: Role::parse(&role).ok_or_else(|| format!("role: unknown {role:?}"))?,
            hall: col(r, "hall")?,
        })
    };
    read().map_err(|e| tracing::warn!(row = %format!("user {}: {e}", row_key(r, &["id"])), "unreadable stored row skipped")).ok()
}

fn clip_from(r: &SqliteRow) -> Result<ClipInfo, String> {
    Ok(ClipInfo {
        id: col(r, "id")?,
        box_id: col(r, "box")?,
        hall: col(r, "hall")?,
        window: col(r, "window")?,
        window_name: col(r, "window_name")?,
        rule: col(r, "rule")?,
        event_start: col(r, "event_start")?,
        event_start_unix: col(r, "event_start_unix")?,
        received_unix: col(r, "received_unix")?,
        video: col(r, "video")?,
        thumbnail: col(r, "thumbnail")?,
        sidecar_json: col(r, "sidecar_json")?,
        bytes: col(r, "bytes")?,
        status: col(r, "status")?,
        notes: col(r, "notes")?,
        tags: col(r, "tags")?,
        event_id: col(r, "event_id")?,
        false_alarm: col::<Option<String>>(r, "false_alarm_by")?.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CameraBeat, Heartbeat};

    /// The time the tests give the store (unix seconds, 2026-11-18).
    const T: f64 = 1_795_000_000.0;

    async fn db() -> (tempfile::TempDir, HubDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = HubDb::open(&dir.path().join("hub.sqlite")).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn tokens_and_passwords_are_stored_hashed() {
        let (dir, db) = db().await;
        let token = db.add_box("b1", "甲", T).await.unwrap();
        assert!(matches!(db.add_box("b1", "甲", T).await, Err(AdminError::Invalid(_))));
        assert!(matches!(db.add_box("../b", "甲", T).await, Err(AdminError::Invalid(_))));
        assert_eq!(db.box_for_token(&token).await.unwrap().unwrap().id, "b1");
        assert!(db.box_for_token("wrong").await.unwrap().is_none());
        db.add_user("wang", Role::Supervisor, None, "long enough password", T).await.unwrap();
        assert!(matches!(db.add_user("li", Role::Trainer, None, "short", T).await, Err(AdminError::Invalid(_))));
        assert!(db.check_password("wang", "long enough password").await.unwrap().is_some());
        assert!(db.check_password("wang", "wrong password!!").await.unwrap().is_none());
        assert!(db.check_password("nobody", "long enough password").await.unwrap().is_none());
        let user = db.check_password("wang", "long enough password").await.unwrap().unwrap();
        let (session, csrf) = db.new_session(&user, T).await.unwrap();
        assert_eq!(db.session(&session, T).await.unwrap().unwrap().1, csrf);
        db.end_session(&session).await.unwrap();
        assert!(db.session(&session, T).await.unwrap().is_none());
        let raw = std::fs::read(dir.path().join("hub.sqlite")).unwrap();
        let wal = std::fs::read(dir.path().join("hub.sqlite-wal")).unwrap_or_default();
        for secret in [token.as_bytes(), b"long enough password".as_slice(), session.as_bytes()] {
            let found = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret);
            assert!(!found(&raw) && !found(&wal), "a secret is stored in clear");
        }
    }

    fn beat(up: bool, stale: u64) -> Heartbeat {
        Heartbeat {
            boot_unix: 100.0,
            version: "test".into(),
            windows: vec![CameraBeat {
                id: "w1".into(),
                name: "1号".into(),
                source_up: up,
                frames_in: 10,
                frames_analysed: 10,
                frames_stale: stale,
                errors: 0,
                last_frame_age_s: None,
            }],
            outbox: Default::default(),
            store: Default::default(),
        }
    }

    #[tokio::test]
    async fn heartbeats_count_offline_time_and_raise_alerts_once() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let t0 = now_unix();
        db.heartbeat("b1", &beat(true, 2), t0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &beat(false, 5), t0 + 30.0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &beat(false, 5), t0 + 60.0, "2026-11-28", 60.0).await.unwrap();
        let h = db.health_of(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), None).await.unwrap();
        assert_eq!((h[0].offline_s, h[0].dropped), (60.0, 5));
        // Camera down for 30 s of a 20 s allowance: one alert, not two.
        let a = db.check_health(t0 + 61.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["camera_down"]);
        db.mark_alerts_delivered(&a.iter().map(|a| a.id).collect::<Vec<_>>()).await.unwrap();
        assert!(db.check_health(t0 + 62.0, 120.0, 20.0, 0.0).await.unwrap().is_empty());
        // The box goes silent, then not while the hub itself was down.
        let a = db.check_health(t0 + 300.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_offline"]);
        assert_eq!(a[0].hall, "甲");
    }

    #[tokio::test]
    async fn a_box_whose_store_fails_raises_one_alert_and_one_recovery() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let t0 = now_unix();
        let failing = Heartbeat {
            store: crate::wire::StoreBeat {
                ok: false,
                unsaved: 12,
                write_failures: 3,
                failing_since_unix: Some(t0 - 20.0),
                last_error: Some("database or disk is full".into()),
                ..Default::default()
            },
            ..beat(true, 0)
        };
        db.heartbeat("b1", &beat(true, 0), t0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &failing, t0 + 10.0, "2026-11-28", 60.0).await.unwrap();
        db.heartbeat("b1", &failing, t0 + 20.0, "2026-11-28", 60.0).await.unwrap();
        let b = &db.boxes().await.unwrap()[0];
        assert_eq!(b.store.as_ref().map(|s| (s.ok, s.unsaved)), Some((false, 12)));
        let a = db.check_health(t0 + 21.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_store_failing"]);
        assert_eq!((a[0].hall.as_str(), a[0].box_id.as_str()), ("甲", "b1"));
        db.mark_alerts_delivered(&a.iter().map(|a| a.id).collect::<Vec<_>>()).await.unwrap();
        db.heartbeat("b1", &beat(true, 0), t0 + 30.0, "2026-11-28", 60.0).await.unwrap();
        let a = db.check_health(t0 + 31.0, 120.0, 20.0, 0.0).await.unwrap();
        assert_eq!(a.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["box_store_ok"]);
        // Both read in each language from the tables.
        for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::En] {
            assert!(!lang.t("alert.box_store_failing").starts_with('?') && !lang.t("alert.box_store_ok").starts_with('?'));
        }
    }

    #[tokio::test]
    async fn retention_spares_teaching_cases() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let meta = |start: &str| ClipMeta {
            window: "w1".into(),
            rule: "absent".into(),
            event_start: chrono::DateTime::parse_from_rfc3339(start).unwrap(),
            trigger_ts: chrono::DateTime::parse_from_rfc3339(start).unwrap(),
        };
        let (kept, _) = db.insert_clip("b1", &meta("2026-11-28T09:00:00+08:00"), "a.mp4", "a.png", "{}", 10, T).await.unwrap();
        let (other, new) = db.insert_clip("b1", &meta("2026-11-28T10:00:00+08:00"), "b.mp4", "b.png", "{}", 10, T).await.unwrap();
        assert!(new);
        assert_eq!(db.insert_clip("b1", &meta("2026-11-28T10:00:00+08:00"), "b.mp4", "b.png", "{}", 10, T).await.unwrap(), (other, false));
        db.set_clip_status(kept, "kept", "li").await.unwrap();
        let gone = db.expire_clips(T + 100.0 * 86_400.0, 30.0 * 86_400.0).await.unwrap();
        assert_eq!(gone, ["b.mp4", "b.png"]);
        assert!(db.clip(other).await.unwrap().is_none());
        assert_eq!(db.clip(kept).await.unwrap().unwrap().status, "kept");
    }

    #[tokio::test]
    async fn a_closed_event_replaces_its_open_version() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let open = crate::rules::Event {
            window: "w1".into(),
            rule: crate::rules::RuleCode::Absent,
            start: t("2026-11-28T09:00:00+08:00"),
            end: t("2026-11-28T09:00:00+08:00"),
            duration_s: 0.0,
            confidence: 0.0,
            closed_by: "open".into(),
            values: Default::default(),
        };
        // The closed version, sent with another offset: the same key.
        let closed = crate::rules::Event {
            start: t("2026-11-28T01:00:00+00:00"),
            end: t("2026-11-28T01:02:00+00:00"),
            duration_s: 120.0,
            confidence: 0.9,
            closed_by: "interrupted".into(),
            ..open.clone()
        };
        let stored = || async {
            let rows = sqlx::query("SELECT closed_by, end_ms, duration_s FROM event").fetch_all(&db.pool).await.unwrap();
            rows.iter().map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1), r.get::<f64, _>(2))).collect::<Vec<_>>()
        };
        let batch = |e: &crate::rules::Event| IngestBatch { minutes: vec![], events: vec![e.clone()] };
        assert_eq!(db.ingest("b1", &batch(&open), T).await.unwrap().events_new, 1);
        assert_eq!(db.ingest("b1", &batch(&open), T).await.unwrap().events_new, 0, "a resend is kept once");
        assert_eq!(stored().await, [("open".to_string(), open.end.timestamp_millis(), 0.0)]);
        db.ingest("b1", &batch(&closed), T).await.unwrap();
        let want = [("interrupted".to_string(), closed.end.timestamp_millis(), 120.0)];
        assert_eq!(stored().await, want);
        // A closed event is final: a late open or another close is ignored.
        db.ingest("b1", &batch(&open), T).await.unwrap();
        db.ingest("b1", &batch(&crate::rules::Event { closed_by: "resolved".into(), ..closed.clone() }), T).await.unwrap();
        assert_eq!(stored().await, want);
    }

    #[tokio::test]
    async fn a_review_is_one_transaction() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
        let meta = ClipMeta { window: "w1".into(), rule: "absent".into(), event_start: t, trigger_ts: t };
        let (id, _) = db.insert_clip("b1", &meta, "a.mp4", "a.png", "{}", 10, T).await.unwrap();
        db.review_clip(id, "good example", "teach", Some("kept"), "li", T).await.unwrap();
        assert_eq!(db.clip(id).await.unwrap().unwrap().status, "kept");
        let log = db.audit_log(5).await.unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[0].target.as_str(), log[0].user.as_str()),
            ("clip_kept", format!("clip {id}").as_str(), "li")
        );
        assert_eq!(log[0].ts_unix, T, "the review's audit entry is dated by the time given");
    }

    #[tokio::test]
    async fn a_session_lives_session_s_from_the_time_given() {
        let (_dir, db) = db().await;
        db.add_user("wang", Role::Supervisor, None, "long enough password", T).await.unwrap();
        let user = db.check_password("wang", "long enough password").await.unwrap().unwrap();
        let t = T + 1000.0;
        let (token, csrf) = db.new_session(&user, t).await.unwrap();
        let live = db.session(&token, t + SESSION_S - 1.0).await.unwrap();
        assert_eq!(live.map(|(u, c)| (u.name, c)), Some(("wang".to_string(), csrf)));
        assert!(db.session(&token, t + SESSION_S + 1.0).await.unwrap().is_none(), "expired after SESSION_S");
        // A session started later deletes the expired one from the store.
        db.new_session(&user, t + SESSION_S + 1.0).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM session WHERE token_sha256 = ?1")
            .bind(sha256_hex(&token))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn a_false_alarm_mark_records_the_time_given() {
        let (_dir, db) = db().await;
        db.add_box("b1", "甲", T).await.unwrap();
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let e = crate::rules::Event {
            window: "w1".into(),
            rule: crate::rules::RuleCode::Absent,
            start: t("2026-11-28T09:00:00+08:00"),
            end: t("2026-11-28T09:02:00+08:00"),
            duration_s: 120.0,
            confidence: 0.9,
            closed_by: "interrupted".into(),
            values: Default::default(),
        };
        db.ingest("b1", &IngestBatch { minutes: vec![], events: vec![e.clone()] }, T).await.unwrap();
        let (from, to) = (e.start.timestamp() as f64 - 1.0, e.end.timestamp() as f64 + 1.0);
        let id = db.events_between(from, to, None).await.unwrap()[0].id;
        let marked_at = || async {
            let (by, at): (Option<String>, Option<f64>) =
                sqlx::query_as("SELECT false_alarm_by, false_alarm_unix FROM event WHERE id = ?1")
                    .bind(id)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            (by, at)
        };
        assert_eq!(db.set_false_alarm(id, Some("li"), T + 123.5).await.unwrap().as_deref(), Some("甲"));
        assert_eq!(marked_at().await, (Some("li".to_string()), Some(T + 123.5)));
        assert!(db.events_between(from, to, None).await.unwrap()[0].false_alarm);
        // Taking the mark back clears the time too.
        db.set_false_alarm(id, None, T + 200.0).await.unwrap();
        assert_eq!(marked_at().await, (None, None));
        assert!(!db.events_between(from, to, None).await.unwrap()[0].false_alarm);
        assert_eq!(db.set_false_alarm(id + 1, Some("li"), T).await.unwrap(), None, "no such event");
    }

    #[tokio::test]
    async fn an_audit_entry_carries_the_time_given() {
        let (_dir, db) = db().await;
        db.audit("li", "clip_viewed", "clip 7", "b1/w1", T + 42.25).await.unwrap();
        db.audit("wang", "sign_in", "", "", T + 50.0).await.unwrap();
        let log = db.audit_log(5).await.unwrap();
        let got: Vec<_> = log.iter().map(|e| (e.ts_unix, e.user.as_str(), e.action.as_str())).collect();
        assert_eq!(got, [(T + 50.0, "wang", "sign_in"), (T + 42.25, "li", "clip_viewed")]);
    }
}
