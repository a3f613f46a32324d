//! The hub's store, written with `sqlx` on one of two engines behind one
//! `Any` pool ([`backend`]): an SQLite file by default, or PostgreSQL for a
//! cluster of hub replicas. Every query is written once, in SQL both speak
//! (`$N` parameters, `ON CONFLICT`, `RETURNING`); the one place they differ
//! says so ([`HubDb::backend`]).
//!
//! One file per concern: boxes, accounts and sessions, ingest, health,
//! what summaries read, quarter-hour roll-ups, clips, the audit log and
//! reports, the schedule's lease.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use sqlx::Row;
use sqlx::any::{Any, AnyRow};

use super::summary::{EventRow, HealthRow, MinuteRow};
use crate::rules::RuleCode;
use crate::store::{StoreError, unix};
use crate::wire::{ClipMeta, Heartbeat, IngestBatch, IngestReply};

mod accounts;
mod audit;
pub mod backend;
mod boxes;
mod clips;
pub mod copy;
mod health;
mod ingest;
pub mod lease;
pub mod quarters;
mod reads;
pub mod scratch;

pub use accounts::valid_user_name;
pub use backend::{Backend, StoreUrl};
pub use lease::{Claim, SCHEDULE};

/// The SQLite schema version this binary writes.
pub const SCHEMA_VERSION: i64 = backend::SQLITE.len() as i64;
/// The PostgreSQL schema version this binary writes.
pub const PG_SCHEMA_VERSION: i64 = backend::POSTGRES.len() as i64;

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
    pool: AnyPool,
    /// The store as messages name it (a file, or the URL without password).
    path: PathBuf,
    backend: Backend,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub use crate::secret::random_token as secret;

pub use crate::base::clock::now_unix;

impl HubDb {
    /// Opens (creating if needed) an SQLite hub store.
    pub async fn open(path: &Path) -> Result<HubDb, StoreError> {
        HubDb::connect(&StoreUrl::Sqlite(path.to_path_buf())).await
    }

    /// Opens the store at `url` and brings it to this binary's schema.
    pub async fn connect(url: &StoreUrl) -> Result<HubDb, StoreError> {
        let db = HubDb::connect_unmigrated(url).await?;
        backend::migrate(&db.pool, db.backend, &db.path).await?;
        db.rebuild_quarters_if_missing().await?;
        Ok(db)
    }

    /// Opens the store at `url` as it is (for `liyi check`, which never
    /// upgrades).
    pub async fn connect_unmigrated(url: &StoreUrl) -> Result<HubDb, StoreError> {
        let connections = match url.backend() {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let pool = backend::connect(url, connections).await?;
        Ok(HubDb { pool, path: PathBuf::from(url.shown()), backend: url.backend() })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for tools that read the store as a whole (`check`, the
    /// store copy).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
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
        if self.backend == Backend::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await;
        }
        self.pool.close().await;
    }
}

/// An optional float to bind. sqlx 0.8's `Any` driver sends a missing
/// `f64` as a *float4* NULL, which PostgreSQL refuses for a statement it
/// prepared with a float8 there ("incorrect binary data format"); this
/// sends a float8 NULL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptF64(pub Option<f64>);

impl sqlx::Type<Any> for OptF64 {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as sqlx::Type<Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, Any> for OptF64 {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match self.0 {
            Some(v) => <f64 as sqlx::Encode<'q, Any>>::encode_by_ref(&v, buf),
            // The driver swaps the two float NULLs: an f32 NULL goes out as
            // float8. The PostgreSQL tests of optional times guard this.
            None => <Option<f32> as sqlx::Encode<'q, Any>>::encode_by_ref(&None, buf),
        }
    }
}

/// One column, typed; the error names the column.
fn col<'r, T: sqlx::Decode<'r, Any> + sqlx::Type<Any>>(r: &'r AnyRow, name: &str) -> Result<T, String> {
    r.try_get(name).map_err(|e| match e {
        sqlx::Error::ColumnDecode { source, .. } => format!("{name}: {source}"),
        e => format!("{name}: {e}"),
    })
}

/// `col=value` of a row's key columns, whatever their stored type.
fn row_key(r: &AnyRow, key: &[&str]) -> String {
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

fn user_from(r: &AnyRow) -> Option<User> {
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

fn clip_from(r: &AnyRow) -> Result<ClipInfo, String> {
    Ok(ClipInfo {
        id: col(r, "id")?,
        box_id: col(r, "box")?,
        hall: col(r, "hall")?,
        window: col(r, "window_id")?,
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
mod tests;
